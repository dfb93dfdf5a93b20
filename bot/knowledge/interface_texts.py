"""locales/*.yaml: every interface text, per language, with {placeholders} that fill safely."""

from __future__ import annotations

import re
import string
from pathlib import Path

from ..yamlsource import LineDict, line_of
from .collector import Collector, shown
from .rules import LANGS


def load_ui(c: Collector, folder: Path) -> dict[str, dict[str, str]]:
    """{lang: {key: text}} from every file in `folder`; English must have every key a translation has."""
    ui: dict[str, dict[str, str]] = {}
    where: dict[tuple[str, str], Path] = {}  # shown only in an error: it resolves the path
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
                    c.add(path, line_of(texts, key), f"text '{key}' ({lang}) is also defined in {shown(where[(lang, key)])}")
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
            written = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            return f"placeholder '{written}' must be a plain {{name}} (write {{{{ and }}}} for a literal brace)"
    if key == "months" and len(text.split()) != 12:
        return f"'months' must be twelve words, one per month (got {len(text.split())})"
    return None


def placeholders(text: str) -> set[str]:
    """The names of the {placeholders} in `text`."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}

