"""Network faults between the bot and the Bot API: no question lost, none answered twice.

The real Application long-polls tests/fake_bot_api.py over HTTP on 127.0.0.1 (as in
test_e2e_telegram.py), while the server fails a fifth of the calls: 429 with retry_after, 502,
a response slower than the bot's timeout, or a connection closed without an answer.

- A fault *before* the server executed the call is harmless once retried: every question is
  answered exactly once, and getUpdates faults (the answer with the updates lost) lose nothing.
- A fault *after* the server executed a sendMessage (only the answer was lost) cannot be told
  apart from one before by the bot; it retries (bot/tg/delivery.py), so each such fault sends
  one extra copy, and nothing else does. No question is lost either way.

Fast variants are always on; the full sizes (`pytest -m slow`) send 500 questions over 50 chats.
"""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.answer import answer_intent
from bot.render import to_html
from bot.tg.delivery import ATTEMPTS, RetryingRateLimiter

from .fake_bot_api import (
    Asked,
    FakeBotApi,
    Faults,
    bot_message,
    callback_query,
    polling_bot,
    private_chat,
    push_burst,
    tally,
    until_idle,
)

pytestmark = pytest.mark.e2e

TIMEOUT = 1  # the bot's FACTBOT_API_TIMEOUT_SECONDS here; slow faults last longer
SLOW = 1.3
FAST_BURST = (60, 10)  # questions, chats
FULL_BURST = (500, 50)


async def push_in_waves(api: FakeBotApi, count: int, chats: int, wave: int = 10, pause: float = 0.05,
                        one_poll_each: bool = False) -> list[Asked]:
    """The burst, `wave` questions at a time, so that many getUpdates carry updates (and some
    fail); with `one_poll_each`, a wave only once the one before was handed out."""
    asked: list[Asked] = []
    for first in range(0, count, wave):
        pushed = push_burst(api, min(wave, count - first), chats, first=first)
        asked += pushed
        if one_poll_each:
            ids = {a.update_id for a in pushed}
            await api.wait_for(lambda _, ids=ids: all(i in api.deliveries for i in ids), timeout=30)
        await asyncio.sleep(pause)
    return asked


async def until_answered(api: FakeBotApi, application, asked: list[Asked], timeout: float) -> None:
    """Wait until every question has a reply and the bot has nothing left to do (no retry of a
    send still to come)."""
    keys = {(a.chat_id, a.message_id) for a in asked}
    await api.wait_for(lambda _: keys <= set(api.reply_counts()), timeout=timeout)
    await until_idle(api, application, timeout)
    await asyncio.sleep(0.2)


async def run_burst(api: FakeBotApi, kb, count: int, chats: int, faults: Faults, timeout: float,
                    **waves) -> tuple[dict, list[Asked]]:
    api.faults = faults
    started = time.monotonic()
    async with polling_bot(api, kb, api_timeout_seconds=TIMEOUT) as application:
        asked = await push_in_waves(api, count, chats, **waves)
        await until_answered(api, application, asked, timeout)
    figures = tally(api, asked)
    figures["seconds"] = round(time.monotonic() - started, 1)
    print(f"\n{figures}")
    return figures, asked


def faults_before(retry_after: float) -> Faults:
    """A fifth of all calls fail before executing; half of the getUpdates faults after (the
    updates delivered, the answer lost)."""
    return Faults(rate=0.2, after=0.5, after_methods=frozenset({"getUpdates"}), retry_after=retry_after,
                  slow_seconds=SLOW)


def faults_after(retry_after: float) -> Faults:
    """A fifth of all calls fail; every 502, slow and dropped call after it was executed."""
    return Faults(rate=0.2, after=1.0, retry_after=retry_after, slow_seconds=SLOW)


def assert_exactly_once(api: FakeBotApi, kb, asked: list[Asked], figures: dict) -> None:
    apology = kb.text("tg_error")
    assert figures["lost"] == 0, figures
    assert figures["doubled"] == 0, figures
    for a in asked:
        [reply] = api.replies_to(a.chat_id, a.message_id)
        assert reply["text"] != apology


def assert_every_kind_was_injected(api: FakeBotApi) -> None:
    assert {f.kind for f in api.injected if f.method == "sendMessage"} == {"429", "502", "slow", "drop"}


