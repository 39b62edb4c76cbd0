r"""Tabular data for the models: CSV files, pandas frames and formulas, checked before fitting.

Three ways to get a design matrix ``X`` (a `pandas.DataFrame` whose column names become
the feature names) and a response ``y`` (a `pandas.Series`):

- `design_from_formula` — a Wilkinson formula such as ``"y ~ x1 + x2 + x1:x2 + C(group)"``
  through [formulaic](https://matthewwardrop.github.io/formulaic/), as bambi does;
- `design_from_frame` — a DataFrame split into a target column and every other column, or
  through a formula;
- `load_csv` — the same, reading a CSV file (what ``bayesreg fit`` uses).

**Sufficient statistics** of the Gaussian likelihood (`bayesreg.data.statistics`):
`sufficient_statistics` of a block of rows, computed with JAX on the device that holds them and
additive over row chunks (``sufficient_statistics(A) + sufficient_statistics(B)`` equals the
statistics of the rows of both, to rounding), and the numerically stable root form
`GaussianStatistics` that `bayesreg.models.linear` evaluates its likelihood from.

**Intercept.** The models of `bayesreg.models` add their own flat (improper, never penalized)
intercept, so the ``Intercept`` column formulaic builds is dropped: a penalized or shrunk intercept
column would change the model. Categorical terms are still coded as formulaic does with an
intercept present (reduced rank, treatment contrasts against the first level), so ``X`` is not
collinear with the model's intercept. A formula that removes the intercept (``"y ~ 0 + x"`` or
``"y ~ x - 1"``) gets formulaic's full-rank coding; fit it with ``intercept=False``.
``X.attrs["intercept"]`` records which case applies.

**Bad input is refused with a message that says what to fix** (all ``ValueError``): a missing
target column (the available columns are listed), non-numeric feature columns outside a formula
(they are named, and a formula with ``C(column)`` is suggested: encoding silently would choose
the reference level and coding for you), and rows with missing or non-finite values (the first
rows are named; ``dropna=True`` drops them and records how many in
``X.attrs["dropped_rows"]``), and repeated column names (in a frame or a CSV header; they would
become one feature label).

**Nothing in a formula is executed** (`bayesreg.data.formula`). formulaic evaluates the pieces of a
formula as Python, so before it sees the string, `design_from_formula` checks it against a
whitelist: column names (must exist; backquoted, `` `my col` ``, when they are not identifiers),
``+``, ``-``, ``:``, ``*``, ``**`` or ``^`` with an integer, parentheses, ``0`` / ``1`` / ``-1``
for the intercept, and the transforms ``C(column)``, ``log``, ``exp``, ``sqrt``, ``center``,
``scale`` (formulaic's stateful ones) of columns, numbers and ``+ - * /`` or ``**`` with a numeric
literal. Anything else — ``{...}`` blocks, lambdas, dunders, attribute access such as ``np.log``,
subscripts, strings, keyword arguments, other functions — is refused with a ``ValueError`` that
names the piece. As a second line, formulaic evaluates with a context that holds only those
transforms and shadows every Python builtin and every other formulaic transform name (``np``,
``I``, ...) with an object that refuses to be called.

**New rows through the training design.** A formula applied again to new rows on its own would
drop a level those rows lack (fewer columns than the training ``X``) and re-center ``center(a)``
at their mean. Every ``X`` built from a formula carries its `FormulaDesign` in
``X.attrs["design"]``: ``X.attrs["design"].transform(new_rows)`` gives the training columns in
the training order, codes categoricals with the training levels, applies ``center`` / ``scale``
with the training mean and sd, and refuses a level training never saw (``ValueError`` naming the
column, the unseen levels and the training levels).

Examples
--------
>>> import pandas as pd
>>> from bayesreg.data import design_from_formula
>>> df = pd.DataFrame({"y": [1.0, 2.0, 4.0, 3.0], "a": [1.0, 2.0, 3.0, 4.0],
...                    "g": ["u", "v", "u", "v"]})
>>> X, y = design_from_formula("y ~ a + C(g)", df)
>>> list(X.columns), y.name
(['a', 'C(g)[T.v]'], 'y')
>>> new = pd.DataFrame({"a": [5.0], "g": ["u"]})  # level v absent, no response needed
>>> X.attrs["design"].transform(new).to_dict("list")
{'a': [5.0], 'C(g)[T.v]': [0.0]}
"""

from .formula import (
    FORMULA_GRAMMAR,
    FORMULA_TRANSFORMS,
    MAX_EXPANDED_TERMS,
    MAX_EXPONENT,
    FormulaDesign,
    check_formula,
    formula_context,
    model_matrices,
)
from .statistics import (
    GaussianStatistics,
    SufficientStatistics,
    array_namespace,
    combine,
    gaussian_log_likelihood,
    gaussian_statistics,
    least_squares_sigma,
    root_form,
    sufficient_statistics,
)
from .tables import MAX_ROWS_SHOWN, design_from_formula, design_from_frame, load_csv

__all__ = [
    "FORMULA_GRAMMAR",
    "FORMULA_TRANSFORMS",
    "MAX_EXPANDED_TERMS",
    "MAX_EXPONENT",
    "MAX_ROWS_SHOWN",
    "FormulaDesign",
    "GaussianStatistics",
    "SufficientStatistics",
    "array_namespace",
    "check_formula",
    "combine",
    "design_from_formula",
    "design_from_frame",
    "formula_context",
    "gaussian_log_likelihood",
    "gaussian_statistics",
    "least_squares_sigma",
    "load_csv",
    "model_matrices",
    "root_form",
    "sufficient_statistics",
]
