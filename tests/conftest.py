"""Shared fixtures: the bundled knowledge base, loaded once per test session."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeBase, load

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 25)  # fixed, so staleness wording is stable


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load(ROOT)
