"""A fitted formula applied to new rows: the training columns, levels and center / scale state.

The oracles are independent of formulaic: indicator columns written by hand from the level
names, and the training mean / sd computed with NumPy.
"""

import copy
import json
import pickle

import numpy as np
import pandas as pd
import pytest

from bayesreg.data import FormulaDesign, design_from_formula, load_csv, model_matrices


@pytest.fixture
def train() -> pd.DataFrame:
    gen = np.random.default_rng(5)
    n = 12
    return pd.DataFrame(
        {
            "y": gen.normal(size=n),
            "a": gen.uniform(1.0, 4.0, size=n),
            "b": gen.normal(size=n),
            "g": ["u", "v", "w"] * (n // 3),
            "k": [1, 2] * (n // 2),
        }
    )


@pytest.fixture
def new_rows() -> pd.DataFrame:
    """New rows without the response, showing only level ``u`` of ``g`` and ``1`` of ``k``."""
    return pd.DataFrame({"a": [0.5, 2.0, 7.0], "b": [1.0, -1.0, 0.0], "g": ["u"] * 3, "k": [1] * 3})


FORMULAS = [
    "y ~ a + C(g)",
    "y ~ g + b",  # a string column is categorical without C()
    "y ~ a + C(g) + g:b + C(k)",
    "y ~ 0 + g + a",  # full-rank coding without the intercept
]


@pytest.mark.parametrize("formula", FORMULAS)
def test_new_rows_lacking_levels_get_the_training_columns_in_order(train, new_rows, formula):
    X, _ = design_from_formula(formula, train)
    X_new = X.attrs["design"].transform(new_rows)
    assert list(X_new.columns) == list(X.columns)
    assert X_new.shape == (len(new_rows), X.shape[1])
    assert all(dtype == np.float64 for dtype in X_new.dtypes)
    # the formula built afresh on the new rows would lose the levels they lack
    rebuilt, _ = design_from_formula(formula, new_rows.assign(y=0.0))
    assert rebuilt.shape[1] < X.shape[1]


def test_new_rows_are_coded_with_the_training_levels(train):
    X, _ = design_from_formula("y ~ a + C(g) + g:b", train)
    new = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [2.0, 3.0, 5.0], "g": ["w", "u", "w"]})
    X_new = X.attrs["design"].transform(new)
    is_w = np.array([1.0, 0.0, 1.0])
    expected = pd.DataFrame(  # treatment contrasts against u (the first training level)
        {
            "a": new["a"],
            "C(g)[T.v]": 0.0,
            "C(g)[T.w]": is_w,
            "g[u]:b": (1 - is_w) * new["b"],
            "g[v]:b": 0.0,
            "g[w]:b": is_w * new["b"],
        }
    )
    pd.testing.assert_frame_equal(X_new, expected, check_exact=True)


def test_categorical_dtype_with_other_level_order_is_coded_by_training_levels(train):
    X, _ = design_from_formula("y ~ g", train)
    new = pd.DataFrame({"g": pd.Categorical(["w", "u"], categories=["w", "v", "u"])})
    X_new = X.attrs["design"].transform(new)
    assert list(X_new.columns) == ["g[T.v]", "g[T.w]"]
    np.testing.assert_array_equal(X_new.to_numpy(), [[0.0, 1.0], [0.0, 0.0]])


@pytest.mark.parametrize("formula", [*FORMULAS, "y ~ center(a) + scale(b) + log(a) + a:b"])
def test_transform_of_the_training_rows_is_the_training_design(train, formula):
    X, _ = design_from_formula(formula, train)
    design = X.attrs["design"]
    X_again = design.transform(train.drop(columns="y"))
    pd.testing.assert_frame_equal(X_again, X, check_exact=True)
    # a shuffled subset of the training rows gives those rows of X
    rows = [7, 2, 11, 4]
    pd.testing.assert_frame_equal(design.transform(train.loc[rows]), X.loc[rows], check_exact=True)


def test_center_and_scale_use_the_training_mean_and_sd(train, new_rows):
    X, _ = design_from_formula("y ~ center(a) + scale(b)", train)
    X_new = X.attrs["design"].transform(new_rows)
    a, b = train["a"].to_numpy(), train["b"].to_numpy()
    # formulaic's scale() divides by the sd with the 1/(n-1) formula; the training X agrees
    np.testing.assert_allclose(X["scale(b)"], (b - b.mean()) / b.std(ddof=1), rtol=1e-12)
    np.testing.assert_allclose(X_new["center(a)"], new_rows["a"] - a.mean(), rtol=1e-12)
    np.testing.assert_allclose(
        X_new["scale(b)"], (new_rows["b"] - b.mean()) / b.std(ddof=1), rtol=1e-12
    )
    # not the new rows' own statistics
    assert not np.allclose(X_new["center(a)"], new_rows["a"] - new_rows["a"].mean())


