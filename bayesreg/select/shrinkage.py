r"""Shrinkage paths: the MAP beside the posterior median and credible band over prior scales.

The comparison of Park & Casella (2008), Fig. 1, on a prior-scale axis: the MAP path (the lasso
or ridge path, from `bayesreg.map_path`) shrinks weights to exact zeros, the posterior median
and its band do not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import models, priors
from .._repr import MAX_SITES_SHOWN
from .._types import ArrayLike
from .._validation import check_unique_names
from ..data import least_squares_sigma
from ..map import map_path as solve_map_path
from ..priors import PriorKind
from ..sample import sample_posterior
from ..sample.diagnostics import warnings_at_caller

__all__ = ["ShrinkagePath", "shrinkage_path"]


@dataclass(frozen=True)
class ShrinkagePath:
    """MAP and posterior summaries of each weight over a grid of prior scales.

    Attributes
    ----------
    scales : numpy.ndarray
        Prior scales, shape ``(k,)`` (``b`` of a Laplace or ``tau`` of a Normal prior).
    map : numpy.ndarray
        MAP weights, shape ``(k, p)`` (the lasso / ridge path).
    median, low, high : numpy.ndarray
        Posterior median and the ends of the equal-tailed credible interval, shape ``(k, p)``.
    prob : float
        Mass of the credible interval.
    feature_names : list of str
        Names of the ``p`` weights.
    prior : str
        The prior kind's name, ``"laplace"`` or ``"gaussian"`` (``bayesreg.priors.get(prior)``
        labels the scale axis).
    sigma : float
        The known noise sd every fit used: as given, or the least-squares residual sd.
    sigma_source : str
        ``"given"`` or ``"least squares"`` (estimated from the data).
    """

    scales: np.ndarray
    map: np.ndarray
    median: np.ndarray
    low: np.ndarray
    high: np.ndarray
    prob: float
    feature_names: list[str]
    prior: str
    sigma: float = float("nan")
    sigma_source: str = "given"

    def __repr__(self) -> str:
        names = ", ".join(self.feature_names[:MAX_SITES_SHOWN])
        if len(self.feature_names) > MAX_SITES_SHOWN:
            names += f", ... ({len(self.feature_names) - MAX_SITES_SHOWN} more)"
        return (
            f"ShrinkagePath(prior={self.prior!r}, scales={len(self.scales)} from "
            f"{np.min(self.scales):.4g} to {np.max(self.scales):.4g}, "
            f"features={len(self.feature_names)} [{names}], prob={self.prob})"
        )


def _one_scale_kinds() -> list[PriorKind]:
    """Return the registered prior kinds with one scale (a path has one axis), L1 first."""
    kinds = (priors.get(name) for name in priors.names())
    return sorted((kind for kind in kinds if len(kind.parts) == 1), key=lambda kind: kind.parts)


def shrinkage_path(
    X: ArrayLike | pd.DataFrame,
    y: ArrayLike,
    scales: Sequence[float],
    *,
    prior: str = "laplace",
    sigma: float | None = None,
    map_path: ArrayLike | None = None,
    prob: float = 0.9,
    num_chains: int = 2,
    num_warmup: int = 500,
    num_samples: int = 500,
    seed: int = 0,
) -> ShrinkagePath:
    r"""MAP path beside the posterior median and credible band, over prior scales.

    For each scale ``s`` the model is `bayesreg.models.linear` with known ``sigma`` and a
    flat intercept; the prior is Laplace(0, s) (MAP = ``Lasso(alpha=sigma²/(n s))``) or
    Normal(0, s) (MAP = ``Ridge(alpha=sigma²/s²)``). This is the comparison of Park & Casella
    (2008), Fig. 1, on a prior-scale axis.

    Parameters
    ----------
    X, y : ArrayLike
        Data, shapes ``(n, p)`` and ``(n,)``; DataFrame columns name the weights.
    scales : sequence of float
        Prior scales (> 0).
    prior : {"laplace", "gaussian"}
        Prior kind of the weights: any registered kind with one scale (``bayesreg.priors``),
        built by the kind from each scale.
    sigma : float, optional
        Known noise standard deviation. ``None`` (the default) estimates it from the data as
        the least-squares residual sd ``sqrt(RSS / (n - p - 1))``
        (`bayesreg.data.least_squares_sigma`, as ``bayesreg fit`` and the report do); this
        needs ``n > p + 1`` rows. The value used is recorded as ``ShrinkagePath.sigma``.
    map_path : ArrayLike, optional
        MAP weights, shape ``(len(scales), p)``, if already computed (e.g. by
        ``sklearn.linear_model.lasso_path``); by default `bayesreg.map_path` finds them
        (one compiled, warm-started run over the grid).
    prob : float
        Mass of the equal-tailed credible band.
    num_chains, num_warmup, num_samples, seed
        Passed to `bayesreg.sample_posterior` (the Normal prior uses the exact sampler).

    Returns
    -------
    ShrinkagePath

    Raises
    ------
    ValueError
        On a bad ``prior``, ``scales``, ``prob`` or ``map_path``; when ``sigma`` is None and
        there are too few rows (``n <= p + 1``) to estimate it by least squares.

    Warns
    -----
    SamplingWarning
        As `bayesreg.sample_posterior`, prefixed by the scale whose NUTS draws look
        unreliable; it points at the line that called `shrinkage_path`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_diabetes
    >>> from bayesreg.select import shrinkage_path
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> path = shrinkage_path(X, y, [10.0, 1000.0], prior="gaussian", num_samples=200)
    >>> round(path.sigma, 2), path.sigma_source, path.median.shape
    (54.15, 'least squares', (2, 10))
    """
    choices = [kind.name for kind in _one_scale_kinds()]
    if prior not in choices:
        raise ValueError(f"prior must be {' or '.join(map(repr, choices))}; got {prior!r}.")
    kind = priors.get(prior)
    if not 0.0 < prob < 1.0:
        raise ValueError(f"prob must lie in (0, 1); got {prob!r}.")
    if isinstance(X, pd.DataFrame):
        check_unique_names(X.columns, "X")
    names = (
        [str(c) for c in X.columns]
        if isinstance(X, pd.DataFrame)
        else [str(j) for j in range(np.shape(X)[1])]
    )
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if sigma is None:
        n, p = X.shape
        if n <= p + 1:
            raise ValueError(
                f"sigma=None estimates the noise sd by least squares, which needs more rows than "
                f"coefficients (n > p + 1); got n = {n} rows and p = {p} features. Pass "
                "sigma=<the noise sd> (e.g. from domain knowledge or a pilot fit)."
            )
        sigma, sigma_source = least_squares_sigma(X, y), "least squares"
    else:
        sigma, sigma_source = float(sigma), "given"
    scales = np.asarray(scales, dtype=float)
    if scales.ndim != 1 or scales.size == 0 or np.any(scales <= 0):
        raise ValueError(f"scales must be a non-empty 1-d array of positive floats; got {scales}.")
    if map_path is not None:
        map_path = np.asarray(map_path, dtype=float)
        if map_path.shape != (scales.size, X.shape[1]):
            raise ValueError(
                f"map_path must have shape (len(scales), p) = {(scales.size, X.shape[1])}; "
                f"got {map_path.shape}."
            )
    (part,) = kind.parts
    scale_priors = [kind.build(**{part: float(scale)}) for scale in scales]
    if map_path is None:
        # one compiled run over the grid, warm-started from the smallest scale (most shrinkage)
        order = np.argsort(scales)
        fits = solve_map_path(
            models.linear, X, y, sigma=sigma, path={"prior": [scale_priors[k] for k in order]}
        )
        map_path = np.empty((scales.size, X.shape[1]))
        map_path[order] = fits.params["coef"]
    medians, lows, highs = [], [], []
    symbol = kind.scale_labels[part].split()[-1]
    tail = 100 * (1.0 - prob) / 2.0
    for scale, scale_prior in zip(scales, scale_priors, strict=True):
        # warnings say at which scale, and point at the caller's line
        with warnings_at_caller(f"at {symbol} = {scale:.4g}: "):
            # feature names: the same compiled program as a call on the DataFrame, and
            # warnings that name the weights as the tables do
            post = sample_posterior(
                models.linear, X, y, prior=scale_prior, sigma=sigma, feature_names=names,
                num_chains=num_chains, num_warmup=num_warmup, num_samples=num_samples,
                seed=seed,
            )  # fmt: skip
        coef = np.asarray(post.samples["coef"])
        medians.append(np.median(coef, axis=0))
        lows.append(np.percentile(coef, tail, axis=0))
        highs.append(np.percentile(coef, 100 - tail, axis=0))
    return ShrinkagePath(
        scales=scales,
        map=np.asarray(map_path, dtype=float),
        median=np.array(medians),
        low=np.array(lows),
        high=np.array(highs),
        prob=prob,
        feature_names=names,
        prior=prior,
        sigma=sigma,
        sigma_source=sigma_source,
    )
