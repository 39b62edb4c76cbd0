r"""Sufficient statistics of the Gaussian likelihood, additive over row chunks, computed with JAX.

Two forms, one derived from the other:

- `SufficientStatistics` — the **additive** form: the row count $n$, the column means
  $\bar x$, the response mean $\bar y$ and the centred cross-products $X_c^\top X_c$,
  $X_c^\top y_c$, $y_c^\top y_c$ ($X_c = X - \bar x$, $y_c = y - \bar y$). Built from a block of
  rows by `sufficient_statistics`; two blocks combine exactly (`combine`, or ``a + b``) by the
  pairwise update of Chan, Golub and LeVeque, so a data set can be reduced chunk by chunk, or
  shard by shard, and ``sufficient_statistics(A) + sufficient_statistics(B)`` equals
  ``sufficient_statistics(A ∪ B)`` to rounding. Centring each chunk at its own means keeps the
  cross-products accurate when the columns are far from zero (a mean of $10^6$ costs nothing),
  where raw sums $X^\top X$ would lose every digit to cancellation.
- `GaussianStatistics` — the **root form** the likelihood of `bayesreg.models.linear` is
  evaluated from: a square root $R$ of $X_c^\top X_c$, $t$ with $R^\top t = X_c^\top y_c$ and the
  least residual sum of squares. Built by `root_form` from the additive form, or in one call by
  `gaussian_statistics` ``(X, y)``.

The statistics are computed where the rows are: JAX arrays by `jax.numpy`, in one compiled
program on the device that holds them (never copied to the host; sharded rows give an all-reduce),
NumPy arrays by NumPy on the host (no transfer, no compilation), with the same code.
`sufficient_statistics`, `combine` and `root_form` can also be traced inside `jax.jit`.
"""

from __future__ import annotations

import math
from functools import partial
from types import ModuleType
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._trace import is_concrete
from .._types import Array, ArrayLike

__all__ = [
    "GaussianStatistics",
    "SufficientStatistics",
    "array_namespace",
    "combine",
    "gaussian_log_likelihood",
    "gaussian_statistics",
    "least_squares_sigma",
    "root_form",
    "sufficient_statistics",
]


class SufficientStatistics(NamedTuple):
    r"""The additive sufficient statistics of ``y ~ Normal(b + X w, sigma)`` for a block of rows.

    Fields: ``n`` (the number of rows, as a float), ``x_mean`` $\bar x$ ``(p,)``, ``y_mean``
    $\bar y$ ``()``, ``xx`` $X_c^\top X_c$ ``(p, p)``, ``xy`` $X_c^\top y_c$ ``(p,)`` and ``yy``
    $y_c^\top y_c$ ``()``, with $X_c = X - \bar x$ and $y_c = y - \bar y$ centred at this
    block's own means. ``a + b`` is `combine` ``(a, b)``: the statistics of the rows of both
    blocks; ``sum(blocks)`` works too.
    """

    n: Array
    x_mean: Array
    y_mean: Array
    xx: Array
    xy: Array
    yy: Array

    def __add__(self, other: object) -> SufficientStatistics:
        if not isinstance(other, SufficientStatistics):
            return NotImplemented
        return combine(self, other)

    def __radd__(self, other: object) -> SufficientStatistics:
        if isinstance(other, int) and other == 0:  # the start value of sum()
            return self
        return NotImplemented


def array_namespace(*values: object) -> ModuleType:
    """``jax.numpy`` if any value is a JAX array (or a tracer), else ``numpy``.

    The statistics are computed where the rows are: JAX arrays on their device (never copied to
    the host), NumPy arrays on the host (no transfer to a device, no compilation).
    """
    return jnp if any(isinstance(value, jax.Array) for value in values) else np


def _float_dtype(xp: ModuleType, *arrays: object) -> np.dtype:
    """At least float64 (under JAX: the widest float it allows, float64 as bayesreg sets it)."""
    widest = np.float64 if xp is np else jax.dtypes.canonicalize_dtype(np.float64)
    return xp.promote_types(xp.result_type(*arrays), widest)


