"""Synthetic but realistic larger knowledge bases, for measuring how the matcher scales.

    .venv/bin/python benchmarks/synth.py --factor 10 --show 20 [--seed 0] [--matcher]

Growth model (how a multi-event news bot actually grows):
1. The shipped event's intents get extra paraphrases of their own examples, as curators add
   the questions users really asked: +10 % of their examples per factor step, at most 2x.
2. Most growth is extra events: copies of the shipped intents about a named place, person or
   group (not help, sources and the Syria overview: a bot has those once; every event is in
   Syria and the media cover them all, see SHARED), retargeted to invented, pronounceable
   places, people and groups. An event keeps a random 60-100 % of each intent's examples in
   all four languages (newer events are curated less).
3. Names are rewritten in the example's own script (Latin; Cyrillic with case endings; Arabic
   keeping its joined prefixes), then the text is paraphrased: synonym swaps, fillers, casing
   and punctuation noise, rare phone typos. Syria stays Syria (~4 % of event questions name
   it), and about 10 % of events also add "in Syria"/"near Damascus" to a quarter of theirs.
4. Negatives (out-of-scope examples) grow by sqrt(factor), retargeted to the events' names: new
   events bring new near misses, but far fewer than new questions.
Deterministic for (factor, seed); event n is the same at every factor (growth nests).
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import re
import resource
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.model import Concept, Example, Intent  # noqa: E402 - after the sys.path set-up
from bot.normalize import normalize  # noqa: E402 - after the sys.path set-up
from bot.words import COMMON_WORDS  # noqa: E402 - after the sys.path set-up

SUBJECT_KINDS = ("place", "person", "group")
SHARED = frozenset({"news_outlets", "state_tv", "syria"})  # every event is in Syria, and Reuters and state TV report on all
OVERLAP = {"syria": {"en": "in syria", "ru": "в сирии", "uk": "в сирії", "ar": "في سوريا"},
           "damascus": {"en": "near damascus", "ru": "под дамаском", "uk": "під дамаском", "ar": "قرب دمشق"}}
SYNONYMS = {  # only swaps that keep the grammar whatever surrounds them
    "en": [("controls", "holds", "runs"), ("where is", "where's", "where exactly is"), ("city", "town"),
           ("now", "currently", "right now", "at the moment"), ("captured", "seized"), ("take", "capture", "seize"),
           ("what happened", "what's going on", "what is happening"), ("important", "significant"),
           ("is it true", "is it confirmed"), ("people", "folks"), ("what is", "what's"), ("tell me", "can you tell me")],
    "ru": [("контролирует", "держит"), ("сейчас", "щас", "на данный момент"), ("правда", "реально"),
           ("что происходит", "что творится"), ("где", "а где")],
    "uk": [("контролює", "тримає"), ("зараз", "щас", "наразі"), ("що відбувається", "що коїться"),
           ("правда", "справді"), ("де", "а де")],
    "ar": [("من يسيطر", "مين مسيطر"), ("الآن", "الان", "هلق", "حاليا"), ("ماذا حدث", "شو صار"), ("أين", "وين")],
}
FILLERS = {  # (prefixes, suffixes)
    "en": (("hey bot ", "please ", "do you know ", "quick question: ", "pls ", "sorry, "), (" pls", " please", " thanks")),
    "ru": (("слушай, ", "подскажите ", "бот, ", "вопрос: "), (" пж", " плиз", " спасибо")),
    "uk": (("скажіть ", "бот, ", "питання: ", "підкажіть "), (" будь ласка", " пліз", " дякую")),
    "ar": (("لو سمحت ", "يا بوت ", "سؤال: ", "ممكن تقلي "), (" لو سمحت", " شكرا", " بليز")),
}
_LETTERS = re.compile(r"sh|kh|ch|zh|ts|[a-z]")
_CYR = dict(zip("abdefghiklmnoprstuvyz", "абдефгхиклмнопрстувйз"), sh="ш", kh="х", ch="ч", zh="ж", ts="ц")
SCRIPTS = {"ru": _CYR, "uk": {**_CYR, "i": "і"},
           "ar": dict(zip("abdefghiklmnoprstuvyz", "ابديفغهيكلمنوبرستوفيز"), sh="ش", kh="خ", ch="تش", zh="ج", ts="تس")}
CASES = {"ru": ("ом", "а", "у", "е"), "uk": ("ом", "а", "у", "і")}  # listed like aliases.yaml: "тамсира"
ENDINGS = ("ом", "а", "у", "е", "і", "и")
ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "r", "s", "t", "v", "z", "sh", "kh", "dr", "tr", "br")
_PROCLITICS = "وفبلكع"
_WORD = re.compile(r"\w+(?:['’`ʼ]\w+)*")
_END = re.compile(r"[\s?!.…؟]*$")
_SYN = {lang: [(re.compile(r"\b(?:" + "|".join(re.escape(a).replace("'", "['’]?")
                                               for a in sorted(g, key=len, reverse=True)) + r")\b", re.I), g)
               for g in groups] for lang, groups in SYNONYMS.items()}


def _template(text: str, lang: str, phrases: dict, kinds: dict) -> tuple:
    """(parts, synonym groups that apply, ending): a part is literal text or a name slot
    (concept, Arabic prefix, case ending, capitalised, script, original text)."""
    core = _END.sub("", text)
    words = [(m.start(), m.end(), normalize(m.group())) for m in _WORD.finditer(core)]
    parts: list = []
    pos = i = 0
    while i < len(words):
        for size in range(min(6, len(words) - i), 0, -1):  # longest name first, as the matcher does
            if cid := phrases.get(tuple(w[2] for w in words[i:i + size])):
                break
        word, prefix = words[i][2], ""
        if size == 1 and len(word) >= 4 and word[0] in _PROCLITICS:  # "بحمص": the new name keeps "ب" (in)
            for k in (2, 1):
                rest = word[k:]
                found = phrases.get((rest,)) or (phrases.get((rest[2:],)) if rest.startswith("ال") else None)
                if found and cid in (None, found) and all(ch in _PROCLITICS for ch in word[:k]):
                    cid, prefix = found, word[:k]
                    break
        if cid not in kinds:  # skip a whole other name: "maher al assad" must not leave "al assad"
            i += size if cid else 1
            continue
        last = words[i + size - 1][2]
        ends = ENDINGS if not last.isascii() else ("s",) if kinds[cid] == "person" else ()
        suffix = next((e for e in ends if len(last) > len(e) + 2 and last.endswith(e)
                       and phrases.get((last[: -len(e)],)) == cid), "")
        start, stop = words[i][0], words[i + size - 1][1]
        suffix = "'s" if suffix == "s" and core[stop - 2] in "'’`ʼ" else suffix
        raw = core[start:stop]
        script = "lat" if raw.isascii() else "ar" if "\u0600" <= raw[0] <= "\u06ff" else "uk" if lang == "uk" else "ru"
        parts += [core[pos:start], (cid, prefix, suffix, raw[0].isupper(), script, raw)]
        pos, i = stop, i + size
    parts.append(core[pos:])
    syn = tuple(g for g in _SYN.get(lang, ()) if g[0].search(core))
    return tuple(p for p in parts if p != ""), syn, text[len(core):].strip()


class _Event(dict):
    """Slot -> the ways this event's counterpart name is written there; filled on first use."""

    def __init__(self, forms: dict | None):
        super().__init__()
        self.forms = forms  # concept -> (forms by script, declines); None: the shipped names

    def __missing__(self, slot: tuple) -> tuple[str, ...]:
        cid, prefix, suffix, cap, script, raw = slot
        if self.forms is None:
            out: tuple[str, ...] = (raw,)
        else:
            forms, declines = self.forms[cid]
            tail = suffix if script == "lat" or declines and suffix in CASES.get(script, ()) else ""  # "в карвело"
            out = tuple(prefix + (f[0].upper() + f[1:] if cap else f) + tail for f in forms[script])
        self[slot] = out
        return out


