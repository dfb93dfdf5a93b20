"""Reading one field of a mapping, with an error at its line when it has the wrong shape."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from ..yamlsource import LineDict, line_of
from .collector import Collector
from .rules import LANGS


def check_keys(c: Collector, path: Path, obj: LineDict, allowed: set[str], required: set[str], what: str) -> None:
    """Report keys that are not `allowed` and `required` keys that are missing."""
    for key in obj:
        if key not in allowed:
            c.add(path, line_of(obj, key), f"unknown key '{key}' in {what} (allowed: {', '.join(sorted(allowed))})")
    for key in sorted(required - set(obj)):
        c.add(path, line_of(obj), f"{what} is missing '{key}'")


def lang_text(c: Collector, path: Path, obj: LineDict, key: str, what: str) -> dict[str, str]:
    """A text (English) or a mapping of language to text; {} when absent or wrong."""
    value = obj.get(key)
    if isinstance(value, str) and value.strip():
        return {"en": value.strip()}
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for lang, text in value.items():
            if lang not in LANGS:
                c.add(path, line_of(value, lang), f"{what}: unknown language '{lang}' (use {', '.join(LANGS)})")
            elif not isinstance(text, str) or not text.strip():
                c.add(path, line_of(value, lang), f"{what}: '{lang}' text must be non-empty text")
            else:
                out[lang] = " ".join(text.split())
        if "en" not in out and value is not None:
            c.add(path, line_of(obj, key), f"{what}: an English ('en') text is required")
        return out
    if key in obj:
        c.add(path, line_of(obj, key), f"{what}: '{key}' must be text or a mapping of language to text")
    return {}


def read_date(c: Collector, path: Path, obj: LineDict, key: str, what: str) -> date | None:
    """A YYYY-MM-DD date; None when absent or wrong."""
    value = obj.get(key)
    if isinstance(value, date) and not isinstance(value, datetime):  # a time of day would not compare with dates
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    if isinstance(value, datetime):
        c.add(path, line_of(obj, key), f"{what}: '{key}' must be a date YYYY-MM-DD without a time of day, got {value}")
    elif key in obj:
        c.add(path, line_of(obj, key), f"{what}: '{key}' must be a date YYYY-MM-DD, got {value!r}")
    return None


def id_list(c: Collector, path: Path, obj: LineDict, key: str, what: str) -> tuple[str, ...]:
    """A list of ids (one id alone is a list of one); () when absent or wrong."""
    value = obj.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        c.add(path, line_of(obj, key), f"{what}: '{key}' must be a list of ids")
        return ()
    return tuple(value)
