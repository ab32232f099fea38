"""The method registry: every anonymization method by name, with a one-line description."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from supervision import Detections

from privad.protect.methods import adaptive, filters
from privad.protect.config import AnonymizeConfig, MethodParams
from privad.errors import PrivadError

MethodFn = Callable[[np.ndarray, Detections, MethodParams], np.ndarray]


@dataclass(frozen=True)
class Method:
    name: str
    fn: MethodFn
    summary: str
    needs_regions: bool | Callable[[AnonymizeConfig], bool] = True  # False: whole-frame, runs without detectors
    params: tuple[str, ...] = ()  # the MethodParams fields it reads (what a trade-off grid may vary)
    factory: Callable[[AnonymizeConfig], MethodFn] | None = None  # stateful methods: one instance per video

    def uses_regions(self, config: AnonymizeConfig) -> bool:
        return self.needs_regions(config) if callable(self.needs_regions) else self.needs_regions

    def bind(self, config: AnonymizeConfig) -> MethodFn:
        """The function to apply to every frame of one video."""
        return self.factory(config) if self.factory else self.fn


METHODS: dict[str, Method] = {}


def register(name: str, fn: MethodFn | None, summary: str, needs_regions=True, params: tuple[str, ...] = (),
             factory: Callable[[AnonymizeConfig], MethodFn] | None = None) -> None:
    """Add a method: a stateless `fn`, or a `factory` that builds a stateful one per video."""
    METHODS[name] = Method(name, fn, summary, needs_regions, params, factory)


def get_method(name: str) -> Method:
    try:
        return METHODS[name]
    except KeyError:
        raise PrivadError(f"unknown method '{name}'; run 'privad methods' to list them") from None


_ADAPTIVE = ("alpha_mask_scale", "alpha_dim_scale")
for _name, _fn, _summary, _params in [
    ("no-an", filters.no_an, "no anonymization (the raw frame; for baselines only)", ()),
    ("mask", filters.mask, "regions filled black", ()),
    ("fill", filters.fill, "regions filled with a solid colour (params.fill_color)", ("fill_color",)),
    ("edge", filters.edge, "regions replaced by Canny edges (100/200) of the frame", ("canny_low", "canny_high")),
    ("blur", filters.blur, "Gaussian blur, kernel 13, sigma 10, inside the regions", ("blur_kernel", "blur_sigma")),
    ("pixelization", filters.pixelization, "pixelization, factor 4 (down bilinear, up nearest), inside the regions",
     ("pixel_factor",)),
    ("adaptive_blur", adaptive.adaptive_blur, "per-instance Gaussian blur; kernel grows with box size and log area",
     _ADAPTIVE),
    ("adaptive_full_blur", adaptive.adaptive_full_blur, "adaptive_blur with sigma scaled too (capped at the kernel)",
     _ADAPTIVE),
    ("adaptive_max_blur", adaptive.adaptive_max_blur, "per-instance Gaussian blur with the whole box as kernel", ()),
    ("adaptive_pixelization", adaptive.adaptive_pixelization, "per-instance pixelization; block grows with box and area",
     _ADAPTIVE),
    ("adaptive_max_pixelization", adaptive.adaptive_max_pixelization, "one flat colour (the mean) per instance", ()),
]:
    register(_name, _fn, _summary, params=_params)


def _selective(config: AnonymizeConfig) -> MethodFn:
    from privad.protect.methods.selective import Selective

    return Selective(config)


register("selective", None, "SPP-style: template-similarity mask filled with noise that moves with the video "
         "(--templates)", needs_regions=lambda c: c.selective.in_regions, factory=_selective)


def _learned(config: AnonymizeConfig) -> MethodFn:
    from privad.protect.methods.learned import Learned

    return Learned(config)


register("learned", None, "TeD-SPAD-style: a trained anonymizer network on the whole frame (--weights)",
         needs_regions=lambda c: c.learned.in_regions, factory=_learned)
