"""Nothing in a formula is executed: attacks are refused before formulaic evaluates anything.

Every attack runs in an empty working directory (``tmp_path``) holding only the data file; a
formula that ran code would leave a file there (``touch F``, ``open('F', 'w')``,
``np.save('F', ...)`` writes ``F.npy``), so each test checks that the folder is unchanged and
that the error names the offending piece and says what is allowed. The allowed transforms are
checked against the same columns computed by hand with NumPy / pandas.
"""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bayesreg.cli import main
from bayesreg.data import design_from_formula, model_matrices

#: Every refusal says what a formula may contain (the whitelist), after naming the piece.
ALLOWED = "formulas may use only column names"


@pytest.fixture
def frame() -> pd.DataFrame:
    gen = np.random.default_rng(11)
    n = 12
    return pd.DataFrame(
        {
            "y": gen.normal(size=n) + 5.0,
            "x": gen.uniform(0.5, 3.0, size=n),
            "b": gen.uniform(0.5, 3.0, size=n),
            "c": gen.normal(size=n),
            "g": ["u", "v", "w"] * (n // 3),
        }
    )


@pytest.fixture
def workdir(tmp_path, monkeypatch, frame) -> Path:
    """An empty folder as the working directory, with the data file ``d.csv`` in it."""
    monkeypatch.chdir(tmp_path)
    frame.to_csv(tmp_path / "d.csv", index=False)
    return tmp_path


def files_in(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


# (formula, the piece the error must name); each would run code or reach Python objects if
# formulaic evaluated it (as it did before the whitelist).
ATTACKS = [
    # the cases
    ("y ~ {__import__('os').system('touch F')(x)} + x", "{__import__('os').system('touch F')(x)}"),
    ("y ~ {open('F','w').write('1') + x}", "{open('F','w').write('1') + x}"),
    ("y ~ np.save('F', x) + x", "np.save"),
    # {...} blocks, also inside a transform
    ("y ~ x + {__import__('os').system('touch F')}", "{__import__('os').system('touch F')}"),
    ("y ~ log({open('F', 'w').write('1') + 2})", "{open('F', 'w').write('1') + 2}"),
    # dunders and builtins called by name
    ("y ~ __import__('os').system('touch F')", "__import__"),
    ("y ~ exec(\"open('F', 'w')\") + x", "exec"),
    ("y ~ getattr(x, 'to_csv')('F')", "getattr"),
    ("y ~ I(__import__('os').system('touch F'))", "I"),
    # attribute access
    ("y ~ x.to_csv('F')", "x.to_csv"),
    ("y ~ log(x.to_csv('F'))", "'F'"),  # the first piece outside the whitelist is named
]

# (formula, the piece the error must name); refused for what they are, even where harmless
REFUSED = [
    ("y ~ lambda: x", "lambda"),
    ("y ~ log((lambda: x)())", "lambda: x"),
    ("y ~ x.__class__", "x.__class__"),
    ("y ~ log(x.__class__)", "x.__class__"),
    ("y ~ log(__builtins__)", "__builtins__"),
    ("y ~ np.log(x)", "np.log"),
    ("y ~ log(x.values)", "x.values"),
    ("y ~ log(x[0])", "x[0]"),
    ("y ~ log(x[1:3] + b)", "x[1:3]"),
    ("y ~ foo(x)", "foo"),
    ("y ~ poly(x)", "poly"),
    ("y ~ 'x'", "'x'"),
    ("y ~ C(g, 'v')", "'v'"),
    ("y ~ log(x, out=x)", "log(x, out=x)"),  # a keyword trick: would overwrite the data
    ("y ~ log(*x)", "log(*x)"),
    ("y ~ log([v for v in x])", "[v for v in x]"),
    ("y ~ log((z := x))", "(z := x)"),
    ("y ~ log(x ** b)", "b"),
    ("y ~ log(x ** 1000)", "1000"),
    ("y ~ x / b", "/"),
    ("y ~ .", "."),
    ("y ~ x | g", "|"),
    ("y ~ x; b", ";"),
    ("y ~ 2 + x", "2"),
    # expansions that would run for hours (formulaic builds n ** k products for a power)
    ("y ~ (x + b + c)**20", "20"),
    ("y ~ x**99999999", "99999999"),
    ("y ~ (x + b + c)^11", "11"),
]


@pytest.mark.parametrize(("formula", "piece"), ATTACKS)
def test_formula_attacks_run_nothing(workdir, frame, formula, piece):
    before = files_in(workdir)
    with pytest.raises(ValueError, match=ALLOWED) as refused:
        design_from_formula(formula, frame)
    assert repr(piece) in str(refused.value)
    assert repr(formula) in str(refused.value)
    assert files_in(workdir) == before == ["d.csv"]


@pytest.mark.parametrize(("formula", "piece"), REFUSED)
def test_formula_pieces_outside_the_whitelist_are_named(workdir, frame, formula, piece):
    with pytest.raises(ValueError, match=ALLOWED) as refused:
        design_from_formula(formula, frame)
    assert repr(piece) in str(refused.value)
    assert files_in(workdir) == ["d.csv"]
    assert frame["x"].min() > 0.5 - 1e-12  # the data is untouched (no in-place `out=`)


@pytest.mark.parametrize(("formula", "piece"), ATTACKS + REFUSED[:8])
def test_cli_fit_refuses_formula_attacks(workdir, capsys, formula, piece):
    argv = ["fit", "d.csv", "--formula", formula, "--prior", "gaussian", "--scale", "1",
            "--sigma", "1", "--samples", "0"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert repr(piece) in err and ALLOWED in err
    assert files_in(workdir) == ["d.csv"]


def test_backquoted_code_is_only_a_column_name(workdir, frame):
    code = "__import__('os').system('touch F')"
    with pytest.raises(ValueError, match="not columns of the data") as refused:
        design_from_formula(f"y ~ `{code}` + x", frame)
    assert repr([code]) in str(refused.value)
    assert files_in(workdir) == ["d.csv"]


def test_unknown_names_inside_transforms_are_named(frame):
    with pytest.raises(ValueError, match=r"names \['q'\], not columns of the data \(in 'log\(q\)'"):
        design_from_formula("y ~ log(q)", frame)
    with pytest.raises(ValueError, match=r"names \['q', 'r'\], not columns"):
        design_from_formula("y ~ q + r + x", frame)


# ---------------------------------------------------------------------------------------------
# the second line: formulaic's evaluation context holds only the allowed transforms


@pytest.mark.parametrize(
    "formula",
    [
        "y ~ {__import__('os').system('touch F')} + x",
        "y ~ {open('F', 'w')} + x",
        "y ~ np.save('F', x) + x",
        "y ~ {eval(\"open('F', 'w')\")} + x",
        "y ~ I(x) + x",
        "y ~ {__builtins__} + x",
    ],
)
def test_evaluation_context_refuses_builtins_and_numpy(workdir, frame, formula):
    # the whitelist is bypassed here: formulaic itself must not reach builtins or numpy
    with pytest.raises(ValueError, match="cannot build formula"):
        model_matrices(formula, frame, [])
    assert files_in(workdir) == ["d.csv"]


def test_columns_named_like_builtins_are_still_columns(frame):
    data = frame.assign(open=frame["x"], sum=frame["b"], np=frame["c"])
    X, _ = design_from_formula("y ~ open + sum + log(np ** 2)", data)
    np.testing.assert_array_equal(X["open"], frame["x"])
    np.testing.assert_array_equal(X["sum"], frame["b"])
    np.testing.assert_allclose(X["log(np ** 2)"], np.log(frame["c"] ** 2), rtol=1e-14)


# ---------------------------------------------------------------------------------------------
# what is allowed still builds the same design matrix as NumPy / pandas by hand


def test_transforms_equal_numpy(frame):
    X, y = design_from_formula(
        "log(y) ~ log(x) + exp(-c) + sqrt(b / 2) + log(x + 1) + center(c) + scale(b)", frame
    )
    x, b, c = frame["x"].to_numpy(), frame["b"].to_numpy(), frame["c"].to_numpy()
    expected = {
        "log(x)": np.log(x),
        "exp(-c)": np.exp(-c),
        "sqrt(b / 2)": np.sqrt(b / 2),
        "log(x + 1)": np.log(x + 1),
        "center(c)": c - c.mean(),
        "scale(b)": (b - b.mean()) / b.std(ddof=1),  # formulaic's scale: sd with ddof=1
    }
    assert list(X.columns) == list(expected)
    for column, values in expected.items():
        np.testing.assert_allclose(X[column], values, rtol=1e-12, atol=1e-14, err_msg=column)
    np.testing.assert_allclose(y, np.log(frame["y"]), rtol=1e-14)
    assert y.name == "log(y)"


def test_categorical_is_treatment_coded(frame):
    X, _ = design_from_formula("y ~ C(g) + x", frame)
    assert list(X.columns) == ["C(g)[T.v]", "C(g)[T.w]", "x"]
    np.testing.assert_array_equal(X["C(g)[T.v]"], (frame["g"] == "v").astype(float))
    np.testing.assert_array_equal(X["C(g)[T.w]"], (frame["g"] == "w").astype(float))


def test_interactions_and_powers_equal_products(frame):
    x, b, c = frame["x"], frame["b"], frame["c"]
    X, _ = design_from_formula("y ~ x*b", frame)
    pd.testing.assert_frame_equal(
        X, pd.DataFrame({"x": x, "b": b, "x:b": x * b}), check_names=False
    )
    for power in ("(x + b + c)**2", "(x + b + c)^2"):
        X, _ = design_from_formula(f"y ~ {power}", frame)
        expected = {"x": x, "b": b, "c": c, "x:b": x * b, "x:c": x * c, "b:c": b * c}
        assert list(X.columns) == list(expected), power
        for column, values in expected.items():
            np.testing.assert_allclose(X[column], values, rtol=1e-14, err_msg=column)
    X, _ = design_from_formula("y ~ x:log(b)", frame)
    np.testing.assert_allclose(X["x:log(b)"], x * np.log(b), rtol=1e-14)


@pytest.mark.parametrize("formula", ["y ~ x - 1", "y ~ 0 + x", "y ~ -1 + x", "y ~ x + 0"])
def test_removing_the_intercept(frame, formula):
    X, _ = design_from_formula(formula, frame)
    assert list(X.columns) == ["x"] and X.attrs["intercept"] is False
    np.testing.assert_array_equal(X["x"], frame["x"])


def test_names_that_are_not_identifiers(frame):
    data = frame.rename(columns={"x": "my col", "b": "sepal.length"})
    X, _ = design_from_formula("y ~ `my col` + sepal.length + log(`my col`) + 1", data)
    assert list(X.columns) == ["my col", "sepal.length", "log(`my col`)"]
    np.testing.assert_array_equal(X["my col"], frame["x"])
    np.testing.assert_array_equal(X["sepal.length"], frame["b"])
    np.testing.assert_allclose(X["log(`my col`)"], np.log(frame["x"]), rtol=1e-14)
    assert X.attrs["intercept"] is True
