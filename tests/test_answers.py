"""What a person asking the bot sees: sourced, dated, attributed answers, and honest refusals."""

from __future__ import annotations

import html
from datetime import date
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answer import answer, answer_intent, context_of
from bot.attribution import Credit, reporters
from bot.message_length import chunks, fit_html, shorten, telegram_length
from bot.render import TELEGRAM_LIMIT, explain_text, format_date, to_html, to_json, to_text

from .conftest import TODAY, topic_buttons

LANGS = ("en", "ar", "ru", "uk")
FACT_INTENTS = (
    "homs_control", "homs_capture", "homs_residents", "homs_strategic", "homs_prison", "golani_statement",
    "rebels_who", "damascus_status", "damascus_protests", "army_position", "assad_whereabouts",
    "assad_us_outreach", "us_assessment", "statue_toppled", "syria_overview",
)


def ask(kb, question, **kw):
    kw.setdefault("today", TODAY)
    return answer(kb, question, **kw)


def test_where_is_assad_leads_with_moscow_and_says_what_was_reported_before(kb):
    reply = ask(kb, "where is assad")
    text = to_text(kb, reply)
    assert reply.intent == "assad_whereabouts"
    assert text.index("Moscow") < text.index("Reported earlier")
    earlier = text.split("Reported earlier")[1]
    assert "state television" in earlier.lower() and "likely fled" in earlier
    assert "TASS" in reply.sources and "RIA Novosti" in reply.sources
    assert reply.as_of == date(2024, 12, 16)
    assert "As of 16 December 2024." in text


def test_every_answer_states_its_as_of_date_and_sources(kb):
    for iid, intent in kb.intents.items():
        if iid == "help":
            continue
        reply = answer_intent(kb, iid, today=TODAY)
        text = to_text(kb, reply)
        assert "As of " in text, iid
        if intent.facts:
            assert "Sources: " in text, iid


def test_old_news_is_flagged_as_old(kb):
    reply = ask(kb, "where is assad")
    assert reply.stale_days == (TODAY - date(2024, 12, 16)).days
    assert "days ago" in to_text(kb, reply)


def test_alleged_claims_stay_alleged(kb):
    text = to_text(kb, ask(kb, "did assad ask trump for help"))
    assert "allegedly" in text and "Bloomberg" in text


def test_contested_whereabouts_show_who_says_what(kb):
    text = to_text(kb, ask(kb, "did assad flee damascus?"))
    assert "state television" in text.lower()
    assert "Western media" in text


@pytest.mark.parametrize(
    "question, name",
    [("who controls aleppo?", "Aleppo"), ("where is putin", "Putin"), ("did hama fall", "Hama"),
     ("what did erdogan say about homs", "Erdogan"), ("what does mazloum abdi say", "Mazloum Abdi")],
)
def test_near_misses_are_refused_naming_what_is_not_covered(kb, question, name):
    reply = ask(kb, question)
    assert reply.intent is None
    assert "I have no facts about" in to_text(kb, reply) and name in to_text(kb, reply)
    assert "Homs" in to_text(kb, reply)  # and says what it does cover


def test_unrelated_question_is_refused_plainly(kb):
    reply = ask(kb, "what is the price of bitcoin today")
    assert reply.intent is None
    assert "I don't know that" in to_text(kb, reply)


def test_group_refusal_is_one_short_line(kb):
    reply = ask(kb, "who controls aleppo")
    assert "\n" not in to_html(kb, reply, surface="group")


def test_point_in_time_uses_only_what_was_reported_by_then(kb):
    reply = ask(kb, "where is assad", as_of=date(2024, 12, 15))
    text = to_text(kb, reply)
    assert "Moscow" in text and "16 December" not in text
    assert "remained" in text.split("Reported earlier")[1]
    assert reply.as_of == date(2024, 12, 8)
    assert "As known on 15 December 2024: the newest fact here is from 8 December 2024." in text


