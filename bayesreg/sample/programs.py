"""The compiled programs of one sampling run: any kernel's chains laid out on the devices.

`build_program` turns a `Kernel` into the jitted pieces the driver calls (`Program`): start the
chains, advance them by a chunk of steps, and turn the recorded draws into samples (with the
pointwise log-likelihood when asked). Chains run one per device (``"parallel"``), one after
another on one device (``"sequential"``) or batched with ``jax.vmap`` (``"vectorized"``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, PartitionSpec
from numpyro.infer.util import log_likelihood as pointwise_log_likelihood

from .._compile import SplitArguments
from .._types import Array
from .kernel import Kernel, KernelInputs

__all__ = ["CLASSIC_EMITTERS", "CLASSIC_EMITTERS_MAX_DATA", "Program", "build_program",
           "classic_emitters"]  # fmt: skip

# XLA's CPU fusion emitters (its default) take about twice as long to compile NUTS's many small
# loops and branches as its classic emitters. On small data both run equally fast, so the compile
# time is what counts; on large data the fusion emitters run 5-15% faster (logistic model,
# n * p >= 4e4), which pays back their compile time over long or repeated runs.
CLASSIC_EMITTERS = {"xla_cpu_use_fusion_emitters": False}
CLASSIC_EMITTERS_MAX_DATA = 2**15  # numbers in the traced model arguments


class Program(NamedTuple):
    """The jitted pieces of one run, built once per kernel, argument structure and settings.

    Every input and output has a leading chain axis. ``advance`` runs steps ``start..stop-1`` of
    one chain (``"sequential"``) or of all chains at once; ``start``, ``stop`` and ``chain`` are
    traced, so every chunk of every run reuses one compiled program.
    """

    init: Callable[..., Any]  # (seed, params, traced) -> (states, buffers, valid)
    advance: Callable[..., Any]  # (states, buffers, chain, start, stop, params, traced) -> 2
    finish: Callable[..., Any]  # (positions, params, traced, []) -> (samples, {})
    # (positions, params, traced, traced of the original arguments) -> (samples, loglik)
    finish_with_log_likelihood: Callable[..., Any]


@cache
def classic_emitters() -> dict[str, Any]:
    """Compiler options for XLA's classic CPU emitters; none if this XLA does not know them."""
    try:  # a debug option, which an XLA release may drop
        jax.jit(jnp.negative, compiler_options=CLASSIC_EMITTERS).lower(0.0).compile()
    except jax.errors.JaxRuntimeError:
        return {}
    return CLASSIC_EMITTERS


