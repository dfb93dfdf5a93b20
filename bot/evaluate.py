"""Accuracy of the matcher on a labelled file (the `eval` command, the tests, the tuner)."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process

from .knowledge import KnowledgeBase
from .model import ASK_BACK
from .yamlsource import DataError, LineDict, line_of, read_yaml


@dataclass(frozen=True)
class Labelled:
    text: str
    intent: str | None
    lang: str = "en"
    also_ok: tuple[str, ...] = ()  # other intents whose answer is right too

    def right(self, intent: str | None) -> bool:
        return intent == self.intent or (intent is not None and intent in self.also_ok)


@dataclass
class Report:
    total: int = 0
    in_scope: int = 0
    in_scope_correct: int = 0
    out_of_scope: int = 0
    out_of_scope_rejected: int = 0
    # not answered but offered topics as buttons (asked back, or the nearest topic of a near
    # miss): in-scope ones with a right topic among them; out-of-scope ones asked back
    # (counted as refused: the bot states no fact)
    in_scope_offered: int = 0
    out_of_scope_asked_back: int = 0
    per_intent: dict[str, dict[str, float]] = field(default_factory=dict)
    confusions: list[tuple[str, str, int]] = field(default_factory=list)
    mistakes: list[tuple[str, str | None, str | None, float]] = field(default_factory=list)
    by_language: dict[str, Report] = field(default_factory=dict)

    @property
    def in_scope_accuracy(self) -> float:
        return self.in_scope_correct / self.in_scope if self.in_scope else 1.0

    @property
    def rejection_rate(self) -> float:
        return self.out_of_scope_rejected / self.out_of_scope if self.out_of_scope else 1.0

    @property
    def in_scope_lost(self) -> int:
        """In-scope questions given neither a right answer nor a right topic to tap."""
        return self.in_scope - self.in_scope_correct - self.in_scope_offered

    @property
    def accuracy(self) -> float:
        return (self.in_scope_correct + self.out_of_scope_rejected) / self.total if self.total else 1.0


def read_labelled(path: Path) -> list[Labelled]:
    """Read `- {text: ..., intent: id|null, lang: en}` items; DataError on a bad item."""
    data = read_yaml(path)
    if not isinstance(data, list):
        raise DataError(path, 1, "expected a list of {text, intent} items")
    items = []
    for pos, item in enumerate(data):
        line = data.item_lines[pos] if hasattr(data, "item_lines") else 1
        if not isinstance(item, LineDict) or not isinstance(item.get("text"), str) or "intent" not in item:
            raise DataError(path, line, "each item needs 'text' (a question) and 'intent' (an id or null)")
        intent = item["intent"]
        if intent is not None and not isinstance(intent, str):
            raise DataError(path, line_of(item, "intent"), "intent must be an intent id or null")
        also = item.get("also_ok") or ()
        if not isinstance(also, list | tuple) or not all(isinstance(a, str) for a in also):
            raise DataError(path, line_of(item, "also_ok"), "also_ok must be a list of intent ids")
        items.append(Labelled(item["text"], intent, str(item.get("lang", "en")), tuple(also)))
    return items


def evaluate(kb: KnowledgeBase, items: list[Labelled]) -> Report:
    """Accuracy over all items, with the same figures per language in `by_language`."""
    report = _evaluate(kb, items)
    langs = sorted({item.lang for item in items})
    if len(langs) > 1:
        report.by_language = {lang: _evaluate(kb, [i for i in items if i.lang == lang]) for lang in langs}
    return report


def _evaluate(kb: KnowledgeBase, items: list[Labelled]) -> Report:
    for item in items:
        for iid in (item.intent, *item.also_ok):
            if iid is not None and iid not in kb.intents:
                raise ValueError(f"labelled intent '{iid}' is not an intent (question: {item.text!r})")
    report = Report(total=len(items))
    predicted: list[str | None] = []
    confusion: Counter = Counter()
    for item in items:
        match = kb.matcher.match(item.text)
        got = match.intent
        predicted.append(got)
        offered = match.alternatives if got is None else ()
        if item.intent is None:
            report.out_of_scope += 1
            report.out_of_scope_rejected += got is None
            report.out_of_scope_asked_back += match.decision == ASK_BACK
        else:
            report.in_scope += 1
            report.in_scope_correct += item.right(got)
            report.in_scope_offered += any(item.right(a) for a in offered)
        if not item.right(got) and not (item.intent is None and got is None):
            confusion[(str(item.intent), str(got))] += 1
            report.mistakes.append((item.text, item.intent, got, match.confidence))
    for iid in kb.intents:
        tp = sum(1 for it, p in zip(items, predicted) if it.intent == iid and p == iid)
        labelled = sum(1 for it in items if it.intent == iid)
        chosen = sum(1 for p in predicted if p == iid)
        report.per_intent[iid] = {
            "support": labelled,
            "precision": tp / chosen if chosen else 1.0,
            "recall": tp / labelled if labelled else 1.0,
        }
    report.confusions = [(a, b, n) for (a, b), n in confusion.most_common()]
    return report


def format_report(report: Report) -> str:
    lines = [
        f"questions: {report.total}",
        f"in scope: {report.in_scope_correct}/{report.in_scope} matched to the right intent "
        f"({report.in_scope_accuracy:.1%})",
        f"out of scope: {report.out_of_scope_rejected}/{report.out_of_scope} rejected ({report.rejection_rate:.1%})",
        f"overall accuracy: {report.accuracy:.1%}",
        *[
            f"  {lang}: in scope {r.in_scope_correct}/{r.in_scope} ({r.in_scope_accuracy:.1%}), "
            f"out of scope {r.out_of_scope_rejected}/{r.out_of_scope} rejected ({r.rejection_rate:.1%})"
            for lang, r in report.by_language.items()
        ],
        f"asked back: {report.in_scope_offered} in scope with a right topic offered, "
        f"{report.out_of_scope_asked_back} out of scope; in scope with neither a right answer nor a "
        f"right topic offered: {report.in_scope_lost}/{report.in_scope}",
        "",
        f"{'intent':<20} {'n':>4} {'precision':>9} {'recall':>7}",
    ]
    for iid, row in report.per_intent.items():
        lines.append(f"{iid:<20} {int(row['support']):>4} {row['precision']:>9.1%} {row['recall']:>7.1%}")
    if report.confusions:
        lines += ["", "confusions (expected -> got: count):"]
        lines += [f"  {a} -> {b}: {n}" for a, b, n in report.confusions[:15]]
    if report.mistakes:
        lines += ["", "misclassified:"]
        lines += [f"  [{exp} -> {got} {conf:.2f}] {text}" for text, exp, got, conf in report.mistakes]
    return "\n".join(lines)


OVERLAP_WORDS = 3  # an example is compared through its rarest words ...
OVERLAP_PER_WORD = 100  # ... with all of a rare word's examples, or the nearest in length of a common one's


def overlapping_examples(kb: KnowledgeBase, counted: list[int] | None = None) -> list[tuple[str, str, str, str, float]]:
    """Examples that sit closer to another intent's example than to any of their own.

    Returns (intent, example, other intent, other example, score) for each. Each example is
    compared with the examples that share one of its OVERLAP_WORDS rarest words: all of them
    for a word in at most OVERLAP_PER_WORD examples, else the OVERLAP_PER_WORD nearest in
    length (a token sort ratio of 80 needs most words shared and lengths alike). Time thus grows
    linearly with the examples, not with their square (all pairs took over 17 minutes for 43,000).
    `counted`, when given, gets the number of comparisons made appended.
    """
    m = kb.matcher
    examples = kb.examples()
    texts = [m.canonical(ex.text) for ex in examples]
    owners = [ex.intent for ex in examples]
    words = [set(text.split()) for text in texts]
    postings: dict[str, list[int]] = {}
    for j, each in enumerate(words):
        for word in each:
            postings.setdefault(word, []).append(j)
    by_length = {w: sorted(ids, key=lambda j: len(texts[j])) for w, ids in postings.items() if len(ids) > OVERLAP_PER_WORD}
    lengths = {w: [len(texts[j]) for j in ids] for w, ids in by_length.items()}
    out, comparisons = [], 0
    for i, text in enumerate(texts):
        if not text:
            continue
        candidates: set[int] = set()
        for word in sorted(words[i], key=lambda w: (len(postings[w]), w))[:OVERLAP_WORDS]:
            if word not in by_length:
                candidates.update(postings[word])
                continue
            at = bisect_left(lengths[word], len(text))
            start = max(0, min(at - OVERLAP_PER_WORD // 2, len(by_length[word]) - OVERLAP_PER_WORD))
            candidates.update(by_length[word][start: start + OVERLAP_PER_WORD])
        candidates.discard(i)
        pool = sorted(candidates)
        comparisons += len(pool)
        best_own, best_other, other_j = 0.0, 0.0, -1
        for _, s, k in process.extract(text, [texts[j] for j in pool], scorer=fuzz.token_sort_ratio, limit=None):
            j = pool[k]
            if owners[j] == owners[i]:
                best_own = max(best_own, float(s))
            elif s > best_other:
                best_other, other_j = float(s), j
        if other_j >= 0 and best_other > best_own and best_other >= 80:
            out.append((owners[i], examples[i].text, owners[other_j], examples[other_j].text, best_other))
    if counted is not None:
        counted.append(comparisons)
    return out
