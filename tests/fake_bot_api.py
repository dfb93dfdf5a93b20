"""A fake Telegram Bot API for tests: records every request, serves queued updates.

Two ways in, one behaviour:
- `FakeBotApi.start()` serves it over HTTP (aiohttp) on 127.0.0.1 at a random port, so the
  real `Application` can long-poll it through `TELEGRAM_API_BASE_URL`;
- `RecordingRequest(api)` plugs it into python-telegram-bot as its HTTP layer, for in-process
  handler tests (`application.process_update`).

Like Telegram, the server forgets updates once they are confirmed: a getUpdates with `offset`
confirms every update below it, and a bot that starts again gets only what was not confirmed.

Faults (`FakeBotApi.faults`, a `Faults`) make a share of the HTTP calls fail, each in one of
four ways: `429` Too Many Requests with `parameters.retry_after`, `502` Bad Gateway, `slow` (no
answer until after the client's timeout) and `drop` (the connection is closed without an
answer). A fault strikes either *before* the call is executed (Telegram did nothing: a retry is
safe) or *after* it (Telegram executed it, only the answer is lost: a retried sendMessage sends
the text twice); `Faults.after` is the share of the second kind; a 429 is always before.
`injected` lists every fault. `freeze_after` stops executing calls at a chosen moment, so that a
test can kill the bot while it is waiting for Telegram.

Nothing here touches the internet. Builders at the bottom make update payloads.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.request import BaseRequest, RequestData

TOKEN = "123456:TEST-token-never-real"
BOT_ID = 999_000
BOT_USERNAME = "factbot_test_bot"
LONG_POLL_CAP = 0.2  # seconds
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "factbot", "username": BOT_USERNAME}


FAULT_KINDS = ("429", "502", "slow", "drop")
POLL_FAULT_KINDS = ("429", "502", "drop")  # a slow getUpdates is an ordinary long poll


@dataclass
class Faults:
    """Which calls fail and how; deterministic, so every run injects the same faults.

    Of each method's calls (of `methods`; None: all), the share `rate` fails, spread evenly (rate
    0.2: its 5th, 10th, 15th ... call; of getUpdates, only those that have updates to hand out
    count); the kinds take turns (a getUpdates is never `slow`: a slow getUpdates is just a long
    poll). Of the 502/slow/drop faults of the methods in `after_methods` (None: all), the share
    `after` strikes after the call was executed, spread evenly too. `slow_seconds` must exceed
    the client's timeout; `retry_after` is what a 429 asks for."""

    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    after: float = 0.0
    methods: frozenset[str] | None = None
    after_methods: frozenset[str] | None = None
    retry_after: float = 1.0
    slow_seconds: float = 1.5


def _every(share: float, n: int) -> bool:
    """Whether the n-th (0-based) of a series is among an evenly spread `share` of it."""
    return math.floor((n + 1) * share + 1e-9) > math.floor(n * share + 1e-9)


