"""The report's map in a real browser: ``triage check`` of the synthetic ASB incidents
(examples/incidents.csv) with the synthetic site register snaps people's points to a 1 km grid,
coarsens points near sensitive sites, and report.html embeds an inline SVG map that headless
Chromium renders (DOM dump and a screenshot kept in tests/artefacts/)."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from triage.cli import main
from triage.report.map_svg import AFTER_COLOUR, BEFORE_COLOUR, BUFFER_COLOUR

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
INCIDENTS = EXAMPLES / "incidents.csv"
SITES = EXAMPLES / "sites_example.geojson"
ARTEFACTS = ROOT / "tests" / "artefacts"
SCREENSHOT = ARTEFACTS / "map-incidents.png"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
COORDS = ["latitude", "longitude"]
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/setup installs it)"
)


@dataclass(frozen=True)
class Checked:
    code: int
    out: Path
    report: dict[str, object]


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Checked:
    out = tmp_path_factory.mktemp("incidents") / "out"
    code = main(
        [
            "check",
            str(INCIDENTS),
            "--destination",
            "open-data",
            "--context",
            str(EXAMPLES / "context" / "open-data.yaml"),
            "--sites",
            str(SITES),
            "--out",
            str(out),
            "--quiet",
        ]
    )
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return Checked(code, out, report)


def chromium(html: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *extra,
            html.as_uri(),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )


# ------------------------------------------------------------------ report.json and released data


def test_example_is_deterministic_and_has_no_names() -> None:
    frame = pd.read_csv(INCIDENTS, dtype=str)
    assert len(frame) == 300
    assert list(frame.columns) == [
        "incident_ref",
        "incident_type",
        "reported_on",
        "latitude",
        "longitude",
    ]
    places = frame[COORDS].stack().str.split(".").str[1].str.len()
    assert set(places) <= {5, 6}


def test_decision_roles_and_rules(checked: Checked) -> None:
    report = checked.report
    assert checked.code == 10
    assert report["decision"] == "release_with_changes"
    (dataset,) = report["datasets"]  # type: ignore[misc]
    columns = dataset["columns"]
    for col in COORDS:
        assert columns[col]["role"] == "location"
        assert "COORDINATES" in columns[col]["entities"]
        assert "1000 m" in columns[col]["treatment"]
    fired = {r["rule"] for r in report["rules_fired"]}  # type: ignore[attr-defined]
    assert {"people-points-too-precise", "near-sensitive-site", "refuge-points"} <= fired
    kinds = {(f["kind"], f["severity"]) for f in report["findings"]}  # type: ignore[attr-defined]
    assert ("precise_location_of_people", "high") in kinds
    assert ("near_sensitive_site", "high") in kinds
    assert dataset["released"] == "released/incidents.csv"
    # records inside a refuge's buffer are removed, every other record is released
    assert NEAR_REFUGE > 0
    assert dataset["rows_released"] == 300 - NEAR_REFUGE


def _near_refuge() -> int:
    """Incidents inside a refuge's buffer (rulebook buffer), by brute force over the register."""
    from pyproj import Transformer

    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    sites = json.loads(SITES.read_text())["features"]
    refuges = [
        to_bng.transform(*f["geometry"]["coordinates"])
        for f in sites
        if f["properties"]["category"] == "refuge"
    ]
    frame = pd.read_csv(INCIDENTS, dtype=str)
    xs, ys = to_bng.transform(frame["longitude"].astype(float), frame["latitude"].astype(float))
    return sum(
        1
        for x, y in zip(xs, ys, strict=True)
        if any((x - rx) ** 2 + (y - ry) ** 2 <= 500.0**2 for rx, ry in refuges)
    )


NEAR_REFUGE = _near_refuge()


def test_released_coordinates_are_coarser(checked: Checked) -> None:
    before = pd.read_csv(INCIDENTS, dtype=str)
    after = pd.read_csv(checked.out / "released" / "incidents.csv", dtype=str)
    assert len(after) == len(before) - NEAR_REFUGE
    before = before[before["incident_ref"].isin(after["incident_ref"])].reset_index(drop=True)
    for col in COORDS:
        assert after[col].nunique() < before[col].nunique()
    pairs_before = len(before[COORDS].drop_duplicates())
    pairs_after = len(after[COORDS].drop_duplicates())
    assert pairs_after < pairs_before
    # no released point is an input point; the other columns are unchanged
    merged = before[COORDS].merge(after[COORDS], how="inner")
    assert merged.empty
    others = [c for c in before.columns if c not in COORDS]
    pd.testing.assert_frame_equal(before[others], after[others])


