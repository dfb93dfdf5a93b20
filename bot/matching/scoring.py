"""Scoring: each intent near a question gets one score in [0, 1], a blend of (a) rapidfuzz
similarity to its examples, (b) weighted word overlap with its examples and (c) evidence from
the names the question mentions; then the intents are ranked."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from ..language import detect
from ..model import Concept, Intent, Scored
from ..normalize import normalize
from ..script import LANGUAGE_SCRIPT, script_of
from .compiled import Process
from .examples import NEGATIVE, CanonicalExample, ExampleIndex
from .names import Canon
from .options import MatchOptions, Weights

ALL = "all"  # the group of a question whose script cannot be told: compared with every script's examples

Closest = tuple[str, str, float]  # intent, example text, score: the examples nearest a question


def example_group(question: str, normalized: str | None = None) -> str:
    """Which examples to compare a question with: those written in its letters' script
    ("hi" is never compared with Arabic examples; Arabizi is Latin), or, for a question
    mixing scripts, its language's."""
    group = script_of(normalize(question) if normalized is None else normalized)
    if group:
        return group
    lang = detect(question)
    return LANGUAGE_SCRIPT[lang] if lang else ALL


class Scorer:
    """The examples of every intent (NEGATIVE's too), indexed per script, and what each word
    and name says about which intent is meant."""

    def __init__(
        self,
        intents: dict[str, Intent],
        concepts: dict[str, Concept],
        examples: Sequence[CanonicalExample],
        weights: Weights,
        options: MatchOptions,
        process: Process,
    ):
        """`intents` includes NEGATIVE when there are out-of-scope examples; `examples` are theirs."""
        self.intents = intents
        self.concepts = concepts
        self.weights = weights
        self._options = options
        # A question is compared with the examples written in its own script (and with each
        # script's when its own cannot be told): as accurate, and several times faster.
        # The out-of-scope examples have an index of their own: how close the nearest of them
        # are decides refusals, so they never compete with the intents' examples for a place.
        grouped: dict[str, list[tuple[str, str]]] = defaultdict(list)
        negative: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for ex in examples:
            (negative if ex.intent == NEGATIVE else grouped)[ex.group].append((ex.intent, ex.canon.text))
        self.indexes = {group: ExampleIndex(pairs, options, process) for group, pairs in grouped.items()}
        self.negative_indexes = {group: ExampleIndex(pairs, options, process) for group, pairs in negative.items()}
        self._order = {iid: n for n, iid in enumerate(intents)}  # ties go to the first listed
        self._named = {i.id: (frozenset(i.entities), frozenset(i.allows)) for i in intents.values()}
        # A name few intents are about says more than one many are about ("statue" vs "damascus").
        listed = Counter(c for i in intents.values() for c in set(i.entities))
        self._specific = {c: 1.0 / listed[c] ** 0.5 if listed[c] else 0.0 for c in concepts}
        self._idf, word_weights = _word_weights(examples, len(intents))
        # The word weights as a matrix, a row per word and a column per intent: a question's
        # word overlap with every intent is one sum of its words' rows. numpy adds the rows one
        # after another, as sum() adds a list: the same sums, to the last bit.
        self._word_row = {tok: n for n, tok in enumerate(self._idf)}
        self._column = {iid: n for n, iid in enumerate(word_weights)}
        self._weight_rows = np.zeros((len(self._word_row), len(self._column)))
        for iid, words in word_weights.items():
            for tok, weight in words.items():
                self._weight_rows[self._word_row[tok], self._column[iid]] = weight

    def score(self, canon: Canon, group: str = ALL, exhaustive: bool = False) -> tuple[list[Scored], list[Closest]]:
        """Every intent with an example near the question, scored and ranked (all intents when
        `exhaustive`), and the closest examples. An intent with none scores lower than those
        that have one."""
        fuzzy_best, near, floor = self._fuzzy(canon, group, exhaustive)
        if exhaustive:
            candidates = list(self.intents)
        else:
            candidates = list(fuzzy_best)
            if NEGATIVE in self.intents and NEGATIVE not in fuzzy_best:
                candidates.append(NEGATIVE)
        ranked = self._blend(canon, candidates, fuzzy_best, floor)
        order = self._order
        ranked.sort(key=lambda s: (-s.score, order[s.intent]))
        return ranked, _closest(near)

    def _fuzzy(self, canon: Canon, group: str, exhaustive: bool
               ) -> tuple[dict[str, float], list[tuple[float, str, str]], float]:
        """Each near intent's fuzzy score (its best example blended with its best top_k), the
        nearest examples (score, intent, text), and the fuzzy score of an intent with none."""
        w = self.weights
        fuzzy_best: dict[str, float] = {}
        near: list[tuple[float, str, str]] = []
        floor = 0.0
        options = self._options
        fewer = options.fewer_for(len(canon.tokens))
        for indexes, limit in ((self.indexes, options.nearest // fewer),
                               (self.negative_indexes, options.negative_nearest // fewer)):
            if not canon.text:
                break
            # A question whose script cannot be told is compared with the examples of every script.
            chosen = [indexes[group]] if group in indexes else list(indexes.values())
            by_intent: dict[str, list[float]] = defaultdict(list)
            fill = 0.0
            for index in chosen:
                scores, index_fill = index.fuzzy(canon, w, exhaustive, limit)
                fill = max(fill, index_fill)
                intents = index.intents
                for idx, value in scores.items():
                    by_intent[intents[idx]].append(value)
                # sorted(...)[:12] is heapq.nlargest(12, ...), ties included, and faster on so few
                near.extend((scores[idx], intents[idx], index.texts[idx])
                            for idx in sorted(scores, key=scores.__getitem__, reverse=True)[:12])
            if indexes is self.indexes:
                floor = fill
            for iid, values in by_intent.items():
                top = sorted(values, reverse=True)[: w.top_k]
                top += [fill] * (w.top_k - len(top))  # for the unscored: as good as the weakest scored
                fuzzy_best[iid] = 0.5 * top[0] + 0.5 * sum(top) / len(top)
        return fuzzy_best, near, floor

    def _blend(self, canon: Canon, candidates: list[str], fuzzy_best: dict[str, float], floor: float) -> list[Scored]:
        """The candidates' scores: fuzzy and word overlap blended, then the names' evidence."""
        w = self.weights
        idf, concepts = self._idf, self.concepts
        tokens = sorted(set(canon.tokens))  # sorted: the same sums in every process, to the last bit
        # Words no example uses say little about which intent is meant: they count lightly.
        total = sum(map(idf.get, tokens, [w.unseen_word_weight] * len(tokens))) or 1.0
        present = set(canon.concepts)
        subjects = {c for c in present if concepts[c].kind in w.penalised_kinds}
        # A topic we have no facts on is the subject of a short question ("how many died in
        # homs"); in a long message (a pasted headline, a question with its context) it is
        # more often said in passing.
        short = len(canon.tokens) <= self._options.short_question_words
        off_topic = {c for c in canon.unknown if concepts[c].kind == "topic"} if short else set()
        # only words some example uses weigh anything: the others would add 0.0 to every sum
        rows = [self._word_row[t] for t in tokens if t in idf]
        overlap = np.add.reduce(self._weight_rows[rows]).tolist() if rows else [0.0] * len(self._column)
        none = w.fuzzy * (0.5 * floor + 0.5 * floor)  # an intent with no example near the question
        ranked: list[Scored] = []
        negative = 0.0
        column, named, specific = self._column, self._named, self._specific
        fuzzy, lexical_weight, entity_bonus, entity_penalty = w.fuzzy, w.lexical, w.entity_bonus, w.entity_penalty
        strange = len(canon.strange)
        best, best_score = None, 0.0  # the first of the highest scores, as max() would pick
        for iid in candidates:
            lexical = overlap[column[iid]] if iid in column else 0.0
            score = fuzzy * fuzzy_best[iid] if iid in fuzzy_best else none
            score += lexical_weight * lexical / total
            if iid == NEGATIVE:
                negative = score
                continue
            own, allows = named[iid]
            common = present & own
            if common:
                score += entity_bonus * sum(map(specific.__getitem__, sorted(common)))
            if subjects:
                # In a long message other places and people are context, not the subject.
                strangers = len(subjects - own - allows)
                score -= entity_penalty * (strangers if short else min(strangers, 1))
            if strange and not (subjects & own):
                score -= w.unknown_word_penalty * strange
            if off_topic and off_topic - allows:
                score -= w.off_topic_penalty
            # max(0.0, min(1.0, score)), without the two calls
            score = round(score if 0.0 < score < 1.0 else 0.0 if score <= 0.0 else 1.0, 4)
            if best is None or score > best_score:
                best, best_score = iid, score
            ranked.append(Scored(iid, score))
        if NEGATIVE in candidates:
            # Names and topics we know we lack are evidence for "no facts on that", unless the
            # likeliest intent allows the topic ("is assad dead?" asks where Assad is).
            lacked = off_topic - named[best][1] if best else off_topic
            negative += w.off_topic_penalty * bool(lacked) + entity_bonus * bool(canon.unknown)
            ranked.append(Scored(NEGATIVE, round(max(0.0, min(1.0, negative)), 4)))
        return ranked


def _closest(near: list[tuple[float, str, str]]) -> list[Closest]:
    """The five best-scored distinct example texts."""
    closest: list[Closest] = []
    seen: set[str] = set()
    for value, iid, text in sorted(near, reverse=True)[:12]:
        if text not in seen:
            seen.add(text)
            closest.append((iid, text, round(value, 3)))
            if len(closest) == 5:
                break
    return closest


def _word_weights(examples: Sequence[CanonicalExample], n_intents: int
                  ) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Each word's idf over the intents, and intent by intent each of its words' weight."""
    intent_tokens: dict[str, Counter] = defaultdict(Counter)
    # Per intent and language: how many examples, and how many use each word.
    lang_tokens: dict[tuple[str, str], Counter] = defaultdict(Counter)
    lang_examples: Counter = Counter()
    for ex in examples:
        tokens = set(ex.canon.tokens)
        intent_tokens[ex.intent].update(tokens)
        lang_tokens[(ex.intent, ex.lang)].update(tokens)
        lang_examples[(ex.intent, ex.lang)] += 1
    # Word weights: a word used by few intents says more about which one is meant.
    doc_freq = Counter(tok for counts in intent_tokens.values() for tok in counts)
    idf = {tok: math.log(1 + max(n_intents, 1) / df) for tok, df in doc_freq.items()}
    # Share of an intent's examples (in the word's own language) that use the word: frequent
    # in-intent words count more, and adding Arabic examples does not dilute English words.
    intent_word: dict[str, dict[str, float]] = defaultdict(dict)
    for (iid, lang), counts in lang_tokens.items():
        words = intent_word[iid]
        for tok, cnt in counts.items():
            words[tok] = max(words.get(tok, 0.0), min(1.0, 4 * cnt / lang_examples[(iid, lang)]))
    # Intent by intent, each word's weight: looked up only for the intents a question's
    # nearest examples belong to, so the cost does not grow with the number of intents.
    return idf, {iid: {tok: idf[tok] * share for tok, share in words.items()} for iid, words in intent_word.items()}
