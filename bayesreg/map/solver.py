r"""The composite solver: minimize $f(x) + \sum_i w_i |x_i - \mu_i|$ over a flat vector $x$.

Pure functions over a small `State` NamedTuple, with no knowledge of models: accelerated proximal
gradient (FISTA) with backtracking, adaptive restart and a Jacobi metric, Newton steps on the
current support, the scale-free optimality certificate and the check for a MAP at infinity. The
algorithm and the certificate are described in the `bayesreg.map` docstring. `minimize` is traced
inside the one jit boundary of `bayesreg.map.program`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from .._types import Array
from ..prox import prox_lasso

__all__ = ["State", "curvature", "decreases_along_ray", "kkt", "make_solver", "minimize"]

# below this many unknowns the exact Hessian diagonal (one Hessian, p gradients' worth) is cheap
# enough; above it the metric is a Hutchinson estimate (a few gradients)
_EXACT_DIAGONAL_MAX_DIM = 64
# Hutchinson probes: the metric only needs each d_i to within a small factor
_DIAGONAL_PROBES = 8
# the rounding of the objective, in ulps of its magnitude: a tree reduction of n terms errs by
# about log2(n) ulps, so 64 covers any data size while staying far below a real decrease
_ROUNDING_ULPS = 64.0
# backtracking doubles the inverse step; 64 doublings shorten the step by 2^-64, so a density
# that is still not finite there is not finite arbitrarily close to the point
_BACKTRACK_FACTOR = 2.0
_MAX_DOUBLINGS = 64
# backtracking only lengthens the inverse step: let the step grow back by ~10% per iteration
_STEP_GROWTH = 0.9
# an eigenvalue counts as non-zero above the rounding of an eigen-decomposition of this size:
# this many ulps of the largest eigenvalue per unknown
_EIGH_ROUNDING_ULPS = 100.0
# the damping of flat directions: a step 1e9 times longer than along the stiffest one
_FLAT_DAMPING = 1e-9
# Newton's line search halves its step; below 1e-6 (20 halvings) the direction is no use here
# and FISTA carries on
_NEWTON_SHRINK = 0.5
_NEWTON_MIN_STEP = 1e-6
# a Newton step costs about as much as (unknowns / 3) proximal-gradient steps; try one at least
# every 10 iterations on small problems
_NEWTON_COST_DIVISOR = 3
_NEWTON_MIN_EVERY = 10
# the certificate costs a gradient: evaluate it every 5 iterations
_CERTIFICATE_EVERY = 5
# the ray check's margin, in ulps of |F|: a flat direction (no unique MAP, but a finite one)
# differs by a few ulps per evaluation; 1000 of them is a clear, not a rounding, decrease
_RAY_MARGIN_ULPS = 1e3


class State(NamedTuple):
    """The solver's state between iterations (everything a `jax.lax.while_loop` carries)."""

    x: Array  # current iterate (unconstrained, flattened)
    x_prev: Array
    momentum: Array  # FISTA t_k
    lipschitz: Array  # step size is 1 / lipschitz in the metric D
    objective: Array  # F(x)
    optimality: Array  # relative KKT measure at x (inf until computed)
    num_iter: Array


def kkt(grad: Array, x: Array, loc: Array, weight: Array) -> Array:
    """Elementwise minimum-norm subgradient of ``f + sum weight * |x - loc|``."""
    at_kink = (x == loc) & (weight > 0)
    off_kink = grad + weight * jnp.sign(x - loc)
    return jnp.where(at_kink, jnp.maximum(jnp.abs(grad) - weight, 0.0), off_kink)


