"""The heading cue (which way objects go, by place) and validation protocol 11's `across` kind."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from privad.errors import PrivadError
from privad.vad import heading
from privad.vad.synthetic import ACROSS, KINDS, Donor, Scene, kinds, paste


def test_a_heading_is_read_against_its_cell_and_a_cell_nobody_crossed_reads_like_the_frame():
    """Known answers: training objects go right in the frame's left half and down in its right half. Going right
    is usual on the left and unusual on the right; a cell no training object crossed reads the frame's headings;
    an object slower than half the median speed has no heading; each training region is read without its own video's
    votes; and a flow orientation histogram gives its mean flow vector."""
    size = (240, 360)
    left, right = np.array([[20, 20, 40, 60]], float), np.array([[300, 20, 320, 60]], float)
    boxes = np.repeat(np.r_[left, right], 50, axis=0)
    velocity = np.repeat([[1.0, 0.0], [0.0, 1.0]], 50, axis=0)  # right on the left, down on the right
    video = np.r_[np.repeat([0, 1, 2], [10, 20, 20]), np.repeat([1, 2], 25)]  # three videos on the left, two right
    counts, threshold, raw = heading.fit(velocity, boxes, size, video)
    assert threshold == pytest.approx(heading.MOVING * 1.0)
    assert np.isfinite(raw).all() and raw.max() < 0.85  # each half's heading is usual there, even without its video
    go_right = np.array([[1.0, 0.0], [1.0, 0.0]])
    usual, odd = heading.score(counts, threshold, go_right, np.r_[left, right], size)
    assert usual < 0.85 < 3 < odd  # -log of about a half (a vote shares its own direction) against -log 0.02
    nowhere = np.array([[160, 200, 180, 238]], float)  # a cell nobody crossed: the frame's mix (half right, half down)
    down = heading.score(counts, threshold, np.array([[0.0, 1.0]]), nowhere, size)
    across = heading.score(counts, threshold, np.array([[-1.0, 0.0]]), nowhere, size)
    assert down[0] == pytest.approx(heading.score(counts, threshold, go_right[:1], nowhere, size)[0])
    assert 0.5 < down[0] < across[0]  # going left was never seen anywhere
    slow = heading.score(counts, threshold, np.array([[0.2, 0.0], [np.nan, np.nan]]), np.r_[right, right], size)
    assert np.isnan(slow).all()
    # a heading only one training video shows is unusual for that video's own regions (read without its votes)
    lone = velocity.copy()
    lone[:10] = [-1.0, 0.0]  # video 0 goes left on the left, nobody else does
    _, _, raw = heading.fit(lone, boxes, size, video)
    assert raw[:10].min() > raw[10:50].max() + 3
    hist = np.zeros((2, heading.ORIENTATION_BINS + 7))
    hist[0, 5] = 2.0  # all of the first region's flow in the bin of 45-90 degrees (down and right, y down)
    hist[1, [0, 7]] = 1.0  # the second's half at -180..-135, half at 135..180: going left
    down_right, left = np.radians(67.5), np.radians(22.5)  # the bins' centres
    np.testing.assert_allclose(heading.flow_velocity(hist), [[2 * np.cos(down_right), 2 * np.sin(down_right)],
                                                             [-2 * np.cos(left), 0.0]], atol=1e-12)


@pytest.mark.parametrize("source", ["track", "flow"])
def test_the_heading_cue_finds_a_walker_going_across_the_walkers_rows_and_round_trips(source, tmp_path):
    """Walkers go along rows; one more goes down a column at their pace, shaped and coloured like them. Only its
    heading tells it apart: found with the heading cue (from tracks or from the flow), not without; a saved model
    scores the same."""
    from privad.data.synthetic import synthetic_scene
    from privad.protect.config import AnonymizeConfig
    from privad.vad import build_model, load_model, save_model

    train = [synthetic_scene(n_frames=200, abnormal=(0, 0), seed=s)[0] for s in (1, 2)]
    frames, labels = synthetic_scene(n_frames=200, abnormal=(100, 180), seed=3, anomaly=ACROSS)
    settings = {"use_appearance": False, "patches": None}
    with_heading = build_model("objects", {**settings, "heading": source}).fit(train)
    scores, cues = with_heading.explain(frames)
    blind = build_model("objects", settings).fit(train).score(frames)
    # the flow inside a plain ellipse follows its edges only: weaker than its track, still far above the blind model
    assert roc_auc_score(labels, scores.frames) > {"track": 0.9, "flow": 0.8}[source] > 0.7 > roc_auc_score(
        labels, blind.frames)
    assert "heading" in cues
    save_model(with_heading, AnonymizeConfig(method="none"), tmp_path / "m.privad")
    again = load_model(tmp_path / "m.privad")[0].score(frames)
    np.testing.assert_array_equal(again.frames, scores.frames)


def test_protocol_11_pastes_an_upright_walker_up_or_down_a_column_in_perspective():
    """`across`: the object keeps its column, moves along the rows' axis at the scene's stride in its own height per
    frame, is as tall at each row as the scene's heights-by-row line has it, and is labelled and boxed where
    visible. Protocols before 11 do not know the kind."""
    frames = [np.full((240, 360, 3), 200, np.uint8) for _ in range(200)]
    rows = np.linspace(60, 180, 50).astype(np.float32)
    boxes = np.array([[170, r - 0.1 * r, 180, r + 0.1 * r] for r in rows], np.float32)  # 0.2 x the row tall
    scene = Scene([boxes], rows, 0.2 * rows, 0.02, stride=0.02)
    donor = Donor(np.zeros((20, 8, 3), np.uint8), np.ones((20, 8), bool))
    out, labels, placed = paste(frames, donor, ACROSS, np.random.default_rng(0), scene, protocol=11)
    shown = np.flatnonzero(labels)
    assert len(shown) > 20 and np.isnan(placed[labels == 0]).all()
    assert (np.diff(shown) == 1).all()  # one stretch of frames
    changed = [i for i, (a, b) in enumerate(zip(out, frames)) if (a != b).any()]
    assert changed == list(shown)
    box = placed[shown]
    centre_x, centre_y = 0.5 * (box[:, 0] + box[:, 2]), 0.5 * (box[:, 1] + box[:, 3])
    tall = box[:, 3] - box[:, 1]
    assert np.ptp(centre_x) <= 2 and 170 <= centre_x.mean() <= 180  # its column: where a region of the scene was
    assert np.ptp(centre_y) > 20 and (np.all(np.diff(centre_y) >= 0) or np.all(np.diff(centre_y) <= 0))
    np.testing.assert_allclose(tall, 0.2 * centre_y, atol=2.5)  # perspective, by the fitted line
    # each frame it goes 0.02 of its height, 0.2 x its row: its row shrinks (or grows) by 0.4 % a frame
    sign = np.sign(centre_y[-1] - centre_y[0])
    assert centre_y[-1] == pytest.approx(centre_y[0] * (1 + sign * 0.004) ** (len(shown) - 1), abs=1.5)
    assert kinds(11) == KINDS + (ACROSS,) and kinds(10) == KINDS
    with pytest.raises(PrivadError, match="unknown synthetic anomaly 'across' for protocol 10"):
        paste(frames, donor, ACROSS, np.random.default_rng(0), scene, protocol=10)
    # a scene without moving regions: still pasted, from the top of a column down
    bare = paste(frames, donor, ACROSS, np.random.default_rng(0), None, protocol=11)
    assert bare.labels.sum() > 20 and np.nanmin(bare.boxes[:, 1]) == 0
