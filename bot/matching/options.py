"""What can be tuned in matching: the refusal thresholds, the scoring weights, and the sizes of
the pruned search (MatchOptions). Each is a frozen value handed to the Matcher; benchmarks and
tools build their own rather than changing the shipped ones."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Thresholds:
    """When to refuse and when to offer a runner-up (intents/thresholds.yaml)."""

    out_of_scope: float = 0.5  # below this score, no intent
    doubt: float = 0.6  # below this, no intent when the out-of-scope examples are about as close
    negative_margin: float = 0.05  # "about as close": within this of the best score
    ambiguity: float = 0.06  # runner-ups within this of the best are offered as "did you mean"
    follow_up_max_words: int = 4


@dataclass(frozen=True)
class Weights:
    """How the parts of an intent's score are blended."""

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
class MatchOptions:
    """Sizes of the pruned search and of the question's parts; the defaults are the shipped ones.

    The pool caps were measured with benchmarks/tradeoff.py at 100x (300 questions): windows
    of 2,000 and 1,000 let in more near-copies of one example and agreed less with the
    exhaustive scorer (287/300) than 1,000 and 100 (290/300), at a p99 of 2.95 against
    2.01 ms; at 10x the same (1,043/1,047 both); the shipped base, with no word in 1,000
    examples, answers the same with either.
    """

    pool_budget: int = 200  # examples in the pool a question is compared with (more when its rarest word has more) ...
    pool_share: int = 20  # ... or one in pool_share of the examples, in a bigger base ...
    pool_max: int = 1000  # ... up to this many (from 20,000 examples on)
    window_over: int = 1000  # of a word in more examples than this, those nearest the question's length:
    # pool_max of them, and of a name name_window, so the rest of the budget stays for the rare words
    name_window: int = 100
    nearest: int = 24  # of the pool, the nearest by token_sort_ratio are also scored by token_set_ratio
    negative_nearest: int = 8  # out-of-scope examples scored in full (they have an index of their own)
    rare: int = 16  # and the examples sharing the question's rarest words, if that few
    subsets: int = 16  # and the longest examples all of whose words the question has
    subset_checks: int = 256  # examples checked for that, at most
    scan_max: int = 10_000  # strings a typo look-up scans; more are indexed (NearIndex)
    max_phrase: int = 6  # words in the longest name looked up word for word
    max_two_question_words: int = 24  # longer messages are one question wrapped in context
    min_part_words: int = 3  # a part of a message shorter than this is not a second question
    long_question_words: int = 16  # a longer one is compared in full with half as many examples
    long_message_words: int = 10  # a message this long may be a question wrapped in context
    short_question_words: int = 12  # in a short question, the first name is its subject
    detail_words: int = 8  # in a message this long, a word or name we do not know is a detail, not its subject

    def fewer_for(self, tokens: int) -> int:
        """What to divide the examples compared in full by, for a question of `tokens` words: a
        long message (over long_question_words) is compared with half as many; it costs most,
        its score is spread over many words, and its nearest examples stand out less."""
        return 2 if tokens > self.long_question_words else 1


# The defaults, one shared instance each (they are frozen), for parameters to default to.
DEFAULT_THRESHOLDS = Thresholds()
DEFAULT_WEIGHTS = Weights()
DEFAULT_OPTIONS = MatchOptions()
