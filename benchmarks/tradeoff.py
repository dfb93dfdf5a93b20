"""Agreement against latency: what scoring more candidates buys, at one size of the base.

    .venv/bin/python benchmarks/tradeoff.py [--factor 100] [--questions 300] [--json out.json]

#6 asks, at 100x the shipped examples, for both a p99 of at most 5 ms and the exhaustive
scorer's top intent on at least 99.5 % of questions. Both depend on how many candidates the
pruned search scores (bot.matching.MatchOptions): the pool (at most pool_max; of a word in more
than window_over examples, the pool_max nearest the question's length, of a name name_window)
and the nearest of those scored in full (nearest; negative_nearest for the out-of-scope ones).
This builds our matcher with each setting in SETTINGS (the first is the shipped one) on a synthetic base
(benchmarks/synth.py) and, on the same evenly spaced sample of the development questions,
prints agreement with the exhaustive scorer (computed once: it is the slow part) beside median
and p99 latency. One process, so the settings are compared in the same run; each question's
time is the fastest of `--repeat` passes (caches cleared before each), as the machine is noisy
and two settings that do the same work must not look different.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_growth import DEVSETS, ROOT, grown_matcher, sample  # noqa: E402 - after the sys.path set-up
from bench_match import summary  # noqa: E402 - after the sys.path set-up

from bot.evaluate import read_labelled  # noqa: E402 - after the sys.path set-up
from bot.knowledge import load  # noqa: E402 - after the sys.path set-up
from bot.matching import MatchOptions  # noqa: E402 - after the sys.path set-up

KNOBS = ("nearest", "negative_nearest", "pool_max", "name_window")
SHIPPED = MatchOptions()
SETTINGS = [  # the shipped setting first, the one before it, then fewer candidates, then more
    SHIPPED,
    replace(SHIPPED, nearest=24, negative_nearest=16, pool_max=2000, name_window=1000),
    replace(SHIPPED, nearest=12, negative_nearest=8, pool_max=1000, name_window=100),
    replace(SHIPPED, nearest=12, negative_nearest=8, pool_max=100, name_window=50),
    replace(SHIPPED, nearest=6, negative_nearest=4, pool_max=50, name_window=25),
    replace(SHIPPED, nearest=48, negative_nearest=32, pool_max=1000, name_window=100),
    replace(SHIPPED, nearest=48, negative_nearest=32, pool_max=200, name_window=100),
    replace(SHIPPED, nearest=96, negative_nearest=64, pool_max=1000, name_window=100),
    replace(SHIPPED, nearest=256, negative_nearest=128, pool_max=10000, name_window=5000),
]


def knobs(options: MatchOptions) -> dict[str, int]:
    """The settings a row compares."""
    return {knob: getattr(options, knob) for knob in KNOBS}


def decided(match) -> tuple[str | None, str | None]:
    """What agreement compares: the decision (intent or refusal) and the top-ranked intent."""
    return match.intent, match.ranked[0].intent if match.ranked else None


def agreement(fast: list, slow: list) -> dict:
    answered = [(a, b) for a, b in zip(fast, slow) if b[0]]
    return {"questions": len(slow), "decision": sum(a[0] == b[0] for a, b in zip(fast, slow)) / len(slow),
            "answered": len(answered),
            "top_intent": sum(a[1] == b[1] for a, b in answered) / max(1, len(answered))}


def run(factor: int = 100, count: int = 300, settings: list[MatchOptions] | None = None, repeat: int = 3,
        quiet: bool = False) -> dict:
    from synth import grow

    say = (lambda *a: None) if quiet else print
    kb = load(ROOT)
    questions = sample([item.text for path in DEVSETS for item in read_labelled(ROOT / path)], count)
    intents, concepts, negatives = grow(kb, factor)
    matcher = grown_matcher(kb, intents, concepts, negatives)  # the shipped setting
    start = time.perf_counter()
    slow = [decided(matcher.exhaustive().match(q)) for q in questions]
    exhaustive_s = time.perf_counter() - start
    examples = sum(len(i.examples) for i in intents.values())
    say(f"trade-off at {factor}x ({examples:,} examples): {len(questions)} development questions; "
        f"the exhaustive scorer took {exhaustive_s / len(questions) * 1000:.0f} ms a question")
    say(f"{'NEAREST':>7} {'NEG':>4} {'POOL_MAX':>8} {'NAME_WIN':>8} {'same answer':>11} {'same top':>9} "
        f"{'median':>9} {'p99':>9}")
    rows = []
    for options in settings or SETTINGS:
        if options != matcher.options:  # each setting its own matcher, one at a time (a grown one is big)
            del matcher
            matcher = grown_matcher(kb, intents, concepts, negatives, options)
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
        values = knobs(options)
        rows.append({**values, "agreement": agree, "latency": latency})
        say(f"{values['nearest']:>7} {values['negative_nearest']:>4} {values['pool_max']:>8} "
            f"{values['name_window']:>8} {agree['decision']:>10.2%} {agree['top_intent']:>8.2%} "
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
