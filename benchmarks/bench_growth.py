"""How matching cost grows with the knowledge base: 1x, 10x, 100x, 1000x the shipped examples.

    .venv/bin/python benchmarks/bench_growth.py [--sizes 1,10,100,1000] [--json out.json]

Each size runs in a fresh process (so its memory figures are its own), on a synthetic base
from benchmarks/synth.py (realistic paraphrases and extra events, see there). For each size:
- our matcher and the naive baseline `process.extractOne(question, all_examples,
  scorer=fuzz.WRatio, processor=utils.default_process)`, per question over the development
  sets: median and p99, and the ratio on the same questions. The naive scan takes seconds a
  question at 1000x, so it runs on an evenly spaced sample there (the count is printed);
- memory: what building our index adds to the process (resident set), and what the naive
  baseline holds (its list of example strings, measured the same way);
- agreement: our pruned search against the exhaustive scorer (every example of every intent
  scored in full): the decision (intent answered, or refusal) and the top-ranked intent of
  questions the exhaustive scorer answers. Also sampled at the largest sizes, where the
  exhaustive scorer is as slow as the naive one.
Caches are cleared before each pass, so each question is measured as if first seen.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process, utils  # noqa: E402 - after the sys.path set-up

from bot.evaluate import read_labelled  # noqa: E402 - after the sys.path set-up
from bot.knowledge import load  # noqa: E402 - after the sys.path set-up
from bot.matching import Matcher, MatchOptions  # noqa: E402 - after the sys.path set-up

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_match import latencies, summary  # noqa: E402 - after the sys.path set-up

DEVSETS = ["tests/devset.yaml", "tests/devset.ar.yaml", "tests/devset.ru.yaml", "tests/devset.uk.yaml"]
SIZES = (1, 10, 100, 1000)
# Questions the slow scorers (naive, exhaustive) see at each size: all where that is quick.
NAIVE_SAMPLE = {1: None, 10: 300, 100: 60, 1000: 20}
EXHAUSTIVE_SAMPLE = {1: None, 10: None, 100: 300, 1000: 60}


def rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def sample(items: list, count: int | None) -> list:
    """`count` evenly spaced items (all when None or more than there are)."""
    if count is None or count >= len(items):
        return list(items)
    step = len(items) / count
    return [items[int(k * step)] for k in range(count)]


def grown_matcher(kb, intents: dict, concepts: dict, negatives, options: MatchOptions | None = None) -> Matcher:
    """Our matcher over a grown base, with the shipped base's thresholds and years."""
    return Matcher(intents, concepts, kb.matcher.thresholds, negatives=negatives, years=kb.matcher.years,
                   options=options or MatchOptions())


