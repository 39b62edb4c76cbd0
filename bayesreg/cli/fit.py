"""``bayesreg fit``: MAP and posterior of a linear / logistic / Poisson regression on a CSV file.

Prints the MAP table (and the penalized fit it equals, from the table of conventions) and the
MAP-vs-posterior table of `bayesreg.compare.compare`; with ``--out`` writes ``map.csv``,
``compare.csv``, ``diagnostics.csv``, ``report.md`` and figures, each file atomically. On a
terminal it shows progress on stderr (stage lines and the sampler's bar; ``--quiet`` hides
them); ``--json`` writes every table as one JSON document instead (`bayesreg.cli.output`).
``--scale METHOD`` (``cv``, ``cv-1se``, ``evidence``, ``hyperprior``) chooses the prior scale
from the data first (`bayesreg.cli.scale`). The shrinkage priors (``--prior horseshoe``, ...)
take their own parameters (`bayesreg.cli.shrinkage`); one with no MAP is reported by its
posterior alone. ``--method`` picks the sampler (`bayesreg.sample_posterior`'s ``method``).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

from .. import penalty, priors
from ..priors import PenaltyParts, PriorKind
from ..sample.driver import METHODS as SAMPLER_METHODS
from .describe import (
    SCALE_OPTIONS,
    parts_of,
    penalty_call,
    prior_text,
    two_scale_priors,
)
from .fit_report import numbers, posterior_document, scale_document, write_fit_report
from .options import (
    SCALE_METHODS,
    SigmaPrior,
    UsageError,
    count,
    normalized_name,
    parse_sigma_prior,
    positive_float,
    scale_value,
)
from .output import Stages, add_output_options, records, show_progress, write_json
from .scale import ScaleChoice, check_scale_options, choose_scale, posterior_median_prior
from .shrinkage import (
    add_prior_options,
    check_nonzero,
    prior_choices,
    shrinkage_prior,
    shrinkage_text,
    site_text,
    without_map,
)

__all__ = ["LIKELIHOODS", "add_parser", "equivalent_penalty", "map_table", "run"]

LIKELIHOODS = ("linear", "logistic", "poisson")


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add the ``fit`` command to the ``commands`` subparsers."""
    fit = commands.add_parser(
        "fit",
        help="MAP and posterior of a linear / logistic / Poisson regression on a CSV file",
        description=(
            "Fit bayesreg.models.linear (or logistic / poisson) to a CSV file: print the MAP "
            "table and the MAP-vs-posterior table, and write map.csv, compare.csv, "
            "diagnostics.csv, report.md and figures to --out. The intercept has a flat prior."
        ),
        epilog=(
            "example: bayesreg fit diabetes.csv --target y --prior laplace --scale 20 "
            "--sigma 54 --samples 1000 --out report/"
        ),
    )
    fit.add_argument("data", help="CSV file with a header row")
    fit.add_argument("--target", help="response column; every other column is a feature")
    fit.add_argument(
        "--formula",
        help="formula over column names instead of --target, e.g. 'y ~ a + b + a:b + C(group)'; "
        "allowed: + - : * ** ^, C(), log, exp, sqrt, center, scale; nothing in it is executed "
        "(its intercept column is dropped: the model has its own)",
    )
    fit.add_argument(
        "--prior",
        type=normalized_name,
        choices=prior_choices(),
        default="laplace",
        help="prior on each weight (dashes or underscores: elastic-net = elastic_net); "
        f"{', '.join(without_map())} have no MAP: the fit reports their posterior",
    )
    fit.add_argument(
        "--scale",
        type=scale_value,
        metavar="SCALE|METHOD",
        help="prior scale (needed by gaussian, laplace, elastic_net): tau of gaussian, b of "
        "laplace and elastic_net, the scale of student_t (in units of sigma under linear); or a "
        f"method that chooses it from the data: {', '.join(SCALE_METHODS)} (cross-validation, "
        "its 1-SE rule, type-II maximum likelihood, a HalfCauchy hyperprior)",
    )
    fit.add_argument(
        "--folds", type=count(2), help="--scale cv / cv-1se: number of folds (default 5)"
    )
    fit.add_argument(
        "--grid", type=count(2), help="--scale cv / cv-1se: number of grid points (default 100)"
    )
    fit.add_argument(
        "--l1-ratio",
        type=float,
        help="--scale cv / cv-1se with elastic_net: the grid's L1 share (default 0.5)",
    )
    fit.add_argument(
        "--l2-scale", type=positive_float, help="tau of the elastic_net prior (its L2 part)"
    )
    noise = fit.add_mutually_exclusive_group()
    noise.add_argument(
        "--sigma",
        type=float,
        help="known noise sd (linear only; default: least-squares residual sd)",
    )
    noise.add_argument(
        "--sigma-prior",
        type=parse_sigma_prior,
        metavar="NAME:VALUE",
        help="prior on the noise sd instead: halfnormal:SCALE, halfcauchy:SCALE, exponential:RATE",
    )
    fit.add_argument("--likelihood", type=normalized_name, choices=LIKELIHOODS, default="linear")
    fit.add_argument(
        "--samples", type=count(0), default=1000, help="posterior draws per chain (0: MAP only)"
    )
    fit.add_argument("--warmup", type=count(0), default=1000, help="NUTS warmup steps per chain")
    fit.add_argument("--chains", type=count(1), default=4, help="number of chains")
    fit.add_argument(
        "--method",
        type=normalized_name,
        choices=SAMPLER_METHODS,
        default="auto",
        help="sampler: auto (exact when the posterior is Gaussian, else NUTS), nuts, exact"
        + (", gibbs (the priors with a Gibbs kernel)" if "gibbs" in SAMPLER_METHODS else ""),
    )
    fit.add_argument("--seed", type=count(0), default=0, help="random seed")
    fit.add_argument(
        "--log-likelihood",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="keep (or never compute) the pointwise log-likelihood, n x chains x draws numbers "
        "that arviz.loo needs; default: kept when it fits in 256 MiB",
    )
    fit.add_argument(
        "--dropna", action="store_true", help="drop rows with missing values (default: refuse)"
    )
    fit.add_argument("--out", help="report folder (omit to print only)")
    add_prior_options(fit)
    add_output_options(fit)
    fit.set_defaults(run=run)
    return fit


