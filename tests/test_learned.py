"""The `learned` anonymizer: losses, training steps, checkpoints and resume, and the method in the pipeline."""

import math

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from privad.protect.methods.learned import UNet, apply_anonymizer, load_anonymizer, save_anonymizer
from privad.protect.train import (TrainConfig, TrainData, Trainer, load_data, nt_xent, train_anonymizer,
                                            triplet)
from privad.cli.app import app
from privad.protect.config import AnonymizeConfig
from privad.errors import PrivadError
from privad.protect.pipeline import Anonymizer

TINY = dict(size=32, width=4, batch=4, clips=2, clip_len=4, pretrain_steps=2, warmup_steps=2, steps=2)


def test_nt_xent_known_values():
    e1, e2 = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    # one pair: each embedding's only candidate is its partner → loss 0
    assert nt_xent(e1, e1 * 3).item() == pytest.approx(0.0, abs=1e-6)
    # two pairs of identical orthogonal vectors: logits 1/τ for the partner, 0 for the other two
    z = torch.cat([e1, e2])
    assert nt_xent(z, z, temperature=0.1).item() == pytest.approx(math.log(1 + 2 * math.exp(-10)), abs=1e-6)
    # swapped partners: the partner is orthogonal and a non-partner is identical
    expected = -math.log(1 / (2 + math.exp(10)))
    assert nt_xent(z, z.flip(0), temperature=0.1).item() == pytest.approx(expected, rel=1e-5)


def test_triplet_known_values():
    a = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
    p = torch.tensor([[1.0, 0.0], [0.0, 0.5]])
    n = torch.tensor([[3.0, 0.0], [0.0, 1.0]])
    # first: 1 − 3 + 1 < 0 → 0; second: 0.5 − 1 + 1 = 0.5 → mean 0.25
    assert triplet(a, p, n, margin=1.0).item() == pytest.approx(0.25)


def _synthetic_data(seed=0) -> TrainData:
    rng = np.random.default_rng(seed)
    videos = [rng.integers(0, 256, (24, 48, 48, 3), dtype=np.uint8) for _ in range(2)]
    return TrainData(videos, [rng.integers(0, 256, (48, 60, 3), dtype=np.uint8)])


def test_a_step_lowers_the_anonymizer_loss_on_a_fixed_batch():
    trainer = Trainer(TrainConfig(**TINY), _synthetic_data())
    v1, v2 = trainer.sampler.images()
    clips = trainer.sampler.clips()
    before, _ = trainer.anonymizer_loss(v1, v2, clips)
    for _ in range(3):
        loss, _ = trainer.anonymizer_loss(v1, v2, clips)
        trainer.opt_a.zero_grad()
        loss.backward()
        trainer.opt_a.step()
    after, _ = trainer.anonymizer_loss(v1, v2, clips)
    assert after.item() < before.item()


def test_saved_anonymizer_reloads_bit_identically(tmp_path):
    torch.manual_seed(3)
    net = UNet(4).eval()
    path = tmp_path / "a.pt"
    save_anonymizer(path, net)
    again = load_anonymizer(path)
    for (k, v), (k2, v2) in zip(net.state_dict().items(), again.state_dict().items()):
        assert k == k2 and torch.equal(v, v2)
    frame = np.random.default_rng(0).integers(0, 256, (37, 50, 3), dtype=np.uint8)  # not a multiple of 4
    out = apply_anonymizer(net, frame)
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert np.array_equal(out, apply_anonymizer(again, frame))


def test_resume_continues_exactly(tmp_path):
    data = _synthetic_data()
    straight = train_anonymizer(data, tmp_path / "a.pt", TrainConfig(**TINY))
    assert [h["phase"] for h in straight.history] == ["reconstruct"] * 2 + ["warmup"] * 2 + ["adversarial"] * 2
    half = TrainConfig(**{**TINY, "checkpoint_every": 1, "max_minutes": 1e-9})  # stops after one step
    train_anonymizer(data, tmp_path / "b.pt", half)
    resumed = train_anonymizer(data, tmp_path / "b.pt", TrainConfig(**TINY), resume=True)
    assert resumed.step == straight.step == 6
    for v, v2 in zip(straight.fa.state_dict().values(), resumed.fa.state_dict().values()):
        assert torch.equal(v, v2)


def test_restore_refuses_other_architecture(tmp_path):
    save_anonymizer(tmp_path / "a.pt", UNet(4))
    with pytest.raises(PrivadError, match="no training state"):
        Trainer(TrainConfig(**TINY), _synthetic_data()).restore(tmp_path / "a.pt")
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(PrivadError, match="not a privad anonymizer"):
        load_anonymizer(tmp_path / "bad.pt")


def test_load_data_reads_ped2_and_stills(ped2, faces_dir):
    data = load_data([ped2 / "training" / "frames" / "01"], [faces_dir / "obama.jpg"], size=32, clip_len=4)
    assert len(data.videos) == 1 and data.videos[0].shape[0] == 120 and min(data.videos[0].shape[1:3]) == 48
    assert len(data.images) == 1
    with pytest.raises(PrivadError, match="too short"):
        load_data([faces_dir / "obama.jpg"], [], size=32, clip_len=4)


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("learned") / "a.pt"
    save_anonymizer(path, UNet(4))
    return path


def test_method_whole_frame_and_in_regions(clip_frames, weights):
    frame = clip_frames[0]
    whole = Anonymizer(AnonymizeConfig(method="learned", targets=[], learned={"weights": weights}))
    assert not whole.method.uses_regions(whole.config)
    out = whole.still(frame, whole=True)
    assert out.shape == frame.shape and np.abs(out.astype(int) - frame).mean() > 5  # an untrained net is not identity
    regional = Anonymizer(AnonymizeConfig(method="learned", targets=["faces"],
                                          learned={"weights": weights, "in_regions": True}))
    part = regional.still(frame)
    changed = (part != frame).any(axis=2)
    assert 0 < changed.mean() < 0.1  # only the faces


def test_cli_train_and_apply(tmp_path, ped2, faces_dir):
    runner = CliRunner()
    out = tmp_path / "anon.pt"
    sets = [a for k, v in TINY.items() for a in ("--set", f"{k}={v}")]
    r = runner.invoke(app, ["train-anonymizer", "-o", str(out), "--videos", str(ped2 / "training" / "frames" / "01"),
                            "--frames", str(faces_dir / "obama.jpg"), "-q", *sets])
    assert r.exit_code == 0, r.output
    assert out.is_file() and (tmp_path / "anon_curves.png").stat().st_size > 1000
    r = runner.invoke(app, ["anonymize", str(faces_dir / "obama.jpg"), "-o", str(tmp_path / "o.jpg"),
                            "-m", "learned", "--weights", str(out), "-q"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["train-anonymizer", "-o", str(tmp_path / "x.pt"), "--set", "nope=1"])
    assert r.exit_code != 0 and isinstance(r.exception, PrivadError)
    r = runner.invoke(app, ["train-anonymizer", "-o", str(tmp_path / "missing.pt"), "--resume"])
    assert r.exit_code != 0 and "does not exist" in str(r.exception)
