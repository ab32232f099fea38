"""Optional: ultralytics YOLO-seg instance masks from a local weights file (extra `privad[yolo]`)."""

from __future__ import annotations

import cv2
import numpy as np
from supervision import Detections

from privad.protect.config import YoloConfig
from privad.protect.detect.base import CLASS_IDS, make, mask_boxes
from privad.errors import PrivadError


class YoloDetector:
    """YOLO-seg (e.g. LA3D's yolov8m-seg) restricted to `config.classes`; weights are never downloaded."""

    name = "yolo"
    warmup = 0

    def __init__(self, config: YoloConfig):
        if config.weights is None:
            raise PrivadError("target 'yolo' needs local weights: --yolo-weights PATH/yolov8m-seg.pt")
        if not config.weights.is_file():
            raise PrivadError(f"YOLO weights not found: {config.weights}")
        try:
            from ultralytics import YOLO
        except ImportError as exc:
            raise PrivadError("target 'yolo' needs the optional extra: pip install 'privad[yolo]'") from exc
        self.config = config
        try:
            self._model = YOLO(str(config.weights))
        except Exception as exc:
            raise PrivadError(f"cannot load YOLO weights {config.weights}: {exc}".splitlines()[0]) from exc

    def prime(self, frames: list[np.ndarray]) -> None:
        pass

    def __call__(self, frame: np.ndarray) -> Detections:
        c = self.config
        result = self._model.predict(frame, classes=c.classes, conf=c.confidence, imgsz=c.imgsz, verbose=False)[0]
        h, w = frame.shape[:2]
        if result.masks is None or len(result.masks) == 0:
            return make(np.zeros((0, 4)), np.zeros((0, h, w), bool), np.zeros(0), CLASS_IDS["yolo"])
        small = result.masks.data.cpu().numpy()
        masks = np.stack([cv2.resize(m, (w, h), interpolation=cv2.INTER_LINEAR) > 0.5 for m in small])
        scores = result.boxes.conf.cpu().numpy()
        return make(mask_boxes(masks), masks, scores, CLASS_IDS["yolo"])
