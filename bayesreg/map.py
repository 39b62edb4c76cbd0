r"""MAP estimation on any NumPyro model, with exact zeros for Laplace priors.

The objective is the negative log joint density **in the parameterization the model is written
in** (no Jacobian term, as NumPyro's ``AutoDelta`` defines MAP):

.. math::

    F(\theta) = -\log p(y, \theta) = f(\theta) + \sum_{i \in \mathcal{L}} w_i\,|\theta_i - \mu_i|,

where :math:`\mathcal{L}` are the elements of every latent site whose prior is a Laplace (or
:class:`~bayesreg.models.ElasticNetPrior`) distribution — also inside ``expand``, ``to_event``,
``Independent`` or a mask — with location :math:`\mu_i` and L1 weight :math:`w_i = 1/b_i` (times a
``numpyro.handlers.scale`` factor). The L1 part is handled by its proximal operator
(soft-thresholding), so these elements land **exactly** on :math:`\mu_i`; :math:`f` holds everything
else (likelihoods, other priors, ``numpyro.factor`` terms, the smooth part of the elastic-net prior)
and is differentiated by JAX. Sites with constrained support are optimized in NumPyro's
unconstrained space, :math:`\theta = T(u)`, but :math:`F` is still the density of :math:`\theta`.

Algorithm (one jitted loop per model structure; cached, so a second call with the same model and
shapes does not recompile): accelerated proximal gradient (FISTA) with backtracking line search,
gradient-based adaptive restart and a diagonal (Jacobi) metric
:math:`D = |\mathrm{diag}\,\nabla^2 f|` at the default start; when the problem has at most
``newton_max_dim`` unknowns, a Newton step on the current support (signs fixed,
orthant-projected, solved in the Jacobi-scaled coordinates :math:`D^{-1/2} H D^{-1/2}` so that
columns of any scale are equally well conditioned, accepted only if it gives a finite :math:`F`
that decreases — or, where :math:`F` is flat to its rounding, a point that is more stationary)
is tried every few iterations, which ends lasso / ridge / logistic problems at machine
precision. FISTA's backtracking likewise falls back to a gradient (curvature) test where values
of :math:`F` differ by less than their rounding (a large constant in the density: ``sigma=1e8``).
A trial point with a non-finite objective is never accepted: FISTA shortens its step (and drops
its momentum when the extrapolated point is not finite), Newton halves its step.

The start is the prior's location, not a draw: the ``loc`` of a real-valued location family (the
Laplace location for L1 sites), else the prior mean when it is finite and inside the support, else
:math:`T(0)` (0 in the unconstrained space; improper priors). If the log density is not finite
there, every default site is restarted at :math:`T(0)` before an error is raised.

**The optimality certificate** is scale-free per coordinate. With :math:`k_i(u)` the minimum-norm
subgradient of :math:`F` in the unconstrained coordinate :math:`i` (for an L1 element at
:math:`\mu_i`: :math:`\max(|\partial_i f| - w_i, 0)`; elsewhere
:math:`|\partial_i f + w_i\,\mathrm{sign}(\theta_i - \mu_i)|`) and :math:`d_i = |\partial^2_{ii}
f(u_0)|` the curvature at the default start :math:`u_0`,

.. math::

    \mathrm{optimality}(u) = \frac{\max_i |k_i(u)| / \sqrt{d_i}}
        {\max_i |\partial_i f(u_0)| / \sqrt{d_i}}.

:math:`k_i^2 / d_i` is (to second order) the decrease of :math:`F` that moving coordinate :math:`i`
alone could still give, so each coordinate is held to its own scale: the measure does not change
when a column of ``X`` is multiplied by any :math:`c_i \ne 0` (:math:`k_i \to c_i k_i`,
:math:`d_i \to c_i^2 d_i`) or when the whole objective is multiplied by any :math:`s > 0` (e.g.
``sigma = 1e8``; numerator and denominator both scale by :math:`\sqrt{s}`). The denominator is taken
at the default start for a warm start too, so a path is held to the standard of a cold solve.
A coordinate without curvature at the start gets the largest :math:`d_i` (the loosest weight,
as it has no scale of its own); beyond ``_EXACT_DIAGONAL_MAX_DIM`` unknowns without Newton steps,
:math:`d` is a Hutchinson estimate. When the denominator is 0 (the start is stationary) it is 1.

**No finite MAP.** A point that passes the certificate is checked along the ray from :math:`u_0`
through it: if :math:`F` still decreases strictly at twice and four times the distance (beyond
rounding), the objective has no minimizer that way (a flat prior on separable classes, an improper
posterior, an objective unbounded below). The optimality is then reported as ``inf``
(``converged=False``) and a :class:`NoFiniteMapWarning` says so; the remedy is a proper prior.

Calls are thread-safe: ``bayesreg._compile.MODEL_LOCK`` is held for the whole call (NumPyro's
effect handlers are process-wide), so concurrent calls run one at a time.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
from jax.flatten_util import ravel_pytree
from numpyro import handlers
from numpyro.distributions.transforms import biject_to

from ._compile import MODEL_LOCK, ProgramCache, SplitArguments, is_traced, split_arguments
from ._types import Array, ArrayLike
from ._validation import check_argument, prepare_model_arguments
from .models import ElasticNetPrior, with_sufficient_statistics
from .prox import prox_lasso

__all__ = [
    "ConvergenceWarning",
    "MapPath",
    "MapResult",
    "NoFiniteMapWarning",
    "map_estimate",
    "map_path",
]


class ConvergenceWarning(UserWarning):
    """A MAP solve stopped before its optimality certificate met the tolerance."""


class NoFiniteMapWarning(ConvergenceWarning):
    """The objective still decreases beyond the returned point: no finite MAP exists that way."""


@dataclass(frozen=True)
class MapResult:
    """The MAP estimate of a NumPyro model, as returned by :func:`map_estimate`.

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
        Scale-free KKT measure (see the module docstring): the largest minimum-norm subgradient
        of the objective per unconstrained coordinate, each divided by the square root of that
        coordinate's curvature at the default start, relative to the same weighted norm of the
        gradient there. Unchanged by rescaling a column of ``X`` or the whole objective. ``inf``
        when the objective still decreases along the ray from the start through ``params`` (no
        finite MAP; a :class:`NoFiniteMapWarning` is issued).
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
        shapes = {k: tuple(np.shape(v)) for k, v in self.params.items()}
        return (
            f"MapResult(params={shapes}, objective={self.objective:.6g}, "
            f"num_iter={self.num_iter}, converged={self.converged}, "
            f"optimality={self.optimality:.2e})"
        )


