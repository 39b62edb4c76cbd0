r"""Tabular data for the models: CSV files, pandas frames and formulas, checked before fitting.

Three ways to get a design matrix ``X`` (a :class:`pandas.DataFrame` whose column names become
the feature names) and a response ``y`` (a :class:`pandas.Series`):

- :func:`design_from_formula` — a Wilkinson formula such as ``"y ~ x1 + x2 + x1:x2 + C(group)"``
  through `formulaic <https://matthewwardrop.github.io/formulaic/>`_, as bambi does;
- :func:`design_from_frame` — a DataFrame split into a target column and every other column, or
  through a formula;
- :func:`load_csv` — the same, reading a CSV file (what ``bayesreg fit`` uses).

**Intercept.** The models of :mod:`bayesreg.models` add their own flat (improper, never penalized)
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

**Nothing in a formula is executed.** formulaic evaluates the pieces of a formula as Python, so
before it sees the string, :func:`design_from_formula` checks it against a whitelist: column
names (must exist; backquoted, `` `my col` ``, when they are not identifiers), ``+``, ``-``,
``:``, ``*``, ``**`` or ``^`` with an integer, parentheses, ``0`` / ``1`` / ``-1`` for the
intercept, and the transforms ``C(column)``, ``log``, ``exp``, ``sqrt``, ``center``, ``scale``
(formulaic's stateful ones) of columns, numbers and ``+ - * /`` or ``**`` with a numeric literal.
Anything else — ``{...}`` blocks, lambdas, dunders, attribute access such as ``np.log``,
subscripts, strings, keyword arguments, other functions — is refused with a ``ValueError`` that
names the piece. As a second line, formulaic evaluates with a context that holds only those
transforms and shadows every Python builtin and every other formulaic transform name (``np``,
``I``, ...) with an object that refuses to be called.

Examples
--------
>>> import pandas as pd
>>> from bayesreg.data import design_from_formula
>>> df = pd.DataFrame({"y": [1.0, 2.0, 4.0, 3.0], "a": [1.0, 2.0, 3.0, 4.0],
...                    "g": ["u", "v", "u", "v"]})
>>> X, y = design_from_formula("y ~ a + C(g)", df)
>>> list(X.columns), y.name
(['a', 'C(g)[T.v]'], 'y')
"""

from __future__ import annotations

import ast
import csv
import keyword
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from ._types import ArrayLike
from ._validation import check_unique_names

__all__ = ["design_from_formula", "design_from_frame", "least_squares_sigma", "load_csv"]

