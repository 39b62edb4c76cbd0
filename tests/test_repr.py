"""Result objects print on one screen (never the data they were fitted on); bayesreg's lazy
submodules (plots, sklearn, cli) are attributes without being imported by ``import bayesreg``."""

import os
import subprocess
import sys

import numpy as np
import pytest

import bayesreg as br
from bayesreg.select import ShrinkagePath

N_ROWS = 10_000  # the data a repr must not print
MAX_REPR = 1000  # characters: a few lines on a terminal


@pytest.fixture(scope="module")
def big_data():
    gen = np.random.default_rng(7)
    X = gen.normal(size=(N_ROWS, 3))
    y = X @ np.array([1.0, 0.0, -1.0]) + gen.normal(size=N_ROWS)
    return X, y


def test_posterior_repr_is_short_and_names_the_facts(big_data):
    X, y = big_data
    post = br.sample_posterior(
        br.models.linear, X, y, prior=br.models.gaussian(1.0), sigma=1.0, method="exact",
        num_chains=2, num_samples=500,
    )  # fmt: skip
    text = repr(post)
    assert len(text) < MAX_REPR, text
    assert str(post) == text
    for fact in (
        "method='exact'",
        "model=linear",
        "chains=2 x draws=500",
        "'coef': (3,)",
        "'intercept': ()",
        "divergences=0",
        "max_r_hat=1.",
    ):
        assert fact in text, (fact, text)


def test_map_repr_is_short_and_names_the_facts(big_data):
    X, y = big_data
    fit = br.map_estimate(br.models.linear, X, y, prior=br.models.laplace(1.0), sigma=1.0)
    text = repr(fit)
    assert len(text) < MAX_REPR, text
    for fact in ("converged=True", "optimality=", "num_iter=", "objective=", "'coef': (3,)"):
        assert fact in text, (fact, text)


def test_many_sites_are_counted_not_listed():
    params = {f"site_{i}": np.zeros(2) for i in range(100)}
    text = repr(br.MapResult(params=params, objective=0.0, num_iter=1, converged=True,
                             optimality=0.0))  # fmt: skip
    assert len(text) < MAX_REPR and "(88 more)" in text


def test_shrinkage_path_repr_is_short():
    k, p = 30, 2000
    path = ShrinkagePath(
        scales=np.geomspace(0.01, 10.0, k), map=np.zeros((k, p)), median=np.zeros((k, p)),
        low=np.zeros((k, p)), high=np.zeros((k, p)), prob=0.9,
        feature_names=[f"x{j}" for j in range(p)], prior="laplace",
    )  # fmt: skip
    text = repr(path)
    assert len(text) < MAX_REPR, text
    for fact in ("prior='laplace'", "scales=30 from 0.01 to 10", "features=2000", "prob=0.9"):
        assert fact in text, (fact, text)


def test_lazy_submodules_are_attributes_not_imports():
    # a fresh interpreter: this one has imported everything already
    code = """
import sys
import bayesreg as br
lazy = ("sklearn", "bayesreg.plots", "bayesreg.sklearn", "bayesreg.cli")
assert not [m for m in lazy if m in sys.modules], [m for m in lazy if m in sys.modules]
assert callable(br.plots.plot_forest) and br.plots is sys.modules["bayesreg.plots"]
assert br.sklearn.BayesianLinearRegression.__name__ == "BayesianLinearRegression"
assert "plots" in dir(br) and "prior_predictive" in br.__all__
try:
    br.no_such_name
except AttributeError as error:
    assert "no attribute 'no_such_name'" in str(error)
else:
    raise AssertionError("br.no_such_name did not raise")
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
        env={**os.environ, "JAX_PLATFORMS": "cpu", "MPLBACKEND": "Agg"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
