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
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    path = Path(path).with_suffix("." + fmt)
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
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    path = Path(path).with_suffix("." + fmt)
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
    return path
