"""A question in canonical form: the names it mentions (aliases, Arabic prefixes, typos) read as
concept ids, misspelt words corrected to the examples' words, unknown words noted."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ..model import HELP, Concept
from ..normalize import normalize
from ..words import COMMON_WORDS
from .compiled import Process
from .near import NearIndex
from .options import MatchOptions

OTHER_YEAR = "history"  # the out-of-scope topic a year outside the facts' years stands for
_PROCLITICS = frozenset("وفبلك")  # Arabic and, so, in/with, for, like: written joined to the word
_CACHE_MAX = 50_000  # words remembered per cache before it starts again


@dataclass(frozen=True)
class Canon:
    """A question in canonical form."""

    text: str  # canonical string
    tokens: tuple[str, ...]
    concepts: tuple[str, ...]  # in-scope concept ids, in order of appearance
    unknown: tuple[str, ...]  # out-of-scope concept ids, each once
    strange: tuple[str, ...]  # words we do not know at all
    as_written: str = ""  # the text with the greeting it opened with, when that was left out


# Negations and yes/no tags ask the same question as the plain form: "homs isn't held by the
# army anymore, right?" asks who holds Homs. They are dropped, so that a negated or tagged
# question compares with the plain examples (examples are canonicalised the same way).
_NEGATIONS = frozenset({
    "not", "isnt", "arent", "wasnt", "werent", "doesnt", "dont", "didnt", "hasnt", "havent", "hadnt", "wont",
    "cant", "couldnt", "shouldnt", "anymore", "не", "ли", "ведь", "разве", "неужели", "хіба", "невже",
    "مش", "ليس", "لم", "لن", "مو",
})
_TAGS = (("yes", "or", "no"), ("or", "not"), ("is", "that", "true"), ("is", "it", "true"), ("right",), ("correct",),
         ("true",), ("правда",), ("да", "или", "нет"), ("так", "чи", "ні"), ("صح",), ("صحيح",))


_TAG_ENDS = frozenset(tag[-1] for tag in _TAGS)  # most questions end in none: no tag to try
_VOCATIVES = frozenset({"يا"})  # "يا بوت": O bot, between a greeting and the bot it greets


def _without_polarity(tokens: list[str]) -> list[str]:
    """`tokens` without negations and a closing yes/no tag, unless that leaves under two."""
    kept = [t for t in tokens if t not in _NEGATIONS] if not _NEGATIONS.isdisjoint(tokens) else tokens
    if kept and kept[-1] in _TAG_ENDS:
        for tag in _TAGS:
            if tuple(kept[-len(tag):]) == tag and len(kept) > len(tag):
                kept = kept[: -len(tag)]
                break
    return kept if len(kept) >= 2 else tokens


class Names:
    """The concepts' names and the examples' words, to canonicalise questions with."""

    def __init__(
        self,
        concepts: dict[str, Concept],
        example_words: set[str],
        years: frozenset[int],
        options: MatchOptions,
        process: Process,
    ):
        self.concepts = concepts
        self._options = options
        # The years the facts are from: a question about another year is about something else.
        self._years = years
        self._phrases: dict[tuple[str, ...], str] = {}
        fuzzy_ok: set[tuple[str, ...]] = set()
        for concept in concepts.values():
            for variant in concept.variants:
                key = tuple(normalize(variant).split())
                if key:
                    self._phrases.setdefault(key, concept.id)
                    if concept.kind != "topic":  # topic words are ordinary words: exact only
                        fuzzy_ok.add(key)
        # greetings and words to the bot ("hi", "bot"): help's names, not the story's
        self._social = frozenset(c.id for c in concepts.values() if c.default_intent == HELP)
        self._phrase_len: dict[str, int] = {}
        for key in self._phrases:
            if len(key) <= options.max_phrase:
                self._phrase_len[key[0]] = max(self._phrase_len.get(key[0], 0), len(key))
        self._fuzzy_variants = _variants_by_size(fuzzy_ok, options, process)
        # Words of the examples, so a real word is never "corrected" into a name.
        self._vocab = example_words | COMMON_WORDS
        # Known words that start a name, may hide one behind an Arabic prefix or may be a year:
        # canonicalise() keeps any other known word as it is, without looking it up word by word.
        self._not_plain = frozenset(w for w in self._vocab if w in self._phrase_len or self._without_proclitic(w)
                                    or (len(w) == 4 and w.isdigit()))
        self.spell_targets = NearIndex((w for w in example_words if len(w) >= 4 and w.isalpha()), options, process)
        # Word-level caches: the same misspelt words and names come back in many questions.
        self._spell_cache: dict[str, str | None] = {}
        self._name_cache: dict[tuple[str, ...], tuple[int, str | None]] = {}

    def clear_caches(self) -> None:
        self._spell_cache.clear()
        self._name_cache.clear()

    def canonicalise(self, normalized: str, example: bool = False) -> Canon:
        """`normalized` (bot.normalize) with its names as concept ids and its typos corrected.
        A question is read without a greeting that opens it (_without_opener); an `example` keeps
        it: were the few examples that open with one read without it, a greeting would belong to
        help's examples alone, and "translate hello to arabic" would be read as asking for help."""
        words = normalized.split()
        out: list[str] = []
        concepts: list[str] = []
        unknown: list[str] = []
        strange: list[str] = []
        i = 0
        vocab, not_plain = self._vocab, self._not_plain
        while i < len(words):
            if words[i] in vocab and words[i] not in not_plain:
                out.append(words[i])
                i += 1
                continue
            size, cid = self._name_at(words, i)
            if cid:
                self._note(cid, out, concepts, unknown)
                i += size
                continue
            word = words[i]
            if self._other_year(word) and len(words) <= self._options.short_question_words:  # long: just context
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
        as_written = ""
        if not example and out and out[0] in self._social and not self._social.issuperset(concepts):
            whole = out
            out, concepts = self._without_opener(out, concepts)
            as_written = " ".join(_without_polarity(whole)) if out is not whole else ""
        out = _without_polarity(out)
        # a name we lack said twice is one name we lack ("casualties ... casualties")
        return Canon(" ".join(out), tuple(out), tuple(concepts), tuple(dict.fromkeys(unknown)), tuple(strange),
                     as_written)

    def _without_opener(self, out: list[str], concepts: list[str]) -> tuple[list[str], list[str]]:
        """A greeting opening a question on the story ("hi bot, where is assad?", "مرحبا يا بوت،
        أين الأسد") is no part of it: the question is read without it. Not a question about the
        bot that names the story ("hello, can this bot tell me about syria?" keeps its greeting)."""
        start = 0
        while start < len(out) and (out[start] in self._social or out[start] in _VOCATIVES):
            start += 1
        rest = out[start:]
        if not rest or not self._social.isdisjoint(rest):
            return out, concepts
        dropped = len([t for t in out[:start] if t in self._social])
        return rest, concepts[dropped:]

    def _name_at(self, words: list[str], i: int) -> tuple[int, str | None]:
        """The name starting at words[i], and how many words it takes: written as one of its
        variants, with an Arabic prefix, or misspelt."""
        # Only as long as the longest name starting with this word: most words start none.
        for size in range(min(self._phrase_len.get(words[i], 0), len(words) - i), 0, -1):
            cid = self._phrases.get(tuple(words[i : i + size]))
            if cid:
                return size, cid
        cid = self._without_proclitic(words[i])
        if cid:
            return 1, cid
        return self._fuzzy_name(words, i)

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
                # a greeting takes no joined prefix: "بسلام" is "safely", not "hello"
                if cid and cid not in self._social:
                    return cid
        return None

    def _spell(self, word: str) -> str | None:
        """A misspelling of a word the examples use ("controll" -> "control"), if close enough."""
        if word in self._spell_cache:
            return self._spell_cache[word]
        limit = 1 if len(word) <= 6 else 2
        found = self.spell_targets.nearest(word, limit)
        # the first letter is kept: "victory" is not a misspelling of "history"
        fixed = found if found and found[0] == word[0] else None
        if len(self._spell_cache) > _CACHE_MAX:
            self._spell_cache.clear()
        self._spell_cache[word] = fixed
        return fixed

    def _note(self, cid: str, out: list[str], concepts: list[str], unknown: list[str]) -> None:
        out.append(cid)
        (concepts if self.concepts[cid].in_scope else unknown).append(cid)

    def _fuzzy_name(self, words: list[str], i: int) -> tuple[int, str | None]:
        """A misspelt name ("homz", "alepo", "dier ez zor"), never an ordinary word.

        Only tried where the first word is not a word we know: names start there.
        """
        if words[i] in self._vocab or words[i].isdigit():
            return 1, None
        key = tuple(words[i : i + 3])
        found = self._name_cache.get(key)
        if found is None:
            if len(self._name_cache) > _CACHE_MAX:
                self._name_cache.clear()
            found = self._name_cache[key] = self._nearest_name(words, i)
        return found

    def _nearest_name(self, words: list[str], i: int) -> tuple[int, str | None]:
        for size in range(min(3, len(words) - i), 0, -1):
            chunk = words[i : i + size]
            if size > 1 and any((w,) in self._phrases for w in chunk[1:]):
                continue  # "يوجد بشار" is a word and a name, not a misspelt "زوجة بشار" (Assad's wife)
            phrase = " ".join(chunk)
            letters = len(phrase) - size + 1
            variants = self._fuzzy_variants.get(size)
            if letters < 4 or not variants:
                continue
            # the Arabic article is no part of the name: "الامويين" (the Umayyads) is two letters of
            # six from "العلويين" (the Alawites), too far to be a misspelling of it
            stem = letters - 2 if phrase.startswith("ال") else letters
            limit = 1 if stem <= 7 else 2
            variant = variants.nearest(phrase, limit)
            if not variant:
                continue
            if letters <= 5 and variant[0] != phrase[0]:
                continue
            if size > 1 and any(a != b and min(len(a), len(b)) <= 3 for a, b in zip(chunk, variant.split())):
                continue  # "اكد الرييس" (he confirmed, the president) is no misspelt "ابو الرييس" (Hafez)
            return size, self._phrases[tuple(variant.split())]
        return 1, None


def _variants_by_size(keys: Iterable[tuple[str, ...]], options: MatchOptions, process: Process) -> dict[int, NearIndex]:
    """Name variants by word count, for typo-tolerant look-up ("dier ez zor", "alepo")."""
    by_size: dict[int, list[str]] = defaultdict(list)
    for key in keys:
        joined = " ".join(key)
        if len(joined.replace(" ", "")) >= 4:
            by_size[len(key)].append(joined)
    return {size: NearIndex(variants, options, process) for size, variants in by_size.items()}
