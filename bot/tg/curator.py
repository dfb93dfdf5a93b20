"""The curator's side of the Telegram surface: feedback buttons, operator commands (/reload,
/stats, /pause, /resume), following a topic (/follow, /unfollow), and telling followers what a
reload changed.

Operators are the user ids in FACTBOT_OPERATORS. Reloading builds a whole new KnowledgeBase
in a worker thread and, only if it validates, replaces `BotState.kb` (one reference): a
question is always answered from one complete base, the old or the new.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import Chat, ChatMember, Message, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, ContextTypes

from ..changes import FactChange, changes
from ..knowledge import KnowledgeBase, KnowledgeError, load
from ..message_length import TELEGRAM_LIMIT, shorten
from ..model import is_topic
from ..store import DayCount
from .context import lang, who
from .handlers import STATE_KEY, BotState, state
from .keyboards import feedback_of
from .observing import IGNORED

log = logging.getLogger(__name__)
ALL = "all"
ADMIN_STATUSES = (ChatMember.ADMINISTRATOR, ChatMember.OWNER)



@dataclass(frozen=True)
class Reloaded:
    """What a reload did: the new base (None: rejected, see errors) and the topics that changed."""

    kb: KnowledgeBase | None
    errors: tuple[str, ...] = ()
    changed: dict[str, tuple[FactChange, ...]] = field(default_factory=dict)


Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, Any]]


# -- feedback -------------------------------------------------------------------------------------
async def feedback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A "useful / not useful" button under an answer: record the press, say thank you."""
    query, st = update.callback_query, state(context)
    if query is None:
        return None
    parsed = feedback_of(query.data)
    language = lang(st.kb, update)
    if parsed is None or st.store is None:
        await query.answer(st.kb.text("tg_button_expired", language))
        return None
    question_id, useful = parsed
    st.store.record_feedback(question_id, who(update), useful)  # queued; never blocks or raises
    await query.answer(st.kb.text("tg_feedback_thanks", language))
    return None


# -- operators ----------------------------------------------------------------------------------
def is_operator(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    user = update.effective_user
    return user is not None and user.id in state(context).settings.operators


def operators_only(callback: Handler) -> Handler:
    """Run the command for operators; others get a short refusal in private, silence in groups."""

    @functools.wraps(callback)
    async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Any:
        if is_operator(update, context):
            return await callback(update, context)
        chat, kb = update.effective_chat, state(context).kb
        if chat is not None and chat.type == Chat.PRIVATE and update.effective_message is not None:
            await update.effective_message.reply_text(kb.text("tg_operators_only", lang(kb, update)))
        return IGNORED

    return wrapper


@operators_only
async def reload_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reload: load and validate the knowledge again; swap it in, or reply with its errors."""
    st, message = state(context), update.effective_message
    language = lang(st.kb, update)
    outcome = await reload_knowledge(context.application)
    if outcome.kb is None:
        text = st.kb.text("tg_reload_failed", language, count=len(outcome.errors), errors="\n".join(outcome.errors))
    else:
        text = outcome.kb.text("tg_reload_ok", language, version=outcome.kb.version, intents=len(outcome.kb.intents),
                               changed=len(outcome.changed))
    if message is not None:
        await message.reply_text(_clip(text))


@operators_only
async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats: questions today, the refusal rate, the most asked topics."""
    st, message = state(context), update.effective_message
    if message is None:
        return None
    language = lang(st.kb, update)
    if st.store is None:
        await message.reply_text(st.kb.text("tg_stats_none", language))
        return None
    try:
        today = await asyncio.to_thread(st.store.stats)
        week = await asyncio.to_thread(st.store.last_days, 7)
    except Exception as exc:  # noqa: BLE001 - a locked, broken or vanished database: say so, do not fail
        log.warning("stats unavailable: %s", type(exc).__name__)
        await message.reply_text(st.kb.text("tg_stats_unavailable", language))
        return None
    top = ", ".join(f"{st.kb.intents[i].display(language) if i in st.kb.intents else i} ({n})"
                    for i, n in today.top_intents)
    summary = st.kb.text("tg_stats", language, questions=today.questions, refused=today.refused,
                         rate=f"{today.refusal_rate:.0%}", top=top or "-")
    await message.reply_text(_clip(summary + "\n\n" + week_text(st.kb, week, language)))
    return None


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[int]) -> str:
    """Counts as block characters, the largest a full block; only a day without any is the
    lowest block. (A chart image would need a plotting library: plain text reads in any client.)"""
    top = max(values, default=0)
    return "".join(SPARK[0] if not v or not top else SPARK[1 + round((v / top) * (len(SPARK) - 2))] for v in values)


