"""Find the intent a question asks for, or decide that it asks for something we have no facts on.

Pipeline: normalise (bot.normalize) -> canonicalise names (names: aliases, with typo tolerance,
near) -> score the intents near the question (examples: the pool; scoring: fuzzy similarity,
word overlap, names' evidence) -> pick the best, or refuse (deciding) -> read it in its
conversation (conversation). `Matcher` wires these; `MatchOptions`, `Thresholds` and
`Weights` are what can be tuned (options).

"Near": an inverted index gives the examples that share a name the question mentions or one of
its rarest words; only those are compared, so the cost follows the pool, not the base (see
benchmarks/bench_growth.py). `Matcher.exhaustive()` compares every example instead: the reference.

Refusal comes first from names: a question that names a place or person we know to be out of
scope ("Aleppo", "Putin") as its subject is a near miss, not a weak match; so is a short
question about an ordinary word no example uses ("who controls the moon"). Then from the
scores: too low, or not clearly above the out-of-scope examples (intents/out_of_scope.yaml).
"""

from .compiled import RAPIDFUZZ, Process
from .conversation import Context
from .examples import NEGATIVE, ExampleIndex, pool_budget
from .matcher import Matcher
from .names import Canon
from .near import NearIndex
from .options import MatchOptions, Thresholds, Weights
from .scoring import example_group

__all__ = [
    "NEGATIVE",
    "RAPIDFUZZ",
    "Canon",
    "Context",
    "ExampleIndex",
    "MatchOptions",
    "Matcher",
    "NearIndex",
    "Process",
    "Thresholds",
    "Weights",
    "example_group",
    "pool_budget",
]
