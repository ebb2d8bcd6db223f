"""Name classes of free text found by their surroundings: initialled names, person cues,
dialogue speakers, lists of names and further mentions; each with positive and negative rows
(organisations, places, streets and common words stay)."""

from __future__ import annotations

import pytest

from triage.classifiers import text_names
from triage.classifiers.text import TextAnalyzer, TextSpan, _mentions, clean_spans
from triage.classifiers.text_address import corners, find_addresses
from triage.vocab import Entity


def _found(spans: list[tuple[int, int]], text: str) -> list[str]:
    return [text[s:e] for s, e in spans]


def _span(text: str, value: str) -> tuple[int, int]:
    start = text.index(value)
    return start, start + len(value)


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("Tomasz K. Wierzbicki", True),
        ("Olusegun B Adeyemi", True),
        ("Oxford R. Centre", False),  # an organisation word
        ("Dear J. Customer", False),  # common English words
        ("Tomasz Wierzbicki", False),  # no initial
        ("Cass A Lergy", False),  # an article in title case (a house name)
        ("Olusegun A. Adeyemi", True),
    ],
)
def test_initialled(fragment: str, expected: bool) -> None:
    assert text_names.initialled(fragment) is expected


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("Radomir yelled at the driver.", "Radomir", True),
        ("Then Ilse whispered: go.", "Ilse", True),
        ("Thandiwe is from Northgate Housing.", "Thandiwe", True),
        ("The porter told Aurelio to wait.", "Aurelio", True),
        ("Please add Ximena as a joint account holder.", "Ximena", True),
        ("Osvaldo is punctual. Everyone trusts him.", "Osvaldo", True),
        ("Marit Solberg, the site engineer, said so.", "Marit Solberg", True),
        ("Hemsby, the village, is from another era.", "Hemsby", False),  # "the village" ends
        ("Customer asked for a refund.", "Customer", False),  # a common word
        ("Brindle is tall. It was painted in May.", "Brindle", False),  # no person's pronoun
        ("Northgate opened a depot.", "Northgate", False),
    ],
)
def test_person_cue(text: str, value: str, expected: bool) -> None:
    assert text_names.person_cue(text, *_span(text, value)) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Moments later Giulia shouted at the guard.", ["Giulia"]),
        ("I want to add Zoltán Kővári as a beneficiary.", ["Zoltán Kővári"]),
        ("The cashier smiled at Priya and left.", ["Priya"]),
        ("Harbour Trust said the pier is closed.", []),  # an organisation word
        ("Customer said it was fine.", []),  # a common word
        ("Wrexham said nothing new.", []),  # neither lexicon-known nor name-shaped
        ("Thomas said nothing new.", ["Thomas"]),  # a known given name
        ("Then Oddny yelled at us", ["Oddny"]),  # a strong cue needs no lexicon
        ("Oddny is from Fjordline AS", []),  # "is from" needs the lexicon or the NER tag
    ],
)
def test_cued_names(text: str, expected: list[str]) -> None:
    assert _found(text_names.cued_names(text), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Zarek: Open the gate.\nSophie: Not yet!\nZarek: Now.", ["Zarek", "Sophie", "Zarek"]),
        ("> Oona: hello\n> David: hi", ["Oona", "David"]),
        ("Phone: 0161 496 0000\nEmail: a@b.org", []),  # field labels
        ("Zarek: Open the gate.\nTorvin: Not yet!", []),  # no known given name
        ("Sophie: one line only", []),
    ],
)
def test_speaker_names(text: str, expected: list[str]) -> None:
    assert _found(text_names.speaker_names(text), text) == expected


