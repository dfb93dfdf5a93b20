"""What the recorded questions say, for curators: `python -m bot report` and `python -m bot suggest`.

Works on the rows `bot.store.read_questions` returns; nothing here touches the database or
Telegram. Refused questions that name the same thing the bot has no facts on, asked the same
way ("who controls aleppo", "who holds aleppo today"), are one group with a count; the others
are grouped by similarity (rapidfuzz). The HTML page is bot/report_page.py.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from rapidfuzz import fuzz

from .knowledge import KnowledgeBase
from .normalize import normalize
from .store import Asked, refusal_rate

SIMILARITY = 75.0  # token_set_ratio at which two refused questions count as the same question
LOW_CONFIDENCE = 0.65  # answered below this confidence: worth a curator's look
SUGGEST_MIN_SCORE = 0.30  # a question at least this close to an intent is proposed as its example
KIND_MIN_SCORE = 0.30  # a refused question this close to an intent is "that kind of question" about another name
TOP = 20
MAX_VARIANTS = 5  # other wordings shown per refused group
LANG_ORDER = ("en", "ar", "ru", "uk")


@dataclass(frozen=True)
class Group:
    """Refused questions about one thing: the most asked wording, how often the group was asked,
    in which languages, its other wordings; `names` (the out-of-scope things they name) and
    `kind` (the intent their wording is nearest to, e.g. homs_control for "who controls ...")
    when the bot recognised a name it has no facts on."""

    text: str
    count: int
    langs: tuple[str, ...]
    variants: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    kind: str | None = None


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
class Day:
    """One day (UTC) of questions: how many in each language, how many refused."""

    day: date
    by_lang: tuple[tuple[str, int], ...]
    refused: int

    @property
    def questions(self) -> int:
        return sum(n for _, n in self.by_lang)

    @property
    def refusal_rate(self) -> float:
        return refusal_rate(self.questions, self.refused)


@dataclass(frozen=True)
class Reload:
    """The knowledge changed: the first question answered by `version` was asked on `day`."""

    day: date
    version: str
    previous: str


@dataclass(frozen=True)
class VersionLine:
    """The questions one knowledge version answered: is the refusal rate falling after updates?"""

    version: str
    first: date
    last: date
    questions: int
    refused: int

    @property
    def refusal_rate(self) -> float:
        return refusal_rate(self.questions, self.refused)


@dataclass(frozen=True)
class IntentLine:
    """One intent: questions answered with it, the feedback presses, and the intents offered
    beside it as "did you mean" (either way round), most often first."""

    intent: str
    questions: int
    useful: int
    not_useful: int
    confused_with: tuple[tuple[str, int], ...]

    @property
    def not_useful_share(self) -> float:
        """Not-useful presses among all presses on its answers; 0.0 without any."""
        presses = self.useful + self.not_useful
        return self.not_useful / presses if presses else 0.0


@dataclass(frozen=True)
class Report:
    since: date | None
    questions: int
    refused: int
    useful: int
    not_useful: int
    refused_groups: tuple[Group, ...]
    low_confidence: tuple[LowConfidence, ...]
    not_useful_answers: tuple[NotUseful, ...]
    by_language: tuple[LanguageLine, ...]
    intents: tuple[IntentLine, ...] = ()
    days: tuple[Day, ...] = ()
    reloads: tuple[Reload, ...] = ()
    versions: tuple[VersionLine, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)  # intent id -> its English label
    low_confidence_below: float = LOW_CONFIDENCE
    top: int = TOP

    def label(self, intent: str) -> str:
        return self.labels.get(intent, intent)

    @property
    def refusal_rate(self) -> float:
        return refusal_rate(self.questions, self.refused)

    @property
    def top_intents(self) -> tuple[tuple[str, int], ...]:
        return tuple((x.intent, x.questions) for x in self.intents if x.questions)[: self.top]

    @property
    def languages(self) -> tuple[str, ...]:
        """Every language asked in, the bot's four first, in a fixed order (the chart's colours)."""
        asked = {lang for d in self.days for lang, _ in d.by_lang} | {x.lang for x in self.by_language}
        return tuple(sorted(asked, key=lambda lang: (LANG_ORDER.index(lang) if lang in LANG_ORDER else len(LANG_ORDER), lang)))


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


def refusal_key(kb: KnowledgeBase, text: str, min_kind: float = KIND_MIN_SCORE) -> tuple[tuple[str, ...], str | None] | None:
    """What a refused question is about, as the matcher reads it now: the out-of-scope names it
    recognises and the nearest intent (the kind of question; None when no intent comes within
    `min_kind`). None when it names nothing the bot knows it lacks: such questions are grouped
    by similarity instead."""
    match = kb.matcher.match(text)
    if not match.unknown:
        return None
    near = match.ranked[0] if match.ranked else None
    kind = near.intent if near is not None and near.score >= min_kind and near.intent in kb.intents else None
    return tuple(sorted(match.unknown)), kind


def group_refused(kb: KnowledgeBase, refused: list[Asked], similarity: float = SIMILARITY) -> list[Group]:
    """Refused questions naming the same out-of-scope things with the same kind of question are
    one group ("who controls aleppo", "who holds aleppo today", "кто контролирует алеппо");
    the rest are grouped by similarity. Largest first."""
    keys = {text: refusal_key(kb, text) for text in {r.text for r in refused}}
    by_key: dict[tuple[tuple[str, ...], str | None], list[Asked]] = defaultdict(list)
    unnamed: list[Asked] = []
    for r in refused:
        key = keys[r.text]
        if key is None:
            unnamed.append(r)
        else:
            by_key[key].append(r)
    members: list[tuple[list[Asked], tuple[tuple[str, ...], str | None] | None]] = list(
        (rows, key) for key, rows in by_key.items())
    rows_of: dict[str, list[Asked]] = defaultdict(list)
    for r in unnamed:
        rows_of[r.text].append(r)
    for texts in cluster([r.text for r in unnamed], similarity):
        members.append(([row for t in dict.fromkeys(texts) for row in rows_of[t]], None))
    groups = []
    for rows, key in members:
        wordings = Counter(r.text for r in rows)
        ordered = [t for t, _ in sorted(wordings.items(), key=lambda kv: (-kv[1], kv[0]))]
        names = tuple(kb.concepts[c].display("en") if c in kb.concepts else c for c in key[0]) if key else ()
        groups.append(Group(ordered[0], len(rows), tuple(sorted({r.lang for r in rows})), tuple(ordered[1:MAX_VARIANTS + 1]),
                            names, key[1] if key else None))
    return sorted(groups, key=lambda g: (-g.count, g.text))


def daily(rows: list[Asked], since: date | None = None) -> tuple[list[Day], list[Reload]]:
    """Every day from `since` (or the first question) to the last question, empty days included,
    and the days the knowledge version changed between two recorded versions."""
    if not rows:
        return [], []
    per_day: dict[date, Counter[str]] = defaultdict(Counter)
    refused: Counter[date] = Counter()
    reloads: list[Reload] = []
    previous = ""
    for r in rows:  # oldest first
        day = date.fromisoformat(r.at[:10])
        per_day[day][r.lang] += 1
        refused[day] += not r.answered
        if r.knowledge:
            if previous and r.knowledge != previous:
                reloads.append(Reload(day, r.knowledge, previous))
            previous = r.knowledge
    first, last = min(since or min(per_day), min(per_day)), max(per_day)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [Day(d, tuple(sorted(per_day[d].items())), refused[d]) for d in days], reloads


def versions(rows: list[Asked]) -> list[VersionLine]:
    """Per recorded knowledge version (oldest first): its days, questions and refusals."""
    seen: dict[str, list[Asked]] = defaultdict(list)
    for r in rows:
        if r.knowledge:
            seen[r.knowledge].append(r)
    return [VersionLine(v, date.fromisoformat(mine[0].at[:10]), date.fromisoformat(mine[-1].at[:10]), len(mine),
                        sum(not r.answered for r in mine)) for v, mine in seen.items()]


def intent_lines(rows: list[Asked]) -> list[IntentLine]:
    questions: Counter[str] = Counter()
    useful: Counter[str] = Counter()
    not_useful: Counter[str] = Counter()
    confused: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        if r.intent is None:
            continue
        questions[r.intent] += 1
        useful[r.intent] += r.useful
        not_useful[r.intent] += r.not_useful
        for other in r.alternatives:
            if other != r.intent:
                confused[r.intent][other] += 1
                confused[other][r.intent] += 1
    lines = [IntentLine(i, questions[i], useful[i], not_useful[i],
                        tuple(sorted(confused[i].items(), key=lambda kv: (-kv[1], kv[0]))))
             for i in set(questions) | set(confused)]
    return sorted(lines, key=lambda x: (-x.questions, x.intent))


def build(rows: list[Asked], kb: KnowledgeBase, since: date | None = None, low: float = LOW_CONFIDENCE,
          similarity: float = SIMILARITY, top: int = TOP) -> Report:
    refused = [r for r in rows if not r.answered]
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
    days, reloads = daily(rows, since)
    return Report(
        since=since, questions=len(rows), refused=len(refused),
        useful=sum(r.useful for r in rows), not_useful=sum(r.not_useful for r in rows),
        refused_groups=tuple(group_refused(kb, refused, similarity)[:top]), low_confidence=tuple(lows),
        not_useful_answers=bad, by_language=tuple(by_language), intents=tuple(intent_lines(rows)),
        days=tuple(days), reloads=tuple(reloads), versions=tuple(versions(rows)),
        labels={i: intent.display("en") for i, intent in kb.intents.items()}, low_confidence_below=low, top=top,
    )


# -- formats --------------------------------------------------------------------------------------
def to_dict(report: Report) -> dict:
    return {
        "since": report.since.isoformat() if report.since else None,
        "questions": report.questions, "refused": report.refused, "refusal_rate": round(report.refusal_rate, 4),
        "feedback": {"useful": report.useful, "not_useful": report.not_useful},
        "top_intents": [{"intent": i, "count": n} for i, n in report.top_intents],
        "refused_groups": [asdict(g) | {"langs": list(g.langs), "variants": list(g.variants), "names": list(g.names)}
                           for g in report.refused_groups],
        "low_confidence_below": report.low_confidence_below,
        "low_confidence": [asdict(x) for x in report.low_confidence],
        "not_useful_answers": [asdict(x) | {"questions": list(x.questions)} for x in report.not_useful_answers],
        "by_language": [asdict(x) | {"refusal_rate": round(x.refusal_rate, 4)} for x in report.by_language],
        "intents": [{"intent": x.intent, "label": report.label(x.intent), "questions": x.questions, "useful": x.useful,
                     "not_useful": x.not_useful, "not_useful_share": round(x.not_useful_share, 4),
                     "confused_with": [{"intent": i, "count": n} for i, n in x.confused_with]} for x in report.intents],
        "days": [{"day": d.day.isoformat(), "questions": d.questions, "refused": d.refused,
                  "by_lang": dict(d.by_lang)} for d in report.days],
        "reloads": [{"day": r.day.isoformat(), "version": r.version, "previous": r.previous} for r in report.reloads],
        "versions": [{"version": v.version, "first": v.first.isoformat(), "last": v.last.isoformat(), "questions": v.questions,
                      "refused": v.refused, "refusal_rate": round(v.refusal_rate, 4)} for v in report.versions],
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
        w.writerow(("refused_group", g.text, g.kind or "", " ".join(g.langs), g.count, " | ".join(g.variants)))
    for low in report.low_confidence:
        w.writerow(("low_confidence", low.text, low.intent, low.lang, low.count, f"{low.confidence:.3f}"))
    for bad in report.not_useful_answers:
        w.writerow(("not_useful", bad.intent, bad.intent, "", bad.votes, " | ".join(bad.questions)))
    for line in report.by_language:
        w.writerow(("language", line.lang, "", line.lang, line.questions, f"{line.refusal_rate:.4f}"))
    return out.getvalue()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def about(group: Group) -> str:
    """"Aleppo, asked like homs_control": what a refused group names and how it asks ("" when unknown)."""
    if not group.names:
        return ""
    names = ", ".join(group.names)
    return f"{names}, asked like {group.kind}" if group.kind else names


def confusions(line: IntentLine, most: int = 3) -> str:
    return ", ".join(f"{i} ({n})" for i, n in line.confused_with[:most])


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

    table("Most asked intents", ("intent", "questions", "not useful", "confused with"),
          [(x.intent, x.questions, f"{x.not_useful} of {x.useful + x.not_useful}", confusions(x))
           for x in report.intents[: report.top] if x.questions], "None yet.")
    table("Refused questions, grouped by what they ask about", ("question", "times", "languages", "about", "other wordings"),
          [(g.text, g.count, ", ".join(g.langs), about(g), "; ".join(g.variants)) for g in report.refused_groups], "None.")
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