#: How many offending rows an error message names.
MAX_ROWS_SHOWN = 5

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def design_from_formula(
    formula: str, data: pd.DataFrame, *, dropna: bool = False
) -> tuple[pd.DataFrame, pd.Series]:
    """Build ``(X, y)`` from a formula such as ``"y ~ x1 + x2 + x1:x2"`` with formulaic.

    Parameters
    ----------
    formula : str
        ``"response ~ terms"`` in formulaic's grammar, restricted to the whitelist of the
        module docstring (``FORMULA_GRAMMAR``): ``a:b`` is the product of ``a`` and ``b``,
        ``a*b`` is ``a + b + a:b``, ``(a + b)**2`` is ``a + b + a:b``, ``C(g)`` encodes ``g``
        as a categorical (string columns are categorical without it), ``log(a)``,
        ``exp(a)``, ``sqrt(a)``, ``center(a)``, ``scale(a)`` transform a column. The left side
        must give one numeric column.
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
        of :mod:`bayesreg.models` add their own flat intercept. ``X.attrs["intercept"]`` is
        ``False`` when the formula removes the intercept (``0 + ...`` or ``- 1``; fit with
        ``intercept=False``), ``True`` otherwise. ``X.attrs["formula"]`` holds the formula.
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
        A formula, see :func:`design_from_formula`.
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

    As :func:`design_from_frame`, with rows named in error messages by their line in the file
    (the header is line 1).

    Parameters
    ----------
    path : str or Path
        The CSV file.
    target : str, optional
        Name of the response column; every other column is a numeric feature.
    formula : str, optional
        A formula such as ``"y ~ a + b + C(group)"`` (:func:`design_from_formula`).
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
        If the file cannot be parsed as CSV, or as :func:`design_from_frame` raises.

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


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) and not isinstance(
        series.dtype, pd.CategoricalDtype
    )


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
    if not _is_numeric(data[target]):
        raise ValueError(
            f"target column {target!r} is not numeric (dtype {data[target].dtype}); "
            "encode it as numbers (0/1 labels for logistic, counts for Poisson)."
        )
    text = [c for c in features if not _is_numeric(data[c])]
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
    if _is_numeric(series):
        return pd.Series(np.isfinite(series.astype(float)), index=series.index)
    return series.notna()


def _from_formula(
    formula: str,
    data: pd.DataFrame,
    *,
    dropna: bool,
    describe_rows: Callable[[Sequence[object]], list[object]],
) -> tuple[pd.DataFrame, pd.Series]:
    if not isinstance(formula, str) or "~" not in formula:
        raise ValueError(
            f"formula must be a string 'response ~ terms', e.g. 'y ~ a + b'; got {formula!r}."
        )
    check_unique_names(data.columns, "data")
    names = [c for c in data.columns if isinstance(c, str)]
    lhs_columns, rhs_columns = _check_formula(formula, names)
    used = [c for c in names if c in lhs_columns | rhs_columns]
    data, dropped = _missing_rows(data, used, dropna, describe_rows)
    return _model_matrices(formula, data, dropped)


def _model_matrices(
    formula: str, data: pd.DataFrame, dropped: list[object]
) -> tuple[pd.DataFrame, pd.Series]:
    """Run formulaic on a checked formula, with only the allowed transforms in its context."""
    from formulaic import model_matrix
    from formulaic.errors import FormulaicError

    try:
        matrices = model_matrix(formula, data, context=_formula_context(), na_action="raise")
    except (FormulaicError, ValueError, TypeError, NameError) as error:
        raise ValueError(f"cannot build formula {formula!r}: {_first_line(error)}.") from None
    lhs, rhs = matrices.lhs, matrices.rhs
    if lhs.shape[1] != 1 or not all(_is_numeric(lhs[c]) for c in lhs.columns):
        raise ValueError(
            f"the left side of {formula!r} must give one numeric column; got columns "
            f"{[str(c) for c in lhs.columns]}. Encode the response as numbers first."
        )
    intercept = any(str(term) == "1" for term in rhs.model_spec.terms)
    X = pd.DataFrame(rhs).drop(columns="Intercept" if intercept else []).astype(float)
    if X.shape[1] == 0:
        raise ValueError(
            f"formula {formula!r} has no terms besides the intercept; add features, "
            "e.g. 'y ~ a + b' (the models add the intercept themselves)."
        )
    X.columns = [str(c) for c in X.columns]
    X.attrs.update(intercept=intercept, formula=formula, dropped_rows=dropped)
    y = pd.Series(np.asarray(lhs.iloc[:, 0], dtype=float), index=X.index, name=str(lhs.columns[0]))
    return X, y


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0].rstrip(".") if text else type(error).__name__


# ---------------------------------------------------------------------------------------------
# formulas: a whitelist checked before formulaic sees the string

#: The transforms a formula may call; everything else (``np.log``, ``I``, ``bs``, builtins) is
#: refused. ``center`` and ``scale`` are formulaic's stateful transforms (their mean / sd are
#: remembered by the model spec), ``C`` its categorical encoder.
FORMULA_TRANSFORMS = ("C", "log", "exp", "sqrt", "center", "scale")

#: The largest literal exponent, of a transform's argument (``log(a ** 2)``) or of a formula term
#: (``(a + b)**2``): enough for any polynomial or interaction order, and it keeps a formula from
#: asking for a number or an expansion too large to compute.
MAX_EXPONENT = 16

#: The most terms a formula may expand to (an upper bound from its ``+``, ``:``, ``*`` and
#: powers): formulaic builds ``(a + b + ...)**k`` as ``n**k`` products, so ``(a+b+c)**20`` would
#: run for hours; far more columns than a design here can be fitted with.
MAX_EXPANDED_TERMS = 100_000

FORMULA_GRAMMAR = (
    "column names (backquoted when they are not identifiers, e.g. `my col`), '+', '-', ':' and "
    "'*' between terms, '**' or '^' with an integer literal, parentheses, 0 / 1 / -1 for the "
    "intercept, and the transforms "
    + ", ".join(f"{name}()" for name in FORMULA_TRANSFORMS)
    + " (C of one column; the others of one column, number, allowed transform, or + - * / of "
    "those, '**' with a numeric literal)"
)

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<word>[^\W\d][\w.]*)
      | (?P<op>\*\*|[~+\-*^:()])
    """,
    re.VERBOSE,
)
_INTEGER = re.compile(r"^\d+$")
_PLACEHOLDER = "_bayesreg_column_{}"


