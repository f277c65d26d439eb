"""Kaufman's finite-torus formula against exact enumeration, Onsager's limit, and itself at large L."""

import numpy as np
import pytest

from ebmphys.models.ising import LatticeIsing
from ebmphys.partition import (
    BETA_C,
    energy_spectrum,
    ising2d_energy,
    ising2d_log_z,
    ising2d_specific_heat,
    log_z_exact,
    onsager_energy,
    onsager_log_z_per_spin,
    onsager_specific_heat,
)
from ebmphys.partition.kaufman import PRECISION_LIMIT

BETAS = np.array([0.0, 0.2, BETA_C, 0.7, 1.5, 5.0])
# both sides odd and J < 0 (frustrated): only temperatures where the cancellation leaves 1e-9 precision
BETAS_FRUSTRATED = np.array([0.0, 0.2, BETA_C, 0.7, 1.2])

CASES = [
    ((4, 4), 1.0, BETAS),
    ((4, 6), 1.0, BETAS),
    ((4, 6), -1.0, BETAS),  # even sides: the antiferromagnet maps exactly onto the ferromagnet
    ((3, 4), 1.0, BETAS),  # odd side, ferromagnet
    ((3, 4), -1.0, BETAS),  # odd side, antiferromagnet (twisted boundary)
    ((4, 5), -0.7, BETAS),
    ((2, 5), -1.3, BETAS),  # a side of length 2 has double bonds
    ((2, 2), 1.0, BETAS),
    ((3, 5), 1.0, BETAS),
    ((3, 3), -1.0, BETAS_FRUSTRATED),
    ((5, 3), -1.3, BETAS_FRUSTRATED / 1.3),
]


def _spectrum_moments(model, betas):
    """Exact log Z, energy per spin and specific heat per spin from the enumerated spectrum."""
    energies, counts = energy_spectrum(model)
    log_z = log_z_exact(model, betas)
    w = counts * np.exp(-betas[:, None] * energies - log_z[:, None])
    mean = (w * energies).sum(axis=1)
    var = (w * (energies - mean[:, None]) ** 2).sum(axis=1)
    n = model.n_spins
    return log_z, mean / n, betas**2 * var / n


@pytest.mark.parametrize("shape, J, betas", CASES, ids=[f"{s[0]}x{s[1]}-J{J}" for s, J, _ in CASES])
def test_matches_enumeration(shape, J, betas):
    log_z, u, c = _spectrum_moments(LatticeIsing(shape, J=J), betas)
    np.testing.assert_allclose(ising2d_log_z(*shape, betas, J=J), log_z, rtol=1e-10, atol=0)
    # measured agreement ~1e-13 (u) and ~1e-11 (c); 1e-8 leaves room for the enumeration's own rounding
    np.testing.assert_allclose(ising2d_energy(*shape, betas, J=J), u, rtol=0, atol=1e-8)
    np.testing.assert_allclose(ising2d_specific_heat(*shape, betas, J=J), c, rtol=0, atol=1e-8)


def test_infinite_temperature_is_n_log_2():
    for shape, J in [((4, 4), 1.0), ((3, 5), -2.0), ((1024, 1023), -1.0)]:
        assert ising2d_log_z(*shape, 0.0, J=J) == pytest.approx(shape[0] * shape[1] * np.log(2), rel=1e-15)
        assert ising2d_energy(*shape, 0.0, J=J) == 0.0
        assert ising2d_specific_heat(*shape, 0.0, J=J) == 0.0


def test_symmetric_in_the_sides():
    betas = np.array([0.3, BETA_C, 0.9, 3.0])
    for L1, L2, J in [(4, 6, 1.0), (3, 8, -1.0), (5, 7, 1.0), (2, 9, -0.5)]:
        np.testing.assert_allclose(ising2d_log_z(L1, L2, betas, J), ising2d_log_z(L2, L1, betas, J), rtol=1e-13)
        np.testing.assert_allclose(ising2d_energy(L1, L2, betas, J), ising2d_energy(L2, L1, betas, J), atol=1e-12)


