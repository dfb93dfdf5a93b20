"""Settings: one object, from the environment and an optional file, checked at start."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import OPTIONS, Settings, SettingsError
from bot.knowledge import DEFAULT_ROOT

from .fake_bot_api import TOKEN

ROOT = Path(__file__).resolve().parent.parent
SECRET = "hook-secret-never-real_42"


def test_no_environment_gives_the_defaults():
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.data_root == DEFAULT_ROOT
    assert set(settings.origin.values()) == {"default"}


def test_every_field_is_declared_once_as_an_option():
    names = [o.name for o in OPTIONS]
    attrs = [o.attr for o in OPTIONS]
    assert len(set(names)) == len(names) and len(set(attrs)) == len(attrs)
    assert set(attrs) == {f.name for f in dataclasses.fields(Settings)} - {"origin", "config_file"}
    for option in OPTIONS:  # the default as written in an env file is the dataclass default
        assert option.parse(option.name, option.default) == getattr(Settings(), option.attr), option.name
    shown = {f.name for f in dataclasses.fields(Settings) if f.repr}
    assert {o.attr for o in OPTIONS if o.secret}.isdisjoint(shown), "a secret never appears in repr(settings)"


def test_values_are_read_and_normalised():
    settings = Settings.from_env({
        "TELEGRAM_BOT_TOKEN": f" {TOKEN} ", "FACTBOT_LOG_FORMAT": "JSON", "FACTBOT_LOG_LEVEL": "debug",
        "FACTBOT_HEALTH_PORT": "9100", "FACTBOT_HEALTH_LISTEN": "0.0.0.0", "FACTBOT_DROP_PENDING_UPDATES": "yes",
        "FACTBOT_WEBHOOK_URL": "https://bot.example.org/factbot/hook", "FACTBOT_WEBHOOK_SECRET": SECRET,
        "FACTBOT_WEBHOOK_LISTEN": "::1", "FACTBOT_OPERATORS": "1, 2;3", "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
    })
    assert settings.token == TOKEN
    assert (settings.log_format, settings.log_level) == ("json", "DEBUG")
    assert (settings.health_port, settings.health_listen) == (9100, "0.0.0.0")
    assert settings.drop_pending_updates is True
    assert settings.webhook_listen == "::1" and settings.operators == frozenset({1, 2, 3})
    assert settings.origin["FACTBOT_HEALTH_PORT"] == "env" and settings.origin["FACTBOT_STALE_DAYS"] == "default"


@pytest.mark.parametrize("value,expected", [("true", True), ("On", True), ("1", True),
                                            ("no", False), ("OFF", False), ("0", False)])
def test_booleans_accept_the_usual_spellings(value, expected):
    assert Settings.from_env({"FACTBOT_DROP_PENDING_UPDATES": value}).drop_pending_updates is expected


WEBHOOK = {"FACTBOT_WEBHOOK_URL": "https://bot.example.org/hook", "FACTBOT_WEBHOOK_SECRET": SECRET}


@pytest.mark.parametrize("env,setting,hint", [
    ({"FACTBOT_WEBHOOK_URL": "http://bot.example.org/hook", "FACTBOT_WEBHOOK_SECRET": SECRET}, "FACTBOT_WEBHOOK_URL", "https"),
    ({"FACTBOT_WEBHOOK_URL": "bot.example.org/hook", "FACTBOT_WEBHOOK_SECRET": SECRET}, "FACTBOT_WEBHOOK_URL", "https"),
    ({"FACTBOT_WEBHOOK_URL": "https://bot.example.org:8080/hook", "FACTBOT_WEBHOOK_SECRET": SECRET},
     "FACTBOT_WEBHOOK_URL", "8443"),
    ({"FACTBOT_WEBHOOK_URL": "https://bot.example.org/hook"}, "FACTBOT_WEBHOOK_SECRET", "must be set"),
    ({**WEBHOOK, "FACTBOT_WEBHOOK_SECRET": "has spaces in it"}, "FACTBOT_WEBHOOK_SECRET", "letters, digits"),
    ({"FACTBOT_WEBHOOK_PORT": "0"}, "FACTBOT_WEBHOOK_PORT", "1-65535"),
    ({"FACTBOT_WEBHOOK_PORT": "70000"}, "FACTBOT_WEBHOOK_PORT", "1-65535"),
    ({"FACTBOT_WEBHOOK_PORT": "https"}, "FACTBOT_WEBHOOK_PORT", "TCP port"),
    ({"FACTBOT_WEBHOOK_LISTEN": "not a host!"}, "FACTBOT_WEBHOOK_LISTEN", "IP address"),
    ({"FACTBOT_HEALTH_PORT": "-1"}, "FACTBOT_HEALTH_PORT", "0 turns it off"),
    ({"FACTBOT_HEALTH_PORT": "eighty"}, "FACTBOT_HEALTH_PORT", "TCP port"),
    ({"FACTBOT_HEALTH_LISTEN": "http://0.0.0.0"}, "FACTBOT_HEALTH_LISTEN", "IP address"),
    ({**WEBHOOK, "FACTBOT_HEALTH_PORT": "8443"}, "FACTBOT_HEALTH_PORT", "differ"),
    ({"FACTBOT_LOG_FORMAT": "xml"}, "FACTBOT_LOG_FORMAT", "text, json"),
    ({"FACTBOT_LOG_LEVEL": "LOUD"}, "FACTBOT_LOG_LEVEL", "DEBUG, INFO"),
    ({"FACTBOT_DROP_PENDING_UPDATES": "maybe"}, "FACTBOT_DROP_PENDING_UPDATES", "true or false"),
    ({"TELEGRAM_API_BASE_URL": "ftp://files.example.org/bot"}, "TELEGRAM_API_BASE_URL", "http"),
    ({"TELEGRAM_API_BASE_URL": "api.telegram.org/bot"}, "TELEGRAM_API_BASE_URL", "http"),
    ({"FACTBOT_STALE_DAYS": "0"}, "FACTBOT_STALE_DAYS", "between 1"),
    ({"FACTBOT_CONTEXT_SECONDS": "ten"}, "FACTBOT_CONTEXT_SECONDS", "whole number"),
    ({"FACTBOT_REPEAT_WINDOW_SECONDS": "-5"}, "FACTBOT_REPEAT_WINDOW_SECONDS", "between 0"),
    ({"FACTBOT_USER_REPLIES_PER_MINUTE": "0"}, "FACTBOT_USER_REPLIES_PER_MINUTE", "between 1"),
    ({"FACTBOT_OPERATORS": "alice,bob"}, "FACTBOT_OPERATORS", "user ids"),
    ({"FACTBOT_HEALHT_PORT": "8080"}, "FACTBOT_HEALHT_PORT", "not a factbot setting"),
])
def test_a_wrong_value_stops_with_one_line_naming_the_setting(env, setting, hint):
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(env)
    message = str(raised.value)
    assert message.startswith(setting), message
    assert hint in message
    assert "\n" not in message


def test_a_malformed_token_is_named_but_never_echoed():
    leaked = "123456:ABC def-this-is-secret"
    problem = Settings.from_env({"TELEGRAM_BOT_TOKEN": leaked}).token_problem()
    assert problem.startswith("TELEGRAM_BOT_TOKEN does not look like a bot token")
    assert "secret" not in problem and "ABC" not in problem
    assert Settings.from_env({"TELEGRAM_BOT_TOKEN": "123456:ABC-def_1"}).token_problem() is None


def test_the_command_line_harness_needs_no_valid_token(kb):
    """`ask` works whatever TELEGRAM_BOT_TOKEN holds: only `run` uses it."""
    import subprocess
    import sys as _sys

    from .conftest import ROOT

    env = {"PATH": "/usr/bin:/bin", "TELEGRAM_BOT_TOKEN": "not a token"}
    out = subprocess.run([_sys.executable, "-m", "bot", "ask", "--json", "where is assad"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert '"intent": "assad_whereabouts"' in out.stdout


def test_empty_values_count_as_unset():
    settings = Settings.from_env({"FACTBOT_WEBHOOK_PORT": "", "FACTBOT_HEALTH_PORT": "  ", "FACTBOT_DATA": ""})
    assert settings == Settings()


# -- the file --------------------------------------------------------------------------------------
def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "factbot.env"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_file_is_read_and_the_environment_wins(tmp_path):
    path = write(tmp_path, f"""# comment
