"""Bad input, generated: whatever people (or a misbehaving client) send, the bot neither fails
nor sends Telegram anything it would refuse, nor reflects the user's markup back at them.

Two routes, both property-based (Hypothesis with a fixed seed and no example database: the same
inputs on every run):

- whole updates through the real `Application` (as `tests/test_tg_handlers.py` feeds them:
  `process_update`, a `RecordingRequest`, the real handlers, routing and addressing, a real
  question store): messages, edits, captions, channel posts, empty updates, button presses and
  inline queries, in private chats, groups, supergroups, forum topics and channels;
- questions straight through `answer()` and the renderers, which is much faster.

Each test runs a few hundred inputs; the `slow` variants (`pytest -m slow`) run 10,000 each.
Every reply sent with `parse_mode=HTML` must pass `tests/html_check.py` (only Telegram's tags,
balanced, every & < > escaped, within 4096 characters) and must not carry the user's markup
unescaped; no update may reach the error handler or log an error.
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
import itertools
import json
import logging
import re
import time
from collections import Counter
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, seed, settings
from hypothesis import strategies as st
from telegram import Update
from telegram.ext import BaseRateLimiter

from bot import render
from bot.answer import answer, context_of
from bot.config import Settings
from bot.knowledge import load
from bot.render import TELEGRAM_LIMIT, explain_text, to_html, to_json, to_text
from bot.store import Store
from bot.tg.addressing import addressing
from bot.tg.app import build_application

from .conftest import ROOT, TODAY
from .fake_bot_api import BOT_ID, BOT_USER, BOT_USERNAME, TOKEN, FakeBotApi, RecordingRequest, entities_for
from .html_check import HtmlError, check

FAST_EXAMPLES = 250  # through the Application
CORE_FAST_EXAMPLES = 150  # straight through answer() and the renderers
SLOW_EXAMPLES = 10_000
# Reproducible: a fixed seed per run size, no example database (the same inputs every run).
FUZZ = dict(deadline=None, database=None, print_blob=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
                                   HealthCheck.filter_too_much])
KB = load(ROOT)  # the strategies draw on its examples and names

CANARY = "zqxjv"  # a word no answer contains: where it shows up, user text was echoed
EXAMPLES = sorted({e.text for e in KB.examples()} | {e.text for e in KB.negatives})
NAMES = sorted({v for c in KB.concepts.values() for v in c.variants})
MARKUP = [
    "<b>", "</b>", "<i>", "</i>", "<u>", "<s>", "<code>", "<pre>", "<tg-spoiler>", "<blockquote>", "</a>",
    "<script>", "</script>", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<b", "b>", "</", "<>",
    "<<", ">>", "<!--", "-->", "<![CDATA[", "]]>", '<a href="https://evil.example">', "<a href='javascript:x'>",
    "&", "&amp;", "&lt;", "&gt;", "&quot;", "&#60;", "&#x3C;", "&nbsp;", "&amp;amp;", "&#0;", "&#xD800;", "&&", "&;",
    "**", "__", "`", "```", "~~", "||", "*", "_", "~", "\\", '"', "'", "[x](https://t.me/x)", "#", ">",
    f"<b>{CANARY}</b>", f"<i>{CANARY}", f"{CANARY}</i>", f"<script>{CANARY}</script>", f"&amp;{CANARY}",
    f"{CANARY}&lt;", f"&{CANARY};", f"**{CANARY}**", f"`{CANARY}`", f'<a href="https://x.example/{CANARY}">{CANARY}</a>',
    f"<tg-spoiler>{CANARY}</tg-spoiler>", f"<pre>{CANARY}", CANARY,
]
INVISIBLE = [chr(c) for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0))] + [
    "\u00ad", "\u034f", "\u061c", "\u180e", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2028", "\u2029",
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2060", "\u2066", "\u2067", "\u2068", "\u2069", "\ufeff",
    "\ufffc", "\ufffd", "\U000e0001", "\U0001f600", "\u0301", "\u0651",
]
MENTIONS = [f"@{BOT_USERNAME}", f"@{BOT_USERNAME.upper()}", "@other_bot", "@someone_else", "@", "@@", f"@{BOT_USERNAME}x"]
PREFIXES = [  # weighted towards questions: "", "/ask " and a mention come up most
    *[""] * 12, *["/ask "] * 6, *[f"@{BOT_USERNAME} "] * 4, "/ask", f"/ask@{BOT_USERNAME} ",
    f"/ask@{BOT_USERNAME.title()} ", "/ask@other_bot ",
    f"@{BOT_USERNAME} ", "@other_bot ", "/ASK ", " /ask ", "/ask@ ", "/ask@@x ", "/", "/ ", "/nonsense ",
    "/start ", "/start", "/help", "/topics", "/sources", "/why", "/about", "/privacy", "/follow ", "/unfollow ",
    "/stats", "/reload", "/pause", "/resume", f"/start@{BOT_USERNAME} ", "/start@other_bot ", "/timeline",
]
LANGUAGE_CODES = [None, "en", "ar", "ru", "uk", "fr", "", "pt-br", "zh-hans", "EN", "x" * 35]


def _lengthen(chunk: str, size: int) -> str:
    chunk = chunk if chunk.strip() else "where is assad "
    return (chunk * (size // len(chunk) + 1))[:size]


piece = st.one_of(
    st.sampled_from(EXAMPLES), st.sampled_from(NAMES), st.sampled_from(MARKUP), st.sampled_from(INVISIBLE),
    st.sampled_from(MENTIONS), st.text(max_size=12), st.just(" "),
)
short_text = st.lists(piece, max_size=10).map("".join)
long_text = st.builds(_lengthen, short_text, st.sampled_from([4095, 4096, 4097, 4500, 6000, 8192]))
body_text = st.integers(0, 9).flatmap(lambda k: long_text if k == 0 else st.one_of(short_text, st.text(max_size=300)))
question_text = st.builds(lambda prefix, body, suffix: prefix + body + suffix,
                          st.sampled_from(PREFIXES), body_text,
                          st.sampled_from(["", "", "", "?", " @other_bot", f" @{BOT_USERNAME}"]))


# -- updates ------------------------------------------------------------------------------------
@dataclasses.dataclass
class Case:
    """One generated input: the updates to feed (an edit may follow its original) and what the
    user typed, for the echo check."""

    updates: list[dict]
    typed: str
    chat_id: int | None
    private_question: bool = False  # a private text message that is no command: must get a reply


def _user(draw, uid: int | None = None) -> dict:
    out: dict[str, Any] = {"id": uid or draw(st.integers(1, 2**40)), "is_bot": False, "first_name": "Rana"}
    lang = draw(st.sampled_from(LANGUAGE_CODES))
    if lang is not None:
        out["language_code"] = lang
    return out


def _chat(draw, kind: str) -> dict:
    if kind == "private":
        uid = draw(st.integers(1, 2**40))
        return {"id": uid, "type": "private", "first_name": "Rana"}
    if kind == "group":
        return {"id": -draw(st.integers(1, 999_999_999)), "type": "group", "title": "Syria <b>watchers</b> &"}
    if kind == "channel":
        return {"id": -1_000_000_000_000 - draw(st.integers(1, 10**9)), "type": "channel", "title": "News",
                "username": "newschannel"}
    chat = {"id": -1_000_000_000_000 - draw(st.integers(1, 10**9)), "type": "supergroup", "title": "Syria watchers"}
    if kind == "forum":
        chat["is_forum"] = True
    return chat


@st.composite
def cases(draw) -> Case:
    kind = draw(st.sampled_from(["message"] * 6 + ["edited_message", "channel_post", "edited_channel_post",
                                                    "caption", "empty", "callback_query", "inline_query"]))
    if kind == "empty":
        extra = draw(st.sampled_from([{}, {"unknown_update_kind": {"x": 1}}]))
        return Case([extra], "", None)
    if kind == "inline_query":
        text = draw(st.one_of(short_text, st.text(max_size=256)))[:256]
        query = {"id": str(draw(st.integers(1, 10**12))), "from": _user(draw), "query": text, "offset": ""}
        if draw(st.booleans()):
            query["chat_type"] = draw(st.sampled_from(["sender", "private", "group", "supergroup", "channel"]))
        return Case([{"inline_query": query}], text, None)
    if kind == "callback_query":
        return _callback(draw)

    channel = kind in ("channel_post", "edited_channel_post")
    chat_kind = "channel" if channel else draw(st.sampled_from(["private", "private", "group", "supergroup", "forum"]))
    chat = _chat(draw, chat_kind)
    text = draw(question_text)
    msg: dict[str, Any] = {"message_id": draw(st.integers(1, 2**31 - 1)), "date": int(time.time()), "chat": chat}
    if channel:
        msg["sender_chat"] = chat
    elif chat_kind != "private" and draw(st.integers(0, 9)) == 0:  # an anonymous group admin
        msg["from"] = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
        msg["sender_chat"] = chat
    else:
        msg["from"] = _user(draw, chat["id"] if chat_kind == "private" else None)
    if kind == "caption":
        msg["photo"] = [{"file_id": "p", "file_unique_id": "p1", "width": 10, "height": 10}]
        msg["caption"] = text[:1024]
        if entities_for(msg["caption"]):
            msg["caption_entities"] = entities_for(msg["caption"])
    else:
        msg["text"] = text
        entities = entities_for(text)
        if draw(st.integers(0, 9)) == 0 and text:  # the bot picked from the member list: a text mention
            units = len(text.encode("utf-16-le")) // 2
            start = draw(st.integers(0, units - 1))
            entities.append({"type": "text_mention", "offset": start, "length": draw(st.integers(1, units - start)),
                             "user": BOT_USER})
        if entities:
            msg["entities"] = sorted(entities, key=lambda e: e["offset"])
    if chat_kind in ("group", "supergroup", "forum") and draw(st.integers(0, 19)) == 0:
        msg["is_automatic_forward"] = True
    if chat_kind == "forum" and draw(st.booleans()):
        thread = draw(st.integers(2, 10**6))
        msg["message_thread_id"], msg["is_topic_message"] = thread, True
        msg["reply_to_message"] = {"message_id": thread, "date": int(time.time()), "chat": chat, "from": BOT_USER,
                                   "forum_topic_created": {"name": "Homs", "icon_color": 7322096}}
    elif not channel:
        reply = draw(st.sampled_from([None, None, "bot", "user"]))
        if reply:
            sender = BOT_USER if reply == "bot" else {"id": 7, "is_bot": False, "first_name": "Other"}
            msg["reply_to_message"] = {"message_id": draw(st.integers(1, 2**31 - 1)), "date": int(time.time()),
                                       "chat": chat, "from": sender, "text": draw(short_text) or "an earlier answer"}
    updates = []
    if kind.startswith("edited"):
        if draw(st.booleans()):  # the original was seen (and maybe answered) first
            updates.append({kind.replace("edited_", ""): {**msg, "text": draw(question_text) or "homs"}})
        msg = {**msg, "edit_date": msg["date"] + 5}
    updates.append({"message" if kind == "caption" else kind: msg})
    private_question = kind == "message" and chat_kind == "private" and not text.startswith("/")
    return Case(updates, text, chat["id"], private_question)


def _callback(draw) -> Case:
    chat = _chat(draw, draw(st.sampled_from(["private", "group", "supergroup", "forum"])))
    intent = draw(st.sampled_from(sorted(KB.intents) + ["no_such_topic", ""]))
    data = draw(st.one_of(
        st.just(f"a:{intent}"),
        st.sampled_from(["en", "ar", "ru", "uk", "xx", ""]).map(lambda lang: f"a:{intent}:{lang}"),
        st.text(max_size=20).map(lambda t: f"f:{t}:{'1' if len(t) % 2 else '0'}"),
        st.text(max_size=64),
    ))
    query: dict[str, Any] = {"id": str(draw(st.integers(1, 10**12))), "from": _user(draw), "chat_instance": "ci",
                             "data": data}
    where = draw(st.sampled_from(["message", "message", "inaccessible", "inline"]))
    if where == "message":
        query["message"] = {"message_id": draw(st.integers(1, 2**31 - 1)), "date": int(time.time()), "chat": chat,
                            "from": BOT_USER, "text": "an earlier answer"}
    elif where == "inaccessible":
        query["message"] = {"message_id": draw(st.integers(1, 2**31 - 1)), "date": 0, "chat": chat}
    else:
        query["inline_message_id"] = "im-1"
    return Case([{"callback_query": query}], data, chat["id"] if where != "inline" else None)


# -- the checks on what was sent ----------------------------------------------------------------
def assert_valid_reply(text: str, parse_mode: str | None, typed: str) -> None:
    """A message Telegram accepts, that does not reflect the user's markup."""
    assert text and text.strip(), "an empty message (Telegram refuses it)"
    if parse_mode == "HTML":
        try:
            check(text)
        except HtmlError as exc:
            raise AssertionError(f"invalid Telegram HTML: {exc}\n--- sent:\n{text}") from None
        assert_not_echoed(typed, text)
    else:
        assert parse_mode is None, f"unexpected parse mode {parse_mode}"
        units = len(text.encode("utf-16-le")) // 2
        assert units <= TELEGRAM_LIMIT, f"a plain reply of {units} UTF-16 units, over Telegram's limit: {text[:200]!r}..."


