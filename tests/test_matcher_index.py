"""The matcher's look-up structures give the answers a plain scan would, only faster."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from rapidfuzz import fuzz, process

from bot.knowledge import KnowledgeBase
from bot.matching import ExampleIndex, MatchOptions, NearIndex, example_group
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


def test_the_delete_index_finds_what_the_scan_finds(kb: KnowledgeBase):
    """Past scan_max words, typo look-ups use the delete index: same nearest word, same ties."""
    examples = [*kb.examples(), *kb.negatives]
    words = sorted({w for ex in examples for w in normalize(ex.text).split() if len(w) >= 4 and w.isalpha()})
    scan = NearIndex(words)
    indexed = NearIndex(words, MatchOptions(scan_max=10))
    assert indexed.deletes is not None and scan.deletes is None
    queries = typo_queries(words, 2000)
    found = 0
    for query in queries:
        limit = 1 if len(query) <= 6 else 2
        expected = scan.nearest(query, limit)
        assert indexed.nearest(query, limit) == expected, query
        found += expected is not None
    assert found > len(queries) // 2  # most typos have a nearest word: the comparison means something


def test_the_scan_finds_the_nearest_string_of_all_in_any_script(kb: KnowledgeBase):
    """The scan rules most strings out by their letters and lengths before measuring edits:
    it must still give the nearest of every string, the first alphabetically on a tie."""
    from rapidfuzz.distance import OSA

    strings = sorted({normalize(v) for c in kb.concepts.values() for v in c.variants if len(v) >= 4})
    scan = NearIndex(strings)
    assert scan.deletes is None
    queries = typo_queries(strings, 1500, seed=11) + ["", "x", "деир эз зор", "al-asad", "حمصص"]
    found = 0
    for query in queries:
        for limit in (1, 2):
            near = sorted((OSA.distance(query, s), s) for s in strings)
            expected = near[0][1] if near and near[0][0] <= limit else None
            assert scan.nearest(query, limit) == expected, (query, limit)
            found += expected is not None
    assert found > len(queries) // 2


def test_names_with_spaces_and_mixed_scripts_are_found_by_the_delete_index():
    names = ["deir ez zor", "homs", "hayat tahrir al sham", "حمص", "дамаск", "al-assad"]
    indexed = NearIndex(names, MatchOptions(scan_max=1))
    assert indexed.deletes is not None
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
    canon = matcher.names.canonicalise(normalize(question))
    index = matcher.scorer.indexes["lat"]
    inside = index.subsets(canon)
    assert inside and all(set(index.texts[i].split()) <= set(canon.tokens) for i in inside)
    scores, _ = index.fuzzy(canon, matcher.weights)
    assert all(i in scores for i in inside)


def test_the_ratio_pass_recodes_letters_without_changing_a_ratio():
    texts = ["خروج الاسد من دمشق", "кто контролирует хомс", "хомс homs 2024", "\u00e9t\u00e9 \u0100"]
    index = ExampleIndex([("x", t) for t in texts])
    assert all(len(text.encode("latin-1")) == len(text) for text in index.narrow_texts)
    # letters no text has, and the codes the recoded letters took, stay unequal to all of theirs
    taken = sorted({ch for text in index.narrow_texts for ch in text if ord(ch) > 127})
    questions = ["хомс и дамаск", "خروج بشار", "ї ґ ڤ", "".join(taken), "\u0100\u0101 homs", "\x00\x01 été"]
    for question in questions:
        for text, narrow in zip(index.sorted_texts, index.narrow_texts):
            assert fuzz.ratio(index.narrowed(question), narrow) == fuzz.ratio(question, text)


def test_the_ratio_pass_leaves_out_only_examples_too_short_to_be_among_the_nearest():
    rnd = random.Random(3)
    words = ["homs", "damascus", "assad", "rebels", "army", "who", "controls", "city", "the", "is", "where", "now"]
    texts = [" ".join(rnd.choice(words) for _ in range(rnd.randint(1, 12))) for _ in range(400)]
    index = ExampleIndex([(f"i{n}", t) for n, t in enumerate(texts)])
    ids = list(range(len(index.texts)))
    for size in (3, 10, 20, 30, 40):
        query = " ".join(sorted(rnd.choice(words) for _ in range(size)))
        for limit in (4, 12, 24):
            found, nearest = index.by_ratio(query, ids, limit)
            plain = process.extract(query, index.narrow_texts, scorer=fuzz.ratio, limit=limit)
            assert [(found[pos], score) for _, score, pos in nearest] == [(pos, score) for _, score, pos in plain]


def test_of_a_word_in_very_many_examples_those_nearest_the_questions_length_are_taken():
    texts = ["homs " + "x" * n for n in range(1, 12)]
    # postings longer than window_over are kept sorted by length
    index = ExampleIndex([("homs_control", t) for t in texts], MatchOptions(window_over=4))
    taken = index.nearest_in_length("homs", len("homs xxxxxx"), 4)
    assert len(taken) == 4
    lengths = sorted(len(index.texts[i]) for i in taken)
    assert lengths[0] <= len("homs xxxxxx") <= lengths[-1]
    assert index.nearest_in_length("homs", 1, 4) == index.postings["homs"][:4]  # shortest ones
    assert len(index.nearest_in_length("homs", 1, 20)) == len(texts)  # no more than there are: all


def test_a_name_in_many_examples_leaves_room_in_the_pool_for_the_rare_words(kb: KnowledgeBase):
    """The examples of a name are capped at name_window, below the budget, so that examples
    sharing the question's rare words still get in ("explain the syria situation like im 5"
    when thousands of examples name Syria)."""
    small = MatchOptions(window_over=2, name_window=2, pool_max=4)
    texts = [f"syria event number {n} of many" for n in range(8)] + ["explain syria"]
    pairs = [("x", t) for t in texts]
    index = ExampleIndex(pairs, small)
    assert index.budget == 4
    canon = kb.matcher.names.canonicalise("explain the syria situation like im 5")
    assert canon.concepts == ("syria",)
    pool, _ = index.pool(canon)
    assert texts.index("explain syria") in pool
    crowded = ExampleIndex(pairs, replace(small, name_window=4))  # a name's examples filling the budget
    assert texts.index("explain syria") not in crowded.pool(canon)[0]


@pytest.mark.parametrize("question, group", [
    ("hi", "lat"), ("hello", "lat"), ("shu 3am ya3mel el jeish", "lat"),
    ("مين حاكم حمص", "ar"), ("кто контролирует хомс", "cyr"), ("хто контролює хомс", "cyr"),
])
def test_a_question_is_compared_with_the_examples_of_its_script(question, group):
    assert example_group(question) == group
