"""The model functions and the elastic-net prior, checked against numerical integration."""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest
from numpyro.infer import Predictive
from scipy import integrate, special, stats

from bayesreg.models import (
    ElasticNetPrior,
    IdentifiabilityWarning,
    elastic_net,
    gaussian_statistics,
    laplace,
    linear,
    logistic,
    poisson,
    reduced_arguments,
)


def unnormalized(w, b, tau):
    return np.exp(-np.abs(w) / b - w**2 / (2 * tau**2))


@pytest.mark.parametrize(("b", "tau"), [(1.0, 1.0), (0.05, 3.0), (10.0, 0.2), (0.01, 50.0)])
def test_elastic_net_prior_normalizes(b, tau):
    prior = ElasticNetPrior(0.0, b, tau)
    z, _ = integrate.quad(
        unnormalized, -np.inf, np.inf, args=(b, tau), epsabs=0, epsrel=1e-12, limit=500, points=None
    )
    assert float(prior.log_normalizer()) == pytest.approx(np.log(z), rel=1e-9, abs=1e-9)
    assert float(jnp.exp(prior.log_prob(0.3))) == pytest.approx(
        unnormalized(0.3, b, tau) / z, rel=1e-9
    )


@pytest.mark.parametrize(("b", "tau"), [(1.0, 1.0), (0.2, 3.0), (5.0, 0.5)])
def test_elastic_net_prior_samples_follow_its_density(b, tau):
    prior = ElasticNetPrior(0.0, b, tau)
    draws = np.asarray(prior.sample(jax.random.PRNGKey(1), (20_000,)))
    z, _ = integrate.quad(unnormalized, -np.inf, np.inf, args=(b, tau))
    variance, _ = integrate.quad(lambda w: w**2 * unnormalized(w, b, tau) / z, -np.inf, np.inf)
    assert float(prior.variance) == pytest.approx(variance, rel=1e-8)

    def cdf(x):
        return np.array(
            [
                integrate.quad(unnormalized, -np.inf, v, args=(b, tau))[0] / z
                for v in np.atleast_1d(x)
            ]
        )

    assert stats.kstest(draws, cdf).pvalue > 0.01
    # the sample variance agrees with the integral within 4 standard errors
    kurt_se = np.std(draws**2) / np.sqrt(len(draws))
    assert abs(np.mean(draws**2) - variance) < 4 * kurt_se


def test_elastic_net_far_tail_sampling_is_finite():
    draws = ElasticNetPrior(0.0, 0.01, 10.0).sample(jax.random.PRNGKey(0), (1000,))
    assert np.all(np.isfinite(draws))
    # ratio tau/b = 1000: essentially Laplace(0, b): mean |w| = b
    assert float(jnp.mean(jnp.abs(draws))) == pytest.approx(0.01, rel=0.1)


def trace_of(model, *args, **kwargs):
    # the flat intercept is improper (it cannot be drawn), so it gets a value
    fixed = numpyro.handlers.substitute(numpyro.handlers.seed(model, 0), data={"intercept": 0.3})
    return numpyro.handlers.trace(fixed).get_trace(*args, **kwargs)


@pytest.mark.parametrize("model", [linear, logistic, poisson])
def test_sites_and_named_plates(model):
    X = np.random.default_rng(0).normal(size=(7, 3))
    noise = {"sigma": 1.0} if model is linear else {}  # y=None: nothing to scale a default by
    tr = trace_of(model, X, None, prior=laplace(1.0), **noise)
    assert {"intercept", "coef", "y", "mu"} <= set(tr)
    assert tr["coef"]["value"].shape == (3,)
    assert tr["y"]["value"].shape == (7,)
    assert [f.name for f in tr["coef"]["cond_indep_stack"]] == ["features"]
    assert [f.name for f in tr["y"]["cond_indep_stack"]] == ["obs"]
    np.testing.assert_allclose(
        tr["mu"]["value"], X @ tr["coef"]["value"] + tr["intercept"]["value"]
    )


def test_linear_with_sigma_prior_and_no_intercept():
    X = np.ones((5, 2))
    tr = trace_of(
        linear,
        X,
        np.zeros(5),
        prior=elastic_net(1.0, 2.0),
        sigma=dist.HalfNormal(1.0),
        intercept=False,
    )
    assert "sigma" in tr and "intercept" not in tr
    assert "mu" not in tr  # only recorded for prediction


def test_predictive_mean_matches_linear_predictor():
    X = np.random.default_rng(1).normal(size=(4, 2))
    samples = {"coef": jnp.array([[1.0, -2.0]]), "intercept": jnp.array([0.5])}
    out = Predictive(linear, samples)(jax.random.PRNGKey(0), X, prior=laplace(1.0), sigma=1e-9)
    np.testing.assert_allclose(out["mu"][0], X @ np.array([1.0, -2.0]) + 0.5)
    np.testing.assert_allclose(out["y"][0], out["mu"][0], atol=1e-7)


