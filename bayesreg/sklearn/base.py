"""What the three estimators share: hyperparameter checks, the prior, the MAP fit, the posterior.

An estimator knows its likelihood (``"linear"``, ``"logistic"``, ``"poisson"``) and the name of
its scikit-learn penalty strength (``alpha`` or ``C``); everything about the prior is asked of
the prior kind (``bayesreg.priors``: which scales it takes, how it is built) and of the one table
of penalty conventions (``bayesreg.penalty.CONVENTIONS``: how a penalty becomes those scales).
No estimator branches on a prior's name.

The shrinkage priors (``prior="horseshoe"``, ``"horseshoe_plus"``, ``"regularized_horseshoe"``,
``"student_t"``, ``"r2d2"``; `bayesreg.priors.shrinkage`) take their constructors' parameters,
estimator hyperparameters of the same names (`SHRINKAGE_PARAMETERS`), each accepted only by the
priors that take it (asked of the prior). They have no penalty, so ``alpha`` / ``C`` and the
scales ``l1_scale`` / ``l2_scale`` do not apply to them. A prior with a MAP (Student-t) is fitted
as the others; for one without (``map_exists`` false: the horseshoe's density is infinite at
zero) ``fit`` samples the posterior and ``coef_`` / ``intercept_`` are its mean.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import penalty, priors
from .._types import ArrayLike
from .._validation import check_unique_names
from ..map import MapResult, map_estimate
from ..priors import PriorKind

__all__ = [
    "SHRINKAGE_PARAMETERS",
    "BayesianGLM",
    "check_bool",
    "check_count",
    "check_max_iter",
    "check_optional_positive",
    "check_positive",
    "check_scale",
]

#: The parameters of the shrinkage priors' constructors (`bayesreg.priors.shrinkage`), each an
#: estimator hyperparameter of the same name (``None``: the prior's default), with its meaning.
SHRINKAGE_PARAMETERS = {
    "global_scale": "the scale of the global shrinkage tau",
    "nonzero": "the prior guess of the number of nonzero weights, 0 < nonzero < n_features",
    "slab_scale": "the slab's scale",
    "slab_df": "the slab's degrees of freedom",
    "df": "the Student-t degrees of freedom",
    "scale": "the Student-t scale",
    "r2_mean": "the prior mean of R², in (0, 1)",
    "r2_precision": "the prior precision of R²",
    "concentration": "the Dirichlet concentration of the variance shares",
}


# ---------------------------------------------------------------------------------------------
# hyperparameter checks (run in fit, never in __init__)


def check_positive(value: Any, name: str, meaning: str) -> float:
    """Return ``value`` as a float; ``ValueError`` unless it is a positive finite number."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or value <= 0:
        raise ValueError(
            f"{name} must be a positive finite number ({meaning}); got {name}={value!r}."
        )
    return float(value)


def check_optional_positive(value: Any, name: str, meaning: str) -> float | None:
    """Like `check_positive`, with ``None`` passed through."""
    return None if value is None else check_positive(value, name, meaning)


def check_scale(value: Any, name: str, n_features: int) -> np.ndarray:
    """Return a prior scale as a float array: a positive scalar or one per feature."""
    try:
        scale = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        scale = np.asarray(np.nan)
    if scale.ndim not in (0, 1) or (scale.ndim == 1 and scale.shape[0] != n_features):
        raise ValueError(
            f"{name} must be a positive number or an array of {n_features} (one per feature); "
            f"got {name}={value!r}."
        )
    if not np.all(np.isfinite(scale) & (scale > 0)):
        raise ValueError(f"{name} must be positive and finite; got {name}={value!r}.")
    return scale


def check_bool(value: Any, name: str) -> bool:
    """Return ``value`` as a bool; ``ValueError`` unless it is True or False."""
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be True or False; got {name}={value!r}.")
    return bool(value)


def check_max_iter(value: Any) -> int:
    """Return ``max_iter`` as an int; ``ValueError`` unless it is a positive integer."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"max_iter must be a positive integer; got max_iter={value!r}.")
    return int(value)


def check_count(value: Any, name: str, minimum: int) -> int:
    """Return ``value`` as an int; ``ValueError`` unless it is an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {name}={value!r}.")
    return int(value)


def _check_l1_ratio(value: Any) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok or not 0.0 <= value <= 1.0:
        raise ValueError(
            f"l1_ratio must be a number in [0, 1] (0: pure L2, 1: pure L1); got l1_ratio={value!r}."
        )
    return float(value)


# ---------------------------------------------------------------------------------------------
# the shared machinery


