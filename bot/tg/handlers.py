"""Thin async handlers: read the update, decide whether the bot is addressed, call the core,
render, send. Matching lives in the core, wording in locales/, escaping in `bot.render`.

A handler returns the Reply it sent (or `IGNORED` when the update was not meant for the bot),
so that `bot.tg.app.observed` can log and count it; nothing else depends on the return value.

Every handler uses `update.effective_message` / `effective_chat` / `effective_user`, which
also work for edits, channel posts and button presses. The handlers are put together into
an `Application` in one place: `bot.tg.app.build_application`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from telegram import CallbackQuery, Chat, InlineKeyboardMarkup, Message, ReplyParameters, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from ..answer import answer, answer_intent, context_of
from ..config import Settings
from ..knowledge import KnowledgeBase
from ..message_length import TELEGRAM_LIMIT, telegram_length
from ..model import Reply
from ..observability import Observer
from ..render import explain_text
from ..store import QuestionRecord, Store, now_iso
from . import inline, texts
from .addressing import addressing
from .context import lang, surface, who
from .keyboards import (
    GROUP,
    PRIVATE,
    all_topics,
    intent_of,
    lang_of,
    main_topics,
    topics_keyboard,
    with_feedback,
)
from .ledger import Ledger
from .memory import Memory, Verdict
from .observing import IGNORED
from .outgoing import feedback_wanted, rendered

log = logging.getLogger(__name__)

STATE_KEY = "factbot"
INLINE_CACHE_SECONDS = 300


@dataclass
class BotState:
    """What the handlers share: the knowledge base (swapped whole on reload: one reference,
    replaced by `bot.tg.curator.reload_knowledge`), settings, memory, the observer (counters,
    API contact) the health server reads, the question store (None: nothing is recorded), the
    update ledger (bot/tg/ledger.py), and whether operators paused answering."""

    kb: KnowledgeBase
    settings: Settings
    memory: Memory
    observer: Observer = field(default_factory=Observer)
    store: Store | None = None
    paused: bool = False
    reload_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    notifying: asyncio.Task | None = None  # the last reload's follower notifications
    ledger: Ledger | None = None  # updates received and handled (bot/tg/ledger.py)


def state(context: ContextTypes.DEFAULT_TYPE) -> BotState:
    """The running application's shared state."""
    return context.bot_data[STATE_KEY]


# -- commands ---------------------------------------------------------------------------------
# Commands and messages are routed only for updates that carry a message (bot/tg/app.py), so
# a missing one below is an update this handler was not given for: nothing to do.
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Reply | None:
    """/start: what the bot knows and the main questions; `/start <topic>` opens that topic."""
    st, message = state(context), update.effective_message
    if message is None:
        return None
    if context.args and context.args[0] in st.kb.intents:
        return await _send_intent(update, context, message.chat, context.args[0])
    language = lang(st.kb, update)
    keyboard = topics_keyboard(st.kb, main_topics(st.kb), language)
    await message.reply_text(texts.welcome(st.kb, language), reply_markup=keyboard)
    return None


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: how to ask, the commands, how groups work."""
    kb = state(context).kb
    await _say(update, kb.text("tg_help", lang(kb, update)))


async def topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/topics: every intent as a button."""
    kb = state(context).kb
    language = lang(kb, update)
    await _say(update, kb.text("tg_topics_heading", language), reply_markup=topics_keyboard(kb, all_topics(kb), language))


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Reply | None:
    """/sources: the outlets behind the facts and how fresh they are."""
    if update.effective_chat is None:
        return None
    return await _send_intent(update, context, update.effective_chat, "sources")


async def timeline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/timeline: every fact in the order things happened, with date and source."""
    kb = state(context).kb
    for chunk in texts.timeline(kb, lang(kb, update)):
        await _say(update, chunk)


async def about(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/about: what this bot is."""
    kb = state(context).kb
    await _say(update, texts.about(kb, lang(kb, update)))


async def privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/privacy: what is recorded and for how long."""
    st = state(context)
    await _say(update, texts.privacy(st.kb, st.settings, lang(st.kb, update)))


async def why(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/why: how the last answer to this user in this chat was chosen."""
    st, message = state(context), update.effective_message
    if message is None:
        return
    last = st.memory.last_reply(message.chat.id, who(update))
    text = explain_text(st.kb, last) if last else st.kb.text("tg_why_nothing", lang(st.kb, update))
    await message.reply_text(text)


