"""AIS and reverse AIS of Potts-Bernoulli RBMs against the exact log Z (sum over the hidden layer).

Tolerance: 4 standard errors of each estimate (the issue's criterion); the
estimates are consistent, their error the delta-method error of the mean weight.
"""

import numpy as np
import pytest

from ebmphys.models import PottsBernoulliRBM
from ebmphys.partition import ais, reverse_ais
from ebmphys.partition.potts_exact import potts_rbm_log_z_exact


def _rbm():
    rng = np.random.default_rng(5)
    return PottsBernoulliRBM(10, 4, 6, W=rng.normal(size=(10, 4, 6)), b=0.5 * rng.normal(size=(10, 4)),
                             c=0.5 * rng.normal(size=6))


@pytest.mark.parametrize("base", ["uniform", "data"])
def test_ais_within_four_standard_errors(base):
    rbm = _rbm()
    exact = potts_rbm_log_z_exact(rbm)
    data = np.random.default_rng(0).integers(0, 4, size=(50, 10)) if base == "data" else None
    forward = ais(rbm, n_chains=200, n_steps=1000, seed=1, base=base, data=data)
    backward = reverse_ais(rbm, n_chains=200, n_steps=1000, seed=2, base=base, data=data)
    assert abs(forward.log_z - exact) < 4 * forward.stderr, (forward.log_z, exact, forward.stderr)
    assert abs(backward.log_z - exact) < 4 * backward.stderr, (backward.log_z, exact, backward.stderr)
    assert forward.stderr < 0.05 and forward.ess > 50


def test_ais_rejects_bad_options():
    rbm = _rbm()
    with pytest.raises(ValueError, match="gibbs"):
        ais(rbm, algorithm="heatbath")
    with pytest.raises(ValueError, match="base='data' needs"):
        ais(rbm, base="data")
    with pytest.raises(ValueError, match=r"0..3"):
        ais(rbm, base="data", data=np.full((3, 10), 4))
