"""empirical_bayes: type-II maximum likelihood against BayesianRidge; Monte Carlo EM against
Park & Casella (2008)."""

import logging
import warnings

import jax
import numpy as np
import numpyro.distributions as dist
import pytest
from scipy.stats import multivariate_normal
from sklearn.linear_model import BayesianRidge, Lasso, Ridge

from bayesreg import (
    ConvergenceWarning,
    PosteriorResult,
    SamplingWarning,
    empirical_bayes,
    log_evidence,
    models,
)

# BayesianRidge with its four Gamma hyperparameters 0 is pure type-II maximum likelihood; its
# fixed-point iteration stops on a coefficient change below tol, so 1e-12 leaves it ~1e-10 off
# (on collinear columns the change stalls at rounding level: max_iter bounds the wait)
_BAYESIAN_RIDGE = {
    "alpha_1": 0.0, "alpha_2": 0.0, "lambda_1": 0.0, "lambda_2": 0.0, "tol": 1e-12,
    "max_iter": 20_000, "fit_intercept": False, "compute_score": True,
}  # fmt: skip


def _check_against_bayesian_ridge(eb, ridge, rtol=1e-6):
    np.testing.assert_allclose(1 / eb.hyperparameters["sigma"] ** 2, ridge.alpha_, rtol=rtol)
    np.testing.assert_allclose(1 / eb.hyperparameters["tau"] ** 2, ridge.lambda_, rtol=rtol)
    np.testing.assert_allclose(eb.fit.params["coef"], ridge.coef_, rtol=rtol)


def test_diabetes_centred_matches_bayesian_ridge(diabetes):
    X, y = diabetes
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    eb = empirical_bayes(models.linear, Xc, yc, intercept=False)
    ridge = BayesianRidge(**_BAYESIAN_RIDGE).fit(Xc, yc)
    _check_against_bayesian_ridge(eb, ridge)
    # the maximized value is BayesianRidge's log marginal likelihood at its last iterate
    np.testing.assert_allclose(eb.log_evidence, ridge.scores_[-1], rtol=1e-10)
    assert eb.method == "evidence" and eb.converged and eb.mc_error == {}
    assert eb.posterior is None and eb.history.shape[1] == 2
    np.testing.assert_allclose(
        eb.history[-1], [eb.hyperparameters["tau"], eb.hyperparameters["sigma"]]
    )


def test_flat_intercept_is_the_centred_problem_with_n_minus_1_rows(diabetes):
    """The flat intercept integrates out exactly to n - 1 rotated, centred rows.

    BayesianRidge(fit_intercept=True) centres and keeps n rows (its evidence is that of the
    centred data without an intercept); the exact flat-intercept answer is BayesianRidge on
    Q'X_c, Q'y_c (Q: an orthonormal basis of the vectors orthogonal to the ones).
    """
    X, y = diabetes
    n = len(y)
    eb = empirical_bayes(models.linear, X, y)
    # Q: the last n - 1 columns of the Householder reflection that swaps e_1 and 1/sqrt(n)
    v = np.full(n, 1 / np.sqrt(n))
    v[0] -= 1.0

    def rotate(a):  # Q'a, without forming the n x n reflection
        return (a - 2 * np.outer(v, v @ a) / (v @ v))[1:]

    Xc, yc = X - X.mean(axis=0), y - y.mean()
    rotated = BayesianRidge(**_BAYESIAN_RIDGE).fit(rotate(Xc), rotate(yc[:, None])[:, 0])
    _check_against_bayesian_ridge(eb, rotated)
    np.testing.assert_allclose(
        eb.fit.params["intercept"], y.mean() - X.mean(0) @ eb.fit.params["coef"], rtol=1e-6
    )
    # BayesianRidge(fit_intercept=True) is ours on the centred data with intercept=False (n rows)
    usual = BayesianRidge(**{**_BAYESIAN_RIDGE, "fit_intercept": True}).fit(X, y)
    _check_against_bayesian_ridge(empirical_bayes(models.linear, Xc, yc, intercept=False), usual)
    # and the lost degree of freedom moves sigma² by about 1/n
    shift = usual.alpha_ * eb.hyperparameters["sigma"] ** 2 - 1
    assert 0.1 / n < abs(shift) < 10 / n


@pytest.fixture(scope="module")
def wide():
    gen = np.random.default_rng(0)
    X = gen.normal(size=(12, 20))
    return X, X[:, :3] @ np.ones(3) + gen.normal(size=12)


