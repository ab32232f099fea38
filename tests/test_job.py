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
