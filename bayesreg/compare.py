r"""MAP beside the posterior: a per-weight table and a text summary of what the zeros hide.

Under a Laplace prior the posterior **mode** is the lasso and has exact zeros; the posterior
**mean and median** do not, and no draw is exactly zero. `compare` puts the two side by side, one
row per scalar weight; `compare_summary` says in one paragraph what the zeros hide. Predictions
live in `bayesreg.predict`, shrinkage paths in `bayesreg.select`.
"""

from __future__ import annotations

from typing import Any

import arviz as az
import numpy as np
import pandas as pd

from .map import MapResult
from .sample import PosteriorResult, scalar_items

__all__ = ["compare", "compare_summary"]

#: Default ``eps`` of `compare`, relative to each weight's posterior sd.
EPS_PER_SD = 0.1
#: the site whose rows `compare_summary` counts as weights (bayesreg's models name it so)
WEIGHT_SITE = "coef"

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
        MAP estimate (`bayesreg.map_estimate`); every site of ``fit.params`` must be a
        latent site of the posterior, with the same shape.
    post : PosteriorResult
        Posterior draws (`bayesreg.sample_posterior`) of the same model and data.
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
        items = list(scalar_items(draws, name))
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
    """Say in a few sentences what the MAP's zeros hide, from a `compare` table.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of `compare`.

    Returns
    -------
    str
        How many weights the MAP sets exactly to zero, their posterior medians, the average
        posterior mass they keep away from zero (mean of ``1 - p_near_zero``, i.e.
        P(|w| >= eps)), and how many MAP values (weights, intercept, ...) fall outside their
        HDI. The weights are the rows of the ``coef`` site (``"coef[bmi]"``), not the
        intercept or ``sigma``; a table without ``coef`` rows counts every row.
    """
    hdi = f"{100 * table.attrs.get('hdi_prob', 0.94):.0f}% HDI"
    is_weight = table.index.map(lambda label: str(label).split("[")[0] == WEIGHT_SITE)
    weights = table[is_weight] if is_weight.any() else table
    zero = weights[weights["map_is_zero"]]
    outside = table.index[~table["map_in_hdi"]].tolist()
    lines = []
    if zero.empty:
        lines.append(f"The MAP sets none of the {len(weights)} weights exactly to zero.")
    else:
        medians = ", ".join(f"{label} {value:.3g}" for label, value in zero["median"].items())
        kept = float(np.mean(1.0 - zero["p_near_zero"]))
        lines.append(
            f"The MAP sets {len(zero)} of {len(weights)} weights exactly to zero "
            f"({', '.join(zero.index)}). The posterior does not: their medians are {medians}, "
            f"and on average they keep {100 * kept:.0f}% of their posterior mass away from zero "
            "(P(|w| >= eps), eps as in the table)."
        )
    if outside:
        lines.append(f"The MAP lies outside the {hdi} for {', '.join(outside)}.")
    else:
        lines.append(f"Every MAP value lies inside its {hdi}.")
    return " ".join(lines)
