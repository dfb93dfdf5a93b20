"""The bot's records in one SQLite file: questions asked, feedback on answers, /follow subscriptions.

An adapter, not part of the answering core: nothing in bot/answer.py knows it exists.

- Questions and feedback are *queued* and written in batches by a `BackgroundWriter` thread, so
  recording never blocks or slows an answer; a batch is written when full or `flush_seconds`
  after its first record. The database runs in WAL mode: a crash loses at most the batch being
  written, never the file. A full disk, a read-only file or a database
  locked by someone else makes that batch "not recorded" (a warning in the log), nothing more.
- No Telegram user id or name is stored in clear: a keyed hash (HMAC-SHA256 with
  FACTBOT_HASH_KEY) stands in for the user where per-user counting is needed. /follow needs
  the chat id to send the update to, so the follows table holds chat ids, until /unfollow or
  until the chat blocks the bot.
- Records older than FACTBOT_RETENTION_DAYS are deleted at start and then daily.
- The schema is versioned with PRAGMA user_version; `MIGRATIONS[n]` takes version n to n+1.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from .background_writer import BackgroundWriter

log = logging.getLogger(__name__)

DAY_SECONDS = 86400
KEY_SUFFIX = ".key"

MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1
    """
    CREATE TABLE questions (
        id TEXT PRIMARY KEY,
        at TEXT NOT NULL,               -- UTC, ISO 8601 (sorts as text)
        chat_type TEXT NOT NULL,        -- private, group, supergroup, channel
        lang TEXT NOT NULL,
        text TEXT NOT NULL,             -- normalised question (the matcher's canonical form)
        intent TEXT,                    -- NULL: refused
        confidence REAL NOT NULL,
        alternatives TEXT NOT NULL,     -- intent ids offered as "did you mean", comma-separated
        answered INTEGER NOT NULL,
        user_hash TEXT NOT NULL         -- HMAC-SHA256 of the user id, never the id
    );
    CREATE INDEX questions_at ON questions (at);
    CREATE TABLE feedback (
        question_id TEXT NOT NULL,
        user_hash TEXT NOT NULL,
        useful INTEGER NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (question_id, user_hash)
    );
    CREATE INDEX feedback_at ON feedback (at);
    CREATE TABLE follows (
        chat_id INTEGER NOT NULL,
        topic TEXT NOT NULL,            -- an intent id, or "all"
        lang TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        at TEXT NOT NULL,
        PRIMARY KEY (chat_id, topic)
    );
    CREATE TABLE sent (
        chat_id INTEGER NOT NULL,
        fact_key TEXT NOT NULL,         -- fact id and a digest of its statement
        at TEXT NOT NULL,
        PRIMARY KEY (chat_id, fact_key)
    );
    """,
    # 1 -> 2: which knowledge answered each question, so the report can mark the reloads
    """
    ALTER TABLE questions ADD COLUMN knowledge TEXT NOT NULL DEFAULT '';  -- KnowledgeBase.version; '' before
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(Exception):
    """The database cannot be opened or read; the message says which file and why."""


# -- records --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Question:
    """What is kept of an asked question, written (QuestionRecord) and read back (Asked)."""

    id: str
    at: str
    chat_type: str
    lang: str
    text: str
    intent: str | None
    confidence: float
    alternatives: tuple[str, ...]
    knowledge: str = field(default="", kw_only=True)  # the knowledge version that answered it

    @property
    def answered(self) -> bool:
        return self.intent is not None


@dataclass(frozen=True)
class QuestionRecord(Question):
    user_hash: str


@dataclass(frozen=True)
class FeedbackRecord:
    question_id: str
    user_hash: str
    useful: bool
    at: str


def refusal_rate(questions: int, refused: int) -> float:
    """The share of questions refused (no intent); 0.0 when there were none."""
    return refused / questions if questions else 0.0


@dataclass(frozen=True)
class Stats:
    questions: int
    refused: int
    top_intents: tuple[tuple[str, int], ...]

    @property
    def refusal_rate(self) -> float:
        return refusal_rate(self.questions, self.refused)


@dataclass(frozen=True)
class DayCount:
    """One day's questions and refusals (for /stats' last seven days)."""

    day: date
    questions: int
    refused: int

    @property
    def refusal_rate(self) -> float:
        return refusal_rate(self.questions, self.refused)


@dataclass(frozen=True)
class Follower:
    chat_id: int
    topic: str
    lang: str


def now_iso(clock: Callable[[], float] = time.time) -> str:
    return datetime.fromtimestamp(clock(), UTC).strftime("%Y-%m-%dT%H:%M:%S")


def connect(path: Path, busy_seconds: float = 2.0, readonly: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode; transactions are opened explicitly."""
    if readonly:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=busy_seconds,
                              isolation_level=None, check_same_thread=False)
    else:
        con = sqlite3.connect(str(path), timeout=busy_seconds, isolation_level=None, check_same_thread=False)
    con.row_factory = sqlite3.Row
    return con


def migrate(con: sqlite3.Connection) -> int:
    """Bring the schema to SCHEMA_VERSION in one transaction (a kill leaves the old version or
    the new, never one in between); returns the version it found."""
    found = con.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise StoreError(f"the database has schema version {found}, newer than this bot's {SCHEMA_VERSION}: "
                         "upgrade the bot, or point FACTBOT_DB at another file")
    if found < SCHEMA_VERSION:
        steps = "\n".join(MIGRATIONS[found:])
        con.executescript(f"BEGIN IMMEDIATE;\n{steps}\nPRAGMA user_version = {SCHEMA_VERSION};\nCOMMIT;")
    return found


def key_path(path: Path) -> Path:
    """Where the generated hash key of the database at `path` is kept."""
    return path.with_name(path.name + KEY_SUFFIX)


def file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at `path`, or None when there is none: tells a file deleted
    or replaced since it was opened."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def hash_key(path: Path, configured: str) -> bytes:
    """FACTBOT_HASH_KEY, else the key kept next to the database (created, mode 600, on first use).

    The key file appears whole or not at all: the key is written and synced under a temporary
    name, then linked into place, so a bot killed mid-write never leaves an empty key behind. An
    empty key file (left by an older version killed at that moment) is replaced: an empty key
    would make the user hashes trivially reversible.
    """
    if configured:
        return configured.encode("utf-8")
    key_file = key_path(path)
    try:
        existing = key_file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        existing = None
    if existing:
        return existing.encode("utf-8")
    if existing == "":
        log.warning("the hash key file %s is empty (a start that was cut short?): writing a new key", key_file)
    key = secrets.token_hex(32)
    temporary = key_file.with_name(f"{key_file.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    raced = False
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(key + "\n")
            out.flush()
            os.fsync(out.fileno())
        if existing is None:
            try:
                os.link(temporary, key_file)  # atomic, and never replaces a key another process just made
            except FileExistsError:
                raced = True
            except OSError:  # a file system without hard links
                os.replace(temporary, key_file)
        else:
            os.replace(temporary, key_file)
    finally:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
    if raced:  # another process made the key meanwhile: use that one
        return hash_key(path, configured)
    return key.encode("utf-8")


class Store:
    """The database: a queue and a writer thread for questions and feedback; direct (blocking)
    calls for follows, stats and reading, which the bot makes from a worker thread."""

    def __init__(self, path: Path, key: bytes, retention_days: int = 90, *, batch_size: int = 200,
                 flush_seconds: float = 0.5, max_queue: int = 10_000, busy_seconds: float = 2.0,
                 clock: Callable[[], float] = time.time, key_file: Path | None = None):
        self.path = Path(path)
        self._key = key
        self.key_file = key_file  # where the key is kept (None: FACTBOT_HASH_KEY, or given by the caller)
        self.retention_days = retention_days
        self.busy_seconds = busy_seconds
        self.clock = clock
        self.not_recorded = 0  # events lost to a failed write or a full queue
        self._writer: BackgroundWriter[QuestionRecord | FeedbackRecord] = BackgroundWriter(
            "factbot-store", self._write_batch, max_batch=batch_size, linger=flush_seconds, max_queue=max_queue,
            idle=self._purge_wait)
        self._con: sqlite3.Connection | None = None  # the writer thread's own connection
        self._last_purge = 0.0
        self._identity: tuple[int, int] | None = None
        self._reopening = threading.Lock()
        self._unavailable: str | None = None  # why the file could not be opened again (warned once)
        self._create()  # now: a broken file is reported at start

    @classmethod
    def open(cls, path: Path, configured_key: str = "", retention_days: int = 90, **options) -> Store:
        """Open (creating if needed) the database at `path` and start its writer; StoreError if impossible."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            store = cls(path, hash_key(path, configured_key), retention_days,
                        key_file=None if configured_key else key_path(path), **options)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the database {path}: {exc}") from None
        store.start()
        return store

    def _connect(self, readonly: bool = False) -> sqlite3.Connection:
        self.reopen_if_gone()
        return connect(self.path, self.busy_seconds, readonly)

    def _create(self) -> None:
        with closing(connect(self.path, self.busy_seconds)) as con:
            con.execute("PRAGMA journal_mode=WAL")
            migrate(con)
        self._identity = file_identity(self.path)

    def reopen_if_gone(self) -> bool:
        """The database file deleted or replaced while the bot runs (the state folder wiped, a
        backup put back): open it again as it now is, created and migrated if gone, and put the
        hash key file back if it went with it, with the key in use, so that user hashes stay the
        same across the next restart. A key file that now holds another key is left alone (the
        key in use stays until the restart): warned. Each change is warned once. Returns whether
        it reopened; raises StoreError when the file cannot be opened (the records are
        unavailable until it can)."""
        if self._identity is not None and file_identity(self.path) == self._identity:
            return False
        with self._reopening:
            now = file_identity(self.path)
            if self._identity is not None and now == self._identity:
                return False
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._create()
                self._keep_key()
            except (OSError, sqlite3.Error, StoreError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
                if problem != self._unavailable:
                    log.warning("the records are unavailable: the database %s cannot be opened again (%s)", self.path, problem)
                    self._unavailable = problem
                raise StoreError(f"the records are unavailable: cannot open {self.path}") from None
            self._unavailable = None
            log.warning("the database %s was %s while the bot ran: opened again (records written before are not in it)",
                        self.path, "deleted" if now is None else "replaced")
            return True

    def _keep_key(self) -> None:
        if self.key_file is None:
            return
        try:
            kept = self.key_file.read_bytes().strip()
        except FileNotFoundError:
            kept = b""
        if kept == self._key:
            return
        if kept:
            log.warning("the hash key file %s now holds another key: this run keeps the key it started with; "
                        "from the next start, user hashes will not match the earlier ones", self.key_file)
            return
        temporary = self.key_file.with_name(f"{self.key_file.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(self._key + b"\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.key_file)
        log.warning("the hash key file %s was gone: written again with the key in use", self.key_file)

    # -- hashing and ids ---------------------------------------------------------------------------
    def user_hash(self, user_id: int) -> str:
        """The keyed hash standing in for a Telegram user id (not reversible without the key)."""
        return hmac.new(self._key, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]

    @staticmethod
    def new_question_id() -> str:
        return secrets.token_hex(6)

    # -- queued writes: never block, never raise ---------------------------------------------------
    def record_question(self, record: QuestionRecord) -> bool:
        return self._put(record)

    def record_feedback(self, question_id: str, user_id: int, useful: bool) -> bool:
        return self._put(FeedbackRecord(question_id, self.user_hash(user_id), useful, now_iso(self.clock)))

    def _put(self, record: QuestionRecord | FeedbackRecord) -> bool:
        if self._writer.closed:
            return False
        if not self._writer.put(record):
            self.not_recorded += 1
            log.warning("not recorded: the write queue is full (the database is too slow or stuck)")
            return False
        return True

    def start(self) -> None:
        self._writer.start()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far was written (or failed); True if it was in time."""
        return self._writer.flush(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, then stop the writer."""
        if self._writer.close(timeout) and self._con is not None:
            self._con.close()
            self._con = None

    def _write_batch(self, records: list[QuestionRecord | FeedbackRecord]) -> None:
        """On the writer thread: purge once a day, write `records` in one transaction."""
        try:
            if self.reopen_if_gone() and self._con is not None:  # it wrote to a file no longer there
                self._con.close()
                self._con = None
            if self._con is None:
                self._con = self._connect()
            if self.clock() - self._last_purge >= DAY_SECONDS:
                self._last_purge = self.clock()
                self._purge(self._con)
            if records:
                self._write(self._con, records)
        except (sqlite3.Error, StoreError) as exc:
            self.not_recorded += len(records)
            log.warning("not recorded: %d question/feedback events (%s: %s)", len(records), type(exc).__name__, exc)
            if self._con is not None:
                self._con.close()
                self._con = None
        except Exception:  # the next batch gets a fresh start
            self.not_recorded += len(records)
            log.exception("not recorded: %d events", len(records))

    def _purge_wait(self) -> float:
        return max(0.05, min(60.0, DAY_SECONDS - (self.clock() - self._last_purge)))

    def _write(self, con: sqlite3.Connection, records: list[QuestionRecord | FeedbackRecord]) -> None:
        con.execute("BEGIN IMMEDIATE")
        try:
            for r in records:
                if isinstance(r, QuestionRecord):
                    con.execute("INSERT OR IGNORE INTO questions (id, at, chat_type, lang, text, intent, confidence, "
                                "alternatives, answered, user_hash, knowledge) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                                (r.id, r.at, r.chat_type, r.lang, r.text, r.intent, r.confidence,
                                 ",".join(r.alternatives), int(r.answered), r.user_hash, r.knowledge))
                else:  # a second press by the same person replaces the first
                    con.execute("INSERT OR REPLACE INTO feedback VALUES (?,?,?,?)",
                                (r.question_id, r.user_hash, int(r.useful), r.at))
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise

    # -- retention -----------------------------------------------------------------------------
    def cutoff(self) -> str:
        return now_iso(lambda: self.clock() - self.retention_days * DAY_SECONDS)

    def purge(self) -> int:
        """Delete questions and feedback older than the retention period; returns rows deleted."""
        with closing(self._connect()) as con:
            return self._purge(con)

    def _purge(self, con: sqlite3.Connection) -> int:
        cutoff = self.cutoff()
        con.execute("BEGIN IMMEDIATE")
        deleted = con.execute("DELETE FROM questions WHERE at < ?", (cutoff,)).rowcount
        deleted += con.execute("DELETE FROM feedback WHERE at < ?", (cutoff,)).rowcount
        con.execute("COMMIT")
        if deleted:
            log.info("retention: deleted %d records older than %d days", deleted, self.retention_days)
        return deleted

    # -- direct calls (blocking; the bot runs them in a worker thread) ---------------------------
    def follow(self, chat_id: int, topic: str, lang: str) -> None:
        with closing(self._connect()) as con:
            con.execute("INSERT INTO follows VALUES (?,?,?,1,?) ON CONFLICT (chat_id, topic) "
                        "DO UPDATE SET lang = excluded.lang, active = 1", (chat_id, topic, lang, now_iso(self.clock)))

    def unfollow(self, chat_id: int, topic: str | None = None) -> int:
        """Stop following `topic`, or everything; returns how many follows ended."""
        with closing(self._connect()) as con:
            if topic is None:
                return con.execute("DELETE FROM follows WHERE chat_id = ?", (chat_id,)).rowcount
            return con.execute("DELETE FROM follows WHERE chat_id = ? AND topic = ?", (chat_id, topic)).rowcount

    def follows(self, chat_id: int) -> list[str]:
        with closing(self._connect()) as con:
            rows = con.execute("SELECT topic FROM follows WHERE chat_id = ? AND active = 1 ORDER BY topic", (chat_id,))
            return [r["topic"] for r in rows]

    def followers(self) -> list[Follower]:
        with closing(self._connect()) as con:
            rows = con.execute("SELECT chat_id, topic, lang FROM follows WHERE active = 1 ORDER BY chat_id, topic")
            return [Follower(r["chat_id"], r["topic"], r["lang"]) for r in rows]

    def deactivate(self, chat_id: int) -> None:
        """The chat blocked the bot or is gone: send it nothing more."""
        with closing(self._connect()) as con:
            con.execute("UPDATE follows SET active = 0 WHERE chat_id = ?", (chat_id,))

    def already_sent(self, chat_id: int, keys: Iterable[str]) -> set[str]:
        keys = list(keys)
        if not keys:
            return set()
        with closing(self._connect()) as con:
            marks = ",".join("?" * len(keys))
            rows = con.execute(f"SELECT fact_key FROM sent WHERE chat_id = ? AND fact_key IN ({marks})", (chat_id, *keys))
            return {r["fact_key"] for r in rows}

    def mark_sent(self, chat_id: int, keys: Iterable[str]) -> None:
        with closing(self._connect()) as con:
            at = now_iso(self.clock)
            con.executemany("INSERT OR IGNORE INTO sent VALUES (?,?,?)", [(chat_id, k, at) for k in keys])

    def stats(self, day: date | None = None) -> Stats:
        """Questions on `day` (UTC, default today), how many were refused, the most asked intents."""
        day = day or datetime.fromtimestamp(self.clock(), UTC).date()
        start, end = day.isoformat(), (day + timedelta(days=1)).isoformat()
        with closing(self._connect(readonly=True)) as con:
            total, refused = con.execute(
                "SELECT COUNT(*), COALESCE(SUM(1 - answered), 0) FROM questions WHERE at >= ? AND at < ?",
                (start, end)).fetchone()
            top = con.execute("SELECT intent, COUNT(*) AS n FROM questions WHERE at >= ? AND at < ? AND intent IS NOT NULL "
                              "GROUP BY intent ORDER BY n DESC, intent LIMIT 5", (start, end)).fetchall()
        return Stats(total, refused, tuple((r["intent"], r["n"]) for r in top))

    def last_days(self, days: int = 7, today: date | None = None) -> tuple[DayCount, ...]:
        """Questions and refusals on each of the `days` days up to `today` (UTC), oldest first;
        a day without questions is there with zeros."""
        today = today or datetime.fromtimestamp(self.clock(), UTC).date()
        first = today - timedelta(days=days - 1)
        with closing(self._connect(readonly=True)) as con:
            rows = con.execute(
                "SELECT substr(at, 1, 10) AS day, COUNT(*) AS n, COALESCE(SUM(1 - answered), 0) AS refused "
                "FROM questions WHERE at >= ? AND at < ? GROUP BY day",
                (first.isoformat(), (today + timedelta(days=1)).isoformat())).fetchall()
        found = {r["day"]: (r["n"], r["refused"]) for r in rows}
        return tuple(DayCount(d, *found.get(d.isoformat(), (0, 0)))
                     for d in (first + timedelta(days=i) for i in range(days)))


class closing:
    """`with closing(con)`: commit-free close (connections are in autocommit mode)."""

    def __init__(self, con: sqlite3.Connection):
        self.con = con

    def __enter__(self) -> sqlite3.Connection:
        return self.con

    def __exit__(self, *exc) -> None:
        self.con.close()


# -- reading, for `python -m bot report` and `suggest` -------------------------------------------------
@dataclass(frozen=True)
class Asked(Question):
    """One recorded question with the feedback it got."""

    useful: int
    not_useful: int


def read_questions(path: Path, since: date | None = None) -> list[Asked]:
    """Every recorded question since `since` (inclusive), oldest first; StoreError when the file
    is missing or not a factbot database."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"no database at {path}: pass --db, or set FACTBOT_DB or FACTBOT_STATE_DIR")
    try:
        with closing(connect(path, readonly=True)) as con:
            version = con.execute("PRAGMA user_version").fetchone()[0]
            if version < 1:
                raise StoreError(f"{path} is not a factbot database (schema version {version})")
            rows = con.execute(
                "SELECT q.*, COALESCE(SUM(f.useful), 0) AS useful, COALESCE(SUM(1 - f.useful), 0) AS not_useful "
                "FROM questions q LEFT JOIN feedback f ON f.question_id = q.id "
                "WHERE q.at >= ? GROUP BY q.id ORDER BY q.at, q.id", ((since or date.min).isoformat(),)).fetchall()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read {path}: {exc}") from None
    return [Asked(r["id"], r["at"], r["chat_type"], r["lang"], r["text"], r["intent"], r["confidence"],
                  tuple(a for a in r["alternatives"].split(",") if a), r["useful"], r["not_useful"],
                  knowledge=r["knowledge"] if "knowledge" in r.keys() else "") for r in rows]
