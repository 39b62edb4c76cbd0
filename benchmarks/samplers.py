"""NUTS on the same posterior with bayesreg, naive NumPyro, PyMC and nutpie.

The posterior: ``y ~ Normal(w0 + X w, sigma)`` with ``sigma`` known (the least-squares residual
standard deviation), a flat intercept and a Laplace(0, b) prior on each weight, ``b`` the prior
scale of the lasso at ``0.1 * alpha_max`` (:func:`bayesreg.penalty.lasso_prior_scale`).

Measured per tool, in one fresh process: the first call (compilation included) and a repeat
call with another seed (for nutpie the repeat reuses the compiled model; for PyMC it is a second
``pm.sample``), each as wall time and as minimum bulk-ESS per second (``arviz.ess`` over every
scalar parameter, the minimum, divided by that call's wall time).
"""

from __future__ import annotations

import time
import warnings
from typing import Any, NamedTuple

import numpy as np

from .problems import ALPHA_FRACTION, Problem, alpha_max, make_problem

NUM_CHAINS = 2  # one per core of the 2-core machine the baseline was measured on
TOOLS = ("bayesreg", "numpyro", "pymc", "nutpie")
TOOL_MODULES = {"bayesreg": "bayesreg", "numpyro": "numpyro", "pymc": "pymc", "nutpie": "nutpie"}
TOOL_LABELS = {
    "bayesreg": "bayesreg sample_posterior (log_likelihood=False)",
    "numpyro": "NumPyro MCMC(NUTS), naive model",
    "pymc": "PyMC pm.sample (NUTS)",
    "nutpie": "nutpie (numba backend)",
}


class Posterior(NamedTuple):
    X: np.ndarray
    y: np.ndarray
    scale: float  # Laplace b
    sigma: float


def posterior_of(problem: Problem) -> Posterior:
    from bayesreg import penalty

    X, y = problem.X, problem.y
    n, p = X.shape
    design = np.column_stack([np.ones(n), X])
    residual = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    sigma = float(np.sqrt(residual @ residual / (n - p - 1)))
    scale = float(penalty.lasso_prior_scale(ALPHA_FRACTION * alpha_max(problem), sigma=sigma, n=n))
    return Posterior(X, y, scale, sigma)


def min_bulk_ess(posterior: dict[str, np.ndarray]) -> float:
    """Smallest bulk ESS over every scalar of ``posterior`` (arrays shaped (chain, draw, ...))."""
    import arviz as az

    ess = az.ess(az.from_dict(posterior=posterior), method="bulk")
    return float(min(float(np.min(ess[name].values)) for name in ess.data_vars))


# ---------------------------------------------------------------------------------------------
# one runner per tool: ``prepare`` (untimed set-up) then ``run(seed) -> posterior dict``


def _bayesreg(post: Posterior, warmup: int, draws: int) -> Any:
    import bayesreg as br

    def run(seed: int) -> dict[str, np.ndarray]:
        result = br.sample_posterior(
            br.models.linear,
            post.X,
            post.y,
            prior=br.models.laplace(post.scale),
            sigma=post.sigma,
            num_chains=NUM_CHAINS,
            num_warmup=warmup,
            num_samples=draws,
            seed=seed,
            method="nuts",
            progress_bar=False,
            # the peers store no pointwise log-likelihood either (n x draws numbers)
            log_likelihood=False,
        )
        return {name: result.idata.posterior[name].values for name in ("intercept", "coef")}

    return run


def _numpyro(post: Posterior, warmup: int, draws: int) -> Any:
    import jax
    import numpyro
    import numpyro.distributions as dist
    from numpyro.distributions import constraints
    from numpyro.infer import MCMC, NUTS

    numpyro.enable_x64()

    def model(X, y, scale, sigma):
        intercept = numpyro.sample("intercept", dist.ImproperUniform(constraints.real, (), ()))
        with numpyro.plate("features", X.shape[1]):
            coef = numpyro.sample("coef", dist.Laplace(0.0, scale))
        with numpyro.plate("obs", X.shape[0]):
            numpyro.sample("y", dist.Normal(intercept + X @ coef, sigma), obs=y)

    chain_method = "parallel" if jax.local_device_count() >= NUM_CHAINS else "vectorized"
    mcmc = MCMC(
        NUTS(model),
        num_warmup=warmup,
        num_samples=draws,
        num_chains=NUM_CHAINS,
        chain_method=chain_method,
        progress_bar=False,
    )

    def run(seed: int) -> dict[str, np.ndarray]:
        mcmc.run(jax.random.PRNGKey(seed), post.X, post.y, post.scale, post.sigma)
        return {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}

    return run


def _pymc_model(post: Posterior) -> Any:
    import pymc as pm

    with pm.Model() as model:
        intercept = pm.Flat("intercept")
        coef = pm.Laplace("coef", mu=0.0, b=post.scale, shape=post.X.shape[1])
        pm.Normal("y", mu=intercept + pm.math.dot(post.X, coef), sigma=post.sigma, observed=post.y)
    return model


def _idata_posterior(idata: Any) -> dict[str, np.ndarray]:
    return {name: idata.posterior[name].values for name in ("intercept", "coef")}


def _pymc(post: Posterior, warmup: int, draws: int) -> Any:
    import pymc as pm

    def run(seed: int) -> dict[str, np.ndarray]:
        model = _pymc_model(post)  # built inside the timed call: it is part of a PyMC run
        with model:
            idata = pm.sample(
                draws=draws,
                tune=warmup,
                chains=NUM_CHAINS,
                cores=NUM_CHAINS,
                random_seed=seed,
                progress_bar=False,
                compute_convergence_checks=False,
            )
        return _idata_posterior(idata)

    return run


def _nutpie(post: Posterior, warmup: int, draws: int) -> Any:
    import nutpie

    compiled: list[Any] = []

    def run(seed: int) -> dict[str, np.ndarray]:
        if not compiled:  # the first call compiles (numba); a repeat call reuses it
            compiled.append(nutpie.compile_pymc_model(_pymc_model(post), backend="numba"))
        idata = nutpie.sample(
            compiled[0],
            draws=draws,
            tune=warmup,
            chains=NUM_CHAINS,
            cores=NUM_CHAINS,
            seed=seed,
            progress_bar=False,
        )
        return _idata_posterior(idata)

    return run


_RUNNERS = {"bayesreg": _bayesreg, "numpyro": _numpyro, "pymc": _pymc, "nutpie": _nutpie}


def measure(request: dict[str, Any]) -> dict[str, Any]:
    """Fresh-process measurement of one sampler (see :mod:`benchmarks.worker`)."""
    from .worker import peak_mb, resident_mb

    with warnings.catch_warnings():
        # PyMC / numba / short chains warn; the harness reports ESS, it does not police them
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        __import__(TOOL_MODULES[request["tool"]])
        import_s = time.perf_counter() - start
        post = posterior_of(make_problem(request["problem"], request["tiny"]))
        run = _RUNNERS[request["tool"]](post, request["warmup"], request["draws"])
        baseline = resident_mb()
        out: dict[str, Any] = {"import_s": import_s, "baseline_mb": baseline}
        for label, seed in (("first", 1), ("repeat", 2)):
            start = time.perf_counter()
            samples = run(seed)
            wall = time.perf_counter() - start
            ess = min_bulk_ess(samples)
            out[f"{label}_s"] = wall
            out[f"{label}_ess"] = ess
            out[f"{label}_ess_per_s"] = ess / wall
            out[f"{label}_coef_mean"] = np.mean(samples["coef"], axis=(0, 1))
    out["peak_mb"] = peak_mb()
    return out
