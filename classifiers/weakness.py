"""Asset-weakness content: text that tells an attacker where a physical or digital asset is weak.

Kinds (stable names for rules):

``coverage_gap``        blind spots, "not monitored", cameras faulty/offline/not recording
``access_code``         access/door/gate/keypad/alarm codes and PINs
``default_credential``  default or written-down passwords (``admin/admin``, ``password123``)
``firmware_version``    firmware/software versions of devices (``fw 1.2.3``, ``firmware v``)
``network_address``     IPv4 addresses (controllers, PLCs, cameras)
``maintenance_gap``     unpatched, overdue maintenance, broken locks, gates left open
``ot_identifier``       SCADA/OT protocols and controller models (Modbus, DNP3, RTU, PLC, S7-1200)

Regexes run vectorised (``Series.str.contains``) over the *distinct* values of each column and
are mapped back to row counts. A header that names a kind (``door_code``, ``firmware``,
``ip_address``, ``password``) counts every non-missing cell of that column. Nothing here
returns a value: only columns, kinds and counts.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

log = logging.getLogger(__name__)

_CAM = r"(?:camera|cctv|cam|dvr|nvr|recorder|sensor|alarm)"
_BAD = (
    r"(?:faulty|fault|offline|off-line|broken|not\s+(?:working|recording|functioning)|"
    r"down|disabled|defective|vandalised|obscured|out\s+of\s+(?:service|order))"
)

#: kind -> regex (case-insensitive, searched in each value)
PATTERNS: dict[str, str] = {
    "coverage_gap": (
        r"\bblind[\s-]?spots?\b|\bnot\s+(?:monitored|covered|recorded|patrolled)\b|"
        r"\bunmonitored\b|\bno\s+(?:cctv\s+)?coverage\b|\bdead\s+zone\b|"
        rf"\b{_CAM}s?\b[\w\s,/-]{{0,20}}?\b{_BAD}\b|\b{_BAD}\s+{_CAM}s?\b"
    ),
    "access_code": (
        r"\b(?:access|door|gate|entry|keypad|key\s*safe|lock|alarm|padlock|cabinet)"
        r"[\s-]*(?:code|pin|combination|combo)\b(?:\s*(?:is|[:=#-]))?\s*[0-9A-Z*#]{3,}|"
        r"\bcode\s*(?:is|[:=])\s*\d{3,}\b"
    ),
    "default_credential": (
        r"\b(?:admin|root|user|operator|guest)\s*[/:]\s*(?:admin|root|password|1234|12345|"
        r"123456|pass|guest)\b|\bpassw(?:or)?d\s*\d+\b|\bpassword\s*(?:is|[:=])\s*\S+|"
        r"\bdefault\s+(?:password|credentials?|login|pin)\b|\b(?:pwd|passwd|pw)\s*[:=]\s*\S+|"
        r"\b(?:changeme|letmein|qwerty123|admin123)\b"
    ),
    "firmware_version": (
        r"\b(?:fw|firmware|f/w|sw|software|os)\s*(?:version|ver|rev)?\.?\s*[:=]?\s*v?\d+"
        r"(?:\.\d+){1,3}\b|\bfirmware\s+v\s*\d"
    ),
    "network_address": (
        r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}"
        r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?::\d{1,5})?(?![\w.]*\d)"
    ),
    "maintenance_gap": (
        r"\bunpatched\b|\bnot\s+(?:been\s+)?patched\b|\bpatch(?:es|ing)?\s+(?:overdue|missing|"
        r"outstanding)\b|\b(?:maintenance|service|servicing|inspection|repair|patch|"
        r"update)s?\s+(?:is\s+|are\s+)?(?:overdue|outstanding|missed|lapsed)\b|"
        r"\boverdue\s+(?:maintenance|service|servicing|inspection|repair|patch|update)s?\b|"
        r"\b(?:broken|damaged|faulty|missing|defective)\s+(?:lock|padlock|latch|door|gate|"
        r"fence|fencing|barrier|shutter)s?\b|\b(?:lock|padlock|latch)\s+(?:is\s+)?(?:broken|"
        r"damaged|missing|faulty)\b|\b(?:gate|door|hatch|cabinet)s?\s+(?:was\s+|is\s+)?"
        r"(?:left\s+)?(?:open|unlocked|propped(?:\s+open)?)\b|\bend[\s-]of[\s-]life\b|"
        r"\bunsupported\s+(?:firmware|software|os)\b"
    ),
    "ot_identifier": (
        r"\bmodbus(?:[\s/-]?(?:tcp|rtu))?\b|\bdnp\s?3\b|\bscada\b|\b(?:rtu|plc|hmi|ied)s?\b|"
        r"\bbacnet\b|\bprofinet\b|\bprofibus\b|\biec[\s-]?6(?:0870|1850)\b|\bopc[\s-]?ua\b|"
        r"\bs7[\s-]?(?:200|300|400|1200|1500)\b|\bsimatic\b|\ballen[\s-]bradley\b|"
        r"\bcontrollogix\b|\bcompactlogix\b|\bmodicon\b|\bmicrologix\b"
    ),
}

#: kind -> header regex (normalised header: lower case, non-alphanumerics as "_")
HEADER_KINDS: dict[str, str] = {
    "access_code": r"(?:access|door|gate|entry|keypad|alarm|lock)_?(?:code|pin)|key_?safe",
    "default_credential": r"password|passwd|(?:^|_)pwd(?:_|$)|credential|(?:^|_)login(?:_|$)",
    "firmware_version": r"firmware|(?:^|_)fw(?:_|$)|fw_?ver|software_?version",
    "network_address": r"(?:^|_)ip(?:_|$)|ip_?addr|ipv4|mac_?addr",
    "ot_identifier": r"(?:^|_)(?:plc|rtu|scada|modbus)(?:_|$)",
}

KINDS: tuple[str, ...] = tuple(PATTERNS)

_COMPILED = {k: re.compile(v, re.IGNORECASE) for k, v in PATTERNS.items()}
#: A cheap superset of every pattern, run first over the lower-cased distinct values with
#: pyarrow's regex engine (no look-arounds); the full patterns then run on the candidates only.
_HEADERS = {k: re.compile(v) for k, v in HEADER_KINDS.items()}


@dataclass(frozen=True)
class ColumnWeakness:
    """Weakness content of one column: rows per kind and rows with any kind."""

    column: str
    kinds: dict[str, int]
    rows: int
    from_header: tuple[str, ...] = ()


@dataclass(frozen=True)
class WeaknessAssessment:
    """Weakness content of a dataset (columns with any hit only)."""

    columns: dict[str, ColumnWeakness] = field(default_factory=dict)

    @property
    def kinds(self) -> tuple[str, ...]:
        """Distinct kinds found, in :data:`KINDS` order."""
        found = {k for c in self.columns.values() for k in c.kinds}
        return tuple(k for k in KINDS if k in found)

    @property
    def found(self) -> bool:
        """True when any weakness content was found."""
        return bool(self.columns)

    def facts(self) -> dict[str, object]:
        """CEL facts: ``{kinds: [...], columns: [...], rows: {kind: n}}``."""
        rows: dict[str, int] = {}
        for c in self.columns.values():
            for k, n in c.kinds.items():
                rows[k] = rows.get(k, 0) + n
        return {"kinds": list(self.kinds), "columns": list(self.columns), "rows": rows}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).lower()).strip("_")


def text_kinds(text: str) -> set[str]:
    """Weakness kinds found in one text (for free text outside tables)."""
    return {k for k, rx in _COMPILED.items() if rx.search(text)}


#: Cheap RE2 prefilter for kinds whose pattern RE2 cannot run (look-arounds).
_RE2_PREFILTER = r"\d\.\d|[0-9a-fA-F]:[0-9a-fA-F]|::"


def _matches(kind: str, values: pa.Array, distinct: pd.Series) -> np.ndarray:
    """Which distinct values hold this kind: RE2 in C++ (pyarrow) where the pattern allows,
    else Python's regex on the values an RE2 prefilter lets through."""
    rx = _COMPILED[kind]
    try:
        found = pc.match_substring_regex(
            values, pattern=rx.pattern, ignore_case=bool(rx.flags & re.IGNORECASE)
        )
        return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)
    except pa.ArrowInvalid:
        pass
    hit = np.zeros(len(distinct), dtype=bool)
    maybe = pc.match_substring_regex(values, pattern=_RE2_PREFILTER)
    idx = np.flatnonzero(np.asarray(maybe.to_numpy(zero_copy_only=False), dtype=bool))
    if len(idx):
        hit[idx] = distinct.iloc[idx].str.contains(rx, regex=True).to_numpy(dtype=bool)
    return hit


