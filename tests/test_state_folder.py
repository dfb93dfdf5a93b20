"""The state folder wiped or replaced while the bot runs: the question database is opened again,
the hash key stays the same (user hashes keep matching across restarts), each change is warned
once, and /stats says the records are unavailable when they are, never that there is no database."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from bot.config import Settings
from bot.store import QuestionRecord, Store, key_path, now_iso, read_questions
from bot.tg.app import build_application

from .fake_bot_api import TOKEN, FakeBotApi, RecordingRequest, feed, message, private_chat, user

OPERATOR = 1


def record(store: Store, text: str, uid: int = 7) -> None:
    store.record_question(QuestionRecord(store.new_question_id(), now_iso(), "private", "en", text, "homs_control",
                                         0.9, (), store.user_hash(uid)))
    assert store.flush()


def warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_deleted_state_folder_is_made_again_with_the_same_hash_key(tmp_path, caplog):
    state = tmp_path / "state"
    store = Store.open(state / "factbot.sqlite3", flush_seconds=0.01)
    try:
        before = store.user_hash(7)
        key = key_path(store.path).read_bytes()
        record(store, "who controls homs")
        shutil.rmtree(state)
        caplog.set_level(logging.WARNING)
        record(store, "where is assad")
        record(store, "who controls damascus")
        assert store.stats().questions == 2, "recorded into the database made again, not into the deleted file"
    finally:
        store.close()
    assert key_path(store.path).read_bytes() == key, "the key file was put back with the key in use"
    [rows] = [read_questions(store.path)]
    assert sorted(r.text for r in rows) == ["where is assad", "who controls damascus"]
    reopened = [w for w in warnings(caplog) if "was deleted while the bot ran" in w]
    assert len(reopened) == 1, warnings(caplog)
    restarted = Store.open(state / "factbot.sqlite3")
    try:
        assert restarted.user_hash(7) == before, "user hashes match across the restart"
    finally:
        restarted.close()


def test_a_key_file_replaced_while_running_is_not_taken_up_silently(tmp_path, caplog):
    store = Store.open(tmp_path / "factbot.sqlite3", flush_seconds=0.01)
    try:
        before = store.user_hash(7)
        store.path.unlink()
        key_path(store.path).write_text("another-key\n", encoding="utf-8")
        caplog.set_level(logging.WARNING)
        record(store, "who controls homs")
        assert store.user_hash(7) == before
        assert any("now holds another key" in w for w in warnings(caplog)), warnings(caplog)
        assert key_path(store.path).read_text(encoding="utf-8") == "another-key\n", "left alone"
    finally:
        store.close()


@pytest.fixture
async def operated(kb, tmp_path):
    api = FakeBotApi()
    store = Store.open(tmp_path / "state" / "factbot.sqlite3", flush_seconds=0.01)
    settings = Settings(token=TOKEN, operators=frozenset({OPERATOR}), state_dir=tmp_path / "state")
    application = build_application(settings, kb, request=RecordingRequest(api), store=store)
    await application.initialize()
    yield application, api, store
    await application.shutdown()


async def stats_reply(application, api: FakeBotApi) -> str:
    await feed(application, api, message=message("/stats", private_chat(OPERATOR), user(OPERATOR)))
    return api.of("sendMessage")[-1]["text"]


async def test_stats_say_the_records_are_unavailable_not_that_there_is_no_database(operated, kb, tmp_path, caplog):
    """After the state folder was replaced by something the database cannot be made in, /stats
    said "there is no database (set FACTBOT_STATE_DIR...)", which is wrong: it is set."""
    application, api, store = operated
    state: Path = tmp_path / "state"
    shutil.rmtree(state)
    state.write_text("not a folder")  # the database cannot be made again
    caplog.set_level(logging.WARNING)
    for _ in range(2):
        assert await stats_reply(application, api) == kb.text("tg_stats_unavailable")
    assert kb.text("tg_stats_none") not in [c["text"] for c in api.of("sendMessage")]
    assert len([w for w in warnings(caplog) if "the records are unavailable" in w]) == 1, "warned once"
    state.unlink()
    assert (await stats_reply(application, api)).startswith(kb.text("tg_stats", questions=0, refused=0, rate="0%", top="-"))
