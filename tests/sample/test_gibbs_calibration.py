"""Simulation-based calibration (Talts et al. 2018) of each Gibbs kernel, with its power shown.

For each prior with Gibbs conditionals: draw the parameters from the prior and ``y`` from the
model (NumPyro's ``Predictive``, independent of the sampler's code), run the Gibbs kernel on
``y``, and rank the true values of a few scalars (``coef[0]``, ``log sigma`` and, where the prior
has one, ``log tau`` or ``log lam``) among the kernel's thinned draws. A calibrated kernel gives
uniform ranks. The same replicates are run again through a kernel whose prior precision is
divided by 1.5² (the prior scale off by 1.5x, a wrapper `GibbsPrior` around the right one); the
test shows that this one is rejected, so the number of replicates has the power it needs.

The replicates run batched (``jax.vmap``) through the kernel's own ``init`` / ``step``: one
compiled program per prior serves the right and the mis-scaled kernel (the factor is a traced
argument of the wrapper model), so each prior costs one compile and a second or two of sampling.
"""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest
from numpyro.distributions.transforms import PowerTransform
from numpyro.infer import Predictive
from scipy import stats

from bayesreg import models
from bayesreg.priors.gibbs import GibbsTarget, bayesian_lasso_gibbs
from bayesreg.sample import KernelInputs
from bayesreg.sample.kernels.gibbs import BHATTACHARYA, CHOLESKY, gibbs_data, gibbs_kernel

KEPT = 99  # posterior draws per replicate: ranks 0..99
THIN = 10  # steps between kept draws: the horseshoe's log tau has an autocorrelation time of
# ~5-10 steps on these small problems; ranks of autocorrelated draws are not uniform
BURN_IN = 200
REPLICATES = 400
N, P = 20, 3
X_SCALE = 0.15  # small columns: each weight's likelihood precision (n x_scale² / sigma² = 0.45
# at sigma = 1) is below the prior's, so the posterior depends much on the prior's scale
NULL_Z2 = float(np.mean(stats.norm.ppf((np.arange(KEPT + 1) + 0.5) / (KEPT + 1)) ** 2))
SBC_Z_MAX = 3.5  # two-sided p = 4.7e-4 per statistic: ~8 statistics per prior, family ~0.004
MISSCALE = 1.5  # the prior scale error the test must catch


def sbc_statistics(ranks):
    """z-scores of location and spread of ranks (replicates, k), as in test_calibration.py.

    ``spread``: the mean of z² against its null value (a posterior too wide puts the truth near
    the middle of its draws: z² small, spread < 0; too narrow: > 0); ``location``: the mean of z
    against 0. The k quantities of one replicate are averaged first, and the standard errors
    come from the replicates, which are independent (the k quantities need not be).
    """
    z = stats.norm.ppf((np.asarray(ranks) + 0.5) / (KEPT + 1))
    z2, z1, root = (z**2).mean(axis=1), z.mean(axis=1), np.sqrt(len(z))
    # ranks all alike (a kernel that collapsed) have no spread: an infinite z, a rejection
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = (z2.mean() - NULL_Z2) / (z2.std(ddof=1) / root)
        location = z1.mean() / (z1.std(ddof=1) / root)
    return float(np.nan_to_num(location, nan=np.inf)), float(np.nan_to_num(spread, nan=np.inf))


def lasso_model(X, y=None, *, lam, intercept=False, factor=1.0):
    """Park & Casella's weights, Laplace(0, sigma / lam), under a proper HalfNormal(1) sigma."""
    sigma = numpyro.sample("sigma", dist.HalfNormal(1.0))
    if isinstance(lam, dist.Gamma):
        lam = numpyro.sample("lam", dist.TransformedDistribution(lam, PowerTransform(0.5)))
    with numpyro.plate("features", X.shape[1]):
        coef = numpyro.sample("coef", dist.Laplace(0.0, sigma / lam))
    with numpyro.plate("obs", X.shape[0]):
        numpyro.sample("y", dist.Normal(X @ coef, sigma), obs=y)


def _lasso_target(args, kwargs):
    lam = kwargs["lam"]
    if isinstance(lam, dist.Gamma):
        prior = bayesian_lasso_gibbs(None, rate=lam.rate, shape=lam.concentration)
    else:
        prior = bayesian_lasso_gibbs(lam)
    return GibbsTarget(args[0], args[1], False, dist.HalfNormal(1.0), prior)


def linear_model(X, y=None, *, prior, sigma, intercept=False, factor=1.0):
    """`bayesreg.models.linear`, taking the mis-scaling factor of the kernel (unused here)."""
    models.linear(X, y, prior=prior, sigma=sigma, intercept=intercept)


def _linear_target(args, kwargs):
    kwargs = {k: v for k, v in kwargs.items() if k != "factor"}
    return models.gibbs_target(models.linear, args, kwargs)


def _scaled(target_of, args, kwargs):
    """The model's target with its prior precision divided by ``factor²`` (prior scale x factor)."""
    found = target_of(args, kwargs)
    factor, prior = kwargs["factor"], found.prior
    return found._replace(
        prior=prior._replace(precision=lambda aux: prior.precision(aux) / factor**2)
    )


linear_model.gibbs_target = partial(_scaled, _linear_target)
lasso_model.gibbs_target = partial(_scaled, _lasso_target)

