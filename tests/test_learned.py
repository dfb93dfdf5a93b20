"""The learned second opinion (bot/matching/learned.py): shipped weights trained on today's
examples, its choice taken only among the topics the fuzzy matcher ranked, a long message naming
what we lack as a detail answered and told so, an answer it is sure is none of ours asked back,
the topics offered with a question left unanswered put in its order (a refusal too), and the bot still
answering, from the fuzzy matcher alone, when the weights are stale, missing or unreadable."""

from __future__ import annotations

import copy
import json
import math
import shutil
from pathlib import Path

import numpy as np

from bot.answer import compose
from bot.cli import main as cli_main
from bot.knowledge import load
from bot.matching import Context, Matcher
from bot.matching.learned import Learned, text_vector
from bot.render import to_text

from .conftest import ROOT, topic_buttons


def test_the_shipped_weights_were_trained_on_todays_examples(kb):
    # Changing an example, an alias or an out-of-scope example needs `make learned`.
    assert kb.learned_off == "", f"{kb.learned_off}: run make learned and commit intents/learned.json"
    assert kb.matcher.learned is not None


def test_it_answers_what_the_fuzzy_scores_left_in_doubt(kb):
    # The fuzzy matcher asks back ("did you mean ...?"); the model is sure, among those topics.
    match = kb.matcher.match("whats hmeimim")
    assert match.intent == "homs_strategic" and match.reason.endswith("+learned")
    # A runner-up put first: the army's positions, not the capital's fall.
    match = kb.matcher.match("ابن عمي عسكري بريف الشام، الجيش ثابت بمواقعه ولا عم يتراجع؟")
    assert match.intent == "army_position" and match.reason.endswith("+learned")


def test_it_never_overrules_a_short_questions_refusal_for_a_name_we_have_no_facts_on(kb):
    # named ones, and a short question about a word that may be a name we do not know
    # (a long message naming one as a detail may be answered: the test below)
    for question in ("who controls aleppo now?", "what did putin say about homs?", "кто контролирует алеппо?",
                     "who is messi"):
        match = kb.matcher.match(question)
        assert match.intent is None and not match.reason.endswith("+learned"), question


def test_a_long_message_naming_what_we_lack_as_a_detail_is_answered_and_says_so(kb):
    # Turkey is a detail of a headline about where Assad is; the reply says we have nothing on it.
    question = "Turkish officials say they know where Assad is after he fled Damascus on a plane on Sunday"
    match = kb.matcher.match(question)
    assert match.intent == "assad_whereabouts" and match.reason == "out_of_scope_name+learned"
    text = to_text(kb, compose(kb, match, "en"))
    assert text.startswith("I have no facts about Turkey; here is what I have on: Where is Assad?")
    assert "Moscow" in text
    # asked about directly, it is a name we have no facts on: refused, naming it
    short = kb.matcher.match("what does turkey say about assad?")
    assert short.intent is None and "turkey" in short.unknown
    assert "I have no facts about Turkey" in to_text(kb, compose(kb, short, "en"))


def test_a_question_asked_back_offers_the_topics_the_model_finds_likeliest(kb):
    # Assad is named, but the fuzzy scores' likeliest topics were the rebels, Homs and Damascus
    question = "tell me more about the rebels and assad"
    match = kb.matcher.match(question)
    assert match.intent is None and match.reason == "ask_back"
    assert match.alternatives == tuple(kb.matcher.learned.topics(match.canonical)[:3])
    assert "assad_whereabouts" in match.alternatives
    assert "Where is Assad?" in to_text(kb, compose(kb, match, "en"))
    without = copy.copy(kb.matcher)
    without.learned = None  # the fuzzy scores' order: what the bot offers when the weights are stale
    fuzzy = without.match(question)
    assert fuzzy.reason == "ask_back" and "assad_whereabouts" not in fuzzy.alternatives


def test_the_models_topics_start_with_its_answer_and_leave_out_out_of_scope(kb):
    learned = kb.matcher.learned
    for question in ("where is assad now", "who are the rebels", "what is the best recipe for bread"):
        text = kb.matcher.canonical(question)
        label, _ = learned.best(text)
        topics = learned.topics(text)
        assert sorted(topics) == sorted(c for c in learned.classes if c in kb.intents)
        assert label is None or topics[0] == label


def test_an_answer_the_model_is_sure_is_none_of_ours_becomes_a_question_back(kb):
    # the future of Russia's bases: the base holds where they are, not whether they stay
    match = kb.matcher.match("will russia keep its bases in syria")
    assert match.intent is None and match.reason == "ask_back+learned"
    assert match.alternatives[0] == "homs_strategic"
    text = to_text(kb, compose(kb, match, "en"))
    assert text.startswith("I'm not sure which of these you mean") and "Why does Homs matter?" in text
    assert "outside what my fact base covers" not in text
    # what it is not sure of stays answered
    assert kb.matcher.match("where is assad now?").intent == "assad_whereabouts"


def test_the_bot_reads_a_text_as_the_model_was_trained_to(kb):
    # scripts/train_learned.py trains on text_vector; Learned.best must compute the same scores.
    learned = kb.matcher.learned
    idf = dict(zip(learned.features, (float(v) for v in learned.idf), strict=True))
    row = {f: n for n, f in enumerate(learned.features)}
    for text in ("where is assad", "who controls homs now", "the rebels took homs prison and freed detainees"):
        vector = text_vector(text, idf)
        scores = learned.intercept + sum(v * learned.weights[row[f]].astype(np.float64) for f, v in vector.items())
        top = int(np.argmax(scores))
        probability = 1.0 / sum(math.exp(s - scores[top]) for s in scores)
        label, p = learned.best(text)
        assert (label or "__out_of_scope__") == learned.classes[top] or label is None
        assert abs(p - probability) < 1e-4, text


