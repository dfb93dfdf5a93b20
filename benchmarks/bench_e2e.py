"""End to end: answered updates per second through the bot's own `Application`, beside two
echo baselines in the same run.

    .venv/bin/python benchmarks/bench_e2e.py [--rounds 3] [--updates 2000] [--json out.json]
    .venv/bin/python benchmarks/bench_e2e.py --profile   # where ours spends its time, by part
    .venv/bin/python benchmarks/bench_e2e.py --shape     # the echo against sending our reply

Ours is `bot.tg.app.build_application` as `run` builds it, recording on: the question store and
the update ledger are real SQLite files in a fresh temporary FACTBOT_STATE_DIR per round, logging
is configured as the bot configures it (INFO, one line per update; to a file here), and `post_init`
runs. The network is replaced by the tests' fake Bot API (tests/fake_bot_api.py) in-process:
`RecordingRequest`, a `BaseRequest` that answers every Bot API method as Telegram would (no
socket). Every application is fed the way the running bot is: by its own `Updater` long-polling
getUpdates, which the fake answers with the next (up to) 100 updates after the offset, as Telegram
does.
So python-telegram-bot parses each batch, puts its updates into the update queue one after
another and polls again, which confirms them; ours records them in the ledger, and its next
getUpdates waits until the batch is committed (bot/tg/ledger.py). A round is timed from the start
of polling until the canned API has seen one sendMessage per update; per-update latency is from the
getUpdates answer that carried the update to the sendMessage into its chat.

The two baselines, each with one `MessageHandler(filters.TEXT, echo)` and nothing else:

- "echo, plain PTB": python-telegram-bot's own ceiling, a plain `Application.builder()` with the
  same request object, handling as many updates at once as ours does
  (`concurrent_updates(MAX_CONCURRENT)`, the bound of our `ChatOrderedProcessor`).
- "echo, our setup": `build_application` exactly as for ours (our request wrapper, rate limiter
  and retries, defaults, `UpdateInbox` and `ChatOrderedProcessor` with the on-disk ledger, the
  store open), then every handler replaced by the echo (`build_echo_on_our_setup`). Ours against
  it is the cost of the bot's own work (matching, composing, rendering, recording, logging);
  it against the plain echo is the cost of the setup.

One thing is changed in ours (and in the echo on our setup), and said in the output: Telegram's
flood limits, which our rate limiter keeps (AIORateLimiter: 30 messages a second overall, 20 a
minute per group), are lifted (`RetryingRateLimiter(overall_max_rate=0, group_max_rate=0)`,
AIORateLimiter's own "no limit"), so that the figure is what the bot can do, not what Telegram
allows; the limiter itself (and its retry wrapper) still runs on every call. `--flood-limits` keeps them: ours is then
held to ~30 answers a second.

Updates: private messages from USERS people and, every GROUP_EVERY-th, an `/ask` in one of a few
groups, with the questions of the development sets (four languages, in and out of scope) in a
fixed shuffled order: the same work in every round and every run. Each round runs the three
applications one after another, in an order that rotates from round to round, because the machine
is shared and noisy: read the shares per round and their spread.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import logging
import pstats
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict, deque
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram import Chat, Update  # noqa: E402 - needs ROOT on sys.path
from telegram.ext import Application, MessageHandler, filters  # noqa: E402 - needs ROOT on sys.path

from bot.answer import answer  # noqa: E402 - needs ROOT on sys.path
from bot.config import Settings  # noqa: E402 - needs ROOT on sys.path
from bot.evaluate import read_labelled  # noqa: E402 - needs ROOT on sys.path
from bot.knowledge import KnowledgeBase, load  # noqa: E402 - needs ROOT on sys.path
from bot.logs import configure_logging  # noqa: E402 - needs ROOT on sys.path
from bot.tg.app import build_application, open_ledger, open_store  # noqa: E402 - needs ROOT on sys.path
from bot.tg.context import surface  # noqa: E402 - needs ROOT on sys.path
from bot.tg.delivery import RetryingRateLimiter  # noqa: E402 - needs ROOT on sys.path
from bot.tg.handlers import STATE_KEY  # noqa: E402 - needs ROOT on sys.path
from bot.tg.keyboards import with_feedback  # noqa: E402 - needs ROOT on sys.path
from bot.tg.ledger import MAX_CONCURRENT  # noqa: E402 - needs ROOT on sys.path
from bot.tg.outgoing import feedback_wanted, rendered  # noqa: E402 - needs ROOT on sys.path
from tests.fake_bot_api import TOKEN, FakeBotApi, RecordingRequest  # noqa: E402 - needs ROOT on sys.path

DEVSETS = ["tests/devset.yaml", "tests/devset.ar.yaml", "tests/devset.ru.yaml", "tests/devset.uk.yaml"]
USERS = 200  # people writing in private
GROUPS = 7
GROUP_EVERY = 20  # every 20th update is an /ask in a group, from a person asking once there
FIRST_USER = 10_000
FIRST_GROUP_SENDER = 50_000_000
SEED = 20_250_101
DATE = 1_735_689_600  # 2025-01-01, the date of every message: the work does not depend on the clock
ROUND_TIMEOUT = 30.0  # seconds, plus 50 ms per update; a round that answers fewer updates than it was fed fails


# -- the updates --------------------------------------------------------------------------------
def questions() -> list[tuple[str, str]]:
    """(text, language) of every development-set question, in a fixed shuffled order."""
    items = [(item.text, item.lang) for path in DEVSETS for item in read_labelled(ROOT / path)]
    random.Random(SEED).shuffle(items)
    return items


def make_updates(count: int, asked: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """`count` update payloads: private questions from USERS people, every GROUP_EVERY-th an /ask
    in a group (each from a person who asks there once: no flood control applies)."""
    out = []
    for n in range(count):
        text, lang = asked[n % len(asked)]
        if n % GROUP_EVERY == GROUP_EVERY - 1:
            chat = {"id": -1_000_000_000_000 - n % GROUPS, "type": "supergroup", "title": "bench group"}
            sender = {"id": FIRST_GROUP_SENDER + n, "is_bot": False, "first_name": "Bench", "language_code": lang}
            message = {"text": f"/ask {text}", "entities": [{"type": "bot_command", "offset": 0, "length": 4}]}
        else:
            uid = FIRST_USER + n % USERS
            chat = {"id": uid, "type": "private", "first_name": "Bench"}
            sender = {"id": uid, "is_bot": False, "first_name": "Bench", "language_code": lang}
            message = {"text": text}
        out.append({"update_id": n + 1, "message": {"message_id": n + 1, "date": DATE, "chat": chat, "from": sender,
                                                    **message}})
    return out


# -- the applications -----------------------------------------------------------------------------
OURS, ECHO_PLAIN, ECHO_SETUP = "ours", "echo_plain", "echo_setup"
KINDS = (OURS, ECHO_PLAIN, ECHO_SETUP)
ECHO_SHAPED = "echo_shaped"  # measured with --shape only
LABELS = {OURS: "ours", ECHO_PLAIN: "echo, plain PTB", ECHO_SETUP: "echo, our setup",
          ECHO_SHAPED: "our reply, made in advance, our setup"}


async def echo(update: Update, context: Any) -> None:
    await update.message.reply_text(update.message.text)


def build_echo(request: RecordingRequest) -> Application:
    """"echo, plain PTB": python-telegram-bot's own ceiling."""
    app = (Application.builder().token(TOKEN).request(request).get_updates_request(request)
           .concurrent_updates(MAX_CONCURRENT).build())
    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


