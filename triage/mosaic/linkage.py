"""Mosaic risk: linkage between datasets of a submission and against registered fingerprints.

Definitions
-----------
*Linking column pair*: a column of each dataset whose canonical values overlap (containment of
the smaller distinct set in the other >= ``MIN_CONTAINMENT``), found from values, not headers:
identifiers (plain, or pseudonyms under the same key, i.e. identical ``PS-`` tokens), asset
ids, quasi-identifiers of the same kind under any name, and postcodes / dates at different
resolutions (compared at the coarser one).

*k after linkage* (within a submission, exact): join the two frames on all linking pairs
(inner join of canonical values), and take the smallest equivalence class of the joined
table over the union of both datasets' quasi-identifiers (a linked QI pair counts once; the
finer side of a geography pair keeps its own column). k counts people, not joined records: a
many-to-many join makes every pair of records agreeing on the linking columns a row, but a
class holds at most as many people as the side with fewer records in it (one household's
charger grant joined to its 100 charging sessions is one household), so a class's size is the
smaller of its two sides' record counts. Computed on grouped counts, never materialised.

*k after linkage* (against a fingerprint, an upper bound): for each linking pair, and for the
fingerprint's whole QI combination when all of its QIs are linked, the keyed class hashes
with counts are intersected; ``k <= min over shared classes of min(n_left, n_right)``, since
the joined people of a shared class are at most that many and the union QIs only split them
further (assuming a shared value is a shared person). None when the fingerprint is unkeyed
or under another key.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from triage.classifiers.columns import DatasetClassification
from triage.models import MosaicLink
from triage.mosaic.profile import (
    FrameColumn,
    class_digest,
    coarser,
    fingerprint,
    hash32,
    joint_codes,
    key_id,
    minhash_of,
    profile_frame,
    qi_class_counts,
    shared_estimate,
    value_digests,
)
from triage.risk.classes import combine_codes
from triage.vocab import ColumnRole, Severity

__all__ = [
    "ColumnPair",
    "LinkAssessment",
    "MosaicRisk",
    "SubmissionDataset",
    "assess_against_fingerprints",
    "assess_submission",
    "find_pairs",
    "fingerprint",
    "joined_k",
    "mosaic_facts",
]

logger = logging.getLogger(__name__)

MIN_CONTAINMENT = 0.5
MIN_SHARED = 2
DEFAULT_K = 5
_SAMPLE = 2000
_WEAKNESS = ("vuln", "weakness", "defect", "fault", "security", "cve", "exploit", "risk")
_COUNT_HEADERS = ("count", "total", "number", "num", "n", "cases", "people", "persons")

_IDENTITY_KINDS = frozenset({"identifier", "asset"})
_QI_KINDS = frozenset({"quasi_identifier", "location"})


@dataclass(frozen=True)
class ColumnPair:
    """Two columns that hold the same values (evidence: overlap estimates, no values)."""

    left: str
    right: str
    kind: str  # identifier | asset | quasi_identifier | geography
    resolution: str | None
    shared: int
    containment: float  # of the smaller distinct set in the larger
    jaccard: float
    method: str  # exact | minhash

    @property
    def label(self) -> str:
        """``name`` when both sides share it, else ``left=right``."""
        return self.left if self.left == self.right else f"{self.left}={self.right}"


@dataclass(frozen=True)
class MosaicRisk:
    """A risk that appears only once two datasets are combined."""

    kind: str  # linkage_k | attribute_disclosure | differencing | asset_profile
    datasets: tuple[str, str]
    columns: tuple[str, ...]
    severity: Severity
    message: str
    remedy: str


@dataclass(frozen=True)
class LinkAssessment:
    """Two linkable datasets: the pairs, k before/after, whether flagged, why and the fix."""

    datasets: tuple[str, str]
    pairs: tuple[ColumnPair, ...]
    k_left: int | None
    k_right: int | None
    k_after: int | None
    k_is_upper_bound: bool
    flagged: bool
    explanation: str
    remedies: tuple[str, ...]
    risks: tuple[MosaicRisk, ...] = field(default_factory=tuple)

    def to_mosaic_link(self) -> MosaicLink:
        """The ``report.json`` ``mosaic`` entry."""
        return MosaicLink(
            datasets=list(self.datasets),
            linking_columns=[p.label for p in self.pairs],
            k_anonymity_after_linkage=self.k_after,
        )

    def to_fact(self) -> dict[str, Any]:
        """Rule facts entry (existing fields plus proposed ones)."""
        return {
            "datasets": list(self.datasets),
            "linking_columns": [p.label for p in self.pairs],
            "k_anonymity_after_linkage": self.k_after,
            "link_kinds": sorted({p.kind for p in self.pairs}),
            "flagged": self.flagged,
            "registered": self.k_is_upper_bound,
            "risks": sorted({r.kind for r in self.risks}),
        }

    def to_json_dict(self) -> dict[str, Any]:
        """Richer, JSON-ready form for the report's evidence."""
        return {
            "datasets": list(self.datasets),
            "pairs": [p.__dict__ | {"label": p.label} for p in self.pairs],
            "k_left": self.k_left,
            "k_right": self.k_right,
            "k_after": self.k_after,
            "k_is_upper_bound": self.k_is_upper_bound,
            "flagged": self.flagged,
            "explanation": self.explanation,
            "remedies": list(self.remedies),
            "risks": [r.__dict__ | {"severity": str(r.severity)} for r in self.risks],
        }


