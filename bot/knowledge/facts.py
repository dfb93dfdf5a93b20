"""knowledge/*.yaml besides sources.yaml: the facts, each with who asserts it, where and when."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..model import ASSERTIONS, Citation, Fact, Source
from ..yamlsource import LineDict, LineList, line_of
from .collector import Collector, shown
from .cross_check import cycles
from .fields import check_keys, id_list, lang_text, read_date
from .rules import ID

_FACT_KEYS = {"id", "statement", "asserted_by", "assertion", "sources", "event_date", "reported", "supersedes", "about",
              "note"}
_DATES = {"event_date", "reported"}
_FACT_REQUIRED = _FACT_KEYS - {"supersedes", "about", "note"} - _DATES
BACKGROUND = "background"  # the source type of curators' context: no event, no report, so no dates


def load_facts(
    c: Collector, paths: list[Path], sources: dict[str, Source], concepts: set[str] | None,
) -> tuple[dict[str, Fact], set[str]]:
    """The valid facts, and the ids of every fact defined (valid or not).

    `reported` is the day the publication the fact cites appeared; facts from curators'
    background (every outlet of type background) have no dates at all. `concepts`: the names
    `about` may use (None when intents/aliases.yaml could not be read: not checked).
    """
    facts: dict[str, Fact] = {}
    where: dict[str, tuple[Path, int]] = {}
    supersedes_line: dict[str, int] = {}
    for path in paths:
        data = c.read(path)
        if data is None:
            continue
        items = data.get("facts") if isinstance(data, LineDict) else None
        if not isinstance(items, list):
            c.add(path, line_of(data), "expected a top-level 'facts:' list")
            continue
        for pos, item in enumerate(items):
            line = items.item_lines[pos] if isinstance(items, LineList) else 1
            if not isinstance(item, LineDict):
                c.add(path, line, "each fact must be a mapping (id, statement, asserted_by, ...)")
                continue
            fid = item.get("id")
            what = f"fact '{fid}'" if fid else "fact"
            check_keys(c, path, item, _FACT_KEYS, _FACT_REQUIRED, what)
            if not isinstance(fid, str) or not ID.match(fid):
                if "id" in item:
                    c.add(path, line_of(item, "id"), f"fact id {fid!r} must be lower_snake_case")
                continue
            if fid in facts or fid in where:
                other = where[fid]
                c.add(path, line_of(item, "id"), f"duplicate fact id '{fid}' (first defined at {shown(other[0])}:{other[1]})")
                continue
            where[fid] = (path, line_of(item, "id"))
            statement = lang_text(c, path, item, "statement", what)
            by = item.get("asserted_by")
            if "asserted_by" in item and by not in sources:
                c.add(path, line_of(item, "asserted_by"), f"{what}: asserted_by '{by}' is not a source in knowledge/sources.yaml")
            assertion = item.get("assertion")
            if "assertion" in item and assertion not in ASSERTIONS:
                c.add(path, line_of(item, "assertion"), f"{what}: assertion '{assertion}' is not one of {', '.join(ASSERTIONS)}")
            cites = _citations(c, path, item, sources, what)
            background = bool(cites) and all(sources[ci.outlet].type == BACKGROUND for ci in cites)
            if background:
                for key in sorted(_DATES & set(item)):
                    c.add(path, line_of(item, key), f"{what}: background from the curators is no report: remove '{key}'")
            else:
                for key in sorted(_DATES - set(item)):
                    c.add(path, line_of(item), f"{what} is missing '{key}'")
            event = read_date(c, path, item, "event_date", what)
            reported = read_date(c, path, item, "reported", what)
            if event and reported and reported < event:
                c.add(path, line_of(item, "reported"), f"{what}: reported {reported} is before the event date {event}")
            supersedes = id_list(c, path, item, "supersedes", what)
            supersedes_line[fid] = line_of(item, "supersedes")
            about = id_list(c, path, item, "about", what)
            for cid in about:
                if concepts is not None and cid not in concepts:
                    c.add(path, line_of(item, "about"), f"{what}: about names '{cid}', which is not in intents/aliases.yaml")
            dated = background or (event and reported)
            if statement and by in sources and assertion in ASSERTIONS and cites and dated:
                facts[fid] = Fact(fid, statement, by, assertion, cites, event, reported, supersedes, about)
    for fid, fact in facts.items():
        path, line = where[fid][0], supersedes_line[fid]
        for old in fact.supersedes:
            if old == fid:
                c.add(path, line, f"fact '{fid}' supersedes itself")
            elif old not in where:
                c.add(path, line, f"fact '{fid}' supersedes '{old}', which is not defined")
            elif old in facts and (older := facts[old].reported) and fact.reported and older > fact.reported:
                c.add(path, line, f"fact '{fid}' supersedes '{old}', which was reported later ({facts[old].reported})")
    for cycle in cycles({fid: fact.supersedes for fid, fact in facts.items()}):
        chain = " -> ".join(f"'{f}'" for f in [*cycle, cycle[0]])
        c.add(where[cycle[0]][0], supersedes_line[cycle[0]],
              f"facts supersede each other in a cycle ({chain}): each would show under the other's \"Reported earlier\"")
    return facts, set(where)


def _citations(c: Collector, path: Path, item: LineDict, sources: dict[str, Source], what: str) -> tuple[Citation, ...]:
    value = item.get("sources")
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        c.add(path, line_of(item, "sources"), f"{what}: 'sources' must be a non-empty list of {{outlet, cites}}")
        return ()
    out = []
    for entry in value:
        if isinstance(entry, str):
            entry_obj: Any = LineDict(outlet=entry)
            entry_obj.line, entry_obj.key_lines = line_of(value), {}
            entry = entry_obj
        if not isinstance(entry, LineDict):
            c.add(path, line_of(value), f"{what}: each source must be a mapping with 'outlet'")
            continue
        check_keys(c, path, entry, {"outlet", "cites"}, {"outlet"}, f"{what} source")
        outlet, cites = entry.get("outlet"), entry.get("cites")
        ok = True
        for key, sid in (("outlet", outlet), ("cites", cites)):
            if sid is not None and sid not in sources:
                c.add(path, line_of(entry, key), f"{what}: {key} '{sid}' is not a source in knowledge/sources.yaml")
                ok = False
        if ok and outlet:
            out.append(Citation(outlet, cites))
    return tuple(out)


def superseded_by(facts: dict[str, Fact]) -> dict[str, tuple[str, ...]]:
    """{fact id: the ids of the facts that supersede it}."""
    out: dict[str, list[str]] = {}
    for fact in facts.values():
        for old in fact.supersedes:
            out.setdefault(old, []).append(fact.id)
    return {k: tuple(v) for k, v in out.items()}
