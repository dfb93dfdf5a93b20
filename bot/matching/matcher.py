"""The Matcher: the parts of matching wired together for one knowledge base."""

from __future__ import annotations

import copy
from dataclasses import replace

from ..model import ASK_BACK, Concept, Example, Intent, Match
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
SECOND_OPINION_ON = frozenset({"matched", ASK_BACK, "low_score", "like_out_of_scope_examples", "too_vague"})
SECOND_OPINION_AMONG = 3
SHORT_UNKNOWN_WORDS = 4  # a refused question this short about an unknown word stays refused


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
                canon = self.names.canonicalise(text)
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
        return replace(self._second_opinion(result, canon), canonical=canon.text)

    def _second_opinion(self, result: Match, canon: Canon) -> Match:
        """The learned model's choice among the topics the fuzzy matcher ranked, when it is
        sure of it: it answers a question the fuzzy scores left in doubt (asked back, or too
        close to the out-of-scope examples), or puts a runner-up first. A refusal for a name we
        have no facts on, a follow-up, a name's main question and "what did X say?" stand, and
        so does the refusal of a short question about a word that may be a name we do not know
        ("who is messi")."""
        base, *readings = result.reason.split("+")
        if self.learned is None or result.extra or base not in SECOND_OPINION_ON or "context" in readings:
            return result
        if result.intent is None and canon.strange and len(canon.tokens) <= SHORT_UNKNOWN_WORDS:
            return result
        label, probability = self.learned.best(canon.text)
        if label is None or probability < SURE or label == result.intent:
            return result
        ranked = {s.intent: s.score for s in result.ranked[:SECOND_OPINION_AMONG]}
        if label not in ranked and label not in result.alternatives:
            return result
        confidence = max(ranked.get(label, 0.0), self.thresholds.out_of_scope)
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
