r"""glmnet's ``(lambda, alpha)`` <-> prior scales, and the scales glmnet's standardizations imply.

glmnet standardizes twice behind the user's back, and each changes the prior a ``(lambda, alpha)``
means: ``standardize=TRUE`` (the default) penalizes the coefficients of the columns scaled to
unit variance (`glmnet_standardized_scales`), and ``family="gaussian"`` always fits the
response divided by its sd, which rescales the L2 part of the penalty (the ``y_sd`` argument of
`glmnet_params` and `glmnet_prior_scales`, computed by `glmnet_y_sd`).
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

__all__ = ["glmnet_params", "glmnet_prior_scales", "glmnet_standardized_scales", "glmnet_y_sd"]

#: What every glmnet conversion's ``y_sd`` means, for its error message.
_Y_SD_MEANING = (
    "the sd of the y given to glmnet's gaussian family, glmnet_y_sd(y); 1 when y is "
    "standardized or the family is binomial / poisson"
)


def glmnet_params(
    *,
    l1_scale: ArrayLike | None = None,
    l2_scale: ArrayLike | None = None,
    n: int,
    sigma: ArrayLike = 1.0,
    y_sd: ArrayLike = 1.0,
) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Return glmnet's ``(lambda, alpha)`` for a prior on the weights.

    glmnet minimizes the **mean** negative log-likelihood plus the elastic-net penalty,

    $$
    \frac{1}{2n} \lVert y - Xw \rVert_2^2 + \lambda \Big[\frac{1 - \alpha}{2}
    \lVert w \rVert_2^2 + \alpha \lVert w \rVert_1\Big]
    \quad (\texttt{family="gaussian"}, y \text{ of sd } 1),
    $$

    and $-\frac1n \log L(w) + \lambda[\ldots]$ for ``family="binomial"`` and
    ``"poisson"``. Multiplying by $n/d$, with $d = \sigma^2$ for gaussian and
    $d = 1$ otherwise, gives the negative log posterior, so
    $\lambda\alpha = d / (n b)$ and $\lambda(1-\alpha) = s_y d / (n \tau^2)$:

    $$
    \lambda = \frac{d}{n} \Big(\frac1b + \frac{s_y}{\tau^2}\Big), \qquad
    \alpha = \frac{1/b}{1/b + s_y/\tau^2},
    $$

    where $s_y$ (``y_sd``) is 1 unless a gaussian ``y`` of another sd is given to glmnet:
    glmnet then fits $y / s_y$ at $\lambda / s_y$ and scales the coefficients back, which
    on the scale of ``y`` divides the L2 part of the penalty by $s_y$ (see Notes).

    Parameters
    ----------
    l1_scale : float or array_like, optional
        Laplace scale ``b``, in (0, inf]; ``None`` or ``inf``: no L1 term (``alpha = 0``).
    l2_scale : float or array_like, optional
        Normal sd ``tau``, in (0, inf]; ``None`` or ``inf``: no L2 term (``alpha = 1``).
    n : int
        Number of rows the model is fitted on.
    sigma : float or array_like, default 1.0
        Noise sd for ``family="gaussian"``, on the scale of the ``y`` given to glmnet; leave at 1
        for ``"binomial"`` and ``"poisson"``.
    y_sd : float or array_like, default 1.0
        The sd glmnet divides a gaussian ``y`` by, `glmnet_y_sd` of the ``y`` given to
        glmnet (``numpy.std(y)``, the ``1/n`` formula, with glmnet's default
        ``intercept=TRUE``). **Pass it whenever that ``y`` is not standardized** (the usual
        ``glmnet(x, y)`` on the raw response): the default 1 is right only for a ``y`` of sd 1
        and for the binomial and poisson families, which do not rescale ``y``. It changes only
        the L2 part: the lasso (no ``l2_scale``) is the same for every ``y_sd``.

    Returns
    -------
    lambda_ : float or ndarray
        glmnet's ``lambda``.
    alpha : float or ndarray
        glmnet's mixing parameter ``alpha`` in [0, 1] (1: lasso, 0: ridge).

    See Also
    --------
    glmnet_prior_scales : The inverse.
    glmnet_y_sd : The ``y_sd`` of a gaussian ``y``.
    glmnet_standardized_scales : The prior that ``standardize=TRUE`` (the default) implies.

    Notes
    -----
    The correspondence above is for ``glmnet(..., standardize=FALSE)`` and unit weights. With
    glmnet's default ``standardize=TRUE`` the penalty applies to the coefficients of the columns
    scaled to unit variance, so the same ``(lambda, alpha)`` is the MAP under per-feature prior
    scales on the original columns; `glmnet_standardized_scales` returns them.

    **The response scale** (``family="gaussian"`` only). glmnet's gaussian driver divides the
    centered ``y`` by $s_y$, its sd with the ``1/n`` formula (the root mean square of ``y``
    with ``intercept=FALSE``), fits the standardized problem at $\lambda / s_y$, and returns
    the coefficients times $s_y$ and the ``lambda`` it was given. On the scale of ``y`` that
    solves

    $$
    \frac{1}{2n} \lVert y - Xw \rVert_2^2 + \lambda\alpha \lVert w \rVert_1
    + \frac{\lambda (1 - \alpha)}{2 s_y} \lVert w \rVert_2^2 ,
    $$

    the documented objective (Friedman, Hastie and Tibshirani 2010) with the L2 part divided by
    $s_y$. The glmnet manual says as much in words ("glmnet standardizes y to have unit
    variance ... and then unstandardizes the resulting coefficients; if you wish to
    reproduce/compare results with other software, best to supply a standardized y"); the
    numbers are those of glmnet's gaussian driver (``vlam = ulam / ys``, ``ca *= ys / xs``,
    ``alm *= ys``), and R's glmnet 4.1-6 gives them to 1e-9. Hence two ways to match a gaussian
    glmnet fit:

    - raw ``y`` (``glmnet(x, y)``): ``sigma`` on the scale of ``y`` and
      ``y_sd=glmnet_y_sd(y)``. Leaving ``y_sd`` at 1 here makes the L2 part $s_y$ times too
      strong: on scikit-learn's diabetes data ($s_y \approx 77$) the ``tau`` read from
      ``glmnet(x, y, alpha=0.5, lambda=0.5, standardize=FALSE)`` comes out
      $\sqrt{77} \approx 8.8$ times too small, and its MAP has coefficients about 97%
      smaller than glmnet's;
    - standardized ``y`` (``(y - y.mean()) / y.std()``): ``sigma`` on that scale and
      ``y_sd=1``.

    For the binomial family, glmnet's objective and scikit-learn's ``LogisticRegression`` are the
    same problem with ``lambda = 1 / (n C)`` and ``alpha = l1_ratio``.

    References
    ----------
    Friedman, J., Hastie, T. and Tibshirani, R. (2010). Regularization paths for generalized
    linear models via coordinate descent. Journal of Statistical Software 33(1), 1-22.

    Examples
    --------
    >>> glmnet_params(l1_scale=0.5, n=10, sigma=1.0)  # the lasso
    (0.2, 1.0)
    >>> glmnet_params(l2_scale=2.0, n=10)  # ridge, binomial / poisson
    (0.025, 0.0)
    >>> glmnet_params(l2_scale=2.0, n=10, sigma=3.0, y_sd=4.0)  # ridge, gaussian y of sd 4
    (0.9, 0.0)
    """
    l1_weight, l2_weight = precisions(
        optional_scale(l1_scale, "l1_scale", "the Laplace prior scale b"),
        optional_scale(l2_scale, "l2_scale", "the Normal prior sd tau"),
    )
    n = positive_int(n, "n")
    sigma = positive_finite(sigma, "sigma", "the noise sd; 1 for binomial / poisson")
    y_sd = positive_finite(y_sd, "y_sd", _Y_SD_MEANING)
    # glmnet's lambda multiplies y_sd * 1/tau^2 (its L2 part is divided by y_sd on y's scale)
    total = l1_weight + y_sd * l2_weight
    return output(sigma**2 / n * total), output(l1_weight / total)


