"""Full Bayes for the prior scale: bayesreg's posteriors against hand-written NumPyro models.

Oracle: the same hierarchical model written here in plain NumPyro (the Park & Casella model in
its own parameterization, sigma² and lam²) and run by ``numpyro.infer.MCMC(NUTS(...))``
directly. Each posterior mean is z-tested with the Monte Carlo standard errors of both runs
(ArviZ ``mcse``), each posterior sd compared within 10%.
"""

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest
from numpyro.distributions import constraints
from numpyro.infer import MCMC, NUTS
from sklearn.datasets import load_diabetes

import bayesreg as br

SIGMA = 55.0
WARMUP, DRAWS, CHAINS = 500, 1000, 4
# |z| above this is a disagreement: ~12 scalars per test, P(|z| > 4.0) = 6e-5 each
Z_MAX = 4.0
SD_RTOL = 0.10


@pytest.fixture(scope="module")
def standardized():
    X, y = load_diabetes(return_X_y=True)
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def _flat():
    return dist.ImproperUniform(constraints.real, (), ())


def run_by_hand(model, *args):
    mcmc = MCMC(
        NUTS(model), num_warmup=WARMUP, num_samples=DRAWS, num_chains=CHAINS,
        chain_method="sequential", progress_bar=False,
    )  # fmt: skip
    mcmc.run(jax.random.PRNGKey(1), *args)
    return {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}


def run_bayesreg(model, *args, **kwargs):
    post = br.sample_posterior(
        model, *args, num_warmup=WARMUP, num_samples=DRAWS, num_chains=CHAINS, seed=0, **kwargs
    )
    return {name: post.idata.posterior[name].values for name in post.idata.posterior.data_vars}


def moments(draws):
    """Per scalar: posterior mean, sd and the MCSE of the mean (draws: (chain, draw, ...))."""
    flat = draws.reshape(draws.shape[0], draws.shape[1], -1)
    mcse = [np.asarray(az.mcse(flat[:, :, j], method="mean")).item() for j in range(flat.shape[2])]
    return flat.mean(axis=(0, 1)), flat.std(axis=(0, 1)), np.array(mcse)


def assert_same_posterior(ours, theirs, names):
    for name in names:
        mean_a, sd_a, se_a = moments(ours[name])
        mean_b, sd_b, se_b = moments(theirs[name])
        z = (mean_a - mean_b) / np.sqrt(se_a**2 + se_b**2)
        assert np.all(np.abs(z) < Z_MAX), (name, z)
        np.testing.assert_allclose(sd_a / sd_b, 1.0, atol=SD_RTOL, err_msg=name)


@pytest.mark.slow
def test_laplace_with_a_half_cauchy_scale(standardized):
    X, y = standardized
    c = 10.0  # the coefficients of standardized columns are tens: a scale of that order

    def hand(X, y):
        b = numpyro.sample("b", dist.HalfCauchy(c))
        intercept = numpyro.sample("intercept", _flat())
        with numpyro.plate("p", X.shape[1]):
            coef = numpyro.sample("coef", dist.Laplace(0.0, b))
        numpyro.sample("y", dist.Normal(intercept + X @ coef, SIGMA), obs=y)

    ours = run_bayesreg(
        br.models.linear, X, y, sigma=SIGMA, prior=br.models.laplace(dist.HalfCauchy(c))
    )
    assert_same_posterior(ours, run_by_hand(hand, X, y), ["b", "coef", "intercept"])


@pytest.mark.slow
def test_gaussian_with_an_inverse_gamma_scale(standardized):
    X, y = standardized
    a, b = 3.0, 20.0  # prior mean of tau b/(a-1) = 10, the order of the coefficients

    def hand(X, y):
        tau = numpyro.sample("tau", dist.InverseGamma(a, b))
        intercept = numpyro.sample("intercept", _flat())
        with numpyro.plate("p", X.shape[1]):
            coef = numpyro.sample("coef", dist.Normal(0.0, tau))
        numpyro.sample("y", dist.Normal(intercept + X @ coef, SIGMA), obs=y)

    ours = run_bayesreg(
        br.models.linear, X, y, sigma=SIGMA, prior=br.models.gaussian(dist.InverseGamma(a, b))
    )
    assert_same_posterior(ours, run_by_hand(hand, X, y), ["tau", "coef", "intercept"])


