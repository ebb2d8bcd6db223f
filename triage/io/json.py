"""JSON, NDJSON and GeoJSON (points) tables: records read as string columns, numbers as
written (``1.50`` stays ``1.50``), arrays and objects flattened into their leaves; released
data written as JSON records, one per line for NDJSON, or point features. GeoJSON of other
geometries is read by :mod:`triage.io.geo`."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd

from triage.context import Limits
from triage.io.errors import file_error
from triage.io.frames import TableRead, string_frame, unique_names
from triage.io.limits import check_json_depth
from triage.io.nested import ALL_LEFT_OUT, leaf_columns
from triage.io.sniff import detect_encoding
from triage.io.writing import as_records, atomic_write


def read(path: Path, raw: bytes, limits: Limits, fmt: str, sheet: str | None) -> TableRead:
    """A JSON, NDJSON or GeoJSON file's bytes as a table (``sheet`` is not used); a ``.json``
    holding a FeatureCollection is read as ``geojson``."""
    if fmt == "ndjson":
        frame, left_out = _read_ndjson(path, raw, limits)
    else:
        frame, left_out, fmt = _read_json(path, raw, limits, fmt)
    return TableRead(frame, fmt, left_out=tuple(left_out))


def write(frame: pd.DataFrame, path: Path, fmt: str) -> Path:
    """Write ``frame`` as ``json`` (an array of records), ``ndjson`` or ``geojson`` (point
    features from its ``longitude`` / ``latitude``), atomically."""
    if fmt == "geojson":
        return _write_geojson(frame, path)
    return _write_json(frame, path, ndjson=fmt == "ndjson")


class _Num(str):
    """A JSON number kept as the text it was written as."""

    __slots__ = ()


def _json_loads(text: str) -> Any:
    # Numbers keep their text exactly as written ("1.50" stays "1.50").
    return json.loads(text, parse_float=_Num, parse_int=_Num, parse_constant=_Num)


def json_value(text: str) -> Any:
    """A JSON-typed cell parsed, or its text when it is not valid JSON."""
    try:
        return _json_loads(text)
    except (json.JSONDecodeError, RecursionError):
        return text


def json_text(value: object) -> str | None:
    """A scalar JSON value as text: numbers as written, ``true`` / ``false``, None missing."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _records_frame(
    path: Path, records: Iterable[Any], limits: Limits, what: str
) -> tuple[pd.DataFrame, list[str]]:
    """JSON objects as a frame of string columns, one per key, a key holding arrays or
    objects flattened into its leaves (:func:`flatten_nested`); also the keys left out."""
    order: dict[str, None] = {}
    rows: list[dict[str, Any]] = []
    for i, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            raise file_error(path, f"{what} {i:,} is not a JSON object")
        for key in rec:
            if key not in order:
                order[key] = None
                if len(order) > limits.max_columns:
                    raise file_error(
                        path, f"more than {limits.max_columns:,} columns, over the limit"
                    )
        rows.append(rec)
        if len(rows) > limits.max_rows:
            raise file_error(path, f"more than {limits.max_rows:,} rows, over the limit")
    if not rows:
        raise file_error(path, "contains no records")
    labels, columns, left_out = leaf_columns(
        ((key, [r.get(key) for r in rows]) for key in order), json_text
    )
    if not columns:
        raise file_error(path, ALL_LEFT_OUT)
    names = unique_names(labels)
    return string_frame(names, dict(zip(names, columns, strict=True))), left_out


def _read_text_utf8(path: Path, raw: bytes) -> str:
    try:
        encoding = detect_encoding(raw)
        text = raw.decode(encoding)
    except (ValueError, UnicodeDecodeError, LookupError):
        raise file_error(path, "does not look like a text file (binary content)") from None
    return text.lstrip("\ufeff")


_FEATURE_COLLECTION = re.compile(r'"type"\s*:\s*"FeatureCollection"')
_NON_POINT = re.compile(
    r'"type"\s*:\s*"(?:(?:Multi)?(?:Polygon|LineString)|MultiPoint|GeometryCollection)"'
)


def _read_json(
    path: Path, raw: bytes, limits: Limits, fmt: str
) -> tuple[pd.DataFrame, list[str], str]:
    text = _read_text_utf8(path, raw)
    if not text.strip():
        raise file_error(path, "file is empty (whitespace only)")
    if _FEATURE_COLLECTION.search(text) and _NON_POINT.search(text):
        # the geometry reader takes these: not parsed here first (a polygon of a million
        # vertices costs seconds and hundreds of MB as Python objects)
        raise file_error(
            path,
            "GeoJSON holds geometries other than points: only Point geometries are read as JSON",
        )
    try:
        doc = _json_loads(text)
    except json.JSONDecodeError as exc:
        raise file_error(path, f"invalid JSON at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise file_error(
            path, f"JSON is nested too deeply (over the limit of {limits.max_json_depth:,})"
        ) from None
    check_json_depth(path, doc, limits)
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        return *_geojson_frame(path, doc, limits), "geojson"
    if fmt == "geojson":
        raise file_error(path, "is not a GeoJSON FeatureCollection")
    if _is_data_package(path, doc):
        raise file_error(
            path,
            "is a Data Package descriptor, not a table: check the files its resources "
            "name instead (their data is not in the descriptor)",
        )
    if isinstance(doc, list):
        return *_records_frame(path, doc, limits, "array item"), "json"
    if isinstance(doc, dict):
        if isinstance(doc.get("data"), list):
            return *_records_frame(path, doc["data"], limits, "record"), "json"
        lists = [v for v in doc.values() if isinstance(v, list)]
        if len(lists) == 1:
            return *_records_frame(path, lists[0], limits, "record"), "json"
    raise file_error(
        path,
        "JSON must be an array of objects, or an object holding one array of objects "
        '(e.g. {"data": [...]})',
    )


