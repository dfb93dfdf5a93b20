"""The end-to-end benchmark still runs (a tiny smoke run; the figures themselves are not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import ROOT


def test_end_to_end_benchmark_smoke_run_answers_every_update_and_writes_its_figures(tmp_path):
    out = tmp_path / "e2e.json"
    done = subprocess.run(
        [sys.executable, "benchmarks/bench_e2e.py", "--rounds", "1", "--updates", "50", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "echo, plain PTB" in done.stdout and "echo, our setup" in done.stdout
    figures = json.loads(out.read_text())
    [row] = figures["rounds"]
    ours, plain, setup = row["ours"], row["echo_plain"], row["echo_setup"]
    assert [f["api_calls"]["sendMessage"] for f in (ours, plain, setup)] == [50, 50, 50]
    assert all(f["api_calls"]["getUpdates"] >= 2 for f in (ours, plain, setup)), "fed by polling"
    assert ours["errors"] == 0 and ours["ledger_handled"] == 50 and ours["recorded"] > 0
    assert setup["ledger_handled"] == 50 and setup["recorded"] == 0, "the echo on our setup: ledger on, no questions"
    assert row["share_of_plain_echo"] > 0 and row["share_of_setup_echo"] > 0
    summary = figures["summary"]
    for key in ("ours_updates_per_s", "echo_plain_updates_per_s", "echo_setup_updates_per_s",
                "share_of_plain_echo_median", "share_of_setup_echo_median"):
        assert summary[key] > 0, key


def test_the_reply_shape_run_sends_the_bots_own_reply_for_every_update(tmp_path):
    """`--shape`: the echo on our setup against sending the bot's reply (made in advance)."""
    out = tmp_path / "shape.json"
    done = subprocess.run(
        [sys.executable, "benchmarks/bench_e2e.py", "--shape", "--rounds", "1", "--updates", "40", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    [row] = json.loads(out.read_text())["rounds"]
    echo, shaped = row["echo_setup"], row["echo_shaped"]
    assert echo["api_calls"]["sendMessage"] == shaped["api_calls"]["sendMessage"] == 40
    assert shaped["errors"] == 0 and shaped["ledger_handled"] == 40
    assert row["share"] > 0
