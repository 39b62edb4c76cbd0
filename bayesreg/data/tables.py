r"""Tables to ``(X, y)``: CSV files, pandas frames and formulas, checked before fitting.

The entry points `design_from_formula`, `design_from_frame` and `load_csv` (see the package
docstring of `bayesreg.data` for what each refuses and why), the CSV reading, and the refusal or
dropping of rows with missing values. Formulas are checked and built by `bayesreg.data.formula`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .._validation import check_unique_names
from .formula import FormulaDesign, check_formula, is_numeric, model_matrices

__all__ = ["MAX_ROWS_SHOWN", "design_from_formula", "design_from_frame", "load_csv"]

#: How many offending rows an error message names.
MAX_ROWS_SHOWN = 5

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def design_from_formula(
    formula: str | FormulaDesign, data: pd.DataFrame, *, dropna: bool = False
) -> tuple[pd.DataFrame, pd.Series]:
    """Build ``(X, y)`` from a formula such as ``"y ~ x1 + x2 + x1:x2"`` with formulaic.

    Parameters
    ----------
    formula : str
        ``"response ~ terms"`` in formulaic's grammar, restricted to the whitelist of
        `bayesreg.data.formula` (``FORMULA_GRAMMAR``): ``a:b`` is the product of ``a`` and ``b``,
        ``a*b`` is ``a + b + a:b``, ``(a + b)**2`` is ``a + b + a:b``, ``C(g)`` encodes ``g``
        as a categorical (string columns are categorical without it), ``log(a)``,
        ``exp(a)``, ``sqrt(a)``, ``center(a)``, ``scale(a)`` transform a column. The left side
        must give one numeric column. Or the `FormulaDesign` of a formula fitted before
        (``X.attrs["design"]`` of the training ``X``): the rows of ``data`` then get the
        training columns in the training order, the training levels (an unseen level is a
        ``ValueError``) and the training mean / sd of ``center`` / ``scale``; ``data`` must
        hold the response (for rows without it, ``X.attrs["design"].transform(data)``).
    data : pandas.DataFrame
        The variables the formula names.
    dropna : bool
        Rows with a missing or non-finite value in a variable the formula uses are refused by
        default (``ValueError`` naming the first rows); ``True`` drops them and records the
        dropped index labels in ``X.attrs["dropped_rows"]``.

    Returns
    -------
    X : pandas.DataFrame
        One float column per model-matrix column, named as formulaic names them (``"a"``,
        ``"a:b"``, ``"C(g)[T.v]"``), **without** formulaic's ``Intercept`` column: the models
        of `bayesreg.models` add their own flat intercept. ``X.attrs["intercept"]`` is
        ``False`` when the formula removes the intercept (``0 + ...`` or ``- 1``; fit with
        ``intercept=False``), ``True`` otherwise. ``X.attrs["formula"]`` holds the formula,
        ``X.attrs["design"]`` its `FormulaDesign`, which applies it to new rows.
    y : pandas.Series
        The response (float), named after the left side.

    Raises
    ------
    ValueError
        On a formula without a left side, a syntax error, a piece outside the whitelist (named,
        with what is allowed), a variable not in ``data`` (the available columns are listed),
        repeated column names, missing values (unless ``dropna``), a non-numeric or
        multi-column left side, or no rows / no columns left.

    Notes
    -----
    Categorical terms are coded as formulaic codes them with the intercept present (reduced rank,
    treatment contrasts against the first level), so ``X`` is not collinear with the model's
    intercept even though the ``Intercept`` column itself is dropped.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 4.0], "a": [1.0, 2.0, 3.0], "b": [2.0, 0.5, 1.0]})
    >>> X, y = design_from_formula("y ~ a + b + a:b", df)
    >>> X["a:b"].tolist()
    [2.0, 1.0, 3.0]
    >>> X.attrs["intercept"]
    True
    >>> X_new, y_new = design_from_formula(X.attrs["design"], df.iloc[1:])  # the same columns
    >>> X_new["a:b"].tolist()
    [1.0, 3.0]
    """
    return _from_formula(formula, data, dropna=dropna, describe_rows=_index_labels)


def design_from_frame(
    data: pd.DataFrame,
    *,
    target: str | None = None,
    formula: str | None = None,
    dropna: bool = False,
) -> tuple[pd.DataFrame, pd.Series]:
    """Split a DataFrame into ``(X, y)``: a target column and every other column, or a formula.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation.
    target : str, optional
        Name of the response column; every other column is a feature and must be numeric (bool
        columns become 0/1). Give ``target`` or ``formula``; with both, the formula's left side
        must be ``target``.
    formula : str, optional
        A formula, see `design_from_formula`.
    dropna : bool
        Refuse rows with missing or non-finite values (default) or drop them, recording the
        dropped index labels in ``X.attrs["dropped_rows"]``.

    Returns
    -------
    X : pandas.DataFrame
        Float features, named after the columns.
    y : pandas.Series
        The float response, named ``target``.

    Raises
    ------
    ValueError
        If the target column is missing (the available columns are listed), a feature or the
        target is not numeric (the columns are named and a formula with ``C(column)`` is
        suggested), rows have missing values (unless ``dropna``), or nothing is left to fit.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 4.0], "a": [1.0, None, 3.0]})
    >>> X, y = design_from_frame(df, target="y", dropna=True)
    >>> X.shape, X.attrs["dropped_rows"]
    ((2, 1), [1])
    """
    return _split(data, target, formula, dropna, _index_labels)


def load_csv(
    path: str | Path,
    *,
    target: str | None = None,
    formula: str | None = None,
    dropna: bool = False,
) -> tuple[pd.DataFrame, pd.Series]:
    r"""Read a CSV file (header row first) and split it into ``(X, y)``.

    As `design_from_frame`, with rows named in error messages by their line in the file
    (the header is line 1).

    Parameters
    ----------
    path : str or Path
        The CSV file.
    target : str, optional
        Name of the response column; every other column is a numeric feature.
    formula : str, optional
        A formula such as ``"y ~ a + b + C(group)"`` (`design_from_formula`).
    dropna : bool
        Refuse rows with missing values (default) or drop them
        (``X.attrs["dropped_rows"]`` then lists their file lines).

    Returns
    -------
    X : pandas.DataFrame
        Float features; the column names are the feature names.
    y : pandas.Series
        The float response.

    Raises
    ------
    FileNotFoundError
        If ``path`` is not a file.
    ValueError
        If the file cannot be parsed as CSV, or as `design_from_frame` raises.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "data.csv"
    >>> _ = path.write_text("y,a,b\n1.0,2.0,0.5\n2.0,1.0,1.5\n")
    >>> X, y = load_csv(path, target="y")
    >>> list(X.columns), y.tolist()
    (['a', 'b'], [1.0, 2.0])
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"data file {str(path)!r} not found"
            + (" (it is a directory)" if path.is_dir() else "")
            + "; give the path of a CSV file with a header row."
        )
    try:
        data = pd.read_csv(path)
        # read_csv renames a repeated header 'a' to 'a.1'; the file's own header is checked
        check_unique_names(_csv_header(path), f"CSV file {str(path)!r}")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(
            f"cannot read {str(path)!r} as CSV ({detail}); it needs a header row and "
            "comma-separated columns."
        ) from None
    return _split(data, target, formula, dropna, _csv_lines)


