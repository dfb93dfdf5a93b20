"""Security: the webhook refuses what is not a genuine update; the token never reaches any output;
operator commands obey operators only.

- Webhook: the real Application's webhook server (`updater.start_webhook` with the options of
  `bot.tg.app.webhook_options`) on 127.0.0.1, raw HTTP requests with aiohttp and with plain
  sockets; the outgoing Bot API calls go to the fake Bot API.
- Token: a Bot API that fails in every way we know of (unreachable, 500 with JSON or HTML,
  connections closed, 400/403 and garbage that echo the request path, so the token is in the
  error text as is, URL-encoded and lower-cased); the bot runs in-process and as
  `python -m bot run`; every byte it writes is scanned.
- Operator commands: /reload, /stats, /pause, /resume from everyone else, in every chat type.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import io
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote_plus

import aiohttp
import pytest
from telegram import Update
from telegram.ext import TypeHandler

from bot.config import Settings
from bot.logs import RedactSecrets, configure_logging
from bot.store import Store
from bot.tg import app as tg_app
from bot.tg import curator
from bot.tg.app import build_application, webhook_options
from bot.tg.handlers import STATE_KEY

from .conftest import ROOT
from .fake_bot_api import (
    BOT_USER,
    BOT_USERNAME,
    TOKEN,
    FakeBotApi,
    RecordingRequest,
    channel_chat,
    group_chat,
    message,
    private_chat,
    user,
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# == Webhook mode ===================================================================================
SECRET = "wh_Secret-0123456789abcdef"
HOOK = "factbot/hook"
BIG = 5 * 1024 * 1024  # 5 MB; a real update is a few kB


@dataclass
class Hook:
    """A running webhook server: where to post, the fake Bot API behind it, updates handled."""

    port: int
    api: FakeBotApi
    seen: list
    application: Any

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{HOOK}"


@pytest.fixture
async def hook(kb):
    api = FakeBotApi()
    await api.start()
    port = free_port()
    settings = Settings(token=TOKEN, api_base_url=api.base_url, webhook_url=f"https://bot.example.org/{HOOK}",
                        webhook_listen="127.0.0.1", webhook_port=port, webhook_secret=SECRET)
    application = build_application(settings, kb)
    seen: list = []

    async def spy(update: Update, context) -> None:  # before every handler of the bot
        seen.append(update.update_id)

    application.add_handler(TypeHandler(Update, spy), group=-2)
    await application.initialize()
    await application.start()
    await application.updater.start_webhook(**webhook_options(settings))
    try:
        yield Hook(port, api, seen, application)
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        await api.stop()


def secret_headers(secret: str | None, content_type: str = "application/json") -> dict[str, str]:
    headers = {"Content-Type": content_type}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return headers


def update_body(update_id: int, text: str = "who controls homs?") -> bytes:
    return json.dumps({"update_id": update_id, "message": message(text)}).encode()


# Bodies that are not an update. Each is refused and none is handed to the bot.
NOT_JSON = {
    "not JSON": b"who controls homs?",
    "empty": b"",
    "not UTF-8": b"\xff\xfe\xfa{",
    "truncated JSON": update_body(1)[:-7],
    "JSON nested 100000 deep": b"[" * 100_000 + b"]" * 100_000,
}
NOT_AN_UPDATE = {
    "an object without update_id": json.dumps({"message": message("who controls homs?")}).encode(),
    "an empty object": b"{}",
    "a list": b"[1, 2, 3]",
    "a string": b'"who controls homs?"',
    "a number": b"42",
    "null": b"null",
    "a message that is not an object": b'{"update_id": 3, "message": "who controls homs?"}',
}
WRONG_SECRETS = {
    "missing": None,
    "empty": "",
    "wrong": "nope",
    "a prefix of the secret": SECRET[:-1],
    "the secret and more": SECRET + "x",
    "the secret in another case": SECRET.upper(),
}


async def post(http: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]) -> int:
    async with http.post(url, data=body, headers=headers) as resp:
        await resp.read()
        return resp.status


async def raw_post(port: int, body_size: int, headers: dict[str, str], *, chunked: bool = False,
                   early: float = 0.1) -> tuple[int | None, int]:
    """POST `body_size` bytes of garbage over a plain socket: the head first, then (unless the
    server has already answered) the body. Returns (status or None if the server closed without
    one, bytes of the body the server took before answering)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = [f"POST /{HOOK} HTTP/1.1", f"Host: 127.0.0.1:{port}", *(f"{k}: {v}" for k, v in headers.items())]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {body_size}")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
    sent = 0
    try:
        await writer.drain()
        status_line = b""
        try:  # a server that refuses by the declared length answers before any of the body
            status_line = await asyncio.wait_for(reader.readline(), early)
        except TimeoutError:
            pass
        if not status_line:
            chunk = b"x" * 65536
            while sent < body_size:
                piece = chunk[: body_size - sent]
                writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece)
                await writer.drain()
                sent += len(piece)
            if chunked:
                writer.write(b"0\r\n\r\n")
                await writer.drain()
            status_line = await asyncio.wait_for(reader.readline(), 30)
    except (ConnectionError, OSError):  # the server closed on us mid-body: refused, without a status
        return None, sent
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass
    parts = status_line.split()
    return (int(parts[1]) if len(parts) >= 2 else None), sent


