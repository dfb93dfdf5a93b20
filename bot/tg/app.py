"""Build and run the Telegram application: every handler is wired up here, in one place."""

from __future__ import annotations

import logging
import sys
from urllib.parse import urlparse

from telegram import BotCommand, BotCommandScopeAllGroupChats, LinkPreviewOptions, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from ..config import Settings
from ..knowledge import KnowledgeBase
from . import handlers, texts
from .handlers import STATE_KEY, BotState
from .keyboards import ANSWER_PREFIX
from .memory import Memory

log = logging.getLogger(__name__)
BOOTSTRAP_RETRIES = 5  # a Bot API that is down at start-up is tried again, then we give up clearly

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
) -> Application:
    """The bot, ready to `initialize()`; `request` replaces the HTTP layer (tests)."""
    builder = (
        Application.builder()
        .token(settings.token)
        .base_url(settings.api_base_url)
        .rate_limiter(AIORateLimiter())
        .defaults(Defaults(link_preview_options=LinkPreviewOptions(is_disabled=True), allow_sending_without_reply=True))
        .post_init(set_commands)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    application = builder.build()
    application.bot_data[STATE_KEY] = BotState(kb, settings, memory or Memory(settings))

    new = filters.UpdateType.MESSAGE
    add = application.add_handler
    for name, callback in (
        ("start", handlers.start),
        ("help", handlers.help_command),
        ("topics", handlers.topics),
        ("sources", handlers.sources),
        ("timeline", handlers.timeline),
        ("about", handlers.about),
        ("privacy", handlers.privacy),
        ("why", handlers.why),
    ):
        add(CommandHandler(name, callback, filters=new))
    add(MessageHandler(filters.TEXT & (new | filters.UpdateType.CHANNEL_POST), handlers.question))
    add(MessageHandler(filters.TEXT & filters.UpdateType.EDITED, handlers.edited_question))
    add(MessageHandler(filters.ChatType.PRIVATE & new & ~filters.TEXT & ~filters.StatusUpdate.ALL, handlers.non_text))
    add(CallbackQueryHandler(handlers.button, pattern=f"^{ANSWER_PREFIX}"))
    add(InlineQueryHandler(handlers.inline_query))
    application.add_error_handler(handlers.error)
    return application


async def set_commands(application: Application) -> None:
    """Publish the command menu (setMyCommands): all commands in private chats, a few in groups."""
    kb = application.bot_data[STATE_KEY].kb
    langs = ["en"] + sorted(l for l in kb.ui if l != "en" and any(k.startswith("tg_command_") for k in kb.ui[l]))
    try:
        for lang in langs:
            code = None if lang == "en" else lang
            private = [BotCommand(c, d) for c, d in texts.commands(kb, lang, in_groups=False)]
            groups = [BotCommand(c, d) for c, d in texts.commands(kb, lang, in_groups=True)]
            await application.bot.set_my_commands(private, language_code=code)
            await application.bot.set_my_commands(groups, scope=BotCommandScopeAllGroupChats(), language_code=code)
    except TelegramError as exc:  # the menu is a convenience; answering works without it
        log.warning("could not set the command menu: %s", exc)


def webhook_options(settings: Settings) -> dict:
    """Where to listen and what to tell Telegram: the local server serves the URL's path, and
    every update must carry the secret (Telegram's X-Telegram-Bot-Api-Secret-Token header)."""
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": urlparse(settings.webhook_url).path.lstrip("/"),
        "webhook_url": settings.webhook_url,
        "secret_token": settings.webhook_secret,
        "allowed_updates": ALLOWED_UPDATES,
    }


class RedactToken(logging.Filter):
    """Keep the bot token out of every log line, tracebacks included."""

    def __init__(self, token: str):
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.token:
            return True
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "<token>"), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self.token in record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, "<token>")
        return True


def _configure_logging(token: str) -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry request URLs
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactToken(token))


def run(settings: Settings, kb: KnowledgeBase) -> int:
    """Run until interrupted: long polling, or a webhook when FACTBOT_WEBHOOK_URL is set."""
    if not settings.token:
        print("TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather (see docs/telegram.md) and export it.",
              file=sys.stderr)
        return 2
    _configure_logging(settings.token)
    application = build_application(settings, kb)
    log.info("factbot starting: %d intents, facts as of %s, %s", len(kb.intents), kb.as_of,
             "webhook" if settings.webhook_url else "long polling")
    try:
        if settings.webhook_url:
            application.run_webhook(**webhook_options(settings), bootstrap_retries=BOOTSTRAP_RETRIES)
        else:
            application.run_polling(allowed_updates=ALLOWED_UPDATES, bootstrap_retries=BOOTSTRAP_RETRIES)
    except InvalidToken:
        print("Telegram refused the token: check TELEGRAM_BOT_TOKEN (see docs/telegram.md).", file=sys.stderr)
        return 2
    except NetworkError as exc:  # the URL carries the token: name the host only
        host = urlparse(settings.api_base_url).netloc
        print(f"cannot reach the Bot API at {host}: {type(exc).__name__}. Check the network and "
              "TELEGRAM_API_BASE_URL.", file=sys.stderr)
        return 1
    return 0
