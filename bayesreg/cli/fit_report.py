"""What ``bayesreg fit`` writes besides its text: the ``--out`` report and ``--json`` sections.

The report folder holds ``map.csv`` (when a MAP exists), ``compare.csv``, ``diagnostics.csv``,
``report.md`` and figures, each written atomically; the JSON sections are built here for
`bayesreg.cli.fit.run`, which writes the document (`bayesreg.cli.output.write_json`).
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any

from .options import UsageError
from .output import records
from .scale import ScaleChoice

__all__ = ["numbers", "posterior_document", "scale_document", "write_fit_report"]


def scale_document(choice: ScaleChoice | None, on_all_rows: str | None) -> dict | None:
    """Return the ``--json`` section of ``--scale METHOD``: the choice, its numbers, the path."""
    if choice is None:
        return None
    return {
        "method": choice.method,
        "text": choice.text,
        **choice.values,
        "equivalent_penalty": on_all_rows,
        "path": None if choice.path is None else records(choice.path),
    }


def numbers(params: dict[str, Any]) -> dict[str, float | None]:
    """Return a prior's parameters as JSON numbers (``None`` for a parameter left unset)."""
    return {key: None if value is None else float(value) for key, value in params.items()}


def posterior_document(post: Any, table: Any) -> dict[str, Any]:
    """Return the ``--json`` section of the posterior: the run, the compare and diagnostics."""
    from ..compare import compare_summary

    diag = post.diagnostics
    return {
        "method": post.method,
        "num_chains": int(post.num_chains),
        "num_samples": int(post.num_samples),
        "num_divergent": int(post.num_divergent),
        "max_r_hat": float(diag["r_hat"].max()),
        "min_ess_bulk": float(diag["ess_bulk"].min()),
        "sites": list(post.samples),
        "summary": compare_summary(table),
        "compare": records(table, "weight"),
        "diagnostics": records(diag, "weight"),
    }


def write_fit_report(
    out: Path,
    args: argparse.Namespace,
    header: list[str],
    estimates: Any,
    fit: Any,
    post: Any,
    table: Any,
    equivalent: str | None,
    notes: list[str],
    no_map: str | None,
) -> Path:
    """Write the ``--out`` folder of ``bayesreg fit`` and return the path of its ``report.md``.

    ``estimates`` is the MAP table, ``None`` with ``fit`` when the prior has no MAP (``no_map``
    says why); ``post`` and ``table`` the posterior and its compare table, or ``None``.
    """
    import matplotlib.pyplot as plt

    from ..compare import compare_summary
    from ..files import atomic_write
    from ..plots import plot_densities, plot_forest
    from .report import markdown_table

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot create the --out folder {str(out)!r}: {error}") from None
    command = "bayesreg " + " ".join(shlex.quote(a) for a in args.argv)
    body = ["# bayesreg fit", "", f"`{command}`", "", *[f"- {line}" for line in header], ""]
    if fit is None:
        body += ["## MAP", "", f"No MAP: {no_map}", ""]
    else:
        # every file atomically: a reader (or a crash) never sees half a report
        with atomic_write(out / "map.csv", "w", newline="") as handle:
            estimates.to_csv(handle)
        body += [
            "## MAP",
            "",
            f"{'Converged' if fit.converged else 'Not converged'} (optimality "
            f"{fit.optimality:.1e}, {fit.num_iter} iterations)."
            + (f" Equals the penalized fit `{equivalent}`." if equivalent else ""),
            "",
            markdown_table(estimates),
            "",
        ]
    if post is not None:
        for name, frame in (("compare.csv", table), ("diagnostics.csv", post.diagnostics)):
            with atomic_write(out / name, "w", newline="") as handle:
                frame.to_csv(handle, index_label="weight")
        figures = {"forest.png": plot_forest(table)}
        if fit is not None:
            figures["densities.png"] = plot_densities(fit, post)
        for name, figure in figures.items():
            with atomic_write(out / name) as handle:
                figure.savefig(handle, format="png", dpi=110)
            plt.close(figure)
        body += [
            "## MAP vs posterior" if fit is not None else "## Posterior",
            "",
            f"Posterior: `{post.method}`, {post.num_chains} chain(s) x {post.num_samples} draws, "
            f"{post.num_divergent} divergences, max R-hat {post.diagnostics['r_hat'].max():.3f}.",
            "",
            markdown_table(table),
            "",
            compare_summary(table),
            "",
            *[f"![{name[:-4]}]({name})\n" for name in figures],
        ]
    if notes:
        body += ["## Warnings", "", *[f"- {note}" for note in notes], ""]
    report = out / "report.md"
    with atomic_write(report, "w") as handle:
        handle.write("\n".join(body))
    return report
