"""Detectors on real data: faces on the clip and photos, moving objects on Ped2."""

import cv2
import numpy as np
import pytest
from natsort import natsorted

from privad.protect.config import AnonymizeConfig, MotionConfig
from privad.protect.detect import build_detector, check_targets
from privad.protect.detect.faces import FaceDetector
from privad.protect.detect.motion import MotionDetector
from privad.protect.detect.people import PeopleDetector
from privad.errors import PrivadError
from privad.io.images import read_image
from privad.metrics.privacy.identity import IdentityJudge


def _iou(a, b):
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0, x2 - x1) * max(0, y2 - y1)
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.mark.parametrize("photo, count", [("obama.jpg", 1), ("biden.jpg", 1), ("two_people.jpg", 2),
                                          ("obama_and_biden.jpg", 3)])  # a child stands between them
def test_faces_on_photos(faces_dir, photo, count):
    dets = FaceDetector()(read_image(str(faces_dir / photo)))
    assert len(dets) == count
    assert (dets.confidence > 0.5).all()


@pytest.mark.parametrize("scale", [1.0, 0.5])
def test_faces_agree_with_dlib_on_the_clip(clip_frames, faces_dir, scale):
    """Where dlib's HOG detector (a different model) finds a face, CenterFace finds one at the same place."""
    import dlib

    hog = dlib.get_frontal_face_detector()
    detector = FaceDetector(scale=scale)
    checked = 0
    for frame in clip_frames[::3]:
        for r in hog(np.ascontiguousarray(frame[:, :, ::-1]), 1):
            ref = (r.left(), r.top(), r.right(), r.bottom())
            boxes, _ = detector.raw(frame)
            assert any(_iou(ref, b) > 0.3 for b in boxes), f"face at {ref} missed"
            checked += 1
    assert checked >= 5


def test_face_masks_are_ellipses_inside_boxes(clip_frames):
    dets = FaceDetector()(clip_frames[30])
    for box, mask in zip(dets.xyxy.astype(int), dets.mask):
        ys, xs = np.nonzero(mask)
        assert xs.min() >= box[0] and xs.max() < box[2] and ys.min() >= box[1] and ys.max() < box[3]
        fill = mask.sum() / ((box[2] - box[0]) * (box[3] - box[1]))
        assert 0.7 < fill < 0.85  # pi/4 for an ellipse in its box


def test_motion_covers_anomalous_objects_in_ped2(ped2, ped2_frames):
    """Ped2's pixel masks mark the abnormal movers (cart, cyclists): the motion detector must cover them."""
    gt_files = natsorted((ped2 / "testing" / "gt_masks" / "Test004_gt").glob("*.png"))
    assert len(gt_files) == len(ped2_frames)
    detector = MotionDetector(MotionConfig())
    detector.prime(ped2_frames[:30])
    coverage, foreground = [], []
    for frame, gt_file in zip(ped2_frames, gt_files):
        dets = detector(frame)
        union = dets.mask.any(0) if len(dets) else np.zeros(frame.shape[:2], bool)
        gt = cv2.imread(str(gt_file), cv2.IMREAD_GRAYSCALE) > 0
        foreground.append(union.mean())
        if gt.any():
            coverage.append((union & gt).sum() / gt.sum())
    assert len(coverage) > 100
    assert np.mean(coverage) > 0.75 and np.percentile(coverage, 10) > 0.6
    assert np.mean(foreground) < 0.15  # not just "everything moves"


def test_motion_on_a_still_scene_finds_nothing(ped2_frames):
    detector = MotionDetector()
    still = [ped2_frames[0]] * 10
    detector.prime(still)
    assert len(detector(ped2_frames[0])) == 0


def test_people_detector_finds_upscaled_walker(ped2_frames):
    dets = PeopleDetector()(cv2.resize(ped2_frames[60], None, fx=3, fy=3))
    assert dets.mask.shape[1:] == (720, 1080)
    assert len(dets) >= 1


def test_target_checks():
    with pytest.raises(PrivadError, match="unknown target 'cars'"):
        check_targets(["faces", "cars"])
    with pytest.raises(PrivadError, match="no targets"):
        check_targets([])


def test_yolo_needs_local_weights(tmp_path):
    with pytest.raises(PrivadError, match="needs local weights"):
        build_detector("yolo", AnonymizeConfig())
    cfg = AnonymizeConfig.model_validate({"yolo": {"weights": str(tmp_path / "missing.pt")}})
    with pytest.raises(PrivadError, match="YOLO weights not found"):
        build_detector("yolo", cfg)