# -- questions ------------------------------------------------------------------------------
async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Reply | str | None:
    """A text message or channel post: answer it when it is meant for the bot."""
    return await _respond(update, context, edited=False)


async def edited_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Reply | str | None:
    """An edited question: edit the earlier answer rather than send a new one."""
    return await _respond(update, context, edited=True)


async def non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A sticker, photo or voice message in a private chat: say that only text is read."""
    kb = state(context).kb
    await _say(update, kb.text("tg_non_text", lang(kb, update)))


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Reply | None:
    """A topic button: acknowledge at once, then answer that intent in the same chat and topic."""
    query, chat, st = update.callback_query, update.effective_chat, state(context)
    if query is None:
        return None
    keyboard_lang = lang_of(query.data)
    language = keyboard_lang if keyboard_lang is not None and keyboard_lang in st.kb.ui else lang(st.kb, update)
    intent = intent_of(query.data)
    if intent is None or intent not in st.kb.intents or chat is None:
        await query.answer(st.kb.text("tg_button_expired", language))
        return None
    if surface(chat) == GROUP and not await _may_reply(update, context, chat, query=query):
        return None
    await acknowledge(query)
    return await _send_intent(update, context, chat, intent, quote=False, language=language)


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Inline mode: the best answer and close alternatives, or the main topics."""
    st, query = state(context), update.inline_query
    if query is None:
        return
    results = inline.results(st.kb, query.query, lang(st.kb, update), st.settings.stale_days)
    await query.answer(results, cache_time=INLINE_CACHE_SECONDS, is_personal=False)


