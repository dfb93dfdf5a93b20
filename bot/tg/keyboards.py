"""Inline keyboards: "did you mean" and follow-up buttons, topic lists.

Every button answers one intent; its callback data is "a:<intent_id>", or
"a:<intent_id>:<lang>" when the keyboard is not in English, so that the answer comes in the
language of the conversation (Telegram allows 64 bytes; intent ids are short words).
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from ..knowledge import KnowledgeBase
from ..model import SPECIAL_INTENTS, Reply, is_topic
from ..render import left_out

ANSWER_PREFIX = "a:"
FEEDBACK_PREFIX = "f:"  # "f:<question id>:1" useful, "f:<question id>:0" not useful
CALLBACK_LIMIT = 64  # bytes, Telegram's limit for callback_data

PRIVATE, GROUP, CHANNEL = "private", "group", "channel"


def callback_data(intent_id: str, lang: str = "en") -> str:
    data = ANSWER_PREFIX + intent_id + ("" if lang == "en" else f":{lang}")
    if len(data.encode("utf-8")) > CALLBACK_LIMIT:
        raise ValueError(f"intent id {intent_id!r} is too long for a button (max {CALLBACK_LIMIT - len(ANSWER_PREFIX)} bytes)")
    return data


def intent_of(data: str | None) -> str | None:
    """The intent a button asks for, or None when the data is not one of ours."""
    if not data or not data.startswith(ANSWER_PREFIX):
        return None
    return data[len(ANSWER_PREFIX):].split(":")[0] or None


def lang_of(data: str | None) -> str | None:
    """The language of the keyboard a button was on, when it was not English."""
    parts = (data or "").split(":")
    return parts[2] if len(parts) > 2 and parts[0] + ":" == ANSWER_PREFIX else None


def main_topics(kb: KnowledgeBase) -> list[str]:
    return list(kb.main_topics)


def all_topics(kb: KnowledgeBase) -> list[str]:
    return [i for i in kb.intents if is_topic(i)]


def topics_keyboard(kb: KnowledgeBase, intents: list[str], lang: str) -> InlineKeyboardMarkup | None:
    """One button a row, each answering its intent."""
    rows = [[InlineKeyboardButton(kb.intents[i].display(lang), callback_data=callback_data(i, lang))] for i in intents]
    return InlineKeyboardMarkup(rows) if rows else None


def answer_keyboard(kb: KnowledgeBase, reply: Reply, surface: str) -> InlineKeyboardMarkup | None:
    """Buttons under an answer: "did you mean" everywhere but channels, follow-ups in private.

    A reply that asks back which topic was meant offers just those topics, in groups too;
    out-of-scope answers in a private chat offer the main topics instead. In private, the
    sections a long reply had to leave out come first, one tap away.
    """
    if surface == CHANNEL:
        return None
    intents = list(reply.alternatives)
    if surface == PRIVATE:
        intents = [*left_out(kb, reply), *intents]
        intents += [f for f in reply.follow_ups if f not in intents]
        if not reply.answered and not reply.asks_back:
            intents += [t for t in main_topics(kb) if t not in intents and t not in SPECIAL_INTENTS]
    return topics_keyboard(kb, [i for i in intents if i in kb.intents], reply.lang)


def feedback_data(question_id: str, useful: bool) -> str:
    data = f"{FEEDBACK_PREFIX}{question_id}:{int(useful)}"
    if len(data.encode("utf-8")) > CALLBACK_LIMIT:
        raise ValueError(f"question id {question_id!r} is too long for a button")
    return data


def feedback_of(data: str | None) -> tuple[str, bool] | None:
    """(question id, useful) from a feedback button's data, or None when it is not one."""
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] + ":" != FEEDBACK_PREFIX or not parts[1] or parts[2] not in ("0", "1"):
        return None
    return parts[1], parts[2] == "1"


def with_feedback(kb: KnowledgeBase, markup: InlineKeyboardMarkup | None, question_id: str,
                  lang: str) -> InlineKeyboardMarkup:
    """The answer's buttons with a last row: "useful" / "not useful"."""
    row = [InlineKeyboardButton(kb.text("tg_feedback_useful", lang), callback_data=feedback_data(question_id, True)),
           InlineKeyboardButton(kb.text("tg_feedback_not_useful", lang), callback_data=feedback_data(question_id, False))]
    rows = [list(r) for r in markup.inline_keyboard] if markup else []
    return InlineKeyboardMarkup(rows + [row])
