"""`python -m bot`, run as a separate process exactly as tools and operators run it.

The JSON shapes and options are fixed by ../shared/contract.md; these tests hold the command
line to it. No Telegram token, no network.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.answer import answer
from bot.knowledge import load
from bot.render import to_json

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT / "tests" / "devset.yaml"

CONTRACT_INTENTS = (  # ../shared/contract.md, "Intent ids"
    "homs_control", "homs_capture", "homs_residents", "homs_strategic", "homs_prison",
    "golani_statement", "rebels_who", "damascus_status", "damascus_protests", "army_position",
    "assad_whereabouts", "assad_us_outreach", "us_assessment", "statue_toppled",
    "syria_overview", "sources", "help",
)
CONTRACT_KEYS = {"question", "intent", "confidence", "answer", "sources", "as_of", "lang", "alternatives"}


def env_without_telegram(**extra: str) -> dict[str, str]:
    """The caller's environment minus every Telegram and factbot setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "FACTBOT_"))}
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(extra)
    return env


def bot(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, input=stdin, capture_output=True, text=True,
        env=env if env is not None else env_without_telegram(), timeout=120,
    )


def ok(*args: str, stdin: str | None = None) -> str:
    result = bot(*args, stdin=stdin)
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout


def ask_json(*args: str) -> dict:
    out = ok("ask", "--json", *args)
    assert out.endswith("\n") and out.count("\n") == 1, f"expected one JSON line, got:\n{out}"
    return json.loads(out)


def assert_contract_types(data: dict) -> None:
    assert CONTRACT_KEYS <= set(data), CONTRACT_KEYS - set(data)
    assert type(data["question"]) is str
    assert data["intent"] is None or type(data["intent"]) is str
    assert type(data["confidence"]) is float and 0.0 <= data["confidence"] <= 1.0
    assert type(data["answer"]) is str and data["answer"].strip()
    assert type(data["sources"]) is list and all(type(s) is str for s in data["sources"])
    assert data["as_of"] is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", data["as_of"])
    assert type(data["lang"]) is str
    assert type(data["alternatives"]) is list and all(type(a) is str for a in data["alternatives"])


# -- ask ----------------------------------------------------------------------------------------
def test_ask_prints_the_reply_as_a_person_reads_it(kb):
    result = bot("ask", "where is assad")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert kb.facts["assad_in_moscow_asylum"].text() in result.stdout
    assert "Moscow" in result.stdout and "As of " in result.stdout
    assert "<b>" not in result.stdout and "<i>" not in result.stdout  # plain text, not HTML


def test_ask_json_prints_one_contract_object():
    data = ask_json("where is assad")
    kb = load(ROOT)  # fresh, so it sees the same files the subprocess just read
    assert_contract_types(data)
    assert data["question"] == "where is assad"
    assert data["intent"] == "assad_whereabouts"
    assert data["lang"] == "en"
    assert date.fromisoformat(data["as_of"]) == date(2024, 12, 16)
    assert {"TASS", "RIA Novosti"} <= set(data["sources"])
    # the answer is the Telegram HTML of a private chat, exactly as the core renders it
    assert "<i>As of 16 December 2024.</i>" in data["answer"]
    assert data["answer"] == to_json(kb, answer(kb, "where is assad"))["answer"]


def test_ask_json_out_of_scope_has_null_intent():
    data = ask_json("who controls aleppo?")
    assert_contract_types(data)
    assert data["intent"] is None
    assert "Aleppo" in data["answer"]


def test_ask_json_reads_one_question_a_line_from_stdin():
    questions = ["where is assad", "who controls homs?", "who controls aleppo", "what did golani say"]
    out = ok("ask", "--json", "-", stdin="\n".join(questions) + "\n")
    replies = [json.loads(line) for line in out.splitlines()]
    for reply in replies:
        assert_contract_types(reply)
    assert [r["question"] for r in replies] == questions
    assert [r["intent"] for r in replies] == ["assad_whereabouts", "homs_control", None, "golani_statement"]


def test_ask_json_keeps_every_input_line_paired_with_one_output_line(kb):
    questions = ["where is assad", "", "   ", "who controls homs?", ""]
    out = ok("ask", "--json", "-", stdin="\n".join(questions) + "\n")
    replies = [json.loads(line) for line in out.splitlines()]
    assert [r["question"] for r in replies] == questions
    assert [r["intent"] for r in replies] == ["assad_whereabouts", None, None, "homs_control", None]
    help_start = kb.text("help_text", "en").split("{")[0]
    for blank in (replies[1], replies[2], replies[4]):
        assert_contract_types(blank)
        assert blank["answer"].startswith(help_start) and blank["as_of"] is None


