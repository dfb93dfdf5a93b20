"""End to end: the real Application long-polls a fake Bot API server on 127.0.0.1.

`build_application(settings, kb)` is used exactly as `python -m bot run` uses it, with
`TELEGRAM_API_BASE_URL` pointing at the fake server; assertions are on the HTTP requests the
bot makes (method, chat, topic, reply target, parse mode, text).
"""

from __future__ import annotations

import pytest

from bot.answer import answer, answer_intent
from bot.config import Settings
from bot.render import format_date, to_html
from bot.tg.app import ALLOWED_UPDATES, build_application

from .fake_bot_api import (
    BOT_USERNAME,
    TOKEN,
    FakeBotApi,
    bot_message,
    callback_query,
    channel_chat,
    group_chat,
    inline_query,
    message,
    private_chat,
    user,
)

pytestmark = pytest.mark.e2e

QUOTE = {"allow_sending_without_reply": True}


@pytest.fixture
async def bot(api, kb):
    """The bot, polling the fake server; stopped and shut down after the test."""
    settings = Settings(token=TOKEN, api_base_url=api.base_url)
    application = build_application(settings, kb)
    await application.initialize()
    await application.post_init(application)
    await application.start()
    await application.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES)
    yield application
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


async def replies(api: FakeBotApi, count: int) -> list:
    """Wait for `count` sent or edited messages in all and return them."""
    await api.wait_for(lambda calls: len([c for c in calls if c.method in ("sendMessage", "editMessageText")]) >= count)
    return api.sent()


async def test_start_up_talks_to_the_configured_server(bot, api):
    await api.wait_calls("getUpdates", 1)
    methods = [c.method for c in api.calls]
    assert methods[0] == "getMe"
    assert methods.count("setMyCommands") == 2 * len(bot.bot_data["factbot"].kb.ui)  # per language
    assert "deleteWebhook" in methods
    polls = api.of("getUpdates")
    assert polls and set(polls[-1]["allowed_updates"]) == set(ALLOWED_UPDATES)


async def test_private_question_is_answered(bot, api, kb):
    ask = api.push({"message": message("Who controls Homs?", private_chat(42), user(42))})["message"]
    [sent] = await replies(api, 1)
    assert sent.method == "sendMessage"
    assert sent["chat_id"] == 42
    assert sent["parse_mode"] == "HTML"
    assert sent["reply_parameters"] == {"message_id": ask["message_id"], **QUOTE}
    assert sent["link_preview_options"] == {"is_disabled": True}
    assert sent["text"] == to_html(kb, answer(kb, "Who controls Homs?"))
    assert "message_thread_id" not in sent.params


async def test_group_chatter_is_ignored_and_a_mention_is_answered(bot, api, kb):
    chat = group_chat()
    api.push({"message": message("did you see the news about homs?", chat, user(1))})
    api.push({"message": message("who controls homs now?", chat, user(2))})
    ask = api.push({"message": message(f"@{BOT_USERNAME} where is assad?", chat, user(3))})["message"]
    [sent] = await replies(api, 1)
    await api.settle(0.2)
    assert len(api.sent()) == 1, "chatter before the mention got no reply"
    assert sent["chat_id"] == chat["id"]
    assert sent["reply_parameters"] == {"message_id": ask["message_id"], **QUOTE}
    assert sent["text"] == to_html(kb, answer(kb, "where is assad?"), surface="group")


async def test_ask_with_our_username_and_a_reply_to_the_bot(bot, api, kb):
    chat = group_chat()
    first = api.push({"message": message(f"/ask@{BOT_USERNAME} who controls homs?", chat, user(1))})["message"]
    [answer_msg] = await replies(api, 1)
    assert answer_msg["reply_parameters"]["message_id"] == first["message_id"]
    api.push({"message": message("/ask@some_other_bot who controls homs?", chat, user(1))})
    follow = api.push({"message": message("and damascus?", chat, user(1), reply_to=bot_message(chat, 5000))})["message"]
    sent = await replies(api, 2)
    assert len(sent) == 2
    assert sent[1]["reply_parameters"] == {"message_id": follow["message_id"], **QUOTE}
    assert sent[1]["parse_mode"] == "HTML"


