r"""The ``bayesreg`` command: a thin layer over the library.

Commands (``bayesreg COMMAND --help`` for each):

- ``bayesreg fit data.csv --target y --prior laplace --scale 0.5 --out report/`` — MAP and
  posterior of :func:`bayesreg.models.linear` (or ``logistic`` / ``poisson``) on a CSV file; prints
  the MAP table and the MAP-vs-posterior table (:func:`bayesreg.compare.compare`) and writes
  ``map.csv``, ``compare.csv``, ``diagnostics.csv``, ``report.md`` and figures to ``--out``.
- ``bayesreg convert --from lasso --alpha 0.1 --n 442 --sigma 50`` — the prior scale whose MAP is a
  penalized fit, and the reverse (``--to lasso --scale 20 ...``), through :mod:`bayesreg.penalty`.
- ``bayesreg verify`` — the prior <-> penalty table on the diabetes data vs scikit-learn.
- ``bayesreg demo`` — ``verify``, then the diabetes report (:mod:`bayesreg.report`).

Exit codes: 0 success; 2 usage error — bad options, a missing file or column, non-numeric or
missing data, a bad prior spec — with one line on stderr saying what to fix; 1 failure while
fitting (one line on stderr).
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

__all__ = ["main"]

PRIORS = ("gaussian", "laplace", "elastic_net")
LIKELIHOODS = ("linear", "logistic", "poisson")
#: ``--sigma-prior NAME:VALUE``: NumPyro distribution and what VALUE is.
SIGMA_PRIORS = {"halfnormal": "scale", "halfcauchy": "scale", "exponential": "rate"}


class UsageError(Exception):
    """Bad command-line input; ``main`` prints it as one line and returns 2."""


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line (no usage block), exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Print ``PROG: error: MESSAGE (see 'PROG --help')`` on stderr and exit with 2."""
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


# ---------------------------------------------------------------------------------------------
# option values


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number; got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive finite number; got {text!r}")
    return value


def _count(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer; got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}; got {value}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


def _name(text: str) -> str:
    return text.strip().lower().replace("-", "_")


class SigmaPrior(NamedTuple):
    """A parsed ``--sigma-prior NAME:VALUE``."""

    name: str
    value: float

    def distribution(self) -> Any:
        """Return the NumPyro distribution (``HalfNormal(scale)``, ``Exponential(rate)``, ...)."""
        import numpyro.distributions as dist

        make = {
            "halfnormal": dist.HalfNormal,
            "halfcauchy": dist.HalfCauchy,
            "exponential": dist.Exponential,
        }[self.name]
        return make(self.value)

    def __str__(self) -> str:
        return f"{self.name}:{self.value:g}"


def parse_sigma_prior(spec: str) -> SigmaPrior:
    """Parse ``--sigma-prior``: ``halfnormal:SCALE``, ``halfcauchy:SCALE`` or ``exponential:RATE``.

    Parameters
    ----------
    spec : str
        ``NAME:VALUE`` with a positive ``VALUE``; the name is case-insensitive.

    Returns
    -------
    SigmaPrior

    Raises
    ------
    argparse.ArgumentTypeError
        With a message saying what the spec should look like.

    Examples
    --------
    >>> parse_sigma_prior("halfnormal:10")
    SigmaPrior(name='halfnormal', value=10.0)
    >>> parse_sigma_prior("exponential:0.1").distribution().rate
    0.1
    """
    allowed = ", ".join(f"{name}:{meaning.upper()}" for name, meaning in SIGMA_PRIORS.items())
    name, colon, value = spec.partition(":")
    name = name.strip().lower()
    if not colon:
        raise argparse.ArgumentTypeError(
            f"expected NAME:VALUE, e.g. halfnormal:10; got {spec!r} (allowed: {allowed})"
        )
    if name not in SIGMA_PRIORS:
        raise argparse.ArgumentTypeError(f"unknown prior {name!r} in {spec!r}; use {allowed}")
    try:
        number = _positive_float(value)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"the {SIGMA_PRIORS[name]} in {spec!r} must be a positive number, e.g. {name}:10"
        ) from None
    return SigmaPrior(name, number)


