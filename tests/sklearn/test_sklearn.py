"""scikit-learn estimators: API contract, oracles against scikit-learn, posterior predictions."""

import importlib.util
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from scipy import special
from sklearn.base import clone
from sklearn.datasets import load_diabetes
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression, PoissonRegressor, Ridge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from bayesreg.sklearn import (
    BayesianLinearRegression,
    BayesianLogisticRegression,
    BayesianPoissonRegression,
)

HAS_SAMPLER = importlib.util.find_spec("bayesreg.sample") is not None
needs_sampler = pytest.mark.skipif(
    not HAS_SAMPLER, reason="bayesreg.sample (sample_posterior) is not in this checkout yet"
)

# ---------------------------------------------------------------------------------------------
# the scikit-learn estimator contract


@parametrize_with_checks(
    [
        BayesianLinearRegression(),
        BayesianLinearRegression(prior="laplace", alpha=0.1),
        BayesianLogisticRegression(),
        BayesianPoissonRegression(),
    ]
)
def test_sklearn_estimator_checks(estimator, check):
    """Every check passes, with no expected failures (the Poisson one on real y >= 0 too)."""
    check(estimator)


# ---------------------------------------------------------------------------------------------
# oracles: the MAP with the alpha / C constructors equals scikit-learn's estimate


def assert_same_fit(ours, theirs, rtol=1e-6):
    """Coefficients within rtol of the largest one, the same zero set, the same intercept."""
    ours_coef, theirs_coef = np.ravel(ours.coef_), np.ravel(theirs.coef_)
    scale = np.max(np.abs(theirs_coef))
    np.testing.assert_allclose(ours_coef, theirs_coef, rtol=0, atol=rtol * scale)
    np.testing.assert_array_equal(ours_coef == 0, theirs_coef == 0)
    theirs_intercept = float(np.ravel(theirs.intercept_)[0])
    ours_intercept = float(np.ravel(ours.intercept_)[0])
    assert ours_intercept == pytest.approx(theirs_intercept, rel=rtol, abs=rtol * scale)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (
            BayesianLinearRegression(prior="laplace", alpha=0.1, sigma=50.0),
            Lasso(alpha=0.1, tol=1e-14, max_iter=100_000),
        ),
        (
            BayesianLinearRegression(prior="laplace", alpha=1.0, sigma=3.0),
            Lasso(alpha=1.0, tol=1e-14, max_iter=100_000),
        ),
        (BayesianLinearRegression(prior="gaussian", alpha=0.1, sigma=50.0), Ridge(alpha=0.1)),
        (
            BayesianLinearRegression(prior="elastic_net", alpha=0.01, l1_ratio=0.7, sigma=50.0),
            ElasticNet(alpha=0.01, l1_ratio=0.7, tol=1e-14, max_iter=100_000),
        ),
    ],
    ids=["lasso-0.1", "lasso-1", "ridge", "elastic-net"],
)
def test_linear_matches_sklearn(diabetes, ours, theirs):
    X, y = diabetes
    ours.fit(X, y)
    theirs.fit(X, y)
    assert ours.map_.converged
    assert_same_fit(ours, theirs)
    if isinstance(theirs, Lasso):
        assert np.any(ours.coef_ == 0)  # the comparison covers exact zeros


def test_default_linear_is_ridge(diabetes):
    X, y = diabetes
    assert_same_fit(BayesianLinearRegression().fit(X, y), Ridge().fit(X, y))


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (
            BayesianLogisticRegression(prior="laplace", C=0.1),
            LogisticRegression(C=0.1, l1_ratio=1.0, solver="saga", tol=1e-12, max_iter=100_000),
        ),
        (
            BayesianLogisticRegression(prior="gaussian", C=0.5),
            LogisticRegression(C=0.5, tol=1e-12, max_iter=10_000),
        ),
    ],
    ids=["l1-saga", "l2-lbfgs"],
)
def test_logistic_matches_sklearn(breast_cancer, ours, theirs):
    X, y = breast_cancer
    ours.fit(X, y)
    theirs.fit(X, y)
    assert_same_fit(ours, theirs)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_poisson_matches_sklearn(diabetes):
    X, y = diabetes  # disease progression: integer counts
    ours = BayesianPoissonRegression(alpha=1e-3).fit(X, y)
    theirs = PoissonRegressor(alpha=1e-3, solver="newton-cholesky", tol=1e-12, max_iter=1000)
    theirs.fit(X, y)
    assert_same_fit(ours, theirs)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-6)


