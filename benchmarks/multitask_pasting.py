"""Which of `multitask`'s tasks fail on the validation's pasted normal walkers, as they are pasted and as they could be
(training videos only, no label). One fold of `privad.engine.validate`'s protocol 9: `multitask` fitted on the
other folds' videos; each held-out video crowded by `privad.vad.synthetic.traffic` (protocol 9's donors) in each
variant, and every region's four task failures z-scored by the training regions' (as the model combines them). Mean
z per task of the regions on a pasted walker (`walker_under`) and of the others. Variants:

- `base`: protocol 9 as it is (whole-pixel placement, sightings played forth and back);
- `subpixel`: walkers placed where they are, not at whole pixels (protocol 10's placement);
- `loop`: a donor's sightings played forward in a loop, not forth and back.

Prints JSON. One process, ~12 min on this machine (most of it the fit).

    python benchmarks/multitask_pasting.py [--fold 0] [--variants base,subpixel,loop]
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

import privad.vad.synthetic as synthetic
from privad.engine.fit import fit_model
from privad.engine.validate import held_out_copies, training_videos, walker_under
from privad.vad.oneclass.multitask import TASKS, task_calibration


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--variants", default="base,subpixel,loop")
    args = parser.parse_args()
    videos = training_videos()
    held = next(h for f, h, _ in held_out_copies(videos) if f == args.fold)
    model = fit_model("multitask", {}, [v for i, v in enumerate(videos) if i not in held])
    mean, std = (np.asarray(v) for v in task_calibration(np.concatenate(model.train_failures_)))
    scenes = [synthetic.scene(v) for v in videos]
    pool = synthetic.donors(videos, scenes, seed=0, protocol=9)
    bounce = synthetic._bounce
    out = {"fold": args.fold, "held_out": held}
    for variant in args.variants.split(","):
        synthetic._bounce = (lambda t, n: t % n) if variant == "loop" else bounce
        walker, other = [], []
        try:
            for i in held:
                crowded = synthetic.traffic(videos[i], pool, np.random.default_rng(100 + i), scenes[i],
                                            protocol=10 if variant == "subpixel" else 9)
                tubes = model._tubes(crowded.frames)
                z = (model._failures(tubes) - mean) / std
                under = walker_under(tubes.frame, tubes.boxes, crowded.boxes)
                walker.append(z[under >= 0])
                other.append(z[under < 0])
        finally:
            synthetic._bounce = bounce
        walker, other = np.concatenate(walker), np.concatenate(other)
        out[variant] = {"walker_regions": len(walker), "other_regions": len(other),
                        "walker_mean_z": dict(zip(TASKS, walker.mean(axis=0).round(2).tolist())),
                        "other_mean_z": dict(zip(TASKS, other.mean(axis=0).round(2).tolist()))}
        print(variant, out[variant]["walker_mean_z"], file=sys.stderr, flush=True)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
