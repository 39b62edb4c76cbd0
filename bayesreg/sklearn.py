r"""scikit-learn estimators whose ``fit`` is the MAP of a Bayesian regression model.

Three estimators, one per likelihood of :mod:`bayesreg.models`:

- :class:`BayesianLinearRegression` — Gaussian likelihood, known or unknown noise sd;
- :class:`BayesianLogisticRegression` — Bernoulli likelihood with logit link (binary);
- :class:`BayesianPoissonRegression` — Poisson likelihood with log link.

Each takes a ``prior`` on the weights, ``"gaussian"`` (Normal), ``"laplace"`` or ``"elastic_net"``,
whose MAP is ridge, the lasso and the elastic net. Its scale is given either **directly**
(``l1_scale`` = Laplace scale ``b``, ``l2_scale`` = Normal sd ``tau``), or as the **penalty of the
scikit-learn estimator** with the same MAP (``alpha`` / ``C`` and ``l1_ratio``); the conversion is
done by :mod:`bayesreg.penalty` and gives the same coefficients as scikit-learn:

- ``BayesianLinearRegression(prior="gaussian", alpha=a, sigma=s)`` is ``Ridge(alpha=a)``;
- ``BayesianLinearRegression(prior="laplace", alpha=a, sigma=s)`` is ``Lasso(alpha=a)``;
- ``BayesianLinearRegression(prior="elastic_net", alpha=a, l1_ratio=r, sigma=s)`` is
  ``ElasticNet(alpha=a, l1_ratio=r)``;
- ``BayesianLogisticRegression(prior="gaussian", C=c)`` is ``LogisticRegression(C=c, l1_ratio=0)``;
- ``BayesianLogisticRegression(prior="laplace", C=c)`` is
  ``LogisticRegression(C=c, l1_ratio=1, solver="saga")``;
- ``BayesianPoissonRegression(prior="gaussian", alpha=a)`` is ``PoissonRegressor(alpha=a)``,

for **any** noise sd ``s`` of the linear model: the ridge solution does not depend on ``s`` at a
fixed ``alpha``, and the Lasso / ElasticNet solutions do not either, because the prior scale is
derived from ``alpha`` and ``s`` together (``b = s² / (n alpha)``). ``s`` matters for the
posterior (its width) and for ``predict(X, return_std=True)``. The intercept has a flat prior and
is never penalized, as with ``fit_intercept=True`` in scikit-learn.

``fit`` computes the MAP with :func:`bayesreg.map_estimate` (exact zeros for L1 priors) and sets
``coef_``, ``intercept_``; :meth:`~BayesianLinearRegression.sample_posterior` runs NUTS on the same
model and data, after which ``predict(X, return_std=True)`` gives posterior predictive means and
standard deviations.

This is the only module of bayesreg that imports scikit-learn (``pip install bayesreg[sklearn]``).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
import numpyro.distributions as dist
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils import Tags
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from . import models, penalty
from ._types import ArrayLike
from ._validation import check_unique_names
from .map import MapResult, map_estimate

__all__ = [
    "BayesianLinearRegression",
    "BayesianLogisticRegression",
    "BayesianPoissonRegression",
]

_PRIORS = ("gaussian", "laplace", "elastic_net")
# which direct scale each prior needs
_SCALES = {
    "gaussian": ("l2_scale",),
    "laplace": ("l1_scale",),
    "elastic_net": ("l1_scale", "l2_scale"),
}


# ---------------------------------------------------------------------------------------------
# hyperparameter checks (run in fit, never in __init__)


def _check_choice(value: Any, name: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}; got {name}={value!r}.")
    return value


def _check_positive(value: Any, name: str, meaning: str) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or value <= 0:
        raise ValueError(
            f"{name} must be a positive finite number ({meaning}); got {name}={value!r}."
        )
    return float(value)


def _check_optional_positive(value: Any, name: str, meaning: str) -> float | None:
    return None if value is None else _check_positive(value, name, meaning)


def _check_scale(value: Any, name: str, n_features: int) -> np.ndarray:
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


def _check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be True or False; got {name}={value!r}.")
    return bool(value)


def _check_max_iter(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"max_iter must be a positive integer; got max_iter={value!r}.")
    return int(value)


def _prior_from_scales(l1_scale: np.ndarray | None, l2_scale: np.ndarray | None) -> Any:
    """Build the NumPyro prior; an infinite scale means that term is absent."""
    has_l1 = l1_scale is not None and not np.all(np.isinf(l1_scale))
    has_l2 = l2_scale is not None and not np.all(np.isinf(l2_scale))
    if has_l1 and has_l2:
        return models.elastic_net(l1_scale, l2_scale)
    if has_l1:
        return models.laplace(l1_scale)
    return models.gaussian(l2_scale)


# ---------------------------------------------------------------------------------------------
# the shared machinery


class _BayesianGLM(BaseEstimator):
    """MAP fit, posterior sampling and prediction shared by the three estimators."""

    # the NumPyro model function and the name of the penalty-strength parameter
    _model: Callable
    _strength_name: str

    def _strength(self) -> float | None:
        return getattr(self, self._strength_name)

    def _penalty_scales(self, strength: float, l1_ratio: float, n: int) -> tuple[Any, Any]:
        """Return ``(l1_scale, l2_scale)`` from the scikit-learn penalty (``inf``: absent)."""
        raise NotImplementedError

    def _model_kwargs(self, y: np.ndarray) -> dict[str, Any]:
        """Keyword arguments of the model besides ``prior``, ``intercept``, ``feature_names``."""
        return {}

    def _resolve_prior(self, n: int, n_features: int) -> Any:
        """Check the prior hyperparameters and return the prior distribution of each weight."""
        prior = _check_choice(self.prior, "prior", _PRIORS)
        strength_name = self._strength_name
        strength = self._strength()
        needed = _SCALES[prior]
        given = {name: getattr(self, name) for name in ("l1_scale", "l2_scale")}
        for name, value in given.items():
            if value is not None and name not in needed:
                raise ValueError(
                    f"{name} is not used by prior={prior!r}, which takes {' and '.join(needed)}; "
                    f"remove {name} (or pick a prior that uses it)."
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
                raise ValueError(
                    f"prior={prior!r} needs both l1_scale and l2_scale; {missing[0]} is None."
                )
            scales = {name: _check_scale(given[name], name, n_features) for name in needed}
            return _prior_from_scales(scales.get("l1_scale"), scales.get("l2_scale"))
        strength = 1.0 if strength is None else strength
        strength = _check_positive(strength, strength_name, "the scikit-learn penalty strength")
        l1_ratio = {"gaussian": 0.0, "laplace": 1.0}.get(prior)
        if l1_ratio is None:
            l1_ratio = self.l1_ratio
            ok = isinstance(l1_ratio, numbers.Real) and not isinstance(l1_ratio, bool)
            if not ok or not 0.0 <= l1_ratio <= 1.0:
                raise ValueError(
                    f"l1_ratio must be a number in [0, 1] (0: pure L2, 1: pure L1); got "
                    f"l1_ratio={l1_ratio!r}."
                )
        l1_scale, l2_scale = self._penalty_scales(strength, float(l1_ratio), n)
        return _prior_from_scales(np.asarray(l1_scale), np.asarray(l2_scale))

    def _fit_map(self, X: np.ndarray, y: np.ndarray) -> None:
        """Compute the MAP and set the fitted attributes."""
        fit_intercept = _check_bool(self.fit_intercept, "fit_intercept")
        tol = _check_optional_positive(self.tol, "tol", "the tolerance of the MAP solve")
        max_iter = _check_max_iter(self.max_iter)
        n, n_features = X.shape
        prior = self._resolve_prior(n, n_features)
        names = getattr(self, "feature_names_in_", None)
        kwargs = self._model_kwargs(y)
        result = map_estimate(
            type(self)._model,
            X,
            y,
            tol=tol,
            max_iter=max_iter,
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

        Runs :func:`bayesreg.sample.sample_posterior` on the same model, prior and data as
        ``fit`` (feature names become the ArviZ coordinates of ``"coef"``).

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
            Further keyword arguments of :func:`bayesreg.sample.sample_posterior`.

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
        from .sample import sample_posterior

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


# ---------------------------------------------------------------------------------------------
# the estimators


class BayesianLinearRegression(RegressorMixin, _BayesianGLM):
    r"""Bayesian linear regression ``y ~ Normal(intercept + X @ coef, sigma)``, MAP ``fit``.

    The negative log posterior with known ``sigma`` is ``RSS / (2 sigma²) - sum log prior(coef)``,
    so the MAP is ridge, the lasso or the elastic net:

    - ``prior="gaussian", alpha=a`` is ``Ridge(alpha=a)`` (prior sd ``tau = sigma / sqrt(a)``);
    - ``prior="laplace", alpha=a`` is ``Lasso(alpha=a)`` (Laplace scale ``b = sigma² / (n a)``);
    - ``prior="elastic_net", alpha=a, l1_ratio=r`` is ``ElasticNet(alpha=a, l1_ratio=r)``.

    At a fixed ``alpha`` these coefficients do not depend on ``sigma``; ``sigma`` sets the
    posterior width. With ``sigma="estimate"`` the noise sd gets a HalfNormal prior and the MAP is
    joint over ``(coef, sigma)``; the prior scales must then be given directly (``l1_scale`` /
    ``l2_scale``), since a scikit-learn ``alpha`` only fixes a prior scale once ``sigma`` is known.
    At the joint optimum the weights are the lasso / ridge solution at ``alpha(sigma_)``, a
    relative of the scaled lasso.

    Parameters
    ----------
    prior : {"gaussian", "laplace", "elastic_net"}, default="gaussian"
        Prior of each weight; its MAP is ridge, the lasso and the elastic net.
    alpha : float, optional
        The scikit-learn penalty strength of ``Ridge`` / ``Lasso`` / ``ElasticNet`` (chosen by
        ``prior``), converted to a prior scale with the known ``sigma`` through
        :mod:`bayesreg.penalty`. When neither ``alpha`` nor a scale is given, ``alpha=1.0``
        (scikit-learn's default), so ``BayesianLinearRegression()`` equals ``Ridge()``.
    sigma : float or {"estimate"} or None, default=1.0
        Noise sd of the Gaussian likelihood: a positive number (known), or ``"estimate"`` /
        ``None`` for unknown noise with a ``HalfNormal(sigma_prior_scale)`` prior.
    sigma_prior_scale : float, optional
        Scale of the HalfNormal prior on an unknown ``sigma``; default: the standard deviation of
        the training ``y`` (1.0 if ``y`` is constant), a weakly informative choice in the units of
        ``y``. Only with ``sigma="estimate"``.
    l1_ratio : float, default=0.5
        With ``prior="elastic_net"`` and the penalty-strength parameter: the scikit-learn
        ``l1_ratio`` in [0, 1] (0: pure L2, 1: pure L1). Ignored by the other priors.
    l1_scale : float or array of shape (n_features,), optional
        Laplace scale ``b`` of each weight, the L1 part of ``"laplace"`` and ``"elastic_net"``
        (the prior density is ``∝ exp(-|w|/b)``). Mutually exclusive with the penalty strength.
    l2_scale : float or array of shape (n_features,), optional
        Normal sd ``tau`` of each weight, the L2 part of ``"gaussian"`` and ``"elastic_net"``
        (``∝ exp(-w²/(2 tau²))``). Mutually exclusive with the penalty strength.
    fit_intercept : bool, default=True
        Fit an intercept with a flat (improper) prior, never penalized, as in scikit-learn.
    tol : float, optional
        Tolerance of :func:`bayesreg.map_estimate` on its relative optimality certificate
        (default ``1e-10``).
    max_iter : int, default=20000
        Maximum iterations of the MAP solver.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        MAP weights (exact zeros for L1 priors).
    sigma_ : float
        The noise sd: the MAP of ``sigma`` when estimated, the given value otherwise.
    intercept_ : float
        MAP intercept (0.0 with ``fit_intercept=False``).
    n_iter_ : int
        Iterations of the MAP solver.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names of ``X`` when it is a DataFrame with string column names; they also label
        the ``"coef"`` coordinates of the posterior.
    map_ : MapResult
        The full MAP result (``.params``, ``.converged``, ``.optimality``, ``.objective``).
    prior_ : numpyro.distributions.Distribution
        The prior each weight was given (after converting the penalty).
    posterior_ : object
        Set by :meth:`sample_posterior`: the posterior result (``.samples``, ``.idata``).

    See Also
    --------
    bayesreg.models.linear : The model.
    bayesreg.penalty : The penalty <-> prior scale conversions.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Lasso
    >>> X, y = load_diabetes(return_X_y=True)
    >>> est = BayesianLinearRegression(prior="laplace", alpha=0.1, sigma=50.0).fit(X, y)
    >>> bool(abs(est.coef_ - Lasso(alpha=0.1, tol=1e-12).fit(X, y).coef_).max() < 1e-6)
    True
    >>> int((est.coef_ == 0).sum())
    3
    """

    _model = staticmethod(models.linear)
    _strength_name = "alpha"

    def __init__(
        self,
        prior: str = "gaussian",
        *,
        alpha: float | None = None,
        l1_ratio: float = 0.5,
        l1_scale: ArrayLike | None = None,
        l2_scale: ArrayLike | None = None,
        sigma: float | str | None = 1.0,
        sigma_prior_scale: float | None = None,
        fit_intercept: bool = True,
        tol: float | None = None,
        max_iter: int = 20_000,
    ) -> None:
        self.prior = prior
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.l1_scale = l1_scale
        self.l2_scale = l2_scale
        self.sigma = sigma
        self.sigma_prior_scale = sigma_prior_scale
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter

    def _sigma_known(self) -> float | None:
        """Return the known noise sd, or ``None`` when it is estimated."""
        if self.sigma is None or (isinstance(self.sigma, str) and self.sigma == "estimate"):
            return None
        return _check_positive(self.sigma, "sigma", 'the noise sd; or "estimate"')

    def _penalty_scales(self, strength: float, l1_ratio: float, n: int) -> tuple[Any, Any]:
        sigma = self._sigma_known()
        if sigma is None:
            given = "alpha=1.0 (the default)" if self.alpha is None else f"alpha={self.alpha!r}"
            raise ValueError(
                f"sigma={self.sigma!r} (unknown noise) with {given}: a scikit-learn alpha fixes "
                "the prior scale only for a known noise sd. Give the prior scale directly "
                f"({' and '.join(_SCALES[self.prior])}), or give sigma as a number."
            )
        if self.prior == "gaussian":
            return np.inf, penalty.ridge_prior_scale(strength, sigma=sigma)
        if self.prior == "laplace":
            return penalty.lasso_prior_scale(strength, sigma=sigma, n=n), np.inf
        return penalty.elastic_net_prior_scales(strength, l1_ratio, sigma=sigma, n=n)

    def _model_kwargs(self, y: np.ndarray) -> dict[str, Any]:
        sigma = self._sigma_known()
        if sigma is not None:
            if self.sigma_prior_scale is not None:
                raise ValueError(
                    f"sigma_prior_scale={self.sigma_prior_scale!r} is only used with "
                    f"sigma='estimate'; got sigma={self.sigma!r}. Remove one of them."
                )
            return {"sigma": sigma}
        scale = _check_optional_positive(
            self.sigma_prior_scale, "sigma_prior_scale", "the HalfNormal scale of sigma"
        )
        if scale is None:
            spread = float(np.std(y))
            scale = spread if spread > 0 else 1.0
        return {"sigma": dist.HalfNormal(scale)}

    def fit(self, X: ArrayLike, y: ArrayLike) -> BayesianLinearRegression:
        """Fit the MAP of the model.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Design matrix (without an intercept column).
        y : array-like of shape (n_samples,)
            Response.

        Returns
        -------
        BayesianLinearRegression
            The fitted estimator.
        """
        check_unique_names(getattr(X, "columns", ()), "X")
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        self._fit_map(X, y)
        sigma = self._sigma_known()
        self.sigma_ = float(self.map_.params["sigma"]) if sigma is None else sigma
        return self

    def predict(
        self, X: ArrayLike, return_std: bool = False
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Predict with the MAP, or the posterior predictive mean and sd.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to predict.
        return_std : bool, default=False
            If False, return the MAP prediction ``intercept_ + X @ coef_``. If True, return the
            posterior predictive mean and standard deviation over the draws of
            :meth:`sample_posterior`; the sd includes the noise (``sqrt(var of the mean +
            E[sigma²])``), as in ``BayesianRidge``. The mean is the posterior mean of
            ``intercept + X @ coef``, equal to the MAP prediction for a Gaussian prior with known
            ``sigma`` up to Monte Carlo error, but not for a Laplace prior.

        Returns
        -------
        y_mean : ndarray of shape (n_samples,)
            Prediction.
        y_std : ndarray of shape (n_samples,)
            Posterior predictive sd; only with ``return_std=True``.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If not fitted, or with ``return_std=True`` before :meth:`sample_posterior`.
        """
        X = self._validate_X(X)
        if not return_std:
            return self._linear_predictor(X)
        eta = self._posterior_linear_predictor(X)
        if "sigma" in self.map_.params:
            noise_var = float(np.mean(self._posterior_draws("sigma") ** 2))
        else:
            noise_var = self.sigma_**2
        return eta.mean(axis=0), np.sqrt(eta.var(axis=0) + noise_var)


class BayesianLogisticRegression(ClassifierMixin, _BayesianGLM):
    r"""Bayesian logistic regression ``y ~ Bernoulli(logit = intercept + X @ coef)``, MAP ``fit``.

    Binary only; ``classes_[1]`` is the positive class (label 1 of the model). The negative log
    posterior is ``sum logloss - sum log prior(coef)``, so with ``C`` the MAP is scikit-learn's
    ``LogisticRegression(C=C, l1_ratio=...)`` (which minimizes ``C·sum logloss + penalty``):

    - ``prior="gaussian", C=c``: ``l1_ratio=0``, prior sd ``tau = sqrt(c)``;
    - ``prior="laplace", C=c``: ``l1_ratio=1`` (solver ``"saga"``), Laplace scale ``b = c``;
    - ``prior="elastic_net", C=c, l1_ratio=r``: ``l1_ratio=r`` (solver ``"saga"``).

    Parameters
    ----------
    prior : {"gaussian", "laplace", "elastic_net"}, default="gaussian"
        Prior of each weight.
    C : float, optional
        ``LogisticRegression``'s inverse regularization strength, converted through
        :func:`bayesreg.penalty.logistic_prior_scales`. When neither ``C`` nor a scale is given,
        ``C=1.0`` (scikit-learn's default).
    l1_ratio : float, default=0.5
        With ``prior="elastic_net"`` and the penalty-strength parameter: the scikit-learn
        ``l1_ratio`` in [0, 1] (0: pure L2, 1: pure L1). Ignored by the other priors.
    l1_scale : float or array of shape (n_features,), optional
        Laplace scale ``b`` of each weight, the L1 part of ``"laplace"`` and ``"elastic_net"``
        (the prior density is ``∝ exp(-|w|/b)``). Mutually exclusive with the penalty strength.
    l2_scale : float or array of shape (n_features,), optional
        Normal sd ``tau`` of each weight, the L2 part of ``"gaussian"`` and ``"elastic_net"``
        (``∝ exp(-w²/(2 tau²))``). Mutually exclusive with the penalty strength.
    fit_intercept : bool, default=True
        Fit an intercept with a flat (improper) prior, never penalized, as in scikit-learn.
    tol : float, optional
        Tolerance of :func:`bayesreg.map_estimate` on its relative optimality certificate
        (default ``1e-10``).
    max_iter : int, default=20000
        Maximum iterations of the MAP solver.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two class labels, sorted.
    coef_ : ndarray of shape (1, n_features)
        MAP weights (shape as in ``LogisticRegression``).
    intercept_ : float
        MAP intercept (0.0 with ``fit_intercept=False``).
    n_iter_ : int
        Iterations of the MAP solver.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names of ``X`` when it is a DataFrame with string column names; they also label
        the ``"coef"`` coordinates of the posterior.
    map_ : MapResult
        The full MAP result (``.params``, ``.converged``, ``.optimality``, ``.objective``).
    prior_ : numpyro.distributions.Distribution
        The prior each weight was given (after converting the penalty).
    posterior_ : object
        Set by :meth:`sample_posterior`: the posterior result (``.samples``, ``.idata``).

    See Also
    --------
    bayesreg.models.logistic : The model.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = BayesianLogisticRegression(prior="laplace", C=0.1).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape, bool(clf.score(X, y) > 0.95)
    ((2, 2), True)
    """

    _model = staticmethod(models.logistic)
    _strength_name = "C"

    def __init__(
        self,
        prior: str = "gaussian",
        *,
        C: float | None = None,
        l1_ratio: float = 0.5,
        l1_scale: ArrayLike | None = None,
        l2_scale: ArrayLike | None = None,
        fit_intercept: bool = True,
        tol: float | None = None,
        max_iter: int = 20_000,
    ) -> None:
        self.prior = prior
        self.C = C
        self.l1_ratio = l1_ratio
        self.l1_scale = l1_scale
        self.l2_scale = l2_scale
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def _penalty_scales(self, strength: float, l1_ratio: float, n: int) -> tuple[Any, Any]:
        return penalty.logistic_prior_scales(strength, l1_ratio)

    def fit(self, X: ArrayLike, y: ArrayLike) -> BayesianLogisticRegression:
        """Fit the MAP of the model.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Design matrix (without an intercept column).
        y : array-like of shape (n_samples,)
            Two class labels (any type); the larger one after sorting is the positive class.

        Returns
        -------
        BayesianLogisticRegression
            The fitted estimator.
        """
        check_unique_names(getattr(X, "columns", ()), "X")
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        classes = np.unique(y)
        if classes.shape[0] < 2:
            raise ValueError(
                f"y has only one class ({classes[0]!r}); logistic regression needs two classes."
            )
        y_type = type_of_target(y, input_name="y")
        if y_type != "binary":
            raise ValueError(
                "Only binary classification is supported. The type of the target is "
                f"{y_type}, with {classes.shape[0]} classes; fit one estimator per class "
                "(sklearn.multiclass.OneVsRestClassifier) for more."
            )
        self.classes_ = classes
        self._fit_map(X, (y == classes[1]).astype(np.float64))
        self.coef_ = self.coef_.reshape(1, -1)
        self.intercept_ = np.array([self.intercept_])
        return self

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Return the MAP log-odds of ``classes_[1]``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        ndarray of shape (n_samples,)
            ``intercept_ + X @ coef_``.
        """
        return self._linear_predictor(self._validate_X(X))

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Return the MAP (plug-in) class probabilities.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        ndarray of shape (n_samples, 2)
            Columns in the order of ``classes_``.
        """
        logits = self.decision_function(X)
        positive = 0.5 * (1.0 + np.tanh(0.5 * logits))  # the logistic function, overflow-free
        return np.column_stack([1.0 - positive, positive])

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """Return the logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        ndarray of shape (n_samples, 2)
            Columns in the order of ``classes_``.
        """
        logits = self.decision_function(X)
        return -np.logaddexp(0.0, np.column_stack([logits, -logits]))

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Return the MAP class of each row (``classes_[1]`` where the log-odds are positive).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(int)]


