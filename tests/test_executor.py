"""Executors: per-video tasks locally and on a local Ray instance (2 workers) give the same results; failures and
killed workers are reported per item; reruns resume."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from privad.errors import PrivadError
from privad.engine.executor import LocalExecutor, make_executor
from privad.io.corpus import expand_inputs
from privad.engine.run import run_many

from clirun import run

ray = pytest.importorskip("ray", reason="Ray is an extra: pip install 'privad[ray]'")


def _half(x):
    if x < 0:
        raise PrivadError(f"negative input {x}")
    return x / 2


def test_local_executor_reports_each_failure_and_goes_on():
    seen = []
    out = LocalExecutor().run(_half, {"a": (2,), "b": (-1,), "c": (6,)}, seen.append)
    assert [o.key for o in seen] == ["a", "b", "c"]
    assert [o.value for o in out if o.ok] == [1, 3]
    assert out[1].error == "negative input -1"


def test_unknown_executor_and_bad_inputs_are_user_errors(tmp_path):
    with pytest.raises(PrivadError, match="unknown executor"):
        make_executor("dask")
    with pytest.raises(PrivadError, match="--address is for --executor ray"):
        make_executor("local", address="ray://x:10001")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "v.mp4").write_bytes(b"x")
    (tmp_path / "b" / "v.mp4").write_bytes(b"x")
    with pytest.raises(PrivadError, match="share the name 'v'"):
        expand_inputs([str(tmp_path / "a"), str(tmp_path / "b")])
    with pytest.raises(PrivadError, match="holds no videos"):
        expand_inputs([str(_empty(tmp_path))])


def _empty(tmp_path: Path) -> Path:
    (tmp_path / "empty").mkdir()
    return tmp_path / "empty"


@pytest.fixture(scope="module")
def clips(ped2, tmp_path_factory) -> Path:
    """Four short Ped2 test videos (their first 48 frames) as frame folders in one corpus folder."""
    root = tmp_path_factory.mktemp("corpus")
    for name in ("01", "02", "03", "04"):
        (root / name).mkdir()
        for f in sorted((ped2 / "testing" / "frames" / name).iterdir())[:48]:
            shutil.copy(f, root / name / f.name)
    return root


@pytest.fixture(scope="module")
def ray_executor():
    runner = make_executor("ray", workers=2)
    yield runner
    runner.close()


def _scores(folder: Path) -> np.ndarray:
    return np.loadtxt(folder / "scores.csv", delimiter=",", skiprows=1)


def test_ray_run_equals_local_and_resumes(clips, ped2_model, ray_executor, tmp_path):
    videos = expand_inputs([str(clips)])
    assert [Path(v).name for v in videos] == ["01", "02", "03", "04"]
    local = run_many(videos, tmp_path / "local", LocalExecutor(), model_path=ped2_model)
    remote = run_many(videos, tmp_path / "ray", ray_executor, model_path=ped2_model)
    assert set(local.status.values()) == set(remote.status.values()) == {"done"}
    for name in ("01", "02", "03", "04"):
        a, b = _scores(tmp_path / "local" / name), _scores(tmp_path / "ray" / name)
        assert a.shape == b.shape and len(a) == 48
        np.testing.assert_allclose(a, b, atol=1e-6)
        assert (tmp_path / "ray" / name / "anonymized.mp4").is_file()
    shutil.rmtree(tmp_path / "ray" / "03")
    again = run_many(videos, tmp_path / "ray", ray_executor, model_path=ped2_model)
    assert again.status == {"01": "skipped", "02": "skipped", "03": "done", "04": "skipped"}
    other = run_many(videos, tmp_path / "ray", LocalExecutor(), model_path=ped2_model, chunk_frames=200)
    assert set(other.status.values()) == {"done"}  # other settings redo the videos instead of keeping old results


def test_ray_failed_video_is_reported_and_the_others_finish(clips, ped2_model, ray_executor, tmp_path):
    broken = tmp_path / "05.mp4"
    broken.write_bytes(b"not a video")
    videos = [str(clips / "01"), str(broken), str(clips / "02")]
    summary = run_many(videos, tmp_path / "out", ray_executor, model_path=ped2_model)
    assert summary.status["01"] == summary.status["02"] == "done"
    assert "05" in summary.failed and summary.failed["05"]
    assert (tmp_path / "out" / "runs.json").is_file()


def test_ray_killed_task_is_retried_then_reported(tmp_path, ray_executor):
    marker = tmp_path / "died-once"

    def dies_once(x):
        if x == 2 and not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(1)  # the worker process dies mid-task
        return x * 10

    out = ray_executor.run(dies_once, {"a": (1,), "b": (2,), "c": (3,)})
    assert {o.key: o.value for o in out} == {"a": 10, "b": 20, "c": 30}  # retried once, then succeeded

    def always_dies(x):
        if x == 2:
            os._exit(1)
        return x

    strict = make_executor("ray", retries=0)  # joins the running instance
    out = {o.key: o for o in strict.run(always_dies, {"a": (1,), "b": (2,), "c": (3,)})}
    assert out["a"].value == 1 and out["c"].value == 3
    assert not out["b"].ok and "died" in out["b"].error


def test_ray_evaluate_equals_local_and_resumes(ped2, ray_executor, tmp_path):
    from privad.data import load_dataset
    from privad.engine.evaluate import evaluate

    data = load_dataset("ucsd_ped2", ped2)
    local = evaluate(data, max_train=2, max_test=3)
    remote = evaluate(data, max_train=2, max_test=3, executor=ray_executor, workdir=tmp_path)
    assert remote.micro_auc == pytest.approx(local.micro_auc, abs=1e-9)
    assert remote.rbdc == pytest.approx(local.rbdc, abs=1e-9)
    again = evaluate(data, max_train=2, max_test=3, executor=ray_executor, workdir=tmp_path)
    assert again.extra["resumed_videos"] == 3 and again.micro_auc == remote.micro_auc


def test_cli_run_on_a_corpus_with_ray_reports_the_failed_video(monkeypatch, capsys, clips, ped2_model, tmp_path):
    listing = tmp_path / "videos.txt"
    listing.write_text(f"{clips / '01'}\n# a comment\n{clips / '02'}\nmissing_video.mp4\n")
    code, out, err = run(monkeypatch, capsys, "run", listing, "-o", tmp_path / "out", "--model", ped2_model,
                          "--executor", "ray", "--workers", "2")
    assert code == 2
    assert "3 videos: 2 done, 0 already done, 1 failed" in out and "missing_video: input not found" in out
    assert err.strip().splitlines() == [f"error: 1 of 3 videos failed (see {tmp_path / 'out'}/runs.json)"]
    assert (tmp_path / "out" / "01" / "report.html").is_file() and not (tmp_path / "out" / "missing_video").exists()


@pytest.mark.parametrize("args, message", [
    (["run", "X", "-o", "o", "--calibrate", "2", "--executor", "spark"], "unknown executor 'spark'"),
    (["run", "X", "-o", "o", "--calibrate", "2", "--address", "ray://h:1"], "--address is for --executor ray"),
    (["evaluate", "--dataset", "ucsd_ped2", "--root", "R", "--kind", "mil", "--executor", "ray"],
     "--executor/--work-dir apply to the one-class models"),
])
def test_cli_executor_errors_are_one_line(monkeypatch, capsys, clips, ped2, tmp_path, args, message):
    args = [str(clips / "01") if a == "X" else str(ped2) if a == "R" else a for a in args]
    monkeypatch.chdir(tmp_path)
    code, _, err = run(monkeypatch, capsys, *args)
    assert code == 2 and err.strip().splitlines() == [err.strip()] and message in err, err


def test_ray_feature_extraction_equals_local_and_resumes(clips, ray_executor, tmp_path):
    from privad.engine.features import extract_to_dir
    from privad.vad.weak.clips import FeatureConfig

    videos = [str(clips / "01"), str(clips / "02")]
    config = FeatureConfig(extractor="regions", appearance=False)
    local = extract_to_dir(videos, tmp_path / "local", config)
    remote = extract_to_dir(videos, tmp_path / "ray", config, executor=ray_executor)
    for a, b in zip(local, remote):
        np.testing.assert_allclose(np.load(a), np.load(b), atol=1e-6)
    stamp = remote[0].stat().st_mtime_ns
    extract_to_dir(videos, tmp_path / "ray", config, executor=ray_executor)
    assert remote[0].stat().st_mtime_ns == stamp  # finished files are kept
    with pytest.raises(PrivadError, match="other settings"):
        extract_to_dir(videos, tmp_path / "ray", FeatureConfig(extractor="regions"), executor=ray_executor)


@pytest.mark.slow  # 72 s: two fast trade-offs
def test_ray_tradeoff_rows_equal_local(ped2, face_clip, faces_dir, ray_executor, tmp_path):
    pytest.importorskip("dlib")
    from privad.engine.tradeoff import Setting, TradeoffInputs, run_tradeoff

    inputs = TradeoffInputs("ucsd_ped2", ped2, face_clip,
                            [faces_dir / "lin-manuel-miranda.png", faces_dir / "alex-lacamoire.png"], fast=True)
    chosen = [Setting("no-an"), Setting("mask")]
    local = run_tradeoff(inputs, chosen, tmp_path / "local")
    remote = run_tradeoff(inputs, chosen, tmp_path / "ray", executor=ray_executor)
    assert [r["setting"] for r in remote] == ["no-an", "mask"]
    for a, b in zip(local, remote):  # the cost columns are timings and differ
        assert a["privacy"] == b["privacy"]
        assert a["utility"]["micro_auc"] == pytest.approx(b["utility"]["micro_auc"], abs=1e-9)
    assert (tmp_path / "ray" / "tradeoff.png").is_file()
