r"""Posterior sampling: NUTS on any NumPyro model, and an exact sampler for the conjugate case.

:func:`sample_posterior` is the one entry point. It returns a :class:`PosteriorResult` whatever the
method: draws per site (chains merged), an ArviZ ``InferenceData`` (groups ``posterior``,
``sample_stats``, ``log_likelihood``, ``observed_data``; dims named from the model's plates,
``coef`` labelled by feature names), per-weight diagnostics, and warnings with a remedy when
NUTS looks unreliable.

The exact sampler covers :func:`bayesreg.models.linear` with a known noise sd ``sigma``, a Normal
prior on the weights and a flat intercept (or none). With :math:`Z = [1, X]` (or :math:`X`),
prior mean :math:`m_0 = (0, \mu)` and prior precision :math:`P = \mathrm{diag}(0, 1/\tau^2)`
(no ``0`` block without an intercept), the posterior of the stacked weights is exactly

.. math::

    \mathcal N\big(S\,(Z^\top y/\sigma^2 + P m_0),\; S\big), \qquad
    S = (Z^\top Z/\sigma^2 + P)^{-1},

which is DESIGN §2's ``S = (XᵀX/sigma² + I/tau²)⁻¹``, mean ``S Xᵀy/sigma²`` with the intercept
added. The likelihood is ``RSS/(2 sigma²)`` (RSS not divided by ``n``), as in the model.
"""

from __future__ import annotations

import inspect
import math
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache, partial
from typing import Any, NamedTuple

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
import pandas as pd
from jax.sharding import Mesh, PartitionSpec
from numpyro import handlers
from numpyro.infer import NUTS, init_to_uniform
from numpyro.infer.util import log_likelihood as pointwise_log_likelihood

from . import models
from ._compile import ProgramCache, SplitArguments, split_arguments
from ._types import Array
from ._validation import prepare_model_arguments
from .models import with_sufficient_statistics

__all__ = ["PosteriorResult", "SamplingWarning", "sample_posterior"]

_METHODS = ("auto", "nuts", "exact")
_RHAT_MAX = 1.01
_ESS_PER_CHAIN_MIN = 100


class SamplingWarning(UserWarning):
    """NUTS output that should not be trusted as is (divergences, R-hat, effective sample size)."""


class PosteriorResult(NamedTuple):
    """Result of :func:`sample_posterior` (the same type for every method).

    Attributes
    ----------
    samples : dict of str to jax.Array
        Latent and deterministic sites; chains merged, leading axis ``num_chains * num_samples``.
    idata : arviz.InferenceData
        Groups ``posterior``, ``sample_stats``, ``log_likelihood``, ``observed_data``.
    method : str
        ``"nuts"`` or ``"exact"``.
    chain_method : str
        ``"parallel"`` (one chain per device), ``"sequential"`` (one chain after another on one
        CPU), ``"vectorized"`` (chains batched on one GPU or TPU) or ``"iid"`` (exact sampler:
        independent draws split into ``num_chains`` groups).
    num_chains, num_samples : int
        Chains and draws per chain.
    num_divergent : int
        Divergent transitions after warmup (always 0 for the exact sampler).
    diagnostics : pandas.DataFrame
        One row per scalar of each latent site (``"coef[bmi]"``), columns ``r_hat``, ``ess_bulk``,
        ``ess_tail``, ``mcse_mean``.
    model : callable
        The model function.
    args : tuple
        Positional model arguments (pandas inputs converted to NumPy).
    kwargs : dict
        Keyword model arguments.
    """

    samples: dict[str, Array]
    idata: az.InferenceData
    method: str
    chain_method: str
    num_chains: int
    num_samples: int
    num_divergent: int
    diagnostics: pd.DataFrame
    model: Callable[..., Any]
    args: tuple
    kwargs: dict


class _ModelInfo(NamedTuple):
    latent: tuple[str, ...]
    observed: dict[str, np.ndarray]
    deterministic: tuple[str, ...]
    dims: dict[str, list[str]]


