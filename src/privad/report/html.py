"""A self-contained HTML report of a run: score timeline, events table, anonymized thumbnails of event peaks."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import cv2
import numpy as np

from privad.report.plots import png_bytes, pyplot
from privad.types import Event


def timeline_png(scores: np.ndarray, threshold: float, events: list[Event], fps: float) -> bytes:
    """The score timeline with the threshold and shaded events (matplotlib, PNG bytes)."""
    plt = pyplot()
    t = np.arange(len(scores)) / fps
    fig, ax = plt.subplots(figsize=(10, 3), dpi=100)
    ax.plot(t, scores, lw=1.2, color="#1f4e79", label="anomaly score")
    ax.axhline(threshold, color="#c0392b", ls="--", lw=1, label="threshold (training 99th pct.)")
    for e in events:
        ax.axvspan(e.start_s, e.end_s, color="#e67e22", alpha=0.25)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("score")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return png_bytes(fig)


def thumbnail(frame: np.ndarray, regions: list[tuple], top: int = 3, width: int = 320) -> bytes:
    """An (already anonymized) frame with its highest-scoring regions drawn, as JPEG bytes."""
    image = frame.copy()
    for _, x1, y1, x2, y2, score in sorted(regions, key=lambda r: -r[5])[:top]:
        cv2.rectangle(image, (int(x1), int(y1)), (int(x2), int(y2)), (0, 0, 255), 2)
        cv2.putText(image, f"{score:.1f}", (int(x1), max(10, int(y1) - 3)), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                    (0, 0, 255), 1, cv2.LINE_AA)
    scale = width / image.shape[1]
    image = cv2.resize(image, (width, round(image.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes()


def _b64(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def write_report(path: Path, title: str, scores: np.ndarray, threshold: float, fps: float, events: list[Event],
                 thumbs: dict[int, bytes], summary: dict) -> None:
    """Write the report page (images embedded, no external files)."""
    rows = "\n".join(
        f"<tr><td>{i + 1}</td><td>{e.start_s:.2f}–{e.end_s:.2f} s</td><td>{e.start}–{e.end}</td>"
        f"<td>{e.peak}</td><td>{e.peak_score:.2f}</td>"
        f"<td><img src='{_b64(thumbs[e.peak], 'image/jpeg')}' alt='peak frame {e.peak}'></td></tr>"
        for i, e in enumerate(events)
    ) or "<tr><td colspan='6'>no events above the threshold</td></tr>"
    facts = "".join(f"<li><b>{html.escape(str(k))}</b>: {html.escape(str(v))}</li>" for k, v in summary.items())
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:middle}}img{{display:block}}</style></head>
<body><h1>{html.escape(title)}</h1>
<ul>{facts}</ul>
<h2>Anomaly score</h2>
<img id="timeline" src="{_b64(timeline_png(scores, threshold, events, fps), 'image/png')}" alt="score timeline">
<h2>Events ({len(events)})</h2>
<table id="events"><tr><th>#</th><th>time</th><th>frames</th><th>peak frame</th><th>peak score</th>
<th>peak (anonymized)</th></tr>
{rows}
</table></body></html>
"""
    from privad.io.atomic import commit, temp_path_for

    temp = temp_path_for(Path(path))
    temp.write_text(page)
    commit(temp, Path(path))
