"""Corroboration for person names: name lexicons, organisation words and role mailboxes.

spaCy's small model tags short title-case phrases as PERSON whatever they are (street names,
company names, "Altrincham Leisure Centre"). A value counts as a person's name only with
corroboration from outside the model:

- given names and surnames from Faker's person providers (a PyPI package; the Latin-script
  locales of the UK's largest communities), together with the ONS forenames in
  ``vocabularies.FORENAMES``;
- organisation and place words ("Limited", "Centre", "Practice", "Road"), which veto a name;
- honorifics ("Mrs", "Dr").

E-mail local parts are judged the same way: ``info@``, ``foi@`` and ``enquiries@`` are role
mailboxes of organisations, ``jane.smith@`` is a person's address.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from triage.classifiers import vocabularies as voc

#: Faker person-provider locales read for the lexicons (Latin script only)
LEXICON_LOCALES = (
    "en_GB",
    "en_IE",
    "en_US",
    "en_IN",
    "en_NZ",
    "ga_IE",
    "pl_PL",
    "ro_RO",
    "lt_LT",
    "lv_LV",
    "it_IT",
    "fr_FR",
    "de_DE",
    "es_ES",
    "pt_PT",
    "pt_BR",
    "nl_NL",
    "cs_CZ",
    "sk_SK",
    "hu_HU",
    "tr_TR",
    "sv_SE",
    "da_DK",
    "no_NO",
    "fi_FI",
    "sl_SI",
    "hr_HR",
    "et_EE",
    "tw_GH",
    "yo_NG",
    "zu_ZA",
    "id_ID",
    "vi_VN",
)


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


_LATIN_WORD = re.compile(r"[a-z\u00c0-\u024f'\u2019-]+")

#: words that mark an organisation, a facility or a place, never a person's name
ORG_WORDS: frozenset[str] = voc.PLACE_WORDS | _wordset(
    """
    limited ltd plc llp lp cic cio inc llc co company companies group holdings trust trustees
    foundation charity association assoc society club fc afc rfc partnership partners services
    service solutions council borough authority nhs ccg icb department ministry agency office
    offices centres pharmacy pharmacies chemist chemists hospice health healthcare medical
    dental dentist dentists opticians optician care carehomes nursing home homes residential
    rest supported living housing homes university universities grammar infant junior
    high secondary sixth form montessori preschool pre-school playgroup kindergarten church
    churches parish cathedral mosque temple synagogue gurdwara methodist baptist catholic
    anglican united reformed congregational salvation army chapel interchange airport garage
    hotel inn pub tavern bar restaurant cafe café bistro kitchen shop shops store stores
    supermarket superstore market markets tesco sainsbury's sainsburys asda morrisons aldi lidl
    waitrose co-op coop boots superdrug lloyds barclays natwest hsbc santander post
    depot works yard warehouse buildings plaza arcade mall precinct leisure sports sport pool
    pools baths gym fitness stadium ground grounds course golf cricket rugby bowling bowls
    tennis football theatre cinema museum gallery gardens cemetery crematorium allotments
    allotment uk international national regional community communities network project
    projects scheme initiative programme alliance federation union institute board committee
    forum enterprises enterprise industries consulting consultancy consultants contractors
    construction systems technologies technology energy electric electrical water transport
    travel taxis taxi cars motors buses coaches rail railway police fire ambulance legion
    scouts guides brigade library libraries centre center point hub campus unit units
    trading traders supplies supplier suppliers products logistics engineering recycling
    waste environmental cleaning security media studio studios design print printing
    associates solicitors accountants surveyors architects estate estates agents lettings
    insurance bank building society funeral directors veterinary vets kennels cattery
    nursery nurseries academy academies college colleges school schools trustee mission
    ministries fellowship diocese friends volunteers volunteer action aid support advice
    citizens centre's ltd. co. plc. inc. investments investment capital ventures finance
    financial labs analytics software designs
    """
)

#: local parts (or their words) of organisations' shared mailboxes
ROLE_MAILBOX_WORDS: frozenset[str] = _wordset(
    """
    info information enquiries enquiry inquiries inquiry admin administration administrator
    contact contactus contact-us office hello hi foi foia foirequests eir dpo privacy
    dataprotection data protection reception mail email general bookings booking book
    customerservices customerservice customer customers services service support sales team
    help helpdesk desk press media communications comms marketing accounts account finance
    invoices payments hr jobs careers recruitment webmaster web website noreply no-reply
    donotreply complaints complaint feedback casework planning licensing highways parking
    council library libraries events volunteer volunteers membership members education
    schools headteacher head office secretary clerk chair manager admissions referrals
    referral safeguarding duty team enquiriesteam events editor news postmaster abuse
    security it ict digital transparency opendata open streetworks waste recycling
    environment housing benefits revenues council-tax counciltax business rates elections
    electoral registration registrar customer-services mailbox shared generic central
    surveyor surveyors inspector inspectors warden wardens ranger rangers caretaker engineer
    engineers technician technicians coordinator co-ordinator adviser advisor advisers
    officer officers duty-officer clerks receptionist
    """
)


@lru_cache(maxsize=1)
def lexicons() -> tuple[frozenset[str], frozenset[str]]:
    """(given names, surnames), lower case, from Faker's providers and the ONS forenames."""
    given: set[str] = set(voc.FORENAMES)
    surnames: set[str] = set()
    for locale in LEXICON_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except (ImportError, AttributeError):
            continue
        for attr in dir(provider):
            if attr.startswith("_") or not attr.endswith("_names"):
                continue
            sink = given if "first" in attr else surnames if "last" in attr else None
            names = getattr(provider, attr, None)
            if sink is None or not isinstance(names, dict | list | tuple):
                continue
            for name in names:
                low = str(name).lower()
                if _LATIN_WORD.fullmatch(low):
                    sink.add(low)
    return frozenset(given), frozenset(surnames)


