"""The ``bayesreg`` command line: fit on a CSV file, convert, verify, demo, bad input."""

import math
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from bayesreg.cli import main
from bayesreg.cli.verify import verify_table

SIGMA = 54.0  # known noise sd for the diabetes fits (about the least-squares residual sd)
N = 442


@pytest.fixture(scope="module")
def diabetes_csv(tmp_path_factory):
    from sklearn.datasets import load_diabetes

    data = load_diabetes(as_frame=True)
    frame = data.data.assign(y=data.target)
    path = tmp_path_factory.mktemp("cli") / "diabetes.csv"
    frame.to_csv(path, index=False)
    return path


def _values(text: str) -> dict[str, float]:
    """The ``name = value`` lines that ``bayesreg convert`` prints."""
    return {k: float(v) for k, v in re.findall(r"^(\w+) = (\S+)$", text, flags=re.M)}


def test_verify_table_agrees_with_scikit_learn():
    grid = (("gaussian", (50.0,)), ("laplace", (20.0,)), ("elastic_net", (5.0, 50.0)))
    table = verify_table(grid, autodelta_steps=500)
    assert list(table["prior"]) == ["gaussian", "laplace", "elastic_net"]
    assert table["same_zero_set"].all()
    assert (table["max_abs_dcoef"] <= 1e-6).all()
    laplace_row = table.iloc[1]
    assert laplace_row["zeros_sklearn"] >= 1
    assert laplace_row["zeros_numpyro_adam"] == 0  # Adam never lands on the kink
    assert laplace_row["sklearn"].startswith("Lasso(alpha=")


