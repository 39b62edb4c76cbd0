"""The Normal prior: its MAP under a Gaussian likelihood is ridge regression.

``-log p(w) = (w - loc)² / (2 tau²) + const``, the L2 penalty; ``bayesreg.penalty`` gives the
ridge ``alpha = sigma² / tau²`` (scikit-learn's ``||y - Xw||² + alpha ||w||²``).
"""

from __future__ import annotations

import numpyro.distributions as dist

from .._types import Array, ArrayLike
from .base import PenaltyParts, PriorKind, as_real, check_scale, register_prior
from .gibbs import gaussian_gibbs
from .hierarchical import RandomScale, random_scale, site_names

__all__ = ["GAUSSIAN", "gaussian"]


def gaussian(
    scale: ArrayLike | dist.Distribution, loc: ArrayLike = 0.0, *, name: str | None = None
) -> dist.Normal | RandomScale:
    """Normal(loc, scale) prior on each weight; its MAP is ridge, ``Ridge(alpha=sigma²/scale²)``.

    ``scale`` may be a hyperprior (a NumPyro distribution on positive numbers, e.g.
    ``dist.InverseGamma(2.0, 1.0)``): the result is then a `bayesreg.priors.RandomScale` that
    samples the scale as the site ``name`` (default ``"tau"``) before the weights.
    """
    if isinstance(scale, dist.Distribution):
        return random_scale(GAUSSIAN, {"l2_scale": scale}, site_names("l2_scale", name), loc)
    if name is not None:
        raise ValueError("name= names a random scale's site; give scale as a distribution.")
    check_scale(scale, "scale")
    return dist.Normal(as_real(loc), as_real(scale))


def _build(l1_scale: ArrayLike | None = None, l2_scale: ArrayLike | None = None, loc=0.0):
    if l1_scale is not None:
        raise ValueError("the gaussian prior has no L1 scale; use elastic_net for both parts.")
    return gaussian(l2_scale, loc)


def _penalty_parts(d: dist.Normal) -> PenaltyParts:
    return PenaltyParts(None, d.scale, d.loc)


def _no_l1(d: dist.Distribution, value: Array) -> None:
    return None


GAUSSIAN = register_prior(
    PriorKind(
        name="gaussian",
        distribution=dist.Normal,
        parts=("l2_scale",),
        build=_build,
        penalty_parts=_penalty_parts,
        l1_part=_no_l1,
        label="Normal(0, tau)",
        scale_labels={"l2_scale": "Normal scale tau"},
        gibbs=lambda d: gaussian_gibbs(d.scale),
    )
)
