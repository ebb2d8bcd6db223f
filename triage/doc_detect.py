"""Detection in FOI documents: personal data and security-sensitive content, with exemptions.

Personal data comes from :class:`triage.classifiers.text.TextAnalyzer` (Presidio, the spaCy
model and our UK recognizers). Security-sensitive content comes from
``triage.classifiers.weakness`` (coverage gaps, access codes, credentials, firmware, IP
addresses, maintenance gaps, OT identifiers) plus patterns here for security arrangements
(patrol and guard times), host names and internal network ranges, CNI asset locations and
commercial terms. Security findings cover their whole sentence (a CCTV blind spot is
disclosed by the sentence, not by the words "blind spot").

Each finding maps to an FOI exemption (EIR regulation when the information is environmental):

=====================  ==========  ===============  ============================================
kind                   FOIA        EIR              why
=====================  ==========  ===============  ============================================
personal entities      s.40(2)     reg 13           third-party personal data
coverage_gap, access   s.31        reg 12(5)(b)     prejudice to the prevention of crime
code, credentials,
network, host names,
firmware, patrols
maintenance_gap        s.38        reg 12(5)(a)     endangering health and safety
ot_identifier,         s.24        reg 12(5)(a)     national security (CNI control systems,
asset_location                                      critical asset locations)
commercial             s.43        reg 12(5)(e)     commercial interests
=====================  ==========  ===============  ============================================

Allow-list: public officials acting in their public role (councillors, senior officers) are
not redacted (FOI practice discloses them), by name or alias, or when the name stands next to
an allow-listed role. Deny-list: terms always redacted with a given exemption.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from triage.classifiers import vocabularies as voc
from triage.classifiers import weakness
from triage.errors import ConfigError
from triage.vocab import Entity

if TYPE_CHECKING:
    from triage.classifiers.text import TextAnalyzer, TextSpan
    from triage.documents import Document

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Exemption:
    """An FOI exemption and its EIR equivalent."""

    code: str
    title: str
    eir: str
    eir_title: str


EXEMPTIONS: dict[str, Exemption] = {
    "s.40(2)": Exemption("s.40(2)", "FOIA s.40(2) personal data", "reg 13", "EIR reg 13"),
    "s.24": Exemption("s.24", "FOIA s.24 national security", "reg 12(5)(a)", "EIR reg 12(5)(a)"),
    "s.31": Exemption("s.31", "FOIA s.31 law enforcement", "reg 12(5)(b)", "EIR reg 12(5)(b)"),
    "s.38": Exemption("s.38", "FOIA s.38 health and safety", "reg 12(5)(a)", "EIR reg 12(5)(a)"),
    "s.43": Exemption("s.43", "FOIA s.43 commercial interests", "reg 12(5)(e)", "EIR reg 12(5)(e)"),
}

#: personal entities redacted under s.40(2) (DATE_TIME, URL and town names are not redacted);
#: a name in memorial is proposed too, for the reviewer: relatives may be identified by it
PERSONAL_ENTITIES: frozenset[Entity] = frozenset(
    {
        Entity.PERSON,
        Entity.DECEASED_PERSON,
        Entity.EMAIL_ADDRESS,
        Entity.PHONE_NUMBER,
        Entity.UK_NHS,
        Entity.UK_NINO,
        Entity.CREDIT_CARD,
        Entity.IBAN_CODE,
        Entity.UK_POSTCODE,
        Entity.UK_VEHICLE_REGISTRATION,
        Entity.UK_PASSPORT,
        Entity.UK_DRIVING_LICENCE,
        Entity.UK_SORT_CODE,
        Entity.DATE_OF_BIRTH,
        Entity.LOCATION,
    }
)
#: network entities found by Presidio are security findings (s.31), not personal data
SECURITY_ENTITIES: dict[Entity, str] = {Entity.IP_ADDRESS: "network_address"}

#: security kind -> (exemption, reason)
SECURITY_KINDS: dict[str, tuple[str, str]] = {
    "coverage_gap": ("s.31", "CCTV or monitoring coverage gap: would assist crime"),
    "access_code": ("s.31", "alarm, door or access code: would assist crime"),
    "default_credential": ("s.31", "credentials: would assist unauthorised access"),
    "firmware_version": ("s.31", "device firmware/software version: exposes vulnerabilities"),
    "network_address": ("s.31", "network address: exposes systems to attack"),
    "host_name": ("s.31", "internal host name: exposes systems to attack"),
    "security_arrangement": ("s.31", "patrol or guarding arrangements: would assist crime"),
    "maintenance_gap": ("s.38", "unrepaired security or safety defect: endangers safety"),
    "ot_identifier": ("s.24", "control-system identifiers of critical infrastructure"),
    "asset_location": ("s.24", "location of a critical asset"),
    "commercial": ("s.43", "commercially sensitive terms"),
}

#: extra security patterns (case-insensitive) beyond ``weakness.PATTERNS``
EXTRA_PATTERNS: dict[str, str] = {
    "security_arrangement": (
        r"\b(?:patrols?|patrolled|guards?|security\s+(?:officers?|staff|team)|keyholders?|"
        r"lock[\s-]?up|unmanned|unstaffed)\b[^.\n]{0,80}?\b(?:\d{1,2}[:.]\d{2}|\d{1,2}\s?(?:am|pm)"
        r"|midnight|overnight|between|every\s+\w+\s+(?:hours?|minutes?))"
    ),
    "host_name": (
        r"\b[a-z0-9][a-z0-9-]{1,62}\.(?:corp|internal|local|lan|intranet|ad)(?:\.[a-z0-9-]+)*\b|"
        r"\b(?:srv|svr|dc|sql|fs|app|web|cctv|nvr|fw)[-_]?\d{1,3}[a-z0-9-]*\b|"
        r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}/\d{1,2}\b|\bvlan\s?\d+\b"
    ),
    "asset_location": (
        r"\b(?:substation|pumping\s+station|water\s+treatment\s+works|reservoir|server\s+room|"
        r"data\s+cent(?:re|er)|control\s+room|comms\s+room|switch\s+room|gas\s+governor)\b"
        r"[^.\n]{0,60}?\b(?:located|situated|sited|housed|is\s+at|lies|grid\s+ref|behind|"
        r"beneath|under|basement|floor)\b"
    ),
    "commercial": (
        r"\b(?:commercially\s+sensitive|commercial\s+in\s+confidence|tender\s+(?:price|rates?|"
        r"sum)|unit\s+rates?|pricing\s+schedule|contract\s+price|discount\s+of)\b"
    ),
}

#: block kinds whose whole text is one value of an entity (e-mail display names and addresses,
#: the contact data of calendar and vCard parts)
FIELD_KINDS: dict[str, Entity] = {
    "email_name": Entity.PERSON,
    "email_address": Entity.EMAIL_ADDRESS,
    "contact_phone": Entity.PHONE_NUMBER,
    "contact_place": Entity.LOCATION,
    "contact_date": Entity.DATE_OF_BIRTH,
}
#: what a field block is, for the finding's reason
_FIELD_WHAT = {
    Entity.PERSON: "name of an e-mail sender or recipient",
    Entity.EMAIL_ADDRESS: "address of an e-mail sender or recipient",
    Entity.PHONE_NUMBER: "phone number in contact data",
    Entity.LOCATION: "postal address or place in contact data",
    Entity.DATE_OF_BIRTH: "birth date in contact data",
}
#: a display name holding one of these words names a team or organisation, not a person
ORGANISATION_WORDS = frozenset(
    {"admin", "authority", "board", "borough", "centre", "city", "committee", "council"}
    | {"county", "customer", "department", "desk", "enquiries", "foi", "government", "group"}
    | {"helpdesk", "info", "limited", "ltd", "mailbox", "nhs", "noreply", "notifications"}
    | {"office", "plc", "police", "reception", "service", "services", "support", "team", "trust"}
    | {"unit", "assistant", "postmaster", "daemon", "system"}
)
#: block kinds read as headers: short texts without a sentence around them (Subject, group
#: labels, calendar and card values, HTML attributes, file names, document properties)
HEADER_KINDS = frozenset({"email_header", "metadata", "attachment"})
#: an auto-reply's own phrases and reply/forward prefixes: never a name, and the context that
#: makes a name-shaped run of words in a header a person's name
AUTO_REPLY = re.compile(
    r"\b(?:automatic(?:ally)?\s+(?:reply|response|generated)|auto[\s-]?(?:reply|response)|"
    r"autoreply|out\s+of\s+(?:the\s+)?office|ooo|away\s+from\s+(?:the\s+|my\s+)?office|"
    r"(?:on\s+)?(?:annual|maternity|paternity|parental|sick|study)\s+leave|on\s+leave|"
    r"(?:is\s+)?(?:currently\s+)?(?:away|absent|unavailable|not\s+in\s+the\s+office))\b",
    re.IGNORECASE,
)
_REPLY_PREFIX = re.compile(r"\b(?:re|fwd?|aw|wg|tr|sv)\s*:", re.IGNORECASE)
#: a run of capitalised words ("Sarah O'Neill", "Grace Okonkwo-Adeyemi", "Dr A. McDonald")
_NAME_RUN = re.compile(
    r"(?<![\w'\u2019-])[^\W\d_][\w'\u2019.-]*(?:[ \t]+[^\W\d_][\w'\u2019.-]*){0,5}"
)
_WORD = re.compile(r"\S+")
_HONORIFIC = r"\b(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+)?"

_PATTERNS: dict[str, re.Pattern[str]] = {
    k: re.compile(v, re.IGNORECASE) for k, v in {**weakness.PATTERNS, **EXTRA_PATTERNS}.items()
}
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n")
_TITLE = re.compile(
    r"^(?:(?:cllr|councillor|mr|mrs|ms|miss|mx|dr|prof|sir|dame|lord|lady|rev)\.?\s+)+",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Finding:
    """One span to redact (or keep) in one block. Holds offsets, never the value itself.

    ``entity`` is an :class:`Entity` name for personal data or a security kind.
    """

    block: int
    start: int
    end: int
    entity: str
    exemption: str
    score: float
    reason: str
    source: str = "presidio"


@dataclass
class Officials:
    """Allow-list of public officials and deny-list of terms.

    Attributes
    ----------
    names
        Normalised names and aliases (lower case, titles stripped).
    roles
        Lower-case role phrases ("councillor", "director of place").
    deny
        ``(compiled regex, exemption, reason)``.
    """

    names: set[str] = field(default_factory=set)
    roles: list[str] = field(default_factory=list)
    deny: list[tuple[re.Pattern[str], str, str]] = field(default_factory=list)

    def allows(self, text: str, start: int, end: int) -> bool:
        """True when the PERSON span ``text[start:end]`` is an allow-listed official."""
        name = normalise_name(text[start:end])
        if name in self.names:
            return True
        surname = name.split()[-1] if name else ""
        if any(n.split()[-1] == surname and n.startswith(name) for n in self.names if n):
            return True
        before = text[max(0, start - 40) : start].lower()
        after = text[end : end + 60].lower()
        return any(
            before.rstrip().endswith(role)
            or re.match(rf"\s*,?\s*(?:the\s+)?{re.escape(role)}", after)
            for role in self.roles
        )


def normalise_name(name: str) -> str:
    """Lower case, titles ("Cllr", "Dr") and punctuation stripped, whitespace collapsed."""
    name = re.sub(r"[\u2019'`]s$", "", name.strip())
    name = _TITLE.sub("", name)
    return " ".join(re.sub(r"[^\w\s-]", " ", name.lower()).split())


def load_officials(path: str | Path | None) -> Officials:
    """Read an allow/deny list from YAML.

    Format::

        officials:
          - name: Councillor Jane Morgan
            aliases: [Cllr Morgan]
            role: Cabinet Member for Community Safety
        roles: [Chief Executive, Director of Place]
        deny:
          - term: Project Nightjar
            exemption: s.43
            reason: unannounced procurement
          - pattern: "\\bOP-\\d{4}\\b"
            exemption: s.31
    """
    if path is None:
        return Officials()
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{p.name}: cannot read allow-list ({type(exc).__name__})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{p.name}: allow-list must be a mapping")
    out = Officials()
    for entry in data.get("officials") or []:
        if not isinstance(entry, dict) or "name" not in entry:
            raise ConfigError(f"{p.name}: each official needs a name")
        for n in [entry["name"], *(entry.get("aliases") or [])]:
            out.names.add(normalise_name(str(n)))
    out.roles = [str(r).lower() for r in data.get("roles") or []]
    for entry in data.get("deny") or []:
        if not isinstance(entry, dict):
            raise ConfigError(f"{p.name}: each deny entry must be a mapping")
        exemption = str(entry.get("exemption", "s.40(2)"))
        if exemption not in EXEMPTIONS:
            raise ConfigError(f"{p.name}: unknown exemption {exemption!r}")
        if "term" in entry:
            rx = re.compile(rf"\b{re.escape(str(entry['term']))}\b", re.IGNORECASE)
        elif "pattern" in entry:
            try:
                rx = re.compile(str(entry["pattern"]))
            except re.error as exc:
                raise ConfigError(f"{p.name}: bad deny pattern ({exc})") from exc
        else:
            raise ConfigError(f"{p.name}: a deny entry needs term or pattern")
        out.deny.append((rx, exemption, str(entry.get("reason", "on the deny-list"))))
    return out


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence (or line) around ``[start, end)``."""
    s = 0
    for m in _SENTENCE_BREAK.finditer(text, 0, start):
        s = m.end()
    m2 = _SENTENCE_BREAK.search(text, end)
    e = m2.start() if m2 else len(text)
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, max(e, end)


