"""Recall recognizers of free text: addresses, phone numbers in context, names; each with
positive and negative examples (section 2: organisations, role mailboxes, street and place
names are not personal data)."""

from __future__ import annotations

import pytest

from triage.classifiers import text_names
from triage.classifiers.text import TextAnalyzer
from triage.classifiers.text_address import find_addresses
from triage.classifiers.text_phone import find_phones
from triage.documents.detect import detect_texts
from triage.vocab import Entity


def _found(spans: list[tuple[int, int]], text: str) -> list[str]:
    return [text[s:e] for s, e in spans]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mr Jones of 4 Elm Road, Leeds rang.", "4 Elm Road"),
        (
            "She lives at 185-187 OXFORD STREET, WESTMINSTER, W1D 2JU.",
            # a town between the street and its postcode is part of the address
            "185-187 OXFORD STREET, WESTMINSTER, W1D 2JU",
        ),
        ("Flat 2C, 9 Grand Avenue, Hove BN3 2LS", "Flat 2C, 9 Grand Avenue, Hove BN3 2LS"),
        ("The bus station is on Villacher Strasse 89", "Villacher Strasse 89"),
        ("Billing address: 28245 Puruntie 82 Apt. 595", "28245 Puruntie 82 Apt. 595"),
        ("Send it to 62 Rue Gafsa, please.", "62 Rue Gafsa"),
        ("Her address is ul. Słowicza 10", "ul. Słowicza 10"),
        ("PSC 0413, Box 8144\nAPO AA 42323", "PSC 0413, Box 8144\nAPO AA 42323"),
        ("12 Henry route, W2 5DQ", "12 Henry route, W2 5DQ"),
        ("I met him at 9 Shaun glen\nEast Joan\nLN4 1LE", "9 Shaun glen\nEast Joan\nLN4 1LE"),
    ],
)
def test_addresses_found(text: str, expected: str) -> None:
    assert expected in _found(find_addresses(text), text)


@pytest.mark.parametrize(
    "text",
    [
        "The works on Oxford Street start in May.",  # a street name alone
        "I ran 5 miles down the road.",
        "The meeting is on 12 March 2024, in Room 5.",
        "85 STEEL REGULAR SHAFT - NE",
        "Contact foi@trafford.gov.uk or visit Altrincham Library.",
        "Chapter 3 Section 12, page 40",
        "3131 DR. MATTHEW WI",
    ],
)
def test_addresses_not_found(text: str) -> None:
    assert find_addresses(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She can be reached on 07700 900123.", "07700 900123"),  # Ofcom drama range
        ("tel: 0161 496 0000", "0161 496 0000"),
        ("mob 07912 34567 after six", "07912 34567"),  # a missing digit
        ("Phone:\n0490 75 40 81", "0490 75 40 81"),
        ("Please call me at 0494 92 82 32 today", "0494 92 82 32"),
        ("Desk: +447700 921 916", "+447700 921 916"),
        ("+41 (0)85 806 98 67 fax", "+41 (0)85 806 98 67"),
        ("My US number is (415) 555-0132", "(415) 555-0132"),
        ("Fax: 345-899-3560x4587", "345-899-3560x4587"),
        ("416 60 039 office", "416 60 039"),
        ("I would like to stop receiving messages to 699 956 915", "699 956 915"),
    ],
)
def test_phones_found(text: str, expected: str) -> None:
    assert expected in _found(find_phones(text), text)


@pytest.mark.parametrize(
    "text",
    [
        "Registered charity 1129876.",
        "Case number 20240117 was closed.",
        "Call us between 09:00 and 17:00.",
        "The report dated 12-03-2024 is attached.",
        "Invoice 2024-03-12 for £1,250.00",
        "Phone lines open 8am to 6pm; 3 calls waiting.",
    ],
)
def test_phones_not_found(text: str) -> None:
    assert find_phones(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Name: Sieda Batukayev\nPhone: 0490 75 40 81", "Sieda Batukayev"),
        ("My name is Rubija", "Rubija"),
        ("What's your last name? Magnusson", "Magnusson"),
        ("Kind regards,\nPriya Shah", "Priya Shah"),
    ],
)
def test_labelled_names(text: str, expected: str) -> None:
    assert expected in _found(text_names.labelled_names(text), text)


@pytest.mark.parametrize(
    "text",
    ["Dear Sir,\n\nThank you.", "Dear Colleagues", "Name: Trafford Council", "Name: Sale Library"],
)
def test_labelled_names_not_found(text: str) -> None:
    assert text_names.labelled_names(text) == []


def test_echoed_names() -> None:
    text = "leone mazzi\nnurse\ne-mail: leonemazzi@rhyta.com"
    assert _found(text_names.echoed_names(text), text) == ["leone mazzi"]
    assert text_names.echoed_names("Sale Library\nsale.library@trafford.gov.uk") == []


@pytest.mark.parametrize(
    ("fragment", "shaped"),
    [
        ("Rubija Liberšar", True),
        ("Ushurma Dratchev", True),
        ("Lina Artemova", True),
        ("Smart Food", False),
        ("Hand on Heart Charity", False),
        ("Big Three", False),
        ("København V", False),
    ],
)
def test_foreign_name_shape(fragment: str, shaped: bool) -> None:
    assert text_names.foreign_name_shape(fragment) is shaped


def test_coordinated_names() -> None:
    text = "They had 4: Hannah, Anthony, Derek and Andrew."
    start = text.index("Hannah")
    found = text_names.coordinated_names(text, [(start, start + len("Hannah"))])
    assert sorted(_found(found, text)) == ["Andrew", "Anthony", "Derek"]
    text = "Hi Freddy, I'm writing"
    assert text_names.coordinated_names(text, [(3, 9)]) == []
    text = "She is from Hawkins, Richardson and Santana"  # surnames: perhaps a firm
    start = text.index("Richardson")
    assert text_names.coordinated_names(text, [(start, start + len("Richardson"))]) == []


def _redacted(analyzer: TextAnalyzer, text: str) -> list[tuple[str, str]]:
    detection = detect_texts([text], analyzer, security=False)
    return [(f.entity, text[f.start : f.end]) for f in detection.findings]


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("Mrs Okafor can be reached on 07700 900123 after 5pm.", "PHONE_NUMBER", "07700 900123"),
        ("Please ring him, tel: 0161 496 0000.", "PHONE_NUMBER", "0161 496 0000"),
        ("His mob 07912 34567 was wrong.", "PHONE_NUMBER", "07912 34567"),
        ("The resident at 14 Albert Grove, Sale complained.", "LOCATION", "14 Albert Grove"),
        ("Name: Toshimi Arata", "PERSON", "Toshimi Arata"),
    ],
)
def test_document_redaction(analyzer: TextAnalyzer, text: str, entity: str, value: str) -> None:
    assert (entity, value) in _redacted(analyzer, text)


@pytest.mark.parametrize(
    "text",
    [
        "Write to foi@trafford.gov.uk or casework@ico.org.uk for a review.",
        "TfL and Trafford Council agreed the works on Oxford Street.",
        "Garden waste and mixed recycling are collected from Longford Park.",
        "The ICO's address is Wycliffe House, Water Lane, Wilmslow.",
    ],
)
def test_document_not_redacted(analyzer: TextAnalyzer, text: str) -> None:
    personal = {e.value for e in (Entity.PERSON, Entity.PHONE_NUMBER, Entity.EMAIL_ADDRESS)}
    redacted = _redacted(analyzer, text)
    assert not [r for r in redacted if r[0] in personal or r[0] == Entity.LOCATION.value], redacted
