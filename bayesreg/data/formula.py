r"""Formulas checked against a whitelist, then built by formulaic in a restricted context.

**Nothing in a formula is executed.** formulaic evaluates the pieces of a formula as Python, so
before it sees the string, `check_formula` checks it against a whitelist: column names (must
exist; backquoted, `` `my col` ``, when they are not identifiers), ``+``, ``-``, ``:``, ``*``,
``**`` or ``^`` with an integer, parentheses, ``0`` / ``1`` / ``-1`` for the intercept, and the
transforms ``C(column)``, ``log``, ``exp``, ``sqrt``, ``center``, ``scale`` (formulaic's
stateful ones) of columns, numbers and ``+ - * /`` or ``**`` with a numeric literal. Anything
else — ``{...}`` blocks, lambdas, dunders, attribute access such as ``np.log``, subscripts,
strings, keyword arguments, other functions — is refused with a ``ValueError`` that names the
piece. As a second line, `model_matrices` runs formulaic with a context (`formula_context`) that
holds only those transforms and shadows every Python builtin and every other formulaic transform
name (``np``, ``I``, ...) with an object that refuses to be called.

**A fitted formula is reused, never rebuilt**: `model_matrices` keeps formulaic's model spec of
the training rows in a `FormulaDesign` (``X.attrs["design"]``), whose ``transform(new_rows)``
gives the training columns in the training order (a level the new rows lack is still a column;
``center`` / ``scale`` keep the training mean and sd) and refuses a level training never saw.
It evaluates through the same restricted context.
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = [
    "FORMULA_GRAMMAR",
    "FORMULA_TRANSFORMS",
    "MAX_EXPANDED_TERMS",
    "MAX_EXPONENT",
    "FormulaDesign",
    "check_formula",
    "formula_context",
    "is_numeric",
    "model_matrices",
]

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


def formula_context() -> dict[str, object]:
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


def check_formula(formula: str, columns: Sequence[str]) -> tuple[set[str], set[str]]:
    """Check ``formula`` against the whitelist; return the columns of its left and right sides.

    Nothing is evaluated: the string is tokenized here, function calls are parsed with
    `ast.parse` and walked node by node, and every piece outside the grammar raises a
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


def is_numeric(series: pd.Series) -> bool:
    """Return whether a column holds numbers (a categorical of numbers does not count)."""
    return pd.api.types.is_numeric_dtype(series.dtype) and not isinstance(
        series.dtype, pd.CategoricalDtype
    )


class _DesignFields(NamedTuple):
    formula: str
    response: str
    columns: tuple[str, ...]
    intercept: bool
    levels: dict[str, tuple[object, ...]]


