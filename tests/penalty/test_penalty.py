"""Tests for bayesreg.penalty: hand-computed values, round trips, scikit-learn oracles, errors."""

import doctest
import importlib
import math
import pkgutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression, PoissonRegressor, Ridge

import bayesreg.penalty as penalty
from bayesreg.penalty import (
    elastic_net_params,
    elastic_net_prior_scales,
    glmnet_params,
    glmnet_prior_scales,
    glmnet_standardized_scales,
    lasso_alpha,
    lasso_prior_scale,
    logistic_params,
    logistic_prior_scales,
    poisson_alpha,
    poisson_prior_scale,
    ridge_alpha,
    ridge_prior_scale,
)

INF = math.inf

# ---------------------------------------------------------------------------------------------
# Hand-computed values from the formulas (DESIGN.md section 2)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("got", "expected"),
    [
        (ridge_alpha(2.0, sigma=3.0), 9.0 / 4.0),
        (ridge_prior_scale(9.0 / 4.0, sigma=3.0), 2.0),
        (lasso_alpha(0.5, sigma=2.0, n=100), 4.0 / 50.0),
        (lasso_prior_scale(0.08, sigma=2.0, n=100), 0.5),
        (poisson_alpha(0.5, n=100), 1.0 / 25.0),
        (poisson_prior_scale(0.04, n=100), 0.5),
        # 1/b + 1/tau^2 = 2 + 1 = 3; sigma^2 / n = 4 / 10
        (elastic_net_params(0.5, 1.0, sigma=2.0, n=10), (1.2, 2.0 / 3.0)),
        (elastic_net_prior_scales(1.2, 2.0 / 3.0, sigma=2.0, n=10), (0.5, 1.0)),
        (logistic_params(l2_scale=2.0), (4.0, 0.0)),
        (logistic_params(l1_scale=0.5), (0.5, 1.0)),
        (logistic_params(l1_scale=0.5, l2_scale=1.0), (1.0 / 3.0, 2.0 / 3.0)),
        (logistic_prior_scales(1.0 / 3.0, 2.0 / 3.0), (0.5, 1.0)),
        (glmnet_params(l1_scale=0.5, l2_scale=1.0, n=10, sigma=2.0), (1.2, 2.0 / 3.0)),
        (glmnet_params(l1_scale=0.5, n=10, sigma=2.0), (0.8, 1.0)),
        (glmnet_params(l2_scale=2.0, n=10), (0.025, 0.0)),
        (glmnet_prior_scales(1.2, 2.0 / 3.0, n=10, sigma=2.0), (0.5, 1.0)),
    ],
)
def test_hand_computed_values(got, expected):
    assert_allclose(got, expected, rtol=1e-14)


@pytest.mark.parametrize(
    ("got", "expected"),
    [
        (elastic_net_prior_scales(0.2, 1.0, sigma=1.0, n=10), (0.5, INF)),
        (elastic_net_prior_scales(0.4, 0.0, sigma=1.0, n=10), (INF, 0.5)),
        (logistic_prior_scales(0.5, 1.0), (0.5, INF)),
        (logistic_prior_scales(4.0, 0.0), (INF, 2.0)),
        (glmnet_prior_scales(0.2, 1.0, n=10), (0.5, INF)),
        (glmnet_prior_scales(0.025, 0.0, n=10), (INF, 2.0)),
        (elastic_net_params(0.5, INF, sigma=1.0, n=10), (0.2, 1.0)),
        (elastic_net_params(INF, 0.5, sigma=1.0, n=10), (0.4, 0.0)),
        (logistic_params(l1_scale=INF, l2_scale=2.0), (4.0, 0.0)),
        (glmnet_params(l1_scale=0.5, l2_scale=INF, n=10), (0.2, 1.0)),
    ],
)
def test_pure_l1_and_pure_l2_ends_give_infinite_scales(got, expected):
    assert got == expected


def test_scale_whose_weight_underflows_counts_as_absent():
    assert logistic_params(l1_scale=0.5, l2_scale=1e200) == (0.5, 1.0)


