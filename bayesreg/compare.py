r"""MAP beside the posterior: a per-weight table and a text summary of what the zeros hide.

Under a Laplace prior the posterior **mode** is the lasso and has exact zeros; the posterior
**mean and median** do not, and no draw is exactly zero. `compare` puts the two side by side, one
row per scalar weight; `compare_summary` says in one paragraph what the zeros hide. Under a
shrinkage prior with local and global scales (the horseshoe family, R2D2) the table also holds
each weight's shrinkage factor kappa (`shrinkage_factors`): 0 for a weight the prior leaves to
the data, 1 for one it pulls all the way to zero. Predictions live in `bayesreg.predict`,
shrinkage paths in `bayesreg.select`.
"""

from __future__ import annotations

from typing import Any

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
import pandas as pd
from numpyro.distributions import constraints

from ._compile import MODEL_LOCK, split_arguments
from ._trace import trace
from ._types import Array
from .map import MapResult
from .priors import unwrap
from .sample import PosteriorResult, scalar_items

__all__ = ["compare", "compare_summary", "shrinkage_factors"]

#: Default ``eps`` of `compare`, relative to each weight's posterior sd.
EPS_PER_SD = 0.1
#: the site whose rows `compare_summary` counts as weights (bayesreg's models name it so)
WEIGHT_SITE = "coef"
#: the deterministic site of a shrinkage prior: each weight's prior sd given the scale sites
SCALE_SITE = "coef_scale"
#: the intercept's site, which absorbs the columns' means (so kappa centres them)
INTERCEPT_SITE = "intercept"
#: values of the linear predictor (draws x observations) per batch when the model is run over
#: the posterior for the noise variance: 2**22 float64 values are 32 MiB, whatever the draws
NOISE_BATCH_VALUES = 2**22

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
#: the columns that need a MAP: left out of a posterior-only table (``fit=None``)
MAP_COLUMNS = ("map", "map_in_hdi", "map_is_zero")
#: the shrinkage factor's columns, added when the posterior has a ``coef_scale`` site
KAPPA_COLUMNS = ("kappa_median", "kappa_hdi_low", "kappa_hdi_high")


