"""The imports of the documents, io and report rooms, read from the source (every ``import``
statement: module level, inside functions and under ``TYPE_CHECKING``).

1. ``triage.documents.*`` never imports the pure check, the engine, the runner or the
   interfaces (``triage.pipeline``, ``triage.engine``, ``triage.runner``, ``triage.cli``,
   ``triage.api``): the tabular check reaches documents through ``TableChecker``, passed in.
2. ``triage.report.*`` (an edge: it renders a finished report) imports the kernel, never the
   readers and writers, the pipeline, the store or the composition (``triage.io``,
   ``triage.pipeline``, ``triage.engine``, ``triage.store``, ``triage.runner``, ``triage.cli``,
   ``triage.api`` and the CLI helpers ``triage.timed``, ``triage.registry_cli``).
3. ``triage.io.*`` (an edge: files in, files out) never imports the pipeline, the report, the
   store or the composition.
4. No import cycle among the modules of each room. A package's ``__init__`` run before its
   submodules is not an edge; nor is a lazy format table (``documents.formats.HANDLERS``,
   ``io.formats.HANDLERS``: module names resolved at call time, as the transform registry
   does), which must name modules of the room that exist.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from triage.documents.formats import HANDLERS as DOCUMENT_HANDLERS
from triage.io.formats import HANDLERS as TABLE_HANDLERS

PACKAGE = Path(__file__).resolve().parents[1] / "triage"
COMPOSITION = ("triage.runner", "triage.cli", "triage.api", "triage.timed", "triage.registry_cli")
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "triage.documents": (
        "triage.pipeline",
        "triage.engine",
        "triage.runner",
        "triage.cli",
        "triage.api",
    ),
    "triage.report": (
        "triage.io",
        "triage.pipeline",
        "triage.engine",
        "triage.store",
        *COMPOSITION,
    ),
    "triage.io": (
        "triage.pipeline",
        "triage.engine",
        "triage.report",
        "triage.store",
        *COMPOSITION,
    ),
}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _room_modules(room: str) -> dict[str, Path]:
    folder = PACKAGE.joinpath(*room.split(".")[1:])
    return {_module(p): p for p in sorted(folder.rglob("*.py"))}


ROOMS = {room: _room_modules(room) for room in FORBIDDEN}
MODULES = {name: path for modules in ROOMS.values() for name, path in modules.items()}


def _import_nodes(path: Path) -> list[tuple[str, list[str]]]:
    """(absolute module, names imported from it) of every import statement of ``path``."""
    name = _module(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.append((base, [alias.name for alias in node.names]))
    return found


def _imports(path: Path) -> list[str]:
    """Every module ``path`` imports, by absolute name (``from a import b``: ``a.b`` when that is
    a module of a room, else ``a``)."""
    found: list[str] = []
    for base, names in _import_nodes(path):
        subs = [f"{base}.{n}" for n in names]
        found += [s for s in subs if s in MODULES] or [base]
    return found


def _named(path: Path) -> list[str]:
    """Every module ``path`` names in an import, ``from a import b`` as ``a`` and ``a.b``
    (so ``from triage import runner`` names ``triage.runner``)."""
    return [
        n for base, names in _import_nodes(path) for n in (base, *(f"{base}.{s}" for s in names))
    ]


def _graph(modules: dict[str, Path]) -> dict[str, list[str]]:
    return {
        name: sorted({i for i in _imports(path) if i in modules and i != name})
        for name, path in modules.items()
    }


def test_the_rooms_hold_their_modules() -> None:
    assert {"triage.documents.check", "triage.documents.formats.eml"} <= set(
        ROOMS["triage.documents"]
    )
    assert {"triage.io.formats", "triage.io.csv", "triage.io.outputs"} <= set(ROOMS["triage.io"])
    assert {"triage.report.markdown", "triage.report.map_svg"} <= set(ROOMS["triage.report"])
    assert all(len(modules) > 5 for modules in ROOMS.values())


@pytest.mark.parametrize(
    ("room", "name"), [(room, name) for room, modules in ROOMS.items() for name in modules]
)
def test_a_room_never_imports_against_the_direction(room: str, name: str) -> None:
    imports = _named(MODULES[name])
    bad = sorted(
        {i for i in imports if any(i == f or i.startswith(f + ".") for f in FORBIDDEN[room])}
    )
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


@pytest.mark.parametrize("room", sorted(ROOMS))
def test_no_import_cycle_among_a_rooms_modules(room: str) -> None:
    cycle = _cycle(_graph(ROOMS[room]))
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_finder_finds_one() -> None:
    assert _cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert _cycle({"a": ["b"], "b": [], "c": ["a"]}) is None


@pytest.mark.parametrize(
    ("room", "handlers"),
    [("triage.documents", DOCUMENT_HANDLERS), ("triage.io", TABLE_HANDLERS)],
)
def test_the_format_tables_name_modules_of_their_room(room: str, handlers: dict[str, str]) -> None:
    assert set(handlers.values()) <= set(ROOMS[room])