@pytest.mark.parametrize(
    ("text", "person", "expected"),
    [
        ("The winners were Okoro, Daniel and Fenwick.", "Daniel", ["Fenwick", "Okoro"]),
        ("Seats for Yusra, Hannah and Idris.", "Hannah", ["Idris", "Yusra"]),
        ("Later Kowal and Brennan were both promoted.", "Brennan", ["Kowal"]),
        # surnames only and no plural verb: perhaps a firm
        ("Write to Hawkins, Richardson and Santana.", "Richardson", []),
        # an organisation word anywhere in the list
        ("Partners: Daniel, Wyatt and Crest Housing.", "Daniel", []),
        ("Kowal and Brennan Motors were fined.", "Kowal", []),
        ("Thanks again. Regards,\nDaniel Okoro\n", "Daniel Okoro", []),  # a line break ends a list
    ],
)
def test_coordinated_names(text: str, person: str, expected: list[str]) -> None:
    found = text_names.coordinated_names(text, [_span(text, person)])
    assert sorted(_found(found, text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Her three children: Ottilie, Brann and Sefa.", ["Ottilie", "Brann", "Sefa"]),
        ("The witnesses: Quayle and Dunmore.", ["Quayle", "Dunmore"]),
        ("Our sponsors: Ottilie, Brann and Sefa.", []),  # not a noun for people
        ("The tenants: Riverside Housing and Brann.", []),  # an organisation in the list
    ],
)
def test_listed_people(text: str, expected: list[str]) -> None:
    assert _found(text_names.listed_people(text), text) == expected


@pytest.mark.parametrize(
    ("text", "span", "kept"),
    [
        ("Notes from Ruta B. Kalnina's visit.", "Ruta B. Kalnina's", "Ruta B. Kalnina"),
        ("Ms Ines Sauer Apt. 4, 12 Elm Road", "Ms Ines Sauer Apt", "Ms Ines Sauer"),
        ("Sent to Ines Sauer Flat 2", "Ines Sauer Flat", "Ines Sauer"),
        ("Mention of Sauer's dog", "Sauer's", "Sauer"),
    ],
)
def test_person_span_loses_its_tail(text: str, span: str, kept: str) -> None:
    start = text.index(span)
    out = clean_spans(text, [TextSpan(Entity.PERSON, start, start + len(span), 0.85)])
    assert [text[s.start : s.end] for s in out] == [kept]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The name on my card is misspelt, please change it to Dorota Wnuk", ["Dorota Wnuk"]),
        ("Wrong name on the form: update it to Haruki Oda.", ["Haruki Oda"]),
        ("The date is wrong, please change it to Monday", []),  # no name asked for
        ("The name is fine; change it to Brook Lane Surgery", []),  # an organisation
    ],
)
def test_renamed_names(text: str, expected: list[str]) -> None:
    assert _found(text_names.labelled_names(text), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "I live on the corner of 14 Mill Lane and Byron Road.",
            ["the corner of 14 Mill Lane and Byron Road"],
        ),
        ("home: corner of Kirkegata 7 and Storveien", ["corner of Kirkegata 7 and Storveien"]),
        ("at the corner of 3 ash grove and lime walk", ["the corner of 3 ash grove and lime walk"]),
        ("The corner of 5 Elm Road and then left", ["The corner of 5 Elm Road"]),
        ("Meet on the corner of Oxford Street and Regent Street.", []),  # no house number
        ("The corner of 4 tables and chairs was wet.", []),  # no street word
    ],
)
def test_corners(text: str, expected: list[str]) -> None:
    assert _found(corners(text), text) == expected


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("Mrs Ilona Varga rang. Varga's son called later.", "Mrs Ilona Varga", ["Varga"]),
        ("Ilona: hi\nIlona again, then Ilonas", "Ilona", ["Ilona"]),
        ("Dr Ilona Varga met Dr Kis.", "Dr Ilona Varga", []),  # a title is not a name
        ("Ilona Park wrote. The Park is shut.", "Ilona Park", []),  # a street or place word
    ],
)
def test_mentions(text: str, name: str, expected: list[str]) -> None:
    assert _found(_mentions(text, [_span(text, name)]), text) == expected


