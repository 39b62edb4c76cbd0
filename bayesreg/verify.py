"""The prior <-> penalty correspondence, verified on the diabetes data against scikit-learn.

For each prior (Gaussian, Laplace, elastic net) and a few scales, the MAP of
``bayesreg.models.linear`` with known noise ``sigma`` is computed by :func:`bayesreg.map_estimate`
and compared with the scikit-learn estimator whose penalty :mod:`bayesreg.penalty` says it equals;
NumPyro's own MAP (``AutoDelta`` with Adam) is run beside it to count its exact zeros.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import jax
import numpy as np
import pandas as pd

from . import penalty
from ._compile import MODEL_LOCK
from .data import least_squares_sigma
from .map import map_estimate
from .models import elastic_net, gaussian, laplace, linear

__all__ = ["verify_table"]

# (prior name, prior scales) rows of the table: Laplace scale b, Gaussian scale tau
DEFAULT_GRID: tuple[tuple[str, tuple[float, ...]], ...] = (
    ("gaussian", (5.0,)),
    ("gaussian", (50.0,)),
    ("gaussian", (500.0,)),
    ("laplace", (2.0,)),
    ("laplace", (20.0,)),
    ("laplace", (200.0,)),
    ("elastic_net", (5.0, 50.0)),
    ("elastic_net", (50.0, 20.0)),
)


def _timed(fn: Callable[[], object], repeats: int = 3) -> tuple[object, float]:
    """Return ``fn()`` and its best wall time over ``repeats`` calls after one warm-up call."""
    result, best = fn(), np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return result, best


def _autodelta_coef(X: np.ndarray, y: np.ndarray, prior, sigma: float, steps: int) -> np.ndarray:
    import numpyro
    from numpyro.infer import SVI, Trace_ELBO
    from numpyro.infer.autoguide import AutoDelta

    svi = SVI(linear, AutoDelta(linear), numpyro.optim.Adam(1.0), Trace_ELBO())
    with MODEL_LOCK:  # NumPyro's handler stack is process-wide (see bayesreg._compile)
        result = svi.run(
            jax.random.PRNGKey(0), steps, X, y, prior=prior, sigma=sigma, progress_bar=False
        )
    return np.asarray(result.params["coef_auto_loc"])


def verify_table(
    grid: Sequence[tuple[str, tuple[float, ...]]] = DEFAULT_GRID,
    *,
    sigma: float | None = None,
    autodelta_steps: int = 3000,
) -> pd.DataFrame:
    """Compare bayesreg's MAP with scikit-learn on the diabetes data, one row per prior and scale.

    Parameters
    ----------
    grid : sequence of (prior, scales)
        ``("gaussian", (tau,))``, ``("laplace", (b,))`` or ``("elastic_net", (b, tau))``.
    sigma : float, optional
        Known noise sd; default the residual sd of ordinary least squares on the data
        (``sqrt(RSS / (n - p - 1))``).
    autodelta_steps : int
        Adam steps of NumPyro's ``AutoDelta`` MAP (0 skips it).

    Returns
    -------
    pandas.DataFrame
        Columns ``prior``, ``scale``, ``sklearn`` (the equivalent estimator and penalty),
        ``max_abs_dcoef`` (max |coef - sklearn coef| incl. the intercept), ``zeros_ours``,
        ``zeros_sklearn``, ``zeros_autodelta``, ``same_zero_set``, ``ms_ours`` (repeat call),
        ``ms_sklearn``.
    """
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import ElasticNet, Lasso, Ridge

    X, y = load_diabetes(return_X_y=True)
    n, p = X.shape
    if sigma is None:
        sigma = least_squares_sigma(X, y)

    rows = []
    for name, scales in grid:
        if name == "gaussian":
            (tau,) = scales
            prior = gaussian(tau)
            alpha = penalty.ridge_alpha(tau, sigma=sigma)
            reference = Ridge(alpha=alpha, solver="svd")
            label, scale = f"Ridge(alpha={alpha:.4g})", f"tau={tau:g}"
        elif name == "laplace":
            (b,) = scales
            prior = laplace(b)
            alpha = penalty.lasso_alpha(b, sigma=sigma, n=n)
            reference = Lasso(alpha=alpha, tol=1e-12, max_iter=100_000)
            label, scale = f"Lasso(alpha={alpha:.4g})", f"b={b:g}"
        elif name == "elastic_net":
            b, tau = scales
            prior = elastic_net(b, tau)
            alpha, l1_ratio = penalty.elastic_net_params(b, tau, sigma=sigma, n=n)
            reference = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-12, max_iter=100_000)
            label = f"ElasticNet(alpha={alpha:.4g}, l1_ratio={l1_ratio:.3f})"
            scale = f"b={b:g}, tau={tau:g}"
        else:
            raise ValueError(
                f"unknown prior {name!r} in grid; use 'gaussian', 'laplace' or 'elastic_net'."
            )

        fit, seconds = _timed(
            lambda prior=prior: map_estimate(linear, X, y, prior=prior, sigma=sigma)
        )
        sk, sk_seconds = _timed(lambda reference=reference: reference.fit(X, y))
        coef = np.asarray(fit.params["coef"])
        delta = max(
            np.max(np.abs(coef - sk.coef_)),
            abs(float(fit.params["intercept"]) - sk.intercept_),
        )
        zeros_autodelta = (
            int(np.sum(_autodelta_coef(X, y, prior, sigma, autodelta_steps) == 0))
            if autodelta_steps
            else None
        )
        rows.append(
            {
                "prior": name,
                "scale": scale,
                "sklearn": label,
                "max_abs_dcoef": delta,
                "zeros_ours": int(np.sum(coef == 0)),
                "zeros_sklearn": int(np.sum(sk.coef_ == 0)),
                "zeros_autodelta": zeros_autodelta,
                "same_zero_set": bool(np.array_equal(coef == 0, sk.coef_ == 0)),
                "ms_ours": 1e3 * seconds,
                "ms_sklearn": 1e3 * sk_seconds,
            }
        )
    table = pd.DataFrame(rows)
    table.attrs["sigma"] = sigma
    return table
