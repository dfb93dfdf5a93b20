"""Find the intent a question asks for, or decide that it asks for something we have no facts on.

Pipeline: normalise -> canonicalise names (aliases, with typo tolerance) -> score every intent
by (a) rapidfuzz similarity to its examples, (b) weighted word overlap with its examples and
(c) evidence from the names the question mentions -> pick the best, or refuse.

Refusal comes first from names: a question that names a place, person or topic we know to be
out of scope ("Aleppo", "Putin") and none of the intent's own names is a near miss, not a
weak match. Then from the score: below the out-of-scope threshold, no intent.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from .model import Concept, Intent, Match, Scored
from .normalize import normalize
from .words import COMMON_WORDS

SUBJECT_KINDS = ("place", "person", "group")
NEGATIVE = "out_of_scope"  # the pseudo-intent of intents/out_of_scope.yaml
MAX_PHRASE = 6
MAX_TWO_QUESTION_WORDS = 24
SHORT_QUESTION_WORDS = 12  # in a short question, the first name is its subject  # longer messages are one question wrapped in context
# Leading words that mark a follow-up ("and damascus?", "what about assad").
_FOLLOW_UP = re.compile(r"^(and|also|what about|how about|what of|and what about|and how about|n|wbu)\b\s*")


@dataclass(frozen=True)
class Thresholds:
    out_of_scope: float = 0.5  # below this score, no intent
    ambiguity: float = 0.06  # runner-ups within this of the best are offered as "did you mean"
    follow_up_max_words: int = 4


@dataclass(frozen=True)
class Weights:
    penalised_kinds: tuple[str, ...] = ("place", "person")  # names an intent must be about
    top_k: int = 3
    sort_share: float = 0.5  # the fuzzy score is a blend of rapidfuzz scorers
    set_share: float = 0.5
    wratio_share: float = 0.0
    ratio_share: float = 0.0  # an intent's fuzzy score blends its best example with its best k
    fuzzy: float = 0.55
    lexical: float = 0.45
    entity_bonus: float = 0.05  # per named concept the intent is about
    entity_penalty: float = 0.2  # per named subject (place/person/group) the intent is not about
    unknown_word_penalty: float = 0.2  # per unrecognised word that looks like a name
    off_topic_penalty: float = 0.25
    unseen_word_weight: float = 1.0  # the question names a topic we have no facts on


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


class Matcher:
    """Built once per knowledge base; immutable; `match` is pure."""

    def __init__(
        self,
        intents: dict[str, Intent],
        concepts: dict[str, Concept],
        thresholds: Thresholds = Thresholds(),
        weights: Weights = Weights(),
        negatives: tuple = (),
    ):
        self.intents = intents
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
        # Variants by word count, for typo-tolerant lookup ("dier ez zor", "alepo").
        self._fuzzy_variants: dict[int, list[str]] = defaultdict(list)
        for key in fuzzy_ok:
            joined = " ".join(key)
            if len(joined.replace(" ", "")) >= 4:
                self._fuzzy_variants[len(key)].append(joined)
        self._concept_tokens = {c.id for c in concepts.values()}

        # Vocabulary of the raw examples, so a real word is never "corrected" into a name.
        raw_vocab: set[str] = set()
        self._all_intents = dict(intents)
        if negatives:
            self._all_intents[NEGATIVE] = Intent(NEGATIVE, {"en": "-"}, (), (), (), (), tuple(negatives))
        for intent in self._all_intents.values():
            for ex in intent.examples:
                raw_vocab.update(normalize(ex.text).split())
        self._vocab = raw_vocab | COMMON_WORDS
        self._spell_targets = sorted(w for w in raw_vocab if len(w) >= 4 and w.isalpha())
        self._spell_cache: dict[str, str | None] = {}
        self._scorers = [
            (scorer, share / 100) for scorer, share in (
                (fuzz.token_sort_ratio, weights.sort_share), (fuzz.token_set_ratio, weights.set_share),
                (fuzz.WRatio, weights.wratio_share), (fuzz.ratio, weights.ratio_share),
            ) if share
        ]

        self._example_texts: list[str] = []
        self._example_intents: list[str] = []
        intent_tokens: dict[str, Counter] = defaultdict(Counter)
        for intent in self._all_intents.values():
            for ex in intent.examples:
                canon = self._canonicalise(normalize(ex.text))
                if not canon.text:
                    continue
                self._example_texts.append(canon.text)
                self._example_intents.append(intent.id)
                intent_tokens[intent.id].update(set(canon.tokens))
        # Inverted index over telling words (not the ones in a large share of the examples).
        example_freq = Counter(tok for text in self._example_texts for tok in set(text.split()))
        cap = max(20, len(self._example_texts) // 12)
        self._common_tokens = {tok for tok, n in example_freq.items() if n > cap}
        postings: dict[str, list[int]] = defaultdict(list)
        for idx, text in enumerate(self._example_texts):
            for tok in set(text.split()) - self._common_tokens:
                postings[tok].append(idx)
        self._postings = dict(postings)
        self._known_tokens = set().union(*(set(c) for c in intent_tokens.values())) | self._vocab
        # A name few intents are about says more than one many are about ("statue" vs "damascus").
        listed = Counter(c for i in intents.values() for c in set(i.entities))
        self._specific = {c: 1.0 / listed[c] ** 0.5 if listed[c] else 0.0 for c in concepts}
        # Word weights: a word used by few intents says more about which one is meant.
        n_intents = max(len(self._all_intents), 1)
        doc_freq = Counter(tok for counts in intent_tokens.values() for tok in counts)
        self._idf = {tok: math.log(1 + n_intents / df) for tok, df in doc_freq.items()}
        self._default_idf = math.log(1 + n_intents)
        # Share of an intent's examples that use the word: frequent in-intent words count more.
        self._intent_word = {
            iid: {tok: min(1.0, 4 * cnt / max(1, len(self._all_intents[iid].examples))) for tok, cnt in counts.items()}
            for iid, counts in intent_tokens.items()
        }

    # -- canonicalisation ---------------------------------------------------------------
    def _canonicalise(self, normalized: str) -> _Canon:
        words = normalized.split()
        out: list[str] = []
        concepts: list[str] = []
        unknown: list[str] = []
        strange: list[str] = []
        i = 0
        while i < len(words):
            for size in range(min(MAX_PHRASE, len(words) - i), 0, -1):
                cid = self._phrases.get(tuple(words[i : i + size]))
                if cid:
                    self._note(cid, out, concepts, unknown)
                    i += size
                    break
            else:
                size, cid = self._fuzzy_name(words, i)
                if cid:
                    self._note(cid, out, concepts, unknown)
                    i += size
                    continue
                word = words[i]
                if word not in self._vocab and len(word) >= 4 and not word.isdigit():
                    fixed = self._spell(word)
                    if fixed:
                        word = fixed
                    else:
                        strange.append(word)
                out.append(word)
                i += 1
        return _Canon(" ".join(out), tuple(out), tuple(concepts), tuple(unknown), tuple(strange))

    def _spell(self, word: str) -> str | None:
        """A misspelling of a word the examples use ("controll" -> "control"), if close enough."""
        if word in self._spell_cache:
            return self._spell_cache[word]
        limit = 1 if len(word) <= 6 else 2
        found = process.extractOne(word, self._spell_targets, scorer=OSA.distance, score_cutoff=limit)
        fixed = found[0] if found and (len(word) > 5 or found[0][0] == word[0]) else None
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
        for size in range(min(3, len(words) - i), 0, -1):
            chunk = words[i : i + size]
            phrase = " ".join(chunk)
            letters = len(phrase) - size + 1
            if letters < 4 or not self._fuzzy_variants.get(size):
                continue
            limit = 1 if letters <= 7 else 2
            found = process.extractOne(phrase, self._fuzzy_variants[size], scorer=OSA.distance, score_cutoff=limit)
            if not found:
                continue
            variant = found[0]
            if letters <= 5 and variant[0] != phrase[0]:
                continue
            return size, self._phrases[tuple(variant.split())]
        return 1, None

    # -- scoring --------------------------------------------------------------------------
    def _candidates(self, tokens: tuple[str, ...]) -> list[int]:
        """Examples sharing a telling word with the question; all of them if it has none.

        Examples without one score low on every fuzzy measure anyway (misspellings were
        corrected to the examples' own words), so skipping them keeps answers the same.
        """
        found: set[int] = set()
        for tok in set(tokens):
            found.update(self._postings.get(tok, ()))
        if not found and not any(t in self._common_tokens for t in tokens):
            return []
        return sorted(found) if found else list(range(len(self._example_texts)))

    def _score(self, canon: _Canon) -> tuple[list[Scored], list[tuple[str, str, float]]]:
        w = self.weights
        fuzzy_best: dict[str, float] = {}
        closest: list[tuple[str, str, float]] = []
        candidates = self._candidates(canon.tokens)
        if canon.text and candidates:
            texts = [self._example_texts[k] for k in candidates]
            combined = [0.0] * len(candidates)
            for scorer, weight in self._scorers:
                for _, score, pos in process.extract(canon.text, texts, scorer=scorer, limit=None):
                    combined[pos] += weight * score
            per_intent: dict[str, list[float]] = defaultdict(list)
            for pos, s in enumerate(combined):
                per_intent[self._example_intents[candidates[pos]]].append(s)
            for iid, values in per_intent.items():
                top = sorted(values, reverse=True)[: w.top_k]
                fuzzy_best[iid] = 0.5 * top[0] + 0.5 * sum(top) / len(top)
            order = sorted(range(len(combined)), key=combined.__getitem__, reverse=True)[:5]
            closest = [
                (self._example_intents[candidates[p]], texts[p], round(combined[p], 3)) for p in order
            ]

        tokens = set(canon.tokens)
        # Words no example uses say little about which intent is meant: they count lightly.
        total = sum(self._idf.get(t, w.unseen_word_weight) for t in tokens) or 1.0
        present = set(canon.concepts)
        subjects = {c for c in present if self.concepts[c].kind in self.weights.penalised_kinds}
        off_topic = {c for c in canon.unknown if self.concepts[c].kind == "topic"}
        ranked: list[Scored] = []
        for iid, intent in self._all_intents.items():
            words = self._intent_word.get(iid, {})
            lexical = sum(self._idf.get(t, self._default_idf) * words.get(t, 0.0) for t in tokens) / total
            score = w.fuzzy * fuzzy_best.get(iid, 0.0) + w.lexical * lexical
            if iid == NEGATIVE:
                # Names and topics we know we lack are evidence for "no facts on that".
                score += w.off_topic_penalty * bool(off_topic) + w.entity_bonus * bool(canon.unknown)
                ranked.append(Scored(iid, round(max(0.0, min(1.0, score)), 4)))
                continue
            own = set(intent.entities)
            score += w.entity_bonus * sum(self._specific[c] for c in present & own)
            score -= w.entity_penalty * len(subjects - own - set(intent.allows))
            if not (subjects & own):
                score -= w.unknown_word_penalty * len(canon.strange)
            if off_topic - set(intent.allows):
                score -= w.off_topic_penalty
            ranked.append(Scored(iid, round(max(0.0, min(1.0, score)), 4)))
        ranked.sort(key=lambda s: -s.score)
        return ranked, closest

    # -- decision -------------------------------------------------------------------------
    def _decide(self, question: str, normalized: str, canon: _Canon) -> Match:
        ranked, closest = self._score(canon)
        negative = next((s.score for s in ranked if s.intent == NEGATIVE), 0.0)
        ranked = [s for s in ranked if s.intent != NEGATIVE]
        th = self.thresholds
        best = ranked[0] if ranked else Scored("", 0.0)
        intent: str | None = best.intent
        reason = "matched"
        if not canon.text:
            intent, reason = None, "empty"
        elif self._near_miss(canon, best.intent):
            intent, reason = None, "out_of_scope_name"
        elif best.score < th.out_of_scope:
            intent, reason = None, "low_score"
        elif negative > best.score:
            intent, reason = None, "like_out_of_scope_examples"
        alternatives: tuple[str, ...] = ()
        if intent:
            alternatives = tuple(
                s.intent for s in ranked[1:3] if s.score >= th.out_of_scope and best.score - s.score <= th.ambiguity
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
        )

    def _near_miss(self, canon: _Canon, intent_id: str) -> bool:
        """Names a place, person or group we have no facts on as the question's subject.

        Refused: "who controls aleppo", "where is putin" (none of the intent's own names),
        and "what did putin say about assad" (a short question that names the unknown one
        first). Kept: "is assad in tehran?", and long messages that mention somewhere else in
        passing ("i live in germany and my mom is in homs, who controls it now?").
        """
        intent = self.intents[intent_id]
        own = [canon.tokens.index(c) for c in canon.concepts if c in intent.entities and self.concepts[c].kind in SUBJECT_KINDS]
        for cid in canon.unknown:
            if cid in intent.allows or self.concepts[cid].kind == "topic":
                continue
            if not own:
                return True
            if len(canon.tokens) <= SHORT_QUESTION_WORDS and canon.tokens.index(cid) < min(own):
                return True
        return False

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
            if len(canon.tokens) < 2:
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

