"""deploy/ and docs/deploy.md: the image, compose, the systemd unit, the proxy, the env file.

Static checks always run; the ones that need a tool (docker daemon, systemd-analyze, nginx)
run where it is available and are skipped with the reason otherwise.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from bot.config import BY_NAME, OPTIONS, Settings, SettingsError
from bot.knowledge import load
from bot.observability import Handled, Metrics, Observer

from .fake_bot_api import TOKEN

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DOCS = ROOT / "docs" / "deploy.md"
DATA_DIRS = ("knowledge", "intents", "locales")


# -- helpers ------------------------------------------------------------------------------------------
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in (DEPLOY / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        full = pending + line
        pending = ""
        word, _, rest = full.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def instructions(name: str) -> list[str]:
    return [args for word, args in dockerfile() if word == name]


def docker_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for args in instructions("ENV"):
        env.update(dict(re.findall(r"(\w+)=(\S+)", args)))
    return env


def unit() -> list[tuple[str, str, str]]:
    """(section, key, value) of deploy/factbot.service, repeated keys kept."""
    section, out = "", []
    for line in (DEPLOY / "factbot.service").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        out.append((section, key.strip(), value.strip()))
    return out


def unit_values(key: str) -> list[str]:
    return [v for _, k, v in unit() if k == key]


def env_example_lines() -> dict[str, tuple[str, bool]]:
    """{NAME: (value, commented)} for every KEY=VALUE line, commented (#KEY=) or not."""
    out = {}
    for line in (DEPLOY / "factbot.env.example").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^(#?)([A-Z][A-Z0-9_]*)=(.*)$", line)
        if m:
            assert m.group(2) not in out, f"{m.group(2)} is listed twice"
            out[m.group(2)] = (m.group(3), bool(m.group(1)))
    return out


def docs() -> str:
    return DOCS.read_text(encoding="utf-8")


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


# -- Dockerfile ----------------------------------------------------------------------------------------
def test_dockerfile_starts_from_a_python_311_slim_patch_release():
    """python:3.11-slim moved under the image at every build: pinned to a patch release."""
    [base] = instructions("FROM")
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", base.split()[0]), base


def test_dockerfile_installs_the_locked_dependencies_then_the_code_without_resolving():
    copies = [c.split()[0] for c in instructions("COPY")]
    runs = instructions("RUN")
    assert "requirements.lock" in copies and "pyproject.toml" in copies
    locked = [i for i, r in enumerate(runs) if re.search(r"\bpip install --require-hashes -r requirements\.lock\b", r)]
    code = [i for i, r in enumerate(runs) if re.search(r"\bpip install --no-deps \.(\s|$)", r)]
    assert locked and code and locked[0] < code[0], runs
    assert not [r for r in runs if re.search(r"\bpip install\b", r) and "--require-hashes" not in r and "--no-deps" not in r]


def test_dockerfile_runs_as_a_non_root_user_after_installing():
    words = [w for w, _ in dockerfile()]
    users = instructions("USER")
    assert users, "the image needs a USER"
    assert users[-1].split(":")[0] not in ("root", "0")
    last_user = len(words) - 1 - words[::-1].index("USER")
    assert "RUN" not in words[last_user:], "nothing runs as root after USER"
    assert words.index("ENTRYPOINT") > last_user


def test_dockerfile_has_a_healthcheck_on_healthz():
    [check] = instructions("HEALTHCHECK")
    assert "/healthz" in check and "CMD" in check
    env = docker_env()
    assert int(env["FACTBOT_HEALTH_PORT"]) > 0, "the image turns the health server on for its HEALTHCHECK"


def test_dockerfile_bakes_the_knowledge_where_factbot_data_points():
    data = docker_env()["FACTBOT_DATA"]
    copied = {c.split()[0]: c.split()[1] for c in instructions("COPY")}
    for folder in DATA_DIRS:
        assert copied.get(folder) == f"{data}/{folder}", f"{folder} is not copied to {data}/{folder}"


def test_dockerfile_state_volume_is_the_state_dir():
    env = docker_env()
    assert json.loads(instructions("VOLUME")[0]) == [env["FACTBOT_STATE_DIR"]]


def test_dockerfile_defaults_are_valid_settings():
    env = docker_env()
    factbot = {k: v for k, v in env.items() if k in BY_NAME}
    assert set(k for k in env if k.startswith("FACTBOT_")) == set(factbot), "only known settings"
    settings = Settings.from_env(factbot)
    assert settings.health_listen == "0.0.0.0" and settings.webhook_listen == "0.0.0.0"


def test_dockerignore_lets_in_everything_the_dockerfile_copies():
    allowed = {line.strip().strip("/")[1:].strip("/") for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
               if line.startswith("!")}
    for copy in instructions("COPY"):
        source = copy.split()[0]
        assert source.rstrip("/") in allowed, f"{source} is excluded by Dockerfile.dockerignore"
        assert (ROOT / source).exists()


def healthcheck_command() -> list[str]:
    [check] = instructions("HEALTHCHECK")
    return json.loads(check[check.index("CMD") + 3:].strip())


async def _run_healthcheck(port: int) -> int:
    command = healthcheck_command()
    assert command[0] == "python"
    env = {**os.environ, "FACTBOT_HEALTH_PORT": str(port)}
    process = await asyncio.create_subprocess_exec(sys.executable, *command[1:], env=env,
                                                   stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    return await asyncio.wait_for(process.wait(), 30)


async def test_the_healthcheck_command_passes_only_when_healthz_is_200(kb):
    observer = Observer()
    server = await observer.serve("127.0.0.1", 0, lambda: kb)
    try:
        assert await _run_healthcheck(server.port) != 0, "503: no API contact yet"
        observer.contact.touch()
        assert await _run_healthcheck(server.port) == 0
    finally:
        await observer.close()
    assert await _run_healthcheck(0) != 0, "health server off: unhealthy"


def test_the_baked_data_layout_loads_on_its_own(tmp_path):
    for folder in DATA_DIRS:
        shutil.copytree(ROOT / folder, tmp_path / folder)
    kb = load(tmp_path)
    assert kb.facts and kb.intents


def test_pip_install_from_pyproject_gives_a_working_bot(tmp_path):
    """What the image does: copy pyproject.toml and bot/, `pip install .`, run with FACTBOT_DATA."""
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(ROOT / "pyproject.toml", src)
    shutil.copytree(ROOT / "bot", src / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(wheels), str(src)]
    result = subprocess.run([*build, "--no-build-isolation"], capture_output=True, text=True, timeout=300)
    if result.returncode != 0:  # the venv's setuptools may lack bdist_wheel: build as the image does (isolated)
        result = subprocess.run(build, capture_output=True, text=True, timeout=300)
        offline = r"No matching distribution|Could not find a version|connection"
        if result.returncode != 0 and re.search(offline, result.stderr, re.I):
            pytest.skip(f"cannot build a wheel offline here: {result.stderr.strip().splitlines()[-1]}")
    assert result.returncode == 0, result.stderr
    [wheel] = wheels.glob("factbot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("bot/__main__.py", "bot/tg/app.py", "bot/observability.py", "bot/data/english_words.txt"):
        assert needed in names
    site, data = tmp_path / "site", tmp_path / "data"
    zipfile.ZipFile(wheel).extractall(site)
    for folder in DATA_DIRS:
        shutil.copytree(ROOT / folder, data / folder)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FACTBOT_", "TELEGRAM_"))}
    env = {**clean, "PYTHONPATH": str(site), "FACTBOT_DATA": str(data)}
    ask = subprocess.run([sys.executable, "-m", "bot", "ask", "--json", "who controls homs?"], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=120)
    assert ask.returncode == 0, ask.stderr
    assert json.loads(ask.stdout)["intent"] == "homs_control"


def _docker_unavailable() -> str | None:
    if not shutil.which("docker"):
        return "docker is not installed"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=60)
    if info.returncode != 0:
        last = (info.stderr.strip().splitlines() or ["docker info failed"])[-1]
        return f"`docker info` fails (no daemon to build with): {last}"
    return None


def test_the_image_builds_and_prints_its_settings():
    reason = _docker_unavailable()
    if reason:
        pytest.skip(reason)
    tag = "factbot:test"
    build = subprocess.run(["docker", "build", "-f", "deploy/Dockerfile", "-t", tag, "."], cwd=ROOT,
                           capture_output=True, text=True, timeout=1800)
    assert build.returncode == 0, build.stderr[-3000:]
    run = subprocess.run(["docker", "run", "--rm", "-e", f"TELEGRAM_BOT_TOKEN={TOKEN}", tag, "config"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert TOKEN not in run.stdout and "FACTBOT_DATA=/opt/factbot/data" in run.stdout
    user = subprocess.run(["docker", "run", "--rm", "--entrypoint", "id", tag, "-u"], capture_output=True, text=True)
    assert user.stdout.strip() != "0"


# -- compose.yaml ------------------------------------------------------------------------------------
def test_compose_builds_the_image_and_keeps_state_in_a_volume():
    c = compose()
    bot = c["services"]["bot"]
    assert (DEPLOY / bot["build"]["context"] / bot["build"]["dockerfile"]).resolve() == (DEPLOY / "Dockerfile").resolve()
    assert "profiles" not in bot, "the polling bot starts by default"
    state = docker_env()["FACTBOT_STATE_DIR"]
    mounts = [v.split(":") for v in bot["volumes"]]
    named = [m for m in mounts if m[1] == state]
    assert named and named[0][0] in c["volumes"], "a named volume holds the state directory"
    assert bot["restart"] in ("unless-stopped", "always", "on-failure")


def test_compose_reads_the_env_file_and_publishes_on_loopback_only():
    bot = compose()["services"]["bot"]
    [env_file] = bot["env_file"]
    assert env_file == "factbot.env" and (DEPLOY / "factbot.env.example").exists()
    for port in bot["ports"]:
        host, host_port, container_port = port.split(":")
        assert host == "127.0.0.1"
    published = {int(p.split(":")[2]) for p in bot["ports"]}
    assert int(docker_env()["FACTBOT_HEALTH_PORT"]) in published
    assert int(BY_NAME["FACTBOT_WEBHOOK_PORT"].default) in published


def test_compose_webhook_variant_is_a_profile_with_the_proxy_config():
    proxy = compose()["services"]["proxy"]
    assert proxy["profiles"] == ["webhook"]
    config = [v.split(":") for v in proxy["volumes"] if v.startswith("./nginx.conf")]
    assert config and (DEPLOY / config[0][0]).exists()
    assert proxy["network_mode"] == "host", "nginx.conf's upstream 127.0.0.1 must reach the bot's published port"


def test_compose_file_is_valid_for_docker_compose(tmp_path):
    if not shutil.which("docker") or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode:
        pytest.skip("the docker compose plugin is not installed")
    work = tmp_path / "deploy"
    shutil.copytree(DEPLOY, work)
    shutil.copy(work / "factbot.env.example", work / "factbot.env")
    result = subprocess.run(["docker", "compose", "-f", str(work / "compose.yaml"), "--profile", "webhook", "config", "-q"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


# -- systemd -----------------------------------------------------------------------------------------
def test_unit_restarts_and_is_hardened():
    values = {k: v for _, k, v in unit()}
    assert values["Restart"] in ("on-failure", "always")
    assert values["RestartPreventExitStatus"] == "2", "configuration errors (exit 2) are not retried"
    for key, expected in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
                          "PrivateTmp": "yes"}.items():
        assert values[key] == expected, key
    assert values["StateDirectory"] == "factbot"
    assert values["EnvironmentFile"].lstrip("-").startswith("/etc/")
    assert values["User"] and values["User"] != "root"
    assert values["ExecStart"].endswith("-m bot run")


def test_unit_environment_points_the_state_dir_at_the_state_directory():
    env = dict(v.split("=", 1) for v in unit_values("Environment"))
    settings = Settings.from_env({k: v for k, v in env.items() if k in BY_NAME})
    assert str(settings.state_dir) == f"/var/lib/{unit_values('StateDirectory')[0]}"
    assert str(settings.data_root) == unit_values("WorkingDirectory")[0]


def test_unit_passes_systemd_analyze_verify(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    text = (DEPLOY / "factbot.service").read_text(encoding="utf-8")
    exec_start = unit_values("ExecStart")[0]
    python = exec_start.split()[0]
    path = tmp_path / "factbot.service"  # the venv's python stands in for /opt/factbot/.venv/bin/python
    path.write_text(text.replace(python, sys.executable), encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60)
    if result.returncode != 0 and "Failed to" in result.stderr and "factbot.service" not in result.stderr:
        pytest.skip(f"systemd-analyze cannot run here: {result.stderr.strip()[:200]}")
    problems = [line for line in (result.stdout + result.stderr).splitlines() if "factbot.service" in line]
    assert result.returncode == 0 and not problems, "\n".join(problems) or result.stderr


# -- the env file --------------------------------------------------------------------------------------
def test_env_example_lists_every_setting_with_its_default():
    listed = env_example_lines()
    assert set(listed) == {o.name for o in OPTIONS}, "every setting Settings knows, and nothing else"
    for option in OPTIONS:
        value, _ = listed[option.name]
        assert value == option.default, f"{option.name}: example says {value!r}, default is {option.default!r}"


def test_env_example_explains_every_setting_and_only_the_token_is_active():
    lines = (DEPLOY / "factbot.env.example").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^#?([A-Z][A-Z0-9_]*)=", line)
        if m:
            above = [line for line in lines[max(0, i - 3):i] if line.startswith("# ")]
            assert above, f"{m.group(1)} has no comment above it"
    active = [name for name, (_, commented) in env_example_lines().items() if not commented]
    assert active == ["TELEGRAM_BOT_TOKEN"]


def test_env_example_loads_as_a_config_file_and_gives_the_defaults(tmp_path):
    example = DEPLOY / "factbot.env.example"
    assert Settings.from_env({"FACTBOT_CONFIG_FILE": str(example)}) == Settings()
    uncommented = tmp_path / "all.env"  # every line switched on: still exactly the defaults
    uncommented.write_text(re.sub(r"(?m)^#([A-Z])", r"\1", example.read_text(encoding="utf-8")), encoding="utf-8")
    assert Settings.from_env({"FACTBOT_CONFIG_FILE": str(uncommented)}) == Settings()


# -- nginx.conf ----------------------------------------------------------------------------------------
def nginx() -> str:
    return (DEPLOY / "nginx.conf").read_text(encoding="utf-8")


def nginx_code() -> str:
    return "\n".join(line.split("#", 1)[0] for line in nginx().splitlines())


def docs_webhook_url() -> str:
    [url] = set(re.findall(r"FACTBOT_WEBHOOK_URL=(\S+)", docs()))
    return url


def test_nginx_terminates_tls_and_proxies_only_the_webhook_path():
    code = nginx_code()
    assert re.search(r"listen 443 ssl", code)
    assert re.search(r"ssl_certificate\s+\S+;", code) and re.search(r"ssl_certificate_key\s+\S+;", code)
    locations = re.findall(r"location\s+([^{]+?)\s*\{(.*?)\n\s{8}\}", code, re.S)
    proxied = [where for where, body in locations if "proxy_pass" in body]
    assert proxied == [f"= {urlparse(docs_webhook_url()).path}"], "exactly the webhook path, matched exactly"
    assert ("/", "\n            return 404;") in [(w, b.rstrip()) for w, b in locations]
    assert code.count("proxy_pass") == 1


def test_nginx_upstream_is_the_bot_webhook_server_default():
    [server] = re.findall(r"upstream factbot \{\s*server ([\d.]+:\d+);", nginx_code())
    assert server == f"{BY_NAME['FACTBOT_WEBHOOK_LISTEN'].default}:{BY_NAME['FACTBOT_WEBHOOK_PORT'].default}"


def test_nginx_config_passes_nginx_t(tmp_path):
    if not shutil.which("nginx") or not shutil.which("openssl"):
        pytest.skip("nginx (and openssl for a test certificate) are not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=bot.example.org",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    text = nginx().replace("/etc/letsencrypt/live/bot.example.org/fullchain.pem", str(cert))
    text = text.replace("/etc/letsencrypt/live/bot.example.org/privkey.pem", str(key))
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"pid {tmp_path}/nginx.pid;\n" + text, encoding="utf-8")
    result = subprocess.run(["nginx", "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# -- docs/deploy.md ----------------------------------------------------------------------------------
def test_docs_list_every_setting_with_its_default():
    rows = dict(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \| ([^|]+) \|", docs(), re.M))
    assert set(rows) == {o.name for o in OPTIONS}
    for option in OPTIONS:
        if option.default:
            assert f"`{option.default}`" in rows[option.name], f"{option.name}: docs say {rows[option.name]!r}"
        else:
            assert rows[option.name].strip().startswith("(empty"), option.name


def test_docs_examples_are_valid_settings():
    assert Settings.from_env({"FACTBOT_WEBHOOK_URL": docs_webhook_url(), "FACTBOT_WEBHOOK_SECRET": "x" * 64})
    assert Settings.from_env({"TELEGRAM_API_BASE_URL": re.search(r"TELEGRAM_API_BASE_URL=(\S+)", docs()).group(1)})
    quoted = re.search(r"`(configuration error: FACTBOT_WEBHOOK_URL [^`]+)`", docs()).group(1)
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"FACTBOT_WEBHOOK_URL": "http://bot.example.org/hook", "FACTBOT_WEBHOOK_SECRET": "s"})
    assert quoted == f"configuration error: {raised.value}"


# -- the lock files ------------------------------------------------------------------------------------
def locked(name: str) -> dict[str, tuple[str, int]]:
    """{package: (version, number of hashes)} of a pip-compile --generate-hashes lock file."""
    out: dict[str, tuple[str, int]] = {}
    current = ""
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        pin = re.match(r"^([A-Za-z0-9._-]+)==(\S+)", line)
        if pin:
            current = pin.group(1).lower().replace("_", "-")
            out[current] = (pin.group(2), 0)
        elif "--hash=sha256:" in line and current:
            version, hashes = out[current]
            out[current] = (version, hashes + 1)
    return out


def requirement_name(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9._-]+", requirement).group(0).lower().replace("_", "-")


@pytest.mark.parametrize("lock,extras", [("requirements.lock", ()), ("requirements-test.lock", ("test",))])
def test_the_lock_files_pin_every_dependency_with_hashes_within_pyproject_ranges(lock, extras):
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = list(project["dependencies"]) + [r for e in extras for r in project["optional-dependencies"][e]]
    pins = locked(lock)
    assert pins and all(hashes >= 1 for _, hashes in pins.values()), "every pin has its hashes"
    for requirement in wanted:
        parsed = Requirement(requirement)
        name = requirement_name(requirement)
        assert name in pins, f"{name} is not in {lock}: run `make lock`"
        assert parsed.specifier.contains(pins[name][0], prereleases=True), f"{lock}: {name}=={pins[name][0]} not in {requirement}"


def test_ci_tests_the_versions_that_are_deployed():
    runtime, test = locked("requirements.lock"), locked("requirements-test.lock")
    assert {k: v for k, (v, _) in runtime.items()} == {k: test[k][0] for k in runtime}


def test_make_installs_from_the_test_lock_with_hashes():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    stamp = re.search(r"^\$\(STAMP\):(.*)\n((?:\t.*\n)+)", makefile, re.M)
    assert stamp and "requirements-test.lock" in stamp.group(1), "the venv is rebuilt when the lock changes"
    assert "--require-hashes -r requirements-test.lock" in stamp.group(2) and "--no-deps -e ." in stamp.group(2)
    assert re.search(r"^lock:", makefile, re.M) and "make lock" in docs(), "a documented command refreshes them"


def test_git_ignores_the_env_files_the_docs_tell_operators_to_create():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    for created in ("factbot.env", "deploy/factbot.env"):
        assert subprocess.run(["git", "check-ignore", "-q", created], cwd=ROOT).returncode == 0, created
    assert subprocess.run(["git", "check-ignore", "-q", "deploy/factbot.env.example"], cwd=ROOT).returncode == 1


def test_docs_stop_timeouts_are_the_unit_and_compose_ones():
    unit_timeout = unit_values("TimeoutStopSec")[0]
    grace = compose()["services"]["bot"]["stop_grace_period"]
    text = " ".join(docs().split())
    stopping = text[text.index("**Stopping.**"):][:600]
    assert f"`TimeoutStopSec={unit_timeout}`" in stopping and f"`stop_grace_period: {grace}`" in stopping
    stated = re.findall(r"(\d+) s\b", stopping)
    assert int(unit_timeout.rstrip("s")) == int(stated[0]) and int(grace.rstrip("s")) == int(stated[1]), stated


def test_docs_name_only_files_that_exist():
    for path in set(re.findall(r"\b((?:deploy|docs|tests)/[\w./-]+\w)", docs())):
        assert (ROOT / path).exists(), path


def test_docs_list_every_metric_the_bot_exports(kb):
    m = Metrics()
    m.answers["x"] += 1
    m.updates["message"] += 1
    exported = set(re.findall(r"^# TYPE (\w+)", m.render(kb, 1.0), re.M))
    documented = set(re.findall(r"^\s*\| `(factbot_\w+)", docs(), re.M))
    assert documented == exported


def test_docs_log_examples_match_the_log_format():
    text_example = re.search(r"INFO bot\.updates: (update update_id=.*)", docs()).group(1)
    json_example = json.loads(re.search(r'^(\{"time".*\})$', docs(), re.M).group(1))
    event = Handled(update_id=812, kind="message", chat_type="private", handler="question", outcome="answered",
                    latency=0.0142, intent="homs_control", confidence=0.912)
    assert text_example == event.line()
    assert {k: v for k, v in json_example.items() if k not in ("time", "level", "logger", "message")} == event.fields()


def test_docs_health_reasons_are_the_ones_the_bot_gives(kb):
    observer = Observer()
    for kb_or_none in (kb, None):
        reason = observer.health(kb_or_none)[1]["reason"]
        assert f"`{reason}`" in docs()
    assert "no successful Bot API request for 412 s (limit 300 s)" in docs()
