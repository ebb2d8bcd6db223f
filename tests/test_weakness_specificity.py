"""A weakness needs specific evidence: identifier patterns in context, not names or proposals.

The negatives are the kinds of value that made the detector refer real Transparency Code spend
files and planning lists: supplier names with company suffixes, product codes, purchase lines
for repairs, descriptions of proposed works and job titles.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from triage.classifiers.weakness import (
    EXCLUDE,
    PATTERNS,
    column_weakness,
    detect_weaknesses,
    text_kinds,
)

POSITIVES = [
    ("camera 12 faulty since May", "coverage_gap"),
    ("the rear car park is not covered by CCTV", "coverage_gap"),
    ("CCTV down since Tuesday", "coverage_gap"),
    ("NVR not recording at the depot", "coverage_gap"),
    ("alarm panel disabled since the power cut", "coverage_gap"),
    ("keypad code 4471", "access_code"),
    ("Door entry code: 2580#", "access_code"),
    ("key safe at the side door, code is 1966", "access_code"),
    ("PLC S7-1200 at 10.0.0.5", "ot_identifier"),
    ("PLC S7-1200 at 10.0.0.5", "network_address"),
    ("Modbus TCP on port 502 exposed", "ot_identifier"),
    ("RTU-3 at Brook Road pumping station", "ot_identifier"),
    ("DNP3 outstation on the telemetry link", "ot_identifier"),
    ("BACnet/IP controller in the plant room", "ot_identifier"),
    ("the pumps are run by a PLC with remote access", "ot_identifier"),
    ("end of life firmware on the NVR", "maintenance_gap"),
    ("side gate left unlocked", "maintenance_gap"),
]

SUPPLIERS = [
    "Siemens PLC",
    "Johnson Controls Ltd",
    "ADT Fire and Security plc",
    "ADT Fire & Security PLC",
    "Modbus Systems Ltd",
    "Restore Plc",
    "E.ON UK Plc",
    "Honeywell Control Systems Ltd",
    "Chubb Fire & Security Ltd",
    "Banham Alarms Ltd",
    "NSL CCTV Services",
    "Electrical Testing Ltd",
    "APL Security Group Ltd",
]

SPEND_PURPOSES = [
    "STATIONERY - Logitech Mouse Code:594-6644",
    "STATIONERY - Product Code: 9918961",
    "CONTRIB EXT PROJECTS - End of Life Event 10.05.24",
    "CLEANING MATERIALS - Est-eem RTU Unperfumed Cleaner",
    "EARLY YRS FUNDED PLC",
    "HIRE OF ROOMS - Restore PLC 23/24",
    "EQUIPMENT - PURCHASE - Replace faulty DVR",
    "CAP PUR ICT H/W & S/ - Sale Camera switch fault",
    "SECURITY MEASURES - APL - Security - Partington Library",
    "LAND REGISTRY FEES - Amey -Fire Alarm Monitoring installation",
]

PLANNING = [
    "Installation of 3 CCTV cameras to front elevation",
    "Removal of security shutters",
    "Installation of CCTV cameras and alarm box with disabled access ramp",
    "Erection of fencing and gates with CCTV camera, and taking down of existing wall",
    "Replacement of damaged fencing and broken gate",
    "Installation of door entry code system",
    "Bi-fold doors open onto rear garden",
    "Retrospective installation of CCTV camera on front elevation",
    "Change of use to car wash with CCTV and security gates",
    "Details of the use of any part of the site not covered by buildings (condition 9)",
    "Partial discharge of condition 4 (CCTV cameras and lighting) of permission 08/01234/FUL",
]

JOB_TITLES = [
    "SCADA Engineer",
    "PLC Programmer",
    "Control Systems Engineer (PLC/SCADA)",
    "CCTV Operator",
    "Alarm Response Officer",
    "Security Officer",
    "End of Life Care Coordinator",
    "HMI Inspector of Probation",
]

NEGATIVES = SUPPLIERS + SPEND_PURPOSES + PLANNING + JOB_TITLES


@pytest.mark.parametrize(("text", "kind"), POSITIVES)
def test_specific_evidence_is_found(text: str, kind: str) -> None:
    assert kind in text_kinds(text)
    found = column_weakness(pd.Series([text, "nothing here"]), "notes")
    assert found is not None and kind in found.kinds


@pytest.mark.parametrize("text", NEGATIVES)
def test_names_codes_and_proposals_are_not_weaknesses(text: str) -> None:
    assert text_kinds(text) == set()
    assert column_weakness(pd.Series([text]), "notes") is None


@pytest.mark.parametrize("header", ["BeneficiaryName", "Supplier Name", "supplier", "Payee"])
def test_columns_of_names_are_not_scanned(header: str) -> None:
    names = pd.Series(["British Blind Spot", "Siemens PLC", "Modbus TCP Gateways Ltd"])
    assert column_weakness(names, header) is None
    # the same values under a header that does not name organisations are scanned
    found = column_weakness(names, "notes")
    assert found is not None and set(found.kinds) == {"coverage_gap", "ot_identifier"}


def test_header_kind_still_counts_in_a_name_like_column() -> None:
    found = column_weakness(pd.Series(["1234", "9876"]), "door_code")
    assert found is not None and found.kinds == {"access_code": 2}


def test_a_real_gap_beside_a_proposal_is_still_a_gap() -> None:
    """The works exclusion is for descriptions of works, not for every value with a verb."""
    assert "coverage_gap" in text_kinds("Camera 4 offline; engineer booked to install a new one")
    assert "coverage_gap" not in text_kinds("Installation of camera 4; offline until then")


def test_spend_file_shape_is_clean() -> None:
    frame = pd.DataFrame(
        {
            "BeneficiaryName": SUPPLIERS[:10],
            "Purpose": SPEND_PURPOSES,
            "Amount": [str(500 + i) for i in range(10)],
        }
    )
    assert not detect_weaknesses(frame).found


@pytest.mark.parametrize("kind", sorted({*PATTERNS, *EXCLUDE} - {"network_address"}))
def test_patterns_run_vectorised(kind: str) -> None:
    """Patterns other than the IP one stay RE2-compatible, so the column scan sees them all."""
    for pattern in (PATTERNS.get(kind), EXCLUDE.get(kind)):
        if pattern is not None:
            pc.match_substring_regex(pa.array(["x"]), pattern=pattern, ignore_case=True)
