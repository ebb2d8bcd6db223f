"""Seeded generator of a labelled, column-level corpus for detection benchmarks.

Each generated dataset is a DataFrame of string columns; each column carries a label: the
set of entities a perfect classifier should report for it (possibly empty). Columns are
drawn from three families:

- entity columns (one per :class:`triage.vocab.Entity`), with a header chosen at random to
  be helpful (``nhs_number``), unhelpful (``field_7``) or misleading (``order_ref``);
- decoys that look like identifiers but are not (product codes shaped like postcodes,
  10-digit numbers failing the NHS mod-11 check, order numbers, sensor readings, ...),
  often under entity-like headers (``email`` holding integers): label is empty;
- free-text notes with planted entities: label is the set of planted entities.

Identifiers are generated here, independently of ``triage.classifiers``: NHS numbers with a
valid mod-11 check digit, NINOs with valid prefixes, current-format vehicle registrations,
16-character DVLA driving licence numbers with embedded date of birth, OS grid references,
and so on. Faker (``en_GB``) supplies names, addresses, postcodes, emails, phones, IBANs,
credit cards, URLs and IP addresses; phones are kept only when ``phonenumbers`` says they are
valid GB numbers.

Usage::

    from corpus import generate_corpus
    for ds in generate_corpus(n_datasets=40, rows=300, seed=7):
        ds.frame, ds.labels, ds.kinds
"""

from __future__ import annotations

import datetime as dt
import random
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pandas as pd
import phonenumbers
from faker import Faker

from triage.vocab import TEXT_ONLY_ENTITIES, Entity

__all__ = [
    "ENTITY_GENERATORS",
    "LabelledDataset",
    "driving_licence",
    "generate_corpus",
    "grid_reference",
    "luhn_valid",
    "nhs_check_digit",
    "nhs_number",
    "nino",
    "street_address",
    "uk_coordinates",
    "uk_phone",
    "vehicle_registration",
]

Gen = Callable[[random.Random, Faker], str]

_UPPER_NO_IQ = "".join(c for c in string.ascii_uppercase if c not in "IQ")
_DIGITS = string.digits


@dataclass(frozen=True)
class LabelledDataset:
    """One generated dataset and its column labels.

    Attributes
    ----------
    frame
        String cells (missing values as ``None``), like a freshly loaded CSV.
    labels
        Column name -> the set of entities expected for that column (empty for harmless ones).
    name
        A short dataset name (``corpus_007``).
    kinds
        Column name -> generator kind and header style, e.g. ``"UK_NHS/unhelpful"`` or
        ``"decoy:invalid_nhs/misleading"``; for debugging, never values.
    """

    frame: pd.DataFrame
    labels: dict[str, frozenset[Entity]]
    name: str = ""
    kinds: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- identifiers


def nhs_check_digit(nine: str) -> int | None:
    """Mod-11 check digit of the first nine digits; ``None`` when no valid digit exists."""
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def nhs_number(rng: random.Random, fake: Faker | None = None) -> str:
    """A valid NHS number, sometimes spaced ``943 476 5919``."""
    while True:
        nine = "".join(rng.choice(_DIGITS) for _ in range(9))
        if nine[0] == "0":
            continue
        check = nhs_check_digit(nine)
        if check is not None:
            digits = nine + str(check)
            if rng.random() < 0.5:
                return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
            return digits


def invalid_nhs_like(rng: random.Random, fake: Faker | None = None) -> str:
    """A 10-digit number whose last digit fails the NHS mod-11 check."""
    while True:
        nine = "".join(rng.choice(_DIGITS) for _ in range(9))
        if nine[0] == "0":
            continue
        check = nhs_check_digit(nine)
        last = rng.choice(_DIGITS)
        if check is None or int(last) != check:
            return nine + last


