r"""Plain NumPyro model functions: Bayesian linear, logistic and Poisson regression.

Every model has the signature ``model(X, y=None, *, prior, intercept=True, feature_names=None)``
(``linear`` adds ``sigma``), samples the sites

- ``"intercept"`` — flat (improper) prior by default, so it is never penalized, as with
  ``fit_intercept=True`` in scikit-learn and glmnet;
- ``"coef"`` — one weight per column of ``X`` under the named plate ``"features"``;
- ``"sigma"`` — only in :func:`linear` when ``sigma`` is given as a prior;
- ``"y"`` — the likelihood under the named plate ``"obs"``; with ``y=None`` it is drawn instead, and
  the linear predictor is recorded as the deterministic site ``"mu"`` (the mean of ``y`` for
  ``linear``, its logit for ``logistic``, its log-rate for ``poisson``).

Priors for the weights are NumPyro distributions. :func:`gaussian`, :func:`laplace` and
:func:`elastic_net` build the three whose MAP is ridge, lasso and elastic net (see
:mod:`bayesreg.penalty` for the penalty each one equals); any other univariate distribution (one
weight each, e.g. ``dist.StudentT``), or a multivariate one with event shape ``(p,)``, works too.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints

from ._types import Array, ArrayLike
from .priors import ElasticNetPrior, elastic_net, gaussian, laplace
from .priors.base import check_scale

__all__ = [
    "ElasticNetPrior",
    "GaussianStatistics",
    "IdentifiabilityWarning",
    "elastic_net",
    "gaussian",
    "gaussian_statistics",
    "laplace",
    "linear",
    "logistic",
    "poisson",
]


def _describe(value: object) -> str:
    """Describe a bad argument briefly (numbers arrive here as arrays, ready to be traced)."""
    if isinstance(value, np.ndarray | jax.Array | float | int):
        return f"the number(s) {np.asarray(value).tolist()}"
    return type(value).__name__


# ---------------------------------------------------------------------------------------------
# shared pieces of the three models


def _is_concrete(x: object) -> bool:
    return not isinstance(x, jax.core.Tracer)


def _design(X: ArrayLike) -> Array:
    X = jnp.asarray(X)
    if X.ndim != 2:
        raise ValueError(
            f"X must be a 2-d array of shape (n_samples, n_features); got shape {X.shape}. "
            "Reshape a single feature with X.reshape(-1, 1)."
        )
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must have at least one row and one column; got shape {X.shape}.")
    if not jnp.issubdtype(X.dtype, jnp.floating):
        X = X.astype(jnp.result_type(float))
    return X


def _response(y: ArrayLike | None, n: int, dtype) -> Array | None:
    if y is None:
        return None
    y = jnp.asarray(y)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(
            f"y must be a 1-d array with one entry per row of X ({n}); got shape {y.shape}."
        )
    return y.astype(dtype) if not jnp.issubdtype(y.dtype, jnp.floating) else y


def _check_feature_names(feature_names: Sequence[str] | None, p: int) -> None:
    if feature_names is not None and len(feature_names) != p:
        raise ValueError(
            f"feature_names has {len(feature_names)} names but X has {p} columns; "
            "give one name per column."
        )


def _coef(prior: dist.Distribution, p: int) -> Array:
    if not isinstance(prior, dist.Distribution):
        raise TypeError(
            "prior must be a NumPyro distribution for each weight, e.g. "
            "bayesreg.models.laplace(0.5) or numpyro.distributions.Normal(0, 1); "
            f"got {_describe(prior)}."
        )
    if prior.event_shape == ():
        try:
            jax.lax.broadcast_shapes(tuple(prior.batch_shape), (p,))
        except ValueError:
            raise ValueError(
                f"prior has batch shape {tuple(prior.batch_shape)}, which does not broadcast to "
                f"the {p} features; give one scale per feature or a scalar."
            ) from None
        with numpyro.plate("features", p):
            return numpyro.sample("coef", prior)
    if tuple(prior.event_shape) != (p,) or prior.batch_shape != ():
        raise ValueError(
            f"a multivariate prior must have event shape ({p},) and no batch shape; got event "
            f"shape {tuple(prior.event_shape)} and batch shape {tuple(prior.batch_shape)}."
        )
    return numpyro.sample("coef", prior)


def _intercept(intercept: bool | dist.Distribution) -> Array | float:
    if intercept is True:
        return numpyro.sample("intercept", dist.ImproperUniform(constraints.real, (), ()))
    if intercept is False or intercept is None:
        return 0.0
    if isinstance(intercept, dist.Distribution):
        return numpyro.sample("intercept", intercept)
    raise TypeError(
        "intercept must be True (flat, unpenalized), False (no intercept) or a NumPyro "
        f"distribution; got {intercept!r}."
    )


class IdentifiabilityWarning(UserWarning):
    """The data cannot pin down some parameters: the prior alone decides them (or nothing does)."""


def _warn_if_not_identifiable(
    X: np.ndarray,
    prior: dist.Distribution,
    intercept: bool | dist.Distribution,
    feature_names: Sequence[str] | None,
) -> None:
    n, p = X.shape
    if intercept is True and n > 1:
        constant = np.flatnonzero(np.all(X == X[:1], axis=0))
        if constant.size:
            names = [feature_names[j] for j in constant] if feature_names else constant.tolist()
            warnings.warn(
                f"column(s) {names} of X are constant: under the flat intercept their weights "
                "are not identified by the data (only the prior decides them). Drop them, or "
                "use intercept=False.",
                IdentifiabilityWarning,
                stacklevel=4,
            )
    base = prior
    while isinstance(base, dist.ExpandedDistribution | dist.Independent):
        base = base.base_dist
    if isinstance(base, dist.ImproperUniform) and p + (intercept is True) > n:
        warnings.warn(
            f"a flat prior on {p} weights with only {n} observations gives an improper "
            "posterior (no unique MAP, no posterior to sample). Use a proper prior such as "
            "bayesreg.models.gaussian(...) or laplace(...).",
            IdentifiabilityWarning,
            stacklevel=4,
        )


def _weights(
    X: ArrayLike,
    y: ArrayLike | None,
    prior: dist.Distribution,
    intercept: bool | dist.Distribution,
    feature_names: Sequence[str] | None,
) -> tuple[Array, Array, Array | float, Array | None]:
    """Validate the data and sample ``coef`` and ``intercept``: ``(X, coef, intercept, y)``."""
    X = _design(X)
    n, p = X.shape
    _check_feature_names(feature_names, p)
    y = _response(y, n, X.dtype)
    if y is not None and _is_concrete(X):
        _warn_if_not_identifiable(np.asarray(X), prior, intercept, feature_names)
    coef = _coef(prior, p)
    return X, coef, _intercept(intercept), y


def _linear_predictor(
    X: ArrayLike,
    y: ArrayLike | None,
    prior: dist.Distribution,
    intercept: bool | dist.Distribution,
    feature_names: Sequence[str] | None,
) -> tuple[Array, Array | None]:
    X, coef, offset, y = _weights(X, y, prior, intercept, feature_names)
    return _predictor(X, coef, offset, y), y


def _predictor(X: Array, coef: Array, offset: Array | float, y: Array | None) -> Array:
    """``X @ coef + offset``, recorded as the deterministic site ``"mu"`` when ``y`` is drawn."""
    eta = X @ coef + offset
    if y is None:
        numpyro.deterministic("mu", eta)
    return eta


# ---------------------------------------------------------------------------------------------
# sufficient statistics of the Gaussian likelihood


class GaussianStatistics(NamedTuple):
    r"""Sufficient statistics of ``y ~ Normal(b + X w, sigma)``, in a numerically stable form.

    With :math:`\bar x, \bar y` the column and response means, :math:`X_c = X - \bar x`,
    :math:`y_c = y - \bar y` and a square root :math:`R^\top R = X_c^\top X_c` (Cholesky, or
    from the eigen-decomposition when the columns are collinear), :math:`R^\top t = X_c^\top y_c`,
    the residual sum of squares is

    .. math::

        \mathrm{RSS}(w, b) = \lVert R w - t \rVert^2 + \mathrm{RSS}_{\min}
        + n\,(\bar y - b - \bar x^\top w)^2

    (the cross terms vanish because the centered columns sum to zero), so a log-likelihood or its
    gradient costs :math:`O(p^2)` instead of :math:`O(np)`. Written as a sum of squares rather than
    :math:`y^\top y - 2 w^\top X^\top y + w^\top X^\top X w`, differences of the objective keep
    their accuracy (no cancellation against :math:`y^\top y`), which the solvers' line searches
    need. Built by :func:`gaussian_statistics`.
    """

    root: Array  # R, (p, p), R'R = X_c'X_c
    target: Array  # t, (p,), R't = X_c'y_c
    rss_min: Array  # ()
    x_mean: Array  # (p,)
    y_mean: Array  # ()
    n: Array  # number of observations, as a float ()


def gaussian_statistics(X: ArrayLike, y: ArrayLike) -> GaussianStatistics:
    """Compute :class:`GaussianStatistics` once with NumPy: ``O(n p² + p³)`` time, ``O(p²)`` memory.

    Examples
    --------
    >>> import numpy as np
    >>> X, y = np.arange(6.0).reshape(3, 2) ** 1.5, np.array([1.0, 0.0, 2.0])
    >>> s = gaussian_statistics(X, y)
    >>> w, b = np.array([0.5, -0.25]), 0.1
    >>> fit = np.sum((s.root @ w - s.target) ** 2) + s.rss_min
    >>> rss = fit + s.n * (s.y_mean - b - s.x_mean @ w) ** 2
    >>> bool(np.isclose(rss, np.sum((y - b - X @ w) ** 2)))
    True
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    x_mean, y_mean = X.mean(axis=0), y.mean()
    Xc, yc = X - x_mean, y - y_mean
    gram, xty = Xc.T @ Xc, Xc.T @ yc
    try:
        root = np.linalg.cholesky(gram).T  # upper triangular, R'R = gram
        target = np.linalg.solve(root.T, xty)
    except np.linalg.LinAlgError:  # collinear (or constant) columns: a square root that exists
        curvature, basis = np.linalg.eigh(gram)
        keep = curvature > curvature.max() * gram.shape[0] * np.finfo(float).eps
        sqrt = np.sqrt(np.where(keep, curvature, 0.0))
        root = sqrt[:, None] * basis.T
        target = np.where(keep, (basis.T @ xty) / np.where(keep, sqrt, 1.0), 0.0)
    return GaussianStatistics(
        root=root,
        target=target,
        rss_min=np.asarray(max(float(yc @ yc - target @ target), 0.0)),
        x_mean=x_mean,
        y_mean=np.asarray(y_mean),
        n=np.asarray(float(X.shape[0])),
    )