class _ExactSpec(NamedTuple):
    design: np.ndarray  # Z, (n, d)
    y: np.ndarray
    sigma: float
    prior_mean: np.ndarray  # (d,)
    prior_precision: np.ndarray  # (d,), 0 for the flat intercept
    intercept: bool


# ---------------------------------------------------------------------------------------------
# the entry point


def sample_posterior(
    model: Callable[..., Any],
    *args: Any,
    num_chains: int = 4,
    num_warmup: int = 1000,
    num_samples: int = 1000,
    seed: int = 0,
    method: str = "auto",
    progress_bar: bool | None = None,
    target_accept_prob: float = 0.8,
    max_tree_depth: int = 10,
    log_likelihood: bool = True,
    **model_kwargs: Any,
) -> PosteriorResult:
    r"""Draw from the posterior of a NumPyro model, by NUTS or exactly when it is conjugate.

    Parameters
    ----------
    model : callable
        A NumPyro model function, e.g. :func:`bayesreg.models.linear`.
    *args
        Positional model arguments (``X, y``). A pandas ``DataFrame`` is converted to NumPy and
        its column names label the ``"features"`` dim of ``coef``.
    num_chains : int
        Number of chains (> 0). They run in parallel, one per device, when
        ``jax.local_device_count() >= num_chains`` (``chain_method="parallel"``). Otherwise they
        share the first device: on a CPU one after another in the same compiled program
        (``"sequential"``; each chain draws what it would in parallel), on a GPU or TPU batched
        with ``jax.vmap`` (``"vectorized"``). The result records which.
    num_warmup : int
        NUTS adaptation steps per chain (>= 0; ignored by the exact sampler).
    num_samples : int
        Draws kept per chain (> 0).
    seed : int
        Seed of the random stream (>= 0); the same seed gives the same draws.
    method : {"auto", "nuts", "exact"}
        ``"exact"``: iid draws from the closed-form Normal posterior (module docstring); it
        needs :func:`~bayesreg.models.linear` with a known float ``sigma``, a Normal prior and a
        flat intercept (or none), and raises ``ValueError`` otherwise. ``"nuts"``: always NUTS.
        ``"auto"``: exact when the model qualifies, NUTS otherwise.
    progress_bar : bool, optional
        Show NUTS progress; by default on only when stderr is a terminal and the ``CI``
        environment variable is unset.
    target_accept_prob : float
        NUTS target acceptance probability in (0, 1); raise it (e.g. 0.95) when there are
        divergences.
    max_tree_depth : int
        NUTS builds trajectories of at most ``2**max_tree_depth - 1`` leapfrog steps; draws that
        hit the limit are counted and reported by a :class:`SamplingWarning`.
    log_likelihood : bool
        Store the pointwise log-likelihood (``idata.log_likelihood``, what ``arviz.loo`` and
        ``arviz.waic`` need). It holds ``n_obs x num_chains x num_samples`` numbers: turn it off
        for large data sets.
    **model_kwargs
        Keyword model arguments (``prior=``, ``sigma=``, ``feature_names=``, ...).

    Returns
    -------
    PosteriorResult

    Warns
    -----
    SamplingWarning
        After NUTS, on divergent transitions, on R-hat > 1.01, and on bulk or tail effective
        sample size below 100 per chain. The exact sampler draws iid and never warns.

    Notes
    -----
    The compiled NUTS program is cached on the model function, the non-array arguments (bools,
    ints, strings, feature names) and the sampler settings; array and float arguments (data,
    prior scales, a known ``sigma``) are traced, so a repeat call with new values of the same
    shapes reuses it without compiling. A model must therefore not branch in Python on the
    value of a float argument. Floats are JAX's: ``bayesreg`` enables 64-bit mode on import.

    Examples
    --------
    >>> import numpy as np, bayesreg as br
    >>> X = np.random.default_rng(0).normal(size=(30, 2)); y = X @ np.array([1.0, -1.0])
    >>> post = br.sample_posterior(br.models.linear, X, y, prior=br.models.gaussian(1.0),
    ...                            sigma=0.5, num_samples=200)
    >>> post.method, post.samples["coef"].shape
    ('exact', (800, 2))
    """
    num_chains = _check_count(num_chains, "num_chains", minimum=1)
    num_warmup = _check_count(num_warmup, "num_warmup", minimum=0)
    num_samples = _check_count(num_samples, "num_samples", minimum=1)
    seed = _check_count(seed, "seed", minimum=0)
    if method not in _METHODS:
        raise ValueError(
            f"method must be one of {', '.join(map(repr, _METHODS))}; got {method!r}. Use "
            "'nuts' to force NUTS, 'exact' for the conjugate Normal posterior, 'auto' to choose."
        )
    if not 0.0 < float(target_accept_prob) < 1.0:
        raise ValueError(
            f"target_accept_prob must lie in (0, 1); got {target_accept_prob!r} (e.g. 0.8 or 0.95)."
        )
    max_tree_depth = _check_count(max_tree_depth, "max_tree_depth", minimum=1)
    args, model_kwargs, feature_names = prepare_model_arguments(model, args, model_kwargs)
    info = _inspect_model(model, args, model_kwargs, feature_names)

    exact = None
    if method != "nuts":
        exact = _exact_spec(model, args, model_kwargs)
        if isinstance(exact, str):
            if method == "exact":
                raise ValueError(f"method='exact' does not apply: {exact}. Use method='nuts'.")
            exact = None

    if exact is not None:
        chains, stats, loglik = _sample_exact(exact, num_chains, num_samples, seed)
        chain_method = "iid"
    else:
        chain_method = _chain_method(num_chains, jax.local_devices())
        # a Gaussian likelihood through X'X when n > p: each gradient O(p²) instead of O(np)
        rewritten = with_sufficient_statistics(model, args, model_kwargs)
        nuts_args, nuts_kwargs = rewritten if rewritten is not None else (args, model_kwargs)
        chains, stats, loglik = _sample_nuts(
            model,
            nuts_args,
            nuts_kwargs,
            num_chains=num_chains,
            num_warmup=num_warmup,
            num_samples=num_samples,
            seed=seed,
            chain_method=chain_method,
            progress_bar=_progress_enabled(progress_bar),
            target_accept_prob=float(target_accept_prob),
            max_tree_depth=max_tree_depth,
            log_likelihood=bool(log_likelihood),
        )
    posterior = {name: chains[name] for name in info.latent + info.deterministic if name in chains}
    coords = {"features": list(feature_names)} if feature_names is not None else {}
    idata = az.from_dict(
        posterior=posterior,
        sample_stats=stats,
        log_likelihood=loglik if log_likelihood else None,
        observed_data=info.observed,
        coords=coords,
        dims=info.dims,
        attrs={"inference_library": "bayesreg", "method": "exact" if exact else "nuts"},
    )
    diagnostics = _diagnostics(idata, info.latent)
    num_divergent = int(np.sum(stats["diverging"]))
    if exact is None:
        num_saturated = int(np.sum(stats["n_steps"] >= 2**max_tree_depth - 1))
        _warn_if_unreliable(
            diagnostics, num_divergent, num_chains, num_chains * num_samples,
            num_saturated=num_saturated, max_tree_depth=max_tree_depth,
        )  # fmt: skip
    samples = {
        name: jax.device_put(np.reshape(value, (-1, *np.shape(value)[2:])))
        for name, value in posterior.items()
    }
    return PosteriorResult(
        samples=samples,
        idata=idata,
        method="exact" if exact is not None else "nuts",
        chain_method=chain_method,
        num_chains=num_chains,
        num_samples=num_samples,
        num_divergent=num_divergent,
        diagnostics=diagnostics,
        model=model,
        args=args,
        kwargs=model_kwargs,
    )