async def test_forum_topic_keeps_the_thread(bot, api, kb):
    forum = group_chat(-100_333, forum=True)
    ask = api.push({"message": message(f"@{BOT_USERNAME} what is HTS?", forum, thread_id=77)})["message"]
    [sent] = await replies(api, 1)
    assert sent["chat_id"] == forum["id"]
    assert sent["message_thread_id"] == 77
    assert sent["reply_parameters"]["message_id"] == ask["message_id"]
    assert sent["text"] == to_html(kb, answer(kb, "what is HTS?"), surface="group")


async def test_repeat_question_in_a_group_points_to_the_earlier_answer(bot, api, kb):
    chat = group_chat()
    api.push({"message": message("/ask who controls homs", chat, user(1))})
    [first] = await replies(api, 1)
    api.push({"message": message(f"@{BOT_USERNAME} WHO controls Homs??", chat, user(2))})
    sent = await replies(api, 2)
    assert sent[1]["text"] == kb.text("tg_repeat_pointer")
    assert sent[1]["reply_parameters"] == {"message_id": 5000, **QUOTE}
    assert first["text"] != sent[1]["text"]


async def test_button_press_is_acknowledged_and_answered(bot, api, kb):
    api.push({"callback_query": callback_query("a:homs_strategic", bot_message(private_chat(42), 4999), qid="cq-9")})
    [sent] = await replies(api, 1)
    [ack] = api.of("answerCallbackQuery")
    assert ack["callback_query_id"] == "cq-9"
    assert api.calls.index(ack) < api.calls.index(sent), "the button is acknowledged before the answer is sent"
    assert sent["chat_id"] == 42
    assert sent["text"] == to_html(kb, answer_intent(kb, "homs_strategic"))
    assert sent["parse_mode"] == "HTML"


async def test_edited_question_edits_the_answer(bot, api, kb):
    ask = api.push({"message": message("who controls homs?", private_chat(42), user(42))})["message"]
    await replies(api, 1)
    api.push({"edited_message": {**ask, "text": "who are the rebels?", "edit_date": ask["date"] + 3}})
    sent = await replies(api, 2)
    assert [c.method for c in sent] == ["sendMessage", "editMessageText"]
    assert sent[1]["message_id"] == 5000
    assert sent[1]["chat_id"] == 42
    assert sent[1]["parse_mode"] == "HTML"


async def test_inline_query_is_answered_with_articles(bot, api, kb):
    api.push({"inline_query": inline_query("where is assad", qid="iq-7")})
    [call] = await api.wait_calls("answerInlineQuery", 1)
    assert call["inline_query_id"] == "iq-7"
    assert call["cache_time"] == 300
    assert call["is_personal"] is False
    reply = answer(kb, "where is assad")
    best = call["results"][0]
    assert best["id"] == reply.intent
    assert best["input_message_content"] == {
        "message_text": to_html(kb, reply, surface="group"),
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }
    assert best["description"] == kb.text("tg_inline_description", date=format_date(kb, reply.as_of, "en"))


async def test_channel_post_with_ask_is_answered_and_others_ignored(bot, api, kb):
    channel = channel_chat()
    api.push({"channel_post": message("Rebels say they hold Homs", channel)})
    post = api.push({"channel_post": message("/ask who controls homs?", channel)})["channel_post"]
    [sent] = await replies(api, 1)
    await api.settle(0.2)
    assert len(api.sent()) == 1
    assert sent["chat_id"] == channel["id"]
    assert sent["reply_parameters"] == {"message_id": post["message_id"], **QUOTE}
    assert sent["text"] == to_html(kb, answer(kb, "who controls homs?"), surface="group")


async def test_updates_are_confirmed_with_the_offset(bot, api):
    last = None
    for text in ("/ask where is assad", "/ask who controls homs"):
        last = api.push({"message": message(text, group_chat(-100_444))})
    await replies(api, 2)
    await api.wait_for(lambda calls: any((c.get("offset") or 0) > last["update_id"] for c in calls if c.method == "getUpdates"))
