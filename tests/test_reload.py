"""Hot reload: /reload and SIGHUP build a new base and swap it whole; a bad base is rejected."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal

import pytest

from bot.answer import answer
from bot.config import Settings
from bot.knowledge import load
from bot.render import to_html
from bot.store import Store
from bot.tg import curator
from bot.tg.app import build_application
from bot.tg.handlers import STATE_KEY

from .conftest import ROOT
from .fake_bot_api import TOKEN, FakeBotApi, RecordingRequest, feed, message, private_chat, user

OPERATOR = 1
QUESTION = "who controls homs?"
OLD = "declared full control over the city"
NEW = "declared full control over the city and its outskirts"


@pytest.fixture
def data(tmp_path):
    root = tmp_path / "data"
    for part in ("knowledge", "intents", "locales"):
        shutil.copytree(ROOT / part, root / part)
    return root


@pytest.fixture
def base(data):
    return load(data)


@pytest.fixture
def api() -> FakeBotApi:
    return FakeBotApi()


@pytest.fixture
async def app(api, base, data, tmp_path):
    store = Store.open(tmp_path / "factbot.sqlite3", "k", flush_seconds=0.01)
    settings = Settings(token=TOKEN, data_root=data, operators=frozenset({OPERATOR}))
    application = build_application(settings, base, request=RecordingRequest(api), store=store)
    await application.initialize()
    yield application
    await application.shutdown()


def edit_facts(data, old: str, new: str) -> None:
    path = data / "knowledge" / "facts.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def operator_says(text: str) -> dict:
    return message(text, private_chat(OPERATOR), user(OPERATOR))


async def test_reload_swaps_in_a_valid_base_and_replies_to_the_operator(app, api, data, base):
    edit_facts(data, OLD, NEW)
    await feed(app, api, message=operator_says("/reload"))
    st = app.bot_data[STATE_KEY]
    assert st.kb is not base and NEW in to_html(st.kb, answer(st.kb, QUESTION))
    [reply] = [c["text"] for c in api.of("sendMessage")]
    assert reply == st.kb.text("tg_reload_ok", version=st.kb.version, intents=len(st.kb.intents),
                               changed=len(curator.changes(base, st.kb)))


async def test_an_invalid_base_is_rejected_with_its_errors_and_the_running_one_stays(app, api, data, base):
    edit_facts(data, "asserted_by: reuters", "asserted_by: nobody_knows")
    await feed(app, api, message=operator_says("/reload"))
    assert app.bot_data[STATE_KEY].kb is base
    [reply] = [c["text"] for c in api.of("sendMessage")]
    assert "nobody_knows" in reply and "facts.yaml:" in reply
    assert reply.startswith(base.text("tg_reload_failed", count=1, errors="")[:20])


async def test_questions_answered_during_reloads_never_fail_and_come_from_one_whole_base(app, api, data, base):
    """Valid and invalid reloads while questions pour in: every question gets an answer, and each
    answer is exactly the old base's or the new base's, never a mix."""
    st = app.bot_data[STATE_KEY]
    old_html = to_html(base, answer(base, QUESTION))

    asked = 0

    async def while_reloading():
        nonlocal asked
        reload = asyncio.ensure_future(curator.reload_knowledge(app))
        during = 0
        while not reload.done() or during < 5:
            await feed(app, api, message=message(QUESTION, private_chat(1000 + asked % 50), user(1000 + asked % 50)))
            asked += 1
            during += 1
            await asyncio.sleep(0.005)
        return await reload, during

    edit_facts(data, "asserted_by: reuters", "asserted_by: nobody_knows")  # invalid first
    bad, during_bad = await while_reloading()
    assert bad.kb is None and st.kb is base
    edit_facts(data, "asserted_by: nobody_knows", "asserted_by: reuters")
    edit_facts(data, OLD, NEW)  # then valid
    good, during_good = await while_reloading()
    assert good.kb is st.kb
    assert during_bad > 5 and during_good > 5, "questions were answered while the base was loading"
    new_html = to_html(good.kb, answer(good.kb, QUESTION))
    assert old_html != new_html
    await feed(app, api, message=message(QUESTION))
    asked += 1
    answers = [c["text"] for c in api.of("sendMessage")]
    assert len(answers) == asked, "every question was answered"
    assert set(answers) <= {old_html, new_html}, "each answer comes from one whole base"
    assert answers[:during_bad] == [old_html] * during_bad
    assert answers[-1] == new_html


async def test_sighup_reloads_the_knowledge(app, api, data, base):
    if not hasattr(signal, "SIGHUP"):
        pytest.skip("no SIGHUP on this platform")
    await app.post_init(app)
    try:
        edit_facts(data, OLD, NEW)
        os.kill(os.getpid(), signal.SIGHUP)
        st = app.bot_data[STATE_KEY]
        for _ in range(500):
            if st.kb is not base:
                break
            await asyncio.sleep(0.02)
        assert st.kb is not base and NEW in to_html(st.kb, answer(st.kb, QUESTION))
    finally:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)


async def test_a_reload_tells_followers_what_changed(app, api, data, base):
    st = app.bot_data[STATE_KEY]
    await feed(app, api, message=message("/follow homs_control", private_chat(7), user(7)))
    edit_facts(data, OLD, NEW)
    await curator.reload_knowledge(app)
    await st.notifying
    [update] = [c["text"] for c in api.of("sendMessage") if c["chat_id"] == 7][1:]
    assert NEW in update.replace("\n", " ") and "before:" in update
