"""sample_posterior: NUTS and the exact sampler against the closed-form Normal posterior."""

import logging
import os
import subprocess
import sys
import textwrap
import warnings
from types import SimpleNamespace

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pandas as pd
import pytest

from bayesreg import models
from bayesreg.sample import PosteriorResult, SamplingWarning, sample_posterior

# z bound of the MCSE / Monte Carlo error tests: two-sided p ~ 6e-5 per coordinate, so a handful
# of coordinates with fixed seeds fail only on a real bias.
Z_MAX = 4.0


@pytest.fixture(scope="module")
def gaussian_problem():
    gen = np.random.default_rng(7)
    n, p, sigma, tau = 40, 3, 0.8, 0.7
    X = gen.normal(size=(n, p))
    y = 0.5 + X @ np.array([1.0, -0.5, 0.0]) + sigma * gen.normal(size=n)
    # the oracle, written out with NumPy: Z = [1, X], prior precision diag(0, 1/tau², ...)
    Z = np.column_stack([np.ones(n), X])
    cov = np.linalg.inv(Z.T @ Z / sigma**2 + np.diag([0.0] + [1.0 / tau**2] * p))
    mean = cov @ Z.T @ y / sigma**2
    return {"X": X, "y": y, "sigma": sigma, "tau": tau, "mean": mean, "cov": cov}


def stacked(post: PosteriorResult) -> np.ndarray:
    """(draws, 1 + p) array of [intercept, coef...]."""
    return np.column_stack(
        [np.asarray(post.samples["intercept"]), np.asarray(post.samples["coef"])]
    )


def test_exact_sampler_matches_closed_form(gaussian_problem):
    d = gaussian_problem
    post = sample_posterior(
        models.linear, d["X"], d["y"], prior=models.gaussian(d["tau"]), sigma=d["sigma"],
        method="exact", num_chains=4, num_samples=5000, seed=3,
    )  # fmt: skip
    assert post.method == "exact" and post.chain_method == "iid"
    draws = stacked(post)
    assert draws.shape == (20_000, 4)
    # iid draws: the sample mean has covariance cov / N exactly
    z = (draws.mean(0) - d["mean"]) / np.sqrt(np.diag(d["cov"]) / len(draws))
    assert np.all(np.abs(z) < Z_MAX), z
    # sample covariance, scaled to correlation units: sd of each entry ~ 1/sqrt(N) = 0.007
    sd = np.sqrt(np.diag(d["cov"]))
    err = (np.cov(draws, rowvar=False) - d["cov"]) / np.outer(sd, sd)
    assert np.max(np.abs(err)) < 0.04


def test_exact_sampler_without_intercept_and_nonzero_prior_mean():
    gen = np.random.default_rng(11)
    X = gen.normal(size=(25, 2))
    y = X @ np.array([0.3, 2.0]) + 0.5 * gen.normal(size=25)
    loc, tau, sigma = np.array([1.0, -1.0]), np.array([0.5, 2.0]), 0.5
    post = sample_posterior(
        models.linear, X, y, prior=dist.Normal(loc, tau), sigma=sigma, intercept=False,
        num_samples=5000, seed=0,
    )  # fmt: skip
    assert post.method == "exact" and "intercept" not in post.samples
    precision = X.T @ X / sigma**2 + np.diag(1 / tau**2)
    cov = np.linalg.inv(precision)
    mean = cov @ (X.T @ y / sigma**2 + loc / tau**2)
    draws = np.asarray(post.samples["coef"])
    z = (draws.mean(0) - mean) / np.sqrt(np.diag(cov) / len(draws))
    assert np.all(np.abs(z) < Z_MAX), z


@pytest.fixture(scope="module")
def gaussian_nuts(gaussian_problem):
    d = gaussian_problem
    return sample_posterior(
        models.linear, d["X"], d["y"], prior=models.gaussian(d["tau"]), sigma=d["sigma"],
        method="nuts", feature_names=["a", "b", "c"], num_chains=4, num_warmup=500,
        num_samples=1000, seed=0,
    )  # fmt: skip