def _fit_prior(args: argparse.Namespace) -> tuple[Any, PriorKind, PenaltyParts]:
    """Build the prior of ``--prior/--scale/--l2-scale``: distribution, kind, penalty parts."""
    kind = priors.get(args.prior)
    if args.scale is None:
        raise UsageError(f"--prior {kind.name} needs its prior scale: give --scale SCALE|METHOD")
    if len(kind.parts) > 1 and args.l2_scale is None:
        part = kind.scale_labels[kind.parts[1]]
        raise UsageError(f"--prior {kind.name} needs the {part}: give --l2-scale TAU")
    if len(kind.parts) == 1 and args.l2_scale is not None:
        raise UsageError(
            f"--l2-scale applies only to --prior {two_scale_priors()}, not {kind.name}; "
            "leave it out"
        )
    scales = [getattr(args, option) for option in SCALE_OPTIONS[: len(kind.parts)]]
    prior = kind.build(**dict(zip(kind.parts, scales, strict=True)))
    return prior, kind, parts_of(kind, scales)


def _check_response(y: Any, likelihood: str) -> None:
    import numpy as np

    values = y.to_numpy()
    if likelihood == "logistic" and not np.isin(values, [0.0, 1.0]).all():
        bad = values[~np.isin(values, [0.0, 1.0])][:3].tolist()
        raise UsageError(
            f"--likelihood logistic needs 0/1 labels in {y.name!r}; found {bad}. Recode the "
            "column as 0/1"
        )
    if likelihood == "poisson" and not (values >= 0).all():
        bad = values[~(values >= 0)][:3].tolist()
        raise UsageError(
            f"--likelihood poisson needs non-negative counts or rates in {y.name!r}; found "
            f"{bad}. Give values >= 0, or use --likelihood linear"
        )


def _least_squares_sigma(X: Any, y: Any, intercept: bool) -> float:
    from ..data import least_squares_sigma

    try:
        return least_squares_sigma(X, y, intercept=intercept)
    except ValueError as error:
        raise UsageError(
            str(error).replace("give sigma (or a prior on it)", "give --sigma or --sigma-prior")
        ) from None


def equivalent_penalty(
    likelihood: str,
    kind: PriorKind,
    parts: PenaltyParts,
    sigma: float | None,
    n: int,
    intercept: bool,
) -> str | None:
    """Name the penalized fit whose solution equals the MAP, via the table of conventions.

    ``None`` when no convention expresses the prior under the likelihood, or when it needs the
    Gaussian noise sd and ``sigma`` is ``None``.
    """
    convention = penalty.convention_for(likelihood, kind.name)
    if convention is None or (convention.sigma == "required" and sigma is None):
        return None
    params = penalty.penalty_params(
        convention.name, parts, sigma=1.0 if sigma is None else sigma, n=n
    )
    return penalty_call(
        convention, params, "{:.6g}".format, likelihood=likelihood, intercept=intercept
    )


def map_table(fit: Any, names: list[str]) -> Any:
    """One row per scalar of the MAP, labelled as `bayesreg.compare.compare` labels them."""
    import numpy as np
    import pandas as pd

    rows: dict[str, float] = {}
    for site in ("coef", "intercept", "sigma"):
        if site not in fit.params:
            continue
        values = np.asarray(fit.params[site], dtype=float).reshape(-1)
        if site == "coef":
            rows.update({f"coef[{name}]": float(v) for name, v in zip(names, values, strict=True)})
        else:
            rows[site] = float(values[0])
    table = pd.DataFrame({"map": pd.Series(rows)})
    table.index.name = "weight"
    return table