class FormulaDesign(_DesignFields):
    """A formula fitted to its training rows; `transform` applies it to new rows.

    Every ``X`` that `bayesreg.data.design_from_formula` (and a formula given to
    ``design_from_frame`` or ``load_csv``) returns carries its design in ``X.attrs["design"]``.
    It holds formulaic's model spec of the training rows: the levels of each categorical term,
    the contrasts, and the mean / sd of the stateful transforms ``center`` and ``scale``.
    Applied to new rows, it gives the training design's columns in the same order, whether or
    not the new rows show every level, with ``center`` / ``scale`` using the training mean and
    sd, and it refuses a level that training never saw.

    It is an immutable named tuple of the fields below (so ``X.attrs`` stays JSON-serializable
    and ``X.to_parquet`` works); formulaic's spec is held beside them. A format that stores
    ``attrs`` as JSON (parquet) keeps the fields only, as a list; pickle keeps the whole design.

    Attributes
    ----------
    formula : str
        The formula, as given.
    response : str
        The name of the response (the left side), e.g. ``"y"`` or ``"log(y)"``.
    columns : tuple of str
        The columns of ``X``, in order (without formulaic's ``Intercept`` column).
    intercept : bool
        Whether the formula keeps the intercept (see ``X.attrs["intercept"]``).
    levels : dict of str to tuple
        For each column of the data coded as a categorical, its training levels in coding
        order (the first is the reference level when the formula keeps the intercept).

    Examples
    --------
    >>> import pandas as pd
    >>> from bayesreg.data import design_from_formula
    >>> train = pd.DataFrame({"y": [1.0, 2.0, 4.0, 3.0], "a": [1.0, 2.0, 3.0, 6.0],
    ...                       "g": ["u", "v", "w", "v"]})
    >>> X, y = design_from_formula("y ~ center(a) + C(g)", train)
    >>> new = pd.DataFrame({"a": [3.0, 5.0], "g": ["u", "u"]})  # no response; level u only
    >>> X_new = X.attrs["design"].transform(new)
    >>> list(X_new.columns) == list(X.columns)
    True
    >>> X_new["center(a)"].tolist()  # centered at the training mean, 3.0
    [0.0, 2.0]
    """

    _specs: object  # formulaic's ModelSpecs of the training rows (lhs and rhs)

    @classmethod
    def _fitted(cls, formula: str, specs: object, columns: Sequence[str]) -> FormulaDesign:
        """Build the design of ``formula`` from formulaic's model specs of the training rows."""
        rhs = specs.rhs
        design = cls(
            formula=formula,
            response=str(specs.lhs.column_names[0]),
            columns=tuple(columns),
            intercept="1" in {str(term) for term in rhs.terms},
            levels={
                column: tuple(_plain(level) for level in categories)
                for column, categories in _categorical_levels(rhs)
            },
        )
        design._specs = specs
        return design

    # Immutable: pandas deep-copies ``DataFrame.attrs`` on most operations (``X.iloc[...]``,
    # ``X.copy()``), which would otherwise copy formulaic's spec each time.
    def __copy__(self) -> FormulaDesign:
        return self

    def __deepcopy__(self, memo: dict) -> FormulaDesign:
        return self

    def transform(self, data: pd.DataFrame, *, dropna: bool = False) -> pd.DataFrame:
        """Return the design matrix of new rows: the training columns, in the training order.

        Parameters
        ----------
        data : pandas.DataFrame
            The new rows, with (at least) the columns the right side of the formula uses; the
            response column is not needed.
        dropna : bool
            Rows with a missing or non-finite value in a column the right side uses are refused
            by default; ``True`` drops them and records their index labels in
            ``X.attrs["dropped_rows"]``.

        Returns
        -------
        pandas.DataFrame
            One float column per column of the training ``X``, with the same names in the same
            order, indexed like ``data``. Categorical terms are coded with the training levels
            (a level missing from ``data`` is a column of zeros); ``center`` and ``scale``
            use the training mean and sd. ``attrs`` as on the training ``X``.

        Raises
        ------
        ValueError
            If ``data`` lacks a column the formula uses (the missing and available columns are
            named), a categorical column holds a level not seen in training (the column, the
            unseen levels and the training levels are named), rows have missing values (unless
            ``dropna``), or formulaic cannot evaluate a term on the new rows.
        """
        rhs = self._specs.rhs
        data, dropped = self._checked_rows(data, _data_variables(rhs), dropna)
        return _design(self, _materialize(self, rhs, data), dropped)

    def _checked_rows(
        self, data: pd.DataFrame, used: set[str], dropna: bool
    ) -> tuple[pd.DataFrame, list[object]]:
        """Refuse a frame without the columns ``used``; refuse or drop rows with missing values."""
        from .._validation import check_unique_names
        from .tables import _index_labels, _missing_rows

        if not isinstance(data, pd.DataFrame):
            raise TypeError(
                f"data must be a pandas DataFrame of the new rows; got {type(data).__name__}."
            )
        check_unique_names(data.columns, "data")
        absent = sorted(used - {c for c in data.columns if isinstance(c, str)})
        if absent:
            raise ValueError(
                f"data lacks the column(s) {absent} that formula {self.formula!r} uses; "
                f"available columns: {', '.join(repr(str(c)) for c in data.columns) or '(none)'}."
            )
        columns = [c for c in data.columns if c in used]
        return _missing_rows(data, columns, dropna, _index_labels)


def _data_variables(spec: object) -> set[str]:
    """Return the data columns a formulaic model spec reads."""
    return {str(name) for name in spec.variables_by_source.get("data", ())}


def _categorical_levels(spec: object) -> list[tuple[str, list[object]]]:
    """Return ``(column, training levels)`` of each categorical factor of a formulaic spec.

    The whitelist lets a categorical factor read one column (``g`` or ``C(g)``), so each
    categorical factor maps to one column; a column coded twice (``C(g) + g:a``) is listed once.
    """
    from formulaic.parser.types import Factor

    columns = {
        str(factor): [str(v) for v in variables if v.source == "data"]
        for factor, variables in spec.factor_variables.items()
    }
    found: dict[str, list[object]] = {}
    for factor, (kind, state) in spec.encoder_state.items():
        if kind is Factor.Kind.CATEGORICAL:
            for column in columns.get(str(factor), []):
                found.setdefault(column, list(state["categories"]))
    return list(found.items())