def test_reading_stdin_needs_json():
    result = bot("ask", "-", stdin="where is assad\n")
    assert result.returncode == 2 and "--json" in result.stderr and "Traceback" not in result.stderr


def test_as_of_answers_from_what_was_reported_by_then():
    now = ask_json("where is assad")
    then = ask_json("--as-of", "2024-12-10", "where is assad")
    assert then["intent"] == "assad_whereabouts"
    assert then["as_of"] == "2024-12-08"
    assert "Moscow" in then["answer"] and "16 December" not in then["answer"]
    assert then["answer"] != now["answer"]
    text = ok("ask", "--as-of", "2024-12-10", "where is assad")
    assert "As known on 10 December 2024: the newest fact here is from 8 December 2024." in text
    assert "\nAs of " not in text  # one date line
    before = ask_json("--as-of", "2024-12-07", "where is assad")
    assert before["as_of"] is None and before["sources"] == [] and "As of" not in before["answer"]


def test_explain_in_text_mode_adds_why(kb):
    plain = ok("ask", "where is assad")
    explained = ok("ask", "--explain", "where is assad")
    assert explained.startswith(plain.rstrip("\n"))
    why = explained[len(plain.rstrip("\n")):]
    assert kb.text("explain_title") in why
    for line in ("names recognised: assad", "closest examples:", "intent scores:", "facts used: assad_in_moscow_asylum"):
        assert line in why, line
    assert "closest examples:" not in plain


def test_explain_in_json_mode_adds_an_explain_key():
    assert "explain" not in ask_json("where is assad")
    data = ask_json("--explain", "where is assad")
    assert_contract_types(data)
    explain = data["explain"]
    assert "assad" in explain["names_recognised"]
    assert explain["closest_examples"] and explain["intent_scores"]
    assert "assad_in_moscow_asylum" in explain["facts_used"]


@pytest.mark.parametrize("lang", ["en", "en-US", "de"])
def test_lang_is_accepted_and_unsupported_languages_get_english(lang):
    data = ask_json("--lang", lang, "who controls homs")
    assert data["intent"] == "homs_control"
    assert data["lang"] == "en"


def test_as_of_must_be_a_date():
    result = bot("ask", "--as-of", "notadate", "where is assad")
    assert result.returncode == 2
    assert "YYYY-MM-DD" in result.stderr and "notadate" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


# -- no token, no network ---------------------------------------------------------------------
# Runs the same entry point (`runpy` as `-m` does) with sockets disabled, and reports what was
# loaded: any attempt to connect or resolve a name fails the run.
_GUARDED = r"""
import json, os, runpy, socket, sys

report = {"network": [], "loads": 0}

def _refuse(*args, **kwargs):
    report["network"].append(repr(args[1:3]))
    raise OSError("network access during a CLI test")

socket.socket.connect = socket.socket.connect_ex = socket.socket.sendto = _refuse
socket.create_connection = socket.getaddrinfo = _refuse

import bot.knowledge
_load = bot.knowledge.load
def _counting_load(*args, **kwargs):
    report["loads"] += 1
    return _load(*args, **kwargs)
bot.knowledge.load = _counting_load

code = 0
try:
    runpy.run_module("bot", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code
finally:
    report["modules"] = sorted(m for m in sys.modules if m.split(".")[0] in ("telegram", "httpx") or m.startswith("bot.tg"))
    with open(os.environ["CLI_TEST_REPORT"], "w") as fh:
        json.dump(report, fh)
sys.exit(code)
"""


