"""scripts/split_real_questions.py: real questions go to training or held out by their page,
the questions of one page together; a round can be held out whole; re-running changes nothing."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT


@pytest.fixture
def split(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("split_real_questions", ROOT / "scripts" / "split_real_questions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "TARGETS", ((0.5, tmp_path / "holdout.yaml", "held out"),
                                            (1.0, tmp_path / "asked.yaml", "training")))
    return module


def _collection(path: Path, pages: int, per_page: int = 2) -> Path:
    items = [{"text": f"where is assad {p} {n}", "intent": "assad_whereabouts", "lang": "en", "kind": "forum",
              "source": f"https://example.org/{p}"} for p in range(pages) for n in range(per_page)]
    path.write_text(yaml.safe_dump(items, allow_unicode=True), encoding="utf-8")
    return path


def _read(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or [] if path.exists() else []


def test_a_pages_questions_stay_together_and_re_running_changes_nothing(split, tmp_path):
    collected = _collection(tmp_path / "round.yaml", pages=20)
    split.main([str(collected)])
    held, asked = _read(tmp_path / "holdout.yaml"), _read(tmp_path / "asked.yaml")
    assert len(held) + len(asked) == 40 and held and asked
    assert not {q["source"] for q in held} & {q["source"] for q in asked}
    before = (tmp_path / "holdout.yaml").read_text(), (tmp_path / "asked.yaml").read_text()
    split.main([str(collected)])
    assert ((tmp_path / "holdout.yaml").read_text(), (tmp_path / "asked.yaml").read_text()) == before


def test_a_round_held_out_whole_adds_nothing_to_training(split, tmp_path):
    split.main([str(_collection(tmp_path / "first.yaml", pages=10))])
    asked = _read(tmp_path / "asked.yaml")
    later = tmp_path / "later.yaml"
    items = [{"text": f"кто контролирует хомс {n}", "intent": "homs_control", "lang": "ru", "kind": "comment",
              "source": f"https://example.org/later/{n}"} for n in range(12)]
    later.write_text(yaml.safe_dump(items, allow_unicode=True), encoding="utf-8")
    split.main(["--held-out", str(later)])
    assert _read(tmp_path / "asked.yaml") == asked
    held_texts = {q["text"] for q in _read(tmp_path / "holdout.yaml")}
    assert {q["text"] for q in items} <= held_texts


def test_a_round_trained_on_whole_adds_nothing_to_the_held_out_set(split, tmp_path):
    split.main([str(_collection(tmp_path / "first.yaml", pages=10))])
    held = (tmp_path / "holdout.yaml").read_text()
    later = tmp_path / "later.yaml"
    items = [{"text": f"де зараз асад {n}", "intent": "assad_whereabouts", "lang": "uk", "kind": "headline",
              "source": f"https://example.org/trained/{n}"} for n in range(12)]
    later.write_text(yaml.safe_dump(items, allow_unicode=True), encoding="utf-8")
    split.main(["--training", str(later)])
    assert (tmp_path / "holdout.yaml").read_text() == held
    assert {q["text"] for q in items} <= {q["text"] for q in _read(tmp_path / "asked.yaml")}


def test_held_out_and_training_together_are_refused(split, tmp_path, capsys):
    collected = _collection(tmp_path / "round.yaml", pages=2)
    with pytest.raises(SystemExit):
        split.main(["--held-out", "--training", str(collected)])
    assert "not allowed with" in capsys.readouterr().err
    assert not (tmp_path / "asked.yaml").exists() and not (tmp_path / "holdout.yaml").exists()
