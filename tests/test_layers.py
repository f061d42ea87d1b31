"""The layers, as the README's Architecture section states them, checked on the source.

- `bot/` is the product (language, knowledge, dialogue): it never imports a messenger library, an HTTP
  server or a database driver, nor the channel layers `handlers/` and `console/` — except the composition
  root (`bot/cli.py`, `bot/__main__.py`), which wires everything together.
- `console/` (the web console, a channel-like layer beside `handlers/`) may use `bot/` and `storage/`,
  never `handlers/`.
- `storage/` never imports `bot/`, `handlers/` or `console/`.
- No import cycles between modules (imports inside `if TYPE_CHECKING:` are for type checkers only).

Every import counts, including those inside functions: a lazy import hides a cycle, it does not remove it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "console", "handlers", "storage")
COMPOSITION_ROOT = {"bot.cli", "bot.__main__"}
DRIVERS = {"telegram", "aiohttp", "aiosqlite", "asyncpg", "httpx", "starlette", "fastapi", "uvicorn", "prometheus_client"}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path) -> dict[str, Path]:
    """Every module of the project's packages, by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            found[module_name(path, root)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, skipping `if TYPE_CHECKING:` blocks (their `else` still counts)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules `name` imports: project modules by full name, anything else by its top-level package."""
    out: set[str] = set()
    is_package = path.name == "__init__.py"
    for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:  # relative import
            parts = name.split(".")
            keep = len(parts) - node.level + (1 if is_package else 0)
            base = ".".join(parts[:keep] + ([base] if base else []))
        for alias in node.names:
            full = f"{base}.{alias.name}"
            out.add(full if full in known else base)
    return out


def graph(root: Path) -> dict[str, set[str]]:
    known = modules(root)
    return {name: imported(name, path, known) for name, path in known.items()}


def top(name: str) -> str:
    return name.split(".")[0]


def violations(edges: dict[str, set[str]]) -> list[str]:
    """Every broken layer rule, as «module → import: rule»."""
    found = []
    for module, targets in sorted(edges.items()):
        for target in sorted(targets):
            if top(module) == "bot" and module not in COMPOSITION_ROOT:
                if top(target) in DRIVERS:
                    found.append(f"{module} → {target}: bot/ never imports a messenger, server or driver")
                if top(target) in ("handlers", "console"):
                    found.append(f"{module} → {target}: bot/ never imports the channel layers")
            if top(module) == "console" and top(target) == "handlers":
                found.append(f"{module} → {target}: console/ never imports handlers/")
            if top(module) == "storage" and top(target) in ("bot", "handlers", "console"):
                found.append(f"{module} → {target}: storage/ never imports bot/, handlers/ or console/")
    return found


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles between project modules (one path per cycle found)."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in edges:
                continue
            if state.get(nxt) == 1:
                found.append([*path[path.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def test_the_layers_of_the_project_hold() -> None:
    assert violations(graph(ROOT)) == []


def test_no_module_imports_itself_back_through_others() -> None:
    assert cycles(graph(ROOT)) == []


# The checker itself: a small tree that breaks each rule must be caught.


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for package in PACKAGES:
        (tmp_path / package).mkdir(exist_ok=True)
        (tmp_path / package / "__init__.py").touch()
    return tmp_path


def test_the_checker_catches_a_driver_in_the_domain_and_storage_reaching_up(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "bot/answers.py": "def f():\n    import telegram\n",  # lazy: still counts
        "bot/cli.py": "import telegram\nfrom handlers import app\n",  # the composition root may
        "bot/search.py": "from handlers.send import send\n",
        "bot/staff.py": "def f():\n    from console import app\n",
        "console/app.py": "import starlette\nfrom bot import staff\nfrom storage import api\n",  # allowed
        "console/pages.py": "from handlers.app import running\n",
        "storage/db.py": "from bot.texts import X\n",
        "storage/api.py": "from console.auth import Role\n",
        "handlers/app.py": "import telegram\n",
        "bot/typed.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import aiosqlite\n",
    })
    found = violations(graph(root))
    assert found == [
        "bot.answers → telegram: bot/ never imports a messenger, server or driver",
        "bot.search → handlers.send: bot/ never imports the channel layers",
        "bot.staff → console.app: bot/ never imports the channel layers",
        "console.pages → handlers.app: console/ never imports handlers/",
        "storage.api → console.auth: storage/ never imports bot/, handlers/ or console/",
        "storage.db → bot.texts: storage/ never imports bot/, handlers/ or console/",
    ]


@pytest.mark.parametrize("lazy", [False, True])
def test_the_checker_finds_a_cycle_even_through_a_lazy_import(tmp_path: Path, lazy: bool) -> None:
    back = "def f():\n    from bot import a\n" if lazy else "from bot import a\n"
    root = _tree(tmp_path, {"bot/a.py": "from bot.b import x\n", "bot/b.py": back})
    assert cycles(graph(root)) == [["bot.a", "bot.b", "bot.a"]]


def test_the_checker_ignores_imports_for_type_checkers_only(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "bot/a.py": "from bot.b import x\n",
        "bot/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.a import y\n",
    })
    assert cycles(graph(root)) == []
