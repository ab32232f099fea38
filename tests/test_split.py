"""Splitting merged blobs (privad.vad.split) on constructed masks and flows with known answers."""

import cv2
import numpy as np
import pytest

from privad.errors import PrivadError
from privad.vad.regions import RegionExtractor
from privad.vad.split import split_by_columns, split_by_flow, split_by_shape, split_regions


def two_boxes() -> tuple[np.ndarray, np.ndarray]:
    """A 40x20 walker (x 20-39) touching a 40x30 cyclist (x 40-69) in one blob."""
    mask = np.zeros((100, 120), bool)
    mask[30:70, 20:70] = True
    flow = np.zeros((100, 120, 2), np.float32)
    flow[30:70, 20:40] = (0.8, 0.2)
    flow[30:70, 40:70] = (5.0, 0.0)
    return mask, flow


def test_two_motions_come_apart_and_one_motion_stays_whole():
    mask, flow = two_boxes()
    parts = split_by_flow(mask, flow, min_area=40)
    boxes = sorted(tuple(int(v) for v in cv2.boundingRect(p.astype(np.uint8))) for p in parts)
    assert boxes == [(20, 30, 20, 40), (40, 30, 30, 40)]
    assert sum(p.sum() for p in parts) >= 0.99 * mask.sum()  # all but the corners the opening rounds off
    # a walker's limbs: speeds 1 and 2 px/frame differ by less than the rule's 1.5 px/frame
    limbs = flow.copy()
    limbs[30:70, 20:40], limbs[30:70, 40:70] = (1.0, 0.0), (2.0, 0.0)
    assert len(split_by_flow(mask, limbs, min_area=40)) == 1
    # a part below min_area is not a region: the blob stays whole
    assert len(split_by_flow(mask, flow, min_area=900)) == 1


def test_two_bodies_joined_by_a_neck_come_apart():
    mask = np.zeros((80, 140), np.uint8)
    cv2.circle(mask, (35, 40), 22, 1, -1)
    cv2.circle(mask, (105, 40), 22, 1, -1)
    mask[38:42, 35:105] = 1  # a 4-px bridge
    parts = split_by_shape(mask.astype(bool), min_area=40)
    assert len(parts) == 2
    centres = sorted(int(np.nonzero(p)[1].mean()) for p in parts)
    assert abs(centres[0] - 35) <= 3 and abs(centres[1] - 105) <= 3
    disc = np.zeros((80, 140), np.uint8)
    cv2.circle(disc, (70, 40), 25, 1, -1)
    assert len(split_by_shape(disc.astype(bool), min_area=40)) == 1


def test_split_regions_keeps_unsplit_blobs_and_boxes_the_parts():
    mask, flow = two_boxes()
    lone = np.zeros_like(mask)
    lone[80:95, 100:110] = True
    boxes = np.array([[20, 30, 70, 70], [100, 80, 110, 95]], np.float32)
    out, masks = split_regions(boxes, np.stack([mask, lone]), flow, "flow", 40)
    assert sorted(map(tuple, out.tolist())) == [(20, 30, 40, 70), (40, 30, 70, 70), (100, 80, 110, 95)]
    assert len(masks) == 3
    same, _ = split_regions(boxes, np.stack([mask, lone]), flow, "none", 40)
    assert (same == boxes).all()


def test_both_splits_by_motion_then_by_shape():
    """Two walkers side by side (one motion, joined at a narrow neck) beside a fast cyclist: `flow` takes the cyclist
    off, `both` also parts the walkers; `shape` alone gives the walkers' and the cyclist's cores."""
    mask = np.zeros((100, 200), np.uint8)
    cv2.circle(mask, (35, 50), 20, 1, -1)
    cv2.circle(mask, (95, 50), 20, 1, -1)
    mask[48:52, 35:95] = 1
    mask[30:70, 115:160] = 1
    mask[48:52, 95:115] = 1
    mask = mask.astype(bool)
    flow = np.zeros((100, 200, 2), np.float32)
    flow[mask] = (1.0, 0.0)
    flow[30:70, 115:160] = (6.0, 0.0)
    box = np.array([[15, 30, 160, 71]], np.float32)
    counts = {rule: len(split_regions(box, mask[None], flow, rule, 40)[1]) for rule in ("flow", "both")}
    assert counts == {"flow": 2, "both": 3}
    boxes, masks = split_regions(box, mask[None], flow, "both", 40)
    centres = sorted(int(np.nonzero(m)[1].mean()) for m in masks)
    assert abs(centres[0] - 35) <= 4 and abs(centres[1] - 95) <= 4 and centres[2] > 120
    for b, m in zip(boxes, masks):  # each box is its mask's extent, in frame pixels
        ys, xs = np.nonzero(m)
        assert tuple(b) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)


