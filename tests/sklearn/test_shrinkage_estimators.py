"""The estimators with the shrinkage priors: horseshoe family, Student-t, R2D2 (issue #14).

A prior with no MAP is fitted by its posterior mean: checked against a direct
`bayesreg.sample_posterior` call written out here with the documented defaults (an independent
path through the API). Student-t has a MAP: checked against `bayesreg.map_estimate` and by the
stationarity of a negative log posterior written out in the test with ``jax.grad``.
"""

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
import pytest
from jax.scipy.stats import norm, t

import bayesreg as br
from bayesreg import models, priors
from bayesreg.sklearn import (
    BayesianLinearRegression,
    BayesianLinearRegressionCV,
    BayesianLogisticRegression,
    BayesianLogisticRegressionCV,
    BayesianPoissonRegression,
)
from bayesreg.sklearn.base import SHRINKAGE_PARAMETERS

#: few draws: the tests compare two runs of the same sampler, not the posterior's accuracy
SAMPLING = {"num_chains": 2, "num_warmup": 100, "num_samples": 100}
#: the sampler's warnings about so few draws are expected here
QUIET = pytest.mark.filterwarnings("ignore::bayesreg.sample.SamplingWarning")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(14)
    X = rng.normal(size=(40, 4))
    y = X @ np.array([1.5, 0.0, 0.0, -1.0]) + 0.5 + rng.normal(size=40)
    return X, y


def test_the_parameters_are_those_of_the_priors():
    taken = {name for prior in priors.shrinkage_names() for name in priors.shrinkage(prior).params}
    assert set(SHRINKAGE_PARAMETERS) == taken
    for estimator in (
        BayesianLinearRegression(),
        BayesianLogisticRegression(),
        BayesianPoissonRegression(),
    ):
        params = estimator.get_params()
        assert all(params[name] is None for name in SHRINKAGE_PARAMETERS)
        assert params["prior"] == "gaussian"  # the default prior is unchanged


@QUIET
def test_horseshoe_coef_is_the_posterior_mean_of_sample_posterior(data):
    X, y = data
    est = BayesianLinearRegression(
        prior="horseshoe", global_scale=0.5, random_state=3, **SAMPLING
    ).fit(X, y)
    # the documented default noise prior: HalfNormal(sd(y)); the seed is random_state
    post = br.sample_posterior(
        models.linear, X, y, prior=priors.horseshoe(0.5), sigma=dist.HalfNormal(np.std(y)),
        intercept=True, seed=3, **SAMPLING,
    )  # fmt: skip
    assert est.map_ is None and est.posterior_.method == post.method
    np.testing.assert_allclose(est.coef_, np.mean(post.samples["coef"], axis=0), rtol=1e-12)
    assert est.intercept_ == pytest.approx(float(np.mean(post.samples["intercept"])), rel=1e-12)
    assert est.sigma_ == pytest.approx(float(np.mean(post.samples["sigma"])), rel=1e-12)
    assert {"tau", "lambda", "coef_z"} <= set(est.posterior_.samples)
    mean, sd = est.predict(X[:3], return_std=True)  # the posterior fit() kept
    np.testing.assert_allclose(mean, est.predict(X[:3]), rtol=1e-10)  # linear: mean of means
    assert np.all(sd > 0)
    # sample_posterior() draws again from the same model and data
    again = est.sample_posterior(seed=3, **SAMPLING)
    np.testing.assert_allclose(np.mean(again.samples["coef"], axis=0), est.coef_, rtol=1e-12)


@QUIET
def test_r2d2_logistic_coef_is_the_posterior_mean(data):
    X, y = data
    labels = np.where(y > 0.5, "yes", "no")
    est = BayesianLogisticRegression(
        prior="r2d2", r2_mean=0.3, concentration=1.0, random_state=5, **SAMPLING
    ).fit(X, labels)
    post = br.sample_posterior(
        models.logistic, X, (labels == "yes").astype(float),
        prior=priors.r2d2(r2_mean=0.3, concentration=1.0), intercept=True, seed=5, **SAMPLING,
    )  # fmt: skip
    np.testing.assert_allclose(est.coef_, np.mean(post.samples["coef"], axis=0)[None], rtol=1e-12)
    np.testing.assert_allclose(est.intercept_, [np.mean(post.samples["intercept"])], rtol=1e-12)
    assert {"r2", "psi", "coef_z"} <= set(est.posterior_.samples)
    assert est.predict_proba(X[:2]).shape == (2, 2)


