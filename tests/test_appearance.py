"""Appearance at a fraction of the cost: MobileNetV2 through onnxruntime (an export cached once), and embedding one
sighting in k of each track (`appearance_every`)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from privad.vad.registry import build_model

APPEARANCE = {"use_appearance": True, "whiten": False, "knn_k": 1}  # AI-VAD's way: 1-NN on normalized features


def test_track_samples_stand_for_the_nearest_embedded_sighting():
    """Two interleaved tracks of 10 and 3 sightings and a lone region; every 4th sighting of each track is embedded
    (1st, 5th, 9th), the others take the nearest (the later on a tie); every=1 leaves each region alone."""
    from privad.vad.tracks import track_samples

    index = np.r_[np.arange(10), np.arange(3), 5]
    ids = np.r_[np.zeros(10), np.ones(3), 7].astype(int)
    order = np.random.default_rng(0).permutation(len(index))  # rows in any order
    stand = track_samples(index[order], ids[order], 4)
    row_of = {(int(ids[o]), int(index[o])): r for r, o in enumerate(order)}  # (track, frame) -> row
    frame_of_stand = {key: int(index[order][stand[row]]) for key, row in row_of.items()}
    assert [frame_of_stand[(0, t)] for t in range(10)] == [0, 0, 4, 4, 4, 4, 8, 8, 8, 8]
    assert [frame_of_stand[(1, t)] for t in range(3)] == [0, 0, 0]
    assert frame_of_stand[(7, 5)] == 5
    assert all(ids[order][stand] == ids[order])  # never another track's sighting
    assert np.array_equal(track_samples(index, ids, 1), np.arange(len(index)))


def test_the_onnx_encoder_agrees_with_the_torch_network_and_is_cached(tmp_path, monkeypatch):
    """The encoder runs an ONNX export of the shipped network's feature layers: its codes agree with torch's to
    float rounding and do not depend on the batch; once exported, a new session reads the export from the cache
    instead of exporting again."""
    import torch

    from privad.backbones import appearance

    monkeypatch.setenv("PRIVAD_CACHE", str(tmp_path / "cache"))
    appearance.mobilenet_session.cache_clear()
    rng = np.random.default_rng(1)
    crops = [rng.integers(0, 255, (int(rng.integers(20, 90)), int(rng.integers(10, 50)), 3), np.uint8)
             for _ in range(70)]  # more than one batch
    encoder = appearance.AppearanceEncoder(batch=32)
    assert len(list((tmp_path / "cache").glob("mobilenetv2-features-*.onnx"))) == 1
    got = encoder(crops)
    assert got.shape == (70, 1280) and np.all(np.isfinite(got))
    np.testing.assert_array_equal(encoder(crops[::-1])[::-1], got)  # a crop's code does not depend on its batch
    x = np.stack([cv2.resize(c, (64, 64), interpolation=cv2.INTER_AREA)[:, :, ::-1] for c in crops[:8]])
    x = ((x.astype(np.float32) / 255.0 - appearance.MEAN) / appearance.STD).transpose(0, 3, 1, 2)
    with torch.inference_mode():
        torch_codes = appearance.mobilenet_v2("cpu")(torch.from_numpy(np.ascontiguousarray(x))).numpy()
    np.testing.assert_allclose(got[:8], torch_codes, atol=1e-4)
    peak = appearance.AppearanceEncoder(pool="max")(crops[:8])
    assert np.all(peak >= got[:8] - 1e-6) and not np.allclose(peak, got[:8])  # the max over space is not the mean
    appearance.mobilenet_session.cache_clear()
    monkeypatch.setattr(appearance, "_mobilenet_onnx", lambda: pytest.fail("exported again despite the cache"))
    np.testing.assert_array_equal(appearance.AppearanceEncoder(batch=32)(crops), got)
    appearance.mobilenet_session.cache_clear()


def test_appearance_every_k_embeds_fewer_crops_and_still_finds_the_appearance_anomaly(monkeypatch):
    """With one sighting in 4 embedded, the planted object (walker-like motion, an unseen look) is still found, and
    the encoder sees about a quarter of the regions (tracks' first sightings always count)."""
    from sklearn.metrics import roc_auc_score

    from privad.backbones.appearance import AppearanceEncoder
    from privad.data.synthetic import synthetic_scene

    seen: list[int] = []
    call = AppearanceEncoder.embed
    monkeypatch.setattr(AppearanceEncoder, "embed", lambda self, crops: seen.append(len(crops)) or call(self, crops))
    train = [synthetic_scene(n_frames=200, abnormal=(0, 0), seed=s)[0] for s in range(3)]
    frames, labels = synthetic_scene(n_frames=200, abnormal=(120, 170), seed=7, anomaly="object")
    every = build_model("objects", {**APPEARANCE, "appearance_every": 4}).fit(train)
    embedded, regions = sum(seen), every.fitted_.info["train_regions"]
    assert regions / 6 < embedded < regions / 2
    scores = every.score(frames)
    assert roc_auc_score(labels, scores.frames) > 0.95
    assert len(seen) == 4  # one batch of crops per video, not one per frame


@pytest.mark.parametrize("every", [1, 4])
def test_appearance_every_survives_save_and_load(every, tmp_path):
    """Also AI-VAD's unwhitened PCA (a loaded file once rebuilt every PCA as whitening: scores 70x off)."""
    from privad.data.synthetic import synthetic_scene
    from privad.protect.config import AnonymizeConfig
    from privad.vad.persistence import load_model, save_model

    train = [synthetic_scene(n_frames=120, abnormal=(0, 0), seed=s)[0] for s in range(2)]
    frames, _ = synthetic_scene(n_frames=120, abnormal=(60, 100), seed=7, anomaly="object")
    model = build_model("objects", {**APPEARANCE, "appearance_every": every}).fit(train)
    save_model(model, AnonymizeConfig(), tmp_path / "m.privad")
    loaded, _ = load_model(tmp_path / "m.privad")
    assert loaded.config.appearance_every == every
    np.testing.assert_allclose(loaded.score(frames).frames, model.score(frames).frames, rtol=1e-5, atol=1e-6)


def test_pooling_over_a_grid_keeps_each_cells_mean_apart():
    """A 4x4 map whose top half is 1 and bottom half 3 in channel 0 (channel 1: its left half 2): the whole map
    averages to 2, a 2x1 grid gives 1 over 3, a 2x2 grid each quarter's own values, row by row; a grid finer than
    the map is an error. An upside-down map differs from the upright one under 2x1 and not under 1x1."""
    from privad.backbones.appearance import pooled
    from privad.errors import PrivadError

    fmap = np.zeros((1, 2, 4, 4), np.float32)
    fmap[0, 0, :2], fmap[0, 0, 2:], fmap[0, 1, :, :2] = 1, 3, 2
    np.testing.assert_array_equal(pooled(fmap), [[2, 1]])
    np.testing.assert_array_equal(pooled(fmap, grid=(2, 1)), [[1, 1, 3, 1]])  # top cell's channels, then bottom's
    np.testing.assert_array_equal(pooled(fmap, grid=(2, 2)), [[1, 2, 1, 0, 3, 2, 3, 0]])
    np.testing.assert_array_equal(pooled(fmap, "max", (1, 2)), [[3, 2, 3, 0]])
    flipped = fmap[:, :, ::-1]
    np.testing.assert_array_equal(pooled(flipped), pooled(fmap))
    assert not np.array_equal(pooled(flipped, grid=(2, 1)), pooled(fmap, grid=(2, 1)))
    with pytest.raises(PrivadError, match="feature map"):
        pooled(fmap, grid=(5, 1))


def test_appearance_grid_survives_save_and_load_and_finds_the_appearance_anomaly(tmp_path):
    """A model with appearance pooled over 2x1 cells: codes twice as long, the planted object found, and a saved
    file scores as the model did."""
    from sklearn.metrics import roc_auc_score

    from privad.data.synthetic import synthetic_scene
    from privad.vad.persistence import load_model, save_model

    train = [synthetic_scene(n_frames=150, abnormal=(0, 0), seed=s)[0] for s in range(2)]
    frames, labels = synthetic_scene(n_frames=150, abnormal=(80, 130), seed=7, anomaly="object")
    # border keep: the synthetic walkers wrap around the frame (out at one edge, in at the other), which the default's
    # edge rule would hide; this test is about the pooling grid
    model = build_model("objects", {**APPEARANCE, "appearance_grid": [2, 1], "border": "keep"}).fit(train)
    assert model.encoder([frames[0][:40, :20]]).shape == (1, 2560)
    scores = model.score(frames)
    assert roc_auc_score(labels, scores.frames) > 0.95
    save_model(model, None, tmp_path / "m.privad")
    loaded, _ = load_model(tmp_path / "m.privad")
    assert loaded.config.appearance_grid == (2, 1)
    np.testing.assert_allclose(loaded.score(frames).frames, scores.frames, rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_appearance_cue_embeds_crops_with_a_local_clip_checkpoint_and_needs_that_file(tmp_path, small_clip,
                                                                                          monkeypatch):
    """`appearance_checkpoint`: crops go through the CLIP encoder at that path (its 16-d embedding reaches the PCA,
    not MobileNetV2's 1280), the model file scores the same after a round trip (from another folder: a relative path
    is kept absolute), and scoring refuses another file or none at all."""
    import torch

    from privad.data.synthetic import synthetic_scene
    from privad.errors import PrivadError
    from privad.vad import load_model, save_model

    path = tmp_path / "clip.pt"
    torch.save({f"visual.{k}": v for k, v in small_clip().state_dict().items()}, path)
    train = [synthetic_scene(n_frames=100, abnormal=(0, 0), seed=s)[0] for s in range(2)]
    frames, _ = synthetic_scene(n_frames=100, abnormal=(50, 80), seed=7, anomaly="object")
    monkeypatch.chdir(tmp_path)
    model = build_model("objects", {"appearance_checkpoint": "clip.pt"}).fit(train)
    assert model.config.appearance_checkpoint == str(path)
    assert model.fitted_.arrays["pca.components_"].shape[1] == 16
    scores = model.score(frames).frames
    monkeypatch.chdir(tmp_path.parent)
    save_model(model, None, tmp_path / "m.privad")
    np.testing.assert_allclose(load_model(tmp_path / "m.privad")[0].score(frames).frames, scores, rtol=1e-5, atol=1e-6)
    torch.save({f"visual.{k}": v for k, v in small_clip(seed=1).state_dict().items()}, path)  # another file there
    with pytest.raises(PrivadError, match="not the CLIP checkpoint this model was fitted with"):
        load_model(tmp_path / "m.privad")[0].score(frames)
    path.unlink()
    with pytest.raises(PrivadError, match="appearance checkpoint not found"):
        load_model(tmp_path / "m.privad")[0].score(frames)
    with pytest.raises(PrivadError, match="neither appearance_grid nor patches"):
        build_model("objects", {"appearance_checkpoint": str(path), "patches": {"place": "crops"}})


def test_network_input_is_the_float_normalization_to_the_bit():
    """The per-channel lookup gives exactly what normalizing in float32 gives (RGB order, ImageNet mean and std);
    anything but uint8 is refused."""
    from privad.backbones.appearance import MEAN, STD, network_input
    from privad.errors import PrivadError

    images = list(np.random.default_rng(0).integers(0, 256, (3, 17, 23, 3), dtype=np.uint8))
    x = np.stack([image[:, :, ::-1] for image in images]).astype(np.float32) / 255.0
    expected = ((x - MEAN) / STD).transpose(0, 3, 1, 2)
    got = network_input(images)
    assert got.shape == (3, 3, 17, 23) and got.dtype == np.float32 and got.flags.c_contiguous
    assert np.array_equal(got, expected)
    with pytest.raises(PrivadError, match="uint8"):
        network_input([images[0].astype(np.float32)])
