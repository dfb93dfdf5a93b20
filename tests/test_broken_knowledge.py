"""Broken knowledge is refused whole, with `file:line: message` errors, and never replaces a
running base.

Each variant copies the bundled knowledge/, intents/ and locales/ to a temporary folder and
breaks it one way, the ways curators and their editors actually do: YAML syntax, tabs, a wrong
type, something missing or defined twice, a bad date, an empty, huge, non-UTF-8 or binary
file, a folder where a file goes, a YAML alias bomb, a python tag, a translation or interface
text missing, a placeholder that cannot be filled. `load` must raise KnowledgeError (never
another exception, never accept it), and every error must read `file:line: message` and name
the broken file.

Then, through the running bot: for some variants a /reload (and a SIGHUP) is refused, the
operator is told the errors, and questions asked afterwards are answered from the old base.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from telegram import Update

from bot.answer import answer
from bot.config import Settings
from bot.knowledge import KnowledgeError, load
from bot.render import to_html
from bot.tg import curator
from bot.tg.app import build_application
from bot.tg.handlers import STATE_KEY
from bot.yamlsource import MAX_FILE_BYTES

from .conftest import ROOT
from .fake_bot_api import TOKEN, FakeBotApi, RecordingRequest, message, private_chat, user

ERROR = re.compile(r"^(?P<file>[^:\s]+):(?P<line>\d+): (?P<message>\S.*)$")
FACT = "homs_rebels_declare_control"
INTENT = "homs_prison"
OPERATOR = 1


@dataclasses.dataclass(frozen=True)
class Expect:
    """The error a variant must produce: in `file` (relative to the data folder), at `line`
    (None: the line is not pinned down), with every fragment in its message."""

    file: str
    line: int | None
    fragments: tuple[str, ...] = ()


VARIANTS: dict[str, Callable[[Path], Expect]] = {}


def variant(fn: Callable[[Path], Expect]) -> Callable[[Path], Expect]:
    VARIANTS[fn.__name__] = fn
    return fn


# -- editing helpers ------------------------------------------------------------------------------
def replace(path: Path, old: str, new: str) -> Path:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def line_with(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    hits = [n for n, line in enumerate(lines, 1) if text in line]
    assert len(hits) == 1, f"{text!r} is on lines {hits} of {path}"
    return hits[0]


def edit_fact(root: Path, fid: str, old: str, new: str) -> Path:
    """Replace `old` (once) inside one fact's entry of knowledge/facts.yaml."""
    path = root / "knowledge" / "facts.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index(f"  - id: {fid}\n")
    end = text.find("\n  - id: ", start + 1)
    end = len(text) if end == -1 else end
    block = text[start:end]
    assert block.count(old) == 1, f"{old!r} occurs {block.count(old)} times in fact {fid}"
    path.write_text(text[:start] + block.replace(old, new) + text[end:], encoding="utf-8")
    return path


def facts(root: Path) -> Path:
    return root / "knowledge" / "facts.yaml"


def intent(root: Path, iid: str = INTENT) -> Path:
    return root / "intents" / f"{iid}.yaml"


# -- YAML itself ----------------------------------------------------------------------------------
@variant
def yaml_syntax_error(root):
    path = edit_fact(root, FACT, "    assertion: reported\n", "    assertion: reported: yes\n")
    return Expect("knowledge/facts.yaml", line_with(path, "reported: yes"), ("mapping values are not allowed",))


@variant
def unclosed_flow_list(root):
    replace(intent(root), "facts: [prison_homs_thousands_freed, prison_documents_burned]\n",
            "facts: [prison_homs_thousands_freed, prison_documents_burned\n")
    return Expect(f"intents/{INTENT}.yaml", None, ("]",))  # where the parser notices: the line after


@variant
def unclosed_quote(root):
    replace(root / "locales" / "en.yaml", '  as_of: "As of {date}."\n', '  as_of: "As of {date}.\n')
    return Expect("locales/en.yaml", None, ())  # the parser notices later, where depends on the parser