def security_findings(block: int, text: str) -> list[Finding]:
    """Security-sensitive sentences of one text (``weakness.text_kinds`` gate + patterns)."""
    kinds = set(weakness.text_kinds(text)) | {
        k for k in EXTRA_PATTERNS if _PATTERNS[k].search(text)
    }
    out: list[Finding] = []
    for kind in sorted(kinds):
        exemption, reason = SECURITY_KINDS.get(kind, ("s.31", "security-sensitive content"))
        for m in _PATTERNS[kind].finditer(text):
            s, e = _sentence_bounds(text, m.start(), m.end())
            out.append(Finding(block, s, e, kind, exemption, 0.9, reason, "security"))
    return out


def _location_is_address(fragment: str) -> bool:
    return bool(re.search(r"\d", fragment))


def _merge(findings: Sequence[Finding]) -> list[Finding]:
    """Non-overlapping findings per block: a security sentence absorbs what it covers."""
    ordered = sorted(findings, key=lambda f: (f.block, -(f.end - f.start), -f.score))
    kept: list[Finding] = []
    for f in ordered:
        if all(f.block != k.block or f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: (f.block, f.start))


def _core(text: str) -> tuple[int, int]:
    """The span of a display name without an auto-reply phrase, reply prefix or the
    brackets and dashes around them at either end ("Jane Smith (Out of Office)")."""
    masked = _masked(text)
    start = len(masked) - len(masked.lstrip(" \t|()[]-\u2013:,"))
    end = len(masked.rstrip(" \t|()[]-\u2013:,"))
    return start, max(start, end)


