r"""Gibbs conditionals of the priors that are scale mixtures of Normals.

A Gibbs sampler (`bayesreg.sample.kernels.gibbs`) draws the weights from their Gaussian
conditional and asks the prior for the rest. Each prior here is written as

$$
w_j \mid a \sim \mathcal N\!\left(0,\ \frac{s^2}{q_j(a)}\right), \qquad a \sim p(a),
$$

with auxiliary variables $a$ (local and global scales, mixing variances), prior precisions
$q_j(a)$, and $s$ the noise sd $\sigma$ when the prior is in units of the noise
(``noise_scaled``, the horseshoe family and the Bayesian lasso) or $1$ otherwise. It answers with
a `GibbsPrior`: a starting point, $q(a)$, a draw of $a \mid w$ (with $w$ the weights divided by
$s$), and the values of its model sites, so that the draws land on the same sites as NUTS's.

Representations (each conditional below is derived in the function that draws it):

- Normal(0, tau): no auxiliaries, $q_j = 1/\tau^2$.
- Laplace(0, b) = Normal scale mixture with variance $\omega_j \sim \mathrm{Exp}(1/(2b^2))$
  (Andrews & Mallows 1974; Park & Casella 2008): $1/\omega_j \mid w_j \sim
  \mathrm{InvGaussian}(1/(b|w_j|),\ 1/b^2)$. The elastic-net prior multiplies the same mixture by
  $\exp(-w^2/(2\tau^2))$, so $q_j = 1/\omega_j + 1/\tau^2$ with the same conditional of $\omega$.
- Student-t(df, 0, s) (in units of sigma) = Normal with variance $s^2 \omega_j$, $\omega_j \sim
  \mathrm{InvGamma}(df/2, df/2)$: $\omega_j \mid w_j \sim \mathrm{InvGamma}((df+1)/2,
  (df + w_j^2/s^2)/2)$.
- Horseshoe (Carvalho, Polson & Scott 2010), $w_j \sim \mathcal N(0, \lambda_j^2\tau^2)$,
  $\lambda_j \sim C^+(0, 1)$, $\tau \sim C^+(0, A)$, through the inverse-gamma auxiliaries of
  Makalic & Schmidt (2016): $x \sim C^+(0, A) \iff x^2 \mid \nu \sim \mathrm{IG}(1/2, 1/\nu),
  \nu \sim \mathrm{IG}(1/2, 1/A^2)$, which makes every conditional inverse-gamma.
- Horseshoe+ (Bhadra et al. 2017), $\lambda_j \sim C^+(0, \tau\eta_j)$, $\eta_j \sim C^+(0, 1)$:
  the local scale is $\eta_j\lambda_j$ with both factors half-Cauchy(0, 1), each with its own
  auxiliary.
- The Bayesian lasso of Park & Casella (2008), $w_j \mid \sigma \sim \mathrm{Laplace}(0,
  \sigma/\lambda)$: the Laplace mixture in units of $\sigma$, and with $\lambda^2 \sim
  \mathrm{Gamma}(r, \delta)$, $\lambda^2 \mid \omega \sim \mathrm{Gamma}(r + p, \delta +
  \sum_j \omega_j / 2)$ (their §3.2).

Inverse-gamma draws are ``rate / Gamma(shape)``; the inverse-Gaussian draw is Michael, Schucany
& Haas (1976).

References
----------
Makalic, E. & Schmidt, D. F. (2016). A simple sampler for the horseshoe estimator. IEEE Signal
Processing Letters 23(1), 179-182.
Park, T. & Casella, G. (2008). The Bayesian lasso. JASA 103, 681-686.
Bhadra, A., Datta, J., Polson, N. G. & Willard, B. (2017). The horseshoe+ estimator of
ultra-sparse signals. Bayesian Analysis 12(4), 1105-1131.
Michael, J. R., Schucany, W. R. & Haas, R. W. (1976). Generating random variates using
transformations with multiple roots. The American Statistician 30(2), 88-90.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from .._types import Array

__all__ = [
    "GibbsPrior",
    "GibbsTarget",
    "GlobalScale",
    "bayesian_lasso_gibbs",
    "elastic_net_gibbs",
    "gaussian_gibbs",
    "horseshoe_gibbs",
    "horseshoe_plus_gibbs",
    "inverse_gamma",
    "inverse_gaussian",
    "laplace_gibbs",
    "student_t_gibbs",
]


class GibbsPrior(NamedTuple):
    """What a Gibbs sampler asks of a prior on ``p`` weights (module docstring).

    Attributes
    ----------
    noise_scaled : bool
        ``w_j | a ~ N(0, sigma² / q_j)`` (True: the prior is in units of the noise sd) or
        ``N(0, 1 / q_j)`` (False).
    init : callable
        ``p -> a``: the auxiliaries' starting point (a pytree; valid, fixed).
    precision : callable
        ``a -> q``, shape ``(p,)``.
    update : callable
        ``(rng_key, a, w) -> a`` drawn from ``a | w``, with ``w`` the weights divided by sigma
        when ``noise_scaled``, else the weights.
    sites : callable
        ``(a, coef, sigma) -> dict``: the constrained values of the prior's own model sites
        (``{"coef": coef}`` for a prior sampled directly on ``coef``; ``{"tau": ..., "lambda":
        ..., "coef_z": ...}`` for the horseshoe), ``sigma`` being 1.0 without noise.
    global_scale : GlobalScale, optional
        A global variance ``tau²`` that every ``q_j`` divides (``q = q_local / tau²``), for the
        sampler's move of ``tau²`` with the weights integrated out; ``None`` when there is none.
    """

    noise_scaled: bool
    init: Callable[[int], Any]
    precision: Callable[[Any], Array]
    update: Callable[[Array, Any, Array], Any]
    sites: Callable[[Any, Array, Array], dict[str, Array]]
    global_scale: GlobalScale | None = None


class GlobalScale(NamedTuple):
    """A prior's global variance ``tau²``: read it, set it, and its log density given the rest.

    ``log_density(a, tau2)`` is ``log p(tau² | the other auxiliaries)`` up to a constant.
    """

    get: Callable[[Any], Array]
    set: Callable[[Any, Array], Any]
    log_density: Callable[[Any, Array], Array]


class GibbsTarget(NamedTuple):
    """A Gaussian linear model as a Gibbs sampler sees it (``model.gibbs_target``).

    ``y ~ N(intercept + X @ coef, sigma²)`` with a flat ``"intercept"`` site (or none), the noise
    sd a known float or a scalar NumPyro distribution (site ``"sigma"``), and a `GibbsPrior` on
    the weights.
    """

    X: Array
    y: Array
    intercept: bool
    noise: Any
    prior: GibbsPrior


# the largest finite inverse-Gaussian mean used: 1/(b|w|) at w = 0 is infinite, and the draw
# 1/omega then concentrates at infinity (omega -> 0); 1e150 keeps its square finite in float64
_MAX_MEAN = 1e150


def inverse_gamma(rng_key: Array, shape: Array, rate: Array) -> Array:
    """Draw ``InverseGamma(shape, rate)`` (density ∝ x^(-shape-1) exp(-rate/x)), elementwise.

    A shape of exactly 1 (a Python number) draws ``rate / Exponential(1)``, the same law
    (Gamma(1) is Exp(1)), one cheap operation instead of a gamma sampler's rejection loops,
    which dominate the compile time of a Gibbs program.
    """
    if isinstance(shape, int | float) and shape == 1:
        rate = jnp.asarray(rate, float)
        return rate / jax.random.exponential(rng_key, rate.shape)
    shape, rate = jnp.broadcast_arrays(jnp.asarray(shape, float), jnp.asarray(rate, float))
    return rate / jax.random.gamma(rng_key, shape)


def inverse_gaussian(rng_key: Array, mean: Array, shape: Array) -> Array:
    """Draw ``InverseGaussian(mean, shape)`` elementwise (Michael, Schucany & Haas 1976).

    The root ``x = mean (1 + a - sqrt(a² + 2a))``, ``a = mean·chi²₁ / (2 shape)``, is computed as
    ``mean / (1 + a + sqrt(a² + 2a))`` (the same number; no cancellation for large ``a``); the
    other root ``mean²/x`` is taken with probability ``x / (mean + x)``.
    """
    mean, shape = jnp.broadcast_arrays(jnp.asarray(mean, float), jnp.asarray(shape, float))
    mean = jnp.minimum(mean, _MAX_MEAN)
    normal_key, uniform_key = jax.random.split(rng_key)
    chi2 = jax.random.normal(normal_key, mean.shape) ** 2
    a = mean * chi2 / (2.0 * shape)
    root = mean / (1.0 + a + jnp.sqrt(a * a + 2.0 * a))
    u = jax.random.uniform(uniform_key, mean.shape)
    return jnp.where(u <= mean / (mean + root), root, mean * (mean / root))


def _coef_only(aux: Any, coef: Array, sigma: Array) -> dict[str, Array]:
    return {"coef": coef}


def gaussian_gibbs(scale: Array) -> GibbsPrior:
    """Normal(0, scale): fixed precision ``1/scale²``, nothing to draw."""
    scale = jnp.asarray(scale, float)
    return GibbsPrior(
        noise_scaled=False,
        init=lambda p: jnp.zeros(p),  # a placeholder the size of the weights: no auxiliaries
        precision=lambda aux: jnp.broadcast_to(1.0 / scale**2, aux.shape),
        update=lambda key, aux, w: aux,
        sites=_coef_only,
    )


def _mixing_variance_update(key: Array, w: Array, b: Array) -> Array:
    r"""Draw $\omega \mid w$ for $w \mid \omega \sim N(0, \omega)$, $\omega \sim Exp(1/(2b^2))$.

    $p(u = 1/\omega \mid w) \propto u^{-3/2} \exp(-w^2 u / 2 - 1/(2 b^2 u))$, the
    inverse-Gaussian density with shape $1/b^2$ and mean $1/(b|w|)$.
    """
    inv_omega = inverse_gaussian(key, 1.0 / (b * jnp.abs(w)), 1.0 / b**2)
    return 1.0 / inv_omega


def laplace_gibbs(scale: Array) -> GibbsPrior:
    """Laplace(0, scale) as a Normal scale mixture; the auxiliaries are the variances omega."""
    b = jnp.asarray(scale, float)
    return GibbsPrior(
        noise_scaled=False,
        init=lambda p: jnp.broadcast_to(2.0 * b**2, (p,)),  # E[omega] = 2 b²
        precision=lambda omega: 1.0 / omega,
        update=lambda key, omega, w: _mixing_variance_update(key, w, b),
        sites=_coef_only,
    )


def elastic_net_gibbs(l1_scale: Array, l2_scale: Array) -> GibbsPrior:
    """``∝ exp(-|w|/b - w²/(2 tau²))``: the Laplace mixture times the Normal factor."""
    b = jnp.asarray(l1_scale, float)
    tau = jnp.asarray(l2_scale, float)
    return GibbsPrior(
        noise_scaled=False,
        init=lambda p: jnp.broadcast_to(2.0 * b**2, (p,)),
        precision=lambda omega: 1.0 / omega + 1.0 / tau**2,
        # p(omega | w) ∝ N(w; 0, omega) p(omega): the Normal factor does not involve omega
        update=lambda key, omega, w: _mixing_variance_update(key, w, b),
        sites=_coef_only,
    )


def student_t_gibbs(df: Array, scale: Array) -> GibbsPrior:
    r"""Give Student-t(df, 0, sigma scale)'s conditionals: variance $s^2\omega$, $\omega \sim IG$.

    In units of sigma, $w_j \mid \omega_j \sim N(0, s^2\omega_j)$, $\omega_j \sim IG(df/2, df/2)$.

    $p(\omega \mid w) \propto \omega^{-1/2} e^{-w^2/(2 s^2 \omega)} \omega^{-df/2-1}
    e^{-df/(2\omega)}$: $\mathrm{IG}((df + 1)/2, (df + w^2/s^2)/2)$.
    """
    df = jnp.asarray(df, float)
    s = jnp.asarray(scale, float)
    return GibbsPrior(
        noise_scaled=True,
        init=lambda p: jnp.ones(p),
        precision=lambda omega: 1.0 / (s**2 * omega),
        update=lambda key, omega, w: inverse_gamma(key, (df + 1.0) / 2.0, (df + w**2 / s**2) / 2),
        sites=_coef_only,
    )


class HorseshoeAux(NamedTuple):
    """The horseshoe's auxiliaries: ``lambda²``, ``tau²`` and their inverse-gamma mixers."""

    lam2: Array  # (p,)
    nu: Array  # (p,)
    tau2: Array  # ()
    xi: Array  # ()