def glmnet_prior_scales(
    lambda_: ArrayLike,
    alpha: ArrayLike,
    *,
    n: int,
    sigma: ArrayLike = 1.0,
    y_sd: ArrayLike = 1.0,
) -> tuple[FloatOrArray, FloatOrArray]:
    r"""Return the prior scales ``(b, tau)`` whose MAP is glmnet's fit at ``(lambda, alpha)``.

    Inverse of `glmnet_params`. glmnet minimizes

    $$
    -\frac{d}{n}\log L(w)
    + \lambda\alpha\lVert w \rVert_1 + \frac{\lambda(1-\alpha)}{2 s_y}\lVert w \rVert_2^2
    $$

    (for gaussian, $\frac{1}{2n}\lVert y - Xw\rVert_2^2$ is the first term with $d = \sigma^2$;
    $d = 1$ for binomial and poisson; $s_y$, ``y_sd``, is the sd glmnet divides a gaussian
    ``y`` by, 1 for a standardized ``y`` and for binomial and poisson), so

    $$
    b = \frac{d}{n \lambda \alpha}, \qquad
    \tau = \sqrt{\frac{s_y d}{n \lambda (1 - \alpha)}}.
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
        Noise sd for ``family="gaussian"``, on the scale of the ``y`` given to glmnet; leave at 1
        for ``"binomial"`` and ``"poisson"``.
    y_sd : float or array_like, default 1.0
        `glmnet_y_sd` of the ``y`` given to a gaussian glmnet fit. **Pass it whenever that ``y``
        is not standardized**: with the default 1, a fit on the raw ``y`` gets a ``tau`` off by
        the factor ``sqrt(y_sd)``. 1 is right for a ``y`` of sd 1 and for the binomial and poisson
        families; ``b`` does not depend on it.

    Returns
    -------
    l1_scale : float or ndarray
        ``b``; ``inf`` where ``alpha = 0`` (ridge).
    l2_scale : float or ndarray
        ``tau``; ``inf`` where ``alpha = 1`` (lasso).

    See Also
    --------
    glmnet_params : The inverse; its Notes cover ``standardize`` and the gaussian ``y`` scaling.
    glmnet_y_sd : The ``y_sd`` of a gaussian ``y``.
    glmnet_standardized_scales : Per-feature scales under ``standardize=TRUE`` (the default).

    Examples
    --------
    >>> glmnet_prior_scales(0.2, 1.0, n=10, sigma=1.0)
    (0.5, inf)
    >>> glmnet_prior_scales(0.025, 0.0, n=10)
    (inf, 2.0)
    >>> glmnet_prior_scales(0.9, 0.0, n=10, sigma=3.0, y_sd=4.0)  # gaussian, raw y of sd 4
    (inf, 2.0)
    """
    lambda_ = positive_finite(lambda_, "lambda_", "glmnet's regularization strength")
    alpha = unit_interval(alpha, "alpha")
    n = positive_int(n, "n")
    sigma = positive_finite(sigma, "sigma", "the noise sd; 1 for binomial / poisson")
    y_sd = positive_finite(y_sd, "y_sd", _Y_SD_MEANING)
    strength = n * lambda_ / sigma**2
    return scales_from_weights(strength * alpha, strength * (1.0 - alpha) / y_sd)