def _fmt(value: float) -> str:
    return "inf" if math.isinf(value) else f"{value:.10g}"


# ---------------------------------------------------------------------------------------------
# bayesreg verify / demo


def _format_verify(table: Any) -> str:
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 20):
        return table.to_string(
            index=False,
            formatters={
                "max_abs_dcoef": "{:.1e}".format,
                "ms_ours": "{:.2f}".format,
                "ms_sklearn": "{:.2f}".format,
            },
        )


def _verify(args: argparse.Namespace) -> int:
    from .verify import verify_table

    table = verify_table(sigma=args.sigma, autodelta_steps=args.autodelta_steps)
    print(
        "Prior <-> penalty on the diabetes data (n=442, p=10), known noise sd "
        f"sigma={table.attrs['sigma']:.4g}: MAP of bayesreg.models.linear vs scikit-learn"
    )
    print(_format_verify(table))
    ok = bool(table["same_zero_set"].all() and (table["max_abs_dcoef"] <= 1e-6).all())
    print(
        "all zero sets identical to scikit-learn's and max |dcoef| <= 1e-6"
        if ok
        else "MISMATCH: see the rows above"
    )
    return 0 if ok else 1


def _demo(args: argparse.Namespace) -> int:
    status = _verify(args)
    from .compare import compare_summary
    from .report import write_report

    print("\nFitting the posterior (NUTS for the Laplace prior, exact for the Gaussian) ...")
    report = write_report(args.out)
    for family, table in report.tables.items():
        print(f"\nMAP vs posterior, {family} prior (diabetes):")
        print(_format_compare(table))
        print(compare_summary(table))
    print(f"\nreport written to {report.path}")
    return status


def _format_compare(table: Any) -> str:
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 20):
        return table.to_string(float_format=lambda v: f"{v:.4g}")


# ---------------------------------------------------------------------------------------------
# bayesreg convert


class _Convention(NamedTuple):
    label: str  # how the penalized fit is written
    penalty: tuple[str, ...]  # its parameters (argparse dests)
    needs_n: bool
    sigma: str  # "required", "optional" (default 1) or "none"
    priors: tuple[str, ...]  # priors it corresponds to; the first is the default


CONVENTIONS: dict[str, _Convention] = {
    "ridge": _Convention("Ridge", ("alpha",), False, "required", ("gaussian",)),
    "lasso": _Convention("Lasso", ("alpha",), True, "required", ("laplace",)),
    "elastic_net": _Convention(
        "ElasticNet",
        ("alpha", "l1_ratio"),
        True,
        "required",
        ("elastic_net", "laplace", "gaussian"),
    ),
    "logistic": _Convention("LogisticRegression", ("C", "l1_ratio"), False, "none", PRIORS),
    "poisson": _Convention("PoissonRegressor", ("alpha",), True, "none", ("gaussian",)),
    "glmnet": _Convention("glmnet", ("lambda_", "alpha"), True, "optional", PRIORS),
}
_FLAGS = {
    "alpha": "--alpha",
    "l1_ratio": "--l1-ratio",
    "C": "--C",
    "lambda_": "--lambda",
    "scale": "--scale",
    "l2_scale": "--l2-scale",
    "n": "--n",
    "sigma": "--sigma",
    "prior": "--prior",
}


def _require(args: argparse.Namespace, dests: Sequence[str], why: str) -> None:
    missing = [_FLAGS[d] for d in dests if getattr(args, d) is None]
    if missing:
        raise UsageError(f"{why} needs {' and '.join(missing)}")


