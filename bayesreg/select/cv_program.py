"""The compiled program of `cv_path` and the argument sets of its folds.

`fold_arguments` gives each member of the batch (every fold's training rows, then all rows)
its arguments, in one of two forms (see `bayesreg.select.cv`): the fold's statistics where the
model reduces its data, else row weights (`bayesreg.select.cv_folds.RowWeighted`).
`cv_program` solves every member's path (`bayesreg.map.program.solve_batch`) and evaluates
the held-out loss of each (member, point) from the observed site's distribution, in one jit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import models
from .._compile import SplitArguments, split_arguments
from .._trace import constrain_fn, site_log_prob, trace
from .._types import Array
from ..map.objective import model_arguments
from ..map.program import solve_batch
from .cv_folds import LOSSES, RowWeighted

__all__ = ["batched_folds", "cv_program", "fold_arguments", "split_members"]

# a fold's statistics stand in for its rows only where the model's density agrees with the
# fold's own reduced arguments at the start to this relative precision (rounding is ~1e-14)
_DENSITY_RTOL = 1e-9
# the (model, structure) pairs whose fold statistics are known to stand in for the fold's rows;
# bounded like the program cache
_STANDS_IN: set = set()
_STANDS_IN_LOCK = threading.Lock()
_STANDS_IN_SIZE = 32
# the weight keyword of the row-weighted model (a name no model of ours takes)
_WEIGHTS = "row_weights"


def batched_folds() -> bool:
    """Whether the folds run in lockstep (``vmap``) rather than one after another (``lax.map``).

    One after another: measured on CPU, a 100-point diabetes path over 5 folds + the refit took
    0.4 s and did not finish in 10 min in lockstep (under ``vmap`` every branch of every
    solve, Newton steps and line searches included, runs for every fold at every iteration).
    Not yet measured on an accelerator.
    """
    return False


def cv_program(
    solve_model: Callable,
    structure: SplitArguments,
    l1_sites: frozenset[str],
    batched: bool,
    member_at: tuple[bool, ...],
    model: Callable,
    loss_structure: SplitArguments,
    row_site: str,
    loss_name: str | None,
    shared: list,
    members: list,
    varying: list,
    init: dict[str, Array],
    tol: Array,
    max_iter: Array,
    loss_fixed: list,
    test_weights: Array,
) -> tuple[Array, ...]:
    """Every member's path, each (member, point)'s held-out loss (or mean); the last's params."""
    params, objective, optimality, num_iter, moved, no_map = solve_batch(
        solve_model, structure, l1_sites, _NEWTON_MAX_DIM, "warm_start", batched, member_at,
        shared, members, varying, init, tol, max_iter,
    )  # fmt: skip

    def per_row(point_params, point):
        args, kwargs = model_arguments(loss_structure, list(loss_fixed) + list(point))
        site = trace(model, args, kwargs, _substitute(point_params))[row_site]
        if loss_name is None:
            return jnp.reshape(site["fn"].mean, (site["value"].shape[0], -1))[:, 0]
        return LOSSES[loss_name](site["fn"], site["value"])

    rows = jax.vmap(lambda fold_params: jax.vmap(per_row)(fold_params, varying))(params)
    if loss_name is not None:
        rows = jnp.sum(rows * test_weights[:, None, :], axis=-1)
        rows = rows / jnp.sum(test_weights, axis=-1)[:, None]
    refit = {name: value[-1] for name, value in params.items()}
    return refit, objective, optimality, num_iter, moved, no_map, rows


# Newton steps on the support only up to this many unknowns (map_estimate's default is 500): a
# CV path solves (folds + 1) x points problems, each Newton step costs a dense Hessian and an
# eigendecomposition, and on 2000 x 200 (5 folds, 20 points, tol 1e-8) first-order steps alone
# took 2.7 s against 4.5 s with Newton steps; below 64 unknowns a Hessian is cheap
_NEWTON_MAX_DIM = 64


def _substitute(params: dict[str, Array]) -> Callable:
    def substitute_fn(site):
        if site["type"] == "sample" and not site["is_observed"]:
            return params.get(site["name"])
        return None

    return substitute_fn


def _take_rows(args: tuple, kwargs: dict, rows: np.ndarray, n: int) -> tuple[tuple, dict]:
    def take(value):
        if isinstance(value, np.ndarray | jax.Array) and value.ndim >= 1 and value.shape[0] == n:
            return value[rows]
        return value

    return tuple(take(a) for a in args), {key: take(v) for key, v in kwargs.items()}


