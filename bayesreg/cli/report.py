r"""The diabetes report: MAP beside the posterior for a Gaussian and a Laplace prior.

`write_report` fits the scikit-learn diabetes data (442 patients, 10 standardized
features) with `bayesreg.models.linear`, a flat intercept and a known noise sd ``sigma``
(the least-squares residual sd), under a Normal(0, tau) prior (MAP = ridge, posterior exact) and a
Laplace(0, b) prior (MAP = lasso, posterior by NUTS). It writes ``report.md`` with the MAP vs
scikit-learn check, the `bayesreg.compare.compare` tables and their summaries, and PNG
figures (forest plots, posterior densities, shrinkage paths, the 2-weight geometry), and the
choice of the prior scale by every method on one grid (`bayesreg.select.scale.select_scale`:
its table and figure, for each prior of `SELECTION_PRIORS`). The priors
of the report are rows of `SECTIONS`; what each one is, and which penalized fit its MAP equals,
is asked of its prior kind and the table of conventions.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import penalty, priors
from ..compare import compare, compare_summary
from ..data import least_squares_sigma
from ..files import atomic_write
from ..map import map_estimate
from ..models import linear
from ..plots import plot_densities, plot_forest, plot_geometry, plot_shrinkage
from ..sample import sample_posterior
from ..select import shrinkage_path
from ..select.scale import METHODS, ScaleSelection, select_scale
from .describe import parts_of, prior_text

__all__ = [
    "GAUSSIAN_SCALE",
    "LAPLACE_SCALE",
    "SECTIONS",
    "SELECTION_PRIORS",
    "SELECTION_SAMPLING",
    "Report",
    "Section",
    "markdown_table",
    "save_figure",
    "selection_summary",
    "write_report",
]

#: Prior scales of the report: tau of the Normal prior, b of the Laplace prior.
GAUSSIAN_SCALE = 100.0
LAPLACE_SCALE = 20.0


@dataclass(frozen=True)
class Section:
    """One prior of the report (a row of `SECTIONS`)."""

    prior: str  # a prior kind's name
    scales: tuple[float, ...]  # its scales, in the order of the kind's parts
    path_scales: tuple[float, float]  # the range of its shrinkage path's log grid
    formula: str  # how its penalty follows from the scale, in words


SECTIONS = (
    Section("gaussian", (GAUSSIAN_SCALE,), (1.0, 3000.0), "alpha = sigma²/tau²"),
    Section("laplace", (LAPLACE_SCALE,), (1.0, 1000.0), "alpha = sigma²/(n b)"),
)

#: the priors whose scale the report chooses by every method (`select_scale`): the Laplace prior
#: (CV, MCEM, hyperprior, LOO) and the Normal prior (CV, evidence, hyperprior, LOO)
SELECTION_PRIORS = ("laplace", "gaussian")
#: at most this many chains, warmup steps and draws for every posterior of the scale selection
#: (each Monte Carlo EM iteration, the hyperprior, 8 LOO points per prior): what keeps both
#: selections to about 50 s of CPU on a 2-core machine, where the report's 4 x 500 takes 80 s
SELECTION_SAMPLING = {"num_chains": 2, "num_warmup": 400, "num_samples": 400}

#: scikit-learn options of the reference fits per convention (default: scikit-learn's)
SOLVER_OPTIONS = {"lasso": {"tol": 1e-12, "max_iter": 100_000}}


@dataclass(frozen=True)
class Report:
    """What `write_report` wrote: ``report.md``, its compare tables and scale selections."""

    path: Path
    tables: dict[str, pd.DataFrame]  # prior name ("gaussian", "laplace") -> compare table
    # prior name -> every method's choice of its scale (select_scale), in SELECTION_PRIORS order
    selections: dict[str, ScaleSelection] = field(default_factory=dict)


def write_report(
    out_dir: str | Path,
    *,
    scaled: bool = True,
    num_chains: int = 4,
    num_warmup: int = 500,
    num_samples: int = 500,
    num_path_scales: int = 15,
    seed: int = 0,
    selection_priors: tuple[str, ...] = SELECTION_PRIORS,
) -> Report:
    r"""Fit diabetes with Gaussian and Laplace priors and write ``report.md`` with figures.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into (created if missing).
    scaled : bool
        ``load_diabetes(scaled=...)``: features centred and scaled to unit norm (the default,
        as in Efron et al. 2004 and Park & Casella 2008) or raw.
    num_chains, num_warmup, num_samples, seed
        NUTS settings for the Laplace posterior (also used at each point of its shrinkage path).
    num_path_scales : int
        Points of each shrinkage path (prior scales on a log grid).
    selection_priors : tuple of str
        The priors whose scale is chosen by every method (`select_scale`); ``()`` leaves the
        section out. Its posteriors take ``num_chains``, ``num_warmup`` and ``num_samples``,
        each capped at `SELECTION_SAMPLING` (2 chains, 400 warmup steps, 400 draws).

    Returns
    -------
    Report
        ``path`` of the written ``report.md``, the ``tables`` of `bayesreg.compare.compare`
        per prior (``"gaussian"``, ``"laplace"``) and the ``selections`` per prior of
        ``selection_priors``.

    Notes
    -----
    ``sigma`` is fixed at the residual sd of least squares, ``sqrt(RSS / (n - p - 1))``, so the
    MAPs are exactly ``Ridge(alpha = sigma² / tau²)`` and ``Lasso(alpha = sigma² / (n b))``.
    Needs scikit-learn (``pip install bayesreg[sklearn]``) for the data.
    """
    from sklearn import linear_model
    from sklearn.datasets import load_diabetes

    start = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = load_diabetes(as_frame=True, scaled=scaled)
    X, y = data.data, data.target.to_numpy(dtype=float)
    n, p = X.shape
    sigma = least_squares_sigma(X.to_numpy(), y)

    sections, tables, figures = [], {}, []
    for section in SECTIONS:
        name = section.prior
        kind = priors.get(name)
        parts = parts_of(kind, section.scales)
        prior = kind.build(**dict(zip(kind.parts, section.scales, strict=True)))
        convention = penalty.convention_for("linear", kind.name)
        params = penalty.penalty_params(convention.name, parts, sigma=sigma, n=n)
        oracle = getattr(linear_model, convention.label)(
            **params, **SOLVER_OPTIONS.get(convention.name, {})
        )
        fit = map_estimate(linear, X.to_numpy(), y, prior=prior, sigma=sigma)
        post = sample_posterior(
            linear, X, y, prior=prior, sigma=sigma, num_chains=num_chains,
            num_warmup=num_warmup, num_samples=num_samples, seed=seed,
        )  # fmt: skip
        table = compare(fit, post)
        tables[name] = table
        sk = oracle.fit(X, y)
        gap = max(
            float(np.max(np.abs(np.asarray(fit.params["coef"]) - sk.coef_))),
            abs(float(fit.params["intercept"]) - float(sk.intercept_)),
        )
        shown = [f"forest_{name}.png"]
        if "l1_scale" in kind.parts:  # exact zeros at the MAP: show the densities around them
            shown.append(f"densities_{name}.png")
        save_figure(plot_forest(table), out / shown[0])
        if len(shown) > 1:
            save_figure(plot_densities(fit, post), out / shown[1])
        figures += shown
        values = ", ".join(f"{value:.4g}" for value in params.values())
        diag = post.diagnostics
        sections.append(
            "\n".join(
                [
                    f"## {name.capitalize()} prior: {prior_text(kind, parts)} on each weight",
                    "",
                    f"MAP (`map_estimate`) vs scikit-learn "
                    f"`{convention.label}({section.formula} = {values})`: "
                    f"max abs difference {gap:.2e}.",
                    f"Posterior: method `{post.method}` ({post.chain_method}), "
                    f"{post.num_chains} x {post.num_samples} draws, "
                    f"{post.num_divergent} divergences, max R-hat {diag['r_hat'].max():.3f}, "
                    f"min bulk ESS {diag['ess_bulk'].min():.0f}.",
                    "",
                    markdown_table(table),
                    "",
                    compare_summary(table),
                    "",
                    f"![forest]({shown[0]})",
                ]
                + (["", f"![densities]({shown[1]})"] if len(shown) > 1 else [])
            )
        )

    paths = []
    for section in reversed(SECTIONS):  # the lasso path first (Park & Casella 2008, Fig. 1)
        name = section.prior
        scales = np.geomspace(*section.path_scales, num_path_scales)
        path = shrinkage_path(
            X, y, scales, prior=name, sigma=sigma, num_chains=num_chains,
            num_warmup=num_warmup, num_samples=num_samples, seed=seed,
        )  # fmt: skip
        figure = f"shrinkage_{name}.png"
        save_figure(plot_shrinkage(path), out / figure)
        figures.append(figure)
        paths.append(f"![shrinkage {name}]({figure})")

    geometry_b, geometry_tau, columns = _geometry_scales(X, y, sigma)
    X2 = X[columns].to_numpy() - X[columns].to_numpy().mean(0)
    y2 = y - y.mean()
    map_points = {}  # the figure draws MAPs, it does not fit them: one per part (lasso, ridge)
    for part, scale in (("l1_scale", geometry_b), ("l2_scale", geometry_tau)):
        given = {"l1_scale": None, "l2_scale": None, part: scale}
        kind = priors.for_parts(given["l1_scale"], given["l2_scale"])
        fit = map_estimate(
            linear, X2, y2, prior=kind.build(**{part: scale}), sigma=sigma, intercept=False
        )
        map_points[kind.name] = np.asarray(fit.params["coef"])
    fig = plot_geometry(
        X2, y2, map_points=map_points, l1_scale=geometry_b, l2_scale=geometry_tau, sigma=sigma
    )
    fig.axes[0].set_title(f"{columns[0]} and {columns[1]} only (centred, no intercept)")
    save_figure(fig, out / "geometry.png")
    figures.append("geometry.png")

    given = {"num_chains": num_chains, "num_warmup": num_warmup, "num_samples": num_samples}
    sampling = {key: min(given[key], most) for key, most in SELECTION_SAMPLING.items()}
    selections, choosing = {}, []
    for name in selection_priors:
        with warnings.catch_warnings(record=True) as caught:
            # the short chains at the grid's weak end may warn (R-hat, ESS, Pareto k): the
            # section counts them instead of flooding the demo's output
            warnings.simplefilter("always")
            selection = select_scale(X, y, prior=name, seed=seed, **sampling)  # sigma as above
        selections[name] = selection
        figure = f"scale_selection_{name}.png"
        save_figure(selection.plot(), out / figure)
        figures.append(figure)
        choosing.append(_selection_section(selection, figure, caught, sampling))

    header = [
        "# bayesreg report: diabetes, MAP beside the posterior",
        "",
        f"Data: scikit-learn diabetes, n = {n}, p = {p}, scaled = {scaled}. Model: "
        "`bayesreg.models.linear`, flat intercept, known noise sd "
        f"sigma = {sigma:.4g} (least-squares residual sd).",
        "Table columns: MAP; posterior mean, median, sd; 94% HDI; P(w > 0); "
        "P(|w| < eps) with eps = 0.1 posterior sd; whether the MAP is in the HDI / exactly zero.",
        "",
    ]
    footer = [
        "## Shrinkage paths",
        "",
        "MAP path (lasso / ridge) beside the posterior median and 90% credible band over the "
        "prior scale (Park & Casella 2008, Fig. 1).",
        "",
        *paths,
        "",
        "## Geometry",
        "",
        f"Two features; Laplace b = {geometry_b:.3g}, Normal tau = {geometry_tau:.3g}. The "
        "lasso MAP sits on a corner of the L1 ball (an exact zero); the ridge MAP does not.",
        "",
        "![geometry](geometry.png)",
        "",
        *choosing,
        f"Figures: {', '.join(figures)}. Written in {time.perf_counter() - start:.0f} s.",
        "",
    ]
    report = out / "report.md"
    with atomic_write(report, "w") as handle:  # utf-8; a reader never sees half a report
        handle.write("\n".join(header + ["\n\n".join(sections), ""] + footer))
    return Report(report, tables, selections)


def selection_summary(selection: ScaleSelection) -> pd.DataFrame:
    """Return a selection's table without the weights, one row per method named in words."""
    table = selection.table
    summary = table[[c for c in table.columns if not c.startswith("coef[")]].copy()
    summary["method"] = [METHODS[m] for m in summary["method"]]
    return summary.rename(columns={"scale": selection.scale_name}).set_index("method")


