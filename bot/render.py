"""Render a Reply for a surface: Telegram HTML, plain terminal text, the contract's JSON.

All three come from the same layout (a list of blocks), so they never disagree. Escaping
happens here and only here, at the last moment.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from typing import Any

from .attribution import Credit, by_outlet, reporters
from .knowledge import KnowledgeBase
from .message_length import TELEGRAM_LIMIT, fit_html, shorten, telegram_length
from .model import (
    HELP,
    LIKE_OUT_OF_SCOPE,
    LOW_SCORE,
    NO_STATEMENT,
    OUT_OF_SCOPE_NAME,
    SOURCES,
    SPECIAL_INTENTS,
    TOO_VAGUE,
    Fact,
    Reply,
)


@dataclass(frozen=True)
class Block:
    """One paragraph: text plus how to emphasise it."""

    text: str
    style: str = ""  # "" | "b" | "i"
    bullet: bool = False


def format_date(kb: KnowledgeBase, day: date, lang: str) -> str:
    months = kb.text("months", lang).split()
    return kb.text("date_format", lang).format(day=day.day, month=months[day.month - 1], year=day.year)


def _fact_tag(kb: KnowledgeBase, fact: Fact, lang: str) -> str:
    """ "(Reuters; 8 December 2024)": who reported it first-hand and when it was reported;
    "(Background (curators))" for background, which has no date."""
    names_text = kb.text("name_separator", lang).join(reporters(kb, [fact], lang, Credit.ORIGINAL))
    if fact.reported is None:
        return kb.text("fact_tag_undated", lang, sources=names_text)
    return kb.text("fact_tag", lang, sources=names_text, date=format_date(kb, fact.reported, lang))


def _options(kb: KnowledgeBase, intents: tuple[str, ...] | list[str], lang: str) -> str:
    return kb.text("list_separator", lang).join(kb.intents[i].display(lang) for i in intents)


def _provenance(kb: KnowledgeBase, facts: tuple[Fact, ...] | list[Fact], lang: str) -> str:
    """ "News report of 8 Dec 2024, citing Reuters; Associated Press" """
    parts = []
    for outlet, cited in by_outlet(kb, facts):
        name = outlet.display(lang)
        if cited:
            names = kb.text("name_separator", lang).join(c.display(lang) for c in cited)
            parts.append(kb.text("citing", lang, outlet=name, cited=names))
        else:
            parts.append(name)
    return kb.text("list_separator", lang).join(parts)


def layout(kb: KnowledgeBase, reply: Reply, surface: str = "private", sections: int | None = None) -> list[Block]:
    """The reply as blocks. `surface` is "private" (full) or "group" (short refusals);
    `sections`: show only the first so many sections (the rest are named as left out). The
    footer (sources, the date line, the staleness note) always describes the facts shown."""
    lang = reply.lang
    if not reply.answered:
        return _unanswered(kb, reply, surface)
    blocks: list[Block] = []
    shown = reply.sections[:sections]
    if reply.intent == HELP:
        blocks.append(_help(kb, lang))
    elif reply.intent == SOURCES:
        known = [f for f in kb.facts.values() if f.known_by(reply.point_in_time)]
        blocks.append(Block(kb.text("sources_intro", lang)))
        for sid in sorted({c.outlet for f in known for c in f.sources} | {c.cites for f in known for c in f.sources if c.cites}):
            src = kb.sources[sid]
            blocks.append(Block(f"{src.display(lang)} ({kb.text('source_types_' + src.type, lang)})", bullet=True))
    if reply.intent and reply.unknown and reply.match.decision == OUT_OF_SCOPE_NAME:  # answered despite them
        names = kb.text("name_separator", lang).join(reply.unknown)
        topic = kb.intents[reply.intent].display(lang)
        blocks.append(Block(kb.text("answered_despite_names", lang, names=names, topic=topic), "i"))
    said: set[str] = set()
    for section in shown:
        if len(reply.sections) > 1:
            blocks.append(Block(kb.intents[section.intent].display(lang), "b"))
        if not section.current and not section.earlier and reply.point_in_time:
            blocks.append(Block(kb.text("nothing_by_date", lang, date=format_date(kb, reply.point_in_time, lang))))
        for fact in section.current:
            blocks.append(Block(_fact(kb, fact, lang), bullet=len(section.current) > 1))
            said.add(fact.id)
            for new in (new for old, new in section.overtaken if old == fact.id):
                text = (kb.text("events_overtook_above", lang) if new.id in said
                        else kb.text("events_overtook", lang, statement=_fact(kb, new, lang)))
                blocks.append(Block(text, bullet=len(section.current) > 1))
                said.add(new.id)
        if section.earlier:
            blocks.append(Block(kb.text("earlier_heading", lang), "b"))
            for fact in section.earlier:
                blocks.append(Block(_fact(kb, fact, lang), bullet=True))
                said.add(fact.id)
    left_out = [s.intent for s in reply.sections[len(shown):]]
    if left_out:
        blocks.append(Block(kb.text("left_out", lang, options=_options(kb, left_out, lang))))
    facts = [f for s in shown for f in s.facts]
    if reply.intent not in SPECIAL_INTENTS and facts:
        blocks.append(Block(kb.text("sources_line", lang, sources=_provenance(kb, facts, lang)), "i"))
    blocks += _dates(kb, reply, facts)
    if reply.alternatives:
        blocks.append(Block(kb.text("did_you_mean", lang, options=_options(kb, reply.alternatives, lang))))
    if reply.follow_ups and surface == "private":
        blocks.append(Block(kb.text("follow_ups", lang, options=_options(kb, reply.follow_ups, lang))))
    return blocks


def _fact(kb: KnowledgeBase, fact: Fact, lang: str) -> str:
    return f"{fact.text(lang)} {_fact_tag(kb, fact, lang)}"


def _help(kb: KnowledgeBase, lang: str) -> Block:
    return Block(kb.text("help_text", lang, options=_options(kb, kb.main_topics[:3], lang)))


def _dates(kb: KnowledgeBase, reply: Reply, facts: list[Fact]) -> list[Block]:
    """One date line (none when no fact is shown), and the staleness note when it is old."""
    lang = reply.lang
    if reply.intent == SOURCES:
        newest = reply.as_of
    else:
        newest = max((f.reported for f in facts if f.reported), default=None)
    if newest is None or reply.as_of is None:
        return []
    point = reply.point_in_time
    if point and point != newest:
        line = kb.text("as_of_point", lang, date=format_date(kb, point, lang), newest=format_date(kb, newest, lang))
    else:
        line = kb.text("as_of", lang, date=format_date(kb, newest, lang))
    blocks = [Block(line, "i")]
    if reply.stale_days:  # judged for the whole reply; a shorter one shows older facts only
        days = reply.stale_days + (reply.as_of - newest).days
        blocks.append(Block(kb.text("stale", lang, date=format_date(kb, newest, lang), days=days), "i"))
    return blocks


def _unanswered(kb: KnowledgeBase, reply: Reply, surface: str) -> list[Block]:
    """No intent: a blank message gets the help text; a question close to a few topics is asked
    back which one it meant; anything else is refused."""
    lang = reply.lang
    if not reply.match.normalized.strip() and not reply.question.strip():
        return [_help(kb, lang)]
    if reply.asks_back:
        options = _options(kb, reply.alternatives, lang)
        if surface != "private":
            return [Block(kb.text("ask_back_short", lang, options=options))]
        return [Block(kb.text("ask_back", lang), "b"), Block(kb.text("did_you_mean", lang, options=options))]
    return _refusal(kb, reply, surface)


def _speaker(kb: KnowledgeBase, reply: Reply) -> str:
    """The name of the one whose words were asked for, as the reader's language writes it."""
    return kb.concepts[reply.match.speaker].display(reply.lang) if reply.match.speaker else ""


