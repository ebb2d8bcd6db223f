"""The built wheel exposes one import namespace, ``triage``, holding every module."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {
    "triage": "triage",
    "classifiers": "triage/classifiers",
    "redaction": "triage/redaction",
    "rules": "triage/rules",
    "api": "triage/api",
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("triage-*.whl")
    return zipfile.ZipFile(path)


def test_only_triage_at_top_level(wheel: zipfile.ZipFile) -> None:
    tops = {
        n.split("/")[0]
        for n in wheel.namelist()
        if not n.split("/")[0].endswith((".dist-info", ".data"))
    }
    assert tops == {"triage"}


@pytest.mark.parametrize("folder", sorted(FOLDERS))
def test_every_module_is_in_the_wheel(wheel: zipfile.ZipFile, folder: str) -> None:
    names = set(wheel.namelist())
    for source in (ROOT / folder).rglob("*.py"):
        if "__pycache__" in source.parts:
            continue
        relative = source.relative_to(ROOT / folder).as_posix()
        assert f"{FOLDERS[folder]}/{relative}" in names


def test_rulebooks_and_typing_marker_ship(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    assert "triage/py.typed" in names
    for dest in ("open-data", "third-party", "foi", "internal"):
        assert f"triage/rules/rulebooks/{dest}.yaml" in names
