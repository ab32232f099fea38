"""Weakly-supervised models on planted features, feature extraction (MobileNetV2, I3D layout), CLI and bad input."""

import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from privad.errors import PrivadError
from privad.vad import build_model, load_model, save_model
from privad.vad.weak.clips import ClipFeatures, FeatureConfig, clip_starts, frame_scores
from privad.data.synthetic import planted_features
from privad.vad.weak.models import resample
from privad.engine.weak import read_labels


def xy(items):
    """(features, labels) of (features, label) pairs: the fit(X, y) arguments of a weak model."""
    items = list(items)
    return [f for f, _ in items], [y for _, y in items]


def test_resample_and_frame_mapping_by_hand():
    x = np.arange(8, dtype=np.float32).reshape(8, 1)
    assert resample(x, 4)[:, 0].tolist() == [0.5, 2.5, 4.5, 6.5]
    assert resample(x[:2], 4)[:, 0].tolist() == [0.0, 0.0, 1.0, 1.0]  # short videos repeat clips
    assert clip_starts(40, 16, 16) == [0, 16] and clip_starts(10, 16, 16) == [0]
    s = frame_scores(np.array([0.2, 0.8]), 40, 16, 16)
    assert s[:16].tolist() == [0.2] * 16 and s[16:32].tolist() == [0.8] * 16 and s[32:].tolist() == [0.8] * 8
    overlap = frame_scores(np.array([0.0, 1.0]), 24, 16, 8)  # frames 8-15 are in both clips
    assert overlap[:8].tolist() == [0.0] * 8 and overlap[8:16].tolist() == [0.5] * 8 and overlap[16:].tolist() == [1.0] * 8


@pytest.fixture(scope="module")
def planted():
    return planted_features(seed=0), planted_features(20, 20, seed=1)


@pytest.mark.parametrize("name,floor", [("mgfn", 0.95), ("pel", 0.95), ("mil", 0.9)])
def test_planted_segments_are_found(planted, name, floor, tmp_path):
    train, test = planted
    m = build_model(name, {"epochs": 30, "checkpoint_dir": str(tmp_path)}).fit(*xy([(f, y) for f, y, _ in train]))
    scores = np.concatenate([m.clip_scores(f) for f, _, _ in test])
    assert roc_auc_score(np.concatenate([lab for _, _, lab in test]), scores) >= floor
    assert len(list(tmp_path.glob(f"{name}-epoch*.pt"))) == 30  # a checkpoint per epoch
    path = tmp_path / "m.privad"
    save_model(m, None, path)
    loaded, _ = load_model(path)
    np.testing.assert_allclose(loaded.clip_scores(test[0][0]), m.clip_scores(test[0][0]), rtol=1e-5, atol=1e-6)
    crops = np.stack([test[0][0]] * 3)  # [crops, T, D] scores like [T, D] when the crops agree
    np.testing.assert_allclose(m.clip_scores(crops), m.clip_scores(test[0][0]), rtol=1e-5, atol=1e-6)


def test_pel_prompt_branch(planted, tmp_path):
    import torch

    train, test = planted
    text = np.random.default_rng(7).normal(size=(3, 32)).astype(np.float32)  # normal + two abnormal prompts
    np.save(tmp_path / "text.npy", text)
    # abnormal training videos alternate between class 1 and class 2 (the prompt rows)
    items = [(f, (1 + i % 2) if y else 0) for i, (f, y, _) in enumerate(train)]
    m = build_model("pel", {"epochs": 30, "text_features": str(tmp_path / "text.npy")}).fit(*xy(items))
    labels = np.concatenate([lab for _, _, lab in test])
    assert roc_auc_score(labels, np.concatenate([m.clip_scores(f) for f, _, _ in test])) >= 0.95
    with torch.inference_mode():  # the snippets themselves moved towards the prompts of their kind
        p_abnormal = np.concatenate([
            1 - m.net.text_logits(m.net(torch.from_numpy(f[None]))[1]).softmax(-1)[0, :, 0].numpy() for f, _, _ in test])
    assert p_abnormal[labels == 1].mean() - p_abnormal[labels == 0].mean() > 0.3
    save_model(m, None, tmp_path / "m.privad")
    loaded, _ = load_model(tmp_path / "m.privad")
    (tmp_path / "text.npy").unlink()  # the prompts live in the model file
    np.testing.assert_allclose(loaded.clip_scores(test[0][0]), m.clip_scores(test[0][0]), rtol=1e-5, atol=1e-6)


