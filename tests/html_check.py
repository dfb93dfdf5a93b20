"""A strict checker for the HTML the bot sends with `parse_mode=HTML`.

Telegram's own parser is lenient in places (it accepts a bare `>`, and guesses at some broken
markup); this one is not, so a reply it accepts is accepted by Telegram too:

- only the tags in `ALLOWED` (by default b, i, u, s, a, code, pre, tg-spoiler, blockquote);
- every tag closed, in order (properly nested), none left open at the end;
- attributes only where Telegram has them (`<a href="...">`, `<code class="language-x">`
  inside `<pre>`, `<blockquote expandable>`), double-quoted, with escaped values;
- nothing nested inside `code` or `pre` but `<pre><code>`, and no link inside a link;
- every `&`, `<` and `>` of the text escaped: as `&amp;`, `&lt;`, `&gt;`, `&quot;` or a
  numeric entity (`&#60;`, `&#x3C;`) of a valid code point;
- at most 4096 characters of text after parsing, counted in UTF-16 code units as Telegram
  counts them (and, stricter, at most 4096 characters of markup as sent).

`check(html)` returns the text a reader sees; `HtmlError` says what is wrong and where.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TELEGRAM_LIMIT = 4096
ALLOWED = frozenset({"b", "i", "u", "s", "a", "code", "pre", "tg-spoiler", "blockquote"})
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_TAG = re.compile(r"<(/?)([a-z][a-z0-9-]*)((?:\s+[a-z-]+(?:=\"[^\"<>]*\")?)*)\s*>")
_ATTR = re.compile(r"\s+([a-z-]+)(?:=\"([^\"<>]*)\")?")
_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_CODE_CLASS = re.compile(r"^language-[A-Za-z0-9_+#.-]+$")
_HREF = re.compile(r"^(https?://|tg://|mailto:)\S+$")


class HtmlError(ValueError):
    """Not valid Telegram HTML; `position` is the offset in the markup."""

    def __init__(self, html: str, position: int, problem: str):
        self.position = position
        self.problem = problem
        around = html[max(0, position - 30): position + 30]
        super().__init__(f"{problem} at offset {position}: ...{around!r}...")


@dataclass(frozen=True)
class _Open:
    name: str
    position: int


def check(html: str, allowed: frozenset[str] = ALLOWED, limit: int = TELEGRAM_LIMIT) -> str:
    """Validate `html` as Telegram HTML; return the visible text. Raise HtmlError if invalid."""
    if len(html) > limit:
        raise HtmlError(html, limit, f"{len(html)} characters of markup, over the {limit}-character limit")
    visible: list[str] = []
    stack: list[_Open] = []
    pos = 0
    while pos < len(html):
        ch = html[pos]
        if ch == "<":
            match = _TAG.match(html, pos)
            if not match:
                raise HtmlError(html, pos, "unescaped '<' (not a well-formed tag)")
            _tag(html, match, stack, allowed)
            pos = match.end()
        elif ch == "&":
            match = _ENTITY.match(html, pos)
            if not match:
                raise HtmlError(html, pos, "unescaped '&' (not &amp; &lt; &gt; &quot; or a numeric entity)")
            visible.append(_entity_text(html, match))
            pos = match.end()
        elif ch == ">":
            raise HtmlError(html, pos, "unescaped '>'")
        else:
            visible.append(ch)
            pos += 1
    if stack:
        raise HtmlError(html, stack[-1].position, f"<{stack[-1].name}> is never closed")
    text = "".join(visible)
    units = len(text.encode("utf-16-le")) // 2
    if units > limit:
        raise HtmlError(html, 0, f"{units} UTF-16 code units of text, over the {limit} limit")
    if not text.strip():
        raise HtmlError(html, 0, "no visible text (Telegram refuses an empty message)")
    return text


def _tag(html: str, match: re.Match, stack: list[_Open], allowed: frozenset[str]) -> None:
    closing, name, attrs = match.group(1) == "/", match.group(2), match.group(3)
    pos = match.start()
    if name not in allowed:
        raise HtmlError(html, pos, f"tag <{name}> is not allowed (only {', '.join(sorted(allowed))})")
    if closing:
        if attrs.strip():
            raise HtmlError(html, pos, f"closing tag </{name}> has attributes")
        if not stack:
            raise HtmlError(html, pos, f"</{name}> closes nothing")
        if stack[-1].name != name:
            raise HtmlError(html, pos, f"</{name}> closes <{stack[-1].name}> (tags must nest)")
        stack.pop()
        return
    open_names = [o.name for o in stack]
    in_code = bool(open_names) and open_names[-1] == "code"
    code_in_pre = name == "code" and bool(open_names) and open_names[-1] == "pre"
    if in_code or ("pre" in open_names and not code_in_pre):
        raise HtmlError(html, pos, f"<{name}> inside code/pre")
    if name == "a" and "a" in open_names:
        raise HtmlError(html, pos, "a link inside a link")
    found = {m.group(1): m.group(2) for m in _ATTR.finditer(attrs)}
    if len(found) != len(_ATTR.findall(attrs)):
        raise HtmlError(html, pos, f"<{name}> repeats an attribute")
    for value in found.values():
        if value is not None:
            _attribute_value(html, pos, value)
    if name == "a":
        if set(found) != {"href"} or not _HREF.match(_unescape(found["href"] or "")):
            raise HtmlError(html, pos, "<a> needs exactly one href with an http(s), tg or mailto URL")
    elif name == "code" and found:
        if set(found) != {"class"} or not open_names or open_names[-1] != "pre" or not _CODE_CLASS.match(found["class"] or ""):
            raise HtmlError(html, pos, "<code> may only carry class=\"language-...\" inside <pre>")
    elif name == "blockquote" and found:
        if set(found) != {"expandable"} or found["expandable"] is not None:
            raise HtmlError(html, pos, "<blockquote> may only carry a bare 'expandable'")
    elif found:
        raise HtmlError(html, pos, f"<{name}> takes no attributes")
    stack.append(_Open(name, pos))


def _attribute_value(html: str, pos: int, value: str) -> None:
    for i, ch in enumerate(value):
        if ch == "&" and not _ENTITY.match(value, i):
            raise HtmlError(html, pos, "unescaped '&' in an attribute value")


def _entity_text(html: str, match: re.Match) -> str:
    named, dec, hexa = match.groups()
    if named:
        return NAMED_ENTITIES[named]
    code = int(dec) if dec else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise HtmlError(html, match.start(), f"numeric entity {match.group(0)} is not a valid character")
    return chr(code)


def _unescape(value: str) -> str:
    def one(m: re.Match) -> str:
        named, dec, hexa = m.groups()
        return NAMED_ENTITIES[named] if named else chr(int(dec) if dec else int(hexa, 16))

    return _ENTITY.sub(one, value)


def is_valid(html: str, allowed: frozenset[str] = ALLOWED) -> bool:
    try:
        check(html, allowed)
    except HtmlError:
        return False
    return True
