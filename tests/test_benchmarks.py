"""The benchmark scripts still run (a tiny smoke run; the figures themselves are not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import ROOT


def test_matching_benchmark_smoke_run_prints_and_writes_its_figures(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "benchmarks/bench_match.py", "--rounds", "1", "--limit", "20", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "naive median" in done.stdout and "import telegram" in done.stdout
    figures = json.loads(out.read_text())
    assert figures["questions"] == 20
    assert figures["matching"][0]["ratio"] > 0 and figures["startup"][0]["rss_mb"] > 0
