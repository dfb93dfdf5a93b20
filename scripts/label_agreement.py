"""How far two people labelling the same real questions agree: a second, blind labelling scored
against the held-out labels as if it were the bot, with the bot's own measures.

    python scripts/label_agreement.py [SECOND] [--held-out FILE]

SECOND (default tests/real/second_labels.yaml) is labelled like tests/real/holdout.yaml and
matched to it by language and text. "Right intent": the second labeller's intent is one the
held-out file accepts (its intent or also_ok); "refused": both say null. It prints counts
only, never a question: the held-out questions must not be looked at.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.evaluate import Labelled, read_labelled  # noqa: E402
from bot.yamlsource import DataError  # noqa: E402

GROUPS = {"en": ("en",), "ar+ru+uk": ("ar", "ru", "uk"), "ar": ("ar",), "ru": ("ru",), "uk": ("uk",)}


def agreement(first: list[Labelled], second: list[Labelled]) -> dict[str, tuple[int, int, int, int]]:
    """Per group: (in scope right, in scope, out of scope refused, out of scope) of `second`
    scored against `first`, over the questions both labelled."""
    labels = {(item.lang, item.text.strip()): item for item in first}
    out: dict[str, tuple[int, int, int, int]] = {}
    for group, langs in GROUPS.items():
        right = in_scope = refused = out_of_scope = 0
        for other in second:
            item = labels.get((other.lang, other.text.strip()))
            if item is None or item.lang not in langs:
                continue
            if item.intent is None:
                out_of_scope += 1
                refused += other.intent is None
            else:
                in_scope += 1
                right += item.right(other.intent)
        if in_scope or out_of_scope:
            out[group] = (right, in_scope, refused, out_of_scope)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("second", nargs="?", type=Path, default=ROOT / "tests" / "real" / "second_labels.yaml")
    parser.add_argument("--held-out", type=Path, default=ROOT / "tests" / "real" / "holdout.yaml")
    args = parser.parse_args(argv)
    try:
        first, second = read_labelled(args.held_out), read_labelled(args.second)
    except (OSError, DataError) as err:
        print(f"cannot read the labels: {err}", file=sys.stderr)
        return 2
    labels = {(item.lang, item.text.strip()) for item in first}
    unmatched = sum((item.lang, item.text.strip()) not in labels for item in second)
    print(f"{len(second)} questions labelled twice; {unmatched} not in {args.held_out.name}")
    for group, (right, in_scope, refused, out_of_scope) in agreement(first, second).items():
        print(f"{group:8} right intent {right}/{in_scope} ({right / max(in_scope, 1):.1%})  "
              f"refused {refused}/{out_of_scope} ({refused / max(out_of_scope, 1):.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
