r"""Posterior sampling: `sample_posterior`, and the one driver that runs any kernel.

`sample_posterior` is the one entry point. It decides which kernel applies from what the traced
model contains (the exact conjugate sampler, `bayesreg.sample.kernels.conjugate`, when every
prior is Normal or flat and the likelihood Normal with a mean affine in the latent values and
a known sd; the Gibbs sampler, `bayesreg.sample.kernels.gibbs`, where the model declares a Gibbs
target and the measured rule of `bayesreg.sample.kernels.gibbs.gibbs_wins` says it beats NUTS;
NUTS otherwise), and `run_kernel` runs it: chains on devices (parallel, one after
another, or batched), in chunks of one compiled program so that Ctrl-C works, with progress.
The result is a `PosteriorResult` whatever the kernel: draws per site (chains merged), an ArviZ
``InferenceData`` (groups ``posterior``, ``sample_stats``, ``observed_data`` and, within a
memory budget, ``log_likelihood``; dims named from the model's plates, ``coef`` labelled by
feature names), per-weight diagnostics, and warnings with a remedy when a Markov chain (NUTS,
Gibbs) looks unreliable or its diagnostics cannot be computed. It never returns draws it could
not make: no valid starting point is a ``ValueError``.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
import warnings
from collections.abc import Callable, Hashable, Mapping, Sequence
from functools import partial
from typing import Any, NamedTuple

import arviz as az
import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from .. import models
from .._compile import MODEL_LOCK, ProgramCache, split_arguments
from .._validation import prepare_model_arguments
from . import programs
from .diagnostics import (
    check_draws_were_made,
    diagnostics_table,
    stuck_chains,
    warn_if_unreliable,
)
from .kernel import Kernel, check_count
from .kernels import conjugate, gibbs, nuts
from .options import (
    gibbs_options_from,
    nuts_options_from,
    refuse_sampler_options_as_model_arguments,
)
from .result import (
    LOG_LIKELIHOOD_BUDGET_BYTES,
    LogLikelihoodWarning,
    PosteriorResult,
)
from .sites import inspect_model

__all__ = [
    "CHUNKS",
    "MODEL_LOCK",
    "METHODS",
    "ChunkPolicy",
    "chain_method",
    "keep_log_likelihood",
    "next_chunk",
    "progress_enabled",
    "run_kernel",
    "sample_posterior",
]

METHODS = ("auto", "nuts", "exact", "gibbs")


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
    sampler_options: Mapping[str, Any] | None = None,
    **model_kwargs: Any,
) -> PosteriorResult:
    r"""Draw from the posterior of a NumPyro model, by NUTS or exactly when it is conjugate.

    Parameters
    ----------
    model : callable
        A NumPyro model function, e.g. `bayesreg.models.linear`, or your own.
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
        Steps per chain before the kept draws (>= 0): NUTS adapts its step size and mass matrix
        in them, the Gibbs sampler burns them in (it has nothing to adapt); their draws are
        dropped. Ignored by the exact sampler.
    num_samples : int
        Draws kept per chain (> 0).
    seed : int
        Seed of the random stream (>= 0); the same seed gives the same draws.
    method : {"auto", "nuts", "exact", "gibbs"}
        ``"exact"``: iid draws from the closed-form Normal posterior
        (`bayesreg.sample.kernels.conjugate`). It needs a model whose latent sites all have
        Normal priors or are flat on the reals, and whose observed sites are Normal with a mean
        affine in the latent values and a known sd (e.g. `bayesreg.models.linear` with a float
        ``sigma``, a Normal prior and a flat intercept, or your own such model); it raises
        ``ValueError`` saying why otherwise. ``"gibbs"``: the Gibbs sampler
        (`bayesreg.sample.kernels.gibbs`) of a Gaussian linear model whose prior is a scale
        mixture of Normals: `bayesreg.models.linear` with a flat intercept or none, a known
        ``sigma`` or a scalar prior on it, and a ``gaussian``, ``laplace``, ``elastic_net``
        (fixed scales, centred at 0), ``horseshoe``, ``horseshoe_plus`` or ``student_t`` prior;
        `bayesreg.models.bayesian_lasso`; or a model of yours that declares
        ``model.gibbs_target`` (`bayesreg.models.gibbs_target`); otherwise ``ValueError``
        saying why and which priors and models have one (not ``logistic`` / ``poisson``, the
        regularized horseshoe, R2D2 or a scale with a hyperprior). ``"nuts"``: always NUTS.
        ``"auto"``: exact when the model qualifies; else Gibbs where it was measured to beat
        NUTS (`bayesreg.sample.kernels.gibbs.gibbs_wins`: the horseshoe family, whose weights
        NUTS samples through local and global scale sites); else NUTS.
    progress_bar : bool, optional
        Show progress; by default on only when stderr is a terminal and the ``CI`` environment
        variable is unset.
    target_accept_prob : float
        NUTS target acceptance probability in (0, 1); raise it (e.g. 0.95) when there are
        divergences. The same as ``sampler_options={"target_accept_prob": ...}``.
    max_tree_depth : int
        NUTS builds trajectories of at most ``2**max_tree_depth - 1`` leapfrog steps; draws that
        hit the limit are counted and reported by a `SamplingWarning`. The same as
        ``sampler_options={"max_tree_depth": ...}``.
    log_likelihood : {"auto", True, False}
        Store the pointwise log-likelihood (``idata.log_likelihood``, what ``arviz.loo`` and
        ``arviz.waic`` need). It holds ``n_obs x num_chains x num_samples`` float64 numbers
        (8 bytes each). ``"auto"`` keeps it when that is at most
        `LOG_LIKELIHOOD_BUDGET_BYTES` (256 MiB: e.g. n = 8388 with 4 x 1000 draws) and
        otherwise leaves it out with a `LogLikelihoodWarning`; ``True`` always keeps it,
        ``False`` never computes it. Without it, memory beyond the data is
        ``O(draws x parameters)``.
    sampler_options : mapping, optional
        Options of the sampler, apart from the model's keyword arguments. NUTS takes
        ``target_accept_prob``, ``max_tree_depth``, ``dense_mass`` (adapt a full mass matrix:
        for strongly correlated weights), ``step_size`` (the initial one), ``adapt_step_size``
        and ``adapt_mass_matrix``, with NumPyro's meanings; the exact sampler takes none; the
        Gibbs sampler takes ``thin``, the sweeps per recorded draw (default 5; its
        ``num_warmup`` and ``num_samples`` count recorded draws). When ``method="auto"``
        picks the exact or the Gibbs sampler, NUTS's options are ignored. An unknown option is
        a ``ValueError`` that lists the allowed ones.
    **model_kwargs
        Keyword model arguments (``prior=``, ``sigma=``, ``feature_names=``, ...). A keyword
        named like a sampler option that the model does not take (``dense_mass=True``) is a
        ``ValueError``: pass it in ``sampler_options``.

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
        After NUTS or Gibbs, on R-hat > 1.01, on bulk or tail effective sample size below 100
        per chain, and when R-hat or ESS cannot be computed (one chain, fewer than 4 draws per
        chain, draws without variance); after NUTS also on divergent transitions. The exact
        sampler draws iid and never warns.
    LogLikelihoodWarning
        When ``log_likelihood="auto"`` leaves the pointwise log-likelihood out.

    Notes
    -----
    The compiled program is cached on the model function, the non-array arguments (bools,
    ints, strings, feature names) and the sampler settings; array and float arguments (data,
    prior scales, a known ``sigma``) are traced, so a repeat call with new values of the same
    shapes reuses it without compiling. A model must therefore not branch in Python on the
    value of a float argument. Floats are JAX's: ``bayesreg`` enables 64-bit mode on import.

    The sampler runs in chunks of iterations, each one call of the same compiled program that
    carries the sampler's state (position, step size and mass-matrix adaptation, random key)
    to the next: the draws are those of one uninterrupted run, and Python can react to Ctrl-C
    between chunks (each lasts about 0.2 s).

    Concurrent calls from several threads are safe: NumPyro's effect handlers are one
    process-wide stack, so a call holds `bayesreg._compile.MODEL_LOCK` while it traces,
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
    num_chains = check_count(num_chains, "num_chains", minimum=1)
    num_warmup = check_count(num_warmup, "num_warmup", minimum=0)
    num_samples = check_count(num_samples, "num_samples", minimum=1)
    seed = check_count(seed, "seed", minimum=0)
    if method not in METHODS:
        raise ValueError(
            f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}. Use "
            "'nuts' to force NUTS, 'exact' for the conjugate Normal posterior, 'gibbs' for the "
            "Gibbs sampler of a Gaussian model with a scale-mixture prior, 'auto' to choose."
        )
    nuts_options = nuts_options_from(
        method, sampler_options, target_accept_prob=target_accept_prob,
        max_tree_depth=max_tree_depth,
    )  # fmt: skip
    refuse_sampler_options_as_model_arguments(model, model_kwargs)
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
        model_kwargs = models.resolved_arguments(model, args, model_kwargs)  # written out
        info = inspect_model(model, args, model_kwargs, feature_names)
        keep_ll = keep_log_likelihood(log_likelihood, info.observed, num_chains, num_samples)
        kernel = None
        if method in ("auto", "exact"):
            posterior = conjugate.conjugate_posterior(model, args, model_kwargs)
            if isinstance(posterior, str):
                if method == "exact":
                    raise ValueError(
                        f"method='exact' does not apply: {posterior}. Use method='nuts'."
                    )
            else:
                kernel = conjugate.exact_kernel(model, posterior)
        if kernel is None and method in ("gibbs", "auto"):
            options = gibbs_options_from(method, sampler_options)
            kernel = _gibbs_kernel(model, args, model_kwargs, num_warmup, method, options)
        if kernel is None:
            kernel = nuts.nuts_kernel(model, num_warmup, nuts_options)
        how = chain_method(num_chains, jax.local_devices())
        # the model's own cheaper arguments for the same density (e.g. sufficient statistics)
        reduced = models.reduced_arguments(model, args, model_kwargs)
        chains, stats, loglik = run_kernel(
            kernel,
            model,
            reduced if reduced is not None else (args, model_kwargs),
            (args, model_kwargs),
            num_chains=num_chains,
            num_samples=num_samples,
            seed=seed,
            chain_method=how,
            progress_bar=progress_enabled(progress_bar),
            log_likelihood=keep_ll,
        )
        if not kernel.iid:
            check_draws_were_made(chains, info.latent)
    posterior = {name: chains[name] for name in info.latent + info.deterministic if name in chains}
    coords = {"features": list(feature_names)} if feature_names is not None else {}
    idata = az.from_dict(
        posterior=posterior,
        sample_stats=stats,
        log_likelihood=loglik if keep_ll else None,
        observed_data=info.observed,
        coords=coords,
        dims=info.dims,
        attrs={"inference_library": "bayesreg", "method": kernel.name},
    )
    diagnostics = diagnostics_table(idata, info.latent)
    num_divergent = int(np.sum(stats["diverging"]))
    if not kernel.iid:
        depth = kernel.max_tree_depth
        num_saturated = 0 if depth is None else int(np.sum(stats["n_steps"] >= 2**depth - 1))
        warn_if_unreliable(
            diagnostics, num_divergent, num_chains, num_samples,
            num_saturated=num_saturated, max_tree_depth=depth,
            stuck=stuck_chains(chains, info.latent),
        )  # fmt: skip
    samples = {
        name: jax.device_put(np.reshape(value, (-1, *np.shape(value)[2:])))
        for name, value in posterior.items()
    }
    return PosteriorResult(
        samples=samples,
        idata=idata,
        method=kernel.name,
        chain_method="iid" if kernel.iid else how,
        num_chains=num_chains,
        num_samples=num_samples,
        num_divergent=num_divergent,
        diagnostics=diagnostics,
        model=model,
        args=args,
        kwargs=model_kwargs,
    )