def make_solver(
    smooth: Callable[[Array], Array],
    loc: Array,
    weight: Array,
    metric: Array,
    certificate_root: Array,
    certificate_ref: Array,
    use_newton: bool,
    newton_every: int,
    warm: Array,
) -> tuple[Callable, Callable, Callable]:
    """Return ``(step, optimality, total)``, ``total(x) = smooth(x) + sum w|x - loc|``.

    ``metric`` is the (normalized) Jacobi metric of the proximal and Newton steps;
    ``certificate_root`` the square roots ``sqrt(d_i)`` of the curvature at the default start and
    ``certificate_ref`` the weighted gradient norm there (the certificate of `bayesreg.map`).
    """
    value_and_grad = jax.value_and_grad(smooth)
    eps = jnp.finfo(loc.dtype).eps
    x_size = loc.shape[0]

    def l1(x):
        return jnp.sum(weight * jnp.abs(x - loc))

    def total(x):
        return smooth(x) + l1(x)

    def prox_step(y, grad_y, lipschitz):
        scaling = 1.0 / (lipschitz * metric)
        return loc + prox_lasso(y - scaling * grad_y - loc, weight, scaling)

    def optimality(x):
        violation = kkt(jax.grad(smooth)(x), x, loc, weight)
        return jnp.max(jnp.abs(violation) / certificate_root) / certificate_ref

    def finite(value, grad):
        return jnp.isfinite(value) & jnp.all(jnp.isfinite(grad))

    def rounding(*values):
        # F is a (tree-)reduction of many terms: its rounding is within a few dozen ulps of the
        # largest; differences below this are noise and values cannot decide a step
        return _ROUNDING_ULPS * eps * jnp.max(jnp.abs(jnp.stack(values)))

    def stationarity(x):
        return jnp.sum((kkt(jax.grad(smooth)(x), x, loc, weight) / certificate_root) ** 2)

    def fista(state):
        # FISTA's momentum sequence t_{k+1} = (1 + sqrt(1 + 4 t_k^2)) / 2
        momentum_next = 0.5 * (1.0 + jnp.sqrt(1.0 + 4.0 * state.momentum**2))
        beta = (state.momentum - 1.0) / momentum_next
        extrapolated = state.x + beta * (state.x - state.x_prev)
        f_y, grad_y = value_and_grad(extrapolated)
        # momentum can overshoot into a region where the density is not finite: restart from x
        overshoot = ~finite(f_y, grad_y)
        y = jnp.where(overshoot, state.x, extrapolated)
        f_y, grad_y = jax.lax.cond(overshoot, value_and_grad, lambda _: (f_y, grad_y), state.x)
        momentum_next = jnp.where(overshoot, 1.0, momentum_next)

        def not_sufficient(carry):
            lipschitz, x_new, f_new, doublings = carry
            diff = x_new - y
            quadratic = 0.5 * lipschitz * jnp.sum(metric * diff**2)
            excess = f_new - (f_y + grad_y @ diff + quadratic)
            # when F is too flat for its values to tell (a large constant in the density, or
            # near the optimum), ask the gradient: the curvature along the step must be at
            # most the step's (the same test for a quadratic, and free of F's rounding)
            ambiguous = jnp.isfinite(f_new) & (jnp.abs(excess) <= rounding(f_y, f_new))
            sufficient = jax.lax.cond(
                ambiguous,
                lambda x: (jax.grad(smooth)(x) - grad_y) @ diff <= 2.0 * quadratic,
                lambda x: excess <= 0.0,
                x_new,
            )
            return ~(sufficient & jnp.isfinite(f_new)) & (doublings < _MAX_DOUBLINGS)

        def backtrack(carry):
            lipschitz = carry[0] * _BACKTRACK_FACTOR
            x_new = prox_step(y, grad_y, lipschitz)
            return lipschitz, x_new, smooth(x_new), carry[3] + 1

        lipschitz = state.lipschitz * _STEP_GROWTH
        x_new = prox_step(y, grad_y, lipschitz)
        lipschitz, x_new, f_new, _ = jax.lax.while_loop(
            not_sufficient, backtrack, (lipschitz, x_new, smooth(x_new), 0)
        )
        # a density that stays NaN/inf however short the step ends the solve (an error, later)
        objective = f_new + l1(x_new)
        # adaptive restart (O'Donoghue & Candes 2015): drop momentum when it points uphill
        restart = ((y - x_new) @ (x_new - state.x) > 0) | (objective > state.objective)
        momentum_next = jnp.where(restart, 1.0, momentum_next)
        x_prev = jnp.where(restart, x_new, state.x)
        return State(
            x_new, x_prev, momentum_next, lipschitz, objective, state.optimality, state.num_iter
        )

    root = jnp.sqrt(metric)

    def eigh_direction(x, free, rhs):
        # in the Jacobi-scaled coordinates D^{1/2} x the Hessian has a unit-scale diagonal, so
        # the eigenvalue cut below does not depend on the scales of the columns
        hess = jax.hessian(smooth)(x) / (root[:, None] * root[None, :])
        both = free[:, None] & free[None, :]
        hess_free = jnp.where(both, hess, jnp.eye(x.shape[0], dtype=x.dtype))
        # Newton step through the eigen-decomposition: exact along clearly positive curvature;
        # along flat (a support larger than the rank of the data, p > n) or negative curvature
        # a long Levenberg-Marquardt step 1/damping, which is still a descent direction and lets
        # the L1 term push redundant weights through zero (the orthant projection stops them).
        eigenvalues, basis = jnp.linalg.eigh(hess_free)
        largest = jnp.max(jnp.abs(eigenvalues))
        keep = eigenvalues > _EIGH_ROUNDING_ULPS * x.shape[0] * eps * largest
        inverse = 1.0 / jnp.where(keep, eigenvalues, _FLAT_DAMPING * largest)
        return -(basis @ (inverse * (basis.T @ (rhs / root)))) / root

    def newton(state):
        x = state.x
        grad = jax.grad(smooth)(x)
        free = (weight == 0) | (x != loc)
        sign = jnp.sign(x - loc)
        rhs = jnp.where(free, grad + weight * sign, 0.0)
        direction = eigh_direction(x, free, rhs)
        direction = jnp.where(free, direction, 0.0)

        def candidate(alpha):
            trial = x + alpha * direction
            crossed = (weight > 0) & (jnp.sign(trial - loc) != sign)
            trial = jnp.where(crossed, loc, trial)  # orthant projection keeps exact zeros
            return trial, total(trial)

        stationarity_x = stationarity(x)

        def acceptable(trial, value):
            # a finite F that decreases; where F cannot tell (within its rounding), a step that
            # makes the point more stationary (it polishes the last digits); inf/NaN never
            ambiguous = jnp.isfinite(value) & (
                jnp.abs(value - state.objective) <= rounding(value, state.objective)
            )
            return jax.lax.cond(
                ambiguous,
                lambda t: stationarity(t) <= stationarity_x,
                lambda t: value < state.objective,
                trial,
            )

        def worse(carry):
            alpha, trial, value = carry
            return (alpha > _NEWTON_MIN_STEP) & ~acceptable(trial, value)

        def halve(carry):
            alpha = carry[0] * _NEWTON_SHRINK
            return (alpha, *candidate(alpha))

        _, trial, value = jax.lax.while_loop(worse, halve, (1.0, *candidate(1.0)))
        accept = jnp.all(jnp.isfinite(direction)) & acceptable(trial, value)
        x_new = jnp.where(accept, trial, x)
        return state._replace(
            x=x_new,
            x_prev=x_new,
            momentum=jnp.ones_like(state.momentum),
            objective=jnp.where(accept, value, state.objective),
        )

    def step(state):
        state = fista(state)
        if use_newton:
            # try a Newton step only once as much work as it costs has been spent, so easy
            # problems never pay for a Hessian; from a warm start (a path) the support is
            # usually right already: try it at once
            due = jnp.where(
                warm,
                state.num_iter % newton_every == 0,
                (state.num_iter % newton_every == newton_every - 1)
                & (_NEWTON_COST_DIVISOR * state.num_iter >= x_size),
            )
            state = jax.lax.cond(due, newton, lambda s: s, state)
        return state._replace(num_iter=state.num_iter + 1)

    return step, optimality, total