OWN_MARKUP = re.compile(r"</?[bi]>|&(?:amp|lt|gt|quot);")  # what the renderer itself writes


def assert_not_echoed(typed: str, sent_html: str) -> None:
    """The user's text never lands in HTML unescaped: not whole, and not around the canary.

    (A text made only of the renderer's own tags, "</b>" say, is in every bold answer; an echo
    of it would unbalance the tags, which `check` catches.)"""
    if re.search(r"[<>&]", OWN_MARKUP.sub("", typed)) and len(typed.strip()) >= 4:
        assert typed not in sent_html, f"the user's text was echoed raw: {typed[:200]!r}"
    start = typed.find(CANARY)
    while start != -1:
        around = typed[max(0, start - 12): start + len(CANARY) + 12]
        if around != html.escape(around, quote=False):
            assert around not in sent_html, f"user markup {around!r} echoed unescaped"
        start = typed.find(CANARY, start + 1)


class PassThroughLimiter(BaseRateLimiter):
    """No throttling: the fuzz sends thousands of replies; flood control is tested elsewhere."""

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        return await callback(*args, **kwargs)


class ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class Harness:
    """The bot's Application on its own event loop, fed one generated case at a time."""

    def __init__(self, tmp_path) -> None:
        self.api = FakeBotApi()
        self.store = Store.open(tmp_path / "fuzz.sqlite3", "fuzz-key", flush_seconds=0.05)
        self.settings = Settings(token=TOKEN, user_replies_per_minute=1000, feedback_in_groups=True)
        self.app = build_application(self.settings, KB, request=RecordingRequest(self.api), store=self.store)
        # Telegram's flood limits would make thousands of replies take minutes; they are the
        # rate limiter's business and tested with it. (python-telegram-bot has no public setter.)
        self.app.bot._rate_limiter = PassThroughLimiter()
        self.failures: list[BaseException] = []
        self.app.add_error_handler(self._on_error)  # runs after the bot's own error handler
        self.runner = asyncio.Runner()
        self.runner.run(self.app.initialize())
        self.update_ids = itertools.count(1)
        self.tried = 0
        self.seen: Counter[str] = Counter()  # Bot API calls made, for the printed summary

    async def _on_error(self, update: object, context) -> None:
        self.failures.append(context.error)

    def close(self) -> None:
        self.runner.run(self.app.shutdown())
        self.runner.close()

    def feed(self, case: Case) -> None:
        self.tried += 1
        self.api.calls.clear()
        for payload in case.updates:
            update = {"update_id": next(self.update_ids), **payload}
            for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
                if key in update:
                    self.api.chats[update[key]["chat"]["id"]] = update[key]["chat"]
            self.runner.run(self.app.process_update(Update.de_json(json.loads(json.dumps(update)), self.app.bot)))
        if self.failures:
            error = self.failures[0]
            self.failures.clear()
            raise AssertionError(f"the update reached the error handler: {type(error).__name__}: {error}") from error
        self.check_sent(case)

    def check_sent(self, case: Case) -> None:
        self.seen.update(c.method + (" (HTML)" if c.get("parse_mode") == "HTML" else "") for c in self.api.calls)
        sent = [c for c in self.api.calls if c.method in ("sendMessage", "editMessageText")]
        for call in sent:
            assert_valid_reply(call["text"], call.get("parse_mode"), case.typed)
            if case.chat_id is not None:
                assert int(call["chat_id"]) == case.chat_id, "a reply went to another chat"
        for call in self.api.of("answerCallbackQuery"):
            assert len(call.get("text") or "") <= 200, "a button notice over Telegram's 200 characters"
        for call in self.api.of("answerInlineQuery"):
            results = call["results"]
            assert 1 <= len(results) <= 50
            assert len({r["id"] for r in results}) == len(results), "inline result ids must be unique"
            for result in results:
                content = result["input_message_content"]
                assert_valid_reply(content["message_text"], content.get("parse_mode"), case.typed)
                assert result["title"].strip()
        if case.private_question:
            assert len(self.api.of("sendMessage")) + len(self.api.of("editMessageText")) == 1, \
                "a private question got no reply, or more than one"


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    h = Harness(tmp_path_factory.mktemp("fuzz"))
    h.errors = errors
    try:
        yield h
    finally:
        h.close()
        logging.getLogger().removeHandler(errors)


