"""The walkthrough notebook runs as written (its code cells, in order, from notebooks/)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "walkthrough.ipynb"


def test_walkthrough_notebook_runs() -> None:
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    code += "\nprint(report.decision.value, table.decision.value)\n"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=NOTEBOOK.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["release_with_changes", "release_with_changes"]
