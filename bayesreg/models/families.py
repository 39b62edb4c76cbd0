"""Likelihood families of the GLM body, as NamedTuples of functions.

A `Family` says what `bayesreg.models.glm_model` needs to know about a likelihood: how to check
observed responses, how to turn the model's noise argument into a value (sampling a site if it is
a prior), the distribution of ``y`` given the linear predictor ``eta``, and, optionally, the
log-likelihood from sufficient statistics. A new likelihood (negative binomial, Student-t, ...)
is a new `Family` here and a three-line model function in `bayesreg.models.regression`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from jax.scipy.special import gammaln
from numpyro.distributions import constraints
from numpyro.distributions.util import validate_sample

from .._trace import is_concrete
from .._types import Array
from ..data.statistics import gaussian_log_likelihood
from ..priors.base import check_scale

__all__ = [
    "BERNOULLI_LIKELIHOOD",
    "GAUSSIAN_LIKELIHOOD",
    "POISSON_LIKELIHOOD",
    "Family",
]


class Family(NamedTuple):
    """A likelihood family: the functions the GLM body calls.

    Attributes
    ----------
    name : str
        Names the family in messages.
    distribution : callable
        ``(eta, noise) -> numpyro.distributions.Distribution`` of each ``y`` given its linear
        predictor (``noise`` is ``None`` for a family without one).
    check_response : callable, optional
        ``(y) -> None``, raising ``ValueError`` on observed values the family cannot model;
        called only on concrete ``y``, before anything else is checked.
    noise : callable, optional
        ``(argument) -> noise``: the model's noise argument (a number, checked, or a prior,
        sampled as a site) as the value ``distribution`` receives.
    statistics_log_likelihood : callable, optional
        ``(statistics, coef, offset, noise) -> log-likelihood`` of all observations from their
        sufficient statistics, the same density as the per-observation sites (to rounding).
    """

    name: str
    distribution: Callable[[Array, Any], dist.Distribution]
    check_response: Callable[[Any], None] | None = None
    noise: Callable[[Any], Any] | None = None
    statistics_log_likelihood: Callable[..., Array] | None = None


def _gaussian_noise(sigma: float | dist.Distribution) -> Any:
    if isinstance(sigma, dist.Distribution):
        return numpyro.sample("sigma", sigma)
    if is_concrete(sigma):
        check_scale(sigma, "sigma")
    return sigma


def _normal(eta: Array, noise: Any) -> dist.Distribution:
    return dist.Normal(eta, noise)


def _check_labels(y: Any) -> None:
    labels = jnp.asarray(y)
    if not bool(jnp.all((labels == 0) | (labels == 1))):
        raise ValueError("y must hold only 0/1 labels for the logistic model.")


def _bernoulli(eta: Array, noise: Any) -> dist.Distribution:
    return dist.Bernoulli(logits=eta)


def _check_poisson_response(y: Any) -> None:
    values = jnp.asarray(y)
    bad = ~(jnp.isfinite(values) & (values >= 0))
    if bool(jnp.any(bad)):
        first = int(jnp.argmax(bad))
        raise ValueError(
            "y must hold finite non-negative values for the Poisson model (counts, or rates and "
            "frequencies, as scikit-learn's PoissonRegressor accepts); got "
            f"y[{first}] = {float(values[first])!r} ({int(jnp.sum(bad))} such value(s)). Drop "
            "or correct those rows; a response that can be negative needs the linear model."
        )


class _RealPoisson(dist.Poisson):
    r"""``Poisson(exp(log_rate))`` whose log density extends to every real ``y >= 0``.

    ``log p(y) = y·log_rate - exp(log_rate) - lgamma(y + 1)``: the Poisson log mass on counts
    and, on non-integer ``y`` (rates, frequencies), a quasi-log-likelihood equal to minus
    scikit-learn's half Poisson deviance up to terms free of the rate, so the MAP is
    ``PoissonRegressor``'s. It is computed from ``log_rate`` itself, so no ``log(exp(eta))``
    underflows. Draws are integer counts, as from `numpyro.distributions.Poisson`.
    """

    support = constraints.nonnegative
    pytree_data_fields = ("log_rate",)

    def __init__(self, log_rate: Array, *, validate_args: bool | None = None) -> None:
        self.log_rate = log_rate
        super().__init__(jnp.exp(log_rate), validate_args=validate_args)

    @validate_sample
    def log_prob(self, value: Array) -> Array:
        value = jnp.asarray(value, jnp.result_type(float))
        return value * self.log_rate - self.rate - gammaln(value + 1.0)


def _poisson(eta: Array, noise: Any) -> dist.Distribution:
    return _RealPoisson(eta)


#: ``y ~ Normal(eta, sigma)``; ``sigma`` a known number or a prior (site ``"sigma"``).
GAUSSIAN_LIKELIHOOD = Family(
    name="gaussian",
    distribution=_normal,
    noise=_gaussian_noise,
    statistics_log_likelihood=gaussian_log_likelihood,
)

#: ``y ~ Bernoulli(logit = eta)``, ``y`` 0/1 labels.
BERNOULLI_LIKELIHOOD = Family(
    name="bernoulli", distribution=_bernoulli, check_response=_check_labels
)

#: ``y ~ Poisson(exp(eta))``, ``y`` non-negative counts, or any real ``y >= 0`` (a
#: quasi-likelihood, as scikit-learn's ``PoissonRegressor``).
POISSON_LIKELIHOOD = Family(
    name="poisson", distribution=_poisson, check_response=_check_poisson_response
)