def guarded(tmp_path: Path, *args: str, stdin: str | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    report = tmp_path / "report.json"
    env = env_without_telegram(CLI_TEST_REPORT=str(report))
    assert "TELEGRAM_BOT_TOKEN" not in env
    result = subprocess.run([sys.executable, "-c", _GUARDED, *args], cwd=ROOT, input=stdin,
                            capture_output=True, text=True, env=env, timeout=120)
    return result, json.loads(report.read_text())


def test_ask_needs_no_telegram_token_and_no_network(tmp_path):
    result, report = guarded(tmp_path, "ask", "where is assad")
    assert result.returncode == 0, result.stderr
    assert "Moscow" in result.stdout
    assert report["network"] == []
    assert report["modules"] == []  # python-telegram-bot and its HTTP client are never imported


def test_ask_from_stdin_loads_the_knowledge_base_once(tmp_path):
    questions = "where is assad\nwho controls homs\nwhat did golani say\nwhat is hts\n"
    result, report = guarded(tmp_path, "ask", "--json", "-", stdin=questions)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 4
    assert report["loads"] == 1
    assert report["network"] == [] and report["modules"] == []


# -- intents ------------------------------------------------------------------------------------
def test_intents_json_lists_every_training_example():
    rows = [json.loads(line) for line in ok("intents", "--json").splitlines()]
    assert rows
    for row in rows:
        assert set(row) == {"intent", "text", "lang"}, row
        assert all(type(v) is str and v for v in row.values()), row
    english = {iid: 0 for iid in CONTRACT_INTENTS}
    for row in rows:
        if row["lang"] == "en" and row["intent"] in english:
            english[row["intent"]] += 1
    too_few = {iid: n for iid, n in english.items() if n < 25}
    assert not too_few, f"contract intents with fewer than 25 English examples: {too_few}"


# -- validate -----------------------------------------------------------------------------------
def test_validate_passes_on_the_bundled_data():
    result = bot("validate")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok:")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("old, new, marker, message", [
    ("    asserted_by: reuters\n", "    asserted_by: reuters\n    colour: red\n", "colour: red", "unknown key 'colour'"),
    ("    event_date: 2024-12-08\n", "    event_date: 2024-13-45\n", "2024-13-45", "must be a date YYYY-MM-DD"),
])
def test_validate_on_broken_data_lists_file_line_errors(tmp_path, old, new, marker, message):
    data = tmp_path / "data"
    for name in ("knowledge", "intents", "locales"):
        shutil.copytree(ROOT / name, data / name)
    facts = data / "knowledge" / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    start = text.index("  - id: homs_rebels_declare_control\n")
    end = text.index("\n  - id: ", start + 1)
    assert text[start:end].count(old) == 1
    facts.write_text(text[:start] + text[start:end].replace(old, new) + text[end:], encoding="utf-8")
    line = next(n for n, text_line in enumerate(facts.read_text(encoding="utf-8").splitlines(), 1)
                if marker in text_line)

    result = bot("--data", str(data), "validate")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr
    assert re.search(rf"knowledge/facts\.yaml:{line}: .*{re.escape(message)}", result.stderr), result.stderr
    assert not result.stdout.startswith("ok:")


# -- eval ---------------------------------------------------------------------------------------
def test_eval_prints_accuracy_and_a_per_intent_table():
    out = ok("eval", str(DEVSET))
    assert re.search(r"^in scope: \d+/\d+ .*\(\d+\.\d%\)$", out, re.M), out
    assert re.search(r"^out of scope: \d+/\d+ rejected \(\d+\.\d%\)$", out, re.M), out
    assert re.search(r"^intent\s+n\s+precision\s+recall$", out, re.M), out
    for iid in CONTRACT_INTENTS:
        assert re.search(rf"^{iid}\s+\d+\s+\d+\.\d%\s+\d+\.\d%$", out, re.M), iid


def test_eval_min_accuracy_sets_the_exit_code():
    strict = bot("eval", str(DEVSET), "--min-accuracy", "0.999")
    assert strict.returncode == 1, strict.stdout[-2000:]
    assert "below the bar" in strict.stderr
    lenient = bot("eval", str(DEVSET), "--min-accuracy", "0.5")
    assert lenient.returncode == 0, lenient.stderr


@pytest.mark.parametrize("content, line", [
    ('- {text: "where is assad", intent: assad_whereabouts}\n- {text: "who controls homs"}\n', 2),
    ('- {text: "where is assad", intent: assad_whereabouts}\n\n- {text: "who controls homs", intent: [}\n', 3),
])
def test_eval_on_a_malformed_labelled_file_exits_2_with_file_and_line(tmp_path, content, line):
    labelled = tmp_path / "labelled.yaml"
    labelled.write_text(content, encoding="utf-8")
    result = bot("eval", str(labelled))
    assert result.returncode == 2
    assert f"{labelled}:{line}: " in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_eval_with_an_unknown_intent_label_exits_2(tmp_path):
    labelled = tmp_path / "labelled.yaml"
    labelled.write_text('- {text: "is it raining in homs", intent: homs_weather}\n', encoding="utf-8")
    result = bot("eval", str(labelled))
    assert result.returncode == 2
    assert str(labelled) in result.stderr and "homs_weather" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_readme_example_is_a_real_run():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.search(r"`python -m bot (ask [^`]+)` \(a real run\):\n\n```\n(.*?)\n```", readme, re.S)
    assert command, "README: the example run is missing"
    args = re.findall(r'"[^"]+"|\S+', command.group(1))
    assert ok(*[a.strip('"') for a in args]).rstrip("\n") == command.group(2)
