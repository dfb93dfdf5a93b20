"""What no single file can check alone: every id one file names is defined in another."""

from __future__ import annotations

from pathlib import Path

from ..yamlsource import LineDict, line_of
from .base import Parts
from .collector import Collector
from .rules import CONTRACT_INTENTS, MIN_EXAMPLES


def cross_check(
    c: Collector, parts: Parts, intent_files: dict[str, tuple[Path, LineDict]], default_intent_lines: dict[str, int],
    intents_dir: Path,
) -> None:
    """Report intents naming unknown facts, intents or names, too few examples, and missing contract intents."""
    intents, concepts = parts.intents, parts.concepts
    for iid, intent in intents.items():
        path, data = intent_files[iid]
        for fid in intent.facts:
            if fid not in parts.fact_ids:
                c.add(path, line_of(data, "facts"), f"intent '{iid}' uses fact '{fid}', which is not defined in knowledge/")
        for other in intent.follow_ups:
            if other not in intents:
                c.add(path, line_of(data, "follow_ups"), f"intent '{iid}': follow-up '{other}' is not an intent")
        for key in ("entities", "allows"):
            for cid in getattr(intent, key):
                if cid not in concepts:
                    c.add(path, line_of(data, key), f"intent '{iid}': {key} names '{cid}', which is not in intents/aliases.yaml")
        n_en = sum(1 for e in intent.examples if e.lang == "en")
        if n_en < MIN_EXAMPLES:
            c.add(path, line_of(data, "examples"),
                  f"intent '{iid}' has {n_en} English examples; at least {MIN_EXAMPLES} are needed")
    for cid, concept in concepts.items():
        if concept.default_intent and concept.default_intent not in intents:
            c.add(intents_dir / "aliases.yaml", default_intent_lines.get(cid, 1),
                  f"'{cid}': default_intent '{concept.default_intent}' is not an intent")
    for iid in CONTRACT_INTENTS:
        if iid not in intents:
            c.add(intents_dir / f"{iid}.yaml", 0, f"the contract intent '{iid}' has no definition")
