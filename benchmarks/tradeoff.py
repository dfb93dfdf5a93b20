"""Agreement against latency: what scoring more candidates buys, at one size of the base.

    .venv/bin/python benchmarks/tradeoff.py [--factor 100] [--questions 300] [--json out.json]

#6 asks, at 100x the shipped examples, for both a p99 of at most 5 ms and the exhaustive
scorer's top intent on at least 99.5 % of questions. Both depend on how many candidates the
pruned search scores: the pool (at most POOL_MAX; of a word in more than WINDOW_OVER examples,
set when the index is built, the POOL_MAX nearest the question's length, of a name NAME_WINDOW)
and the nearest of those scored in full (NEAREST; NEGATIVE_NEAREST for the out-of-scope ones). This runs
our matcher with each setting in SETTINGS (the first is the shipped one) on a synthetic base
(benchmarks/synth.py) and, on the same evenly spaced sample of the development questions,
prints agreement with the exhaustive scorer (computed once: it is the slow part) beside median
and p99 latency. One process, so the settings are compared in the same run; each question's
time is the fastest of `--repeat` passes (caches cleared before each), as the machine is noisy
and two settings that do the same work must not look different.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_growth import DEVSETS, ROOT, grown_matcher, sample  # noqa: E402
from bench_match import summary  # noqa: E402

import bot.matcher as matcher_module  # noqa: E402
from bot.evaluate import read_labelled  # noqa: E402
from bot.knowledge import load  # noqa: E402
from bot.matcher import Matcher, pool_budget  # noqa: E402

KNOBS = ("NEAREST", "NEGATIVE_NEAREST", "POOL_MAX", "NAME_WINDOW")
SETTINGS = [  # the shipped setting first, the one before it, then fewer candidates, then more
    {knob: getattr(matcher_module, knob) for knob in KNOBS},
    {"NEAREST": 24, "NEGATIVE_NEAREST": 16, "POOL_MAX": 2000, "NAME_WINDOW": 1000},
    {"NEAREST": 12, "NEGATIVE_NEAREST": 8, "POOL_MAX": 1000, "NAME_WINDOW": 100},
    {"NEAREST": 12, "NEGATIVE_NEAREST": 8, "POOL_MAX": 100, "NAME_WINDOW": 50},
    {"NEAREST": 6, "NEGATIVE_NEAREST": 4, "POOL_MAX": 50, "NAME_WINDOW": 25},
    {"NEAREST": 48, "NEGATIVE_NEAREST": 32, "POOL_MAX": 1000, "NAME_WINDOW": 100},
    {"NEAREST": 48, "NEGATIVE_NEAREST": 32, "POOL_MAX": 200, "NAME_WINDOW": 100},
    {"NEAREST": 96, "NEGATIVE_NEAREST": 64, "POOL_MAX": 1000, "NAME_WINDOW": 100},
    {"NEAREST": 256, "NEGATIVE_NEAREST": 128, "POOL_MAX": 10000, "NAME_WINDOW": 5000},
]


@contextlib.contextmanager
def setting(matcher: Matcher, values: dict[str, int]):
    """The pruned search's sizes set to `values` (and each index's pool budget with them)."""
    saved = {knob: getattr(matcher_module, knob) for knob in KNOBS}
    indexes = [*matcher._indexes.values(), *matcher._negative_indexes.values()]
    budgets = [index.budget for index in indexes]
    for knob, value in values.items():
        setattr(matcher_module, knob, value)
    for index in indexes:
        index.budget = pool_budget(len(index.texts), values["POOL_MAX"])
    try:
        yield
    finally:
        for knob, value in saved.items():
            setattr(matcher_module, knob, value)
        for index, budget in zip(indexes, budgets):
            index.budget = budget


def decided(match) -> tuple[str | None, str | None]:
    """What agreement compares: the decision (intent or refusal) and the top-ranked intent."""
    return match.intent, match.ranked[0].intent if match.ranked else None


def agreement(fast: list, slow: list) -> dict:
    answered = [(a, b) for a, b in zip(fast, slow) if b[0]]
    return {"questions": len(slow), "decision": sum(a[0] == b[0] for a, b in zip(fast, slow)) / len(slow),
            "answered": len(answered),
            "top_intent": sum(a[1] == b[1] for a, b in answered) / max(1, len(answered))}


def run(factor: int = 100, count: int = 300, settings: list[dict] | None = None, repeat: int = 3,
        quiet: bool = False) -> dict:
    from synth import grow

    say = (lambda *a: None) if quiet else print
    kb = load(ROOT)
    questions = sample([item.text for path in DEVSETS for item in read_labelled(ROOT / path)], count)
    intents, concepts, negatives = grow(kb, factor)
    matcher = grown_matcher(kb, intents, concepts, negatives)
    start = time.perf_counter()
    slow = [decided(matcher.exhaustive().match(q)) for q in questions]
    exhaustive_s = time.perf_counter() - start
    examples = sum(len(i.examples) for i in intents.values())
    say(f"trade-off at {factor}x ({examples:,} examples): {len(questions)} development questions; "
        f"the exhaustive scorer took {exhaustive_s / len(questions) * 1000:.0f} ms a question")
    say(f"{'NEAREST':>7} {'NEG':>4} {'POOL_MAX':>8} {'NAME_WIN':>8} {'same answer':>11} {'same top':>9} "
        f"{'median':>9} {'p99':>9}")
    rows = []
    for values in settings or SETTINGS:
        with setting(matcher, values):
            matcher.clear_caches()
            fast = [decided(matcher.match(q)) for q in questions]
            times = [float("inf")] * len(questions)
            for _ in range(repeat):
                matcher.clear_caches()
                gc.collect()  # no garbage of the passes before in this one's timings
                for n, q in enumerate(questions):
                    began = time.perf_counter()
                    matcher.match(q)
                    times[n] = min(times[n], time.perf_counter() - began)
        agree, latency = agreement(fast, slow), summary(sorted(times))
        rows.append({**values, "agreement": agree, "latency": latency})
        say(f"{values['NEAREST']:>7} {values['NEGATIVE_NEAREST']:>4} {values['POOL_MAX']:>8} "
            f"{values['NAME_WINDOW']:>8} {agree['decision']:>10.2%} {agree['top_intent']:>8.2%} "
            f"{latency['median_ms']:>7.2f}ms {latency['p99_ms']:>7.2f}ms")
    return {"factor": factor, "examples": examples, "questions": len(questions),
            "exhaustive_ms": exhaustive_s / len(questions) * 1000, "repeat": repeat, "rows": rows}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--factor", type=int, default=100)
    p.add_argument("--questions", type=int, default=300, help="development questions, evenly spaced")
    p.add_argument("--repeat", type=int, default=3, help="passes per setting; each question's fastest counts")
    p.add_argument("--settings", type=int, help="only the first N settings (a smoke run)")
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args()
    figures = run(args.factor, args.questions, SETTINGS[: args.settings], args.repeat)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
