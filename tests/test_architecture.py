"""The shape of ../shared/design.md, enforced: imports point one way, the core knows nothing of
Telegram, no module reaches into another's private names, one place reads the environment.

entry points (cli, tg) -> render -> answer -> knowledge -> matcher -> normalize -> model
"""

from __future__ import annotations

import ast
import io
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"

# The answering core, lowest layer first. A module may import only from layers below it.
LAYERS = ("model", "normalize", "language", "matching", "knowledge", "attribution", "answer", "render")
# Leaf helpers the core may use; they import nothing from bot but model.
HELPERS = ("yamlsource", "words", "script", "message_length")
SURFACES = ("telegram", "bot.tg", "bot.cli")
TELEGRAM = ("telegram", "bot.tg")
# The command line starts every surface: `python -m bot run` starts the Telegram bot (importing
# bot.tg only then). Everything else outside bot/tg/ is core.
ENTRY_POINTS = ("bot/cli.py", "bot/__main__.py")


# -- reading imports --------------------------------------------------------------------------
def module_name(path: Path) -> str:
    """`bot/tg/app.py` -> "bot.tg.app"; a package's `__init__.py` is the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(path: Path) -> str:
    """The package a relative import in `path` starts from."""
    name = module_name(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def absolute(node: ast.ImportFrom, path: Path) -> str:
    """The absolute module name of `from ... import`, relative levels resolved."""
    if node.level == 0:
        return node.module or ""
    base = package_of(path).split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of_source(source: str, path: Path) -> set[str]:
    """Absolute names of everything the source imports (at any depth), "from p import x" as p and p.x."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = absolute(node, path)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def imports_of(path: Path) -> set[str]:
    return imports_of_source(path.read_text(encoding="utf-8"), path)


def unit_files(unit: str) -> list[Path]:
    """The files of one part of bot/: `bot/<unit>.py`, or every file of the package `bot/<unit>/`."""
    if (BOT / f"{unit}.py").is_file():
        return [BOT / f"{unit}.py"]
    files = sorted((BOT / unit).rglob("*.py"))
    assert files, f"bot/{unit}.py or bot/{unit}/ does not exist: update this test's lists"
    return files


def bot_imports(unit: str) -> set[str]:
    """Absolute names of everything `bot/<unit>` imports."""
    return set().union(*(imports_of(path) for path in unit_files(unit)))


def from_bot(names: set[str]) -> set[str]:
    """The parts of bot among imported names (bot.x.y -> x)."""
    return {n.split(".")[1] for n in names if n.startswith("bot.")}


def is_surface(name: str, surfaces: tuple[str, ...] = SURFACES) -> bool:
    return any(name == s or name.startswith(s + ".") for s in surfaces)


def core_files() -> list[Path]:
    """Every module of bot/ outside bot/tg/ but the entry points (found by walking the package:
    new modules and packages count too)."""
    return sorted(p for p in BOT.rglob("*.py")
                  if "tg" not in p.relative_to(BOT).parts[:-1] and str(p.relative_to(ROOT)) not in ENTRY_POINTS)


def telegram_imports(path: Path) -> list[str]:
    return sorted(n for n in imports_of(path) if is_surface(n, TELEGRAM))


# -- private names ------------------------------------------------------------------------------
def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_uses(source: str, path: Path) -> list[str]:
    """Where the source uses another module's private name: `from x import _y`, `import x._y`,
    `from x._y import z`, or `x._y` where x is a name it imported (`import x`, `from p import x`)."""
    tree = ast.parse(source)
    found: list[str] = []
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if any(private(part) for part in alias.name.split(".")):
                    found.append(f"{path.name}:{node.lineno}: import {alias.name}")
                imported.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if any(private(part) for part in module.split(".") if part):
                found.append(f"{path.name}:{node.lineno}: from {'.' * node.level}{module} import ...")
            for alias in node.names:
                if private(alias.name):
                    found.append(f"{path.name}:{node.lineno}: from {'.' * node.level}{module} import {alias.name}")
                imported.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr) and isinstance(node.value, ast.Name) \
                and node.value.id in imported:
            found.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


def project_code() -> list[Path]:
    """Every Python file of bot/, benchmarks/ and scripts/ (tests aside)."""
    return sorted(p for folder in ("bot", "benchmarks", "scripts") for p in (ROOT / folder).rglob("*.py"))


# -- the rules ----------------------------------------------------------------------------------
@pytest.mark.parametrize("path", core_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_core_module_imports_telegram_or_the_telegram_adapter(path):
    bad = telegram_imports(path)
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}; only bot/tg/ may know about Telegram"


