"""The trade-off harness: settings and grids, the Pareto front, and a --fast run on the real data (cached rerun)."""

import csv
import json

import cv2
import pytest

from privad.errors import PrivadError
from privad.engine.tradeoff import Setting, TradeoffInputs, pareto_front, parse_grid, run_tradeoff, settings


def test_grid_applies_only_to_methods_that_use_the_parameter():
    grid = parse_grid(["alpha_mask_scale=1,2", "pixel_factor=8"])
    chosen = settings(["mask", "adaptive_blur", "pixelization"], grid)
    assert [s.label for s in chosen] == [
        "no-an", "mask", "adaptive_blur (alpha_mask_scale=1)", "adaptive_blur (alpha_mask_scale=2)",
        "pixelization (pixel_factor=8)"]
    assert chosen[3].config(["faces"]).params.alpha_mask_scale == 2.0
    assert chosen[0].config(["faces"]) is None
    with pytest.raises(PrivadError, match="--grid expects"):
        parse_grid(["kernel=3"])
    with pytest.raises(PrivadError, match="must be numbers"):
        parse_grid(["blur_sigma=a,b"])


def test_pareto_front_hand_made():
    # (leakage, utility): B beats A; C trades more leakage for more utility; D is dominated by C
    points = [(0.5, 0.80), (0.2, 0.85), (0.6, 0.95), (0.7, 0.90), (0.0, 0.60)]
    assert pareto_front(points) == [4, 1, 2]


def test_fast_tradeoff_writes_everything_and_reuses_its_cache(ped2, face_clip, faces_dir, tmp_path):
    pytest.importorskip("dlib")
    inputs = TradeoffInputs("ucsd_ped2", ped2, face_clip,
                            [faces_dir / "lin-manuel-miranda.png", faces_dir / "alex-lacamoire.png"], fast=True)
    chosen = [Setting("no-an"), Setting("mask")]
    rows = run_tradeoff(inputs, chosen, tmp_path)
    assert [r["setting"] for r in rows] == ["no-an", "mask"]
    raw, mask = rows
    assert raw["privacy"]["oracle_leak"] == 1.0 and raw["privacy"]["identity_frames"] > 0
    assert mask["privacy"]["oracle_leak"] == 0.0 and mask["privacy"]["identity_frames"] == 0
    assert 0 < mask["utility"]["micro_auc"] <= 1 and mask["cost"]["fps"] > 0
    assert mask["f_lambda"]["0.75"] > raw["f_lambda"]["0.75"]
    for name in ("tradeoff.csv", "tradeoff.md", "tradeoff.json", "tradeoff.png"):
        assert (tmp_path / name).is_file()
    with (tmp_path / "tradeoff.csv").open() as fh:
        table = list(csv.DictReader(fh))
    assert [r["setting"] for r in table] == ["no-an", "mask"] and float(table[1]["oracle_leak"]) == 0.0
    image = cv2.imread(str(tmp_path / "tradeoff.png"))
    assert image is not None and image.shape[:2] == (550, 800)
    seen = []
    again = run_tradeoff(inputs, chosen + [Setting("adaptive_max_pixelization")], tmp_path,
                         progress=lambda label, cached: seen.append((label, cached)))
    assert seen[:2] == [("no-an", True), ("mask", True)] and seen[2] == ("adaptive_max_pixelization", False)
    assert json.loads((tmp_path / "tradeoff.json").read_text())[1] == again[1]
    recosted = run_tradeoff(inputs, chosen, tmp_path, recost=True)
    assert recosted[1]["privacy"] == rows[1]["privacy"] and recosted[1]["cost"]["fps"] > 0
    assert 50 < recosted[1]["cost"]["peak_mib"] < 2000  # this child's own peak, not the parent's


def test_cli_tradeoff_bad_inputs(monkeypatch, capsys, tmp_path, faces_dir):
    from clirun import run

    code, _, err = run(monkeypatch, capsys, "tradeoff", "-o", tmp_path, "--utility", "ucsd_ped2")
    assert code == 2 and "DATASET:ROOT" in err
    code, _, err = run(monkeypatch, capsys, "tradeoff", "-o", tmp_path, "--methods", "blurr")
    assert code == 2 and "unknown method 'blurr'" in err
    code, _, err = run(monkeypatch, capsys, "tradeoff", "-o", tmp_path, "--privacy", faces_dir / "nope.mp4",
                       "--reference", faces_dir / "obama.jpg")
    assert code == 2 and "file not found" in err


def test_cli_bench(monkeypatch, capsys, face_clip, tmp_path):
    from clirun import run

    code, out, err = run(monkeypatch, capsys, "bench", face_clip, "--methods", "mask", "--max-frames", "20",
                         "--json", tmp_path / "b.json")
    assert code in (0, None), err
    result = json.loads((tmp_path / "b.json").read_text())
    runs = result["runs"]
    assert runs[0]["frames"] == 20 and runs[0]["ms_per_frame"]["detect"] > 0 and "| mask | faces |" in out
    assert result["device"] == runs[0]["compute"]["device"] and "device: " in out  # the device it ran on, stated


def test_bench_isolated_reports_errors_in_one_line():
    from privad.engine.bench import bench_isolated
    from privad.protect.config import AnonymizeConfig

    with pytest.raises(PrivadError, match="bench failed: input not found"):
        bench_isolated("/no/such/video.mp4", AnonymizeConfig(method="mask"))


def test_selective_needs_templates_per_side(tmp_path):
    inputs = TradeoffInputs("ucsd_ped2", tmp_path, tmp_path / "clip.mp4", [], templates={"privacy": tmp_path / "f.pt"})
    assert inputs.config(Setting("selective"), "privacy").selective.templates == tmp_path / "f.pt"
    assert inputs.config(Setting("selective"), "privacy").targets == ["faces"]
    with pytest.raises(PrivadError, match="--utility-templates"):
        inputs.config(Setting("selective"), "utility")
    assert inputs.config(Setting("mask"), "utility").targets == ["motion"]


def test_learned_needs_weights_and_retrained_weights_change_the_key(tmp_path):
    bare = TradeoffInputs("ucsd_ped2", tmp_path, tmp_path / "clip.mp4", [])
    with pytest.raises(PrivadError, match="needs --weights"):
        bare.config(Setting("learned"), "privacy")
    weights = tmp_path / "a.pt"
    weights.write_bytes(b"first")
    inputs = TradeoffInputs("ucsd_ped2", tmp_path, tmp_path / "clip.mp4", [], weights=weights)
    assert inputs.config(Setting("learned"), "utility").learned.weights == weights
    before = inputs.key(Setting("learned"))
    weights.write_bytes(b"second")
    assert inputs.key(Setting("learned")) != before
    assert inputs.key(Setting("mask")) == bare.key(Setting("mask"))
