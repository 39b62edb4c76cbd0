"""Test configuration: CPU only, float64 (bayesreg enables it on import), Agg plots, fixed seeds."""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("MPLBACKEND", "Agg")

import gc  # noqa: E402

import jax  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import bayesreg  # noqa: E402, F401  (enables x64 before any test builds arrays)

#: XLA's CPU compiler maps about 400 memory regions per compiled program (measured: 8
#: map_estimate compiles added 3,100 lines to /proc/self/maps). Linux's default
#: vm.max_map_count, 65,530, is reached after ~170 programs in one process, and XLA then
#: segfaults while compiling the next one; a pytest worker compiles more than that. Past this
#: many regions a worker drops JAX's compiled programs (later tests recompile what they need).
MAX_MAPPED_REGIONS = 40_000


def _mapped_regions() -> int:
    try:
        with open("/proc/self/maps", "rb") as maps:
            return sum(1 for _ in maps)
    except OSError:  # not Linux: no such limit to stay under
        return 0


@pytest.fixture(autouse=True)
def _release_compiled_programs():
    yield
    if _mapped_regions() > MAX_MAPPED_REGIONS:
        jax.clear_caches()
        gc.collect()


@pytest.fixture(scope="session")
def diabetes() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's diabetes data, as shipped (442 x 10)."""
    from sklearn.datasets import load_diabetes

    return load_diabetes(return_X_y=True)


@pytest.fixture(scope="session")
def breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    """Breast cancer (569 x 30), columns standardized (sd with 1/n), 0/1 labels as floats."""
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    return (X - X.mean(axis=0)) / X.std(axis=0), y.astype(float)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261123)


# --- shared by tests/test_sample.py, test_compare.py, test_plots.py: one Laplace problem and its
# NUTS posterior, sampled once per session (the compiled sampler is reused across files).


@pytest.fixture(scope="session")
def laplace_problem() -> dict:
    """Linear data with two true zeros; sklearn's lasso at the matching alpha zeroes coef 2, 5."""
    from sklearn.linear_model import Lasso

    gen = np.random.default_rng(20261123)
    n, p, sigma, scale = 60, 6, 1.0, 0.1
    X = gen.normal(size=(n, p))
    y = 1.0 + X @ np.array([2.0, -1.5, 0.0, 0.0, 0.5, 0.0]) + sigma * gen.normal(size=n)
    lasso = Lasso(alpha=sigma**2 / (n * scale), tol=1e-12, max_iter=100_000).fit(X, y)
    names = [f"x{j}" for j in range(p)]
    return {"X": X, "y": y, "sigma": sigma, "scale": scale, "names": names, "lasso": lasso}


@pytest.fixture(scope="session")
def laplace_posterior(laplace_problem):
    from bayesreg.models import laplace, linear
    from bayesreg.sample import sample_posterior

    d = laplace_problem
    return sample_posterior(
        linear, d["X"], d["y"], prior=laplace(d["scale"]), sigma=d["sigma"],
        feature_names=d["names"], num_chains=4, num_warmup=500, num_samples=1000, seed=1,
    )  # fmt: skip
