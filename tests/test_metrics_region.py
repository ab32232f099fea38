"""RBDC/TBDC on cases worked out by hand, and ground-truth regions from masks."""

import numpy as np
import pytest

from privad.errors import PrivadError
from privad.metrics.vad.region import detection_curves, rbdc_tbdc, regions_from_masks


def track(video, tid, frames, box):
    return [(video, tid, f, *box) for f in frames]


GT10 = track("a", 0, range(10), (0, 0, 10, 10))


def test_perfect_detector():
    dets = [("a", f, 0, 0, 10, 10, 1.0) for f in range(10)]
    assert rbdc_tbdc(dets, GT10, 10) == (1.0, 1.0)


def test_always_wrong_detector():
    dets = [("a", f, 50, 50, 60, 60, 1.0) for f in range(10)]
    assert rbdc_tbdc(dets, GT10, 10) == (0.0, 0.0)


def test_no_detections():
    assert rbdc_tbdc([], GT10, 10) == (0.0, 0.0)


def test_region_matched_twice_is_neither_tp_nor_fp():
    gt = [("a", 0, 0, 0, 0, 10, 10)]
    dets = [("a", 0, 0, 0, 10, 10, 0.9), ("a", 0, 1, 1, 10, 10, 0.8), ("a", 1, 50, 50, 60, 60, 0.1)]
    fpr, rbdr, _ = detection_curves(dets, gt, 4)
    np.testing.assert_allclose(fpr, [0, 0, 0, 0.25])
    np.testing.assert_allclose(rbdr, [0, 1, 1, 1])
    assert rbdc_tbdc(dets, gt, 4)[0] == 1.0


def test_false_positive_first_then_hit():
    gt = [("a", 0, 0, 0, 0, 10, 10), ("a", 1, 0, 20, 0, 30, 10)]
    dets = [("a", 1, 80, 80, 90, 90, 0.9), ("a", 0, 0, 0, 10, 10, 0.5)]
    # curve (0,0) -> (0.5,0) -> (0.5,0.5), extended flat to (1,0.5): area 0.25
    rbdc, tbdc = rbdc_tbdc(dets, gt, 2)
    assert rbdc == pytest.approx(0.25) and tbdc == pytest.approx(0.25)


def test_ties_keep_input_order():
    gt = [("a", 0, 0, 0, 0, 10, 10)]
    hit_first = [("a", 0, 0, 0, 10, 10, 0.5), ("a", 1, 80, 80, 90, 90, 0.5)]
    miss_first = list(reversed(hit_first))
    assert rbdc_tbdc(hit_first, gt, 2)[0] == 1.0
    assert rbdc_tbdc(miss_first, gt, 2)[0] == pytest.approx(0.5)  # (0,0)->(0.5,0)->(0.5,1)->(1,1)


def test_highest_iou_region_is_the_one_matched():
    gt = [("a", 0, 0, 0, 0, 10, 10), ("a", 1, 0, 6, 0, 16, 10)]
    first = ("a", 0, 5, 0, 15, 10, 0.9)  # IoU 1/3 with region 0, 9/11 with region 1
    second = ("a", 0, 0, 0, 9, 10, 0.8)  # only region 0 is still free
    fpr, rbdr, _ = detection_curves([first, second], gt, 1)
    np.testing.assert_allclose(rbdr, [0, 0.5, 1.0])
    assert fpr[-1] == 0


def test_track_detected_at_ten_percent():
    gt = track("a", 7, range(20), (0, 0, 10, 10))
    dets = [("a", 0, 0, 0, 10, 10, 0.9), ("a", 1, 0, 0, 10, 10, 0.8)]
    _, rbdr, tbdr = detection_curves(dets, gt, 20)
    np.testing.assert_allclose(rbdr, [0, 0.05, 0.1])
    np.testing.assert_allclose(tbdr, [0, 0, 1])  # 1 of 20 is under the 10 % line, 2 of 20 is on it


def test_fpr_cut_at_one():
    gt = [("a", 0, 0, 0, 0, 10, 10)]
    dets = [("a", 0, 50, 50, 60, 60, 0.9), ("a", 1, 50, 50, 60, 60, 0.8), ("a", 1, 70, 70, 80, 80, 0.7),
            ("a", 0, 0, 0, 10, 10, 0.1)]
    assert rbdc_tbdc(dets, gt, 2) == (0.0, 0.0)  # the hit comes at FPR 1.5


