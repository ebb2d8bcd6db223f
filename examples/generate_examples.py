"""Regenerate the bundled example datasets (synthetic; Faker en_GB, fixed seed).

Run: ``.venv/bin/python examples/generate_examples.py``. The outputs are committed so the
Quickstart needs no generation step; this script documents exactly how they were made.
"""

from __future__ import annotations

import csv
import random
from datetime import date, datetime, timedelta
from pathlib import Path

from faker import Faker

HERE = Path(__file__).parent
SEED = 2024

WARDS = [
    "Headingley",
    "Hyde Park",
    "Armley",
    "Beeston",
    "Chapel Allerton",
    "Roundhay",
    "Kirkstall",
    "Harehills",
    "Horsforth",
    "Garforth",
]
NEEDS = [
    "Mobility",
    "Dementia",
    "Mental health",
    "Learning disability",
    "Carer support",
    "Frailty",
    "Sensory impairment",
]
NOTES = [
    "Visited at home; daughter present. Call back on {phone}.",
    "Referred by GP. {name} prefers email contact: {email}.",
    "Needs grab rails fitted in bathroom.",
    "Assessment booked for next week.",
    "Previous referral closed in March.",
    "Spoke to {name} about day centre options.",
]


def nhs_number(rng: random.Random) -> str:
    """A random NHS number with a valid mod-11 check digit."""
    while True:
        digits = [rng.randint(0, 9) for _ in range(9)]
        total = sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check != 10:
            s = "".join(map(str, digits)) + str(check)
            return f"{s[:3]} {s[3:6]} {s[6:]}"


def postcode(rng: random.Random) -> str:
    """A Leeds-style postcode (synthetic)."""
    district = rng.randint(1, 17)
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return f"LS{district} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"


def council_referrals(path: Path, rows: int = 400) -> None:
    """Adult social care referrals: personal, special category data."""
    rng = random.Random(SEED)
    fake = Faker("en_GB")
    fake.seed_instance(SEED)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "referral_id",
                "full_name",
                "nhs_number",
                "email",
                "phone",
                "date_of_birth",
                "age",
                "sex",
                "postcode",
                "ward",
                "referral_date",
                "primary_need",
                "case_notes",
            ]
        )
        for i in range(rows):
            born = date(1930, 1, 1) + timedelta(days=rng.randint(0, 365 * 75))
            referred = date(2024, 1, 1) + timedelta(days=rng.randint(0, 364))
            age = (referred - born).days // 365
            name = fake.name()
            phone = fake.phone_number()
            note = rng.choice(NOTES).format(
                phone=phone, name=name.split()[0], email=fake.free_email()
            )
            w.writerow(
                [
                    f"R{10000 + i}",
                    name,
                    nhs_number(rng),
                    fake.free_email(),
                    phone,
                    born.strftime("%d/%m/%Y"),
                    age,
                    rng.choice(["Female", "Male"]),
                    postcode(rng),
                    rng.choice(WARDS),
                    referred.isoformat(),
                    rng.choice(NEEDS),
                    note,
                ]
            )


CATEGORIES = [
    "Street light fault",
    "Fly-tipping",
    "Pothole",
    "Missed bin collection",
    "Graffiti",
    "Blocked drain",
    "Abandoned vehicle",
]
DESCRIPTIONS = [
    "Light outside number {n} flickering every night.",
    "Mattress and bags dumped by the recycling bank.",
    "Deep pothole near the junction, car tyre damaged.",
    "Bin not emptied again this week. Please call {name} on {phone}.",
    "Graffiti on the bus shelter.",
    "Drain blocked, water across the pavement after rain.",
    "Car parked for three weeks, contact {email} with updates.",
]


def service_requests(path: Path, rows: int = 600) -> None:
    """Street reports from residents (street lights, fly-tipping...): personal contact details."""
    rng = random.Random(SEED + 2)
    fake = Faker("en_GB")
    fake.seed_instance(SEED + 2)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "request_id",
                "resident_name",
                "email",
                "phone",
                "postcode",
                "ward",
                "reported_on",
                "category",
                "description",
                "status",
            ]
        )
        for i in range(rows):
            name = fake.name()
            phone = fake.phone_number()
            email = fake.free_email()
            reported = date(2024, 1, 1) + timedelta(days=rng.randint(0, 364))
            text = rng.choice(DESCRIPTIONS).format(
                n=rng.randint(1, 200), name=name, phone=phone, email=email
            )
            w.writerow(
                [
                    f"SR-{50000 + i}",
                    name,
                    email,
                    phone,
                    postcode(rng),
                    rng.choice(WARDS),
                    reported.isoformat(),
                    rng.choice(CATEGORIES),
                    text,
                    rng.choice(["Open", "Closed", "Closed", "In progress"]),
                ]
            )


def referrals_table(path: Path) -> None:
    """An FOI answer: referrals by ward and age band with totals (some counts are small)."""
    rng = random.Random(SEED + 3)
    bands = ["18-39", "40-64", "65-79", "80+"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["ward", *bands, "Total"])
        totals = [0] * len(bands)
        for ward in WARDS:
            counts = [rng.choice([rng.randint(1, 6), rng.randint(12, 90)]) for _ in bands]
            totals = [t + c for t, c in zip(totals, counts, strict=True)]
            w.writerow([ward, *counts, sum(counts)])
        w.writerow(["Total", *totals, sum(totals)])


def air_quality(path: Path, rows: int = 480) -> None:
    """Hourly air-quality readings from street sensors: no personal data."""
    rng = random.Random(SEED + 1)
    start = datetime(2024, 6, 1)
    sensors = [f"AQ-{n:03d}" for n in range(1, 11)]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "sensor_id",
                "timestamp",
                "no2_ugm3",
                "pm25_ugm3",
                "temperature_c",
                "humidity_pct",
                "status",
            ]
        )
        for i in range(rows):
            ts = start + timedelta(hours=i // len(sensors))
            w.writerow(
                [
                    sensors[i % len(sensors)],
                    ts.strftime("%Y-%m-%dT%H:%M:%S"),
                    round(rng.uniform(5, 60), 1),
                    round(rng.uniform(2, 35), 1),
                    round(rng.uniform(9, 24), 1),
                    rng.randint(40, 95),
                    rng.choice(["ok", "ok", "ok", "calibrating"]),
                ]
            )


if __name__ == "__main__":
    council_referrals(HERE / "council_referrals.csv")
    air_quality(HERE / "air_quality.csv")
    service_requests(HERE / "service_requests.csv")
    referrals_table(HERE / "referrals_by_ward.csv")
