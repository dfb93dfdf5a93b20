"""Load and validate the curated data: sources, facts, intents, names and interface texts.

Every problem is reported as `file:line: what is wrong` and all problems are collected
before failing, so a curator can fix a whole batch at once. The result is immutable; a
reload builds a new KnowledgeBase and the application swaps the reference.
"""

from __future__ import annotations

import gc
import re
import string
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .language import CyrillicModel
from .matching import NEGATIVE, Matcher, Thresholds
from .model import ASSERTIONS, SOURCE_TYPES, Citation, Concept, Example, Fact, Intent, Source
from .yamlsource import DataError, LineDict, LineList, line_of, read_yaml

# The ids that tests and tools outside this repository rely on (../shared/contract.md).
CONTRACT_INTENTS = (
    "homs_control", "homs_capture", "homs_residents", "homs_strategic", "homs_prison",
    "golani_statement", "rebels_who", "damascus_status", "damascus_protests", "army_position",
    "assad_whereabouts", "assad_us_outreach", "us_assessment", "statue_toppled",
    "syria_overview", "sources", "help",
)
LANGS = ("en", "ar", "ru", "uk")
MIN_EXAMPLES = 25
MIN_EXAMPLES_OTHER = 15  # per intent in each language other than English
NOT_INTENTS = ("aliases.yaml", "thresholds.yaml", "out_of_scope.yaml")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
DEFAULT_ROOT = Path(__file__).resolve().parent.parent


class KnowledgeError(Exception):
    """The data did not validate; `errors` holds one `file:line: message` per problem."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass(frozen=True)
class KnowledgeBase:
    root: Path
    sources: dict[str, Source]
    facts: dict[str, Fact]
    intents: dict[str, Intent]
    concepts: dict[str, Concept]
    ui: dict[str, dict[str, str]]  # lang -> key -> text
    matcher: Matcher
    negatives: tuple[Example, ...] = ()
    cyrillic: CyrillicModel | None = None  # tells Russian from Ukrainian, learnt from the examples
    superseded_by: dict[str, tuple[str, ...]] = field(default_factory=dict)
    version: str = ""

    @property
    def as_of(self) -> date | None:
        return max((f.reported for f in self.facts.values()), default=None)

    def text(self, key: str, lang: str = "en", **values: Any) -> str:
        """An interface text in `lang` (English when missing), with {placeholders} filled."""
        template = self.ui.get(lang, {}).get(key) or self.ui["en"][key]
        return template.format(**values) if values else template

    def examples(self) -> list[Example]:
        return [ex for intent in self.intents.values() for ex in intent.examples]


class _Collector:
    """Gathers errors with their locations."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def add(self, path: Path, line: int, message: str) -> None:
        self.errors.append(f"{_rel(path)}:{line}: {message}")

    def read_mapping(self, path: Path, expected: str) -> LineDict | None:
        """The file's top-level mapping, or None (with an error) when it is not one."""
        data = self.read(path)
        if data is not None and not isinstance(data, LineDict):
            self.add(path, 1, expected)
            return None
        return data

    def read(self, path: Path) -> Any:
        try:
            data = read_yaml(path)
        except DataError as exc:
            self.errors.append(f"{_rel(path)}:{exc.line}: {exc.message}")
            return None
        if data is None:
            self.add(path, 1, "the file is empty (only blank lines or comments): add its content or delete it")
        return data


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _check_keys(c: _Collector, path: Path, obj: LineDict, allowed: set[str], required: set[str], what: str) -> None:
    for key in obj:
        if key not in allowed:
            c.add(path, line_of(obj, key), f"unknown key '{key}' in {what} (allowed: {', '.join(sorted(allowed))})")
    for key in sorted(required - set(obj)):
        c.add(path, line_of(obj), f"{what} is missing '{key}'")


def _lang_text(c: _Collector, path: Path, obj: LineDict, key: str, what: str) -> dict[str, str]:
    value = obj.get(key)
    if isinstance(value, str) and value.strip():
        return {"en": value.strip()}
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for lang, text in value.items():
            if lang not in LANGS:
                c.add(path, line_of(value, lang), f"{what}: unknown language '{lang}' (use {', '.join(LANGS)})")
            elif not isinstance(text, str) or not text.strip():
                c.add(path, line_of(value, lang), f"{what}: '{lang}' text must be non-empty text")
            else:
                out[lang] = " ".join(text.split())
        if "en" not in out and value is not None:
            c.add(path, line_of(obj, key), f"{what}: an English ('en') text is required")
        return out
    if key in obj:
        c.add(path, line_of(obj, key), f"{what}: '{key}' must be text or a mapping of language to text")
    return {}


