"""Static plots (matplotlib, Agg back-end) as PNG files or bytes."""

from __future__ import annotations

import io
from pathlib import Path


def pyplot():
    """matplotlib.pyplot on the headless Agg back-end."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def png_bytes(fig) -> bytes:
    """Render and close a figure."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    pyplot().close(fig)
    return buf.getvalue()


def tradeoff_plot(points: list[tuple[float, float]], labels: list[str], front: list[int], path: Path) -> None:
    """Privacy leakage (x) against utility (y), one labelled point per setting, the Pareto front as a line."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=100)
    xs, ys = [100 * p[0] for p in points], [100 * p[1] for p in points]
    ax.scatter(xs, ys, color="#1f4e79", zorder=3)
    for x, y, label in zip(xs, ys, labels):
        ax.annotate(label, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
    if front:
        ax.plot([xs[i] for i in front], [ys[i] for i in front], color="#c0392b", lw=1.2, ls="--", marker="o",
                markersize=11, markerfacecolor="none", label="Pareto front", zorder=2)
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xlabel("identity leakage, oracle (% of identifiable faces still identified)")
    ax.set_ylabel("frame micro AUC (%)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    Path(path).write_bytes(png_bytes(fig))
