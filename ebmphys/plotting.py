"""Figures of a study summary (matplotlib, Agg backend: no display needed).

:func:`plot_study` draws one figure with six panels against T (k_B = 1, T in
units of J/k_B): energy per spin, |m| per spin, specific heat per spin,
susceptibility per spin, Binder cumulant (with the estimated T_c), and the
Binder crossing temperatures of successive sizes.  For the 2D model with
J > 0 and h = 0 it adds the exact curves: Kaufman's finite-torus energy and
specific heat for every size, Onsager's spontaneous magnetisation and T_c.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ebmphys.partition.kaufman import ising2d_energy, ising2d_specific_heat  # noqa: E402
from ebmphys.partition.onsager import T_C, onsager_magnetization  # noqa: E402

FORMATS = ("png", "pdf")

_PANELS = (
    ("energy", "energy per spin  $\\langle E\\rangle/N$  [J]"),
    ("abs_magnetization", "$\\langle|M|\\rangle/N$"),
    ("specific_heat", "specific heat  $\\beta^2\\,\\mathrm{var}(E)/N$  [$k_B$]"),
    ("susceptibility", "$\\chi = \\beta(\\langle M^2\\rangle-\\langle|M|\\rangle^2)/N$  [1/J]"),
    ("binder", "Binder cumulant  $U_4 = 1-\\langle m^4\\rangle/3\\langle m^2\\rangle^2$"),
)


def _exact_2d(summary) -> bool:
    return summary.dimension == 2 and summary.h == 0.0 and summary.J > 0


def plot_study(summary, path, fmt: str = "png") -> Path:
    """Draw the study figure of ``summary`` (a :class:`ebmphys.study.summary.StudySummary`).

    Parameters
    ----------
    summary : StudySummary
    path : path-like
        Output file; its suffix is replaced by ``.{fmt}``.
    fmt : {"png", "pdf"}

    Returns
    -------
    Path
        The file written.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    path = Path(path).with_suffix("." + fmt)
    order = np.argsort(summary.temperatures)
    T = summary.temperatures[order]
    exact = _exact_2d(summary)
    T_fine = np.linspace(T[0], T[-1], 400)
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5), constrained_layout=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, (q, label) in zip(axes.flat, _PANELS):
        for i, L in enumerate(summary.sizes):
            c = colors[i % len(colors)]
            ax.errorbar(T, summary.values[q][i, order], yerr=summary.errors[q][i, order], fmt="o", ms=3.5,
                        capsize=2, color=c, label=f"L = {L}")
            if exact and q == "energy":
                ax.plot(T_fine, ising2d_energy(L, L, 1.0 / T_fine, J=summary.J), "-", lw=0.9, color=c)
            if exact and q == "specific_heat":
                ax.plot(T_fine, ising2d_specific_heat(L, L, 1.0 / T_fine, J=summary.J), "-", lw=0.9, color=c)
        if exact and q == "abs_magnetization":
            ax.plot(T_fine, onsager_magnetization(1.0 / T_fine, J=summary.J), "k--", lw=1.0, label="Onsager ($L=\\infty$)")
        ax.set_xlabel("temperature $T$  [$J/k_B$]")
        ax.set_ylabel(label)
    if exact:
        for ax in axes.flat[:5]:
            ax.axvline(T_C * summary.J, color="0.5", lw=0.8, ls=":")
        axes.flat[0].plot([], [], "-", color="0.3", lw=0.9, label="exact (Kaufman, same L)")
        axes.flat[0].plot([], [], ":", color="0.5", label=f"exact $T_c$ = {T_C * summary.J:.4f}")
    tc = summary.critical_temperature
    if tc is not None:
        axes.flat[4].axvspan(tc[0] - tc[1], tc[0] + tc[1], color="tab:red", alpha=0.25)
        axes.flat[4].axvline(tc[0], color="tab:red", lw=1.0, label=f"crossing $T_c$ = {tc[0]:.4f} ± {tc[1]:.4f}")
    for ax in axes.flat[:5]:
        ax.legend(fontsize=8)
    _crossing_panel(axes.flat[5], summary, exact)
    fig.suptitle(f"{summary.name}: {summary.dimension}D Ising, J = {summary.J:g}, h = {summary.h:g}, "
                 f"{summary.n_chains} chains per point" + ("" if summary.complete else "  (incomplete file)"))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _crossing_panel(ax, summary, exact: bool) -> None:
    ax.set_xlabel("$1/L_{large}$")
    ax.set_ylabel("Binder crossing temperature $T^*(L, L_{large})$  [$J/k_B$]")
    if not summary.crossings:
        ax.text(0.5, 0.5, "no Binder crossing in the\ntemperature range", ha="center", va="center",
                transform=ax.transAxes)
        return
    pairs = sorted(summary.crossings)
    x = np.array([1.0 / p[1] for p in pairs])
    c = [summary.crossings[p] for p in pairs]
    t = np.array([1.0 / k.beta for k in c])
    err = np.array([k.beta_error / k.beta**2 for k in c])
    ax.errorbar(x, t, yerr=err, fmt="s", capsize=3, color="tab:red", label="crossing of successive sizes")
    for xi, ti, p in zip(x, t, pairs):
        ax.annotate(f"{p[0]},{p[1]}", (xi, ti), textcoords="offset points", xytext=(4, 4), fontsize=7)
    if exact:
        ax.axhline(T_C * summary.J, color="0.5", ls=":", label=f"exact $T_c$ = {T_C * summary.J:.4f}")
    ax.set_xlim(0, 1.15 * x.max())
    ax.legend(fontsize=8)


