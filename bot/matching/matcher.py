"""The Matcher: the parts of matching wired together for one knowledge base."""

from __future__ import annotations

import copy
from dataclasses import replace

from ..model import (
    ASK_BACK,
    LIKE_OUT_OF_SCOPE,
    LOW_SCORE,
    NO_STATEMENT,
    OUT_OF_SCOPE_NAME,
    SPECIAL_INTENTS,
    Concept,
    Example,
    Intent,
    Match,
)
from ..normalize import normalize
from ..script import LANGUAGE_SCRIPT, LATIN, script_of
from .compiled import RAPIDFUZZ, Process
from .conversation import Context, Conversation
from .deciding import Decider
from .examples import NEGATIVE, CanonicalExample
from .learned import SURE, Learned, data_key
from .names import Canon, Names
from .options import DEFAULT_OPTIONS, DEFAULT_THRESHOLDS, DEFAULT_WEIGHTS, MatchOptions, Thresholds, Weights
from .scoring import Scorer

# The decisions the learned model may overrule, and how many ranked topics it chooses among.
# Not TOO_VAGUE: the model reads "why" as "why does homs matter?", its examples' commonest "why".
SECOND_OPINION_ON = frozenset({"matched", ASK_BACK, LOW_SCORE, LIKE_OUT_OF_SCOPE})
SECOND_OPINION_AMONG = 3
SHORT_UNKNOWN_WORDS = 4  # a refused question this short about an unknown word stays refused
# How sure the learned model must be that a question the fuzzy matcher answered is none of ours
# before the answer becomes a question back (measured on held-apart folds of intents/asked.yaml).
DOUBT_OUT = 0.7


