"""Generate examples/sites_example.geojson: a SYNTHETIC sensitive-site register around Leeds.

Every site is invented: random points (fixed seed) in a box around Leeds city centre with
obviously fictional names ("Fictional Refuge 03"). It exists for demos and tests only and
must never be used for real release decisions.

Run: ``cd /tmp && /work/main/.venv/bin/python /work/main/examples/generate_sites.py``
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

SEED = 4242
#: category -> number of sites
CATEGORIES = {
    "refuge": 4,
    "cni_substation": 10,
    "water_treatment": 3,
    "telecoms": 8,
    "police": 6,
    "school": 12,
    "military": 1,
    "hospital": 4,
    "prison": 2,
}
#: Leeds city centre (WGS84) and box half-size in degrees
CENTRE = (-1.5491, 53.8008)
HALF = (0.12, 0.07)


def build() -> dict[str, object]:
    """The FeatureCollection (deterministic)."""
    rng = np.random.default_rng(SEED)
    features = []
    for category, count in CATEGORIES.items():
        for i in range(1, count + 1):
            lon = CENTRE[0] + rng.uniform(-HALF[0], HALF[0])
            lat = CENTRE[1] + rng.uniform(-HALF[1], HALF[1])
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]},
                    "properties": {
                        "name": f"Fictional {category.replace('_', ' ').title()} {i:02d}",
                        "category": category,
                        "synthetic": True,
                    },
                }
            )
    return {
        "type": "FeatureCollection",
        "name": "synthetic_sensitive_sites_leeds",
        "description": "SYNTHETIC example register: invented sites, fictional names. Demo only.",
        "features": features,
    }


def main() -> None:
    """Write the register next to this script."""
    out = Path(__file__).with_name("sites_example.geojson")
    out.write_text(json.dumps(build(), indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