def test_nuts_matches_exact_posterior(gaussian_problem, gaussian_nuts):
    d, post = gaussian_problem, gaussian_nuts
    assert post.method == "nuts" and post.num_divergent == 0
    draws = stacked(post)
    # means: z-test with ArviZ's MCSE (autocorrelation-aware)
    mcse = np.r_[
        float(az.mcse(post.idata, var_names=["intercept"])["intercept"]),
        az.mcse(post.idata, var_names=["coef"])["coef"].values,
    ]
    z = (draws.mean(0) - d["mean"]) / mcse
    assert np.all(np.abs(z) < Z_MAX), z
    # sds within 10% (with ESS >= 1000 the sd's relative error is ~ 1/sqrt(2 ESS) ~ 2%)
    np.testing.assert_allclose(draws.std(0), np.sqrt(np.diag(d["cov"])), rtol=0.1)
    # correlations within 0.1 (their Monte Carlo sd is below 0.03 here)
    sd = np.sqrt(np.diag(d["cov"]))
    np.testing.assert_allclose(
        np.corrcoef(draws, rowvar=False), d["cov"] / np.outer(sd, sd), atol=0.1
    )


def test_result_layout_and_idata(gaussian_problem, gaussian_nuts):
    post, n = gaussian_nuts, len(gaussian_problem["y"])
    assert post.chain_method == ("parallel" if jax.local_device_count() >= 4 else "sequential")
    assert set(post.samples) == {"coef", "intercept"}
    assert post.samples["coef"].shape == (4000, 3) and post.samples["coef"].dtype == jnp.float64
    idata = post.idata
    for group in ("posterior", "sample_stats", "log_likelihood", "observed_data"):
        assert group in idata.groups()
    assert idata.posterior["coef"].dims == ("chain", "draw", "features")
    assert list(idata.posterior["coef"].coords["features"].values) == ["a", "b", "c"]
    assert idata.log_likelihood["y"].dims == ("chain", "draw", "obs")
    assert idata.log_likelihood["y"].shape == (4, 1000, n)
    np.testing.assert_array_equal(idata.observed_data["y"], gaussian_problem["y"])
    for stat in ("diverging", "lp", "energy", "step_size", "n_steps", "acceptance_rate"):
        assert idata.sample_stats[stat].shape == (4, 1000)
    # chains merged in order: draw k of chain c is row c * num_samples + k
    np.testing.assert_array_equal(
        np.asarray(post.samples["coef"])[1000:2000], idata.posterior["coef"].values[1]
    )
    assert list(post.diagnostics.index) == ["coef[a]", "coef[b]", "coef[c]", "intercept"]
    assert list(post.diagnostics.columns) == ["r_hat", "ess_bulk", "ess_tail", "mcse_mean"]
    assert (post.diagnostics["r_hat"] < 1.01).all()
    # the log likelihood at each draw, recomputed with NumPy
    coef = idata.posterior["coef"].values[0, :5]
    mu = idata.posterior["intercept"].values[0, :5, None] + coef @ gaussian_problem["X"].T
    sigma = gaussian_problem["sigma"]
    expected = -0.5 * ((gaussian_problem["y"] - mu) / sigma) ** 2 - np.log(
        sigma * np.sqrt(2 * np.pi)
    )
    np.testing.assert_allclose(idata.log_likelihood["y"].values[0, :5], expected, rtol=1e-10)
    az.loo(idata)  # LOO works on the output


def test_exact_and_nuts_give_the_same_groups(gaussian_problem, gaussian_nuts):
    d = gaussian_problem
    exact = sample_posterior(
        models.linear, d["X"], d["y"], prior=models.gaussian(d["tau"]), sigma=d["sigma"],
        feature_names=["a", "b", "c"], num_samples=1000,
    )  # fmt: skip
    assert exact.method == "exact"
    assert set(exact.idata.groups()) == set(gaussian_nuts.idata.groups())
    assert exact.idata.posterior["coef"].dims == gaussian_nuts.idata.posterior["coef"].dims
    assert exact.idata.log_likelihood["y"].shape == gaussian_nuts.idata.log_likelihood["y"].shape
    # log likelihood + Normal log prior = log posterior (the exact sampler's "lp")
    draw = exact.idata.posterior.isel(chain=0, draw=0)
    mu = float(draw["intercept"]) + d["X"] @ draw["coef"].values
    loglik = np.sum(-0.5 * ((d["y"] - mu) / d["sigma"]) ** 2) - len(mu) * np.log(
        d["sigma"] * np.sqrt(2 * np.pi)
    )
    logprior = np.sum(
        -0.5 * (draw["coef"].values / d["tau"]) ** 2 - np.log(d["tau"] * np.sqrt(2 * np.pi))
    )
    np.testing.assert_allclose(float(exact.idata.sample_stats["lp"][0, 0]), loglik + logprior)