@pytest.mark.e2e
async def test_webhook_refuses_what_is_not_a_genuine_update_and_keeps_serving(hook: Hook):
    """Wrong or missing secret: 403, whatever the body. With the secret, a body that is not an
    update: refused. Oversized bodies: refused. None of them reaches a handler or makes the bot
    send anything, the server survives them all, and a genuine update afterwards is answered."""
    tried: dict[str, int] = {}
    async with aiohttp.ClientSession() as http:
        bodies = {"a valid update": update_body(10), **NOT_JSON, **NOT_AN_UPDATE}
        for secret_name, secret in WRONG_SECRETS.items():
            for body_name, body in bodies.items():
                status = await post(http, hook.url, body, secret_headers(secret))
                assert status == 403, (secret_name, body_name, status)
                tried[f"secret {secret_name}"] = tried.get(f"secret {secret_name}", 0) + 1
        # the secret right, but not sent as JSON: python-telegram-bot refuses it too
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-8"):
            assert await post(http, hook.url, update_body(11), secret_headers(SECRET, content_type)) == 403
            tried["not sent as application/json"] = tried.get("not sent as application/json", 0) + 1
        for method in ("GET", "PUT", "DELETE"):
            async with http.request(method, hook.url, headers=secret_headers(SECRET)) as resp:
                assert resp.status == 405, method
            tried["not a POST"] = tried.get("not a POST", 0) + 1
        for body_name, body in {**NOT_JSON, **NOT_AN_UPDATE}.items():
            status = await post(http, hook.url, body, secret_headers(SECRET))
            assert status == 400, (body_name, status)
            tried["the secret, not an update"] = tried.get("the secret, not an update", 0) + 1

    # 5 MB: with no secret, a wrong one, and the right one (the body is not JSON); plainly and chunked
    for secret in (None, "nope", SECRET):
        for chunked in (False, True):
            status, _ = await raw_post(hook.port, BIG, secret_headers(secret), chunked=chunked)
            assert status is None or 400 <= status < 600, (secret, chunked, status)
            tried["5 MB body"] = tried.get("5 MB body", 0) + 1
    async with aiohttp.ClientSession() as http:  # and through aiohttp, which sends it all at once
        for secret in (None, SECRET):
            try:
                status = await post(http, hook.url, b"x" * BIG, secret_headers(secret))
            except aiohttp.ClientError:
                status = None  # the server cut the upload short
            assert status is None or 400 <= status < 600, (secret, status)
            tried["5 MB body"] += 1

    await asyncio.sleep(0.2)  # anything wrongly queued would be handled by now
    assert hook.seen == [], "a refused request reached the bot's handlers"
    assert hook.api.sent() == [], "a refused request made the bot send something"

    async with aiohttp.ClientSession() as http:
        status = await post(http, hook.url, update_body(99), secret_headers(SECRET))
    assert status == 200
    [answer] = await hook.api.wait_calls("sendMessage", 1)
    assert answer["chat_id"] == 42 and answer["parse_mode"] == "HTML"
    assert hook.seen == [99]
    print(f"webhook requests tried: {tried} (total {sum(tried.values())}, then 1 genuine update)")


@pytest.mark.e2e
async def test_webhook_refuses_an_oversized_update_before_reading_it(hook: Hook):
    big_update = json.dumps({"update_id": 7, "padding": "x" * BIG}).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", hook.port)
    head = (f"POST /{HOOK} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\nContent-Length: {len(big_update)}\r\n\r\n")
    writer.write(head.encode())
    await writer.drain()
    try:
        status_line = await asyncio.wait_for(reader.readline(), 0.5)
    except TimeoutError:  # it waits for the body: send it, and see it accepted
        writer.write(big_update)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 30)
    writer.close()
    await asyncio.sleep(0.1)
    assert status_line.split()[1] == b"400", status_line
    assert hook.seen == []


@pytest.mark.e2e
async def test_webhook_answers_400_to_a_body_with_the_secret_that_is_not_json(hook: Hook, caplog):
    """python-telegram-bot's webhook handler parsed the body outside its try: a 500 and a
    traceback for each. Now 400 and one WARNING line each, no traceback."""
    caplog.set_level(logging.DEBUG)
    bodies = {**NOT_JSON, "JSON nested 200000 deep": b"[" * 200_000 + b"]" * 200_000}
    async with aiohttp.ClientSession() as http:
        for name, body in bodies.items():
            assert await post(http, hook.url, body, secret_headers(SECRET)) == 400, name
    refused = [r for r in caplog.records if r.name == "bot.tg.webhook" and r.levelno > logging.DEBUG]
    assert len(refused) == len(bodies) and all(r.levelno == logging.WARNING for r in refused), refused
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert hook.seen == [] and hook.api.sent() == []


@pytest.mark.e2e
async def test_webhook_answers_400_to_json_with_the_secret_that_is_not_an_update(hook: Hook, caplog):
    caplog.set_level(logging.DEBUG)
    async with aiohttp.ClientSession() as http:
        for name, body in NOT_AN_UPDATE.items():
            assert await post(http, hook.url, body, secret_headers(SECRET)) == 400, name
    await asyncio.sleep(0.1)
    assert hook.seen == [] and hook.api.sent() == []
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], "one line each, no traceback"


@pytest.mark.e2e
async def test_a_text_past_telegrams_limit_is_refused_before_matching(hook: Hook, monkeypatch, caplog):
    """A 900,000-character text (Telegram sends at most 4,096) held the server for 3 s while it
    was matched. It is now refused before matching: a short note to the sender and one log
    line; the next update is answered."""
    from bot.tg import handlers

    matched: list[str] = []
    real_answer = handlers.answer

    def spying_answer(kb, text, *args, **kwargs):
        matched.append(text)
        return real_answer(kb, text, *args, **kwargs)

    monkeypatch.setattr(handlers, "answer", spying_answer)
    long_text = "who controls homs? " * 47_400  # 900,600 characters
    async with aiohttp.ClientSession() as http:
        assert await post(http, hook.url, update_body(21, long_text), secret_headers(SECRET)) == 200
        assert await post(http, hook.url, update_body(22, "x" * 4097), secret_headers(SECRET)) == 200
        assert await post(http, hook.url, update_body(23), secret_headers(SECRET)) == 200
    calls = await hook.api.wait_calls("sendMessage", 3)
    assert matched == ["who controls homs?"], "the long texts were not matched"
    assert [c["text"] for c in calls[:2]] == [hook.application.bot_data[STATE_KEY].kb.text("tg_too_long")] * 2
    assert sum("over Telegram's 4096" in r.getMessage() for r in caplog.records) == 2


