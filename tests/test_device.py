"""The one device setting (privad.device): resolution, ONNX Runtime providers, and every torch part following it.

This machine has no GPU. To check that a part moves *all* its tensors to the chosen device, the device is patched to
torch's `meta` device (tensors without data): a part that leaves one tensor on the CPU fails with torch's
"same device" RuntimeError; a part that follows the setting runs its whole forward pass and fails only where it
copies the result back to numpy ("Cannot copy out of meta tensor").
"""

import os
import platform
import sys

import numpy as np
import pytest
import torch

from privad import device
from privad.errors import PrivadError

ON_META = "Cannot copy out of meta tensor|cannot be called on meta tensors"  # not "not on the expected device"


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.setattr(device, "_chosen", None)
    monkeypatch.delenv(device.ENV, raising=False)


@pytest.fixture()
def meta(monkeypatch):
    monkeypatch.setattr(device, "resolve", lambda spec=None: "meta")


def test_auto_is_the_cpu_without_cuda_and_cuda_without_one_is_an_error(monkeypatch):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert device.resolve() == "cpu" and device.resolve("auto") == "cpu" and device.resolve("CPU") == "cpu"
    for spec in ("cuda", "cuda:1"):
        with pytest.raises(PrivadError, match="torch sees 0 CUDA"):
            device.resolve(spec)
    with pytest.raises(PrivadError, match="unknown device 'gpu'"):
        device.resolve("gpu")
    monkeypatch.setattr(device, "_cuda_count", lambda: 2)
    assert device.resolve("auto") == "cuda:0" and device.resolve("cuda:1") == "cuda:1"
    with pytest.raises(PrivadError, match="cuda:2 asked for, but torch sees 2"):
        device.resolve("cuda:2")


def test_precedence_argument_then_use_then_environment(monkeypatch):
    monkeypatch.setattr(device, "_cuda_count", lambda: 1)
    monkeypatch.setenv(device.ENV, "cuda")
    assert device.resolve() == "cuda:0" and device.setting() == "cuda"
    assert device.use("cpu") == "cpu" and device.resolve() == "cpu" and device.setting() == "cpu"
    assert device.resolve("cuda:0") == "cuda:0"  # an explicit argument (a config's `device`) wins
    with pytest.raises(PrivadError):
        device.use("tpu")
    assert device.resolve() == "cpu"  # a refused setting changes nothing


def test_onnx_providers_for_each_case(monkeypatch):
    gpu_build = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
    assert device.onnx_providers("cpu", gpu_build) == ["CPUExecutionProvider"]
    monkeypatch.setattr(device, "_cuda_count", lambda: 2)
    assert device.onnx_providers("cuda:1", gpu_build) == [
        ("TensorrtExecutionProvider", {"device_id": 1}), ("CUDAExecutionProvider", {"device_id": 1}),
        "CPUExecutionProvider"]
    assert device.onnx_providers("cuda", ["CUDAExecutionProvider", "CPUExecutionProvider"]) == [
        ("CUDAExecutionProvider", {"device_id": 0}), "CPUExecutionProvider"]
    # the CPU onnxruntime package on a GPU machine: CPU only (the run summary says so)
    assert device.onnx_providers("auto", ["CPUExecutionProvider"]) == ["CPUExecutionProvider"]


def test_cli_device_error_is_one_line_exit_2():
    import subprocess
    import sys

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    done = subprocess.run([sys.executable, "-m", "privad", "--device", "cuda", "methods"], capture_output=True,
                          text=True)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "torch sees 0 CUDA" in done.stderr
    done = subprocess.run([sys.executable, "-m", "privad", "--device", "cpu", "methods"], capture_output=True,
                          text=True)
    assert done.returncode == 0 and "adaptive_max_blur" in done.stdout


