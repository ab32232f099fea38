"""The main job on the synthetic scene: planted anomaly found, every output written, report complete."""

import json

import numpy as np
import pytest

from privad.errors import PrivadError
from privad.engine.demo import demo
from privad.vad.events import find_events
from privad.engine.run import run_job
from privad.data.synthetic import synthetic_scene


def test_find_events_by_hand():
    s = np.array([0, 5, 5, 0, 5, 5, 5, 0, 0, 0, 0, 0, 0, 0, 9, 0], float)
    events = find_events(s, 1.0, fps=2, min_frames=2, merge_gap=1)
    assert [(e.start, e.end, e.peak) for e in events] == [(1, 6, 1)]  # 14 alone is shorter than 2 frames
    assert events[0].start_s == 0.5 and events[0].end_s == 3.5
    assert find_events(s, 10.0, fps=2) == []


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    said: list[str] = []
    summary = demo(out, data=out / "no-data-here", say=said.append)  # forces the synthetic scene
    assert any("no UCSD Ped2 under" in s and "no-data-here" in s and "generated scene" in s for s in said), said
    return out / "run", summary


def test_demo_finds_the_planted_anomaly(demo_run):
    run, summary = demo_run
    _, labels = synthetic_scene()
    scores = np.loadtxt(run / "scores.csv", delimiter=",", skiprows=1)[:, 1]
    assert len(scores) == len(labels) == summary.frames
    assert scores[labels == 1].mean() > scores[labels == 0].max()
    events = json.loads((run / "events.json").read_text())
    assert len(events) >= 1
    hit = [e for e in events if e["start"] <= 260 and e["end"] >= 210]
    assert hit, f"no event overlaps the planted anomaly: {events}"


def test_run_writes_every_output(demo_run):
    run, _ = demo_run
    for name in ("anonymized.mp4", "scores.csv", "regions.csv", "events.csv", "events.json", "summary.json",
                 "report.html"):
        assert (run / name).is_file(), name
    page = (run / "report.html").read_text()
    assert 'id="timeline" src="data:image/png;base64,' in page
    assert 'id="events"' in page and "data:image/jpeg;base64," in page
    # the page explains itself: a legend, and the threshold named after what it came from (here: a calibration)
    assert "How to read this" in page and "99th percentile of the frame scores of the calibration frames" in page
    assert "training 99th" not in page and "The green span (frames 0–" in page
    # a short anonymized clip per event, linked from the page, cut from the written video
    from privad.io.sources import read_all

    events = json.loads((run / "events.json").read_text())
    written = read_all(run / "anonymized.mp4")[0]
    for i, e in enumerate(events, start=1):
        clip = run / "events" / f"event_{i}.mp4"
        assert f"src='events/event_{i}.mp4'" in page
        frames = read_all(clip)[0]
        assert 0 < len(frames) <= 6 * 25 + 1
        first = max(0, e["start"] - 12, e["peak"] - 75)  # half a second before the event, at most 3 s before the peak
        assert np.abs(frames[0].astype(int) - written[first].astype(int)).mean() < 3  # the same (re-encoded) frame
    # a picture per event: its peak frame as written, at the thumbnail's size (boxes drawn on it)
    import base64

    import cv2

    pictures = [cv2.imdecode(np.frombuffer(base64.b64decode(p.split("'")[0]), np.uint8), cv2.IMREAD_COLOR)
                for p in page.split("src='data:image/jpeg;base64,")[1:]]
    assert events and len(pictures) == len(events)
    for e, picture in zip(events, pictures):
        peak = cv2.resize(written[e["peak"]], picture.shape[1::-1], interpolation=cv2.INTER_AREA)
        others = [cv2.resize(written[i], picture.shape[1::-1], interpolation=cv2.INTER_AREA)
                  for i in (0, len(written) - 1) if abs(i - e["peak"]) > 25]
        assert all(np.median(np.abs(picture.astype(int) - peak)) < np.median(np.abs(picture.astype(int) - o))
                   for o in others)
        assert np.median(np.abs(picture.astype(int) - peak)) <= 2


def test_run_needs_model_or_calibration(tmp_path, demo_run):
    run, _ = demo_run
    with pytest.raises(PrivadError, match="--model FILE, --calibrate"):
        run_job(run / "anonymized.mp4", tmp_path / "o")
    with pytest.raises(PrivadError, match="the input has 300"):
        run_job(run / "anonymized.mp4", tmp_path / "o", calibrate_seconds=100)