def _refuse(args: argparse.Namespace, dests: Sequence[str], why: str) -> None:
    given = [_FLAGS[d] for d in dests if getattr(args, d) is not None]
    if given:
        verb = "does" if len(given) == 1 else "do"
        raise UsageError(f"{' and '.join(given)} {verb} not apply to {why}")


def _prior_scales(prior: str, scale: float, l2_scale: float | None) -> tuple[float, float]:
    """``(b, tau)`` of a prior, ``inf`` for the term it lacks."""
    if prior == "gaussian":
        return math.inf, scale
    if prior == "laplace":
        return scale, math.inf
    return scale, l2_scale if l2_scale is not None else math.inf


def _describe_prior(b: float, tau: float) -> tuple[str, str]:
    """Describe a prior in words and as ``bayesreg fit`` options."""
    if math.isinf(tau):
        return f"a Laplace(0, b) prior, b = {_fmt(b)}", f"--prior laplace --scale {_fmt(b)}"
    if math.isinf(b):
        return f"a Normal(0, tau) prior, tau = {_fmt(tau)}", f"--prior gaussian --scale {_fmt(tau)}"
    return (
        f"an elastic-net prior exp(-|w|/b - w²/(2 tau²)), b = {_fmt(b)}, tau = {_fmt(tau)}",
        f"--prior elastic_net --scale {_fmt(b)} --l2-scale {_fmt(tau)}",
    )


def _convert(args: argparse.Namespace) -> int:
    name = args.source or args.target
    convention = CONVENTIONS[name]
    others = [d for c in CONVENTIONS.values() for d in c.penalty if d not in convention.penalty]
    _refuse(args, sorted(set(others)), f"{name} (its parameters: "
            f"{', '.join(_FLAGS[d] for d in convention.penalty)})")  # fmt: skip
    if convention.needs_n:
        _require(args, ["n"], f"{name} (the number of rows)")
    else:
        _refuse(args, ["n"], name)
    if convention.sigma == "required":
        _require(args, ["sigma"], f"{name} (the Gaussian noise sd)")
    elif convention.sigma == "none":
        _refuse(args, ["sigma"], f"{name} (no noise sd in its likelihood)")
    sigma = args.sigma if args.sigma is not None else 1.0
    n = args.n

    if args.source:
        _require(args, convention.penalty, f"--from {name}")
        _refuse(args, ["prior", "scale", "l2_scale"], "--from (they are what it prints)")
        values = {d: getattr(args, d) for d in convention.penalty}
        try:
            b, tau = _scales_from_penalty(name, args, sigma, n)
        except ValueError as error:
            raise UsageError(str(error)) from None
        words, options = _describe_prior(b, tau)
        shown = ", ".join(f"{d.rstrip('_')}={v:g}" for d, v in values.items())
        context = _context(name, n, args.sigma)
        print(f"{convention.label}({shown}){' with ' + context if context else ''} is the MAP of "
              f"{words}")  # fmt: skip
        print(f"b = {_fmt(b)}")
        print(f"tau = {_fmt(tau)}")
        print(f"bayesreg fit options: {options}")
        return 0

    _refuse(args, convention.penalty, "--to (they are what it prints)")
    if args.prior is None and len(convention.priors) == len(PRIORS):
        raise UsageError(f"--to {name} needs --prior ({', '.join(PRIORS)})")
    prior = args.prior or convention.priors[0]
    if prior not in convention.priors:
        raise UsageError(
            f"--to {name} corresponds to the prior(s) {', '.join(convention.priors)}, "
            f"not {prior}; choose one of those with --prior"
        )
    _require(args, ["scale"], f"--to {name} (the prior scale)")
    if prior == "elastic_net":
        _require(args, ["l2_scale"], "--prior elastic_net (the Normal sd tau)")
    else:
        _refuse(args, ["l2_scale"], f"--prior {prior} (only elastic_net has two scales)")
    b, tau = _prior_scales(prior, args.scale, args.l2_scale)
    try:
        params = _penalty_from_scales(name, b, tau, sigma, n)
    except ValueError as error:
        raise UsageError(str(error)) from None
    words, _ = _describe_prior(b, tau)
    call = ", ".join(f"{k}={_fmt(v)}" for k, v in params.items())
    extra = ", standardize=FALSE" if name == "glmnet" else ""
    context = _context(name, n, args.sigma)
    sentence = f"with {context}, {words}" if context else words
    print(f"{sentence[0].upper()}{sentence[1:]}, has the MAP of")
    print(f"{convention.label}({call}{extra})")
    for key, value in params.items():
        print(f"{key} = {_fmt(value)}")
    return 0


