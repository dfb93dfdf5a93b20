"""intents/asked.yaml: questions real people asked in public, each with its source, used as
examples: of their intent, or (intent null) of what the bot has no facts on.

They teach the matcher how people write, where the examples in intents/<id>.yaml are ours.
The other part of the same collection is kept for measuring (tests/real/).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..matching import NEGATIVE
from ..model import Example, Intent
from ..yamlsource import LineDict, line_of
from .collector import Collector
from .rules import LANGS

KINDS = ("forum", "comment", "faq", "headline", "liveblog", "qa")
_KEYS = {"text", "intent", "lang", "kind", "source", "also_ok"}


def with_asked(
    c: Collector, path: Path, intents: dict[str, Intent], negatives: tuple[Example, ...]
) -> tuple[dict[str, Intent], tuple[Example, ...]]:
    """`intents` and `negatives` with the asked questions of `path` added; unchanged when absent."""
    if not path.exists():
        return intents, negatives
    data = c.read(path)
    if data is None:
        return intents, negatives
    if not isinstance(data, list):
        c.add(path, 1, "expected a list of {text, intent, lang, kind, source} items")
        return intents, negatives
    added: dict[str, list[Example]] = {}
    others: list[Example] = []
    for pos, item in enumerate(data):
        line = data.item_lines[pos] if hasattr(data, "item_lines") else 1
        example = _example(c, path, line, item, intents)
        if example is not None:
            (others if example.intent == NEGATIVE else added.setdefault(example.intent, [])).append(example)
    merged = {iid: replace(i, examples=i.examples + tuple(added.get(iid, ()))) for iid, i in intents.items()}
    return merged, negatives + tuple(others)


def _example(c: Collector, path: Path, line: int, item: object, intents: dict[str, Intent]) -> Example | None:
    if not isinstance(item, LineDict):
        c.add(path, line, "each item is {text, intent, lang, kind, source}")
        return None
    unknown = sorted(set(item) - _KEYS)
    if unknown:
        c.add(path, line, f"unknown key(s) {', '.join(unknown)}: expected {', '.join(sorted(_KEYS))}")
    text, intent, lang = item.get("text"), item.get("intent"), item.get("lang")
    if not isinstance(text, str) or not text.strip():
        c.add(path, line, "'text' must be the question as it was asked")
        return None
    if intent is not None and intent not in intents and intent in c.unparsed_in(path.parent):
        return None  # its intent's file could not be read: that one error says it
    if "intent" not in item or (intent is not None and intent not in intents):
        c.add(path, line_of(item, "intent"), f"intent {intent!r} is not an intent id (null: out of scope)")
        return None
    if lang not in LANGS:
        c.add(path, line_of(item, "lang"), f"lang {lang!r} must be one of {', '.join(LANGS)}")
        return None
    if item.get("kind") not in KINDS:
        c.add(path, line_of(item, "kind"), f"kind must be one of {', '.join(KINDS)}")
    source = item.get("source")
    if not isinstance(source, str) or not source.startswith(("http://", "https://")):
        c.add(path, line_of(item, "source"), "source must be the address of the page the question was asked on")
    return Example(intent or NEGATIVE, text.strip(), lang)
