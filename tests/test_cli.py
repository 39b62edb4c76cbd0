"""The ``bayesreg`` command line."""

import subprocess
import sys

import pytest

from bayesreg.cli import main
from bayesreg.verify import verify_table


def test_verify_table_agrees_with_scikit_learn():
    grid = (("gaussian", (50.0,)), ("laplace", (20.0,)), ("elastic_net", (5.0, 50.0)))
    table = verify_table(grid, autodelta_steps=500)
    assert list(table["prior"]) == ["gaussian", "laplace", "elastic_net"]
    assert table["same_zero_set"].all()
    assert (table["max_abs_dcoef"] <= 1e-6).all()
    laplace_row = table.iloc[1]
    assert laplace_row["zeros_sklearn"] >= 1
    assert laplace_row["zeros_autodelta"] == 0  # Adam never lands on the kink
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
    ],
)
def test_usage_errors_exit_2_with_one_line(argv, message):
    result = subprocess.run(
        [sys.executable, "-m", "bayesreg.cli", *argv], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert message in result.stderr


def test_help_for_every_command():
    for argv in (["--help"], ["verify", "--help"], ["demo", "--help"]):
        result = subprocess.run(
            [sys.executable, "-m", "bayesreg.cli", *argv], capture_output=True, text=True
        )
        assert result.returncode == 0
        assert "usage: bayesreg" in result.stdout
