"""The webhook server's limits: python-telegram-bot serves webhooks with tornado's HTTPServer and
its own request handler; `harden_webhook_server()` makes every HTTPServer of this process (there
is only that one) refuse what is not a genuine update, cheaply and with one log line:

- a body over WEBHOOK_MAX_BODY, from its Content-Length, before reading it (tornado's default
  is 100 MB, read whole before the secret is checked); slow senders are dropped;
- with the right secret, a body that is not UTF-8, not JSON (nested too deep included) or not
  an update: 400 and one WARNING line. python-telegram-bot's handler parses the body outside its
  `try` (a 500 with a traceback) and logs a non-update at CRITICAL with a traceback.

The check runs in the handler's `prepare()`, before python-telegram-bot's `post()`, which keeps
the secret and Content-Type checks (403) and queues the update.
"""

from __future__ import annotations

import hmac
import json
import logging
from http import HTTPStatus
from typing import Any

from telegram import Update
from tornado.httpserver import HTTPServer
from tornado.web import Application, HTTPError, RequestHandler

log = logging.getLogger(__name__)

WEBHOOK_MAX_BODY = 1024 * 1024  # bytes; an update is a few kB (deploy/nginx.conf: client_max_body_size 1m)
WEBHOOK_HEADER_SECONDS = 60.0  # a connection that sends no complete request head for this long is closed
WEBHOOK_BODY_SECONDS = 10.0  # and one that takes longer than this to send its body
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class CheckedBody(RequestHandler):
    """Put before python-telegram-bot's webhook handler: a request that would pass its secret
    check must carry a JSON update, or it is refused with 400 here."""

    def prepare(self) -> None:
        secret = getattr(self, "secret_token", None)  # set by python-telegram-bot's initialize()
        sent = self.request.headers.get(SECRET_HEADER, "")
        if self.request.method != "POST" or not secret or not hmac.compare_digest(sent.encode(), secret.encode()):
            return  # python-telegram-bot answers 403 (or 405)
        if self.request.headers.get("Content-Type") != "application/json":
            return
        problem = body_problem(self.request.body, getattr(self, "bot", None))
        if problem:
            log.warning("webhook: refused a request with the secret: %s (%d bytes)", problem, len(self.request.body))
            raise HTTPError(HTTPStatus.BAD_REQUEST, reason="Not an update")

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """A refusal (HTTPError: 400, 403, 405) is an answer, not a failure: no traceback."""
        if isinstance(value, HTTPError):
            log.debug("webhook: %s %s", value.status_code, value.reason or "")
            return
        super().log_exception(typ, value, tb)


def body_problem(body: bytes, bot: Any) -> str | None:
    """Why `body` is not a Telegram update, or None."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        return "the body is not UTF-8"
    except RecursionError:
        return "the body is JSON nested too deeply"
    except ValueError:
        return "the body is not JSON"
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        return "the body is JSON but not an update (no update_id)"
    try:
        Update.de_json(data, bot)
    except Exception as exc:  # noqa: BLE001 - whatever python-telegram-bot cannot read is not an update
        return f"the body is not an update python-telegram-bot can read ({type(exc).__name__})"
    return None


class _HardenedServer(HTTPServer):
    """HTTPServer that puts CheckedBody before every request handler of the application it serves."""

    def initialize(self, request_callback: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(request_callback, Application):
            for rule in request_callback.wildcard_router.rules:
                target = rule.target
                if isinstance(target, type) and issubclass(target, RequestHandler) and not issubclass(target, CheckedBody):
                    rule.target = type(f"Checked{target.__name__}", (CheckedBody, target), {})
        super().initialize(request_callback, *args, **kwargs)


def harden_webhook_server() -> None:
    """Make every HTTPServer of this process the hardened one, with the limits above."""
    HTTPServer.configure(_HardenedServer, max_body_size=WEBHOOK_MAX_BODY, idle_connection_timeout=WEBHOOK_HEADER_SECONDS,
                         body_timeout=WEBHOOK_BODY_SECONDS)
