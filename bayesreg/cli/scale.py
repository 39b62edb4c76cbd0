r"""``bayesreg fit --scale METHOD``: the prior scale chosen from the data, four ways.

- ``cv`` / ``cv-1se``: K-fold cross-validation along a grid (`bayesreg.select.cv.cv_path`), the
  least mean held-out loss or the strongest shrinkage within one standard error of it. The grid
  is laid as scikit-learn's CV estimators lay it: for a prior with an L1 part, ``m`` points
  from the weakest penalty that sets every weight to zero down to ``1e-3`` of it, log-spaced
  (``LassoCV``'s ``alpha_max`` grid; for the elastic net at ``--l1-ratio``); for a Normal prior,
  $1/\tau^2$ from $10^3$ to $10^{-3}$ times the likelihood's average curvature per weight. Each
  fold is fitted at the grid's penalty, as ``LassoCV`` does (the prior of a penalty that scales
  with ``n`` is taken at the folds' training size), and the choice is refitted on all rows.
- ``evidence``: type-II maximum likelihood of a Normal prior's ``tau`` (and ``sigma`` unless
  ``--sigma`` fixes it) under the Gaussian likelihood (`bayesreg.empirical_bayes`).
- ``hyperprior``: each prior scale gets a ``HalfCauchy(s)`` hyperprior, ``s`` the data's scale of
  a weight (``sd(y) / median sd(x)`` for the linear likelihood, ``1 / median sd(x)`` on the
  link scale otherwise); the posterior median of the scale is reported and the MAP is shown
  at it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .. import penalty, priors
from ..priors import PenaltyParts, PriorKind
from .describe import parts_of, scale_symbol
from .options import UsageError, flag

__all__ = [
    "CV_EPS",
    "ScaleChoice",
    "check_scale_options",
    "choose_scale",
    "grid_priors",
    "posterior_median_prior",
    "weight_scale",
]

#: ``LassoCV``'s ``eps``: the weakest penalty of the grid over the one that zeros every weight
CV_EPS = 1e-3
#: a Normal prior's grid spans this factor either way of the likelihood's average curvature
_L2_SPAN = 1e3
#: the default L1 share of an elastic-net grid (``ElasticNetCV``'s ``l1_ratio``)
_L1_RATIO = 0.5
#: the default number of grid points (``LassoCV``'s)
_GRID = 100
_FOLDS = 5


@dataclass(frozen=True)
class ScaleChoice:
    """The prior a ``--scale METHOD`` chose, and what the output says about it.

    ``prior`` / ``kind`` / ``parts`` are the fixed prior of the MAP (for ``hyperprior``, at the
    posterior median, once `posterior_median_prior` has set it); ``sample_prior`` is the
    prior to sample (the hyperprior model) or ``None`` (the fixed prior); ``sigma`` the noise
    sd the method fixed (``evidence`` without ``--sigma``), else ``None``; ``text`` the line.
    ``values`` holds the numbers of ``text`` by name (what ``--json`` writes); ``path`` the
    cross-validation grid (``cv`` / ``cv-1se``), one row per point, else ``None``.
    """

    method: str
    prior: Any
    kind: PriorKind
    parts: PenaltyParts | None
    text: str
    sample_prior: Any = None
    sigma: float | None = None
    values: dict[str, Any] = field(default_factory=dict)
    path: pd.DataFrame | None = None


def check_scale_options(args: argparse.Namespace, likelihood: str) -> None:
    """Refuse options that do not go with ``--scale`` (a number or a method), before any data."""
    method = args.scale if isinstance(args.scale, str) else None
    cv = method in ("cv", "cv-1se")
    for dest in ("folds", "grid"):
        if getattr(args, dest) is not None and not cv:
            raise UsageError(f"{flag(dest)} applies only to --scale cv and --scale cv-1se")
    if method is None:
        if args.l1_ratio is not None:
            raise UsageError("--l1-ratio applies only to --scale cv / cv-1se (the grid's L1 share)")
        return
    kind = priors.get(args.prior)
    if args.l2_scale is not None:
        raise UsageError(
            f"--scale {method} chooses the prior scale(s); --l2-scale cannot be given with it "
            "(give --scale a number to set the scales yourself)"
        )
    if args.l1_ratio is not None and not (cv and len(kind.parts) > 1):
        raise UsageError(
            f"--l1-ratio applies only to --scale cv / cv-1se with a two-scale prior, not "
            f"--scale {method} --prior {kind.name}"
        )
    if args.l1_ratio is not None and not 0.0 < args.l1_ratio < 1.0:
        raise UsageError(f"--l1-ratio must be in (0, 1); got {args.l1_ratio}")
    if method == "evidence":
        normal = priors.for_parts(None, 1.0)  # the kind whose penalty is an L2 part alone
        if likelihood != "linear" or kind.parts != normal.parts:
            raise UsageError(
                f"--scale evidence has a closed form only for --prior {normal.name} with "
                f"--likelihood linear; got --prior {kind.name} --likelihood {likelihood}. Use "
                "--scale cv (or hyperprior)"
            )
    if args.sigma_prior is not None and method in ("cv", "cv-1se", "evidence"):
        raise UsageError(
            f"--scale {method} needs a known noise sd to turn penalties into prior scales "
            "(--sigma, or the least-squares default); --sigma-prior goes with a numeric --scale "
            "or --scale hyperprior"
        )
    if method == "hyperprior" and args.samples == 0:
        raise UsageError(
            "--scale hyperprior reports the posterior of the scale, so it needs --samples > 0 "
            "(the joint MAP over weights and scale is degenerate)"
        )


def choose_scale(
    args: argparse.Namespace,
    model: Callable,
    X: np.ndarray,
    y: np.ndarray,
    kwargs: dict[str, Any],
    sigma: float | None,
    likelihood: str,
) -> ScaleChoice:
    """Choose the prior of ``--scale METHOD`` (``kwargs``: the model's other arguments)."""
    kind = priors.get(args.prior)
    if args.scale == "evidence":
        return _evidence(kind, X, y, kwargs, sigma)
    if args.scale == "hyperprior":
        s, how = weight_scale(X, y, likelihood)
        from numpyro import distributions as dist

        hyper = {part: dist.HalfCauchy(s) for part in kind.parts}
        sites = ", ".join(f"{scale_symbol(kind, part)} ~ HalfCauchy(s)" for part in kind.parts)
        text = f"hyperprior {sites}, s = {how} = {s:.6g}"
        return ScaleChoice(
            "hyperprior", None, kind, None, text, sample_prior=kind.build(**hyper),
            values={"hyperprior": "HalfCauchy(s)", "s": s, "s_is": how},
        )  # fmt: skip
    return _cross_validate(args, model, X, y, kwargs, kind, sigma, likelihood)


def weight_scale(X: np.ndarray, y: np.ndarray, likelihood: str) -> tuple[float, str]:
    """Return the data's scale of a weight and how it was computed (module docstring)."""
    spread = np.std(X, axis=0)
    x_scale = float(np.median(spread[spread > 0])) if np.any(spread > 0) else 1.0
    if likelihood == "linear":
        y_scale = float(np.std(y)) or 1.0
        return y_scale / x_scale, "sd(y) / median sd(x)"
    return 1.0 / x_scale, "1 / median sd(x)"


def posterior_median_prior(choice: ScaleChoice, posterior: Any) -> ScaleChoice:
    """Fix the hyperprior's scales at their posterior medians; say so in the choice's text."""
    random = choice.sample_prior
    medians, shown, values = {}, [], dict(choice.values)
    for part in choice.kind.parts:
        draws = np.asarray(posterior.samples[random.names[part]], dtype=float).reshape(-1)
        medians[part] = float(np.median(draws))
        low, high = np.quantile(draws, [0.05, 0.95])
        symbol = scale_symbol(choice.kind, part)
        shown.append(f"{symbol} = {medians[part]:.6g} (90% interval {low:.4g} to {high:.4g})")
        values[f"{symbol}_median"] = medians[part]
        values[f"{symbol}_interval_90"] = [float(low), float(high)]
    prior = choice.kind.build(**{part: np.asarray(v) for part, v in medians.items()})
    parts = parts_of(choice.kind, [medians[part] for part in choice.kind.parts])
    text = f"{choice.text}; posterior median {', '.join(shown)}; the MAP below is at the median"
    return replace(choice, prior=prior, parts=parts, text=text, values=values)


def _evidence(
    kind: PriorKind, X: np.ndarray, y: np.ndarray, kwargs: dict[str, Any], sigma: float | None
) -> ScaleChoice:
    from .. import models
    from ..select.empirical import empirical_bayes

    fixed = {} if sigma is None else {"sigma": sigma}
    try:
        result = empirical_bayes(
            models.linear, X, y, intercept=kwargs["intercept"],
            feature_names=kwargs["feature_names"], **fixed,
        )  # fmt: skip
    except ValueError as error:  # no interior maximum: the reason and the remedy
        raise UsageError(f"--scale evidence: {error}") from None
    tau = result.hyperparameters["tau"]
    noise = result.hyperparameters.get("sigma", sigma)
    how = "given" if sigma is not None else "estimated with it"
    text = (
        f"evidence (type-II maximum likelihood): tau = {tau:.6g}, sigma = {noise:.6g} ({how}), "
        f"log evidence {result.log_evidence:.6g}"
    )
    prior = kind.build(l2_scale=np.asarray(tau))
    parts = parts_of(kind, [tau])
    values = {
        "tau": tau,
        "sigma": noise,
        "sigma_is": how,
        "log_evidence": result.log_evidence,
    }
    return ScaleChoice(
        "evidence", prior, kind, parts, text, sigma=None if sigma else noise, values=values
    )


def grid_priors(
    kind: PriorKind,
    X: np.ndarray,
    y: np.ndarray,
    sigma: float | None,
    likelihood: str,
    intercept: bool,
    size: int,
    l1_ratio: float,
) -> list[PenaltyParts]:
    r"""Return the grid's penalty parts on all rows, strong to weak shrinkage (module docstring).

    The penalty weight of point ``i`` is $w_i = 1/b + 1/\tau^2$, split by the L1 share
    ``l1_ratio`` as scikit-learn's elastic net splits it. For an L1 part, $w_0$ is the least
    weight at which every weight is zero, $\max_j |x_j^\top (y - \bar y)| / (\phi\,
    \text{l1\_ratio})$ on centred columns, with $\phi = \sigma^2$ for the linear likelihood and 1
    otherwise (the score of each weight at the intercept-only fit); the last point is
    ``CV_EPS`` of it.
    """
    share = l1_ratio if len(kind.parts) > 1 else (1.0 if "l1_scale" in kind.parts else 0.0)
    phi = sigma**2 if likelihood == "linear" else 1.0
    Xc = X - X.mean(axis=0) if intercept else X
    yc = y - y.mean() if intercept else y
    if share > 0:
        top = float(np.max(np.abs(Xc.T @ yc))) / (phi * share)
        top = max(top, float(np.finfo(float).tiny))
        weights = top * np.geomspace(1.0, CV_EPS, size)
    else:
        # the likelihood's curvature per weight at the intercept-only fit, averaged
        variance = {"linear": 1.0, "logistic": y.mean() * (1.0 - y.mean()), "poisson": y.mean()}
        curvature = float(np.sum(Xc**2)) * variance[likelihood] / (phi * X.shape[1])
        weights = max(curvature, float(np.finfo(float).tiny)) * np.geomspace(
            _L2_SPAN, 1.0 / _L2_SPAN, size
        )
    return [
        PenaltyParts(
            1.0 / (share * w) if share > 0 else np.inf,
            1.0 / np.sqrt((1.0 - share) * w) if share < 1 else np.inf,
        )
        for w in weights
    ]


def _cross_validate(
    args: argparse.Namespace,
    model: Callable,
    X: np.ndarray,
    y: np.ndarray,
    kwargs: dict[str, Any],
    kind: PriorKind,
    sigma: float | None,
    likelihood: str,
) -> ScaleChoice:
    from ..select.cv import cv_path
    from ..select.cv_folds import resolve_folds

    n = X.shape[0]
    folds = _FOLDS if args.folds is None else args.folds
    size = _GRID if args.grid is None else args.grid
    l1_ratio = _L1_RATIO if args.l1_ratio is None else args.l1_ratio
    try:
        pairs = resolve_folds(folds, n, X, y, stratify=likelihood == "logistic")
    except ValueError as error:
        raise UsageError(f"--folds: {error}") from None
    grid = grid_priors(kind, X, y, sigma, likelihood, kwargs["intercept"], size, l1_ratio)
    row = penalty.convention_for(likelihood, kind.name)
    noise = 1.0 if sigma is None else sigma
    n_train = int(round(float(np.mean([len(train) for train, _ in pairs]))))
    fold_priors = []
    for parts in grid:
        if row is not None and row.needs_n:  # a fold is fitted at the grid's penalty
            params = penalty.penalty_params(row.name, parts, sigma=noise, n=n)
            parts = penalty.prior_parts(row.name, params, sigma=noise, n=n_train)
        fold_priors.append(_build(parts))
    others = {key: value for key, value in kwargs.items() if key != "prior"}
    result = cv_path(model, X, y, path={"prior": fold_priors}, folds=pairs, **others)
    index = result.one_se_index if args.scale == "cv-1se" else result.best_index
    chosen = grid[index]
    rule = "within one SE of the least" if args.scale == "cv-1se" else "least"
    values = ", ".join(
        f"{scale_symbol(kind, part)} = {float(getattr(chosen, part)):.6g}" for part in kind.parts
    )
    text = (
        f"{args.scale}: {len(pairs)}-fold cross-validation over {size} points, {rule} mean "
        f"held-out {result.scoring} ({result.mean[index]:.6g} ± {result.se[index]:.2g} at point "
        f"{index}): {values}"
    )
    parts = PenaltyParts(chosen.l1_scale, chosen.l2_scale)
    symbols = {part: scale_symbol(kind, part) for part in kind.parts}
    columns: dict[str, Any] = {
        symbol: [float(getattr(point, part)) for point in grid] for part, symbol in symbols.items()
    }
    if row is not None:  # the penalty of each point on all rows, as the output names it
        on_all_rows = [penalty.penalty_params(row.name, point, sigma=noise, n=n) for point in grid]
        for key in on_all_rows[0]:
            columns[key] = [float(params[key]) for params in on_all_rows]
    columns["mean_loss"] = np.asarray(result.mean, dtype=float)
    columns["se"] = np.asarray(result.se, dtype=float)
    path = pd.DataFrame(columns, index=pd.RangeIndex(size, name="point"))
    values = {
        **{symbol: float(getattr(chosen, part)) for part, symbol in symbols.items()},
        "point": index,
        "rule": rule,
        "folds": len(pairs),
        "grid": size,
        "loss": result.scoring,
        "mean_loss": float(result.mean[index]),
        "se": float(result.se[index]),
    }
    return ScaleChoice(args.scale, _build(parts), kind, parts, text, values=values, path=path)


def _build(parts: PenaltyParts) -> Any:
    """Build the prior whose penalty has exactly these parts (the kind they make)."""
    made = priors.for_parts(parts.l1_scale, parts.l2_scale)
    return made.build(**{part: np.asarray(float(getattr(parts, part))) for part in made.parts})