@dataclass
class SubmissionDataset:
    """A dataset of the submission as mosaic needs it."""

    name: str
    frame: pd.DataFrame
    classification: DatasetClassification
    columns: dict[str, FrameColumn] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.columns:
            self.columns = profile_frame(self.frame, self.classification)

    def qis(self) -> list[str]:
        """Quasi-identifier column names."""
        return [n for n, c in self.columns.items() if c.profile.role is ColumnRole.QUASI_IDENTIFIER]

    def with_role(self, role: ColumnRole) -> list[str]:
        """Column names with ``role``."""
        return [n for n, c in self.columns.items() if c.profile.role is role]


# --------------------------------------------------------------------------- pair candidates


def _compatible(a: FrameColumn, b: FrameColumn) -> str | None:
    """Link kind of a column pair worth comparing, or None."""
    pa, pb = a.profile, b.profile
    if pa.link_kind is None or pb.link_kind is None:
        return None
    if pa.domain != pb.domain:
        return None
    if pa.domain == "postcode":
        return "geography" if pa.resolution != pb.resolution else "quasi_identifier"
    if pa.link_kind in _IDENTITY_KINDS and pb.link_kind in _IDENTITY_KINDS:
        if pa.value_type != pb.value_type:
            return None
        return "asset" if "asset" in (pa.link_kind, pb.link_kind) else "identifier"
    if pa.link_kind in _QI_KINDS and pb.link_kind in _QI_KINDS:
        if pa.qi_kind != pb.qi_kind:
            return None
        return "quasi_identifier"
    return None


def _overlap(a: FrameColumn, b: FrameColumn, res: str | None) -> tuple[int, float, float]:
    """Shared distinct canonical values, containment of the smaller set, Jaccard.

    Large sets are first screened on a deterministic sample of the smaller side (one cheap scan
    of the larger side); only plausible links get the exact joint coding (cached for the join).
    """
    la, lb = a.canonical_size(res), b.canonical_size(res)
    if la == 0 or lb == 0:
        return 0, 0.0, 0.0
    if shared_estimate(a, b, res, _SAMPLE) < MIN_CONTAINMENT / 2:
        return 0, 0.0, 0.0
    joint = joint_codes(a, b, res)
    return joint.shared, joint.shared / min(la, lb), joint.shared / joint.n if joint.n else 0.0


def find_pairs(left: SubmissionDataset, right: SubmissionDataset) -> list[ColumnPair]:
    """Linking column pairs between two frames (exact value overlap, canonical forms).

    Each column is used in at most one pair (the best by containment, then shared count).
    """
    found: list[ColumnPair] = []
    for a in left.columns.values():
        for b in right.columns.values():
            kind = _compatible(a, b)
            if kind is None:
                continue
            res = coarser(a.profile.domain, a.profile.resolution, b.profile.resolution)
            la, lb = a.canonical_size(res), b.canonical_size(res)
            shared, containment, jaccard = _overlap(a, b, res)
            if shared >= min(MIN_SHARED, la, lb) and shared and (containment >= MIN_CONTAINMENT):
                found.append(
                    ColumnPair(
                        a.profile.name,
                        b.profile.name,
                        kind,
                        res,
                        shared,
                        round(containment, 4),
                        round(jaccard, 4),
                        "exact",
                    )
                )
    return _best_pairs(found)


