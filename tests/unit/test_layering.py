"""The import direction, read from the source (ast): the bottom floor (core) depends on nothing
above it, the supervisor reaches no server-only part, services and the runtime know no web layer.

Every import counts, also one inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "backend" / "autocode"

# (the modules under this folder or file, may not import these, except these)
RULES: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("core", ("autocode",), ("autocode.core",)),
    (
        "supervisor",
        (
            "autocode.services.orchestrator",
            "autocode.services.events",
            "autocode.services.terminal",
            "autocode.runtime.terminal",
            "autocode.api",
            "autocode.app",
            "autocode.wiring",
            "fastapi",
        ),
        (),
    ),
    ("services", ("autocode.api", "autocode.app", "autocode.wiring", "fastapi", "starlette"), ()),
    (
        "runtime",
        ("autocode.services", "autocode.supervisor", "autocode.api", "autocode.app", "autocode.wiring", "fastapi"),
        (),
    ),
    ("models.py", ("autocode.services", "autocode.supervisor", "autocode.api", "autocode.runtime"), ()),
]


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports (``from a import b`` counts as ``a`` and ``a.b``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _matches(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _sources(where: str) -> list[Path]:
    target = PACKAGE / where
    return [target] if target.is_file() else sorted(target.rglob("*.py"))


def test_the_checker_sees_every_kind_of_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import autocode.api.deps\n"
        "from autocode.services import orchestrator\n"
        "def f() -> None:\n"
        "    from autocode.supervisor.loop import Supervisor\n"
    )
    found = imports_of(sample)
    assert {"autocode.api.deps", "autocode.services.orchestrator", "autocode.supervisor.loop"} <= found


@pytest.mark.parametrize(("where", "forbidden", "allowed"), RULES, ids=[r[0] for r in RULES])
def test_imports_point_down(where: str, forbidden: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    wrong = sorted(
        f"{path.relative_to(PACKAGE)} imports {module}"
        for path in _sources(where)
        for module in imports_of(path)
        if _matches(module, forbidden) and not _matches(module, allowed)
    )
    assert not wrong, "\n".join(wrong)