def curvature(smooth: Callable[[Array], Array], x0: Array, exact: bool) -> Array:
    """``|diag of the Hessian|`` at ``x0``, positive and finite (the Jacobi metric's ``d``).

    Exact (one Hessian) when ``exact``; otherwise a Hutchinson estimate ``mean(v * Hv)`` over
    Rademacher probes, which costs a few gradients. A coordinate with no (or non-finite)
    curvature gets the largest one: no scale of its own, so the most cautious step.
    """
    size = x0.shape[0]
    if exact:
        diag = jnp.diag(jax.hessian(smooth)(x0))
    else:
        # a fixed key: the metric, and so the whole solve, is deterministic
        probes = jax.random.rademacher(jax.random.PRNGKey(0), (_DIAGONAL_PROBES, size), x0.dtype)

        def hvp(v):
            return jax.jvp(jax.grad(smooth), (x0,), (v,))[1]

        diag = jnp.mean(probes * jax.vmap(hvp)(probes), axis=0)
    diag = jnp.where(jnp.isfinite(diag), jnp.abs(diag), 0.0)
    largest = jnp.max(diag)
    return jnp.where(diag > 0, diag, jnp.where(largest > 0, largest, 1.0))


def decreases_along_ray(
    total: Callable[[Array], Array], x0: Array, x: Array, objective: Array
) -> Array:
    """Whether ``total`` still decreases strictly at ``x0 + 2 (x - x0)`` and ``x0 + 4 (x - x0)``.

    At a minimizer of a convex objective neither can happen; both do when the infimum is at
    infinity (separable classes under a flat prior) or is minus infinity.
    """
    eps = jnp.finfo(x.dtype).eps
    twice, four_times = total(x0 + 2.0 * (x - x0)), total(x0 + 4.0 * (x - x0))
    margin = _RAY_MARGIN_ULPS * eps * jnp.maximum(jnp.abs(objective), jnp.abs(twice))
    return (twice < objective - margin) & (four_times < twice - margin)


