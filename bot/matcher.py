"""Temporary: the names bot.answer, bot.knowledge and bot.tg.memory import, now in bot.matching
(this module is removed when their imports are retargeted)."""

from .matching import NEGATIVE, Context, Matcher, Thresholds

__all__ = ["NEGATIVE", "Context", "Matcher", "Thresholds"]