_TITLE = re.compile(rf"^{voc.TITLES}\.?\s+", re.IGNORECASE)


def _tokens(value: str) -> list[str]:
    return [t.strip(".,()'\u2019").lower() for t in value.split() if t.strip(".,()'\u2019")]


@dataclass(frozen=True)
class NameEvidence:
    """Shares of values that look like persons' names and like organisations' or places'."""

    checked: int
    person_like: int
    organisation_like: int
    #: what made a value person-like: ``given`` (a given name first) or ``surname``
    basis: str = "given"

    @property
    def person_share(self) -> float:
        return self.person_like / self.checked if self.checked else 0.0

    @property
    def organisation_share(self) -> float:
        return self.organisation_like / self.checked if self.checked else 0.0

    def sentence(self) -> str:
        person = (
            "are known surnames"
            if self.basis == "surname"
            else "start with a known given name, an honorific or an initial before a known surname"
        )
        return (
            f"{self.person_like} of {self.checked} checked values {person}; "
            f"{self.organisation_like} carry an organisation or place word"
        )


def is_organisation_name(value: str) -> bool:
    """True when any word of ``value`` (after an honorific) marks an organisation or place."""
    return any(t in ORG_WORDS for t in _tokens(_TITLE.sub("", value.strip())))


_NAME_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")


def is_individual(value: str) -> bool:
    """True for a value that names one person, among organisations (a grant to "Judith
    Rodrigues" beside "Bath Mind", a payment to "MR R RUDMAN" beside "VODAFONE LTD"): an
    honorific and one to three names or initials, or two or three capitalised words with a
    given name first; never with an organisation or place word. A value all in capitals (the
    usual spend export) is read in title case. Over-reads an organisation named like a
    person ("Amber Valley"), which errs towards redaction."""
    text = value.strip()
    if text.isupper():
        text = text.title()
    if is_organisation_name(text):
        return False
    titled = _TITLE.match(text) is not None
    words = _TITLE.sub("", text).split()
    if titled:
        return 1 <= len(words) <= 3 and all(_NAME_WORD.fullmatch(w.rstrip(".")) for w in words)
    if not 2 <= len(words) <= 3:
        return False
    if not all(_NAME_WORD.fullmatch(w) and w[0].isupper() and not w.isupper() for w in words):
        return False
    first = words[0].lower()
    return first in voc.FORENAMES or first in lexicons()[0]


