"""`map_path`: MAP estimates over a grid of model arguments, in one compiled run."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import models
from .._compile import MODEL_LOCK, is_traced, split_arguments
from .._types import Array, ArrayLike
from .._validation import check_argument, prepare_model_arguments
from .checks import (
    check_options,
    raise_if_l1_parameters_move,
    raise_if_not_finite,
    warn_no_finite_map,
)
from .objective import model_arguments, setup
from .program import SOLVERS, solve_path
from .result import ConvergenceWarning, MapPath

__all__ = ["check_path_outcome", "map_path", "path_values", "stack_path"]

_PATH_METHODS = ("warm_start", "vmap")
# a warning names at most this many path points (a long path would flood the message)
_POINTS_SHOWN = 10


def path_values(path: Any, kwargs: Mapping[str, Any]) -> dict[str, list]:
    """Check ``path`` (name -> sequence) against ``kwargs``; return name -> list of values."""
    example = "e.g. path={'prior': [bayesreg.models.laplace(b) for b in scales]}"
    if not isinstance(path, Mapping) or not path:
        raise TypeError(
            "path must be a non-empty dict of keyword argument name -> sequence of values, "
            f"{example}; got {type(path).__name__}."
        )
    values: dict[str, list] = {}
    for name, sequence in path.items():
        if not isinstance(name, str):
            raise TypeError(f"path keys must be keyword argument names (str); got {name!r}.")
        if name in kwargs:
            raise ValueError(
                f"'{name}' is given both in path and as a keyword argument; give it once."
            )
        if isinstance(sequence, str | bytes | Mapping) or not hasattr(sequence, "__len__"):
            raise TypeError(
                f"path['{name}'] must be a sequence (list, tuple, 1-d array) of values, {example}; "
                f"got {type(sequence).__name__}."
            )
        values[name] = [
            check_argument(value, f"path['{name}'][{i}]") for i, value in enumerate(sequence)
        ]
    lengths = {name: len(v) for name, v in values.items()}
    if len(set(lengths.values())) != 1 or 0 in lengths.values():
        raise ValueError(
            f"every path entry must hold the same positive number of values; got lengths {lengths}."
        )
    return values


def stack_path(values: dict[str, list], dtype: Any) -> tuple[dict[str, Any], list[Array]]:
    """Check that every point has one structure; stack the traced leaves along a new axis."""
    first = {name: v[0] for name, v in values.items()}
    leaves0, treedef0 = jax.tree_util.tree_flatten(first)
    traced_at = [is_traced(leaf) for leaf in leaves0]
    columns: list[list] = [[] for _ in leaves0]
    k = len(next(iter(values.values())))
    for i in range(k):
        point = {name: v[i] for name, v in values.items()}
        leaves, treedef = jax.tree_util.tree_flatten(point)
        same = treedef == treedef0 and [is_traced(leaf) for leaf in leaves] == traced_at
        if same:
            for j, (leaf, leaf0) in enumerate(zip(leaves, leaves0, strict=True)):
                if not traced_at[j]:
                    same = same and _static_equal(leaf, leaf0)
                elif np.shape(leaf) != np.shape(leaf0):
                    same = False
                columns[j].append(leaf)
        if not same:
            raise ValueError(
                f"the path's values must share one structure (the same distribution type, "
                f"argument shapes and non-array settings; numbers that vary must be floats, "
                f"ints are fixed settings); point {i} ({point!r}) differs from point 0 "
                f"({first!r})."
            )
    stacked = []
    for column, traced in zip(columns, traced_at, strict=True):
        if traced:
            array = jnp.asarray(np.stack([np.asarray(leaf) for leaf in column]))
            if jnp.issubdtype(array.dtype, jnp.floating):
                array = array.astype(dtype)
            stacked.append(array)
    return first, stacked


def check_path_outcome(
    l1_sites: frozenset[str],
    moved: Any,
    objective: Any,
    optimality: Any,
    num_iter: Any,
    no_map: Any,
    tol: float,
    where: str,
) -> np.ndarray:
    """Raise or warn on the outcome of a path solve; return which points converged.

    The arrays hold one entry per point (any leading shape, e.g. folds x points, flattened in
    the messages). Raises on moving Laplace parameters and on a non-finite objective; one
    `NoFiniteMapWarning` and one `ConvergenceWarning` (issued as seen from the caller's
    caller) name the points concerned.
    """
    raise_if_l1_parameters_move(l1_sites, moved)
    objective, optimality = np.asarray(objective), np.asarray(optimality)
    num_iter, no_map = np.asarray(num_iter), np.asarray(no_map)
    for i in np.flatnonzero(~np.isfinite(objective))[:1]:
        where_point = f" at path point {_point(i, objective)}"
        raise_if_not_finite(float(objective.flat[i]), int(num_iter.flat[i]), where_point)
    converged = optimality <= tol
    if np.any(no_map):
        points = [_point(i, no_map) for i in np.flatnonzero(no_map)[:_POINTS_SHOWN]]
        warn_no_finite_map(f"{where} (points {points})", stacklevel=4)
    if not np.all(converged | no_map):
        missed = np.flatnonzero(~converged & ~no_map)
        more = " ..." if missed.size > _POINTS_SHOWN else ""
        points = [_point(i, converged) for i in missed[:_POINTS_SHOWN]]
        warnings.warn(
            f"{where}: {missed.size} of {converged.size} points did not converge (points "
            f"{points}{more}; worst optimality {float(np.max(optimality.flat[missed])):.2e} > "
            f"tol {tol:.1e}). Increase max_iter, standardize the columns of X, or loosen tol.",
            ConvergenceWarning,
            stacklevel=3,
        )
    return converged


def _point(flat_index: int, array: np.ndarray) -> Any:
    """Return a point's index as the user reads it: an int on a path, a tuple on a batch."""
    index = np.unravel_index(flat_index, np.shape(array))
    return int(index[0]) if len(index) == 1 else tuple(int(i) for i in index)


