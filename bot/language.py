"""Which language a question is written in: ar, ru, uk, en, or None when it cannot tell.

By script first (Arabic, Cyrillic, Latin letters), then, within Cyrillic, by the letters and
everyday words that tell Ukrainian from Russian, and within Latin, by the digits-as-letters and
words of Arabic typed in Latin letters ("wen bashar hala2").
"""

from __future__ import annotations

import math
import re
from collections import Counter

from .script import ARABIC, CYRILLIC, LATIN, script_of_char

_WORD = re.compile(r"\w+", re.UNICODE)
_UK_LETTERS = set("іїєґ")
_RU_LETTERS = set("ыэъё")
_UK_WORDS = frozenset("що де як чи хто зараз він вона це та який яка коли чому куди ще його її вже тут там є".split())
_RU_WORDS = frozenset(
    "что где как ли кто сейчас он она это и какой какая когда почему куда еще его ее уже тут там есть чо че щас".split()
)
# Arabic in Latin letters: digits standing for letters (3 = ع, 7 = ح, 2 = ء), and common words.
_ARABIZI_DIGIT_WORD = re.compile(r"^(?=.*[a-z])[a-z]*[235789][a-z]+[0-9a-z]*$|^[a-z]+[235789]$")
_ARABIZI_WORDS = frozenset(
    "shu shou sho wen wein wayn wain meen min mnin lesh leish laysh kif keef kaif shlon halla hala2 halaa "
    "hal2 ya3ni yani 3am 3ala 3a fi fe mesh mish ma3 bel bil wala ya akh habibi inno enno hay hayda "
    "haida hek heik sar saar ba3d lissa lesa tayeb tayib ams bukra mbare7 ento entu ana enta inta".split()
)
SUPPORTED = ("en", "ar", "ru", "uk")


class CyrillicModel:
    """Tells Russian from Ukrainian by letter trigrams, learnt from example questions.

    Used when the text has neither the letters nor the everyday words that settle it
    ("дамаск пал?" is Russian, "дамаск впав?" Ukrainian).
    """

    def __init__(self, samples: list[tuple[str, str]]):
        self._counts: dict[str, Counter[str]] = {"ru": Counter(), "uk": Counter()}
        for text, lang in samples:
            if lang in self._counts:
                self._counts[lang].update(_trigrams(text))
        self._totals = {lang: sum(c.values()) for lang, c in self._counts.items()}
        self._vocab = len(set(self._counts["ru"]) | set(self._counts["uk"])) or 1

    def __call__(self, text: str) -> str | None:
        if not all(self._totals.values()):
            return None
        grams = _trigrams(text)
        score = {
            lang: sum(math.log((self._counts[lang][g] + 1) / (self._totals[lang] + self._vocab)) for g in grams)
            for lang in self._counts
        }
        if abs(score["ru"] - score["uk"]) < 0.5:
            return None
        return max(score, key=score.__getitem__)


def _trigrams(text: str) -> list[str]:
    words = [w for w in _WORD.findall(text.lower()) if any(script_of_char(ch) == CYRILLIC for ch in w)]
    padded = [f" {w} " for w in words]
    return [w[i : i + 3] for w in padded for i in range(len(w) - 2)]


def detect(text: str, cyrillic: CyrillicModel | None = None, interface: str | None = None) -> str | None:
    """The language of `text`, or None when it is too short or mixed to tell (a bare name).

    Any Arabic or Cyrillic word makes it that language: people mix English names and terms
    into Arabic and Russian, hardly ever the other way round. From someone whose interface
    (`interface`, as Telegram sends it) is Arabic, one Arabizi word among English-looking ones
    ("bashar hereb 3ala moscow?") is enough: they type Arabic in Latin letters, not English.
    """
    counts = {ARABIC: 0, CYRILLIC: 0, LATIN: 0}
    for ch, n in Counter(text).items():  # each distinct character once: much faster
        script = script_of_char(ch)
        if script:
            counts[script] += n
    if not any(counts.values()):
        return None
    words = [w.lower() for w in _WORD.findall(text)]
    if counts[ARABIC] >= max(counts[CYRILLIC], 2) or (counts[ARABIC] and not counts[CYRILLIC]):
        return "ar"
    if counts[CYRILLIC]:
        lowered = text.lower()
        uk = sum(ch in _UK_LETTERS for ch in lowered) * 2 + sum(w in _UK_WORDS for w in words)
        ru = sum(ch in _RU_LETTERS for ch in lowered) * 2 + sum(w in _RU_WORDS for w in words)
        if uk != ru:
            return "uk" if uk > ru else "ru"
        return cyrillic(text) if cyrillic else None  # "Асад?": Cyrillic, but which language?
    arabizi = sum(1 for w in words if w in _ARABIZI_WORDS or _ARABIZI_DIGIT_WORD.match(w))
    if arabizi and (arabizi * 3 >= len(words) or interface == "ar"):
        return "ar"
    latin_words = [w for w in words if w.isascii() and w.isalpha()]
    return "en" if len(latin_words) >= 2 else None