HASH_KEY = "hk-0123456789-the-hash-key"
URL_PASSWORD = "pr0xy-Pa55word"


@pytest.mark.e2e
@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_no_secret_reaches_the_log_at_debug(kb, global_logging, log_format):
    """At DEBUG python-telegram-bot logs every call's parameters, setWebhook's secret_token among
    them. Every secret the bot holds (token, webhook secret, hash key, the password of a
    user:pass@ base URL) is redacted from every line; the rest of the line stays."""
    api = FakeBotApi()
    await api.start()
    base_url = api.base_url.replace("http://", f"http://proxyuser:{URL_PASSWORD}@")
    settings = Settings(token=TOKEN, api_base_url=base_url, webhook_url=f"https://bot.example.org/{HOOK}",
                        webhook_listen="127.0.0.1", webhook_port=free_port(), webhook_secret=SECRET,
                        hash_key=HASH_KEY, log_format=log_format, log_level="DEBUG")
    stream = io.StringIO()
    configure_logging(settings, stream=stream)
    application = build_application(settings, kb)
    await application.initialize()
    await application.start()
    await application.updater.start_webhook(**webhook_options(settings))
    try:
        logging.getLogger("bot").debug("hash key %s, url %s", HASH_KEY, base_url)
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        await api.stop()
    shown = stream.getvalue()
    assert "setWebhook" in shown and "secret_token" in shown  # the line that carried it is still there
    assert leaks(shown, TOKEN) == []
    for secret in (SECRET, HASH_KEY, URL_PASSWORD):
        assert secret not in shown, secret
    assert "<secret>" in shown and "proxyuser" in shown


def test_an_unreachable_api_is_named_without_the_password_of_its_url(kb, capfd, global_logging, no_waiting):
    base_url = f"http://proxyuser:{URL_PASSWORD}@127.0.0.1:{free_port()}/bot"
    code = tg_app.run(Settings(token=TOKEN, api_base_url=base_url), kb)
    out, err = capfd.readouterr()
    assert code == 1 and "cannot reach the Bot API at proxyuser:<masked>@127.0.0.1" in err, err[-500:]
    assert URL_PASSWORD not in out + err


def test_a_short_secret_is_redacted_where_it_stands_alone_only():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "secret_token=%r in abcdef", ("abc",), None)
    RedactSecrets("", ("abc",)).filter(record)
    assert record.getMessage() == "secret_token='<secret>' in abcdef"


# == The token never leaks ==========================================================================
LEAK_TOKEN = "5550001234:AAFq7-Xw9_KpLm3NcVb8ZtRy2HdJe5GsQ0u"  # mixed case, like a real one
FAILURES = ("500 JSON", "500 HTML", "closes the connection", "400 echoing the path", "403 echoing the path",
            "200 not JSON")
UNREACHABLE = "unreachable"
FORBIDDEN = "403 echoing the path"
STARTUP_METHODS = ("getMe",)  # what a `start` scenario lets through: only getMe (webhook) or nothing (polling)
RUNNING_METHODS = ("getMe", "deleteWebhook", "setMyCommands", "setWebhook", "getWebhookInfo")
ME = {**BOT_USER, "username": BOT_USERNAME, "can_join_groups": True, "can_read_all_group_messages": False,
      "supports_inline_queries": True}


def token_forms(token: str = LEAK_TOKEN) -> dict[str, str]:
    """The forms of the token a scan looks for: as is, URL-encoded, and the secret part alone in
    any letter case (which covers lower-cased and re-encoded copies)."""
    return {"token": token, "URL-encoded token": quote(token, safe=""), "secret part": token.split(":", 1)[1]}


def leaks(text: str, token: str = LEAK_TOKEN) -> list[str]:
    """Where in `text` any form of the token appears (a few characters of context each)."""
    low, found = text.lower(), []
    for name, form in token_forms(token).items():
        at = low.find(form.lower())
        if at >= 0:
            found.append(f"{name}: ...{text[max(0, at - 60): at + len(form) + 20]}...")
    return found


def test_log_filter_redacts_every_form_of_the_token():
    """As is, URL-encoded (%3A or %3a), lower- or upper-cased, in the message, its arguments, a
    traceback and a stack; the bot id alone (public) stays."""
    secret = LEAK_TOKEN.split(":")[1]
    forms = [LEAK_TOKEN, quote(LEAK_TOKEN, safe=""), quote(LEAK_TOKEN, safe="").replace("%3A", "%3a"),
             LEAK_TOKEN.lower(), LEAK_TOKEN.upper(), secret]
    try:
        raise RuntimeError(" ".join(f"/bot{f}/getMe" for f in forms))
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed: %s and %s", (forms[1], forms[3]),
                                   sys.exc_info(), sinfo=f"stack mentioning {forms[4]}")
    RedactSecrets(LEAK_TOKEN).filter(record)
    shown = logging.Formatter().format(record)
    assert leaks(shown) == []
    assert shown.count("<token>") == 2 + len(forms) + 1
    quiet = logging.LogRecord("x", logging.INFO, __file__, 1, "bot 5550001234 started", (), None)
    RedactSecrets(LEAK_TOKEN).filter(quiet)
    assert quiet.getMessage() == "bot 5550001234 started"