def _static_equal(a: Any, b: Any) -> bool:
    try:
        return bool(a is b or a == b)
    except Exception:  # e.g. an array-valued comparison
        return False


def map_path(
    model: Callable,
    *args: Any,
    path: Mapping[str, Any],
    method: str = "warm_start",
    tol: float | None = None,
    max_iter: int = 20_000,
    init_params: Mapping[str, ArrayLike] | None = None,
    dtype: str | Any = "float64",
    newton_max_dim: int = 500,
    **kwargs: Any,
) -> MapPath:
    r"""MAP estimates over a grid of model arguments (a regularization path), in one compiled run.

    Each point is exactly the `map_estimate` of the model with those arguments, held to the
    same optimality certificate, but the whole grid is one call of one compiled program: no Python
    work, data transfer or dispatch per point.

    Parameters
    ----------
    model : callable
        A NumPyro model function.
    *args, **kwargs
        Fixed model arguments, as for `map_estimate`.
    path : dict of str to sequence
        Keyword arguments that vary: name -> ``k`` values, all of one structure (e.g. the same
        distribution type with scalar parameters). Several names vary together, point by point.
        Example: ``path={"prior": [bayesreg.models.laplace(b) for b in scales]}``.
    method : {"warm_start", "vmap"}
        ``"warm_start"`` (default): the points are solved in the given order, each starting from
        the previous solution (a ``lax.scan``); order them from strong to weak shrinkage (small
        to large prior scales, as ``lasso_path`` goes from large to small ``alpha``).
        ``"vmap"``: all points at once from the default start (a batched solve). Warm starts
        are the default because they measured faster on CPU (``make bench``: 1.4× vs 3.1× the
        time of ``lasso_path`` on diabetes, 45× vs 1650× at 2000×200): a batched loop runs
        until its slowest point converges, and under ``vmap`` a Newton step is computed for
        every point at every iteration.
    tol, max_iter, init_params, dtype, newton_max_dim
        As for `map_estimate`; ``init_params`` is the start of the first point (of every
        point with ``"vmap"``).

    Returns
    -------
    MapPath
        Parameters with a leading axis over the path; ``result[i]`` is the `MapResult` of
        point ``i``. One `ConvergenceWarning` names the points that missed the tolerance;
        one `NoFiniteMapWarning` the points without a finite MAP (optimality ``inf``).

    Notes
    -----
    Every point is held to `map_estimate`'s scale-free certificate, with the curvature and
    gradient scales taken at the default start, so a warm start changes nothing but the work.
    Thread-safe like `map_estimate`: the whole call holds ``bayesreg._compile.MODEL_LOCK``,
    so concurrent calls run one at a time.

    Examples
    --------
    >>> import numpy as np, bayesreg as br
    >>> from sklearn.datasets import load_diabetes
    >>> X, y = load_diabetes(return_X_y=True)
    >>> scales = np.geomspace(1.0, 1000.0, 20)
    >>> fits = br.map_path(br.models.linear, X, y, sigma=55.0,
    ...                    path={"prior": [br.models.laplace(b) for b in scales]})
    >>> fits.params["coef"].shape, int((fits.params["coef"][0] == 0).sum())
    ((20, 10), 10)
    """
    with MODEL_LOCK:
        dtype, tol = check_options(model, dtype, tol, max_iter)
        if method not in _PATH_METHODS:
            raise ValueError(f"method must be one of {_PATH_METHODS}; got {method!r}.")
        values = path_values(path, kwargs)
        args, kwargs, _ = prepare_model_arguments(model, args, kwargs)
        first, varying = stack_path(values, dtype)
        # the model's data-dependent defaults written out (e.g. linear's sigma prior), unless
        # the path itself varies them
        resolved = models.resolved_arguments(model, args, {**kwargs, **first})
        kwargs = {k: v for k, v in resolved.items() if k not in first}
        # the model's own cheaper arguments for the same density (e.g. X'X): every point shares them
        reduced = models.reduced_arguments(model, args, {**kwargs, **first})
        if reduced is not None:
            solve_args = reduced[0]
            solve_kwargs = {k: v for k, v in reduced[1].items() if k not in first}
        else:
            solve_args, solve_kwargs = args, kwargs
        split = split_arguments((solve_args, solve_kwargs, first), float_dtype=dtype)
        concrete_args, concrete_kwargs = model_arguments(split, split.traced)
        start = setup(model, concrete_args, concrete_kwargs, init_params)
        init = {k: jnp.asarray(v, dtype) for k, v in start.init.items()}

        def make():
            structure = split._replace(traced=[])
            return jax.jit(
                partial(solve_path, model, structure, start.l1_sites, newton_max_dim, method)
            )

        key = ("path", method, model, *split.key, start.l1_sites, newton_max_dim)
        solver, _ = SOLVERS.get(key, make)
        params, objective, optimality, num_iter, moved, no_map = jax.device_get(
            solver(
                split.traced,
                varying,
                init,
                jnp.asarray(tol, dtype),
                jnp.asarray(max_iter, jnp.int32),
            )
        )
        converged = check_path_outcome(
            start.l1_sites, moved, objective, optimality, num_iter, no_map, tol, "map_path"
        )
        return MapPath(
            path=values,
            params={name: np.asarray(value) for name, value in params.items()},
            objective=np.asarray(objective, dtype=float),
            optimality=np.asarray(optimality, dtype=float),
            num_iter=np.asarray(num_iter, dtype=int),
            converged=converged,
            tolerance=float(tol),
            method=method,
            model=model,
            args=args,
            kwargs=kwargs,
        )