def private_text(text: str, chat_id: int = 4243) -> Case:
    chat = {"id": chat_id, "type": "private", "first_name": "Rana"}
    payload = {"message_id": 1, "date": int(time.time()), "chat": chat, "text": text,
               "from": {"id": chat_id, "is_bot": False, "first_name": "Rana"}}
    if entities_for(text):
        payload["entities"] = entities_for(text)
    return Case([{"message": payload}], text, chat_id, private_question=not text.startswith("/"))


def _with_private_probes(test):
    for probe in ECHO_PROBES:
        test = example(case=private_text(probe))(test)
    return test


def run_updates(harness: Harness, examples: int) -> int:
    before = harness.tried

    @seed(examples)
    @settings(max_examples=examples, **FUZZ)
    @given(case=cases())
    @_with_private_probes
    def one(case: Case) -> None:
        harness.errors.records.clear()
        harness.feed(case)
        assert not harness.errors.records, "an error was logged: " + harness.errors.records[0].getMessage()

    one()
    return harness.tried - before


def test_fuzzed_updates_through_the_application(harness, record_property):
    tried = run_updates(harness, FAST_EXAMPLES)
    record_property("inputs_tried", tried)
    print(f"fuzz: {tried} generated updates through the Application; calls made: {dict(harness.seen)}")
    assert tried >= FAST_EXAMPLES


