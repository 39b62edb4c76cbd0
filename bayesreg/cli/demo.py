"""``bayesreg demo``: the ``verify`` table, then the diabetes report (`bayesreg.cli.report`)."""

from __future__ import annotations

import argparse
from typing import Any

from . import verify

__all__ = ["add_parser", "run"]


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add the ``demo`` command to the ``commands`` subparsers."""
    demo = commands.add_parser(
        "demo",
        help="the main job: verify table, then MAP vs posterior report on diabetes",
        description="Run verify, then fit the diabetes data (MAP + posterior) and write a report.",
    )
    verify.add_options(demo)
    demo.add_argument("--out", default="bayesreg-report", help="report folder")
    demo.set_defaults(run=run)
    return demo


def _format_compare(table: Any) -> str:
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 20):
        return table.to_string(float_format=lambda v: f"{v:.4g}")


def run(args: argparse.Namespace) -> int:
    """Run ``bayesreg demo``; its status is that of ``verify`` (0 when every row agrees)."""
    status = verify.run(args)
    from ..compare import compare_summary
    from .report import write_report

    print("\nFitting the posterior (NUTS for the Laplace prior, exact for the Gaussian) ...")
    report = write_report(args.out)
    for name, table in report.tables.items():
        print(f"\nMAP vs posterior, {name} prior (diabetes):")
        print(_format_compare(table))
        print(compare_summary(table))
    print(f"\nreport written to {report.path}")
    return status
