r"""Bayesian linear regression: ``Ridge``, ``Lasso`` and ``ElasticNet`` as MAP estimates."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpyro.distributions as dist
from sklearn.base import RegressorMixin
from sklearn.utils.validation import validate_data

from .. import models, penalty, priors
from .._types import ArrayLike
from .._validation import check_unique_names
from .base import BayesianGLM, check_bool, check_optional_positive, check_positive

#: the strings ``alpha`` takes: ways of choosing the scale from the data (both the evidence)
_SCALE_METHODS = ("evidence", "auto")

__all__ = ["BayesianLinearRegression"]


class BayesianLinearRegression(RegressorMixin, BayesianGLM):
    r"""Bayesian linear regression ``y ~ Normal(intercept + X @ coef, sigma)``, MAP ``fit``.

    The negative log posterior with known ``sigma`` is ``RSS / (2 sigma²) - sum log prior(coef)``,
    so the MAP is ridge, the lasso or the elastic net:

    - ``prior="gaussian", alpha=a`` is ``Ridge(alpha=a)`` (prior sd ``tau = sigma / sqrt(a)``);
    - ``prior="laplace", alpha=a`` is ``Lasso(alpha=a)`` (Laplace scale ``b = sigma² / (n a)``);
    - ``prior="elastic_net", alpha=a, l1_ratio=r`` is ``ElasticNet(alpha=a, l1_ratio=r)``.

    At a fixed ``alpha`` these coefficients do not depend on ``sigma``; ``sigma`` sets the
    posterior width, so it is never assumed: by default (``sigma=None``, or ``"estimate"``) the
    noise sd is unknown, with the weakly informative prior ``HalfNormal(sigma_prior_scale)``
    (default scale: the sd of the training ``y``), and the MAP is joint over
    ``(coef, sigma)``. With ``alpha`` given, the prior scale is the one ``alpha`` gives at the
    estimated noise sd ``sigma_`` (``tau = sigma_ / sqrt(alpha)``, ``b = sigma_² / (n alpha)``),
    where ``sigma_`` solves the joint MAP's stationarity in ``sigma`` at the penalized fit,
    ``n sigma² + sigma⁴ / s² = RSS`` (``s`` the HalfNormal scale): the joint MAP's weights are
    then exactly ``Ridge`` / ``Lasso`` / ``ElasticNet(alpha)``, and ``sigma_`` is close to
    ``sqrt(RSS / n)``. With the prior scales given directly (``l1_scale`` / ``l2_scale``) the
    joint MAP's weights are the lasso / ridge solution at ``alpha(sigma_)``, a relative of the
    scaled lasso. A number ``sigma`` holds the noise sd fixed at it.

    ``alpha="evidence"`` (or ``"auto"``) chooses the scale of a Normal prior as
    ``BayesianRidge`` does, by maximizing the marginal likelihood (type-II maximum likelihood,
    `bayesreg.empirical_bayes`) over ``tau``, and over ``sigma`` too when it is estimated (the
    default; a number is held fixed); the MAP and the posterior are then those at the estimates.
    With the noise estimated and ``fit_intercept=False`` on centred data this is
    ``BayesianRidge(alpha_1=alpha_2=lambda_1=lambda_2=0, fit_intercept=False)``; with the flat
    intercept the evidence has ``n - 1`` degrees of freedom where ``BayesianRidge`` keeps ``n``.
    A prior with an L1 part has no closed-form evidence: ``"auto"`` refuses it and points to
    `BayesianLinearRegressionCV`, rather than switching silently to a method (random folds, a
    grid, other attributes) the user did not ask for.

    Parameters
    ----------
    prior : str, default="gaussian"
        Prior of each weight: ``"gaussian"``, ``"laplace"`` or ``"elastic_net"`` (the MAP is
        ridge, the lasso, the elastic net), or a shrinkage prior with no penalty,
        ``"horseshoe"``, ``"horseshoe_plus"``, ``"regularized_horseshoe"``, ``"student_t"``
        or ``"r2d2"`` (its parameters below).
    alpha : float or {"evidence", "auto"}, optional
        The scikit-learn penalty strength of ``Ridge`` / ``Lasso`` / ``ElasticNet`` (chosen by
        ``prior``), converted to a prior scale with ``sigma`` (the estimated ``sigma_`` by
        default) through `bayesreg.penalty`. When neither ``alpha`` nor a scale is given,
        ``alpha=1.0`` (scikit-learn's default), so ``BayesianLinearRegression()`` equals
        ``Ridge()``.
        ``"evidence"`` / ``"auto"``: chosen by the evidence (Normal prior only; see above).
    sigma : float or {"estimate"} or None, default=None
        Noise sd of the Gaussian likelihood: ``None`` / ``"estimate"`` (the default) for unknown
        noise with a ``HalfNormal(sigma_prior_scale)`` prior, estimated with the weights
        (``sigma_``); or a positive number, held fixed (known noise).
    sigma_prior_scale : float, optional
        Scale of the HalfNormal prior on an unknown ``sigma``; default: the standard deviation of
        the training ``y`` (1.0 if ``y`` is constant), a weakly informative choice in the units of
        ``y``. Only with an estimated ``sigma`` (``None`` / ``"estimate"``).
    l1_ratio : float, default=0.5
        With ``prior="elastic_net"`` and the penalty-strength parameter: the scikit-learn
        ``l1_ratio`` in [0, 1] (0: pure L2, 1: pure L1). Ignored by the other priors.
    l1_scale : float or array of shape (n_features,), optional
        Laplace scale ``b`` of each weight, the L1 part of ``"laplace"`` and ``"elastic_net"``
        (the prior density is ``∝ exp(-|w|/b)``). Mutually exclusive with the penalty strength.
    l2_scale : float or array of shape (n_features,), optional
        Normal sd ``tau`` of each weight, the L2 part of ``"gaussian"`` and ``"elastic_net"``
        (``∝ exp(-w²/(2 tau²))``). Mutually exclusive with the penalty strength.
    global_scale, nonzero, slab_scale, slab_df : float, optional
        Parameters of the horseshoe family (`bayesreg.priors.shrinkage`): ``horseshoe`` and
        ``horseshoe_plus`` take ``global_scale`` (``tau ~ C+(0, global_scale)``);
        ``regularized_horseshoe`` takes ``global_scale`` or ``nonzero`` (a guess ``p0`` of the
        number of nonzero weights, ``0 < p0 < n_features``: the global scale is
        ``p0 / (p - p0) / sqrt(n)``), and its slab's ``slab_scale`` and ``slab_df``. In this
        model the shrinkage priors' scales are in units of the noise sd ``sigma``.
        Each parameter here and below is accepted only by the priors that take it; ``None``
        keeps the prior's default.
    df, scale : float, optional
        Degrees of freedom and scale of ``student_t``.
    r2_mean, r2_precision, concentration : float, optional
        ``r2d2``: the prior mean and precision of R² and the Dirichlet concentration of the
        weights' shares of the explained variance.
    num_samples : int, default=1000
        For a prior with no MAP: posterior draws kept per chain by ``fit``.
    num_warmup : int, default=1000
        For a prior with no MAP: warm-up (adaptation) steps per chain of ``fit``'s sampler.
    num_chains : int, default=4
        For a prior with no MAP: number of chains of ``fit``'s sampler.
    random_state : int, RandomState instance or None, default=0
        For a prior with no MAP: the seed of ``fit``'s sampler (an int is the seed itself; a
        ``RandomState`` or ``None``, numpy's global one, draws it).
    fit_intercept : bool, default=True
        Fit an intercept with a flat (improper) prior, never penalized, as in scikit-learn.
    tol : float, optional
        Tolerance of `bayesreg.map_estimate` on its relative optimality certificate
        (default ``1e-10``).
    max_iter : int, default=20000
        Maximum iterations of the MAP solver.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        MAP weights (exact zeros for L1 priors).
        For a prior with no MAP (``horseshoe``, ``horseshoe_plus``, ``regularized_horseshoe``,
        ``r2d2``) no MAP exists; ``coef_`` is the posterior mean, as R's ``bayesreg`` reports
        it and as ``BayesianRidge``'s ``coef_`` is a posterior mean.
    sigma_ : float
        The noise sd: the joint MAP of ``sigma`` when estimated (the default), the given value
        otherwise (with ``alpha="evidence"``: its type-II maximum-likelihood value when
        estimated; for a prior with no MAP: its posterior mean when estimated).
    alpha_ : float
        With ``alpha="evidence"``: the chosen ``Ridge`` alpha, ``sigma_² / tau_²``.
    tau_ : float
        With ``alpha="evidence"``: the chosen prior sd of each weight.
    log_evidence_ : float
        With ``alpha="evidence"``: the maximized log marginal likelihood.
    intercept_ : float
        MAP intercept (0.0 with ``fit_intercept=False``); for a prior with no MAP, the
        posterior mean.
    n_iter_ : int
        Iterations of the MAP solver (for a prior with no MAP: the sampler's steps per chain,
        ``num_warmup + num_samples``).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names of ``X`` when it is a DataFrame with string column names; they also label
        the ``"coef"`` coordinates of the posterior.
    map_ : MapResult or None
        The full MAP result (``.params``, ``.converged``, ``.optimality``, ``.objective``);
        ``None`` for a prior with no MAP.
    prior_ : numpyro.distributions.Distribution or ShrinkagePrior
        The prior each weight was given (after converting the penalty).
    posterior_ : object
        The posterior result (``.samples``, ``.idata``): set by ``fit`` for a prior with no
        MAP, by `sample_posterior` otherwise.

    See Also
    --------
    bayesreg.models.linear : The model.
    bayesreg.penalty : The penalty <-> prior scale conversions.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Lasso
    >>> X, y = load_diabetes(return_X_y=True)
    >>> est = BayesianLinearRegression(prior="laplace", alpha=0.1).fit(X, y)
    >>> bool(abs(est.coef_ - Lasso(alpha=0.1, tol=1e-12).fit(X, y).coef_).max() < 1e-6)
    True
    >>> int((est.coef_ == 0).sum()), round(est.sigma_, 1)  # the noise sd, estimated
    (3, 53.9)

    The scale of a Normal prior chosen by the evidence, as ``BayesianRidge``:

    >>> est = BayesianLinearRegression(alpha="evidence").fit(X, y)
    >>> bool(abs(est.alpha_ - est.sigma_**2 / est.tau_**2) < 1e-9 * est.alpha_)
    True

    A horseshoe prior has no MAP (its density is infinite at zero): ``fit`` samples the
    posterior, and ``coef_`` is its mean:

    >>> import numpy as np
    >>> est = BayesianLinearRegression(prior="horseshoe", num_chains=2).fit(X, y)
    >>> est.map_ is None, est.posterior_.samples["coef"].shape  # 2 chains x 1000 draws
    (True, (2000, 10))
    >>> bool(np.allclose(est.coef_, est.posterior_.samples["coef"].mean(axis=0)))
    True
    """

    __module__ = "bayesreg.sklearn"  # its public home (and the class name saved files hold)
    _model = staticmethod(models.linear)
    _likelihood = "linear"
    _strength_name = "alpha"

    def __init__(
        self,
        prior: str = "gaussian",
        *,
        alpha: float | None = None,
        l1_ratio: float = 0.5,
        l1_scale: ArrayLike | None = None,
        l2_scale: ArrayLike | None = None,
        sigma: float | str | None = None,
        sigma_prior_scale: float | None = None,
        fit_intercept: bool = True,
        tol: float | None = None,
        max_iter: int = 20_000,
        global_scale: float | None = None,
        nonzero: float | None = None,
        slab_scale: float | None = None,
        slab_df: float | None = None,
        df: float | None = None,
        scale: float | None = None,
        r2_mean: float | None = None,
        r2_precision: float | None = None,
        concentration: float | None = None,
        num_samples: int = 1000,
        num_warmup: int = 1000,
        num_chains: int = 4,
        random_state: int | np.random.RandomState | None = 0,
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
        self.global_scale = global_scale
        self.nonzero = nonzero
        self.slab_scale = slab_scale
        self.slab_df = slab_df
        self.df = df
        self.scale = scale
        self.r2_mean = r2_mean
        self.r2_precision = r2_precision
        self.concentration = concentration
        self.num_samples = num_samples
        self.num_warmup = num_warmup
        self.num_chains = num_chains
        self.random_state = random_state

    def _sigma_known(self) -> float | None:
        """Return the known noise sd, or ``None`` when it is estimated."""
        if self.sigma is None or (isinstance(self.sigma, str) and self.sigma == "estimate"):
            return None
        return check_positive(self.sigma, "sigma", 'the noise sd; or "estimate"')

    def _penalty_sigma(self) -> float:
        sigma = self._sigma_known()
        if sigma is None:
            strength = self._strength()
            given = "alpha=1.0 (the default)" if strength is None else f"alpha={strength!r}"
            raise ValueError(
                f"sigma={self.sigma!r} (unknown noise) with {given}: a scikit-learn alpha fixes "
                "the prior scale only for a known noise sd. Give the prior scale directly "
                f"({' and '.join(priors.get(self.prior).parts)}), or give sigma as a number."
            )
        return sigma

    def _model_kwargs(self, y: np.ndarray) -> dict[str, Any]:
        sigma = self._sigma_known()
        if sigma is not None:
            if self.sigma_prior_scale is not None:
                raise ValueError(
                    f"sigma_prior_scale={self.sigma_prior_scale!r} is only used with an "
                    f"estimated sigma (sigma=None, the default); got sigma={self.sigma!r}. Remove "
                    "one of them."
                )
            return {"sigma": sigma}
        scale = check_optional_positive(
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
        return self

    def _scale_method(self) -> str | None:
        """Return ``"evidence"`` when ``alpha`` names a way of choosing the scale, else None."""
        strength = self._strength()
        if not isinstance(strength, str):
            return None
        if strength not in _SCALE_METHODS:
            raise ValueError(
                f"alpha must be a positive number, {' or '.join(map(repr, _SCALE_METHODS))} (the "
                f"scale chosen by the evidence) or None; got alpha={strength!r}."
            )
        return "evidence"

    def _fit_map(self, X: np.ndarray, y: np.ndarray) -> None:
        shrinkage = self._shrinkage_prior(X.shape[1])
        if shrinkage is not None:
            self._fit_shrinkage(X, y, shrinkage, self._model_kwargs(y))
            self.sigma_ = self._fitted_sigma()
            return
        if self._scale_method() is not None:
            self._fit_evidence(X, y)
            return
        sigma = self._sigma_known()
        if sigma is not None or self._scales_given():
            super()._fit_map(X, y)
            self.sigma_ = float(self.map_.params["sigma"]) if sigma is None else sigma
            return
        self._fit_map_estimated_noise(X, y)

    def _fitted_sigma(self) -> float:
        """Return the noise sd of a fit: known, at the MAP, or the posterior mean (no MAP)."""
        sigma = self._sigma_known()
        if sigma is not None:
            return sigma
        if self.map_ is not None:
            return float(self.map_.params["sigma"])
        return float(np.mean(self._posterior_draws("sigma")))

    def _fit_map_estimated_noise(self, X: np.ndarray, y: np.ndarray) -> None:
        """Joint MAP of ``(coef, sigma)`` whose weights are the penalized fit at ``alpha``.

        The penalized fit does not depend on the noise sd, so it is solved first (at the
        HalfNormal scale ``s``); ``sigma_`` then solves ``d/d sigma = 0`` of the joint objective
        ``RSS / (2 sigma²) + n log sigma + sigma² / (2 s²)`` at that fit, i.e.
        ``sigma² = 2 RSS / (n + sqrt(n² + 4 RSS / s²))``. The prior scale is the one ``alpha``
        gives at ``sigma_``; the joint MAP is solved from that point and certified by
        `bayesreg.map_estimate` as any other.
        """
        n = X.shape[0]
        if n < 2:
            raise ValueError(
                f"estimating sigma (the default sigma=None) needs at least 2 samples; got "
                f"n_samples = {n}. Give sigma as a number to fit a single sample."
            )
        noise_prior = self._model_kwargs(y)["sigma"]
        scale = float(noise_prior.scale)
        super()._fit_map(X, y, penalty_sigma=scale, model_kwargs={"sigma": scale})
        residual = y - self._linear_predictor(X)
        rss = float(residual @ residual)
        # an interpolating fit: RSS at rounding level of the spread the model has to explain
        # (about y's mean with an intercept, so a large offset of y cannot hide real noise)
        spread = y - np.mean(y) if check_bool(self.fit_intercept, "fit_intercept") else y
        if not rss > 1e-12 * float(spread @ spread):
            raise ValueError(
                f"the penalized fit at {self._strength_name}={self._strength()!r} interpolates "
                "y (residual sum of squares 0), so the noise sd cannot be estimated: under an "
                "unknown sigma the posterior has no mode. Give sigma as a number, or a larger "
                f"{self._strength_name}."
            )
        sigma = float(np.sqrt(2.0 * rss / (n + np.sqrt(n**2 + 4.0 * rss / scale**2))))
        start = {"coef": self.coef_, "sigma": sigma}
        if check_bool(self.fit_intercept, "fit_intercept"):
            start["intercept"] = self.intercept_
        super()._fit_map(
            X, y, penalty_sigma=sigma, model_kwargs={"sigma": noise_prior}, init_params=start
        )
        self.sigma_ = float(self.map_.params["sigma"])

    def _fit_evidence(self, X: np.ndarray, y: np.ndarray) -> None:
        """Choose tau (and sigma) by the evidence; the MAP and posterior are at the estimates."""
        from ..select.empirical import empirical_bayes

        kind = priors.get(self.prior)
        normal = priors.for_parts(None, 1.0)  # the kind whose penalty is an L2 part alone
        if kind.parts != normal.parts:
            raise ValueError(
                f"alpha={self.alpha!r} chooses the scale by the evidence, which has a closed "
                f"form only for prior={normal.name!r}; prior={kind.name!r} has an L1 part. Use "
                f"BayesianLinearRegressionCV(prior={kind.name!r}) to choose alpha by "
                "cross-validation."
            )
        for name in ("l1_scale", "l2_scale", "sigma_prior_scale"):
            if getattr(self, name) is not None:
                raise ValueError(
                    f"alpha={self.alpha!r} chooses the scale (and, unless given, the noise sd) "
                    f"by the evidence; {name}={getattr(self, name)!r} cannot be given with it. "
                    f"Remove {name}."
                )
        fit_intercept = check_bool(self.fit_intercept, "fit_intercept")
        sigma = self._sigma_known()
        names = getattr(self, "feature_names_in_", None)
        kwargs = {} if sigma is None else {"sigma": sigma}
        result = empirical_bayes(
            models.linear,
            X,
            y,
            intercept=fit_intercept,
            feature_names=None if names is None else [str(name) for name in names],
            **kwargs,
        )
        fit = result.fit
        self.__dict__.pop("posterior_", None)
        self.log_evidence_ = float(result.log_evidence)
        self.map_ = fit
        self.prior_ = fit.kwargs["prior"]
        self.coef_ = np.asarray(fit.params["coef"], dtype=float)
        self.intercept_ = float(fit.params["intercept"]) if fit_intercept else 0.0
        self.n_iter_ = int(fit.num_iter)
        self.tau_ = float(result.hyperparameters["tau"])
        self.sigma_ = float(result.hyperparameters.get("sigma", sigma))
        ridge = penalty.convention_for(self._likelihood, kind.name)
        params = penalty.penalty_params(ridge.name, (None, self.tau_), sigma=self.sigma_)
        self.alpha_ = float(params[ridge.params[0]])

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
            `sample_posterior`; the sd includes the noise (``sqrt(var of the mean +
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
            If not fitted, or with ``return_std=True`` before `sample_posterior`.
        """
        X = self._validate_X(X)
        if not return_std:
            return self._linear_predictor(X)
        eta = self._posterior_linear_predictor(X)
        if "sigma" in self.posterior_.samples:
            noise_var = float(np.mean(self._posterior_draws("sigma") ** 2))
        else:
            noise_var = self.sigma_**2
        return eta.mean(axis=0), np.sqrt(eta.var(axis=0) + noise_var)
