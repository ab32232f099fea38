"""Keep anonymizing a track's region for a few frames after its detector misses it.

ByteTrack (from the `trackers` package) gives detections stable ids. For every id we remember the last region and
its velocity; when the id goes missing — a missed detection, or a frame on which detectors did not run at all
(`detect every K`) — its region is re-emitted, moved along its velocity, for up to `hold` frames. Detections are
never removed: unmatched ones pass through with id -1, so tracking can only add regions.

ByteTrack names a track only from its second sighting. A region seen once (id -1) is kept as an *orphan* under a
private negative key and held like any track, until a current detection overlaps it (the track was adopted) or
its hold runs out — so a face seen on one frame and missed on the next is still covered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import supervision as sv
from supervision import Detections, box_iou_batch
from trackers import ByteTrackTracker

from privad.protect.detect.base import empty


@dataclass
class _Track:
    box: np.ndarray  # xyxy at the last sighting
    mask: np.ndarray  # full-frame mask at the last sighting
    class_id: int
    confidence: float
    velocity: np.ndarray  # (dx, dy) per frame
    missed: int = 0


class RegionTracker:
    """ByteTrack ids + hold-over of missed regions (`hold` frames, moved by their last velocity)."""

    def __init__(self, hold: int = 5, fps: float = 30.0, lost_buffer: int | None = None):
        self.hold = hold
        self._bytetrack = ByteTrackTracker(
            lost_track_buffer=max(lost_buffer or 0, hold, 1), frame_rate=fps, minimum_consecutive_frames=1,
            minimum_iou_threshold=0.1,
        )
        self._tracks: dict[int, _Track] = {}
        self._next_orphan = -1

    def update(self, dets: Detections, shape: tuple[int, int]) -> Detections:
        """Associate a frame's detections; return them (with ids) plus held regions of missed tracks."""
        if len(dets):
            # boxes only (masks are not copied around), no confidence: every box may start a track
            plain = Detections(xyxy=dets.xyxy, class_id=dets.class_id, data={"row": np.arange(len(dets))})
            tracked = self._bytetrack.update(plain)
            rows = np.asarray(tracked.data["row"], int)
            out = dets[rows]
            out.tracker_id = np.asarray(tracked.tracker_id, int)
        else:
            self._bytetrack.update(Detections.empty())
            out = dets
        self._drop_adopted_orphans(out)
        seen = set()
        for i, tid in enumerate(out.tracker_id if len(out) else []):
            if tid < 0:
                tid, self._next_orphan = self._next_orphan, self._next_orphan - 1
            seen.add(int(tid))
            self._observe(int(tid), out, i)
        return self._with_held(out, seen, shape)

    def _drop_adopted_orphans(self, current: Detections) -> None:
        orphans = [k for k in self._tracks if k < 0]
        if not orphans or len(current) == 0:
            return
        iou = box_iou_batch(np.stack([self._tracks[k].box for k in orphans]), current.xyxy)
        for k, best in zip(orphans, iou.max(axis=1)):
            if best >= 0.3:
                del self._tracks[k]

    def predict(self, shape: tuple[int, int]) -> Detections:
        """A frame without detection: every known track's region, moved along its velocity."""
        return self._with_held(empty(shape), set(), shape)

    def _observe(self, tid: int, dets: Detections, i: int) -> None:
        box = dets.xyxy[i].astype(np.float32)
        prev = self._tracks.get(tid)
        velocity = np.zeros(2, np.float32)
        if prev is not None:
            step = prev.missed + 1
            velocity = (_center(box) - _center(prev.box)) / step
        self._tracks[tid] = _Track(box, dets.mask[i], int(dets.class_id[i]), float(dets.confidence[i]), velocity)

    def _with_held(self, current: Detections, seen: set[int], shape: tuple[int, int]) -> Detections:
        held_boxes, held_masks, held_cls, held_conf, held_ids, offsets = [], [], [], [], [], []
        for tid in list(self._tracks):
            if tid in seen:
                continue
            track = self._tracks[tid]
            track.missed += 1
            if track.missed > self.hold:
                del self._tracks[tid]
                continue
            dx, dy = np.round(track.velocity * track.missed).astype(int)
            held_boxes.append(track.box + np.array([dx, dy, dx, dy], np.float32))
            held_masks.append(track.mask)
            offsets.append((int(dx), int(dy)))
            held_cls.append(track.class_id)
            held_conf.append(track.confidence)
            held_ids.append(tid)
        if not held_boxes:
            return current
        h, w = shape
        masks = np.stack([m if o == (0, 0) else sv.move_masks(m[None], np.array(o), (w, h))[0]
                          for m, o in zip(held_masks, offsets)])
        held = Detections(
            xyxy=sv.clip_boxes(np.stack(held_boxes), (w, h)), mask=masks,
            confidence=np.asarray(held_conf, np.float32), class_id=np.asarray(held_cls, int),
            tracker_id=np.asarray(held_ids, int), data={"held": np.ones(len(held_ids), bool)},
        )
        if len(current) == 0:
            return held
        current = Detections(xyxy=current.xyxy, mask=current.mask, confidence=current.confidence,
                             class_id=current.class_id, tracker_id=current.tracker_id,
                             data={"held": np.zeros(len(current), bool)})
        return Detections.merge([current, held])


def _center(box: np.ndarray) -> np.ndarray:
    return np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2], np.float32)