def _masked(text: str) -> str:
    """``text`` with its auto-reply phrases and reply prefixes blanked to ``|`` (same length)."""
    for rx in (AUTO_REPLY, _REPLY_PREFIX):
        text = rx.sub(lambda m: "|" * len(m.group()), text)
    return text


def _field_findings(
    texts: list[str], fields: Mapping[int, Entity], found: list[Finding], officials: Officials
) -> list[Finding]:
    """A finding over each field block (an e-mail display name or address, a contact datum)
    that the detectors did not cover whole, unless an allow-listed official or an
    organisation's name. A display name's auto-reply phrase is no part of it."""
    out: list[Finding] = []
    for i, entity in sorted(fields.items()):
        text = texts[i]
        start, end = len(text) - len(text.lstrip()), len(text.rstrip())
        if entity == Entity.PERSON:
            start, end = _core(text)
        if start >= end or any(f.block == i and f.start <= start and f.end >= end for f in found):
            continue
        if entity == Entity.PERSON and (
            officials.allows(text, start, end)
            or ORGANISATION_WORDS & set(re.findall(r"[a-z]+", text[start:end].lower()))
        ):
            continue
        out.append(
            Finding(
                i,
                start,
                end,
                entity.value,
                "s.40(2)",
                0.8,
                f"{_FIELD_WHAT[entity]} ({entity.value})",
                "email_field",
            )
        )
    return out