def test_coupling_scales_beta():
    betas = np.array([0.1, 0.4, 2.0])
    np.testing.assert_allclose(ising2d_log_z(6, 5, betas, J=2.5), ising2d_log_z(6, 5, 2.5 * betas), rtol=1e-13)
    np.testing.assert_allclose(ising2d_energy(6, 5, betas, J=2.5), 2.5 * ising2d_energy(6, 5, 2.5 * betas), rtol=1e-12)


def test_derivatives_match_finite_differences_near_tc_at_large_l():
    """Analytic u and c against Richardson-extrapolated central differences of log Z (L = 256)."""
    L, n = 256, 256**2
    betas = np.array([0.43, BETA_C, 0.45])
    h = 1e-4

    def d1(step):
        return (ising2d_log_z(L, L, betas + step) - ising2d_log_z(L, L, betas - step)) / (2 * step)

    def d2(step):
        return (ising2d_log_z(L, L, betas + step) - 2 * ising2d_log_z(L, L, betas) + ising2d_log_z(L, L, betas - step)) / step**2

    u_fd = -(4 * d1(h / 2) - d1(h)) / 3 / n
    c_fd = betas**2 * (4 * d2(h / 2) - d2(h)) / 3 / n
    # round-off of the differences: eps |log Z| / h ~ 1e-10 per spin for u, eps |log Z| / h^2 ~ 1e-6 for c
    np.testing.assert_allclose(ising2d_energy(L, L, betas), u_fd, atol=1e-8)
    np.testing.assert_allclose(ising2d_specific_heat(L, L, betas), c_fd, atol=1e-4)


def test_approaches_onsager():
    """log Z / N - Onsager shrinks with L; far from T_c only the ground-state degeneracy log(2)/N is left."""
    sizes = [16, 64, 256, 1024]
    off_critical = np.array([0.2, 0.3, 0.6, 1.0, 3.0])
    ordered = off_critical > BETA_C
    previous = np.inf
    for L in sizes:
        n = L * L
        gap = abs(ising2d_log_z(L, L, BETA_C) / n - onsager_log_z_per_spin(BETA_C))
        assert gap < previous / 10  # finite-size correction ~ 0.64 / N at T_c
        previous = gap
    L = 1024
    n = L * L
    diff = ising2d_log_z(L, L, off_critical) / n - onsager_log_z_per_spin(off_critical) - ordered * np.log(2) / n
    np.testing.assert_allclose(diff, 0.0, atol=1e-14)
    np.testing.assert_allclose(ising2d_energy(L, L, off_critical), onsager_energy(off_critical), atol=1e-14)
    np.testing.assert_allclose(ising2d_specific_heat(L, L, off_critical), onsager_specific_heat(off_critical), atol=1e-13)


@pytest.mark.parametrize("L1, L2, J", [(1024, 1024, 1.0), (1024, 1024, -1.0), (1023, 1023, 1.0), (1025, 1024, -1.0)])
def test_stable_at_large_l_and_low_temperature(L1, L2, J):
    betas = np.linspace(0.0, 5.0, 101)
    n = L1 * L2
    log_z = ising2d_log_z(L1, L2, betas, J)
    u = ising2d_energy(L1, L2, betas, J)
    c = ising2d_specific_heat(L1, L2, betas, J)
    assert np.all(np.isfinite(log_z)) and np.all(np.isfinite(u)) and np.all(np.isfinite(c))
    free_energy = -log_z[1:] / (betas[1:] * n)
    assert np.all(np.diff(free_energy) > 0)  # f = -T log Z / N decreases with T
    assert np.all(np.diff(u) <= 1e-15)  # u decreases as beta grows (c > 0), until it saturates at the ground state
    assert np.all(c >= 0)
    # ground state: -2|J| per spin, plus one frustrated seam of 2|J| per bond along the even side for the
    # antiferromagnet with an odd side (1025 x 1024: 1024 bonds).  At beta = 5 the seam's thermal kinks add
    # ~ 4|J| L^2 exp(-20) / N ~ 1e-8 per spin; bulk excitations exp(-40) are negligible.
    seam = J < 0 and L1 % 2 == 1
    ground = -2 * abs(J) + (2 * abs(J) * 1024 / n if seam else 0.0)
    assert u[-1] == pytest.approx(ground, abs=1e-7 if seam else 1e-12)


