r"""`log_evidence`: the exact log marginal likelihood of a conjugate Gaussian model.

A model qualifies when the exact sampler accepts it
(`bayesreg.sample.kernels.conjugate.conjugate_posterior`): Normal or flat priors, Normal
observations whose mean is affine in the latent values and whose sd is known. Its log joint
density is then quadratic in the stacked latent values $\theta$ (dimension $d$), so the Laplace
identity is exact:

$$
\log p(y) = \log p(y, \hat\theta) + \tfrac d2 \log(2\pi) - \tfrac12 \log\det P,
$$

with $\hat\theta$ the posterior mean and $P = L L^\top$ the posterior precision
($\tfrac12 \log\det P = \sum_i \log L_{ii}$).

A flat site (``dist.ImproperUniform`` on the reals, as the default intercept of
`bayesreg.models.linear`) has density 1 everywhere. That is the convention which makes the value
defined: the integral over such a site is finite whenever the data determine it (a non-singular
$P$), and equals the limit of a Normal prior $\mathcal N(0, v)$ on it with
$\tfrac12\log(2\pi v)$ added, as $v \to \infty$. It is also why values for models with different
flat sites cannot be compared: the unit of "density 1" is arbitrary.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpyro.distributions as dist

from .. import priors
from .._compile import MODEL_LOCK
from .._validation import prepare_model_arguments
from ..sample.kernels.conjugate import ConjugatePosterior, conjugate_posterior

__all__ = ["log_evidence", "log_evidence_of"]


def log_evidence_of(posterior: ConjugatePosterior) -> float:
    r"""Return $\log p(y)$ from a model's closed-form posterior (module docstring)."""
    dim = len(posterior.mean)
    half_log_det = float(np.sum(np.log(np.diag(posterior.factor))))
    return posterior.log_joint_at_mean + 0.5 * dim * math.log(2.0 * math.pi) - half_log_det


def _remedy(kwargs: dict[str, Any]) -> str:
    """Say what to use instead, asked of the arguments that broke conjugacy ("" if unknown)."""
    values = list(kwargs.values())
    if any(isinstance(value, priors.RandomScale) for value in values):
        return (
            "a prior scale given as a distribution has no closed-form evidence; give it as a "
            "number and use empirical_bayes(models.linear, X, y, prior=models.gaussian(start)) "
            "to maximize the evidence over it, or sample_posterior for the full-Bayes answer"
        )
    for value in values:
        kind = priors.kind_of(value)
        if kind is not None and "l1_scale" in kind.parts:
            return (
                f"a {kind.name} prior has an L1 part, so its evidence has no closed form; use "
                "empirical_bayes(models.bayesian_lasso, X, y) (Monte Carlo EM for the lasso "
                "parameter) or cv_path to choose its scale"
            )
    if isinstance(kwargs.get("sigma"), dist.Distribution):
        return (
            "give sigma as a number (a known noise sd), or use empirical_bayes(models.linear, "
            "X, y, prior=models.gaussian(start)) without sigma, which maximizes the evidence "
            "over sigma"
        )
    return ""  # the reason already states what the exact computation needs


def log_evidence(model: Callable[..., Any], *args: Any, **kwargs: Any) -> float:
    r"""Exact log marginal likelihood $\log p(y)$ of a conjugate Gaussian model.

    $\log p(y) = \log \int p(y \mid \theta)\, p(\theta)\, d\theta$ over every latent site,
    computed in closed form (module docstring): for `bayesreg.models.linear` with a
    Normal(m0, tau) prior, a known ``sigma`` and no intercept it is the multivariate Normal log
    density of ``y`` under $\mathcal N(X m_0, \sigma^2 I + \tau^2 X X^\top)$. A flat site (the
    default intercept) contributes with density 1, so the flat intercept is integrated out
    exactly (the limit of a very wide Normal prior plus $\tfrac12\log(2\pi v)$).

    Parameters
    ----------
    model : callable
        A NumPyro model function whose posterior is conjugate Normal (what
        ``sample_posterior(..., method="exact")`` accepts).
    *args, **kwargs
        Passed to ``model``, checked as `bayesreg.map_estimate` checks them.

    Returns
    -------
    float
        $\log p(y)$, in nats.

    Raises
    ------
    ValueError
        The model is not conjugate (a Laplace prior, ``sigma`` given as a distribution, a
        non-Gaussian likelihood, ...) or its posterior is improper (a flat site the data do not
        determine); the message says why and what to use instead.

    Notes
    -----
    Thread-safe: the model is traced under ``bayesreg._compile.MODEL_LOCK``.

    Examples
    --------
    >>> import numpy as np, bayesreg as br
    >>> X = np.random.default_rng(0).normal(size=(30, 3)); y = X @ np.array([1.0, 0.0, -1.0])
    >>> a = br.log_evidence(br.models.linear, X, y, prior=br.models.gaussian(1.0), sigma=0.5)
    >>> b = br.log_evidence(br.models.linear, X, y, prior=br.models.gaussian(0.01), sigma=0.5)
    >>> bool(a > b)  # a prior scale near the true weights explains y better
    True
    """
    if not callable(model):
        raise TypeError(f"model must be a NumPyro model function; got {type(model).__name__}.")
    with MODEL_LOCK:
        args, kwargs, _ = prepare_model_arguments(model, args, kwargs)
        posterior = conjugate_posterior(model, args, kwargs)
    if isinstance(posterior, str):
        remedy = _remedy(kwargs)
        remedy = f" {remedy[0].upper()}{remedy[1:]}." if remedy else ""
        raise ValueError(f"log_evidence has no closed form for this model: {posterior}.{remedy}")
    return log_evidence_of(posterior)