def _best_pairs(found: list[ColumnPair]) -> list[ColumnPair]:
    used_l: set[str] = set()
    used_r: set[str] = set()
    best: list[ColumnPair] = []
    for p in sorted(found, key=lambda p: (-p.containment, -p.shared, p.left, p.right)):
        if p.left in used_l or p.right in used_r:
            continue
        used_l.add(p.left)
        used_r.add(p.right)
        best.append(p)
    order = {"identifier": 0, "asset": 1, "geography": 2, "quasi_identifier": 3}
    return sorted(best, key=lambda p: (order.get(p.kind, 9), p.left, p.right))


# --------------------------------------------------------------------------- exact k after linkage


def _shared_codes(
    a: FrameColumn, b: FrameColumn, res: str | None
) -> tuple[tuple[np.ndarray, int], tuple[np.ndarray, int]]:
    """Per-row codes of both columns in one space (-1 = missing / unreadable) and its size."""
    joint = joint_codes(a, b, res)
    ca, cb = a.row_codes(res), b.row_codes(res)
    ta = np.append(joint.left, -1)
    tb = np.append(joint.right, -1)
    return (ta[ca], joint.n), (tb[cb], joint.n)


def _own_codes(fc: FrameColumn) -> tuple[np.ndarray, int]:
    n = fc.n_uniques
    return np.where(fc.codes < 0, n, fc.codes), n + 1


def _k_alone(ds: SubmissionDataset) -> int | None:
    """k-anonymity over the dataset's QIs from the profiled codes (missing = its own value)."""
    qis = ds.qis()
    if not qis or len(ds.frame) == 0:
        return None
    ids, n = combine_codes([_own_codes(ds.columns[q]) for q in qis], len(ds.frame))
    return int(np.bincount(ids, minlength=n).min())


def joined_k(
    left: SubmissionDataset, right: SubmissionDataset, pairs: Sequence[ColumnPair]
) -> int | None:
    """Exact k-anonymity of the joined table over the union of both datasets' QIs, counted in
    people: a joined class holds at most as many people as either side has records in it
    (not the product of the two, which counts joined records).

    Records missing or unreadable on any linking column do not join. Without a
    quasi-identifier or QI link on either side, each shared key value is a class
    (:func:`_key_k`). None when nothing joins.
    """
    if not pairs:
        return None
    na, nb = len(left.frame), len(right.frame)
    link_a, link_b, linkqi_a = [], [], []
    for p in pairs:
        (ca, n), (cb, _) = _shared_codes(left.columns[p.left], right.columns[p.right], p.resolution)
        link_a.append((ca, n))
        link_b.append((cb, n))
        if p.kind in ("quasi_identifier", "geography"):
            linkqi_a.append(len(link_a) - 1)
    ok_a = np.all([c >= 0 for c, _ in link_a], axis=0)
    ok_b = np.all([c >= 0 for c, _ in link_b], axis=0)
    both = [
        (np.concatenate([ca[ok_a], cb[ok_b]]), n)
        for (ca, n), (cb, _) in zip(link_a, link_b, strict=True)
    ]
    n_ok_a = int(ok_a.sum())
    # one link column: its joint codes are already dense enough (no re-factorisation)
    full = both[0][0] if len(both) == 1 else combine_codes(both, n_ok_a + int(ok_b.sum()))[0]
    qi_parts = [both[i] for i in linkqi_a]
    lqi, _ = combine_codes(qi_parts, len(full)) if qi_parts else (np.zeros(len(full), np.int64), 1)
    same_res = {p.left for p in pairs if p.resolution == left.columns[p.left].profile.resolution}
    same_res_b = {
        p.right for p in pairs if p.resolution == right.columns[p.right].profile.resolution
    }
    qa = [q for q in left.qis() if q not in same_res]
    qb = [q for q in right.qis() if q not in same_res_b]
    if not (qa or qb or qi_parts):
        return _key_k(full[:n_ok_a], full[n_ok_a:], _n_codes(full))
    ka, n_ka = combine_codes([_own_codes(left.columns[q]) for q in qa], na)
    kb, n_kb = combine_codes([_own_codes(right.columns[q]) for q in qb], nb)
    n_link = int(full.max()) + 1 if len(full) else 0
    n_lqi = int(lqi.max()) + 1 if len(lqi) else 0
    # group each side by (link value, its QIs): grouped counts, then join the groups on link
    ga, n_ga = combine_codes([(full[:n_ok_a], n_link), (ka[ok_a], n_ka)], n_ok_a)
    gb, n_gb = combine_codes([(full[n_ok_a:], n_link), (kb[ok_b], n_kb)], len(full) - n_ok_a)
    if n_ok_a == 0 or len(full) == n_ok_a:
        return None
    cnt_a, rep_a = np.bincount(ga, minlength=n_ga), _representatives(ga, n_ga)
    cnt_b, rep_b = np.bincount(gb, minlength=n_gb), _representatives(gb, n_gb)
    link_ga, link_gb = full[:n_ok_a][rep_a], full[n_ok_a:][rep_b]
    order_b = np.argsort(link_gb, kind="stable")
    per_link_b = np.bincount(link_gb, minlength=n_link)
    start_b = np.concatenate([[0], np.cumsum(per_link_b)[:-1]])
    reps = per_link_b[link_ga]
    total = int(reps.sum())
    if total == 0:
        return None
    ia = np.repeat(np.arange(n_ga), reps)
    offset = np.arange(total) - np.repeat(np.cumsum(reps) - reps, reps)
    ib = order_b[start_b[link_ga[ia]] + offset]
    cls, n_cls = combine_codes(
        [
            (lqi[:n_ok_a][rep_a][ia], max(n_lqi, 1)),
            (ka[ok_a][rep_a][ia], n_ka),
            (kb[ok_b][rep_b][ib], n_kb),
        ],
        total,
    )
    # people, not joined records: a class holds at most as many people as either side has
    # records in it (one household's charger grant joined to its 100 sessions is one household)
    people_a = np.bincount(cls, weights=cnt_a[ia].astype(np.float64), minlength=n_cls)
    people_b = np.bincount(cls, weights=cnt_b[ib].astype(np.float64), minlength=n_cls)
    return int(np.minimum(people_a, people_b).min())


