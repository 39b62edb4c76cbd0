r"""Gaussian likelihood: ridge, lasso and elastic net (scikit-learn) <-> prior scales.

scikit-learn's Ridge minimizes ``||y - Xw||² + alpha ||w||²`` (RSS not divided by ``n``); Lasso and
ElasticNet minimize ``||y - Xw||² / (2n) + ...`` (divided by ``n``). Each docstring writes its
objective out.
"""

from __future__ import annotations

import numpy as np

from .._types import ArrayLike
from .checks import (
    FloatOrArray,
    optional_scale,
    output,
    positive_finite,
    positive_int,
    precisions,
    scales_from_weights,
    unit_interval,
)

__all__ = [
    "elastic_net_params",
    "elastic_net_prior_scales",
    "lasso_alpha",
    "lasso_prior_scale",
    "ridge_alpha",
    "ridge_prior_scale",
]


def ridge_alpha(tau: ArrayLike, *, sigma: ArrayLike) -> FloatOrArray:
    r"""Return scikit-learn ``Ridge``'s ``alpha`` whose solution is the MAP under Normal(0, tau).

    ``Ridge`` minimizes the **unscaled** residual sum of squares plus the penalty,

    $$
    \lVert y - Xw \rVert_2^2 + \alpha \lVert w \rVert_2^2,
    $$

    and dividing by $2\sigma^2$ gives the negative log posterior of
    $y \sim N(Xw, \sigma^2)$, $w_j \sim N(0, \tau^2)$:
    $\alpha = \sigma^2 / \tau^2$. No ``n`` appears.

    Parameters
    ----------
    tau : float or array_like
        Prior sd of each weight, in (0, inf).
    sigma : float or array_like
        Noise sd of the Gaussian likelihood, in (0, inf).

    Returns
    -------
    float or ndarray
        ``alpha = sigma**2 / tau**2``.

    See Also
    --------
    ridge_prior_scale : The inverse.

    Examples
    --------
    >>> ridge_alpha(2.0, sigma=1.0)
    0.25
    """
    tau = positive_finite(tau, "tau", "the Normal prior sd")
    sigma = positive_finite(sigma, "sigma", "the noise sd")
    return output(sigma**2 / tau**2)


def ridge_prior_scale(alpha: ArrayLike, *, sigma: ArrayLike) -> FloatOrArray:
    r"""Return the Normal prior sd ``tau`` whose MAP is scikit-learn ``Ridge(alpha)``.

    Inverse of `ridge_alpha`: ``Ridge`` minimizes
    $\lVert y - Xw \rVert_2^2 + \alpha \lVert w \rVert_2^2$ (no ``1/n``), so
    $\tau = \sigma / \sqrt{\alpha}$.

    Parameters
    ----------
    alpha : float or array_like
        ``Ridge``'s regularization strength, in (0, inf).
    sigma : float or array_like
        Noise sd of the Gaussian likelihood, in (0, inf).

    Returns
    -------
    float or ndarray
        ``tau = sigma / sqrt(alpha)``.

    See Also
    --------
    ridge_alpha : The inverse.

    Examples
    --------
    >>> ridge_prior_scale(0.25, sigma=1.0)
    2.0
    """
    alpha = positive_finite(alpha, "alpha", "Ridge's regularization strength")
    sigma = positive_finite(sigma, "sigma", "the noise sd")
    return output(sigma / np.sqrt(alpha))


def lasso_alpha(b: ArrayLike, *, sigma: ArrayLike, n: int) -> FloatOrArray:
    r"""Return scikit-learn ``Lasso``'s ``alpha`` whose solution is the MAP under Laplace(0, b).

    ``Lasso`` minimizes the residual sum of squares **divided by 2n** plus the penalty,

    $$
    \frac{1}{2n} \lVert y - Xw \rVert_2^2 + \alpha \lVert w \rVert_1,
    $$

    and multiplying by $n / \sigma^2$ gives the negative log posterior of
    $y \sim N(Xw, \sigma^2)$, $w_j \sim \mathrm{Laplace}(0, b)$:
    $\alpha = \sigma^2 / (n b)$.

    Parameters
    ----------
    b : float or array_like
        Laplace prior scale of each weight, in (0, inf).
    sigma : float or array_like
        Noise sd of the Gaussian likelihood, in (0, inf).
    n : int
        Number of rows the model is fitted on.

    Returns
    -------
    float or ndarray
        ``alpha = sigma**2 / (n * b)``.

    See Also
    --------
    lasso_prior_scale : The inverse.

    Examples
    --------
    >>> lasso_alpha(0.5, sigma=2.0, n=100)
    0.08
    """
    b = positive_finite(b, "b", "the Laplace prior scale")
    sigma = positive_finite(sigma, "sigma", "the noise sd")
    n = positive_int(n, "n")
    return output(sigma**2 / (n * b))


