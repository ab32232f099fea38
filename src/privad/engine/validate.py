"""Choosing settings without test labels: k-fold leave-videos-out on the *normal training* videos, with synthetic
anomalies pasted into the held-out ones.

Each fold fits a model on the other training videos and scores its held-out videos, each once per kind of anomaly,
after pasting into a span of its frames an object cut from another training video (its moving-region mask) that
- `fast`: moves 4x the scene's walking pace (a car or cyclist among walkers),
- `brisk`: moves 2x the pace (a jogger or skater),
- `turned`: moves at the pace but turned on its side (a shape the scene never shows), or
- `flipped`: moves at the pace upside down (same box, fill and motion as a walker: only its look differs), or
- (protocol 11) `across`: an upright walker at the pace going up or down a column (only its heading differs).
Every other object moves along a row where the held-out video has moving objects (the walkways), so it often touches
them, scaled to the height the video's objects have at that row (perspective). The pace is the video's own: the
median over its moving regions of how far their boxes move along their tracks, per frame, in box heights (protocol
4; protocol 3 took the mean optical-flow speed inside the regions, which is about half of that on Ped2's walkers).
Frames where the pasted object is visible are labelled 1. The micro and macro AUC over all held-out copies is a
validation score that needs no test label; the rule (kinds, factors, rows, spans) is fixed here, for every dataset
alike.

Protocols: 1 alternated fast and turned objects at fixed speeds (a width in 20 or 200 frames); 2 (2026-12-02) added
`brisk` (60 frames a width), `flipped`, the rows and one copy per kind; 3 (2026-12-02, night) makes speeds relative
to the scene's pace and sizes to the row's, because protocol 2's "walking pace" was 2-3x the walkers' own and its sizes
ignored perspective, so pasted objects were easier than real ones (validation ~95 against ~88 on Ped2's test); 4
(2026-12-05) measures the pace as the walkers' displacement: the flow inside a walker's region averages moving limbs
with a body whose plain texture the flow does not follow, and came to 0.37-0.66 of the displacement on every one of
Ped2's 16 training videos, so protocol 3's `brisk` objects moved at about the walkers' own speed and `fast` ones at
about twice it, while its `turned` and `flipped` ones crept at half of it; 5 (2026-12-05, eighth session) adds normal
traffic: every second held-out video of a fold gets as many more walkers as it has moving regions in a median frame
(its crowding doubled; donors, upright, at the scene's stride, from its first frame), labelled 0, in its copies of
every kind. Two reasons: held-out videos should differ in crowding as much as a scene's videos can (under protocol 4
micro sat 2.6 under macro, on Ped2's test 7.6), and pasted objects are rigid patches that a model could find by their
pasting alone, which pasted walkers, being normal, do not reward; 6 (2026-12-06, ninth session) pastes every object,
anomaly or walker, as it walked, not as one rigid patch: its sightings along its track over up to 24 frames (until
its box grows or shrinks by over half: merged with a neighbour, or cut), each scaled to the first's height, played
forth and back, facing the way it goes. Reason: fitting a model on training videos crowded with rigid walkers (set
33) made pasted brisk objects 17 points harder to find (92.6 to 75.7), so how rigid a pasted object moves is itself a
cue a model can learn, and protocols 2-5 partly measured it; 7 (2026-12-06, eleventh session) crowds *every*
held-out video with the same traffic, not every second one. Reason, measured on training videos only (protocol 6, the
default model, all four folds): of the normal frames scoring above the normal frames' 90th percentile, the top region
was a pasted walker in 164 of 214 and touched one in 35 more; a crowded video's median normal frame scored 3.2-32.9,
an uncrowded one's 0.5-2.6. Pasted walkers, though labelled normal, carry what pasting leaves (a solid mask, a patch
moving whole; their motion cue's median was 1.75 against 0.24 for the videos' own walkers), so under protocol 6 the
crowded half's normal frames outscored many pasted anomalies, and micro rewarded a model for missing whatever pasted
objects share. With traffic in every held-out video, an anomaly must outscore the pasted walkers beside it, so what
pasting leaves no longer helps or hurts; 8 (2026-12-06, twelfth session) cuts each object's sightings in a window
that follows a straight line fitted to its track, not on each sighting's box. Reason, measured on training videos
only: a walker's box jitters with its limbs, so cut on the box the body jumps about in its steps, and pasted at a
steady pace protocol 7's walkers moved unevenly. The default model's motion cue on them had a median of 1.82 (90th
percentile 4.95) against -0.07 (0.99) on the videos' own regions; cut along the path, 0.71 (3.21). Their mean flow
over the pace they were pasted at spread over 0.29-1.57 (10th-90th percentile), a tracked walker's over its
displacement over 0.48-1.20; cut along the path, 0.35-1.16 (`privad.vad.synthetic._along_path`); 9 (2026-12-07,
seventeenth session) cuts objects only from tracks followed over at least 12 frames (`MIN_STEPS`, about a stride).
Reason, measured on training videos only (benchmarks/validation_false_alarms.py, the default model): pasted walkers
were 47 % of the normal regions but the top region of 87.7 % of the top 10 % of normal frames, and a pasted walker
alone had a heavier flow tail than the videos' own regions (90th-percentile flow speed at its 90th / 99th percentile
1.31 / 2.63 px a frame against 1.08 / 1.56). 17 of protocol 8's 48 donors had fewer than 6 sightings (4 had 1, 4 had
2): played forth and back, their limbs swing to and fro every frame or two. Pasted alone on a still background at
the pace, protocol 8's donors gave 1.49 / 2.83, one sighting (rigid) 0.87 / 0.90, the videos' own regions 1.10 / 1.54;
10 (2026-12-07, twentieth session) places each pasted object at its fractional column (shifted bilinearly, its mask
as the blend's alpha), not truncated to whole pixels. Reason, measured on training videos only (fold 0's held-out
copies, benchmarks/multitask_pasting.py and paste_fidelity.py): at whole pixels a walker at 0.4 px a frame stands
still and jumps a pixel in turn, which `multitask`'s motion-irregularity head read as frame skipping (mean z 1.19 on
pasted walkers, 0.81 placed at their columns, -0.14 on the videos' own regions), and 7.7 % of pasted walkers lay
beyond the real regions' 99th percentile of `objects`' motion density (6.4 % placed at their columns; 1 % of real
regions); 11 (2026-12-07, twenty-second session) adds a fifth kind, `across`: an upright walker at the pace going up
or down a column from where one of the video's objects is, across the rows every other kind and the traffic walk
along, as tall at each row as a straight line fitted to the video's region heights by row has it, placed at fractional
rows and columns. Reason, from the public datasets' descriptions, not from any test label: UCSD Ped1's anomalies
include people walking across the walkway or on the grass, Avenue's people going the wrong way, at a walking pace and
with a walker's look; no kind of protocols 2-10 was given away by its heading alone. The objects and their pasting
are in `privad.vad.synthetic`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from privad.engine.fit import fit_model
from privad.engine.views import anonymized
from privad.errors import PrivadError
from privad.metrics import frame_auc, paired_auc_bootstrap, rbdc_tbdc
from privad.metrics.vad.region import IOU_THRESHOLD, box_iou
from privad.protect.config import AnonymizeConfig
from privad.vad.model import AnomalyModel
from privad.vad.registry import DEFAULT
from privad.vad.synthetic import PROTOCOL, Pasted, Traffic, check_protocol, donors, kinds, paste, scene, traffic


def held_out_copies(videos: list[list[np.ndarray]], folds: int = 4, seed: int = 0, protocol: int = PROTOCOL,
                    walkers: dict[int, np.ndarray] | None = None
                    ) -> Iterator[tuple[int, list[int], Iterator[tuple[int, str, Pasted]]]]:
    """The folds of `validate`: per fold, its index, its held-out videos and a generator of their copies (video,
    kind, `Pasted`), one per kind each, drawn in a fixed order from `seed` (so a fold's copies are the same whichever
    folds are fitted: the copies of a fold its caller does not take are drawn all the same). `walkers`: filled, as a
    fold's copies are drawn, with where each crowded held-out video's normal traffic walks (`Traffic.boxes`)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(videos))
    scenes = [scene(v) for v in videos]  # once per video: donors, rows, sizes and paces all come from them
    pool = donors(videos, scenes, seed=seed, protocol=protocol)

    def copies(held: list[int]) -> Iterator[tuple[int, str, Pasted]]:
        # normal traffic, the same in a video's copies of every kind: protocols 5-6 every second held-out video, 7 all
        base = {i: traffic(videos[i], pool, rng, scenes[i], protocol=protocol)
                if protocol >= 7 or (protocol >= 5 and j % 2) else Traffic(videos[i], np.zeros((0, len(videos[i]), 4)))
                for j, i in enumerate(held)}
        if walkers is not None:
            walkers.update({i: t.boxes for i, t in base.items() if len(t.boxes)})
        for i, k in ((i, k) for i in held for k in kinds(protocol)):
            yield i, k, paste(base[i].frames, pool[int(rng.integers(len(pool)))], k, rng, scenes[i], protocol)

    for f in range(folds):
        held = [int(i) for i in order[f::folds]]
        drawn = copies(held)
        yield f, held, drawn
        for _ in drawn:  # what the caller left undrawn
            pass


