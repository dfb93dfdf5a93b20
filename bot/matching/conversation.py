"""A question in its conversation: a short follow-up read in the light of the last question
("and damascus?"), a bare name asking that name's main question, and two questions in one
message ("who controls homs and where is assad")."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ..model import OUT_OF_SCOPE_NAME, Match
from ..normalize import normalize
from .deciding import SUBJECT_KINDS, Decider
from .names import Canon, Names
from .options import MatchOptions

# Leading words that mark a follow-up ("and damascus?", "what about assad").
_FOLLOW_UP = re.compile(r"^(and|also|what about|how about|what of|and what about|and how about|n|wbu)\b\s*")
# Where a long message's sentences end; the question is usually the last one asked.
_SENTENCES = re.compile(
    r"(?<=[?？؟])|[.!;\n]+|[,،]\s*(?=(?:so|but|anyway|now|who|what|where|when|why|how|is|are|did|does|do|can|has"
    r"|will|مين|من|وين|أين|شو|ماذا|هل|كيف|ليش|لماذا|кто|где|что|когда|почему|как|хто|де|що|коли|чому|як|чи)\b)",
    re.IGNORECASE,
)
_ASKED = re.compile(r"[?？؟]")
PART_MARGIN = 0.05  # the question part overrules an answered whole only when clearly surer
# A name asked about in a news frame ("what became of bashar?", "что стало с Асадом"): the name's
# main question, as if it were asked bare. Matched on the canonical text, names as their ids.
_FRAMES = (
    "what became of", "what happened to", "whatever happened to", "what has happened to", "what s happening with",
    "what is happening with", "whats happening with", "what s up with", "whats up with", "what is going on with",
    "what s going on with", "whats going on with", "what s the latest on", "what is the latest on",
    "whats the latest on", "latest on", "the latest on", "latest news on", "any news on", "any news about",
    "any update on", "any updates on", "news on", "news about", "update on", "updates on", "tell me about",
    "what do you know about", "status of", "the fate of", "fate of", "what s the story with",
    "ماذا حدث ل", "ماذا حدث", "ماذا جرى ل", "شو صار ب", "شو صار مع", "شو صار", "ايش صار مع", "وش صار مع", "ما مصير",
    "مصير", "شو اخبار", "ما اخبار", "ما هي اخبار", "اخبار",
    "что случилось с", "что стало с", "что произошло с", "что с", "что известно о", "какие новости о", "новости о",
    "судьба", "какова судьба",
    "що сталося з", "що стало з", "що трапилося з", "що з", "що відомо про", "які новини про", "новини про", "доля",
    "яка доля",
)
_FRAME = re.compile(
    r"^(?:so |and |hey |ok |well |و |ну |а |і |и )?(?:" + "|".join(sorted(map(re.escape, _FRAMES), key=len, reverse=True))
    + r") ?(?:the )?(\S+)(?: now| these days| today| lately| right now| then| الان| هلق| هلا| сейчас| теперь| зараз| тепер)?$"
)
_PARTS = re.compile(r"\?+|\band\b|\balso\b|;", re.IGNORECASE)  # where a message may hold a second question


@dataclass(frozen=True)
class Context:
    """What the conversation was about, so that "and damascus?" can be understood."""

    question: str  # canonical form of the last answered question
    intent: str
    concepts: tuple[str, ...]


class Conversation:
    """Reads a question's match again in the light of its conversation and of its own parts."""

    def __init__(self, decider: Decider, names: Names, options: MatchOptions):
        self._decider = decider
        self._names = names
        self._options = options

    def bare_name(self, canon: Canon, result: Match) -> Match | None:
        """A bare name ("homs?"), or one in a news frame ("what became of bashar?"), asks that
        name's main question; None for anything else."""
        if len(canon.concepts) != 1:
            return None
        if len(canon.tokens) == 1:
            reason = "default_for_name"
        else:
            framed = _FRAME.match(canon.text)
            if not framed or framed.group(1) != canon.concepts[0]:
                return None
            reason = "default_for_name+frame"
        default = self._names.concepts[canon.concepts[0]].default_intent
        return self.forced(result, default, reason) if default else None

    def with_context(self, question: str, normalized: str, canon: Canon, result: Match, ctx: Context) -> Match:
        """Read a short follow-up in the light of the previous question.

        "and damascus?" after "who controls homs?" is the last question about the new name,
        if some intent is about that name; otherwise that name's main question.
        "when did it fall?" after a question about Homs is the new question about Homs.
        """
        decider, names = self._decider, self._names
        concepts = names.concepts
        stripped = _FOLLOW_UP.sub("", normalized).strip()
        is_follow_up = stripped != normalized or len(canon.tokens) <= decider.thresholds.follow_up_max_words
        if not is_follow_up or canon.unknown:
            return result
        rest = names.canonicalise(stripped)
        subjects = [c for c in rest.concepts if concepts[c].kind in SUBJECT_KINDS]
        if subjects and len(rest.tokens) <= 2:
            prev = [t for t in ctx.question.split() if t not in ctx.concepts or concepts[t].kind not in SUBJECT_KINDS]
            alt = decider.decide(question, normalized, names.canonicalise(" ".join(prev + subjects)))
            if alt.intent and subjects[0] in decider.intents[alt.intent].entities:
                return replace(alt, reason=alt.reason + "+context")
            default = concepts[subjects[0]].default_intent
            if default:
                return self.forced(result, default, "default_for_name+context")
            return result
        if not subjects and ctx.concepts:
            alt = decider.decide(question, normalized, names.canonicalise(" ".join([*rest.tokens, *ctx.concepts])))
            if alt.intent and (result.intent is None or alt.confidence > result.confidence):
                return replace(alt, reason=alt.reason + "+context")
        return result

    def read(self, question: str, normalized: str, canon: Canon) -> Match:
        """The question decided, a long message for the question in it: "my family is in homs,
        nobody picks up. who is running the city now?" asks "who is running the city now?"
        about Homs.

        The last sentence asking something (ending in "?", or else the last sentence) is
        decided with the names the rest of the message gives it when it names none of its own.
        Answered surely (above `doubt`), it is the answer; naming something we have no facts
        on, its refusal is. Otherwise the whole message is decided too, and the part is taken
        when it is answered and the whole was not, or was less surely.
        """
        decide = self._decider.decide
        part = self._question_part(question, canon)
        if part is None:
            return decide(question, normalized, canon)
        part_normalized, own = part
        found = decide(question, part_normalized, own)
        if own.unknown and found.intent is None and found.reason == OUT_OF_SCOPE_NAME:
            return found
        found = replace(found, reason=found.reason + "+question_part")
        if found.intent and found.confidence >= self._decider.thresholds.doubt + PART_MARGIN and not own.unknown:
            return found
        whole = decide(question, normalized, canon)
        if found.intent and not own.unknown and (whole.intent is None or found.confidence > whole.confidence + PART_MARGIN):
            return found
        return whole

    def _question_part(self, question: str, canon: Canon) -> tuple[str, Canon] | None:
        """A long message's question part, normalised and canonical, with the subjects the
        rest of the message names when it names none; None for a short or one-sentence message."""
        if len(canon.tokens) < self._options.long_message_words:
            return None
        part = _last_question(question)
        if not part:
            return None
        normalized = normalize(part)
        own = self._names.canonicalise(normalized)
        if len(own.tokens) < self._options.min_part_words or len(own.tokens) >= len(canon.tokens):
            return None
        concepts = self._names.concepts
        if not own.unknown and not any(concepts[c].kind in SUBJECT_KINDS for c in own.concepts):
            given = tuple(dict.fromkeys(c for c in canon.concepts if concepts[c].kind in SUBJECT_KINDS))
            tokens = own.tokens + given
            own = replace(own, text=" ".join(tokens), tokens=tokens, concepts=own.concepts + given)
        return normalized, own

    def forced(self, base: Match, intent: str, reason: str) -> Match:
        """`base` answered with `intent`, at no less than the out-of-scope threshold."""
        score = next((s.score for s in base.ranked if s.intent == intent), 0.0)
        out_of_scope = self._decider.thresholds.out_of_scope
        return replace(base, intent=intent, confidence=max(score, out_of_scope), reason=reason, alternatives=())

    def with_second_question(self, question: str, first: Match, words: int) -> Match:
        """ "who controls homs and where is assad": answer both when both parts are clear.

        `words`: how many the whole question has; one too short or too long is one question."""
        if not first.intent or not 5 <= words <= self._options.max_two_question_words:
            return first
        if first.reason.endswith("+question_part"):
            return first  # one question wrapped in context, already read for it
        parts = [p for p in _PARTS.split(question) if p.strip()]
        if len(parts) < 2:
            return first
        candidates = []
        for part in parts:
            normalized = normalize(part)
            canon = self._names.canonicalise(normalized)
            # "pls answer", "в россию?", "and the us" are not questions; a second question
            # names what it asks about ("суббота или воскресенье" does not)
            if len(canon.tokens) >= self._options.min_part_words and canon.concepts:
                candidates.append((part, normalized, canon))
        if len(candidates) < 2:
            return first
        found: list[Match] = []
        for n, (part, normalized, canon) in enumerate(candidates):
            if len(found) + len(candidates) - n < 2:
                return first  # too few parts left to make two answers: not decided (it costs time)
            m = self._decider.decide(part, normalized, canon)
            clear = m.confidence >= self._decider.thresholds.out_of_scope + 0.1
            if m.intent and clear and m.intent not in {x.intent for x in found}:
                found.append(m)
        if len(found) < 2:
            return first
        lead = next((m for m in found if m.intent == first.intent), None)
        if lead is None:
            return first
        extra = tuple(m for m in found if m is not lead)
        others = {m.intent for m in extra}
        return replace(first, extra=extra, alternatives=tuple(a for a in first.alternatives if a not in others))


def _last_question(message: str) -> str:
    """The last sentence of `message` that asks something ("?"), else its last sentence ("" for one)."""
    sentences = [s.strip() for s in _SENTENCES.split(message) if s and s.strip()]
    if len(sentences) < 2:
        return ""
    asked = [s for s in sentences if _ASKED.search(s)]
    return (asked or sentences)[-1]
