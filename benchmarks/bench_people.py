"""Recall of the `people` detector (SSDLite) against hand-labelled boxes (benchmarks/labels/people.json), and its
time per frame, at the default settings and with 160-px tiles. Prints JSON.

    python benchmarks/bench_people.py [--tiles 160]

A labelled person is found when a detected box overlaps it with IoU >= 0.5 (also reported: >= 0.3, since the
labels are good to a few pixels and Ped2's people are ~15x30 px). Precision is the share of detections that match a
label at IoU >= 0.3; the labels leave out out-of-focus background people, so it is a lower bound.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from supervision import box_iou_batch

from privad.device import resolve
from privad.io.sample_data import data_path
from privad.io.sources import read_all
from privad.protect.config import PeopleConfig
from privad.protect.detect.people import PersonDetector

LABELS = Path(__file__).parent / "labels" / "people.json"


def frames_of(source: str, indices: list[int]) -> dict[int, np.ndarray]:
    frames = read_all(data_path(*source.split("/")))[0]
    return {i: frames[i] for i in indices}


def measure(detector: PersonDetector, images: dict, labels: dict) -> dict:
    found = {0.5: 0, 0.3: 0}
    kept = matched = 0
    start = time.perf_counter()
    boxes = {key: detector(img).xyxy for key, img in images.items()}
    seconds = time.perf_counter() - start
    for key, truth in labels.items():
        truth, det = np.asarray(truth, float), boxes[key]
        iou = box_iou_batch(truth, det) if len(det) else np.zeros((len(truth), 0))
        for t in found:
            found[t] += int((iou.max(axis=1) >= t).sum()) if iou.shape[1] else 0
        kept += len(det)
        matched += int((iou.max(axis=0) >= 0.3).sum()) if iou.shape[1] else 0
    n = sum(len(v) for v in labels.values())
    return {"people": n, "recall_iou50": round(found[0.5] / n, 3), "recall_iou30": round(found[0.3] / n, 3),
            "detections": kept, "precision_iou30": round(matched / kept, 3) if kept else None,
            "ms_per_frame": round(1000 * seconds / len(images), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tiles", type=int, default=160, help="Tile side of the second setting.")
    args = ap.parse_args()
    labels = json.loads(LABELS.read_text())
    out: dict = {"device": resolve()}
    for group in ("faces", "ucsd_ped2"):
        images, truth = {}, {}
        for source, per_frame in labels.items():
            if not source.startswith(group):
                continue
            got = frames_of(source, [int(i) for i in per_frame])
            images |= {(source, i): img for i, img in got.items()}
            truth |= {(source, int(i)): boxes for i, boxes in per_frame.items()}
        for name, config in (("default", PeopleConfig()), (f"tile {args.tiles}", PeopleConfig(tile=args.tiles))):
            detector = PersonDetector(config)
            detector(next(iter(images.values())))  # warm-up
            out[f"{group}: {name}"] = {"frames": len(images), **measure(detector, images, truth)}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