def _persons(analyzer: TextAnalyzer, text: str) -> list[str]:
    return [text[s.start : s.end] for s in analyzer.analyze([text])[0] if s.entity == Entity.PERSON]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Our founders: Okonkwo, Lindqvist and Mbeki.", "Lindqvist"),
        ("Tariq: Where is it?\nSophie: Upstairs.\nTariq: Thanks.", "Tariq"),
        ("Yesterday Bronagh shouted at the bus driver.", "Bronagh"),
        ("Please add Teodora Nikolić as a beneficiary on my policy.", "Teodora Nikolić"),
        ("The guests were Hannah, Orsolya and Derek.", "Orsolya"),
    ],
)
def test_analyzer_finds_names_by_context(analyzer: TextAnalyzer, text: str, name: str) -> None:
    assert name in _persons(analyzer, text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Write to Hawkins, Richardson and Santana Solicitors.", "Hawkins"),
        ("Phone: 0161 496 0000\nEmail: help@example.org", "Phone"),
        ("The corner of Oxford Street and Regent Street is busy.", "Regent"),
        ("Customer asked for a refund.", "Customer"),
        ("Parking is from Monday; it is free.", "Parking"),
        ("Access is from Mill Lane. Ask him at the desk.", "Access"),
    ],
)
def test_analyzer_leaves_non_names(analyzer: TextAnalyzer, text: str, value: str) -> None:
    assert not [p for p in _persons(analyzer, text) if value in p]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Drop it at 41276 Kungsgatan 9 please", ["41276 Kungsgatan 9"]),  # a postcode first
        ("In 2019 Kungsgatan 9 was sold", ["Kungsgatan 9"]),  # a year is no postcode
        ("See page 3 Kungsgatan 9", ["Kungsgatan 9"]),  # nor a short number
        ("USNS Halvorsen\nFPO AE 40312\nPhone: 0161 496 0000", ["USNS Halvorsen\nFPO AE 40312"]),
        ("9 Elm Road\nLeeds\nEmail: a@b.org", ["9 Elm Road\nLeeds"]),  # a label line ends it
        (
            "address:\n7 rua das flores 12, porto, portugal.",
            ["7 rua das flores 12, porto, portugal"],
        ),
        ("Address: 4 Mill Lane, Sale\nTel: none", ["4 Mill Lane, Sale"]),
        ("He moved from 4 Mill Lane, Sale to Leeds.", ["4 Mill Lane"]),  # no label: the town stays
    ],
)
def test_address_block_edges(text: str, expected: list[str]) -> None:
    assert _found(find_addresses(text), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Oyelaran Adebisi lives in Croydon now.", ["Oyelaran Adebisi"]),  # no lexicon needed
        ("Council lives within its budget.", []),  # an organisation word
        ("I want to take my kid Tavi off the policy.", ["Tavi"]),
        ("She was the assistant to Orla Keane for a year.", ["Orla Keane"]),
        ("My daughter Primary School is shut.", []),  # organisation words
        ("Please follow up with Agnieszka next week.", ["Agnieszka"]),
        ("Please speak to Wrexham about the bins.", []),  # no lexicon: a town may be spoken to
        ("Dervla is a very kind person.", ["Dervla"]),
        ("Leeds is a very big city.", []),
    ],
)
def test_residence_kin_and_contact_cues(text: str, expected: list[str]) -> None:
    assert _found(text_names.cued_names(text), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('Elizabeth: "I am Amanda\'s daughter".', ["Amanda"]),
        ("'Too late!' said Gladys to Logan.", ["Gladys", "Logan"]),
        ("Tesco's partner was fined.", []),  # an organisation
        ("The Council said nothing to Leeds.", []),  # not an inverted speech verb
    ],
)
def test_related_names(text: str, expected: list[str]) -> None:
    assert _found(text_names.related_names(text), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A talk by Willem van Dijk today.", ["Willem van Dijk"]),  # a particle
        ("The Tour de France passes by.", []),  # no given name before the particle
        ("please ring maria lopez tomorrow", ["maria lopez"]),  # a line without capitals
        ("Please ring maria lopez tomorrow", []),  # capitals elsewhere: lower case is no name
        ("Oyvind Haugen\n14 Elm Road\nLeeds LS1 4AB", ["Oyvind Haugen"]),  # heads a contact block
        ("Parish Council\n14 Elm Road\nLeeds", []),  # an organisation heads it
        ("Oyvind Haugen\nLeeds\nEngland", []),  # no number or e-mail address below
    ],
)
def test_lexicon_names_particles_lower_case_and_blocks(text: str, expected: list[str]) -> None:
    assert _found(text_names.lexicon_names(text), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Write to 12 Henry Route, Clementsborough, W2 5DQ today",
            ["12 Henry Route, Clementsborough, W2 5DQ"],
        ),
        (
            "He moved from 4 Mill Lane, Sale to Leeds.",
            ["4 Mill Lane"],
        ),  # no postcode: the town stays
        ("Meet at 223 30th Ave. on Friday", ["223 30th Ave"]),  # an ordinal street
        ("On 3rd May 12 people came", []),  # an ordinal date
        ("From 14 Acacia Avenue, Sheffield S7 1AB today", ["14 Acacia Avenue, Sheffield S7 1AB"]),
        (
            "He is at 112 Station Road, Burnley, Lancashire, BB11 3HQ.",
            ["112 Station Road, Burnley, Lancashire, BB11 3HQ"],
        ),
        ("She lives at 5 The Crescent, Ashby.", ["5 The Crescent"]),  # "The" opens a street
        ("At 3 the road was closed", []),
        (
            "Rose Cottage, Lower Lane, Little Snoring, Norfolk NR21 0AA",
            ["Rose Cottage, Lower Lane, Little Snoring, Norfolk NR21 0AA"],
        ),
        ("Write to Parish Council, Leeds LS1 4AB", []),  # no street or house: the postcode alone
    ],
)
def test_address_town_before_postcode_and_ordinals(text: str, expected: list[str]) -> None:
    assert _found(find_addresses(text), text) == expected


