"""The knowledge base: immutable once loaded; a reload builds a new one and the application swaps it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..language import CyrillicModel
from ..matching import Matcher
from ..model import Concept, Example, Fact, Intent, Source


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
    main_topics: tuple[str, ...] = ()  # intent ids offered first, in order (intents/main_topics.yaml)
    # why the learned second opinion is off ("" when it is on): see bot/matching/learned.py
    learned_off: str = ""

    @property
    def as_of(self) -> date | None:
        return max((f.reported for f in self.facts.values() if f.reported), default=None)

    def text(self, key: str, lang: str = "en", **values: Any) -> str:
        """An interface text in `lang` (English when missing), with {placeholders} filled."""
        template = self.ui.get(lang, {}).get(key) or self.ui["en"][key]
        return template.format(**values) if values else template

    def examples(self) -> list[Example]:
        return [ex for intent in self.intents.values() for ex in intent.examples]


@dataclass(frozen=True)
class Parts:
    """The data loaded so far: from the English files, then with every translation merged in."""

    sources: dict[str, Source]
    facts: dict[str, Fact]  # the valid ones
    fact_ids: set[str]  # every fact defined, valid or not: a reference to an invalid one has its error already
    intents: dict[str, Intent]
    concepts: dict[str, Concept]
    negatives: tuple[Example, ...]
