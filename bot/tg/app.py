"""Build and run the Telegram application: every handler is wired up here, in one place.

Reliability, also wired up here: every arriving update is recorded in the update ledger before
Telegram is told it arrived (the next getUpdates waits for that) and marked handled after its
answer (bot/tg/ledger.py), so a restart loses none and repeats none; updates are handled
concurrently across people and chats, in order within one; failed Bot API calls are retried
(bot/tg/delivery.py).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlparse

from telegram import BotCommand, BotCommandScopeAllGroupChats, LinkPreviewOptions, Update
from telegram.error import Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from ..config import Settings, mask_url
from ..knowledge import KnowledgeBase
from ..logs import configure_logging
from ..model import Reply
from ..observability import BLOCKED_OUTCOME, Handled, Observer
from ..store import Store, StoreError
from . import curator, handlers, texts
from .delivery import RetryingRateLimiter
from .handlers import STATE_KEY, BotState
from .keyboards import ANSWER_PREFIX, FEEDBACK_PREFIX
from .ledger import ChatOrderedProcessor, Ledger, LedgerError, RecordBeforeConfirming, UpdateInbox
from .memory import Memory
from .observing import IGNORED, ObservedRequest
from .webhook import harden_webhook_server

log = logging.getLogger(__name__)
update_log = logging.getLogger("bot.updates")
BOOTSTRAP_RETRIES = 5  # a Bot API that is down at start-up is tried again, then we give up clearly
HEARTBEAT_SECONDS = 60.0
HEARTBEAT_KEY = "factbot_heartbeat"

# The updates the bot acts on; Telegram sends nothing else.
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CHANNEL_POST,
    Update.EDITED_CHANNEL_POST,
    Update.CALLBACK_QUERY,
    Update.INLINE_QUERY,
]


def build_application(
    settings: Settings,
    kb: KnowledgeBase,
    *,
    request: BaseRequest | None = None,
    memory: Memory | None = None,
    observer: Observer | None = None,
    store: Store | None = None,
    ledger: Ledger | None = None,
    rate_limiter: BaseRateLimiter | None = None,
) -> Application:
    """The bot, ready to `initialize()`; `request` replaces the HTTP layer (tests); `store`
    records questions and feedback (None: nothing is recorded); `ledger` keeps the updates
    received and handled (None: an in-memory one); `rate_limiter` replaces the default
    `RetryingRateLimiter()` (benchmarks lift Telegram's flood limits with it)."""
    observer = observer or Observer()
    ledger = ledger or Ledger.open(None)
    # Every Bot API call goes through ObservedRequest, which notes successful contact for /healthz.
    # Without `request`: a pool for calls, one for getUpdates, with FACTBOT_API_TIMEOUT_SECONDS.
    # Each getUpdates first waits until the updates it confirms are in the ledger (RecordBeforeConfirming).
    timeout = float(settings.api_timeout_seconds)

    def http(pool: int) -> HTTPXRequest:
        return HTTPXRequest(connection_pool_size=pool, connect_timeout=timeout, read_timeout=timeout,
                            write_timeout=timeout)

    calls = ObservedRequest(request or http(256), observer.contact)
    polls = calls if request else ObservedRequest(http(1), observer.contact)
    inbox = UpdateInbox(ledger)
    builder = (
        Application.builder()
        .token(settings.token)
        .base_url(settings.api_base_url)
        .request(calls)
        .get_updates_request(RecordBeforeConfirming(polls, inbox))
        .rate_limiter(rate_limiter or RetryingRateLimiter())
        .update_queue(inbox)
        .concurrent_updates(ChatOrderedProcessor(ledger))
        .defaults(Defaults(link_preview_options=LinkPreviewOptions(is_disabled=True), allow_sending_without_reply=True))
        .post_init(on_start)
        .post_shutdown(on_shutdown)
    )
    application = builder.build()
    application.bot_data[STATE_KEY] = BotState(kb, settings, memory or Memory(settings), observer, store, ledger=ledger)

    new = filters.UpdateType.MESSAGE
    add = application.add_handler
    add(TypeHandler(Update, count_update), group=-1)  # counts every update, handled or not
    for name, callback in (
        ("start", handlers.start),
        ("help", handlers.help_command),
        ("topics", handlers.topics),
        ("sources", handlers.sources),
        ("timeline", handlers.timeline),
        ("about", handlers.about),
        ("privacy", handlers.privacy),
        ("why", handlers.why),
        ("follow", curator.follow),
        ("unfollow", curator.unfollow),
        ("reload", curator.reload_command),  # operators only (FACTBOT_OPERATORS)
        ("stats", curator.stats),
        ("pause", curator.pause),
        ("resume", curator.resume),
    ):
        add(CommandHandler(name, observed(callback), filters=new))
    add(MessageHandler(filters.TEXT & (new | filters.UpdateType.CHANNEL_POST), observed(handlers.question)))
    add(MessageHandler(filters.TEXT & filters.UpdateType.EDITED, observed(handlers.edited_question)))
    add(MessageHandler(filters.ChatType.PRIVATE & new & ~filters.TEXT & ~filters.StatusUpdate.ALL,
                       observed(handlers.non_text)))
    add(CallbackQueryHandler(observed(handlers.button), pattern=f"^{ANSWER_PREFIX}"))
    add(CallbackQueryHandler(observed(curator.feedback), pattern=f"^{FEEDBACK_PREFIX}"))
    add(InlineQueryHandler(observed(handlers.inline_query)))
    application.add_error_handler(handlers.error)
    return application


# -- observing: one log line and the counters per handled update; health server ---------------------
def update_kind(update: Update) -> str:
    return next((kind for kind in ALLOWED_UPDATES if getattr(update, kind, None) is not None), "other")


def chat_type(update: Update) -> str:
    if update.effective_chat is not None:
        return update.effective_chat.type
    return "inline" if update.inline_query is not None else "none"


async def count_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Group -1: every update that arrives, by kind (factbot_updates_total)."""
    context.bot_data[STATE_KEY].observer.update_received(update_kind(update))


Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, Any]]


def observed(callback: Callback) -> Callback:
    """Wrap a handler: time it, then log one line and count it (intent and confidence when it
    returned the Reply it sent; IGNORED when the update was not for the bot). Errors re-raise to
    the error handler after being counted. A 403 Forbidden (the user blocked the bot, the
    account is deactivated, the bot was removed from the chat) is no error: Telegram will refuse
    that chat whatever the bot does, so it is counted as blocked, logged at INFO, and the chat's
    follow subscriptions end."""

    @functools.wraps(callback)
    async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Any:
        observer: Observer = context.bot_data[STATE_KEY].observer
        started = time.perf_counter()
        message = update.effective_message
        if message is not None and message.text:  # the question itself only at DEBUG
            update_log.debug("update %s text: %r", update.update_id, message.text)
        handled = functools.partial(Handled, update.update_id, update_kind(update), chat_type(update),
                                    callback.__name__)
        try:
            result = await callback(update, context)
        except Forbidden as exc:
            observer.handled(handled(BLOCKED_OUTCOME, time.perf_counter() - started, error=_forbidden_reason(exc)))
            await forget_chat(context.bot_data[STATE_KEY], update)
            return None
        except Exception as exc:
            observer.handled(handled("error", time.perf_counter() - started, error=type(exc).__name__))
            raise
        latency = time.perf_counter() - started
        if isinstance(result, Reply):
            outcome = "answered" if result.intent else "refused"
            observer.handled(handled(outcome, latency, intent=result.intent, confidence=result.confidence))
        else:
            observer.handled(handled(IGNORED if result == IGNORED else "handled", latency))
        return result

    return wrapper


def _forbidden_reason(exc: Forbidden) -> str:
    """Telegram's description without its "Forbidden: " prefix, e.g. "bot was blocked by the user"."""
    return exc.message.partition("Forbidden: ")[2] or exc.message


async def forget_chat(st: BotState, update: Update) -> None:
    """A chat Telegram refuses is sent nothing more: its follow subscriptions end."""
    if st.store is None or update.effective_chat is None:
        return
    try:
        await asyncio.to_thread(st.store.deactivate, update.effective_chat.id)
    except Exception as exc:  # noqa: BLE001 - the database being unavailable must not turn this into an error
        log.warning("could not end the follow subscriptions of a chat that refuses the bot: %s", type(exc).__name__)


async def on_start(application: Application) -> None:
    """post_init: the updates a killed bot left unhandled are queued again (or given up with
    FACTBOT_DROP_PENDING_UPDATES); SIGHUP reloads the knowledge; the health server (when
    FACTBOT_HEALTH_PORT is set); then the command menu."""
    st: BotState = application.bot_data[STATE_KEY]
    await replay_unhandled(application)
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, curator.on_sighup, application)
    except (AttributeError, NotImplementedError, RuntimeError, ValueError):  # no SIGHUP (Windows), or not the main thread
        log.debug("SIGHUP reload not available here")
    if st.settings.health_port:
        await st.observer.serve(st.settings.health_listen, st.settings.health_port,
                                lambda: application.bot_data[STATE_KEY].kb)
        if st.settings.webhook_url:  # a quiet webhook bot makes no API calls: check in now and then
            application.bot_data[HEARTBEAT_KEY] = asyncio.get_running_loop().create_task(heartbeat(application))
    await set_commands(application)