def _date(c: _Collector, path: Path, obj: LineDict, key: str, what: str) -> date | None:
    value = obj.get(key)
    if isinstance(value, date) and not isinstance(value, datetime):  # a time of day would not compare with dates
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    if isinstance(value, datetime):
        c.add(path, line_of(obj, key), f"{what}: '{key}' must be a date YYYY-MM-DD without a time of day, got {value}")
    elif key in obj:
        c.add(path, line_of(obj, key), f"{what}: '{key}' must be a date YYYY-MM-DD, got {value!r}")
    return None


def _id_list(c: _Collector, path: Path, obj: LineDict, key: str, what: str) -> tuple[str, ...]:
    value = obj.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        c.add(path, line_of(obj, key), f"{what}: '{key}' must be a list of ids")
        return ()
    return tuple(value)


# -- sources ------------------------------------------------------------------------------
def _load_sources(c: _Collector, path: Path) -> dict[str, Source]:
    data = c.read(path)
    if data is None:
        return {}
    if not isinstance(data, LineDict) or not isinstance(data.get("sources"), dict):
        c.add(path, line_of(data), "expected a top-level 'sources:' mapping")
        return {}
    out: dict[str, Source] = {}
    for sid, entry in data["sources"].items():
        where = line_of(data["sources"], sid)
        if not _ID.match(sid):
            c.add(path, where, f"source id '{sid}' must be lower_snake_case")
        if not isinstance(entry, LineDict):
            c.add(path, where, f"source '{sid}' must be a mapping with name and type")
            continue
        _check_keys(c, path, entry, {"name", "type", "note"}, {"name", "type"}, f"source '{sid}'")
        name = _lang_text(c, path, entry, "name", f"source '{sid}'")
        stype = entry.get("type")
        if "type" in entry and stype not in SOURCE_TYPES:
            c.add(path, line_of(entry, "type"), f"source '{sid}': type '{stype}' is not one of {', '.join(SOURCE_TYPES)}")
        if name:
            out[sid] = Source(sid, name, str(stype))
    return out


# -- facts --------------------------------------------------------------------------------
_FACT_KEYS = {"id", "statement", "asserted_by", "assertion", "sources", "event_date", "reported", "supersedes", "note"}
_FACT_REQUIRED = _FACT_KEYS - {"supersedes", "note"}


def _load_facts(c: _Collector, paths: list[Path], sources: dict[str, Source]) -> tuple[dict[str, Fact], set[str]]:
    """The valid facts, and the ids of every fact defined (valid or not)."""
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
            _check_keys(c, path, item, _FACT_KEYS, _FACT_REQUIRED, what)
            if not isinstance(fid, str) or not _ID.match(fid):
                if "id" in item:
                    c.add(path, line_of(item, "id"), f"fact id {fid!r} must be lower_snake_case")
                continue
            if fid in facts or fid in where:
                other = where[fid]
                c.add(path, line_of(item, "id"), f"duplicate fact id '{fid}' (first defined at {_rel(other[0])}:{other[1]})")
                continue
            where[fid] = (path, line_of(item, "id"))
            statement = _lang_text(c, path, item, "statement", what)
            by = item.get("asserted_by")
            if "asserted_by" in item and by not in sources:
                c.add(path, line_of(item, "asserted_by"), f"{what}: asserted_by '{by}' is not a source in knowledge/sources.yaml")
            assertion = item.get("assertion")
            if "assertion" in item and assertion not in ASSERTIONS:
                c.add(path, line_of(item, "assertion"), f"{what}: assertion '{assertion}' is not one of {', '.join(ASSERTIONS)}")
            cites = _citations(c, path, item, sources, what)
            event = _date(c, path, item, "event_date", what)
            reported = _date(c, path, item, "reported", what)
            if event and reported and reported < event:
                c.add(path, line_of(item, "reported"), f"{what}: reported {reported} is before the event date {event}")
            supersedes = _id_list(c, path, item, "supersedes", what)
            supersedes_line[fid] = line_of(item, "supersedes")
            if statement and by in sources and assertion in ASSERTIONS and cites and event and reported:
                facts[fid] = Fact(fid, statement, by, assertion, cites, event, reported, supersedes)
    for fid, fact in facts.items():
        path, line = where[fid][0], supersedes_line[fid]
        for old in fact.supersedes:
            if old == fid:
                c.add(path, line, f"fact '{fid}' supersedes itself")
            elif old not in where:
                c.add(path, line, f"fact '{fid}' supersedes '{old}', which is not defined")
            elif old in facts and facts[old].reported > fact.reported:
                c.add(path, line, f"fact '{fid}' supersedes '{old}', which was reported later ({facts[old].reported})")
    return facts, set(where)


