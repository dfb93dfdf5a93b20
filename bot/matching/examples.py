"""The examples a question is compared with: per script, an inverted index that gives the pool
of examples near a question, and their similarity to it (rapidfuzz)."""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from rapidfuzz import fuzz

from .compiled import RAPIDFUZZ, Process
from .names import Canon
from .options import DEFAULT_OPTIONS, MatchOptions, Weights

NEGATIVE = "out_of_scope"  # the pseudo-intent of intents/out_of_scope.yaml
# A ratio a long question's nearest examples reach: its pool's examples too short to reach it
# are left out of the ratio pass (ExampleIndex.by_ratio). On the dev sets 6 passes in 89 find
# fewer nearest that reach it, and score the whole pool after all.
LIKELY_NEAREST = 45


@dataclass(frozen=True)
class CanonicalExample:
    """An example in canonical form, with the script group of examples it is compared in."""

    intent: str
    lang: str
    group: str  # a script (bot.script), from its letters or else its language
    canon: Canon


def pool_budget(examples: int, options: MatchOptions = DEFAULT_OPTIONS) -> int:
    """How many examples an index of `examples` puts in a question's pool (options.pool_max at most)."""
    return min(max(options.pool_budget, examples // options.pool_share), options.pool_max)


class ExampleIndex:
    """Canonical example texts with an inverted index, so a question is compared with the
    examples that share its rarest words rather than with all of them."""

    def __init__(self, pairs: list[tuple[str, str]], options: MatchOptions = DEFAULT_OPTIONS,
                 process: Process = RAPIDFUZZ):
        # One entry per distinct (intent, text); the same text under two intents stays twice.
        pairs = list(dict.fromkeys(pairs))
        self.options = options
        self._process = process
        self.intents = [iid for iid, _ in pairs]
        self.texts = [text for _, text in pairs]
        self.sorted_texts = [" ".join(sorted(text.split())) for text in self.texts]
        # rapidfuzz compares strings of one-byte characters about twice as fast: the ratio pass
        # reads Arabic and Cyrillic letters recoded below 256 (see _narrowing)
        self._narrow = _narrowing(self.sorted_texts)
        self.narrow_texts = [text.translate(self._narrow) for text in self.sorted_texts]
        # token_set_ratio reads a text's distinct words: given them once, rapidfuzz splits less
        self.word_sets = [" ".join(sorted(set(text.split()))) for text in self.texts]
        postings: dict[str, list[int]] = defaultdict(list)
        for idx, text in enumerate(self.texts):
            for tok in set(text.split()):
                postings[tok].append(idx)
        # Each word's examples shortest first: of a word in too many examples, those of about
        # the question's length are taken, as token_sort_ratio is low between unlike lengths
        # (at most 2 * shorter / (sum of both)); examples inside the question: subsets().
        size = [len(text) for text in self.sorted_texts]
        self.lengths = size
        # a length under which a quarter of the examples fall: leaving out fewer pays for no look
        self._quarter = sorted(size)[len(size) // 4] if size else 0
        over = options.window_over
        self.postings = {tok: tuple(sorted(ids, key=size.__getitem__) if len(ids) > over else ids)
                         for tok, ids in postings.items()}
        self.sizes = {tok: array("I", map(size.__getitem__, ids)) for tok, ids in self.postings.items() if len(ids) > over}
        # rarest word -> second rarest ("" for a one-word example) -> examples
        self.by_rarest = _by_two_rarest(postings, len(self.texts))
        # Each word's place among the words sorted rarest first, then alphabetically: the order
        # in which a question's words are looked up, sorted by a plain int per word.
        self.rarity = {tok: n for n, tok in enumerate(sorted(sorted(postings), key=lambda t: len(postings[t])))}
        # A bigger base needs a bigger pool: the same common words then sit in more examples.
        self.budget = pool_budget(len(self.texts), options)

    def narrowed(self, text: str) -> str:
        """`text` recoded as the texts of the ratio pass are (narrow_texts): the same ratios."""
        return text.translate(self._narrow) if self._narrow else text

    def rarest_first(self, canon: Canon) -> list[str]:
        """The question's words that some example uses, each once, rarest first (then alphabetically)."""
        rarity = self.rarity
        return sorted(filter(rarity.__contains__, set(canon.tokens)), key=rarity.__getitem__)

    def pool(self, canon: Canon, words: list[str] | None = None) -> tuple[list[int], list[int]]:
        """The examples sharing a name the question mentions, or one of its rarest words (as
        many words as fit the budget); and the few sharing its very rarest words (options.rare).
        `words`: the question's rarest_first(), when already known.

        A word in fewer examples says more: rare words are taken first, and a common word
        ("the", "is") only joins while the pool is small. An example outside the pool shares
        none of the question's names and none of its rare words: seldom a close match (how
        seldom: benchmarks/bench_growth.py, against `Matcher.exhaustive()`).
        """
        found: set[int] = set()
        rare: list[int] = []
        postings = self.postings
        length = len(canon.text)
        options = self.options
        fewer = options.fewer_for(len(canon.tokens))
        budget = self.budget // fewer
        for cid in canon.concepts + canon.unknown:
            found.update(self.nearest_in_length(cid, length, options.name_window))
        for tok in self.rarest_first(canon) if words is None else words:
            ids = postings[tok]
            if len(rare) + len(ids) <= options.rare // fewer:
                rare.extend(ids)
            if found and len(found) + len(ids) > budget:
                break
            found.update(self.nearest_in_length(tok, length, options.pool_max))
        return list(found), rare

    def by_ratio(self, query: str, ids: Sequence[int], limit: int) -> tuple[Sequence[int], list[Any]]:
        """The `limit` examples of `ids` nearest `query` by ratio, as rapidfuzz's extract gives
        them (best first, ties in the order of the ids), and the ids their positions are in.

        A ratio is at most 200 * shorter / (sum of both lengths): of a long question, the short
        examples cannot reach LIKELY_NEAREST. They are left out, in which case the answer is the
        same whenever the nearest `limit` of the rest all reach it; else the whole pool is scored.
        """
        extract, texts = self._process.extract, self.narrow_texts
        shortest = -(-LIKELY_NEAREST * len(query) // (200 - LIKELY_NEAREST))  # could reach it
        if shortest > self._quarter:
            lengths = self.lengths
            within = [idx for idx in ids if lengths[idx] >= shortest]
            nearest = extract(query, _pick(texts, within), scorer=fuzz.ratio, limit=limit)
            if len(nearest) == limit and nearest[-1][1] >= LIKELY_NEAREST:
                return within, nearest
        return ids, extract(query, _pick(texts, ids), scorer=fuzz.ratio, limit=limit)

    def nearest_in_length(self, token: str, length: int, most: int) -> tuple[int, ...]:
        """The examples with `token`; when more than `most`, the `most` nearest in length."""
        ids = self.postings.get(token, ())
        sizes = self.sizes.get(token)
        if sizes is None or len(ids) <= most:
            return ids
        start = min(max(0, bisect_left(sizes, length) - most // 2), len(ids) - most)
        return ids[start : start + most]

    def subsets(self, canon: Canon, words: list[str] | None = None) -> list[int]:
        """The longest examples (up to options.subsets) whose every word is in the question
        (`words`: its rarest_first(), when already known)."""
        checks = self.options.subset_checks
        # rarest first: their examples are the fewest and the most like the question
        words = self.rarest_first(canon) if words is None else words
        have = set(canon.tokens)
        have.add("")  # a one-word example has no second word
        found: list[int] = []
        for first in words:
            seconds = self.by_rarest.get(first)
            if not seconds:  # no example has this word as its rarest
                continue
            if len(seconds) <= len(have):
                for second, ids in seconds.items():
                    if second in have:
                        found.extend(ids)
            else:
                for second in have:
                    found.extend(seconds.get(second, ()))
            if len(found) >= checks:
                break
        texts = self.texts
        inside = [idx for idx in found[:checks] if have.issuperset(texts[idx].split())]
        most = self.options.subsets // self.options.fewer_for(len(canon.tokens))
        if len(inside) > most:
            inside.sort(key=lambda idx: (-len(texts[idx]), idx))
            del inside[most:]
        return inside

    def fuzzy(self, canon: Canon, w: Weights, exhaustive: bool = False, limit: int = 0
              ) -> tuple[dict[int, float], float]:
        """Similarity in [0, 1] of the question to its nearest examples, and a fill for the rest.

        A blend of rapidfuzz's token_sort_ratio (computed as plain `ratio` on pre-sorted words:
        the same thing, five times faster) and token_set_ratio (slow: only for the `limit`
        (options.nearest) examples nearest by token_sort among the pool). `exhaustive` scores
        every example in full, the reference that pruning is measured against (benchmarks/).
        """
        query = self.narrowed(" ".join(sorted(canon.tokens)))
        ids: Sequence[int]
        rare: list[int]
        if exhaustive:
            ids, rare = range(len(self.texts)), []
        else:
            words = self.rarest_first(canon)
            ids, rare = self.pool(canon, words)
            rare += self.subsets(canon, words)
        sorted_texts = self.narrow_texts
        limit = limit or self.options.nearest
        if exhaustive:
            nearest = self._process.extract(query, _pick(sorted_texts, ids), scorer=fuzz.ratio, limit=None)
        else:
            ids, nearest = self.by_ratio(query, ids, limit)
        # Examples sharing the question's rarest words are scored in full even when their
        # word order looks far off: "кто такой хафез асад" is about the statue's Hafez.
        near = {ids[pos]: score for _, score, pos in nearest}
        # the rare examples not among them, scored in one call rather than one each
        others = [idx for idx in dict.fromkeys(rare) if idx not in near]
        if others:
            ratios = [0.0] * len(others)
            for _, score, pos in self._process.extract(query, _pick(sorted_texts, others), scorer=fuzz.ratio, limit=None):
                ratios[pos] = score
            near.update(zip(others, ratios))
        near_ids = list(near)
        distinct = " ".join(sorted(set(canon.tokens)))
        set_scores = self._process.extract(distinct, _pick(self.word_sets, near_ids), scorer=fuzz.token_set_ratio,
                                           limit=None)
        sort_scores = list(near.values())  # in near_ids' order
        scores = {near_ids[pos]: (w.sort_share * sort_scores[pos] + w.set_share * set_score) / 100
                  for _, set_score, pos in set_scores}
        floor = 0.0 if exhaustive or len(nearest) < limit else min(scores.values())
        return scores, floor


def _by_two_rarest(postings: dict[str, list[int]], count: int) -> dict[str, dict[str, tuple[int, ...]]]:
    """Examples by their rarest word, then their second rarest ("" for a one-word example).

    An example all of whose words are in the question scores 100 on token_set_ratio, however
    far its word order and length put it by token_sort ("where is assad" inside a long
    message): such examples are found by their two rarest words.
    """
    first: list[str] = [""] * count
    second: list[str] = [""] * count
    size = {tok: len(ids) for tok, ids in postings.items()}
    for tok in sorted(sorted(postings), key=size.__getitem__):  # rarest first, then alphabetically
        for idx in postings[tok]:
            if not first[idx]:
                first[idx] = tok
            elif not second[idx]:
                second[idx] = tok
    by_rarest: dict[str, dict[str, list[int]]] = {}
    for idx, (one, two) in enumerate(zip(first, second)):
        by_rarest.setdefault(one, {}).setdefault(two, []).append(idx)
    return {one: {two: tuple(ids) for two, ids in seconds.items()} for one, seconds in by_rarest.items()}


def _narrowing(texts: list[str]) -> dict[int, str]:
    """A str.translate table recoding the characters above 255 of `texts` to codes below 256
    that none of them uses (empty: nothing to recode, or too many characters). A ratio depends
    only on which characters are equal, and the table keeps equal ones equal and unequal ones
    unequal, between a text and anything translated with it: a character of another text at one
    of the codes taken is made one no text has."""
    used = set("".join(texts))
    wide = sorted(ch for ch in used if ord(ch) > 255)
    free = [chr(n) for n in range(256) if chr(n) not in used]
    if not wide or len(wide) > len(free):
        return {}
    table = {ord(ch): code for ch, code in zip(wide, free)}
    # chr(256) is in no translated text: all their characters above 255 are recoded
    table.update({ord(code): chr(256) for code in free[: len(wide)]})
    return table


def _pick(items: list[str], ids: Sequence[int]) -> list[str]:
    """items[i] for each i in ids, in C (itemgetter) rather than a Python loop."""
    if len(ids) == 1:
        return [items[ids[0]]]
    return list(itemgetter(*ids)(items)) if ids else []