async def on_shutdown(application: Application) -> None:
    """post_shutdown: stop the heartbeat, the health server and SIGHUP; write what is queued."""
    task = application.bot_data.pop(HEARTBEAT_KEY, None)
    if task is not None:
        task.cancel()
    st: BotState = application.bot_data[STATE_KEY]
    await st.observer.close()
    try:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
    except (AttributeError, NotImplementedError, RuntimeError, ValueError):
        pass
    if st.store is not None:
        await asyncio.to_thread(st.store.close)
    if st.ledger is not None:
        await asyncio.to_thread(st.ledger.close)


async def replay_unhandled(application: Application) -> None:
    """Queue the updates that arrived before a restart and were never handled (they are already
    confirmed to Telegram, which will not send them again)."""
    st: BotState = application.bot_data[STATE_KEY]
    inbox = application.update_queue
    if st.ledger is None or not isinstance(inbox, UpdateInbox):
        return
    try:
        if st.settings.drop_pending_updates:
            dropped = await st.ledger.run(st.ledger.drop_pending)
            if dropped:
                log.info("FACTBOT_DROP_PENDING_UPDATES: %d updates left unhandled before the restart are skipped", dropped)
            return
        await inbox.replay(application.bot)
    except Exception as exc:  # noqa: BLE001 - a broken ledger must not stop the bot
        log.warning("could not replay the updates left unhandled before the restart: %s", type(exc).__name__)