_NINO_FIRST = "".join(c for c in string.ascii_uppercase if c not in "DFIQUV")
_NINO_SECOND = "".join(c for c in string.ascii_uppercase if c not in "DFIQUVO")
_NINO_BAD_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def nino(rng: random.Random, fake: Faker | None = None) -> str:
    """A National Insurance number with a valid prefix and suffix A-D."""
    while True:
        prefix = rng.choice(_NINO_FIRST) + rng.choice(_NINO_SECOND)
        if prefix not in _NINO_BAD_PREFIXES:
            break
    digits = "".join(rng.choice(_DIGITS) for _ in range(6))
    suffix = rng.choice("ABCD")
    if rng.random() < 0.4:
        return f"{prefix} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}"
    return f"{prefix}{digits}{suffix}"


def vehicle_registration(rng: random.Random, fake: Faker | None = None) -> str:
    """A current-format (2001+) registration: area code, age identifier, three letters.

    The area code's first letter is a DVLA region letter (never I, J, Q, T, U, X or Z: those
    are not issued on the mainland, so a mark starting with one is not a UK registration)."""
    area = rng.choice("ABCDEFGHKLMNOPRSVWY") + rng.choice(_UPPER_NO_IQ.replace("Z", ""))
    year = rng.randint(2, 25)
    age = year if rng.random() < 0.5 else year + 50
    tail = "".join(rng.choice(_UPPER_NO_IQ) for _ in range(3))
    sep = " " if rng.random() < 0.7 else ""
    return f"{area}{age:02d}{sep}{tail}"


def driving_licence(rng: random.Random, fake: Faker) -> str:
    """A 16-character DVLA licence number with the holder's date of birth embedded.

    Layout: surname (5, padded with 9), decade digit, month (+50 for women), day,
    year digit, two initials (padded with 9), an arbitrary digit, two check letters.
    """
    surname = "".join(c for c in fake.last_name().upper() if c.isalpha())[:5].ljust(5, "9")
    dob = fake.date_of_birth(minimum_age=17, maximum_age=90)
    female = rng.random() < 0.5
    month = dob.month + (50 if female else 0)
    first = "".join(c for c in fake.first_name().upper() if c.isalpha())
    initials = first[:1] + (rng.choice(string.ascii_uppercase) if rng.random() < 0.6 else "9")
    check = "".join(rng.choice(string.ascii_uppercase) for _ in range(2))
    return (
        f"{surname}{str(dob.year)[2]}{month:02d}{dob.day:02d}{str(dob.year)[3]}"
        f"{initials}{rng.choice(_DIGITS)}{check}"
    )


def uk_phone(rng: random.Random, fake: Faker) -> str:
    """A Faker ``en_GB`` phone number that ``phonenumbers`` accepts as a valid GB number."""
    for _ in range(200):
        candidate = fake.phone_number()
        try:
            parsed = phonenumbers.parse(candidate, "GB")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return candidate
    raise RuntimeError("could not generate a valid GB phone number")  # pragma: no cover


def uk_coordinates(rng: random.Random, fake: Faker | None = None) -> str:
    """A WGS84 ``"lat, lon"`` pair inside Great Britain's bounding box."""
    lat = rng.uniform(50.2, 58.5)
    lon = rng.uniform(-5.5, 1.7)
    places = rng.choice((4, 5, 6))
    return f"{lat:.{places}f}, {lon:.{places}f}"


_GRID_SQUARES = [
    "SV",
    "SW",
    "SX",
    "SY",
    "SZ",
    "TV",
    "SR",
    "SS",
    "ST",
    "SU",
    "TQ",
    "TR",
    "SM",
    "SN",
    "SO",
    "SP",
    "TL",
    "TM",
    "SH",
    "SJ",
    "SK",
    "TF",
    "TG",
    "SC",
    "SD",
    "SE",
    "TA",
    "NW",
    "NX",
    "NY",
    "NZ",
    "NR",
    "NS",
    "NT",
    "NU",
    "NL",
    "NM",
    "NN",
    "NO",
    "NF",
    "NG",
    "NH",
    "NJ",
    "NK",
    "NA",
    "NB",
    "NC",
    "ND",
    "HW",
    "HX",
    "HY",
    "HZ",
    "HT",
    "HU",
    "HP",
]


