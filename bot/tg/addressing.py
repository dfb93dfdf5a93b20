"""Is a message meant for the bot, and if so, what is the question?

Pure: a function of the message and the bot's own name and id; no network, no state.

- private chat: every text message is a question;
- group / supergroup: only `/ask`, `/ask@ourbot`, a mention of the bot (an `@ourbot` mention,
  a text mention of the bot's user, or `@ourbot` typed in plain text), or a reply to one of the
  bot's own messages;
- channel: only `/ask` or a mention.

The address itself (the command, the mention) is removed from the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import Chat, Message, MessageEntity

ASK_COMMAND = "ask"
_COMMAND = re.compile(r"^/([A-Za-z0-9_]+)(?:@([A-Za-z0-9_]+))?(?=\s|$)")
_LEADING_JUNK = re.compile(r"^[\s,:;.\-–—!]+")
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,;:.!?])")


@dataclass(frozen=True)
class Addressed:
    """A message meant for the bot."""

    question: str  # the text without the address; "" when nothing was asked
    via: str  # "private" | "command" | "mention" | "reply"


def addressing(message: Message, bot_username: str, bot_id: int) -> Addressed | None:
    """The question `message` puts to the bot, or None when the bot is not addressed."""
    text = message.text
    if not text or message.is_automatic_forward:  # a channel post mirrored into its discussion group
        return None
    chat_type = message.chat.type
    username = bot_username.lower().lstrip("@")

    command = _COMMAND.match(text)
    if command:
        name, target = command.group(1).lower(), (command.group(2) or "").lower()
        if target and target != username:
            return None  # a command for another bot
        if name == ASK_COMMAND or chat_type == Chat.PRIVATE:
            rest = _strip_mentions(message, text, username, bot_id, skip=command.end())
            return Addressed(_clean(rest), "command")
        return None  # our other commands have their own handlers; a bare /start@other is not ours

    if chat_type == Chat.PRIVATE:
        return Addressed(_clean(_strip_mentions(message, text, username, bot_id)), "private")

    stripped = _strip_mentions(message, text, username, bot_id)
    if stripped != text:
        return Addressed(_clean(stripped), "mention")
    if chat_type in (Chat.GROUP, Chat.SUPERGROUP) and _replies_to_bot(message, bot_id):
        return Addressed(_clean(text), "reply")
    return None


def _replies_to_bot(message: Message, bot_id: int) -> bool:
    reply = message.reply_to_message
    if reply is None or reply.from_user is None or reply.from_user.id != bot_id:
        return False
    # In a forum topic every message "replies" to the topic's first message; that is no reply.
    if reply.forum_topic_created is not None:
        return False
    return not (message.is_topic_message and reply.message_id == message.message_thread_id)


def _strip_mentions(message: Message, text: str, username: str, bot_id: int, skip: int = 0) -> str:
    """`text` from position `skip` (a Python index) without the mentions of the bot."""
    spans: list[tuple[int, int]] = []  # UTF-16 offsets, as Telegram counts them
    for entity in message.entities:
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id:
            spans.append((entity.offset, entity.offset + entity.length))
        elif entity.type == MessageEntity.MENTION:
            mentioned = _utf16_slice(text, entity.offset, entity.offset + entity.length)
            if mentioned.lower().lstrip("@") == username:
                spans.append((entity.offset, entity.offset + entity.length))
    skip16 = len(text[:skip].encode("utf-16-le")) // 2
    kept = _utf16_remove(text, [(0, skip16), *spans])
    # Also a plain "@ourbot" Telegram did not mark as a mention (e.g. in a forwarded text).
    return re.sub(rf"(?<![\w@])@{re.escape(username)}\b", " ", kept, flags=re.IGNORECASE)


def _utf16_slice(text: str, start: int, end: int) -> str:
    data = text.encode("utf-16-le")
    return data[start * 2:end * 2].decode("utf-16-le", errors="ignore")


def _utf16_remove(text: str, spans: list[tuple[int, int]]) -> str:
    """Replace each span (UTF-16 offsets) of `text` with a space."""
    data = text.encode("utf-16-le")
    out, pos = [], 0
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if start < pos:
            start = pos
        out.append(data[pos * 2:start * 2])
        out.append(" ".encode("utf-16-le"))
        pos = max(pos, end)
    out.append(data[pos * 2:])
    return b"".join(out).decode("utf-16-le", errors="ignore")


def _clean(text: str) -> str:
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", text).strip())
    return _LEADING_JUNK.sub("", text).strip()