@pytest.mark.parametrize(
    ("formula", "new", "message"),
    [
        (
            "y ~ a + C(g)",
            {"a": [1.0, 2.0, 3.0], "g": ["u", "z", "q"]},
            r"column 'g' has level\(s\) \['z', 'q'\] not seen .* levels: \['u', 'v', 'w'\]",
        ),
        ("y ~ g", {"g": ["x"]}, r"column 'g' has level\(s\) \['x'\]"),
        ("y ~ a + C(k)", {"a": [1.0], "k": [3]}, r"column 'k' has level\(s\) \[3\] .* \[1, 2\]"),
    ],
)
def test_unseen_level_is_refused_naming_column_and_levels(train, formula, new, message):
    X, _ = design_from_formula(formula, train)
    with pytest.raises(ValueError, match=message):
        X.attrs["design"].transform(pd.DataFrame(new))


def test_missing_column_and_missing_values_are_refused(train, new_rows):
    X, _ = design_from_formula("y ~ a + C(g)", train)
    design = X.attrs["design"]
    lacking = r"data lacks the column\(s\) \['g'\] .* columns: 'a', 'b'"
    with pytest.raises(ValueError, match=lacking):
        design.transform(new_rows[["a", "b"]])
    holed = new_rows.assign(a=[1.0, np.nan, 2.0])
    with pytest.raises(ValueError, match=r"1 row\(s\) have missing .* dropna=True"):
        design.transform(holed)
    X_kept = design.transform(holed, dropna=True)
    assert list(X_kept.index) == [0, 2] and X_kept.attrs["dropped_rows"] == [1]
    with pytest.raises(TypeError, match="data must be a pandas DataFrame .* got ndarray"):
        design.transform(new_rows.to_numpy())


def test_design_records_formula_levels_and_survives_copies(train, new_rows):
    X, _ = design_from_formula("y ~ a + C(g) + C(k)", train)
    design = X.attrs["design"]
    assert isinstance(design, FormulaDesign)
    assert design.formula == "y ~ a + C(g) + C(k)" and design.response == "y"
    assert design.columns == tuple(X.columns) and design.intercept is True
    assert design.levels == {"g": ("u", "v", "w"), "k": (1, 2)}
    assert "levels={'g': ('u', 'v', 'w'), 'k': (1, 2)}" in repr(design)
    # slices, copies and pickles of X keep a design that still works
    for copied in (X.iloc[:3], X.copy(), copy.deepcopy(X), pickle.loads(pickle.dumps(X))):
        pd.testing.assert_frame_equal(
            copied.attrs["design"].transform(new_rows), design.transform(new_rows)
        )
    assert design.transform(new_rows).attrs["design"] is design


def test_model_matrices_with_a_design_gives_x_and_y_of_new_rows(train):
    X, y = design_from_formula("y ~ center(a) + C(g)", train)
    test_rows = train.loc[[0, 3, 6]]  # level u only
    X_test, y_test = model_matrices(X.attrs["design"], test_rows, [])
    pd.testing.assert_frame_equal(X_test, X.loc[[0, 3, 6]], check_exact=True)
    pd.testing.assert_series_equal(y_test, y.loc[[0, 3, 6]], check_exact=True)


def test_csv_formula_design_applies_to_new_rows(tmp_path, train, new_rows):
    path = tmp_path / "train.csv"
    train.to_csv(path, index=False)
    X, _ = load_csv(path, formula="y ~ a + C(g)")
    X_new = X.attrs["design"].transform(new_rows)
    assert list(X_new.columns) == ["a", "C(g)[T.v]", "C(g)[T.w]"]
    np.testing.assert_array_equal(X_new[["C(g)[T.v]", "C(g)[T.w]"]].to_numpy(), np.zeros((3, 2)))


def test_attrs_stay_json_so_parquet_still_works(tmp_path, train, new_rows):
    # pandas and pyarrow write DataFrame.attrs as JSON: the design must not break X.to_parquet
    X, _ = design_from_formula("y ~ center(a) + C(g) + C(k)", train)
    stored = json.loads(json.dumps(X.attrs))
    assert stored["design"] == [
        "y ~ center(a) + C(g) + C(k)", "y", list(X.columns), True,
        {"g": ["u", "v", "w"], "k": [1, 2]},
    ]  # fmt: skip
    pytest.importorskip("pyarrow")
    X.to_parquet(tmp_path / "X.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "X.parquet"), X)


def test_design_from_formula_takes_the_training_design(train):
    X, y = design_from_formula("y ~ center(a) + C(g) + C(k)", train)
    rows = [0, 3, 6, 9]  # level u of g only
    X_test, y_test = design_from_formula(X.attrs["design"], train.loc[rows])
    pd.testing.assert_frame_equal(X_test, X.loc[rows], check_exact=True)
    pd.testing.assert_series_equal(y_test, y.loc[rows], check_exact=True)
    with pytest.raises(ValueError, match=r"column 'g' has level\(s\) \['z'\]"):
        design_from_formula(X.attrs["design"], train.assign(g="z"))
    with pytest.raises(ValueError, match=r"names \['y'\], not columns of the data"):
        design_from_formula(X.attrs["design"], train.drop(columns="y"))