# ---------------------------------------------------------------------------------------------
# input checks


def _check_count(value: Any, name: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        allowed = "a positive integer" if minimum == 1 else "a non-negative integer"
        raise ValueError(f"{name} must be {allowed}; got {value!r}.")
    return int(value)


def _chain_method(num_chains: int, devices: Sequence[jax.Device]) -> str:
    """How NUTS runs ``num_chains`` chains on ``devices`` (the rule documented at ``num_chains``).

    On one CPU, chains one after another beat chains batched by ``jax.vmap`` on the first call
    (batched NUTS takes twice as long to trace and compile: 1.5 s against 3.4 s on diabetes)
    and mostly on repeat calls too, because batched chains move in lockstep, each step as long
    as the longest trajectory among them (15-25% more gradients with 2 chains, ~40% with 4):
    min bulk ESS/s +34% on diabetes with 2 chains, +25% on breast cancer (logistic) with 4;
    only tiny models with many chains batch profitably (diabetes, 4 chains: -13%). On a GPU or
    TPU a batch of small chains runs in about the time of one.
    """
    if len(devices) >= num_chains > 1:
        return "parallel"
    return "sequential" if devices[0].platform == "cpu" else "vectorized"


def _progress_enabled(progress_bar: bool | None) -> bool:
    if progress_bar is not None:
        return bool(progress_bar)
    return "CI" not in os.environ and sys.stderr.isatty()


def _inspect_model(
    model: Callable[..., Any],
    args: tuple,
    kwargs: dict[str, Any],
    feature_names: list[str] | None,
) -> _ModelInfo:
    """Run the model once to validate its inputs and read its sites and plates.

    The arguments stay concrete, so the model's checks and warnings on the data run as in an
    eager call, but the latent values (and the random key behind them) are abstract: what
    depends on them is traced, not run, so it compiles no small one-op program (tens of ms each
    on the first call). An observed value computed from traced values falls back to an eager run.
    """
    found: list[_ModelInfo | None] = []

    def read_sites(rng_key: Array) -> None:
        with jax.ensure_compile_time_eval():
            found.append(_read_sites(_trace_model(model, rng_key, args, kwargs), feature_names))

    jax.eval_shape(read_sites, jax.ShapeDtypeStruct((2,), jnp.uint32))
    info = found[0]
    if info is None:
        info = _read_sites(_trace_model(model, 0, args, kwargs), feature_names)
    if not info.latent:
        raise ValueError("the model has no latent sample sites; there is nothing to sample.")
    return info


def _trace_model(
    model: Callable[..., Any], rng_key: Array | int, args: tuple, kwargs: dict[str, Any]
) -> dict[str, Any]:
    seeded = handlers.substitute(handlers.seed(model, rng_key), substitute_fn=init_to_uniform)
    return handlers.trace(seeded).get_trace(*args, **kwargs)


def _read_sites(
    model_trace: Mapping[str, Any], feature_names: list[str] | None
) -> _ModelInfo | None:
    """Sites and dims of a model trace; ``None`` when an observed value is not concrete."""
    latent, deterministic, observed, dims = [], [], {}, {}
    for name, site in model_trace.items():
        if site["type"] == "sample":
            if site["is_observed"]:
                if isinstance(site["value"], jax.core.Tracer):
                    return None
                observed[name] = np.asarray(site["value"])
            else:
                latent.append(name)
        elif site["type"] == "deterministic":
            deterministic.append(name)
        else:
            continue
        site_dims = _site_dims(site)
        if name == "coef" and not site_dims and feature_names is not None:
            # a multivariate prior on coef has no plate, but its one axis is still the features
            site_dims = ["features"] if np.ndim(site["value"]) == 1 else []
        if site_dims:
            dims[name] = site_dims
    return _ModelInfo(tuple(latent), observed, tuple(deterministic), dims)


def _site_dims(site: Mapping[str, Any]) -> list[str]:
    """Dim names of a site from its plates (ArviZ's ``from_numpyro`` rule); ``[]`` when none."""
    shape = np.shape(site["value"])
    names: list[str | None] = [None] * len(shape)
    for frame in site["cond_indep_stack"]:
        if frame.dim is not None and -len(shape) <= frame.dim < 0:
            names[frame.dim] = frame.name
    if all(n is None for n in names):
        return []
    return [n if n is not None else f"{site['name']}_dim_{i}" for i, n in enumerate(names)]


# ---------------------------------------------------------------------------------------------
# exact conjugate sampler


def _unwrap_normal(prior: Any) -> dist.Normal | None:
    while isinstance(prior, (dist.ExpandedDistribution, dist.Independent)):
        prior = prior.base_dist
    return prior if type(prior) is dist.Normal else None


def _exact_spec(model: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> _ExactSpec | str:
    """Return the closed-form posterior's inputs, or the reason the model does not qualify."""
    if model is not models.linear:
        return "the exact sampler needs the model bayesreg.models.linear"
    try:
        bound = inspect.signature(models.linear).bind(*args, **kwargs)
    except TypeError as err:
        return f"the arguments do not fit bayesreg.models.linear ({err})"
    bound.apply_defaults()
    X, y = bound.arguments["X"], bound.arguments["y"]
    sigma, prior, intercept = (bound.arguments[k] for k in ("sigma", "prior", "intercept"))
    if y is None:
        return "y is None (no data, so the posterior is the prior)"
    if isinstance(sigma, dist.Distribution):
        return "sigma has a prior; the posterior is Normal only for a known float sigma"
    normal = _unwrap_normal(prior)
    if normal is None:
        return f"the prior on coef is {type(prior).__name__}, not Normal"
    if intercept not in (True, False, None):
        return "the intercept has a proper prior; the exact sampler takes a flat one or none"
    X = np.asarray(X, dtype=float)
    p = X.shape[1]
    loc = np.broadcast_to(np.asarray(normal.loc, dtype=float), (p,))
    precision = np.broadcast_to(1.0 / np.asarray(normal.scale, dtype=float) ** 2, (p,))
    if intercept is True:
        X = np.column_stack([np.ones(X.shape[0]), X])
        loc, precision = np.r_[0.0, loc], np.r_[0.0, precision]
    return _ExactSpec(
        X, np.asarray(y, dtype=float), float(sigma), loc, precision, intercept is True
    )


def _sample_exact(
    spec: _ExactSpec, num_chains: int, num_samples: int, seed: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    Z, y, sigma = spec.design, spec.y, spec.sigma
    precision = Z.T @ Z / sigma**2 + np.diag(spec.prior_precision)
    chol = np.linalg.cholesky(precision)
    rhs = Z.T @ y / sigma**2 + spec.prior_precision * spec.prior_mean
    mean = np.linalg.solve(chol.T, np.linalg.solve(chol, rhs))
    noise = np.random.default_rng(seed).standard_normal((num_chains, num_samples, Z.shape[1]))
    # w = mean + L^{-T} e has covariance L^{-T} L^{-1} = precision^{-1}
    draws = mean + np.linalg.solve(chol.T, noise[..., None])[..., 0]
    resid = (y - draws @ Z.T) / sigma
    loglik = -0.5 * resid**2 - math.log(sigma) - 0.5 * math.log(2.0 * math.pi)
    coef = draws[..., 1:] if spec.intercept else draws
    prior_mean, prior_precision = (
        (spec.prior_mean[1:], spec.prior_precision[1:])
        if spec.intercept
        else (spec.prior_mean, spec.prior_precision)
    )
    log_prior = np.sum(
        -0.5 * prior_precision * (coef - prior_mean) ** 2
        + 0.5 * np.log(prior_precision / (2.0 * math.pi)),
        axis=-1,
    )
    chains = {"coef": coef}
    if spec.intercept:
        chains["intercept"] = draws[..., 0]
    stats = {
        "diverging": np.zeros((num_chains, num_samples), dtype=bool),
        "lp": loglik.sum(-1) + log_prior,
    }
    return chains, stats, {"y": loglik}


# ---------------------------------------------------------------------------------------------
# NUTS


_PROGRAMS = ProgramCache(size=16)
_progress: list[Any] = []  # the live tqdm bar of the running program, read by the host callback
# XLA's CPU fusion emitters (its default) take about twice as long to compile NUTS's many small
# loops and branches as its classic emitters. On small data both run equally fast, so the compile
# time is what counts; on large data the fusion emitters run 5-15% faster (logistic model,
# n * p >= 4e4), which pays back their compile time over long or repeated runs.
_CLASSIC_EMITTERS = {"xla_cpu_use_fusion_emitters": False}
_CLASSIC_EMITTERS_MAX_DATA = 2**15  # numbers in the traced model arguments


@cache
def _classic_emitters() -> dict[str, Any]:
    """Compiler options for XLA's classic CPU emitters; none if this XLA does not know them."""
    try:  # a debug option, which an XLA release may drop
        jax.jit(jnp.negative, compiler_options=_CLASSIC_EMITTERS).lower(0.0).compile()
    except jax.errors.JaxRuntimeError:
        return {}
    return _CLASSIC_EMITTERS


def _progress_tick(step: Array) -> None:
    """Move the bar forward to ``step + 1`` steps (parallel chains tick in any order)."""
    if _progress:
        bar = _progress[0]
        bar.update(max(int(step) + 1 - bar.n, 0))


def _build_program(
    model: Callable[..., Any],
    structure: SplitArguments,
    *,
    num_chains: int,
    num_warmup: int,
    num_samples: int,
    chain_method: str,
    progress_bar: bool,
    target_accept_prob: float,
    max_tree_depth: int,
    log_likelihood: bool,
    classic_emitters: bool,
) -> Callable[..., Any]:
    """Return the jitted ``program(seed, traced_leaves) -> (samples, stats, loglik)``.

    Every output has a leading chain axis.
    """
    total = num_warmup + num_samples
    report_every = max(total // 50, 1)

    def run_chain(
        rng_key: Array, steps_before: Array | int, traced_leaves: list[Any]
    ) -> tuple[dict, dict, dict]:
        """One chain, unbatched; ``steps_before`` counts the steps of the chains run before it."""
        args, kwargs = structure.merge(traced_leaves)
        kernel = NUTS(model, target_accept_prob=target_accept_prob, max_tree_depth=max_tree_depth)
        state = kernel.init(rng_key, num_warmup, model_args=args, model_kwargs=kwargs)

        def step(state: Any, i: Array) -> tuple[Any, Any]:
            if progress_bar:
                jax.lax.cond(
                    i % report_every == 0,
                    lambda: jax.debug.callback(_progress_tick, steps_before + i),
                    lambda: None,
                )
            state = kernel.sample(state, args, kwargs)
            stats = {
                "diverging": state.diverging,
                "lp": -state.potential_energy,
                "energy": state.energy,
                "n_steps": state.num_steps,
                "acceptance_rate": state.accept_prob,
                "step_size": state.adapt_state.step_size,
            }
            return state, (state.z, stats)

        # One scan over warmup and sampling (the warmup draws are dropped after): a second scan
        # would compile the NUTS kernel twice.
        _, (z, stats) = jax.lax.scan(step, state, jnp.arange(total))
        z, stats = jax.tree.map(lambda x: x[num_warmup:], (z, stats))
        samples = jax.vmap(kernel.postprocess_fn(args, kwargs))(z)
        # pointwise terms need the per-observation likelihood, not the sufficient statistics
        ll_kwargs = {k: v for k, v in kwargs.items() if k != "sufficient_statistics"}
        loglik = (
            pointwise_log_likelihood(model, samples, *args, parallel=True, **ll_kwargs)
            if log_likelihood
            else {}
        )
        return samples, stats, loglik

    # Parallel and sequential chains both call run_chain unbatched, so a chain draws the same
    # numbers in both modes; batching it with vmap ("vectorized") doubles tracing and compiling.
    if chain_method == "parallel":

        def one_chain(rng_keys: Array, traced_leaves: list[Any]) -> tuple[dict, dict, dict]:
            draws = run_chain(rng_keys[0], 0, traced_leaves)
            return jax.tree.map(lambda x: x[None], draws)

        mesh = Mesh(np.array(jax.local_devices()[:num_chains]), ("chains",))
        chains = jax.shard_map(
            one_chain,
            mesh=mesh,
            in_specs=(PartitionSpec("chains"), PartitionSpec()),
            out_specs=PartitionSpec("chains"),
            check_vma=False,
        )
    elif chain_method == "sequential":

        def chains(rng_keys: Array, traced_leaves: list[Any]) -> tuple[dict, dict, dict]:
            def chain(key_and_steps: tuple[Array, Array]) -> tuple[dict, dict, dict]:
                return run_chain(*key_and_steps, traced_leaves)

            return jax.lax.map(chain, (rng_keys, total * jnp.arange(num_chains)))
    else:
        chains = jax.vmap(lambda key, leaves: run_chain(key, 0, leaves), in_axes=(0, None))

    def program(seed: Array, traced_leaves: list[Any]) -> tuple[dict, dict, dict]:
        return chains(jax.random.split(jax.random.key(seed), num_chains), traced_leaves)

    return jax.jit(program, compiler_options=_classic_emitters() if classic_emitters else None)


def _sample_nuts(
    model: Callable[..., Any],
    args: tuple,
    kwargs: dict[str, Any],
    *,
    num_chains: int,
    num_warmup: int,
    num_samples: int,
    seed: int,
    chain_method: str,
    progress_bar: bool,
    target_accept_prob: float,
    max_tree_depth: int,
    log_likelihood: bool,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    split = split_arguments((args, kwargs))
    data_size = sum(np.size(leaf) for leaf in split.traced)
    settings = {
        "num_chains": num_chains,
        "num_warmup": num_warmup,
        "num_samples": num_samples,
        "chain_method": chain_method,
        "progress_bar": progress_bar,
        "target_accept_prob": target_accept_prob,
        "max_tree_depth": max_tree_depth,
        "log_likelihood": log_likelihood,
        "classic_emitters": data_size <= _CLASSIC_EMITTERS_MAX_DATA,
    }
    # the structure only: the cached program must not keep this call's data alive
    structure = split._replace(traced=[])
    build = partial(_build_program, model, structure, **settings)
    program, _ = _PROGRAMS.get((model, *split.key, tuple(settings.items())), build)

    if progress_bar:
        from tqdm.auto import tqdm

        # sequential chains count on from one another; parallel and batched ones step together
        steps = (num_warmup + num_samples) * (num_chains if chain_method == "sequential" else 1)
        _progress.append(tqdm(total=steps, desc="NUTS", unit="step"))
    try:
        samples, stats, loglik = jax.device_get(program(np.int64(seed), split.traced))
        for bar in _progress:  # the program ticks every report_every steps, not at the last
            bar.update(bar.total - bar.n)
    finally:
        while _progress:
            _progress.pop().close()
    return samples, stats, loglik


# ---------------------------------------------------------------------------------------------
# diagnostics


def _inner_dims(data: Any) -> list[str]:
    return [d for d in data.dims if d not in ("chain", "draw")]


def _scalar_labels(data: Any, name: str) -> list[str]:
    """Labels of the scalars of an ArviZ variable, in C order: ``"coef[bmi]"``, or ``name``."""
    inner = _inner_dims(data)
    if not inner:
        return [name]
    labels = [[str(v) for v in data.coords[d].values] for d in inner]
    return [
        f"{name}[{','.join(lab[i] for lab, i in zip(labels, index, strict=True))}]"
        for index in np.ndindex(*[len(lab) for lab in labels])
    ]


def _scalar_items(data: Any, name: str) -> Iterator[tuple[str, Any]]:
    """``(label, sub-array)`` per scalar of an ArviZ variable; labels as in ``_scalar_labels``."""
    inner = _inner_dims(data)
    indices = np.ndindex(*[data.sizes[d] for d in inner])
    for label, index in zip(_scalar_labels(data, name), indices, strict=True):
        yield label, data.isel(dict(zip(inner, index, strict=True)))


_ARVIZ_NUMBA = threading.Lock()


@contextmanager
def _arviz_without_numba() -> Iterator[None]:
    """Make ArviZ take its NumPy code paths for the duration.

    With numba installed, ArviZ JIT-compiles its variance kernels on first use in a process
    (~0.5 s), far more than they save on a few thousand draws. The lock keeps concurrent calls
    from restoring each other's state.
    """
    with _ARVIZ_NUMBA:
        enabled = az.Numba.numba_flag
        az.Numba.disable_numba()
        try:
            yield
        finally:
            if enabled:
                az.Numba.enable_numba()


def _diagnostics(idata: az.InferenceData, latent: tuple[str, ...]) -> pd.DataFrame:
    posterior = idata.posterior[list(latent)]
    with _arviz_without_numba():
        if posterior.sizes["chain"] > 1:
            r_hat = az.rhat(posterior)
        else:  # R-hat compares chains; with one, ArviZ logs an error and gives NaN anyway
            r_hat = posterior.isel(chain=0, draw=0, drop=True) * np.nan
        columns = {
            "r_hat": r_hat,
            "ess_bulk": az.ess(posterior, method="bulk"),
            "ess_tail": az.ess(posterior, method="tail"),
            "mcse_mean": az.mcse(posterior, method="mean"),
        }
    labels = [label for name in latent for label in _scalar_labels(r_hat[name], name)]
    values = {
        column: np.concatenate([np.ravel(dataset[name].values) for name in latent])
        for column, dataset in columns.items()
    }
    return pd.DataFrame(values, index=labels, dtype=float)


def _warn_if_unreliable(
    diagnostics: pd.DataFrame,
    num_divergent: int,
    num_chains: int,
    num_draws: int,
    *,
    num_saturated: int = 0,
    max_tree_depth: int = 10,
) -> None:
    if num_saturated > 0:
        warnings.warn(
            f"NUTS reached the maximum tree depth (max_tree_depth={max_tree_depth}) in "
            f"{num_saturated} of {num_draws} draws: trajectories were cut short, so sampling is "
            "inefficient (not biased). Raise max_tree_depth, or rescale the data / "
            "reparameterize strongly correlated parameters.",
            SamplingWarning,
            stacklevel=3,
        )
    if num_divergent > 0:
        warnings.warn(
            f"NUTS had {num_divergent} divergent transitions after warmup (of {num_draws} draws); "
            "the posterior may be biased there. Raise target_accept_prob (e.g. 0.95 or 0.99), "
            "lengthen num_warmup, or reparameterize the model (e.g. non-centred scales).",
            SamplingWarning,
            stacklevel=3,
        )
    high_rhat = diagnostics.index[diagnostics["r_hat"] > _RHAT_MAX].tolist()
    if high_rhat:
        warnings.warn(
            f"R-hat above {_RHAT_MAX} for {', '.join(high_rhat)} (max "
            f"{diagnostics['r_hat'].max():.3f}): the chains disagree. Run more warmup and samples, "
            "and check for multiple modes (inspect post.idata with arviz.plot_trace).",
            SamplingWarning,
            stacklevel=3,
        )
    threshold = _ESS_PER_CHAIN_MIN * num_chains
    low_ess = diagnostics.index[
        (diagnostics["ess_bulk"] < threshold) | (diagnostics["ess_tail"] < threshold)
    ].tolist()
    if low_ess:
        smallest = diagnostics[["ess_bulk", "ess_tail"]].min().min()
        warnings.warn(
            f"effective sample size below {_ESS_PER_CHAIN_MIN} per chain ({threshold} in all) "
            f"for {', '.join(low_ess)} (smallest {smallest:.0f}): intervals and tail "
            "probabilities are unreliable. Increase num_samples (or num_chains).",
            SamplingWarning,
            stacklevel=3,
        )
