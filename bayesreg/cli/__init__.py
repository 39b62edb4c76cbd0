"""The ``bayesreg`` command: a thin layer over the library.

Commands (``bayesreg COMMAND --help`` for each), one module each:

- ``bayesreg fit data.csv --target y --prior laplace --scale 0.5 --out report/`` (`fit`) — MAP
  and posterior of `bayesreg.models.linear` (or ``logistic`` / ``poisson``) on a CSV file; prints
  the MAP table and the MAP-vs-posterior table (`bayesreg.compare.compare`) and writes
  ``map.csv``, ``compare.csv``, ``diagnostics.csv``, ``report.md`` and figures to ``--out``.
- ``bayesreg convert --from lasso --alpha 0.1 --n 442 --sigma 50`` (`convert`) — the prior scale
  whose MAP is a penalized fit, and the reverse (``--to lasso --scale 20 ...``), through the table
  of conventions in `bayesreg.penalty`.
- ``bayesreg verify`` (`verify`) — the prior <-> penalty table on the diabetes data vs
  scikit-learn.
- ``bayesreg demo`` (`demo`) — ``verify``, then the diabetes report (`report`).

`main` parses and dispatches; `options` holds the argument types and the usage errors,
`describe` how priors and penalized fits are written (asked of the prior kinds and the table),
`output` how results reach the user: text or one ``--json`` document on stdout, progress on
stderr only when it is a terminal (``--quiet`` turns it off).

Exit codes: 0 success; 2 usage error — bad options, a missing file or column, non-numeric or
missing data, a bad prior spec — with one line on stderr saying what to fix; 1 failure while
fitting (one line on stderr).
"""

from .main import main
from .options import SigmaPrior, UsageError, parse_sigma_prior

__all__ = ["SigmaPrior", "UsageError", "main", "parse_sigma_prior"]
