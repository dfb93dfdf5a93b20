"""The curator workflow: recording from Telegram, feedback buttons, `report`, `suggest`,
operator commands, /follow and the change notifications."""

from __future__ import annotations

import csv
import io
import json
import logging
import sqlite3
import time
from datetime import UTC, date, datetime, timedelta

import pytest
import yaml

from bot import cli
from bot.answer import answer
from bot.changes import changes
from bot.config import Settings
from bot.render import to_html
from bot.report import build, cluster, suggest, suggestions_yaml, to_csv, to_json, to_markdown
from bot.store import DAY_SECONDS, Store, now_iso, read_questions
from bot.tg import curator
from bot.tg.app import build_application
from bot.tg.handlers import STATE_KEY
from bot.tg.keyboards import CALLBACK_LIMIT

from .fake_bot_api import (
    TOKEN,
    FakeBotApi,
    RecordingRequest,
    buttons,
    callback_query,
    feed,
    group_chat,
    message,
    private_chat,
    user,
)
from .test_store import question

OPERATOR = 1


@pytest.fixture
def api() -> FakeBotApi:
    return FakeBotApi()


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "factbot.sqlite3", "test-key", flush_seconds=0.01)
    yield s
    s.close()


def make_settings(**extra) -> Settings:
    return Settings(token=TOKEN, operators=frozenset({OPERATOR}), user_replies_per_minute=50, **extra)


@pytest.fixture
async def app(api, kb, store):
    application = build_application(make_settings(), kb, request=RecordingRequest(api), store=store)
    await application.initialize()
    yield application
    await application.shutdown()


def feedback_buttons(call) -> list[str]:
    return [data for _, data in buttons(call) if data.startswith("f:")]


def texts(api: FakeBotApi) -> list[str]:
    return [c["text"] for c in api.of("sendMessage")]


# -- recording and feedback ------------------------------------------------------------------------
async def test_a_private_question_is_recorded_without_the_user_id(app, api, kb, store):
    await feed(app, api, message=message("Who controls Homs now?", sender=user(31337)))
    store.flush()
    [row] = read_questions(store.path)
    assert (row.text, row.intent, row.chat_type, row.lang, row.answered) == \
        ("who controls homs now", "homs_control", "private", "en", True)
    assert row.knowledge == kb.version, "the report marks the days the knowledge changed"
    assert "31337" not in "\n".join(sqlite3.connect(store.path).iterdump())


async def test_private_answers_carry_feedback_buttons_and_a_press_is_recorded(app, api, kb, store):
    await feed(app, api, message=message("who controls homs?"))
    [sent] = api.of("sendMessage")
    useful, not_useful = feedback_buttons(sent)
    assert useful.endswith(":1") and not_useful.endswith(":0")
    assert len(useful.encode()) <= CALLBACK_LIMIT
    feedback = [t for t, d in buttons(sent) if d.startswith("f:")]
    assert feedback == [kb.text("tg_feedback_useful"), kb.text("tg_feedback_not_useful")]
    await feed(app, api, callback_query=callback_query(not_useful, on=message("answer", private_chat())))
    [ack] = api.of("answerCallbackQuery")
    assert ack["text"] == kb.text("tg_feedback_thanks")
    store.flush()
    [row] = read_questions(store.path)
    assert (row.useful, row.not_useful) == (0, 1)


async def test_refusals_carry_no_feedback_buttons(app, api):
    await feed(app, api, message=message("who controls aleppo?"))
    assert feedback_buttons(api.of("sendMessage")[0]) == []


async def test_group_answers_carry_feedback_buttons_only_when_enabled(api, kb, store):
    for enabled in (False, True):
        api.calls.clear()
        application = build_application(make_settings(feedback_in_groups=enabled), kb, request=RecordingRequest(api), store=store)
        await application.initialize()
        await feed(application, api, message=message(f"/ask who controls homs? {enabled}", group_chat()))
        await application.shutdown()
        assert bool(feedback_buttons(api.of("sendMessage")[0])) is enabled


async def test_without_a_database_answers_have_no_feedback_buttons(api, kb):
    application = build_application(make_settings(), kb, request=RecordingRequest(api))
    await application.initialize()
    await feed(application, api, message=message("who controls homs?"))
    await application.shutdown()
    assert feedback_buttons(api.of("sendMessage")[0]) == []


async def test_a_failed_write_is_not_recorded_with_a_warning_and_the_answer_is_still_sent(api, kb, tmp_path, caplog):
    store = Store.open(tmp_path / "locked.sqlite3", "k", flush_seconds=0.01, busy_seconds=0.05)
    application = build_application(make_settings(), kb, request=RecordingRequest(api), store=store)
    await application.initialize()
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    with caplog.at_level(logging.WARNING, logger="bot.store"):
        await feed(application, api, message=message("who controls homs?"))
        store.flush()
    holder.execute("ROLLBACK")
    holder.close()
    await application.shutdown()
    [sent] = api.of("sendMessage")
    assert sent["text"] == to_html(kb, answer(kb, "who controls homs?"))
    assert "not recorded" in caplog.text and store.not_recorded == 1
    assert read_questions(store.path) == []


