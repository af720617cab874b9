"""Geometry for the overview's server-rendered SVG charts (no JavaScript, no CDN).

Functions return plain numbers and labels; the templates draw them, so every label that
comes from the data is escaped by Jinja like any other text.
"""

from __future__ import annotations

import math
from typing import Any

PALETTE = (
    "#2563eb",
    "#db2777",
    "#059669",
    "#d97706",
    "#7c3aed",
    "#dc2626",
    "#0891b2",
    "#65a30d",
    "#9333ea",
    "#475569",
)

# Verdict colours: a reviewer reads them at a glance.
VERDICT_COLOURS = {
    "pending": "#94a3b8",
    "ok": "#16a34a",
    "missed_pii": "#dc2626",
    "over_redaction": "#d97706",
    "other": "#6366f1",
    "disputed": "#a21caf",
}


def bar_chart(
    counts: dict[str, int],
    colours: dict[str, str] | None = None,
    width: int = 560,
    bar_height: int = 22,
    gap: int = 8,
    label_width: int = 150,
    max_bars: int = 12,
) -> dict[str, Any]:
    """A horizontal bar chart; more than `max_bars` categories fold into "other (N)"."""
    items = list(counts.items())
    if len(items) > max_bars:
        rest = items[max_bars - 1 :]
        items = items[: max_bars - 1] + [(f"{len(rest)} more", sum(v for _, v in rest))]
    top = max([v for _, v in items] + [1])
    plot = width - label_width - 70
    bars = []
    for i, (label, value) in enumerate(items):
        w = 0 if value <= 0 else max(2, round(plot * value / top))
        y = i * (bar_height + gap)
        colour = (colours or {}).get(label) or PALETTE[i % len(PALETTE)]
        bars.append(
            {
                "label": str(label)[:40],
                "value": value,
                "x": label_width,
                "y": y,
                "w": w,
                "h": bar_height,
                "ty": y + bar_height * 0.7,
                "vx": label_width + w + 6,
                "colour": colour,
            }
        )
    height = max(len(bars) * (bar_height + gap) - gap, bar_height)
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "label_width": label_width,
        "empty": not counts,
    }


def _nice_ceiling(v: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above v, at most 1 (a share)."""
    exp = math.floor(math.log10(v))
    for f in (1, 2, 2.5, 5, 10):
        nice = f * 10**exp
        if nice >= v - 1e-12:
            return min(1.0, nice)
    return 1.0


def bound_chart(upper: float, target: float, width: int = 560) -> dict[str, Any]:
    """The leak-rate upper bound as a bar on a 0..scale axis with the policy target marked."""
    scale = _nice_ceiling(max(target * 4, min(1.0, upper * 1.1), 0.0001))
    left, right = 10, 20
    plot = width - left - right

    def x(v: float) -> float:
        return left + plot * min(v, scale) / scale

    ticks = []
    for i in range(5):
        v = scale * i / 4
        ticks.append({"x": round(x(v), 1), "label": f"{v * 100:.3g}%"})
    return {
        "width": width,
        "height": 86,
        "bar_x": left,
        "bar_w": round(max(x(upper) - left, 2), 1),
        "target_x": round(x(target), 1),
        "ticks": ticks,
        "passes": upper <= target,
        "colour": "#16a34a" if upper <= target else "#dc2626",
        "clipped": upper > scale,
    }
