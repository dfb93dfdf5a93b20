"""Questions as people write them: a long message with the question inside, a name in a news
frame, negated and yes/no forms, who said what, and asking back instead of refusing a question
about the story."""

from __future__ import annotations

import json

import pytest

from bot.answer import answer
from bot.knowledge import KnowledgeError, load
from bot.render import to_json, to_text
from bot.tg.inline import results as inline_results

from .conftest import ROOT, TODAY, topic_buttons
from .test_cli import bot


def matched(kb, question: str):
    return kb.matcher.match(question)


# -- the question inside a long message ------------------------------------------------------

@pytest.mark.parametrize("question", [
    "my family is in homs and we have been trying to call them for two days, nobody picks up, who is running the city now?",
    "у меня родные в хомсе, второй день не берут трубку. кто сейчас управляет городом?",
])
def test_a_long_message_is_read_for_the_question_it_asks(kb, question):
    m = matched(kb, question)
    assert m.intent == "homs_control", (m.intent, m.reason)


def test_the_question_part_takes_its_subject_from_the_rest_of_the_message(kb):
    # "who is running the city now?" names no city; the message around it does
    m = matched(kb, "my aunt lives near the clock tower in homs. the phones have been dead since friday. "
                    "who is running the city now?")
    assert m.intent == "homs_control" and "question_part" in m.reason, (m.intent, m.reason)


def test_a_long_message_naming_a_place_we_lack_in_its_question_is_refused_naming_it(kb):
    m = matched(kb, "i have been following the news about homs all week and i am worried. who controls aleppo now?")
    assert m.intent is None and "aleppo" in m.unknown, (m.intent, m.reason)


# -- news frames, negations, yes/no --------------------------------------------------------

@pytest.mark.parametrize(("question", "intent"), [
    ("what became of bashar?", "assad_whereabouts"),
    ("whatever happened to hts", "rebels_who"),
    ("что стало с Асадом?", "assad_whereabouts"),
    ("що сталося з Асадом", "assad_whereabouts"),
    ("ما مصير بشار الاسد؟", "assad_whereabouts"),
])
def test_a_name_in_a_news_frame_asks_its_main_question(kb, question, intent):
    assert matched(kb, question).intent == intent


@pytest.mark.parametrize(("question", "intent"), [
    ("homs isn't held by the army anymore, right?", "homs_control"),
    ("the army doesn't control homs now, does it", "homs_control"),
    ("assad didn't stay in damascus, did he?", "assad_whereabouts"),
    ("is assad dead?", "assad_whereabouts"),
    ("did his plane crash?", "assad_whereabouts"),
])
def test_negated_and_yes_no_questions_ask_the_plain_question(kb, question, intent):
    assert matched(kb, question).intent == intent


def test_a_word_is_not_taken_for_a_misspelt_name_next_to_a_real_name(kb):
    # "يوجد بشار" (Bashar is found) is two edits from "زوجة بشار" (Bashar's wife, out of scope)
    m = matched(kb, "أين يوجد بشار الأسد الآن؟")
    assert m.intent == "assad_whereabouts" and "asma_al_assad" not in m.unknown


def test_a_spelling_fix_keeps_the_first_letter(kb):
    # "victory" is not a misspelt "history" (an out-of-scope topic)
    assert "history" not in kb.matcher.canonical("rebels claim victory in damascus").split()


# -- who said what ---------------------------------------------------------------------------

@pytest.mark.parametrize(("question", "intent"), [
    ("what did the kremlin say?", "assad_whereabouts"),
    ("what did golani say", "golani_statement"),
    ("what did biden say?", "us_assessment"),
    ("does washington think assad will collapse", "us_assessment"),
])
def test_a_question_about_what_someone_said_goes_where_their_words_are(kb, question, intent):
    assert matched(kb, question).intent == intent


@pytest.mark.parametrize(("lang", "question", "name"), [
    ("en", "what did trump say?", "Donald Trump"),
    ("ar", "ماذا قال ترامب؟", "دونالد ترامب"),
    ("ru", "что сказал трамп?", "Дональд Трамп"),
    ("uk", "що сказав трамп?", "Дональд Трамп"),
])
def test_no_statement_from_someone_is_said_plainly_with_the_nearest_topic(kb, lang, question, name):
    reply = answer(kb, question, lang, today=TODAY)
    assert reply.intent is None and reply.alternatives == ("assad_us_outreach",)
    text = to_text(kb, reply)
    assert text.startswith(kb.text("no_statement", lang, names=name)), text
    assert kb.intents["assad_us_outreach"].display(lang).rstrip("?؟") in text
    assert kb.text("refusal_scope", lang) not in text  # not "outside what my fact base covers"
    buttons = topic_buttons(kb, reply)
    assert buttons[0] == "assad_us_outreach"


