"""What the recorded questions say, for curators: `python -m bot report` and `python -m bot suggest`.

Works on the rows `bot.store.read_questions` returns; nothing here touches the database or
Telegram. Refused questions are grouped by similarity (rapidfuzz) so that twenty wordings of
the same missing topic show up as one line with a count.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import date

from rapidfuzz import fuzz

from .knowledge import KnowledgeBase
from .normalize import normalize
from .store import Asked, refusal_rate

SIMILARITY = 75.0  # token_set_ratio at which two refused questions count as the same question
LOW_CONFIDENCE = 0.65  # answered below this confidence: worth a curator's look
SUGGEST_MIN_SCORE = 0.30  # a question at least this close to an intent is proposed as its example
TOP = 20


@dataclass(frozen=True)
class Group:
    """Similar questions: the most asked wording, how often the group was asked, other wordings."""

    text: str
    count: int
    langs: tuple[str, ...]
    variants: tuple[str, ...] = ()


@dataclass(frozen=True)
class LowConfidence:
    text: str
    intent: str
    confidence: float
    lang: str
    count: int


@dataclass(frozen=True)
class NotUseful:
    intent: str
    votes: int
    questions: tuple[str, ...]


@dataclass(frozen=True)
class LanguageLine:
    lang: str
    questions: int
    refused: int
    not_useful: int

    @property
    def refusal_rate(self) -> float:
        return refusal_rate(self.questions, self.refused)


@dataclass(frozen=True)
class Report:
    since: date | None
    questions: int
    refused: int
    useful: int
    not_useful: int
    top_intents: tuple[tuple[str, int], ...]
    refused_groups: tuple[Group, ...]
    low_confidence: tuple[LowConfidence, ...]
    not_useful_answers: tuple[NotUseful, ...]
    by_language: tuple[LanguageLine, ...]
    low_confidence_below: float = LOW_CONFIDENCE

    @property
    def refusal_rate(self) -> float:
        return refusal_rate(self.questions, self.refused)


def cluster(texts: list[str], threshold: float = SIMILARITY) -> list[list[str]]:
    """Group texts (duplicates kept) by similarity: the most frequent wording founds a group,
    each other text joins the first group whose founder it resembles (token_set_ratio), else
    founds its own. Groups come largest first."""
    counts = Counter(texts)
    groups: list[list[str]] = []
    for text, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        for group in groups:
            if fuzz.token_set_ratio(text, group[0]) >= threshold:
                group.extend([text] * counts[text])
                break
        else:
            groups.append([text] * counts[text])
    return sorted(groups, key=lambda g: (-len(g), g[0]))


def build(rows: list[Asked], since: date | None = None, low: float = LOW_CONFIDENCE,
          similarity: float = SIMILARITY, top: int = TOP) -> Report:
    refused = [r for r in rows if not r.answered]
    lang_of: dict[str, set[str]] = defaultdict(set)
    for r in refused:
        lang_of[r.text].add(r.lang)
    groups = []
    for members in cluster([r.text for r in refused], similarity)[:top]:
        distinct = list(dict.fromkeys(members))
        group_langs = tuple(sorted({lang for t in distinct for lang in lang_of[t]}))
        groups.append(Group(members[0], len(members), group_langs, tuple(distinct[1:6])))
    answered = [(r, r.intent) for r in rows if r.intent is not None]
    low_rows = Counter((r.text, intent, r.lang) for r, intent in answered if r.confidence < low)
    best: dict[tuple[str, str, str], float] = {}
    for r, intent in answered:
        if r.confidence < low:
            best[(r.text, intent, r.lang)] = min(r.confidence, best.get((r.text, intent, r.lang), 1.0))
    lows = sorted((LowConfidence(t, i, best[(t, i, lang)], lang, n) for (t, i, lang), n in low_rows.items()),
                  key=lambda x: (-x.count, x.confidence, x.text))[:top]
    votes: dict[str, int] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    for r, intent in answered:
        if r.not_useful:
            votes[intent] += r.not_useful
            if r.text not in examples[intent]:
                examples[intent].append(r.text)
    bad = tuple(NotUseful(i, n, tuple(examples[i][:5])) for i, n in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])))
    by_language: list[LanguageLine] = []
    for lang in sorted({r.lang for r in rows}):
        mine = [r for r in rows if r.lang == lang]
        by_language.append(LanguageLine(lang, len(mine), sum(not r.answered for r in mine), sum(r.not_useful for r in mine)))
    intents = Counter(intent for _, intent in answered)
    return Report(
        since=since, questions=len(rows), refused=len(refused),
        useful=sum(r.useful for r in rows), not_useful=sum(r.not_useful for r in rows),
        top_intents=tuple(sorted(intents.items(), key=lambda kv: (-kv[1], kv[0]))[:top]),
        refused_groups=tuple(groups), low_confidence=tuple(lows), not_useful_answers=bad,
        by_language=tuple(by_language), low_confidence_below=low,
    )


# -- formats --------------------------------------------------------------------------------------
def to_dict(report: Report) -> dict:
    return {
        "since": report.since.isoformat() if report.since else None,
        "questions": report.questions, "refused": report.refused, "refusal_rate": round(report.refusal_rate, 4),
        "feedback": {"useful": report.useful, "not_useful": report.not_useful},
        "top_intents": [{"intent": i, "count": n} for i, n in report.top_intents],
        "refused_groups": [asdict(g) | {"langs": list(g.langs), "variants": list(g.variants)} for g in report.refused_groups],
        "low_confidence_below": report.low_confidence_below,
        "low_confidence": [asdict(x) for x in report.low_confidence],
        "not_useful_answers": [asdict(x) | {"questions": list(x.questions)} for x in report.not_useful_answers],
        "by_language": [asdict(x) | {"refusal_rate": round(x.refusal_rate, 4)} for x in report.by_language],
    }


def to_json(report: Report) -> str:
    return json.dumps(to_dict(report), ensure_ascii=False, indent=1)


CSV_COLUMNS = ("section", "item", "intent", "lang", "count", "value")


def to_csv(report: Report) -> str:
    """One table: a `section` column says which part of the report a row belongs to."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    w.writerow(("total", "questions", "", "", report.questions, ""))
    w.writerow(("total", "refused", "", "", report.refused, f"{report.refusal_rate:.4f}"))
    for intent, n in report.top_intents:
        w.writerow(("top_intent", intent, intent, "", n, ""))
    for g in report.refused_groups:
        w.writerow(("refused_group", g.text, "", " ".join(g.langs), g.count, " | ".join(g.variants)))
    for low in report.low_confidence:
        w.writerow(("low_confidence", low.text, low.intent, low.lang, low.count, f"{low.confidence:.3f}"))
    for bad in report.not_useful_answers:
        w.writerow(("not_useful", bad.intent, bad.intent, "", bad.votes, " | ".join(bad.questions)))
    for line in report.by_language:
        w.writerow(("language", line.lang, "", line.lang, line.questions, f"{line.refusal_rate:.4f}"))
    return out.getvalue()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Report) -> str:
    since = f" since {report.since.isoformat()}" if report.since else ""
    lines = [f"# factbot report{since}", "",
             f"{report.questions} questions, {report.refused} refused ({report.refusal_rate:.1%}); "
             f"feedback: {report.useful} useful, {report.not_useful} not useful.", ""]

    def table(title: str, head: tuple[str, ...], rows: list[tuple], empty: str) -> None:
        lines.extend([f"## {title}", ""])
        if not rows:
            lines.extend([empty, ""])
            return
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "|".join("---" for _ in head) + "|")
        lines.extend("| " + " | ".join(_cell(str(c)) for c in row) + " |" for row in rows)
        lines.append("")

    table("Most asked intents", ("intent", "questions"), list(report.top_intents), "None yet.")
    table("Refused questions, grouped by similarity", ("question", "times", "languages", "other wordings"),
          [(g.text, g.count, ", ".join(g.langs), "; ".join(g.variants)) for g in report.refused_groups], "None.")
    table(f"Low-confidence matches (below {report.low_confidence_below:.2f})",
          ("question", "intent", "confidence", "lang", "times"),
          [(x.text, x.intent, f"{x.confidence:.2f}", x.lang, x.count) for x in report.low_confidence], "None.")
    table("Answers marked not useful", ("intent", "votes", "questions"),
          [(x.intent, x.votes, "; ".join(x.questions)) for x in report.not_useful_answers], "None.")
    table("By language", ("lang", "questions", "refused", "refusal rate", "not useful"),
          [(x.lang, x.questions, x.refused, f"{x.refusal_rate:.1%}", x.not_useful) for x in report.by_language], "None.")
    return "\n".join(lines).rstrip() + "\n"


