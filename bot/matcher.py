"""Find the intent a question asks for, or decide that it asks for something we have no facts on.

Pipeline: normalise -> canonicalise names (aliases, with typo tolerance) -> score the intents
near the question by (a) rapidfuzz similarity to its examples, (b) weighted word overlap with
its examples and (c) evidence from the names the question mentions -> pick the best, or refuse.

"Near": an inverted index gives the examples that share a name the question mentions or one of
its rarest words; only those are compared, so the cost follows the pool, not the base (see
benchmarks/bench_growth.py). `exhaustive()` compares every example instead: the reference.

Refusal comes first from names: a question that names a place or person we know to be out of
scope ("Aleppo", "Putin") as its subject is a near miss, not a weak match; so is a short
question about an ordinary word no example uses ("who controls the moon"). Then from the
scores: too low, or not clearly above the out-of-scope examples (intents/out_of_scope.yaml).
"""

from __future__ import annotations

import copy
import heapq
import math
import re
from array import array
from bisect import bisect_left
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from operator import itemgetter

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from .language import detect
from .model import Concept, Intent, Match, Scored
from .normalize import normalize
from .words import COMMON_WORDS

SUBJECT_KINDS = ("place", "person", "group")
NEGATIVE = "out_of_scope"  # the pseudo-intent of intents/out_of_scope.yaml
ALL = "all"
SCRIPT_GROUP = {"en": "lat", "ar": "ar", "ru": "cyr", "uk": "cyr"}  # example language -> script group
OTHER_YEAR = "history"  # the out-of-scope topic a year outside the facts' years stands for
MAX_PHRASE = 6
_PROCLITICS = frozenset("وفبلك")  # Arabic and, so, in/with, for, like: written joined to the word
POOL_BUDGET = 200  # examples in the pool a question is compared with (more when its rarest word has more) ...
POOL_SHARE = 20  # ... or one in POOL_SHARE of the examples, in a bigger base ...
POOL_MAX = 1000  # ... up to this many (from 20,000 examples on)
WINDOW_OVER = 1000  # of a word in more examples than this, those nearest the question's length:
# POOL_MAX of them, and of a name NAME_WINDOW, so the rest of the budget stays for the rare words.
# Measured with benchmarks/tradeoff.py at 100x (300 questions): windows of 2,000 and 1,000 let in
# more near-copies of one example and agreed less with the exhaustive scorer (287/300) than
# 1,000 and 100 (290/300), at a p99 of 2.95 against 2.01 ms; at 10x the same (1,043/1,047 both);
# the shipped base, with no word in 1,000 examples, answers as before.
NAME_WINDOW = 100
NEAREST = 24  # of those, the nearest by token_sort_ratio are also scored by token_set_ratio
NEGATIVE_NEAREST = 16  # out-of-scope examples scored in full (they have an index of their own)
RARE = 32  # and the examples sharing the question's rarest words, if that few
SUBSETS = 16  # and the longest examples all of whose words the question has
SUBSET_CHECKS = 256  # examples checked for that, at most
SCAN_MAX = 10_000  # words a typo look-up scans; more are indexed (_NearIndex)
MAX_TWO_QUESTION_WORDS = 24  # longer messages are one question wrapped in context
MIN_PART_WORDS = 3  # a part of a message shorter than this is not a second question
SHORT_QUESTION_WORDS = 12  # in a short question, the first name is its subject
# Leading words that mark a follow-up ("and damascus?", "what about assad").
_FOLLOW_UP = re.compile(r"^(and|also|what about|how about|what of|and what about|and how about|n|wbu)\b\s*")


@dataclass(frozen=True)
class Thresholds:
    out_of_scope: float = 0.5  # below this score, no intent
    doubt: float = 0.6  # below this, no intent when the out-of-scope examples are about as close
    negative_margin: float = 0.05  # "about as close": within this of the best score
    ambiguity: float = 0.06  # runner-ups within this of the best are offered as "did you mean"
    follow_up_max_words: int = 4


@dataclass(frozen=True)
class Weights:
    penalised_kinds: tuple[str, ...] = ("place", "person")  # names an intent must be about
    top_k: int = 3  # an intent's fuzzy score blends its best example with its best k
    sort_share: float = 0.5  # the fuzzy score blends token_sort_ratio ...
    set_share: float = 0.5  # ... and token_set_ratio
    fuzzy: float = 0.55
    lexical: float = 0.45
    entity_bonus: float = 0.05  # per named concept the intent is about (by how specific it is)
    entity_penalty: float = 0.2  # per named place or person the intent is not about
    unknown_word_penalty: float = 0.2  # per unknown Latin word that may be an unknown name
    off_topic_penalty: float = 0.25  # the question names a topic we have no facts on
    unseen_word_weight: float = 1.0  # weight of words no example uses, in the word overlap