def test_a_handler_filtered_for_another_token_is_filtered_for_this_one_too(global_logging):
    """configure_logging skipped a handler that already had a token filter, for whatever token:
    after an earlier call with another token, this one went out in clear."""
    extra = logging.StreamHandler(io.StringIO())
    logging.getLogger().addHandler(extra)
    configure_logging(Settings(token=TOKEN), stream=io.StringIO())
    stream = io.StringIO()
    configure_logging(Settings(token=LEAK_TOKEN), stream=stream)
    logging.getLogger("telegram.ext").warning("calling /bot%s/getMe, then /bot%s/getMe", TOKEN, LEAK_TOKEN)
    for shown in (extra.stream.getvalue(), stream.getvalue()):
        assert leaks(shown) == [] and leaks(shown, TOKEN) == [] and shown.count("<token>") == 2


class BrokenBotApi:
    """A Bot API on 127.0.0.1 that fails requests: `failure` is one of FAILURES, or UNREACHABLE
    (it stops listening once it has delivered the question, if any), or a dict method -> failure
    with "*" for the rest. Methods in `ok` succeed; with `question`, the first getUpdates delivers
    a private question, so failures also hit a running bot (its handler and the polling loop).
    Error texts echo the request path as is, URL-encoded and lower-cased, as a misconfigured proxy
    might, so the token is in them; `echoed` counts those responses. `sent()` is everything the bot
    sent in its requests' bodies (the texts for users among them), to scan too."""

    def __init__(self, failure: str | dict[str, str], ok: tuple[str, ...] = (), question: bool = False,
                 token: str = LEAK_TOKEN):
        self.failure = failure if isinstance(failure, dict) else {"*": failure}
        self.ok, self.question, self.token = set(ok), question, token
        self.requests: list[tuple[str, str]] = []  # (method, outcome)
        self.bodies: list[bytes] = []  # what the bot sent (its messages to users among them)
        self.echoed = 0
        self._server: asyncio.AbstractServer | None = None
        self.base_url = ""

    def sent(self) -> str:
        """The request bodies, as sent (form-encoded) and decoded."""
        raw = b"\n".join(self.bodies).decode("utf-8", "replace")
        return raw + "\n" + unquote_plus(raw)

    def count(self, method: str, outcome: str | None = None) -> int:
        return sum(1 for m, o in self.requests if m == method and (outcome is None or o == outcome))

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.base_url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/bot"
        return self.base_url

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def wait_for(self, predicate, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; requests so far: {self.requests}")
            await asyncio.sleep(0.01)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await reader.readline()
            length = 0
            while True:
                header = await reader.readline()
                if header in (b"\r\n", b"\n", b""):
                    break
                name, _, value = header.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if length:
                self.bodies.append(await reader.readexactly(length))
            path = request_line.split()[1].decode() if len(request_line.split()) > 1 else "/"
            method = path.rsplit("/", 1)[-1]
            status, ctype, body = self._respond(path, method)
            if status is None:  # close without a word
                return
            writer.write(f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                         "Connection: close\r\n\r\n".encode() + body)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def _respond(self, path: str, method: str) -> tuple[str | None, str, bytes]:
        if method in self.ok:
            self.requests.append((method, "ok"))
            result: Any = ME if method == "getMe" else True
            if method == "getWebhookInfo":
                result = {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
            return "200 OK", "application/json", json.dumps({"ok": True, "result": result}).encode()
        if method == "getUpdates" and self.question:
            self.question = False
            self.requests.append((method, "ok"))
            update = {"update_id": 1, "message": message("who controls homs?", private_chat(42), user(42))}
            if self.failure.get(method, self.failure.get("*")) == UNREACHABLE:
                asyncio.get_running_loop().call_soon(self._server.close)
            return "200 OK", "application/json", json.dumps({"ok": True, "result": [update]}).encode()
        failure = self.failure.get(method, self.failure.get("*"))
        self.requests.append((method, failure))
        echo = f"{path} {quote(path)} {path.lower()}"
        if failure in (UNREACHABLE, "closes the connection"):
            return None, "", b""
        self.echoed += 1
        if failure == "500 JSON":
            description = f"Internal Server Error: upstream failed for {echo}"
            return "500 Internal Server Error", "application/json", json.dumps(
                {"ok": False, "error_code": 500, "description": description}).encode()
        if failure == "500 HTML":
            return "500 Internal Server Error", "text/html", f"<html><h1>500</h1>{echo}</html>".encode()
        if failure == "400 echoing the path":  # python-telegram-bot lower-cases "Bad Request: ..."
            return "400 Bad Request", "application/json", json.dumps(
                {"ok": False, "error_code": 400, "description": f"Bad Request: no route to {echo}"}).encode()
        if failure == "403 echoing the path":  # Forbidden: not a NetworkError, so `run` does not catch it
            return "403 Forbidden", "application/json", json.dumps(
                {"ok": False, "error_code": 403, "description": f"Forbidden: the proxy refused {echo}"}).encode()
        if failure == "200 not JSON":  # a captive portal
            return "200 OK", "text/html", f"<html>Please log in to continue to {echo}</html>".encode()
        raise AssertionError(f"unknown failure {failure!r}")


@pytest.fixture
def global_logging():
    """`run` and `configure_logging` change process-wide logging and hooks: put them back after."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    filters = {h: list(h.filters) for h in handlers}
    hooks = (sys.excepthook, threading.excepthook)
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
    for h, kept in filters.items():
        h.filters[:] = kept
    root.setLevel(level)
    sys.excepthook, threading.excepthook = hooks
    logging.captureWarnings(False)


@pytest.fixture
def no_waiting(monkeypatch):
    """Fail fast: no start-up retries, and the bot's retries of failed calls without their waits
    (they still happen and are logged). The slow tests run `python -m bot run` as it is."""
    monkeypatch.setattr(tg_app, "BOOTSTRAP_RETRIES", 0)
    if hasattr(tg_app, "RetryingRateLimiter"):
        monkeypatch.setattr(tg_app, "RetryingRateLimiter", functools.partial(tg_app.RetryingRateLimiter, backoff=(0.0,)))


def run_in_process(settings: Settings, kb) -> tuple[int | None, str]:
    """`bot.tg.app.run` in this thread, as `python -m bot run` would; an exception it lets out
    goes to sys.excepthook, as the interpreter would do with it. Returns (exit code, outcome)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        code = tg_app.run(settings, kb)
        return code, f"exit {code}"
    except Exception as exc:  # noqa: BLE001 - what the interpreter would print
        sys.excepthook(type(exc), exc, exc.__traceback__)
        return None, f"uncaught {type(exc).__name__}"
    finally:
        if not loop.is_closed():
            loop.close()
        asyncio.set_event_loop(None)


def leak_settings(base_url: str, **extra) -> Settings:
    return Settings(token=LEAK_TOKEN, api_base_url=base_url, log_level="DEBUG", **extra)


WEBHOOK = {"webhook_url": "https://bot.example.org/factbot/hook", "webhook_secret": SECRET}


def start_scenarios(every: bool = True) -> list[tuple[str, str, str]]:
    """(failure, mode, log format): the bot cannot start. In polling mode every call fails; in
    webhook mode getMe works, and setMyCommands and setWebhook fail. Not `every`: webhook mode
    with a few failures only (the slow test runs them all)."""
    out = [(f, "polling", "text") for f in (UNREACHABLE, *FAILURES)]
    webhook = FAILURES if every else ("500 HTML", "400 echoing the path", "403 echoing the path")
    return out + [(f, "webhook", "json") for f in webhook]


def scan_report(name: str, text: str) -> str:
    return f"{name}: {len(text)} characters, {text.count(chr(10))} lines scanned"


class InThread:
    """Serve a BrokenBotApi from its own event loop in a thread, for a test whose own thread is
    busy running the bot (`run` blocks)."""

    def __init__(self, api: BrokenBotApi | None):
        self.api = api
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="broken-bot-api", daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        if self.api is None:  # nothing listens there
            return f"http://127.0.0.1:{free_port()}/bot"
        return asyncio.run_coroutine_threadsafe(self.api.start(), self.loop).result(5)

    def __exit__(self, *exc) -> None:
        if self.api is not None:
            asyncio.run_coroutine_threadsafe(self.api.stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


def broken_api(failure: str, mode: str) -> BrokenBotApi | None:
    if failure == UNREACHABLE:
        return None
    return BrokenBotApi(failure, ok=STARTUP_METHODS if mode == "webhook" else ())


@pytest.mark.parametrize("failure,mode,log_format", start_scenarios(every=False))
def test_token_never_leaks_when_the_bot_cannot_start_in_process(kb, capfd, caplog, global_logging, no_waiting,
                                                                failure, mode, log_format):
    api = broken_api(failure, mode)
    with InThread(api) as base_url:
        settings = leak_settings(base_url, log_format=log_format, **(WEBHOOK if mode == "webhook" else {}),
                                 webhook_port=free_port())
        code, outcome = run_in_process(settings, kb)
    out, err = capfd.readouterr()
    everything = out + err + caplog.text
    assert leaks(everything) == [], outcome
    assert code != 0, outcome  # it did not start
    assert "<token>" in err, "the DEBUG log names the API URL, with the token redacted"
    if api is not None and failure != "closes the connection":
        assert api.echoed, "the server put the token in its error texts"
    print(scan_report(f"in-process start, {mode}, {failure}, {outcome}", everything))


async def run_until_it_failed(kb, failure: str) -> int:
    """A polling bot against a BrokenBotApi that fails once the bot runs: the question is answered
    into a failing sendMessage (the handler's error is logged with its traceback, the apology
    fails too), and the next getUpdates fails (logged with its traceback by the polling loop).
    Returns the number of handler errors counted and what the bot sent."""
    api = BrokenBotApi(failure, ok=RUNNING_METHODS, question=True)
    await api.start()
    application = build_application(leak_settings(api.base_url), kb)
    await application.initialize()
    await application.start()
    await application.updater.start_polling(allowed_updates=tg_app.ALLOWED_UPDATES)
    try:
        if failure == UNREACHABLE:  # the server went away after the question: everything is refused
            await api.wait_for(lambda: api.count("getUpdates") >= 1)
            await asyncio.sleep(0.3)
        else:
            sends = 1 if failure == FORBIDDEN else 2  # the answer, then the apology (none to a chat that refuses the bot)
            await api.wait_for(lambda: api.count("sendMessage", failure) >= sends and api.count("getUpdates", failure) >= 1)
            await asyncio.sleep(0.05)
    finally:
        await application.updater.stop()  # (waits out the polling loop's 1 s pause after its failure)
        await application.stop()
        await application.shutdown()
        await api.stop()
    return application.bot_data[STATE_KEY].observer.metrics.errors, api.sent()


async def test_token_never_leaks_from_a_running_bot_in_process(kb, capfd, caplog, global_logging, no_waiting):
    """Every kind of failure at once, one bot for each, all logging at DEBUG to stderr."""
    configure_logging(leak_settings("http://127.0.0.1/bot"))
    kinds = (UNREACHABLE, *FAILURES)
    results = await asyncio.gather(*(run_until_it_failed(kb, failure) for failure in kinds))
    errors = [n for n, _ in results]
    out, err = capfd.readouterr()
    everything = out + err + caplog.text + "".join(sent for _, sent in results)
    assert leaks(everything) == []
    # each bot's handler failed once; a 403 is a chat that refuses the bot, counted as blocked instead
    assert dict(zip(kinds, errors)) == {k: 0 if k == FORBIDDEN else 1 for k in kinds}
    assert err.count("Traceback") >= 2 * len(kinds) - 1, "the failures were logged with their tracebacks"
    print(scan_report(f"in-process running, {len(kinds)} kinds of failure", everything))


# -- as `python -m bot run` ---------------------------------------------------------------------------
# The fast variant's start-up case runs the same entry point with no start-up retries and no waits
# between the bot's own retries (so it fails in a second, not in minutes).
FAIL_FAST = """
import functools, runpy, sys
import bot.tg.app as app
app.BOOTSTRAP_RETRIES = 0
if hasattr(app, "RetryingRateLimiter"):
    app.RetryingRateLimiter = functools.partial(app.RetryingRateLimiter, backoff=(0.0,))
sys.argv = ["bot", "run"]
runpy.run_module("bot", run_name="__main__", alter_sys=True)
"""


LOAD_SECONDS = 180.0  # for a bot to load its knowledge and start, however busy the machine


def starting_slots() -> asyncio.Semaphore:
    """How many bots may be loading at once in this event loop: one per core. Loading is the
    costly part of a start (imports, the knowledge base); 27 bots loading at once on 2 cores
    made each take longer than the waits that followed, so the test timed out before the bot
    made its first request."""
    loop = asyncio.get_running_loop()
    if loop not in _SLOTS:
        _SLOTS[loop] = asyncio.Semaphore(max(1, os.cpu_count() or 1))
    return _SLOTS[loop]


_SLOTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class BotProcess:
    """`python -m bot run` (or FAIL_FAST) as a subprocess: its output (stdout and stderr) read as it
    comes, and `loaded` set once it has logged "factbot starting" (or exited)."""

    def __init__(self, process: asyncio.subprocess.Process):
        self.process = process
        self.output = bytearray()
        self.loaded = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while chunk := await self.process.stdout.read(65536):
            self.output += chunk
            if b"factbot starting" in self.output:
                self.loaded.set()
        self.loaded.set()

    def text(self) -> str:
        return self.output.decode("utf-8", "replace")

    async def finish(self, within: float) -> tuple[int, str, bool]:
        """Wait up to `within` seconds for the bot to exit, then SIGTERM it (SIGKILL a minute later).
        Returns (exit status, output, whether it had to be stopped)."""
        stopped = False
        try:
            await asyncio.wait_for(asyncio.shield(self.process.wait()), within)
        except TimeoutError:
            stopped = True
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(asyncio.shield(self.process.wait()), 60)
            except TimeoutError:
                self.process.kill()
        await self.process.wait()
        await self._reader
        return self.process.returncode, self.text(), stopped

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()
        self._reader.cancel()


@contextlib.asynccontextmanager
async def bot_process(base_url: str, *, log_format: str = "text", webhook: bool = False, fail_fast: bool = False):
    """Start a bot once a starting slot is free, wait until it has loaded, and always stop it: a
    failed or cancelled test leaves no process behind."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FACTBOT_", "TELEGRAM_"))}
    env = {**clean, "TELEGRAM_BOT_TOKEN": LEAK_TOKEN, "TELEGRAM_API_BASE_URL": base_url,
           "FACTBOT_LOG_LEVEL": "DEBUG", "FACTBOT_LOG_FORMAT": log_format, "PYTHONUNBUFFERED": "1"}
    if webhook:
        env.update(FACTBOT_WEBHOOK_URL=WEBHOOK["webhook_url"], FACTBOT_WEBHOOK_SECRET=SECRET,
                   FACTBOT_WEBHOOK_PORT=str(free_port()))
    args = ("-c", FAIL_FAST) if fail_fast else ("-m", "bot", "run")
    bot: BotProcess | None = None
    try:
        async with starting_slots():
            bot = BotProcess(await asyncio.create_subprocess_exec(
                sys.executable, *args, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT))
            try:
                await asyncio.wait_for(bot.loaded.wait(), LOAD_SECONDS)
            except TimeoutError:
                raise AssertionError(f"the bot did not load within {LOAD_SECONDS:.0f} s: {bot.text()[-2000:]}") from None
        yield bot
    finally:
        if bot is not None:
            await bot.kill()


async def start_and_fail(failure: str, mode: str, log_format: str, *, fail_fast: bool, within: float) -> tuple:
    """A subprocess bot that cannot start (see start_scenarios); `within` counts from its start."""
    api = broken_api(failure, mode)
    base_url = await api.start() if api else f"http://127.0.0.1:{free_port()}/bot"
    try:
        async with bot_process(base_url, log_format=log_format, webhook=mode == "webhook", fail_fast=fail_fast) as bot:
            code, output, stopped = await bot.finish(within=within)
    finally:
        if api:
            await api.stop()
    return code, output, stopped, api


async def run_and_fail(failure: str | dict[str, str], log_format: str = "text", settle: float = 0.3) -> tuple:
    """A subprocess bot that starts, gets a question, and meets the failure (see run_until_it_failed);
    stopped with SIGTERM `settle` seconds after its answer and its next poll have failed (long
    enough, in the slow test, for the bot's own retries of the answer and the apology)."""
    api = BrokenBotApi(failure, ok=RUNNING_METHODS, question=True)
    await api.start()
    try:
        async with bot_process(api.base_url, log_format=log_format) as bot:
            if bot.process.returncode is not None:
                raise AssertionError(f"the bot exited at once: {bot.text()[-2000:]}")
            if api.failure.get("getUpdates", api.failure["*"]) == UNREACHABLE:
                await api.wait_for(lambda: api.count("getUpdates") >= 1, timeout=60)
                await asyncio.sleep(max(settle, 3))
            else:
                await api.wait_for(lambda: api.count("sendMessage", api.failure.get("sendMessage", api.failure["*"])) >= 1
                                   and api.count("getUpdates", api.failure.get("getUpdates", api.failure["*"])) >= 1,
                                   timeout=60)
                await asyncio.sleep(settle)
            code, output, stopped = await bot.finish(within=0)
    finally:
        await api.stop()
    return code, output, stopped, api


async def test_token_never_leaks_from_python_m_bot_run(kb):
    """Fast variant: `python -m bot run` meets a failing API while running: its answer and its
    apology get a 400 that echoes the path, its next poll a 500 that does (both logged with their
    tracebacks). (The slow variant also fails it at start, in every way.)"""
    code, output, _, api = await run_and_fail(
        {"getUpdates": "500 JSON", "sendMessage": "400 echoing the path", "*": "403 echoing the path"})
    assert leaks(output) == [], output[-3000:]
    assert leaks(api.sent()) == [] and kb.text("tg_error") in api.sent(), "the apology went out, without the token"
    assert code == 0, output[-3000:]  # SIGTERM: a clean stop
    assert api.echoed >= 3 and output.count("Traceback") >= 2 and "<token>" in output
    print(scan_report("python -m bot run, running", output))


@pytest.mark.slow
async def test_token_never_leaks_from_python_m_bot_run_in_any_failure():
    """Every failure, as `python -m bot run` is: at start (in polling and webhook mode, with all
    its retries; a bot still retrying after 90 s is stopped with SIGTERM), at start with no retries
    for the failures it retries (so that it gives up by itself), and while running."""
    starts = start_scenarios()
    at_once = [(f, mode, fmt) for f, mode, fmt in starts if f in (UNREACHABLE, "500 JSON", "500 HTML", "closes the connection")]
    runs = [UNREACHABLE, *FAILURES]
    # a TaskGroup: when one scenario fails, the others are cancelled and stop their bots
    async with asyncio.TaskGroup() as group:
        tasks = [*(group.create_task(start_and_fail(f, mode, fmt, fail_fast=False, within=90)) for f, mode, fmt in starts),
                 *(group.create_task(start_and_fail(f, mode, fmt, fail_fast=True, within=60)) for f, mode, fmt in at_once),
                 *(group.create_task(run_and_fail(f, "json" if i % 2 else "text", settle=30)) for i, f in enumerate(runs))]
    results = [t.result() for t in tasks]
    names = ([f"start, {mode}, {f}" for f, mode, _ in starts] + [f"start, no retries, {mode}, {f}" for f, mode, _ in at_once]
             + [f"running, {f}" for f in runs])
    lines = []
    for name, (code, output, stopped, api) in zip(names, results):
        assert leaks(output) == [], (name, output[-3000:])
        assert api is None or leaks(api.sent()) == [], name
        assert "<token>" in output, name
        lines.append(f"{scan_report(name, output)}, exit {code}{' after SIGTERM' if stopped else ''}")
    print("\n".join(lines))


# == Operator commands ==============================================================================
OPERATOR, STRANGER = 1, 5
COMMANDS = ("/reload", "/stats", "/pause", "/resume")
TOPIC = 77
ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}


def chat_of(kind: str, uid: int) -> tuple[dict, dict]:
    """(chat, extra message fields) of each chat type."""
    if kind == "private":
        return private_chat(uid), {}
    if kind == "group":
        return {"id": -4001, "type": "group", "title": "Syria watchers (basic group)"}, {}
    if kind == "supergroup":
        return group_chat(-100_111), {}
    if kind == "forum topic":
        return group_chat(-100_333, forum=True), {"thread_id": TOPIC}
    raise AssertionError(kind)


def command_update(command: str, kind: str, uid: int) -> dict:
    """The update of `command` sent by user `uid` in a chat of `kind` (addressed to the bot by
    name outside private chats, as a menu tap sends it)."""
    if kind == "channel post":  # no user at all: the channel speaks
        return {"channel_post": message(f"{command}@{BOT_USERNAME}", channel_chat())}
    chat, extra = chat_of(kind, uid)
    text = command if kind == "private" else f"{command}@{BOT_USERNAME}"
    return {"message": message(text, chat, user(uid), **extra)}


def spoofed_update(command: str, how: str) -> dict:
    """Someone who is not an operator tries to pass for one."""
    if how == "an anonymous group admin":
        chat = group_chat(-100_111)
        msg = message(f"{command}@{BOT_USERNAME}", chat, ANONYMOUS_ADMIN)
        msg["sender_chat"] = chat
        return {"message": msg}
    if how == "a channel posting in a group":
        msg = message(f"{command}@{BOT_USERNAME}", group_chat(-100_111), CHANNEL_BOT)
        msg["sender_chat"] = channel_chat()
        return {"message": msg}
    if how == "forwarding an operator's command":
        msg = message(command, private_chat(STRANGER), user(STRANGER))
        msg["forward_origin"] = {"type": "user", "sender_user": user(OPERATOR), "date": int(time.time())}
        return {"message": msg}
    if how == "replying to an operator's command":
        chat = group_chat(-100_111)
        msg = message(f"{command}@{BOT_USERNAME}", chat, user(STRANGER))
        msg["reply_to_message"] = message(command, chat, user(OPERATOR))
        return {"message": msg}
    if how == "a stranger with the operator's name":
        impostor = {**user(STRANGER), "first_name": "Operator", "username": "the_operator"}
        return {"message": message(command, private_chat(STRANGER), impostor)}
    raise AssertionError(how)


@dataclass
class Operated:
    """A bot with one operator, driven in-process; what its operator commands did."""

    application: Any
    api: FakeBotApi
    kb: Any
    loads: list = field(default_factory=list)
    stats_calls: list = field(default_factory=list)

    @property
    def state(self):
        return self.application.bot_data[STATE_KEY]

    async def feed(self, update: dict) -> None:
        await self.application.process_update(Update.de_json(self.api.push(update), self.application.bot))

    def texts(self) -> list[str]:
        return [c["text"] for c in self.api.of("sendMessage")]


@pytest.fixture
async def operated(kb, tmp_path, monkeypatch):
    api = FakeBotApi()
    store = Store.open(tmp_path / "factbot.sqlite3", "k", flush_seconds=0.01)
    settings = Settings(token=TOKEN, operators=frozenset({OPERATOR}), user_replies_per_minute=50)
    application = build_application(settings, kb, request=RecordingRequest(api), store=store)
    bot = Operated(application, api, kb)

    def load(root):  # a reload builds a new base: a copy of the one loaded, without reading the disk again
        bot.loads.append(root)
        return copy.copy(kb)

    real_stats = store.stats

    def stats(*args):
        bot.stats_calls.append(args)
        return real_stats(*args)

    monkeypatch.setattr(curator, "load", load)
    monkeypatch.setattr(store, "stats", stats)
    await application.initialize()
    yield bot
    await application.shutdown()
    store.close()


OPERATOR_TEXTS = ("tg_paused_on", "tg_paused_off", "tg_reload_ok", "tg_stats_none", "tg_stats_unavailable")


def assert_not_obeyed(bot: Operated, command: str, kb_before, paused_before: bool) -> None:
    assert bot.state.paused is paused_before, "the pause switch moved"
    assert bot.state.kb is kb_before and bot.loads == [], "the knowledge was reloaded"
    assert bot.stats_calls == [], "the statistics were read"
    shown = {kb_before.text(key) for key in OPERATOR_TEXTS}
    stats_head = kb_before.text("tg_stats", questions=0, refused=0, rate="0%", top="-").split(":")[0]
    for text in bot.texts():
        assert text not in shown and not text.startswith(stats_head), f"{command} answered a stranger: {text!r}"


async def refused(bot: Operated, command: str, update: dict) -> list[str]:
    """Feed a stranger's `command`; check it did nothing; return what the bot said."""
    paused_before = command == "/resume"  # /resume can only be seen to work on a paused bot
    bot.state.paused = paused_before
    bot.api.calls.clear()
    kb_before = bot.state.kb
    await bot.feed(update)
    assert_not_obeyed(bot, command, kb_before, paused_before)
    return bot.texts()


@pytest.mark.parametrize("kind", ["private", "group", "supergroup", "forum topic", "channel post"])
async def test_operator_commands_refuse_everyone_else_in_every_chat_type(operated: Operated, kind):
    for command in COMMANDS:
        said = await refused(operated, command, command_update(command, kind, STRANGER))
        if kind == "private":  # a short refusal in private; silence everywhere else
            assert said == [operated.kb.text("tg_operators_only")], command
        else:
            assert said == [], command


@pytest.mark.parametrize("how", ["an anonymous group admin", "a channel posting in a group",
                                 "forwarding an operator's command", "replying to an operator's command",
                                 "a stranger with the operator's name"])
async def test_operator_commands_cannot_be_borrowed_from_an_operator(operated: Operated, how):
    for command in COMMANDS:
        await refused(operated, command, spoofed_update(command, how))


@pytest.mark.parametrize("kind", ["private", "group", "supergroup", "forum topic"])
async def test_operator_commands_work_for_an_operator_in_every_chat_type(operated: Operated, kind):
    chat, extra = chat_of(kind, OPERATOR)
    kb, st = operated.kb, operated.state

    async def say(command: str):
        operated.api.calls.clear()
        await operated.feed(command_update(command, kind, OPERATOR))
        [sent] = operated.api.of("sendMessage")
        assert sent["chat_id"] == chat["id"]
        assert sent.get("message_thread_id") == extra.get("thread_id"), "the reply stays in the topic"
        return sent["text"]

    assert await say("/pause") == kb.text("tg_paused_on") and st.paused is True
    assert await say("/resume") == kb.text("tg_paused_off") and st.paused is False
    assert (await say("/stats")).startswith(kb.text("tg_stats", questions=0, refused=0, rate="0%", top="-") + "\n\n")
    assert operated.stats_calls, "the statistics were read"
    before = st.kb
    reply = await say("/reload")
    assert st.kb is not before and len(operated.loads) == 1
    assert reply == st.kb.text("tg_reload_ok", version=st.kb.version, intents=len(st.kb.intents), changed=0)


def test_operator_ids_must_be_real_user_ids():
    """FACTBOT_OPERATORS takes people: not a chat id (negative), not 0, and not the service
    accounts Telegram puts in `from` for anonymous admins (GroupAnonymousBot), channels posting in
    groups (Channel_Bot) and channel posts forwarded into discussion groups (777000) - any admin
    of any group could use those."""
    from bot.config import SettingsError

    assert Settings.from_env({"FACTBOT_OPERATORS": "1, 22;333"}).operators == frozenset({1, 22, 333})
    for wrong in ("-1001234", "0", "1087968824", "136817688", "777000", "1,1087968824"):
        with pytest.raises(SettingsError, match="FACTBOT_OPERATORS"):
            Settings.from_env({"FACTBOT_OPERATORS": wrong})