def _n_codes(codes: np.ndarray) -> int:
    """Size of a dense code space (0 when empty)."""
    return int(codes.max()) + 1 if len(codes) else 0


def _key_k(link_a: np.ndarray, link_b: np.ndarray, n: int) -> int | None:
    """k after a link through shared keys alone (no quasi-identifier on either side): each
    shared key value is its own class, holding at most as many people as the side with fewer
    records under that key; None when no key value is shared."""
    if n == 0:
        return None
    people = np.minimum(np.bincount(link_a, minlength=n), np.bincount(link_b, minlength=n))
    shared = people[people > 0]
    return int(shared.min()) if len(shared) else None


def _representatives(ids: np.ndarray, n: int) -> np.ndarray:
    """One row index per dense id (any member: all members share the group's keys)."""
    rep = np.zeros(n, dtype=np.int64)
    rep[ids] = np.arange(len(ids), dtype=np.int64)
    return rep


# --------------------------------------------------------------------------- extra risks


def _count_column(ds: SubmissionDataset) -> str | None:
    for name in ds.frame.columns:
        low = str(name).lower()
        if low in _COUNT_HEADERS or low.endswith(("_count", "_total")) or low.startswith("n_"):
            nums = pd.to_numeric(ds.frame[name], errors="coerce")
            if len(nums) and nums.notna().mean() >= 0.9:
                return str(name)
    return None