def test_long_input_streams_in_chunks(demo_run, tmp_path):
    from privad.io.sources import open_source

    run, _ = demo_run
    video = run.parent / "synthetic_scene.mp4"
    summary = run_job(video, tmp_path / "chunked", calibrate_seconds=7.0, chunk_frames=100, context_frames=20)
    _, labels = synthetic_scene()
    scores = np.loadtxt(tmp_path / "chunked" / "scores.csv", delimiter=",", skiprows=1)[:, 1]
    assert summary.frames == len(scores) == 300
    assert sum(1 for _ in open_source(tmp_path / "chunked" / "anonymized.mp4")) == 300
    assert scores[labels == 1].mean() > np.quantile(scores[labels == 0], 0.99)
    regions = np.loadtxt(tmp_path / "chunked" / "regions.csv", delimiter=",", skiprows=1)
    assert regions[:, 0].min() >= 0 and regions[:, 0].max() < 300 and (np.diff(regions[:, 0]) >= 0).all()
    whole = np.loadtxt(run / "scores.csv", delimiter=",", skiprows=1)[:, 1]
    assert np.corrcoef(whole, scores)[0, 1] > 0.8  # the same picture as scoring the video in one piece
    with pytest.raises(PrivadError, match="--chunk-frames"):
        run_job(video, tmp_path / "x", calibrate_seconds=7.0, chunk_frames=50)


def test_frame_folders_need_a_frame_rate_to_calibrate_on_seconds(tmp_path):
    import cv2

    frames, _ = synthetic_scene(n_frames=120, abnormal=(0, 0))
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, f in enumerate(frames):
        cv2.imwrite(str(folder / f"{i:03d}.png"), f)
    with pytest.raises(PrivadError, match="no frame rate of its own: give --fps"):
        run_job(folder, tmp_path / "a", calibrate_seconds=4)
    assert not (tmp_path / "a").exists()
    summary = run_job(folder, tmp_path / "b", calibrate_seconds=4, fps=10)  # 40 frames at 10 fps
    assert summary.calibration_frames == [0, 39] and "40 frames (4 s)" in summary.model
    summary = run_job(folder, tmp_path / "c", calibrate_frames=50)
    assert summary.calibration_frames == [0, 49] and "normal reference: frames 0–49" in summary.line()
    with pytest.raises(PrivadError, match="not both"):
        run_job(folder, tmp_path / "d", calibrate_frames=50, calibrate_seconds=4, fps=10)


def test_run_refuses_to_replace_an_earlier_run_unless_told(demo_run, tmp_path):
    run, _ = demo_run
    video = run.parent / "synthetic_scene.mp4"
    out = tmp_path / "once"
    run_job(video, out, calibrate_seconds=7.0)
    before = (out / "scores.csv").read_bytes()
    with pytest.raises(PrivadError, match="already holds a run .*--overwrite"):
        run_job(video, out, calibrate_seconds=7.0)
    assert (out / "scores.csv").read_bytes() == before  # untouched
    run_job(video, out, calibrate_seconds=8.0, overwrite=True)
    assert json.loads((out / "summary.json").read_text())["model"].endswith("(8 s)")


def test_report_labels_are_readable_and_ground_truth_is_drawn(tmp_path):
    import cv2

    from privad.report.html import thumbnail, write_report
    from privad.types import Event

    frame = np.full((240, 360, 3), 128, np.uint8)
    jpeg = thumbnail(frame, [(5, 100.0, 80.0, 140.0, 160.0, 19.77)])
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape[1] == 480  # drawn at thumbnail size, so the label is not shrunk with the frame
    s = 480 / 360
    label = image[int(80 * s) - 20:int(80 * s) - 2, int(100 * s):int(100 * s) + 70]
    red = (label[..., 2] > 180) & (label[..., 1] < 80)
    white = label.min(axis=2) > 170
    assert red.mean() > 0.3 and white.mean() > 0.01  # white text on a filled red label above the box
    scores = np.r_[np.zeros(50), np.ones(20), np.zeros(30)]
    event = Event(50, 69, 60, 1.0, 5.0, 7.0)
    labels = (scores > 0).astype(int)
    write_report(tmp_path / "r.html", "t", scores, 0.5, 10, [event], {60: jpeg}, {}, labels=labels)
    page = (tmp_path / "r.html").read_text()
    assert "ground-truth abnormal frames" in page and "of the training videos" in page and "green span" not in page


def test_a_scoring_failure_mid_stream_stops_the_anonymizer_and_leaves_nothing(demo_run, tmp_path, monkeypatch):
    """Anonymizing runs ahead on a thread of its own: a failure on the scoring side stops it, and the run's folder
    goes."""
    import threading

    from privad.engine import stream

    run, _ = demo_run
    pushed = []
    real = stream.StreamScorer.push

    def failing(self, index, frame):
        pushed.append(index)
        if index == 150:
            raise RuntimeError("scorer broke")
        return real(self, index, frame)

    monkeypatch.setattr(stream.StreamScorer, "push", failing)
    before = threading.active_count()
    with pytest.raises(RuntimeError, match="scorer broke"):
        run_job(run.parent / "synthetic_scene.mp4", tmp_path / "out", calibrate_seconds=4.0)
    assert pushed == list(range(151)) and not (tmp_path / "out").exists()
    assert threading.active_count() <= before  # the anonymizing and decoding threads ended