def _global_update(key: Array, scaled_sum: Array, p: int, xi: Array, global_scale: Array):
    r"""Draw $(\tau^2, \xi)$ given $\sum_j w_j^2 / (2 \ell_j^2)$ (local scales $\ell_j$).

    $p(\tau^2 \mid \cdot) \propto (\tau^2)^{-p/2} e^{-S/\tau^2} (\tau^2)^{-3/2} e^{-1/(\xi\tau^2)}$:
    $\mathrm{IG}((p+1)/2, 1/\xi + S)$; then $p(\xi \mid \tau^2) \propto \xi^{-2}
    e^{-(1/\tau^2 + 1/A^2)/\xi}$: $\mathrm{IG}(1, 1/\tau^2 + 1/A^2)$.
    """
    tau_key, xi_key = jax.random.split(key)
    tau2 = inverse_gamma(tau_key, (p + 1.0) / 2.0, 1.0 / xi + scaled_sum)
    xi = inverse_gamma(xi_key, 1.0, 1.0 / tau2 + 1.0 / global_scale**2)
    return tau2, xi


def _global_log_density(aux: Any, tau2: Array) -> Array:
    """``log p(tau² | xi)`` of ``tau² | xi ~ IG(1/2, 1/xi)``, up to a constant."""
    return -1.5 * jnp.log(tau2) - 1.0 / (aux.xi * tau2)