def test_monotone_in_expected_directions():
    rng = np.random.default_rng(0)
    gt = track("a", 0, range(30), (0, 0, 10, 10)) + track("b", 0, range(30), (20, 20, 40, 40))
    dets = [("a", int(f), 0, 0, 10, 10, float(rng.random())) for f in rng.integers(0, 30, 10)]
    dets += [("b", int(f), 60, 60, 70, 70, float(rng.random())) for f in rng.integers(0, 30, 10)]
    base = rbdc_tbdc(dets, gt, 60)
    better = rbdc_tbdc(dets + [("b", 3, 20, 20, 40, 40, 2.0)], gt, 60)
    worse = rbdc_tbdc(dets + [("a", 5, 50, 50, 55, 55, 2.0)], gt, 60)
    assert better[0] > base[0] and better[1] >= base[1]
    assert worse[0] < base[0]


def test_errors():
    with pytest.raises(PrivadError, match="no ground-truth regions"):
        rbdc_tbdc([], [], 10)
    with pytest.raises(PrivadError, match="non-finite score"):
        rbdc_tbdc([("a", 0, 0, 0, 1, 1, float("nan"))], GT10, 10)


def test_regions_from_masks():
    frames = []
    for f in range(5):
        m = np.zeros((20, 30), np.uint8)
        m[2:6, 2 + f:6 + f] = 1  # moving right
        m[12:15, 20:25] = 255  # static
        frames.append(m)
    frames.append(np.zeros((20, 30), np.uint8))  # gap
    m = np.zeros((20, 30), np.uint8)
    m[12:15, 20:25] = 1
    frames.append(m)  # reappears: a new track
    rows = regions_from_masks({"v": frames})
    assert len(rows) == 11
    tracks = {}
    for video, tid, frame, *box in rows:
        tracks.setdefault(tid, []).append((frame, box))
    assert len(tracks) == 3
    mover = [t for t in tracks.values() if t[0][1][1] == 2][0]
    assert [f for f, _ in mover] == [0, 1, 2, 3, 4]
    assert mover[0][1] == [2, 2, 6, 6] and mover[4][1] == [6, 2, 10, 6]


def test_real_ped2_regions_and_an_oracle(ped2):
    """Regions from Ped2's pixel masks: ground-truth boxes as detections give RBDC = TBDC = 1; shifted far, 0."""
    from privad.data import load_dataset

    d = load_dataset("ucsd_ped2", ped2)
    videos = d.test[:2]
    gt = regions_from_masks({v.name: v.masks() for v in videos})
    frames_with_regions = {(r[0], r[2]) for r in gt}
    abnormal = {(v.name, i) for v in videos for i in np.nonzero(v.labels)[0]}
    assert frames_with_regions == abnormal
    n = sum(v.num_frames for v in videos)
    oracle = [(v, f, x1, y1, x2, y2, 1.0) for v, _, f, x1, y1, x2, y2 in gt]
    assert rbdc_tbdc(oracle, gt, n) == (1.0, 1.0)
    far = [(v, f, x1 + 400, y1, x2 + 400, y2, 1.0) for v, f, x1, y1, x2, y2, _ in oracle]
    assert rbdc_tbdc(far, gt, n) == (0.0, 0.0)


def test_results_schema_round_trip(tmp_path):
    from privad.metrics import EvaluationResult, PostProcess

    r = EvaluationResult(dataset="ucsd_ped2", model="attribute", micro_auc=0.9, macro_auc=0.95, ap=0.8, eer=0.1,
                         rbdc=0.5, tbdc=0.7, fit_seconds=12.0, score_fps=80.0, test_videos=12, test_frames=2010,
                         postprocess=PostProcess(smoothing_sigma=3), privad_version="0.1.0")
    r.write(tmp_path / "r.json")
    assert EvaluationResult.read(tmp_path / "r.json") == r
    (tmp_path / "bad.json").write_text('{"dataset": "x"}')
    with pytest.raises(PrivadError, match="not an evaluation result"):
        EvaluationResult.read(tmp_path / "bad.json")
