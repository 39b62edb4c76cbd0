r"""Estimators that choose their prior scale by K-fold cross-validation, as ``LassoCV`` does.

`BayesianLinearRegressionCV` (``LassoCV`` / ``ElasticNetCV``) and `BayesianLogisticRegressionCV`
(``LogisticRegressionCV``) lay a grid in scikit-learn's penalty convention (``alpha`` / ``C``),
turn each point into a prior through the table of conventions (`bayesreg.penalty`), score the
whole grid with one `bayesreg.select.cv.cv_path` call, and refit the plain estimator's MAP at
the chosen penalty on all rows. Everything after the choice (``coef_``, ``predict``,
``sample_posterior``) is the plain estimator's, at that scale.

**A fold's prior.** A penalty that depends on the number of rows (``Lasso``'s ``alpha``: the
Laplace scale is $b = \sigma^2 / (n\,\alpha)$) names a different prior on a fold's
$n_\text{train}$ rows than on all $n$. As in ``LassoCV``, each fold is fitted at the grid's
``alpha``: its prior is the one whose MAP on $n_\text{train}$ rows is ``Lasso(alpha)``. One
`cv_path` call takes one prior per point for every fold, so folds of unequal size (``n`` not a
multiple of ``cv``) get the prior of their mean training size (rounded), an ``alpha`` off by
less than ``1 / n_train`` relative; with equal folds the fits are ``LassoCV``'s exactly. The
refit on all rows uses $n$. Penalties that do not depend on ``n`` (``LogisticRegression``'s
``C``, ``Ridge``'s ``alpha``) name one prior for every fold.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import penalty, priors
from .._types import ArrayLike
from ..priors import PriorKind
from ..select.cv import CVPath, cv_path
from ..select.cv_folds import resolve_folds
from .base import check_bool, check_max_iter, check_optional_positive, check_positive
from .linear import BayesianLinearRegression
from .logistic import BayesianLogisticRegression

__all__ = ["BayesianLinearRegressionCV", "BayesianLogisticRegressionCV", "lasso_alpha_max"]

#: ``LogisticRegressionCV``'s grid for an int ``Cs``: ``np.logspace(-4, 4, Cs)``
_LOG10_C_RANGE = (-4.0, 4.0)


def lasso_alpha_max(X: np.ndarray, y: np.ndarray, l1_ratio: float, fit_intercept: bool) -> float:
    r"""Return the least ``alpha`` at which ``ElasticNet(alpha, l1_ratio)`` has all weights 0.

    $\alpha_\max = \max_j |x_j^\top y| / (n \cdot \text{l1\_ratio})$ on centred ``X`` and ``y``
    when an intercept is fitted: scikit-learn's grid of ``LassoCV`` / ``ElasticNetCV`` starts
    there.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    >>> y = np.array([1.0, 2.0, 3.0, 2.0])
    >>> lasso_alpha_max(X, y, 1.0, True)
    0.25
    """
    if fit_intercept:
        X, y = X - X.mean(axis=0), y - y.mean()
    return float(np.max(np.abs(X.T @ y)) / (X.shape[0] * l1_ratio))


def _check_grid(values: Any, name: str) -> np.ndarray:
    grid = np.asarray(values, dtype=float).reshape(-1)
    if grid.size < 2 or not np.all(np.isfinite(grid) & (grid > 0)):
        raise ValueError(
            f"{name} must hold at least 2 positive finite penalties to choose among (or be an "
            f"int, the number of grid points); got {name}={values!r}."
        )
    return grid


def _grid_size(value: Any, name: str) -> int | None:
    """Return an int grid size (at least 2), or ``None`` when ``value`` is not an int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        return None
    if value < 2:
        raise ValueError(
            f"{name} must be at least 2 grid points to choose among; got {name}={value}."
        )
    return int(value)