# -- operator commands --------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["/reload", "/stats", "/pause", "/resume"])
async def test_non_operators_cannot_use_operator_commands_in_private(app, api, kb, command):
    await feed(app, api, message=message(command, private_chat(5), user(5)))
    assert texts(api) == [kb.text("tg_operators_only")]
    assert app.bot_data[STATE_KEY].paused is False


@pytest.mark.parametrize("command", ["/reload", "/stats", "/pause", "/resume"])
async def test_non_operators_cannot_use_operator_commands_in_groups(app, api, command):
    await feed(app, api, message=message(command, group_chat(), user(5)))
    assert api.of("sendMessage") == []
    assert app.bot_data[STATE_KEY].paused is False


async def test_stats_tell_operators_todays_questions_refusals_and_top_intents(app, api, kb, store):
    for q in ("who controls homs?", "who controls homs now", "where is assad?", "who controls aleppo?"):
        await feed(app, api, message=message(q))
    store.flush()
    api.calls.clear()
    await feed(app, api, message=message("/stats", private_chat(OPERATOR), user(OPERATOR)))
    [reply] = texts(api)
    top = f"{kb.intents['homs_control'].display()} (2), {kb.intents['assad_whereabouts'].display()} (1)"
    assert reply.startswith(kb.text("tg_stats", questions=4, refused=1, rate="25%", top=top) + "\n\n")


async def test_stats_show_the_last_seven_days_as_a_text_chart_and_a_line_a_day(app, api, kb, store):
    now = time.time()
    today = datetime.fromtimestamp(now, UTC).date()
    for days_ago, intent in ((0, "homs_control"), (0, None), (2, "homs_control"), (2, "homs_control"), (2, None),
                             (2, "homs_control"), (6, "homs_control"), (7, "homs_control")):
        question(store, intent=intent, at=now_iso(lambda d=days_ago: now - d * DAY_SECONDS))
    store.flush()
    await feed(app, api, message=message("/stats", private_chat(OPERATOR), user(OPERATOR)))
    [reply] = texts(api)
    week = reply.split("\n\n", 1)[1].split("\n")
    assert week[0] == kb.text("tg_stats_week", chart="▄▁▁▁█▁▅"), "a day seven days back is not in the week"
    assert week[1:] == [kb.text("tg_stats_day", day=(today - timedelta(days=6 - i)).isoformat(), questions=n, rate=rate)
                        for i, (n, rate) in enumerate([(1, "0%"), (0, "0%"), (0, "0%"), (0, "0%"), (4, "25%"), (0, "0%"),
                                                       (2, "50%")])]


@pytest.mark.parametrize("lang", ["ar", "ru", "uk"])
async def test_stats_lines_for_the_week_are_in_the_operators_language(kb, lang):
    from bot.store import DayCount

    text = curator.week_text(kb, [DayCount(date(2025, 3, 1), 3, 1)], lang)
    assert text.splitlines() == [kb.text("tg_stats_week", lang, chart="█"),
                                 kb.text("tg_stats_day", lang, day="2025-03-01", questions=3, rate="33%")]
    assert text != curator.week_text(kb, [DayCount(date(2025, 3, 1), 3, 1)], "en")


def test_sparkline_scales_to_the_busiest_day_and_keeps_empty_days_lowest():
    assert curator.sparkline([0, 1, 2, 4, 8]) == "▁▃▄▅█"
    assert curator.sparkline([0, 0]) == "▁▁" and curator.sparkline([]) == ""


async def test_pause_gives_a_short_note_in_private_silence_in_groups_and_resume_answers_again(app, api, kb):
    op = {"sender": user(OPERATOR)}
    await feed(app, api, message=message("/pause", private_chat(OPERATOR), **op))
    assert texts(api)[-1] == kb.text("tg_paused_on")
    api.calls.clear()
    await feed(app, api, message=message("who controls homs?"))
    await feed(app, api, message=message("/ask who controls homs?", group_chat()))
    assert texts(api) == [kb.text("tg_paused")]
    await feed(app, api, message=message("/resume", private_chat(OPERATOR), **op))
    api.calls.clear()
    await feed(app, api, message=message("who controls homs?"))
    assert texts(api) == [to_html(kb, answer(kb, "who controls homs?"))]