def test_student_t_linear_is_the_map_and_stationary(data):
    X, y = data
    df, scale = 3.0, 0.4
    est = BayesianLinearRegression(prior="student_t", df=df, scale=scale).fit(X, y)
    s = float(np.std(y))  # the HalfNormal scale of the estimated noise sd (the default)
    fit = br.map_estimate(
        models.linear, X, y, prior=priors.student_t(df, scale), sigma=dist.HalfNormal(s)
    )
    np.testing.assert_allclose(est.coef_, fit.params["coef"], rtol=1e-10, atol=1e-12)
    assert est.sigma_ == pytest.approx(float(fit.params["sigma"]), rel=1e-10)

    def negative_log_posterior(params):  # constrained space, no Jacobian (DESIGN §2)
        coef, intercept, sigma = params
        mean = intercept + jnp.asarray(X) @ coef
        return -(
            jnp.sum(norm.logpdf(jnp.asarray(y), mean, sigma))
            + jnp.sum(t.logpdf(coef, df, 0.0, sigma * scale))  # in units of sigma (linear)
            + norm.logpdf(sigma, 0.0, s)  # HalfNormal: a constant factor 2 apart
        )

    point = (jnp.asarray(est.coef_), jnp.asarray(est.intercept_), jnp.asarray(est.sigma_))
    gradient = jax.grad(negative_log_posterior)(point)
    # the terms that cancel at the mode are of order n |y| / sigma² ~ 100: 1e-6 is ~1e-8 of them
    assert max(float(jnp.max(jnp.abs(g))) for g in gradient) < 1e-6


def test_student_t_logistic_is_the_map_and_stationary(data):
    X, y = data
    labels = (y > 0.5).astype(float)
    est = BayesianLogisticRegression(prior="student_t", df=4.0, scale=2.0).fit(X, labels)
    fit = br.map_estimate(models.logistic, X, labels, prior=priors.student_t(4.0, 2.0))
    np.testing.assert_allclose(est.coef_[0], fit.params["coef"], rtol=1e-10, atol=1e-12)

    def negative_log_posterior(params):
        coef, intercept = params
        eta = intercept + jnp.asarray(X) @ coef
        loglik = jnp.sum(jnp.asarray(labels) * eta - jnp.logaddexp(0.0, eta))
        return -(loglik + jnp.sum(t.logpdf(coef, 4.0, 0.0, 2.0)))

    gradient = jax.grad(negative_log_posterior)(
        (jnp.asarray(est.coef_[0]), jnp.asarray(est.intercept_[0]))
    )
    assert max(float(jnp.max(jnp.abs(g))) for g in gradient) < 1e-6


@pytest.mark.parametrize(
    ("estimator", "params", "message"),
    [
        (BayesianLinearRegression, {"prior": "horseshoe", "alpha": 1.0},
         "alpha=1.0 does not apply to prior='horseshoe'"),
        (BayesianLogisticRegression, {"prior": "horseshoe", "C": 1.0},
         "C=1.0 does not apply to prior='horseshoe'"),
        (BayesianPoissonRegression, {"prior": "student_t", "l2_scale": 1.0},
         "l2_scale=1.0 does not apply to prior='student_t'"),
        (BayesianLinearRegression, {"prior": "regularized_horseshoe", "slab_scale": 0.0},
         "slab_scale must be a positive finite number"),
        (BayesianLinearRegression, {"prior": "regularized_horseshoe", "slab_df": -2.0},
         "slab_df must be a positive finite number"),
        (BayesianLinearRegression, {"prior": "regularized_horseshoe", "nonzero": 4},
         "must be below the number of features, 4; got nonzero=4"),
        (BayesianLinearRegression, {"prior": "regularized_horseshoe", "nonzero": 0},
         "nonzero must be a positive finite number"),
        (BayesianLinearRegression, {"prior": "regularized_horseshoe", "nonzero": 2,
                                    "global_scale": 0.1}, "not both"),
        (BayesianLinearRegression, {"prior": "horseshoe", "slab_scale": 2.0},
         "slab_scale (the slab's scale) is not used by prior='horseshoe'"),
        (BayesianLinearRegression, {"prior": "gaussian", "global_scale": 1.0},
         "global_scale (the scale of the global shrinkage tau) is not used by prior='gaussian'"),
        (BayesianLinearRegression, {"prior": "r2d2", "r2_mean": 1.5},
         "r2_mean must lie in (0, 1)"),
        (BayesianLinearRegression, {"prior": "student_t", "df": "three"},
         "df must be a positive finite number"),
        (BayesianLinearRegression, {"prior": "horseshoe", "num_samples": 0},
         "num_samples must be an integer >= 1"),
        (BayesianLinearRegression, {"prior": "cauchy"},
         "prior must be one of 'gaussian', 'laplace', 'elastic_net', 'horseshoe'"),
        (BayesianLinearRegressionCV, {"prior": "horseshoe"},
         "use BayesianLinearRegression(prior='horseshoe')"),
        (BayesianLogisticRegressionCV, {"prior": "student_t"},
         "no C grid to choose by cross-validation"),
    ],
)  # fmt: skip
def test_bad_input_is_a_clear_error(data, estimator, params, message):
    X, y = data
    target = (y > 0.5).astype(float) if "Logistic" in estimator.__name__ else np.abs(y)
    with pytest.raises(ValueError) as error:
        estimator(**params).fit(X, target)
    assert message in str(error.value)