def _header_person(words: list[str], auto: bool) -> bool:
    """True when ``words`` name a person: corroborated by the name lexicons, or (after an
    auto-reply phrase) a known given name or honorific before capitalised words."""
    from triage.classifiers.names import is_organisation_name, is_person_name, lexicons

    value = " ".join(words)
    if is_organisation_name(value) or ORGANISATION_WORDS & {w.lower() for w in words}:
        return False
    if len(words) >= 2 and is_person_name(value):
        return True
    first = normalise_name(words[0])
    titled = _TITLE.match(value) is not None and len(words) >= 2
    return auto and len(words) >= 2 and (titled or first in lexicons()[0])


def _header_findings(
    texts: list[str], headers: set[int], found: list[Finding], officials: Officials
) -> tuple[list[Finding], list[Finding]]:
    """Person names in header blocks, which have no sentence around them, and the findings
    left once an auto-reply's own phrases are taken out of them.

    In a header holding an auto-reply phrase ("Automatic reply: Jane Smith is out of the
    office"), a run of capitalised words naming a person is a name; in any header, such a run
    widens a PERSON finding it overlaps ("Siobhan Kowalczyk" where NER found the surname).
    The phrases themselves ("Automatic reply", "Out of Office") are never part of a finding.
    """
    from triage.classifiers.names import is_organisation_name

    kept: list[Finding] = []
    for f in found:
        if f.block in headers and f.entity == Entity.PERSON.value:
            masked = _masked(texts[f.block])
            inner = masked[f.start : f.end]
            if "|" in inner:
                start = f.start + len(inner) - len(inner.lstrip("| \t:-"))
                end = f.start + len(inner.rstrip("| \t:-"))
                if "|" in masked[start:end] or start >= end:
                    continue
                f = Finding(f.block, start, end, f.entity, f.exemption, f.score, f.reason, f.source)
        kept.append(f)
    extra: list[Finding] = []
    for i in sorted(headers):
        text = texts[i]
        masked = _masked(text)
        auto = AUTO_REPLY.search(text) is not None
        for run in _NAME_RUN.finditer(masked):
            if is_organisation_name(run[0]):  # "Chris Evans Way", "Leeds Central Library"
                continue
            words = [
                (run.start() + m.start(), run.start() + m.end()) for m in _WORD.finditer(run[0])
            ]
            span = _person_in(text, words, auto)
            if span is None:
                continue
            s, e = span
            overlaps = any(
                k.block == i and k.entity == Entity.PERSON.value and k.start < e and k.end > s
                for k in kept
            )
            if not (auto or overlaps) or officials.allows(text, s, e):
                continue
            reason = "name of a person in an e-mail header or document property (PERSON)"
            extra.append(
                Finding(i, s, e, Entity.PERSON.value, "s.40(2)", 0.85, reason, "header_name")
            )
    return kept, extra