def test_poisson_on_rates_matches_sklearn(rng):
    """Non-integer y >= 0 (rates): the MAP is PoissonRegressor's, whose deviance allows them."""
    X = rng.normal(size=(80, 4))
    exposure = rng.integers(1, 6, size=80)
    y = rng.poisson(exposure * np.exp(0.3 + X @ np.array([0.5, -0.4, 0.0, 0.2]))) / exposure
    assert np.any(y != np.round(y))
    ours = BayesianPoissonRegression(alpha=0.01).fit(X, y)
    theirs = PoissonRegressor(alpha=0.01, solver="newton-cholesky", tol=1e-12, max_iter=1000)
    theirs.fit(X, y)
    assert ours.map_.converged
    assert_same_fit(ours, theirs)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-6)


def test_direct_scales_equal_penalty(diabetes):
    """l1_scale = sigma² / (n alpha) is the Lasso(alpha) prior: the one conversion path."""
    X, y = diabetes
    n, sigma, alpha = X.shape[0], 50.0, 0.1
    direct = BayesianLinearRegression(prior="laplace", l1_scale=sigma**2 / (n * alpha), sigma=sigma)
    from_alpha = BayesianLinearRegression(prior="laplace", alpha=alpha, sigma=sigma)
    np.testing.assert_allclose(direct.fit(X, y).coef_, from_alpha.fit(X, y).coef_, atol=1e-8)


def test_estimated_sigma_is_lasso_at_alpha_of_sigma(diabetes):
    """Joint MAP over (coef, sigma): for the fitted sigma_ the weights are Lasso(sigma_²/(n b))."""
    X, y = diabetes
    n, b = X.shape[0], 10.0
    est = BayesianLinearRegression(prior="laplace", l1_scale=b, sigma="estimate").fit(X, y)
    assert 40.0 < est.sigma_ < 70.0
    lasso = Lasso(alpha=est.sigma_**2 / (n * b), tol=1e-14, max_iter=100_000).fit(X, y)
    assert_same_fit(est, lasso)
    same = BayesianLinearRegression(prior="laplace", l1_scale=b, sigma=None).fit(X, y)
    assert same.sigma_ == pytest.approx(est.sigma_, rel=1e-10)


# ---------------------------------------------------------------------------------------------
# Pipeline, GridSearchCV, clone, labels, pandas


def test_pipeline_and_grid_search_match_lasso(diabetes):
    X, y = diabetes
    X, y = X[:200], y[:200]
    grid = {"est__alpha": [0.05, 0.5, 2.0]}
    cv = KFold(3, shuffle=True, random_state=0)

    def search(estimator):
        pipe = make_pipeline(StandardScaler(), estimator)
        pipe.steps[-1] = ("est", estimator)
        return GridSearchCV(pipe, grid, cv=cv).fit(X, y)

    ours = search(BayesianLinearRegression(prior="laplace", sigma=50.0))
    theirs = search(Lasso(tol=1e-14, max_iter=100_000))
    assert ours.best_params_ == theirs.best_params_
    np.testing.assert_allclose(
        ours.cv_results_["mean_test_score"], theirs.cv_results_["mean_test_score"], atol=1e-8
    )
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-7)


def test_clone(diabetes):
    X, y = diabetes
    est = BayesianLinearRegression(prior="elastic_net", alpha=0.3, l1_ratio=0.2, sigma=2.0)
    est.fit(X, y)
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    assert not hasattr(copy, "coef_") and not hasattr(copy, "map_")
    np.testing.assert_array_equal(copy.fit(X, y).coef_, est.coef_)


