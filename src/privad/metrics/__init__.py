"""Metrics: frame-level VAD quality, region/track detection (RBDC/TBDC), identity leakage."""

from privad.metrics.vad.frame import eer, frame_ap, frame_auc, frame_pr_auc, paired_auc_bootstrap
from privad.postprocess import minmax_per_video, smooth
from privad.metrics.vad.region import rbdc_tbdc, regions_from_masks
from privad.metrics.vad.results import EvaluationResult, PostProcess

__all__ = ["EvaluationResult", "PostProcess", "eer", "frame_ap", "frame_auc", "frame_pr_auc", "minmax_per_video",
           "paired_auc_bootstrap", "rbdc_tbdc", "regions_from_masks", "smooth"]
