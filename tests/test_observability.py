"""Logs, /healthz and /metrics: unit checks, then the real Application against the fake Bot API."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import re
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest
from telegram import Update

from bot.config import Settings
from bot.logs import configure_logging
from bot.observability import (
    LATENCY_BUCKETS,
    ApiContact,
    Handled,
    HealthServer,
    Metrics,
    Observer,
)
from bot.tg.app import ALLOWED_UPDATES, build_application
from bot.tg.handlers import STATE_KEY
from bot.tg.observing import IGNORED

from .fake_bot_api import TOKEN, FakeBotApi, RecordingRequest, group_chat, message, private_chat, user

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "Who controls Homs?"
OUT_OF_SCOPE = "what's the weather in paris?"

# One sample line of the Prometheus text exposition format: name{labels} value
SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? -?[0-9.e+-]+(Inf)?$')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def samples(text: str) -> dict[str, float]:
    """Parse exposition text, checking every line's syntax; {'name{labels}': value}."""
    out = {}
    typed = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge", "histogram"), line
            typed.add(name)
            continue
        if line.startswith("# HELP "):
            continue
        assert SAMPLE.match(line), f"not an exposition line: {line!r}"
        key, value = line.rsplit(" ", 1)
        base = re.sub(r"_(bucket|sum|count)$", "", key.split("{")[0])
        assert key.split("{")[0] in typed or base in typed, f"{key} has no # TYPE line"
        out[key] = float(value)
    return out


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- units ---------------------------------------------------------------------------------------
def test_metrics_render_valid_exposition_with_cumulative_histogram(kb):
    m = Metrics()
    m.updates["message"] += 2
    m.answers["homs_control"] += 1
    m.refusals += 1
    for seconds in (0.003, 0.04, 20.0):
        m.observe_latency(seconds)
    got = samples(m.render(kb, last_contact=1_700_000_000.0))
    assert got['factbot_updates_total{kind="message"}'] == 2
    assert got['factbot_answers_total{intent="homs_control"}'] == 1
    assert got["factbot_refusals_total"] == 1
    assert got["factbot_errors_total"] == 0
    assert got['factbot_answer_latency_seconds_bucket{le="0.005"}'] == 1
    assert got['factbot_answer_latency_seconds_bucket{le="0.05"}'] == 2
    assert got['factbot_answer_latency_seconds_bucket{le="10.0"}'] == 2
    assert got['factbot_answer_latency_seconds_bucket{le="+Inf"}'] == 3
    assert got["factbot_answer_latency_seconds_count"] == 3
    assert got["factbot_answer_latency_seconds_sum"] == pytest.approx(20.043)
    assert got[f'factbot_knowledge_info{{version="{kb.version}"}}'] == 1
    buckets = [v for k, v in got.items() if k.startswith("factbot_answer_latency_seconds_bucket")]
    assert buckets == sorted(buckets) and len(buckets) == len(LATENCY_BUCKETS) + 1


def test_metric_label_values_are_escaped():
    m = Metrics()
    m.answers['we"ird\\intent\n'] += 1
    assert 'factbot_answers_total{intent="we\\"ird\\\\intent\\n"} 1' in m.render(None, None)


def test_health_needs_knowledge_and_recent_api_contact(kb):
    clock = FakeClock()
    observer = Observer(clock=clock, wall=lambda: 1_733_650_000.0, max_silence=300)
    status, body = observer.health(kb)
    assert (status, body["reason"]) == (503, "no successful Bot API request yet")
    assert body["last_api_contact"] is None and body["seconds_since_api_contact"] is None
    observer.contact.touch()
    clock.now += 12
    status, body = observer.health(kb)
    assert status == 200
    assert body == {"status": "ok", "knowledge": kb.version, "facts": len(kb.facts),
                    "last_api_contact": "2024-12-08T09:26:40+00:00", "seconds_since_api_contact": 12.0}
    clock.now += 300
    status, body = observer.health(kb)
    assert status == 503 and "312 s" in body["reason"]
    assert observer.health(None)[1]["reason"] == "knowledge base not loaded"


def test_api_contact_starts_unknown():
    contact = ApiContact()
    assert contact.seconds_since() is None and contact.iso() is None


def test_handled_update_counts_by_outcome():
    observer = Observer()
    base = {"update_id": 1, "kind": "message", "chat_type": "private", "handler": "question", "latency": 0.02}
    observer.handled(Handled(**base, outcome="answered", intent="homs_control", confidence=0.9))
    observer.handled(Handled(**base, outcome="refused", intent=None, confidence=0.3))
    observer.handled(Handled(**base, outcome="error", error="BadRequest"))
    observer.handled(Handled(**base, outcome=IGNORED))
    m = observer.metrics
    assert (m.answers["homs_control"], m.refusals, m.errors, m.latency_count) == (1, 1, 1, 2)