def test_follow_up_is_read_in_context(kb):
    first = ask(kb, "who controls homs?")
    assert first.intent == "homs_control"
    second = ask(kb, "and damascus?", context=context_of(first))
    assert second.intent == "damascus_status"
    third = ask(kb, "what about assad?", context=context_of(first))
    assert third.intent == "assad_whereabouts"


def test_two_questions_in_one_message_are_both_answered(kb):
    reply = ask(kb, "who controls homs and where is assad")
    assert reply.intent == "homs_control"
    assert [s.intent for s in reply.sections] == ["homs_control", "assad_whereabouts"]


@pytest.mark.parametrize("question", [
    "is homs govt or rebels now?? pls answer",  # "pls answer" is not a question about help
    "what did bloomberg say about assad and the us",  # one question: "and the us" is part of it
    "глазной врач куда свалил-то? в россию?",
])
def test_a_short_tail_is_not_taken_for_a_second_question(kb, question):
    assert len(ask(kb, question).sections) == 1


def test_bare_name_asks_its_main_question(kb):
    assert ask(kb, "homs?").intent == "homs_control"
    assert ask(kb, "assad").intent == "assad_whereabouts"


def test_html_is_escaped_and_within_telegram_limit(kb):
    for iid in kb.intents:
        html_text = to_html(kb, answer_intent(kb, iid, today=TODAY))
        assert len(html_text) <= TELEGRAM_LIMIT
        _assert_valid_telegram_html(html_text)
    long_question = "<b>where</b> is assad & co " * 300
    _assert_valid_telegram_html(to_html(kb, ask(kb, long_question)))


def test_json_has_the_contract_fields(kb):
    data = to_json(kb, ask(kb, "where is asad"))
    assert set(data) >= {"question", "intent", "confidence", "answer", "sources", "as_of", "lang", "alternatives"}
    assert data["intent"] == "assad_whereabouts"
    assert 0 <= data["confidence"] <= 1
    assert data["as_of"] == "2024-12-16"
    refused = to_json(kb, ask(kb, "who controls aleppo"))
    assert refused["intent"] is None and 0 <= refused["confidence"] <= 1


def test_every_sentence_sent_comes_from_a_fact_or_the_interface_texts(kb):
    reply = ask(kb, "who controls homs")
    for fact in reply.facts:
        assert fact.text() in to_text(kb, reply)
    assert {f.id for f in reply.facts} <= set(kb.intents["homs_control"].facts)


class _StrictTelegramHTML(HTMLParser):
    allowed = {"b", "i"}

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        assert tag in self.allowed and not attrs, tag
        self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack.pop() == tag, tag

    def handle_entityref(self, name):
        assert name in {"lt", "gt", "amp", "quot"}, name


def _assert_valid_telegram_html(text: str) -> None:
    parser = _StrictTelegramHTML()
    parser.feed(text)
    parser.close()
    assert not parser.stack
    assert "<" not in text.replace("<b>", "").replace("</b>", "").replace("<i>", "").replace("</i>", "")


def test_telegram_length_counts_utf16_units_as_telegram_does():
    assert telegram_length("homs") == 4
    assert telegram_length("😀") == 2 and len("😀") == 1
    emoji = "😀" * 3000  # 3000 code points, 6000 units: over the limit though len() says it fits
    assert telegram_length(shorten(emoji)) <= TELEGRAM_LIMIT and shorten(emoji).endswith("…")
    assert all(telegram_length(c) <= TELEGRAM_LIMIT for c in chunks([emoji, "a", emoji]))
    assert telegram_length(fit_html(f"<b>{emoji}</b>")) <= TELEGRAM_LIMIT


def test_a_fact_is_credited_to_its_original_reporter_its_sources_list_to_everyone(kb):
    fact = kb.facts["assad_in_moscow_asylum"]  # TASS and RIA Novosti, each citing a Kremlin source
    assert reporters(kb, [fact], "en", Credit.ORIGINAL) == ("TASS", "RIA Novosti")
    cited = reporters(kb, [fact], "en", Credit.CITED)
    everyone = reporters(kb, [fact], "en", Credit.EVERYONE)
    assert "TASS" not in cited and set(cited) < set(everyone) and {"TASS", "RIA Novosti"} < set(everyone)


