"""The Telegram surface's short-lived memory: expiry, size bounds, flood control."""

from __future__ import annotations

from bot.answer import answer, context_of
from bot.config import Settings
from bot.tg.memory import ExpiringMap, Memory, RateLimiter, Verdict


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_after_their_ttl():
    clock = Clock()
    store = ExpiringMap(10, clock=clock)
    store.put("k", 1)
    clock.now += 9.9
    assert store.get("k") == 1
    clock.now += 0.2
    assert store.get("k") is None


def test_store_forgets_the_oldest_entries_beyond_its_size():
    store = ExpiringMap(60, max_entries=3)
    for n in range(5):
        store.put(n, n)
    assert len(store) == 3
    assert store.get(0) is None and store.get(1) is None and store.get(4) == 4


def test_zero_ttl_stores_nothing():
    store = ExpiringMap(0)
    store.put("k", 1)
    assert store.get("k") is None


def test_rate_limiter_allows_the_limit_then_one_notice_then_silence():
    clock = Clock()
    rate = RateLimiter(2, 60, clock=clock)
    assert [rate.check("u") for _ in range(5)] == [Verdict.REPLY, Verdict.REPLY, Verdict.NOTICE, Verdict.SILENCE, Verdict.SILENCE]
    assert rate.check("someone else") is Verdict.REPLY
    clock.now += 60
    assert rate.check("u") is Verdict.REPLY


def test_rate_limiter_is_bounded():
    rate = RateLimiter(1, 60, max_entries=10)
    for n in range(100):
        rate.check(n)
    assert len(rate._buckets) == 10


def test_conversation_context_expires_with_context_seconds(kb):
    clock = Clock()
    memory = Memory(Settings(context_seconds=600), clock=clock)
    reply = answer(kb, "who controls homs")
    memory.remember_turn(1, 2, reply, context_of(reply))
    assert memory.context(1, 2) == context_of(reply)
    assert memory.last_reply(1, 2) is reply
    assert memory.context(1, 3) is None
    clock.now += 601
    assert memory.context(1, 2) is None and memory.last_reply(1, 2) is None


def test_an_answer_without_context_keeps_the_previous_one(kb):
    memory = Memory(Settings())
    first = answer(kb, "who controls homs")
    memory.remember_turn(1, 2, first, context_of(first))
    memory.remember_turn(1, 2, answer(kb, "what are your sources"), None)
    assert memory.context(1, 2) == context_of(first)
