"""The kernel contract: what one sampler gives the driver, so that one driver runs any sampler.

A kernel is an ``(init, step)`` pair over a small state, as in blackjax's ``SamplingAlgorithm``
(``blackjax/base.py``) and NumPyro's ``MCMCKernel`` (``numpyro/infer/mcmc.py``):

- ``init(rng_key, inputs) -> state`` starts one chain;
- ``step(state, inputs) -> state`` makes one transition. The random key lives in the state,
  and so does adaptation: a kernel that adapts (NUTS) does it during its first ``num_warmup``
  steps, whose draws the driver drops;
- ``position(state)`` is the draw the driver records after each step (a dict of site values
  on the unconstrained scale), ``info(state)`` that step's statistics (``sample_stats``: at
  least ``"diverging"`` and ``"lp"``, the log joint density). They read the state, as
  NumPyro's ``sample_field`` does, so the driver sizes its buffers from the initial state
  without tracing a step;
- ``postprocess(position, inputs)`` maps one recorded draw to the model's sites (constrained
  latent values and deterministic sites).

``inputs`` is a `KernelInputs`: the kernel's own arrays (``params``, e.g. the exact sampler's
posterior mean and Cholesky factor) and the model arguments. The driver passes them to the
compiled program as traced values, so a new data set of the same shapes reuses the program;
everything else that fixes the program is in ``key``. The driver handles the rest: chains on
devices, chunks, progress, diagnostics, ``InferenceData``, the pointwise log-likelihood.

A new sampler is a new module in ``bayesreg/sample/kernels/`` that builds a `Kernel`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np
from numpyro.infer.util import constrain_fn

from .._types import Array

__all__ = ["Kernel", "KernelInputs", "check_count", "check_options", "constrained_sites"]


class KernelInputs(NamedTuple):
    """What every ``init``, ``step`` and ``postprocess`` call of a kernel receives."""

    params: Any  # the kernel's own arrays (a pytree), computed from the data before sampling
    args: tuple  # positional model arguments
    kwargs: dict[str, Any]  # keyword model arguments


def _always_valid(state: Any) -> Array:
    return jnp.asarray(True)


@dataclass(frozen=True, eq=False)
class Kernel:
    """One sampler, as the driver runs it (see the module docstring for the contract).

    Attributes
    ----------
    name : str
        The ``method`` the result records (``"nuts"``, ``"exact"``).
    init : callable
        ``(rng_key, inputs) -> state``.
    step : callable
        ``(state, inputs) -> state``: one transition.
    position : callable
        ``state -> draw`` (a dict of site values, unconstrained).
    info : callable
        ``state -> dict`` of the scalar statistics of the transition that made ``state``.
    postprocess : callable
        ``(draw, inputs) -> samples`` (a dict of site values, constrained, with deterministic
        sites).
    key : hashable
        Everything besides the model arguments' structure that fixes the compiled program
        (the model function, options, shapes): two kernels with equal keys and equal argument
        structures share one program.
    params : pytree
        The kernel's own arrays (traced, passed as ``inputs.params``).
    is_valid : callable
        ``state -> bool`` array: whether ``init`` found a valid starting point.
    num_warmup : int
        Steps at the start of each chain whose draws are dropped (the kernel adapts in them).
    iid : bool
        Draws are independent (the exact sampler): reported as ``chain_method="iid"``, with no
        Markov chain warnings.
    max_tree_depth : int, optional
        NUTS's tree depth limit: draws with ``info["n_steps"] >= 2**max_tree_depth - 1`` are
        counted and reported.
    """

    name: str
    init: Callable[[Array, KernelInputs], Any]
    step: Callable[[Any, KernelInputs], Any]
    position: Callable[[Any], Any]
    info: Callable[[Any], Mapping[str, Array]]
    postprocess: Callable[[Any, KernelInputs], dict[str, Array]]
    key: Hashable
    params: Any = ()
    is_valid: Callable[[Any], Array] = field(default=_always_valid)
    num_warmup: int = 0
    iid: bool = False
    max_tree_depth: int | None = None


def constrained_sites(model: Callable[..., Any]) -> Callable[[Any, KernelInputs], dict]:
    """Return a ``postprocess`` for draws of unconstrained site values (``constrain_fn``)."""

    def postprocess(draw: Any, inputs: KernelInputs) -> dict[str, Array]:
        return constrain_fn(model, inputs.args, inputs.kwargs, draw, return_deterministic=True)

    return postprocess


def check_options(
    options: Mapping[str, Any], checks: Mapping[str, Callable[[Any], Any]], kernel: str
) -> dict[str, Any]:
    """Validate sampler options against a kernel's ``checks`` (name -> check returning the value).

    Raises ``ValueError`` naming an unknown option and listing the ones the kernel takes.
    """
    unknown = [name for name in options if name not in checks]
    if unknown:
        allowed = ", ".join(map(repr, checks)) if checks else "none"
        raise ValueError(
            f"unknown sampler option(s) {', '.join(map(repr, unknown))} for the {kernel} "
            f"sampler; it takes: {allowed}."
        )
    return {name: checks[name](value) for name, value in options.items()}


def check_count(value: Any, name: str, *, minimum: int) -> int:
    """Return ``value`` as an int when it is an integer >= ``minimum``; else ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        allowed = "a positive integer" if minimum == 1 else "a non-negative integer"
        raise ValueError(f"{name} must be {allowed}; got {value!r}.")
    return int(value)
