"""Identity leakage judged by dlib: face detection + 128-d ResNet embeddings against reference photos.

Needs the `judge` extra (`dlib-bin`, `face-recognition-models`). The model files are located without importing
`face_recognition_models` (its import needs pkg_resources).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from privad.errors import PrivadError
from privad.io.images import read_image

MATCH_DISTANCE = 0.6  # dlib's own threshold for "same person"


def dlib_model_dir() -> Path:
    """Folder of the .dat files shipped by `face-recognition-models`."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise PrivadError("identity judge needs the 'judge' extra: pip install 'privad[judge]'")
    return Path(list(spec.submodule_search_locations)[0]) / "models"


@dataclass
class FrameVerdict:
    faces: int  # faces the judge found
    distances: list[float]  # per face: distance to the nearest reference
    matched: bool  # any face within MATCH_DISTANCE of a reference


@dataclass
class LeakageReport:
    frames: int
    frames_with_faces: int
    frames_matched: int
    faces: int
    faces_matched: int
    distances: list[float] = field(default_factory=list)


class IdentityJudge:
    """Finds faces with dlib (HOG by default, CNN optional) and compares them with reference identities."""

    def __init__(self, references: list[Path], detector: str = "hog", upsample: int = 1):
        try:
            import dlib
        except ImportError as exc:
            raise PrivadError("identity judge needs the 'judge' extra: pip install 'privad[judge]'") from exc
        models = dlib_model_dir()
        self._dlib = dlib
        self._upsample = upsample
        if detector == "cnn":
            cnn = dlib.cnn_face_detection_model_v1(str(models / "mmod_human_face_detector.dat"))
            self._detect = lambda rgb: [d.rect for d in cnn(rgb, upsample)]
        else:
            hog = dlib.get_frontal_face_detector()
            self._detect = lambda rgb: list(hog(rgb, upsample))
        self._shape = dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat"))
        self._encoder = dlib.face_recognition_model_v1(str(models / "dlib_face_recognition_resnet_model_v1.dat"))
        self.references = np.stack([self._reference(Path(p)) for p in references]) if references else np.zeros((0, 128))

    def _reference(self, path: Path) -> np.ndarray:
        image = read_image(str(path))
        if image is None:
            raise PrivadError(f"cannot read reference photo {path}")
        codes = self.encode(image)
        if len(codes) == 0:
            raise PrivadError(f"no face found in reference photo {path}")
        return codes[0]

    def detect(self, bgr: np.ndarray) -> np.ndarray:
        """Face boxes (N, 4) xyxy found by the judge's own detector."""
        rects = self._detect(np.ascontiguousarray(bgr[:, :, ::-1]))
        return np.array([[r.left(), r.top(), r.right(), r.bottom()] for r in rects], float).reshape(-1, 4)

    def encode(self, bgr: np.ndarray, boxes: np.ndarray | None = None) -> np.ndarray:
        """128-d embeddings of the faces found (or of the given xyxy boxes: the oracle variant)."""
        rgb = np.ascontiguousarray(bgr[:, :, ::-1])
        boxes = self.detect(bgr) if boxes is None else boxes
        rects = [self._dlib.rectangle(int(x1), int(y1), int(x2), int(y2)) for x1, y1, x2, y2 in boxes]
        codes = [np.asarray(self._encoder.compute_face_descriptor(rgb, self._shape(rgb, r))) for r in rects]
        return np.stack(codes) if codes else np.zeros((0, 128))

    def distances(self, codes: np.ndarray) -> np.ndarray:
        """Per embedding, the distance to the nearest reference identity (inf without references)."""
        if len(codes) == 0 or len(self.references) == 0:
            return np.full(len(codes), np.inf)
        return np.linalg.norm(codes[:, None, :] - self.references[None, :, :], axis=2).min(axis=1)

    def judge(self, bgr: np.ndarray) -> FrameVerdict:
        d = self.distances(self.encode(bgr))
        finite = d[np.isfinite(d)]
        return FrameVerdict(len(d), finite.tolist(), bool((finite < MATCH_DISTANCE).any()))

    def leakage(self, frames) -> LeakageReport:
        """Judge every frame of an iterable of BGR images."""
        report = LeakageReport(0, 0, 0, 0, 0)
        for image in frames:
            v = self.judge(image)
            report.frames += 1
            report.frames_with_faces += v.faces > 0
            report.frames_matched += v.matched
            report.faces += v.faces
            report.faces_matched += sum(d < MATCH_DISTANCE for d in v.distances)
            report.distances.extend(v.distances)
        return report
