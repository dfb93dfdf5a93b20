"""The nearest of many strings within one or two edits: typo-tolerant look-ups of words and names."""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from rapidfuzz.distance import OSA

from .compiled import RAPIDFUZZ, Process
from .options import DEFAULT_OPTIONS, MatchOptions


class NearIndex:
    """Strings to find the nearest of within k edits (k <= 2); the answer is the one a scan of
    the whole sorted list would give (nearest, then first in alphabetical order).

    Up to `scan_max` strings are scanned, but only those that could be near: they are kept in
    order of length (a string of another length differs by more), each with the set of its
    letters as bits of an integer. One edit changes at most two letters of that set, so a
    string whose set differs from the look-up's in more than 2k letters is more than k edits
    away: numpy rules those out at once (an Arabic word shares no letter with a Latin one), and
    the edit distance is computed only for the few left. Past `scan_max` (a base many times
    ours) the strings are indexed by what is left after deleting up to k of their characters:
    two strings within k edits leave a common string after deleting at most k characters from
    each, so a look-up only checks strings sharing one (symmetric delete)."""

    def __init__(self, strings: Iterable[str], options: MatchOptions = DEFAULT_OPTIONS, process: Process = RAPIDFUZZ):
        ordered = sorted(set(strings))
        self._process = process
        self._size = len(ordered)
        self._known = frozenset(ordered)
        self.deletes: dict[str, tuple[str, ...]] | None = None
        if len(ordered) > options.scan_max:
            keys: dict[str, list[str]] = defaultdict(list)
            for text in ordered:
                # A string of 7 or more may need two deletions to meet a look-up; a shorter one
                # only meets a look-up allowed two edits (7 or more characters) with at most one.
                for key in deletions(text, 2 if len(text) >= 7 else 1):
                    keys[key].append(text)
            self.deletes = {key: tuple(found) for key, found in keys.items()}
        self._by_length = sorted(ordered, key=len) if self.deletes is None else []
        self._letters = np.fromiter(map(letter_bits, self._by_length), dtype=np.uint64, count=len(self._by_length))
        # self._by_length[self._first[n]:] are the strings of n characters or more
        lengths = [len(text) for text in self._by_length]
        self._first = [bisect_left(lengths, n) for n in range((lengths[-1] if lengths else 0) + 2)]

    def __bool__(self) -> bool:
        return bool(self._size)

    def nearest(self, text: str, limit: int) -> str | None:
        """The nearest string within `limit` edits (optimal string alignment), or None."""
        if text in self._known:
            return text
        if self.deletes is not None:
            get = self.deletes.get
            near = sorted({found for key in deletions(text, limit) for found in get(key, ())})
        else:
            longest, size = len(self._first) - 1, len(text)  # _first[longest]: past every string
            lo = self._first[min(max(0, size - limit), longest)]
            hi = self._first[min(size + limit + 1, longest)]
            if lo == hi:
                return None
            apart = np.bitwise_count(self._letters[lo:hi] ^ np.uint64(letter_bits(text)))
            by_length = self._by_length
            near = sorted([by_length[lo + n] for n in (apart <= 2 * limit).nonzero()[0].tolist()])
        hit = self._process.extractOne(text, near, scorer=OSA.distance, score_cutoff=limit) if near else None
        return hit[0] if hit else None


def letter_bits(text: str) -> int:
    """The set of `text`'s characters as bits of a 64-bit integer (a character's code point
    modulo 64: the letters of one alphabet differ; two characters sharing a bit only make the
    filter of NearIndex.nearest let more strings through)."""
    bits = 0
    for char in set(text):
        bits |= 1 << (ord(char) & 63)
    return bits


def deletions(text: str, depth: int) -> set[str]:
    """`text` and every string left by deleting up to `depth` of its characters."""
    out = frontier = {text}
    for _ in range(depth):
        frontier = {s[:i] + s[i + 1 :] for s in frontier for i in range(len(s))}
        out = out | frontier
    return out
