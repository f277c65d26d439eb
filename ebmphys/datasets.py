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


#: scalings of the grey-level digits: grey / 16 in [0, 1], grey / 8 - 1 in [-1, 1]
GREY_SCALES = ("unit", "symmetric")


def load_grey_digits(scale: str = "unit", return_targets: bool = False):
    """The 1797 8x8 digits of ``sklearn.datasets.load_digits`` (bundled with scikit-learn) as real pixels.

    Grey levels 0..16 become ``grey / 16`` in [0, 1] (``scale="unit"``) or ``grey / 8 - 1``
    in [-1, 1] (``"symmetric"``); rows are the 64 pixels, row-major.

    Returns
    -------
    images : float64 array (1797, 64)
    targets : int64 array (1797,), only when ``return_targets`` is True
    """
    from sklearn.datasets import load_digits

    if scale not in GREY_SCALES:
        raise ValueError(f"scale must be one of {', '.join(map(repr, GREY_SCALES))}, got {scale!r}")
    images, targets = load_digits(return_X_y=True)
    images = images / 16.0 if scale == "unit" else images / 8.0 - 1.0
    return (images, targets.astype(np.int64)) if return_targets else images
