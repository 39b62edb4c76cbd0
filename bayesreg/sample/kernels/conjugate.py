r"""The exact sampler: iid draws from the Normal posterior of a conjugate Gaussian model.

A model qualifies when its traced sites say so, whatever function it is (`conjugate_posterior`):
every latent site has a Normal prior (any ``expand`` / ``to_event``) whose parameters do not
depend on other latent values, or is flat on the reals (``dist.ImproperUniform`` on the reals,
as the flat intercept of `bayesreg.models.linear`); there is at least one observed site; every
observed site is Normal, with a location affine in the latent values and a scale and an
observed value that do not depend on them; no site is scaled (``numpyro.handlers.scale``,
subsampling). The location is checked numerically, in one batched run of the model: its value
$\ell_0$ at 0 and at each unit vector (the columns of $J$, if it is affine), verified at a
random point; the scale, the observed value and the prior parameters must be equal at 0 and
there.

With $\theta$ the latent values stacked in the order the model makes them, observation scales
$s$, prior means $m_0$ and prior precisions $p_0$ ($1/\tau^2$ for a Normal site, $0$ for a flat
one), the posterior is exactly $\mathcal N(\mu, P^{-1})$ with

$$
P = J^\top \mathrm{diag}(1/s^2)\, J + \mathrm{diag}(p_0), \qquad
P \mu = J^\top \mathrm{diag}(1/s^2)\,(y - \ell_0) + p_0 \odot m_0 .
$$

For `bayesreg.models.linear` with a known ``sigma`` this is DESIGN §2's
``S = (XᵀX/sigma² + I/tau²)⁻¹``, mean ``S Xᵀy/sigma²`` with the intercept added (the
likelihood is ``RSS/(2 sigma²)``, RSS not divided by ``n``). When $P$ is singular (a flat site
the data do not determine) the posterior is improper and the sampler does not apply.

Each step draws $\theta = \mu + L^{-\top} e$ with $P = L L^\top$ and $e \sim \mathcal N(0, I)$,
whose covariance is $L^{-\top} L^{-1} = P^{-1}$; its log joint density is
$\log p(\mu, y) - e^\top e / 2$, exact since the log joint is quadratic in $\theta$.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
from numpyro.distributions import constraints
from numpyro.infer import init_to_uniform

from ... import _trace
from ..._compile import ProgramCache, SplitArguments, split_arguments
from ..._types import Array
from ..kernel import Kernel, KernelInputs, constrained_sites
from ..programs import classic_emitters

__all__ = ["OPTIONS", "ConjugatePosterior", "conjugate_posterior", "exact_kernel"]

OPTIONS: Mapping[str, Callable[[Any], Any]] = {}  # iid draws: nothing to tune

# The affine check compares the location at a random point with l0 + J theta. Float64 rounding of
# a sum of d products is ~d * 1e-16 relative; 1e-8 leaves room for many, badly scaled columns,
# while any curvature (exp, a square) at the O(1) random point shows up at O(1).
_AFFINE_RTOL = 1e-8
_PROBES = ProgramCache(size=16)
_REQUIREMENT = (
    "the exact sampler needs Normal or flat priors and Normal observations whose mean is "
    "affine in the latent values and whose sd is known, as bayesreg.models.linear with a "
    "float sigma and a Normal prior"
)


@dataclass(frozen=True, eq=False)
class ConjugatePosterior:
    """The closed-form Normal posterior of a conjugate model (module docstring).

    Attributes
    ----------
    sites : tuple of (str, tuple of int)
        The latent sites and their shapes, in the order their values are stacked.
    mean : numpy.ndarray
        Posterior mean of the stacked values, shape ``(d,)``.
    factor : numpy.ndarray
        Lower Cholesky factor ``L`` of the posterior precision ``P = L Lᵀ``, shape ``(d, d)``.
    root : numpy.ndarray
        ``L⁻ᵀ``, a square root of the posterior covariance (``root @ root.T = P⁻¹``).
    log_joint_at_mean : float
        The model's log joint density at the mean (log likelihood + log prior).
    """

    sites: tuple[tuple[str, tuple[int, ...]], ...]
    mean: np.ndarray
    factor: np.ndarray
    root: np.ndarray
    log_joint_at_mean: float


class _SiteValues(NamedTuple):
    """What the model makes of one point: stacked observed and prior parameters."""

    loc: Array  # observation means, (m,)
    scale: Array  # observation sds, (m,)
    value: Array  # observed values, (m,)
    prior_loc: Array  # (d,), 0 for a flat site
    prior_precision: Array  # (d,), 0 for a flat site


def _unwrap(fn: Any) -> Any:
    while isinstance(fn, dist.ExpandedDistribution | dist.Independent):
        fn = fn.base_dist
    return fn


def _is_flat_real(fn: Any) -> bool:
    if not isinstance(fn, dist.ImproperUniform):
        return False
    support = fn.support
    while isinstance(support, constraints.independent):
        support = support.base_constraint
    return type(support) is type(constraints.real)


def _structure(model_trace: Mapping[str, Any]) -> tuple[list, list] | str:
    """Latent ``(name, shape, flat)`` and observed names, or why the model is not conjugate."""
    latent, observed = [], []
    for name, site in model_trace.items():
        if site["type"] != "sample":
            continue
        if site["scale"] is not None:
            return f"the site {name} is scaled (numpyro.handlers.scale or a subsampled plate)"
        base = _unwrap(site["fn"])
        if site["is_observed"]:
            if type(base) is not dist.Normal:
                kind = "a numpyro.factor" if isinstance(base, dist.Unit) else type(base).__name__
                return f"the observed site {name} is {kind}, not Normal; {_REQUIREMENT}"
            if not _trace.is_concrete(site["value"]):
                return f"the observed value of {name} is computed from latent values"
            observed.append(name)
        elif type(base) is dist.Normal or _is_flat_real(base):
            latent.append((name, tuple(np.shape(site["value"])), type(base) is not dist.Normal))
        else:
            return f"{name} has a prior ({type(base).__name__}), not Normal or flat; {_REQUIREMENT}"
    if not observed:
        return "the model has no observed site (no data, so the posterior is the prior)"
    return latent, observed


def _read_structure(model: Callable[..., Any], args: tuple, kwargs: dict) -> tuple | str:
    """`_structure` of a trace with abstract latent values: nothing that depends on them runs."""
    found: list[Any] = []

    def read(rng_key: Array) -> None:
        with jax.ensure_compile_time_eval():
            model_trace = _trace.trace(model, args, kwargs, init_to_uniform, rng_key)
            found.append(_structure(model_trace))

    jax.eval_shape(read, jax.ShapeDtypeStruct((2,), jnp.uint32))
    return found[0]


def _site_values(model_trace: Mapping[str, Any], latent: list, observed: list) -> _SiteValues:
    def stacked(arrays: list[Array]) -> Array:
        return jnp.concatenate([jnp.ravel(a) for a in arrays]) if arrays else jnp.zeros(0)

    obs = [model_trace[name] for name in observed]
    shapes = [jnp.shape(site["value"]) for site in obs]
    normals = [_unwrap(site["fn"]) for site in obs]
    prior_loc, prior_precision = [], []
    for name, shape, flat in latent:
        base = _unwrap(model_trace[name]["fn"])
        if flat:
            prior_loc.append(jnp.zeros(shape))
            prior_precision.append(jnp.zeros(shape))
        else:
            prior_loc.append(jnp.broadcast_to(base.loc, shape))
            prior_precision.append(jnp.broadcast_to(1.0 / base.scale**2, shape))
    pairs = list(zip(normals, shapes, strict=True))
    return _SiteValues(
        loc=stacked([jnp.broadcast_to(normal.loc, shape) for normal, shape in pairs]),
        scale=stacked([jnp.broadcast_to(normal.scale, shape) for normal, shape in pairs]),
        value=stacked([site["value"] for site in obs]),
        prior_loc=stacked(prior_loc),
        prior_precision=stacked(prior_precision),
    )


_ENDS_ONLY = ("scale", "value", "prior_loc", "prior_precision")


def _build_probe(
    model: Callable[..., Any], structure: SplitArguments, latent: list, observed: list
) -> Callable[..., Any]:
    """Jitted ``(traced leaves, points) -> values at each point`` (one model trace, batched)."""
    sizes = [math.prod(shape) for _, shape, _ in latent]
    offsets = np.cumsum([0, *sizes])

    def at(theta: Array, traced: list[Any]) -> _SiteValues:
        args, kwargs = structure.merge(traced)
        values = {
            name: theta[offsets[i] : offsets[i + 1]].reshape(shape)
            for i, (name, shape, _) in enumerate(latent)
        }
        model_trace = _trace.trace(model, args, kwargs, _trace.constrain_fn(values))
        return _site_values(model_trace, latent, observed)

    def probe(traced: list[Any], points: Array) -> _SiteValues:
        values = jax.vmap(lambda theta: at(theta, traced))(points)
        # the mean is needed at every point (the columns of J); the rest only at the first and
        # last (0 and the random point), so the program never holds d copies of them
        ends = jnp.array([0, points.shape[0] - 1])
        return values._replace(**{name: getattr(values, name)[ends] for name in _ENDS_ONLY})

    return jax.jit(probe, compiler_options=classic_emitters())


def _agree(a: np.ndarray, b: np.ndarray, size: np.ndarray) -> bool:
    return bool(np.all(np.abs(a - b) <= _AFFINE_RTOL * (size + np.finfo(float).tiny)))


def conjugate_posterior(
    model: Callable[..., Any], args: tuple, kwargs: dict[str, Any]
) -> ConjugatePosterior | str:
    """Return the model's closed-form Normal posterior, or why the exact sampler does not apply.

    The caller holds `bayesreg._compile.MODEL_LOCK` (the model is traced).
    """
    structure = _read_structure(model, args, kwargs)
    if isinstance(structure, str):
        return structure
    latent, observed = structure
    split = split_arguments((args, kwargs))
    key = (model, *split.key, tuple(latent), tuple(observed))
    build = lambda: _build_probe(model, split._replace(traced=[]), latent, observed)  # noqa: E731
    probe, _ = _PROBES.get(key, build)
    dim = sum(math.prod(shape) for _, shape, _ in latent)
    theta = np.random.default_rng(0).standard_normal(dim)  # a fixed point: the same verdict
    # 0, each unit vector (the columns of J, if the mean is affine) and the random point
    points = np.vstack([np.zeros(dim), np.eye(dim), theta])
    values = _SiteValues(*map(np.asarray, jax.device_get(probe(split.traced, points))))
    zero = _SiteValues(*(field[0] for field in values))
    there = _SiteValues(*(field[-1] for field in values))
    jacobian = (values.loc[1:-1] - zero.loc).T  # (m, d)
    affine = zero.loc + jacobian @ theta
    if not _agree(there.loc, affine, np.abs(zero.loc) + np.abs(jacobian) @ np.abs(theta)):
        return f"the mean of {', '.join(observed)} is not affine in the latent values"
    for field, what in (("scale", "sd"), ("value", "observed value")):
        if not _agree(getattr(there, field), getattr(zero, field), np.abs(getattr(zero, field))):
            return f"the {what} of {', '.join(observed)} depends on the latent values"
    for field in ("prior_loc", "prior_precision"):
        if not _agree(getattr(there, field), getattr(zero, field), np.abs(getattr(zero, field))):
            return "a prior's parameters depend on other latent values"
    weights = 1.0 / zero.scale**2
    precision = jacobian.T @ (jacobian * weights[:, None]) + np.diag(zero.prior_precision)
    try:
        factor = np.linalg.cholesky(precision)
    except np.linalg.LinAlgError:
        factor = None
    # a pivot at rounding level of the largest diagonal entry: singular but for rounding errors
    floor = len(precision) * np.finfo(float).eps * np.max(np.diag(precision), initial=0.0)
    if factor is None or np.min(np.diag(factor) ** 2, initial=np.inf) <= floor:
        return (
            "the posterior precision is singular (a flat site that the data do not determine), "
            "so the posterior is improper"
        )
    rhs = jacobian.T @ (weights * (zero.value - zero.loc)) + zero.prior_precision * zero.prior_loc
    mean = np.linalg.solve(factor.T, np.linalg.solve(factor, rhs))
    root = np.linalg.solve(factor.T, np.eye(len(factor)))  # L^-T: root @ root.T = P^-1
    resid = (zero.value - zero.loc - jacobian @ mean) / zero.scale
    log_joint = np.sum(-0.5 * resid**2 - np.log(zero.scale)) - 0.5 * len(resid) * math.log(
        2.0 * math.pi
    )
    proper = zero.prior_precision > 0
    log_joint += np.sum(
        -0.5 * zero.prior_precision[proper] * (mean[proper] - zero.prior_loc[proper]) ** 2
        + 0.5 * np.log(zero.prior_precision[proper] / (2.0 * math.pi))
    )
    sites = tuple((name, shape) for name, shape, _ in latent)
    return ConjugatePosterior(sites, mean, factor, root, float(log_joint))


class ExactState(NamedTuple):
    """The exact sampler's state: the random key and the last draw with its log density."""

    rng_key: Array
    theta: Array
    lp: Array


