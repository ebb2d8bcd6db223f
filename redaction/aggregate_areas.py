"""``aggregate_areas``: replace points by the user-supplied area (ward, LSOA...) they fall in,
with small-count suppression.

The boundary layer (GeoJSON, GeoPackage or zipped Shapefile with polygons and a code field)
is read once per path, reprojected to British National Grid and queried with one vectorised
shapely STRtree ``within`` query.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from triage.classifiers.geo import BNG, WGS84, read_points, transform
from triage.errors import ConfigError
from triage.redaction.base import Transform, TransformContext, TransformResult
from triage.redaction.spatial import SpatialParams, area_output, locate


class AggregateAreasParams(SpatialParams):
    """``areas_path`` and its ``code_field``; ``k`` minimum records per area; ``output``
    ``per_record`` (coordinates replaced by ``area_column``) or ``counts`` (a table of areas
    with at least ``k`` records); small areas remove their records (``suppress="records"``)
    or blank the area (``suppress="cell"``)."""

    areas_path: str
    code_field: str
    area_column: str = "area_code"
    k: int = Field(default=5, ge=1)
    output: Literal["per_record", "counts"] = "per_record"
    suppress: Literal["records", "cell"] = "records"


@lru_cache(maxsize=4)
def load_areas(path: str, code_field: str) -> tuple[object, np.ndarray]:
    """(STRtree over the polygons in BNG, area codes) of a boundary file."""
    import geopandas as gpd  # type: ignore[import-untyped, unused-ignore]
    import shapely  # type: ignore[import-untyped, unused-ignore]

    try:
        layer = gpd.read_file(path)
    except Exception as exc:
        raise ConfigError(f"cannot read area boundaries {path}: {type(exc).__name__}") from None
    if code_field not in layer.columns:
        raise ConfigError(f"area boundaries {path} have no field {code_field!r}")
    if layer.crs is None:
        raise ConfigError(f"area boundaries {path} declare no CRS; triage will not guess one")
    layer = layer.to_crs(BNG)
    geoms = np.asarray(layer.geometry.values, dtype=object)
    return shapely.STRtree(geoms), layer[code_field].astype(str).to_numpy(dtype=object)


def area_codes(bng: np.ndarray, path: str, code_field: str) -> np.ndarray:
    """The code of the area each BNG point lies in (None outside every area)."""
    import shapely

    tree, codes = load_areas(path, code_field)
    out = np.full(len(bng), None, dtype=object)
    ok = np.isfinite(bng).all(axis=1)
    if not ok.any():
        return out
    points = shapely.points(bng[ok])
    point_idx, area_idx = tree.query(points, predicate="within")  # type: ignore[attr-defined]
    rows = np.flatnonzero(ok)[point_idx]
    first = np.unique(rows, return_index=True)[1]  # a point on a shared edge: first area
    out[rows[first]] = codes[area_idx[first]]
    return out


class AggregateAreas(Transform[AggregateAreasParams]):
    """Aggregate points to user-supplied areas with small-count suppression."""

    id = "aggregate_areas"
    Params = AggregateAreasParams

    def apply(
        self,
        frame: pd.DataFrame,
        columns: list[str],
        params: AggregateAreasParams,
        tctx: TransformContext,
    ) -> TransformResult:
        """Per-record area codes (coordinates dropped) or a counts table."""
        cc = locate(frame, columns, params.crs, self.id)[0]
        pts = read_points(frame, cc, precision_sample=0)
        bng = pts.xy if cc.crs == BNG else transform(pts.xy, WGS84, BNG)
        codes = area_codes(bng, params.areas_path, params.code_field)
        return area_output(
            frame,
            list(cc.columns),
            codes,
            k=params.k,
            output=params.output,
            suppress=params.suppress,
            column=params.area_column,
            label=f"areas by {params.code_field}",
        )
