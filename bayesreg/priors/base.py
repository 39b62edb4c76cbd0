"""What a prior kind answers for the rest of the toolkit, and the registry that finds it.

A *prior kind* (``gaussian``, ``laplace``, ``elastic_net``, ...) is defined once, in its own
module of this wing, as a `PriorKind`. Everything else asks it instead of testing names
or classes:

- ``build(...)`` makes its NumPyro distribution (the public constructors ``gaussian(scale)``,
  ``laplace(scale)``, ``elastic_net(l1_scale, l2_scale)``);
- ``penalty_parts(d)`` says which penalty its negative log density is, up to a constant: an L1
  scale ``b`` (the term ``|w - loc| / b``) and an L2 scale ``tau`` (the term
  ``(w - loc)² / (2 tau²)``), either of them ``None`` when absent. ``bayesreg.penalty`` turns
  ``(b, tau)`` into each penalty convention (scikit-learn, glmnet) and back;
- ``l1_part(d, value)`` splits its log density for the MAP's proximal step into the weight of
  ``|w - loc|`` and a smooth remainder, or says it has no L1 part;
- ``gibbs(d)`` gives its conditionals for the Gibbs sampler (`bayesreg.priors.gibbs`), when it
  is a scale mixture of Normals.

A kind is registered by `register_prior`; `get` finds one by name, `kind_of`
finds the kind of a (possibly ``expand``-ed, ``to_event``-ed or masked) distribution, and
`for_parts` names the kind whose penalty has exactly the given parts. A prior scale is a
number today; a scale given as a distribution (a hyperprior) has no fixed penalty, and
``penalty_parts`` answers ``None`` for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist

from .._trace import is_concrete
from .._types import Array, ArrayLike

__all__ = [
    "L1Part",
    "PenaltyParts",
    "PriorKind",
    "for_parts",
    "get",
    "kind_of",
    "l1_part",
    "names",
    "register_prior",
    "unwrap",
]


class PenaltyParts(NamedTuple):
    """The penalty of a prior: ``|w - loc| / l1_scale + (w - loc)² / (2 l2_scale²)``.

    ``None`` marks a part the prior does not have (``inf`` as a scale).
    """

    l1_scale: Any
    l2_scale: Any
    loc: Any = 0.0


class L1Part(NamedTuple):
    """``log p(v) = -|v - loc| / scale + smooth(v)`` elementwise, for the MAP's proximal step."""

    loc: Array
    scale: Array
    smooth: Array  # the smooth remainder of log p at the value, elementwise


@dataclass(frozen=True)
class PriorKind:
    """One prior kind, defined once (see the module docstring).

    Attributes
    ----------
    name : str
        Its name in estimators and the command line (``"gaussian"``).
    distribution : type
        The NumPyro distribution class it builds.
    parts : tuple of str
        The penalty parts it has, among ``"l1_scale"`` and ``"l2_scale"``.
    build : callable
        ``build(l1_scale=None, l2_scale=None, loc=0.0)`` -> distribution (validated).
    penalty_parts : callable
        ``penalty_parts(d)`` -> `PenaltyParts`, or ``None`` when the scale is random.
    l1_part : callable
        ``l1_part(d, value)`` -> `L1Part`, or ``None`` when it has no L1 term.
    label : str
        How it reads in words, e.g. ``"Normal(0, tau)"``.
    scale_labels : dict of str to str
        Each part in words, e.g. ``{"l2_scale": "Normal scale tau"}``.
    gibbs : callable, optional
        ``gibbs(d)`` -> its `bayesreg.priors.gibbs.GibbsPrior` (the Gibbs sampler's conditionals)
        for a distribution centred at 0; ``None`` when the kind has none.
    """

    name: str
    distribution: type
    parts: tuple[str, ...]
    build: Callable[..., dist.Distribution]
    penalty_parts: Callable[[dist.Distribution], PenaltyParts | None]
    l1_part: Callable[[dist.Distribution, Array], L1Part | None]
    label: str
    scale_labels: dict[str, str]
    gibbs: Callable[[dist.Distribution], Any] | None = None

    def describe(self, parts: PenaltyParts) -> str:
        """Describe the prior with its scales in words: ``"Normal(0, tau), tau = 2"``.

        A scale that differs across weights reads as its range, ``"tau = 0.5 to 2"``.
        """
        shown = ", ".join(
            f"{self.scale_labels[part].split()[-1]} = {_show_scale(getattr(parts, part))}"
            for part in self.parts
        )
        return f"{self.label}, {shown}"


