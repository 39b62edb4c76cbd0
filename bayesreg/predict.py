"""Predictions with uncertainty: the posterior predictive of new rows.

`predict` runs the model forward for every posterior draw (NumPyro's ``Predictive``) and
summarizes the linear predictor ``mu`` and a new response ``y`` by their means and HDIs.
"""

from __future__ import annotations

import arviz as az
import jax
import numpy as np
import pandas as pd
from numpyro.infer import Predictive

from ._compile import MODEL_LOCK
from ._types import ArrayLike
from ._validation import check_unique_names
from .sample import PosteriorResult

__all__ = ["predict"]


def predict(
    post: PosteriorResult,
    X_new: ArrayLike | pd.DataFrame,
    *,
    hdi_prob: float = 0.94,
    seed: int = 0,
) -> pd.DataFrame:
    """Posterior predictive for new rows: the linear predictor ``mu`` and new responses ``y``.

    The model is called as ``model(X_new, None, *rest, **kwargs)`` (``rest`` and ``kwargs`` as
    in ``post``) for every posterior draw, via ``numpyro.infer.Predictive``; it must record the
    deterministic site ``"mu"`` when ``y`` is None, as `bayesreg.models` do. ``mu`` is the
    mean of ``y`` for `bayesreg.models.linear`, the logit for
    `bayesreg.models.logistic` and the log rate for `bayesreg.models.poisson`.

    Parameters
    ----------
    post : PosteriorResult
        Output of `bayesreg.sample_posterior`.
    X_new : ArrayLike or pandas.DataFrame
        New design matrix, shape ``(m, p)``; a DataFrame's index labels the rows.
    hdi_prob : float
        Mass of the highest-density intervals, in (0, 1).
    seed : int
        Seed for the draws of ``y``.

    Returns
    -------
    pandas.DataFrame
        One row per new observation; columns ``mu_mean``, ``mu_hdi_low``, ``mu_hdi_high``
        (uncertainty of the mean), ``y_mean``, ``y_hdi_low``, ``y_hdi_high`` (of a new
        response, noise included).
    """
    if not 0.0 < hdi_prob < 1.0:
        raise ValueError(f"hdi_prob must lie in (0, 1); got {hdi_prob!r} (e.g. 0.94).")
    if isinstance(X_new, pd.DataFrame):
        check_unique_names(X_new.columns, "X_new")
    index = X_new.index if isinstance(X_new, pd.DataFrame) else None
    X_new = np.asarray(X_new.to_numpy() if isinstance(X_new, pd.DataFrame) else X_new, float)
    if X_new.ndim != 2:
        raise ValueError(f"X_new must be 2-d (m, p); got shape {X_new.shape}.")
    if not np.all(np.isfinite(X_new)):
        raise ValueError("X_new contains NaN or infinite values; drop or impute them first.")
    coef = post.samples.get("coef")
    if coef is not None and coef.shape[-1] != X_new.shape[1]:
        raise ValueError(
            f"X_new has {X_new.shape[1]} columns but the posterior has {coef.shape[-1]} "
            "features; pass the same columns as in sample_posterior."
        )
    latent = {name: post.samples[name] for name in post.idata.posterior.data_vars}
    latent = {k: v for k, v in latent.items() if k not in ("mu", "y")}
    args = (X_new, None, *post.args[2:])
    kwargs = {k: v for k, v in post.kwargs.items() if k != "y"}
    predictive = Predictive(
        post.model, posterior_samples=latent, return_sites=["mu", "y"], parallel=True
    )
    with MODEL_LOCK:  # Predictive traces and runs the model under NumPyro's global handlers
        draws = predictive(jax.random.key(seed), *args, **kwargs)
    if "mu" not in draws:
        raise ValueError(
            "the model records no deterministic site 'mu' when y is None; add "
            "numpyro.deterministic('mu', linear_predictor) to it (as bayesreg.models do)."
        )
    columns = {}
    for site in ("mu", "y"):
        values = np.asarray(draws[site], dtype=float)
        interval = np.stack([az.hdi(values[:, i], hdi_prob=hdi_prob) for i in range(len(X_new))])
        columns[f"{site}_mean"] = values.mean(axis=0)
        columns[f"{site}_hdi_low"] = interval[:, 0]
        columns[f"{site}_hdi_high"] = interval[:, 1]
    return pd.DataFrame(columns, index=index)
