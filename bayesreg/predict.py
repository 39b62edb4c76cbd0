"""Predictions on the user's scale: the posterior (or MAP plug-in) and the prior predictive.

`predict` runs the model forward on new rows for every posterior draw (or once at a MAP) and
summarizes one quantity per call, chosen by ``kind``:

- ``"mean"``: the expected response ``E[y | x]``, which the likelihood itself gives (the mean of
  the distribution at the model's site ``"y"``): ``mu`` for `bayesreg.models.linear`,
  ``P(y = 1) = sigmoid(mu)`` for `bayesreg.models.logistic` (columns named ``probability``),
  ``exp(mu)`` (the expected count) for `bayesreg.models.poisson`;
- ``"probability"``: the same, for a 0/1 response only (a check that the model is one);
- ``"linear_predictor"``: the deterministic site ``"mu"`` the model records (the logit for
  ``logistic``, the log rate for ``poisson``);
- ``"draws"``: new responses ``y``, the likelihood's noise included.

`prior_predictive` does the same with the parameters drawn from their priors. Both return one
`pandas.DataFrame` whatever ``kind``: one row per new observation and the columns ``{name}``
(the posterior mean), ``{name}_sd``, ``{name}_hdi_low`` and ``{name}_hdi_high``, where ``name``
says what the quantity is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from numpyro import handlers
from numpyro.distributions import constraints
from numpyro.primitives import Messenger

from ._compile import MODEL_LOCK
from ._types import Array, ArrayLike
from ._validation import check_unique_names
from .map import MapResult
from .priors import unwrap
from .sample import PosteriorResult

__all__ = ["KINDS", "predict", "prior_predictive"]

#: The quantities `predict` and `prior_predictive` summarize, by ``kind``.
KINDS = ("mean", "probability", "linear_predictor", "draws")

# the sites every built-in model has: the response, and its linear predictor when y is None
_RESPONSE_SITE = "y"
_PREDICTOR_SITE = "mu"


def predict(
    result: PosteriorResult | MapResult,
    X_new: ArrayLike | pd.DataFrame,
    *,
    kind: str = "mean",
    hdi_prob: float = 0.94,
    num_samples: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Predict new rows on the response's scale, with posterior uncertainty.

    The model is called as ``model(X_new, None, *rest, **kwargs)`` (``rest`` and ``kwargs`` as
    fitted) with its latent sites set to each posterior draw (a `PosteriorResult`) or to the MAP
    (a `MapResult`: plug-in prediction, no parameter uncertainty).

    Parameters
    ----------
    result : PosteriorResult or MapResult
        Output of `bayesreg.sample_posterior` or `bayesreg.map_estimate` (``map_path(...)[i]``
        for a point of a path).
    X_new : ArrayLike or pandas.DataFrame
        New design matrix, shape ``(m, p)``; a DataFrame's index labels the rows.
    kind : {"mean", "probability", "linear_predictor", "draws"}
        What to summarize (see the module docstring): ``"mean"``, the expected response
        ``E[y | x]`` (the mean of the likelihood's distribution, so a user's model works as long
        as its site ``"y"`` has one); ``"probability"``, the same for a 0/1 response only;
        ``"linear_predictor"``, the site ``"mu"``; ``"draws"``, new responses ``y`` with noise.
    hdi_prob : float
        Mass of the highest-density intervals, in (0, 1).
    num_samples : int
        Draws of ``y`` per row for ``kind="draws"`` at a MAP (a posterior brings its own draws).
    seed : int
        Seed for the draws of ``y``.

    Returns
    -------
    pandas.DataFrame
        One row per new observation; columns ``name``, ``name_sd``, ``name_hdi_low``,
        ``name_hdi_high``: the posterior mean, sd and HDI of the quantity, where ``name`` is
        ``"probability"`` (``kind="mean"`` or ``"probability"`` on a 0/1 response), ``"mean"``
        (``kind="mean"`` otherwise: ``E[y | x]``, the expected count for a Poisson model),
        ``"linear_predictor"`` or ``"y"`` (``kind="draws"``). At a MAP the mean, probability or
        linear predictor is one plug-in value: its sd and interval are NaN (there is no
        posterior); ``kind="draws"`` there draws ``y`` at the MAP.

    Examples
    --------
    >>> import numpy as np, bayesreg as br
    >>> X = np.random.default_rng(0).normal(size=(40, 2))
    >>> y = (X[:, 0] > 0).astype(float)
    >>> fit = br.map_estimate(br.models.logistic, X, y, prior=br.models.gaussian(1.0))
    >>> table = br.predict(fit, X[:3], kind="probability")
    >>> list(table.columns)
    ['probability', 'probability_sd', 'probability_hdi_low', 'probability_hdi_high']
    >>> bool(table["probability"].between(0, 1).all())
    True
    """
    _check_options(kind, hdi_prob, num_samples)
    if isinstance(result, MapResult):
        params = {name: jnp.asarray(value) for name, value in result.params.items()}
        batched = False
    elif isinstance(result, PosteriorResult):
        params = {
            name: result.samples[name]
            for name in result.idata.posterior.data_vars
            if name not in (_RESPONSE_SITE, _PREDICTOR_SITE) and name in result.samples
        }
        batched = True
    else:
        raise TypeError(
            "result must be a PosteriorResult (bayesreg.sample_posterior) or a MapResult "
            f"(bayesreg.map_estimate, or map_path(...)[i]); got {type(result).__name__}."
        )
    if result.model is None:
        raise ValueError(
            "result carries no model (it was built by hand); refit it with "
            "bayesreg.map_estimate or bayesreg.sample_posterior."
        )
    index, X_new = _design(X_new, "X_new")
    coef = params.get("coef")
    if coef is not None and np.shape(coef)[-1] != X_new.shape[1]:
        raise ValueError(
            f"X_new has {X_new.shape[1]} columns but the {'posterior' if batched else 'MAP'} "
            f"has {np.shape(coef)[-1]} features; pass the same columns as when fitting."
        )
    args = (X_new, None, *result.args[2:])
    kwargs = {k: v for k, v in result.kwargs.items() if k != "y"}
    if batched:
        draws = None
    else:
        draws = num_samples if kind == "draws" else 1
    values, name = _run(result.model, params, args, kwargs, kind, seed, draws)
    plug_in = not batched and kind != "draws"
    return _summary(values, name, hdi_prob, index, plug_in=plug_in)


