"""How real the validation's pasted normal walkers look to `objects`' motion cue (training videos only, no label).

Every Ped2 training video's regions, found by `objects`' own region extractor, give the motion features its density
sees (`_velocity`: log1p of the mean flow speed, its 90th percentile and that per box height, and the box's aspect
and fill). A Gaussian mixture with `objects`' settings is fitted to all of them and read as `objects` reads it (a
speed below the training median read at it: `slow: usual`).
Each video is then crowded by `privad.vad.synthetic.traffic` with protocol 9's donors, and the regions on a pasted
walker (`walker_under`) are read against that density: the share beyond the real regions' 99th percentile of
negative log-likelihood (1 % for real regions, by construction) is how often a pasted walker's motion alone looks
odd. Variants change how walkers are pasted (anomalies are not pasted here):

- `base`: protocol 9 as it is;
- `own`: each walker at its donor's own pace (its track's straight-line displacement per frame, in box heights), not
  the scene's median stride;
- `loop`: a donor's sightings played forward in a loop, not forth and back;
- `flowpace`: walkers at the scene's median *flow* speed per box height (protocol 3's pace), not its displacement;
- `subpixel`: walkers placed where they are, not at whole pixels (protocol 10's placement).

Prints JSON (and the per-feature quantiles of walkers and real regions).

    python benchmarks/paste_fidelity.py base own loop flowpace subpixel
"""

from __future__ import annotations

import dataclasses
import json
import sys

import numpy as np
from sklearn.mixture import GaussianMixture

import privad.vad.synthetic as synthetic
from privad.engine.validate import training_videos, walker_under
from privad.vad.oneclass.attribute import ObjectsModel, floored
from privad.vad.regions import RegionExtractor

FEATURES = ("log1p mean speed", "log1p p90 speed", "log1p p90 speed / height", "aspect", "fill")
_paste, _bounce, _steps = synthetic.paste, synthetic._bounce, synthetic._steps


def regions(extractor: RegionExtractor, frames: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    vel, index, boxes = [], [], []
    for fr in extractor(frames):
        vel.append(fr.velocity)
        index.append(np.full(len(fr.boxes), fr.index))
        boxes.append(fr.boxes)
    return np.concatenate(vel), np.concatenate(index), np.concatenate(boxes)


def own_paces(videos: list, scenes: list) -> tuple[list, dict[int, float]]:
    """Protocol 9's donors, and each one's own pace (box heights per frame along its followed track)."""
    paces: list[float] = []

    def steps(frames, sc, index, pick, background, protocol):
        times, boxes = synthetic._followed(sc, index, pick)
        b = np.asarray(boxes, float)
        centre, height = 0.5 * (b[:, 0] + b[:, 2]), float(np.mean(b[:, 3] - b[:, 1]))
        paces.append(abs(np.polyfit(np.asarray(times, float), centre, 1)[0]) / height if len(times) > 1 else np.nan)
        return _steps(frames, sc, index, pick, background, protocol)

    synthetic._steps = steps
    try:
        pool = synthetic.donors(videos, scenes, seed=0, protocol=9)
    finally:
        synthetic._steps = _steps
    return pool, {id(d): p for d, p in zip(pool, paces)}


def pasted_as(variant: str, own: dict[int, float]) -> None:
    """Patch `synthetic` to paste walkers as `variant` says (module docstring)."""
    synthetic.paste, synthetic._bounce = _paste, _bounce

    def paste(frames, donor, kind, rng, scene=None, protocol=9):
        if kind == synthetic.WALKER and scene is not None:
            if variant == "own" and np.isfinite(own.get(id(donor), np.nan)):
                scene = dataclasses.replace(scene, stride=own[id(donor)])
            elif variant == "flowpace":
                scene = dataclasses.replace(scene, stride=scene.pace)
        return _paste(frames, donor, kind, rng, scene, protocol)

    synthetic.paste = paste
    if variant == "loop":
        synthetic._bounce = lambda t, n: t % n


def main() -> None:
    variants = sys.argv[1:] or ["base"]
    videos = training_videos()
    scenes = [synthetic.scene(v) for v in videos]
    pool, own = own_paces(videos, scenes)
    model = ObjectsModel()
    c, columns = model.config, model._speed_columns()
    real = model._velocity(np.concatenate([regions(model.extractor, v)[0] for v in videos]))
    floor = np.median(real[:, columns], axis=0) if c.slow == "usual" else np.full(len(columns), -np.inf)
    density = GaussianMixture(c.gmm_components, covariance_type="full", reg_covar=1e-3, random_state=c.seed)
    density.fit(floored(real, columns, floor))

    def nll(features: np.ndarray) -> np.ndarray:
        """As `objects` reads them: slower than the training median read at it (`slow: usual`)."""
        return -density.score_samples(floored(features, columns, floor))

    p99 = np.percentile(nll(real), 99)
    quantiles = (5, 50, 95, 99)
    out = {"donors": len(pool), "real": {"regions": len(real), "nll_median": round(float(np.median(nll(real))), 2),
                                         "quantiles": {f: np.percentile(real[:, j], quantiles).round(2).tolist()
                                                       for j, f in enumerate(FEATURES)}}}
    for variant in variants:
        pasted_as(variant, own)
        on, off = [], []
        for i, v in enumerate(videos):
            crowded = synthetic.traffic(v, pool, np.random.default_rng(100 + i), scenes[i],
                                        protocol=10 if variant == "subpixel" else 9)
            vel, index, boxes = regions(model.extractor, crowded.frames)
            under = walker_under(index, boxes, crowded.boxes)
            on.append(model._velocity(vel[under >= 0]))
            off.append(model._velocity(vel[under < 0]))
        on, off = np.concatenate(on), np.concatenate(off)
        walker_nll, other_nll = nll(on), nll(off)
        out[variant] = {"walker_regions": len(on), "walker_nll_median": round(float(np.median(walker_nll)), 2),
                        "walkers_beyond_real_p99": round(float(np.mean(walker_nll > p99)), 3),
                        "other_regions_beyond_real_p99": round(float(np.mean(other_nll > p99)), 3),
                        "walker_quantiles": {f: np.percentile(on[:, j], quantiles).round(2).tolist()
                                             for j, f in enumerate(FEATURES)}}
        print(variant, out[variant]["walkers_beyond_real_p99"], file=sys.stderr, flush=True)
    synthetic.paste, synthetic._bounce = _paste, _bounce
    print(json.dumps({"quantiles_at": quantiles, **out}, indent=1))


if __name__ == "__main__":
    main()