def _to_text(table: Any) -> str:
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 20):
        return table.to_string(float_format="{:.5g}".format)


def _noise(
    args: argparse.Namespace, X: Any, y: Any, intercept: bool
) -> tuple[Any, float | None, str]:
    """Return the model's ``sigma`` argument, the known sigma (or ``None``) and its text."""
    sigma_prior: SigmaPrior | None = args.sigma_prior
    if sigma_prior is not None:
        text = f"noise sd sigma ~ {sigma_prior} (joint MAP over weights and sigma)"
        return sigma_prior.distribution(), None, text
    sigma, how = args.sigma, "given"
    if sigma is None:
        sigma, how = _least_squares_sigma(X, y, intercept), "least-squares"
    return sigma, sigma, f"known noise sd sigma = {sigma:.6g} ({how})"


def run(args: argparse.Namespace) -> int:
    """Run ``bayesreg fit``: print the tables, write the report; return 0 (or `UsageError`)."""
    import numpy as np

    from .. import models
    from ..data import load_csv

    likelihood = args.likelihood
    if likelihood != "linear" and (args.sigma is not None or args.sigma_prior is not None):
        raise UsageError(
            f"--sigma and --sigma-prior apply only to --likelihood linear, not {likelihood}; "
            "leave them out"
        )
    shrinkage = shrinkage_prior(args)  # None for a prior kind of the penalty table
    check_scale_options(args, likelihood)
    method = args.scale if isinstance(args.scale, str) else None
    kind: PriorKind | None = None
    parts: PenaltyParts | None = None
    if shrinkage is not None:
        prior = shrinkage
    elif method is None:
        prior, kind, parts = _fit_prior(args)
    has_map = shrinkage is None or shrinkage.map_exists
    try:
        X, y = load_csv(args.data, target=args.target, formula=args.formula, dropna=args.dropna)
    except (OSError, ValueError, TypeError) as error:
        raise UsageError(str(error)) from None
    _check_response(y, likelihood)
    dropped = X.attrs.get("dropped_rows", [])
    intercept = bool(X.attrs.get("intercept", True))
    names = [str(c) for c in X.columns]
    n, p = X.shape
    check_nonzero(args, p)
    X_np, y_np = X.to_numpy(dtype=float), y.to_numpy(dtype=float)

    model = {"linear": models.linear, "logistic": models.logistic, "poisson": models.poisson}[
        likelihood
    ]
    kwargs: dict[str, Any] = {"intercept": intercept, "feature_names": names}
    sigma_known: float | None = None
    sigma_text = ""
    if likelihood == "linear" and not (method == "evidence" and args.sigma is None):
        kwargs["sigma"], sigma_known, sigma_text = _noise(args, X_np, y_np, intercept)

    def show(line: str = "") -> None:  # the text output; --json writes one document instead
        if not args.json:
            print(line)

    header = [
        f"data: {args.data}, n = {n}, p = {p}, target {y.name!r}"
        + (f", formula {args.formula!r}" if args.formula else "")
    ]
    if dropped:
        shown = ", ".join(map(str, dropped[:5])) + (", ..." if len(dropped) > 5 else "")
        header.append(f"dropped {len(dropped)} row(s) with missing values (CSV lines {shown})")
    for line in header:
        show(line)

    from .. import sample
    from ..compare import compare, compare_summary
    from ..map import map_estimate

    progress = show_progress(args)
    stage = Stages("bayesreg fit", progress)

    def draw(model_kwargs: dict[str, Any]) -> Any:
        what = f"sampling the posterior, {args.chains} chain(s) x {args.samples} draws"
        with stage(what, bar=True):
            try:
                return sample.sample_posterior(
                    model, X_np, y_np, num_chains=args.chains, num_warmup=args.warmup,
                    num_samples=args.samples, seed=args.seed, progress_bar=progress,
                    method=args.method,
                    log_likelihood="auto" if args.log_likelihood is None else args.log_likelihood,
                    **model_kwargs,
                )  # fmt: skip
            except ValueError as error:
                if args.method in ("auto", "nuts"):
                    raise
                # a sampler that does not apply to this model says why: a usage error
                raise UsageError(f"--method {args.method}: {error}") from None

    choice: ScaleChoice | None = None
    post = table = None
    choice_penalty = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if method is not None:
            with stage(f"choosing the prior scale by --scale {method}"):
                choice = choose_scale(args, model, X_np, y_np, kwargs, sigma_known, likelihood)
            if choice.sample_prior is not None:  # the hyperprior: its posterior gives the scale
                post = draw({**kwargs, "prior": choice.sample_prior})
                choice = posterior_median_prior(choice, post)
            if choice.sigma is not None:
                kwargs["sigma"] = sigma_known = choice.sigma
                sigma_text = f"noise sd sigma = {choice.sigma:.6g} (type-II maximum likelihood)"
            prior, kind, parts = choice.prior, choice.kind, choice.parts
        kwargs["prior"] = prior
        described = shrinkage_text(prior) if kind is None else prior_text(kind, parts)
        lines = [
            f"model: bayesreg.models.{likelihood}, prior on each weight "
            f"{described}, " + ("flat intercept" if intercept else "no intercept")
            + (f", {sigma_text}" if sigma_text else ""),
        ]  # fmt: skip
        if choice is not None:
            choice_penalty = equivalent_penalty(likelihood, kind, parts, sigma_known, n, intercept)
            lines.append(
                f"scale: {choice.text}"
                + (f"; on all rows {choice_penalty}" if choice_penalty else "")
            )
        for line in lines:
            show(line)
        fit = None
        if has_map:
            with stage("MAP"):
                fit = map_estimate(model, X_np, y_np, **kwargs)
        if args.samples and post is None:
            post = draw(kwargs)
        if post is not None:
            table = compare(fit, post)
    notes = _warning_lines(caught)
    lines = header + lines

    sigma_at_map = sigma_known
    if sigma_at_map is None and fit is not None and "sigma" in fit.params:
        sigma_at_map = float(np.asarray(fit.params["sigma"]))
    equivalent = estimates = None
    if kind is not None:
        equivalent = equivalent_penalty(likelihood, kind, parts, sigma_at_map, n, intercept)
    if fit is None:
        show(f"\nno MAP: {prior.no_map_reason}")
    else:
        estimates = map_table(fit, names)
        status = "converged" if fit.converged else "NOT converged"
        show(f"\nMAP ({status}, optimality {fit.optimality:.1e}, {fit.num_iter} iterations)")
        if equivalent:
            at = " at the MAP sigma" if args.sigma_prior is not None else ""
            show(f"equals {equivalent}{at}")
        show(_to_text(estimates))
    if post is not None:
        diag = post.diagnostics
        show(
            f"\n{'MAP vs posterior' if fit else 'posterior'} ({post.method}, {post.num_chains} "
            f"chain(s) x {post.num_samples} draws, {post.num_divergent} divergences, max R-hat "
            f"{diag['r_hat'].max():.3f}, min bulk ESS {diag['ess_bulk'].min():.0f})"
        )
        show(f"sites: {site_text(post)}")
        show(_to_text(table))
        show(compare_summary(table))
    for note in notes:
        print(f"bayesreg fit: warning: {note}", file=sys.stderr)

    path = None
    if args.out is not None:
        no_map = None if fit is not None else prior.no_map_reason
        path = write_fit_report(Path(args.out), args, lines, estimates, fit, post, table,
                                 equivalent, notes, no_map)  # fmt: skip
        show(f"\nreport written to {path}")
    if args.json:
        write_json(args, {
            "command": "fit",
            "argv": args.argv,
            "data": {"path": args.data, "n": n, "p": p, "target": str(y.name),
                     "formula": args.formula, "dropped_csv_lines": list(dropped)},
            "model": {
                "likelihood": likelihood, "prior": prior.name if kind is None else kind.name,
                "prior_text": described,
                "b": None if parts is None else float(parts.l1_scale),
                "tau": None if parts is None else float(parts.l2_scale),
                "prior_params": None if kind is not None else numbers(prior.params),
                "no_map": None if fit is not None else prior.no_map_reason, "intercept": intercept,
                "sigma": sigma_known,
                "sigma_prior": None if args.sigma_prior is None else str(args.sigma_prior),
                "noise": sigma_text or None,
            },
            "scale": scale_document(choice, choice_penalty),
            "map": None if fit is None else {
                "converged": bool(fit.converged), "optimality": float(fit.optimality),
                "num_iter": int(fit.num_iter), "equivalent_penalty": equivalent,
                "penalty_at_map_sigma": equivalent is not None and args.sigma_prior is not None,
                "table": records(estimates),
            },
            "posterior": None if post is None else posterior_document(post, table),
            "warnings": notes,
            "report": None if path is None else str(path),
        })  # fmt: skip
    return 0


def _warning_lines(caught: list[warnings.WarningMessage]) -> list[str]:
    """Return the unique user-facing warning messages (library deprecations are not theirs)."""
    seen: list[str] = []
    for record in caught:
        if issubclass(record.category, DeprecationWarning | PendingDeprecationWarning):
            continue
        text = " ".join(str(record.message).split())
        if text not in seen:
            seen.append(text)
    return seen
