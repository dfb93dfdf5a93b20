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

from telegram import CallbackQuery, Chat, InlineKeyboardMarkup, Message, ReplyParameters, Update, User
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from ..answer import answer, answer_intent, context_of, reply_language
from ..config import Settings
from ..knowledge import KnowledgeBase
from ..model import Reply
from ..observability import IGNORED, Observer
from ..render import explain_text, to_html
from ..store import QuestionRecord, Store, now_iso
from . import inline, texts
from .addressing import addressing
from .keyboards import (
    CHANNEL,
    GROUP,
    PRIVATE,
    all_topics,
    answer_keyboard,
    intent_of,
    lang_of,
    main_topics,
    topics_keyboard,
    with_feedback,
)
from .ledger import Ledger
from .memory import Memory, Verdict

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
    return context.bot_data[STATE_KEY]


# -- commands ---------------------------------------------------------------------------------
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Reply | None:
    """/start: what the bot knows and the main questions; `/start <topic>` opens that topic."""
    st, lang = state(context), _lang(context, update)
    if context.args and context.args[0] in st.kb.intents:
        return await _send_intent(update, context, context.args[0])
    keyboard = topics_keyboard(st.kb, main_topics(st.kb), lang)
    await update.effective_message.reply_text(texts.welcome(st.kb, lang), reply_markup=keyboard)
    return None


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: how to ask, the commands, how groups work."""
    await update.effective_message.reply_text(state(context).kb.text("tg_help", _lang(context, update)))


async def topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/topics: every intent as a button."""
    st, lang = state(context), _lang(context, update)
    await update.effective_message.reply_text(
        st.kb.text("tg_topics_heading", lang), reply_markup=topics_keyboard(st.kb, all_topics(st.kb), lang))


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Reply:
    """/sources: the outlets behind the facts and how fresh they are."""
    return await _send_intent(update, context, "sources")


async def timeline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/timeline: every fact in the order things happened, with date and source."""
    for chunk in texts.timeline(state(context).kb, _lang(context, update)):
        await update.effective_message.reply_text(chunk)


async def about(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/about: what this bot is."""
    await update.effective_message.reply_text(texts.about(state(context).kb, _lang(context, update)))


async def privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/privacy: what is recorded and for how long."""
    st = state(context)
    await update.effective_message.reply_text(texts.privacy(st.kb, st.settings, _lang(context, update)))


async def why(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/why: how the last answer to this user in this chat was chosen."""
    st, lang = state(context), _lang(context, update)
    last = st.memory.last_reply(update.effective_chat.id, _who(update))
    text = explain_text(st.kb, last) if last else st.kb.text("tg_why_nothing", lang)
    await update.effective_message.reply_text(text)


# -- questions ------------------------------------------------------------------------------
async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Reply | str | None:
    """A text message or channel post: answer it when it is meant for the bot."""
    return await _respond(update, context, edited=False)


async def edited_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Reply | str | None:
    """An edited question: edit the earlier answer rather than send a new one."""
    return await _respond(update, context, edited=True)


async def non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A sticker, photo or voice message in a private chat: say that only text is read."""
    await update.effective_message.reply_text(state(context).kb.text("tg_non_text", _lang(context, update)))


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Reply | None:
    """A topic button: acknowledge at once, then answer that intent in the same chat and topic."""
    query = update.callback_query
    st = state(context)
    lang = lang_of(query.data) if lang_of(query.data) in st.kb.ui else _lang(context, update)
    intent = intent_of(query.data)
    if intent not in st.kb.intents or update.effective_chat is None:
        await query.answer(st.kb.text("tg_button_expired", lang))
        return None
    if _surface(update.effective_chat) == GROUP and not await _may_reply(update, context, query_notice=True):
        return None
    await acknowledge(query)
    return await _send_intent(update, context, intent, quote=False, lang=lang)


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Inline mode: the best answer and close alternatives, or the main topics."""
    st, query = state(context), update.inline_query
    results = inline.results(st.kb, query.query, _lang(context, update), st.settings.stale_days)
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
        apology = state(context).kb.text("tg_error", _lang(context, update))
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
    addressed = addressing(message, context.bot.username, context.bot.id)
    if addressed is None:
        return IGNORED
    kb, lang, who, surface = st.kb, _lang(context, update), _who(update), _surface(chat)
    if surface == GROUP and not await _may_reply(update, context):
        return None
    if st.paused:  # operators paused answering: a short note in private, silence elsewhere
        if surface == PRIVATE:
            await message.reply_text(kb.text("tg_paused", lang), do_quote=True)
        return None
    if not addressed.question:
        await message.reply_text(kb.text("tg_ask_usage", lang), do_quote=True)
        return None
    canonical = kb.matcher.canonical(addressed.question)
    earlier_answer = st.memory.replies.get((chat.id, message.message_id)) if edited else None
    if surface == GROUP and earlier_answer is None and canonical:
        earlier = st.memory.answered.get((chat.id, canonical))
        if earlier is not None:
            pointer = ReplyParameters(earlier, allow_sending_without_reply=True)
            await message.reply_text(kb.text("tg_repeat_pointer", lang), reply_parameters=pointer)
            return None
    reply = answer(kb, addressed.question, lang, context=st.memory.context(chat.id, who), stale_days=st.settings.stale_days)
    html, markup = _rendered(kb, reply, surface)
    question_id = _record(st, chat, who, reply, canonical)
    if question_id and _feedback_wanted(st.settings, reply, surface):
        markup = with_feedback(kb, markup, question_id, reply.lang)
    if earlier_answer is not None:
        await _edit(context, chat.id, earlier_answer, html, markup)
        sent_id = earlier_answer
    else:
        sent_id = (await message.reply_text(html, parse_mode=ParseMode.HTML, reply_markup=markup, do_quote=True)).message_id
    st.memory.replies.put((chat.id, message.message_id), sent_id)
    if surface == GROUP and canonical:
        st.memory.answered.put((chat.id, canonical), sent_id)
    st.memory.remember_turn(chat.id, who, reply, context_of(reply))
    return reply