def _citations(c: _Collector, path: Path, item: LineDict, sources: dict[str, Source], what: str) -> tuple[Citation, ...]:
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
        _check_keys(c, path, entry, {"outlet", "cites"}, {"outlet"}, f"{what} source")
        outlet, cites = entry.get("outlet"), entry.get("cites")
        ok = True
        for key, sid in (("outlet", outlet), ("cites", cites)):
            if sid is not None and sid not in sources:
                c.add(path, line_of(entry, key), f"{what}: {key} '{sid}' is not a source in knowledge/sources.yaml")
                ok = False
        if ok and outlet:
            out.append(Citation(outlet, cites))
    return tuple(out)


# -- names --------------------------------------------------------------------------------
def _load_concepts(c: _Collector, path: Path, lines: dict[str, int] | None = None) -> dict[str, Concept]:
    """The names; `lines` (when given) receives the line of each concept's default_intent."""
    data = c.read(path)
    if data is None:
        return {}
    if not isinstance(data, LineDict):
        c.add(path, 1, "expected 'concepts:' and 'out_of_scope:' mappings")
        return {}
    _check_keys(c, path, data, {"concepts", "out_of_scope"}, {"concepts"}, "aliases file")
    out: dict[str, Concept] = {}
    seen_variant: dict[str, str] = {}
    for section, in_scope in (("concepts", True), ("out_of_scope", False)):
        block = data.get(section) or {}
        if not isinstance(block, dict):
            c.add(path, line_of(data, section), f"'{section}' must be a mapping of id to entry")
            continue
        for cid, entry in block.items():
            line = line_of(block, cid)
            if not _ID.match(cid):
                c.add(path, line, f"name id '{cid}' must be lower_snake_case")
            if cid in out:
                c.add(path, line, f"name id '{cid}' is defined twice")
                continue
            if not isinstance(entry, LineDict):
                c.add(path, line, f"'{cid}' must be a mapping with kind and variants")
                continue
            _check_keys(c, path, entry, {"kind", "variants", "default_intent", "name"}, {"kind", "variants"}, f"'{cid}'")
            kind = entry.get("kind")
            if kind not in ("place", "person", "group", "topic"):
                c.add(path, line_of(entry, "kind"), f"'{cid}': kind must be place, person, group or topic")
            variants = entry.get("variants")
            if not isinstance(variants, list) or not all(isinstance(v, str) and v.strip() for v in variants):
                c.add(path, line_of(entry, "variants"), f"'{cid}': variants must be a list of names")
                continue
            from .normalize import normalize

            for v in variants:
                key = normalize(v)
                if key in seen_variant and seen_variant[key] != cid:
                    c.add(path, line_of(entry, "variants"), f"'{cid}': variant '{v}' is already a variant of '{seen_variant[key]}'")
                seen_variant[key] = cid
            name = _lang_text(c, path, entry, "name", f"'{cid}'") if "name" in entry else {}
            out[cid] = Concept(cid, str(kind), tuple(variants), in_scope, entry.get("default_intent"), name)
            if lines is not None:
                lines[cid] = line_of(entry, "default_intent")
    return out


# -- intents ------------------------------------------------------------------------------
_INTENT_KEYS = {"id", "label", "facts", "follow_ups", "entities", "allows", "examples"}


