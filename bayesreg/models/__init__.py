r"""Plain NumPyro model functions: Bayesian linear, logistic and Poisson regression.

Every model has the signature ``model(X, y=None, *, prior, intercept=True, feature_names=None)``
(``linear`` adds ``sigma``: a known number, a prior, or by default ``None``, a
``HalfNormal(sd(y))`` prior, so the noise is estimated), samples the sites

- ``"intercept"`` — flat (improper) prior by default, so it is never penalized, as with
  ``fit_intercept=True`` in scikit-learn and glmnet;
- ``"coef"`` — one weight per column of ``X`` under the named plate ``"features"``;
- ``"sigma"`` — only in `linear` when ``sigma`` is a prior (the default) rather than a number;
- ``"b"`` / ``"tau"`` — the prior scale, when it is given a hyperprior
  (``laplace(dist.HalfCauchy(1.0))``, a `RandomScale`), sampled before ``"coef"``;
- ``"y"`` — the likelihood under the named plate ``"obs"``; with ``y=None`` it is drawn instead, and
  the linear predictor is recorded as the deterministic site ``"mu"`` (the mean of ``y`` for
  ``linear``, its logit for ``logistic``, its log-rate for ``poisson``).

Priors for the weights are NumPyro distributions. `gaussian`, `laplace` and
`elastic_net` build the three whose MAP is ridge, lasso and elastic net (see
`bayesreg.penalty` for the penalty each one equals); any other univariate distribution (one
weight each, e.g. ``dist.StudentT``), or a multivariate one with event shape ``(p,)``, works too.
The shrinkage priors `horseshoe`, `horseshoe_plus`, `regularized_horseshoe`, `student_t` and
`r2d2` (`bayesreg.priors.shrinkage`, where their sites are listed) add their scale sites
(``"tau"``, ``"lambda"``, ...) before the weights.

The models are one GLM body (`bayesreg.models.glm_model`: design checks, the sites, the predictor,
the plates) with a likelihood family each (`bayesreg.models.families`, NamedTuples of functions).
`bayesian_lasso` is Park & Casella's (2008) model, Laplace weights with scale
``sigma / lam`` and ``p(sigma²) ∝ 1/sigma²``.
`reduced_arguments` asks a model for cheaper arguments of the same density (``linear``: its
sufficient statistics, `GaussianStatistics`, from `bayesreg.data`); `resolved_arguments` for its
data-dependent defaults written out (``linear``'s ``sigma=None``: a ``HalfNormal(sd(y))`` prior);
`gibbs_target` for the model as the Gibbs sampler sees it.
"""

from ..data.statistics import GaussianStatistics, gaussian_statistics
from ..priors import (
    ElasticNetPrior,
    RandomScale,
    ShrinkagePrior,
    elastic_net,
    gaussian,
    horseshoe,
    horseshoe_plus,
    laplace,
    r2d2,
    regularized_horseshoe,
    student_t,
)
from .families import (
    BERNOULLI_LIKELIHOOD,
    GAUSSIAN_LIKELIHOOD,
    POISSON_LIKELIHOOD,
    Family,
)
from .glm import IdentifiabilityWarning, glm_model
from .lasso import InverseScale, bayesian_lasso
from .reduction import gibbs_target, reduced_arguments, resolved_arguments
from .regression import linear, logistic, poisson

__all__ = [
    "BERNOULLI_LIKELIHOOD",
    "GAUSSIAN_LIKELIHOOD",
    "POISSON_LIKELIHOOD",
    "ElasticNetPrior",
    "Family",
    "GaussianStatistics",
    "IdentifiabilityWarning",
    "InverseScale",
    "RandomScale",
    "ShrinkagePrior",
    "bayesian_lasso",
    "elastic_net",
    "gaussian",
    "gaussian_statistics",
    "gibbs_target",
    "glm_model",
    "horseshoe",
    "horseshoe_plus",
    "laplace",
    "linear",
    "logistic",
    "poisson",
    "r2d2",
    "reduced_arguments",
    "regularized_horseshoe",
    "resolved_arguments",
    "student_t",
]