@pytest.mark.slow
def test_fuzzed_updates_through_the_application_10000(harness, record_property):
    tried = run_updates(harness, SLOW_EXAMPLES)
    record_property("inputs_tried", tried)
    print(f"fuzz (slow): {tried} generated updates through the Application; calls made: {dict(harness.seen)}")
    assert tried >= SLOW_EXAMPLES


@pytest.mark.parametrize("command", ["/follow", "/unfollow"])
def test_an_overlong_follow_topic_still_gets_a_reply_that_fits(harness, command):
    harness.feed(private_text(f"{command} {'x' * 4080}"))
    [reply] = harness.api.of("sendMessage")
    assert_valid_reply(reply["text"], reply.get("parse_mode"), "")


# -- straight through the core ------------------------------------------------------------------
CONTEXTS = [None] + [context_of(answer(KB, q, today=TODAY)) for q in ("who controls homs?", "where is assad", "what is hts")]


# Always tried first, whatever the seed: markup that is itself valid Telegram HTML, which only
# the canary can show was echoed raw.
ECHO_PROBES = [f"<b>{CANARY}</b>", f"<i>{CANARY}</i> where is assad", f"<script>{CANARY}</script>", f"&amp;{CANARY}",
               f"/ask <b>{CANARY}</b> who controls homs", f"**{CANARY}**", f'<a href="https://x.example">{CANARY}</a>']


