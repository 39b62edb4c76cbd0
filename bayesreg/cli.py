"""The ``bayesreg`` command: a thin layer over the library.

Exit codes: 0 success, 2 usage error (one line on stderr saying what to fix), 1 failure.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _format_verify(table) -> str:
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
    try:
        from .report import write_report
    except ImportError:  # the posterior report is not part of this build
        return status
    path = write_report(args.out)
    print(f"report written to {path}")
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bayesreg",
        description="Bayesian priors <-> penalized regression: exact MAP and posteriors.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    verify = commands.add_parser(
        "verify",
        help="check Gaussian/Laplace/elastic-net MAP == ridge/lasso/elastic net on diabetes",
        description="Print the prior <-> penalty correspondence table on the diabetes data.",
    )
    for sub in (verify,):
        sub.add_argument(
            "--sigma", type=float, default=None, help="known noise sd (default: OLS residual sd)"
        )
        sub.add_argument(
            "--autodelta-steps",
            type=int,
            default=3000,
            help="Adam steps for NumPyro's AutoDelta column (0 skips it)",
        )
    verify.set_defaults(run=_verify)

    demo = commands.add_parser(
        "demo",
        help="the main job: verify table, then MAP vs posterior report on diabetes",
        description="Run verify, then fit the diabetes data (MAP + posterior) and write a report.",
    )
    demo.add_argument(
        "--sigma", type=float, default=None, help="known noise sd (default: OLS residual sd)"
    )
    demo.add_argument(
        "--autodelta-steps",
        type=int,
        default=3000,
        help="Adam steps for NumPyro's AutoDelta column (0 skips it)",
    )
    demo.add_argument("--out", default="bayesreg-report", help="report folder")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``bayesreg`` command line; return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if getattr(args, "sigma", None) is not None and not args.sigma > 0:
        parser.error(f"--sigma must be positive; got {args.sigma}")
    if getattr(args, "autodelta_steps", 0) < 0:
        parser.error(f"--autodelta-steps must be >= 0; got {args.autodelta_steps}")
    try:
        return args.run(args)
    except (ValueError, TypeError) as error:
        print(f"bayesreg: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
