"""``bayesreg demo``: the ``verify`` table, then the diabetes report (`bayesreg.cli.report`).

The report ends with the choice of the prior scale by every method on one grid
(`bayesreg.select.scale.select_scale`, for the Laplace and the Normal prior); the demo prints
those tables too.
"""

from __future__ import annotations

import argparse
from typing import Any

from . import verify

__all__ = ["add_parser", "format_selection", "run"]


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


def format_selection(selection: Any) -> str:
    """Write a scale selection as the demo prints it: the table, then the MAP weights."""
    import pandas as pd

    from .report import selection_summary

    with pd.option_context("display.width", 200, "display.max_columns", 20):
        summary = selection_summary(selection).to_string(float_format=lambda v: f"{v:.4g}")
        weights = selection.coefficients.to_string(float_format=lambda v: f"{v:.4g}")
    left_out = [f"  not run: {method}: {why}" for method, why in selection.notes.items()]
    how = [f"  {key}: {text}" for key, text in selection.details.items()]
    return "\n".join([summary, "", "MAP weights at each choice:", weights, *how, *left_out])


def run(args: argparse.Namespace) -> int:
    """Run ``bayesreg demo``; its status is that of ``verify`` (0 when every row agrees)."""
    status = verify.run(args)
    from ..compare import compare_summary
    from .report import write_report

    print(
        "\nFitting the posterior (NUTS for the Laplace prior, exact for the Gaussian), then "
        "choosing each prior's scale by every method ..."
    )
    report = write_report(args.out)
    for name, table in report.tables.items():
        print(f"\nMAP vs posterior, {name} prior (diabetes):")
        print(_format_compare(table))
        print(compare_summary(table))
    for name, selection in report.selections.items():
        print(f"\nChoosing the prior scale, {name} prior (diabetes), every method on one grid:")
        print(format_selection(selection))
    print(f"\nreport written to {report.path}")
    return status
