r"""`empirical_bayes`: choose a prior's scale by maximizing the marginal likelihood of the data.

Two methods, one return type (`EmpiricalBayes`):

- ``"evidence"`` — `bayesreg.models.linear` with a Normal$(m_0, \tau)$ prior: type-II maximum
  likelihood over $\tau$ (and $\sigma$ when it is not given), exactly, from the closed-form
  evidence of `bayesreg.select.ridge_evidence` (one SVD, then $O(p)$ per point); scikit-learn's
  ``BayesianRidge`` with its four Gamma hyperparameters 0 maximizes the same function of the
  centred data, without the intercept's lost degree of freedom.
- ``"mcem"`` — `bayesreg.models.bayesian_lasso`: the marginal maximum-likelihood $\lambda$ by
  Park & Casella's (2008, §3.1) Monte Carlo EM from NUTS draws (`bayesreg.select.mcem`).
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpyro.distributions as dist

from .. import models, priors
from .._compile import MODEL_LOCK
from .._validation import prepare_model_arguments
from ..map import ConvergenceWarning, MapResult, map_estimate
from ..sample import PosteriorResult
from ..sample.diagnostics import warnings_at_caller
from .mcem import lasso_start, monte_carlo_em
from .ridge_evidence import linear_spectrum, maximize_evidence

__all__ = ["EmpiricalBayes", "empirical_bayes"]

# Newton on the log evidence: a step in log(variance) below this is a relative error of about
# its square, far below the 1e-8 the correspondence checks need
_EVIDENCE_TOL = 1e-10
_EVIDENCE_MAX_ITER = 100
_MCEM_MAX_ITER = 20
_MCEM_SAMPLER = {"num_samples": 1000, "num_warmup": 500, "num_chains": 4}


@dataclass(frozen=True)
class EmpiricalBayes:
    """A prior scale chosen by (Monte Carlo) maximum marginal likelihood.

    Attributes
    ----------
    hyperparameters : dict of str to float
        The estimates: ``{"tau": ..., "sigma": ...}`` for `bayesreg.models.linear` (``"sigma"``
        only when it was estimated), ``{"lam": ...}`` for `bayesreg.models.bayesian_lasso`.
    fit : MapResult
        `bayesreg.map_estimate` at the estimates: the ridge MAP of ``models.linear``; for the
        Bayesian lasso the lasso MAP of ``models.linear`` with ``prior=laplace(sigma / lam)``
        and ``sigma`` the posterior median of sigma.
    method : str
        ``"evidence"`` (exact) or ``"mcem"`` (Monte Carlo EM).
    log_evidence : float or None
        The maximized log marginal likelihood (``"evidence"``; what
        ``bayesreg.log_evidence`` gives at the estimates), ``None`` for ``"mcem"``.
    mc_error : dict of str to float
        Monte Carlo standard error of each estimate (``"mcem"``); empty when exact.
    history : numpy.ndarray
        The iterates, shape ``(iterations + 1, len(hyperparameters))``, columns in the order of
        ``hyperparameters``, the estimate last.
    converged : bool
        Whether the iteration met its stopping rule.
    posterior : PosteriorResult or None
        The posterior drawn in the last Monte Carlo EM iteration (at the last iterate before the
        estimate), ``None`` for ``"evidence"``.
    """

    hyperparameters: dict[str, float]
    fit: MapResult
    method: str
    log_evidence: float | None = None
    mc_error: dict[str, float] = field(default_factory=dict)
    history: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    converged: bool = True
    posterior: PosteriorResult | None = None

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value:.6g}" for name, value in self.hyperparameters.items())
        return (
            f"EmpiricalBayes({shown}, method={self.method!r}, converged={self.converged}, "
            f"iterations={len(self.history) - 1})"
        )


def _bind(model: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Return the model's arguments by name (no defaults added), checked as map_estimate does."""
    with MODEL_LOCK:
        args, kwargs, feature_names = prepare_model_arguments(model, args, kwargs)
    try:
        bound = inspect.signature(model).bind_partial(*args, **kwargs)
    except TypeError as error:
        raise TypeError(f"empirical_bayes({model.__name__}, ...): {error}.") from None
    named = dict(bound.arguments)
    if named.get("y") is None:
        raise ValueError("empirical_bayes needs the observed response y; got y=None.")
    if feature_names is not None:
        named["feature_names"] = feature_names
    named["X"] = np.asarray(named["X"], dtype=float)
    named["y"] = np.asarray(named["y"], dtype=float)
    X, y = named["X"], named["y"]
    if X.ndim != 2 or y.ndim != 1 or len(y) != len(X):
        raise ValueError(
            f"X must be 2-d (n, p) and y 1-d with n entries; got X {X.shape} and y {y.shape}."
        )
    return named