def _say(tpl: tuple, lang: str, names: _Event, rng: random.Random, force: bool = False,
         overlap: str | None = None) -> tuple[str, str]:
    """One generated question from a template, and its dedupe key."""
    parts, syn, end = tpl
    out = []
    for p in parts:
        if p.__class__ is not str:
            forms, r = names[p], rng.random()
            p = forms[0] if r < 0.6 else forms[int((r - 0.6) * 2.5 * len(forms))]  # the main spelling mostly
        out.append(p)
    text = "".join(out)
    if syn and rng.random() < (0.7 if force else 0.35):
        pattern, alts = rng.choice(syn)
        text = pattern.sub(lambda m: rng.choice([a for a in alts if a != m.group().lower()]), text, count=1)
    if overlap and rng.random() < 0.25:
        text += " " + OVERLAP[overlap][lang]
    if rng.random() < (0.4 if force else 0.12):
        pre, post = FILLERS[lang]
        text = rng.choice(pre) + text if rng.random() < 0.6 else text + rng.choice(post)
    words = text.split(" ")
    if rng.random() < 0.05 and (long := [k for k, w in enumerate(words) if len(w) >= 4 and w.isalpha()]):
        k = rng.choice(long)  # a thumb slip: two neighbouring letters swapped
        w, j = words[k], rng.randrange(1, len(words[k]) - 2)
        text = " ".join((*words[:k], w[:j] + w[j + 1] + w[j] + w[j + 2:], *words[k + 1:]))
    key, roll, mark = text.lower(), rng.random(), "؟" if lang == "ar" else "?"
    text = text[0].upper() + text[1:] if roll < 0.06 else key if roll < 0.1 else text
    roll = rng.random()
    return text + ("" if roll < 0.15 else mark if roll < 0.3 else mark * 2 if roll < 0.33 else end), key