def test_the_shipped_parts_of_words_give_the_scores_their_features_give(kb, tmp_path):
    # Each word of the examples carries its part of a text's scores in intents/learned.json;
    # weights written without them (an older file) work the parts out when read.
    learned = kb.matcher.learned
    assert len(learned.words) > 1000
    data = json.loads((ROOT / "intents" / "learned.json").read_text(encoding="utf-8"))
    del data["words"], data["parts"]
    (tmp_path / "old.json").write_text(json.dumps(data), encoding="utf-8")
    older = Learned.read(tmp_path / "old.json")
    assert older is not None and older.words == []
    for text in ("where is assad", "who controls homs now", "homs homs homs", "zzqx assad fled to moscuw", "",
                 "хто зараз контролює хомс", "وين بشار الاسد"):
        label, p = learned.best(text)
        again, q = older.best(text)
        assert label == again and abs(p - q) < 1e-6, text


def _with_learned(data: Path, text: str | None) -> None:
    path = data / "intents" / "learned.json"
    if text is None:
        path.unlink()
    else:
        path.write_text(text, encoding="utf-8")


def test_weights_trained_on_other_examples_are_not_used(data, capsys):
    path = data / "intents" / "homs_control.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("    - homs?\n", "    - homs?\n    - who holds homs today\n", 1),
                    encoding="utf-8")
    kb = load(data)
    assert kb.matcher.learned is None and "trained on other examples" in kb.learned_off
    assert kb.matcher.match("who controls homs?").intent == "homs_control"
    assert cli_main(["--data", str(data), "validate"]) == 0
    assert "the learned second opinion is off" in capsys.readouterr().out


def test_missing_or_unreadable_weights_leave_the_bot_answering(data):
    shutil.copy(data / "intents" / "learned.json", data / "learned.keep")
    short_parts = json.loads((data / "learned.keep").read_text(encoding="utf-8")) | {"parts": "AAAA"}
    for text, why in ((None, "no such file"), ("{not json", "cannot be read"), (json.dumps({"classes": []}), "cannot be read"),
                      (json.dumps(short_parts), "cannot be read")):
        _with_learned(data, text)
        kb = load(data)
        assert kb.matcher.learned is None and why in kb.learned_off
        assert kb.matcher.match("where is assad?").intent == "assad_whereabouts"


def test_weights_that_do_not_fit_their_features_are_refused():
    try:
        Learned(["a", "b"], [0.0, 0.0], ["w x"], np.ones(1, dtype=np.float32), np.ones(3, dtype=np.float32), "k")
    except ValueError:
        pass
    else:
        raise AssertionError("weights of the wrong size were accepted")


def test_a_matcher_built_without_weights_has_no_second_opinion(kb):
    m = kb.matcher
    plain = Matcher(m.intents, m.concepts, m.thresholds, m.weights, kb.negatives, m.years, m.options)
    assert plain.learned is None
    assert not plain.match("whats hmeimim").reason.endswith("+learned")


def test_a_follow_up_read_in_its_conversation_stands(kb):
    # Read alone, "why?" or "and golani?" would be the model's; after a question they ask about it.
    for first, follow_up in (("what did golani say?", "why?"), ("who are the rebels?", "and golani?"),
                             ("where is assad?", "and homs?"), ("who controls homs?", "and damascus?")):
        before = kb.matcher.match(first)
        match = kb.matcher.match(follow_up, Context(before.canonical, before.intent, before.concepts))
        assert "context" in match.reason and not match.reason.endswith("+learned"), (follow_up, match.reason)


def test_a_refusal_naming_nothing_of_the_story_offers_the_topics_the_model_finds_likeliest(kb):
    # No place, person or group of ours is named, so it is refused; but the model reads that it
    # is nearest the overview, which comes first in the text and on the buttons, before the main topics.
    question = "he held on for years and then lost everything in days, how come?"
    match = kb.matcher.match(question)
    assert match.intent is None and match.decision == "like_out_of_scope_examples"
    assert match.alternatives == tuple(kb.matcher.learned.topics(match.canonical)[:3])
    assert match.alternatives[0] == "syria_overview"
    reply = compose(kb, match, "en")
    text = to_text(kb, reply)
    assert kb.text("refusal_scope", "en") in text
    assert text.splitlines()[-1].startswith("You can ask, for example: Latest on Syria;")
    buttons = topic_buttons(kb, reply)
    assert buttons[:3] == list(match.alternatives) and set(kb.main_topics) <= set(buttons)
    group = topic_buttons(kb, reply, "group")
    assert group == list(match.alternatives)
    # a short question about a word we do not know is refused without a guess at its topics
    assert kb.matcher.match("who is messi").alternatives == ()
    without = copy.copy(kb.matcher)
    without.learned = None  # the fuzzy scores alone guess no topics for it: the main ones are offered
    assert without.match(question).alternatives == ()
    assert "You can ask, for example: Who controls Homs?" in to_text(kb, compose(kb, without.match(question), "en"))
