"""sample_posterior refuses to fake it: invalid starts, uncomputable diagnostics, Ctrl-C, memory.

Each test checks against a source outside the code under test: NumPyro's own ``MCMC`` (what it
raises), ArviZ (which diagnostics are NaN), a plain ``lax.scan`` over NumPyro's NUTS kernel (the
draws of one uninterrupted run), the byte count of the array, a serial run (threads).
"""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings

import arviz as az
import jax
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest
from numpyro.infer import MCMC, NUTS

from bayesreg import models
from bayesreg.sample import (
    LOG_LIKELIHOOD_BUDGET_BYTES,
    LogLikelihoodWarning,
    SamplingWarning,
    driver,
    sample_posterior,
)
from bayesreg.sample.driver import MODEL_LOCK


def sampling_messages(*args, **kwargs):
    """Run sample_posterior; return the result and the texts of its SamplingWarnings."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        post = sample_posterior(*args, **kwargs)
    return post, [str(w.message) for w in record if issubclass(w.category, SamplingWarning)]


# ---------------------------------------------------------------------------------------------
# no valid initial point


def nowhere_finite():
    """A proper prior times a likelihood that is zero everywhere: -inf at every point."""
    numpyro.sample("x", dist.Normal(0.0, 1.0))
    numpyro.factor("impossible", -np.inf)


def test_no_valid_initial_point_raises_like_numpyro():
    # the reference: NumPyro's own MCMC refuses this model
    with pytest.raises(RuntimeError, match="Cannot find valid initial parameters"):
        MCMC(NUTS(nowhere_finite), num_warmup=10, num_samples=10, progress_bar=False).run(
            jax.random.key(0)
        )
    with pytest.raises(ValueError, match=r"Cannot find valid initial parameters.*support"):
        sample_posterior(nowhere_finite, num_chains=2, num_warmup=10, num_samples=50)


def nonnegative_poisson(X, y):
    """A Poisson regression without argument checks (NumPyro gives -inf for y < 0)."""
    coef = numpyro.sample("coef", dist.Normal(0.0, 1.0).expand([X.shape[1]]).to_event(1))
    rate = jax.numpy.exp(X @ coef)
    numpyro.factor("y", dist.Poisson(rate, validate_args=False).log_prob(y).sum())


def test_data_outside_the_support_raises(gaussian_data):
    """A negative count: the likelihood is -inf whatever the weights."""
    X, _ = gaussian_data
    counts = np.r_[-1.0, np.ones(len(X) - 1)]
    with pytest.raises(ValueError, match="Cannot find valid initial parameters for chain"):
        sample_posterior(nonnegative_poisson, X, counts, num_chains=1, num_warmup=10)


@pytest.fixture(scope="module")
def gaussian_data():
    gen = np.random.default_rng(3)
    X = gen.normal(size=(30, 2))
    return X, 0.5 + X @ np.array([1.0, -1.0]) + gen.normal(size=30)


# ---------------------------------------------------------------------------------------------
# diagnostics that cannot be computed


def test_three_draws_warn_that_diagnostics_cannot_be_computed(gaussian_data):
    X, y = gaussian_data
    post, messages = sampling_messages(
        models.linear, X, y, prior=models.laplace(1.0), num_chains=2, num_warmup=50,
        num_samples=3,
    )  # fmt: skip
    # the reference: ArviZ itself gives NaN for 3 draws per chain
    assert np.isnan(float(az.rhat(post.idata, var_names=["intercept"])["intercept"]))
    assert post.diagnostics[["r_hat", "ess_bulk", "ess_tail"]].isna().all().all()
    assert any(
        "cannot be computed from 3 draws per chain" in m and "Increase num_samples" in m
        for m in messages
    ), messages


def test_one_chain_warns_that_r_hat_cannot_be_computed(gaussian_data):
    X, y = gaussian_data
    post, messages = sampling_messages(
        models.linear, X, y, prior=models.laplace(1.0), num_chains=1, num_warmup=200,
        num_samples=200,
    )  # fmt: skip
    assert post.diagnostics["r_hat"].isna().all()
    assert any("R-hat cannot be computed from one chain" in m for m in messages), messages
    assert not any("cannot be computed from" in m and "draws" in m for m in messages)


def test_exact_sampler_never_warns(gaussian_data):
    X, y = gaussian_data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        post = sample_posterior(
            models.linear, X, y, prior=models.gaussian(1.0), sigma=1.0, num_chains=1,
            num_samples=3,
        )  # fmt: skip
    assert post.method == "exact"


def test_a_chain_that_never_moves_warns():
    """20 warmup steps adapt chain 0 of this seed to a step size of ~11: it never moves."""
    post, messages = sampling_messages(
        standard_normal, num_chains=2, num_warmup=20, num_samples=20, seed=0
    )
    draws = post.idata.posterior["x"].values
    stuck = [c for c in range(2) if np.all(draws[c] == draws[c, 0])]
    assert stuck  # the premise, read off the draws themselves
    assert any(f"NUTS chain(s) {stuck} never moved" in m for m in messages), messages


def standard_normal():
    numpyro.sample("x", dist.Normal(0.0, 1.0))


# ---------------------------------------------------------------------------------------------
# chunks: the draws of one uninterrupted run, one compiled program


def laplace_regression(X, y):
    w = numpyro.sample("w", dist.Laplace(0.0, 1.0).expand([2]).to_event(1))
    s = numpyro.sample("s", dist.HalfNormal(1.0))
    numpyro.sample("y", dist.Normal(X @ w, s), obs=y)


@pytest.fixture(scope="module")
def regression_data():
    gen = np.random.default_rng(0)
    X = gen.normal(size=(20, 2))
    return X, X @ np.array([1.0, -1.0]) + gen.normal(size=20)


RUN = dict(num_chains=2, num_warmup=200, num_samples=200, seed=3)


def uninterrupted_scan(key, X, y):
    """The reference: NumPyro's NUTS kernel in one lax.scan over warmup and sampling."""
    kernel = NUTS(laplace_regression)
    state = kernel.init(key, RUN["num_warmup"], model_args=(X, y), model_kwargs={})

    def step(state, _):
        state = kernel.sample(state, (X, y), {})
        return state, state.z

    _, z = jax.lax.scan(step, state, None, length=RUN["num_warmup"] + RUN["num_samples"])
    z = jax.tree.map(lambda x: x[RUN["num_warmup"] :], z)
    return jax.vmap(kernel.postprocess_fn((X, y), {}))(z)


