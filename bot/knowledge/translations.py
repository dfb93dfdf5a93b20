"""Other languages: knowledge/i18n/<lang>.yaml and intents/i18n/<lang>.yaml merged into the English base.

Every language that has any file must be complete: each fact, source, intent label and
interface text, and enough examples per intent; what is missing is reported here rather
than discovered by a user who gets English instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ..matching import NEGATIVE
from ..model import Concept, Example
from ..normalize import normalize
from ..yamlsource import LineDict, line_of
from .base import Parts
from .collector import Collector, shown
from .fields import check_keys
from .interface_texts import placeholders
from .rules import LANGS, MIN_EXAMPLES_OTHER

_KNOWLEDGE_KEYS = {"sources", "facts"}
_INTENT_KEYS = {"labels", "examples", "names", "out_of_scope_names", "out_of_scope_examples"}


def merge_translations(c: Collector, root: Path, base: Parts, ui: dict[str, dict[str, str]]) -> Parts:
    """`base` with every language's translations added; each language is checked for completeness."""
    merged = _Merged.of(base)
    for lang in _languages(root, ui):
        if lang not in LANGS or lang == "en":
            _reject_language(c, root, lang)
            continue
        files = _read(c, root, lang)
        if files is None:
            continue
        _merge_texts(c, files, "sources", "source", merged.names, skip=set())
        _merge_texts(c, files, "facts", "fact", merged.statements, skip=base.fact_ids - set(base.facts))
        _merge_labels(c, files, merged)
        _merge_examples(c, files, merged)
        _check_intents_complete(c, files, merged)
        _merge_names(c, files, base.concepts, merged)
        _merge_negatives(files, merged)
        _check_interface_texts(c, root, lang, ui)
    return merged.applied_to(base)


@dataclass(frozen=True)
class _Files:
    """One language's two translation files, read (one that cannot be read is empty here)."""

    lang: str
    knowledge_path: Path
    knowledge: LineDict
    intents_path: Path
    intents: LineDict


@dataclass(frozen=True)
class _Merged:
    """The English base's texts, names and examples, copied so that translations can be added."""

    statements: dict[str, dict[str, str]]  # fact id -> lang -> statement
    names: dict[str, dict[str, str]]  # source id -> lang -> name
    labels: dict[str, dict[str, str]]  # intent id -> lang -> label
    examples: dict[str, list[Example]]  # intent id -> its examples in every language
    variants: dict[str, list[str]]  # concept id -> its variants in every language
    display: dict[str, dict[str, str]]  # concept id -> lang -> display name
    owner: dict[str, str]  # normalised variant -> the concept it belongs to
    negatives: list[Example]  # out-of-scope examples of the other languages

    @classmethod
    def of(cls, base: Parts) -> _Merged:
        return cls(
            statements={fid: dict(f.statement) for fid, f in base.facts.items()},
            names={sid: dict(src.name) for sid, src in base.sources.items()},
            labels={iid: dict(i.label) for iid, i in base.intents.items()},
            examples={iid: list(i.examples) for iid, i in base.intents.items()},
            variants={cid: list(con.variants) for cid, con in base.concepts.items()},
            display={cid: dict(con.name) for cid, con in base.concepts.items()},
            owner={normalize(v): cid for cid, con in base.concepts.items() for v in con.variants},
            negatives=[],
        )

    def applied_to(self, base: Parts) -> Parts:
        return replace(
            base,
            sources={sid: replace(src, name=self.names[sid]) for sid, src in base.sources.items()},
            facts={fid: replace(f, statement=self.statements[fid]) for fid, f in base.facts.items()},
            intents={iid: replace(i, label=self.labels[iid], examples=tuple(self.examples[iid]))
                     for iid, i in base.intents.items()},
            concepts={cid: replace(con, variants=tuple(self.variants[cid]), name=self.display[cid])
                      for cid, con in base.concepts.items()},
            negatives=base.negatives + tuple(self.negatives),
        )


def _knowledge_file(root: Path, lang: str) -> Path:
    return root / "knowledge" / "i18n" / f"{lang}.yaml"


def _intents_file(root: Path, lang: str) -> Path:
    return root / "intents" / "i18n" / f"{lang}.yaml"


def _languages(root: Path, ui: dict[str, dict[str, str]]) -> list[str]:
    """Every language that has a translation file or interface texts, English aside."""
    return sorted(
        {p.stem for p in (root / "knowledge" / "i18n").glob("*.yaml")}
        | {p.stem for p in (root / "intents" / "i18n").glob("*.yaml")}
        | (set(ui) - {"en"})
    )


def _reject_language(c: Collector, root: Path, lang: str) -> None:
    hint = "English lives in the main files" if lang == "en" else f"use {', '.join(x for x in LANGS if x != 'en')}"
    for path in (_knowledge_file(root, lang), _intents_file(root, lang)):
        if path.exists():
            c.add(path, 1, f"unknown language '{lang}' ({hint})")


