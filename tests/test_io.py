"""Sources and sinks: counts, timing, audio, folders, images, atomic writes."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from privad.protect.video import anonymize_video
from privad.protect.config import AnonymizeConfig
from privad.errors import PrivadError
from privad.io.sinks import check_output
from privad.io.sources import open_source

from media import video_facts, write_frames, write_video

FAST = AnonymizeConfig(method="adaptive_blur", targets=["faces"], detect_scale=0.5)


def test_clip_frames_and_fps_preserved_with_audio(face_clip, tmp_path):
    out = tmp_path / "anon.mp4"
    summary = anonymize_video(face_clip, out, FAST.model_copy(update={"keep_audio": True}))
    src, dst = video_facts(face_clip), video_facts(out)
    assert summary.frames_in == summary.frames_out == src["frames"] == dst["frames"] == 275
    assert dst["fps"] == src["fps"]
    assert dst["streams"] == ["audio", "video"] and summary.audio == "kept"
    assert summary.regions > 200 and summary.errors == 0


def test_audio_dropped_by_default(tmp_path, clip_frames):
    src = write_video(tmp_path / "tone.mp4", clip_frames[:20], audio_seconds=1.0)
    out = tmp_path / "out.mp4"
    anonymize_video(src, out, FAST)
    assert video_facts(out)["streams"] == ["video"]
    anonymize_video(src, out, FAST.model_copy(update={"keep_audio": True}))
    assert video_facts(out)["streams"] == ["audio", "video"]


def test_ped2_folder_to_video_keeps_count(ped2, tmp_path):
    out = tmp_path / "ped2.mp4"
    summary = anonymize_video(ped2 / "testing" / "frames" / "01", out,
                              AnonymizeConfig(method="adaptive_blur", targets=["motion"]), fps=10)
    facts = video_facts(out)
    assert facts["frames"] == summary.frames_in == 180
    assert facts["fps"] == 10


def test_folder_to_folder_keeps_names(tmp_path, ped2_frames):
    src = write_frames(tmp_path / "in", ped2_frames[:40], ext=".jpg")
    out = tmp_path / "out"
    anonymize_video(src, out, AnonymizeConfig(method="mask", targets=["motion"]))
    assert sorted(p.name for p in out.iterdir()) == [f"{i:03d}.png" for i in range(40)]


def test_natural_sort_and_quirky_names(tmp_path, ped2_frames):
    src = write_frames(tmp_path / "in", ped2_frames[:12], ext=".bmp", pattern="frame{}")
    assert [f.name for f in open_source(src)][:3] == ["frame0.bmp", "frame1.bmp", "frame2.bmp"]
    assert [f.name for f in open_source(src)][10] == "frame10.bmp"


def test_image_to_image(faces_dir, tmp_path):
    out = tmp_path / "anon.png"
    summary = anonymize_video(faces_dir / "two_people.jpg", out, AnonymizeConfig(method="mask"))
    assert summary.regions == 2 and cv2.imread(str(out)) is not None


def test_odd_sized_grayscale_frames_to_video(tmp_path, clip_frames):
    gray = [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY)[:181, :321] for f in clip_frames[:10]]
    src = write_frames(tmp_path / "gray", gray)
    out = tmp_path / "gray.mp4"
    anonymize_video(src, out, FAST)
    source = open_source(out)
    assert (source.info.width, source.info.height) == (321, 181)
    source.close()
    assert video_facts(out)["frames"] == 10


def test_stream_url_over_http(clip_frames, tmp_path):
    """A stream URL is read through FFmpeg's network layer (an MPEG-TS file served from loopback)."""
    import functools
    import http.server
    import threading

    served = tmp_path / "srv"
    served.mkdir()
    write_video(served / "live.ts", clip_frames[:40])
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/live.ts"
        summary = anonymize_video(url, tmp_path / "s.mp4", FAST, max_frames=30)
    finally:
        server.shutdown()
    assert summary.frames_out == 30 and video_facts(tmp_path / "s.mp4")["frames"] == 30