def _scales_from_penalty(
    name: str, args: argparse.Namespace, sigma: float, n: int | None
) -> tuple[float, float]:
    """Return ``(b, tau)`` (``inf`` for a missing term) for ``--from NAME`` via bayesreg.penalty."""
    from . import penalty

    if name == "ridge":
        return math.inf, float(penalty.ridge_prior_scale(args.alpha, sigma=sigma))
    if name == "lasso":
        return float(penalty.lasso_prior_scale(args.alpha, sigma=sigma, n=n)), math.inf
    if name == "elastic_net":
        b, tau = penalty.elastic_net_prior_scales(args.alpha, args.l1_ratio, sigma=sigma, n=n)
    elif name == "logistic":
        b, tau = penalty.logistic_prior_scales(args.C, args.l1_ratio)
    elif name == "poisson":
        return math.inf, float(penalty.poisson_prior_scale(args.alpha, n=n))
    else:
        b, tau = penalty.glmnet_prior_scales(args.lambda_, args.alpha, n=n, sigma=sigma)
    return float(b), float(tau)


def _penalty_from_scales(
    name: str, b: float, tau: float, sigma: float, n: int | None
) -> dict[str, float]:
    """Return the penalty parameters of ``--to NAME`` for the prior ``(b, tau)`` via penalty."""
    from . import penalty

    l1 = None if math.isinf(b) else b
    l2 = None if math.isinf(tau) else tau
    if name == "ridge":
        return {"alpha": float(penalty.ridge_alpha(tau, sigma=sigma))}
    if name == "lasso":
        return {"alpha": float(penalty.lasso_alpha(b, sigma=sigma, n=n))}
    if name == "poisson":
        return {"alpha": float(penalty.poisson_alpha(tau, n=n))}
    if name == "elastic_net":
        keys, values = ("alpha", "l1_ratio"), penalty.elastic_net_params(b, tau, sigma=sigma, n=n)
    elif name == "logistic":
        keys, values = ("C", "l1_ratio"), penalty.logistic_params(l1_scale=l1, l2_scale=l2)
    else:
        keys = ("lambda", "alpha")
        values = penalty.glmnet_params(l1_scale=l1, l2_scale=l2, n=n, sigma=sigma)
    return {key: float(value) for key, value in zip(keys, values, strict=True)}


def _context(name: str, n: int | None, sigma: float | None) -> str:
    parts = [f"n={n}"] if n is not None else []
    if sigma is not None:
        parts.append(f"sigma={sigma:g}")
    elif name == "glmnet":
        parts.append("sigma=1 (binomial / poisson; give --sigma for gaussian)")
    return ", ".join(parts)


# ---------------------------------------------------------------------------------------------
# bayesreg fit


def _fit_prior(args: argparse.Namespace) -> tuple[Any, str, float, float]:
    """Build the prior of ``--prior/--scale/--l2-scale``: distribution, text, ``b``, ``tau``."""
    from . import models

    if args.prior == "elastic_net":
        if args.l2_scale is None:
            raise UsageError("--prior elastic_net needs --l2-scale (the Normal sd tau)")
        b, tau = args.scale, args.l2_scale
        return models.elastic_net(b, tau), f"elastic net (b = {b:g}, tau = {tau:g})", b, tau
    if args.l2_scale is not None:
        raise UsageError(f"--l2-scale applies only to --prior elastic_net, not {args.prior}")
    if args.prior == "gaussian":
        return models.gaussian(args.scale), f"Normal(0, tau = {args.scale:g})", math.inf, args.scale
    return models.laplace(args.scale), f"Laplace(0, b = {args.scale:g})", args.scale, math.inf


