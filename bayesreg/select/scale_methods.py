r"""How each method of `bayesreg.select.scale.select_scale` chooses a prior scale.

Each method is a function of the `Problem` (the model, the data, the prior kind, the grid)
returning ``(scale, how, result)``: the chosen scale (``None`` when the method found none;
then ``how`` says why), how it was chosen in words, and the method's own result. `RUNNERS`
holds the methods that choose before the one cross-validation run (the CV minimum and 1-SE
choose from it); `not_applicable` says which methods do not apply to a problem, and why.
Prior kinds are asked of `bayesreg.priors`, never named.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import numpyro.distributions as dist

from .. import models, priors
from ..sample import PosteriorResult, sample_posterior
from .evidence import log_evidence

__all__ = ["METHODS", "RUNNERS", "Problem", "not_applicable"]

#: the methods, in the order of the table, with how each reads
METHODS: dict[str, str] = {
    "cv_min": "CV minimum",
    "cv_1se": "CV 1-SE",
    "evidence": "empirical Bayes (evidence)",
    "mcem": "MCEM (Bayesian lasso)",
    "hyperprior": "hyperprior median",
    "loo": "LOO best",
}


class Problem(NamedTuple):
    """What every method is given: the model, the data, the prior kind and the grid."""

    model: Callable
    X: np.ndarray
    y: np.ndarray
    kind: priors.PriorKind
    symbol: str
    grid: np.ndarray
    fixed: dict[str, Any]  # the model's fixed keywords (sigma, feature_names)
    seed: int
    loo_points: int
    sampling: dict[str, int]  # num_samples, num_warmup, num_chains of every posterior

    def build(self, scale: Any) -> Any:
        """Return the prior of this kind at ``scale`` (a number, or a hyperprior distribution)."""
        return self.kind.build(**{self.kind.parts[0]: scale})


def not_applicable(problem: Problem) -> dict[str, str]:
    """Return each method that does not apply -> why (the others run)."""
    notes = {}
    try:
        log_evidence(problem.model, problem.X, problem.y, prior=problem.build(1.0),
                     **problem.fixed)  # fmt: skip
    except ValueError as error:
        reason = str(error).split(": ", 1)[-1].split(";")[0].rstrip(".")
        notes["evidence"] = (
            "the exact evidence needs a Normal prior and a Gaussian likelihood with known sigma "
            f"(log_evidence: {reason})"
        )
    # the Bayesian lasso's weights have a Laplace(0, sigma/lam) prior: MCEM chooses that kind
    if problem.kind is not priors.kind_of(dist.Laplace(0.0, 1.0)) or "sigma" not in problem.fixed:
        notes["mcem"] = (
            "Monte Carlo EM is for the Bayesian lasso (Park & Casella 2008): a Laplace prior "
            "and a Gaussian likelihood"
        )
    return notes


def _by_evidence(problem: Problem) -> tuple[float, str, tuple]:
    from .empirical import empirical_bayes

    model, X, y, symbol = problem.model, problem.X, problem.y, problem.symbol
    curve = np.array(
        [log_evidence(model, X, y, prior=problem.build(s), **problem.fixed) for s in problem.grid]
    )
    start = float(problem.grid[int(np.argmax(curve))])
    result = empirical_bayes(model, X, y, prior=problem.build(start), seed=problem.seed,
                             **problem.fixed)  # fmt: skip
    how = (
        f"{symbol} maximizing the exact evidence (empirical_bayes from the best grid point, "
        f"{symbol} = {start:.4g}), sigma held at the value above"
    )
    return float(result.hyperparameters[symbol]), how, (curve, result)


def _by_mcem(problem: Problem) -> tuple[float, str, Any]:
    from .empirical import empirical_bayes

    result = empirical_bayes(
        models.bayesian_lasso, problem.X, problem.y, seed=problem.seed,
        feature_names=problem.fixed["feature_names"], **problem.sampling,
    )  # fmt: skip
    lam, sigma = float(result.hyperparameters["lam"]), problem.fixed["sigma"]
    error = result.mc_error.get("lam")
    shown = f" ± {error:.2g}" if error is not None else ""
    how = (
        f"Park & Casella's lambda = {lam:.4g}{shown} by Monte Carlo EM; "
        f"{problem.symbol} = sigma / lambda = {sigma:.4g} / {lam:.4g}"
    )
    return sigma / lam, how, result


def _by_hyperprior(problem: Problem) -> tuple[float, str, PosteriorResult]:
    c = float(np.sqrt(problem.grid[0] * problem.grid[-1]))
    random = problem.build(dist.HalfCauchy(c))
    posterior = sample_posterior(
        problem.model, problem.X, problem.y, prior=random, seed=problem.seed,
        **problem.sampling, **problem.fixed,
    )  # fmt: skip
    draws = np.asarray(posterior.samples[random.site_names[0]])
    symbol, sampling = problem.symbol, problem.sampling
    how = (
        f"posterior median of {symbol} under {symbol} ~ HalfCauchy({c:.4g}) (c the grid's "
        f"geometric midpoint), {sampling['num_chains']} x {sampling['num_samples']} draws "
        f"({posterior.method})"
    )
    return float(np.median(draws)), how, posterior


def _by_loo(problem: Problem) -> tuple[float, str, tuple]:
    from .loo import loo_path

    grid = problem.grid
    at = np.unique(np.round(np.linspace(0, len(grid) - 1, min(problem.loo_points, len(grid)))))
    scales = grid[at.astype(int)]
    try:
        loo = loo_path(problem.model, problem.X, problem.y,
                       path={"prior": [problem.build(float(s)) for s in scales]},
                       seed=problem.seed, **problem.sampling, **problem.fixed)  # fmt: skip
    except ValueError as error:
        if "PSIS-LOO gave no estimate" not in str(error):
            raise
        return None, str(error), None  # left out of the table with the reason
    sampling = problem.sampling
    how = (
        f"largest PSIS-LOO elpd on {len(scales)} of the {len(grid)} grid points (each a "
        f"posterior, {sampling['num_chains']} x {sampling['num_samples']} draws)"
    )
    # ArviZ gives no estimate (NaN) where the importance ratios break down (Pareto k >> 0.7);
    # loo_path's best_index is the largest finite elpd
    missing = ~np.isfinite(loo.elpd)
    if np.any(missing):
        shown = ", ".join(f"{s:.3g}" for s in scales[missing])
        how += f"; no estimate (NaN elpd, Pareto k > 0.7) at {problem.symbol} = {shown}"
    return float(scales[loo.best_index]), how, (scales, loo)


#: the methods that choose a scale before the CV run (the CV ones choose from it)
RUNNERS: dict[str, Callable[[Problem], tuple]] = {
    "evidence": _by_evidence,
    "mcem": _by_mcem,
    "hyperprior": _by_hyperprior,
    "loo": _by_loo,
}