def test_the_reply_carries_the_question_in_canonical_form(kb):
    assert ask(kb, "Where is Assad??").canonical == ask(kb, "where is assad").canonical == kb.matcher.canonical("where is assad")
    assert "canonical" not in to_json(kb, ask(kb, "where is assad"), explain=True)


def test_why_speaks_the_language_of_the_reply(kb):
    english = explain_text(kb, ask(kb, "where is assad"))
    russian = explain_text(kb, ask(kb, "где Асад?"))
    assert "closest examples:" in english and "facts used:" in english
    assert "ближайшие примеры:" in russian and "closest examples" not in russian and "facts used" not in russian


@pytest.mark.parametrize("stray", ["\u0750", "\ufb50", "\u0870"])  # Arabic Supplement, presentation form, Extended-B
def test_an_example_with_a_stray_letter_of_another_script_is_still_answered(kb, stray):
    """The letters pick the Arabic examples, none of which shares a word with the question;
    its canonical form is still word for word an English example."""
    reply = answer(kb, f"where's the president{stray}", today=TODAY)
    assert reply.intent == "assad_whereabouts"
    assert to_html(kb, reply)


# --- How answers are put together (issue 15) ---------------------------------------------------

LONG_QUESTION = ("where is assad and who controls homs and what is happening in damascus and what did golani say "
                 "and who are the rebels")


def paragraphs(html_text):
    return html_text.split("\n\n")


def date_lines(kb, lang, html_text):
    """The paragraphs that say what date the answer is as of."""
    starts = tuple("<i>" + kb.text(key, lang, date="\0", newest="\0").split("\0")[0] for key in ("as_of", "as_of_point"))
    return [p for p in paragraphs(html_text) if p.startswith(starts)]


def test_a_long_reply_keeps_its_sources_and_dates(kb):
    reply = ask(kb, LONG_QUESTION)
    assert len(reply.sections) >= 4
    html_text = to_html(kb, reply)
    assert telegram_length(html_text) <= TELEGRAM_LIMIT
    assert "<i>Sources: " in html_text and "<i>As of " in html_text and "days ago" in html_text
    # no heading is left with nothing under it
    labels = {f"<b>{kb.intents[i].display('en')}</b>" for i in kb.intents}
    parts = paragraphs(html_text)
    for n, part in enumerate(parts):
        if part in labels:
            assert not parts[n + 1].startswith(("<b>", "<i>")), html_text


def test_a_reply_too_long_for_one_message_drops_whole_sections_and_names_them(kb):
    reply = _multi(kb, list(FACT_INTENTS[:12]), "ru")
    html_text = to_html(kb, reply)
    assert telegram_length(html_text) <= TELEGRAM_LIMIT and not html_text.endswith("…")
    left_out = html_text.split(kb.text("left_out", "ru", options="").split("{")[0].strip()[:20])[1].split("\n\n")[0]
    dropped = [s for s in reply.sections if f"<b>{kb.intents[s.intent].display('ru')}</b>" not in html_text]
    assert dropped
    for section in dropped:
        assert kb.intents[section.intent].display("ru") in left_out
    parts = paragraphs(html_text)
    at = next(n for n, p in enumerate(parts) if p.startswith("<i>Источники: "))
    assert parts[at + 1].startswith("<i>По состоянию на ") and "прошло дней" in parts[at + 2]


def test_a_fact_appears_once_per_reply(kb):
    reply = ask(kb, LONG_QUESTION)
    ids = [f.id for f in reply.facts]
    assert len(ids) == len(set(ids))
    assert to_text(kb, reply).count("entered Damascus early on Sunday") == 1


def _multi(kb, intents, lang):
    from bot.answer import compose
    from bot.model import Match

    def one(iid):
        return Match(question=iid, normalized=iid, intent=iid, confidence=1.0, ranked=(), alternatives=(),
                     concepts=(), unknown=(), closest=(), reason="example")

    first = one(intents[0])
    first = Match(**{**first.__dict__, "extra": tuple(one(i) for i in intents[1:])})
    return compose(kb, first, lang, today=TODAY)