def test_elastic_net_ends_agree_with_lasso_and_ridge():
    sigma, n, b, tau = 1.7, 40, 0.3, 0.9
    assert_allclose(
        elastic_net_params(b, INF, sigma=sigma, n=n), (lasso_alpha(b, sigma=sigma, n=n), 1.0)
    )
    # Ridge's objective is n times ElasticNet's (RSS vs RSS / (2n), alpha vs alpha / 2).
    alpha, l1_ratio = elastic_net_params(INF, tau, sigma=sigma, n=n)
    assert l1_ratio == 0.0
    assert_allclose(n * alpha, ridge_alpha(tau, sigma=sigma), rtol=1e-14)


def test_glmnet_gaussian_is_sklearn_elastic_net():
    # Same objective: (1/(2n)) RSS + lambda [(1 - a)/2 ||w||^2 + a ||w||_1].
    got = glmnet_params(l1_scale=0.7, l2_scale=0.4, n=33, sigma=1.3)
    assert_allclose(got, elastic_net_params(0.7, 0.4, sigma=1.3, n=33), rtol=1e-14)


def test_glmnet_binomial_is_sklearn_logistic():
    # -(1/n) loglik + lambda [...] is (1 / (n C)) times C * sum(logloss) + [...].
    n = 57
    lambda_, alpha = glmnet_params(l1_scale=0.7, l2_scale=0.4, n=n)
    C, l1_ratio = logistic_params(l1_scale=0.7, l2_scale=0.4)
    assert_allclose((lambda_, alpha), (1.0 / (n * C), l1_ratio), rtol=1e-14)


def test_scalar_inputs_give_python_floats_and_arrays_broadcast():
    assert type(ridge_alpha(2.0, sigma=1.0)) is float
    assert all(type(v) is float for v in logistic_params(l1_scale=1.0, l2_scale=2.0))
    taus = np.array([0.5, 1.0, 2.0])
    got = ridge_alpha(taus, sigma=2.0)
    assert isinstance(got, np.ndarray)
    assert_allclose(got, [ridge_alpha(t, sigma=2.0) for t in taus], rtol=0)
    l1_scales, l2_scales = elastic_net_prior_scales(
        np.array([0.1, 0.2]), np.array([[0.0], [0.5], [1.0]]), sigma=1.0, n=5
    )
    assert l1_scales.shape == l2_scales.shape == (3, 2)
    assert np.all(np.isinf(l1_scales[0])) and np.all(np.isinf(l2_scales[2]))
    b, tau = glmnet_prior_scales(np.array([0.1, 0.2]), np.array([0.0, 1.0]), n=3)
    assert_allclose(b, [INF, 1.0 / 0.6])
    assert_allclose(tau, [np.sqrt(1.0 / 0.3), INF])


def test_docstring_examples_run():
    # penalty is a package: its examples live in the modules it re-exports from
    modules = [penalty] + [
        importlib.import_module(f"{penalty.__name__}.{info.name}")
        for info in pkgutil.iter_modules(penalty.__path__)
    ]
    results = [doctest.testmod(module, raise_on_error=False, report=True) for module in modules]
    result = doctest.TestResults(sum(r.failed for r in results), sum(r.attempted for r in results))
    assert result.attempted >= 20
    assert result.failed == 0


# ---------------------------------------------------------------------------------------------
# Round trips in both directions
# ---------------------------------------------------------------------------------------------

scales = st.floats(1e-3, 1e3)
sigmas = st.floats(1e-2, 1e2)
rows = st.integers(1, 10**6)
strengths = st.floats(1e-6, 1e6)
ratios = st.floats(0.0, 1.0)
FAST = settings(max_examples=60, deadline=None)