def _differencing(
    left: SubmissionDataset, right: SubmissionDataset, pairs: Sequence[ColumnPair], k: int
) -> MosaicRisk | None:
    """Aggregates over the same cells whose counts differ by less than k (basic)."""
    cl, cr = _count_column(left), _count_column(right)
    if cl is None or cr is None or not pairs:
        return None
    keys_a, keys_b = [], []
    for p in pairs:
        (ca, n), (cb, _) = _shared_codes(left.columns[p.left], right.columns[p.right], p.resolution)
        keys_a.append((ca, n))
        keys_b.append((cb, n))
    both = [(np.concatenate([a, b]), n) for (a, n), (b, _) in zip(keys_a, keys_b, strict=True)]
    ids, _ = combine_codes(both, len(left.frame) + len(right.frame))
    va = pd.to_numeric(left.frame[cl], errors="coerce").to_numpy(float)
    vb = pd.to_numeric(right.frame[cr], errors="coerce").to_numpy(float)
    sa = pd.Series(va).groupby(ids[: len(va)]).sum()
    sb = pd.Series(vb).groupby(ids[len(va) :]).sum()
    diff = (sa - sb).dropna().abs()
    small = int(((diff > 0) & (diff < k)).sum())
    if not small:
        return None
    cols = tuple(p.label for p in pairs)
    return MosaicRisk(
        "differencing",
        (left.name, right.name),
        cols,
        Severity.HIGH,
        f"{small} cells agree on {', '.join(cols)} but their counts ('{cl}', '{cr}') differ by "
        f"fewer than {k}: subtracting one table from the other reveals a small group.",
        "Align the areas / time windows of the two tables, or suppress cells whose "
        "difference is below k, or delay publication of the second table.",
    )


def _extra_risks(
    left: SubmissionDataset,
    right: SubmissionDataset,
    pairs: Sequence[ColumnPair],
    flagged: bool,
    k: int,
) -> list[MosaicRisk]:
    names = (left.name, right.name)
    risks: list[MosaicRisk] = []
    if flagged:
        for a, b in ((left, right), (right, left)):
            new = [
                s
                for s in a.with_role(ColumnRole.SENSITIVE_ATTRIBUTE)
                if s not in {p.left for p in pairs} | {p.right for p in pairs}
            ]
            if new:
                risks.append(
                    MosaicRisk(
                        "attribute_disclosure",
                        names,
                        tuple(new),
                        Severity.HIGH,
                        f"Sensitive column(s) {', '.join(new)} of {a.name} become attached to "
                        f"people singled out by linking with {b.name}.",
                        "Drop the link key or generalise the linking quasi-identifiers so the "
                        "joined classes reach k.",
                    )
                )
    if any(p.kind == "asset" for p in pairs):
        for a, b in ((left, right), (right, left)):
            loc = a.with_role(ColumnRole.LOCATION) + [
                n for n, c in a.columns.items() if c.profile.domain == "postcode"
            ]
            weak = [str(c) for c in b.frame.columns if any(w in str(c).lower() for w in _WEAKNESS)]
            if loc and weak:
                risks.append(
                    MosaicRisk(
                        "asset_profile",
                        names,
                        tuple(loc + weak),
                        Severity.HIGH,
                        f"The same assets carry a location in {a.name} ({', '.join(loc)}) and a "
                        f"weakness in {b.name} ({', '.join(weak)}): together they locate "
                        "vulnerable assets.",
                        "Drop the shared asset id from one release, coarsen the location, or "
                        "delay publication of the weakness data.",
                    )
                )
                break
    diff = _differencing(left, right, pairs, k)
    if diff is not None:
        risks.append(diff)
    return risks


def _remedies(pairs: Sequence[ColumnPair]) -> tuple[str, ...]:
    out: list[str] = []
    for p in pairs:
        if p.kind in ("identifier", "asset"):
            out.append(
                f"drop the link key '{p.label}' (or pseudonymise it under a release-specific key)"
            )
        else:
            out.append(f"generalise '{p.label}' in one release")
    out.append("delay publication of the later release")
    return tuple(out)


def _explain(
    pairs: Sequence[ColumnPair], k_after: int | None, kl: int | None, kr: int | None, bound: bool
) -> str:
    desc = "; ".join(
        f"{p.label} ({p.kind}{', at ' + p.resolution if p.resolution else ''}: "
        f"{p.shared} shared values, containment {p.containment:.2f}, method {p.method})"
        for p in pairs
    )
    k_txt = "unknown" if k_after is None else (f"at most {k_after}" if bound else str(k_after))
    return (
        f"Linkable on {desc}. k alone: {kl} and {kr}; k after linkage over the union of "
        f"their quasi-identifiers: {k_txt}."
    )


def _flag(k_after: int | None, kl: int | None, kr: int | None, k: int) -> bool:
    if k_after is None:
        return False
    alone = min(x for x in (kl, kr, 10**18) if x is not None)
    return k_after < k and k_after < alone


# --------------------------------------------------------------------------- public API


