"""The issue's bar on the held-out questions in tests/devset.yaml: at least 95% of in-scope
questions reach the right intent, and at least 95% of out-of-scope ones are refused.

`python -m bot eval tests/devset.yaml` prints the same numbers with a per-intent table.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluate import Report, evaluate, read_labelled

DEVSET = Path(__file__).resolve().parent / "devset.yaml"
BAR = 0.95


@pytest.fixture(scope="module")
def report(kb) -> Report:
    return evaluate(kb, read_labelled(DEVSET))


def _misses(report: Report, in_scope: bool) -> str:
    rows = [(text, exp, got, conf) for text, exp, got, conf in report.mistakes if (exp is not None) == in_scope]
    return "\n".join(f"  {text!r}: expected {exp}, got {got} (confidence {conf:.2f})" for text, exp, got, conf in rows)


def test_devset_covers_every_intent_and_out_of_scope(kb, report):
    assert report.in_scope and report.out_of_scope
    missing = [iid for iid, row in report.per_intent.items() if not row["support"]]
    assert not missing, f"no devset questions for {missing}"


def test_in_scope_accuracy_meets_the_bar(report):
    assert report.in_scope_accuracy >= BAR, (
        f"in scope: {report.in_scope_correct}/{report.in_scope} matched to the right intent "
        f"({report.in_scope_accuracy:.1%}), below the bar of {BAR:.0%}. Misclassified:\n"
        + _misses(report, in_scope=True)
    )


def test_out_of_scope_rejection_meets_the_bar(report):
    assert report.rejection_rate >= BAR, (
        f"out of scope: {report.out_of_scope_rejected}/{report.out_of_scope} refused "
        f"({report.rejection_rate:.1%}), below the bar of {BAR:.0%}. Answered although out of scope:\n"
        + _misses(report, in_scope=False)
    )


# -- other languages (issue 4): at least 92% each way, per language --------------------------
LANG_BAR = 0.92
LANG_SETS = {lang: DEVSET.with_name(f"devset.{lang}.yaml") for lang in ("ar", "ru", "uk")}


@pytest.fixture(scope="module")
def lang_reports(kb) -> dict[str, Report]:
    return {lang: evaluate(kb, read_labelled(path)) for lang, path in LANG_SETS.items()}


@pytest.mark.parametrize("lang", sorted(LANG_SETS))
def test_each_language_meets_its_bar(lang_reports, lang):
    report = lang_reports[lang]
    assert report.in_scope >= 80 and report.out_of_scope >= 20, f"{lang}: too few labelled questions"
    assert report.in_scope_accuracy >= LANG_BAR, (
        f"{lang} in scope: {report.in_scope_correct}/{report.in_scope} ({report.in_scope_accuracy:.1%}) "
        f"below {LANG_BAR:.0%}:\n" + _misses(report, in_scope=True)
    )
    assert report.rejection_rate >= LANG_BAR, (
        f"{lang} out of scope: {report.out_of_scope_rejected}/{report.out_of_scope} refused "
        f"({report.rejection_rate:.1%}) below {LANG_BAR:.0%}:\n" + _misses(report, in_scope=False)
    )


@pytest.mark.parametrize("lang", sorted(LANG_SETS))
def test_answers_come_in_the_language_of_the_question(kb, lang):
    from bot.answer import answer

    items = [i for i in read_labelled(LANG_SETS[lang]) if i.intent and i.intent not in ("help",)]
    replies = [answer(kb, i.text, lang="en") for i in items]
    spoken = [r for r in replies if r.lang == lang]
    assert len(spoken) / len(replies) >= 0.9, f"only {len(spoken)}/{len(replies)} {lang} questions answered in {lang}"
    for reply in spoken:
        for fact in reply.facts:
            assert fact.text(lang) == fact.statement[lang]
