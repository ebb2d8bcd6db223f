"""The blind text set (``bench/real/text/blind.jsonl``) is well formed and new."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

TEXT = Path(__file__).resolve().parents[1] / "bench" / "real" / "text"
ENTITIES = {
    "PERSON",
    "STREET_ADDRESS",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "OTHER_PERSONAL",
    "ORGANIZATION",
    "PLACE",
    "ROLE_MAILBOX",
}


def _rows(name: str) -> list[dict]:
    lines = (TEXT / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line]


def _norm(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.lower())


def test_blind_rows_are_well_formed() -> None:
    rows = _rows("blind.jsonl")
    assert len(rows) >= 300
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        assert r["split"] == "blind"
        assert r["id"].rsplit(":", 1)[0] == r["source"]
        text = r["text"]
        for s in r["spans"]:
            assert s["entity"] in ENTITIES, (r["id"], s)
            assert 0 <= s["start"] < s["end"] <= len(text), (r["id"], s)
            value = text[s["start"] : s["end"]]
            assert value.strip() == value and value, (r["id"], s)
            # a span starts and ends on a word boundary (offsets are not shifted)
            assert s["start"] == 0 or not text[s["start"] - 1].isalnum(), (r["id"], value)
            assert s["end"] == len(text) or not text[s["end"]].isalnum(), (r["id"], value)
            assert s["label"], (r["id"], s)


def test_blind_has_enough_targets() -> None:
    counts: dict[str, int] = {}
    for r in _rows("blind.jsonl"):
        for s in r["spans"]:
            counts[s["entity"]] = counts.get(s["entity"], 0) + 1
    assert counts["PERSON"] >= 150
    assert counts["STREET_ADDRESS"] >= 50
    assert counts["PHONE_NUMBER"] >= 40
    assert counts["EMAIL_ADDRESS"] >= 30
    assert counts["ROLE_MAILBOX"] >= 1


def test_blind_texts_are_not_in_sentences() -> None:
    seen = _rows("sentences.jsonl")
    exact = {r["text"] for r in seen}
    normalised = {_norm(r["text"]) for r in seen}
    blind = _rows("blind.jsonl")
    for r in blind:
        assert r["text"] not in exact, r["id"]
        assert _norm(r["text"]) not in normalised, r["id"]
    assert len({_norm(r["text"]) for r in blind}) == len(blind)


def _load_function():
    path = TEXT.parents[1] / "eval_text_real.py"
    spec = importlib.util.spec_from_file_location("eval_text_real", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_text_real"] = module
    spec.loader.exec_module(module)
    return module.load


def test_load_reads_the_blind_file() -> None:
    load = _load_function()
    rows = load("blind")
    assert rows and all(r["split"] == "blind" for r in rows)
    assert all(r["split"] in ("tune", "holdout") for r in load("all"))