# ---------------------------------------------------------------------------------------------
# the L1 part of a site's prior


class _L1Part(NamedTuple):
    """``-log p(v) = weight * |v - loc| - remainder(v)`` elementwise, broadcast to the site."""

    loc: Array
    weight: Array
    remainder: Array  # the smooth part of log p, summed over the site


def _unwrap(fn: dist.Distribution) -> tuple[dist.Distribution, Any]:
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


def _is_l1(fn: dist.Distribution) -> bool:
    base, mask = _unwrap(fn)
    return isinstance(base, dist.Laplace | ElasticNetPrior) and mask is not False


def _l1_part(fn: dist.Distribution, value: Array, site_scale: Any) -> _L1Part:
    base, mask = _unwrap(fn)
    shape = jnp.shape(value)
    loc = jnp.broadcast_to(base.loc, shape)
    if isinstance(base, dist.Laplace):
        l1_scale = jnp.broadcast_to(base.scale, shape)
        smooth = -jnp.log(2.0 * l1_scale)
    else:
        l1_scale = jnp.broadcast_to(base.l1_scale, shape)
        z = (value - loc) / base.l2_scale
        smooth = -0.5 * z**2 - base.log_normalizer()
    keep = jnp.broadcast_to(jnp.asarray(mask, dtype=bool), shape)
    factor = 1.0 if site_scale is None else site_scale
    weight = jnp.where(keep, factor / l1_scale, 0.0)
    remainder = jnp.sum(jnp.where(keep, factor * jnp.broadcast_to(smooth, shape), 0.0))
    return _L1Part(loc, weight, remainder)


# ---------------------------------------------------------------------------------------------
# running the model


def _constrain_fn(unconstrained: Mapping[str, Array]) -> Callable:
    def substitute_fn(site):
        if site["type"] == "sample" and site["name"] in unconstrained:
            return biject_to(site["fn"].support)(unconstrained[site["name"]])
        return None

    return substitute_fn


def _trace(model: Callable, args: tuple, kwargs: dict, substitute_fn: Callable) -> dict:
    seeded = handlers.seed(model, rng_seed=0)
    return handlers.trace(handlers.substitute(seeded, substitute_fn=substitute_fn)).get_trace(
        *args, **kwargs
    )


def _site_log_prob(site: dict) -> Array:
    log_prob = site["fn"].log_prob(site["value"])
    if site["scale"] is not None:
        log_prob = site["scale"] * log_prob
    return jnp.sum(log_prob)


def _smooth_and_l1(model_trace: dict, l1_sites: frozenset[str]) -> tuple[Array, dict[str, _L1Part]]:
    """Split ``-log p`` of a trace into its smooth part and the L1 parts of the Laplace sites."""
    log_joint = 0.0
    parts = {}
    for name, site in model_trace.items():
        if site["type"] != "sample":
            continue
        if name in l1_sites:
            part = _l1_part(site["fn"], site["value"], site["scale"])
            parts[name] = part
            log_joint = log_joint + part.remainder
        else:
            log_joint = log_joint + _site_log_prob(site)
    return -log_joint, parts


# ---------------------------------------------------------------------------------------------
# the starting point, computed outside jit (concrete), which also validates the model


class _Setup(NamedTuple):
    init: dict[str, Array]  # unconstrained starting values
    l1_sites: frozenset[str]


