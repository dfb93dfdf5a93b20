"""intents/main_topics.yaml: the intents offered first (start buttons, help, out-of-scope replies), in order."""

from __future__ import annotations

from pathlib import Path

from ..model import Intent
from ..yamlsource import LineList, line_of
from .collector import Collector
from .fields import check_keys


def load_main_topics(c: Collector, path: Path, intents: dict[str, Intent]) -> tuple[str, ...]:
    """The main topics' intent ids in the file's order; each must be a known intent."""
    if not path.exists():
        c.add(path, 0, "missing: list the intents offered first under 'main_topics:'")
        return ()
    data = c.read_mapping(path, "expected 'main_topics:' with a list of intent ids")
    if data is None:
        return ()
    check_keys(c, path, data, {"main_topics"}, {"main_topics"}, "main topics file")
    items = data.get("main_topics")
    if not isinstance(items, list) or not items:
        if "main_topics" in data:
            c.add(path, line_of(data, "main_topics"), "'main_topics' must be a non-empty list of intent ids")
        return ()
    topics: list[str] = []
    for pos, iid in enumerate(items):
        line = items.item_lines[pos] if isinstance(items, LineList) else line_of(items)
        if not isinstance(iid, str) or iid not in intents:
            c.add(path, line, f"main topic {iid!r} is not an intent (intents/<id>.yaml)")
        elif iid in topics:
            c.add(path, line, f"main topic '{iid}' is listed twice")
        else:
            topics.append(iid)
    return tuple(topics)