def test_a_topic_we_lack_about_a_name_of_the_story_offers_that_names_main_question(kb):
    reply = answer(kb, "is assad sick?", "en", today=TODAY)
    text = to_text(kb, reply)
    assert reply.intent is None and reply.alternatives == ("assad_whereabouts",)
    assert "no facts about health" in text and "Where is Assad?" in text


def test_a_long_message_about_a_topic_we_lack_names_it_once_and_offers_the_likeliest_topics(kb):
    # In a long message what we lack is often a detail: the name's main question comes first,
    # then the topics the message scored nearest, as buttons.
    question = ("i know you cover homs but my question is about casualties, how many residents were casualties "
                "during the fighting in homs last week, do you have any numbers at all")
    reply = answer(kb, question, "en", today=TODAY)
    text = to_text(kb, reply)
    assert reply.intent is None and reply.alternatives[0] == "homs_control" and len(reply.alternatives) == 3
    assert text.count("casualties") == 1 and kb.text("refusal_scope", "en") not in text
    assert text.splitlines()[-1].startswith("The nearest topics I have: Who controls Homs?")
    buttons = topic_buttons(kb, reply)
    assert buttons[:3] == list(reply.alternatives)
    short = answer(kb, "how many residents were casualties in homs", "en", today=TODAY)
    assert short.intent is None and short.alternatives == ("homs_control",)


@pytest.mark.parametrize(("question", "lang", "name"), [
    ("is putin hiding assad in moscow", "en", "Vladimir Putin"),
    ("что говорит Лавров про Асада", "ru", "Лавров"),
])
def test_a_person_we_lack_asked_about_a_name_of_the_story_offers_that_names_main_question(kb, question, lang, name):
    reply = answer(kb, question, lang, today=TODAY)
    text = to_text(kb, reply)
    assert reply.intent is None and reply.match.decision == "out_of_scope_name" and reply.alternatives == ("assad_whereabouts",)
    assert name in text.splitlines()[0] and kb.text("refusal_scope", lang) not in text
    assert text.splitlines()[-1] == kb.text("nearest_topic", lang, options=kb.intents["assad_whereabouts"].display(lang))
    # in a private chat its button comes first, then the main topics; inline, it is the first result after the refusal
    buttons = topic_buttons(kb, reply)
    assert buttons[0] == "assad_whereabouts" and len(buttons) > 1
    articles = inline_results(kb, question, lang, stale_days=30)
    assert [a.id for a in articles[:2]] == ["none", "assad_whereabouts"]


def test_a_long_message_refused_for_a_place_we_lack_offers_the_likeliest_topics(kb):
    # Hama is the question's subject, so it is refused, naming Hama; but a long message about
    # the story is offered its likeliest topics rather than told the story is outside our scope.
    question = "after homs fell my friends keep sending me news about hama and idlib, who controls hama now that assad is gone"
    reply = answer(kb, question, "en", today=TODAY)
    text = to_text(kb, reply)
    assert reply.intent is None and reply.match.decision == "out_of_scope_name" and reply.unknown == ("Hama",)
    assert len(reply.alternatives) == 3 and "homs_control" in reply.alternatives
    assert text.startswith("I don't know that: I have no facts about Hama.")
    assert text.splitlines()[-1].startswith("The nearest topics I have:") and kb.text("refusal_scope", "en") not in text
    data = json.loads(bot("ask", "--json", question).stdout)
    assert data["intent"] is None and data["alternatives"] == list(reply.alternatives) and data["unknown"] == ["Hama"]


def test_a_long_message_naming_only_what_we_lack_is_offered_the_models_likeliest_topics(kb):
    # It names the Emirates and no place, person or group of the story ("left damascus" is
    # Assad's flight), so it had no topics to offer; the learned model's likeliest come first.
    question = ("The private plane, which left Damascus few hours ago, has landed in Abu Dhabi, United Arab Emirates, "
                "a source said.")
    reply = answer(kb, question, "en", today=TODAY)
    text = to_text(kb, reply)
    assert reply.intent is None and reply.match.decision == "out_of_scope_name"
    assert text.startswith("I don't know that: I have no facts about the United Arab Emirates.")
    assert reply.alternatives[0] == "assad_whereabouts" and len(reply.alternatives) == 3
    assert not {"help", "sources"} & set(reply.alternatives)
    assert text.splitlines()[-1].startswith("The nearest topics I have: Where is Assad?")


def test_a_place_we_lack_is_still_named_and_gets_the_main_topics(kb):
    reply = answer(kb, "who controls aleppo", "en", today=TODAY)
    text = to_text(kb, reply)
    assert reply.intent is None and not reply.alternatives
    assert "Aleppo" in text and kb.text("refusal_scope", "en") in text


