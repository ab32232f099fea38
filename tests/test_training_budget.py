"""Fitting on a large corpus: the training frame budget (`training_plan`) and a fit that holds one video at a time."""

from __future__ import annotations

import gc
from functools import partial
import weakref

import numpy as np
import pytest

from privad.data import load_dataset
from privad.engine.evaluate import evaluate
from privad.engine.views import MAX_TRAIN_FRAMES, TRAIN_SEGMENT, read_videos, training_plan
from privad.errors import PrivadError
from privad.vad import build_model


def test_a_corpus_under_the_budget_is_read_whole():
    assert training_plan([100, 200], 1000) == [100, 200]
    assert training_plan([10**6], None) == [10**6]


def test_every_video_gives_its_first_frames_as_evenly_as_the_budget_allows():
    plan = training_plan([100, 2000, 3000], 1000)
    assert plan == [100, 450, 450] and sum(plan) == 1000


def test_a_large_corpus_is_read_as_segments_of_evenly_spaced_videos():
    counts = [830] * 330  # ShanghaiTech's training split has about this shape
    plan = training_plan(counts, 20_000)
    assert sum(plan) <= 20_000 and set(plan) == {0, TRAIN_SEGMENT}
    picked = np.flatnonzero(plan)
    assert picked[0] == 0 and picked[-1] == len(counts) - 1  # spread over the whole list, both ends included
    gaps = np.diff(picked)
    assert gaps.max() - gaps.min() <= 1
    # a budget under one segment still reads something, and never more than the budget
    assert training_plan([1000] * 10, 100) == [100] + [0] * 9


def test_a_budget_must_be_positive():
    with pytest.raises(PrivadError, match="at least 1"):
        training_plan([100, 100], 0)


def test_the_cli_help_names_the_default_budget():
    from privad.cli.options import MaxTrainFrames

    assert f"{MAX_TRAIN_FRAMES:,}" in MaxTrainFrames.__metadata__[0].help


def test_read_videos_reads_only_the_planned_frames(ped2):
    sources = [ped2 / "training" / "frames" / name for name in ("01", "02", "03")]
    seen = []
    videos = list(read_videos(sources, None, seen.append, [5, 0, 150]))
    assert [len(v) for v in videos] == [5, 150] and len(seen) == 3  # 03 has 150 frames; 02 skipped, still counted


def test_read_videos_gives_the_heap_back_once_each_video_is_used(ped2, monkeypatch):
    """`release_memory` runs after the model is done with each video (the last one too), never before it is used."""
    import privad.engine.views as views

    events = []
    monkeypatch.setattr(views, "release_memory", lambda: events.append("trim"))
    sources = [ped2 / "training" / "frames" / name for name in ("01", "02", "03")]
    for frames in read_videos(sources, None, lengths=[5, 0, 4]):
        events.append(len(frames))
    assert events == [5, "trim", 4, "trim"]


def test_fit_holds_one_training_video_at_a_time(ped2):
    """The objects model reads its training videos from a generator and lets each one's frames go once its regions
    are described: a video two behind the current one is no longer alive."""
    data = load_dataset("ucsd_ped2", ped2)
    alive: list[weakref.ref] = []

    def videos():
        for k, v in enumerate(data.train[:4]):
            gc.collect()
            if k >= 2:
                assert alive[k - 2]() is None, f"training video {k - 2}'s frames are still held"
            frames = v.frames()[:60]
            alive.append(weakref.ref(frames[0]))
            yield frames

    model = build_model("objects", {}).fit(videos())
    assert model.fitted_.info["train_videos"] == 4


def test_evaluate_reports_the_frames_its_fit_read(ped2):
    data = load_dataset("ucsd_ped2", ped2)
    # 120 + 150 + 150 + 180 frames under a budget of 570: the first 150 of each (01 whole)
    result = evaluate(data, config={"use_appearance": False}, max_train=4, max_test=1, max_train_frames=570)
    assert result.extra["train_frames"] == 570 and result.extra["train_videos"] == 4


