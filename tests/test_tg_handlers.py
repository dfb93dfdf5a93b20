"""The Telegram handlers, driven in-process through the real Application (no network).

Updates go through `Application.process_update`; the HTTP layer is a `RecordingRequest`, so
every Bot API request the handlers make is recorded with its decoded parameters.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from datetime import date

import pytest

from bot.answer import answer, answer_intent, context_of
from bot.config import Settings
from bot.logs import RedactSecrets
from bot.render import explain_text, format_date, to_html
from bot.tg import handlers, inline
from bot.tg.app import build_application, set_commands
from bot.tg.keyboards import CALLBACK_LIMIT, callback_data

from .fake_bot_api import (
    BOT_USERNAME,
    TOKEN,
    FakeBotApi,
    RecordingRequest,
    bot_message,
    buttons,
    callback_query,
    channel_chat,
    feed,
    group_chat,
    inline_query,
    message,
    private_chat,
    user,
)

QUOTE = {"allow_sending_without_reply": True}


@pytest.fixture
def api() -> FakeBotApi:
    return FakeBotApi()


@pytest.fixture
def settings() -> Settings:
    return Settings(token=TOKEN, repeat_window_seconds=120, user_replies_per_minute=3, context_seconds=600)


@pytest.fixture
async def app(api, settings, kb):
    application = build_application(settings, kb, request=RecordingRequest(api))
    await application.initialize()
    yield application
    await application.shutdown()


# -- private chats --------------------------------------------------------------------------
async def test_private_question_is_answered_in_html_as_a_reply(app, api, kb, settings):
    ask = message("who controls homs?")
    await feed(app, api, message=ask)
    [sent] = api.of("sendMessage")
    assert sent["chat_id"] == 42
    assert sent["parse_mode"] == "HTML"
    assert sent["text"] == to_html(kb, answer(kb, "who controls homs?", "en", stale_days=settings.stale_days))
    assert sent["reply_parameters"] == {"message_id": ask["message_id"], **QUOTE}
    assert sent["link_preview_options"] == {"is_disabled": True}


async def test_private_answer_offers_follow_ups_as_buttons(app, api, kb):
    await feed(app, api, message=message("who controls homs?"))
    reply = answer(kb, "who controls homs?")
    [sent] = api.of("sendMessage")
    assert reply.follow_ups
    assert buttons(sent) == [(kb.intents[i].display(), f"a:{i}") for i in (*reply.alternatives, *reply.follow_ups)]


def with_alternatives(module, monkeypatch, *alternatives: str):
    """Make every free-text answer in `module` ambiguous between its intent and `alternatives`."""
    real = module.answer
    monkeypatch.setattr(module, "answer", lambda *a, **kw: dataclasses.replace(real(*a, **kw), alternatives=alternatives))


async def test_private_answer_offers_did_you_mean_buttons_first(app, api, kb, monkeypatch):
    with_alternatives(handlers, monkeypatch, "homs_prison", "homs_capture")
    await feed(app, api, message=message("homs"))
    got = [data for _, data in buttons(api.of("sendMessage")[0])]
    assert got[:2] == ["a:homs_prison", "a:homs_capture"]


async def test_group_answer_offers_only_did_you_mean_buttons(app, api, kb, monkeypatch):
    with_alternatives(handlers, monkeypatch, "homs_prison")
    await feed(app, api, message=message("/ask homs", group_chat()))
    assert [data for _, data in buttons(api.of("sendMessage")[0])] == ["a:homs_prison"]


async def test_out_of_scope_in_private_gets_full_refusal_and_topic_buttons(app, api, kb):
    await feed(app, api, message=message("who controls aleppo?"))
    [sent] = api.of("sendMessage")
    assert sent["text"] == to_html(kb, answer(kb, "who controls aleppo?"))
    assert buttons(sent), "a refusal offers what the bot does cover"


async def test_follow_up_question_is_read_in_the_context_of_the_last_answer(app, api, kb, monkeypatch):
    seen = []
    real = handlers.answer

    def spy(kb_, question, lang="en", context=None, **kw):
        seen.append(context)
        return real(kb_, question, lang, context=context, **kw)

    monkeypatch.setattr(handlers, "answer", spy)
    await feed(app, api, message=message("who controls homs?"))
    await feed(app, api, message=message("and damascus?"))
    assert seen[0] is None
    assert seen[1] == context_of(answer(kb, "who controls homs?"))
    assert api.of("sendMessage")[1]["text"] == to_html(kb, answer(kb, "and damascus?", context=seen[1]))


async def test_context_is_kept_per_user(app, api, monkeypatch):
    seen = []
    real = handlers.answer
    monkeypatch.setattr(handlers, "answer", lambda *a, **kw: seen.append(kw.get("context")) or real(*a, **kw))
    await feed(app, api, message=message("who controls homs?", private_chat(42), user(42)))
    await feed(app, api, message=message("and damascus?", private_chat(43), user(43)))
    assert seen[1] is None


async def test_edited_question_edits_the_earlier_answer(app, api, kb):
    ask = message("who controls homs?")
    await feed(app, api, message=ask)
    [first] = api.of("sendMessage")
    await feed(app, api, edited_message={**ask, "text": "where is assad?", "edit_date": ask["date"] + 5})
    assert len(api.of("sendMessage")) == 1
    [edit] = api.of("editMessageText")
    assert edit["chat_id"] == 42
    assert edit["message_id"] == 5000  # the id the fake API gave the first answer
    assert edit["parse_mode"] == "HTML"
    assert edit["text"] == to_html(kb, answer(kb, "where is assad?", context=context_of(answer(kb, "who controls homs?"))))
    assert first["text"] != edit["text"]


async def test_edited_message_never_answered_before_gets_a_new_answer(app, api):
    ask = message("where is assad?", group_chat())
    await feed(app, api, message=ask)  # chatter: ignored
    await feed(app, api, edited_message={**message(f"@{BOT_USERNAME} where is assad?", group_chat(),
                                                   message_id=ask["message_id"]), "edit_date": 1})
    assert [c.method for c in api.sent()] == ["sendMessage"]


async def test_sticker_in_private_gets_a_short_hint(app, api, kb):
    sticker = {"file_id": "s", "file_unique_id": "s1", "type": "regular", "width": 512, "height": 512,
               "is_animated": False, "is_video": False}
    await feed(app, api, message=message(None, sticker=sticker))
    [sent] = api.of("sendMessage")
    assert sent["text"] == kb.text("tg_non_text")
    assert "parse_mode" not in sent.params


async def test_photo_in_group_is_ignored(app, api):
    photo = [{"file_id": "p", "file_unique_id": "p1", "width": 10, "height": 10}]
    await feed(app, api, message=message(None, group_chat(), photo=photo))
    assert api.sent() == []


async def test_bare_ask_gets_a_usage_hint(app, api, kb):
    await feed(app, api, message=message("/ask"))
    assert api.of("sendMessage")[0]["text"] == kb.text("tg_ask_usage")


# -- commands -------------------------------------------------------------------------------
async def test_start_welcomes_with_as_of_date_and_main_topic_buttons(app, api, kb):
    await feed(app, api, message=message("/start"))
    [sent] = api.of("sendMessage")
    assert format_date(kb, kb.as_of, "en") in sent["text"]
    assert sent["text"].startswith(kb.text("tg_welcome", date="X").split("X")[0][:40])
    data = [d for _, d in buttons(sent)]
    assert data and all(d.startswith("a:") and d[2:] in kb.intents for d in data)


async def test_start_deep_link_opens_that_topic(app, api, kb):
    await feed(app, api, message=message("/start homs_capture"))
    [sent] = api.of("sendMessage")
    assert sent["text"] == to_html(kb, answer_intent(kb, "homs_capture"))
    assert sent["parse_mode"] == "HTML"


async def test_start_deep_link_to_unknown_topic_welcomes(app, api, kb):
    await feed(app, api, message=message("/start nonsense"))
    assert format_date(kb, kb.as_of, "en") in api.of("sendMessage")[0]["text"]


async def test_help_lists_the_commands(app, api, kb):
    await feed(app, api, message=message("/help"))
    text = api.of("sendMessage")[0]["text"]
    assert text == kb.text("tg_help")
    for command in ("/topics", "/sources", "/timeline", "/why", "/privacy"):
        assert command in text


async def test_topics_lists_every_intent_but_help_as_a_button(app, api, kb):
    await feed(app, api, message=message("/topics"))
    data = [d for _, d in buttons(api.of("sendMessage")[0])]
    assert data == [f"a:{i}" for i in kb.intents if i != "help"]
    assert all(len(d.encode()) <= CALLBACK_LIMIT for d in data)


async def test_sources_command_is_the_sources_answer(app, api, kb):
    await feed(app, api, message=message("/sources"))
    assert api.of("sendMessage")[0]["text"] == to_html(kb, answer_intent(kb, "sources"))


async def test_timeline_lists_every_fact_in_event_order(app, api, kb):
    await feed(app, api, message=message("/timeline"))
    text = "\n\n".join(c["text"] for c in api.of("sendMessage"))
    assert all(len(c["text"]) <= 4096 for c in api.of("sendMessage"))
    positions = []
    events = [f for f in kb.facts.values() if f.event_date]  # background is no event
    for fact in sorted(events, key=lambda f: f.event_date or date.min):  # within a day: the files' order
        assert fact.text() in text
        positions.append(text.index(fact.text()))
    assert positions == sorted(positions)


async def test_about_and_privacy(app, api, kb, settings):
    await feed(app, api, message=message("/about"))
    await feed(app, api, message=message("/privacy"))
    about, privacy = (c["text"] for c in api.of("sendMessage"))
    assert format_date(kb, kb.as_of, "en") in about
    assert f"{settings.context_seconds // 60} minutes" in privacy


async def test_why_explains_the_last_answer(app, api, kb):
    await feed(app, api, message=message("/why"))
    assert api.of("sendMessage")[0]["text"] == kb.text("tg_why_nothing")
    await feed(app, api, message=message("where is assad?"))
    await feed(app, api, message=message("/why"))
    assert api.of("sendMessage")[2]["text"] == explain_text(kb, answer(kb, "where is assad?"))


async def test_set_commands_publishes_menus_for_private_chats_and_groups(app, api, kb):
    await set_commands(app)
    calls = api.of("setMyCommands")
    assert len(calls) == 2 * len(kb.ui)  # private chats and groups, in every language
    default, groups = [c for c in calls if "language_code" not in c.params]
    localized = [c for c in calls if c.params.get("language_code") == "ru"]
    assert len(localized) == 2 and localized[0]["commands"][0]["description"] == kb.text("tg_command_start", "ru")
    names = [c["command"] for c in default["commands"]]
    assert {"start", "help", "topics", "sources", "timeline", "why", "about", "privacy"} <= set(names)
    assert "scope" not in default.params
    assert groups["scope"] == {"type": "all_group_chats"}
    assert "ask" in [c["command"] for c in groups["commands"]]
    assert all(0 < len(c["description"]) <= 256 for c in default["commands"] + groups["commands"])


# -- groups ---------------------------------------------------------------------------------
async def test_group_chatter_without_mention_is_ignored(app, api):
    await feed(app, api, message=message("who controls homs?", group_chat()))
    assert api.calls == [c for c in api.calls if c.method == "getMe"]


async def test_group_mention_is_answered_as_a_reply_with_the_group_rendering(app, api, kb):
    ask = message(f"@{BOT_USERNAME} who controls homs?", group_chat())
    await feed(app, api, message=ask)
    [sent] = api.of("sendMessage")
    assert sent["chat_id"] == group_chat()["id"]
    assert sent["reply_parameters"] == {"message_id": ask["message_id"], **QUOTE}
    assert sent["text"] == to_html(kb, answer(kb, "who controls homs?"), surface="group")


async def test_group_out_of_scope_gets_the_short_one_liner(app, api, kb):
    await feed(app, api, message=message("/ask who controls aleppo?", group_chat()))
    [sent] = api.of("sendMessage")
    assert sent["text"] == to_html(kb, answer(kb, "who controls aleppo?"), surface="group")
    assert "\n" not in sent["text"]
    assert "reply_markup" not in sent.params


async def test_group_answer_has_no_follow_up_buttons(app, api, kb, monkeypatch):
    with_alternatives(handlers, monkeypatch)  # not ambiguous: no "did you mean" either
    await feed(app, api, message=message("/ask who controls homs?", group_chat()))
    assert "reply_markup" not in api.of("sendMessage")[0].params


async def test_group_forum_topic_answer_stays_in_the_topic(app, api):
    forum = group_chat(forum=True)
    await feed(app, api, message=message(f"/ask@{BOT_USERNAME} where is assad", forum, thread_id=77))
    assert api.of("sendMessage")[0]["message_thread_id"] == 77


async def test_group_repeat_question_gets_a_pointer_to_the_earlier_answer(app, api, kb):
    chat = group_chat()
    await feed(app, api, message=message("/ask who controls homs?", chat, user(1)))
    earlier = api.of("sendMessage")[0]
    again = message(f"@{BOT_USERNAME} Who controls HOMS", chat, user(2))
    await feed(app, api, message=again)
    pointer = api.of("sendMessage")[1]
    assert pointer["text"] == kb.text("tg_repeat_pointer")
    assert pointer["reply_parameters"] == {"message_id": 5000, **QUOTE}
    assert earlier["text"] != pointer["text"]


async def test_repeat_window_is_per_chat(app, api):
    await feed(app, api, message=message("/ask who controls homs?", group_chat(-1001)))
    await feed(app, api, message=message("/ask who controls homs?", group_chat(-1002)))
    first, second = api.of("sendMessage")
    assert first["text"] == second["text"]


async def test_repeat_window_expires(api, settings, kb):
    from bot.tg.memory import Memory

    now = [1000.0]
    application = build_application(settings, kb, request=RecordingRequest(api), memory=Memory(settings, clock=lambda: now[0]))
    await application.initialize()
    try:
        await feed(application, api, message=message("/ask who controls homs?", group_chat()))
        now[0] += settings.repeat_window_seconds + 1
        await feed(application, api, message=message("/ask who controls homs?", group_chat()))
        first, second = api.of("sendMessage")
        assert first["text"] == second["text"]
    finally:
        await application.shutdown()


async def test_group_user_over_the_rate_gets_one_notice_then_silence(app, api, kb, settings):
    chat = group_chat()
    questions = ["who controls homs", "where is assad", "what is hts", "did damascus fall", "what did golani say",
                 "why is homs important"]
    for q in questions:
        await feed(app, api, message=message(f"/ask {q}", chat, user(5)))
    texts = [c["text"] for c in api.of("sendMessage")]
    assert len(texts) == settings.user_replies_per_minute + 1
    assert texts[-1] == kb.text("tg_rate_limited")
    await feed(app, api, message=message("/ask where is assad", chat, user(6)))  # other users still get answers
    assert len(api.of("sendMessage")) == len(texts) + 1


async def test_group_reply_to_the_bot_is_answered(app, api, kb):
    chat = group_chat()
    ask = message("and damascus?", chat, reply_to=bot_message(chat, 4321))
    await feed(app, api, message=ask)
    [sent] = api.of("sendMessage")
    assert sent["reply_parameters"]["message_id"] == ask["message_id"]


# -- channels -------------------------------------------------------------------------------
async def test_channel_post_with_ask_is_answered_as_a_reply(app, api, kb):
    post = message("/ask who controls homs?", channel_chat())
    await feed(app, api, channel_post=post)
    [sent] = api.of("sendMessage")
    assert sent["chat_id"] == channel_chat()["id"]
    assert sent["reply_parameters"]["message_id"] == post["message_id"]
    assert sent["text"] == to_html(kb, answer(kb, "who controls homs?"), surface="group")
    assert "reply_markup" not in sent.params


async def test_channel_post_without_address_is_ignored(app, api):
    await feed(app, api, channel_post=message("Rebels enter Homs", channel_chat()))
    assert api.sent() == []


# -- buttons --------------------------------------------------------------------------------
async def test_button_press_is_acknowledged_and_answers_that_topic(app, api, kb):
    await feed(app, api, callback_query=callback_query("a:homs_capture", bot_message(private_chat(), 5000)))
    assert [c.method for c in api.calls if c.method != "getMe"] == ["answerCallbackQuery", "sendMessage"]
    assert api.of("answerCallbackQuery")[0]["callback_query_id"] == "cq-1"
    sent = api.of("sendMessage")[0]
    assert sent["text"] == to_html(kb, answer_intent(kb, "homs_capture"))
    assert sent["chat_id"] == 42
    assert "reply_parameters" not in sent.params


async def test_button_press_sets_the_conversation_context(app, api, kb, monkeypatch):
    seen = []
    real = handlers.answer
    monkeypatch.setattr(handlers, "answer", lambda *a, **kw: seen.append(kw.get("context")) or real(*a, **kw))
    await feed(app, api, callback_query=callback_query("a:homs_capture", bot_message(private_chat(), 5000)))
    await feed(app, api, message=message("and damascus?"))
    assert seen[0] == context_of(answer_intent(kb, "homs_capture"))


async def test_button_in_forum_topic_answers_in_that_topic(app, api):
    forum = group_chat(forum=True)
    await feed(app, api, callback_query=callback_query("a:rebels_who", bot_message(forum, 5000, thread_id=77)))
    assert api.of("sendMessage")[0]["message_thread_id"] == 77


async def test_expired_button_is_acknowledged_with_a_notice(app, api, kb):
    await feed(app, api, callback_query=callback_query("a:no_such_topic", bot_message(private_chat(), 5000)))
    [ack] = api.of("answerCallbackQuery")
    assert ack["text"] == kb.text("tg_button_expired")
    assert api.sent() == []


def test_callback_data_fits_telegrams_limit(kb):
    for intent in kb.intents:
        assert len(callback_data(intent).encode()) <= CALLBACK_LIMIT
    with pytest.raises(ValueError):
        callback_data("x" * 70)


# -- inline mode ----------------------------------------------------------------------------
async def test_inline_query_offers_the_best_answer_with_its_date(app, api, kb):
    await feed(app, api, inline_query=inline_query("who controls homs"))
    [call] = api.of("answerInlineQuery")
    assert call["inline_query_id"] == "iq-1"
    assert call["cache_time"] == 300
    assert call["is_personal"] is False
    best = call["results"][0]
    reply = answer(kb, "who controls homs")
    assert best["type"] == "article"
    assert best["id"] == "homs_control"
    assert best["title"] == kb.intents["homs_control"].display()
    assert best["description"] == kb.text("tg_inline_description", date=format_date(kb, reply.as_of, "en"))
    assert best["input_message_content"]["message_text"] == to_html(kb, reply, surface="group")
    assert best["input_message_content"]["parse_mode"] == "HTML"


async def test_inline_query_includes_close_alternatives(app, api, kb, monkeypatch):
    with_alternatives(inline, monkeypatch, "homs_prison", "homs_capture")
    await feed(app, api, inline_query=inline_query("who controls homs"))
    results = api.of("answerInlineQuery")[0]["results"]
    assert [r["id"] for r in results] == ["homs_control", "homs_prison", "homs_capture"]
    assert results[1]["input_message_content"]["message_text"] == to_html(kb, answer_intent(kb, "homs_prison"), surface="group")


async def test_inline_empty_query_offers_main_topics(app, api, kb):
    await feed(app, api, inline_query=inline_query(""))
    ids = [r["id"] for r in api.of("answerInlineQuery")[0]["results"]]
    assert ids and all(i in kb.intents for i in ids)


async def test_inline_out_of_scope_says_so_first(app, api, kb):
    await feed(app, api, inline_query=inline_query("weather in paris"))
    results = api.of("answerInlineQuery")[0]["results"]
    assert results[0]["title"] == kb.text("tg_inline_no_facts_title")
    assert len(results) > 1


# -- errors ---------------------------------------------------------------------------------
async def test_handler_error_is_logged_and_apologised_for(app, api, kb, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(handlers, "answer", broken)
    caplog.set_level(logging.ERROR, logger="bot.tg.handlers")
    await feed(app, api, message=message("who controls homs?"))
    assert api.of("sendMessage")[0]["text"] == kb.text("tg_error")
    assert "RuntimeError" in caplog.text
    assert TOKEN not in caplog.text


async def test_handler_error_in_group_chatter_is_not_apologised_for(app, api, monkeypatch):
    monkeypatch.setattr(handlers, "addressing", lambda *a: (_ for _ in ()).throw(RuntimeError("boom")))
    await feed(app, api, message=message("just chatting", group_chat()))
    assert api.sent() == []


def test_log_filter_keeps_the_token_out_of_messages_and_tracebacks():
    try:
        raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/sendMessage failed")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "url %s", (f"/bot{TOKEN}/getMe",), sys.exc_info())
    RedactSecrets(TOKEN).filter(record)
    formatted = logging.Formatter().format(record)
    assert TOKEN not in formatted
    assert "<token>" in formatted


# -- languages ------------------------------------------------------------------------------
async def test_a_russian_question_is_answered_in_russian_with_russian_buttons(app, api, kb, settings):
    await feed(app, api, message=message("где сейчас Асад?", sender=user(lang="en")))
    [sent] = api.of("sendMessage")
    reply = answer(kb, "где сейчас Асад?", "en", stale_days=settings.stale_days)
    assert reply.lang == "ru"
    assert sent["text"] == to_html(kb, reply)
    assert kb.text("as_of", "ru", date=format_date(kb, reply.as_of, "ru")) in sent["text"]
    pressed = buttons(sent)
    assert pressed and all(data.endswith(":ru") for _, data in pressed)
    assert all(text == kb.intents[data.split(":")[1]].display("ru") for text, data in pressed)
    # pressing one answers in Russian too, whatever the user's Telegram language
    await feed(app, api, callback_query=callback_query(pressed[0][1], bot_message(private_chat(), 5000)))
    answer_sent = api.of("sendMessage")[-1]
    assert answer_sent["text"] == to_html(kb, answer_intent(kb, pressed[0][1].split(":")[1], "ru",
                                                            stale_days=settings.stale_days))


async def test_welcome_uses_the_users_telegram_language(app, api, kb):
    await feed(app, api, message=message("/start", sender=user(lang="uk")))
    [sent] = api.of("sendMessage")
    assert sent["text"] == kb.text("tg_welcome", "uk", date=format_date(kb, kb.as_of, "uk"))
