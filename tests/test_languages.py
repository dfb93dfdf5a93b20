"""Questions in Arabic, Russian and Ukrainian: told apart, folded to comparable text."""

from __future__ import annotations

import shutil
import unicodedata
from datetime import date

import pytest

from bot.answer import answer
from bot.knowledge import KnowledgeError, load
from bot.language import detect
from bot.normalize import normalize
from bot.render import format_date, to_html, to_text

from .conftest import ROOT


@pytest.mark.parametrize(
    "text, lang",
    [
        ("where is assad now?", "en"),
        ("وين بشار هلق؟", "ar"),
        ("مين مسيطر على Homs", "ar"),  # mixed: mostly Arabic
        ("wen bashar hala2", "ar"),  # Arabic in Latin letters
        ("meen msaytar 3a 7oms", "ar"),
        ("где сейчас Асад?", "ru"),
        ("кто контролирует homs", "ru"),
        ("де зараз Асад?", "uk"),
        ("хто контролює Хомс", "uk"),
        ("Асад?", None),  # a bare name: the user's Telegram language decides
        ("assad", None),
        ("🤔", None),
    ],
)
def test_the_language_of_a_question_is_recognised(text, lang):
    assert detect(text) == lang


@pytest.mark.parametrize(
    "typed, folded",
    [
        ("وين بَشّار الأسد؟", "وين بشار الاسد"),  # harakat off, hamza on alef folded
        ("إدلب", "ادلب"),
        ("آذار", "اذار"),
        ("مدينة", "مدينه"),  # ta marbuta
        ("على", "علي"),  # alef maqsura
        ("حـــمص", "حمص"),  # tatweel
        ("٨ ديسمبر ٢٠٢٤", "8 ديسمبر 2024"),  # Arabic-Indic digits
        ("Ёлки, где Асад?", "елки где асад"),
        ("Де Ґанок і Київ", "де ганок і киів"),
    ],
)
def test_script_variants_are_folded_for_matching(typed, folded):
    assert normalize(typed) == folded


# -- answering in the language of the question ---------------------------------------------------
TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    "question, lang, intent, outlet",
    [
        ("وين بشار الأسد هلق؟", "ar", "assad_whereabouts", "تاس"),
        ("wen bashar hala2", "ar", "assad_whereabouts", "تاس"),
        ("где сейчас Асад?", "ru", "assad_whereabouts", "ТАСС"),
        ("де зараз Асад?", "uk", "assad_whereabouts", "ТАСС"),
        ("кто контролирует хомс", "ru", "homs_control", "Рейтер"),
        ("хто контролює Хомс?", "uk", "homs_control", "Reuters"),
        ("مين مسيطر على حمص", "ar", "homs_control", "رويترز"),
    ],
)
def test_a_question_is_answered_in_its_language_with_sources_and_date(kb, question, lang, intent, outlet):
    reply = answer(kb, question, lang="en", today=TODAY)
    assert (reply.intent, reply.lang) == (intent, lang)
    text = to_text(kb, reply)
    assert outlet in text
    assert kb.text("as_of", lang, date=format_date(kb, reply.as_of, lang)) in text  # the as-of line, translated
    assert "Reported earlier" not in text and "Sources:" not in text  # no English left


def test_arabic_answers_start_right_to_left(kb):
    html = to_html(kb, answer(kb, "وين الأسد", today=TODAY))
    first_letter = next(ch for ch in html if ch.isalpha())
    assert unicodedata.bidirectional(first_letter) == "AL"  # Telegram lays the message out RTL


@pytest.mark.parametrize(
    "question, lang, name",
    [("مين مسيطر على حلب", "ar", "حلب"), ("кто контролирует алеппо", "ru", "Алеппо"), ("де зараз путін", "uk", "Путін"),
     ("شو قال مظلوم عبدي", "ar", "مظلوم عبدي"), ("что сказал мазлум абди", "ru", "Мазлум Абди")],
)
def test_near_misses_are_refused_in_every_language(kb, question, lang, name):
    reply = answer(kb, question, today=TODAY)
    assert reply.intent is None and reply.lang == lang
    assert name in to_text(kb, reply)


def test_a_bare_name_is_answered_in_the_users_telegram_language(kb):
    assert answer(kb, "Асад?", lang="uk").lang == "uk"
    assert answer(kb, "Асад?", lang="ru").lang == "ru"
    assert answer(kb, "assad", lang="ar").lang == "ar"
    assert answer(kb, "assad", lang="de").lang == "en"  # a language we do not speak


def test_a_missing_translation_is_caught_at_load(tmp_path):
    for part in ("knowledge", "intents", "locales"):
        shutil.copytree(ROOT / part, tmp_path / part)
    path = tmp_path / "knowledge" / "i18n" / "ru.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  homs_rebels_declare_control:")
    end = text.index("\n  ", start + 5)
    path.write_text(text[:start] + text[end + 1:], encoding="utf-8")
    (tmp_path / "locales" / "uk.yaml").write_text(
        "\n".join(line for line in (ROOT / "locales" / "uk.yaml").read_text(encoding="utf-8").splitlines()
                  if not line.startswith("  as_of:")) + "\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as err:
        load(tmp_path)
    errors = "\n".join(err.value.errors)
    assert "fact 'homs_rebels_declare_control' has no ru translation" in errors
    assert "interface text 'as_of' has no uk translation" in errors


@pytest.mark.parametrize("question", ["bashar hereb 3ala moscow?", "wen maher el assad", "rah ywa2e3 el nizam?"])
def test_arabizi_from_an_arabic_speaker_is_answered_in_arabic(kb, question):
    assert answer(kb, question, lang="ar", today=TODAY).lang == "ar"


def test_english_from_an_arabic_speaker_is_still_answered_in_english(kb):
    assert answer(kb, "where is assad now", lang="ar", today=TODAY).lang == "en"
