"""A fake Telegram Bot API for tests: records every request, serves queued updates.

Two ways in, one behaviour:
- `FakeBotApi.start()` serves it over HTTP (aiohttp) on 127.0.0.1 at a random port, so the
  real `Application` can long-poll it through `TELEGRAM_API_BASE_URL`;
- `RecordingRequest(api)` plugs it into python-telegram-bot as its HTTP layer, for in-process
  handler tests (`application.process_update`).

Nothing here touches the internet. Builders at the bottom make update payloads.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import web
from telegram.request import BaseRequest, RequestData

TOKEN = "123456:TEST-token-never-real"
BOT_ID = 999_000
BOT_USERNAME = "factbot_test_bot"
LONG_POLL_CAP = 0.2  # seconds
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "factbot", "username": BOT_USERNAME}


@dataclass
class Call:
    method: str
    params: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.params[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)


def decode_params(raw: dict[str, str]) -> dict[str, Any]:
    """Form values as python-telegram-bot sends them: strings raw, everything else as JSON."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("text", "query", "description"):
            out[key] = value
            continue
        try:
            out[key] = json.loads(value)
        except (TypeError, ValueError):
            out[key] = value
    return out


@dataclass
class FakeBotApi:
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    chats: dict[int, dict] = field(default_factory=dict)
    admins: set[tuple[int, int]] = field(default_factory=set)  # (chat id, user id) pairs getChatMember calls admins
    blocked: set[int] = field(default_factory=set)  # chats that blocked the bot: sendMessage gets 403
    _updates: list[dict] = field(default_factory=list)
    _update_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count = field(default_factory=lambda: itertools.count(5000))
    _runner: web.AppRunner | None = None
    base_url: str = ""

    # -- what tests use -------------------------------------------------------------------
    def push(self, update: dict) -> dict:
        """Queue an update for getUpdates; returns it with its update_id."""
        update = {"update_id": next(self._update_ids), **update}
        for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
            if key in update:
                self.chats[update[key]["chat"]["id"]] = update[key]["chat"]
        self._updates.append(update)
        return update

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def sent(self) -> list[Call]:
        """Messages the bot sent or edited, in order."""
        return [c for c in self.calls if c.method in ("sendMessage", "editMessageText")]

    async def wait_for(self, predicate: Callable[[list[Call]], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self.calls):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; requests so far: {[c.method for c in self.calls]}")
            await asyncio.sleep(0.01)

    async def wait_calls(self, method: str, count: int, timeout: float = 5.0) -> list[Call]:
        await self.wait_for(lambda calls: len([c for c in calls if c.method == method]) >= count, timeout)
        return self.of(method)

    async def settle(self, seconds: float = 0.3) -> None:
        """Wait until every queued update was fetched, then a little longer for handlers."""
        await self.wait_for(lambda _: not self._pending(), timeout=5.0)
        await asyncio.sleep(seconds)

    # -- the API ----------------------------------------------------------------------------
    def _pending(self) -> list[dict]:
        confirmed = max((c.get("offset") or 0 for c in self.of("getUpdates")), default=0)
        return [u for u in self._updates if u["update_id"] >= confirmed]

    def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict]:
        if method != "getUpdates":
            self.calls.append(Call(method, params))
        if method == "sendMessage" and int(params["chat_id"]) in self.blocked:
            return 403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
        result = self._result(method, params)
        if result is NotImplemented:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
        return 200, {"ok": True, "result": result}

    def _result(self, method: str, p: dict[str, Any]) -> Any:
        if method == "getMe":
            return {**BOT_USER, "can_join_groups": True, "can_read_all_group_messages": False,
                    "supports_inline_queries": True}
        if method in ("deleteWebhook", "setMyCommands", "answerCallbackQuery", "answerInlineQuery",
                      "setWebhook", "close", "logOut"):
            return True
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        if method == "sendMessage":
            return self._message(p, next(self._message_ids))
        if method == "getChatMember":
            uid = int(p["user_id"])
            member = {"id": uid, "is_bot": False, "first_name": "Member"}
            if (int(p["chat_id"]), uid) in self.admins:
                return {"status": "creator", "user": member, "is_anonymous": False}
            return {"status": "member", "user": member}
        if method == "editMessageText":
            return self._message(p, p["message_id"], edit_date=int(time.time()))
        return NotImplemented

    def _updates_after(self, offset: int | None, limit: int | None) -> list[dict]:
        ready = [u for u in self._updates if offset is None or u["update_id"] >= offset]
        return ready[: limit or 100]

    def _message(self, p: dict[str, Any], message_id: int, **extra: Any) -> dict:
        chat_id = p["chat_id"]
        chat = self.chats.get(chat_id) or {"id": chat_id, "type": "private" if int(chat_id) > 0 else "group"}
        message = {"message_id": message_id, "date": int(time.time()), "chat": chat, "text": p["text"], **extra}
        if chat["type"] != "channel":
            message["from"] = BOT_USER
        else:
            message["sender_chat"] = chat
        if p.get("message_thread_id"):
            message["message_thread_id"] = p["message_thread_id"]
            message["is_topic_message"] = True
        if p.get("reply_markup"):
            message["reply_markup"] = p["reply_markup"]
        return message

    # -- HTTP --------------------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._http)
        app.router.add_get("/bot{token}/{method}", self._http)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}/bot"
        return self.base_url

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _http(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        raw = dict(await request.post()) if request.can_read_body else {}
        if request.content_type == "application/json":
            raw = {k: v if isinstance(v, str) else json.dumps(v) for k, v in (await request.json()).items()}
        params = decode_params({k: str(v) for k, v in raw.items()})
        if method == "getUpdates":
            return web.json_response({"ok": True, "result": await self._long_poll(params)})
        status, body = self.handle(method, params)
        return web.json_response(body, status=status)

    async def _long_poll(self, params: dict[str, Any]) -> list[dict]:
        self.calls.append(Call("getUpdates", params))
        # Hold the request like Telegram does, but briefly, so stopping the bot is quick.
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), LONG_POLL_CAP)
        while True:
            ready = self._updates_after(params.get("offset"), params.get("limit"))
            if ready or time.monotonic() >= deadline:
                return ready
            await asyncio.sleep(0.01)


