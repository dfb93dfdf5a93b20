"""Choose the matcher's thresholds from a labelled development set, and print what they give.

    python scripts/tune_thresholds.py tests/devset.yaml [--write]

out_of_scope: the score below which a question gets no intent. Swept over a grid; the value
that maximises the mean of in-scope accuracy and out-of-scope rejection wins (ties: the
lower value, which refuses less).
ambiguity: how close a runner-up must be to be offered as "did you mean". The smallest
margin that offers the right intent for at least half of the wrong first picks that a
margin could rescue, while offering alternatives on at most 15% of answers.
--write stores them in intents/thresholds.yaml, which the matcher reads at load.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.evaluate import read_labelled  # noqa: E402
from bot.knowledge import load  # noqa: E402
from bot.matcher import Matcher, Thresholds  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("devset", type=Path)
    p.add_argument("--write", action="store_true", help="store the chosen values in intents/thresholds.yaml")
    args = p.parse_args()
    kb = load(ROOT)
    items = read_labelled(args.devset)
    open_matcher = Matcher(
        kb.intents, kb.concepts, replace(kb.matcher.thresholds, out_of_scope=0.0, ambiguity=1.0), negatives=kb.negatives
    )
    rows = []  # (expected, best intent or None if refused by name, best score, ranked)
    for item in items:
        m = open_matcher.match(item.text)
        best = m.ranked[0] if m.ranked else None
        rows.append((item.intent, m.intent, best.score if best else 0.0, m.ranked))

    n_in = sum(1 for r in rows if r[0] is not None)
    n_out = len(rows) - n_in
    print(f"{len(rows)} questions: {n_in} in scope, {n_out} out of scope\n")
    print(f"{'out_of_scope':>12} {'in-scope acc':>13} {'rejection':>10} {'mean':>7}")
    best_t, best_mean = 0.0, -1.0
    for step in range(20, 81):
        t = step / 100
        correct = sum(1 for exp, got, s, _ in rows if exp is not None and got == exp and s >= t)
        rejected = sum(1 for exp, got, s, _ in rows if exp is None and (got is None or s < t))
        acc, rej = correct / n_in, rejected / n_out
        mean = (acc + rej) / 2
        if mean > best_mean + 1e-9:
            best_t, best_mean = t, mean
        if step % 2 == 0:
            print(f"{t:>12.2f} {acc:>13.1%} {rej:>10.1%} {mean:>7.1%}")
    print(f"\nchosen out_of_scope = {best_t:.2f} (mean {best_mean:.1%})")

    answered = [(exp, got, s, ranked) for exp, got, s, ranked in rows if got is not None and s >= best_t]
    wrong = [r for r in answered if r[0] is not None and r[1] != r[0]]
    best_m = 0.0
    print(f"\n{'ambiguity':>10} {'wrong picks rescued':>20} {'answers with alternatives':>26}")
    for step in range(0, 21):
        margin = step / 100
        rescued = sum(
            1 for exp, got, s, ranked in wrong
            if any(r.intent == exp and s - r.score <= margin and r.score >= best_t for r in ranked[1:3])
        )
        offered = sum(
            1 for exp, got, s, ranked in answered
            if any(s - r.score <= margin and r.score >= best_t for r in ranked[1:3])
        )
        share = rescued / len(wrong) if wrong else 1.0
        rate = offered / len(answered) if answered else 0.0
        print(f"{margin:>10.2f} {rescued:>11}/{len(wrong):<8} {rate:>26.1%}")
        if rate <= 0.15 and (share >= 0.5 or margin == 0):
            best_m = margin if share >= 0.5 else best_m
    print(f"\nchosen ambiguity = {best_m:.2f}")

    if args.write:
        path = ROOT / "intents" / "thresholds.yaml"
        path.write_text(
            "# Written by scripts/tune_thresholds.py from tests/devset.yaml; do not edit by hand.\n"
            f"chosen_by: scripts/tune_thresholds.py {args.devset.as_posix()}\n"
            f"out_of_scope: {best_t:.2f}\n"
            f"ambiguity: {best_m:.2f}\n",
            encoding="utf-8",
        )
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