def _coin(kind: str, rng: random.Random, taken: set[str]) -> tuple[Concept, tuple]:
    """A new pronounceable name with a real-looking alias list, colliding with no known word."""
    while True:
        name = (rng.choice("aeio") if rng.random() < 0.15 else "") + "".join(
            rng.choice(ONSETS) + rng.choice("aaeiou") + (rng.choice("nrlsm") if rng.random() < 0.2 else "")
            for _ in range(rng.choice((2, 2, 3))))
        name += rng.choice(("", "", "n", "r", "l", "s")) if name[-1] in "aeiou" else ""  # no "bakhomn"
        if not 6 <= len(name) <= 10 or re.search(r"(.)\1|[^aeiou]{3}", name):
            continue  # short coinages are too often English words; clusters are unpronounceable
        v = next(k for k in range(len(name) - 1, 0, -1) if name[k] in "eiou" or k == 1)
        alt = name[:v] + {"e": "i", "i": "e", "o": "u", "u": "o"}.get(name[v], name[v]) + name[v + 1:]
        extra = {"place": f"{name} city", "person": f"al-{name}",
                 "group": f"{name} {rng.choice(('forces', 'brigade', 'front', 'militia'))}"}[kind]
        forms = {"lat": (name, *rng.sample([alt, extra], rng.randint(0, 2)))}
        forms |= {s: (_LETTERS.sub(lambda m, t=table: t[m.group()], name),) for s, table in SCRIPTS.items()}
        if kind != "place":
            forms["ar"] += ("ال" + forms["ar"][0],)
        declines = name[-1] not in "aeiouy"
        cases = [forms[s][0] + e for s in CASES for e in CASES[s] if declines]
        possessive = (name + "s",) if kind == "person" else ()  # "tamsir's" is "tamsirs" once normalised
        words = {normalize(w) for w in (alt, *possessive, *forms["ru"], *forms["uk"], *forms["ar"], *cases)} | {name}
        if not words & taken:
            taken.update(words)
            variants = (*forms["lat"], *possessive, *forms["ru"], *forms["uk"], *cases, *forms["ar"])
            variants = tuple(dict.fromkeys(normalize(v) for v in variants))
            return Concept(name, kind, variants, True, None), (forms, declines)


def grow(kb, factor: int, seed: int = 0) -> tuple[dict[str, Intent], dict[str, Concept], tuple[Example, ...]]:
    """intents, concepts, negatives for a base with about `factor` x the shipped intent examples.

    Factor 1 is the shipped data unchanged; negatives grow by sqrt(factor) (see the module docstring).
    """
    if factor <= 1:
        return dict(kb.intents), dict(kb.concepts), tuple(kb.negatives)
    enabled = gc.isenabled()
    gc.disable()  # millions of acyclic objects: the collector would only rescan them, over and over
    try:
        return _grow(kb, factor, seed)
    finally:
        gc.enable() if enabled else None