def _check_levels(design: FormulaDesign, data: pd.DataFrame) -> None:
    """Refuse levels of a categorical column that training did not see (formulaic zeroes them)."""
    for column, levels in design.levels.items():
        values = data[column]
        unseen = pd.unique(values[~values.isin(levels)])
        if len(unseen):
            raise ValueError(
                f"column {column!r} has level(s) {[_plain(v) for v in unseen]} not seen when "
                f"formula {design.formula!r} was fitted (training levels: "
                f"{[_plain(v) for v in levels]}); a model has no coefficient for an unseen "
                "level. Drop or recode those rows, or refit the formula on data that has them."
            )


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def _materialize(design: FormulaDesign, spec: object, data: pd.DataFrame) -> pd.DataFrame:
    """Evaluate a training model spec on new rows, in the restricted context."""
    from formulaic.errors import FormulaicError

    _check_levels(design, data)
    try:
        return spec.get_model_matrix(data, context=formula_context())
    except (FormulaicError, ValueError, TypeError, NameError) as error:
        raise ValueError(
            f"cannot apply formula {design.formula!r} to the new rows: {_first_line(error)}."
        ) from None


def _design(design: FormulaDesign, rhs: pd.DataFrame, dropped: list[object]) -> pd.DataFrame:
    """Float ``X`` from formulaic's right side: no ``Intercept`` column, attrs recorded."""
    X = pd.DataFrame(rhs).drop(columns="Intercept" if design.intercept else []).astype(float)
    X.columns = [str(c) for c in X.columns]
    X.attrs.update(
        intercept=design.intercept, formula=design.formula, dropped_rows=dropped, design=design
    )
    return X


def model_matrices(
    formula: str | FormulaDesign, data: pd.DataFrame, dropped: list[object]
) -> tuple[pd.DataFrame, pd.Series]:
    """Run formulaic on a formula, with only the allowed transforms in its context.

    The second line of defence: `check_formula` is the first and is not repeated here, so a
    formula that reaches this function unchecked still cannot call a builtin, ``np`` or another
    formulaic transform (they are shadowed by objects that refuse to be called).

    Parameters
    ----------
    formula : str or FormulaDesign
        ``"response ~ terms"``, or the design of a formula fitted before
        (``X.attrs["design"]``): then its training levels, contrasts and ``center`` /
        ``scale`` statistics are applied to ``data`` (which must hold the response).
    data : pandas.DataFrame
        The variables, without missing values (formulaic runs with ``na_action="raise"``).
    dropped : list
        Labels of the rows dropped before, recorded in ``X.attrs["dropped_rows"]``.

    Returns
    -------
    X : pandas.DataFrame
        Float model-matrix columns without formulaic's ``Intercept`` column;
        ``X.attrs["intercept"]`` says whether the formula keeps an intercept,
        ``X.attrs["design"]`` is the `FormulaDesign` that applies the formula to new rows.
    y : pandas.Series
        The float response, named after the left side.

    Raises
    ------
    ValueError
        When formulaic cannot build the formula (``"cannot build formula ..."``), the left side
        is not one numeric column, or no column is left besides the intercept; with a
        `FormulaDesign`, as `FormulaDesign.transform` raises.
    """
    from formulaic import model_matrix
    from formulaic.errors import FormulaicError

    if isinstance(formula, FormulaDesign):
        design = formula
        lhs = _materialize(design, design._specs.lhs, data)
        X = _design(design, _materialize(design, design._specs.rhs, data), dropped)
        return X, _response(design.formula, lhs, X.index)
    try:
        matrices = model_matrix(formula, data, context=formula_context(), na_action="raise")
    except (FormulaicError, ValueError, TypeError, NameError) as error:
        raise ValueError(f"cannot build formula {formula!r}: {_first_line(error)}.") from None
    lhs, rhs = matrices.lhs, matrices.rhs
    y = _response(formula, lhs, rhs.index)
    intercept = any(str(term) == "1" for term in rhs.model_spec.terms)
    columns = [str(c) for c in rhs.columns if not (intercept and c == "Intercept")]
    if not columns:
        raise ValueError(
            f"formula {formula!r} has no terms besides the intercept; add features, "
            "e.g. 'y ~ a + b' (the models add the intercept themselves)."
        )
    return _design(FormulaDesign._fitted(formula, matrices.model_spec, columns), rhs, dropped), y


def _response(formula: str, lhs: pd.DataFrame, index: pd.Index) -> pd.Series:
    """Return the float response from formulaic's left side; refuse a non-numeric or wide one."""
    if lhs.shape[1] != 1 or not all(is_numeric(lhs[c]) for c in lhs.columns):
        raise ValueError(
            f"the left side of {formula!r} must give one numeric column; got columns "
            f"{[str(c) for c in lhs.columns]}. Encode the response as numbers first."
        )
    return pd.Series(np.asarray(lhs.iloc[:, 0], dtype=float), index=index, name=str(lhs.columns[0]))


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0].rstrip(".") if text else type(error).__name__