def assert_one_extra_copy_per_late_fault(api: FakeBotApi, asked: list[Asked], figures: dict) -> None:
    late = [f for f in api.injected if f.method == "sendMessage" and f.executed]
    assert late, "the run must include sends whose answer was lost"
    assert figures["lost"] == 0, figures
    for a in asked:
        late_here = sum(1 for f in late if int(f.params["chat_id"]) == a.chat_id
                        and (f.params.get("reply_parameters") or {}).get("message_id") == a.message_id)
        assert len(api.replies_to(a.chat_id, a.message_id)) == 1 + late_here, a
    assert figures["extra_messages"] == len(late)


# -- faults before execution: exactly once ----------------------------------------------------------
async def test_a_burst_through_faults_is_answered_exactly_once(api, kb):
    figures, asked = await run_burst(api, kb, *FAST_BURST, faults_before(retry_after=0.05), timeout=60)
    assert_every_kind_was_injected(api)
    assert_exactly_once(api, kb, asked, figures)


@pytest.mark.slow
async def test_a_full_burst_through_faults_is_answered_exactly_once(api, kb):
    # one getUpdates per wave of ten, so that a fifth of fifty of them fail
    figures, asked = await run_burst(api, kb, *FULL_BURST, faults_before(retry_after=1), timeout=300,
                                     one_poll_each=True)
    assert_every_kind_was_injected(api)
    assert_exactly_once(api, kb, asked, figures)
    assert figures["updates_delivered_again"] > 0, "some getUpdates answers were lost and fetched again"


async def test_updates_whose_getupdates_answer_was_lost_are_fetched_again_not_lost(api, kb):
    """Every other getUpdates that carries updates fails after the server handed them out (and
    confirmed the ones before): the connection closed, or a 502. The bot asks again with the
    same offset and gets them again. (Faults before a getUpdates are in the burst above.)"""
    faults = Faults(rate=0.5, kinds=("drop", "502"), after=1.0, methods=frozenset({"getUpdates"}))
    figures, asked = await run_burst(api, kb, 8, 4, faults, timeout=30, wave=2, pause=0.0, one_poll_each=True)
    assert_exactly_once(api, kb, asked, figures)
    assert api.fault_counts() == {("drop", "after"): 1, ("502", "after"): 1}
    assert figures["updates_delivered_again"] >= 2, "the lost updates were fetched again"


# -- faults after execution: the policy -----------------------------------------------------------
async def test_a_send_whose_answer_was_lost_is_retried_so_it_may_arrive_twice(api, kb):
    """The policy for a sendMessage that Telegram executed but whose answer never came: retried.
    Nothing is lost; each such fault costs exactly one extra copy, nothing else does."""
    figures, asked = await run_burst(api, kb, 24, 6, faults_after(retry_after=0.05), timeout=60)
    assert_one_extra_copy_per_late_fault(api, asked, figures)


@pytest.mark.slow
async def test_a_full_burst_with_lost_answers_loses_nothing_and_doubles_only_those(api, kb):
    figures, asked = await run_burst(api, kb, *FULL_BURST, faults_after(retry_after=1), timeout=300)
    assert_one_extra_copy_per_late_fault(api, asked, figures)


# -- what is retried, and what is not ---------------------------------------------------------------
class Flaky:
    """A Bot API call that fails with the given errors, in turn, then succeeds."""

    def __init__(self, *errors: Exception):
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return {"ok": True}


async def no_wait(seconds: float) -> None:
    pass


async def send_through(limiter, call, endpoint: str = "sendMessage"):
    await limiter.initialize()
    try:
        return await limiter.process_request(call, (), {}, endpoint, {"chat_id": 42}, None)
    finally:
        await limiter.shutdown()


def network_error(cause: Exception) -> NetworkError:
    try:
        raise NetworkError(f"httpx.{type(cause).__name__}") from cause
    except NetworkError as exc:
        return exc


async def test_network_errors_timeouts_and_gateway_errors_are_retried():
    call = Flaky(TimedOut(), NetworkError("Bad Gateway"), network_error(httpx.RemoteProtocolError("closed")))
    limiter = RetryingRateLimiter(sleep=no_wait)
    assert await send_through(limiter, call) == {"ok": True}
    assert call.calls == 4 and limiter.retried == 3
    assert limiter.maybe_doubled == 1, "a send that may have gone out before is reported"


async def test_a_refused_connection_is_retried_without_doubt():
    call = Flaky(network_error(httpx.ConnectError("refused")))
    limiter = RetryingRateLimiter(sleep=no_wait)
    assert await send_through(limiter, call) == {"ok": True}
    assert limiter.maybe_doubled == 0