def _check_response(y: Any, likelihood: str) -> None:
    import numpy as np

    values = y.to_numpy()
    if likelihood == "logistic" and not np.isin(values, [0.0, 1.0]).all():
        bad = values[~np.isin(values, [0.0, 1.0])][:3].tolist()
        raise UsageError(
            f"--likelihood logistic needs 0/1 labels in {y.name!r}; found {bad}. Recode the "
            "column as 0/1"
        )
    if likelihood == "poisson" and not ((values >= 0) & (values == np.round(values))).all():
        bad = values[~((values >= 0) & (values == np.round(values)))][:3].tolist()
        raise UsageError(
            f"--likelihood poisson needs non-negative integer counts in {y.name!r}; found {bad}"
        )


def _least_squares_sigma(X: Any, y: Any, intercept: bool) -> float:
    from .data import least_squares_sigma

    try:
        return least_squares_sigma(X, y, intercept=intercept)
    except ValueError as error:
        raise UsageError(
            str(error).replace("give sigma (or a prior on it)", "give --sigma or --sigma-prior")
        ) from None


def _equivalent_penalty(
    likelihood: str, b: float, tau: float, sigma: float | None, n: int, intercept: bool
) -> str | None:
    """Name the penalized fit whose solution equals the MAP, via :mod:`bayesreg.penalty`."""
    from . import penalty

    l1 = None if math.isinf(b) else b
    l2 = None if math.isinf(tau) else tau
    suffix = "" if intercept else ", fit_intercept=False"
    if likelihood == "linear":
        if sigma is None:
            return None
        if l1 is None:
            return f"Ridge(alpha={penalty.ridge_alpha(tau, sigma=sigma):.6g}{suffix})"
        if l2 is None:
            return f"Lasso(alpha={penalty.lasso_alpha(b, sigma=sigma, n=n):.6g}{suffix})"
        alpha, ratio = penalty.elastic_net_params(b, tau, sigma=sigma, n=n)
        return f"ElasticNet(alpha={alpha:.6g}, l1_ratio={ratio:.6g}{suffix})"
    if likelihood == "logistic":
        C, ratio = penalty.logistic_params(l1_scale=l1, l2_scale=l2)
        return f"LogisticRegression(C={C:.6g}, l1_ratio={ratio:.6g}{suffix})"
    if l1 is None:
        return f"PoissonRegressor(alpha={penalty.poisson_alpha(tau, n=n):.6g}{suffix})"
    lam, mix = penalty.glmnet_params(l1_scale=l1, l2_scale=l2, n=n)
    return f'glmnet(family="poisson", lambda={lam:.6g}, alpha={mix:.6g}, standardize=FALSE)'


def _map_table(fit: Any, names: list[str]) -> Any:
    """One row per scalar of the MAP, labelled as :func:`bayesreg.compare` labels them."""
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


