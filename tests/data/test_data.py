"""CSV / DataFrame / formula loading: design matrices, encodings and refusals of bad input."""

import numpy as np
import pandas as pd
import pytest

from bayesreg.data import design_from_formula, design_from_frame, load_csv


@pytest.fixture
def frame(rng) -> pd.DataFrame:
    n = 12
    return pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "g": ["u", "v", "w"] * (n // 3),
        }
    )


def test_interaction_column_is_the_product(frame):
    X, y = design_from_formula("y ~ a + b + a:b", frame)
    assert list(X.columns) == ["a", "b", "a:b"]
    np.testing.assert_array_equal(X["a:b"], frame["a"] * frame["b"])
    np.testing.assert_array_equal(y, frame["y"])
    assert y.name == "y"
    assert X.attrs["intercept"] is True  # the model adds a flat intercept ...
    assert "Intercept" not in X.columns  # ... so formulaic's column is dropped


def test_star_expands_to_main_effects_and_interaction(frame):
    X, _ = design_from_formula("y ~ a*b", frame)
    assert list(X.columns) == ["a", "b", "a:b"]
    expected = np.column_stack([frame["a"], frame["b"], frame["a"] * frame["b"]])
    np.testing.assert_array_equal(X.to_numpy(), expected)


def test_categorical_is_treatment_coded_against_the_first_level(frame):
    X, _ = design_from_formula("y ~ a + C(g)", frame)
    assert list(X.columns) == ["a", "C(g)[T.v]", "C(g)[T.w]"]
    np.testing.assert_array_equal(X["C(g)[T.v]"], (frame["g"] == "v").astype(float))
    np.testing.assert_array_equal(X["C(g)[T.w]"], (frame["g"] == "w").astype(float))
    assert all(dtype == np.float64 for dtype in X.dtypes)
    # reduced rank: with the model's intercept the design stays full rank
    design = np.column_stack([np.ones(len(X)), X])
    assert np.linalg.matrix_rank(design) == design.shape[1]


def test_string_column_is_categorical_without_c(frame):
    X, _ = design_from_formula("y ~ g", frame)
    assert list(X.columns) == ["g[T.v]", "g[T.w]"]
    np.testing.assert_array_equal(X["g[T.v]"], (frame["g"] == "v").astype(float))
    np.testing.assert_array_equal(X["g[T.w]"], (frame["g"] == "w").astype(float))


def test_formula_without_intercept_keeps_full_coding_and_says_so(frame):
    X, _ = design_from_formula("y ~ 0 + g", frame)
    assert list(X.columns) == ["g[u]", "g[v]", "g[w]"]
    assert X.attrs["intercept"] is False
    for level in "uvw":  # full rank: one indicator per level, no reference level
        np.testing.assert_array_equal(X[f"g[{level}]"], (frame["g"] == level).astype(float))


def test_transforms_of_columns(frame):
    X, _ = design_from_formula("y ~ exp(a) + log(b ** 2)", frame)
    np.testing.assert_allclose(X["exp(a)"], np.exp(frame["a"]))
    np.testing.assert_allclose(X["log(b ** 2)"], np.log(frame["b"] ** 2))


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("y ~ a + q", "names ['q'], not columns of the data; available columns: 'y', 'a'"),
        ("~ a", "no response on the left"),
        ("a + b", "must be a string 'response ~ terms'"),
        ("y ~ a +", "cannot parse formula"),
        ("g ~ a", "left side of 'g ~ a' must give one numeric column"),
        ("y ~ 1", "no terms besides the intercept"),
    ],
)
def test_bad_formulas_say_what_to_fix(frame, formula, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(")):
        design_from_formula(formula, frame)


def test_target_split_keeps_column_names(frame):
    X, y = design_from_frame(frame.drop(columns="g").assign(flag=True), target="y")
    assert list(X.columns) == ["a", "b", "flag"]
    assert (X["flag"] == 1.0).all() and all(dtype == np.float64 for dtype in X.dtypes)
    assert y.name == "y"


def test_missing_target_lists_the_columns(frame):
    with pytest.raises(ValueError, match="target column 'z' not found; available columns: 'y', "):
        design_from_frame(frame, target="z")


def test_non_numeric_column_is_refused_with_a_formula_suggestion(frame):
    suggestion = r"non-numeric column\(s\) \['g'\].*'y ~ a \+ b \+ C\(g\)'"
    with pytest.raises(ValueError, match=suggestion):
        design_from_frame(frame, target="y")


def test_target_and_formula_must_agree(frame):
    with pytest.raises(ValueError, match="differs from the left side"):
        design_from_frame(frame, target="a", formula="y ~ b")
    X, y = design_from_frame(frame, target="y", formula="y ~ b")
    assert list(X.columns) == ["b"]


def test_nan_rows_refused_by_default_and_dropped_on_request(frame):
    frame.loc[[2, 7], "a"] = np.nan
    frame.loc[9, "b"] = np.inf
    with pytest.raises(ValueError, match=r"3 row\(s\) have missing .* rows 2, 7, 9\); drop them"):
        design_from_frame(frame.drop(columns="g"), target="y")
    X, y = design_from_frame(frame.drop(columns="g"), target="y", dropna=True)
    assert len(X) == len(y) == 9 and X.attrs["dropped_rows"] == [2, 7, 9]
    # a formula only checks the variables it uses
    X, _ = design_from_formula("y ~ b", frame, dropna=True)
    assert X.attrs["dropped_rows"] == [9]
    with pytest.raises(ValueError, match="missing or non-finite"):
        design_from_formula("y ~ a", frame)


def test_load_csv_names_rows_by_file_line(tmp_path, frame):
    frame.loc[3, "a"] = np.nan
    path = tmp_path / "data.csv"
    frame.drop(columns="g").to_csv(path, index=False)
    with pytest.raises(ValueError, match="CSV lines 5\\)"):  # header is line 1, row 3 is line 5
        load_csv(path, target="y")
    X, y = load_csv(path, target="y", dropna=True)
    assert X.attrs["dropped_rows"] == [5] and X.shape == (11, 2)
    frame.to_csv(path, index=False)
    X, y = load_csv(path, formula="y ~ b + C(g)")
    assert list(X.columns) == ["b", "C(g)[T.v]", "C(g)[T.w]"]


def test_load_csv_missing_or_unreadable_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="data file .*nope.csv' not found"):
        load_csv(tmp_path / "nope.csv", target="y")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ValueError, match="cannot read .* as CSV"):
        load_csv(empty, target="y")


