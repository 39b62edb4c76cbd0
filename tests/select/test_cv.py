"""cv_path against scikit-learn's cross-validated estimators and fits fold by fold."""

import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest
from scipy import stats
from sklearn.linear_model import (
    ElasticNetCV,
    Lasso,
    LassoCV,
    LogisticRegressionCV,
    PoissonRegressor,
)
from sklearn.metrics import mean_absolute_error, mean_poisson_deviance
from sklearn.model_selection import KFold, StratifiedKFold

import bayesreg as br
from bayesreg import cv_path, penalty
from bayesreg.models import elastic_net, gaussian, laplace, linear, logistic, poisson

SIGMA = 55.0
FOLDS = 5


def _alphas(X, y, k, low=1e-3):
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    return np.max(np.abs(Xc.T @ yc)) / len(y) * np.geomspace(1.0, low, k)


@pytest.fixture(scope="module")
def equal_folds(diabetes):
    """440 rows of diabetes: 5 folds of 88, so every fold trains on 352 rows."""
    X, y = diabetes
    return X[:440], y[:440], 440 - 440 // FOLDS


@pytest.fixture(scope="module")
def lasso_grid(equal_folds):
    """12 alphas from alpha_max down, and the Laplace scales of the same problems per fold."""
    X, y, n_train = equal_folds
    alphas = _alphas(X, y, 12)
    return alphas, penalty.lasso_prior_scale(alphas, sigma=SIGMA, n=n_train)


@pytest.fixture(scope="module")
def lasso_cv(equal_folds, lasso_grid):
    X, y, _ = equal_folds
    _, scales = lasso_grid
    return cv_path(linear, X, y, sigma=SIGMA, path={"prior": [laplace(float(b)) for b in scales]})


def test_lasso_equal_folds_is_lasso_cv(equal_folds, lasso_grid, lasso_cv):
    X, y, _ = equal_folds
    alphas, scales = lasso_grid
    ours = lasso_cv
    ref = LassoCV(alphas=alphas, cv=KFold(FOLDS), tol=1e-14, max_iter=1_000_000).fit(X, y)
    order = np.argsort(-ref.alphas_)  # LassoCV keeps its grid in decreasing alpha
    np.testing.assert_allclose(ours.fold_losses, ref.mse_path_[order], rtol=1e-6)
    assert alphas[ours.best_index] == ref.alpha_
    assert ours.route == "statistics" and ours.scoring == "squared_error"
    # the folds of folds=5 are KFold(5)'s, index for index
    for (train, test), (ref_train, ref_test) in zip(ours.folds, KFold(FOLDS).split(X), strict=True):
        np.testing.assert_array_equal(train, ref_train)
        np.testing.assert_array_equal(test, ref_test)
    # the refit is the lasso on all rows at the chosen point
    best = Lasso(alpha=penalty.lasso_alpha(scales[ours.best_index], sigma=SIGMA, n=len(y)),
                 tol=1e-14, max_iter=1_000_000).fit(X, y)  # fmt: skip
    np.testing.assert_allclose(ours.best.params["coef"], best.coef_, rtol=1e-6, atol=1e-8)


def test_seed_shuffles_as_kfold_and_stratified_folds_keep_proportions(
    equal_folds, lasso_grid, lasso_cv, breast_cancer
):
    X, y, _ = equal_folds
    _, scales = lasso_grid
    priors = [laplace(float(b)) for b in scales]
    shuffled = cv_path(linear, X, y, sigma=SIGMA, path={"prior": priors}, seed=3)
    ref = KFold(FOLDS, shuffle=True, random_state=3).split(X)
    for (train, test), (ref_train, ref_test) in zip(shuffled.folds, ref, strict=True):
        np.testing.assert_array_equal(train, ref_train)
        np.testing.assert_array_equal(test, np.sort(ref_test))
    # the same problems as the given folds, fold by fold (another split, other losses)
    given = cv_path(linear, X, y, sigma=SIGMA, path={"prior": priors}, folds=shuffled.folds)
    np.testing.assert_allclose(shuffled.fold_losses, given.fold_losses, rtol=1e-12)
    assert not np.allclose(shuffled.fold_losses, lasso_cv.fold_losses)
    # stratified and shuffled: each test fold within one row of the class proportions
    from bayesreg.select.cv_folds import resolve_folds

    Xc, yc = breast_cancer
    folds = resolve_folds(5, len(yc), Xc, yc, stratify=True, seed=0)
    unshuffled = resolve_folds(5, len(yc), Xc, yc, stratify=True)
    assert any(not np.array_equal(a[1], b[1]) for a, b in zip(folds, unshuffled, strict=True))
    for _, test in folds:
        assert abs(yc[test].sum() - len(test) * yc.mean()) <= 1.0
    assert np.array_equal(np.sort(np.concatenate([t for _, t in folds])), np.arange(len(yc)))


