"""What the driver needs to know about a model's sites: latent, observed, deterministic, dims."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from numpyro.infer import init_to_uniform

from .. import _trace
from .._types import Array

__all__ = ["ModelInfo", "inspect_model"]


class ModelInfo(NamedTuple):
    """The sites of a model run: latent and deterministic names, observed values, dims."""

    latent: tuple[str, ...]
    observed: dict[str, np.ndarray]
    deterministic: tuple[str, ...]
    dims: dict[str, list[str]]


def inspect_model(
    model: Callable[..., Any],
    args: tuple,
    kwargs: dict[str, Any],
    feature_names: list[str] | None,
) -> ModelInfo:
    """Run the model once to validate its inputs and read its sites and plates.

    The arguments stay concrete, so the model's checks and warnings on the data run as in an
    eager call, but the latent values (and the random key behind them) are abstract: what
    depends on them is traced, not run, so it compiles no small one-op program (tens of ms each
    on the first call). An observed value computed from traced values falls back to an eager run.
    """
    found: list[ModelInfo | None] = []

    def read_sites(rng_key: Array) -> None:
        with jax.ensure_compile_time_eval():
            model_trace = _trace.trace(model, args, kwargs, init_to_uniform, rng_key)
            found.append(_read_sites(model_trace, feature_names))

    jax.eval_shape(read_sites, jax.ShapeDtypeStruct((2,), jnp.uint32))
    info = found[0]
    if info is None:
        model_trace = _trace.trace(model, args, kwargs, init_to_uniform, 0)
        info = _read_sites(model_trace, feature_names)
    if not info.latent:
        raise ValueError("the model has no latent sample sites; there is nothing to sample.")
    return info


def _read_sites(
    model_trace: Mapping[str, Any], feature_names: list[str] | None
) -> ModelInfo | None:
    """Sites and dims of a model trace; ``None`` when an observed value is not concrete."""
    latent, deterministic, observed, dims = [], [], {}, {}
    for name, site in model_trace.items():
        if site["type"] == "sample":
            if site["is_observed"]:
                if not _trace.is_concrete(site["value"]):
                    return None
                observed[name] = np.asarray(site["value"])
            else:
                latent.append(name)
        elif site["type"] == "deterministic":
            deterministic.append(name)
        else:
            continue
        site_dims = _trace.site_dims(site)
        if name == "coef" and not site_dims and feature_names is not None:
            # a multivariate prior on coef has no plate, but its one axis is still the features
            site_dims = ["features"] if np.ndim(site["value"]) == 1 else []
        if site_dims:
            dims[name] = site_dims
    return ModelInfo(tuple(latent), observed, tuple(deterministic), dims)
