"""The same seed gives bit-identical MAP estimates and posterior draws, in one process and across.

Across processes: a small script runs twice in fresh interpreters (with a different hash seed)
and writes its arrays; they must equal each other and this process's arrays bit for bit.
"""

import hashlib
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from bayesreg import map_estimate, models
from bayesreg.sample import sample_posterior

SCRIPT = textwrap.dedent(
    """
    import os, sys, warnings
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import numpy as np
    from bayesreg import map_estimate, models
    from bayesreg.sample import SamplingWarning, sample_posterior

    warnings.simplefilter("ignore", SamplingWarning)  # a short run; only the bits matter here
    gen = np.random.default_rng(11)
    X = gen.normal(size=(25, 3))
    y = 0.5 + X @ np.array([1.0, 0.0, -1.0]) + gen.normal(size=25)
    fit = map_estimate(models.linear, X, y, prior=models.laplace(0.2), sigma=1.0)
    nuts = sample_posterior(models.linear, X, y, prior=models.laplace(0.5), sigma=1.0,
                            num_chains=2, num_warmup=60, num_samples=40, seed=3)
    exact = sample_posterior(models.linear, X, y, prior=models.gaussian(1.0), sigma=1.0,
                             num_chains=2, num_samples=40, seed=3)
    arrays = {f"map_{k}": np.asarray(v) for k, v in fit.params.items()}
    arrays.update({f"nuts_{k}": np.asarray(v) for k, v in nuts.samples.items()})
    arrays.update({f"exact_{k}": np.asarray(v) for k, v in exact.samples.items()})
    np.savez(sys.argv[1], **arrays)
    """
)


def _digest(arrays):
    sha = hashlib.sha256()
    for key in sorted(arrays):
        sha.update(key.encode())
        sha.update(str(arrays[key].dtype).encode())
        sha.update(np.ascontiguousarray(arrays[key]).tobytes())
    return sha.hexdigest()


def _run_script(tmp_path, name, hash_seed):
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    out = tmp_path / f"{name}.npz"
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed), "JAX_PLATFORMS": "cpu"}
    subprocess.run(
        [sys.executable, str(script), str(out)], check=True, env=env, timeout=120,
        capture_output=True,
    )  # fmt: skip
    with np.load(out, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


@pytest.fixture(scope="module")
def problem():
    gen = np.random.default_rng(11)
    X = gen.normal(size=(25, 3))
    y = 0.5 + X @ np.array([1.0, 0.0, -1.0]) + gen.normal(size=25)
    return X, y


def _assert_bit_identical(a, b):
    assert sorted(a) == sorted(b)
    for key in a:
        assert a[key].dtype == b[key].dtype, key
        assert np.array_equal(a[key], b[key]), key
        assert a[key].tobytes() == b[key].tobytes(), key  # -0.0 vs 0.0 and NaN payloads too


@pytest.mark.parametrize(
    "prior", [models.laplace(0.2), models.gaussian(1.0), models.elastic_net(0.3, 1.0)]
)
def test_map_is_bit_identical_across_calls(problem, prior):
    X, y = problem
    first = map_estimate(models.linear, X, y, prior=prior, sigma=1.0)
    second = map_estimate(models.linear, X.copy(), y.copy(), prior=prior, sigma=1.0)
    _assert_bit_identical(
        {k: np.asarray(v) for k, v in first.params.items()},
        {k: np.asarray(v) for k, v in second.params.items()},
    )
    assert first.objective == second.objective and first.num_iter == second.num_iter


POSTERIOR = dict(sigma=1.0, num_chains=2, num_warmup=60, num_samples=40)


@pytest.mark.filterwarnings("ignore::bayesreg.sample.SamplingWarning")
@pytest.mark.parametrize("prior", [models.laplace(0.5), models.gaussian(1.0)])
def test_posterior_draws_are_bit_identical_for_the_same_seed(problem, prior):
    X, y = problem
    kwargs = dict(prior=prior, **POSTERIOR)
    first = sample_posterior(models.linear, X, y, seed=3, **kwargs)
    second = sample_posterior(models.linear, X, y, seed=3, **kwargs)
    other = sample_posterior(models.linear, X, y, seed=4, **kwargs)
    as_numpy = {k: np.asarray(v) for k, v in first.samples.items()}
    _assert_bit_identical(as_numpy, {k: np.asarray(v) for k, v in second.samples.items()})
    assert not np.array_equal(as_numpy["coef"], np.asarray(other.samples["coef"]))


@pytest.mark.filterwarnings("ignore::bayesreg.sample.SamplingWarning")
def test_map_and_draws_are_bit_identical_across_processes(tmp_path, problem):
    first = _run_script(tmp_path, "first", hash_seed=1)
    second = _run_script(tmp_path, "second", hash_seed=2)
    _assert_bit_identical(first, second)
    assert _digest(first) == _digest(second)
    # ... and equal to this process's results
    X, y = problem
    fit = map_estimate(models.linear, X, y, prior=models.laplace(0.2), sigma=1.0)
    nuts = sample_posterior(models.linear, X, y, prior=models.laplace(0.5), seed=3, **POSTERIOR)
    exact = sample_posterior(models.linear, X, y, prior=models.gaussian(1.0), seed=3, **POSTERIOR)
    here = {f"map_{k}": np.asarray(v) for k, v in fit.params.items()}
    here.update({f"nuts_{k}": np.asarray(v) for k, v in nuts.samples.items()})
    here.update({f"exact_{k}": np.asarray(v) for k, v in exact.samples.items()})
    _assert_bit_identical(first, here)
