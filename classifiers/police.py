"""Recognise data.police.uk street-level crime files, as the police publish them.

data.police.uk publishes street-level crime already anonymised: each record's point is moved
to the nearest of a fixed set of anonymous map points ("snap points", each named "On or near
<street or place>" and chosen to cover at least eight postal addresses or none), dates are
months only, and no victim, offender or witness is named. A file in exactly that form is a
re-publication of data already public, not fresh criminal-offence microdata.

:func:`assess_street_level` says whether a table is in that form. It holds only the
published schema's columns, month-only dates, the "On or near" location vocabulary, the
published crime types and points that behave as snap points (each point carries one location
name and points are shared by several records), published outcome categories and an empty
``Context``. Anything else (an exact point per record, a
day date, an extra column, a named person) means the file is not as the police publish it.
Nothing here returns a value: only counts and reasons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

#: the columns of data.police.uk's street-level CSV, in their order
STREET_COLUMNS: tuple[str, ...] = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
#: columns a street-level file cannot do without
REQUIRED: tuple[str, ...] = ("Month", "Longitude", "Latitude", "Location", "Crime type")
#: the published crime types (data.police.uk categories)
CRIME_TYPES: frozenset[str] = frozenset(
    {
        "Anti-social behaviour",
        "Bicycle theft",
        "Burglary",
        "Criminal damage and arson",
        "Drugs",
        "Other crime",
        "Other theft",
        "Possession of weapons",
        "Public order",
        "Robbery",
        "Shoplifting",
        "Theft from the person",
        "Vehicle crime",
        "Violence and sexual offences",
    }
)
#: the published outcome categories (data.police.uk); anything else is not the police's text
OUTCOMES: frozenset[str] = frozenset(
    {
        "Action to be taken by another organisation",
        "Awaiting court outcome",
        "Court case unable to proceed",
        "Court result unavailable",
        "Defendant found not guilty",
        "Defendant sent to Crown Court",
        "Formal action is not in the public interest",
        "Further action is not in the public interest",
        "Further investigation is not in the public interest",
        "Investigation complete; no suspect identified",
        "Local resolution",
        "Offender deprived of property",
        "Offender fined",
        "Offender given a caution",
        "Offender given a drugs possession warning",
        "Offender given absolute discharge",
        "Offender given community sentence",
        "Offender given conditional discharge",
        "Offender given penalty notice",
        "Offender given suspended prison sentence",
        "Offender ordered to pay compensation",
        "Offender otherwise dealt with",
        "Offender sent to prison",
        "Status update unavailable",
        "Suspect charged as part of another case",
        "Unable to prosecute suspect",
        "Under investigation",
    }
)
#: fewest located records for the snap-point test to mean anything
MIN_LOCATED = 20
#: most distinct points per located record: snap points are shared, exact points are not
MAX_POINT_SHARE = 0.8

_MONTH = re.compile(r"^\d{4}-(?:0[1-9]|1[0-2])$")
_LOCATION = re.compile(r"^(?:On or near(?: .*)?|No [Ll]ocation)$")
_CRIME_ID = re.compile(r"^(?:[0-9a-f]{64})?$")
_COORD = re.compile(r"^-?\d{1,3}(?:\.\d{1,6})?$")


@dataclass(frozen=True)
class StreetLevel:
    """How a table compares with data.police.uk's street-level publication."""

    recognised: bool
    rows: int
    points: int
    months: tuple[str, ...]
    #: why the table is not as the police publish it (empty when recognised)
    reasons: tuple[str, ...] = ()

    def message(self) -> str:
        """A one-line account for the report (no values but months and counts)."""
        if self.recognised:
            months = ", ".join(self.months[:3]) + (" ..." if len(self.months) > 3 else "")
            return (
                f"The records follow data.police.uk's street-level crime publication: "
                f"{self.rows} records at {self.points} anonymous snap points "
                f'("On or near ..."), dates as months only ({months}), no names or contact '
                "details: a re-publication of data the police already publish anonymised."
            )
        return (
            "The headers follow data.police.uk's street-level crime file, but the data is not "
            "as the police publish it: " + "; ".join(self.reasons) + ". It is judged as "
            "record-level criminal offence data."
        )


def looks_like_street_level(columns: list[str]) -> bool:
    """True when the headers hold the street-level file's required columns."""
    return set(REQUIRED) <= {str(c).strip() for c in columns}


def assess_street_level(
    frame: pd.DataFrame, person_columns: tuple[str, ...] = ()
) -> StreetLevel | None:
    """Compare ``frame`` with data.police.uk's street-level form (None if it is not like it).

    ``person_columns`` are columns in which other detectors found names, contact details or
    other entities of people: any makes the file something other than the police's release.
    """
    columns = [str(c) for c in frame.columns]
    if not looks_like_street_level(columns):
        return None
    data = frame.rename(columns={c: str(c).strip() for c in frame.columns}).astype("string")
    data = data.fillna("")
    reasons: list[str] = []
    extra = [c for c in data.columns if c not in STREET_COLUMNS]
    if extra:
        reasons.append(f"{len(extra)} column(s) outside the published schema ({', '.join(extra)})")
    if person_columns:
        reasons.append(f"names or contact details of people in {', '.join(person_columns)}")
    months = data["Month"].str.strip()
    if not months.str.match(_MONTH).all():
        reasons.append(f"{int((~months.str.match(_MONTH)).sum())} dates are not a month (YYYY-MM)")
    location = data["Location"].str.strip()
    if not location.str.match(_LOCATION).all():
        bad = int((~location.str.match(_LOCATION)).sum())
        reasons.append(f'{bad} locations are not "On or near ..." snap-point names')
    crime = data["Crime type"].str.strip()
    if not crime.isin(CRIME_TYPES).all():
        reasons.append(
            f"{int((~crime.isin(CRIME_TYPES)).sum())} crime types are not published ones"
        )
    if "Last outcome category" in data.columns:
        outcome = data["Last outcome category"].str.strip()
        unknown = int((~(outcome.isin(OUTCOMES) | (outcome == ""))).sum())
        if unknown:
            reasons.append(f"{unknown} outcomes are not published categories")
    if "Context" in data.columns and (data["Context"].str.strip() != "").any():
        # the published files leave Context empty: text there is not the police's release
        reasons.append("the Context column holds text")
    if "Crime ID" in data.columns and not data["Crime ID"].str.strip().str.match(_CRIME_ID).all():
        reasons.append("crime IDs are not the published 64-character references")
    lon, lat = data["Longitude"].str.strip(), data["Latitude"].str.strip()
    located = (lon != "") & (lat != "")
    if not (lon[located].str.match(_COORD).all() and lat[located].str.match(_COORD).all()):
        reasons.append("coordinates are not decimal degrees as published")
    points = pd.DataFrame({"x": lon[located], "y": lat[located], "name": location[located]})
    n_located = len(points)
    n_points = int(points[["x", "y"]].drop_duplicates().shape[0])
    if n_located < MIN_LOCATED:
        reasons.append(f"only {n_located} located records, too few to tell snap points")
    elif n_points > MAX_POINT_SHARE * n_located:
        reasons.append(
            f"{n_points} distinct points for {n_located} records: points do not repeat as snap "
            "points do (exact locations)"
        )
    if n_located and int(points.groupby(["x", "y"])["name"].nunique().max()) > 1:
        reasons.append("some points carry more than one location name (not snap points)")
    return StreetLevel(
        recognised=not reasons,
        rows=len(data),
        points=n_points,
        months=tuple(sorted(set(months[months != ""]))),
        reasons=tuple(reasons),
    )
