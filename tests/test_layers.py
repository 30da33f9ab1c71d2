"""Which way the arrows point (`DESIGN.md`), read from the source, and where Pillow is used.

`scripts/` is the bottom layer and imports nothing else of ours; `actors/` imports
`scripts/` but never `orchestrator/`; the simulator is a phone, not a part of the brain,
so it imports neither `actors/` nor `scripts/` nor the rest of `orchestrator/`. The imports
are read with `ast` rather than by importing: it is fast, sees imports inside functions
and `TYPE_CHECKING` blocks, and does not depend on what happens to be imported already.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# (the files, named as a module prefix) -> the module prefixes they must not import.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "scripts": ("actors", "orchestrator"),
    "actors": ("orchestrator",),
    "orchestrator.simulator": ("actors", "scripts", "orchestrator"),
}
# A layer inside a forbidden one may still import itself (the simulator, its own modules).
ALLOWED_WITHIN = {"orchestrator.simulator": "orchestrator.simulator"}

# Our code uses Pillow only to draw a simulated phone's screenshot or to scale a screen
# down to a thumbnail, and only when one is made, so importing the orchestrator does not
# import Pillow on our account.
PILLOW_MODULES = ("orchestrator.simulator._paint", "orchestrator.api._phones")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _files(prefix: str) -> list[Path]:
    return sorted((ROOT / prefix.replace(".", "/")).rglob("*.py"))


def _nodes(node: ast.AST, in_function: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """Every node under `node`, and whether it runs only when a function is called (or
    never: `if TYPE_CHECKING:`)."""
    for child in ast.iter_child_nodes(node):
        yield child, in_function
        yield from _nodes(child, in_function or isinstance(
            child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) or (
            isinstance(child, ast.If) and isinstance(child.test, ast.Name)
            and child.test.id == "TYPE_CHECKING"))


def _imports(path: Path) -> Iterator[tuple[int, str, bool]]:
    """Each module `path` imports, absolute: (line, name, run on import of `path`)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(), filename=str(path))
    for node, in_function in _nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, not in_function
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:  # a name may be a module: `from .. import settings`
                name = base if alias.name == "*" else f"{base}.{alias.name}"
                yield node.lineno, name, not in_function


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize("layer", FORBIDDEN)
def test_arrows_point_one_way(layer: str) -> None:
    """No module of `layer` imports a layer it must not know."""
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in _files(layer)
        for line, name, _ in _imports(path)
        if any(_within(name, banned) for banned in FORBIDDEN[layer])
        and not _within(name, ALLOWED_WITHIN.get(layer, "\0"))
    ]
    assert wrong == []


def test_pillow_only_where_a_screenshot_is_made() -> None:
    """Pillow is imported where a screen is drawn or scaled, and there inside the
    function that does it."""
    wrong = [
        f"{path.relative_to(ROOT)}:{line}"
        for top in ("actors", "scripts", "orchestrator")
        for path in _files(top)
        for line, name, module_level in _imports(path)
        if _within(name, "PIL") and (module_level or _module_name(path) not in PILLOW_MODULES)
    ]
    assert wrong == []


# Records every module whose code imports Pillow, even when Pillow is loaded already:
# adbutils imports it for its own screenshots (`adbutils._device_base`), which is not ours
# to change, so the test asks who imports it, not whether it is loaded.
_WHO_IMPORTS_PILLOW = textwrap.dedent("""
    import builtins

    importers = set()
    real_import = builtins.__import__

    def watch(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and (name == "PIL" or name.startswith("PIL.")):
            importers.add((globals or {}).get("__name__", "?"))
        return real_import(name, globals, locals, fromlist, level)

    builtins.__import__ = watch
    import importlib, sys
    for name in sys.argv[1:]:
        importlib.import_module(name)
    print(" ".join(sorted(importers)))
""")


def test_importing_the_orchestrator_loads_no_pillow_of_ours() -> None:
    """Importing the orchestrator (`orchestrator.cli`, then every module of ours) loads
    Pillow only on adbutils' behalf, never on ours."""
    modules = ["orchestrator.cli"] + [
        _module_name(path)
        for top in ("actors", "scripts", "orchestrator")
        for path in _files(top)
        if path.name != "__main__.py"
    ]
    done = subprocess.run([sys.executable, "-c", _WHO_IMPORTS_PILLOW, *modules], cwd=ROOT,
                          capture_output=True, text=True, check=True, timeout=60)
    importers = done.stdout.split()
    assert [name for name in importers
            if not (_within(name, "adbutils") or _within(name, "PIL"))] == []