@FAST
@given(scale=scales, sigma=sigmas, n=rows)
def test_single_scale_round_trips(scale, sigma, n):
    assert_allclose(ridge_prior_scale(ridge_alpha(scale, sigma=sigma), sigma=sigma), scale)
    assert_allclose(ridge_alpha(ridge_prior_scale(scale, sigma=sigma), sigma=sigma), scale)
    assert_allclose(
        lasso_prior_scale(lasso_alpha(scale, sigma=sigma, n=n), sigma=sigma, n=n), scale
    )
    assert_allclose(
        lasso_alpha(lasso_prior_scale(scale, sigma=sigma, n=n), sigma=sigma, n=n), scale
    )
    assert_allclose(poisson_prior_scale(poisson_alpha(scale, n=n), n=n), scale)
    assert_allclose(poisson_alpha(poisson_prior_scale(scale, n=n), n=n), scale)


@FAST
@given(b=scales, tau=scales, sigma=sigmas, n=rows)
def test_two_scale_round_trips_from_prior(b, tau, sigma, n):
    alpha, l1_ratio = elastic_net_params(b, tau, sigma=sigma, n=n)
    assert_allclose(elastic_net_prior_scales(alpha, l1_ratio, sigma=sigma, n=n), (b, tau))
    C, l1_ratio = logistic_params(l1_scale=b, l2_scale=tau)
    assert_allclose(logistic_prior_scales(C, l1_ratio), (b, tau))
    lambda_, mix = glmnet_params(l1_scale=b, l2_scale=tau, n=n, sigma=sigma)
    assert_allclose(glmnet_prior_scales(lambda_, mix, n=n, sigma=sigma), (b, tau))


@FAST
@given(strength=strengths, ratio=ratios, sigma=sigmas, n=rows)
def test_two_scale_round_trips_from_penalty(strength, ratio, sigma, n):
    # ratio may be exactly 0 or 1: a scale is then inf and must map back to the same end.
    # A subnormal ratio may give b = inf (overflow), i.e. ratio 0 back: hence the atol on it.
    def assert_back(got):
        assert_allclose(got[0], strength, rtol=1e-12)
        assert_allclose(got[1], ratio, rtol=1e-12, atol=1e-15)

    b, tau = elastic_net_prior_scales(strength, ratio, sigma=sigma, n=n)
    assert_back(elastic_net_params(b, tau, sigma=sigma, n=n))
    b, tau = logistic_prior_scales(strength, ratio)
    assert_back(logistic_params(l1_scale=b, l2_scale=tau))
    b, tau = glmnet_prior_scales(strength, ratio, n=n, sigma=sigma)
    assert_back(glmnet_params(l1_scale=b, l2_scale=tau, n=n, sigma=sigma))


# ---------------------------------------------------------------------------------------------
# Oracles: scikit-learn solutions are the MAP of the prior model (closed form / KKT conditions)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gaussian_data():
    """Non-centered X with unequal column scales, a sparse truth and an intercept."""
    rng = np.random.default_rng(0)
    n, p = 80, 8
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 3.0, size=p) + rng.normal(size=p)
    w_true = np.array([2.0, -1.5, 0.0, 0.0, 0.8, 0.0, 0.0, -0.3])
    sigma = 1.5
    y = 4.0 + X @ w_true + sigma * rng.normal(size=n)
    return X, y, sigma


def centered(X, y):
    return X - X.mean(axis=0), y - y.mean()


def assert_kkt(gradient, w, l1_weight, atol):
    """Check 0 in gradient-of-smooth-part + l1_weight * subdifferential of |w|.

    ``gradient`` is minus the gradient of the smooth part of the negative log posterior.
    """
    nonzero = w != 0
    assert nonzero.any() and (~nonzero).any(), "test data must give zeros and nonzeros"
    l1_weight = np.broadcast_to(l1_weight, w.shape)
    assert_allclose(gradient[nonzero], l1_weight[nonzero] * np.sign(w[nonzero]), rtol=0, atol=atol)
    assert np.all(np.abs(gradient[~nonzero]) <= l1_weight[~nonzero] + atol)


# Each oracle runs both ways: a prior scale converted to the estimator's parameter, and an
# estimator's parameter converted back to the prior scale the optimality conditions use.
DIRECTIONS = pytest.mark.parametrize("from_penalty", [False, True], ids=["to_penalty", "to_prior"])


