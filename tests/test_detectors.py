"""Tables of positive and look-alike negative values for every structured-identifier detector.

Checksum-valid literals were computed independently of the code under test (NHS mod 11 by
hand/throwaway script; card numbers are the networks' published test PANs; IBANs are the
registry's published examples).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from triage.classifiers.base import Detector
from triage.classifiers.detectors import BaseDetector, normalise_header
from triage.classifiers.registry import DETECTORS, all_detectors, get_detector
from triage.errors import ConfigError
from triage.vocab import TEXT_ONLY_ENTITIES, Entity

CASES: dict[str, tuple[list[str], list[str]]] = {
    "nhs": (
        [
            "9434765919",
            "943 476 5919",
            "943-476-5919",
            "9458073022",
            "1573681938",
            "0364262125",
            "9972200337",
            "224 538 3230",
            "5499095140",
            "547-527-7206",
            "4056086567",
            "9070293137",
        ],
        [
            "9434765918",  # wrong check digit
            "9458073023",
            "1573681939",
            "0364262126",
            "6405622410",  # check digit would be 10
            "6405622411",
            "4444444444",  # passes mod 11, repeated digit
            "0000000000",
            "943476591",  # 9 digits
            "94347659190",  # 11 digits
            "943/476/5919",
            "NHS9434765919",
        ],
    ),
    "nino": (
        [
            "AB123456C",
            "AB 12 34 56 C",
            "ab123456c",
            "JG103759A",
            "CE 00 00 00 D",
            "HN101010B",
            "PR999999A",
            "SW123456D",
            "YZ765432B",
            "WX000001A",
            "ZY123456C",
            "KM123456B",
        ],
        [
            "DA123456C",  # D first
            "FA123456C",
            "AO123456C",  # O second
            "AD123456C",
            "QQ123456C",
            "GB123456A",  # never-issued prefixes
            "BG123456A",
            "NK123456A",
            "TN123456A",
            "ZZ123456A",
            "AB123456E",  # suffix not A-D
            "AB12345C",
            "AB1234567C",
        ],
    ),
    "postcode": (
        [
            "SW1A 1AA",
            "SW1A1AA",
            "M1 1AE",
            "B33 8TH",
            "CR2 6XH",
            "DN55 1PT",
            "EC1A 1BB",
            "W1A 0AX",
            "GIR 0AA",
            "gir0aa",
            "ls6 3bn",
            "BT9 6AD",
            "LL11 2AB",
        ],
        [
            "AB12 3CD5",  # product code
            "SKU-1234",
            "QA1 1AA",  # Q never first
            "VA1 1AA",
            "AI1 1AA",  # I never second
            "W1I 0AX",  # I not allowed 3rd in A9A
            "SW1C 1AA",  # C not allowed 4th in AA9A
            "SW1A 1AC",  # C not in inward code
            "SW1A 1AI",
            "SW1A 1IA",
            "12345",
            "SW1A",
            "SW1A  1AA X",
        ],
    ),
    "vehicle_registration": (
        [
            "AB12 CDE",
            "AB12CDE",
            "LR69 XYZ",
            "ma02 abc",
            "YK21 ZZZ",
            "BD51 SMR",
            "SN25 AAB",
            "OV70 NMP",
            "WP59 HFK",
            "KX30 ABC",
            "EA75 RTY",
        ],
        [
            "AB01 CDE",  # age 01 never issued
            "AB00 CDE",
            "AB50 CDE",
            "AB31 CDE",
            "AB99 CDE",
            "IB12 CDE",  # I is not a region letter
            "QA12 CDE",
            "ZA12 CDE",
            "AI12 CDE",  # I not used as second letter
            "AB12 CDQ",  # Q never used
            "AB12 CD",
            "SKU-1234",
            "AB123 CDE",
        ],
    ),
    "vehicle_registration_legacy": (
        [
            "A123 BCD",
            "P7 XYZ",
            "R999 ABC",
            "Y45 KLM",
            "b123cde",
            "ABC 123D",
            "XYZ 9A",
            "KLM 45P",
            "ABC123D",
            "GHJ 1Y",
        ],
        [
            "I123 BCD",  # I is not a year letter
            "O123 BCD",
            "U123 BCD",
            "Z123 BCD",
            "A0123 BCD",
            "A012 BCD",  # leading zero serial
            "ABC 123I",
            "ABC 1234D",
            "AB12 CDE",  # current format
            "1234",
            "SKU-1234",
        ],
    ),
    "sort_code": (
        [
            "12-34-56",
            "20-00-00",
            "40 47 84",
            "30-94-57",
            "60-16-13",
            "83-91-43",
            "09-01-28",
            "11 22 33",
            "77-91-08",
            "16-00-15",
        ],
        [
            "123456",  # bare form needs a header (separate detector)
            "12-34-567",
            "12-3456",
            "1-23-456",
            "00-00-00",
            "11-11-11",
            "12/34/56",
            "12.34.56",
            "12-34 56",
            "ab-cd-ef",
        ],
    ),
    "sort_code_bare": (
        [
            "123456",
            "200000",
            "404784",
            "309457",
            "601613",
            "839143",
            "090128",
            "112233",
            "779108",
            "160015",
        ],
        [
            "12345",
            "1234567",
            "000000",
            "999999",
            "12345a",
            "12 3456",
            "1234.5",
            "-12345",
            "",
            "abcdef",
        ],
    ),
    "uprn": (
        [
            "100023336956",
            "10033544614",
            "200003218976",
            "5300038",
            "906700048432",
            "1",
            "12345",
            "10091702515",
            "100100077917",
            "38122093",
        ],
        [
            "1000233369561",  # 13 digits
            "0100023336956",
            "012345",
            "12345.0",
            "1e5",
            "-12345",
            "12,345",
            "UPRN1234",
            "12 345",
            "",
        ],
    ),
    "passport": (
        [
            "123456789",
            "925076473",
            "801234567",
            "AB1234567",
            "ab1234567",
            "GB7654321",
            "XY0000001",
            "PA9876543",
            "512345678",
            "099887766",
        ],
        [
            "12345678",
            "1234567890",
            "000000000",
            "111111111",
            "AB123456",
            "A12345678",
            "ABC123456",
            "AB12345678",
            "1234567AB",
            "AB 1234567",
        ],
    ),
    "driving_licence": (
        [
            "MORGA753116SM9IJ",  # 11 March 1976, female (53)
            "morga753116sm9ij",
            "SMITH801015JA9AB",  # 1 Jan 1985
            "JONES802294AB9CD",  # 29 Feb 1984
            "NG999712308AB1CD",  # short surname padded with 9s
            "BROWN612317K99XY",  # 31 Dec 1967, no middle initial
            "TAYLO562150JD9EF",  # 15 Dec 1950, female (62)
            "WILLI001010AA9AA",  # 1 Jan 2000
            "EVANS 901015 JE9AB",  # with spaces
            "PATEL052290RK9ZZ",  # 29 Feb 2000 (leap)
            "LEE99807089AB2XY",
        ],
        [
            "SMITH813015JA9AB",  # month 13
            "SMITH863015JA9AB",  # female month 63
            "SMITH800015JA9AB",  # day 00
            "SMITH801325JA9AB",  # day 32
            "SMITH802305JA9AB",  # 30 February
            "SMITH202291JA9AB",  # 29 Feb 1921/2021
            "99999801015JA9AB",  # all-9 surname
            "SM9TH801015JA9AB",  # 9 inside the surname
            "SMITH8010159A9AB",  # initials start with 9
            "SMITH801015JA9A1",  # check letters must be letters
            "SMITH801015JA9A",  # 15 characters
            "SMITH801015JAA9AB",
        ],
    ),
    "email": (
        [
            "jane.smith@example.com",
            "JOHN.DOE@EXAMPLE.CO.UK",
            "a@b.io",
            "first+tag@sub.domain.org",
            "o'brien@council.gov.uk",
            "user_name@my-host.net",
            "x.y.z@nhs.net",
            "info@example.museum",
            "12345@numbers.com",
            "mail@xn--bcher-kva.example",
        ],
        [
            "jane.smith@example",  # no TLD
            "jane.smith@@example.com",
            "jane..smith@example.com",
            ".jane@example.com",
            "jane.@example.com",
            "jane@-example.com",
            "jane@example.c",
            "logo@2x.png",  # file name, not an address
            "icon@home.svg",
            "jane smith@example.com",
            "@example.com",
            "jane@example.com1",
        ],
    ),
    "phone": (
        [
            "020 7946 0018",
            "+44 20 7946 0958",
            "0161 496 0000",
            "07911 123456",
            "+44 7911 123456",
            "0044 7911 123456",
            "(0113) 496 0123",
            "0800 123 4567",
            "01234 567890",
            "+33 1 42 68 53 00",
            "+1 202 456 1111",
            "020-7946-0018",
        ],
        [
            "1234567890",  # bare digits without 0 or +
            "447911123456",
            "12345678",
            "01632 96012",  # too short
            "020 7946 00188",  # too long
            "07000 000000 0",
            "2021-03-01",
            "01/02/2021",
            "+44 12",
            "0000 000 0000",
            "+999 1234 5678",
            "0891 234 5678",
        ],
    ),
    "phone_bare": (
        [
            "1617486414",  # 0161 748 6414 stored as a number
            "7911123456",
            "2079460018",
            "799097271",  # a Swiss mobile written nationally without its 0
            "465544564",
            "441619291783",
            "3512345678",
            "447911123456",
            "3314268530",
            "123456789012",
        ],
        [
            "12345678",
            "1234567890123",
            "9999999999",
            "0000000000",
            "+44 7911 123456",
            "2021-03-01",
            "16174864a4",
            "",
            "1617.486414",
            "abcdefghij",
        ],
    ),
    "ip_address": (
        [
            "192.168.1.10",
            "10.0.0.1",
            "8.8.8.8",
            "255.255.255.255",
            "172.16.254.1",
            "2001:db8::1",
            "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
            "::1",
            "fe80::1ff:fe23:4567:890a",
            "::ffff:192.0.2.128",
            "0.0.0.0",
        ],
        [
            "256.1.1.1",
            "192.168.1",
            "192.168.01.1",  # leading zero
            "1.2.3.4.5",
            "12:30:45",
            "2001:db8:::1",
            "2001:db8::g1",
            "::",
            "1:2:3:4:5:6:7:8:9",
            "192.168.1.1/24",
            "abc.def.ghi.jkl",
        ],
    ),
    "credit_card": (
        [
            "4111111111111111",
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "5500000000000004",
            "5555555555554444",
            "5105105105105100",
            "378282246310005",
            "371449635398431",
            "6011111111111117",
            "6011000990139424",
            "3530111333300000",
            "30569309025904",
            "2223003122003222",
            "4222222222222",
        ],
        [
            "4111111111111112",  # Luhn fails
            "5500000000000005",
            "378282246310006",
            "1234567812345670",  # Luhn ok, no issuer starts with 1
            "9111111111111111",
            "0000000000000000",
            "6011111111111118",  # Luhn fails
            "411111111111111",  # Visa with 15 digits
            "3782822463100050",  # Amex with 16 digits
            "4111 1111 1111",
            "4111x1111x1111x1111",
        ],
    ),
    "iban": (
        [
            "GB82WEST12345698765432",
            "GB82 WEST 1234 5698 7654 32",
            "gb82west12345698765432",
            "GB33BUKB20201555555555",
            "DE89370400440532013000",
            "DE89 3704 0044 0532 0130 00",
            "FR1420041010050500013M02606",
            "NL91ABNA0417164300",
            "ES9121000418450200051332",
            "IE29AIBK93115212345678",
            "BE68539007547034",
            "CH9300762011623852957",
            "NO9386011117947",
        ],
        [
            "GB82WEST12345698765433",  # check fails
            "GB83WEST12345698765432",
            "GB82WEST1234569876543",  # wrong length for GB
            "DE89370400440532013001",
            "XX82WEST12345698765432",  # no such country
            "NL91ABNA041716430",
            "BE68539007547035",
            "GB00WEST12345698765432",
            "1234WEST12345698765432",
            "GB82-WEST-1234-5698-7654-32",
        ],
    ),
    "url": (
        [
            "https://example.org",
            "http://www.example.co.uk/path/page.html",
            "https://example.org/search?q=1&x=y#top",
            "www.gov.uk",
            "WWW.EXAMPLE.COM/ABOUT",
            "ftp://files.example.net/pub/file.txt",
            "https://sub.domain.example.io:8443/a",
            "http://192.168.1.1/admin",
            "http://localhost:8000/",
            "https://user@example.org/x",
        ],
        [
            "example.org",  # no scheme, no www.
            "http://",
            "https://",
            "htp://example.org",
            "mailto:jane@example.org",
            "www.",
            "www.example",
            "http://exa mple.org",
            "file.txt",
            "https://example.org:99999/",
            "http://-bad-.example",
        ],
    ),
    "coordinates": (
        [
            "51.5074, -0.1278",
            "51.5074,-0.1278",
            "-33.8688, 151.2093",
            "53.4808; -2.2426",
            "55.953251, -3.188267",
            "POINT (-0.1278 51.5074)",
            "POINT(-2.2426 53.4808)",
            "point (151.2093 -33.8688)",
            "+40.712800, -74.006000",
            "0.000, 51.477",
            "89.999, 179.999",
        ],
        [
            "91.1234, 0.1278",  # latitude out of range
            "51.5074, 181.0000",  # longitude out of range
            "0.000, 0.000",  # null island
            "51.5, -0.1",  # too few decimals
            "1, 2",
            "51.5074",
            "51.5074 -0.1278",
            "POINT (530000 180000)",
            "POINT (-0.1278)",
            "12:30, 45:00",
            "POINT (-0.1278 91.5074)",
        ],
    ),
    "grid_reference": (
        [
            "SU 3915 1623",
            "SU39151623",
            "TQ 30 80",
            "TQ3080",
            "NN 166 712",
            "NN166712",
            "HP 6149 1624",
            "SV 91 10",
            "NT 25 73",
            "SU 39153 16234",
            "530000, 180000",
            "216666,771288",
            "POINT (530000 180000)",
            "85000.5, 1150000.25",
        ],
        [
            "SU 3915 162",  # halves differ
            "SU39151",  # 5 digits: odd
            "SU3915162",  # odd digit count
            "SI 3915 1623",  # no I square
            "JZ 3915 1623",  # JZ lies east of the grid's 700 km
            "XX 3915 1623",
            "AB 1234 5678",
            "SU",
            "SKU-1234",
            "800000, 180000",  # easting out of range
            "530000, 1400000",  # northing out of range
            "12, 34",
            "1234, 5678",
        ],
    ),
    "date_time": (
        [
            "2021-03-04",
            "2021-03-04T10:15:00",
            "2021-03-04 10:15",
            "2021-03-04T10:15:00.123Z",
            "2021-03-04T10:15:00+01:00",
            "04/03/2021",
            "4/3/2021",
            "04-03-2021",
            "04.03.2021",
            "3 March 2021",
            "3rd Mar 2021",
            "March 3, 2021",
            "29/02/2024",
            "12/31/2021",
            "2021/03/04",
        ],
        [
            "31/02/2021",  # no such date
            "29/02/2021",
            "2021-02-30",
            "2021-13-01",
            "32/01/2021",
            "00/01/2021",
            "31 June 2021",
            "2021",
            "12:30",
            "2021-03-04T25:00",
            "2021-03-04T10:61",
            "04/03/21",  # two-digit year is too ambiguous
            "1234-56-78",
            "3 Marchh 2021",
            "12-34-56",
        ],
    ),
}


def _ids() -> list[str]:
    return list(DETECTORS)


def test_every_registered_detector_has_a_table() -> None:
    assert set(CASES) == set(DETECTORS)


def test_every_entity_except_ner_ones_has_a_detector() -> None:
    covered = {d.entity for d in all_detectors()}
    ner = {Entity.PERSON, Entity.LOCATION, Entity.DATE_OF_BIRTH}
    expected = set(Entity) - ner - TEXT_ONLY_ENTITIES
    assert covered == expected


@pytest.mark.parametrize("detector_id", _ids())
def test_tables_are_big_enough(detector_id: str) -> None:
    positives, negatives = CASES[detector_id]
    assert len(positives) >= 10
    assert len(negatives) >= 10
    assert not set(positives) & set(negatives)


_POS = [(d, v) for d, (pos, _) in CASES.items() for v in pos]
_NEG = [(d, v) for d, (_, neg) in CASES.items() for v in neg]


@pytest.mark.parametrize(("detector_id", "value"), _POS, ids=[f"{d}:{v}" for d, v in _POS])
def test_positive(detector_id: str, value: str) -> None:
    detector = get_detector(detector_id)
    assert detector.match(pd.Series([value])).tolist() == [True]


@pytest.mark.parametrize(("detector_id", "value"), _NEG, ids=[f"{d}:{v}" for d, v in _NEG])
def test_negative(detector_id: str, value: str) -> None:
    detector = get_detector(detector_id)
    assert detector.match(pd.Series([value])).tolist() == [False]


@pytest.mark.parametrize("detector_id", _ids())
def test_match_on_series_is_aligned_and_handles_missing(detector_id: str) -> None:
    positives, negatives = CASES[detector_id]
    values: list[object] = [positives[0], None, negatives[0], np.nan, pd.NA, positives[1], ""]
    series = pd.Series(values, index=[10, 3, 7, 1, 2, 5, 0], dtype=object)
    result = get_detector(detector_id).match(series)
    assert isinstance(result, np.ndarray)
    assert result.dtype == bool
    assert result.tolist() == [True, False, False, False, False, True, False]


@pytest.mark.parametrize("detector_id", _ids())
def test_match_strips_whitespace_and_accepts_string_dtype(detector_id: str) -> None:
    positives, negatives = CASES[detector_id]
    series = pd.Series([f"  {positives[2]} ", negatives[1]], dtype="string")
    assert get_detector(detector_id).match(series).tolist() == [True, False]


@pytest.mark.parametrize("detector_id", _ids())
def test_match_on_2000_values_is_aligned(detector_id: str) -> None:
    positives, negatives = CASES[detector_id]
    pool = positives + negatives
    series = pd.Series([pool[i % len(pool)] for i in range(2000)])
    result = get_detector(detector_id).match(series)
    assert result.shape == (2000,)
    assert result.tolist() == [i % len(pool) < len(positives) for i in range(2000)]


def test_phone_fast_path_agrees_with_phonenumbers() -> None:
    import phonenumbers

    detector = get_detector("phone")
    rng = np.random.default_rng(7)
    prefixes = ["01", "02", "03", "05", "07", "08", "09", "011", "0161", "07624", "0800", "0845"]
    for _ in range(400):
        prefix = prefixes[int(rng.integers(len(prefixes)))]
        length = int(rng.integers(9, 13))
        digits = prefix + "".join(str(int(x)) for x in rng.integers(0, 10, length - len(prefix)))
        expected = phonenumbers.is_valid_number(phonenumbers.parse(digits, "GB"))
        assert detector.validate(detector.normalise(digits)) == expected, "phone fast path"


def test_requires_header_flags() -> None:
    flagged = {d.id for d in all_detectors() if isinstance(d, BaseDetector) and d.requires_header}
    assert flagged == {
        "uprn",
        "passport",
        "sort_code_bare",
        "vehicle_registration_legacy",
        "phone_bare",
    }
    for detector in all_detectors():
        assert isinstance(detector, BaseDetector)
        assert isinstance(detector.requires_header, bool)


@pytest.mark.parametrize(
    ("detector_id", "header", "expected"),
    [
        ("nhs", "NHS Number", True),
        ("nhs", "CHI No", True),
        ("nhs", "Patient count", False),
        ("email", "E-mail", True),
        ("email", "email_address", True),
        ("email", "emails_sent", False),
        ("email", "Email count", False),
        ("email", "email_flag", False),
        ("uprn", "UPRN", True),
        ("uprn", "property_ref", True),
        ("uprn", "row_id", False),
        ("passport", "Passport No.", True),
        ("passport", "passport_expiry", False),
        ("sort_code_bare", "Sort Code", True),
        ("iban", "Bank account", True),
        ("postcode", "Post Code", True),
        ("postcode", "county", False),
        ("postcode", "County postcode", True),
        ("nino", "NI number", True),
        ("nino", "National Insurance No", True),
        ("grid_reference", "Easting", True),
        ("date_time", "created_at", True),
        ("phone", "Tel", True),
        ("phone", "Telephone", True),
    ],
)
def test_header_matches(detector_id: str, header: str, expected: bool) -> None:
    detector = get_detector(detector_id)
    assert isinstance(detector, BaseDetector)
    assert detector.header_matches(header) is expected


def test_normalise_header() -> None:
    assert normalise_header("  E-mail (Work) ") == "e_mail_work"
    assert normalise_header("NHS No.") == "nhs_no"


def test_registry_is_cached_ordered_and_strict() -> None:
    first = all_detectors()
    assert [d.id for d in first] == list(DETECTORS)
    assert all(a is b for a, b in zip(first, all_detectors(), strict=True))
    assert all(isinstance(d, Detector) for d in first)
    with pytest.raises(ConfigError):
        get_detector("no_such_detector")


def test_full_value_patterns_have_no_anchors() -> None:
    for detector in all_detectors():
        assert not detector.pattern.startswith("^")
        assert not detector.pattern.endswith("$")


# --- text-search patterns: grid references in prose, spaced sort codes -------------------


def _searched(detector_id: str, text: str, min_score: float = 0.0) -> set[str]:
    import regex

    detector = get_detector(detector_id)
    assert isinstance(detector, BaseDetector)
    found: set[str] = set()
    for _, rx, score in detector.search_patterns():
        if score < min_score:
            continue
        for m in regex.finditer(rx, text):
            if detector.validate(detector.normalise(m.group(0))):
                found.add(m.group(0))
    return found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tree at NJ 191 207 down.", {"NJ 191 207"}),
        ("Tree at NJ191207 down.", {"NJ191207"}),
        ("Site SU 3915 1623 here.", {"SU 3915 1623"}),
        ("Square TQ 30 80 here.", {"TQ 30 80"}),
        ("At 530000, 180000 exactly.", {"530000, 180000"}),
        ("Vehicle NJ19 XTL parked.", set()),
        ("Vehicle NJ19XTL parked.", set()),
        ("Vehicle TB10 XTL parked.", set()),
        ("Code TQ30 only.", set()),
        ("Code TQ3080 only.", set()),  # 4-figure joined: low score, needs context
    ],
)
def test_grid_reference_text_patterns(text: str, expected: set[str]) -> None:
    assert _searched("grid_reference", text, min_score=0.5) == expected


def test_grid_reference_4_figure_joined_scores_low() -> None:
    assert _searched("grid_reference", "Code TQ3080 only.") == {"TQ3080"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sort 12 34 56 please.", {"12 34 56"}),
        ("It is 12 34 56 now.", {"12 34 56"}),
        ("Code 12-34-56 now.", {"12-34-56"}),
        ("NINO AB 12 34 56 C on file.", set()),
        ("NINO AB 12 34 56 on file.", set()),
    ],
)
def test_sort_code_text_patterns(text: str, expected: set[str]) -> None:
    assert _searched("sort_code", text) == expected


def test_sort_code_context_has_single_words() -> None:
    context = get_detector("sort_code").context
    assert "sort" in context
    assert all(" " not in w for w in context if w in ("sort", "bank", "account"))


@pytest.mark.parametrize(
    ("header", "values", "found"),
    [
        # leading 0 lost in a spreadsheet, other countries' national formats: phones by header
        ("telephone", ["1617486414", "1619291783", "1619122122"], True),
        ("PHONE_NUMBER", ["799097271", "465544564", "318273645"], True),
        ("cell_number", ["7911123456", "7824556677", "7400123456"], True),
        # the same digits under other headers are ids or counts
        ("reference", ["1617486414", "1619291783", "1619122122"], False),
        ("phone_calls", ["1617486414", "1619291783", "1619122122"], False),
        # too short, too long, one digit repeated
        ("phone", ["12345678", "1234567890123", "9999999999"], False),
    ],
)
def test_bare_digit_phones_need_a_phone_header(header: str, values: list[str], found: bool) -> None:
    from triage.classifiers.columns import classify_column
    from triage.context import RunContext
    from triage.vocab import Entity

    col = classify_column(header, pd.Series(values * 4, dtype="str"), RunContext(), None)
    assert (Entity.PHONE_NUMBER in col.entities) is found, col.evidence


@pytest.mark.parametrize(
    ("header", "offence"),
    [
        ("criminal_charges", True),
        ("charge", True),
        ("charge_date", True),
        ("electric_vehicle_charge_points", False),
        ("parking_charge", False),
        ("penalty_charge", False),
        ("charge_rate", False),
    ],
)
def test_a_charge_is_an_offence_only_where_it_is_one(header: str, offence: bool) -> None:
    from triage.classifiers import vocabularies as voc

    assert voc.header_matches(voc.HEADER_SENSITIVE["offence"], header) is offence
