"""bot/store.py on a real SQLite file: recording, hashing, migrations, retention, failures."""

from __future__ import annotations

import logging
import sqlite3
import time
from datetime import UTC, date, datetime

import pytest

from bot.config import Settings
from bot.store import (
    DAY_SECONDS,
    SCHEMA_VERSION,
    QuestionRecord,
    Store,
    StoreError,
    now_iso,
    read_questions,
)


def question(store: Store, text: str = "who controls homs", intent: str | None = "homs_control", *,
             lang: str = "en", confidence: float = 0.9, user: int = 42, at: str | None = None,
             chat_type: str = "private", alternatives: tuple[str, ...] = ()) -> QuestionRecord:
    record = QuestionRecord(store.new_question_id(), at or now_iso(store.clock), chat_type, lang, text, intent,
                            confidence, alternatives, store.user_hash(user))
    assert store.record_question(record)
    return record


@pytest.fixture
def db(tmp_path):
    return tmp_path / "state" / "factbot.sqlite3"


@pytest.fixture
def store(db):
    s = Store.open(db, "test-key", 90, flush_seconds=0.01)
    yield s
    s.close()


def test_database_is_created_on_first_run_in_wal_mode_with_the_current_schema(store, db):
    assert db.is_file()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"questions", "feedback", "follows", "sent"} <= {r[0] for r in con.execute("SELECT name FROM sqlite_master")}


def test_questions_and_feedback_are_recorded_and_read_back(store, db):
    answered = question(store, alternatives=("homs_capture",), chat_type="supergroup")
    question(store, "who controls aleppo", None, lang="ru", confidence=0.7)
    store.record_feedback(answered.id, 7, useful=False)
    store.record_feedback(answered.id, 8, useful=True)
    store.record_feedback(answered.id, 7, useful=True)  # the same person changed their mind
    assert store.flush()
    rows = {r.text: r for r in read_questions(db)}
    homs, aleppo = rows["who controls homs"], rows["who controls aleppo"]
    assert (homs.intent, homs.chat_type, homs.alternatives, homs.useful, homs.not_useful) == \
        ("homs_control", "supergroup", ("homs_capture",), 2, 0)
    assert (aleppo.intent, aleppo.answered, aleppo.lang, aleppo.confidence) == (None, False, "ru", 0.7)


def test_no_user_id_is_stored_in_clear_only_a_keyed_hash(store, db, tmp_path):
    question(store, user=123456789)
    store.record_feedback("x", 123456789, True)
    store.flush()
    dump = "\n".join(sqlite3.connect(db).iterdump())
    assert "123456789" not in dump
    assert store.user_hash(123456789) in dump
    other = Store(tmp_path / "other.sqlite3", b"another key")
    assert other.user_hash(123456789) != store.user_hash(123456789), "the hash depends on the key"


def test_hash_key_is_generated_once_and_kept_next_to_the_database(db):
    first = Store.open(db)
    first.close()
    key_file = db.with_name(db.name + ".key")
    assert key_file.is_file() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    second = Store.open(db)
    second.close()
    assert first.user_hash(1) == second.user_hash(1)


def test_reopening_an_existing_database_keeps_its_records(db):
    s = Store.open(db, "k", flush_seconds=0.01)
    question(s)
    s.close()
    s = Store.open(db, "k")
    s.close()
    assert len(read_questions(db)) == 1


def test_a_newer_schema_is_refused_with_a_clear_error(db):
    db.parent.mkdir(parents=True)
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(StoreError, match="newer than this bot"):
        Store.open(db, "k")


def test_each_question_keeps_the_knowledge_version_that_answered_it(store, db):
    record = QuestionRecord(store.new_question_id(), now_iso(), "private", "en", "who controls homs", "homs_control",
                            0.9, (), store.user_hash(1), knowledge="2024-12-08/40f/17i")
    assert store.record_question(record)
    store.flush()
    assert [r.knowledge for r in read_questions(db)] == ["2024-12-08/40f/17i"]


