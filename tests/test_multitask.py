"""The SSMTL-style multitask model: tubes, a short real training on Ped2, save/load, bad input."""

import numpy as np
import pytest

from privad.data import load_dataset
from privad.errors import PrivadError
from privad.vad import build_model, load_model, save_model
from privad.vad.oneclass.multitask import TASKS
from privad.vad.regions import FrameRegions
from privad.vad.oneclass.tubes import extract_tubes, sightings, square_box

TINY = {"epochs": 2, "max_train_tubes": 600, "channels": 8, "teacher_dim": 8, "batch_size": 32}


def test_square_box_is_centred_and_clipped():
    assert square_box(np.array([40, 40, 60, 80]), 320, 240, pad=0.0) == (30, 40, 70, 80)
    assert square_box(np.array([0, 0, 10, 10]), 320, 240, pad=0.5) == (0, 0, 15, 15)
    # at least `least` tall: a 10 px fragment where objects are 40 px gets a 40 px square around the same centre
    assert square_box(np.array([45, 45, 55, 55]), 320, 240, pad=0.0, least=40) == (30, 30, 70, 70)


def test_tubes_follow_time_and_clamp_at_the_ends():
    frames = [np.full((40, 40, 3), 10 * i, np.uint8) for i in range(10)]
    regions = [FrameRegions(i, np.array([[10, 10, 20, 20]], np.float32), np.zeros((1, 11), np.float32), [],
                            np.zeros((1, 128), np.float32)) for i in (0, 5)]
    tubes = extract_tubes(sightings(frames, regions), radius=2, size=8)
    assert tubes.consecutive.shape == (2, 5, 8, 8) and list(tubes.frame) == [0, 5]
    # gray levels of frames t-2..t+2 (clamped to 0 at the start), steps 1 and 2
    assert list(tubes.consecutive[0, :, 0, 0]) == [0, 0, 0, 10, 20]
    assert list(tubes.consecutive[1, :, 0, 0]) == [30, 40, 50, 60, 70]
    assert list(tubes.skipped[1, :, 0, 0]) == [10, 30, 50, 70, 90]


def test_row_crops_show_a_fragment_at_its_objects_scale():
    """A 4 px fragment at a row where objects are 16 px tall: its row crop spans the 16 px object, its box crop only
    the fragment's own bright pixels."""
    frame = np.zeros((40, 40, 3), np.uint8)
    frame[12:28, 12:28] = 200  # the object: 16 px
    frames = [frame] * 3
    regions = [FrameRegions(1, np.array([[18, 18, 22, 22]], np.float32), np.zeros((1, 11), np.float32), [],
                            np.zeros((1, 128), np.float32))]
    seen = sightings(frames, regions)
    box = extract_tubes(seen, radius=1, size=16).consecutive[0, 1]
    row = extract_tubes(seen, radius=1, size=16, heights=np.full(40, 16.0)).consecutive[0, 1]
    assert box.min() == 200  # inside the object
    assert row.min() == 0 and row.max() == 200 and 0.35 < (row > 100).mean() < 0.8  # the object and around it
    assert seen.middle[0].shape[:2] == (6, 6)  # the teacher's crop stays the box's own square


@pytest.fixture(scope="module")
def ped2_data(ped2):
    return load_dataset("ucsd_ped2", ped2)


@pytest.fixture(scope="module")
def fitted(ped2_data):
    return build_model("multitask", TINY).fit([v.frames() for v in ped2_data.train[:2]])


def test_training_learns_the_proxy_tasks(fitted):
    history = fitted.fitted_.info["history"]
    assert len(history) == 2 and set(TASKS) <= set(history[0])
    # cross-entropy starts near ln 2 = 0.69; after two short epochs arrow of time and irregularity are being learnt
    assert history[-1]["arrow"] < history[0]["arrow"] and history[-1]["irregular"] < 0.69
    assert history[-1]["reconstruction"] < history[0]["reconstruction"]
    assert fitted.fitted_.info["train_tubes"] == 600 and fitted.fitted_.threshold > fitted.fitted_.floor


def test_finds_the_planted_fast_mover():
    from sklearn.metrics import roc_auc_score

    from privad.data.synthetic import synthetic_scene

    train = [synthetic_scene(300, abnormal=(0, 0), seed=s)[0] for s in (1, 2)]
    model = build_model("multitask", TINY | {"epochs": 3, "max_train_tubes": 1000}).fit(train)
    frames, labels = synthetic_scene(300, seed=3)
    assert roc_auc_score(labels, model.score(frames).frames) > 0.9