def minimize(
    smooth: Callable[[Array], Array],
    loc: Array,
    weight: Array,
    x0: Array,
    x_start: Array,
    tol: Array,
    max_iter: Array,
    newton_max_dim: int,
) -> tuple[State, Array, Array]:
    """Minimize ``smooth(x) + sum weight |x - loc|`` from ``x_start``; return the final state.

    ``x0`` is the default start: the certificate's scales (and the steps' metric) are taken
    there, so that a warm start (a path) is held to the same standard as a cold solve. Returns
    ``(state, optimality, no_map)``: the certificate at ``state.x`` (``inf`` when ``no_map``) and
    whether the objective still decreases beyond that certified point.
    """
    use_newton = x0.shape[0] <= newton_max_dim
    # Newton steps compute the whole Hessian anyway: its exact diagonal costs no more
    exact = x0.shape[0] <= max(_EXACT_DIAGONAL_MAX_DIM, newton_max_dim if use_newton else 0)
    curvature0 = curvature(smooth, x0, exact)
    certificate_root = jnp.sqrt(curvature0)
    certificate_ref = jnp.max(jnp.abs(jax.grad(smooth)(x0)) / certificate_root)
    certificate_ref = jnp.where(certificate_ref > 0, certificate_ref, 1.0)
    newton_every = max(_NEWTON_MIN_EVERY, x0.shape[0] // _NEWTON_COST_DIVISOR)
    step, optimality, total = make_solver(
        smooth,
        loc,
        weight,
        # the same curvature is the steps' metric (one Hessian per solve, also from a warm start)
        curvature0 / jnp.max(curvature0),
        certificate_root,
        certificate_ref,
        use_newton,
        newton_every,
        jnp.any(x_start != x0),
    )

    objective0 = total(x_start)
    state = State(
        x_start,
        x_start,
        jnp.ones((), x0.dtype),
        jnp.ones((), x0.dtype),
        objective0,
        jnp.asarray(jnp.inf, x0.dtype),
        jnp.zeros((), jnp.int32),
    )

    def keep_going(state):
        return (
            (state.optimality > tol) & (state.num_iter < max_iter) & jnp.isfinite(state.objective)
        )

    def body(state):
        state = step(state)
        return state._replace(
            optimality=jax.lax.cond(
                state.num_iter % _CERTIFICATE_EVERY == 0,
                optimality,
                lambda x: state.optimality,
                state.x,
            )
        )

    state = jax.lax.while_loop(keep_going, body, state)
    final_optimality = optimality(state.x)
    # a certified point is checked for a MAP at infinity (an unconverged one is reported as such)
    no_map = (final_optimality <= tol) & decreases_along_ray(total, x0, state.x, state.objective)
    return state, jnp.where(no_map, jnp.inf, final_optimality), no_map
