"""`python -m bot report --format html`: the page curators open, built from a database of a few
hundred questions in four languages, checked as a browser would read it."""

from __future__ import annotations

import random
import re
import sqlite3
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from bot import cli
from bot.knowledge import KnowledgeBase
from bot.report import build, suggest, suggestions_yaml
from bot.report_chart import nice_ceiling
from bot.report_page import page
from bot.store import QuestionRecord, Store, read_questions

FIRST_DAY = date(2025, 1, 6)
DAYS = 21
UPDATE_DAY = FIRST_DAY + timedelta(days=12)  # the knowledge changed on this day
HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
ASKED = {
    "en": ["who controls homs", "who controls homs now?", "where is assad", "did assad flee", "what did golani say",
           "who are the rebels", "what is happening in damascus", "who controls aleppo", "who controls aleppo now?",
           "who holds aleppo today", "where is putin", "what's the weather in damascus", "when did homs fall",
           "homs who is the boss there", "what does the us think", "were prisoners released in homs", HOSTILE],
    "ar": ["من يسيطر على حمص", "أين الأسد", "من يسيطر على حلب", "ماذا قال الجولاني", "ماذا يحدث في دمشق"],
    "ru": ["кто контролирует хомс", "где асад", "кто контролирует алеппо", "что происходит в дамаске", "кто такие повстанцы"],
    "uk": ["хто контролює хомс", "де асад", "хто контролює алеппо", "що відбувається в дамаску", "хто такі повстанці"],
}
LANG_WEIGHTS = {"en": 6, "ar": 2, "ru": 2, "uk": 1}


def day_at(day: date, n: int) -> str:
    return f"{day.isoformat()}T{8 + n // 60:02d}:{n % 60:02d}:00"


@pytest.fixture(scope="module")
def recorded_db(tmp_path_factory, kb: KnowledgeBase) -> Path:
    """About 400 questions over three weeks: matched by the real matcher, recorded as the bot
    records them, with a knowledge update on UPDATE_DAY and some feedback."""
    path = tmp_path_factory.mktemp("report") / "factbot.sqlite3"
    end = datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, tzinfo=UTC) + timedelta(days=DAYS)
    store = Store.open(path, "report-key", flush_seconds=0.01, clock=end.timestamp)
    rng = random.Random(17)
    matches = {q: kb.matcher.match(q) for qs in ASKED.values() for q in qs}
    ids = []
    for offset in range(DAYS):
        day = FIRST_DAY + timedelta(days=offset)
        if offset == 9:
            continue  # a day without questions: a gap in the line, zeros in the table
        for n in range(rng.randint(8, 32)):
            lang = rng.choices(list(LANG_WEIGHTS), list(LANG_WEIGHTS.values()))[0]
            text = rng.choice(ASKED[lang])
            m = matches[text]
            recorded = text if text == HOSTILE else m.canonical  # the store keeps whatever it is given
            version = "2025-01-05/40f/17i" if day < UPDATE_DAY else "2025-01-18/44f/17i"
            record = QuestionRecord(store.new_question_id(), day_at(day, n), rng.choice(["private", "supergroup"]), lang,
                                    recorded, m.intent, round(m.confidence, 4), m.alternatives,
                                    store.user_hash(1000 + rng.randint(0, 40)), knowledge=version)
            assert store.record_question(record)
            ids.append((record.id, m.intent))
    for question_id, intent in ids[::7]:
        if intent is not None:
            store.record_feedback(question_id, 5000 + len(question_id), useful=intent != "us_assessment")
    assert store.flush(10)
    store.close()
    return path


@pytest.fixture(scope="module")
def html_page(recorded_db: Path, kb: KnowledgeBase) -> str:
    rows = read_questions(recorded_db)
    return page(build(rows, kb), suggestions_yaml(suggest(kb, rows)), datetime(2025, 1, 27, 9, 30, tzinfo=UTC))


