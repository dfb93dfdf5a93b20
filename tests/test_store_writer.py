"""The store's writer thread wakes once per batch, not once per record (bot/store.py): a full
batch is written at once, a part batch after `flush_seconds`, and closing writes what is queued
without waiting for `flush_seconds`."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing

from bot.store import Store, read_questions

from .test_store import question


def test_a_full_batch_is_written_at_once_a_part_batch_after_flush_seconds(tmp_path):
    db = tmp_path / "factbot.sqlite3"
    store = Store.open(db, "k", flush_seconds=30.0, batch_size=10)
    try:
        for n in range(10):
            question(store, f"who controls homs {n}")
        started = time.monotonic()
        assert store.flush(10), "a full batch does not wait for flush_seconds"
        assert time.monotonic() - started < 5
        assert len(read_questions(db)) == 10
    finally:
        store.close()

    store = Store.open(db, "k", flush_seconds=0.2, batch_size=10)
    try:
        question(store, "who controls aleppo")
        time.sleep(0.05)
        assert len(read_questions(db)) == 10, "a part batch waits for more"
        assert store.flush(5)
        assert len(read_questions(db)) == 11
    finally:
        store.close()


def test_closing_writes_what_is_queued_without_waiting_for_flush_seconds(tmp_path):
    db = tmp_path / "factbot.sqlite3"
    store = Store.open(db, "k", flush_seconds=30.0, batch_size=100)
    for n in range(3):
        question(store, f"who controls homs {n}")
    store.record_feedback("q1", 7, True)
    started = time.monotonic()
    store.close()
    assert time.monotonic() - started < 5
    assert len(read_questions(db)) == 3
    with closing(sqlite3.connect(db)) as con:
        assert con.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 1
