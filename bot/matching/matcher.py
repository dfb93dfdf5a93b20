"""The Matcher: the parts of matching wired together for one knowledge base."""

from __future__ import annotations

import copy
from dataclasses import replace

from ..model import Concept, Example, Intent, Match
from ..normalize import normalize
from ..script import LANGUAGE_SCRIPT, LATIN, script_of
from .compiled import RAPIDFUZZ, Process
from .conversation import Context, Conversation
from .deciding import Decider
from .examples import NEGATIVE, CanonicalExample
from .names import Names
from .options import DEFAULT_OPTIONS, DEFAULT_THRESHOLDS, DEFAULT_WEIGHTS, MatchOptions, Thresholds, Weights
from .scoring import Scorer


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
        return replace(result, canonical=canon.text)

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
