"""Asset-weakness content: text that tells an attacker where a physical or digital asset is weak.

Kinds (stable names for rules):

``coverage_gap``        blind spots, "not monitored", cameras faulty/offline/not recording
``access_code``         access/door/gate/keypad/alarm codes and PINs
``default_credential``  default or written-down passwords (``admin/admin``, ``password123``)
``firmware_version``    firmware/software versions of devices (``fw 1.2.3``, ``firmware v``)
``network_address``     IPv4 addresses (controllers, PLCs, cameras)
``maintenance_gap``     unpatched, overdue maintenance, broken locks, gates left open
``ot_identifier``       SCADA/OT protocols and controller models (Modbus TCP, DNP3 outstation,
                        RTU-7, S7-1200, a PLC at an address or driving pumps)

A weakness needs specific evidence: an identifier pattern in its context. A company suffix
("Siemens PLC"), a supplier name ("British Blind Spot"), a product code ("Code:273-9684") or a
description of works ("Installation of 3 CCTV cameras", "Replace faulty DVR") is not one:
OT terms need an address, port, device number or controlled process beside them, codes need
a lock and a digit, and columns that name organisations or people (``BeneficiaryName``,
``Supplier``) are not scanned.

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
#: a device's state, not a noun ("switch fault") nor an adjective of something else ("disabled
#: access", "taking down"): "down" and "disabled" count only as a state of the device
_BAD = (
    r"(?:faulty|offline|off-line|broken|not\s+(?:working|recording|functioning)|"
    r"(?:is|are|was|were|been|went|goes|currently)\s+(?:down|disabled)|"
    r"down\s+(?:since|for|again|overnight)|disabled\s+(?:since|for|overnight)|"
    r"defective|vandalised|obscured|out\s+of\s+(?:service|order))"
)
#: an access code is a value with a digit (``4471``, ``4512#``), not a word ("entry code system")
_CODE = r"[A-Z]{0,3}[*#]?\d[0-9A-Z*#]{2,}"
_LOCKS = r"(?:access|door|gate|entry|keypad|key\s*safe|keysafe|lock|alarm|padlock|cabinet)"
#: OT terms that are also company suffixes, job titles or other words ("Siemens PLC", "RTU
#: cleaner", "HMI Probation"): they need context in the same value
_OT_TERM = r"(?:plc|rtu|hmi|ied|scada)s?"
_OT_PROTOCOL = (
    r"(?:modbus|dnp\s?3|bacnet|profinet|profibus|iec[\s-]?6(?:0870|1850)(?:-\d+)*|opc[\s-]?ua)"
)
#: context that makes an OT term a specific identifier: an address or port, a device role,
#: a controlled process
_OT_CONTEXT = (
    r"(?:(?:\d{1,3}\.){3}\d{1,3}|port\s*\d+|outstation|gateway|telemetry|pumps?|valves?|"
    r"substation|pumping\s+station|treatment\s+works|reservoir|sluice|unit\s+id|"
    r"remote\s+access|exposed|internet[\s-]facing|unauthenticated|controlled\s+by|"
    r"controls\s+the|default\s+password)"
)

#: kind -> regex (case-insensitive, searched in each value). Every pattern is RE2-compatible
#: (the vectorised scan) except ``network_address``, whose look-arounds run in Python behind
#: a cheap RE2 prefilter.
PATTERNS: dict[str, str] = {
    "coverage_gap": (
        r"\bblind[\s-]?spots?\b|\bnot\s+(?:monitored|covered|recorded|patrolled)\b|"
        r"\bunmonitored\b|\bno\s+(?:cctv\s+)?coverage\b|\bdead\s+zone\b|"
        rf"\b{_CAM}s?\b[\w\s,/-]{{0,20}}?\b{_BAD}\b|\b{_BAD}\s+{_CAM}s?\b"
    ),
    "access_code": (
        rf"\b{_LOCKS}[\s-]*(?:code|pin|combination|combo)\b(?:\s*(?:is|[:=#-]))?\s*{_CODE}|"
        rf"\b{_LOCKS}\b[^.;\n]{{0,30}}?\bcode\s*(?:is|[:=])\s*\d{{3,}}\b"
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
        r"damaged|missing|faulty)\b|\b(?:gate|door|hatch|cabinet)s?\s+(?:was\s+|were\s+|is\s+|"
        r"are\s+)?(?:left\s+(?:open|unlocked|unsecured)|unlocked|propped(?:\s+open)?|not\s+"
        r"(?:locked|secured))\b|"
        r"\bend[\s-]of[\s-]life\s+(?:firmware|software|os|operating\s+system|device|hardware|"
        r"controller|server|switch|router|camera|plc)s?\b|\b(?:firmware|software|os|device|"
        r"hardware|controller|server|switch|router|camera|plc)s?\s+(?:is\s+|are\s+)?"
        r"(?:now\s+)?end[\s-]of[\s-]life\b|\bunsupported\s+(?:firmware|software|os)\b"
    ),
    "ot_identifier": (
        r"\bs7[\s-]?(?:200|300|400|1200|1500)\b|\bsimatic\s+(?:s7|et\s?200|wincc)\b|"
        r"\ballen[\s-]bradley\s+\w*\d|\bcontrollogix\b|\bcompactlogix\b|\bmodicon\b|"
        r"\bmicrologix\b|"
        rf"\b{_OT_PROTOCOL}[\s/-]+(?:tcp|udp|rtu|ip|plc|gateway|outstation|master|slave|device|"
        r"controller|server|client|meter|register)s?\b|"
        rf"\b{_OT_TERM}[\s#-]*\d+(?:[^/\d]|$)|"
        rf"\b(?:{_OT_TERM}|{_OT_PROTOCOL})\b[^.;\n]{{0,40}}?\b{_OT_CONTEXT}\b|"
        rf"\b{_OT_CONTEXT}\b[^.;\n]{{0,40}}?\b(?:{_OT_TERM}|{_OT_PROTOCOL})\b"
    ),
}

#: Descriptions of works (planning applications, purchase lines): a proposal or a repair
#: names the thing it changes, it does not report a gap ("Removal of security shutters",
#: "Replace faulty DVR").
_WORKS = (
    r"^\W*(?:(?:part[\s-])?retrospective\s+|proposed\s+)?(?:application\s+for\s+)?"
    r"(?:installation|erection|removal|replacement|retention|demolition|construction|"
    r"alterations?|provision|siting|display|conversion|extension|variation|refurbishment|"
    r"creation|formation|insertion|relocation|upgrade|renewal)\s+(?:of|to|and)\b|"
    r"^\W*change\s+of\s+use\b|"
    r"\b(?:replace|replaced|replacing|replacement\s+of|repair|repaired|repairing|repair\s+of|"
    r"repairs\s+to|fix|fixed|fixing|renew|renewed|remove|removed|removal\s+of)\s+"
    r"(?:the\s+|a\s+|an\s+|all\s+|\d+\s+|existing\s+)?(?:faulty|broken|damaged|defective|"
    r"vandalised|missing)\b"
)
#: planning conditions speak of what buildings cover and of discharging conditions, not of
#: what cameras miss ("Use of any part of the site not covered by buildings")
_CONDITIONS = (
    r"\bnot\s+covered\s+by\s+(?:the\s+|any\s+)?(?:buildings?|roofs?|structures?)\b|"
    r"\bdischarge\s+of\s+conditions?\b"
)
#: kind -> regex of values that hold the kind's words without being evidence of it
EXCLUDE: dict[str, str] = {
    "coverage_gap": f"{_WORKS}|{_CONDITIONS}",
    "maintenance_gap": _WORKS,
}

#: kind -> header regex (normalised header: lower case, non-alphanumerics as "_")
HEADER_KINDS: dict[str, str] = {
    "access_code": r"(?:access|door|gate|entry|keypad|alarm|lock)_?(?:code|pin)|key_?safe",
    "default_credential": r"password|passwd|(?:^|_)pwd(?:_|$)|credential|(?:^|_)login(?:_|$)",
    "firmware_version": r"firmware|(?:^|_)fw(?:_|$)|fw_?ver|software_?version",
    "network_address": r"(?:^|_)ip(?:_|$)|ip_?addr|ipv4|mac_?addr",
    "ot_identifier": r"(?:^|_)(?:plc|rtu|scada|modbus)(?:_|$)",
}

#: headers of columns holding names of organisations or people (normalised header): their
#: values are names, never evidence of a weakness
NAME_HEADERS = (
    r"^(?:[a-z]+_?)?(?:supplier|beneficiary|payee|vendor|merchant|contractor|creditor|company|"
    r"organi[sz]ation|employer|applicant|recipient)s?_?(?:name|label|title)?$|"
    r"^(?:first|last|sur|full|given)?_?name$"
)

KINDS: tuple[str, ...] = tuple(PATTERNS)

_COMPILED = {k: re.compile(v, re.IGNORECASE) for k, v in PATTERNS.items()}
_EXCLUDED = {k: re.compile(v, re.IGNORECASE) for k, v in EXCLUDE.items()}
_HEADERS = {k: re.compile(v) for k, v in HEADER_KINDS.items()}
_NAME_HEADER = re.compile(NAME_HEADERS)


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
    return {
        k
        for k, rx in _COMPILED.items()
        if rx.search(text) and not (k in _EXCLUDED and _EXCLUDED[k].search(text))
    }


def _regex(pattern: re.Pattern[str], values: pa.Array) -> np.ndarray:
    """Which values the (RE2-compatible) pattern finds, in C++."""
    found = pc.match_substring_regex(
        values, pattern=pattern.pattern, ignore_case=bool(pattern.flags & re.IGNORECASE)
    )
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)


#: Cheap RE2 prefilter for kinds whose pattern RE2 cannot run (look-arounds).
_RE2_PREFILTER = r"\d\.\d|[0-9a-fA-F]:[0-9a-fA-F]|::"


def _matches(kind: str, values: pa.Array, distinct: pd.Series) -> np.ndarray:
    """Which distinct values hold this kind: RE2 in C++ (pyarrow) where the pattern allows,
    else Python's regex on the values an RE2 prefilter lets through."""
    rx = _COMPILED[kind]
    try:
        hit = _regex(rx, values)
    except pa.ArrowInvalid:
        hit = np.zeros(len(distinct), dtype=bool)
        maybe = pc.match_substring_regex(values, pattern=_RE2_PREFILTER)
        idx = np.flatnonzero(np.asarray(maybe.to_numpy(zero_copy_only=False), dtype=bool))
        if len(idx):
            hit[idx] = distinct.iloc[idx].str.contains(rx, regex=True).to_numpy(dtype=bool)
    if kind in _EXCLUDED and hit.any():
        hit &= ~_regex(_EXCLUDED[kind], values)
    return hit


def column_weakness(series: pd.Series, name: str | None = None) -> ColumnWeakness | None:
    """Weakness kinds of one column, or None when there are none.

    Regexes run over the distinct non-missing values; counts are rows. A column that names
    organisations or people (:data:`NAME_HEADERS`) counts only what its header names.
    """
    col = str(name if name is not None else series.name)
    present = series.dropna()
    if present.empty:
        return None
    header = _norm(col)
    from_header = tuple(k for k, rx in _HEADERS.items() if rx.search(header))
    names = bool(_NAME_HEADER.search(header))
    if names and not from_header:
        return None
    codes, uniques = pd.factorize(present.astype(str), sort=False)
    freq = np.bincount(codes, minlength=len(uniques))
    distinct = pd.Series(uniques, dtype=object)
    any_hit = np.zeros(len(uniques), dtype=bool)
    kinds: dict[str, int] = {}
    nonblank = distinct.str.strip().str.len().to_numpy() > 0
    values = pa.array([str(u) for u in uniques], type=pa.string())
    for kind in KINDS:
        if kind in from_header:
            hit = nonblank.copy()
        elif names:
            continue
        else:
            hit = _matches(kind, values, distinct)
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