def test_failure_leaves_no_output(clip_frames, tmp_path, monkeypatch):
    """An abort mid-run removes the temporary: nothing at the output path, no stray files."""
    src = write_video(tmp_path / "in.mp4", clip_frames[:15])
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    from privad.protect import pipeline

    calls = {"n": 0}
    real = pipeline.Anonymizer.regions

    def boom(self, frame, found=None):
        calls["n"] += 1
        if calls["n"] == 8:
            raise RuntimeError("detector crashed")
        return real(self, frame, found)

    monkeypatch.setattr(pipeline.Anonymizer, "regions", boom)
    with pytest.raises(PrivadError, match="aborted"):
        anonymize_video(src, out_dir / "x.mp4", FAST.model_copy(update={"on_error": "abort"}))
    assert list(out_dir.iterdir()) == []


def test_corrupt_packets_fail_closed(clip_frames, tmp_path):
    """Damaged bytes inside the stream: decoding goes on, no frame is lost silently, no error escapes."""
    src = write_video(tmp_path / "in.mp4", clip_frames[:40])
    data = bytearray(src.read_bytes())
    rng = np.random.default_rng(0)
    for pos in rng.integers(len(data) // 3, len(data) - 100, 30):
        data[pos:pos + 16] = rng.integers(0, 256, 16, dtype=np.uint8).tobytes()
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(bytes(data))
    summary = anonymize_video(bad, tmp_path / "o.mp4", FAST)
    assert summary.frames_out == summary.frames_in >= 30


def test_check_output_rules(tmp_path, face_clip):
    info = open_source(face_clip).info
    with pytest.raises(PrivadError, match="is an existing directory"):
        check_output(tmp_path, info)
    with pytest.raises(PrivadError, match="output is the input"):
        check_output(face_clip, info)
    with pytest.raises(PrivadError, match="unsupported output format"):
        check_output(tmp_path / "x.xyz", info)
    with pytest.raises(PrivadError, match="image output takes a single image"):
        check_output(tmp_path / "x.png", info)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(PrivadError, match="cannot create output folder"):
        check_output(tmp_path / "afile" / "o.mp4", info)


def test_same_stem_different_suffix_loses_no_frame(tmp_path, ped2_frames):
    """a.jpg and a.png in one folder are two frames: both come out, under different names."""
    src = tmp_path / "in"
    src.mkdir()
    cv2.imwrite(str(src / "a.jpg"), ped2_frames[0])
    cv2.imwrite(str(src / "a.png"), ped2_frames[1])
    summary = anonymize_video(src, tmp_path / "out", AnonymizeConfig(method="blur", targets=["motion"]))
    assert summary.frames_in == summary.frames_out == 2
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "a.png.png"]


def test_huge_frames_are_refused_up_front(tmp_path, monkeypatch, capsys):
    from clirun import run

    big = tmp_path / "big.png"
    cv2.imwrite(str(big), np.zeros((300, 400, 3), np.uint8))
    monkeypatch.setenv("PRIVAD_MAX_PIXELS", "100000")  # 120,000 px is over it
    code, _, err = run(monkeypatch, capsys, "anonymize", big, "-o", tmp_path / "out.png", "--method", "blur")
    assert code == 2 and "larger than the limit of 100,000 pixels" in err and not (tmp_path / "out.png").exists()
    monkeypatch.setenv("PRIVAD_MAX_PIXELS", "200000")
    code, _, _ = run(monkeypatch, capsys, "anonymize", big, "-o", tmp_path / "out.png", "--method", "blur")
    assert code in (0, None) and (tmp_path / "out.png").is_file()