def _load_intents(c: _Collector, paths: list[Path]) -> tuple[dict[str, Intent], dict[str, tuple[Path, LineDict]]]:
    intents: dict[str, Intent] = {}
    raw: dict[str, tuple[Path, LineDict]] = {}
    for path in paths:
        data = c.read_mapping(path, "an intent file must be a mapping (id, label, facts, examples, ...)")
        if data is None:
            continue
        iid = data.get("id")
        _check_keys(c, path, data, _INTENT_KEYS, {"id", "label", "examples"}, f"intent '{iid}'")
        if not isinstance(iid, str) or not _ID.match(iid):
            c.add(path, line_of(data, "id"), f"intent id {iid!r} must be lower_snake_case")
            continue
        if iid != path.stem:
            c.add(path, line_of(data, "id"), f"intent id '{iid}' must match the file name ({path.stem}.yaml)")
        if iid in intents:
            c.add(path, line_of(data, "id"), f"intent '{iid}' is defined twice")
            continue
        label = _lang_text(c, path, data, "label", f"intent '{iid}'")
        examples: list[Example] = []
        block = data.get("examples")
        if not isinstance(block, dict) or "en" not in block:
            c.add(path, line_of(data, "examples"), f"intent '{iid}': examples must map languages to lists, with 'en'")
        else:
            for lang, items in block.items():
                if lang not in LANGS:
                    c.add(path, line_of(block, lang), f"intent '{iid}': unknown language '{lang}'")
                    continue
                if not isinstance(items, list) or not all(isinstance(t, str) and t.strip() for t in items):
                    c.add(path, line_of(block, lang), f"intent '{iid}': '{lang}' examples must be a list of questions")
                    continue
                examples.extend(Example(iid, t.strip(), lang) for t in items)
        raw[iid] = (path, data)
        intents[iid] = Intent(
            iid,
            label,
            _id_list(c, path, data, "facts", f"intent '{iid}'"),
            _id_list(c, path, data, "follow_ups", f"intent '{iid}'"),
            _id_list(c, path, data, "entities", f"intent '{iid}'"),
            _id_list(c, path, data, "allows", f"intent '{iid}'"),
            tuple(examples),
        )
    return intents, raw


def _cross_check(
    c: _Collector, intents: dict, raw: dict, facts: dict, concepts: dict, fact_ids: set[str],
    intents_dir: Path, concept_lines: dict[str, int],
) -> None:
    for iid, intent in intents.items():
        path, data = raw[iid]
        for fid in intent.facts:
            if fid not in fact_ids:
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
            c.add(path, line_of(data, "examples"), f"intent '{iid}' has {n_en} English examples; at least {MIN_EXAMPLES} are needed")
    for cid, concept in concepts.items():
        if concept.default_intent and concept.default_intent not in intents:
            c.add(intents_dir / "aliases.yaml", concept_lines.get(cid, 1),
                  f"'{cid}': default_intent '{concept.default_intent}' is not an intent")
    for iid in CONTRACT_INTENTS:
        if iid not in intents:
            c.add(intents_dir / f"{iid}.yaml", 0, f"the contract intent '{iid}' has no definition")


# -- interface texts ----------------------------------------------------------------------
def _load_ui(c: _Collector, folder: Path) -> dict[str, dict[str, str]]:
    ui: dict[str, dict[str, str]] = {}
    where: dict[tuple[str, str], Path] = {}  # shown with _rel only in an error: it resolves the path
    english: dict[str, tuple[Path, int]] = {}  # file name -> where its English texts start
    unreadable = False
    for path in sorted(folder.glob("*.yaml")):
        data = c.read_mapping(path, "expected a mapping of language to texts")
        if data is None:
            unreadable = True
            continue
        for lang, texts in data.items():
            if lang not in LANGS or not isinstance(texts, LineDict):
                c.add(path, line_of(data, lang), f"'{lang}' must be one of {', '.join(LANGS)} with a mapping of texts")
                continue
            if lang == "en":
                english[path.name] = (path, line_of(data, lang))
            for key, text in texts.items():
                if not isinstance(text, str):
                    c.add(path, line_of(texts, key), f"text '{key}' must be a string")
                    continue
                if (lang, key) in where:
                    c.add(path, line_of(texts, key), f"text '{key}' ({lang}) is also defined in {_rel(where[(lang, key)])}")
                    continue
                problem = _template_problem(key, text)
                if problem:
                    c.add(path, line_of(texts, key), f"text '{key}' ({lang}): {problem}")
                    continue
                where[(lang, key)] = path
                ui.setdefault(lang, {})[key] = text.rstrip("\n")
    if "en" not in ui:
        c.add(folder / "en.yaml", 0, "no English ('en') interface texts found")
        return ui
    if unreadable:  # its texts are missing everywhere; its own error says why
        return ui
    # A text a translation has but English lacks was deleted from English: the code asks for
    # it in English whenever a language lacks it, and would fail at answer time.
    for key in sorted({k for lang, texts in ui.items() if lang != "en" for k in texts} - set(ui["en"])):
        langs = [lang for lang in sorted(ui) if key in ui[lang]]
        path, line = english.get("telegram.yaml" if key.startswith("tg_") else "en.yaml") or next(iter(english.values()))
        c.add(path, line, f"interface text '{key}' is missing in English ({', '.join(langs)} have it): add it "
                          "under 'en:', or delete it from every language if it is no longer used")
    return ui