def _gibbs_kernel(
    model: Callable[..., Any],
    args: tuple,
    kwargs: dict[str, Any],
    num_warmup: int,
    method: str,
    options: Mapping[str, Any],
) -> Kernel | None:
    """Return the Gibbs kernel when ``method`` asks for it (or ``"auto"`` picks it), else None."""
    target = models.gibbs_target(model, args, kwargs)
    if isinstance(target, str):
        if method == "gibbs":
            raise ValueError(f"method='gibbs' does not apply: {target}. Use method='nuts'.")
        return None
    if method == "auto" and not gibbs.gibbs_wins(target):
        return None
    target_of = partial(models.gibbs_target, model)
    return gibbs.gibbs_kernel(model, target, num_warmup, target_of, **options)


# ---------------------------------------------------------------------------------------------
# settings


def keep_log_likelihood(
    log_likelihood: bool | str, observed: Mapping[str, np.ndarray], num_chains: int, draws: int
) -> bool:
    """Apply the ``log_likelihood`` rule (see `sample_posterior`); warn when it skips."""
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


def chain_method(num_chains: int, devices: Sequence[jax.Device]) -> str:
    """How ``num_chains`` chains run on ``devices`` (the rule documented at ``num_chains``).

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


def progress_enabled(progress_bar: bool | None) -> bool:
    """Whether to show progress: as asked, else only on a terminal outside CI."""
    if progress_bar is not None:
        return bool(progress_bar)
    return "CI" not in os.environ and sys.stderr.isatty()


# ---------------------------------------------------------------------------------------------
# the driver


class ChunkPolicy(NamedTuple):
    """How many steps each call of the compiled ``advance`` program runs.

    Python sees a Ctrl-C only between calls, so a call should last about ``seconds``. The first
    chunk is ``first`` steps (its call also compiles); each next one is sized from the measured
    speed of the last, growing at most ``growth``-fold (warmup's first steps are the slowest).
    """

    first: int
    seconds: float
    growth: int


# 0.2 s keeps Ctrl-C prompt and costs < 0.1% in dispatch (each call returns in ~50 us).
CHUNKS = ChunkPolicy(first=1, seconds=0.2, growth=4)
_PROGRAMS = ProgramCache(size=16)


def next_chunk(steps: int, elapsed: float) -> int:
    """Return the steps of the next ``advance`` call, after ``steps`` took ``elapsed`` s."""
    policy = CHUNKS
    if elapsed <= 0.0:
        return steps * policy.growth
    return int(min(max(steps * policy.seconds / elapsed, 1), steps * policy.growth))


def run_kernel(
    kernel: Kernel,
    model: Callable[..., Any],
    arguments: tuple[tuple, dict[str, Any]],
    likelihood_arguments: tuple[tuple, dict[str, Any]] | None = None,
    *,
    num_chains: int,
    num_samples: int,
    seed: int,
    chain_method: str,
    progress_bar: bool = False,
    log_likelihood: bool = False,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Run ``num_chains`` chains of ``kernel`` on ``model``: the one driver of every sampler.

    Each chain runs ``kernel.num_warmup + num_samples`` steps in chunks of one compiled
    program (`CHUNKS`), its draws recorded after every step; warmup's are dropped.

    Parameters
    ----------
    kernel : Kernel
        The sampler (`bayesreg.sample.kernel`).
    model : callable
        The model whose pointwise log-likelihood is computed.
    arguments : (tuple, dict)
        The model arguments the kernel gets (possibly reduced, e.g. sufficient statistics).
    likelihood_arguments : (tuple, dict), optional
        The original model arguments, per observation, for the pointwise log-likelihood
        (default: ``arguments``).
    num_chains, num_samples, seed : int
        Chains, draws kept per chain, seed (chain ``c`` starts from key ``c`` of
        ``jax.random.split(jax.random.key(seed), num_chains)``).
    chain_method : {"parallel", "sequential", "vectorized"}
        How the chains share the devices (`chain_method`).
    progress_bar, log_likelihood : bool
        Show progress; compute the pointwise log-likelihood.

    Returns
    -------
    (samples, stats, log_likelihood) : dicts of numpy.ndarray
        Per site, per statistic of ``kernel.info`` and per observed site (empty unless asked),
        each with leading axes ``(num_chains, num_samples)``.

    Raises
    ------
    ValueError
        When a chain has no valid starting point (``kernel.is_valid``).
    """
    split = split_arguments(arguments)
    original = split_arguments(likelihood_arguments if likelihood_arguments else arguments)
    data_size = sum(np.size(leaf) for leaf in split.traced)
    settings = {
        "num_chains": num_chains,
        "num_samples": num_samples,
        "chain_method": chain_method,
        "use_classic_emitters": data_size <= programs.CLASSIC_EMITTERS_MAX_DATA,
    }
    # the structures only: the cached program must not keep this call's data alive
    structure, likelihood_structure = split._replace(traced=[]), original._replace(traced=[])
    # nor the kernel's arrays: they are passed in, traced
    unloaded = dataclasses.replace(kernel, params=None)
    build = partial(
        programs.build_program, unloaded, model, structure, likelihood_structure, **settings
    )
    key: Hashable = (kernel.key, model, *split.key, *original.key, tuple(settings.items()))
    program, _ = _PROGRAMS.get(key, build)
    if chain_method == "parallel":  # the data on every device once, not once per chunk
        mesh = Mesh(np.array(jax.local_devices()[:num_chains]), ("chains",))
        put = partial(jax.device_put, device=NamedSharding(mesh, PartitionSpec()))
    else:
        put = jax.device_put
    params, traced = put((kernel.params, split.traced))

    states, buffers, valid = program.init(np.int64(seed), params, traced)
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
    total = kernel.num_warmup + num_samples
    sequential = chain_method == "sequential"
    bar = None
    if progress_bar:
        from tqdm.auto import tqdm

        # sequential chains count on from one another; parallel and batched ones step together
        total_steps = total * (num_chains if sequential else 1)
        bar = tqdm(total=total_steps, desc=kernel.name.upper(), unit="step")
    try:
        steps = CHUNKS.first
        for chain in range(num_chains) if sequential else (0,):
            start = 0
            while start < total:
                stop = min(start + steps, total)
                began = time.perf_counter()
                states, buffers = program.advance(
                    states, buffers, np.int32(chain), np.int32(start), np.int32(stop), params,
                    traced,
                )  # fmt: skip
                # wait here, where Python can raise KeyboardInterrupt, not in the final copy
                jax.block_until_ready(states)
                steps = next_chunk(stop - start, time.perf_counter() - began)
                if bar is not None:
                    bar.update(stop - start)
                start = stop
    finally:
        if bar is not None:
            bar.close()
    if log_likelihood:
        finished = program.finish_with_log_likelihood(
            buffers[0], params, traced, put(original.traced)
        )
    else:
        finished = program.finish(buffers[0], params, traced, [])
    samples, loglik = jax.device_get(finished)
    stats = {
        name: value[:, kernel.num_warmup :] for name, value in jax.device_get(buffers[1]).items()
    }
    return samples, stats, loglik
