"""Load and validate the curated data: sources, facts, intents, names and interface texts.

Every problem is reported as `file:line: what is wrong` and all problems are collected
before failing, so a curator can fix a whole batch at once. The result is immutable; a
reload builds a new KnowledgeBase and the application swaps the reference.

Modules: one per kind of file (sources, facts, concepts, intents, out_of_scope,
thresholds, main_topics, interface_texts, translations); cross_check for what spans
files; collector and fields for the errors and the field readers they share; rules for
what all data is held to; base for KnowledgeBase; loader for `load()`.
"""

from .base import KnowledgeBase
from .collector import KnowledgeError
from .loader import DEFAULT_ROOT, NOT_INTENTS, load
from .rules import CONTRACT_INTENTS, LANGS, MIN_EXAMPLES, MIN_EXAMPLES_OTHER

__all__ = [
    "CONTRACT_INTENTS",
    "DEFAULT_ROOT",
    "LANGS",
    "MIN_EXAMPLES",
    "MIN_EXAMPLES_OTHER",
    "NOT_INTENTS",
    "KnowledgeBase",
    "KnowledgeError",
    "load",
]
