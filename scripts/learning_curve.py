"""What the real training questions are worth on questions never seen: the held-out figures
(tests/real/holdout.yaml) of a matcher built with only a share of intents/asked.yaml's pages.

    python scripts/learning_curve.py [--learned] [--shares 0,5,10,15,20] [--draw NAME]

A share is in twentieths of the pages, drawn by a hash of each page's address (`--draw` names
another draw); the shares are nested, so each adds pages to the one before. 0 is the written
examples alone, 20 is today's matcher. --learned trains the learned second opinion for each
share (scikit-learn: make learned); without it every share is scored by the fuzzy matcher.
Prints counts per language only, never a question, an answer or a label of the held-out set.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from crossval_real import without  # noqa: E402

from bot.evaluate import evaluate, read_labelled  # noqa: E402
from bot.knowledge import load  # noqa: E402

GROUPS = {"en": ("en",), "ar+ru+uk": ("ar", "ru", "uk")}


def share_of(source: str, draw: str) -> int:
    """The twentieth (0-19) a page falls in: it is kept in shares above that."""
    return int(hashlib.sha256(f"curve{draw}{source}".encode()).hexdigest()[:8], 16) % 20


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shares", default="0,5,10,15,20", help="twentieths of the pages to train on, e.g. 0,10,20")
    parser.add_argument("--draw", default="", help="another draw of the pages in each share")
    parser.add_argument("--learned", action="store_true", help="train the learned second opinion for each share")
    args = parser.parse_args()
    try:
        shares = [int(s) for s in args.shares.split(",")]
    except ValueError:
        shares = []
    if not shares or not all(0 <= s <= 20 for s in shares):
        parser.error(f"--shares must be whole numbers from 0 to 20, comma-separated, not {args.shares!r}")
    kb = load(ROOT)
    asked = yaml.safe_load((ROOT / "intents/asked.yaml").read_text()) or []
    held_out = read_labelled(ROOT / "tests/real/holdout.yaml")
    pages = len({q["source"] for q in asked})
    print(f"{len(asked)} real training questions from {pages} pages; held out: {len(held_out)} questions")
    for share in shares:
        dropped = [q for q in asked if share_of(q["source"], args.draw) >= share]
        trimmed = without(kb, {(q["lang"], q["text"].strip()) for q in dropped}, args.learned)
        for group, langs in GROUPS.items():
            r = evaluate(trimmed, [i for i in held_out if i.lang in langs])
            print(f"share {share:2}/20 ({len(asked) - len(dropped):4} questions)  {group:8} "
                  f"in scope {r.in_scope_correct}/{r.in_scope} ({r.in_scope_accuracy:.1%})  "
                  f"refused {r.out_of_scope_rejected}/{r.out_of_scope} ({r.rejection_rate:.1%})  "
                  f"lost {r.in_scope_lost}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
