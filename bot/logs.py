"""How the bot logs: one line per event, readable text or JSON (FACTBOT_LOG_FORMAT), at
FACTBOT_LOG_LEVEL, with every secret (the bot token, the webhook secret, the hash key, a password
in a URL) redacted from every line, tracebacks included; errors nobody caught are logged through
the same filter."""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import quote

from .config import Settings

log = logging.getLogger(__name__)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactSecrets(logging.Filter):
    """Keep every secret the bot holds out of every log line, tracebacks included.

    The token is "<bot id>:<secret>". Error texts carry it in more than one form: as is in a URL,
    URL-encoded (":" as "%3A", when a server echoes the path it was asked for), or lower-cased
    (python-telegram-bot capitalises a "Bad Request: ..." description, which lower-cases the
    rest). So the secret part is matched in any letter case, with the bot id and the colon (in
    either form) when they precede it, and all of it becomes "<token>". The other secrets (the
    webhook secret, the hash key, a password in a URL: `Settings.secrets()`) become "<secret>",
    as written or URL-encoded; one shorter than 8 characters only where it stands alone, so that
    a short one does not blot out every word that contains it.
    """

    def __init__(self, token: str, others: tuple[str, ...] = ()):
        super().__init__()
        self.token, self.others = token, tuple(o for o in others if o and o != token)
        self.key = (self.token, self.others)
        bot_id, colon, secret = token.rpartition(":")
        secret = secret if colon else token
        self._token = re.compile(
            (rf"(?:{re.escape(bot_id)}(?::|%3A))?" if colon else "") + re.escape(secret), re.IGNORECASE
        ) if secret else None
        forms = sorted({f for o in self.others for f in (o, quote(o, safe=""))}, key=len, reverse=True)
        self._others = re.compile("|".join(
            re.escape(f) if len(f) >= 8 else rf"(?<![A-Za-z0-9]){re.escape(f)}(?![A-Za-z0-9])" for f in forms
        )) if forms else None

    def redact(self, text: str) -> str:
        if self._token is not None:
            text = self._token.sub("<token>", text)
        if self._others is not None:
            text = self._others.sub("<secret>", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._token is None and self._others is None:
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
        fields = getattr(record, "fields", None)  # the JSON format's extra keys (see JsonFormatter)
        if isinstance(fields, dict):
            record.fields = {k: self.redact(v) if isinstance(v, str) else v for k, v in fields.items()}
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
    wanted = RedactSecrets(settings.token, settings.secrets())
    for each in root.handlers:  # (a filter for other secrets, from an earlier call, does not count)
        if not any(isinstance(f, RedactSecrets) and f.key == wanted.key for f in each.filters):
            each.addFilter(wanted)
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