def training_videos(dataset: str = "ucsd_ped2", root: Path | None = None) -> list[list[np.ndarray]]:
    """Every training video of `dataset` (at `root`; the sample data's by default) read whole, with OpenCV and torch
    on one thread: validation scripts run one process per core."""
    import cv2
    import torch

    from privad.data import load_dataset
    from privad.io.sample_data import data_path
    from privad.io.sources import read_all

    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    return [read_all(v.source)[0] for v in load_dataset(dataset, root or data_path(dataset)).train]


def fitted_folds(videos: list[list[np.ndarray]], kind: str, config: dict | None, wanted: set[int],
                 walkers: dict[int, np.ndarray] | None = None) -> Iterator[tuple[int, AnomalyModel, float, Iterator]]:
    """`held_out_copies`' folds in `wanted` (one process can take some, another the rest), each with a model of `kind`
    fitted on the other videos: (fold, model, seconds its fit took, the held-out copies)."""
    for f, held, drawn in held_out_copies(videos, walkers=walkers):
        if f in wanted:
            start = time.perf_counter()
            model = fit_model(kind, config, [v for i, v in enumerate(videos) if i not in held])
            yield f, model, time.perf_counter() - start, drawn


def walker_under(index: np.ndarray, boxes: np.ndarray, walkers: np.ndarray) -> np.ndarray:
    """Per region (frame `index`, `boxes` (N, 4) xyxy), the pasted normal walker it lies on (`Traffic.boxes`:
    walkers x frames x 4; the one with the highest IoU, if that is at least RBDC's 0.1), or -1."""
    out = np.full(len(boxes), -1)
    for j, (t, box) in enumerate(zip(np.asarray(index, int), np.asarray(boxes, float))):
        where = walkers[:, t] if len(walkers) else np.zeros((0, 4))
        seen = np.flatnonzero(np.isfinite(where).all(axis=1))
        if len(seen):
            iou = box_iou(box, where[seen])
            out[j] = seen[np.argmax(iou)] if iou.max() >= IOU_THRESHOLD else -1
    return out


