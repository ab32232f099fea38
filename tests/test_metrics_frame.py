"""Frame metrics on hand-made cases and against scikit-learn."""

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from privad.errors import PrivadError
from privad.metrics.vad.frame import eer, frame_ap, frame_auc, frame_pr_auc, paired_auc_bootstrap
from privad.postprocess import minmax_per_video, smooth


def test_perfect_and_inverted():
    labels = [np.array([0, 0, 1, 1]), np.array([0, 1, 1, 0])]
    perfect = [np.array([0.1, 0.2, 0.8, 0.9]), np.array([0.0, 0.7, 0.6, 0.3])]
    assert frame_auc(perfect, labels) == 1.0
    assert frame_auc(perfect, labels, "macro") == 1.0
    assert frame_ap(perfect, labels) == 1.0
    assert eer(perfect, labels) == 0.0
    inverted = [1 - s for s in perfect]
    assert frame_auc(inverted, labels) == 0.0
    assert eer(inverted, labels) == 1.0


def test_micro_differs_from_macro_by_hand():
    # video A: perfectly ranked but all scores high; video B: perfect, all low -> macro 1.0
    labels = [np.array([0, 1]), np.array([0, 1])]
    scores = [np.array([0.8, 0.9]), np.array([0.1, 0.2])]
    assert frame_auc(scores, labels, "macro") == 1.0
    # pooled: positives {0.9, 0.2}, negatives {0.8, 0.1}: pairs won 3 of 4 -> 0.75
    assert frame_auc(scores, labels, "micro") == 0.75


def test_ties_count_half():
    assert frame_auc([np.array([0.5, 0.5])], [np.array([0, 1])]) == 0.5


def test_single_class_video_left_out_of_macro_with_warning():
    labels = [np.array([0, 0, 0]), np.array([0, 1, 1])]
    scores = [np.array([0.9, 0.9, 0.9]), np.array([0.1, 0.5, 0.6])]
    with pytest.warns(UserWarning, match="1 of 2 videos"):
        assert frame_auc(scores, labels, "macro") == 1.0
    # the one-class video still counts in micro: positives {0.5, 0.6} beat only the 0.1 negative -> 2 of 8 pairs
    assert frame_auc(scores, labels, "micro") == pytest.approx(0.25)


def test_against_sklearn_on_random_data():
    rng = np.random.default_rng(0)
    labels = [rng.integers(0, 2, n) for n in (50, 80, 120)]
    scores = [rng.random(len(y)) + 0.3 * y for y in labels]
    ys, ss = np.concatenate(labels), np.concatenate(scores)
    assert frame_auc(scores, labels) == pytest.approx(roc_auc_score(ys, ss))
    assert frame_auc(scores, labels, "macro") == pytest.approx(np.mean([roc_auc_score(y, s) for y, s in zip(labels, scores)]))
    assert frame_ap(scores, labels) == pytest.approx(average_precision_score(ys, ss))
    assert 0 < frame_pr_auc(scores, labels) < 1


def test_eer_by_hand():
    # negatives 0.1 0.4 ; positives 0.3 0.6: at threshold 0.35 one FP of 2 and one miss of 2 -> EER 0.5
    assert eer([np.array([0.1, 0.4, 0.3, 0.6])], [np.array([0, 0, 1, 1])]) == pytest.approx(0.5)


def test_pr_auc_is_not_ap():
    scores, labels = [np.array([0.9, 0.8, 0.7, 0.6])], [np.array([0, 1, 0, 1])]
    assert frame_ap(scores, labels) == pytest.approx((1 / 2 + 2 / 4) / 2)
    assert frame_pr_auc(scores, labels) != pytest.approx(frame_ap(scores, labels))


@pytest.mark.parametrize(
    "scores, labels, message",
    [
        ([np.array([0.1, np.nan])], [np.array([0, 1])], "video 0: 1 scores are NaN"),
        ([np.array([0.1, 0.2, 0.3])], [np.array([0, 1])], "video 0: 3 scores for 2 labelled frames"),
        ([np.array([0.1])], [np.array([0]), np.array([1])], "1 score arrays for 2 label arrays"),
        ([np.array([0.1, 0.2])], [np.array([0, 2])], "labels must be 0/1"),
        ([np.array([0.1, 0.2])], [np.array([1, 1])], "same label"),
    ],
)
def test_bad_input(scores, labels, message):
    with pytest.raises(PrivadError, match=message):
        frame_auc(scores, labels)


def test_postprocessing():
    s = minmax_per_video([np.array([2.0, 4.0, 3.0]), np.array([5.0, 5.0])])
    np.testing.assert_allclose(s[0], [0, 1, 0.5])
    np.testing.assert_allclose(s[1], [0, 0])
    spike = np.zeros(21)
    spike[10] = 1
    sm = smooth([spike], 2.0)[0]
    assert sm.argmax() == 10 and sm.sum() == pytest.approx(1.0) and sm.max() < 0.25
    assert (smooth([spike], 0)[0] == spike).all()


def test_paired_bootstrap_resamples_groups_of_videos():
    """Equal scores differ by 0, a perfect against an inverted scorer by 1, on every resample; resamples draw whole
    groups: with two groups, only three mixes (and so at most three differences) can occur."""
    labels = [np.array([0, 0, 1, 1, 0, 1])] * 4
    perfect = [y.astype(float) for y in labels]
    inverted = [1.0 - y for y in labels]
    groups = [0, 0, 1, 1]
    assert (paired_auc_bootstrap(perfect, perfect, labels, groups, 50) == 0).all()
    assert (paired_auc_bootstrap(perfect, inverted, labels, groups, 50) == 1).all()
    mixed = perfect[:2] + inverted[2:]  # group 0 scored perfectly by both, group 1 inverted by b
    diff = paired_auc_bootstrap(perfect, mixed, labels, groups, 200)
    assert set(np.round(diff, 9)) <= {0.0, 1.0, round(1 - frame_auc(mixed, labels), 9)}
    assert {0.0, 1.0} <= set(np.round(diff, 9))
