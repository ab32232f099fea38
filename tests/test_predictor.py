"""The `predictor` model (future-frame prediction) and the `objects` model's predictor cue: constructed cases with
known answers, planted motion and appearance anomalies, and save/load."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from privad.data.synthetic import synthetic_scene
from privad.errors import PrivadError
from privad.vad import build_model, load_model, save_model
from privad.vad.oneclass.predictor import analysed_size, cells
from privad.vad.scoring import region_cue

QUICK = {"steps": 150, "side": 128}  # a small network trained briefly: enough for the synthetic scene


@pytest.fixture(scope="module")
def train():
    return [synthetic_scene(n_frames=200, abnormal=(0, 0), seed=s)[0] for s in range(3)]


def test_cells_average_each_block_and_the_partial_edge_cells():
    error = np.zeros((1, 5, 6))
    error[0, :4, :4] = 2.0  # the top-left 4x4 cell
    error[0, 4, :] = 3.0  # the bottom row: partial cells of one row of pixels
    out = cells(error, 4)
    assert out.shape == (1, 2, 2)
    np.testing.assert_allclose(out[0], [[2.0, 0.0], [3.0, 3.0]])


def test_region_cue_is_the_highest_cell_under_the_box_in_the_predictors_grid():
    z = np.zeros((2, 4, 6))
    z[1, 2, 3] = 5.0
    z[1, 0, 0] = 9.0  # outside the box
    z[0] = -np.inf  # a frame without a prediction
    # boxes in px of 80x120 frames; the predictor analysed 32x48 frames in cells of 8 (a 4x6 grid)
    boxes = np.array([[70.0, 40.0, 100.0, 70.0], [70.0, 40.0, 100.0, 70.0]], np.float32)
    cue = region_cue(z, np.array([1, 0]), boxes, (80, 120), 8, (32, 48))
    assert cue[0] == 5.0 and np.isnan(cue[1])


def test_analysed_size_keeps_the_aspect_in_multiples_of_eight():
    assert analysed_size((240, 360), 160) == (104, 160)
    assert analysed_size((1080, 1920), 160) == (88, 160)


@pytest.mark.parametrize("anomaly", ["fast", "object"])
def test_predictor_finds_a_planted_fast_walker_and_an_object_seen_in_no_training_frame(train, anomaly):
    """The appearance anomaly moves at walking pace with a walker's shape: speed cannot tell, prediction can."""
    frames, labels = synthetic_scene(n_frames=200, abnormal=(120, 170), seed=7, anomaly=anomaly)
    scores = build_model("predictor", QUICK).fit(train).score(frames)
    assert roc_auc_score(labels, scores.frames) > 0.9
    top = max(scores.regions, key=lambda r: r[-1])
    assert 120 <= top[0] < 170 + 6


def test_objects_with_the_predictor_cue_round_trips_and_finds_the_appearance_anomaly(train, tmp_path):
    frames, labels = synthetic_scene(n_frames=200, abnormal=(120, 170), seed=7, anomaly="object")
    model = build_model("objects", {"predictor": QUICK, "use_appearance": False}).fit(train)
    assert any(k.startswith("predictor.net.") for k in model.fitted_.arrays)
    scores = model.score(frames)
    assert roc_auc_score(labels, scores.frames) > 0.9
    save_model(model, None, tmp_path / "m.privad")
    loaded, _ = load_model(tmp_path / "m.privad")
    np.testing.assert_allclose(loaded.score(frames).frames, scores.frames, rtol=1e-5, atol=1e-6)


def test_predictor_refuses_too_short_or_mixed_training_footage(train):
    with pytest.raises(PrivadError, match="too short"):
        build_model("predictor", QUICK).fit([train[0][:6]])
    small = [f[:120, :160] for f in train[0][:20]]
    with pytest.raises(PrivadError, match="differ in frame size"):
        build_model("predictor", QUICK).fit([train[0][:20], small])
