"""Deciding: the intent a question asks for, or why it gets none (a name we have no facts on,
an unknown subject, a score too low or too like the out-of-scope examples), and the topics
worth offering: runner-ups as "did you mean", the likeliest topics of a question about the
story no intent is sure of (asked back), the nearest topic of a near miss, and where the
words of the one a "what did X say?" question names are (or that the base holds none)."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from ..model import (
    ASK_BACK,
    LIKE_OUT_OF_SCOPE,
    LOW_SCORE,
    NO_STATEMENT,
    OUT_OF_SCOPE_NAME,
    SPECIAL_INTENTS,
    TOO_VAGUE,
    Concept,
    Intent,
    Match,
    Scored,
)
from ..words import COMMON_WORDS
from .examples import NEGATIVE, CanonicalExample
from .names import Canon
from .options import MatchOptions, Thresholds
from .scoring import Scorer, example_group

SUBJECT_KINDS = ("place", "person", "group")
# Refusals that only mean "no intent is sure": a question naming the story's people, places or
# groups is asked back, with its likeliest topics, rather than told it is out of scope.
UNKNOWN_SUBJECT = "unknown_subject"  # a short question about something we never heard of (_unnamed_subject)
ASK_BACK_REASONS = (LOW_SCORE, LIKE_OUT_OF_SCOPE, TOO_VAGUE, UNKNOWN_SUBJECT)
ASK_BACK_TOPICS = 3
# Refusals offered the learned model's likeliest topics, not the main ones: not a one-word
# question ("why"), whose likeliest topics are anybody's guess.
SUGGESTED_REASONS = (LOW_SCORE, LIKE_OUT_OF_SCOPE, UNKNOWN_SUBJECT)
# Words asking what someone said or thinks: "what did trump say?", "что заявил Кремль?".
SAY_WORDS = frozenset({
    "say", "said", "says", "saying", "think", "thinks", "thought", "statement", "statements", "comment", "comments",
    "commented", "react", "reacted", "reaction", "respond", "responded", "response", "claim", "claimed", "announce",
    "announced", "stance", "position", "tweet", "tweeted", "posted",
    "сказал", "сказала", "сказали", "заявил", "заявила", "заявили", "говорит", "говорят", "заявление", "думает",
    "ответил", "реакция", "позиция", "сказав", "заявив", "каже", "кажуть", "заява", "думає", "відповів", "реакція",
    "позиція", "قال", "قالت", "يقول", "صرح", "تصريح", "تصريحات", "موقف", "رد", "بيان", "علق",
})
STATEMENT_QUESTION_WORDS = 8  # longer messages are about more than who said what
ASK_BACK_FLOOR = 0.5  # of the out-of-scope threshold: intents scoring less are not offered


class Decider:
    """Scores a canonical question and decides, with the given thresholds."""

    def __init__(
        self,
        intents: dict[str, Intent],
        concepts: dict[str, Concept],
        examples: Sequence[CanonicalExample],
        scorer: Scorer,
        thresholds: Thresholds,
        options: MatchOptions,
    ):
        self.intents = intents
        self.concepts = concepts
        self.scorer = scorer
        self.thresholds = thresholds
        self._options = options
        self._exhaustive = False
        # A question that is word for word one intent's example is that intent (or, for an
        # out-of-scope example, none), whatever the scores say.
        exact: dict[str, str | None] = {}  # text -> its one intent; None: more than one
        for ex in examples:
            text = ex.canon.text
            exact[text] = ex.intent if exact.get(text, ex.intent) == ex.intent else None
        self._exact = {text: owner for text, owner in exact.items() if owner}
        self._intent_vocab = {tok for ex in examples if ex.intent != NEGATIVE for tok in ex.canon.tokens}

    def with_thresholds(self, thresholds: Thresholds) -> Decider:
        other = copy.copy(self)
        other.thresholds = thresholds
        return other

    def exhaustive(self) -> Decider:
        """The same decider scoring every example of every intent."""
        other = copy.copy(self)
        other._exhaustive = True
        return other

    def decide(self, question: str, normalized: str, canon: Canon) -> Match:
        """The Match for `question`, whose normalised and canonical forms are given."""
        ranked, closest = self.scorer.score(canon, example_group(question, normalized), self._exhaustive)
        negative = next((s.score for s in ranked if s.intent == NEGATIVE), 0.0)
        ranked = [s for s in ranked if s.intent != NEGATIVE]
        best, intent, reason = self._verdict(canon, ranked, negative)
        alternatives = self._alternatives(ranked, best, intent)
        speaker = self._speaker(canon) if intent or reason in ASK_BACK_REASONS else None
        if speaker and intent not in (speaker.said_in or ()):
            if speaker.said_in:  # "what did the kremlin say?": where its words are
                intent, reason, alternatives = speaker.said_in[0], "statement_of", ()
                best = Scored(intent, max(self.thresholds.out_of_scope,
                                          next((s.score for s in ranked if s.intent == intent), 0.0)))
            else:  # "what did trump say?": we hold no statement of his; the nearest topic
                nearest = intent or (best.intent if best.score >= self.thresholds.out_of_scope else None)
                nearest = nearest or speaker.default_intent
                intent, reason = None, NO_STATEMENT
                alternatives = (nearest,) if nearest else ()
        elif intent is None:
            alternatives, reason = self.offer(canon, ranked, reason)
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
            speaker=speaker.id if speaker else None,
        )

    def _verdict(self, canon: Canon, ranked: list[Scored], negative: float) -> tuple[Scored, str | None, str]:
        """The best score, the intent chosen (None: refused) and why."""
        th = self.thresholds
        best = ranked[0] if ranked else Scored("", 0.0)
        # an example word for word, greeting and all, is that example
        exact = self._exact.get(canon.text) or (self._exact.get(canon.as_written) if canon.as_written else None)
        if not canon.text:
            return best, None, "empty"
        if exact == NEGATIVE:
            return best, None, "out_of_scope_example"
        if exact:
            own = next((s.score for s in ranked if s.intent == exact), 0.0)
            # `ranked` is empty when the question's letters pick a script none of whose examples
            # shares a word with it (a stray Arabic letter on an English example)
            return Scored(exact, max(best.score, own)), exact, "example"
        if not best.intent:
            return best, None, LOW_SCORE  # no example shares a word with the question
        if len(canon.tokens) == 1 and not canon.concepts:
            return best, None, TOO_VAGUE
        if self._near_miss(canon, best.intent):
            return best, None, OUT_OF_SCOPE_NAME
        if self._unnamed_subject(canon, best.intent):
            return best, None, UNKNOWN_SUBJECT
        if best.score < th.out_of_scope:
            return best, None, LOW_SCORE
        if negative > best.score or (best.score < th.doubt and negative > best.score - th.negative_margin):
            return best, None, LIKE_OUT_OF_SCOPE
        return best, best.intent, "matched"

    def _alternatives(self, ranked: list[Scored], best: Scored, intent: str | None) -> tuple[str, ...]:
        """Up to two runner-ups close enough to the best to offer as "did you mean"."""
        if not intent:
            return ()
        th = self.thresholds
        runners = [s for s in ranked if s.intent != intent][:2]
        return tuple(s.intent for s in runners if s.score >= th.out_of_scope and best.score - s.score <= th.ambiguity)

    def _nearest_topic(self, canon: Canon) -> tuple[str, ...]:
        """The main question of the first of the story's places, people or groups named."""
        for cid in canon.concepts:
            concept = self.concepts[cid]
            if concept.kind in SUBJECT_KINDS and concept.default_intent:
                return (concept.default_intent,)
        return ()

    def _speaker(self, canon: Canon) -> Concept | None:
        """Whose words a short question asks for, if its curated names say where they are."""
        tokens = canon.tokens
        if len(tokens) > STATEMENT_QUESTION_WORDS or SAY_WORDS.isdisjoint(tokens):
            return None
        said = [n for n, t in enumerate(tokens) if t in SAY_WORDS]
        named = [n for n, t in enumerate(tokens) if t in canon.concepts and self.concepts[t].kind in SUBJECT_KINDS]
        if not named:
            return None
        # The one who speaks is the name next to the verb, before it when two are as near:
        # "does washington think assad will fall" asks what Washington thinks.
        nearest = min(named, key=lambda n: min((abs(n - s) + (0.5 if n > s else 0)) for s in said))
        concept = self.concepts[tokens[nearest]]
        return concept if concept.said_in is not None else None

    def offer(self, canon: Canon, ranked: Sequence[Scored], reason: str, likeliest: Sequence[str] | None = None
              ) -> tuple[tuple[str, ...], str]:
        """The topics offered with a question that gets no answer, and why it gets none (`reason`,
        or ASK_BACK when it is asked back). `likeliest`: the topics in the order to offer them,
        when something reads the question better than the fuzzy scores `ranked` (the learned model)."""
        if likeliest is not None:
            likeliest = _story_topics(likeliest)
        if reason == ASK_BACK or (reason in ASK_BACK_REASONS and not canon.unknown):
            topics = self.ask_back_topics(canon, ranked, likeliest)
            if not topics and likeliest is not None and reason in SUGGESTED_REASONS and not self._strange_subject(canon):
                # refused, naming nothing of the story; the model still reads which topics it is
                # nearest ("he held out for so long only to lose it all in a week!?")
                return tuple(likeliest[:ASK_BACK_TOPICS]), reason
            return topics, (ASK_BACK if topics else reason)
        if canon.unknown:
            # "is assad sick?", "is putin hiding assad?": no facts on his health, or on Putin, but
            # the nearest topic about Assad; in a long message what we lack is often a detail,
            # so the likeliest topics follow it
            nearest = self._nearest_topic(canon)
            if len(canon.tokens) < self._options.detail_words:
                return nearest, reason
            topics = nearest + self.ask_back_topics(canon, ranked, likeliest)
            if not topics and likeliest is not None:
                topics = tuple(likeliest)
            return tuple(dict.fromkeys(topics))[:ASK_BACK_TOPICS], reason
        return (), reason

    def ask_back_topics(self, canon: Canon, ranked: Sequence[Scored], likeliest: Sequence[str] | None = None
                        ) -> tuple[str, ...]:
        """The likeliest topics of a question about the story that no intent is sure of.

        Only for a question that names one of the story's places, people or groups, and, unless
        it is a long message, no word we do not know ("who is messi" is refused; decide() sends
        no question naming what we lack: that is a plain refusal, naming it). The likeliest
        intents come first (`likeliest`, else the best-scoring); the named concepts' main
        questions fill up the rest.
        """
        if self._strange_subject(canon):
            return ()
        named = [c for c in canon.concepts if self.concepts[c].kind in SUBJECT_KINDS]
        if not named:
            return ()
        if likeliest is None:
            floor = self.thresholds.out_of_scope * ASK_BACK_FLOOR
            likeliest = [s.intent for s in ranked if s.score >= floor]
        picked = _story_topics(likeliest)[:ASK_BACK_TOPICS]
        for cid in named:
            default = self.concepts[cid].default_intent
            if default and default not in picked and len(picked) < ASK_BACK_TOPICS:
                picked.append(default)
        return tuple(picked)

    def _strange_subject(self, canon: Canon) -> bool:
        """A short question with a word we do not know at all: that word is likely what it asks
        about ("who is messi"), so it is refused without guessing at topics."""
        return bool(canon.strange) and len(canon.tokens) < self._options.detail_words

    def _near_miss(self, canon: Canon, intent_id: str) -> bool:
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
            if len(canon.tokens) <= self._options.short_question_words and canon.tokens.index(cid) < min(own):
                return True
        return False

    def _unnamed_subject(self, canon: Canon, intent_id: str) -> bool:
        """A short question about something we have never heard of ("who controls the moon").

        The intent is about a place or person, the question names none of ours, and it has an
        ordinary English word that none of our examples use: that word is probably its subject.
        """
        if len(canon.tokens) > self._options.short_question_words:
            return False
        intent = self.intents[intent_id]
        subjects = [c for c in intent.entities if self.concepts[c].kind in ("place", "person")]
        if not subjects or any(c in intent.entities or self.concepts[c].kind in SUBJECT_KINDS for c in canon.concepts):
            return False
        return any(t not in self._intent_vocab and t in COMMON_WORDS for t in canon.tokens)


def _story_topics(intents: Sequence[str]) -> list[str]:
    """`intents` without help and sources: a question on the story left unanswered is offered
    topics of the story, not "What can you do?"."""
    return [iid for iid in intents if iid not in SPECIAL_INTENTS]