class _Refused:
    """Stands in for a builtin or numpy name in formulaic's evaluation context; calling it fails.

    formulaic evaluates factors with ``eval(code, {}, context)``: names missing from the context
    fall through to Python's builtins, so the context shadows each of them with this object.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, *args: object, **kwargs: object) -> None:
        raise ValueError(f"{self.name!r} is not allowed in a formula; allowed: {FORMULA_GRAMMAR}.")

    def __repr__(self) -> str:
        return f"<refused formula name {self.name!r}>"


def _formula_context() -> dict[str, object]:
    """Build formulaic's evaluation context: the allowed transforms, every other name refused."""
    import builtins

    from formulaic.transforms import TRANSFORMS, C, center, scale

    allowed = {"C": C, "log": np.log, "exp": np.exp, "sqrt": np.sqrt, "center": center,
               "scale": scale}  # fmt: skip
    shadowed = (set(dir(builtins)) | set(TRANSFORMS) | {"__builtins__"}) - set(allowed)
    return {**{name: _Refused(name) for name in shadowed}, **allowed}


def _refuse(formula: str, piece: str, why: str) -> ValueError:
    return ValueError(
        f"formula {formula!r} contains {piece!r} ({why}); formulas may use only {FORMULA_GRAMMAR}."
    )


def _check_formula(formula: str, columns: Sequence[str]) -> tuple[set[str], set[str]]:
    """Check ``formula`` against the whitelist; return the columns of its left and right sides.

    Nothing is evaluated: the string is tokenized here, function calls are parsed with
    :func:`ast.parse` and walked node by node, and every piece outside the grammar raises a
    ``ValueError`` naming it. Names that are not columns are collected and refused together.
    """
    known = set(columns)
    tokens = _tokenize(formula, known)
    tildes = [k for k, token in enumerate(tokens) if token.kind == "op" and token.text == "~"]
    if len(tildes) != 1:
        raise ValueError(
            f"cannot parse formula {formula!r}: it needs exactly one '~' between the response "
            f"and the terms (found {len(tildes)}), e.g. 'y ~ a + b'."
        )
    lhs, rhs = tokens[: tildes[0]], tokens[tildes[0] + 1 :]
    if not lhs:
        raise ValueError(
            f"formula {formula!r} has no response on the left of '~'; write e.g. 'y ~ a + b'."
        )
    sides = [_TermParser(formula, side).parse() for side in (lhs, rhs)]
    unknown = sorted((sides[0] | sides[1]) - known)
    if unknown:
        raise ValueError(
            f"formula {formula!r} names {unknown}, not columns of the data; "
            f"available columns: {', '.join(repr(c) for c in columns) or '(none)'}."
        )
    return sides[0], sides[1]