def _fit(args: argparse.Namespace) -> int:
    import numpy as np

    from . import models
    from .data import load_csv

    likelihood = args.likelihood
    if likelihood != "linear" and (args.sigma is not None or args.sigma_prior is not None):
        raise UsageError(
            f"--sigma and --sigma-prior apply only to --likelihood linear, not {likelihood}"
        )
    prior, prior_text, b, tau = _fit_prior(args)
    try:
        X, y = load_csv(args.data, target=args.target, formula=args.formula, dropna=args.dropna)
    except (OSError, ValueError, TypeError) as error:
        raise UsageError(str(error)) from None
    _check_response(y, likelihood)
    dropped = X.attrs.get("dropped_rows", [])
    intercept = bool(X.attrs.get("intercept", True))
    names = [str(c) for c in X.columns]
    n, p = X.shape
    X_np, y_np = X.to_numpy(dtype=float), y.to_numpy(dtype=float)

    model = {"linear": models.linear, "logistic": models.logistic, "poisson": models.poisson}[
        likelihood
    ]
    kwargs: dict[str, Any] = {"prior": prior, "intercept": intercept, "feature_names": names}
    sigma_known: float | None = None
    sigma_text = ""
    if likelihood == "linear":
        if args.sigma_prior is not None:
            kwargs["sigma"] = args.sigma_prior.distribution()
            sigma_text = f"noise sd sigma ~ {args.sigma_prior} (joint MAP over weights and sigma)"
        else:
            sigma_known = args.sigma
            how = "given"
            if sigma_known is None:
                sigma_known, how = _least_squares_sigma(X_np, y_np, intercept), "least-squares"
            kwargs["sigma"] = sigma_known
            sigma_text = f"known noise sd sigma = {sigma_known:.6g} ({how})"

    lines = [
        f"data: {args.data}, n = {n}, p = {p}, target {y.name!r}"
        + (f", formula {args.formula!r}" if args.formula else ""),
        f"model: bayesreg.models.{likelihood}, prior on each weight {prior_text}, "
        + ("flat intercept" if intercept else "no intercept")
        + (f", {sigma_text}" if sigma_text else ""),
    ]
    if dropped:
        shown = ", ".join(map(str, dropped[:5])) + (", ..." if len(dropped) > 5 else "")
        lines.insert(1, f"dropped {len(dropped)} row(s) with missing values (CSV lines {shown})")
    for line in lines:
        print(line)

    from .compare import compare, compare_summary
    from .map import map_estimate
    from .sample import sample_posterior

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = map_estimate(model, X_np, y_np, **kwargs)
        post = table = None
        if args.samples:
            post = sample_posterior(
                model, X_np, y_np, num_chains=args.chains, num_warmup=args.warmup,
                num_samples=args.samples, seed=args.seed, progress_bar=False,
                log_likelihood="auto" if args.log_likelihood is None else args.log_likelihood,
                **kwargs,
            )  # fmt: skip
            table = compare(fit, post)
    notes = _warning_lines(caught)

    sigma_at_map = sigma_known
    if sigma_at_map is None and "sigma" in fit.params:
        sigma_at_map = float(np.asarray(fit.params["sigma"]))
    equivalent = _equivalent_penalty(likelihood, b, tau, sigma_at_map, n, intercept)
    map_table = _map_table(fit, names)
    status = "converged" if fit.converged else "NOT converged"
    print(f"\nMAP ({status}, optimality {fit.optimality:.1e}, {fit.num_iter} iterations)")
    if equivalent:
        at = " at the MAP sigma" if args.sigma_prior is not None else ""
        print(f"equals {equivalent}{at}")
    print(_to_text(map_table))
    if post is not None:
        diag = post.diagnostics
        print(
            f"\nMAP vs posterior ({post.method}, {post.num_chains} chain(s) x {post.num_samples} "
            f"draws, {post.num_divergent} divergences, max R-hat {diag['r_hat'].max():.3f}, "
            f"min bulk ESS {diag['ess_bulk'].min():.0f})"
        )
        print(_to_text(table))
        print(compare_summary(table))
    for note in notes:
        print(f"bayesreg fit: warning: {note}", file=sys.stderr)

    if args.out is not None:
        path = _write_fit_report(Path(args.out), args, lines, map_table, fit, post, table,
                                 equivalent, notes)  # fmt: skip
        print(f"\nreport written to {path}")
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


