"""Turn what people type into a plain, comparable string.

NFKC, case-fold, accents and Arabic diacritics off, Arabic letter variants folded (alef forms,
ta marbuta, alef maqsura, hamza seats, tatweel), Arabic-Indic digits to 0-9, invisible and
control characters out, Latin look-alikes in mixed-script words mapped back, punctuation and
emoji to spaces, the bot's own address (`/ask`, `/ask@bot`, `@bot`) removed, runs of a
repeated letter shortened.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Cyrillic and Greek letters that look like Latin ones; applied only inside words that also
# contain Latin letters, so genuine Cyrillic text is left alone.
_HOMOGLYPHS = str.maketrans(
    {
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
        "ј": "j", "ѕ": "s", "һ": "h", "к": "k", "м": "m", "т": "t", "в": "b", "н": "h",
        "α": "a", "ο": "o", "ρ": "p", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "τ": "t",
    }
)
_LATIN = re.compile(r"[a-z]")
_NON_LATIN_LOOKALIKE = re.compile(r"[аеорсухіјѕһкмтвнαορεικντ]")
_INVISIBLE = {"Cc", "Cf", "Co", "Cs", "Cn"}
_ASK = re.compile(r"^\s*/ask(@[a-z0-9_]+)?\b", re.IGNORECASE)
_COMMAND = re.compile(r"^\s*/([a-z_]+)(@[a-z0-9_]+)?\b", re.IGNORECASE)
_MENTION = re.compile(r"@[a-z0-9_]{3,}", re.IGNORECASE)
_REPEATS = re.compile(r"(\w)\1{2,}")
# Arabic letters people type interchangeably, folded to one form each; tatweel removed.
_ARABIC_FOLD = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي", "ـ": None,
    "ی": "ي", "ک": "ك",  # Persian/Urdu forms
    "ґ": "г",  # Ukrainian hard g, often typed as г
})
_APOSTROPHE_MARKS = "'’`ʼ"
_APOSTROPHES = re.compile(rf"(\w)[{_APOSTROPHE_MARKS}](\w)")


class _CharTable(dict):
    """A str.translate table filled on first sight of each character (translate runs in C)."""

    def __init__(self, rule):
        super().__init__()
        self._rule = rule

    def __missing__(self, code: int) -> str | None:
        value = self._rule(chr(code))
        self[code] = value
        return value


def _mark_rule(ch: str) -> str | None:
    return None if unicodedata.category(ch) == "Mn" else ch


_MARKS = _CharTable(_mark_rule)


def _strip_marks(text: str) -> str:
    return unicodedata.normalize("NFD", text).translate(_MARKS)


def _unmix(word: str) -> str:
    if _LATIN.search(word) and _NON_LATIN_LOOKALIKE.search(word):
        return word.translate(_HOMOGLYPHS)
    return word


def _keep(ch: str) -> str:
    """What a character becomes: letters and digits stay, invisible ones go, the rest is a space."""
    if ch.isdigit() and not ch.isascii():
        return str(unicodedata.digit(ch, 0)) if unicodedata.digit(ch, None) is not None else " "  # ٣ -> 3
    cat = unicodedata.category(ch)
    if cat in _INVISIBLE:
        return " " if ch in "\n\r\t" else ""
    if cat[0] in "LN":
        return ch
    if ch == "'":
        return ""
    return " "  # punctuation, symbols, emoji, separators


_KEEP = _CharTable(_keep)


def strip_address(text: str) -> str:
    """Remove a leading /ask (/ask@bot) and any @mentions; other commands become words."""
    if "/" in text:  # most messages have none: skip the regular expressions
        text = _ASK.sub(" ", text, count=1)
        text = _COMMAND.sub(r" \1 ", text, count=1)  # "/help" asks for help
    return _MENTION.sub(" ", text) if "@" in text else text


@lru_cache(maxsize=1 << 16)  # pure; loading normalises each name variant in several places
def normalize(text: str) -> str:
    """The canonical form the matcher compares: lower-case words separated by single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = strip_address(text)
    text = text.casefold()
    plain = text.isascii()  # most questions: no marks, folds or look-alikes to look for
    if not plain:
        text = _strip_marks(text)  # accents, Arabic harakat; also ё -> е, ї -> і, й -> и
        text = text.translate(_ARABIC_FOLD)
    if any(mark in text for mark in _APOSTROPHE_MARKS):
        text = _APOSTROPHES.sub(r"\1\2", text)  # "what's" -> "whats", "assad's" -> "assads"
    text = text.translate(_KEEP)
    if _REPEATS.search(text):
        text = _REPEATS.sub(r"\1\1", text)  # "wheeeere" -> "wheere"
    words = text.split()
    # only a word with both Latin letters and look-alikes changes: most texts have no such word
    mixed = not plain and _LATIN.search(text) and _NON_LATIN_LOOKALIKE.search(text)
    return " ".join(map(_unmix, words) if mixed else words)
