"""Small files with huge costs, built on demand (nothing binary is committed): shared by
``tests/test_hostile_bombs.py`` and ``bench/bench_hostile.py``, and a child-process runner
that measures a CLI check's wall time and peak memory."""

from __future__ import annotations

import io
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def parquet_dictionary_bomb(folder: Path, rows: int = 1_000_000, width: int = 3_600) -> Path:
    """One dictionary-encoded text column: a ``width``-character value in every row, so a
    file of tens of KB decodes to ``rows * width`` bytes."""
    path = folder / "dictionary_bomb.parquet"
    indices = pa.array([0] * rows, type=pa.int32())
    column = pa.DictionaryArray.from_arrays(indices, pa.array(["x" * width]))
    pq.write_table(pa.table({"note": column}), path, compression="zstd")
    return path


def _minimal_xlsx(sheet_xml: bytes, extra: Sequence[tuple[str, bytes]] = ()) -> bytes:
    """The bytes of a one-sheet workbook holding ``sheet_xml`` (inline strings only)."""
    ns = "http://schemas.openxmlformats.org"
    parts = {
        "[Content_Types].xml": (
            f'<Types xmlns="{ns}/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{ns}/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{ns}/officeDocument/2006/'
            'relationships"><sheets><sheet name="data" sheetId="1" r:id="rId1"/></sheets>'
            "</workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{ns}/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'
        ),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
        zf.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        for name, data in extra:
            zf.writestr(name, data)
    return buf.getvalue()


def _sheet(rows: int, dimension: str) -> bytes:
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    body = ['<row r="1"><c r="A1" t="inlineStr"><is><t>reading</t></is></c></row>']
    body += [f'<row r="{i}"><c r="A{i}"><v>{i % 97}</v></c></row>' for i in range(2, rows + 2)]
    return (
        f'<worksheet xmlns="{ns}"><dimension ref="{dimension}"/><sheetData>'
        + "".join(body)
        + "</sheetData></worksheet>"
    ).encode()


def xlsx_dimension_bomb(folder: Path, rows: int = 20_000) -> Path:
    """A one-column sheet that declares the whole grid, ``A1:XFD1048576``: a reader trusting
    the dimension pads every row to 16,384 cells."""
    path = folder / "dimension_bomb.xlsx"
    path.write_bytes(_minimal_xlsx(_sheet(rows, "A1:XFD1048576")))
    return path


def xlsx_zip_bomb(folder: Path, expanded_mb: int = 194) -> Path:
    """A small workbook carrying a part of ``expanded_mb`` MB of zeros: over 100 times
    compressed, under the old 200 MB floor."""
    path = folder / "zip_bomb.xlsx"
    path.write_bytes(_minimal_xlsx(_sheet(3, "A1:A4")))
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf,
        zf.open("xl/media/padding.bin", "w") as part,
    ):
        for _ in range(expanded_mb):
            part.write(bytes(1024**2))
    return path


def geojson_polygon_bomb(folder: Path, vertices: int = 1_000_000) -> Path:
    """One polygon of ``vertices`` vertices (a circle), in a GeoJSON file."""
    path = folder / "polygon_bomb.geojson"
    step = 2 * math.pi / vertices
    ring = [
        [round(-1.5 + 0.01 * math.cos(i * step), 7), round(52.4 + 0.01 * math.sin(i * step), 7)]
        for i in range(vertices)
    ]
    ring.append(ring[0])
    feature = {
        "type": "Feature",
        "properties": {"name": "park"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    return path


def deep_json(folder: Path, depth: int = 900) -> Path:
    """An array of one record whose value nests ``depth`` arrays deep."""
    path = folder / "deep.json"
    path.write_text('[{"id": 1, "deep": ' + "[" * depth + "1" + "]" * depth + "}]")
    return path


def wide_csv(folder: Path, columns: int = 100_000) -> Path:
    """A CSV with ``columns`` columns: its header line alone is over 600 KB."""
    path = folder / "wide.csv"
    header = ",".join(f"column_{i}" for i in range(columns))
    row = ",".join(str(i % 10) for i in range(columns))
    path.write_text(f"{header}\n{row}\n{row}\n")
    return path


def ordinary_csv(folder: Path, rows: int = 200) -> Path:
    """A small ordinary CSV: the baseline a bomb's cost is compared with."""
    path = folder / "ordinary.csv"
    lines = ["reading_id,sensor,no2"]
    lines += [f"{i},S{i % 7},{(i * 13) % 60}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


#: every bomb: name -> builder
BOMBS: dict[str, Callable[[Path], Path]] = {
    "parquet_dictionary": parquet_dictionary_bomb,
    "xlsx_dimension": xlsx_dimension_bomb,
    "xlsx_zip_ratio": xlsx_zip_bomb,
    "geojson_polygon": geojson_polygon_bomb,
    "json_deep": deep_json,
    "csv_wide": wide_csv,
}


@dataclass(frozen=True)
class Measured:
    """A CLI check run in a child process: exit code, output and its cost."""

    code: int
    stdout: str
    stderr: str
    wall_seconds: float
    peak_rss_mb: float


#: Runs the CLI as its child and writes that child's peak RSS (KiB, from ``wait4``) to the
#: file in ``$TRIAGE_TEST_RSS_FILE``. Linux keeps a process's peak RSS across fork and exec, so
#: a child forked straight from a large test process would report the test process's size;
#: forked from this small launcher, it reports its own (and its waited-for children's).
_LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen([sys.executable, "-m", "triage.cli", *sys.argv[1:]])
_, status, usage = os.wait4(child.pid, 0)
with open(os.environ["TRIAGE_TEST_RSS_FILE"], "w") as fh:
    fh.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_cli(args: Sequence[str], cwd: Path, timeout: float = 600) -> Measured:
    """Run ``triage`` with ``args`` in a child process (through a small launcher); its peak
    RSS, with the processes it waited for, from ``wait4``; killed with its session at
    ``timeout``."""
    out, err, rss = cwd / ".stdout", cwd / ".stderr", cwd / ".rss"
    rss.unlink(missing_ok=True)
    env = {**os.environ, "TRIAGE_TEST_RSS_FILE": str(rss)}
    with open(out, "wb") as fo, open(err, "wb") as fe:
        start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, *args],
            cwd=cwd,
            stdout=fo,
            stderr=fe,
            env=env,
            start_new_session=True,
        )
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        wall = time.monotonic() - start
    peak = int(rss.read_text()) / 1024 if rss.is_file() else float("inf")
    return Measured(
        proc.returncode,
        out.read_text(errors="replace"),
        err.read_text(errors="replace"),
        wall,
        peak,
    )


def one_line_error(stderr: str) -> bool:
    """stderr holds exactly one line, a ``triage: error:`` (no traceback)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    return len(lines) == 1 and re.match(r"triage: error: ", lines[0]) is not None