def build_program(
    kernel: Kernel,
    model: Callable[..., Any],
    structure: SplitArguments,
    likelihood_structure: SplitArguments,
    *,
    num_chains: int,
    num_samples: int,
    chain_method: str,
    use_classic_emitters: bool,
) -> Program:
    """Return the jitted `Program` pieces (compiled on their first call).

    ``structure`` rebuilds the kernel's model arguments, ``likelihood_structure`` the original
    ones, from which the pointwise log-likelihood is computed.
    """
    total = kernel.num_warmup + num_samples

    def inputs(params: Any, traced: list[Any]) -> KernelInputs:
        return KernelInputs(params, *structure.merge(traced))

    def init_chain(rng_key: Array, params: Any, traced: list[Any]) -> tuple[Any, Any, Array]:
        state = kernel.init(rng_key, inputs(params, traced))
        # the draws of warmup and sampling; warmup's are dropped by finish
        buffers = jax.tree.map(
            lambda x: jnp.zeros((total, *jnp.shape(x)), jnp.result_type(x)),
            (kernel.position(state), dict(kernel.info(state))),
        )
        return state, buffers, kernel.is_valid(state)

    def advance_chain(
        state: Any, buffers: Any, start: Array, stop: Array, params: Any, traced: list[Any]
    ) -> tuple[Any, Any]:
        chain_inputs = inputs(params, traced)

        def step(i: Array, carry: tuple[Any, Any]) -> tuple[Any, Any]:
            state, buffers = carry
            state = kernel.step(state, chain_inputs)
            record = (kernel.position(state), dict(kernel.info(state)))
            return state, jax.tree.map(lambda buf, x: buf.at[i].set(x), buffers, record)

        return jax.lax.fori_loop(start, stop, step, (state, buffers))

    def finish_chain(
        z: Any, params: Any, traced: list[Any], original: list[Any], log_likelihood: bool
    ) -> tuple[dict[str, Array], dict[str, Array]]:
        chain_inputs = inputs(params, traced)
        z = jax.tree.map(lambda x: x[kernel.num_warmup :], z)
        samples = jax.vmap(lambda draw: kernel.postprocess(draw, chain_inputs))(z)
        if not log_likelihood:
            return samples, {}
        # pointwise terms from the original arguments (per observation), not reduced ones
        args, kwargs = likelihood_structure.merge(original)
        return samples, pointwise_log_likelihood(model, samples, *args, parallel=True, **kwargs)

    # Parallel and sequential chains run the same unbatched chain, so a chain draws the same
    # numbers in both modes; batching it with vmap ("vectorized") doubles tracing and compiling.
    if chain_method == "parallel":
        mesh = Mesh(np.array(jax.local_devices()[:num_chains]), ("chains",))
        chains, replicated = PartitionSpec("chains"), PartitionSpec()

        def per_device(fn: Callable[..., Any], batched: int) -> Callable[..., Any]:
            """``fn`` on each device's chain: the first ``batched`` inputs carry a chain axis."""

            def one_chain(*args: Any) -> Any:
                unbatched = jax.tree.map(lambda x: x[0], args[:batched])
                return jax.tree.map(lambda x: x[None], fn(*unbatched, *args[batched:]))

            def sharded(*args: Any) -> Any:
                specs = (chains,) * batched + (replicated,) * (len(args) - batched)
                return jax.shard_map(
                    one_chain, mesh=mesh, in_specs=specs, out_specs=chains, check_vma=False
                )(*args)

            return sharded

        init_chains = per_device(init_chain, 1)
        advance_all = per_device(advance_chain, 2)

        def advance(states: Any, buffers: Any, chain: Array, *rest: Any) -> tuple[Any, Any]:
            return advance_all(states, buffers, *rest)

        def finish_chains(z: Any, *rest: Any, log_likelihood: bool) -> Any:
            return per_device(partial(finish_chain, log_likelihood=log_likelihood), 1)(z, *rest)
    elif chain_method == "sequential":

        def init_chains(rng_keys: Array, params: Any, traced: list[Any]) -> Any:
            return jax.lax.map(lambda key: init_chain(key, params, traced), rng_keys)

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

        def finish_chains(z: Any, *rest: Any, log_likelihood: bool) -> Any:
            return jax.lax.map(lambda zc: finish_chain(zc, *rest, log_likelihood), z)
    else:
        init_chains = jax.vmap(init_chain, in_axes=(0, None, None))
        advance_all = jax.vmap(advance_chain, in_axes=(0, 0, None, None, None, None))

        def advance(states: Any, buffers: Any, chain: Array, *rest: Any) -> tuple[Any, Any]:
            return advance_all(states, buffers, *rest)

        def finish_chains(z: Any, *rest: Any, log_likelihood: bool) -> Any:
            one = partial(finish_chain, log_likelihood=log_likelihood)
            return jax.vmap(one, in_axes=(0, None, None, None))(z, *rest)

    def init(seed: Array, params: Any, traced: list[Any]) -> tuple[Any, Any, Array]:
        keys = jax.random.split(jax.random.key(seed), num_chains)
        return init_chains(keys, params, traced)

    options = classic_emitters() if use_classic_emitters else None
    return Program(
        init=jax.jit(init, compiler_options=options),
        # the state and the draws so far are updated in place
        advance=jax.jit(advance, donate_argnums=(0, 1), compiler_options=options),
        finish=jax.jit(partial(finish_chains, log_likelihood=False), compiler_options=options),
        finish_with_log_likelihood=jax.jit(
            partial(finish_chains, log_likelihood=True), compiler_options=options
        ),
    )