def _show_scale(value: ArrayLike) -> str:
    values = np.asarray(value, dtype=float)
    low, high = float(np.min(values)), float(np.max(values))
    return f"{high:.6g}" if low == high else f"{low:.6g} to {high:.6g}"


_LOCK = threading.Lock()
_BY_NAME: dict[str, PriorKind] = {}
_BY_TYPE: dict[type, PriorKind] = {}


def register_prior(kind: PriorKind) -> PriorKind:
    """Register a prior kind: by name, and by the distribution class it builds."""
    with _LOCK:
        for taken, registry in ((kind.name, _BY_NAME), (kind.distribution, _BY_TYPE)):
            if taken in registry and registry[taken] is not kind:
                raise ValueError(f"a prior kind is already registered for {taken!r}.")
        _BY_NAME[kind.name] = kind
        _BY_TYPE[kind.distribution] = kind
    return kind


def names() -> tuple[str, ...]:
    """Return the names of the registered prior kinds, in registration order."""
    return tuple(_BY_NAME)


def get(name: str) -> PriorKind:
    """Return the prior kind called ``name``; ``ValueError`` naming the choices otherwise."""
    try:
        return _BY_NAME[name]
    except (KeyError, TypeError):
        choices = ", ".join(map(repr, _BY_NAME))
        raise ValueError(f"prior must be one of {choices}; got {name!r}.") from None


def for_parts(l1_scale: Any, l2_scale: Any) -> PriorKind:
    """Return the kind whose penalty has exactly the parts given (``None`` or ``inf``: absent)."""
    given = tuple(
        part
        for part, value in (("l1_scale", l1_scale), ("l2_scale", l2_scale))
        if value is not None and not np.all(np.isinf(np.asarray(value, dtype=float)))
    )
    for kind in _BY_NAME.values():
        if kind.parts == given:
            return kind
    raise ValueError(
        "a prior needs an L1 scale, an L2 scale or both; got neither (both None or inf)."
    )


def unwrap(fn: dist.Distribution) -> tuple[dist.Distribution, Any]:
    """Strip ``expand`` / ``to_event`` / mask wrappers; return the base and the mask (or True)."""
    mask: Any = True
    while True:
        if isinstance(fn, dist.MaskedDistribution):
            mask = fn._mask if mask is True else jnp.logical_and(mask, fn._mask)
            fn = fn.base_dist
        elif isinstance(fn, dist.ExpandedDistribution | dist.Independent):
            fn = fn.base_dist
        else:
            return fn, mask


def kind_of(fn: Any) -> PriorKind | None:
    """Return the registered kind of a distribution (wrappers stripped), or ``None``."""
    if not isinstance(fn, dist.Distribution):
        return None
    base, _ = unwrap(fn)
    # a subclass of a registered distribution (a user's Laplace with extras) is that kind
    return next((_BY_TYPE[cls] for cls in type(base).__mro__ if cls in _BY_TYPE), None)


def l1_part(fn: dist.Distribution, value: ArrayLike, site_scale: Any = None) -> L1Part | None:
    """Return the L1 part of a site's prior, broadcast to the site and weighted by its ``scale``.

    ``None`` when the prior has no L1 term or every element is masked out. The returned
    ``scale`` is ``l1_scale / site_scale`` (the effective Laplace scale), ``inf`` where masked;
    ``smooth`` is zero where masked.
    """
    kind = kind_of(fn)
    if kind is None:
        return None
    base, mask = unwrap(fn)
    if mask is False:
        return None
    value = jnp.asarray(value)
    part = kind.l1_part(base, value)
    if part is None:
        return None
    shape = jnp.shape(value)
    keep = jnp.broadcast_to(jnp.asarray(mask, dtype=bool), shape)
    factor = 1.0 if site_scale is None else site_scale
    scale = jnp.where(keep, jnp.broadcast_to(part.scale, shape) / factor, jnp.inf)
    smooth = jnp.where(keep, factor * jnp.broadcast_to(part.smooth, shape), 0.0)
    return L1Part(jnp.broadcast_to(part.loc, shape), scale, smooth)


def check_scale(value: ArrayLike, name: str) -> None:
    """Refuse a scale that is not a positive finite number (or array of them).

    A traced value (a scale sampled inside a model, `bayesreg.priors.RandomScale`) is not
    checked here: its hyperprior's support keeps it positive.
    """
    if not is_concrete(value):
        return
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(
            f"{name} must be a positive finite number (or array of them); got {arr.tolist()}."
        )


def as_real(value: ArrayLike) -> ArrayLike:
    """Python / NumPy integers as floats, so that they are traced (compiled once) like floats."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.integer):
        return value.astype(float)
    return value
