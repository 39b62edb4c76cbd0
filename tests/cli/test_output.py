"""``bayesreg`` output: progress on a terminal only, ``--quiet``, and ``--json`` documents."""

import json
import math
import sys

import numpy as np
import pandas as pd
import pytest

from bayesreg.cli import main, verify

SIGMA = 54.0


@pytest.fixture(scope="module")
def diabetes_csv(tmp_path_factory):
    from sklearn.datasets import load_diabetes

    data = load_diabetes(as_frame=True)
    path = tmp_path_factory.mktemp("output") / "diabetes.csv"
    data.data.assign(y=data.target).to_csv(path, index=False)
    return path


@pytest.fixture
def sampled(monkeypatch):
    """Record the ``progress_bar`` that ``bayesreg fit`` passes to ``sample_posterior``."""
    from bayesreg import sample

    real, seen = sample.sample_posterior, []

    def spy(*args, **kwargs):
        seen.append(kwargs["progress_bar"])
        return real(*args, **kwargs)

    monkeypatch.setattr(sample, "sample_posterior", spy)
    return seen


# the exact sampler (Normal prior, known sigma): a posterior in well under a second
FAST = ["--target", "y", "--prior", "gaussian", "--scale", "50", "--sigma", str(SIGMA),
        "--samples", "20", "--chains", "2"]  # fmt: skip


@pytest.mark.parametrize(
    ("terminal", "options", "shown"),
    [(True, [], True), (True, ["--quiet"], False), (False, [], False)],
)
def test_progress_only_on_a_terminal_and_never_on_stdout(
    diabetes_csv, sampled, monkeypatch, capsys, terminal, options, shown
):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: terminal)
    assert main(["fit", str(diabetes_csv), *FAST, *options]) == 0
    out, err = capsys.readouterr()
    assert sampled == [shown]
    assert ("bayesreg fit: MAP ... done in" in err) is shown
    assert ("bayesreg fit: sampling the posterior, 2 chain(s) x 20 draws" in err) is shown
    assert "done in" not in out and "sampling" not in out
    assert "MAP vs posterior (exact, 2 chain(s) x 20 draws" in out


