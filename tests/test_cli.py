"""The command line: main paths and every bad input from the issue (one line, non-zero exit, nothing written)."""

import pytest

from clirun import run
from media import video_facts, write_video


def test_methods_lists_all(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "methods")
    assert code == 0
    names = [line.split()[0] for line in out.strip().splitlines()]
    assert {"mask", "edge", "blur", "pixelization", "adaptive_blur", "adaptive_full_blur", "adaptive_max_blur",
            "adaptive_pixelization", "adaptive_max_pixelization", "no-an", "fill", "selective", "learned"} == set(names)


def test_anonymize_video_summary(monkeypatch, capsys, clip_frames, tmp_path):
    src = write_video(tmp_path / "in.mp4", clip_frames[:20])
    out = tmp_path / "out.mp4"
    summary = tmp_path / "s.json"
    code, stdout, _ = run(monkeypatch, capsys, "anonymize", src, "-o", out, "--method", "adaptive_max_blur",
                          "--targets", "faces", "--hold", "2", "--detect-every", "2", "--detect-scale", "0.5",
                          "--summary-json", summary)
    assert code in (0, None)
    assert "20 frames in, 20 out" in stdout and "0 errors" in stdout
    assert video_facts(out)["frames"] == 20
    import json

    assert json.loads(summary.read_text())["frames_out"] == 20


def test_config_file_and_override(monkeypatch, capsys, clip_frames, tmp_path):
    src = write_video(tmp_path / "in.mp4", clip_frames[:5])
    cfg = tmp_path / "c.yaml"
    cfg.write_text("method: mask\ntargets: [faces]\nparams:\n  alpha_mask_scale: 2.0\n")
    code, stdout, _ = run(monkeypatch, capsys, "anonymize", src, "-o", tmp_path / "o.mp4", "-c", cfg, "--method",
                          "adaptive_blur")
    assert code in (0, None) and "5 frames in" in stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('method = "mask"\nhold = -3\n')
    code, _, err = run(monkeypatch, capsys, "anonymize", src, "-o", tmp_path / "o2.mp4", "-c", bad)
    assert code == 2 and "hold" in err and len(err.strip().splitlines()) == 1


@pytest.fixture()
def inputs(tmp_path, clip_frames):
    (tmp_path / "corrupt.mp4").write_bytes(b"\x00\x01garbage" * 500)
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "noimages").mkdir()
    (tmp_path / "noimages" / "notes.txt").write_text("x")
    (tmp_path / "outdir").mkdir()
    (tmp_path / "afile").write_text("x")
    write_video(tmp_path / "ok.mp4", clip_frames[:3])
    return tmp_path


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.mp4", "-o", "o.mp4"], "input not found"),
        (["corrupt.mp4", "-o", "o.mp4"], "cannot open video"),
        (["empty.mp4", "-o", "o.mp4"], "input is empty"),
        (["noimages", "-o", "o.mp4"], "no images"),
        (["ok.mp4", "-o", "o.mp4", "--method", "smudge"], "unknown method 'smudge'"),
        (["ok.mp4", "-o", "o.mp4", "--targets", "faces,cars"], "unknown target 'cars'"),
        (["ok.mp4", "-o", "outdir"], "is an existing directory"),
        (["ok.mp4", "-o", "ok.mp4"], "output is the input"),
        (["ok.mp4", "-o", "afile/o.mp4"], "cannot create output folder"),
        (["ok.mp4", "-o", "o.xyz"], "unsupported output format"),
        (["ok.mp4", "-o", "o.mp4", "--on-error", "shrug"], "on_error"),
        (["ok.mp4", "-o", "o.mp4", "--targets", "yolo"], "needs local weights"),
        (["ok.mp4", "-o", "o.mp4", "-c", "nope.yaml"], "config file not found"),
    ],
)
def test_bad_input(monkeypatch, capsys, inputs, args, message):
    monkeypatch.chdir(inputs)
    before = sorted(p.name for p in inputs.rglob("*"))
    code, stdout, err = run(monkeypatch, capsys, "anonymize", *args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], err
    assert "Traceback" not in err
    assert sorted(p.name for p in inputs.rglob("*")) == before, "bad input must write nothing"


def test_empty_container(monkeypatch, capsys, tmp_path):
    """A valid container with a video stream but zero frames."""
    import av

    path = tmp_path / "zero.mp4"
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=25)
        s.width, s.height = 64, 48
        s.pix_fmt = "yuv420p"
    code, _, err = run(monkeypatch, capsys, "anonymize", path, "-o", tmp_path / "o.mp4")
    assert code == 2 and err.startswith("error: ")
    assert not (tmp_path / "o.mp4").exists()


def test_datasets_describe(monkeypatch, capsys, ped2, tmp_path):
    code, out, _ = run(monkeypatch, capsys, "datasets", "describe", "--dataset", "ucsd_ped2", "--root", ped2,
                       "--json", tmp_path / "d.json")
    assert code in (0, None) and "test_frames" in out
    import json

    summary = json.loads((tmp_path / "d.json").read_text())
    assert summary["test_frames"] == 2010 and summary["abnormal_frames"] == 1648


def test_datasets_describe_bad_root(monkeypatch, capsys, tmp_path):
    code, _, err = run(monkeypatch, capsys, "datasets", "describe", "--dataset", "ucsd_ped2", "--root", tmp_path)
    assert code == 2 and err.startswith("error: ") and "not a UCSD ped2 folder" in err