def test_verify_command_prints_the_table(capsys):
    assert main(["verify", "--autodelta-steps", "0"]) == 0
    out = capsys.readouterr().out
    assert "Lasso(alpha=" in out and "ElasticNet(alpha=" in out
    assert "all zero sets identical" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["verify", "--sigma", "-1"], "--sigma must be positive"),
        (["verify", "--autodelta-steps", "-3"], "--autodelta-steps must be >= 0"),
        (["frobnicate"], "invalid choice"),
        (["fit", "no/such/file.csv", "--target", "y", "--scale", "1"], "not found"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv, message):
    result = subprocess.run(
        [sys.executable, "-m", "bayesreg.cli", *argv], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_help_for_every_command(capsys):
    result = subprocess.run(
        [sys.executable, "-m", "bayesreg.cli", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "usage: bayesreg" in result.stdout
    for command in ("fit", "convert", "verify", "demo"):
        assert main([command, "--help"]) == 0
        assert f"usage: bayesreg {command}" in capsys.readouterr().out


# --- bayesreg fit ---------------------------------------------------------------------------


def test_fit_session_map_is_the_lasso_at_the_converted_alpha(diabetes_csv, tmp_path, capsys):
    from sklearn.linear_model import Lasso

    scale = 20.0
    assert main(["convert", "--to", "lasso", "--scale", "20", "--n", "442", "--sigma", "54"]) == 0
    alpha = _values(capsys.readouterr().out)["alpha"]
    assert alpha == pytest.approx(SIGMA**2 / (N * scale), rel=1e-9)

    out = tmp_path / "report"
    argv = ["fit", str(diabetes_csv), "--target", "y", "--prior", "laplace", "--scale", "20",
            "--sigma", "54", "--samples", "100", "--warmup", "150", "--chains", "2",
            "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert f"equals Lasso(alpha={alpha:.6g})" in printed
    assert "MAP vs posterior (nuts, 2 chain(s) x 100 draws" in printed
    assert "exactly to zero" in printed  # the compare summary

    table = pd.read_csv(out / "map.csv", index_col="weight")["map"]
    lasso = Lasso(alpha=alpha, tol=1e-12, max_iter=100_000)
    lasso.fit(pd.read_csv(diabetes_csv).drop(columns="y"), pd.read_csv(diabetes_csv)["y"])
    names = [f"coef[{c}]" for c in lasso.feature_names_in_]
    np.testing.assert_allclose(table[names], lasso.coef_, atol=1e-6)
    assert table["intercept"] == pytest.approx(lasso.intercept_, abs=1e-6)
    np.testing.assert_array_equal(table[names] == 0, lasso.coef_ == 0)  # the same exact zeros

    compare = pd.read_csv(out / "compare.csv", index_col="weight")
    assert list(compare.index) == [*names, "intercept"]
    np.testing.assert_allclose(compare["map"], table[compare.index])
    zeros = [name for name in names if table[name] == 0]
    assert (compare.loc[zeros, "mean"] != 0).all()  # the posterior mean is not sparse
    for name in ("report.md", "diagnostics.csv", "forest.png", "densities.png"):
        assert (out / name).stat().st_size > 0
    report = (out / "report.md").read_text()
    assert "Lasso(alpha=" in report and "![forest](forest.png)" in report


def test_fit_map_only_ridge_and_formula(diabetes_csv, tmp_path, capsys):
    from sklearn.linear_model import Ridge

    frame = pd.read_csv(diabetes_csv)
    out = tmp_path / "ridge"
    argv = ["fit", str(diabetes_csv), "--formula", "y ~ bmi + bp + bmi:bp", "--prior",
            "gaussian", "--scale", "100", "--sigma", "54", "--samples", "0",
            "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    assert "MAP vs posterior" not in capsys.readouterr().out
    assert not (out / "compare.csv").exists()
    table = pd.read_csv(out / "map.csv", index_col="weight")["map"]
    X = frame[["bmi", "bp"]].assign(**{"bmi:bp": frame["bmi"] * frame["bp"]})
    ridge = Ridge(alpha=SIGMA**2 / 100.0**2, solver="svd").fit(X, frame["y"])
    np.testing.assert_allclose(
        table[["coef[bmi]", "coef[bp]", "coef[bmi:bp]"]], ridge.coef_, rtol=1e-8, atol=1e-6
    )


def test_fit_with_a_sigma_prior_and_dropna(diabetes_csv, tmp_path, capsys):
    frame = pd.read_csv(diabetes_csv)
    frame.loc[[0, 4], "bmi"] = np.nan
    path = tmp_path / "holes.csv"
    frame.to_csv(path, index=False)
    argv = ["fit", str(path), "--target", "y", "--scale", "20", "--sigma-prior",
            "halfnormal:100", "--samples", "0"]  # fmt: skip
    assert main(argv) == 2
    assert "CSV lines 2, 6" in capsys.readouterr().err
    assert main([*argv, "--dropna", "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "dropped 2 row(s) with missing values (CSV lines 2, 6)" in printed
    assert "n = 440" in printed and "at the MAP sigma" in printed
    table = pd.read_csv(tmp_path / "out" / "map.csv", index_col="weight")["map"]
    assert table["sigma"] > 0


def test_fit_logistic(tmp_path, capsys, rng):
    from sklearn.linear_model import LogisticRegression

    X = rng.normal(size=(80, 3))
    y = (X @ np.array([1.5, 0.0, -1.0]) + rng.normal(size=80) > 0).astype(int)
    path = tmp_path / "labels.csv"
    pd.DataFrame(X, columns=["a", "b", "c"]).assign(label=y).to_csv(path, index=False)
    argv = ["fit", str(path), "--target", "label", "--likelihood", "logistic", "--prior",
            "gaussian", "--scale", "2", "--samples", "0",
            "--out", str(tmp_path / "out")]  # fmt: skip
    assert main(argv) == 0
    assert "LogisticRegression(C=4, l1_ratio=0)" in capsys.readouterr().out
    table = pd.read_csv(tmp_path / "out" / "map.csv", index_col="weight")["map"]
    sk = LogisticRegression(C=4.0, tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(table[["coef[a]", "coef[b]", "coef[c]"]], sk.coef_[0], atol=1e-5)


@pytest.fixture
def bad_csvs(diabetes_csv, tmp_path):
    frame = pd.read_csv(diabetes_csv)
    text = tmp_path / "text.csv"
    frame.assign(group=["a", "b"] * (N // 2)).to_csv(text, index=False)
    holes = tmp_path / "holes.csv"
    frame.assign(bmi=frame["bmi"].where(frame.index != 3)).to_csv(holes, index=False)
    return {"good": str(diabetes_csv), "text": str(text), "holes": str(holes)}


@pytest.mark.parametrize(
    ("csv", "options", "message"),
    [
        ("good", ["--target", "z"], "target column 'z' not found; available columns: 'age'"),
        ("text", ["--target", "y"], "non-numeric column(s) ['group']; encode them with a formula"),
        ("holes", ["--target", "y"], "1 row(s) have missing or non-finite values"),
        ("missing", ["--target", "y"], "data file 'missing.csv' not found"),
        ("good", ["--target", "y", "--prior", "cauchy"], "argument --prior: invalid choice"),
        ("good", ["--target", "y", "--prior", "elastic_net"], "tau: give --l2-scale TAU"),
        ("good", ["--target", "y", "--l2-scale", "3"], "--l2-scale applies only to"),
        ("good", ["--target", "y", "--sigma-prior", "halfnormal"], "expected NAME:VALUE"),
        ("good", ["--target", "y", "--sigma-prior", "gamma:2"], "unknown prior 'gamma'"),
        ("good", ["--target", "y", "--sigma-prior", "halfcauchy:x"], "must be a positive number"),
        ("good", ["--target", "y", "--sigma", "-2"], "--sigma must be positive"),
        ("good", ["--target", "y", "--sigma", "2", "--sigma-prior", "halfnormal:1"], "not allowed"),
        ("good", ["--target", "y", "--likelihood", "logistic"], "needs 0/1 labels in 'y'"),
        ("good", ["--target", "y", "--likelihood", "poisson", "--sigma", "2"], "linear, not"),
        ("good", ["--formula", "y ~ bmi + nope"], "names ['nope'], not columns"),
        ("good", ["--target", "y", "--samples", "-1"], "argument --samples: must be >= 0"),
    ],
)
def test_fit_bad_input_exits_2_with_one_line(bad_csvs, csv, options, message, capsys):
    path = bad_csvs.get(csv, "missing.csv")
    assert main(["fit", path, "--scale", "20", "--samples", "0", *options]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert captured.out == ""


# --- bayesreg convert -----------------------------------------------------------------------


def _convert(capsys, *argv: str) -> dict[str, float]:
    assert main(["convert", *argv]) == 0
    return _values(capsys.readouterr().out)


def test_convert_lasso_example(capsys):
    b = _convert(capsys, "--from", "lasso", "--alpha", "0.1", "--n", "442", "--sigma", "50")["b"]
    assert b == pytest.approx(50.0**2 / (442 * 0.1), rel=1e-9)  # alpha = sigma²/(n b)
    alpha = _convert(capsys, "--to", "lasso", "--scale", str(b), "--n", "442", "--sigma", "50")
    assert alpha["alpha"] == pytest.approx(0.1, rel=1e-9)


# (convention, penalty options, prior options of the same fit, formula for the prior scales)
n, s = 100, 3.0
CASES = [
    ("ridge", {"--alpha": 0.5}, ("gaussian", math.inf, s / math.sqrt(0.5)), ["--sigma", "3"]),
    ("lasso", {"--alpha": 0.5}, ("laplace", s**2 / (n * 0.5), math.inf),
     ["--n", "100", "--sigma", "3"]),
    (
        "elastic_net",
        {"--alpha": 0.5, "--l1-ratio": 0.25},
        ("elastic_net", s**2 / (n * 0.5 * 0.25), math.sqrt(s**2 / (n * 0.5 * 0.75))),
        ["--n", "100", "--sigma", "3"],
    ),
    ("logistic", {"--C": 2.0, "--l1-ratio": 1.0}, ("laplace", 2.0, math.inf), []),
    ("logistic", {"--C": 2.0, "--l1-ratio": 0.0}, ("gaussian", math.inf, math.sqrt(2.0)), []),
    ("poisson", {"--alpha": 0.01}, ("gaussian", math.inf, 1 / math.sqrt(n * 0.01)), ["--n", "100"]),
    (
        "glmnet",
        {"--lambda": 0.2, "--alpha": 0.5},
        ("elastic_net", s**2 / (n * 0.2 * 0.5), math.sqrt(s**2 / (n * 0.2 * 0.5))),
        ["--n", "100", "--sigma", "3"],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "penalty", "prior", "context"), CASES)
def test_convert_round_trip_matches_the_formulas(capsys, name, penalty, prior, context):
    options = [str(x) for item in penalty.items() for x in item]
    scales = _convert(capsys, "--from", name, *options, *context)
    family, b, tau = prior
    assert scales["b"] == pytest.approx(b, rel=1e-9)
    assert scales["tau"] == pytest.approx(tau, rel=1e-9)

    back = ["--to", name, "--prior", family]
    back += ["--scale", repr(tau if family == "gaussian" else b)]
    if family == "elastic_net":
        back += ["--l2-scale", repr(tau)]
    params = _convert(capsys, *back, *context)
    for flag, value in penalty.items():
        key = {"--l1-ratio": "l1_ratio", "--C": "C"}.get(flag, flag.lstrip("-"))
        assert params[key] == pytest.approx(value, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "lasso", "--alpha", "0.1", "--sigma", "1"],
         "converting from lasso needs the number of rows: give --n N"),
        (["--from", "lasso", "--alpha", "-1", "--n", "5", "--sigma", "1"], "alpha must be"),
        (["--from", "ridge", "--C", "1", "--sigma", "1"],
         "--C does not apply to ridge (its parameters: --alpha); leave it out"),
        (["--from", "ridge", "--alpha", "1"],
         "converting from ridge needs the Gaussian noise sd: give --sigma SIGMA"),
        (["--from", "elastic_net", "--alpha", "1", "--n", "3", "--sigma", "1"],
         "converting from elastic_net needs its penalty parameters: give --l1-ratio L1_RATIO"),
        (["--from", "logistic", "--C", "1", "--l1-ratio", "0", "--sigma", "2"], "--sigma does not"),
        (["--to", "logistic", "--scale", "2"],
         "converting to logistic needs the prior: give --prior NAME, one of gaussian, laplace"),
        (["--to", "ridge", "--prior", "laplace", "--scale", "1", "--sigma", "1"], "not laplace"),
        (["--to", "lasso", "--n", "5", "--sigma", "1"],
         "converting to lasso needs the prior's Laplace scale b: give --scale SCALE"),
        (["--to", "elastic_net", "--prior", "elastic_net", "--scale", "1", "--n", "5", "--sigma",
          "1"], "--prior elastic_net needs the Normal scale tau: give --l2-scale L2_SCALE"),
        (["--from", "lasso", "--to", "ridge"], "not allowed with argument"),
        (["--from", "ols"], "invalid choice: 'ols'"),
    ],
)  # fmt: skip
def test_convert_bad_input_exits_2_with_one_line(capsys, argv, message):
    assert main(["convert", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("switch", "passed"),
    [([], "auto"), (["--log-likelihood"], True), (["--no-log-likelihood"], False)],
)
def test_fit_log_likelihood_switch(diabetes_csv, monkeypatch, capsys, switch, passed):
    """The switch reaches sample_posterior; the posterior it returns has the group or not."""
    from bayesreg import sample

    real, seen = sample.sample_posterior, []

    def spy(*args, **kwargs):
        seen.append(real(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(sample, "sample_posterior", spy)
    argv = ["fit", str(diabetes_csv), "--target", "y", "--prior", "gaussian", "--scale", "50",
            "--sigma", "54", "--samples", "20", "--chains", "2", *switch]  # fmt: skip
    assert main(argv) == 0
    capsys.readouterr()
    (post,) = seen
    # the exact sampler here: 442 x 2 x 20 x 8 bytes is far below the budget, so "auto" keeps it
    assert ("log_likelihood" in post.idata.groups()) is (passed is not False)
    if passed is True or passed == "auto":
        assert post.idata.log_likelihood["y"].shape == (2, 20, N)


def test_log_likelihood_switch_in_help(capsys):
    assert main(["fit", "--help"]) == 0
    assert "--log-likelihood, --no-log-likelihood" in capsys.readouterr().out
