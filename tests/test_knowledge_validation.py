"""A curator who breaks the data is told where and what: `file:line: message`, for every problem.

Each test copies the bundled knowledge/, intents/ and locales/ to a temporary folder, breaks
one thing, and checks that `load` refuses it with an error naming the file and the exact
line of the offending key or item. Line numbers are looked up in the broken file itself,
so the tests do not depend on where things happen to sit in the bundled data.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.knowledge import CONTRACT_INTENTS, KnowledgeError, load

ROOT = Path(__file__).resolve().parent.parent
ERROR = re.compile(r"^(?P<file>[^:\s]+):(?P<line>\d+): (?P<message>\S.*)$")

FACT = "homs_rebels_declare_control"  # reuters via seed_report, reported 2024-12-08
INTENT = "homs_prison"  # a contract intent used as the guinea pig for intent files


# -- helpers ------------------------------------------------------------------------------
def errors_of(root: Path) -> list[str]:
    """Load `root`, expect a KnowledgeError, and check every error is `file:line: message`."""
    with pytest.raises(KnowledgeError) as info:
        load(root)
    errors = info.value.errors
    assert errors, "KnowledgeError raised with no errors"
    unlocated = [e for e in errors if not ERROR.match(e)]
    assert not unlocated, "errors not in 'file:line: message' form:\n" + "\n".join(unlocated)
    assert str(info.value) == "\n".join(errors)
    return errors


def assert_reported(errors: list[str], file: str, line: int, *fragments: str) -> str:
    """Some error is at exactly file:line and its message contains every fragment."""
    prefix = f"{file}:{line}: "
    for error in errors:
        if error.startswith(prefix) and all(f in error[len(prefix):] for f in fragments):
            return error
    raise AssertionError(f"no error at {prefix!r} mentioning {fragments}; got:\n  " + "\n  ".join(errors))


def line_with(path: Path, text: str) -> int:
    """The 1-based number of the one line of `path` containing `text`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    hits = [n for n, line in enumerate(lines, 1) if text in line]
    assert len(hits) == 1, f"{text!r} is on lines {hits} of {path}, expected exactly one"
    return hits[0]


def replace_once(path: Path, old: str, new: str) -> Path:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def fact_block(text: str, fid: str) -> tuple[int, int]:
    """Start and end offsets of one fact's entry in a facts file."""
    start = text.index(f"  - id: {fid}\n")
    end = text.find("\n  - id: ", start + 1)
    return start, (len(text) if end == -1 else end + 1)


def edit_fact(root: Path, fid: str, old: str, new: str) -> Path:
    """Replace `old` (which must occur once in that fact's entry) by `new`."""
    path = root / "knowledge" / "facts.yaml"
    text = path.read_text(encoding="utf-8")
    start, end = fact_block(text, fid)
    block = text[start:end]
    assert block.count(old) == 1, f"{old!r} occurs {block.count(old)} times in fact {fid}"
    path.write_text(text[:start] + block.replace(old, new) + text[end:], encoding="utf-8")
    return path


def add_to_flow_list(path: Path, key: str, item: str) -> int:
    """Put `item` first in a `key: [a, b]` line; return that line's number."""
    text = path.read_text(encoding="utf-8")
    match = re.search(rf"^{key}: \[", text, re.M)
    assert match, f"no '{key}: [' line in {path}"
    path.write_text(text[: match.end()] + f"{item}, " + text[match.end():], encoding="utf-8")
    return line_with(path, f"{key}: [{item}, ")


def intent_file(root: Path, iid: str = INTENT) -> Path:
    return root / "intents" / f"{iid}.yaml"


# -- the data as shipped --------------------------------------------------------------------
def test_bundled_data_loads_without_errors():
    kb = load(ROOT)
    assert set(CONTRACT_INTENTS) <= set(kb.intents)
    assert kb.facts and kb.sources and kb.concepts
    assert FACT in kb.facts and INTENT in kb.intents


