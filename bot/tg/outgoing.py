"""An answer as it goes out on a surface: its HTML, its keyboard, and whether it carries the
useful / not useful buttons."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from ..config import Settings
from ..knowledge import KnowledgeBase
from ..model import Reply
from ..render import to_html
from .keyboards import GROUP, PRIVATE, answer_keyboard


def rendered(kb: KnowledgeBase, reply: Reply, surface: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """The HTML text and the keyboard of `reply` on `surface` (feedback buttons not included)."""
    html = to_html(kb, reply, "private" if surface == PRIVATE else "group")
    return html, answer_keyboard(kb, reply, surface)


def feedback_wanted(settings: Settings, reply: Reply, surface: str) -> bool:
    """Whether an answer on `surface` carries the useful / not useful buttons."""
    return reply.answered and (surface == PRIVATE or (surface == GROUP and settings.feedback_in_groups))
