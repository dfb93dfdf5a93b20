"""What an operator watches while the bot runs: metrics and health (the log is bot/logs.py's).

- `Metrics`: counters and an answer-latency histogram in the Prometheus text format.
- `ApiContact`: when the Bot API last answered a request successfully (bot/tg/observing.py
  notes every call the bot makes: getUpdates, sendMessage, ...).
- `Observer`: the three together, one per running application; `handled()` is called once per
  handled update and writes the log line and the counters.
- `HealthServer`: `/healthz` and `/metrics` over plain HTTP on FACTBOT_HEALTH_LISTEN:PORT,
  built on asyncio streams (no extra dependency); every other path is 404.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from .knowledge import KnowledgeBase

log = logging.getLogger(__name__)
update_log = logging.getLogger("bot.updates")

MAX_API_SILENCE = 300.0  # seconds without a successful Bot API call before /healthz says 503
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"
IGNORED_OUTCOME = "ignored"  # an update not meant for the bot: its line is logged at DEBUG only
BLOCKED_OUTCOME = "blocked"  # Telegram refused the chat (403): blocked, deactivated, removed; not an error


# -- metrics --------------------------------------------------------------------------------------
def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


class Metrics:
    """Counters and the answer-latency histogram; `render()` gives the Prometheus text format."""

    def __init__(self) -> None:
        self.updates: Counter[str] = Counter()
        self.answers: Counter[str] = Counter()
        self.refusals = 0
        self.errors = 0
        self.outcomes: Counter[str] = Counter()  # handled updates by outcome (Handled.outcome)
        self.latency_buckets = [0] * len(LATENCY_BUCKETS)
        self.latency_sum = 0.0
        self.latency_count = 0

    def observe_latency(self, seconds: float) -> None:
        for i, bound in enumerate(LATENCY_BUCKETS):
            if seconds <= bound:
                self.latency_buckets[i] += 1
        self.latency_sum += seconds
        self.latency_count += 1

    def render(self, kb: KnowledgeBase | None, last_contact: float | None) -> str:
        lines: list[str] = []

        def metric(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
            lines.append(f"# HELP {name} {help_text}")
            lines.append(f"# TYPE {name} {kind}")
            lines.extend(f"{name}{labels} {_number(value)}" for labels, value in samples)

        metric("factbot_updates_total", "counter", "Updates received from Telegram, by kind.",
               [(f'{{kind="{_label(k)}"}}', n) for k, n in sorted(self.updates.items())])
        metric("factbot_answers_total", "counter", "Questions answered, by intent.",
               [(f'{{intent="{_label(k)}"}}', n) for k, n in sorted(self.answers.items())])
        metric("factbot_refusals_total", "counter", "Questions refused as out of scope.", [("", self.refusals)])
        metric("factbot_errors_total", "counter", "Updates whose handler failed.", [("", self.errors)])
        metric("factbot_handled_total", "counter", "Updates handled, by outcome (blocked: the chat refuses the bot).",
               [(f'{{outcome="{_label(k)}"}}', n) for k, n in sorted(self.outcomes.items())])
        cumulative = [(f'{{le="{bound}"}}', n) for bound, n in zip(LATENCY_BUCKETS, self.latency_buckets)]
        lines.append("# HELP factbot_answer_latency_seconds Time to answer a question: handler start to answer sent.")
        lines.append("# TYPE factbot_answer_latency_seconds histogram")
        lines.extend(f"factbot_answer_latency_seconds_bucket{labels} {n}" for labels, n in cumulative)
        lines.append(f'factbot_answer_latency_seconds_bucket{{le="+Inf"}} {self.latency_count}')
        lines.append(f"factbot_answer_latency_seconds_sum {_number(self.latency_sum)}")
        lines.append(f"factbot_answer_latency_seconds_count {self.latency_count}")
        if kb is not None:
            metric("factbot_knowledge_info", "gauge", "The loaded knowledge base (version label).",
                   [(f'{{version="{_label(kb.version)}"}}', 1)])
            metric("factbot_knowledge_facts", "gauge", "Facts in the loaded knowledge base.", [("", len(kb.facts))])
        if last_contact is not None:
            metric("factbot_last_api_contact_timestamp_seconds", "gauge",
                   "Unix time of the last successful Bot API request.", [("", round(last_contact, 3))])
        return "\n".join(lines) + "\n"


# -- API contact ------------------------------------------------------------------------------------
class ApiContact:
    """When the Bot API last answered a request with success."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time):
        self._clock, self._wall = clock, wall
        self._at: float | None = None
        self.wall_time: float | None = None

    def touch(self) -> None:
        self._at, self.wall_time = self._clock(), self._wall()

    def seconds_since(self) -> float | None:
        return None if self._at is None else max(0.0, self._clock() - self._at)

    def iso(self) -> str | None:
        if self.wall_time is None:
            return None
        return datetime.fromtimestamp(self.wall_time, UTC).isoformat(timespec="seconds")


