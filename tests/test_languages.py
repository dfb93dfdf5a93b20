"""Questions in Arabic, Russian and Ukrainian: told apart, folded to comparable text."""

from __future__ import annotations

import pytest

from bot.language import detect
from bot.normalize import normalize


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