@DIRECTIONS
def test_ridge_is_gaussian_prior_posterior_mode(gaussian_data, from_penalty):
    X, y, sigma = gaussian_data
    if from_penalty:
        alpha = 5.0
        tau = ridge_prior_scale(alpha, sigma=sigma)
    else:
        tau = 0.4
        alpha = ridge_alpha(tau, sigma=sigma)
    model = Ridge(alpha=alpha).fit(X, y)
    Xc, yc = centered(X, y)
    precision = Xc.T @ Xc / sigma**2 + np.eye(X.shape[1]) / tau**2
    w_map = np.linalg.solve(precision, Xc.T @ yc / sigma**2)
    assert_allclose(model.coef_, w_map, rtol=1e-8, atol=1e-10)
    assert_allclose(model.intercept_, y.mean() - X.mean(axis=0) @ w_map, rtol=1e-8)


@DIRECTIONS
def test_lasso_satisfies_laplace_prior_kkt(gaussian_data, from_penalty):
    X, y, sigma = gaussian_data
    n = X.shape[0]
    if from_penalty:
        alpha = 0.8
        b = lasso_prior_scale(alpha, sigma=sigma, n=n)
    else:
        b = 0.02
        alpha = lasso_alpha(b, sigma=sigma, n=n)
    model = Lasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(X, y)
    Xc, yc = centered(X, y)
    w = model.coef_
    # Prior objective: RSS / (2 sigma^2) + sum |w| / b.
    gradient = Xc.T @ (yc - Xc @ w) / sigma**2
    assert_kkt(gradient * b, w, 1.0, atol=1e-6)


@DIRECTIONS
def test_elastic_net_satisfies_prior_kkt(gaussian_data, from_penalty):
    X, y, sigma = gaussian_data
    n = X.shape[0]
    if from_penalty:
        alpha, l1_ratio = 1.0, 0.7
        b, tau = elastic_net_prior_scales(alpha, l1_ratio, sigma=sigma, n=n)
    else:
        b, tau = 0.02, 0.3
        alpha, l1_ratio = elastic_net_params(b, tau, sigma=sigma, n=n)
    assert 0 < l1_ratio < 1
    model = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-12, max_iter=100_000).fit(X, y)
    Xc, yc = centered(X, y)
    w = model.coef_
    # Prior objective: RSS / (2 sigma^2) + sum |w| / b + ||w||^2 / (2 tau^2).
    gradient = Xc.T @ (yc - Xc @ w) / sigma**2 - w / tau**2
    assert_kkt(gradient * b, w, 1.0, atol=1e-6)


def logistic_gradients(model, X, y):
    """Minus the gradient of sum(logloss) w.r.t. (coef, intercept) at the fitted model."""
    w = model.coef_.ravel()
    prob = 1.0 / (1.0 + np.exp(-(X @ w + model.intercept_[0])))
    return X.T @ (y - prob), np.sum(y - prob), w


@DIRECTIONS
def test_logistic_normal_prior_is_stationary_point(breast_cancer, from_penalty):
    X, y = breast_cancer
    if from_penalty:
        C, l1_ratio = 0.05, 0.0
        b, tau = logistic_prior_scales(C, l1_ratio)
        assert b == INF
    else:
        tau = 0.3
        C, l1_ratio = logistic_params(l2_scale=tau)
    model = LogisticRegression(
        C=C, l1_ratio=l1_ratio, solver="newton-cholesky", tol=1e-12, max_iter=1000
    ).fit(X, y)
    gradient, intercept_gradient, w = logistic_gradients(model, X, y)
    # Objective: sum logloss + ||w||^2 / (2 tau^2); the intercept has a flat prior.
    assert_allclose(gradient, w / tau**2, rtol=0, atol=1e-8)
    assert abs(intercept_gradient) < 1e-8


