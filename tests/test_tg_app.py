"""Starting the bot: token check, polling by default, webhook when configured."""

from __future__ import annotations

import socket

import aiohttp
import pytest
from telegram.ext import Application

from bot.config import Settings
from bot.tg import app as tg_app
from bot.tg.app import ALLOWED_UPDATES, build_application, webhook_options

from .fake_bot_api import TOKEN, FakeBotApi, message


def test_run_without_a_token_explains_and_fails(kb, capsys):
    assert tg_app.run(Settings(token=""), kb) == 2
    assert "TELEGRAM_BOT_TOKEN" in capsys.readouterr().err


def test_run_polls_by_default(kb, monkeypatch):
    calls = {}
    monkeypatch.setattr(Application, "run_polling", lambda self, **kw: calls.setdefault("polling", kw))
    monkeypatch.setattr(Application, "run_webhook", lambda self, **kw: calls.setdefault("webhook", kw))
    assert tg_app.run(Settings(token=TOKEN), kb) == 0
    assert list(calls) == ["polling"]
    assert calls["polling"]["allowed_updates"] == ALLOWED_UPDATES


def test_run_uses_a_webhook_when_its_url_is_set(kb, monkeypatch):
    calls = {}
    monkeypatch.setattr(Application, "run_polling", lambda self, **kw: calls.setdefault("polling", kw))
    monkeypatch.setattr(Application, "run_webhook", lambda self, **kw: calls.setdefault("webhook", kw))
    settings = Settings(token=TOKEN, webhook_url="https://bot.example.org/tg/hook", webhook_port=8444,
                        webhook_secret="s3cret")
    assert tg_app.run(settings, kb) == 0
    assert calls == {"webhook": {
        "listen": "127.0.0.1", "port": 8444, "url_path": "tg/hook", "webhook_url": "https://bot.example.org/tg/hook",
        "secret_token": "s3cret", "allowed_updates": ALLOWED_UPDATES, "bootstrap_retries": tg_app.BOOTSTRAP_RETRIES,
    }}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.e2e
async def test_webhook_accepts_updates_with_the_secret_only(kb):
    api = FakeBotApi()
    await api.start()
    port = _free_port()
    settings = Settings(token=TOKEN, api_base_url=api.base_url, webhook_url="https://bot.example.org/hook",
                        webhook_listen="127.0.0.1", webhook_port=port, webhook_secret="s3cret")
    application = build_application(settings, kb)
    await application.initialize()
    await application.start()
    await application.updater.start_webhook(**webhook_options(settings))
    try:
        [set_hook] = api.of("setWebhook")
        assert set_hook["url"] == "https://bot.example.org/hook"
        assert set_hook["secret_token"] == "s3cret"
        url = f"http://127.0.0.1:{port}/hook"
        async with aiohttp.ClientSession() as http:
            wrong = {"update_id": 1, "message": message("who controls homs?")}
            async with http.post(url, json=wrong, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}) as resp:
                assert resp.status == 403
            right = {"update_id": 2, "message": message("who controls homs?")}
            async with http.post(url, json=right, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}) as resp:
                assert resp.status == 200
        [sent] = await api.wait_calls("sendMessage", 1)
        assert sent["reply_parameters"]["message_id"] == right["message"]["message_id"]
        assert sent["parse_mode"] == "HTML"
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        await api.stop()


def test_run_with_a_malformed_token_explains_and_fails(kb, capsys):
    assert tg_app.run(Settings(token="not a token"), kb) == 2
    err = capsys.readouterr().err
    assert "does not look like a bot token" in err and "not a token" not in err
