"""intents/<id>.yaml: one file per intent, with its label, facts, follow-ups, names and examples."""

from __future__ import annotations

from pathlib import Path

from ..model import Example, Intent
from ..yamlsource import LineDict, line_of
from .collector import Collector
from .fields import check_keys, id_list, lang_text
from .rules import ID, LANGS

_INTENT_KEYS = {"id", "label", "facts", "follow_ups", "entities", "allows", "examples"}


def load_intents(c: Collector, paths: list[Path]) -> tuple[dict[str, Intent], dict[str, tuple[Path, LineDict]]]:
    """The valid intents by id, and the file and mapping each came from (for the cross-checks)."""
    intents: dict[str, Intent] = {}
    raw: dict[str, tuple[Path, LineDict]] = {}
    for path in paths:
        data = c.read_mapping(path, "an intent file must be a mapping (id, label, facts, examples, ...)")
        if data is None:
            continue
        iid = data.get("id")
        check_keys(c, path, data, _INTENT_KEYS, {"id", "label", "examples"}, f"intent '{iid}'")
        if not isinstance(iid, str) or not ID.match(iid):
            c.add(path, line_of(data, "id"), f"intent id {iid!r} must be lower_snake_case")
            continue
        if iid != path.stem:
            c.add(path, line_of(data, "id"), f"intent id '{iid}' must match the file name ({path.stem}.yaml)")
        if iid in intents:
            c.add(path, line_of(data, "id"), f"intent '{iid}' is defined twice")
            continue
        label = lang_text(c, path, data, "label", f"intent '{iid}'")
        examples = _examples(c, path, data, iid)
        raw[iid] = (path, data)
        intents[iid] = Intent(
            iid,
            label,
            id_list(c, path, data, "facts", f"intent '{iid}'"),
            id_list(c, path, data, "follow_ups", f"intent '{iid}'"),
            id_list(c, path, data, "entities", f"intent '{iid}'"),
            id_list(c, path, data, "allows", f"intent '{iid}'"),
            examples,
        )
    return intents, raw


def _examples(c: Collector, path: Path, data: LineDict, iid: str) -> tuple[Example, ...]:
    examples: list[Example] = []
    block = data.get("examples")
    if not isinstance(block, dict) or "en" not in block:
        c.add(path, line_of(data, "examples"), f"intent '{iid}': examples must map languages to lists, with 'en'")
        return ()
    for lang, items in block.items():
        if lang not in LANGS:
            c.add(path, line_of(block, lang), f"intent '{iid}': unknown language '{lang}'")
            continue
        if not isinstance(items, list) or not all(isinstance(t, str) and t.strip() for t in items):
            c.add(path, line_of(block, lang), f"intent '{iid}': '{lang}' examples must be a list of questions")
            continue
        examples.extend(Example(iid, t.strip(), lang) for t in items)
    return tuple(examples)
