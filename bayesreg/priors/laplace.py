"""The Laplace prior: its MAP under a Gaussian likelihood is the lasso, with exact zeros.

``-log p(w) = |w - loc| / b + log(2 b)``, the L1 penalty; ``bayesreg.penalty`` gives the lasso
``alpha = sigma² / (n b)`` (scikit-learn's ``||y - Xw||² / (2n) + alpha ||w||₁``).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpyro.distributions as dist

from .._types import Array, ArrayLike
from .base import L1Part, PenaltyParts, PriorKind, as_real, check_scale, register_prior
from .gibbs import laplace_gibbs
from .hierarchical import RandomScale, random_scale, site_names

__all__ = ["LAPLACE", "laplace"]


def laplace(
    scale: ArrayLike | dist.Distribution, loc: ArrayLike = 0.0, *, name: str | None = None
) -> dist.Laplace | RandomScale:
    """Laplace(loc, scale) prior on each weight; its MAP is ``Lasso(alpha=sigma²/(n scale))``.

    ``scale`` may be a hyperprior (a NumPyro distribution on positive numbers, e.g.
    ``dist.HalfCauchy(1.0)``): the result is then a `bayesreg.priors.RandomScale` that samples
    the scale as the site ``name`` (default ``"b"``) before the weights.
    """
    if isinstance(scale, dist.Distribution):
        return random_scale(LAPLACE, {"l1_scale": scale}, site_names("l1_scale", name), loc)
    if name is not None:
        raise ValueError("name= names a random scale's site; give scale as a distribution.")
    check_scale(scale, "scale")
    return dist.Laplace(as_real(loc), as_real(scale))


def _build(l1_scale: ArrayLike | None = None, l2_scale: ArrayLike | None = None, loc=0.0):
    if l2_scale is not None:
        raise ValueError("the laplace prior has no L2 scale; use elastic_net for both parts.")
    return laplace(l1_scale, loc)


def _penalty_parts(d: dist.Laplace) -> PenaltyParts:
    return PenaltyParts(d.scale, None, d.loc)


def _l1_part(d: dist.Laplace, value: Array) -> L1Part:
    return L1Part(d.loc, d.scale, -jnp.log(2.0 * d.scale))


LAPLACE = register_prior(
    PriorKind(
        name="laplace",
        distribution=dist.Laplace,
        parts=("l1_scale",),
        build=_build,
        penalty_parts=_penalty_parts,
        l1_part=_l1_part,
        label="Laplace(0, b)",
        scale_labels={"l1_scale": "Laplace scale b"},
        gibbs=lambda d: laplace_gibbs(d.scale),
    )
)
