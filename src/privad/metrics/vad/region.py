"""Region- and track-based detection criteria (RBDC, TBDC; Ramachandra & Jones, WACV 2020).

Detections (video, frame, x1, y1, x2, y2, score) are taken highest score first. A detection is a true positive when
it overlaps (IoU >= 0.1) a ground-truth region of its frame that no earlier detection matched — the unmatched one
with the highest IoU, which then counts as matched. One that overlaps only already-matched regions is neither a true
nor a false positive; one that overlaps no region is a false positive. After each detection:
RBDR = matched regions / all regions, TBDR = share of tracks with >= 10 % of their regions matched,
FPR = false positives / test frames. The curves start at (0, 0); RBDC and TBDC are their trapezoid areas for FPR in
[0, 1] (points past 1 are cut, a curve ending before 1 is extended flat). Ties in score keep the input order.
Boxes are (x1, y1, x2, y2) with exclusive x2, y2 (a one-pixel box is (x, y, x + 1, y + 1)).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import cv2
import numpy as np

from privad.errors import PrivadError

IOU_THRESHOLD = 0.1
TRACK_SHARE = 0.1


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of `box` with each of `boxes` (N, 4), all (x1, y1, x2, y2) with exclusive x2, y2."""
    x1 = np.maximum(box[0], boxes[:, 0])
    y1 = np.maximum(box[1], boxes[:, 1])
    x2 = np.minimum(box[2], boxes[:, 2])
    y2 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-12)


def detection_curves(detections: Sequence, gt_regions: Sequence, num_frames: int) -> tuple[np.ndarray, ...]:
    """(fpr, rbdr, tbdr) after each detection, starting at (0, 0, 0)."""
    if num_frames <= 0:
        raise PrivadError("num_frames must be positive")
    if len(gt_regions) == 0:
        raise PrivadError("no ground-truth regions: RBDC/TBDC are undefined")
    by_frame: dict[tuple, list[int]] = defaultdict(list)
    boxes = np.zeros((len(gt_regions), 4))
    track_of = []
    for i, (video, track, frame, x1, y1, x2, y2) in enumerate(gt_regions):
        by_frame[(video, int(frame))].append(i)
        boxes[i] = (x1, y1, x2, y2)
        track_of.append((video, track))
    track_sizes: dict[tuple, int] = defaultdict(int)
    for t in track_of:
        track_sizes[t] += 1
    matched = np.zeros(len(gt_regions), bool)
    track_hits: dict[tuple, int] = defaultdict(int)
    detected_tracks = 0
    order = sorted(range(len(detections)), key=lambda k: -float(detections[k][6]))
    fp = 0
    fpr, rbdr, tbdr = [0.0], [0.0], [0.0]
    for k in order:
        video, frame, x1, y1, x2, y2, score = detections[k]
        if not np.isfinite(float(score)):
            raise PrivadError(f"detection {k} (video {video}, frame {frame}) has a non-finite score")
        candidates = by_frame.get((video, int(frame)), [])
        if candidates:
            idx = np.asarray(candidates)
            iou = box_iou(np.array([x1, y1, x2, y2], float), boxes[idx])
            overlapping = idx[iou >= IOU_THRESHOLD]
            if len(overlapping) == 0:
                fp += 1
            else:
                free = iou[iou >= IOU_THRESHOLD][~matched[overlapping]]
                if len(free):
                    best = overlapping[~matched[overlapping]][int(np.argmax(free))]
                    matched[best] = True
                    t = track_of[best]
                    before = track_hits[t] >= TRACK_SHARE * track_sizes[t]
                    track_hits[t] += 1
                    if not before and track_hits[t] >= TRACK_SHARE * track_sizes[t]:
                        detected_tracks += 1
        else:
            fp += 1
        fpr.append(fp / num_frames)
        rbdr.append(matched.sum() / len(gt_regions))
        tbdr.append(detected_tracks / len(track_sizes))
    return np.array(fpr), np.array(rbdr), np.array(tbdr)


def _area(fpr: np.ndarray, rate: np.ndarray) -> float:
    keep = fpr <= 1.0
    x, y = fpr[keep], rate[keep]
    if x[-1] < 1.0:
        x, y = np.append(x, 1.0), np.append(y, y[-1])
    return float(np.trapezoid(y, x))


def rbdc_tbdc(detections: Sequence, gt_regions: Sequence, num_frames: int) -> tuple[float, float]:
    """RBDC and TBDC. `detections`: rows (video, frame, x1, y1, x2, y2, score); `gt_regions`: rows
    (video, track_id, frame, x1, y1, x2, y2); `num_frames`: all test frames."""
    fpr, rbdr, tbdr = detection_curves(detections, gt_regions, num_frames)
    return _area(fpr, rbdr), _area(fpr, tbdr)


def regions_from_masks(masks: Mapping[str, Sequence[np.ndarray]], min_area: int = 1) -> list[tuple]:
    """Ground-truth regions from pixel masks: connected components per frame, linked into tracks.

    `masks` maps a video name to its per-frame masks (any non-zero pixel is anomalous). A component continues the
    track of the previous frame's component it shares the most pixels with; otherwise it starts a new track.
    Returns rows (video, track_id, frame, x1, y1, x2, y2), track ids numbered per video from 0.
    """
    rows: list[tuple] = []
    for video, frames in masks.items():
        prev_labels, prev_tracks, next_track = None, {}, 0
        for f, mask in enumerate(frames):
            binary = (np.asarray(mask) > 0).astype(np.uint8)
            n, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
            tracks = {}
            taken: set[int] = set()
            for c in range(1, n):
                if stats[c, cv2.CC_STAT_AREA] < min_area:
                    continue
                track = None
                if prev_labels is not None:
                    overlap = np.bincount(prev_labels[labels == c], minlength=1)
                    overlap[0] = 0
                    for p in np.argsort(overlap)[::-1]:
                        if overlap[p] == 0:
                            break
                        if p in prev_tracks and prev_tracks[p] not in taken:
                            track = prev_tracks[p]
                            break
                if track is None:
                    track, next_track = next_track, next_track + 1
                taken.add(track)
                tracks[c] = track
                x, y, w, h = stats[c, :4]
                rows.append((video, track, f, int(x), int(y), int(x + w), int(y + h)))
            prev_labels, prev_tracks = labels, tracks
    return rows