@dataclass(frozen=True)
class Fault:
    """One injected fault: the call, how it failed, and whether Telegram had executed it."""

    method: str
    kind: str
    executed: bool
    params: dict[str, Any]


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
    blocked_description: str = "Forbidden: bot was blocked by the user"  # (or deactivated, kicked, ...)
    faults: Faults = field(default_factory=Faults)
    queries_answer_once: bool = False  # like Telegram: a second answerCallbackQuery for one query gets 400
    _answered_queries: set[str] = field(default_factory=set)
    injected: list[Fault] = field(default_factory=list)
    deliveries: Counter = field(default_factory=Counter)  # update_id -> getUpdates answers carrying it
    held: Counter = field(default_factory=Counter)  # method -> calls held unexecuted by freeze_after
    requested: Counter = field(default_factory=Counter)  # method -> HTTP calls received, whatever became of them
    on_call: Callable[[Call], None] | None = None  # told of every executed call but getUpdates (benchmarks time them)
    on_delivered: Callable[[dict], None] | None = None  # told of every update the first time getUpdates hands it out
    _updates: list[dict] = field(default_factory=list)
    _confirmed: int = 0  # updates below this id were confirmed (an offset) and are forgotten
    _seen: Counter = field(default_factory=Counter)  # method -> calls that drew for a fault (the n-th decides)
    _failed: Counter = field(default_factory=Counter)  # method -> faults so far (kind turns)
    _failed_late: Counter = field(default_factory=Counter)  # method -> faults that could strike after
    _freeze_at: int | None = None
    _delivered_frozen: bool = False
    _frozen: asyncio.Event | None = None
    _thawed: asyncio.Event | None = None
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

    def requests(self, method: str) -> int:
        """HTTP calls of `method` received so far: failed, held and long-polling ones included."""
        return self.requested[method]

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

    def replies_to(self, chat_id: int, message_id: int) -> list[Call]:
        """The executed sendMessage calls that reply to one message."""
        return [c for c in self.of("sendMessage")
                if int(c["chat_id"]) == chat_id and (c.get("reply_parameters") or {}).get("message_id") == message_id]

    def reply_counts(self) -> Counter:
        """(chat id, message id) -> executed sendMessage calls replying to that message."""
        counts: Counter = Counter()
        for c in self.of("sendMessage"):
            target = (c.get("reply_parameters") or {}).get("message_id")
            if target is not None:
                counts[(int(c["chat_id"]), target)] += 1
        return counts

    def fault_counts(self) -> Counter:
        """(kind, "before" or "after") -> faults injected."""
        return Counter((f.kind, "after" if f.executed else "before") for f in self.injected)

    def freeze_after(self, sends: int) -> None:
        """Once `sends` sendMessage calls were executed, execute nothing more: every later call is
        held unanswered (counted in `held`); getUpdates too, as soon as one more getUpdates has
        delivered updates (so those stay unconfirmed, as when a bot dies before its next poll).
        `thaw()` lets the held calls fail, unexecuted."""
        self._freeze_at = sends
        self._frozen, self._thawed = asyncio.Event(), asyncio.Event()
        self._delivered_frozen = False
        self._check_freeze()

    @property
    def confirmed(self) -> int:
        """Every update below this id was confirmed by a getUpdates offset: it is never sent again."""
        return self._confirmed

    @property
    def frozen(self) -> bool:
        return self._frozen is not None and self._frozen.is_set()

    async def wait_frozen(self, timeout: float = 10.0) -> None:
        assert self._frozen is not None, "call freeze_after first"
        await asyncio.wait_for(self._frozen.wait(), timeout)

    def thaw(self) -> None:
        """Release every held call: each fails with 502, unexecuted. Nothing is held after this."""
        if self._thawed is not None:
            self._thawed.set()
        self._freeze_at = None

    def _check_freeze(self) -> None:
        if self._freeze_at is not None and len(self.of("sendMessage")) >= self._freeze_at and self._frozen:
            self._frozen.set()

    def _holding(self, method: str) -> bool:
        if not self.frozen or self._thawed.is_set():
            return False
        return method != "getUpdates" or self._delivered_frozen

    async def settle(self, seconds: float = 0.3) -> None:
        """Wait until every queued update was fetched, then a little longer for handlers."""
        await self.wait_for(lambda _: not self._pending(), timeout=5.0)
        await asyncio.sleep(seconds)

    # -- the API ----------------------------------------------------------------------------
    def _pending(self) -> list[dict]:
        return [u for u in self._updates if u["update_id"] >= self._confirmed]

    def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict]:
        if method != "getUpdates":
            self.calls.append(Call(method, params))
            if method == "sendMessage":
                self._check_freeze()
            if self.on_call is not None:
                self.on_call(self.calls[-1])
        if method == "sendMessage" and int(params["chat_id"]) in self.blocked:
            return 403, {"ok": False, "error_code": 403, "description": self.blocked_description}
        if method == "answerCallbackQuery" and self.queries_answer_once:
            if params["callback_query_id"] in self._answered_queries:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: query is too old and "
                             "response timeout expired or query ID is invalid"}
            self._answered_queries.add(params["callback_query_id"])
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
        """Confirm the updates below a positive `offset` (Telegram forgets them), then the next batch."""
        if offset and offset > self._confirmed:
            self._confirmed = offset
        ready = [u for u in self._updates if u["update_id"] >= self._confirmed]
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
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}/bot"
        return self.base_url

    async def stop(self) -> None:
        self.thaw()
        if self._runner:
            await self._runner.cleanup()

    async def _http(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        self.requested[method] += 1
        raw = dict(await request.post()) if request.can_read_body else {}
        if request.content_type == "application/json":
            raw = {k: v if isinstance(v, str) else json.dumps(v) for k, v in (await request.json()).items()}
        params = decode_params({k: str(v) for k, v in raw.items()})
        if self._holding(method):
            self.held[method] += 1
            await self._thawed.wait()
            return web.json_response(_BAD_GATEWAY, status=502)
        if method == "getUpdates":  # hold the request like Telegram does until there are updates
            await self._wait_for_updates(params)
        kind, after = self._draw(method) if method != "getUpdates" or self._waiting(params) else (None, False)
        if kind == "429":
            self.injected.append(Fault(method, kind, False, params))
            return web.json_response({"ok": False, "error_code": 429, "description": "Too Many Requests: retry later",
                                      "parameters": {"retry_after": self.faults.retry_after}}, status=429)
        if kind and not after:  # fail before executing: Telegram never sees the call
            self.injected.append(Fault(method, kind, False, params))
            return await self._fail(request, kind)
        if method == "getUpdates":
            status, body = 200, {"ok": True, "result": self._poll(params)}
        else:
            status, body = self.handle(method, params)
        if kind:  # executed, but the answer is lost
            self.injected.append(Fault(method, kind, True, params))
            return await self._fail(request, kind)
        return web.json_response(body, status=status)

    def _waiting(self, params: dict[str, Any]) -> bool:
        """Whether a getUpdates would find updates at once (without confirming anything)."""
        low = max(self._confirmed, params.get("offset") or 0)
        return any(u["update_id"] >= low for u in self._updates)

    def _draw(self, method: str) -> tuple[str | None, bool]:
        """Whether this call fails, how, and whether after executing it."""
        f = self.faults
        if not f.rate or (f.methods is not None and method not in f.methods):
            return None, False
        n = self._seen[method]
        self._seen[method] += 1
        if not _every(f.rate, n):
            return None, False
        kinds = [k for k in f.kinds if method != "getUpdates" or k in POLL_FAULT_KINDS] or ["502"]
        kind = kinds[self._failed[method] % len(kinds)]
        self._failed[method] += 1
        if kind == "429" or not f.after or (f.after_methods is not None and method not in f.after_methods):
            return kind, False
        late = self._failed_late[method]
        self._failed_late[method] += 1
        return kind, _every(f.after, late)

    async def _fail(self, request: web.Request, kind: str) -> web.StreamResponse:
        if kind == "slow":  # answer only after the client gave up (and has forgotten the call)
            await asyncio.sleep(self.faults.slow_seconds)
        if kind == "drop" and request.transport is not None:
            request.transport.close()  # the client sees the connection closed without an answer
            return web.Response(status=204)
        return web.json_response(_BAD_GATEWAY, status=502)

    async def _wait_for_updates(self, params: dict[str, Any]) -> None:
        """Hold a getUpdates like Telegram does, but briefly (so stopping the bot is quick), until
        updates after its offset are waiting; confirms nothing."""
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), LONG_POLL_CAP)
        while not self._waiting(params) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

    def _poll(self, params: dict[str, Any]) -> list[dict]:
        """Execute a getUpdates: confirm below its offset, hand out the next batch."""
        self.calls.append(Call("getUpdates", params))
        ready = self._updates_after(params.get("offset"), params.get("limit"))
        if self.on_delivered is not None:
            for update in ready:
                if not self.deliveries[update["update_id"]]:
                    self.on_delivered(update)
        self.deliveries.update(u["update_id"] for u in ready)
        if ready and self.frozen:
            self._delivered_frozen = True
        return ready