def test_summary_states_device_and_providers(clip_frames, tmp_path):
    import cv2

    from privad.protect.config import AnonymizeConfig
    from privad.protect.video import anonymize_video

    cv2.imwrite(str(tmp_path / "in.png"), clip_frames[30])
    summary = anonymize_video(tmp_path / "in.png", tmp_path / "out.png", AnonymizeConfig(targets=["faces"],
                                                                                         device="cpu"))
    assert summary.compute == {"device": "cpu", "onnx_providers": ["CPUExecutionProvider"]}


def test_appearance_encoder_follows_the_device(monkeypatch):
    """The encoder's onnxruntime session is built for the resolved device (its providers), as CenterFace's is."""
    from types import SimpleNamespace

    from privad.backbones import appearance

    asked = []
    gpu = SimpleNamespace(get_providers=lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    monkeypatch.setattr(appearance, "resolve", lambda spec=None: "cuda:1")
    monkeypatch.setattr(appearance, "mobilenet_session", lambda device: asked.append(device) or gpu)
    assert appearance.AppearanceEncoder().providers[0] == "CUDAExecutionProvider" and asked == ["cuda:1"]
    monkeypatch.undo()
    assert appearance.AppearanceEncoder().providers == device.onnx_providers("cpu")


def test_learned_anonymizer_follows_the_device(meta):
    from privad.protect.methods.learned import UNet, apply_anonymizer

    net = UNet(4).to(device.torch_device()).eval()
    with pytest.raises(NotImplementedError, match=ON_META):
        apply_anonymizer(net, np.zeros((20, 24, 3), np.uint8))


def test_anonymizer_training_follows_the_device(meta):
    from privad.protect.train import TrainConfig, TrainData, Trainer

    rng = np.random.default_rng(0)
    data = TrainData([rng.integers(0, 256, (24, 48, 48, 3), dtype=np.uint8) for _ in range(2)],
                     [rng.integers(0, 256, (48, 60, 3), dtype=np.uint8)])
    trainer = Trainer(TrainConfig(size=32, width=4, batch=4, clips=2, clip_len=4, pretrain_steps=1, warmup_steps=1,
                                  steps=1), data)
    assert {p.device.type for net in (trainer.fa, trainer.fb, trainer.ft) for p in net.parameters()} == {"meta"}
    for _ in range(3):  # reconstruct, warmup, adversarial: every loss is computed on the device
        with pytest.raises((NotImplementedError, RuntimeError), match=ON_META):
            trainer.train_step()
        trainer.step += 1


@pytest.mark.parametrize("name", ["mil", "mgfn", "pel"])
def test_weak_models_train_on_the_device(meta, name):
    from privad.data.synthetic import planted_features
    from privad.vad import build_model

    train = planted_features(6, 6, seed=0)
    X, y = [f for f, _, _ in train], [label for _, label, _ in train]
    with pytest.raises((NotImplementedError, RuntimeError), match=ON_META):
        build_model(name, {"epochs": 1}).fit(X, y)


def test_weak_models_score_on_the_device(monkeypatch):
    """Fitted on the CPU, rebuilt with the device set: scoring runs its forward pass there."""
    from privad.data.synthetic import planted_features
    from privad.vad import build_model

    train = planted_features(6, 6, seed=0)
    X, y = [f for f, _, _ in train], [label for _, label, _ in train]
    model = build_model("pel", {"epochs": 1}).fit(X, y)
    monkeypatch.setattr(device, "resolve", lambda spec=None: "meta")
    model.check_fitted()  # rebuilds the network from the fitted arrays, on the device
    with pytest.raises(NotImplementedError, match=ON_META):
        model.clip_scores(X[0])


def test_a_model_fitted_on_one_device_scores_the_same_on_another(tmp_path, monkeypatch):
    """Model files hold arrays, not device tensors: fitted with the process on one device and loaded with it on
    another, the scores are identical (CPU to CPU here; the code path is the one a GPU takes)."""
    from privad.data.synthetic import planted_features
    from privad.vad import build_model, load_model, save_model

    train = planted_features(6, 6, seed=0)
    X, y = [f for f, _, _ in train], [label for _, label, _ in train]
    device.use("cpu")
    fitted = build_model("mgfn", {"epochs": 2}).fit(X, y)
    save_model(fitted, None, tmp_path / "m.npz")
    before = fitted.clip_scores(X[0])
    monkeypatch.setattr(device, "_chosen", None)
    device.use("auto")
    loaded, _ = load_model(tmp_path / "m.npz")
    assert np.array_equal(loaded.clip_scores(X[0]), before)


def test_multitask_trains_and_scores_on_the_device(meta):
    from privad.vad.oneclass.multitask import MultitaskModel, _network
    from privad.vad.oneclass.tubes import Tubes

    model = MultitaskModel()
    rng = np.random.default_rng(0)
    cons = rng.integers(0, 256, (8, 7, 32, 32), dtype=np.uint8)
    with pytest.raises((NotImplementedError, RuntimeError), match=ON_META):
        model._train(cons, cons[:, ::-1].copy(), torch.zeros(8, 32))  # all four tasks, the distillation too
    model._net = _network(model.config).to(device.torch_device()).eval()
    tubes = Tubes(frame=np.zeros(8, int), boxes=np.zeros((8, 4)), consecutive=cons, skipped=cons, middle=[])
    with pytest.raises(NotImplementedError, match=ON_META):
        model._failures(tubes)


def test_clip_i3d_and_dino_feature_extraction_follow_the_device(meta, monkeypatch):
    from privad.backbones.i3d import InceptionI3D
    from privad.backbones.vit import VisionTransformer, embed_images
    from privad.protect.methods.selective import _dino_map
    from privad.vad.weak.clips import ClipFeatures, FeatureConfig

    vit = VisionTransformer(32, 16, 64, 1, 16).to(device.torch_device()).eval()
    with pytest.raises(NotImplementedError, match=ON_META):
        embed_images(vit, [np.zeros((40, 40, 3), np.uint8)])
    features = ClipFeatures.__new__(ClipFeatures)  # as __init__ leaves it, without a checkpoint file
    features.config, features._i3d = FeatureConfig(extractor="i3d"), InceptionI3D().to(device.torch_device()).eval()
    with pytest.raises(NotImplementedError, match=ON_META):
        features._i3d_clip([np.zeros((64, 64, 3), np.uint8)] * 8)
    dino = VisionTransformer(32, 16, 64, 1, None, "dino").to(device.torch_device()).eval()
    import privad.protect.methods.selective as selective

    monkeypatch.setattr(selective, "_dino", lambda path, device: dino)
    with pytest.raises(NotImplementedError, match=ON_META):
        _dino_map(np.zeros((40, 40, 3), np.uint8), "unused")


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_release_memory_gives_freed_heap_pages_back():
    """Blocks freed between blocks still held stay mapped (glibc keeps them for reuse) until `release_memory`."""
    from privad.device import release_memory

    def rss_mib() -> float:
        return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    blocks = [bytearray(b"x" * 16384) for _ in range(12_800)]  # 200 MiB of heap blocks, every page touched
    held = blocks[::4]
    del blocks
    before = rss_mib()
    release_memory()
    assert before - rss_mib() > 100  # most of the 150 MiB freed between the held quarter
    del held  # held until here, so the freed blocks lay between live ones


def test_onnx_batches_cover_every_input_once_and_release_the_arena_on_the_last_call_only():
    from privad.device import onnx_batches, onnx_release

    calls = list(onnx_batches(10, 4))
    assert [list(range(10))[part] for part, _ in calls] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [options for _, options in calls[:-1]] == [None, None] and calls[-1][1] is onnx_release("cpu")
    assert [part for part, _ in onnx_batches(8, 4)] == [slice(0, 4), slice(4, 8)]
    assert list(onnx_batches(0, 4)) == []