def test_multivariate_prior_is_accepted():
    X = np.eye(3)
    cov = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.3], [0.0, 0.3, 1.5]])
    prior = dist.MultivariateNormal(jnp.zeros(3), jnp.asarray(cov))
    tr = trace_of(linear, X, np.zeros(3), prior=prior)
    coef = np.asarray(tr["coef"]["value"])
    # the whole vector is one site with the prior's density (scipy as the independent source)
    expected = stats.multivariate_normal(np.zeros(3), cov).logpdf(coef)
    got = tr["coef"]["fn"].log_prob(tr["coef"]["value"])
    np.testing.assert_allclose(float(got), expected, rtol=1e-12)
    with pytest.raises(ValueError, match=r"event shape \(3,\)"):
        trace_of(linear, X, np.zeros(3), prior=dist.MultivariateNormal(jnp.zeros(2), jnp.eye(2)))


def test_model_input_errors():
    X = np.random.default_rng(2).normal(size=(4, 2))
    with pytest.raises(ValueError, match="feature_names has 1 names but X has 2 columns"):
        trace_of(linear, X, np.zeros(4), prior=laplace(1.0), feature_names=["a"])
    with pytest.raises(ValueError, match="only 0/1 labels"):
        trace_of(logistic, X, np.array([0, 1, 2, 1]), prior=laplace(1.0))
    with pytest.raises(ValueError, match=r"finite non-negative values .* y\[2\] = -1.0"):
        trace_of(poisson, X, np.array([0, 1.5, -1.0, 1]), prior=laplace(1.0))
    with pytest.raises(TypeError, match="intercept must be True"):
        trace_of(linear, X, np.zeros(4), prior=laplace(1.0), intercept="yes")
    with pytest.raises(ValueError, match="batch shape"):
        trace_of(linear, X, np.zeros(4), prior=dist.Laplace(jnp.zeros(3), 1.0))
    with pytest.raises(ValueError, match="l2_scale must be a positive"):
        elastic_net(1.0, 0.0)


def poisson_y_site(X, y):
    params = {"coef": jnp.array([0.4, -0.7]), "intercept": jnp.array(0.2)}
    fixed = numpyro.handlers.substitute(numpyro.handlers.seed(poisson, 0), data=params)
    return numpyro.handlers.trace(fixed).get_trace(X, y, prior=laplace(1.0))["y"]


def test_poisson_log_likelihood_on_counts_and_rates():
    """Counts: scipy's Poisson log mass; rates: y·eta - exp(eta) - lgamma(y + 1), as sklearn."""
    X = np.random.default_rng(3).normal(size=(5, 2))
    eta = X @ np.array([0.4, -0.7]) + 0.2
    counts = np.array([0.0, 1.0, 4.0, 2.0, 7.0])
    rates = np.array([0.0, 0.25, 3.5, 1.75, 10.125])
    for y, expected in [
        (counts, stats.poisson(np.exp(eta)).logpmf(counts)),
        (rates, rates * eta - np.exp(eta) - special.gammaln(rates + 1.0)),
    ]:
        site = poisson_y_site(X, y)
        np.testing.assert_allclose(site["fn"].log_prob(site["value"]), expected, rtol=1e-12)
        # under NumPyro's argument validation too (a count-only support would give -inf)
        with numpyro.validation_enabled():
            site = poisson_y_site(X, y)
            np.testing.assert_allclose(site["fn"].log_prob(site["value"]), expected, rtol=1e-12)


def test_poisson_predictive_draws_are_counts():
    X = np.random.default_rng(4).normal(size=(6, 2))
    predictive = Predictive(poisson, num_samples=50)
    draws = predictive(jax.random.PRNGKey(0), X, prior=laplace(1.0), intercept=False)
    assert draws["y"].shape == (50, 6)
    assert jnp.issubdtype(draws["y"].dtype, jnp.integer)
    assert bool(jnp.all(draws["y"] >= 0))


@pytest.mark.parametrize("bad", [-0.5, np.nan, np.inf])
def test_poisson_refuses_negative_and_non_finite_y(bad):
    X = np.random.default_rng(5).normal(size=(4, 2))
    y = np.array([1.0, 0.5, bad, 2.0])
    with pytest.raises(ValueError, match=rf"y\[2\] = {bad!r} \(1 such value\(s\)\)"):
        trace_of(poisson, X, y, prior=laplace(1.0))


def test_constant_column_under_flat_intercept_warns():
    X = np.column_stack([np.ones(6), np.arange(6.0)])
    with pytest.warns(IdentifiabilityWarning, match=r"column\(s\) \['const'\] of X are constant"):
        trace_of(linear, X, np.zeros(6), prior=laplace(1.0), feature_names=["const", "x"])


