"""``bayesreg demo``: the ``verify`` table, then the diabetes report (`bayesreg.cli.report`).

The report puts a horseshoe posterior beside the Laplace MAP (the lasso), with each weight's
shrinkage factor kappa; the demo prints that table after the Normal and Laplace ones. The report
ends with the choice of the prior scale by every method on one grid
(`bayesreg.select.scale.select_scale`, for the Laplace and the Normal prior); the demo prints
those tables too.
"""

from __future__ import annotations

import argparse
import sys
import time
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

    from ..select.scale import METHODS
    from .report import selection_summary

    with pd.option_context("display.width", 200, "display.max_columns", 20):
        summary = selection_summary(selection).to_string(float_format=lambda v: f"{v:.4g}")
        weights = selection.coefficients.to_string(float_format=lambda v: f"{v:.4g}")
    left_out = [f"  not run: {method}: {why}" for method, why in selection.notes.items()]
    asked_out = [
        METHODS[m]
        for m in METHODS
        if m not in selection.notes and m not in set(selection.table["method"])
    ]
    if asked_out:
        left_out.append(
            f"  not run here (to keep the demo quick): {', '.join(asked_out)}; "
            "select_scale(..., methods=None) runs every method that applies"
        )
    how = [f"  {key}: {text}" for key, text in selection.details.items()]
    return "\n".join([summary, "", "MAP weights at each choice:", weights, *how, *left_out])


def _heading(name: str, method: str | None, map_from: str | None) -> str:
    """Say what a compare table of the report holds (the horseshoe's MAP is the lasso's)."""
    how = f", posterior by {method}" if method else ""
    if map_from is not None and map_from != name:  # a prior without a MAP of its own
        from .. import penalty

        fit = penalty.convention_for("linear", map_from).name
        return (
            f"{name.capitalize()} prior (diabetes{how}) beside the {map_from.capitalize()} MAP "
            f"(the {fit}, in the map column); kappa = each weight's shrinkage factor"
        )
    return f"MAP vs posterior, {name} prior (diabetes{how})"


class _Progress:
    """Show each finished stage on stderr, after the time since the start (tables: stdout)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self, line: str) -> None:
        print(f"[{time.perf_counter() - self.start:5.1f} s] {line}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    """Run ``bayesreg demo``; its status is that of ``verify`` (0 when every row agrees).

    Each stage prints one line on stderr as it finishes (what it did, its time, the time so
    far); the tables and the report's path go to stdout.
    """
    progress = _Progress()
    progress("verify: MAP vs scikit-learn on diabetes (compiling each prior's solver) ...")
    status = verify.run(args)
    progress(f"verify done ({time.perf_counter() - progress.start:.1f} s)")
    from ..compare import compare_summary
    from .report import write_report

    print(
        "\nThe diabetes report: MAP beside the posterior (exact for the Normal prior, NUTS for "
        "the Laplace prior), a horseshoe posterior (Gibbs) beside the lasso, shrinkage paths, "
        "and the choice of the prior scale ..."
    )
    report = write_report(args.out, progress=progress)
    print(
        "Columns: map = the posterior mode (the ridge / lasso fit); mean, median, sd and the "
        "94% highest-density interval (hdi_low, hdi_high) of the posterior draws; p_positive = "
        "P(w > 0); p_near_zero = P(|w| < eps), eps = 0.1 posterior sd; map_in_hdi; map_is_zero; "
        "for the horseshoe, kappa_median, kappa_hdi_low, kappa_hdi_high = the posterior median "
        "and 94% HDI of the shrinkage factor kappa = 1/(1 + lambda² tau²) (0: the weight is "
        f"left to the data, 1: pulled to zero). More in {report.path}."
    )
    for name, table in report.tables.items():
        print(f"\n{_heading(name, report.methods.get(name), report.map_from.get(name))}:")
        print(_format_compare(table))
        print(compare_summary(table))
    for name, selection in report.selections.items():
        print(f"\nChoosing the prior scale, {name} prior (diabetes), several methods on one grid:")
        print(format_selection(selection))
    print(f"\nreport written to {report.path}")
    return status