def _grow(kb, factor: int, seed: int) -> tuple[dict[str, Intent], dict[str, Concept], tuple[Example, ...]]:
    phrases: dict[tuple[str, ...], str] = {}
    for c in kb.concepts.values():
        for v in c.variants:
            phrases.setdefault(tuple(normalize(v).split()), c.id)
    subjects = {c.id: c.kind for c in kb.concepts.values()
                if c.in_scope and c.kind in SUBJECT_KINDS and c.id not in SHARED}
    taken = set(COMMON_WORDS) | set(kb.concepts) | set(normalize(str((SYNONYMS, FILLERS, OVERLAP))).split())
    tpls = {}  # example -> template; every later step reuses them
    for ex in (*kb.examples(), *kb.negatives):
        taken.update(normalize(ex.text).split())
        tpls[ex] = _template(ex.text, sys.intern(ex.lang), phrases, subjects)
    taken.update(w for key in phrases for w in key)
    target = factor * sum(len(i.examples) for i in kb.intents.values())

    # 1. The shipped intents, with curators' extra paraphrases of their own examples.
    rng, intents, total, same = random.Random(f"{seed}:shipped"), {}, 0, _Event(None)
    for intent in kb.intents.values():
        seen = {_END.sub("", ex.text).lower() for ex in intent.examples}
        extra = []
        for _ in range(round(min(1.0, 0.1 * (factor - 1)) * len(intent.examples))):
            ex = rng.choice(intent.examples)
            for _ in range(6):  # a paraphrase must differ from every question already there
                text, key = _say(tpls[ex], ex.lang, same, rng, force=True)
                if key not in seen:
                    seen.add(key)
                    extra.append(Example(intent.id, text, ex.lang))
                    break
        intents[intent.id] = Intent(intent.id, intent.label, intent.facts, intent.follow_ups, intent.entities,
                                    intent.allows, intent.examples + tuple(extra))
        total += len(intents[intent.id].examples)

    # 2. Extra events until the target is reached.
    copied = [i for i in kb.intents.values() if set(i.entities) & subjects.keys()]
    templates = {i.id: [(tpls[ex], sys.intern(ex.lang)) for ex in i.examples] for i in copied}
    full = sum(len(t) for t in templates.values())
    concepts, events, n = dict(kb.concepts), [], 0
    while total < target * 0.999:
        n += 1
        erng = random.Random(f"{seed}:event:{n}")
        forms, new_id = {}, {}
        for cid, kind in subjects.items():
            concept, forms[cid] = _coin(kind, erng, taken)
            concepts[concept.id] = new_id[cid] = concept
        names = _Event(forms)
        events.append(names)
        ratio = min(erng.uniform(0.6, 1.0), (target - total) / full)
        overlap = erng.choice(tuple(OVERLAP)) if erng.random() < 0.1 else None
        for intent in copied:
            iid = sys.intern(f"{intent.id}__ev{n}")
            seen, out = set(), []
            for tpl, lang in templates[intent.id]:
                if erng.random() >= ratio:
                    continue
                for attempt in range(4):  # a clash is regenerated; the last try is kept anyway
                    text, key = _say(tpl, lang, names, erng, attempt > 0, overlap)
                    if key not in seen:
                        break
                seen.add(key)
                out.append(Example(iid, text, lang))
            if out:
                follow = tuple(f"{f}__ev{n}" if f in templates else f for f in intent.follow_ups)
                entities = tuple(new_id[c].id if c in new_id else c for c in intent.entities)
                intents[iid] = Intent(iid, {"en": f"{intent.display()} (event {n})"}, intent.facts, follow,
                                      entities, (), tuple(out))
                total += len(out)

    # 3. Negatives: sqrt growth, each retargeted to one event's names.
    rng, negatives = random.Random(f"{seed}:negatives"), list(kb.negatives)
    seen = {_END.sub("", ex.text).lower() for ex in negatives}
    while len(negatives) < round(len(kb.negatives) * math.sqrt(factor)):
        ex = rng.choice(kb.negatives)
        text, key = _say(tpls[ex], ex.lang, rng.choice(events) if events else same, rng)
        if key not in seen:
            seen.add(key)
            negatives.append(Example(ex.intent, text, ex.lang))
    assert abs(total / target - 1) <= 0.03, (total, target)
    return intents, concepts, tuple(negatives)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--factor", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--show", type=int, default=0, help="print this many random generated texts")
    p.add_argument("--matcher", action="store_true", help="also build a Matcher, time it and try two questions")
    args = p.parse_args()
    from bot.knowledge import load

    kb, start = load(ROOT), time.perf_counter()
    intents, concepts, negatives = grow(kb, args.factor, args.seed)
    took, rss = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    examples = [ex for i in intents.values() for ex in i.examples]
    shipped = sum(len(i.examples) for i in kb.intents.values())
    dups = sum(len(i.examples) - len({_END.sub("", e.text).lower() for e in i.examples}) for i in intents.values())
    print(f"factor {args.factor}: {len(intents)} intents, {len(concepts)} concepts, {len(examples)} examples "
          f"({len(examples) / shipped:.3f}x the {shipped} shipped), {len(negatives)} negatives (shipped "
          f"{len(kb.negatives)})\n  by language {dict(Counter(e.lang for e in examples))}; duplicates within an "
          f"intent {dups / len(examples):.2%}; generated in {took:.1f}s; max RSS {rss:.0f} MB")
    for ex in random.Random(args.seed).sample(examples, min(args.show, len(examples))):
        print(f"  [{ex.lang}] {ex.intent}: {ex.text}")
    if args.matcher:
        from bot.matching import Matcher

        start = time.perf_counter()
        m = Matcher(intents, concepts, kb.matcher.thresholds, negatives=negatives, years=frozenset({2024}))
        print(f"matcher built in {time.perf_counter() - start:.1f}s")
        city = next(i.entities[0] for i in intents.values() if i.id.startswith("homs_control__ev"))
        for q in ("who controls homs", f"who controls {city} now"):
            print(f"  {q!r} -> {m.match(q).intent}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
