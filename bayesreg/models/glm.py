"""The one GLM body: design checks, the ``coef`` / ``intercept`` sites, the predictor, plates.

`glm_model` is every built-in model: it validates ``X``, ``y`` and the feature names, samples the
weights under the named plate ``"features"`` and the intercept, asks the likelihood family for
its noise (``linear``'s ``sigma``), and observes (or, with ``y=None``, draws) ``y`` under the
named plate ``"obs"`` from the family's distribution of the linear predictor. The families are
in `bayesreg.models.families`; the public models in `bayesreg.models.regression`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints

from .._trace import is_concrete
from .._types import Array, ArrayLike
from ..priors import RandomScale, ShrinkagePrior
from .families import Family

__all__ = [
    "IdentifiabilityWarning",
    "check_feature_names",
    "design_matrix",
    "gibbs_design",
    "glm_model",
    "intercept_site",
    "response",
]


class IdentifiabilityWarning(UserWarning):
    """The data cannot pin down some parameters: the prior alone decides them (or nothing does)."""


def glm_model(
    family: Family,
    X: ArrayLike,
    y: ArrayLike | None = None,
    *,
    prior: dist.Distribution,
    intercept: bool | dist.Distribution = True,
    feature_names: Sequence[str] | None = None,
    noise: Any = None,
    sufficient_statistics: Any = None,
) -> None:
    """Run the generalized linear model ``y ~ family(intercept + X @ coef)`` as NumPyro sites.

    Parameters
    ----------
    family : Family
        The likelihood family (e.g. `bayesreg.models.BERNOULLI_LIKELIHOOD`).
    X, y, prior, intercept, feature_names
        As in `bayesreg.models.linear`.
    noise : object, optional
        The family's noise argument as the user gave it (``linear``'s ``sigma``), handed to
        ``family.noise``; ignored by a family without noise.
    sufficient_statistics : object, optional
        Statistics of ``(X, y)`` for ``family.statistics_log_likelihood``: with ``y`` given, the
        likelihood is then the one factor site ``"y"`` computed from them.
    """
    if y is not None and is_concrete(y) and family.check_response is not None:
        family.check_response(y)
    X = design_matrix(X)
    n, p = X.shape
    check_feature_names(feature_names, p)
    y = response(y, n, X.dtype)
    if y is not None and is_concrete(X):
        _warn_if_not_identifiable(X, prior, intercept, feature_names)
    if isinstance(prior, ShrinkagePrior) and prior.uses_noise:
        # its scales are in units of the noise sd: sample that first (1 without noise)
        scale = family.noise(noise) if family.noise is not None else None
        coef = prior.sample_weights(
            "coef", p, "features", noise_scale=1.0 if scale is None else scale, num_obs=n
        )
        offset = intercept_site(intercept)
    else:
        coef = _coef(prior, p)
        offset = intercept_site(intercept)
        scale = family.noise(noise) if family.noise is not None else None
    if y is not None and sufficient_statistics is not None:
        if family.statistics_log_likelihood is None:
            raise TypeError(
                f"the {family.name} likelihood has no sufficient-statistics form; "
                "leave sufficient_statistics=None."
            )
        log_likelihood = family.statistics_log_likelihood(
            sufficient_statistics, coef, offset, scale
        )
        numpyro.factor("y", log_likelihood)
        return
    eta = X @ coef + offset
    if y is None:
        numpyro.deterministic("mu", eta)
    with numpyro.plate("obs", n):
        numpyro.sample("y", family.distribution(eta, scale), obs=y)


def _describe(value: object) -> str:
    """Describe a bad argument briefly (numbers arrive here as arrays, ready to be traced)."""
    if isinstance(value, np.ndarray | jax.Array | float | int):
        return f"the number(s) {np.asarray(value).tolist()}"
    return type(value).__name__


def gibbs_design(args: tuple, kwargs: dict[str, Any]) -> tuple[Any, Any, bool] | str:
    """``(X, y, intercept)`` of a model call for a Gibbs target, or why there is none.

    The shared part of the models' ``gibbs_target``: an observed ``y`` (traced values are fine:
    the kernel asks again inside its program) and a flat intercept or none.
    """
    X = args[0] if args else kwargs.get("X")
    y = args[1] if len(args) > 1 else kwargs.get("y")
    if X is None or y is None:
        return "the Gibbs sampler needs the observed X and y (y=None draws y instead)"
    intercept = kwargs.get("intercept", True)
    if intercept is not True and intercept is not False:
        return (
            f"the Gibbs sampler takes a flat intercept (intercept=True) or none (False); got a "
            f"{type(intercept).__name__} prior on it. Use method='nuts'"
        )
    return X, y, intercept


def design_matrix(X: ArrayLike) -> Array:
    """Return ``X`` as a 2-d float array, refusing other shapes with the fix."""
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


def response(y: ArrayLike | None, n: int, dtype) -> Array | None:
    """Return ``y`` as a float vector of ``n`` entries (``None`` stays ``None``)."""
    if y is None:
        return None
    y = jnp.asarray(y)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(
            f"y must be a 1-d array with one entry per row of X ({n}); got shape {y.shape}."
        )
    return y.astype(dtype) if not jnp.issubdtype(y.dtype, jnp.floating) else y


def check_feature_names(feature_names: Sequence[str] | None, p: int) -> None:
    """Refuse feature names that are not one per column."""
    if feature_names is not None and len(feature_names) != p:
        raise ValueError(
            f"feature_names has {len(feature_names)} names but X has {p} columns; "
            "give one name per column."
        )


def _coef(prior: dist.Distribution | RandomScale | ShrinkagePrior, p: int) -> Array:
    if isinstance(prior, RandomScale | ShrinkagePrior):
        return prior.sample_weights("coef", p, plate="features")
    if not isinstance(prior, dist.Distribution):
        raise TypeError(
            "prior must be a NumPyro distribution for each weight, e.g. "
            "bayesreg.models.laplace(0.5) or numpyro.distributions.Normal(0, 1), a prior "
            "with a random scale, bayesreg.models.laplace(dist.HalfCauchy(1.0)), or a shrinkage "
            "prior such as bayesreg.models.horseshoe(); "
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


def intercept_site(intercept: bool | dist.Distribution) -> Array | float:
    """Sample the ``"intercept"`` site (flat for ``True``) or return 0 for none."""
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


def _warn_if_not_identifiable(
    X: Array,
    prior: dist.Distribution,
    intercept: bool | dist.Distribution,
    feature_names: Sequence[str] | None,
) -> None:
    # stacklevel 4: this function, glm_model, the model function, then its caller
    n, p = X.shape
    if intercept is True and n > 1:
        constant = jnp.all(X == X[:1], axis=0)  # checked where X lives; p booleans come back
        if bool(constant.any()):
            columns = np.flatnonzero(np.asarray(constant)).tolist()
            names = [feature_names[j] for j in columns] if feature_names else columns
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
