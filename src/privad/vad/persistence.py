"""The model file: data only, never code.

A `.privad` file is an uncompressed NumPy `.npz` archive: one entry `__header__` (UTF-8 JSON: format tag, privad's
version, the model's name and settings, the anonymization it was fitted with, and the fitted state's numbers) and
one entry per fitted array. It is read with `allow_pickle=False`, so a crafted file cannot run anything; files of
older privad releases (pickles) are refused unread.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import asdict
from pathlib import Path

import numpy as np

from privad.errors import PrivadError
from privad.io.atomic import commit, temp_path_for
from privad.protect.config import AnonymizeConfig
from privad.vad.model import AnomalyModel, Fitted, require_fitted
from privad.vad.registry import build_model, config_class
from privad.version import __version__

FORMAT = "privad-model"
FORMAT_VERSION = 2
HEADER = "__header__"


def _compatible(saved: str, current: str) -> bool:
    return saved.split(".")[:2] == current.split(".")[:2]


def save_model(model: AnomalyModel, anonymize: AnonymizeConfig | None, path: Path) -> None:
    """Write a fitted model, with the anonymization it was fitted with, atomically."""
    fitted = require_fitted(model)
    header = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "privad_version": __version__, "model": model.name,
        "config": model.config.model_dump(mode="json"),
        "anonymize": anonymize.model_dump(mode="json") if anonymize else None,
        "fitted": {k: v for k, v in asdict(fitted).items() if k != "arrays"},
    }
    arrays = {f"a/{k}": np.asarray(v) for k, v in fitted.arrays.items()}
    if any(a.dtype == object for a in arrays.values()):
        raise PrivadError("internal: a fitted array holds Python objects; it cannot be saved as data")
    path = Path(path)
    temp = temp_path_for(path)
    with temp.open("wb") as fh:
        np.savez(fh, **{HEADER: np.frombuffer(json.dumps(header, default=str).encode(), np.uint8)}, **arrays)
    commit(temp, path)


def _read(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic[:1] == b"\x80":
        raise PrivadError(f"{path} is a model file of an older privad (a pickle, which is not read because it could "
                          f"run code); refit it with 'privad fit'")
    if not zipfile.is_zipfile(path):
        raise PrivadError(f"{path} is not a privad model file")
    try:
        with np.load(path, allow_pickle=False) as z:
            header = json.loads(bytes(z[HEADER]).decode())
            arrays = {k[2:]: z[k] for k in z.files if k.startswith("a/")}
    except (KeyError, ValueError, OSError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise PrivadError(f"{path} is not a privad model file ({type(exc).__name__})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise PrivadError(f"{path} is not a privad model file")
    return header, arrays


def load_model(path: Path) -> tuple[AnomalyModel, AnonymizeConfig | None]:
    """Read a model file; refuses other files, other privad versions and incomplete files with one line."""
    path = Path(path)
    if not path.is_file():
        raise PrivadError(f"model file not found: {path}")
    header, arrays = _read(path)
    if not _compatible(str(header.get("privad_version", "")), __version__):
        raise PrivadError(f"{path} was saved by privad {header.get('privad_version')}; this is {__version__}: refit it")
    try:
        # settings added after a file was written take the value that reproduces how it scored then
        before = getattr(config_class(header["model"]), "FILE_DEFAULTS", {})
        model = build_model(header["model"], {**before, **header["config"]})
        fitted = Fitted(**header["fitted"], arrays=arrays)
        anonymize = AnonymizeConfig.model_validate(header["anonymize"]) if header["anonymize"] else None
        model.fitted_ = fitted
        check = getattr(model, "check_fitted", None)
        if check is not None:
            check()
    except (KeyError, TypeError, ValueError) as exc:
        raise PrivadError(f"{path} is an incomplete privad model file ({type(exc).__name__}: {exc})") from None
    return model, anonymize