def test_site_names_never_reach_the_report(checked: Checked) -> None:
    names = {f["properties"]["name"] for f in json.loads(SITES.read_text())["features"]}
    for file in ("report.json", "report.md", "report.html"):
        text = (checked.out / file).read_text(encoding="utf-8")
        assert not [n for n in names if n in text], file


# ------------------------------------------------------------------ the rendered DOM


@dataclass
class SvgCensus(HTMLParser):
    """Counts ``<circle>`` classes inside ``<svg>`` elements of a DOM dump."""

    svgs: int = 0
    depth: int = 0
    circles: dict[str, int] = field(default_factory=dict)
    categories: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self.svgs += 1
            self.depth += 1
        elif tag == "circle" and self.depth:
            a = dict(attrs)
            cls = a.get("class") or ""
            self.circles[cls] = self.circles.get(cls, 0) + 1
            if cls == "buffer" and a.get("data-category"):
                self.categories.add(str(a["data-category"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg" and self.depth:
            self.depth -= 1


@needs_chromium
def test_rendered_dom_has_the_map(checked: Checked, tmp_path: Path) -> None:
    dom = chromium(checked.out / "report.html", tmp_path / "profile", "--dump-dom").stdout
    census = SvgCensus()
    census.feed(dom)
    assert census.svgs >= 1
    assert census.circles.get("pt-before") == 300
    assert census.circles.get("pt-after") == 300 - NEAR_REFUGE
    assert census.circles.get("buffer", 0) > 0
    register = json.loads(SITES.read_text())["features"]
    assert census.categories <= {f["properties"]["category"] for f in register}
    assert {"refuge", "school"} <= census.categories
    assert 'class="scale-bar"' in dom and 'class="legend"' in dom
    assert "Fictional" not in dom


# ------------------------------------------------------------------ the screenshot


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def png_rows(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(bytes per pixel, row) of an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, bytearray(), b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind == b"IHDR":
            header = data[pos + 8 : pos + 21]
        elif kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(bytes(idat))
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            line = bytearray((x + p) & 0xFF for x, p in zip(line, prev, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                pred = _paeth(line[i - bpp], prev[i], prev[i - bpp]) if i >= bpp else prev[i]
                line[i] = (line[i] + pred) & 0xFF
        yield bpp, bytes(line)
        prev = line


def colour_counts(png: Path, colours: dict[str, str], tolerance: int = 12) -> dict[str, int]:
    """Pixels within ``tolerance`` (per channel) of each ``#rrggbb`` colour."""
    targets = {n: tuple(bytes.fromhex(c.lstrip("#"))) for n, c in colours.items()}
    found = dict.fromkeys(colours, 0)
    for bpp, row in png_rows(png.read_bytes()):
        pixels = {row[i : i + 3] for i in range(0, len(row), bpp)}
        for name, (r, g, b) in targets.items():
            found[name] += sum(
                1
                for px in pixels
                if abs(px[0] - r) <= tolerance
                and abs(px[1] - g) <= tolerance
                and abs(px[2] - b) <= tolerance
            )
    return found


@needs_chromium
def test_screenshot_shows_the_map(checked: Checked, tmp_path: Path) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    chromium(
        checked.out / "report.html",
        tmp_path / "profile",
        f"--screenshot={SCREENSHOT}",
        "--window-size=1200,3000",
    )
    assert SCREENSHOT.is_file()
    assert SCREENSHOT.stat().st_size > 20_000
    counts = colour_counts(
        SCREENSHOT,
        {
            "before": BEFORE_COLOUR,
            "after": AFTER_COLOUR,
            "buffer": BUFFER_COLOUR,
            "control": "#00ff00",  # used nowhere in the report: the decoder must not find it
        },
    )
    # counts are (row, distinct matching colour) pairs: each layer shows on many rows
    assert counts["control"] == 0, counts
    assert counts["before"] > 50, counts
    assert counts["after"] > 50, counts
    assert counts["buffer"] > 20, counts
