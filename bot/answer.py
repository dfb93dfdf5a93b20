"""Compose a Reply: the one function every surface calls to answer a question.

Pure: the same knowledge base, question, context and dates give the same Reply. Nothing
here formats text for a surface; `render` does that.
"""

from __future__ import annotations

from datetime import date

from .attribution import Credit, reporters
from .knowledge import KnowledgeBase
from .language import detect
from .matching import Context
from .model import SOURCES, SPECIAL_INTENTS, Fact, Match, Reply, Section

STALE_DAYS = 30  # an answer whose newest fact is older than this many days says so (FACTBOT_STALE_DAYS)


def answer(
    kb: KnowledgeBase,
    question: str,
    lang: str = "en",
    context: Context | None = None,
    as_of: date | None = None,
    today: date | None = None,
    stale_days: int = STALE_DAYS,
) -> Reply:
    """Answer a free-text question, in its language (else `lang`, the user's interface language)."""
    match = kb.matcher.match(question, context)
    return compose(kb, match, question_language(kb, question, lang), as_of=as_of, today=today, stale_days=stale_days)


def answer_intent(
    kb: KnowledgeBase,
    intent: str,
    lang: str = "en",
    as_of: date | None = None,
    today: date | None = None,
    stale_days: int = STALE_DAYS,
) -> Reply:
    """Answer a known intent directly (a button press, a deep link); KeyError if unknown."""
    if intent not in kb.intents:
        raise KeyError(intent)
    match = Match(
        question=kb.intents[intent].display(lang), normalized="", intent=intent, confidence=1.0,
        ranked=(), alternatives=(), concepts=(), unknown=(), closest=(), reason="chosen",
    )
    return compose(kb, match, lang, as_of=as_of, today=today, stale_days=stale_days)


def context_of(reply: Reply) -> Context | None:
    """What to remember of an answered question for the next one in the conversation."""
    if not reply.intent or reply.intent in SPECIAL_INTENTS:
        return None
    return Context(reply.match.normalized, reply.intent, reply.match.concepts)


def question_language(kb: KnowledgeBase, question: str, interface: str | None) -> str:
    """The language of the question when it can be told and we speak it; else the interface's."""
    ui = reply_language(kb, interface)
    spoken = detect(question, kb.cyrillic, interface=ui)
    return spoken if spoken in kb.ui else ui


def reply_language(kb: KnowledgeBase, lang: str | None) -> str:
    """The language to answer in: the one asked for when we have its texts, else English."""
    code = (lang or "en").split("-")[0].lower()
    return code if code in kb.ui else "en"


def _section(kb: KnowledgeBase, intent_id: str, point: date | None, asked: tuple[str, ...]) -> Section:
    """One intent's facts as known at `point`, led by those about what was asked (`asked`: concept
    ids the question named; else the intent's own entities).

    Supersession orders facts about the same thing: a fact replaced by a newer one goes under
    "Reported earlier". But a lead fact replaced by a fact about something else (the US view,
    replaced by the fall of Damascus) still leads, and the newer fact follows it as what
    overtook it: the answer keeps to what was asked.
    """
    intent = kb.intents[intent_id]
    known = [kb.facts[f] for f in intent.facts if kb.facts[f].known_by(point)]
    subject = _about(known, asked) or _about(known, intent.entities) or {f.id for f in known}
    ordered = [f for f in known if f.id in subject] + [f for f in known if f.id not in subject]
    shown = {f.id for f in known}
    newer = {f.id: [n for n in kb.superseded_by.get(f.id, ()) if n in shown] for f in known}
    overtaken = [(f.id, kb.facts[n]) for f in ordered if f.id in subject for n in newer[f.id] if n not in subject]
    old = {f.id for f in known if any(n in subject or f.id not in subject for n in newer[f.id])}
    overtakers = {new.id for _, new in overtaken}
    current = tuple(f for f in ordered if f.id not in old and f.id not in overtakers)
    earlier = tuple(sorted((f for f in known if f.id in old), key=_recency, reverse=True))
    return Section(intent_id, current, earlier, tuple(overtaken))