FORMATS = {"md": to_markdown, "csv": to_csv, "json": to_json}


# -- suggestions ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Suggestion:
    intent: str
    text: str
    lang: str
    count: int
    score: float


def suggest(kb: KnowledgeBase, rows: list[Asked], low: float = LOW_CONFIDENCE,
            min_score: float = SUGGEST_MIN_SCORE) -> list[Suggestion]:
    """Refused or low-confidence questions that sit close to an existing intent (the matcher's
    best candidate scores at least `min_score`; a low-confidence answer keeps its intent),
    and are not yet among its examples. Questions naming something the bot knows it has no
    facts on ("aleppo") are left out: they are not missing examples."""
    wanted = Counter((r.text, r.lang, r.intent if r.answered else None) for r in rows
                     if r.text and (not r.answered or r.confidence < low))
    known = {(ex.intent, normalize(ex.text)) for ex in kb.examples()}
    best: dict[tuple[str, str], Suggestion] = {}
    for (text, lang, intent), n in wanted.items():
        match = kb.matcher.match(text)
        if match.unknown:
            continue
        scores = {s.intent: s.score for s in match.ranked}
        target = intent or (match.ranked[0].intent if match.ranked else None)
        score = scores.get(target, match.confidence if intent else 0.0) if target else 0.0
        if target is None or target not in kb.intents or score < min_score:
            continue
        if (target, normalize(text)) in known:
            continue
        key = (target, text)
        old = best.get(key)
        best[key] = Suggestion(target, text, lang, n + (old.count if old else 0), score)
    return sorted(best.values(), key=lambda s: (s.intent, -s.count, s.text))


def suggestions_yaml(items: list[Suggestion], since: date | None = None) -> str:
    """`intent: [examples]` as YAML, one comment per example (language, times asked, score)."""
    since_text = f" since {since.isoformat()}" if since else ""
    lines = [f"# {len(items)} suggested examples from refused or low-confidence questions{since_text}.",
             "# Paste each under its intent's examples: English in intents/<intent>.yaml,",
             "# other languages in intents/i18n/<lang>.yaml; then `python -m bot validate` and /reload."]
    if not items:
        lines.append("{}")
    current = None
    for s in items:
        if s.intent != current:
            lines.append(f"{s.intent}:")
            current = s.intent
        lines.append(f"  - {json.dumps(s.text, ensure_ascii=False)}  # {s.lang}, asked {s.count}x, score {s.score:.2f}")
    return "\n".join(lines) + "\n"
