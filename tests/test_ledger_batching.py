"""The ledger's guarantee with one group commit per getUpdates batch (bot/tg/ledger.py): an
update is committed to the ledger before Telegram can be told it arrived.

- Long polling: `UpdateInbox.put` returns without waiting for the commit; the next getUpdates
  (which confirms the batch) goes out only once the whole batch is committed. Checked at that
  moment by the request object, from the ledger file itself (another connection sees only what
  is committed, i.e. what a kill at that instant would leave), with a ledger slowed down so
  that any getUpdates sent too early would find updates missing.
- Webhook: python-telegram-bot answers Telegram's POST when `put` returns, so there `put`
  waits for its own commit: the update is in the file when the HTTP 200 arrives.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import aiohttp
import pytest
from telegram import Update

from bot.config import LEDGER_FILE, Settings
from bot.tg.app import build_application, webhook_options
from bot.tg.handlers import STATE_KEY
from bot.tg.ledger import Ledger, RecordBeforeConfirming, UpdateInbox, blank_names, read_summary

from .fake_bot_api import TOKEN, FakeBotApi, RecordingRequest, message, private_chat, user

WAVE = 20  # updates per getUpdates batch
WAVES = 3


class SlowLedger(Ledger):
    """A ledger whose every `receive` takes `delay` seconds more, inside the transaction."""

    delay = 0.003

    def receive(self, update_id: int, payload: dict) -> bool:
        time.sleep(self.delay)
        return super().receive(update_id, payload)


def committed_ids(path: Path) -> set[int]:
    """The update ids committed to the ledger file, read as another process would."""
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)) as con:
        return {row[0] for row in con.execute("SELECT update_id FROM updates")}


class CheckingRequest(RecordingRequest):
    """The fake Bot API in-process; at every getUpdates that confirms updates (an offset), notes
    which of the updates it confirms the ledger file does not have."""

    def __init__(self, api: FakeBotApi, ledger_path: Path):
        super().__init__(api)
        self.ledger_path = ledger_path
        self.checks: list[tuple[int, set[int]]] = []  # (offset, confirmed but not committed)

    async def do_request(self, url: str, method: str, request_data=None, **kwargs):
        if url.endswith("/getUpdates"):
            offset = int((request_data.json_parameters if request_data else {}).get("offset") or 0)
            if offset:
                confirmed = {u["update_id"] for u in self.api._updates if u["update_id"] < offset}
                self.checks.append((offset, confirmed - committed_ids(self.ledger_path)))
            if not self.api._updates_after(offset, None):
                await asyncio.sleep(0.01)  # an empty long poll, briefly
        return await super().do_request(url, method, request_data, **kwargs)


def push_wave(api: FakeBotApi, first: int) -> list[dict]:
    return [api.push({"message": message(f"where is assad {n}", private_chat(1000 + n), user(1000 + n))})
            for n in range(first, first + WAVE)]


async def test_a_batch_is_committed_before_the_getupdates_that_confirms_it(tmp_path, kb):
    api = FakeBotApi()
    path = tmp_path / LEDGER_FILE
    request = CheckingRequest(api, path)
    application = build_application(Settings(token=TOKEN), kb, request=request, ledger=SlowLedger.open(path))
    ledger: Ledger = application.bot_data[STATE_KEY].ledger
    await application.initialize()
    await application.start()
    await application.updater.start_polling(poll_interval=0.0, timeout=0)
    pushed: list[dict] = []
    try:
        for wave in range(WAVES):
            pushed += push_wave(api, wave * WAVE)
            last = pushed[-1]["update_id"]
            await api.wait_for(lambda _, last=last: api.confirmed > last, timeout=10)
        await api.wait_for(lambda _: len(api.of("sendMessage")) >= len(pushed), timeout=30)
    finally:
        await application.updater.stop()  # its last getUpdates confirms what it fetched: checked too
        await application.stop()
        await application.shutdown()
    ledger.close()

    offsets = [offset for offset, _ in request.checks]
    for wave in range(1, WAVES + 1):
        assert wave * WAVE + 1 in offsets, f"the getUpdates confirming wave {wave} was checked"
    assert all(not missing for _, missing in request.checks), request.checks
    assert application.update_queue.polling, "polling: puts did not wait each for its own commit"
    assert read_summary(path).handled == len(pushed)


async def test_puts_while_polling_share_commits_and_keep_their_order(tmp_path, kb):
    ledger = SlowLedger.open(tmp_path / LEDGER_FILE)
    application = build_application(Settings(token=TOKEN), kb, ledger=ledger)
    inbox: UpdateInbox = application.update_queue
    updates = [Update.de_json({"update_id": n, "message": message("hello", private_chat(7), user(7))},
                              application.bot) for n in range(1, 51)]

    await inbox.put(updates[0])  # not polling: waits for its own commit
    assert committed_ids(ledger.path) == {1} and inbox.qsize() == 1
    commits = ledger.commits

    inbox.polling = True
    for update in updates[1:]:
        await inbox.put(update)
    stop = object()
    await inbox.put(stop)  # anything else waits for the updates put before it
    await inbox.recorded()
    assert committed_ids(ledger.path) == set(range(1, 51))
    assert ledger.commits - commits < 10, "49 updates put in a row share a few commits"
    queued = [inbox.get_nowait() for _ in range(inbox.qsize())]
    assert [u.update_id for u in queued[:-1]] == list(range(1, 51)) and queued[-1] is stop

    await inbox.put(updates[3])  # Telegram sent it again
    await inbox.recorded()
    assert inbox.empty() and inbox.repeats == 1
    ledger.close()


async def test_the_ledger_keeps_the_update_as_telegram_sent_it_names_blanked(tmp_path, kb):
    ledger = Ledger.open(tmp_path / LEDGER_FILE)
    application = build_application(Settings(token=TOKEN), kb, ledger=ledger)
    inbox: UpdateInbox = application.update_queue
    polls = application.bot._request[0]
    assert isinstance(polls, RecordBeforeConfirming)
    raw = {"update_id": 9, "message": message("where is assad", private_chat(42), user(42, "Rana"))}
    [data] = polls.parse_json_payload(json.dumps({"ok": True, "result": [raw]}).encode())["result"]
    await inbox.put(Update.de_json(data, application.bot))
    await inbox.recorded()
    [stored] = [json.loads(row[0]) for row in ledger._con.execute("SELECT payload FROM updates")]
    assert stored == blank_names(raw) and "Rana" not in json.dumps(stored)
    assert Update.de_json(stored, application.bot).effective_message.text == "where is assad"
    ledger.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.e2e
async def test_a_webhook_update_is_committed_before_its_http_200(tmp_path, kb):
    api = FakeBotApi()
    await api.start()
    port = _free_port()
    settings = Settings(token=TOKEN, api_base_url=api.base_url, webhook_url="https://bot.example.org/hook",
                        webhook_listen="127.0.0.1", webhook_port=port, webhook_secret="s3cret")
    path = tmp_path / LEDGER_FILE
    ledger = SlowLedger.open(path)
    ledger.delay = 0.2
    application = build_application(settings, kb, ledger=ledger)
    await application.initialize()
    await application.start()
    await application.updater.start_webhook(**webhook_options(settings))
    try:
        async with aiohttp.ClientSession() as http:
            for update_id in (31, 32):
                update = {"update_id": update_id, "message": message("who controls homs?")}
                async with http.post(f"http://127.0.0.1:{port}/hook", json=update,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}) as resp:
                    assert resp.status == 200
                    assert update_id in committed_ids(path), "committed before Telegram is told it arrived"
        await api.wait_calls("sendMessage", 2)
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        await api.stop()
    ledger.close()