@given(st.lists(st.sampled_from(FACT_INTENTS), min_size=1, max_size=8, unique=True), st.sampled_from(LANGS),
       st.sampled_from([None, "2024-12-08", "2024-12-16", "2025-02-01"]))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_reply_of_any_length_ends_with_its_sources_and_as_of_line(kb, intents, lang, point):
    from bot.answer import compose

    reply = _multi(kb, intents, lang)
    if point:
        reply = compose(kb, reply.match, lang, as_of=date.fromisoformat(point), today=TODAY)
    html_text = to_html(kb, reply)
    assert telegram_length(html_text) <= TELEGRAM_LIMIT
    plain = html.unescape(html_text)
    shown = [f for f in reply.facts if f.text(lang) in plain]
    assert all(plain.count(f.text(lang)) == 1 for f in shown), html_text
    parts = paragraphs(html_text)
    sources_at = [n for n, p in enumerate(parts) if p.startswith("<i>" + kb.text("sources_line", lang, sources=""))]
    dated = [f.reported for f in shown if f.reported]
    if not dated:  # nothing reported by that date: no sources, no date
        assert not sources_at and not date_lines(kb, lang, html_text) and reply.as_of is None
        return
    assert len(sources_at) == 1, html_text
    assert date_lines(kb, lang, html_text) == [parts[sources_at[0] + 1]], html_text  # one, right after the sources
    assert format_date(kb, max(dated), lang) in parts[sources_at[0] + 1]


def test_the_us_view_leads_and_says_events_overtook_it(kb):
    for question in ("what does the us think?", "what did biden say?"):
        reply = ask(kb, question)
        text = to_text(kb, reply)
        assert reply.intent == "us_assessment", question
        assert text.index("Biden administration believed") < text.index("entered Damascus"), text
        assert "Events overtook this" in text and "Reported earlier" not in text
        assert text.index("Biden administration believed") < text.index("Events overtook this")
    button = to_text(kb, answer_intent(kb, "us_assessment", today=TODAY))
    assert button.index("Biden administration believed") < button.index("entered Damascus")


def test_who_is_in_charge_of_syria_leads_with_the_transitional_president(kb):
    text = to_text(kb, ask(kb, "who is in charge of syria now?"))
    first = text.split("\n")[0]
    assert "al-Sharaa" in first and "transitional" in first, text


def test_the_timeline_puts_each_day_in_the_order_things_happened(kb):
    from bot.tg.texts import timeline

    text = "\n".join(timeline(kb, "en"))
    order = ["gained control of Homs", "had likely fled", "entered Damascus early", "arrived in Moscow"]
    positions = [text.index(p) for p in order]
    assert positions == sorted(positions), positions


def test_as_of_a_date_lists_only_sources_published_by_then(kb):
    text = to_text(kb, ask(kb, "what are your sources", as_of=date(2024, 12, 8)))
    assert "SANA" not in text and "Syrian presidency" not in text and "Reuters" in text


def test_as_of_a_date_there_is_one_date_line(kb):
    text = to_text(kb, ask(kb, "where is assad", as_of=date(2024, 12, 10)))
    lines = [p for p in text.split("\n\n") if p.startswith(("As of", "As known on"))]
    assert lines == ["As known on 10 December 2024: the newest fact here is from 8 December 2024."], text
    same_day = to_text(kb, ask(kb, "where is assad", as_of=date(2024, 12, 8)))
    assert [p for p in same_day.split("\n\n") if p.startswith(("As of", "As known on"))] == ["As of 8 December 2024."]


def test_an_answer_without_a_fact_has_no_date(kb):
    before = ask(kb, "where is assad", as_of=date(2024, 12, 7))
    assert not before.facts and before.as_of is None and to_json(kb, before)["as_of"] is None
    text = to_text(kb, before)
    assert "As of" not in text and "As known on" not in text and "Nothing on this had been reported by 7 December 2024" in text
    hello = ask(kb, "hi")
    assert hello.intent == "help" and hello.as_of is None and "As of" not in to_text(kb, hello)


