"""The ``bayesreg`` parser and dispatch: each command adds its own options and runs itself.

With ``--json`` a command writes one JSON document on stdout and nothing else: whatever else is
printed while it runs (by the command or a library) goes to stderr (`bayesreg.cli.output`).

Exit codes: 0 success; 2 usage error — bad options, a missing file or column, non-numeric or
missing data, a bad prior spec — with one line on stderr saying what to fix; 1 failure while
fitting (one line on stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
from collections.abc import Sequence

from . import convert, demo, fit, verify
from .options import Parser, UsageError, usage

__all__ = ["COMMANDS", "build_parser", "main"]

#: The commands in the order ``bayesreg --help`` lists them; each has ``add_parser`` and ``run``.
COMMANDS = (fit, convert, verify, demo)


def build_parser() -> argparse.ArgumentParser:
    """Return the ``bayesreg`` parser with every command of `COMMANDS`."""
    parser = Parser(
        prog="bayesreg",
        description="Bayesian priors <-> penalized regression: exact MAP and posteriors.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands)
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
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help (0) or a usage error already printed (2)
        return int(exit_.code or 0)
    args.argv = argv
    args.stdout = sys.stdout  # where --json writes its document (output.write_json)
    prog = f"bayesreg {args.command}"
    if getattr(args, "sigma", None) is not None and not (
        math.isfinite(args.sigma) and args.sigma > 0
    ):
        return usage(prog, f"--sigma must be positive; got {args.sigma}")
    if getattr(args, "autodelta_steps", 0) < 0:
        return usage(prog, f"--autodelta-steps must be >= 0; got {args.autodelta_steps}")
    # with --json, stdout holds the document alone: any other print goes to stderr
    into_stderr = (
        contextlib.redirect_stdout(sys.stderr)
        if getattr(args, "json", False)
        else contextlib.nullcontext()
    )
    try:
        with into_stderr:
            return args.run(args)
    except UsageError as error:
        return usage(prog, str(error))
    except Exception as error:  # a failure while fitting: one line, exit 1
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"{prog}: failed: {type(error).__name__}: {message}", file=sys.stderr)
        return 1