def compare(
    fit: MapResult | None,
    post: PosteriorResult,
    *,
    hdi_prob: float = 0.94,
    eps: float | None = None,
) -> pd.DataFrame:
    r"""Tabulate the MAP against the posterior, one row per scalar weight.

    Parameters
    ----------
    fit : MapResult or None
        MAP estimate (`bayesreg.map_estimate`); every site of ``fit.params`` must be a site
        (latent or deterministic) of the posterior, with the same shape. It may be the MAP of
        another prior on the same data: a Laplace MAP (the lasso) beside a horseshoe posterior
        works, since its sites ``coef`` and ``intercept`` (and ``sigma`` when estimated) are
        sites of the horseshoe posterior too (``coef`` a deterministic one); the table then
        says where the lasso lies in the horseshoe's posterior. ``None``: a posterior-only
        table (a horseshoe has no MAP), with a row for every scalar of every posterior site and
        no ``map``, ``map_in_hdi`` or ``map_is_zero`` column.
    post : PosteriorResult
        Posterior draws (`bayesreg.sample_posterior`) on the same data.
    hdi_prob : float
        Probability mass of the highest-density intervals, in (0, 1).
    eps : float, optional
        Half-width of the "near zero" band for ``p_near_zero = P(|w| < eps)``. By default
        ``0.1 * sd`` of each weight's posterior (``EPS_PER_SD``): the band is a tenth of the
        posterior's own spread, so ``P(|w| < eps)`` is small unless the posterior piles mass at
        zero. A float applies one absolute band to every row.

    Returns
    -------
    pandas.DataFrame
        Index: ``"coef[<feature>]"`` (or ``"coef[0]"``), then ``"intercept"``, ``"sigma"``, ...
        in the posterior's site order. Columns: ``map``; the posterior ``mean``, ``median`` and
        ``sd`` (``ddof=1``) over all chains; ``hdi_low``, ``hdi_high`` (narrowest interval with
        ``hdi_prob`` of the draws, ArviZ's ``hdi``); ``p_positive`` = P(w > 0); ``p_near_zero``
        = P(|w| < eps); ``eps``; ``map_in_hdi`` (``hdi_low <= map <= hdi_high``);
        ``map_is_zero`` (the MAP is exactly 0). When the posterior has a ``coef_scale`` site
        (a shrinkage prior: horseshoe, horseshoe+, regularized horseshoe, R2D2) three more:
        ``kappa_median``, ``kappa_hdi_low``, ``kappa_hdi_high``, the posterior median and HDI
        of each weight's shrinkage factor (`shrinkage_factors`), NaN on the rows that are not
        ``coef``. ``attrs["hdi_prob"]`` records ``hdi_prob``.

    Raises
    ------
    ValueError
        If a MAP site is not in the posterior or has another shape, if a site's row labels
        repeat (duplicated feature names: one row would be lost), or on a bad ``hdi_prob`` /
        ``eps``; from `shrinkage_factors` when the posterior has a ``coef_scale`` site but its
        likelihood has no shrinkage factor.

    Examples
    --------
    >>> table = br.compare(fit, post)  # doctest: +SKIP
    >>> table.loc["coef[bmi]", ["map", "median", "hdi_low", "hdi_high"]]  # doctest: +SKIP
    >>> br.compare(lasso_fit, horseshoe_post)["kappa_median"]  # doctest: +SKIP
    """
    if not 0.0 < hdi_prob < 1.0:
        raise ValueError(f"hdi_prob must lie in (0, 1); got {hdi_prob!r} (e.g. 0.94).")
    if eps is not None and not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a positive float or None (0.1 sd per weight); got {eps!r}.")
    posterior = post.idata.posterior
    params = fit.params if fit is not None else {name: None for name in posterior.data_vars}
    missing = [name for name in params if name not in posterior.data_vars]
    if missing:
        raise ValueError(
            f"site(s) {missing} of the MAP fit are not in the posterior (its sites: "
            f"{sorted(posterior.data_vars)}); fit both on the same data, with models whose "
            "sites match (a Laplace MAP beside a horseshoe posterior shares coef and intercept)."
        )
    rows = {}
    # the weights first, then the other sites in the posterior's order (a shrinkage prior's
    # coef is a deterministic site, which the posterior lists after the latent ones)
    for name in sorted(posterior.data_vars, key=lambda site: site != WEIGHT_SITE):
        if name not in params:
            continue
        draws = posterior[name]
        items = list(scalar_items(draws, name))
        _refuse_repeated_labels(name, draws, [label for label, _ in items])
        if fit is None:
            flat_map = np.full(len(items), np.nan)
        else:
            map_value = np.asarray(params[name], dtype=float)
            if map_value.shape != draws.shape[2:]:
                raise ValueError(
                    f"site {name!r} has shape {map_value.shape} in the MAP fit but "
                    f"{tuple(draws.shape[2:])} in the posterior; fit both on the same data."
                )
            flat_map = map_value.reshape(-1)
        for k, (label, values) in enumerate(items):
            rows[label] = _row(flat_map[k], np.asarray(values).reshape(-1), hdi_prob, eps)
    columns = [c for c in COLUMNS if fit is not None or c not in MAP_COLUMNS]
    table = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    if SCALE_SITE in posterior.data_vars:
        _add_kappa(table, post, hdi_prob)
    table.attrs["hdi_prob"] = hdi_prob
    return table


def _add_kappa(table: pd.DataFrame, post: PosteriorResult, hdi_prob: float) -> None:
    """Add the shrinkage factor's median and HDI to the ``coef`` rows (NaN elsewhere)."""
    kappa = np.asarray(shrinkage_factors(post))
    labels = [label for label, _ in scalar_items(post.idata.posterior[WEIGHT_SITE], WEIGHT_SITE)]
    for column in KAPPA_COLUMNS:
        table[column] = np.nan
    for j, label in enumerate(labels):
        if label not in table.index:
            continue
        low, high = az.hdi(kappa[:, j], hdi_prob=hdi_prob)
        table.loc[label, list(KAPPA_COLUMNS)] = [float(np.median(kappa[:, j])), low, high]


