"""Train the learned second opinion (bot/matching/learned.py) on the examples and write its
weights to intents/learned.json. Needs scikit-learn (`pip install -e '.[train]'`, or `make learned`).

    python scripts/train_learned.py [--check]

--check only says whether the shipped weights were trained on today's examples (exit 1 if not).
Run it after changing any example, alias or out-of-scope example: weights trained on other
examples are not used (`python -m bot validate` says so).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.knowledge import load  # noqa: E402
from bot.matching.examples import CanonicalExample  # noqa: E402
from bot.matching.learned import Learned, data_key, text_vector, word_features  # noqa: E402

C = 10.0  # inverse regularisation (measured: 1 and 30 do no better on new real questions)
MIN_DF = 2  # a feature of a single example is left out: it learns that example only


def train(examples: list[CanonicalExample], key: str, c: float = C) -> Learned:
    """Logistic regression over the examples' features (scikit-learn), as Learned."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    df: Counter[str] = Counter()
    for ex in examples:
        df.update({f for word in ex.canon.text.split() for f in word_features(word)})
    total = len(examples)
    # float32, as shipped: the bot reads the same numbers the model was trained on
    idf = {f: float(np.float32(math.log((1 + total) / (1 + n)) + 1.0)) for f, n in df.items() if n >= MIN_DF}
    vectorizer = DictVectorizer()
    matrix = vectorizer.fit_transform([text_vector(ex.canon.text, idf) for ex in examples])
    model = LogisticRegression(C=c, max_iter=5000).fit(matrix, [ex.intent for ex in examples])
    features = [str(f) for f in vectorizer.get_feature_names_out()]
    words = sorted({word for ex in examples for word in ex.canon.tokens})
    return Learned([str(x) for x in model.classes_], [float(b) for b in model.intercept_], features,
                   np.array([idf[f] for f in features], dtype=np.float32), model.coef_.T.astype(np.float32), key,
                   words)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    kb = load(ROOT)
    if args.check:  # the loader has already compared the shipped weights with the examples
        print(f"learned weights are off ({kb.learned_off}): run make learned" if kb.learned_off
              else "learned weights are current")
        return 1 if kb.learned_off else 0
    path = ROOT / "intents" / "learned.json"
    examples = list(kb.matcher.examples)
    learned = train(examples, data_key(examples))
    learned.write(path)
    print(f"{path.relative_to(ROOT)}: {len(examples)} examples, {len(learned.idf)} features, "
          f"{len(learned.classes)} classes, {path.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