def test_flat_prior_on_weights_with_p_greater_than_n_warns():
    X = np.random.default_rng(0).normal(size=(3, 5))
    flat = dist.ImproperUniform(dist.constraints.real, (), ())
    with pytest.warns(IdentifiabilityWarning, match="improper"):
        numpyro.handlers.trace(
            numpyro.handlers.substitute(
                numpyro.handlers.seed(linear, 0), data={"intercept": 0.0, "coef": np.zeros(5)}
            )
        ).get_trace(X, np.zeros(3), prior=flat)


# ---------------------------------------------------------------------------------------------
# the sufficient-statistics likelihood of `linear`


def _log_joint(model, params, *args, **kwargs):
    log_density, _ = numpyro.infer.util.log_density(model, args, kwargs, params)
    return float(log_density)


@pytest.mark.parametrize(
    ("sigma", "intercept"),
    [
        (3.0, True),
        (0.7, False),
        (dist.HalfNormal(2.0), True),
        (dist.Exponential(1.0), dist.Normal(5.0, 2.0)),
    ],
)
def test_sufficient_statistics_give_the_per_observation_density(sigma, intercept):
    rng = np.random.default_rng(1)
    X = rng.normal(loc=3.0, scale=2.0, size=(60, 4))  # off-center columns: the centering matters
    y = 10.0 + X @ np.array([1.0, -2.0, 0.0, 0.5]) + rng.normal(size=60)
    stats = gaussian_statistics(X, y)
    kwargs = {"prior": laplace(1.5), "sigma": sigma, "intercept": intercept}
    for _ in range(5):
        params = {"coef": jnp.asarray(rng.normal(size=4))}
        if intercept is not False:
            params["intercept"] = jnp.asarray(rng.normal(10.0, 3.0))
        if isinstance(sigma, dist.Distribution):
            params["sigma"] = jnp.asarray(rng.uniform(0.5, 3.0))
        naive = _log_joint(linear, params, X, y, **kwargs)
        fast = _log_joint(linear, params, X, y, sufficient_statistics=stats, **kwargs)
        assert fast == pytest.approx(naive, rel=1e-12, abs=1e-9)
        fast_kwargs = {**kwargs, "sufficient_statistics": stats}
        grad_naive = jax.grad(partial(_log_density_jax, linear, params, X, y, kwargs))
        grad_fast = jax.grad(partial(_log_density_jax, linear, params, X, y, fast_kwargs))
        np.testing.assert_allclose(
            grad_fast(params["coef"]), grad_naive(params["coef"]), rtol=1e-9, atol=1e-9
        )


def _log_density_jax(model, params, X, y, kwargs, coef):
    return numpyro.infer.util.log_density(model, (X, y), kwargs, {**params, "coef": coef})[0]


def test_sufficient_statistics_apply_only_where_exact_and_cheaper():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(50, 3)), rng.normal(size=50)
    kwargs = {"prior": laplace(1.0), "sigma": 1.0}
    rewritten = reduced_arguments(linear, (X, y), kwargs)
    assert rewritten is not None
    stats = rewritten[1]["sufficient_statistics"]
    Xc = X - X.mean(axis=0)
    np.testing.assert_allclose(stats.root.T @ stats.root, Xc.T @ Xc, rtol=1e-12)
    assert "sufficient_statistics" not in kwargs  # the caller's dict is left alone
    # not the Gaussian model, no observations, p >= n, one sigma per observation
    assert reduced_arguments(logistic, (X, (y > 0).astype(float)), kwargs) is None
    assert reduced_arguments(linear, (X,), kwargs) is None
    assert reduced_arguments(linear, (X[:3], y[:3]), kwargs) is None
    per_obs = {"prior": laplace(1.0), "sigma": np.full(50, 2.0)}
    assert reduced_arguments(linear, (X, y), per_obs) is None
    # the single-solve cost rule asks for more rows per feature
    assert reduced_arguments(linear, (X[:7], y[:7]), kwargs) is not None
    assert reduced_arguments(linear, (X[:7], y[:7]), kwargs, min_rows_per_feature=2.0) is None


def test_reduced_arguments_asks_the_model_not_its_name():
    X, y = np.ones((5, 1)), np.zeros(5)
    calls = []

    def model(X, y=None, *, scale=1.0):
        numpyro.sample("y", dist.Normal(0.0, scale), obs=y)

    def reduce(args, kwargs, *, min_rows_per_feature, max_features):
        calls.append((min_rows_per_feature, max_features))
        return args, {**kwargs, "scale": 2.0}

    assert reduced_arguments(model, (X, y), {}) is None  # declares nothing
    model.reduce_arguments = reduce
    assert reduced_arguments(model, (X, y), {}, min_rows_per_feature=2.0)[1] == {"scale": 2.0}
    assert calls == [(2.0, 4096)]
    assert linear.reduce_arguments is not None and not hasattr(logistic, "reduce_arguments")
