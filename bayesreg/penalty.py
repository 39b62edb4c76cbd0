r"""Conversions between prior scales and the penalty parameters of scikit-learn and glmnet.

One function per convention and direction. Every docstring writes out the objective the penalty
parameter belongs to, with its scaling, because that scaling is where the conventions differ.

Notation: ``n`` rows, ``sigma`` the (known) Gaussian noise sd, ``tau`` the sd of a Normal(0, tau)
prior on each weight (``l2_scale``), ``b`` the scale of a Laplace(0, b) prior (``l1_scale``). The
elastic-net prior is the density :math:`\propto \exp(-|w|/b - w^2 / (2\tau^2))`. The intercept has
a flat prior and is never penalized (``fit_intercept=True`` in scikit-learn, ``intercept=TRUE`` in
glmnet). Dividing a penalized objective by its data-term factor gives the negative log posterior
up to a constant, so its minimizer is the MAP:

- Gaussian: :math:`\tfrac{1}{2\sigma^2}\lVert y - Xw\rVert^2 + \sum_j |w_j|/b + \lVert w\rVert^2
  / (2\tau^2)`,
- Bernoulli (logit) and Poisson (log): :math:`-\log L(w) + \sum_j |w_j|/b + \lVert w\rVert^2 /
  (2\tau^2)`,

where a prior without an L1 (L2) term has ``b = inf`` (``tau = inf``).

All functions take Python floats or NumPy arrays (broadcast together) and return a Python float
when every input is a scalar, a NumPy array otherwise. Bad inputs raise ``ValueError`` naming the
argument, the bad value and what is allowed.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._types import ArrayLike

__all__ = [
    "ridge_alpha",
    "ridge_prior_scale",
    "lasso_alpha",
    "lasso_prior_scale",
    "elastic_net_params",
    "elastic_net_prior_scales",
    "logistic_params",
    "logistic_prior_scales",
    "poisson_alpha",
    "poisson_prior_scale",
    "glmnet_params",
    "glmnet_prior_scales",
    "glmnet_standardized_scales",
]

FloatOrArray = float | np.ndarray


def _first_bad(values: np.ndarray, bad: np.ndarray) -> float:
    """Return the first element of ``values`` flagged by ``bad`` (for error messages)."""
    return float(values[bad].ravel()[0])


def _show(values: np.ndarray | None) -> str:
    """Format a validated input for an error message: ``None``, a float, or a list."""
    if values is None:
        return "None"
    return repr(float(values)) if values.ndim == 0 else repr(values.tolist())


def _positive_finite(value: ArrayLike, name: str, meaning: str) -> np.ndarray:
    """Return ``value`` as a float array, or raise if any element is not in (0, inf)."""
    values = np.asarray(value, dtype=float)
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        raise ValueError(
            f"{name} must be a positive finite number ({meaning}); got {name}="
            f"{_first_bad(values, bad)!r}. Pass a value in (0, inf)."
        )
    return values


def _optional_scale(value: ArrayLike | None, name: str, meaning: str) -> np.ndarray | None:
    """Return a scale as a float array (``inf`` allowed: that term absent), or ``None``."""
    if value is None:
        return None
    values = np.asarray(value, dtype=float)
    bad = ~(values > 0)  # also catches NaN
    if bad.any():
        raise ValueError(
            f"{name} must be positive ({meaning}; inf means that term is absent); got {name}="
            f"{_first_bad(values, bad)!r}. Pass a value in (0, inf]."
        )
    return values


def _unit_interval(value: ArrayLike, name: str) -> np.ndarray:
    """Return ``value`` as a float array, or raise if any element is outside [0, 1]."""
    values = np.asarray(value, dtype=float)
    bad = ~((values >= 0) & (values <= 1))
    if bad.any():
        raise ValueError(
            f"{name} must lie in [0, 1] (0: pure L2, 1: pure L1); got {name}="
            f"{_first_bad(values, bad)!r}."
        )
    return values


def _positive_int(value: int, name: str) -> int:
    """Return ``value`` as an ``int``, or raise if it is not a positive integer."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(
            f"{name} must be a positive integer (the number of rows of X); got {name}={value!r}. "
            f"Pass e.g. {name}=X.shape[0]."
        )
    return int(value)


