"""The kernel contract: which kernel applies is read off the traced model; one driver runs any.

- a user's own conjugate model (not bayesreg.models.linear) gets the exact kernel, checked
  against the closed-form posterior written out with NumPy;
- non-conjugate models do not, and method="exact" says why;
- sampler options are checked, kept apart from model arguments, and reach NUTS;
- the driver runs a kernel written here, through the code path of NUTS and the exact sampler.
"""

import re
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest
from numpyro.distributions import constraints
from numpyro.infer.util import log_density

from bayesreg import models
from bayesreg.sample import (
    Kernel,
    KernelInputs,
    SamplingWarning,
    driver,
    run_kernel,
    sample_posterior,
)
from bayesreg.sample.kernel import constrained_sites
from bayesreg.sample.kernels import conjugate_posterior, nuts_kernel

# z bound of the Monte Carlo error tests: two-sided p ~ 6e-5 per coordinate (fixed seeds)
Z_MAX = 4.0
NOISE_SD = 0.7


def own_conjugate(X, y=None):
    """A user's conjugate model: Normal(0, 2) weights, Normal likelihood with known sd 0.7."""
    w = numpyro.sample("w", dist.Normal(0.0, 2.0).expand([X.shape[1]]).to_event(1))
    numpyro.sample("y", dist.Normal(X @ w, NOISE_SD), obs=y)


def own_with_flat_offset(X, y, sd):
    """A flat offset, a prior mean, a plate and a known sd per observation."""
    b = numpyro.sample("b", dist.ImproperUniform(constraints.real, (), ()))
    w = numpyro.sample("w", dist.Normal(jnp.array([1.0, -1.0]), jnp.array([0.5, 3.0])))
    with numpyro.plate("obs", X.shape[0]):
        numpyro.sample("y", dist.Normal(b + X @ w, sd), obs=y)


@pytest.fixture(scope="module")
def data():
    gen = np.random.default_rng(21)
    X = gen.normal(size=(30, 2))
    y = 0.3 + X @ np.array([1.5, -0.5]) + NOISE_SD * gen.normal(size=30)
    return X, y


def closed_form(Z, y, sd, prior_loc, prior_precision):
    """Posterior mean and covariance of Normal(Z theta, sd) with a diagonal Normal/flat prior."""
    precision = Z.T @ (Z / sd[:, None] ** 2) + np.diag(prior_precision)
    cov = np.linalg.inv(precision)
    return cov @ (Z.T @ (y / sd**2) + prior_precision * prior_loc), cov


def assert_iid_draws_match(draws, mean, cov):
    z = (draws.mean(0) - mean) / np.sqrt(np.diag(cov) / len(draws))
    assert np.all(np.abs(z) < Z_MAX), z
    sd = np.sqrt(np.diag(cov))  # covariance in correlation units: sd of each entry ~ 1/sqrt(N)
    assert np.max(np.abs((np.cov(draws, rowvar=False) - cov) / np.outer(sd, sd))) < 0.04


def test_own_conjugate_model_gets_the_exact_kernel(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # iid draws: no sampling warning
        post = sample_posterior(own_conjugate, X, y, num_chains=4, num_samples=5000, seed=1)
    assert post.method == "exact" and post.chain_method == "iid"
    mean, cov = closed_form(X, y, np.full(len(y), NOISE_SD), np.zeros(2), np.full(2, 1 / 4))
    assert_iid_draws_match(np.asarray(post.samples["w"]), mean, cov)
    # "lp" is the model's log joint density at each draw (NumPyro's, not ours)
    draws = post.idata.posterior["w"].values[0, :5]
    expected = [float(log_density(own_conjugate, (X, y), {}, {"w": w})[0]) for w in draws]
    np.testing.assert_allclose(post.idata.sample_stats["lp"].values[0, :5], expected, rtol=1e-10)
    assert post.idata.log_likelihood["y"].shape == (4, 5000, len(y))


def test_flat_site_prior_mean_and_per_observation_sd(data):
    X, y = data
    sd = np.linspace(0.5, 1.5, len(y))
    post = sample_posterior(own_with_flat_offset, X, y, sd, num_samples=5000, seed=2)
    assert post.method == "exact"
    Z = np.column_stack([np.ones(len(y)), X])
    mean, cov = closed_form(Z, y, sd, np.r_[0.0, 1.0, -1.0], np.r_[0.0, 1 / 0.25, 1 / 9.0])
    draws = np.column_stack([post.samples["b"], post.samples["w"]])
    assert_iid_draws_match(draws, mean, cov)


def laplace_prior(X, y):
    w = numpyro.sample("w", dist.Laplace(0.0, 1.0).expand([X.shape[1]]).to_event(1))
    numpyro.sample("y", dist.Normal(X @ w, 1.0), obs=y)


def unknown_sd(X, y):
    w = numpyro.sample("w", dist.Normal(0.0, 1.0).expand([X.shape[1]]).to_event(1))
    s = numpyro.sample("s", dist.HalfNormal(1.0))
    numpyro.sample("y", dist.Normal(X @ w, s), obs=y)


def nonlinear_mean(X, y):
    w = numpyro.sample("w", dist.Normal(0.0, 1.0).expand([X.shape[1]]).to_event(1))
    numpyro.sample("y", dist.Normal(jnp.exp(X @ w), 1.0), obs=y)


def sd_from_weights(X, y):
    w = numpyro.sample("w", dist.Normal(0.0, 1.0).expand([X.shape[1]]).to_event(1))
    numpyro.sample("y", dist.Normal(X @ w, 1.0 + w[0] ** 2), obs=y)


def hierarchical_mean(X, y):
    m = numpyro.sample("m", dist.Normal(0.0, 1.0))
    w = numpyro.sample("w", dist.Normal(m, 1.0).expand([X.shape[1]]).to_event(1))
    numpyro.sample("y", dist.Normal(X @ w, 1.0), obs=y)


def two_flat_offsets(X, y):
    """a + b is determined by the data, a and b are not: an improper posterior."""
    a = numpyro.sample("a", dist.ImproperUniform(constraints.real, (), ()))
    b = numpyro.sample("b", dist.ImproperUniform(constraints.real, (), ()))
    numpyro.sample("y", dist.Normal(a + b + X[:, 0], 1.0), obs=y)


def prior_only(X, y):
    numpyro.sample("w", dist.Normal(0.0, 1.0).expand([X.shape[1]]).to_event(1))


@pytest.mark.parametrize(
    ("model", "reason"),
    [
        (laplace_prior, "w has a prior (Laplace), not Normal or flat"),
        (unknown_sd, "s has a prior (HalfNormal), not Normal or flat"),
        (nonlinear_mean, "the mean of y is not affine in the latent values"),
        (sd_from_weights, "the sd of y depends on the latent values"),
        (hierarchical_mean, "a prior's parameters depend on other latent values"),
        (two_flat_offsets, "the posterior precision is singular"),
        (prior_only, "the model has no observed site"),
    ],
)
def test_non_conjugate_models_do_not_get_the_exact_kernel(data, model, reason):
    X, y = data
    assert reason in conjugate_posterior(model, (X, y), {})
    with pytest.raises(ValueError, match=re.escape(f"method='exact' does not apply: {reason}")):
        sample_posterior(model, X, y, method="exact")


def test_a_non_conjugate_model_runs_nuts_under_auto(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        post = sample_posterior(nonlinear_mean, X, y, num_chains=1, num_warmup=20, num_samples=20)
    assert post.method == "nuts" and post.chain_method == "sequential"


def test_linear_with_reduced_arguments_is_still_exact(data):
    """The kernel is read off the per-observation model; sampling uses the sufficient statistics."""
    X, y = data
    kwargs = {"prior": models.gaussian(1.0), "sigma": 1.0}
    assert models.reduced_arguments(models.linear, (X, y), kwargs)
    post = sample_posterior(models.linear, X, y, num_samples=10, **kwargs)
    assert post.method == "exact"
    assert post.idata.log_likelihood["y"].shape == (4, 10, len(y))


# ---------------------------------------------------------------------------------------------
# sampler options


def test_unknown_sampler_option_lists_the_allowed_ones(data):
    X, y = data
    with pytest.raises(ValueError, match=r"unknown sampler option\(s\) 'dense_mas'.*dense_mass"):
        sample_posterior(own_conjugate, X, y, sampler_options={"dense_mas": True})
    with pytest.raises(ValueError, match=r"'dense_mass' for the exact sampler; it takes: none"):
        sample_posterior(own_conjugate, X, y, method="exact", sampler_options={"dense_mass": True})
    with pytest.raises(ValueError, match="dense_mass must be True or False; got 1"):
        sample_posterior(own_conjugate, X, y, sampler_options={"dense_mass": 1})
    with pytest.raises(ValueError, match="target_accept_prob must lie in"):
        sample_posterior(own_conjugate, X, y, sampler_options={"target_accept_prob": 1.5})
    with pytest.raises(ValueError, match="sampler_options must be a mapping"):
        sample_posterior(own_conjugate, X, y, sampler_options=[("dense_mass", True)])
    with pytest.raises(ValueError, match="target_accept_prob is given twice"):
        sample_posterior(
            own_conjugate, X, y, target_accept_prob=0.9,
            sampler_options={"target_accept_prob": 0.95},
        )  # fmt: skip


def test_a_sampler_option_as_a_model_keyword_is_refused(data):
    X, y = data
    with pytest.raises(ValueError, match=r"pass sampler_options=\{'dense_mass': True\} instead"):
        sample_posterior(models.linear, X, y, prior=models.gaussian(1.0), dense_mass=True)


def conjugate_with_step_size(X, y, step_size=1.0):
    """A model that has its own argument named like a sampler option."""
    w = numpyro.sample("w", dist.Normal(0.0, 1.0).expand([X.shape[1]]).to_event(1))
    numpyro.sample("y", dist.Normal(step_size * (X @ w), 1.0), obs=y)


def test_a_model_keyword_the_model_takes_goes_to_the_model(data):
    X, y = data
    post = sample_posterior(conjugate_with_step_size, X, y, step_size=2.0, num_samples=10)
    assert post.method == "exact" and post.kwargs == {"step_size": 2.0}


def test_dense_mass_reaches_numpyro_nuts(data):
    X, y = data
    inputs = KernelInputs((), (X, y), {})
    shapes = {}
    for dense in (False, True):
        kernel = nuts_kernel(laplace_prior, 10, {"dense_mass": dense})
        state = kernel.init(jax.random.key(0), inputs)
        (matrix,) = state.adapt_state.inverse_mass_matrix.values()
        shapes[dense] = matrix.shape
    assert shapes == {False: (2,), True: (2, 2)}


@pytest.mark.filterwarnings("ignore::bayesreg.sample.SamplingWarning")
def test_dense_mass_changes_the_draws(data):
    X, y = data
    run = dict(num_chains=1, num_warmup=100, num_samples=50, method="nuts", seed=0)
    diagonal = sample_posterior(laplace_prior, X, y, **run)
    dense = sample_posterior(laplace_prior, X, y, sampler_options={"dense_mass": True}, **run)
    assert not np.array_equal(diagonal.samples["w"], dense.samples["w"])


# ---------------------------------------------------------------------------------------------
# the driver runs a kernel written here


def standard_normal_site():
    numpyro.sample("x", dist.Normal(0.0, 1.0))


def iid_normal_kernel(scale):
    """Independent Normal(0, scale) draws of site "x": the smallest kernel there is."""

    def init(rng_key, inputs):
        return rng_key, jnp.zeros(())

    def step(state, inputs):
        rng_key, draw_key = jax.random.split(state[0])
        return rng_key, inputs.params["scale"] * jax.random.normal(draw_key)

    return Kernel(
        name="iid_normal",
        init=init,
        step=step,
        position=lambda state: {"x": state[1]},
        info=lambda state: {"diverging": jnp.asarray(False), "lp": -0.5 * state[1] ** 2},
        postprocess=constrained_sites(standard_normal_site),
        key=("iid_normal", "test"),
        params={"scale": np.asarray(scale)},
        iid=True,
    )


def run_iid(scale, **settings):
    return run_kernel(
        iid_normal_kernel(scale), standard_normal_site, ((), {}), num_chains=2,
        num_samples=4000, seed=0, chain_method="sequential", **settings,
    )  # fmt: skip


def test_driver_runs_a_custom_kernel(monkeypatch):
    samples, stats, loglik = run_iid(2.0)
    x = samples["x"]
    assert x.shape == (2, 4000) and stats["lp"].shape == (2, 4000) and loglik == {}
    assert abs(x.mean()) / (2.0 / np.sqrt(x.size)) < Z_MAX
    assert abs(x.std() / 2.0 - 1) < Z_MAX / np.sqrt(2 * x.size)  # sd's relative error
    assert not np.array_equal(x[0], x[1])  # each chain its own key
    # the params are traced: a new scale reuses the program and is used
    np.testing.assert_allclose(run_iid(3.0)[0]["x"], 1.5 * x, rtol=1e-12)
    # chunks do not change the draws
    monkeypatch.setattr(driver, "CHUNKS", driver.ChunkPolicy(1, 0.0, 3))
    np.testing.assert_array_equal(run_iid(2.0)[0]["x"], x)
