"""predict (posterior and MAP plug-in) and prior_predictive, on the response's scale.

Oracles: scikit-learn's ``predict_proba`` / ``PoissonRegressor.predict`` at the same MAP, NumPy on
the posterior draws (sigmoid, exp), and the closed-form prior predictive variance of a linear
model with Normal priors.
"""

import warnings

import numpy as np
import numpyro
import numpyro.distributions as dist
import pandas as pd
import pytest
from scipy.special import expit
from sklearn.linear_model import LogisticRegression, PoissonRegressor

import bayesreg as br
from bayesreg.sklearn import BayesianLogisticRegression, BayesianPoissonRegression

TAU = 0.8  # prior sd of each weight (Normal), so the MAP is ridge-like and unique


@pytest.fixture(scope="module")
def logistic_data():
    gen = np.random.default_rng(17)
    X = gen.normal(size=(80, 3))
    # large true weights: the linear predictor reaches |mu| ~ 10, where the logit is far from
    # the probability (the "mu around -20 and no probabilities")
    y = (gen.uniform(size=80) < expit(X @ np.array([4.0, -3.0, 0.0]) - 1.0)).astype(float)
    return X, y


@pytest.fixture(scope="module")
def poisson_data():
    gen = np.random.default_rng(18)
    X = gen.normal(size=(100, 3))
    y = gen.poisson(np.exp(0.5 + X @ np.array([0.6, -0.4, 0.0]))).astype(float)
    return X, y


@pytest.fixture(scope="module")
def logistic_fit(logistic_data):
    X, y = logistic_data
    return br.map_estimate(br.models.logistic, X, y, prior=br.models.gaussian(TAU))


@pytest.fixture(scope="module")
def logistic_posterior(logistic_data):
    X, y = logistic_data
    with warnings.catch_warnings():
        # the test compares predict with NumPy on whatever draws came out
        warnings.simplefilter("ignore", br.SamplingWarning)
        return br.sample_posterior(
            br.models.logistic, X, y, prior=br.models.gaussian(TAU), num_chains=2,
            num_warmup=300, num_samples=300, seed=1,
        )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# at the MAP: equal to scikit-learn's predictions


