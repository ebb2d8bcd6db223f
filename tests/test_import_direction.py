"""The documents room's imports, read from the source (every ``import`` statement: module level,
inside functions and under ``TYPE_CHECKING``).

1. ``triage.documents.*`` never imports the pure check, the engine, the runner or the
   interfaces (``triage.pipeline``, ``triage.engine``, ``triage.runner``, ``triage.cli``,
   ``triage.api``): the tabular check reaches documents through ``TableChecker``, passed in.
2. No import cycle among the ``triage.documents`` modules. A package's ``__init__`` run before
   its submodules is not an edge; nor is the lazy format table (``formats.HANDLERS``, module
   names resolved at call time, as the transform registry does), which must name modules of the
   room that exist.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from triage.documents.formats import HANDLERS

ROOM = Path(__file__).resolve().parents[1] / "triage" / "documents"
FORBIDDEN = ("triage.pipeline", "triage.engine", "triage.runner", "triage.cli", "triage.api")


def _module(path: Path) -> str:
    parts = path.relative_to(ROOM.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for p in sorted(ROOM.rglob("*.py"))}


def _imports(path: Path) -> list[str]:
    """Every module ``path`` imports, by absolute name (``from a import b``: ``a.b`` when that is
    a module of the room, else ``a``)."""
    name = _module(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            subs = [f"{base}.{alias.name}" for alias in node.names]
            found += [s for s in subs if s in MODULES] or [base]
    return found


GRAPH = {
    name: sorted({i for i in _imports(path) if i in MODULES and i != name})
    for name, path in MODULES.items()
}


def test_the_room_holds_its_modules() -> None:
    assert {"triage.documents.check", "triage.documents.formats.eml"} <= set(MODULES)
    assert len(MODULES) > 10


@pytest.mark.parametrize("name", sorted(MODULES))
def test_documents_never_import_the_check_or_the_edges(name: str) -> None:
    imports = _imports(MODULES[name])
    bad = [i for i in imports if any(i == f or i.startswith(f + ".") for f in FORBIDDEN)]
    assert bad == [], f"{name} imports {bad}"


def _cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (its modules in order), or None."""
    state: dict[str, int] = {}  # 1 on the path being walked, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for node in graph:
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_no_import_cycle_among_documents_modules() -> None:
    cycle = _cycle(GRAPH)
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_finder_finds_one() -> None:
    assert _cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert _cycle({"a": ["b"], "b": [], "c": ["a"]}) is None


def test_the_format_table_names_modules_of_the_room() -> None:
    assert set(HANDLERS.values()) <= set(MODULES)