# -- following ----------------------------------------------------------------------------------
async def test_follow_and_unfollow_in_a_private_chat(app, api, kb, store):
    await feed(app, api, message=message("/follow homs_control"))
    await feed(app, api, message=message("/follow"))
    assert store.follows(42) == ["all", "homs_control"]
    await feed(app, api, message=message("/follow aleppo"))
    assert texts(api)[-1].startswith(kb.text("tg_follow_unknown", topic="aleppo", topics="x")[:25])
    await feed(app, api, message=message("/unfollow homs_control"))
    assert store.follows(42) == ["all"]
    await feed(app, api, message=message("/unfollow"))
    assert store.follows(42) == []
    assert texts(api)[-1] == kb.text("tg_unfollow_ok", topic=kb.text("tg_follow_all"))


async def test_in_groups_only_admins_may_follow(app, api, kb, store):
    group = group_chat(-100_500)
    await feed(app, api, message=message("/follow homs_control", group, user(5)))
    assert store.follows(-100_500) == []
    assert texts(api)[-1] == kb.text("tg_follow_admins_only")
    api.admins.add((-100_500, 6))
    await feed(app, api, message=message("/follow homs_control", group, user(6)))
    assert store.follows(-100_500) == ["homs_control"]
    await feed(app, api, message=message("/unfollow", group, user(5)))
    assert store.follows(-100_500) == ["homs_control"]
    await feed(app, api, message=message("/unfollow", group, user(6)))
    assert store.follows(-100_500) == []


def changed_kb(kb):
    """The bundled base with one fact of homs_control reworded."""
    import dataclasses

    fid = kb.intents["homs_control"].facts[0]
    old = kb.facts[fid]
    new = dataclasses.replace(old, statement={**old.statement, "en": old.statement["en"] + " Fighting ended the same day."})
    return dataclasses.replace(kb, facts={**kb.facts, fid: new}), old, new


def test_changes_name_the_intents_whose_facts_changed(kb):
    new_kb, old, new = changed_kb(kb)
    found = changes(kb, new_kb)
    assert "homs_control" in found
    assert all(fid_change.new.id == old.id for items in found.values() for fid_change in items)
    assert [(c.new, c.before) for c in found["homs_control"]] == [(new, old)]
    assert changes(kb, kb) == {}


async def test_followers_get_one_message_once_and_blocked_chats_are_dropped(app, api, kb, store):
    new_kb, old, new = changed_kb(kb)
    store.follow(42, "homs_control", "en")
    store.follow(43, "damascus_status", "en")  # a topic that did not change
    store.follow(-100_600, "all", "ru")
    store.follow(77, "all", "en")
    api.blocked.add(77)
    found = changes(kb, new_kb)
    assert await curator.notify_followers(app, new_kb, found) == 2
    sent = {c["chat_id"]: c["text"] for c in api.of("sendMessage")}
    assert set(sent) == {42, -100_600, 77}  # 77 was tried and refused with 403
    assert kb.text("tg_follow_new", statement=new.text("en")) in sent[42]
    assert kb.text("tg_follow_before", statement=old.text("en")) in sent[42]
    assert kb.text("tg_follow_update", "ru", topic=kb.intents["homs_control"].display("ru")) in sent[-100_600]
    assert 77 not in {f.chat_id for f in store.followers()}, "a chat that blocked the bot is marked inactive"
    api.calls.clear()
    assert await curator.notify_followers(app, new_kb, found) == 0, "never twice"
    assert api.of("sendMessage") == []


# -- report and suggest -----------------------------------------------------------------------------
def test_cluster_groups_similar_questions_largest_first():
    groups = cluster(["who controls aleppo", "who controls aleppo now", "who controls aleppo",
                      "weather in damascus", "what is the weather in damascus"])
    assert [len(g) for g in groups] == [3, 2]
    assert groups[0][0] == "who controls aleppo"


@pytest.fixture
def recorded(store, kb):
    ids = {}
    for text in ("who controls homs", "who controls homs", "where did assad go"):
        ids[text] = question(store, text, kb.matcher.match(text).intent, confidence=0.9)
    for text, lang in (("who controls aleppo", "en"), ("who controls aleppo now", "en"), ("кто контролирует алеппо", "ru"),
                       ("is homs safe to visit", "en"), ("damascus airport flights", "en")):
        question(store, text, None, lang=lang, confidence=0.7)
    question(store, "homs who is the boss there", "homs_control", confidence=0.5)
    question(store, "who controls homs?", "homs_control", confidence=0.5)  # already an example
    store.record_feedback(ids["where did assad go"].id, 5, useful=False)
    store.record_feedback(ids["who controls homs"].id, 5, useful=True)
    store.flush()
    return read_questions(store.path)