def test_an_untouched_copy_loads_without_errors(data):
    assert set(load(data).intents) == set(load(ROOT).intents)


# -- facts ------------------------------------------------------------------------------------
def test_unknown_key_in_a_fact(data):
    path = edit_fact(data, FACT, "    asserted_by: reuters\n", "    asserted_by: reuters\n    colour: red\n")
    error = assert_reported(errors_of(data), "knowledge/facts.yaml", line_with(path, "colour: red"),
                            "unknown key 'colour'", f"fact '{FACT}'")
    assert "asserted_by" in error and "statement" in error  # lists the keys that are allowed


def test_fact_without_sources(data):
    path = edit_fact(data, FACT, "    sources:\n      - outlet: seed_report\n        cites: reuters\n", "")
    assert_reported(errors_of(data), "knowledge/facts.yaml", line_with(path, f"- id: {FACT}"),
                    f"fact '{FACT}' is missing 'sources'")


def test_fact_with_an_empty_sources_list(data):
    path = edit_fact(data, FACT, "    sources:\n      - outlet: seed_report\n        cites: reuters\n",
                     "    sources: []\n")
    start = line_with(path, f"- id: {FACT}")
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(n for n in range(start, len(lines) + 1) if lines[n - 1] == "    sources: []")
    assert_reported(errors_of(data), "knowledge/facts.yaml", line, f"fact '{FACT}'", "'sources' must be a non-empty list")


def test_fact_outlet_that_is_not_a_source(data):
    path = edit_fact(data, FACT, "      - outlet: seed_report\n", "      - outlet: daily_planet\n")
    assert_reported(errors_of(data), "knowledge/facts.yaml", line_with(path, "outlet: daily_planet"),
                    f"fact '{FACT}'", "outlet 'daily_planet' is not a source in knowledge/sources.yaml")


def test_fact_cites_a_source_that_does_not_exist(data):
    path = edit_fact(data, FACT, "        cites: reuters\n", "        cites: rueters\n")
    assert_reported(errors_of(data), "knowledge/facts.yaml", line_with(path, "cites: rueters"),
                    "cites 'rueters' is not a source in knowledge/sources.yaml")


def test_asserted_by_unknown_source(data):
    path = edit_fact(data, FACT, "    asserted_by: reuters\n", "    asserted_by: rueters\n")
    assert_reported(errors_of(data), "knowledge/facts.yaml", line_with(path, "asserted_by: rueters"),
                    f"fact '{FACT}'", "asserted_by 'rueters' is not a source in knowledge/sources.yaml")


def test_assertion_word_that_is_not_allowed(data):
    path = edit_fact(data, FACT, "    assertion: reported\n", "    assertion: confirmed\n")
    assert_reported(errors_of(data), "knowledge/facts.yaml", line_with(path, "assertion: confirmed"),
                    f"fact '{FACT}'", "assertion 'confirmed' is not one of", "reported", "alleged")


@pytest.mark.parametrize("key, bad", [("event_date", "2024-13-45"), ("reported", "2024-02-30"), ("event_date", "8 Dec 2024")])
def test_bad_date(data, key, bad):
    path = edit_fact(data, FACT, f"    {key}: 2024-12-08\n", f"    {key}: {bad}\n")
    assert_reported(errors_of(data), "knowledge/facts.yaml", line_with(path, f"{key}: {bad}"),
                    f"fact '{FACT}'", f"'{key}' must be a date YYYY-MM-DD", bad)


def test_reported_before_the_event(data):
    path = edit_fact(data, FACT, "    reported: 2024-12-08\n", "    reported: 2024-12-06\n")
    assert_reported(errors_of(data), "knowledge/facts.yaml", line_with(path, "reported: 2024-12-06"),
                    f"fact '{FACT}'", "reported 2024-12-06 is before the event date 2024-12-08")