class ExactParams(NamedTuple):
    """The exact kernel's arrays (traced: a new data set reuses the compiled program)."""

    mean: Array
    root: Array  # L^-T
    log_joint_at_mean: Array


def exact_kernel(model: Callable[..., Any], posterior: ConjugatePosterior) -> Kernel:
    """Return iid draws from ``posterior`` as a `Kernel` (no warmup, ``iid=True``)."""
    sizes = [math.prod(shape) for _, shape in posterior.sites]
    offsets = np.cumsum([0, *sizes])

    def init(rng_key: Array, inputs: KernelInputs) -> ExactState:
        params = inputs.params
        return ExactState(rng_key, params.mean, params.log_joint_at_mean)

    def step(state: ExactState, inputs: KernelInputs) -> ExactState:
        params = inputs.params
        rng_key, draw_key = jax.random.split(state.rng_key)
        noise = jax.random.normal(draw_key, jnp.shape(params.mean))
        # a product, not a triangular solve: XLA compiles its solver expansion slowly on CPU
        theta = params.mean + params.root @ noise
        lp = params.log_joint_at_mean - 0.5 * noise @ noise
        return ExactState(rng_key, theta, lp)

    def position(state: ExactState) -> dict[str, Array]:
        return {
            name: state.theta[offsets[i] : offsets[i + 1]].reshape(shape)
            for i, (name, shape) in enumerate(posterior.sites)
        }

    def info(state: ExactState) -> dict[str, Array]:
        return {"diverging": jnp.asarray(False), "lp": state.lp}

    params = ExactParams(
        np.asarray(posterior.mean),
        np.asarray(posterior.root),
        np.asarray(posterior.log_joint_at_mean),
    )
    return Kernel(
        name="exact",
        init=init,
        step=step,
        position=position,
        info=info,
        postprocess=constrained_sites(model),
        key=("exact", model, posterior.sites),
        params=params,
        iid=True,
    )
