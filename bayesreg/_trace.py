"""The one model tracer: run a NumPyro model under handlers and read what its trace holds.

Used by the MAP (objective, starting point) and by sampling (sites, dims, kernel choice), so
both see a model the same way:

- `trace` runs the model once, seeded, with sample sites optionally substituted;
- `site_log_prob` is a site's summed log density, times its ``scale`` (from
  ``numpyro.handlers.scale`` or a subsampled plate);
- `site_shape`, `latent_sites`, `unconstrained_zero` and
  `constrain_fn` move between a site's constrained value and the unconstrained space in
  which optimizers and samplers work (NumPyro's ``biject_to`` of the support);
- `site_dims` names a site's axes from its plates, ArviZ's ``from_numpyro`` rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from numpyro import handlers
from numpyro.distributions.transforms import biject_to

from ._types import Array

__all__ = [
    "constrain_fn",
    "is_concrete",
    "latent_sites",
    "site_dims",
    "site_log_prob",
    "site_shape",
    "trace",
    "unconstrained_zero",
]

Site = dict[str, Any]
SubstituteFn = Callable[[Site], Any]


def trace(
    model: Callable[..., Any],
    args: tuple,
    kwargs: Mapping[str, Any],
    substitute_fn: SubstituteFn | None = None,
    rng_key: Array | int = 0,
) -> dict[str, Site]:
    """Run ``model(*args, **kwargs)`` once and return its trace (site name -> site dict).

    ``substitute_fn(site)`` gives a sample site its value (``None``: draw it from its
    distribution with the seeded key ``rng_key``), as in ``numpyro.handlers.substitute``.
    """
    seeded = handlers.seed(model, rng_seed=rng_key)
    if substitute_fn is not None:
        seeded = handlers.substitute(seeded, substitute_fn=substitute_fn)
    return handlers.trace(seeded).get_trace(*args, **kwargs)


def site_log_prob(site: Site) -> Array:
    """Return the site's log density at its value, summed, times its ``scale`` when it has one."""
    log_prob = site["fn"].log_prob(site["value"])
    if site["scale"] is not None:
        log_prob = site["scale"] * log_prob
    return jnp.sum(log_prob)


def latent_sites(model_trace: Mapping[str, Site]) -> dict[str, Site]:
    """Return the sample sites that are not observed, in the order the model made them."""
    return {
        name: site
        for name, site in model_trace.items()
        if site["type"] == "sample" and not site["is_observed"]
    }


def site_shape(site: Site) -> tuple[int, ...]:
    """Return the shape of a sample site's value: sample shape + batch shape + event shape."""
    fn = site["fn"]
    return (
        tuple(site["kwargs"].get("sample_shape", ()))
        + tuple(fn.batch_shape)
        + tuple(fn.event_shape)
    )


def unconstrained_zero(site: Site) -> Array:
    """``T(0)``: the point 0 of the unconstrained space, mapped to the site's support."""
    transform = biject_to(site["fn"].support)
    return transform(jnp.zeros(transform.inverse_shape(site_shape(site))))


def constrain_fn(unconstrained: Mapping[str, Array]) -> SubstituteFn:
    """Return a ``substitute_fn`` that sets each named site to ``T(unconstrained[name])``."""

    def substitute_fn(site: Site) -> Array | None:
        if site["type"] == "sample" and site["name"] in unconstrained:
            return biject_to(site["fn"].support)(unconstrained[site["name"]])
        return None

    return substitute_fn


def site_dims(site: Mapping[str, Any]) -> list[str]:
    """Dim names of a site from its plates (ArviZ's ``from_numpyro`` rule); ``[]`` when none."""
    shape = np.shape(site["value"])
    names: list[str | None] = [None] * len(shape)
    for frame in site["cond_indep_stack"]:
        if frame.dim is not None and -len(shape) <= frame.dim < 0:
            names[frame.dim] = frame.name
    if all(n is None for n in names):
        return []
    return [n if n is not None else f"{site['name']}_dim_{i}" for i, n in enumerate(names)]


def is_concrete(value: Any) -> bool:
    """Return whether ``value`` is a concrete value, not a JAX tracer inside a transformation."""
    return not isinstance(value, jax.core.Tracer)
