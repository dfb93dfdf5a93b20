"""The nearest of many strings within one or two edits: typo-tolerant look-ups of words and names."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from rapidfuzz.distance import OSA

from ..script import script_of
from .compiled import RAPIDFUZZ, Process
from .options import DEFAULT_OPTIONS, MatchOptions

MIXED = "mixed"  # the bucket of strings with characters of more than one script


class NearIndex:
    """Strings to find the nearest of within k edits (k <= 2); the answer is the one a scan of
    the whole sorted list would give (nearest, then first in alphabetical order).

    Up to `scan_max` strings are kept by script and length, and a look-up scans only those that
    could be near: a string of another length differs by more, and an Arabic or Cyrillic word
    shares no letter with a Latin one. Past that (a base many times ours), scanning costs
    milliseconds a word, so the strings are indexed by what is left after deleting up to k of
    their characters: two strings within k edits leave a common string after deleting at most
    k characters from each, so a look-up only checks strings sharing one (symmetric delete)."""

    def __init__(self, strings: Iterable[str], options: MatchOptions = DEFAULT_OPTIONS, process: Process = RAPIDFUZZ):
        ordered = sorted(set(strings))
        self._process = process
        self._size = len(ordered)
        self.deletes: dict[str, tuple[str, ...]] | None = None
        self._buckets: dict[tuple[str, int], list[str]] = {}
        self._classes: list[str] = []
        if len(ordered) > options.scan_max:
            keys: dict[str, list[str]] = defaultdict(list)
            for text in ordered:
                # A string of 7 or more may need two deletions to meet a look-up; a shorter one
                # only meets a look-up allowed two edits (7 or more characters) with at most one.
                for key in deletions(text, 2 if len(text) >= 7 else 1):
                    keys[key].append(text)
            self.deletes = {key: tuple(found) for key, found in keys.items()}
            return
        buckets: dict[tuple[str, int], list[str]] = defaultdict(list)
        for text in ordered:
            buckets[(_bucket(text), len(text))].append(text)
        self._buckets = dict(buckets)
        self._classes = sorted({cls for cls, _ in buckets})

    def __bool__(self) -> bool:
        return bool(self._size)

    def nearest(self, text: str, limit: int) -> str | None:
        """The nearest string within `limit` edits (optimal string alignment), or None."""
        if self.deletes is not None:
            get = self.deletes.get
            near = sorted({found for key in deletions(text, limit) for found in get(key, ())})
            hit = self._process.extractOne(text, near, scorer=OSA.distance, score_cutoff=limit) if near else None
            return hit[0] if hit else None
        cls = _bucket(text)
        classes = (cls, MIXED) if cls != MIXED else self._classes
        # Lengths nearest first: a string `gap` longer or shorter is at least `gap` edits away, so
        # once one is found within d edits, lengths further off than d are not looked at, and the
        # rest only for one as near (then first in alphabetical order): the scan's answer.
        best: tuple[float, str] | None = None
        size = len(text)
        for gap in range(limit + 1):
            if best is not None and gap > best[0]:
                break
            for length in (size - gap, size + gap) if gap else (size,):
                for group in classes:
                    strings = self._buckets.get((group, length))
                    if strings:
                        cutoff = limit if best is None else best[0]
                        found = self._process.extractOne(text, strings, scorer=OSA.distance, score_cutoff=cutoff)
                        if found and (best is None or (found[1], found[0]) < best):
                            best = (found[1], found[0])
        return best[1] if best else None


def _bucket(text: str) -> str:
    """The script of every character of `text` (digits are Latin), or MIXED."""
    return script_of(text, letters_only=False) or MIXED


def deletions(text: str, depth: int) -> set[str]:
    """`text` and every string left by deleting up to `depth` of its characters."""
    out = frontier = {text}
    for _ in range(depth):
        frontier = {s[:i] + s[i + 1 :] for s in frontier for i in range(len(s))}
        out = out | frontier
    return out