def _person_in(text: str, words: list[tuple[int, int]], auto: bool) -> tuple[int, int] | None:
    """The longest run of two to four capitalised ``words`` (spans in ``text``) naming a
    person."""
    for size in range(min(4, len(words)), 1, -1):
        for k in range(len(words) - size + 1):
            piece = words[k : k + size]
            names = [text[a:b].rstrip(".,;-") for a, b in piece]
            if all(n[:1].isupper() for n in names) and _header_person(names, auto):
                start, end = piece[0][0], piece[-1][1]
                return start, start + len(text[start:end].rstrip(".,;-"))
    return None


@dataclass
class Detection:
    """Findings in a document plus what the allow-list kept (counts only)."""

    findings: list[Finding]
    allowed: int = 0
    blocks: int = 0


def detect_texts(
    texts: list[str],
    analyzer: TextAnalyzer | None,
    officials: Officials | None = None,
    *,
    security: bool = True,
    fields: Mapping[int, Entity] | None = None,
    headers: Iterable[int] = (),
) -> Detection:
    """Findings in a list of texts (``Finding.block`` is the index in ``texts``).

    The analyzer runs once over all texts (Presidio's batch engine, spaCy ``nlp.pipe``).
    ``fields`` marks texts that are one value of an entity each (see :data:`FIELD_KINDS`),
    ``headers`` texts read as headers (see :data:`HEADER_KINDS`, :func:`_header_findings`).
    """
    officials = officials or Officials()
    spans: list[list[TextSpan]] = (
        analyzer.analyze(texts) if analyzer is not None else [[] for _ in texts]
    )
    findings: list[Finding] = []
    allowed = 0
    for i, (text, found) in enumerate(zip(texts, spans, strict=True)):
        for span in found:
            fragment = text[span.start : span.end]
            if span.entity in SECURITY_ENTITIES:
                kind = SECURITY_ENTITIES[span.entity]
                exemption, reason = SECURITY_KINDS[kind]
                findings.append(
                    Finding(i, span.start, span.end, kind, exemption, span.score, reason)
                )
                continue
            if span.entity not in PERSONAL_ENTITIES:
                continue
            if span.entity == Entity.LOCATION and not _location_is_address(fragment):
                continue
            if span.entity == Entity.PERSON and officials.allows(text, span.start, span.end):
                allowed += 1
                continue
            findings.append(
                Finding(
                    i,
                    span.start,
                    span.end,
                    span.entity.value,
                    "s.40(2)",
                    span.score,
                    f"personal data of a third party ({span.entity.value})",
                )
            )
        if security:
            findings.extend(security_findings(i, text))
        for rx, exemption, reason in officials.deny:
            for m in rx.finditer(text):
                findings.append(
                    Finding(i, m.start(), m.end(), "deny_list", exemption, 1.0, reason, "deny")
                )
    findings, named = _header_findings(texts, set(headers), findings, officials)
    findings.extend(named)
    findings.extend(_field_findings(texts, fields or {}, findings, officials))
    findings = _expand_names(texts, findings, officials)
    return Detection(findings=_merge(findings), allowed=allowed, blocks=len(texts))


