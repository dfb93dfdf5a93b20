"""scripts/label_agreement.py: a second labelling scored against the held-out labels as if it
were the bot; counts only; a file it cannot read is a clear error."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import yaml

from bot.evaluate import read_labelled

from .conftest import ROOT

SCRIPT = ROOT / "scripts" / "label_agreement.py"


def _module():
    spec = importlib.util.spec_from_file_location("label_agreement", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write(path, items):
    path.write_text(yaml.safe_dump(items, allow_unicode=True), encoding="utf-8")
    return path


def test_the_second_labelling_is_scored_with_the_bots_measures(tmp_path):
    first = _write(tmp_path / "first.yaml", [
        {"text": "Rebels enter Homs", "intent": "homs_capture", "also_ok": ["homs_control"], "lang": "en"},
        {"text": "Who holds Homs now?", "intent": "homs_control", "lang": "en"},
        {"text": "Bread prices in Damascus", "intent": None, "lang": "en"},
        {"text": "Weather in Aleppo", "intent": None, "lang": "en"},
        {"text": "أين الأسد؟", "intent": "assad_whereabouts", "lang": "ar"},
    ])
    second = _write(tmp_path / "second.yaml", [
        {"text": "Rebels enter Homs ", "intent": "homs_control", "lang": "en"},  # an also_ok intent: right
        {"text": "Who holds Homs now?", "intent": None, "lang": "en"},  # called null: not right
        {"text": "Bread prices in Damascus", "intent": None, "lang": "en"},  # both null: refused
        {"text": "Weather in Aleppo", "intent": "damascus_status", "lang": "en"},  # not refused
        {"text": "أين الأسد؟", "intent": "assad_whereabouts", "lang": "ar"},
        {"text": "a question only the second labelled", "intent": None, "lang": "en"},
    ])
    figures = _module().agreement(read_labelled(first), read_labelled(second))
    assert figures["en"] == (1, 2, 1, 2)
    assert figures["ar+ru+uk"] == figures["ar"] == (1, 1, 0, 0)
    assert "ru" not in figures


def test_the_shipped_second_labelling_prints_counts_only():
    run = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    second = read_labelled(ROOT / "tests" / "real" / "second_labels.yaml")
    assert run.stdout.startswith(f"{len(second)} questions labelled twice; 0 not in holdout.yaml")
    assert [line.split()[0] for line in run.stdout.splitlines()[1:]] == ["en", "ar+ru+uk", "ar", "ru", "uk"]
    assert not [item for item in second if item.text.strip() in run.stdout]


def test_a_missing_file_is_a_clear_error(tmp_path):
    run = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "none.yaml")], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 2 and run.stderr.startswith("cannot read the labels:") and not run.stdout