def test_a_version_1_database_is_migrated_in_place_and_its_questions_kept(db):
    db.parent.mkdir(parents=True)
    at = now_iso(lambda: time.time() - 60)
    con = sqlite3.connect(db)
    con.executescript("CREATE TABLE questions (id TEXT PRIMARY KEY, at TEXT NOT NULL, chat_type TEXT NOT NULL, "
                      "lang TEXT NOT NULL, text TEXT NOT NULL, intent TEXT, confidence REAL NOT NULL, "
                      "alternatives TEXT NOT NULL, answered INTEGER NOT NULL, user_hash TEXT NOT NULL);"
                      "CREATE TABLE feedback (question_id TEXT, user_hash TEXT, useful INTEGER, at TEXT);"
                      f"INSERT INTO questions VALUES ('a', '{at}', 'private', 'ru', 'кто контролирует хомс', "
                      "'homs_control', 0.9, '', 1, 'h');"
                      "PRAGMA user_version = 1;")
    con.close()
    assert [(r.text, r.knowledge) for r in read_questions(db)] == [("кто контролирует хомс", "")], \
        "an old file is readable before the bot migrates it"
    s = Store.open(db, "k", flush_seconds=0.01)
    question(s, "where is assad", "assad_whereabouts")
    s.close()
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert [r.text for r in read_questions(db)] == ["кто контролирует хомс", "where is assad"]


def test_last_days_counts_each_day_oldest_first_with_empty_days_as_zeros(db):
    today = date(2025, 3, 10)
    s = Store.open(db, "k", flush_seconds=0.01, clock=lambda: datetime(2025, 3, 10, 12, tzinfo=UTC).timestamp())
    for at, intent in (("2025-03-10T08:00:00", "homs_control"), ("2025-03-10T09:00:00", None),
                       ("2025-03-08T23:59:59", "homs_control"), ("2025-03-04T00:00:00", None),
                       ("2025-03-03T23:59:59", "homs_control")):  # the last is eight days back: not counted
        question(s, intent=intent, at=at)
    s.flush()
    week = s.last_days(7, today)
    s.close()
    assert [(d.day.day, d.questions, d.refused) for d in week] == [
        (4, 1, 1), (5, 0, 0), (6, 0, 0), (7, 0, 0), (8, 1, 0), (9, 0, 0), (10, 2, 1)]
    assert week[-1].refusal_rate == 0.5


def test_recording_does_not_block_the_caller(store):
    started = time.perf_counter()
    for i in range(2000):
        question(store, f"question {i}")
    assert time.perf_counter() - started < 1.0
    assert store.flush(10)
    assert len(read_questions(store.path)) == 2000


def test_retention_deletes_old_questions_and_feedback(db):
    now = [time.time()]
    s = Store.open(db, "k", retention_days=90, flush_seconds=0.01, clock=lambda: now[0])
    old = question(s, "old", at=now_iso(lambda: now[0] - 91 * DAY_SECONDS))
    question(s, "recent", at=now_iso(lambda: now[0] - 89 * DAY_SECONDS))
    s.flush()
    con = sqlite3.connect(db)
    con.execute("INSERT INTO feedback VALUES (?, 'h', 0, ?)", (old.id, old.at))
    con.commit()
    assert s.purge() == 2
    assert [r.text for r in read_questions(db)] == ["recent"]
    s.close()


