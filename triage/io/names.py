"""Input names as they may be shown and written: a file name or sheet title that may identify
a person (contact data, a person's name, a street address) is replaced by a neutral one
(``dataset-N.csv``, ``Sheet N``), never the same as another input's; other names are kept.
A name is data no detector reads, so it is judged here before it reaches a report."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

#: a sheet title that may identify a person: an e-mail address, a long run of digits (a phone
#: or NHS number), a UK postcode
_IDENTIFYING_TITLE = re.compile(
    r"@|\d{6,}|\d[\d ]{8,}\d|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE
)


def _identifying_title(title: str) -> bool:
    """True for a sheet title holding contact data or a person's name (two words or more,
    corroborated by the name lexicons): it is data no detector reads."""
    from triage.classifiers.names import is_person_name

    return bool(_IDENTIFYING_TITLE.search(title)) or (
        len(title.split()) >= 2 and is_person_name(title)
    )


def _neutral(
    names: list[str], identifying: Callable[[str], bool], neutral: Callable[[int, str], str]
) -> dict[str, str]:
    """Each name as it may be shown and written: an identifying one as ``neutral(n, name)``
    (``n`` its position; ``+`` added until it is no other name), the others kept."""
    taken = {t for t in names if not identifying(t)}
    shown: dict[str, str] = {}
    for n, name in enumerate(names, start=1):
        if name in taken:
            shown[name] = name
            continue
        candidate = neutral(n, name)
        while candidate in taken:
            stem, dot, suffix = candidate.partition(".")
            candidate = f"{stem}+{dot}{suffix}"
        taken.add(candidate)
        shown[name] = candidate
    return shown


def neutral_titles(titles: list[str]) -> dict[str, str]:
    """Each sheet title as it may be shown and written: an identifying one as ``Sheet N``
    (its position), never the same as another sheet's."""
    return _neutral(titles, _identifying_title, lambda n, _: f"Sheet {n}")


def identifying_file_name(name: str) -> bool:
    """True for a file name whose stem may identify a person: as a sheet title (contact data,
    a corroborated name) or holding a street address or a titled or listed person's name, as
    the text finders read them (underscores and hyphens read as spaces)."""
    from triage.classifiers.text_address import find_addresses
    from triage.classifiers.text_names import labelled_names, lexicon_names

    stem = Path(name).stem
    words = re.sub(r"[_\-]+", " ", stem).strip()
    return (
        _identifying_title(stem)
        or _identifying_title(words)
        or bool(find_addresses(words) or labelled_names(words) or lexicon_names(words))
    )


def neutral_file_names(names: list[str]) -> dict[str, str]:
    """Each input file name as it may be shown and written: one whose stem may identify a
    person (judged as a sheet title is) as ``dataset-N`` with its suffix (its position),
    never the same as another input's; other names are kept."""
    return _neutral(
        names,
        identifying_file_name,
        lambda n, name: f"dataset-{n}{''.join(Path(name).suffixes[-1:]).lower()}",
    )
