"""An inline SVG map of points before and after treatment with sensitive buffers.

No tiles, no scripts, no external references: the SVG is self-contained so report.html works
offline. Coordinates are British National Grid metres (north up). Buffers show categories
only, never site names. Points are thinned deterministically to at most ``max_points`` per
layer (evenly spaced by position) to keep the report small.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np

BEFORE_COLOUR = "#d62728"
AFTER_COLOUR = "#1f77b4"
BUFFER_COLOUR = "#ff7f0e"
_NICE = (1, 2, 5)


def thin(points: np.ndarray, max_points: int) -> np.ndarray:
    """At most ``max_points`` finite rows, evenly spaced by position (deterministic)."""
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    pts = pts[np.isfinite(pts).all(axis=1)]
    if len(pts) <= max_points:
        return pts
    idx = np.linspace(0, len(pts) - 1, max_points).round().astype(int)
    return pts[np.unique(idx)]


def _nice_length(target: float) -> float:
    if target <= 0:
        return 1.0
    exp = math.floor(math.log10(target))
    best = 10.0**exp
    for m in _NICE:
        if m * 10.0**exp <= target:
            best = m * 10.0**exp
    return best


def render_map(
    points_before: np.ndarray,
    points_after: np.ndarray | None = None,
    buffers: Sequence[tuple[float, float, float, str]] = (),
    width: int = 800,
    height: int | None = None,
    max_points: int = 5_000,
    title: str = "Points before and after treatment",
) -> str:
    """An ``<svg>`` string: before points, after points, buffers, scale bar and legend.

    Parameters
    ----------
    points_before, points_after
        ``(n, 2)`` BNG metres (NaN rows ignored); ``points_after`` may be None.
    buffers
        ``(x, y, radius_m, category)`` per sensitive site; only buffers overlapping the map
        extent are drawn.
    width, height
        Pixels; the height follows the data's aspect ratio when None.
    max_points
        Per-layer cap after deterministic thinning.

    Elements carry classes ``pt-before``, ``pt-after``, ``buffer``, ``scale-bar``, ``legend``.
    """
    before = thin(points_before, max_points)
    after = thin(points_after, max_points) if points_after is not None else np.empty((0, 2))
    allpts = np.vstack([before, after]) if len(before) + len(after) else np.zeros((1, 2))
    xmin, ymin = allpts.min(axis=0)
    xmax, ymax = allpts.max(axis=0)
    span = max(xmax - xmin, ymax - ymin, 200.0)
    pad = span * 0.05
    xmin, xmax = xmin - pad, xmax + pad
    ymin, ymax = ymin - pad, ymax + pad
    w_m = max(xmax - xmin, 1.0)
    h_m = max(ymax - ymin, 1.0)
    legend_h = 70
    map_h = height - legend_h if height else max(int(width * h_m / w_m), 200)
    scale = min(width / w_m, map_h / h_m)
    total_h = map_h + legend_h

    def sx(x: np.ndarray | float) -> np.ndarray:
        return (np.asarray(x) - xmin) * scale

    def sy(y: np.ndarray | float) -> np.ndarray:
        return map_h - (np.asarray(y) - ymin) * scale

    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{total_h}" '
        f'viewBox="0 0 {width} {total_h}" role="img" aria-label="{html.escape(title)}">',
        f"<title>{html.escape(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{map_h}" fill="#f7f7f7" stroke="#999"/>',
    ]
    cats: dict[str, int] = {}
    for x, y, r, cat in buffers:
        if x + r < xmin or x - r > xmax or y + r < ymin or y - r > ymax:
            continue
        cats[cat] = cats.get(cat, 0) + 1
        parts.append(
            f'<circle class="buffer" data-category="{html.escape(str(cat))}" '
            f'cx="{float(sx(x)):.1f}" cy="{float(sy(y)):.1f}" r="{max(r * scale, 1.0):.1f}" '
            f'fill="{BUFFER_COLOUR}" fill-opacity="0.15" stroke="{BUFFER_COLOUR}"/>'
        )
    for cls, pts, colour in (
        ("pt-before", before, BEFORE_COLOUR),
        ("pt-after", after, AFTER_COLOUR),
    ):
        xs, ys = sx(pts[:, 0]), sy(pts[:, 1])
        parts.extend(
            f'<circle class="{cls}" cx="{a:.1f}" cy="{b:.1f}" r="2" fill="{colour}"/>'
            for a, b in zip(xs, ys, strict=True)
        )
    parts.append(_scale_bar(w_m, scale, map_h))
    parts += _legend(len(before), len(after), cats, map_h)
    parts.append("</svg>")
    return "".join(parts)


def _scale_bar(w_m: float, scale: float, map_h: int) -> str:
    """A scale bar of a nice length near a fifth of the map's width (``w_m`` metres)."""
    bar_m = _nice_length(w_m / 5)
    bar_px = bar_m * scale
    label = f"{bar_m / 1000:g} km" if bar_m >= 1000 else f"{bar_m:g} m"
    y0 = map_h - 12
    return (
        f'<g class="scale-bar"><rect x="10" y="{y0}" width="{bar_px:.1f}" height="4" fill="#000"/>'
        f'<text x="10" y="{y0 - 4}" font-size="11" font-family="sans-serif">{label}</text></g>'
    )


def _legend(n_before: int, n_after: int, cats: dict[str, int], map_h: int) -> list[str]:
    """The legend under the map: points shown per layer, buffers drawn per category."""
    ly = map_h + 18
    legend = [
        '<g class="legend" font-size="12" font-family="sans-serif">',
        f'<circle cx="14" cy="{ly - 4}" r="4" fill="{BEFORE_COLOUR}"/>'
        f'<text x="24" y="{ly}">before ({n_before:,} shown)</text>',
        f'<circle cx="194" cy="{ly - 4}" r="4" fill="{AFTER_COLOUR}"/>'
        f'<text x="204" y="{ly}">after ({n_after:,} shown)</text>',
    ]
    if cats:
        summary = ", ".join(f"{html.escape(c)} ({n})" for c, n in sorted(cats.items()))
        legend.append(
            f'<circle cx="14" cy="{ly + 20}" r="5" fill="{BUFFER_COLOUR}" fill-opacity="0.3" '
            f'stroke="{BUFFER_COLOUR}"/><text x="24" y="{ly + 24}">sensitive buffers: '
            f"{summary}</text>"
        )
    legend.append("</g>")
    return legend