def build_ours(request: RecordingRequest, kb: KnowledgeBase, state_dir: Path, flood_limits: bool) -> Application:
    """Ours as `run` builds it; without `flood_limits`, its rate limiter lets every call through
    at once (AIORateLimiter's "no limit"), still running on every call."""
    settings = Settings(token=TOKEN, state_dir=state_dir)
    limiter = None if flood_limits else RetryingRateLimiter(overall_max_rate=0, group_max_rate=0)
    return build_application(settings, kb, request=request, store=open_store(settings), ledger=open_ledger(settings),
                             rate_limiter=limiter)


def on_our_setup(request: RecordingRequest, kb: KnowledgeBase, state_dir: Path, flood_limits: bool,
                  callback) -> Application:
    """The application exactly as `build_ours` makes it, with every handler removed and one
    `MessageHandler(filters.TEXT, callback)` added instead."""
    app = build_ours(request, kb, state_dir, flood_limits)
    for group, handlers in list(app.handlers.items()):
        for handler in list(handlers):
            app.remove_handler(handler, group)
    app.add_handler(MessageHandler(filters.TEXT, callback))
    return app


def build_echo_on_our_setup(request: RecordingRequest, kb: KnowledgeBase, state_dir: Path,
                            flood_limits: bool) -> Application:
    """"echo, our setup": the application exactly as `build_ours` makes it (request wrapper, rate
    limiter, defaults, update inbox and processor with the ledger on disk, store, post_init and
    post_shutdown), with every handler removed and the echo handler added instead."""
    return on_our_setup(request, kb, state_dir, flood_limits, echo)


