"""Record every answer the bot gives to the labelled question sets, to compare two versions.

A restructuring must not change answers: run this before and after and diff the files.

    python scripts/answers_snapshot.py > before.jsonl
    ... change the code ...
    python scripts/answers_snapshot.py > after.jsonl && cmp before.jsonl after.jsonl

Each question is asked through the command line exactly as a user would (`ask --json`,
with `--explain`, in the set's language), once today and once as of 2024-12-07, so the
snapshot covers the reply text, sources, dates, alternatives and the matcher's reasons;
`intents --json` and `validate` are recorded too.
"""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SETS = sorted((ROOT / "tests").glob("devset*.yaml")) + sorted((ROOT / "tests").glob("holdout*.yaml"))
AS_OF = (None, "2024-12-07")


def questions() -> dict[str, list[str]]:
    """Every question of every set, grouped by the language it is asked in."""
    by_lang: dict[str, list[str]] = defaultdict(list)
    for path in SETS:
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            # one question a line on stdin: a newline inside one would split it
            by_lang[item.get("lang", "en")].append(" ".join(str(item["text"]).splitlines()))
    return by_lang


def main() -> int:
    for lang, texts in sorted(questions().items()):
        for as_of in AS_OF:
            cmd = [sys.executable, "-m", "bot", "ask", "--json", "--explain", "--lang", lang]
            if as_of:
                cmd += ["--as-of", as_of]
            out = subprocess.run([*cmd, "-"], input="\n".join(texts) + "\n", capture_output=True,
                                 text=True, check=True, cwd=ROOT).stdout
            for line in out.splitlines():
                print(f"{lang}\t{as_of or '-'}\t{line}")
    for command in (["intents", "--json"], ["validate"]):
        done = subprocess.run([sys.executable, "-m", "bot", *command], capture_output=True, text=True, cwd=ROOT)
        for line in (done.stdout + done.stderr).splitlines():
            print(f"{' '.join(command)}\t{done.returncode}\t{line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