# ---------------------------------------------------------------------------------------------
# internals


def _csv_header(path: Path) -> list[str]:
    """Read the first row of a CSV file as written (no renaming of repeated names)."""
    with path.open(newline="", encoding="utf-8-sig") as file:
        return next(csv.reader(file), [])


def _index_labels(index: Sequence[object]) -> list[object]:
    return [label.item() if isinstance(label, np.generic) else label for label in index]


def _csv_lines(index: Sequence[object]) -> list[object]:
    # read_csv gives a RangeIndex: data row i is line i + 2 (line 1 is the header).
    return [int(label) + 2 for label in index]


def _where(describe_rows: Callable[[Sequence[object]], list[object]]) -> str:
    return "CSV lines" if describe_rows is _csv_lines else "rows"


def _quote(name: str) -> str:
    """Write a column name as a formula term: bare if it is an identifier, else in backticks."""
    return name if _IDENTIFIER.match(name) else f"`{name}`"


def _split(
    data: pd.DataFrame,
    target: str | None,
    formula: str | None,
    dropna: bool,
    describe_rows: Callable[[Sequence[object]], list[object]],
) -> tuple[pd.DataFrame, pd.Series]:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame; got {type(data).__name__}.")
    check_unique_names(data.columns, "data")
    if formula is not None:
        X, y = _from_formula(formula, data, dropna=dropna, describe_rows=describe_rows)
        if target is not None and y.name != target:
            raise ValueError(
                f"target {target!r} differs from the left side of formula {formula!r} "
                f"({y.name!r}); give one of them, or make them agree."
            )
        return X, y
    if target is None:
        raise ValueError(
            "give target (the response column) or formula (e.g. 'y ~ a + b'); "
            f"columns: {_columns(data)}."
        )
    if target not in data.columns:
        raise ValueError(
            f"target column {target!r} not found; available columns: {_columns(data)}."
        )
    features = [str(c) for c in data.columns if c != target]
    if not features:
        raise ValueError(f"no feature columns besides the target {target!r}; add some columns.")
    if not is_numeric(data[target]):
        raise ValueError(
            f"target column {target!r} is not numeric (dtype {data[target].dtype}); "
            "encode it as numbers (0/1 labels for logistic, counts for Poisson)."
        )
    text = [c for c in features if not is_numeric(data[c])]
    if text:
        terms = " + ".join(f"C({_quote(c)})" if c in text else _quote(c) for c in features)
        raise ValueError(
            f"non-numeric column(s) {text}; encode them with a formula such as "
            f"'{_quote(str(target))} ~ {terms}' or drop them."
        )
    frame = data[[target, *features]].astype(float)
    frame, dropped = _missing_rows(frame, list(frame.columns), dropna, describe_rows)
    X = frame[features].copy()
    X.columns = features
    X.attrs.update(intercept=True, dropped_rows=dropped)
    return X, frame[target].rename(str(target))


