r"""MAP beside the posterior: per-weight tables, a text summary, predictions and shrinkage paths.

Under a Laplace prior the posterior **mode** is the lasso and has exact zeros; the posterior
**mean and median** do not, and no draw is exactly zero. :func:`compare` puts the two side by side,
one row per scalar weight; :func:`compare_summary` says in one paragraph what the zeros hide.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import arviz as az
import jax
import numpy as np
import pandas as pd
from numpyro.infer import Predictive

from . import map as _map
from . import models
from ._compile import MODEL_LOCK
from ._types import ArrayLike
from ._validation import check_unique_names
from .map import MapResult
from .sample import PosteriorResult, _scalar_items, sample_posterior

__all__ = [
    "ShrinkagePath",
    "compare",
    "compare_summary",
    "predict",
    "shrinkage_path",
]

#: Default ``eps`` of :func:`compare`, relative to each weight's posterior sd.
EPS_PER_SD = 0.1

COLUMNS = (
    "map",
    "mean",
    "median",
    "sd",
    "hdi_low",
    "hdi_high",
    "p_positive",
    "p_near_zero",
    "eps",
    "map_in_hdi",
    "map_is_zero",
)


def compare(
    fit: MapResult,
    post: PosteriorResult,
    *,
    hdi_prob: float = 0.94,
    eps: float | None = None,
) -> pd.DataFrame:
    r"""Tabulate the MAP against the posterior, one row per scalar weight.

    Parameters
    ----------
    fit : MapResult
        MAP estimate (:func:`bayesreg.map_estimate`); every site of ``fit.params`` must be a
        latent site of the posterior, with the same shape.
    post : PosteriorResult
        Posterior draws (:func:`bayesreg.sample_posterior`) of the same model and data.
    hdi_prob : float
        Probability mass of the highest-density interval, in (0, 1).
    eps : float, optional
        Half-width of the "near zero" band for ``p_near_zero = P(|w| < eps)``. By default
        ``0.1 * sd`` of each weight's posterior (``EPS_PER_SD``): the band is a tenth of the
        posterior's own spread, so ``P(|w| < eps)`` is small unless the posterior piles mass at
        zero. A float applies one absolute band to every row.

    Returns
    -------
    pandas.DataFrame
        Index: ``"coef[<feature>]"`` (or ``"coef[0]"``), ``"intercept"``, ``"sigma"``, ... in
        the posterior's site order. Columns: ``map``; the posterior ``mean``, ``median`` and
        ``sd`` (``ddof=1``) over all chains; ``hdi_low``, ``hdi_high`` (narrowest interval with
        ``hdi_prob`` of the draws, ArviZ's ``hdi``); ``p_positive`` = P(w > 0); ``p_near_zero``
        = P(|w| < eps); ``eps``; ``map_in_hdi`` (``hdi_low <= map <= hdi_high``);
        ``map_is_zero`` (the MAP is exactly 0). ``attrs["hdi_prob"]`` records ``hdi_prob``.

    Raises
    ------
    ValueError
        If a MAP site is not in the posterior or has another shape, if a site's row labels
        repeat (duplicated feature names: one row would be lost), or on a bad ``hdi_prob`` /
        ``eps``.

    Examples
    --------
    >>> table = br.compare(fit, post)  # doctest: +SKIP
    >>> table.loc["coef[bmi]", ["map", "median", "hdi_low", "hdi_high"]]  # doctest: +SKIP
    """
    if not 0.0 < hdi_prob < 1.0:
        raise ValueError(f"hdi_prob must lie in (0, 1); got {hdi_prob!r} (e.g. 0.94).")
    if eps is not None and not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a positive float or None (0.1 sd per weight); got {eps!r}.")
    posterior = post.idata.posterior
    missing = [name for name in fit.params if name not in posterior.data_vars]
    if missing:
        raise ValueError(
            f"site(s) {missing} of the MAP fit are not in the posterior (its sites: "
            f"{sorted(posterior.data_vars)}); fit both with the same model."
        )
    rows = {}
    for name in posterior.data_vars:
        if name not in fit.params:
            continue
        draws = posterior[name]
        map_value = np.asarray(fit.params[name], dtype=float)
        if map_value.shape != draws.shape[2:]:
            raise ValueError(
                f"site {name!r} has shape {map_value.shape} in the MAP fit but "
                f"{tuple(draws.shape[2:])} in the posterior; fit both on the same data."
            )
        flat_map = map_value.reshape(-1)
        items = list(_scalar_items(draws, name))
        _refuse_repeated_labels(name, draws, [label for label, _ in items])
        for k, (label, values) in enumerate(items):
            rows[label] = _row(flat_map[k], np.asarray(values).reshape(-1), hdi_prob, eps)
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(COLUMNS))
    table.attrs["hdi_prob"] = hdi_prob
    return table


def _refuse_repeated_labels(name: str, draws: Any, labels: list[str]) -> None:
    """Refuse a site whose row labels repeat (two features of one name would become one row)."""
    if len(set(labels)) == len(labels):
        return
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    coordinates = sorted(
        {
            str(value)
            for dim in draws.dims[2:]
            if dim in draws.coords
            for value in draws.coords[dim].values.tolist()
            if draws.coords[dim].values.tolist().count(value) > 1
        }
    )
    raise ValueError(
        f"site {name!r} has repeated row labels {repeated} (repeated feature names "
        f"{coordinates}); a table keyed by label would lose rows. Give every column a unique "
        "name (rename or drop the duplicated DataFrame columns) and fit again."
    )


def _row(map_value: float, draws: np.ndarray, hdi_prob: float, eps: float | None) -> dict:
    sd = float(np.std(draws, ddof=1))
    band = EPS_PER_SD * sd if eps is None else float(eps)
    low, high = az.hdi(draws, hdi_prob=hdi_prob)
    return {
        "map": float(map_value),
        "mean": float(np.mean(draws)),
        "median": float(np.median(draws)),
        "sd": sd,
        "hdi_low": float(low),
        "hdi_high": float(high),
        "p_positive": float(np.mean(draws > 0)),
        "p_near_zero": float(np.mean(np.abs(draws) < band)),
        "eps": band,
        "map_in_hdi": bool(low <= map_value <= high),
        "map_is_zero": bool(map_value == 0.0),
    }


def compare_summary(table: pd.DataFrame) -> str:
    """Say in a few sentences what the MAP's zeros hide, from a :func:`compare` table.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`compare`.

    Returns
    -------
    str
        How many weights the MAP sets exactly to zero, their posterior medians, the average
        posterior mass they keep away from zero (mean of ``1 - p_near_zero``, i.e.
        P(|w| >= eps)), and how many MAP values fall outside their HDI.
    """
    hdi = f"{100 * table.attrs.get('hdi_prob', 0.94):.0f}% HDI"
    zero = table[table["map_is_zero"]]
    outside = table.index[~table["map_in_hdi"]].tolist()
    lines = []
    if zero.empty:
        lines.append(f"The MAP sets none of the {len(table)} weights exactly to zero.")
    else:
        medians = ", ".join(f"{label} {value:.3g}" for label, value in zero["median"].items())
        kept = float(np.mean(1.0 - zero["p_near_zero"]))
        lines.append(
            f"The MAP sets {len(zero)} of {len(table)} weights exactly to zero "
            f"({', '.join(zero.index)}). The posterior does not: their medians are {medians}, "
            f"and on average they keep {100 * kept:.0f}% of their posterior mass away from zero "
            "(P(|w| >= eps), eps as in the table)."
        )
    if outside:
        lines.append(f"The MAP lies outside the {hdi} for {', '.join(outside)}.")
    else:
        lines.append(f"Every MAP value lies inside its {hdi}.")
    return " ".join(lines)


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
    deterministic site ``"mu"`` when ``y`` is None, as :mod:`bayesreg.models` do. ``mu`` is the
    mean of ``y`` for :func:`~bayesreg.models.linear`, the logit for
    :func:`~bayesreg.models.logistic` and the log rate for :func:`~bayesreg.models.poisson`.

    Parameters
    ----------
    post : PosteriorResult
        Output of :func:`bayesreg.sample_posterior`.
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


class ShrinkagePath(NamedTuple):
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
        ``"laplace"`` or ``"gaussian"``.
    """

    scales: np.ndarray
    map: np.ndarray
    median: np.ndarray
    low: np.ndarray
    high: np.ndarray
    prob: float
    feature_names: list[str]
    prior: str


_PRIORS: dict[str, Callable[[float], Any]] = {
    "laplace": models.laplace,
    "gaussian": models.gaussian,
}


def shrinkage_path(
    X: ArrayLike | pd.DataFrame,
    y: ArrayLike,
    scales: Sequence[float],
    *,
    prior: str = "laplace",
    sigma: float = 1.0,
    map_path: ArrayLike | None = None,
    prob: float = 0.9,
    num_chains: int = 2,
    num_warmup: int = 500,
    num_samples: int = 500,
    seed: int = 0,
) -> ShrinkagePath:
    r"""MAP path beside the posterior median and credible band, over prior scales.

    For each scale ``s`` the model is :func:`bayesreg.models.linear` with known ``sigma`` and a
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
        Prior family of the weights.
    sigma : float
        Known noise standard deviation.
    map_path : ArrayLike, optional
        MAP weights, shape ``(len(scales), p)``, if already computed (e.g. by
        ``sklearn.linear_model.lasso_path``); by default :func:`bayesreg.map_path` finds them
        (one compiled, warm-started run over the grid).
    prob : float
        Mass of the equal-tailed credible band.
    num_chains, num_warmup, num_samples, seed
        Passed to :func:`bayesreg.sample_posterior` (the Normal prior uses the exact sampler).

    Returns
    -------
    ShrinkagePath
    """
    if prior not in _PRIORS:
        raise ValueError(f"prior must be 'laplace' or 'gaussian'; got {prior!r}.")
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
    priors = [_PRIORS[prior](float(scale)) for scale in scales]
    if map_path is None:
        # one compiled run over the grid, warm-started from the smallest scale (most shrinkage)
        order = np.argsort(scales)
        fits = _map.map_path(
            models.linear, X, y, sigma=sigma, path={"prior": [priors[k] for k in order]}
        )
        map_path = np.empty((scales.size, X.shape[1]))
        map_path[order] = fits.params["coef"]
    medians, lows, highs = [], [], []
    tail = 100 * (1.0 - prob) / 2.0
    for scale_prior in priors:
        kwargs = {"prior": scale_prior, "sigma": sigma}
        post = sample_posterior(
            models.linear,
            X,
            y,
            num_chains=num_chains,
            num_warmup=num_warmup,
            num_samples=num_samples,
            seed=seed,
            **kwargs,
        )
        coef = np.asarray(post.samples["coef"])
        medians.append(np.median(coef, axis=0))
        lows.append(np.percentile(coef, tail, axis=0))
        highs.append(np.percentile(coef, 100 - tail, axis=0))
    return ShrinkagePath(
        scales,
        np.asarray(map_path, dtype=float),
        np.array(medians),
        np.array(lows),
        np.array(highs),
        prob,
        names,
        prior,
    )
