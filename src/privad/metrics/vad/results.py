"""The evaluation results schema every producer writes (`privad evaluate --json`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from privad.errors import PrivadError


class PostProcess(BaseModel):
    """How frame scores were treated before the metrics (papers differ: we say what we did)."""

    normalization: str = Field("none", description="'none' or 'per-video min-max'")
    smoothing_sigma: float = Field(0.0, ge=0, description="temporal Gaussian sigma in frames (0: none)")


class EvaluationResult(BaseModel):
    """One evaluation of one model on one dataset."""

    dataset: str
    model: str
    anonymization: dict | None = Field(None, description="method, targets and parameters; None for raw video")
    micro_auc: float
    macro_auc: float | None
    ap: float
    pr_auc: float | None = None
    rbdc: float | None = None
    tbdc: float | None = None
    eer: float
    fit_seconds: float
    score_fps: float
    postprocess: PostProcess
    test_videos: int
    test_frames: int
    macro_excluded_videos: int = 0
    privad_version: str
    created: datetime = Field(default_factory=lambda: datetime.now(UTC))
    extra: dict = Field(default_factory=dict)

    def write(self, path: Path) -> None:
        """Write as JSON (atomically)."""
        from privad.io.atomic import commit, temp_path_for

        path = Path(path)
        temp = temp_path_for(path)
        temp.write_text(self.model_dump_json(indent=2))
        commit(temp, path)

    @classmethod
    def read(cls, path: Path) -> EvaluationResult:
        try:
            return cls.model_validate_json(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise PrivadError(f"not an evaluation result: {path}: {str(exc).splitlines()[0]}") from exc