#: the ``tau2`` field of an auxiliary NamedTuple with a mixer ``xi`` (horseshoe, horseshoe+)
TAU2_GLOBAL_SCALE = GlobalScale(
    get=lambda aux: aux.tau2,
    set=lambda aux, tau2: aux._replace(tau2=tau2),
    log_density=_global_log_density,
)


def _local_update(key: Array, w2_over: Array, mixer: Array) -> tuple[Array, Array]:
    r"""Draw one half-Cauchy(0, 1) local factor $\ell^2$ and its mixer $\nu$.

    With $w \sim N(0, c\,\ell^2)$, $\ell^2 \mid \nu \sim IG(1/2, 1/\nu)$ and
    ``w2_over`` $= w^2 / (2c)$: $\ell^2 \mid \cdot \sim IG(1, 1/\nu + w^2/(2c))$, then
    $\nu \mid \ell^2 \sim IG(1, 1 + 1/\ell^2)$.
    """
    local_key, mixer_key = jax.random.split(key)
    local2 = inverse_gamma(local_key, 1.0, 1.0 / mixer + w2_over)
    mixer = inverse_gamma(mixer_key, 1.0, 1.0 + 1.0 / local2)
    return local2, mixer


def horseshoe_gibbs(global_scale: Array) -> GibbsPrior:
    r"""Give the horseshoe's conditionals: ``w_j / sigma ~ N(0, lambda_j² tau²)``.

    ``lambda_j ~ C+(0, 1)``, ``tau ~ C+(0, global_scale)``.

    Sites: ``tau``, ``lambda`` and ``coef_z = coef / (sigma lambda tau)`` (the non-centered
    weights of `bayesreg.priors.horseshoe`).
    """
    scale = jnp.asarray(global_scale, float)

    def init(p: int) -> HorseshoeAux:
        return HorseshoeAux(jnp.ones(p), jnp.ones(p), scale**2, jnp.ones(()))

    def update(key: Array, aux: HorseshoeAux, w: Array) -> HorseshoeAux:
        local_key, global_key = jax.random.split(key)
        lam2, nu = _local_update(local_key, w**2 / (2.0 * aux.tau2), aux.nu)
        tau2, xi = _global_update(global_key, jnp.sum(w**2 / (2.0 * lam2)), w.size, aux.xi, scale)
        return HorseshoeAux(lam2, nu, tau2, xi)

    def sites(aux: HorseshoeAux, coef: Array, sigma: Array) -> dict[str, Array]:
        lam, tau = jnp.sqrt(aux.lam2), jnp.sqrt(aux.tau2)
        return {"tau": tau, "lambda": lam, "coef_z": coef / (sigma * lam * tau)}

    return GibbsPrior(
        noise_scaled=True,
        init=init,
        precision=lambda aux: 1.0 / (aux.lam2 * aux.tau2),
        update=update,
        sites=sites,
        global_scale=TAU2_GLOBAL_SCALE,
    )