def test_formula_design_feeds_the_models(frame):
    import bayesreg as br

    X, y = design_from_formula("y ~ a + b + a:b + C(g)", frame)
    fit = br.map_estimate(
        br.models.linear, X, y, prior=br.models.gaussian(1.0), sigma=1.0,
        feature_names=list(X.columns),
    )  # fmt: skip
    # ridge normal equations with a free intercept: (Z^T Z + diag(0, 1, ..., 1)) theta = Z^T y
    Z = np.column_stack([np.ones(len(X)), X.to_numpy()])
    theta = np.linalg.solve(Z.T @ Z + np.diag([0.0] + [1.0] * X.shape[1]), Z.T @ y.to_numpy())
    np.testing.assert_allclose(fit.params["coef"], theta[1:], atol=1e-8)
    np.testing.assert_allclose(fit.params["intercept"], theta[0], atol=1e-8)


# ---------------------------------------------------------------------------------------------
# repeated column names: refused wherever a table enters (one 'a' would silently be lost)


@pytest.fixture
def repeated(rng) -> pd.DataFrame:
    data = pd.DataFrame(rng.normal(size=(8, 4)), columns=["y", "a", "a", "b"])
    return data


DUPLICATE = r"duplicate column names: 'a' \(2 times\); column names must be unique"


def test_repeated_columns_refused_in_frames(repeated):
    with pytest.raises(ValueError, match=DUPLICATE):
        design_from_frame(repeated, target="y")
    with pytest.raises(ValueError, match=DUPLICATE):
        design_from_frame(repeated, formula="y ~ b")
    with pytest.raises(ValueError, match=DUPLICATE):
        design_from_formula("y ~ a + b", repeated)


def test_repeated_columns_refused_in_csv_headers(tmp_path, repeated):
    path = tmp_path / "repeated.csv"
    repeated.to_csv(path, index=False)
    assert path.read_text().splitlines()[0] == "y,a,a,b"
    # pandas alone would rename the second 'a' to 'a.1' and fit it as another feature
    assert list(pd.read_csv(path).columns) == ["y", "a", "a.1", "b"]
    with pytest.raises(ValueError, match="CSV file .*repeated.csv' has " + DUPLICATE):
        load_csv(path, target="y")
    with pytest.raises(ValueError, match=DUPLICATE):
        load_csv(path, formula="y ~ b")
    # a real column named 'a.1' is not a repeat
    path.write_text("y,a,a.1\n1,2,3\n2,3,5\n3,1,1\n")
    X, _ = load_csv(path, target="y")
    assert list(X.columns) == ["a", "a.1"]


def test_columns_repeated_as_text_are_refused(rng):
    data = pd.DataFrame(rng.normal(size=(5, 3)), columns=["y", 1, "1"])
    with pytest.raises(ValueError, match=r"duplicate column names: '1' \(2 times\)"):
        design_from_frame(data, target="y")


def test_repeated_feature_names_refused_by_the_solvers():
    import bayesreg as br

    X = pd.DataFrame(np.random.default_rng(0).normal(size=(20, 3)), columns=["a", "a", "b"])
    with pytest.raises(ValueError, match=r"feature_names has duplicate column names: 'a' \(2"):
        br.map_estimate(br.models.linear, X, np.ones(20), prior=br.models.gaussian(1.0), sigma=1.0)
    with pytest.raises(ValueError, match=r"duplicate column names: 'x' \(2"):
        br.sample_posterior(
            br.models.linear, X.to_numpy(), np.ones(20), feature_names=["x", "x", "z"],
            prior=br.models.gaussian(1.0), sigma=1.0,
        )  # fmt: skip