# How a refusal naming nothing opens (its text in a private chat, and in groups), by its reason:
# "why" alone is too short to tell; a question merely closer to the out-of-scope examples than
# to ours, or close to none, may be ours in words we lack, so it is told nothing in the base
# answers it. Only the rest (word for word an out-of-scope example, a subject we never heard
# of) are "outside what my fact base covers".
_UNSURE = ("refusal_unsure", "refusal_short_unsure")
_PLAIN_REFUSALS = {TOO_VAGUE: ("refusal_vague", "refusal_short_vague"), LIKE_OUT_OF_SCOPE: _UNSURE, LOW_SCORE: _UNSURE}
_OUTSIDE = ("refusal_plain", "refusal_short")


def _refusal(kb: KnowledgeBase, reply: Reply, surface: str) -> list[Block]:
    lang = reply.lang
    names = kb.text("name_separator", lang).join(reply.unknown)
    statement = kb.text("no_statement", lang, names=_speaker(kb, reply)) if reply.match.decision == NO_STATEMENT else ""
    plain, short = _PLAIN_REFUSALS.get(reply.match.decision, _OUTSIDE)
    if surface != "private":
        key = "refusal_short_named" if names else short
        return [Block(statement or kb.text(key, lang, names=names))]
    first = statement or (kb.text("refusal_named", lang, names=names) if names else kb.text(plain, lang))
    if reply.alternatives and (names or statement):  # a near miss about one of the story's names
        key = "nearest_topic" if len(reply.alternatives) == 1 else "nearest_topics"
        return [Block(first, "b"), Block(kb.text(key, lang, options=_options(kb, reply.alternatives, lang)))]
    # the topics the question is likeliest about (Match.alternatives) first, then the main ones
    topics = list(dict.fromkeys([*reply.alternatives, *kb.main_topics]))[: len(kb.main_topics)]
    return [
        Block(first, "b"),
        Block(kb.text("refusal_scope", lang)),
        Block(kb.text("refusal_topics", lang, options=_options(kb, topics, lang))),
    ]


