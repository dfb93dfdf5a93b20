"""A learned second opinion: logistic regression over the words and letter n-grams of the
canonical examples, trained offline (scripts/train_learned.py, scikit-learn) and shipped as
weights (intents/learned.json), so that no training and no scikit-learn run in the bot.

Fuzzy similarity compares a question with one example at a time; real questions, headlines
above all, share a few telling words with many examples of an intent and stand close to none.
The model weighs every n-gram across all the examples at once. It only chooses among the
topics the fuzzy matcher already ranked (see Matcher.match): it never answers a question the
matcher found no topic for, and a name we have no facts on is refused before it is asked.

A text's features are the idf of each word's known features, added up and scaled to unit
length, every occurrence counted apart, so a text's scores are a sum over its words. Each word
of the examples has its part worked out when the weights are written (its weighted sum of
weight rows and its sum of squared idf, shipped in the file): a question of such words costs a
gather and a sum (numpy). Another word's features are looked up as it comes (cached). The
weights belong to one state of the examples: `data_key` is a hash of the canonical examples
they were trained on, and weights trained on other examples are not used (`validate` says so).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

from .examples import NEGATIVE, CanonicalExample

NGRAMS = (2, 3, 4)  # letter n-grams of each word, padded with spaces at both ends
SURE = 0.5  # the model's probability at which its choice among the ranked topics is taken
_CACHE_MAX = 50_000


def word_features(word: str) -> list[str]:
    """One word's features: the word itself ("w homs") and its letter n-grams, padded
    (" homs " gives " h", "ho", ..., "ms "); an n-gram twice in a word is there twice."""
    padded = f" {word} "
    size = len(padded)
    out = ["w " + word]
    for n in NGRAMS:  # a list per n rather than one generator: this runs for every new word
        out += [padded[i : i + n] for i in range(max(1, size - n + 1))]
    return out


def text_vector(text: str, idf: dict[str, float]) -> dict[str, float]:
    """What the model reads of a canonical text: the idf of every known feature of every word,
    added up, over the square root of their summed squares (see the module)."""
    out: dict[str, float] = {}
    squares = 0.0
    for word in text.split():
        for feature in word_features(word):
            if feature in idf:
                out[feature] = out.get(feature, 0.0) + idf[feature]
                squares += idf[feature] ** 2
    scale = 1.0 / math.sqrt(squares) if squares else 0.0
    return {f: v * scale for f, v in out.items()}


def data_key(examples: Iterable[CanonicalExample]) -> str:
    """What a set of weights was trained on: a hash of the canonical examples (the Matcher's,
    which all say something)."""
    lines = sorted(f"{ex.intent}\t{ex.canon.text}" for ex in examples)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def _floats(values: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(values, dtype="<f4").tobytes()).decode("ascii")


def _unfloats(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4")


class Learned:
    """The shipped weights: per feature its idf and one weight per class (a row of `weights`);
    per word of the examples (`words`) its part of a text's scores, worked out from them."""

    def __init__(self, classes: list[str], intercept: list[float], features: list[str], idf: np.ndarray,
                 weights: np.ndarray, key: str, words: list[str] | None = None, parts: np.ndarray | None = None):
        if idf.shape != (len(features),) or weights.size != len(features) * len(classes):
            raise ValueError("the weights do not fit the features and classes")
        self.classes = classes
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.features = features
        self.idf = idf
        self.weights = weights.reshape(len(features), len(classes))
        self.key = key
        self._row = {f: n for n, f in enumerate(features)}
        self._word = lru_cache(maxsize=_CACHE_MAX)(self._word_part)
        # the last text scored: best() and topics() of one question read the same text
        self._last: tuple[str, np.ndarray] = ("", self.intercept)
        self.words = words or []
        # per word: its weighted weight rows summed (one column per class), then its squared idf summed
        if parts is None:
            parts = self._parts(self.words)
        if parts.size != len(self.words) * (len(classes) + 1):
            raise ValueError("the words' parts do not fit the words and classes")
        self.parts = parts.reshape(len(self.words), len(classes) + 1).astype(np.float64)  # summed in float64
        self._known = {w: n for n, w in enumerate(self.words)}

    def _parts(self, words: list[str]) -> np.ndarray:
        parts = np.zeros((len(words), len(self.classes) + 1))
        for n, word in enumerate(words):
            parts[n] = self._part(self._word_part(word))
        return parts

    def _part(self, rows: list[int]) -> np.ndarray:
        """What features (their rows) add to a text's scores: their weight rows weighted by
        their idf and summed, one per class, then their squared idf summed."""
        values = self.idf[rows].astype(np.float64)
        return np.concatenate((values @ self.weights[rows], [values @ values]))

    @classmethod
    def read(cls, path: Path) -> Learned | None:
        """The weights in `path`; None when there is no such file."""
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        words = data.get("words")  # weights written before words' parts were shipped: every word looked up
        parts = np.frombuffer(base64.b64decode(data["parts"]), dtype="<f4") if words else None
        return cls(data["classes"], data["intercept"], data["features"], _unfloats(data["idf"]),
                   _unfloats(data["weights"]), data["data_key"], words, parts)

    def write(self, path: Path) -> None:
        data = {"data_key": self.key, "classes": self.classes, "intercept": [float(b) for b in self.intercept],
                "features": self.features, "idf": _floats(self.idf), "weights": _floats(self.weights),
                "words": self.words,
                "parts": base64.b64encode(np.ascontiguousarray(self.parts, dtype="<f4").tobytes()).decode("ascii")}
        path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")

    def clear_caches(self) -> None:
        self._word.cache_clear()
        self._last = ("", self.intercept)

    def _word_part(self, word: str) -> list[int]:
        """A word's known features, as their rows."""
        return [r for r in map(self._row.get, word_features(word)) if r is not None]

    def best(self, text: str) -> tuple[str | None, float]:
        """The likeliest class of a canonical text and its probability (None: out of scope)."""
        scores = self._scores(text)
        top = int(scores.argmax())
        probability = 1.0 / float(np.add.reduce(np.exp(scores - scores[top])))
        label = self.classes[top]
        return (None if label == NEGATIVE else label), probability

    def topics(self, text: str) -> list[str]:
        """The intents (not out of scope) of a canonical text, likeliest first."""
        scores = self._scores(text)
        return [self.classes[n] for n in np.argsort(-scores, kind="stable") if self.classes[n] != NEGATIVE]

    def _scores(self, text: str) -> np.ndarray:
        """Each class's score (log-odds up to a constant) for a canonical text. The array is
        kept for the next call: callers must not write to it."""
        last_text, last_scores = self._last  # one read: another thread may set it meanwhile
        if text == last_text:
            return last_scores
        scores = self._text_scores(text)
        self._last = (text, scores)
        return scores

    def _text_scores(self, text: str) -> np.ndarray:
        known: list[int] = []
        rows: list[int] = []
        for word in text.split():
            n = self._known.get(word)
            if n is None:
                rows += self._word(word)
            else:
                known.append(n)
        # np.add.reduce is what ndarray.sum() calls, without its layer of Python: the same sums
        total = np.add.reduce(self.parts[known]) if known else np.zeros(len(self.classes) + 1)
        if rows:
            total += self._part(rows)
        return self.intercept + total[:-1] / math.sqrt(total[-1]) if total[-1] else self.intercept