def grid_reference(rng: random.Random, fake: Faker | None = None) -> str:
    """An OS grid reference: two letters then 6, 8 or 10 digits, often spaced."""
    square = rng.choice(_GRID_SQUARES)
    half = rng.choice((3, 4, 5))
    east = "".join(rng.choice(_DIGITS) for _ in range(half))
    north = "".join(rng.choice(_DIGITS) for _ in range(half))
    if rng.random() < 0.6:
        return f"{square} {east} {north}"
    return f"{square}{east}{north}"


def luhn_valid(number: str) -> bool:
    """Luhn check over the digits of ``number``."""
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return bool(digits) and total % 10 == 0


def _credit_card(rng: random.Random, fake: Faker) -> str:
    card_type = rng.choice(("visa16", "mastercard", "amex", "discover"))
    return str(fake.credit_card_number(card_type=card_type))


def _iban(rng: random.Random, fake: Faker) -> str:
    value = str(fake.iban())
    if rng.random() < 0.3:
        return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    return value


def _sort_code(rng: random.Random, fake: Faker | None = None) -> str:
    return "-".join(f"{rng.randint(0, 99):02d}" for _ in range(3))


def _uprn(rng: random.Random, fake: Faker | None = None) -> str:
    return str(rng.randint(10_000_000, 200_999_999_999))


def _passport(rng: random.Random, fake: Faker | None = None) -> str:
    return "".join(rng.choice(_DIGITS) for _ in range(9))


def _email(rng: random.Random, fake: Faker) -> str:
    return str(fake.email())


def _person(rng: random.Random, fake: Faker) -> str:
    return str(fake.name())


def _postcode(rng: random.Random, fake: Faker) -> str:
    return str(fake.postcode())


def _ip(rng: random.Random, fake: Faker) -> str:
    return str(fake.ipv4() if rng.random() < 0.8 else fake.ipv6())


def _url(rng: random.Random, fake: Faker) -> str:
    return str(fake.uri() if rng.random() < 0.5 else fake.url())


def _format_date(rng: random.Random, day: dt.date, style: int) -> str:
    if style == 0:
        return day.isoformat()
    if style == 1:
        return day.strftime("%d/%m/%Y")
    return f"{day.day} {day.strftime('%B %Y')}"


def _date_gen(style: int) -> Gen:
    def gen(rng: random.Random, fake: Faker) -> str:
        day = fake.date_between(start_date=dt.date(2018, 1, 1), end_date=dt.date(2025, 12, 31))
        return _format_date(rng, day, style)

    return gen