def week_text(kb: KnowledgeBase, days: Sequence[DayCount], lang: str) -> str:
    """/stats' last days: a one-line text chart, then each day's questions and refusal rate."""
    lines = [kb.text("tg_stats_week", lang, chart=sparkline([d.questions for d in days]))]
    lines.extend(kb.text("tg_stats_day", lang, day=d.day.isoformat(), questions=d.questions,
                         rate=f"{d.refusal_rate:.0%}") for d in days)
    return "\n".join(lines)


@operators_only
async def pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/pause: questions get a short "paused" note (silence in groups); commands still work."""
    st = state(context)
    st.paused = True
    log.info("answering paused by an operator")
    if update.effective_message is not None:
        await update.effective_message.reply_text(st.kb.text("tg_paused_on", lang(st.kb, update)))


@operators_only
async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/resume: answer questions again."""
    st = state(context)
    st.paused = False
    log.info("answering resumed by an operator")
    if update.effective_message is not None:
        await update.effective_message.reply_text(st.kb.text("tg_paused_off", lang(st.kb, update)))


# -- reload ---------------------------------------------------------------------------------------
async def reload_knowledge(application: Application) -> Reloaded:
    """Load the knowledge again (in a worker thread). Valid: swap it in and start telling
    followers what changed. Invalid: keep the running one and return its errors. One reload
    at a time."""
    st: BotState = application.bot_data[STATE_KEY]
    async with st.reload_lock:
        old = st.kb
        try:
            new = await asyncio.to_thread(load, st.settings.data_root)
        except KnowledgeError as exc:
            log.warning("reload rejected, the running knowledge stays: %d problems", len(exc.errors))
            return Reloaded(None, tuple(exc.errors))
        except Exception as exc:  # noqa: BLE001 - an unreadable folder, say: the running base stays
            log.warning("reload failed, the running knowledge stays: %s", exc)
            return Reloaded(None, (f"{type(exc).__name__}: {exc}",))
        st.kb = new  # the swap: one reference; a handler holds whichever base it started with
        found = changes(old, new)
        log.info("knowledge reloaded: %s (was %s); %d topics changed", new.version, old.version, len(found))
        st.notifying = None
        if found and st.store is not None:
            st.notifying = asyncio.get_running_loop().create_task(notify_followers(application, new, found))
        return Reloaded(new, (), found)


RELOADS_KEY = "factbot_reloads"


def on_sighup(application: Application) -> None:
    """SIGHUP: reload like /reload; the outcome goes to the log."""
    log.info("SIGHUP: reloading the knowledge")
    task = asyncio.get_running_loop().create_task(reload_knowledge(application))
    running: set = application.bot_data.setdefault(RELOADS_KEY, set())  # keep a reference until done
    running.add(task)
    task.add_done_callback(running.discard)


# -- following --------------------------------------------------------------------------------
def _short_topic(topic: str, limit: int = 64) -> str:
    """A topic word as typed, short enough to repeat in a reply (intent ids are far shorter)."""
    return topic if len(topic) <= limit else topic[:limit] + "…"


async def follow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/follow [topic]: send this chat what changes on a topic (an intent id, or "all"; default all)."""
    st, message = state(context), update.effective_message
    if message is None:
        return None
    language, chat = lang(st.kb, update), message.chat
    topic = _short_topic(context.args[0].strip().lower()) if context.args else ALL
    if not await _may_manage(update, context, message):
        return None
    if st.store is None:
        await message.reply_text(st.kb.text("tg_follow_unavailable", language))
        return None
    if topic != ALL and topic not in st.kb.intents:
        ids = ", ".join(i for i in st.kb.intents if is_topic(i))
        await message.reply_text(st.kb.text("tg_follow_unknown", language, topic=topic, topics=ids))
        return None
    await asyncio.to_thread(st.store.follow, chat.id, topic, language)
    await message.reply_text(st.kb.text("tg_follow_ok", language, topic=_topic_name(st.kb, topic, language)))
    return None


async def unfollow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unfollow [topic]: stop following a topic, or everything."""
    st, message = state(context), update.effective_message
    if message is None:
        return None
    language, chat = lang(st.kb, update), message.chat
    topic = _short_topic(context.args[0].strip().lower()) if context.args else None
    if not await _may_manage(update, context, message):
        return None
    if st.store is None:
        await message.reply_text(st.kb.text("tg_follow_unavailable", language))
        return None
    ended = await asyncio.to_thread(st.store.unfollow, chat.id, None if topic in (None, ALL) else topic)
    key = "tg_unfollow_ok" if ended else "tg_unfollow_none"
    await message.reply_text(st.kb.text(key, language, topic=_topic_name(st.kb, topic or ALL, language)))
    return None