def test_supersedes_a_fact_that_does_not_exist(data):
    path = edit_fact(data, FACT, "    reported: 2024-12-08\n", "    reported: 2024-12-08\n    supersedes: [homs_ghost_fact]\n")
    assert_reported(errors_of(data), "knowledge/facts.yaml", line_with(path, "supersedes: [homs_ghost_fact]"),
                    f"fact '{FACT}' supersedes 'homs_ghost_fact', which is not defined")


# Facts reported the same day as FACT and superseding nothing: a cycle among them breaks no date rule.
SAME_DAY = ("rebels_plan_move_on_damascus", "homs_captured_sunday_after_fighting")


def supersede(root: Path, fid: str, old: str) -> int:
    """Make `fid` supersede `old`; the line of its new `supersedes:`."""
    path = edit_fact(root, fid, "    reported: 2024-12-08\n", f"    reported: 2024-12-08\n    supersedes: [{old}]\n")
    return line_with(path, f"supersedes: [{old}]")


def test_two_facts_that_supersede_each_other_are_an_error(data):
    """They passed `validate`, and each then showed under the other's "Reported earlier"."""
    line = supersede(data, FACT, SAME_DAY[0])
    supersede(data, SAME_DAY[0], FACT)
    errors = errors_of(data)
    assert_reported(errors, "knowledge/facts.yaml", line, "supersede each other in a cycle",
                    f"'{FACT}' -> '{SAME_DAY[0]}' -> '{FACT}'")
    assert len([e for e in errors if "cycle" in e]) == 1, "one error per cycle"


def test_a_longer_supersession_cycle_is_an_error(data):
    a, b, c = FACT, *SAME_DAY
    line = supersede(data, a, b)
    supersede(data, b, c)
    supersede(data, c, a)
    assert_reported(errors_of(data), "knowledge/facts.yaml", line, f"'{a}' -> '{b}' -> '{c}' -> '{a}'")


def test_a_supersession_chain_without_a_cycle_is_fine(data):
    supersede(data, FACT, SAME_DAY[0])
    supersede(data, SAME_DAY[0], SAME_DAY[1])
    load(data)


def test_duplicate_fact_id_in_the_same_file(data):
    path = data / "knowledge" / "facts.yaml"
    text = path.read_text(encoding="utf-8")
    start, end = fact_block(text, FACT)
    first = line_with(path, f"- id: {FACT}")
    path.write_text(text.rstrip("\n") + "\n\n" + text[start:end].rstrip("\n") + "\n", encoding="utf-8")
    second = len(text.rstrip("\n").splitlines()) + 2
    assert path.read_text(encoding="utf-8").splitlines()[second - 1] == f"  - id: {FACT}"
    assert_reported(errors_of(data), "knowledge/facts.yaml", second,
                    f"duplicate fact id '{FACT}'", f"first defined at knowledge/facts.yaml:{first}")


def test_duplicate_fact_id_across_files(data):
    facts = data / "knowledge" / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    start, end = fact_block(text, FACT)
    (data / "knowledge" / "updates.yaml").write_text("# later facts\nfacts:\n" + text[start:end], encoding="utf-8")
    assert_reported(errors_of(data), "knowledge/updates.yaml", 3,
                    f"duplicate fact id '{FACT}'", f"first defined at knowledge/facts.yaml:{line_with(facts, f'- id: {FACT}')}")


def test_a_broken_fact_is_not_also_called_undefined_where_intents_use_it(data):
    """One mistake, one error: the intents using the fact must not claim it is missing."""
    edit_fact(data, FACT, "      - outlet: seed_report\n", "      - outlet: daily_planet\n")
    errors = errors_of(data)
    assert len(errors) == 1, "\n".join(errors)
    assert "daily_planet" in errors[0]


# -- intents ------------------------------------------------------------------------------------
def test_intent_uses_a_fact_that_is_not_defined(data):
    line = add_to_flow_list(intent_file(data), "facts", "homs_prison_ghost")
    assert_reported(errors_of(data), f"intents/{INTENT}.yaml", line,
                    f"intent '{INTENT}' uses fact 'homs_prison_ghost', which is not defined")