def test_pel_prompt_branch_bad_input(planted, tmp_path):
    train, _ = planted
    items = [(f, y) for f, y, _ in train]
    np.save(tmp_path / "flat.npy", np.zeros(8, np.float32))
    np.save(tmp_path / "text.npy", np.ones((3, 8), np.float32))
    with pytest.raises(PrivadError, match="text features must be"):
        build_model("pel", {"epochs": 1, "text_features": str(tmp_path / "flat.npy")}).fit(*xy(items))
    with pytest.raises(PrivadError, match="not found"):
        build_model("pel", {"epochs": 1, "text_features": str(tmp_path / "none.npy")}).fit(*xy(items))
    with pytest.raises(PrivadError, match="for the pel model"):
        build_model("mgfn", {"epochs": 1, "text_features": str(tmp_path / "text.npy")}).fit(*xy(items))
    with pytest.raises(PrivadError, match="names class 5"):
        build_model("pel", {"epochs": 1, "text_features": str(tmp_path / "text.npy")}).fit(*xy(
            [(f, 5 if y else 0) for f, y in items]))


def test_weak_models_need_both_classes_and_matching_features(planted):
    train, _ = planted
    with pytest.raises(PrivadError, match="needs normal and abnormal"):
        build_model("pel", {"epochs": 1}).fit(*xy([(f, 0) for f, _, _ in train[:5]]))
    m = build_model("mil", {"epochs": 1}).fit(*xy([(f, y) for f, y, _ in train]))
    with pytest.raises(PrivadError, match="do not fit this model"):
        m.clip_scores(np.zeros((5, 7), np.float32))
    with pytest.raises(PrivadError, match="weakly supervised"):
        m.fit([[np.zeros((8, 8, 3), np.uint8)]])


def test_mobilenet_features_of_a_real_video(ped2_frames):
    frames = ped2_frames[:40]
    one = ClipFeatures(FeatureConfig(frame_step=8))(frames)
    assert one.shape == (2, 1280) and np.isfinite(one).all()
    five = ClipFeatures(FeatureConfig(frame_step=8, crops=5, pool="max"))(frames)
    assert five.shape == (5, 2, 1280) and not np.allclose(five[0], five[4])


def test_region_features_of_a_real_video(ped2_frames):
    feats = ClipFeatures(FeatureConfig(extractor="regions", frame_step=4))(ped2_frames[:48])
    assert feats.shape == (3, 1303) and np.isfinite(feats).all()
    vel_max, vel_mean, count = feats[:, :11], feats[:, 11:22], feats[:, 22]
    assert (count > 0).all() and (vel_max >= vel_mean - 1e-6).all()  # people walk in every clip of video 04
    velocity_only = ClipFeatures(FeatureConfig(extractor="regions", frame_step=4, appearance=False))(ped2_frames[:48])
    np.testing.assert_allclose(velocity_only, feats[:, :23], rtol=1e-6)
    with pytest.raises(PrivadError, match="use --crops 1"):
        ClipFeatures(FeatureConfig(extractor="regions", crops=5))