def test_a_fact_is_reported_on_the_day_its_cited_source_published_it(kb):
    for fact in kb.facts.values():
        outlets = {c.outlet for c in fact.sources}
        if outlets == {"seed_report"}:
            assert fact.reported == date(2024, 12, 8), fact.id
    for fid in ("statue_hafez_assad_toppled", "damascus_rebels_attempt_encirclement"):
        assert kb.facts[fid].event_date == date(2024, 12, 7) and kb.facts[fid].reported == date(2024, 12, 8)


def test_background_facts_carry_no_report_date(kb):
    background = [f for f in kb.facts.values() if {kb.sources[c.outlet].type for c in f.sources} == {"background"}]
    assert background
    for fact in background:
        assert fact.reported is None and fact.event_date is None
    text = to_text(kb, ask(kb, "does russia have bases there"))
    line = next(p for p in text.split("\n") if "Background (curators):" in p and "Tartus" in p)
    assert line.endswith("(Background (curators))"), line


def test_did_you_mean_does_not_double_the_question_mark(kb):
    from bot.answer import compose
    from bot.model import Match

    for lang in LANGS:
        match = Match(question="x", normalized="x", intent="homs_control", confidence=0.6, ranked=(),
                      alternatives=("rebels_who", "homs_capture"), concepts=(), unknown=(), closest=(), reason="example")
        text = to_text(kb, compose(kb, match, lang, today=TODAY))
        assert "??" not in text and "؟؟" not in text and "?؟" not in text, (lang, text)


def test_the_us_assessment_is_credited_to_the_report_that_carries_it(kb):
    assert kb.facts["us_biden_regime_could_collapse"].asserted_by == "seed_report"


def test_the_burned_documents_fact_leaves_open_whose_escape_it_was(kb):
    fact = kb.facts["prison_documents_burned"]
    assert "فرارها" not in fact.text("ar")  # "its escape": the authorities'
    assert "своєї" not in fact.text("uk")


# --- Asking back: "which of these do you mean?" ---------------------------------------------------

def ask_back(kb, lang, alternatives=("homs_control", "rebels_who")):
    from bot.answer import compose
    from bot.model import Match, Scored

    match = Match(question="who is in charge", normalized="who is in charge", intent=None, confidence=0.55,
                  ranked=tuple(Scored(a, 0.55) for a in alternatives), alternatives=alternatives, concepts=(),
                  unknown=(), closest=(), reason="ask_back")
    return compose(kb, match, lang, today=TODAY)


@pytest.mark.parametrize("lang", LANGS)
def test_asking_back_offers_the_close_topics_in_the_users_language(kb, lang):
    reply = ask_back(kb, lang)
    assert reply.intent is None and reply.alternatives == ("homs_control", "rebels_who")
    text = to_text(kb, reply)
    assert text.startswith(kb.text("ask_back", lang)), text
    for iid in reply.alternatives:
        assert kb.intents[iid].display(lang) in text
    assert kb.text("refusal_plain", lang) not in text
    assert not date_lines(kb, lang, to_html(kb, reply))
    assert reply.as_of is None and not reply.facts
    data = to_json(kb, reply)
    assert data["intent"] is None and data["alternatives"] == ["homs_control", "rebels_who"] and data["as_of"] is None


def test_asking_back_in_a_group_is_short_and_keeps_the_choices(kb):
    reply = ask_back(kb, "en", ("homs_control", "rebels_who", "syria_overview"))
    text = to_text(kb, reply, "group")
    assert "I'm not sure which of these you mean" in text and "Who are the rebels?" in text
    assert "outside" not in text


