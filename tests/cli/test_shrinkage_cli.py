"""``bayesreg fit`` with the shrinkage priors (issue #14): each prior end to end, bad input."""

import json

import numpy as np
import pandas as pd
import pytest

from bayesreg import priors
from bayesreg.cli import main
from bayesreg.cli.shrinkage import PARAMETERS
from bayesreg.sample.driver import METHODS

#: a short run: these tests check what the command reports, not the posterior's accuracy
SHORT = ["--chains", "1", "--warmup", "60", "--samples", "60", "--seed", "1"]


@pytest.fixture(scope="module")
def tiny_csv(tmp_path_factory):
    rng = np.random.default_rng(14)
    X = rng.normal(size=(30, 4))
    y = X @ np.array([1.5, 0.0, 0.0, -1.0]) + rng.normal(size=30)
    path = tmp_path_factory.mktemp("shrinkage") / "tiny.csv"
    pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(y=y).to_csv(path, index=False)
    return str(path)


# the command-line spelling (dashes) of each shrinkage prior and a parameter it takes
RUNS = [
    ("horseshoe", ["--global-scale", "0.5"]),
    ("horseshoe-plus", []),
    ("regularized-horseshoe", ["--nonzero", "2", "--slab-scale", "1.5", "--slab-df", "5"]),
    ("student-t", ["--df", "4", "--scale", "0.5"]),
    ("r2d2", ["--r2-mean", "0.4", "--r2-precision", "3", "--concentration", "1"]),
]


@pytest.mark.parametrize(("prior", "options"), RUNS)
def test_each_prior_runs_end_to_end(tiny_csv, prior, options, capsys):
    argv = ["fit", tiny_csv, "--target", "y", "--prior", prior, *options, *SHORT, "--json"]
    assert main(argv) == 0
    document = json.loads(capsys.readouterr().out)
    name = prior.replace("-", "_")
    made = priors.shrinkage(name)
    model = document["model"]
    assert model["prior"] == name
    given = dict(zip(options[::2], options[1::2], strict=True))
    for option, value in given.items():  # each option reached the prior
        assert model["prior_params"][option[2:].replace("-", "_")] == float(value)
    posterior = document["posterior"]
    sites = set(posterior["sites"])
    assert {*made.site_names, "coef", "intercept"} <= sites  # the prior's own sites, by name
    labels = {row["weight"].split("[")[0] for row in posterior["diagnostics"]}
    assert set(made.site_names) <= labels
    if made.map_exists:  # Student-t: a MAP, reported as the other priors' MAP
        assert document["map"]["converged"] and model["no_map"] is None
        assert [row["weight"] for row in document["map"]["table"]][:4] == [
            f"coef[{c}]" for c in "abcd"
        ]
    else:
        assert document["map"] is None
        assert "no MAP exists" in model["no_map"]
        assert "HDI" in posterior["summary"]  # the posterior-only summary


def test_text_output_says_why_there_is_no_map_and_names_the_sites(tiny_csv, tmp_path, capsys):
    out = tmp_path / "report"
    argv = [
        "fit",
        tiny_csv,
        "--target",
        "y",
        "--prior",
        "horseshoe_plus",
        *SHORT,
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "prior on each weight horseshoe_plus(global_scale=1)" in text
    lines = text.splitlines()
    no_map = [line for line in lines if line.startswith("no MAP: ")]
    assert len(no_map) == 1 and "density is infinite at zero" in no_map[0]
    assert "\nMAP (" not in text  # no MAP section
    assert "sites: tau, eta[4], lambda[4], coef_z[4]" in text
    report = (out / "report.md").read_text()
    assert "No MAP: " in report and "## Posterior" in report
    assert not (out / "map.csv").exists() and (out / "compare.csv").exists()


def test_help_lists_the_parameters(capsys):
    assert main(["fit", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for dest in PARAMETERS:
        assert f"--{dest.replace('_', '-')} {dest.upper()}" in text
    for name in priors.shrinkage_names():
        assert name in text
    assert "--method" in text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--prior", "horseshoe", "--scale", "1"],
         "--scale does not apply to --prior horseshoe (its options: --global-scale)"),
        (["--prior", "horseshoe", "--slab-scale", "2"],
         "--slab-scale does not apply to --prior horseshoe"),
        (["--prior", "laplace", "--scale", "1", "--global-scale", "1"],
         "--global-scale is a parameter of --prior horseshoe, horseshoe-plus, "
         "regularized-horseshoe, not laplace; leave it out"),
        (["--prior", "student-t", "--l2-scale", "1"], "--l2-scale does not apply to"),
        (["--prior", "regularized-horseshoe", "--slab-scale", "0"],
         "argument --slab-scale: must be a positive finite number; got '0'"),
        (["--prior", "regularized-horseshoe", "--slab-df", "-1"],
         "argument --slab-df: must be a positive finite number; got '-1'"),
        (["--prior", "regularized-horseshoe", "--nonzero", "0"],
         "argument --nonzero: must be a positive finite number; got '0'"),
        (["--prior", "regularized-horseshoe", "--nonzero", "4"],
         "--nonzero (a guess of the number of nonzero weights) must be below the number of "
         "features p = 4; got 4"),
        (["--prior", "regularized-horseshoe", "--nonzero", "2", "--global-scale", "0.1"],
         "not both"),
        (["--prior", "r2d2", "--r2-mean", "1.5"], "r2_mean must lie in (0, 1)"),
        (["--prior", "horseshoe", "--samples", "0"],
         "--prior horseshoe has no MAP, so its fit is its posterior: give --samples > 0"),
        (["--prior", "horseshoe", "--scale", "cv"], "--scale cv chooses the scale of --prior"),
        (["--prior", "gaussian"], "--prior gaussian needs its prior scale: give --scale"),
        (["--prior", "horseshoe", "--method", "metropolis"], "argument --method: invalid choice"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_one_line(tiny_csv, options, message, capsys):
    assert main(["fit", tiny_csv, "--target", "y", *SHORT, *options]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert captured.out == ""


NO_GIBBS = pytest.mark.skipif("gibbs" not in METHODS, reason="no Gibbs kernel on this branch")


@pytest.mark.parametrize(
    ("prior", "method", "message"),
    [
        ("horseshoe", "exact", "--method exact: method='exact' does not apply"),
        pytest.param("r2d2", "gibbs", "the r2d2 prior has none; Gibbs conditionals exist for",
                     marks=NO_GIBBS),
    ],
)  # fmt: skip
def test_a_sampler_that_does_not_apply_is_a_usage_error(tiny_csv, prior, method, message, capsys):
    argv = ["fit", tiny_csv, "--target", "y", "--prior", prior, "--method", method]
    assert main([*argv, *SHORT]) == 2
    err = capsys.readouterr().err  # the header was printed before the sampler refused
    assert message in err
    assert len(err.strip().splitlines()) == 1


@NO_GIBBS
def test_method_gibbs_samples_the_horseshoe(tiny_csv, capsys):
    argv = ["fit", tiny_csv, "--target", "y", "--prior", "horseshoe", "--method", "gibbs"]
    assert main([*argv, *SHORT, "--json"]) == 0
    posterior = json.loads(capsys.readouterr().out)["posterior"]
    assert posterior["method"] == "gibbs"
    assert {"tau", "lambda", "coef"} <= set(posterior["sites"])