def test_all_also_cuts_side_by_side_walkers_at_their_column_valley():
    """Two 40-px-tall walkers side by side, one motion, joined by a 10-px-tall band (too broad a join for two
    cores): `both` keeps one blob, `all` cuts it at the band, each walker whole. A walker whose legs part (the upper
    body, half its height, spans the gap) and a car (no valley) stay whole."""
    mask = np.zeros((60, 60), bool)
    mask[10:50, 10:24] = mask[10:50, 32:46] = True
    mask[18:28, 24:32] = True
    flow = np.zeros((60, 60, 2), np.float32)
    flow[mask] = (1.0, 0.0)
    box = np.array([[10, 10, 46, 50]], np.float32)
    assert len(split_regions(box, mask[None], flow, "both", 40)[1]) == 1
    boxes, _ = split_regions(box, mask[None], flow, "all", 40)
    left, right = sorted(boxes.tolist())
    assert left[0] == 10 and 24 <= left[2] <= 32 and 24 <= right[0] <= 32 and right[2] == 46
    assert left[1] == right[1] == 10 and left[3] == right[3] == 50
    walker = np.zeros((50, 30), bool)
    walker[5:27, 9:21] = True
    walker[27:45, 6:11] = walker[27:45, 19:24] = True  # legs apart under the body
    car = np.zeros((30, 60), bool)
    car[12:25, 5:55] = car[5:12, 15:40] = True
    assert len(split_by_columns(walker, 40)) == 1 and len(split_by_columns(car, 40)) == 1


def test_unknown_split_is_an_error():
    with pytest.raises(PrivadError, match="unknown region split"):
        RegionExtractor(split="watershed")


def moving_square(n: int = 12, speed: int = 3, start: int = 20) -> list[np.ndarray]:
    """A textured 30x30 square moving right at `speed` px/frame over a flat 160x120 background."""
    texture = np.random.default_rng(0).integers(120, 255, (30, 30, 3)).astype(np.uint8)
    frames = []
    for t in range(n):
        f = np.full((120, 160, 3), 40, np.uint8)
        x = start + speed * t
        f[45:75, x:x + 30] = texture
        frames.append(f)
    return frames


def test_the_first_frame_has_the_motion_of_the_second():
    """Frame 0 has no frame before it: it takes the flow to frame 1, so a steadily moving object has the same speed in
    frame 0 as later (it had none, which made each video's first frame look abnormal)."""
    frames = moving_square()
    regions = list(RegionExtractor(source="median", flow_preset="medium")(frames))
    assert [r.index for r in regions] == list(range(len(frames)))
    mean_speed = [float(r.velocity[:, 8].max()) if len(r.velocity) else 0.0 for r in regions]  # column 8: mean speed
    assert mean_speed[1] > 1.5
    assert mean_speed[0] == pytest.approx(mean_speed[1], rel=0.2)
    background = [np.full_like(frames[0], 40)] * 10
    lone = list(RegionExtractor(source="mog2")(frames[:1], warmup=background))
    assert len(lone) == 1 and len(lone[0].velocity) >= 1
    assert (lone[0].velocity[:, :11] == 0).all()  # one frame: found, but no motion at all


def test_border_regions_are_skipped_when_asked():
    from privad.vad.oneclass.attribute import inside

    boxes = np.array([[0, 10, 20, 30], [10, 10, 20, 30], [10, 0, 20, 30], [150, 10, 160, 30], [10, 90, 20, 120]],
                     np.float32)
    assert inside(boxes, (120, 160)).tolist() == [False, True, False, False, False]


def test_percentile_90_is_numpys_to_the_bit():
    """The partial-sort 90th percentile equals np.percentile (linear) exactly, on every length from 1 up, with ties,
    in float32 (optical flow's) and float64."""
    from privad.vad.regions import percentile_90

    rng = np.random.default_rng(0)
    for n in [*range(1, 40), 101, 517]:
        for values in (rng.gamma(1.0, 1.0, n), rng.integers(0, 3, n).astype(float)):
            for typed in (values.astype(np.float32), values):
                assert percentile_90(typed) == float(np.percentile(typed, 90))