def validate(train: list, kind: str = DEFAULT, config: dict | None = None,
             anonymize: AnonymizeConfig | None = None, folds: int = 4, seed: int = 0, progress=None,
             protocol: int = PROTOCOL, copies: bool = False) -> dict:
    """Micro/macro AUC of `kind` on the training videos (paths or frame lists) with pasted anomalies, k-fold, by
    `protocol` (the module docstring); and RBDC/TBDC of its region scores against the pasted objects' boxes (one
    track per pasted object; normal walkers and other regions that score high are false positives). `copies`: also
    return each held-out copy as (video, kind, frame scores, labels), to compare two settings copy by copy (the
    draws depend on the seed and the videos only)."""
    from privad.io.sources import read_all

    check_protocol(protocol)
    videos = [v if isinstance(v, list) else read_all(v)[0] for v in train]
    if len(videos) < 2:
        raise PrivadError("validation needs at least 2 training videos")
    scores, labels, made = [], [], []  # made: (video, kind) of each copy
    per_kind = {k: ([], []) for k in kinds(protocol)}
    detections, truth = [], []  # (copy, frame, box, score) and (copy, track, frame, box): RBDC/TBDC
    folds = min(folds, len(videos))
    for f, held, drawn in held_out_copies(videos, folds, seed, protocol):
        fitted = fit_model(kind, config, [anonymized(videos[i], anonymize) for i in range(len(videos))
                                          if i not in held])
        for i, k, pasted in drawn:
            scored = fitted.score(anonymized(pasted.frames, anonymize))
            s, lab, copy = scored.frames, pasted.labels, len(scores)
            detections += [(copy, *r) for r in scored.regions]
            truth += [(copy, 0, t, *pasted.boxes[t]) for t in np.flatnonzero(lab)]
            scores.append(s)
            labels.append(lab)
            made.append((i, k))
            per_kind[k][0].append(s)
            per_kind[k][1].append(lab)
        if progress:
            progress(f + 1, folds)
    rbdc, tbdc = rbdc_tbdc(detections, truth, sum(map(len, scores)))  # every copy has its pasted object in view
    result = {"micro_auc": frame_auc(scores, labels), "macro_auc": frame_auc(scores, labels, "macro"),
              "rbdc": rbdc, "tbdc": tbdc,
              **{f"{k}_micro_auc": frame_auc(*per_kind[k]) for k in per_kind if per_kind[k][0]},
              "videos": len(scores), "folds": folds, "protocol": protocol}
    if copies:
        result["copies"] = [(*m, s, lab) for m, s, lab in zip(made, scores, labels)]
    return result


