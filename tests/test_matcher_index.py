"""The matcher's look-up structures give the answers a plain scan would, only faster."""

from __future__ import annotations

import random

import pytest

import bot.matcher as matcher_module
from bot.knowledge import KnowledgeBase
from bot.matcher import _ExampleIndex, _NearIndex
from bot.normalize import normalize

LATIN = "abcdefghijklmnopqrstuvwxyz"
CYRILLIC = "абвгдежзийклмнопрстуфхцчшщыьэюяіїє"
ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


def typo_queries(words: list[str], count: int, seed: int = 7) -> list[str]:
    """Words with 0-3 random edits in their own alphabet, and some made-up words."""
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        word = list(rnd.choice(words))
        alphabet = CYRILLIC if any("\u0400" <= c <= "\u04ff" for c in word) else \
            ARABIC if any("\u0600" <= c <= "\u06ff" for c in word) else LATIN
        for _ in range(rnd.randint(0, 3)):
            op, i = rnd.random(), rnd.randrange(len(word))
            if op < 0.3:
                word[i] = rnd.choice(alphabet)
            elif op < 0.55:
                word.insert(i, rnd.choice(alphabet))
            elif op < 0.8 and len(word) > 4:
                del word[i]
            elif i + 1 < len(word):
                word[i], word[i + 1] = word[i + 1], word[i]
        out.append("".join(word))
    return out + ["".join(rnd.choice(LATIN) for _ in range(rnd.randint(4, 10))) for _ in range(count // 10)]


def test_the_delete_index_finds_what_the_scan_finds(kb: KnowledgeBase, monkeypatch):
    """Past SCAN_MAX words, typo look-ups use the delete index: same nearest word, same ties."""
    words = sorted(w for bucket in kb.matcher._spell_targets._buckets.values() for w in bucket)  # the examples' words
    scan = _NearIndex(words)
    monkeypatch.setattr(matcher_module, "SCAN_MAX", 10)
    indexed = _NearIndex(words)
    assert indexed._deletes is not None and scan._deletes is None
    queries = typo_queries(words, 2000)
    found = 0
    for query in queries:
        limit = 1 if len(query) <= 6 else 2
        expected = scan.nearest(query, limit)
        assert indexed.nearest(query, limit) == expected, query
        found += expected is not None
    assert found > len(queries) // 2  # most typos have a nearest word: the comparison means something


def test_names_with_spaces_and_mixed_scripts_are_found_by_the_delete_index(monkeypatch):
    names = ["deir ez zor", "homs", "hayat tahrir al sham", "حمص", "дамаск", "al-assad"]
    monkeypatch.setattr(matcher_module, "SCAN_MAX", 1)
    indexed = _NearIndex(names)
    assert indexed.nearest("dier ez zor", 2) == "deir ez zor"
    assert indexed.nearest("homz", 1) == "homs"
    assert indexed.nearest("дамасг", 1) == "дамаск"
    assert indexed.nearest("حمض", 1) == "حمص"
    assert indexed.nearest("aleppo", 2) is None


def test_a_short_example_inside_a_long_question_is_scored(kb: KnowledgeBase):
    """token_set_ratio gives 100 to an example all of whose words the question has, however
    far apart their lengths put them on token_sort."""
    question = "my uncle keeps saying assad went to the uae, where is he realy"
    matcher = kb.matcher
    canon = matcher._canonicalise(normalize(question))
    index = matcher._indexes["lat"]
    inside = index.subsets(canon)
    assert inside and all(set(index.texts[i].split()) <= set(canon.tokens) for i in inside)
    scores, _ = index.fuzzy(canon, matcher.weights)
    assert all(i in scores for i in inside)


def test_of_a_word_in_very_many_examples_those_nearest_the_questions_length_are_taken(monkeypatch):
    monkeypatch.setattr(matcher_module, "WINDOW_OVER", 4)  # postings longer than this are kept sorted by length
    texts = ["homs " + "x" * n for n in range(1, 12)]
    index = _ExampleIndex([("homs_control", t) for t in texts])
    taken = index._nearest_in_length("homs", len("homs xxxxxx"), 4)
    assert len(taken) == 4
    lengths = sorted(len(index.texts[i]) for i in taken)
    assert lengths[0] <= len("homs xxxxxx") <= lengths[-1]
    assert index._nearest_in_length("homs", 1, 4) == index.postings["homs"][:4]  # shortest ones
    assert len(index._nearest_in_length("homs", 1, 20)) == len(texts)  # no more than there are: all


def test_a_name_in_many_examples_leaves_room_in_the_pool_for_the_rare_words(kb: KnowledgeBase, monkeypatch):
    """The examples of a name are capped at NAME_WINDOW, below the budget, so that examples
    sharing the question's rare words still get in ("explain the syria situation like im 5"
    when thousands of examples name Syria)."""
    monkeypatch.setattr(matcher_module, "WINDOW_OVER", 2)
    monkeypatch.setattr(matcher_module, "NAME_WINDOW", 2)
    monkeypatch.setattr(matcher_module, "POOL_MAX", 4)
    texts = [f"syria event number {n} of many" for n in range(8)] + ["explain syria"]
    index = _ExampleIndex([("x", t) for t in texts])
    index.budget = 4
    canon = kb.matcher._canonicalise("explain the syria situation like im 5")
    assert canon.concepts == ("syria",)
    pool, _ = index.pool(canon)
    assert texts.index("explain syria") in pool
    monkeypatch.setattr(matcher_module, "NAME_WINDOW", 4)  # a name's examples filling the budget: crowded out
    assert texts.index("explain syria") not in index.pool(canon)[0]


@pytest.mark.parametrize("question, group", [
    ("hi", "lat"), ("hello", "lat"), ("shu 3am ya3mel el jeish", "lat"),
    ("مين حاكم حمص", "ar"), ("кто контролирует хомс", "cyr"), ("хто контролює хомс", "cyr"),
])
def test_a_question_is_compared_with_the_examples_of_its_script(kb: KnowledgeBase, question, group):
    assert kb.matcher._group(question) == group
