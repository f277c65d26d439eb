"""Figures of a study summary and of an RBM training run (matplotlib, Agg backend: no display needed).

Figures are written atomically (:func:`ebmphys.storage.atomic.atomic_path`): a
failed write leaves any previous figure as it was.

:func:`plot_study` draws one figure with six panels against T (k_B = 1, T in
units of J/k_B): energy per spin, |m| per spin, specific heat per spin,
susceptibility per spin, Binder cumulant (with the estimated T_c), and the
Binder crossing temperatures of successive sizes.  For the 2D model with
J > 0 and h = 0 it adds the exact curves: Kaufman's finite-torus energy and
specific heat for every size, Onsager's spontaneous magnetisation and T_c.
For a 2D Potts study (``summary.q > 0``) it marks the exact T_c = J / ln(1 + sqrt q)
and, for q <= 4, the critical energy -(1 + 1/sqrt q) J on the energy panel.

:func:`plot_dos_study` draws the figure of a density-of-states (Wang-Landau) study
of a first-order transition (see :mod:`ebmphys.study.dos`).

Continuous energy-based models: :func:`plot_ebm_training` (learning curves, the
energy landscape of a 2-D model against the data, the density of a 1-D model,
sample grids of image-shaped models), :func:`plot_jem` (a JEM classifier against
the plain one, generated digits) and :func:`plot_comparison` (the method comparison
of :mod:`ebmphys.training.comparison`).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ebmphys.partition.kaufman import ising2d_energy, ising2d_specific_heat  # noqa: E402
from ebmphys.partition.onsager import T_C, onsager_magnetization  # noqa: E402
from ebmphys.storage.atomic import atomic_path  # noqa: E402

FORMATS = ("png", "pdf")

_PANELS = (
    ("energy", "energy per spin  $\\langle E\\rangle/N$  [J]"),
    ("abs_magnetization", "$\\langle|M|\\rangle/N$"),
    ("specific_heat", "specific heat  $\\beta^2\\,\\mathrm{var}(E)/N$  [$k_B$]"),
    ("susceptibility", "$\\chi = \\beta(\\langle M^2\\rangle-\\langle|M|\\rangle^2)/N$  [1/J]"),
    ("binder", "Binder cumulant  $U_4 = 1-\\langle m^4\\rangle/3\\langle m^2\\rangle^2$"),
)


def _figure_path(path, fmt: str) -> Path:
    """The file a figure is written to: ``path`` with its suffix replaced by ``.{fmt}``; ValueError for another fmt."""
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    return Path(path).with_suffix("." + fmt)


def _exact_2d(summary) -> bool:
    return summary.dimension == 2 and summary.h == 0.0 and summary.J > 0 and not summary.q


def _potts_2d(summary) -> bool:
    return summary.dimension == 2 and summary.J > 0 and bool(summary.q)


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
    path = _figure_path(path, fmt)
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
    if _potts_2d(summary):
        t_exact = summary.J / np.log1p(np.sqrt(summary.q))
        for ax in axes.flat[:5]:
            ax.axvline(t_exact, color="0.5", lw=0.8, ls=":")
        axes.flat[0].plot([], [], ":", color="0.5", label=f"exact $T_c$ = {t_exact:.4f}")
        if summary.q <= 4:
            axes.flat[0].plot([t_exact], [-(1 + 1 / np.sqrt(summary.q)) * summary.J], "k*", ms=9,
                              label="exact $e(T_c) = -(1 + 1/\\sqrt{q})J$")
    tc = summary.critical_temperature
    if tc is not None:
        axes.flat[4].axvspan(tc[0] - tc[1], tc[0] + tc[1], color="tab:red", alpha=0.25)
        axes.flat[4].axvline(tc[0], color="tab:red", lw=1.0, label=f"crossing $T_c$ = {tc[0]:.4f} ± {tc[1]:.4f}")
    for ax in axes.flat[:5]:
        ax.legend(fontsize=8)
    _crossing_panel(axes.flat[5], summary, exact)
    if _potts_2d(summary):
        axes.flat[5].axhline(summary.J / np.log1p(np.sqrt(summary.q)), color="0.5", ls=":", label="exact $T_c$")
        axes.flat[5].legend(fontsize=8)
    model = (f"{summary.q}-state Potts, J = {summary.J:g}" if summary.q
             else f"Ising, J = {summary.J:g}, h = {summary.h:g}")
    nu = "" if summary.nu is None else f", $\\nu$ = {summary.nu.value:.3f} ± {summary.nu.error:.3f}"
    fig.suptitle(f"{summary.name}: {summary.dimension}D {model}, {summary.n_chains} chains per point{nu}"
                 + ("" if summary.complete else "  (incomplete file)"))
    _save(fig, path, fmt, dpi=110)
    return path


def _save(fig, path: Path, fmt: str, dpi: int) -> None:
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata={"Creator": "ebmphys"} if fmt == "pdf" else {"Software": "ebmphys"})
    finally:
        plt.close(fig)


def image_shape(n_units: int) -> tuple[int, int] | None:
    """(side, side) when ``n_units`` is a perfect square larger than 1 (e.g. 64 -> 8 x 8), else None."""
    side = int(round(np.sqrt(n_units)))
    return (side, side) if side > 1 and side * side == n_units else None


def _grid(ax, images: np.ndarray, shape: tuple[int, int], title: str, cmap: str, symmetric: bool) -> None:
    """Draw ``images`` (n, n_units) as a square-ish mosaic of ``shape`` images, one pixel gap."""
    n = len(images)
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    h, w = shape
    canvas = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), np.nan)
    for k, image in enumerate(images):
        r, c = divmod(k, cols)
        canvas[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = image.reshape(shape)
    limit = np.nanmax(np.abs(canvas)) if symmetric else None
    ax.imshow(canvas, cmap=cmap, vmin=-limit if symmetric else 0, vmax=limit if symmetric else 1,
              interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_training(history: dict, W: np.ndarray, samples: np.ndarray | None, path, fmt: str = "png",
                  title: str = "") -> Path:
    """Draw the figure of an RBM training run: learning curves, filters and model samples.

    Parameters
    ----------
    history : dict
        ``{"epoch": [...], monitor: [...]}`` as stored in a training checkpoint; one
        panel per monitor against the epoch.
    W : float64 (n_visible, n_hidden)
        Weights; when the visible units form a square image, each hidden unit's filter
        (a column of W) is drawn as an image (blue negative, red positive).
    samples : uint8 (n, n_visible) or None
        Model samples, drawn as binary images when the units form a square image.
    path : path-like
        Output file; its suffix is replaced by ``.{fmt}``.
    fmt : {"png", "pdf"}
    title : str

    Returns
    -------
    Path
        The file written.
    """
    path = _figure_path(path, fmt)
    monitors = [name for name in history if name != "epoch"]
    shape = image_shape(W.shape[0])
    n_panels = max(1, len(monitors)) + (2 if shape else 0)
    fig, axes = plt.subplots(1, n_panels, figsize=(4.2 * n_panels, 4.0), constrained_layout=True, squeeze=False)
    axes = list(axes.flat)
    epochs = np.asarray(history.get("epoch", []))
    for ax, name in zip(axes, monitors):
        values = np.asarray(history[name], dtype=np.float64)
        ax.plot(epochs[: len(values)] if len(epochs) >= len(values) else np.arange(1, len(values) + 1), values, "o-", ms=3)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name.replace("_", " ") + (" (nats)" if "likelihood" in name else ""))
        ax.grid(alpha=0.3)
    if not monitors:
        axes[0].text(0.5, 0.5, "no monitors recorded", ha="center", va="center", transform=axes[0].transAxes)
        axes[0].set_axis_off()
    if shape:
        _grid(axes[-2], W.T[:100], shape, f"filters (columns of W), {min(100, W.shape[1])} of {W.shape[1]}",
              "RdBu_r", True)
        if samples is not None and len(samples):
            _grid(axes[-1], np.asarray(samples[:100], dtype=np.float64), shape,
                  f"model samples (block Gibbs), {min(100, len(samples))}", "gray_r", False)
        else:
            axes[-1].set_axis_off()
    fig.suptitle(title)
    _save(fig, path, fmt, dpi=110)
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


def plot_dos_study(summary, path, fmt: str = "png") -> Path:
    """Draw the figure of a density-of-states study (a :class:`ebmphys.study.dos.DosSummary`).

    Panels: P(E/N) at the exact beta_c and at each size's equal-height point; the
    latent heat (peak distance and side means) against 1/L^d with the extrapolation
    and Baxter's value; e_ord and e_dis against 1/L^d; the interface tension; and the
    finite-size transition points beta_eh(L), beta_ew(L).
    """
    path = _figure_path(path, fmt)
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5), constrained_layout=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    sizes = np.array(summary.sizes, dtype=float)
    x = sizes ** (-float(summary.dimension))
    ref = summary.baxter
    v, err = summary.values, summary.errors
    for k, (key, title) in enumerate((("beta_c", "at the exact $\\beta_c$"), ("beta_eh", "at equal peak heights"))):
        ax = axes[0, k]
        for i, L in enumerate(summary.sizes):
            if key in summary.distributions.get(L, {}):
                e, p = summary.distributions[L][key]
                ok = p > 0
                ax.plot(e[ok], p[ok] * L**summary.dimension, "-", color=colors[i % len(colors)], label=f"L = {L}")
        if ref is not None:
            for name in ("e_ord", "e_dis"):
                ax.axvline(ref[name], color="0.4", ls=":", lw=0.9)
        ax.set_xlabel("energy per site $E/N$  [J]")
        ax.set_ylabel("probability density of $E/N$")
        ax.set_title(f"energy distribution {title}")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    ax = axes[0, 2]
    ax.errorbar(x, v["latent_heat_peak"], yerr=err["latent_heat_peak"], fmt="o", capsize=3, label="peak distance")
    ax.errorbar(x, v["latent_heat_mean"], yerr=err["latent_heat_mean"], fmt="s", capsize=3,
                label="side means at equal weight (ratio q)")
    fit = summary.latent_heat_extrapolated
    if fit is not None:
        xs = np.linspace(0, x.max() * 1.05, 50)
        ax.plot(xs, fit.value + fit.slope * xs, "-", color=colors[0], lw=0.9,
                label=f"extrapolation {fit.value:.3f} ± {fit.error:.3f}")
    if ref is not None:
        ax.axhline(ref["latent_heat"], color="k", ls="--", lw=1.0, label=f"Baxter {ref['latent_heat']:.4f}")
    ax.set_xlabel(f"$1/L^{summary.dimension}$")
    ax.set_ylabel("latent heat per site  $\\Delta e$  [J]")
    ax.set_xlim(left=0)
    ax.legend(fontsize=8)
    ax = axes[1, 0]
    for name, marker in (("e_ord", "v"), ("e_dis", "^")):
        ax.errorbar(x, v[name], yerr=err[name], fmt=marker, capsize=3, label=name.replace("_", " ") + " (side mean)")
        if ref is not None:
            ax.axhline(ref[name], color="0.4", ls="--", lw=0.9)
    ax.set_xlabel(f"$1/L^{summary.dimension}$")
    ax.set_ylabel("phase energies per site at equal weight  [J]  (dashed: Baxter)")
    ax.set_xlim(left=0)
    ax.legend(fontsize=8)
    ax = axes[1, 1]
    ax.errorbar(1 / sizes, v["interface_tension"], yerr=err["interface_tension"], fmt="o", capsize=3)
    ax.set_xlabel("$1/L$")
    ax.set_ylabel("interface tension $\\ln(P_{max}/P_{min}) / (2L^{d-1})$  [$k_BT$]")
    ax.set_xlim(left=0)
    ax = axes[1, 2]
    ax.errorbar(x, v["beta_eh"], yerr=err["beta_eh"], fmt="o", capsize=3, label="equal heights")
    ax.errorbar(x, v["beta_ew"], yerr=err["beta_ew"], fmt="s", capsize=3, label="equal weight (ratio q)")
    if summary.beta_c is not None:
        ax.axhline(summary.beta_c, color="k", ls="--", lw=1.0, label=f"exact $\\beta_c$ = {summary.beta_c:.5f}")
    ax.set_xlabel(f"$1/L^{summary.dimension}$")
    ax.set_ylabel("finite-size transition point $\\beta(L)$  [1/J]")
    ax.set_xlim(left=0)
    ax.legend(fontsize=8)
    fig.suptitle(f"{summary.name}: {summary.dimension}D {summary.q}-state Potts, J = {summary.J:g}, Wang-Landau "
                 f"density of states, walkers per size {summary.n_walkers.tolist()}"
                 + ("" if summary.complete else "  (incomplete file)"))
    _save(fig, path, fmt, dpi=110)


def plot_phi4_study(summary, path, fmt: str = "png") -> Path:
    """Draw the figure of a phi^4 study (a :class:`ebmphys.study.phi4_summary.Phi4Summary`).

    Top row, one panel per quartic coupling lam: the Binder cumulant U4 against
    kappa for every size, with the crossing of the two largest sizes and, in 2D,
    the Ising value U4* = 0.61069.  Bottom row: kappa_c(lam) against 1/lam with
    the Ising limit ln(1 + sqrt 2)/4 at 1/lam = 0 (2D); U4 at every crossing against
    lam with U4*; the Binder slopes at kappa_c against L on log axes with the fitted nu.
    """
    from ebmphys.study.phi4_summary import KAPPA_C_ISING_2D, U4_ISING_2D

    path = _figure_path(path, fmt)
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
    _save(fig, path, fmt, dpi=110)
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

    path = _figure_path(path, fmt)
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
    _save(fig, path, fmt, dpi=110)
    return path


# ---------------------------------------------------------------------------- continuous EBM training

_METHOD_COLOURS = {"cd": "tab:orange", "pcd": "tab:red", "replay": "tab:purple", "jarzynski": "tab:blue"}


def _history_panels(axes, history: dict, skip=("epoch", "update")) -> None:
    """One panel per recorded monitor against the epoch (an ``_stderr`` series becomes error bars)."""
    epochs = np.asarray(history.get("epoch", []))
    names = [n for n in history if n not in skip and not n.endswith("_stderr")]
    for ax, name in zip(axes, names):
        values = np.asarray(history[name], dtype=np.float64)
        stderr = history.get(name + "_stderr")
        x = epochs[: len(values)] if len(epochs) >= len(values) else np.arange(1, len(values) + 1)
        if stderr is not None:
            ax.errorbar(x, values, yerr=np.asarray(stderr), fmt="o-", ms=3, capsize=2)
        else:
            ax.plot(x, values, "o-", ms=3)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name.replace("_", " ") + (" (nats)" if "likelihood" in name else ""))
        ax.grid(alpha=0.3)


def ebm_monitor_names(history: dict) -> list[str]:
    return [n for n in history if n not in ("epoch", "update") and not n.endswith("_stderr")]


def plot_ebm_training(history: dict, model, data: np.ndarray | None, samples: np.ndarray | None, path,
                      fmt: str = "png", title: str = "") -> Path:
    """Draw the figure of a continuous-EBM training run.

    Panels: one learning curve per monitor (against the epoch); for a 2-D model the
    energy landscape E(x) (filled contours) with the training data (and samples) on
    top; for a 1-D model the density exp(-E) / Z (quadrature) against the data's
    histogram; for a square number of units (8 x 8 digits) a grid of model samples.

    Parameters
    ----------
    history : dict of lists, as ``EBMTrainer.history_``
    model : the trained continuous model
    data : float64 (n, dim) or None
        Training data (drawn against 1-D and 2-D models).
    samples : float64 (m, dim) or None
        Model samples (drawn over the 2-D landscape, or as images).
    path : path-like
        Output file; its suffix is replaced by ``.{fmt}``.
    """
    from ebmphys.partition.continuous_exact import grid_density

    path = _figure_path(path, fmt)
    monitors = ebm_monitor_names(history)
    shape = image_shape(model.dim) if model.dim > 2 else None
    extra = 1 if (model.dim <= 2 and data is not None) or (shape and samples is not None) else 0
    n_panels = max(1, len(monitors)) + extra
    fig, axes = plt.subplots(1, n_panels, figsize=(4.2 * n_panels, 4.0), constrained_layout=True, squeeze=False)
    axes = list(axes.flat)
    _history_panels(axes, history)
    if not monitors:
        axes[0].text(0.5, 0.5, "no monitors recorded", ha="center", va="center", transform=axes[0].transAxes)
        axes[0].set_axis_off()
    if extra and model.dim == 2:
        ax = axes[-1]
        lo, hi = data.min(axis=0), data.max(axis=0)
        pad = 0.15 * (hi - lo) + 1e-9
        gx, gy = np.linspace(lo[0] - pad[0], hi[0] + pad[0], 160), np.linspace(lo[1] - pad[1], hi[1] + pad[1], 160)
        mesh = np.stack(np.meshgrid(gx, gy, indexing="ij"), axis=-1).reshape(-1, 2)
        energy = model.energy(mesh).reshape(160, 160)
        top = np.percentile(energy, 95)
        filled = ax.contourf(gx, gy, np.minimum(energy, top).T, levels=20, cmap="viridis_r")
        fig.colorbar(filled, ax=ax, label="E(x)")
        ax.plot(data[:, 0], data[:, 1], ".", ms=1.5, color="white", alpha=0.5, label="data")
        if samples is not None:
            ax.plot(samples[:, 0], samples[:, 1], ".", ms=1.5, color="tab:red", alpha=0.5, label="model samples")
        ax.legend(loc="upper right", fontsize=7, markerscale=4)
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.set_title("energy landscape against the data", fontsize=9)
    elif extra and model.dim == 1:
        ax = axes[-1]
        lo, hi = data.min(), data.max()
        pad = 0.25 * (hi - lo) + 1e-9
        grid = np.linspace(lo - pad, hi + pad, 800)
        density, _ = grid_density(model, [grid])
        ax.hist(data[:, 0], bins=60, density=True, color="0.75", label="data")
        ax.plot(grid, density, color="tab:blue", label="model $e^{-E}/Z$")
        ax.set_xlabel("x")
        ax.legend(fontsize=7)
        ax.set_title("density against the data", fontsize=9)
    elif extra:
        images = np.asarray(samples[:100], dtype=np.float64)
        low, high = images.min(), images.max()
        _grid(axes[-1], (images - low) / max(high - low, 1e-12), shape, f"model samples, {len(images)}", "gray_r",
              False)
    fig.suptitle(title)
    _save(fig, path, fmt, dpi=110)
    return path


def plot_jem(result: dict, path, fmt: str = "png", title: str = "") -> Path:
    """Figure of a JEM run: cross-entropy curves of JEM and the plain classifier, their test metrics,
    generated digits and replay-buffer samples.

    ``result``: {"jem": {"history": ..., "metrics": ...}, "plain": {...} (optional), "generated": (n, 64)
    or None, "buffer_sample": (n, 64) or None, "image_shape": (8, 8)}.
    """
    path = _figure_path(path, fmt)
    fig, axes = plt.subplots(1, 4, figsize=(17, 4.2), constrained_layout=True)
    names = [n for n in ("jem", "plain") if n in result]
    for name in names:
        h = result[name]["history"]
        axes[0].plot(h["epoch"], h["cross_entropy"], "o-", ms=3, label=name)
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("training cross-entropy (nats)")
    axes[0].legend()
    axes[0].grid(alpha=0.3)
    keys = ("accuracy", "ece", "auroc_noise", "auroc_shuffled")
    labels = ("test\naccuracy", "calibration\nerror (ECE)", "energy AUROC\nuniform noise", "energy AUROC\nshuffled")
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        values = [result[name]["metrics"][k] for k in keys]
        bars = axes[1].bar(np.arange(len(keys)) + i * width, values, width, label=name)
        axes[1].bar_label(bars, fmt="%.3f", fontsize=7)
    axes[1].set_xticks(np.arange(len(keys)) + width * (len(names) - 1) / 2, labels, fontsize=7)
    axes[1].set_ylim(0, 1.1)
    axes[1].legend(fontsize=8)
    shape = tuple(result.get("image_shape", (8, 8)))
    for ax, key, what in ((axes[2], "generated", "generated by SGLD from noise"),
                          (axes[3], "buffer_sample", "replay-buffer samples")):
        images = result.get(key)
        if images is None:
            ax.set_axis_off()
            continue
        images = np.asarray(images[:100], dtype=np.float64)
        low, high = images.min(), images.max()
        _grid(ax, (images - low) / max(high - low, 1e-12), shape, f"{what}, {len(images)}", "gray_r", False)
    fig.suptitle(title)
    _save(fig, path, fmt, dpi=110)
    return path


def plot_comparison(path, out=None, fmt: str = "png") -> Path:
    """Figure of a method comparison file (:mod:`ebmphys.training.comparison`), one row per case.

    Columns: the mode-0 weight (mixtures; true weight dashed) or the tilt (double well;
    true and maximum-likelihood values dashed and dotted) against the update; the exact
    cross-entropy -mean log p_theta(data) (the true model's dashed); and histograms of
    each method's final negative samples on the first axis (Jarzynski's weighted)
    against the true density (black).
    """
    import json

    import h5py

    from ebmphys.models import DoubleWell
    from ebmphys.partition.continuous_exact import grid_density

    path = Path(path)
    out = _figure_path(path if out is None else out, fmt)
    with h5py.File(path, "r") as f:
        cases = []
        for case in f["cases"]:
            g = f["cases"][case]
            runs = {}
            for method in g:
                if not isinstance(g[method], h5py.Group):
                    continue
                r = g[method]
                runs[method] = {"history": {k: r["history"][k][()] for k in r["history"]},
                                "negatives": r["negatives"][()],
                                "weights": r["negative_weights"][()] if "negative_weights" in r else None,
                                "seconds": float(r.attrs["seconds"])}
            cases.append((case, dict(g.attrs), runs))
    cases.sort(key=lambda item: item[1].get("order", 0))
    fig, axes = plt.subplots(len(cases), 3, figsize=(15, 3.8 * len(cases)), constrained_layout=True, squeeze=False)
    for row, (case, attrs, runs) in enumerate(cases):
        truth = json.loads(attrs["truth_json"])
        ax_p, ax_ce, ax_h = axes[row]
        for method, r in runs.items():
            h = r["history"]
            colour = _METHOD_COLOURS.get(method)
            if attrs["kind"] == "mixture":
                ax_p.plot(h["update"], h["mode_weight_0"], color=colour, label=method)
            else:
                theta_key = next(k for k in h if k.startswith("theta_"))
                ax_p.plot(h["update"], h[theta_key], color=colour, label=method)
            ax_ce.plot(h["update"], -np.asarray(h["log_likelihood"]), color=colour, label=method)
            x = r["negatives"][:, 0]
            bins = int(np.clip(2 * np.sqrt(x.shape[0]), 20, 100))
            ax_h.hist(x, bins=bins, density=True, weights=r["weights"], histtype="step", color=colour, label=method)
        if attrs["kind"] == "mixture":
            w = np.asarray(truth["weights"]) / np.sum(truth["weights"])
            ax_p.axhline(w[0], color="k", ls="--", lw=1, label=f"true {w[0]:.2f}")
            ax_p.set_ylabel("weight of mode 0")
            grid = np.linspace(min(truth["centers"]) - 4, max(truth["centers"]) + 4, 800)
            density = sum(wk * np.exp(-0.5 * (grid - c) ** 2) / np.sqrt(2 * np.pi)
                          for wk, c in zip(w, truth["centers"], strict=True))
            ax_h.set_title(f"{case}: final walkers on $x_1$", fontsize=9)
        else:
            ax_p.axhline(truth["tilt"], color="k", ls="--", lw=1, label=f"true c = {truth['tilt']:g}")
            ax_p.axhline(attrs["mle_tilt"], color="k", ls=":", lw=1, label=f"MLE c = {attrs['mle_tilt']:.3f}")
            ax_p.set_ylabel("tilt c")
            grid = np.linspace(-2.2, 2.2, 800)
            density, _ = grid_density(DoubleWell(1, truth["barrier"], truth["tilt"]), [grid])
            ax_h.set_title(f"{case}: final walkers", fontsize=9)
        ax_h.plot(grid, density, color="k", lw=1, label="true density")
        ax_ce.axhline(-attrs["reference_log_likelihood"], color="k", ls="--", lw=1, label="true model")
        ax_ce.set_ylabel("cross-entropy $-\\langle \\log p_\\theta \\rangle_{data}$ (nats)")
        ax_p.set_title(f"{case} (d = {attrs['dim']})", fontsize=9)
        for ax in (ax_p, ax_ce):
            ax.set_xlabel("update")
            ax.grid(alpha=0.3)
        ax_h.set_xlabel("$x_1$")
        low, high = ax_ce.get_ylim()
        if low > 0 and high / low > 10:
            ax_ce.set_yscale("log")
        for ax in (ax_p, ax_ce, ax_h):
            ax.legend(fontsize=7)
    fig.suptitle(f"{path.name}: CD, PCD, replay buffer and Jarzynski-weighted walkers, same walker budget")
    _save(fig, out, fmt, dpi=110)
    return out