def paired_difference(a: list, b: list, resamples: int = 1000, seed: int = 0) -> np.ndarray:
    """Bootstrap micro AUC of `a` minus `b`, two validations' `copies` (`validate(..., copies=True)` with the same
    videos and seed), over resamples of the held-out videos, each with its copies of every kind. Refuses copies that
    do not pair up (other videos, kinds or labels)."""
    if ([tuple(c[:2]) for c in a] != [tuple(c[:2]) for c in b]
            or not all(np.array_equal(x[3], y[3]) for x, y in zip(a, b))):
        raise PrivadError("the two validations did not paste the same copies; run both on the same videos and seed")
    return paired_auc_bootstrap([c[2] for c in a], [c[2] for c in b], [c[3] for c in a], [c[0] for c in a],
                                resamples, seed)


def pick_change(results: list[dict], best: dict, min_gain: float, regions: bool = True,
                paired: bool = True) -> tuple[int | None, dict[int, list[float]]]:
    """The selection rule of benchmarks/select_defaults.py, on validation results in points (`copies` as lists, for
    `paired`): of the candidates' `results`, those whose micro AUC gains `min_gain` over `best`; with `regions`, of
    them those whose RBDC and TBDC each fall by at most `min_gain`; with `paired`, of them those whose 95 % paired
    bootstrap interval against `best` (`paired_difference`, 1,000 resamples, seed 0) lies above 0. Returns the index
    of the highest micro of those (ties: the earlier; None: none) and the intervals computed, by index."""
    gainers = [j for j, r in enumerate(results) if r["micro_auc"] >= best["micro_auc"] + min_gain
               and (not regions or all(r[m] >= best[m] - min_gain for m in ("rbdc", "tbdc")))]
    intervals = {}
    for j in gainers if paired else []:
        diff = 100 * paired_difference(results[j]["copies"], best["copies"])
        intervals[j] = [round(float(v), 2) for v in np.percentile(diff, [2.5, 97.5])]
    firm = [j for j in gainers if not paired or intervals[j][0] > 0]
    return max(firm, key=lambda j: (results[j]["micro_auc"], -j), default=None), intervals