def park_casella(X, y, lam=None, r=None, delta=None):
    """Park & Casella (2008): p(sigma²) ∝ 1/sigma², beta_j ~ Laplace(0, sigma/lam), flat mu."""
    sigma2 = numpyro.sample("sigma2", dist.ImproperUniform(constraints.positive, (), ()))
    numpyro.factor("jeffreys", -jnp.log(sigma2))
    if lam is None:
        lam = jnp.sqrt(numpyro.sample("lam2", dist.Gamma(r, delta)))
    sigma = jnp.sqrt(sigma2)
    mu = numpyro.sample("intercept", _flat())
    with numpyro.plate("p", X.shape[1]):
        beta = numpyro.sample("coef", dist.Laplace(0.0, sigma / lam))
    numpyro.sample("y", dist.Normal(mu + X @ beta, sigma), obs=y)


@pytest.mark.slow
def test_bayesian_lasso_with_lam_fixed():
    X, y = load_diabetes(return_X_y=True)  # the unit-norm columns of Park & Casella
    lam = 0.237  # their marginal maximum likelihood estimate (§3.1)
    ours = run_bayesreg(br.models.bayesian_lasso, X, y, lam=lam)
    theirs = run_by_hand(lambda X, y: park_casella(X, y, lam=lam), X, y)
    theirs["sigma"] = np.sqrt(theirs.pop("sigma2"))
    assert_same_posterior(ours, theirs, ["coef", "sigma", "intercept"])


@pytest.mark.slow
def test_bayesian_lasso_with_a_gamma_prior_on_lam_squared():
    X, y = load_diabetes(return_X_y=True)
    r, delta = 1.0, 1.78  # Park & Casella §3.2
    ours = run_bayesreg(br.models.bayesian_lasso, X, y, lam=dist.Gamma(r, delta))
    theirs = run_by_hand(lambda X, y: park_casella(X, y, r=r, delta=delta), X, y)
    theirs["sigma"] = np.sqrt(theirs.pop("sigma2"))
    theirs["lam"] = np.sqrt(theirs.pop("lam2"))
    assert_same_posterior(ours, theirs, ["coef", "sigma", "lam", "intercept"])


def _trace_model(model, *args, **kwargs):
    with numpyro.handlers.seed(rng_seed=0):
        model(*args, **kwargs)


def test_a_hyperprior_with_support_below_zero_is_refused():
    with pytest.raises(ValueError, match="positive numbers.*Normal"):
        br.models.laplace(dist.Normal(0.0, 1.0))
    with pytest.raises(ValueError, match="positive numbers"):
        br.models.gaussian(dist.StudentT(3.0))


def test_a_hyperprior_with_an_event_shape_is_refused():
    with pytest.raises(ValueError, match="event shape"):
        br.models.laplace(dist.HalfCauchy(jnp.ones(3)).to_event(1))


def test_a_per_weight_hyperprior_of_the_wrong_batch_shape_is_refused(standardized):
    X, y = standardized
    prior = br.models.laplace(dist.HalfCauchy(jnp.ones(3)))
    with pytest.raises(ValueError, match=r"batch shape \(3,\).*10 weights"):
        _trace_model(br.models.linear, X, y, sigma=SIGMA, prior=prior)


@pytest.mark.parametrize(
    ("lam", "error", "match"),
    [
        ("1.0", TypeError, "lam must be a positive number"),
        (dist.HalfCauchy(1.0), TypeError, "Gamma"),
        (dist.Gamma(jnp.ones(2), 1.0), ValueError, "must be scalar"),
        (-1.0, ValueError, "lam"),
    ],
)
def test_bad_lam_is_refused(standardized, lam, error, match):
    X, y = standardized
    with pytest.raises(error, match=match):
        _trace_model(br.models.bayesian_lasso, X, y, lam=lam)
