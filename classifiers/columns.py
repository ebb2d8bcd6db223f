"""Column classification: which columns identify people, which are quasi-identifiers, etc.

Each column is judged on a deterministic sample of its distinct non-missing values. Values
win over headers: header hints only lower the share of values that must match, and a header
alone never makes a column an identifier unless its values have the right shape. Roles are
computed in two passes: first each column on its own, then the columns whose role depends on
whether the dataset is about people (postcodes, areas, dates, IP addresses, UPRNs, addresses).

Evidence sentences carry counts and column names only, never raw values.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from triage.classifiers import names
from triage.classifiers import vocabularies as voc
from triage.context import RunContext
from triage.models import Problem
from triage.tables.model import suppression_bound
from triage.vocab import ColumnRole, Decision, Entity

if TYPE_CHECKING:
    from triage.classifiers.base import Detector
    from triage.classifiers.text import TextAnalyzer

logger = logging.getLogger(__name__)

#: quasi-identifier kinds that only describe people
PERSON_QI_KINDS = frozenset(
    {"age", "sex", "date_of_birth", "ethnicity", "marital_status", "occupation", "nationality"}
)
#: entities that identify a person directly wherever they appear
PERSON_ENTITIES = frozenset(
    {
        Entity.PERSON,
        Entity.EMAIL_ADDRESS,
        Entity.PHONE_NUMBER,
        Entity.UK_NHS,
        Entity.UK_NINO,
        Entity.CREDIT_CARD,
        Entity.IBAN_CODE,
        Entity.UK_PASSPORT,
        Entity.UK_DRIVING_LICENCE,
        Entity.UK_SORT_CODE,
        Entity.UK_VEHICLE_REGISTRATION,
        Entity.DATE_OF_BIRTH,
    }
)
LOCATION_ENTITIES = frozenset({Entity.COORDINATES, Entity.UK_GRID_REFERENCE})

#: lowered share threshold when the header agrees with the values
HINTED_MIN_SHARE = 0.3
#: share of sampled values that must fit a value vocabulary (without / with header hint)
VOCAB_MIN_SHARE = 0.6
#: share of sampled distinct values that must be health conditions, disabilities or care
#: needs (health and disability vocabularies together) without a header hint
HEALTH_MIN_SHARE = 0.3
#: fewest distinct health values for that lower share
HEALTH_MIN_COUNT = 3
#: share of name-shaped values, and of NER-confirmed names, needed for PERSON
NAME_MIN_SHARE = 0.6
#: most distinct numeric codes a coded category column may have
CODED_MAX_DISTINCT = 50
#: quasi-identifier kinds decided by values, never by a header alone
VALUE_QI_KINDS = frozenset({"event_date", "postcode", "date_of_birth", "age"})
CODED_QI_KINDS = ("sex", "ethnicity", "marital_status", "occupation", "nationality")
#: NER share that confirms names under a generic "..._name" header
GENERIC_NAME_MIN_NER = 0.5
#: share of values corroborated by the name lexicons that confirms names (with NER support)
LEXICON_MIN_SHARE = 0.5
#: lexicon share that, with a name header or strong NER agreement, confirms names
LEXICON_HINTED_SHARE = 0.3
#: NER share needed beside a lexicon-corroborated column
LEXICON_NER_SHARE = 0.3
#: share of values with organisation or place words that vetoes names
ORG_VETO_SHARE = 0.3
#: ... and under a name header ("name" of a site), when most values are organisations
ORG_NAMED_SHARE = 0.6
#: a column of at most this many distinct values, each repeated over many rows, is categories
CATEGORY_MAX_DISTINCT = 30
CATEGORY_MIN_ROWS_PER_VALUE = 10
#: labels: at most this many words, in all but this share of values, mostly capitalised
LABEL_MAX_WORDS = 10
LABEL_OUTLIER_SHARE = 0.1
LABEL_TITLE_SHARE = 0.75
#: share of sampled rows of a free-text column naming people that makes the records personal
TEXT_PERSON_MIN_SHARE = 0.1
#: share of shared mailboxes that makes an e-mail column an organisation's contact
CONTACT_ROLE_SHARE = 0.6
#: most share of persons' e-mails or mobile numbers in an organisation's contact column
CONTACT_PERSON_SHARE = 0.2
#: fewest distinct name-shaped values for PERSON without a name header ("Y"/"N" are not names)
NAME_MIN_DISTINCT = 3
#: rows drawn before taking distinct values, as a multiple of the sample size
_ROW_PRESAMPLE_FACTOR = 50
#: max entities listed per structured column besides the best (share within this factor)
_SECONDARY_SHARE = 0.9


@dataclass(frozen=True)
class ColumnClassification:
    """The disclosure role of one column and the evidence for it (no raw values)."""

    name: str
    role: ColumnRole
    entities: tuple[Entity, ...]
    evidence: tuple[str, ...]
    entity_counts: dict[Entity, int]
    sampled: int
    qi_kind: str | None
    sensitive_kind: str | None


@dataclass(frozen=True)
class DatasetClassification:
    """Per-column classifications (frame order), the person-related flag and any problems."""

    columns: dict[str, ColumnClassification]
    person_related: bool
    problems: tuple[Problem, ...]


@dataclass
class _Draft:
    """Pass-1 result of one column; ``basis`` names a role that depends on person_related."""

    name: str
    role: ColumnRole = ColumnRole.NONE
    entities: list[Entity] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    counts: dict[Entity, int] = field(default_factory=dict)
    sampled: int = 0
    qi_kind: str | None = None
    sensitive_kind: str | None = None
    #: "ip" | "uprn" | "address" | "postcode" | "postal_code" | "area" | "date" | "contact"
    #: | "attribute" (a contextual quasi-identifier of kind ``qi_kind``) | "amount" | None
    basis: str | None = None
    #: this column alone shows the dataset is about people
    person: bool = False
    #: this column shows each row is one person or household (an age, a sex, a survey weight)
    rows_of_people: bool = False

    def finish(self, person_related: bool, rows_of_people: bool = False) -> ColumnClassification:
        """The column's classification once the dataset is known to be about people (or not),
        and whether its rows are people (money amounts are quasi-identifiers only then)."""
        role, qi_kind = self.role, self.qi_kind
        if self.basis is not None:
            about = rows_of_people if self.basis == "amount" else person_related
            role, qi_kind, note = _contextual_role(self.basis, about, self.qi_kind)
            self.evidence.append(note)
        entities = tuple(sorted(set(self.entities), key=lambda e: e.value))
        return ColumnClassification(
            name=self.name,
            role=role,
            entities=entities,
            evidence=tuple(self.evidence),
            entity_counts={e: int(self.counts.get(e, 0)) for e in entities if e in self.counts},
            sampled=self.sampled,
            qi_kind=qi_kind if role == ColumnRole.QUASI_IDENTIFIER else None,
            sensitive_kind=self.sensitive_kind
            if role in (ColumnRole.SENSITIVE_ATTRIBUTE, ColumnRole.QUASI_IDENTIFIER)
            else None,
        )


def _contextual_role(
    basis: str, person_related: bool, kind: str | None = None
) -> tuple[ColumnRole, str | None, str]:
    about = "the dataset is about people" if person_related else "no person data in the dataset"
    if basis == "attribute":
        what = (kind or "attribute").replace("_", " ")
        if person_related:
            return ColumnRole.QUASI_IDENTIFIER, kind, f"{what}: quasi-identifier because {about}"
        return ColumnRole.NONE, None, f"{what}: no role because {about}"
    if basis == "ip":
        role = ColumnRole.DIRECT_IDENTIFIER if person_related else ColumnRole.NONE
        return role, None, f"IP addresses: {role.value} because {about}"
    if basis == "contact":
        role = ColumnRole.DIRECT_IDENTIFIER if person_related else ColumnRole.NONE
        what = "a person's contact details" if person_related else "an organisation's contact"
        return role, None, f"contact details: {what} because {about}"
    if basis in ("uprn", "address"):
        role = ColumnRole.DIRECT_IDENTIFIER if person_related else ColumnRole.LOCATION
        return role, None, f"{basis}: {role.value} because {about}"
    if basis in ("postcode", "postal_code", "area"):
        if person_related:
            return ColumnRole.QUASI_IDENTIFIER, basis, f"{basis}: quasi-identifier because {about}"
        return ColumnRole.LOCATION, None, f"{basis}: location because {about}"
    if basis == "amount":
        if person_related:
            return (
                ColumnRole.QUASI_IDENTIFIER,
                "amount",
                "exact amounts: quasi-identifier because each row is a person or household "
                "(a continuous key an intruder holding the same records can match)",
            )
        return ColumnRole.NONE, None, "amounts: no role because the rows are not people"
    if basis == "date":
        if person_related:
            return ColumnRole.QUASI_IDENTIFIER, "event_date", f"dates: event date because {about}"
        return ColumnRole.NONE, None, f"dates: no role because {about}"
    raise ValueError(f"unknown basis {basis!r}")


# --------------------------------------------------------------------------------------------
# sampling


def _sample_distinct(series: pd.Series, ctx: RunContext, rng: np.random.Generator) -> pd.Series:
    """Up to ``ctx.sample_size`` distinct, non-missing, stripped, non-empty values (sorted).

    Long columns are first thinned to a random row sample (``_ROW_PRESAMPLE_FACTOR`` times the
    sample size) so that the cost does not grow with the number of rows.
    """
    n = len(series)
    limit = _ROW_PRESAMPLE_FACTOR * max(ctx.sample_size, 1)
    if n > limit:
        idx = np.sort(rng.choice(n, size=limit, replace=False))
        series = series.iloc[idx]
    uniques = pd.Series(pd.unique(series), dtype=object).dropna()
    strings = pd.Series(uniques.astype(str).str.strip().unique(), dtype=object)
    strings = strings[strings != ""]
    values = np.sort(strings.to_numpy(dtype=object))
    if len(values) > ctx.sample_size:
        pick = np.sort(rng.choice(len(values), size=ctx.sample_size, replace=False))
        values = values[pick]
    return pd.Series(values, dtype=object)


def _sample_rows(series: pd.Series, size: int, rng: np.random.Generator) -> list[str]:
    """Up to ``size`` non-missing, non-empty row values (in row order)."""
    present = np.flatnonzero(series.notna().to_numpy())
    if len(present) > size:
        present = np.sort(rng.choice(present, size=size, replace=False))
    values = [str(v) for v in series.iloc[present].tolist()]
    return [v for v in values if v.strip()]


def _rng(ctx: RunContext, name: str) -> np.random.Generator:
    import zlib

    return np.random.default_rng([ctx.seed, zlib.crc32(name.encode("utf-8"))])


# --------------------------------------------------------------------------------------------
# single-column judgement


#: a WKT or EWKT geometry, whole
_GEOMETRY_TEXT = (
    r"(?is)\s*(?:SRID=\d+;\s*)?(?:MULTI)?(?:POINT|LINESTRING|POLYGON|GEOMETRYCOLLECTION)"
    r"(?:\s+(?:Z|M|ZM))?\s*(?:\(.*\)|EMPTY)\s*"
)


def _share(mask: np.ndarray) -> float:
    return float(mask.mean()) if len(mask) else 0.0


def _fullmatch(values: pd.Series, pattern: str) -> np.ndarray:
    if values.empty:
        return np.zeros(0, dtype=bool)
    return values.astype(str).str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)


def _hint_text(name: str, hinted: bool, what: str) -> str:
    return f"header {name!r} {'matches the ' + what + ' hint' if hinted else 'gave no hint'}"


def _detector_hint(det: Detector, header: str) -> tuple[bool, bool]:
    """(hint matches, negative matches) for ``det`` on a normalised header."""
    hint = any(re.search(h, header) for h in det.header_hints)
    negative = any(re.search(h, header) for h in det.header_negatives)
    return hint, negative


def _run_detectors(
    draft: _Draft,
    header: str,
    values: pd.Series,
    detectors: Sequence[Detector],
    problems: list[Problem],
) -> tuple[Entity, float, str] | None:
    """Run structured detectors; return (best entity, share, evidence) or None."""
    passed: list[tuple[float, Entity, str]] = []
    n = len(values)
    for det in detectors:
        det_id = getattr(det, "id", type(det).__name__)
        hint, negative = _detector_hint(det, header)
        if negative:
            continue
        if getattr(det, "requires_header", False) and not hint:
            continue
        try:
            hits = np.asarray(det.match(values), dtype=bool)
            if hits.shape != (n,):
                raise ValueError("match returned an array of the wrong shape")
        except Exception as exc:
            logger.warning("detector %s failed on column %r: %s", det_id, draft.name, type(exc))
            problems.append(
                Problem(
                    kind="detector_failed",
                    message=f"detector {det_id!r} failed on column {draft.name!r} "
                    f"({type(exc).__name__}); the column was judged without it",
                    forces=Decision.REFER,
                )
            )
            continue
        count = int(hits.sum())
        share = count / n if n else 0.0
        threshold = min(det.min_share, HINTED_MIN_SHARE) if hint else det.min_share
        if count and share >= threshold:
            sentence = (
                f"{count} of {n} sampled distinct values validate as {det.entity.value} "
                f"(detector {det_id}); {_hint_text(draft.name, hint, det.entity.value)}"
            )
            passed.append((share, det.entity, sentence))
            draft.counts[det.entity] = max(draft.counts.get(det.entity, 0), count)
    if not passed:
        return None
    passed.sort(key=lambda p: (-p[0], p[1].value))
    best_share, best_entity, best_sentence = passed[0]
    for share, entity, sentence in passed:
        keep = entity == best_entity or share >= _SECONDARY_SHARE * best_share
        if keep and entity not in draft.entities:
            draft.entities.append(entity)
            draft.evidence.append(sentence)
    return best_entity, best_share, best_sentence


def _assign_entity(draft: _Draft, entity: Entity, header: str) -> None:
    """Role for a column whose values are ``entity`` (structured detectors)."""
    if entity == Entity.IP_ADDRESS:
        draft.basis = "ip"
    elif entity == Entity.UK_UPRN:
        draft.basis = "uprn"
    elif entity == Entity.LOCATION:
        draft.basis = "address"
    elif entity == Entity.UK_POSTCODE:
        draft.basis = "postcode"
    elif entity in LOCATION_ENTITIES:
        draft.role = ColumnRole.LOCATION
    elif entity in (Entity.DATE_TIME, Entity.DATE_OF_BIRTH):
        _assign_date(draft, header)
    elif entity == Entity.URL:
        draft.role = ColumnRole.NONE
    else:
        draft.role = ColumnRole.DIRECT_IDENTIFIER
        draft.person = entity in PERSON_ENTITIES


def _suppression_marks(strings: pd.Series, numeric: np.ndarray) -> int:
    """How many of the non-numeric values are a publisher's suppression marks ("< 10", "*",
    "[c]": ``triage.vocab.SUPPRESSION_MARKS``), 0 unless numbers are among the values."""
    if not bool(numeric.any()):
        return 0
    return sum(suppression_bound(v) is not None for v in strings[~np.asarray(numeric, bool)])


def _judge_contact(draft: _Draft, entity: Entity, header: str, values: list[str]) -> None:
    """Shared mailboxes and landline numbers are contact details of organisations: their role
    depends on whether the records are people (a person's e-mail or mobile always identifies)."""
    n = len(values)
    if voc.header_matches(voc.PERSONAL_CONTACT_HEADER, header):
        draft.evidence.append(f"header {draft.name!r} names a person's contact details")
        return
    if entity == Entity.EMAIL_ADDRESS:
        kinds = names.email_kinds(values)
        if kinds["role"] < CONTACT_ROLE_SHARE * n or kinds["person"] > CONTACT_PERSON_SHARE * n:
            draft.evidence.append(
                f"{kinds['person']} of {n} sampled addresses are persons' and {kinds['role']} "
                "shared mailboxes: persons' e-mail addresses"
            )
            return
        note = f"{kinds['role']} of {n} sampled addresses are shared mailboxes (info@, foi@ ...)"
    else:
        digits = [re.sub(r"\D", "", v) for v in values]
        # UK mobiles: 07..., +44 7..., or 7... with the leading 0 lost in a spreadsheet
        mobiles = sum(
            1 for d in digits if d.startswith(("07", "447")) or (len(d) == 10 and d[0] == "7")
        )
        if mobiles > CONTACT_PERSON_SHARE * n:
            draft.evidence.append(f"{mobiles} of {n} sampled numbers are mobile numbers")
            return
        note = f"{n - mobiles} of {n} sampled numbers are landlines or switchboards"
    draft.evidence.append(note)
    draft.person = False
    draft.basis = "contact"


def _assign_date(draft: _Draft, header: str) -> None:
    if voc.header_matches(voc.BIRTH_HEADER, header):
        draft.entities = [e for e in draft.entities if e != Entity.DATE_TIME]
        draft.entities.append(Entity.DATE_OF_BIRTH)
        if Entity.DATE_TIME in draft.counts:
            draft.counts[Entity.DATE_OF_BIRTH] = draft.counts.pop(Entity.DATE_TIME)
        draft.role = ColumnRole.QUASI_IDENTIFIER
        draft.qi_kind = "date_of_birth"
        draft.person = True
        draft.evidence.append(f"header {draft.name!r} marks the dates as dates of birth")
    else:
        draft.basis = "date"


def _vocab_match(
    draft: _Draft, header: str, lowered: pd.Series
) -> tuple[str, str, str | None] | None:
    """Value-vocabulary evidence: (group "qi"|"sensitive", kind, sensitive kind) or None."""
    n = len(lowered)
    clinical = int(lowered.str.contains(voc.CLINICAL_TAG_VALUE, regex=True).sum())
    # a semantic tag is specific evidence: the health vocabulary's bar, not the general one
    if clinical >= HEALTH_MIN_COUNT and clinical / n >= HEALTH_MIN_SHARE:
        draft.evidence.append(
            f"{clinical} of {n} sampled distinct values are clinical terms (a SNOMED CT "
            "semantic tag such as '(disorder)'): health data"
        )
        return "sensitive", "health", "health"
    best: tuple[float, str, str, str] | None = None
    health_words = voc.VALUE_SENSITIVE["health"] | voc.VALUE_SENSITIVE["disability"]
    health_count = int(lowered.isin(health_words).to_numpy(dtype=bool).sum())
    for group, table, hints in (
        ("qi", voc.VALUE_QI, voc.HEADER_QI),
        ("sensitive", voc.VALUE_SENSITIVE, voc.HEADER_SENSITIVE),
    ):
        for kind, words in table.items():
            hits = lowered.isin(words).to_numpy(dtype=bool)
            count = int(hits.sum())
            hinted = voc.header_matches(hints.get(kind, r"(?!)"), header)
            threshold = HINTED_MIN_SHARE if hinted else VOCAB_MIN_SHARE
            if (
                group == "sensitive"
                and kind in ("health", "disability")
                and not hinted
                and count
                and health_count >= HEALTH_MIN_COUNT
                and health_count / n >= HEALTH_MIN_SHARE
            ):
                # conditions, disabilities and care needs together: health data even under
                # an unhelpful header ("primary_need")
                threshold = HEALTH_MIN_SHARE
                count = max(count, health_count) if kind == "health" else count
            if not count or count / n < threshold or (not hinted and count < 2):
                continue
            share = count / n + (1.0 if hinted else 0.0)
            if best is None or share > best[0]:
                sentence = (
                    f"{count} of {n} sampled distinct values are {kind.replace('_', ' ')} "
                    f"categories; {_hint_text(draft.name, hinted, kind)}"
                )
                best = (share, group, kind, sentence)
    if best is None:
        return None
    _, group, kind, sentence = best
    draft.evidence.append(sentence)
    if group == "qi":
        return group, kind, "ethnicity" if kind == "ethnicity" else None
    return group, kind, kind


def _header_kind(header: str, table: dict[str, str]) -> str | None:
    for kind, pattern in table.items():
        if voc.header_matches(pattern, header):
            return kind
    return None


def _judge_column(
    name: str,
    series: pd.Series,
    ctx: RunContext,
    text: TextAnalyzer | None,
    detectors: Sequence[Detector],
    problems: list[Problem],
) -> _Draft:
    draft = _Draft(name=str(name))
    header = voc.normalise_header(name)
    rng = _rng(ctx, draft.name)
    values = _sample_distinct(series, ctx, rng)
    n = len(values)
    draft.sampled = n
    if n == 0:
        draft.evidence.append("no non-missing values")
        return draft

    # 1. structured identifiers (values decide; header only lowers the bar)
    best = _run_detectors(draft, header, values, detectors, problems)
    if best is not None:
        _assign_entity(draft, best[0], header)
        if best[0] in (Entity.EMAIL_ADDRESS, Entity.PHONE_NUMBER):
            _judge_contact(draft, best[0], header, values.astype(str).tolist())
        return draft

    strings = values.astype(str)
    lowered = strings.str.lower()
    numeric = _fullmatch(strings, voc.NUMERIC_VALUE)
    numeric_share = _share(numeric)
    aggregate_header = voc.header_matches(voc.AGGREGATE_HEADER, header)

    # 2. value vocabularies (sex, ethnicity, religion, health, offences ...)
    vocab = None if numeric_share >= 0.5 else _vocab_match(draft, header, lowered)
    if vocab is not None:
        group, kind, sensitive = vocab
        draft.person = True
        if group == "qi":
            draft.role = ColumnRole.QUASI_IDENTIFIER
            draft.qi_kind = kind
            draft.sensitive_kind = sensitive
        else:
            draft.role = ColumnRole.SENSITIVE_ATTRIBUTE
            draft.sensitive_kind = kind
        return draft

    # 3. dates (compact "19990219" ones only under a date header)
    dates = _fullmatch(strings, voc.DATE_VALUE)
    date_hint = voc.header_matches(voc.DATE_HEADER, header) or voc.header_matches(
        voc.BIRTH_HEADER, header
    )
    if date_hint:
        dates = dates | _compact_dates(strings)
    date_count = int(dates.sum())
    if date_count and date_count / n >= (HINTED_MIN_SHARE if date_hint else 0.6):
        draft.entities.append(Entity.DATE_TIME)
        draft.counts[Entity.DATE_TIME] = date_count
        draft.evidence.append(
            f"{date_count} of {n} sampled distinct values are dates; "
            f"{_hint_text(draft.name, date_hint, 'date')}"
        )
        _assign_date(draft, header)
        return draft

    # 4. statistical area codes (LSOA/MSOA/ward) or an area header
    area_codes = int(_fullmatch(strings, voc.AREA_CODE_VALUE).sum())
    area_hint = voc.header_matches(voc.HEADER_QI["area"], header)
    if (area_codes and area_codes / n >= 0.6) or (area_hint and numeric_share < 0.5):
        if area_codes:
            draft.evidence.append(
                f"{area_codes} of {n} sampled distinct values are statistical area codes; "
                f"{_hint_text(draft.name, area_hint, 'area')}"
            )
        else:
            draft.evidence.append(f"header {draft.name!r} names an area; {n} values sampled")
        draft.basis = "area"
        return draft

    # 5. ages (numbers or bands) under an age header; years of birth; coded categories
    if not aggregate_header:
        coded = _judge_coded(draft, header, strings, numeric_share)
        if coded:
            return draft

    # 6. a person's official number under its header; other numeric columns are measurements
    # (a published count's suppression marks included)
    if _judge_personal_id(draft, header, series):
        return draft
    if _judge_person_key(draft, header, strings):
        return draft
    if voc.header_matches(voc.HOUSE_NUMBER_HEADER, header):
        draft.basis = "address"
        draft.evidence.append(f"header {draft.name!r} names house numbers: part of an address")
        return draft
    if not aggregate_header and _judge_money(draft, header, numeric_share, n):
        return draft
    marks = _suppression_marks(strings, numeric)
    if numeric_share >= 0.9 or aggregate_header or (marks and numeric.sum() + marks == n):
        draft.evidence.append(
            f"{int(numeric.sum())} of {n} sampled distinct values are numbers: "
            "treated as a measurement"
            + (f"; the other {marks}: the publisher's suppression marks" if marks else "")
        )
        return draft

    # 7. street addresses
    address_hint = voc.header_matches(voc.ADDRESS_HEADER, header)
    addresses = int(
        _fullmatch(strings, voc.ADDRESS_SHAPE if address_hint else voc.ADDRESS_VALUE).sum()
    )
    if addresses and addresses / n >= (HINTED_MIN_SHARE if address_hint else 0.6):
        draft.entities.append(Entity.LOCATION)
        draft.counts[Entity.LOCATION] = addresses
        draft.evidence.append(
            f"{addresses} of {n} sampled distinct values are street addresses; "
            f"{_hint_text(draft.name, address_hint, 'address')}"
        )
        draft.basis = "address"
        return draft

    # 8. geometry text (WKT polygons, lines): a location, never free text for NER
    geometries = int(_fullmatch(strings, _GEOMETRY_TEXT).sum())
    if geometries and geometries / n >= 0.9:
        draft.entities.append(Entity.COORDINATES)
        draft.counts[Entity.COORDINATES] = geometries
        draft.evidence.append(
            f"{geometries} of {n} sampled distinct values are geometries (WKT): a location, "
            "not analysed as text"
        )
        draft.role = ColumnRole.LOCATION
        return draft

    # 9. free text
    lengths = strings.str.len().to_numpy(dtype=float)
    multiword = _share(strings.str.contains(r"\s\S", regex=True).to_numpy(dtype=bool))
    if voc.is_free_text(float(lengths.mean()), multiword):
        label_note = _categories(series, n) or _labels(strings)
        if label_note is None:
            _judge_free_text(draft, series, ctx, text, rng, problems)
            return draft
        draft.evidence.append(label_note)

    # 10. header-only QI / sensitive kinds (values are categories, not measurements)
    sensitive = _header_kind(header, voc.HEADER_SENSITIVE)
    states = int(lowered.isin(voc.GENERIC_STATE_VALUES).to_numpy(dtype=bool).sum())
    if sensitive is not None and voc.header_matches(voc.ORGANISATION_HEADER, header):
        draft.evidence.append(
            f"header {draft.name!r} suggests {sensitive} but names an organisation or service"
        )
        sensitive = None
    if sensitive is not None and states / n >= VOCAB_MIN_SHARE:
        # "condition": good / poor rates a thing, not a person's health
        draft.evidence.append(
            f"header {draft.name!r} suggests {sensitive} but {states} of {n} sampled distinct "
            "values are ratings or states of things"
        )
        sensitive = None
    if sensitive is not None:
        draft.role = ColumnRole.SENSITIVE_ATTRIBUTE
        draft.sensitive_kind = sensitive
        draft.person = True
        draft.evidence.append(
            f"header {draft.name!r} names a special-category attribute ({sensitive}); "
            f"{n} distinct values sampled"
        )
        return draft
    # kinds that values decide (postcodes, dates, ages) are not taken from a header alone;
    # "place_of_birth_country" is a nationality, not a date of birth
    by_header = {k: v for k, v in voc.HEADER_QI.items() if k not in VALUE_QI_KINDS}
    qi = _header_kind(header, by_header)
    if qi is not None:
        draft.role = ColumnRole.QUASI_IDENTIFIER
        draft.qi_kind = qi
        draft.sensitive_kind = "ethnicity" if qi == "ethnicity" else None
        draft.person = qi in PERSON_QI_KINDS
        draft.evidence.append(f"header {draft.name!r} names a quasi-identifier ({qi})")
        return draft
    if _judge_context(draft, header, f"{n} distinct values sampled"):
        return draft

    # 11. person names, and individuals among the organisations paid or funded
    _judge_names(draft, header, strings, len(series), ctx, text, problems)
    _judge_individuals(draft, header, strings)
    return draft


#: a recipient header that says its values are organisations (360Giving "Recipient Org:Name")
_ORGANISATION_RECIPIENTS = r"(?:^|_)(org|orgs|organisation|organization|company|charity)(?:$|_)"


def _judge_individuals(draft: _Draft, header: str, strings: pd.Series) -> None:
    """A recipient or supplier column of organisations that names some individuals ("Judith
    Rodrigues" among arts charities, a sole trader among firms): PERSON on those values only,
    for a treatment of those cells (``names.is_individual``); the column stays a column of
    organisations and the dataset is not made about people."""
    if draft.role is not ColumnRole.NONE or draft.entities:
        return
    if not voc.header_matches(voc.RECIPIENT_HEADER, header) or re.search(
        _ORGANISATION_RECIPIENTS, header
    ):
        return
    individuals = int(sum(names.is_individual(str(v)) for v in strings))
    if individuals:
        draft.entities.append(Entity.PERSON)
        draft.counts[Entity.PERSON] = individuals
        draft.evidence.append(
            f"header {draft.name!r} names those paid or funded and {individuals} of "
            f"{len(strings)} sampled distinct values name individuals among organisations"
        )


def _categories(series: pd.Series, sampled: int) -> str | None:
    """Evidence that multi-word values are a short list of categories ("Provides 9 hours or
    less unpaid care a week"), each repeated across many rows, or None."""
    if sampled > CATEGORY_MAX_DISTINCT:
        return None
    counts = series.dropna().astype(str).value_counts()
    if len(counts) > CATEGORY_MAX_DISTINCT or int(counts.min()) < CATEGORY_MIN_ROWS_PER_VALUE:
        return None
    return (
        f"{len(counts)} distinct values, each repeated in at least {int(counts.min())} rows: "
        "category labels, not free text"
    )


def _labels(strings: pd.Series) -> str | None:
    """Evidence that long multi-word values are labels (names of places, organisations,
    services: short title-case phrases, no sentences, few person names), or None for text."""
    n = len(strings)
    words = [str(v).split() for v in strings]
    if sum(len(ws) > LABEL_MAX_WORDS for ws in words) > LABEL_OUTLIER_SHARE * n:
        return None
    sentences = strings.str.contains(r"[.!?]\s+\S+\s+[a-z]", regex=True).to_numpy(dtype=bool)
    if _share(sentences) > LABEL_OUTLIER_SHARE:
        return None
    alpha = [w for ws in words for w in ws if w[:1].isalpha() and w.lower() not in voc.SMALL_WORDS]
    capitalised = sum(1 for w in alpha if w[0].isupper())
    if not alpha or capitalised < LABEL_TITLE_SHARE * len(alpha):
        return None
    heads = [re.split(r"\s[-\u2013(/&]|[,(]", str(v))[0].strip() for v in strings]
    people = names.name_evidence(heads)
    if people.person_share >= LEXICON_HINTED_SHARE:
        return None
    return (
        f"{n} sampled distinct values are short title-case labels ({capitalised} of "
        f"{len(alpha)} words capitalised, no sentences; {people.sentence()}): names of "
        "places, organisations or services, not free text"
    )


def _judge_coded(draft: _Draft, header: str, strings: pd.Series, numeric_share: float) -> bool:
    """Ages, years of birth and numerically coded person attributes (judged by header)."""
    n = len(strings)
    if voc.header_matches(voc.HEADER_QI["age"], header):
        ages = int(_fullmatch(strings, voc.AGE_VALUE).sum())
        if ages / n >= NAME_MIN_SHARE:
            draft.role = ColumnRole.QUASI_IDENTIFIER
            draft.qi_kind = "age"
            draft.person = True
            draft.evidence.append(
                f"header {draft.name!r} names ages and {ages} of {n} sampled distinct values "
                "are ages or age bands"
            )
            return True
    if voc.header_matches(voc.BIRTH_HEADER, header):
        years = int(_fullmatch(strings, r"(?:19|20)\d{2}").sum())
        if years / n >= NAME_MIN_SHARE:
            draft.entities.append(Entity.DATE_OF_BIRTH)
            draft.counts[Entity.DATE_OF_BIRTH] = years
            draft.role = ColumnRole.QUASI_IDENTIFIER
            draft.qi_kind = "date_of_birth"
            draft.person = True
            draft.evidence.append(
                f"header {draft.name!r} names births and {years} of {n} sampled distinct "
                "values are years"
            )
            return True
    if numeric_share >= 0.9 and voc.header_matches(voc.HEADER_QI["postcode"], header):
        codes = int(_fullmatch(strings, voc.POSTAL_CODE_VALUE).sum())
        if codes / n >= NAME_MIN_SHARE:
            draft.evidence.append(
                f"header {draft.name!r} names postal codes and {codes} of {n} sampled distinct "
                "values are numeric postal codes"
            )
            draft.basis = "postal_code"
            return True
    if numeric_share < 0.9 or n > CODED_MAX_DISTINCT:
        return False
    # a few numeric codes under a person-attribute header (sex 1/2, disability 0/1 ...)
    sensitive = _header_kind(header, voc.HEADER_SENSITIVE)
    if sensitive is not None:
        draft.role = ColumnRole.SENSITIVE_ATTRIBUTE
        draft.sensitive_kind = sensitive
        draft.person = True
        draft.evidence.append(
            f"header {draft.name!r} names a special-category attribute ({sensitive}) "
            f"coded as {n} distinct numbers"
        )
        return True
    qi = _header_kind(header, {k: voc.HEADER_QI[k] for k in CODED_QI_KINDS})
    if qi is not None:
        draft.role = ColumnRole.QUASI_IDENTIFIER
        draft.qi_kind = qi
        draft.sensitive_kind = "ethnicity" if qi == "ethnicity" else None
        draft.person = True
        draft.evidence.append(
            f"header {draft.name!r} names a quasi-identifier ({qi}) coded as {n} distinct numbers"
        )
        return True
    return _judge_context(draft, header, f"coded as {n} distinct numbers")


def _compact_dates(strings: pd.Series) -> np.ndarray:
    """Values that are real calendar dates written year first without separators."""
    shaped = _fullmatch(strings, voc.COMPACT_DATE_VALUE)
    if not shaped.any():
        return shaped
    parsed = pd.to_datetime(strings.where(shaped), format="%Y%m%d", errors="coerce")
    return np.asarray(parsed.notna(), dtype=bool)


#: share of code-like values a person-key column needs
KEY_MIN_SHARE = 0.9
#: distinct share of a column's values above which a header-named number identifies records
PERSONAL_ID_MIN_DISTINCT = 0.8


def _judge_personal_id(draft: _Draft, header: str, series: pd.Series) -> bool:
    """A direct identifier: a header naming a person's national or official number (social
    security, passport, National Insurance...) over values nearly all distinct, whatever
    their format (no detector knows every country's)."""
    if not voc.header_matches(voc.PERSONAL_ID_HEADER, header):
        return False
    present = series.dropna()
    if len(present) == 0 or present.nunique() / len(present) < PERSONAL_ID_MIN_DISTINCT:
        return False
    draft.role = ColumnRole.DIRECT_IDENTIFIER
    draft.person = True
    draft.evidence.append(
        f"header {draft.name!r} names a person's official number and "
        f"{present.nunique()} of {len(present)} values are distinct"
    )
    return True


#: fewest sampled distinct numbers that make a money column continuous (not a coded band)
AMOUNT_MIN_DISTINCT = 20


def _judge_money(draft: _Draft, header: str, numeric_share: float, n: int) -> bool:
    """A survey's sampling weight (the rows are people or households: the dataset is about
    people) or a person's exact money amounts (income, tax, savings: a continuous
    quasi-identifier where the rows are people, sdcMicro's numerical key variables)."""
    if numeric_share < 0.9:
        return False
    if voc.header_matches(voc.SURVEY_WEIGHT_HEADER, header):
        draft.person = draft.rows_of_people = True
        draft.evidence.append(
            f"header {draft.name!r} names a survey's sampling weight: each row is a sampled "
            "person or household"
        )
        return True
    if n < AMOUNT_MIN_DISTINCT or not voc.header_matches(voc.AMOUNT_HEADER, header):
        return False
    draft.basis = draft.qi_kind = "amount"
    draft.evidence.append(
        f"header {draft.name!r} names income, tax or savings and {n} sampled distinct values "
        "are numbers: exact amounts"
    )
    return True


def _judge_person_key(draft: _Draft, header: str, strings: pd.Series) -> bool:
    """A direct identifier: a header naming a person ("patient", "client_id") over code-like
    values (digits or hexadecimal keys, never names): one key per person links their records,
    a pseudonym that open data does not need."""
    if not voc.header_matches(voc.PERSON_KEY_HEADER, header):
        return False
    codes = int(_fullmatch(strings, voc.KEY_VALUE).sum())
    if codes / len(strings) < KEY_MIN_SHARE:
        return False
    draft.role = ColumnRole.DIRECT_IDENTIFIER
    draft.person = True
    draft.evidence.append(
        f"header {draft.name!r} names a person and {codes} of {len(strings)} sampled distinct "
        "values are keys: a pseudonym linking one person's records"
    )
    return True


def _judge_context(draft: _Draft, header: str, values: str) -> bool:
    """An attribute that is a quasi-identifier only in data about people (the school, clinic,
    household, town or language of someone: :data:`~voc.HEADER_CONTEXT_QI`)."""
    kind = _header_kind(header, voc.HEADER_CONTEXT_QI)
    if kind is None:
        return False
    draft.basis = "attribute"
    draft.qi_kind = voc.CONTEXT_QI_KIND.get(kind, kind)
    draft.evidence.append(f"header {draft.name!r} names {kind.replace('_', ' ')}; {values}")
    return True


#: share of a column's lettered values written without capitals that marks a case-normalised
#: export
LOWER_CASE_MIN_SHARE = 0.9


def _lower_case(strings: pd.Series) -> bool:
    """True when nearly every value with letters has no capital letter."""
    lettered = strings[strings.str.contains(r"[^\W\d_]", regex=True)]
    if len(lettered) == 0:
        return False
    lower = lettered.str.fullmatch(r"[^A-Z\u00c0-\u00de]*")
    return float(lower.mean()) >= LOWER_CASE_MIN_SHARE


def _judge_names(
    draft: _Draft,
    header: str,
    strings: pd.Series,
    rows: int,
    ctx: RunContext,
    text: TextAnalyzer | None,
    problems: list[Problem],
) -> None:
    """PERSON only with corroboration: name-shaped values, the name lexicons, few organisation
    or place words, a column that is not a short list of categories, and NER or a name header."""
    n = len(strings)
    lower = _lower_case(strings)
    if lower:  # a case-normalised export ("lachlan", "berry"): judged as written in title case
        strings = strings.str.title()
    # a name has at least two letters: single-letter codes ("Y", "N", "M") are not names
    shaped = _fullmatch(strings, voc.NAME_SHAPE) & (
        strings.str.count(r"[A-Za-z]").to_numpy(dtype=int) >= 2
    )
    shaped_count = int(shaped.sum())
    if not shaped_count or shaped_count / n < NAME_MIN_SHARE:
        draft.evidence.append(f"{n} distinct values sampled; no identifying pattern found")
        return
    negative = voc.header_matches(voc.NAME_HEADER_NEGATIVE, header)
    name_hint = voc.header_matches(voc.NAME_HEADER, header) and not negative
    generic_hint = voc.header_matches(voc.NAME_HEADER_GENERIC, header) and not negative
    if shaped_count < NAME_MIN_DISTINCT and not name_hint:
        draft.evidence.append(
            f"{shaped_count} of {n} sampled distinct values are name-shaped: "
            "too few distinct values for names"
        )
        return
    candidates = [str(c) for c in strings[shaped].iloc[: ctx.ner_sample_size].tolist()]
    lexicon = names.name_evidence(candidates)
    if voc.header_matches(voc.SURNAME_HEADER, header):
        by_surname = names.surname_evidence(candidates)
        lexicon = by_surname if by_surname.person_like > lexicon.person_like else lexicon
    shape_note = f"{shaped_count} of {n} sampled distinct values are name-shaped" + (
        " (written in lower case)" if lower else ""
    )
    forename_note = lexicon.sentence()
    if lexicon.organisation_share >= ORG_VETO_SHARE and (
        not name_hint
        or (
            lexicon.organisation_share >= ORG_NAMED_SHARE
            and lexicon.person_share < LEXICON_HINTED_SHARE
        )
    ):
        draft.evidence.append(f"{shape_note}; {forename_note}: organisations or places")
        return
    corroborated = lexicon.person_share >= LEXICON_MIN_SHARE and not negative
    if (
        not name_hint
        and not corroborated
        and n <= CATEGORY_MAX_DISTINCT
        and rows >= CATEGORY_MIN_ROWS_PER_VALUE * n
    ):
        draft.evidence.append(
            f"{shape_note}; {forename_note}; {n} distinct values over {rows} rows: "
            "categories (operators, types, places), not one person per record"
        )
        return
    ner = None
    if text is not None and candidates:
        ner = text.person_names(candidates)
    if ner is not None:
        ner_count = int(np.asarray(ner, dtype=bool).sum())
        ner_share = ner_count / len(candidates)
        ner_note = f"NER tags {ner_count} of {len(candidates)} checked values as person names"
        lexical = lexicon.person_share
        if (
            # a name header needs some support from the values: values win over headers
            (name_hint and (lexical >= LEXICON_HINTED_SHARE or ner_share >= GENERIC_NAME_MIN_NER))
            or (corroborated and ner_share >= LEXICON_NER_SHARE)
            or (ner_share >= NAME_MIN_SHARE and lexical >= LEXICON_HINTED_SHARE and not negative)
            or (
                generic_hint
                and lexical >= LEXICON_HINTED_SHARE
                and ner_share >= GENERIC_NAME_MIN_NER
            )
        ):
            draft.entities.append(Entity.PERSON)
            draft.counts[Entity.PERSON] = shaped_count
            draft.role = ColumnRole.DIRECT_IDENTIFIER
            draft.person = True
            draft.evidence.append(
                f"{shape_note}; {ner_note}; {forename_note}; "
                f"{_hint_text(draft.name, name_hint or generic_hint, 'name')}"
            )
        else:
            draft.evidence.append(
                f"{shape_note} but {ner_note} and {forename_note}; not treated as names"
            )
        return
    # no NER available
    missing = Problem(
        kind="nlp_model_missing",
        message=f"column {draft.name!r} holds name-shaped values but no NER model is loaded "
        "to confirm person names",
        forces=Decision.REFER,
    )
    problems.append(missing)
    if name_hint or generic_hint or corroborated:
        draft.entities.append(Entity.PERSON)
        draft.counts[Entity.PERSON] = shaped_count
        draft.role = ColumnRole.DIRECT_IDENTIFIER
        draft.person = True
        reason = (
            _hint_text(draft.name, True, "name")
            if name_hint or generic_hint
            else f"{forename_note} (name-list check)"
        )
        draft.evidence.append(f"{shape_note}; {reason}; NER unavailable")
    else:
        draft.evidence.append(f"{shape_note}; no name header and NER unavailable")


def _judge_free_text(
    draft: _Draft,
    series: pd.Series,
    ctx: RunContext,
    text: TextAnalyzer | None,
    rng: np.random.Generator,
    problems: list[Problem],
) -> None:
    draft.role = ColumnRole.FREE_TEXT
    rows = _sample_rows(series, ctx.text_sample_rows, rng)
    draft.sampled = len(rows)
    if text is None:
        problems.append(
            Problem(
                kind="text_analysis_unavailable",
                message=f"free-text column {draft.name!r} was not analysed (no text analyzer)",
                forces=Decision.REFER,
            )
        )
        draft.evidence.append("long multi-word values: free text (not analysed)")
        return
    found = text.analyze(rows)
    counts: dict[Entity, int] = {}
    for spans in found:
        for entity in {s.entity for s in spans}:
            counts[entity] = counts.get(entity, 0) + 1
    draft.counts = counts
    draft.entities = sorted(counts, key=lambda e: e.value)
    summary = ", ".join(f"{e.value} in {c}" for e, c in sorted(counts.items(), key=lambda x: x[0]))
    draft.evidence.append(
        f"long multi-word values: free text; {len(rows)} sampled rows analysed"
        + (f"; rows with entities: {summary}" if summary else "; no entities found")
        + ("" if text.model_name else " (pattern-only: no NER model)")
    )
    # a text makes its records about people when people appear in a good share of them: a
    # donor thanked in one note of a list of defibrillators does not (the text itself is still
    # treated by the free-text rules)
    personal_rows = sum(1 for spans in found if any(s.entity in PERSON_ENTITIES for s in spans))
    draft.person = personal_rows >= TEXT_PERSON_MIN_SHARE * max(len(rows), 1)
    if not text.model_name:
        problems.append(
            Problem(
                kind="nlp_model_missing",
                message=f"free-text column {draft.name!r} was analysed without an NER model: "
                "names, places and dates in it were found by patterns only",
                forces=Decision.REFER,
            )
        )


# --------------------------------------------------------------------------------------------
# public API


def _default_detectors(problems: list[Problem]) -> list[Detector]:
    try:
        from triage.classifiers.registry import all_detectors
    except ImportError:
        logger.warning("triage.classifiers.registry unavailable: no structured detectors")
        problems.append(
            Problem(
                kind="detectors_unavailable",
                message="the structured detector registry could not be imported",
                forces=Decision.REFER,
            )
        )
        return []
    return list(all_detectors())


def classify_column(
    name: str,
    series: pd.Series,
    ctx: RunContext,
    text: TextAnalyzer | None,
    detectors: Sequence[Detector] | None = None,
    *,
    person_related: bool | None = None,
    problems: list[Problem] | None = None,
) -> ColumnClassification:
    """Classify one column on its own.

    Parameters
    ----------
    name, series
        The column header and its values (strings or missing).
    ctx
        Seed and sample sizes.
    text
        The free-text analyzer (None: free text is not analysed, names not confirmed by NER).
    detectors
        Structured detectors (default: ``triage.classifiers.registry.all_detectors()``).
    person_related
        Whether the dataset is about people; None: judged from this column alone.
    problems
        If given, problems met (crashed detector, missing model) are appended to it.
    """
    sink: list[Problem] = [] if problems is None else problems
    dets = list(detectors) if detectors is not None else _default_detectors(sink)
    draft = _judge_column(name, series, ctx, text, dets, sink)
    return draft.finish(draft.person if person_related is None else person_related)


def classify_dataset(
    frame: pd.DataFrame,
    ctx: RunContext,
    text: TextAnalyzer | None,
    detectors: Sequence[Detector] | None = None,
) -> DatasetClassification:
    """Classify every column of ``frame`` (not modified) and decide if it is about people.

    Pass 1 judges each column alone; pass 2 settles the roles that depend on whether the
    dataset is person-related (postcodes, areas, dates, IP addresses, UPRNs, addresses).
    """
    problems: list[Problem] = []
    dets = list(detectors) if detectors is not None else _default_detectors(problems)
    drafts: list[_Draft] = []
    for i, name in enumerate(frame.columns):
        drafts.append(_judge_column(str(name), frame.iloc[:, i], ctx, text, dets, problems))
    person_related = any(d.person for d in drafts)
    rows_of_people = any(
        d.rows_of_people or (d.person and d.qi_kind in PERSON_QI_KINDS) for d in drafts
    )
    columns = {d.name: d.finish(person_related, rows_of_people) for d in drafts}
    return DatasetClassification(
        columns=columns, person_related=person_related, problems=tuple(_dedupe(problems))
    )


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    out: list[Problem] = []
    for p in problems:
        key = (p.kind, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