TELEGRAM_BOT_TOKEN={TOKEN}
export FACTBOT_HEALTH_PORT=9100
FACTBOT_LOG_FORMAT="json"
FACTBOT_LOG_LEVEL='warning'

FACTBOT_STALE_DAYS=
""")
    settings = Settings.from_env({"FACTBOT_CONFIG_FILE": str(path), "FACTBOT_LOG_FORMAT": "text", "FACTBOT_STALE_DAYS": "7"})
    assert settings.config_file == path
    assert settings.token == TOKEN and settings.origin["TELEGRAM_BOT_TOKEN"] == "file"
    assert settings.health_port == 9100 and settings.origin["FACTBOT_HEALTH_PORT"] == "file"
    assert settings.log_format == "text" and settings.origin["FACTBOT_LOG_FORMAT"] == "env"
    assert settings.log_level == "WARNING"
    assert settings.stale_days == 7 and settings.origin["FACTBOT_STALE_DAYS"] == "env"
    assert settings.origin["FACTBOT_WEBHOOK_PORT"] == "default"


def test_an_empty_environment_value_falls_back_to_the_file(tmp_path):
    path = write(tmp_path, "FACTBOT_HEALTH_PORT=9100\n")
    settings = Settings.from_env({"FACTBOT_CONFIG_FILE": str(path), "FACTBOT_HEALTH_PORT": ""})
    assert (settings.health_port, settings.origin["FACTBOT_HEALTH_PORT"]) == (9100, "file")


@pytest.mark.parametrize("text,expected", [
    ("FACTBOT_HEALTH_PORT=abc\n", r"^FACTBOT_HEALTH_PORT must be a TCP port.*\(in .*factbot.env:1\)$"),
    ("# ok\nFACTBOT_HEALTH_PORT 9100\n", r"^FACTBOT_CONFIG_FILE .*factbot.env:2: expected KEY=VALUE"),
    ("FACTBOT_HELTH_PORT=9100\n", r"^FACTBOT_CONFIG_FILE .*factbot.env:1: FACTBOT_HELTH_PORT is not a factbot setting"),
    ("FACTBOT_CONFIG_FILE=/etc/other.env\n",
     r"^FACTBOT_CONFIG_FILE .*:1: FACTBOT_CONFIG_FILE can only be set in the environment"),
])
def test_a_wrong_file_names_the_file_line_and_setting(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(SettingsError, match=expected):
        Settings.from_env({"FACTBOT_CONFIG_FILE": str(path)})


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(SettingsError, match=r"^FACTBOT_CONFIG_FILE .*nowhere.env: cannot be read"):
        Settings.from_env({"FACTBOT_CONFIG_FILE": str(tmp_path / "nowhere.env")})


def test_a_line_without_equals_is_named_by_line_and_key_and_never_quoted(tmp_path):
    """`TELEGRAM_BOT_TOKEN 123456:ABC...` (a space for the "="): the error named the line by
    quoting it, bot id and the start of the secret included."""
    path = write(tmp_path, f"# settings\nTELEGRAM_BOT_TOKEN {TOKEN}\n")
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"FACTBOT_CONFIG_FILE": str(path)})
    message = str(caught.value)
    assert "factbot.env:2: expected KEY=VALUE" in message and "TELEGRAM_BOT_TOKEN" in message
    bot_id, secret = TOKEN.split(":")
    assert bot_id not in message and secret[:4] not in message


def special_file_env(tmp_path: Path, kind: str) -> dict[str, str]:
    if kind == "device":
        return {"FACTBOT_CONFIG_FILE": "/dev/zero"}
    if kind == "FIFO":
        os.mkfifo(tmp_path / "factbot.env")
    elif kind == "folder":
        (tmp_path / "factbot.env").mkdir()
    else:  # a regular file past the limit
        write(tmp_path, "# " + "x" * 200_000 + "\n")
    return {"FACTBOT_CONFIG_FILE": str(tmp_path / "factbot.env")}


@pytest.mark.parametrize("kind,says", [("device", "not a regular file"), ("FIFO", "not a regular file"),
                                       ("folder", "is a folder"), ("oversized file", "bytes, the limit")])
def test_only_a_regular_file_of_limited_size_is_read_as_the_config_file(tmp_path, kind, says):
    """/dev/zero grew to gigabytes, a FIFO hung: each is now one line naming the file, at once.
    Run as `python -m bot config` under a memory cap and a time limit, so a regression fails
    instead of taking the machine's memory or hanging the suite."""
    env = special_file_env(tmp_path, kind)
    result = subprocess.run(["/bin/sh", "-c", f"ulimit -v 2000000; exec {sys.executable} -m bot config"],
                            cwd=ROOT, env={**clean_env(), **env}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr[-500:]
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"configuration error: FACTBOT_CONFIG_FILE {env['FACTBOT_CONFIG_FILE']}: ") and says in line


