"""String frames shared by the readers and writers: column names made unique, columns of
text, and what a format's reader makes of a file (:class:`TableRead`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

#: the repair of a file whose lines end in carriage returns only: every value is read as
#: written, so the submitted file and the checked copy hold the same data
CR_LINE_ENDINGS = "line endings were carriage returns only; read as line breaks"
#: repairs that change how a file is split into rows, never what it holds
LOSSLESS_REPAIRS = frozenset({CR_LINE_ENDINGS})


@dataclass(frozen=True)
class TableRead:
    """One table as a format's reader made it: a frame of strings, the format it was read as
    (a ``.json`` file holding a FeatureCollection is ``geojson``), the nested columns left out
    and the repairs made to read it."""

    frame: pd.DataFrame
    fmt: str
    left_out: tuple[str, ...] = ()
    repairs: tuple[str, ...] = ()


def unique_names(names: Iterable[str | None]) -> list[str]:
    """Strip header names, name blanks ``unnamed_<i>`` and make duplicates unique (``a``, ``a.1``).

    >>> unique_names([" a", "a", "", "a.1"])
    ['a', 'a.1', 'unnamed_3', 'a.1.1']
    """
    out: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(names, start=1):
        base = (raw or "").strip() if isinstance(raw, str) or raw is None else str(raw).strip()
        if not base:
            base = f"unnamed_{i}"
        name = base
        n = 0
        while name in seen:
            n += 1
            name = f"{base}.{n}"
        seen.add(name)
        out.append(name)
    return out


def string_frame(columns: list[str], data: dict[str, list[str | None]]) -> pd.DataFrame:
    """A frame of string columns (missing as NA) in the given order."""
    return pd.DataFrame(
        {c: pd.array(data[c], dtype="str") for c in columns}, columns=pd.Index(columns)
    )


def as_text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as strings (missing stays missing)."""
    return frame.astype("str") if any(frame.dtypes != "str") else frame