def test_logistic_maps_any_two_labels(breast_cancer):
    X, y = breast_cancer
    labels = np.where(y == 1, "benign", "malignant")
    named = BayesianLogisticRegression(C=0.5).fit(X, labels)
    numeric = BayesianLogisticRegression(C=0.5).fit(X, y)
    # sorted labels: "benign" < "malignant", so "malignant" (y == 0) is the positive class
    np.testing.assert_array_equal(named.classes_, ["benign", "malignant"])
    np.testing.assert_allclose(named.coef_, -numeric.coef_, atol=1e-8)
    np.testing.assert_array_equal(named.predict(X) == "benign", numeric.predict(X) == 1)
    np.testing.assert_allclose(
        np.exp(named.predict_log_proba(X)), named.predict_proba(X), atol=1e-12
    )


def test_pandas_feature_names(diabetes):
    frame = load_diabetes(as_frame=True)
    X, y = frame.data, frame.target
    est = BayesianLinearRegression(prior="laplace", alpha=0.1, sigma=50.0).fit(X, y)
    np.testing.assert_array_equal(est.feature_names_in_, X.columns)
    assert est.map_.kwargs["feature_names"] == list(X.columns)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        np.testing.assert_array_equal(est.predict(X.to_numpy()), est.predict(X))
    plain = BayesianLinearRegression(prior="laplace", alpha=0.1, sigma=50.0).fit(*diabetes)
    np.testing.assert_allclose(est.coef_, plain.coef_, atol=1e-10)
    assert not hasattr(plain, "feature_names_in_")
    with pytest.raises(ValueError, match="feature names"):
        est.predict(X[X.columns[::-1]])


# ---------------------------------------------------------------------------------------------
# bad hyperparameters: checked in fit, the message names the parameter


@pytest.mark.parametrize(
    ("estimator", "match"),
    [
        (BayesianLinearRegression(prior="cauchy"), "prior must be one of"),
        (BayesianLinearRegression(alpha=-1.0), "alpha must be a positive finite number"),
        (
            BayesianLinearRegression(alpha="big"),
            "alpha must be a positive number, 'evidence' or 'auto'.*got alpha='big'",
        ),
        (BayesianLinearRegression(sigma=0.0), "sigma must be a positive finite number"),
        (BayesianLinearRegression(sigma="unknown"), "sigma must be a positive finite number"),
        (BayesianLinearRegression(alpha=1.0, l2_scale=2.0), "give either alpha"),
        (BayesianLinearRegression(l1_scale=2.0), "l1_scale is not used by prior='gaussian'"),
        (BayesianLinearRegression(prior="elastic_net", l1_scale=1.0), "l2_scale is None"),
        (BayesianLinearRegression(prior="laplace", l1_scale=-2.0), "l1_scale must be positive"),
        (BayesianLinearRegression(l2_scale=[1.0, 2.0]), "l2_scale must be a positive number or"),
        (BayesianLinearRegression(prior="elastic_net", alpha=1.0, l1_ratio=1.5), "l1_ratio"),
        (
            BayesianLinearRegression(sigma=1.0, sigma_prior_scale=2.0),
            "sigma_prior_scale=2.0 is only used with an estimated sigma",
        ),
        (
            BayesianLinearRegression(l2_scale=1.0, sigma="estimate", sigma_prior_scale=0.0),
            "sigma_prior_scale must be a positive finite number",
        ),
        (BayesianLinearRegression(fit_intercept="yes"), "fit_intercept must be True or False"),
        (BayesianLinearRegression(max_iter=0), "max_iter must be a positive integer"),
        (BayesianLinearRegression(tol=-1e-3), "tol must be a positive finite number"),
        (BayesianLogisticRegression(C=0.0), "C must be a positive finite number"),
        (BayesianLogisticRegression(prior="ridge"), "prior must be one of"),
        (BayesianPoissonRegression(alpha=np.inf), "alpha must be a positive finite number"),
    ],
)
def test_bad_hyperparameters(rng, estimator, match):
    X = rng.normal(size=(20, 3))
    y = rng.poisson(2.0, size=20).astype(float)
    if isinstance(estimator, BayesianLogisticRegression):
        y = (y > 1).astype(float)
    with pytest.raises(ValueError, match=match):
        estimator.fit(X, y)


