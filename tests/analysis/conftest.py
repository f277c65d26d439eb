"""Shared synthetic data for the analysis tests: stationary AR(1) series with exact statistics."""

import numpy as np
import pytest
from scipy.signal import lfilter


class AR1:
    """x_t = phi x_{t-1} + e_t with e_t ~ N(0, 1), started in equilibrium."""

    @staticmethod
    def series(phi: float, n: int, n_chains: int = 1, seed: int = 0) -> np.ndarray:
        """Independent chains, shape (n_chains, n)."""
        rng = np.random.default_rng(seed)
        noise = rng.standard_normal((n_chains, n))
        x0 = rng.standard_normal(n_chains) / np.sqrt(1.0 - phi**2)
        return lfilter([1.0], [1.0, -phi], noise, axis=1, zi=(phi * x0)[:, None])[0]

    @staticmethod
    def tau(phi: float) -> float:
        """Exact tau_int = 1/2 + sum_{t>=1} phi^t = (1 + phi) / (2 (1 - phi))."""
        return 0.5 * (1.0 + phi) / (1.0 - phi)

    @staticmethod
    def std_of_mean(phi: float, n: int, n_chains: int = 1) -> float:
        """Exact standard deviation of the mean of n_chains stationary chains of length n."""
        t = np.arange(1, n)
        factor = 1.0 + 2.0 * np.sum((1.0 - t / n) * phi**t)
        return float(np.sqrt(factor / (1.0 - phi**2) / (n * n_chains)))


@pytest.fixture
def ar1():
    return AR1