def plot_phi4_study(summary, path, fmt: str = "png") -> Path:
    """Draw the figure of a phi^4 study (a :class:`ebmphys.study.phi4_summary.Phi4Summary`).

    Top row, one panel per quartic coupling lam: the Binder cumulant U4 against
    kappa for every size, with the crossing of the two largest sizes and, in 2D,
    the Ising value U4* = 0.61069.  Bottom row: kappa_c(lam) against 1/lam with
    the Ising limit ln(1 + sqrt 2)/4 at 1/lam = 0 (2D); U4 at every crossing against
    lam with U4*; the Binder slopes at kappa_c against L on log axes with the fitted nu.
    """
    from ebmphys.study.phi4_summary import KAPPA_C_ISING_2D, U4_ISING_2D

    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    path = Path(path).with_suffix("." + fmt)
    n_cols = max(3, len(summary.series))
    fig, axes = plt.subplots(2, n_cols, figsize=(5 * n_cols, 8.5), constrained_layout=True, squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    ising = summary.dimension == 2
    for ax, series in zip(axes[0], summary.series):
        for i, L in enumerate(summary.sizes):
            ax.errorbar(series.kappas, summary.values["binder"][i, series.points],
                        yerr=summary.errors["binder"][i, series.points], fmt="o-", ms=3.5, lw=0.8, capsize=2,
                        color=colors[i % len(colors)], label=f"L = {L}")
        c = series.critical
        if c is not None:
            ax.axvspan(c.beta - c.beta_error, c.beta + c.beta_error, color="tab:red", alpha=0.25)
            ax.axvline(c.beta, color="tab:red", lw=1.0, label=f"crossing $\\kappa_c$ = {c.beta:.5f} ± {c.beta_error:.5f}")
        if ising:
            ax.axhline(U4_ISING_2D, color="0.4", ls=":", lw=1.0, label=f"2D Ising $U_4^*$ = {U4_ISING_2D}")
        ax.set_xlabel("hopping parameter $\\kappa$")
        ax.set_ylabel("Binder cumulant $U_4$")
        ax.set_title(f"$\\lambda$ = {series.lam:g}")
        ax.legend(fontsize=8)
    for ax in axes[0][len(summary.series):]:
        ax.set_visible(False)
    done = [s for s in summary.series if s.critical is not None]
    ax = axes[1][0]
    if done:
        inv = np.array([1.0 / s.lam if s.lam > 0 else np.inf for s in done])
        ax.errorbar(inv, [s.critical.beta for s in done], yerr=[s.critical.beta_error for s in done], fmt="s",
                    capsize=3, color="tab:red", label="Binder crossing of the two largest sizes")
    if ising:
        ax.plot([0.0], [KAPPA_C_ISING_2D], "k*", ms=10, label=f"Ising limit ln(1+$\\sqrt{{2}}$)/4 = {KAPPA_C_ISING_2D:.5f}")
    ax.set_xlabel("$1/\\lambda$")
    ax.set_ylabel("$\\kappa_c$")
    ax.legend(fontsize=8)
    ax = axes[1][1]
    for s in summary.series:
        for pair, c in s.crossings.items():
            ax.errorbar([s.lam], [c.u4], yerr=[c.u4_error], fmt="o", capsize=2,
                        color=colors[summary.sizes.index(pair[1]) % len(colors)])
    for k, L in enumerate(summary.sizes[1:], start=1):
        ax.plot([], [], "o", color=colors[k % len(colors)], label=f"crossing ({summary.sizes[k - 1]}, {L})")
    if ising:
        ax.axhline(U4_ISING_2D, color="0.4", ls=":", label=f"2D Ising $U_4^*$ = {U4_ISING_2D}")
    ax.set_xscale("log")
    ax.set_xlabel("$\\lambda$")
    ax.set_ylabel("$U_4$ at the crossing")
    ax.legend(fontsize=8)
    ax = axes[1][2]
    L = np.array(summary.sizes, dtype=float)
    for k, s in enumerate(summary.series):
        if s.slopes is None or not np.all(s.slopes > 0):
            continue
        c = colors[k % len(colors)]
        label = f"$\\lambda$ = {s.lam:g}"
        if s.nu is not None:
            ax.plot(L, s.nu.amplitude * L ** (1.0 / s.nu.value), "-", color=c, lw=0.9)
            label += f": $\\nu$ = {s.nu.value:.3f} ± {s.nu.error:.3f}"
        ax.errorbar(L, s.slopes, yerr=s.slope_errors, fmt="o", capsize=2, color=c, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(L, [str(int(v)) for v in L])
    ax.minorticks_off()
    ax.set_xlabel("$L$")
    ax.set_ylabel("$dU_4/d\\kappa$ at $\\kappa_c$  (2D Ising: $\\nu = 1$)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    for ax in axes[1][3:]:
        ax.set_visible(False)
    fig.suptitle(f"{summary.name}: {summary.dimension}D lattice $\\phi^4$, {summary.n_chains} chains per point"
                 + ("" if summary.complete else "  (incomplete file)"))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_density_2d(model, samples, path, *, beta: float = 1.0, bounds=None, n_grid: int = 200, fmt: str = "png",
                    title: str = "") -> Path:
    """Histogram of 2-D samples next to the exact density exp(-beta E) / Z of ``model``.

    Parameters
    ----------
    model : continuous model of dimension 2
    samples : array (n, 2)
        Draws (e.g. ``chains.states`` of many chains, or a trajectory).
    path : path-like
        Output file; its suffix is replaced by ``.{fmt}``.
    beta : float
        Inverse temperature of the samples.
    bounds : ((x_min, x_max), (y_min, y_max)), optional
        Plot window; default the 0.5 .. 99.5 percentiles of the samples, widened by 20%.
    n_grid : int
        Grid points per axis of the exact density (normalised by quadrature on the
        grid, :func:`ebmphys.partition.continuous_exact.grid_density`).

    Returns
    -------
    Path
        The file written.  Left: the samples' 2-D histogram (density); middle: the
        exact density; right: the exact density's contours over the samples.
    """
    from ebmphys.partition.continuous_exact import grid_density

    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    if model.dim != 2:
        raise ValueError(f"plot_density_2d needs a model of dimension 2, got dim = {model.dim}")
    x = model.check_states(samples, "samples").reshape(-1, 2)
    if bounds is None:
        lo, hi = np.percentile(x, 0.5, axis=0), np.percentile(x, 99.5, axis=0)
        pad = 0.2 * (hi - lo) + 1e-9
        bounds = ((lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1]))
    gx = np.linspace(*bounds[0], n_grid)
    gy = np.linspace(*bounds[1], n_grid)
    density, _ = grid_density(model, (gx, gy), beta)
    path = Path(path).with_suffix("." + fmt)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), constrained_layout=True)
    extent = (*bounds[0], *bounds[1])
    top = density.max()
    bins = int(np.clip(np.sqrt(x.shape[0]) / 2, 15, 80))
    axes[0].hist2d(x[:, 0], x[:, 1], bins=bins, range=bounds, density=True, cmap="viridis", vmin=0, vmax=top)
    axes[0].set_title(f"samples ({x.shape[0]})")
    axes[1].imshow(density.T, origin="lower", extent=extent, aspect="auto", cmap="viridis", vmin=0, vmax=top)
    axes[1].set_title("exact density $e^{-\\beta E}/Z$")
    axes[2].plot(x[:, 0], x[:, 1], ".", ms=1.5, color="0.3", alpha=0.4)
    axes[2].contour(gx, gy, density.T, levels=8, cmap="plasma")
    axes[2].set_xlim(bounds[0])
    axes[2].set_ylim(bounds[1])
    axes[2].set_title("exact contours over the samples")
    for ax in axes:
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
    fig.suptitle(title or f"{model!r} at beta = {beta:g}")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
