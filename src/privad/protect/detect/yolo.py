"""Optional: ultralytics YOLO-seg instance masks from a local weights file (extra `privad[yolo]`)."""

from __future__ import annotations

import numpy as np
import supervision as sv
from supervision import Detections

from privad.protect.config import YoloConfig
from privad.protect.detect.base import CLASS_IDS, make, mask_boxes
from privad.device import resolve as resolve_device
from privad.errors import PrivadError


class YoloDetector:
    """YOLO-seg (e.g. LA3D's yolov8m-seg) restricted to `config.classes`; weights are never downloaded."""

    name = "yolo"
    reentrant = False  # ultralytics keeps a predictor between calls
    warmup = 0

    def __init__(self, config: YoloConfig, device: str | None = None):
        if config.weights is None:
            raise PrivadError("target 'yolo' needs local weights: --yolo-weights PATH/yolov8m-seg.pt")
        if not config.weights.is_file():
            raise PrivadError(f"YOLO weights not found: {config.weights}")
        try:
            from ultralytics import YOLO
        except ImportError as exc:
            raise PrivadError("target 'yolo' needs the optional extra: pip install 'privad[yolo]'") from exc
        self.config = config
        self.device = resolve_device(device)
        try:
            self._model = YOLO(str(config.weights))
        except Exception as exc:
            raise PrivadError(f"cannot load YOLO weights {config.weights}: {exc}".splitlines()[0]) from exc

    def prime(self, frames: list[np.ndarray]) -> None:
        pass

    def __call__(self, frame: np.ndarray) -> Detections:
        c = self.config
        result = self._model.predict(frame, classes=c.classes, conf=c.confidence, imgsz=c.imgsz, device=self.device,
                                     verbose=False)[0]
        h, w = frame.shape[:2]
        found = sv.Detections.from_ultralytics(result)  # crops the letterbox padding off the mask maps
        if found.mask is None or len(found) == 0:
            return make(np.zeros((0, 4)), np.zeros((0, h, w), bool), np.zeros(0), CLASS_IDS["yolo"])
        return make(mask_boxes(found.mask), found.mask, found.confidence, CLASS_IDS["yolo"])
