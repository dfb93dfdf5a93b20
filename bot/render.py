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
from .message_length import TELEGRAM_LIMIT, fit_html, shorten
from .model import HELP, SOURCES, SPECIAL_INTENTS, Fact, Reply


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
    """ "(Reuters; 8 December 2024)": who reported it first-hand and when it was reported."""
    names_text = kb.text("name_separator", lang).join(reporters(kb, [fact], lang, Credit.ORIGINAL))
    return kb.text("fact_tag", lang, sources=names_text, date=format_date(kb, fact.reported, lang))


def _options(kb: KnowledgeBase, intents: tuple[str, ...] | list[str], lang: str) -> str:
    return kb.text("list_separator", lang).join(kb.intents[i].display(lang) for i in intents)


def _provenance(kb: KnowledgeBase, reply: Reply) -> str:
    """ "News report of 8 Dec 2024, citing Reuters; Associated Press" """
    parts = []
    for outlet, cited in by_outlet(kb, reply.facts):
        name = outlet.display(reply.lang)
        if cited:
            names = kb.text("name_separator", reply.lang).join(c.display(reply.lang) for c in cited)
            parts.append(kb.text("citing", reply.lang, outlet=name, cited=names))
        else:
            parts.append(name)
    return kb.text("list_separator", reply.lang).join(parts)


def layout(kb: KnowledgeBase, reply: Reply, surface: str = "private") -> list[Block]:
    """The reply as blocks. `surface` is "private" (full) or "group" (short refusals)."""
    lang = reply.lang
    if not reply.answered:
        return _refusal(kb, reply, surface)
    blocks: list[Block] = []
    if reply.intent == HELP:
        starters = kb.main_topics[:3]
        blocks.append(Block(kb.text("help_text", lang, options=_options(kb, starters, lang))))
    elif reply.intent == SOURCES:
        blocks.append(Block(kb.text("sources_intro", lang)))
        for sid in sorted({c.outlet for f in kb.facts.values() for c in f.sources} |
                          {c.cites for f in kb.facts.values() for c in f.sources if c.cites}):
            src = kb.sources[sid]
            blocks.append(Block(f"{src.display(lang)} ({kb.text('source_types_' + src.type, lang)})", bullet=True))
        if reply.as_of:
            blocks.append(Block(kb.text("sources_newest", lang, date=format_date(kb, reply.as_of, lang))))
    for n, section in enumerate(reply.sections):
        if n or len(reply.sections) > 1:
            blocks.append(Block(kb.intents[section.intent].display(lang), "b"))
        if not section.current and not section.earlier and reply.point_in_time:
            blocks.append(Block(kb.text("nothing_by_date", lang, date=format_date(kb, reply.point_in_time, lang))))
        for fact in section.current:
            blocks.append(Block(f"{fact.text(lang)} {_fact_tag(kb, fact, lang)}", bullet=len(section.current) > 1))
        if section.earlier:
            blocks.append(Block(kb.text("earlier_heading", lang), "b"))
            for fact in section.earlier:
                blocks.append(Block(f"{fact.text(lang)} {_fact_tag(kb, fact, lang)}", bullet=True))
    if reply.intent not in SPECIAL_INTENTS and reply.facts:
        blocks.append(Block(kb.text("sources_line", lang, sources=_provenance(kb, reply)), "i"))
    if reply.point_in_time:
        blocks.append(Block(kb.text("as_of_point", lang, date=format_date(kb, reply.point_in_time, lang)), "i"))
    if reply.as_of:
        blocks.append(Block(kb.text("as_of", lang, date=format_date(kb, reply.as_of, lang)), "i"))
    if reply.stale_days and reply.as_of:  # stale_days is only set when the reply has a newest fact
        blocks.append(Block(kb.text("stale", lang, date=format_date(kb, reply.as_of, lang), days=reply.stale_days), "i"))
    if reply.alternatives:
        blocks.append(Block(kb.text("did_you_mean", lang, options=_options(kb, reply.alternatives, lang))))
    if reply.follow_ups and surface == "private":
        blocks.append(Block(kb.text("follow_ups", lang, options=_options(kb, reply.follow_ups, lang))))
    return blocks


def _refusal(kb: KnowledgeBase, reply: Reply, surface: str) -> list[Block]:
    lang = reply.lang
    names = kb.text("name_separator", lang).join(reply.unknown)
    if surface != "private":
        key = "refusal_short_named" if names else "refusal_short"
        return [Block(kb.text(key, lang, names=names))]
    first = kb.text("refusal_named", lang, names=names) if names else kb.text("refusal_plain", lang)
    topics = list(kb.main_topics)
    return [
        Block(first, "b"),
        Block(kb.text("refusal_scope", lang)),
        Block(kb.text("refusal_topics", lang, options=_options(kb, topics, lang))),
    ]


def to_html(kb: KnowledgeBase, reply: Reply, surface: str = "private") -> str:
    """Telegram HTML: escaped, only <b> and <i>, under Telegram's 4096-character limit."""
    lines = []
    for block in layout(kb, reply, surface):
        text = html.escape(block.text, quote=False)
        if block.style:
            text = f"<{block.style}>{text}</{block.style}>"
        lines.append(f"• {text}" if block.bullet else text)
    return fit_html("\n\n".join(_join_bullets(lines)))


def to_text(kb: KnowledgeBase, reply: Reply, surface: str = "private") -> str:
    """Plain text for the terminal."""
    lines = [f"• {b.text}" if b.bullet else b.text for b in layout(kb, reply, surface)]
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