class Matcher:
    """Built once per knowledge base; immutable; `match` is pure.

    `negatives` are the out-of-scope examples (intents/out_of_scope.yaml); `years` those the
    facts are from; `process` what the compiled comparisons are made with (bot.matching.compiled).
    """

    def __init__(
        self,
        intents: dict[str, Intent],
        concepts: dict[str, Concept],
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
        weights: Weights = DEFAULT_WEIGHTS,
        negatives: tuple[Example, ...] = (),
        years: frozenset[int] = frozenset(),
        options: MatchOptions = DEFAULT_OPTIONS,
        process: Process = RAPIDFUZZ,
        learned: Learned | None = None,
    ):
        self.intents = intents
        self.concepts = concepts
        self.weights = weights
        self.years = years
        self.options = options
        every = dict(intents)
        if negatives:
            every[NEGATIVE] = Intent(NEGATIVE, {"en": "-"}, (), (), (), (), tuple(negatives))
        words = {word for intent in every.values() for ex in intent.examples for word in normalize(ex.text).split()}
        self.names = Names(concepts, words, years, options, process)
        examples = self._canonical_examples(every)
        self.examples = tuple(examples)  # what learned weights are trained on (scripts/train_learned.py)
        # weights trained on other examples would answer from a past state of the data
        self.learned = learned if learned is not None and learned.key == data_key(examples) else None
        self.scorer = Scorer(every, concepts, examples, weights, options, process)
        self._wire(Decider(intents, concepts, examples, self.scorer, thresholds, options))

    def _canonical_examples(self, intents: dict[str, Intent]) -> list[CanonicalExample]:
        """Every example that says something, in canonical form, in its script's group."""
        out = []
        for intent in intents.values():
            for ex in intent.examples:
                text = normalize(ex.text)
                canon = self.names.canonicalise(text, example=True)
                if canon.text:
                    group = script_of(text) or LANGUAGE_SCRIPT.get(ex.lang, LATIN)
                    out.append(CanonicalExample(intent.id, ex.lang, group, canon))
        return out

    def _wire(self, decider: Decider) -> None:
        self._decider = decider
        self._conversation = Conversation(decider, self.names, self.options)

    @property
    def thresholds(self) -> Thresholds:
        return self._decider.thresholds

    def match(self, question: str, context: Context | None = None) -> Match:
        """The intent `question` asks for (in `context`, the conversation so far), or a refusal."""
        normalized = normalize(question)
        canon = self.names.canonicalise(normalized)
        conversation = self._conversation
        result = conversation.read(question, normalized, canon)
        bare = conversation.bare_name(canon, result)
        if bare is not None:
            result = bare
        elif context is not None:
            result = conversation.with_context(question, normalized, canon, result, context)
        result = conversation.with_second_question(question, result, len(canon.tokens))
        result = self._learned_topics(self._second_opinion(result, canon), canon)
        return replace(result, canonical=canon.text)

    def _second_opinion(self, result: Match, canon: Canon) -> Match:
        """The learned model's choice among the topics the fuzzy matcher ranked, when it is
        sure of it: it answers a question the fuzzy scores left in doubt (asked back, or too
        close to the out-of-scope examples), or puts a runner-up first. When it is sure that a
        question the fuzzy matcher answered is none of ours, the answer becomes a question back
        (or a refusal, when the question names none of the story's subjects). A follow-up, a
        name's main question and "what did X say?" stand, and so does the refusal of a short
        question about a word that may be a name we do not know ("who is messi")."""
        base, readings = result.decision, result.reason.split("+")[1:]
        if self.learned is None or result.extra or "context" in readings:
            return result
        if base == OUT_OF_SCOPE_NAME:
            return self._despite_name(result, canon)
        if base not in SECOND_OPINION_ON:
            return result
        if result.intent is None and canon.strange and len(canon.tokens) <= SHORT_UNKNOWN_WORDS:
            return result
        label, probability = self.learned.best(canon.text)
        if label is None:
            # the model reads the whole message: a reading of part of it is the fuzzy matcher's
            return self._doubted(result, canon, probability) if result.reason == "matched" else result
        if probability < SURE or label == result.intent:
            return result
        ranked = {s.intent: s.score for s in result.ranked[:SECOND_OPINION_AMONG]}
        if label not in ranked and label not in result.alternatives:
            return result
        return self._learned_answer(result, label, ranked.get(label, 0.0))

    def _learned_topics(self, result: Match, canon: Canon) -> Match:
        """The topics offered with a question that gets no answer, in the learned model's order:
        of the topics a question asked back was about, the model has the right one among its
        three likeliest more often than the fuzzy scores (on the page folds of
        intents/asked.yaml). Only for a reading of the whole message, as the model reads it whole."""
        base, *readings = result.reason.split("+")
        if self.learned is None or result.intent is not None or set(readings) - {"learned"}:
            return result
        if base == NO_STATEMENT:  # the nearest topic to words we do not hold: the speaker's, kept
            return result
        likeliest = self.learned.topics(canon.text)
        topics, _ = self._decider.offer(canon, result.ranked, base, likeliest)
        return replace(result, alternatives=topics) if topics else result

    def _despite_name(self, result: Match, canon: Canon) -> Match:
        """A long message naming something we have no facts on, as a detail ("the army leaves
        Hama, thousands flee"), is answered when the learned model is sure of the topic the fuzzy
        matcher ranked first; the reply says which names it has no facts on (Match.unknown)."""
        if len(canon.tokens) < self.options.detail_words or not result.ranked or self.learned is None:
            return result
        label, probability = self.learned.best(canon.text)
        first = result.ranked[0]
        if label is None or probability < SURE or label != first.intent:
            return result
        return self._learned_answer(result, label, first.score)

    def _doubted(self, result: Match, canon: Canon, probability: float) -> Match:
        """An answer the learned model is sure is out of scope: asked back which topic was
        meant, or refused when the question names none of the story's subjects."""
        if probability < DOUBT_OUT or result.intent in SPECIAL_INTENTS:
            return result
        topics = self._decider.ask_back_topics(canon, result.ranked)
        reason = (ASK_BACK if topics else LIKE_OUT_OF_SCOPE) + "+learned"
        return replace(result, intent=None, confidence=round(1.0 - result.confidence, 4), alternatives=topics,
                       reason=reason, speaker=None)

    def _learned_answer(self, result: Match, label: str, score: float) -> Match:
        confidence = max(score, self.thresholds.out_of_scope)
        return replace(result, intent=label, confidence=confidence, alternatives=(),
                       reason=result.reason + "+learned", speaker=None)

    def canonical(self, question: str) -> str:
        """The canonical form of `question`: what follow-ups are read against."""
        return self.names.canonicalise(normalize(question)).text

    def with_thresholds(self, thresholds: Thresholds) -> Matcher:
        """The same matcher (sharing its index) deciding with other thresholds."""
        other = copy.copy(self)
        other._wire(self._decider.with_thresholds(thresholds))
        return other

    def exhaustive(self) -> Matcher:
        """The same matcher scoring every example of every intent: the reference that the
        pruned search is checked against (benchmarks/bench_growth.py)."""
        other = copy.copy(self)
        other._wire(self._decider.exhaustive())
        return other

    def clear_caches(self) -> None:
        """Forget the words seen so far (benchmarks measure questions as if first seen)."""
        self.names.clear_caches()
        normalize.cache_clear()
        if self.learned is not None:
            self.learned.clear_caches()