def test_i3d_checkpoint_layout(tmp_path):
    import torch

    from privad.backbones.i3d import InceptionI3D, load_i3d

    torch.manual_seed(0)
    path = tmp_path / "rgb.pt"
    torch.save(InceptionI3D(400).state_dict(), path)
    net = load_i3d(path)
    with torch.inference_mode():
        assert net(torch.zeros(1, 3, 16, 224, 224)).shape == (1, 1024)
    bad = {k.replace("Mixed_4b", "Mixed_4x"): v for k, v in torch.load(path).items()}
    torch.save(bad, tmp_path / "bad.pt")
    with pytest.raises(PrivadError, match="does not fit the I3D RGB layout"):
        load_i3d(tmp_path / "bad.pt")
    with pytest.raises(PrivadError, match="I3D checkpoint not found"):
        load_i3d(tmp_path / "none.pt")
    with pytest.raises(PrivadError, match="needs --checkpoint"):
        ClipFeatures(FeatureConfig(extractor="i3d"))


@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning", "ignore::DeprecationWarning")
def test_clip_checkpoint_layouts(tmp_path, ped2_frames, small_clip):
    import torch

    from privad.backbones.vit import embed_images, load_clip_visual

    net = small_clip()
    full = {f"visual.{k}": v.half() for k, v in net.state_dict().items()}  # a whole CLIP model, stored in fp16
    full["token_embedding.weight"] = torch.zeros(10, 8)
    torch.save(full, tmp_path / "clip.pt")
    torch.jit.trace(net.eval(), torch.zeros(1, 3, 32, 32)).save(str(tmp_path / "clip_jit.pt"))  # TorchScript, as OpenAI ships
    a = load_clip_visual(tmp_path / "clip.pt")
    b = load_clip_visual(tmp_path / "clip_jit.pt")
    assert (a.image_size, a.out_dim, len(a.transformer.resblocks)) == (32, 16, 2)
    images = ped2_frames[:3]
    ea, eb = embed_images(a, images), embed_images(b, images)
    assert ea.shape == (3, 16) and np.allclose(ea, eb, atol=1e-2)  # fp16 storage vs fp32
    feats = ClipFeatures(FeatureConfig(extractor="clip", checkpoint=tmp_path / "clip.pt", frame_step=8))(ped2_frames[:40])
    assert feats.shape == (2, 16) and np.isfinite(feats).all()
    torch.save({k: v for k, v in full.items() if "ln_post" not in k}, tmp_path / "bad.pt")
    with pytest.raises(PrivadError, match="does not fit the CLIP ViT layout"):
        load_clip_visual(tmp_path / "bad.pt")
    from privad.backbones.i3d import InceptionI3D

    torch.save(InceptionI3D(400).state_dict(), tmp_path / "i3d.pt")
    with pytest.raises(PrivadError, match="no 'conv1.weight'"):
        load_clip_visual(tmp_path / "i3d.pt")
    with pytest.raises(PrivadError, match="needs --checkpoint"):
        ClipFeatures(FeatureConfig(extractor="clip"))


def test_clip_class_token_wiring(small_clip):
    """With every block's output projections at zero the blocks are identities, so the embedding is
    LN(class_embedding + pos[0]) @ proj whatever the image."""
    import torch

    net = small_clip().eval()
    with torch.no_grad():
        for block in net.transformer.resblocks:
            block.attn.out_proj.weight.zero_(), block.attn.out_proj.bias.zero_()
            block.mlp.c_proj.weight.zero_(), block.mlp.c_proj.bias.zero_()
        for ln in (net.ln_pre, net.ln_post):
            ln.weight.fill_(1.0), ln.bias.zero_()
        images = torch.randn(2, 3, 32, 32)
        out = net(images)
        ln = torch.nn.functional.layer_norm
        token = net.class_embedding + net.positional_embedding[0]
        expected = ln(ln(token, (64,)), (64,)) @ net.proj
    assert torch.allclose(out[0], expected, atol=1e-5) and torch.allclose(out[1], expected, atol=1e-5)


