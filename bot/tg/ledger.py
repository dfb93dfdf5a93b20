"""Which updates arrived and which were handled, kept on disk: a restart loses none and
handles none twice.

Telegram sends an update until the bot confirms it, and the bot confirms it with its next
getUpdates (in webhook mode: with the HTTP 200 to Telegram's POST). python-telegram-bot sends
that next getUpdates as soon as the update is queued, long before it is answered, so a bot
killed in between would lose the update; and an update Telegram sends again (it was never
confirmed) would be answered twice. Hence:

1. `UpdateInbox` is the application's update queue. Its `put` hands each arriving update to the
   ledger and queues it once the ledger has committed it. An update the ledger already has is
   not queued again: Telegram sent it twice, or it was handled (or is waiting, see 3) since an
   earlier start. Telegram is told an update arrived only once it is committed:
   - long polling: python-telegram-bot puts every update of a getUpdates answer, then sends the
     next getUpdates, which confirms them. `RecordBeforeConfirming` is the request object of
     getUpdates: before each one goes out it waits until every update put so far is committed.
     So `put` need not wait, and a whole batch shares a group commit (see below) instead of
     waiting for one commit per update while the event loop sits idle.
   - webhook: python-telegram-bot answers Telegram's POST (HTTP 200) when `put` returns, so
     there `put` waits for its update's commit. `put` waits unless a getUpdates went through
     `RecordBeforeConfirming`: a bot that never polls always waits.
2. `ChatOrderedProcessor` runs the handlers, concurrently for different people and chats, in
   order for one person in one chat, and marks each update handled once its handlers finished:
   answered, ignored, or failed and apologised for (design rule 12: never again).
3. At start, `replay` queues the updates that arrived but were never handled (the bot was
   killed), oldest first. One that was replayed MAX_REPLAYS times and still never finished
   (does it crash the bot?) is given up, with a warning.

The ledger is an SQLite file (`updates.sqlite3` in FACTBOT_STATE_DIR) in WAL mode with every
commit synced to disk; without a state dir it is an in-memory SQLite database: a second delivery
is still recognised, but a restart forgets everything. One worker thread (a `BackgroundWriter`)
does all the writing, so that disk syncs never hold up the event loop, and commits what queued up
meanwhile together (group commit): under load, many updates share one sync. An update is kept
whole only until it is handled, with people's names blanked (nothing needs them); after that only
its id and times, for KEEP_HANDLED_SECONDS (Telegram re-sends an unconfirmed update for at most a day).

What this cannot do: tell whether an answer was sent when the bot is killed after Telegram
executed the sendMessage and before the ledger recorded the update as handled (a few
milliseconds). Such an update is handled again after the restart; see bot/tg/delivery.py for
why "perhaps twice" is chosen over "perhaps never".
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from telegram import Update
from telegram.ext import BaseUpdateProcessor
from telegram.request import BaseRequest

from ..background_writer import BackgroundWriter
from .wrapped_request import WrappedRequest

log = logging.getLogger(__name__)

MAX_REPLAYS = 3  # starts that may retry an update that never finished, before it is given up
MAX_PENDING_SECONDS = 86400.0  # Telegram keeps an update for a day; older ones are not replayed
KEEP_HANDLED_SECONDS = 2 * 86400.0  # ids of handled updates, to recognise a second delivery
PRUNE_EVERY = 1000  # handled updates between two prunings
MAX_CONCURRENT = 32  # updates handled at the same time (different people or chats)
MAX_IN_FLIGHT = 4096  # updates queued in the processor, waiting for their turn included
MAX_GROUP = 500  # calls committed together at most

SCHEMA = """
CREATE TABLE IF NOT EXISTS updates (
    update_id INTEGER PRIMARY KEY,
    received REAL NOT NULL,             -- Unix time it arrived
    handled REAL,                       -- Unix time its handlers finished; NULL: not yet
    replays INTEGER NOT NULL DEFAULT 0, -- starts that queued it again
    payload TEXT                        -- the update as JSON until handled, names blanked; then NULL
);
CREATE INDEX IF NOT EXISTS updates_pending ON updates (handled, update_id);
PRAGMA user_version = 1;
"""

T = TypeVar("T")
# a blocking call queued for the worker: the call, its arguments, the future of its result, that future's loop
Job = tuple[Callable[..., Any], tuple[Any, ...], asyncio.Future[Any], asyncio.AbstractEventLoop]


class LedgerError(Exception):
    """The ledger file cannot be opened; the message says which and why."""


@dataclass(frozen=True)
class LedgerSummary:
    received: int
    handled: int
    pending: int


class Ledger:
    """The update ledger in SQLite. The blocking methods are thread-safe, each one transaction;
    from the event loop, `run` queues them for the worker thread, which commits the calls queued
    together in one transaction."""

    def __init__(self, path: Path | None = None, clock: Callable[[], float] = time.time):
        self.path = path
        self.clock = clock
        self._lock = threading.RLock()
        self._in_tx = False
        self._since_prune = 0
        self.commits = 0  # transactions the worker committed, each one group of calls
        self._worker: BackgroundWriter[Job] = BackgroundWriter("factbot-ledger", self._commit_group, max_batch=MAX_GROUP)
        self._con = sqlite3.connect(str(path) if path else ":memory:", timeout=5.0, isolation_level=None,
                                    check_same_thread=False)
        if path is not None:
            self._con.execute("PRAGMA journal_mode=WAL")
            self._con.execute("PRAGMA synchronous=FULL")  # each commit is on disk before we go on
        self._con.execute("PRAGMA secure_delete=ON")  # a handled update's text is overwritten, not just unlinked
        self._con.executescript(SCHEMA)
        self.prune()

    @classmethod
    def open(cls, path: Path | None, clock: Callable[[], float] = time.time) -> Ledger:
        """The ledger at `path` (created if needed), or in memory for None; LedgerError if impossible."""
        try:
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            return cls(path, clock)
        except (OSError, sqlite3.Error) as exc:
            raise LedgerError(f"update ledger {path}: {exc}") from None

    @property
    def durable(self) -> bool:
        return self.path is not None

    @contextlib.contextmanager
    def _transaction(self):
        """One transaction, or a part of the one the worker has open."""
        with self._lock:
            if self._in_tx:
                yield self._con
                return
            self._con.execute("BEGIN IMMEDIATE")
            self._in_tx = True
            try:
                yield self._con
            except BaseException:
                self._in_tx = False
                self._con.execute("ROLLBACK")
                raise
            self._in_tx = False
            self._con.execute("COMMIT")

    # -- blocking calls ---------------------------------------------------------------------
    def receive(self, update_id: int, payload: dict[str, Any]) -> bool:
        """Record an arriving update; False when it was already recorded (a second delivery)."""
        text = json.dumps(blank_names(payload), ensure_ascii=False, separators=(",", ":"))
        with self._transaction() as con:
            cursor = con.execute("INSERT OR IGNORE INTO updates (update_id, received, payload) VALUES (?, ?, ?)",
                                 (update_id, self.clock(), text))
            return cursor.rowcount == 1

    def handled(self, update_id: int) -> None:
        """Its handlers finished: forget the update itself, keep the id."""
        with self._transaction() as con:
            con.execute("UPDATE updates SET handled = ?, payload = NULL WHERE update_id = ? AND handled IS NULL",
                        (self.clock(), update_id))
            self._since_prune += 1
            if self._since_prune >= PRUNE_EVERY:
                self.prune()

    def take_pending(self) -> list[dict[str, Any]]:
        """The updates that arrived but were never handled, oldest first, counted as replayed once
        more; those replayed MAX_REPLAYS times already, or older than a day, are given up."""
        now = self.clock()
        with self._transaction() as con:
            rows = con.execute("SELECT update_id, received, replays, payload FROM updates "
                               "WHERE handled IS NULL ORDER BY update_id").fetchall()
            out, given_up = [], []
            for update_id, received, replays, payload in rows:
                if replays >= MAX_REPLAYS or now - received > MAX_PENDING_SECONDS or payload is None:
                    given_up.append(update_id)
                else:
                    out.append(json.loads(payload))
            con.execute("UPDATE updates SET replays = replays + 1 WHERE handled IS NULL")
            con.executemany("UPDATE updates SET handled = ?, payload = NULL WHERE update_id = ?",
                            [(now, i) for i in given_up])
        for update_id in given_up:
            log.warning("update %s was never handled (replayed %d times, or older than a day): giving it up",
                        update_id, MAX_REPLAYS)
        return out

    def drop_pending(self) -> int:
        """Give up every update not yet handled (FACTBOT_DROP_PENDING_UPDATES); how many."""
        with self._transaction() as con:
            return con.execute("UPDATE updates SET handled = ?, payload = NULL WHERE handled IS NULL",
                               (self.clock(),)).rowcount

    def prune(self) -> int:
        """Forget handled updates older than KEEP_HANDLED_SECONDS; how many."""
        with self._transaction() as con:
            self._since_prune = 0
            return con.execute("DELETE FROM updates WHERE handled IS NOT NULL AND handled < ?",
                               (self.clock() - KEEP_HANDLED_SECONDS,)).rowcount

    def summary(self) -> LedgerSummary:
        with self._lock:
            received, pending = self._con.execute(
                "SELECT COUNT(*), COUNT(*) - COUNT(handled) FROM updates").fetchone()
        return LedgerSummary(received, received - pending, pending)

    def close(self) -> None:
        """Finish the queued calls, then close the database."""
        self._worker.close()
        with self._lock:
            self._con.close()

    # -- from the event loop ----------------------------------------------------------------
    async def run(self, call: Callable[..., T], *args: Any) -> T:
        """Run one of the blocking calls on the worker thread; its result once committed."""
        return await self.submit(call, *args)

    def submit(self, call: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Queue one of the blocking calls for the worker thread; the future of its result, set
        once committed. Futures are set in the order the calls were queued."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._worker.start()
        if not self._worker.put((call, args, future, loop)):
            future.set_exception(LedgerError("the update ledger is closed"))
        return future

    def _commit_group(self, group: list[Job]) -> None:
        """On the worker thread: run the calls queued together in one transaction, commit, report."""
        outcomes: list[tuple[bool, Any]] = []
        try:
            with self._transaction():
                for call, args, _, _ in group:
                    try:
                        outcomes.append((True, call(*args)))
                    except Exception as exc:  # noqa: BLE001 - reported to its caller
                        outcomes.append((False, exc))
            self.commits += 1
        except Exception as exc:  # noqa: BLE001 - the commit failed: every call in the group did
            outcomes = [(False, exc)] * len(group)
        for (_, _, future, loop), (ok, value) in zip(group, outcomes):
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
                loop.call_soon_threadsafe(_settle, future, ok, value)


def _settle(future: asyncio.Future, ok: bool, value: Any) -> None:
    if future.done():  # its caller was cancelled
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


def read_summary(path: Path) -> LedgerSummary:
    """The counts in a ledger file another process may be writing (tests, operators)."""
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)) as con:
        received, pending = con.execute("SELECT COUNT(*), COUNT(*) - COUNT(handled) FROM updates").fetchone()
    return LedgerSummary(received, received - pending, pending)


def blank_names(payload: Any) -> Any:
    """The update with every person's name and username blanked (ids and language stay: the
    handlers need those, never a name)."""
    if isinstance(payload, list):
        return [blank_names(v) for v in payload]
    if not isinstance(payload, dict):
        return payload
    out = {k: blank_names(v) for k, v in payload.items()}
    person = ("is_bot" in out and not out["is_bot"]) or out.get("type") == "private"
    if person:
        for key in ("last_name", "username"):
            out.pop(key, None)
        if "first_name" in out:
            out["first_name"] = ""
    return out


class UpdateInbox(asyncio.Queue):
    """The application's update queue: an update is recorded in the ledger before it is queued,
    and one the ledger already has is not queued again. Anything else passes straight through,
    after the updates put before it."""

    def __init__(self, ledger: Ledger):
        super().__init__()
        self.ledger = ledger
        self.repeats = 0  # deliveries recognised as repeats
        self.polling = False  # a getUpdates went through RecordBeforeConfirming: `put` need not wait
        self._last: asyncio.Future | None = None  # the latest update handed to the ledger, until committed
        self._arriving: dict[int, dict[str, Any]] = {}  # the updates of the last getUpdates, as Telegram sent them

    async def put(self, item: Any) -> None:
        if not isinstance(item, Update):
            await self.recorded()
            await super().put(item)
            return
        written = self._record(item)
        if not self.polling:  # webhook: Telegram is told it arrived when this returns
            await asyncio.wait((written,))

    async def recorded(self) -> None:
        """Wait until every update put so far is committed to the ledger (and queued, unless it
        was a repeat). Never raises: a failed write was reported when it failed."""
        last = self._last
        if last is not None and not last.done():
            await asyncio.wait((last,))  # the ledger commits in order: the earlier ones are done too

    def arriving(self, updates: list[Any]) -> None:
        """The updates of a getUpdates answer, as Telegram sent them: `put` records these rather
        than re-serialising the Update objects python-telegram-bot makes of them."""
        self._arriving = {u["update_id"]: u for u in updates if isinstance(u, dict) and "update_id" in u}

    def _record(self, update: Update) -> asyncio.Future:
        payload = self._arriving.pop(update.update_id, None)
        if payload is None:
            payload = update.to_dict()
        written = self.ledger.submit(self.ledger.receive, update.update_id, payload)
        written.add_done_callback(functools.partial(self._recorded, update))
        self._last = written
        return written

    def _recorded(self, update: Update, written: asyncio.Future) -> None:
        """The ledger's answer for `update`: queue it, unless it is a repeat."""
        if self._last is written:
            self._last = None
        try:
            new = written.result()
        except Exception as exc:  # noqa: BLE001 - a full disk must not cost an answer
            log.warning("update %s not recorded in the ledger (%s): a restart may lose or repeat it",
                        update.update_id, type(exc).__name__)
            new = True
        if not new:
            self.repeats += 1
            log.info("update %s arrived again and is skipped: it was received before", update.update_id)
            return
        self.put_nowait(update)

    async def replay(self, bot: Any) -> int:
        """Queue the updates that arrived before a restart and were never handled; how many."""
        pending = await self.ledger.run(self.ledger.take_pending)
        for payload in pending:
            await super().put(Update.de_json(payload, bot))
        if pending:
            log.info("handling %d updates that arrived before the restart but were not handled", len(pending))
        return len(pending)