def _about(facts: list[Fact], concepts: tuple[str, ...]) -> set[str]:
    return {f.id for f in facts if set(f.about) & set(concepts)}


def _recency(fact: Fact) -> tuple[date, date]:
    return (fact.reported or date.min, fact.event_date or date.min)


def _without(section: Section, seen: set[str]) -> Section:
    """`section` less the facts an earlier section of the reply already showed (a fact that
    overtook one of them and is not shown yet becomes a lead fact of its own)."""
    orphans = tuple(new for old, new in section.overtaken if old in seen and new.id not in seen)
    return Section(
        section.intent,
        tuple(f for f in section.current if f.id not in seen) + orphans,
        tuple(f for f in section.earlier if f.id not in seen),
        tuple((old, new) for old, new in section.overtaken if old not in seen),
    )


def compose(
    kb: KnowledgeBase,
    match: Match,
    lang: str = "en",
    as_of: date | None = None,
    today: date | None = None,
    stale_days: int = STALE_DAYS,
) -> Reply:
    """The Reply to a matched question: its facts as known at `as_of`, sources, dates, follow-ups.

    A reply without an intent is a refusal, or, when the matcher found a few close topics
    (`match.alternatives`), a question back: which of these was meant.
    """
    lang = reply_language(kb, lang)
    today = today or date.today()
    point = min(as_of, today) if as_of else None
    unknown = tuple(kb.concepts[c].display(lang) for c in match.unknown)
    if match.intent is None:
        return Reply(
            question=match.question, lang=lang, intent=None, confidence=match.confidence, sections=(),
            sources=(), as_of=None, stale_days=None, alternatives=match.alternatives, follow_ups=(), unknown=unknown,
            match=match, knowledge_as_of=_newest(kb, point), point_in_time=point,
        )
    asked = {match.intent: match.concepts}
    for extra in match.extra:
        if extra.intent:
            asked.setdefault(extra.intent, extra.concepts)
    intents = list(asked)
    sections: list[Section] = []
    seen: set[str] = set()
    for iid in intents:
        if iid in SPECIAL_INTENTS:
            continue
        section = _section(kb, iid, point, asked[iid])
        had_facts = bool(section.current or section.earlier)
        section = _without(section, seen)
        if had_facts and not (section.current or section.earlier):
            continue  # everything it would say is said above
        seen |= {f.id for f in section.facts}
        sections.append(section)
    used: list[Fact] = [f for s in sections for f in s.facts]
    if match.intent == SOURCES:
        used = [f for f in kb.facts.values() if f.known_by(point)]
    dated = [f.reported for f in used if f.reported]
    newest = max(dated, default=None)  # None: no fact used (help; nothing known by the date asked)
    reference = point or today  # "as known on" a date is judged from that date
    stale = (reference - newest).days if newest and (reference - newest).days > stale_days else None
    answered = set(intents)
    follow_ups = tuple(
        f for iid in intents for f in kb.intents[iid].follow_ups
        if f not in answered and f not in match.alternatives
    )
    return Reply(
        question=match.question,
        lang=lang,
        intent=match.intent,
        confidence=match.confidence,
        sections=tuple(sections),
        sources=reporters(kb, used, lang, Credit.EVERYONE),
        as_of=newest,
        stale_days=stale,
        alternatives=match.alternatives,
        follow_ups=tuple(dict.fromkeys(follow_ups))[:3],
        unknown=unknown,
        match=match,
        knowledge_as_of=_newest(kb, point),
        point_in_time=point,
    )


def _newest(kb: KnowledgeBase, point: date | None) -> date | None:
    return max((f.reported for f in kb.facts.values() if f.reported and f.known_by(point)), default=None)