class BayesianGLM(BaseEstimator):
    """MAP fit, posterior sampling and prediction shared by the three estimators.

    A subclass sets ``_model`` (its NumPyro model function), ``_likelihood`` (the likelihood of
    its penalty conventions) and ``_strength_name`` (the attribute holding the scikit-learn
    penalty strength), and stores its keyword arguments in ``__init__``: among them the
    parameters of `SHRINKAGE_PARAMETERS` and the sampler settings ``num_samples``,
    ``num_warmup``, ``num_chains``, ``random_state`` of a fit with no MAP.
    """

    _model: Callable
    _likelihood: str
    _strength_name: str

    def _strength(self) -> float | None:
        return getattr(self, self._strength_name)

    def _penalty_sigma(self) -> float:
        """Return the noise sd the penalty conventions scale by (1: a likelihood without one)."""
        return 1.0

    def _model_kwargs(self, y: np.ndarray) -> dict[str, Any]:
        """Keyword arguments of the model besides ``prior``, ``intercept``, ``feature_names``."""
        return {}

    def _l1_ratio(self, kind: PriorKind) -> float:
        """Return the L1 share of the penalty: the prior's for one part, ``l1_ratio`` for two."""
        if len(kind.parts) > 1:
            return _check_l1_ratio(self.l1_ratio)
        return 1.0 if "l1_scale" in kind.parts else 0.0

    def _scales_given(self) -> bool:
        """Return whether the prior scales are given directly (not a penalty strength)."""
        return any(getattr(self, name) is not None for name in priors.get(self.prior).parts)

    # -- the shrinkage priors ---------------------------------------------------------------

    def _prior_name(self) -> str:
        """Return ``prior``; ``ValueError`` naming every choice unless it is one of them."""
        choices = tuple(dict.fromkeys((*priors.names(), *priors.shrinkage_names())))
        if not isinstance(self.prior, str) or self.prior not in choices:
            raise ValueError(
                f"prior must be one of {', '.join(map(repr, choices))}; got prior={self.prior!r}."
            )
        return self.prior

    def _shrinkage_prior(self, n_features: int) -> Any:
        """Return the shrinkage prior ``prior`` names with its parameters, or ``None``.

        ``None`` for a prior kind of the penalty table (``gaussian``, ``laplace``, ...), which
        takes none of `SHRINKAGE_PARAMETERS`. A parameter the prior does not take, a penalty
        strength or a penalty scale given with a shrinkage prior, and a bad value (named) are
        ``ValueError``.
        """
        name = self._prior_name()
        given = [p for p in SHRINKAGE_PARAMETERS if getattr(self, p, None) is not None]
        shrinkage_names = priors.shrinkage_names()
        takes = tuple(priors.shrinkage(name).params) if name in shrinkage_names else ()
        for parameter in given:
            if parameter not in takes:
                users = [n for n in shrinkage_names if parameter in priors.shrinkage(n).params]
                raise ValueError(
                    f"{parameter} ({SHRINKAGE_PARAMETERS[parameter]}) is not used by "
                    f"prior={name!r}, only by prior={' or '.join(map(repr, users))}; remove "
                    f"{parameter} (or pick a prior that uses it)."
                )
        if name not in shrinkage_names:
            return None
        for parameter in (self._strength_name, "l1_scale", "l2_scale"):
            if getattr(self, parameter, None) is not None:
                raise ValueError(
                    f"{parameter}={getattr(self, parameter)!r} does not apply to "
                    f"prior={name!r}: it has no penalty to convert, its parameters are "
                    f"{', '.join(takes)}. Remove {parameter}."
                )
        values = {p: check_positive(getattr(self, p), p, SHRINKAGE_PARAMETERS[p]) for p in given}
        if "nonzero" in values and not values["nonzero"] < n_features:
            raise ValueError(
                f"nonzero ({SHRINKAGE_PARAMETERS['nonzero']}) must be below the number of "
                f"features, {n_features}; got nonzero={self.nonzero!r}."
            )
        return priors.shrinkage(name, **values)

    def _seed(self) -> int:
        """Return the sampler's seed: ``random_state`` itself when it is an int >= 0."""
        state = self.random_state
        if isinstance(state, numbers.Integral) and not isinstance(state, bool) and state >= 0:
            return int(state)
        return int(check_random_state(state).randint(np.iinfo(np.int32).max))

    def _fit_shrinkage(
        self, X: np.ndarray, y: np.ndarray, prior: Any, model_kwargs: dict[str, Any]
    ) -> None:
        """Fit a shrinkage prior: its MAP when one exists, else the posterior mean by sampling."""
        fit_intercept = check_bool(self.fit_intercept, "fit_intercept")
        names = getattr(self, "feature_names_in_", None)
        arguments = {
            "prior": prior,
            "intercept": fit_intercept,
            "feature_names": None if names is None else [str(name) for name in names],
            **model_kwargs,
        }
        if prior.map_exists:
            tol = check_optional_positive(self.tol, "tol", "the tolerance of the MAP solve")
            max_iter = check_max_iter(self.max_iter)
            fit = map_estimate(type(self)._model, X, y, tol=tol, max_iter=max_iter, **arguments)
            self._set_map(fit, prior, fit_intercept)
            return
        from ..sample import sample_posterior
        from ..sample.diagnostics import warnings_at_caller

        num_samples = check_count(self.num_samples, "num_samples", 1)
        num_warmup = check_count(self.num_warmup, "num_warmup", 0)
        num_chains = check_count(self.num_chains, "num_chains", 1)
        # the sampler's warnings point at the user's fit call (fit -> _fit_map -> here)
        with warnings_at_caller(f"{type(self).__name__}.fit: ", stacklevel=3):
            post = sample_posterior(
                type(self)._model,
                X,
                y,
                num_chains=num_chains,
                num_warmup=num_warmup,
                num_samples=num_samples,
                seed=self._seed(),
                **arguments,
            )
        self.map_ = None
        self.prior_ = prior
        self.posterior_ = post
        self.coef_ = np.asarray(post.samples["coef"], dtype=float).mean(axis=0)
        intercept = np.asarray(post.samples["intercept"], dtype=float) if fit_intercept else 0.0
        self.intercept_ = float(np.mean(intercept))
        self.n_iter_ = num_warmup + num_samples

    def _resolve_prior(self, n: int, n_features: int, sigma: float | None = None) -> Any:
        """Check the prior hyperparameters and return the prior distribution of each weight.

        ``sigma`` is the noise sd a penalty strength is converted with (default: the
        estimator's own, `_penalty_sigma`).
        """
        kind = priors.get(self._prior_name())
        strength_name = self._strength_name
        strength = self._strength()
        needed = kind.parts
        given = {name: getattr(self, name) for name in ("l1_scale", "l2_scale")}
        for name, value in given.items():
            if value is not None and name not in needed:
                raise ValueError(
                    f"{name} is not used by prior={kind.name!r}, which takes "
                    f"{' and '.join(needed)}; remove {name} (or pick a prior that uses it)."
                )
        if any(given[name] is not None for name in needed):
            if strength is not None:
                raise ValueError(
                    f"give either {strength_name} (the scikit-learn penalty) or the prior "
                    f"scale(s) {' and '.join(needed)}, not both; got {strength_name}="
                    f"{strength!r} and " + ", ".join(f"{k}={given[k]!r}" for k in needed) + "."
                )
            missing = [name for name in needed if given[name] is None]
            if missing:
                count = "both" if len(needed) == 2 else "all of"
                raise ValueError(
                    f"prior={kind.name!r} needs {count} {' and '.join(needed)}; "
                    f"{missing[0]} is None."
                )
            return kind.build(
                **{name: check_scale(given[name], name, n_features) for name in needed}
            )
        strength = 1.0 if strength is None else strength
        strength = check_positive(strength, strength_name, "the scikit-learn penalty strength")
        l1_ratio = self._l1_ratio(kind)
        row = penalty.convention_for(self._likelihood, kind.name)
        if row is None:
            raise ValueError(
                f"no penalty convention of the {self._likelihood} likelihood expresses "
                f"prior={kind.name!r}; give the prior scale(s) directly."
            )
        values = dict(zip(row.params, (strength, l1_ratio), strict=False))
        sigma = self._penalty_sigma() if sigma is None else sigma
        parts = penalty.prior_parts(row.name, values, sigma=sigma, n=n)
        scales = {part: np.asarray(getattr(parts, part)) for part in ("l1_scale", "l2_scale")}
        # an L1 share of 0 or 1 leaves one part: the prior is the kind those parts make
        made = priors.for_parts(scales["l1_scale"], scales["l2_scale"])
        return made.build(**{part: scales[part] for part in made.parts})

    def _fit_map(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        penalty_sigma: float | None = None,
        model_kwargs: dict[str, Any] | None = None,
        init_params: dict[str, Any] | None = None,
    ) -> None:
        """Compute the MAP and set the fitted attributes.

        ``penalty_sigma`` converts a penalty strength into prior scales (default: the
        estimator's known noise sd); ``model_kwargs`` replace `_model_kwargs`; ``init_params``
        start the solve.
        """
        fit_intercept = check_bool(self.fit_intercept, "fit_intercept")
        n, n_features = X.shape
        kwargs = self._model_kwargs(y) if model_kwargs is None else model_kwargs
        shrinkage = self._shrinkage_prior(n_features)
        if shrinkage is not None:
            self._fit_shrinkage(X, y, shrinkage, kwargs)
            return
        tol = check_optional_positive(self.tol, "tol", "the tolerance of the MAP solve")
        max_iter = check_max_iter(self.max_iter)
        prior = self._resolve_prior(n, n_features, penalty_sigma)
        names = getattr(self, "feature_names_in_", None)
        result = map_estimate(
            type(self)._model,
            X,
            y,
            tol=tol,
            max_iter=max_iter,
            init_params=init_params,
            prior=prior,
            intercept=fit_intercept,
            feature_names=None if names is None else [str(name) for name in names],
            **kwargs,
        )
        self._set_map(result, prior, fit_intercept)

    def _set_map(self, result: MapResult, prior: Any, fit_intercept: bool) -> None:
        """Set the fitted attributes of a MAP fit (a posterior of an earlier fit is dropped)."""
        self.__dict__.pop("posterior_", None)
        self.map_: MapResult | None = result
        self.prior_ = prior
        self.coef_ = np.asarray(result.params["coef"], dtype=float)
        self.intercept_ = float(result.params["intercept"]) if fit_intercept else 0.0
        self.n_iter_ = int(result.num_iter)

    # -- the posterior ---------------------------------------------------------------------

    def sample_posterior(
        self,
        *,
        num_chains: int = 4,
        num_warmup: int = 1000,
        num_samples: int = 1000,
        seed: int = 0,
        method: str = "auto",
        **kwargs: Any,
    ) -> Any:
        """Sample the posterior of the fitted model; store it in ``posterior_``.

        Runs `bayesreg.sample_posterior` on the same model, prior and data as ``fit`` (feature
        names become the ArviZ coordinates of ``"coef"``). For a prior with no MAP, ``fit``
        has already sampled (``posterior_``, its mean ``coef_``); this draws again, with these
        arguments, and leaves ``coef_`` as it is.

        Parameters
        ----------
        num_chains : int
            Number of chains.
        num_warmup : int
            Warm-up (adaptation) draws per chain, discarded.
        num_samples : int
            Kept draws per chain.
        seed : int
            Random seed.
        method : str
            Sampler choice, passed on (``"auto"`` uses the exact conjugate sampler when the
            posterior is Gaussian, NUTS otherwise).
        **kwargs
            Further keyword arguments of `bayesreg.sample_posterior`.

        Returns
        -------
        result
            The posterior result (``.samples``, ``.idata``), also stored as ``posterior_``.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator has not been fitted.

        Examples
        --------
        A Normal prior with known ``sigma`` has a Gaussian posterior, sampled exactly:

        >>> import numpy as np
        >>> from bayesreg.sklearn import BayesianLinearRegression
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(30, 2))
        >>> y = X @ [1.0, -1.0] + rng.normal(size=30)
        >>> est = BayesianLinearRegression(l2_scale=1.0, sigma=1.0).fit(X, y)
        >>> post = est.sample_posterior(num_chains=2, num_samples=500)
        >>> post.method, post.samples["coef"].shape
        ('exact', (1000, 2))
        >>> y_mean, y_std = est.predict(X[:3], return_std=True)
        >>> bool(np.all(y_std > 1.0))  # parameter uncertainty on top of the noise sd
        True
        """
        check_is_fitted(self, "map_")
        from ..sample import sample_posterior

        fit = self.map_ if self.map_ is not None else self.posterior_  # the model and its data
        self.posterior_ = sample_posterior(
            fit.model,
            *fit.args,
            num_chains=num_chains,
            num_warmup=num_warmup,
            num_samples=num_samples,
            seed=seed,
            method=method,
            **kwargs,
            **fit.kwargs,
        )
        return self.posterior_

    def _posterior_draws(self, name: str) -> np.ndarray:
        """Draws of a site with chains flattened: shape ``(draws, *site_shape)``."""
        # the leading axis holds every chain's draws (PosteriorResult.samples)
        return np.asarray(self.posterior_.samples[name], dtype=float)

    def _posterior_linear_predictor(self, X: np.ndarray) -> np.ndarray:
        """Linear predictor under every posterior draw: shape ``(draws, n)``."""
        if not hasattr(self, "posterior_"):
            raise NotFittedError(
                f"predict(X, return_std=True) uses the posterior, which {type(self).__name__} "
                "has not sampled yet; call .sample_posterior() after fit first."
            )
        eta = self._posterior_draws("coef") @ X.T
        if "intercept" in self.posterior_.samples:
            eta = eta + self._posterior_draws("intercept")[:, None]
        return eta

    def _validate_X(self, X: ArrayLike) -> np.ndarray:
        check_is_fitted(self, "map_")
        check_unique_names(getattr(X, "columns", ()), "X")
        return validate_data(self, X, reset=False, dtype=np.float64)

    def _linear_predictor(self, X: np.ndarray) -> np.ndarray:
        return X @ self.coef_.ravel() + np.ravel(self.intercept_)[0]