def test_retention_is_enforced_at_start_and_daily_by_the_writer(db):
    now = [time.time()]
    s = Store.open(db, "k", retention_days=1, flush_seconds=0.01, clock=lambda: now[0])
    question(s, "today")
    s.flush()
    now[0] += 2 * DAY_SECONDS  # two days later the writer purges again, unprompted
    question(s, "later", at=now_iso(lambda: now[0]))
    s.flush()
    deadline = time.monotonic() + 5
    while [r.text for r in read_questions(db)] != ["later"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [r.text for r in read_questions(db)] == ["later"]
    s.close()


def test_a_locked_database_gives_not_recorded_and_a_warning_never_an_error(db, caplog):
    s = Store.open(db, "k", flush_seconds=0.01, busy_seconds=0.05)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    with caplog.at_level(logging.WARNING, logger="bot.store"):
        question(s, "lost while locked")
        assert s.flush()
    holder.execute("ROLLBACK")
    holder.close()
    assert s.not_recorded == 1
    assert any("not recorded" in r.getMessage() for r in caplog.records)
    question(s, "recorded again")  # the writer recovers once the lock is gone
    s.flush()
    s.close()
    assert [r.text for r in read_questions(db)] == ["recorded again"]


def test_a_read_only_database_gives_not_recorded_and_a_warning(db, caplog):
    s = Store.open(db, "k", flush_seconds=0.01)
    s.close()
    ro = Store(db, b"k", flush_seconds=0.01)
    ro._connect = lambda readonly=False: sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True,
                                                         isolation_level=None, check_same_thread=False)
    ro.start()
    with caplog.at_level(logging.WARNING, logger="bot.store"):
        question(ro, "cannot be written")
        assert ro.flush()
    ro.close()
    assert ro.not_recorded == 1 and "not recorded" in caplog.text
    assert read_questions(db) == []


def test_a_full_queue_drops_the_record_with_a_warning(tmp_path, caplog):
    s = Store(tmp_path / "q.sqlite3", b"k", max_queue=1)  # writer not started: the queue stays full
    question(s, "first")
    with caplog.at_level(logging.WARNING, logger="bot.store"):
        record = QuestionRecord("x", now_iso(), "private", "en", "second", None, 0.0, (), "h")
        assert s.record_question(record) is False
    assert s.not_recorded == 1 and "queue is full" in caplog.text


def test_follows_and_what_was_sent_are_kept(store):
    store.follow(-100, "homs_control", "ru")
    store.follow(-100, "all", "ru")
    store.follow(5, "all", "en")
    assert store.follows(-100) == ["all", "homs_control"]
    assert store.unfollow(-100, "all") == 1
    store.mark_sent(5, {"fact:abc"})
    assert store.already_sent(5, {"fact:abc", "fact:def"}) == {"fact:abc"}
    store.deactivate(5)
    assert [(f.chat_id, f.topic, f.lang) for f in store.followers()] == [(-100, "homs_control", "ru")]


def test_stats_count_todays_questions_refusals_and_top_intents(store):
    question(store)
    question(store)
    question(store, "where is assad", "assad_whereabouts")
    question(store, "aleppo", None)
    question(store, "yesterday", at=now_iso(lambda: time.time() - DAY_SECONDS))
    store.flush()
    stats = store.stats()
    assert (stats.questions, stats.refused) == (4, 1)
    assert stats.refusal_rate == 0.25
    assert stats.top_intents == (("homs_control", 2), ("assad_whereabouts", 1))


def test_read_questions_filters_by_day_and_explains_a_missing_file(store, db, tmp_path):
    question(store, "old", at="2025-01-01T10:00:00")
    question(store, "new", at="2025-02-01T10:00:00")
    store.flush()
    assert [r.text for r in read_questions(db, date(2025, 1, 15))] == ["new"]
    with pytest.raises(StoreError, match="no database"):
        read_questions(tmp_path / "missing.sqlite3")


def test_db_path_setting_defaults_to_the_state_dir(tmp_path):
    assert Settings().db_path() is None
    assert Settings(state_dir=tmp_path).db_path() == tmp_path / "factbot.sqlite3"
    both = Settings.from_env({"FACTBOT_DB": str(tmp_path / "x.db"), "FACTBOT_STATE_DIR": str(tmp_path)})
    assert both.db_path() == tmp_path / "x.db"
    settings = Settings.from_env({"FACTBOT_RETENTION_DAYS": "30", "FACTBOT_FEEDBACK_IN_GROUPS": "yes",
                                  "FACTBOT_HASH_KEY": "s3cret"})
    assert (settings.retention_days, settings.feedback_in_groups, settings.hash_key) == (30, True, "s3cret")
    assert "s3cret" not in repr(settings)
