r"""The MAP objective of a model: its smooth + L1 split, and the point a solve starts from.

$F(\theta) = -\log p(y, \theta) = f(\theta) + \sum_{i \in L} w_i |\theta_i - \mu_i|$, where the
L1 elements $L$, their locations $\mu_i$ and weights $w_i = 1/b_i$ come from each latent site's
prior, asked through `bayesreg.priors.l1_part` (never by testing its class); $f$ holds the rest.
The start is computed outside jit, on concrete values, which also validates the model and
refuses, before any solve, what has no MAP of this form: a prior scale given a hyperprior whose
joint mode is degenerate, and a Laplace prior whose parameters depend on other latent sites.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
from numpyro.distributions.transforms import biject_to

from .. import priors
from .._compile import SplitArguments
from .._trace import (
    constrain_fn,
    latent_sites,
    site_log_prob,
    site_shape,
    trace,
    unconstrained_zero,
)
from .._types import Array, ArrayLike
from .checks import raise_if_l1_parameters_move, raise_if_no_mode, raise_if_random_scale

__all__ = [
    "L1Terms",
    "Setup",
    "model_arguments",
    "setup",
    "smooth_and_l1",
]


class L1Terms(NamedTuple):
    """The L1 term of one site: ``weight * |v - loc|`` elementwise, broadcast to the site."""

    loc: Array
    weight: Array  # 1 / (effective Laplace scale); 0 where the prior is masked out


def model_arguments(split: SplitArguments, traced: list) -> tuple[tuple, dict]:
    """``(args, kwargs)`` from the split of ``(args, kwargs, path_kwargs)``."""
    args, kwargs, path_kwargs = split.merge(traced)
    return args, {**kwargs, **path_kwargs}


def smooth_and_l1(
    model_trace: Mapping[str, dict], l1_sites: frozenset[str]
) -> tuple[Array, dict[str, L1Terms]]:
    """Split ``-log p`` of a trace into its smooth part and the L1 terms of the L1 sites."""
    log_joint = 0.0
    terms = {}
    for name, site in model_trace.items():
        if site["type"] != "sample":
            continue
        if name in l1_sites:
            part = priors.l1_part(site["fn"], site["value"], site["scale"])
            terms[name] = L1Terms(part.loc, 1.0 / part.scale)
            log_joint = log_joint + jnp.sum(part.smooth)
        else:
            log_joint = log_joint + site_log_prob(site)
    return -log_joint, terms


class Setup(NamedTuple):
    """The unconstrained starting values of the latent sites, and which sites have an L1 part."""

    init: dict[str, Array]
    l1_sites: frozenset[str]


def _l1_start(site: dict) -> Array | None:
    """Return the prior's location when its prior has an L1 part (the start), else ``None``."""
    part = priors.l1_part(site["fn"], jnp.zeros(site_shape(site)))
    return None if part is None else part.loc.astype(jnp.result_type(float))


def _prior_location(site: dict) -> Array:
    """Return the deterministic default start of a site without L1 part (`bayesreg.map`)."""
    fn = site["fn"]
    shape = site_shape(site)
    base, _ = priors.unwrap(fn)
    candidates = []
    if base.support is dist.constraints.real or base.support is dist.constraints.real_vector:
        candidates.append(lambda: base.loc)  # a location family: its centre, mean or not
    candidates.append(lambda: fn.mean)
    for candidate in candidates:
        try:
            value = jnp.broadcast_to(jnp.asarray(candidate(), jnp.result_type(float)), shape)
        except (AttributeError, NotImplementedError, ValueError, TypeError):
            continue  # no loc, no mean, or one of another shape
        if bool(jnp.all(jnp.isfinite(value))) and bool(jnp.all(fn.support(value))):
            return value
    return unconstrained_zero(site)


def setup(
    model: Callable, args: tuple, kwargs: dict, init_params: Mapping[str, ArrayLike] | None
) -> Setup:
    """Validate the model on concrete arguments and return its starting point (`bayesreg.map`)."""
    user_init = dict(init_params or {})
    try:
        return _setup_from(model, args, kwargs, user_init, safe=False)
    except _NonFiniteStart:
        pass
    # the prior location can overflow the likelihood (a large column times a prior mean): retry
    # from T(0), which starts every linear predictor at 0
    try:
        return _setup_from(model, args, kwargs, user_init, safe=True)
    except _NonFiniteStart as error:
        raise ValueError(str(error)) from None