def _selection_section(
    selection: ScaleSelection, figure: str, caught: list, sampling: dict[str, int]
) -> str:
    """Write the section on choosing one prior's scale: words, the table, the figure."""
    draws = f"{sampling['num_chains']} x {sampling['num_samples']} draws"
    kind = priors.get(selection.prior)
    table, symbol = selection.table, selection.scale_name
    low, high = float(table["scale"].min()), float(table["scale"].max())
    spread = float(table["cv_error"].max() - table["cv_error"].min())
    se = float(table["cv_se"].median())
    num_folds = len(selection.cv.folds)
    panels = [f"the {num_folds}-fold CV error ± one standard error (top)"]
    if selection.loo is not None:
        panels.append(
            f"the PSIS-LOO elpd of the full posterior at {len(selection.loo_scales)} of the "
            "grid points (each point is a posterior, so a coarser grid)"
        )
    if selection.evidence is not None:
        panels.append("the exact log evidence (bottom)")
    verdict = (
        "within the noise of CV: over this range the data hardly tell the scales apart, and "
        "the methods differ in how much they shrink the weights (below) more than in how well "
        "they predict"
        if spread <= 2.0 * se
        else "more than CV's noise: some choices predict measurably worse"
    )
    left_out = "".join(f" Not run: {METHODS[m]}, {why}." for m, why in selection.notes.items())
    lines = [
        f"## Choosing the prior scale: {kind.label} prior",
        "",
        f"Every method of `select_scale` chose a value of {symbol} on one grid "
        f"({selection.details['grid']}; {selection.details['sigma']}). They land between "
        f"{symbol} = {low:.3g} and {high:.3g}, a factor of {high / low:.3g} apart; their "
        f"held-out errors differ by {spread:.3g}, {spread / se:.2g} times the standard error "
        f"of a CV estimate ({verdict}). Each row's {selection.convention} penalty is the "
        "scikit-learn fit whose solution is the MAP at that scale; its error is the mean "
        f"{num_folds}-fold CV loss at exactly that scale, on the same folds for every "
        f"row.{left_out}",
        "",
        markdown_table(selection_summary(selection)),
        "",
        "MAP weights at each method's choice:",
        "",
        markdown_table(selection.coefficients.rename_axis("weight")),
        "",
        "How each was chosen: "
        + "; ".join(
            f"{METHODS.get(k, k)}: {v}" for k, v in selection.details.items() if k in METHODS
        )
        + ".",  # fmt: skip
        "",
        f"The figure shows, over the prior scale (left: strong shrinkage; the grid starts where "
        f"a Laplace prior sets every weight to zero), {', '.join(panels)}; each vertical line "
        "is one method's choice.",
        "",
        f"![scale selection {selection.prior}]({figure})",
        "",
    ]
    caught = [w for w in caught if issubclass(w.category, UserWarning)]
    kinds = sorted({w.category.__name__ for w in caught})
    if kinds:
        lines[-1:-1] = [
            f"The posteriors sampled for this section raised {len(caught)} warnings "
            f"({', '.join(kinds)}), as short chains ({draws}) do at the weak-prior end of the "
            "grid; longer chains (select_scale's num_samples, num_chains) quiet them.",
            "",
        ]
    return "\n".join(lines)


