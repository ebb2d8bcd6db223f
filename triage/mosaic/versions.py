"""A new version of a registered release: the difference between versions, not a self-link.

A monthly republication links to its own earlier release on every column; that link is the
point of a new version, not a mosaic risk. What a new version adds is the *difference*: laid
side by side, the two versions show which records arrived or left, and a quasi-identifier
class that grew or shrank by fewer than k people singles those people out (their sensitive
values are the ones that appeared or disappeared in the class). So a check that says what it
supersedes (``--supersedes NAME``) is not linked with that release but compared with it:

- both versions' QI classes are counted under the run's pseudonymisation key, over the
  superseded release's quasi-identifiers at its resolutions, and every class present in both
  whose count changed by ``1 <= |change| < k`` is a small change;
- what cannot be compared (the earlier release holds QI classes under no key or another key,
  or one of its quasi-identifiers is gone or coarser now) is a problem that forces ``refer``:
  the difference is not vouched for.

Pure: no I/O; the runner reads the register and passes the earlier release's fingerprint.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from triage.models import Finding, Problem
from triage.mosaic.linkage import SubmissionDataset
from triage.mosaic.profile import class_digest, coarser, key_id, qi_class_counts
from triage.vocab import ColumnRole, Decision, Severity


@dataclass(frozen=True)
class Superseded:
    """The registered release a dataset is a new version of (its full fingerprint)."""

    name: str
    release_id: int
    fingerprint: Mapping[str, Any]

    @property
    def label(self) -> str:
        """How the report names the release: ``NAME (release ID)``."""
        return f"{self.name} (release {self.release_id})"


@dataclass(frozen=True)
class VersionComparison:
    """How a dataset differs from the release it supersedes (counts only, no values)."""

    dataset: str
    superseded: str
    release_id: int
    rows_before: int
    rows_after: int
    quasi_identifiers: tuple[str, ...]
    classes_compared: int
    small_changes: int
    smallest_change: int | None
    k: int
    not_comparable: str | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """The report's ``versions`` entry."""
        return {
            "dataset": self.dataset,
            "supersedes": self.superseded,
            "release_id": self.release_id,
            "rows_before": self.rows_before,
            "rows_after": self.rows_after,
            "quasi_identifiers": list(self.quasi_identifiers),
            "classes_compared": self.classes_compared,
            "small_changes": self.small_changes,
            "smallest_change": self.smallest_change,
            "k": self.k,
            "comparable": self.not_comparable is None,
            "not_comparable_because": self.not_comparable,
        }

    def findings(self) -> list[Finding]:
        """A ``version_differencing`` finding when a class changed by fewer than k people."""
        if not self.small_changes:
            return []
        return [
            Finding(
                kind="version_differencing",
                severity=Severity.HIGH,
                dataset=self.dataset,
                columns=list(self.quasi_identifiers),
                count=self.small_changes,
                message=(
                    f"Compared with the release it supersedes ({self.superseded}), "
                    f"{self.small_changes} of {self.classes_compared} groups over "
                    f"{', '.join(self.quasi_identifiers)} changed by fewer than {self.k} "
                    f"people (smallest change {self.smallest_change}): laid side by side, the "
                    "two versions single out the people who arrived or left."
                ),
            )
        ]

    def problems(self) -> list[Problem]:
        """A ``version_not_compared`` problem (forces refer) when the versions cannot be
        compared."""
        if self.not_comparable is None:
            return []
        return [
            Problem(
                kind="version_not_compared",
                message=(
                    f"{self.dataset} supersedes {self.superseded}, but the difference between "
                    f"the versions could not be judged: {self.not_comparable}"
                ),
                dataset=self.dataset,
                forces=Decision.REFER,
            )
        ]


def _registered_qis(fp: Mapping[str, Any]) -> list[str]:
    return [
        name
        for name, col in fp.get("columns", {}).items()
        if col.get("role") == ColumnRole.QUASI_IDENTIFIER.value
    ]


def _obstacle(ds: SubmissionDataset, fp: Mapping[str, Any], key: bytes | None) -> str | None:
    """Why the QI classes of ``ds`` cannot be compared with ``fp``'s, or None."""
    qc = fp.get("qi_classes")
    if not qc or qc.get("counts") is None:
        return (
            "the earlier release was recorded without a pseudonymisation key, so its "
            "groups were not counted (record versions with TRIAGE_PSEUDONYM_KEY set)"
        )
    if not fp.get("keyed") or fp.get("key_id") != key_id(key):
        return "the earlier release was recorded under another pseudonymisation key"
    for name, res in zip(qc["columns"], qc["resolutions"], strict=True):
        fc = ds.columns.get(name)
        if fc is None:
            return f"its quasi-identifier '{name}' is not in the new version"
        if coarser(fc.profile.domain, fc.profile.resolution, res) != res:
            return f"'{name}' is coarser in the new version than in the earlier one"
    return None


def _result(
    ds: SubmissionDataset,
    old: Superseded,
    k: int,
    qis: list[str],
    changes: list[int] | None = None,
    not_comparable: str | None = None,
) -> VersionComparison:
    small = [c for c in changes or [] if 0 < c < k]
    return VersionComparison(
        dataset=ds.name,
        superseded=old.label,
        release_id=old.release_id,
        rows_before=int(old.fingerprint.get("rows", 0)),
        rows_after=len(ds.frame),
        quasi_identifiers=tuple(qis),
        classes_compared=len(changes or []),
        small_changes=len(small),
        smallest_change=min(small) if small else None,
        k=k,
        not_comparable=not_comparable,
    )


def compare_versions(
    ds: SubmissionDataset, old: Superseded, key: bytes | None, k: int
) -> VersionComparison:
    """Compare ``ds`` with the release it supersedes, class by class (see the module)."""
    fp = old.fingerprint
    old_qis = _registered_qis(fp)
    if not old_qis or not ds.qis():
        # no group of people to difference: the earlier release or this one has no QIs
        return _result(ds, old, k, old_qis)
    obstacle = _obstacle(ds, fp, key)
    if obstacle is not None or key is None:
        reason = obstacle or "no pseudonymisation key is set for this check"
        return _result(ds, old, k, old_qis, not_comparable=reason)
    qc = fp["qi_classes"]
    cols = [ds.columns[c] for c in qc["columns"]]
    combos, counts = qi_class_counts(cols, list(qc["resolutions"]), len(ds.frame))
    new = {class_digest(c, key): int(n) for c, n in zip(combos, counts, strict=True)}
    stored: Mapping[str, int] = qc["counts"]
    changes = [abs(new[d] - int(n)) for d, n in stored.items() if d in new]
    return _result(ds, old, k, list(qc["columns"]), changes)
