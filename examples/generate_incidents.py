"""Generate examples/incidents.csv: SYNTHETIC anti-social-behaviour incident reports in Leeds.

300 invented incidents with WGS84 points (5-6 decimal places), an incident type and the date
reported. No names, no free text. About a tenth of the points are placed within a few hundred
metres of sites in ``examples/sites_example.geojson`` (itself synthetic) so the proximity
check and the map's sensitive buffers have something to show. Fixed seed: the output is the
same on every run.

Run: ``cd /tmp && /work/main/.venv/bin/python /work/main/examples/generate_incidents.py``
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
SEED = 3003
ROWS = 300
NEAR_SITES = 30
#: Leeds city centre (WGS84) and box half-size in degrees (as generate_sites.py)
CENTRE = (-1.5491, 53.8008)
HALF = (0.12, 0.07)
INCIDENT_TYPES = [
    "Noise nuisance",
    "Rowdy behaviour",
    "Vehicle nuisance",
    "Littering",
    "Vandalism",
    "Drug paraphernalia",
    "Street drinking",
    "Nuisance neighbours",
]
START = dt.date(2024, 1, 1)
DAYS = 366


def _site_points() -> list[tuple[float, float]]:
    """(lon, lat) of the sites in the example register."""
    register = json.loads((HERE / "sites_example.geojson").read_text(encoding="utf-8"))
    return [tuple(f["geometry"]["coordinates"]) for f in register["features"]]


def build() -> list[dict[str, str]]:
    """The incident rows (deterministic)."""
    rng = np.random.default_rng(SEED)
    sites = _site_points()
    rows = []
    for i in range(ROWS):
        if i % (ROWS // NEAR_SITES) == 0:
            lon0, lat0 = sites[int(rng.integers(len(sites)))]
            # within 150 m of the site: 1 degree latitude ~ 111 km
            dist_m = rng.uniform(10.0, 150.0)
            angle = rng.uniform(0.0, 2 * math.pi)
            lat = lat0 + dist_m * math.sin(angle) / 111_000.0
            lon = lon0 + dist_m * math.cos(angle) / (111_000.0 * math.cos(math.radians(lat0)))
        else:
            lon = CENTRE[0] + rng.uniform(-HALF[0], HALF[0])
            lat = CENTRE[1] + rng.uniform(-HALF[1], HALF[1])
        places = 5 + int(rng.integers(2))
        day = START + dt.timedelta(days=int(rng.integers(DAYS)))
        rows.append(
            {
                "incident_ref": f"ASB-{24000 + i}",
                "incident_type": INCIDENT_TYPES[int(rng.integers(len(INCIDENT_TYPES)))],
                "reported_on": day.isoformat(),
                "latitude": f"{lat:.{places}f}",
                "longitude": f"{lon:.{places}f}",
            }
        )
    return rows


def main() -> None:
    """Write incidents.csv next to this script."""
    rows = build()
    with (HERE / "incidents.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
