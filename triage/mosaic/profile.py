"""Column profiles and release fingerprints for mosaic (linkage) checks. Pure code, no I/O.

A *profile* describes one column of a frame in memory: its role, the kind of values it holds
(postcode, date, generic), their resolution (postcode unit/sector/district/area, date
day/month/year) and the canonical form of its distinct values, so two columns can be compared
value by value and joined.

A *fingerprint* is what survives of a release once its raw data is gone: JSON-ready, holding
no raw value. Per column: role, entities, kinds, a value-domain summary (distinct count, type,
shape signatures, resolution), MinHash signatures (datasketch, ``NUM_PERM`` permutations,
``MINHASH_SEED``) and a HyperLogLog sketch of the hashed distinct canonical values at the
column's resolution and each coarser one. Values are hashed with HMAC-SHA-256 under the
pseudonymisation key; without a key a fixed public salt is used and the fingerprint is marked
``keyed: false`` and then holds sketches only (unkeyed hashes of low-entropy values are
guessable). Keyed fingerprints also hold keyed hashes with counts of each linkable column's
values and of the quasi-identifier combination classes, so k after linkage can be bounded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from datasketch import HyperLogLog, MinHash

from triage.classifiers.columns import ColumnClassification, DatasetClassification
from triage.redaction.hierarchies import parse_dates, postcode_parts
from triage.vocab import ColumnRole, Entity

logger = logging.getLogger(__name__)

FINGERPRINT_VERSION = 1
NUM_PERM = 128
MINHASH_SEED = 1
HLL_P = 10
#: salt used instead of a key; public, so unkeyed fingerprints hold sketches only
PUBLIC_SALT = b"triage-mosaic-public-salt-v1"
#: most distinct values whose keyed hashes (with counts) a fingerprint stores per column
MAX_FREQUENCY_ENTRIES = 200_000
_CHUNK = 8192
MISSING = "\x00"

POSTCODE_RESOLUTIONS = ("unit", "sector", "district", "area")
DATE_RESOLUTIONS = ("day", "month", "year")

PSEUDONYM_RE = r"^PS-[0-9a-f]{16}$"
_ASSET_HEADER = re.compile(
    r"(asset|site|uprn|device|premises|property|equipment|plant|station|meter|sensor|"
    r"building|facility|substation|pump)",
    re.IGNORECASE,
)
_ID_HEADER = re.compile(r"(^|[_\s-])(id|ref|reference|code|no|number|key)$|id$", re.IGNORECASE)
#: value types compared exactly as written (no case or space folding): fast path
_EXACT_TYPES = frozenset({"pseudonym", "code"})
_DATE_KINDS = frozenset({"date_of_birth", "event_date"})


def resolutions(domain: str) -> tuple[str, ...]:
    """Resolutions of a value domain, finest first (empty for generic values)."""
    if domain == "postcode":
        return POSTCODE_RESOLUTIONS
    if domain == "date":
        return DATE_RESOLUTIONS
    return ()


def coarser(domain: str, a: str | None, b: str | None) -> str | None:
    """The coarser of two resolutions of ``domain`` (None for generic values)."""
    order = resolutions(domain)
    if not order or a is None or b is None:
        return None
    return order[max(order.index(a), order.index(b))]


# --------------------------------------------------------------------------- canonical values


def _generic(values: pd.Series) -> pd.Series:
    text = values.astype(str).str.strip().str.upper().str.replace(r"\s+", " ", regex=True)
    return text.str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)


def _postcode_resolution(value: str) -> tuple[str | None, str | None]:
    """(resolution, canonical unit-or-coarser form) of one postcode-like value."""
    text = " ".join(str(value).upper().split())
    parts = postcode_parts(text)
    if parts is None:
        if re.fullmatch(r"[A-Z]{1,2}", text):
            return "area", text
        return None, None
    sector, district, _area = parts
    compact = text.replace(" ", "")
    if len(compact) >= 5 and compact[-3].isdigit() and compact[-2:].isalpha():
        return "unit", f"{compact[:-3]} {compact[-3:]}"
    if sector != district:
        return "sector", sector
    return "district", district


def canonical_uniques(uniques: np.ndarray, domain: str, resolution: str | None) -> np.ndarray:
    """Canonical form of distinct non-missing values at ``resolution`` (object array).

    Values that cannot be read at that resolution (unparseable, or coarser than it) become
    None. Generic values are stripped, upper-cased and whitespace-collapsed; ``"42.0"`` reads
    as ``"42"``.
    """
    values = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    if len(values) == 0:
        return np.asarray([], dtype=object)
    order: tuple[str, ...]
    if domain == "postcode":
        order = POSTCODE_RESOLUTIONS
        target = order.index(resolution or "unit")
        out = np.full(len(values), None, dtype=object)
        for i, v in enumerate(values):
            res, canon = _postcode_resolution(str(v))
            if res is None or canon is None or order.index(res) > target:
                continue
            if target == 0:
                out[i] = canon
            else:
                parts = postcode_parts(canon)
                out[i] = canon if parts is None else parts[target - 1]
        return out
    if domain == "date":
        ts, precision = parse_dates(values.to_numpy(dtype=object))
        order = DATE_RESOLUTIONS
        target = order.index(resolution or "day")
        rank = np.array([order.index(str(p)) for p in precision], dtype=np.int64)
        ok = ts.notna().to_numpy(dtype=bool) & (rank <= target)
        fmt = ("%Y-%m-%d", "%Y-%m", "%Y")[target]
        text = ts.dt.strftime(fmt).to_numpy(dtype=object)
        return np.asarray(np.where(ok, text, None), dtype=object)
    return _generic(values).to_numpy(dtype=object)


def _shape(value: str) -> str:
    return re.sub(r"[a-z]+", "a", re.sub(r"[A-Z]+", "A", re.sub(r"\d+", "9", value)))[:12]


# --------------------------------------------------------------------------- profiles


@dataclass(frozen=True)
class ColumnProfile:
    """How one column can take part in a linkage (no raw values in its repr-able fields).

    Attributes
    ----------
    name, role, entities, qi_kind, sensitive_kind:
        From the column classification.
    link_kind:
        ``identifier`` (direct identifier, pseudonym or id-like codes), ``asset`` (asset or
        site ids), ``quasi_identifier``, ``location`` or None (not a link candidate).
    domain:
        ``postcode``, ``date`` or ``generic``.
    resolution:
        Modal resolution for postcodes / dates, else None.
    distinct, missing, max_count:
        Distinct non-missing values, missing cells, largest frequency of one value.
    """

    name: str
    role: ColumnRole
    entities: tuple[Entity, ...]
    qi_kind: str | None
    sensitive_kind: str | None
    link_kind: str | None
    domain: str
    resolution: str | None
    distinct: int
    missing: int
    max_count: int
    value_type: str


@dataclass
class FrameColumn:
    """A profiled column with its factorised values (codes per row, distinct uniques).

    Canonical forms, their Arrow arrays and joint codes with other columns are computed lazily
    and cached, so a column compared with several others is normalised and encoded once.
    """

    profile: ColumnProfile
    codes: np.ndarray
    _uniques: np.ndarray | None
    _arrow_uniques: pa.Array | None = None
    _canon: dict[str | None, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    _arrow: dict[str | None, pa.Array] = field(default_factory=dict)
    _joint: dict[tuple[int, str | None], tuple[FrameColumn, JointCodes]] = field(
        default_factory=dict
    )

    @property
    def uniques(self) -> np.ndarray:
        """Distinct non-missing values (object array, first-appearance order)."""
        if self._uniques is None:
            arrow = self._arrow_uniques
            assert arrow is not None
            self._uniques = np.asarray(arrow.to_numpy(zero_copy_only=False), dtype=object)
        return self._uniques

    @property
    def n_uniques(self) -> int:
        """Number of distinct non-missing values."""
        if self._uniques is None and self._arrow_uniques is not None:
            return len(self._arrow_uniques)
        return len(self.uniques)

    @property
    def _exact(self) -> bool:
        return self.profile.value_type in _EXACT_TYPES and self.profile.domain == "generic"

    def canonical(self, resolution: str | None) -> tuple[np.ndarray, np.ndarray]:
        """(per-unique canonical index or -1, distinct canonical values) at ``resolution``."""
        if resolution not in self._canon:
            if self._exact:
                # codes / pseudonyms compare exactly as written: no normalisation pass
                n = self.n_uniques
                self._canon[resolution] = (np.arange(n, dtype=np.int64), self.uniques)
            else:
                canon = canonical_uniques(self.uniques, self.profile.domain, resolution)
                idx, cuniq = pd.factorize(pd.Series(canon, dtype=object), use_na_sentinel=True)
                self._canon[resolution] = (
                    np.asarray(idx, dtype=np.int64),
                    np.asarray(cuniq, dtype=object),
                )
        return self._canon[resolution]

    def canonical_size(self, resolution: str | None) -> int:
        """Number of distinct canonical values at ``resolution``."""
        if self._exact:
            return self.n_uniques
        return len(self.canonical(resolution)[1])

    def canonical_arrow(self, resolution: str | None) -> pa.Array:
        """The distinct canonical values at ``resolution`` as an Arrow string array."""
        if resolution not in self._arrow:
            if self._exact and self._arrow_uniques is not None:
                self._arrow[resolution] = self._arrow_uniques
            else:
                self._arrow[resolution] = _to_arrow(self.canonical(resolution)[1])
        return self._arrow[resolution]

    def row_codes(self, resolution: str | None) -> np.ndarray:
        """Per-row canonical codes at ``resolution`` (-1 = missing or unreadable)."""
        if self._exact:
            return self.codes
        idx, _ = self.canonical(resolution)
        table = np.append(idx, -1)
        return table[np.where(self.codes < 0, len(idx), self.codes)]

    def row_canonical_codes(self, resolution: str | None) -> tuple[np.ndarray, np.ndarray]:
        """Per-row canonical codes (-1 = missing or unreadable) and the canonical values."""
        return self.row_codes(resolution), self.canonical(resolution)[1]

    def head(self, n: int) -> np.ndarray:
        """The first ``n`` distinct values (object array), without converting the rest."""
        if self._uniques is None and self._arrow_uniques is not None:
            return np.asarray(
                self._arrow_uniques.slice(0, n).to_numpy(zero_copy_only=False), dtype=object
            )
        return self.uniques[:n]


@dataclass(frozen=True)
class JointCodes:
    """Two columns' canonical values coded in one shared space (no raw values).

    ``left`` / ``right`` map each side's canonical index to a joint code (values of the left
    side keep their index; right-only values follow), ``n`` is the number of joint codes and
    ``shared`` the number of canonical values present on both sides.
    """

    left: np.ndarray
    right: np.ndarray
    n: int
    shared: int


def _to_arrow(values: np.ndarray) -> pa.Array:
    try:
        arr = pa.array(values, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        arr = pa.array([None if v is None else str(v) for v in values], type=pa.large_string())
    return arr


def joint_codes(a: FrameColumn, b: FrameColumn, resolution: str | None) -> JointCodes:
    """Code the canonical values of ``a`` and ``b`` at ``resolution`` in one space (cached).

    One hash pass (Arrow ``index_in``) over the right side's distinct values against the left
    side's: exact shared count and the join mapping at once.
    """
    cache_key = (id(b), resolution)
    hit = a._joint.get(cache_key)
    if hit is not None and hit[0] is b:
        return hit[1]
    ua, ub = a.canonical_arrow(resolution), b.canonical_arrow(resolution)
    na = len(ua)
    pos = pc.fill_null(pc.index_in(ub, value_set=ua), -1).to_numpy(zero_copy_only=False)
    pos = np.asarray(pos, dtype=np.int64)
    new = pos < 0
    right = np.where(new, na + np.cumsum(new) - 1, pos).astype(np.int64, copy=False)
    n_new = int(new.sum())
    joint = JointCodes(np.arange(na, dtype=np.int64), right, na + n_new, len(ub) - n_new)
    a._joint[cache_key] = (b, joint)
    return joint


def shared_estimate(a: FrameColumn, b: FrameColumn, resolution: str | None, sample: int) -> float:
    """Share of a deterministic sample of the smaller side's distinct values found in the other.

    Costs one scan of the larger side against a ``sample``-value set; 1.0 when the smaller side
    has at most ``sample`` values (no estimate needed).
    """
    ua, ub = a.canonical_arrow(resolution), b.canonical_arrow(resolution)
    small, big = (ua, ub) if len(ua) <= len(ub) else (ub, ua)
    if len(small) <= sample or len(big) == 0:
        return 1.0
    probe = small.take(pa.array(np.arange(0, len(small), len(small) // sample)))
    hits = pc.sum(pc.is_in(big, value_set=probe)).as_py() or 0
    return float(hits) / len(probe)


def _value_type(sample: pd.Series) -> str:
    if len(sample) == 0:
        return "empty"
    text = sample.astype(str).str.strip()
    if text.str.fullmatch(PSEUDONYM_RE).mean() >= 0.9:
        return "pseudonym"
    if text.str.fullmatch(r"-?\d+").mean() >= 0.9:
        return "integer"
    if text.str.fullmatch(r"-?\d*\.\d+").mean() >= 0.9:
        return "decimal"
    if (
        text.str.fullmatch(r"[A-Za-z0-9\-_/]+").mean() >= 0.9
        and text.str.contains(r"\d").mean() >= 0.5
    ):
        return "code"
    return "text"


def _is_sequence(uniques: np.ndarray, vtype: str) -> bool:
    """Integer ids that look like row numbers (small, dense): too common to prove a link."""
    if vtype != "integer" or len(uniques) == 0:
        return False
    nums = pd.to_numeric(pd.Series(uniques, dtype=object), errors="coerce")
    if nums.isna().any():
        return False
    return bool(nums.max() <= 10 * len(uniques) + 100)


def _link_kind(
    col: ColumnClassification, vtype: str, distinct: int, nonmissing: int, uniques: np.ndarray
) -> str | None:
    entities = set(col.entities)
    if col.role is ColumnRole.DIRECT_IDENTIFIER:
        return "identifier"
    if _ASSET_HEADER.search(col.name) and (
        _ID_HEADER.search(col.name) or Entity.UK_UPRN in entities
    ):
        return "asset" if distinct >= 2 else None
    if col.role is ColumnRole.QUASI_IDENTIFIER:
        return "quasi_identifier"
    if col.role is ColumnRole.LOCATION:
        return "location"
    if col.role in (ColumnRole.NONE, ColumnRole.SENSITIVE_ATTRIBUTE):
        if vtype == "pseudonym":
            return "identifier"
        # a record key: nearly unique here, or named as a key ("charger_id") and repeated
        # because an event-level dataset refers to the same keys many times
        unique_here = nonmissing > 0 and distinct / nonmissing >= 0.9
        idlike = distinct >= 20 and (unique_here or _ID_HEADER.search(col.name) is not None)
        if idlike and vtype in ("code", "integer") and not _is_sequence(uniques, vtype):
            return "identifier"
    return None


def _domain(col: ColumnClassification, uniques: np.ndarray) -> tuple[str, str | None]:
    sample = uniques[:500]
    geo = col.qi_kind in ("postcode", "area") or col.role is ColumnRole.LOCATION
    if geo or Entity.UK_POSTCODE in col.entities:
        res = [_postcode_resolution(str(v))[0] for v in sample]
        known = [r for r in res if r is not None]
        if known and len(known) >= 0.8 * len(res):
            return "postcode", max(
                set(known), key=lambda r: (known.count(r), -POSTCODE_RESOLUTIONS.index(r))
            )
    if col.qi_kind in _DATE_KINDS or Entity.DATE_OF_BIRTH in col.entities:
        ts, precision = parse_dates(np.asarray(sample, dtype=object))
        ok = ts.notna().to_numpy(dtype=bool)
        if ok.sum() >= 0.8 * max(len(sample), 1):
            precs = [str(p) for p, good in zip(precision, ok, strict=True) if good]
            return "date", max(
                set(precs), key=lambda r: (precs.count(r), -DATE_RESOLUTIONS.index(r))
            )
    return "generic", None


#: placeholder profile while a column is being profiled
_PENDING = ColumnProfile("", ColumnRole.NONE, (), None, None, None, "generic", None, 0, 0, 0, "")


def _factorize(series: pd.Series) -> tuple[np.ndarray, np.ndarray | None, pa.Array | None]:
    """(codes, uniques, uniques as Arrow): Arrow dictionary encoding for Arrow string data
    (uniques then None: converted lazily), else ``pandas.factorize`` (Arrow then None)."""
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        arr = pa.array(series.array)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        enc = arr.dictionary_encode()
        codes = np.asarray(
            pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64
        )
        return codes, None, enc.dictionary.cast(pa.large_string())
    raw_codes, raw_uniques = pd.factorize(series, use_na_sentinel=True)
    return np.asarray(raw_codes, dtype=np.int64), np.asarray(raw_uniques, dtype=object), None


def profile_column(series: pd.Series, col: ColumnClassification) -> FrameColumn:
    """Profile one column of a frame (factorised once; canonical forms computed lazily)."""
    codes, uniq, arrow = _factorize(series)
    fc = FrameColumn(_PENDING, codes, uniq, arrow)
    n = fc.n_uniques
    missing = int((codes < 0).sum())
    counts = np.bincount(codes[codes >= 0], minlength=n) if n else None
    sample = fc.head(500)
    vtype = _value_type(pd.Series(sample, dtype=object))
    domain, resolution = _domain(col, sample)
    fc.profile = ColumnProfile(
        name=col.name,
        role=col.role,
        entities=col.entities,
        qi_kind=col.qi_kind,
        sensitive_kind=col.sensitive_kind,
        link_kind=_link_kind(
            col, vtype, n, len(series) - missing, fc.uniques if vtype == "integer" else sample
        ),
        domain=domain,
        resolution=resolution,
        distinct=n,
        missing=missing,
        max_count=int(counts.max()) if counts is not None and len(counts) else 0,
        value_type=vtype,
    )
    return fc


def profile_frame(
    frame: pd.DataFrame, classification: DatasetClassification
) -> dict[str, FrameColumn]:
    """Profiles of every classified column of ``frame`` (input not changed)."""
    return {
        name: profile_column(frame[name], col)
        for name, col in classification.columns.items()
        if name in frame.columns
    }


# --------------------------------------------------------------------------- hashing / sketches


def key_id(key: bytes | None) -> str | None:
    """A public tag of the key (so fingerprints under different keys are not compared)."""
    if not key:
        return None
    return hmac.new(key, b"triage-mosaic-key-id", hashlib.sha256).hexdigest()[:16]


def value_digests(values: Sequence[str], key: bytes | None) -> list[bytes]:
    """HMAC-SHA-256 of each value under ``key`` (or the public salt)."""
    k = key or PUBLIC_SALT
    return [hmac.digest(k, v.encode("utf-8"), "sha256") for v in values]


def hash32(digests: Sequence[bytes]) -> np.ndarray:
    """First 32 bits of each digest (uint64 array) for MinHash and HyperLogLog."""
    if not digests:
        return np.zeros(0, dtype=np.uint64)
    raw = np.frombuffer(b"".join(d[:4] for d in digests), dtype=">u4")
    return raw.astype(np.uint64)


def _identity(x: int) -> int:
    return x


def minhash_of(h32: np.ndarray) -> MinHash:
    """datasketch MinHash (``NUM_PERM``, ``MINHASH_SEED``) of pre-hashed 32-bit values."""
    mh = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, hashfunc=_identity)
    for start in range(0, len(h32), _CHUNK):
        mh.update_batch([int(v) for v in h32[start : start + _CHUNK]])
    return mh


def minhash_from(values: Sequence[int]) -> MinHash:
    """A MinHash rebuilt from stored hash values."""
    return MinHash(
        seed=MINHASH_SEED, hashvalues=np.asarray(values, dtype=np.uint64), scheme="affine32"
    )


def hll_registers(h32: np.ndarray, p: int = HLL_P) -> np.ndarray:
    """HyperLogLog registers (datasketch layout) of 32-bit hashes, vectorised."""
    m = 1 << p
    reg = np.zeros(m, dtype=np.int8)
    if len(h32) == 0:
        return reg
    idx = (h32 & np.uint64(m - 1)).astype(np.int64)
    bits = (h32 >> np.uint64(p)).astype(np.float64)
    length = np.where(bits > 0, np.floor(np.log2(np.maximum(bits, 1))) + 1, 0)
    rank = ((32 - p) - length + 1).astype(np.int8)
    np.maximum.at(reg, idx, rank)
    return reg


def hll_count(registers_b64: str) -> float:
    """Cardinality estimate of a stored HyperLogLog."""
    reg = np.frombuffer(base64.b64decode(registers_b64), dtype=np.int8).copy()
    return float(HyperLogLog(reg=reg).count())


def class_digest(parts: Sequence[str], key: bytes) -> str:
    """Keyed hash (hex, 16 chars) of a tuple of canonical values."""
    msg = "\x1f".join(parts).encode("utf-8")
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:16]


# --------------------------------------------------------------------------- fingerprints


def _shapes(uniques: np.ndarray) -> list[str]:
    sample = [str(v) for v in uniques[:300]]
    shapes = pd.Series([_shape(v) for v in sample], dtype=object).value_counts()
    return [str(s) for s in shapes.index[:3]]


def _column_fingerprint(fc: FrameColumn, key: bytes | None) -> dict[str, Any]:
    p = fc.profile
    res_list = (
        [p.resolution]
        if p.resolution is None
        else list(resolutions(p.domain)[resolutions(p.domain).index(p.resolution) :])
    )
    sketches: dict[str, Any] = {}
    for res in res_list:
        _idx, cuniq = fc.canonical(res)
        digests = value_digests([str(v) for v in cuniq], key)
        h = hash32(digests)
        entry: dict[str, Any] = {
            "distinct": len(cuniq),
            "minhash": [int(v) for v in minhash_of(h).hashvalues],
            "hll": base64.b64encode(hll_registers(h).tobytes()).decode("ascii"),
        }
        if key and p.link_kind is not None:
            row_codes, _ = fc.row_canonical_codes(res)
            counts = np.bincount(row_codes[row_codes >= 0], minlength=len(cuniq))
            if len(cuniq) <= MAX_FREQUENCY_ENTRIES:
                entry["counts"] = {
                    d.hex()[:16]: int(c) for d, c in zip(digests, counts, strict=True)
                }
            entry["min_count"] = int(counts.min()) if len(counts) else 0
            entry["max_count"] = int(counts.max()) if len(counts) else 0
        sketches[res or "exact"] = entry
    return {
        "role": str(p.role),
        "entities": [str(e) for e in p.entities],
        "qi_kind": p.qi_kind,
        "sensitive_kind": p.sensitive_kind,
        "link_kind": p.link_kind,
        "domain": {
            "type": p.value_type,
            "kind": p.domain,
            "resolution": p.resolution,
            "distinct": p.distinct,
            "missing": p.missing,
            "max_count": p.max_count,
            "shapes": _shapes(fc.head(300)) if p.value_type != "pseudonym" else ["PS-x16"],
        },
        "sketches": sketches,
    }


def qi_class_counts(
    cols: Sequence[FrameColumn], resolutions_: Sequence[str | None], n_rows: int
) -> tuple[list[tuple[str, ...]], np.ndarray]:
    """Distinct canonical QI combinations (missing = ``MISSING``) and their counts."""
    if not cols:
        return [], np.zeros(0, dtype=np.int64)
    parts = []
    tables = []
    for fc, res in zip(cols, resolutions_, strict=True):
        codes, cuniq = fc.row_canonical_codes(res)
        n = len(cuniq)
        parts.append((np.where(codes < 0, n, codes), n + 1))
        tables.append(np.append(cuniq.astype(object), MISSING))
    from triage.risk.classes import combine_codes

    ids, n_classes = combine_codes(parts, n_rows)
    counts = np.bincount(ids, minlength=n_classes)
    first = np.full(n_classes, -1, dtype=np.int64)
    order = np.arange(len(ids) - 1, -1, -1)
    first[ids[order]] = order
    combos = [
        tuple(str(tables[j][parts[j][0][r]]) for j in range(len(cols))) for r in first.tolist()
    ]
    return combos, counts.astype(np.int64)


def fingerprint(
    frame: pd.DataFrame, classification: DatasetClassification, key: bytes | None
) -> dict[str, Any]:
    """A JSON-ready, raw-value-free fingerprint of a release for later linkage checks.

    Parameters
    ----------
    frame:
        The data as released (strings / missing values); not changed.
    classification:
        Its column classification (``classify_dataset``).
    key:
        The pseudonymisation key; None gives an unkeyed fingerprint (``keyed: false``):
        sketches only, no per-value or per-class hashes.

    Returns
    -------
    dict
        ``{"version", "keyed", "key_id", "rows", "person_related", "minhash": {...},
        "columns": {name: {...}}, "qi_classes": {"columns", "resolutions", "counts"} | None}``.
        Deterministic for the same inputs.
    """
    cols = profile_frame(frame, classification)
    out: dict[str, Any] = {
        "version": FINGERPRINT_VERSION,
        "keyed": bool(key),
        "key_id": key_id(key),
        "rows": len(frame),
        "person_related": classification.person_related,
        "minhash": {
            "num_perm": NUM_PERM,
            "seed": MINHASH_SEED,
            "scheme": "affine32",
            "hash": "hmac-sha256/32",
            "hll_p": HLL_P,
        },
        "columns": {name: _column_fingerprint(fc, key) for name, fc in cols.items()},
        "qi_classes": None,
    }
    qis = [fc for fc in cols.values() if fc.profile.role is ColumnRole.QUASI_IDENTIFIER]
    if key and qis:
        combos, counts = qi_class_counts(qis, [fc.profile.resolution for fc in qis], len(frame))
        out["qi_classes"] = {
            "columns": [fc.profile.name for fc in qis],
            "resolutions": [fc.profile.resolution for fc in qis],
            "counts": {class_digest(c, key): int(n) for c, n in zip(combos, counts, strict=True)},
        }
    return out
