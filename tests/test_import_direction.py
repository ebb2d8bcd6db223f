"""The imports of the documents room and of the pure check, read from the source (every
``import`` statement: module level, inside functions and under ``TYPE_CHECKING``).

1. ``triage.documents.*`` never imports the pure check, the runner or the interfaces
   (``triage.pipeline``, ``triage.runner``, ``triage.cli``, ``triage.api``): the tabular check
   reaches documents through ``TableChecker``, passed in.
2. No import cycle among the ``triage.documents`` modules. A package's ``__init__`` run before
   its submodules is not an edge; nor is the lazy format table (``formats.HANDLERS``, module
   names resolved at call time, as the transform registry does), which must name modules of the
   room that exist.
3. ``triage.pipeline.*`` imports no edge (file formats, outputs, the register, reports, the
   runner, the interfaces) and no document module, has no import cycle, and does no file,
   environment or clock access: no such module imported (``pathlib`` only for annotations,
   under ``TYPE_CHECKING``), no ``open()``, no file or environment method called.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from triage.documents.formats import HANDLERS

PACKAGE = Path(__file__).resolve().parents[1] / "triage"
ROOM = PACKAGE / "documents"
FORBIDDEN = ("triage.pipeline", "triage.runner", "triage.cli", "triage.api")
PIPELINE = PACKAGE / "pipeline"
#: what the pure check must not import: the edges and composition, and the documents room
PIPELINE_FORBIDDEN = (
    "triage.io",
    "triage.geo_io",
    "triage.workbook",
    "triage.outputs",
    "triage.store",
    "triage.report",
    "triage.render",
    "triage.registry_cli",
    "triage.runner",
    "triage.cli",
    "triage.api",
    "triage.documents",
)
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


MODULES = {_module(p): p for p in sorted(ROOM.rglob("*.py"))}
PIPELINE_MODULES = {_module(p): p for p in sorted(PIPELINE.rglob("*.py"))}


def _imports(path: Path, room: dict[str, Path] = MODULES) -> list[str]:
    """Every module ``path`` imports, by absolute name (``from a import b``: ``a.b`` when that is
    a module of ``room``, else ``a``)."""
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
            found += [s for s in subs if s in room] or [base]
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


def test_the_pipeline_holds_its_stages() -> None:
    stages = {"state", "classify", "link", "measure", "decide", "treat", "recheck", "combine"}
    assert {f"triage.pipeline.{s}" for s in {*stages, "engine"}} <= set(PIPELINE_MODULES)
    assert not (PACKAGE / "engine.py").exists()


@pytest.mark.parametrize("name", sorted(PIPELINE_MODULES))
def test_the_pipeline_imports_no_edge(name: str) -> None:
    imports = _imports(PIPELINE_MODULES[name], PIPELINE_MODULES)
    bad = [i for i in imports if any(i == f or i.startswith(f + ".") for f in PIPELINE_FORBIDDEN)]
    assert bad == [], f"{name} imports {bad}"


def test_no_import_cycle_among_pipeline_modules() -> None:
    graph = {
        name: sorted(
            {i for i in _imports(path, PIPELINE_MODULES) if i in PIPELINE_MODULES and i != name}
        )
        for name, path in PIPELINE_MODULES.items()
    }
    cycle = _cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


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


@pytest.mark.parametrize("name", sorted(PIPELINE_MODULES))
def test_the_pipeline_does_no_file_environment_or_clock_access(name: str) -> None:
    found = _system_access(PIPELINE_MODULES[name].read_text(encoding="utf-8"))
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