@pytest.mark.parametrize(
    ("prior", "penalty_params"),
    [
        ((0.1, INF), None),
        ((0.2, 1.0), None),
        (None, (0.15, 1.0)),
        (None, (0.15, 0.8)),
    ],
    ids=["laplace_to_penalty", "elastic_net_to_penalty", "l1_to_prior", "elastic_net_to_prior"],
)
def test_logistic_laplace_and_elastic_net_priors_satisfy_kkt(breast_cancer, prior, penalty_params):
    X, y = breast_cancer
    if prior is None:
        C, l1_ratio = penalty_params
        b, tau = logistic_prior_scales(C, l1_ratio)
    else:
        b, tau = prior
        C, l1_ratio = logistic_params(l1_scale=b, l2_scale=tau)
    # saga does not penalize the intercept (liblinear does), so it solves the prior problem.
    model = LogisticRegression(
        C=C, l1_ratio=l1_ratio, solver="saga", tol=1e-10, max_iter=100_000
    ).fit(X, y)
    gradient, intercept_gradient, w = logistic_gradients(model, X, y)
    # Objective: sum logloss + sum |w| / b + ||w||^2 / (2 tau^2) (tau = inf: no L2 term).
    gradient = gradient - w / tau**2
    assert_kkt(gradient * b, w, 1.0, atol=1e-6)
    assert abs(intercept_gradient) < 1e-6


@DIRECTIONS
def test_poisson_regressor_is_normal_prior_posterior_mode(from_penalty):
    rng = np.random.default_rng(1)
    n, p = 200, 4
    X = rng.normal(size=(n, p))
    y = rng.poisson(np.exp(0.5 + X @ np.array([0.4, -0.3, 0.0, 0.2]))).astype(float)
    if from_penalty:
        alpha = 0.01
        tau = poisson_prior_scale(alpha, n=n)
    else:
        tau = 0.05
        alpha = poisson_alpha(tau, n=n)
    model = PoissonRegressor(alpha=alpha, solver="newton-cholesky", tol=1e-12, max_iter=1000)
    model.fit(X, y)
    mean = np.exp(X @ model.coef_ + model.intercept_)
    # Objective: sum(mu - y log mu) + ||w||^2 / (2 tau^2); the intercept has a flat prior.
    assert_allclose(X.T @ (y - mean), model.coef_ / tau**2, rtol=0, atol=1e-8)
    assert abs(np.sum(y - mean)) < 1e-8


@DIRECTIONS
def test_glmnet_standardized_fit_is_map_under_per_feature_scales(gaussian_data, from_penalty):
    # glmnet(standardize=TRUE) solves its gaussian objective on columns scaled by the 1/n sd; the
    # same objective is sklearn ElasticNet(alpha=lambda, l1_ratio=alpha) on those columns.
    X, y, _ = gaussian_data
    n = X.shape[0]
    y = (y - y.mean()) / y.std()  # glmnet's advice for comparisons: a standardized y
    sigma = 0.5
    if from_penalty:
        lambda_, mix = 0.3, 0.6
        b, tau = glmnet_prior_scales(lambda_, mix, n=n, sigma=sigma)
    else:
        b, tau = 0.02, 0.05
        lambda_, mix = glmnet_params(l1_scale=b, l2_scale=tau, n=n, sigma=sigma)
    column_sd = X.std(axis=0)
    standardized = (X - X.mean(axis=0)) / column_sd
    fit = ElasticNet(alpha=lambda_, l1_ratio=mix, tol=1e-12, max_iter=100_000)
    w = fit.fit(standardized, y).coef_ / column_sd  # back to the original columns
    b_j = glmnet_standardized_scales(b, X=X)
    tau_j = glmnet_standardized_scales(tau, X=X)
    assert_allclose(b_j, b / column_sd, rtol=1e-14)
    assert not np.allclose(b_j, b)  # the columns do have unequal scales
    Xc, yc = centered(X, y)
    gradient = Xc.T @ (yc - Xc @ w) / sigma**2 - w / tau_j**2
    assert_kkt(gradient * b, w, b / b_j, atol=1e-6)


def test_glmnet_standardized_scales_broadcast_per_feature_and_inf():
    X = np.array([[0.0, 0.0, 1.0], [2.0, 4.0, 3.0]])  # 1/n sds: 1, 2, 1
    assert_allclose(glmnet_standardized_scales(np.array([1.0, 1.0, 4.0]), X=X), [1.0, 0.5, 4.0])
    assert_allclose(glmnet_standardized_scales(INF, X=X), [INF] * 3)