def build_shaped_echo_on_our_setup(request: RecordingRequest, kb: KnowledgeBase, state_dir: Path,
                                   flood_limits: bool, replies: dict[tuple[str, str], tuple]) -> Application:
    """"our reply, made in advance": the echo on our setup, except that it sends the reply the
    bot sends to that question (HTML, its keyboard with the feedback buttons, quoting the
    question), made before the round: what python-telegram-bot costs to send our reply, without
    the bot's own work (matching, composing, rendering, recording, logging)."""
    async def send_made_reply(update: Update, context: Any) -> None:
        message = update.message
        html, markup = replies[(message.text, surface(message.chat))]
        await message.reply_text(html, parse_mode="HTML", reply_markup=markup, do_quote=True)

    return on_our_setup(request, kb, state_dir, flood_limits, send_made_reply)


def made_replies(kb: KnowledgeBase, payloads: list[dict]) -> dict[tuple[str, str], tuple]:
    """(text, surface) -> (html, keyboard) the bot sends, for every message of `payloads`."""
    out: dict[tuple[str, str], tuple] = {}
    settings = Settings(token=TOKEN)  # as build_ours has them (feedback buttons in private only)
    for payload in payloads:
        message = payload["message"]
        where = surface(Chat(message["chat"]["id"], message["chat"]["type"]))
        text = message["text"]
        if (text, where) not in out:
            reply = answer(kb, text.removeprefix("/ask "), message["from"].get("language_code"))
            html, markup = rendered(kb, reply, where)
            if feedback_wanted(settings, reply, where):
                markup = with_feedback(kb, markup, "0123456789abcdef", reply.lang)
            out[(text, where)] = (html, markup)
    return out


# -- one round ----------------------------------------------------------------------------------
class Replies:
    """Counts the sendMessage calls and times each from the getUpdates answer that handed out the
    update it answers (the oldest unanswered update of that chat: updates of one chat are 200
    apart, never in flight together). Notes when the last update was handed out."""

    def __init__(self, expected: int):
        self.expected = expected
        self.count = 0
        self.handed_out = 0
        self.last_handout: float | None = None  # perf_counter when the last update was handed out
        self.put_at: dict[int, deque] = defaultdict(deque)
        self.latencies: list[float] = []
        self.unmatched = 0
        self.done = asyncio.Event()

    def put(self, update: dict[str, Any]) -> None:
        """FakeBotApi.on_delivered: getUpdates handed out `update` for the first time."""
        now = time.perf_counter()
        self.put_at[update["message"]["chat"]["id"]].append(now)
        self.handed_out += 1
        if self.handed_out == self.expected:
            self.last_handout = now

    def call(self, call: Any) -> None:
        """FakeBotApi.on_call: a sendMessage answers an update."""
        if call.method == "sendMessage":
            self.sent(int(call["chat_id"]))

    def sent(self, chat_id: int) -> None:
        now = time.perf_counter()
        waiting = self.put_at.get(chat_id)
        if waiting:
            self.latencies.append(now - waiting.popleft())
        else:
            self.unmatched += 1
        self.count += 1
        if self.count >= self.expected:
            self.done.set()