def _with_markup_examples(test):
    for probe in ECHO_PROBES:
        test = example(text=probe, lang="en", context=None, as_of=None, surface="private")(test)
    return test


def run_core(examples: int) -> int:
    tried = 0

    @seed(examples)
    @settings(max_examples=examples, **FUZZ)
    @_with_markup_examples
    @given(text=question_text, lang=st.sampled_from(LANGUAGE_CODES), context=st.sampled_from(CONTEXTS),
           as_of=st.one_of(st.none(), st.dates(date(2024, 1, 1), date(2026, 12, 31))),
           surface=st.sampled_from(["private", "group"]))
    def one(text, lang, context, as_of, surface) -> None:
        nonlocal tried
        tried += 1
        reply = answer(KB, text, lang, context=context, as_of=as_of, today=TODAY)
        sent = to_html(KB, reply, surface)
        assert_valid_reply(sent, "HTML", text)
        assert to_text(KB, reply, surface).strip()
        json.dumps(to_json(KB, reply, explain=True), ensure_ascii=False)
        assert_valid_reply(explain_text(KB, reply), None, text)  # /why sends it as it is

    one()
    return tried


def test_fuzzed_questions_through_answer_and_render(record_property):
    tried = run_core(CORE_FAST_EXAMPLES)
    record_property("inputs_tried", tried)
    print(f"fuzz: {tried} generated questions through answer() and the renderers")
    assert tried >= CORE_FAST_EXAMPLES


