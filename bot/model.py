"""Plain, immutable data: what the knowledge base holds and what an answer is.

Nothing here knows about Telegram, YAML or matching; every other module speaks in these types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

ASSERTIONS = ("reported", "claimed", "stated", "alleged", "suggested")
SOURCE_TYPES = (
    "wire_service",
    "news_outlet",
    "state_media",
    "official_statement",
    "own_statement",
    "anonymous_source",
    "analysts",
    "media_reports",
    "background",
)
HELP = "help"
SOURCES = "sources"
SPECIAL_INTENTS = (HELP, SOURCES)  # answered from interface texts, not from facts
ASK_BACK = "ask_back"  # Match.reason of a question the story's names make ours but no intent is sure of
OUT_OF_SCOPE_NAME = "out_of_scope_name"  # Match.reason of a question whose subject is a name we have no facts on
NO_STATEMENT = "no_statement"  # Match.reason of "what did X say?" when the base holds nothing X said
LOW_SCORE = "low_score"  # Match.reason of a question close to no example
LIKE_OUT_OF_SCOPE = "like_out_of_scope_examples"  # Match.reason of one closer to the out-of-scope examples
TOO_VAGUE = "too_vague"  # Match.reason of a one-word question naming nothing ("why", "what"): no example says just that


def is_topic(intent: str) -> bool:
    """Whether users browse and follow `intent` as a topic: every intent but help."""
    return intent != HELP


@dataclass(frozen=True)
class Source:
    id: str
    name: dict[str, str]  # lang -> name as readers of that language know it
    type: str

    def display(self, lang: str = "en") -> str:
        return self.name.get(lang) or self.name["en"]


@dataclass(frozen=True)
class Citation:
    outlet: str  # source id of the publication
    cites: str | None = None  # source id it cites ("reports Reuters")


@dataclass(frozen=True)
class Fact:
    id: str
    statement: dict[str, str]  # lang -> sentence(s), attribution included
    asserted_by: str  # source id
    assertion: str  # one of ASSERTIONS
    sources: tuple[Citation, ...]
    event_date: date | None  # None for curators' background, which is no event
    reported: date | None  # the day the cited publication appeared; None for background
    supersedes: tuple[str, ...] = ()
    about: tuple[str, ...] = ()  # concept ids: what the fact is about, so it can lead the answer to them

    def text(self, lang: str = "en") -> str:
        return self.statement.get(lang) or self.statement["en"]

    def known_by(self, point: date | None) -> bool:
        """Whether the fact had been published by `point` (background is always known)."""
        return point is None or self.reported is None or self.reported <= point


@dataclass(frozen=True)
class Concept:
    """A name the matcher recognises: in scope (homs, assad) or out of scope (aleppo, putin)."""

    id: str
    kind: str  # place | person | group | topic
    variants: tuple[str, ...]
    in_scope: bool = True
    default_intent: str | None = None
    name: dict[str, str] = field(default_factory=dict)  # display names (out-of-scope ones)
    # the intents whose facts hold what this person or body said; () when the base holds no
    # statement of theirs ("what did trump say?" is then told so); None when not curated
    said_in: tuple[str, ...] | None = None

    def display(self, lang: str = "en") -> str:
        return self.name.get(lang) or self.name.get("en") or self.id.replace("_", " ").title()


@dataclass(frozen=True)
class Example:
    intent: str
    text: str
    lang: str


@dataclass(frozen=True)
class Intent:
    id: str
    label: dict[str, str]
    facts: tuple[str, ...]
    follow_ups: tuple[str, ...]
    entities: tuple[str, ...]
    allows: tuple[str, ...]
    examples: tuple[Example, ...]

    def display(self, lang: str = "en") -> str:
        return self.label.get(lang) or self.label["en"]


class Scored(NamedTuple):
    """One candidate intent with its score in [0, 1] (a tuple: made by the dozen per question)."""

    intent: str
    score: float


@dataclass(frozen=True)
class Match:
    """What the matcher decided about one question, and why."""

    question: str
    normalized: str
    intent: str | None
    confidence: float
    ranked: tuple[Scored, ...]  # all candidates, best first
    alternatives: tuple[str, ...]  # runner-ups worth offering as "did you mean"
    concepts: tuple[str, ...]  # in-scope concept ids recognised
    unknown: tuple[str, ...]  # out-of-scope concept ids recognised
    closest: tuple[tuple[str, str, float], ...]  # (intent, example, score) nearest examples
    reason: str  # short machine-readable reason for the decision
    extra: tuple[Match, ...] = ()  # a second question in the same message
    negative: float = 0.0  # score of the out-of-scope examples (intents/out_of_scope.yaml)
    speaker: str | None = None  # the name whose words a "what did X say?" question asks for
    # the whole question in canonical form, however the conversation read it ("" for a chosen
    # intent): the key for "the same question asked again"
    canonical: str = ""

    @property
    def decision(self) -> str:
        """The reason without the readings that led to it ("ask_back+learned" is "ask_back")."""
        return self.reason.split("+", 1)[0]


@dataclass(frozen=True)
class Section:
    """One intent's part of an answer."""

    intent: str
    current: tuple[Fact, ...]  # lead facts: those about what was asked first, then the intent's order
    earlier: tuple[Fact, ...]  # superseded reports, newest first
    # (id of a lead fact, the later fact about something else that overtook it): said after the lead fact
    overtaken: tuple[tuple[str, Fact], ...] = ()

    @property
    def facts(self) -> tuple[Fact, ...]:
        """Every fact of the section, in the order it is shown."""
        out: list[Fact] = []
        for fact in self.current:
            out += [fact, *(new for old, new in self.overtaken if old == fact.id)]
        return _unique(out + list(self.earlier))


@dataclass(frozen=True)
class Reply:
    """Everything a surface needs to say an answer; rendering only formats it."""

    question: str
    lang: str
    intent: str | None
    confidence: float
    sections: tuple[Section, ...]
    sources: tuple[str, ...]  # display names of outlets, in order of first use
    as_of: date | None  # newest reported date among facts used; None when no fact is used
    stale_days: int | None  # set when the newest fact is older than the staleness limit
    alternatives: tuple[str, ...]
    follow_ups: tuple[str, ...]
    unknown: tuple[str, ...]  # display names of out-of-scope things the question named
    match: Match
    knowledge_as_of: date | None = None  # newest fact in the whole base (for refusals)
    point_in_time: date | None = None  # answering "as known on" this date

    @property
    def answered(self) -> bool:
        return self.intent is not None

    @property
    def canonical(self) -> str:
        return self.match.canonical

    @property
    def asks_back(self) -> bool:
        """Not answered, but close to a few topics: the reply asks which one was meant."""
        return self.intent is None and bool(self.alternatives) and self.match.decision == ASK_BACK

    @property
    def facts(self) -> tuple[Fact, ...]:
        return _unique([f for s in self.sections for f in s.facts])


def _unique(facts: list[Fact]) -> tuple[Fact, ...]:
    """Each fact once, where it first appears (facts hold dicts: not hashable)."""
    first: dict[str, Fact] = {}
    for fact in facts:
        first.setdefault(fact.id, fact)
    return tuple(first.values())