def test_the_core_is_found_by_walking_the_package():
    found = {module_name(p) for p in core_files()}
    assert {"bot", "bot.model", "bot.answer", "bot.observability", "bot.store"} <= found
    assert not any(name.startswith("bot.tg") for name in found)


@pytest.mark.parametrize("path", project_code(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_uses_another_modules_private_names(path):
    uses = private_uses(path.read_text(encoding="utf-8"), path)
    assert not uses, f"{uses}: make the name public, in one place, if several modules need it"


def test_the_checks_find_a_planted_violation():
    """The detectors above look at the right things: each finds what is planted here."""
    here = BOT / "matching" / "score.py"  # a module in a core subpackage: ".." is bot
    planted = (
        "from ..tg.handlers import state\n"
        "import telegram.ext\n"
        "from bot.tg import handlers\n"
        "from .index import _build\n"
        "from telegram._utils.types import ODVInput\n"
        "import bot.matcher as matcher\n"
        "matcher._score(1)\n"
        "self._fine = 1\n"
    )
    assert {n for n in imports_of_source(planted, here) if is_surface(n, TELEGRAM)} >= {
        "bot.tg.handlers", "bot.tg.handlers.state", "bot.tg", "telegram.ext", "telegram._utils.types"}
    assert not any(is_surface(n, TELEGRAM) for n in imports_of_source("import bot.render\nimport telegraph\n", here))
    assert [use.split(": ", 1)[1] for use in private_uses(planted, here)] == [
        "from .index import _build", "from telegram._utils.types import ...", "matcher._score"]
    assert private_uses("import bot.render as render\nrender.layout()\nx = {}.__class__\n", here) == []


@pytest.mark.parametrize("module", LAYERS)
def test_core_never_imports_telegram_or_the_entry_points(module):
    bad = sorted(n for n in bot_imports(module) if is_surface(n))
    assert not bad, f"bot/{module} imports {bad}; the core must not know about Telegram or the CLI"


@pytest.mark.parametrize("module", ["model", "normalize"])
def test_model_and_normalize_import_nothing_from_bot_but_model(module):
    extra = from_bot(bot_imports(module)) - {"model", module}
    assert not extra, f"bot/{module} imports bot.{', bot.'.join(sorted(extra))}; only bot.model is allowed"


@pytest.mark.parametrize("module", LAYERS)
def test_imports_point_down_the_layers(module):
    above = set(LAYERS[LAYERS.index(module):]) - {module} | {"config", "cli", "tg", "evaluate", "store"}
    wrong = from_bot(bot_imports(module)) & above
    assert not wrong, f"bot/{module} imports {sorted(wrong)}, which sit above it ({' -> '.join(LAYERS)})"


@pytest.mark.parametrize("module", HELPERS)
def test_helpers_are_leaves(module):
    extra = from_bot(bot_imports(module)) - {"model", module}
    assert not extra, f"bot/{module} imports {sorted(extra)}; helpers must not depend on the rest of bot"


def test_importing_the_core_loads_no_telegram_code():
    """Transitively too: rendering an answer must not drag in python-telegram-bot."""
    code = (
        "import sys, bot.render, bot.evaluate, bot.observability, bot.logs\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('telegram', 'httpx') "
        "or m.startswith(('bot.tg', 'bot.cli')))))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"importing the core loaded: {result.stdout.strip()}"


def _code_names(path: Path) -> set[str]:
    """Identifiers used in the code of `path` (comments and strings left out)."""
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    return {tok.string for tok in tokens if tok.type == tokenize.NAME}


def test_only_config_reads_the_environment():
    readers = sorted(
        str(path.relative_to(ROOT))
        for path in BOT.rglob("*.py")
        if path != BOT / "config.py" and _code_names(path) & {"environ", "environb", "getenv", "getenvb", "putenv"}
    )
    assert not readers, f"{readers} read the environment; put the setting in bot/config.py's Settings instead"
    assert "environ" in _code_names(BOT / "config.py")  # the check looks at the right thing


@pytest.mark.parametrize("module", ["store", "background_writer", "report", "changes"])
def test_storage_and_curator_tools_know_nothing_of_telegram(module):
    bad = sorted(n for n in bot_imports(module) if is_surface(n))
    assert not bad, f"bot/{module} imports {bad}; storage and reports are used by the CLI too"


@pytest.mark.parametrize("module", LAYERS)
def test_the_core_never_imports_the_store(module):
    assert "store" not in from_bot(bot_imports(module)), f"bot/{module} imports bot.store; storage is an adapter"