def test_intent_follow_up_that_is_not_an_intent(data):
    line = add_to_flow_list(intent_file(data), "follow_ups", "homs_weather")
    assert_reported(errors_of(data), f"intents/{INTENT}.yaml", line,
                    f"intent '{INTENT}'", "follow-up 'homs_weather' is not an intent")


def test_intent_entities_name_an_unknown_concept(data):
    line = add_to_flow_list(intent_file(data), "entities", "unicorns")
    assert_reported(errors_of(data), f"intents/{INTENT}.yaml", line,
                    f"intent '{INTENT}'", "entities names 'unicorns', which is not in intents/aliases.yaml")


def test_intent_with_too_few_examples(data):
    (data / "intents" / "asked.yaml").unlink()  # real questions count too: without them, just these three
    path = intent_file(data)
    text = path.read_text(encoding="utf-8")
    head = text[: re.search(r"^examples:", text, re.M).start()]
    path.write_text(head + "examples:\n  en:\n    - who was freed\n    - prison homs\n    - were prisoners released\n",
                    encoding="utf-8")
    assert_reported(errors_of(data), f"intents/{INTENT}.yaml", line_with(path, "examples:"),
                    f"intent '{INTENT}' has 3 English examples", "at least 25")


def test_contract_intent_file_deleted(data):
    intent_file(data).unlink()
    errors = errors_of(data)
    hits = [e for e in errors if e.startswith(f"intents/{INTENT}.yaml:") and f"contract intent '{INTENT}'" in e]
    assert hits and "no definition" in hits[0], "\n".join(errors)
    # the intents that offered it as a follow-up are told, at their own files
    assert any(f"follow-up '{INTENT}' is not an intent" in e for e in errors), "\n".join(errors)
    # and so are the names whose bare mention asked it, at their default_intent lines
    aliases = data / "intents" / "aliases.yaml"
    lines = [n for n, text in enumerate(aliases.read_text(encoding="utf-8").splitlines(), 1)
             if text.strip() == f"default_intent: {INTENT}"]
    assert lines
    for line in lines:
        assert_reported(errors, "intents/aliases.yaml", line, f"default_intent '{INTENT}' is not an intent")


def test_intent_id_not_matching_its_file_name(data):
    path = replace_once(intent_file(data), f"id: {INTENT}\n", f"id: {INTENT}s\n")
    assert_reported(errors_of(data), f"intents/{INTENT}.yaml", line_with(path, f"id: {INTENT}s"),
                    f"intent id '{INTENT}s' must match the file name ({INTENT}.yaml)")


# -- YAML itself --------------------------------------------------------------------------------
@pytest.mark.parametrize("old, new, marker, message", [
    ("    assertion: reported\n", "    assertion: reported: yes\n", "reported: yes", "mapping values are not allowed"),
    ("    assertion: reported\n", "\tassertion: reported\n", "\tassertion", "tab"),
])
def test_invalid_yaml_syntax_is_reported_at_its_line(data, old, new, marker, message):
    path = edit_fact(data, FACT, old, new)
    assert_reported(errors_of(data), "knowledge/facts.yaml", line_with(path, marker), message)


@pytest.mark.parametrize("relpath", ["knowledge/facts.yaml", "knowledge/sources.yaml", "intents/aliases.yaml",
                                     f"intents/{INTENT}.yaml", "locales/en.yaml"])
def test_a_file_with_a_syntax_error_gets_that_one_error_and_no_follow_ons(data, relpath):
    """A syntax error in knowledge/facts.yaml was followed by 135 "uses fact ... not defined" and
    "not defined in English" lines (in sources.yaml: 76 "not a source" lines): what the file
    defines is missing, so nothing that looks it up is checked."""
    path = data / relpath
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(n for n, text in enumerate(lines) if text.startswith("  ") and ":" in text and not text.strip().startswith("#"))
    lines[at] += " : : ["
    path.write_text("\n".join(lines), encoding="utf-8")
    errors = errors_of(data)
    assert len(errors) == 1, errors[:5]
    assert_reported(errors, relpath, at + 1, "mapping values are not allowed")


