r"""glmnet's ``(lambda, alpha)`` <-> prior scales, and the scales ``standardize=TRUE`` implies."""

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

__all__ = ["glmnet_params", "glmnet_prior_scales", "glmnet_standardized_scales"]


def glmnet_params(
    *,
    l1_scale: ArrayLike | None = None,
    l2_scale: ArrayLike | None = None,
    n: int,
    sigma: ArrayLike = 1.0,
) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Return glmnet's ``(lambda, alpha)`` for a prior on the weights.

    glmnet minimizes the **mean** negative log-likelihood plus the elastic-net penalty,

    $$
    \frac{1}{2n} \lVert y - Xw \rVert_2^2 + \lambda \Big[\frac{1 - \alpha}{2}
    \lVert w \rVert_2^2 + \alpha \lVert w \rVert_1\Big]
    \quad (\texttt{family="gaussian"}),
    $$

    and $-\frac1n \log L(w) + \lambda[\ldots]$ for ``family="binomial"`` and
    ``"poisson"``. Multiplying by $n/d$, with $d = \sigma^2$ for gaussian and
    $d = 1$ otherwise, gives the negative log posterior, so
    $\lambda\alpha = d / (n b)$ and $\lambda(1-\alpha) = d / (n \tau^2)$:

    $$
    \lambda = \frac{d}{n} \Big(\frac1b + \frac1{\tau^2}\Big), \qquad
    \alpha = \frac{1/b}{1/b + 1/\tau^2}.
    $$

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
    scales on the original columns; `glmnet_standardized_scales` returns them.

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
    l1_weight, l2_weight = precisions(
        optional_scale(l1_scale, "l1_scale", "the Laplace prior scale b"),
        optional_scale(l2_scale, "l2_scale", "the Normal prior sd tau"),
    )
    n = positive_int(n, "n")
    sigma = positive_finite(sigma, "sigma", "the noise sd; 1 for binomial / poisson")
    total = l1_weight + l2_weight
    return output(sigma**2 / n * total), output(l1_weight / total)


def glmnet_prior_scales(
    lambda_: ArrayLike, alpha: ArrayLike, *, n: int, sigma: ArrayLike = 1.0
) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Return the prior scales ``(b, tau)`` whose MAP is glmnet's fit at ``(lambda, alpha)``.

    Inverse of `glmnet_params`. glmnet minimizes

    $$
    -\frac{d}{n}\log L(w)
    + \lambda\Big[\frac{1-\alpha}{2}\lVert w \rVert_2^2 + \alpha\lVert w \rVert_1\Big]
    $$

    (for gaussian, $\frac{1}{2n}\lVert y - Xw\rVert_2^2$ is the first term with $d = \sigma^2$;
    $d = 1$ for binomial and poisson), so

    $$
    b = \frac{d}{n \lambda \alpha}, \qquad \tau = \sqrt{\frac{d}{n \lambda (1 - \alpha)}}.
    $$

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
    lambda_ = positive_finite(lambda_, "lambda_", "glmnet's regularization strength")
    alpha = unit_interval(alpha, "alpha")
    n = positive_int(n, "n")
    sigma = positive_finite(sigma, "sigma", "the noise sd; 1 for binomial / poisson")
    strength = n * lambda_ / sigma**2
    return scales_from_weights(strength * alpha, strength * (1.0 - alpha))


def glmnet_standardized_scales(scale: ArrayLike, *, X: ArrayLike) -> np.ndarray:
    r"""Return per-feature prior scales on the original columns of ``X`` under ``standardize=TRUE``.

    With ``standardize=TRUE`` (glmnet's default) the penalty is applied to the coefficients
    $v_j = s_j w_j$ of the columns scaled to unit variance, where $s_j$ is the sd of
    column ``j`` computed with the ``1/n`` formula (coefficients are reported on the original
    scale). A penalty $|v_j| / b = |w_j| / (b / s_j)$ and
    $v_j^2 / (2\tau^2) = w_j^2 / (2 (\tau / s_j)^2)$ is therefore, on the original scale, a
    prior with per-feature scale

    $$
    b_j = b / s_j, \qquad \tau_j = \tau / s_j.
    $$

    Both the Laplace scale and the Normal sd transform the same way, so ``scale`` may be either
    (e.g. from `glmnet_prior_scales`). With ``standardize=FALSE`` no conversion is needed:
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
    scale = optional_scale(scale, "scale", "a Laplace scale b or a Normal sd tau")
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
