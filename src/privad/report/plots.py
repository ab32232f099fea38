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
    span_x = (max(xs) - min(xs)) or 1.0
    step = 0.035 * ((max(ys) - min(ys)) or 1.0)
    placed: list[tuple[float, float]] = []
    for i in sorted(range(len(xs)), key=lambda i: -ys[i]):  # top to bottom, labels pushed down past each other
        ly = ys[i]
        while any(abs(xs[i] - px) < 0.25 * span_x and abs(ly - py) < step for px, py in placed):
            ly -= step
        placed.append((xs[i], ly))
        ax.annotate(labels[i], (xs[i], ys[i]), xytext=(xs[i] + 0.015 * span_x, ly), fontsize=7, va="center",
                    arrowprops={"arrowstyle": "-", "lw": 0.4, "color": "#888888"} if ly != ys[i] else None)
    if front:
        ax.plot([xs[i] for i in front], [ys[i] for i in front], color="#c0392b", lw=1.2, ls="--", marker="o",
                markersize=11, markerfacecolor="none", label="Pareto front", zorder=2)
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xlim(min(xs) - 0.05 * span_x, max(xs) + 0.2 * span_x)  # room for the labels on the right
    ax.set_xlabel("identity leakage, oracle (% of identifiable faces still identified)")
    ax.set_ylabel("frame micro AUC (%)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    Path(path).write_bytes(png_bytes(fig))


def curves_plot(history: list[dict], path: Path) -> None:
    """The training curves (one panel per loss, smoothed over 25 steps) as a PNG."""
    from privad.io.atomic import commit, temp_path_for

    import numpy as np

    keys = [k for k in ("l1", "privacy", "utility", "triplet", "anonymizer") if any(k in h for h in history)]
    plt = pyplot()
    fig, axes = plt.subplots(1, max(1, len(keys)), figsize=(3.2 * max(1, len(keys)), 3), dpi=100, squeeze=False)
    for ax, key in zip(axes[0], keys):
        pts = [(h["step"], h[key]) for h in history if key in h]
        xs, ys = np.array(pts).T
        k = min(25, len(ys))
        ax.plot(xs[k - 1:], np.convolve(ys, np.ones(k) / k, mode="valid"), color="#1f4e79")
        ax.set_title(key)
        ax.set_xlabel("step")
    fig.tight_layout()
    temp = temp_path_for(Path(path))
    temp.write_bytes(png_bytes(fig))
    commit(temp, Path(path))