# -- asking back -----------------------------------------------------------------------------

def test_a_question_about_the_story_no_intent_is_sure_of_is_asked_back(kb):
    reply = answer(kb, "tell me more about the rebels and assad", "en", today=TODAY)
    assert reply.intent is None and reply.match.reason == "ask_back"
    assert 2 <= len(reply.alternatives) <= 3 and "rebels_who" in reply.alternatives
    text = to_text(kb, reply)
    assert text.startswith(kb.text("ask_back", "en")) and "outside" not in text
    data = to_json(kb, reply)
    assert data["intent"] is None and data["alternatives"] == list(reply.alternatives)


def test_asking_back_through_the_command_line(kb):
    result = bot("ask", "--json", "tell me more about the rebels and assad")
    data = json.loads(result.stdout)
    assert data["intent"] is None and "rebels_who" in data["alternatives"], data
    assert "not sure" in data["answer"]


def test_a_long_message_about_the_story_in_words_we_do_not_know_is_asked_back(kb):
    # slang we have no word for is a detail of a long message naming Homs; alone it is not
    reply = answer(kb, "honestly mate the whole thing in homs is bonkers, gobsmacked how quick it went, "
                       "anyone know whats what", "en", today=TODAY)
    assert reply.intent is None and reply.match.decision == "ask_back", reply.match.reason
    assert "homs_control" in reply.alternatives and "outside" not in to_text(kb, reply)
    short = matched(kb, "bonkers gobsmacked homs whats what")
    assert short.intent is None and short.reason != "ask_back" and not short.alternatives


def test_a_question_about_nothing_we_know_is_not_asked_back(kb):
    m = matched(kb, "what is the best recipe for bread")
    assert m.intent is None and m.reason != "ask_back" and not m.alternatives


# -- the data: real questions and who said what ----------------------------------------------

def test_real_questions_are_examples_with_their_source(kb):
    import yaml

    asked = yaml.safe_load((ROOT / "intents" / "asked.yaml").read_text(encoding="utf-8"))
    assert len(asked) >= 100 and all(q["source"].startswith("http") for q in asked)
    examples = {(e.intent, e.text) for e in kb.examples()}
    first = next(q for q in asked if q["intent"])
    assert (first["intent"], first["text"].strip()) in examples
    negatives = {e.text for e in kb.negatives}
    assert any(q["text"].strip() in negatives for q in asked if q["intent"] is None)


def test_a_bad_real_question_is_reported_at_its_line(data):
    path = data / "intents" / "asked.yaml"
    path.write_text(path.read_text(encoding="utf-8")
                    + '- {text: "who is in charge", intent: nobody_knows, lang: en, kind: forum, source: "https://x.test/1"}\n'
                    + '- {text: "where is he", intent: assad_whereabouts, lang: en, kind: forum, source: "somewhere"}\n',
                    encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    with pytest.raises(KnowledgeError) as err:
        load(data)
    errors = err.value.errors
    assert any(e.startswith(f"intents/asked.yaml:{len(lines) - 1}:") and "nobody_knows" in e for e in errors), errors
    assert any(e.startswith(f"intents/asked.yaml:{len(lines)}:") and "source" in e for e in errors), errors


def test_said_in_must_name_intents(data):
    path = data / "intents" / "aliases.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("said_in: [golani_statement]", "said_in: [golani_speech]"),
                    encoding="utf-8")
    with pytest.raises(KnowledgeError) as err:
        load(data)
    assert any("golani_speech" in e and "not an intent" in e for e in err.value.errors), err.value.errors
    line = 1 + path.read_text(encoding="utf-8").splitlines().index("    said_in: [golani_speech]")
    assert any(e.startswith(f"intents/aliases.yaml:{line}:") for e in err.value.errors), err.value.errors


def test_a_short_word_is_no_misspelt_part_of_a_name(kb):
    # "اكد الرئيس" (the president confirmed) is one letter from "ابو الرئيس" (the president's
    # father, Hafez): a name misspelt in a word of three letters would be another word.
    canonical = kb.matcher.match("في أول تصريحات له، أكد الرئيس السوري السابق بشار الأسد أنه لم يغادر سوريا").canonical
    assert "hafez" not in canonical.split() and "assad" in canonical.split()
    assert "aleppo" in kb.matcher.match("who controls alepo").canonical.split()  # a long name still forgives a typo


