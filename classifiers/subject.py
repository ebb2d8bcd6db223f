"""Whose points are they? The subject of a dataset's locations: people, or places and assets.

A point that stands for where a person lives or was (a telecare installation, a home
adaptation, a casualty) is personal whatever the file lacks in names; a chargepoint, a
library or a care home (the institution) is a public asset at a public address. The subject is
judged from the dataset's meaning, each signal scored and kept as evidence:

- a declared answer (the triage question ``record_subject``) decides outright;
- words of the dataset name and headers, each word once: ``telecare``, ``resident``,
  ``casualty`` (3 each, erring towards people) against ``library``, ``chargepoint``,
  ``care_home``, ``planning`` (2 each); phrases such as "Recipient Org" (an organisation) and
  "Pub Date" (a publication date) take their words with them;
- a column of organisation- or facility-shaped names (3) against one of persons' names (3);
- short values that carry those words (1 per column; 2 for a people phrase such as
  "assisted collection");
- personal data found by the column classifier (1 for people: it breaks a tie).

The larger score wins; a tie is ``unknown``, which rulebooks refer with the question named.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from triage.classifiers import names
from triage.classifiers import vocabularies as voc

Subject = Literal["people", "assets", "unknown"]

#: answers of the triage question ``record_subject`` and the subject they declare
DECLARED: dict[str, Subject] = {
    "people": "people",
    "places_or_assets": "assets",
    "unsure": "unknown",
}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: header, file-name and value words that make records about people
PEOPLE_WORDS = _words(
    """
    incident incidents victim victims client clients resident residents patient patients
    offender offenders suspect suspects person persons people individual individuals household
    households tenant tenants pupil pupils child casualty casualties complainant complainants
    referral referrals safeguarding domestic dob asb crime crimes carer carers claimant
    claimants applicant applicants recipient recipients telecare careline lifeline pedestrian
    pedestrians cyclist cyclists driver drivers passenger passengers sex gender ethnicity
    ageband age_band homeless arrest arrests victimisation deceased burial burials missing
    adaptations adaptation dfg sleeper sleepers collision collisions
    """
)
#: two-word phrases (normalised, joined by "_") that make records about people
PEOPLE_PHRASES = _words(
    """
    service_user service_users community_alarm community_alarms personal_alarm home_adaptation
    home_adaptations care_package care_packages blue_badge blue_badges assisted_collection
    assisted_collections assisted_bin home_visit home_visits date_of_birth rough_sleeping
    home_address home_care disabled_facilities meals_on_wheels fall_call falls_call
    """
)
#: words that make records about places, facilities and physical assets
ASSET_WORDS = _words(
    """
    asset assets light lights lamp lamps lantern lanterns column columns camera cameras cctv
    charger chargers chargepoint chargepoints charge_point ev sensor sensors substation
    substations bin bins hydrant hydrants bollard bollards signal signals sign signs bench
    benches meter meters pole poles mast masts beacon beacons kiosk kiosks cabinet cabinets
    feeder pump pumps valve valves gate gates bridge bridges culvert culverts monitor monitors
    device devices equipment tree trees defibrillator defibrillators aed aeds toilet toilets
    carpark carparks playground playgrounds park parks library libraries school schools
    pharmacy pharmacies surgery surgeries practice practices gp hospital hospitals clinic
    clinics centre centres center centers station stations premises site sites facility
    facilities building buildings venue venues property properties land allotment allotments
    cemetery cemeteries depot depots shop shops pub pubs hotel hotels business businesses
    organisation organisations provider providers operator operators crossing crossings
    junction junctions grit gritting salt foodbank foodbanks planning
    """
)
ASSET_PHRASES = _words(
    """
    care_home care_homes nursing_home nursing_homes car_park car_parks food_bank food_banks
    children_s_centre children_s_centres childrens_centre childrens_centres street_light
    street_lights air_quality bus_stop bus_stops recipient_org recipient_organisation
    recipient_organisations funding_org funding_organisation planning_application
    planning_applications
    """
)
#: phrases whose words are not the words above ("Pub Date" is a publication date, not a pub)
NEUTRAL_PHRASES = _words(
    """
    pub_date pub_ref pub_no publication_date published_date
    """
)
#: organisation and facility words that a home address does not carry ("Road", "House" and
#: "Court" do: "Flat 2, Albert Court" is somebody's home)
FACILITY_WORDS = (
    names.ORG_WORDS
    - voc.STREET_SUFFIXES
    - _words(
        "house hall court lodge farm manor tower towers building buildings estate estates bridge "
        "park home homes cottage cottages flat flats apartment apartments"
    )
)
_HOUSE_NUMBER = re.compile(r"^\s*(?:flat|apartment|unit)?\s*\d+[a-z]?\b", re.IGNORECASE)
_LINK = re.compile(r"@|://|^www\.", re.IGNORECASE)
#: a column of names is organisations or persons when this share of its values are
NAMES_MIN_SHARE = 0.5
#: values longer than this are not labels
VALUE_MAX_CHARS = 60
#: labels are read from the first rows only (the judgement runs on every dataset)
LABEL_ROWS = 50_000


@dataclass(frozen=True)
class SubjectJudgement:
    """The subject of a dataset's points and the evidence that decided it."""

    subject: Subject
    people: int
    assets: int
    evidence: tuple[str, ...]

    def sentence(self) -> str:
        """One plain sentence: the subject and what decided it."""
        why = "; ".join(self.evidence) if self.evidence else "no evidence either way"
        return f"subject {self.subject} (people {self.people}, assets {self.assets}: {why})"


