"""Output folders that must never contradict the decision (issue 13, items 6 and 7).

Every input is generated here in ``tmp_path``: stale outputs of an earlier run beside a new
decision, a disk that fills while writing, an e-mail whose calendar and contact parts name a
person, and a message whose attachment cannot be redacted.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import triage.doc_redact
import triage.runner
from triage.cli import main

RELEASING = ("release", "release_with_changes")


def _contacts(tmp_path: Path) -> Path:
    """A table that is released with changes for open data (an e-mail column is dropped)."""
    path = tmp_path / "contacts.csv"
    wards = ("North", "South", "East", "West")
    rows = [f"{i},user{i}@example.com,{wards[i % 4]},{i % 7}" for i in range(200)]
    path.write_text("id,email,ward,count\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _letter(tmp_path: Path) -> Path:
    """An FOI letter: redacted and released with a model, referred in pattern-only mode."""
    path = tmp_path / "letter.txt"
    path.write_text(
        "Dear team,\n\nPlease write to jane.canary@example.com about the bins.\n\n"
        "The bins in our street were collected late again this week.\n",
        encoding="utf-8",
    )
    return path


def _check(path: Path, destination: str, out: Path, *extra: str) -> int:
    args = ["check", str(path), "--destination", destination, "--out", str(out), "--quiet"]
    return main([*args, *extra])


def _decision(out: Path) -> str | None:
    report = out / "report.json"
    return json.loads(report.read_text(encoding="utf-8"))["decision"] if report.exists() else None


def _files(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}


def _earlier_run(tmp_path: Path, out: Path) -> None:
    assert _check(_contacts(tmp_path), "open-data", out, "--pattern-only") == 10
    assert (out / "released" / "contacts.csv").exists()


def _hand_placed(tmp_path: Path, out: Path) -> None:
    """Outputs of a version without a manifest, or files put in ``released/`` by hand."""
    (out / "released").mkdir(parents=True)
    (out / "released" / "contacts.csv").write_text("id\n1\n", encoding="utf-8")
    (out / "report.json").write_text('{"decision": "release"}', encoding="utf-8")


@pytest.mark.parametrize("earlier", [_earlier_run, _hand_placed], ids=["manifest", "legacy"])
def test_stale_released_files_leave_when_the_new_run_refers(
    tmp_path: Path, earlier: Callable[[Path, Path], None]
) -> None:
    out = tmp_path / "out"
    earlier(tmp_path, out)
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    (out / "mine").mkdir()
    (out / "mine" / "keep.csv").write_text("a\n1\n", encoding="utf-8")
    assert _check(_letter(tmp_path), "foi", out, "--pattern-only") == 20
    assert _decision(out) == "refer"
    assert not (out / "released").exists()
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (out / "mine" / "keep.csv").exists()
    set_aside = [p for p in out.iterdir() if p.name.startswith("released.")]
    if earlier is _hand_placed:  # not known to be triage's: kept, but out of released/
        assert [p.name for p in set_aside[0].iterdir()] == ["contacts.csv"]
    else:
        assert set_aside == []
    assert not [p for p in tmp_path.iterdir() if ".triage-" in p.name]  # no staging left


def _full_disk(*_args: Any, **_kwargs: Any) -> Any:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize(
    ("target", "name", "make", "destination", "extra"),
    [
        (triage.runner, "write_released", _contacts, "open-data", ("--pattern-only",)),
        (triage.runner, "render_html", _contacts, "open-data", ("--pattern-only",)),
        (triage.runner, "render_markdown", _letter, "foi", ()),
        (triage.doc_redact, "write_log", _letter, "foi", ()),
    ],
    ids=["released-table", "report-html", "report-md", "document-log"],
)
@pytest.mark.parametrize("earlier", [False, True], ids=["fresh", "after-a-release"])
def test_a_full_disk_leaves_no_releasing_report(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    target: object,
    name: str,
    make: Callable[[Path], Path],
    destination: str,
    extra: tuple[str, ...],
    earlier: bool,
) -> None:
    out = tmp_path / "out"
    if earlier:
        _earlier_run(tmp_path, out)
    (tmp_path / "out").mkdir(exist_ok=True)
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    capsys.readouterr()
    monkeypatch.setattr(target, name, _full_disk)
    code = _check(make(tmp_path), destination, out, *extra)
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("triage: fault: cannot write the outputs")
    assert "No space left on device" in err and "nothing was released" in err
    assert _decision(out) not in RELEASING
    assert _files(out) == {"notes.txt"}  # nothing of this run, nothing of the earlier one
    assert not [p for p in tmp_path.iterdir() if ".triage-" in p.name]
