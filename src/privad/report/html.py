"""A self-contained HTML report of a run: score timeline, events table, anonymized thumbnails of event peaks."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import cv2
import numpy as np

from privad.report.plots import png_bytes, pyplot
from privad.types import Event


def _spans(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) frame of each run of True."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2], edges[1::2] - 1))


def timeline_png(scores: np.ndarray, threshold: float, events: list[Event], fps: float,
                 threshold_label: str = "threshold (training 99th pct.)",
                 calibration: tuple[int, int] | None = None, labels: np.ndarray | None = None) -> bytes:
    """The score timeline: the threshold, shaded events, the calibration span (the frames taken as normal) and,
    when known, the ground-truth abnormal spans (matplotlib, PNG bytes)."""
    plt = pyplot()
    t = np.arange(len(scores)) / fps
    fig, ax = plt.subplots(figsize=(10, 3.2), dpi=100)
    ax.plot(t, scores, lw=1.2, color="#1f4e79", label="anomaly score")
    ax.axhline(threshold, color="#c0392b", ls="--", lw=1, label=threshold_label)
    for i, e in enumerate(events):
        ax.axvspan(e.start_s, e.end_s, color="#e67e22", alpha=0.25, label="event" if i == 0 else None)
        ax.annotate(f"#{i + 1}", (e.peak / fps, 1.0), xycoords=("data", "axes fraction"), ha="center", va="bottom",
                    fontsize=8, color="#a04000")
    if calibration is not None:
        ax.axvspan(calibration[0] / fps, (calibration[1] + 1) / fps, color="#27ae60", alpha=0.15,
                   label="calibration (taken as normal)")
    if labels is not None:
        for i, (a, b) in enumerate(_spans(np.asarray(labels) > 0)):
            ax.axvspan(a / fps, (b + 1) / fps, ymin=0, ymax=0.06, color="#7d3c98",
                       label="labelled abnormal" if i == 0 else None)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("score")
    ax.legend(loc="upper left", fontsize=8, ncol=3)
    fig.tight_layout()
    return png_bytes(fig)


def thumbnail(frame: np.ndarray, regions: list[tuple], top: int = 3, width: int = 480) -> bytes:
    """An (already anonymized) frame with its highest-scoring regions drawn, as JPEG bytes: each box is labelled
    with its rank and its score (as in regions.csv), in text sized for the thumbnail, not the frame."""
    scale = width / frame.shape[1]
    image = cv2.resize(frame, (width, round(frame.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    font, size = cv2.FONT_HERSHEY_SIMPLEX, 0.5
    for rank, (_, x1, y1, x2, y2, score) in enumerate(sorted(regions, key=lambda r: -r[5])[:top], start=1):
        p1, p2 = (int(x1 * scale), int(y1 * scale)), (int(x2 * scale), int(y2 * scale))
        cv2.rectangle(image, p1, p2, (0, 0, 255), 2)
        text = f"#{rank} {score:.2f}"
        (tw, th), base = cv2.getTextSize(text, font, size, 1)
        y = p1[1] - 4 if p1[1] - th - base - 4 >= 0 else p2[1] + th + 4
        x = min(max(0, p1[0]), max(0, image.shape[1] - tw - 2))
        cv2.rectangle(image, (x, y - th - 2), (x + tw + 2, y + base), (0, 0, 255), -1)
        cv2.putText(image, text, (x + 1, y), font, size, (255, 255, 255), 1, cv2.LINE_AA)
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes()


LEGEND = """<p class="legend"><b>How to read this.</b> The curve is the anomaly score of each frame (the most abnormal
object of the frame, smoothed over time); higher is more unusual. The dashed line is the threshold: {threshold}.
Orange spans are events (stretches above the threshold), numbered as in the table.{calibration}{labels}
Each picture is the event's peak frame <i>{shown}</i>, with red boxes around its up to three
highest-scoring regions, labelled with their rank and score (the same numbers as in regions.csv).</p>"""


def _b64(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def write_report(path: Path, title: str, scores: np.ndarray, threshold: float, fps: float, events: list[Event],
                 thumbs: dict[int, bytes], summary: dict, calibration: tuple[int, int] | None = None,
                 labels: np.ndarray | None = None, clips: dict[int, str] | None = None,
                 shown: str = "as written to anonymized.mp4") -> None:
    """Write the report page (images embedded). `calibration`: the first and last frame a calibrated model took as
    normal (drawn, and the threshold named after it); `labels`: ground-truth frame labels, when known; `clips`: per
    event peak, the path (relative to the page) of a short anonymized clip of the event; `thumbs`: per event peak,
    its picture (JPEG; an event without one gets none); `shown`: what the pictures are."""
    clips = clips or {}

    def picture(e: Event) -> str:
        data = thumbs.get(e.peak)  # none when the peak frame could not be read back
        return f"<img src='{_b64(data, 'image/jpeg')}' alt='peak frame {e.peak}'>" if data else ""

    def clip(e: Event) -> str:
        name = clips.get(e.peak)
        return (f"<video controls muted preload='metadata' src='{html.escape(name)}' width='320'></video>"
                if name else "")

    rows = "\n".join(
        f"<tr><td>{i + 1}</td><td>{e.start_s:.2f}–{e.end_s:.2f} s</td><td>{e.start}–{e.end}</td>"
        f"<td>{e.peak}</td><td>{e.peak_score:.2f}</td>"
        f"<td>{picture(e)}</td><td>{clip(e)}</td></tr>"
        for i, e in enumerate(events)
    ) or "<tr><td colspan='7'>no events above the threshold</td></tr>"
    basis = "the calibration frames" if calibration is not None else "the training videos"
    threshold_label = f"threshold (99th pct. of {basis})"
    legend = LEGEND.format(
        shown=html.escape(shown), threshold=f"the 99th percentile of the frame scores of {basis}",
        calibration=(f" The green span (frames {calibration[0]}–{calibration[1]}) is the footage the model was "
                     "calibrated on, taken as normal." if calibration is not None else ""),
        labels=(" Purple marks along the bottom are the ground-truth abnormal frames." if labels is not None else ""))
    facts = "".join(f"<li><b>{html.escape(str(k))}</b>: {html.escape(str(v))}</li>" for k, v in summary.items())
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:middle}}img{{display:block}}
.legend{{max-width:900px;line-height:1.4}}</style></head>
<body><h1>{html.escape(title)}</h1>
<ul>{facts}</ul>
<h2>Anomaly score</h2>
<img id="timeline" src="{_b64(timeline_png(scores, threshold, events, fps, threshold_label, calibration, labels),
                                'image/png')}" alt="score timeline">
{legend}
<h2>Events ({len(events)})</h2>
<table id="events"><tr><th>#</th><th>time</th><th>frames</th><th>peak frame</th><th>peak score</th>
<th>peak (anonymized)</th><th>clip (anonymized)</th></tr>
{rows}
</table></body></html>
"""
    from privad.io.atomic import commit, temp_path_for

    temp = temp_path_for(Path(path))
    temp.write_text(page)
    commit(temp, Path(path))
