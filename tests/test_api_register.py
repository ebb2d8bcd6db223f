"""The service records what it releases in the register of releases (the same database), once:
an automatic release when its job commits, a reviewed referral in the form the reviewer
approved; later checks, the service's own and the CLI's, see those releases."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import service_harness as harness
import sqlalchemy as sa
import yaml

from triage.api.audit import entries, verify_audit
from triage.api.db import api_keys, jobs, submissions
from triage.api.jobs.queue import claim_job
from triage.api.jobs.run import run_check
from triage.api.jobs.worker import Worker, _job_args
from triage.api.services import releases
from triage.classifiers.columns import classify_dataset
from triage.context import NlpSettings, RunContext
from triage.errors import ConfigError
from triage.mosaic.linkage import SubmissionDataset, assess_against_fingerprints
from triage.mosaic.profile import fingerprint
from triage.store.register import ReleaseStore, summarise_fingerprint

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
OPEN_DATA = EXAMPLES / "context" / "open-data.yaml"
USE_CASE = yaml.safe_load(OPEN_DATA.read_text(encoding="utf-8"))["answers"]["use_case"]
KEY = b"k" * 32
SECTORS = ["LS1 4", "LS2 7", "LS6 2", "BD1 3", "BD7 1", "HX1 5"]


@dataclass
class Service(harness.Service):
    """The harness service, plus its register."""

    def key_id(self, who: str) -> int:
        with self.engine.connect() as conn:
            query = sa.select(api_keys.c.id).where(api_keys.c.name == who)
            return int(conn.execute(query).scalar_one())

    def store(self) -> ReleaseStore:
        return ReleaseStore.open(self.settings.db_url)

    def registered(self) -> list[Any]:
        with self.store() as store:
            return store.list_releases()


def make_service(db_url: str, data_dir: Path) -> Service:
    return Service(**vars(harness.make_service(db_url, data_dir, pseudonym_key=KEY)))


@pytest.fixture
def svc(tmp_path: Path) -> Service:
    return make_service(f"sqlite:///{tmp_path / 'triage.db'}", tmp_path / "data")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_svc(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'triage.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    service = make_service(url, tmp_path / "data")
    yield service
    service.engine.dispose()


# ---- data -----------------------------------------------------------------------------------


def people(seed: int, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    postcodes = [f"{SECTORS[i % 6]}{chr(65 + i % 26)}{chr(66 + (i // 26) % 24)}" for i in range(n)]
    return pd.DataFrame(
        {
            "person": [f"PS-{h:016x}" for h in rng.integers(1 << 40, 1 << 60, n)],
            "age": rng.integers(20, 24, n).astype(str),
            "sex": rng.choice(["Male", "Female"], n),
            "postcode": postcodes,
            "ethnicity": rng.choice(["White British", "Indian", "Black Caribbean"], n),
        }
    )


def mosaic_pair(seed: int = 1) -> tuple[bytes, bytes, list[str]]:
    """A: (record_ref, age, sex), k >= 5 alone; B: the same people's (record_ref, district,
    ethnicity), k >= 5 alone; joined on record_ref: k = 1. Also the raw ids."""
    frame = people(seed)
    a = frame[["person", "age", "sex"]].rename(columns={"person": "record_ref"})
    b = pd.DataFrame(
        {
            "record_ref": frame["person"],
            "district": frame["postcode"].str.split(" ").str[0],
            "ethnicity": frame["ethnicity"],
        }
    ).iloc[::-1]
    return (
        a.to_csv(index=False).encode(),
        b.to_csv(index=False).encode(),
        list(frame["person"]),
    )


def with_email() -> bytes:
    """air_quality.csv with an e-mail column: released with changes (the column dropped)."""
    rows = list(csv.reader((EXAMPLES / "air_quality.csv").open(encoding="utf-8")))
    rows[0].append("contact_email")
    officers = ["j.patel", "sarah.owen", "tom.hughes", "a.kowalski", "megan.price"]
    for i, row in enumerate(rows[1:]):
        row.append(f"{officers[i % len(officers)]}@example.org")
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


# ---- helpers --------------------------------------------------------------------------------


def submit(svc: Service, name: str, data: bytes, **fields: str) -> str:
    res = svc.client.post(
        "/v1/submissions",
        headers=svc.h("alice"),
        files=[("files", (name, data, "text/csv"))],
        data={"destination": "open-data", **fields},
    )
    assert res.status_code == 202, res.text
    return str(res.json()["id"])


def checked(svc: Service, name: str, data: bytes, **fields: str) -> tuple[str, dict[str, Any]]:
    sid = submit(svc, name, data, **fields)
    assert svc.worker.drain() == 1
    status = svc.client.get(f"/v1/submissions/{sid}", headers=svc.h("alice")).json()
    assert status["status"] == "done", status
    return sid, status


def report(svc: Service, sid: str) -> dict[str, Any]:
    res = svc.client.get(f"/v1/submissions/{sid}/report", headers=svc.h("rita"))
    assert res.status_code == 200, res.text
    return dict(res.json())


def run_dir(svc: Service, sid: str) -> Path:
    with svc.engine.connect() as conn:
        query = sa.select(submissions.c.result_dir).where(submissions.c.id == sid)
        return svc.settings.data_dir / str(conn.execute(query).scalar_one())


def register_file(svc: Service, sid: str) -> dict[str, Any]:
    data = json.loads((run_dir(svc, sid) / releases.REGISTER_FILE).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def audited(svc: Service, sid: str, action: str) -> list[dict[str, Any]]:
    return [e["details"] for e in entries(svc.engine, sid) if e["action"] == action]


def decide(svc: Service, sid: str, action: str) -> tuple[int, dict[str, Any]]:
    res = svc.client.post(
        f"/v1/submissions/{sid}/review",
        headers=svc.h("rita"),
        json={"action": action, "justification": f"{action}: read the report"},
    )
    return res.status_code, res.json()


# ---- automatic releases ---------------------------------------------------------------------


def test_an_automatic_release_is_registered_and_a_later_submission_links_with_it(
    any_svc: Service,
) -> None:
    svc = any_svc
    first, second, ids = mosaic_pair()
    answers = OPEN_DATA.read_text(encoding="utf-8")
    sid, status = checked(svc, "a.csv", first, context=answers, recipient="the public")
    assert status["decision"] == "release"

    listed = svc.client.get("/v1/registry", headers=svc.h("rita"))
    assert listed.status_code == 200
    (entry,) = listed.json()
    assert (entry["name"], entry["rows"], entry["destination"]) == ("a.csv", 400, "open-data")
    assert (entry["recipient"], entry["purpose"]) == ("the public", USE_CASE)
    (release,) = svc.registered()
    assert release.id == entry["id"]
    assert release.created_by == f"key:{svc.key_id('alice')}"
    assert release.rulebook_name == "open-data" and release.rulebook_sha256
    assert set(release.columns) == {"record_ref", "age", "sex"}
    (decision,) = audited(svc, sid, "decision")
    assert decision["registered"] == [release.id]

    # no raw value in the run folder's entries or in the register
    with svc.store() as store:
        stored = json.dumps(store.get(release.id).fingerprint)
    written = json.dumps(register_file(svc, sid))
    assert not [v for v in ids if v in stored or v in written]

    # the service's next check links with its own earlier release
    sid2, status2 = checked(svc, "b.csv", second, context=answers)
    assert status2["decision"] == "refer"
    label = f"a.csv (release {release.id})"
    (link,) = [m for m in report(svc, sid2)["mosaic"] if label in m["datasets"]]
    assert link["linking_columns"] == ["record_ref"]
    assert link["k_anonymity_after_linkage"] == 1
    assert [r.id for r in svc.registered()] == [release.id]  # a referral is not registered
    assert audited(svc, sid2, "decision")[0]["registered"] == []
    assert verify_audit(svc.engine) == []


def test_a_release_with_changes_registers_the_treated_form(svc: Service) -> None:
    sid, status = checked(svc, "readings.csv", with_email())
    assert status["decision"] == "release_with_changes"
    (release,) = svc.registered()
    assert release.name == "readings.csv" and "contact_email" not in release.columns
    assert "contact_email" in pd.read_csv(io.BytesIO(with_email()), nrows=1).columns
    assert release.purpose is None  # no answers, no purpose on the submission
    assert audited(svc, sid, "decision")[0]["registered"] == [release.id]


def test_a_referral_registers_nothing_yet_but_keeps_both_forms(svc: Service) -> None:
    sid, status = checked(svc, "referrals.csv", (EXAMPLES / "council_referrals.csv").read_bytes())
    assert status["decision"] == "refer"
    assert svc.registered() == []
    forms = register_file(svc, sid)["forms"]
    assert set(forms) == {"proposed", "submitted"}
    (proposed,), (submitted,) = forms["proposed"], forms["submitted"]
    assert proposed["fingerprint"] != submitted["fingerprint"]
    assert "full_name" in submitted["columns"] and "full_name" not in proposed["columns"]


# ---- reviews --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "form"),
    [
        ("approve_with_changes", "proposed"),
        ("approve_release", "submitted"),
        ("withhold", None),
    ],
)
def test_a_review_registers_the_approved_form(svc: Service, action: str, form: str | None) -> None:
    sid, _ = checked(svc, "referrals.csv", (EXAMPLES / "council_referrals.csv").read_bytes())
    code, status = decide(svc, sid, action)
    assert code == 200, status
    (review,) = audited(svc, sid, "review")
    if form is None:
        assert svc.registered() == [] and review["registered"] == []
        return
    (release,) = svc.registered()
    assert review["registered"] == [release.id]
    assert release.created_by == f"key:{svc.key_id('rita')}"
    (expected,) = register_file(svc, sid)["forms"][form]
    with svc.store() as store:
        assert store.get(release.id).fingerprint == expected["fingerprint"]
    download = svc.client.get(
        f"/v1/submissions/{sid}/released/referrals.csv", headers=svc.h("alice")
    )
    assert download.status_code == 200
    header = download.text.splitlines()[0].split(",")
    assert list(release.columns) == header  # what is registered is what is downloaded
    assert decide(svc, sid, action)[0] == 409  # reviewed once, registered once
    assert len(svc.registered()) == 1
    assert verify_audit(svc.engine) == []


def test_a_review_without_the_checks_entries_decides_nothing(svc: Service) -> None:
    sid, _ = checked(svc, "referrals.csv", (EXAMPLES / "council_referrals.csv").read_bytes())
    (run_dir(svc, sid) / releases.REGISTER_FILE).unlink()
    code, body = decide(svc, sid, "approve_with_changes")
    assert code == 409 and "register" in body["detail"]
    status = svc.client.get(f"/v1/submissions/{sid}", headers=svc.h("alice")).json()
    assert (status["final_decision"], status["review_state"], status["released"]) == (
        None,
        "pending",
        [],
    )
    assert svc.registered() == [] and audited(svc, sid, "review") == []
    assert decide(svc, sid, "withhold")[0] == 200  # withholding registers nothing anyway


# ---- exactly once, fail closed --------------------------------------------------------------


def _job_status(svc: Service, sid: str) -> tuple[str, str | None]:
    with svc.engine.connect() as conn:
        job = conn.execute(sa.select(jobs.c.status).where(jobs.c.submission_id == sid))
        row = conn.execute(sa.select(submissions.c.decision).where(submissions.c.id == sid))
        return str(job.scalar_one()), row.scalar_one()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_lost_lease_registers_nothing_and_a_rerun_never_twice(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'triage.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    svc = make_service(url, tmp_path / "data")
    sid = submit(svc, "air.csv", (EXAMPLES / "air_quality.csv").read_bytes())
    stale = claim_job(svc.engine, "worker-a", lease_seconds=0.0)
    assert stale is not None
    stale_outcome = run_check(*_job_args(svc.settings, stale, "worker-a"))
    assert stale_outcome.report["decision"] == "release"
    taken = claim_job(svc.engine, "worker-b", lease_seconds=60.0)  # the lease had expired
    assert taken is not None and taken.attempt == 2
    outcome = run_check(*_job_args(svc.settings, taken, "worker-b"))
    duplicate = run_check(*_job_args(svc.settings, taken, "worker-b"))  # Dask ran it twice

    Worker(svc.settings, svc.engine, owner="worker-a")._finish(stale, stale_outcome, None)
    assert svc.registered() == [] and _job_status(svc, sid) == ("running", None)

    current = Worker(svc.settings, svc.engine, owner="worker-b")
    current._finish(taken, outcome, None)
    (release,) = svc.registered()
    current._finish(taken, outcome, None)  # the same result again: fenced
    current._finish(taken, duplicate, None)  # its folder was dropped: fenced all the same
    Worker(svc.settings, svc.engine, owner="worker-a")._finish(stale, stale_outcome, None)
    assert svc.worker.drain() == 0
    assert [r.id for r in svc.registered()] == [release.id]
    assert _job_status(svc, sid) == ("done", "release")
    (decision,) = audited(svc, sid, "decision")
    assert decision["registered"] == [release.id]
    assert verify_audit(svc.engine) == []
    svc.engine.dispose()


def test_entries_lost_before_the_commit_requeue_the_job(svc: Service) -> None:
    sid = submit(svc, "air.csv", (EXAMPLES / "air_quality.csv").read_bytes())
    job = claim_job(svc.engine, "worker-a", 60.0)
    assert job is not None
    outcome = run_check(*_job_args(svc.settings, job, "worker-a"))
    (svc.settings.data_dir / outcome.result_dir / releases.REGISTER_FILE).write_text("{")
    Worker(svc.settings, svc.engine, owner="worker-a")._finish(job, outcome, None)
    assert _job_status(svc, sid) == ("queued", None)
    assert svc.registered() == [] and audited(svc, sid, "decision") == []
    assert svc.worker.drain() == 1  # the next attempt writes them again and commits
    assert len(svc.registered()) == 1 and _job_status(svc, sid) == ("done", "release")


def test_entries_that_cannot_be_built_fail_the_job(
    svc: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(*_args: object, **_kwargs: object) -> dict[str, Any]:
        raise ConfigError("fingerprinting (triage.mosaic.linkage.fingerprint) is not available")

    monkeypatch.setattr(releases, "build_register", unavailable)
    sid = submit(svc, "air.csv", (EXAMPLES / "air_quality.csv").read_bytes())
    svc.worker.drain()
    status = svc.client.get(f"/v1/submissions/{sid}", headers=svc.h("alice")).json()
    assert (status["status"], status["decision"]) == ("failed", None)
    assert "fingerprinting" in status["error"]
    assert svc.registered() == []


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(decision="release_with_changes"), "another decision"),
        (lambda d: d.update(format="x"), "unknown format"),
        (lambda d: d["forms"].clear(), "lack a form"),
        (lambda d: d["forms"]["released"][0].update(rows=-1), "malformed"),
        (lambda d: d["forms"]["released"][0].update(secret="x"), "malformed"),
        (lambda d: d["forms"]["released"][0].pop("fingerprint"), "malformed"),
    ],
    ids=["decision", "format", "forms", "rows", "extra-field", "no-fingerprint"],
)
def test_load_register_refuses_what_the_decision_did_not_write(
    svc: Service, edit: Any, message: str
) -> None:
    sid, _ = checked(svc, "air.csv", (EXAMPLES / "air_quality.csv").read_bytes())
    folder = run_dir(svc, sid)
    assert len(releases.load_register(folder, "release")["released"]) == 1
    data = register_file(svc, sid)
    edit(data)
    (folder / releases.REGISTER_FILE).write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(releases.RegisterError, match=message):
        releases.load_register(folder, "release")


# ---- the register's summaries ---------------------------------------------------------------


def test_a_keyed_fingerprint_summary_with_qi_classes_is_compared_without_error() -> None:
    """A check reads the register's light summaries first (class counts left out); a keyed
    release with quasi-identifier classes must not break that first pass."""
    ctx = RunContext(nlp=NlpSettings(model=None))
    frame = people(3)
    released = frame[["person", "age", "sex"]]
    fp = fingerprint(released, classify_dataset(released, ctx, None), KEY)
    assert fp["qi_classes"] and "counts" in fp["qi_classes"]
    summary = json.loads(json.dumps(summarise_fingerprint(fp)))
    assert "counts" not in summary["qi_classes"]
    probe = frame[["person", "postcode"]]
    target = SubmissionDataset("b.csv", probe, classify_dataset(probe, ctx, None))
    (light,) = assess_against_fingerprints(target, {"a": summary}, KEY)
    (full,) = assess_against_fingerprints(target, {"a": fp}, KEY)
    assert light.k_right is None and full.k_right is not None
    assert [p.left for p in light.pairs] == [p.left for p in full.pairs] == ["person"]


@pytest.mark.parametrize("supersedes", [None, "a.csv"])
def test_a_republication_names_what_it_supersedes(svc: Service, supersedes: str | None) -> None:
    """The service's ``supersedes`` field: a new version is compared with its registered
    release (and released when its groups changed by k or more), not linked with it."""
    first, _, _ = mosaic_pair()
    answers = OPEN_DATA.read_text(encoding="utf-8")
    _, status = checked(svc, "a.csv", first, context=answers)
    assert status["decision"] == "release"
    fields = {"context": answers, **({"supersedes": supersedes} if supersedes else {})}
    sid, status = checked(svc, "a.csv", first, **fields)
    got = report(svc, sid)
    if supersedes is None:  # its own earlier release links on every column
        assert status["decision"] == "refer" and got["mosaic"] and not got["versions"]
        return
    assert status["decision"] == "release" and not got["mosaic"]
    (version,) = got["versions"]
    assert version["supersedes"].startswith("a.csv (release ") and version["comparable"]
    assert version["small_changes"] == 0
