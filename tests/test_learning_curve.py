"""scripts/learning_curve.py: the held-out figures by share of the real training pages, as
counts only; a bad share is a clear error."""

from __future__ import annotations

import subprocess
import sys

import yaml

from bot.evaluate import read_labelled

from .conftest import ROOT

SCRIPT = ROOT / "scripts" / "learning_curve.py"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300)


def test_it_prints_each_share_per_language_group_and_never_a_held_out_question():
    run = _run("--shares", "0,20")
    assert run.returncode == 0, run.stderr
    asked = yaml.safe_load((ROOT / "intents" / "asked.yaml").read_text(encoding="utf-8"))
    lines = run.stdout.splitlines()
    assert lines[0].startswith(f"{len(asked)} real training questions")
    shares = [line for line in lines if line.startswith("share")]
    assert len(shares) == 4
    assert shares[0].startswith("share  0/20 (   0 questions)  en ")
    assert shares[3].startswith(f"share 20/20 ({len(asked):4} questions)  ar+ru+uk ")
    assert all("in scope " in line and "refused " in line and "lost " in line for line in shares)
    held_out = read_labelled(ROOT / "tests" / "real" / "holdout.yaml")
    assert not [item for item in held_out if item.text.strip() in run.stdout]


def test_a_share_out_of_range_is_refused_with_a_message():
    for shares in ("0,21", "ten", ""):
        run = _run("--shares", shares)
        assert run.returncode == 2
        assert "--shares must be whole numbers from 0 to 20" in run.stderr
        assert "share " not in run.stdout