def test_fit_json_is_one_document_with_every_table(diabetes_csv, sampled, tmp_path, monkeypatch,
                                                   capsys):  # fmt: skip
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # progress may go to stderr only
    out_dir = tmp_path / "report"
    argv = ["fit", str(diabetes_csv), *FAST, "--out", str(out_dir), "--json"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    document = json.loads(out)  # stdout is the document and nothing else
    assert "bayesreg fit: MAP ... done in" in err

    assert document["command"] == "fit"
    assert document["data"] == {"path": str(diabetes_csv), "n": 442, "p": 10, "target": "y",
                                "formula": None, "dropped_csv_lines": []}  # fmt: skip
    model = document["model"]
    assert (model["prior"], model["tau"], model["sigma"]) == ("gaussian", 50.0, SIGMA)
    assert model["b"] is None  # a Normal prior has no Laplace scale: inf is written as null
    assert document["map"]["equivalent_penalty"] == f"Ridge(alpha={SIGMA**2 / 50.0**2:.6g})"

    # every table as records keyed by column and row label, the same numbers as the CSV files
    written = pd.read_csv(out_dir / "map.csv", index_col="weight")
    table = pd.DataFrame(document["map"]["table"]).set_index("weight")
    pd.testing.assert_frame_equal(table, written, check_exact=False, rtol=1e-12)
    for key, name in (("compare", "compare.csv"), ("diagnostics", "diagnostics.csv")):
        records = document["posterior"][key]
        written = pd.read_csv(out_dir / name, index_col="weight")
        assert [record["weight"] for record in records] == list(written.index)
        assert set(records[0]) == {"weight", *written.columns}
        ours = pd.DataFrame(records).set_index("weight")[written.columns]
        pd.testing.assert_frame_equal(ours, written, check_exact=False, rtol=1e-12,
                                      check_dtype=False)  # fmt: skip
    posterior = document["posterior"]
    assert (posterior["method"], posterior["num_chains"], posterior["num_samples"]) == (
        "exact", 2, 20,
    )  # fmt: skip
    assert posterior["max_r_hat"] == pytest.approx(written["r_hat"].max())
    assert document["report"] == str(out_dir / "report.md")


def test_fit_json_with_a_sigma_prior_and_map_only(diabetes_csv, capsys):
    from sklearn.linear_model import Lasso

    argv = ["fit", str(diabetes_csv), "--target", "y", "--scale", "20", "--sigma-prior",
            "halfnormal:100", "--samples", "0", "--json"]  # fmt: skip
    assert main(argv) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["posterior"] is None and document["scale"] is None
    assert document["model"]["sigma"] is None
    assert document["model"]["sigma_prior"] == "halfnormal:100"
    assert document["map"]["penalty_at_map_sigma"] is True
    table = {row["weight"]: row["map"] for row in document["map"]["table"]}
    # the joint MAP: for its sigma, the weights are the lasso at alpha = sigma² / (n b)
    frame = pd.read_csv(diabetes_csv)
    alpha = table["sigma"] ** 2 / (442 * 20.0)
    lasso = Lasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(frame.drop(columns="y"), frame.y)
    coef = [table[f"coef[{name}]"] for name in lasso.feature_names_in_]
    np.testing.assert_allclose(coef, lasso.coef_, atol=1e-4)


def test_json_usage_error_leaves_stdout_empty(diabetes_csv, capsys):
    assert main(["fit", str(diabetes_csv), "--target", "nope", "--scale", "1", "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "target column 'nope' not found" in err


def test_json_sends_stray_prints_to_stderr(capsys, monkeypatch):
    """Whatever else runs in --json mode and prints (a library, say) does not reach stdout."""
    from bayesreg.cli import convert

    real = convert._from_penalty

    def chatty(*args, **kwargs):
        print("a library's chatter")
        return real(*args, **kwargs)

    monkeypatch.setattr(convert, "_from_penalty", chatty)
    argv = ["convert", "--from", "lasso", "--alpha", "0.1", "--n", "442", "--sigma", "50"]
    assert main([*argv, "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["convention"] == "lasso"
    assert "a library's chatter" in err


# --- convert ---------------------------------------------------------------------------------


def test_convert_json_both_directions(capsys):
    argv = ["convert", "--from", "lasso", "--alpha", "0.1", "--n", "442", "--sigma", "50"]
    assert main([*argv, "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["direction"] == "from" and found["penalty"] == {"alpha": 0.1}
    assert found["prior"]["name"] == "laplace"
    assert found["prior"]["b"] == pytest.approx(50.0**2 / (442 * 0.1), rel=1e-12)
    assert found["prior"]["tau"] is None  # inf: no Normal part
    assert (found["n"], found["sigma"]) == (442, 50.0)
    assert found["fit_options"].startswith("--prior laplace --scale 56.56")

    argv = ["convert", "--to", "elastic_net", "--prior", "elastic_net", "--scale", "5",
            "--l2-scale", "50", "--n", "100", "--sigma", "3", "--json"]  # fmt: skip
    assert main(argv) == 0
    back = json.loads(capsys.readouterr().out)
    weight = 1 / 5 + 1 / 50**2  # alpha = sigma²/n (1/b + 1/tau²), l1_ratio = (1/b) / that
    assert back["penalty"]["alpha"] == pytest.approx(9 / 100 * weight, rel=1e-12)
    assert back["penalty"]["l1_ratio"] == pytest.approx(0.2 / weight, rel=1e-12)
    assert (back["prior"]["b"], back["prior"]["tau"]) == (5.0, 50.0)
    assert back["call"].startswith("ElasticNet(alpha=")


# --- verify ----------------------------------------------------------------------------------

GRID = (("laplace", (20.0,)), ("gaussian", (50.0,)))


def test_verify_json_and_legend(monkeypatch, capsys):
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Lasso

    monkeypatch.setattr(verify, "DEFAULT_GRID", GRID)
    assert main(["verify", "--autodelta-steps", "50", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["agrees"] is True and (document["n"], document["p"]) == (442, 10)
    rows = document["table"]
    assert [row["prior"] for row in rows] == ["laplace", "gaussian"]
    assert list(rows[0]) == list(document["columns"]) == list(verify.COLUMNS)
    # the Lasso zeros, counted independently
    X, y = load_diabetes(return_X_y=True)
    alpha = document["sigma"] ** 2 / (len(y) * 20.0)
    lasso = Lasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(X, y)
    assert rows[0]["zeros_sklearn"] == rows[0]["zeros_bayesreg"] == int(np.sum(lasso.coef_ == 0))
    assert rows[0]["zeros_numpyro_adam"] == 0
    assert all(math.isfinite(row["max_abs_dcoef"]) and row["max_abs_dcoef"] <= 1e-6 for row in rows)

    assert main(["verify", "--autodelta-steps", "0"]) == 0
    printed = capsys.readouterr().out
    header = next(line for line in printed.splitlines() if line.lstrip().startswith("prior"))
    legend = printed[printed.index("columns: ") :]
    assert "zeros_numpyro_adam" not in header  # skipped: no column of None
    for column in header.split():  # every column printed is explained under the table
        assert f"{column} = " in " ".join(legend.split())


def test_stage_lines_end_their_line_when_a_stage_fails(capsys):
    from bayesreg.cli.output import Stages

    stage = Stages("bayesreg fit", enabled=True)
    with pytest.raises(ValueError), stage("MAP"):
        raise ValueError("no MAP")
    print("bayesreg fit: failed: ValueError: no MAP", file=sys.stderr)
    assert capsys.readouterr().err.splitlines() == [
        "bayesreg fit: MAP ...",
        "bayesreg fit: failed: ValueError: no MAP",
    ]
    with Stages("bayesreg fit", enabled=False)("MAP"):
        pass
    assert capsys.readouterr().err == ""
