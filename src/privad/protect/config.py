"""Pydantic configuration for the anonymization pipeline; load from YAML or TOML."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from privad.errors import PrivadError

OnError = Literal["obfuscate", "drop", "abort"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MethodParams(_Strict):
    """Parameters of the LA3D methods (defaults are LA3D's)."""

    alpha_mask_scale: float = Field(1.0, gt=0, description="LA3D -anr: scales the log-area factor r.")
    alpha_dim_scale: float = Field(0.5, gt=0, description="LA3D -anl: kernel/block cap as a share of box size.")
    blur_kernel: int = Field(13, ge=1, description="Gaussian kernel of `blur` (forced odd).")
    blur_sigma: float = Field(10.0, gt=0, description="Gaussian sigma of `blur`.")
    pixel_factor: int = Field(4, ge=1, description="Downscale factor of `pixelization`.")
    canny_low: int = Field(100, ge=0)
    canny_high: int = Field(200, ge=0)
    fill_color: tuple[int, int, int] = Field((0, 0, 0), description="BGR colour of `fill`.")


class FaceConfig(_Strict):
    threshold: float = Field(0.2, gt=0, lt=1, description="CenterFace heat-map threshold.")
    mask_scale: float = Field(1.3, gt=0, description="Ellipse size relative to the detected box.")
    nms_iou: float = Field(0.3, gt=0, le=1)


class MotionConfig(_Strict):
    algorithm: Literal["mog2", "knn"] = "mog2"
    history: int = Field(500, ge=1)
    var_threshold: float = Field(16.0, gt=0)
    warmup: int = Field(30, ge=0, description="Frames read ahead to learn the background before the first output.")
    min_area: float = Field(0.0008, ge=0, description="Smallest component, as a share of the frame area.")
    close_kernel: int = Field(9, ge=1, description="Closing kernel that merges fragments of one object.")


class PeopleConfig(_Strict):
    threshold: float = Field(0.4, gt=0, lt=1, description="SSDLite person score to keep a box.")
    tile: int | None = Field(None, ge=64, description="Also run on square tiles of this many pixels (small people "
                                                     "are seen larger; one more network pass per tile).")
    hit_threshold: float = Field(0.0, description="HOG detector (`people-hog`) SVM threshold.")
    scale: float = Field(1.0, gt=0, description="Resize factor before the HOG detector (it needs >= 128 px tall people).")


class YoloConfig(_Strict):
    weights: Path | None = Field(None, description="Local ultralytics *-seg.pt weights (never downloaded).")
    classes: list[int] = Field(default_factory=lambda: [0, 67, 63, 62], description="COCO ids: person, cell phone, laptop, tv (LA3D).")
    confidence: float = Field(0.25, gt=0, lt=1)
    imgsz: int = Field(320, ge=32)


class SelectiveConfig(_Strict):
    """The `selective` method (SPP-style): template similarity → soft mask → motion-consistent noise.

    The ramp 0.2–0.5 was chosen over 0.3–0.6 by identity leakage on the face clip (docs/benchmarks.md)."""

    templates: Path | None = Field(None, description="A template file or a folder of them ('privad template create').")
    low: float = Field(0.2, ge=-1, lt=1, description="Cosine similarity mapped to mask 0 (ramp start).")
    high: float = Field(0.5, gt=-1, le=1, description="Cosine similarity mapped to mask 1 (ramp end).")
    iid_noise: bool = Field(False, description="Ablation: fresh noise every frame instead of flow-warped noise.")
    in_regions: bool = Field(False, description="Only inside detected regions (then targets are detected).")
    seed: int = 0


class LearnedConfig(_Strict):
    """The `learned` method (TeD-SPAD-style anonymizer network from 'privad train-anonymizer')."""

    weights: Path | None = Field(None, description="Anonymizer file written by 'privad train-anonymizer'.")
    scale: float = Field(1.0, gt=0, le=1, description="Run the network on the frame resized by this factor.")
    in_regions: bool = Field(False, description="Only inside detected regions (then targets are detected).")


# The default method: a whole-box Gaussian per region, so its strength follows the region's size and no face stays
# detectable at any resolution (LA3D's adaptive_blur caps its kernel at 13·r px; dlib still finds faces after it and
# a large face stays recognisable). The LA3D methods are kept exact under their own names.
DEFAULT_METHOD = "adaptive_max_blur"


class AnonymizeConfig(_Strict):
    """Everything `privad anonymize` and `privad.anonymize_video` need."""

    method: str = DEFAULT_METHOD
    targets: list[str] = Field(default_factory=lambda: ["faces"])
    hold: int = Field(5, ge=0, description="Frames a lost track's last region stays anonymized.")
    detect_every: int = Field(1, ge=1, description="Run detectors every K frames; track in between.")
    detect_scale: Optional[float] = Field(
        None, gt=0, le=4, description="Detect faces on the frame resized by this factor. None (auto): 0.5 when the "
                                      "frame's short side is at least 360 px, else 1 (small frames keep every pixel).")
    mask_dilate: int = Field(0, ge=0, description="Grow every region by this many pixels.")
    box_pad: float = Field(0.0, ge=0, description="Grow every region's box by this share of its size.")
    on_error: OnError = "obfuscate"
    device: Optional[str] = Field(None, description="Device of the detectors' and learned method's networks (auto, "
                                                    "cpu, cuda, cuda:N); None: --device / PRIVAD_DEVICE, else auto.")
    keep_audio: bool = False
    video_crf: int = Field(20, ge=0, le=51, description="H.264 quality of video outputs (lower is better).")
    video_preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow"] = "superfast"
    params: MethodParams = Field(default_factory=MethodParams)
    faces: FaceConfig = Field(default_factory=FaceConfig)
    motion: MotionConfig = Field(default_factory=MotionConfig)
    people: PeopleConfig = Field(default_factory=PeopleConfig)
    yolo: YoloConfig = Field(default_factory=YoloConfig)
    selective: SelectiveConfig = Field(default_factory=SelectiveConfig)
    learned: LearnedConfig = Field(default_factory=LearnedConfig)

    @field_validator("targets", mode="before")
    @classmethod
    def _split_targets(cls, v: object) -> object:
        if isinstance(v, str):
            return [t.strip() for t in v.split(",") if t.strip()]
        return v


def load_config(path: Path) -> AnonymizeConfig:
    """Read an `AnonymizeConfig` from a .yaml/.yml/.toml/.json file."""
    path = Path(path)
    if not path.is_file():
        raise PrivadError(f"config file not found: {path}")
    text = path.read_text()
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        else:
            data = yaml.safe_load(text) or {}
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise PrivadError(f"cannot parse config {path}: {exc}".splitlines()[0]) from exc
    if not isinstance(data, dict):
        raise PrivadError(f"config {path} must hold a mapping of settings")
    return validate_config(data, source=str(path))


def validate_config(data: dict, source: str = "config") -> AnonymizeConfig:
    """Validate a settings mapping, turning pydantic's report into one line."""
    try:
        return AnonymizeConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        raise PrivadError(f"{source}: {where}: {err['msg']}") from exc


def save_config(config: AnonymizeConfig, path: Path) -> None:
    """Write a config as YAML (readable back with `load_config`)."""
    Path(path).write_text(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