def _flat_intercept(intercept: Any, what: str) -> bool:
    if isinstance(intercept, bool):
        return intercept
    raise ValueError(
        f"{what} takes intercept=True (flat, integrated out exactly) or False (none); got "
        f"{intercept!r}. A prior on the intercept has no closed form here: use log_evidence "
        "on a grid of scales instead."
    )


def _normal_prior(prior: Any) -> tuple[float | None, np.ndarray | float]:
    """Return the start scale and the centre of a Normal prior with one scale, else refuse."""
    if prior is None:
        return None, 0.0
    kind = priors.kind_of(prior)
    base, mask = priors.unwrap(prior) if isinstance(prior, dist.Distribution) else (prior, True)
    if kind is None or kind.parts != ("l2_scale",) or mask is not True:
        named = kind.name if kind is not None else type(prior).__name__
        raise ValueError(
            f"empirical_bayes(models.linear, ...) maximizes the closed-form evidence of a "
            f"Normal prior with one scale; got prior {named}. Use prior=models.gaussian(start) "
            "(start: the initial tau), or empirical_bayes(models.bayesian_lasso, X, y) for a "
            "Laplace prior, or cv_path for any prior."
        )
    parts = kind.penalty_parts(base)
    scale = np.asarray(parts.l2_scale, dtype=float)
    if scale.size != 1:
        raise ValueError(
            f"empirical_bayes estimates one prior scale shared by every weight; got "
            f"{scale.size} scales. Give prior=models.gaussian(start) with a single number."
        )
    return float(scale.reshape(())), np.asarray(parts.loc, dtype=float)


def _known_sigma(sigma: Any) -> float | None:
    if sigma is None:
        return None
    if isinstance(sigma, dist.Distribution) or isinstance(sigma, priors.RandomScale):
        raise ValueError(
            "empirical_bayes(models.linear, ...) estimates sigma by maximum marginal "
            "likelihood when sigma is omitted, or holds a given number fixed; got a "
            f"distribution ({type(sigma).__name__}). Omit sigma, or use sample_posterior for a "
            "prior on it."
        )
    value = np.asarray(sigma, dtype=float)
    if value.size != 1 or not np.isfinite(value).all() or float(value.reshape(())) <= 0:
        raise ValueError(f"sigma must be one positive number (or omitted); got {sigma!r}.")
    return float(value.reshape(()))


def _evidence_method(named: dict[str, Any], *, max_iter: int | None, tol: float | None):
    X, y = named["X"], named["y"]
    named.pop("sufficient_statistics", None)  # the same density; the closed form needs none
    tau, loc = _normal_prior(named.get("prior"))
    sigma = _known_sigma(named.get("sigma"))
    intercept = _flat_intercept(named.get("intercept", True), "empirical_bayes(models.linear)")
    loc = np.broadcast_to(loc, X.shape[1]).astype(float)
    spec = linear_spectrum(X, y - X @ loc, intercept=intercept)
    total = spec.residual + float(np.sum(spec.coords**2))
    if total == 0.0:
        raise ValueError(
            "y is constant (after the intercept and the prior mean): it carries no information "
            "about the prior scale."
        )
    # a start that splits the variance of y evenly between noise and the weights' prior
    sigma2 = sigma**2 if sigma is not None else 0.5 * total / spec.dof
    tau2 = tau**2 if tau is not None else 0.5 * total / float(np.sum(spec.squares))
    best = maximize_evidence(
        spec,
        sigma2=sigma2,
        tau2=tau2,
        sigma_free=sigma is None,
        max_iter=_EVIDENCE_MAX_ITER if max_iter is None else max_iter,
        tol=_EVIDENCE_TOL if tol is None else tol,
    )
    hyper = {"tau": math.sqrt(best.tau2)}
    columns = [np.sqrt(best.history[:, 1])]
    if sigma is None:
        hyper["sigma"] = math.sqrt(best.sigma2)
        columns.append(np.sqrt(best.history[:, 0]))
    if not best.converged:
        warnings.warn(
            f"empirical_bayes: Newton's method on the log evidence did not converge in "
            f"{len(best.history) - 1} iterations; the estimates may be off. Increase max_iter.",
            ConvergenceWarning,
            stacklevel=3,
        )
    kind = priors.for_parts(None, hyper["tau"])  # the kind whose penalty is L2 alone: Normal
    fit_kwargs = {k: v for k, v in named.items() if k not in ("X", "y")}
    fit_kwargs.update(
        prior=kind.build(l2_scale=hyper["tau"], loc=loc if np.any(loc) else 0.0),
        sigma=math.sqrt(best.sigma2),
        intercept=intercept,
    )
    fit = map_estimate(models.linear, X, y, **fit_kwargs)
    return EmpiricalBayes(
        hyperparameters=hyper,
        fit=fit,
        method="evidence",
        log_evidence=spec.log_evidence(best.sigma2, best.tau2),
        history=np.column_stack(columns),
        converged=best.converged,
    )