def test_one_se_rule_from_the_fold_losses(lasso_grid, lasso_cv):
    _, scales = lasso_grid
    ours = lasso_cv
    losses = ours.fold_losses
    mean = losses.mean(axis=1)
    se = losses.std(axis=1, ddof=1) / np.sqrt(losses.shape[1])
    np.testing.assert_allclose(ours.mean, mean, rtol=1e-12)
    np.testing.assert_allclose(ours.se, se, rtol=1e-12)
    best = int(np.argmin(mean))
    # strongest shrinkage = smallest Laplace scale = the first point within mean + se
    one_se = int(np.flatnonzero(mean <= mean[best] + se[best])[0])
    assert (ours.best_index, ours.one_se_index) == (best, one_se)
    assert one_se < best  # the rule does choose a stronger point here
    np.testing.assert_allclose(ours.strength, 1.0 / scales, rtol=1e-12)
    assert ours.one_se.kwargs["prior"] is ours.grid["prior"][one_se]
    ax = ours.plot()
    assert len(ax.lines) >= 3


@pytest.mark.slow  # a compile of its own (~10-30 s on a shared machine)
def test_elastic_net_equal_folds_is_elastic_net_cv(equal_folds):
    X, y, n_train = equal_folds
    l1_ratio = 0.5
    alphas = _alphas(X, y, 8) / l1_ratio
    b, tau = penalty.elastic_net_prior_scales(alphas, l1_ratio, sigma=SIGMA, n=n_train)
    priors = [elastic_net(float(bi), float(ti)) for bi, ti in zip(b, tau, strict=True)]
    ours = cv_path(linear, X, y, sigma=SIGMA, path={"prior": priors})
    ref = ElasticNetCV(
        alphas=alphas, l1_ratio=l1_ratio, cv=KFold(FOLDS), tol=1e-14, max_iter=1_000_000
    ).fit(X, y)
    order = np.argsort(-ref.alphas_)
    np.testing.assert_allclose(ours.fold_losses, ref.mse_path_[order], rtol=1e-6)
    assert alphas[ours.best_index] == ref.alpha_


def test_unequal_folds_are_lasso_fold_by_fold(equal_folds, lasso_grid):
    """A fixed prior is a different alpha per fold size: compare with Lasso fold by fold."""
    X, y, _ = equal_folds
    _, scales = lasso_grid
    path = {"prior": [laplace(float(b)) for b in scales]}
    rows = np.random.default_rng(1).permutation(len(y))
    edges = np.cumsum([0, 70, 80, 90, 95, 105])
    folds = [
        (np.setdiff1d(rows, rows[a:b]), rows[a:b]) for a, b in zip(edges, edges[1:], strict=False)
    ]
    ours = cv_path(linear, X, y, sigma=SIGMA, path=path, folds=folds)
    mae = cv_path(linear, X, y, sigma=SIGMA, path=path, folds=folds, scoring=mean_absolute_error)
    for f, (train, test) in enumerate(folds):
        for i, b in enumerate(scales):
            alpha = penalty.lasso_alpha(b, sigma=SIGMA, n=len(train))
            fit = Lasso(alpha=alpha, tol=1e-14, max_iter=1_000_000).fit(X[train], y[train])
            residual = y[test] - fit.predict(X[test])
            np.testing.assert_allclose(ours.fold_losses[i, f], np.mean(residual**2), rtol=1e-6)
            np.testing.assert_allclose(mae.fold_losses[i, f], np.mean(np.abs(residual)), rtol=1e-6)
    assert mae.scoring == "mean_absolute_error"


def test_logistic_is_logistic_regression_cv(breast_cancer):
    X, y = breast_cancer
    Cs = np.array([0.01, 0.1, 1.0, 10.0])
    ours = cv_path(logistic, X, y, path={"prior": [gaussian(float(np.sqrt(c))) for c in Cs]})
    ref = LogisticRegressionCV(
        Cs=Cs, l1_ratios=(0.0,), cv=StratifiedKFold(FOLDS), scoring="neg_log_loss", tol=1e-12,
        max_iter=100_000, solver="newton-cholesky", use_legacy_attributes=False,
    ).fit(X, y)  # fmt: skip
    # scores_: (folds, l1_ratios, Cs), the mean log-likelihood of the held-out rows
    np.testing.assert_allclose(ours.fold_losses, -ref.scores_[:, 0, :].T, rtol=1e-6)
    assert Cs[ours.best_index] == ref.C_
    assert ours.scoring == "log_loss"
    # folds=5 for a Bernoulli likelihood are StratifiedKFold(5)'s, index for index
    for (_, test), (_, ref_test) in zip(
        ours.folds, StratifiedKFold(FOLDS).split(X, y), strict=True
    ):
        np.testing.assert_array_equal(test, ref_test)