def test_python_tags_are_refused_and_never_run(data):
    path = edit_fact(data, FACT, "    assertion: reported\n",
                     '    assertion: !!python/object/apply:os.system ["touch PWNED"]\n')
    assert_reported(errors_of(data), "knowledge/facts.yaml", line_with(path, "!!python/object"),
                    "tag not allowed", "python/object")
    assert not (data / "PWNED").exists()


def test_yaml_aliases_are_refused(data):
    path = data / "knowledge" / "sources.yaml"
    replace_once(path, "  reuters:\n    name: Reuters\n    type: wire_service\n",
                 "  reuters:\n    name: Reuters\n    type: &wire wire_service\n")
    replace_once(path, "  associated_press:\n    name: Associated Press\n    type: wire_service\n",
                 "  associated_press:\n    name: Associated Press\n    type: *wire\n")
    errors = errors_of(data)
    # With libyaml (CSafeLoader) an alias is only seen as the anchored node met a second
    # time, so the error may point at the anchor (&wire) rather than the alias (*wire);
    # either line shows the curator the construct to remove.
    lines = (line_with(path, "type: *wire"), line_with(path, "type: &wire"))
    assert any(e.startswith(f"knowledge/sources.yaml:{n}: ") and "aliases" in e and "not allowed" in e
               for e in errors for n in lines), "\n".join(errors[:5])


@pytest.mark.parametrize("relpath", ["knowledge/facts.yaml", f"intents/{INTENT}.yaml", "locales/en.yaml"])
@pytest.mark.parametrize("content", ["", "# nothing here yet\n"])
def test_empty_file(data, relpath, content):
    (data / relpath).write_text(content, encoding="utf-8")
    assert_reported(errors_of(data), relpath, 1, "empty")


def test_non_utf8_file(data):
    path = data / "knowledge" / "facts.yaml"
    line = line_with(path, "Syrian rebels entered Homs")
    raw = path.read_bytes().replace(b"Syrian rebels entered Homs", b"Syrian rebels entered Homs \xe9", 1)
    path.write_bytes(raw)  # \xe9 is a Latin-1 "e acute", invalid as UTF-8
    assert_reported(errors_of(data), "knowledge/facts.yaml", line, "not UTF-8")


# -- sources and names ----------------------------------------------------------------------------
def test_unknown_source_type(data):
    path = replace_once(data / "knowledge" / "sources.yaml", "  bloomberg:\n    name: Bloomberg\n    type: news_outlet\n",
                        "  bloomberg:\n    name: Bloomberg\n    type: newspaper\n")
    assert_reported(errors_of(data), "knowledge/sources.yaml", line_with(path, "type: newspaper"),
                    "source 'bloomberg'", "type 'newspaper' is not one of", "news_outlet", "wire_service")


@pytest.mark.parametrize("concept, first", [("damascus", "damascus"), ("aleppo", "aleppo")])
def test_variant_used_by_two_concepts(data, concept, first):
    path = replace_once(data / "intents" / "aliases.yaml", f"variants: [{first},", f"variants: [{first}, homs,")
    assert_reported(errors_of(data), "intents/aliases.yaml", line_with(path, f"variants: [{first}, homs,"),
                    f"'{concept}': variant 'homs' is already a variant of 'homs'")


# -- main topics ---------------------------------------------------------------------------------
def test_main_topics_are_loaded_in_the_files_order():
    path = ROOT / "intents" / "main_topics.yaml"
    listed = [line.strip()[2:] for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("  - ")]
    kb = load(ROOT)
    assert kb.main_topics == tuple(listed) and listed
    assert set(kb.main_topics) <= set(kb.intents)
    assert "main_topics" not in kb.intents  # the file lists intents; it is not one