class HorseshoePlusAux(NamedTuple):
    """The horseshoe+'s auxiliaries: two local factors ``lambda²``, ``eta²``, ``tau²``, mixers."""

    lam2: Array
    nu: Array
    eta2: Array
    psi: Array
    tau2: Array
    xi: Array


def horseshoe_plus_gibbs(global_scale: Array) -> GibbsPrior:
    r"""Give the horseshoe+'s conditionals: ``w_j / sigma ~ N(0, eta_j² lambda_j² tau²)``.

    Each of ``eta_j``, ``lambda_j`` is half-Cauchy(0, 1), ``tau ~ C+(0, global_scale)``.

    $\lambda_j \sim C^+(0, \tau\eta_j)$ of Bhadra et al. is $\tau\eta_j$ times a $C^+(0, 1)$
    factor; each of $\lambda$, $\eta$ is drawn given the other as the horseshoe's local scale.
    Sites: ``tau``, ``eta``, ``lambda``, ``coef_z = coef / (sigma eta lambda tau)``.
    """
    scale = jnp.asarray(global_scale, float)

    def init(p: int) -> HorseshoePlusAux:
        ones = jnp.ones(p)
        return HorseshoePlusAux(ones, ones, ones, ones, scale**2, jnp.ones(()))

    def update(key: Array, aux: HorseshoePlusAux, w: Array) -> HorseshoePlusAux:
        lam_key, eta_key, global_key = jax.random.split(key, 3)
        lam2, nu = _local_update(lam_key, w**2 / (2.0 * aux.tau2 * aux.eta2), aux.nu)
        eta2, psi = _local_update(eta_key, w**2 / (2.0 * aux.tau2 * lam2), aux.psi)
        tau2, xi = _global_update(
            global_key, jnp.sum(w**2 / (2.0 * lam2 * eta2)), w.size, aux.xi, scale
        )
        return HorseshoePlusAux(lam2, nu, eta2, psi, tau2, xi)

    def sites(aux: HorseshoePlusAux, coef: Array, sigma: Array) -> dict[str, Array]:
        lam, eta, tau = jnp.sqrt(aux.lam2), jnp.sqrt(aux.eta2), jnp.sqrt(aux.tau2)
        return {"tau": tau, "eta": eta, "lambda": lam, "coef_z": coef / (sigma * eta * lam * tau)}

    return GibbsPrior(
        noise_scaled=True,
        init=init,
        precision=lambda aux: 1.0 / (aux.lam2 * aux.eta2 * aux.tau2),
        update=update,
        sites=sites,
        global_scale=TAU2_GLOBAL_SCALE,
    )