def assess_submission(
    datasets: Sequence[SubmissionDataset], k: int = DEFAULT_K
) -> list[LinkAssessment]:
    """Linkage of every pair of datasets of one submission (exact, frames available)."""
    out: list[LinkAssessment] = []
    for i, left in enumerate(datasets):
        for right in datasets[i + 1 :]:
            pairs = find_pairs(left, right)
            if not pairs:
                continue
            kl = _k_alone(left)
            kr = _k_alone(right)
            k_after = joined_k(left, right, pairs)
            # through keys alone, a link matters when one side is about people: a household's
            # charger grant joined to the charger's sessions shows when they are at home
            about_people = bool(left.qis() or right.qis()) or (
                left.classification.person_related or right.classification.person_related
            )
            flagged = about_people and _flag(k_after, kl, kr, k)
            risks = _extra_risks(left, right, pairs, flagged, k)
            out.append(
                LinkAssessment(
                    (left.name, right.name),
                    tuple(pairs),
                    kl,
                    kr,
                    k_after,
                    False,
                    flagged or any(r.kind != "attribute_disclosure" for r in risks),
                    _explain(pairs, k_after, kl, kr, False),
                    _remedies(pairs),
                    tuple(risks),
                )
            )
    return out


@dataclass
class _Probe:
    """One submission column hashed the way a fingerprint is: per resolution."""

    fc: FrameColumn
    key: bytes | None
    _cache: dict[str | None, tuple[np.ndarray, list[bytes], np.ndarray]] = field(
        default_factory=dict
    )

    def at(self, res: str | None) -> tuple[np.ndarray, list[bytes], np.ndarray]:
        if res not in self._cache:
            _, cuniq = self.fc.canonical(res)
            digests = value_digests([str(v) for v in cuniq], self.key)
            self._cache[res] = (minhash_of(hash32(digests)).hashvalues, digests, cuniq)
        return self._cache[res]


def _fp_compatible(a: FrameColumn, fcol: Mapping[str, Any]) -> str | None:
    pa = a.profile
    fk, dom = fcol.get("link_kind"), fcol["domain"]
    if pa.link_kind is None or fk is None or pa.domain != dom["kind"]:
        return None
    if pa.domain == "postcode":
        return "geography" if pa.resolution != dom["resolution"] else "quasi_identifier"
    if pa.link_kind in _IDENTITY_KINDS and fk in _IDENTITY_KINDS:
        if pa.value_type != dom["type"]:
            return None
        return "asset" if "asset" in (pa.link_kind, fk) else "identifier"
    if pa.link_kind in _QI_KINDS and fk in _QI_KINDS and pa.qi_kind == fcol.get("qi_kind"):
        return "quasi_identifier"
    return None


def _freq_bound(probe: _Probe, res: str | None, sketch: Mapping[str, Any]) -> int | None:
    counts = sketch.get("counts")
    if counts is None:
        return None
    _, digests, _ = probe.at(res)
    codes, _ = probe.fc.row_canonical_codes(res)
    na = np.bincount(codes[codes >= 0], minlength=len(digests))
    best: int | None = None
    for d, n in zip(digests, na.tolist(), strict=True):
        m = counts.get(d.hex()[:16])
        if m is not None:
            v = min(n, int(m))
            best = v if best is None else min(best, v)
    return best


def _class_bound(
    ds: SubmissionDataset, pairs: Sequence[ColumnPair], fp: Mapping[str, Any], key: bytes
) -> int | None:
    qc = fp.get("qi_classes")
    if not qc:
        return None
    by_right = {p.right: p for p in pairs}
    if not all(c in by_right for c in qc["columns"]):
        return None
    stored: Mapping[str, int] | None = qc.get("counts")  # None in a fingerprint's summary
    if stored is None:
        return None
    cols = [ds.columns[by_right[c].left] for c in qc["columns"]]
    combos, counts = qi_class_counts(cols, list(qc["resolutions"]), len(ds.frame))
    best: int | None = None
    for combo, n in zip(combos, counts.tolist(), strict=True):
        m = stored.get(class_digest(combo, key))
        if m is not None:
            best = min(n, int(m)) if best is None else min(best, n, int(m))
    return best


