"""Split a collection of real questions into training examples and a held-out set.

    python scripts/split_real_questions.py [--held-out | --training] COLLECTED.yaml [...]

Each collected item is `{text, intent, lang, kind, source, also_ok?}`: a question a person asked
in public (forum or comment thread, explainer FAQ, headline, live blog), with the page it is
from and its label by meaning. Questions from one page stay together, so that a page's wording
cannot leak from training into measuring: the page's address is hashed, and its questions go

- to `tests/real/holdout.yaml` (half the pages): scored, never used to tune anything;
- to `intents/asked.yaml` (the other half): training examples of their intent (or, null, of
  what the bot has no facts on), and, scored page-fold by page-fold with a matcher that never
  saw them (scripts/crossval_real.py), the development questions whose errors may be looked at.

Re-running it on the same collection writes the same files. Questions already in a file are
kept where they are; new ones are added by the same rule. `--held-out` puts every new question
in the held-out set: a round that is measured but not trained on (when training on it did not
help on the folds); `--training` puts every new question in training: a round scored unseen
first, trained on whole once the held-out set is large enough.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TARGETS = (  # (upper bound of the page's hash in [0, 1), file, header)
    (0.5, ROOT / "tests/real/holdout.yaml", "Held-out real questions: scored by tests/test_real_questions.py, never tuned on."),
    (1.0, ROOT / "intents/asked.yaml", "Real questions used as training examples (bot/knowledge/asked.py)."),
)
KEYS = ("text", "intent", "also_ok", "lang", "kind", "source")


def bucket(source: str) -> float:
    return int(hashlib.sha256(source.encode()).hexdigest()[:8], 16) / 0x100000000


def line(item: dict) -> str:
    parts = []
    for key in KEYS:
        if key not in item or (key == "also_ok" and not item[key]):
            continue
        value = item[key]
        if key == "also_ok":
            shown = "[" + ", ".join(value) + "]"
        elif value is None:
            shown = "null"
        elif key in ("intent", "lang", "kind"):
            shown = str(value)
        else:
            shown = json.dumps(value, ensure_ascii=False)
        parts.append(f"{key}: {shown}")
    return "- {" + ", ".join(parts) + "}"


def main(args: list[str]) -> None:
    # argparse rather than a bare "--held-out" in args: a mistyped option ("--heldout") is an
    # error here, not a file name or, worse, a round silently split into training
    parser = argparse.ArgumentParser(description="Split collected real questions into training and held-out files.")
    whole = parser.add_mutually_exclusive_group()
    whole.add_argument("--held-out", action="store_true", help="put every new question in the held-out set")
    whole.add_argument("--training", action="store_true", help="put every new question in the training set")
    parser.add_argument("paths", nargs="+", metavar="COLLECTED.yaml")
    parsed = parser.parse_args(args)
    paths = parsed.paths
    seen: set[tuple[str, str]] = set()
    out: dict[Path, list[dict]] = {path: [] for _, path, _ in TARGETS}
    for _, path, _ in TARGETS:
        if path.exists():
            for item in yaml.safe_load(path.read_text()) or []:
                seen.add((item["lang"], item["text"].strip().lower()))
                out[path].append(item)
    for name in paths:
        for item in yaml.safe_load(Path(name).read_text()) or []:
            key = (item["lang"], item["text"].strip().lower())
            if key in seen:
                continue
            seen.add(key)
            if parsed.held_out:
                path = TARGETS[0][1]
            elif parsed.training:
                path = TARGETS[1][1]
            else:
                b = bucket(item["source"])
                path = next(p for bound, p, _ in TARGETS if b < bound)
            out[path].append(item)
    for _, path, header in TARGETS:
        items = sorted(out[path], key=lambda i: ("en ar ru uk".split().index(i["lang"]), str(i["intent"]), i["source"]))
        body = "\n".join(line(i) for i in items)
        path.write_text(f"# {header}\n# Collected from public pages; written by scripts/split_real_questions.py.\n{body}\n")
        print(f"{path.relative_to(ROOT)}: {len(items)}")


if __name__ == "__main__":
    main(sys.argv[1:])