async def one_round(kind: str, kb: KnowledgeBase, payloads: list[dict], state_dir: Path, *, flood_limits: bool = False,
                    profiler: cProfile.Profile | None = None, made: dict | None = None) -> dict[str, Any]:
    """Feed `payloads` through getUpdates to a fresh application of `kind` (one of KINDS); its figures."""
    replies = Replies(len(payloads))
    api = FakeBotApi(on_call=replies.call, on_delivered=replies.put)
    for payload in payloads:
        api.push(payload)
    request = RecordingRequest(api)
    if kind == OURS:
        app = build_ours(request, kb, state_dir, flood_limits)
    elif kind == ECHO_SETUP:
        app = build_echo_on_our_setup(request, kb, state_dir, flood_limits)
    elif kind == ECHO_PLAIN:
        app = build_echo(request)
    elif kind == ECHO_SHAPED:
        app = build_shaped_echo_on_our_setup(request, kb, state_dir, flood_limits, made)
    else:
        raise ValueError(f"unknown kind {kind!r}: one of {KINDS}")
    await app.initialize()
    if app.post_init:  # as run_polling does
        await app.post_init(app)
    await app.start()
    gc.collect()
    cpu, main_cpu = time.process_time(), time.thread_time()
    if profiler is not None:
        profiler.enable()
    started = time.perf_counter()
    await app.updater.start_polling(poll_interval=0.0, timeout=10)  # as run_polling does, less the signals
    timeout = ROUND_TIMEOUT + 0.05 * len(payloads)
    try:
        await asyncio.wait_for(replies.done.wait(), timeout)
    except TimeoutError:
        raise RuntimeError(f"{kind}: {replies.count} of {len(payloads)} updates answered in {timeout:.0f} s") from None
    elapsed = time.perf_counter() - started
    if profiler is not None:
        profiler.disable()
    cpu, main_cpu = time.process_time() - cpu, time.thread_time() - main_cpu
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    if app.post_shutdown:  # as run_polling does: closes the store (writing what is queued) and the ledger
        await app.post_shutdown(app)
    lat = sorted(replies.latencies)
    out = {
        "updates": len(payloads), "seconds": elapsed, "updates_per_s": len(payloads) / elapsed,
        "fed_seconds": (replies.last_handout or time.perf_counter()) - started,
        "latency_median_ms": statistics.median(lat) * 1000,
        "latency_p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000,
        "cpu_ms_per_update": cpu * 1000 / len(payloads), "main_thread_cpu_ms_per_update": main_cpu * 1000 / len(payloads),
        "api_calls": dict(Counter(c.method for c in api.calls)), "unmatched_replies": replies.unmatched,
    }
    if kind in (OURS, ECHO_SETUP, ECHO_SHAPED):
        out.update(_checks(app))
    return out


def _checks(app: Application) -> dict[str, Any]:
    """What an application of our setup did besides answering: errors, updates marked handled,
    questions recorded, ledger commits."""
    st = app.bot_data[STATE_KEY]
    settings = st.settings
    with closing(sqlite3.connect(settings.ledger_path())) as con:
        handled = con.execute("SELECT COUNT(handled) FROM updates").fetchone()[0]
    with closing(sqlite3.connect(settings.db_path())) as con:
        recorded = con.execute("SELECT COUNT(*) FROM questions").fetchone()[0]
    m = st.observer.metrics
    return {"errors": m.errors, "refused": m.refusals, "answered": sum(m.answers.values()),
            "ledger_handled": handled, "ledger_commits": getattr(st.ledger, "commits", None), "recorded": recorded}