def test_frames_ahead_stay_within_their_bytes():
    from privad.engine.run import AHEAD_BYTES, frames_ahead

    assert frames_ahead(240, 360) == 64 and frames_ahead(2160, 3840) == 8
    n = frames_ahead(1080, 1920)
    assert 8 < n < 64 and 3 * 1080 * 1920 * n <= AHEAD_BYTES


def test_run_calibrates_with_the_settings_given(demo_run, tmp_path):
    """`model_config` (`privad run --set`) reaches the model calibrated on the input: with `border: skip` regions at
    the frame's edge are not scored, by default (`apart`) they are (the scene's walkers wrap around it)."""
    import cv2

    run, _ = demo_run
    video = run.parent / "synthetic_scene.mp4"
    cap = cv2.VideoCapture(str(video))
    w, h = cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)
    cap.release()

    def at_edge(out) -> int:
        rows = np.loadtxt(out / "regions.csv", delimiter=",", skiprows=1, ndmin=2)
        x1, y1, x2, y2 = rows[:, 1:5].T
        return int(((x1 < 0.5) | (y1 < 0.5) | (x2 > w - 0.5) | (y2 > h - 0.5)).sum())

    run_job(video, tmp_path / "default", calibrate_seconds=7.0)
    run_job(video, tmp_path / "skip", calibrate_seconds=7.0, model_config={"border": "skip"})
    assert at_edge(tmp_path / "skip") == 0 < at_edge(tmp_path / "default")


@pytest.mark.parametrize("calibrated", [False, True])
def test_stream_scorer_holds_frames_at_the_models_size_and_scores_as_with_whole_frames(ped2, ped2_model, calibrated,
                                                                                      monkeypatch):
    """Frames larger than the model analyses are held shrunk to its size as they come (the calibration frames, the
    window and its context), and every score and region box (in the input's pixels) is the same, to the bit, as when
    the whole frames are held: with a model file, and with a model calibrated on the first frames and scoring them."""
    import cv2

    from privad.engine import stream
    from privad.engine.views import anonymized
    from privad.io.sources import read_all
    from privad.vad import load_model

    model, view = load_model(ped2_model)
    frames = anonymized(read_all(ped2 / "testing" / "frames" / "02")[0][:120], view)
    big = [cv2.resize(f, (2 * f.shape[1], 2 * f.shape[0]), interpolation=cv2.INTER_LINEAR) for f in frames]
    size = frames[0].shape[:2]  # Ped2's 360x240: what either model analyses

    def scored(check_held: bool) -> tuple[dict, dict]:
        scorer = (stream.StreamScorer(None, 25.0, window=40, context=10, calibrate_frames=50, calibrate_width=None,
                                      score_calibration=True, min_run=1) if calibrated
                  else stream.StreamScorer(model, 25.0, window=40, context=10))
        scores, regions = {}, {}
        for i, f in enumerate(big):
            out = scorer.push(i, f)
            scores.update(out.scores)
            regions.update(out.regions)
            if check_held:
                held = [g for _, g in scorer._run] + scorer._context + [g for s in scorer._segments for _, g in s]
                assert held and all(g.shape[:2] == size for g in held)
        out = scorer.end()
        return scores | dict(out.scores), regions | out.regions

    assert model.analysed_size(big[0].shape[:2]) == size
    shrunk = scored(True)
    monkeypatch.setattr(stream, "analysed_size", lambda model, size: None)  # the frames held whole, as before
    whole = scored(False)
    assert sorted(shrunk[0]) == list(range(len(big))) and shrunk == whole
    boxes = np.array([r[1:5] for rs in shrunk[1].values() for r in rs])
    assert len(boxes) and boxes[:, 2].max() > size[1]  # boxes in the input's (doubled) pixels


def test_run_scores_with_one_blas_thread_throughout(demo_run, tmp_path, monkeypatch):
    """The blur limits BLAS to one thread while it runs, a process-wide setting; `privad run` holds BLAS at one
    thread for the whole stream, so the scorer never sums over one thread or two as timing falls (scores would
    differ between runs in their 6th decimal), and lets it go after."""
    from threadpoolctl import threadpool_info

    from privad.engine import stream

    def blas_threads() -> set[int]:
        return {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}

    run, _ = demo_run
    seen, real = set(), stream.StreamScorer.push

    def push(self, index, frame):
        seen.update(blas_threads())
        return real(self, index, frame)

    monkeypatch.setattr(stream.StreamScorer, "push", push)
    before = blas_threads()
    run_job(run.parent / "synthetic_scene.mp4", tmp_path / "out", calibrate_seconds=3.0)
    assert seen == {1} and blas_threads() == before
