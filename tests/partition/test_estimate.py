"""estimate_log_z: every method returns the same kind of result, and agrees with the exact value."""

import math

import numpy as np
import pytest

import ebmphys
from ebmphys.models import RBM
from ebmphys.partition import METHODS, LogZEstimate, estimate_log_z, log_z_exact


@pytest.mark.parametrize("method", METHODS)
def test_every_method_returns_a_log_z_estimate(method):
    model, beta = ebmphys.LatticeIsing((4, 4)), 0.4
    exact = log_z_exact(model, beta)
    options = {"ti": dict(n_chains=4, n_steps=400), "wang-landau": dict(n_chains=8)}.get(method, {})
    r = estimate_log_z(model, beta, method=method, seed=3, **options)
    assert isinstance(r, LogZEstimate) and r.method == method
    assert r.seconds >= 0 and (r.seed is None) == (method in ("exact", "kaufman"))
    if method in ("exact", "kaufman"):
        assert r.stderr == 0 and r.log_z == pytest.approx(exact, rel=1e-12)
    else:
        # 5 standard errors (TI adds its quadrature error, Simpson on 33 points; Wang-Landau's walkers
        # stop at ln f = 1e-6, so their spread is the error bar; 8 walkers: P(|t_7| > 5) = 0.2%)
        slack = 5 * r.stderr + getattr(r, "quadrature_error", 0.0)
        assert abs(r.log_z - exact) < slack, (r.log_z, exact, r.stderr)


def test_exact_rbm_at_beta_scales_the_parameters():
    rng = np.random.default_rng(0)
    rbm = RBM(5, 3, W=rng.normal(size=(5, 3)), b=rng.normal(size=5), c=rng.normal(size=3))
    v = ((np.arange(32)[:, None] >> np.arange(5)) & 1).astype(float)
    h = ((np.arange(8)[:, None] >> np.arange(3)) & 1).astype(float)
    energy = -(v @ rbm.b)[:, None] - (h @ rbm.c)[None, :] - v @ rbm.W @ h.T
    expected = math.log(np.exp(-0.7 * energy).sum())
    assert estimate_log_z(rbm, 0.7, method="exact").log_z == pytest.approx(expected, rel=1e-12)


def test_bad_method_and_kaufman_on_the_wrong_model():
    with pytest.raises(ValueError, match="method must be one of"):
        estimate_log_z(ebmphys.LatticeIsing((4, 4)), method="bridge")
    with pytest.raises(ValueError, match="periodic 2D"):
        estimate_log_z(ebmphys.LatticeIsing((4, 4, 4)), method="kaufman")