def glmnet_y_sd(y: ArrayLike, *, intercept: bool = True) -> float:
    r"""Return the sd that glmnet's gaussian family divides ``y`` by: the ``y_sd`` to pass.

    glmnet's gaussian driver (``elnet``) standardizes the response before fitting: with an
    intercept (glmnet's default) it divides the centered ``y`` by its sd with the ``1/n``
    formula; with ``intercept=FALSE`` by the root mean square of ``y``, uncentered. Pass the
    result as ``y_sd`` to `glmnet_params` or `glmnet_prior_scales` when ``y`` is given to
    glmnet as it is (not standardized), with ``sigma`` on the scale of ``y``.

    Parameters
    ----------
    y : array_like of shape (n,)
        The response exactly as given to ``glmnet(x, y, family="gaussian")`` (unit weights).
    intercept : bool, default True
        glmnet's ``intercept`` argument.

    Returns
    -------
    float
        $\sqrt{\tfrac1n \sum_i (y_i - \bar y)^2}$ (``numpy.std(y)``), or
        $\sqrt{\tfrac1n \sum_i y_i^2}$ without an intercept.

    Raises
    ------
    ValueError
        If ``y`` is not a 1-D array of at least two finite values, or is constant (glmnet
        cannot standardize it; a zero sd is no response to fit).

    Examples
    --------
    >>> glmnet_y_sd([1.0, 3.0])
    1.0
    >>> glmnet_y_sd([3.0, 4.0], intercept=False)  # sqrt((9 + 16) / 2)
    3.5355339059327378
    """
    y = np.asarray(y, dtype=float)
    if y.ndim != 1 or y.shape[0] < 2 or not np.all(np.isfinite(y)):
        raise ValueError(
            f"y must be a 1-D array of at least two finite values (the response given to "
            f"glmnet); got shape {y.shape}"
            + ("" if np.all(np.isfinite(y)) else " with missing or infinite values")
            + ". Pass the response vector, e.g. y.ravel()."
        )
    y_sd = float(np.std(y)) if intercept else float(np.sqrt(np.mean(y**2)))
    if not y_sd > 0:
        raise ValueError(
            f"y is constant (y[0]={float(y[0])!r}): its sd is 0 and glmnet cannot standardize it. "
            "Check that y is the response, not a constant column."
        )
    return y_sd


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
