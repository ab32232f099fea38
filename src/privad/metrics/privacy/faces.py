"""Face privacy of an anonymized clip, judged by dlib against the raw clip: residual faces, identity, oracle identity.

The judge (dlib HOG or CNN detector + 128-d ResNet embedding) is not the detector privad anonymizes faces with
(CenterFace), so a method is not graded by the detector it was built around.

- Residual faces: faces the judge finds on the raw frames, and how many it still finds at the same place (IoU ≥ 0.3)
  after anonymization — per face and per frame.
- Identity leakage: faces the judge finds on anonymized frames whose embedding is within 0.6 of a reference photo.
- Oracle leakage: the anonymized pixels at every raw face box are embedded directly (no detection), so a method cannot
  look private only because it defeats the judge's detector. `oracle_leak` = oracle matches / raw matches at the same
  boxes: the share of identifiable faces that stay identifiable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import numpy as np
from supervision import box_iou_batch

from privad.metrics.privacy.identity import MATCH_DISTANCE, IdentityJudge

RESIDUAL_IOU = 0.3


@dataclass
class RawFaces:
    """What the judge sees on the raw clip: per frame the face boxes and each face's distance to the references."""

    boxes: list[np.ndarray]
    distances: list[np.ndarray]

    @property
    def faces(self) -> int:
        return sum(len(b) for b in self.boxes)

    @property
    def matched(self) -> int:
        return int(sum((d < MATCH_DISTANCE).sum() for d in self.distances))


@dataclass
class PrivacyReport:
    """Counts over one anonymized clip (see the module docstring); rates are in [0, 1]."""

    frames: int
    raw_faces: int
    raw_frames_with_faces: int
    raw_matched_faces: int
    raw_matched_frames: int
    residual_faces: int
    residual_frames: int
    identity_faces: int
    identity_frames: int
    oracle_faces: int
    oracle_frames: int
    distances: list[float] = field(default_factory=list)
    oracle_distances: list[float] = field(default_factory=list)

    @property
    def residual_face_rate(self) -> float:
        return self.residual_faces / self.raw_faces if self.raw_faces else 0.0

    @property
    def oracle_leak(self) -> float:
        return self.oracle_faces / self.raw_matched_faces if self.raw_matched_faces else 0.0

    def summary(self) -> dict:
        """Counts and rates without the distance lists, plus distance quantiles."""
        out = {k: v for k, v in asdict(self).items() if not k.endswith("distances")}
        out |= {"residual_face_rate": self.residual_face_rate, "oracle_leak": self.oracle_leak,
                "identity_frame_rate": self.identity_frames / self.frames if self.frames else 0.0}
        for name in ("distances", "oracle_distances"):
            d = np.asarray(getattr(self, name))
            out[f"{name}_quantiles"] = ({str(q): float(np.quantile(d, q / 100)) for q in (0, 5, 25, 50)}
                                        if len(d) else {})
        return out


def raw_faces(judge: IdentityJudge, frames: Iterable[np.ndarray]) -> RawFaces:
    """Run the judge on the raw clip once (reused for every method)."""
    boxes, distances = [], []
    for f in frames:
        b = judge.detect(f)
        boxes.append(b)
        distances.append(judge.distances(judge.encode(f, b)))
    return RawFaces(boxes, distances)


def privacy_report(judge: IdentityJudge, raw: RawFaces, anonymized: Iterable[np.ndarray]) -> PrivacyReport:
    """Judge an anonymized clip frame by frame against what the judge saw on the raw clip."""
    r = PrivacyReport(0, raw.faces, sum(len(b) > 0 for b in raw.boxes), raw.matched,
                      sum(bool((d < MATCH_DISTANCE).any()) for d in raw.distances), 0, 0, 0, 0, 0, 0)
    for i, frame in enumerate(anonymized):
        if i >= len(raw.boxes):
            raise ValueError(f"the anonymized clip has more frames than the raw one ({len(raw.boxes)})")
        r.frames += 1
        found = judge.detect(frame)
        d = judge.distances(judge.encode(frame, found))
        finite = d[np.isfinite(d)]
        r.distances.extend(finite.tolist())
        r.identity_faces += int((finite < MATCH_DISTANCE).sum())
        r.identity_frames += bool((finite < MATCH_DISTANCE).any())
        truth = raw.boxes[i]
        if len(truth) == 0:
            continue
        if len(found):
            hit = (box_iou_batch(truth, found) >= RESIDUAL_IOU).any(axis=1)
            r.residual_faces += int(hit.sum())
            r.residual_frames += bool(hit.any())
        oracle = judge.distances(judge.encode(frame, truth))
        oracle = oracle[np.isfinite(oracle)]
        r.oracle_distances.extend(oracle.tolist())
        r.oracle_faces += int((oracle < MATCH_DISTANCE).sum())
        r.oracle_frames += bool((oracle < MATCH_DISTANCE).any())
    if r.frames != len(raw.boxes):
        raise ValueError(f"the anonymized clip has {r.frames} frames, the raw one {len(raw.boxes)}")
    return r


def f_lambda(utility: float, leakage: float, lam: float) -> float:
    """The SPP paper's trade-off score (1 − λ)·utility + λ·(1 − privacy leakage), both in [0, 1]."""
    return (1 - lam) * utility + lam * (1 - leakage)
