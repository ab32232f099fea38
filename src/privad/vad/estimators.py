"""Fitted estimators as plain named arrays, and back: what lets a model file be data only.

scikit-learn's GaussianMixture and PCA are rebuilt from the fitted attributes their `score_samples`/`transform` use;
a kNN index is rebuilt from its bank; torch weights become float arrays and are loaded back into a fresh network.
"""

from __future__ import annotations

import numpy as np

_GMM = ("weights_", "means_", "covariances_", "precisions_cholesky_")
_PCA = ("components_", "mean_", "explained_variance_")


def gmm_arrays(gmm, prefix: str) -> dict[str, np.ndarray]:
    """A fitted full-covariance GaussianMixture as arrays."""
    return {f"{prefix}.{a}": np.asarray(getattr(gmm, a)) for a in _GMM}


def gmm_from(arrays: dict[str, np.ndarray], prefix: str):
    """The GaussianMixture that `gmm_arrays` described (scores samples exactly as the original)."""
    from sklearn.mixture import GaussianMixture

    values = {a: arrays[f"{prefix}.{a}"] for a in _GMM}
    gmm = GaussianMixture(len(values["weights_"]), covariance_type="full")
    for a, v in values.items():
        setattr(gmm, a, v)
    gmm.precisions_ = np.einsum("kij,klj->kil", v := values["precisions_cholesky_"], v)
    gmm.n_features_in_ = values["means_"].shape[1]
    gmm.converged_ = True
    return gmm


def pca_arrays(pca, prefix: str) -> dict[str, np.ndarray]:
    """A fitted PCA as arrays (whether it whitens is a setting of the model that owns it: `pca_from`)."""
    return {f"{prefix}.{a}": np.asarray(getattr(pca, a)) for a in _PCA}


def pca_from(arrays: dict[str, np.ndarray], prefix: str, whiten: bool):
    """The PCA that `pca_arrays` described, whitening or not as the original did (transforms exactly as it)."""
    from sklearn.decomposition import PCA

    values = {a: arrays[f"{prefix}.{a}"] for a in _PCA}
    pca = PCA(values["components_"].shape[0], whiten=whiten)
    for a, v in values.items():
        setattr(pca, a, v)
    pca.n_components_, pca.n_features_in_ = values["components_"].shape
    return pca


def torch_arrays(state_dict: dict, prefix: str) -> dict[str, np.ndarray]:
    """A torch state dict as arrays (copies)."""
    return {f"{prefix}.{k}": v.detach().cpu().numpy().copy() for k, v in state_dict.items()}


def torch_state(arrays: dict[str, np.ndarray], prefix: str) -> dict:
    """The torch state dict that `torch_arrays` described."""
    import torch

    start = f"{prefix}."
    return {k[len(start):]: torch.from_numpy(np.array(v)) for k, v in arrays.items() if k.startswith(start)}
