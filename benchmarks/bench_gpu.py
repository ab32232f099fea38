"""Everything privad runs on a network, on the device given: ready to run as is on a GPU machine. Prints JSON.

    python benchmarks/bench_gpu.py [--device auto|cpu|cuda|cuda:N] [--frames 275] [--train-steps 20]

Parts (each timed after a warm-up, on the sample data of ../shared/data):
- faces: the face clip anonymized at the default settings (CenterFace on ONNX Runtime's providers for the device);
  decode excluded, fps of detect + track + anonymize;
- evaluate: Ped2 with the default model plus appearance (MobileNetV2 crops on the device; AI-VAD's 1-NN), fit and
  scoring time and micro AUC;
- train: steps of the learned anonymizer's adversarial training (all three networks on the device), s/step;
- features: MobileNetV2 clip features of one Ped2 test video (the weak models' input), frames/s.
Run it twice, `--device cpu` and `--device cuda`, for the speed-up; the JSON names the device, the providers used,
torch's CUDA device name and the versions.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def faces(frames: list[np.ndarray]) -> dict:
    from privad.protect.config import AnonymizeConfig
    from privad.protect.pipeline import Anonymizer

    anonymizer = Anonymizer(AnonymizeConfig(targets=["faces"]), fps=29.97)
    anonymizer.process(frames[0])  # warm-up: session start, first allocation
    start = time.perf_counter()
    for f in frames[1:]:
        anonymizer.process(f)
    seconds = time.perf_counter() - start
    return {"frames": len(frames) - 1, "fps": round((len(frames) - 1) / seconds, 1), **anonymizer.compute}


def evaluate_ped2(max_test: int | None) -> dict:
    from privad.data import load_dataset
    from privad.engine.evaluate import evaluate
    from privad.io.sample_data import data_path

    appearance = {"use_appearance": True, "whiten": False, "knn_k": 1}
    result = evaluate(load_dataset("ucsd_ped2", data_path("ucsd_ped2")), config=appearance, max_test=max_test)
    return {"config": appearance, "micro_auc": round(100 * result.micro_auc, 1),
            "fit_seconds": round(result.fit_seconds, 1), "score_fps": round(result.score_fps, 1)}


def train_steps(steps: int) -> dict:
    from privad.protect.train import TrainConfig, Trainer, load_data, sample_inputs

    config = TrainConfig(pretrain_steps=1, warmup_steps=1, steps=steps + 1)
    videos, images = sample_inputs()
    trainer = Trainer(config, load_data(videos, images, config.size, config.clip_len))
    for _ in range(3):  # one step of each phase; the last one warms the adversarial step up
        trainer.train_step()
    start = time.perf_counter()
    for _ in range(steps):
        trainer.train_step()
    return {"steps": steps, "seconds_per_step": round((time.perf_counter() - start) / steps, 3)}


def features(frames: list[np.ndarray]) -> dict:
    from privad.vad.weak.clips import ClipFeatures

    extract = ClipFeatures()
    extract(frames[:16])  # warm-up
    start = time.perf_counter()
    out = extract(frames)
    return {"frames": len(frames), "fps": round(len(frames) / (time.perf_counter() - start), 1),
            "shape": list(out.shape)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default=None, help="auto, cpu, cuda or cuda:N (default: PRIVAD_DEVICE, else auto)")
    ap.add_argument("--frames", type=int, default=275, help="Face-clip frames to anonymize.")
    ap.add_argument("--train-steps", type=int, default=20)
    ap.add_argument("--max-test", type=int, default=None, help="Ped2 test videos to score (default: all 12).")
    args = ap.parse_args()
    import onnxruntime
    import torch

    from privad import device
    from privad.data import load_dataset
    from privad.io.sample_data import data_path
    from privad.io.sources import read_all

    used = device.use(args.device)
    clip = read_all(data_path("faces", "short_hamilton_clip.mp4"))[0][: args.frames]
    ped2 = load_dataset("ucsd_ped2", data_path("ucsd_ped2")).test[0].frames()
    out = {"device": used, "torch": torch.__version__, "onnxruntime": onnxruntime.__version__,
           "onnx_available": onnxruntime.get_available_providers(),
           "cuda_name": torch.cuda.get_device_name(int(used.partition(":")[2])) if used != "cpu" else None}
    out["faces"] = faces(clip)
    out["evaluate"] = evaluate_ped2(args.max_test)
    out["train"] = train_steps(args.train_steps)
    out["features"] = features(ped2)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
