"""The silhouette cue: a region's mask on a 16x8 grid, kNN to the training silhouettes (`silhouette`)."""

from __future__ import annotations

import cv2
import numpy as np
from sklearn.metrics import roc_auc_score

from privad.data.synthetic import synthetic_scene
from privad.vad import build_model, load_model, save_model
from privad.vad.regions import SILHOUETTE, silhouette


def test_silhouette_is_the_share_of_each_cell_the_object_fills():
    mask = np.zeros((60, 40), bool)
    mask[10:42, 5:21] = True  # a 32x16 box, full
    np.testing.assert_allclose(silhouette(mask, np.array([5, 10, 21, 42])), 1.0)
    mask[26:42, 5:13] = False  # its lower-left quarter cut away
    grid = silhouette(mask, np.array([5, 10, 21, 42])).reshape(SILHOUETTE)
    np.testing.assert_allclose(grid[8:, :4], 0.0)
    np.testing.assert_allclose(grid[:8], 1.0)
    np.testing.assert_allclose(grid[8:, 4:], 1.0)


def _with_odd_shape(frames: list[np.ndarray], span: tuple[int, int]) -> tuple[list[np.ndarray], np.ndarray]:
    """An object of a walker's colour, box and pace, shaped as a triangle standing on its point (walkers are upright
    ellipses), between the walkers' rows, in `span`."""
    out, labels = [f.copy() for f in frames], np.zeros(len(frames), np.int8)
    h, w = frames[0].shape[:2]
    for t in range(*span):
        x, y = w // 3 + (t - span[0]), h // 2 + 20
        points = np.array([[x - 7, y - 15], [x + 7, y - 15], [x, y + 15]], np.int32)
        cv2.fillPoly(out[t], [points], (40, 40, 60))
        labels[t] = 1
    return out, labels


def test_silhouette_finds_an_object_of_another_shape_and_round_trips(tmp_path):
    train = [synthetic_scene(n_frames=150, abnormal=(0, 0), seed=s)[0] for s in range(3)]
    frames, labels = _with_odd_shape(synthetic_scene(n_frames=150, abnormal=(0, 0), seed=7)[0], (90, 130))
    alone = {"silhouette": True, "use_velocity": False, "use_appearance": False, "patches": None}
    model = build_model("objects", alone).fit(train)
    assert model.fitted_.arrays["sil_bank"].shape[1] == SILHOUETTE[0] * SILHOUETTE[1]
    scores = model.score(frames)
    assert roc_auc_score(labels, scores.frames) > 0.9
    save_model(model, None, tmp_path / "m.privad")
    loaded, _ = load_model(tmp_path / "m.privad")
    np.testing.assert_allclose(loaded.score(frames).frames, scores.frames)


def test_a_trimmed_bank_drops_its_farthest_regions_first():
    """95 training regions in a tight cluster and 5 strays: trimming 5 % of the bank drops exactly the strays, so a
    region like a stray is far from every bank entry; without trimming it has a stray beside it. The strays keep a
    training distance (to the cluster), and an untrimmed bank gives the same distances as before."""
    from privad.vad.oneclass.attribute import _bank

    rng = np.random.default_rng(0)
    features = np.r_[rng.normal(0, 0.1, (95, 4)), rng.normal(0, 0.1, (5, 4)) + [[5, 0, 0, 0], [0, 5, 0, 0],
                     [0, 0, 5, 0], [0, 0, 0, 5], [-5, 0, 0, 0]]].astype(np.float32)
    idx = rng.permutation(100)
    bank, nn, train = _bank(features, idx, 1, trim=0.05)
    assert len(bank) == 95 and np.abs(bank).max() < 1
    query = features[95:] + 0.01
    assert nn.kneighbors(query, n_neighbors=1)[0].min() > 4
    full_bank, full_nn, full_train = _bank(features, idx, 1)
    assert len(full_bank) == 100 and full_nn.kneighbors(query, n_neighbors=1)[0].max() < 0.1
    assert train[95:].min() > 4 and np.allclose(train[:95], full_train[:95])


def test_a_bank_calibrated_video_out_measures_each_region_against_the_other_videos_only():
    """Two videos, each an object seen twice (sightings 0.1 apart) at its own place (3 apart): leaving the region
    out finds its own other sighting (0.1); leaving its video out finds the other video's nearest (about 3). A video
    whose others hold fewer than k regions keeps the first way."""
    from privad.vad.oneclass.attribute import _bank

    features = np.array([[0, 0], [0.1, 0], [3, 0], [3.1, 0]], np.float32)
    source = np.array([0, 0, 1, 1])
    idx = np.arange(4)
    _, _, self_out = _bank(features, idx, 1)
    np.testing.assert_allclose(self_out, [0.1, 0.1, 0.1, 0.1], atol=1e-6)
    _, _, video_out = _bank(features, idx, 1, source=source)
    np.testing.assert_allclose(video_out, [3.0, 2.9, 2.9, 3.0], atol=1e-6)
    _, _, too_few = _bank(features, idx, 3, source=source)  # each video's others hold 2 < 3
    np.testing.assert_allclose(too_few, _bank(features, idx, 3)[2])
    # a region outside the bank (idx) is measured video-out as well
    _, _, sub = _bank(features, np.array([0, 2, 3]), 1, source=source)
    np.testing.assert_allclose(sub[1], 3.0 - 0.1, atol=1e-6)


def test_the_objects_model_fits_and_scores_with_video_out_calibration():
    train = [synthetic_scene(n_frames=120, abnormal=(0, 0), seed=s)[0] for s in range(3)]
    frames, labels = synthetic_scene(n_frames=200, abnormal=(120, 170), seed=7, anomaly="object")
    self_out = build_model("objects").fit(train)
    video_out = build_model("objects", {"knn_calibration": "video"}).fit(train)
    # unseen videos' distances are larger than self-matches: the cues' training spread (scale) grows
    assert video_out.fitted_.params["app_calib"][1] > self_out.fitted_.params["app_calib"][1]
    assert roc_auc_score(labels, video_out.score(frames).frames) > 0.9
