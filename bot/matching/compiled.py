"""The compiled string comparisons matching makes: rapidfuzz's `process`, handed to the look-ups
as a value, so that benchmarks/bench_match.py can give them a stand-in that times each call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from rapidfuzz import process


class Process(Protocol):
    """What matching calls of rapidfuzz.process."""

    @property
    def extract(self) -> Callable[..., list[Any]]: ...

    @property
    def extractOne(self) -> Callable[..., Any]: ...


RAPIDFUZZ: Process = process
