"""log_evidence: the exact log marginal likelihood, against a direct multivariate-Normal density."""

import numpy as np
import numpyro.distributions as dist
import pandas as pd
import pytest
from scipy.stats import multivariate_normal

from bayesreg import log_evidence, models


@pytest.fixture(scope="module")
def problem():
    gen = np.random.default_rng(20261201)
    n, p = 25, 4
    X = gen.normal(size=(n, p))
    y = 0.7 + X @ np.array([1.0, 0.0, -1.0, 0.5]) + gen.normal(size=n)
    tau = np.array([0.5, 1.0, 2.0, 0.3])  # one scale per weight
    loc = np.array([0.1, 0.0, -0.2, 0.0])
    return {"X": X, "y": y, "tau": tau, "loc": loc, "sigma": 0.8, "n": n}


def _marginal(d, intercept_var=0.0, intercept_loc=0.0):
    """log N(y; X m0 + c0, sigma² I + X diag(tau²) X' + v 11'), by scipy."""
    X, n = d["X"], d["n"]
    cov = d["sigma"] ** 2 * np.eye(n) + X @ np.diag(d["tau"] ** 2) @ X.T
    cov += intercept_var * np.ones((n, n))
    return multivariate_normal(X @ d["loc"] + intercept_loc, cov).logpdf(d["y"])


def test_normal_intercept_prior_is_the_multivariate_normal_density(problem):
    d = problem
    ours = log_evidence(
        models.linear, d["X"], d["y"], prior=dist.Normal(d["loc"], d["tau"]), sigma=d["sigma"],
        intercept=dist.Normal(0.3, 2.0),
    )  # fmt: skip
    # both are exact; float64 rounding of a 25 x 25 log-determinant is ~1e-13
    np.testing.assert_allclose(ours, _marginal(d, 4.0, 0.3), rtol=0, atol=1e-9)


def test_no_intercept_is_the_multivariate_normal_density(problem):
    d = problem
    ours = log_evidence(
        models.linear, d["X"], d["y"], prior=dist.Normal(d["loc"], d["tau"]), sigma=d["sigma"],
        intercept=False,
    )  # fmt: skip
    np.testing.assert_allclose(ours, _marginal(d), rtol=0, atol=1e-9)


def test_flat_intercept_is_the_limit_of_a_wide_normal_prior(problem):
    d = problem
    ours = log_evidence(
        models.linear, d["X"], d["y"], prior=dist.Normal(d["loc"], d["tau"]), sigma=d["sigma"]
    )
    # density 1 for the flat intercept = lim_v [log p(y | intercept ~ N(0, v)) + log sqrt(2 pi v)].
    # At v = 1e7 the two differ by log E[exp(-c²/2v)] ~ (c_hat² + var c)/(2v) ~ 1e-7 (c_hat ~ 1
    # here), and scipy's log-determinant at condition ~ n v / sigma² ~ 4e8 rounds at ~1e-8: 1e-6.
    v = 1e7
    wide = _marginal(d, v) + 0.5 * np.log(2 * np.pi * v)
    np.testing.assert_allclose(ours, wide, rtol=0, atol=1e-6)
    # and the gap closes as v grows (it is the truncation, not a constant offset)
    gap = abs(ours - (_marginal(d, 1e3) + 0.5 * np.log(2 * np.pi * 1e3)))
    assert gap > 100 * abs(ours - wide)


def test_dataframe_and_scalar_prior(problem):
    d = problem
    X = pd.DataFrame(d["X"], columns=list("abcd"))
    ours = log_evidence(models.linear, X, d["y"], prior=models.gaussian(1.5), sigma=d["sigma"])
    n = d["n"]
    cov = d["sigma"] ** 2 * np.eye(n) + 1.5**2 * d["X"] @ d["X"].T + 1e7 * np.ones((n, n))
    wide = multivariate_normal(np.zeros(n), cov).logpdf(d["y"]) + 0.5 * np.log(2 * np.pi * 1e7)
    np.testing.assert_allclose(ours, wide, rtol=0, atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"prior": models.laplace(1.0), "sigma": 1.0}, "bayesian_lasso"),
        ({"prior": models.elastic_net(1.0, 1.0), "sigma": 1.0}, "L1 part"),
        ({"prior": models.gaussian(1.0), "sigma": dist.HalfNormal(1.0)}, "sigma as a number"),
        ({"prior": models.gaussian(dist.InverseGamma(2.0, 1.0))}, "given as a distribution"),
    ],
)
def test_non_conjugate_models_are_refused_with_the_remedy(problem, kwargs, match):
    with pytest.raises(ValueError, match=match):
        log_evidence(models.linear, problem["X"], problem["y"], **kwargs)


def test_non_gaussian_likelihood_is_refused(problem):
    y = (problem["y"] > 0).astype(float)
    with pytest.raises(ValueError, match="not Normal"):
        log_evidence(models.logistic, problem["X"], y, prior=models.gaussian(1.0))


def test_improper_posterior_is_refused():
    # a flat prior on more weights than rows: the integral over them is infinite
    X = np.random.default_rng(0).normal(size=(3, 5))
    flat = dist.ImproperUniform(dist.constraints.real, (), ())
    with pytest.raises(ValueError, match="improper"), pytest.warns(models.IdentifiabilityWarning):
        log_evidence(models.linear, X, np.arange(3.0), prior=flat, sigma=1.0)


def test_bad_arguments():
    with pytest.raises(TypeError, match="model function"):
        log_evidence("linear", np.ones((3, 1)), np.ones(3))
    with pytest.raises(ValueError, match="NaN|nan|finite"):
        X = np.array([[1.0], [np.nan], [2.0]])
        log_evidence(models.linear, X, np.ones(3), prior=models.gaussian(1.0))