def prior_predictive(
    model: Callable[..., Any],
    X: ArrayLike | pd.DataFrame,
    *,
    kind: str = "draws",
    num_samples: int = 1000,
    hdi_prob: float = 0.94,
    seed: int = 0,
    **model_kwargs: Any,
) -> pd.DataFrame:
    """Summarize the prior predictive of the rows of ``X``: what the model says before data.

    Every latent site is drawn from its prior, ``num_samples`` times, and the model is run as
    ``model(X, None, **model_kwargs)``; the summary is `predict`'s. A flat (improper) prior
    cannot be drawn from, so a model with one is refused: give that site a proper prior (for
    `bayesreg.models`, ``intercept=dist.Normal(0.0, 10.0)`` instead of the flat default).

    Parameters
    ----------
    model : callable
        A NumPyro model function ``model(X, y=None, **model_kwargs)``, e.g.
        `bayesreg.models.linear`.
    X : ArrayLike or pandas.DataFrame
        Design matrix, shape ``(m, p)``; a DataFrame's index labels the rows.
    kind : {"draws", "mean", "probability", "linear_predictor"}
        As in `predict`; ``"draws"`` (the default) summarizes the responses ``y`` themselves.
    num_samples : int
        Draws from the prior.
    hdi_prob : float
        Mass of the highest-density intervals, in (0, 1).
    seed : int
        Seed of the draws.
    **model_kwargs
        Keyword arguments of the model (``prior``, ``sigma``, ``intercept``, ...).

    Returns
    -------
    pandas.DataFrame
        As `predict`: one row per row of ``X``, columns ``name``, ``name_sd``,
        ``name_hdi_low``, ``name_hdi_high`` (``name`` is ``"y"`` for ``kind="draws"``).

    Examples
    --------
    >>> import numpy as np, numpyro.distributions as dist, bayesreg as br
    >>> X = np.eye(2)
    >>> table = br.prior_predictive(
    ...     br.models.linear, X, num_samples=4000, prior=br.models.gaussian(1.0),
    ...     sigma=1.0, intercept=dist.Normal(0.0, 1.0),
    ... )
    >>> list(table.columns)
    ['y', 'y_sd', 'y_hdi_low', 'y_hdi_high']
    >>> bool(np.allclose(table["y_sd"], np.sqrt(3.0), rtol=0.1))  # 1 + 1 + 1
    True
    """
    _check_options(kind, hdi_prob, num_samples)
    if not callable(model):
        raise TypeError(
            f"model must be a NumPyro model function (e.g. bayesreg.models.linear); got "
            f"{type(model).__name__}."
        )
    index, X = _design(X, "X")
    args = (X, None)
    with MODEL_LOCK:
        _refuse_improper_priors(model, args, model_kwargs, seed)
    values, name = _run(model, {}, args, model_kwargs, kind, seed, num_samples)
    return _summary(values, name, hdi_prob, index, plug_in=False)


