"""The imports of the documents, io, report and pipeline rooms, read from the source (every
``import`` statement: module level, inside functions and under ``TYPE_CHECKING``).

1. ``triage.documents.*`` never imports the pure check, the runner or the interfaces
   (``triage.pipeline``, ``triage.runner``, ``triage.cli``, ``triage.api``): the tabular check
   reaches documents through ``TableChecker``, passed in.
2. ``triage.report.*`` (an edge: it renders a finished report) imports the kernel, never the
   readers and writers, the pipeline, the store or the composition (``triage.io``,
   ``triage.pipeline``, ``triage.store``, ``triage.runner``, ``triage.cli``,
   ``triage.api`` and the CLI helpers ``triage.timed``, ``triage.registry_cli``).
3. ``triage.io.*`` (an edge: files in, files out) never imports the pipeline, the report, the
   store or the composition.
4. No import cycle among the modules of each room. A package's ``__init__`` run before its
   submodules is not an edge; nor is a lazy format table (``documents.formats.HANDLERS``,
   ``io.formats.HANDLERS``: module names resolved at call time, as the transform registry
   does), which must name modules of the room that exist.
5. ``triage.pipeline.*`` (the pure check) imports no edge (file formats, outputs, the register,
   the report but its pure points map, the runner, the interfaces) and no document module,
   and does no file, environment or clock access: no such module imported (``pathlib`` only
   for annotations, under ``TYPE_CHECKING``), no ``open()``, no file or environment method
   called.
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
        "triage.runner",
        "triage.cli",
        "triage.api",
    ),
    "triage.report": (
        "triage.io",
        "triage.pipeline",
        "triage.store",
        *COMPOSITION,
    ),
    "triage.io": (
        "triage.pipeline",
        "triage.report",
        "triage.store",
        *COMPOSITION,
    ),
    # the points map is drawn while measuring, from points not kept after: pure SVG, no I/O
    "triage.pipeline": (
        "triage.io",
        "triage.store",
        *(f"triage.report.{m}" for m in ("html_page", "html_dataset", "html_parts", "markdown")),
        "triage.report.sections",
        "triage.report.words",
        "triage.documents",
        *COMPOSITION,
    ),
}
#: standard modules that reach files, the environment, processes, the network or the clock
SYSTEM_MODULES = frozenset(
    {
        "os",
        "io",
        "pathlib",
        "shutil",
        "tempfile",
        "glob",
        "sys",
        "subprocess",
        "socket",
        "urllib",
        "time",
        "datetime",
        "importlib",
    }
)
#: calls that read or write files or the environment (pandas readers and writers included)
SYSTEM_CALLS = frozenset(
    {
        "open",
        "read_text",
        "write_text",
        "read_bytes",
        "write_bytes",
        "mkdir",
        "unlink",
        "getenv",
        "read_csv",
        "to_csv",
        "read_excel",
        "to_excel",
        "read_parquet",
        "to_parquet",
        "read_file",
        "to_file",
    }
)


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


def test_the_pipeline_holds_its_stages() -> None:
    stages = {"state", "classify", "link", "measure", "decide", "treat", "recheck", "combine"}
    assert {f"triage.pipeline.{s}" for s in {*stages, "engine"}} <= set(ROOMS["triage.pipeline"])
    assert not (PACKAGE / "engine.py").exists()


def _type_checking_only(tree: ast.Module) -> set[int]:
    """The ids of the import nodes under ``if TYPE_CHECKING:`` (annotations only, never run)."""
    return {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If)
        and isinstance(block.test, ast.Name)
        and block.test.id == "TYPE_CHECKING"
        for stmt in block.body
        for node in ast.walk(stmt)
    }


def _system_access(source: str) -> list[str]:
    """What ``source`` does that reaches files, the environment or the clock."""
    tree = ast.parse(source)
    typing_only = _type_checking_only(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in typing_only:
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if not node.level
                else []
            )
            found += [f"import {n}" for n in names if n.split(".")[0] in SYSTEM_MODULES]
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if called in SYSTEM_CALLS:
                found.append(f"{called}()")
        elif isinstance(node, ast.Attribute) and node.attr == "environ":
            found.append("environ")
    return found


@pytest.mark.parametrize("name", sorted(ROOMS["triage.pipeline"]))
def test_the_pipeline_does_no_file_environment_or_clock_access(name: str) -> None:
    found = _system_access(ROOMS["triage.pipeline"][name].read_text(encoding="utf-8"))
    assert found == [], f"{name}: {found}"


def test_the_access_finder_finds_some() -> None:
    source = (
        "import os\nfrom pathlib import Path\nimport datetime as dt\n"
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from io import BytesIO\n"
        "def f(p):\n    open(p)\n    frame.to_csv(p)\n    return os.environ\n"
    )
    assert _system_access(source) == [
        "import os",
        "import pathlib",
        "import datetime",
        "open()",
        "to_csv()",
        "environ",
    ]