_PLACEHOLDER = re.compile(r"^[a-z_][a-z0-9_]*$")


def _template_problem(key: str, text: str) -> str | None:
    """Why a text cannot be filled in safely at answer time, or None."""
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as exc:
        return f"bad placeholder ({exc})"
    for _, name, spec, conversion in fields:
        if name is not None and (not _PLACEHOLDER.match(name) or spec or conversion):
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            return f"placeholder '{shown}' must be a plain {{name}} (write {{{{ and }}}} for a literal brace)"
    if key == "months" and len(text.split()) != 12:
        return f"'months' must be twelve words, one per month (got {len(text.split())})"
    return None


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _load_translations(c, root, ui, sources, facts, intents, concepts, negatives, fact_ids):
    """Merge knowledge/i18n/<lang>.yaml and intents/i18n/<lang>.yaml into the English base.

    Every language that has any file must be complete: each fact, source, intent label and
    interface text, and enough examples per intent; what is missing is reported here rather
    than discovered by a user who gets English instead.
    """
    from dataclasses import replace as _replace

    from .normalize import normalize

    langs = sorted(
        {p.stem for p in (root / "knowledge" / "i18n").glob("*.yaml")}
        | {p.stem for p in (root / "intents" / "i18n").glob("*.yaml")}
        | (set(ui) - {"en"})
    )
    statements = {fid: dict(f.statement) for fid, f in facts.items()}
    names = {sid: dict(src.name) for sid, src in sources.items()}
    labels = {iid: dict(i.label) for iid, i in intents.items()}
    examples = {iid: list(i.examples) for iid, i in intents.items()}
    variants = {cid: list(con.variants) for cid, con in concepts.items()}
    display = {cid: dict(con.name) for cid, con in concepts.items()}
    owner = {normalize(v): cid for cid, con in concepts.items() for v in con.variants}
    extra_negatives: list[Example] = []
    for lang in langs:
        if lang not in LANGS or lang == "en":
            hint = "English lives in the main files" if lang == "en" else f"use {', '.join(x for x in LANGS if x != 'en')}"
            for path in (root / "knowledge" / "i18n" / f"{lang}.yaml", root / "intents" / "i18n" / f"{lang}.yaml"):
                if path.exists():
                    c.add(path, 1, f"unknown language '{lang}' ({hint})")
            continue
        kpath = root / "knowledge" / "i18n" / f"{lang}.yaml"
        ipath = root / "intents" / "i18n" / f"{lang}.yaml"
        missing = [p for p in (kpath, ipath, root / "locales" / f"{lang}.yaml") if not p.exists()]
        if missing:
            for path in missing:
                c.errors.append(f"{_rel(path)}:0: missing: every language needs its facts, intents and interface texts")
            continue
        kdata = c.read(kpath)
        idata = c.read(ipath)
        for path, data, keys in ((kpath, kdata, {"sources", "facts"}),
                                 (ipath, idata, {"labels", "examples", "names", "out_of_scope_names", "out_of_scope_examples"})):
            if data is not None and not isinstance(data, LineDict):
                c.add(path, 1, f"expected a mapping with {', '.join(sorted(keys))}")
            elif data is not None:
                _check_keys(c, path, data, keys, set(), f"{lang} translations")
        kdata = kdata if isinstance(kdata, LineDict) else LineDict()
        idata = idata if isinstance(idata, LineDict) else LineDict()
        for key, target, known, what in (("sources", names, sources, "source"), ("facts", statements, facts, "fact")):
            block = kdata.get(key) or {}
            for xid, text in (block.items() if isinstance(block, dict) else ()):
                if key == "facts" and xid in fact_ids and xid not in facts:
                    continue  # a fact that failed to load has its own error already
                if xid not in known:
                    c.add(kpath, line_of(block, xid), f"{what} '{xid}' is not defined in English")
                elif not isinstance(text, str) or not text.strip():
                    c.add(kpath, line_of(block, xid), f"{what} '{xid}': the {lang} text must be non-empty text")
                else:
                    target[xid][lang] = " ".join(text.split())
            for xid in known:
                if lang not in target[xid]:
                    c.add(kpath, line_of(kdata, key), f"{what} '{xid}' has no {lang} translation")
        block = idata.get("labels") or {}
        for iid, text in (block.items() if isinstance(block, dict) else ()):
            if iid in labels and isinstance(text, str) and text.strip():
                labels[iid][lang] = text.strip()
            else:
                c.add(ipath, line_of(block, iid), f"label '{iid}': not an intent, or empty")
        block = idata.get("examples") or {}
        for iid, items in (block.items() if isinstance(block, dict) else ()):
            if iid not in examples or not isinstance(items, list) or not all(isinstance(t, str) for t in items):
                c.add(ipath, line_of(block, iid), f"examples '{iid}': not an intent, or not a list of questions")
                continue
            examples[iid].extend(Example(iid, t.strip(), lang) for t in items if t.strip())
        for iid in intents:
            if lang not in labels[iid]:
                c.add(ipath, line_of(idata, "labels"), f"intent '{iid}' has no {lang} label")
            n = sum(1 for e in examples[iid] if e.lang == lang)
            if n < MIN_EXAMPLES_OTHER:
                c.add(ipath, line_of(idata, "examples"), f"intent '{iid}' has {n} {lang} examples; at least {MIN_EXAMPLES_OTHER} are needed")
        for key in ("names", "out_of_scope_names"):
            block = idata.get(key) or {}
            for cid, entry in (block.items() if isinstance(block, dict) else ()):
                line = line_of(block, cid)
                if cid not in concepts or concepts[cid].in_scope != (key == "names"):
                    c.add(ipath, line, f"{key} '{cid}' is not an {'in-scope' if key == 'names' else 'out-of-scope'} id of intents/aliases.yaml")
                    continue
                if isinstance(entry, dict):
                    if isinstance(entry.get("name"), str):
                        display[cid][lang] = entry["name"]
                    entry = entry.get("variants", [])
                if not isinstance(entry, list) or not all(isinstance(v, str) and v.strip() for v in entry):
                    c.add(ipath, line, f"'{cid}': variants must be a list of names")
                    continue
                for v in entry:
                    norm = normalize(v)
                    if owner.get(norm, cid) != cid:
                        c.add(ipath, line, f"'{cid}': variant '{v}' is already a variant of '{owner[norm]}'")
                        continue
                    owner[norm] = cid
                    variants[cid].append(v)
        block = idata.get("out_of_scope_examples") or []
        if isinstance(block, list):
            extra_negatives.extend(Example("out_of_scope", t.strip(), lang) for t in block if isinstance(t, str) and t.strip())
        en_keys = ui.get("en", {})
        lang_keys = ui.get(lang, {})
        for key, text in en_keys.items():
            if key not in lang_keys:
                c.errors.append(f"{_rel(root / 'locales')}/{lang}.yaml:1: interface text '{key}' has no {lang} translation")
            elif _placeholders(lang_keys[key]) != _placeholders(text):
                c.errors.append(f"{_rel(root / 'locales')}/{lang}.yaml:1: text '{key}' must use the placeholders "
                                f"{sorted(_placeholders(text))} like English, not {sorted(_placeholders(lang_keys[key]))}")
    sources = {sid: _replace(src, name=names[sid]) for sid, src in sources.items()}
    facts = {fid: _replace(f, statement=statements[fid]) for fid, f in facts.items()}
    intents = {iid: _replace(i, label=labels[iid], examples=tuple(examples[iid])) for iid, i in intents.items()}
    concepts = {cid: _replace(con, variants=tuple(variants[cid]), name=display[cid]) for cid, con in concepts.items()}
    return sources, facts, intents, concepts, tuple(negatives) + tuple(extra_negatives)