def markdown_table(table: pd.DataFrame) -> str:
    """Format a table as GitHub-flavoured Markdown (no optional ``tabulate`` dependency).

    The index becomes the first column, headed by the index name (``weight`` if unnamed);
    floats are shown with 5 significant digits, booleans as yes/no.
    """

    def cell(value: object) -> str:
        if isinstance(value, bool | np.bool_):
            return "yes" if value else "no"
        return f"{value:.5g}" if isinstance(value, float | np.floating) else str(value)

    lines = [
        "| " + " | ".join([str(table.index.name or "weight"), *map(str, table.columns)]) + " |",
        "|---" * (len(table.columns) + 1) + "|",
    ]
    for label, row in table.iterrows():
        lines.append(f"| {label} | " + " | ".join(cell(v) for v in row.to_numpy()) + " |")
    return "\n".join(lines)


def _geometry_scales(
    X: pd.DataFrame, y: np.ndarray, sigma: float
) -> tuple[float, float, list[str]]:
    """Prior scales for the 2-weight figure on ``bmi`` and ``bp``: lasso with one zero, ridge alike.

    With centred data, feature ``j`` (largest ``|x_jᵀy|``) enters the lasso path at
    ``alpha_1 = |c_j| / n``, ``c = Xᵀy``; while it is alone ``w_j = (c_j - n alpha s_j) / x_jᵀx_j``,
    and feature ``k`` enters when ``|c_k - g (c_j - n alpha s_j)| = n alpha`` with
    ``g = x_kᵀx_j / x_jᵀx_j``. Between the two knots the lasso has exactly one zero; ``b`` puts
    alpha a quarter of the way up from the lower knot. ``tau`` is chosen on a grid so that the
    ridge solution's L2 norm matches the lasso's L1 norm (circle and diamond of one size).
    """
    columns = ["bmi", "bp"]
    Z = X[columns].to_numpy() - X[columns].to_numpy().mean(0)
    yc = y - y.mean()
    n = len(yc)
    c = Z.T @ yc
    j = int(np.argmax(np.abs(c)))
    k = 1 - j
    s = np.sign(c[j])
    g = Z[:, k] @ Z[:, j] / (Z[:, j] @ Z[:, j])
    alpha_1 = abs(c[j]) / n
    knots = [(c[k] - g * c[j]) / (n * (side - g * s)) for side in (1.0, -1.0)]
    alpha_2 = max((a for a in knots if 0.0 < a < alpha_1), default=0.0)
    alpha = alpha_2 + 0.25 * (alpha_1 - alpha_2)
    l1_norm = abs(c[j] - n * alpha * s) / (Z[:, j] @ Z[:, j])
    taus = np.geomspace(1.0, 1e4, 400)
    ridge_alphas = penalty.ridge_alpha(taus, sigma=sigma)
    norms = [np.linalg.norm(np.linalg.solve(Z.T @ Z + a * np.eye(2), c)) for a in ridge_alphas]
    tau = float(taus[np.argmin(np.abs(np.asarray(norms) - l1_norm))])
    return penalty.lasso_prior_scale(alpha, sigma=sigma, n=n), tau, columns


def save_figure(fig: plt.Figure, path: Path) -> None:
    """Write ``fig`` atomically, in the format its suffix names (``.png``)."""
    try:
        with atomic_write(path) as handle:
            fig.savefig(handle, format=path.suffix.lstrip("."), dpi=110)
    finally:
        plt.close(fig)
