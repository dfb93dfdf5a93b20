"""Telegram's message length, counted as Telegram counts it (UTF-16 code units), and the one way
every sender makes a text fit: HTML answers, plain texts, texts split into several messages.

`len()` counts code points: an emoji or a rare CJK character outside the Basic Multilingual
Plane is one code point but two UTF-16 units, so a text `len()` finds short enough can still be
refused by Telegram.
"""

from __future__ import annotations

import re

TELEGRAM_LIMIT = 4096  # UTF-16 code units per message
ELLIPSIS = "…"
_MARKUP = re.compile(r"<(/?)([a-z-]+)>|&(?:[a-z]+|#[0-9]+|#x[0-9a-fA-F]+);")  # what render.to_html writes


def telegram_length(text: str) -> int:
    """The length of `text` as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _units(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def shorten(text: str, limit: int = TELEGRAM_LIMIT) -> str:
    """Plain `text`, or its start and "…" when longer than `limit` UTF-16 code units."""
    if telegram_length(text) <= limit:
        return text
    used = 0
    for i, ch in enumerate(text):
        used += _units(ch)
        if used > limit - len(ELLIPSIS):
            return text[:i] + ELLIPSIS
    return text


def chunks(paragraphs: list[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Plain paragraphs joined into as few messages as fit `limit` each; a paragraph too long
    for one message is shortened."""
    out: list[str] = []
    for para in paragraphs:
        para = shorten(para, limit)
        if out and telegram_length(out[-1]) + 2 + telegram_length(para) <= limit:
            out[-1] += "\n\n" + para
        else:
            out.append(para)
    return out


def fit_html(text: str, limit: int = TELEGRAM_LIMIT) -> str:
    """Telegram HTML within `limit`: whole trailing paragraphs dropped, else whole trailing lines,
    else cut between tags and entities (never inside one) with its open tags closed and "…" added."""
    return text if telegram_length(text) <= limit else _cut_html(text, limit)


def _cut_html(text: str, limit: int) -> str:
    """The longest prefix that fits: up to a paragraph break outside any tag when there is one,
    else a line break, else a space, else anywhere between tags and entities."""
    open_tags: list[str] = []
    used = 0  # UTF-16 units of text[:i]
    cuts: dict[str, tuple[int, tuple[str, ...]]] = {}
    pos = 0
    for token in [*_MARKUP.finditer(text), None]:
        end = token.start() if token else len(text)
        closing = sum(len(t) + 3 for t in open_tags)
        for i in range(pos, end + 1):
            if used > limit:
                break
            if i and not open_tags and text.startswith("\n\n", i):
                cuts["paragraph"] = (i, ())
            elif i and not open_tags and text.startswith("\n", i):
                cuts["line"] = (i, ())
            if used + closing + len(ELLIPSIS) <= limit:
                if i and text.startswith(" ", i):
                    cuts["space"] = (i, tuple(open_tags))
                cuts["any"] = (i, tuple(open_tags))
            if i < end:
                used += _units(text[i])
        else:
            if token is not None:
                used += len(token.group(0))
                if token.group(2):
                    if token.group(1):
                        open_tags.pop()
                    else:
                        open_tags.append(token.group(2))
                pos = token.end()
                continue
        break
    for kind in ("paragraph", "line"):
        if kind in cuts:
            return text[: cuts[kind][0]]
    at, tags = cuts.get("space") or cuts.get("any") or (0, ())
    return text[:at] + ELLIPSIS + "".join(f"</{t}>" for t in reversed(tags))