def _site_shape(site: dict) -> tuple[int, ...]:
    fn = site["fn"]
    return (
        tuple(site["kwargs"].get("sample_shape", ()))
        + tuple(fn.batch_shape)
        + tuple(fn.event_shape)
    )


def _unconstrained_zero(site: dict) -> Array:
    """``T(0)``: the point 0 of the unconstrained space, mapped to the site's support."""
    transform = biject_to(site["fn"].support)
    return transform(jnp.zeros(transform.inverse_shape(_site_shape(site))))


def _prior_location(site: dict, l1: bool) -> Array:
    """Return the deterministic default start of a site (see the module docstring)."""
    fn = site["fn"]
    shape = _site_shape(site)
    base, _ = _unwrap(fn)
    if l1:
        return jnp.broadcast_to(base.loc, shape).astype(jnp.result_type(float))
    candidates = []
    if base.support is dist.constraints.real or base.support is dist.constraints.real_vector:
        candidates.append(lambda: base.loc)  # a location family: its centre, mean or not
    candidates.append(lambda: fn.mean)
    for candidate in candidates:
        try:
            value = jnp.broadcast_to(jnp.asarray(candidate(), jnp.result_type(float)), shape)
        except (AttributeError, NotImplementedError, ValueError, TypeError):
            continue  # no loc, no mean, or one of another shape
        if bool(jnp.all(jnp.isfinite(value))) and bool(jnp.all(fn.support(value))):
            return value
    return _unconstrained_zero(site)


def _setup(
    model: Callable, args: tuple, kwargs: dict, init_params: Mapping[str, ArrayLike] | None
) -> _Setup:
    user_init = dict(init_params or {})
    try:
        return _setup_from(model, args, kwargs, user_init, safe=False)
    except _NonFiniteStart:
        pass
    # the prior location can overflow the likelihood (a large column times a prior mean): retry
    # from T(0), which starts every linear predictor at 0
    try:
        return _setup_from(model, args, kwargs, user_init, safe=True)
    except _NonFiniteStart as error:
        raise ValueError(str(error)) from None


class _NonFiniteStart(Exception):
    """The log density of a site is not finite at the starting point."""


def _setup_from(model: Callable, args: tuple, kwargs: dict, user_init: dict, safe: bool) -> _Setup:
    l1_sites: set[str] = set()

    def init_fn(site):
        if site["type"] != "sample" or site["is_observed"]:
            return None
        if site["fn"].support.is_discrete:
            raise ValueError(
                f"site '{site['name']}' is discrete ({type(site['fn']).__name__}); MAP over "
                "discrete latent sites is not supported. Marginalize it out or observe it."
            )
        l1 = _is_l1(site["fn"])
        if l1:
            l1_sites.add(site["name"])
        if site["name"] in user_init:
            return jnp.asarray(user_init[site["name"]], dtype=jnp.result_type(float))
        if safe and not l1:
            return _unconstrained_zero(site)
        return _prior_location(site, l1)

    # NumPyro refuses invalid concrete distribution arguments (e.g. a negative scale) here
    model_trace = _trace(model, args, kwargs, init_fn)
    latent = {
        name: site
        for name, site in model_trace.items()
        if site["type"] == "sample" and not site["is_observed"]
    }
    if not latent:
        raise ValueError(
            "the model has no latent sample sites: nothing to estimate. Did you pass the data "
            "for every site as an observation (obs=...)?"
        )
    unknown = set(user_init) - set(latent)
    if unknown:
        raise ValueError(
            f"init_params names site(s) {sorted(unknown)} that are not latent sites of the "
            f"model; latent sites are {sorted(latent)}."
        )
    init = {name: biject_to(site["fn"].support).inv(site["value"]) for name, site in latent.items()}
    for name, site in model_trace.items():
        if site["type"] == "sample" and name not in l1_sites:
            log_prob = np.asarray(_site_log_prob(site))
            if not np.isfinite(log_prob):
                raise _NonFiniteStart(
                    f"the log density of site '{name}' is {float(log_prob)} at the starting "
                    "point (the prior location, and 0 in the unconstrained space): its value is "
                    "outside the support of its distribution (check the data) or the starting "
                    "value is; pass init_params={...} to start elsewhere."
                )
    return _Setup(init, frozenset(l1_sites))


def _raise_if_l1_parameters_move(l1_sites: frozenset[str], moved: Any) -> None:
    """Refuse Laplace sites whose location/scale depend on other latent sites (not convex)."""
    if not l1_sites:
        return
    moved = np.asarray(moved).reshape(-1, len(l1_sites)).any(axis=0)
    for name, flag in zip(sorted(l1_sites), moved, strict=True):
        if flag:
            raise ValueError(
                f"the Laplace prior of site '{name}' has a location or scale that depends on "
                "other latent sites; map_estimate needs fixed Laplace parameters (a hierarchical "
                "scale has no finite MAP). Fix the scale, or use sample_posterior."
            )


