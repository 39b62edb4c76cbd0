"""`BayesianLinearRegression` estimates the noise sd unless it is given (issue #17, finding 1).

Oracles: scikit-learn's Ridge / Lasso / ElasticNet for the weights, and the quartic
``n sigma² + sigma⁴ / s² = RSS`` (the joint MAP's stationarity in sigma), solved by numpy.roots.
"""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import ElasticNet, Lasso, Ridge

from bayesreg.sklearn import BayesianLinearRegression


@pytest.fixture(scope="module")
def diabetes():
    return load_diabetes(return_X_y=True)


def _stationary_sigma(n, rss, scale):
    roots = np.roots([1.0 / scale**2, 0.0, float(n), 0.0, -rss])  # in sigma
    real = roots[np.abs(roots.imag) < 1e-9].real
    return float(real[real > 0][0])


@pytest.mark.parametrize(
    ("params", "reference"),
    [
        ({}, Ridge()),
        ({"prior": "laplace", "alpha": 0.1}, Lasso(alpha=0.1, tol=1e-14, max_iter=200_000)),
        (
            {"prior": "elastic_net", "alpha": 0.01, "l1_ratio": 0.3},
            ElasticNet(alpha=0.01, l1_ratio=0.3, tol=1e-14, max_iter=200_000),
        ),
    ],
)
def test_default_sigma_is_estimated_and_the_weights_stay_sklearns(diabetes, params, reference):
    X, y = diabetes
    est = BayesianLinearRegression(**params).fit(X, y)
    reference.fit(X, y)
    scale = np.abs(reference.coef_).max()
    np.testing.assert_allclose(est.coef_, reference.coef_, atol=1e-7 * scale)
    assert est.intercept_ == pytest.approx(reference.intercept_, abs=1e-7 * scale)
    assert est.map_.converged and "sigma" in est.map_.params
    residual = y - reference.predict(X)
    expected = _stationary_sigma(len(y), residual @ residual, np.std(y))
    assert est.sigma_ == pytest.approx(expected, rel=1e-7)
    assert est.sigma_ == pytest.approx(np.sqrt(residual @ residual / len(y)), rel=0.01)


@pytest.mark.slow
def test_posterior_predictive_sd_is_the_noise_of_the_data(diabetes):
    # the finding: with sigma=1.0 by default the predictive sd came out 1.01 (residual sd 54)
    X, y = diabetes
    est = BayesianLinearRegression(prior="laplace", alpha=0.1).fit(X, y)
    est.sample_posterior(num_chains=2, num_warmup=500, num_samples=500, seed=0)
    _, sd = est.predict(X, return_std=True)
    residual_sd = np.std(y - est.predict(X))
    assert np.mean(sd) == pytest.approx(residual_sd, rel=0.2)
    coef_sd = np.std(np.asarray(est.posterior_.samples["coef"])[:, 2])  # bmi
    assert 30.0 < coef_sd < 120.0  # ~65 (the sd of coef[bmi] was 1.28 under sigma=1)


def test_a_given_sigma_is_held_fixed(diabetes):
    X, y = diabetes
    est = BayesianLinearRegression(prior="laplace", alpha=0.1, sigma=50.0).fit(X, y)
    assert est.sigma_ == 50.0 and "sigma" not in est.map_.params


def test_sigma_cannot_be_estimated_from_one_sample_or_an_interpolating_fit():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"n_samples = 1.*Give sigma"):
        BayesianLinearRegression().fit(rng.normal(size=(1, 3)), [1.0])
    X, y = rng.normal(size=(3, 8)), rng.normal(size=3)
    with pytest.raises(ValueError, match=r"interpolates y.*Give sigma as a number"):
        BayesianLinearRegression(alpha=1e-14).fit(X, y)
    assert BayesianLinearRegression(alpha=1e-14, sigma=1.0).fit(X, y).sigma_ == 1.0


def test_cv_estimator_estimates_sigma_and_chooses_lasso_cvs_alpha(diabetes):
    from sklearn.linear_model import LassoCV

    from bayesreg.sklearn import BayesianLinearRegressionCV

    X, y = diabetes
    ours = BayesianLinearRegressionCV(alphas=20).fit(X, y)
    theirs = LassoCV(alphas=20, cv=5, tol=1e-12, max_iter=200_000).fit(X, y)
    assert ours.alpha_ == pytest.approx(theirs.alpha_, rel=1e-12)  # the choice ignores sigma
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-6 * np.abs(theirs.coef_).max())
    residual = y - theirs.predict(X)
    expected = _stationary_sigma(len(y), residual @ residual, np.std(y))
    assert ours.sigma_ == pytest.approx(expected, rel=1e-6)
    b = ours.sigma_**2 / (len(y) * ours.alpha_)  # the refit's prior at the estimated sigma
    assert float(np.ravel(ours.prior_.scale)[0]) == pytest.approx(b, rel=1e-12)
    assert ours.cv_results_["l1_scale"][ours.index_] == pytest.approx(b, rel=1e-12)


@pytest.mark.parametrize("case", ["column_scales", "p_greater_than_n", "large_offset"])
def test_estimated_sigma_off_well_scaled_data(case):
    # Ridge's svd solver is exact: the oracle for the weights; the quartic for sigma
    rng = np.random.default_rng(3)
    n, p = (40, 120) if case == "p_greater_than_n" else (60, 5)
    X = rng.normal(size=(n, p))
    if case == "column_scales":
        X = X * np.logspace(-4, 4, p)
    y = X @ rng.normal(size=p) / np.std(X, axis=0).mean() + 0.3 * rng.normal(size=n)
    if case == "large_offset":
        y = y * 1e-3 + 1e6  # noise sd 3e-4 beside a mean of 1e6
    est = BayesianLinearRegression(alpha=0.5).fit(X, y)
    reference = Ridge(alpha=0.5, solver="svd").fit(X, y)
    np.testing.assert_allclose(
        est.coef_, reference.coef_, rtol=1e-6, atol=1e-9 * np.abs(reference.coef_).max()
    )
    residual = y - reference.predict(X)
    expected = _stationary_sigma(n, residual @ residual, np.std(y))
    assert est.map_.converged
    assert est.sigma_ == pytest.approx(expected, rel=1e-6)