@pytest.mark.slow
def test_fuzzed_questions_through_answer_and_render_10000(record_property):
    tried = run_core(SLOW_EXAMPLES)
    record_property("inputs_tried", tried)
    print(f"fuzz (slow): {tried} generated questions through answer() and the renderers")
    assert tried >= SLOW_EXAMPLES


# -- the addressing rule on its own, for arbitrary text -----------------------------------------
OUR_MENTION = re.compile(rf"(?<![\w@])@{BOT_USERNAME}\b", re.IGNORECASE)


@seed(1)
@settings(max_examples=200, **FUZZ)
@given(text=question_text, chat_type=st.sampled_from(["private", "group", "supergroup", "channel"]))
def test_addressing_never_fails_and_strips_the_address(text, chat_type):
    from telegram import Message

    chat = {"id": 42 if chat_type == "private" else -100, "type": chat_type}
    payload: dict[str, Any] = {"message_id": 1, "date": 0, "chat": chat, "text": text}
    if entities_for(text):
        payload["entities"] = entities_for(text)
    addressed = addressing(Message.de_json(payload, None), BOT_USERNAME, BOT_ID)
    if chat_type == "private" and text and not text.startswith("/"):
        assert addressed is not None, "every private text is a question"
    if addressed is not None:
        assert addressed.question == addressed.question.strip()
        assert not OUR_MENTION.search(addressed.question), "the bot's own @mention is left in the question"


# -- the renderer for any layout, whatever the knowledge base holds -----------------------------
block_text = st.one_of(short_text, long_text, st.text(min_size=1, max_size=50).map(lambda t: t * 120)).filter(str.strip)


@seed(2)
@settings(max_examples=100, **FUZZ)
@given(blocks=st.lists(st.builds(render.Block, block_text, st.sampled_from(["", "b", "i"]), st.booleans()),
                       min_size=1, max_size=8).filter(lambda bs: any(b.text.strip() for b in bs)))
def test_any_layout_renders_to_valid_telegram_html(blocks):
    """Facts and texts are curated data of any length: however long a paragraph or a list of
    bullets gets, the HTML stays valid and within Telegram's limit (cut between tags, never
    inside a tag or an entity)."""
    reply = answer(KB, "who controls homs?", today=TODAY)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(render, "layout", lambda kb, reply, surface="private", sections=None: blocks)
        sent = render.to_html(KB, reply)
    try:
        check(sent)
    except HtmlError as exc:
        raise AssertionError(f"invalid Telegram HTML: {exc}") from None