def is_person_name(value: str) -> bool:
    """True for a name corroborated by the lexicons: "Mrs J Smith", "Aisha Khan", "Smith, Jo"."""
    if is_organisation_name(value):
        return False
    given, surnames = lexicons()
    titled = _TITLE.match(value.strip()) is not None
    words = _tokens(_TITLE.sub("", value.strip()))
    if not words:
        return False
    if titled:
        return True
    if "," in value and len(words) >= 2:  # "Smith, Jane"
        return words[1] in given and words[0] in surnames | given
    first, last = words[0], words[-1]
    if first in given and (len(words) == 1 or last in surnames or last in given):
        return True
    return len(words) >= 2 and len(first) == 1 and last in surnames


_MENTION_TITLE = re.compile(rf"^(?:{voc.TITLES}|Councillor|Cllr)\.?\s+\S", re.IGNORECASE)


def is_name_mention(fragment: str) -> bool:
    """True when a PERSON span found by NER in text is supported outside the model: an
    honorific ("Cllr Butt"), a known given name, or a known surname last; organisation and
    place words veto ("Hand on Heart Charity", "Dunsters Farm")."""
    if _MENTION_TITLE.match(fragment.strip()):
        return True
    if is_organisation_name(fragment):
        return False
    words = _tokens(fragment)
    if not words:
        return False
    given, surnames = lexicons()
    return any(w in given for w in words) or words[-1] in surnames


def name_evidence(values: Sequence[str]) -> NameEvidence:
    """Count person-like and organisation-like values among ``values``."""
    person = sum(1 for v in values if is_person_name(v))
    org = sum(1 for v in values if is_organisation_name(v))
    return NameEvidence(checked=len(values), person_like=person, organisation_like=org)


def surname_evidence(values: Sequence[str]) -> NameEvidence:
    """Count values that are known surnames (every word of them), for a surname column."""
    surnames = lexicons()[1]
    person = sum(1 for v in values if v.split() and all(w in surnames for w in v.lower().split()))
    org = sum(1 for v in values if is_organisation_name(v))
    return NameEvidence(len(values), person, org, basis="surname")


def email_kind(address: str) -> str:
    """``role`` (a shared mailbox), ``person`` (a person's address) or ``unknown``."""
    local = address.strip().lower().split("@", 1)[0]
    words = [w for w in re.split(r"[._\-+\d]+", local) if w]
    if not words:
        return "unknown"
    if local in ROLE_MAILBOX_WORDS or all(w in ROLE_MAILBOX_WORDS | ORG_WORDS for w in words):
        return "role"
    given, surnames = lexicons()
    if any(w in given for w in words):
        return "person"
    if any(w in ROLE_MAILBOX_WORDS | ORG_WORDS for w in words):
        return "role"  # "hale.library@": a place and a service, not a surname
    if len(words) >= 2 and any(w in surnames for w in words):
        return "person"
    if any(local[i:] in surnames for i in (1, 2) if len(local) - i >= 3):  # "jsmith"
        return "person"
    if any(w in ROLE_MAILBOX_WORDS for w in words):
        return "role"
    return "unknown"


def email_kinds(addresses: Sequence[str]) -> dict[str, int]:
    """How many of ``addresses`` are role, person and unknown mailboxes."""
    counts = {"role": 0, "person": 0, "unknown": 0}
    for address in addresses:
        counts[email_kind(address)] += 1
    return counts