async def error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log a failed update (the log filter keeps the token out) and apologise to a waiting user.

    Never raises: the update is done with, so Telegram will not deliver it again.
    """
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("update %s failed: %s", update_id, type(context.error).__name__, exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        kb = state(context).kb
        apology = kb.text("tg_error", lang(kb, update))
        if update.callback_query:
            await update.callback_query.answer(apology)
        elif update.effective_message and _was_for_us(update.effective_message, context):
            await update.effective_message.reply_text(apology, do_quote=True)
    except (TelegramError, KeyError, RuntimeError) as exc:
        log.warning("could not apologise for update %s: %s", update_id, type(exc).__name__)


# -- helpers --------------------------------------------------------------------------------
async def acknowledge(query: CallbackQuery, text: str | None = None) -> None:
    """Stop the button's spinner. A 400 here means the query was already answered (a retried
    call Telegram had executed) or has expired: the answer itself still matters, so go on."""
    try:
        await query.answer(text)
    except BadRequest as exc:
        log.info("button not acknowledged: %s", exc)


async def _respond(update: Update, context: ContextTypes.DEFAULT_TYPE, edited: bool) -> Reply | str | None:
    st, message, chat = state(context), update.effective_message, update.effective_chat
    if message is None or chat is None:
        return IGNORED
    if telegram_length(message.text or "") > TELEGRAM_LIMIT:
        # Telegram sends no longer text: this one is forged, and reading it (even to see whether
        # it is for the bot) would hold up every chat. A short note in private, silence elsewhere.
        log.warning("update %s: a text of %d characters, over Telegram's %d, is not read",
                    update.update_id, len(message.text or ""), TELEGRAM_LIMIT)
        if chat.type != Chat.PRIVATE:
            return IGNORED
        await message.reply_text(st.kb.text("tg_too_long", lang(st.kb, update)), do_quote=True)
        return None
    addressed = addressing(message, context.bot.username, context.bot.id)
    if addressed is None:
        return IGNORED
    kb, language, asker, where = st.kb, lang(st.kb, update), who(update), surface(chat)
    if where == GROUP and not await _may_reply(update, context, chat):
        return None
    if st.paused:  # operators paused answering: a short note in private, silence elsewhere
        if where == PRIVATE:
            await message.reply_text(kb.text("tg_paused", language), do_quote=True)
        return None
    if not addressed.question:
        await message.reply_text(kb.text("tg_ask_usage", language), do_quote=True)
        return None
    reply = answer(kb, addressed.question, language, context=st.memory.context(chat.id, asker),
                   stale_days=st.settings.stale_days)
    canonical = reply.canonical
    earlier_answer = st.memory.replies.get((chat.id, message.message_id)) if edited else None
    if where == GROUP and earlier_answer is None and canonical:
        earlier = st.memory.answered.get((chat.id, canonical))
        if earlier is not None:
            pointer = ReplyParameters(earlier, allow_sending_without_reply=True)
            await message.reply_text(kb.text("tg_repeat_pointer", language), reply_parameters=pointer)
            return None
    html, markup = rendered(kb, reply, where)
    question_id = record_question(st, chat, asker, reply)
    if question_id and feedback_wanted(st.settings, reply, where):
        markup = with_feedback(kb, markup, question_id, reply.lang)
    if earlier_answer is not None:
        await _edit(context, chat.id, earlier_answer, html, markup)
        sent_id = earlier_answer
    else:
        sent_id = (await message.reply_text(html, parse_mode=ParseMode.HTML, reply_markup=markup, do_quote=True)).message_id
    st.memory.replies.put((chat.id, message.message_id), sent_id)
    if where == GROUP and canonical:
        st.memory.answered.put((chat.id, canonical), sent_id)
    st.memory.remember_turn(chat.id, asker, reply, context_of(reply))
    return reply


def record_question(st: BotState, chat: Chat, asker: int, reply: Reply) -> str | None:
    """Queue the question for the store; its id (for the feedback buttons), or None when nothing
    is recorded. Never raises: recording must not cost an answer."""
    if st.store is None:
        return None
    try:
        question_id = st.store.new_question_id()
        record = QuestionRecord(question_id, now_iso(), chat.type, reply.lang, reply.canonical or reply.match.normalized,
                                reply.intent, round(reply.confidence, 4), tuple(reply.alternatives),
                                st.store.user_hash(asker), knowledge=st.kb.version)
        return question_id if st.store.record_question(record) else None
    except Exception as exc:  # noqa: BLE001 - a broken store degrades to "not recorded"
        log.warning("not recorded: %s", type(exc).__name__)
        return None


async def _send_intent(update: Update, context: ContextTypes.DEFAULT_TYPE, chat: Chat, intent: str,
                       quote: bool | None = None, language: str | None = None) -> Reply:
    """Answer a known intent (button, deep link, /sources) in `chat` (the update's) and its topic."""
    st = state(context)
    reply = answer_intent(st.kb, intent, language or lang(st.kb, update), stale_days=st.settings.stale_days)
    html, markup = rendered(st.kb, reply, surface(chat))
    message = update.effective_message
    if isinstance(message, Message):
        await message.reply_text(html, parse_mode=ParseMode.HTML, reply_markup=markup, do_quote=quote)
    else:  # a button under a message Telegram no longer shows us
        await context.bot.send_message(chat.id, html, parse_mode=ParseMode.HTML, reply_markup=markup)
    st.memory.remember_turn(chat.id, who(update), reply, context_of(reply))
    return reply


async def _say(update: Update, text: str, reply_markup: InlineKeyboardMarkup | None = None) -> None:
    """Reply with plain text to the update's message (commands always carry one)."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(text, reply_markup=reply_markup)


async def _edit(context: ContextTypes.DEFAULT_TYPE, chat_id: int, message_id: int, html: str,
                markup: InlineKeyboardMarkup | None) -> None:
    try:
        await context.bot.edit_message_text(html, chat_id=chat_id, message_id=message_id,
                                            parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():  # the edit did not change the answer
            raise


async def _may_reply(update: Update, context: ContextTypes.DEFAULT_TYPE, chat: Chat,
                    query: CallbackQuery | None = None) -> bool:
    """Per-user flood control in groups: reply, say once that the user must wait, or stay silent.
    For a button press (`query`) the notice goes on the button, every time."""
    st = state(context)
    verdict = st.memory.rate.check((chat.id, who(update)))
    if verdict is Verdict.REPLY:
        return True
    notice = st.kb.text("tg_rate_limited", lang(st.kb, update))
    if query is not None:
        await acknowledge(query, notice)
    elif verdict is Verdict.NOTICE and update.effective_message is not None:
        await update.effective_message.reply_text(notice, do_quote=True)
    return False


def _was_for_us(message: Message, context: ContextTypes.DEFAULT_TYPE) -> bool:
    if message.chat.type == Chat.PRIVATE or (message.text or "").startswith("/"):
        return True
    return addressing(message, context.bot.username, context.bot.id) is not None