def test_more_features_than_rows_matches_bayesian_ridge(wide):
    X, y = wide
    eb = empirical_bayes(models.linear, X, y, intercept=False)
    _check_against_bayesian_ridge(eb, BayesianRidge(**_BAYESIAN_RIDGE).fit(X, y))


def test_collinear_columns_match_bayesian_ridge(diabetes):
    X, y = diabetes
    X = X.copy()
    X[:, 9], X[:, 8] = X[:, 2], X[:, 0] + X[:, 1]  # rank 8 of 10 columns
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    eb = empirical_bayes(models.linear, Xc, yc, intercept=False)
    _check_against_bayesian_ridge(eb, BayesianRidge(**_BAYESIAN_RIDGE).fit(Xc, yc))


def test_log_evidence_at_the_optimum_agrees_with_the_closed_form(diabetes):
    X, y = diabetes
    eb = empirical_bayes(models.linear, X, y, prior=models.gaussian(10.0))
    tau, sigma = eb.hyperparameters["tau"], eb.hyperparameters["sigma"]
    at = log_evidence(models.linear, X, y, prior=models.gaussian(tau), sigma=sigma)
    np.testing.assert_allclose(eb.log_evidence, at, rtol=1e-12)
    # and the MAP there is ridge with alpha = sigma²/tau²
    ridge = Ridge(alpha=sigma**2 / tau**2, tol=1e-14).fit(X, y)
    np.testing.assert_allclose(eb.fit.params["coef"], ridge.coef_, rtol=1e-6)
    np.testing.assert_allclose(eb.fit.params["intercept"], ridge.intercept_, rtol=1e-6)


def test_known_sigma_maximizes_the_multivariate_normal_density(wide):
    X, y = wide
    n, sigma = len(y), 1.0
    eb = empirical_bayes(models.linear, X, y, sigma=sigma, intercept=False)
    assert list(eb.hyperparameters) == ["tau"] and eb.history.shape[1] == 1

    def log_density(log_tau):
        cov = sigma**2 * np.eye(n) + np.exp(2 * log_tau) * X @ X.T
        return multivariate_normal(np.zeros(n), cov).logpdf(y)

    # the maximum of scipy's density: a zero central difference (error ~h² f''' ~ 1e-8) and
    # lower values on either side; an estimate off by d in log tau shows a slope ~ |f''| d ~ 5 d
    at, h = np.log(eb.hyperparameters["tau"]), 1e-4
    below, here, above = (log_density(at + k * h) for k in (-1, 0, 1))
    assert abs(above - below) / (2 * h) < 1e-5
    assert below < here > above
    np.testing.assert_allclose(eb.log_evidence, here, rtol=1e-10)


def test_prior_mean_is_kept(diabetes):
    X, y = diabetes
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    loc = 50.0  # a scalar centre: the same compiled MAP as centre 0
    eb = empirical_bayes(
        models.linear, Xc, yc, prior=models.gaussian(1.0, loc=loc), intercept=False
    )
    # centring the weights at loc is fitting y - X loc with weights centred at 0
    shifted = empirical_bayes(models.linear, Xc, yc - Xc.sum(axis=1) * loc, intercept=False)
    np.testing.assert_allclose(eb.hyperparameters["tau"], shifted.hyperparameters["tau"], rtol=1e-8)
    np.testing.assert_allclose(eb.fit.params["coef"], shifted.fit.params["coef"] + loc, rtol=1e-6)
    assert eb.log_evidence == pytest.approx(shifted.log_evidence, rel=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"prior": models.laplace(1.0)}, ValueError, "Normal prior with one scale"),
        ({"prior": models.gaussian(np.ones(10))}, ValueError, "one prior scale"),
        ({"prior": dist.StudentT(3.0)}, ValueError, "Normal prior"),
        ({"sigma": dist.HalfNormal(1.0)}, ValueError, "estimates sigma"),
        ({"sigma": -1.0}, ValueError, "positive"),
        ({"intercept": dist.Normal(0.0, 1.0)}, ValueError, "intercept=True"),
        ({"num_samples": 100}, ValueError, "Monte Carlo EM"),
        ({"y": None}, ValueError, "y=None"),
    ],
)
def test_bad_input_to_the_evidence_method(diabetes, kwargs, error, match):
    X, y = diabetes
    kwargs = {"y": y, **kwargs}
    with pytest.raises(error, match=match):
        empirical_bayes(models.linear, X, **kwargs)