def test_a_password_in_a_url_is_masked_by_config_and_in_errors():
    result = run_cli("config", env={"TELEGRAM_API_BASE_URL": "http://proxy:s3cr3t-pw@127.0.0.1:8081/bot"})
    assert result.returncode == 0, result.stderr
    assert "s3cr3t-pw" not in result.stdout
    assert "TELEGRAM_API_BASE_URL=http://proxy:<masked>@127.0.0.1:8081/bot " in result.stdout
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"FACTBOT_WEBHOOK_URL": "http://hook:s3cr3t-pw@bot.example.org/hook"})
    assert "s3cr3t-pw" not in str(caught.value) and "<masked>" in str(caught.value)


def test_secrets_lists_every_secret_the_bot_holds():
    settings = Settings(token=TOKEN, webhook_secret=SECRET, hash_key="the-hash-key",
                        api_base_url="https://u:p%40ss@api.example.org/bot")
    assert set(settings.secrets()) == {TOKEN, SECRET, "the-hash-key", "p%40ss", "p@ss"}


# -- python -m bot config ---------------------------------------------------------------------------
def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("FACTBOT_", "TELEGRAM_"))}


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env={**clean_env(), **env},
                          capture_output=True, text=True, timeout=60)


def test_config_command_prints_every_setting_with_its_source_and_masks_secrets(tmp_path):
    path = write(tmp_path, f"FACTBOT_WEBHOOK_SECRET={SECRET}\nFACTBOT_HEALTH_PORT=9100\n")
    result = run_cli("config", env={
        "TELEGRAM_BOT_TOKEN": TOKEN, "FACTBOT_CONFIG_FILE": str(path),
        "FACTBOT_WEBHOOK_URL": "https://bot.example.org/factbot/hook", "FACTBOT_LOG_FORMAT": "json"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert TOKEN not in out + result.stderr and TOKEN.split(":")[1] not in out
    assert SECRET not in out + result.stderr
    lines = {line.split("=", 1)[0]: line for line in out.splitlines() if not line.startswith("#")}
    assert set(lines) == {o.name for o in OPTIONS}, "one line per setting"
    assert lines["TELEGRAM_BOT_TOKEN"].split("#")[-1].strip() == "env" and "masked" in lines["TELEGRAM_BOT_TOKEN"]
    assert "masked" in lines["FACTBOT_WEBHOOK_SECRET"] and lines["FACTBOT_WEBHOOK_SECRET"].endswith("# file")
    health = lines["FACTBOT_HEALTH_PORT"]
    assert health.startswith("FACTBOT_HEALTH_PORT=9100 ") and health.endswith("# file")
    assert lines["FACTBOT_LOG_FORMAT"].startswith("FACTBOT_LOG_FORMAT=json ") and lines["FACTBOT_LOG_FORMAT"].endswith("# env")
    assert lines["FACTBOT_STALE_DAYS"].startswith("FACTBOT_STALE_DAYS=30 ") and lines["FACTBOT_STALE_DAYS"].endswith("# default")
    assert f"# config file: {path}" in out


def test_a_configuration_error_is_one_line_and_exit_status_2():
    result = run_cli("config", env={"FACTBOT_HEALTH_PORT": "eighty"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "configuration error: FACTBOT_HEALTH_PORT must be a TCP port, 0-65535 (0 turns it off), got 'eighty'"]
