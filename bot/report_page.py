"""`python -m bot report --format html`: the report as one self-contained page for curators.

One file with its style, a few lines of script (sorting a table by its header, copying the
suggestions) and the chart inline: no network, no external script or font, so it opens from a
mail attachment or a shared drive. Every recorded text is escaped here, in `esc`, and written
with dir="auto" so Arabic reads right to left beside English. No user identifier is on the page:
the report holds none.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import datetime

from .report import Group, Report, about
from .report_chart import PALETTE_SIZE, daily_chart

Cell = str | tuple[str, str]  # inner HTML, or (inner HTML, sort key)


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def wording(text: str, lang: str | None = None) -> str:
    """A question as people typed it, one to a line, in its own direction: an Arabic one reads
    and aligns right to left beside English ones."""
    lang_attr = f' lang="{esc(lang)}"' if lang else ""
    return f'<div class="wording" dir="auto"{lang_attr}>{esc(text)}</div>'


def number(n: int | float, shown: str | None = None) -> tuple[str, str]:
    """A number cell: as shown (thousands separated), and its value to sort by."""
    return (esc(shown if shown is not None else f"{n:,}"), f"{n}")


def table(table_id: str, caption: str, head: Sequence[str], rows: Iterable[Sequence[Cell]], empty: str,
          numeric: Sequence[int] = ()) -> str:
    """A table that sorts by clicking a header (the page's script); `numeric`: the columns
    holding numbers (right-aligned, sorted by value)."""
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            inner, key = cell if isinstance(cell, tuple) else (cell, None)
            attrs = (' class="num"' if i in numeric else "") + (f' data-sort="{esc(key)}"' if key is not None else "")
            cells.append(f"<td{attrs}>{inner}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        return f'<p class="empty" id="{table_id}">{esc(empty)}</p>'
    heads = "".join(('<th scope="col" class="num" data-type="num">' if i in numeric else '<th scope="col" data-type="text">')
                    + f'<button type="button">{esc(h)}</button></th>' for i, h in enumerate(head))
    return (f'<div class="scroll"><table class="sortable" id="{table_id}"><caption>{esc(caption)}</caption>'
            f"<thead><tr>{heads}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def section(section_id: str, title: str, intro: str, content: str) -> str:
    return (f'<section id="{section_id}" aria-labelledby="{section_id}-h"><h2 id="{section_id}-h">{esc(title)}</h2>'
            f'<p class="intro">{esc(intro)}</p>{content}</section>')


def percent(share: float) -> str:
    return f"{share:.0%}" if share in (0, 1) or share >= 0.1 else f"{share:.1%}"


def feedback_share(not_useful: int, presses: int) -> str:
    """"2 of 5 (40%)"; "no presses" without feedback."""
    return f"{not_useful} of {presses} ({percent(not_useful / presses)})" if presses else "no presses"


def intent_cell(report: Report, intent: str) -> tuple[str, str]:
    return (f'{esc(report.label(intent))} <code>{esc(intent)}</code>', report.label(intent))


def group_about(report: Report, group: Group) -> str:
    if not group.names:
        return '<span class="muted">similar wordings</span>'
    names = esc(", ".join(group.names))
    if group.kind is None:
        return names
    return f'{names}<br><span class="muted">asked like “{esc(report.label(group.kind))}”</span>'


def daily_section(report: Report) -> str:
    langs = report.languages
    chart = daily_chart(report.days, report.reloads, langs)
    if not chart:
        return section("daily", "Questions per day", "Questions by day (UTC), stacked by language.",
                       '<p class="empty">No questions recorded yet.</p>')
    legend = "".join(f'<li><span class="swatch lang-{i % PALETTE_SIZE}"></span>{esc(lang)}</li>' for i, lang in enumerate(langs))
    legend += ('<li><span class="swatch line"></span>refused (share of the day, right axis)</li>'
               '<li><span class="swatch mark"></span>knowledge updated (first question answered by a new version)</li>')
    reloaded = {r.day for r in report.reloads}
    rows: list[list[Cell]] = []
    for d in report.days:
        counts = dict(d.by_lang)
        rate = percent(d.refusal_rate) if d.questions else "–"
        rows.append([esc(d.day.isoformat()), *(number(counts.get(lang, 0)) for lang in langs),
                     number(d.questions), number(d.refused), number(d.refusal_rate, rate),
                     ("updated", "1") if d.day in reloaded else ("", "0")])
    numeric = range(1, len(langs) + 4)  # the day itself sorts as text (ISO dates), left-aligned
    data = table("days", "Questions per day", ["day", *langs, "all", "refused", "refused %", "knowledge"], rows, "", numeric)
    versions = table("versions", "Refusals under each knowledge version",
                     ["knowledge version", "first day", "last day", "questions", "refused %"],
                     ([f"<code>{esc(v.version)}</code>", esc(v.first.isoformat()), esc(v.last.isoformat()),
                       number(v.questions), number(v.refusal_rate, percent(v.refusal_rate))] for v in report.versions),
                     "No knowledge version was recorded with these questions (they predate schema 2).", (3, 4))
    content = (f'<figure class="chart-box">{chart}<figcaption><ul class="legend">{legend}</ul></figcaption></figure>'
               f"{versions}<details><summary>The figures, day by day</summary>{data}</details>")
    return section("daily", "Questions per day",
                   "Bars: questions each day (UTC), stacked by language. Line: the share refused. "
                   "Dashed: the knowledge was updated; the refusal rate should fall after it.", content)


def page(report: Report, suggestions: str, generated: datetime | None = None) -> str:
    """The whole page; `suggestions` is `suggest`'s YAML, shown ready to copy."""
    since = f" since {report.since.isoformat()}" if report.since else ""
    made = f" Made {generated.strftime('%Y-%m-%d %H:%M UTC')}." if generated else ""
    first_last = (f" From {report.days[0].day.isoformat()} to {report.days[-1].day.isoformat()}." if report.days else "")
    cards = "".join(f'<div class="card"><div class="big">{esc(big)}</div><div>{esc(small)}</div></div>' for big, small in (
        (f"{report.questions:,}", "questions"), (percent(report.refusal_rate), f"refused ({report.refused:,})"),
        (f"{report.useful:,}", "marked useful"), (f"{report.not_useful:,}", "marked not useful"),
        (len(report.by_language), "languages")))
    refused = table("refused-groups", "Refused questions, grouped by what they ask about",
                    ["most asked wording", "times", "languages", "about", "other wordings"],
                    ([(wording(g.text, g.langs[0] if len(g.langs) == 1 else None), g.text), number(g.count),
                      esc(" ".join(g.langs)), (group_about(report, g), about(g)),
                      "".join(wording(v) for v in g.variants)] for g in report.refused_groups),
                    "No question was refused.", (1,))
    low = table("low-confidence", f"Answered with confidence below {report.low_confidence_below:.2f}",
                ["question", "answered as", "confidence", "language", "times"],
                ([(wording(x.text, x.lang), x.text), intent_cell(report, x.intent), number(x.confidence, f"{x.confidence:.2f}"),
                  esc(x.lang), number(x.count)] for x in report.low_confidence),
                "No low-confidence answers.", (2, 4))
    bad = table("not-useful", "Answers marked not useful",
                ["intent", "not useful", "questions asked"],
                ([intent_cell(report, x.intent), number(x.votes), "".join(wording(q) for q in x.questions)]
                 for x in report.not_useful_answers),
                "No answer was marked not useful.", (1,))
    intents = table("intents", "Per intent", ["intent", "questions", "not useful", "confused with"],
                    ([intent_cell(report, x.intent), number(x.questions),
                      number(x.not_useful_share, feedback_share(x.not_useful, x.useful + x.not_useful)),
                      ", ".join(f'<span title="{esc(report.label(i))}"><code>{esc(i)}</code> ({n})</span>'
                                for i, n in x.confused_with[:5]) or '<span class="muted">–</span>']
                     for x in report.intents),
                    "No question was answered.", (1, 2))
    langs = report.languages
    languages = table("languages", "By language", ["language", "questions", "refused", "refused %", "not useful"],
                      ([esc(x.lang), number(x.questions), number(x.refused), number(x.refusal_rate, percent(x.refusal_rate)),
                        number(x.not_useful)] for x in sorted(report.by_language, key=lambda x: langs.index(x.lang))),
                      "No questions.", (1, 2, 3, 4))
    copy = ('<div class="copy"><button type="button" id="copy-suggest">Copy</button>'
            f'<pre id="suggest-yaml" dir="ltr">{esc(suggestions)}</pre></div>')
    body = "\n".join((
        f"<header><h1>factbot report{esc(since)}</h1><p class=\"muted\">{esc(first_last + made)}</p>"
        f'<div class="cards">{cards}</div></header>',
        daily_section(report),
        section("refused", "Most refused", "Questions the bot refused. Those naming the same thing it has no facts on, "
                "asked the same way, are one line; the others are grouped by similar wording.", refused),
        section("low", "Low-confidence matches", "Answered, but the match was weak: check that the answer fits.", low),
        section("not-useful-answers", "Marked not useful", "Answers people pressed “not useful” under.", bad),
        section("per-intent", "Per intent", "Questions answered with each intent, the share of feedback presses that "
                "said “not useful”, and the intents offered beside it as “did you mean” (how often).", intents),
        section("by-language", "By language", "Questions and refusals in each language.", languages),
        section("suggest", "Suggested examples", "Refused or low-confidence questions close to an intent, as YAML "
                "to paste into intents/ (the output of `python -m bot suggest`).", copy),
    ))
    return PAGE.format(title=esc(f"factbot report{since}"), style=STYLE, script=SCRIPT, body=body)


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<main>
{body}
</main>
<script>{script}</script>
</body>
</html>
"""

# System fonts only (nothing to download); the list covers Latin, Cyrillic and Arabic.
STYLE = """
:root { --bg: #ffffff; --fg: #1d2329; --muted: #5c6670; --line: #d5dbe1; --grid: #e6eaee; --card: #f4f6f8;
  --accent: #1f5fa8; --rate: #c0392b; --mark: #6b4fa0;
  --lang-0: #3569b0; --lang-1: #d9822b; --lang-2: #3f9a5a; --lang-3: #8e5bb5; --lang-4: #b0893a; --lang-5: #4a9aa8; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #15191d; --fg: #e4e8ec; --muted: #9aa5b0; --line: #3a434c; --grid: #2b3238; --card: #1e2429;
    --accent: #7fb1ef; --rate: #ff7b6e; --mark: #c3a6f2;
    --lang-0: #6b9ee6; --lang-1: #f0a556; --lang-2: #6cc487; --lang-3: #b992e0; --lang-4: #d8b866; --lang-5: #7cc7d4; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans Arabic", Tahoma, Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.25em; margin: 36px 0 4px; padding-top: 8px; border-top: 1px solid var(--line); }
.intro, .muted, caption { color: var(--muted); }
.intro { margin: 0 0 12px; max-width: 75ch; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0 0; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 140px; }
.big { font-size: 1.6em; font-weight: 600; }
.chart-box { margin: 0; }
.chart { width: 100%; height: auto; display: block; }
.chart text { fill: var(--fg); font-size: 13px; }
.chart .tick { fill: var(--muted); font-size: 12px; }
.chart .rate-tick { fill: var(--rate); }
.chart .axis-title { font-size: 13px; font-weight: 600; }
.chart .grid { stroke: var(--grid); stroke-width: 1; }
.chart .axis { stroke: var(--muted); stroke-width: 1; }
.chart .rate-line { fill: none; stroke: var(--rate); stroke-width: 2.5; stroke-linejoin: round; }
.chart .rate-point { fill: var(--bg); stroke: var(--rate); stroke-width: 2; }
.chart .reload-line { stroke: var(--mark); stroke-width: 2; stroke-dasharray: 5 4; }
.chart .reload-label { fill: var(--mark); font-size: 12px; font-weight: 600; }
.lang-0 { fill: var(--lang-0); background: var(--lang-0); } .lang-1 { fill: var(--lang-1); background: var(--lang-1); }
.lang-2 { fill: var(--lang-2); background: var(--lang-2); } .lang-3 { fill: var(--lang-3); background: var(--lang-3); }
.lang-4 { fill: var(--lang-4); background: var(--lang-4); } .lang-5 { fill: var(--lang-5); background: var(--lang-5); }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 6px 18px; padding: 0; margin: 8px 0 0 60px; }
.legend li { display: flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 14px; height: 14px; border-radius: 3px; }
.swatch.line { height: 3px; background: var(--rate); }
.swatch.mark { width: 3px; height: 16px; background: repeating-linear-gradient(var(--mark) 0 4px, transparent 4px 7px); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
caption { text-align: start; font-size: .9em; padding-bottom: 4px; }
th, td { text-align: start; vertical-align: top; padding: 6px 10px; border-bottom: 1px solid var(--line); }
th { white-space: nowrap; }
td.num, th.num { text-align: end; font-variant-numeric: tabular-nums; }
th button { font: inherit; font-weight: 600; color: inherit; background: none; border: 0; padding: 0; cursor: pointer; }
th button::after { content: " ↕"; color: var(--muted); font-weight: 400; }
th[aria-sort="ascending"] button::after { content: " ↑"; color: var(--accent); }
th[aria-sort="descending"] button::after { content: " ↓"; color: var(--accent); }
tbody tr:hover { background: var(--card); }
code { font-size: .85em; color: var(--muted); }
.wording { unicode-bidi: isolate; } .wording + .wording { margin-top: 5px; }
details { margin: 8px 0; } summary { cursor: pointer; color: var(--accent); }
.copy { position: relative; }
.copy button { position: absolute; top: 8px; right: 8px; font: inherit; padding: 4px 12px; border-radius: 6px;
  border: 1px solid var(--line); background: var(--bg); color: var(--fg); cursor: pointer; }
pre { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; overflow-x: auto;
  font: 13px/1.5 ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; }
.empty { color: var(--muted); font-style: italic; }
"""

# Sorting: a click on a header sorts by that column (numbers by value), a second click reverses.
SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, column) {
    th.querySelector("button").addEventListener("click", function () {
      var sorted = th.getAttribute("aria-sort");
      var descending = sorted ? sorted === "ascending" : th.dataset.type === "num";  // numbers: largest first
      table.querySelectorAll("th").forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", descending ? "descending" : "ascending");
      var key = function (row) {
        var cell = row.cells[column];
        return cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent;
      };
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        var order = th.dataset.type === "num" ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
        return descending ? -order : order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
document.getElementById("copy-suggest").addEventListener("click", function () {
  var text = document.getElementById("suggest-yaml").textContent;
  if (navigator.clipboard) { navigator.clipboard.writeText(text); }
  else { var range = document.createRange(); range.selectNodeContents(document.getElementById("suggest-yaml"));
    getSelection().removeAllRanges(); getSelection().addRange(range); document.execCommand("copy"); }
  this.textContent = "Copied";
});
"""
