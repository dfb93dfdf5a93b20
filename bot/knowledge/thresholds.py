"""intents/thresholds.yaml: the matcher's decision thresholds, as tuned on the development sets."""

from __future__ import annotations

from pathlib import Path

from ..matching import Thresholds
from ..yamlsource import LineDict, line_of
from .collector import Collector
from .fields import check_keys

_NAMES = ("out_of_scope", "doubt", "negative_margin", "ambiguity", "follow_up_max_words")


def load_thresholds(c: Collector, path: Path) -> Thresholds:
    """The thresholds in the file; the defaults when it is absent or wrong."""
    if not path.exists():
        return Thresholds()
    data = c.read(path)
    if not isinstance(data, LineDict):
        return Thresholds()
    check_keys(c, path, data, {*_NAMES, "chosen_by"}, set(), "thresholds")
    values = {k: data[k] for k in _NAMES if k in data}
    for key, value in values.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 100:
            c.add(path, line_of(data, key), f"threshold '{key}' must be a number, got {value!r}")
            return Thresholds()
    return Thresholds(**values)
