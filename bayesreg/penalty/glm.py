r"""Logistic and Poisson likelihoods: LogisticRegression and PoissonRegressor <-> prior scales."""

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

__all__ = ["logistic_params", "logistic_prior_scales", "poisson_alpha", "poisson_prior_scale"]


def logistic_params(
    *, l1_scale: ArrayLike | None = None, l2_scale: ArrayLike | None = None
) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Return scikit-learn ``LogisticRegression``'s ``(C, l1_ratio)`` for a prior on the weights.

    ``LogisticRegression`` (binary, ``fit_intercept=True``) minimizes the **summed** log-loss
    times ``C`` plus the penalty,

    $$
    C \sum_{i=1}^n \ell(y_i, x_i^\top w + w_0) + \rho \lVert w \rVert_1
    + \frac{1 - \rho}{2} \lVert w \rVert_2^2, \qquad \rho = \text{l1\_ratio},
    $$

    and dividing by ``C`` gives the negative log posterior with the prior
    $\propto \exp(-|w_j|/b - w_j^2/(2\tau^2))$:

    $$
    C = \frac{1}{1/b + 1/\tau^2}, \qquad \rho = \frac{1/b}{1/b + 1/\tau^2}.
    $$

    So Normal(0, tau) gives ``C = tau**2, l1_ratio = 0`` and Laplace(0, b) gives
    ``C = b, l1_ratio = 1``. No ``n`` and no ``sigma`` appear.

    Parameters
    ----------
    l1_scale : float or array_like, optional
        Laplace scale ``b``, in (0, inf]; ``None`` or ``inf``: no L1 term.
    l2_scale : float or array_like, optional
        Normal sd ``tau``, in (0, inf]; ``None`` or ``inf``: no L2 term.

    Returns
    -------
    C : float or ndarray
        Inverse regularization strength.
    l1_ratio : float or ndarray
        Mixing parameter in [0, 1].

    See Also
    --------
    logistic_prior_scales : The inverse.

    Notes
    -----
    Pass ``C`` and ``l1_ratio`` to ``LogisticRegression`` and leave ``penalty`` at its default
    (deprecated since scikit-learn 1.8). The solver must support the penalty: ``l1_ratio = 0``
    works with every solver, ``l1_ratio = 1`` with ``'liblinear'`` and ``'saga'``,
    ``0 < l1_ratio < 1`` only with ``'saga'``. ``'liblinear'`` penalizes the intercept (it is a
    weight on a synthetic constant feature, see ``intercept_scaling``), so its solution is *not*
    the MAP of a model with a flat prior on the intercept; the other solvers leave it unpenalized.

    Examples
    --------
    >>> logistic_params(l2_scale=2.0)
    (4.0, 0.0)
    >>> logistic_params(l1_scale=0.5)
    (0.5, 1.0)
    >>> logistic_params(l1_scale=1.0, l2_scale=1.0)
    (0.5, 0.5)
    """
    l1_weight, l2_weight = precisions(
        optional_scale(l1_scale, "l1_scale", "the Laplace prior scale b"),
        optional_scale(l2_scale, "l2_scale", "the Normal prior sd tau"),
    )
    total = l1_weight + l2_weight
    return output(1.0 / total), output(l1_weight / total)


def logistic_prior_scales(
    C: ArrayLike,
    l1_ratio: ArrayLike,
) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Return the prior scales ``(b, tau)`` whose MAP is scikit-learn ``LogisticRegression``.

    Inverse of `logistic_params`. ``LogisticRegression`` minimizes (summed log-loss, no ``1/n``)

    $$
    C \sum_i \ell(y_i, x_i^\top w + w_0) + \rho\lVert w \rVert_1
    + \frac{1-\rho}{2}\lVert w \rVert_2^2,
    $$

    so

    $$
    b = \frac{C}{\rho}, \qquad \tau = \sqrt{\frac{C}{1 - \rho}}.
    $$

    Parameters
    ----------
    C : float or array_like
        Inverse regularization strength, in (0, inf).
    l1_ratio : float or array_like
        Mixing parameter, in [0, 1].

    Returns
    -------
    l1_scale : float or ndarray
        ``b``; ``inf`` where ``l1_ratio = 0`` (a pure Normal prior).
    l2_scale : float or ndarray
        ``tau``; ``inf`` where ``l1_ratio = 1`` (a pure Laplace prior).

    See Also
    --------
    logistic_params : The inverse.

    Examples
    --------
    >>> logistic_prior_scales(4.0, 0.0)
    (inf, 2.0)
    >>> logistic_prior_scales(0.5, 1.0)
    (0.5, inf)
    """
    C = positive_finite(C, "C", "LogisticRegression's inverse regularization strength")
    l1_ratio = unit_interval(l1_ratio, "l1_ratio")
    return scales_from_weights(l1_ratio / C, (1.0 - l1_ratio) / C)


def poisson_alpha(tau: ArrayLike, *, n: int) -> FloatOrArray:
    r"""Return scikit-learn ``PoissonRegressor``'s ``alpha`` for a Normal(0, tau) prior.

    ``PoissonRegressor`` (log link) minimizes the mean half deviance plus the penalty,

    $$
    \frac{1}{2n} \sum_{i=1}^n d(y_i, \mu_i) + \frac{\alpha}{2} \lVert w \rVert_2^2,
    $$

    and $\tfrac12 d(y_i, \mu_i) = -\log p(y_i \mid \mu_i) + \text{const}$, so multiplying by
    ``n`` gives the negative log posterior with $w_j \sim N(0, \tau^2)$:
    $\alpha = 1 / (n \tau^2)$.

    Parameters
    ----------
    tau : float or array_like
        Prior sd of each weight, in (0, inf).
    n : int
        Number of rows the model is fitted on.

    Returns
    -------
    float or ndarray
        ``alpha = 1 / (n * tau**2)``.

    See Also
    --------
    poisson_prior_scale : The inverse.

    Examples
    --------
    >>> poisson_alpha(0.5, n=100)
    0.04
    """
    tau = positive_finite(tau, "tau", "the Normal prior sd")
    n = positive_int(n, "n")
    return output(1.0 / (n * tau**2))


def poisson_prior_scale(alpha: ArrayLike, *, n: int) -> FloatOrArray:
    r"""Return the Normal prior sd ``tau`` whose MAP is scikit-learn ``PoissonRegressor(alpha)``.

    Inverse of `poisson_alpha`: ``PoissonRegressor`` minimizes
    $\frac{1}{2n}\sum_i d(y_i, \mu_i) + \frac{\alpha}{2}\lVert w \rVert_2^2$, so
    $\tau = 1 / \sqrt{n \alpha}$.

    Parameters
    ----------
    alpha : float or array_like
        ``PoissonRegressor``'s regularization strength, in (0, inf).
    n : int
        Number of rows the model is fitted on.

    Returns
    -------
    float or ndarray
        ``tau = 1 / sqrt(n * alpha)``.

    See Also
    --------
    poisson_alpha : The inverse.

    Examples
    --------
    >>> poisson_prior_scale(0.04, n=100)
    0.5
    """
    alpha = positive_finite(alpha, "alpha", "PoissonRegressor's regularization strength")
    n = positive_int(n, "n")
    return output(1.0 / np.sqrt(n * alpha))