class RecordBeforeConfirming(WrappedRequest):
    """The request object for getUpdates, around the real one (`inner`). A getUpdates confirms to
    Telegram every update the one before returned, so before one goes out, this waits until the
    inbox has committed every update put so far to the ledger; that lets the inbox's `put` return
    at once (one group commit per batch). It also hands the updates of each answer to the inbox
    as Telegram sent them, for the ledger."""

    def __init__(self, inner: BaseRequest, inbox: UpdateInbox):
        super().__init__(inner)
        self.inbox = inbox

    async def do_request(self, url: str, method: str, *args, **kwargs) -> tuple[int, bytes]:
        if url.endswith("/getUpdates"):
            self.inbox.polling = True
            await self.inbox.recorded()
        return await super().do_request(url, method, *args, **kwargs)

    def parse_json_payload(self, payload: bytes) -> dict[str, Any]:  # type: ignore[override]  # PTB calls it on self and documents overriding it
        data = BaseRequest.parse_json_payload(payload)
        result = data.get("result") if isinstance(data, dict) else None
        if isinstance(result, list):
            self.inbox.arriving(result)
        return data


def lane(update: object) -> Hashable:
    """Updates in one lane are handled one after another: one person in one chat (their
    follow-ups need the earlier answer), a channel, or an inline user."""
    if not isinstance(update, Update):
        return None
    chat, user = update.effective_chat, update.effective_user
    return (chat.id if chat else None, user.id if user else None)


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Handles updates concurrently, at most `concurrency` at a time, but those of one lane in the
    order they arrived; then marks each handled in the ledger. A slow or failing answer to one
    person (retries, a flood of messages) does not hold up anyone else."""

    def __init__(self, ledger: Ledger, concurrency: int = MAX_CONCURRENT):
        super().__init__(MAX_IN_FLIGHT)
        self.ledger = ledger
        self._slots = asyncio.Semaphore(concurrency)
        self._lanes: dict[Hashable, asyncio.Lock] = {}
        self._users: Counter = Counter()

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = lane(update)
        lock = self._lanes.setdefault(key, asyncio.Lock())
        self._users[key] += 1
        try:
            async with lock:
                async with self._slots:
                    await coroutine
        except Exception:  # the application logs handler errors itself; this is the framework failing
            await self._handled(update)
            raise
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._lanes[key]
        await self._handled(update)

    async def _handled(self, update: object) -> None:
        if not isinstance(update, Update):
            return
        try:
            await self.ledger.run(self.ledger.handled, update.update_id)
        except (sqlite3.Error, OSError) as exc:
            log.warning("update %s not marked handled in the ledger (%s): a restart may handle it again",
                        update.update_id, type(exc).__name__)