def test_unsupported_model_is_refused(diabetes):
    X, y = diabetes
    with pytest.raises(ValueError, match="supports models.linear"):
        empirical_bayes(models.logistic, X, (y > 150).astype(float), prior=models.gaussian(1.0))


def test_evidence_without_a_maximum_is_refused():
    gen = np.random.default_rng(3)
    X = gen.normal(size=(40, 3))
    # y fitted exactly with residual directions left: sigma -> 0 sends the evidence to infinity
    with pytest.raises(ValueError, match="without bound"):
        empirical_bayes(models.linear, X, X @ np.array([1.0, -2.0, 0.5]))
    # y orthogonal to every column (and centred): no signal, the evidence is largest at tau -> 0
    noise = gen.normal(size=40)
    design = np.column_stack([np.ones(40), X])
    noise -= design @ np.linalg.lstsq(design, noise, rcond=None)[0]
    with pytest.raises(ValueError, match="tau -> 0"):
        empirical_bayes(models.linear, X, noise)


# --- Monte Carlo EM for the Bayesian lasso ---------------------------------------------------

# Park & Casella (2008), §3.1, on the diabetes data: the marginal maximum-likelihood lambda
_PARK_CASELLA_LAM = 0.237
# the published figure is rounded to 3 decimals: a uniform error of half-width 5e-4
_ROUNDING_SD = 5e-4 / np.sqrt(3.0)


@pytest.mark.slow
def test_mcem_diabetes_matches_park_and_casella(diabetes):
    X, y = diabetes
    eb = empirical_bayes(models.bayesian_lasso, X, y, seed=0)
    lam, se = eb.hyperparameters["lam"], eb.mc_error["lam"]
    assert eb.method == "mcem" and eb.converged and eb.log_evidence is None
    assert 0 < se < 0.005  # a few thousand draws give ~1e-3
    z = (lam - _PARK_CASELLA_LAM) / np.hypot(se, _ROUNDING_SD)
    assert abs(z) < 3, (lam, se, z)
    assert isinstance(eb.posterior, PosteriorResult)
    np.testing.assert_allclose(eb.history[-1, 0], lam)
    # the fit is the lasso at b = sigma/lam: scikit-learn's Lasso(alpha = sigma²/(n b))
    sigma = float(np.median(np.asarray(eb.posterior.samples["sigma"])))
    lasso = Lasso(alpha=sigma * lam / len(y), tol=1e-14, max_iter=1_000_000).fit(X, y)
    np.testing.assert_allclose(eb.fit.params["coef"], lasso.coef_, rtol=1e-6, atol=1e-6)


@pytest.fixture(scope="module")
def small_lasso():
    gen = np.random.default_rng(4)
    X = gen.normal(size=(60, 3))
    y = 1.0 + X @ np.array([1.0, 0.0, -0.5]) + gen.normal(size=60)
    return X, y


@pytest.mark.slow  # two short NUTS runs and their compilation: ~20 s
def test_mcem_reuses_the_compiled_sampler(small_lasso, caplog):
    X, y = small_lasso
    options = {"num_samples": 200, "num_warmup": 200, "num_chains": 2, "max_iter": 2}
    with warnings.catch_warnings():
        # a compile check, not a statistical one: two short iterations may not settle or mix
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", SamplingWarning)
        first = empirical_bayes(models.bayesian_lasso, X, y, lam=1.0, seed=0, **options)
        # another start and seed: lam is traced, so neither the sampler nor the MAP recompiles
        with jax.log_compiles(True), caplog.at_level(logging.WARNING):
            second = empirical_bayes(models.bayesian_lasso, X, y, lam=2.0, seed=5, **options)
    compiles = [r.getMessage() for r in caplog.records if "Compiling" in r.getMessage()]
    assert compiles == []
    assert first.history[0, 0] == 1.0 and second.history[0, 0] == 2.0
    assert len(second.history) == 3 and second.mc_error["lam"] > 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lam": dist.Gamma(1.0, 1.0)}, "starting value"),
        ({"lam": -1.0}, "positive"),
    ],
)
def test_bad_input_to_mcem(small_lasso, kwargs, match):
    X, y = small_lasso
    with pytest.raises(ValueError, match=match):
        empirical_bayes(models.bayesian_lasso, X, y, **kwargs)
