"""Hostile nested values: personal data inside Parquet list / map / struct columns and JSON
arrays / objects is found in its leaves and never released unchecked.

Every file is generated here with pyarrow or json; a canary e-mail address, NHS number or
NINO in a nested value must never reach any byte (or decoded Parquet value) of any released
or proposed file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from triage.cli import main
from triage.context import Limits
from triage.io.formats import load_dataset
from triage.io.geo import load_geo
from triage.io.nested import MAX_NESTED_LEAVES

CANARY_EMAIL = "canary.person@example.com"
CANARY_NHS = "9434765919"
CANARY_NINO = "AB123456C"
EXIT = {"release": 0, "release_with_changes": 10, "refer": 20, "withhold": 30}
ROWS = 40


def _nhs(i: int) -> str:
    """A valid NHS number (mod-11 check digit); the canary first."""
    if i == 0:
        return CANARY_NHS
    while True:
        body = f"{400000000 + i * 7919:09d}"
        check = 11 - sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True)) % 11
        if check == 11:
            check = 0
        if check != 10:
            return body + str(check)
        i += ROWS


def _nino(i: int) -> str:
    return CANARY_NINO if i == 0 else f"AB{100000 + i:06d}C"


def _email(i: int) -> str:
    return CANARY_EMAIL if i == 0 else f"person.{i}@example.org"


def _parquet(path: Path, columns: dict[str, pa.Array]) -> None:
    pq.write_table(pa.table({"id": list(range(ROWS)), **columns}), path)


def _ndjson(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def _list_of_emails(path: Path) -> None:
    values = [[_email(i), f"other.{i}@example.net"] for i in range(ROWS)]
    _parquet(path.with_suffix(".parquet"), {"contacts": pa.array(values, pa.list_(pa.string()))})


def _map_with_nino(path: Path) -> None:
    values = [[("nino", _nino(i))] for i in range(ROWS)]
    typ = pa.map_(pa.string(), pa.string())
    _parquet(path.with_suffix(".parquet"), {"attributes": pa.array(values, typ)})


def _struct_with_nhs(path: Path) -> None:
    values = [{"nhs_number": _nhs(i), "ward": f"W{i % 3}"} for i in range(ROWS)]
    _parquet(path.with_suffix(".parquet"), {"patient": pa.array(values)})


def _struct_of_list(path: Path) -> None:
    values = [{"contact": {"emails": [_email(i)]}, "score": i} for i in range(ROWS)]
    _parquet(path.with_suffix(".parquet"), {"person": pa.array(values)})


def _json_typed_column(path: Path) -> None:
    texts = [json.dumps({"who": {"email": _email(i)}}) for i in range(ROWS - 1)] + ["not json"]
    _parquet(path.with_suffix(".parquet"), {"doc": pa.array(texts, pa.json_())})


def _ndjson_arrays(path: Path) -> None:
    _ndjson(path, [{"id": i, "emails": [_email(i), None]} for i in range(ROWS)])


def _ndjson_objects(path: Path) -> None:
    records = [{"id": i, "person": {"ids": {"nino": _nino(i)}, "n": i}} for i in range(ROWS)]
    _ndjson(path, records)


def _json_array_of_objects(path: Path) -> None:
    records = [{"id": i, "patient": [{"nhs": _nhs(i)}]} for i in range(ROWS)]
    path.with_suffix(".json").write_text(json.dumps(records), encoding="utf-8")


def _geojson_polygons(path: Path) -> None:
    ring = [[-1.0, 51.0], [-0.9, 51.0], [-0.9, 51.1], [-1.0, 51.0]]
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {"id": i, "owner": {"emails": [_email(i)]}},
        }
        for i in range(ROWS)
    ]
    doc = {"type": "FeatureCollection", "features": features}
    path.with_suffix(".geojson").write_text(json.dumps(doc), encoding="utf-8")


def _too_wide(path: Path) -> None:
    wide = [_email(i) for i in range(MAX_NESTED_LEAVES + 1)]
    _ndjson(path, [{"id": i, "blob": wide if i == 0 else []} for i in range(ROWS)])


#: case -> (writer, the column whose leaves hold the canary, its entity; None: refer)
CASES: dict[str, tuple[Callable[[Path], None], str, str | None]] = {
    "parquet list<string> of e-mails": (_list_of_emails, "contacts", "EMAIL_ADDRESS"),
    "parquet map<string,string> with a NINO": (_map_with_nino, "attributes", "UK_NINO"),
    "parquet struct with an NHS number": (_struct_with_nhs, "patient", "UK_NHS"),
    "parquet struct of struct of list": (_struct_of_list, "person", "EMAIL_ADDRESS"),
    "parquet JSON-typed column": (_json_typed_column, "doc", "EMAIL_ADDRESS"),
    "ndjson arrays": (_ndjson_arrays, "emails", "EMAIL_ADDRESS"),
    "ndjson objects": (_ndjson_objects, "person", "UK_NINO"),
    "json objects in arrays": (_json_array_of_objects, "patient", "UK_NHS"),
    "geojson polygons with nested properties": (_geojson_polygons, "owner", "EMAIL_ADDRESS"),
    "ndjson too wide to flatten": (_too_wide, "blob", None),
}


def _check(path: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = main(
        ["check", str(path), "--destination", "open-data", "--out", str(out), "--pattern-only"]
    )
    capsys.readouterr()
    return code, json.loads((out / "report.json").read_text(encoding="utf-8"))


def _written(path: Path) -> Path:
    (file,) = [p for p in path.parent.iterdir() if p.stem == path.stem]
    return file


def _output_texts(out: Path) -> list[tuple[str, bytes]]:
    """Every byte of every released or proposed file, and each Parquet file's values."""
    texts = []
    for folder in ("released", "proposed"):
        for file in (out / folder).rglob("*") if (out / folder).is_dir() else []:
            texts.append((file.name, file.read_bytes()))
            if file.suffix == ".parquet":
                values = pq.read_table(file).to_pylist()
                texts.append((f"{file.name} values", json.dumps(values).encode()))
    return texts


