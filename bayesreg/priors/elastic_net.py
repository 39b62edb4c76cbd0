r"""The elastic-net prior: its MAP under a Gaussian likelihood is the elastic net.

``-log p(w) = |w - loc| / b + (w - loc)² / (2 tau²) + log Z``, both penalties at once;
``bayesreg.penalty`` gives scikit-learn's ``ElasticNet(alpha, l1_ratio)`` and glmnet's
``(lambda, alpha)`` for it.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpyro.distributions as dist
from jax.scipy.special import log_ndtr, ndtr, ndtri
from numpyro.distributions import constraints
from numpyro.distributions.util import promote_shapes, validate_sample

from .._types import Array, ArrayLike, PRNGKey
from .base import L1Part, PenaltyParts, PriorKind, as_real, check_scale, register_prior
from .gibbs import elastic_net_gibbs
from .hierarchical import RandomScale, random_scale

__all__ = ["ELASTIC_NET", "ElasticNetPrior", "elastic_net"]


class ElasticNetPrior(dist.Distribution):
    r"""Elastic-net prior: density $\propto \exp(-|w - \mu|/b - (w - \mu)^2 / (2\tau^2))$.

    Its mode under a Gaussian likelihood is the elastic-net estimate (`bayesreg.penalty`).
    The normalizing constant is closed form,

    $$
    Z = 2\tau\sqrt{\pi/2}\;\operatorname{erfcx}\!\big(\tau / (b\sqrt2)\big),
    $$

    evaluated as ``log_ndtr`` so it stays finite for any ratio ``tau / b``. Each half is a
    Normal(-tau²/b, tau) truncated to the positive axis, which is how it is sampled.

    Parameters
    ----------
    loc : ArrayLike
        Centre $\mu$.
    l1_scale : ArrayLike
        Laplace scale $b > 0$ (the L1 part).
    l2_scale : ArrayLike
        Gaussian scale $\tau > 0$ (the L2 part).
    """

    arg_constraints = {
        "loc": constraints.real,
        "l1_scale": constraints.positive,
        "l2_scale": constraints.positive,
    }
    support = constraints.real
    reparametrized_params = ["loc"]
    pytree_data_fields = ("loc", "l1_scale", "l2_scale")

    def __init__(
        self,
        loc: ArrayLike = 0.0,
        l1_scale: ArrayLike = 1.0,
        l2_scale: ArrayLike = 1.0,
        *,
        validate_args: bool | None = None,
    ) -> None:
        self.loc, self.l1_scale, self.l2_scale = promote_shapes(loc, l1_scale, l2_scale)
        batch_shape = jax.lax.broadcast_shapes(
            jnp.shape(loc), jnp.shape(l1_scale), jnp.shape(l2_scale)
        )
        super().__init__(batch_shape=batch_shape, validate_args=validate_args)

    def _ratio(self) -> Array:
        # a = tau / b: the truncation point of each half in standard-normal units.
        return self.l2_scale / self.l1_scale

    def log_normalizer(self) -> Array:
        """``log Z`` (see the class docstring), finite for every positive ``b`` and ``tau``."""
        a = self._ratio()
        return (
            jnp.log(2.0 * self.l2_scale) + 0.5 * math.log(2.0 * math.pi) + 0.5 * a**2 + log_ndtr(-a)
        )

    @validate_sample
    def log_prob(self, value: ArrayLike) -> Array:
        """Log density ``-|w - loc|/b - (w - loc)²/(2 tau²) - log Z``."""
        z = value - self.loc
        return -jnp.abs(z) / self.l1_scale - 0.5 * (z / self.l2_scale) ** 2 - self.log_normalizer()

    def sample(self, key: PRNGKey, sample_shape: tuple[int, ...] = ()) -> Array:
        """Draw by a random sign times a positive-truncated Normal(-tau²/b, tau)."""
        shape = sample_shape + self.batch_shape
        key_sign, key_u, key_e = jax.random.split(key, 3)
        a = jnp.broadcast_to(self._ratio(), shape)
        u = jax.random.uniform(key_u, shape, minval=jnp.finfo(jnp.result_type(float)).tiny)
        # Inverse CDF of a standard normal truncated to [a, inf); far in the tail (a > 30)
        # Phi(-a) underflows and the exponential approximation a + E/a is exact to ~1/a^2.
        z_cdf = -ndtri(u * ndtr(-jnp.minimum(a, 30.0)))
        z_tail = a + jax.random.exponential(key_e, shape) / a
        z = jnp.where(a > 30.0, z_tail, z_cdf)
        magnitude = jnp.maximum(self.l2_scale * (z - a), 0.0)
        sign = jnp.where(jax.random.bernoulli(key_sign, 0.5, shape), 1.0, -1.0)
        return self.loc + sign * magnitude

    @property
    def mean(self) -> Array:
        """The centre ``loc`` (the density is symmetric about it)."""
        return jnp.broadcast_to(self.loc, self.batch_shape)

    @property
    def variance(self) -> Array:
        """``tau² (1 + a² - a λ(a))`` with ``a = tau/b`` and ``λ`` the inverse Mills ratio."""
        a = self._ratio()
        mills = jnp.exp(-0.5 * a**2 - 0.5 * math.log(2.0 * math.pi) - log_ndtr(-a))
        return jnp.broadcast_to(self.l2_scale**2 * (1.0 + a**2 - a * mills), self.batch_shape)


def elastic_net(
    l1_scale: ArrayLike | dist.Distribution,
    l2_scale: ArrayLike | dist.Distribution,
    loc: ArrayLike = 0.0,
    *,
    names: dict[str, str] | None = None,
) -> ElasticNetPrior | RandomScale:
    """Elastic-net prior ``∝ exp(-|w|/l1_scale - w²/(2 l2_scale²))``; its MAP is the elastic net.

    Either scale may be a hyperprior (a NumPyro distribution on positive numbers): the result
    is then a `bayesreg.priors.RandomScale` sampling it as the site ``"b"`` (``l1_scale``) or
    ``"tau"`` (``l2_scale``); ``names`` (part -> site name) renames them.
    """
    scales = {"l1_scale": l1_scale, "l2_scale": l2_scale}
    if any(isinstance(v, dist.Distribution) for v in scales.values()):
        for part, value in scales.items():
            if not isinstance(value, dist.Distribution):
                check_scale(value, part)
        return random_scale(ELASTIC_NET, scales, names, loc)
    if names is not None:
        raise ValueError("names= names random scales' sites; give a scale as a distribution.")
    check_scale(l1_scale, "l1_scale")
    check_scale(l2_scale, "l2_scale")
    return ElasticNetPrior(as_real(loc), as_real(l1_scale), as_real(l2_scale))


def _build(l1_scale: ArrayLike | None = None, l2_scale: ArrayLike | None = None, loc=0.0):
    for name, value in (("l1_scale", l1_scale), ("l2_scale", l2_scale)):
        if value is None:
            raise ValueError(f"the elastic_net prior needs both scales; {name} is None.")
    return elastic_net(l1_scale, l2_scale, loc)


def _penalty_parts(d: ElasticNetPrior) -> PenaltyParts:
    return PenaltyParts(d.l1_scale, d.l2_scale, d.loc)


def _l1_part(d: ElasticNetPrior, value: Array) -> L1Part:
    z = (value - d.loc) / d.l2_scale
    return L1Part(d.loc, d.l1_scale, -0.5 * z**2 - d.log_normalizer())


ELASTIC_NET = register_prior(
    PriorKind(
        name="elastic_net",
        distribution=ElasticNetPrior,
        parts=("l1_scale", "l2_scale"),
        build=_build,
        penalty_parts=_penalty_parts,
        l1_part=_l1_part,
        label="elastic net exp(-|w|/b - w²/(2 tau²))",
        scale_labels={"l1_scale": "Laplace scale b", "l2_scale": "Normal scale tau"},
        gibbs=lambda d: elastic_net_gibbs(d.l1_scale, d.l2_scale),
    )
)
