"""Telegram interface texts (locales/telegram.yaml) filled in: plain text, never HTML.

Answers are HTML from `bot.render`; these texts are sent without a parse mode, so nothing
here needs escaping.
"""

from __future__ import annotations

from ..attribution import Credit, reporters
from ..config import Settings
from ..knowledge import KnowledgeBase
from ..message_length import TELEGRAM_LIMIT, chunks
from ..render import format_date

# (command, whether it is offered in groups too); descriptions live in locales/telegram.yaml
COMMANDS = (
    ("start", False),
    ("ask", True),
    ("help", True),
    ("topics", True),
    ("sources", True),
    ("timeline", False),
    ("why", True),
    ("about", False),
    ("privacy", True),
    ("follow", True),
    ("unfollow", True),
)


def as_of(kb: KnowledgeBase, lang: str) -> str:
    return format_date(kb, kb.as_of, lang) if kb.as_of else "-"


def welcome(kb: KnowledgeBase, lang: str) -> str:
    return kb.text("tg_welcome", lang, date=as_of(kb, lang))


def about(kb: KnowledgeBase, lang: str) -> str:
    return kb.text("tg_about", lang, date=as_of(kb, lang))


def privacy(kb: KnowledgeBase, settings: Settings, lang: str) -> str:
    minutes = settings.context_seconds / 60
    recorded = (kb.text("tg_privacy_recorded", lang, days=settings.retention_days) if settings.db_path()
                else kb.text("tg_privacy_not_recorded", lang))
    if settings.ledger_path():  # bot/tg/ledger.py: each update until it is handled
        recorded += " " + kb.text("tg_privacy_ledger", lang)
    return kb.text("tg_privacy", lang, minutes=f"{minutes:g}", recorded=recorded)


def timeline(kb: KnowledgeBase, lang: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Every event ordered by when it happened, with its date and source; split into messages.

    Within a day the facts keep the order of the fact files, which list them in the order
    things happened (docs/data-format.md); background, which is no event, is left out."""
    lines = [kb.text("tg_timeline_heading", lang, date=as_of(kb, lang))]
    events = [(fact, fact.event_date) for fact in kb.facts.values() if fact.event_date]
    for fact, day in sorted(events, key=lambda pair: pair[1]):  # a stable sort: file order within a day
        names = reporters(kb, [fact], lang, Credit.CITED)
        lines.append(kb.text("tg_timeline_entry", lang, date=format_date(kb, day, lang),
                             statement=fact.text(lang), sources=", ".join(names)))
    return chunks(lines, limit)


def commands(kb: KnowledgeBase, lang: str, in_groups: bool) -> list[tuple[str, str]]:
    """(command, description) pairs for setMyCommands."""
    return [(name, kb.text(f"tg_command_{name}", lang)) for name, group_too in COMMANDS if group_too or not in_groups]