class _CrossValidated:
    """The choice by cross-validation shared by the two estimators (a mixin before the plain one).

    The plain estimator's ``fit`` validates the data and calls ``_fit_map``; here that first
    scores the grid, sets the chosen penalty (the attribute ``_strength_name`` names, read by the
    plain estimator's prior), then runs the plain MAP fit on all rows.
    """

    # the scale is chosen, never given: the plain estimator's scale parameters are absent
    l1_scale = None
    l2_scale = None
    _stratified = False
    _grid_name: str

    def _grid(self, X: np.ndarray, y: np.ndarray, kind: PriorKind, l1_ratio: float) -> np.ndarray:
        raise NotImplementedError

    def _set_fold_losses(self, losses: np.ndarray) -> None:
        raise NotImplementedError

    def _fold_noise(self, y: np.ndarray) -> tuple[float, dict[str, Any]]:
        """Return the noise sd that converts the grid for the folds, and their model kwargs."""
        return self._penalty_sigma(), self._model_kwargs(y)

    def _fit_map(self, X: np.ndarray, y: np.ndarray) -> None:
        fit_intercept = check_bool(self.fit_intercept, "fit_intercept")
        one_se = check_bool(self.one_se, "one_se")
        tol = check_optional_positive(self.tol, "tol", "the tolerance of the MAP solve")
        max_iter = check_max_iter(self.max_iter)
        if self.prior in priors.shrinkage_names():
            raise ValueError(
                f"prior={self.prior!r} has no penalty, so there is no {self._grid_name} grid to "
                f"choose by cross-validation; use {type(self).__name__.removesuffix('CV')}"
                f"(prior={self.prior!r}) with the prior's own parameters."
            )
        kind = priors.get(self.prior)
        l1_ratio = self._l1_ratio(kind)
        row = penalty.convention_for(self._likelihood, kind.name)
        if row is None:
            raise ValueError(
                f"no penalty convention of the {self._likelihood} likelihood expresses "
                f"prior={kind.name!r}, so there is no {self._grid_name} grid to search."
            )
        n = X.shape[0]
        folds = 5 if self.cv is None else self.cv
        if isinstance(folds, numbers.Integral) and not isinstance(folds, bool) and folds > n:
            raise ValueError(
                f"cv={folds} folds need at least {folds} rows; got n_samples={n}. Use cv <= {n}."
            )
        pairs = resolve_folds(folds, n, X, y, stratify=self._stratified)
        grid = self._grid(X, y, kind, l1_ratio)
        sigma, fold_kwargs = self._fold_noise(y)
        # a fold is fitted at the grid's penalty: the prior of its (mean) training size
        n_train = int(round(float(np.mean([len(train) for train, _ in pairs]))))
        fold_parts = penalty.prior_parts(
            row.name, dict(zip(row.params, (grid, l1_ratio), strict=False)), sigma=sigma,
            n=n_train,
        )  # fmt: skip
        path = {"prior": _grid_priors(fold_parts, grid.size)}
        names = getattr(self, "feature_names_in_", None)
        result = cv_path(
            type(self)._model, X, y, path=path, folds=pairs, scoring=self.scoring, tol=tol,
            max_iter=max_iter, intercept=fit_intercept,
            feature_names=None if names is None else [str(name) for name in names],
            **fold_kwargs,
        )  # fmt: skip
        index = result.one_se_index if one_se else result.best_index
        self._set_cv_attributes(result, grid, kind, index)
        super()._fit_map(X, y)
        # the prior scales on all rows at each penalty, at the noise sd of the refit
        all_rows = penalty.prior_parts(
            row.name, dict(zip(row.params, (grid, l1_ratio), strict=False)),
            sigma=getattr(self, "sigma_", sigma), n=n,
        )  # fmt: skip
        for part in kind.parts:
            self.cv_results_[part] = np.broadcast_to(
                np.asarray(getattr(all_rows, part), float), grid.shape
            )

    def _set_cv_attributes(
        self, result: CVPath, grid: np.ndarray, kind: PriorKind, index: int
    ) -> None:
        name = self._grid_name
        results: dict[str, np.ndarray] = {name: grid}
        results["mean_loss"] = result.mean
        results["se_loss"] = result.se
        for fold in range(result.fold_losses.shape[1]):
            results[f"split{fold}_loss"] = result.fold_losses[:, fold]
        self.cv_results_ = results
        self._set_fold_losses(result.fold_losses)
        self.best_index_ = int(result.best_index)
        self.one_se_index_ = int(result.one_se_index)
        self.index_ = int(index)
        setattr(self, self._strength_name, float(grid[index]))


