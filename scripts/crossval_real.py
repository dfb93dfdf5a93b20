"""How well the matcher generalises to real questions it was not built from, for tuning.

    python scripts/crossval_real.py [--folds 5] [--show]

The real questions of intents/asked.yaml (training examples) are cut into folds by the page
they come from. For each fold the matcher is rebuilt without that
fold's asked examples and scored on the fold's questions, so every question is scored by a
matcher that never saw its page. The held-out set (tests/real/holdout.yaml) is not read.
--show prints each miss (these are tuning questions: looking at them is allowed). --learned
trains the learned second opinion on each fold as well (scikit-learn); without it the folds
are scored by the fuzzy matcher alone.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import replace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.evaluate import Labelled, Report, evaluate  # noqa: E402
from bot.knowledge import KnowledgeBase, load  # noqa: E402
from bot.matching import Matcher, MatchOptions, Thresholds, Weights  # noqa: E402
from bot.matching.learned import data_key  # noqa: E402


def fold_of(source: str, folds: int) -> int:
    return int(hashlib.sha256(("fold" + source).encode()).hexdigest()[:8], 16) % folds


def without(kb: KnowledgeBase, held: set[tuple[str, str]], learned: bool, thresholds: Thresholds | None = None,
            weights: Weights | None = None, options: MatchOptions | None = None) -> KnowledgeBase:
    """`kb` with a matcher built without the examples `held` ((lang, text) pairs), with the
    learned second opinion trained on the rest (scikit-learn) or, if not `learned`, none."""
    m = kb.matcher
    intents = {iid: replace(i, examples=tuple(e for e in i.examples if (e.lang, e.text) not in held))
               for iid, i in kb.intents.items()}
    negatives = tuple(e for e in kb.negatives if (e.lang, e.text) not in held)
    matcher = Matcher(intents, kb.concepts, thresholds or m.thresholds, weights or m.weights, negatives, m.years,
                      options or m.options)
    if learned:  # without it, the questions are scored by the fuzzy matcher alone
        from train_learned import train

        matcher.learned = train(list(matcher.examples), data_key(matcher.examples))
    return replace(kb, matcher=matcher)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--show", action="store_true")
    parser.add_argument("--thresholds", default="", help="Thresholds fields to override, e.g. doubt=0.5")
    parser.add_argument("--options", default="", help="MatchOptions fields to override, e.g. nearest=16")
    parser.add_argument("--weights", default="", help="Weights fields to override, e.g. fuzzy=0.6,lexical=0.4")
    parser.add_argument("--learned", action="store_true",
                        help="train the learned second opinion on each fold too (needs scikit-learn: make learned)")
    parser.add_argument("--explain", nargs="*", default=[], help="questions to explain with their fold's matcher")
    args = parser.parse_args()
    kb = load(ROOT)
    asked = yaml.safe_load((ROOT / "intents/asked.yaml").read_text()) or []
    everything = asked
    m = kb.matcher
    weights = m.weights
    if args.weights:
        weights = replace(weights, **{k: float(v) for k, v in (kv.split("=") for kv in args.weights.split(","))})
    thresholds = m.thresholds
    if args.thresholds:
        thresholds = replace(thresholds, **{k: float(v) for k, v in (kv.split("=") for kv in args.thresholds.split(","))})
    options = m.options
    if args.options:
        options = replace(options, **{k: int(v) for k, v in (kv.split("=") for kv in args.options.split(","))})
    totals: dict[str, Report] = {}
    misses = []
    for k in range(args.folds):
        held = {(q["lang"], q["text"].strip()) for q in everything if fold_of(q["source"], args.folds) == k}
        fold_kb = without(kb, held, args.learned, thresholds, weights, options)
        matcher = fold_kb.matcher
        for text in args.explain:
            if any(q["text"].strip() == text.strip() and fold_of(q["source"], args.folds) == k for q in everything):
                r = matcher.match(text)
                print(text[:80], "|", r.intent, r.reason, r.alternatives, "neg", r.negative, "unknown", r.unknown,
                      [(s.intent, s.score) for s in r.ranked[:4]], "\n   ", r.canonical, "\n   ", r.closest[:3])
        items = [Labelled(q["text"], q["intent"], q["lang"], tuple(q.get("also_ok") or ())) for q in everything
                 if fold_of(q["source"], args.folds) == k]
        for group in ("en", "other"):
            sub = [i for i in items if (i.lang == "en") == (group == "en")]
            r = evaluate(fold_kb, sub)
            t = totals.setdefault(group, Report())
            t.in_scope += r.in_scope
            t.in_scope_correct += r.in_scope_correct
            t.out_of_scope += r.out_of_scope
            t.out_of_scope_rejected += r.out_of_scope_rejected
            t.in_scope_offered += r.in_scope_offered
            t.out_of_scope_asked_back += r.out_of_scope_asked_back
            misses += [(text, exp, got, conf) for text, exp, got, conf in r.mistakes]
    for group, t in totals.items():
        print(f"{group:6} in scope {t.in_scope_correct}/{t.in_scope} ({t.in_scope_accuracy:.1%}), "
              f"out of scope {t.out_of_scope_rejected}/{t.out_of_scope} ({t.rejection_rate:.1%}), "
              f"offered {t.in_scope_offered}, lost {t.in_scope_lost}, oos asked back {t.out_of_scope_asked_back}")
    if args.show:
        for text, exp, got, conf in sorted(misses, key=lambda r: (str(r[1]), str(r[2]))):
            print(f"  [{exp} -> {got} {conf:.2f}] {text}")


if __name__ == "__main__":
    main()
