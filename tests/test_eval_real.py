"""The outside evaluation's material: each file has truth and provenance; scoring; size."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "bench" / "real"
DECISIONS = {"release", "release_with_changes", "refer", "withhold"}


def _truth() -> dict[str, dict[str, object]]:
    return yaml.safe_load((REAL / "truth.yaml").read_text(encoding="utf-8"))["datasets"]


def _eval_module():
    spec = importlib.util.spec_from_file_location("eval_real", ROOT / "bench" / "eval_real.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_real"] = module
    spec.loader.exec_module(module)
    return module


def test_every_file_has_truth_and_provenance() -> None:
    files = {p.name for p in (REAL / "data").iterdir()}
    sources = (REAL / "SOURCES.md").read_text(encoding="utf-8")
    assert files == set(_truth())
    for name in files:
        assert f"`data/{name}`" in sources, name


@pytest.mark.parametrize("name", sorted(_truth()))
def test_truth_entry_is_well_formed(name: str) -> None:
    truth = _truth()[name]
    assert truth["decision"] in truth["acceptable"]
    assert set(truth["acceptable"]) <= DECISIONS
    assert truth["split"] in ("tune", "holdout", "fresh", "blind", "blind2")
    assert truth["harmless"] == "all" or isinstance(truth["harmless"], list)
    if truth["sensitive"]:
        assert "release" not in truth["acceptable"]


def test_halves_are_balanced_and_material_is_small() -> None:
    splits = [t["split"] for t in _truth().values()]
    assert abs(splits.count("tune") - splits.count("holdout")) <= 1
    size = sum(p.stat().st_size for p in (REAL / "data").iterdir())
    assert size < 30 * 1024 * 1024


@pytest.mark.parametrize(
    ("decision", "right", "critical", "kept"),
    [
        ("release", False, True, 2),
        ("release_with_changes", True, False, 0),
        ("refer", True, False, 0),
    ],
)
def test_scoring(tmp_path: Path, decision: str, right: bool, critical: bool, kept: int) -> None:
    module = _eval_module()
    truth = {
        "decision": "refer",
        "acceptable": ["release_with_changes", "refer"],
        "sensitive": True,
        "harmless": ["age", "gender"],
        "personal": [],
    }
    report = {"decision": decision, "datasets": [{"columns": {}}], "rules_fired": []}
    outcome = module.score("arx_dis.csv", truth, report, tmp_path)
    assert (outcome.right, outcome.critical, outcome.harmless_kept) == (right, critical, kept)