def _timestamp(rng: random.Random, fake: Faker) -> str:
    moment = fake.date_time_between(
        start_date=dt.datetime(2020, 1, 1), end_date=dt.datetime(2025, 12, 31)
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%S" if rng.random() < 0.5 else "%Y-%m-%d %H:%M")


def _dob_gen(style: int) -> Gen:
    def gen(rng: random.Random, fake: Faker) -> str:
        return _format_date(rng, fake.date_of_birth(minimum_age=0, maximum_age=99), style)

    return gen


_STREET_STEMS = [
    "High",
    "Church",
    "Station",
    "Victoria",
    "Park",
    "Mill",
    "School",
    "Queens",
    "Kings",
    "Manor",
    "Green",
    "North",
    "London",
    "York",
    "Albert",
    "Grange",
    "Windsor",
    "Chapel",
    "New",
    "Springfield",
    "Highfield",
    "Westfield",
    "Orchard",
    "Meadow",
    "Oak",
    "Elm",
]
_STREET_TYPES = [
    "Road",
    "Street",
    "Lane",
    "Avenue",
    "Close",
    "Drive",
    "Way",
    "Crescent",
    "Grove",
    "Gardens",
    "Terrace",
    "Place",
    "Court",
]
_TOWNS = [
    "Leeds",
    "Bristol",
    "Sheffield",
    "Manchester",
    "Norwich",
    "Derby",
    "Exeter",
    "Swindon",
    "Reading",
    "Luton",
    "Wakefield",
    "Bradford",
    "Salford",
    "Stockport",
    "Gateshead",
    "Sunderland",
    "Barnsley",
    "Rotherham",
    "Ipswich",
    "Colchester",
    "Cardiff",
    "Swansea",
    "Newport",
    "Aberdeen",
    "Dundee",
    "Inverness",
    "Carlisle",
    "Lancaster",
    "Preston",
    "Bolton",
]


def street_address(rng: random.Random, fake: Faker | None = None) -> str:
    """A plausible UK street address (LOCATION), optionally with flat and town, no postcode."""
    street = f"{rng.randint(1, 250)} {rng.choice(_STREET_STEMS)} {rng.choice(_STREET_TYPES)}"
    if rng.random() < 0.2:
        street = f"Flat {rng.randint(1, 40)}, {street}"
    return f"{street}, {rng.choice(_TOWNS)}" if rng.random() < 0.6 else street


#: Entity -> value generator (column-level). Date styles are picked per column.
ENTITY_GENERATORS: dict[Entity, Gen] = {
    Entity.PERSON: _person,
    Entity.EMAIL_ADDRESS: _email,
    Entity.PHONE_NUMBER: uk_phone,
    Entity.UK_NHS: nhs_number,
    Entity.UK_NINO: nino,
    Entity.IP_ADDRESS: _ip,
    Entity.CREDIT_CARD: _credit_card,
    Entity.IBAN_CODE: _iban,
    Entity.URL: _url,
    Entity.DATE_TIME: _timestamp,
    Entity.LOCATION: street_address,
    Entity.UK_POSTCODE: _postcode,
    Entity.UK_VEHICLE_REGISTRATION: vehicle_registration,
    Entity.UK_PASSPORT: _passport,
    Entity.UK_DRIVING_LICENCE: driving_licence,
    Entity.UK_SORT_CODE: _sort_code,
    Entity.UK_UPRN: _uprn,
    Entity.COORDINATES: uk_coordinates,
    Entity.UK_GRID_REFERENCE: grid_reference,
    Entity.DATE_OF_BIRTH: _dob_gen(0),
}

HELPFUL_HEADERS: dict[Entity, tuple[str, ...]] = {
    Entity.PERSON: ("full_name", "name", "resident_name", "contact_name", "customer_name"),
    Entity.EMAIL_ADDRESS: ("email", "email_address", "contact_email"),
    Entity.PHONE_NUMBER: ("phone", "telephone", "mobile", "contact_number"),
    Entity.UK_NHS: ("nhs_number", "nhs_no", "nhs"),
    Entity.UK_NINO: ("ni_number", "nino", "national_insurance_number"),
    Entity.IP_ADDRESS: ("ip_address", "client_ip", "ip"),
    Entity.CREDIT_CARD: ("card_number", "credit_card", "pan"),
    Entity.IBAN_CODE: ("iban", "bank_iban"),
    Entity.URL: ("url", "website", "link"),
    Entity.DATE_TIME: ("date", "created_at", "event_date", "reported_on", "timestamp"),
    Entity.LOCATION: ("address", "street_address", "home_address"),
    Entity.UK_POSTCODE: ("postcode", "post_code", "postal_code"),
    Entity.UK_VEHICLE_REGISTRATION: ("vehicle_registration", "reg_plate", "vrm"),
    Entity.UK_PASSPORT: ("passport_number", "passport_no"),
    Entity.UK_DRIVING_LICENCE: ("driving_licence_number", "driving_licence", "licence_number"),
    Entity.UK_SORT_CODE: ("sort_code", "bank_sort_code"),
    Entity.UK_UPRN: ("uprn", "property_uprn"),
    Entity.COORDINATES: ("coordinates", "lat_lon", "geo_point"),
    Entity.UK_GRID_REFERENCE: ("grid_ref", "os_grid_reference", "gridref"),
    Entity.DATE_OF_BIRTH: ("date_of_birth", "dob", "birth_date"),
}

#: Values alone cannot show these entities: their columns always get a helpful header.
HEADER_DEPENDENT = frozenset({Entity.UK_PASSPORT, Entity.UK_UPRN, Entity.DATE_OF_BIRTH})

#: Headers used to mislead (deliberately no header-dependent or date-like names).
MISLEADING_HEADERS = (
    "email",
    "phone",
    "postcode",
    "nhs_no",
    "ip_address",
    "url",
    "iban",
    "card_number",
    "product_code",
    "order_ref",
    "status",
    "reference",
    "item_id",
)

# --------------------------------------------------------------------------- decoys


def _product_code_postcodeish(rng: random.Random, fake: Faker | None = None) -> str:
    letters = string.ascii_uppercase
    return (
        f"{rng.choice(letters)}{rng.choice(letters)}{rng.randint(10, 99)} "
        f"{rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}{rng.randint(1, 9)}"
    )


def _sku(rng: random.Random, fake: Faker | None = None) -> str:
    letters = string.ascii_uppercase
    return f"SKU-{rng.choice(letters)}{rng.choice(letters)}{rng.randint(100, 999)}"


def _order_number(rng: random.Random, fake: Faker | None = None) -> str:
    if rng.random() < 0.5:
        return f"ORD-{rng.randint(0, 999_999):06d}"
    return str(rng.randint(100_000, 9_999_999))


def _sensor(rng: random.Random, fake: Faker | None = None) -> str:
    return f"{rng.gauss(18.0, 4.0):.2f}"


def _count(rng: random.Random, fake: Faker | None = None) -> str:
    return str(int(rng.expovariate(1 / 40)))


def _boolean(rng: random.Random, fake: Faker | None = None) -> str:
    return rng.choice(("true", "false"))


def _yes_no(rng: random.Random, fake: Faker | None = None) -> str:
    return rng.choice(("Y", "N"))


def _category(rng: random.Random, fake: Faker | None = None) -> str:
    return rng.choice(("A", "B", "C", "D", "CAT-1", "CAT-2"))


def _status(rng: random.Random, fake: Faker | None = None) -> str:
    return rng.choice(("OPEN", "CLOSED", "PENDING", "ESCALATED"))


def _integer_id(rng: random.Random, fake: Faker | None = None) -> str:
    return str(rng.randint(1, 99_999))


def _invalid_card(rng: random.Random, fake: Faker | None = None) -> str:
    while True:
        value = "".join(rng.choice(_DIGITS) for _ in range(16))
        if value[0] != "0" and not luhn_valid(value):
            return value


def _amount(rng: random.Random, fake: Faker | None = None) -> str:
    return f"{rng.uniform(0, 2500):.2f}"


def _version(rng: random.Random, fake: Faker | None = None) -> str:
    return f"v{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 50)}"


#: kind -> (generator, headers that fit, misleading headers).
DECOYS: dict[str, tuple[Gen, tuple[str, ...], tuple[str, ...]]] = {
    "product_code_postcodeish": (
        _product_code_postcodeish,
        ("product_code", "part_no"),
        ("postcode", "post_code"),
    ),
    "sku": (_sku, ("sku", "product_sku"), ("reference",)),
    "order_number": (_order_number, ("order_number", "order_id"), ("ref", "case_ref")),
    "invalid_nhs": (invalid_nhs_like, ("account_ref",), ("nhs_no", "nhs")),
    "sensor": (_sensor, ("temperature_c", "reading", "pm25"), ("level",)),
    "count": (_count, ("count", "visits", "footfall"), ("phone", "email")),
    "boolean": (_boolean, ("is_active", "flag"), ("verified",)),
    "yes_no": (_yes_no, ("resolved", "consent_given"), ("flag",)),
    "category": (_category, ("category", "band"), ("class",)),
    "status": (_status, ("status", "case_status"), ("state",)),
    "integer_id": (_integer_id, ("record_id", "row_id"), ("email", "customer")),
    "invalid_card": (_invalid_card, ("meter_serial",), ("card_number",)),
    "amount": (_amount, ("amount_gbp", "cost"), ("balance",)),
    "version": (_version, ("firmware", "app_version"), ("ip",)),
}

# --------------------------------------------------------------------------- free text

_FILLER = (
    "Bin not collected.",
    "Streetlight out.",
    "Resident satisfied with outcome.",
    "Case closed.",
    "Awaiting contractor.",
    "Pothole reported.",
    "No further action.",
    "Noise complaint logged.",
    "Passed to the highways team.",
    "Graffiti removal requested.",
    "Report forwarded to the enforcement officer.",
    "Missed collection logged for the round.",
    "Repair completed by the contractor.",
    "Customer asked for an update.",
    "Inspection found no defect.",
)

_TEXT_TEMPLATES: dict[Entity, str] = {
    Entity.PERSON: "Spoke to {} regarding the complaint.",
    Entity.EMAIL_ADDRESS: "Reply sent to {}.",
    Entity.PHONE_NUMBER: "Please call back on {}.",
    Entity.UK_NHS: "NHS number {} recorded on file.",
    Entity.UK_NINO: "NI number {} supplied for the claim.",
    Entity.UK_POSTCODE: "Property at {} needs inspection.",
    Entity.DATE_TIME: "Visit booked for {}.",
    Entity.URL: "Photo uploaded to {}.",
    Entity.UK_VEHICLE_REGISTRATION: "Vehicle {} parked on the verge.",
    Entity.LOCATION: "Fly-tipping reported at {}.",
    Entity.IP_ADDRESS: "Form submitted from {}.",
}

_TEXT_VALUE_GENERATORS: dict[Entity, Gen] = {
    Entity.DATE_TIME: _date_gen(2),
    Entity.LOCATION: street_address,
}


def _text_value(entity: Entity, rng: random.Random, fake: Faker) -> str:
    if entity == Entity.UK_NHS:
        digits = nhs_number(rng).replace(" ", "")
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    gen = _TEXT_VALUE_GENERATORS.get(entity, ENTITY_GENERATORS[entity])
    return gen(rng, fake)


def _free_text_column(
    rng: random.Random, fake: Faker, rows: int
) -> tuple[list[str | None], frozenset[Entity]]:
    planted = rng.sample(sorted(_TEXT_TEMPLATES), rng.randint(1, 3))
    used: set[Entity] = set()
    values: list[str | None] = []
    for i in range(rows):
        filler = rng.choice(_FILLER)
        if rng.random() < 0.6:
            # cycle through planted kinds so each appears in a steady share of rows
            entity = planted[i % len(planted)]
            sentence = _TEXT_TEMPLATES[entity].format(_text_value(entity, rng, fake))
            used.add(entity)
            values.append(f"{filler} {sentence}" if rng.random() < 0.5 else f"{sentence} {filler}")
        elif rng.random() < 0.05:
            values.append(None)
        else:
            values.append(filler)
    return values, frozenset(used)


# --------------------------------------------------------------------------- datasets


def _unhelpful_header(rng: random.Random, index: int) -> str:
    return rng.choice(("field_{}", "col{}", "var_{}", "x{}", "column_{}", "attr{}")).format(index)


def _with_missing(rng: random.Random, values: list[str], share: float) -> list[str | None]:
    return [None if rng.random() < share else v for v in values]


def _entity_column(
    rng: random.Random, fake: Faker, entity: Entity, rows: int, index: int
) -> tuple[str, list[str | None], frozenset[Entity], str]:
    gen = ENTITY_GENERATORS[entity]
    if entity == Entity.DATE_TIME:
        style = rng.randint(0, 3)
        gen = _timestamp if style == 3 else _date_gen(style)
    elif entity == Entity.DATE_OF_BIRTH:
        gen = _dob_gen(rng.randint(0, 2))
    if entity in HEADER_DEPENDENT:
        style_name = "helpful"
    else:
        style_name = rng.choices(("helpful", "unhelpful", "misleading"), (0.5, 0.35, 0.15))[0]
    own = set(HELPFUL_HEADERS[entity])
    if style_name == "helpful":
        header = rng.choice(HELPFUL_HEADERS[entity])
    elif style_name == "unhelpful":
        header = _unhelpful_header(rng, index)
    else:
        header = rng.choice([h for h in MISLEADING_HEADERS if h not in own])
    share = rng.choice((0.0, 0.0, 0.02, 0.1))
    values = _with_missing(rng, [gen(rng, fake) for _ in range(rows)], share)
    return header, values, frozenset({entity}), f"{entity.value}/{style_name}"


def _decoy_column(
    rng: random.Random, fake: Faker, kind: str, rows: int, index: int
) -> tuple[str, list[str | None], frozenset[Entity], str]:
    gen, fitting, misleading = DECOYS[kind]
    style_name = rng.choices(("helpful", "unhelpful", "misleading"), (0.4, 0.3, 0.3))[0]
    if style_name == "helpful":
        header = rng.choice(fitting)
    elif style_name == "unhelpful":
        header = _unhelpful_header(rng, index)
    else:
        header = rng.choice(misleading)
    values = _with_missing(rng, [gen(rng, fake) for _ in range(rows)], rng.choice((0.0, 0.05)))
    return header, values, frozenset(), f"decoy:{kind}/{style_name}"


def _cycle(rng: random.Random, items: list[str]) -> Iterator[str]:
    while True:
        order = list(items)
        rng.shuffle(order)
        yield from order


def generate_corpus(n_datasets: int = 40, rows: int = 300, seed: int = 7) -> list[LabelledDataset]:
    """Generate ``n_datasets`` labelled datasets of ``rows`` rows each, deterministically.

    Parameters
    ----------
    n_datasets
        Number of datasets. Entity kinds rotate, so two datasets already cover every entity.
    rows
        Rows per dataset.
    seed
        Seed for both :mod:`random` and Faker; same seed, same corpus.

    Returns
    -------
    list[LabelledDataset]
        Frames of string cells with a label (set of expected entities) per column.
    """
    rng = random.Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    entity_cycle = _cycle(rng, [e.value for e in Entity if e not in TEXT_ONLY_ENTITIES])
    decoy_cycle = _cycle(rng, sorted(DECOYS))
    corpus: list[LabelledDataset] = []
    for d in range(n_datasets):
        n_entities = rng.randint(10, 12)
        n_decoys = rng.randint(5, 7)
        n_text = rng.randint(0, 2) if d > 0 else 1
        specs: list[tuple[str, str]] = [("entity", next(entity_cycle)) for _ in range(n_entities)]
        specs += [("decoy", next(decoy_cycle)) for _ in range(n_decoys)]
        specs += [("text", "notes")] * n_text
        # one entity kind per dataset at most, so labels stay unambiguous
        seen: set[str] = set()
        unique_specs = []
        for spec in specs:
            if spec[0] == "entity" and spec[1] in seen:
                continue
            seen.add(spec[1])
            unique_specs.append(spec)
        rng.shuffle(unique_specs)

        columns: dict[str, list[str | None]] = {}
        labels: dict[str, frozenset[Entity]] = {}
        kinds: dict[str, str] = {}
        for index, (family, kind) in enumerate(unique_specs, start=1):
            if family == "entity":
                header, values, label, kind_name = _entity_column(
                    rng, fake, Entity(kind), rows, index
                )
            elif family == "decoy":
                header, values, label, kind_name = _decoy_column(rng, fake, kind, rows, index)
            else:
                values, label = _free_text_column(rng, fake, rows)
                header = rng.choice(("notes", "comments", "description", "free_text"))
                header = header if rng.random() < 0.7 else _unhelpful_header(rng, index)
                kind_name = "free_text"
            base, n = header, 2
            while header in columns:
                header = f"{base}_{n}"
                n += 1
            columns[header] = values
            labels[header] = label
            kinds[header] = kind_name
        frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in columns.items()})
        corpus.append(
            LabelledDataset(frame=frame, labels=labels, name=f"corpus_{d:03d}", kinds=kinds)
        )
    return corpus