# ---------------------------------------------------------------------------------------------
# Errors name the argument, the bad value and what is allowed
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ridge_alpha(0.0, sigma=1.0), r"tau must be a positive finite .* tau=0\.0"),
        (lambda: ridge_alpha(-1.0, sigma=1.0), r"tau=-1\.0\. Pass a value in \(0, inf\)"),
        (lambda: ridge_alpha(np.nan, sigma=1.0), r"tau=nan"),
        (lambda: ridge_alpha(np.inf, sigma=1.0), r"tau=inf"),
        (lambda: ridge_alpha(np.array([1.0, -2.0]), sigma=1.0), r"tau=-2\.0"),
        (lambda: ridge_alpha(1.0, sigma=0.0), r"sigma must be a positive finite .* sigma=0\.0"),
        (lambda: ridge_prior_scale(0.0, sigma=1.0), r"alpha must be .*Ridge.* alpha=0\.0"),
        (lambda: lasso_alpha(1.0, sigma=1.0, n=0), r"n must be a positive integer .* n=0"),
        (lambda: lasso_alpha(1.0, sigma=1.0, n=2.5), r"n=2\.5"),
        (lambda: lasso_alpha(1.0, sigma=1.0, n=True), r"n=True"),
        (lambda: lasso_prior_scale(-0.1, sigma=1.0, n=5), r"alpha=-0\.1"),
        (lambda: poisson_alpha(1.0, n=-3), r"n=-3"),
        (lambda: poisson_prior_scale(np.inf, n=3), r"alpha=inf"),
        (lambda: elastic_net_params(0.0, 1.0, sigma=1.0, n=5), r"l1_scale must be positive"),
        (lambda: elastic_net_params(1.0, np.nan, sigma=1.0, n=5), r"l2_scale=nan"),
        (lambda: elastic_net_params(INF, INF, sigma=1.0, n=5), r"flat prior"),
        (lambda: elastic_net_prior_scales(1.0, 1.5, sigma=1.0, n=5), r"l1_ratio=1\.5"),
        (lambda: elastic_net_prior_scales(0.0, 0.5, sigma=1.0, n=5), r"alpha=0\.0"),
        (lambda: logistic_params(), r"both None"),
        (lambda: logistic_params(l1_scale=-1.0), r"l1_scale=-1\.0\. Pass a value in \(0, inf\]"),
        (lambda: logistic_prior_scales(0.0, 0.5), r"C must be .* C=0\.0"),
        (lambda: logistic_prior_scales(np.inf, 0.5), r"C=inf"),
        (lambda: logistic_prior_scales(1.0, -0.1), r"l1_ratio must lie in \[0, 1\].*-0\.1"),
        (lambda: glmnet_params(n=5), r"both None"),
        (lambda: logistic_params(l1_scale=1e-320), r"overflows a float64"),
        (lambda: glmnet_params(l1_scale=1.0, n=0), r"n=0"),
        (lambda: glmnet_prior_scales(-1.0, 0.5, n=5), r"lambda_ must be .* lambda_=-1\.0"),
        (lambda: glmnet_prior_scales(1.0, 2.0, n=5), r"alpha must lie in \[0, 1\].* alpha=2\.0"),
        (
            lambda: glmnet_standardized_scales(1.0, X=np.array([[1.0, 2.0], [1.0, 3.0]])),
            r"constant columns \[0\]",
        ),
        (lambda: glmnet_standardized_scales(1.0, X=np.ones(4)), r"X must be a 2-D .* \(4,\)"),
        (lambda: glmnet_standardized_scales(0.0, X=np.eye(2)), r"scale=0\.0"),
    ],
)
def test_bad_inputs_raise_value_error_naming_argument_and_value(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_numpy_integer_n_is_accepted():
    assert lasso_alpha(1.0, sigma=1.0, n=np.int64(4)) == 0.25
