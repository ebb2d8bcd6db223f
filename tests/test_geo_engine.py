"""Places through the whole check: coordinates found, points treated, density judged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from triage.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def check(tmp_path: Path, capsys, *extra: str) -> dict:
    code = main(
        [
            "check",
            str(EXAMPLES / "incidents.csv"),
            "--destination",
            "open-data",
            "--context",
            str(EXAMPLES / "context" / "open-data.yaml"),
            "--out",
            str(tmp_path),
            "--quiet",
            *extra,
        ]
    )
    capsys.readouterr()
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert (
        code
        == {"release": 0, "release_with_changes": 10, "refer": 20, "withhold": 30}[
            report["decision"]
        ]
    )
    return report


def test_points_of_people_are_snapped_without_a_density_layer(tmp_path: Path, capsys) -> None:
    report = check(tmp_path, capsys)
    assert report["decision"] == "release_with_changes"
    fired = {r["rule"] for r in report["rules_fired"]}
    assert "people-points-too-precise" in fired and "sparse-cells-of-people" not in fired


@pytest.mark.parametrize(
    ("density_points", "sparse"),
    [(1, True), (400, False)],
)
def test_a_sparse_address_layer_refers(
    tmp_path: Path, capsys, density_points: int, sparse: bool
) -> None:
    # addresses: a regular lattice over Leeds (BNG), dense or nearly empty
    lines = ["easting,northing"]
    side = max(1, int(density_points**0.5))
    for i in range(side * side):
        for dx in range(0 if sparse else 12):
            lines.append(f"{420000 + (i % side) * 1000 + dx * 60},{425000 + (i // side) * 1000}")
    if sparse:
        lines.append("430000,433000")
    density = tmp_path / "addresses.csv"
    density.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = check(tmp_path / "out", capsys, "--density", str(density))
    fired = {r["rule"] for r in report["rules_fired"]}
    assert ("sparse-cells-of-people" in fired) is sparse