def fold_arguments(
    model: Callable,
    args: tuple,
    kwargs: dict,
    first: dict,
    trains: list,
    n: int,
    dtype: Any,
    init: dict,
) -> tuple[str, Callable, list[SplitArguments]]:
    """Return the route, the model solved, and each member's split arguments.

    Every member starts where `map_estimate` would on all rows (``init``): the default start is
    the prior's location, which does not depend on the rows.
    """
    statistics = _statistics_route(model, args, kwargs, first, trains, n, dtype, init)
    if statistics is not None:
        return "statistics", model, statistics
    splits = []
    for train in trains:
        weights = np.zeros(n, dtype=dtype)
        weights[slice(None) if train is None else train] = 1.0
        tree = (args, {**kwargs, _WEIGHTS: weights}, first)
        splits.append(split_arguments(tree, float_dtype=dtype))
    return "row_weights", RowWeighted(model), splits


def _statistics_route(
    model: Callable,
    args: tuple,
    kwargs: dict,
    first: dict,
    trains: list,
    n: int,
    dtype: Any,
    init: dict,
) -> list[SplitArguments] | None:
    """Each member's reduced arguments (the statistics of its training rows), or ``None``.

    The arguments the reduction adds (e.g. ``sufficient_statistics``) are taken from the fold,
    the rest from the whole data, so every fold has the same shapes. That this is the fold's
    density is checked at the start, against the first fold's own reduced arguments.
    """
    if models.reduced_arguments(model, args, {**kwargs, **first}) is None:
        return None
    splits = []
    for train in trains:
        fold_args, fold_kwargs = (
            (args, kwargs) if train is None else _take_rows(args, kwargs, train, n)
        )
        reduced = models.reduced_arguments(model, fold_args, {**fold_kwargs, **first})
        if reduced is None:
            return None
        added = {key: v for key, v in reduced[1].items() if key not in fold_kwargs | first}
        tree = (args, {**kwargs, **added}, first)
        split = split_arguments(tree, float_dtype=dtype)
        if splits and not _same_structure(split, splits[0]):
            return None
        if not splits and not _stands_in(
            model, split, (args, {**kwargs, **added}), reduced, first, init
        ):
            return None
        splits.append(split)
    return splits


def _stands_in(
    model: Callable, split: SplitArguments, whole: tuple, reduced: tuple, first: dict, init: dict
) -> bool:
    """Whether the whole data with a fold's added arguments give that fold's density.

    Checked at the start, once per model and argument structure (the answer is structural: the
    model reads the rows through the added arguments only).
    """
    key = (model, *split.key)
    try:
        if key in _STANDS_IN:
            return True
    except TypeError:  # an unhashable static argument: check every call
        key = None
    density = _log_density(model, whole[0], {**whole[1], **first}, init)
    fold_density = _log_density(model, reduced[0], reduced[1], init)
    agrees = abs(density - fold_density) <= _DENSITY_RTOL * (1.0 + abs(fold_density))
    if agrees and key is not None:
        with _STANDS_IN_LOCK:
            if len(_STANDS_IN) >= _STANDS_IN_SIZE:
                _STANDS_IN.clear()
            _STANDS_IN.add(key)
    return agrees


def _log_density(model: Callable, args: tuple, kwargs: dict, init: dict) -> float:
    model_trace = trace(model, args, kwargs, constrain_fn(init))
    return float(sum(site_log_prob(s) for s in model_trace.values() if s["type"] == "sample"))


def _same_structure(a: SplitArguments, b: SplitArguments) -> bool:
    if a.treedef != b.treedef or a.traced_at != b.traced_at:
        return False
    if any(np.shape(x) != np.shape(y) for x, y in zip(a.traced, b.traced, strict=True)):
        return False
    try:
        return all(x is y or bool(x == y) for x, y in zip(a.static, b.static, strict=True))
    except Exception:  # an array-valued comparison
        return False


def _same(leaves: list) -> bool:
    """Whether one traced leaf is the same in every fold (then it is passed once)."""
    head = leaves[0]
    if all(leaf is head for leaf in leaves):
        return True
    if all(isinstance(leaf, np.ndarray) for leaf in leaves):
        return all(leaf.shape == head.shape and np.array_equal(leaf, head) for leaf in leaves)
    return False


def split_members(splits: list[SplitArguments], varying: int) -> tuple[tuple, list, list]:
    """Which fixed traced leaves differ between members; the shared ones; the stacked others.

    The trailing ``varying`` leaves (the path's) are left out. Returns ``(member_at, shared,
    members)`` for `bayesreg.map.program.solve_batch`.
    """
    fixed = len(splits[0].traced) - varying
    member_at = tuple(not _same([s.traced[j] for s in splits]) for j in range(fixed))
    shared = [splits[0].traced[j] for j in range(fixed) if not member_at[j]]
    members = [
        jnp.asarray(np.stack([np.asarray(s.traced[j]) for s in splits]))
        for j in range(fixed)
        if member_at[j]
    ]
    return member_at, shared, members
