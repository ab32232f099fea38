"""The location-aware patch memory (`privad.vad.oneclass.patches`) and the `objects` model's patches cue: constructed
cases with known answers, a planted appearance anomaly, and save/load."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from privad.data.synthetic import synthetic_scene
from privad.errors import PrivadError
from privad.vad import build_model, load_model, save_model
from privad.backbones.appearance import AppearanceEncoder, crop_parts
from privad.vad.oneclass.patches import (CELLS_PER_PX, PartMemory, PatchConfig, PatchMemory, RegionCells, coreset,
                                        patch_features, video_features)
from privad.vad.oneclass.attribute import FIT_BATCH
from privad.vad.scoring import box_cells

ONLY_PATCHES = {"patches": {}, "use_velocity": False, "use_appearance": False, "silhouette": False}


def test_coreset_takes_the_farthest_point_each_time_at_each_cell():
    line = np.array([0.0, 1.0, 10.0, 2.0])[:, None]  # one cell: points on a line
    other = np.array([5.0, 5.0, 5.0, 6.0])[:, None]  # another: three alike, one apart
    picks = coreset(np.stack([line, other]), 3)
    assert picks[0].tolist() == [0, 2, 3]  # 0, then 10 (farthest), then 2 (2 from 0, against 1's 1)
    assert picks[1][:2].tolist() == [0, 3]


def test_distances_are_to_the_nearest_feature_at_the_same_cell_and_leave_a_video_out():
    bank = np.zeros((1, 2, 2, 2), np.float32)  # 1x2 cells, 2 kept features of 2 dimensions each
    bank[0, 0] = [[0, 0], [3, 4]]
    bank[0, 1] = [[1, 0], [1, 0]]
    memory = PatchMemory(PatchConfig(), bank, source=np.array([[[0, 1], [1, 1]]]))
    maps = np.array([[[[3, 4], [0, 0]]]], np.float16)  # the first cell matches its second feature exactly
    np.testing.assert_allclose(memory.distances(maps)[0], [[0.0, 1.0]])
    # video 1 left out: the first cell has video 0's feature only (5 away); the second has nothing else, so keeps all
    np.testing.assert_allclose(memory.distances(maps, leave_out=1)[0], [[5.0, 1.0]])
    with pytest.raises(PrivadError, match="patch cells"):
        memory.distances(np.zeros((1, 2, 2, 2), np.float16))


def test_frames_between_embedded_ones_take_the_nearest_embedded_frames_cells():
    bank = np.zeros((1, 1, 1, 1), np.float32)
    memory = PatchMemory(PatchConfig(every=4), bank)
    maps = np.array([0.0, 1.0, 2.0], np.float16).reshape(3, 1, 1, 1)  # frames 0, 4 and 8 embedded
    cells = memory.cell_scores(maps, 10)[:, 0, 0]
    np.testing.assert_allclose(cells, [0, 0, 0, 1, 1, 1, 2, 2, 2, 2])  # 2/4 rounds to 0, 3/4 to 1, 9/4 to 2


def test_patch_features_have_one_cell_per_8_px_and_unit_levels():
    frame = np.random.default_rng(0).integers(0, 255, (64, 96, 3), np.uint8)
    f = patch_features([frame, frame])
    assert f.shape == (2, 8, 12, 128) and f.dtype == np.float16
    np.testing.assert_allclose(f[0], f[1])
    # each level is L2-normalized per cell before the 3x3 average: norms at most 1, near 1 inside smooth maps
    norms = np.linalg.norm(f[0].astype(np.float32)[:, :, :32], axis=2)
    assert norms.max() <= 1.001 and norms.mean() > 0.5


@pytest.fixture(scope="module")
def train():
    return [synthetic_scene(n_frames=200, abnormal=(0, 0), seed=s)[0] for s in range(3)]


def test_the_patches_cue_alone_finds_an_object_no_training_frame_shows_and_round_trips(train, tmp_path):
    """The anomaly walks at a walker's pace with a walker's shape, bright where walkers are dark: motion cannot
    tell (the motion-only model's AUC is near chance), the look of the place it crosses can."""
    frames, labels = synthetic_scene(n_frames=200, abnormal=(120, 170), seed=7, anomaly="object")
    motion = build_model("objects", {"use_appearance": False, "silhouette": False, "patches": None}).fit(train).score(
        frames)
    assert roc_auc_score(labels, motion.frames) < 0.8
    model = build_model("objects", ONLY_PATCHES).fit(train)
    assert model.fitted_.arrays["patch_bank"].shape == (30, 40, 32, 128)
    scores = model.score(frames)
    assert roc_auc_score(labels, scores.frames) > 0.9
    top = max(scores.regions, key=lambda r: r[-1])
    assert 120 <= top[0] < 170 + 6
    save_model(model, None, tmp_path / "m.privad")
    loaded, _ = load_model(tmp_path / "m.privad")
    np.testing.assert_allclose(loaded.score(frames).frames, scores.frames, rtol=1e-5, atol=1e-6)


def test_fit_score_with_the_patches_cue_scores_as_fit_then_score(train):
    model = build_model("objects", ONLY_PATCHES)
    together = model.fit_score(train[:2], ["a", "b"])
    np.testing.assert_allclose(together[1].frames, model.score(train[1], "b").frames)


def test_box_cells_cover_each_box_with_at_least_one_cell():
    boxes = np.array([[0, 0, 16, 8], [13, 9, 14, 10], [70, 30, 200, 90]], float)  # the last runs off a 5x9 grid
    np.testing.assert_array_equal(box_cells(boxes, (5, 9), CELLS_PER_PX), [[0, 1, 0, 2], [1, 2, 1, 2], [3, 5, 8, 9]])


def test_part_memory_scores_a_region_by_its_farthest_cell_from_any_training_cell():
    """Two training videos' regions: cells [1, 0] (video 0) and [0, 1] (video 1), kept wherever they were."""
    maps = np.zeros((2, 1, 2, 3, 2), np.float16)  # per video: 1 embedded frame of 2x3 cells, 2-d features
    maps[0, 0, 0, 0] = [1, 0]
    maps[1, 0, 1, 2] = [0, 1]
    regions = [(np.array([0]), np.array([[0, 0, 8, 8]])), (np.array([0]), np.array([[16, 8, 24, 16]]))]
    config = PatchConfig(place="objects", every=1)
    memory = PartMemory.fit([video_features(m, 1, *r, config) for m, r in zip(maps, regions)], config)
    assert sorted(map(tuple, memory.bank.tolist())) == [(0.0, 1.0), (1.0, 0.0)]
    query = np.zeros((1, 2, 3, 2), np.float16)
    query[0, 0, 2] = [1, 0]  # the first video's look, in another place: not new
    query[0, 1, 0] = [4, 0]  # 3 from [1, 0]
    boxes = np.array([[16, 0, 24, 8], [0, 8, 8, 16], [0, 0, 24, 16]], float)
    cells = video_features(query, 1, np.zeros(3, int), boxes, config)
    assert len(cells.features) == 6  # the third box covers the others' cells: each cell is kept once
    np.testing.assert_allclose(memory.region_cue(cells), [0.0, 3.0, 3.0])
    # video 0 left out: [1, 0] is matched by video 1's [0, 1] only
    np.testing.assert_allclose(memory.region_cue(video_features(query, 1, np.zeros(1, int), boxes[:1], config),
                                                 leave_out=0), [np.sqrt(2)], rtol=1e-6)


def test_region_cells_keep_each_cell_under_a_region_once_from_its_nearest_embedded_frame():
    maps = np.arange(2 * 3 * 4 * 2, dtype=np.float16).reshape(2, 3, 4, 2)  # frames 0 and 2 of 4 embedded (every 2)
    boxes = np.array([[0, 0, 16, 8], [8, 0, 24, 16], [0, 0, 8, 8]], float)
    cells = RegionCells.of(maps, 4, np.array([1, 2, 0]), boxes, every=2)
    # frame 1 rounds to embedded frame 0 (rint(0.5) = 0), frame 2 is embedded frame 1; region 2 repeats region 0's
    # first cell, which is kept once
    expected = [maps[0, 0:1, 0:2], maps[1, 0:2, 1:3], maps[0, 0:1, 0:1]]
    for k, want in enumerate(expected):
        got = cells.features[cells.cells[cells.start[k]:cells.start[k + 1]]]
        np.testing.assert_array_equal(got, want.reshape(-1, 2))
    assert len(cells.features) == 2 + 4 and len(cells) == 3
    np.testing.assert_array_equal(cells.owners(), [0, 0, 1, 1, 1, 1, 2])


def test_the_part_memory_cue_alone_finds_an_object_no_training_frame_shows(train):
    frames, labels = synthetic_scene(n_frames=200, abnormal=(120, 170), seed=7, anomaly="object")
    model = build_model("objects", {**ONLY_PATCHES, "patches": {"place": "objects"}}).fit(train)
    assert model.fitted_.arrays["patch_bank"].shape == (4096, 128)
    assert roc_auc_score(labels, model.score(frames).frames) > 0.9


def test_crop_parts_average_the_stride_8_map_over_each_stride_16_cell_and_normalize_each_level():
    low = np.zeros((1, 32, 3, 3), np.float32)  # a stride-2 layer rounded 3 up to 2: the edge row and column repeat
    low[0, 0] = [[1, 3, 5], [1, 3, 5], [7, 7, 7]]
    low[0, 1] = 1.0
    high = np.zeros((1, 96, 2, 2), np.float32)
    high[0, 2] = 2.0
    parts = crop_parts(low, high)
    assert parts.shape == (1, 4, 128) and parts.dtype == np.float16
    first = np.array([2.0, 5.0, 7.0, 7.0])  # channel 0 over each 2x2 (edge repeated): 2, 5 / 7, 7; channel 1: 1
    np.testing.assert_allclose(parts[0, :, 0], first / np.hypot(first, 1), rtol=1e-3)
    np.testing.assert_allclose(np.linalg.norm(parts[0, :, 32:].astype(np.float32), axis=1), 1.0, rtol=1e-3)


def test_the_encoder_gives_parts_from_the_same_call_as_its_pooled_features():
    crops = [np.random.default_rng(s).integers(0, 255, (40 + s, 20 + s, 3), np.uint8) for s in range(3)]
    plain = AppearanceEncoder(size=128)(crops)
    pooled, parts = AppearanceEncoder(size=128, parts=True).embed(crops)
    np.testing.assert_allclose(pooled, plain, atol=1e-4)
    assert parts.shape == (3, 64, 128)  # a cell per 16 px of the 128 px crop
    assert AppearanceEncoder(size=128, parts=True).embed([])[1].shape == (0, 64, 128)
    assert AppearanceEncoder(size=128).embed(crops)[1] is None


def test_the_encoder_gives_the_same_features_however_many_crops_go_in_one_call():
    """The fit embeds 16 crops a call and scoring 64 (FIT_BATCH): a crop's features must not depend on its batch."""
    crops = [(np.random.default_rng(i).random((30 + i, 15 + i // 2, 3)) * 255).astype(np.uint8) for i in range(40)]
    encoder = AppearanceEncoder(size=64, batch=64)
    fitting = encoder.with_batch(FIT_BATCH)
    assert fitting.batch == FIT_BATCH < 40 and fitting._session is encoder._session and encoder.batch == 64
    np.testing.assert_array_equal(fitting(crops), encoder(crops))


def test_the_crop_part_memory_scores_a_crop_by_its_farthest_cell():
    """Training crops of video 0 hold the part [1, 0], of video 1 the part [0, 1]."""
    train = [np.array([[[1, 0], [1, 0]]], np.float16), np.array([[[0, 1], [0, 1]]], np.float16)]
    memory = PartMemory.fit_crops(train, PatchConfig(place="crops", size=2))
    assert sorted(map(tuple, memory.bank.tolist())) == [(0.0, 1.0), (1.0, 0.0)]
    crops = np.array([[[1, 0], [4, 0]], [[0, 1], [0, 1]]], np.float16)
    np.testing.assert_allclose(memory.crop_cue(crops), [3.0, 0.0])
    np.testing.assert_allclose(memory.crop_cue(crops, leave_out=0), [np.sqrt(17), 0.0], rtol=1e-6)
    assert memory.crop_cue(np.zeros((0, 2, 2), np.float16)).shape == (0,)


def test_the_crop_part_memory_cue_alone_finds_an_object_no_training_frame_shows_and_round_trips(train, tmp_path):
    frames, labels = synthetic_scene(n_frames=200, abnormal=(120, 170), seed=7, anomaly="object")
    model = build_model("objects", {**ONLY_PATCHES, "patches": {"place": "crops"}}).fit(train)
    assert model.fitted_.arrays["patch_bank"].shape[1] == 128
    scores = model.score(frames)
    assert roc_auc_score(labels, scores.frames) > 0.9
    save_model(model, None, tmp_path / "m.privad")
    loaded, _ = load_model(tmp_path / "m.privad")
    np.testing.assert_allclose(loaded.score(frames).frames, scores.frames, rtol=1e-5, atol=1e-6)
    # its cue comes with the regions' crops: fit_score scores the training videos without finding them again
    together = model.fit_score(train[:2], ["a", "b"])
    np.testing.assert_allclose(together[1].frames, model.score(train[1], "b").frames, rtol=1e-5, atol=1e-6)