async def heartbeat(application: Application, every: float = HEARTBEAT_SECONDS) -> None:
    """Webhook mode: ask Telegram for the webhook's state when the API was quiet for a while
    (keeps /healthz honest and logs delivery errors Telegram reports)."""
    observer: Observer = application.bot_data[STATE_KEY].observer
    while True:
        await asyncio.sleep(every)
        since = observer.contact.seconds_since()
        if since is not None and since < every:
            continue
        try:
            info = await application.bot.get_webhook_info()
        except TelegramError as exc:
            log.warning("Bot API check failed: %s", type(exc).__name__)
            continue
        if info.last_error_message:
            log.warning("Telegram reports a webhook delivery error: %s (pending updates: %d)",
                        info.last_error_message, info.pending_update_count)


async def set_commands(application: Application) -> None:
    """Publish the command menu (setMyCommands): all commands in private chats, a few in groups."""
    kb = application.bot_data[STATE_KEY].kb
    langs = ["en"] + sorted(code for code in kb.ui
                            if code != "en" and any(k.startswith("tg_command_") for k in kb.ui[code]))
    try:
        for lang in langs:
            code = None if lang == "en" else lang
            private = [BotCommand(c, d) for c, d in texts.commands(kb, lang, in_groups=False)]
            groups = [BotCommand(c, d) for c, d in texts.commands(kb, lang, in_groups=True)]
            await application.bot.set_my_commands(private, language_code=code)
            await application.bot.set_my_commands(groups, scope=BotCommandScopeAllGroupChats(), language_code=code)
    except TelegramError as exc:  # the menu is a convenience; answering works without it
        log.warning("could not set the command menu: %s", exc)


