"""Bayesian Poisson regression: ``PoissonRegressor`` as a MAP estimate."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils import Tags
from sklearn.utils.validation import validate_data

from .. import models
from .._types import ArrayLike
from .._validation import check_unique_names
from .base import BayesianGLM

__all__ = ["BayesianPoissonRegression"]


class BayesianPoissonRegression(RegressorMixin, BayesianGLM):
    r"""Bayesian Poisson regression ``y ~ Poisson(exp(intercept + X @ coef))``, MAP ``fit``.

    The negative log posterior is ``sum (exp(eta) - y·eta) - sum log prior(coef)`` up to a
    constant, ``n`` times ``PoissonRegressor``'s ``(1/(2n))·sum deviance``:

    - ``prior="gaussian", alpha=a`` is ``PoissonRegressor(alpha=a)`` (prior sd
      ``tau = 1/sqrt(n a)``);
    - ``prior="laplace"`` / ``"elastic_net"`` with ``alpha=a, l1_ratio=r`` use the same scaling for
      the L1 part, i.e. glmnet ``family="poisson", lambda=a, alpha=r, standardize=FALSE``
      (`bayesreg.penalty.glmnet_prior_scales`).

    ``y`` holds non-negative counts or, as ``PoissonRegressor`` accepts, any non-negative real
    values (rates, frequencies). The log-likelihood of each observation is
    ``y·eta - exp(eta) - lgamma(y + 1)``: the Poisson log mass on counts, and on non-integer
    ``y`` a quasi-log-likelihood whose MAP is still exactly ``PoissonRegressor``'s (the ``y``
    terms do not depend on the weights). For such ``y`` the posterior of `sample_posterior` is a
    quasi-likelihood posterior: it treats each rate as a count (variance equal to the mean), so
    its width is only as right as that assumption. Negative, NaN or infinite ``y`` is refused.

    Parameters
    ----------
    prior : str, default="gaussian"
        Prior of each weight: ``"gaussian"``, ``"laplace"`` or ``"elastic_net"`` (the MAP is
        ridge, the lasso, the elastic net), or a shrinkage prior with no penalty,
        ``"horseshoe"``, ``"horseshoe_plus"``, ``"regularized_horseshoe"``, ``"student_t"``
        or ``"r2d2"`` (its parameters below).
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
    global_scale, nonzero, slab_scale, slab_df : float, optional
        Parameters of the horseshoe family (`bayesreg.priors.shrinkage`): ``horseshoe`` and
        ``horseshoe_plus`` take ``global_scale`` (``tau ~ C+(0, global_scale)``);
        ``regularized_horseshoe`` takes ``global_scale`` or ``nonzero`` (a guess ``p0`` of the
        number of nonzero weights, ``0 < p0 < n_features``: the global scale is
        ``p0 / (p - p0) / sqrt(n)``), and its slab's ``slab_scale`` and ``slab_df``.
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
        MAP weights.
        For a prior with no MAP (``horseshoe``, ``horseshoe_plus``, ``regularized_horseshoe``,
        ``r2d2``) no MAP exists; ``coef_`` is the posterior mean, as R's ``bayesreg`` reports
        it and as ``BayesianRidge``'s ``coef_`` is a posterior mean.
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

    __module__ = "bayesreg.sklearn"  # its public home (and the class name saved files hold)
    _model = staticmethod(models.poisson)
    _likelihood = "poisson"
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

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = True
        return tags

    def fit(self, X: ArrayLike, y: ArrayLike) -> BayesianPoissonRegression:
        """Fit the MAP of the model.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Design matrix (without an intercept column).
        y : array-like of shape (n_samples,)
            Non-negative counts, or non-negative rates or frequencies (a quasi-likelihood).

        Returns
        -------
        BayesianPoissonRegression
            The fitted estimator.
        """
        check_unique_names(getattr(X, "columns", ()), "X")
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        if np.any(y < 0):
            raise ValueError(
                "y must be non-negative for Poisson regression (counts, or rates and "
                f"frequencies); got {int(np.sum(y < 0))} negative value(s), such as "
                f"{y[y < 0][:3].tolist()}. Drop or correct those rows; a response that can be "
                "negative needs BayesianLinearRegression."
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
            over the draws of `sample_posterior`, with ``mu = exp(intercept + X @ coef)``.

        Returns
        -------
        y_mean : ndarray of shape (n_samples,)
            Predicted mean count.
        y_std : ndarray of shape (n_samples,)
            Posterior predictive sd; only with ``return_std=True``.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If not fitted, or with ``return_std=True`` before `sample_posterior`.
        """
        X = self._validate_X(X)
        if not return_std:
            return np.exp(self._linear_predictor(X))
        mu = np.exp(self._posterior_linear_predictor(X))
        mean = mu.mean(axis=0)
        return mean, np.sqrt(mean + mu.var(axis=0))