# The Gram matrix pays off when a gradient through it (O(p²)) is cheaper than one through X
# (O(np)), and is kept only while it is small (p = 4096 is 128 MiB in float64).
_STATISTICS_MAX_FEATURES = 4096


def with_sufficient_statistics(
    model: Callable,
    args: tuple,
    kwargs: dict[str, Any],
    *,
    min_rows_per_feature: float = 1.0,
    max_features: int = _STATISTICS_MAX_FEATURES,
) -> tuple[tuple, dict[str, Any]] | None:
    """``(args, kwargs)`` that make :func:`linear` use :class:`GaussianStatistics`, or ``None``.

    Applies to :func:`linear` with observed ``y``, one noise scale for every observation (a float
    or a scalar prior), ``n > min_rows_per_feature * (p + 1)`` and ``p <= max_features``. The log
    density is the same function of the parameters (to rounding); only its cost changes. Used by
    :func:`bayesreg.map_estimate` and :func:`bayesreg.sample_posterior`.
    """
    if model is not linear or "sufficient_statistics" in kwargs or len(args) > 2:
        return None
    X = args[0] if args else kwargs.get("X")
    y = args[1] if len(args) > 1 else kwargs.get("y")
    if X is None or y is None or not (_is_concrete(X) and _is_concrete(y)):
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


