r"""Conversions between prior scales and the penalty parameters of scikit-learn and glmnet.

One function per convention and direction (modules `gaussian`, `glm`, `glmnet`), and one table
of conventions over them (`table`: `CONVENTIONS`, `penalty_params`, `prior_parts`). Every
docstring writes out the objective the penalty parameter belongs to, with its scaling, because
that scaling is where the conventions differ.

Notation: ``n`` rows, ``sigma`` the (known) Gaussian noise sd, ``tau`` the sd of a Normal(0, tau)
prior on each weight (``l2_scale``), ``b`` the scale of a Laplace(0, b) prior (``l1_scale``). The
elastic-net prior is the density $\propto \exp(-|w|/b - w^2 / (2\tau^2))$. The intercept has
a flat prior and is never penalized (``fit_intercept=True`` in scikit-learn, ``intercept=TRUE`` in
glmnet). Dividing a penalized objective by its data-term factor gives the negative log posterior
up to a constant, so its minimizer is the MAP:

- Gaussian:
  $\tfrac{1}{2\sigma^2}\lVert y - Xw\rVert^2 + \sum_j |w_j|/b + \lVert w\rVert^2 / (2\tau^2)$,
- Bernoulli (logit) and Poisson (log):
  $-\log L(w) + \sum_j |w_j|/b + \lVert w\rVert^2 / (2\tau^2)$,

where a prior without an L1 (L2) term has ``b = inf`` (``tau = inf``).

glmnet's gaussian family divides ``y`` by its sd before fitting, which rescales the L2 part of
its penalty: for a ``y`` given to glmnet unstandardized (the usual ``glmnet(x, y)``), pass
``y_sd=glmnet_y_sd(y)`` to `glmnet_params` / `glmnet_prior_scales` (and to `penalty_params` /
`prior_parts` for ``"glmnet"``); the default ``y_sd=1`` is for a standardized ``y`` and for the
binomial and poisson families.

All functions take Python floats or NumPy arrays (broadcast together) and return a Python float
when every input is a scalar, a NumPy array otherwise. Bad inputs raise ``ValueError`` naming the
argument, the bad value and what is allowed.
"""

from .checks import FloatOrArray
from .gaussian import (
    elastic_net_params,
    elastic_net_prior_scales,
    lasso_alpha,
    lasso_prior_scale,
    ridge_alpha,
    ridge_prior_scale,
)
from .glm import logistic_params, logistic_prior_scales, poisson_alpha, poisson_prior_scale
from .glmnet import glmnet_params, glmnet_prior_scales, glmnet_standardized_scales, glmnet_y_sd
from .table import (
    CONVENTIONS,
    Convention,
    convention,
    convention_for,
    penalty_params,
    prior_parts,
)

__all__ = [
    "CONVENTIONS",
    "Convention",
    "FloatOrArray",
    "convention",
    "convention_for",
    "elastic_net_params",
    "elastic_net_prior_scales",
    "glmnet_params",
    "glmnet_prior_scales",
    "glmnet_standardized_scales",
    "glmnet_y_sd",
    "lasso_alpha",
    "lasso_prior_scale",
    "logistic_params",
    "logistic_prior_scales",
    "penalty_params",
    "poisson_alpha",
    "poisson_prior_scale",
    "prior_parts",
    "ridge_alpha",
    "ridge_prior_scale",
]