def _grid_priors(parts: Any, size: int) -> list[Any]:
    """One prior per grid point from the grid's penalty parts (arrays over the grid, or inf)."""
    scales = {
        part: np.broadcast_to(np.asarray(getattr(parts, part), dtype=float), (size,))
        for part in ("l1_scale", "l2_scale")
    }
    result = []
    for i in range(size):
        made = priors.for_parts(scales["l1_scale"][i], scales["l2_scale"][i])
        result.append(made.build(**{part: np.asarray(scales[part][i]) for part in made.parts}))
    return result


class BayesianLinearRegressionCV(_CrossValidated, BayesianLinearRegression):
    r"""Bayesian linear regression whose prior scale is chosen by K-fold CV, as ``LassoCV``.

    A grid of scikit-learn ``alpha`` values (of ``Lasso``, ``ElasticNet`` or ``Ridge``, by
    ``prior``), each fold fitted at each ``alpha`` (see the module docstring for the prior a
    fold gets), the mean held-out loss minimized (or the one-standard-error rule), then
    ``BayesianLinearRegression(prior, alpha=alpha_, l1_ratio, sigma)`` fitted on all rows.

    **How sigma enters.** The noise sd follows the plain estimator's rule: estimated by default
    (``sigma=None``: a ``HalfNormal(sd(y))`` prior, the joint MAP's ``sigma_``), or a known
    number. The choice of ``alpha`` does not depend on it (each fold's MAP is the
    ``Lasso(alpha)`` fit whatever ``sigma`` is, so the folds are fitted at ``sd(y)`` when it is
    unknown); it converts ``alpha_`` into the prior scale of the refit,
    $b = \sigma^2 / (n\,\alpha)$ (Laplace) or $\tau = \sigma/\sqrt{\alpha}$ (Normal), and so
    sets the width of ``sample_posterior`` and ``predict(X, return_std=True)``.

    Parameters
    ----------
    prior : {"laplace", "elastic_net", "gaussian"}, default="laplace"
        Prior of each weight; its MAP is the lasso, the elastic net and ridge.
    alphas : int or array-like, default=100
        An int: that many ``alpha`` values from ``alpha_max`` (all weights zero) down to
        ``eps * alpha_max``, log-spaced, as ``LassoCV(alphas=100)`` makes them (needs an L1
        part: for ``prior="gaussian"`` give the values). An array: those values, sorted from
        strong to weak (descending, as ``LassoCV``).
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of an int grid.
    cv : int, splitter or list of (train, test), default=5
        An int ``k``: ``KFold(k)`` (contiguous, unshuffled), as ``LassoCV(cv=k)``; a
        scikit-learn splitter; or a list of index pairs. ``None`` means 5.
    l1_ratio : float, default=0.5
        The ``ElasticNet`` ``l1_ratio`` for ``prior="elastic_net"``; ignored by the others.
    sigma : float or {"estimate"} or None, default=None
        Noise sd: ``None`` / ``"estimate"`` (estimated with the weights of the refit, see
        above), or a known number.
    fit_intercept : bool, default=True
        A flat, unpenalized intercept.
    scoring : None, str or callable, default=None
        The held-out loss of `bayesreg.select.cv.cv_path` (None: squared error, as ``LassoCV``).
    one_se : bool, default=False
        Choose the strongest ``alpha`` within one standard error of the least mean loss
        (glmnet's ``lambda.1se``) instead of the minimum.
    tol : float, optional
        Tolerance of every MAP solve (default ``1e-10``).
    max_iter : int, default=20000
        Maximum iterations of each MAP solve.

    Attributes
    ----------
    alpha_ : float
        The chosen ``alpha``.
    alphas_ : ndarray of shape (n_alphas,)
        The grid, from strong to weak.
    mse_path_ : ndarray of shape (n_alphas, n_folds)
        Held-out loss of each fold at each ``alpha`` (the MSE with the default ``scoring``).
    cv_results_ : dict of ndarray
        ``"alpha"``; the prior scale(s) on all rows at each ``alpha`` (``"l1_scale"`` /
        ``"l2_scale"``); ``"mean_loss"``, ``"se_loss"``; ``"split{k}_loss"`` per fold.
    best_index_, one_se_index_, index_ : int
        The grid index of the least mean loss, of the one-SE rule, and of ``alpha_``.
    coef_, intercept_, sigma_, n_iter_, map_, prior_, posterior_
        As `BayesianLinearRegression`, for the refit at ``alpha_``.

    See Also
    --------
    BayesianLinearRegression : The plain estimator, and ``alpha="evidence"``.
    bayesreg.select.cv.cv_path : The cross-validation.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_diabetes
    >>> X, y = load_diabetes(return_X_y=True)
    >>> est = BayesianLinearRegressionCV(alphas=20, sigma=54.0).fit(X, y)
    >>> est.mse_path_.shape, bool(est.alphas_[0] > est.alpha_ > est.alphas_[-1])
    ((20, 5), True)
    >>> bool(np.isclose(est.cv_results_["l1_scale"][est.index_], est.prior_.scale))
    True
    """

    __module__ = "bayesreg.sklearn"
    _strength_name = "alpha_"
    _grid_name = "alpha"
    sigma_prior_scale = None

    def __init__(
        self,
        prior: str = "laplace",
        *,
        alphas: int | ArrayLike = 100,
        eps: float = 1e-3,
        cv: Any = 5,
        l1_ratio: float = 0.5,
        sigma: float | str | None = None,
        fit_intercept: bool = True,
        scoring: Any = None,
        one_se: bool = False,
        tol: float | None = None,
        max_iter: int = 20_000,
    ) -> None:
        self.prior = prior
        self.alphas = alphas
        self.eps = eps
        self.cv = cv
        self.l1_ratio = l1_ratio
        self.sigma = sigma
        self.fit_intercept = fit_intercept
        self.scoring = scoring
        self.one_se = one_se
        self.tol = tol
        self.max_iter = max_iter

    def _fold_noise(self, y: np.ndarray) -> tuple[float, dict[str, Any]]:
        # an unknown noise sd leaves each fold's MAP at alpha unchanged: fit them at sd(y)
        sigma = self._sigma_known()
        if sigma is None:
            spread = float(np.std(y))
            sigma = spread if spread > 0 else 1.0
        return sigma, {"sigma": sigma}

    def _grid(self, X: np.ndarray, y: np.ndarray, kind: PriorKind, l1_ratio: float) -> np.ndarray:
        size = _grid_size(self.alphas, "alphas")
        if size is None:
            self.alphas_ = np.sort(_check_grid(self.alphas, "alphas"))[::-1]
            return self.alphas_
        eps = check_positive(self.eps, "eps", "alpha_min / alpha_max of the grid")
        if l1_ratio == 0:
            raise ValueError(
                f"alphas={self.alphas} asks for a grid from alpha_max, where every weight is "
                f"zero, which prior={kind.name!r} (l1_ratio={l1_ratio}) does not have; give "
                "alphas as an array, e.g. np.logspace(-3, 3, 30), or use "
                "BayesianLinearRegression(prior='gaussian', alpha='evidence')."
            )
        alpha_max = lasso_alpha_max(X, y, l1_ratio, bool(self.fit_intercept))
        # a constant y: every alpha gives zero weights; scikit-learn's tiny floor keeps it valid
        alpha_max = max(alpha_max, float(np.finfo(np.float64).resolution))
        self.alphas_ = np.geomspace(alpha_max, alpha_max * eps, num=size)
        return self.alphas_

    def _set_fold_losses(self, losses: np.ndarray) -> None:
        self.mse_path_ = losses


