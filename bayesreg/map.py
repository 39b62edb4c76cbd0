"""MAP estimation (work in progress)."""

from typing import Any, NamedTuple

import jax


class MapResult(NamedTuple):
    """Result of :func:`map_estimate`."""

    params: dict[str, jax.Array]
    objective: float
    num_iter: int
    converged: bool
    optimality: float
    model: Any = None
    args: tuple = ()
    kwargs: dict = {}


def map_estimate(model, *args, **kwargs):
    """MAP estimate (being written)."""
    raise NotImplementedError
