"""One settings object; nothing else reads os.environ.

Every setting is declared once, in `OPTIONS`: its environment variable, its default (as it
would be written in an env file), how it is checked, and a one-line meaning. Values come from
the environment and, when `FACTBOT_CONFIG_FILE` names one, from a KEY=VALUE file (the same
format as systemd's EnvironmentFile and Docker's env_file); the environment wins over the file,
the file over the default. An empty value counts as unset. A wrong value stops the bot with
one `SettingsError` line that names the setting and never echoes a secret.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from .answer import STALE_DAYS
from .knowledge import DEFAULT_ROOT
from .yamlsource import NotAFile, read_regular_file

TELEGRAM_DEFAULT_BASE_URL = "https://api.telegram.org/bot"
CONFIG_FILE_VARIABLE = "FACTBOT_CONFIG_FILE"
WEBHOOK_PUBLIC_PORTS = (443, 80, 88, 8443)  # the only ports Telegram delivers webhooks to
CONFIG_FILE_MAX_BYTES = 100_000  # a full env file is under 10 kB
DB_FILE = "factbot.sqlite3"
LEDGER_FILE = "updates.sqlite3"  # bot/tg/ledger.py: updates received and handled
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"  # one dot-separated part of a host name
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")


class SettingsError(ValueError):
    """A setting is missing or wrong; the message names it."""


# -- parsers: (name, raw text) -> value; raise SettingsError naming the setting ---------------------
def _text(name: str, raw: str) -> str:
    return raw.strip()


def _path(name: str, raw: str) -> Path:
    return Path(raw.strip()).expanduser()


def _data_root(name: str, raw: str) -> Path:
    return _path(name, raw) if raw.strip() else DEFAULT_ROOT


def _optional_path(name: str, raw: str) -> Path | None:
    return _path(name, raw) if raw.strip() else None


def _int(low: int, high: int) -> Callable[[str, str], int]:
    def parse(name: str, raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
        if not low <= value <= high:
            raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
        return value

    return parse


def _port(allow_off: bool = False) -> Callable[[str, str], int]:
    inner = _int(0 if allow_off else 1, 65535)

    def parse(name: str, raw: str) -> int:
        try:
            return inner(name, raw)
        except SettingsError:
            hint = " (0 turns it off)" if allow_off else ""
            raise SettingsError(f"{name} must be a TCP port, {0 if allow_off else 1}-65535{hint}, got {raw!r}") from None

    return parse


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false (also yes/no, on/off, 1/0), got {raw!r}")


def _choice(*choices: str, upper: bool = False) -> Callable[[str, str], str]:
    def parse(name: str, raw: str) -> str:
        value = raw.strip().upper() if upper else raw.strip().lower()
        if value not in choices:
            raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
        return value

    return parse


def url_password(url: str) -> str:
    """The password of a `user:pass@host` URL, as written in it ("" when it has none)."""
    userinfo, at, _ = urlparse(url).netloc.rpartition("@")
    _, colon, password = userinfo.partition(":")
    return password if at and colon else ""


def mask_url(url: str) -> str:
    """The URL with the password of a `user:pass@` part replaced by <masked>."""
    password = url_password(url)
    if not password:
        return url
    parsed = urlparse(url)
    user = parsed.netloc.rpartition("@")[0].partition(":")[0]
    return parsed._replace(netloc=f"{user}:<masked>@{parsed.netloc.rpartition('@')[2]}").geturl()


def _url(name: str, raw: str) -> str:
    value = raw.strip()
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise SettingsError(f"{name} must be an http:// or https:// URL, got {mask_url(value)!r}")
    return value


def _webhook_url(name: str, raw: str) -> str:
    value = raw.strip()
    if not value:
        return ""
    parsed = urlparse(value)
    if parsed.scheme != "https" or not parsed.hostname:
        raise SettingsError(f"{name} must be an https:// URL (Telegram only delivers webhooks over HTTPS), "
                            f"got {mask_url(value)!r}")
    try:
        port = parsed.port
    except ValueError:
        raise SettingsError(f"{name} has an invalid port: {mask_url(value)!r}") from None
    if port is not None and port not in WEBHOOK_PUBLIC_PORTS:
        raise SettingsError(f"{name} must use port {', '.join(map(str, WEBHOOK_PUBLIC_PORTS))} "
                            f"(the only ones Telegram delivers to), got {port}")
    return value


def _host(name: str, raw: str) -> str:
    value = raw.strip()
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    if not _HOSTNAME.match(value):
        raise SettingsError(f"{name} must be an IP address or host name to listen on (e.g. 127.0.0.1 or 0.0.0.0), got {value!r}")
    return value


def _token(name: str, raw: str) -> str:
    """Kept as given: only `run` needs a token, and it checks the form (see token_problem)."""
    return raw.strip()


_TOKEN_FORM = re.compile(r"\d+:[A-Za-z0-9_-]+")


def _webhook_secret(name: str, raw: str) -> str:
    value = raw.strip()
    if value and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value):
        raise SettingsError(f"{name} must be 1-256 characters, only letters, digits, _ and - "
                            "(e.g. the output of `openssl rand -hex 32`)")
    return value


# Accounts Telegram names as the sender of messages no person can be held to: an anonymous group
# admin (GroupAnonymousBot), a channel posting in a group (Channel_Bot), a channel post forwarded
# into its discussion group (777000). As an operator, any of them would let strangers in.
SERVICE_ACCOUNTS = {1087968824: "GroupAnonymousBot", 136817688: "Channel_Bot", 777000: "Telegram"}


def _ids(name: str, raw: str) -> frozenset[int]:
    try:
        ids = frozenset(int(x) for x in raw.replace(";", ",").split(",") if x.strip())
    except ValueError:
        raise SettingsError(f"{name} must be a comma-separated list of Telegram user ids, got {raw!r}") from None
    for uid in sorted(ids):
        if uid <= 0:
            raise SettingsError(f"{name} takes user ids, which are positive; {uid} is a group or channel id")
        if uid in SERVICE_ACCOUNTS:
            raise SettingsError(f"{name}: {uid} is Telegram's {SERVICE_ACCOUNTS[uid]} account, which stands for "
                                "anyone who posts anonymously or as a channel; list people's own user ids")
    return ids


@dataclass(frozen=True)
class Option:
    """One setting: environment variable, Settings attribute, default as written in an env file."""

    name: str
    attr: str
    default: str
    parse: Callable[[str, str], Any]
    help: str
    secret: bool = False

    def show(self, value: Any) -> str:
        """The value as `python -m bot config` prints it (secrets masked)."""
        if self.secret:
            return "<set, masked>" if value else ""
        if isinstance(value, frozenset):
            return ",".join(str(v) for v in sorted(value))
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return mask_url(value)
        return "" if value is None else str(value)


OPTIONS: tuple[Option, ...] = (
    Option("TELEGRAM_BOT_TOKEN", "token", "", _token,
           "the bot token from @BotFather; required for `run`; keep it secret", secret=True),
    Option("TELEGRAM_API_BASE_URL", "api_base_url", TELEGRAM_DEFAULT_BASE_URL, _url,
           "Bot API base URL; a self-hosted Bot API server is http://HOST:PORT/bot"),
    Option("FACTBOT_API_TIMEOUT_SECONDS", "api_timeout_seconds", "10", _int(1, 300),
           "seconds to wait to connect to the Bot API, send a call and get its answer; then it is retried"),
    Option("FACTBOT_DATA", "data_root", "", _data_root,
           "folder holding knowledge/, intents/ and locales/; empty: the ones next to the code"),
    Option("FACTBOT_STATE_DIR", "state_dir", "", _optional_path,
           "writable folder for the bot's files, checked at start; empty: nothing is written to disk"),
    Option("FACTBOT_DB", "db", "", _optional_path,
           "SQLite file recording questions and feedback; empty: <FACTBOT_STATE_DIR>/factbot.sqlite3, "
           "or nothing recorded without a state dir"),
    Option("FACTBOT_HASH_KEY", "hash_key", "", _text,
           "secret key for the keyed hash of user ids; empty: generated once and kept next to the database",
           secret=True),
    Option("FACTBOT_RETENTION_DAYS", "retention_days", "90", _int(1, 36500),
           "recorded questions and feedback older than this many days are deleted (at start and daily)"),
    Option("FACTBOT_FEEDBACK_IN_GROUPS", "feedback_in_groups", "false", _bool,
           "true: answers in groups carry the useful / not useful buttons too (always in private chats)"),
    Option("FACTBOT_STALE_DAYS", "stale_days", str(STALE_DAYS), _int(1, 100000),
           "warn when the newest fact in an answer is older than this many days"),
    Option("FACTBOT_CONTEXT_SECONDS", "context_seconds", "600", _int(0, 86400),
           "how long a follow-up (\"and Damascus?\") is read in context; 0 turns it off"),
    Option("FACTBOT_REPEAT_WINDOW_SECONDS", "repeat_window_seconds", "120", _int(0, 86400),
           "the same question in a group within this gets a pointer to the earlier answer"),
    Option("FACTBOT_USER_REPLIES_PER_MINUTE", "user_replies_per_minute", "5", _int(1, 1000),
           "answers per person per group per minute"),
    Option("FACTBOT_OPERATORS", "operators", "", _ids,
           "comma-separated Telegram user ids of the bot's operators"),
    Option("FACTBOT_DROP_PENDING_UPDATES", "drop_pending_updates", "false", _bool,
           "true: skip updates that queued up while the bot was down (no stale answers after an outage)"),
    Option("FACTBOT_WEBHOOK_URL", "webhook_url", "", _webhook_url,
           "public https:// URL for webhook mode; empty: long polling"),
    Option("FACTBOT_WEBHOOK_SECRET", "webhook_secret", "", _webhook_secret,
           "secret Telegram sends with every webhook update; required with FACTBOT_WEBHOOK_URL", secret=True),
    Option("FACTBOT_WEBHOOK_LISTEN", "webhook_listen", "127.0.0.1", _host,
           "address the webhook server listens on (behind the reverse proxy)"),
    Option("FACTBOT_WEBHOOK_PORT", "webhook_port", "8443", _port(),
           "port the webhook server listens on"),
    Option("FACTBOT_LOG_FORMAT", "log_format", "text", _choice("text", "json"),
           "text: one readable line per event; json: one JSON object per line"),
    Option("FACTBOT_LOG_LEVEL", "log_level", "INFO", _choice(*LOG_LEVELS, upper=True),
           "DEBUG also logs question texts; INFO never does"),
    Option("FACTBOT_HEALTH_PORT", "health_port", "0", _port(allow_off=True),
           "port of the /healthz and /metrics server; 0: off"),
    Option("FACTBOT_HEALTH_LISTEN", "health_listen", "127.0.0.1", _host,
           "address the /healthz and /metrics server listens on"),
)
BY_NAME = {o.name: o for o in OPTIONS}
BY_ATTR = {o.attr: o for o in OPTIONS}


def read_env_file(path: Path) -> dict[str, tuple[str, int]]:
    """KEY=VALUE lines (`export ` and matching quotes allowed, # comments) -> {KEY: (VALUE, line)}."""
    where = f"{CONFIG_FILE_VARIABLE} {path}"
    try:
        text = read_regular_file(path, CONFIG_FILE_MAX_BYTES).decode("utf-8")
    except NotAFile as exc:
        raise SettingsError(f"{where}: {exc}") from None
    except OSError as exc:
        raise SettingsError(f"{where}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise SettingsError(f"{where}: is not UTF-8 text") from None
    values: dict[str, tuple[str, int]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not _KEY.match(key):
            # never quote the line: "TELEGRAM_BOT_TOKEN 123456:ABC..." would show the token
            named = re.match(r"[A-Za-z_][A-Za-z0-9_]*", line)
            about = f" (the line starts with {named.group(0)})" if named and named.group(0) in BY_NAME else ""
            raise SettingsError(f"{where}:{number}: expected KEY=VALUE{about}; the line is not shown, it may hold a secret")
        if key == CONFIG_FILE_VARIABLE:
            raise SettingsError(f"{where}:{number}: {CONFIG_FILE_VARIABLE} can only be set in the environment")
        if key not in BY_NAME:
            raise SettingsError(f"{where}:{number}: {key} is not a factbot setting (see deploy/factbot.env.example)")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = (value, number)
    return values


def _default(attr: str) -> Any:
    """The Settings field for `attr`: its default parsed from OPTIONS, secrets kept out of repr."""
    option = BY_ATTR[attr]
    return field(default=option.parse(option.name, option.default), repr=not option.secret)


@dataclass(frozen=True)
class Settings:
    """Every setting, checked; defaults come from OPTIONS (one field per option, same name as its `attr`)."""

    token: str = _default("token")
    api_base_url: str = _default("api_base_url")
    api_timeout_seconds: int = _default("api_timeout_seconds")
    data_root: Path = _default("data_root")
    state_dir: Path | None = _default("state_dir")
    db: Path | None = _default("db")  # None: <state_dir>/factbot.sqlite3, or nothing recorded (see db_path)
    hash_key: str = _default("hash_key")
    retention_days: int = _default("retention_days")
    feedback_in_groups: bool = _default("feedback_in_groups")
    stale_days: int = _default("stale_days")
    context_seconds: int = _default("context_seconds")
    repeat_window_seconds: int = _default("repeat_window_seconds")
    user_replies_per_minute: int = _default("user_replies_per_minute")
    operators: frozenset[int] = _default("operators")
    drop_pending_updates: bool = _default("drop_pending_updates")
    webhook_url: str = _default("webhook_url")
    webhook_secret: str = _default("webhook_secret")
    webhook_listen: str = _default("webhook_listen")
    webhook_port: int = _default("webhook_port")
    log_format: str = _default("log_format")
    log_level: str = _default("log_level")
    health_port: int = _default("health_port")
    health_listen: str = _default("health_listen")
    # where each value came from ("env", "file" or "default"), by variable name; and the file read
    origin: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    config_file: Path | None = field(default=None, compare=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read and check every setting: environment first, then FACTBOT_CONFIG_FILE, then defaults."""
        env = os.environ if env is None else env
        unknown = sorted(k for k in env if k.startswith("FACTBOT_") and k not in BY_NAME and k != CONFIG_FILE_VARIABLE)
        if unknown:
            raise SettingsError(f"{unknown[0]} is not a factbot setting (a typo? see deploy/factbot.env.example)")
        config_file = Path(env[CONFIG_FILE_VARIABLE]).expanduser() if env.get(CONFIG_FILE_VARIABLE, "").strip() else None
        from_file = read_env_file(config_file) if config_file else {}
        values: dict[str, Any] = {}
        origin: dict[str, str] = {}
        for option in OPTIONS:
            raw, source, where = env.get(option.name, ""), "env", ""
            if not raw.strip() and from_file.get(option.name, ("", 0))[0].strip():
                (raw, line), source = from_file[option.name], "file"
                where = f" (in {config_file}:{line})"
            if not raw.strip():
                raw, source = option.default, "default"
            try:
                values[option.attr] = option.parse(option.name, raw)
            except SettingsError as exc:
                raise SettingsError(f"{exc}{where}") from None
            origin[option.name] = source
        settings = cls(**values, origin=origin, config_file=config_file)
        settings.check()
        return settings

    def db_path(self) -> Path | None:
        """Where questions and feedback are recorded: FACTBOT_DB, else the state dir's
        factbot.sqlite3, else None (nothing is recorded)."""
        if self.db is not None:
            return self.db
        return self.state_dir / DB_FILE if self.state_dir is not None else None

    def ledger_path(self) -> Path | None:
        """Where updates received and handled are kept across restarts: the state dir's
        updates.sqlite3, else None (kept in memory)."""
        return self.state_dir / LEDGER_FILE if self.state_dir is not None else None

    def secrets(self) -> tuple[str, ...]:
        """Every secret value the bot holds, as the log filter must hide it: the token, the webhook
        secret, the hash key, and the password of a URL setting (as written and decoded)."""
        found = [getattr(self, o.attr) for o in OPTIONS if o.secret]
        for url in (self.api_base_url, self.webhook_url):
            password = url_password(url)
            found += [password, unquote(password)]
        return tuple(dict.fromkeys(s for s in found if s))

    def token_problem(self) -> str | None:
        """Why the token cannot be used to run the bot, or None. Never repeats the token."""
        if not self.token:
            return "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather (see docs/telegram.md) and export it."
        if not _TOKEN_FORM.fullmatch(self.token):
            # never echo the value: it may be a real token pasted with a typo
            return ("TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then letters, digits, _ or -); "
                    "copy it again from @BotFather")
        return None

    def check(self) -> None:
        """Rules across settings."""
        if self.webhook_url and not self.webhook_secret:
            raise SettingsError("FACTBOT_WEBHOOK_SECRET must be set when FACTBOT_WEBHOOK_URL is "
                                "(Telegram sends it with every update)")
        if self.webhook_url and self.health_port and self.health_port == self.webhook_port:
            raise SettingsError(f"FACTBOT_HEALTH_PORT must differ from FACTBOT_WEBHOOK_PORT (both {self.health_port})")

    def effective(self) -> list[tuple[Option, str, str]]:
        """(option, value as shown with secrets masked, where it came from) for every setting."""
        return [(o, o.show(getattr(self, o.attr)), self.origin.get(o.name, "default")) for o in OPTIONS]