def test_logistic_mean_at_map_is_predict_proba(logistic_data, logistic_fit):
    X, y = logistic_data
    fit = logistic_fit
    table = br.predict(fit, X, kind="mean")
    assert list(table.columns) == [
        "probability", "probability_sd", "probability_hdi_low", "probability_hdi_high",
    ]  # fmt: skip
    p = table["probability"].to_numpy()
    assert np.all((p >= 0.0) & (p <= 1.0))
    estimator = BayesianLogisticRegression(prior="gaussian", l2_scale=TAU).fit(X, y)
    np.testing.assert_allclose(p, estimator.predict_proba(X)[:, 1], rtol=1e-10, atol=1e-12)
    # an independent oracle: scikit-learn's own solver, C = tau² (DESIGN §2)
    sk = LogisticRegression(C=TAU**2, tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(p, sk.predict_proba(X)[:, 1], atol=1e-6)
    # "probability" names the same column; the linear predictor is still there, on its own scale
    pd.testing.assert_frame_equal(br.predict(fit, X, kind="probability"), table)
    mu = br.predict(fit, X, kind="linear_predictor")["linear_predictor"].to_numpy()
    np.testing.assert_allclose(mu, sk.decision_function(X), atol=1e-5)
    assert np.abs(mu).max() > 5.0  # the scale the old predict reported as the "mean"
    # a plug-in has no posterior: no sd, no interval
    assert table["probability_sd"].isna().all() and table["probability_hdi_low"].isna().all()


def test_poisson_mean_at_map_is_expected_count(poisson_data):
    X, y = poisson_data
    n = len(y)
    fit = br.map_estimate(br.models.poisson, X, y, prior=br.models.gaussian(TAU))
    table = br.predict(fit, X, kind="mean")
    assert list(table.columns) == ["mean", "mean_sd", "mean_hdi_low", "mean_hdi_high"]
    # PoissonRegressor: (1/(2n)) sum deviance + (alpha/2)|w|², alpha = 1/(n tau²) (DESIGN §2)
    alpha = 1.0 / (n * TAU**2)
    sk = PoissonRegressor(alpha=alpha, tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(table["mean"], sk.predict(X), rtol=1e-6)
    estimator = BayesianPoissonRegression(alpha=alpha).fit(X, y)
    np.testing.assert_allclose(table["mean"], estimator.predict(X), rtol=1e-8)
    mu = br.predict(fit, X, kind="linear_predictor")["linear_predictor"]
    np.testing.assert_allclose(table["mean"], np.exp(mu), rtol=1e-12)


def test_draws_at_map_are_the_likelihood_at_the_map(logistic_data, logistic_fit):
    X, _ = logistic_data
    fit = logistic_fit
    p = br.predict(fit, X[:4], kind="mean")["probability"].to_numpy()
    draws = br.predict(fit, X[:4], kind="draws", num_samples=4000, seed=3)
    assert list(draws.columns) == ["y", "y_sd", "y_hdi_low", "y_hdi_high"]
    # Bernoulli(p) draws: their mean is p up to Monte Carlo error
    se = np.sqrt(p * (1 - p) / 4000)
    assert np.all(np.abs(draws["y"].to_numpy() - p) <= 4 * se + 1e-12)


# ---------------------------------------------------------------------------------------------
# over the posterior: NumPy on the draws


def test_logistic_posterior_probabilities(logistic_data, logistic_posterior):
    X, _ = logistic_data
    post = logistic_posterior
    X_new = pd.DataFrame(X[:5], index=list("abcde"))
    table = br.predict(post, X_new, kind="probability", hdi_prob=0.9)
    assert list(table.index) == list("abcde")
    coef, intercept = np.asarray(post.samples["coef"]), np.asarray(post.samples["intercept"])
    mu = intercept[:, None] + coef @ X[:5].T  # (draws, 5)
    p = expit(mu)
    np.testing.assert_allclose(table["probability"], p.mean(0), rtol=1e-10)
    np.testing.assert_allclose(table["probability_sd"], p.std(0, ddof=1), rtol=1e-8)
    low, high = table["probability_hdi_low"].to_numpy(), table["probability_hdi_high"].to_numpy()
    assert np.all((0.0 <= low) & (low <= table["probability"]) & (table["probability"] <= high))
    assert np.all(high <= 1.0)
    inside = np.mean((p >= low) & (p <= high), axis=0)
    assert np.all((inside >= 0.9) & (inside <= 0.9 + 2 / len(p)))
    # the linear predictor is the same draws before the link
    link = br.predict(post, X_new, kind="linear_predictor")
    np.testing.assert_allclose(link["linear_predictor"], mu.mean(0), rtol=1e-10)


def test_linear_kinds(rng):
    X = rng.normal(size=(60, 2))
    y = 1.0 + X @ np.array([1.0, -2.0]) + 0.5 * rng.normal(size=60)
    post = br.sample_posterior(
        br.models.linear, X, y, prior=br.models.gaussian(1.0), sigma=0.5, method="exact",
        num_samples=2000,
    )  # fmt: skip
    mean = br.predict(post, X[:3])  # kind="mean" by default: E[y | x] = mu for a Normal
    link = br.predict(post, X[:3], kind="linear_predictor")
    np.testing.assert_allclose(mean["mean"], link["linear_predictor"], rtol=1e-12)
    draws = br.predict(post, X[:3], kind="draws")
    # a new response adds the noise variance 0.25 to the variance of the mean
    np.testing.assert_allclose(draws["y_sd"] ** 2, mean["mean_sd"] ** 2 + 0.25, rtol=0.15)
    with pytest.raises(ValueError, match="kind='probability' needs a 0/1 response"):
        br.predict(post, X[:3], kind="probability")


# ---------------------------------------------------------------------------------------------
# a user's own model


def _no_mu_model(X, y=None):
    coef = numpyro.sample("coef", dist.Normal(0.0, 1.0).expand([X.shape[1]]).to_event(1))
    with numpyro.plate("obs", X.shape[0]):
        numpyro.sample("y", dist.Normal(X @ coef, 1.0), obs=y)


def _other_site_model(X, y=None):
    coef = numpyro.sample("coef", dist.Normal(0.0, 1.0).expand([X.shape[1]]).to_event(1))
    with numpyro.plate("obs", X.shape[0]):
        numpyro.sample("target", dist.Normal(X @ coef, 1.0), obs=y)


def test_users_model_mean_from_its_likelihood(rng):
    X = rng.normal(size=(30, 2))
    y = X @ np.array([1.0, 0.5]) + rng.normal(size=30)
    fit = br.map_estimate(_no_mu_model, X, y)
    np.testing.assert_allclose(
        br.predict(fit, X, kind="mean")["mean"], X @ np.asarray(fit.params["coef"]), rtol=1e-12
    )
    with pytest.raises(ValueError, match="no deterministic site 'mu'"):
        br.predict(fit, X, kind="linear_predictor")
    other = br.map_estimate(_other_site_model, X, y)
    with pytest.raises(ValueError, match="sample site 'y'"):
        br.predict(other, X, kind="mean")


def test_bad_arguments(logistic_data, logistic_fit):
    X, _ = logistic_data
    fit = logistic_fit
    with pytest.raises(ValueError, match="kind must be one of 'mean', .*; got 'proba'"):
        br.predict(fit, X, kind="proba")
    with pytest.raises(TypeError, match="result must be a PosteriorResult .* got dict"):
        br.predict(fit.params, X)
    with pytest.raises(ValueError, match="X_new has 2 columns but the MAP has 3 features"):
        br.predict(fit, X[:, :2])
    with pytest.raises(ValueError, match="num_samples must be a positive integer; got 0"):
        br.predict(fit, X, kind="draws", num_samples=0)


# ---------------------------------------------------------------------------------------------
# prior predictive


def test_prior_predictive_variance_closed_form():
    X = np.array([[0.0, 0.0], [1.0, -1.0], [2.0, 1.0]])
    tau, s0, sigma, num = 0.7, 1.5, 0.4, 40_000
    kwargs = {"prior": dist.Normal(0.0, tau), "sigma": sigma, "intercept": dist.Normal(0.0, s0)}
    draws = br.prior_predictive(br.models.linear, X, num_samples=num, seed=5, **kwargs)
    # y = intercept + x'w + noise, all independent Normals: var = s0² + tau² x'x + sigma²
    variance = s0**2 + tau**2 * (X**2).sum(axis=1) + sigma**2
    # the sd of a sample variance is about var·sqrt(2/num): 4 of them
    np.testing.assert_allclose(draws["y_sd"] ** 2, variance, rtol=4 * np.sqrt(2 / num))
    assert np.all(np.abs(draws["y"]) < 4 * np.sqrt(variance / num))
    mean = br.prior_predictive(br.models.linear, X, kind="mean", num_samples=num, **kwargs)
    np.testing.assert_allclose(mean["mean_sd"] ** 2, variance - sigma**2, rtol=4 * np.sqrt(2 / num))


def test_prior_predictive_logistic_probabilities():
    X = np.array([[0.0], [3.0]])
    kwargs = {"prior": dist.Normal(0.0, 1.0), "intercept": dist.Normal(0.0, 1.0)}
    table = br.prior_predictive(br.models.logistic, X, kind="probability", **kwargs)
    assert np.all((table["probability_hdi_low"] >= 0) & (table["probability_hdi_high"] <= 1))
    # symmetric priors: P(y = 1) is 1/2 on average, for every row
    np.testing.assert_allclose(table["probability"], 0.5, atol=0.05)


def test_prior_predictive_refuses_flat_priors():
    X = np.eye(3)
    with pytest.raises(
        ValueError, match=r"prior of site 'intercept' is flat .* intercept=dist.Normal\(0.0, 10.0\)"
    ):
        br.prior_predictive(br.models.linear, X, prior=br.models.gaussian(1.0), sigma=1.0)
    # the Bayesian lasso's p(sigma) ∝ 1/sigma is improper too
    with pytest.raises(ValueError, match="prior of site 'sigma' is flat"):
        br.prior_predictive(br.models.bayesian_lasso, X, intercept=dist.Normal(0.0, 1.0))
