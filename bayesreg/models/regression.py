"""The public models `linear`, `logistic` and `poisson`: the GLM body with one family each."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist

from .._trace import is_concrete
from .._types import ArrayLike
from ..data.statistics import GaussianStatistics, gaussian_statistics
from ..priors import GibbsTarget, gibbs_prior
from .families import BERNOULLI_LIKELIHOOD, GAUSSIAN_LIKELIHOOD, POISSON_LIKELIHOOD
from .glm import gibbs_design, glm_model
from .reduction import STATISTICS_MAX_FEATURES

__all__ = [
    "default_noise_prior",
    "linear",
    "linear_gibbs_target",
    "logistic",
    "poisson",
    "reduce_linear_arguments",
    "resolve_linear_arguments",
]


def linear(
    X: ArrayLike,
    y: ArrayLike | None = None,
    *,
    prior: dist.Distribution,
    sigma: float | dist.Distribution | None = None,
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
    prior : numpyro.distributions.Distribution or ShrinkagePrior
        Prior of each weight (e.g. `laplace`), a multivariate prior with event
        shape ``(p,)``, or a shrinkage prior (`horseshoe`, `horseshoe_plus`,
        `regularized_horseshoe`, `student_t`, `r2d2`; `bayesreg.priors.shrinkage`), whose
        scales, but for `student_t`, are in units of ``sigma``.
    sigma : float or Distribution, optional
        Known noise standard deviation (> 0), or a prior on it (sampled as site ``"sigma"``).
        Default ``None``: the noise sd is unknown and gets the weakly informative prior
        `default_noise_prior` of the observed ``y``, ``HalfNormal(sd(y))`` (in the units of
        ``y``; rstanarm scales its default noise prior by ``sd(y)`` in the same way).
        `bayesreg.map_estimate`, `bayesreg.map_path` and `bayesreg.sample_posterior` write
        that prior into their result's ``kwargs``, so the output states what was assumed and
        predictions reuse it. With ``y=None`` (prediction) there is no ``y`` to scale it by:
        give ``sigma`` (``result.kwargs["sigma"]`` of a fit).
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

    Without ``sigma`` the noise sd is estimated under a prior scaled to ``y``:

    >>> fit = br.map_estimate(br.models.linear, X, y, prior=br.models.laplace(1.0))
    >>> sorted(fit.params), type(fit.kwargs["sigma"]).__name__
    (['coef', 'intercept', 'sigma'], 'HalfNormal')
    """
    if sigma is None:
        sigma = default_noise_prior(y)
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


def default_noise_prior(y: ArrayLike | None) -> dist.HalfNormal:
    """Return the default prior of an unknown noise sd: ``HalfNormal(sd(y))``.

    A weakly informative prior in the units of ``y``: its median, ``0.67 sd(y)``, is a noise
    level of the order of the response's own spread, and it leaves room for any residual sd from
    0 to a few ``sd(y)`` (``sd`` with ``ddof=0``; ``1.0`` for a constant ``y``). The observed
    ``y`` fixes it, so no value of the noise is assumed; the data estimate it.

    Raises
    ------
    ValueError
        If ``y`` is ``None`` (a prediction call): there is nothing to scale the prior by.
    """
    if y is None:
        raise ValueError(
            "sigma=None gives the noise sd a HalfNormal(sd(y)) prior scaled to the observed y, "
            "and y is None here (a prediction or prior-predictive call). Give sigma: a number, a "
            "prior such as numpyro.distributions.HalfNormal(10.0), or the one a fit used "
            '(result.kwargs["sigma"]).'
        )
    if is_concrete(y):
        values = np.asarray(y, dtype=float)
        spread = float(np.std(values)) if values.size else 0.0  # no rows: the model says so
        return dist.HalfNormal(spread if spread > 0 else 1.0)
    spread = jnp.std(jnp.asarray(y))  # traced (e.g. the folds of a compiled cv_path)
    return dist.HalfNormal(jnp.where(spread > 0, spread, 1.0))


def resolve_linear_arguments(args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Return ``kwargs`` with the default noise prior written out (``linear.resolve_arguments``).

    ``sigma`` absent or ``None`` with a concrete observed ``y`` becomes `default_noise_prior`
    of ``y``: the same density, with the assumption stated in the result's ``kwargs`` (and usable
    for predictions, where ``y`` is ``None``). Anything else is returned unchanged.
    """
    if kwargs.get("sigma") is not None:
        return kwargs
    y = args[1] if len(args) > 1 else kwargs.get("y")
    if y is None or not is_concrete(y):
        return kwargs
    return {**kwargs, "sigma": default_noise_prior(y)}


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
    sigma = kwargs.get("sigma")
    if sigma is None:
        pass  # the default noise prior: one scalar prior, fine for the statistics form
    elif isinstance(sigma, dist.Distribution):
        if sigma.batch_shape != () or sigma.event_shape != ():
            return None
    elif np.ndim(sigma) != 0:
        return None
    return args, {**kwargs, "sufficient_statistics": gaussian_statistics(X, y)}


def linear_gibbs_target(args: tuple, kwargs: dict[str, Any]) -> GibbsTarget | str:
    """`linear` as a `bayesreg.priors.GibbsTarget`, or why the Gibbs sampler does not apply.

    Applies with an observed ``y``, a flat intercept or none, ``sigma`` a number or a scalar
    prior (the default ``HalfNormal(sd(y))`` included), and a prior with Gibbs conditionals
    (`bayesreg.priors.gibbs_prior`). This is ``linear.gibbs_target``, called through
    `bayesreg.models.gibbs_target`.
    """
    design = gibbs_design(args, kwargs)
    if isinstance(design, str):
        return design
    X, y, intercept = design
    sigma = kwargs.get("sigma")
    if sigma is None:
        sigma = default_noise_prior(y)
    if isinstance(sigma, dist.Distribution):
        if sigma.batch_shape != () or sigma.event_shape != ():
            return "the Gibbs sampler takes one noise sd (a scalar prior on sigma)"
    elif np.ndim(sigma) != 0:
        return "the Gibbs sampler takes one noise sd (a number or a scalar prior), not one per row"
    found = gibbs_prior(kwargs.get("prior"))
    if isinstance(found, str):
        return found
    return GibbsTarget(
        X=jnp.asarray(X, dtype=float),
        y=jnp.asarray(y, dtype=float),
        intercept=intercept is True,
        noise=sigma,
        prior=found,
    )


linear.reduce_arguments = reduce_linear_arguments
linear.resolve_arguments = resolve_linear_arguments
linear.gibbs_target = linear_gibbs_target


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
