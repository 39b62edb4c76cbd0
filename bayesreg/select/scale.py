r"""`select_scale`: every way of choosing the prior scale, on one grid, in one table and one figure.

One grid of prior scales (``b`` of a Laplace prior, ``tau`` of a Normal one), and on it each
method the toolkit has for choosing the scale:

- **CV minimum** and **CV 1-SE**: K-fold cross-validation of the MAP (`bayesreg.cv_path`), the
  least mean held-out loss and the strongest shrinkage within one standard error of it;
- **empirical Bayes** (Gaussian prior, Gaussian likelihood): the scale of largest exact
  evidence (`bayesreg.empirical_bayes`, `bayesreg.log_evidence`);
- **MCEM** (Laplace prior, Gaussian likelihood): Park & Casella's Bayesian lasso with its
  $\lambda$ by Monte Carlo EM (`bayesreg.empirical_bayes` of `bayesreg.models.bayesian_lasso`),
  read as the scale $b = \sigma / \lambda$;
- **hyperprior**: the posterior median of the scale under a half-Cauchy hyperprior (full Bayes,
  `bayesreg.sample_posterior` with ``models.laplace(dist.HalfCauchy(c))``);
- **LOO best**: the largest PSIS-LOO elpd (`bayesreg.loo_path`) on a coarser sub-grid, since
  each point is a full posterior.

Every row of the table is then read off ONE cross-validation run whose grid is the grid plus
each method's chosen scale: its held-out error is exactly the CV mean at that scale (same
folds), its coefficients are the MAP there (refitted on all rows), and its penalty is the
scikit-learn parameter the MAP equals (`bayesreg.penalty`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import models, penalty, priors
from .._types import ArrayLike
from ..data import least_squares_sigma
from ..sample.diagnostics import warnings_at_caller
from .cv import CVPath, cv_path, one_se_rule
from .scale_methods import METHODS, RUNNERS, Problem, not_applicable

__all__ = ["METHODS", "ScaleSelection", "default_scales", "select_scale"]


_MODELS = {"linear": models.linear, "logistic": models.logistic, "poisson": models.poisson}

#: points of the default grid, and how much weaker its weakest prior is than its strongest
DEFAULT_POINTS = 50
DEFAULT_RATIO = 1000.0
#: points of the LOO sub-grid: each is a full posterior (NUTS unless the prior is conjugate)
LOO_POINTS = 8


@dataclass(frozen=True)
class ScaleSelection:
    """Every method's choice of the prior scale on one grid, as returned by `select_scale`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per method that applies, in the order of `METHODS`: ``method``, ``scale`` (the
        chosen ``b`` or ``tau``, see ``scale_name``), the equivalent penalty parameter (a
        column named after the convention, e.g. ``"Lasso alpha"``, ``"LogisticRegression
        C"``), ``cv_error`` (the mean held-out loss over the folds at that scale), ``cv_se``,
        ``zeros`` (exact zeros of the MAP there) and one column ``coef[name]`` per feature (the
        MAP on all rows).
    scales : numpy.ndarray
        The grid, increasing (strong to weak shrinkage).
    scale_name : str
        The scale's symbol, ``"b"`` or ``"tau"``.
    likelihood, prior : str
        As given to `select_scale`.
    cv : CVPath
        The one cross-validation run: the grid plus each method's choice (``cv_scales``).
    cv_scales : numpy.ndarray
        The scales of ``cv``'s points.
    loo : LooPath or None
        PSIS-LOO on the sub-grid ``loo_scales`` (``None`` when not run).
    loo_scales : numpy.ndarray or None
    evidence : numpy.ndarray or None
        The exact log evidence at each grid point (Gaussian prior and likelihood only).
    results : dict of str to object
        Each sampling or evidence method's own result: ``"evidence"`` and ``"mcem"`` ->
        `bayesreg.select.empirical.EmpiricalBayes`, ``"hyperprior"`` -> the full-Bayes
        `PosteriorResult`, ``"loo"`` -> the `LooPath`.
    sigma : float or None
        The Gaussian noise sd every fit used (``None`` for other likelihoods).
    convention : str
        The penalized fit the MAP equals (``"Lasso"``, ``"Ridge"``, ``"LogisticRegression"``).
    notes : dict of str to str
        Each method left out -> why it does not apply.
    details : dict of str to str
        How each choice was made, in words (the grid, sigma, the hyperprior, the sub-grid).
    """

    table: pd.DataFrame
    scales: np.ndarray
    scale_name: str
    likelihood: str
    prior: str
    cv: CVPath
    cv_scales: np.ndarray
    loo: Any
    loo_scales: np.ndarray | None
    evidence: np.ndarray | None
    results: dict[str, Any]
    sigma: float | None
    convention: str
    notes: dict[str, str] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)

    @property
    def coefficients(self) -> pd.DataFrame:
        """The MAP weights at each method's choice: one row per feature, one column per method."""
        columns = [c for c in self.table.columns if c.startswith("coef[")]
        frame = self.table.set_index("method")[columns].T
        frame.index = [c[len("coef[") : -1] for c in columns]
        return frame

    def plot(self, fig: Any = None) -> Any:
        """Draw the figure: CV error ± SE, LOO elpd and log evidence over the grid, choices marked.

        See `bayesreg.select.figures.plot_scale_selection`; returns the matplotlib ``Figure``.
        """
        from .figures import plot_scale_selection

        return plot_scale_selection(self, fig=fig)

    def __repr__(self) -> str:
        chosen = ", ".join(
            f"{m}={s:.4g}" for m, s in zip(self.table["method"], self.table["scale"], strict=True)
        )
        return (
            f"ScaleSelection({self.likelihood}, {self.prior}, {len(self.scales)} scales, "
            f"{self.scale_name}: {chosen})"
        )


def default_scales(
    X: ArrayLike,
    y: ArrayLike,
    *,
    likelihood: str = "linear",
    sigma: float | None = None,
    num: int = DEFAULT_POINTS,
    ratio: float = DEFAULT_RATIO,
) -> np.ndarray:
    r"""Return glmnet's grid of prior scales: from the all-zero scale to ``ratio`` times weaker.

    With a flat intercept, the MAP of a Laplace prior is all zero exactly when its scale is at
    most $b_0$, where $1/b_0$ is the largest gradient of the data term at zero,
    $\max_j |x_j^\top (y - \bar y)| / d$ ($d = \sigma^2$ for a Gaussian likelihood, 1 for the
    logistic and Poisson ones, whose canonical links make $y - \bar y$ the score of the
    intercept-only fit). That is glmnet's $\lambda_{\max} = \max_j |x_j^\top(y - \bar y)| / n$
    (``alpha = 1``), converted by `bayesreg.penalty.prior_parts`. The grid is ``num`` points
    from $b_0$ to ``ratio`` $b_0$, evenly spaced in log scale (glmnet's ``lambda.min.ratio``
    of ``1/ratio``). A Normal prior has no all-zero scale; it uses the same values of ``tau``,
    which run from nearly every weight shrunk to zero to nearly none shrunk (on the diabetes data,
    ``Ridge`` alpha from 300 to 3e-4 against the eigenvalues 0.009 to 4 of $X_c^\top X_c$).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_diabetes
    >>> from bayesreg.select.scale import default_scales
    >>> X, y = load_diabetes(return_X_y=True)
    >>> scales = default_scales(X, y, sigma=54.0)
    >>> len(scales), round(float(scales[-1] / scales[0]))
    (50, 1000)
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n = X.shape[0]
    score = np.abs(X.T @ (y - y.mean()))
    if not np.max(score, initial=0.0) > 0:
        raise ValueError(
            "no column of X is correlated with y (X.T @ (y - mean(y)) is zero), so there is no "
            "all-zero prior scale to start the grid from; give scales= explicitly."
        )
    d_sigma = 1.0 if sigma is None else sigma
    lambda_max = float(np.max(score)) / n
    parts = penalty.prior_parts("glmnet", {"lambda": lambda_max, "alpha": 1.0}, sigma=d_sigma, n=n)
    return float(parts.l1_scale) * np.geomspace(1.0, ratio, num)


def _check_grid(scales: ArrayLike) -> np.ndarray:
    grid = np.asarray(scales, dtype=float).ravel()
    if not np.all(np.isfinite(grid)) or np.any(grid <= 0):
        raise ValueError(
            f"scales must be positive finite prior scales; got {grid.tolist()}. Drop the "
            "non-positive values (a prior scale of 0 is a point mass)."
        )
    grid = np.unique(grid)  # increasing: strong to weak shrinkage, as cv_path wants
    if grid.size < 2:
        raise ValueError(
            f"scales must hold at least 2 distinct values to choose among; got {grid.tolist()}. "
            "Give a grid (e.g. np.geomspace(0.1, 100, 30)) or leave scales=None for the default."
        )
    return grid


def _check_methods(methods: Sequence[str] | None) -> list[str] | None:
    if methods is None:
        return None
    if isinstance(methods, str):
        methods = [methods]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(
            f"methods must be names among {list(METHODS)}; got unknown {unknown}. Leave "
            "methods=None for every method that applies."
        )
    if not methods:
        raise ValueError(f"methods must name at least one of {list(METHODS)}; got none.")
    return list(methods)


def _inputs(X: Any, y: Any, feature_names: Sequence[str] | None) -> tuple:
    if feature_names is None and isinstance(X, pd.DataFrame):
        feature_names = [str(c) for c in X.columns]
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).ravel()
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise ValueError(
            f"X must be 2-D (n, p) with one row per entry of y; got X {X.shape}, y {y.shape}."
        )
    names = list(feature_names) if feature_names is not None else None
    if names is None:
        names = [str(j) for j in range(X.shape[1])]
    return X, y, names, feature_names


def select_scale(
    X: ArrayLike,
    y: ArrayLike,
    *,
    likelihood: str = "linear",
    prior: str = "laplace",
    scales: ArrayLike | None = None,
    folds: Any = 5,
    methods: Sequence[str] | None = None,
    seed: int = 0,
    feature_names: Sequence[str] | None = None,
    sigma: float | None = None,
    num_samples: int = 1000,
    num_warmup: int = 500,
    num_chains: int = 4,
    loo_points: int = LOO_POINTS,
) -> ScaleSelection:
    r"""Choose the prior scale by every applicable method on one grid: one table, one figure.

    Parameters
    ----------
    X : array_like or pandas.DataFrame
        Design matrix, shape ``(n, p)`` (a frame's column names name the weights).
    y : array_like
        Responses, shape ``(n,)`` (0/1 for ``"logistic"``, counts for ``"poisson"``).
    likelihood : {"linear", "logistic", "poisson"}
        `bayesreg.models.linear`, `bayesreg.models.logistic` or `bayesreg.models.poisson`,
        with a flat intercept.
    prior : str
        A registered prior kind with one scale (``"laplace"``: ``b``, ``"gaussian"``: ``tau``).
    scales : array_like, optional
        The grid of prior scales (sorted increasing, at least 2 distinct positive values).
        Default: `default_scales`, glmnet's 50 points from the all-zero scale to 1000x weaker.
    folds : int, splitter or list of (train, test)
        As for `bayesreg.cv_path` (an int: ``KFold(k)``, ``StratifiedKFold(k)`` for logistic).
    methods : sequence of str, optional
        Among the keys of `METHODS`; default every one that applies (the others are left out
        with the reason in ``notes``). Asking for one that does not apply is an error.
    seed : int
        Seed of the posterior draws (MCEM, hyperprior, LOO).
    feature_names : sequence of str, optional
        Names of the columns.
    sigma : float, optional
        Gaussian likelihood only: the known noise sd of every fit. ``None``: the least-squares
        residual sd, ``sqrt(RSS / (n - p - 1))`` (`bayesreg.data.least_squares_sigma`).
    num_samples, num_warmup, num_chains : int
        Posterior draws per chain, warmup steps and chains of every posterior sampled: each
        Monte Carlo EM iteration, the hyperprior posterior and each LOO point.
    loo_points : int
        Points of the LOO sub-grid (evenly spaced indices of the grid, both ends included).

    Returns
    -------
    ScaleSelection
        ``table`` (one row per method), ``cv``, ``loo``, ``evidence``, ``plot()``, ``notes``
        (methods left out, and why) and ``details`` (how each choice was made).

    Raises
    ------
    ValueError
        An unknown likelihood, prior, or method; a prior with two scales; a grid of fewer than
        two distinct values or with non-positive ones; ``sigma`` for a likelihood without one;
        a method asked for that does not apply.

    Warns
    -----
    SamplingWarning, ParetoKWarning
        From the posteriors it samples (MCEM, hyperprior, LOO), pointing at the line that
        called `select_scale`.

    Notes
    -----
    The rows' scales are on one footing: every row is the MAP of the same model (the same
    ``sigma``) at its scale, with the held-out error of the same folds. The hyperprior is
    $\mathrm{HalfCauchy}(c)$ with $c$ the geometric midpoint of the grid: a half-Cauchy is
    symmetric in $\log s$ about its median $c$, so it spreads its mass evenly over the grid's
    decades. The MCEM scale is $b = \sigma/\lambda$ with this ``sigma`` (the Bayesian lasso's
    prior on the weights given $\sigma$). The LOO choice is the best of its sub-grid only.

    Examples
    --------
    Diabetes (Gaussian likelihood, Laplace prior), the cheap methods:

    >>> import bayesreg as br
    >>> from sklearn.datasets import load_diabetes
    >>> from bayesreg.select.scale import select_scale
    >>> X, y = load_diabetes(return_X_y=True)
    >>> sel = select_scale(X, y, methods=["cv_min", "cv_1se"])
    >>> list(sel.table["method"]), sel.convention
    (['cv_min', 'cv_1se'], 'Lasso')

    Breast cancer (logistic, standardized columns): evidence and MCEM do not apply.

    >>> from sklearn.datasets import load_breast_cancer
    >>> Xb, yb = load_breast_cancer(return_X_y=True)
    >>> Xb = (Xb - Xb.mean(0)) / Xb.std(0)
    >>> sel = select_scale(Xb, yb, likelihood="logistic", methods=["cv_min", "cv_1se"])
    >>> list(sel.table.columns[:3])
    ['method', 'scale', 'LogisticRegression C']
    """
    if likelihood not in _MODELS:
        raise ValueError(f"likelihood must be one of {list(_MODELS)}; got {likelihood!r}.")
    kind = priors.get(prior)
    if len(kind.parts) != 1:
        raise ValueError(
            f"prior must be a kind with one scale to choose; {kind.name!r} has "
            f"{len(kind.parts)} ({', '.join(kind.parts)}). Use 'laplace' or 'gaussian'."
        )
    requested = _check_methods(methods)
    if isinstance(loo_points, bool) or not isinstance(loo_points, int) or loo_points < 2:
        raise ValueError(
            f"loo_points must be an int >= 2 (points of the LOO sub-grid); got {loo_points!r}."
        )
    X, y, names, feature_names = _inputs(X, y, feature_names)
    details: dict[str, str] = {}
    fixed: dict[str, Any] = {"feature_names": feature_names}
    if likelihood == "linear":
        given = sigma is not None
        sigma = float(sigma) if given else least_squares_sigma(X, y)
        fixed["sigma"] = sigma
        details["sigma"] = f"sigma = {sigma:.4g}, " + (
            "as given" if given else "the least-squares residual sd sqrt(RSS / (n - p - 1))"
        )
    elif sigma is not None:
        raise ValueError(
            f"sigma is the noise sd of the Gaussian likelihood; the {likelihood} likelihood has "
            f"none (got sigma={sigma!r}). Leave sigma=None."
        )
    symbol = kind.scale_labels[kind.parts[0]].split()[-1]
    if scales is None:
        grid = default_scales(X, y, likelihood=likelihood, sigma=sigma)
        details["grid"] = (
            f"{len(grid)} values of {symbol} from {grid[0]:.4g} (the scale at which a Laplace "
            f"prior's MAP is all zero, glmnet's lambda_max) to {grid[-1]:.4g} "
            f"({DEFAULT_RATIO:.0f}x), log-spaced"
        )
    else:
        grid = _check_grid(scales)
        details["grid"] = f"{len(grid)} values of {symbol} from {grid[0]:.4g} to {grid[-1]:.4g}"
    problem = Problem(
        _MODELS[likelihood], X, y, kind, symbol, grid, fixed, seed, loo_points,
        {"num_samples": num_samples, "num_warmup": num_warmup, "num_chains": num_chains},
    )  # fmt: skip

    notes = not_applicable(problem)
    chosen = [m for m in METHODS if requested is None or m in requested]
    refused = {m: notes[m] for m in chosen if m in notes}
    if requested is not None and refused:
        raise ValueError(
            "methods asked for do not apply here: "
            + "; ".join(f"{m}: {why}" for m, why in refused.items())
            + ". Leave them out (or methods=None for every one that applies)."
        )
    chosen = [m for m in chosen if m not in notes]
    # warnings of the posteriors sampled (MCEM, hyperprior, LOO) point at the caller's line
    with warnings_at_caller():
        choices, results = {}, {}
        for method in [m for m in chosen if m in RUNNERS]:
            scale, how, results[method] = RUNNERS[method](problem)
            if scale is None:
                notes[method] = how
            else:
                choices[method], details[method] = scale, how
        chosen = [m for m in chosen if m not in notes]

        # one CV run over the grid and every choice: each row's error is the CV mean at its scale
        cv_scales = np.unique(np.concatenate([grid, list(choices.values())]))
        cv = cv_path(problem.model, X, y, path={"prior": [problem.build(s) for s in cv_scales]},
                     folds=folds, **fixed)  # fmt: skip
    on_grid = np.searchsorted(cv_scales, grid)
    mean, se = cv.mean[on_grid], cv.se[on_grid]
    if "cv_min" in chosen:
        choices["cv_min"] = float(grid[int(np.argmin(mean))])
    if "cv_1se" in chosen:
        choices["cv_1se"] = float(grid[one_se_rule(mean, se, cv.strength[on_grid])])
    details["cv"] = (
        f"{len(cv.folds)}-fold CV ({cv.scoring}) of the MAP on the grid plus each method's "
        "choice; CV minimum and 1-SE among the grid points"
    )
    convention = penalty.convention_for(likelihood, kind.name)
    rows = [_row(problem, convention, cv, cv_scales, names, m, choices[m], sigma) for m in chosen]
    loo = results.get("loo")
    evidence_result = results.get("evidence")
    return ScaleSelection(
        table=pd.DataFrame(rows),
        scales=grid,
        scale_name=symbol,
        likelihood=likelihood,
        prior=kind.name,
        cv=cv,
        cv_scales=cv_scales,
        loo=loo[1] if loo else None,
        loo_scales=loo[0] if loo else None,
        evidence=evidence_result[0] if evidence_result else None,
        results={m: r[-1] if isinstance(r, tuple) else r for m, r in results.items()},
        sigma=sigma,
        convention=convention.label,
        notes=notes,
        details=details,
    )


def _row(problem, convention, cv, cv_scales, names, method, scale, sigma) -> dict[str, Any]:
    """One row of the table: the MAP, error and penalty at ``scale``, read off the CV run."""
    index = int(np.searchsorted(cv_scales, scale))
    coef = np.asarray(cv.path[index].params["coef"], dtype=float)
    parts = problem.kind.penalty_parts(problem.build(scale))
    first = convention.params[0]
    params = penalty.penalty_params(convention.name, parts, sigma=sigma or 1.0,
                                    n=problem.X.shape[0])  # fmt: skip
    return {
        "method": method,
        "scale": scale,
        f"{convention.label} {first}": float(params[first]),
        "cv_error": float(cv.mean[index]),
        "cv_se": float(cv.se[index]),
        "zeros": int(np.sum(coef == 0.0)),
        **{f"coef[{name}]": value for name, value in zip(names, coef, strict=True)},
    }
