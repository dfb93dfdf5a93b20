"""How the bot logs: one line per event, readable text or JSON (FACTBOT_LOG_FORMAT), at
FACTBOT_LOG_LEVEL, with the bot token redacted from every line, tracebacks included; errors
nobody caught are logged through the same filter."""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from datetime import UTC, datetime
from typing import Any, TextIO

from .config import Settings

log = logging.getLogger(__name__)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactToken(logging.Filter):
    """Keep the bot token out of every log line, tracebacks included.

    The token is "<bot id>:<secret>". Error texts carry it in more than one form: as is in a URL,
    URL-encoded (":" as "%3A", when a server echoes the path it was asked for), or lower-cased
    (python-telegram-bot capitalises a "Bad Request: ..." description, which lower-cases the
    rest). So the secret part is matched in any letter case, with the bot id and the colon (in
    either form) when they precede it, and all of it becomes "<token>".
    """

    def __init__(self, token: str):
        super().__init__()
        self.token = token
        bot_id, colon, secret = token.rpartition(":")
        secret = secret if colon else token
        self._pattern = re.compile(
            (rf"(?:{re.escape(bot_id)}(?::|%3A))?" if colon else "") + re.escape(secret), re.IGNORECASE
        ) if secret else None

    def redact(self, text: str) -> str:
        return self._pattern.sub("<token>", text) if self._pattern is not None else text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._pattern is None:
            return True
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, and the fields of an update line."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        out.update(getattr(record, "fields", None) or {})
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exception"] = record.exc_text
        return json.dumps(out, ensure_ascii=False, default=str)


def configure_logging(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """Send every log record to `stream` (stderr) in FACTBOT_LOG_FORMAT at FACTBOT_LOG_LEVEL.

    Replaces a handler installed by an earlier call; the token filter goes on every handler of
    the root logger, not just ours. Errors nobody caught (in the main thread or any other) and
    warnings are logged too, so they pass the filter instead of going to stderr as they are.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.set_name("factbot")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "factbot"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry request URLs
    for each in root.handlers:  # (a filter for another token, from an earlier call, does not count)
        if not any(isinstance(f, RedactToken) and f.token == settings.token for f in each.filters):
            each.addFilter(RedactToken(settings.token))
    sys.excepthook = log_uncaught
    threading.excepthook = log_uncaught_in_thread
    logging.captureWarnings(True)
    return handler


def log_uncaught(kind: type[BaseException], value: BaseException, tb: Any) -> None:
    """sys.excepthook: an error that ends the program is logged (token filtered), not printed raw."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, tb)
        return
    log.critical("stopped by an unexpected error: %s", kind.__name__, exc_info=(kind, value, tb))


def log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    """threading.excepthook: the same for a thread that dies of an error."""
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    # the error carries its own traceback (args.exc_traceback is the same one)
    log.critical("thread %s stopped by an unexpected error: %s", name, args.exc_type.__name__, exc_info=args.exc_value)