def sufficient_statistics(X: ArrayLike, y: ArrayLike) -> SufficientStatistics:
    """Compute `SufficientStatistics` of one block of rows: ``O(n p²)`` time, ``O(p²)`` memory.

    The block is centred at its own means before the cross-products are formed (two passes over
    the rows). JAX arrays are reduced by one compiled program on the device that holds them (no
    copy to the host); NumPy arrays (or lists) by NumPy on the host.

    Parameters
    ----------
    X : ArrayLike
        Rows of the design, shape ``(n, p)``.
    y : ArrayLike
        The responses of those rows, shape ``(n,)``.

    Returns
    -------
    SufficientStatistics
        In float64 (when JAX allows it) or the inputs' wider float type.

    Examples
    --------
    >>> import numpy as np
    >>> X, y = np.arange(12.0).reshape(6, 2) ** 1.5, np.arange(6.0) ** 2
    >>> whole = sufficient_statistics(X, y)
    >>> parts = sufficient_statistics(X[:2], y[:2]) + sufficient_statistics(X[2:], y[2:])
    >>> bool(np.allclose(parts.xx, whole.xx, rtol=1e-12)), float(parts.n)
    (True, 6.0)
    """
    if array_namespace(X, y) is jnp:
        return _device_statistics(X, y)
    return _block_statistics(np, np.asarray(X), np.asarray(y))


def _block_statistics(xp: ModuleType, X: Array, y: Array) -> SufficientStatistics:
    dtype = _float_dtype(xp, X, y)
    X, y = X.astype(dtype), y.astype(dtype)
    if X.shape[0] == 0:  # no rows: the identity of `combine` (means of nothing are not NaN)
        x_mean, y_mean = xp.zeros(X.shape[1], dtype), xp.zeros((), dtype)
    else:
        x_mean, y_mean = X.mean(axis=0), y.mean()
    Xc, yc = X - x_mean, y - y_mean
    return SufficientStatistics(
        n=xp.asarray(X.shape[0], dtype),
        x_mean=x_mean,
        y_mean=y_mean,
        xx=Xc.T @ Xc,
        xy=Xc.T @ yc,
        yy=yc @ yc,
    )


# one program per shape, so that nothing (not even a constant) travels between host and device
_device_statistics = jax.jit(partial(_block_statistics, jnp))


def combine(a: SufficientStatistics, b: SufficientStatistics) -> SufficientStatistics:
    r"""Return the statistics of the rows of two blocks, from each block's statistics.

    The exact pairwise update (Chan, Golub and LeVeque, 1979): with $\delta = \bar x_b - \bar x_a$
    and $\varepsilon = \bar y_b - \bar y_a$,

    $$
    X_c^\top X_c = (X_c^\top X_c)_a + (X_c^\top X_c)_b + \frac{n_a n_b}{n}\,\delta\delta^\top,
    \qquad \bar x = \bar x_a + \frac{n_b}{n}\,\delta,
    $$

    and likewise for $X_c^\top y_c$ (with $\delta\varepsilon$) and $y_c^\top y_c$ (with
    $\varepsilon^2$). Only differences of means enter, so nothing cancels when the columns are
    far from zero. Associative and commutative up to rounding; a block of no rows (``n = 0``) is
    the identity. Computed where the statistics are (JAX arrays on their device).

    Examples
    --------
    >>> import numpy as np
    >>> X, y = 1e6 + np.arange(8.0).reshape(4, 2), np.array([1.0, 3.0, 2.0, 5.0])
    >>> s = combine(sufficient_statistics(X[:1], y[:1]), sufficient_statistics(X[1:], y[1:]))
    >>> Xc = X - X.mean(axis=0)
    >>> bool(np.allclose(s.xx, Xc.T @ Xc, rtol=1e-12))
    True
    """
    if array_namespace(*a, *b) is jnp:
        return _device_combine(a, b)
    return _combine(np, a, b)