def _read(c: Collector, root: Path, lang: str) -> _Files | None:
    """The language's two files, or None (with an error per missing file) when any of its three files is missing."""
    kpath, ipath = _knowledge_file(root, lang), _intents_file(root, lang)
    missing = [p for p in (kpath, ipath, root / "locales" / f"{lang}.yaml") if not p.exists()]
    for path in missing:
        c.add(path, 0, "missing: every language needs its facts, intents and interface texts")
    if missing:
        return None
    kdata = c.read(kpath)
    idata = c.read(ipath)
    for path, data, keys in ((kpath, kdata, _KNOWLEDGE_KEYS), (ipath, idata, _INTENT_KEYS)):
        if data is not None and not isinstance(data, LineDict):
            c.add(path, 1, f"expected a mapping with {', '.join(sorted(keys))}")
        elif data is not None:
            check_keys(c, path, data, keys, set(), f"{lang} translations")
    return _Files(
        lang,
        kpath, kdata if isinstance(kdata, LineDict) else LineDict(),
        ipath, idata if isinstance(idata, LineDict) else LineDict(),
    )


def _merge_texts(c: Collector, files: _Files, key: str, what: str, texts: dict[str, dict[str, str]], skip: set[str]) -> None:
    """Add the `key` block (source names or fact statements) to `texts` ({id: {lang: text}}); report any missing."""
    lang, path, data = files.lang, files.knowledge_path, files.knowledge
    block = data.get(key) or {}
    for xid, text in (block.items() if isinstance(block, dict) else ()):
        if xid in skip:
            continue  # a fact that failed to load has its own error already
        if xid not in texts:
            c.add(path, line_of(block, xid), f"{what} '{xid}' is not defined in English")
        elif not isinstance(text, str) or not text.strip():
            c.add(path, line_of(block, xid), f"{what} '{xid}': the {lang} text must be non-empty text")
        else:
            texts[xid][lang] = " ".join(text.split())
    for xid, by_lang in texts.items():
        if lang not in by_lang:
            c.add(path, line_of(data, key), f"{what} '{xid}' has no {lang} translation")


def _merge_labels(c: Collector, files: _Files, merged: _Merged) -> None:
    block = files.intents.get("labels") or {}
    for iid, text in (block.items() if isinstance(block, dict) else ()):
        if iid in merged.labels and isinstance(text, str) and text.strip():
            merged.labels[iid][files.lang] = text.strip()
        else:
            c.add(files.intents_path, line_of(block, iid), f"label '{iid}': not an intent, or empty")


def _merge_examples(c: Collector, files: _Files, merged: _Merged) -> None:
    block = files.intents.get("examples") or {}
    for iid, items in (block.items() if isinstance(block, dict) else ()):
        if iid not in merged.examples or not isinstance(items, list) or not all(isinstance(t, str) for t in items):
            c.add(files.intents_path, line_of(block, iid), f"examples '{iid}': not an intent, or not a list of questions")
            continue
        merged.examples[iid].extend(Example(iid, t.strip(), files.lang) for t in items if t.strip())


def _check_intents_complete(c: Collector, files: _Files, merged: _Merged) -> None:
    """Every intent has a label and enough examples in the language."""
    lang, path, data = files.lang, files.intents_path, files.intents
    for iid, labels in merged.labels.items():
        if lang not in labels:
            c.add(path, line_of(data, "labels"), f"intent '{iid}' has no {lang} label")
        n = sum(1 for e in merged.examples[iid] if e.lang == lang)
        if n < MIN_EXAMPLES_OTHER:
            c.add(path, line_of(data, "examples"),
                  f"intent '{iid}' has {n} {lang} examples; at least {MIN_EXAMPLES_OTHER} are needed")


def _merge_names(c: Collector, files: _Files, concepts: dict[str, Concept], merged: _Merged) -> None:
    """Extra variants (and display names) of the names in intents/aliases.yaml."""
    path = files.intents_path
    for key in ("names", "out_of_scope_names"):
        in_scope = key == "names"
        block = files.intents.get(key) or {}
        for cid, entry in (block.items() if isinstance(block, dict) else ()):
            line = line_of(block, cid)
            if cid not in concepts or concepts[cid].in_scope != in_scope:
                scope = "in-scope" if in_scope else "out-of-scope"
                c.add(path, line, f"{key} '{cid}' is not an {scope} id of intents/aliases.yaml")
                continue
            if isinstance(entry, dict):
                if isinstance(entry.get("name"), str):
                    merged.display[cid][files.lang] = entry["name"]
                entry = entry.get("variants", [])
            if not isinstance(entry, list) or not all(isinstance(v, str) and v.strip() for v in entry):
                c.add(path, line, f"'{cid}': variants must be a list of names")
                continue
            for v in entry:
                norm = normalize(v)
                if merged.owner.get(norm, cid) != cid:
                    c.add(path, line, f"'{cid}': variant '{v}' is already a variant of '{merged.owner[norm]}'")
                    continue
                merged.owner[norm] = cid
                merged.variants[cid].append(v)


def _merge_negatives(files: _Files, merged: _Merged) -> None:
    block = files.intents.get("out_of_scope_examples") or []
    if isinstance(block, list):
        merged.negatives.extend(Example(NEGATIVE, t.strip(), files.lang) for t in block if isinstance(t, str) and t.strip())


def _check_interface_texts(c: Collector, root: Path, lang: str, ui: dict[str, dict[str, str]]) -> None:
    """Every English interface text has a translation with the same placeholders."""
    english, translated = ui.get("en", {}), ui.get(lang, {})
    where = f"{shown(root / 'locales')}/{lang}.yaml:1"
    for key, text in english.items():
        if key not in translated:
            c.errors.append(f"{where}: interface text '{key}' has no {lang} translation")
        elif placeholders(translated[key]) != placeholders(text):
            c.errors.append(f"{where}: text '{key}' must use the placeholders "
                            f"{sorted(placeholders(text))} like English, not {sorted(placeholders(translated[key]))}")