def run_with_chunks(monkeypatch, policy, X, y):
    monkeypatch.setattr(driver, "CHUNKS", policy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        return sample_posterior(laplace_regression, X, y, **RUN)


def test_chunked_draws_equal_one_uninterrupted_run(monkeypatch, regression_data):
    X, y = regression_data
    total = RUN["num_warmup"] + RUN["num_samples"]
    one_chunk = run_with_chunks(monkeypatch, driver.ChunkPolicy(total, 1.0, 1), X, y)
    # one step per call: every warmup window boundary falls between two calls
    one_step = run_with_chunks(monkeypatch, driver.ChunkPolicy(1, 0.0, 1), X, y)
    odd = run_with_chunks(monkeypatch, driver.ChunkPolicy(7, 0.0, 3), X, y)
    for name in ("w", "s"):
        np.testing.assert_array_equal(one_step.samples[name], one_chunk.samples[name])
        np.testing.assert_array_equal(odd.samples[name], one_chunk.samples[name])
    for stat in ("step_size", "n_steps", "lp"):
        np.testing.assert_array_equal(
            one_step.idata.sample_stats[stat].values, one_chunk.idata.sample_stats[stat].values
        )
    # ... and the draws of NumPyro's kernel run in one scan, chain by chain (equal to rounding:
    # XLA compiles the two loops apart, and how far their rounding differs depends on the CPU -
    # 4e-10 at the first draw, 5e-8 after 400 on one machine, < 1e-12 on another; a wrong key,
    # step size or adaptation window moves a draw by O(0.1))
    keys = jax.random.split(jax.random.key(RUN["seed"]), RUN["num_chains"])
    for chain, key in enumerate(keys):
        reference = jax.jit(uninterrupted_scan)(key, X, y)
        for name in ("w", "s"):
            np.testing.assert_allclose(
                one_step.idata.posterior[name].values[chain], reference[name], rtol=0, atol=1e-6
            )


def test_every_chunk_reuses_one_compiled_program(monkeypatch, caplog):
    def fresh_normal():  # a new function, so no cached program
        numpyro.sample("x", dist.Normal(0.0, 1.0))

    monkeypatch.setattr(driver, "CHUNKS", driver.ChunkPolicy(1, 0.0, 1))  # 80 chunk calls
    calls = []
    advance_calls = driver.next_chunk
    monkeypatch.setattr(driver, "next_chunk", lambda *a: calls.append(a) or advance_calls(*a))
    with jax.log_compiles(True), caplog.at_level("WARNING"), warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        sample_posterior(fresh_normal, num_chains=2, num_warmup=20, num_samples=20, seed=1)
    compiles = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Compiling")]
    programs = sorted(m.split(" ")[1] for m in compiles)
    assert programs == ["jit(advance)", "jit(finish_chains)", "jit(init)"], compiles
    assert len(calls) == 80


# ---------------------------------------------------------------------------------------------
# Ctrl-C


def test_interrupt_reraises_and_leaves_nothing_behind(monkeypatch, regression_data):
    """A KeyboardInterrupt between two chunks propagates; the lock is free; a rerun is whole."""
    X, y = regression_data
    monkeypatch.setattr(driver, "CHUNKS", driver.ChunkPolicy(10, 0.0, 1))
    chunks = []

    def interrupt_third(steps, elapsed):
        chunks.append(steps)
        if len(chunks) == 3:
            raise KeyboardInterrupt
        return steps

    monkeypatch.setattr(driver, "next_chunk", interrupt_third)
    result = None
    with pytest.raises(KeyboardInterrupt):
        result = sample_posterior(laplace_regression, X, y, progress_bar=True, **RUN)
    assert result is None and len(chunks) == 3
    free = []

    def try_lock():
        free.append(MODEL_LOCK.acquire(timeout=1))
        if free[-1]:
            MODEL_LOCK.release()

    waiter = threading.Thread(target=try_lock)
    waiter.start()
    waiter.join()
    assert free == [True]  # the interrupted call let go of the lock
    monkeypatch.undo()
    again = run_with_chunks(monkeypatch, driver.ChunkPolicy(400, 1.0, 1), X, y)
    reference = run_with_chunks(monkeypatch, driver.ChunkPolicy(1, 0.0, 1), X, y)
    np.testing.assert_array_equal(again.samples["w"], reference.samples["w"])


SIGINT_SCRIPT = textwrap.dedent(
    """
    import sys, time, warnings
    import numpyro, numpyro.distributions as dist
    from bayesreg.sample import sample_posterior

    def model():
        numpyro.sample("x", dist.Normal(0.0, 1.0).expand([50]).to_event(1))

    warnings.simplefilter("ignore")
    try:  # ~10 minutes of sampling uninterrupted
        sample_posterior(model, num_chains=1, num_warmup=10, num_samples=3_000_000,
                         log_likelihood=False, progress_bar=True)
    except KeyboardInterrupt:
        print(f"interrupted {time.time():.6f}", flush=True)
        sys.exit(3)
    print("finished", flush=True)
    """
)


@pytest.mark.slow  # not statistical, but ~20 s of a child process
@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_sigint_stops_sampling_within_a_second(tmp_path):
    script = tmp_path / "long_run.py"
    script.write_text(SIGINT_SCRIPT)
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    child = subprocess.Popen(
        [sys.executable, str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        # wait until the progress bar shows steps done: compiling is over, sampling runs
        seen = b""
        deadline = time.monotonic() + 120
        while b"/3000010" not in seen or b" 0/3000010" in seen.split(b"\r")[-1]:
            chunk = os.read(child.stderr.fileno(), 4096)
            assert chunk and time.monotonic() < deadline, seen[-2000:]
            seen += chunk
        time.sleep(1.0)
        sent = time.time()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 3, (out, err[-2000:])
    stopped = float(out.decode().split()[1])
    assert stopped - sent < 1.0, stopped - sent


# ---------------------------------------------------------------------------------------------
# memory: the pointwise log-likelihood only within the budget


def test_budget_rule_counts_bytes():
    keep = driver.keep_log_likelihood
    # n x chains x draws x 8 bytes, compared with the budget: n at the boundary keeps
    n_at_budget = LOG_LIKELIHOOD_BUDGET_BYTES // (8 * 4 * 1000)
    assert n_at_budget * 4 * 1000 * 8 <= LOG_LIKELIHOOD_BUDGET_BYTES
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert keep("auto", {"y": np.zeros(n_at_budget)}, 4, 1000) is True
        assert keep(True, {"y": np.zeros(10**9 // 8, dtype=np.int8)}, 4, 1000) is True
        assert keep(False, {"y": np.zeros(3)}, 4, 1000) is False
    with pytest.warns(LogLikelihoodWarning, match=r"log_likelihood=True to keep it"):
        assert keep("auto", {"y": np.zeros(n_at_budget + 1)}, 4, 1000) is False
    # two observed sites count together
    with pytest.warns(LogLikelihoodWarning):
        assert keep("auto", {"a": np.zeros(n_at_budget), "b": np.zeros(1)}, 4, 1000) is False


def test_large_n_with_few_draws_skips_and_small_n_keeps():
    """n = 3.4 million, 1 chain x 10 draws: 268 MB > 256 MiB, so "auto" leaves it out."""
    n = LOG_LIKELIHOOD_BUDGET_BYTES // (8 * 10) + 1
    gen = np.random.default_rng(1)
    X = gen.normal(size=(n, 1))
    y = 1.0 + 2.0 * X[:, 0] + gen.normal(size=n)
    kwargs = dict(prior=models.laplace(1.0), sigma=1.0, num_chains=1, num_warmup=20)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        big = sample_posterior(models.linear, X, y, num_samples=10, **kwargs)
    notes = [str(w.message) for w in record if issubclass(w.category, LogLikelihoodWarning)]
    assert "log_likelihood" not in big.idata.groups()
    assert len(notes) == 1 and f"{n} observations x 1 chains x 10 draws" in notes[0]
    assert all(w.filename == __file__ for w in record if w.category is LogLikelihoodWarning)
    small, _ = sampling_messages(models.linear, X[:1000], y[:1000], num_samples=10, **kwargs)
    assert small.idata.log_likelihood["y"].shape == (1, 10, 1000)


def test_log_likelihood_forced_on_or_off(gaussian_data):
    X, y = gaussian_data
    kwargs = dict(prior=models.laplace(1.0), num_chains=2, num_warmup=100, num_samples=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        full = sample_posterior(models.linear, X, y, log_likelihood=True, **kwargs)
        lean = sample_posterior(models.linear, X, y, log_likelihood=False, **kwargs)
    assert full.idata.log_likelihood["y"].shape == (2, 100, 30)
    assert "log_likelihood" not in lean.idata.groups()
    np.testing.assert_array_equal(lean.samples["coef"], full.samples["coef"])
    with pytest.raises(ValueError, match="log_likelihood must be 'auto', True or False; got 1"):
        sample_posterior(models.linear, X, y, prior=models.laplace(1.0), log_likelihood=1)


def test_exact_sampler_without_log_likelihood_has_the_same_lp(gaussian_data):
    X, y = gaussian_data
    kwargs = dict(prior=models.gaussian(1.0), sigma=0.7, num_chains=2, num_samples=300, seed=4)
    full = sample_posterior(models.linear, X, y, log_likelihood=True, **kwargs)
    lean = sample_posterior(models.linear, X, y, log_likelihood=False, **kwargs)
    assert "log_likelihood" not in lean.idata.groups()
    np.testing.assert_allclose(
        lean.idata.sample_stats["lp"].values, full.idata.sample_stats["lp"].values, rtol=1e-12
    )
    # lp = sum of the pointwise terms + the log prior
    log_prior = dist.Normal(0.0, 1.0).log_prob(full.idata.posterior["coef"].values).sum(-1)
    np.testing.assert_allclose(
        full.idata.sample_stats["lp"].values,
        full.idata.log_likelihood["y"].values.sum(-1) + np.asarray(log_prior),
        rtol=1e-12,
    )


# ---------------------------------------------------------------------------------------------
# threads


def make_model(scale):
    """A new model function per call: each thread traces and compiles its own program."""

    def model(X, y):
        w = numpyro.sample("w", dist.Laplace(0.0, scale).expand([X.shape[1]]).to_event(1))
        with numpyro.plate("obs", X.shape[0]):
            numpyro.sample("y", dist.Normal(X @ w, 1.0), obs=y)

    return model


@pytest.mark.slow  # not statistical, but four programs to compile
@pytest.mark.filterwarnings("ignore::bayesreg.sample.SamplingWarning")  # catch_warnings is
def test_concurrent_calls_equal_serial_calls():  # not thread-safe: one filter for all threads
    gen = np.random.default_rng(5)
    problems = []
    models_ = [make_model(0.5), make_model(1.5)]  # two programs (compiles dominate the cost)
    for k in range(4):  # two shapes, four data sets: a mixed-up trace cannot go unnoticed
        X = gen.normal(size=(20 + k % 2, 1 + k % 2))
        problems.append((models_[k % 2], X, X.sum(1) + gen.normal(size=20 + k % 2)))
    settings = dict(num_chains=2, num_warmup=50, num_samples=50, seed=2)

    def run(problem):
        model, X, y = problem
        return np.asarray(sample_posterior(model, X, y, **settings).samples["w"])

    results, errors = [None] * 4, []
    barrier = threading.Barrier(4)

    def worker(k):
        barrier.wait()
        try:
            results[k] = run(problems[k])
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for k in range(4):
        np.testing.assert_array_equal(results[k], run(problems[k]))


def test_a_model_that_is_not_a_function_is_refused():
    with pytest.raises(TypeError, match="model must be a NumPyro model function; got NoneType"):
        sample_posterior(None, np.ones((5, 2)), np.ones(5))
