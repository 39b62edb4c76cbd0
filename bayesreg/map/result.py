"""What a MAP solve hands back: `MapResult`, `MapPath`, and the warnings a solve can issue."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import jax.numpy as jnp
import numpy as np

from .._repr import site_shapes
from .._types import Array

__all__ = ["ConvergenceWarning", "MapPath", "MapResult", "NoFiniteMapWarning"]


class ConvergenceWarning(UserWarning):
    """A MAP solve stopped before its optimality certificate met the tolerance."""


class NoFiniteMapWarning(ConvergenceWarning):
    """The objective still decreases beyond the returned point: no finite MAP exists that way."""


@dataclass(frozen=True)
class MapResult:
    """The MAP estimate of a NumPyro model, as returned by `map_estimate`.

    Attributes
    ----------
    params : dict of str to jax.Array
        Latent site name -> MAP value, in the model's (constrained) parameterization.
    objective : float
        Negative log joint density at ``params`` (all normalizing constants of the model's
        distributions included; improper priors contribute 0), no Jacobian term.
    num_iter : int
        Iterations of the proximal-gradient loop.
    converged : bool
        Whether ``optimality <= tolerance``.
    optimality : float
        Scale-free KKT measure (see the `bayesreg.map` docstring): the largest minimum-norm
        subgradient of the objective per unconstrained coordinate, each divided by the square
        root of that coordinate's curvature at the default start, relative to the same weighted
        norm of the gradient there. Unchanged by rescaling a column of ``X`` or the whole
        objective. ``inf`` when the objective still decreases along the ray from the start
        through ``params`` (no finite MAP; a `NoFiniteMapWarning` is issued).
    tolerance : float
        The tolerance ``optimality`` was held to.
    model, args, kwargs
        The model function and the data it was fitted on (for predictions and posteriors).
    """

    params: dict[str, Array]
    objective: float
    num_iter: int
    converged: bool
    optimality: float
    tolerance: float = math.nan
    model: Callable | None = None
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        # one screen: never the data (args, kwargs)
        return (
            f"MapResult(params={site_shapes(self.params)}, objective={self.objective:.6g}, "
            f"num_iter={self.num_iter}, converged={self.converged}, "
            f"optimality={self.optimality:.2e}, tolerance={self.tolerance:.1e})"
        )


@dataclass(frozen=True)
class MapPath:
    """MAP estimates along a path of model arguments, as returned by `map_path`.

    Attributes
    ----------
    path : dict of str to list
        The keyword arguments that vary: name -> the ``k`` values, in the order solved.
    params : dict of str to numpy.ndarray
        Latent site name -> MAP values, with a leading axis of length ``k``.
    objective, optimality : numpy.ndarray
        Per point, shape ``(k,)``; as in `MapResult`.
    num_iter : numpy.ndarray
        Proximal-gradient iterations per point, shape ``(k,)``.
    converged : numpy.ndarray
        Whether each point's optimality certificate met ``tolerance``, shape ``(k,)``.
    tolerance : float
        The tolerance every point was held to (the same standard as `map_estimate`).
    method : str
        ``"warm_start"`` or ``"vmap"``.
    model, args, kwargs
        The model function and its fixed arguments.

    Notes
    -----
    ``len(path_result)`` is ``k`` and ``path_result[i]`` is the `MapResult` of point ``i``
    (for `bayesreg.predict`, `bayesreg.compare`, ...).
    """

    path: dict[str, list]
    params: dict[str, np.ndarray]
    objective: np.ndarray
    optimality: np.ndarray
    num_iter: np.ndarray
    converged: np.ndarray
    tolerance: float
    method: str
    model: Callable | None = None
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.objective.shape[0])

    def __getitem__(self, i: int) -> MapResult:
        index = range(len(self))[i]  # IndexError for a point outside the path
        return MapResult(
            params={name: jnp.asarray(value[index]) for name, value in self.params.items()},
            objective=float(self.objective[index]),
            num_iter=int(self.num_iter[index]),
            converged=bool(self.converged[index]),
            optimality=float(self.optimality[index]),
            tolerance=self.tolerance,
            model=self.model,
            args=self.args,
            kwargs={**self.kwargs, **{k: v[index] for k, v in self.path.items()}},
        )

    def __repr__(self) -> str:
        return (
            f"MapPath(path={list(self.path)}, points={len(self)}, "
            f"params={site_shapes(self.params, leading_axes=1)}, "
            f"method={self.method!r}, all_converged={bool(np.all(self.converged))})"
        )