def _load_negatives(c: _Collector, path: Path) -> tuple[Example, ...]:
    """Questions we have no facts on, which teach the matcher what a near miss looks like."""
    if not path.exists():
        return ()
    data = c.read(path)
    if not isinstance(data, LineDict):
        c.add(path, 1, "expected 'examples:' mapping languages to lists of questions")
        return ()
    _check_keys(c, path, data, {"id", "examples"}, {"examples"}, "out-of-scope examples")
    block = data.get("examples")
    if not isinstance(block, dict):
        c.add(path, line_of(data, "examples"), "examples must map languages to lists of questions")
        return ()
    out = []
    for lang, items in block.items():
        if lang not in LANGS or not isinstance(items, list) or not all(isinstance(t, str) for t in items):
            c.add(path, line_of(block, lang), f"'{lang}' must be one of {', '.join(LANGS)} with a list of questions")
            continue
        out.extend(Example(NEGATIVE, t.strip(), lang) for t in items if t.strip())
    return tuple(out)


def _thresholds(c: _Collector, path: Path) -> Thresholds:
    if not path.exists():
        return Thresholds()
    data = c.read(path)
    if not isinstance(data, LineDict):
        return Thresholds()
    names = ("out_of_scope", "doubt", "negative_margin", "ambiguity", "follow_up_max_words")
    _check_keys(c, path, data, {*names, "chosen_by"}, set(), "thresholds")
    values = {k: data[k] for k in names if k in data}
    for key, value in values.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 100:
            c.add(path, line_of(data, key), f"threshold '{key}' must be a number, got {value!r}")
            return Thresholds()
    return Thresholds(**values)


