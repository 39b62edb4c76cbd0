r"""`loo_path`: PSIS-LOO cross-validation along a path of model arguments (full posteriors).

At each grid point the posterior is drawn (`bayesreg.sample_posterior`: the exact sampler for a
Normal prior with a known ``sigma``, NUTS otherwise) and its expected log pointwise predictive
density is estimated by Pareto-smoothed importance sampling leave-one-out (Vehtari, Gelman &
Gabry 2017), through ArviZ (``arviz.loo``):

$$
\widehat{\mathrm{elpd}}_{\mathrm{loo}} = \sum_{i=1}^n \log \widehat p(y_i \mid y_{-i}), \qquad
\widehat p(y_i \mid y_{-i}) = \frac{\sum_s w_i^{(s)} p(y_i \mid \theta^{(s)})}{\sum_s w_i^{(s)}},
$$

with $w_i^{(s)}$ the Pareto-smoothed ratios $1 / p(y_i \mid \theta^{(s)})$. The shape $\hat k_i$
of the fitted generalized Pareto tail says whether the estimate of row $i$ can be trusted:
above 0.7 the importance ratios have too heavy a tail (the row is influential: an outlier, a
high-leverage point) and the estimate may be far off.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import arviz as az
import numpy as np

from ..map.path import path_values
from ..sample import PosteriorResult, sample_posterior
from ..sample.diagnostics import warnings_at_caller

__all__ = ["PARETO_K_THRESHOLD", "LooPath", "ParetoKWarning", "loo_path"]

#: above this Pareto shape the PSIS estimate of a row is unreliable (Vehtari et al. 2017, §2.1;
#: ArviZ's ``good_k`` with 2200 or more draws)
PARETO_K_THRESHOLD = 0.7
# a warning names at most this many path points (a long path would flood the message)
_POINTS_SHOWN = 10


class ParetoKWarning(UserWarning):
    r"""Some rows have a Pareto shape $\hat k > 0.7$: their PSIS-LOO estimates are unreliable."""


@dataclass(frozen=True)
class LooPath:
    r"""PSIS-LOO estimates along a path, as returned by `loo_path`.

    Attributes
    ----------
    grid : dict of str to list
        The path: keyword argument name -> the ``k`` values, in the order given.
    elpd : numpy.ndarray
        Estimated expected log pointwise predictive density (``elpd_loo``) per point, ``(k,)``;
        larger is better.
    se : numpy.ndarray
        Its standard error over the rows, ``(k,)`` (ArviZ's ``se``: $\sqrt{n}$ times the sd of
        the pointwise values).
    p_loo : numpy.ndarray
        The effective number of parameters per point, ``(k,)``.
    pareto_k_max : numpy.ndarray
        The largest Pareto shape $\hat k$ over the rows, per point, ``(k,)``.
    best_index : int
        The point of largest ``elpd`` (the first, on ties).
    posteriors : list of PosteriorResult
        The posterior of each point.
    pareto_k : numpy.ndarray
        Pareto shapes of every row at every point, ``(k, n)``.
    elpd_pointwise : numpy.ndarray
        The pointwise estimates $\log \widehat p(y_i \mid y_{-i})$, ``(k, n)``.
    """

    grid: dict[str, list]
    elpd: np.ndarray
    se: np.ndarray
    p_loo: np.ndarray
    pareto_k_max: np.ndarray
    best_index: int
    posteriors: list[PosteriorResult]
    pareto_k: np.ndarray
    elpd_pointwise: np.ndarray

    @property
    def best(self) -> PosteriorResult:
        """The posterior at the point of largest ``elpd``."""
        return self.posteriors[self.best_index]

    def plot(self, ax: Any = None) -> Any:
        r"""Draw ``elpd`` ± one SE over the path points; mark the best and flag large $\hat k$.

        Returns the matplotlib ``Axes`` (a new figure's when ``ax`` is None).
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        x = np.arange(len(self.elpd))
        ax.errorbar(x, self.elpd, yerr=self.se, fmt="o-", ms=3, capsize=2, label="elpd ± SE")
        bad = self.pareto_k_max > PARETO_K_THRESHOLD
        if np.any(bad):
            ax.plot(x[bad], self.elpd[bad], "rx", ms=8, label=f"Pareto k > {PARETO_K_THRESHOLD}")
        ax.axvline(x[self.best_index], color="k", linestyle="--", label="best")
        ax.set_xlabel("path point (in the order given)")
        ax.set_ylabel("PSIS-LOO elpd")
        ax.legend()
        return ax

    def __repr__(self) -> str:
        return (
            f"LooPath(grid={list(self.grid)}, points={len(self.elpd)}, "
            f"best_index={self.best_index}, elpd_best={self.elpd[self.best_index]:.2f}, "
            f"pareto_k_max={float(np.max(self.pareto_k_max)):.2f})"
        )


def loo_path(
    model: Callable,
    *args: Any,
    path: Mapping[str, Any],
    num_samples: int = 1000,
    num_chains: int = 4,
    seed: int = 0,
    **kwargs: Any,
) -> LooPath:
    r"""PSIS-LOO (through ArviZ) of the posterior at each point of a path of model arguments.

    Parameters
    ----------
    model : callable
        A NumPyro model function (e.g. `bayesreg.models.linear`) with one observed site.
    *args
        Positional model arguments (``X, y``).
    path : dict of str to sequence
        Keyword arguments that vary, as for `bayesreg.map_path`: name -> ``k >= 2`` values
        (e.g. ``{"prior": [bayesreg.models.gaussian(t) for t in taus]}``). Values of one
        structure (floats that vary) share one compiled sampler.
    num_samples, num_chains : int
        Draws per chain and chains, at every point.
    seed : int
        The same seed at every point: common random numbers, so that differences of ``elpd``
        between neighbouring points carry less Monte Carlo noise.
    **kwargs
        Fixed model keyword arguments (``sigma=``, ...), and `bayesreg.sample_posterior`'s own
        options (``num_warmup``, ``method``, ``sampler_options``, ``progress_bar``, ...).
        ``log_likelihood`` is always ``True`` (PSIS-LOO needs it).

    Returns
    -------
    LooPath
        ``elpd``, ``se``, ``p_loo``, ``pareto_k_max`` per point, ``best_index`` (largest
        finite ``elpd``; a point where ArviZ gives no estimate has ``elpd`` NaN), the
        ``posteriors``.

    Raises
    ------
    ValueError
        A path of one point, a bad path (as `bayesreg.map_path`), ``log_likelihood=False``, a
        model with no observed site or more than one, no finite estimate at any point; what
        `bayesreg.sample_posterior` raises.

    Warns
    -----
    ParetoKWarning
        One warning naming the points where some row has $\hat k > 0.7$ (their ``elpd`` is
        unreliable: refit without those rows, use K-fold CV, `bayesreg.cv_path`, or a model
        that is less sensitive to them). ArviZ's own warning per point is not repeated.
    SamplingWarning
        As `bayesreg.sample_posterior`, for the points whose NUTS output looks unreliable.

    Notes
    -----
    Each point costs one `bayesreg.sample_posterior` call (the compiled program is reused when
    only floats change) and one ``arviz.loo`` over an ``n x draws`` matrix. The ``se`` is the
    spread over rows, not the Monte Carlo error of the estimate; with ``num_chains *
    num_samples`` draws and every $\hat k$ small, the Monte Carlo error is usually far below it.

    References
    ----------
    Vehtari, A., Gelman, A., Gabry, J. (2017). Practical Bayesian model evaluation using
    leave-one-out cross-validation and WAIC. Statistics and Computing 27, 1413-1432.

    Examples
    --------
    >>> import numpy as np, bayesreg as br
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 3)); y = X @ np.array([1.0, 0.0, -0.5]) + rng.normal(size=40)
    >>> loo = br.loo_path(br.models.linear, X, y, sigma=1.0, num_samples=250,
    ...                   path={"prior": [br.models.gaussian(t) for t in (0.01, 0.1, 1.0)]})
    >>> loo.elpd.shape, loo.best_index, loo.posteriors[0].method
    ((3,), 2, 'exact')
    """
    values = path_values(path, kwargs)
    k = len(next(iter(values.values())))
    if k < 2:
        raise ValueError(
            f"path must hold at least 2 points to choose among; got {k}. Give a grid, e.g. "
            "path={'prior': [bayesreg.models.gaussian(t) for t in np.geomspace(0.01, 10, 10)]}, "
            "or for one point use arviz.loo(bayesreg.sample_posterior(...).idata)."
        )
    kwargs = dict(kwargs)
    log_likelihood = kwargs.pop("log_likelihood", True)
    if log_likelihood is not True and log_likelihood != "auto":
        raise ValueError(
            "log_likelihood must be True for loo_path (PSIS-LOO needs the pointwise "
            f"log-likelihood); got {log_likelihood!r}. Leave it out."
        )
    posteriors, estimates = [], []
    for i in range(k):
        point = {name: sequence[i] for name, sequence in values.items()}
        with warnings_at_caller(f"at path point {i}: "):  # pointing at loo_path's caller
            post = sample_posterior(
                model, *args, num_samples=num_samples, num_chains=num_chains, seed=seed,
                log_likelihood=True, **kwargs, **point,
            )  # fmt: skip
        posteriors.append(post)
        estimates.append(_psis_loo(post))
    pareto_k = np.stack([e.pareto_k for e in estimates])
    elpd = np.array([e.elpd for e in estimates])
    if not np.any(np.isfinite(elpd)):
        raise ValueError(
            f"PSIS-LOO gave no estimate at any of the {k} path points (largest Pareto k "
            f"{np.nanmax(pareto_k):.2f}): every posterior has rows far too influential for "
            "importance sampling. Compare the points by K-fold cross-validation "
            "(bayesreg.cv_path) instead."
        )
    result = LooPath(
        grid=values,
        elpd=elpd,
        se=np.array([e.se for e in estimates]),
        p_loo=np.array([e.p_loo for e in estimates]),
        pareto_k_max=pareto_k.max(axis=1),
        # a point without an estimate (NaN, where ArviZ gives none) is never the best
        best_index=int(np.nanargmax(np.where(np.isfinite(elpd), elpd, np.nan))),
        posteriors=posteriors,
        pareto_k=pareto_k,
        elpd_pointwise=np.stack([e.pointwise for e in estimates]),
    )
    _warn_if_pareto_k_large(result.pareto_k)
    return result


@dataclass(frozen=True)
class _Estimate:
    elpd: float
    se: float
    p_loo: float
    pareto_k: np.ndarray
    pointwise: np.ndarray


def _psis_loo(post: PosteriorResult) -> _Estimate:
    """ArviZ's PSIS-LOO of one posterior; its per-point Pareto warning is replaced by ours."""
    group = getattr(post.idata, "log_likelihood", None)
    names = list(group.data_vars) if group is not None else []
    if len(names) != 1:
        raise ValueError(
            "loo_path needs a model with exactly one observed site (its pointwise "
            f"log-likelihood); the posterior has {names or 'none'}. Observe the data in one "
            "site, e.g. numpyro.sample('y', dist.Normal(mu, sigma), obs=y) under a plate."
        )
    with warnings.catch_warnings():
        # the Pareto-k warning is issued once for the whole path, naming the points
        warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto")
        # ArviZ's own arithmetic on degenerate weights (k = inf gives NaN, which we report)
        warnings.filterwarnings("ignore", category=RuntimeWarning, module="arviz")
        loo = az.loo(post.idata, pointwise=True)
    pareto_k = np.asarray(loo.pareto_k, dtype=float).reshape(-1)
    return _Estimate(
        elpd=float(loo.elpd_loo),
        se=float(loo.se),
        p_loo=float(loo.p_loo),
        pareto_k=pareto_k,
        pointwise=np.asarray(loo.loo_i, dtype=float).reshape(-1),
    )


def _warn_if_pareto_k_large(pareto_k: np.ndarray) -> None:
    bad = pareto_k > PARETO_K_THRESHOLD
    points = np.flatnonzero(bad.any(axis=1))
    if points.size == 0:
        return
    shown = [f"{int(i)} ({int(bad[i].sum())} rows, max k {pareto_k[i].max():.2f})" for i in points]
    more = " ..." if points.size > _POINTS_SHOWN else ""
    warnings.warn(
        f"loo_path: Pareto k > {PARETO_K_THRESHOLD} at {points.size} of {len(pareto_k)} path "
        f"points: {', '.join(shown[:_POINTS_SHOWN])}{more}. PSIS-LOO is unreliable there (the "
        "rows are influential: outliers or high-leverage points); see LooPath.pareto_k for "
        "which rows. Check those rows, compare by K-fold cross-validation (bayesreg.cv_path), "
        "or refit leaving them out one at a time.",
        ParetoKWarning,
        stacklevel=3,
    )