def _tokens(text: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]


def _hits(text: str) -> tuple[set[str], set[str]]:
    """(people words, asset words) found in ``text``, phrases before single words."""
    tokens = _tokens(text)
    pairs = {f"{a}_{b}" for a, b in itertools.pairwise(tokens)}
    triples = {f"{a}_{b}_{c}" for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False)}
    joined = pairs | triples
    people_phrases = joined & PEOPLE_PHRASES
    asset_phrases = joined & ASSET_PHRASES
    # words inside a phrase belong to it: "assisted bin collection" is a household's service
    # and "care home" an institution, not a bin or a person's home
    in_people = {w for p in people_phrases for w in p.split("_")}
    in_assets = {w for p in asset_phrases for w in p.split("_")}
    neutral = {w for p in joined & NEUTRAL_PHRASES for w in p.split("_")}
    people = people_phrases | (set(tokens) - in_assets - neutral) & PEOPLE_WORDS
    assets = asset_phrases | (set(tokens) - in_people - neutral) & ASSET_WORDS
    return people, assets


def _is_facility(value: str) -> bool:
    """A name with an organisation or facility word and no house number in front."""
    if _HOUSE_NUMBER.match(value):
        return False
    return any(t in FACILITY_WORDS for t in _tokens(value))


def _labels(series: pd.Series, sample: int) -> list[str]:
    head = series.head(LABEL_ROWS).dropna().astype(str).str.strip()
    values = pd.Series(head.unique()[:sample])
    values = values[(values.str.len() > 0) & (values.str.len() < VALUE_MAX_CHARS)]
    return [v for v in values if re.search(r"[A-Za-z]{2}", v) and not _LINK.search(v)]


def judge_subject(
    frame: pd.DataFrame,
    name: str = "",
    *,
    declared: str | None = None,
    person_related: bool = False,
    sample: int = 200,
) -> SubjectJudgement:
    """Score people against assets for the points of ``frame`` and say why."""
    if declared in DECLARED:
        return SubjectJudgement(
            DECLARED[declared],
            0,
            0,
            (f"declared in the triage answers (record_subject: {declared})",),
        )
    people = assets = 0
    evidence: list[str] = []
    # a word scores once: twelve headers "Recipient Org:..." are one piece of evidence
    seen: set[str] = set()
    for label, text in [("dataset name", name), *(("header", str(c)) for c in frame.columns)]:
        p, a = (found - seen for found in _hits(text))
        seen |= p | a
        if p:
            people += 3
            evidence.append(f"{label} {text!r} names people ({', '.join(sorted(p))})")
        if a:
            assets += 2
            evidence.append(f"{label} {text!r} names places or assets ({', '.join(sorted(a))})")
    for column in frame.columns:
        values = _labels(frame[column], sample)
        if not values:
            continue
        found = names.name_evidence(values)
        facilities = sum(1 for v in values if _is_facility(v))
        if len(values) >= 3 and facilities >= NAMES_MIN_SHARE * len(values):
            assets += 3
            evidence.append(
                f"column {str(column)!r}: {facilities} of {len(values)} values name "
                "organisations or facilities"
            )
        elif len(values) >= 3 and found.person_share >= NAMES_MIN_SHARE:
            people += 3
            evidence.append(
                f"column {str(column)!r}: {found.person_like} of {found.checked} values are "
                "persons' names"
            )
        hits = [_hits(v) for v in values]
        p_words = set().union(*(h[0] for h in hits))
        a_words = set().union(*(h[1] for h in hits))
        people += 2 if p_words & PEOPLE_PHRASES else bool(p_words)
        assets += bool(a_words) and facilities < NAMES_MIN_SHARE * len(values)
        if p_words:
            evidence.append(
                f"values of {str(column)!r} name people ({', '.join(sorted(p_words)[:3])})"
            )
    if person_related:
        people += 1
        evidence.append("the column classifier found personal data")
    subject: Subject = "people" if people > assets else "assets" if assets > people else "unknown"
    return SubjectJudgement(subject, people, assets, tuple(evidence))