def _combine(xp: ModuleType, a: SufficientStatistics, b: SufficientStatistics):
    n = a.n + b.n
    # a block of no rows contributes nothing; two of them give zeros, not 0/0
    share_b = xp.where(n > 0, b.n / xp.where(n > 0, n, 1), 0)
    dx, dy = b.x_mean - a.x_mean, b.y_mean - a.y_mean
    weight = a.n * share_b  # n_a n_b / n
    return SufficientStatistics(
        n=n,
        x_mean=a.x_mean + share_b * dx,
        y_mean=a.y_mean + share_b * dy,
        xx=a.xx + b.xx + weight * xp.outer(dx, dx),
        xy=a.xy + b.xy + weight * dx * dy,
        yy=a.yy + b.yy + weight * dy * dy,
    )


_device_combine = jax.jit(partial(_combine, jnp))


class GaussianStatistics(NamedTuple):
    r"""Sufficient statistics of ``y ~ Normal(b + X w, sigma)``, in a numerically stable root form.

    With $\bar x, \bar y$ the column and response means, $X_c = X - \bar x$, $y_c = y - \bar y$
    and a square root $R^\top R = X_c^\top X_c$ (Cholesky, or from the eigen-decomposition when
    the columns are collinear), $R^\top t = X_c^\top y_c$, the residual sum of squares is

    $$
    \mathrm{RSS}(w, b) = \lVert R w - t \rVert^2 + \mathrm{RSS}_{\min}
    + n\,(\bar y - b - \bar x^\top w)^2
    $$

    (the cross terms vanish because the centered columns sum to zero), so a log-likelihood or its
    gradient costs $O(p^2)$ instead of $O(np)$. Written as a sum of squares rather than
    $y^\top y - 2 w^\top X^\top y + w^\top X^\top X w$, differences of the objective keep their
    accuracy (no cancellation against $y^\top y$), which the solvers' line searches need. Derived
    from the additive `SufficientStatistics` by `root_form`; `gaussian_statistics` builds it
    from ``(X, y)`` in one call.
    """

    root: Array  # R, (p, p), R'R = X_c'X_c
    target: Array  # t, (p,), R't = X_c'y_c
    rss_min: Array  # ()
    x_mean: Array  # (p,)
    y_mean: Array  # ()
    n: Array  # number of observations, as a float ()


def _cholesky_root(xp: ModuleType, gram: Array, xty: Array, lower: Array) -> tuple[Array, Array]:
    del gram
    return lower.T, xp.linalg.solve(lower, xty)  # upper triangular R, R'R = gram


def _eigen_root(xp: ModuleType, gram: Array, xty: Array, lower: Array) -> tuple[Array, Array]:
    """Take a square root that exists for collinear (or constant) columns, where Cholesky fails."""
    del lower
    curvature, basis = xp.linalg.eigh(gram)
    # eigenvalues below the rounding of the largest are zero directions of the data
    keep = curvature > curvature.max() * gram.shape[0] * xp.finfo(gram.dtype).eps
    sqrt = xp.sqrt(xp.where(keep, curvature, 0.0))
    root = sqrt[:, None] * basis.T
    target = xp.where(keep, (basis.T @ xty) / xp.where(keep, sqrt, 1.0), 0.0)
    return root, target


def root_form(stats: SufficientStatistics) -> GaussianStatistics:
    r"""Derive the root form `GaussianStatistics` from additive statistics: ``O(p³)``.

    Cholesky of $X_c^\top X_c$ when it is positive definite, else a square root from its
    eigen-decomposition (directions with no curvature get $R = 0$, $t = 0$). JAX statistics
    are handled by one compiled program (the choice made by ``lax.cond``) on their device.
    """
    if array_namespace(*stats) is jnp:
        return _device_root_form(stats)
    operands = (stats.xx, stats.xy)
    try:
        root, target = _cholesky_root(np, *operands, np.linalg.cholesky(stats.xx))
    except np.linalg.LinAlgError:
        root, target = _eigen_root(np, *operands, None)
    return _with_root(np, stats, root, target)


