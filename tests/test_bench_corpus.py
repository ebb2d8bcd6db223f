"""The labelled benchmark corpus (bench/corpus.py) and the detection scorer."""

from __future__ import annotations

import importlib.util
import random
import re
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import phonenumbers
import pytest
from faker import Faker
from stdnum import iban, luhn
from stdnum.gb import nhs

from triage.vocab import TEXT_ONLY_ENTITIES, Entity

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _load(name: str, file: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH / file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


corpus = _load("bench_corpus", "corpus.py")


@pytest.fixture(scope="module")
def small_corpus() -> list:
    return corpus.generate_corpus(n_datasets=3, rows=40, seed=11)


def _columns(datasets: list, kind_prefix: str) -> list[pd.Series]:
    out = []
    for ds in datasets:
        for column, kind in ds.kinds.items():
            if kind.split("/")[0] == kind_prefix:
                out.append(ds.frame[column].dropna())
    return out


def _independent_luhn(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()][::-1]
    odd = sum(digits[0::2])
    even = sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return (odd + even) % 10 == 0


def _phone_ok(value: str) -> bool:
    return phonenumbers.is_valid_number(phonenumbers.parse(value, "GB"))


def _nino_ok(value: str) -> bool:
    compact = value.replace(" ", "")
    m = re.fullmatch(r"([A-CEGHJ-PR-TW-Z])([A-CEGHJ-NPR-TW-Z])\d{6}[A-D]", compact)
    return bool(m) and compact[:2] not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def _dvla_ok(value: str) -> bool:
    m = re.fullmatch(r"[A-Z9]{5}(\d)([0156]\d)(\d{2})(\d)[A-Z9]{2}\d[A-Z]{2}", value)
    if not m:
        return False
    month = int(m.group(2)) % 50
    return 1 <= month <= 12 and 1 <= int(m.group(3)) <= 31


def _coords_ok(value: str) -> bool:
    lat, lon = (float(x) for x in value.split(","))
    return 49.8 <= lat <= 60.9 and -8.7 <= lon <= 1.8


VALIDITY = [
    ("UK_NHS", lambda v: nhs.is_valid(v)),
    ("IBAN_CODE", lambda v: iban.is_valid(v) and v.replace(" ", "").startswith("GB")),
    ("PHONE_NUMBER", _phone_ok),
    ("CREDIT_CARD", lambda v: _independent_luhn(v) and luhn.is_valid(v) and 13 <= len(v) <= 19),
    ("UK_NINO", _nino_ok),
    ("UK_DRIVING_LICENCE", _dvla_ok),
    (
        "UK_VEHICLE_REGISTRATION",
        lambda v: (
            re.fullmatch(r"[A-HJ-PR-Y][A-HJ-PR-Y](0[2-9]|[12]\d|5[2-9]|[67]\d) ?[A-HJ-PR-Z]{3}", v)
            is not None
        ),
    ),
    ("UK_SORT_CODE", lambda v: re.fullmatch(r"\d{2}-\d{2}-\d{2}", v) is not None),
    ("UK_PASSPORT", lambda v: re.fullmatch(r"\d{9}", v) is not None),
    ("UK_UPRN", lambda v: re.fullmatch(r"[1-9]\d{7,11}", v) is not None),
    (
        "UK_GRID_REFERENCE",
        lambda v: (
            re.fullmatch(r"[HNST][A-Z] ?(\d{3} ?\d{3}|\d{4} ?\d{4}|\d{5} ?\d{5})", v) is not None
        ),
    ),
    ("COORDINATES", _coords_ok),
    ("EMAIL_ADDRESS", lambda v: re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", v) is not None),
    ("IP_ADDRESS", lambda v: re.fullmatch(r"[\d.]+|[0-9a-f:]+", v) is not None),
    ("URL", lambda v: v.startswith(("http://", "https://"))),
    ("UK_POSTCODE", lambda v: re.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}", v) is not None),
]


def test_deterministic_same_seed() -> None:
    a = corpus.generate_corpus(n_datasets=2, rows=25, seed=3)
    b = corpus.generate_corpus(n_datasets=2, rows=25, seed=3)
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x.frame, y.frame)
        assert x.labels == y.labels
        assert x.kinds == y.kinds


def test_different_seed_differs() -> None:
    a = corpus.generate_corpus(n_datasets=1, rows=25, seed=3)[0]
    b = corpus.generate_corpus(n_datasets=1, rows=25, seed=4)[0]
    assert not (list(a.frame.columns) == list(b.frame.columns) and a.frame.equals(b.frame))


@pytest.mark.parametrize(("kind", "check"), VALIDITY, ids=[k for k, _ in VALIDITY])
def test_generated_identifiers_are_valid(small_corpus: list, kind: str, check) -> None:
    columns = _columns(small_corpus, kind)
    assert columns, f"no {kind} column generated"
    for series in columns:
        bad = [v for v in series if not check(v)]
        assert not bad, f"{kind}: {len(bad)} invalid values"


@pytest.mark.parametrize(
    ("decoy", "check"),
    [
        ("decoy:invalid_nhs", lambda v: not nhs.is_valid(v) and re.fullmatch(r"\d{10}", v)),
        ("decoy:invalid_card", lambda v: not _independent_luhn(v)),
        (
            "decoy:product_code_postcodeish",
            lambda v: re.fullmatch(r"[A-Z]{2}\d{2} \d[A-Z]{2}\d", v),
        ),
    ],
)
def test_decoys_are_not_identifiers(decoy: str, check) -> None:
    datasets = corpus.generate_corpus(n_datasets=3, rows=30, seed=5)
    columns = _columns(datasets, decoy)
    assert columns
    for series in columns:
        assert all(check(v) for v in series)


@pytest.mark.parametrize("seed", range(5))
def test_helpers_valid_for_many_seeds(seed: int) -> None:
    rng = random.Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    for _ in range(50):
        assert nhs.is_valid(corpus.nhs_number(rng))
        assert not nhs.is_valid(corpus.invalid_nhs_like(rng))
        assert _nino_ok(corpus.nino(rng))
        assert _dvla_ok(corpus.driving_licence(rng, fake))
        assert _phone_ok(corpus.uk_phone(rng, fake))


def test_labels_cover_every_entity(small_corpus: list) -> None:
    labelled = {e for ds in small_corpus for label in ds.labels.values() for e in label}
    assert labelled == set(Entity) - TEXT_ONLY_ENTITIES


def test_labels_match_column_families(small_corpus: list) -> None:
    decoys = 0
    for ds in small_corpus:
        assert set(ds.labels) == set(ds.frame.columns) == set(ds.kinds)
        for column, kind in ds.kinds.items():
            label = ds.labels[column]
            if kind.startswith("decoy:"):
                decoys += 1
                assert label == frozenset(), column
            elif kind == "free_text":
                assert label and label <= set(corpus._TEXT_TEMPLATES)
            else:
                assert label == frozenset({Entity(kind.split("/")[0])})
    assert decoys >= 10


def test_frames_hold_strings_or_missing(small_corpus: list) -> None:
    for ds in small_corpus:
        assert len(ds.frame) == 40
        for column in ds.frame.columns:
            assert all(v is None or isinstance(v, str) for v in ds.frame[column])


def test_misleading_and_header_dependent_styles(small_corpus: list) -> None:
    datasets = corpus.generate_corpus(n_datasets=10, rows=5, seed=1)
    styles = {kind.rsplit("/", 1)[-1] for ds in datasets for kind in ds.kinds.values()}
    assert {"helpful", "unhelpful", "misleading"} <= styles
    for ds in datasets:
        for column, kind in ds.kinds.items():
            if kind.split("/")[0] in {"UK_PASSPORT", "UK_UPRN", "DATE_OF_BIRTH"}:
                assert kind.endswith("/helpful"), column


def test_scorer_counts_tp_fp_fn() -> None:
    ev = _load("bench_eval_detection", "eval_detection.py")
    results = [
        ev.ColumnResult(
            "d", "a", "UK_NHS/helpful", frozenset({Entity.UK_NHS}), frozenset({Entity.UK_NHS})
        ),
        ev.ColumnResult("d", "b", "decoy:count/helpful", frozenset(), frozenset({Entity.UK_NHS})),
        ev.ColumnResult("d", "c", "PERSON/unhelpful", frozenset({Entity.PERSON}), frozenset()),
        ev.ColumnResult(
            "d",
            "e",
            "DATE_OF_BIRTH/helpful",
            frozenset({Entity.DATE_OF_BIRTH}),
            frozenset({Entity.DATE_OF_BIRTH, Entity.DATE_TIME}),
        ),
    ]
    scores = ev.score(results)
    nhs_m = scores["per_entity"]["UK_NHS"]
    assert (nhs_m["tp"], nhs_m["fp"], nhs_m["fn"]) == (1, 1, 0)
    assert scores["per_entity"]["PERSON"]["fn"] == 1
    assert scores["per_entity"]["DATE_TIME"]["fp"] == 0
    micro = scores["micro"]
    assert (micro["tp"], micro["fp"], micro["fn"]) == (2, 1, 1)
    assert micro["f1"] == pytest.approx(2 / 3)
    assert scores["decoy_columns_with_prediction"] == 1
    assert "| **micro** |" in ev.markdown(scores)
    assert "| d | b |" in ev.worst(results, 10)


def test_structured_bench_data_is_valid_and_seeded() -> None:
    bs = _load("bench_structured", "bench_structured.py")
    numbers = bs.nhs_numbers(np.random.default_rng(0), 2_000)
    assert all(nhs.is_valid(str(n)) for n in numbers)
    a = bs.generate_frame(500, seed=3)
    b = bs.generate_frame(500, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert a.shape == (500, 20)
    assert all(nhs.is_valid(v) for v in a["nhs_number"])
    planted = a["notes"][a["notes"].str.contains("Call back on ")]
    assert len(planted) > 0
    assert all(_phone_ok(v.rsplit("Call back on ", 1)[1]) for v in planted)
