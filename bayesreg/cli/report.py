r"""The diabetes report: MAP beside the posterior for a Gaussian, a Laplace and a horseshoe prior.

`write_report` fits the scikit-learn diabetes data (442 patients, 10 standardized
features) with `bayesreg.models.linear`, a flat intercept and a known noise sd ``sigma``
(the least-squares residual sd), under a Normal(0, tau) prior (MAP = ridge, posterior exact), a
Laplace(0, b) prior (MAP = lasso, posterior by NUTS) and a horseshoe prior (no MAP; its posterior
beside the Laplace MAP, with each weight's shrinkage factor kappa). It writes ``report.md`` with
the MAP vs scikit-learn check, the `bayesreg.compare.compare` tables and their summaries, and PNG
figures (forest plots, posterior densities, shrinkage factors, shrinkage paths, the 2-weight
geometry), and the choice of the prior scale by every method on one grid
(`bayesreg.select.scale.select_scale`: its table and figure, for each prior of
`SELECTION_PRIORS`). The Normal and Laplace priors of the report are rows of `SECTIONS`; what
each one is, and which penalized fit its MAP equals, is asked of its prior kind and the table of
conventions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
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
from ..models import horseshoe, linear
from ..plots import (
    plot_densities,
    plot_forest,
    plot_geometry,
    plot_shrinkage,
    plot_shrinkage_factors,
)
from ..sample import PosteriorResult, sample_posterior
from ..select import shrinkage_path
from ..select.scale import METHODS, ScaleSelection, select_scale
from .describe import parts_of, prior_text

__all__ = [
    "GAUSSIAN_SCALE",
    "HORSESHOE_DRAWS_FACTOR",
    "HORSESHOE_METHOD",
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
#: the horseshoe's posterior is drawn by the Gibbs kernel: NUTS diverges on it (on diabetes, 4 x
#: 1000 draws: 140 divergences at target_accept_prob 0.8, 24 at 0.99, 11 at 0.999)
HORSESHOE_METHOD = "gibbs"
#: its chains are this many times the report's num_samples: a Gibbs draw costs a fraction of a
#: NUTS one, but the local scales mix slowly (4 x 1000 draws: R-hat 1.018 for lambda[s1]; 4 x
#: 4000: R-hat <= 1.005, bulk ESS >= 850, ~3 s once compiled on 2 cores)
HORSESHOE_DRAWS_FACTOR = 4


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

#: the priors whose scale the report can choose (`select_scale`): the Laplace prior (CV, MCEM,
#: hyperprior, LOO) and the Normal prior (CV, evidence, hyperprior, LOO)
SELECTION_PRIORS = ("laplace", "gaussian")
#: what `write_report` chooses by default: the Normal prior's scale by the methods that reuse
#: programs compiled for the rest of the report or cost one compile each (CV, the exact
#: evidence, LOO of exact posteriors). The hyperprior, MCEM and the Laplace prior's LOO each
#: compile and run NUTS again (~40 s more on a 2-core machine): ``bayesreg scale`` runs them.
DEFAULT_SELECTION_PRIORS = ("gaussian",)
DEFAULT_SELECTION_METHODS = {
    "gaussian": ("cv_min", "cv_1se", "evidence", "loo"),
    "laplace": ("cv_min", "cv_1se", "mcem", "loo"),
}
#: at most this many chains, warmup steps and draws for every posterior of the scale selection
#: (each Monte Carlo EM iteration, the hyperprior, 8 LOO points per prior); equal to the
#: report's defaults, so the LOO points reuse the compiled sampler of the posterior sections
SELECTION_SAMPLING = {"num_chains": 4, "num_warmup": 500, "num_samples": 1000}
#: points of the LOO sub-grid (select_scale's default is 8): each is a posterior and a PSIS
#: fit over 442 x 4000 log-likelihoods (~0.5 s on a 2-core machine); 6 still span the grid
SELECTION_LOO_POINTS = 6

#: scikit-learn options of the reference fits per convention (default: scikit-learn's)
SOLVER_OPTIONS = {"lasso": {"tol": 1e-12, "max_iter": 100_000}}


@dataclass(frozen=True)
class Report:
    """What `write_report` wrote: ``report.md``, its compare tables and scale selections."""

    path: Path
    # prior name ("gaussian", "laplace", "horseshoe") -> compare table; the horseshoe's has the
    # Laplace MAP in its map column (the horseshoe has none) and the shrinkage factor kappa
    tables: dict[str, pd.DataFrame]
    # prior name -> every method's choice of its scale (select_scale), in SELECTION_PRIORS order
    selections: dict[str, ScaleSelection] = field(default_factory=dict)
    # prior name -> the method that sampled its posterior ("exact", "nuts", "gibbs")
    methods: dict[str, str] = field(default_factory=dict)
    # prior name -> the prior whose MAP is its table's map column ("horseshoe" -> "laplace")
    map_from: dict[str, str] = field(default_factory=dict)


def write_report(
    out_dir: str | Path,
    *,
    scaled: bool = True,
    num_chains: int = 4,
    num_warmup: int = 500,
    num_samples: int = 1000,
    num_path_scales: int = 6,
    seed: int = 0,
    selection_priors: tuple[str, ...] = DEFAULT_SELECTION_PRIORS,
    selection_methods: Mapping[str, Sequence[str]] | None = DEFAULT_SELECTION_METHODS,
    progress: Callable[[str], None] | None = None,
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
        Sampler settings of every posterior: NUTS for the Laplace prior, exact for the Normal
        one; the same at each point of the shrinkage paths, so that one compiled program per
        sampler serves the whole report. The defaults, 4 chains of 500 warmup steps and 1000
        draws, pass NUTS's diagnostics (R-hat <= 1.01, ESS >= 100 per chain) at every scale of
        the Laplace path, down to b = 1 (4 x 500 draws do not there).
    num_path_scales : int
        Points of each shrinkage path (prior scales on a log grid); each is a posterior.
    selection_priors : tuple of str
        The priors (among `SELECTION_PRIORS`) whose scale `select_scale` chooses; ``()``
        leaves the section out. Its posteriors take ``num_chains``, ``num_warmup`` and
        ``num_samples``, each capped at `SELECTION_SAMPLING`.
    selection_methods : mapping of str to sequence of str, optional
        Per prior, the methods of `select_scale` to run (default
        `DEFAULT_SELECTION_METHODS`); ``None`` runs every method that applies.
    progress : callable, optional
        Called with a short line as each stage finishes (what it did, how long it took).

    Returns
    -------
    Report
        ``path`` of the written ``report.md``, the ``tables`` of `bayesreg.compare.compare`
        per prior (``"gaussian"``, ``"laplace"``, ``"horseshoe"``: the horseshoe posterior
        beside the Laplace MAP, with the shrinkage factor's columns), the ``selections`` per
        prior of ``selection_priors`` and the ``methods`` that sampled each posterior (the
        horseshoe's by the Gibbs kernel, `HORSESHOE_METHOD`, with `HORSESHOE_DRAWS_FACTOR`
        times ``num_samples`` draws per chain).

    Notes
    -----
    ``sigma`` is fixed at the residual sd of least squares, ``sqrt(RSS / (n - p - 1))``, so the
    MAPs are exactly ``Ridge(alpha = sigma² / tau²)`` and ``Lasso(alpha = sigma² / (n b))``.
    Needs scikit-learn (``pip install bayesreg[sklearn]``) for the data.
    """
    from sklearn import linear_model
    from sklearn.datasets import load_diabetes

    start = time.perf_counter()
    stage = _Stages(progress)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = load_diabetes(as_frame=True, scaled=scaled)
    X, y = data.data, data.target.to_numpy(dtype=float)
    n, p = X.shape
    sigma = least_squares_sigma(X.to_numpy(), y)
    sampling = {"num_chains": num_chains, "num_warmup": num_warmup, "num_samples": num_samples}

    sections, tables, figures, fits, samplers = [], {}, [], {}, {}
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
        post = sample_posterior(linear, X, y, prior=prior, sigma=sigma, seed=seed, **sampling)
        table = compare(fit, post)
        tables[name], fits[name], samplers[name] = table, fit, post.method
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
        stage(
            f"{name} prior: MAP and {post.num_chains} x {post.num_samples} posterior draws "
            f"({post.method}), max R-hat {diag['r_hat'].max():.3f}"
        )

    post = sample_posterior(
        linear, X, y, prior=horseshoe(), sigma=sigma, seed=seed, method=HORSESHOE_METHOD,
        num_chains=num_chains, num_warmup=num_warmup,
        num_samples=HORSESHOE_DRAWS_FACTOR * num_samples, log_likelihood=False,
    )  # fmt: skip
    tables["horseshoe"], samplers["horseshoe"] = compare(fits["laplace"], post), post.method
    lasso = f"Laplace MAP ({penalty.convention_for('linear', 'laplace').name})"
    save_figure(plot_forest(tables["horseshoe"], map_label=lasso), out / "forest_horseshoe.png")
    save_figure(plot_shrinkage_factors(post), out / "kappa_horseshoe.png")
    figures += ["forest_horseshoe.png", "kappa_horseshoe.png"]
    sections.append(_horseshoe_section(post, tables["horseshoe"], scaled))
    diag = post.diagnostics
    stage(
        f"horseshoe prior: {post.num_chains} x {post.num_samples} posterior draws "
        f"({post.method}), max R-hat {diag['r_hat'].max():.3f}, shrinkage factors"
    )

    paths = []
    for section in reversed(SECTIONS):  # the lasso path first (Park & Casella 2008, Fig. 1)
        name = section.prior
        scales = np.geomspace(*section.path_scales, num_path_scales)
        kind = priors.get(name)
        # the MAP at each scale by the program map_estimate compiled above (a map_path run
        # would compile one more)
        map_points = [
            map_estimate(
                linear, X.to_numpy(), y, prior=kind.build(**{kind.parts[0]: float(scale)}),
                sigma=sigma,
            ).params["coef"]
            for scale in scales
        ]  # fmt: skip
        path = shrinkage_path(
            X, y, scales, prior=name, sigma=sigma, map_path=np.asarray(map_points), seed=seed,
            **sampling,
        )  # fmt: skip
        figure = f"shrinkage_{name}.png"
        save_figure(plot_shrinkage(path), out / figure)
        figures.append(figure)
        paths.append(f"![shrinkage {name}]({figure})")
        stage(f"{name} shrinkage path: MAP and posterior at {num_path_scales} prior scales")

    geometry_b, geometry_tau, columns, map_points = _geometry(X, y, sigma)
    X2 = X[columns].to_numpy() - X[columns].to_numpy().mean(0)
    y2 = y - y.mean()
    fig = plot_geometry(
        X2, y2, map_points=map_points, l1_scale=geometry_b, l2_scale=geometry_tau, sigma=sigma
    )
    fig.axes[0].set_title(f"{columns[0]} and {columns[1]} only (centred, no intercept)")
    save_figure(fig, out / "geometry.png")
    figures.append("geometry.png")
    stage("geometry figure (two features, closed-form lasso and ridge)")

    capped = {key: min(sampling[key], most) for key, most in SELECTION_SAMPLING.items()}
    selections, choosing = {}, []
    for name in selection_priors:
        methods = None if selection_methods is None else list(selection_methods[name])
        selection = select_scale(
            X, y, prior=name, seed=seed, methods=methods, loo_points=SELECTION_LOO_POINTS, **capped
        )
        selections[name] = selection
        figure = f"scale_selection_{name}.png"
        save_figure(selection.plot(), out / figure)
        figures.append(figure)
        choosing.append(_selection_section(selection, figure, methods))
        chosen_by = ", ".join(METHODS[m] for m in selection.table["method"])
        stage(f"{name} prior: scale chosen by {chosen_by}")

    header = [
        "# bayesreg report: diabetes, MAP beside the posterior",
        "",
        f"Data: scikit-learn diabetes, n = {n}, p = {p}, scaled = {scaled}. Model: "
        "`bayesreg.models.linear` (y = intercept + X w + Normal noise), flat intercept, known "
        f"noise sd sigma = {sigma:.4g} (the least-squares residual sd). Each weight w (one "
        "per feature, `coef[bmi]` is the weight of bmi) gets the prior of its section.",
        "",
        "How to read the tables (one row per weight, then the intercept):",
        "",
        "| column | meaning |",
        "|---|---|",
        "| map | the posterior mode (MAP): the penalized fit (ridge, lasso) |",
        "| mean, median, sd | of the posterior draws |",
        "| hdi_low, hdi_high | the 94% highest-density interval: the narrowest interval holding "
        "94% of the draws |",
        "| p_positive | P(w > 0): the posterior probability that the weight is positive |",
        "| p_near_zero, eps | P(abs(w) < eps), with eps a tenth of the weight's posterior sd |",
        "| map_in_hdi | whether the MAP lies inside the HDI |",
        "| map_is_zero | whether the MAP is exactly zero (the lasso drops the feature) |",
        "| kappa_median, kappa_hdi_low, kappa_hdi_high | horseshoe only: the posterior median "
        "and 94% HDI of the weight's shrinkage factor kappa (0: left to the data, 1: pulled to "
        "zero) |",
        "",
    ]
    footer = [
        "## Shrinkage paths",
        "",
        "Left: the MAP of each weight (the lasso / ridge path) over the prior scale, from strong "
        "shrinkage (small b or tau) to weak. Right: the posterior median of each weight with "
        f"its 90% credible band, at {num_path_scales} of those scales (Park & Casella 2008, "
        "Fig. 1): the lasso sets weights exactly to zero, the posterior median never does.",
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
    stage(f"report written: {report}")
    map_from = {**{section.prior: section.prior for section in SECTIONS}, "horseshoe": "laplace"}
    return Report(report, tables, selections, samplers, map_from)


def _horseshoe_section(post: PosteriorResult, table: pd.DataFrame, scaled: bool) -> str:
    """Write the horseshoe's section: its posterior beside the Laplace MAP, with kappa."""
    prior = post.kwargs["prior"]
    diag = post.diagnostics
    unit_norm = (
        " With these centred columns of unit norm and a known sigma, kappa_j = 1/(1 + "
        "lambda_j² tau²), the horseshoe's own form (Carvalho, Polson & Scott 2010)."
        if scaled
        else ""
    )
    return "\n".join(
        [
            f"## Horseshoe prior ({prior.label}) beside the Laplace MAP",
            "",
            "Each weight w_j = sigma · lambda_j · tau · z_j, z_j ~ Normal(0, 1): a local scale "
            "lambda_j ~ C+(0, 1) per weight and a global scale tau shared by all, in units of "
            "the noise sd sigma. The horseshoe's density is infinite at zero, so it has no MAP: "
            "the `map` column is the Laplace MAP of the previous section (the lasso), and the "
            "table says where the lasso's weights fall in the horseshoe's posterior.",
            f"Posterior: method `{post.method}`, {post.num_chains} x {post.num_samples} draws, "
            f"max R-hat {diag['r_hat'].max():.3f}, min bulk ESS {diag['ess_bulk'].min():.0f}. "
            "NUTS diverges on this posterior (the funnels of the local scales), even at "
            "target_accept_prob 0.99; the Gibbs sampler of Makalic & Schmidt (2016) has no "
            "step size to fail and its conditionals are exact.",
            "",
            "kappa_j = 1/(1 + coef_scale_j² · sum_i (x_ij - xbar_j)² / sigma²) is the weight's "
            "shrinkage factor (Piironen & Vehtari 2017, eq. 2.6; `bayesreg.shrinkage_factors`): "
            "the share of the way its posterior mean is pulled from the data's estimate to "
            "zero, 0 for a weight the prior leaves to the data, 1 for one it treats as noise."
            + unit_norm,
            "",
            markdown_table(table),
            "",
            compare_summary(table),
            "",
            "![forest](forest_horseshoe.png)",
            "",
            "![shrinkage factors](kappa_horseshoe.png)",
        ]
    )


class _Stages:
    """Report each finished stage to ``progress``, with the time it took."""

    def __init__(self, progress: Callable[[str], None] | None) -> None:
        self.progress = progress
        self.last = time.perf_counter()

    def __call__(self, what: str) -> None:
        now = time.perf_counter()
        if self.progress is not None:
            self.progress(f"{what} ({now - self.last:.1f} s)")
        self.last = now


def selection_summary(selection: ScaleSelection) -> pd.DataFrame:
    """Return a selection's table without the weights, one row per method named in words."""
    table = selection.table
    summary = table[[c for c in table.columns if not c.startswith("coef[")]].copy()
    summary["method"] = [METHODS[m] for m in summary["method"]]
    return summary.rename(columns={"scale": selection.scale_name}).set_index("method")


def _selection_section(
    selection: ScaleSelection,
    figure: str,
    methods: Sequence[str] | None,
) -> str:
    """Write the section on choosing one prior's scale: words, the table, the figure."""
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
    skipped = [
        METHODS[m]
        for m in METHODS
        if methods is not None and m not in methods and m not in selection.notes
    ]
    if skipped:
        left_out += (
            f" Left out of this report to keep it quick: {', '.join(skipped)} (each samples "
            f"more posteriors by NUTS); `select_scale(X, y, prior={kind.name!r})` or "
            "`bayesreg scale` runs every method."
        )
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
        f"Columns: {symbol}, the chosen prior scale; {selection.convention} "
        f"{selection_summary(selection).columns[1].split()[-1]}, the same penalty in "
        "scikit-learn's terms; cv_error, the mean held-out squared error over the folds; "
        "cv_se, its standard error; zeros, the weights the MAP sets exactly to zero.",
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


def _geometry(
    X: pd.DataFrame, y: np.ndarray, sigma: float
) -> tuple[float, float, list[str], dict[str, np.ndarray]]:
    """Prior scales and MAPs for the 2-weight figure on ``bmi`` and ``bp``: lasso with one zero.

    With centred data, feature ``j`` (largest ``|x_jᵀy|``) enters the lasso path at
    ``alpha_1 = |c_j| / n``, ``c = Xᵀy``; while it is alone ``w_j = (c_j - n alpha s_j) / x_jᵀx_j``,
    and feature ``k`` enters when ``|c_k - g (c_j - n alpha s_j)| = n alpha`` with
    ``g = x_kᵀx_j / x_jᵀx_j``. Between the two knots the lasso has exactly one zero; ``b`` puts
    alpha a quarter of the way up from the lower knot. ``tau`` is chosen on a grid so that the
    ridge solution's L2 norm matches the lasso's L1 norm (circle and diamond of one size).

    The MAPs are these closed forms (the figure draws MAPs, it does not fit them): the lasso
    ``w_j`` above with ``w_k = 0``, the ridge ``(ZᵀZ + alpha I)⁻¹ Zᵀy``; they are what
    `map_estimate` returns (tests/cli/test_report.py checks it).
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
    best = int(np.argmin(np.abs(np.asarray(norms) - l1_norm)))
    lasso = np.zeros(2)
    lasso[j] = (c[j] - n * alpha * s) / (Z[:, j] @ Z[:, j])
    ridge = np.linalg.solve(Z.T @ Z + ridge_alphas[best] * np.eye(2), c)
    map_points = {"laplace": lasso, "gaussian": ridge}
    b = penalty.lasso_prior_scale(alpha, sigma=sigma, n=n)
    return b, float(taus[best]), columns, map_points


def save_figure(fig: plt.Figure, path: Path) -> None:
    """Write ``fig`` atomically, in the format its suffix names (``.png``)."""
    try:
        with atomic_write(path) as handle:
            fig.savefig(handle, format=path.suffix.lstrip("."), dpi=110)
    finally:
        plt.close(fig)
