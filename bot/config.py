"""One settings object, read from the environment once; nothing else reads os.environ."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from .knowledge import DEFAULT_ROOT

TELEGRAM_DEFAULT_BASE_URL = "https://api.telegram.org/bot"


class SettingsError(ValueError):
    """A setting is missing or wrong; the message names it."""


def _int(env: Mapping[str, str], name: str, default: int, low: int = 0, high: int = 10**9) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _ids(env: Mapping[str, str], name: str) -> frozenset[int]:
    raw = env.get(name, "")
    try:
        return frozenset(int(x) for x in raw.replace(";", ",").split(",") if x.strip())
    except ValueError:
        raise SettingsError(f"{name} must be a comma-separated list of Telegram user ids, got {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    token: str = field(default="", repr=False)
    api_base_url: str = TELEGRAM_DEFAULT_BASE_URL
    data_root: Path = DEFAULT_ROOT
    stale_days: int = 30
    context_seconds: int = 600  # how long a follow-up ("and damascus?") is read in context
    repeat_window_seconds: int = 120  # same question in a chat within this gets a pointer
    user_replies_per_minute: int = 5  # per user per group
    webhook_url: str = ""  # set to use webhook mode instead of long polling
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: str = field(default="", repr=False)
    operators: frozenset[int] = frozenset()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        webhook_url = env.get("FACTBOT_WEBHOOK_URL", "").strip()
        secret = env.get("FACTBOT_WEBHOOK_SECRET", "")
        if webhook_url and not secret:
            raise SettingsError("FACTBOT_WEBHOOK_SECRET must be set when FACTBOT_WEBHOOK_URL is (Telegram sends it with every update)")
        return cls(
            token=env.get("TELEGRAM_BOT_TOKEN", "").strip(),
            api_base_url=env.get("TELEGRAM_API_BASE_URL", "").strip() or TELEGRAM_DEFAULT_BASE_URL,
            data_root=Path(env.get("FACTBOT_DATA", "") or DEFAULT_ROOT),
            stale_days=_int(env, "FACTBOT_STALE_DAYS", 30, 1, 100000),
            context_seconds=_int(env, "FACTBOT_CONTEXT_SECONDS", 600, 0, 86400),
            repeat_window_seconds=_int(env, "FACTBOT_REPEAT_WINDOW_SECONDS", 120, 0, 86400),
            user_replies_per_minute=_int(env, "FACTBOT_USER_REPLIES_PER_MINUTE", 5, 1, 1000),
            webhook_url=webhook_url,
            webhook_listen=env.get("FACTBOT_WEBHOOK_LISTEN", "127.0.0.1"),
            webhook_port=_int(env, "FACTBOT_WEBHOOK_PORT", 8443, 1, 65535),
            webhook_secret=secret,
            operators=_ids(env, "FACTBOT_OPERATORS"),
        )
