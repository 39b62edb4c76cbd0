"""``bayesreg verify``: the prior <-> penalty correspondence on the diabetes data vs scikit-learn.

For each prior (Gaussian, Laplace, elastic net) and a few scales, the MAP of
``bayesreg.models.linear`` with known noise ``sigma`` is computed by `bayesreg.map_estimate`
and compared with the scikit-learn estimator whose penalty the table of conventions
(`bayesreg.penalty.CONVENTIONS`) says it equals; NumPyro's own MAP (``AutoDelta`` with Adam) is
run beside it to count its exact zeros.
"""

from __future__ import annotations

import argparse
import textwrap
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import jax
import numpy as np
import pandas as pd

from .. import penalty, priors
from .._compile import MODEL_LOCK
from ..data import least_squares_sigma
from ..map import map_estimate
from ..models import linear
from ..penalty import Convention
from ..priors import PriorKind
from .describe import parts_of, scale_text
from .output import add_output_options, records, write_json

__all__ = [
    "COLUMNS",
    "DEFAULT_GRID",
    "add_options",
    "add_parser",
    "format_verify",
    "legend",
    "run",
    "verify_table",
]

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


#: The columns of `verify_table` and what each means: the legend ``bayesreg verify`` prints.
COLUMNS = {
    "prior": "the prior on each weight",
    "scale": "its scale(s)",
    "sklearn": "the scikit-learn fit whose penalty the prior's MAP equals",
    "max_abs_dcoef": "largest |bayesreg MAP - scikit-learn| over the weights and the intercept",
    "zeros_bayesreg": "weights exactly 0 in bayesreg's MAP",
    "zeros_sklearn": "weights exactly 0 in scikit-learn's fit",
    "zeros_numpyro_adam": (
        "weights exactly 0 in NumPyro's own MAP (AutoDelta, {steps} Adam steps): gradient "
        "steps never land exactly on 0"
    ),
    "same_zero_set": "bayesreg and scikit-learn set the same weights to 0",
    "ms_bayesreg": "milliseconds of a repeat fit by bayesreg",
    "ms_sklearn": "the same by scikit-learn",
}

#: scikit-learn solver options per convention (default: coordinate descent to tol 1e-12)
SOLVER_OPTIONS: dict[str, dict[str, Any]] = {"ridge": {"solver": "svd"}}
#: how a penalty parameter is shown in the ``sklearn`` column
PARAM_FORMATS = {"l1_ratio": ".3f"}


def _timed(fn: Callable[[], object], repeats: int = 3) -> tuple[object, float]:
    """Return ``fn()`` and its best wall time over ``repeats`` calls after one warm-up call."""
    result, best = fn(), np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return result, best


def _autodelta_coef(X: np.ndarray, y: np.ndarray, prior, sigma: float, steps: int) -> np.ndarray:
    """NumPyro's own MAP of the weights: ``AutoDelta`` with Adam, as ``SVI.run`` computes it."""
    with MODEL_LOCK:  # NumPyro's handler stack is process-wide (see bayesreg._compile)
        return np.asarray(_autodelta_program(X, y, prior, sigma, steps))


@partial(jax.jit, static_argnums=(4,))
def _autodelta_program(X: Any, y: Any, prior: Any, sigma: Any, steps: int) -> jax.Array:
    # SVI.run's own loop, jitted once per prior structure: the prior's scales are traced, so
    # the rows of one prior kind share a compile (SVI.run recompiles for every new prior)
    import numpyro
    from numpyro.infer import SVI, Trace_ELBO
    from numpyro.infer.autoguide import AutoDelta

    svi = SVI(linear, AutoDelta(linear), numpyro.optim.Adam(1.0), Trace_ELBO())
    state = svi.init(jax.random.PRNGKey(0), X, y, prior=prior, sigma=sigma)

    def step(_: int, state: Any) -> Any:
        return svi.update(state, X, y, prior=prior, sigma=sigma)[0]

    state = jax.lax.fori_loop(0, steps, step, state)
    return svi.get_params(state)["coef_auto_loc"]


def _grid_row(
    name: str, scales: tuple[float, ...], sigma: float, n: int
) -> tuple[PriorKind, Any, Convention, dict[str, float]]:
    """Return a grid row's prior kind and distribution, its linear convention and penalty."""
    if name not in priors.names():
        *first, last = map(repr, priors.names())
        raise ValueError(f"unknown prior {name!r} in grid; use {', '.join(first)} or {last}.")
    kind = priors.get(name)
    if len(scales) != len(kind.parts):
        symbols = ", ".join(kind.scale_labels[part] for part in kind.parts)
        raise ValueError(f"the {name} prior in grid takes the scales ({symbols}); got {scales}.")
    convention = penalty.convention_for("linear", kind.name)
    if convention is None:
        raise ValueError(f"no scikit-learn penalty for the {name} prior in grid.")
    prior = kind.build(**dict(zip(kind.parts, scales, strict=True)))
    params = penalty.penalty_params(convention.name, parts_of(kind, scales), sigma=sigma, n=n)
    return kind, prior, convention, {key: float(value) for key, value in params.items()}


def _estimator(convention: Convention, params: dict[str, float]) -> Any:
    """Make the scikit-learn estimator of a convention (its label names the class)."""
    from sklearn import linear_model

    options = SOLVER_OPTIONS.get(convention.name, {"tol": 1e-12, "max_iter": 100_000})
    return getattr(linear_model, convention.label)(**params, **options)