# ---------------------------------------------------------------------------------------------
# the pieces


def _check_options(kind: str, hdi_prob: float, num_samples: int) -> None:
    if kind not in KINDS:
        raise ValueError(
            f"kind must be one of {', '.join(repr(k) for k in KINDS)}; got {kind!r}. "
            "Use 'mean' for E[y | x] (a probability for a 0/1 response), 'draws' for new "
            "responses with noise."
        )
    if not 0.0 < hdi_prob < 1.0:
        raise ValueError(f"hdi_prob must lie in (0, 1); got {hdi_prob!r} (e.g. 0.94).")
    if isinstance(num_samples, bool) or not isinstance(num_samples, int | np.integer):
        raise TypeError(f"num_samples must be a positive integer; got {num_samples!r}.")
    if num_samples < 1:
        raise ValueError(f"num_samples must be a positive integer; got {num_samples} (e.g. 1000).")


def _design(X: ArrayLike | pd.DataFrame, where: str) -> tuple[pd.Index | None, np.ndarray]:
    """Return the row labels (or None) and ``X`` as a 2-d finite float array."""
    index = None
    if isinstance(X, pd.DataFrame):
        check_unique_names(X.columns, where)
        index, X = X.index, X.to_numpy()
    X = np.asarray(X, float)
    if X.ndim != 2:
        raise ValueError(
            f"{where} must be 2-d (m, p); got shape {X.shape}. Reshape one row with "
            f"{where}.reshape(1, -1)."
        )
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{where} contains NaN or infinite values; drop or impute them first.")
    return index, X


class _LastSite(Messenger):
    """Remember the name of the sample site being drawn (to name the one that cannot be)."""

    def __init__(self, fn: Callable | None = None) -> None:
        self.name: str | None = None
        super().__init__(fn)

    def process_message(self, msg: dict) -> None:
        """Record the site's name before it is drawn."""
        if msg["type"] == "sample" and not msg["is_observed"]:
            self.name = msg["name"]


def _refuse_improper_priors(model: Callable, args: tuple, kwargs: dict, seed: int) -> None:
    """Run the model once from its priors; name the site whose prior cannot be drawn from."""
    last = _LastSite()
    try:
        with handlers.seed(rng_seed=seed), last:
            model(*args, **kwargs)
    except NotImplementedError:
        site = last.name
        fix = (
            "intercept=dist.Normal(0.0, 10.0) (any proper prior, on the response's scale)"
            if site == "intercept"
            else f"a proper prior for {site!r} (e.g. a HalfNormal for a scale)"
        )
        raise ValueError(
            f"the prior of site {site!r} is flat (improper): it has no distribution to draw "
            f"the prior predictive from. Give the model {fix}."
        ) from None