def test_repeat_call_does_not_recompile(gaussian_problem, gaussian_nuts, caplog):
    d = gaussian_problem
    y_new = d["y"] + 1.0
    with jax.log_compiles(True), caplog.at_level(logging.WARNING):
        post = sample_posterior(
            models.linear, d["X"], y_new, prior=models.gaussian(2 * d["tau"]), sigma=1.5,
            method="nuts", feature_names=["a", "b", "c"], num_chains=4, num_warmup=500,
            num_samples=1000, seed=5,
        )  # fmt: skip
    compiles = [r.getMessage() for r in caplog.records if "Compiling" in r.getMessage()]
    assert compiles == []
    # and the new values were used, not the cached ones
    assert float(np.mean(post.samples["intercept"])) > float(
        np.mean(gaussian_nuts.samples["intercept"])
    )


def test_dataframe_columns_name_the_features(gaussian_problem):
    d = gaussian_problem
    X = pd.DataFrame(d["X"], columns=["age", "bmi", "bp"])
    post = sample_posterior(
        models.linear, X, pd.Series(d["y"]), prior=models.gaussian(1.0), sigma=1.0,
        num_samples=100,
    )  # fmt: skip
    assert list(post.idata.posterior["coef"].coords["features"].values) == ["age", "bmi", "bp"]
    assert isinstance(post.args[0], np.ndarray)


def test_auto_chooses_exact_only_when_it_applies(gaussian_problem):
    d = gaussian_problem
    expanded = dist.Normal(0.0, 1.0).expand([3])
    post = sample_posterior(
        models.linear, d["X"], d["y"], prior=expanded, sigma=1.0, num_samples=10
    )
    assert post.method == "exact"
    with pytest.raises(ValueError, match="not Normal"):
        sample_posterior(
            models.linear, d["X"], d["y"], prior=models.laplace(1.0), sigma=1.0, method="exact"
        )
    with pytest.raises(ValueError, match="sigma has a prior"):
        sample_posterior(
            models.linear, d["X"], d["y"], prior=models.gaussian(1.0),
            sigma=dist.HalfNormal(1.0), method="exact",
        )  # fmt: skip
    with pytest.raises(ValueError, match="bayesreg.models.linear"):
        sample_posterior(
            models.logistic, d["X"], (d["y"] > 0).astype(float), prior=models.gaussian(1.0),
            method="exact",
        )  # fmt: skip


def funnel():
    v = numpyro.sample("v", dist.Normal(0.0, 3.0))
    numpyro.sample("x", dist.Normal(0.0, jnp.exp(v / 2.0)))


def sample_funnel() -> tuple[PosteriorResult, list[warnings.WarningMessage]]:
    # 20 warmup steps leave the step size far too large for the funnel's neck
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        post = sample_posterior(funnel, num_chains=1, num_warmup=20, num_samples=300, seed=0)
    return post, record


def test_divergences_warn_with_remedy():
    post, record = sample_funnel()
    assert post.num_divergent > 0
    messages = [str(w.message) for w in record if issubclass(w.category, SamplingWarning)]
    assert any(
        f"NUTS had {post.num_divergent} divergent transitions" in m and "target_accept_prob" in m
        for m in messages
    ), messages
    assert any("below the 100 (100 per chain x 1 chain)" in m for m in messages), messages
    ours = [w for w in record if issubclass(w.category, SamplingWarning)]
    assert all(w.filename == __file__ for w in ours)  # stacklevel points at the caller


def correlated_pair():
    """A 2-d Normal with correlation 0.9999: NUTS needs long trajectories."""
    cov = jnp.array([[1.0, 0.9999], [0.9999, 1.0]])
    numpyro.sample("x", dist.MultivariateNormal(jnp.zeros(2), cov))


