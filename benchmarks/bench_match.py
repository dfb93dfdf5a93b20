"""Matching and start-up, each measured beside its baseline in the same run.

    .venv/bin/python benchmarks/bench_match.py [--rounds 3] [--json out.json]

1. Matching: latency per question over the development sets, for our matcher and for the
   naive baseline `process.extractOne(question, all_examples, scorer=fuzz.WRatio,
   processor=utils.default_process)`; median, p99 and their ratio, per round.
   Beside it, ours' floor: the time per question spent inside the compiled rapidfuzz calls
   (`process.extract`/`extractOne`) that our matcher makes: with the candidates it scores now,
   no tuning of the Python around them brings ours below it (a pass of its own, so that ours
   above is timed unwrapped).
2. Start-up: a fresh process until the knowledge base is loaded, validated and indexed,
   beside a fresh process that only does `import telegram`; and resident memory when ready.

The machine is shared and noisy: read the ratios, and the spread between rounds.
"""

from __future__ import annotations

import argparse
import compileall
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process, utils  # noqa: E402 - after the sys.path set-up

from bot.evaluate import read_labelled  # noqa: E402 - after the sys.path set-up
from bot.knowledge import load  # noqa: E402 - after the sys.path set-up
from bot.matching import Matcher  # noqa: E402 - after the sys.path set-up

DEVSETS = ["tests/devset.yaml", "tests/devset.ar.yaml", "tests/devset.ru.yaml", "tests/devset.uk.yaml"]
# Ready: the bot's modules (python-telegram-bot with them) imported, the knowledge base loaded,
# validated and indexed; what `python -m bot run` does before it first calls Telegram.
# Its memory is its own peak (VmHWM, kB): Linux carries ru_maxrss over from the parent at the
# fork, so a benchmark grown past the bot would be read as the bot's size.
READY = "import bot.tg.app; from bot.knowledge import load; load(); import sys; " \
        "sys.stdout.write(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')))"


def latencies(fn, questions: list[str], kb=None) -> list[float]:
    if kb is not None:
        kb.matcher.clear_caches()  # each question measured as if first seen
    out = []
    for q in questions:
        start = time.perf_counter()
        fn(q)
        out.append(time.perf_counter() - start)
    return sorted(out)


def naive_matcher(examples: list[str]):
    """The baseline: the closest example by rapidfuzz's WRatio, scanning every example."""
    return lambda q: process.extractOne(q, examples, scorer=fuzz.WRatio, processor=utils.default_process)


def summary(samples: list[float]) -> dict[str, float]:
    """Median and p99 of sorted `samples` (seconds), in milliseconds, and how many there were."""
    return {"median_ms": statistics.median(samples) * 1000,
            "p99_ms": samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1000, "n": len(samples)}


class TimedProcess:
    """rapidfuzz.process as bot.matching uses it, adding the time of each call to `spent`."""

    def __init__(self, spent: list[float]):
        self._spent = spent

    def _timed(self, fn, *args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            self._spent[0] += time.perf_counter() - start

    def extract(self, *args, **kwargs):
        return self._timed(process.extract, *args, **kwargs)

    def extractOne(self, *args, **kwargs):  # rapidfuzz's name
        return self._timed(process.extractOne, *args, **kwargs)


def timed_matcher(kb, spent: list[float]) -> Matcher:
    """A matcher like the knowledge base's whose rapidfuzz calls add their time to `spent`."""
    m = kb.matcher
    return Matcher(kb.intents, kb.concepts, m.thresholds, m.weights, kb.negatives, m.years, m.options,
                   process=TimedProcess(spent))


def scoring_floor(kb, questions: list[str]) -> list[float]:
    """Per question (sorted), the seconds ours spends inside rapidfuzz's compiled calls."""
    spent = [0.0]
    out = []
    matcher = timed_matcher(kb, spent)
    matcher.clear_caches()
    for q in questions:
        spent[0] = 0.0
        matcher.match(q)
        out.append(spent[0])
    return sorted(out)


def _process_seconds(code: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stdout


def ready() -> tuple[float, float]:
    """A fresh process until the bot is ready (READY): its seconds and its own peak resident MB."""
    seconds, peak_kb = _process_seconds(READY)
    return seconds, int(peak_kb) / 1024


def run(rounds: int = 3, limit: int | None = None, quiet: bool = False) -> dict:
    """Matching on the shipped base and start-up, each beside its baseline, `rounds` times."""
    say = (lambda *a: None) if quiet else print
    kb = load(ROOT)
    questions = [item.text for path in DEVSETS for item in read_labelled(ROOT / path)][:limit]
    examples = [ex.text for ex in kb.examples()]
    results: dict = {"questions": len(questions), "examples": len(examples), "matching": [], "startup": []}

    say(f"matching: {len(questions)} questions against {len(examples)} examples (shipped base)")
    say(f"{'round':>5} {'ours median':>12} {'ours p99':>9} {'naive median':>13} {'naive p99':>10} "
        f"{'ratio (median)':>15} {'ratio (p99)':>12}")
    for n in range(1, rounds + 1):
        ours = summary(latencies(kb.matcher.match, questions, kb))
        naive = summary(latencies(naive_matcher(examples), questions))
        ratio, ratio99 = naive["median_ms"] / ours["median_ms"], naive["p99_ms"] / ours["p99_ms"]
        results["matching"].append({"ours": ours, "naive": naive, "ratio": ratio, "ratio_p99": ratio99})
        say(f"{n:>5} {ours['median_ms']:>10.3f}ms {ours['p99_ms']:>7.3f}ms {naive['median_ms']:>11.3f}ms "
            f"{naive['p99_ms']:>8.3f}ms {ratio:>14.1f}x {ratio99:>11.1f}x")

    say("\nours' floor: per question, the time inside the compiled rapidfuzz calls it makes (the rest is Python)")
    say(f"{'round':>5} {'in rapidfuzz median':>20} {'p99':>9}")
    for n in range(1, rounds + 1):
        floor = summary(scoring_floor(kb, questions))
        results.setdefault("floor", []).append(floor)
        say(f"{n:>5} {floor['median_ms']:>18.3f}ms {floor['p99_ms']:>7.3f}ms")

    # As installed (pip writes the bytecode), not recompiling our modules on every start.
    compileall.compile_dir(ROOT / "bot", quiet=1)
    say("\nstart-up: fresh process to knowledge ready (loaded, validated, indexed), beside `import telegram`")
    say(f"{'round':>5} {'ready':>8} {'import telegram':>16} {'difference':>11} {'RSS ready':>10}")
    for n in range(1, rounds + 1):
        seconds, rss_mb = ready()
        bare, _ = _process_seconds("import telegram")
        results["startup"].append({"ready_s": seconds, "import_telegram_s": bare, "rss_mb": rss_mb})
        say(f"{n:>5} {seconds:>7.3f}s {bare:>15.3f}s {seconds - bare:>10.3f}s {rss_mb:>8.1f}MB")
    return results


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--json", type=Path, help="also write the figures here")
    p.add_argument("--limit", type=int, help="only the first N questions (a smoke run)")
    args = p.parse_args()
    results = run(args.rounds, args.limit)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