_BAD_GATEWAY = {"ok": False, "error_code": 502, "description": "Bad Gateway"}


class RecordingRequest(BaseRequest):
    """python-telegram-bot's HTTP layer, answered by a FakeBotApi in-process (no faults; a
    getUpdates with a timeout is held briefly while no update is waiting, as over HTTP)."""

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
            await self.api._wait_for_updates(params)
            return 200, json.dumps({"ok": True, "result": self.api._poll(params)}).encode()
        status, body = self.api.handle(api_method, params)
        return status, json.dumps(body).encode()


# -- update builders ------------------------------------------------------------------------
_ids = itertools.count(100)


async def feed(app, api: FakeBotApi, **update) -> None:
    """Process one update in `app` as if Telegram had delivered it (and `api` had queued it)."""
    await app.process_update(Update.de_json(api.push(update), app.bot))


def buttons(call) -> list[tuple[str, str]]:
    """(text, callback data) of every inline button a sent message carries."""
    markup = call.get("reply_markup") or {"inline_keyboard": []}
    return [(b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row]


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


# -- bursts of questions, and what became of them ---------------------------------------------------
BURST_QUESTIONS = (
    "who controls homs", "where is assad", "what did golani say", "who are the rebels",
    "what is happening in damascus", "what does the us think", "why does homs matter",
    "what happened to the hafez statue", "who controls aleppo", "what did the army say",
    "what happened at the homs prison", "where do your facts come from",
)


@dataclass(frozen=True)
class Asked:
    """One question pushed to the fake server: where it was asked and its update id."""

    chat_id: int
    message_id: int
    update_id: int
    text: str


def burst_chat(index: int) -> tuple[dict, bool]:
    """The index-th chat of a burst: even ones private, odd ones groups; (chat, is_group)."""
    if index % 2 == 0:
        return private_chat(10_000 + index), False
    return group_chat(-100_000_000 - index), True


def push_burst(api: FakeBotApi, count: int, chats: int, first: int = 0) -> list[Asked]:
    """Queue `count` questions spread over `chats` chats (question k in chat k % chats). In a
    group every question comes from another member, as `/ask ...`, so that the per-person limit
    of groups never applies, and no chat gets the same question twice (up to 12 a chat), so that
    none is answered with a pointer to an earlier answer; in a private chat from its one user.
    `first` numbers a later batch."""
    asked = []
    for k in range(first, first + count):
        chat, in_group = burst_chat(k % chats)
        text = BURST_QUESTIONS[(k // chats) % len(BURST_QUESTIONS)]
        sender = user(30_000 + k) if in_group else user(chat["id"])
        update = api.push({"message": message(f"/ask {text}" if in_group else text, chat, sender)})
        asked.append(Asked(chat["id"], update["message"]["message_id"], update["update_id"], text))
    return asked


def tally(api: FakeBotApi, asked: list[Asked]) -> dict[str, Any]:
    """What became of the questions: answered once, lost, answered more than once (and the extra
    messages), and the faults injected by kind and by when ("before" or "after" executing)."""
    counts = api.reply_counts()
    per_question = [counts[(a.chat_id, a.message_id)] for a in asked]
    faults = api.fault_counts()
    return {
        "questions": len(asked),
        "answered_once": sum(1 for n in per_question if n == 1),
        "lost": sum(1 for n in per_question if n == 0),
        "doubled": sum(1 for n in per_question if n > 1),
        "extra_messages": sum(n - 1 for n in per_question if n > 1),
        "faults": {f"{kind}/{when}": n for (kind, when), n in sorted(faults.items())},
        "faults_total": sum(faults.values()),
        "faults_on_sendMessage": sum(1 for f in api.injected if f.method == "sendMessage"),
        "faults_on_getUpdates": sum(1 for f in api.injected if f.method == "getUpdates"),
        "updates_delivered_again": sum(1 for n in api.deliveries.values() if n > 1),
    }


# -- the real bot, polling the fake server in this process ----------------------------------------------
@contextlib.asynccontextmanager
async def polling_bot(api: FakeBotApi, kb, **settings: Any):
    """The application as `python -m bot run` builds it (extra `settings` given), long-polling
    `api` until the block ends; then the faults stop and it shuts down the way run_polling does."""
    from bot.config import Settings
    from bot.tg.app import ALLOWED_UPDATES, build_application

    application = build_application(Settings(token=TOKEN, api_base_url=api.base_url, **settings), kb)
    await application.initialize()
    await application.post_init(application)
    await application.start()
    await application.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES)
    try:
        yield application
    finally:
        api.faults = Faults()  # stop quickly
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        await application.post_shutdown(application)


async def until_idle(api: FakeBotApi, application, timeout: float = 10.0) -> None:
    """Wait until the application has no update queued or being handled (no retry still to come)."""
    processor = application.update_processor
    await api.wait_for(lambda _: application.update_queue.empty() and not processor.current_concurrent_updates,
                       timeout=timeout)