class RecordingRequest(BaseRequest):
    """python-telegram-bot's HTTP layer, answered by a FakeBotApi in-process."""

    def __init__(self, api: FakeBotApi):
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=None, write_timeout=None, connect_timeout=None, pool_timeout=None) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params = decode_params(request_data.json_parameters if request_data else {})
        if api_method == "getUpdates":
            self.api.calls.append(Call("getUpdates", params))
            return 200, json.dumps({"ok": True, "result": self.api._updates_after(params.get("offset"), None)}).encode()
        status, body = self.api.handle(api_method, params)
        return status, json.dumps(body).encode()


# -- update builders ------------------------------------------------------------------------
_ids = itertools.count(100)


def user(uid: int = 42, name: str = "Rana", lang: str = "en") -> dict:
    return {"id": uid, "is_bot": False, "first_name": name, "language_code": lang}


def private_chat(uid: int = 42) -> dict:
    return {"id": uid, "type": "private", "first_name": "Rana"}


def group_chat(cid: int = -100_111, forum: bool = False) -> dict:
    chat = {"id": cid, "type": "supergroup", "title": "Syria watchers"}
    if forum:
        chat["is_forum"] = True
    return chat


def channel_chat(cid: int = -100_222) -> dict:
    return {"id": cid, "type": "channel", "title": "News channel", "username": "newschannel"}


def entities_for(text: str) -> list[dict]:
    """The entities Telegram would mark: a leading /command and @mentions (UTF-16 offsets)."""
    import re

    out = []
    for m in re.finditer(r"(?:^/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?)|(?<![\w@])@[A-Za-z0-9_]{5,}", text):
        offset = len(text[: m.start()].encode("utf-16-le")) // 2
        length = len(m.group(0).encode("utf-16-le")) // 2
        out.append({"type": "bot_command" if m.group(0).startswith("/") else "mention", "offset": offset, "length": length})
    return out


def message(text: str | None, chat: dict | None = None, sender: dict | None = None, *, message_id: int | None = None,
            reply_to: dict | None = None, thread_id: int | None = None, **extra: Any) -> dict:
    chat = chat or private_chat()
    msg: dict[str, Any] = {"message_id": message_id or next(_ids), "date": int(time.time()), "chat": chat, **extra}
    if chat["type"] == "channel":
        msg["sender_chat"] = chat
    else:
        msg["from"] = sender or user()
    if text is not None:
        msg["text"] = text
        ents = entities_for(text)
        if ents:
            msg["entities"] = ents
    if reply_to is not None:
        msg["reply_to_message"] = reply_to
    if thread_id is not None:
        msg["message_thread_id"] = thread_id
        msg["is_topic_message"] = True
    return msg


def bot_message(chat: dict, message_id: int, text: str = "an earlier answer", thread_id: int | None = None) -> dict:
    msg = {"message_id": message_id, "date": int(time.time()), "chat": chat, "from": BOT_USER, "text": text}
    if thread_id is not None:
        msg["message_thread_id"] = thread_id
        msg["is_topic_message"] = True
    return msg


def callback_query(data: str, on: dict, sender: dict | None = None, qid: str = "cq-1") -> dict:
    return {"id": qid, "from": sender or user(), "chat_instance": "ci-1", "data": data, "message": on}


def inline_query(query: str, sender: dict | None = None, qid: str = "iq-1") -> dict:
    return {"id": qid, "from": sender or user(), "query": query, "offset": ""}