# ---------------------------------------------------------------------------------------------
# the solver: pure functions over a small NamedTuple state, one jit boundary


class _State(NamedTuple):
    x: Array  # current iterate (unconstrained, flattened)
    x_prev: Array
    momentum: Array  # FISTA t_k
    lipschitz: Array  # step size is 1 / lipschitz in the metric D
    objective: Array  # F(x)
    optimality: Array  # relative KKT measure at x (inf until computed)
    num_iter: Array


def _kkt(grad: Array, x: Array, loc: Array, weight: Array) -> Array:
    """Elementwise minimum-norm subgradient of ``f + sum weight * |x - loc|``."""
    at_kink = (x == loc) & (weight > 0)
    off_kink = grad + weight * jnp.sign(x - loc)
    return jnp.where(at_kink, jnp.maximum(jnp.abs(grad) - weight, 0.0), off_kink)


def _make_solver(
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
    ``certificate_ref`` the weighted gradient norm there (the module docstring's certificate).
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
        kkt = _kkt(jax.grad(smooth)(x), x, loc, weight)
        return jnp.max(jnp.abs(kkt) / certificate_root) / certificate_ref

    def finite(value, grad):
        return jnp.isfinite(value) & jnp.all(jnp.isfinite(grad))

    def rounding(*values):
        # F is a (tree-)reduction of many terms: its rounding is within a few dozen ulps of the
        # largest; differences below this are noise and values cannot decide a step
        return _ROUNDING_ULPS * eps * jnp.max(jnp.abs(jnp.stack(values)))

    def stationarity(x):
        return jnp.sum((_kkt(jax.grad(smooth)(x), x, loc, weight) / certificate_root) ** 2)

    def fista(state):
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
            # 64 doublings shorten the step by 2^-64: a density that is still not finite
            # there is not finite arbitrarily close to y
            return ~(sufficient & jnp.isfinite(f_new)) & (doublings < 64)

        def backtrack(carry):
            lipschitz = carry[0] * 2.0
            x_new = prox_step(y, grad_y, lipschitz)
            return lipschitz, x_new, smooth(x_new), carry[3] + 1

        # backtracking only lengthens 1/step: let the step grow back by ~10% per iteration
        lipschitz = state.lipschitz * 0.9
        x_new = prox_step(y, grad_y, lipschitz)
        lipschitz, x_new, f_new, _ = jax.lax.while_loop(
            not_sufficient, backtrack, (lipschitz, x_new, smooth(x_new), 0)
        )
        # a density that stays NaN/inf however short the step ends the solve (an error, below)
        objective = f_new + l1(x_new)
        # adaptive restart (O'Donoghue & Candes 2015): drop momentum when it points uphill
        restart = ((y - x_new) @ (x_new - state.x) > 0) | (objective > state.objective)
        momentum_next = jnp.where(restart, 1.0, momentum_next)
        x_prev = jnp.where(restart, x_new, state.x)
        return _State(
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
        curvature, basis = jnp.linalg.eigh(hess_free)
        largest = jnp.max(jnp.abs(curvature))
        # numerically non-zero: above the rounding of an eigen-decomposition of this size
        keep = curvature > 100.0 * x.shape[0] * eps * largest
        # the damping of flat directions: a step 1e9 times longer than along the stiffest one
        inverse = 1.0 / jnp.where(keep, curvature, 1e-9 * largest)
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
            # 20 halvings (alpha ~ 1e-6): the direction is no use here; FISTA carries on
            return (alpha > 1e-6) & ~acceptable(trial, value)

        def halve(carry):
            alpha = carry[0] * 0.5
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
            # a Newton step costs about as much as x.shape[0] / 3 proximal-gradient steps: try it
            # only once that much work has been spent, so easy problems never pay for a Hessian;
            # from a warm start (a path) the support is usually right already: try it at once
            due = jnp.where(
                warm,
                state.num_iter % newton_every == 0,
                (state.num_iter % newton_every == newton_every - 1)
                & (3 * state.num_iter >= x_size),
            )
            state = jax.lax.cond(due, newton, lambda s: s, state)
        return state._replace(num_iter=state.num_iter + 1)

    return step, optimality, total


def _merge(split: SplitArguments, traced: list) -> tuple[tuple, dict]:
    """``(args, kwargs)`` from the split of ``(args, kwargs, path_kwargs)``."""
    args, kwargs, path_kwargs = split.merge(traced)
    return args, {**kwargs, **path_kwargs}


def _differs(a: Array, b: Array) -> Array:
    return jnp.any(jnp.abs(a - b) > 1e-12 * (1.0 + jnp.abs(a)))


def _solve_from(
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
    args, kwargs = _merge(split, traced)
    x0, unravel = ravel_pytree(init)

    def run(x):
        return _smooth_and_l1(_trace(model, args, kwargs, _constrain_fn(unravel(x))), l1_sites)

    def smooth(x):
        return run(x)[0]

    parts = run(x0)[1]
    # the L1 parameters must not depend on other latent sites: compare them at a moved point
    moved_parts = run(x0 + 0.5)[1] if len(init) > 1 else parts
    moved = jnp.array(
        [
            _differs(parts[k].loc, moved_parts[k].loc)
            | _differs(parts[k].weight, moved_parts[k].weight)
            for k in sorted(l1_sites)
        ],
        dtype=bool,
    )
    zeros = {name: jnp.zeros_like(value) for name, value in init.items()}
    loc, _ = ravel_pytree({**zeros, **{k: p.loc for k, p in parts.items()}})
    weight, _ = ravel_pytree({**zeros, **{k: p.weight for k, p in parts.items()}})
    loc = jnp.where(weight > 0, loc, 0.0).astype(x0.dtype)
    weight = weight.astype(x0.dtype)

    use_newton = x0.shape[0] <= newton_max_dim
    # Newton steps compute the whole Hessian anyway: its exact diagonal costs no more
    exact = x0.shape[0] <= max(_EXACT_DIAGONAL_MAX_DIM, newton_max_dim if use_newton else 0)
    # the certificate's scales come from the default start, so that a warm start (a path) is
    # held to the same standard as a cold map_estimate
    curvature0 = _curvature(smooth, x0, exact)
    certificate_root = jnp.sqrt(curvature0)
    certificate_ref = jnp.max(jnp.abs(jax.grad(smooth)(x0)) / certificate_root)
    certificate_ref = jnp.where(certificate_ref > 0, certificate_ref, 1.0)
    newton_every = max(10, x0.shape[0] // 3)
    step, optimality, total = _make_solver(
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
    state = _State(
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
        # the certificate costs a gradient: evaluate it every 5 iterations
        return state._replace(
            optimality=jax.lax.cond(
                state.num_iter % 5 == 0, optimality, lambda x: state.optimality, state.x
            )
        )

    state = jax.lax.while_loop(keep_going, body, state)
    final_optimality = optimality(state.x)
    # a certified point is checked for a MAP at infinity (an unconverged one is reported as such)
    no_map = (final_optimality <= tol) & _decreases_along_ray(total, x0, state.x, state.objective)
    final_optimality = jnp.where(no_map, jnp.inf, final_optimality)
    final_trace = _trace(model, args, kwargs, _constrain_fn(unravel(state.x)))
    params = {name: final_trace[name]["value"] for name in init}
    return state.x, params, state.objective, final_optimality, state.num_iter, moved, no_map


def _solve(
    model: Callable,
    split: SplitArguments,
    l1_sites: frozenset[str],
    newton_max_dim: int,
    traced: list,
    init: dict[str, Array],
    tol: Array,
    max_iter: Array,
) -> tuple[dict[str, Array], Array, Array, Array, Array, Array]:
    """``(params, objective, optimality, num_iter, moved, no_map)`` of one solve (_solve_from)."""
    x0, _ = ravel_pytree(init)
    solution = _solve_from(model, split, l1_sites, newton_max_dim, traced, init, x0, tol, max_iter)
    return solution[1:]


def _solve_path(
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

    Returns what :func:`_solve` does, each with a leading axis over the points.
    """
    x0, _ = ravel_pytree(init)
    fixed = traced[: len(traced) - len(varying)]

    def solve_at(x_start, point):
        return _solve_from(
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


_EXACT_DIAGONAL_MAX_DIM = 64
# the rounding of the objective, in ulps of its magnitude: a tree reduction of n terms errs by
# about log2(n) ulps, so 64 covers any data size while staying far below a real decrease
_ROUNDING_ULPS = 64.0
# a single solve uses the Gaussian sufficient statistics up to this many features (a path, which
# reuses them for every point, up to models' own limit)
_SINGLE_SOLVE_MAX_FEATURES = 64
_DIAGONAL_PROBES = 8


def _decreases_along_ray(
    total: Callable[[Array], Array], x0: Array, x: Array, objective: Array
) -> Array:
    """Whether ``total`` still decreases strictly at ``x0 + 2 (x - x0)`` and ``x0 + 4 (x - x0)``.

    At a minimizer of a convex objective neither can happen; both do when the infimum is at
    infinity (separable classes under a flat prior) or is minus infinity.
    """
    eps = jnp.finfo(x.dtype).eps
    twice, four_times = total(x0 + 2.0 * (x - x0)), total(x0 + 4.0 * (x - x0))
    # beyond rounding: a flat direction (no unique MAP, but a finite one) differs by a few
    # ulps of |F| per evaluation; 1000 of them is a clear, not a rounding, decrease
    margin = 1e3 * eps * jnp.maximum(jnp.abs(objective), jnp.abs(twice))
    return (twice < objective - margin) & (four_times < twice - margin)


def _curvature(smooth: Callable[[Array], Array], x0: Array, exact: bool) -> Array:
    """``|diag of the Hessian|`` at ``x0``, positive and finite (the Jacobi metric's ``d``).

    Exact (one Hessian) when ``exact``; otherwise a Hutchinson estimate ``mean(v * Hv)`` over
    Rademacher probes, which costs a few gradients. A coordinate with no (or non-finite)
    curvature gets the largest one: no scale of its own, so the most cautious step.
    """
    size = x0.shape[0]
    if exact:
        diag = jnp.diag(jax.hessian(smooth)(x0))
    else:
        probes = jax.random.rademacher(jax.random.PRNGKey(0), (_DIAGONAL_PROBES, size), x0.dtype)

        def hvp(v):
            return jax.jvp(jax.grad(smooth), (x0,), (v,))[1]

        diag = jnp.mean(probes * jax.vmap(hvp)(probes), axis=0)
    diag = jnp.where(jnp.isfinite(diag), jnp.abs(diag), 0.0)
    largest = jnp.max(diag)
    return jnp.where(diag > 0, diag, jnp.where(largest > 0, largest, 1.0))


_SOLVERS = ProgramCache(size=32)


def map_estimate(
    model: Callable,
    *args: Any,
    tol: float | None = None,
    max_iter: int = 20_000,
    init_params: Mapping[str, ArrayLike] | None = None,
    dtype: str | Any = "float64",
    newton_max_dim: int = 500,
    **kwargs: Any,
) -> MapResult:
    r"""Maximum a posteriori estimate of a NumPyro model; Laplace priors give exact zeros.

    Minimizes :math:`-\log p(y, \theta)` over all latent sites (see the module docstring for the
    split into a smooth part and an L1 part). For the models of :mod:`bayesreg.models` with a
    Gaussian likelihood and known ``sigma`` this objective is ``RSS/(2 sigma²) + penalty`` (RSS
    **not** divided by ``n``); :mod:`bayesreg.penalty` converts the prior scales to the
    scikit-learn / glmnet penalties whose solutions it equals.

    Parameters
    ----------
    model : callable
        A NumPyro model function.
    *args, **kwargs
        Passed to ``model``. Arrays (NumPy, JAX, pandas) and floats are traced, so new values with
        the same shapes reuse the compiled solver; ints, bools, strings and other objects are
        static. NaN/inf or non-numeric arrays raise. The keyword names below are reserved.
    tol : float, optional
        Tolerance on the scale-free optimality certificate (module docstring; unchanged by the
        units of the columns of ``X`` or of the objective); default ``1e-10`` in float64 and
        ``1e-4`` in float32.
    max_iter : int
        Maximum proximal-gradient iterations.
    init_params : dict, optional
        Starting values (constrained space) for some latent sites; the others start at the prior
        location, deterministically: the ``loc`` of a real location family (Normal, Laplace,
        Cauchy, Student-t, ...), else the prior mean where it is finite (HalfNormal, Gamma,
        Dirichlet, ...), else 0 in the unconstrained space (improper priors, Cauchy means); all
        of them at 0 in the unconstrained space if the density is not finite there.
    dtype : {"float64", "float32"}
        Precision of the solve. float32 is faster and less exact (use a looser ``tol``).
    newton_max_dim : int
        Try Newton steps on the current support only when the number of unknowns is at most
        this (each costs a dense Hessian).

    Returns
    -------
    MapResult
        ``params``, ``objective``, ``num_iter``, ``converged``, ``optimality``. A
        :class:`ConvergenceWarning` is issued when the certificate misses the tolerance, a
        :class:`NoFiniteMapWarning` when the objective still decreases beyond the solver's
        point (no finite MAP: e.g. a flat prior on separable classes; use a proper prior).

    Raises
    ------
    ValueError
        Bad data (NaN/inf, shapes), invalid distribution parameters, no latent sites, discrete
        latent sites, Laplace parameters that depend on other latent sites, a log density that
        is not finite at the start (prior location and 0 in the unconstrained space both tried).
    FloatingPointError
        The gradient or density is not finite at the points the solver reached, however short
        the step.
    TypeError
        Non-numeric data.

    Notes
    -----
    Thread-safe: concurrent calls (and calls concurrent with :func:`map_path`) are safe and run
    one at a time, because NumPyro's effect-handler stack is process-wide; the whole call holds
    ``bayesreg._compile.MODEL_LOCK``.

    Examples
    --------
    >>> import numpy as np, bayesreg as br
    >>> from sklearn.datasets import load_diabetes
    >>> X, y = load_diabetes(return_X_y=True)
    >>> fit = br.map_estimate(br.models.linear, X, y, prior=br.models.laplace(20.0), sigma=55.0)
    >>> bool(fit.converged), int((fit.params["coef"] == 0).sum()) > 0
    (True, True)
    """
    with MODEL_LOCK:
        dtype, tol = _check_options(model, dtype, tol, max_iter)
        args, kwargs, _ = prepare_model_arguments(model, args, kwargs)
        # a Gaussian likelihood through X'X (same objective, O(p²) per gradient) when that is
        # cheaper: the statistics cost n p² once, a gradient through X 2np, and one solve takes
        # tens of them
        rewritten = with_sufficient_statistics(
            model, args, kwargs, min_rows_per_feature=2.0, max_features=_SINGLE_SOLVE_MAX_FEATURES
        )
        solve_args, solve_kwargs = rewritten if rewritten is not None else (args, kwargs)
        split = split_arguments((solve_args, solve_kwargs, {}), float_dtype=dtype)
        concrete_args, concrete_kwargs = _merge(split, split.traced)
        setup = _setup(model, concrete_args, concrete_kwargs, init_params)
        init = {k: jnp.asarray(v, dtype) for k, v in setup.init.items()}

        def make():
            # the structure only: the cached program must not keep this call's data alive
            structure = split._replace(traced=[])
            return jax.jit(partial(_solve, model, structure, setup.l1_sites, newton_max_dim))

        key = (model, *split.key, setup.l1_sites, newton_max_dim)
        solver, _ = _SOLVERS.get(key, make)
        params, objective, optimality, num_iter, moved, no_map = solver(
            split.traced, init, jnp.asarray(tol, dtype), jnp.asarray(max_iter, jnp.int32)
        )
        _raise_if_l1_parameters_move(setup.l1_sites, moved)
        objective = float(objective)
        _raise_if_not_finite(objective, int(num_iter))
        optimality = float(optimality)
        converged = optimality <= tol
        if bool(no_map):
            _warn_no_finite_map("map_estimate", stacklevel=3)
        elif not converged:
            warnings.warn(
                f"map_estimate did not converge in {int(num_iter)} iterations: optimality "
                f"{optimality:.2e} > tol {tol:.1e}. Increase max_iter, standardize the columns of "
                "X, or loosen tol.",
                ConvergenceWarning,
                stacklevel=2,
            )
        return MapResult(
            params=params,
            objective=objective,
            num_iter=int(num_iter),
            converged=converged,
            optimality=optimality,
            tolerance=float(tol),
            model=model,
            args=args,
            kwargs=kwargs,
        )


@dataclass(frozen=True)
class MapPath:
    """MAP estimates along a path of model arguments, as returned by :func:`map_path`.

    Attributes
    ----------
    path : dict of str to list
        The keyword arguments that vary: name -> the ``k`` values, in the order solved.
    params : dict of str to numpy.ndarray
        Latent site name -> MAP values, with a leading axis of length ``k``.
    objective, optimality : numpy.ndarray
        Per point, shape ``(k,)``; as in :class:`MapResult`.
    num_iter : numpy.ndarray
        Proximal-gradient iterations per point, shape ``(k,)``.
    converged : numpy.ndarray
        Whether each point's optimality certificate met ``tolerance``, shape ``(k,)``.
    tolerance : float
        The tolerance every point was held to (the same standard as :func:`map_estimate`).
    method : str
        ``"warm_start"`` or ``"vmap"``.
    model, args, kwargs
        The model function and its fixed arguments.

    ``len(path_result)`` is ``k`` and ``path_result[i]`` is the :class:`MapResult` of point ``i``
    (for :func:`bayesreg.predict`, :func:`bayesreg.compare`, ...).
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
        shapes = {k: tuple(np.shape(v)) for k, v in self.params.items()}
        return (
            f"MapPath(path={list(self.path)}, points={len(self)}, params={shapes}, "
            f"method={self.method!r}, all_converged={bool(np.all(self.converged))})"
        )


_PATH_METHODS = ("warm_start", "vmap")


def _path_values(path: Any, kwargs: Mapping[str, Any]) -> dict[str, list]:
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
        values[name] = list(sequence)
    lengths = {name: len(v) for name, v in values.items()}
    if len(set(lengths.values())) != 1 or 0 in lengths.values():
        raise ValueError(
            f"every path entry must hold the same positive number of values; got lengths {lengths}."
        )
    return values


def _stack_path(values: dict[str, list], dtype: Any) -> tuple[dict[str, Any], list[Array]]:
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

    Each point is exactly the :func:`map_estimate` of the model with those arguments, held to the
    same optimality certificate, but the whole grid is one call of one compiled program: no Python
    work, data transfer or dispatch per point.

    Parameters
    ----------
    model : callable
        A NumPyro model function.
    *args, **kwargs
        Fixed model arguments, as for :func:`map_estimate`.
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
        As for :func:`map_estimate`; ``init_params`` is the start of the first point (of every
        point with ``"vmap"``).

    Returns
    -------
    MapPath
        Parameters with a leading axis over the path; ``result[i]`` is the :class:`MapResult` of
        point ``i``. One :class:`ConvergenceWarning` names the points that missed the tolerance;
        one :class:`NoFiniteMapWarning` the points without a finite MAP (optimality ``inf``).

    Notes
    -----
    Every point is held to :func:`map_estimate`'s scale-free certificate, with the curvature and
    gradient scales taken at the default start, so a warm start changes nothing but the work.
    Thread-safe like :func:`map_estimate`: the whole call holds ``bayesreg._compile.MODEL_LOCK``,
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
        dtype, tol = _check_options(model, dtype, tol, max_iter)
        if method not in _PATH_METHODS:
            raise ValueError(f"method must be one of {_PATH_METHODS}; got {method!r}.")
        values = _path_values(path, kwargs)
        args, kwargs, _ = prepare_model_arguments(model, args, kwargs)
        for name, sequence in values.items():
            values[name] = [
                check_argument(value, f"path['{name}'][{i}]") for i, value in enumerate(sequence)
            ]
        first, varying = _stack_path(values, dtype)
        # many solves share the Gram matrix: worth it as soon as a gradient through it is cheaper
        rewritten = with_sufficient_statistics(model, args, {**kwargs, **first})
        if rewritten is not None:
            solve_args = rewritten[0]
            solve_kwargs = {k: v for k, v in rewritten[1].items() if k not in first}
        else:
            solve_args, solve_kwargs = args, kwargs
        split = split_arguments((solve_args, solve_kwargs, first), float_dtype=dtype)
        concrete_args, concrete_kwargs = _merge(split, split.traced)
        setup = _setup(model, concrete_args, concrete_kwargs, init_params)
        init = {k: jnp.asarray(v, dtype) for k, v in setup.init.items()}

        def make():
            structure = split._replace(traced=[])
            return jax.jit(
                partial(_solve_path, model, structure, setup.l1_sites, newton_max_dim, method)
            )

        key = ("path", method, model, *split.key, setup.l1_sites, newton_max_dim)
        solver, _ = _SOLVERS.get(key, make)
        params, objective, optimality, num_iter, moved, no_map = jax.device_get(
            solver(
                split.traced,
                varying,
                init,
                jnp.asarray(tol, dtype),
                jnp.asarray(max_iter, jnp.int32),
            )
        )
        _raise_if_l1_parameters_move(setup.l1_sites, moved)
        for i in np.flatnonzero(~np.isfinite(objective))[:1]:
            _raise_if_not_finite(float(objective[i]), int(num_iter[i]), f" at path point {i}")
        converged = np.asarray(optimality) <= tol
        no_map = np.asarray(no_map)
        if np.any(no_map):
            points = np.flatnonzero(no_map)
            _warn_no_finite_map(f"map_path (points {points[:10].tolist()})", stacklevel=3)
        if not np.all(converged | no_map):
            missed = np.flatnonzero(~converged & ~no_map)
            warnings.warn(
                f"map_path: {missed.size} of {converged.size} points did not converge (points "
                f"{missed[:10].tolist()}{' ...' if missed.size > 10 else ''}; worst optimality "
                f"{float(np.max(optimality[missed])):.2e} > tol {tol:.1e}). Increase max_iter, "
                "standardize the columns of X, or loosen tol.",
                ConvergenceWarning,
                stacklevel=2,
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


def _check_options(model: Any, dtype: Any, tol: Any, max_iter: Any) -> tuple[Any, float]:
    """Validate the solver options shared by :func:`map_estimate` and :func:`map_path`."""
    if not callable(model):
        raise TypeError(f"model must be a NumPyro model function; got {type(model).__name__}.")
    dtype = _check_dtype(dtype)
    if tol is None:
        tol = 1e-10 if dtype == jnp.float64 else 1e-4
    if not (isinstance(tol, int | float) and math.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive finite number; got {tol!r}.")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer; got {max_iter!r}.")
    return dtype, tol


def _warn_no_finite_map(where: str, stacklevel: int) -> None:
    warnings.warn(
        f"{where}: no finite MAP exists: the objective keeps decreasing along the ray from the "
        "start through the returned point (e.g. a flat prior on separable classes, an improper "
        "posterior, a density unbounded above), so the estimate is only where the solver "
        "stopped (optimality is reported as inf, converged=False). Use a proper prior, e.g. "
        "bayesreg.models.gaussian(...) on the weights, or a proper intercept prior.",
        NoFiniteMapWarning,
        stacklevel=stacklevel,
    )


def _raise_if_not_finite(objective: float, num_iter: int, where: str = "") -> None:
    if not math.isfinite(objective):
        raise FloatingPointError(
            f"the objective became {objective} during the MAP solve{where} (iteration "
            f"{num_iter}): the model's log density is NaN or infinite there and no shorter step "
            "avoids it (an overflow, a log of a negative number, an improper posterior). Rescale "
            "the data, use proper priors, or pass init_params to start elsewhere."
        )


def _check_dtype(dtype: Any) -> Any:
    allowed = {"float64": jnp.float64, "float32": jnp.float32}
    if isinstance(dtype, str):
        if dtype not in allowed:
            raise ValueError(f"dtype must be one of {sorted(allowed)}; got {dtype!r}.")
        return allowed[dtype]
    if dtype in (jnp.float64, np.float64):
        return jnp.float64
    if dtype in (jnp.float32, np.float32):
        return jnp.float32
    raise ValueError(f"dtype must be 'float64' or 'float32'; got {dtype!r}.")
