"""Small data sets shipped with ebmphys (provenance in ``data/README.md``)."""

from __future__ import annotations

from importlib import resources

import numpy as np


def load_binary_digits(return_targets: bool = False):
    """The 1797 UCI optical-recognition 8x8 digits, binarised at half the grey scale.

    Each image of ``sklearn.datasets.load_digits`` (grey levels 0..16) becomes 64
    binary pixels ``x = (grey >= 8)``, row-major, so about 32% of pixels are on.

    Parameters
    ----------
    return_targets : bool, default False
        Also return the digit labels 0..9.

    Returns
    -------
    images : uint8 array (1797, 64) with entries in {0, 1}
    targets : uint8 array (1797,), only when ``return_targets`` is True
    """
    with resources.files("ebmphys").joinpath("data/digits_binary.npz").open("rb") as fh:
        with np.load(fh) as archive:
            n_features = int(archive["n_features"])
            images = np.unpackbits(archive["images"], axis=1)[:, :n_features].copy()
            targets = archive["targets"].copy()
    return (images, targets) if return_targets else images