def test_report_counts_intents_groups_refusals_and_lists_low_confidence_feedback_and_languages(recorded, kb):
    report = build(recorded, kb)
    assert (report.questions, report.refused, report.useful, report.not_useful) == (10, 5, 1, 1)
    assert report.top_intents[0] == ("homs_control", 4)
    aleppo = report.refused_groups[0]
    assert (aleppo.text, aleppo.count, aleppo.langs, aleppo.names, aleppo.kind) == \
        ("who controls aleppo", 3, ("en", "ru"), ("Aleppo",), "homs_control")
    assert {x.text for x in report.low_confidence} == {"homs who is the boss there", "who controls homs?"}
    assert [(x.intent, x.votes) for x in report.not_useful_answers] == [("assad_whereabouts", 1)]
    assert {x.lang: (x.questions, x.refused) for x in report.by_language} == {"en": (9, 4), "ru": (1, 1)}


def test_refused_questions_about_the_same_name_asked_the_same_way_are_one_group(store, kb):
    asked = ["who controls aleppo", "who controls aleppo", "who controls aleppo now?", "who holds aleppo today",
             "where is aleppo", "where is putin", "where is putin now", "is homs safe to visit"]
    for text in asked:
        question(store, kb.matcher.match(text).canonical, None, confidence=0.5)
    question(store, kb.matcher.match("хто контролює алеппо").canonical, None, lang="uk", confidence=0.5)
    store.flush()
    groups = build(read_questions(store.path), kb).refused_groups
    control = groups[0]
    assert (control.text, control.count, control.langs, control.names, control.kind) == \
        ("who controls aleppo", 5, ("en", "uk"), ("Aleppo",), "homs_control")
    assert set(control.variants) == {"who controls aleppo now", "who holds aleppo today", "хто контролює aleppo"}
    about = {(g.names, g.kind): g.count for g in groups}
    assert about[(("Aleppo",), "assad_whereabouts")] == 1, "where Aleppo is, is another kind of question"
    assert about[(("Vladimir Putin",), "assad_whereabouts")] == 2
    assert about[((), None)] == 1, "a question naming nothing out of scope is grouped by similarity"
    md = to_markdown(build(read_questions(store.path), kb))
    assert md.count("who holds aleppo today") == 1 and "Aleppo, asked like homs_control" in md


def test_report_formats(recorded, kb):
    report = build(recorded, kb)
    data = json.loads(to_json(report))
    assert data["questions"] == 10 and data["refused_groups"][0]["count"] == 3
    rows = list(csv.DictReader(io.StringIO(to_csv(report))))
    assert {r["section"] for r in rows} >= {"total", "top_intent", "refused_group", "low_confidence", "not_useful", "language"}
    md = to_markdown(report)
    for heading in ("## Most asked intents", "## Refused questions, grouped by what they ask about", "## Low-confidence matches",
                    "## Answers marked not useful", "## By language"):
        assert heading in md


def test_suggest_proposes_near_misses_as_yaml_ready_to_paste(recorded, kb):
    items = suggest(kb, recorded)
    proposed = {(s.intent, s.text) for s in items}
    assert ("homs_control", "homs who is the boss there") in proposed
    assert (kb.matcher.match("is homs safe to visit").ranked[0].intent, "is homs safe to visit") in proposed
    texts_ = {s.text for s in items}
    assert "damascus airport flights" not in texts_, "names the bot knows it has no facts on are not examples"
    assert "who controls homs?" not in texts_, "already an example"
    pasted = yaml.safe_load(suggestions_yaml(items))
    assert "homs who is the boss there" in pasted["homs_control"]
    assert all(isinstance(v, list) for v in pasted.values())


def test_cli_report_and_suggest_read_the_database(recorded, store, capsys, monkeypatch, tmp_path):
    for name in [k for k in __import__("os").environ if k.startswith("FACTBOT_")]:
        monkeypatch.delenv(name)
    assert cli.main(["report", "--db", str(store.path), "--format", "json", "--since", "2000-01-01"]) == 0
    assert json.loads(capsys.readouterr().out)["questions"] == 10
    assert cli.main(["report", "--db", str(store.path)]) == 0
    assert capsys.readouterr().out.startswith("# factbot report")
    assert cli.main(["suggest", "--db", str(store.path)]) == 0
    assert "homs who is the boss there" in yaml.safe_load(capsys.readouterr().out)["homs_control"]
    assert cli.main(["report", "--db", str(tmp_path / "nothing.sqlite3")]) == 2
    assert "no database" in capsys.readouterr().err
    assert cli.main(["report"]) == 2


@pytest.mark.parametrize("lang", ["en", "ar", "ru", "uk"])
def test_privacy_says_what_is_recorded_when_a_database_is_used(kb, lang, tmp_path):
    from bot.tg.texts import privacy

    recorded = privacy(kb, Settings(state_dir=tmp_path, retention_days=45), lang)
    assert kb.text("tg_privacy_recorded", lang, days=45) in recorded and "45" in recorded
    assert kb.text("tg_privacy_not_recorded", lang) not in recorded
    assert kb.text("tg_privacy_not_recorded", lang) in privacy(kb, Settings(), lang)