def to_html(kb: KnowledgeBase, reply: Reply, surface: str = "private") -> str:
    """Telegram HTML: escaped, only <b> and <i>, under Telegram's 4096-character limit. A reply
    too long for one message drops whole later sections (and names them), never its footer."""
    return fit_html(_html(layout(kb, reply, surface, shown_sections(kb, reply, surface))))


def to_text(kb: KnowledgeBase, reply: Reply, surface: str = "private") -> str:
    """Plain text for the terminal: the same sections the Telegram message shows."""
    blocks = layout(kb, reply, surface, shown_sections(kb, reply, surface))
    lines = [f"• {b.text}" if b.bullet else b.text for b in blocks]
    return "\n\n".join(_join_bullets(lines))


def shown_sections(kb: KnowledgeBase, reply: Reply, surface: str = "private") -> int:
    """How many of the reply's sections fit one Telegram message with the footer (at least one)."""
    count = len(reply.sections)
    while count > 1 and telegram_length(_html(layout(kb, reply, surface, count))) > TELEGRAM_LIMIT:
        count -= 1
    return count


def left_out(kb: KnowledgeBase, reply: Reply, surface: str = "private") -> tuple[str, ...]:
    """The intents of the sections a reply too long for one message leaves out, to ask separately."""
    return tuple(s.intent for s in reply.sections[shown_sections(kb, reply, surface):])


def _html(blocks: list[Block]) -> str:
    lines = []
    for block in blocks:
        text = html.escape(block.text, quote=False)
        if block.style:
            text = f"<{block.style}>{text}</{block.style}>"
        lines.append(f"• {text}" if block.bullet else text)
    return "\n\n".join(_join_bullets(lines))


def _join_bullets(lines: list[str]) -> list[str]:
    """Keep consecutive bullets in one paragraph."""
    out: list[str] = []
    for line in lines:
        if line.startswith("• ") and out and out[-1].split("\n")[-1].startswith("• "):
            out[-1] += "\n" + line
        else:
            out.append(line)
    return out


def to_json(kb: KnowledgeBase, reply: Reply, explain: bool = False) -> dict[str, Any]:
    """The object ../shared/contract.md specifies (plus a few helpful extras)."""
    out: dict[str, Any] = {
        "question": reply.question,
        "intent": reply.intent,
        "confidence": round(float(reply.confidence), 3),
        "answer": to_html(kb, reply),
        "sources": list(reply.sources),
        "as_of": reply.as_of.isoformat() if reply.as_of else None,
        "lang": reply.lang,
        "alternatives": list(reply.alternatives),
        "follow_ups": list(reply.follow_ups),
        "facts": [f.id for f in reply.facts],
        "also_answered": [m.intent for m in reply.match.extra],
    }
    if reply.unknown:
        out["unknown"] = list(reply.unknown)
    dropped = left_out(kb, reply)
    if dropped:
        out["left_out"] = list(dropped)
    if explain:
        out["explain"] = explanation(reply)
    return out


def explanation(reply: Reply) -> dict[str, Any]:
    m = reply.match
    return {
        "normalized": m.normalized,
        "names_recognised": list(m.concepts),
        "out_of_scope_names": list(m.unknown),
        "decision": m.reason,
        "out_of_scope_examples_score": round(m.negative, 3),
        "closest_examples": [{"intent": i, "example": t, "score": s} for i, t, s in m.closest],
        "intent_scores": [{"intent": s.intent, "score": s.score} for s in m.ranked[:5]],
        "facts_used": [f.id for f in reply.facts],
    }


EXPLAIN_QUESTION_CHARS = 300  # a long message is shown by its start: /why must fit one Telegram message


def explain_text(kb: KnowledgeBase, reply: Reply) -> str:
    """The explanation as plain lines in the reply's language (CLI --explain and Telegram /why),
    within Telegram's limit."""
    e, lang = explanation(reply), reply.lang

    def names(found: list[str]) -> str:
        return shorten(", ".join(dict.fromkeys(found)), EXPLAIN_QUESTION_CHARS) or "-"

    intent = reply.intent or kb.text("explain_no_intent", lang)
    lines = [
        kb.text("explain_title", lang),
        kb.text("explain_question", lang, text=shorten(e["normalized"], EXPLAIN_QUESTION_CHARS) or "-"),
        kb.text("explain_names", lang, names=names(e["names_recognised"])),
        kb.text("explain_unknown_names", lang, names=names(e["out_of_scope_names"])),
        kb.text("explain_decision", lang, reason=e["decision"], intent=intent, confidence=f"{reply.confidence:.2f}"),
        kb.text("explain_negative_score", lang, score=f"{e['out_of_scope_examples_score']:.2f}"),
        kb.text("explain_closest", lang),
        *[f"  {c['score']:.2f}  {c['intent']}: {c['example']}" for c in e["closest_examples"]],
        kb.text("explain_scores", lang),
        *[f"  {s['score']:.2f}  {s['intent']}" for s in e["intent_scores"]],
        kb.text("explain_facts", lang, facts=", ".join(e["facts_used"]) or "-"),
    ]
    return shorten("\n".join(lines), TELEGRAM_LIMIT)