def test_main_topic_that_is_not_an_intent(data):
    path = replace_once(data / "intents" / "main_topics.yaml", "  - rebels_who\n", "  - rebels_who\n  - homs_weather\n")
    assert_reported(errors_of(data), "intents/main_topics.yaml", line_with(path, "- homs_weather"),
                    "main topic 'homs_weather' is not an intent")


def test_main_topic_listed_twice(data):
    path = replace_once(data / "intents" / "main_topics.yaml", "  - rebels_who\n", "  - rebels_who\n  - homs_control\n")
    lines = [n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text == "  - homs_control"]
    assert len(lines) == 2
    assert_reported(errors_of(data), "intents/main_topics.yaml", lines[1], "main topic 'homs_control' is listed twice")


def test_main_topics_file_deleted(data):
    (data / "intents" / "main_topics.yaml").unlink()
    assert_reported(errors_of(data), "intents/main_topics.yaml", 0, "missing")


# -- many at once -------------------------------------------------------------------------------
def test_several_problems_are_all_reported(data):
    facts = edit_fact(data, FACT, "    asserted_by: reuters\n", "    asserted_by: reuters\n    colour: red\n")
    sources = replace_once(data / "knowledge" / "sources.yaml", "    name: Bloomberg\n    type: news_outlet\n",
                           "    name: Bloomberg\n    type: newspaper\n")
    follow_line = add_to_flow_list(intent_file(data), "follow_ups", "homs_weather")
    aliases = replace_once(data / "intents" / "aliases.yaml", "variants: [damascus,", "variants: [damascus, homs,")
    replace_once(intent_file(data, "statue_toppled"), "id: statue_toppled\n", "id: statue_toppled\nlabel: [\n")
    dated = edit_fact(data, "homs_captured_sunday_after_fighting", "    reported: 2024-12-08\n", "    reported: 2024-12-01\n")

    errors = errors_of(data)
    assert_reported(errors, "knowledge/facts.yaml", line_with(facts, "colour: red"), "unknown key 'colour'")
    assert_reported(errors, "knowledge/facts.yaml", line_with(dated, "reported: 2024-12-01"), "before the event date")
    assert_reported(errors, "knowledge/sources.yaml", line_with(sources, "type: newspaper"), "type 'newspaper'")
    assert_reported(errors, f"intents/{INTENT}.yaml", follow_line, "follow-up 'homs_weather'")
    assert_reported(errors, "intents/aliases.yaml", line_with(aliases, "variants: [damascus, homs,"), "variant 'homs'")
    assert any(e.startswith("intents/statue_toppled.yaml:") for e in errors), "\n".join(errors)
    assert len(errors) == len(set(errors)), "an error is reported twice"


# -- validate's overlap listing scales ----------------------------------------------------------------
def test_the_overlap_listing_grows_linearly_with_the_examples(kb):
    """40,000 extra examples made `validate` compare every example with every other: over 17
    minutes. On the benchmark's synthetic base of 10x the shipped examples (31,000) it now takes
    seconds (0.3 s for the shipped base, 7 s for 10x, measured), with at most OVERLAP_WORDS x
    OVERLAP_PER_WORD comparisons per example whatever the size. (On the shipped base it lists
    30 of the 31 examples all pairs gave.)"""
    import sys
    import time
    from dataclasses import replace

    from bot.evaluate import OVERLAP_PER_WORD, OVERLAP_WORDS, overlapping_examples

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from synth import grow

    intents, _, _ = grow(kb, 10)
    big = replace(kb, intents=intents)
    counted: list[int] = []
    shipped = overlapping_examples(kb, counted)
    started = time.perf_counter()
    overlapping_examples(big, counted)
    took = time.perf_counter() - started
    n_big = len(big.examples())
    assert n_big > 30_000
    assert counted[1] <= OVERLAP_WORDS * OVERLAP_PER_WORD * n_big
    assert took < 120, f"{took:.0f} s for {n_big} examples (all pairs: some 20 minutes)"
    assert len(shipped) >= 25