def test_twisted_seam_free_energy_at_low_temperature():
    """Odd side, J < 0: Z_AF / Z_FM -> (number of seam positions) exp(-2 beta |J| L_even) at low T."""
    ratio = ising2d_log_z(1025, 1024, 5.0, -1.0) - ising2d_log_z(1025, 1024, 5.0, 1.0)
    # leading corrections: seam kinks, pairs of steps ~ L^2 exp(-4 beta) ~ 2e-3
    assert ratio == pytest.approx(np.log(1025) - 2 * 5.0 * 1024, abs=1e-2)


def test_vectorised_shapes():
    betas = np.array([[0.1, 0.5], [1.0, 2.0]])
    for f in (ising2d_log_z, ising2d_energy, ising2d_specific_heat):
        out = f(6, 4, betas)
        assert out.shape == (2, 2)
        assert out[1, 0] == f(6, 4, 1.0)
        assert isinstance(f(6, 4, 1.0), float)


def test_frustrated_precision_limit():
    assert np.isfinite(ising2d_log_z(3, 3, 1.2, J=-1.0))
    # large frustrated tori are available through T_c (the check allows 1025 x 1025 up to beta ~ 0.447)
    betas = np.linspace(0.02, 0.44, 22)
    log_z = ising2d_log_z(1025, 1023, betas, J=-1.0)
    assert np.all(np.diff(-log_z / (betas * 1025 * 1023)) > 0)
    assert np.all(ising2d_specific_heat(1025, 1023, betas, J=-1.0) > 0)
    with pytest.raises(ValueError, match="frustrated antiferromagnet.*estimated relative error"):
        ising2d_log_z(3, 3, 5.0, J=-1.0)
    with pytest.raises(ValueError, match=f"exceeds {PRECISION_LIMIT:.0e}"):
        ising2d_energy(1025, 1023, np.array([0.1, 1.0]), J=-1.0)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(L1=1), ValueError, "L1 must be an integer >= 2"),
        (dict(L2=0), ValueError, "L2 must be an integer >= 2"),
        (dict(L1=2.5), TypeError, "L1 must be an integer >= 2"),
        (dict(L2="4"), TypeError, "L2 must be an integer >= 2"),
        (dict(beta=-0.1), ValueError, "beta must be finite and >= 0"),
        (dict(beta=np.nan), ValueError, "beta must be finite and >= 0"),
        (dict(beta=[0.1, np.inf]), ValueError, "beta must be finite and >= 0"),
        (dict(beta="hot"), TypeError, "beta must be a finite real number"),
        (dict(J=np.nan), ValueError, "J must be a finite real number"),
        (dict(J="1"), TypeError, "J must be a finite real number"),
    ],
)
def test_bad_input(kwargs, error, match):
    args = dict(L1=4, L2=4, beta=0.5, J=1.0) | kwargs
    for f in (ising2d_log_z, ising2d_energy, ising2d_specific_heat):
        with pytest.raises(error, match=match):
            f(**args)


@pytest.mark.parametrize("L1, L2, J", [(4, 4, 1.0), (2, 3, -1.0), (3, 3, -1.0), (256, 256, 1.0)])
def test_high_temperature_expansion(L1, L2, J):
    """log Z = N log 2 + v K^2 / 2 + O(K^3), v = sum over neighbour pairs of (number of bonds)^2."""
    n = L1 * L2
    v = sum(2 * n if L == 2 else n for L in (L1, L2))
    K = np.array([1e-300, 1e-20, 1e-13, 1e-11, 1e-9])
    beta = K / abs(J)
    np.testing.assert_allclose(ising2d_log_z(L1, L2, beta, J), n * np.log(2) + 0.5 * v * K**2, rtol=1e-15)
    # relative corrections are O(K) (loops of three bonds on a side of 3), 1e-9 at most here; rounding of the
    # analytic derivative is ~1e-16 per spin in absolute terms
    np.testing.assert_allclose(ising2d_energy(L1, L2, beta, J), -abs(J) * v * K / n, rtol=1e-8, atol=1e-15)
    np.testing.assert_allclose(ising2d_specific_heat(L1, L2, beta, J), v * K**2 / n, rtol=1e-8)