def test_config_save_load_round_trip(tmp_path):
    from privad.protect.config import AnonymizeConfig, load_config, save_config

    cfg = AnonymizeConfig(method="adaptive_pixelization", targets=["faces", "motion"], hold=7,
                          params={"alpha_mask_scale": 1.5})
    save_config(cfg, tmp_path / "c.yaml")
    assert load_config(tmp_path / "c.yaml") == cfg


def test_renamed_options_still_work_with_a_deprecation_line(monkeypatch, capsys, tmp_path):
    (tmp_path / "labels.csv").write_text("a,0\n")
    code, _, err = run(monkeypatch, capsys, "fit", "--model", "pel", "--features", tmp_path, "--labels",
                       tmp_path / "labels.csv", "-o", tmp_path / "m.privad")
    assert code == 2
    assert "--model KIND is deprecated; use --kind" in err and "no .npy feature files" in err  # took it as the kind
    code, _, err = run(monkeypatch, capsys, "fit", tmp_path, "--anonymize", "mask", "--method", "blur")
    assert code == 2 and "give only --method" in err
    code, _, err = run(monkeypatch, capsys, "fit", "--kind", "attribute", "--model", "multitask")
    assert code == 2 and "give only --kind" in err  # old and new names that disagree
    code, _, err = run(monkeypatch, capsys, "fit", "--kind", "nope")
    assert code == 2 and "unknown model kind 'nope'" in err
    code, out, _ = run(monkeypatch, capsys, "--version")
    assert code == 0 and out.startswith("privad ")


@pytest.mark.parametrize("case", ["proc", "loop", "summary", "tiny-fit", "parent", "run-no-frames",
                                  "run-bad-setting", "run-setting-with-model", "serve-bad-setting"])
def test_user_mistakes_give_one_line_and_leave_nothing(case, monkeypatch, capsys, clip_frames, tmp_path):
    """Each gave a traceback (or left folders behind) before; now `error: ...`, exit 2, nothing new on disk."""
    import cv2
    import numpy as np

    src = write_video(tmp_path / "in.mp4", clip_frames[:6])
    cv2.imwrite(str(tmp_path / "one.png"), np.zeros((1, 1, 3), np.uint8))
    (tmp_path / "loop.mp4").symlink_to("loop.mp4")
    (tmp_path / "bad.mp4").write_bytes(b"\x00" * 64)
    before = set(tmp_path.rglob("*"))
    args = {
        "proc": ["anonymize", src, "-o", "/proc/privad-test.mp4", "--method", "blur"],
        "loop": ["anonymize", src, "-o", tmp_path / "loop.mp4", "--method", "blur"],
        "summary": ["anonymize", src, "-o", tmp_path / "ok.mp4", "--method", "blur", "--summary-json",
                    tmp_path / "missing" / "s.json"],
        "tiny-fit": ["fit", tmp_path / "one.png", "-o", tmp_path / "m.privad"],
        "parent": ["anonymize", src, "-o", tmp_path / "new" / "deep" / "x.mp4", "--method", "learned",
                   "--targets", "faces", "--weights", tmp_path / "none.pt"],
        "run-no-frames": ["run", tmp_path / "bad.mp4", "-o", tmp_path / "runs" / "a", "--calibrate", "1"],
        "run-bad-setting": ["run", src, "-o", tmp_path / "runs" / "b", "--calibrate-frames", "10", "--set", "nope=1"],
        "run-setting-with-model": ["run", src, "-o", tmp_path / "runs" / "c", "--model", tmp_path / "m.privad",
                                   "--set", "border=keep"],
        "serve-bad-setting": ["serve", "--data-dir", tmp_path / "serve", "--set", "border=sometimes"],
    }[case]
    code, _, err = run(monkeypatch, capsys, *args)
    assert code == 2, err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    assert set(tmp_path.rglob("*")) == before


@pytest.mark.parametrize("command", [["run"], ["anonymize"], ["features", "extract"], ["serve"]])
def test_help_shows_switches_without_a_value_and_keeps_brackets(monkeypatch, capsys, command):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run(monkeypatch, capsys, *command, "--help")
    assert code == 0 and "--help" in out
    assert "<bool>" not in out  # a switch takes no value
    if command[0] in ("run", "features"):
        assert "privad[ray]" in out  # rich markup must not eat the extra's brackets


def test_command_summaries_are_not_broken_mid_sentence(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "250")
    code, out, _ = run(monkeypatch, capsys, "--help")
    assert code == 0
    assert "a rerun with the same settings skips finished videos" in out  # one flowing line, not the docstring's breaks
    assert "or weakly supervised on labelled clip features" in out


def test_no_anonymization_is_said_out_loud(monkeypatch, capsys, clip_frames, tmp_path):
    src = write_video(tmp_path / "in.mp4", clip_frames[:3])
    code, _, err = run(monkeypatch, capsys, "anonymize", src, "-o", tmp_path / "o.mp4", "--method", "no-an", "-q")
    assert code in (0, None) and "is NOT anonymized" in err
    code, _, err = run(monkeypatch, capsys, "anonymize", src, "-o", tmp_path / "p.mp4", "--method", "mask", "-q")
    assert code in (0, None) and "NOT anonymized" not in err