def test_label_file_errors(tmp_path):
    good = tmp_path / "labels.csv"
    good.write_text("name,label\nvid_a,0\nvid_b.npy 1\nvid_c,3\n")
    assert read_labels(good) == {"vid_a": 0, "vid_b": 1, "vid_c": 3}
    bad = tmp_path / "bad.csv"
    bad.write_text("vid_a,abnormal\n")
    with pytest.raises(PrivadError, match="expected 'NAME,LABEL'"):
        read_labels(bad)


def test_cli_extract_fit_and_score(monkeypatch, capsys, ped2, tmp_path, planted):
    from clirun import run

    feats = tmp_path / "feats"
    video = ped2 / "testing" / "frames" / "02"
    code, out, err = run(monkeypatch, capsys, "features", "extract", video, "-o", feats, "--frame-step", "8")
    assert code in (0, None), err
    assert np.load(feats / "02.npy").shape == (11, 1280)
    made = json.loads((feats / "features.json").read_text())
    assert made["features"]["frame_step"] == 8 and made["anonymize"] is None
    code, _, err = run(monkeypatch, capsys, "features", "extract", video, "-o", tmp_path / "anon", "--frame-step",
                       "8", "--method", "mask", "--targets", "motion")
    assert code in (0, None), err
    assert json.loads((tmp_path / "anon" / "features.json").read_text())["anonymize"]["method"] == "mask"
    assert not np.allclose(np.load(tmp_path / "anon" / "02.npy"), np.load(feats / "02.npy"))
    # a weak model on labelled planted features (D=64), through the CLI
    train, _ = planted
    planted_dir = tmp_path / "planted"
    planted_dir.mkdir()
    lines = []
    for i, (f, y, _) in enumerate(train):
        np.save(planted_dir / f"v{i:03d}.npy", f)
        lines.append(f"v{i:03d},{y}")
    (tmp_path / "labels.csv").write_text("\n".join(lines))
    code, out, err = run(monkeypatch, capsys, "fit", "--kind", "pel", "--features", planted_dir, "--labels",
                         tmp_path / "labels.csv", "--set", "epochs=3", "-o", tmp_path / "pel.privad")
    assert code in (0, None), err
    assert "fitted pel on 40 normal + 40 abnormal videos" in out
    (tmp_path / "labels.csv").write_text("\n".join(lines[:-1]))
    code, _, err = run(monkeypatch, capsys, "fit", "--kind", "pel", "--features", planted_dir, "--labels",
                       tmp_path / "labels.csv", "-o", tmp_path / "x.privad")
    assert code == 2 and "have no label" in err
    # a weak model fitted on MobileNetV2 features scores a new video by extracting them on the fly
    m = build_model("pel", {"epochs": 2, "features": {"frame_step": 8}})
    x = np.load(feats / "02.npy")
    m.fit(*xy([(x[:5], 0), (x[5:], 1)]))
    save_model(m, None, tmp_path / "mob.privad")
    code, _, err = run(monkeypatch, capsys, "score", video, "--model", tmp_path / "mob.privad", "-o", tmp_path / "s")
    assert code in (0, None), err
    assert len((tmp_path / "s" / "02" / "scores.csv").read_text().splitlines()) == 181


@pytest.mark.slow
def test_ped2_weak_split_evaluates(ped2):
    from privad.data import load_dataset
    from privad.engine.weak import evaluate_weak

    r = evaluate_weak(load_dataset("ucsd_ped2", ped2), "pel", {"epochs": 5}, use_weak_split=True)
    assert r.test_videos == 6 and r.extra["train_abnormal"] == 6 and 0 <= r.micro_auc <= 1


def test_unbalanced_classes_train(planted):
    train, _ = planted
    items = [(f, y) for f, y, _ in train[:30]] + [(f, y) for f, y, _ in train[40:43]]  # 30 normal, 3 abnormal
    for name in ("mil", "mgfn", "pel"):
        m = build_model(name, {"epochs": 2, "batch_size": 8}).fit(*xy(items))
        assert m.fitted_.info["train_videos"] == {"normal": 30, "abnormal": 3}