def test_cli_fit_reads_within_the_budget(monkeypatch, capsys, ped2, tmp_path):
    from clirun import run

    frames = ped2 / "training" / "frames"
    # 120 + 150 + 150 frames, a budget of 300: under 150 frames a video, so the first 150 of evenly spaced videos (01, 03)
    code, out, err = run(monkeypatch, capsys, "fit", frames / "01", frames / "02", frames / "03", "-o",
                         tmp_path / "m.privad", "--set", "use_appearance=false", "--max-train-frames", "300")
    assert code in (0, None), err
    assert "fitted objects on 2 videos" in out
    code, out, err = run(monkeypatch, capsys, "fit", "--kind", "mil", "--max-train-frames", "10", "-o",
                         tmp_path / "w.privad")
    assert code == 2 and "--max-train-frames applies to the one-class models" in err


def test_scoring_reads_a_stream_without_holding_its_full_size_frames(ped2):
    """A model that shrinks frames takes them as they are decoded: the scores equal those of the whole list, and a
    full-size frame is let go once it is shrunk."""
    import cv2

    from privad.vad.scoring import to_training_size

    data = load_dataset("ucsd_ped2", ped2)
    model = build_model("objects", {"use_appearance": False}).fit(v.frames()[:90] for v in data.train[:3])
    big = [cv2.resize(f, (720, 480)) for f in data.test[0].frames()[:60]]
    alive: list[weakref.ref] = []

    def stream():
        for k, frame in enumerate(big):
            gc.collect()
            if k >= 2:
                assert alive[k - 2]() is None, f"full-size frame {k - 2} is still held"
            copy = frame.copy()
            alive.append(weakref.ref(copy))
            yield copy

    streamed = model.score(stream())
    whole = model.score(big)
    np.testing.assert_array_equal(streamed.frames, whole.frames)
    assert streamed.regions == whole.regions and len(whole.regions) > 0
    shrunk, sx, sy = to_training_size(iter(big[:3]), (240, 360))
    assert (sx, sy) == (2.0, 2.0) and [f.shape for f in shrunk] == [(240, 360, 3)] * 3


def test_a_fit_from_files_reads_each_frame_at_the_size_the_model_analyses_and_fits_the_same_model(ped2, tmp_path):
    """Training videos larger than the model reads are shrunk as they are decoded (never held whole at full size),
    and the model fitted so is the one fitted on the whole full-size frames."""
    import cv2

    from privad.engine.fit import fit_model, fit_sources, new_model
    from privad.io.sources import read_all
    from privad.vad.model import analysed_size

    data = load_dataset("ucsd_ped2", ped2)
    sources = []
    for k, video in enumerate(data.train[:2]):
        folder = tmp_path / f"{k:02d}"
        folder.mkdir()
        for i, frame in enumerate(video.frames()[:70]):
            cv2.imwrite(str(folder / f"{i:03d}.png"), cv2.resize(frame, (720, 480)))
        sources.append(folder)
    config = {"use_appearance": False}
    shrunk = list(read_videos(sources, None, lengths=[70, 60],
                              size=partial(analysed_size, new_model("objects", config))))
    assert [len(v) for v in shrunk] == [70, 60] and {f.shape for v in shrunk for f in v} == {(240, 360, 3)}
    read = fit_sources("objects", config, sources, None, None)
    whole = fit_model("objects", config, [read_all(s)[0] for s in sources])
    assert read.fitted_.threshold == whole.fitted_.threshold
    assert read.fitted_.arrays.keys() == whole.fitted_.arrays.keys()
    for name, array in whole.fitted_.arrays.items():
        np.testing.assert_array_equal(read.fitted_.arrays[name], array, err_msg=name)
    # the frames' size passed to the model is the one it analyses at: unchanged for a model that reads any size
    assert [f.shape for f in next(read_videos(sources[:1], None, lengths=[3], size=partial(
        analysed_size, new_model("attribute", config))))] == [(480, 720, 3)] * 3
