"""The question database survives the bot being killed (SIGKILL: no cleanup, no flush).

A subprocess writes through `bot.store.Store` as fast as it can: questions and feedback through
the queue and its writer thread, follows and sent-marks directly from the main thread, so two
connections write at once. It is killed at a random moment: mostly while writing, sometimes
while it is still starting (creating the database, its schema and its hash key). After every
kill the file must pass `PRAGMA integrity_check`, keep every row that was there before, open
again with the same hash key, and take new writes.
"""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.store import SCHEMA_VERSION, QuestionRecord, Store, now_iso, read_questions

from .conftest import ROOT

WRITER = r"""
import sys
from pathlib import Path
from bot.store import QuestionRecord, Store, now_iso

store = Store.open(Path(sys.argv[1]), "", 90, flush_seconds=0.0, batch_size=64)
print("writing", flush=True)
n = 0
while True:
    for _ in range(64):
        n += 1
        record = QuestionRecord(store.new_question_id(), now_iso(), "private", "en", f"who controls homs {n}",
                                "homs_control" if n % 3 else None, 0.9, ("homs_capture",), store.user_hash(n))
        store.record_question(record)
        store.record_feedback(record.id, n, n % 2 == 0)
    store.follow(n, "all", "en")  # direct writes on a second connection, while the writer thread writes
    store.mark_sent(n, [f"fact-{n}"])
    if n % 640 == 0:
        store.unfollow(n - 320)
        store.deactivate(n - 64)
    store.flush(5)
"""
KEY = re.compile(r"[0-9a-f]{64}\n")


def rows(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT COUNT(*) FROM questions").fetchone()[0]
    finally:
        con.close()


def integrity(db: Path) -> tuple[str, int]:
    """(integrity_check result, schema version) of the file as a fresh connection finds it."""
    con = sqlite3.connect(db)
    try:
        result = "; ".join(r[0] for r in con.execute("PRAGMA integrity_check"))
        return result, con.execute("PRAGMA user_version").fetchone()[0]
    finally:
        con.close()


def kill_while_writing(db: Path, rng: random.Random, early: bool) -> dict:
    """Start the writer; SIGKILL it at a random moment: `early`, any time from its start (it may
    still be opening the database), else while it writes. Returns what happened."""
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        if early:
            delay = rng.uniform(0.0, 0.35)
            time.sleep(delay)
            phase = "starting or writing"
        else:
            assert writer.stdout.readline() == "writing\n", writer.stderr.read()
            delay = rng.uniform(0.05, 0.4)
            time.sleep(delay)
            phase = "writing"
        wal = db.with_name(db.name + "-wal")
        wal_size = wal.stat().st_size if wal.exists() else 0
        writer.send_signal(signal.SIGKILL)
        writer.wait(10)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    err = writer.stderr.read()
    writer.stdout.close()
    writer.stderr.close()
    assert writer.returncode == -signal.SIGKILL, f"the writer ended by itself ({writer.returncode}): {err[-2000:]}"
    assert "Traceback" not in err and "not recorded" not in err, err[-2000:]
    return {"phase": phase, "delay": delay, "wal": wal_size}


def survive_kills(tmp_path: Path, kills: int, seed: int) -> list[dict]:
    db = tmp_path / "state" / "factbot.sqlite3"
    db.parent.mkdir()
    key_file = db.with_name(db.name + ".key")
    rng = random.Random(seed)
    key, before, log = None, 0, []
    for n in range(1, kills + 1):
        early = n % 4 == 1  # one kill in four (the first among them) may catch it creating the database
        what = kill_while_writing(db, rng, early)
        what["round"] = n
        if db.exists():
            result, version = integrity(db)
            what["integrity"] = result
            assert result == "ok", f"kill {n} (seed {seed}): integrity_check says {result}"
            assert version in (0, SCHEMA_VERSION), f"kill {n} (seed {seed}): schema version {version}"
        else:
            what["integrity"] = "no file yet"
        if key_file.exists():  # the key file is whole, or not there; once there it never changes
            text = key_file.read_text()
            assert KEY.fullmatch(text), f"kill {n} (seed {seed}): key file holds {text!r}"
            assert key in (None, text), f"kill {n} (seed {seed}): the hash key changed"
            key = text

        store = Store.open(db, "", 90, flush_seconds=0.0)  # opens again, with the kept key
        try:
            if db.exists() and what["integrity"] == "ok":
                assert rows(db) >= before, f"kill {n} (seed {seed}): rows were lost"
            marker = QuestionRecord(store.new_question_id(), now_iso(), "private", "en", f"after kill {n}",
                                    "homs_control", 1.0, (), store.user_hash(42))
            assert store.record_question(marker)
            assert store.flush(10)
            store.follow(-n, "all", "en")
            if key is not None:
                assert store.user_hash(42) == Store(db, key.strip().encode()).user_hash(42)
        finally:
            store.close()
        assert store.not_recorded == 0
        assert marker.id in {q.id for q in read_questions(db)}, f"kill {n} (seed {seed}): the new write is missing"
        assert integrity(db) == ("ok", SCHEMA_VERSION)
        key = key or key_file.read_text()
        after = rows(db)
        what["rows"] = after
        what["written"] = after - before - 1  # by the writer since the last kill
        before = after
        log.append(what)
    leftovers = sorted(p.name for p in db.parent.iterdir() if p.name.endswith(".tmp"))
    print(f"\nseed {seed}: {kills} kills")
    for w in log:
        print(f"  kill {w['round']:2d} {w['phase']:19s} after {w['delay']:.3f} s: wal {w['wal']:>8d} B, "
              f"integrity {w['integrity']}, {w['written']:>6d} rows written, {w['rows']:>7d} in all")
    if leftovers:
        print(f"  left-over temporary key files: {leftovers}")
    return log


def test_database_survives_three_kills_during_heavy_writes(tmp_path):
    log = survive_kills(tmp_path, 3, seed=time.time_ns() % 1_000_000)
    assert sum(w["written"] for w in log) > 0, "the writer wrote nothing before it was killed"


@pytest.mark.slow
def test_database_survives_twenty_kills_during_heavy_writes(tmp_path):
    log = survive_kills(tmp_path, 20, seed=time.time_ns() % 1_000_000)
    assert sum(1 for w in log if w["phase"] == "writing" and w["written"] > 0) >= 10  # of 15


def test_an_empty_hash_key_file_left_by_a_crash_is_replaced_not_used(tmp_path):
    """A bot killed between creating the key file and writing the key (before the key was written
    whole, then linked into place) left it empty; an empty HMAC key makes user hashes reversible
    by anyone who tries the user ids."""
    db = tmp_path / "factbot.sqlite3"
    key_file = db.with_name(db.name + ".key")
    key_file.write_text("")
    store = Store.open(db)
    store.close()
    assert KEY.fullmatch(key_file.read_text())
    assert store.user_hash(42) != Store(tmp_path / "other.sqlite3", b"").user_hash(42)
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_two_bots_creating_the_hash_key_at_once_agree_on_one(tmp_path, monkeypatch):
    """The other process links its key into place first: ours is dropped and theirs is used."""
    import bot.store as store_module

    db = tmp_path / "factbot.sqlite3"
    theirs = "ab" * 32
    real_link = os.link

    def link_after_them(source, target):
        Path(target).write_text(theirs + "\n")
        real_link(source, target)  # raises FileExistsError, as it would

    monkeypatch.setattr(store_module.os, "link", link_after_them)
    assert store_module.hash_key(db, "") == theirs.encode()
    assert [p.name for p in tmp_path.iterdir()] == ["factbot.sqlite3.key"]