def test_the_arabic_article_is_not_counted_as_letters_of_a_misspelt_name(kb):
    # "الامويون" (the Umayyads, of Damascus's Umayyad Square) is two letters of six from
    # "العلويون" (the Alawites): too far to be a typo, so the message names no group we lack.
    m = kb.matcher.match("احتفالات الامويون في دمشق")
    assert "alawites" not in m.unknown and "alawites" not in m.canonical.split()
    assert "alawites" in kb.matcher.match("ماذا عن العلويين").unknown  # the name itself is still read
    assert "golani" in kb.matcher.match("وين صار الجولانى").canonical.split()  # one letter off is still a typo


@pytest.mark.parametrize("question", ["هل هبطت بسلام؟", "طائرته هبطت بسلام؟", "أم هبطت بسلام في مكان ما؟"])
def test_safely_in_arabic_is_not_a_greeting(kb, question):
    # "بسلام" is "safely" (ب + سلام): "did it land safely?" asks about Assad's flight, and gets
    # no "hello, here is what I can do" reply; "سلام" alone still greets.
    m = kb.matcher.match(question)
    assert m.intent != "help" and "greeting" not in m.canonical.split()
    assert kb.matcher.match("سلام").intent == "help"


@pytest.mark.parametrize(("question", "lang"), [("why", "en"), ("who", "en"), ("почему", "ru"), ("зачем", "ru")])
def test_a_bare_question_word_is_too_short_to_tell_not_answered_nor_called_out_of_scope(kb, question, lang):
    # "why" alone asks nothing yet: it gets neither why Homs matters (the examples' commonest
    # "why") nor "outside what my fact base covers"; it is told it is too short, with the topics.
    reply = answer(kb, question, lang, today=TODAY)
    text = to_text(kb, reply)
    assert reply.intent is None and reply.match.decision == "too_vague"
    assert text.startswith(kb.text("refusal_vague", lang)) and kb.text("refusal_plain", lang) not in text
    assert kb.text("refusal_scope", lang) in text
    assert to_text(kb, reply, "group") == kb.text("refusal_short_vague", lang)


@pytest.mark.parametrize(("question", "lang"), [
    ("he held on for years and then lost everything in days, how come?", "en"),
    ("كيف خسر كل شيء بهذه السرعة؟", "ar"),
])
def test_a_question_only_unlike_ours_is_not_called_outside_the_fact_base(kb, question, lang):
    # Closer to the out-of-scope examples than to ours, it may still be ours in words we lack:
    # the reply says nothing in the base answers it, not that the question is outside it.
    reply = answer(kb, question, lang, today=TODAY)
    text = to_text(kb, reply)
    assert reply.intent is None and reply.match.decision == "like_out_of_scope_examples"
    assert text.startswith(kb.text("refusal_unsure", lang)) and kb.text("refusal_plain", lang) not in text
    assert to_text(kb, reply, "group") == kb.text("refusal_short_unsure", lang)
    # a subject we never heard of is still outside it
    moon = answer(kb, "who controls the moon", "en", today=TODAY)
    assert to_text(kb, moon).startswith(kb.text("refusal_plain", "en"))


@pytest.mark.parametrize(("question", "intent"), [
    ("hi bot where is assad", "assad_whereabouts"),
    ("hey bot where's assad hiding", "assad_whereabouts"),
    ("hi bot, who controls homs", "homs_control"),
    ("привет бот, где асад", "assad_whereabouts"),
    ("مرحبا يا بوت، أين الأسد", "assad_whereabouts"),
])
def test_a_greeting_opening_a_question_on_the_story_is_not_read_as_asking_for_help(kb, question, intent):
    # "hi bot, where is assad?" asks where Assad is: it got the help text, as "hi" and "bot"
    # are both help's words.
    assert kb.matcher.match(question).intent == intent


def test_a_greeting_alone_or_about_the_bot_still_gets_help_and_an_example_is_still_itself(kb):
    for question in ("hey bot", "hey bot what can you tell me", "hi there", "hello bot, how do i use it?"):
        assert kb.matcher.match(question).intent == "help", question
    # an out-of-scope example opening with a greeting is still that example, word for word
    bread = kb.matcher.match("yo how much is bread in damascus rn 💸")
    assert bread.intent is None and bread.decision == "out_of_scope_example"


@pytest.mark.parametrize("question", ["is golani a terrorist", "lol ok", "Good afternoon, my dear, could you tell "
                                      "me what the weather will be like in Damascus this week?"])
def test_a_question_left_unanswered_is_offered_topics_of_the_story_not_help(kb, question):
    # "What can you do?" and "Sources and freshness" are no topic a question was about: the
    # learned model ranked them among the three likeliest of "is golani a terrorist".
    reply = answer(kb, question, "en", today=TODAY)
    assert reply.intent is None and reply.alternatives
    assert not {"help", "sources"} & set(reply.alternatives)