def _expand_names(texts: list[str], findings: list[Finding], officials: Officials) -> list[Finding]:
    """Find further mentions of each detected person: the whole name as found, anywhere ("Sarah
    O'Neill" of a From header in the Subject), and the surname ("Mrs Patel" after "Asha
    Patel"; "O'Neill" and "McDonald" as written)."""
    surnames: dict[str, float] = {}
    full: dict[str, float] = {}
    for f in findings:
        if f.entity == Entity.PERSON.value:
            fragment = texts[f.block][f.start : f.end]
            words = normalise_name(fragment).split()
            last = re.sub(r"[\u2019']s$", "", fragment.split()[-1].strip(".,;:()[]"))
            if len(words) >= 2:
                key = " ".join(fragment.split())
                full[key] = max(full.get(key, 0.0), f.score)
            if len(words) >= 2 and len(words[-1]) > 2 and words[-1] not in voc.STREET_SUFFIXES:
                for sname in {last, words[-1].capitalize()}:
                    surnames[sname] = max(surnames.get(sname, 0.0), f.score)
    alone = r"(?<![\w'\u2019-])"  # not the end of a longer name ("Neill" of "O'Neill")
    patterns = [
        (re.compile(alone + r"\s+".join(map(re.escape, name.split())) + r"(?![\w'\u2019-])"), sc)
        for name, sc in full.items()
    ]
    patterns += [
        (re.compile(_HONORIFIC + alone + re.escape(sname) + r"\b(?!\s+[A-Z])"), sc)
        for sname, sc in surnames.items()
        if sname[:1].isupper()
    ]
    extra: list[Finding] = []
    for rx, score in patterns:
        for i, text in enumerate(texts):
            for m in rx.finditer(text):
                if officials.allows(text, m.start(), m.end()):
                    continue
                extra.append(
                    Finding(
                        i,
                        m.start(),
                        m.end(),
                        Entity.PERSON.value,
                        "s.40(2)",
                        score,
                        "further mention of a named third party",
                        "name_expansion",
                    )
                )
    return findings + extra


def detect_document(
    doc: Document,
    analyzer: TextAnalyzer | None,
    officials: Officials | None = None,
) -> Detection:
    """Findings in every block of ``doc`` (``Finding.block`` is ``Block.index``)."""
    fields = {b.index: FIELD_KINDS[b.kind] for b in doc.blocks if b.kind in FIELD_KINDS}
    headers = [b.index for b in doc.blocks if b.kind in HEADER_KINDS | {"email_name"}]
    return detect_texts(
        [b.text for b in doc.blocks], analyzer, officials, fields=fields, headers=headers
    )


def exemption_table() -> list[dict[str, Any]]:
    """The kind -> exemption mapping as rows (for the report and docs)."""
    rows: list[dict[str, Any]] = [
        {
            "kind": e.value,
            "exemption": "s.40(2)",
            "eir": EXEMPTIONS["s.40(2)"].eir,
            "reason": "third-party personal data",
        }
        for e in sorted(PERSONAL_ENTITIES)
    ]
    for kind, (code, reason) in SECURITY_KINDS.items():
        rows.append(
            {"kind": kind, "exemption": code, "eir": EXEMPTIONS[code].eir, "reason": reason}
        )
    return rows


def exemption_title(code: str, environmental: bool = False) -> str:
    """``"FOIA s.31 law enforcement"`` or its EIR equivalent when ``environmental``."""
    ex = EXEMPTIONS[code]
    return ex.eir_title if environmental else ex.title


def distinct_entities(findings: Iterable[Finding]) -> list[str]:
    """Sorted distinct entity/kind names."""
    return sorted({f.entity for f in findings})
