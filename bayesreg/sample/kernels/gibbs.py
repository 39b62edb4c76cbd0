r"""The Gibbs sampler of Gaussian linear models with scale-mixture priors, as a `Kernel`.

A model declares what the sampler needs through its ``gibbs_target`` capability
(`bayesreg.models.gibbs_target`): the design ``X``, the response ``y``, whether a flat intercept
is sampled, the noise (a known sd, or the prior of the site ``"sigma"``) and a
`bayesreg.priors.gibbs.GibbsPrior`: the weights' conditional prior precision ``q`` given the
prior's auxiliary variables, and a draw of those variables given the weights. The sampler never
asks which prior it holds.

With $s^2 = \sigma^2$, $d = q / s^2$ when the prior is in units of the noise
(``noise_scaled``: $\beta_j \mid \mathrm{aux} \sim \mathcal N(0, s^2 / q_j)$) and $d = q$
otherwise, one step updates:

1. The weights $\beta \mid s^2, \mathrm{aux} \sim \mathcal N(A^{-1} X_c^\top y_c / s^2, A^{-1})$,
   $A = X_c^\top X_c / s^2 + \mathrm{diag}(d)$. With a flat intercept $a$ the likelihood
   factorizes as $n(\bar y - a')^2 + \lVert y_c - X_c\beta\rVert^2$ with
   $a' = a + \bar x^\top\beta$, $X_c$, $y_c$ centred, so $\beta$ does not depend on $a'$. When
   $n \ge p$ the draw is $A^{-1} b + L^{-\top} e$ with $A = L L^\top$, from the statistics
   $X_c^\top X_c$, $X_c^\top y_c$, $y_c^\top y_c$ computed once: $O(p^3)$ a step, never $O(np)$.
   When $p > n$ it is the exact algorithm of Bhattacharya, Chakraborty & Mallick (2016):
   $u \sim \mathcal N(0, D)$, $\delta \sim \mathcal N(0, I_n)$, $v = \Phi u + \delta$,
   $(\Phi D \Phi^\top + I_n) w = \alpha - v$, $\beta = u + D \Phi^\top w$ with $D = 1/d$,
   $\Phi = X_c / s$, $\alpha = y_c / s$: $O(n^2 p)$ a step.
2. $s^2$ by an independence Metropolis step, and the intercept
   $a' \mid s^2 \sim \mathcal N(\bar y, s^2 / n)$, $a = a' - \bar x^\top \beta$ ($a'$ is
   integrated out of $s^2$'s target). With $m = n - 1$ ($n$ without an intercept), a quadratic
   form $R$ and $p_\sigma$ the density of the noise prior on $\sigma$, the target density of
   $v = s^2$ is

   $$
   p(v \mid \cdot) \propto v^{-m/2} e^{-R/(2v)} \cdot p_\sigma(\sqrt v)\, \tfrac{1}{2} v^{-1/2}
   \;\propto\; \mathrm{InvGamma}\big(v;\ \tfrac{m-1}{2},\ \tfrac{R}{2}\big)\; p_\sigma(\sqrt v)
   $$

   (the last factor is $d\sigma / dv$), so the proposal $v' \sim \mathrm{InvGamma}((m-1)/2,
   R/2)$ (``rate / Gamma(shape)``) is accepted with probability
   $\min(1, p_\sigma(\sigma') / p_\sigma(\sigma))$: the proposal is exactly the likelihood part,
   and the ratio is the noise prior's alone (1 for a flat prior; for Park & Casella's
   $p(\sigma) \propto 1/\sigma$ it corrects their Gibbs draw). A proposal outside the prior's
   support is rejected; a known $\sigma$ skips the step. The acceptance probability is
   ``sample_stats["accept_sigma"]``.

   - A prior in units of the noise: $s^2$ is drawn first, with the weights integrated out too
     (a blocked update, as Johndrow, Orenstein & Bhattacharya 2020), then the weights given
     it: $y_c \mid s^2, \mathrm{aux} \sim \mathcal N(0, s^2 M)$, $M = I + X_c\,\mathrm{diag}
     (1/q)\,X_c^\top$, so $R = y_c^\top M^{-1} y_c = y_c^\top y_c - b^\top(X_c^\top X_c +
     \mathrm{diag}(q))^{-1} b$, $b = X_c^\top y_c$ (Woodbury), from the factor the weights'
     draw uses anyway ($X_c^\top X_c + \mathrm{diag}(q)$ when $n \ge p$; $M$ itself, which is
     Bhattacharya's system for $\beta / s$, when $p > n$). $M$ does not involve $s$.
   - A prior in absolute units: the weights first, then $s^2$ given them,
     $R = \lVert y_c - X_c \beta \rVert^2$.
3. $\mathrm{aux} \mid \beta, s^2$ by ``prior.update`` on $w = \beta / s$ (noise-scaled) or
   $\beta$.

The recorded position is the model's latent sites on the unconstrained scale (the prior's
sites, ``"intercept"``, ``"sigma"``, through NumPyro's transforms of the model), so the
driver's ``postprocess``, diagnostics and ``InferenceData`` are those of NUTS, and
``sample_stats["lp"]`` is the same quantity as NUTS's (the log joint on the unconstrained scale,
Jacobian included). There is nothing to adapt, so ``num_warmup`` steps are a burn-in, dropped.
The draws are a Markov chain: R-hat and ESS warnings apply.

References
----------
Bhattacharya, A., Chakraborty, A. & Mallick, B. K. (2016). Fast sampling with Gaussian scale
mixture priors in high-dimensional regression. Biometrika 103(4), 985-991.
Park, T. & Casella, G. (2008). The Bayesian lasso. JASA 103(482), 681-686.
Makalic, E. & Schmidt, D. F. (2016). A simple sampler for the horseshoe estimator. IEEE Signal
Processing Letters 23(1), 179-182.
Johndrow, J., Orenstein, P. & Bhattacharya, A. (2020). Scalable approximate MCMC algorithms for
the horseshoe prior. JMLR 21(73), 1-61.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpyro.distributions as dist
from jax.scipy.linalg import cho_solve, solve_triangular
from numpyro.infer.util import potential_energy, unconstrain_fn

from ..._types import Array
from ...data.statistics import array_namespace, sufficient_statistics
from ...priors.gibbs import inverse_gamma
from ..kernel import Kernel, KernelInputs, check_count, constrained_sites

__all__ = [
    "BHATTACHARYA",
    "CHOLESKY",
    "DEFAULTS",
    "OPTIONS",
    "GibbsData",
    "GibbsState",
    "draw_weights",
    "gibbs_data",
    "gibbs_kernel",
    "gibbs_wins",
]

# option -> check returning the value: ``thin``, the sweeps (one update of every block) per
# recorded draw. Its default, 5, makes a recorded draw of the horseshoe about as informative as
# one of NUTS (diabetes: min bulk ESS 0.09 per sweep, NUTS 0.35 per draw), so the same
# ``num_samples`` passes the same ESS checks, at a fifth of NUTS's time or less.
OPTIONS: Mapping[str, Callable[[Any], Any]] = {
    "thin": lambda value: check_count(value, "thin", minimum=1),
}
DEFAULTS: Mapping[str, Any] = {"thin": 5}

#: The weights' draw by Cholesky of the p x p precision (n >= p) or by Bhattacharya et al.'s
#: n x n system (p > n): whichever matrix is smaller.
CHOLESKY, BHATTACHARYA = "cholesky", "bhattacharya"


class GibbsData(NamedTuple):
    r"""The data the sampler needs, computed once before sampling (traced: new data reuse it).

    ``xx``, ``xy``, ``yy`` are $X_c^\top X_c$, $X_c^\top y_c$, $y_c^\top y_c$ (Cholesky
    draws); ``xc``, ``yc`` the centred design and response (Bhattacharya draws); the other pair
    is empty. Without an intercept nothing is centred (the means are zero).
    """

    n: Array
    x_mean: Array  # (p,)
    y_mean: Array  # ()
    xx: Array  # (p, p) or (0, 0)
    xy: Array  # (p,)
    yy: Array  # ()
    xc: Array  # (n, p) or (0, p)
    yc: Array  # (n,) or (0,)


class GibbsState(NamedTuple):
    """One chain: the random key, the current values, what ``position`` and ``info`` read."""

    rng_key: Array
    coef: Array  # (p,)
    intercept: Array  # (), 0 without an intercept
    sigma: Array  # ()
    aux: Any  # the prior's auxiliary variables
    position: dict[str, Array]  # the model's latent sites, unconstrained
    lp: Array  # the log joint density at the position (unconstrained, with the Jacobian)
    accept_sigma: Array  # the acceptance probability of the last sigma proposal


def gibbs_data(target: Any, algorithm: str) -> GibbsData:
    """Compute the `GibbsData` of a target (on the data's device; once per call)."""
    X, y = target.X, target.y
    n, p = X.shape
    xp = array_namespace(X, y)  # where the rows are: nothing is copied off their device
    stats = sufficient_statistics(X, y)
    x_mean, y_mean = stats.x_mean, stats.y_mean
    xx, xy, yy = stats.xx, stats.xy, stats.yy
    if not target.intercept:  # the raw cross-products: X'X = Xc'Xc + n x̄x̄', and so on
        xx = xx + n * x_mean[:, None] * x_mean[None, :]
        xy = xy + n * x_mean * y_mean
        yy = yy + n * y_mean**2
        x_mean, y_mean = 0.0 * x_mean, 0.0 * y_mean
    if algorithm == CHOLESKY:
        xc, yc = xp.zeros((0, p)), xp.zeros((0,))
    else:
        xc, yc = xp.asarray(X) - x_mean, xp.asarray(y) - y_mean
        xx = xp.zeros((0, 0))
    return GibbsData(stats.n, x_mean, y_mean, xx, xy, yy, xc, yc)


def draw_weights(
    rng_key: Array, data: GibbsData, precision: Array, noise_var: Array, algorithm: str
) -> Array:
    """Draw ``coef ~ N(A⁻¹ Xcᵀyc / s², A⁻¹)``, ``A = XcᵀXc / s² + diag(precision)``.

    ``precision`` is the prior precision of each weight in the units of the weights; both
    algorithms draw exactly from this Normal (module docstring, step 1).
    """
    if algorithm == CHOLESKY:
        system = data.xx / noise_var + jnp.diag(precision)
        factor = jnp.linalg.cholesky(system)
        mean = cho_solve((factor, True), data.xy / noise_var)
        noise = jax.random.normal(rng_key, jnp.shape(precision))
        return mean + solve_triangular(factor.T, noise, lower=False)
    prior_var = 1.0 / precision
    scale = jnp.sqrt(noise_var)
    design, response = data.xc / scale, data.yc / scale
    prior_key, noise_key = jax.random.split(rng_key)
    u = jnp.sqrt(prior_var) * jax.random.normal(prior_key, jnp.shape(precision))
    delta = jax.random.normal(noise_key, jnp.shape(response))
    v = design @ u + delta
    system = (design * prior_var) @ design.T + jnp.eye(jnp.shape(response)[0])
    factor = jnp.linalg.cholesky(system)
    w = cho_solve((factor, True), response - v)
    return u + prior_var * (design.T @ w)


def _residual_sum_of_squares(data: GibbsData, coef: Array, algorithm: str) -> Array:
    if algorithm == CHOLESKY:
        rss = data.yy - 2.0 * coef @ data.xy + coef @ data.xx @ coef
        return jnp.maximum(rss, 0.0)  # rounding can push a perfect fit below zero
    resid = data.yc - data.xc @ coef
    return resid @ resid


def _noise_log_density(noise: dist.Distribution, sigma: Array) -> Array:
    """``log p_sigma(sigma)``, -inf outside the prior's support."""
    inside = noise.support(sigma)
    return jnp.where(inside, noise.log_prob(jnp.where(inside, sigma, 1.0)), -jnp.inf)


def _draw_noise(
    rng_key: Array, noise: dist.Distribution, dof: Array, quadratic: Array, sigma: Array
) -> tuple[Array, Array]:
    """Independence Metropolis on sigma² (module docstring): ``(sigma, acceptance)``.

    The target density of ``v = sigma²`` is ``v^(-dof/2) exp(-quadratic / (2v))`` times the
    noise prior's density of ``sqrt(v)``; the proposal is its inverse-gamma part,
    ``InvGamma(dof/2 - 1/2, quadratic/2)``, so the ratio is the prior's.
    """
    gamma_key, accept_key = jax.random.split(rng_key)
    proposal = jnp.sqrt(inverse_gamma(gamma_key, dof / 2.0 - 0.5, quadratic / 2.0))
    log_ratio = _noise_log_density(noise, proposal) - _noise_log_density(noise, sigma)
    log_ratio = jnp.where(jnp.isnan(log_ratio), -jnp.inf, log_ratio)
    accept = jnp.log(jax.random.uniform(accept_key)) < log_ratio
    return jnp.where(accept, proposal, sigma), jnp.exp(jnp.minimum(log_ratio, 0.0))


class _Marginal(NamedTuple):
    """The weights' system with the prior in units of sigma, factored once per step."""

    factor: Array  # Cholesky factor of XcᵀXc + diag(q) (p x p) or of Xc diag(1/q) Xcᵀ + I (n x n)
    mean: Array  # (XcᵀXc + diag(q))⁻¹ Xcᵀyc: the weights' mean, whatever sigma (Cholesky)
    quadratic: Array  # yc' (I + Xc diag(1/q) Xcᵀ)⁻¹ yc: the weights integrated out


def _marginal(data: GibbsData, q: Array, algorithm: str) -> _Marginal:
    """Factor the system of a noise-scaled prior (``coef | aux ~ N(0, sigma² / q)``).

    Then ``yc | sigma², aux ~ N(0, sigma² M)``, ``M = I + Xc diag(1/q) Xcᵀ``, and
    ``yc' M⁻¹ yc = yc'yc - xy' (XcᵀXc + diag(q))⁻¹ xy`` (Woodbury): the quadratic form of
    sigma²'s conditional with the weights integrated out, from the same factor as their draw.
    """
    if algorithm == CHOLESKY:
        factor = jnp.linalg.cholesky(data.xx + jnp.diag(q))
        mean = cho_solve((factor, True), data.xy)
        return _Marginal(factor, mean, jnp.maximum(data.yy - data.xy @ mean, 0.0))
    system = (data.xc / q) @ data.xc.T + jnp.eye(data.xc.shape[0])
    factor = jnp.linalg.cholesky(system)
    root = solve_triangular(factor, data.yc, lower=True)
    return _Marginal(factor, jnp.zeros(q.shape), root @ root)


# the random-walk sd of the global scale's move on log tau², as Johndrow et al. (2020) use on
# log(1/tau²) (their s = 0.8): wide enough to cross tau's posterior (several units of log) in a
# few steps, accepted about half the time in their experiments
_GLOBAL_STEP = 0.8


def _move_global_scale(
    rng_key: Array,
    data: GibbsData,
    prior: Any,
    aux: Any,
    sigma: Array,
    noise: Any = None,
    dof: Array | None = None,
) -> tuple[Any, Array, _Marginal, Array]:
    r"""Move ``tau²`` (and sigma²) with the weights integrated out: ``(aux, q, marginal, sigma)``.

    Johndrow, Orenstein & Bhattacharya (2020, §2.2) update the horseshoe's global scale by
    Metropolis on $p(\tau^2 \mid \text{local scales}, y)$, the weights and the noise integrated
    out; with p >> n the plain draw of $\tau^2$ given all p weights barely moves it. Here the
    noise prior is any $p_\sigma$, so the move is joint: $\log\tau^{2\prime} = \log\tau^2 +
    0.8\,\varepsilon$ and $s' = \sigma'^2 \sim \mathrm{IG}(\alpha, Q_{\tau'}/2)$, $\alpha =
    (m - 1)/2$, the inverse-gamma part of sigma²'s conditional given $\tau'$
    ($Q_\tau = y_c^\top M_\tau^{-1} y_c$, $M_\tau = I + X_c \mathrm{diag}(1/q) X_c^\top$, $m$ the
    degrees of freedom). Writing the target $\pi(\tau^2, s) \propto |M_\tau|^{-1/2} s^{-m/2}
    e^{-Q_\tau/(2s)} p_\sigma(\sqrt s)\, s^{-1/2} p(\tau^2 \mid \cdot)$ and dividing by the
    proposal's density of $s$, the log acceptance ratio is $g(\tau'^2, s') - g(\tau^2, s) +
    \log\tau'^2 - \log\tau^2$ (the last two: the log-scale walk) with
    $g = -\tfrac12\log|M_\tau| - \alpha \log Q_\tau + \log p_\sigma(\sqrt s) + \log p(\tau^2
    \mid \cdot)$: $\sigma$ integrated out under $1/\sigma$, corrected by its prior's ratio. With
    a known sigma only $\tau^2$ moves, by the ratio of $-\tfrac12 \log|M| - Q/(2\sigma^2)$.
    Drawn before the weights, which are then drawn given both: a partially collapsed Gibbs
    sweep (van Dyk & Park 2008) that leaves the posterior invariant.
    """
    scale = prior.global_scale
    walk_key, noise_key, accept_key = jax.random.split(rng_key, 3)
    tau2 = scale.get(aux)
    proposal = tau2 * jnp.exp(_GLOBAL_STEP * jax.random.normal(walk_key))
    moved = scale.set(aux, proposal)
    q, q_moved = prior.precision(aux), prior.precision(moved)
    here = _marginal(data, q, BHATTACHARYA)
    there = _marginal(data, q_moved, BHATTACHARYA)

    def log_det(marginal: _Marginal) -> Array:
        return 2.0 * jnp.sum(jnp.log(jnp.diag(marginal.factor)))

    if noise is None:  # sigma known: tau² alone, given it
        sigma_moved = sigma
        log_target = lambda m, t, sd: -0.5 * log_det(m) - m.quadratic / (2.0 * sd**2)  # noqa: E731
    else:
        shape = dof / 2.0 - 0.5
        sigma_moved = jnp.sqrt(inverse_gamma(noise_key, shape, there.quadratic / 2.0))

        def log_target(m: _Marginal, t: Array, sd: Array) -> Array:
            return -0.5 * log_det(m) - shape * jnp.log(m.quadratic) + _noise_log_density(noise, sd)

    log_ratio = (
        log_target(there, proposal, sigma_moved)
        + scale.log_density(aux, proposal)
        + jnp.log(proposal)
        - log_target(here, tau2, sigma)
        - scale.log_density(aux, tau2)
        - jnp.log(tau2)
    )
    log_ratio = jnp.where(jnp.isnan(log_ratio), -jnp.inf, log_ratio)
    accept = jnp.log(jax.random.uniform(accept_key)) < log_ratio
    pick = lambda new, old: jax.tree.map(lambda a, b: jnp.where(accept, a, b), new, old)  # noqa: E731
    return pick(moved, aux), pick(q_moved, q), pick(there, here), pick(sigma_moved, sigma)


def _scaled_weights(
    rng_key: Array, data: GibbsData, q: Array, marginal: _Marginal, sigma: Array, algorithm: str
) -> Array:
    """Draw ``coef | sigma², aux`` for a noise-scaled prior from the factored system.

    Cholesky: ``coef ~ N(mean, sigma² (XcᵀXc + diag(q))⁻¹)``. Bhattacharya et al. on
    ``w = coef / sigma``: ``yc / sigma = Xc w + N(0, I)``, ``w ~ N(0, diag(1/q))``, whose
    system matrix ``Xc diag(1/q) Xcᵀ + I`` is the one factored.
    """
    if algorithm == CHOLESKY:
        noise = jax.random.normal(rng_key, q.shape)
        return marginal.mean + sigma * solve_triangular(marginal.factor.T, noise, lower=False)
    prior_var = 1.0 / q
    prior_key, noise_key = jax.random.split(rng_key)
    u = jnp.sqrt(prior_var) * jax.random.normal(prior_key, q.shape)
    v = data.xc @ u + jax.random.normal(noise_key, data.yc.shape)
    w = cho_solve((marginal.factor, True), data.yc / sigma - v)
    return sigma * (u + prior_var * (data.xc.T @ w))


def gibbs_kernel(
    model: Callable[..., Any],
    target: Any,
    num_warmup: int,
    target_of: Callable[[tuple, dict], Any],
    *,
    thin: int = DEFAULTS["thin"],
) -> Kernel:
    """Return the Gibbs sampler of ``target`` (a ``GibbsTarget`` of ``model``) as a `Kernel`.

    ``target_of(args, kwargs)`` rebuilds the target from the (traced) model arguments inside
    the compiled program, so the prior's parameters are traced like the data and a new call of
    the same structure reuses the program; ``target`` (built from the call's concrete
    arguments) gives the data statistics, computed once here. One kernel step is ``thin``
    sweeps (`OPTIONS`); the first ``num_warmup`` steps are a burn-in whose draws are dropped.
    """
    n, p = target.X.shape
    algorithm = CHOLESKY if n >= p else BHATTACHARYA
    estimate_noise = isinstance(target.noise, dist.Distribution)
    if estimate_noise:
        dof = n - 1 if target.intercept else n
        if dof <= 1:
            raise ValueError(
                f"the Gibbs sampler's draw of sigma needs more observations: with n = {n} "
                f"(and {'an' if target.intercept else 'no'} intercept) the conditional of sigma² "
                "is improper. Give a known sigma, or more rows."
            )

    def traced_target(inputs: KernelInputs) -> Any:
        found = target_of(inputs.args, inputs.kwargs)
        if isinstance(found, str):  # a capability that needs concrete arguments
            raise TypeError(
                "the model's gibbs_target must accept traced arguments (the Gibbs sampler "
                f"rebuilds its target inside the compiled program); it answered: {found}"
            )
        return found

    def position_and_lp(
        inputs: KernelInputs, target: Any, aux: Any, coef: Array, intercept: Array, sigma: Array
    ) -> tuple[dict[str, Array], Array]:
        sites = dict(target.prior.sites(aux, coef, sigma))
        if target.intercept:
            sites["intercept"] = intercept
        if estimate_noise:
            sites["sigma"] = sigma
        position = unconstrain_fn(model, inputs.args, inputs.kwargs, sites)
        lp = -potential_energy(model, inputs.args, inputs.kwargs, position)
        return position, lp

    def init(rng_key: Array, inputs: KernelInputs) -> GibbsState:
        target = traced_target(inputs)
        data = inputs.params
        coef = jnp.zeros(p)
        if estimate_noise:  # the response's own spread: a scale the data make plausible
            spread = jnp.sqrt(data.yy / data.n) if algorithm == CHOLESKY else jnp.std(data.yc)
            sigma = jnp.where(spread > 0, spread, 1.0)
        else:
            sigma = jnp.asarray(target.noise, float)
        aux = target.prior.init(p)
        intercept = data.y_mean
        position, lp = position_and_lp(inputs, target, aux, coef, intercept, sigma)
        values = (coef, intercept, sigma, aux, position, lp, jnp.ones(()))
        # strong types, as step returns them: a weakly typed start would compile advance twice
        values = jax.tree.map(lambda x: jnp.asarray(x, jnp.result_type(x)), values)
        return GibbsState(rng_key, *values)

    def step(state: GibbsState, inputs: KernelInputs) -> GibbsState:
        return jax.lax.fori_loop(0, thin, lambda i, state: sweep(state, inputs), state)

    def sweep(state: GibbsState, inputs: KernelInputs) -> GibbsState:
        target = traced_target(inputs)
        prior, data = target.prior, inputs.params
        rng_key, coef_key, noise_key, intercept_key, aux_key = jax.random.split(state.rng_key, 5)
        sigma, accept = state.sigma, jnp.ones(())
        q = prior.precision(state.aux)
        dof = data.n - 1.0 if target.intercept else data.n
        if prior.noise_scaled:  # sigma² with the weights integrated out, then the weights
            if algorithm == BHATTACHARYA and prior.global_scale is not None:
                tau_key, noise_key = jax.random.split(noise_key)
                noise = target.noise if estimate_noise else None
                aux, q, marginal, sigma = _move_global_scale(
                    tau_key, data, prior, state.aux, sigma, noise, dof
                )
            else:
                aux, marginal = state.aux, _marginal(data, q, algorithm)
            if estimate_noise:
                sigma, accept = _draw_noise(noise_key, target.noise, dof, marginal.quadratic, sigma)
            coef = _scaled_weights(coef_key, data, q, marginal, sigma, algorithm)
        else:  # the weights given sigma², then sigma² given them
            aux = state.aux
            coef = draw_weights(coef_key, data, q, sigma**2, algorithm)
            if estimate_noise:
                rss = _residual_sum_of_squares(data, coef, algorithm)
                sigma, accept = _draw_noise(noise_key, target.noise, dof, rss, sigma)
        intercept = jnp.zeros(())
        if target.intercept:
            centred = data.y_mean + sigma / jnp.sqrt(data.n) * jax.random.normal(intercept_key)
            intercept = centred - data.x_mean @ coef
        aux = prior.update(aux_key, aux, coef / sigma if prior.noise_scaled else coef)
        position, lp = position_and_lp(inputs, target, aux, coef, intercept, sigma)
        return GibbsState(rng_key, coef, intercept, sigma, aux, position, lp, accept)

    def info(state: GibbsState) -> dict[str, Array]:
        stats = {"diverging": jnp.asarray(False), "lp": state.lp}
        if estimate_noise:
            stats["accept_sigma"] = state.accept_sigma
        return stats

    return Kernel(
        name="gibbs",
        init=init,
        step=step,
        position=lambda state: state.position,
        info=info,
        postprocess=constrained_sites(model),
        key=("gibbs", model, num_warmup, thin, algorithm, estimate_noise, bool(target.intercept)),
        params=gibbs_data(target, algorithm),
        num_warmup=num_warmup,
    )


def gibbs_wins(target: Any) -> bool:
    r"""Whether ``method="auto"`` runs the Gibbs sampler on ``target`` rather than NUTS.

    The rule: Gibbs when the prior's weights are not a sample site of their own but a product
    of sampled scales (no ``"coef"`` among ``prior.sites``: the horseshoe and the horseshoe+,
    whose non-centred ``coef_z``, ``lambda``, ``tau`` give NUTS a funnel), whatever ``n`` and
    ``p``; NUTS otherwise. Measured by the horseshoe benchmark (``python -m benchmarks.run
    --only shrinkage``; results in ``benchmarks/results/shrinkage-*.md``): min bulk-ESS per
    second over ``coef``, ``sigma``, ``tau``, repeat calls, 2 chains, medians of 5 seeds run in
    turns on one shared 2-core machine:

    - diabetes (442 x 10, standardized): Gibbs 380/s, NUTS 56/s (6.8x; 31-90 divergences per
      call), nutpie 29/s, PyMC 3.4/s;
    - 2000 x 200, 10 nonzero: Gibbs 21/s, NUTS 18/s (1.2x; 83 divergences per call), nutpie
      0.38/s;
    - p > n, 100 x 1000, 10 nonzero: Gibbs 5.9/s, NUTS 0.23/s (26x; 140 divergences per
      call), nutpie 0.060/s. Here the kernel moves tau² jointly with sigma², the weights
      integrated out (`_move_global_scale`, after Johndrow, Orenstein & Bhattacharya 2020,
      JMLR 21(73)): without that move tau's bulk ESS was about 3 per 2 x 2000 draws and the
      Gibbs kernel lost (0.078/s against NUTS's 0.10/s).

    The horseshoe+ is not in the benchmark; its Gibbs kernel makes the same moves and NUTS meets
    a deeper funnel there (two local scales: ~75 divergences per 4 x 1000 draws on diabetes
    even at target_accept_prob 0.99). One seed on 100 x 500 (5 nonzero): Gibbs 2 x (1000 + 4000)
    draws in 47 s, smallest bulk ESS 743 (log tau); NUTS at 0.99, depth 12, 2 x (1000 + 1000) in
    301 s, smallest 294, 9 divergences; their means and sds agree (|z| < 1.2, sds within 7%).
    Laplace and Student-t priors (sites ``coef``): NUTS has no funnel there and ``"auto"``
    keeps it.
    """
    p = target.X.shape[1]
    prior = target.prior
    return "coef" not in prior.sites(prior.init(p), jnp.zeros(p), jnp.ones(()))
