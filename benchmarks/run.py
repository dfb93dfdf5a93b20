"""Every benchmark in one run: one table each, and all figures in one JSON file.

    .venv/bin/python benchmarks/run.py [--json benchmarks/results.json] [--quick]

1. matching on the shipped base beside the naive rapidfuzz baseline (bench_match.py)
2. growth: synthetic bases of 10x, 100x and 1000x the shipped examples (bench_growth.py)
3. end to end: updates per second through the bot's Application beside an echo bot (bench_e2e.py)
4. start-up to ready beside `import telegram`, and resident memory (bench_match.py)
Each figure is measured beside its baseline in the same run; the machine is shared and noisy,
so read the ratios. `--quick` is the smoke run the tests use (tiny sizes, a few seconds).
The full run takes about half an hour, most of it building and scanning the 1000x base.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import bench_e2e  # noqa: E402 - after the sys.path set-up
import bench_growth  # noqa: E402 - after the sys.path set-up
import bench_match  # noqa: E402 - after the sys.path set-up


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", type=Path, default=HERE / "results.json", help="where to write the figures")
    p.add_argument("--quick", action="store_true", help="a smoke run: tiny sizes, a few questions")
    p.add_argument("--sizes", help="growth factors, comma-separated (default 1,10,100,1000)")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    quick = args.quick
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else ([1, 2] if quick else list(bench_growth.SIZES))
    rounds = 1 if quick else args.rounds
    started = time.time()
    figures: dict = {"machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
                     "quick": quick}
    print("== 1. matching on the shipped base, and 4. start-up ==")
    figures["shipped"] = bench_match.run(rounds, limit=20 if quick else None)
    print("\n== 2. growth ==")
    counts = {"naive_count": 5, "exhaustive_count": 10} if quick else {}
    figures["growth"] = bench_growth.run(sizes, limit=20 if quick else None, **counts)
    print("\n== 3. end to end ==")
    figures["end_to_end"] = bench_e2e.run(rounds, 50 if quick else 2000, quiet=False)
    figures["seconds"] = time.time() - started
    args.json.write_text(json.dumps(figures, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"\nwrote {args.json} ({figures['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