@pytest.mark.parametrize("case", list(CASES))
def test_nested_personal_data_is_never_released(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    write, column, entity = CASES[case]
    write(tmp_path / "data.ndjson")
    code, report = _check(_written(tmp_path / "data.ndjson"), tmp_path / "out", capsys)
    assert report["decision"] != "release"
    assert code == EXIT[report["decision"]]
    (ds,) = report["datasets"]
    if entity is None:
        assert report["decision"] == "refer"
        assert any(
            p["kind"] == "nested_unchecked" and repr(column) in p["message"]
            for p in report["problems"]
        ), report["problems"]
    else:
        leaves = {c: v for c, v in ds["columns"].items() if c.startswith(column)}
        assert any(entity in v["entities"] for v in leaves.values()), (entity, leaves)
    for name, data in _output_texts(tmp_path / "out"):
        for canary in (CANARY_EMAIL, CANARY_NHS, CANARY_NINO):
            assert canary.encode() not in data, (name, canary)


@pytest.mark.parametrize("suffix", [".parquet", ".ndjson"])
def test_nested_sensor_readings_are_not_referred_for_being_nested(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    readings = [
        {"sensor": {"site": f"S{i % 4}", "values": [20.5 + i % 7, 0.25 * (i % 5)]}}
        for i in range(ROWS)
    ]
    path = tmp_path / f"readings{suffix}"
    if suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(readings), path)
    else:
        _ndjson(path, readings)
    code, report = _check(path, tmp_path / "out", capsys)
    assert not any(p["kind"] == "nested_unchecked" for p in report["problems"])
    (ds,) = report["datasets"]
    assert set(ds["columns"]) == {"sensor.site", "sensor.values[0]", "sensor.values[1]"}
    assert not any(v["entities"] for v in ds["columns"].values())
    assert report["decision"] in ("release", "release_with_changes")
    assert code == EXIT[report["decision"]]


def test_leaves_of_mixed_and_colliding_values_each_get_a_column(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps([{"a": {"b": 1}, "a.b": "x"}, {"a": 3, "m": [[1, {"k": True}]]}]))
    ds = load_dataset(path, Limits())
    assert list(ds.frame.columns) == ["a.b", "a", "a.b.1", "m[0][0]", "m[0][1].k"]
    assert ds.frame.astype(object).where(ds.frame.notna(), None).values.tolist() == [
        ["1", None, "x", None, None],
        [None, "3", None, "1", "true"],
    ]
    assert ds.left_out == ()


def test_deeply_nested_leaf_is_a_column(tmp_path: Path) -> None:
    deep: Any = CANARY_EMAIL
    for _ in range(900):
        deep = [deep]
    path = tmp_path / "d.ndjson"
    path.write_text(json.dumps({"id": 1, "deep": deep}) + "\n", encoding="utf-8")
    ds = load_dataset(path, Limits(max_json_depth=1_000))  # the default refuses it (exit 2)
    assert list(ds.frame.columns) == ["id", "deep" + "[0]" * 900]
    assert ds.frame.iloc[0, 1] == CANARY_EMAIL


def test_geojson_nested_properties_become_leaf_columns(tmp_path: Path) -> None:
    _geojson_polygons(tmp_path / "g.geojson")
    ds, _ = load_geo(tmp_path / "g.geojson")
    assert {"id", "owner.emails[0]", "geometry_wkt"} <= set(ds.frame.columns)
    assert ds.frame["owner.emails[0]"].iloc[0] == CANARY_EMAIL
