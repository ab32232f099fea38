"""Tracking hold-over, detect-every-K, and fail-closed behaviour of the Anonymizer."""

import numpy as np
import pytest

from privad.protect.config import AnonymizeConfig
from privad.protect.detect.faces import FaceDetector
from privad.errors import PrivadError
from privad.protect.pipeline import Anonymizer
from privad.protect.detect.base import box_masks, make
from privad.protect.track.holdover import RegionTracker
from privad.types import Frame


class Flaky:
    """Wraps a detector; returns nothing on `miss` frames and raises on `boom` frames."""

    name, warmup = "flaky", 0

    def __init__(self, inner, miss=(), boom=()):
        self.inner, self.miss, self.boom, self.calls = inner, set(miss), set(boom), 0

    def prime(self, frames):
        pass

    def __call__(self, frame):
        i, self.calls = self.calls, self.calls + 1
        if i in self.boom:
            raise RuntimeError(f"injected failure on call {i}")
        dets = self.inner(frame)
        return dets[np.zeros(len(dets), bool)] if i in self.miss else dets


@pytest.fixture(scope="module")
def faces():
    return FaceDetector()


def _run(frames, detector, **cfg):
    anon = Anonymizer(AnonymizeConfig(method="mask", **cfg), detectors=[detector])
    return anon, [anon.process(f) for f in frames]


def test_hold_over_covers_missed_frames(clip_frames, faces):
    frames = clip_frames[:20]
    truth = [faces(f) for f in frames]
    _, results = _run(frames, Flaky(faces, miss={5, 6, 12}), hold=3)
    for i in (5, 6, 12):
        held = results[i].detections
        assert len(held) and held.data["held"].all()
        face = truth[i].mask.any(0)
        blacked = (results[i].image == 0).all(axis=2)
        assert (blacked & face).sum() / face.sum() > 0.9, f"face leaked on missed frame {i}"


def test_without_hold_missed_frames_leak(clip_frames, faces):
    """The control: with hold 0 the same misses leave the face raw."""
    frames = clip_frames[:8]
    _, results = _run(frames, Flaky(faces, miss={5}), hold=0)
    assert len(results[5].detections) == 0
    assert (results[5].image == frames[5]).all()


def test_hold_expires(clip_frames, faces):
    frames = clip_frames[:12]
    _, results = _run(frames, Flaky(faces, miss=set(range(3, 12))), hold=2)
    assert len(results[4].detections) > 0 and len(results[5].detections) == 0


def test_detect_every_k_tracks_in_between(clip_frames, faces):
    frames = clip_frames[:12]
    flaky = Flaky(faces)
    _, results = _run(frames, flaky, detect_every=3)
    assert flaky.calls == 4  # frames 0, 3, 6, 9
    truth = [faces(f) for f in frames]
    for i, (r, t) in enumerate(zip(results, truth)):
        face = t.mask.any(0)
        covered = ((r.image == 0).all(axis=2) & face).sum() / face.sum()
        assert covered > 0.85, f"frame {i}: {covered:.2f} of the face covered"


def test_held_region_moves_along_its_velocity():
    """A region seen at x = 10, 12, 14 and then missed is held at 16, 18: box and mask moved, clipped at the edge."""
    shape = (20, 24)
    tracker = RegionTracker(hold=5)

    def at(x):
        boxes, masks = box_masks(np.array([[x, 5, x + 4, 9]]), shape)
        return make(boxes, masks, np.ones(1), 0)

    for x in (10, 12, 14):
        tracker.update(at(x), shape)
    for step, x in enumerate((16, 18, 20), start=1):
        held = tracker.predict(shape)
        assert len(held) == 1 and held.data["held"].all()
        assert (held.mask[0] == at(x).mask[0]).all(), f"step {step}"  # at x = 20 the mask is cut by the edge
        assert held.xyxy[0, 0] == x and held.xyxy[0, 2] <= shape[1]


@pytest.mark.parametrize("method", ["mask", "adaptive_blur", "pixelization"])
def test_fail_closed_obfuscates_whole_frame(clip_frames, faces, method):
    frames = clip_frames[:10]
    anon = Anonymizer(AnonymizeConfig(method=method), detectors=[Flaky(faces, boom={3, 7})])
    results = [anon.process(f) for f in frames]
    assert len(anon.stats.incidents) == 2
    for i in (3, 7):
        out = results[i].image
        assert out.shape == frames[i].shape
        assert out.reshape(-1, 3).std(axis=0).max() == 0, "a failed frame must be one flat colour"
    assert results[4].incident is None and (results[4].image != frames[4]).any()


