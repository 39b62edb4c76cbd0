"""How the ``bayesreg`` commands report: text or one JSON document on stdout, progress on stderr.

- ``--json``: the command writes one JSON document on stdout and nothing else; tables are lists
  of records keyed by column name (and the row label, e.g. ``"weight"``), and NaN / inf are
  written as ``null`` (strict JSON, which ``json.loads`` and ``jq`` read). Warnings and progress
  stay on stderr.
- Progress (NumPyro-style bars of the sampler, and stage lines such as
  ``bayesreg fit: MAP ... done in 0.3 s``) goes to stderr, only when stderr is a terminal and
  ``--quiet`` is not given: a pipe or a log file gets no bars.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import PurePath
from typing import Any

__all__ = ["Stages", "add_output_options", "json_ready", "records", "show_progress", "write_json"]


def add_output_options(command: argparse.ArgumentParser, *, quiet: bool = True) -> None:
    """Add ``--json`` (and ``--quiet``, for a command that shows progress) to a command."""
    command.add_argument(
        "--json",
        action="store_true",
        help="write every table as one JSON document on stdout (records keyed by column; "
        "NaN and inf as null); warnings and progress stay on stderr",
    )
    if not quiet:
        return
    command.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bars or stage lines on stderr (they are shown only on a terminal)",
    )


def show_progress(args: argparse.Namespace) -> bool:
    """Whether to show progress: stderr is a terminal and ``--quiet`` was not given."""
    return not getattr(args, "quiet", False) and sys.stderr.isatty()


def json_ready(value: Any) -> Any:
    """Return ``value`` as plain JSON types: NumPy scalars and arrays unboxed, NaN / inf -> None.

    Examples
    --------
    >>> import numpy as np
    >>> json_ready({"b": np.float64(2.5), "tau": np.inf, "zeros": np.array([0, 3])})
    {'b': 2.5, 'tau': None, 'zeros': [0, 3]}
    """
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return records(value)
    if isinstance(value, Mapping):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple | np.ndarray | pd.Series):
        return [json_ready(item) for item in list(value)]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, PurePath):
        return str(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as JSON")


def records(frame: Any, label: str | None = None) -> list[dict[str, Any]]:
    """Return a table as a list of records keyed by column, the row label first.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as printed.
    label : str, optional
        Key of the row label (e.g. ``"weight"``); default the index's name, and no row label
        when the index has no name and ``label`` is not given (a plain 0, 1, ... index).

    Returns
    -------
    list of dict
        One dict per row, NaN / inf as ``None``.
    """
    name = label if label is not None else frame.index.name
    table = frame.reset_index(names=name) if name is not None else frame.reset_index(drop=True)
    return [json_ready(row) for row in table.to_dict(orient="records")]


def write_json(args: argparse.Namespace, document: Mapping[str, Any]) -> None:
    """Write ``document`` as the command's one JSON document on its stdout (``args.stdout``).

    ``main`` keeps the real stdout in ``args.stdout`` and sends anything else printed while the
    command runs to stderr, so stdout holds this document alone.
    """
    stream = getattr(args, "stdout", None) or sys.stdout
    json.dump(json_ready(document), stream, indent=2, allow_nan=False)
    stream.write("\n")
    stream.flush()


class Stages:
    """Stage lines on stderr, ``PROG: WHAT ... done in 1.2 s``, when progress is shown.

    Parameters
    ----------
    prog : str
        The command, e.g. ``"bayesreg fit"``.
    enabled : bool
        Print the lines (`show_progress`); when ``False`` a stage prints nothing.
    """

    def __init__(self, prog: str, enabled: bool) -> None:
        self.prog = prog
        self.enabled = enabled

    @contextmanager
    def __call__(self, what: str, *, bar: bool = False) -> Iterator[None]:
        """Announce ``what``, run the block, then say how long it took.

        With ``bar=True`` (a progress bar comes in between) the announcement is a line of its
        own and the time a second line; otherwise both share one line.
        """
        if not self.enabled:
            yield
            return
        print(f"{self.prog}: {what} ...", end="\n" if bar else "", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            yield
        except BaseException:
            if not bar:  # end the open line: the error message gets a line of its own
                print(file=sys.stderr, flush=True)
            raise
        took = f"done in {time.perf_counter() - start:.1f} s"
        print(f"{self.prog}: {what}: {took}" if bar else f" {took}", file=sys.stderr, flush=True)
