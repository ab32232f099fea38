"""Fragments (regions much shorter than the objects at their row) are neither fitted nor scored (`fragments`)."""

from __future__ import annotations

import numpy as np
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
