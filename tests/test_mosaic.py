"""Tests of triage.mosaic.linkage: linkage, k after linkage, fingerprints (no raw values)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from triage.classifiers.columns import (
    ColumnClassification,
    DatasetClassification,
    classify_dataset,
)
from triage.context import NlpSettings, RunContext
from triage.mosaic import linkage as mosaic
from triage.mosaic.linkage import (
    SubmissionDataset,
    assess_against_fingerprints,
    assess_submission,
    find_pairs,
    joined_k,
    mosaic_facts,
)
from triage.mosaic.profile import fingerprint
from triage.vocab import ColumnRole

KEY = b"test-mosaic-key"
CTX = RunContext(nlp=NlpSettings(model=None))
SECTORS = ["LS1 4", "LS2 7", "LS6 2", "BD1 3", "BD7 1", "HX1 5"]


def _people(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pc = [f"{SECTORS[i % 6]}{chr(65 + i % 26)}{chr(66 + (i // 26) % 24)}" for i in range(n)]
    return pd.DataFrame(
        {
            "person": [f"PS-{h:016x}" for h in rng.integers(1 << 40, 1 << 60, n)],
            "age": rng.integers(20, 24, n).astype(str),
            "sex": rng.choice(["Male", "Female"], n),
            "postcode": pc,
            "ethnicity": rng.choice(["White British", "Indian", "Black Caribbean"], n),
        }
    )


def _ds(name: str, frame: pd.DataFrame) -> SubmissionDataset:
    return SubmissionDataset(name, frame, classify_dataset(frame, CTX, None))


def _pair(seed: int, shared: bool, rename: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A: (id, age, sex) k>=5; B: (id, district, ethnicity) k>=5; joined: k=1 when shared."""
    people = _people(400, seed)
    other = _people(400, seed + 1000)
    a = people[["person", "age", "sex"]].rename(columns={"person": "patient_ref"})
    src = people if shared else other
    b = pd.DataFrame(
        {
            "case_key" if rename else "patient_ref": src["person"],
            "district": src["postcode"].str.split(" ").str[0],
            "ethnicity": src["ethnicity"],
        }
    )
    return a, b.iloc[::-1].reset_index(drop=True)


def _k(frame: pd.DataFrame, qis: list[str]) -> int:
    return int(frame.groupby(qis).size().min())


@pytest.mark.parametrize(
    ("seed", "shared", "rename"),
    [(1, True, False), (2, True, True), (3, False, False), (4, False, True)],
)
def test_submission_linkage_flags_shared_people(seed: int, shared: bool, rename: bool) -> None:
    a, b = _pair(seed, shared, rename)
    assert _k(a, ["age", "sex"]) >= 5 and _k(b, ["district", "ethnicity"]) >= 5
    links = assess_submission([_ds("a.csv", a), _ds("b.csv", b)])
    flagged = [link for link in links if link.flagged]
    if not shared:
        assert flagged == []
        return
    assert len(flagged) == 1
    link = flagged[0].to_mosaic_link()
    expect = "patient_ref=case_key" if rename else "patient_ref"
    assert link.linking_columns == [expect]
    assert link.k_anonymity_after_linkage == 1
    assert link.datasets == ["a.csv", "b.csv"]
    facts = mosaic_facts(flagged)
    assert facts[0]["k_anonymity_after_linkage"] == 1 and facts[0]["flagged"] is True


def test_geography_at_different_resolutions_and_qi_under_other_name() -> None:
    people = _people(300, 9)
    a = people[["age", "postcode"]].rename(columns={"age": "age_years"})
    b = pd.DataFrame({"age": people["age"], "district": people["postcode"].str.split(" ").str[0]})
    links = assess_submission([_ds("a.csv", a), _ds("b.csv", b)])
    assert len(links) == 1
    kinds = {p.left: (p.right, p.kind, p.resolution) for p in links[0].pairs}
    assert kinds["postcode"] == ("district", "geography", "district")
    assert kinds["age_years"][0] == "age"


def test_control_unrelated_columns_not_linked() -> None:
    rng = np.random.default_rng(5)
    a = pd.DataFrame({"reading": rng.normal(size=200).round(3).astype(str)})
    b = pd.DataFrame({"status": rng.choice(["OK", "FAIL"], 200)})
    assert assess_submission([_ds("a.csv", a), _ds("b.csv", b)]) == []


@pytest.mark.parametrize(("seed", "shared", "rename"), [(11, True, True), (12, False, True)])
def test_against_fingerprints(seed: int, shared: bool, rename: bool) -> None:
    a, b = _pair(seed, shared, rename)
    fps = {"b.csv": fingerprint(b, classify_dataset(b, CTX, None), KEY)}
    del b  # raw data gone: only the fingerprint remains
    fps = json.loads(json.dumps(fps))
    links = assess_against_fingerprints(_ds("a.csv", a), fps, KEY)
    flagged = [link for link in links if link.flagged]
    if not shared:
        assert flagged == []
        return
    assert len(flagged) == 1
    assert flagged[0].to_mosaic_link().linking_columns == ["patient_ref=case_key"]
    assert flagged[0].k_after == 1 and flagged[0].k_is_upper_bound


def test_fingerprint_deterministic_and_free_of_raw_values() -> None:
    people = _people(200, 21)
    frame = people.assign(name=[f"Zebedee{i:04d} Quux" for i in range(len(people))])
    cls = classify_dataset(frame, CTX, None)
    for key in (KEY, None):
        fp1, fp2 = fingerprint(frame, cls, key), fingerprint(frame, cls, key)
        text = json.dumps(fp1, sort_keys=True)
        assert text == json.dumps(fp2, sort_keys=True)
        values = {str(v) for col in frame.columns for v in frame[col].unique()}
        leaked = [v for v in values if len(v) >= 4 and v in text]
        assert leaked == []
        if key is None:
            assert fp1["keyed"] is False and fp1["qi_classes"] is None
            assert all(
                "counts" not in s for c in fp1["columns"].values() for s in c["sketches"].values()
            )


