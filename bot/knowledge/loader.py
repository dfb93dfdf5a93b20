"""`load()`: read and validate every data file under a root and build the KnowledgeBase."""

from __future__ import annotations

import gc
import logging
from datetime import date
from pathlib import Path

from ..language import CyrillicModel
from ..matching import Matcher
from ..matching.learned import Learned
from .asked import with_asked
from .base import KnowledgeBase, Parts
from .collector import Collector, KnowledgeError
from .concepts import load_concepts
from .cross_check import cross_check
from .facts import load_facts, superseded_by
from .intents import load_intents
from .interface_texts import load_ui
from .main_topics import load_main_topics
from .out_of_scope import load_negatives
from .sources import load_sources
from .thresholds import load_thresholds
from .translations import merge_translations

DEFAULT_ROOT = Path(__file__).resolve().parent.parent.parent
# The files in intents/ that are not one intent each.
NOT_INTENTS = ("aliases.yaml", "thresholds.yaml", "out_of_scope.yaml", "main_topics.yaml", "asked.yaml")

log = logging.getLogger(__name__)


def load(root: Path | str = DEFAULT_ROOT) -> KnowledgeBase:
    """Load and validate everything under `root`; raise KnowledgeError listing all problems."""
    # Loading allocates many short-lived containers (YAML nodes, mappings) and makes no
    # reference cycles: the cyclic collector would run a hundred times for nothing, once over
    # the whole heap (python-telegram-bot's modules too), which alone costs some 20-40 ms.
    # Refcounting still frees everything that is dropped.
    enabled = gc.isenabled()
    gc.disable()
    try:
        kb = _load(Path(root))
    finally:
        if enabled:
            gc.enable()
    if kb.learned_off:
        log.warning("the learned second opinion is off (%s): run make learned", kb.learned_off)
    return kb


def _load(root: Path) -> KnowledgeBase:
    c = Collector()
    parts = _load_english(c, root)
    ui = load_ui(c, root / "locales")
    if c.unreadable:
        # What a file that could not be parsed defines is missing: the translations and the
        # main topics, which look it up, would only add follow-on errors. (The English files'
        # references were checked around it: see cross_check.)
        raise KnowledgeError(c.errors)
    parts = merge_translations(c, root, parts, ui)
    thresholds = load_thresholds(c, root / "intents" / "thresholds.yaml")
    main_topics = load_main_topics(c, root / "intents" / "main_topics.yaml", parts.intents)
    if c.errors:
        raise KnowledgeError(c.errors)
    facts, intents, negatives = parts.facts, parts.intents, parts.negatives
    years = frozenset(d.year for f in facts.values() for d in (f.event_date, f.reported) if d)
    learned, learned_off = _load_learned(root / "intents" / "learned.json")
    matcher = Matcher(intents, parts.concepts, thresholds, negatives=negatives, years=years, learned=learned)
    if learned is not None and matcher.learned is None:
        learned_off = "intents/learned.json: trained on other examples"
    newest = max((f.reported for f in facts.values() if f.reported), default=date.min)
    version = newest.isoformat() + f"/{len(facts)}f/{len(intents)}i"
    samples = [(ex.text, ex.lang) for i in intents.values() for ex in i.examples] + [(e.text, e.lang) for e in negatives]
    return KnowledgeBase(
        root, parts.sources, facts, intents, parts.concepts, ui, matcher, negatives, CyrillicModel(samples),
        superseded_by(facts), version, main_topics, learned_off,
    )


def _load_learned(path: Path) -> tuple[Learned | None, str]:
    """The learned model's weights (scripts/train_learned.py writes them), or None and why.
    Without them the bot answers from the fuzzy matcher alone: a warning, not an error."""
    try:
        learned = Learned.read(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return None, f"{path.name}: cannot be read ({exc.__class__.__name__})"
    return learned, "" if learned else f"{path.name}: no such file"


def _load_english(c: Collector, root: Path) -> Parts:
    """The main files (English) of knowledge/ and intents/, checked against each other."""
    knowledge, intents_dir = root / "knowledge", root / "intents"
    sources = load_sources(c, knowledge / "sources.yaml")
    fact_files = sorted(p for p in knowledge.glob("*.yaml") if p.name != "sources.yaml")
    if not fact_files:
        c.add(knowledge / "facts.yaml", 0, "missing: no fact files (knowledge/*.yaml besides sources.yaml) found")
    aliases = intents_dir / "aliases.yaml"
    concepts, concept_entries = load_concepts(c, aliases)
    known = None if aliases in c.unreadable else set(concepts)  # None: the names cannot be checked
    if knowledge / "sources.yaml" in c.unreadable:  # every fact would cite unknown sources; only their own syntax is checked
        for path in fact_files:
            c.read(path)
        facts, fact_ids = load_facts(c, [], sources, known)  # none
    else:
        facts, fact_ids = load_facts(c, fact_files, sources, known)
    intent_files = sorted(p for p in intents_dir.glob("*.yaml") if p.name not in NOT_INTENTS)
    intents, intent_data = load_intents(c, intent_files)
    negatives = load_negatives(c, intents_dir / "out_of_scope.yaml")
    intents, negatives = with_asked(c, intents_dir / "asked.yaml", intents, negatives)
    parts = Parts(sources, facts, fact_ids, intents, concepts, negatives)
    cross_check(c, parts, intent_data, concept_entries, intents_dir)
    return parts