def _write_fit_report(
    out: Path,
    args: argparse.Namespace,
    header: list[str],
    map_table: Any,
    fit: Any,
    post: Any,
    table: Any,
    equivalent: str | None,
    notes: list[str],
) -> Path:
    import matplotlib.pyplot as plt

    from ._files import atomic_write
    from .compare import compare_summary
    from .plots import plot_densities, plot_forest
    from .report import markdown_table

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot create the --out folder {str(out)!r}: {error}") from None
    # every file atomically: a reader (or a crash) never sees half a report
    with atomic_write(out / "map.csv", "w", newline="") as handle:
        map_table.to_csv(handle)
    command = "bayesreg " + " ".join(shlex.quote(a) for a in args.argv)
    body = [
        "# bayesreg fit",
        "",
        f"`{command}`",
        "",
        *[f"- {line}" for line in header],
        "",
        "## MAP",
        "",
        f"{'Converged' if fit.converged else 'Not converged'} (optimality {fit.optimality:.1e}, "
        f"{fit.num_iter} iterations)."
        + (f" Equals the penalized fit `{equivalent}`." if equivalent else ""),
        "",
        markdown_table(map_table),
        "",
    ]
    if post is not None:
        for name, frame in (("compare.csv", table), ("diagnostics.csv", post.diagnostics)):
            with atomic_write(out / name, "w", newline="") as handle:
                frame.to_csv(handle, index_label="weight")
        figures = {"forest.png": plot_forest(table), "densities.png": plot_densities(fit, post)}
        for name, figure in figures.items():
            with atomic_write(out / name) as handle:
                figure.savefig(handle, format="png", dpi=110)
            plt.close(figure)
        body += [
            "## MAP vs posterior",
            "",
            f"Posterior: `{post.method}`, {post.num_chains} chain(s) x {post.num_samples} draws, "
            f"{post.num_divergent} divergences, max R-hat {post.diagnostics['r_hat'].max():.3f}.",
            "",
            markdown_table(table),
            "",
            compare_summary(table),
            "",
            "![forest](forest.png)",
            "",
            "![densities](densities.png)",
            "",
        ]
    if notes:
        body += ["## Warnings", "", *[f"- {note}" for note in notes], ""]
    report = out / "report.md"
    with atomic_write(report, "w") as handle:
        handle.write("\n".join(body))
    return report