def test_identity_judge_matches_reference_on_raw_frame(clip_frames, faces_dir):
    judge = IdentityJudge([faces_dir / "lin-manuel-miranda.png", faces_dir / "alex-lacamoire.png"])
    verdicts = [judge.judge(f) for f in clip_frames[::10]]
    assert any(v.matched for v in verdicts)


def test_yolo_masks_are_taken_off_the_letterbox():
    """Ultralytics pads a 240x320 frame to 320x320 (40 rows above and below): a mask there at rows 140-159 is
    at rows 100-119 of the frame, not stretched into place."""
    from types import SimpleNamespace

    import torch

    from privad.protect.detect.yolo import YoloDetector

    data = torch.zeros(1, 320, 320)
    data[0, 140:160, 50:90] = 1
    result = SimpleNamespace(
        masks=SimpleNamespace(data=data), orig_shape=(240, 320), names={0: "person"},
        boxes=SimpleNamespace(cls=torch.zeros(1), conf=torch.tensor([0.9]), id=None,
                              xyxy=torch.tensor([[50.0, 100.0, 90.0, 120.0]])))
    detector = object.__new__(YoloDetector)
    detector.config, detector.device = SimpleNamespace(classes=[0], confidence=0.25, imgsz=320), "cpu"
    detector._model = SimpleNamespace(predict=lambda *a, **k: [result])
    dets = detector(np.zeros((240, 320, 3), np.uint8))
    assert dets.mask.shape == (1, 240, 320)
    rows = np.nonzero(dets.mask[0].any(axis=1))[0]
    cols = np.nonzero(dets.mask[0].any(axis=0))[0]
    assert (rows[0], rows[-1], cols[0], cols[-1]) == (100, 119, 50, 89)
    assert dets.xyxy[0].tolist() == [50, 100, 90, 120]


def test_centerface_shape_free_copy_is_cached_and_scores_alike(tmp_path, monkeypatch, clip_frames):
    """The shape-free CenterFace is derived once into the cache; a cached copy (no `onnx` import) and a fresh
    derivation give the same detections; an unwritable cache still works."""
    from privad.protect.detect import faces

    monkeypatch.setenv("PRIVAD_CACHE", str(tmp_path / "cache"))
    source = str(faces.centerface_path())
    fresh = faces.dynamic_model(source)
    cached = list((tmp_path / "cache").glob("centerface-dynamic-*.onnx"))
    assert len(cached) == 1 and cached[0].read_bytes() == fresh
    monkeypatch.setattr(faces, "_dynamic_model", lambda path: pytest.fail("derived again despite the cache"))
    assert faces.dynamic_model(source) == fresh
    monkeypatch.undo()
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("PRIVAD_CACHE", str(blocked / "cache"))
    assert faces.dynamic_model(source) == fresh
    faces._session.cache_clear()
    a = FaceDetector(scale=1.0).raw(clip_frames[30])
    faces._session.cache_clear()
    monkeypatch.setenv("PRIVAD_CACHE", str(tmp_path / "cache"))
    b = FaceDetector(scale=1.0).raw(clip_frames[30])
    assert len(a[0]) > 0
    np.testing.assert_array_equal(a[0], b[0])


def test_components_keep_large_blobs_with_their_boxes_and_masks():
    """Connected components on a constructed image: a 3-px speck is dropped, an L shape and a touching-corner pair
    (8-connected: one component) are kept with exclusive-max boxes and masks that are exactly their pixels."""
    from privad.protect.detect.motion import components

    fg = np.zeros((20, 30), np.uint8)
    fg[2:10, 3:5] = 1
    fg[8:10, 3:9] = 1  # an L: 16 + 8 px
    fg[12:14, 12:14] = 1
    fg[14:16, 14:16] = 1  # two squares touching at a corner
    fg[18, 27:30] = 1  # 3 px
    boxes, masks = components(fg, min_area=5)
    assert boxes.tolist() == [[3, 2, 9, 10], [12, 12, 16, 16]]
    assert masks.shape == (2, 20, 30) and masks.dtype == bool
    assert masks[0].sum() == 24 and masks[1].sum() == 8
    assert not (masks.any(0) & (fg == 0)).any() and not masks[:, 18, 27:].any()
    empty_boxes, empty_masks = components(np.zeros((5, 6), np.uint8), min_area=1)
    assert empty_boxes.shape == (0, 4) and empty_masks.shape == (0, 5, 6)