class Elements(HTMLParser):
    """Every start tag with its attributes, the text inside <pre> and each table's cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.pre = ""
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ("br", "meta"):
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):  # <line .../> in the SVG
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data):
        if "pre" in self.stack:
            self.pre += data
        if "script" not in self.stack and "style" not in self.stack:
            self.text.append(data)

    def all(self, tag: str, **wanted: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k.replace("_", "-")) == v for k, v in wanted.items())]


def parsed(markup: str) -> Elements:
    elements = Elements()
    elements.feed(markup)
    elements.close()
    assert not elements.stack, f"unclosed: {elements.stack}"
    return elements


def db_counts(path: Path) -> tuple[Counter, Counter, Counter]:
    """Per (day, lang), per day, and refused per day, straight from SQLite."""
    con = sqlite3.connect(path)
    by_lang, by_day, refused = Counter(), Counter(), Counter()
    for at, lang, answered in con.execute("SELECT at, lang, answered FROM questions"):
        by_lang[(at[:10], lang)] += 1
        by_day[at[:10]] += 1
        refused[at[:10]] += 1 - answered
    return by_lang, by_day, refused


def test_the_page_has_every_section_with_its_heading(html_page):
    doc = parsed(html_page)
    sections = {a["id"] for a in doc.all("section")}
    assert sections == {"daily", "refused", "low", "not-useful-answers", "per-intent", "by-language", "suggest"}
    assert len(doc.all("h2")) == len(sections) and doc.all("h1")
    for table_id in ("days", "versions", "refused-groups", "low-confidence", "not-useful", "intents", "languages"):
        assert doc.all("table", id=table_id), f"the {table_id} table is empty or missing"


def test_the_chart_bars_and_line_points_match_the_recorded_counts(html_page, recorded_db):
    doc = parsed(html_page)
    by_lang, by_day, refused = db_counts(recorded_db)
    assert sum(by_day.values()) >= 300 and {lang for _, lang in by_lang} == {"en", "ar", "ru", "uk"}
    bars = Counter({(a["data-day"], a["data-lang"]): int(a["data-count"] or 0) for a in doc.all("rect")
                    if a.get("data-day")})
    assert bars == by_lang
    points = {a["data-day"]: (int(a["data-questions"] or 0), int(a["data-refused"] or 0), float(a["data-rate"] or 0))
              for a in doc.all("circle") if a.get("data-day")}
    assert points == {d: (n, refused[d], round(refused[d] / n, 4)) for d, n in by_day.items()}
    gap = (FIRST_DAY + timedelta(days=9)).isoformat()
    assert gap not in points and len(doc.all("polyline")) == 2, "a day without questions breaks the line"
    assert [a["data-day"] for a in doc.all("g") if a.get("class") == "reload"] == [UPDATE_DAY.isoformat()]
    listed = re.findall(r"<tr><td>(\d{4}-\d\d-\d\d)</td>", html_page[html_page.index('id="days"'):])
    assert len(listed) == DAYS and gap in listed, "the day-by-day table lists every day, empty ones too"


def test_the_chart_has_axis_titles_a_legend_and_colours_for_light_and_dark(html_page):
    doc = parsed(html_page)
    assert {"Questions", "Day (UTC)"} <= {t.strip() for t in doc.text}
    assert any(t.startswith("Refused") for t in doc.text)
    legend = " ".join(doc.text)
    for lang in ("en", "ar", "ru", "uk"):
        assert doc.all("span", **{"class": f"swatch lang-{('en', 'ar', 'ru', 'uk').index(lang)}"})
    assert "knowledge updated" in legend and "refused (share of the day" in legend
    assert "prefers-color-scheme: dark" in html_page and '<meta name="color-scheme" content="light dark">' in html_page


def test_refused_groups_count_languages_and_wordings_by_what_they_ask_about(html_page, recorded_db, kb):
    groups = build(read_questions(recorded_db), kb).refused_groups
    aleppo = next(g for g in groups if g.names == ("Aleppo",) and g.kind == "homs_control")
    assert set(aleppo.langs) == {"en", "ar", "ru", "uk"}
    con = sqlite3.connect(recorded_db)
    asked = con.execute("SELECT COUNT(*) FROM questions WHERE intent IS NULL AND (text LIKE '%aleppo%') "
                        "AND text NOT LIKE 'where%'").fetchone()[0]
    assert aleppo.count == asked
    doc = parsed(html_page)
    row_text = " ".join(doc.text)
    assert f"asked like “{kb.intents['homs_control'].display()}”" in row_text
    assert "who holds aleppo today" in row_text and "من يسيطر علي aleppo" in row_text


def test_question_texts_are_escaped_and_right_to_left_wordings_keep_their_direction(html_page):
    assert "<script>alert" not in html_page and "<img" not in html_page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html_page or "&lt;script&gt;alert" in html_page
    doc = parsed(html_page)
    assert len(doc.all("script")) == 1, "only the page's own script"
    assert any("alert" in t and "<script>" in t for t in doc.text), "the hostile question is shown as text"
    arabic = re.compile("[\u0600-\u06ff]")
    wordings = re.findall(r'<div class="wording" dir="auto"[^>]*>([^<]*)</div>', html_page)
    assert any(arabic.search(w) for w in wordings), "Arabic wordings are isolated with dir=auto"
    assert any(re.search("[а-яіїє]", w) for w in wordings)


def test_the_page_is_self_contained_and_shows_no_user_identifier(html_page, recorded_db):
    assert "://" not in html_page, "no URL: the page opens offline, from a mail attachment"
    assert not [(t, a) for t, a in parsed(html_page).tags if {"src", "href", "xlink:href"} & set(a)]
    assert "@import" not in html_page and "url(" not in html_page
    hashes = [h for (h,) in sqlite3.connect(recorded_db).execute("SELECT DISTINCT user_hash FROM questions")]
    assert hashes and not any(h in html_page or h[:12] in html_page for h in hashes)
    assert "user_hash" not in html_page


def test_tables_sort_by_clicking_their_headers(html_page):
    doc = parsed(html_page)
    tables = doc.all("table")
    assert tables and all(a.get("class") == "sortable" for a in tables)
    assert len(doc.all("button", type="button")) >= 5 * 2
    numeric = doc.all("th", data_type="num")
    assert numeric and all(a.get("class") == "num" for a in numeric)
    script = html_page[html_page.index("<script>"):]
    assert "aria-sort" in script and "localeCompare" in script and "parseFloat" in script


def test_the_suggestions_are_on_the_page_ready_to_copy(html_page, recorded_db, kb):
    doc = parsed(html_page)
    expected = suggestions_yaml(suggest(kb, read_questions(recorded_db)))
    assert doc.pre == expected
    pasted = yaml.safe_load(doc.pre)
    assert pasted and all(intent in kb.intents for intent in pasted)
    assert doc.all("button", id="copy-suggest")


def test_nice_ceiling_gives_round_axis_tops():
    assert [nice_ceiling(n) for n in (0, 1, 3, 7, 10, 11, 24, 51, 180)] == [1, 1, 5, 10, 10, 20, 50, 100, 200]


def test_an_empty_database_gives_a_page_that_says_so(tmp_path, kb):
    html_text = page(build([], kb), suggestions_yaml([]))
    doc = parsed(html_text)
    assert not doc.all("svg") and "No questions recorded yet." in html_text
    assert "No question was refused." in html_text


def test_cli_writes_the_html_report_to_a_file(recorded_db, tmp_path, capsys, monkeypatch):
    for name in [k for k in __import__("os").environ if k.startswith("FACTBOT_")]:
        monkeypatch.delenv(name)
    out = tmp_path / "report.html"
    assert cli.main(["report", "--db", str(recorded_db), "--format", "html", "--out", str(out),
                     "--since", UPDATE_DAY.isoformat()]) == 0
    written = out.read_text(encoding="utf-8")
    assert written.startswith("<!DOCTYPE html>") and f"since {UPDATE_DAY.isoformat()}" in written
    days = {a["data-day"] for a in parsed(written).all("circle")}
    assert min(days) == UPDATE_DAY.isoformat()
    assert str(out) in capsys.readouterr().err
    assert cli.main(["report", "--db", str(recorded_db), "--format", "html", "--out", str(tmp_path / "no" / "r.html")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_per_intent_lines_count_questions_not_useful_presses_and_confusions(recorded_db, html_page, kb):
    con = sqlite3.connect(recorded_db)
    lines = {x.intent: x for x in build(read_questions(recorded_db), kb).intents}
    for intent, n in con.execute("SELECT intent, COUNT(*) FROM questions WHERE intent IS NOT NULL GROUP BY intent"):
        assert lines[intent].questions == n
    presses = dict(((i, u), n) for i, u, n in con.execute(
        "SELECT q.intent, f.useful, COUNT(*) FROM feedback f JOIN questions q ON q.id = f.question_id GROUP BY 1, 2"))
    us = lines["us_assessment"]
    assert (us.not_useful, us.useful) == (presses[("us_assessment", 0)], presses.get(("us_assessment", 1), 0)) != (0, 0)
    offered = con.execute("SELECT COUNT(*) FROM questions WHERE intent = 'homs_control' "
                          "AND alternatives LIKE '%homs_strategic%'").fetchone()[0]
    assert offered and ("homs_strategic", offered) in lines["homs_control"].confused_with
    assert f"{us.not_useful} of {us.not_useful + us.useful} (" in html_page
