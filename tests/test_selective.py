"""The `selective` method: templates, similarity masks, motion-consistent noise, and the method in the pipeline."""

import cv2
import numpy as np
import pytest

from privad.protect.methods.selective import FlowNoise, create_template, load_templates, save_template, similarity_mask
from privad.protect.config import AnonymizeConfig, SelectiveConfig
from privad.errors import PrivadError
from privad.protect.pipeline import Anonymizer


def _texture(seed=0, size=(120, 160)):
    rng = np.random.default_rng(seed)
    g = cv2.GaussianBlur(rng.integers(0, 256, size, dtype=np.uint8), (0, 0), 2)
    return cv2.cvtColor(cv2.normalize(g, None, 0, 255, cv2.NORM_MINMAX), cv2.COLOR_GRAY2BGR)


def test_noise_moves_with_the_video():
    base = _texture()
    shifted = np.roll(base, 4, axis=1)  # the scene moves 4 px to the right
    noise = FlowNoise(seed=1)
    first = noise(base).copy()
    second = noise(shifted)
    interior = (slice(20, 100), slice(30, 130))
    same = (second[interior] == np.roll(first, 4, axis=1)[interior]).all(axis=2).mean()
    assert same > 0.9
    iid = FlowNoise(seed=1, iid=True)
    a, b = iid(base).copy(), iid(shifted)
    assert (b[interior] == np.roll(a, 4, axis=1)[interior]).all(axis=2).mean() < 0.05


@pytest.fixture(scope="module")
def face_template(clip_frames, tmp_path_factory):
    # frame 0 of the face clip: dlib finds a face at (515, 49)-(567, 101)
    path = tmp_path_factory.mktemp("tpl") / "face.pt"
    save_template(create_template(clip_frames[0], [(541, 75), (530, 65), (552, 88)]), path)
    return path


def test_template_round_trip_and_errors(face_template, tmp_path, clip_frames):
    vectors, backbone = load_templates(face_template)
    assert vectors.shape == (3, 96) and backbone == "mobilenetv2:14"
    with pytest.raises(PrivadError, match="outside"):
        create_template(clip_frames[0], [(900, 10)])
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(PrivadError, match="not a template file"):
        load_templates(tmp_path / "junk.pt")
    with pytest.raises(PrivadError, match="no templates"):
        load_templates(tmp_path / "empty")


def test_selective_in_the_pipeline(face_template, clip_frames):
    vectors, backbone = load_templates(face_template)
    frame = clip_frames[10]  # dlib: face at (525, 55)-(568, 98)
    s = similarity_mask(frame, vectors, backbone, 0.2, 0.5)
    assert s.shape == frame.shape[:2] and 0 <= s.min() and s.max() <= 1
    assert s[55:98, 525:568].mean() > 5 * s.mean()  # the face scores far above the frame on average
    anon = Anonymizer(AnonymizeConfig(method="selective", selective=SelectiveConfig(templates=face_template,
                                                                                    low=0.2, high=0.5)))
    assert anon.detectors == []  # no detector needed
    out = anon.process(frame).image
    assert out.shape == frame.shape
    untouched = s == 0
    assert (out[untouched] == frame[untouched]).all() and (out[s > 0.9] != frame[s > 0.9]).any()
    with pytest.raises(PrivadError, match="needs --templates"):
        Anonymizer(AnonymizeConfig(method="selective"))


def test_cli_template_create(monkeypatch, capsys, face_clip, tmp_path):
    from clirun import run

    code, out, err = run(monkeypatch, capsys, "template", "create", face_clip, "--point", "541,75", "--point",
                         "530,65", "-o", tmp_path / "t.pt")
    assert code in (0, None), err
    assert load_templates(tmp_path / "t.pt")[0].shape == (2, 96)
    code, _, err = run(monkeypatch, capsys, "template", "create", face_clip, "--point", "a,b", "-o", tmp_path / "x.pt")
    assert code == 2 and "--point expects X,Y" in err


