"""Short-lived, in-memory, bounded state of the Telegram surface.

Nothing here is written to disk and everything is lost on restart (locales/telegram.yaml's
/privacy text says so; keep the two in step). What is recorded on disk is bot/store.py's. Each
store is capped in size and forgets its oldest entries first, so a busy bot cannot grow without
limit.

- conversations: per chat and user, the last answer and the context for follow-ups
  ("and damascus?"), kept for `Settings.context_seconds`;
- answered: per chat, which (canonical) questions were answered recently and by which bot
  message, for the repeat window of groups;
- replies: which bot message answered which user message, so an edited question edits the
  answer instead of sending a new one;
- rate: how many replies a user got in a group within the last minute.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

from ..config import Settings
from ..matching import Context
from ..model import Reply

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Clock = Callable[[], float]

MAX_ENTRIES = 10_000
EDIT_WINDOW_SECONDS = 48 * 3600  # Telegram lets users edit messages for about two days
RATE_PERIOD_SECONDS = 60.0


class ExpiringMap(Generic[K, V]):
    """A dict whose entries expire `ttl` seconds after they were last written, capped in size."""

    def __init__(self, ttl: float, max_entries: int = MAX_ENTRIES, clock: Clock = time.monotonic):
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        item = self._items.get(key)
        if item is None:
            return None
        expires, value = item
        if self._clock() >= expires:
            del self._items[key]
            return None
        return value

    def put(self, key: K, value: V) -> None:
        if self.ttl <= 0:
            return
        self._items.pop(key, None)
        self._items[key] = (self._clock() + self.ttl, value)
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class Verdict(Enum):
    """What the rate limiter allows for one more reply."""

    REPLY = "reply"
    NOTICE = "notice"  # over the limit: say so once
    SILENCE = "silence"  # over the limit and already told


@dataclass
class _Bucket:
    times: deque[float]
    told: bool = False


class RateLimiter:
    """At most `limit` replies per key (chat, user) within `period` seconds."""

    def __init__(self, limit: int, period: float = RATE_PERIOD_SECONDS, max_entries: int = MAX_ENTRIES,
                 clock: Clock = time.monotonic):
        self.limit = limit
        self.period = period
        self.max_entries = max_entries
        self._clock = clock
        self._buckets: OrderedDict[Hashable, _Bucket] = OrderedDict()

    def check(self, key: Hashable) -> Verdict:
        """Decide and, when the answer is REPLY, count the reply."""
        now = self._clock()
        bucket = self._buckets.pop(key, None) or _Bucket(deque())
        self._buckets[key] = bucket
        while bucket.times and now - bucket.times[0] >= self.period:
            bucket.times.popleft()
        while len(self._buckets) > self.max_entries:
            self._buckets.popitem(last=False)
        if len(bucket.times) < self.limit:
            bucket.times.append(now)
            bucket.told = False
            return Verdict.REPLY
        if bucket.told:
            return Verdict.SILENCE
        bucket.told = True
        return Verdict.NOTICE


@dataclass(frozen=True)
class Turn:
    """The last exchange with one user in one chat."""

    reply: Reply
    context: Context | None


class Memory:
    """Everything the Telegram surface remembers between updates."""

    def __init__(self, settings: Settings, clock: Clock = time.monotonic, max_entries: int = MAX_ENTRIES):
        self.conversations: ExpiringMap[tuple[int, int], Turn] = ExpiringMap(settings.context_seconds, max_entries, clock)
        self.answered: ExpiringMap[tuple[int, str], int] = ExpiringMap(settings.repeat_window_seconds, max_entries, clock)
        self.replies: ExpiringMap[tuple[int, int], int] = ExpiringMap(EDIT_WINDOW_SECONDS, max_entries, clock)
        self.rate = RateLimiter(settings.user_replies_per_minute, RATE_PERIOD_SECONDS, max_entries, clock)

    def context(self, chat_id: int, user_id: int) -> Context | None:
        turn = self.conversations.get((chat_id, user_id))
        return turn.context if turn else None

    def last_reply(self, chat_id: int, user_id: int) -> Reply | None:
        turn = self.conversations.get((chat_id, user_id))
        return turn.reply if turn else None

    def remember_turn(self, chat_id: int, user_id: int, reply: Reply, context: Context | None) -> None:
        """Keep `context` (or the previous one, when this answer sets none) for the next question."""
        self.conversations.put((chat_id, user_id), Turn(reply, context or self.context(chat_id, user_id)))