def _columns(data: pd.DataFrame) -> str:
    return ", ".join(repr(str(c)) for c in data.columns) or "(none)"


def _missing_rows(
    data: pd.DataFrame,
    columns: list[str],
    dropna: bool,
    describe_rows: Callable[[Sequence[object]], list[object]],
) -> tuple[pd.DataFrame, list[object]]:
    """Refuse or drop the rows of ``data`` with a missing / non-finite value in ``columns``."""
    values = data[columns]
    numeric = values.select_dtypes(include="number").astype(float)
    bad = values.isna().any(axis=1) | ~np.isfinite(numeric).all(axis=1)
    if not bad.any():
        return data, []
    rows = describe_rows(list(data.index[bad.to_numpy()]))
    if not dropna:
        with_missing = [c for c in columns if not _finite(values[c]).all()]
        shown = ", ".join(map(str, rows[:MAX_ROWS_SHOWN]))
        shown += ", ..." if len(rows) > MAX_ROWS_SHOWN else ""
        raise ValueError(
            f"{len(rows)} row(s) have missing or non-finite values (columns {with_missing}; "
            f"{_where(describe_rows)} {shown}); drop them with dropna=True (CLI: --dropna) "
            "or impute them."
        )
    kept = data.loc[~bad]
    if kept.empty:
        raise ValueError(f"every row has a missing value in {columns}; nothing is left to fit.")
    return kept, rows


def _finite(series: pd.Series) -> pd.Series:
    if is_numeric(series):
        return pd.Series(np.isfinite(series.astype(float)), index=series.index)
    return series.notna()


def _from_formula(
    formula: str | FormulaDesign,
    data: pd.DataFrame,
    *,
    dropna: bool,
    describe_rows: Callable[[Sequence[object]], list[object]],
) -> tuple[pd.DataFrame, pd.Series]:
    text = formula.formula if isinstance(formula, FormulaDesign) else formula
    if not isinstance(text, str) or "~" not in text:
        raise ValueError(
            "formula must be a string 'response ~ terms', e.g. 'y ~ a + b', or the "
            f'X.attrs["design"] of a formula fitted before; got {formula!r}.'
        )
    check_unique_names(data.columns, "data")
    names = [c for c in data.columns if isinstance(c, str)]
    lhs_columns, rhs_columns = check_formula(text, names)
    used = [c for c in names if c in lhs_columns | rhs_columns]
    data, dropped = _missing_rows(data, used, dropna, describe_rows)
    return model_matrices(formula, data, dropped)