def test_bad_targets(rng):
    X = rng.normal(size=(20, 2))
    with pytest.raises(ValueError, match="Only binary classification is supported"):
        BayesianLogisticRegression().fit(X, np.arange(20) % 3)
    with pytest.raises(ValueError, match="only one class"):
        BayesianLogisticRegression().fit(X, np.ones(20))
    negative = np.where(np.arange(20) == 3, -0.5, 1.5)
    with pytest.raises(
        ValueError, match=r"y must be non-negative .* 1 negative value\(s\), such as \[-0.5\]"
    ):
        BayesianPoissonRegression().fit(X, negative)
    with pytest.raises(ValueError, match="Input y contains NaN"):
        BayesianPoissonRegression().fit(X, np.where(np.arange(20) == 3, np.nan, 1.5))


@pytest.mark.parametrize(
    "estimator",
    [BayesianLinearRegression(), BayesianLogisticRegression(), BayesianPoissonRegression()],
    ids=["linear", "logistic", "poisson"],
)
def test_repeated_column_names_are_refused(rng, estimator):
    X = pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "a", "b"])
    y = (X["b"] > 0).astype(float) if isinstance(estimator, BayesianLogisticRegression) else None
    y = rng.poisson(2.0, size=30).astype(float) if y is None else y
    duplicate = r"X has duplicate column names: 'a' \(2 times\); column names must be unique"
    with pytest.raises(ValueError, match=duplicate):
        clone(estimator).fit(X, y)
    fitted = clone(estimator).fit(X.set_axis(["a", "c", "b"], axis=1), y)
    with pytest.raises(ValueError, match=duplicate):
        fitted.predict(X)


def test_return_std_needs_posterior(rng):
    X, y = rng.normal(size=(20, 2)), rng.normal(size=20)
    est = BayesianLinearRegression().fit(X, y)
    with pytest.raises(NotFittedError, match="call .sample_posterior"):
        est.predict(X, return_std=True)


# ---------------------------------------------------------------------------------------------
# the posterior: predict(return_std=True) against the conjugate posterior predictive


@needs_sampler
def test_posterior_predictive_matches_conjugate(rng):
    n, p, sigma, tau = 30, 2, 0.5, 1.0
    X = rng.normal(size=(n, p))
    y = 0.3 + X @ np.array([1.0, -0.5]) + sigma * rng.normal(size=n)
    X_new = rng.normal(size=(5, p))
    est = BayesianLinearRegression(prior="gaussian", l2_scale=tau, sigma=sigma).fit(X, y)
    post = est.sample_posterior(num_chains=2, num_warmup=500, num_samples=2000, seed=1)
    assert post is est.posterior_

    # exact posterior of (intercept, coef): flat prior on the intercept, Normal(0, tau) on coef
    Z, Z_new = np.column_stack([np.ones(n), X]), np.column_stack([np.ones(5), X_new])
    precision = np.diag([0.0] + [1.0 / tau**2] * p)
    S = np.linalg.inv(Z.T @ Z / sigma**2 + precision)
    mean = Z_new @ S @ Z.T @ y / sigma**2
    var_mean = np.einsum("ij,jk,ik->i", Z_new, S, Z_new)

    y_mean, y_std = est.predict(X_new, return_std=True)
    np.testing.assert_allclose(est.predict(X_new), mean, rtol=1e-8)  # MAP = posterior mean
    draws = 2 * 2000
    ess = draws / 3  # conservative for NUTS on a Gaussian target; exact for iid draws
    assert np.all(np.abs(y_mean - mean) < 5 * np.sqrt(var_mean / ess))
    var_hat = y_std**2 - sigma**2
    assert np.all(np.abs(var_hat - var_mean) < 5 * np.sqrt(2 / ess) * var_mean)


