"""The median regions' background taken from the training videos (`background: scene`): the median over several
videos, a still object the clip's own median hides, and the `objects` model with it (round trip, planted anomaly)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from privad.data.synthetic import synthetic_scene
from privad.vad import build_model, load_model, save_model
from privad.vad.regions import RegionExtractor, scene_background


def _video(value: int, n: int, size=(40, 60)) -> list[np.ndarray]:
    return [np.full((*size, 3), value, np.uint8) for _ in range(n)]


def test_scene_background_is_the_median_over_all_videos_together():
    # 30 frames at 10 and 10 at 200: the median of the frames spread over both is 10, whatever each clip's own is
    bg = scene_background([_video(10, 30), _video(200, 10)], samples=40)
    assert bg.shape == (40, 60) and np.all(bg == 10)
    assert np.all(scene_background([_video(200, 10)]) == 200)
    shrunk = scene_background([_video(10, 5, size=(80, 120))], size=(40, 60))
    assert shrunk.shape == (40, 60)


def test_a_still_object_hidden_by_the_clips_median_is_a_region_against_the_scene_background():
    empty = np.full((60, 80, 3), 120, np.uint8)
    frames = [empty.copy() for _ in range(20)]
    for f in frames[:15]:  # a dark block that stands still for most of the clip: part of the clip's median
        f[20:40, 30:45] = 20
    own = list(RegionExtractor(source="median")(frames))
    given = list(RegionExtractor(source="median")(frames, background=scene_background([[empty] * 5])))
    assert sum(len(r.boxes) for r in own[:15]) == 0
    assert all(len(r.boxes) == 1 for r in given[:15])
    np.testing.assert_allclose(given[0].boxes[0], [30, 20, 45, 40])


def test_objects_with_the_scene_background_finds_the_planted_anomaly_and_round_trips(tmp_path):
    train = [synthetic_scene(n_frames=150, abnormal=(0, 0), seed=s)[0] for s in range(3)]
    frames, labels = synthetic_scene(n_frames=150, abnormal=(90, 130), seed=7)
    model = build_model("objects", {"background": "scene"}).fit(train)
    assert model.fitted_.arrays["background"].shape == frames[0].shape[:2]
    scores = model.score(frames)
    assert roc_auc_score(labels, scores.frames) > 0.9
    path = tmp_path / "m.privad"
    save_model(model, None, path)
    loaded, _ = load_model(path)
    np.testing.assert_allclose(loaded.score(frames).frames, scores.frames, rtol=1e-5, atol=1e-6)  # float rounding
