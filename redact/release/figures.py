"""The card's charts, rendered offline as PNG with matplotlib's Agg canvas (no display, no
network, no pyplot global state). Output is deterministic for a matplotlib version: the PNG
carries no timestamp or software tag, so the same run gives the same SHA256SUMS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

TOP_N = 15
MAX_TURNS = 10  # turn counts at or above this share one bar ("10+")
_BAR = "#3b6ea5"
_OTHER = "#9aa5b1"


def _integer_axis(axis) -> None:
    """Count axes: whole-number ticks at round steps, with thousands separators."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))


def _figure(height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", metadata={"Software": None})


def _top(counts: dict[str, int], n: int = TOP_N) -> tuple[list[str], list[int], list[str]]:
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    head, tail = items[:n], items[n:]
    labels = [k for k, _ in head]
    values = [v for _, v in head]
    colors = [_BAR] * len(head)
    if tail:
        labels.append(f"other ({len(tail)})")
        values.append(sum(v for _, v in tail))
        colors.append(_OTHER)
    return labels, values, colors


def _hbar(
    path: Path, title: str, xlabel: str, labels: list[str], values: list[int], colors: list[str]
) -> None:
    fig = _figure(max(2.5, 0.38 * len(labels) + 1.4))
    ax = fig.add_subplot()
    if not values:
        ax.text(0.5, 0.5, "none", ha="center", va="center", fontsize=14, transform=ax.transAxes)
        ax.set_axis_off()
    else:
        ys = list(range(len(labels)))
        ax.barh(ys, values, color=colors)
        ax.set_yticks(ys, labels)
        ax.invert_yaxis()
        peak = max(values)
        for y, v in zip(ys, values, strict=True):
            ax.text(v + peak * 0.01, y, f"{v:,}", va="center", fontsize=9)
        ax.set_xlim(0, peak * 1.15 if peak else 1)
        ax.set_xlabel(xlabel)
        _integer_axis(ax.xaxis)
        ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(title, loc="left")
    fig.tight_layout()
    _save(fig, path)


def models_chart(path: Path, models: dict[str, int]) -> None:
    labels, values, colors = _top(models)
    total = sum(models.values())
    _hbar(
        path,
        f"Conversations per model ({len(models)} models, {total:,} conversations)",
        "conversations",
        labels,
        values,
        colors,
    )


def languages_chart(path: Path, languages: dict[str, int]) -> None:
    labels, values, colors = _top(languages)
    _hbar(
        path, f"Top languages ({len(languages)} languages)", "conversations", labels, values, colors
    )


def replacements_chart(path: Path, by_type: dict[str, int], prefixes: dict[str, str]) -> None:
    items = sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0]))
    labels = [f"{k} ({prefixes[k]}_n)" if k in prefixes else k for k, _ in items]
    values = [v for _, v in items]
    _hbar(
        path,
        f"Replacements by entity type ({sum(values):,} in all)",
        "placeholders inserted",
        labels,
        values,
        [_BAR] * len(values),
    )


def turns_chart(path: Path, turns: dict[int, int]) -> None:
    top = min(max(turns, default=1), MAX_TURNS)
    buckets = {str(t): turns.get(t, 0) for t in range(0 if turns.get(0) else 1, top)}
    buckets[f"{top}+" if top == MAX_TURNS else str(top)] = sum(
        c for t, c in turns.items() if t >= top
    )
    fig = _figure(3.6)
    ax = fig.add_subplot()
    xs = list(range(len(buckets)))
    values = list(buckets.values())
    ax.bar(xs, values, color=_BAR)
    ax.set_xticks(xs, list(buckets))
    peak = max(values) if values else 0
    for x, v in zip(xs, values, strict=True):
        if v:
            ax.text(x, v + peak * 0.01, f"{v:,}", ha="center", va="bottom", fontsize=9)
    ax.set_ylim(0, peak * 1.15 if peak else 1)
    ax.set_xlabel("user turns per conversation")
    ax.set_ylabel("conversations")
    _integer_axis(ax.yaxis)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title("Turns per conversation", loc="left")
    fig.tight_layout()
    _save(fig, path)


FIGURES = (
    ("models.png", "Conversations per model"),
    ("languages.png", "Top languages"),
    ("turns.png", "Turns per conversation"),
    ("replacements.png", "Replacements by entity type"),
)


def render_all(
    figures_dir: Path, stats: dict[str, Any], by_type: dict[str, int], prefixes: dict[str, str]
) -> list[str]:
    """Write every chart; returns their file names (relative to `figures_dir`)."""
    models_chart(figures_dir / "models.png", stats["models"])
    languages_chart(figures_dir / "languages.png", stats["languages"])
    turns_chart(figures_dir / "turns.png", stats["turns"])
    replacements_chart(figures_dir / "replacements.png", by_type, prefixes)
    return [name for name, _ in FIGURES]
