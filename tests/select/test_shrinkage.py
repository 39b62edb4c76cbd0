"""shrinkage_path: sigma estimated unless given; warnings name the features and the caller."""

import warnings

import numpy as np
import pandas as pd
import pytest

from bayesreg.data import least_squares_sigma
from bayesreg.sample import SamplingWarning
from bayesreg.select import shrinkage_path


@pytest.fixture(scope="module")
def diabetes_frame(diabetes) -> tuple[pd.DataFrame, np.ndarray]:
    from sklearn.datasets import load_diabetes

    names = load_diabetes().feature_names
    X, y = diabetes
    return pd.DataFrame(X, columns=names), y


def test_default_sigma_is_the_least_squares_residual_sd(diabetes):
    X, y = diabetes
    path = shrinkage_path(X, y, [1000.0], prior="gaussian", num_samples=500)
    assert path.sigma == least_squares_sigma(X, y) and path.sigma_source == "least squares"
    assert 50.0 < path.sigma < 60.0  # diabetes: ~54, nowhere near the old default of 1
    # the bands are those of sigma ~ 54: bmi's 90% band is ~2 x 1.645 x 60 wide, not ~2
    bmi = 2
    assert path.high[0, bmi] - path.low[0, bmi] > 100.0
    given = shrinkage_path(X, y, [1000.0], prior="gaussian", sigma=1.0, num_samples=500)
    assert given.sigma == 1.0 and given.sigma_source == "given"


def test_without_sigma_too_few_rows_is_a_clear_error():
    X = np.random.default_rng(0).normal(size=(5, 8))  # p >= n: no least-squares residual sd
    with pytest.raises(ValueError, match=r"n = 5 rows and p = 8 features\. Pass sigma="):
        shrinkage_path(X, X[:, 0], [1.0], prior="gaussian")


def test_warnings_name_the_features_and_point_at_the_caller(diabetes_frame):
    X, y = diabetes_frame
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        # chains far too short on purpose: the diagnostics must complain
        shrinkage_path(X, y, [1.0], num_chains=2, num_warmup=30, num_samples=20)
    ours = [w for w in record if issubclass(w.category, SamplingWarning)]
    assert ours
    assert all(w.filename == __file__ for w in ours), [w.filename for w in ours]
    messages = [str(w.message) for w in ours]
    assert all(m.startswith("at b = 1: ") for m in messages), messages
    labels = " ".join(messages)
    assert "coef[" in labels and not any(f"coef[{j}]" in labels for j in range(10)), messages
