"""Which language a question is written in: ar, ru, uk, en, or None when it cannot tell.

By script first (Arabic, Cyrillic, Latin letters), then, within Cyrillic, by the letters and
everyday words that tell Ukrainian from Russian, and within Latin, by the digits-as-letters and
words of Arabic typed in Latin letters ("wen bashar hala2").
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+", re.UNICODE)
_UK_LETTERS = set("іїєґ")
_RU_LETTERS = set("ыэъё")
_UK_WORDS = frozenset("що де як чи хто зараз він вона це та який яка коли чому куди ще його її вже тут там є".split())
_RU_WORDS = frozenset("что где как ли кто сейчас он она это и какой какая когда почему куда еще его ее уже тут там есть чо че щас".split())
# Arabic in Latin letters: digits standing for letters (3 = ع, 7 = ح, 2 = ء), and common words.
_ARABIZI_DIGIT_WORD = re.compile(r"^(?=.*[a-z])[a-z]*[235789][a-z]+[0-9a-z]*$|^[a-z]+[235789]$")
_ARABIZI_WORDS = frozenset(
    "shu shou sho wen wein wayn wain meen min mnin lesh leish laysh kif keef kaif shlon halla hala2 halaa "
    "hal2 ya3ni yani 3am 3ala 3a fi fe mesh mish ma3 bel bil wala ya akh habibi inno enno hay hayda "
    "haida hek heik sar saar ba3d lissa lesa tayeb tayib ams bukra mbare7 ento entu ana enta inta".split()
)
SUPPORTED = ("en", "ar", "ru", "uk")


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    if name.startswith("ARABIC"):
        return "ar"
    if name.startswith("CYRILLIC"):
        return "cyr"
    if ch.isascii() and ch.isalpha():
        return "lat"
    return ""


def detect(text: str) -> str | None:
    """The language of `text`, or None when it is too short or mixed to tell (a bare name)."""
    counts = {"ar": 0, "cyr": 0, "lat": 0}
    for ch in text:
        script = _script(ch)
        if script:
            counts[script] += 1
    script, letters = max(counts.items(), key=lambda kv: kv[1])
    if letters == 0:
        return None
    words = [w.lower() for w in _WORD.findall(text)]
    if script == "ar":
        return "ar"
    if script == "cyr":
        lowered = text.lower()
        uk = sum(ch in _UK_LETTERS for ch in lowered) * 2 + sum(w in _UK_WORDS for w in words)
        ru = sum(ch in _RU_LETTERS for ch in lowered) * 2 + sum(w in _RU_WORDS for w in words)
        if uk > ru:
            return "uk"
        if ru > uk:
            return "ru"
        return None  # "Асад?": Cyrillic, but which language?
    arabizi = sum(1 for w in words if w in _ARABIZI_WORDS or _ARABIZI_DIGIT_WORD.match(w))
    if arabizi and arabizi * 3 >= len(words):
        return "ar"
    latin_words = [w for w in words if w.isascii() and w.isalpha()]
    return "en" if len(latin_words) >= 2 else None