@variant
def tab_indented_file(root):
    path = root / "knowledge" / "sources.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^( {2})+", lambda m: "\t" * (len(m.group(0)) // 2), text, flags=re.M), encoding="utf-8")
    first = next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.startswith("\t"))
    return Expect("knowledge/sources.yaml", first, ("tab",))


@variant
def empty_file(root):
    (root / "knowledge" / "sources.yaml").write_text("", encoding="utf-8")
    return Expect("knowledge/sources.yaml", 1, ("empty",))


@variant
def comments_only_intent_file(root):
    intent(root).write_text("# to be written\n\n# later\n", encoding="utf-8")
    return Expect(f"intents/{INTENT}.yaml", 1, ("empty",))


@variant
def huge_file(root):
    path = root / "intents" / "aliases.yaml"
    with path.open("a", encoding="utf-8") as out:
        out.write(("# " + "x" * 98 + "\n") * (MAX_FILE_BYTES // 100 + 10))  # a runaway paste, over 2 MB
    return Expect("intents/aliases.yaml", 1, ("bytes", "limit"))


@variant
def yaml_alias_bomb(root):
    """Billion laughs: nine levels of nine aliases, 10^9 strings if it were expanded."""
    lines = ['id: lol', 'a0: &a0 "lol"']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    (root / "intents" / "lol.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Expect("intents/lol.yaml", None, ("aliases", "not allowed"))


@variant
def python_object_apply_tag(root):
    path = edit_fact(root, FACT, "    assertion: reported\n",
                     '    assertion: !!python/object/apply:os.system ["touch PWNED"]\n')
    return Expect("knowledge/facts.yaml", line_with(path, "!!python/object"), ("tag not allowed", "python/object"))


@variant
def python_name_tag(root):
    path = replace(root / "locales" / "en.yaml", '  as_of: "As of {date}."\n', "  as_of: !!python/name:os.system\n")
    return Expect("locales/en.yaml", line_with(path, "!!python/name"), ("tag not allowed",))


@variant
def non_utf8_file(root):
    path = root / "intents" / "aliases.yaml"
    line = line_with(path, "variants: [aleppo, halab, alepo, alleppo]")
    path.write_bytes(path.read_bytes().replace(b"alepo, alleppo", b"alepo, all\xe9ppo", 1))  # Latin-1 e acute
    return Expect("intents/aliases.yaml", line, ("not UTF-8",))


@variant
def utf16_file(root):
    """Saved as "Unicode" by an editor on Windows."""
    path = root / "knowledge" / "sources.yaml"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    return Expect("knowledge/sources.yaml", 1, ("not UTF-8",))


@variant
def control_character(root):
    path = edit_fact(root, FACT, "Syrian rebels entered Homs", "Syrian rebels\x07 entered Homs")
    return Expect("knowledge/facts.yaml", line_with(path, "Syrian rebels\x07 entered"), ("U+0007", "not allowed"))


@variant
def nul_byte(root):
    path = replace(root / "locales" / "ru.yaml", '  as_of: "По состоянию на {date}."\n',
                   '  as_of: "По состоянию\x00 на {date}."\n')
    return Expect("locales/ru.yaml", line_with(path, "По состоянию\x00"), ("U+0000",))


@variant
def second_yaml_document(root):
    path = root / "knowledge" / "sources.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "---\nsources: {}\n", encoding="utf-8")
    return Expect("knowledge/sources.yaml", line_with(path, "---"), ("document",))


@variant
def duplicate_yaml_key(root):
    path = replace(root / "knowledge" / "sources.yaml", "  reuters:\n    name: Reuters\n    type: wire_service\n",
                   "  reuters:\n    name: Reuters\n    type: wire_service\n    type: news_agency\n")
    return Expect("knowledge/sources.yaml", line_with(path, "type: news_agency"), ("duplicate key 'type'",))


# -- wrong types ----------------------------------------------------------------------------------
@variant
def list_where_a_mapping_goes(root):
    path = root / "knowledge" / "sources.yaml"
    path.write_text("sources:\n  - reuters\n  - associated_press\n", encoding="utf-8")
    return Expect("knowledge/sources.yaml", 1, ("expected a top-level 'sources:' mapping",))


@variant
def number_for_a_statement(root):
    path = facts(root)
    text = path.read_text(encoding="utf-8")
    old = ("    statement:\n      en: >-\n        Syrian rebels entered Homs and declared full control over the city, "
           "Reuters reported\n        on 8 December 2024.\n")
    assert text.count(old) == 1
    path.write_text(text.replace(old, "    statement: 42\n"), encoding="utf-8")
    return Expect("knowledge/facts.yaml", line_with(path, "statement: 42"), (f"fact '{FACT}'", "must be text"))


@variant
def mapping_for_an_intents_fact_list(root):
    path = replace(intent(root), "facts: [prison_homs_thousands_freed, prison_documents_burned]\n",
                   "facts: {prison_homs_thousands_freed: 1}\n")
    return Expect(f"intents/{INTENT}.yaml", line_with(path, "facts: {"), ("'facts' must be a list of ids",))


@variant
def string_for_a_list_of_examples(root):
    path = intent(root)
    text = path.read_text(encoding="utf-8")
    head = text[: re.search(r"^examples:", text, re.M).start()]
    path.write_text(head + "examples:\n  en: where are the prisoners\n", encoding="utf-8")
    return Expect(f"intents/{INTENT}.yaml", line_with(path, "  en: where"), ("examples must be a list",))


@variant
def a_fact_that_is_a_string(root):
    path = facts(root)
    replace(path, "facts:\n", "facts:\n  - the rebels took homs\n")
    return Expect("knowledge/facts.yaml", line_with(path, "- the rebels took homs"), ("each fact must be a mapping",))


@variant
def intent_file_that_is_a_list(root):
    intent(root).write_text("- id: homs_prison\n- label: x\n", encoding="utf-8")
    return Expect(f"intents/{INTENT}.yaml", 1, ("must be a mapping",))


@variant
def number_for_an_interface_text(root):
    path = replace(root / "locales" / "en.yaml", '  as_of: "As of {date}."\n', "  as_of: 42\n")
    return Expect("locales/en.yaml", line_with(path, "as_of: 42"), ("text 'as_of' must be a string",))


@variant
def threshold_that_is_a_word(root):
    path = root / "intents" / "thresholds.yaml"
    line = next(text for text in path.read_text(encoding="utf-8").splitlines() if text.startswith("out_of_scope:"))
    replace(path, line + "\n", "out_of_scope: high\n")
    return Expect("intents/thresholds.yaml", line_with(path, "out_of_scope: high"), ("must be a number",))


@variant
def variants_that_are_a_string(root):
    path = replace(root / "intents" / "aliases.yaml", "variants: [aleppo, halab, alepo, alleppo]",
                   "variants: aleppo halab")
    return Expect("intents/aliases.yaml", line_with(path, "variants: aleppo halab"), ("variants must be a list",))


# -- missing, dangling, twice, unknown ------------------------------------------------------------
@variant
def fact_without_sources(root):
    path = edit_fact(root, FACT, "    sources:\n      - outlet: seed_report\n        cites: reuters\n", "")
    return Expect("knowledge/facts.yaml", line_with(path, f"- id: {FACT}"), ("is missing 'sources'",))


@variant
def source_deleted_that_facts_cite(root):
    replace(root / "knowledge" / "sources.yaml", "  bloomberg:\n    name: Bloomberg\n    type: news_outlet\n", "")
    return Expect("knowledge/facts.yaml", None, ("'bloomberg' is not a source",))


@variant
def dangling_fact_id_in_an_intent(root):
    path = replace(intent(root), "facts: [prison_homs_thousands_freed,",
                   "facts: [prison_ghost_fact, prison_homs_thousands_freed,")
    return Expect(f"intents/{INTENT}.yaml", line_with(path, "prison_ghost_fact"), ("'prison_ghost_fact', which is not defined",))


@variant
def dangling_supersedes(root):
    path = edit_fact(root, FACT, "    reported: 2024-12-08\n", "    reported: 2024-12-08\n    supersedes: [homs_ghost]\n")
    return Expect("knowledge/facts.yaml", line_with(path, "supersedes: [homs_ghost]"), ("'homs_ghost', which is not defined",))


@variant
def duplicate_fact_id(root):
    text = facts(root).read_text(encoding="utf-8")
    start = text.index(f"  - id: {FACT}\n")
    block = text[start: text.index("\n  - id: ", start + 1) + 1]
    (root / "knowledge" / "updates.yaml").write_text("facts:\n" + block, encoding="utf-8")
    return Expect("knowledge/updates.yaml", 2, (f"duplicate fact id '{FACT}'", "first defined at knowledge/facts.yaml:"))


@variant
def duplicate_intent_id(root):
    shutil.copy(intent(root), root / "intents" / "homs_prison_copy.yaml")
    return Expect("intents/homs_prison_copy.yaml", 1, (f"intent '{INTENT}' is defined twice",))


@variant
def unknown_key_in_an_intent(root):
    path = replace(intent(root), "allows: [rebels", "colour: red\nallows: [rebels")
    return Expect(f"intents/{INTENT}.yaml", line_with(path, "colour: red"), ("unknown key 'colour'",))


@variant
def unknown_key_in_a_source(root):
    path = replace(root / "knowledge" / "sources.yaml", "    name: Reuters\n", "    name: Reuters\n    url: reuters.com\n")
    return Expect("knowledge/sources.yaml", line_with(path, "url: reuters.com"), ("unknown key 'url'",))


@variant
def impossible_date(root):
    path = edit_fact(root, FACT, "    event_date: 2024-12-08\n", "    event_date: 2024-02-30\n")
    return Expect("knowledge/facts.yaml", line_with(path, "2024-02-30"), ("must be a date YYYY-MM-DD",))


@variant
def date_in_words(root):
    path = edit_fact(root, FACT, "    reported: 2024-12-08\n", "    reported: yesterday\n")
    return Expect("knowledge/facts.yaml", line_with(path, "reported: yesterday"), ("must be a date YYYY-MM-DD",))


@variant
def date_with_a_time(root):
    path = edit_fact(root, FACT, "    event_date: 2024-12-08\n", "    event_date: 2024-12-08T10:00:00\n")
    return Expect("knowledge/facts.yaml", line_with(path, "2024-12-08T10:00:00"), ("must be a date YYYY-MM-DD",))


@variant
def missing_fact_translation(root):
    path = root / "knowledge" / "i18n" / "ar.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index(f"  {FACT}: >-\n")
    end = text.index("\n\n", start) + 2
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    return Expect("knowledge/i18n/ar.yaml", line_with(path, "facts:"), (f"fact '{FACT}' has no ar translation",))


@variant
def missing_interface_translation(root):
    path = root / "locales" / "ru.yaml"
    replace(path, '  as_of: "По состоянию на {date}."\n', "")
    return Expect("locales/ru.yaml", None, ("interface text 'as_of' has no ru translation",))


@variant
def interface_text_deleted_from_english(root):
    path = root / "locales" / "en.yaml"
    replace(path, '  as_of: "As of {date}."\n', "")
    return Expect("locales/en.yaml", line_with(path, "en:"), ("'as_of' is missing in English",))


@variant
def unknown_language_file(root):
    shutil.copy(root / "knowledge" / "i18n" / "ru.yaml", root / "knowledge" / "i18n" / "fr.yaml")
    return Expect("knowledge/i18n/fr.yaml", 1, ("unknown language 'fr'",))


@variant
def language_without_its_interface_texts(root):
    (root / "locales" / "uk.yaml").unlink()
    return Expect("locales/uk.yaml", 0, ("missing",))


@variant
def placeholder_renamed_in_a_translation(root):
    replace(root / "locales" / "ar.yaml", '  as_of: "المعلومات حتى {date}."\n', '  as_of: "المعلومات حتى {datum}."\n')
    return Expect("locales/ar.yaml", 1, ("'as_of'", "placeholders"))


@variant
def placeholder_with_a_bad_conversion(root):
    path = replace(root / "locales" / "en.yaml", '  as_of: "As of {date}."\n', '  as_of: "As of {date!x}."\n')
    return Expect("locales/en.yaml", line_with(path, "{date!x}"), ("placeholder '{date!x}'",))


@variant
def eleven_months(root):
    path = replace(root / "locales" / "ru.yaml", " ноября декабря", " декабря")
    return Expect("locales/ru.yaml", line_with(path, "months:"), ("twelve words",))


@variant
def folder_where_a_file_goes(root):
    (root / "intents" / "extra.yaml").mkdir()
    (root / "intents" / "extra.yaml" / "notes.txt").write_text("x", encoding="utf-8")
    return Expect("intents/extra.yaml", 0, ("folder",))


@variant
def facts_file_renamed(root):
    facts(root).rename(root / "knowledge" / "facts.yml")
    return Expect("knowledge/facts.yaml", 0, ("no fact files",))


@variant
def variant_used_by_two_names(root):
    path = replace(root / "intents" / "aliases.yaml", "variants: [aleppo, halab,", "variants: [aleppo, homs, halab,")
    return Expect("intents/aliases.yaml", line_with(path, "[aleppo, homs,"), ("variant 'homs' is already a variant of 'homs'",))


# -- the tests ------------------------------------------------------------------------------------
def refused(root: Path) -> list[str]:
    """Load `root`: it must raise KnowledgeError (no other exception) with located errors."""
    try:
        load(root)
    except KnowledgeError as exc:
        errors = exc.errors
    else:
        raise AssertionError("the broken data was accepted")
    assert errors, "KnowledgeError with no errors"
    unlocated = [e for e in errors if not ERROR.match(e)]
    assert not unlocated, "errors not in 'file:line: message' form:\n" + "\n".join(map(repr, unlocated))
    return errors


def assert_named(errors: list[str], expect: Expect) -> None:
    for error in errors:
        m = ERROR.match(error)
        if m["file"] == expect.file and (expect.line is None or int(m["line"]) == expect.line) \
                and all(f in m["message"] for f in expect.fragments):
            if Path(expect.file).is_file():
                assert int(m["line"]) <= max(1, len(Path(expect.file).read_bytes().splitlines())), "line past the end"
            return
    where = f"{expect.file}:{expect.line if expect.line is not None else '*'}"
    raise AssertionError(f"no error at {where} mentioning {expect.fragments}; got:\n  " + "\n  ".join(errors[:20]))


def test_there_are_at_least_thirty_ways_to_break_the_data():
    assert len(VARIANTS) >= 30


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_broken_data_is_refused_with_located_errors(data, name):
    expect = VARIANTS[name](data)
    assert_named(refused(data), expect)
    assert not (data / "PWNED").exists(), "a YAML tag ran code"


@pytest.mark.parametrize("kind", ["device", "FIFO"])
def test_a_knowledge_file_that_is_not_a_regular_file_is_one_error(data, kind):
    """intents/aliases.yaml as /dev/zero ended in a MemoryError traceback at 3.8 GB, and as a FIFO
    hung the load. Now: one located error at once. (`validate` runs under a memory cap and a time
    limit, so a regression fails instead of taking the machine's memory or hanging.)"""
    path = data / "intents" / "aliases.yaml"
    path.unlink()
    if kind == "device":
        path.symlink_to("/dev/zero")
    else:
        os.mkfifo(path)
    result = subprocess.run(
        ["/bin/sh", "-c", f"ulimit -v 2000000; exec {sys.executable} -m bot --data {data} validate"],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr[-800:]
    assert f"{path}:0: is not a regular file" in result.stdout + result.stderr


# -- a running bot keeps its base -------------------------------------------------------------
# The ones that crashed `load` or were accepted before being caught, and two plain ones.
RELOAD_VARIANTS = ["yaml_syntax_error", "folder_where_a_file_goes", "date_with_a_time",
                   "interface_text_deleted_from_english", "eleven_months", "non_utf8_file"]
QUESTIONS = ["who controls homs?", "where is assad", "где сейчас Асад?", "ماذا حدث في دمشق"]


@pytest.fixture
def api() -> FakeBotApi:
    return FakeBotApi()


@pytest.fixture
async def running(api, kb, data):
    """The bot, running on the bundled base, with FACTBOT data pointing at the copy to break."""
    settings = Settings(token=TOKEN, data_root=data, operators=frozenset({OPERATOR}))
    application = build_application(settings, kb, request=RecordingRequest(api))
    failures: list[BaseException] = []

    async def on_error(update, context):
        failures.append(context.error)

    application.add_error_handler(on_error)
    application.bot_data["fuzz_failures"] = failures
    await application.initialize()
    yield application
    await application.shutdown()


async def feed(app, api, payload: dict) -> None:
    await app.process_update(Update.de_json(api.push({"message": payload}), app.bot))


@pytest.mark.parametrize("name", RELOAD_VARIANTS)
async def test_a_broken_reload_is_refused_and_the_old_base_keeps_answering(running, api, kb, data, name, caplog):
    st = running.bot_data[STATE_KEY]
    VARIANTS[name](data)

    await feed(running, api, message("/reload", private_chat(OPERATOR), user(OPERATOR)))
    assert st.kb is kb, "a broken base was swapped in"
    [told] = [c["text"] for c in api.of("sendMessage")]
    assert told.startswith(kb.ui["en"]["tg_reload_failed"].split("{")[0]), told
    listed = [line for line in told.splitlines() if ERROR.match(line)]
    assert listed, f"the operator was not told file:line errors:\n{told}"

    api.calls.clear()
    for n, question in enumerate(QUESTIONS):
        await feed(running, api, message(question, private_chat(100 + n), user(100 + n)))
    answers = [c["text"] for c in api.of("sendMessage")]
    assert answers == [to_html(kb, answer(kb, q, "en", stale_days=st.settings.stale_days)) for q in QUESTIONS]
    assert not running.bot_data["fuzz_failures"], running.bot_data["fuzz_failures"]


async def test_sighup_with_broken_data_keeps_the_running_base(running, api, kb, data, caplog):
    import os
    import signal

    if not hasattr(signal, "SIGHUP"):
        pytest.skip("no SIGHUP on this platform")
    st = running.bot_data[STATE_KEY]
    VARIANTS["yaml_alias_bomb"](data)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGHUP, curator.on_sighup, running)
    caplog.set_level(logging.WARNING, logger="bot.tg.curator")
    try:
        os.kill(os.getpid(), signal.SIGHUP)
        for _ in range(500):
            if "reload rejected" in caplog.text:
                break
            await asyncio.sleep(0.01)
    finally:
        loop.remove_signal_handler(signal.SIGHUP)
    assert "reload rejected" in caplog.text and st.kb is kb
    await feed(running, api, message("who controls homs?"))
    assert api.of("sendMessage")[-1]["text"] == to_html(kb, answer(kb, "who controls homs?", stale_days=st.settings.stale_days))
