"""What no single file can check alone: every id one file names is defined in another."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ..yamlsource import LineDict, line_of
from .base import Parts
from .collector import Collector
from .rules import CONTRACT_INTENTS, MIN_EXAMPLES


def cross_check(
    c: Collector, parts: Parts, intent_files: dict[str, tuple[Path, LineDict]], concept_entries: dict[str, LineDict],
    intents_dir: Path,
) -> None:
    """Report intents naming unknown facts, intents or names, names pointing at unknown intents,
    too few examples, and missing contract intents.

    A file that could not be parsed (`c.unreadable`) defines what is unknown, so a name it might
    define is not called undefined (that would bury its one syntax error under follow-ons). An
    intent file defines the intent of its name; a file of knowledge/, any fact (without
    sources.yaml no fact is loaded); aliases.yaml, any name."""
    intents, concepts = parts.intents, parts.concepts
    facts_unknown = bool(c.unparsed_in(intents_dir.parent / "knowledge"))  # sources.yaml: none loaded
    concepts_unknown = "aliases" in c.unparsed_in(intents_dir)
    maybe_intents = set(intents) | c.unparsed_in(intents_dir)
    for iid, intent in intents.items():
        path, data = intent_files[iid]
        for fid in intent.facts:
            if fid not in parts.fact_ids and not facts_unknown:
                c.add(path, line_of(data, "facts"), f"intent '{iid}' uses fact '{fid}', which is not defined in knowledge/")
        for other in intent.follow_ups:
            if other not in maybe_intents:
                c.add(path, line_of(data, "follow_ups"), f"intent '{iid}': follow-up '{other}' is not an intent")
        for key in ("entities", "allows"):
            for cid in getattr(intent, key):
                if cid not in concepts and not concepts_unknown:
                    c.add(path, line_of(data, key), f"intent '{iid}': {key} names '{cid}', which is not in intents/aliases.yaml")
        n_en = sum(1 for e in intent.examples if e.lang == "en")
        if n_en < MIN_EXAMPLES:
            c.add(path, line_of(data, "examples"),
                  f"intent '{iid}' has {n_en} English examples; at least {MIN_EXAMPLES} are needed")
    for cid, concept in concepts.items():
        entry = concept_entries.get(cid)
        if concept.default_intent and concept.default_intent not in maybe_intents:
            c.add(intents_dir / "aliases.yaml", line_of(entry, "default_intent"),
                  f"'{cid}': default_intent '{concept.default_intent}' is not an intent")
        for iid in concept.said_in or ():
            if iid not in maybe_intents:
                c.add(intents_dir / "aliases.yaml", line_of(entry, "said_in"),
                      f"'{cid}': said_in names '{iid}', which is not an intent")
    for iid in CONTRACT_INTENTS:
        if iid not in maybe_intents:
            c.add(intents_dir / f"{iid}.yaml", 0, f"the contract intent '{iid}' has no definition")


def cycles(edges: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Every cycle of the graph `edges` (node -> nodes it points to; self-loops ignored), each
    once, as the list of its nodes starting from the one met first. Iterative: any length."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    found: list[list[str]] = []
    for start in edges:
        if start in state:
            continue
        path: list[str] = [start]
        todo = [iter(edges.get(start, ()))]
        state[start] = 1
        while todo:
            nxt = next(todo[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                todo.pop()
            elif nxt == path[-1] or nxt not in edges:
                continue
            elif state.get(nxt) == 1:
                found.append(path[path.index(nxt):])
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                todo.append(iter(edges.get(nxt, ())))
    return found