def one_size(factor: int, limit: int | None = None, naive_count: int | None = -1,
             exhaustive_count: int | None = -1) -> dict:
    """Every figure for one size, in this process."""
    from synth import grow

    kb = load(ROOT)
    questions = [item.text for path in DEVSETS for item in read_labelled(ROOT / path)][:limit]
    start = time.perf_counter()
    intents, concepts, negatives = grow(kb, factor)
    generated = time.perf_counter() - start
    gc.collect()
    before = rss_mb()
    start = time.perf_counter()
    matcher = grown_matcher(kb, intents, concepts, negatives)
    built = time.perf_counter() - start
    gc.collect()
    ours_mb = rss_mb() - before
    before = rss_mb()
    # The naive baseline's data: its own list of the example strings (copied, as it would hold them).
    examples = [ex.text.encode().decode() for i in intents.values() for ex in i.examples]
    naive_mb = rss_mb() - before

    naive_q = sample(questions, NAIVE_SAMPLE.get(factor) if naive_count == -1 else naive_count)
    exh_q = sample(questions, EXHAUSTIVE_SAMPLE.get(factor) if exhaustive_count == -1 else exhaustive_count)
    matcher.clear_caches()
    ours = latencies(matcher.match, questions)
    matcher.clear_caches()
    ours_same = latencies(matcher.match, naive_q)
    naive = latencies(lambda q: process.extractOne(q, examples, scorer=fuzz.WRatio, processor=utils.default_process),
                      naive_q)

    exhaustive = matcher.exhaustive()
    fast, slow = [matcher.match(q) for q in exh_q], [exhaustive.match(q) for q in exh_q]
    same_decision = sum(a.intent == b.intent for a, b in zip(fast, slow))
    answered = [(a, b) for a, b in zip(fast, slow) if b.intent]
    same_top = sum(bool(a.ranked) and a.ranked[0].intent == b.ranked[0].intent for a, b in answered)
    ours_s, naive_s = summary(ours_same), summary(naive)
    return {
        "factor": factor, "intents": len(intents), "examples": len(examples), "negatives": len(negatives),
        "concepts": len(concepts), "generate_s": generated, "build_s": built,
        "ours": summary(ours), "ours_on_naive_sample": ours_s, "naive": naive_s,
        "ratio_median": naive_s["median_ms"] / ours_s["median_ms"], "ratio_p99": naive_s["p99_ms"] / ours_s["p99_ms"],
        "ours_index_mb": ours_mb, "naive_data_mb": naive_mb,
        "agreement": {"questions": len(exh_q), "decision": same_decision / len(exh_q),
                      "answered": len(answered), "top_intent": same_top / max(1, len(answered)),
                      "differ": [q for q, a, b in zip(exh_q, fast, slow) if a.intent != b.intent][:10]},
    }


HEADER = (f"{'size':>5} {'examples':>9} {'intents':>7} {'build':>6} {'ours med':>9} {'ours p99':>9} "
          f"{'naive med':>10} {'naive p99':>10} {'(n)':>5} {'ratio':>6} {'ours MB':>8} {'naive MB':>8} "
          f"{'same answer':>11} {'same top':>9} {'(n)':>5}")


def row(r: dict) -> str:
    a = r["agreement"]
    return (f"{str(r['factor']) + 'x':>5} {r['examples']:>9,} {r['intents']:>7,} {r['build_s']:>5.1f}s "
            f"{r['ours']['median_ms']:>7.3f}ms {r['ours']['p99_ms']:>7.3f}ms {r['naive']['median_ms']:>8.2f}ms "
            f"{r['naive']['p99_ms']:>8.2f}ms {r['naive']['n']:>5} {r['ratio_median']:>5.0f}x "
            f"{r['ours_index_mb']:>8.1f} {r['naive_data_mb']:>8.1f} {a['decision']:>10.2%} {a['top_intent']:>8.2%} "
            f"{a['questions']:>5}")


def run(sizes=SIZES, limit: int | None = None, quiet: bool = False, **counts) -> list[dict]:
    """Each size in its own process; their figures, printed as they come unless quiet."""
    say = (lambda *a: None) if quiet else print
    say("growth: synthetic bases, each size in a fresh process; latency per development question")
    say(HEADER)
    out = []
    for factor in sizes:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--one", str(factor)]
        if limit:
            cmd += ["--limit", str(limit)]
        for key, value in counts.items():
            cmd += [f"--{key.replace('_', '-')}", str(value)]
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"size {factor}x failed:\n{done.stderr[-2000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        out.append(result)
        say(row(result))
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default=",".join(map(str, SIZES)), help="factors, comma-separated")
    p.add_argument("--limit", type=int, help="only the first N development questions (a smoke run)")
    p.add_argument("--naive-count", type=int, help="questions for the naive baseline at every size")
    p.add_argument("--exhaustive-count", type=int, help="questions for the exhaustive scorer at every size")
    p.add_argument("--json", type=Path, help="also write the figures here")
    p.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: one size, JSON on stdout
    args = p.parse_args()
    counts = {k: v for k, v in (("naive_count", args.naive_count), ("exhaustive_count", args.exhaustive_count)) if v}
    if args.one is not None:
        print(json.dumps(one_size(args.one, args.limit, counts.get("naive_count", -1),
                                  counts.get("exhaustive_count", -1))))
        return 0
    results = run([int(s) for s in args.sizes.split(",")], args.limit, **counts)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