def _lam_start(lam: Any, X: np.ndarray, y: np.ndarray, intercept: bool) -> float:
    if lam is None:
        return lasso_start(X, y, intercept=intercept)
    if isinstance(lam, dist.Distribution):
        raise ValueError(
            "empirical_bayes(models.bayesian_lasso, ...) estimates lam, so lam is its starting "
            f"value (a positive number) or omitted; got a prior ({type(lam).__name__}). For "
            "full Bayes with a prior on lam² use sample_posterior."
        )
    value = np.asarray(lam, dtype=float)
    if value.size != 1 or not np.isfinite(value).all() or float(value.reshape(())) <= 0:
        raise ValueError(f"lam (the starting value) must be one positive number; got {lam!r}.")
    return float(value.reshape(()))


def _mcem_method(named: dict[str, Any], *, seed: int, max_iter, tol, sampler: dict[str, Any]):
    X, y = named.pop("X"), named.pop("y")
    intercept = named.get("intercept", True)
    start = _lam_start(named.pop("lam", None), X, y, intercept is not False)
    answer = monte_carlo_em(
        (X, y),
        named,
        lam=start,
        seed=seed,
        max_iter=_MCEM_MAX_ITER if max_iter is None else max_iter,
        tol=0.0 if tol is None else tol,
        sampler=sampler,
    )
    if not answer.converged:
        warnings.warn(
            f"empirical_bayes: Monte Carlo EM did not converge in {len(answer.history) - 1} "
            "iterations (the EM residual is still beyond two Monte Carlo standard errors). "
            "Increase max_iter or num_samples.",
            ConvergenceWarning,
            stacklevel=3,
        )
    sigma = float(np.median(np.asarray(answer.posterior.samples["sigma"])))
    fit = map_estimate(
        models.linear, X, y, prior=models.laplace(sigma / answer.lam), sigma=sigma, **named
    )
    return EmpiricalBayes(
        hyperparameters={"lam": answer.lam},
        fit=fit,
        method="mcem",
        mc_error={"lam": answer.mc_error},
        history=answer.history[:, None],
        converged=answer.converged,
        posterior=answer.posterior,
    )


