"""Test configuration: CPU only, float64 (bayesreg enables it on import), Agg plots, fixed seeds."""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import bayesreg  # noqa: E402, F401  (enables x64 before any test builds arrays)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261123)