HALF_NORMAL = dist.HalfNormal(1.0)
CASES = {
    "gaussian": (linear_model, {"prior": models.gaussian(1.0), "sigma": HALF_NORMAL}),
    "laplace": (linear_model, {"prior": models.laplace(1.0), "sigma": HALF_NORMAL}),
    "elastic_net": (linear_model, {"prior": models.elastic_net(1.0, 1.0), "sigma": HALF_NORMAL}),
    "student_t": (linear_model, {"prior": models.student_t(3.0), "sigma": HALF_NORMAL}),
    "horseshoe": (linear_model, {"prior": models.horseshoe(), "sigma": HALF_NORMAL}),
    "horseshoe_plus": (linear_model, {"prior": models.horseshoe_plus(), "sigma": HALF_NORMAL}),
    "bayesian_lasso": (lasso_model, {"lam": 1.0}),
    "bayesian_lasso_random_lam": (lasso_model, {"lam": dist.Gamma(2.0, 2.0)}),
    # p > n: the weights by Bhattacharya et al.'s algorithm, sigma² with them integrated out
    "horseshoe_p_over_n": (linear_model, {"prior": models.horseshoe(), "sigma": HALF_NORMAL}),
    "student_t_p_over_n": (linear_model, {"prior": models.student_t(3.0), "sigma": HALF_NORMAL}),
    # in absolute units: the weights by Bhattacharya et al. given sigma², then sigma² given them
    "laplace_p_over_n": (linear_model, {"prior": models.laplace(1.0), "sigma": HALF_NORMAL}),
}
SHAPES = {name: (10, 16) for name in CASES if name.endswith("_p_over_n")}  # else (N, P)
SCALE_SITES = ("tau", "lam")  # a global scale site, ranked as its log when the prior has one


def run_sbc(model, kwargs, X, truth, factors):
    """Ranks of the true values among each replicate's draws, for each kernel factor.

    Returns ``{factor: {name: ranks}}``, ranks of shape ``(replicates, k)`` (``k = P`` for the
    weights, 1 for a scale).
    """
    target = model.gibbs_target((X, truth["y"][0]), {**kwargs, "factor": 1.0})
    kernel = gibbs_kernel(model, target, 0, model.gibbs_target, thin=1)
    algorithm = CHOLESKY if X.shape[0] >= X.shape[1] else BHATTACHARYA

    def chain(key, y, factor):
        call_kwargs = {**kwargs, "factor": factor}
        found = model.gibbs_target((X, y), call_kwargs)
        inputs = KernelInputs(gibbs_data(found, algorithm), (X, y), call_kwargs)
        state = kernel.init(key, inputs)
        state = jax.lax.fori_loop(0, BURN_IN, lambda i, s: kernel.step(s, inputs), state)

        def keep(state, _):
            state = jax.lax.fori_loop(0, THIN, lambda i, s: kernel.step(s, inputs), state)
            record = {"coef": state.coef, "log sigma": jnp.log(state.sigma)[None]}
            for site in SCALE_SITES:
                if site in state.position:  # unconstrained: the log of the positive scale
                    record[f"log {site}"] = state.position[site][None]
            return state, record

        return jax.lax.scan(keep, state, None, length=KEPT)[1]

    keys = jax.random.split(jax.random.key(7), REPLICATES)
    # one program for every factor: replicates and factors batched
    run = jax.jit(jax.vmap(jax.vmap(chain, in_axes=(0, 0, None)), in_axes=(None, None, 0)))
    draws = jax.device_get(run(keys, truth["y"], jnp.asarray(factors)))
    values = {"coef": truth["coef"], "log sigma": np.log(truth["sigma"])[:, None]}
    for site in SCALE_SITES:
        if site in truth:
            values[f"log {site}"] = np.log(truth[site])[:, None]
    return {
        factor: {name: np.sum(draws[name][i] < values[name][:, None], axis=1) for name in values}
        for i, factor in enumerate(factors)
    }


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_simulation_based_calibration(case):
    """Uniform ranks for the kernel; a prior scale off by 1.5x is rejected.

    400 replicates of n = 20, p = 3 (n = 10, p = 16 for the p > n cases; columns of sd 0.15,
    so the prior's scale matters), 99 draws each, thinned by 10 after 200 burn-in steps. Per
    ranked quantity (the weights pooled per replicate, log sigma, log tau / log lam), the
    location and spread z-scores of `sbc_statistics` must stay within 3.5 for the right kernel;
    for the mis-scaled one the largest must exceed 3.5.

    Why the power suffices, measured (largest |z| of the right kernel / of the mis-scaled one):
    gaussian 0.8 / 7.0, laplace 1.0 / 5.1, elastic_net 0.8 / 10.3, student_t 1.2 / 5.2,
    horseshoe 1.3 / 9.0, horseshoe_plus 1.4 / 6.4, bayesian_lasso 1.0 / 4.6, with random lam
    1.9 / 8.7, student_t p > n 1.5 / 29, horseshoe p > n 1.9 / collapsed (inf), laplace p > n
    0.9 / 25. The statistic's standard error comes from the 400 replicates themselves (~0.07 on
    the mean of z², sd of z² ~1.4), and a posterior whose prior scale is off by k = 1.5 moves
    the mean of z² by a good fraction of (1/k² - 1) = -0.56 (the prior's share of the posterior
    variance is large here): 4.6 sd at the least, against the 3.5 bound.
    """
    model, kwargs = CASES[case]
    gen = np.random.default_rng(2018)
    X = X_SCALE * gen.normal(size=SHAPES.get(case, (N, P)))
    predictive = Predictive(model, num_samples=REPLICATES)
    truth = jax.device_get(predictive(jax.random.key(11), X, **kwargs))
    ranks = run_sbc(model, kwargs, X, truth, (1.0, MISSCALE))
    right_z = {name: sbc_statistics(r) for name, r in ranks[1.0].items()}
    wrong_z = {name: sbc_statistics(r) for name, r in ranks[MISSCALE].items()}
    assert max(abs(z) for pair in right_z.values() for z in pair) < SBC_Z_MAX, right_z
    assert max(abs(z) for pair in wrong_z.values() for z in pair) > SBC_Z_MAX, wrong_z