def _superseded_by(facts: dict[str, Fact]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for fact in facts.values():
        for old in fact.supersedes:
            out.setdefault(old, []).append(fact.id)
    return {k: tuple(v) for k, v in out.items()}


def load(root: Path | str = DEFAULT_ROOT) -> KnowledgeBase:
    """Load and validate everything under `root`; raise KnowledgeError listing all problems."""
    # Loading allocates many short-lived containers (YAML nodes, mappings) and makes no
    # reference cycles: the cyclic collector would run a hundred times for nothing, once over
    # the whole heap (python-telegram-bot's modules too), which alone costs some 20-40 ms.
    # Refcounting still frees everything that is dropped.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _load(Path(root))
    finally:
        if enabled:
            gc.enable()


def _load(root: Path) -> KnowledgeBase:
    c = _Collector()
    knowledge = root / "knowledge"
    sources = _load_sources(c, knowledge / "sources.yaml")
    fact_files = sorted(p for p in knowledge.glob("*.yaml") if p.name != "sources.yaml")
    if not fact_files:
        c.add(knowledge / "facts.yaml", 0, "missing: no fact files (knowledge/*.yaml besides sources.yaml) found")
    facts, fact_ids = _load_facts(c, fact_files, sources)
    concept_lines: dict[str, int] = {}
    concepts = _load_concepts(c, root / "intents" / "aliases.yaml", concept_lines)
    intent_files = sorted(p for p in (root / "intents").glob("*.yaml") if p.name not in NOT_INTENTS)
    intents, raw = _load_intents(c, intent_files)
    negatives = _load_negatives(c, root / "intents" / "out_of_scope.yaml")
    _cross_check(c, intents, raw, facts, concepts, fact_ids, root / "intents", concept_lines)
    ui = _load_ui(c, root / "locales")
    sources, facts, intents, concepts, negatives = _load_translations(
        c, root, ui, sources, facts, intents, concepts, negatives, fact_ids
    )
    thresholds = _thresholds(c, root / "intents" / "thresholds.yaml")
    if c.errors:
        raise KnowledgeError(c.errors)
    years = frozenset(d.year for f in facts.values() for d in (f.event_date, f.reported))
    matcher = Matcher(intents, concepts, thresholds, negatives=negatives, years=years)
    version = max((f.reported for f in facts.values()), default=date.min).isoformat() + f"/{len(facts)}f/{len(intents)}i"
    samples = [(ex.text, ex.lang) for i in intents.values() for ex in i.examples] + [(e.text, e.lang) for e in negatives]
    return KnowledgeBase(
        root, sources, facts, intents, concepts, ui, matcher, negatives, CyrillicModel(samples), _superseded_by(facts), version
    )