def _with_root(xp: ModuleType, stats: SufficientStatistics, root: Array, target: Array):
    return GaussianStatistics(
        root=root,
        target=target,
        rss_min=xp.maximum(stats.yy - target @ target, 0.0),
        x_mean=stats.x_mean,
        y_mean=stats.y_mean,
        n=stats.n,
    )


@jax.jit
def _device_root_form(stats: SufficientStatistics) -> GaussianStatistics:
    lower = jnp.linalg.cholesky(stats.xx)  # NaN where the Gram matrix is not positive definite
    root, target = jax.lax.cond(
        jnp.all(jnp.isfinite(lower)),
        partial(_cholesky_root, jnp),
        partial(_eigen_root, jnp),
        stats.xx,
        stats.xy,
        lower,
    )
    return _with_root(jnp, stats, root, target)


def gaussian_statistics(X: ArrayLike, y: ArrayLike) -> GaussianStatistics:
    """Compute `GaussianStatistics` once: ``O(n p² + p³)`` time, ``O(p²)`` memory.

    ``root_form(sufficient_statistics(X, y))``, where the rows are (see `sufficient_statistics`);
    for data in chunks, add the chunks' `sufficient_statistics` first and take the root form of
    the sum.

    Examples
    --------
    >>> import numpy as np
    >>> X, y = np.arange(6.0).reshape(3, 2) ** 1.5, np.array([1.0, 0.0, 2.0])
    >>> s = gaussian_statistics(X, y)
    >>> w, b = np.array([0.5, -0.25]), 0.1
    >>> fit = np.sum((s.root @ w - s.target) ** 2) + s.rss_min
    >>> rss = fit + s.n * (s.y_mean - b - s.x_mean @ w) ** 2
    >>> bool(np.isclose(rss, np.sum((y - b - X @ w) ** 2)))
    True
    """
    return root_form(sufficient_statistics(X, y))


def gaussian_log_likelihood(
    stats: GaussianStatistics, coef: ArrayLike, offset: ArrayLike, noise: ArrayLike
) -> Array:
    """``sum log Normal(y | offset + X @ coef, noise)`` from the root form, in ``O(p²)``.

    Traced (inside a compiled program) or with statistics on a device: JAX. Outside a
    compiled program with statistics on the host (a model run once to check it): NumPy, which
    costs no compilation (the parameters, ``p + 2`` numbers, are read to the host).
    """
    values = (coef, offset, noise)
    if array_namespace(*stats) is np and all(is_concrete(v) for v in values):
        xp, (coef, offset, noise) = np, [np.asarray(v) for v in values]
    else:
        xp = jnp
    resid_mean = stats.y_mean - offset - stats.x_mean @ coef
    rss = xp.sum((stats.root @ coef - stats.target) ** 2) + stats.rss_min + stats.n * resid_mean**2
    return -0.5 * stats.n * math.log(2.0 * math.pi) - stats.n * xp.log(noise) - 0.5 * rss / noise**2


def least_squares_sigma(X: ArrayLike, y: ArrayLike, *, intercept: bool = True) -> float:
    """Residual sd of ordinary least squares: the usual plug-in for a known noise sd ``sigma``.

    ``sqrt(RSS / (n - p - 1))`` with an intercept, ``sqrt(RSS / (n - p))`` without.

    Raises
    ------
    ValueError
        When there are not more rows than coefficients.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(10.0).reshape(-1, 1)
    >>> least_squares_sigma(X, 2.0 * X[:, 0] + np.tile([1.0, -1.0], 5)) > 0
    True
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n = X.shape[0]
    design = np.column_stack([np.ones(n), X]) if intercept else X
    dof = n - design.shape[1]
    if dof < 1:
        raise ValueError(
            f"cannot estimate the noise sd by least squares with n = {n} rows and "
            f"{design.shape[1]} coefficients; give sigma (or a prior on it) instead."
        )
    resid = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    return float(np.sqrt(resid @ resid / dof))
