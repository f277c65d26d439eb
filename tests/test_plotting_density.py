"""plot_density_2d draws samples of a 2-D model against its exact density, and refuses other dimensions."""

import numpy as np
import pytest

from ebmphys.models import Gaussian, GaussianMixture, MLPEnergy
from ebmphys.plotting import plot_density_2d
from ebmphys.sampling import Chains


@pytest.mark.parametrize("model", [GaussianMixture([1.0, 2.0], [[-2.0, 0.0], [2.0, 1.0]], [0.5, 1.0]),
                                   MLPEnergy([2, 8, 1], "tanh", quadratic=0.5, seed=3)], ids=["mixture", "mlp"])
def test_density_plot_is_written(tmp_path, model):
    chains = Chains(model, algorithm="mala", beta=1.0, n_chains=500, seed=1)
    chains.run(200, tune=True, record=())
    chains.run(100, record=())
    path = plot_density_2d(model, chains.states, tmp_path / "density.pdf", fmt="png")
    assert path == tmp_path / "density.png" and path.stat().st_size > 20_000


def test_density_plot_needs_two_dimensions(tmp_path):
    with pytest.raises(ValueError, match="plot_density_2d needs a model of dimension 2, got dim = 3"):
        plot_density_2d(Gaussian(np.zeros(3)), np.zeros((5, 3)), tmp_path / "x.png")
    with pytest.raises(ValueError, match="fmt must be one of"):
        plot_density_2d(Gaussian(np.zeros(2)), np.zeros((5, 2)), tmp_path / "x.png", fmt="svg")
