"""intents/out_of_scope.yaml: questions we have no facts on, which teach the matcher what a near miss looks like."""

from __future__ import annotations

from pathlib import Path

from ..matching import NEGATIVE
from ..model import Example
from ..yamlsource import LineDict, line_of
from .collector import Collector
from .fields import check_keys
from .rules import LANGS


def load_negatives(c: Collector, path: Path) -> tuple[Example, ...]:
    """The out-of-scope examples in every language; () when the file is absent."""
    if not path.exists():
        return ()
    data = c.read(path)
    if not isinstance(data, LineDict):
        c.add(path, 1, "expected 'examples:' mapping languages to lists of questions")
        return ()
    check_keys(c, path, data, {"id", "examples"}, {"examples"}, "out-of-scope examples")
    block = data.get("examples")
    if not isinstance(block, dict):
        c.add(path, line_of(data, "examples"), "examples must map languages to lists of questions")
        return ()
    out: list[Example] = []
    for lang, items in block.items():
        if lang not in LANGS or not isinstance(items, list) or not all(isinstance(t, str) for t in items):
            c.add(path, line_of(block, lang), f"'{lang}' must be one of {', '.join(LANGS)} with a list of questions")
            continue
        out.extend(Example(NEGATIVE, t.strip(), lang) for t in items if t.strip())
    return tuple(out)