def _param_text(key: str, value: float) -> str:
    return f"{key}={value:{PARAM_FORMATS.get(key, '.4g')}}"


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
        One row per prior and scale; the columns are those of `COLUMNS`, in its order
        (``zeros_numpyro_adam`` only when ``autodelta_steps > 0``).
    """
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    n, p = X.shape
    if sigma is None:
        sigma = least_squares_sigma(X, y)

    rows = []
    for name, scales in grid:
        kind, prior, convention, params = _grid_row(name, scales, sigma, n)
        reference = _estimator(convention, params)
        label = f"{convention.label}({', '.join(_param_text(k, v) for k, v in params.items())})"
        scale = scale_text(kind, parts_of(kind, scales), "{:g}".format, sep="=")

        fit, seconds = _timed(
            lambda prior=prior: map_estimate(linear, X, y, prior=prior, sigma=sigma)
        )
        sk, sk_seconds = _timed(lambda reference=reference: reference.fit(X, y))
        coef = np.asarray(fit.params["coef"])
        delta = max(
            np.max(np.abs(coef - sk.coef_)),
            abs(float(fit.params["intercept"]) - sk.intercept_),
        )
        row = {
            "prior": name,
            "scale": scale,
            "sklearn": label,
            "max_abs_dcoef": delta,
            "zeros_bayesreg": int(np.sum(coef == 0)),
            "zeros_sklearn": int(np.sum(sk.coef_ == 0)),
            "same_zero_set": bool(np.array_equal(coef == 0, sk.coef_ == 0)),
            "ms_bayesreg": 1e3 * seconds,
            "ms_sklearn": 1e3 * sk_seconds,
        }
        if autodelta_steps:
            adam = _autodelta_coef(X, y, prior, sigma, autodelta_steps)
            row["zeros_numpyro_adam"] = int(np.sum(adam == 0))
        rows.append(row)
    table = pd.DataFrame(rows)
    table = table[[column for column in COLUMNS if column in table.columns]]
    table.attrs.update(sigma=sigma, n=n, p=p)
    table.attrs["autodelta_steps"] = autodelta_steps
    return table


def add_options(command: argparse.ArgumentParser) -> None:
    """Add ``--sigma`` and ``--autodelta-steps`` (``verify`` and ``demo``)."""
    command.add_argument(
        "--sigma", type=float, default=None, help="known noise sd (default: OLS residual sd)"
    )
    command.add_argument(
        "--autodelta-steps",
        type=int,
        default=3000,
        help="Adam steps for NumPyro's AutoDelta column (0 skips it)",
    )


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add the ``verify`` command to the ``commands`` subparsers."""
    verify = commands.add_parser(
        "verify",
        help="check Gaussian/Laplace/elastic-net MAP == ridge/lasso/elastic net on diabetes",
        description="Print the prior <-> penalty correspondence table on the diabetes data.",
    )
    add_options(verify)
    add_output_options(verify, quiet=False)
    verify.set_defaults(run=run)
    return verify


def format_verify(table: pd.DataFrame) -> str:
    """Write the table of `verify_table` as ``bayesreg verify`` prints it."""
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        return table.to_string(
            index=False,
            formatters={
                "max_abs_dcoef": "{:.1e}".format,
                "ms_bayesreg": "{:.2f}".format,
                "ms_sklearn": "{:.2f}".format,
            },
        )


def legend(table: pd.DataFrame, width: int = 100) -> str:
    """Say what each column of a `verify_table` table means, wrapped to ``width`` characters.

    Examples
    --------
    >>> print(legend(pd.DataFrame(columns=["zeros_bayesreg", "zeros_sklearn"]), width=60))
    columns: zeros_bayesreg = weights exactly 0 in bayesreg's
      MAP; zeros_sklearn = weights exactly 0 in scikit-learn's
      fit.
    """
    steps = table.attrs.get("autodelta_steps", 0)
    meanings = [
        f"{column} = {COLUMNS[column].format(steps=steps)}"
        for column in table.columns
        if column in COLUMNS
    ]
    text = "columns: " + "; ".join(meanings) + "."
    return textwrap.fill(text, width=width, subsequent_indent="  ", break_on_hyphens=False)


#: the largest coefficient difference from scikit-learn that counts as agreeing (both solve to
#: a relative tolerance near 1e-12; coefficients on diabetes are O(100), so 1e-6 is far above
#: the solvers' error and far below any real difference)
AGREEMENT = 1e-6


def run(args: argparse.Namespace) -> int:
    """Run ``bayesreg verify``: print the table; 0 when every row agrees, 1 otherwise."""
    table = verify_table(DEFAULT_GRID, sigma=args.sigma, autodelta_steps=args.autodelta_steps)
    ok = bool(table["same_zero_set"].all() and (table["max_abs_dcoef"] <= AGREEMENT).all())
    sigma = table.attrs["sigma"]
    if getattr(args, "json", False):
        write_json(
            args,
            {
                "command": "verify",
                "data": "diabetes",
                "n": table.attrs["n"],
                "p": table.attrs["p"],
                "sigma": sigma,
                "agrees": ok,
                "tolerance": AGREEMENT,
                "columns": {
                    column: COLUMNS[column].format(steps=args.autodelta_steps)
                    for column in table.columns
                },
                "table": records(table),
            },
        )
        return 0 if ok else 1
    print(
        f"Prior <-> penalty on the diabetes data (n={table.attrs['n']}, p={table.attrs['p']}), "
        "known noise sd "
        f"sigma={sigma:.4g}: MAP of bayesreg.models.linear vs scikit-learn"
    )
    print(format_verify(table))
    print(legend(table))
    tolerance = f"{AGREEMENT:g}".replace("e-0", "e-")
    print(
        f"all zero sets identical to scikit-learn's and max |dcoef| <= {tolerance}"
        if ok
        else "MISMATCH: see the rows above"
    )
    return 0 if ok else 1
