"""Tests for triage.io: loaders, writers, limits and formula escaping."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook, load_workbook

from triage.context import Limits
from triage.errors import DataInputError
from triage.formulas import escape_formula, escape_formulas
from triage.io.formats import load_dataset, write_released
from triage.io.frames import unique_names
from triage.io.sniff import detect_delimiter

SECRET = "Zebedee"  # a cell value that must never leak into an error message


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["007", "008", "010"],
            "name": ["Ann Jones", None, "Zoë £5"],
            "amount": ["1.50", "-5", "2"],
            "longitude": ["-1.5", "0.25", "-0.125"],
            "latitude": ["51.5", "52.25", "53.125"],
        },
        dtype="str",
    )


def _values(frame: pd.DataFrame) -> list[list[object]]:
    return frame.astype(object).where(frame.notna(), None).values.tolist()


def _assert_clean_error(exc: pytest.ExceptionInfo[DataInputError], file_name: str) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    assert file_name in msg
    assert SECRET not in msg
    return msg


# ------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "json", "ndjson", "geojson"])
def test_round_trip(tmp_path: Path, fmt: str) -> None:
    frame = _frame()
    written = write_released(frame, tmp_path / "out.bin", fmt)
    assert written.suffix == "." + fmt
    assert written.exists()
    ds = load_dataset(written, Limits())
    assert ds.format == fmt
    assert ds.name == written.name
    assert ds.sha256 == hashlib.sha256(written.read_bytes()).hexdigest()
    assert list(ds.frame.columns)[:3] == ["id", "name", "amount"]
    assert set(ds.frame.columns) == set(frame.columns)
    back = ds.frame[list(frame.columns)]
    assert _values(back) == _values(frame)
    assert all(str(t) in ("str", "string") for t in ds.frame.dtypes)


def test_write_does_not_mutate_and_is_atomic(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": ["=1+1"]}, dtype="str")
    before = frame.copy()
    out = write_released(frame, tmp_path / "x.csv", "csv")
    pd.testing.assert_frame_equal(frame, before)
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


@pytest.mark.parametrize(
    ("fmt", "columns", "expected_suffix"),
    [
        ("geojson", ["a", "b"], ".csv"),
        ("sav", ["a", "b"], ".csv"),
        ("geojson", ["longitude", "latitude"], ".geojson"),
    ],
)
def test_write_fallback_to_csv(
    tmp_path: Path, fmt: str, columns: list[str], expected_suffix: str
) -> None:
    frame = pd.DataFrame({c: ["1"] for c in columns}, dtype="str")
    out = write_released(frame, tmp_path / "out.geojson", fmt)
    assert out.suffix == expected_suffix
    assert load_dataset(out, Limits()).rows == 1


def test_dataset_hash_and_name(tmp_path: Path) -> None:
    p = tmp_path / "f.csv"
    p.write_bytes(b"a\n1\n")
    ds = load_dataset(p, Limits(), name="custom")
    assert ds.sha256 == hashlib.sha256(b"a\n1\n").hexdigest()
    assert ds.name == "custom"


# ------------------------------------------------------------------------------ CSV reading


@pytest.mark.parametrize(
    ("raw", "expected_columns", "expected_rows"),
    [
        ("id,name\n1,£5 note\n".encode("cp1252"), ["id", "name"], [["1", "£5 note"]]),
        ("id,name\n1,café £3\n".encode("latin-1"), ["id", "name"], [["1", "café £3"]]),
        ("id,name\n1,café\n".encode("utf-8-sig"), ["id", "name"], [["1", "café"]]),
        ("id,name\n1,naïve\n".encode("utf-16"), ["id", "name"], [["1", "naïve"]]),
        (b"id;name\n1;a,b\n2;c\n", ["id", "name"], [["1", "a,b"], ["2", "c"]]),
        (b"id\tname\n1\tx y\n", ["id", "name"], [["1", "x y"]]),
        (b"id|name\n1|x\n2|y\n", ["id", "name"], [["1", "x"], ["2", "y"]]),
        (b"id,code\n007,0012\n", ["id", "code"], [["007", "0012"]]),
        (b" a , b ,a\n1,2,3\n", ["a", "b", "a.1"], [["1", "2", "3"]]),
        (b"a,,b\n1,2,3\n", ["a", "unnamed_2", "b"], [["1", "2", "3"]]),
        (b"a,b\n1,\n,2\n", ["a", "b"], [["1", None], [None, "2"]]),
        (b'a,b\n1,"x\ny"\n', ["a", "b"], [["1", "x\ny"]]),
        (b"a,b,c\n1,2,3\n4,5,6,,\n", ["a", "b", "c"], [["1", "2", "3"], ["4", "5", "6"]]),
        (b"a,b\r\n1,2\r\n", ["a", "b"], [["1", "2"]]),
        (b"only\nx\ny\n", ["only"], [["x"], ["y"]]),
        ("a,b\n1,東京\n".encode(), ["a", "b"], [["1", "東京"]]),
    ],
    ids=[
        "cp1252-pound",
        "latin1",
        "utf8-bom",
        "utf16-bom",
        "semicolon",
        "tab",
        "pipe",
        "leading-zeros",
        "strip-and-dedupe-header",
        "blank-header",
        "missing-cells",
        "quoted-newline",
        "trailing-empty-fields",
        "crlf",
        "single-column",
        "utf8-cjk",
    ],
)
def test_csv_reading(
    tmp_path: Path, raw: bytes, expected_columns: list[str], expected_rows: list[list[object]]
) -> None:
    p = tmp_path / "data.csv"
    p.write_bytes(raw)
    ds = load_dataset(p, Limits())
    assert ds.format == "csv"
    assert list(ds.frame.columns) == expected_columns
    assert _values(ds.frame) == expected_rows
    assert ds.sha256 == hashlib.sha256(raw).hexdigest()


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1;2,5;3\n", ";"),
        ("a\tb\n1\t2\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ("single\nvalue\n", ","),
    ],
)
def test_detect_delimiter(sample: str, expected: str) -> None:
    assert detect_delimiter(sample) == expected


def test_unique_names() -> None:
    assert unique_names(["a", "a", "a", " b "]) == ["a", "a.1", "a.2", "b"]


def test_large_csv_is_fast(tmp_path: Path) -> None:
    import time

    rows = 200_000
    body = "".join(f"{i:06d},name{i},{i % 97}\n" for i in range(rows))
    p = tmp_path / "big.csv"
    p.write_text("id,name,n\n" + body)
    start = time.perf_counter()
    ds = load_dataset(p, Limits())
    assert time.perf_counter() - start < 5
    assert ds.rows == rows
    assert ds.frame["id"].iloc[0] == "000000"


# ------------------------------------------------------------------------------- other readers


def test_xlsx_cell_conversion(tmp_path: Path) -> None:
    import datetime as dt

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "first"
    ws.append(["id", "when", "n", "f", "text", "flag", "id"])
    ws.append(["007", dt.datetime(2024, 1, 5), 42, 2.5, "x", True, "a"])
    ws.append([None, dt.datetime(2024, 1, 5, 10, 30), 3.0, None, None, False, "b"])
    other = wb.create_sheet("second")
    other.append(["only"])
    other.append(["v"])
    p = tmp_path / "book.xlsx"
    wb.save(p)
    ds = load_dataset(p, Limits())
    assert list(ds.frame.columns) == ["id", "when", "n", "f", "text", "flag", "id.1"]
    assert _values(ds.frame) == [
        ["007", "2024-01-05", "42", "2.5", "x", "TRUE", "a"],
        [None, "2024-01-05T10:30:00", "3", None, None, "FALSE", "b"],
    ]
    assert _values(load_dataset(p, Limits(), sheet="second").frame) == [["v"]]
    with pytest.raises(DataInputError) as exc:
        load_dataset(p, Limits(), sheet="missing")
    _assert_clean_error(exc, "book.xlsx")


def test_parquet_types_become_strings(tmp_path: Path) -> None:
    import datetime as dt

    table = pa.table(
        {
            "i": pa.array([7, None], type=pa.int64()),
            "f": pa.array([1.0, 2.5]),
            "b": pa.array([True, False]),
            "d": pa.array([dt.date(2024, 1, 5), None]),
            "l": pa.array([[1, 2], None]),
            "s": pa.array(["x", "y"]).dictionary_encode(),
        }
    )
    p = tmp_path / "t.parquet"
    pq.write_table(table, p)
    ds = load_dataset(p, Limits())
    assert list(ds.frame.columns) == ["i", "f", "b", "d", "l[0]", "l[1]", "s"]
    assert _values(ds.frame) == [
        ["7", "1", "true", "2024-01-05", "1", "2", "x"],
        [None, "2.5", "false", None, None, None, "y"],
    ]


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ([{"a": 1.50, "b": "x"}, {"b": "y", "c": True}], ["a", "b", "c"]),
        ({"data": [{"a": 1}]}, ["a"]),
        ({"meta": {"n": 1}, "rows": [{"a": 1}]}, ["a"]),
    ],
)
def test_json_shapes(tmp_path: Path, doc: object, expected: list[str]) -> None:
    p = tmp_path / "d.json"
    p.write_text(json.dumps(doc))
    ds = load_dataset(p, Limits())
    assert list(ds.frame.columns) == expected
    assert ds.format == "json"


def test_json_numbers_keep_their_text(tmp_path: Path) -> None:
    p = tmp_path / "d.json"
    p.write_text('[{"a": 1.50, "b": 10, "c": null, "d": {"x": 1}, "e": false}]')
    frame = load_dataset(p, Limits()).frame
    assert list(frame.columns) == ["a", "b", "c", "d.x", "e"]
    assert _values(frame) == [["1.50", "10", None, "1", "false"]]


def test_ndjson_and_jsonl(tmp_path: Path) -> None:
    for name in ("d.ndjson", "d.jsonl"):
        p = tmp_path / name
        p.write_text('{"a": "007"}\n\n{"a": 2, "b": "x"}\n')
        ds = load_dataset(p, Limits())
        assert ds.format == "ndjson"
        assert _values(ds.frame) == [["007", None], ["2", "x"]]


def test_geojson_points_and_detection(tmp_path: Path) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [-1.25, 51.75]},
                "properties": {"site": "A"},
            },
            {"type": "Feature", "geometry": None, "properties": {"site": "B"}},
        ],
    }
    for name in ("p.geojson", "p.json"):
        p = tmp_path / name
        p.write_text(json.dumps(doc))
        ds = load_dataset(p, Limits())
        assert ds.format == "geojson"
        assert list(ds.frame.columns) == ["site", "longitude", "latitude"]
        assert _values(ds.frame) == [["A", "-1.25", "51.75"], ["B", None, None]]


# ------------------------------------------------------------------------------- errors


def _zip_bomb(p: Path) -> None:
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(210):
                fh.write(chunk)


def _ragged(p: Path) -> None:  # more broken rows than good ones: refused, not repaired
    p.write_text(f"a,b\n1,2\n3,4,x\n5,{SECRET},6\n")


def _fewer(p: Path) -> None:
    p.write_text(f"a,b,c\n{SECRET},5\n6,7\n1,2,3\n")


ERROR_CASES: list[tuple[str, str, object, str]] = [
    # id, file name, writer(path) or bytes, expected fragment of the message
    ("missing", "nope.csv", None, "not found"),
    ("empty", "e.csv", b"", "empty"),
    ("whitespace-only", "w.csv", b"  \n\n", "no header"),
    ("header-only", "h.csv", b"a,b\n", "no data rows"),
    ("ragged-more", "r.csv", _ragged, "line 3 has 3 fields"),
    ("ragged-fewer", "f.csv", _fewer, "line 2 has 2 fields"),
    ("bad-quote", "q.csv", f'a,b\n1,"{SECRET}\n2,3\n'.encode(), "quote"),
    ("binary-csv", "img.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
    ("unsupported", "d.sav", b"abc", "supported: "),
    ("no-extension", "data", b"abc", "unsupported"),
    (
        "corrupt-xlsx",
        "c.xlsx",
        b"PK\x03\x04 not really a zip " + SECRET.encode(),
        "not a valid XLSX",
    ),
    ("xlsx-bomb", "bomb.xlsx", _zip_bomb, "decompression bomb"),
    ("corrupt-parquet", "c.parquet", b"PAR1 nonsense " + SECRET.encode(), "not a valid Parquet"),
    ("bad-json", "b.json", f'[{{"a": "{SECRET}"'.encode(), "invalid JSON"),
    ("json-scalar", "s.json", b'"just a string"', "array of objects"),
    ("json-empty-list", "l.json", b"[]", "no records"),
    ("json-not-objects", "n.json", f'["{SECRET}"]'.encode(), "not a JSON object"),
    ("ndjson-bad-line", "b.ndjson", f'{{"a": 1}}\n{SECRET}\n'.encode(), "line 2"),
    (
        "geojson-polygon",
        "g.geojson",
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]},
                        "properties": {"x": SECRET},
                    }
                ],
            }
        ).encode(),
        "only Point geometries",
    ),
]


@pytest.mark.parametrize(
    ("file_name", "content", "fragment"),
    [c[1:] for c in ERROR_CASES],
    ids=[c[0] for c in ERROR_CASES],
)
def test_errors(tmp_path: Path, file_name: str, content: object, fragment: str) -> None:
    p = tmp_path / file_name
    if isinstance(content, bytes):
        p.write_bytes(content)
    elif callable(content):
        content(p)
    with pytest.raises(DataInputError) as exc:
        load_dataset(p, Limits())
    msg = _assert_clean_error(exc, file_name)
    assert fragment in msg
    assert exc.value.__cause__ is None


def test_directory_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "folder.csv"
    d.mkdir()
    with pytest.raises(DataInputError) as exc:
        load_dataset(d, Limits())
    assert "directory" in _assert_clean_error(exc, "folder.csv")


# ------------------------------------------------------------------------------- limits

LIMIT_CASES: list[tuple[str, str, object, Limits, str]] = [
    ("file-size", "s.csv", b"a\n" + b"1\n" * 100, Limits(max_file_bytes=50), "bytes"),
    ("rows", "r.csv", b"a\n" + b"1\n" * 11, Limits(max_rows=10), "rows"),
    ("columns", "c.csv", b"a,b,c\n1,2,3\n", Limits(max_columns=2), "columns"),
    (
        "cell-length",
        "l.csv",
        f"a,notes\n1,ok\n2,{SECRET * 10}\n".encode(),
        Limits(max_cell_chars=20),
        "column 'notes' at data row 2",
    ),
    ("json-rows", "r.json", json.dumps([{"a": 1}] * 3).encode(), Limits(max_rows=2), "rows"),
    ("ndjson-columns", "c.ndjson", b'{"a":1,"b":2,"c":3}\n', Limits(max_columns=2), "columns"),
]


@pytest.mark.parametrize(
    ("file_name", "content", "limits", "fragment"),
    [c[1:] for c in LIMIT_CASES],
    ids=[c[0] for c in LIMIT_CASES],
)
def test_limits(
    tmp_path: Path, file_name: str, content: bytes, limits: Limits, fragment: str
) -> None:
    p = tmp_path / file_name
    p.write_bytes(content)
    with pytest.raises(DataInputError) as exc:
        load_dataset(p, limits)
    assert fragment in _assert_clean_error(exc, file_name)


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_limits_other_formats(tmp_path: Path, fmt: str) -> None:
    frame = pd.DataFrame({"a": [str(i) for i in range(5)], "b": ["x"] * 5}, dtype="str")
    p = write_released(frame, tmp_path / "f", fmt)
    for limits, fragment in [(Limits(max_rows=3), "rows"), (Limits(max_columns=1), "columns")]:
        with pytest.raises(DataInputError) as exc:
            load_dataset(p, limits)
        assert fragment in _assert_clean_error(exc, p.name)


def test_small_highly_compressed_xlsx_is_allowed(tmp_path: Path) -> None:
    """A high ratio alone is fine; only ratio > 100 AND > 200 MB is refused."""
    frame = pd.DataFrame({"a": ["x" * 1000] * 50}, dtype="str")
    p = write_released(frame, tmp_path / "ok", "xlsx")
    assert load_dataset(p, Limits()).rows == 50


# ------------------------------------------------------------------------------- formulas

FORMULA_CASES = [
    ("=SUM(A1)", "'=SUM(A1)"),
    ("+cmd", "'+cmd"),
    ("-cmd", "'-cmd"),
    ("@x", "'@x"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ("-5", "-5"),
    ("-5.2", "-5.2"),
    ("+3", "+3"),
    ("-1e3", "-1e3"),
    ("-.5", "-.5"),
    # A phone number with + is not a plain number: escaped (safe, shows a quote).
    ("+44 20 7946 0958", "'+44 20 7946 0958"),
    ("-", "'-"),
    ("plain", "plain"),
    ("a=b", "a=b"),
    ("", ""),
]


@pytest.mark.parametrize(("value", "expected"), FORMULA_CASES)
def test_escape_formula(value: str, expected: str) -> None:
    assert escape_formula(value) == expected


def test_escape_formulas_frame_matches_scalar() -> None:
    values = [v for v, _ in FORMULA_CASES]
    frame = pd.DataFrame({"v": [*values, None]}, dtype="str")
    out = escape_formulas(frame)
    assert out["v"].tolist()[:-1] == [e for _, e in FORMULA_CASES]
    assert pd.isna(out["v"].iloc[-1])
    assert frame["v"].tolist()[0] == "=SUM(A1)"  # input untouched


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_written_files_are_escaped(tmp_path: Path, fmt: str) -> None:
    frame = pd.DataFrame({"v": ["=HYPERLINK(1)", "-5", "@x"]}, dtype="str")
    out = write_released(frame, tmp_path / "esc", fmt)
    if fmt == "csv":
        text = out.read_text()
        assert "'=HYPERLINK(1)" in text
        assert "\n-5\n" in text
    else:
        ws = load_workbook(out, read_only=True).worksheets[0]
        cells = [r[0] for r in ws.iter_rows(values_only=True)]
        assert cells == ["v", "'=HYPERLINK(1)", "-5", "'@x"]


def test_json_and_parquet_are_not_escaped(tmp_path: Path) -> None:
    frame = pd.DataFrame({"v": ["=1"]}, dtype="str")
    for fmt in ("json", "parquet"):
        out = write_released(frame, tmp_path / "raw", fmt)
        assert load_dataset(out, Limits()).frame["v"].iloc[0] == "=1"


# ------------------------------------------------------------------------------- extra cases


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'a,b\n1,5" screen\n', [["1", '5" screen']]),  # odd quote count: slow exact path
        ("a,b\n1,€5 – it’s “ok”\n".encode("cp1252"), [["1", "€5 – it’s “ok”"]]),
        (
            ("name,town\n" + "Zoë,Orléans\nJosé,Málaga\nFrançois,Besançon\n" * 50).encode("cp1252"),
            [["Zoë", "Orléans"], ["José", "Málaga"], ["François", "Besançon"]] * 50,
        ),
    ],
    ids=["inch-mark", "cp1252-specials", "cp1252-long"],
)
def test_csv_more_encodings_and_quotes(
    tmp_path: Path, raw: bytes, expected: list[list[str]]
) -> None:
    p = tmp_path / "x.csv"
    p.write_bytes(raw)
    assert _values(load_dataset(p, Limits()).frame) == expected


def test_ragged_line_number_after_quoted_newline(tmp_path: Path) -> None:
    p = tmp_path / "multi.csv"
    p.write_text(f'a,b\n1,"two\nlines"\n2,3\n4,5,{SECRET}\n6,7,8\n9,9,9\n')
    with pytest.raises(DataInputError) as exc:
        load_dataset(p, Limits())
    assert "line 5 has 3 fields" in _assert_clean_error(exc, "multi.csv")


def test_xlsx_over_excel_cell_limit_falls_back_to_csv(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": ["x" * 40_000]}, dtype="str")
    out = write_released(frame, tmp_path / "big", "xlsx")
    assert out.suffix == ".csv"
    assert load_dataset(out, Limits()).frame["a"].iloc[0] == "x" * 40_000


@pytest.mark.parametrize(
    ("name", "doc", "package"),
    [
        ("datapackage.json", {"resources": [{"path": "a.csv"}]}, True),
        ("x.json", {"profile": "tabular-data-package", "resources": []}, True),
        ("x.json", {"resources": [{"name": "a", "path": "a.csv"}]}, True),
        # an ordinary object holding one array of records named "resources" stays a table
        ("x.json", {"resources": [{"name": "pump", "count": 3}]}, False),
        ("x.json", {"data": [{"resources": 1}]}, False),
    ],
)
def test_data_package_descriptors_are_not_tables(tmp_path, name, doc, package) -> None:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    if package:
        with pytest.raises(DataInputError, match="Data Package"):
            load_dataset(path, Limits())
    else:
        assert len(load_dataset(path, Limits()).frame) == 1


@pytest.mark.parametrize(
    ("cells", "escaped"),
    [
        (['=HYPERLINK("http://x","y")', "@SUM(A1)", "+44 test", "-2+3"], 4),
        (["-5", "+3.2", "-1e3", "plain"], 0),  # numbers and text are not formulas
    ],
)
def test_formula_cells_never_leave_plainly(tmp_path: Path, cells: list[str], escaped: int) -> None:
    """Class 7 of real-data failures: a file of formula cells was released unchanged."""
    import json

    from triage.cli import main

    src = tmp_path / "f.csv"
    pd.DataFrame({"id": [str(i) for i in range(4)], "comment": cells}).to_csv(src, index=False)
    code = main(
        ["check", str(src), "--destination", "open-data", "--out", str(tmp_path / "o"), "--quiet"]
    )
    report = json.loads((tmp_path / "o" / "report.json").read_text(encoding="utf-8"))
    fired = {r["rule"] for r in report["rules_fired"]}
    assert ("formula-cells" in fired) is bool(escaped)
    if escaped:
        assert code == 10 and report["decision"] == "release_with_changes"
        released = (tmp_path / "o" / "released" / "f.csv").read_text(encoding="utf-8")
        assert released.count("'") >= escaped and "\n=" not in released


@pytest.mark.parametrize(
    ("text", "rows", "repair"),
    [
        # class 6 of real-data failures: a title line above the header
        ("Disclosure log 2024\nref,summary\n1,Bins\n2,Parking\n3,Trees\n", 3, "title line"),
        ("FOI log\nExported 2024-01-02\nref,summary\n1,Bins\n2,Parking\n", 2, "2 title line"),
        # a lost delimiter in a minority of rows: those rows are left out, the rest read
        (f"a,b\n1,2\n3,4\n5 {SECRET}\n7,8\n", 3, "1 row(s)"),
    ],
)
def test_messy_csv_is_read_and_repairs_said(
    tmp_path: Path, text: str, rows: int, repair: str
) -> None:
    p = tmp_path / "messy.csv"
    p.write_text(text)
    dataset = load_dataset(p, Limits())
    assert len(dataset.frame) == rows
    assert any(repair in r for r in dataset.repairs), dataset.repairs
    assert SECRET not in dataset.frame.to_csv()


def test_broken_rows_are_never_released(tmp_path: Path) -> None:
    import json

    from triage.cli import main

    p = tmp_path / "spend.csv"
    p.write_text(f"id,supplier,amount\n1,Acme Ltd,3\n2,Bolt Ltd {SECRET} 4\n3,Cogs Ltd,5\n")
    code = main(["check", str(p), "--destination", "open-data", "--out", str(tmp_path / "o")])
    report = json.loads((tmp_path / "o" / "report.json").read_text(encoding="utf-8"))
    assert code == 10 and report["decision"] == "release_with_changes"
    assert [x["kind"] for x in report["problems"]] == ["input_repaired"]
    for released in (tmp_path / "o" / "released").iterdir():
        assert SECRET not in released.read_text(encoding="utf-8")


@pytest.mark.parametrize(("ending", "repaired"), [(b"\r", True), (b"\r\n", False), (b"\n", False)])
def test_line_endings_of_any_kind_are_read(tmp_path: Path, ending: bytes, repaired: bool) -> None:
    p = tmp_path / "mac.csv"
    p.write_bytes(ending.join([b"ward,count", b"Headingley,14", b"Hyde Park,9"]) + ending)
    ds = load_dataset(p, Limits())
    assert ds.frame.shape == (2, 2)
    assert ds.frame["ward"].tolist() == ["Headingley", "Hyde Park"]
    assert any("carriage returns" in r for r in ds.repairs) is repaired


@pytest.mark.parametrize(
    ("ending", "decision", "kinds"),
    [
        (b"\r", "release", ["input_line_endings"]),  # read as written: the file itself may go
        (b"\n", "release", []),
    ],
)
def test_line_endings_alone_change_no_decision(
    tmp_path: Path, ending: bytes, decision: str, kinds: list[str]
) -> None:
    import json

    from triage.cli import main

    rows = [b"ward,bins_emptied", *(f"Ward {i},{100 + i}".encode() for i in range(30))]
    p = tmp_path / "bins.csv"
    p.write_bytes(ending.join(rows) + ending)
    out = tmp_path / "o"
    code = main(
        ["check", str(p), "--destination", "open-data", "--out", str(out), "--pattern-only"]
    )
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert (code, report["decision"]) == (0, decision), report["rules_fired"]
    assert [x["kind"] for x in report["problems"]] == kinds
