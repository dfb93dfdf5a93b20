"""The shape of ../shared/design.md, enforced: imports point one way, one place reads the environment.

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
LAYERS = ("model", "normalize", "matcher", "knowledge", "answer", "render")
# Leaf helpers the core may use; they import nothing from bot but model.
HELPERS = ("yamlsource", "words")
SURFACES = ("telegram", "bot.tg", "bot.cli")


def bot_imports(module: str) -> set[str]:
    """Absolute names of everything `bot/<module>.py` imports (at any depth in the file)."""
    tree = ast.parse((BOT / f"{module}.py").read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:  # relative to the bot package (core modules live directly in bot/)
                base = ".".join(["bot"] + ([node.module] if node.module else []))
            names.add(base)
            if node.level and not node.module:  # "from . import x" imports bot.x
                names.update(f"bot.{alias.name}" for alias in node.names)
    return names


def from_bot(names: set[str]) -> set[str]:
    """The bot modules among imported names (bot.x.y -> x)."""
    return {n.split(".")[1] for n in names if n.startswith("bot.")}


def is_surface(name: str) -> bool:
    return any(name == s or name.startswith(s + ".") for s in SURFACES)


@pytest.mark.parametrize("module", LAYERS)
def test_core_never_imports_telegram_or_the_entry_points(module):
    bad = sorted(n for n in bot_imports(module) if is_surface(n))
    assert not bad, f"bot/{module}.py imports {bad}; the core must not know about Telegram or the CLI"


@pytest.mark.parametrize("module", ["model", "normalize"])
def test_model_and_normalize_import_nothing_from_bot_but_model(module):
    extra = from_bot(bot_imports(module)) - {"model"}
    assert not extra, f"bot/{module}.py imports bot.{', bot.'.join(sorted(extra))}; only bot.model is allowed"


@pytest.mark.parametrize("module", LAYERS)
def test_imports_point_down_the_layers(module):
    above = set(LAYERS[LAYERS.index(module):]) - {module} | {"config", "cli", "tg", "evaluate", "store"}
    wrong = from_bot(bot_imports(module)) & above
    assert not wrong, f"bot/{module}.py imports {sorted(wrong)}, which sit above it ({' -> '.join(LAYERS)})"


@pytest.mark.parametrize("module", HELPERS)
def test_helpers_are_leaves(module):
    extra = from_bot(bot_imports(module)) - {"model"}
    assert not extra, f"bot/{module}.py imports {sorted(extra)}; helpers must not depend on the rest of bot"


def test_importing_the_core_loads_no_telegram_code():
    """Transitively too: rendering an answer must not drag in python-telegram-bot."""
    code = (
        "import sys, bot.render, bot.evaluate\n"
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


@pytest.mark.parametrize("module", ["store", "report", "changes"])
def test_storage_and_curator_tools_know_nothing_of_telegram(module):
    bad = sorted(n for n in bot_imports(module) if is_surface(n))
    assert not bad, f"bot/{module}.py imports {bad}; storage and reports are used by the CLI too"


@pytest.mark.parametrize("module", LAYERS)
def test_the_core_never_imports_the_store(module):
    assert "store" not in from_bot(bot_imports(module)), f"bot/{module}.py imports bot.store; storage is an adapter"