# -- one running bot ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Handled:
    """One handled update, as logged and counted. `intent`/`confidence` are set for answers."""

    update_id: int | None
    kind: str  # message, edited_message, channel_post, callback_query, inline_query, ...
    chat_type: str  # private, group, supergroup, channel, inline
    handler: str
    outcome: str  # answered, refused, handled, ignored, blocked, error
    latency: float  # seconds
    intent: str | None = None
    confidence: float | None = None
    error: str | None = None

    def fields(self) -> dict[str, Any]:
        out = {"update_id": self.update_id, "kind": self.kind, "chat_type": self.chat_type, "handler": self.handler,
               "outcome": self.outcome, "intent": self.intent,
               "confidence": None if self.confidence is None else round(self.confidence, 3),
               "latency_ms": round(self.latency * 1000, 1)}
        if self.error:
            out["error"] = self.error
        return out

    def line(self) -> str:
        shown = {k: ("-" if v is None else v) for k, v in self.fields().items()}
        return "update " + " ".join(f"{k}={v}" for k, v in shown.items())


class Observer:
    """Counters, API contact and the health verdict of one running application."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time,
                 max_silence: float = MAX_API_SILENCE):
        self.metrics = Metrics()
        self.contact = ApiContact(clock, wall)
        self.max_silence = max_silence
        self.server: HealthServer | None = None

    def update_received(self, kind: str) -> None:
        self.metrics.updates[kind] += 1

    def handled(self, event: Handled) -> None:
        """Count the update and write its one log line (INFO; DEBUG when it was not for the bot)."""
        m = self.metrics
        m.outcomes[event.outcome] += 1
        if event.outcome == "answered" and event.intent:
            m.answers[event.intent] += 1
        elif event.outcome == "refused":
            m.refusals += 1
        elif event.outcome == "error":
            m.errors += 1
        if event.outcome in ("answered", "refused"):
            m.observe_latency(event.latency)
        level = logging.DEBUG if event.outcome == IGNORED_OUTCOME else logging.INFO
        update_log.log(level, event.line(), extra={"fields": event.fields()})

    def health(self, kb: KnowledgeBase | None) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body) for /healthz: 200 when knowledge is loaded and the API answered lately."""
        since = self.contact.seconds_since()
        body: dict[str, Any] = {
            "status": "ok",
            "knowledge": kb.version if kb else None,
            "facts": len(kb.facts) if kb else 0,
            "last_api_contact": self.contact.iso(),
            "seconds_since_api_contact": None if since is None else round(since, 1),
        }
        reason = None
        if kb is None or not kb.facts:
            reason = "knowledge base not loaded"
        elif since is None:
            reason = "no successful Bot API request yet"
        elif since > self.max_silence:
            reason = f"no successful Bot API request for {since:.0f} s (limit {self.max_silence:.0f} s)"
        if reason:
            body.update(status="unavailable", reason=reason)
            return 503, body
        return 200, body

    def respond(self, path: str, kb: KnowledgeBase | None) -> tuple[int, str, bytes]:
        """(status, content type, body) for a GET of `path` on the health server."""
        if path == "/healthz":
            status, body = self.health(kb)
            return status, "application/json", json.dumps(body).encode()
        if path == "/metrics":
            return 200, PROMETHEUS_TYPE, self.metrics.render(kb, self.contact.wall_time).encode()
        return 404, "text/plain; charset=utf-8", b"not found: try /healthz or /metrics\n"

    async def serve(self, host: str, port: int, kb: Callable[[], KnowledgeBase | None]) -> HealthServer:
        self.server = HealthServer(host, port, lambda path: self.respond(path, kb()))
        await self.server.start()
        return self.server

    async def close(self) -> None:
        if self.server is not None:
            await self.server.stop()
            self.server = None


# -- HTTP -------------------------------------------------------------------------------------------
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}


class HealthServer:
    """A minimal HTTP/1.1 server: GET/HEAD only, one request per connection."""

    def __init__(self, host: str, port: int, respond: Callable[[str], tuple[int, str, bytes]]):
        self.host, self.port, self.respond = host, port, respond
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        try:
            self._server = await asyncio.start_server(self._serve, self.host, self.port)
        except OSError as exc:
            raise OSError(exc.errno, f"FACTBOT_HEALTH_PORT: cannot listen on {self.host}:{self.port}: "
                                     f"{exc.strerror or exc}") from None
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("health and metrics on http://%s:%d/healthz and /metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await asyncio.wait_for(reader.readline(), 10)
            for _ in range(100):  # headers, unused
                header = await asyncio.wait_for(reader.readline(), 10)
                if header in (b"\r\n", b"\n", b""):
                    break
            parts = request_line.decode("latin-1").split()
            if len(parts) != 3 or not parts[2].startswith("HTTP/"):
                status, ctype, body, head = 400, "text/plain; charset=utf-8", b"bad request\n", False
            elif parts[0] not in ("GET", "HEAD"):
                status, ctype, body, head = 405, "text/plain; charset=utf-8", b"only GET\n", False
            else:
                status, ctype, body = self.respond(urlsplit(parts[1]).path)
                head = parts[0] == "HEAD"
            writer.write(
                f"HTTP/1.1 {status} {REASONS.get(status, '')}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n".encode()
                + (b"" if head else body))
            await writer.drain()
        except (TimeoutError, ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        except Exception:  # a health probe must never take the bot down
            log.exception("health server request failed")
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass
