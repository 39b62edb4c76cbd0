"""The shrinkage priors: their densities, their limits, their MAP status and their bad input.

Oracles: scipy.stats densities written out per site; prior draws of the weights against a
centered composition drawn with NumPy / scipy (two-sample Kolmogorov-Smirnov); the regularized
horseshoe's slab limit; R2D2's explained-variance identity; the Student-t MAP's stationarity
from a log posterior written by hand and differentiated by JAX.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import pytest
from numpyro import handlers
from numpyro.infer import Predictive
from scipy import stats

import bayesreg as br
from bayesreg import priors

# KS two-sample tests on 20,000 draws each reject a 1.5x scale change with certainty (the KS
# distance of log-scale shifts of log 1.5 is ~0.1, against a 1% critical value of ~0.016);
# p > 0.001 keeps the false-alarm rate of the fixed-key draws negligible
NUM_DRAWS = 20_000
KS_ALPHA = 1e-3


def _model_trace(prior, X, sigma=2.0, **substituted):
    model = handlers.substitute(handlers.seed(br.models.linear, 0), data=substituted)
    return handlers.trace(model).get_trace(
        X, np.zeros(len(X)), prior=prior, sigma=sigma, intercept=False
    )


def _prior_log_density(prior, X, values, sigma=2.0):
    """The summed log density of the latent sample sites (the likelihood left out)."""
    trace = _model_trace(prior, X, sigma=sigma, **values)
    return sum(
        float(jnp.sum(site["fn"].log_prob(site["value"])))
        for site in trace.values()
        if site["type"] == "sample" and not site["is_observed"]
    )


def _prior_coef(prior, p=3, sigma=2.0, n=10, key=0):
    X = np.zeros((n, p))
    draws = Predictive(br.models.linear, num_samples=NUM_DRAWS)(
        jax.random.PRNGKey(key), X, None, prior=prior, sigma=sigma, intercept=False
    )
    return np.asarray(draws["coef"])


def test_horseshoe_log_density_is_the_sum_of_its_sites_formulas():
    X = np.ones((4, 3))
    values = {
        "tau": 0.7,
        "lambda": np.array([0.2, 1.5, 3.0]),
        "coef_z": np.array([-1.0, 0.3, 2.0]),
    }
    prior = br.models.horseshoe(global_scale=0.5)
    lp = _prior_log_density(prior, X, values)
    expected = (
        stats.halfcauchy.logpdf(0.7, scale=0.5)
        + stats.halfcauchy.logpdf(values["lambda"]).sum()
        + stats.norm.logpdf(values["coef_z"]).sum()
    )
    np.testing.assert_allclose(lp, expected, rtol=1e-12)
    trace = _model_trace(prior, X, **values)
    np.testing.assert_allclose(
        trace["coef"]["value"], values["coef_z"] * 2.0 * values["lambda"] * 0.7, rtol=1e-14
    )
    np.testing.assert_allclose(
        trace["coef_scale"]["value"], 2.0 * values["lambda"] * 0.7, rtol=1e-14
    )


def test_horseshoe_plus_and_regularized_horseshoe_sites():
    X = np.ones((4, 2))
    lam, eta, z = np.array([0.5, 2.0]), np.array([1.5, 0.1]), np.array([0.4, -1.2])
    plus = br.models.horseshoe_plus(global_scale=1.0)
    values = {"tau": 0.3, "eta": eta, "lambda": lam, "coef_z": z}
    lp = _prior_log_density(plus, X, values, sigma=1.0)
    expected = (
        stats.halfcauchy.logpdf(0.3)
        + stats.halfcauchy.logpdf(eta).sum()
        + stats.halfcauchy.logpdf(lam).sum()
        + stats.norm.logpdf(z).sum()
    )
    np.testing.assert_allclose(lp, expected, rtol=1e-12)
    trace = _model_trace(plus, X, sigma=1.0, **values)
    np.testing.assert_allclose(trace["coef"]["value"], z * eta * lam * 0.3, rtol=1e-14)

    # regularized: c² ~ InvGamma(df/2, df s²/2), so the density of c is that at c² times 2c
    reg = br.models.regularized_horseshoe(global_scale=0.2, slab_scale=1.5, slab_df=5.0)
    values = {"tau": 0.3, "c": 1.1, "lambda": lam, "coef_z": z}
    lp = _prior_log_density(reg, X, values)
    slab = stats.invgamma.logpdf(1.1**2, 5.0 / 2, scale=5.0 * 1.5**2 / 2) + np.log(2 * 1.1)
    expected = (
        stats.halfcauchy.logpdf(0.3, scale=0.2)
        + slab
        + stats.halfcauchy.logpdf(lam).sum()
        + stats.norm.logpdf(z).sum()
    )
    np.testing.assert_allclose(lp, expected, rtol=1e-12)
    trace = _model_trace(reg, X, **values)
    lam_tilde = np.sqrt(1.1**2 * lam**2 / (1.1**2 + 0.3**2 * lam**2))  # their eq. 2.8
    np.testing.assert_allclose(trace["coef_scale"]["value"], 2.0 * 0.3 * lam_tilde, rtol=1e-14)


def test_regularized_horseshoe_with_an_infinite_slab_is_the_horseshoe():
    X = np.ones((4, 3))
    lam, z = np.array([0.2, 5.0, 80.0]), np.array([1.0, -0.5, 0.25])
    values = {"tau": 0.4, "lambda": lam, "coef_z": z}
    horseshoe = _model_trace(br.models.horseshoe(), X, **values)["coef"]["value"]
    for slab, rtol in ((1e3, 1e-2), (1e8, 1e-12)):  # (tau lam / c)² / 2: 5e-4, then 5e-14
        reg = br.models.regularized_horseshoe(slab_scale=slab)
        coef = _model_trace(reg, X, c=slab, **values)["coef"]["value"]
        np.testing.assert_allclose(coef, horseshoe, rtol=rtol)
    # and in distribution, with c drawn from its (very wide) prior
    hs = _prior_coef(br.models.horseshoe(global_scale=0.5), key=1)[:, 0]
    reg = _prior_coef(br.models.regularized_horseshoe(global_scale=0.5, slab_scale=1e8), key=2)
    assert stats.ks_2samp(hs, reg[:, 0]).pvalue > KS_ALPHA


@pytest.mark.parametrize("name", ["horseshoe", "horseshoe_plus"])
def test_prior_draws_match_a_centered_composition(name):
    sigma, scale = 2.0, 0.5
    rng = np.random.default_rng(3)
    tau = stats.halfcauchy.rvs(scale=scale, size=NUM_DRAWS, random_state=rng)
    local = stats.halfcauchy.rvs(size=NUM_DRAWS, random_state=rng)
    if name == "horseshoe_plus":  # lambda ~ C+(0, tau eta): tau eta times a C+(0, 1) draw
        local = local * stats.halfcauchy.rvs(size=NUM_DRAWS, random_state=rng)
    direct = rng.normal(0.0, sigma * tau * local)
    drawn = _prior_coef(priors.shrinkage(name, global_scale=scale), sigma=sigma)[:, 1]
    assert stats.ks_2samp(drawn, direct).pvalue > KS_ALPHA
    # the test has power: a global scale 1.5x too large is rejected
    wrong = rng.normal(0.0, 1.5 * sigma * tau * local)
    assert stats.ks_2samp(drawn, wrong).pvalue < KS_ALPHA


def test_student_t_is_t_in_units_of_sigma_and_its_map_is_stationary():
    X = np.ones((4, 3))
    coef = np.array([-3.0, 0.1, 7.0])
    prior = br.models.student_t(df=4.0, scale=0.5)
    lp = _prior_log_density(prior, X, {"coef": coef})
    np.testing.assert_allclose(lp, stats.t.logpdf(coef, 4.0, scale=1.0).sum(), rtol=1e-12)

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4)) * np.array([1e-3, 1.0, 10.0, 1e3])  # columns of any scale
    y = X @ np.array([2e3, 0.0, -0.3, 1e-3]) + 3.0 + rng.normal(size=60)
    fit = br.map_estimate(br.models.linear, X, y, prior=prior, sigma=1.5)
    assert fit.converged

    def neg_log_post(theta):  # written out: Gaussian likelihood, t(4, 0, 1.5 * 0.5) prior
        b, w = theta[0], theta[1:]
        resid = y - b - X @ w
        loglik = -0.5 * jnp.sum(resid**2) / 1.5**2
        logprior = jnp.sum(-(4.0 + 1) / 2 * jnp.log1p((w / 0.75) ** 2 / 4.0))
        return -(loglik + logprior)

    theta = jnp.concatenate([jnp.atleast_1d(fit.params["intercept"]), fit.params["coef"]])
    grad = np.asarray(jax.grad(neg_log_post)(theta))
    # the gradient in units of each coordinate's curvature (a Newton step) is ~0 at the mode
    hess = np.asarray(jax.hessian(neg_log_post)(theta))
    step = np.linalg.solve(hess, grad)
    scale = np.sqrt(np.diag(np.linalg.inv(hess)))
    assert np.all(np.abs(step) <= 1e-6 * scale)


def test_r2d2_prior_variance_is_r2_over_one_minus_r2():
    X = np.ones((4, 5))
    psi = np.array([0.1, 2.0, 0.5, 0.01, 1.0])
    values = {"r2": 0.3, "psi": psi, "coef_z": np.ones(5)}
    trace = _model_trace(br.models.r2d2(r2_mean=0.4, r2_precision=3.0), X, sigma=2.0, **values)
    scale = np.asarray(trace["coef_scale"]["value"])
    # with unit-variance columns the prior variance of x'w over sigma² is sum(scale²)/sigma²
    np.testing.assert_allclose(np.sum(scale**2) / 4.0, 0.3 / 0.7, rtol=1e-13)
    np.testing.assert_allclose(trace["phi"]["value"], psi / psi.sum(), rtol=1e-14)
    lp = _prior_log_density(br.models.r2d2(r2_mean=0.4, r2_precision=3.0), X, values)
    expected = (
        stats.beta.logpdf(0.3, 0.4 * 3.0, 0.6 * 3.0)
        + stats.gamma.logpdf(psi, 0.5).sum()
        + stats.norm.logpdf(np.ones(5)).sum()
    )
    np.testing.assert_allclose(lp, expected, rtol=1e-12)


@pytest.mark.parametrize("name", ["horseshoe", "horseshoe_plus", "regularized_horseshoe", "r2d2"])
def test_map_estimate_says_no_map_exists(name):
    X = np.random.default_rng(0).normal(size=(20, 3))
    y = X[:, 0] + 0.1
    with pytest.raises(ValueError, match=f"no MAP exists for the {name} prior.*sample_posterior"):
        br.map_estimate(br.models.linear, X, y, prior=priors.shrinkage(name))


@pytest.mark.filterwarnings("ignore::bayesreg.SamplingWarning")  # 50 draws: sites, not accuracy
def test_sites_show_up_in_inference_data_with_features_dims():
    X = np.random.default_rng(0).normal(size=(30, 3))
    y = X @ np.array([1.0, 0.0, 0.0]) + np.random.default_rng(1).normal(size=30)
    post = br.sample_posterior(
        br.models.linear, X, y, prior=br.models.horseshoe_plus(), num_samples=50,
        num_warmup=50, num_chains=1, feature_names=["a", "b", "c"],
    )  # fmt: skip
    posterior = post.idata.posterior
    for site in ("tau", "eta", "lambda", "coef_z", "coef", "coef_scale", "sigma"):
        assert site in posterior
    for site in ("eta", "lambda", "coef_z", "coef", "coef_scale"):
        assert posterior[site].dims[-1] == "features"
        assert list(posterior[site].coords["features"].values) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: br.models.regularized_horseshoe(slab_scale=0.0), "slab_scale must be a positive"),
        (lambda: br.models.regularized_horseshoe(slab_df=-1), "slab_df must be a positive"),
        (lambda: br.models.student_t(df=0.0), "df must be a positive"),
        (lambda: br.models.horseshoe(global_scale=float("inf")), "global_scale must be a pos"),
        (lambda: br.models.regularized_horseshoe(nonzero=0), "nonzero must be a positive"),
        (
            lambda: br.models.regularized_horseshoe(nonzero=2, global_scale=0.1),
            "give global_scale or nonzero",
        ),
        (lambda: br.models.r2d2(r2_mean=1.0), r"r2_mean must lie in \(0, 1\)"),
        (lambda: priors.shrinkage("horseshoe", slab_df=2.0), "does not take slab_df"),
        (lambda: priors.shrinkage("lasso"), "must be one of 'horseshoe'"),
        (lambda: br.models.horseshoe(global_scale="1"), "must be a positive number"),
    ],
)
def test_bad_parameters_are_refused_with_the_argument_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_nonzero_guess_must_be_below_the_number_of_weights():
    X = np.random.default_rng(0).normal(size=(20, 4))
    y = X[:, 0]
    prior = br.models.regularized_horseshoe(nonzero=4)
    with pytest.raises(ValueError, match=r"nonzero .* must lie in \(0, p\) = \(0, 4\)"):
        br.sample_posterior(br.models.linear, X, y, prior=prior, num_samples=10, num_warmup=10)
    # p0 = 1 of p = 4 with n = 20: tau0 = 1/3/sqrt(20) (Piironen & Vehtari eq. 3.12)
    trace = _model_trace(br.models.regularized_horseshoe(nonzero=1), X)
    np.testing.assert_allclose(trace["tau"]["fn"].scale, 1 / 3 / np.sqrt(20), rtol=1e-14)


# ---------------------------------------------------------------------------------------------
# the Gibbs conditionals: representations and invariance of the prior


def test_inverse_gaussian_and_inverse_gamma_draws_match_scipy():
    key = jax.random.PRNGKey(0)
    for mean, shape in ((0.5, 2.0), (40.0, 0.3), (1e-3, 1e-2)):
        draws = np.asarray(priors.gibbs.inverse_gaussian(key, jnp.full(NUM_DRAWS, mean), shape))
        reference = stats.invgauss(mean / shape, scale=shape)  # scipy's (mu/lam, scale=lam)
        assert stats.kstest(draws, reference.cdf).pvalue > KS_ALPHA
    draws = np.asarray(priors.gibbs.inverse_gamma(key, jnp.full(NUM_DRAWS, 1.5), 2.0))
    assert stats.kstest(draws, stats.invgamma(1.5, scale=2.0).cdf).pvalue > KS_ALPHA


def _alternate_without_data(gibbs, w, key, sweeps=30):
    """``(aux, w)`` after ``sweeps`` alternations of ``aux | w`` and ``w | aux ~ N(0, 1/q(aux))``.

    With no data these conditionals leave the prior invariant; the auxiliaries start at
    ``gibbs.init``.
    """

    def sweep(carry, key):
        aux, w = carry
        aux_key, w_key = jax.random.split(key)
        aux = gibbs.update(aux_key, aux, w)
        w = jax.random.normal(w_key, w.shape) / jnp.sqrt(gibbs.precision(aux))
        return (aux, w), None

    start = (gibbs.init(w.shape[0]), w)
    return jax.lax.scan(sweep, start, jax.random.split(key, sweeps))[0]


@pytest.mark.parametrize(
    ("make", "marginal"),
    [
        (lambda: priors.gibbs.laplace_gibbs(0.7), stats.laplace(scale=0.7)),
        (lambda: priors.gibbs.student_t_gibbs(3.0, 0.5), stats.t(3.0, scale=0.5)),
        (lambda: priors.gibbs.horseshoe_gibbs(0.5), None),
        (lambda: priors.gibbs.horseshoe_plus_gibbs(0.5), None),
    ],
)
def test_alternating_conditionals_leave_the_prior_invariant(make, marginal):
    """A Geweke-style check: w | a and a | w, alternated from a prior draw, keep the prior.

    Chains start at the auxiliaries' fixed start and run 30 sweeps of ``a | w`` then
    ``w | a ~ N(0, 1/q(a))`` with no data; the weights' marginal must be the prior's (the
    closed form, or the centered composition drawn by scipy). A wrong shape or rate in a
    conditional moves the marginal away within a few sweeps.
    """
    gibbs = make()
    p = 4

    def chain(key):
        start_key, run_key = jax.random.split(key)
        w = jax.random.normal(start_key, (p,)) / jnp.sqrt(gibbs.precision(gibbs.init(p)))
        return _alternate_without_data(gibbs, w, run_key)[1]

    keys = jax.random.split(jax.random.PRNGKey(1), NUM_DRAWS // p)
    w = np.asarray(jax.jit(jax.vmap(chain))(keys)).ravel()
    if marginal is not None:
        assert stats.kstest(w, marginal.cdf).pvalue > KS_ALPHA
    else:
        rng = np.random.default_rng(4)
        local = stats.halfcauchy.rvs(size=w.size, random_state=rng)
        if gibbs.sites(gibbs.init(1), jnp.ones(1), 1.0).get("eta") is not None:
            local = local * stats.halfcauchy.rvs(size=w.size, random_state=rng)
        tau = stats.halfcauchy.rvs(scale=0.5, size=w.size, random_state=rng)
        direct = rng.normal(0.0, tau * local)
        # compare on an arcsinh scale: the horseshoe's tails are too heavy for a raw KS to bite
        assert stats.ks_2samp(np.arcsinh(w), np.arcsinh(direct)).pvalue > KS_ALPHA


def test_bayesian_lasso_conditionals_with_random_lambda_keep_its_prior():
    gibbs = priors.gibbs.bayesian_lasso_gibbs(None, rate=2.0, shape=3.0)

    def chain(key):
        return jnp.sqrt(_alternate_without_data(gibbs, jnp.ones(3), key)[0].lam2)

    lam = np.asarray(jax.jit(jax.vmap(chain))(jax.random.split(jax.random.PRNGKey(2), 4000)))
    # lam² ~ Gamma(3, rate 2) a priori
    assert stats.kstest(lam**2, stats.gamma(3.0, scale=0.5).cdf).pvalue > KS_ALPHA


def test_gibbs_prior_says_which_priors_have_conditionals():
    assert isinstance(priors.gibbs_prior(br.models.laplace(1.0)), priors.GibbsPrior)
    assert isinstance(priors.gibbs_prior(br.models.horseshoe()), priors.GibbsPrior)
    for prior in (
        br.models.regularized_horseshoe(),
        br.models.r2d2(),
        br.models.laplace(1.0, loc=0.5),
        numpyro.distributions.Cauchy(0.0, 1.0),
    ):
        why = priors.gibbs_prior(prior)
        assert isinstance(why, str) and "horseshoe, horseshoe_plus and student_t" in why
