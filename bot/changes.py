"""What a reload changed, per intent: the facts a follower of that topic has not seen yet.

Pure: two knowledge bases in, plain data out. An intent changed when its fact list gained a
fact or one of its facts now says something else (in any language).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .knowledge import KnowledgeBase
from .model import Fact


@dataclass(frozen=True)
class FactChange:
    intent: str
    new: Fact
    before: Fact | None  # what the base said before: the same fact's old wording, or the fact it supersedes

    @property
    def key(self) -> str:
        """Names this fact *and its wording*: a follower gets each wording of a fact once."""
        return f"{self.new.id}:{fact_digest(self.new)}"


def fact_digest(fact: Fact) -> str:
    text = "\n".join(f"{lang}={fact.statement[lang]}" for lang in sorted(fact.statement))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def changes(old: KnowledgeBase, new: KnowledgeBase) -> dict[str, tuple[FactChange, ...]]:
    """{intent id: its new or reworded facts}, only for intents that changed."""
    out: dict[str, tuple[FactChange, ...]] = {}
    for iid, intent in new.intents.items():
        before_intent = old.intents.get(iid)
        old_ids = set(before_intent.facts) if before_intent else set()
        found: list[FactChange] = []
        for fid in intent.facts:
            fact = new.facts[fid]
            previous = old.facts.get(fid)
            if fid in old_ids and previous is not None and previous.statement == fact.statement:
                continue
            if previous is not None and previous.statement != fact.statement:
                before = previous
            elif previous is not None:  # an existing fact newly attached to this intent
                before = None
            else:
                before = next((old.facts[s] for s in fact.supersedes if s in old.facts), None)
            found.append(FactChange(iid, fact, before))
        if found:
            out[iid] = tuple(found)
    return out
