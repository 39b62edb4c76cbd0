"""The compiled programs `map_estimate` and `map_path` run: model -> objective -> solver.

Each is jitted once per model structure (one jit boundary, in `map_estimate` / `map_path`) and
kept in `SOLVERS`, so a second call with the same model and shapes does not recompile. Only the
structure of the arguments is bound in; their traced values are the programs' inputs.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from .._compile import ProgramCache, SplitArguments
from .._trace import constrain_fn, trace
from .._types import Array
from .objective import model_arguments, smooth_and_l1
from .solver import minimize

__all__ = ["SOLVERS", "solve", "solve_batch", "solve_from", "solve_path"]

# compiled solves, keyed by model and argument structure; 32 covers a session's distinct models
# and shapes while bounding the memory the compiled programs hold
SOLVERS = ProgramCache(size=32)

# the L1 parameters are compared at the default start and at a point moved by this much in every
# unconstrained coordinate (any non-zero move shows a dependence on other latent sites)
_MOVED_OFFSET = 0.5
# a relative change beyond rounding, for parameters computed twice by the same program
_MOVED_RTOL = 1e-12


def _differs(a: Array, b: Array) -> Array:
    return jnp.any(jnp.abs(a - b) > _MOVED_RTOL * (1.0 + jnp.abs(a)))


def solve_from(
    model: Callable,
    split: SplitArguments,
    l1_sites: frozenset[str],
    newton_max_dim: int,
    traced: list,
    init: dict[str, Array],
    x_start: Array,
    tol: Array,
    max_iter: Array,
) -> tuple[Array, dict[str, Array], Array, Array, Array, Array, Array]:
    """Solve from ``x_start``; ``init`` (the default start) sets the certificate's scale.

    Returns ``(x, params, objective, optimality, num_iter, moved, no_map)``; ``moved`` flags (per
    L1 site, sorted by name) Laplace parameters that change with the other latent sites;
    ``no_map`` that the objective still decreases beyond the certified point (optimality inf).
    """
    args, kwargs = model_arguments(split, traced)
    x0, unravel = ravel_pytree(init)

    def run(x):
        return smooth_and_l1(trace(model, args, kwargs, constrain_fn(unravel(x))), l1_sites)

    def smooth(x):
        return run(x)[0]

    terms = run(x0)[1]
    # the L1 parameters must not depend on other latent sites: compare them at a moved point
    moved_terms = run(x0 + _MOVED_OFFSET)[1] if len(init) > 1 else terms
    moved = jnp.array(
        [
            _differs(terms[k].loc, moved_terms[k].loc)
            | _differs(terms[k].weight, moved_terms[k].weight)
            for k in sorted(l1_sites)
        ],
        dtype=bool,
    )
    zeros = {name: jnp.zeros_like(value) for name, value in init.items()}
    loc, _ = ravel_pytree({**zeros, **{k: t.loc for k, t in terms.items()}})
    weight, _ = ravel_pytree({**zeros, **{k: t.weight for k, t in terms.items()}})
    loc = jnp.where(weight > 0, loc, 0.0).astype(x0.dtype)
    weight = weight.astype(x0.dtype)

    state, optimality, no_map = minimize(
        smooth, loc, weight, x0, x_start, tol, max_iter, newton_max_dim
    )
    final_trace = trace(model, args, kwargs, constrain_fn(unravel(state.x)))
    params = {name: final_trace[name]["value"] for name in init}
    return state.x, params, state.objective, optimality, state.num_iter, moved, no_map


def solve(
    model: Callable,
    split: SplitArguments,
    l1_sites: frozenset[str],
    newton_max_dim: int,
    traced: list,
    init: dict[str, Array],
    tol: Array,
    max_iter: Array,
) -> tuple[dict[str, Array], Array, Array, Array, Array, Array]:
    """``(params, objective, optimality, num_iter, moved, no_map)`` of one solve (`solve_from`)."""
    x0, _ = ravel_pytree(init)
    solution = solve_from(model, split, l1_sites, newton_max_dim, traced, init, x0, tol, max_iter)
    return solution[1:]


def solve_warm(
    model: Callable,
    split: SplitArguments,
    l1_sites: frozenset[str],
    newton_max_dim: int,
    traced: list,
    init: dict[str, Array],
    start: dict[str, Array],
    tol: Array,
    max_iter: Array,
) -> tuple[dict[str, Array], Array, Array, Array, Array, Array]:
    """`solve` from ``start`` (a user's ``init_params``), the certificate scaled at ``init``.

    The scale of the certificate is the default start's, as for every point of a path, so a
    start at (or near) the solution is certified at once instead of against its own, vanishing,
    gradient.
    """
    x_start, _ = ravel_pytree(start)
    solution = solve_from(
        model, split, l1_sites, newton_max_dim, traced, init, x_start, tol, max_iter
    )
    return solution[1:]


def solve_path(
    model: Callable,
    split: SplitArguments,
    l1_sites: frozenset[str],
    newton_max_dim: int,
    method: str,
    traced: list,
    varying: list,
    init: dict[str, Array],
    tol: Array,
    max_iter: Array,
) -> tuple[dict[str, Array], Array, Array, Array, Array, Array]:
    """Solve at every point of a path: the trailing ``len(varying)`` traced leaves vary.

    Returns what `solve` does, each with a leading axis over the points.
    """
    x0, _ = ravel_pytree(init)
    fixed = traced[: len(traced) - len(varying)]

    def solve_at(x_start, point):
        return solve_from(
            model, split, l1_sites, newton_max_dim, fixed + list(point), init, x_start, tol,
            max_iter,
        )  # fmt: skip

    if method == "warm_start":

        def step(x_start, point):
            x, *rest = solve_at(x_start, point)
            return x, tuple(rest)

        _, out = jax.lax.scan(step, x0, varying)
        return out
    return tuple(jax.vmap(lambda point: solve_at(x0, point)[1:])(varying))


def solve_batch(
    model: Callable,
    split: SplitArguments,
    l1_sites: frozenset[str],
    newton_max_dim: int,
    method: str,
    batched: bool,
    member_at: tuple[bool, ...],
    shared: list,
    members: list,
    varying: list,
    init: dict[str, Array],
    tol: Array,
    max_iter: Array,
) -> tuple[dict[str, Array], Array, Array, Array, Array, Array]:
    """Solve one path for each member of a batch of argument sets (e.g. cross-validation folds).

    The fixed traced leaves (all but the trailing ``len(varying)``, which vary along the path)
    come from ``shared`` (one value for every member) or from ``members`` (a leading axis over
    the members), as ``member_at`` says leaf by leaf; ``init``, each member's default start,
    has the leading axis too. ``batched``: the members run in lockstep (``vmap``); otherwise one
    after another (``lax.map``), which keeps each solve's branches (Newton steps, backtracking)
    real branches instead of selects that compute both sides. Returns what `solve_path` does,
    each with leading axes (members, points).
    """

    def one(member):
        own, start = member
        own_leaves, shared_leaves = iter(own), iter(shared)
        fixed = [next(own_leaves) if at else next(shared_leaves) for at in member_at]
        traced = fixed + list(varying)  # solve_path takes the varying leaves from `varying`
        return solve_path(
            model, split, l1_sites, newton_max_dim, method, traced, varying, start, tol, max_iter
        )

    if batched:
        return jax.vmap(one)((members, init))
    return jax.lax.map(one, (members, init))