def _fp_summary(fp: dict[str, Any]) -> list[str]:
    return sorted(fp["columns"])


def test_unkeyed_fingerprint_links_identifier_without_k() -> None:
    a, b = _pair(31, True, True)
    fps = {"b.csv": fingerprint(b, classify_dataset(b, CTX, None), None)}
    links = assess_against_fingerprints(_ds("a.csv", a), fps, None)
    assert _fp_summary(fps["b.csv"]) == ["case_key", "district", "ethnicity"]
    assert links and links[0].k_after is None and links[0].flagged


def test_asset_profile_completion() -> None:
    ids = [f"AST{i:05d}" for i in range(60)]
    a = pd.DataFrame({"asset_id": ids, "site_postcode": ["LS1 4AB"] * 60})
    b = pd.DataFrame({"asset_id": ids[::-1], "vulnerability": ["unpatched"] * 60})
    links = assess_submission([_ds("a.csv", a), _ds("b.csv", b)])
    assert links and any(r.kind == "asset_profile" for r in links[0].risks)
    assert links[0].flagged


def _synthetic_cls(roles: dict[str, tuple[ColumnRole, str | None]]) -> DatasetClassification:
    cols = {
        name: ColumnClassification(name, role, (), (), {}, 0, kind, None)
        for name, (role, kind) in roles.items()
    }
    return DatasetClassification(cols, True, ())


_MANY_ROLES: dict[str, tuple[ColumnRole, str | None]] = {
    "ref": (ColumnRole.DIRECT_IDENTIFIER, None),
    "age": (ColumnRole.QUASI_IDENTIFIER, "age"),
    "sex": (ColumnRole.QUASI_IDENTIFIER, "sex"),
    "ethnicity": (ColumnRole.QUASI_IDENTIFIER, "ethnicity"),
}


@pytest.mark.parametrize(
    ("seed", "rows", "refs", "arrow"),
    [(1, 300, 40, True), (2, 300, 40, False), (3, 500, 480, True), (4, 200, 25, False)],
)
def test_joined_k_matches_brute_force_merge(seed: int, rows: int, refs: int, arrow: bool) -> None:
    """k after linkage equals the smallest class of the materialised many-to-many join,
    counted in people: the fewer of the two sides' distinct records in the class."""
    rng = np.random.default_rng(seed)
    dtype: Any = "str" if arrow else object

    def frame(cols: list[str], n: int) -> pd.DataFrame:
        data = {
            "ref": [f"R{v:04d}" for v in rng.integers(0, refs, n)],
            "age": rng.choice(np.array(["30", "31", "32", None], dtype=object), n),
            "sex": rng.choice(np.array(["M", "F"], dtype=object), n),
            "ethnicity": rng.choice(np.array(["W", "A", None], dtype=object), n),
        }
        return pd.DataFrame({c: pd.Series(data[c], dtype=dtype) for c in cols})

    a, b = frame(["ref", "age", "sex"], rows), frame(["ref", "ethnicity"], rows // 2)
    da = SubmissionDataset("a", a, _synthetic_cls({c: _MANY_ROLES[c] for c in a.columns}))
    db = SubmissionDataset("b", b, _synthetic_cls({c: _MANY_ROLES[c] for c in b.columns}))
    pairs = find_pairs(da, db)
    assert [(p.left, p.right, p.kind) for p in pairs] == [("ref", "ref", "identifier")]
    left = a.astype(object).assign(row_a=range(len(a)))
    right = b.astype(object).assign(row_b=range(len(b)))
    merged = left.merge(right, on="ref", how="inner")
    people = merged.groupby(["age", "sex", "ethnicity"], dropna=False).agg(
        a=("row_a", "nunique"), b=("row_b", "nunique")
    )
    expect = int(people.min(axis=1).min())
    assert joined_k(da, db, pairs) == expect


@pytest.mark.parametrize("arrow", [True, False])
def test_string_storage_does_not_change_result(arrow: bool) -> None:
    a, b = _pair(41, True, True)
    if not arrow:
        a, b = a.astype(object), b.astype(object)
    links = assess_submission([_ds("a.csv", a), _ds("b.csv", b)])
    assert [(lk.to_mosaic_link().linking_columns, lk.k_after) for lk in links if lk.flagged] == [
        (["patient_ref=case_key"], 1)
    ]


def test_fingerprint_reexported() -> None:
    assert mosaic.fingerprint is fingerprint


@pytest.mark.parametrize("registered_k", [1, 3])
def test_a_link_to_an_identifying_registered_release_is_flagged(registered_k: int) -> None:
    """A published release that is identifying already (k alone 1 or 3) does not excuse the
    link: the new release's attributes become attached to its people."""
    people = _people(300, 41)
    published = people[["person", "age", "sex", "postcode"]].copy()
    if registered_k > 1:  # groups of three people per postcode
        published["postcode"] = [f"LS{i // registered_k % 90} 1AA" for i in range(300)]
        published["age"], published["sex"] = "20", "Male"
    fps = {"published.csv": fingerprint(published, classify_dataset(published, CTX, None), KEY)}
    extract = pd.DataFrame({"patient_ref": people["person"], "visits": ["2"] * 300})
    (link,) = assess_against_fingerprints(_ds("extract.csv", extract), fps, KEY)
    assert link.k_right == registered_k and link.k_after is not None
    assert link.k_after <= registered_k and link.flagged
