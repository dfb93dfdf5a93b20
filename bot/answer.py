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
from .model import SOURCES, SPECIAL_INTENTS, Match, Reply, Section

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
    spoken = detect(question, kb.cyrillic)
    return spoken if spoken in kb.ui else reply_language(kb, interface)


def reply_language(kb: KnowledgeBase, lang: str | None) -> str:
    """The language to answer in: the one asked for when we have its texts, else English."""
    code = (lang or "en").split("-")[0].lower()
    return code if code in kb.ui else "en"


def _section(kb: KnowledgeBase, intent_id: str, as_of: date | None) -> Section:
    known = [kb.facts[f] for f in kb.intents[intent_id].facts if as_of is None or kb.facts[f].reported <= as_of]
    ids = {f.id for f in known}
    # A fact is "earlier" when a newer fact shown here replaces it as the current state.
    is_old = {f.id for f in known if any(new in ids for new in kb.superseded_by.get(f.id, ()))}
    current = tuple(f for f in known if f.id not in is_old)
    earlier = tuple(sorted((f for f in known if f.id in is_old), key=lambda f: (f.reported, f.event_date), reverse=True))
    return Section(intent_id, current, earlier)


def compose(
    kb: KnowledgeBase,
    match: Match,
    lang: str = "en",
    as_of: date | None = None,
    today: date | None = None,
    stale_days: int = STALE_DAYS,
) -> Reply:
    """The Reply to a matched question: its facts as known at `as_of`, sources, dates, follow-ups."""
    lang = reply_language(kb, lang)
    today = today or date.today()
    point = min(as_of, today) if as_of else None
    unknown = tuple(kb.concepts[c].display(lang) for c in match.unknown)
    if match.intent is None:
        return Reply(
            question=match.question, lang=lang, intent=None, confidence=match.confidence, sections=(),
            sources=(), as_of=None, stale_days=None, alternatives=(), follow_ups=(), unknown=unknown,
            match=match, knowledge_as_of=_newest(kb, point), point_in_time=point,
        )
    intents = [match.intent] + [m.intent for m in match.extra if m.intent]
    sections = tuple(_section(kb, iid, point) for iid in intents if iid not in SPECIAL_INTENTS)
    used = [f for s in sections for f in (*s.current, *s.earlier)]
    if match.intent == SOURCES:
        used = sorted(kb.facts.values(), key=lambda f: f.reported) if point is None else [
            f for f in kb.facts.values() if f.reported <= point]
    newest = max((f.reported for f in used), default=None)
    if newest is None:  # help, or nothing known by the point in time asked
        newest = _newest(kb, point)
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
        sections=sections,
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
    return max((f.reported for f in kb.facts.values() if point is None or f.reported <= point), default=None)