def shrinkage_factors(post: PosteriorResult) -> Array:
    r"""Return each weight's shrinkage factor kappa per posterior draw, shape ``(draws, p)``.

    Piironen & Vehtari (2017), eq. 2.6: with ``s_j`` the prior sd of weight ``j`` given the
    prior's scale sites (the deterministic site ``coef_scale``: ``sigma * lambda_j * tau``
    for the horseshoe in `bayesreg.models.linear`),

    ``kappa_j = 1 / (1 + s_j² · sum_i (x_ij - xbar_j)² / noise_var)``,

    the weight the posterior mean of ``coef_j`` gives to zero, were ``j`` the only feature:
    0 when the prior leaves the weight to the data (signal), 1 when it pulls it to zero
    (noise). For the normal-means case (``X = I``, no intercept, ``sigma = 1``) it is the
    textbook ``1 / (1 + lambda_j² tau²)`` of Carvalho, Polson & Scott (2010).

    Parameters
    ----------
    post : PosteriorResult
        A posterior with the deterministic site ``coef_scale`` (a shrinkage prior) and its
        model, which is run once per draw to read the likelihood at its observed site.

    Returns
    -------
    jax.Array
        ``(num_chains * num_samples, p)``, chains merged as in ``post.samples``.

    Raises
    ------
    ValueError
        If the posterior has no ``coef_scale`` site or no model, if ``coef_scale`` does not
        have one value per column of ``X``, or if the likelihood is not Gaussian, Bernoulli or
        Poisson.

    Notes
    -----
    ``noise_var`` is read from the distribution of the model's observed site (not from which
    model it is): the Normal's variance at each draw (``sigma²``, the mean over observations
    if it varies), and for the other likelihoods the pseudo-variance of Piironen & Vehtari
    (2017, §3.2), the inverse Fisher information of one observation about the linear
    predictor at the mean response ``ybar``: ``1 / (ybar (1 - ybar))`` for a Bernoulli
    likelihood (logit link), ``1 / ybar`` for a Poisson one (log link). The columns of ``X``
    are centred when the model has an intercept site (``"intercept"``), which absorbs their
    means, and taken as they are without one: so ``X = I`` gives the textbook form.

    References
    ----------
    Piironen, J. & Vehtari, A. (2017). Sparsity information and regularization in the horseshoe
    and other shrinkage priors. Electronic Journal of Statistics 11(2), 5018-5051.

    Carvalho, C. M., Polson, N. G. & Scott, J. G. (2010). The horseshoe estimator for sparse
    signals. Biometrika 97(2), 465-480.

    Examples
    --------
    >>> kappa = br.shrinkage_factors(horseshoe_post)  # doctest: +SKIP
    >>> kappa.mean(axis=0)  # near 1: the horseshoe treats the weight as noise  # doctest: +SKIP
    """
    if SCALE_SITE not in post.samples:
        raise ValueError(
            f"the posterior has no {SCALE_SITE!r} site (each weight's prior sd given the prior's "
            f"scales; its sites: {sorted(post.samples)}); shrinkage factors need a shrinkage "
            "prior with local and global scales, e.g. bayesreg.models.horseshoe()."
        )
    if post.model is None:
        raise ValueError(
            "the posterior carries no model (it was built by hand); the shrinkage factor reads "
            "the likelihood from the model: sample it with bayesreg.sample_posterior."
        )
    scale = jnp.asarray(post.samples[SCALE_SITE])
    X = np.asarray(post.args[0], dtype=float)
    if X.ndim != 2 or scale.ndim != 2 or scale.shape[1] != X.shape[1]:
        raise ValueError(
            f"{SCALE_SITE!r} has shape {tuple(scale.shape[1:])} per draw but the design X has "
            f"shape {X.shape}; the shrinkage factor needs one prior sd per column of X."
        )
    draws = {name: jnp.asarray(value) for name, value in post.samples.items()}
    with MODEL_LOCK:  # the model runs under NumPyro's process-wide handler stack
        noise_var, centred = _noise_variance(post, draws, X.shape[0])
    columns = X - X.mean(axis=0) if centred else X
    spread = jnp.asarray(np.sum(columns**2, axis=0))  # sum_i (x_ij - xbar_j)², per column
    return 1.0 / (1.0 + scale**2 * spread / jnp.reshape(noise_var, (-1, 1)))