class LassoAux(NamedTuple):
    """The Bayesian lasso's auxiliaries: mixing variances ``omega`` (``tau_j²``) and ``lam²``."""

    omega: Array
    lam2: Array


def bayesian_lasso_gibbs(lam: Array | None, rate: Array = 0.0, shape: Array = 0.0) -> GibbsPrior:
    r"""Park & Casella's Laplace(0, sigma/lam) weights: ``lam`` fixed, or ``None`` for random.

    With ``lam=None``, ``lam² ~ Gamma(shape, rate)`` and $\lambda^2 \mid \omega \sim
    \mathrm{Gamma}(shape + p, rate + \sum_j \omega_j/2)$; the site ``"lam"`` is reported.
    In units of sigma: $w_j \mid \omega \sim N(0, \omega_j)$, $\omega_j \sim Exp(\lambda^2/2)$,
    so $1/\omega_j \mid w_j \sim \mathrm{InvGaussian}(\lambda/|w_j|, \lambda^2)$.
    """
    random = lam is None
    fixed2 = None if random else jnp.asarray(lam, float) ** 2

    def init(p: int) -> LassoAux:
        lam2 = jnp.asarray(shape / rate if random else fixed2, float)
        return LassoAux(jnp.broadcast_to(2.0 / lam2, (p,)), lam2)

    def update(key: Array, aux: LassoAux, w: Array) -> LassoAux:
        omega_key, lam_key = jax.random.split(key)
        lam2 = aux.lam2
        inv_omega = inverse_gaussian(omega_key, jnp.sqrt(lam2) / jnp.abs(w), lam2)
        omega = 1.0 / inv_omega
        if random:
            lam2 = jax.random.gamma(lam_key, shape + w.size) / (rate + jnp.sum(omega) / 2.0)
        return LassoAux(omega, lam2)

    def sites(aux: LassoAux, coef: Array, sigma: Array) -> dict[str, Array]:
        return {"coef": coef, "lam": jnp.sqrt(aux.lam2)} if random else {"coef": coef}

    return GibbsPrior(
        noise_scaled=True,
        init=init,
        precision=lambda aux: 1.0 / aux.omega,
        update=update,
        sites=sites,
    )