def column_weakness(series: pd.Series, name: str | None = None) -> ColumnWeakness | None:
    """Weakness kinds of one column, or None when there are none.

    Regexes run over the distinct non-missing values; counts are rows.
    """
    col = str(name if name is not None else series.name)
    present = series.dropna()
    if present.empty:
        return None
    header = _norm(col)
    from_header = tuple(k for k, rx in _HEADERS.items() if rx.search(header))
    codes, uniques = pd.factorize(present.astype(str), sort=False)
    freq = np.bincount(codes, minlength=len(uniques))
    distinct = pd.Series(uniques, dtype=object)
    any_hit = np.zeros(len(uniques), dtype=bool)
    kinds: dict[str, int] = {}
    nonblank = distinct.str.strip().str.len().to_numpy() > 0
    values = pa.array([str(u) for u in uniques], type=pa.string())
    for kind in KINDS:
        hit = nonblank.copy() if kind in from_header else _matches(kind, values, distinct)
        if hit.any():
            kinds[kind] = int(freq[hit].sum())
            any_hit |= hit
    if not kinds:
        return None
    return ColumnWeakness(col, kinds, int(freq[any_hit].sum()), from_header)


def detect_weaknesses(frame: pd.DataFrame, columns: list[str] | None = None) -> WeaknessAssessment:
    """Per-column weakness kinds and row counts over ``columns`` (default: all).

    A header naming a kind counts every non-blank cell (a ``door_code`` column of digits is
    itself an access code).
    """
    found: dict[str, ColumnWeakness] = {}
    for col in columns if columns is not None else list(frame.columns):
        cw = column_weakness(frame[col], str(col))
        if cw is None:
            continue
        found[str(col)] = cw
    return WeaknessAssessment(found)
