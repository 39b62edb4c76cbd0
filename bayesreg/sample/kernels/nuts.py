"""NUTS (NumPyro's), as a `Kernel`: any NumPyro model, warmup adaptation in the kernel's state.

The kernel wraps ``numpyro.infer.NUTS``: ``init`` is its ``init`` with the warmup length (step
size and mass matrix adapt during the first ``num_warmup`` steps, as in NumPyro's
``MCMC``), ``step`` its ``sample``. Its options (`OPTIONS`) are NumPyro's arguments of the
same names.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
from numpyro.infer import NUTS

from ..._types import Array
from ..kernel import Kernel, KernelInputs, check_count, check_options

__all__ = ["DEFAULTS", "OPTIONS", "nuts_kernel", "step_stats"]


def _probability(value: Any) -> float:
    if isinstance(value, bool) or not 0.0 < float(value) < 1.0:
        raise ValueError(
            f"target_accept_prob must lie in (0, 1); got {value!r} (e.g. 0.8 or 0.95)."
        )
    return float(value)


def _flag(name: str) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be True or False; got {value!r}.")
        return value

    return check


def _step_size(value: Any) -> float:
    if isinstance(value, bool) or not (
        isinstance(value, int | float) and math.isfinite(value) and value > 0
    ):
        raise ValueError(f"step_size must be a positive finite number; got {value!r}.")
    return float(value)


# option -> check returning the value NUTS gets; the names are numpyro.infer.NUTS's arguments
OPTIONS: Mapping[str, Callable[[Any], Any]] = {
    "target_accept_prob": _probability,
    "max_tree_depth": lambda value: check_count(value, "max_tree_depth", minimum=1),
    "dense_mass": _flag("dense_mass"),
    "step_size": _step_size,
    "adapt_step_size": _flag("adapt_step_size"),
    "adapt_mass_matrix": _flag("adapt_mass_matrix"),
}
DEFAULTS: Mapping[str, Any] = {
    "target_accept_prob": 0.8,
    "max_tree_depth": 10,
    "dense_mass": False,
    "step_size": 1.0,
    "adapt_step_size": True,
    "adapt_mass_matrix": True,
}


def step_stats(state: Any) -> dict[str, Array]:
    """Return the ``sample_stats`` of the NUTS transition that made ``state``."""
    return {
        "diverging": state.diverging,
        "lp": -state.potential_energy,
        "energy": state.energy,
        "n_steps": state.num_steps,
        "acceptance_rate": state.accept_prob,
        "step_size": state.adapt_state.step_size,
    }


def _is_valid(state: Any) -> Array:
    """NumPyro's own test of an initial point (``numpyro.infer.util.find_valid_initial_params``)."""
    valid = jnp.isfinite(state.potential_energy)
    for grad in jax.tree.leaves(state.z_grad):
        valid &= jnp.all(jnp.isfinite(grad))
    return valid


def nuts_kernel(
    model: Callable[..., Any], num_warmup: int, options: Mapping[str, Any] | None = None
) -> Kernel:
    """Return NUTS on ``model`` as a `Kernel`, adapting during its first ``num_warmup`` steps.

    ``options`` are checked against `OPTIONS` (``ValueError`` for an unknown one or a bad
    value); those not given take `DEFAULTS`.
    """
    settings = {**DEFAULTS, **check_options(options or {}, OPTIONS, "NUTS")}
    # one NUTS object for init and step: init sets the (untraced) warmup schedule step uses
    sampler = NUTS(model, **settings)

    def init(rng_key: Array, inputs: KernelInputs) -> Any:
        return sampler.init(rng_key, num_warmup, model_args=inputs.args, model_kwargs=inputs.kwargs)

    def step(state: Any, inputs: KernelInputs) -> Any:
        return sampler.sample(state, inputs.args, inputs.kwargs)

    def postprocess(z: Any, inputs: KernelInputs) -> dict[str, Array]:
        return sampler.postprocess_fn(inputs.args, inputs.kwargs)(z)

    return Kernel(
        name="nuts",
        init=init,
        step=step,
        position=lambda state: state.z,
        info=step_stats,
        postprocess=postprocess,
        key=("nuts", model, num_warmup, tuple(sorted(settings.items()))),
        is_valid=_is_valid,
        num_warmup=num_warmup,
        max_tree_depth=settings["max_tree_depth"],
    )
