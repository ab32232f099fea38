"""Fragments (regions much shorter than the objects at their row) are neither fitted nor scored (`fragments`)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from privad.data.synthetic import synthetic_scene
from privad.vad import build_model, load_model, save_model
from privad.vad.scoring import fragments, row_heights


def test_row_heights_follow_perspective_and_fall_back_to_the_overall_median():
    # objects 10 px tall centred on row 20, 30 px tall centred on row 80, in a frame 100 rows high (reach 10 rows)
    boxes = np.array([[0, 15, 5, 25]] * 5 + [[0, 65, 5, 95]] * 5, float)
    heights = row_heights(boxes, 100)
    assert heights.shape == (100,)
    assert heights[20] == 10 and heights[80] == 30
    assert heights[50] == 20  # no object centred within 10 rows: the median of all
    # a 4-px box on row 20 is a fragment at share 0.5, a 6-px one is not; a 12-px box on row 80 is one
    test = np.array([[0, 18, 5, 22], [0, 17, 5, 23], [0, 74, 5, 86]], float)
    assert fragments(test, heights, 0.5).tolist() == [True, False, True]
    assert not fragments(test, heights, 0.0).any()


def test_objects_without_fragments_find_the_planted_anomaly_and_round_trip(tmp_path):
    train = [synthetic_scene(n_frames=150, abnormal=(0, 0), seed=s)[0] for s in range(3)]
    frames, labels = synthetic_scene(n_frames=150, abnormal=(90, 130), seed=7)
    model = build_model("objects", {"fragments": 0.5}).fit(train)
    heights = model.fitted_.arrays["row_heights"]
    assert heights.shape == (frames[0].shape[0],)
    scores = model.score(frames)
    assert roc_auc_score(labels, scores.frames) > 0.9
    boxes = np.array([r[1:5] for r in scores.regions])
    assert not fragments(boxes, heights, 0.5).any()  # none scored
    save_model(model, None, tmp_path / "m.privad")
    loaded, _ = load_model(tmp_path / "m.privad")
    np.testing.assert_allclose(loaded.score(frames).frames, scores.frames, rtol=1e-5, atol=1e-6)  # float rounding


def test_relative_speed_per_the_rows_height_does_not_magnify_a_fragment():
    """`speed_scale: row`: a 10 px fragment moving 2 px a frame where objects are 40 px tall moves 0.5 (x10) heights a
    frame, as its object does, not 2.0; a box taller than its row's objects keeps its own height."""
    from privad.vad.oneclass.attribute import relative_to_row
    from privad.vad.regions import ORIENTATION_BINS as B

    heights = np.full(100, 40.0)
    vel = np.zeros((2, B + 7), np.float32)
    vel[:, B + 1] = 2.0  # 90th-percentile speed, px a frame
    vel[:, B + 2] = 10 * 2.0 / np.array([10.0, 50.0])  # per the box's own height
    vel[:, B + 3] = [0.10, 0.50]  # heights 10 px and 50 px (shares of a 100-row frame)
    vel[:, B + 4] = 0.5  # centred on row 50
    out = relative_to_row(vel, heights)
    np.testing.assert_allclose(out[:, B + 2], [0.5, 0.4])
    np.testing.assert_array_equal(np.delete(out, B + 2, axis=1), np.delete(vel, B + 2, axis=1))


def test_objects_with_speeds_per_the_rows_height_find_the_planted_anomaly_and_round_trip(tmp_path):
    train = [synthetic_scene(n_frames=150, abnormal=(0, 0), seed=s)[0] for s in range(3)]
    frames, labels = synthetic_scene(n_frames=150, abnormal=(90, 130), seed=7)
    model = build_model("objects", {"speed_scale": "row"}).fit(train)
    assert model.fitted_.arrays["row_heights"].shape == (frames[0].shape[0],)
    scores = model.score(frames)
    assert roc_auc_score(labels, scores.frames) > 0.9
    save_model(model, None, tmp_path / "m.privad")
    loaded, _ = load_model(tmp_path / "m.privad")
    np.testing.assert_allclose(loaded.score(frames).frames, scores.frames, rtol=1e-5, atol=1e-6)


def test_slow_usual_reads_a_slow_region_as_moving_at_the_typical_pace(tmp_path):
    """`slow: usual`: a region that stands still scores as one moving at the training median with the same shape
    (the density alone scores them apart); faster than the median is read as it is; the planted fast anomaly is found
    and the floor survives a save and load."""
    from privad.vad.regions import ORIENTATION_BINS as B

    train = [synthetic_scene(n_frames=150, abnormal=(0, 0), seed=s)[0] for s in range(3)]
    frames, labels = synthetic_scene(n_frames=150, abnormal=(90, 130), seed=7)
    usual = build_model("attribute", {"slow": "usual"}).fit(train)
    density = build_model("attribute").fit(train)
    floor = usual.fitted_.arrays["speed_floor"]  # log1p of the median mean speed, p90 speed and speed per height
    assert floor.shape == (3,) and (floor > 0).all()
    vel = np.zeros((3, B + 7), np.float32)
    vel[:, B + 3:] = [0.3, 0.5, -0.7, 0.6]  # one shape for all three
    vel[1, B:B + 3] = np.expm1(floor)  # the median pace
    vel[2, B:B + 3] = 3 * np.expm1(floor)  # faster
    still, typical, fast = usual.cue_scores(vel)["motion"]
    assert still == pytest.approx(typical, abs=1e-6)
    assert fast > typical
    a, b, _ = density.cue_scores(vel)["motion"]
    assert abs(a - b) > 1e-3  # the density alone tells them apart
    scores = usual.score(frames)
    assert roc_auc_score(labels, scores.frames) > 0.9
    save_model(usual, None, tmp_path / "m.privad")
    loaded, _ = load_model(tmp_path / "m.privad")
    np.testing.assert_array_equal(loaded._estimators["speed_floor"], floor)
    np.testing.assert_allclose(loaded.score(frames).frames, scores.frames, rtol=1e-5, atol=1e-6)
