"""Shared fixtures: the bundled knowledge base (loaded once per test session), a private copy of
its data, and a fake Bot API server running on 127.0.0.1; and the intents of a reply's buttons."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeBase, load
from bot.model import Reply
from bot.tg.keyboards import answer_keyboard, intent_of

from .fake_bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 25)  # fixed, so staleness wording is stable


def topic_buttons(kb: KnowledgeBase, reply: Reply, surface: str = "private") -> list[str | None]:
    """The intents the buttons under `reply` answer on `surface`, in order (it must have buttons)."""
    markup = answer_keyboard(kb, reply, surface)
    assert markup is not None, "the reply has no buttons"
    return [intent_of(b.callback_data) for row in markup.inline_keyboard for b in row]


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load(ROOT)


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the bundled data; errors then name files relative to it."""
    for name in ("knowledge", "intents", "locales"):
        shutil.copytree(ROOT / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
async def api():
    """The fake Bot API, serving on 127.0.0.1 (tests that drive the bot in-process without a
    server define their own `api`, which takes precedence)."""
    server = FakeBotApi()
    await server.start()
    yield server
    await server.stop()