async def _may_manage(update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message) -> bool:
    """Anyone in a private chat; in groups only admins (an anonymous admin posts as the group)."""
    chat = message.chat
    if chat.type == Chat.PRIVATE:
        return True
    if chat.type == Chat.CHANNEL:
        return False
    if message.sender_chat is not None and message.sender_chat.id == chat.id:
        return True
    user = update.effective_user
    admin = False
    if user is not None:
        try:
            member = await context.bot.get_chat_member(chat.id, user.id)
            admin = member.status in ADMIN_STATUSES
        except TelegramError as exc:
            log.warning("could not check group admin: %s", type(exc).__name__)
    if not admin:
        kb = state(context).kb
        await message.reply_text(kb.text("tg_follow_admins_only", lang(kb, update)), do_quote=True)
    return admin


def _topic_name(kb: KnowledgeBase, topic: str, lang: str) -> str:
    if topic == ALL:
        return kb.text("tg_follow_all", lang)
    return kb.intents[topic].display(lang) if topic in kb.intents else topic


def update_text(kb: KnowledgeBase, found: dict[str, tuple[FactChange, ...]], lang: str) -> str:
    """One message: per changed topic, "new: …; before: …" for each new or reworded fact."""
    parts: list[str] = []
    for iid, items in found.items():
        lines = [kb.text("tg_follow_update", lang, topic=kb.intents[iid].display(lang))]
        for change in items:
            line = kb.text("tg_follow_new", lang, statement=change.new.text(lang))
            if change.before is not None:
                line += "; " + kb.text("tg_follow_before", lang, statement=change.before.text(lang))
            lines.append("• " + line)
        parts.append("\n".join(lines))
    return _clip("\n\n".join(parts))


async def notify_followers(application: Application, kb: KnowledgeBase,
                           found: dict[str, tuple[FactChange, ...]]) -> int:
    """Send each following chat one message with the changes on its topics it has not had yet.
    The sends go through the application's rate limiter; a chat that blocked the bot is marked
    inactive. Returns the number of messages sent."""
    st: BotState = application.bot_data[STATE_KEY]
    store = st.store
    if store is None:
        return 0
    try:
        followers = await asyncio.to_thread(store.followers)
    except Exception as exc:  # noqa: BLE001
        log.warning("cannot read followers: %s", exc)
        return 0
    by_chat: dict[int, tuple[str, set[str]]] = {}
    for f in followers:
        lang, topics = by_chat.setdefault(f.chat_id, (f.lang, set()))
        topics.update(found if f.topic == ALL else [f.topic])
    sent = 0
    for chat_id, (lang, topics) in by_chat.items():
        wanted = {iid: items for iid, items in found.items() if iid in topics}
        keys = {c.key for items in wanted.values() for c in items}
        try:
            done = await asyncio.to_thread(store.already_sent, chat_id, keys)
        except Exception as exc:  # noqa: BLE001
            log.warning("cannot check what was sent to a follower: %s", exc)
            continue
        fresh = {iid: tuple(c for c in items if c.key not in done) for iid, items in wanted.items()}
        fresh = {iid: items for iid, items in fresh.items() if items}
        if not fresh:
            continue
        try:
            await application.bot.send_message(chat_id, update_text(kb, fresh, lang))
        except Forbidden:
            log.info("a follower blocked the bot or removed it; following stopped for that chat")
            await asyncio.to_thread(store.deactivate, chat_id)
            continue
        except TelegramError as exc:
            log.warning("could not send a follow update: %s", type(exc).__name__)
            continue
        await asyncio.to_thread(store.mark_sent, chat_id, {c.key for items in fresh.values() for c in items})
        sent += 1
    log.info("follow updates sent to %d chats", sent)
    return sent


def _clip(text: str) -> str:
    return shorten(text, TELEGRAM_LIMIT)
