"""What the handlers need to know about an update, beyond its text: who asked, in which
language to answer, and on which surface (private chat, group, channel) the answer lands."""

from __future__ import annotations

from telegram import Chat, Update

from ..answer import reply_language
from ..knowledge import KnowledgeBase
from .keyboards import CHANNEL, GROUP, PRIVATE


def who(update: Update) -> int:
    """The asking user; for channel posts (no user) the channel itself; 0 when there is neither."""
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat is not None else 0


def lang(kb: KnowledgeBase, update: Update) -> str:
    """The language to answer in: the user's Telegram interface language when we have its texts."""
    user = update.effective_user
    return reply_language(kb, user.language_code if user else None)


def surface(chat: Chat) -> str:
    """PRIVATE, GROUP (groups and supergroups) or CHANNEL."""
    if chat.type == Chat.PRIVATE:
        return PRIVATE
    return CHANNEL if chat.type == Chat.CHANNEL else GROUP
