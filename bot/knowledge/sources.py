"""knowledge/sources.yaml: who says things, with a name per language and a type."""

from __future__ import annotations

from pathlib import Path

from ..model import SOURCE_TYPES, Source
from ..yamlsource import LineDict, line_of
from .collector import Collector
from .fields import check_keys, lang_text
from .rules import ID


def load_sources(c: Collector, path: Path) -> dict[str, Source]:
    """The valid sources by id."""
    data = c.read(path)
    if data is None:
        return {}
    if not isinstance(data, LineDict) or not isinstance(data.get("sources"), dict):
        c.add(path, line_of(data), "expected a top-level 'sources:' mapping")
        return {}
    out: dict[str, Source] = {}
    for sid, entry in data["sources"].items():
        where = line_of(data["sources"], sid)
        if not ID.match(sid):
            c.add(path, where, f"source id '{sid}' must be lower_snake_case")
        if not isinstance(entry, LineDict):
            c.add(path, where, f"source '{sid}' must be a mapping with name and type")
            continue
        check_keys(c, path, entry, {"name", "type", "note"}, {"name", "type"}, f"source '{sid}'")
        name = lang_text(c, path, entry, "name", f"source '{sid}'")
        stype = entry.get("type")
        if "type" in entry and stype not in SOURCE_TYPES:
            c.add(path, line_of(entry, "type"), f"source '{sid}': type '{stype}' is not one of {', '.join(SOURCE_TYPES)}")
        if name:
            out[sid] = Source(sid, name, str(stype))
    return out
