"""The triage questionnaire (questions as data) and answer files for one release.

Answers are facts no detector can read from the data: who receives it and why, whether the
information owner agreed, whether it concerns a sensitive asset, harm and value. They reach the
rulebooks as ``context.<question id>``; a missing required answer is a problem that forces at
least ``refer``, never a guess.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from triage.errors import ConfigError
from triage.models import Problem
from triage.vocab import Decision, Destination

Answer = str | list[str] | None


class Question(BaseModel):
    """One question: id, section, wording, answer type and where an answer is required."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    section: str
    text: str
    type: Literal["text", "choice", "list", "date", "bool"]
    choices: list[str] = Field(default_factory=list)
    required: list[Destination] = Field(default_factory=list)

    @model_validator(mode="after")
    def _choices_fit_type(self) -> Question:
        if self.type in ("choice", "list") and not self.choices:
            raise ValueError(f"question {self.id}: type {self.type} needs choices")
        return self

    def check(self, value: Any) -> Answer:
        """The answer in canonical form, or ValueError saying what is wrong."""
        if value is None or value == "" or value == []:
            return None
        if self.type == "text":
            if not isinstance(value, str | int | float):
                raise ValueError("expected text")
            return str(value).strip()
        if self.type == "bool":
            if not isinstance(value, bool):
                raise ValueError("expected true or false")
            return "yes" if value else "no"
        if self.type == "date":
            text = value.isoformat() if isinstance(value, dt.date) else str(value)
            try:
                dt.date.fromisoformat(text)
            except ValueError:
                raise ValueError("expected a date as YYYY-MM-DD") from None
            return text
        if self.type == "choice":
            if str(value) not in self.choices:
                raise ValueError(f"expected one of {', '.join(self.choices)}")
            return str(value)
        items = value if isinstance(value, list) else [value]
        bad = [str(v) for v in items if str(v) not in self.choices]
        if bad:
            raise ValueError(f"unknown {', '.join(bad)} (choices: {', '.join(self.choices)})")
        return sorted({str(v) for v in items})


class Questionnaire(BaseModel):
    """A versioned questionnaire."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    version: str
    questions: list[Question]
    sha256: str = ""

    @model_validator(mode="after")
    def _unique_ids(self) -> Questionnaire:
        ids = [q.id for q in self.questions]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate question id {dupes[0]}")
        return self

    def question(self, qid: str) -> Question:
        """The question with id ``qid`` (KeyError if unknown)."""
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)


class Answers(BaseModel):
    """Validated answers for one destination: values by question id, and what is missing."""

    model_config = ConfigDict(frozen=True)

    questionnaire: str
    questionnaire_version: str
    destination: Destination
    values: dict[str, Answer]
    missing: list[str]
    source: str | None = None

    def problems(self) -> list[Problem]:
        """One problem forcing ``refer`` when required answers are missing."""
        if not self.missing:
            return []
        where = f" in {self.source}" if self.source else " (no answers file was given)"
        return [
            Problem(
                kind="context_missing",
                message=f"required triage answers missing{where}: {', '.join(self.missing)}",
                forces=Decision.REFER,
            )
        ]


def parse_questionnaire(data: bytes, source: str) -> Questionnaire:
    """A questionnaire from YAML bytes; ConfigError naming ``source`` when invalid."""
    try:
        raw = yaml.safe_load(data)
        return Questionnaire.model_validate(
            {**(raw or {}), "sha256": hashlib.sha256(data).hexdigest()}
        )
    except (yaml.YAMLError, ValidationError, TypeError) as exc:
        first = str(exc).splitlines()
        detail = first[0] if first else type(exc).__name__
        if isinstance(exc, ValidationError) and exc.errors():
            err = exc.errors()[0]
            detail = f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
        raise ConfigError(f"{source}: invalid questionnaire: {detail}") from None


@lru_cache(maxsize=1)
def builtin_questionnaire() -> Questionnaire:
    """The shipped questionnaire (``rules/questionnaires/triage.yaml``)."""
    data = resources.files("triage.rules").joinpath("questionnaires/triage.yaml").read_bytes()
    return parse_questionnaire(data, "triage.yaml")


def load_questionnaire(path: Path) -> Questionnaire:
    """A custom questionnaire file; validated like a rulebook."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path.name}: cannot read questionnaire: {exc.strerror}") from None
    return parse_questionnaire(data, path.name)


def validate_answers(
    raw: dict[str, Any] | None,
    questionnaire: Questionnaire,
    destination: Destination,
    source: str | None = None,
) -> Answers:
    """Check answers against the questionnaire; unknown ids or bad values are ConfigErrors."""
    raw = dict(raw or {})
    answers = raw.pop("answers", raw) if "answers" in raw else raw
    if not isinstance(answers, dict):
        raise ConfigError(f"{source or 'answers'}: expected a mapping of question id to answer")
    label = source or "answers"
    values: dict[str, Answer] = {}
    for qid, value in answers.items():
        try:
            question = questionnaire.question(str(qid))
        except KeyError:
            raise ConfigError(f"{label}: unknown question {qid!r}") from None
        try:
            values[question.id] = question.check(value)
        except ValueError as exc:
            raise ConfigError(f"{label}: question {question.id}: {exc}") from None
    for q in questionnaire.questions:
        values.setdefault(q.id, None)
    missing = [
        q.id for q in questionnaire.questions if destination in q.required and values[q.id] is None
    ]
    return Answers(
        questionnaire=questionnaire.name,
        questionnaire_version=questionnaire.version,
        destination=destination,
        values=values,
        missing=missing,
        source=source,
    )


def load_answers(path: Path, questionnaire: Questionnaire, destination: Destination) -> Answers:
    """Answers from a YAML file (``answers:`` mapping or a plain mapping)."""
    try:
        raw = yaml.safe_load(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"{path.name}: cannot read answers: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{path.name}: invalid YAML{where}") from None
    if raw is not None and not isinstance(raw, dict):
        raise ConfigError(f"{path.name}: expected a mapping of question id to answer")
    declared = (raw or {}).get("destination")
    if declared is not None and declared != destination.value:
        raise ConfigError(
            f"{path.name}: answers are for destination '{declared}', not '{destination.value}'"
        )
    body = {k: v for k, v in (raw or {}).items() if k != "destination"}
    return validate_answers(body, questionnaire, destination, path.name)


def template(questionnaire: Questionnaire, destination: Destination) -> str:
    """A YAML answers file to fill in, with each question as a comment."""
    lines = [
        f"# Triage answers ({questionnaire.name} {questionnaire.version}) for {destination.value}.",
        "# Fill in every answer marked REQUIRED; missing required answers force 'refer'.",
        f"destination: {destination.value}",
        "answers:",
    ]
    section = ""
    for q in questionnaire.questions:
        if q.section != section:
            section = q.section
            lines.append(f"  # --- {section}")
        need = "REQUIRED" if destination in q.required else "optional"
        lines.append(f"  # {q.text} ({need})")
        if q.choices:
            lines.append(f"  #   choices: {', '.join(q.choices)}")
        empty = "[]" if q.type == "list" else '""' if q.type in ("text", "date") else "null"
        lines.append(f"  {q.id}: {empty}")
    return "\n".join(lines) + "\n"