def empirical_bayes(
    model: Callable[..., Any],
    *args: Any,
    seed: int = 0,
    max_iter: int | None = None,
    tol: float | None = None,
    num_samples: int | None = None,
    num_warmup: int | None = None,
    num_chains: int | None = None,
    progress_bar: bool = False,
    **kwargs: Any,
) -> EmpiricalBayes:
    r"""Choose the prior scale by maximizing the marginal likelihood (type-II maximum likelihood).

    - ``empirical_bayes(models.linear, X, y, prior=models.gaussian(start), sigma=...)``:
      maximizes the exact log evidence (`bayesreg.log_evidence`) over the Normal prior's
      $\tau$, and over $\sigma$ when ``sigma`` is omitted (a number is held fixed). ``prior``
      is optional (its scale is only the start). With the flat intercept the evidence is that
      of the centred data with $n - 1$ degrees of freedom (`bayesreg.select.ridge_evidence`
      derives it); ``intercept=False`` uses the data as they are. Newton's method in
      $(\log\tau^2, \log\sigma^2)$ to a relative error of about ``tol²``.
    - ``empirical_bayes(models.bayesian_lasso, X, y, lam=start)``: the marginal
      maximum-likelihood $\lambda$ of Park & Casella (2008, §3.1) by Monte Carlo EM, each
      iteration a NUTS run (`bayesreg.select.mcem`); ``lam`` is the start (default: their
      least-squares value). The estimate carries its Monte Carlo standard error.

    Parameters
    ----------
    model : callable
        `bayesreg.models.linear` (Normal prior) or `bayesreg.models.bayesian_lasso`.
    *args, **kwargs
        The model's arguments (``X, y``, ``prior``, ``sigma``, ``intercept``, ``lam``,
        ``feature_names``), checked as `bayesreg.map_estimate` checks them.
    seed : int
        Seed of the Monte Carlo EM draws (iteration ``k`` uses ``seed + k``); the evidence
        method is deterministic.
    max_iter : int, optional
        Most iterations: Newton steps (default 100) or EM iterations (default 20).
    tol : float, optional
        Evidence: the largest Newton step in log-variance at convergence (default 1e-10).
        Monte Carlo EM: also stop when the EM residual is within ``tol`` relative to
        $\lambda$ (by default only when it is within two Monte Carlo standard errors of 0).
    num_samples, num_warmup, num_chains : int, optional
        NUTS draws per chain (default 1000), warmup (500) and chains (4) of each EM iteration
        (Monte Carlo EM only).
    progress_bar : bool
        Show the sampler's progress (Monte Carlo EM only).

    Returns
    -------
    EmpiricalBayes
        ``hyperparameters``, ``fit`` (the MAP there), ``log_evidence``, ``mc_error``,
        ``history``, ``converged``, ``posterior``.

    Raises
    ------
    ValueError
        Another model, a prior that is not Normal with one scale, a prior on sigma or on the
        intercept, an evidence without a maximum (``y`` fitted exactly with sigma free, or the
        maximum at tau -> 0 or sigma -> 0), sampler options given to the evidence method.

    Notes
    -----
    The evidence method's ``sigma`` and ``tau`` are scikit-learn's ``BayesianRidge`` with
    ``alpha_1 = alpha_2 = lambda_1 = lambda_2 = 0`` and ``fit_intercept=False`` on centred data
    with ``intercept=False`` here: ``alpha_ = 1/sigma²``, ``lambda_ = 1/tau²``. With the
    intercept, ``BayesianRidge`` keeps $n$ degrees of freedom where the flat intercept leaves
    $n - 1$, so its estimates differ slightly (the exact ones are those here).

    Examples
    --------
    >>> import bayesreg as br
    >>> from sklearn.datasets import load_diabetes
    >>> X, y = load_diabetes(return_X_y=True)
    >>> eb = br.empirical_bayes(br.models.linear, X, y, prior=br.models.gaussian(10.0))
    >>> round(eb.hyperparameters["sigma"], 1), round(eb.hyperparameters["tau"], 1)
    (54.2, 295.3)
    """
    sampler = {"num_samples": num_samples, "num_warmup": num_warmup, "num_chains": num_chains}
    method = _METHODS.get(model) if callable(model) else None
    if method is None:
        name = getattr(model, "__name__", type(model).__name__)
        raise ValueError(
            f"empirical_bayes supports models.linear (a Normal prior: exact type-II maximum "
            f"likelihood) and models.bayesian_lasso (Monte Carlo EM for lam); got {name}. For "
            "another model choose the scale with cv_path or give it a hyperprior."
        )
    named = _bind(model, args, kwargs)
    if method is _evidence_method:
        given = [name for name, value in sampler.items() if value is not None]
        if given:
            raise ValueError(
                f"{', '.join(given)} apply to Monte Carlo EM (models.bayesian_lasso) only; "
                "the evidence of models.linear is exact. Remove them."
            )
        return _evidence_method(named, max_iter=max_iter, tol=tol)
    options = {k: (_MCEM_SAMPLER[k] if v is None else v) for k, v in sampler.items()}
    options["progress_bar"] = progress_bar
    with warnings_at_caller("Monte Carlo EM: "):  # the sampler's warnings point at the caller
        return method(named, seed=seed, max_iter=max_iter, tol=tol, sampler=options)


# one method per supported model: the closed-form evidence, or Monte Carlo EM
_METHODS: dict[Callable[..., Any], Callable[..., EmpiricalBayes]] = {
    models.linear: _evidence_method,
    models.bayesian_lasso: _mcem_method,
}