def _run(
    model: Callable,
    params: dict[str, Array],
    args: tuple,
    kwargs: dict,
    kind: str,
    seed: int,
    draws: int | None,
) -> tuple[np.ndarray, str]:
    """Return the draws ``(S, m)`` of the quantity ``kind`` asks for, and its name.

    ``params`` holds the latent values: with a leading draw axis when ``draws`` is None, else
    one value each, repeated ``draws`` times (an empty dict: everything drawn from its prior).
    """

    def forward(key: Array, values: dict[str, Array]) -> dict[str, Array]:
        model_at = handlers.substitute(handlers.seed(model, key), data=values)
        trace = handlers.trace(model_at).get_trace(*args, **kwargs)
        if kind == "linear_predictor":
            if _PREDICTOR_SITE not in trace:
                return {}
            return {"value": trace[_PREDICTOR_SITE]["value"]}
        site = trace.get(_RESPONSE_SITE)
        if site is None or site["type"] != "sample":
            return {}
        if kind == "draws":
            return {"value": site["value"]}
        fn = site["fn"]
        try:
            mean = fn.mean
        except NotImplementedError:
            return {}
        # a 0/1 response's mean is P(y = 1): the support says so, whatever the distribution
        binary = unwrap(fn)[0].support is constraints.boolean
        return {"value": mean, "probability": jnp.asarray(binary)}

    keys = jax.random.split(jax.random.key(seed), draws if draws is not None else _draws(params))
    in_axes = (0, 0 if draws is None else None)
    with MODEL_LOCK:  # the model runs under NumPyro's process-wide handler stack
        out = jax.vmap(forward, in_axes=in_axes)(keys, params)
    if "value" not in out:
        raise ValueError(_missing(kind))
    probability = bool(np.all(np.asarray(out.get("probability", False))))
    if kind == "probability" and not probability:
        raise ValueError(
            "kind='probability' needs a 0/1 response (the model's site 'y' has a Bernoulli "
            "likelihood, as bayesreg.models.logistic); use kind='mean' for E[y | x]."
        )
    name = {"draws": "y", "linear_predictor": "linear_predictor"}.get(kind)
    if name is None:
        name = "probability" if probability else "mean"
    values = np.asarray(out["value"], dtype=float)
    return values.reshape(values.shape[0], -1), name


def _draws(params: dict[str, Array]) -> int:
    sizes = {int(np.shape(value)[0]) for value in params.values()}
    if len(sizes) != 1:
        raise ValueError(f"the posterior's sites have different numbers of draws: {sizes}.")
    return sizes.pop()


def _missing(kind: str) -> str:
    if kind == "linear_predictor":
        return (
            "the model records no deterministic site 'mu' when y is None; add "
            "numpyro.deterministic('mu', linear_predictor) to it (as bayesreg.models do), or "
            "use kind='mean' or 'draws'."
        )
    if kind == "draws":
        return (
            "the model has no sample site 'y' to draw new responses from; name its likelihood "
            "site 'y' (as bayesreg.models do)."
        )
    return (
        f"kind={kind!r} needs the mean of the likelihood at the model's sample site 'y', and "
        "the model has no such site or its distribution has no mean; name the likelihood site "
        "'y' with a distribution that has one, or use kind='linear_predictor' or 'draws'."
    )


def _summary(
    values: np.ndarray, name: str, hdi_prob: float, index: pd.Index | None, *, plug_in: bool
) -> pd.DataFrame:
    """Mean, sd and HDI of each column of ``values`` (draws x rows) as a DataFrame."""
    if plug_in:
        nan = np.full(values.shape[1], np.nan)
        columns = {name: values[0], f"{name}_sd": nan, f"{name}_hdi_low": nan}
        columns[f"{name}_hdi_high"] = nan
        return pd.DataFrame(columns, index=index)
    interval = np.stack(
        [az.hdi(values[:, i], hdi_prob=hdi_prob) for i in range(values.shape[1])]
    ).reshape(values.shape[1], 2)
    columns = {
        name: values.mean(axis=0),
        f"{name}_sd": values.std(axis=0, ddof=1) if len(values) > 1 else np.nan,
        f"{name}_hdi_low": interval[:, 0],
        f"{name}_hdi_high": interval[:, 1],
    }
    return pd.DataFrame(columns, index=index)