def _record(st: BotState, chat: Chat, who: int, reply: Reply, canonical: str) -> str | None:
    """Queue the question for the store; its id, or None when nothing is recorded. Never raises:
    recording must not cost an answer."""
    if st.store is None:
        return None
    try:
        question_id = st.store.new_question_id()
        record = QuestionRecord(question_id, now_iso(), chat.type, reply.lang, canonical or reply.match.normalized,
                                reply.intent, round(reply.confidence, 4), tuple(reply.alternatives),
                                st.store.user_hash(who))
        return question_id if st.store.record_question(record) else None
    except Exception as exc:  # noqa: BLE001 - a broken store degrades to "not recorded"
        log.warning("not recorded: %s", type(exc).__name__)
        return None


async def _send_intent(update: Update, context: ContextTypes.DEFAULT_TYPE, intent: str, quote: bool | None = None,
                       lang: str | None = None) -> Reply:
    """Answer a known intent (button, deep link, /sources) in the chat and topic of the update."""
    st, chat = state(context), update.effective_chat
    reply = answer_intent(st.kb, intent, lang or _lang(context, update), stale_days=st.settings.stale_days)
    html, markup = _rendered(st.kb, reply, _surface(chat))
    message = update.effective_message
    if isinstance(message, Message):
        await message.reply_text(html, parse_mode=ParseMode.HTML, reply_markup=markup, do_quote=quote)
    else:  # a button under a message Telegram no longer shows us
        await context.bot.send_message(chat.id, html, parse_mode=ParseMode.HTML, reply_markup=markup)
    st.memory.remember_turn(chat.id, _who(update), reply, context_of(reply))
    return reply


def _rendered(kb: KnowledgeBase, reply: Reply, surface: str) -> tuple[str, InlineKeyboardMarkup | None]:
    html = to_html(kb, reply, "private" if surface == PRIVATE else "group")
    return html, answer_keyboard(kb, reply, surface)


async def _edit(context: ContextTypes.DEFAULT_TYPE, chat_id: int, message_id: int, html: str,
                markup: InlineKeyboardMarkup | None) -> None:
    try:
        await context.bot.edit_message_text(html, chat_id=chat_id, message_id=message_id,
                                            parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():  # the edit did not change the answer
            raise


async def _may_reply(update: Update, context: ContextTypes.DEFAULT_TYPE, query_notice: bool = False) -> bool:
    """Per-user flood control in groups: reply, say once that the user must wait, or stay silent."""
    st, chat = state(context), update.effective_chat
    verdict = st.memory.rate.check((chat.id, _who(update)))
    if verdict is Verdict.REPLY:
        return True
    notice = st.kb.text("tg_rate_limited", _lang(context, update))
    if query_notice:
        await acknowledge(update.callback_query, notice)
    elif verdict is Verdict.NOTICE:
        await update.effective_message.reply_text(notice, do_quote=True)
    return False


def _was_for_us(message: Message, context: ContextTypes.DEFAULT_TYPE) -> bool:
    if message.chat.type == Chat.PRIVATE or (message.text or "").startswith("/"):
        return True
    return addressing(message, context.bot.username, context.bot.id) is not None


def _feedback_wanted(settings: Settings, reply: Reply, surface: str) -> bool:
    """Whether an answer on `surface` carries the useful / not useful buttons."""
    return reply.answered and (surface == PRIVATE or (surface == GROUP and settings.feedback_in_groups))


def _surface(chat: Chat) -> str:
    if chat.type == Chat.PRIVATE:
        return PRIVATE
    return CHANNEL if chat.type == Chat.CHANNEL else GROUP


def _who(update: Update) -> int:
    """The asking user; for channel posts (no user) the channel itself."""
    user: User | None = update.effective_user
    return user.id if user else update.effective_chat.id


def _lang(context: ContextTypes.DEFAULT_TYPE, update: Update) -> str:
    user = update.effective_user
    return reply_language(state(context).kb, user.language_code if user else None)
