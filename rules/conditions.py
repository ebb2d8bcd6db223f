"""CEL conditions: the facts schema, compilation (cached), load-time checks and evaluation.

The facts are the CEL activation for one dataset::

    destination, stage, dataset{name, rows, columns, person_related},
    columns[{name, role, entities, qi_kind, sensitive_kind}], roles{<role>: [column]},
    entities[], metrics{k_anonymity, unique_records, l_diversity, records_below_k,
    share_below_k, quasi_identifiers, sensitive_attributes}, findings[{kind, severity,
    columns, count}], problems[{kind}], mosaic[{datasets, linking_columns,
    k_anonymity_after_linkage}], params

A rule with ``subject: document`` sees the facts of one FOI document instead::

    destination, stage, document{name, format, blocks, redactions, low_confidence,
    refer_below, mostly_exempt_share, withhold_share, exemptions, entities}, params
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum
from functools import lru_cache
from typing import Any

import cel

from triage.errors import PluginExecutionError
from triage.facts import DOCUMENT_FIELDS, TABLE_METRICS
from triage.questionnaire import builtin_questionnaire
from triage.risk.measures import FLOAT_METRICS, MICRODATA_METRICS
from triage.vocab import ColumnRole

__all__ = [
    "DATASET_FIELDS",
    "DOCUMENT_FACT_NAMES",
    "FACT_NAMES",
    "METRIC_FIELDS",
    "check_condition",
    "compile_condition",
    "prepare_facts",
    "run_condition",
    "sample_document_facts",
    "sample_facts",
]

#: Top-level names of the facts.
FACT_NAMES: frozenset[str] = frozenset(
    {
        "destination",
        "stage",
        "dataset",
        "columns",
        "roles",
        "entities",
        "metrics",
        "findings",
        "problems",
        "mosaic",
        "params",
        "context",
        "geo",
        "sites",
        "weakness",
    }
)
#: Top-level names of a document rule's facts.
DOCUMENT_FACT_NAMES: frozenset[str] = frozenset({"destination", "stage", "document", "params"})
GEO_FIELDS: frozenset[str] = frozenset(
    {
        "has_points",
        "columns",
        "crs",
        "points",
        "swapped",
        "out_of_uk",
        "precision_m",
        "subject",
        "cell_m",
        "k_min",
        "share_cells_below_k",
        "density_min",
    }
)
SITES_FIELDS: frozenset[str] = frozenset({"checked", "within", "by_category", "min_distance_m"})
WEAKNESS_FIELDS: frozenset[str] = frozenset({"kinds", "columns", "rows"})
DATASET_FIELDS: frozenset[str] = frozenset(
    {"name", "rows", "columns", "person_related", "is_table", "table_kind"}
)
METRIC_FIELDS: frozenset[str] = (
    frozenset(MICRODATA_METRICS)
    | frozenset(TABLE_METRICS)
    | frozenset(
        {
            "k_anonymity",
            "unique_records",
            "l_diversity",
            "records_below_k",
            "share_below_k",
            "quasi_identifiers",
            "sensitive_attributes",
        }
    )
)
ROLE_NAMES: frozenset[str] = frozenset(role.value for role in ColumnRole)

# CEL standard functions (operators such as ``_&&_`` or ``@in`` are recognised by prefix).
_KNOWN_FUNCTIONS: frozenset[str] = frozenset(
    {
        "size",
        "contains",
        "startsWith",
        "endsWith",
        "matches",
        "int",
        "uint",
        "double",
        "string",
        "bool",
        "bytes",
        "type",
        "dyn",
        "duration",
        "timestamp",
        "has",
        "lowerAscii",
        "upperAscii",
        "trim",
        "max",
        "min",
    }
)

_STRING_LITERAL = re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'")
_COMPREHENSION_VAR = re.compile(
    r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,"
)
_FIELD_ACCESS = re.compile(
    r"(?<![\w.])(metrics|dataset|roles|params|context|geo|sites|weakness|document)"
    r"\s*\.\s*([A-Za-z_]\w*)"
)


@lru_cache(maxsize=2048)
def compile_condition(expression: str) -> Any:
    """Compile a CEL expression once (cached by its text).

    Raises
    ------
    ValueError
        On a CEL syntax error.
    """
    return cel.compile(expression)


def one_line(message: str, limit: int = 300) -> str:
    """Collapse a message to one line of at most ``limit`` characters."""
    text = " ".join(message.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def prepare_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    """Facts as plain CEL-convertible values (enums to strings, tuples and sets to lists)."""
    return {str(key): _plain(value) for key, value in facts.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(item) for item in value]
        return sorted(items) if isinstance(value, set | frozenset) else items
    if isinstance(value, bool | str | int | float) or value is None:
        return value
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return item()
    return value


def _describe_error(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"no such key: {exc.args[0]!r}" if exc.args else "no such key"
    text = one_line(str(exc))
    if isinstance(exc, TypeError) and text.startswith("No such overload"):
        return "no such overload (operand types do not fit the operator or function)"
    return text or type(exc).__name__


def run_condition(expression: str, facts: Mapping[str, Any], *, prepared: bool = False) -> bool:
    """Evaluate a condition on facts (``prepared``: already passed through `prepare_facts`).

    Raises
    ------
    PluginExecutionError
        When the condition fails to compile or evaluate, or returns a non-bool.
    """
    try:
        program = compile_condition(expression)
        result = program.execute(facts if prepared else prepare_facts(facts))
    except Exception as exc:  # cel raises ValueError, TypeError, KeyError, RuntimeError
        raise PluginExecutionError(_describe_error(exc)) from None
    if not isinstance(result, bool):
        raise PluginExecutionError(
            f"condition returned {type(result).__name__}, not bool"
        ) from None
    return result


def sample_facts(
    params: Mapping[str, Any],
    variant: str,
    *,
    stage: str = "before",
    destination: str = "open-data",
) -> dict[str, Any]:
    """Representative facts for load-time checks.

    Parameters
    ----------
    params
        The rulebook's params.
    variant
        ``"full"`` (every value present, lists of one), ``"nulls"`` (person-related, lists of
        one, nullable values null) or ``"empty"`` (not person-related, empty lists, null metrics).
    stage, destination
        Values of the ``stage`` and ``destination`` facts.
    """
    full = variant == "full"
    empty = variant == "empty"

    def maybe(value: Any) -> Any:
        return value if full else None

    def items(value: Any) -> list[Any]:
        return [] if empty else [value]

    return {
        "destination": destination,
        "stage": stage,
        "dataset": {
            "name": "sample.csv",
            "rows": 100,
            "columns": 4,
            "person_related": not empty,
            "is_table": full,
            "table_kind": maybe("count"),
        },
        "columns": items(
            {
                "name": "col",
                "role": "quasi_identifier",
                "entities": items("PERSON"),
                "qi_kind": maybe("age"),
                "sensitive_kind": maybe("health"),
                "personal_text": items("PERSON"),
            }
        ),
        "roles": {role: items("col") for role in sorted(ROLE_NAMES)},
        "entities": items("PERSON"),
        "metrics": {
            **{
                name: maybe(0.5 if name in FLOAT_METRICS else 2)
                for name in sorted(MICRODATA_METRICS)
            },
            **{
                name: maybe(0.5 if name == "table_min_protection" else 2)
                for name in sorted(TABLE_METRICS)
            },
            "k_anonymity": maybe(3),
            "unique_records": maybe(2),
            "l_diversity": maybe(1),
            "records_below_k": maybe(5),
            "share_below_k": maybe(0.05),
            "quasi_identifiers": 2 if full else 0,
            "sensitive_attributes": 1 if full else 0,
        },
        "findings": items(
            {"kind": "sample", "severity": "high", "columns": ["col"], "count": maybe(1)}
        ),
        "problems": items({"kind": "sample"}),
        "mosaic": items(
            {
                "datasets": ["a.csv", "b.csv"],
                "linking_columns": ["col"],
                "k_anonymity_after_linkage": maybe(2),
                "link_kinds": ["quasi_identifier"],
                "flagged": full,
                "registered": False,
                "risks": items("linkage_k"),
                "registered_use_case": maybe("another use"),
            }
        ),
        "params": dict(params),
        "context": _sample_context(full, empty),
        "geo": {
            "has_points": not empty,
            "columns": items("lat"),
            "crs": maybe(4326),
            "points": 0 if empty else 10,
            "swapped": 0,
            "out_of_uk": 0,
            "precision_m": maybe(10.0),
            "subject": "unknown" if empty else "people",
            "cell_m": maybe(10.0),
            "k_min": maybe(1),
            "share_cells_below_k": maybe(0.5),
            "density_min": maybe(3),
        },
        "sites": {
            "checked": full,
            "within": 2 if full else 0,
            "by_category": {"refuge": 1, "school": 1} if full else {},
            "min_distance_m": {"refuge": 50.0, "school": 80.0} if full else {},
        },
        "weakness": {
            "kinds": items("access_code"),
            "columns": items("notes"),
            "rows": {"access_code": 1} if not empty else {},
        },
    }


def sample_document_facts(
    params: Mapping[str, Any], variant: str, *, destination: str = "foi"
) -> dict[str, Any]:
    """Representative facts of one document for load-time checks (``variant`` as for
    :func:`sample_facts`: ``empty`` is a document with nothing redacted)."""
    empty = variant == "empty"
    return {
        "destination": destination,
        "stage": "before",
        "document": {
            "name": "sample.docx",
            "format": "docx",
            "blocks": 0 if empty else 10,
            "redactions": 0 if empty else 3,
            "low_confidence": 0 if empty else 1,
            "refer_below": 0.5,
            "mostly_exempt_share": 0.0 if empty else 0.5,
            "withhold_share": 0.5,
            "exemptions": [] if empty else ["s.40(2)"],
            "entities": [] if empty else ["PERSON"],
        },
        "params": dict(params),
    }


def _sample_context(full: bool, empty: bool) -> dict[str, Any]:
    """Answers for every question: typical values, or all unanswered."""
    values: dict[str, Any] = {}
    for q in builtin_questionnaire().questions:
        if not full:
            values[q.id] = [] if (empty and q.type == "list") else None
        elif q.type == "list":
            values[q.id] = q.choices[:2]
        elif q.choices:
            values[q.id] = q.choices[0]
        else:
            values[q.id] = "2025-01-01" if q.type == "date" else "sample"
    return values


def _syntax_message(message: str) -> str:
    found = re.search(r"<input>:(\d+):(\d+): (.*?)\n", message + "\n")
    if found is None:
        return one_line(message)
    line, column, problem = found.groups()
    return one_line(f"{problem} (line {line}, column {column})")


def _static_problem(
    expression: str, program: Any, params: Mapping[str, Any], subject: str = "dataset"
) -> str | None:
    stripped = _STRING_LITERAL.sub('""', expression)
    bound = set(_COMPREHENSION_VAR.findall(stripped))
    references = program.references()
    names = DOCUMENT_FACT_NAMES if subject == "document" else FACT_NAMES
    for name in sorted(set(references.get("variables", [])) - bound):
        if name not in names:
            return f"unknown variable {name!r} (facts are: {', '.join(sorted(names))})"
    for name in sorted(references.get("functions", [])):
        if name[:1].isalpha() and name not in _KNOWN_FUNCTIONS:
            return f"unknown function {name!r}"
    known = {
        "metrics": METRIC_FIELDS,
        "dataset": DATASET_FIELDS,
        "roles": ROLE_NAMES,
        "params": frozenset(params),
        "context": frozenset(q.id for q in builtin_questionnaire().questions),
        "geo": GEO_FIELDS,
        "sites": SITES_FIELDS,
        "weakness": WEAKNESS_FIELDS,
        "document": frozenset(DOCUMENT_FIELDS),
    }
    for top, field in _FIELD_ACCESS.findall(stripped):
        if top in bound or top not in names:
            continue
        if field not in known[top]:
            fields = ", ".join(sorted(known[top])) or "none"
            noun = {"roles": "role", "params": "param", "context": "question"}.get(top, "field")
            return f"unknown {noun} {top}.{field} (known: {fields})"
    return None


def check_condition(
    expression: str,
    params: Mapping[str, Any],
    destination: str = "open-data",
    subject: str = "dataset",
) -> str | None:
    """Check a condition at load time; return a one-line problem or None.

    Compiles the expression, checks variable, function and field names statically, then
    evaluates it on sample facts (both stages; with values, with nulls, with empty lists; a
    document rule on a document's sample facts, with and without redactions). Sample
    evaluation is best effort: a branch that no sample reaches is not exercised.
    """
    try:
        program = compile_condition(expression)
    except Exception as exc:
        return f"CEL syntax error: {_syntax_message(str(exc))}"
    problem = _static_problem(expression, program, params, subject)
    if problem is not None:
        return problem
    samples = (
        [(v, sample_document_facts(params, v, destination=destination)) for v in ("full", "empty")]
        if subject == "document"
        else [
            (variant, sample_facts(params, variant, stage=stage, destination=destination))
            for stage in ("before", "after")
            for variant in ("full", "nulls", "empty")
        ]
    )
    for variant, facts in samples:
        try:
            result = program.execute(facts)
        except KeyError as exc:
            return f"condition fails on sample facts: {_describe_error(exc)}"
        except Exception as exc:
            if variant == "full":
                return f"condition fails on sample facts: {_describe_error(exc)}"
            return (
                f"condition fails when a value is null or a list is empty "
                f"({_describe_error(exc)}); guard with `x != null` or `size(list) > 0`"
            )
        if not isinstance(result, bool):
            return f"condition must return a bool, not {type(result).__name__}"
    return None