class BayesianLogisticRegressionCV(_CrossValidated, BayesianLogisticRegression):
    r"""Bayesian logistic regression whose prior scale is chosen by K-fold CV.

    As ``LogisticRegressionCV``: a grid of ``C`` values (``LogisticRegression``'s inverse
    penalty, the prior scale itself: $\tau^2 = C$ for a Normal prior, $b = C$ for a Laplace
    one; it does not depend on ``n``, so every fold has the same prior), stratified folds, the
    mean held-out log loss minimized (``LogisticRegressionCV(scoring="neg_log_loss")``), then
    ``BayesianLogisticRegression(prior, C=C_)`` fitted on all rows. Binary only.

    Parameters
    ----------
    prior : {"gaussian", "laplace", "elastic_net"}, default="gaussian"
        Prior of each weight.
    Cs : int or array-like, default=10
        An int: ``np.logspace(-4, 4, Cs)``, as ``LogisticRegressionCV``; an array: those
        values, sorted ascending (strong to weak).
    cv : int, splitter or list of (train, test), default=5
        An int ``k``: ``StratifiedKFold(k)`` (unshuffled), as ``LogisticRegressionCV(cv=k)``;
        a scikit-learn splitter; or a list of index pairs. ``None`` means 5.
    l1_ratio : float, default=0.5
        The ``l1_ratio`` for ``prior="elastic_net"``; ignored by the others.
    fit_intercept : bool, default=True
        A flat, unpenalized intercept.
    scoring : None, str or callable, default=None
        The held-out loss of `bayesreg.select.cv.cv_path` (None: log loss).
    one_se : bool, default=False
        Choose the smallest ``C`` within one standard error of the least mean loss.
    tol : float, optional
        Tolerance of every MAP solve (default ``1e-10``).
    max_iter : int, default=20000
        Maximum iterations of each MAP solve.

    Attributes
    ----------
    C_ : float
        The chosen ``C`` (a float, as ``LogisticRegressionCV(use_legacy_attributes=False)``).
    Cs_ : ndarray of shape (n_Cs,)
        The grid, ascending.
    scores_ : ndarray of shape (n_folds, n_Cs)
        Minus the held-out loss of each fold at each ``C`` (higher is better, as
        ``LogisticRegressionCV``'s ``scores_`` with ``scoring="neg_log_loss"``).
    cv_results_ : dict of ndarray
        ``"C"``; the prior scale(s) at each ``C``; ``"mean_loss"``, ``"se_loss"``;
        ``"split{k}_loss"`` per fold.
    best_index_, one_se_index_, index_ : int
        The grid index of the least mean loss, of the one-SE rule, and of ``C_``.
    classes_, coef_, intercept_, n_iter_, map_, prior_, posterior_
        As `BayesianLogisticRegression`, for the refit at ``C_``.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)[:, :5]
    >>> clf = BayesianLogisticRegressionCV(Cs=5).fit(X, y)
    >>> clf.scores_.shape, float(clf.C_) in clf.Cs_
    ((5, 5), True)
    """

    __module__ = "bayesreg.sklearn"
    _strength_name = "C_"
    _grid_name = "C"
    _stratified = True

    def __init__(
        self,
        prior: str = "gaussian",
        *,
        Cs: int | ArrayLike = 10,
        cv: Any = 5,
        l1_ratio: float = 0.5,
        fit_intercept: bool = True,
        scoring: Any = None,
        one_se: bool = False,
        tol: float | None = None,
        max_iter: int = 20_000,
    ) -> None:
        self.prior = prior
        self.Cs = Cs
        self.cv = cv
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.scoring = scoring
        self.one_se = one_se
        self.tol = tol
        self.max_iter = max_iter

    def _grid(self, X: np.ndarray, y: np.ndarray, kind: PriorKind, l1_ratio: float) -> np.ndarray:
        size = _grid_size(self.Cs, "Cs")
        if size is None:
            self.Cs_ = np.sort(_check_grid(self.Cs, "Cs"))
        else:
            self.Cs_ = np.logspace(*_LOG10_C_RANGE, size)
        return self.Cs_

    def _set_fold_losses(self, losses: np.ndarray) -> None:
        self.scores_ = -losses.T