@pytest.mark.slow  # a compile of its own (~10-30 s on a shared machine)
def test_poisson_deviance_fold_by_fold(rng):
    n, p = 120, 4
    X = rng.normal(size=(n, p))
    y = rng.poisson(np.exp(0.3 + X @ np.array([0.5, -0.3, 0.0, 0.2])))
    taus = [0.1, 1.0]
    ours = cv_path(poisson, X, y, path={"prior": [gaussian(t) for t in taus]}, folds=3)
    for f, (train, test) in enumerate(KFold(3).split(X)):
        for i, tau in enumerate(taus):
            alpha = penalty.poisson_alpha(tau, n=len(train))
            fit = PoissonRegressor(alpha=alpha, tol=1e-12, max_iter=10_000).fit(X[train], y[train])
            expected = mean_poisson_deviance(y[test], fit.predict(X[test]))
            np.testing.assert_allclose(ours.fold_losses[i, f], expected, rtol=1e-5)
    assert ours.scoring == "poisson_deviance"


def _robust(X, y=None, *, prior):
    """A user's model: Student-t errors, a Normal intercept (no reduction, no family)."""
    intercept = numpyro.sample("intercept", dist.Normal(0.0, 10.0))
    with numpyro.plate("features", X.shape[1]):
        coef = numpyro.sample("coef", prior)
    with numpyro.plate("obs", X.shape[0]):
        numpyro.sample("y", dist.StudentT(4.0, intercept + X @ coef, 1.0), obs=y)


@pytest.mark.slow  # a compile of its own (~10-30 s on a shared machine)
def test_users_model_is_map_estimate_fold_by_fold(rng):
    n, p = 60, 3
    X = rng.normal(size=(n, p))
    y = 1.0 + X @ np.array([1.0, 0.0, -0.5]) + rng.standard_t(4.0, size=n)
    scales = [0.05, 0.5]
    ours = cv_path(_robust, X, y, path={"prior": [laplace(b) for b in scales]}, folds=3)
    assert ours.route == "row_weights" and ours.scoring == "neg_log_likelihood"
    for f, (train, test) in enumerate(KFold(3).split(X)):
        for i, b in enumerate(scales):
            fit = br.map_estimate(_robust, X[train], y[train], prior=laplace(b))
            eta = float(fit.params["intercept"]) + X[test] @ np.asarray(fit.params["coef"])
            expected = -np.mean(stats.t.logpdf(y[test], 4.0, loc=eta, scale=1.0))
            np.testing.assert_allclose(ours.fold_losses[i, f], expected, rtol=1e-7)


@pytest.mark.parametrize(
    ("folds", "message"),
    [
        (500, "more folds than the 442 rows"),
        (1, "at least 2"),
        ([(np.arange(10, 442), np.arange(0, 20))], "at least 2"),
        ([(np.arange(10, 442), np.arange(0, 20))] * 2, "both to train and to test"),
        ([(np.arange(10, 442), np.arange(0, 10) + 440)] * 2, r"in \[0, 442\)"),
        ([(np.arange(10, 442), np.array([], dtype=int))] * 2, "no test rows"),
        ([(np.arange(10, 442), np.array([0, 0, 1]))] * 2, "repeat"),
    ],
)
def test_bad_folds(diabetes, folds, message):
    X, y = diabetes
    with pytest.raises(ValueError, match=message):
        cv_path(linear, X, y, sigma=SIGMA, path={"prior": [laplace(1.0), laplace(2.0)]},
                folds=folds)  # fmt: skip


def test_bad_grid_and_classes(diabetes, breast_cancer):
    X, y = diabetes
    with pytest.raises(ValueError, match="path must hold at least 2 points"):
        cv_path(linear, X, y, sigma=SIGMA, path={"prior": [laplace(1.0)]})
    with pytest.raises(ValueError, match="sigma"):
        cv_path(linear, X, y, prior=laplace(1.0), path={"sigma": [1.0, -1.0]})
    with pytest.raises(ValueError, match="scoring"):
        cv_path(linear, X, y, sigma=SIGMA, path={"prior": [laplace(1.0), laplace(2.0)]},
                scoring="accuracy")  # fmt: skip
    Xb, yb = breast_cancer
    order = np.argsort(yb, kind="stable")  # one class first: a fold of the first rows trains on one
    zeros = np.flatnonzero(yb == 0)
    one_class = [(zeros[:100], zeros[100:150]), (order[100:], order[:100])]
    with pytest.raises(ValueError, match=r"folds\[0\].*only class"):
        cv_path(logistic, Xb, yb, path={"prior": [gaussian(1.0), gaussian(2.0)]},
                folds=one_class)  # fmt: skip
