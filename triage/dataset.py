"""The in-memory dataset handed to the engine."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Dataset:
    """One tabular dataset: its name (the file name; ``book.xlsx#<sheet>`` for one sheet of a
    workbook of several), content hash, format and data.

    Every column of ``frame`` holds strings (``object`` or ``string`` dtype) or missing
    values exactly as read, so detectors see what a reader of the file would see.
    """

    name: str
    sha256: str
    format: str
    frame: pd.DataFrame
    #: EPSG code of the coordinates when the file declares one (GeoPackage, Shapefile, WKT)
    crs: int | None = None
    #: nested columns of the file left out of ``frame``: too many leaves to flatten and check
    left_out: tuple[str, ...] = ()
    #: what the reader did to read a messy file, in plain sentences (title lines above the
    #: header skipped, broken rows left out): the released copy is what was read
    repairs: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        """Number of records."""
        return len(self.frame)