def assess_against_fingerprints(
    ds: SubmissionDataset,
    fingerprints: Mapping[str, Mapping[str, Any]],
    key: bytes | None,
    k: int = DEFAULT_K,
) -> list[LinkAssessment]:
    """Linkage of one submission dataset with registered releases known only by fingerprint.

    Overlap is estimated from MinHash (Jaccard, then containment from the exact distinct
    counts); k after linkage is an upper bound from the keyed class hashes (None when the
    fingerprint is unkeyed or under another key). Fingerprints under another key than
    ``key`` cannot be compared and are skipped (logged).
    """
    kid = key_id(key)
    probes = {
        n: _Probe(fc, key) for n, fc in ds.columns.items() if fc.profile.link_kind is not None
    }
    unkeyed_probes = {n: _Probe(p.fc, None) for n, p in probes.items()}
    kl = _k_alone(ds)
    out: list[LinkAssessment] = []
    for fname, fp in fingerprints.items():
        keyed = bool(fp.get("keyed"))
        if keyed and fp.get("key_id") != kid:
            logger.warning("fingerprint %s is under another key; not compared", fname)
            continue
        use = probes if keyed else unkeyed_probes
        found: list[ColumnPair] = []
        for name, probe in use.items():
            for cname, fcol in fp["columns"].items():
                kind = _fp_compatible(probe.fc, fcol)
                if kind is None:
                    continue
                res = coarser(
                    probe.fc.profile.domain,
                    probe.fc.profile.resolution,
                    fcol["domain"]["resolution"],
                )
                sketch = fcol["sketches"].get(res or "exact")
                if sketch is None:
                    continue
                mine, _, cuniq = probe.at(res)
                theirs = np.asarray(sketch["minhash"], dtype=np.uint64)
                jac = float(np.mean(mine == theirs))
                na, nb = len(cuniq), int(sketch["distinct"])
                if jac <= 0 or na == 0 or nb == 0:
                    continue
                shared = jac / (1 + jac) * (na + nb)
                containment = min(1.0, shared / min(na, nb))
                if containment >= MIN_CONTAINMENT:
                    found.append(
                        ColumnPair(
                            name,
                            cname,
                            kind,
                            res,
                            round(shared),
                            round(containment, 4),
                            round(jac, 4),
                            "minhash",
                        )
                    )
        pairs = _best_pairs(found)
        if not pairs:
            continue
        k_after: int | None = None
        if keyed and key:
            bounds = [
                _freq_bound(
                    use[p.left],
                    p.resolution,
                    fp["columns"][p.right]["sketches"][p.resolution or "exact"],
                )
                for p in pairs
            ]
            bounds.append(_class_bound(ds, pairs, fp, key))
            known = [b for b in bounds if b is not None]
            k_after = min(known) if known else None
        kr = None
        qc = fp.get("qi_classes")
        if qc and qc.get("counts"):  # a fingerprint's summary has only "counts_entries"
            kr = min(int(v) for v in qc["counts"].values())
        # the registered release is public already, however identifying it is: a link that
        # leaves this release's people in groups below k (and below its own k) attaches its
        # attributes to them, so only this side's k alone excuses a link
        flagged = _flag(k_after, kl, None, k) or (
            k_after is None and any(p.kind in _IDENTITY_KINDS for p in pairs)
        )
        risks: list[MosaicRisk] = []
        if flagged:
            sens = ds.with_role(ColumnRole.SENSITIVE_ATTRIBUTE)
            fsens = [c for c, v in fp["columns"].items() if v["role"] == "sensitive_attribute"]
            if sens or fsens:
                risks.append(
                    MosaicRisk(
                        "attribute_disclosure",
                        (ds.name, fname),
                        tuple(sens + fsens),
                        Severity.HIGH,
                        f"Sensitive column(s) {', '.join(sens + fsens)} become attached to people "
                        f"singled out by linking {ds.name} with the registered release {fname}.",
                        "Drop the link key or generalise the linking columns before release.",
                    )
                )
        out.append(
            LinkAssessment(
                (ds.name, fname),
                tuple(pairs),
                kl,
                kr,
                k_after,
                True,
                flagged,
                _explain(pairs, k_after, kl, kr, True),
                _remedies(pairs),
                tuple(risks),
            )
        )
    return out


def mosaic_facts(links: Sequence[LinkAssessment]) -> list[dict[str, Any]]:
    """The ``mosaic`` rule-facts list (existing fields plus proposed ones)."""
    return [link.to_fact() for link in links]