def webhook_options(settings: Settings) -> dict[str, Any]:
    """Where to listen and what to tell Telegram: the local server serves the URL's path, and
    every update must carry the secret (Telegram's X-Telegram-Bot-Api-Secret-Token header)."""
    harden_webhook_server()
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": urlparse(settings.webhook_url).path.lstrip("/"),
        "webhook_url": settings.webhook_url,
        "secret_token": settings.webhook_secret,
        "allowed_updates": ALLOWED_UPDATES,
    }


def run(settings: Settings, kb: KnowledgeBase) -> int:
    """Run until interrupted: long polling, or a webhook when FACTBOT_WEBHOOK_URL is set."""
    problem = settings.token_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    problem = state_dir_problem(settings)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    configure_logging(settings)
    application = build_application(settings, kb, store=open_store(settings), ledger=open_ledger(settings))
    log.info("factbot starting: %d intents, knowledge %s, %s%s", len(kb.intents), kb.version,
             "webhook" if settings.webhook_url else "long polling",
             f", health on {settings.health_listen}:{settings.health_port}" if settings.health_port else "")
    extra: dict[str, Any] = {"drop_pending_updates": True} if settings.drop_pending_updates else {}
    try:
        if settings.webhook_url:
            application.run_webhook(**webhook_options(settings), bootstrap_retries=BOOTSTRAP_RETRIES, **extra)
        else:
            application.run_polling(allowed_updates=ALLOWED_UPDATES, bootstrap_retries=BOOTSTRAP_RETRIES, **extra)
    except InvalidToken:
        print("Telegram refused the token: check TELEGRAM_BOT_TOKEN (see docs/telegram.md).", file=sys.stderr)
        return 2
    except NetworkError as exc:  # the URL carries the token: name the host only (a password masked)
        host = urlparse(mask_url(settings.api_base_url)).netloc
        print(f"cannot reach the Bot API at {host}: {type(exc).__name__}. Check the network and "
              "TELEGRAM_API_BASE_URL.", file=sys.stderr)
        return 1
    except OSError as exc:  # a port already in use or not allowed
        print(f"cannot start: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


def state_dir_problem(settings: Settings) -> str | None:
    """FACTBOT_STATE_DIR, when set, must be a directory the bot can write to."""
    path = settings.state_dir
    if path is None:
        return None
    if not path.is_dir():
        return f"FACTBOT_STATE_DIR {path} is not a directory: create it, or mount the volume there"
    if not os.access(path, os.W_OK | os.X_OK):
        return f"FACTBOT_STATE_DIR {path} is not writable by this user: fix its owner or mode"
    return None


def open_store(settings: Settings) -> Store | None:
    """The question database of FACTBOT_DB / FACTBOT_STATE_DIR, or None: without one, or when it
    cannot be opened, the bot answers as usual and records nothing (with a warning)."""
    path = settings.db_path()
    if path is None:
        log.info("no FACTBOT_DB or FACTBOT_STATE_DIR: questions and feedback are not recorded")
        return None
    try:
        store = Store.open(path, settings.hash_key, settings.retention_days)
    except StoreError as exc:
        log.warning("not recording questions: %s", exc)
        return None
    log.info("recording questions in %s (kept %d days)", path, settings.retention_days)
    return store


def open_ledger(settings: Settings) -> Ledger:
    """The update ledger in FACTBOT_STATE_DIR; in memory without one, or when the file cannot be
    opened (with a warning: a restart may then lose or repeat updates)."""
    path = settings.ledger_path()
    if path is not None:
        try:
            return Ledger.open(path)
        except LedgerError as exc:
            log.warning("keeping the update ledger in memory: %s", exc)
    return Ledger.open(None)