@needs_sampler
def test_posterior_with_feature_names_and_unknown_sigma(rng):
    X = pd.DataFrame(rng.normal(size=(40, 2)), columns=["age", "dose"])
    y = pd.Series(1.0 + 2.0 * X["age"] + rng.normal(size=40), name="response")
    est = BayesianLinearRegression(prior="laplace", l1_scale=1.0, sigma="estimate").fit(X, y)
    post = est.sample_posterior(num_chains=2, num_warmup=300, num_samples=300, seed=0)
    coords = post.idata.posterior["coef"].coords
    feature_dim = [d for d in post.idata.posterior["coef"].dims if d not in ("chain", "draw")]
    assert list(coords[feature_dim[0]].values) == ["age", "dose"]
    y_mean, y_std = est.predict(X, return_std=True)
    # by hand from the draws: mean of mu, and the predictive variance E[sigma²] + Var[mu]
    coef = np.asarray(post.samples["coef"]).reshape(-1, 2)
    mu = np.asarray(post.samples["intercept"]).reshape(-1, 1) + coef @ X.to_numpy().T
    sigma_draws = np.asarray(post.samples["sigma"]).ravel()
    np.testing.assert_allclose(y_mean, mu.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(y_std**2, np.mean(sigma_draws**2) + mu.var(axis=0), rtol=1e-8)
    # refitting drops the posterior of the previous fit
    est.fit(X, y)
    assert not hasattr(est, "posterior_")


@needs_sampler
def test_poisson_posterior_predictive(rng):
    X = rng.normal(size=(40, 2))
    y = rng.poisson(np.exp(0.5 + X @ np.array([0.4, -0.3])))
    est = BayesianPoissonRegression(alpha=0.01).fit(X, y)
    est.sample_posterior(num_chains=2, num_warmup=300, num_samples=300, seed=0)
    y_mean, y_std = est.predict(X[:5], return_std=True)
    # by hand from the draws: mu = exp(eta); Var[y] = E[mu] (Poisson noise) + Var[mu]
    coef = np.asarray(est.posterior_.samples["coef"]).reshape(-1, 2)
    eta = np.asarray(est.posterior_.samples["intercept"]).reshape(-1, 1) + coef @ X[:5].T
    mu = np.exp(eta)
    np.testing.assert_allclose(y_mean, mu.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(y_std**2, mu.mean(axis=0) + mu.var(axis=0), rtol=1e-8)
    # the posterior mean rate is near the MAP rate: within 4 posterior sd of mu
    assert np.all(np.abs(y_mean - est.predict(X[:5])) < 4 * mu.std(axis=0))


@needs_sampler
def test_poisson_posterior_on_rates(rng):
    """Rates (non-integer y): NUTS runs on the quasi-likelihood, pointwise by the formula."""
    X = rng.normal(size=(40, 2))
    exposure = rng.integers(1, 6, size=40)
    y = rng.poisson(exposure * np.exp(0.5 + X @ np.array([0.4, -0.3]))) / exposure
    est = BayesianPoissonRegression(alpha=0.01).fit(X, y)
    est.sample_posterior(num_chains=2, num_warmup=300, num_samples=300, seed=0)
    coef = np.asarray(est.posterior_.samples["coef"]).reshape(-1, 2)
    eta = np.asarray(est.posterior_.samples["intercept"]).reshape(-1, 1) + coef @ X.T
    # ArviZ's pointwise log-likelihood (for LOO) is y·eta - exp(eta) - lgamma(y + 1) per draw
    pointwise = est.posterior_.idata.log_likelihood["y"].values.reshape(-1, 40)
    expected = y * eta - np.exp(eta) - special.gammaln(y + 1.0)
    np.testing.assert_allclose(pointwise, expected, rtol=1e-10, atol=1e-12)


def test_fits_from_threads_equal_serial(rng):
    # NumPyro's handler stack is process-wide; map_estimate holds bayesreg's MODEL_LOCK, so
    # estimators fitted from several threads at once give the serial answers
    # two shapes (two compiled programs, so another thread's shapes would show), eight data sets
    data = [
        (rng.normal(size=(20 + 5 * (k % 2), 3)), rng.normal(size=20 + 5 * (k % 2)))
        for k in range(8)
    ]
    serial = [BayesianLinearRegression(prior="laplace", alpha=0.1).fit(X, y).coef_ for X, y in data]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            fits = [
                pool.submit(BayesianLinearRegression(prior="laplace", alpha=0.1).fit, X, y)
                for X, y in data
            ]
            for expected, fit in zip(serial, fits, strict=True):
                np.testing.assert_array_equal(fit.result().coef_, expected)
