"""The Laplace prior: its MAP under a Gaussian likelihood is the lasso, with exact zeros.

``-log p(w) = |w - loc| / b + log(2 b)``, the L1 penalty; ``bayesreg.penalty`` gives the lasso
``alpha = sigma² / (n b)`` (scikit-learn's ``||y - Xw||² / (2n) + alpha ||w||₁``).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpyro.distributions as dist

from .._types import Array, ArrayLike
from .base import L1Part, PenaltyParts, PriorKind, as_real, check_scale, register_prior

__all__ = ["LAPLACE", "laplace"]


def laplace(scale: ArrayLike, loc: ArrayLike = 0.0) -> dist.Laplace:
    """Laplace(loc, scale) prior on each weight; its MAP is ``Lasso(alpha=sigma²/(n scale))``."""
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
    )
)
