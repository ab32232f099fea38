"""Frame scores corrected for the number of regions (`frame_score: corrected`, `crowd`): the tail model against a
known distribution, the Sidak correction and the crowd slope on constructed frames, and the `objects` model with each
on the synthetic scene."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.metrics import roc_auc_score

from privad.data.synthetic import synthetic_scene
from privad.vad import build_model, load_model, save_model
from privad.vad.scoring import TAIL, crowd_slope, frame_maxima, frame_surprise, log_survival, tail_model


@pytest.fixture(scope="module")
def normal_tail() -> np.ndarray:
    return tail_model(np.random.default_rng(0).normal(size=200_000))


def test_the_survival_follows_the_training_distribution_and_its_tail(normal_tail):
    x = np.array([-1.0, 0.0, 1.0, 2.0])
    np.testing.assert_allclose(np.exp(log_survival(x, normal_tail)), norm.sf(x), atol=0.005)
    # beyond the data the survival keeps falling (an exponential tail), continuous at the knot
    knot = norm.ppf(TAIL)
    around = np.exp(log_survival(np.array([knot - 1e-6, knot + 1e-6]), normal_tail))
    assert abs(around[0] - around[1]) < 1e-4 and abs(around[0] - (1 - TAIL)) < 1e-3
    far = log_survival(np.array([5.0, 6.0, 50.0]), normal_tail)
    assert far[0] > far[1] > far[2] and np.isfinite(far).all()


def test_a_crowded_frame_needs_a_higher_top_score_than_a_sparse_one(normal_tail):
    # frame 0: one region at 2.5; frame 1: that region among 19 others far below; frame 2: no region
    index = np.r_[0, np.ones(20, int)]
    scores = np.r_[2.5, np.full(19, -4.0), 2.5]
    out = frame_surprise(scores, index, 3, normal_tail, sigma=0)
    p = np.exp(log_survival(np.array([2.5]), normal_tail))[0]
    np.testing.assert_allclose(out, [-np.log(p), -np.log(1 - (1 - p) ** 20), 0.0], rtol=1e-9)
    assert out[0] > out[1] > out[2]
    # the order of frames with the same count is the order of their top scores
    same = frame_surprise(np.array([1.0, 3.0, 8.0]), np.array([0, 1, 2]), 3, normal_tail, sigma=0)
    assert same[0] < same[1] < same[2]


def test_a_region_far_beyond_every_training_score_scores_finite_and_in_order(normal_tail):
    """Log survivals under ~-745 underflow exp(); such frames took an infinite score, which smoothing spread to the
    frames around them. They now score -log(n) - log p (1 - (1 - p)^n = n p for tiny p): finite and in order of
    the region's score, continuous with the exact form, and a frame's count still counts."""
    far = np.array([100.0, 400.0, 800.0])  # log survival ~ -290, ~ -1,200 and ~ -2,400 on a standard normal's tail
    assert log_survival(far, normal_tail)[1] < -745
    out = frame_surprise(far, np.array([0, 1, 2]), 3, normal_tail, sigma=3)
    assert np.isfinite(out).all()
    alone = frame_surprise(far, np.array([0, 1, 2]), 3, normal_tail, sigma=0)
    np.testing.assert_allclose(alone[1:], -log_survival(far[1:], normal_tail))
    assert alone[0] < alone[1] < alone[2]
    crowded = frame_surprise(np.r_[far[1], np.full(9, -4.0)], np.zeros(10, int), 1, normal_tail, sigma=0)
    np.testing.assert_allclose(crowded, -np.log(10) - log_survival(far[1:2], normal_tail))


def test_the_crowd_slope_is_the_rise_of_the_peaks_with_the_log_count_and_comes_off_the_frame_scores():
    counts = np.array([0, 1, 3, 7, 15, 1, 3, 7])
    peaks = 0.5 + 2.0 * np.log1p(counts) + np.array([9.0, 0.1, -0.1, 0.1, -0.1, -0.1, 0.1, -0.1])  # frame 0: no region
    assert crowd_slope(peaks, counts) == pytest.approx(2.0, abs=0.1)
    assert crowd_slope(peaks, np.full(8, 4)) == 0.0  # counts that do not vary say nothing
    # two frames with the same top score: 1 region and 7 regions; with the slope the crowded one scores lower
    index = np.r_[0, np.ones(7, int)]
    scores = np.r_[3.0, 3.0, np.full(6, -1.0)]
    plain = frame_maxima(scores, index, 3, floor=-2.0, sigma=0)
    crowd = frame_maxima(scores, index, 3, floor=-2.0, sigma=0, slope=2.0)
    np.testing.assert_allclose(plain, [3.0, 3.0, -2.0])
    np.testing.assert_allclose(crowd, [3.0 - 2.0 * np.log(2), 3.0 - 2.0 * np.log(8), -2.0])


@pytest.mark.parametrize("rule", ["corrected", "crowd"])
def test_objects_with_corrected_frame_scores_finds_the_planted_anomaly_and_round_trips(tmp_path, rule):
    train = [synthetic_scene(n_frames=150, abnormal=(0, 0), seed=s)[0] for s in range(3)]
    frames, labels = synthetic_scene(n_frames=150, abnormal=(90, 130), seed=7)
    model = build_model("objects", {"frame_score": rule}).fit(train)
    scores = model.score(frames)
    assert roc_auc_score(labels, scores.frames) > 0.9
    if rule == "corrected":
        assert np.all(np.asarray(scores.frames) >= 0)
    else:
        assert np.isfinite(model.fitted_.params["crowd_slope"])
        plain = build_model("objects").fit(train).score(frames)
        assert [r[:5] for r in plain.regions] == [r[:5] for r in scores.regions]  # the same regions, other frames
        assert not np.allclose(plain.frames, scores.frames)
    path = tmp_path / "m.privad"
    save_model(model, None, path)
    loaded, _ = load_model(path)
    assert loaded.config.frame_score == rule
    np.testing.assert_allclose(loaded.score(frames).frames, scores.frames, rtol=1e-5, atol=1e-6)  # float rounding
