"""One check suite over every registered anomaly model (scikit-learn's `parametrize_with_checks` idea): the fit(X, y)
protocol, typed fitted state, and fit → save → load → score giving the same scores. And model, weight and template
files are data: a crafted pickle must not run."""

from __future__ import annotations

import os
import pickle
import zipfile

import numpy as np
import pytest

from clirun import run
from privad.data.synthetic import planted_features, synthetic_scene
from privad.errors import PrivadError
from privad.protect.config import AnonymizeConfig
from privad.vad import MODELS, Fitted, build_model, load_model, save_model
from privad.vad.registry import is_weak

SMALL = {  # settings that fit in seconds; the checks are about the protocol, not accuracy
    "objects": {"use_appearance": True, "crop_size": 32, "max_train_regions": 500},
    "attribute": {"use_appearance": True, "crop_size": 32, "max_train_regions": 500},
    "multitask": {"epochs": 1, "max_train_tubes": 200, "teacher_dim": 4},
    "predictor": {"steps": 10, "side": 64},
    "mil": {"epochs": 2},
    "mgfn": {"epochs": 2},
    "pel": {"epochs": 2},
}


@pytest.fixture(scope="module")
def scene():
    frames, labels = synthetic_scene(n_frames=160, abnormal=(100, 140))
    return frames, labels


@pytest.fixture(scope="module")
def weak_data():
    items = planted_features(normal=12, abnormal=12, dim=16)
    return [f for f, _, _ in items], [y for _, y, _ in items]


def _fit(model, name, scene, weak_data):
    if is_weak(name):
        X, y = weak_data
        return model.fit(X, y)
    frames, _ = scene
    return model.fit([frames[:100], frames[:90]])


def _score(model, name, scene, weak_data):
    if is_weak(name):
        return model.score_features(weak_data[0][0], 64).frames
    return model.score(scene[0][80:160]).frames


def test_every_model_is_checked():
    assert set(SMALL) == set(MODELS)


@pytest.mark.parametrize("name", MODELS)
def test_fit_save_load_score(name, scene, weak_data, tmp_path):
    model = build_model(name, SMALL[name])
    assert model.fitted_ is None
    with pytest.raises(PrivadError, match="not fitted"):
        _score(model, name, scene, weak_data)
    fitted = _fit(model, name, scene, weak_data)
    assert fitted is model  # fit returns the model itself
    assert isinstance(fitted.fitted_, Fitted) and np.isfinite(fitted.fitted_.threshold)
    assert all(isinstance(a, np.ndarray) and a.dtype != object for a in fitted.fitted_.arrays.values())
    path = tmp_path / f"{name}.privad"
    save_model(fitted, AnonymizeConfig(method="mask", targets=["motion"]), path)
    with np.load(path, allow_pickle=False) as z:  # data only: readable without unpickling anything
        assert "__header__" in z.files
    loaded, anon = load_model(path)
    assert loaded.name == name and anon.method == "mask"
    assert loaded.fitted_.threshold == fitted.fitted_.threshold
    np.testing.assert_allclose(_score(loaded, name, scene, weak_data), _score(fitted, name, scene, weak_data),
                               rtol=1e-5, atol=1e-6)


def test_weak_models_need_labels(weak_data):
    with pytest.raises(PrivadError, match="needs video labels"):
        build_model("mil", SMALL["mil"]).fit(weak_data[0])


class _Payload:
    """A pickle that runs a command when loaded."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_crafted_pickle_model_does_not_run(tmp_path, monkeypatch, capsys, scene):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.privad"
    evil.write_bytes(pickle.dumps({"format": "privad-model", "x": _Payload(marker)}))
    with pytest.raises(PrivadError, match="older privad"):
        load_model(evil)
    code, _, err = run(monkeypatch, capsys, "score", tmp_path, "--model", evil, "-o", tmp_path / "s")
    assert code == 2 and err.startswith("error:") and "refit" in err
    assert not marker.exists()
    # a pickle smuggled into the archive as an array is refused too (allow_pickle=False)
    sneaky = tmp_path / "sneaky.privad"
    fitted = build_model("attribute", {"use_appearance": False}).fit([scene[0][:100]])
    save_model(fitted, None, sneaky)
    with zipfile.ZipFile(sneaky, "a") as z:
        with z.open("a/bank.npy", "w") as fh:
            np.lib.format.write_array(fh, np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    with pytest.raises(PrivadError, match="not a privad model file"):
        load_model(sneaky)
    assert not marker.exists()


def test_a_crafted_torch_file_does_not_run_as_weights_or_templates(tmp_path, monkeypatch, capsys):
    import torch

    from privad.protect.methods.learned import read_checkpoint
    from privad.protect.methods.selective import load_templates

    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    torch.save({"format": "privad-anonymizer", "x": _Payload(marker)}, evil)
    with pytest.raises(PrivadError, match="not a privad anonymizer file"):
        read_checkpoint(evil)
    with pytest.raises(PrivadError, match="not a template file"):
        load_templates(evil)
    import cv2

    cv2.imwrite(str(tmp_path / "in.png"), np.zeros((32, 32, 3), np.uint8))
    code, _, err = run(monkeypatch, capsys, "anonymize", tmp_path / "in.png", "-o", tmp_path / "o.png",
                       "--method", "learned", "--weights", evil)
    assert code == 2 and "not a privad anonymizer file" in err and not (tmp_path / "o.png").exists()
    assert not marker.exists()


def test_incomplete_and_foreign_files_get_one_line(tmp_path, scene):
    fitted = build_model("attribute", {"use_appearance": False}).fit([scene[0][:100]])
    path = tmp_path / "m.privad"
    save_model(fitted, None, path)
    with zipfile.ZipFile(path) as z:
        entries = {n: z.read(n) for n in z.namelist() if not n.startswith("a/gmm.means_")}
    with zipfile.ZipFile(path, "w") as z:
        for n, data in entries.items():
            z.writestr(n, data)
    with pytest.raises(PrivadError, match="incomplete privad model file"):
        load_model(path)
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros(3))
    with pytest.raises(PrivadError, match="not a privad model file"):
        load_model(other)