class _Token(NamedTuple):
    """One piece of a formula: ``kind`` is ``name``, ``call``, ``number`` or ``op``."""

    kind: str
    text: str
    columns: frozenset[str] = frozenset()


def _tokenize(formula: str, known: set[str]) -> list[_Token]:
    """Split a formula into tokens; refuse anything that is not part of the grammar."""
    tokens: list[_Token] = []
    position = 0
    while position < len(formula):
        char = formula[position]
        if char == "`":
            end = formula.find("`", position + 1)
            if end < 0:
                raise _refuse(formula, formula[position:], "an unclosed backquote")
            name = formula[position + 1 : end]
            tokens.append(_Token("name", name, frozenset([name])))
            position = end + 1
            continue
        if char in "{}":
            raise _refuse(formula, _braced(formula, position), "a {...} block is Python code")
        if char in "'\"":
            raise _refuse(formula, _quoted(formula, position), "string literals are not allowed")
        match = _TOKEN.match(formula, position)
        if match is None:
            raise _refuse(formula, char, "not an operator of the grammar")
        position = match.end()
        kind, text = match.lastgroup, match.group()
        if kind == "space":
            continue
        if kind == "word" and formula[position:].lstrip().startswith("("):
            if text not in FORMULA_TRANSFORMS:
                _check_name(formula, text, set())
                raise _refuse(formula, text, f"{text!r} is not an allowed transform")
            start = formula.index("(", position)
            end = _closing_paren(formula, start)
            columns = _check_call(formula, text, formula[start + 1 : end], known)
            tokens.append(_Token("call", formula[match.start() : end + 1], columns))
            position = end + 1
        elif kind == "word":
            _check_name(formula, text, known)
            tokens.append(_Token("name", text, frozenset([text])))
        else:
            tokens.append(_Token(kind, text))
    return tokens


def _braced(formula: str, position: int) -> str:
    end = formula.find("}", position)
    return formula[position : end + 1] if end >= 0 else formula[position:]


def _quoted(formula: str, position: int) -> str:
    end = formula.find(formula[position], position + 1)
    return formula[position : end + 1] if end >= 0 else formula[position:]


def _closing_paren(formula: str, start: int) -> int:
    """Index of the ``)`` matching ``formula[start] == "("``; backquoted names are skipped."""
    depth, position = 0, start
    while position < len(formula):
        char = formula[position]
        if char == "`":
            end = formula.find("`", position + 1)
            if end < 0:
                raise _refuse(formula, formula[position:], "an unclosed backquote")
            position = end
        elif char in "{}":
            raise _refuse(formula, _braced(formula, position), "a {...} block is Python code")
        elif char in "'\"":
            raise _refuse(formula, _quoted(formula, position), "string literals are not allowed")
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return position
        position += 1
    raise ValueError(f"cannot parse formula {formula!r}: unbalanced '(' in {formula[start:]!r}.")


def _check_name(formula: str, name: str, known: set[str]) -> None:
    """Refuse a bare word that can only be Python: a keyword, a dunder, attribute access."""
    if name in known:
        return
    if keyword.iskeyword(name):
        raise _refuse(formula, name, "Python keywords such as lambda are not allowed")
    if "__" in name:
        raise _refuse(formula, name, "dunder names are not allowed")
    if "." in name:
        raise _refuse(formula, name, "attribute access is not allowed; it is not a column")


