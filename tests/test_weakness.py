"""Asset-weakness detection: positive and negative tables, column counts, header kinds."""

from __future__ import annotations

import pandas as pd
import pytest

from triage.classifiers.weakness import KINDS, detect_weaknesses, text_kinds

POSITIVES = [
    ("CCTV camera 4 faulty since May", "coverage_gap"),
    ("blind spot behind the depot", "coverage_gap"),
    ("area not monitored at night", "coverage_gap"),
    ("camera offline", "coverage_gap"),
    ("access code 4512#", "access_code"),
    ("door code: 1234", "access_code"),
    ("login admin/admin", "default_credential"),
    ("password123 on the router", "default_credential"),
    ("default password not changed", "default_credential"),
    ("fw 1.2.3", "firmware_version"),
    ("firmware v2.0.1 installed", "firmware_version"),
    ("controller at 192.168.1.20", "network_address"),
    ("PLC 10.0.0.5:502", "network_address"),
    ("PLC 10.0.0.5:502", "ot_identifier"),
    ("unpatched since 2019", "maintenance_gap"),
    ("maintenance overdue", "maintenance_gap"),
    ("broken lock on cabinet", "maintenance_gap"),
    ("gate left open overnight", "maintenance_gap"),
    ("Modbus TCP gateway", "ot_identifier"),
    ("DNP3 outstation", "ot_identifier"),
    ("RTU-7 at substation", "ot_identifier"),
    ("Siemens S7-1200", "ot_identifier"),
]

NEGATIVES = [
    "street light replaced",
    "LED lantern 40W",
    "code of practice applies",
    "version control",
    "camera installed 2021",
    "EV charger 7kW",
    "Library book overdue",
    "open gate meeting",
    "1.2 miles",
    "lat 53.8",
    "No fault found",
    "Firmware update scheduled",
    "patch of grass",
    "postcode LS1 4AB",
    "3.5.2021",
]


@pytest.mark.parametrize(("text", "kind"), POSITIVES)
def test_positive(text: str, kind: str) -> None:
    assert kind in text_kinds(text)


@pytest.mark.parametrize("text", NEGATIVES)
def test_negative(text: str) -> None:
    assert text_kinds(text) == set()


def test_column_counts_rows_and_kinds() -> None:
    frame = pd.DataFrame(
        {
            "asset_id": ["L1", "L2", "L3", "L4"],
            "notes": ["camera offline", "camera offline", "fine", None],
            "door_code": ["1234", None, "9999", ""],
        }
    )
    before = frame.copy()
    result = detect_weaknesses(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert set(result.columns) == {"notes", "door_code"}
    assert result.columns["notes"].kinds == {"coverage_gap": 2}
    assert result.columns["notes"].rows == 2
    assert result.columns["door_code"].kinds == {"access_code": 2}
    assert result.columns["door_code"].from_header == ("access_code",)
    assert result.kinds == ("coverage_gap", "access_code")
    facts = result.facts()
    assert facts["rows"] == {"coverage_gap": 2, "access_code": 2}


def test_no_values_in_results() -> None:
    frame = pd.DataFrame({"notes": ["door code: 4512"] * 3})
    text = repr(detect_weaknesses(frame))
    assert "4512" not in text


def test_clean_dataset() -> None:
    frame = pd.DataFrame({"type": NEGATIVES})
    assert not detect_weaknesses(frame).found


def test_kinds_stable() -> None:
    assert KINDS == (
        "coverage_gap",
        "access_code",
        "default_credential",
        "firmware_version",
        "network_address",
        "maintenance_gap",
        "ot_identifier",
    )


@pytest.mark.parametrize(("text", "kind"), POSITIVES)
def test_column_scan_agrees_with_the_python_regexes(text: str, kind: str) -> None:
    """The vectorised (RE2) column scan finds what the Python pattern of the kind finds."""
    from triage.classifiers.weakness import _COMPILED, column_weakness

    found = column_weakness(pd.Series([text, "nothing to see"]), "notes")
    assert _COMPILED[kind].search(text)
    assert found is not None and kind in found.kinds