class BayesianPoissonRegression(RegressorMixin, _BayesianGLM):
    r"""Bayesian Poisson regression ``y ~ Poisson(exp(intercept + X @ coef))``, MAP ``fit``.

    The negative log posterior is ``sum (exp(eta) - y·eta) - sum log prior(coef)`` up to a
    constant, ``n`` times ``PoissonRegressor``'s ``(1/(2n))·sum deviance``:

    - ``prior="gaussian", alpha=a`` is ``PoissonRegressor(alpha=a)`` (prior sd
      ``tau = 1/sqrt(n a)``);
    - ``prior="laplace"`` / ``"elastic_net"`` with ``alpha=a, l1_ratio=r`` use the same scaling for
      the L1 part, i.e. glmnet ``family="poisson", lambda=a, alpha=r, standardize=FALSE``
      (:func:`bayesreg.penalty.glmnet_prior_scales`).

    ``y`` holds non-negative integer counts (the Poisson likelihood is a probability mass
    function; unlike ``PoissonRegressor``, non-integer targets are refused). This is also why the
    scikit-learn estimator checks that fit regressors on continuous targets
    (``check_regressors_train``, ``check_fit_idempotent``, ``check_n_features_in`` and four more)
    are expected failures for this estimator; they pass on integer targets.

    Parameters
    ----------
    prior : {"gaussian", "laplace", "elastic_net"}, default="gaussian"
        Prior of each weight.
    alpha : float, optional
        The penalty strength (``PoissonRegressor``'s ``alpha``). When neither ``alpha`` nor a
        scale is given, ``alpha=1.0`` (scikit-learn's default).
    l1_ratio : float, default=0.5
        With ``prior="elastic_net"`` and the penalty-strength parameter: the scikit-learn
        ``l1_ratio`` in [0, 1] (0: pure L2, 1: pure L1). Ignored by the other priors.
    l1_scale : float or array of shape (n_features,), optional
        Laplace scale ``b`` of each weight, the L1 part of ``"laplace"`` and ``"elastic_net"``
        (the prior density is ``∝ exp(-|w|/b)``). Mutually exclusive with the penalty strength.
    l2_scale : float or array of shape (n_features,), optional
        Normal sd ``tau`` of each weight, the L2 part of ``"gaussian"`` and ``"elastic_net"``
        (``∝ exp(-w²/(2 tau²))``). Mutually exclusive with the penalty strength.
    fit_intercept : bool, default=True
        Fit an intercept with a flat (improper) prior, never penalized, as in scikit-learn.
    tol : float, optional
        Tolerance of :func:`bayesreg.map_estimate` on its relative optimality certificate
        (default ``1e-10``).
    max_iter : int, default=20000
        Maximum iterations of the MAP solver.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        MAP weights.
    intercept_ : float
        MAP intercept (0.0 with ``fit_intercept=False``).
    n_iter_ : int
        Iterations of the MAP solver.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names of ``X`` when it is a DataFrame with string column names; they also label
        the ``"coef"`` coordinates of the posterior.
    map_ : MapResult
        The full MAP result (``.params``, ``.converged``, ``.optimality``, ``.objective``).
    prior_ : numpyro.distributions.Distribution
        The prior each weight was given (after converting the penalty).
    posterior_ : object
        Set by :meth:`sample_posterior`: the posterior result (``.samples``, ``.idata``).

    See Also
    --------
    bayesreg.models.poisson : The model.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(50, 2))
    >>> y = rng.poisson(np.exp(0.5 + X @ [0.3, -0.2]))
    >>> est = BayesianPoissonRegression(alpha=0.01).fit(X, y)
    >>> est.predict(X[:3]).shape
    (3,)
    """

    _model = staticmethod(models.poisson)
    _strength_name = "alpha"

    def __init__(
        self,
        prior: str = "gaussian",
        *,
        alpha: float | None = None,
        l1_ratio: float = 0.5,
        l1_scale: ArrayLike | None = None,
        l2_scale: ArrayLike | None = None,
        fit_intercept: bool = True,
        tol: float | None = None,
        max_iter: int = 20_000,
    ) -> None:
        self.prior = prior
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.l1_scale = l1_scale
        self.l2_scale = l2_scale
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = True
        return tags

    def _penalty_scales(self, strength: float, l1_ratio: float, n: int) -> tuple[Any, Any]:
        if self.prior == "gaussian":
            return np.inf, penalty.poisson_prior_scale(strength, n=n)
        return penalty.glmnet_prior_scales(strength, l1_ratio, n=n)

    def fit(self, X: ArrayLike, y: ArrayLike) -> BayesianPoissonRegression:
        """Fit the MAP of the model.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Design matrix (without an intercept column).
        y : array-like of shape (n_samples,)
            Non-negative integer counts.

        Returns
        -------
        BayesianPoissonRegression
            The fitted estimator.
        """
        check_unique_names(getattr(X, "columns", ()), "X")
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        if np.any(y < 0) or np.any(y != np.round(y)):
            raise ValueError(
                "y must hold non-negative integer counts for Poisson regression; got values "
                f"such as {y[(y < 0) | (y != np.round(y))][:3].tolist()}."
            )
        self._fit_map(X, y)
        return self

    def predict(
        self, X: ArrayLike, return_std: bool = False
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Predict the mean count with the MAP, or the posterior predictive mean and sd.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to predict.
        return_std : bool, default=False
            If False, return ``exp(intercept_ + X @ coef_)``. If True, return the posterior
            predictive mean ``E[mu]`` and sd ``sqrt(E[mu] + Var[mu])`` (Poisson noise included)
            over the draws of :meth:`sample_posterior`, with ``mu = exp(intercept + X @ coef)``.

        Returns
        -------
        y_mean : ndarray of shape (n_samples,)
            Predicted mean count.
        y_std : ndarray of shape (n_samples,)
            Posterior predictive sd; only with ``return_std=True``.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If not fitted, or with ``return_std=True`` before :meth:`sample_posterior`.
        """
        X = self._validate_X(X)
        if not return_std:
            return np.exp(self._linear_predictor(X))
        mu = np.exp(self._posterior_linear_predictor(X))
        mean = mu.mean(axis=0)
        return mean, np.sqrt(mean + mu.var(axis=0))