@pytest.mark.parametrize(
    ("text", "value", "person"),
    [
        ("Monmouthshire, Sir Fynwy", "Sir Fynwy", False),  # Welsh for Monmouthshire
        ("Carmarthenshire,Sir Gaerfyrddin,carmarthenshire county council", "Gaerfyrddin", False),
        ("Sir Gareth Edwards opened the pavilion.", "Gareth Edwards", True),  # a knight
        ("Milton Keynes wrote to us; Milton Keynes Council replied.", "Milton Keynes", False),
        ("Milton Keynes,Milton Keynes UA,milton keynes council", "Milton Keynes UA", False),
        ("Ask Harriet Walsh; Walsh Council Services will not know.", "Harriet Walsh", True),
    ],
)
def test_places_named_as_councils_and_shires(
    analyzer: TextAnalyzer, text: str, value: str, person: bool
) -> None:
    assert any(value in p for p in _persons(analyzer, text)) is person


@pytest.mark.parametrize(
    ("text", "value", "person"),
    [
        ("Dorothy's Memory Café opens on Fridays.", "Dorothy", False),  # a café's name, accented
        ("A mural at Bean and Brush café.", "Bean", False),  # a trade's premises
        ("Dorothy Kovács rang about the café.", "Dorothy Kovács", True),
        ("Please add Zoltán Kővári as a beneficiary.", "Zoltán Kővári", True),
    ],
)
def test_premises_named_by_a_word(
    analyzer: TextAnalyzer, text: str, value: str, person: bool
) -> None:
    assert any(value in p for p in _persons(analyzer, text)) is person


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Please ask Pauline about the quotes.", ["Pauline"]),
        ("Thanks Margaret for the minutes.", ["Margaret"]),
        ("Please ask Wrexham about it.", []),  # not a known name
        ("P.S. Thomas, please send the plans.", ["Thomas"]),  # addressed
        ("Victoria, the station, is shut.", []),  # no request after the comma
        ("Margaret thinks the bins are late.", ["Margaret"]),
        ("Leeds thinks big.", []),  # a place, not a known given name
    ],
)
def test_asked_addressed_and_thinking_names(text: str, expected: list[str]) -> None:
    assert _found(text_names.cued_names(text), text) == expected