def _precisions(
    l1_scale: np.ndarray | None, l2_scale: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Return the penalty weights ``(1/b, 1/tau**2)``; ``None`` or ``inf`` gives 0."""
    if l1_scale is None and l2_scale is None:
        raise ValueError(
            "l1_scale and l2_scale are both None; pass l1_scale (Laplace scale b), l2_scale "
            "(Normal sd tau), or both."
        )
    # A scale so large that its weight underflows to 0 is, to float precision, an absent term.
    with np.errstate(over="ignore", divide="ignore"):
        l1_weight = np.zeros(()) if l1_scale is None else 1.0 / l1_scale
        l2_weight = np.zeros(()) if l2_scale is None else (1.0 / l2_scale) ** 2
    total = l1_weight + l2_weight
    if np.any(total == 0):
        raise ValueError(
            f"l1_scale={_show(l1_scale)} and l2_scale={_show(l2_scale)} are both absent (None or "
            "inf) somewhere: that is a flat prior, which no penalty represents. Give at least one "
            "finite scale."
        )
    if not np.all(np.isfinite(total)):
        raise ValueError(
            f"l1_scale={_show(l1_scale)} or l2_scale={_show(l2_scale)} is so small that its weight "
            "overflows a float64. Use a larger scale."
        )
    return l1_weight, l2_weight


def _scales_from_weights(
    l1_weight: np.ndarray, l2_weight: np.ndarray
) -> tuple[FloatOrArray, FloatOrArray]:
    """Return ``(b, tau)`` from the penalty weights ``(1/b, 1/tau**2)``; 0 gives ``inf``."""
    # A zero or subnormal weight means that term is absent: its scale is (effectively) inf.
    with np.errstate(divide="ignore", over="ignore"):
        return _output(1.0 / l1_weight), _output(np.sqrt(1.0 / l2_weight))


def _output(values: np.ndarray) -> FloatOrArray:
    """Return a Python float for a 0-d result, the array otherwise."""
    values = np.asarray(values, dtype=float)
    return float(values) if values.ndim == 0 else values


def ridge_alpha(tau: ArrayLike, *, sigma: ArrayLike) -> FloatOrArray:
    r"""Return scikit-learn ``Ridge``'s ``alpha`` whose solution is the MAP under Normal(0, tau).

    ``Ridge`` minimizes the **unscaled** residual sum of squares plus the penalty,

    .. math:: \lVert y - Xw \rVert_2^2 + \alpha \lVert w \rVert_2^2,

    and dividing by :math:`2\sigma^2` gives the negative log posterior of
    :math:`y \sim N(Xw, \sigma^2)`, :math:`w_j \sim N(0, \tau^2)`:
    :math:`\alpha = \sigma^2 / \tau^2`. No ``n`` appears.

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
    tau = _positive_finite(tau, "tau", "the Normal prior sd")
    sigma = _positive_finite(sigma, "sigma", "the noise sd")
    return _output(sigma**2 / tau**2)


def ridge_prior_scale(alpha: ArrayLike, *, sigma: ArrayLike) -> FloatOrArray:
    r"""Return the Normal prior sd ``tau`` whose MAP is scikit-learn ``Ridge(alpha)``.

    Inverse of :func:`ridge_alpha`: ``Ridge`` minimizes
    :math:`\lVert y - Xw \rVert_2^2 + \alpha \lVert w \rVert_2^2` (no ``1/n``), so
    :math:`\tau = \sigma / \sqrt{\alpha}`.

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
    alpha = _positive_finite(alpha, "alpha", "Ridge's regularization strength")
    sigma = _positive_finite(sigma, "sigma", "the noise sd")
    return _output(sigma / np.sqrt(alpha))


def lasso_alpha(b: ArrayLike, *, sigma: ArrayLike, n: int) -> FloatOrArray:
    r"""Return scikit-learn ``Lasso``'s ``alpha`` whose solution is the MAP under Laplace(0, b).

    ``Lasso`` minimizes the residual sum of squares **divided by 2n** plus the penalty,

    .. math:: \frac{1}{2n} \lVert y - Xw \rVert_2^2 + \alpha \lVert w \rVert_1,

    and multiplying by :math:`n / \sigma^2` gives the negative log posterior of
    :math:`y \sim N(Xw, \sigma^2)`, :math:`w_j \sim \mathrm{Laplace}(0, b)`:
    :math:`\alpha = \sigma^2 / (n b)`.

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
    b = _positive_finite(b, "b", "the Laplace prior scale")
    sigma = _positive_finite(sigma, "sigma", "the noise sd")
    n = _positive_int(n, "n")
    return _output(sigma**2 / (n * b))


def lasso_prior_scale(alpha: ArrayLike, *, sigma: ArrayLike, n: int) -> FloatOrArray:
    r"""Return the Laplace prior scale ``b`` whose MAP is scikit-learn ``Lasso(alpha)``.

    Inverse of :func:`lasso_alpha`: ``Lasso`` minimizes
    :math:`\frac{1}{2n}\lVert y - Xw \rVert_2^2 + \alpha \lVert w \rVert_1`, so
    :math:`b = \sigma^2 / (n \alpha)`.

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
    alpha = _positive_finite(alpha, "alpha", "Lasso's regularization strength")
    sigma = _positive_finite(sigma, "sigma", "the noise sd")
    n = _positive_int(n, "n")
    return _output(sigma**2 / (n * alpha))


def elastic_net_params(
    l1_scale: ArrayLike, l2_scale: ArrayLike, *, sigma: ArrayLike, n: int
) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Return scikit-learn ``ElasticNet``'s ``(alpha, l1_ratio)`` for the elastic-net prior.

    ``ElasticNet`` minimizes (residual sum of squares **divided by 2n**)

    .. math::

        \frac{1}{2n} \lVert y - Xw \rVert_2^2 + \alpha\, \rho \lVert w \rVert_1
        + \frac{\alpha (1 - \rho)}{2} \lVert w \rVert_2^2, \qquad \rho = \text{l1\_ratio},

    and multiplying by :math:`n / \sigma^2` gives the negative log posterior of
    :math:`y \sim N(Xw, \sigma^2)` with the prior :math:`\propto \exp(-|w_j|/b - w_j^2/(2\tau^2))`:

    .. math::

        \alpha = \frac{\sigma^2}{n} \Big(\frac1b + \frac1{\tau^2}\Big), \qquad
        \rho = \frac{1/b}{1/b + 1/\tau^2}.

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
    l1_weight, l2_weight = _precisions(
        _optional_scale(l1_scale, "l1_scale", "the Laplace prior scale b"),
        _optional_scale(l2_scale, "l2_scale", "the Normal prior sd tau"),
    )
    sigma = _positive_finite(sigma, "sigma", "the noise sd")
    n = _positive_int(n, "n")
    total = l1_weight + l2_weight
    return _output(sigma**2 / n * total), _output(l1_weight / total)


def elastic_net_prior_scales(
    alpha: ArrayLike, l1_ratio: ArrayLike, *, sigma: ArrayLike, n: int
) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Return the prior scales ``(b, tau)`` whose MAP is scikit-learn ``ElasticNet``.

    Inverse of :func:`elastic_net_params`. ``ElasticNet`` minimizes
    :math:`\frac{1}{2n}\lVert y - Xw \rVert_2^2 + \alpha\rho\lVert w \rVert_1 +
    \frac{\alpha(1-\rho)}{2}\lVert w \rVert_2^2` with :math:`\rho` = ``l1_ratio``, so

    .. math::

        b = \frac{\sigma^2}{n \alpha \rho}, \qquad
        \tau = \sqrt{\frac{\sigma^2}{n \alpha (1 - \rho)}}.

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
    alpha = _positive_finite(alpha, "alpha", "ElasticNet's regularization strength")
    l1_ratio = _unit_interval(l1_ratio, "l1_ratio")
    sigma = _positive_finite(sigma, "sigma", "the noise sd")
    n = _positive_int(n, "n")
    strength = n * alpha / sigma**2
    return _scales_from_weights(strength * l1_ratio, strength * (1.0 - l1_ratio))


def logistic_params(
    *, l1_scale: ArrayLike | None = None, l2_scale: ArrayLike | None = None
) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Return scikit-learn ``LogisticRegression``'s ``(C, l1_ratio)`` for a prior on the weights.

    ``LogisticRegression`` (binary, ``fit_intercept=True``) minimizes the **summed** log-loss
    times ``C`` plus the penalty,

    .. math::

        C \sum_{i=1}^n \ell(y_i, x_i^\top w + w_0) + \rho \lVert w \rVert_1
        + \frac{1 - \rho}{2} \lVert w \rVert_2^2, \qquad \rho = \text{l1\_ratio},

    and dividing by ``C`` gives the negative log posterior with the prior
    :math:`\propto \exp(-|w_j|/b - w_j^2/(2\tau^2))`:

    .. math::

        C = \frac{1}{1/b + 1/\tau^2}, \qquad \rho = \frac{1/b}{1/b + 1/\tau^2}.

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
    l1_weight, l2_weight = _precisions(
        _optional_scale(l1_scale, "l1_scale", "the Laplace prior scale b"),
        _optional_scale(l2_scale, "l2_scale", "the Normal prior sd tau"),
    )
    total = l1_weight + l2_weight
    return _output(1.0 / total), _output(l1_weight / total)


def logistic_prior_scales(
    C: ArrayLike,
    l1_ratio: ArrayLike,
) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Return the prior scales ``(b, tau)`` whose MAP is scikit-learn ``LogisticRegression``.

    Inverse of :func:`logistic_params`. ``LogisticRegression`` minimizes
    :math:`C \sum_i \ell(y_i, x_i^\top w + w_0) + \rho\lVert w \rVert_1 +
    \frac{1-\rho}{2}\lVert w \rVert_2^2` (summed log-loss, no ``1/n``), so

    .. math:: b = \frac{C}{\rho}, \qquad \tau = \sqrt{\frac{C}{1 - \rho}}.

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
    C = _positive_finite(C, "C", "LogisticRegression's inverse regularization strength")
    l1_ratio = _unit_interval(l1_ratio, "l1_ratio")
    return _scales_from_weights(l1_ratio / C, (1.0 - l1_ratio) / C)


def poisson_alpha(tau: ArrayLike, *, n: int) -> FloatOrArray:
    r"""Return scikit-learn ``PoissonRegressor``'s ``alpha`` for a Normal(0, tau) prior.

    ``PoissonRegressor`` (log link) minimizes the mean half deviance plus the penalty,

    .. math:: \frac{1}{2n} \sum_{i=1}^n d(y_i, \mu_i) + \frac{\alpha}{2} \lVert w \rVert_2^2,

    and :math:`\tfrac12 d(y_i, \mu_i) = -\log p(y_i \mid \mu_i) + \text{const}`, so multiplying by
    ``n`` gives the negative log posterior with :math:`w_j \sim N(0, \tau^2)`:
    :math:`\alpha = 1 / (n \tau^2)`.

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
    tau = _positive_finite(tau, "tau", "the Normal prior sd")
    n = _positive_int(n, "n")
    return _output(1.0 / (n * tau**2))


def poisson_prior_scale(alpha: ArrayLike, *, n: int) -> FloatOrArray:
    r"""Return the Normal prior sd ``tau`` whose MAP is scikit-learn ``PoissonRegressor(alpha)``.

    Inverse of :func:`poisson_alpha`: ``PoissonRegressor`` minimizes
    :math:`\frac{1}{2n}\sum_i d(y_i, \mu_i) + \frac{\alpha}{2}\lVert w \rVert_2^2`, so
    :math:`\tau = 1 / \sqrt{n \alpha}`.

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
    alpha = _positive_finite(alpha, "alpha", "PoissonRegressor's regularization strength")
    n = _positive_int(n, "n")
    return _output(1.0 / np.sqrt(n * alpha))


def glmnet_params(
    *,
    l1_scale: ArrayLike | None = None,
    l2_scale: ArrayLike | None = None,
    n: int,
    sigma: ArrayLike = 1.0,
) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Return glmnet's ``(lambda, alpha)`` for a prior on the weights.

    glmnet minimizes the **mean** negative log-likelihood plus the elastic-net penalty,

    .. math::

        \frac{1}{2n} \lVert y - Xw \rVert_2^2 + \lambda \Big[\frac{1 - \alpha}{2}
        \lVert w \rVert_2^2 + \alpha \lVert w \rVert_1\Big]
        \quad (\texttt{family="gaussian"}),

    and :math:`-\frac1n \log L(w) + \lambda[\ldots]` for ``family="binomial"`` and
    ``"poisson"``. Multiplying by :math:`n/d`, with :math:`d = \sigma^2` for gaussian and
    :math:`d = 1` otherwise, gives the negative log posterior, so
    :math:`\lambda\alpha = d / (n b)` and :math:`\lambda(1-\alpha) = d / (n \tau^2)`:

    .. math::

        \lambda = \frac{d}{n} \Big(\frac1b + \frac1{\tau^2}\Big), \qquad
        \alpha = \frac{1/b}{1/b + 1/\tau^2}.

    Parameters
    ----------
    l1_scale : float or array_like, optional
        Laplace scale ``b``, in (0, inf]; ``None`` or ``inf``: no L1 term (``alpha = 0``).
    l2_scale : float or array_like, optional
        Normal sd ``tau``, in (0, inf]; ``None`` or ``inf``: no L2 term (``alpha = 1``).
    n : int
        Number of rows the model is fitted on.
    sigma : float or array_like, default 1.0
        Noise sd for ``family="gaussian"``; leave at 1 for ``"binomial"`` and ``"poisson"``.

    Returns
    -------
    lambda_ : float or ndarray
        glmnet's ``lambda``.
    alpha : float or ndarray
        glmnet's mixing parameter ``alpha`` in [0, 1] (1: lasso, 0: ridge).

    See Also
    --------
    glmnet_prior_scales : The inverse.
    glmnet_standardized_scales : The prior that ``standardize=TRUE`` (the default) implies.

    Notes
    -----
    The correspondence above is for ``glmnet(..., standardize=FALSE)`` and unit weights. With
    glmnet's default ``standardize=TRUE`` the penalty applies to the coefficients of the columns
    scaled to unit variance, so the same ``(lambda, alpha)`` is the MAP under per-feature prior
    scales on the original columns; :func:`glmnet_standardized_scales` returns them.

    For ``family="gaussian"`` glmnet also standardizes ``y`` internally; its documentation
    advises supplying a ``y`` already standardized (with the ``1/n`` variance formula) when
    comparing with other software. Do that, and express ``sigma`` on the scale of that ``y``.

    For the binomial family, glmnet's objective and scikit-learn's ``LogisticRegression`` are the
    same problem with ``lambda = 1 / (n C)`` and ``alpha = l1_ratio``.

    Examples
    --------
    >>> glmnet_params(l1_scale=0.5, n=10, sigma=1.0)  # the lasso
    (0.2, 1.0)
    >>> glmnet_params(l2_scale=2.0, n=10)  # ridge, binomial / poisson
    (0.025, 0.0)
    """
    l1_weight, l2_weight = _precisions(
        _optional_scale(l1_scale, "l1_scale", "the Laplace prior scale b"),
        _optional_scale(l2_scale, "l2_scale", "the Normal prior sd tau"),
    )
    n = _positive_int(n, "n")
    sigma = _positive_finite(sigma, "sigma", "the noise sd; 1 for binomial / poisson")
    total = l1_weight + l2_weight
    return _output(sigma**2 / n * total), _output(l1_weight / total)


def glmnet_prior_scales(
    lambda_: ArrayLike, alpha: ArrayLike, *, n: int, sigma: ArrayLike = 1.0
) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Return the prior scales ``(b, tau)`` whose MAP is glmnet's fit at ``(lambda, alpha)``.

    Inverse of :func:`glmnet_params`. glmnet minimizes
    :math:`-\frac{d}{n}\log L(w) + \lambda[\frac{1-\alpha}{2}\lVert w \rVert_2^2 +
    \alpha\lVert w \rVert_1]` (for gaussian, :math:`\frac{1}{2n}\lVert y - Xw\rVert_2^2` is the
    first term with :math:`d = \sigma^2`; :math:`d = 1` for binomial and poisson), so

    .. math::

        b = \frac{d}{n \lambda \alpha}, \qquad \tau = \sqrt{\frac{d}{n \lambda (1 - \alpha)}}.

    Parameters
    ----------
    lambda_ : float or array_like
        glmnet's ``lambda``, in (0, inf).
    alpha : float or array_like
        glmnet's mixing parameter ``alpha``, in [0, 1].
    n : int
        Number of rows the model is fitted on.
    sigma : float or array_like, default 1.0
        Noise sd for ``family="gaussian"``; leave at 1 for ``"binomial"`` and ``"poisson"``.

    Returns
    -------
    l1_scale : float or ndarray
        ``b``; ``inf`` where ``alpha = 0`` (ridge).
    l2_scale : float or ndarray
        ``tau``; ``inf`` where ``alpha = 1`` (lasso).

    See Also
    --------
    glmnet_params : The inverse; its Notes cover ``standardize`` and the gaussian ``y`` scaling.
    glmnet_standardized_scales : Per-feature scales under ``standardize=TRUE`` (the default).

    Examples
    --------
    >>> glmnet_prior_scales(0.2, 1.0, n=10, sigma=1.0)
    (0.5, inf)
    >>> glmnet_prior_scales(0.025, 0.0, n=10)
    (inf, 2.0)
    """
    lambda_ = _positive_finite(lambda_, "lambda_", "glmnet's regularization strength")
    alpha = _unit_interval(alpha, "alpha")
    n = _positive_int(n, "n")
    sigma = _positive_finite(sigma, "sigma", "the noise sd; 1 for binomial / poisson")
    strength = n * lambda_ / sigma**2
    return _scales_from_weights(strength * alpha, strength * (1.0 - alpha))


def glmnet_standardized_scales(scale: ArrayLike, *, X: ArrayLike) -> np.ndarray:
    r"""Return per-feature prior scales on the original columns of ``X`` under ``standardize=TRUE``.

    With ``standardize=TRUE`` (glmnet's default) the penalty is applied to the coefficients
    :math:`v_j = s_j w_j` of the columns scaled to unit variance, where :math:`s_j` is the sd of
    column ``j`` computed with the ``1/n`` formula (coefficients are reported on the original
    scale). A penalty :math:`|v_j| / b = |w_j| / (b / s_j)` and
    :math:`v_j^2 / (2\tau^2) = w_j^2 / (2 (\tau / s_j)^2)` is therefore, on the original scale, a
    prior with per-feature scale

    .. math:: b_j = b / s_j, \qquad \tau_j = \tau / s_j.

    Both the Laplace scale and the Normal sd transform the same way, so ``scale`` may be either
    (e.g. from :func:`glmnet_prior_scales`). With ``standardize=FALSE`` no conversion is needed:
    the scale is the same for every feature.

    Parameters
    ----------
    scale : float or array_like
        Prior scale ``b`` or ``tau`` on the standardized scale, in (0, inf]; a per-feature array of
        shape ``(p,)`` broadcasts too.
    X : array_like of shape (n, p)
        The design matrix passed to glmnet (without an intercept column).

    Returns
    -------
    ndarray of shape (p,)
        ``scale / X.std(axis=0)``.

    Raises
    ------
    ValueError
        If ``X`` is not 2-D, has fewer than two rows, or has a constant column (its sd is 0 and
        standardization is undefined; drop the column).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [2.0, 4.0]])  # column sds (1/n formula): 1 and 2
    >>> glmnet_standardized_scales(0.5, X=X)
    array([0.5 , 0.25])
    """
    scale = _optional_scale(scale, "scale", "a Laplace scale b or a Normal sd tau")
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(
            f"X must be a 2-D array with at least two rows (n, p); got shape {X.shape}. "
            "Reshape a single feature with X.reshape(-1, 1)."
        )
    column_sd = X.std(axis=0)
    constant = np.flatnonzero(~(column_sd > 0))
    if constant.size:
        raise ValueError(
            f"X has constant columns {constant.tolist()} (sd 0, or NaN): glmnet cannot "
            "standardize them. Drop those columns."
        )
    return np.broadcast_to(scale / column_sd, (X.shape[1],)).astype(float)