def test_selective_in_regions_touches_nothing_outside(face_template, clip_frames):
    from privad.protect.methods.selective import Selective
    from privad.protect.config import MethodParams
    from privad.protect.detect.base import make

    frame = clip_frames[10]
    h, w = frame.shape[:2]
    masks = np.zeros((1, h, w), bool)
    masks[0, 40:110, 500:590] = True
    cfg = AnonymizeConfig(method="selective", selective=SelectiveConfig(templates=face_template, in_regions=True))
    out = Selective(cfg)(frame, make(np.array([[500, 40, 590, 110]]), masks, np.ones(1), 0), MethodParams())
    assert (out[~masks[0]] == frame[~masks[0]]).all() and (out[masks[0]] != frame[masks[0]]).any()


def _timm_dino_state(seed=0):
    """A small random DINO ViT (patch 8, width 64, 2 blocks) in the timm layout of DINO's releases."""
    import re

    import torch

    from privad.backbones.vit import VisionTransformer

    torch.manual_seed(seed)
    net = VisionTransformer(image_size=32, patch=8, width=64, layers=2, out_dim=None, flavour="dino")
    for p in net.parameters():
        torch.nn.init.normal_(p, std=0.2)
    inverse = [(r"^conv1\.", "patch_embed.proj."), (r"^class_embedding$", "cls_token"),
               (r"^positional_embedding$", "pos_embed"), (r"^ln_post\.", "norm."),
               (r"^transformer\.resblocks\.(\d+)\.ln_1\.", r"blocks.\1.norm1."),
               (r"^transformer\.resblocks\.(\d+)\.ln_2\.", r"blocks.\1.norm2."),
               (r"^transformer\.resblocks\.(\d+)\.attn\.in_proj_(weight|bias)$", r"blocks.\1.attn.qkv.\2"),
               (r"^transformer\.resblocks\.(\d+)\.attn\.out_proj\.", r"blocks.\1.attn.proj."),
               (r"^transformer\.resblocks\.(\d+)\.mlp\.c_fc\.", r"blocks.\1.mlp.fc1."),
               (r"^transformer\.resblocks\.(\d+)\.mlp\.c_proj\.", r"blocks.\1.mlp.fc2.")]
    out = {}
    for key, value in net.state_dict().items():
        for pattern, repl in inverse:
            key = re.sub(pattern, repl, key)
        out[key] = value[None, None] if key == "cls_token" else value[None] if key == "pos_embed" else value
    return out


def test_dino_templates_peak_at_their_own_point(tmp_path):
    import torch

    from privad.protect.methods.selective import feature_map

    # a DINO training checkpoint: the teacher's weights under "backbone."
    torch.save({"teacher": {f"backbone.{k}": v for k, v in _timm_dino_state().items()}}, tmp_path / "dino.pt")
    backbone = f"dino:{tmp_path / 'dino.pt'}"
    image = _texture(3, size=(64, 96))
    fm = feature_map(image, backbone)
    assert fm.shape == (64, 8, 12)  # positions resized from the 4x4 training grid to 8x12
    t = create_template(image, [(52, 20)], backbone)  # patch (row 2, column 6)
    save_template(t, tmp_path / "t.pt")
    vectors, spec = load_templates(tmp_path / "t.pt")
    assert spec == backbone
    flat = fm.reshape(64, -1)
    cos = (vectors[0] @ flat) / (np.linalg.norm(vectors[0]) * np.linalg.norm(flat, axis=0))
    assert np.unravel_index(cos.argmax(), fm.shape[1:]) == (2, 6) and cos.max() == pytest.approx(1.0, abs=1e-5)
    mask = similarity_mask(image, vectors, spec, 0.999, 1.0)
    assert mask[16:24, 48:56].max() == mask.max() > 0.5 and mask.mean() < 0.05
    torch.save({"conv1.weight": torch.zeros(8, 3, 4, 4)}, tmp_path / "bad.pt")
    with pytest.raises(PrivadError, match="does not fit the DINO ViT layout"):
        feature_map(image, f"dino:{tmp_path / 'bad.pt'}")
    with pytest.raises(PrivadError, match="unknown template backbone"):
        feature_map(image, "resnet:3")