class _NonFiniteStart(Exception):
    """The log density of a site is not finite at the starting point."""


def _setup_from(model: Callable, args: tuple, kwargs: dict, user_init: dict, safe: bool) -> Setup:
    l1_sites: set[str] = set()

    def init_fn(site):
        if site["type"] != "sample" or site["is_observed"]:
            return None
        if site["fn"].support.is_discrete:
            raise ValueError(
                f"site '{site['name']}' is discrete ({type(site['fn']).__name__}); MAP over "
                "discrete latent sites is not supported. Marginalize it out or observe it."
            )
        l1_start = _l1_start(site)
        if l1_start is not None:
            l1_sites.add(site["name"])
        if site["name"] in user_init:
            return jnp.asarray(user_init[site["name"]], dtype=jnp.result_type(float))
        if l1_start is not None:
            return l1_start
        if safe:
            return unconstrained_zero(site)
        return _prior_location(site)

    # NumPyro refuses invalid concrete distribution arguments (e.g. a negative scale) here
    model_trace = trace(model, args, kwargs, init_fn)
    latent = latent_sites(model_trace)
    if not latent:
        raise ValueError(
            "the model has no latent sample sites: nothing to estimate. Did you pass the data "
            "for every site as an observation (obs=...)?"
        )
    unknown = set(user_init) - set(latent)
    if unknown:
        raise ValueError(
            f"init_params names site(s) {sorted(unknown)} that are not latent sites of the "
            f"model; latent sites are {sorted(latent)}."
        )
    init = {name: biject_to(site["fn"].support).inv(site["value"]) for name, site in latent.items()}
    l1 = frozenset(l1_sites)
    raise_if_no_mode(model_trace)
    raise_if_random_scale(model_trace, l1)
    if l1 and len(init) > len(l1):
        raise_if_l1_parameters_move(l1, _l1_moves(model, args, kwargs, model_trace, init, l1))
    for name, site in model_trace.items():
        if site["type"] == "sample" and name not in l1_sites:
            log_prob = np.asarray(site_log_prob(site))
            if not np.isfinite(log_prob):
                raise _NonFiniteStart(
                    f"the log density of site '{name}' is {float(log_prob)} at the starting "
                    "point (the prior location, and 0 in the unconstrained space): its value is "
                    "outside the support of its distribution (check the data) or the starting "
                    "value is; pass init_params={...} to start elsewhere."
                )
    return Setup(init, l1)


# each other latent site is moved by this much (times 1, 1.1, 1.2, ... per element) in the
# unconstrained space to see whether the L1 parameters follow it; one site at a time, so that
# moves cannot cancel (the Bayesian lasso's sigma / lam is unchanged when both grow by e^0.5)
_MOVED_OFFSET = 0.5
_MOVED_STEP = 0.1
# a relative change beyond rounding, for parameters computed twice from the same expressions
_MOVED_RTOL = 1e-12


def _l1_moves(
    model: Callable,
    args: tuple,
    kwargs: dict,
    model_trace: Mapping[str, dict],
    init: dict[str, Array],
    l1_sites: frozenset[str],
) -> list[bool]:
    """Whether each L1 site's location or scale changes when another latent site moves.

    Checked on concrete values before any solve, so that a hierarchical Laplace scale (the
    Bayesian lasso's ``sigma / lam``) is refused at once rather than after the solve.
    """
    moves = dict.fromkeys(sorted(l1_sites), False)
    for other in sorted(set(init) - l1_sites):
        value = jnp.asarray(init[other])
        offset = _MOVED_OFFSET * (1.0 + _MOVED_STEP * jnp.arange(value.size))
        moved_init = {**init, other: value + offset.reshape(value.shape)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the model's own warnings came with the first trace
            moved_trace = trace(model, args, kwargs, constrain_fn(moved_init))
        for name in moves:
            here = priors.l1_part(model_trace[name]["fn"], model_trace[name]["value"])
            there = priors.l1_part(moved_trace[name]["fn"], moved_trace[name]["value"])
            moves[name] = moves[name] or not (
                np.allclose(here.loc, there.loc, rtol=_MOVED_RTOL, atol=0.0)
                and np.allclose(here.scale, there.scale, rtol=_MOVED_RTOL, atol=0.0)
            )
    return list(moves.values())