@contextmanager
def bot_logging(directory: Path):
    """Logging as the bot configures it (INFO, text, token filter), into a file; then as it was."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, sys.excepthook, threading.excepthook)
    with open(directory / "bot.log", "w", encoding="utf-8") as stream:
        configure_logging(Settings(token=TOKEN), stream)
        try:
            yield
        finally:
            root.handlers[:], root.level = saved[0], saved[1]
            sys.excepthook, threading.excepthook = saved[2], saved[3]
            logging.captureWarnings(False)


# -- rounds and summary -------------------------------------------------------------------------
def run(rounds: int = 3, updates: int = 2000, *, flood_limits: bool = False, quiet: bool = True,
        kb: KnowledgeBase | None = None) -> dict[str, Any]:
    """`rounds` rounds of ours and the two echo baselines (order rotating), `updates` each; the
    figures (printed unless quiet). Medians and shares under results["summary"]."""
    say = (lambda *a: None) if quiet else print
    kb = kb or load(ROOT)
    asked = questions()
    payloads = make_updates(updates, asked)
    for text, _ in asked:  # steady state: a running bot has seen these words before (the matcher's caches)
        kb.matcher.match(text)
    results: dict[str, Any] = {"updates": updates, "rounds": [], "concurrency": MAX_CONCURRENT,
                               "flood_limits": flood_limits, "users": USERS, "group_share": 1 / GROUP_EVERY,
                               "baselines": {k: LABELS[k] for k in (ECHO_PLAIN, ECHO_SETUP)}}
    with tempfile.TemporaryDirectory(prefix="factbot-bench-e2e-") as tmp, bot_logging(Path(tmp)):
        tmp_path = Path(tmp)

        async def main() -> None:
            warm = make_updates(min(updates, 50), asked)
            for kind in KINDS:  # imports, first calls
                await one_round(kind, kb, warm, tmp_path / f"warm-{kind}", flood_limits=flood_limits)
            for n in range(1, rounds + 1):
                order = KINDS[(n - 1) % len(KINDS):] + KINDS[:(n - 1) % len(KINDS)]
                figures = {kind: await one_round(kind, kb, payloads, tmp_path / f"round{n}-{kind}",
                                                 flood_limits=flood_limits) for kind in order}
                row = {kind: figures[kind] for kind in KINDS}
                row["order"] = list(order)
                row["share_of_plain_echo"] = figures[OURS]["updates_per_s"] / figures[ECHO_PLAIN]["updates_per_s"]
                row["share_of_setup_echo"] = figures[OURS]["updates_per_s"] / figures[ECHO_SETUP]["updates_per_s"]
                row["setup_echo_share_of_plain_echo"] = (figures[ECHO_SETUP]["updates_per_s"]
                                                         / figures[ECHO_PLAIN]["updates_per_s"])
                results["rounds"].append(row)
                say(_row(n, row))

        say(f"end to end: {updates} updates per round ({USERS} people in private, every {GROUP_EVERY}th an /ask in "
            f"a group), fed by getUpdates, {MAX_CONCURRENT} at a time; flood limits "
            f"{'ON' if flood_limits else 'lifted'}; baselines: {LABELS[ECHO_PLAIN]!r}, {LABELS[ECHO_SETUP]!r}")
        say(HEADER)
        asyncio.run(main())
    results["summary"] = summarise(results["rounds"])
    say(_summary_line(results["summary"]))
    return results


HEADER = (f"{'round':>5} {'ours':>7} {'echo plain':>10} {'echo setup':>10}   {'ours/plain':>10} {'ours/setup':>10}"
          f" {'setup/plain':>11}   {'p99 ms ours/plain/setup':>24}   {'cpu ms/upd ours/plain/setup':>28}  (upd/s)")


def _row(n: Any, row: dict) -> str:
    o, p, e = (row[k] for k in KINDS)
    return (f"{n:>5} {o['updates_per_s']:>7.0f} {p['updates_per_s']:>10.0f} {e['updates_per_s']:>10.0f}   "
            f"{row['share_of_plain_echo']:>10.0%} {row['share_of_setup_echo']:>10.0%} "
            f"{row['setup_echo_share_of_plain_echo']:>11.0%}   "
            f"{o['latency_p99_ms']:>8.1f} /{p['latency_p99_ms']:>6.1f} /{e['latency_p99_ms']:>6.1f}   "
            f"{o['cpu_ms_per_update']:>10.2f} /{p['cpu_ms_per_update']:>6.2f} /{e['cpu_ms_per_update']:>6.2f}")


def summarise(rounds: list[dict]) -> dict[str, Any]:
    """Medians over the rounds (shares: the median of the per-round shares, and the lowest)."""
    def med(kind: str, key: str) -> float:
        return statistics.median(r[kind][key] for r in rounds)

    out: dict[str, Any] = {}
    for kind in KINDS:
        out[f"{kind}_updates_per_s"] = med(kind, "updates_per_s")
    for share in ("share_of_plain_echo", "share_of_setup_echo", "setup_echo_share_of_plain_echo"):
        out[f"{share}_median"] = statistics.median(r[share] for r in rounds)
        out[f"{share}_min"] = min(r[share] for r in rounds)
    for kind in KINDS:
        for key in ("latency_median_ms", "latency_p99_ms", "cpu_ms_per_update", "main_thread_cpu_ms_per_update"):
            out[f"{kind}_{key}"] = med(kind, key)
    out["ours_errors"] = sum(r[OURS]["errors"] for r in rounds)
    return out


def _summary_line(s: dict) -> str:
    return (f"median: ours {s['ours_updates_per_s']:.0f} upd/s; echo, plain PTB {s['echo_plain_updates_per_s']:.0f}; "
            f"echo, our setup {s['echo_setup_updates_per_s']:.0f}\n"
            f"  ours / echo, plain PTB  {s['share_of_plain_echo_median']:.0%} (lowest round "
            f"{s['share_of_plain_echo_min']:.0%})\n"
            f"  ours / echo, our setup  {s['share_of_setup_echo_median']:.0%} (lowest round "
            f"{s['share_of_setup_echo_min']:.0%})\n"
            f"  echo, our setup / echo, plain PTB  {s['setup_echo_share_of_plain_echo_median']:.0%}\n"
            f"  latency p99 ours {s['ours_latency_p99_ms']:.1f} ms, plain echo {s['echo_plain_latency_p99_ms']:.1f} ms, "
            f"setup echo {s['echo_setup_latency_p99_ms']:.1f} ms; cpu per update ours "
            f"{s['ours_cpu_ms_per_update']:.2f} ms, plain echo {s['echo_plain_cpu_ms_per_update']:.2f} ms, setup echo "
            f"{s['echo_setup_cpu_ms_per_update']:.2f} ms")


# -- where the time goes --------------------------------------------------------------------------
def _timed_parts(kb: KnowledgeBase) -> tuple[dict[str, float], list[tuple[Any, str, Any]]]:
    """Wrap the pieces of the update path in CPU timers (main thread); the totals, and what to
    put back. Each piece is synchronous, so its thread time is its own cost."""
    import bot.observability as observability
    import bot.tg.handlers as handlers
    import bot.tg.ledger as ledger_module

    totals: dict[str, float] = defaultdict(float)
    undo: list[tuple[Any, str, Any]] = []

    def wrap(owner: Any, name: str, part: str) -> None:
        inner = getattr(owner, name)
        undo.append((owner, name, vars(owner).get(name, _MISSING)))  # _MISSING: inherited, or the class's

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return inner(*args, **kwargs)
            finally:
                totals[part] += time.thread_time() - started

        setattr(owner, name, timed)

    wrap(kb.matcher, "match", "matching")  # called from answer()
    wrap(kb.matcher, "canonical", "matching: canonical form")  # the group repeat key and the record
    wrap(handlers, "answer", "answer (matching included)")
    wrap(handlers, "addressing", "addressing")
    wrap(handlers, "rendered", "rendering (HTML, keyboard)")
    wrap(handlers, "with_feedback", "rendering (HTML, keyboard)")
    wrap(handlers, "record_question", "recording: store (queued)")
    if hasattr(ledger_module.UpdateInbox, "_record"):
        wrap(ledger_module.UpdateInbox, "_record", "recording: ledger (handing the update over)")
    else:  # the inbox before group commits per batch: it made a dict of every update itself
        wrap(Update, "to_dict", "recording: ledger (the update as a dict)")
    wrap(observability.Observer, "handled", "observing (counters, one log line)")
    return totals, undo


_MISSING = object()


def _undo(undo: list[tuple[Any, str, Any]]) -> None:
    for owner, name, old in reversed(undo):
        if old is _MISSING:
            delattr(owner, name)
        else:
            setattr(owner, name, old)


def breakdown(updates: int = 2000, kb: KnowledgeBase | None = None, top: int = 0, quiet: bool = False) -> dict[str, Any]:
    """One round of ours with the pieces of the update path timed: CPU per update by part
    (main thread; the ledger and store threads apart). With `top`, then one more round under
    cProfile, its `top` functions by own time."""
    say = (lambda *a: None) if quiet else print
    kb = kb or load(ROOT)
    asked = questions()
    for text, _ in asked:
        kb.matcher.match(text)
    payloads = make_updates(updates, asked)
    profiler = cProfile.Profile() if top else None
    with tempfile.TemporaryDirectory(prefix="factbot-bench-e2e-") as tmp, bot_logging(Path(tmp)):
        async def main() -> dict:
            await one_round(OURS, kb, make_updates(50, asked), Path(tmp) / "warm")
            totals, undo = _timed_parts(kb)
            try:
                figures = await one_round(OURS, kb, payloads, Path(tmp) / "timed")
            finally:
                _undo(undo)
            if profiler is not None:
                await one_round(OURS, kb, payloads, Path(tmp) / "profiled", profiler=profiler)
            return {"figures": figures, "totals": dict(totals)}

        done = asyncio.run(main())
    figures, totals = done["figures"], done["totals"]
    ms = {part: seconds * 1000 / updates for part, seconds in totals.items()}
    ms["answer: composing (answer() less matching)"] = ms.pop("answer (matching included)") - ms["matching"]
    main_ms = figures["main_thread_cpu_ms_per_update"]
    ms["framework: python-telegram-bot (parse, dispatch, serialise the call, parse its result), asyncio, "
       "the rest of the handler"] = main_ms - sum(ms.values())
    other = figures["cpu_ms_per_update"] - main_ms
    say(f"ours, {updates} updates, pieces timed: {figures['updates_per_s']:.0f} upd/s; CPU per update "
        f"{figures['cpu_ms_per_update']:.2f} ms = main thread {main_ms:.2f} ms + ledger and store threads {other:.2f} ms")
    for part, value in sorted(ms.items(), key=lambda kv: -kv[1]):
        say(f"  {value:>6.3f} ms {value / main_ms:>5.0%}  {part}")
    if profiler is not None:
        say(f"\nunder cProfile (slower), top {top} functions by own time:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(top)
    return {"figures": figures, "main_thread_ms_per_update": ms, "other_threads_ms_per_update": other}


def shape(rounds: int = 3, updates: int = 2000, quiet: bool = False) -> dict[str, Any]:
    """Rounds of the echo on our setup and of "our reply, made in advance" on it, alternating:
    how much of the echo's rate is left once the bot's own reply is sent, before any of the
    bot's work (the end-to-end target asks 60 % for ours, which also does that work)."""
    say = (lambda *a: None) if quiet else print
    kb = load(ROOT)
    asked = questions()
    payloads = make_updates(updates, asked)
    made = made_replies(kb, payloads)
    rows = []
    with tempfile.TemporaryDirectory(prefix="factbot-bench-e2e-") as tmp, bot_logging(Path(tmp)):
        async def main() -> None:
            warm = make_updates(min(updates, 50), asked)
            for kind in (ECHO_SETUP, ECHO_SHAPED):
                await one_round(kind, kb, warm, Path(tmp) / f"warm-{kind}", made=made_replies(kb, warm))
            for n in range(1, rounds + 1):
                order = (ECHO_SETUP, ECHO_SHAPED) if n % 2 else (ECHO_SHAPED, ECHO_SETUP)
                row = {kind: await one_round(kind, kb, payloads, Path(tmp) / f"round{n}-{kind}", made=made)
                       for kind in order}
                row["share"] = row[ECHO_SHAPED]["updates_per_s"] / row[ECHO_SETUP]["updates_per_s"]
                rows.append(row)
                say(f"{n:>5} {row[ECHO_SETUP]['updates_per_s']:>10.0f} {row[ECHO_SHAPED]['updates_per_s']:>12.0f} "
                    f"{row['share']:>8.0%}   cpu ms/update {row[ECHO_SETUP]['cpu_ms_per_update']:.2f} / "
                    f"{row[ECHO_SHAPED]['cpu_ms_per_update']:.2f}")

        say(f"{updates} updates a round; {LABELS[ECHO_SETUP]!r} against {LABELS[ECHO_SHAPED]!r}")
        say(f"{'round':>5} {'echo setup':>10} {'our reply':>12} {'share':>8}")
        asyncio.run(main())
    median = statistics.median(r["share"] for r in rows)
    say(f"median share: {median:.0%} (highest round {max(r['share'] for r in rows):.0%})")
    return {"rounds": rows, "share_median": median}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--updates", type=int, default=2000, help="updates fed per round (default 2000)")
    p.add_argument("--json", type=Path, help="also write the figures here")
    p.add_argument("--flood-limits", action="store_true",
                   help="keep Telegram's flood limits in ours and the echo on our setup (30 messages a second): "
                        "measures the limit, not the bot")
    p.add_argument("--profile", action="store_true",
                   help="instead: where ours spends its time (pieces timed, then the top functions under cProfile)")
    p.add_argument("--shape", action="store_true",
                   help="instead: the echo on our setup against the same sending the bot's own reply, made in advance")
    args = p.parse_args()
    if args.shape:
        figures = shape(args.rounds, args.updates)
    elif args.profile:
        figures = breakdown(args.updates, top=30)
    else:
        figures = run(args.rounds, args.updates, flood_limits=args.flood_limits, quiet=False)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