def reduced_arguments(model: Callable, args: tuple, kwargs: dict[str, Any]):
    """Return the model's own cheaper arguments for the same density, or ``None``."""
    return with_sufficient_statistics(model, args, kwargs)


def _gaussian_log_likelihood(
    stats: GaussianStatistics, coef: Array, offset: Array | float, noise: Array | float
) -> Array:
    values = (*stats, coef, offset, noise)
    if all(_is_concrete(v) for v in values):
        # outside jit (a model run to validate it): NumPy, which costs no compilation
        xp, (*fields, coef, offset, noise) = np, [np.asarray(v) for v in values]
        stats = GaussianStatistics(*fields)
    else:
        xp = jnp
    resid_mean = stats.y_mean - offset - stats.x_mean @ coef
    rss = xp.sum((stats.root @ coef - stats.target) ** 2) + stats.rss_min + stats.n * resid_mean**2
    return -0.5 * stats.n * math.log(2.0 * math.pi) - stats.n * xp.log(noise) - 0.5 * rss / noise**2


# ---------------------------------------------------------------------------------------------
# the models


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
        Prior of each weight (e.g. :func:`laplace`), or a multivariate prior with event
        shape ``(p,)``.
    sigma : float or Distribution
        Known noise standard deviation (> 0), or a prior on it (sampled as site ``"sigma"``).
    intercept : bool or Distribution
        ``True``: flat, unpenalized intercept; ``False``: none; a distribution: that prior.
    feature_names : sequence of str, optional
        Names of the columns, used as ArviZ coordinates of the ``"features"`` plate.
    sufficient_statistics : GaussianStatistics, optional
        :func:`gaussian_statistics` of ``(X, y)``. When given (and ``y`` is), the likelihood is
        one ``numpyro.factor`` site ``"y"`` computed from them in ``O(p²)``, the same density as
        the per-observation ``Normal`` sites (to rounding). :func:`bayesreg.map_estimate` and
        :func:`bayesreg.sample_posterior` fill it in themselves when ``n > p`` (pointwise
        log-likelihoods still come from the per-observation form); there is no need to pass it.

    Examples
    --------
    >>> import numpy as np, bayesreg as br
    >>> X, y = np.random.default_rng(0).normal(size=(20, 3)), np.arange(20.0)
    >>> fit = br.map_estimate(br.models.linear, X, y, prior=br.models.laplace(1.0), sigma=2.0)
    >>> sorted(fit.params)
    ['coef', 'intercept']
    """
    X, coef, offset, y = _weights(X, y, prior, intercept, feature_names)
    if isinstance(sigma, dist.Distribution):
        noise = numpyro.sample("sigma", sigma)
    else:
        if _is_concrete(sigma):
            check_scale(sigma, "sigma")
        noise = sigma
    if y is not None and sufficient_statistics is not None:
        numpyro.factor("y", _gaussian_log_likelihood(sufficient_statistics, coef, offset, noise))
        return
    eta = _predictor(X, coef, offset, y)
    with numpyro.plate("obs", eta.shape[0]):
        numpyro.sample("y", dist.Normal(eta, noise), obs=y)


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
    ``y`` holds 0/1 labels. Parameters as in :func:`linear`.
    """
    if y is not None and _is_concrete(y) and not bool(np.all(np.isin(np.asarray(y), [0, 1]))):
        raise ValueError("y must hold only 0/1 labels for the logistic model.")
    eta, y = _linear_predictor(X, y, prior, intercept, feature_names)
    with numpyro.plate("obs", eta.shape[0]):
        numpyro.sample("y", dist.Bernoulli(logits=eta), obs=y)


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
    ``PoissonRegressor(alpha=1/(n tau²))``. ``y`` holds non-negative counts.
    Parameters as in :func:`linear`.
    """
    if y is not None and _is_concrete(y):
        counts = jnp.asarray(y)
        if not bool(jnp.all((counts >= 0) & (counts == jnp.round(counts)))):
            raise ValueError("y must hold non-negative integer counts for the Poisson model.")
    eta, y = _linear_predictor(X, y, prior, intercept, feature_names)
    with numpyro.plate("obs", eta.shape[0]):
        numpyro.sample("y", dist.Poisson(jnp.exp(eta)), obs=y)