def _is_data_package(path: Path, doc: Any) -> bool:
    """A Frictionless Data Package descriptor: ``datapackage.json`` or an object whose
    ``resources`` are objects naming a ``path`` or holding ``data`` (the Data Package spec)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("resources"), list):
        return False
    if path.name.lower() == "datapackage.json" or "profile" in doc:
        return True
    resources = doc["resources"]
    return bool(resources) and all(
        isinstance(r, dict) and ("path" in r or "data" in r) for r in resources
    )


def _geojson_frame(
    path: Path, doc: dict[str, Any], limits: Limits
) -> tuple[pd.DataFrame, list[str]]:
    features = doc.get("features")
    if not isinstance(features, list):
        raise file_error(path, "GeoJSON FeatureCollection has no features list")
    records: list[dict[str, Any]] = []
    lon_key, lat_key = "longitude", "latitude"
    for i, feat in enumerate(features, start=1):
        if not isinstance(feat, dict):
            raise file_error(path, f"GeoJSON feature {i:,} is not an object")
        props = feat.get("properties") or {}
        if not isinstance(props, dict):
            raise file_error(path, f"GeoJSON feature {i:,} has non-object properties")
        geom = feat.get("geometry")
        lon: Any = None
        lat: Any = None
        if geom is not None:
            if not isinstance(geom, dict) or geom.get("type") != "Point":
                raise file_error(
                    path,
                    f"GeoJSON feature {i:,}: only Point geometries are supported for now",
                )
            coords = geom.get("coordinates")
            if not isinstance(coords, list) or len(coords) < 2:
                raise file_error(path, f"GeoJSON feature {i:,} has invalid Point coordinates")
            lon, lat = coords[0], coords[1]
        rec = dict(props)
        if lon_key in rec or lat_key in rec:
            lon_key, lat_key = "geometry_longitude", "geometry_latitude"
        rec["\x00lon"] = lon
        rec["\x00lat"] = lat
        records.append(rec)
    frame, left_out = _records_frame(path, records, limits, "feature")
    # Coordinates last, under their public names.
    rename = {"\x00lon": lon_key, "\x00lat": lat_key}
    cols = [c for c in frame.columns if c not in rename] + list(rename)
    frame = frame[cols]
    frame.columns = pd.Index(unique_names(rename.get(c, c) for c in cols))
    return frame, left_out


def _read_ndjson(path: Path, raw: bytes, limits: Limits) -> tuple[pd.DataFrame, list[str]]:
    text = _read_text_utf8(path, raw)

    def records() -> Iterator[Any]:
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rec = _json_loads(line)
            except (json.JSONDecodeError, RecursionError):
                raise file_error(path, f"line {lineno:,} is not valid JSON") from None
            if not isinstance(rec, dict):
                raise file_error(path, f"line {lineno:,} is not a JSON object")
            check_json_depth(path, rec, limits, f"line {lineno:,}")
            yield rec

    return _records_frame(path, records(), limits, "line")


def _write_json(frame: pd.DataFrame, path: Path, ndjson: bool) -> Path:
    recs = as_records(frame)

    def write(fh: IO[bytes]) -> None:
        if ndjson:
            for rec in recs:
                fh.write(json.dumps(rec, ensure_ascii=False, default=str).encode("utf-8"))
                fh.write(b"\n")
        else:
            fh.write(json.dumps(recs, ensure_ascii=False, default=str, indent=1).encode("utf-8"))

    return atomic_write(path, write)


def _coordinate(value: object) -> float | None:
    if value is None:
        return None
    try:
        number = float(str(value))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _write_geojson(frame: pd.DataFrame, path: Path) -> Path:
    recs = as_records(frame)
    features = []
    for rec in recs:
        lon = _coordinate(rec.pop("longitude"))
        lat = _coordinate(rec.pop("latitude"))
        geometry = (
            {"type": "Point", "coordinates": [lon, lat]}
            if lon is not None and lat is not None
            else None
        )
        features.append({"type": "Feature", "geometry": geometry, "properties": rec})
    doc = {"type": "FeatureCollection", "features": features}
    return atomic_write(
        path,
        lambda fh: fh.write(json.dumps(doc, ensure_ascii=False, default=str).encode("utf-8")),
    )
