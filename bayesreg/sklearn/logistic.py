"""Bayesian logistic regression: ``LogisticRegression`` as a MAP estimate (binary)."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils import Tags
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import validate_data

from .. import models
from .._types import ArrayLike
from .._validation import check_unique_names
from .base import BayesianGLM

__all__ = ["BayesianLogisticRegression"]


class BayesianLogisticRegression(ClassifierMixin, BayesianGLM):
    r"""Bayesian logistic regression ``y ~ Bernoulli(logit = intercept + X @ coef)``, MAP ``fit``.

    Binary only; ``classes_[1]`` is the positive class (label 1 of the model). The negative log
    posterior is ``sum logloss - sum log prior(coef)``, so with ``C`` the MAP is scikit-learn's
    ``LogisticRegression(C=C, l1_ratio=...)`` (which minimizes ``C·sum logloss + penalty``):

    - ``prior="gaussian", C=c``: ``l1_ratio=0``, prior sd ``tau = sqrt(c)``;
    - ``prior="laplace", C=c``: ``l1_ratio=1`` (solver ``"saga"``), Laplace scale ``b = c``;
    - ``prior="elastic_net", C=c, l1_ratio=r``: ``l1_ratio=r`` (solver ``"saga"``).

    Parameters
    ----------
    prior : str, default="gaussian"
        Prior of each weight: ``"gaussian"``, ``"laplace"`` or ``"elastic_net"`` (the MAP is
        ridge, the lasso, the elastic net), or a shrinkage prior with no penalty,
        ``"horseshoe"``, ``"horseshoe_plus"``, ``"regularized_horseshoe"``, ``"student_t"``
        or ``"r2d2"`` (its parameters below).
    C : float, optional
        ``LogisticRegression``'s inverse regularization strength, converted through
        `bayesreg.penalty.logistic_prior_scales`. When neither ``C`` nor a scale is given,
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
    classes_ : ndarray of shape (2,)
        The two class labels, sorted.
    coef_ : ndarray of shape (1, n_features)
        MAP weights (shape as in ``LogisticRegression``).
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

    __module__ = "bayesreg.sklearn"  # its public home (and the class name saved files hold)
    _model = staticmethod(models.logistic)
    _likelihood = "logistic"
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
        self.C = C
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
        tags.classifier_tags.multi_class = False
        return tags

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
        """Return the logarithm of `predict_proba`.

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
