"""Real questions the matcher was never tuned on (tests/real/holdout.yaml): questions people
asked in public (forums, comments, explainer FAQs, headlines), each with its source.

The goal is 90 % of the in-scope questions answered with a right intent and 90 % of the others
refused, in English and in Arabic, Russian and Ukrainian together, no language below 85 %, and
at most 3 % of the in-scope questions with neither a right answer nor a right topic among the
buttons. The matcher is far from it (README, "Results"): the bars below are the figures it
reached, rounded down, so that a change that loses ground on unseen questions fails here.
Raise them as the matcher improves.

Never tune on this file: look at its errors and it becomes a development set (then collect a
fresh held-out set and split it with scripts/split_real_questions.py).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.evaluate import Report, evaluate, read_labelled

HOLDOUT = Path(__file__).resolve().parent / "real" / "holdout.yaml"
GROUPS = {"en": ("en",), "ar+ru+uk": ("ar", "ru", "uk")}
IN_SCOPE = {"en": 0.70, "ar+ru+uk": 0.65}
OUT_OF_SCOPE = {"en": 0.77, "ar+ru+uk": 0.72}
LANGUAGE = {"ar": (0.67, 0.73), "ru": (0.60, 0.71), "uk": (0.72, 0.75)}  # (in scope, refused)
LOST = 0.11


@pytest.fixture(scope="module")
def items():
    return read_labelled(HOLDOUT)


@pytest.fixture(scope="module")
def reports(kb, items) -> dict[str, Report]:
    out = {name: evaluate(kb, [i for i in items if i.lang in langs]) for name, langs in GROUPS.items()}
    out.update({lang: evaluate(kb, [i for i in items if i.lang == lang]) for lang in ("ar", "ru", "uk")})
    # counts only: a failing test's traceback prints its arguments, and the misses must not be seen
    return {name: replace(r, per_intent={}, confusions=[], mistakes=[], by_language={}) for name, r in out.items()}


def figures(r: Report) -> str:
    # counts only: printing the misses would invite tuning on the held-out questions
    return (f"in scope {r.in_scope_correct}/{r.in_scope} ({r.in_scope_accuracy:.1%}), out of scope "
            f"{r.out_of_scope_rejected}/{r.out_of_scope} ({r.rejection_rate:.1%}), lost {r.in_scope_lost}")


def test_the_held_out_set_is_big_enough_and_sourced(items):
    assert len(items) >= 150
    for langs in GROUPS.values():
        group = [i for i in items if i.lang in langs]
        assert sum(i.intent is not None for i in group) >= 50 and sum(i.intent is None for i in group) >= 30


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_real_questions_are_answered_and_refused_right(reports, group):
    r = reports[group]
    assert r.in_scope_accuracy >= IN_SCOPE[group] and r.rejection_rate >= OUT_OF_SCOPE[group], f"{group}: {figures(r)}"


@pytest.mark.parametrize("lang", ["ar", "ru", "uk"])
def test_no_language_falls_below_its_floor(reports, lang):
    r = reports[lang]
    in_scope, refused = LANGUAGE[lang]
    assert r.in_scope_accuracy >= in_scope and r.rejection_rate >= refused, f"{lang}: {figures(r)}"


def test_few_in_scope_questions_get_neither_the_answer_nor_the_topic(reports):
    lost = sum(reports[g].in_scope_lost for g in GROUPS)
    total = sum(reports[g].in_scope for g in GROUPS)
    assert lost <= LOST * total, f"lost {lost}/{total}"