@dataclass(frozen=True)
class Context:
    """What the conversation was about, so that "and damascus?" can be understood."""

    question: str  # canonical form of the last answered question
    intent: str
    concepts: tuple[str, ...]


@dataclass(frozen=True)
class _Canon:
    text: str  # canonical string
    tokens: tuple[str, ...]
    concepts: tuple[str, ...]  # in-scope concept ids, in order of appearance
    unknown: tuple[str, ...]  # out-of-scope concept ids
    strange: tuple[str, ...]  # words we do not know at all


class _ExampleIndex:
    """Canonical example texts with an inverted index, so a question is compared with the
    examples that share its rarest words rather than with all of them."""

    def __init__(self, pairs: list[tuple[str, str]]):
        # One entry per distinct (intent, text); the same text under two intents stays twice.
        pairs = list(dict.fromkeys(pairs))
        self.intents = [iid for iid, _ in pairs]
        self.texts = [text for _, text in pairs]
        self.sorted_texts = [" ".join(sorted(text.split())) for text in self.texts]
        postings: dict[str, list[int]] = defaultdict(list)
        for idx, text in enumerate(self.texts):
            for tok in set(text.split()):
                postings[tok].append(idx)
        # Each word's examples shortest first: of a word in too many examples, those of about
        # the question's length are taken, as token_sort_ratio is low between unlike lengths
        # (at most 2 * shorter / (sum of both)); examples inside the question: subsets().
        size = [len(text) for text in self.sorted_texts]
        self.postings = {tok: tuple(sorted(ids, key=size.__getitem__) if len(ids) > WINDOW_OVER else ids)
                         for tok, ids in postings.items()}
        self.sizes = {tok: array("I", map(size.__getitem__, ids)) for tok, ids in self.postings.items()
                      if len(ids) > WINDOW_OVER}
        # An example all of whose words are in the question scores 100 on token_set_ratio,
        # however far its word order and length put it by token_sort ("where is assad" inside
        # a long message): such examples are found by their two rarest words.
        first: list[str] = [""] * len(self.texts)
        second: list[str] = [""] * len(self.texts)
        count = {tok: len(ids) for tok, ids in postings.items()}
        for tok in sorted(sorted(postings), key=count.__getitem__):  # rarest first, then alphabetically
            for idx in postings[tok]:
                if not first[idx]:
                    first[idx] = tok
                elif not second[idx]:
                    second[idx] = tok
        by_rarest: dict[str, dict[str, list[int]]] = {}
        for idx, (one, two) in enumerate(zip(first, second)):
            by_rarest.setdefault(one, {}).setdefault(two, []).append(idx)
        # rarest word -> second rarest ("" for a one-word example) -> examples
        self.by_rarest = {one: {two: tuple(ids) for two, ids in seconds.items()} for one, seconds in by_rarest.items()}
        # A bigger base needs a bigger pool: the same common words then sit in more examples.
        self.budget = pool_budget(len(self.texts))

    def pool(self, canon: _Canon) -> tuple[list[int], list[int]]:
        """The examples sharing a name the question mentions, or one of its rarest words (as
        many words as fit the budget); and the few sharing its very rarest words (RARE).

        A word in fewer examples says more: rare words are taken first, and a common word
        ("the", "is") only joins while the pool is small. An example outside the pool shares
        none of the question's names and none of its rare words: seldom a close match (how
        seldom: benchmarks/bench_growth.py, against `Matcher.exhaustive()`).
        """
        found: set[int] = set()
        rare: list[int] = []
        postings = self.postings
        length = len(canon.text)
        for cid in canon.concepts + canon.unknown:
            found.update(self._nearest_in_length(cid, length, NAME_WINDOW))
        for tok in sorted(set(canon.tokens), key=lambda t: (len(postings.get(t, ())), t)):
            ids = postings.get(tok)
            if not ids:
                continue
            if len(rare) + len(ids) <= RARE:
                rare.extend(ids)
            if found and len(found) + len(ids) > self.budget:
                break
            found.update(self._nearest_in_length(tok, length, POOL_MAX))
        return list(found), rare

    def _nearest_in_length(self, token: str, length: int, most: int) -> tuple[int, ...]:
        """The examples with `token`; when more than `most`, the `most` nearest in length."""
        ids = self.postings.get(token, ())
        sizes = self.sizes.get(token)
        if sizes is None or len(ids) <= most:
            return ids
        start = min(max(0, bisect_left(sizes, length) - most // 2), len(ids) - most)
        return ids[start : start + most]

    def subsets(self, canon: _Canon) -> list[int]:
        """The longest examples (up to SUBSETS) whose every word is in the question."""
        postings = self.postings
        # rarest first: their examples are the fewest and the most like the question
        words = sorted(sorted(t for t in set(canon.tokens) if t in self.by_rarest), key=lambda t: len(postings[t]))
        have = set(canon.tokens)
        have.add("")  # a one-word example has no second word
        found: list[int] = []
        for first in words:
            seconds = self.by_rarest.get(first)
            if not seconds:
                continue
            if len(seconds) <= len(have):
                for second, ids in seconds.items():
                    if second in have:
                        found.extend(ids)
            else:
                for second in have:
                    found.extend(seconds.get(second, ()))
            if len(found) >= SUBSET_CHECKS:
                break
        texts = self.texts
        inside = [idx for idx in found[:SUBSET_CHECKS] if have.issuperset(texts[idx].split())]
        if len(inside) > SUBSETS:
            inside.sort(key=lambda idx: (-len(texts[idx]), idx))
            del inside[SUBSETS:]
        return inside

    def fuzzy(self, canon: _Canon, w: Weights, exhaustive: bool = False, limit: int = 0
              ) -> tuple[dict[int, float], float]:
        """Similarity in [0, 1] of the question to its nearest examples, and a fill for the rest.

        A blend of rapidfuzz's token_sort_ratio (computed as plain `ratio` on pre-sorted words:
        the same thing, five times faster) and token_set_ratio (slow: only for the NEAREST
        examples by token_sort among the pool). `exhaustive` scores every example in full, the
        reference that pruning is measured against (benchmarks/).
        """
        query = " ".join(sorted(canon.tokens))
        ids, rare = (range(len(self.texts)), []) if exhaustive else self.pool(canon)
        if not exhaustive:
            rare += self.subsets(canon)
        sorted_texts = self.sorted_texts
        limit = limit or NEAREST
        nearest = process.extract(query, _pick(sorted_texts, ids), scorer=fuzz.ratio,
                                  limit=None if exhaustive else limit)
        # Examples sharing the question's rarest words are scored in full even when their
        # word order looks far off: "кто такой хафез асад" is about the statue's Hafez.
        near = {ids[pos]: score for _, score, pos in nearest}
        for idx in rare:
            if idx not in near:
                near[idx] = fuzz.ratio(query, sorted_texts[idx])
        texts = self.texts
        near_ids = list(near)
        set_scores = process.extract(canon.text, _pick(texts, near_ids), scorer=fuzz.token_set_ratio, limit=None)
        sort_scores = [near[idx] for idx in near_ids]
        scores = {near_ids[pos]: (w.sort_share * sort_scores[pos] + w.set_share * set_score) / 100
                  for _, set_score, pos in set_scores}
        floor = 0.0 if exhaustive or len(nearest) < limit else min(scores.values())
        return scores, floor


def pool_budget(examples: int, most: int | None = None) -> int:
    """How many examples an index of `examples` puts in a question's pool (POOL_MAX at most)."""
    return min(max(POOL_BUDGET, examples // POOL_SHARE), POOL_MAX if most is None else most)


def _pick(items: list[str], ids) -> list[str]:
    """items[i] for each i in ids, in C (itemgetter) rather than a Python loop."""
    if len(ids) == 1:
        return [items[ids[0]]]
    return list(itemgetter(*ids)(items)) if ids else []


class _NearIndex:
    """Strings to find the nearest of within k edits (k <= 2); the answer is the one a scan of
    the whole sorted list would give (nearest, then first in alphabetical order).

    Up to SCAN_MAX strings are kept by script and length, and a look-up scans only those that
    could be near: a string of another length differs by more, and an Arabic or Cyrillic word
    shares no letter with a Latin one. Past that (a base many times ours), scanning costs
    milliseconds a word, so the strings are indexed by what is left after deleting up to k of
    their characters: two strings within k edits leave a common string after deleting at most
    k characters from each, so a look-up only checks strings sharing one (symmetric delete)."""

    def __init__(self, strings):
        strings = sorted(set(strings))
        self._size = len(strings)
        self._deletes: dict[str, tuple[str, ...]] | None = None
        if len(strings) > SCAN_MAX:
            keys: dict[str, list[str]] = defaultdict(list)
            for text in strings:
                # A string of 7 or more may need two deletions to meet a look-up; a shorter one
                # only meets a look-up allowed two edits (7 or more characters) with at most one.
                for key in _deletions(text, 2 if len(text) >= 7 else 1):
                    keys[key].append(text)
            self._deletes = {key: tuple(found) for key, found in keys.items()}
            return
        buckets: dict[tuple[str, int], list[str]] = defaultdict(list)
        for text in strings:
            buckets[(_script_class(text), len(text))].append(text)
        self._buckets = dict(buckets)
        self._classes = sorted({cls for cls, _ in buckets})

    def __bool__(self) -> bool:
        return bool(self._size)

    def nearest(self, text: str, limit: int) -> str | None:
        if self._deletes is not None:
            get = self._deletes.get
            near = sorted({found for key in _deletions(text, limit) for found in get(key, ())})
            best = process.extractOne(text, near, scorer=OSA.distance, score_cutoff=limit) if near else None
            return best[0] if best else None
        cls = _script_class(text)
        classes = (cls, "mixed") if cls != "mixed" else self._classes
        best: tuple[float, str] | None = None
        for group in classes:
            for size in range(len(text) - limit, len(text) + limit + 1):
                strings = self._buckets.get((group, size))
                if strings:
                    found = process.extractOne(text, strings, scorer=OSA.distance, score_cutoff=limit)
                    if found and (best is None or (found[1], found[0]) < best):
                        best = (found[1], found[0])
        return best[1] if best else None


def _deletions(text: str, depth: int) -> set[str]:
    """`text` and every string left by deleting up to `depth` of its characters."""
    out = frontier = {text}
    for _ in range(depth):
        frontier = {s[:i] + s[i + 1 :] for s in frontier for i in range(len(s))}
        out = out | frontier
    return out


_LETTERS = (("lat", re.compile(r"[a-z]")), ("ar", re.compile(r"[\u0600-\u06ff]")), ("cyr", re.compile(r"[\u0400-\u04ff]")))


def _letters_group(text: str) -> str | None:
    """The one script the letters of normalized `text` are written in; None for none or several."""
    if text.isascii():
        return "lat" if _LETTERS[0][1].search(text) else None
    found = [name for name, letter in _LETTERS if letter.search(text)]
    return found[0] if len(found) == 1 else None


_ONE_SCRIPT = {"ar": re.compile(r"[\u0600-\u06ff\s]+"), "cyr": re.compile(r"[\u0400-\u04ff\s]+")}


def _script_class(text: str) -> str:
    if text.isascii():
        return "lat"
    for name, pattern in _ONE_SCRIPT.items():
        if pattern.fullmatch(text):
            return name
    return "mixed"


class Matcher:
    """Built once per knowledge base; immutable; `match` is pure."""

    def __init__(
        self,
        intents: dict[str, Intent],
        concepts: dict[str, Concept],
        thresholds: Thresholds = Thresholds(),
        weights: Weights = Weights(),
        negatives: tuple = (),
        years: frozenset[int] = frozenset(),
    ):
        self.intents = intents
        # The years the facts are from: a question about another year is about something else.
        self._years = years
        self.concepts = concepts
        self.thresholds = thresholds
        self.weights = weights
        self._phrases: dict[tuple[str, ...], str] = {}
        fuzzy_ok: set[tuple[str, ...]] = set()
        for concept in concepts.values():
            for variant in concept.variants:
                key = tuple(normalize(variant).split())
                if key:
                    self._phrases.setdefault(key, concept.id)
                    if concept.kind != "topic":  # topic words are ordinary words: exact only
                        fuzzy_ok.add(key)
        self._phrase_len: dict[str, int] = {}
        for key in self._phrases:
            if len(key) <= MAX_PHRASE:
                self._phrase_len[key[0]] = max(self._phrase_len.get(key[0], 0), len(key))
        # Variants by word count, for typo-tolerant lookup ("dier ez zor", "alepo").
        by_size: dict[int, list[str]] = defaultdict(list)
        for key in fuzzy_ok:
            joined = " ".join(key)
            if len(joined.replace(" ", "")) >= 4:
                by_size[len(key)].append(joined)
        self._fuzzy_variants = {size: _NearIndex(variants) for size, variants in by_size.items()}

        # Vocabulary of the raw examples, so a real word is never "corrected" into a name.
        raw_vocab: set[str] = set()
        self._all_intents = dict(intents)
        if negatives:
            self._all_intents[NEGATIVE] = Intent(NEGATIVE, {"en": "-"}, (), (), (), (), tuple(negatives))
        for intent in self._all_intents.values():
            for ex in intent.examples:
                raw_vocab.update(normalize(ex.text).split())
        self._vocab = raw_vocab | COMMON_WORDS
        self._spell_targets = _NearIndex(w for w in raw_vocab if len(w) >= 4 and w.isalpha())
        # Word-level caches: the same misspelt words and names come back in many questions.
        self._spell_cache: dict[str, str | None] = {}
        self._name_cache: dict[tuple[str, ...], tuple[int, str | None]] = {}

        intent_tokens: dict[str, Counter] = defaultdict(Counter)
        # Per intent and language: how many examples, and how many use each word.
        lang_tokens: dict[tuple[str, str], Counter] = defaultdict(Counter)
        lang_examples: Counter = Counter()
        grouped: dict[str, list[tuple[str, str]]] = defaultdict(list)
        negative_pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
        exact: dict[str, str | None] = {}  # text -> its one intent; None: more than one
        for intent in self._all_intents.values():
            for ex in intent.examples:
                text = normalize(ex.text)
                canon = self._canonicalise(text)
                if not canon.text:
                    continue
                into = negative_pairs if intent.id == NEGATIVE else grouped
                into[_letters_group(text) or SCRIPT_GROUP.get(ex.lang, "lat")].append((intent.id, canon.text))
                exact[canon.text] = intent.id if exact.get(canon.text, intent.id) == intent.id else None
                intent_tokens[intent.id].update(set(canon.tokens))
                lang_tokens[(intent.id, ex.lang)].update(set(canon.tokens))
                lang_examples[(intent.id, ex.lang)] += 1
        # A question is compared with the examples written in its own script (and with each
        # script's when its own cannot be told): as accurate, and several times faster.
        self._indexes = {group: _ExampleIndex(pairs) for group, pairs in grouped.items()}
        self._negative_indexes = {group: _ExampleIndex(pairs) for group, pairs in negative_pairs.items()}
        self._order = {iid: n for n, iid in enumerate(self._all_intents)}  # ties go to the first listed
        self._named = {i.id: (frozenset(i.entities), frozenset(i.allows)) for i in self._all_intents.values()}
        self._exhaustive = False
        # A question that is word for word one intent's example is that intent (or, for an
        # out-of-scope example, none), whatever the scores say.
        self._exact = {text: owner for text, owner in exact.items() if owner}
        self._intent_vocab = {tok for iid, c in intent_tokens.items() if iid != NEGATIVE for tok in c}
        # A name few intents are about says more than one many are about ("statue" vs "damascus").
        listed = Counter(c for i in intents.values() for c in set(i.entities))
        self._specific = {c: 1.0 / listed[c] ** 0.5 if listed[c] else 0.0 for c in concepts}
        # Word weights: a word used by few intents says more about which one is meant.
        n_intents = max(len(self._all_intents), 1)
        doc_freq = Counter(tok for counts in intent_tokens.values() for tok in counts)
        self._idf = {tok: math.log(1 + n_intents / df) for tok, df in doc_freq.items()}
        # Share of an intent's examples (in the word's own language) that use the word: frequent
        # in-intent words count more, and adding Arabic examples does not dilute English words.
        intent_word: dict[str, dict[str, float]] = defaultdict(dict)
        for (iid, lang), counts in lang_tokens.items():
            words = intent_word[iid]
            for tok, cnt in counts.items():
                words[tok] = max(words.get(tok, 0.0), min(1.0, 4 * cnt / lang_examples[(iid, lang)]))
        # Intent by intent, each word's weight: looked up only for the intents a question's
        # nearest examples belong to, so the cost does not grow with the number of intents.
        self._word_weights = {iid: {tok: self._idf[tok] * share for tok, share in words.items()}
                              for iid, words in intent_word.items()}

    # -- canonicalisation ---------------------------------------------------------------
    def _canonicalise(self, normalized: str) -> _Canon:
        words = normalized.split()
        out: list[str] = []
        concepts: list[str] = []
        unknown: list[str] = []
        strange: list[str] = []
        i = 0
        while i < len(words):
            # Only as long as the longest name starting with this word: most words start none.
            for size in range(min(self._phrase_len.get(words[i], 0), len(words) - i), 0, -1):
                cid = self._phrases.get(tuple(words[i : i + size]))
                if cid:
                    self._note(cid, out, concepts, unknown)
                    i += size
                    break
            else:
                cid = self._without_proclitic(words[i])
                if cid:
                    self._note(cid, out, concepts, unknown)
                    i += 1
                    continue
                size, cid = self._fuzzy_name(words, i)
                if cid:
                    self._note(cid, out, concepts, unknown)
                    i += size
                    continue
                word = words[i]
                if self._other_year(word) and len(words) <= SHORT_QUESTION_WORDS:  # long: just context
                    self._note(OTHER_YEAR, out, concepts, unknown)
                    i += 1
                    continue
                if word not in self._vocab and len(word) >= 4 and not word.isdigit():
                    fixed = self._spell(word)
                    if fixed:
                        word = fixed
                    elif word.isascii() and word.isalpha():
                        # Only Latin words can be told to be unknown: we have an English
                        # word list, none for Arabic or Cyrillic.
                        strange.append(word)
                cid = self._phrases.get((word,))
                if cid:  # a misspelling of a one-word name: "sumary" -> "summary" -> overview
                    self._note(cid, out, concepts, unknown)
                else:
                    out.append(word)
                i += 1
        return _Canon(" ".join(out), tuple(out), tuple(concepts), tuple(unknown), tuple(strange))

    def _other_year(self, word: str) -> bool:
        return bool(self._years) and len(word) == 4 and word.isdigit() and 1900 <= int(word) <= 2100 \
            and int(word) not in self._years

    def _without_proclitic(self, word: str) -> str | None:
        """An Arabic name with a joined prefix: "بحمص" (in Homs), "والاسد" (and al-Assad)."""
        if len(word) < 4 or word[0] not in _PROCLITICS:
            return None
        for rest in (word[1:], word[2:] if word[1] in _PROCLITICS else ""):
            if len(rest) >= 3:
                cid = self._phrases.get((rest,)) or (self._phrases.get((rest[2:],)) if rest.startswith("ال") else None)
                if cid:
                    return cid
        return None

    def _spell(self, word: str) -> str | None:
        """A misspelling of a word the examples use ("controll" -> "control"), if close enough."""
        if word in self._spell_cache:
            return self._spell_cache[word]
        limit = 1 if len(word) <= 6 else 2
        found = self._spell_targets.nearest(word, limit)
        fixed = found if found and (len(word) > 5 or found[0] == word[0]) else None
        if len(self._spell_cache) > 50_000:
            self._spell_cache.clear()
        self._spell_cache[word] = fixed
        return fixed

    def _note(self, cid: str, out: list[str], concepts: list[str], unknown: list[str]) -> None:
        concept = self.concepts[cid]
        out.append(cid)
        (concepts if concept.in_scope else unknown).append(cid)

    def _fuzzy_name(self, words: list[str], i: int) -> tuple[int, str | None]:
        """A misspelt name ("homz", "alepo", "dier ez zor"), never an ordinary word.

        Only tried where the first word is not a word we know: names start there.
        """
        if words[i] in self._vocab or words[i].isdigit():
            return 1, None
        key = tuple(words[i : i + 3])
        found = self._name_cache.get(key)
        if found is None:
            if len(self._name_cache) > 50_000:
                self._name_cache.clear()
            found = self._name_cache[key] = self._nearest_name(words, i)
        return found

    def _nearest_name(self, words: list[str], i: int) -> tuple[int, str | None]:
        for size in range(min(3, len(words) - i), 0, -1):
            chunk = words[i : i + size]
            phrase = " ".join(chunk)
            letters = len(phrase) - size + 1
            if letters < 4 or not self._fuzzy_variants.get(size):
                continue
            limit = 1 if letters <= 7 else 2
            variant = self._fuzzy_variants[size].nearest(phrase, limit)
            if not variant:
                continue
            if letters <= 5 and variant[0] != phrase[0]:
                continue
            return size, self._phrases[tuple(variant.split())]
        return 1, None

    # -- scoring --------------------------------------------------------------------------
    @staticmethod
    def _group(question: str, normalized: str | None = None) -> str:
        """Which examples to compare a question with: those written in its letters' script
        ("hi" is never compared with Arabic examples; Arabizi is Latin), or, for a question
        mixing scripts, its language's."""
        group = _letters_group(normalize(question) if normalized is None else normalized)
        if group:
            return group
        lang = detect(question)
        return SCRIPT_GROUP[lang] if lang else ALL

    def _score(self, canon: _Canon, group: str = ALL, exhaustive: bool = False
               ) -> tuple[list[Scored], list[tuple[str, str, float]]]:
        """Every intent with an example near the question, scored and ranked (all intents when
        `exhaustive`). An intent with none scores lower than those that have one."""
        w = self.weights
        fuzzy_best: dict[str, float] = {}
        near: list[tuple[float, str, str]] = []
        floor = 0.0
        # The out-of-scope examples have an index of their own: how close the nearest of them
        # are decides refusals, so they never compete with the intents' examples for a place.
        for indexes, limit in ((self._indexes, NEAREST), (self._negative_indexes, NEGATIVE_NEAREST)):
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
                near.extend((scores[idx], intents[idx], index.texts[idx])
                            for idx in heapq.nlargest(12, scores, key=scores.get))
            if indexes is self._indexes:
                floor = fill
            for iid, values in by_intent.items():
                top = sorted(values, reverse=True)[: w.top_k]
                top += [fill] * (w.top_k - len(top))  # for the unscored: as good as the weakest scored
                fuzzy_best[iid] = 0.5 * top[0] + 0.5 * sum(top) / len(top)
        closest: list[tuple[str, str, float]] = []
        seen: set[str] = set()
        for value, iid, text in heapq.nlargest(12, near):
            if text not in seen:
                seen.add(text)
                closest.append((iid, text, round(value, 3)))
                if len(closest) == 5:
                    break

        tokens = sorted(set(canon.tokens))  # sorted: the same sums in every process, to the last bit
        # Words no example uses say little about which intent is meant: they count lightly.
        total = sum(self._idf.get(t, w.unseen_word_weight) for t in tokens) or 1.0
        present = set(canon.concepts)
        subjects = {c for c in present if self.concepts[c].kind in self.weights.penalised_kinds}
        off_topic = {c for c in canon.unknown if self.concepts[c].kind == "topic"}
        if exhaustive:
            candidates = list(self._all_intents)
        else:
            candidates = list(fuzzy_best)
            if NEGATIVE in self._all_intents and NEGATIVE not in fuzzy_best:
                candidates.append(NEGATIVE)
        empty: dict[str, float] = {}
        zeros = [0.0] * len(tokens)
        none = w.fuzzy * (0.5 * floor + 0.5 * floor)  # an intent with no example near the question
        ranked: list[Scored] = []
        for iid in candidates:
            lexical = sum(map(self._word_weights.get(iid, empty).get, tokens, zeros))
            score = w.fuzzy * fuzzy_best[iid] if iid in fuzzy_best else none
            score += w.lexical * lexical / total
            if iid == NEGATIVE:
                # Names and topics we know we lack are evidence for "no facts on that".
                score += w.off_topic_penalty * bool(off_topic) + w.entity_bonus * bool(canon.unknown)
                ranked.append(Scored(iid, round(max(0.0, min(1.0, score)), 4)))
                continue
            own, allows = self._named[iid]
            if present:
                score += w.entity_bonus * sum(self._specific[c] for c in sorted(present & own))
            if subjects:
                score -= w.entity_penalty * len(subjects - own - allows)
            if canon.strange and not (subjects & own):
                score -= w.unknown_word_penalty * len(canon.strange)
            if off_topic and off_topic - allows:
                score -= w.off_topic_penalty
            ranked.append(Scored(iid, round(max(0.0, min(1.0, score)), 4)))
        order = self._order
        ranked.sort(key=lambda s: (-s.score, order[s.intent]))
        return ranked, closest

    # -- decision -------------------------------------------------------------------------
    def _decide(self, question: str, normalized: str, canon: _Canon) -> Match:
        ranked, closest = self._score(canon, self._group(question, normalized), self._exhaustive)
        negative = next((s.score for s in ranked if s.intent == NEGATIVE), 0.0)
        ranked = [s for s in ranked if s.intent != NEGATIVE]
        th = self.thresholds
        best = ranked[0] if ranked else Scored("", 0.0)
        intent: str | None = best.intent
        reason = "matched"
        exact = self._exact.get(canon.text)
        if not canon.text:
            intent, reason = None, "empty"
        elif exact == NEGATIVE:
            intent, reason = None, "out_of_scope_example"
        elif exact:
            intent, reason = exact, "example"
            best = Scored(exact, max(ranked[0].score, next((s.score for s in ranked if s.intent == exact), 0.0)))
        elif not best.intent:
            intent, reason = None, "low_score"  # no example shares a word with the question
        elif len(canon.tokens) == 1 and not canon.concepts:
            intent, reason = None, "too_vague"  # "why", "what": no example says just that
        elif self._near_miss(canon, best.intent):
            intent, reason = None, "out_of_scope_name"
        elif self._unnamed_subject(canon, best.intent):
            intent, reason = None, "unknown_subject"
        elif best.score < th.out_of_scope:
            intent, reason = None, "low_score"
        elif negative > best.score or (best.score < th.doubt and negative > best.score - th.negative_margin):
            intent, reason = None, "like_out_of_scope_examples"
        alternatives: tuple[str, ...] = ()
        if intent:
            runners = [s for s in ranked if s.intent != intent][:2]
            alternatives = tuple(
                s.intent for s in runners if s.score >= th.out_of_scope and best.score - s.score <= th.ambiguity
            )
        return Match(
            question=question,
            normalized=canon.text,
            intent=intent,
            confidence=best.score if intent else round(1.0 - best.score, 4) if canon.text else 1.0,
            ranked=tuple(ranked),
            alternatives=alternatives,
            concepts=canon.concepts,
            unknown=canon.unknown,
            closest=tuple(closest),
            reason=reason,
            negative=negative,
        )

    def _near_miss(self, canon: _Canon, intent_id: str) -> bool:
        """Names a place, person or group we have no facts on as the question's subject.

        Refused: "who controls aleppo", "where is putin" (none of the intent's own names),
        and "what did putin say about assad" (a short question that names the unknown one
        first). Kept: "is assad in tehran?", and long messages that mention somewhere else in
        passing ("i live in germany and my mom is in homs, who controls it now?").
        """
        intent = self.intents[intent_id]
        for cid in canon.unknown:
            kind = self.concepts[cid].kind
            if cid in intent.allows or kind == "topic":
                continue
            # A place stands in for a place; a person or a group for a person or a group.
            alike = ("place",) if kind == "place" else ("person", "group")
            own = [canon.tokens.index(c) for c in canon.concepts if c in intent.entities and self.concepts[c].kind in alike]
            # "is assad in tehran?" is still about Assad: a person of the intent named first.
            first_person = [canon.tokens.index(c) for c in canon.concepts
                            if c in intent.entities and self.concepts[c].kind == "person"]
            if kind == "place" and first_person and min(first_person) < canon.tokens.index(cid):
                continue
            if not own:
                return True
            if len(canon.tokens) <= SHORT_QUESTION_WORDS and canon.tokens.index(cid) < min(own):
                return True
        return False

    def _unnamed_subject(self, canon: _Canon, intent_id: str) -> bool:
        """A short question about something we have never heard of ("who controls the moon").

        The intent is about a place or person, the question names none of ours, and it has an
        ordinary English word that none of our examples use: that word is probably its subject.
        """
        if len(canon.tokens) > SHORT_QUESTION_WORDS:
            return False
        intent = self.intents[intent_id]
        subjects = [c for c in intent.entities if self.concepts[c].kind in ("place", "person")]
        if not subjects or any(c in intent.entities or self.concepts[c].kind in SUBJECT_KINDS for c in canon.concepts):
            return False
        return any(t not in self._intent_vocab and t in COMMON_WORDS for t in canon.tokens)

    def match(self, question: str, context: Context | None = None) -> Match:
        normalized = normalize(question)
        canon = self._canonicalise(normalized)
        result = self._decide(question, normalized, canon)
        if len(canon.tokens) == 1 and canon.concepts and self.concepts[canon.concepts[0]].default_intent:
            # A bare name ("homs?") asks that name's main question.
            result = self._forced(question, result, self.concepts[canon.concepts[0]].default_intent, "default_for_name")
        elif context is not None:
            result = self._with_context(question, normalized, canon, result, context)
        if result.intent and 5 <= len(canon.tokens) <= MAX_TWO_QUESTION_WORDS:
            result = self._with_second_question(question, result)
        return result

    def with_thresholds(self, thresholds: Thresholds) -> Matcher:
        """The same matcher (sharing its index) deciding with other thresholds."""
        other = copy.copy(self)
        other.thresholds = thresholds
        return other

    def clear_caches(self) -> None:
        """Forget the words seen so far (benchmarks measure questions as if first seen)."""
        self._spell_cache.clear()
        self._name_cache.clear()
        normalize.cache_clear()

    def exhaustive(self) -> Matcher:
        """The same matcher scoring every example of every intent: the reference that the
        pruned search is checked against (benchmarks/bench_growth.py)."""
        other = copy.copy(self)
        other._exhaustive = True
        return other

    def canonical(self, question: str) -> str:
        return self._canonicalise(normalize(question)).text

    # -- conversation -----------------------------------------------------------------------
    def _with_context(self, question: str, normalized: str, canon: _Canon, result: Match, ctx: Context) -> Match:
        """Read a short follow-up in the light of the previous question.

        "and damascus?" after "who controls homs?" is the last question about the new name,
        if some intent is about that name; otherwise that name's main question.
        "when did it fall?" after a question about Homs is the new question about Homs.
        """
        stripped = _FOLLOW_UP.sub("", normalized).strip()
        is_follow_up = stripped != normalized or len(canon.tokens) <= self.thresholds.follow_up_max_words
        if not is_follow_up or canon.unknown:
            return result
        rest = self._canonicalise(stripped)
        subjects = [c for c in rest.concepts if self.concepts[c].kind in SUBJECT_KINDS]
        if subjects and len(rest.tokens) <= 2:
            prev = [t for t in ctx.question.split() if t not in ctx.concepts or self.concepts[t].kind not in SUBJECT_KINDS]
            alt = self._decide(question, normalized, self._canonicalise(" ".join(prev + subjects)))
            if alt.intent and subjects[0] in self.intents[alt.intent].entities:
                return replace(alt, reason=alt.reason + "+context")
            default = self.concepts[subjects[0]].default_intent
            if default:
                return self._forced(question, result, default, "default_for_name+context")
            return result
        if not subjects and ctx.concepts:
            alt = self._decide(question, normalized, self._canonicalise(" ".join([*rest.tokens, *ctx.concepts])))
            if alt.intent and (result.intent is None or alt.confidence > result.confidence):
                return replace(alt, reason=alt.reason + "+context")
        return result

    def _forced(self, question: str, base: Match, intent: str, reason: str) -> Match:
        score = next((s.score for s in base.ranked if s.intent == intent), 0.0)
        return replace(base, intent=intent, confidence=max(score, self.thresholds.out_of_scope), reason=reason, alternatives=())

    def _with_second_question(self, question: str, first: Match) -> Match:
        """ "who controls homs and where is assad": answer both when both parts are clear."""
        parts = [p for p in re.split(r"\?+|\band\b|\balso\b|;", question, flags=re.IGNORECASE) if p.strip()]
        if len(parts) < 2:
            return first
        found: list[Match] = []
        for part in parts:
            canon = self._canonicalise(normalize(part))
            if len(canon.tokens) < MIN_PART_WORDS:  # "pls answer", "в россию?", "and the us": not questions of their own
                continue
            m = self._decide(part, normalize(part), canon)
            if m.intent and m.confidence >= self.thresholds.out_of_scope + 0.1 and m.intent not in {x.intent for x in found}:
                found.append(m)
        if len(found) < 2:
            return first
        lead = next((m for m in found if m.intent == first.intent), None)
        if lead is None:
            return first
        extra = tuple(m for m in found if m is not lead)
        return replace(first, extra=extra, alternatives=tuple(a for a in first.alternatives if a not in {m.intent for m in extra}))

