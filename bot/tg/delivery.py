"""How calls to the Bot API are retried: every call but getUpdates goes through
`RetryingRateLimiter` (python-telegram-bot's rate limiter hook).

- Telegram's flood limits are kept by python-telegram-bot's `AIORateLimiter` (30 messages a
  second overall, 20 a minute per group). A 429 Too Many Requests pauses *every* call for the
  `retry_after` Telegram names, then the call is retried: Telegram did not execute it.
- A call that failed in the network (refused, reset, timed out) or at Telegram's gateway (502
  and other 5xx) is retried after a short, growing, jittered wait: up to ATTEMPTS attempts
  within about twenty seconds. A 400 Bad Request, 403 Forbidden and the like are not retried:
  they would fail again.

Retrying a sendMessage is safe when the call certainly did not reach Telegram (connection
refused, connect timeout, no free connection, a 429). It is not certain when the request was
sent and the answer never came (a read timeout, a connection closed without an answer, a 5xx
from the gateway): Telegram may have executed it, and only the response was lost. The Bot API
has no idempotency key and no way to ask whether a message was sent, so the bot must choose
between perhaps answering twice and perhaps not answering at all. It chooses to answer: such a
call is retried like the others, and when the retry succeeds a warning says the message may
have been sent twice. (The longer FACTBOT_API_TIMEOUT_SECONDS, the rarer a timeout on a call
Telegram was still executing.) An edit sent twice is harmless ("message is not modified"); a
button acknowledged twice gets a 400, which the handlers ignore.

getUpdates is retried by python-telegram-bot's own polling loop, with the same offset: updates
whose answer was lost are fetched again, and none is confirmed before it was received.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
from telegram.constants import FloodLimit
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

ATTEMPTS = 8
BACKOFF_SECONDS = (0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0)  # before the 2nd, 3rd, ... attempt (times 0.5-1)
SENDS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "copyMessage", "forwardMessage"})
# failures that prove the request never reached Telegram
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def transient(exc: BaseException) -> bool:
    """A failure another attempt may not have: the network, a timeout, a gateway error."""
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)


def maybe_executed(exc: BaseException) -> bool:
    """Whether Telegram may have executed the call that failed so (the response was lost)."""
    if isinstance(exc, RetryAfter):
        return False
    return not isinstance(exc.__cause__, _NOT_SENT)


class RetryingRateLimiter(AIORateLimiter):
    """AIORateLimiter that also waits out 429s (its `max_retries`) and retries transient failures.
    `overall_max_rate` and `group_max_rate` are AIORateLimiter's (Telegram's flood limits by
    default; 0 lifts one, as benchmarks do to measure the bot rather than Telegram's limits)."""

    def __init__(self, attempts: int = ATTEMPTS, backoff: tuple[float, ...] = BACKOFF_SECONDS,
                 sleep: Callable[[float], Coroutine[Any, Any, None]] = asyncio.sleep, *,
                 overall_max_rate: float = FloodLimit.MESSAGES_PER_SECOND,
                 group_max_rate: float = FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP):
        super().__init__(overall_max_rate=overall_max_rate, group_max_rate=group_max_rate, max_retries=attempts - 1)
        self.attempts = attempts
        self.backoff = backoff
        self._sleep = sleep
        self.retried = 0  # attempts after a transient failure, for tests and logs
        self.maybe_doubled = 0  # sends that succeeded after a failure that may have come after executing

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):  # noqa: ANN001
        doubt: BaseException | None = None
        for attempt in range(1, self.attempts + 1):
            try:
                result = await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except Exception as exc:
                if isinstance(exc, RetryAfter) or not transient(exc) or attempt == self.attempts:
                    raise  # RetryAfter: AIORateLimiter already waited and retried max_retries times
                if maybe_executed(exc):
                    doubt = exc
                wait = self.backoff[min(attempt, len(self.backoff)) - 1] * random.uniform(0.5, 1.0)
                log.info("Bot API %s failed (%s), attempt %d of %d; retrying in %.2f s", endpoint,
                         type(exc).__name__, attempt, self.attempts, wait)
                self.retried += 1
                await self._sleep(wait)
                continue
            if doubt is not None and endpoint in SENDS:
                self.maybe_doubled += 1
                log.warning("%s to chat %s succeeded on attempt %d, after a failure (%s) that may have come after "
                            "Telegram had sent it: the message may appear twice", endpoint, data.get("chat_id"),
                            attempt, type(doubt).__name__)
            return result
        raise AssertionError("unreachable")  # pragma: no cover
