"""The public models `linear`, `logistic` and `poisson`: the GLM body with one family each."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpyro.distributions as dist

from .._trace import is_concrete
from .._types import ArrayLike
from ..data.statistics import GaussianStatistics, gaussian_statistics
from .families import BERNOULLI_LIKELIHOOD, GAUSSIAN_LIKELIHOOD, POISSON_LIKELIHOOD
from .glm import glm_model
from .reduction import STATISTICS_MAX_FEATURES

__all__ = ["linear", "logistic", "poisson", "reduce_linear_arguments"]


def linear(
    X: ArrayLike,
    y: ArrayLike | None = None,
    *,
    prior: dist.Distribution,
    sigma: float | dist.Distribution = 1.0,
    intercept: bool | dist.Distribution = True,
    feature_names: Sequence[str] | None = None,
    sufficient_statistics: GaussianStatistics | None = None,
) -> None:
    r"""Bayesian linear regression ``y ~ Normal(intercept + X @ coef, sigma)``.

    With known ``sigma`` the negative log posterior is, up to a constant,
    ``RSS / (2 sigma²) - sum log prior(coef)`` (RSS not divided by ``n``): a Normal(0, tau)
    prior gives ``Ridge(alpha=sigma²/tau²)`` and a Laplace(0, b) prior gives
    ``Lasso(alpha=sigma²/(n b))`` (scikit-learn's lasso objective is ``RSS/(2n) + alpha·|w|₁``).

    Parameters
    ----------
    X : ArrayLike
        Design matrix, shape ``(n, p)``.
    y : ArrayLike, optional
        Response, shape ``(n,)``; ``None`` draws it (prediction).
    prior : numpyro.distributions.Distribution
        Prior of each weight (e.g. `laplace`), or a multivariate prior with event
        shape ``(p,)``.
    sigma : float or Distribution
        Known noise standard deviation (> 0), or a prior on it (sampled as site ``"sigma"``).
    intercept : bool or Distribution
        ``True``: flat, unpenalized intercept; ``False``: none; a distribution: that prior.
    feature_names : sequence of str, optional
        Names of the columns, used as ArviZ coordinates of the ``"features"`` plate.
    sufficient_statistics : GaussianStatistics, optional
        `gaussian_statistics` of ``(X, y)``. When given (and ``y`` is), the likelihood is
        one ``numpyro.factor`` site ``"y"`` computed from them in ``O(p²)``, the same density as
        the per-observation ``Normal`` sites (to rounding). `bayesreg.map_estimate` and
        `bayesreg.sample_posterior` fill it in themselves when ``n > p`` (pointwise
        log-likelihoods still come from the per-observation form); there is no need to pass it.

    Notes
    -----
    ``linear.reduce_arguments`` is `reduce_linear_arguments`: the capability by which
    `bayesreg.models.reduced_arguments` (and so the MAP and the sampler) find the statistics
    form. A user's model may declare the same attribute.

    Examples
    --------
    >>> import numpy as np, bayesreg as br
    >>> X, y = np.random.default_rng(0).normal(size=(20, 3)), np.arange(20.0)
    >>> fit = br.map_estimate(br.models.linear, X, y, prior=br.models.laplace(1.0), sigma=2.0)
    >>> sorted(fit.params)
    ['coef', 'intercept']
    """
    glm_model(
        GAUSSIAN_LIKELIHOOD,
        X,
        y,
        prior=prior,
        intercept=intercept,
        feature_names=feature_names,
        noise=sigma,
        sufficient_statistics=sufficient_statistics,
    )


def reduce_linear_arguments(
    args: tuple,
    kwargs: dict[str, Any],
    *,
    min_rows_per_feature: float = 1.0,
    max_features: int = STATISTICS_MAX_FEATURES,
) -> tuple[tuple, dict[str, Any]] | None:
    """``(args, kwargs)`` that make `linear` use `GaussianStatistics`, or ``None``.

    Applies with observed ``y``, one noise scale for every observation (a float or a scalar
    prior), ``n > min_rows_per_feature * (p + 1)`` and ``p <= max_features``. The log density is
    the same function of the parameters (to rounding); only its cost changes. This is
    ``linear.reduce_arguments``, called through `bayesreg.models.reduced_arguments`.
    """
    if "sufficient_statistics" in kwargs or len(args) > 2:
        return None
    X = args[0] if args else kwargs.get("X")
    y = args[1] if len(args) > 1 else kwargs.get("y")
    if X is None or y is None or not (is_concrete(X) and is_concrete(y)):
        return None
    if np.ndim(X) != 2 or np.ndim(y) != 1 or np.shape(y)[0] != np.shape(X)[0]:
        return None  # the model itself reports the mistake
    n, p = np.shape(X)
    if p > max_features or n <= min_rows_per_feature * (p + 1):
        return None
    sigma = kwargs.get("sigma", 1.0)
    if isinstance(sigma, dist.Distribution):
        if sigma.batch_shape != () or sigma.event_shape != ():
            return None
    elif np.ndim(sigma) != 0:
        return None
    return args, {**kwargs, "sufficient_statistics": gaussian_statistics(X, y)}


linear.reduce_arguments = reduce_linear_arguments


def logistic(
    X: ArrayLike,
    y: ArrayLike | None = None,
    *,
    prior: dist.Distribution,
    intercept: bool | dist.Distribution = True,
    feature_names: Sequence[str] | None = None,
) -> None:
    r"""Bayesian logistic regression ``y ~ Bernoulli(logit = intercept + X @ coef)``.

    The negative log posterior is ``sum logloss - sum log prior(coef)``: a Normal(0, tau) prior is
    ``LogisticRegression(C=tau², l1_ratio=0)`` and a Laplace(0, b) prior is
    ``LogisticRegression(C=b, l1_ratio=1)`` (scikit-learn minimizes ``C·sum logloss + r(w)``).
    ``y`` holds 0/1 labels. Parameters as in `linear`.
    """
    glm_model(
        BERNOULLI_LIKELIHOOD,
        X,
        y,
        prior=prior,
        intercept=intercept,
        feature_names=feature_names,
    )


def poisson(
    X: ArrayLike,
    y: ArrayLike | None = None,
    *,
    prior: dist.Distribution,
    intercept: bool | dist.Distribution = True,
    feature_names: Sequence[str] | None = None,
) -> None:
    r"""Bayesian Poisson regression ``y ~ Poisson(exp(intercept + X @ coef))``.

    The negative log posterior is ``sum (exp(eta) - y·eta) - sum log prior(coef)`` up to a
    constant, i.e. ``n`` times scikit-learn's ``(1/(2n))·sum deviance``; a Normal(0, tau) prior is
    ``PoissonRegressor(alpha=1/(n tau²))``. Parameters as in `linear`.

    ``y`` holds non-negative counts or, as ``PoissonRegressor`` accepts, any non-negative real
    values (rates, frequencies); negative, NaN or infinite values are refused. Each observation's
    log-likelihood is ``y·eta - exp(eta) - lgamma(y + 1)``, the Poisson log mass on counts. On
    non-integer ``y`` it is a quasi-log-likelihood: the MAP is still exactly
    ``PoissonRegressor``'s, and the posterior is a quasi-likelihood posterior (it treats each
    value as a count, variance equal to the mean). Predictive draws of ``y`` are integer counts.
    """
    glm_model(
        POISSON_LIKELIHOOD,
        X,
        y,
        prior=prior,
        intercept=intercept,
        feature_names=feature_names,
    )