@pytest.mark.parametrize("surface", ["private", "group"])
def test_asking_back_shows_the_close_topics_as_buttons(kb, surface):
    from bot.tg.keyboards import answer_keyboard, intent_of

    reply = ask_back(kb, "ar", ("homs_control", "rebels_who"))
    markup = answer_keyboard(kb, reply, surface)
    buttons = [b for row in markup.inline_keyboard for b in row]
    assert [intent_of(b.callback_data) for b in buttons] == ["homs_control", "rebels_who"]
    assert buttons[0].text == kb.intents["homs_control"].display("ar")


def test_asking_back_in_inline_mode_offers_each_close_topic(kb):
    import dataclasses

    from bot.tg.inline import results

    class AsksBack:
        def match(self, question, context=None):
            return ask_back(kb, "en", ("homs_control", "rebels_who")).match

    articles = results(dataclasses.replace(kb, matcher=AsksBack()), "who is in charge", "en", stale_days=30)
    assert [a.id for a in articles] == ["homs_control", "rebels_who"]


MESSAGES = {  # questions a person asks, and the word that joins two of them, per language
    "en": (" and ", ["where is assad", "who controls homs", "what is happening in damascus", "what did golani say",
                     "who are the rebels", "what does the us think", "why is homs important", "latest news"]),
    "ar": (" و", ["وين الأسد", "مين مسيطر على حمص", "شو عم يصير بدمشق", "شو قال الجولاني", "مين هم الثوار",
                  "شو رأي أمريكا", "ليش حمص مهمة"]),
    "ru": (" и ", ["где асад", "кто контролирует хомс", "что происходит в дамаске", "что сказал джулани",
                   "кто такие повстанцы", "что думают сша", "почему хомс важен"]),
    "uk": (" і ", ["де асад", "хто контролює хомс", "що відбувається в дамаску", "що сказав джулані",
                   "хто такі повстанці", "що думають сша", "чому хомс важливий"]),
}


@given(st.sampled_from(LANGS).flatmap(lambda lang: st.tuples(
    st.just(lang), st.lists(st.sampled_from(MESSAGES[lang][1]), min_size=1, max_size=6, unique=True))))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_multi_question_message_in_any_language_keeps_its_sources_and_date(kb, asked):
    lang, questions = asked
    reply = ask(kb, MESSAGES[lang][0].join(questions), lang=lang)
    html_text = to_html(kb, reply)
    assert telegram_length(html_text) <= TELEGRAM_LIMIT
    if reply.facts:
        parts = paragraphs(html_text)
        at = [n for n, p in enumerate(parts) if p.startswith("<i>" + kb.text("sources_line", reply.lang, sources=""))]
        assert len(at) == 1 and parts[at[0] + 1].startswith("<i>"), html_text
        assert format_date(kb, reply.as_of, reply.lang) in parts[at[0] + 1] or len(reply.sections) > 1, html_text


@pytest.mark.parametrize("old, new, message", [
    ("    sources:\n      - outlet: curators_background\n",
     "    sources:\n      - outlet: curators_background\n    reported: 2024-12-08\n",
     "background from the curators is no report: remove 'reported'"),
    ("    about: [homs, rebels]\n", "    about: [homs, aleppo_city]\n",
     "about names 'aleppo_city', which is not in intents/aliases.yaml"),
    ("    event_date: 2024-12-07\n    reported: 2024-12-08\n", "    event_date: 2024-12-07\n",
     "is missing 'reported'"),
])
def test_the_dating_and_about_rules_are_checked_at_load(data, old, new, message):
    from bot.knowledge import KnowledgeError, load

    path = data / "knowledge" / "facts.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(KnowledgeError) as err:
        load(data)
    assert any(message in str(e) and "knowledge/facts.yaml:" in str(e) for e in err.value.errors), err.value.errors


def test_the_sections_a_long_reply_leaves_out_are_one_tap_away(kb):
    reply = _multi(kb, list(FACT_INTENTS[:12]), "ru")
    dropped = [s.intent for s in reply.sections if f"<b>{kb.intents[s.intent].display('ru')}</b>" not in to_html(kb, reply)]
    assert to_json(kb, reply)["left_out"] == dropped
    buttons = topic_buttons(kb, reply)
    assert buttons[:len(dropped)] == dropped
