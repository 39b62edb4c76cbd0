"""What the three estimators share: hyperparameter checks, the prior, the MAP fit, the posterior.

An estimator knows its likelihood (``"linear"``, ``"logistic"``, ``"poisson"``) and the name of
its scikit-learn penalty strength (``alpha`` or ``C``); everything about the prior is asked of
the prior kind (``bayesreg.priors``: which scales it takes, how it is built) and of the one table
of penalty conventions (``bayesreg.penalty.CONVENTIONS``: how a penalty becomes those scales).
No estimator branches on a prior's name.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import penalty, priors
from .._types import ArrayLike
from .._validation import check_unique_names
from ..map import MapResult, map_estimate
from ..priors import PriorKind

__all__ = [
    "BayesianGLM",
    "check_bool",
    "check_max_iter",
    "check_optional_positive",
    "check_positive",
    "check_scale",
]


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


def _check_l1_ratio(value: Any) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok or not 0.0 <= value <= 1.0:
        raise ValueError(
            f"l1_ratio must be a number in [0, 1] (0: pure L2, 1: pure L1); got l1_ratio={value!r}."
        )
    return float(value)


# ---------------------------------------------------------------------------------------------
# the penalty convention of a likelihood and a prior kind


# ---------------------------------------------------------------------------------------------
# the shared machinery


class BayesianGLM(BaseEstimator):
    """MAP fit, posterior sampling and prediction shared by the three estimators.

    A subclass sets ``_model`` (its NumPyro model function), ``_likelihood`` (the likelihood of
    its penalty conventions) and ``_strength_name`` (the attribute holding the scikit-learn
    penalty strength), and stores its keyword arguments in ``__init__``.
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

    def _resolve_prior(self, n: int, n_features: int, sigma: float | None = None) -> Any:
        """Check the prior hyperparameters and return the prior distribution of each weight.

        ``sigma`` is the noise sd a penalty strength is converted with (default: the
        estimator's own, `_penalty_sigma`).
        """
        kind = priors.get(self.prior)
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
        tol = check_optional_positive(self.tol, "tol", "the tolerance of the MAP solve")
        max_iter = check_max_iter(self.max_iter)
        n, n_features = X.shape
        prior = self._resolve_prior(n, n_features, penalty_sigma)
        names = getattr(self, "feature_names_in_", None)
        kwargs = self._model_kwargs(y) if model_kwargs is None else model_kwargs
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
        self.__dict__.pop("posterior_", None)
        self.map_: MapResult = result
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
        names become the ArviZ coordinates of ``"coef"``).

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

        fit = self.map_
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
        draws = np.asarray(self.posterior_.samples[name], dtype=float)
        site_ndim = np.ndim(self.map_.params[name])
        return draws.reshape((-1, *draws.shape[draws.ndim - site_ndim :]))

    def _posterior_linear_predictor(self, X: np.ndarray) -> np.ndarray:
        """Linear predictor under every posterior draw: shape ``(draws, n)``."""
        if not hasattr(self, "posterior_"):
            raise NotFittedError(
                f"predict(X, return_std=True) uses the posterior, which {type(self).__name__} "
                "has not sampled yet; call .sample_posterior() after fit first."
            )
        eta = self._posterior_draws("coef") @ X.T
        if "intercept" in self.map_.params:
            eta = eta + self._posterior_draws("intercept")[:, None]
        return eta

    def _validate_X(self, X: ArrayLike) -> np.ndarray:
        check_is_fitted(self, "map_")
        check_unique_names(getattr(X, "columns", ()), "X")
        return validate_data(self, X, reset=False, dtype=np.float64)

    def _linear_predictor(self, X: np.ndarray) -> np.ndarray:
        return X @ self.coef_.ravel() + np.ravel(self.intercept_)[0]
