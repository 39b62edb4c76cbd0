r"""A prior whose scale is itself random: full Bayes for the prior scale (a hyperprior).

``bayesreg.models.laplace(dist.HalfCauchy(1.0))`` or
``bayesreg.models.gaussian(dist.InverseGamma(2.0, 1.0))`` returns a `RandomScale`: not a
distribution but a small program the built-in models run in place of
``numpyro.sample("coef", prior)``. It samples the scale as its own site (``"b"`` for
a Laplace prior, ``"tau"`` for a Normal one) and then the weights given it, so the posterior of
the scale comes with the weights (`bayesreg.sample_posterior`). A hyperprior with one value
(``batch_shape == ()``) is one scale shared by every weight; one with batch shape ``(p,)`` gives
each weight its own scale, sampled under the ``"features"`` plate.

The joint mode is often degenerate: with ``m`` weights at their prior's centre the joint
density of the scale $s$ behaves like $p(s)\, s^{-m}$ as $s \to 0$, which grows without bound
unless the hyperprior density vanishes faster than $s^m$ (an inverse-gamma does; a half-Cauchy,
an exponential or a half-normal do not). `RandomScale.degenerate_mode` checks this numerically,
so that `bayesreg.map_estimate` can say why there is no MAP instead of running into it.

Each weight site made by a `RandomScale` carries ``infer={"random_scale": <the RandomScale>}``
on the scale site, so tools that read a traced model find it (``site["infer"]``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np
import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints

from .._types import Array, ArrayLike
from .base import PriorKind

__all__ = ["INFER_KEY", "RandomScale", "check_hyperprior", "random_scale", "site_names"]

#: the key of a scale site's ``infer`` dict that holds its `RandomScale`
INFER_KEY = "random_scale"

# the scales at which `degenerate_mode` reads the joint density on its way to zero
_PROBE_SCALES = tuple(10.0**-k for k in (2, 4, 8, 16, 32, 64, 128))


def _lower_bound(support: Any) -> float | None:
    """Return the lower end of a support, or ``None`` when it has none (the real line)."""
    while isinstance(support, constraints.independent):
        support = support.base_constraint
    bound = getattr(support, "lower_bound", None)
    if bound is None:
        return None
    try:
        return float(bound)
    except (TypeError, ValueError):  # an array of bounds
        return float(np.min(np.asarray(bound)))


def check_hyperprior(hyperprior: Any, name: str) -> dist.Distribution:
    """Refuse a hyperprior that is not a scalar-event distribution on positive numbers."""
    if not isinstance(hyperprior, dist.Distribution):
        raise TypeError(
            f"{name} must be a positive number or a NumPyro distribution on positive numbers "
            f"(a hyperprior such as dist.HalfCauchy(1.0)); got {type(hyperprior).__name__}."
        )
    if hyperprior.event_shape != ():
        raise ValueError(
            f"the hyperprior {name} must have event shape () (one value per scale); got "
            f"{type(hyperprior).__name__} with event shape {tuple(hyperprior.event_shape)}."
        )
    lower = _lower_bound(hyperprior.support)
    if lower is None or lower < 0:
        raise ValueError(
            f"the hyperprior {name} must put its mass on positive numbers (a scale); "
            f"{type(hyperprior).__name__} has support {hyperprior.support} (values below zero). "
            "Use a distribution on (0, inf), e.g. dist.HalfCauchy(1.0), dist.HalfNormal(1.0), "
            "dist.InverseGamma(2.0, 1.0) or dist.Gamma(2.0, 1.0)."
        )
    return hyperprior


@dataclass(frozen=True, eq=False)
class RandomScale:
    """A prior of a registered kind whose scale(s) are latent sites with a hyperprior.

    Attributes
    ----------
    kind : PriorKind
        The prior kind of the weights given their scale (``bayesreg.priors.get("laplace")``).
    scales : dict of str to Distribution or ArrayLike
        Each scale part of the kind (``"l1_scale"``, ``"l2_scale"``) -> its hyperprior, or a
        fixed positive number.
    names : dict of str to str
        Each random part -> the name of its site (``{"l1_scale": "b"}``).
    loc : ArrayLike
        The prior's centre (0 by default).
    """

    kind: PriorKind
    scales: dict[str, Any]
    names: dict[str, str]
    loc: ArrayLike = 0.0

    def __repr__(self) -> str:
        parts = []
        for part in self.kind.parts:
            scale = self.scales[part]
            if part in self.names:
                parts.append(f"{self.names[part]} ~ {type(scale).__name__}")
            else:
                parts.append(f"{part}={scale!r}")
        return f"RandomScale({self.kind.name}, {', '.join(parts)})"

    @property
    def site_names(self) -> tuple[str, ...]:
        """The names of the scale sites this prior adds to a model, in sampling order."""
        return tuple(self.names[part] for part in self.kind.parts if part in self.names)

    def sample_weights(self, name: str, size: int, plate: str = "features") -> Array:
        """Sample the scale sites, then the ``size`` weights as site ``name`` (inside a model).

        A hyperprior with batch shape ``()`` is sampled once, outside the plate; one with a
        batch shape broadcasting to ``(size,)`` is sampled under the plate ``plate``.
        """
        values: dict[str, Any] = {}
        for part in self.kind.parts:
            scale = self.scales[part]
            if part not in self.names:
                values[part] = scale
                continue
            site = self.names[part]
            if scale.batch_shape == ():
                values[part] = numpyro.sample(site, scale, infer={INFER_KEY: self})
            else:
                try:
                    jax.lax.broadcast_shapes(tuple(scale.batch_shape), (size,))
                except ValueError:
                    raise ValueError(
                        f"the hyperprior of '{site}' has batch shape {tuple(scale.batch_shape)}, "
                        f"which does not broadcast to the {size} weights; give a scalar "
                        "hyperprior or one per weight."
                    ) from None
                with numpyro.plate(plate, size):
                    values[part] = numpyro.sample(site, scale, infer={INFER_KEY: self})
        prior = self.kind.build(**values, loc=self.loc)
        with numpyro.plate(plate, size):
            return numpyro.sample(name, prior)

    def degenerate_mode(self, num_weights: int) -> str | None:
        r"""Say why the joint density has no finite mode over the scales (``None``: it may).

        With every weight at the prior's centre, the joint log density of one random scale $s$
        (the others held at 1) is $\log p(s) + m \log q_s(\text{loc})$ for the weights' prior
        $q_s$; it is read at $s = 10^{-2}, 10^{-4}, \dots, 10^{-128}$. Growing at every step,
        it has no upper bound and the joint mode is degenerate.
        """
        for part, site in self.names.items():
            hyper = self.scales[part]
            heights = []
            for s in _PROBE_SCALES:
                values = {p: (s if p == part else 1.0) for p in self.kind.parts}
                values.update({p: v for p, v in self.scales.items() if p not in self.names})
                values[part] = s
                weights = self.kind.build(**values, loc=self.loc)
                log_weights = float(
                    jax.numpy.sum(weights.log_prob(jax.numpy.asarray(self.loc, float)))
                )
                count = num_weights if hyper.batch_shape == () else 1
                # one shared scale carries m weights; a per-weight scale carries one each
                log_hyper = float(jax.numpy.max(hyper.log_prob(s)))
                heights.append(log_hyper + count * log_weights)
            if all(b > a for a, b in zip(heights, heights[1:], strict=False)) and math.isfinite(
                heights[-1]
            ):
                return (
                    f"as the prior scale '{site}' goes to 0 with the weights at "
                    f"{float(jax.numpy.max(jax.numpy.asarray(self.loc)))}, the joint density "
                    f"grows without bound ({type(hyper).__name__} does not vanish faster than "
                    f"scale^{count} at 0), so the joint posterior mode is degenerate"
                )
        return None


def site_names(part: str, name: str | None) -> dict[str, str] | None:
    """``{part: name}`` when a site name is given, else ``None`` (the kind's default)."""
    return None if name is None else {part: name}


def random_scale(
    kind: PriorKind, scales: dict[str, Any], names: dict[str, str] | None = None, loc=0.0
) -> RandomScale:
    """Build a `RandomScale` of ``kind``: each part in ``scales`` a hyperprior or a number.

    ``names`` (part -> site name) defaults to the kind's scale symbol (``"b"``, ``"tau"``).
    """
    random = {part: v for part, v in scales.items() if isinstance(v, dist.Distribution)}
    for part, site in (names or {}).items():
        if not isinstance(site, str) or not site.isidentifier():
            raise ValueError(f"the site name for {part} must be an identifier; got {site!r}.")
    for part in random:
        check_hyperprior(random[part], kind.scale_labels[part].split()[-1])
    default = {part: kind.scale_labels[part].split()[-1] for part in random}
    chosen = {**default, **(names or {})}
    unknown = set(chosen) - set(random)
    if unknown:
        raise ValueError(
            f"names were given for scale parts {sorted(unknown)} that are not random; the "
            f"random parts are {sorted(random)}."
        )
    return RandomScale(kind=kind, scales=dict(scales), names=chosen, loc=loc)