async def test_health_server_answers_503_without_api_contact_or_knowledge(kb):
    observer = Observer()
    port = free_port()
    knowledge = {"kb": kb}
    await observer.serve("127.0.0.1", port, lambda: knowledge["kb"])
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 503
                body = await resp.json()
                assert body["status"] == "unavailable" and body["reason"] == "no successful Bot API request yet"
                assert body["knowledge"] == kb.version
            observer.contact.touch()
            knowledge["kb"] = None
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 503
                assert (await resp.json())["reason"] == "knowledge base not loaded"
            async with http.get(f"http://127.0.0.1:{port}/nope") as resp:
                assert resp.status == 404
            async with http.post(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 405
            async with http.head(f"http://127.0.0.1:{port}/metrics") as resp:
                assert resp.status == 200
    finally:
        await observer.close()


async def test_health_server_reports_a_busy_port_by_its_setting():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = HealthServer("127.0.0.1", taken.getsockname()[1], lambda path: (200, "text/plain", b""))
        with pytest.raises(OSError, match="FACTBOT_HEALTH_PORT: cannot listen on 127.0.0.1"):
            await server.start()


# -- the running bot ------------------------------------------------------------------------------
@pytest.fixture
def log_stream():
    """Capture everything the bot logs, as `run` configures it; restore the root logger after."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    streams = []

    def capture(**settings) -> io.StringIO:
        stream = io.StringIO()
        configure_logging(Settings(token=TOKEN, **settings), stream=stream)
        streams.append(stream)
        return stream

    yield capture
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
    root.setLevel(level)


@pytest.mark.e2e
async def test_running_bot_serves_metrics_health_and_one_log_line_per_update(api, kb, log_stream):
    logs = log_stream(log_format="json")
    port = free_port()
    clock = FakeClock()
    settings = Settings(token=TOKEN, api_base_url=api.base_url, health_port=port)
    application = build_application(settings, kb, observer=Observer(clock=clock))
    await application.initialize()
    await application.post_init(application)  # starts the health server, as run_polling does
    await application.start()
    await application.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES)
    try:
        ask = api.push({"message": message(QUESTION, private_chat(42), user(42))})
        api.push({"message": message("just chatting about homs", group_chat(), user(7))})
        await api.wait_calls("sendMessage", 1)
        await api.settle(0.2)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
                assert resp.status == 200
                assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
                got = samples(await resp.text())
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 200
                health = await resp.json()
            await application.updater.stop()  # no more getUpdates: the Bot API falls silent
            clock.now += 301
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 503
                assert "no successful Bot API request for" in (await resp.json())["reason"]
            async with http.get(f"http://127.0.0.1:{port}/") as resp:
                assert resp.status == 404
    finally:
        if application.updater.running:
            await application.updater.stop()
        await application.stop()
        await application.shutdown()
        await application.post_shutdown(application)

    assert got['factbot_updates_total{kind="message"}'] == 2
    assert got['factbot_answers_total{intent="homs_control"}'] == 1
    assert sum(v for k, v in got.items() if k.startswith("factbot_answers_total")) == 1
    assert got["factbot_refusals_total"] == 0 and got["factbot_errors_total"] == 0
    assert got["factbot_answer_latency_seconds_count"] == 1
    assert got['factbot_answer_latency_seconds_bucket{le="+Inf"}'] == 1
    assert got[f'factbot_knowledge_info{{version="{kb.version}"}}'] == 1
    assert health["status"] == "ok"
    assert health["knowledge"] == kb.version and health["facts"] == len(kb.facts)
    assert health["last_api_contact"] and health["seconds_since_api_contact"] < 5

    records = [json.loads(line) for line in logs.getvalue().splitlines()]
    lines = [r for r in records if r["logger"] == "bot.updates"]
    assert len(lines) == 1, "one INFO line for the answered update; the ignored group chatter is DEBUG"
    [line] = lines
    assert line["level"] == "INFO"
    assert line["update_id"] == ask["update_id"]
    assert line["chat_type"] == "private"
    assert line["intent"] == "homs_control"
    assert 0 < line["confidence"] <= 1
    assert line["latency_ms"] > 0
    assert line["outcome"] == "answered"
    assert f"update_id={ask['update_id']}" in line["message"]
    text = logs.getvalue()
    assert QUESTION not in text and "just chatting" not in text
    assert TOKEN not in text


async def _process(kb, api, update: dict, **settings):
    """In-process: one update through the real handlers with RecordingRequest."""
    application = build_application(Settings(token=TOKEN, **settings), kb, request=RecordingRequest(api))
    await application.initialize()
    await application.process_update(Update.de_json(update, application.bot))
    await application.shutdown()
    return application.bot_data[STATE_KEY].observer


async def test_text_log_line_names_update_chat_intent_confidence_latency(kb, log_stream):
    logs = log_stream(log_format="text")
    api = FakeBotApi()
    update = api.push({"message": message(QUESTION, private_chat(42), user(42))})
    observer = await _process(kb, api, update)
    [line] = [each for each in logs.getvalue().splitlines() if " bot.updates: " in each]
    assert " INFO bot.updates: update " in line
    assert f"update_id={update['update_id']}" in line
    assert "chat_type=private" in line and "intent=homs_control" in line
    assert re.search(r"confidence=0\.\d+", line) and re.search(r"latency_ms=\d+(\.\d)?", line)
    assert QUESTION not in logs.getvalue() and TOKEN not in logs.getvalue()
    assert observer.contact.seconds_since() is not None, "the API call that sent the answer counts as contact"


async def test_refusal_is_counted_and_logged_without_an_intent(kb, log_stream):
    logs = log_stream(log_format="json")
    api = FakeBotApi()
    observer = await _process(kb, api, api.push({"message": message(OUT_OF_SCOPE, private_chat(42), user(42))}))
    assert observer.metrics.refusals == 1 and not observer.metrics.answers
    [line] = [json.loads(each) for each in logs.getvalue().splitlines() if '"bot.updates"' in each]
    assert line["outcome"] == "refused" and line["intent"] is None
    assert OUT_OF_SCOPE not in logs.getvalue()


async def test_failed_update_is_counted_as_an_error_and_logged(kb, log_stream, monkeypatch):
    logs = log_stream(log_format="json")
    api = FakeBotApi()
    original = api._result
    monkeypatch.setattr(api, "_result", lambda method, p: NotImplemented if method == "sendMessage" else original(method, p))
    observer = await _process(kb, api, api.push({"message": message(QUESTION, private_chat(42), user(42))}))
    assert observer.metrics.errors == 1
    [line] = [json.loads(each) for each in logs.getvalue().splitlines() if '"bot.updates"' in each]
    assert line["outcome"] == "error" and line["error"]
    assert TOKEN not in logs.getvalue()


async def test_debug_level_includes_the_question_but_never_the_token(kb, log_stream):
    logs = log_stream(log_format="text", log_level="DEBUG")
    api = FakeBotApi()
    await _process(kb, api, api.push({"message": message(QUESTION, private_chat(42), user(42))}))
    text = logs.getvalue()
    assert QUESTION in text
    assert TOKEN not in text


def test_every_root_handler_gets_the_token_filter(log_stream):
    root = logging.getLogger()
    extra = logging.StreamHandler(io.StringIO())
    root.addHandler(extra)
    stream = log_stream()
    logging.getLogger("telegram.ext").warning("calling https://api.telegram.org/bot%s/getMe", TOKEN)
    assert TOKEN not in stream.getvalue() and "bot<token>/getMe" in stream.getvalue()
    assert TOKEN not in extra.stream.getvalue()


@pytest.mark.e2e
async def test_webhook_mode_checks_in_with_the_api_when_quiet(api, kb):
    """A quiet webhook bot makes no calls of its own: the heartbeat asks getWebhookInfo."""
    from bot.tg.app import HEARTBEAT_KEY, heartbeat

    clock = FakeClock()
    settings = Settings(token=TOKEN, api_base_url=api.base_url, webhook_url="https://bot.example.org/hook",
                        webhook_secret="s3cret", webhook_port=free_port(), health_port=free_port())
    application = build_application(settings, kb, observer=Observer(clock=clock))
    await application.initialize()
    await application.post_init(application)
    try:
        assert HEARTBEAT_KEY in application.bot_data, "webhook mode with a health server starts the heartbeat"
        clock.now += 120
        task = asyncio.get_running_loop().create_task(heartbeat(application, every=0.05))
        await api.wait_calls("getWebhookInfo", 1)
        contact = application.bot_data[STATE_KEY].observer.contact
        for _ in range(200):  # the server saw the call; the client records it when the answer is back
            if contact.seconds_since() == 0:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        assert contact.seconds_since() == 0
    finally:
        await application.shutdown()
        await application.post_shutdown(application)
    assert HEARTBEAT_KEY not in application.bot_data


@pytest.mark.e2e
async def test_python_m_bot_run_serves_health_and_stops_cleanly(api, kb):
    """The real entry point: `python -m bot run` polls the fake API, serves /healthz and /metrics,
    answers, logs JSON lines without the token, and exits 0 on SIGTERM."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FACTBOT_", "TELEGRAM_"))}
    env = {**clean, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": api.base_url,
           "FACTBOT_HEALTH_PORT": str(port), "FACTBOT_LOG_FORMAT": "json"}
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=ROOT, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        health = None
        async with aiohttp.ClientSession() as http:
            for _ in range(200):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                        if resp.status == 200:
                            health = await resp.json()
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
            assert health and health["knowledge"] == kb.version
            api.push({"message": message(QUESTION, private_chat(42), user(42))})
            await api.wait_calls("sendMessage", 1, timeout=20)
            await asyncio.sleep(0.2)
            async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
                got = samples(await resp.text())
        assert got['factbot_answers_total{intent="homs_control"}'] == 1
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()[-2000:]
    records = [json.loads(line) for line in err.decode().splitlines() if line.startswith("{")]
    assert any(r["logger"] == "bot.updates" and r["intent"] == "homs_control" for r in records)
    assert TOKEN not in err.decode() + out.decode() and QUESTION not in err.decode()
