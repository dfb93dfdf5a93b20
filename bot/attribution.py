"""Who reported a fact: the one reading of a fact's citations that answers, renderers and the
timeline share.

A citation names the outlet that published a report and, optionally, the source that outlet
cites ("TASS, citing a Kremlin source"). `credits` lists them in order of first use; each
caller then picks its view of who to name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from .knowledge import KnowledgeBase
from .model import Fact, Source

# Source types that report news first-hand: when an outlet cites one, the cited one is credited.
ORIGINAL_REPORTERS = ("wire_service", "news_outlet", "state_media", "media_reports")


class Credit(Enum):
    """Whom to name for one citation."""

    ORIGINAL = "original"  # the cited source when it is a news organisation, else the publishing outlet
    CITED = "cited"  # the cited source whatever it is, else the publishing outlet
    EVERYONE = "everyone"  # the cited source, then the publishing outlet


@dataclass(frozen=True)
class Attribution:
    """One citation of the facts: the outlet that published it and the source it cites, if any."""

    outlet: Source
    cited: Source | None

    def credited(self, credit: Credit) -> tuple[Source, ...]:
        """The sources to name for this citation under `credit`."""
        if credit is Credit.EVERYONE:
            return (self.cited, self.outlet) if self.cited else (self.outlet,)
        if self.cited and (credit is Credit.CITED or self.cited.type in ORIGINAL_REPORTERS):
            return (self.cited,)
        return (self.outlet,)


def credits(kb: KnowledgeBase, facts: Iterable[Fact]) -> tuple[Attribution, ...]:
    """Every distinct citation of `facts`, in order of first use."""
    seen = dict.fromkeys((cite.outlet, cite.cites) for fact in facts for cite in fact.sources)
    return tuple(Attribution(kb.sources[outlet], kb.sources[cited] if cited else None) for outlet, cited in seen)


def reporters(kb: KnowledgeBase, facts: Iterable[Fact], lang: str, credit: Credit) -> tuple[str, ...]:
    """The display names to credit `facts` to under `credit`, each once, in order of first use."""
    names = (source.display(lang) for a in credits(kb, facts) for source in a.credited(credit))
    return tuple(dict.fromkeys(names))


def by_outlet(kb: KnowledgeBase, facts: Iterable[Fact]) -> tuple[tuple[Source, tuple[Source, ...]], ...]:
    """Each publishing outlet of `facts` with the sources it cites, in order of first use."""
    grouped: dict[str, tuple[Source, list[Source]]] = {}
    for a in credits(kb, facts):
        _, cited = grouped.setdefault(a.outlet.id, (a.outlet, []))
        if a.cited and a.cited not in cited:
            cited.append(a.cited)
    return tuple((outlet, tuple(cited)) for outlet, cited in grouped.values())
