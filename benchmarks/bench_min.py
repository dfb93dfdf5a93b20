"""Matching on the shipped base, each question's fastest of N runs, beside the naive baseline.

    .venv/bin/python benchmarks/bench_min.py [--runs 10] [--naive-runs 3] [--slowest 15]

For each development question: the minimum over `runs` timings of `matcher.match`, with the
matcher's caches cleared before every run (each run as if the question were first seen); then
the median and p99 over the questions. The minimum takes out most of the noise of a shared
machine, which moves the plain p99 (benchmarks/bench_match.py) by a tenth of a millisecond
from round to round. The naive baseline of bench_match.py is timed the same way (fewer runs:
it costs twenty times more). `--slowest` lists the slowest questions (for profiling).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_match import DEVSETS, naive_matcher, summary  # noqa: E402 - after the sys.path set-up

from bot.evaluate import read_labelled  # noqa: E402 - after the sys.path set-up
from bot.knowledge import load  # noqa: E402 - after the sys.path set-up


def fastest(fn, questions: list[str], runs: int, before=None) -> list[float]:
    """Per question (in order), the fastest of `runs` calls of fn(question), `before()` before each."""
    best = [float("inf")] * len(questions)
    clock = time.perf_counter
    for _ in range(runs):
        for n, q in enumerate(questions):
            if before is not None:
                before()
            start = clock()
            fn(q)
            elapsed = clock() - start
            if elapsed < best[n]:
                best[n] = elapsed
    return best


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--naive-runs", type=int, default=3)
    p.add_argument("--slowest", type=int, default=0, help="list this many of our slowest questions")
    args = p.parse_args()
    kb = load(ROOT)
    questions = [item.text for path in DEVSETS for item in read_labelled(ROOT / path)]
    examples = [ex.text for ex in kb.examples()]
    ours = fastest(kb.matcher.match, questions, args.runs, kb.matcher.clear_caches)
    naive = fastest(naive_matcher(examples), questions, args.naive_runs)
    o, b = summary(sorted(ours)), summary(sorted(naive))
    print(f"{len(questions)} questions, {len(examples)} examples; each question's fastest of {args.runs} runs "
          f"(naive: of {args.naive_runs}), caches cleared before each")
    print(f"ours  median {o['median_ms']:.3f} ms  p99 {o['p99_ms']:.3f} ms")
    print(f"naive median {b['median_ms']:.3f} ms  p99 {b['p99_ms']:.3f} ms  "
          f"(ratio {b['median_ms'] / o['median_ms']:.1f}x median, {b['p99_ms'] / o['p99_ms']:.1f}x p99)")
    for seconds, q in sorted(zip(ours, questions), reverse=True)[: args.slowest]:
        print(f"  {seconds * 1000:.3f} ms  {q[:110]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
