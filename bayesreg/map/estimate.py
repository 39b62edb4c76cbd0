"""`map_estimate`: the MAP of a NumPyro model, one compiled solve."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp

from .. import models
from .._compile import MODEL_LOCK, split_arguments
from .._types import ArrayLike
from .._validation import prepare_model_arguments
from .checks import (
    check_options,
    raise_if_l1_parameters_move,
    raise_if_not_finite,
    warn_no_finite_map,
)
from .objective import model_arguments, setup
from .program import SOLVERS, solve, solve_warm
from .result import ConvergenceWarning, MapResult

__all__ = ["map_estimate"]

# a single solve reduces a Gaussian likelihood to p x p statistics only where that pays: the
# statistics cost n p² once, a gradient through X 2np, and one solve takes tens of gradients; so
# at least 2 rows per unknown and at most 64 features (a path, which reuses the statistics for
# every point, takes the model's own limits)
_SINGLE_SOLVE_MIN_ROWS_PER_FEATURE = 2.0
_SINGLE_SOLVE_MAX_FEATURES = 64


def map_estimate(
    model: Callable,
    *args: Any,
    tol: float | None = None,
    max_iter: int = 20_000,
    init_params: Mapping[str, ArrayLike] | None = None,
    dtype: str | Any = "float64",
    newton_max_dim: int = 500,
    **kwargs: Any,
) -> MapResult:
    r"""Maximum a posteriori estimate of a NumPyro model; Laplace priors give exact zeros.

    Minimizes $-\log p(y, \theta)$ over all latent sites (see the `bayesreg.map` docstring for
    the split into a smooth part and an L1 part). For the models of `bayesreg.models` with a
    Gaussian likelihood and known ``sigma`` this objective is ``RSS/(2 sigma²) + penalty`` (RSS
    **not** divided by ``n``); `bayesreg.penalty` converts the prior scales to the
    scikit-learn / glmnet penalties whose solutions it equals.

    Parameters
    ----------
    model : callable
        A NumPyro model function.
    *args, **kwargs
        Passed to ``model``. Arrays (NumPy, JAX, pandas) and floats are traced, so new values with
        the same shapes reuse the compiled solver; ints, bools, strings and other objects are
        static. NaN/inf or non-numeric arrays raise. The keyword names below are reserved.
    tol : float, optional
        Tolerance on the scale-free optimality certificate (`bayesreg.map` docstring; unchanged
        by the units of the columns of ``X`` or of the objective); default ``1e-10`` in float64
        and ``1e-4`` in float32.
    max_iter : int
        Maximum proximal-gradient iterations.
    init_params : dict, optional
        Starting values (constrained space) for some latent sites; the others start at the prior
        location, deterministically: the ``loc`` of a real location family (Normal, Laplace,
        Cauchy, Student-t, ...), else the prior mean where it is finite (HalfNormal, Gamma,
        Dirichlet, ...), else 0 in the unconstrained space (improper priors, Cauchy means); all
        of them at 0 in the unconstrained space if the density is not finite there. The
        certificate is scaled at the default start all the same (as for every point of
        `bayesreg.map_path`), so a start at the solution is certified at once.
    dtype : {"float64", "float32"}
        Precision of the solve. float32 is faster and less exact (use a looser ``tol``).
    newton_max_dim : int
        Try Newton steps on the current support only when the number of unknowns is at most
        this (each costs a dense Hessian).

    Returns
    -------
    MapResult
        ``params``, ``objective``, ``num_iter``, ``converged``, ``optimality``. A
        `ConvergenceWarning` is issued when the certificate misses the tolerance, a
        `NoFiniteMapWarning` when the objective still decreases beyond the solver's point (no
        finite MAP: e.g. a flat prior on separable classes; use a proper prior).

    Raises
    ------
    ValueError
        Bad data (NaN/inf, shapes), invalid distribution parameters, no latent sites, discrete
        latent sites, Laplace parameters that depend on other latent sites, a log density that
        is not finite at the start (prior location and 0 in the unconstrained space both tried).
    FloatingPointError
        The gradient or density is not finite at the points the solver reached, however short
        the step.
    TypeError
        Non-numeric data.

    Notes
    -----
    Thread-safe: concurrent calls (and calls concurrent with `map_path`) are safe and run one at
    a time, because NumPyro's effect-handler stack is process-wide; the whole call holds
    ``bayesreg._compile.MODEL_LOCK``.

    Examples
    --------
    >>> import numpy as np, bayesreg as br
    >>> from sklearn.datasets import load_diabetes
    >>> X, y = load_diabetes(return_X_y=True)
    >>> fit = br.map_estimate(br.models.linear, X, y, prior=br.models.laplace(20.0), sigma=55.0)
    >>> bool(fit.converged), int((fit.params["coef"] == 0).sum()) > 0
    (True, True)
    """
    with MODEL_LOCK:
        dtype, tol = check_options(model, dtype, tol, max_iter)
        args, kwargs, _ = prepare_model_arguments(model, args, kwargs)
        kwargs = models.resolved_arguments(model, args, kwargs)  # e.g. linear's sigma prior
        # the model's own cheaper arguments for the same density (a Gaussian likelihood through
        # X'X: O(p²) per gradient instead of O(np)), when they pay off for one solve
        reduced = models.reduced_arguments(
            model,
            args,
            kwargs,
            min_rows_per_feature=_SINGLE_SOLVE_MIN_ROWS_PER_FEATURE,
            max_features=_SINGLE_SOLVE_MAX_FEATURES,
        )
        solve_args, solve_kwargs = reduced if reduced is not None else (args, kwargs)
        split = split_arguments((solve_args, solve_kwargs, {}), float_dtype=dtype)
        concrete_args, concrete_kwargs = model_arguments(split, split.traced)
        start = setup(model, concrete_args, concrete_kwargs, init_params)
        init = {k: jnp.asarray(v, dtype) for k, v in start.init.items()}
        scale_at = _default_start(model, concrete_args, concrete_kwargs, init_params, start)
        warm = scale_at is not None
        program = solve_warm if warm else solve

        def make():
            # the structure only: the cached program must not keep this call's data alive
            structure = split._replace(traced=[])
            return jax.jit(partial(program, model, structure, start.l1_sites, newton_max_dim))

        key = (model, *split.key, start.l1_sites, newton_max_dim, warm)
        solver, _ = SOLVERS.get(key, make)
        starts = (scale_at, init) if warm else (init,)
        params, objective, optimality, num_iter, moved, no_map = solver(
            split.traced, *starts, jnp.asarray(tol, dtype), jnp.asarray(max_iter, jnp.int32)
        )
        raise_if_l1_parameters_move(start.l1_sites, moved)
        objective = float(objective)
        raise_if_not_finite(objective, int(num_iter))
        optimality = float(optimality)
        converged = optimality <= tol
        if bool(no_map):
            warn_no_finite_map("map_estimate", stacklevel=3)
        elif not converged:
            warnings.warn(
                f"map_estimate did not converge in {int(num_iter)} iterations: optimality "
                f"{optimality:.2e} > tol {tol:.1e}. Increase max_iter, standardize the columns of "
                "X, or loosen tol.",
                ConvergenceWarning,
                stacklevel=2,
            )
        return MapResult(
            params=params,
            objective=objective,
            num_iter=int(num_iter),
            converged=converged,
            optimality=optimality,
            tolerance=float(tol),
            model=model,
            args=args,
            kwargs=kwargs,
        )


def _default_start(
    model: Callable, args: tuple, kwargs: dict, init_params: Any, start: Any
) -> dict | None:
    """Return the default start, where the certificate is scaled when ``init_params`` is given.

    ``None`` without ``init_params``, or when the default start is not usable (its density is
    not finite anywhere the defaults try): the certificate is then scaled at the user's start.
    """
    if not init_params:
        return None
    try:
        default = setup(model, args, kwargs, None)
    except ValueError:
        return None
    if default.l1_sites != start.l1_sites or set(default.init) != set(start.init):
        return None
    return {k: jnp.asarray(v, start.init[k].dtype) for k, v in default.init.items()}