def test_fail_closed_drop_and_abort(clip_frames, faces):
    frames = clip_frames[:6]
    anon = Anonymizer(AnonymizeConfig(method="mask", on_error="drop"), detectors=[Flaky(faces, boom={2})])
    results = [anon.process(f) for f in frames]
    assert results[2].image is None and anon.stats.frames_out == 5
    anon = Anonymizer(AnonymizeConfig(method="mask", on_error="abort"), detectors=[Flaky(faces, boom={1})])
    anon.process(frames[0])
    with pytest.raises(PrivadError, match="frame 1: .*injected failure"):
        anon.process(frames[1])


def test_failing_method_is_caught(clip_frames, faces, monkeypatch):
    anon = Anonymizer(AnonymizeConfig(method="adaptive_blur"), detectors=[faces])
    monkeypatch.setattr(anon, "_apply", lambda *a: 1 / 0)  # the method raises on every frame
    result = anon.process(clip_frames[0])
    assert result.incident is not None and result.image.reshape(-1, 3).std(axis=0).max() == 0


class Reentrant:
    """Wraps a detector and raises on the frames in `boom` (found by content, not by call order: calls may run at
    once); records the threads it ran on."""

    name, warmup, reentrant = "reentrant", 0, True

    def __init__(self, inner, boom=()):
        self.inner, self.boom, self.threads = inner, [f.copy() for f in boom], set()

    def prime(self, frames):
        pass

    def __call__(self, frame):
        import threading

        self.threads.add(threading.current_thread().name)
        if any(np.array_equal(frame, b) for b in self.boom):
            raise RuntimeError("injected failure")
        return self.inner(frame)


@pytest.mark.parametrize("every, reentrant", [(1, False), (2, False), (1, True), (2, True)])
def test_stream_detects_ahead_with_the_results_of_frame_by_frame(clip_frames, faces, every, reentrant):
    """`stream` runs detection on worker threads ahead of the frame it anonymizes (two at once when the detectors
    are reentrant, else one, in order): images, regions and incidents are those of `process` called frame by
    frame, a detector's failure included (fail closed, on its own frame)."""
    frames = clip_frames[:12]
    failed = 2 * every  # the detector's third call
    config = AnonymizeConfig(method="adaptive_max_blur", detect_every=every)
    wrap = (lambda: Reentrant(faces, boom=[frames[failed]])) if reentrant else (lambda: Flaky(faces, boom={2}))
    one = Anonymizer(config, detectors=[wrap()])
    expected = [one.process(f) for f in frames]
    ahead = Anonymizer(config, detectors=[wrap()])
    got = [r for _, r in ahead.stream(Frame(i, f) for i, f in enumerate(frames))]
    assert len(got) == len(frames) and got[failed].incident is not None and expected[failed].incident is not None
    for e, g in zip(expected, got):
        assert (e.image == g.image).all() and (e.incident is None) == (g.incident is None)
        if e.detections is not None:
            assert (e.detections.xyxy == g.detections.xyxy).all()
    assert [i.frame for i in ahead.stats.incidents] == [failed]
    assert (got[1].image != frames[1]).any(), "faces were anonymized"
    if reentrant:
        assert len(ahead.detectors[0].threads) == 2  # frames were detected on two threads


def test_decode_failure_becomes_grey_frame():
    anon = Anonymizer(AnonymizeConfig(method="mask"), detectors=[])
    result = anon.process(None, decode_error="bad packet", shape=(24, 32))
    assert result.image.shape == (24, 32, 3) and (result.image == 128).all()
    assert result.incident.stage == "decode"


def test_no_an_passes_raw_frames(clip_frames):
    anon = Anonymizer(AnonymizeConfig(method="no-an"))
    assert anon.detectors == []
    assert (anon.process(clip_frames[0]).image == clip_frames[0]).all()


def test_mask_dilate_and_box_pad_grow_regions(clip_frames, faces):
    base = Anonymizer(AnonymizeConfig(method="mask"), detectors=[faces]).process(clip_frames[0]).detections
    grown = Anonymizer(AnonymizeConfig(method="mask", mask_dilate=4, box_pad=0.1),
                       detectors=[faces]).process(clip_frames[0]).detections
    assert grown.mask.sum() > base.mask.sum()
    assert (grown.mask | base.mask).sum() == grown.mask.sum()  # grown regions contain the originals