# ---------------------------------------------------------------------------------------------
# the parser


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="bayesreg",
        description="Bayesian priors <-> penalized regression: exact MAP and posteriors.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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
        "--prior", type=_name, choices=PRIORS, default="laplace", help="prior on each weight"
    )
    fit.add_argument(
        "--scale",
        type=_positive_float,
        required=True,
        help="prior scale: tau of gaussian, b of laplace and elastic_net",
    )
    fit.add_argument(
        "--l2-scale", type=_positive_float, help="tau of the elastic_net prior (its L2 part)"
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
    fit.add_argument("--likelihood", type=_name, choices=LIKELIHOODS, default="linear")
    fit.add_argument(
        "--samples", type=_count(0), default=1000, help="posterior draws per chain (0: MAP only)"
    )
    fit.add_argument("--warmup", type=_count(0), default=1000, help="NUTS warmup steps per chain")
    fit.add_argument("--chains", type=_count(1), default=4, help="number of chains")
    fit.add_argument("--seed", type=_count(0), default=0, help="random seed")
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
    fit.set_defaults(run=_fit)

    convert = commands.add_parser(
        "convert",
        help="prior scale <-> scikit-learn / glmnet penalty",
        description=(
            "Print the prior scale whose MAP is a penalized fit (--from CONVENTION and its "
            "penalty), or the penalty that a prior's MAP equals (--to CONVENTION --scale ...). "
            "Conventions: ridge (--alpha, --sigma), lasso (--alpha, --n, --sigma), elastic_net "
            "(--alpha, --l1-ratio, --n, --sigma), logistic (--C, --l1-ratio), poisson "
            "(--alpha, --n), glmnet (--lambda, --alpha, --n, --sigma; standardize=FALSE)."
        ),
        epilog="examples: bayesreg convert --from lasso --alpha 0.1 --n 442 --sigma 50\n"
        "          bayesreg convert --to lasso --scale 20 --n 442 --sigma 50",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    direction = convert.add_mutually_exclusive_group(required=True)
    direction.add_argument(
        "--from", dest="source", type=_name, choices=CONVENTIONS, help="penalty -> prior scale"
    )
    direction.add_argument(
        "--to", dest="target", type=_name, choices=CONVENTIONS, help="prior scale -> penalty"
    )
    convert.add_argument(
        "--alpha",
        type=float,
        help="scikit-learn alpha (ridge, lasso, elastic_net, poisson); glmnet's mixing alpha",
    )
    convert.add_argument("--l1-ratio", type=float, help="l1_ratio (elastic_net, logistic)")
    convert.add_argument("--C", dest="C", type=float, help="LogisticRegression's C")
    convert.add_argument("--lambda", dest="lambda_", type=float, help="glmnet's lambda")
    convert.add_argument("--n", type=_count(1), help="number of rows")
    convert.add_argument("--sigma", type=float, help="Gaussian noise sd")
    convert.add_argument(
        "--prior",
        type=_name,
        choices=PRIORS,
        help="prior for --to (default: the one the convention implies)",
    )
    convert.add_argument("--scale", type=_positive_float, help="tau (gaussian) or b (laplace)")
    convert.add_argument("--l2-scale", type=_positive_float, help="tau of the elastic_net prior")
    convert.set_defaults(run=_convert)

    verify = commands.add_parser(
        "verify",
        help="check Gaussian/Laplace/elastic-net MAP == ridge/lasso/elastic net on diabetes",
        description="Print the prior <-> penalty correspondence table on the diabetes data.",
    )
    demo = commands.add_parser(
        "demo",
        help="the main job: verify table, then MAP vs posterior report on diabetes",
        description="Run verify, then fit the diabetes data (MAP + posterior) and write a report.",
    )
    for sub in (verify, demo):
        sub.add_argument(
            "--sigma", type=float, default=None, help="known noise sd (default: OLS residual sd)"
        )
        sub.add_argument(
            "--autodelta-steps",
            type=int,
            default=3000,
            help="Adam steps for NumPyro's AutoDelta column (0 skips it)",
        )
    demo.add_argument("--out", default="bayesreg-report", help="report folder")
    verify.set_defaults(run=_verify)
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``bayesreg`` command line and return its exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``bayesreg``; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 2 on a usage error (one line on stderr saying what to fix), 1 when the
        fit fails (one line on stderr).

    Examples
    --------
    >>> main(["convert", "--to", "lasso", "--scale", "20", "--n", "442", "--sigma", "50"])
    With n=442, sigma=50, a Laplace(0, b) prior, b = 20, has the MAP of
    Lasso(alpha=0.2828054299)
    alpha = 0.2828054299
    0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help (0) or a usage error already printed (2)
        return int(exit_.code or 0)
    args.argv = argv
    prog = f"bayesreg {args.command}"
    if getattr(args, "sigma", None) is not None and not (
        math.isfinite(args.sigma) and args.sigma > 0
    ):
        return _usage(prog, f"--sigma must be positive; got {args.sigma}")
    if getattr(args, "autodelta_steps", 0) < 0:
        return _usage(prog, f"--autodelta-steps must be >= 0; got {args.autodelta_steps}")
    try:
        return args.run(args)
    except UsageError as error:
        return _usage(prog, str(error))
    except Exception as error:  # a failure while fitting: one line, exit 1
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"{prog}: failed: {type(error).__name__}: {message}", file=sys.stderr)
        return 1


def _usage(prog: str, message: str) -> int:
    print(f"{prog}: error: {' '.join(message.split())}", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