@pytest.mark.parametrize("error", [BadRequest("Bad Request: message is too long"),
                                   Forbidden("Forbidden: bot was blocked by the user")])
async def test_errors_that_would_repeat_are_not_retried(error):
    call = Flaky(error)
    with pytest.raises(type(error)):
        await send_through(RetryingRateLimiter(sleep=no_wait), call)
    assert call.calls == 1


async def test_retries_stop_after_the_last_attempt():
    call = Flaky(*[TimedOut()] * ATTEMPTS)
    with pytest.raises(TimedOut):
        await send_through(RetryingRateLimiter(sleep=no_wait), call)
    assert call.calls == ATTEMPTS


async def test_a_429_is_waited_out_and_retried():
    call = Flaky(RetryAfter(0.01), RetryAfter(0.01))
    assert await send_through(RetryingRateLimiter(sleep=no_wait), call) == {"ok": True}
    assert call.calls == 3


async def test_a_button_whose_acknowledgement_was_lost_is_still_answered(kb):
    """answerCallbackQuery executed, its answer lost, the retry refused (400, already answered):
    the topic is sent all the same."""
    server = FakeBotApi(queries_answer_once=True)
    server.faults = Faults(rate=0.5, kinds=("502",), after=1.0, methods=frozenset({"answerCallbackQuery"}))
    await server.start()
    try:
        async with polling_bot(server, kb, api_timeout_seconds=TIMEOUT) as application:
            for n, intent in enumerate(("homs_strategic", "assad_whereabouts")):
                server.push({"callback_query": callback_query(f"a:{intent}", bot_message(private_chat(42), 4000 + n),
                                                              qid=f"cq-{n}")})
            await server.wait_calls("sendMessage", 2)
            await until_idle(server, application)
        assert [f.executed for f in server.injected] == [True]
        assert len(server.of("answerCallbackQuery")) == 3  # one, then one lost and its refused retry
        assert [c["text"] for c in server.of("sendMessage")] == [
            to_html(kb, answer_intent(kb, "homs_strategic")), to_html(kb, answer_intent(kb, "assad_whereabouts"))]
    finally:
        await server.stop()


# -- a chat that refuses the bot -----------------------------------------------------------------------
@pytest.mark.parametrize("description", ["Forbidden: bot was blocked by the user", "Forbidden: user is deactivated",
                                         "Forbidden: bot was kicked from the group chat"])
async def test_a_chat_that_refuses_the_bot_is_counted_as_blocked_not_as_an_error(api, kb, tmp_path, caplog, description):
    """sendMessage answered 403: no factbot_errors_total (the alert docs/deploy.md suggests would
    fire for every user who blocks the bot), no ERROR line or traceback, no attempt to apologise;
    outcome=blocked counted and logged at INFO, and the chat's follow subscriptions end."""
    from bot.config import Settings
    from bot.store import Store
    from bot.tg.app import ALLOWED_UPDATES, build_application
    from bot.tg.handlers import STATE_KEY

    from .fake_bot_api import TOKEN, message, user

    api.blocked.update({7, 8})
    api.blocked_description = description
    store = Store.open(tmp_path / "factbot.sqlite3", "k" * 32)
    store.follow(7, "homs_control", "en")
    store.follow(9, "homs_control", "en")
    application = build_application(Settings(token=TOKEN, api_base_url=api.base_url), kb, store=store)
    caplog.set_level(logging.INFO)
    await application.initialize()
    await application.start()
    await application.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES)
    try:
        for chat in (7, 8, 9):
            api.push({"message": message("who controls homs?", private_chat(chat), user(chat))})
        await api.wait_calls("sendMessage", 3)
        await until_idle(api, application)
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
    metrics = application.bot_data[STATE_KEY].observer.metrics
    assert metrics.errors == 0 and metrics.outcomes["blocked"] == 2 and metrics.outcomes["answered"] == 1
    assert 'factbot_handled_total{outcome="blocked"} 2' in metrics.render(kb, None)
    assert [c["chat_id"] for c in api.of("sendMessage")] == [7, 8, 9], "one attempt each, no apology"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], [r.getMessage() for r in caplog.records]
    blocked_lines = [r for r in caplog.records if "outcome=blocked" in r.getMessage()]
    assert len(blocked_lines) == 2 and all(r.levelno == logging.INFO for r in blocked_lines)
    assert description.partition(": ")[2] in blocked_lines[0].getMessage()
    assert [f.chat_id for f in store.followers()] == [9]