def sampling_messages(**kwargs):
    """Run sample_posterior, returning the result and the texts of all its SamplingWarnings."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        post = sample_posterior(**kwargs)
    return post, [str(w.message) for w in record if issubclass(w.category, SamplingWarning)]


def test_tree_depth_saturation_warns_with_remedy():
    post, messages = sampling_messages(
        model=correlated_pair, num_chains=2, num_warmup=200, num_samples=200, max_tree_depth=3
    )
    n_steps = post.idata.sample_stats["n_steps"].values
    saturated = int(np.sum(n_steps >= 2**3 - 1))
    assert saturated > 0
    expected = f"maximum tree depth (max_tree_depth=3) in {saturated} of 400 draws"
    assert any(expected in m and "Raise max_tree_depth" in m for m in messages), messages


def two_modes():
    """Equal mixture of Normal(-8, 0.5) and Normal(8, 0.5): chains stay in their own mode."""
    x = numpyro.sample("x", dist.Normal(0.0, 20.0))
    log_mix = jnp.logaddexp(dist.Normal(-8.0, 0.5).log_prob(x), dist.Normal(8.0, 0.5).log_prob(x))
    numpyro.factor("mixture", log_mix - dist.Normal(0.0, 20.0).log_prob(x))


def test_chains_in_different_modes_warn_about_r_hat():
    post, messages = sampling_messages(
        model=two_modes, num_chains=4, num_warmup=200, num_samples=200, seed=3
    )
    chain_means = post.idata.posterior["x"].mean("draw").values
    assert chain_means.min() < -6 and chain_means.max() > 6  # the chains really disagree
    assert any("R-hat above 1.01 for x " in m and "chains disagree" in m for m in messages)


def test_too_few_draws_warn_about_ess():
    post, messages = sampling_messages(
        model=correlated_pair, num_chains=2, num_warmup=300, num_samples=30
    )
    assert post.diagnostics["ess_bulk"].min() < 200
    (message,) = [m for m in messages if "effective sample size" in m]
    # the measured value and the threshold in one unit (ESS over all chains), per weight
    assert "below the 200 (100 per chain x 2 chains)" in message, message
    for label, row in post.diagnostics.iterrows():
        which = "bulk" if row["ess_bulk"] <= row["ess_tail"] else "tail"
        if min(row["ess_bulk"], row["ess_tail"]) < 200:
            assert f"{which} ESS {row[f'ess_{which}']:.0f} for {label}" in message, message
    assert "per chain (200 in all)" not in message  # the old, self-contradictory wording


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_samples": 0}, "num_samples must be a positive integer; got 0"),
        ({"num_samples": -5}, "num_samples must be a positive integer"),
        ({"num_samples": 10.0}, "num_samples must be a positive integer; got 10.0"),
        ({"num_chains": 0}, "num_chains must be a positive integer"),
        ({"num_chains": True}, "num_chains must be a positive integer"),
        ({"num_warmup": -1}, "num_warmup must be a non-negative integer"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"method": "hmc"}, "method must be one of 'auto', 'nuts', 'exact', 'gibbs'; got 'hmc'"),
        ({"target_accept_prob": 1.0}, "target_accept_prob must lie in"),
        ({"max_tree_depth": 0}, "max_tree_depth must be a positive integer"),
    ],
)
def test_bad_settings(gaussian_problem, kwargs, match):
    d = gaussian_problem
    with pytest.raises(ValueError, match=match):
        sample_posterior(models.linear, d["X"], d["y"], prior=models.gaussian(1.0), **kwargs)


def test_bad_data(gaussian_problem):
    d = gaussian_problem
    X = d["X"].copy()
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"argument 'X' contains NaN or inf.*rows \[3\]"):
        sample_posterior(models.linear, X, d["y"], prior=models.gaussian(1.0))
    y = d["y"].copy()
    y[0] = np.inf
    with pytest.raises(ValueError, match="argument 'y' contains NaN or inf"):
        sample_posterior(models.linear, d["X"], y, prior=models.gaussian(1.0))
    with pytest.raises(ValueError, match="one entry per row of X"):  # model and data mismatched
        sample_posterior(models.linear, d["X"], d["y"][:-1], prior=models.gaussian(1.0))


def test_model_checks_see_the_concrete_data(gaussian_problem):
    """The model is inspected with abstract latent values but concrete data: its checks run."""
    d = gaussian_problem
    X = np.column_stack([np.ones(len(d["y"])), d["X"]])
    with pytest.warns(models.IdentifiabilityWarning, match=r"column\(s\) \['const'\]"):
        sample_posterior(
            models.linear, X, d["y"], prior=models.gaussian(1.0), sigma=1.0,
            feature_names=["const", "a", "b", "c"], num_samples=10,
        )  # fmt: skip
    with pytest.raises(ValueError, match="sigma must be a positive finite number"):
        sample_posterior(models.linear, d["X"], d["y"], prior=models.gaussian(1.0), sigma=-1.0)
    with pytest.raises(ValueError, match="only 0/1 labels"):
        sample_posterior(models.logistic, d["X"], d["y"], prior=models.gaussian(1.0))


def shifted_data(data):
    """An observed value computed from a latent one (NumPyro allows it)."""
    shift = numpyro.sample("shift", dist.Normal(0.0, 1.0))
    numpyro.sample("z", dist.Normal(0.0, 1.0), obs=data - shift)


def test_observed_value_computed_from_a_latent_one():
    data = np.array([0.5, 1.0, 1.5, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        post = sample_posterior(shifted_data, data, num_chains=1, num_warmup=100, num_samples=100)
    assert post.idata.observed_data["z"].shape == (4,)
    assert post.samples["shift"].shape == (100,)


def test_first_call_compiles_each_piece_once(caplog):
    def standard_normal():  # a new function, so no cached program
        numpyro.sample("x", dist.Normal(0.0, 1.0))

    with (
        jax.log_compiles(True),
        caplog.at_level(logging.WARNING),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", SamplingWarning)
        sample_posterior(standard_normal, num_chains=2, num_warmup=20, num_samples=20)
    compiles = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Compiling")]
    # NUTS init; warmup and sampling in chunks, all one program; draws and log-likelihood
    programs = sorted(m.split(" ")[1] for m in compiles)
    assert programs == ["jit(advance)", "jit(finish_chains)", "jit(init)"], compiles


def test_diagnostics_match_arviz_with_labels_in_c_order():
    from bayesreg.sample.diagnostics import diagnostics_table

    gen = np.random.default_rng(5)
    idata = az.from_dict(
        posterior={"w": gen.normal(size=(2, 50, 2, 3)), "s": gen.normal(size=(2, 50))},
        coords={"rows": ["a", "b"], "cols": ["x", "y", "z"]},
        dims={"w": ["rows", "cols"]},
    )
    numba = az.Numba.numba_flag
    table = diagnostics_table(idata, ("w", "s"))
    assert az.Numba.numba_flag is numba  # switched off for the call only
    assert list(table.index) == ["w[a,x]", "w[a,y]", "w[a,z]", "w[b,x]", "w[b,y]", "w[b,z]", "s"]
    assert list(table.columns) == ["r_hat", "ess_bulk", "ess_tail", "mcse_mean"]
    expected = {
        "r_hat": az.rhat(idata),
        "ess_bulk": az.ess(idata, method="bulk"),
        "ess_tail": az.ess(idata, method="tail"),
        "mcse_mean": az.mcse(idata, method="mean"),
    }
    for column, dataset in expected.items():
        assert table.loc["w[b,y]", column] == pytest.approx(
            float(dataset["w"].sel(rows="b", cols="y")), rel=1e-9
        )
        assert table.loc["s", column] == pytest.approx(float(dataset["s"]), rel=1e-9)


def test_unknown_compiler_options_are_dropped(monkeypatch):
    from bayesreg.sample import programs

    monkeypatch.setattr(programs, "CLASSIC_EMITTERS", {"xla_no_such_option": True})
    programs.classic_emitters.cache_clear()
    try:
        assert programs.classic_emitters() == {}
    finally:
        programs.classic_emitters.cache_clear()


def test_chain_method_rule():
    from bayesreg.sample.driver import chain_method

    cpu, gpu = SimpleNamespace(platform="cpu"), SimpleNamespace(platform="gpu")
    assert chain_method(4, [cpu] * 4) == "parallel"
    assert chain_method(2, [gpu] * 8) == "parallel"
    assert chain_method(4, [cpu] * 2) == "sequential"  # too few devices: all on the first
    assert chain_method(1, [cpu] * 4) == "sequential"
    assert chain_method(4, [gpu]) == "vectorized"
    assert chain_method(1, [gpu]) == "vectorized"


def test_progress_bar_default(monkeypatch):
    from bayesreg.sample.driver import progress_enabled

    monkeypatch.setenv("CI", "true")
    assert progress_enabled(None) is False
    assert progress_enabled(True) is True
    monkeypatch.delenv("CI")
    assert progress_enabled(None) is sys.stderr.isatty()


# ---------------------------------------------------------------------------------------------
# slow: progress bar, parallel chains on simulated devices (calibration: test_calibration.py)


@pytest.mark.slow
def test_progress_bar_runs(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        post = sample_posterior(
            funnel, num_chains=2, num_warmup=50, num_samples=50, progress_bar=True
        )
    assert post.samples["v"].shape == (100,)
    err = capsys.readouterr().err
    assert "NUTS" in err
    # sequential chains (one CPU device) count on from one another, and the bar ends full
    steps = 2 * 100 if post.chain_method == "sequential" else 100
    assert f"{steps}/{steps}" in err


@pytest.mark.slow
def test_vectorized_chains_agree_with_exact_posterior(gaussian_problem, monkeypatch):
    """Chains batched with vmap (the rule picks them on one GPU or TPU), here forced on a CPU."""
    from bayesreg.sample import driver

    monkeypatch.setattr(driver, "chain_method", lambda num_chains, devices: "vectorized")
    d = gaussian_problem
    post = sample_posterior(
        models.linear, d["X"], d["y"], prior=models.gaussian(d["tau"]), sigma=d["sigma"],
        method="nuts", num_chains=2, num_warmup=300, num_samples=1000, seed=1,
    )  # fmt: skip
    assert post.chain_method == "vectorized" and post.num_divergent == 0
    assert post.idata.posterior["coef"].shape == (2, 1000, 3)
    mcse = np.r_[post.diagnostics["mcse_mean"].iloc[-1], post.diagnostics["mcse_mean"].iloc[:-1]]
    z = (stacked(post).mean(0) - d["mean"]) / mcse
    assert np.all(np.abs(z) < Z_MAX), z


@pytest.mark.slow
def test_parallel_chains_on_simulated_devices(gaussian_problem, gaussian_nuts, tmp_path):
    """4 simulated CPU devices: chains run one per device and agree with the exact posterior.

    Each chain draws exactly what it draws when the chains run one after another on one device.
    """
    d = gaussian_problem
    np.savez(tmp_path / "data.npz", X=d["X"], y=d["y"])
    script = textwrap.dedent(
        f"""
        import numpy as np
        from bayesreg import models
        from bayesreg.sample import sample_posterior
        data = np.load({str(tmp_path / "data.npz")!r})
        post = sample_posterior(models.linear, data["X"], data["y"],
                                prior=models.gaussian({d["tau"]}), sigma={d["sigma"]},
                                method="nuts", num_chains=4, num_warmup=500, num_samples=1000)
        draws = np.column_stack([post.samples["intercept"], post.samples["coef"]])
        np.savez({str(tmp_path / "out.npz")!r}, draws=draws,
                 mcse=post.diagnostics["mcse_mean"].to_numpy(), method=post.chain_method)
        """
    )
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4",
           "JAX_PLATFORMS": "cpu"}  # fmt: skip
    subprocess.run([sys.executable, "-W", "ignore", "-c", script], env=env, check=True)
    out = np.load(tmp_path / "out.npz")
    assert str(out["method"]) == "parallel"
    np.testing.assert_array_equal(out["draws"], stacked(gaussian_nuts))
    mcse = np.r_[out["mcse"][-1], out["mcse"][:-1]]  # diagnostics rows: coef..., intercept
    z = (out["draws"].mean(0) - d["mean"]) / mcse
    assert np.all(np.abs(z) < Z_MAX), z


def test_log_likelihood_can_be_left_out_for_large_data(gaussian_problem):
    d = gaussian_problem
    kwargs = dict(prior=models.laplace(1.0), num_chains=2, num_warmup=100, num_samples=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        full = sample_posterior(models.linear, d["X"], d["y"], **kwargs)
        lean = sample_posterior(models.linear, d["X"], d["y"], log_likelihood=False, **kwargs)
    assert "log_likelihood" in full.idata.groups()
    assert "log_likelihood" not in lean.idata.groups()
    np.testing.assert_allclose(lean.samples["coef"], full.samples["coef"], rtol=1e-12)