def _noise_variance(post: PosteriorResult, draws: dict[str, Array], n: int) -> tuple[Array, bool]:
    """Return the noise variance per draw and whether the model has an intercept site.

    The model runs at every draw (batches of at most `NOISE_BATCH_VALUES` predictor values) in
    one compiled program: run eagerly, each of its operations would compile on its own.
    """
    found: dict[str, bool] = {}

    def substitute_draw(values: dict[str, Array]) -> Any:
        # latent sample sites only: deterministic ones (coef, coef_scale) follow from them
        def substitute(site: dict) -> Array | None:
            latent = site["type"] == "sample" and not site["is_observed"]
            return values.get(site["name"]) if latent else None

        return substitute

    # the data are arguments of the program, not constants in it (as in the sampler's): a
    # model's checks of concrete data run on the data, not on values traced inside the program
    split = split_arguments((post.args, post.kwargs))

    def noise_variance(values: dict[str, Array], traced: list[Any]) -> Array:
        args, kwargs = split.merge(traced)
        model_trace = trace(post.model, args, kwargs, substitute_draw(values))
        intercept = model_trace.get(INTERCEPT_SITE)
        found["centred"] = intercept is not None and intercept["type"] == "sample"
        return _pseudo_variance(*_observed_site(model_trace))

    num_draws = next(iter(draws.values())).shape[0]
    batch = max(1, min(num_draws, NOISE_BATCH_VALUES // max(1, n)))

    @jax.jit
    def batched(values: dict[str, Array], traced: list[Any]) -> Array:
        return jax.lax.map(lambda draw: noise_variance(draw, traced), values, batch_size=batch)

    return batched(draws, split.traced), found["centred"]


def _observed_site(model_trace: dict) -> tuple[str, dict]:
    observed = {
        name: site
        for name, site in model_trace.items()
        if site["type"] == "sample" and site["is_observed"]
    }
    if len(observed) != 1:
        raise ValueError(
            f"the shrinkage factor needs a model with one observed site (the likelihood); the "
            f"model has {len(observed)}: {sorted(observed)}."
        )
    return next(iter(observed.items()))


def _pseudo_variance(name: str, site: dict) -> Array:
    """Return the likelihood's noise variance at one draw (Piironen & Vehtari 2017, §3.2)."""
    base, _ = unwrap(site["fn"])
    if isinstance(base, dist.Normal):  # its own variance (the mean, should it vary by row)
        return jnp.mean(base.variance)
    ybar = jnp.mean(jnp.asarray(site["value"], dtype=float))
    if base.support is constraints.boolean:  # Bernoulli, logit link: 1 / Var(y) at ybar
        return 1.0 / (ybar * (1.0 - ybar))
    if isinstance(base, dist.Poisson):  # Poisson, log link: 1 / Var(y) at ybar
        return 1.0 / ybar
    raise ValueError(
        f"the shrinkage factor is defined for a Gaussian, Bernoulli or Poisson likelihood; the "
        f"model's observed site {name!r} has a {type(base).__name__} likelihood."
    )


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


#: a weight whose shrinkage factor has posterior median above this is mostly pulled to zero
#: (the prior treats it as noise), below it mostly left to the data (Carvalho et al. 2010)
KAPPA_NOISE = 0.5


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
        HDI. A posterior-only table (``compare(None, post)``) says instead how many weights
        have an HDI that excludes zero. With the shrinkage factor's columns, it says which
        weights have a posterior median kappa above 0.5 (`KAPPA_NOISE`: mostly pulled to zero,
        treated as noise) and which below. The weights are the rows of the ``coef`` site
        (``"coef[bmi]"``), not the intercept or ``sigma``; a table without ``coef`` rows counts
        every row.
    """
    hdi = f"{100 * table.attrs.get('hdi_prob', 0.94):.0f}% HDI"
    is_weight = table.index.map(lambda label: str(label).split("[")[0] == WEIGHT_SITE)
    weights = table[is_weight] if is_weight.any() else table
    lines = []
    if "map_is_zero" in table.columns:
        lines.append(_zeros_text(weights))
    else:
        away = weights[(weights["hdi_low"] > 0) | (weights["hdi_high"] < 0)]
        named = f" ({', '.join(away.index)})" if len(away) else ""
        lines.append(
            f"Posterior only (no MAP): {len(away)} of {len(weights)} weights have a {hdi} that "
            f"excludes zero{named}."
        )
    if "kappa_median" in table.columns and weights["kappa_median"].notna().any():
        lines.append(_kappa_text(weights))
    if "map_in_hdi" in table.columns:
        outside = table.index[~table["map_in_hdi"]].tolist()
        if outside:
            lines.append(f"The MAP lies outside the {hdi} for {', '.join(outside)}.")
        else:
            lines.append(f"Every MAP value lies inside its {hdi}.")
    return " ".join(lines)


def _zeros_text(weights: pd.DataFrame) -> str:
    zero = weights[weights["map_is_zero"]]
    if zero.empty:
        return f"The MAP sets none of the {len(weights)} weights exactly to zero."
    medians = ", ".join(f"{label} {value:.3g}" for label, value in zero["median"].items())
    kept = float(np.mean(1.0 - zero["p_near_zero"]))
    return (
        f"The MAP sets {len(zero)} of {len(weights)} weights exactly to zero "
        f"({', '.join(zero.index)}). The posterior does not: their medians are {medians}, "
        f"and on average they keep {100 * kept:.0f}% of their posterior mass away from zero "
        "(P(|w| >= eps), eps as in the table)."
    )


def _kappa_text(weights: pd.DataFrame) -> str:
    kappa = weights["kappa_median"].dropna()
    noise = kappa[kappa > KAPPA_NOISE]
    signal = kappa[kappa <= KAPPA_NOISE]

    def listed(values: pd.Series) -> str:
        return ", ".join(f"{label} {value:.2f}" for label, value in values.items())

    opening = "The shrinkage factor kappa (0: the weight is left to the data, 1: pulled to zero) "
    if signal.empty or noise.empty:
        side = "above" if signal.empty else "at or below"
        kind = "noise" if signal.empty else "signal"
        return (
            f"{opening}has a posterior median {side} {KAPPA_NOISE} for all {len(kappa)} weights "
            f"({listed(kappa)}): the prior treats every one mostly as {kind}."
        )
    return (
        f"{opening}has a posterior median above {KAPPA_NOISE} for {len(noise)} of {len(kappa)} "
        f"weights ({listed(noise)}): the prior treats them mostly as noise; at or below it for "
        f"the rest ({listed(signal)}): signal."
    )