def test_row_crops_and_log_odds_fit_save_and_load(ped2_data, tmp_path):
    model = build_model("multitask", TINY | {"epochs": 1, "crop": "row", "failure": "logit"}).fit(
        [v.frames()[:60] for v in ped2_data.train[:2]])
    heights = model.fitted_.arrays["row_heights"]
    assert heights.shape == (240,) and 10 < np.median(heights) < 60
    frames = ped2_data.test[3].frames()[:40]
    tubes = model._tubes(frames)
    logit = model._failures(tubes)
    model.config = model.config.model_copy(update={"failure": "probability"})
    prob = model._failures(tubes)
    model.config = model.config.model_copy(update={"failure": "logit"})
    assert (logit[:, :2] < 0).any()  # log-odds, not probabilities: their sigmoid is the heads' probability
    np.testing.assert_allclose(1 / (1 + np.exp(-logit[:, :2])), prob[:, :2], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(logit[:, 2:], prob[:, 2:])
    path = tmp_path / "row.privad"
    save_model(model, None, path)
    loaded, _ = load_model(path)
    np.testing.assert_allclose(loaded.score(frames).frames, model.score(frames).frames, rtol=1e-5, atol=1e-6)


def test_fit_lets_each_videos_colour_crops_go(monkeypatch, ped2_data):
    """The teacher embeds a training video's colour crops as it is read; none is held once the next video comes."""
    import gc
    import weakref

    from privad.vad.oneclass import multitask

    crops: list[weakref.ref] = []

    def recorded(frames, regions):
        seen = sightings(frames, regions)
        crops.append(weakref.ref(seen.middle[0]))
        return seen

    def videos():
        for v in ped2_data.train[:3]:
            gc.collect()
            assert all(ref() is None for ref in crops), "an earlier training video's colour crops are still held"
            yield v.frames()[:40]

    monkeypatch.setattr(multitask, "sightings", recorded)
    model = build_model("multitask", TINY | {"epochs": 1}).fit(videos())
    assert len(crops) == 3 and model.fitted_.info["train_videos"] == 3


def test_fit_without_a_teacher_scores_on_three_tasks(ped2_data):
    model = build_model("multitask", TINY | {"epochs": 1, "teacher": False}).fit(
        [v.frames()[:40] for v in ped2_data.train[:2]])
    assert "pca.mean_" not in model.fitted_.arrays and model.fitted_.threshold > model.fitted_.floor
    frames = ped2_data.test[3].frames()[:30]
    failures = model._failures(model._tubes(frames))
    assert (failures[:, 3] == 0).all() and (failures[:, 2] > 0).all()  # no distillation; reconstruction errs
    assert np.isfinite(model.score(frames).frames).all()


def test_scores_and_round_trips(fitted, ped2_data, tmp_path):
    video = ped2_data.test[3]
    result = fitted.score(video.frames(), video.name)
    assert result.frames.shape == (video.num_frames,) and np.isfinite(result.frames).all()
    assert len(result.regions) > video.num_frames
    path = tmp_path / "mt.privad"
    save_model(fitted, None, path)
    loaded, _ = load_model(path)
    again = loaded.score(video.frames()[:50], video.name)
    np.testing.assert_allclose(again.frames, fitted.score(video.frames()[:50]).frames, rtol=1e-5, atol=1e-6)


def test_track_window_averages_region_scores_along_tracks(fitted, ped2_data):
    from privad.vad.oneclass.multitask import along_track
    from privad.vad.tracks import track_ids

    frames = ped2_data.test[3].frames()[:60]
    raw = np.array([r[5] for r in fitted.score(frames).regions])
    tubes = fitted._tubes(frames)
    assert along_track(tubes.frame, tubes.boxes, raw, len(frames), 0) is raw
    model = build_model("multitask", fitted.config.model_dump() | {"track_window": 5})
    model.fitted_, model._net, model._pca, model._calib, model._frame_size = (
        fitted.fitted_, fitted._net, fitted._pca, fitted._calib, fitted._frame_size)
    averaged = np.array([r[5] for r in model.score(frames).regions])
    ids = track_ids(tubes.frame, tubes.boxes, len(frames))
    assert not np.allclose(averaged, raw) and len(np.unique(ids)) < len(ids)  # tracks of several sightings
    for track in np.unique(ids):  # each region within its track's range of raw scores
        mine = ids == track
        assert raw[mine].min() - 1e-9 <= averaged[mine].min() and averaged[mine].max() <= raw[mine].max() + 1e-9


def test_still_video_and_short_training(fitted, ped2_data):
    still = [ped2_data.test[0].frames()[0]] * 15
    assert np.isfinite(fitted.score(still).frames).all()
    with pytest.raises(PrivadError, match="training footage too short"):
        build_model("multitask", TINY).fit([ped2_data.train[0].frames()[:4]])


def test_unknown_model_lists_the_available_ones():
    with pytest.raises(PrivadError, match="available: objects, attribute, multitask"):
        build_model("ssmtl")


def test_cli_fit_multitask_with_settings(monkeypatch, capsys, ped2, tmp_path):
    from clirun import run

    frames = ped2 / "training" / "frames"
    settings = [a for k, v in TINY.items() for a in ("--set", f"{k}={v}")]
    code, out, err = run(monkeypatch, capsys, "fit", frames / "01", frames / "02", "--kind", "multitask",
                         *settings, "-o", tmp_path / "m.privad")
    assert code in (0, None), err
    assert "fitted multitask on 2 videos" in out and (tmp_path / "m.privad").is_file()
    code, _, err = run(monkeypatch, capsys, "fit", frames / "01", "--kind", "multitask", "--set", "epoch=3",
                       "-o", tmp_path / "x.privad")
    assert code == 2 and "multitask setting 'epoch'" in err and not (tmp_path / "x.privad").exists()
    code, _, err = run(monkeypatch, capsys, "fit", frames / "01", "--set", "gmm_components", "-o", tmp_path / "y")
    assert code == 2 and "--set expects KEY=VALUE" in err