def test_sigterm_stops_cleanly_and_stale_temporaries_are_removed(face_clip, tmp_path):
    """SIGTERM is handled like Ctrl-C (the 'interrupted' line, exit 130, nothing at the output); a temporary left by
    a killed process (its PID gone) is removed by the next run that writes the same output."""
    import os
    import signal
    import subprocess
    import sys
    import time

    privad = Path(sys.executable).with_name("privad")
    out = tmp_path / "out.mp4"
    proc = subprocess.Popen([str(privad), "anonymize", str(face_clip), "-o", str(out), "--method", "blur",
                             "--targets", "faces"], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".out.privad-tmp-") for p in tmp_path.iterdir()):  # writing has begun
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err
    assert list(tmp_path.iterdir()) == []
    stale = tmp_path / ".out.privad-tmp-999999999.mp4"  # no such PID
    stale.write_bytes(b"half a video")
    keep = tmp_path / f".other.privad-tmp-{os.getpid()}.mp4"  # a live process's temporary of another output
    keep.write_bytes(b"busy")
    anonymize_video(face_clip, out, FAST, max_frames=5)
    assert not stale.exists() and keep.exists() and out.is_file()


def test_frames_after_damage_are_incidents_until_the_next_keyframe(clip_frames, tmp_path):
    """One damaged packet in a P-frame: the decoder conceals it and the frames after it, up to the next keyframe,
    carry smeared pixels. They are flagged, so the pipeline writes them fully obfuscated; the keyframe is clean."""
    import av

    from privad.io.sources import VideoSource

    src = tmp_path / "gop10.mp4"
    with av.open(str(src), "w") as out:
        stream = out.add_stream("libx264", rate=25, options={"g": "10", "bf": "0", "sc_threshold": "0"})
        stream.height, stream.width = clip_frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        for image in clip_frames[:40]:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")))
        out.mux(stream.encode(None))
    with av.open(str(src)) as probe:
        packets = [(p.pos, p.size, p.is_keyframe) for p in probe.demux(video=0) if p.size]
    pos, size, key = packets[23]
    assert not key and packets[30][2]
    data = bytearray(src.read_bytes())
    data[pos + size // 3: pos + size // 3 + 24] = bytes(range(24))
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(bytes(data))
    frames = list(VideoSource(str(bad)))
    flagged = [f.index for f in frames if f.error]
    assert len(frames) == 40 and flagged and min(flagged) >= 23 and max(flagged) <= 29, flagged
    assert all(frames[i].error for i in range(min(flagged), 30))  # every frame up to the keyframe
    assert frames[30].error is None and frames[30].image is not None
    summary = anonymize_video(bad, tmp_path / "o.mp4", FAST)
    assert summary.frames_in == summary.frames_out == 40
    assert sorted(i["frame"] for i in summary.incidents) == list(range(min(flagged), 30))


def test_a_file_cut_short_is_reported_and_fails_under_strict(face_clip, tmp_path, monkeypatch, capsys):
    """moov at the front, the file cut at a third: frames decode up to the cut; the summary says how many the header
    declares, and --strict refuses (nothing written)."""
    import av

    from clirun import run

    fast = tmp_path / "fast.mp4"
    with av.open(str(face_clip)) as src, av.open(str(fast), "w", options={"movflags": "faststart"}) as out:
        stream = out.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                out.mux(packet)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(fast.read_bytes()[: fast.stat().st_size // 3])
    code, out, err = run(monkeypatch, capsys, "anonymize", cut, "-o", tmp_path / "a.mp4", "--method", "blur",
                         "--targets", "faces")
    assert code in (0, None) and "the input declares 275 frames" in out and "cut short" in err
    decoded = int(out.split(" frames in")[0])
    assert 0 < decoded < 275 and video_facts(tmp_path / "a.mp4")["frames"] == decoded
    code, _, err = run(monkeypatch, capsys, "anonymize", cut, "-o", tmp_path / "b.mp4", "--method", "blur",
                       "--targets", "faces", "--strict")
    assert code == 2 and "--strict" in err and not (tmp_path / "b.mp4").exists()
