r"""Figures: MAP beside the posterior (forest, densities, shrinkage paths), 2-weight geometry.

Every function draws results it is given (a `compare` table, a `MapResult`, a
`PosteriorResult`, a `ShrinkagePath`) and fits nothing: the caller computes them. Each returns a
`matplotlib.figure.Figure` and draws nothing else; save it with ``fig.savefig(path)``. Use a
non-interactive backend (``MPLBACKEND=Agg``) on servers. Prior names and scale labels come from
the prior kinds (``bayesreg.priors``), the names of the penalized fits from
``bayesreg.penalty.CONVENTIONS``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import arviz as az
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from . import penalty, priors
from ._types import ArrayLike
from .compare import shrinkage_factors
from .map import MapResult
from .priors import PenaltyParts, PriorKind
from .sample import PosteriorResult, scalar_items
from .select import ShrinkagePath

__all__ = [
    "plot_densities",
    "plot_forest",
    "plot_geometry",
    "plot_shrinkage",
    "plot_shrinkage_factors",
]

MAP_STYLE = {"color": "tab:red", "zorder": 3}


def _short_name(kind: PriorKind) -> str:
    """Return the distribution's name from the kind's label: ``"Laplace"`` for ``Laplace(0, b)``."""
    return kind.label.split("(")[0].strip()


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def plot_forest(
    table: pd.DataFrame,
    *,
    rows: Sequence[str] | str | None = None,
    map_label: str = "MAP",
    ax: Axes | None = None,
) -> Figure:
    """Forest plot: each weight's posterior HDI and median, with its MAP marked.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of `bayesreg.compare`.
    rows : sequence of str or str, optional
        Row labels to draw, or a site name (``"coef"``) to draw all of its rows. By default the
        ``coef`` rows when there are any (the intercept and ``sigma`` are on other scales), else
        all rows.
    map_label : str
        Legend label of the MAP's crosses: say whose MAP it is when it is another prior's
        (``"Laplace MAP (lasso)"`` beside a horseshoe posterior).
    ax : matplotlib.axes.Axes, optional
        Axes to draw in; a new figure by default.

    Returns
    -------
    matplotlib.figure.Figure
        One row per weight, top to bottom in table order: a line from ``hdi_low`` to
        ``hdi_high``, a dot at the posterior median, a red cross at the MAP (label
        ``map_label``; none for a posterior-only table).
    """
    labels = _select_rows(table, rows)
    sub = table.loc[labels]
    fig, ax = _new_axes(ax, (6.0, 0.4 * len(sub) + 1.2))
    ypos = np.arange(len(sub))[::-1]
    prob = table.attrs.get("hdi_prob", 0.94)
    ax.hlines(ypos, sub["hdi_low"], sub["hdi_high"], color="tab:blue", lw=2.0,
              label=f"{100 * prob:.0f}% HDI")  # fmt: skip
    ax.plot(sub["median"], ypos, "o", color="tab:blue", label="posterior median")
    if "map" in sub.columns:  # a posterior-only table (compare(None, post)) has no MAP
        ax.plot(sub["map"], ypos, "x", ms=8, mew=2, label=map_label, **MAP_STYLE)
    ax.axvline(0.0, color="0.6", lw=0.8, ls=":")
    ax.set_yticks(ypos, list(sub.index))
    ax.set_xlabel("weight")
    ax.legend(loc="best", fontsize="small")
    return fig


def _select_rows(table: pd.DataFrame, rows: Sequence[str] | str | None) -> list[str]:
    if rows is None:
        coef = [label for label in table.index if label.startswith("coef[")]
        return coef or list(table.index)
    if isinstance(rows, str):
        selected = [label for label in table.index if label == rows or label.startswith(rows + "[")]
        if not selected:
            raise ValueError(
                f"no row of the table belongs to site {rows!r}; rows: {list(table.index)}"
            )
        return selected
    unknown = [label for label in rows if label not in table.index]
    if unknown:
        raise ValueError(f"rows {unknown} are not in the table; rows: {list(table.index)}")
    return list(rows)


def plot_densities(
    fit: MapResult,
    post: PosteriorResult,
    *,
    site: str = "coef",
    ncols: int = 4,
) -> Figure:
    """Posterior density of each scalar of a site (KDE of all draws) with its MAP as a line.

    Parameters
    ----------
    fit : MapResult
        MAP estimate holding ``site``.
    post : PosteriorResult
        Posterior holding ``site``.
    site : str
        Site to draw (``"coef"`` by default).
    ncols : int
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per scalar, titled like the `bayesreg.compare` rows; the red vertical line
        (label ``"MAP"``) is at the MAP value, the dotted grey one at zero.
    """
    if site not in post.idata.posterior.data_vars:
        raise ValueError(f"site {site!r} is not in the posterior; sites: "
                         f"{sorted(post.idata.posterior.data_vars)}")  # fmt: skip
    if site not in fit.params:
        raise ValueError(f"site {site!r} is not in the MAP fit; sites: {sorted(fit.params)}")
    items = list(scalar_items(post.idata.posterior[site], site))
    map_values = np.asarray(fit.params[site], dtype=float).reshape(-1)
    nrows = -(-len(items) // ncols)
    fig, axes = plt.subplots(
        nrows, min(ncols, len(items)), figsize=(3.0 * min(ncols, len(items)), 2.4 * nrows),
        layout="constrained", squeeze=False,
    )  # fmt: skip
    for ax, (label, values), map_value in zip(axes.flat, items, map_values, strict=False):
        grid, density = az.kde(np.asarray(values).reshape(-1))
        ax.plot(grid, density, color="tab:blue", label="posterior")
        ax.axvline(map_value, label="MAP", **MAP_STYLE)
        ax.axvline(0.0, color="0.6", lw=0.8, ls=":")
        ax.set_title(label, fontsize="medium")
        ax.set_yticks([])
    for ax in axes.flat[len(items) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize="small")
    return fig


def plot_shrinkage_factors(
    post: PosteriorResult,
    *,
    hdi_prob: float = 0.94,
    ax: Axes | None = None,
) -> Figure:
    """Draw the posterior of each weight's shrinkage factor kappa (0: signal, 1: pulled to 0).

    Parameters
    ----------
    post : PosteriorResult
        A posterior under a shrinkage prior (a ``coef_scale`` site: horseshoe, horseshoe+,
        regularized horseshoe, R2D2); kappa per draw is `bayesreg.shrinkage_factors`.
    hdi_prob : float
        Mass of the interval drawn under each density, in (0, 1).
    ax : matplotlib.axes.Axes, optional
        Axes to draw in; a new figure by default.

    Returns
    -------
    matplotlib.figure.Figure
        One row per weight, top to bottom in the order of the ``coef`` site: the density of
        its kappa draws on [0, 1] drawn as a violin (a horseshoe's is often U-shaped: mass at
        both ends), its HDI as a line and its median as a dot (label ``"posterior median"``);
        a dotted line at 0.5.
    """
    if not 0.0 < hdi_prob < 1.0:
        raise ValueError(f"hdi_prob must lie in (0, 1); got {hdi_prob!r} (e.g. 0.94).")
    kappa = np.asarray(shrinkage_factors(post))
    labels = [label for label, _ in scalar_items(post.idata.posterior["coef"], "coef")]
    fig, ax = _new_axes(ax, (6.0, 0.45 * len(labels) + 1.2))
    ypos = np.arange(len(labels))[::-1]
    for j, row in enumerate(ypos):
        # ArviZ's KDE (FFT, corrected at the bounds 0 and 1), not matplotlib's violinplot, whose
        # Python loop over the draws takes seconds for 16,000 of them
        grid, density = az.kde(kappa[:, j], bound_correction=True)
        half = 0.4 * density / density.max()
        ax.fill_between(grid, row - half, row + half, color="tab:blue", alpha=0.3, lw=0)
    intervals = np.array([az.hdi(kappa[:, j], hdi_prob=hdi_prob) for j in range(len(labels))])
    ax.hlines(ypos, intervals[:, 0], intervals[:, 1], color="tab:blue", lw=2.0,
              label=f"{100 * hdi_prob:.0f}% HDI")  # fmt: skip
    ax.plot(np.median(kappa, axis=0), ypos, "o", color="tab:blue", label="posterior median")
    ax.axvline(0.5, color="0.6", lw=0.8, ls=":")
    ax.set_xlim(0.0, 1.0)
    ax.set_yticks(ypos, labels)
    ax.set_xlabel("shrinkage factor kappa (0: left to the data, 1: pulled to zero)")
    ax.legend(loc="best", fontsize="small")
    return fig


def plot_shrinkage(path: ShrinkagePath) -> Figure:
    """Shrinkage paths: the MAP path beside the posterior median with its credible band.

    The layout of Park & Casella (2008), Fig. 1, on a log prior-scale axis: left the MAP weights
    (the lasso or ridge path), right the posterior medians with the equal-tailed band, one colour
    per weight in both panels.

    Parameters
    ----------
    path : ShrinkagePath
        Output of `bayesreg.shrinkage_path` (its ``prior`` names the scale axis).

    Returns
    -------
    matplotlib.figure.Figure
        Two axes sharing y; line ``j`` of each holds weight ``j`` (label = its feature name).
    """
    fig, (ax_map, ax_post) = plt.subplots(
        1, 2, figsize=(11.0, 4.5), sharey=True, layout="constrained"
    )
    colors = plt.get_cmap("tab10")
    kind = priors.get(path.prior)
    name = " and ".join(kind.scale_labels[part] for part in kind.parts)
    for j, feature in enumerate(path.feature_names):
        color = colors(j % 10)
        ax_map.plot(path.scales, path.map[:, j], color=color, label=feature)
        ax_post.plot(path.scales, path.median[:, j], color=color, label=feature)
        ax_post.fill_between(path.scales, path.low[:, j], path.high[:, j], color=color, alpha=0.15)
    ax_map.set_title(f"MAP ({penalty.convention_for('linear', kind.name).name} path)")
    ax_post.set_title(f"posterior median and {100 * path.prob:.0f}% credible band")
    for ax in (ax_map, ax_post):
        ax.set_xscale("log")
        ax.set_xlabel(f"prior {name}")
        ax.axhline(0.0, color="0.6", lw=0.8, ls=":")
    ax_map.set_ylabel("weight")
    ax_post.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.0, 0.5))
    return fig


def plot_geometry(
    X: ArrayLike,
    y: ArrayLike,
    *,
    map_points: Mapping[str, ArrayLike | MapResult],
    l1_scale: float | None = None,
    l2_scale: float | None = None,
    sigma: float = 1.0,
    ax: Axes | None = None,
) -> Figure:
    r"""Why the Laplace MAP is sparse: likelihood contours against the L1 diamond and L2 circle.

    Model `bayesreg.models.linear` with two weights, no intercept (center ``X`` and ``y``
    first) and known ``sigma``. Contours are of the negative log likelihood
    ``||y - X w||² / (2 sigma²)``, centred at least squares. The MAP under a Laplace(0, l1_scale)
    prior (the lasso, ``alpha = sigma²/(n l1_scale)``) is where a contour first touches the
    diamond ``|w1| + |w2| = t`` with ``t`` its own L1 norm; under Normal(0, l2_scale) (ridge,
    ``alpha = sigma²/l2_scale²``) where one touches the circle through it. The diamond's corners
    lie on the axes, so the touching point is often a corner: an exact zero.

    Parameters
    ----------
    X : ArrayLike
        Design, shape ``(n, 2)``.
    y : ArrayLike
        Response, shape ``(n,)``.
    map_points : mapping
        ``{"laplace": w, "gaussian": w}``: the MAP under each prior, keyed by the prior kind's
        name, as two weights or as the `MapResult` of ``bayesreg.map_estimate(models.linear, X,
        y, prior=..., sigma=sigma, intercept=False)`` (its ``params["coef"]``). The figure draws
        them; it does not compute them.
    l1_scale, l2_scale : float, optional
        Laplace and Normal prior scales of those fits; when given, the title states them.
    sigma : float
        Known noise standard deviation.
    ax : matplotlib.axes.Axes, optional
        Axes to draw in.

    Returns
    -------
    matplotlib.figure.Figure
        Lines labelled ``"Laplace MAP (lasso)"``, ``"Normal MAP (ridge)"`` and
        ``"least squares"`` hold the three points.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have exactly 2 columns for this figure; got shape {X.shape}.")
    l1_kind, l2_kind = priors.for_parts(1.0, None), priors.for_parts(None, 1.0)
    missing = [kind.name for kind in (l1_kind, l2_kind) if kind.name not in map_points]
    if missing:
        raise ValueError(
            f"map_points needs the MAP under the {' and '.join(map(repr, missing))} prior(s) "
            f"(got {sorted(map_points)}); compute them with bayesreg.map_estimate."
        )
    lasso, ridge = (_weights(map_points[kind.name]) for kind in (l1_kind, l2_kind))
    ols = np.linalg.lstsq(X, y, rcond=None)[0]

    def nll(w: np.ndarray) -> np.ndarray:
        resid = y[:, None] - X @ w.reshape(2, -1)
        return 0.5 * np.sum(resid**2, axis=0) / sigma**2

    points = np.vstack([lasso, ridge, ols, np.zeros(2)])
    half = 0.6 * np.max(np.ptp(points, axis=0)) + 1e-12
    center = points.mean(axis=0)
    w1 = np.linspace(center[0] - 1.3 * half, center[0] + 1.3 * half, 241)
    w2 = np.linspace(center[1] - 1.3 * half, center[1] + 1.3 * half, 241)
    W1, W2 = np.meshgrid(w1, w2)
    surface = nll(np.stack([W1.ravel(), W2.ravel()])).reshape(W1.shape)

    fig, ax = _new_axes(ax, (6.0, 6.0))
    base = float(nll(ols)[0])
    touching = sorted({float(nll(lasso)[0]), float(nll(ridge)[0])})
    levels = np.unique(np.r_[base + (touching[-1] - base) * np.array([0.1, 0.4, 2.0, 4.0]),
                             touching])  # fmt: skip
    ax.contour(W1, W2, surface, levels=levels, colors="0.45", linewidths=0.8)
    t = np.abs(lasso).sum()
    ax.fill([t, 0, -t, 0], [0, t, 0, -t], color="tab:orange", alpha=0.25,
            label=f"L1 ball |w|₁ ≤ {t:.3g}")  # fmt: skip
    radius = np.linalg.norm(ridge)
    angle = np.linspace(0.0, 2.0 * np.pi, 361)
    ax.plot(radius * np.cos(angle), radius * np.sin(angle), color="tab:green",
            label=f"L2 ball ||w||₂ ≤ {radius:.3g}")  # fmt: skip
    for point, kind, style in ((lasso, l1_kind, ("o", 9, "tab:orange")),
                               (ridge, l2_kind, ("s", 8, "tab:green"))):  # fmt: skip
        marker, size, color = style
        label = f"{_short_name(kind)} MAP ({penalty.convention_for('linear', kind.name).name})"
        ax.plot(*point, marker, ms=size, color=color, mec="k", label=label)
    ax.plot(*ols, "*", ms=12, color="k", label="least squares")
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.axvline(0.0, color="0.6", lw=0.8)
    ax.set_aspect("equal")
    ax.set_xlabel("w₁")
    ax.set_ylabel("w₂")
    ax.legend(fontsize="small", loc="best")
    shown = []
    if l1_scale is not None:
        shown.append(l1_kind.describe(PenaltyParts(l1_scale, None)))
    if l2_scale is not None:
        shown.append(l2_kind.describe(PenaltyParts(None, l2_scale)))
    if shown:
        ax.set_title("; ".join(shown), fontsize="medium")
    return fig


def _weights(point: ArrayLike | MapResult) -> np.ndarray:
    """Return the two weights of a MAP point (a `MapResult`'s ``coef``, or the weights)."""
    coef = point.params["coef"] if isinstance(point, MapResult) else point
    return np.asarray(coef, dtype=float)