def lasso_prior_scale(alpha: ArrayLike, *, sigma: ArrayLike, n: int) -> FloatOrArray:
    r"""Return the Laplace prior scale ``b`` whose MAP is scikit-learn ``Lasso(alpha)``.

    Inverse of `lasso_alpha`: ``Lasso`` minimizes
    $\frac{1}{2n}\lVert y - Xw \rVert_2^2 + \alpha \lVert w \rVert_1$, so
    $b = \sigma^2 / (n \alpha)$.

    Parameters
    ----------
    alpha : float or array_like
        ``Lasso``'s regularization strength, in (0, inf).
    sigma : float or array_like
        Noise sd of the Gaussian likelihood, in (0, inf).
    n : int
        Number of rows the model is fitted on.

    Returns
    -------
    float or ndarray
        ``b = sigma**2 / (n * alpha)``.

    See Also
    --------
    lasso_alpha : The inverse.

    Examples
    --------
    >>> lasso_prior_scale(0.08, sigma=2.0, n=100)
    0.5
    """
    alpha = positive_finite(alpha, "alpha", "Lasso's regularization strength")
    sigma = positive_finite(sigma, "sigma", "the noise sd")
    n = positive_int(n, "n")
    return output(sigma**2 / (n * alpha))


def elastic_net_params(
    l1_scale: ArrayLike, l2_scale: ArrayLike, *, sigma: ArrayLike, n: int
) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Return scikit-learn ``ElasticNet``'s ``(alpha, l1_ratio)`` for the elastic-net prior.

    ``ElasticNet`` minimizes (residual sum of squares **divided by 2n**)

    $$
    \frac{1}{2n} \lVert y - Xw \rVert_2^2 + \alpha\, \rho \lVert w \rVert_1
    + \frac{\alpha (1 - \rho)}{2} \lVert w \rVert_2^2, \qquad \rho = \text{l1\_ratio},
    $$

    and multiplying by $n / \sigma^2$ gives the negative log posterior of
    $y \sim N(Xw, \sigma^2)$ with the prior $\propto \exp(-|w_j|/b - w_j^2/(2\tau^2))$:

    $$
    \alpha = \frac{\sigma^2}{n} \Big(\frac1b + \frac1{\tau^2}\Big), \qquad
    \rho = \frac{1/b}{1/b + 1/\tau^2}.
    $$

    Parameters
    ----------
    l1_scale : float or array_like
        ``b``, in (0, inf]; ``inf`` (no L1 term) gives ``l1_ratio = 0``.
    l2_scale : float or array_like
        ``tau``, in (0, inf]; ``inf`` (no L2 term) gives ``l1_ratio = 1``. Not both ``inf``.
    sigma : float or array_like
        Noise sd of the Gaussian likelihood, in (0, inf).
    n : int
        Number of rows the model is fitted on.

    Returns
    -------
    alpha : float or ndarray
        ``sigma**2 / n * (1/b + 1/tau**2)``.
    l1_ratio : float or ndarray
        ``(1/b) / (1/b + 1/tau**2)``, in [0, 1].

    See Also
    --------
    elastic_net_prior_scales : The inverse.

    Examples
    --------
    >>> elastic_net_params(1.0, 1.0, sigma=1.0, n=4)
    (0.5, 0.5)
    >>> elastic_net_params(0.5, float("inf"), sigma=1.0, n=10)  # the lasso
    (0.2, 1.0)
    """
    l1_weight, l2_weight = precisions(
        optional_scale(l1_scale, "l1_scale", "the Laplace prior scale b"),
        optional_scale(l2_scale, "l2_scale", "the Normal prior sd tau"),
    )
    sigma = positive_finite(sigma, "sigma", "the noise sd")
    n = positive_int(n, "n")
    total = l1_weight + l2_weight
    return output(sigma**2 / n * total), output(l1_weight / total)


def elastic_net_prior_scales(
    alpha: ArrayLike, l1_ratio: ArrayLike, *, sigma: ArrayLike, n: int
) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Return the prior scales ``(b, tau)`` whose MAP is scikit-learn ``ElasticNet``.

    Inverse of `elastic_net_params`. ``ElasticNet`` minimizes

    $$
    \frac{1}{2n}\lVert y - Xw \rVert_2^2 + \alpha\rho\lVert w \rVert_1
    + \frac{\alpha(1-\rho)}{2}\lVert w \rVert_2^2
    $$

    with $\rho$ = ``l1_ratio``, so

    $$
    b = \frac{\sigma^2}{n \alpha \rho}, \qquad
    \tau = \sqrt{\frac{\sigma^2}{n \alpha (1 - \rho)}}.
    $$

    Parameters
    ----------
    alpha : float or array_like
        ``ElasticNet``'s regularization strength, in (0, inf).
    l1_ratio : float or array_like
        ``ElasticNet``'s mixing parameter, in [0, 1].
    sigma : float or array_like
        Noise sd of the Gaussian likelihood, in (0, inf).
    n : int
        Number of rows the model is fitted on.

    Returns
    -------
    l1_scale : float or ndarray
        ``b``; ``inf`` where ``l1_ratio = 0`` (a pure Normal prior, ridge).
    l2_scale : float or ndarray
        ``tau``; ``inf`` where ``l1_ratio = 1`` (a pure Laplace prior, lasso).

    See Also
    --------
    elastic_net_params : The inverse.

    Examples
    --------
    >>> elastic_net_prior_scales(0.5, 0.5, sigma=1.0, n=4)
    (1.0, 1.0)
    >>> elastic_net_prior_scales(0.2, 1.0, sigma=1.0, n=10)
    (0.5, inf)
    """
    alpha = positive_finite(alpha, "alpha", "ElasticNet's regularization strength")
    l1_ratio = unit_interval(l1_ratio, "l1_ratio")
    sigma = positive_finite(sigma, "sigma", "the noise sd")
    n = positive_int(n, "n")
    strength = n * alpha / sigma**2
    return scales_from_weights(strength * l1_ratio, strength * (1.0 - l1_ratio))
