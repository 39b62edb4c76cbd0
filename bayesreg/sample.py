r"""Posterior sampling: NUTS on any NumPyro model, and an exact sampler for the conjugate case.

:func:`sample_posterior` is the one entry point. It returns a :class:`PosteriorResult` whatever the
method: draws per site (chains merged), an ArviZ ``InferenceData`` (groups ``posterior``,
``sample_stats``, ``observed_data`` and, within a memory budget, ``log_likelihood``; dims named
from the model's plates, ``coef`` labelled by feature names), per-weight diagnostics, and
warnings with a remedy when NUTS looks unreliable or its diagnostics cannot be computed. It
never returns draws it could not make: no valid starting point is a ``ValueError``.

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
import time
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
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from numpyro import handlers
from numpyro.infer import NUTS, init_to_uniform
from numpyro.infer.util import log_likelihood as pointwise_log_likelihood

from . import models
from ._compile import MODEL_LOCK, ProgramCache, SplitArguments, split_arguments
from ._types import Array
from ._validation import prepare_model_arguments
from .models import with_sufficient_statistics

__all__ = [
    "LOG_LIKELIHOOD_BUDGET_BYTES",
    "LogLikelihoodWarning",
    "PosteriorResult",
    "SamplingWarning",
    "sample_posterior",
    "scalar_items",
]

_METHODS = ("auto", "nuts", "exact")
_RHAT_MAX = 1.01
_ESS_PER_CHAIN_MIN = 100
_ARVIZ_MIN_DRAWS = 4  # ArviZ returns NaN R-hat and ESS for fewer draws per chain
# log_likelihood="auto" keeps the pointwise log-likelihood up to this size: arviz.loo holds a few
# arrays of its size at once (log weights, their exponentials), so 256 MiB peaks near 1 GiB.
LOG_LIKELIHOOD_BUDGET_BYTES = 2**28
_STUCK_MIN_DRAWS = 10  # a few equal draws in a row happen; 10 means the chain cannot move


class SamplingWarning(UserWarning):
    """NUTS output that should not be trusted as is (divergences, R-hat, effective sample size).

    Also raised when a diagnostic cannot be computed at all (too few draws or chains), since
    then nothing says whether the draws can be trusted.
    """


class LogLikelihoodWarning(UserWarning):
    """``log_likelihood="auto"`` left out the pointwise log-likelihood: it exceeds the budget."""


class PosteriorResult(NamedTuple):
    """Result of :func:`sample_posterior` (the same type for every method).

    Attributes
    ----------
    samples : dict of str to jax.Array
        Latent and deterministic sites; chains merged, leading axis ``num_chains * num_samples``.
    idata : arviz.InferenceData
        Groups ``posterior``, ``sample_stats``, ``observed_data``, and ``log_likelihood`` when
        kept (see ``log_likelihood`` of :func:`sample_posterior`).
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
    log_likelihood: bool | str = "auto",
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
    log_likelihood : {"auto", True, False}
        Store the pointwise log-likelihood (``idata.log_likelihood``, what ``arviz.loo`` and
        ``arviz.waic`` need). It holds ``n_obs x num_chains x num_samples`` float64 numbers
        (8 bytes each). ``"auto"`` keeps it when that is at most
        :data:`LOG_LIKELIHOOD_BUDGET_BYTES` (256 MiB: e.g. n = 8388 with 4 x 1000 draws) and
        otherwise leaves it out with a :class:`LogLikelihoodWarning`; ``True`` always keeps it,
        ``False`` never computes it. Without it, memory beyond the data is
        ``O(draws x parameters)``.
    **model_kwargs
        Keyword model arguments (``prior=``, ``sigma=``, ``feature_names=``, ...).

    Returns
    -------
    PosteriorResult

    Raises
    ------
    ValueError
        On bad settings; when NUTS cannot find valid initial parameters (the log density or its
        gradient is not finite at every starting point tried, as NumPyro's ``MCMC`` reports);
        and when a chain's draws are not finite or never moved from the starting point. No
        draws are returned that the sampler could not make.
    KeyboardInterrupt
        On Ctrl-C, within about 0.2 s once sampling runs (compiling cannot be interrupted):
        the call stops and returns nothing, as a plain Python call does. Draws so far are
        dropped; a rerun reuses the compiled program.

    Warns
    -----
    SamplingWarning
        After NUTS, on divergent transitions, on R-hat > 1.01, on bulk or tail effective
        sample size below 100 per chain, and when R-hat or ESS cannot be computed (one chain,
        fewer than 4 draws per chain, draws without variance). The exact sampler draws iid and
        never warns.
    LogLikelihoodWarning
        When ``log_likelihood="auto"`` leaves the pointwise log-likelihood out.

    Notes
    -----
    The compiled NUTS program is cached on the model function, the non-array arguments (bools,
    ints, strings, feature names) and the sampler settings; array and float arguments (data,
    prior scales, a known ``sigma``) are traced, so a repeat call with new values of the same
    shapes reuses it without compiling. A model must therefore not branch in Python on the
    value of a float argument. Floats are JAX's: ``bayesreg`` enables 64-bit mode on import.

    NUTS runs in chunks of iterations, each one call of the same compiled program that carries
    the sampler's state (position, step size and mass-matrix adaptation, random key) to the
    next: the draws are those of one uninterrupted run, and Python can react to Ctrl-C between
    chunks (each lasts about 0.2 s).

    Concurrent calls from several threads are safe: NumPyro's effect handlers are one
    process-wide stack, so a call holds :data:`bayesreg._compile.MODEL_LOCK` while it traces,
    compiles and runs the model, and concurrent calls run one after another.

    Examples
    --------
    >>> import numpy as np, bayesreg as br
    >>> X = np.random.default_rng(0).normal(size=(30, 2)); y = X @ np.array([1.0, -1.0])
    >>> post = br.sample_posterior(br.models.linear, X, y, prior=br.models.gaussian(1.0),
    ...                            sigma=0.5, num_samples=200)
    >>> post.method, post.samples["coef"].shape
    ('exact', (800, 2))
    """
    if not callable(model):
        raise TypeError(f"model must be a NumPyro model function; got {type(model).__name__}.")
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
    if not (
        isinstance(log_likelihood, bool)
        or (isinstance(log_likelihood, str) and log_likelihood == "auto")
    ):
        raise ValueError(
            f"log_likelihood must be 'auto', True or False; got {log_likelihood!r}. 'auto' keeps "
            f"the pointwise log-likelihood when it fits in {LOG_LIKELIHOOD_BUDGET_BYTES} bytes."
        )
    with MODEL_LOCK:  # NumPyro's handler stack is process-wide: one traced model at a time
        args, model_kwargs, feature_names = prepare_model_arguments(model, args, model_kwargs)
        info = _inspect_model(model, args, model_kwargs, feature_names)
        keep_log_likelihood = _keep_log_likelihood(
            log_likelihood, info.observed, num_chains, num_samples
        )

        exact = None
        if method != "nuts":
            exact = _exact_spec(model, args, model_kwargs)
            if isinstance(exact, str):
                if method == "exact":
                    raise ValueError(f"method='exact' does not apply: {exact}. Use method='nuts'.")
                exact = None

        if exact is not None:
            chains, stats, loglik = _sample_exact(
                exact, num_chains, num_samples, seed, log_likelihood=keep_log_likelihood
            )
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
                log_likelihood=keep_log_likelihood,
            )
            _check_draws_were_made(chains, info.latent)
    posterior = {name: chains[name] for name in info.latent + info.deterministic if name in chains}
    coords = {"features": list(feature_names)} if feature_names is not None else {}
    idata = az.from_dict(
        posterior=posterior,
        sample_stats=stats,
        log_likelihood=loglik if keep_log_likelihood else None,
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
            diagnostics, num_divergent, num_chains, num_samples,
            num_saturated=num_saturated, max_tree_depth=max_tree_depth,
            stuck=_stuck_chains(chains, info.latent),
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


def _keep_log_likelihood(
    log_likelihood: bool | str, observed: Mapping[str, np.ndarray], num_chains: int, draws: int
) -> bool:
    """Apply the ``log_likelihood`` rule (see :func:`sample_posterior`); warn when it skips."""
    if isinstance(log_likelihood, bool):
        return log_likelihood
    num_obs = sum(int(np.size(value)) for value in observed.values())
    size = num_obs * num_chains * draws * np.dtype(float).itemsize
    if size <= LOG_LIKELIHOOD_BUDGET_BYTES:
        return True
    warnings.warn(
        f"the pointwise log-likelihood was left out: {num_obs} observations x {num_chains} "
        f"chains x {draws} draws x 8 bytes = {size / 2**20:.0f} MiB, more than "
        f"log_likelihood='auto' keeps ({LOG_LIKELIHOOD_BUDGET_BYTES / 2**20:.0f} MiB), so idata "
        "has no log_likelihood group and arviz.loo / arviz.waic cannot run on it. Pass "
        "log_likelihood=True to keep it anyway (or sample fewer draws), log_likelihood=False to "
        "skip it without this warning.",
        LogLikelihoodWarning,
        stacklevel=3,
    )
    return False


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


_EXACT_BLOCK_NUMBERS = 2**22  # residuals per block of draws when the pointwise terms are not kept


def _sample_exact(
    spec: _ExactSpec, num_chains: int, num_samples: int, seed: int, *, log_likelihood: bool
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    Z, y, sigma = spec.design, spec.y, spec.sigma
    precision = Z.T @ Z / sigma**2 + np.diag(spec.prior_precision)
    chol = np.linalg.cholesky(precision)
    rhs = Z.T @ y / sigma**2 + spec.prior_precision * spec.prior_mean
    mean = np.linalg.solve(chol.T, np.linalg.solve(chol, rhs))
    noise = np.random.default_rng(seed).standard_normal((num_chains, num_samples, Z.shape[1]))
    # w = mean + L^{-T} e has covariance L^{-T} L^{-1} = precision^{-1}
    draws = mean + np.linalg.solve(chol.T, noise[..., None])[..., 0]

    def pointwise(block: np.ndarray) -> np.ndarray:
        resid = (y - block @ Z.T) / sigma
        return -0.5 * resid**2 - math.log(sigma) - 0.5 * math.log(2.0 * math.pi)

    if log_likelihood:
        loglik = {"y": pointwise(draws)}
        total_loglik = loglik["y"].sum(-1)
    else:  # the log density summed over observations, O(block x n) memory at a time
        flat = draws.reshape(-1, draws.shape[-1])
        block = max(_EXACT_BLOCK_NUMBERS // max(len(y), 1), 1)
        sums = [pointwise(flat[i : i + block]).sum(-1) for i in range(0, len(flat), block)]
        loglik, total_loglik = {}, np.concatenate(sums).reshape(draws.shape[:-1])
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
        "lp": total_loglik + log_prior,
    }
    return chains, stats, loglik


# ---------------------------------------------------------------------------------------------
# NUTS


_PROGRAMS = ProgramCache(size=16)
# XLA's CPU fusion emitters (its default) take about twice as long to compile NUTS's many small
# loops and branches as its classic emitters. On small data both run equally fast, so the compile
# time is what counts; on large data the fusion emitters run 5-15% faster (logistic model,
# n * p >= 4e4), which pays back their compile time over long or repeated runs.
_CLASSIC_EMITTERS = {"xla_cpu_use_fusion_emitters": False}
_CLASSIC_EMITTERS_MAX_DATA = 2**15  # numbers in the traced model arguments


class _ChunkPolicy(NamedTuple):
    """How many NUTS steps each call of the compiled ``advance`` program runs.

    Python sees a Ctrl-C only between calls, so a call should last about ``seconds``. The first
    chunk is ``first`` steps (its call also compiles); each next one is sized from the measured
    speed of the last, growing at most ``growth``-fold (warmup's first steps are the slowest).
    """

    first: int
    seconds: float
    growth: int


# 0.2 s keeps Ctrl-C prompt and costs < 0.1% in dispatch (each call returns in ~50 us).
_CHUNKS = _ChunkPolicy(first=1, seconds=0.2, growth=4)


class _NutsProgram(NamedTuple):
    """The jitted pieces of one NUTS run, built once per model structure and sampler settings.

    Every input and output has a leading chain axis. ``advance`` runs steps ``start..stop-1`` of
    one chain (``"sequential"``) or of all chains at once; ``start``, ``stop`` and ``chain`` are
    traced, so every chunk of every run reuses one compiled program.
    """

    init: Callable[..., Any]  # (seed, traced) -> (states, buffers, valid)
    advance: Callable[..., Any]  # (states, buffers, chain, start, stop, traced) -> same two
    finish: Callable[..., Any]  # (z buffer, traced) -> (samples, {})
    finish_with_log_likelihood: Callable[..., Any]  # (z buffer, traced) -> (samples, loglik)


@cache
def _classic_emitters() -> dict[str, Any]:
    """Compiler options for XLA's classic CPU emitters; none if this XLA does not know them."""
    try:  # a debug option, which an XLA release may drop
        jax.jit(jnp.negative, compiler_options=_CLASSIC_EMITTERS).lower(0.0).compile()
    except jax.errors.JaxRuntimeError:
        return {}
    return _CLASSIC_EMITTERS


def _step_stats(state: Any) -> dict[str, Array]:
    return {
        "diverging": state.diverging,
        "lp": -state.potential_energy,
        "energy": state.energy,
        "n_steps": state.num_steps,
        "acceptance_rate": state.accept_prob,
        "step_size": state.adapt_state.step_size,
    }


def _build_program(
    model: Callable[..., Any],
    structure: SplitArguments,
    *,
    num_chains: int,
    num_warmup: int,
    num_samples: int,
    chain_method: str,
    target_accept_prob: float,
    max_tree_depth: int,
    classic_emitters: bool,
) -> _NutsProgram:
    """Return the jitted :class:`_NutsProgram` pieces (compiled on their first call)."""
    total = num_warmup + num_samples
    # one kernel object for all pieces: init sets the (untraced) warmup schedule that sample uses
    kernel = NUTS(model, target_accept_prob=target_accept_prob, max_tree_depth=max_tree_depth)

    def init_chain(rng_key: Array, traced_leaves: list[Any]) -> tuple[Any, Any, Array]:
        args, kwargs = structure.merge(traced_leaves)
        state = kernel.init(rng_key, num_warmup, model_args=args, model_kwargs=kwargs)
        # NumPyro's own test of an initial point (numpyro.infer.util.find_valid_initial_params)
        valid = jnp.isfinite(state.potential_energy)
        for grad in jax.tree.leaves(state.z_grad):
            valid &= jnp.all(jnp.isfinite(grad))
        # the draws of warmup and sampling; warmup's are dropped by finish
        buffers = jax.tree.map(
            lambda x: jnp.zeros((total, *jnp.shape(x)), jnp.result_type(x)),
            (state.z, _step_stats(state)),
        )
        return state, buffers, valid

    def advance_chain(
        state: Any, buffers: Any, start: Array, stop: Array, traced_leaves: list[Any]
    ) -> tuple[Any, Any]:
        args, kwargs = structure.merge(traced_leaves)

        def step(i: Array, carry: tuple[Any, Any]) -> tuple[Any, Any]:
            state, buffers = carry
            state = kernel.sample(state, args, kwargs)
            record = (state.z, _step_stats(state))
            return state, jax.tree.map(lambda buf, x: buf.at[i].set(x), buffers, record)

        return jax.lax.fori_loop(start, stop, step, (state, buffers))

    def finish_chain(
        z: Any, traced_leaves: list[Any], log_likelihood: bool
    ) -> tuple[dict[str, Array], dict[str, Array]]:
        args, kwargs = structure.merge(traced_leaves)
        z = jax.tree.map(lambda x: x[num_warmup:], z)
        samples = jax.vmap(kernel.postprocess_fn(args, kwargs))(z)
        if not log_likelihood:
            return samples, {}
        # pointwise terms need the per-observation likelihood, not the sufficient statistics
        ll_kwargs = {k: v for k, v in kwargs.items() if k != "sufficient_statistics"}
        return samples, pointwise_log_likelihood(model, samples, *args, parallel=True, **ll_kwargs)

    # Parallel and sequential chains run the same unbatched chain, so a chain draws the same
    # numbers in both modes; batching it with vmap ("vectorized") doubles tracing and compiling.
    if chain_method == "parallel":
        mesh = Mesh(np.array(jax.local_devices()[:num_chains]), ("chains",))
        chains, replicated = PartitionSpec("chains"), PartitionSpec()

        def per_device(fn: Callable[..., Any], batched: int) -> Callable[..., Any]:
            """``fn`` on each device's chain: the first ``batched`` inputs carry a chain axis."""

            def one_chain(*inputs: Any) -> Any:
                unbatched = jax.tree.map(lambda x: x[0], inputs[:batched])
                return jax.tree.map(lambda x: x[None], fn(*unbatched, *inputs[batched:]))

            def sharded(*inputs: Any) -> Any:
                specs = (chains,) * batched + (replicated,) * (len(inputs) - batched)
                return jax.shard_map(
                    one_chain, mesh=mesh, in_specs=specs, out_specs=chains, check_vma=False
                )(*inputs)

            return sharded

        init_chains = per_device(init_chain, 1)
        advance_all = per_device(advance_chain, 2)

        def advance(states: Any, buffers: Any, chain: Array, *rest: Any) -> tuple[Any, Any]:
            return advance_all(states, buffers, *rest)

        def finish_chains(z: Any, traced_leaves: list[Any], log_likelihood: bool) -> Any:
            return per_device(partial(finish_chain, log_likelihood=log_likelihood), 1)(
                z, traced_leaves
            )
    elif chain_method == "sequential":

        def init_chains(rng_keys: Array, traced_leaves: list[Any]) -> Any:
            return jax.lax.map(lambda key: init_chain(key, traced_leaves), rng_keys)

        def advance(states: Any, buffers: Any, chain: Array, *rest: Any) -> tuple[Any, Any]:
            def take(tree: Any) -> Any:
                return jax.tree.map(
                    lambda x: jax.lax.dynamic_index_in_dim(x, chain, 0, False), tree
                )

            def put(tree: Any, new: Any) -> Any:
                return jax.tree.map(
                    lambda x, v: jax.lax.dynamic_update_index_in_dim(x, v, chain, 0), tree, new
                )

            state, chain_buffers = advance_chain(take(states), take(buffers), *rest)
            return put(states, state), put(buffers, chain_buffers)

        def finish_chains(z: Any, traced_leaves: list[Any], log_likelihood: bool) -> Any:
            return jax.lax.map(lambda zc: finish_chain(zc, traced_leaves, log_likelihood), z)
    else:
        init_chains = jax.vmap(init_chain, in_axes=(0, None))
        advance_all = jax.vmap(advance_chain, in_axes=(0, 0, None, None, None))

        def advance(states: Any, buffers: Any, chain: Array, *rest: Any) -> tuple[Any, Any]:
            return advance_all(states, buffers, *rest)

        def finish_chains(z: Any, traced_leaves: list[Any], log_likelihood: bool) -> Any:
            return jax.vmap(finish_chain, in_axes=(0, None, None))(z, traced_leaves, log_likelihood)

    def init(seed: Array, traced_leaves: list[Any]) -> tuple[Any, Any, Array]:
        return init_chains(jax.random.split(jax.random.key(seed), num_chains), traced_leaves)

    options = _classic_emitters() if classic_emitters else None
    return _NutsProgram(
        init=jax.jit(init, compiler_options=options),
        # the state and the draws so far are updated in place
        advance=jax.jit(advance, donate_argnums=(0, 1), compiler_options=options),
        finish=jax.jit(partial(finish_chains, log_likelihood=False), compiler_options=options),
        finish_with_log_likelihood=jax.jit(
            partial(finish_chains, log_likelihood=True), compiler_options=options
        ),
    )


def _next_chunk(steps: int, elapsed: float) -> int:
    """Return the steps of the next ``advance`` call, after ``steps`` took ``elapsed`` s."""
    policy = _CHUNKS
    if elapsed <= 0.0:
        return steps * policy.growth
    return int(min(max(steps * policy.seconds / elapsed, 1), steps * policy.growth))


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
        "target_accept_prob": target_accept_prob,
        "max_tree_depth": max_tree_depth,
        "classic_emitters": data_size <= _CLASSIC_EMITTERS_MAX_DATA,
    }
    # the structure only: the cached program must not keep this call's data alive
    structure = split._replace(traced=[])
    build = partial(_build_program, model, structure, **settings)
    program, _ = _PROGRAMS.get((model, *split.key, tuple(settings.items())), build)
    if chain_method == "parallel":  # the data on every device once, not once per chunk
        mesh = Mesh(np.array(jax.local_devices()[:num_chains]), ("chains",))
        traced = jax.device_put(split.traced, NamedSharding(mesh, PartitionSpec()))
    else:
        traced = jax.device_put(split.traced)

    states, buffers, valid = program.init(np.int64(seed), traced)
    invalid = np.flatnonzero(~np.asarray(valid)).tolist()
    if invalid:
        raise ValueError(
            f"Cannot find valid initial parameters for chain(s) {invalid}: the model's log "
            "density (or its gradient) is not finite at any of 100 random starting points "
            "(uniform in (-2, 2) on the unconstrained scale). Check that the data lie in the "
            "likelihood's support (0/1 labels, counts >= 0), that the data have no NaN or inf, "
            "that the priors' parameters are valid, and that numpyro.factor terms are finite; "
            "numpyro.infer.util.log_density evaluates the model at a point of your choice."
        )
    total = num_warmup + num_samples
    sequential = chain_method == "sequential"
    bar = None
    if progress_bar:
        from tqdm.auto import tqdm

        # sequential chains count on from one another; parallel and batched ones step together
        bar = tqdm(total=total * (num_chains if sequential else 1), desc="NUTS", unit="step")
    try:
        steps = _CHUNKS.first
        for chain in range(num_chains) if sequential else (0,):
            start = 0
            while start < total:
                stop = min(start + steps, total)
                began = time.perf_counter()
                states, buffers = program.advance(
                    states, buffers, np.int32(chain), np.int32(start), np.int32(stop), traced
                )
                # wait here, where Python can raise KeyboardInterrupt, not in the final copy
                jax.block_until_ready(states)
                steps = _next_chunk(stop - start, time.perf_counter() - began)
                if bar is not None:
                    bar.update(stop - start)
                start = stop
    finally:
        if bar is not None:
            bar.close()
    finish = program.finish_with_log_likelihood if log_likelihood else program.finish
    samples, loglik = jax.device_get(finish(buffers[0], traced))
    stats = {name: value[:, num_warmup:] for name, value in jax.device_get(buffers[1]).items()}
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


def scalar_items(data: Any, name: str) -> Iterator[tuple[str, Any]]:
    """``(label, sub-array)`` per scalar of an ArviZ variable; labels as in ``_scalar_labels``."""
    inner = _inner_dims(data)
    indices = np.ndindex(*[data.sizes[d] for d in inner])
    for label, index in zip(_scalar_labels(data, name), indices, strict=True):
        yield label, data.isel(dict(zip(inner, index, strict=True)))


_scalar_items = scalar_items  # the old name, until compare.py and plots.py use scalar_items


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


def _check_draws_were_made(chains: Mapping[str, np.ndarray], latent: tuple[str, ...]) -> None:
    """Refuse NUTS draws that are not finite (the sampler went where the density is not)."""
    bad = [name for name in latent if not np.all(np.isfinite(chains[name]))]
    if bad:
        raise ValueError(
            f"NUTS produced non-finite draws of {', '.join(bad)}: the model's log density is "
            "NaN or inf where the sampler went. Check the model for values outside a "
            "distribution's support and for overflow (e.g. exp of a large linear predictor); "
            "rescale the data or tighten the priors."
        )


def _stuck_chains(chains: Mapping[str, np.ndarray], latent: tuple[str, ...]) -> list[int]:
    """Chains whose draws are all one point (every transition rejected or divergent)."""
    num_chains, num_samples = np.shape(chains[latent[0]])[:2]
    if num_samples < _STUCK_MIN_DRAWS:
        return []
    return [
        chain
        for chain in range(num_chains)
        if all(np.all(chains[name][chain] == chains[name][chain, :1]) for name in latent)
    ]


def _warn_if_unreliable(
    diagnostics: pd.DataFrame,
    num_divergent: int,
    num_chains: int,
    num_samples: int,
    *,
    num_saturated: int = 0,
    max_tree_depth: int = 10,
    stuck: Sequence[int] = (),
) -> None:
    num_draws = num_chains * num_samples
    if stuck:
        warnings.warn(
            f"NUTS chain(s) {list(stuck)} never moved: all {num_samples} draws are one point "
            "(every transition was rejected or divergent), so they are not posterior draws. "
            "Lengthen num_warmup (the step size adapted badly), raise target_accept_prob, or "
            "check that the log density is finite around the starting point.",
            SamplingWarning,
            stacklevel=3,
        )
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
    _warn_if_not_computed(diagnostics, num_chains, num_samples)
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


def _warn_if_not_computed(diagnostics: pd.DataFrame, num_chains: int, num_samples: int) -> None:
    """Warn when R-hat or ESS is NaN: nothing then says whether the draws can be trusted."""
    if num_samples < _ARVIZ_MIN_DRAWS:
        warnings.warn(
            f"R-hat and effective sample size cannot be computed from {num_samples} draws per "
            f"chain (ArviZ needs at least {_ARVIZ_MIN_DRAWS}), so nothing checks that the "
            "chains converged. Increase num_samples (e.g. 1000).",
            SamplingWarning,
            stacklevel=4,
        )
        return
    if num_chains == 1:
        warnings.warn(
            "R-hat cannot be computed from one chain (it compares chains), so nothing checks "
            "that the sampler converged to one posterior. Run num_chains=2 or more.",
            SamplingWarning,
            stacklevel=4,
        )
    columns = ["ess_bulk", "ess_tail"] + (["r_hat"] if num_chains > 1 else [])
    missing = diagnostics.index[diagnostics[columns].isna().any(axis=1)].tolist()
    if missing:
        warnings.warn(
            f"R-hat or effective sample size is NaN for {', '.join(missing)}: their draws have "
            "no variance within a chain, so their convergence cannot be checked. Check that "
            "these sites are meant to be random, and inspect post.idata with arviz.plot_trace.",
            SamplingWarning,
            stacklevel=4,
        )
