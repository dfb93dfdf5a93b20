"""Which script a text is written in: Latin, Arabic or Cyrillic.

One rule for a character (Unicode's name for it: "ARABIC ...", "CYRILLIC ...", or an ASCII
letter), and from it the script of a whole text, for language detection and for matching
(a question is compared with the examples written in its script).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

LATIN, ARABIC, CYRILLIC = "lat", "ar", "cyr"
# The script each supported language is written in.
LANGUAGE_SCRIPT = {"en": LATIN, "ar": ARABIC, "ru": CYRILLIC, "uk": CYRILLIC}


@lru_cache(maxsize=8192)
def script_of_char(ch: str) -> str:
    """"lat", "ar" or "cyr" for a letter of that script (digits count too: "٣" is Arabic);
    "" for anything else (ASCII digits, punctuation, other scripts)."""
    name = unicodedata.name(ch, "")
    if name.startswith("ARABIC"):
        return ARABIC
    if name.startswith("CYRILLIC"):
        return CYRILLIC
    if ch.isascii() and ch.isalpha():
        return LATIN
    return ""


def script_of(text: str) -> str | None:
    """The one script `text` is written in; None when it has none or several. Characters of no
    script are left out: "assad 2024" is Latin."""
    if text.isascii():
        return LATIN if any(ch.isalpha() for ch in text) else None
    found = {script_of_char(ch) for ch in set(text)}
    found.discard("")
    return found.pop() if len(found) == 1 else None
