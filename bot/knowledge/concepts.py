"""intents/aliases.yaml: the names the matcher recognises, in scope and out of scope."""

from __future__ import annotations

from pathlib import Path

from ..model import Concept
from ..normalize import normalize
from ..yamlsource import LineDict, line_of
from .collector import Collector
from .fields import check_keys, lang_text
from .rules import ID


def load_concepts(c: Collector, path: Path) -> tuple[dict[str, Concept], dict[str, LineDict]]:
    """The valid names by id, and each one's entry in the file (for the cross-checks' lines)."""
    lines: dict[str, LineDict] = {}
    data = c.read(path)
    if data is None:
        return {}, lines
    if not isinstance(data, LineDict):
        c.add(path, 1, "expected 'concepts:' and 'out_of_scope:' mappings")
        return {}, lines
    check_keys(c, path, data, {"concepts", "out_of_scope"}, {"concepts"}, "aliases file")
    out: dict[str, Concept] = {}
    seen_variant: dict[str, str] = {}
    for section, in_scope in (("concepts", True), ("out_of_scope", False)):
        block = data.get(section) or {}
        if not isinstance(block, dict):
            c.add(path, line_of(data, section), f"'{section}' must be a mapping of id to entry")
            continue
        for cid, entry in block.items():
            line = line_of(block, cid)
            if not ID.match(cid):
                c.add(path, line, f"name id '{cid}' must be lower_snake_case")
            if cid in out:
                c.add(path, line, f"name id '{cid}' is defined twice")
                continue
            if not isinstance(entry, LineDict):
                c.add(path, line, f"'{cid}' must be a mapping with kind and variants")
                continue
            check_keys(c, path, entry, {"kind", "variants", "default_intent", "name", "said_in"}, {"kind", "variants"},
                       f"'{cid}'")
            kind = entry.get("kind")
            if kind not in ("place", "person", "group", "topic"):
                c.add(path, line_of(entry, "kind"), f"'{cid}': kind must be place, person, group or topic")
            variants = entry.get("variants")
            if not isinstance(variants, list) or not all(isinstance(v, str) and v.strip() for v in variants):
                c.add(path, line_of(entry, "variants"), f"'{cid}': variants must be a list of names")
                continue
            for v in variants:
                key = normalize(v)
                if key in seen_variant and seen_variant[key] != cid:
                    c.add(path, line_of(entry, "variants"),
                          f"'{cid}': variant '{v}' is already a variant of '{seen_variant[key]}'")
                seen_variant[key] = cid
            name = lang_text(c, path, entry, "name", f"'{cid}'") if "name" in entry else {}
            said_in = entry.get("said_in")
            if said_in is not None and (not isinstance(said_in, list) or not all(isinstance(i, str) for i in said_in)):
                c.add(path, line_of(entry, "said_in"), f"'{cid}': said_in must be a list of intent ids ([] for none)")
                said_in = None
            out[cid] = Concept(cid, str(kind), tuple(variants), in_scope, entry.get("default_intent"), name,
                               tuple(said_in) if said_in is not None else None)
            lines[cid] = entry
    return out, lines