def _check_call(formula: str, head: str, inner: str, known: set[str]) -> frozenset[str]:
    """Check a transform call ``head(inner)`` node by node (``ast``, never evaluated)."""
    piece = f"{head}({inner})"
    aliases: dict[str, str] = {}

    def alias(match: re.Match) -> str:
        placeholder = _PLACEHOLDER.format(len(aliases))
        aliases[placeholder] = match.group(1)
        return placeholder

    code = re.sub(r"`([^`]*)`", alias, piece)
    try:
        tree = ast.parse(code, mode="eval")
    except SyntaxError:
        raise _refuse(formula, piece, "not a transform of columns") from None
    checker = _CallChecker(formula, piece, known, aliases)
    checker.check_call(tree.body, top=True)
    return frozenset(checker.columns)


class _CallChecker:
    """Walks the ``ast`` of one transform call; every node kind outside the whitelist refuses."""

    def __init__(self, formula: str, piece: str, known: set[str], aliases: dict[str, str]):
        self.formula, self.piece, self.known, self.aliases = formula, piece, known, aliases
        self.columns: set[str] = set()

    def refuse(self, node: ast.AST, why: str) -> ValueError:
        text = ast.unparse(node)
        for placeholder, name in self.aliases.items():
            text = text.replace(placeholder, f"`{name}`")
        return _refuse(self.formula, text, why)

    def check_call(self, node: ast.AST, *, top: bool = False) -> None:
        if not isinstance(node, ast.Call):
            raise self.refuse(node, "not a transform call")
        if not isinstance(node.func, ast.Name) or node.func.id not in FORMULA_TRANSFORMS:
            head = node.func
            why = (
                "attribute access is not allowed"
                if isinstance(head, ast.Attribute)
                else "the function must be one of the allowed transforms, named plainly"
            )
            raise self.refuse(head, why)
        if node.keywords:
            raise self.refuse(node, "keyword arguments are not allowed")
        if len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise self.refuse(node, f"{node.func.id}() takes exactly one argument")
        (argument,) = node.args
        if node.func.id == "C":
            if not top:
                raise self.refuse(node, "C() may only be a term of its own")
            self.check_column(argument)
        else:
            self.check_arithmetic(argument)

    def check_column(self, node: ast.AST) -> None:
        if not isinstance(node, ast.Name):
            raise self.refuse(node, "C() takes one column name")
        self.check_name(node)

    def check_name(self, node: ast.Name) -> None:
        name = self.aliases.get(node.id, node.id)
        if name in self.known:
            self.columns.add(name)
            return
        if "__" in name:
            raise self.refuse(node, "dunder names are not allowed")
        raise ValueError(
            f"formula {self.formula!r} names [{name!r}], not columns of the data (in "
            f"{self.piece!r}); formulas may use only {FORMULA_GRAMMAR}."
        )

    def check_arithmetic(self, node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            self.check_name(node)
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                what = "string literals" if isinstance(node.value, str) else "this literal"
                raise self.refuse(node, f"{what} are not allowed; only numbers")
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
            self.check_arithmetic(node.operand)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            self.check_arithmetic(node.left)
            exponent = node.right
            if isinstance(exponent, ast.UnaryOp) and isinstance(exponent.op, ast.USub):
                exponent = exponent.operand
            if not (
                isinstance(exponent, ast.Constant)
                and isinstance(exponent.value, int | float)
                and not isinstance(exponent.value, bool)
                and abs(exponent.value) <= MAX_EXPONENT
            ):
                raise self.refuse(
                    node.right, f"an exponent must be a numeric literal of size <= {MAX_EXPONENT}"
                )
        elif isinstance(node, ast.BinOp) and isinstance(
            node.op, ast.Add | ast.Sub | ast.Mult | ast.Div
        ):
            self.check_arithmetic(node.left)
            self.check_arithmetic(node.right)
        elif isinstance(node, ast.Call):
            self.check_call(node)
        else:
            raise self.refuse(node, _NODE_WHY.get(type(node), "not allowed in a transform"))


_NODE_WHY = {
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "subscripts are not allowed",
    ast.Lambda: "lambdas are not allowed",
    ast.JoinedStr: "string literals are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.NamedExpr: "assignments are not allowed",
}


class _TermParser:
    """Recursive descent over the tokens of one side of ``~``; returns the columns it names.

    Grammar (no Python in it): ``side := ['+'|'-'] term (('+'|'-') term)*``,
    ``term := factor ((':'|'*') factor)*``, ``factor := atom (('**'|'^') INTEGER)?``,
    ``atom := NAME | CALL | 0 | 1 | '(' side ')'``.
    """

    def __init__(self, formula: str, tokens: list[_Token]) -> None:
        self.formula, self.tokens = formula, tokens
        self.position = 0
        self.columns: set[str] = set()

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def at(self, *operators: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "op" and token.text in operators

    def fail(self, what: str) -> ValueError:
        token = self.peek()
        found = repr(token.text) if token else "the end"
        return ValueError(f"cannot parse formula {self.formula!r}: expected {what}, found {found}.")

    def parse(self) -> set[str]:
        self.side()
        if self.peek() is not None:
            raise self.fail("'+', '-', ':', '*' or '**' between terms")
        return self.columns

    # each rule returns an upper bound on the number of terms formulaic will build for it

    def side(self) -> int:
        if self.at("+", "-"):
            self.position += 1
        count = self.term()
        while self.at("+", "-"):
            self.position += 1
            count = self.bounded(count + self.term())
        return count

    def term(self) -> int:
        count = self.factor()
        while self.at(":", "*"):
            star = self.at("*")
            self.position += 1
            right = self.factor()
            count = self.bounded(count * right + (count + right if star else 0))
        return count

    def factor(self) -> int:
        count = self.atom()
        if self.at("**", "^"):
            self.position += 1
            token = self.peek()
            if token is None or token.kind != "number" or not _INTEGER.match(token.text):
                raise self.fail("an integer literal after the power operator")
            if int(token.text) > MAX_EXPONENT:
                raise _refuse(self.formula, token.text, f"a power above {MAX_EXPONENT}")
            # formulaic expands a power as itertools.product: count ** power products
            count = self.bounded(count ** int(token.text), token.text)
            self.position += 1
        return count

    def atom(self) -> int:
        token = self.peek()
        if token is None:
            raise self.fail("a term")
        count = 1
        if token.kind in ("name", "call"):
            self.columns.update(token.columns)
        elif token.kind == "number":
            if token.text not in ("0", "1"):
                raise _refuse(self.formula, token.text, "a number term other than 0 or 1")
        elif self.at("("):
            self.position += 1
            count = self.side()
            if not self.at(")"):
                raise self.fail("')'")
        else:
            raise self.fail("a term")
        self.position += 1
        return count

    def bounded(self, count: int, piece: str | None = None) -> int:
        if count > MAX_EXPANDED_TERMS:
            token = self.tokens[self.position - 1]
            raise _refuse(
                self.formula,
                piece or token.text,
                f"it expands to more than {MAX_EXPANDED_TERMS} terms",
            )
        return count


def least_squares_sigma(X: ArrayLike, y: ArrayLike, *, intercept: bool = True) -> float:
    """Residual sd of ordinary least squares: the usual plug-in for a known noise sd ``sigma``.

    ``sqrt(RSS / (n - p - 1))`` with an intercept, ``sqrt(RSS / (n - p))`` without.

    Raises
    ------
    ValueError
        When there are not more rows than coefficients.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(10.0).reshape(-1, 1)
    >>> least_squares_sigma(X, 2.0 * X[:, 0] + np.tile([1.0, -1.0], 5)) > 0
    True
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n = X.shape[0]
    design = np.column_stack([np.ones(n), X]) if intercept else X
    dof = n - design.shape[1]
    if dof < 1:
        raise ValueError(
            f"cannot estimate the noise sd by least squares with n = {n} rows and "
            f"{design.shape[1]} coefficients; give sigma (or a prior on it) instead."
        )
    resid = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    return float(np.sqrt(resid @ resid / dof))
