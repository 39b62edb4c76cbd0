"""The option checks and the outcome reports (errors, warnings) of `map_estimate` and `map_path`."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import jax.numpy as jnp
import numpy as np

from ..priors.hierarchical import INFER_KEY, RandomScale
from ..priors.shrinkage import INFER_KEY as SHRINKAGE_KEY
from .result import NoFiniteMapWarning

__all__ = [
    "check_options",
    "raise_if_l1_parameters_move",
    "raise_if_no_mode",
    "raise_if_not_finite",
    "raise_if_random_scale",
    "warn_no_finite_map",
]

# what to do instead of a MAP when a prior scale is random (every message below ends with it)
_ALTERNATIVES = (
    "Use bayesreg.sample_posterior for the posterior of the scale with the weights; "
    "bayesreg.empirical_bayes or bayesreg.cv_path to choose a fixed scale (then map_estimate "
    "at it); or give the scale as a number"
)

# the default tolerance on the certificate, per precision: far above the certificate's rounding
# (eps is 2.2e-16 and 1.2e-7) and tight enough for the ~1e-8 agreement with scikit-learn in float64
_DEFAULT_TOL = {jnp.float64: 1e-10, jnp.float32: 1e-4}


def check_options(model: Any, dtype: Any, tol: Any, max_iter: Any) -> tuple[Any, float]:
    """Validate the solver options shared by `map_estimate` and `map_path`."""
    if not callable(model):
        raise TypeError(f"model must be a NumPyro model function; got {type(model).__name__}.")
    dtype = _check_dtype(dtype)
    if tol is None:
        tol = _DEFAULT_TOL[dtype]
    if not (isinstance(tol, int | float) and math.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive finite number; got {tol!r}.")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer; got {max_iter!r}.")
    return dtype, tol


def _check_dtype(dtype: Any) -> Any:
    allowed = {"float64": jnp.float64, "float32": jnp.float32}
    if isinstance(dtype, str):
        if dtype not in allowed:
            raise ValueError(f"dtype must be one of {sorted(allowed)}; got {dtype!r}.")
        return allowed[dtype]
    if dtype in (jnp.float64, np.float64):
        return jnp.float64
    if dtype in (jnp.float32, np.float32):
        return jnp.float32
    raise ValueError(f"dtype must be 'float64' or 'float32'; got {dtype!r}.")


def warn_no_finite_map(where: str, stacklevel: int) -> None:
    """Issue the `NoFiniteMapWarning` of a solve; ``stacklevel`` as seen from here."""
    warnings.warn(
        f"{where}: no finite MAP exists: the objective keeps decreasing along the ray from the "
        "start through the returned point (e.g. a flat prior on separable classes, an improper "
        "posterior, a density unbounded above), so the estimate is only where the solver "
        "stopped (optimality is reported as inf, converged=False). Use a proper prior, e.g. "
        "bayesreg.models.gaussian(...) on the weights, or a proper intercept prior.",
        NoFiniteMapWarning,
        stacklevel=stacklevel,
    )


def raise_if_not_finite(objective: float, num_iter: int, where: str = "") -> None:
    """Refuse a solve that ended on a non-finite objective (`FloatingPointError`)."""
    if not math.isfinite(objective):
        raise FloatingPointError(
            f"the objective became {objective} during the MAP solve{where} (iteration "
            f"{num_iter}): the model's log density is NaN or infinite there and no shorter step "
            "avoids it (an overflow, a log of a negative number, an improper posterior). Rescale "
            "the data, use proper priors, or pass init_params to start elsewhere."
        )


def raise_if_l1_parameters_move(l1_sites: frozenset[str], moved: Any) -> None:
    """Refuse Laplace sites whose location/scale depend on other latent sites (not convex)."""
    if not l1_sites:
        return
    moved = np.asarray(moved).reshape(-1, len(l1_sites)).any(axis=0)
    for name, flag in zip(sorted(l1_sites), moved, strict=True):
        if flag:
            raise ValueError(
                f"the Laplace prior of site '{name}' has a location or scale that depends on "
                "other latent sites (a scale given a hyperprior, or the Bayesian lasso's "
                "sigma / lam): the MAP's proximal step, which gives the lasso's exact zeros, "
                "needs fixed Laplace parameters. Use bayesreg.sample_posterior for the "
                "posterior of those sites with the weights; bayesreg.empirical_bayes (for "
                "models.bayesian_lasso: lam by Monte Carlo EM, and the lasso MAP at it in .fit) "
                "or bayesreg.cv_path to choose a fixed scale; or fix the scale (a number)."
            )


def raise_if_no_mode(model_trace: Mapping[str, dict]) -> None:
    """Refuse a MAP of a model whose prior has no mode (a horseshoe), saying what to do instead.

    A shrinkage prior (`bayesreg.priors.ShrinkagePrior`) marks its first site with itself in
    ``site["infer"]`` and says whether a mode exists (``map_exists``, ``no_map_reason``).
    """
    for name, site in model_trace.items():
        prior = (site.get("infer") or {}).get(SHRINKAGE_KEY)
        if prior is None or prior.map_exists:
            continue
        raise ValueError(
            f"no MAP exists for the {prior.name} prior ({prior!r}, site '{name}'): "
            f"{prior.no_map_reason}. Use bayesreg.sample_posterior for its posterior (posterior "
            "means and medians are the estimates this prior is made for; bayesreg.compare(None, "
            "post) tabulates them), or a prior whose MAP exists: student_t, or gaussian / laplace "
            "/ elastic_net for ridge / lasso / elastic net."
        )


def raise_if_random_scale(model_trace: Mapping[str, dict], l1_sites: frozenset[str]) -> None:
    """Refuse a MAP over a prior scale given a hyperprior, saying why (`RandomScale`).

    Each scale site carries its `RandomScale` in ``site["infer"]``; the weights it scales are
    the next sample site of the trace (`RandomScale.sample_weights` samples them right after).
    Refused: a joint density unbounded as the scale goes to 0 (`RandomScale.degenerate_mode`),
    and a random Laplace scale (the proximal step needs a fixed one) even where the joint mode
    is finite. A random Normal scale with a finite joint mode is left to the smooth solver.
    """
    names = list(model_trace)
    for position, name in enumerate(names):
        site = model_trace[name]
        prior = (site.get("infer") or {}).get(INFER_KEY) if site["type"] == "sample" else None
        if not isinstance(prior, RandomScale):
            continue
        weights = next(
            (
                other
                for other in names[position + 1 :]
                if model_trace[other]["type"] == "sample" and other not in prior.site_names
            ),
            None,
        )
        if weights is None:
            continue
        m = int(np.size(model_trace[weights]["value"]))
        where = f"site '{name}' is the random prior scale of the {m} weights of '{weights}'"
        where = f"{where} ({prior!r})"
        fixed = f"bayesreg.models.{prior.kind.name}({', '.join('1.0' for _ in prior.kind.parts)})"
        reason = prior.degenerate_mode(m)
        if reason is not None:
            raise ValueError(f"no finite MAP: {reason}; {where}. {_ALTERNATIVES}, e.g. {fixed}.")
        if weights in l1_sites:
            raise ValueError(
                f"the Laplace prior of '{weights}' has a random scale: {where}. The MAP's "
                "proximal step, which gives the lasso's exact zeros, needs a fixed Laplace scale "
                f"(this joint mode is finite, but not a lasso). {_ALTERNATIVES}, e.g. {fixed}."
            )
