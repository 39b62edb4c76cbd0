"""The report for shrinkage priors: kappa against closed forms, compare(None, post), figures.

The shrinkage factor is a deterministic function of the draws, so most checks run on draws from
the prior (NumPyro's ``Predictive``) packed as a posterior: exact, and no sampler to wait for.
One real posterior (NUTS or Gibbs, whichever ``method="auto"`` picks) checks that compare,
the figures and predict work on what ``sample_posterior`` returns for a horseshoe.
"""

import dataclasses
import warnings

import arviz as az
import jax
import matplotlib.pyplot as plt
import numpy as np
import numpyro
import numpyro.distributions as dist
import pandas as pd
import pytest
from numpyro.infer import Predictive

import bayesreg as br
from bayesreg import models
from bayesreg.compare import COLUMNS, KAPPA_COLUMNS, MAP_COLUMNS, compare, compare_summary
from bayesreg.plots import plot_forest, plot_shrinkage_factors
from bayesreg.sample import PosteriorResult, SamplingWarning

NUM_DRAWS = 400


def prior_draws(model, X, y, *, names=None, seed=0, **kwargs) -> PosteriorResult:
    """Draws of the model's latent and deterministic sites from the prior, as a posterior."""
    drawn = Predictive(model, num_samples=NUM_DRAWS)(jax.random.key(seed), X, None, **kwargs)
    samples = {name: value for name, value in drawn.items() if name not in ("y", "mu")}
    p = X.shape[1]
    dims = {name: ["features"] for name, value in samples.items() if value.shape[1:] == (p,)}
    coords = {"features": names if names is not None else [str(j) for j in range(p)]}
    idata = az.from_dict(
        posterior={name: np.asarray(value)[None] for name, value in samples.items()},
        dims=dims,
        coords=coords,
    )
    return PosteriorResult(
        samples=samples, idata=idata, method="prior", chain_method="iid", num_chains=1,
        num_samples=NUM_DRAWS, num_divergent=0, diagnostics=pd.DataFrame(), model=model,
        args=(X, y), kwargs=kwargs,
    )  # fmt: skip


def kappa_by_hand(coef_scale, X, noise_var, *, centred) -> np.ndarray:
    """Piironen & Vehtari (2017), eq. 2.6, written out in NumPy."""
    Z = X - X.mean(axis=0) if centred else X
    spread = np.einsum("ij,ij->j", Z, Z)
    return 1.0 / (1.0 + np.asarray(coef_scale) ** 2 * spread / np.reshape(noise_var, (-1, 1)))


def test_normal_means_kappa_is_the_textbook_form():
    """X = I, no intercept, sigma = 1: kappa_j = 1 / (1 + lambda_j² tau²) (Carvalho et al.)."""
    p = 6
    post = prior_draws(models.linear, np.eye(p), np.arange(p, dtype=float),
                       prior=models.horseshoe(), sigma=1.0, intercept=False)  # fmt: skip
    lam, tau = np.asarray(post.samples["lambda"]), np.asarray(post.samples["tau"])
    kappa = np.asarray(br.shrinkage_factors(post))
    assert kappa.shape == (NUM_DRAWS, p)
    np.testing.assert_allclose(kappa, 1.0 / (1.0 + lam**2 * tau[:, None] ** 2), rtol=1e-12)
    # the prior of kappa under the horseshoe is Beta(1/2, 1/2) given tau = 1; here both ends
    assert kappa.min() < 0.05 and kappa.max() > 0.95


@pytest.mark.parametrize("prior", [models.horseshoe(0.3), models.horseshoe_plus(),
                                   models.regularized_horseshoe(slab_scale=1.5), models.r2d2()],
                         ids=lambda prior: prior.name)  # fmt: skip
def test_kappa_gaussian_with_intercept_and_noise_prior(prior):
    """Centred columns (the intercept absorbs their means), sigma a site: kappa per draw."""
    gen = np.random.default_rng(1)
    X = gen.normal(loc=3.0, scale=[0.5, 1.0, 2.0, 4.0], size=(30, 4))
    y = gen.normal(size=30)
    post = prior_draws(models.linear, X, y, prior=prior, sigma=dist.HalfNormal(2.0),
                       intercept=dist.Normal(0.0, 10.0))  # fmt: skip
    sigma = np.asarray(post.samples["sigma"])
    expected = kappa_by_hand(post.samples["coef_scale"], X, sigma**2, centred=True)
    np.testing.assert_allclose(br.shrinkage_factors(post), expected, rtol=1e-12)
    if prior.name == "regularized_horseshoe":  # coef_scale itself, from the sites by hand
        tau, lam, c = (np.asarray(post.samples[s]) for s in ("tau", "lambda", "c"))
        tilde2 = c[:, None] ** 2 * lam**2 / (c[:, None] ** 2 + tau[:, None] ** 2 * lam**2)
        by_hand = sigma[:, None] * tau[:, None] * np.sqrt(tilde2)
        np.testing.assert_allclose(post.samples["coef_scale"], by_hand, rtol=1e-10)
    if prior.name == "horseshoe":
        tau, lam = np.asarray(post.samples["tau"]), np.asarray(post.samples["lambda"])
        np.testing.assert_allclose(post.samples["coef_scale"], sigma[:, None] * lam * tau[:, None],
                                   rtol=1e-12)  # fmt: skip


def test_kappa_without_intercept_uses_raw_columns():
    gen = np.random.default_rng(2)
    X = gen.normal(loc=2.0, size=(25, 3))
    post = prior_draws(models.linear, X, gen.normal(size=25), prior=models.horseshoe(),
                       sigma=0.7, intercept=False)  # fmt: skip
    expected = kappa_by_hand(post.samples["coef_scale"], X, np.full(NUM_DRAWS, 0.49), centred=False)
    np.testing.assert_allclose(br.shrinkage_factors(post), expected, rtol=1e-12)


@pytest.mark.parametrize(
    "model, y, noise_var",
    [
        (models.logistic, np.r_[np.ones(8), np.zeros(32)], 1.0 / (0.2 * 0.8)),  # ybar = 0.2
        (models.poisson, np.r_[np.full(10, 4.0), np.zeros(30)], 1.0),  # ybar = 1
        (models.poisson, np.r_[np.full(20, 5.0), np.zeros(20)], 1.0 / 2.5),
    ],
    ids=["bernoulli", "poisson-1", "poisson-2.5"],
)
def test_kappa_pseudo_variance_of_glms(model, y, noise_var):
    """Bernoulli 1/(ybar(1-ybar)), Poisson 1/ybar: read from the likelihood, not the model."""
    X = np.random.default_rng(3).normal(size=(40, 3))
    post = prior_draws(model, X, y, prior=models.horseshoe(), intercept=dist.Normal(0.0, 5.0))
    expected = kappa_by_hand(post.samples["coef_scale"], X, noise_var, centred=True)
    np.testing.assert_allclose(br.shrinkage_factors(post), expected, rtol=1e-12)


def test_kappa_reads_the_likelihood_of_a_users_model():
    """A hand-written model with the same sites: its Normal's sd (2 * s) is the noise."""

    def model(X, y=None):
        s = numpyro.sample("s", dist.HalfNormal(1.0))
        tau = numpyro.sample("tau", dist.HalfCauchy(1.0))
        with numpyro.plate("features", X.shape[1]):
            lam = numpyro.sample("lambda", dist.HalfCauchy(1.0))
            z = numpyro.sample("coef_z", dist.Normal(0.0, 1.0))
            scale = numpyro.deterministic("coef_scale", lam * tau)
            coef = numpyro.deterministic("coef", z * scale)
        with numpyro.plate("obs", X.shape[0]):
            numpyro.sample("y", dist.Normal(X @ coef, 2.0 * s), obs=y)

    X = np.random.default_rng(4).normal(size=(20, 3))
    post = prior_draws(model, X, np.zeros(20))
    noise_var = (2.0 * np.asarray(post.samples["s"])) ** 2
    expected = kappa_by_hand(post.samples["coef_scale"], X, noise_var, centred=False)
    np.testing.assert_allclose(br.shrinkage_factors(post), expected, rtol=1e-12)


def test_kappa_refusals():
    X = np.random.default_rng(5).normal(size=(20, 3))
    gaussian = prior_draws(models.linear, X, np.zeros(20), prior=models.gaussian(1.0), sigma=1.0,
                           intercept=False)  # fmt: skip
    with pytest.raises(ValueError, match="no 'coef_scale' site"):
        br.shrinkage_factors(gaussian)

    def student(X, y=None):
        with numpyro.plate("features", X.shape[1]):
            scale = numpyro.deterministic("coef_scale", numpyro.sample("lam", dist.HalfCauchy(1)))
            coef = numpyro.deterministic("coef", scale * numpyro.sample("z", dist.Normal()))
        with numpyro.plate("obs", X.shape[0]):
            numpyro.sample("y", dist.StudentT(3.0, X @ coef, 1.0), obs=y)

    with pytest.raises(ValueError, match="Gaussian, Bernoulli or Poisson likelihood; the model's "
                       "observed site 'y' has a StudentT likelihood"):  # fmt: skip
        br.shrinkage_factors(prior_draws(student, X, np.zeros(20)))


# ---------------------------------------------------------------------------------------------
# compare without a MAP, and beside another prior's MAP


@pytest.fixture(scope="module")
def horseshoe_draws():
    gen = np.random.default_rng(6)
    X = gen.normal(size=(30, 4))
    return prior_draws(
        models.linear, X, gen.normal(size=30), names=["a", "b", "c", "d"],
        prior=models.horseshoe(), sigma=1.0, intercept=dist.Normal(0.0, 10.0),
    )  # fmt: skip


def test_posterior_only_table(horseshoe_draws):
    post = horseshoe_draws
    table = compare(None, post, hdi_prob=0.9)
    assert list(table.columns) == [c for c in COLUMNS if c not in MAP_COLUMNS] + list(KAPPA_COLUMNS)
    coef_rows = ["coef[a]", "coef[b]", "coef[c]", "coef[d]"]
    assert list(table.index[:4]) == coef_rows  # the weights first, though coef is deterministic
    assert {"tau", "lambda[a]", "coef_z[d]", "coef_scale[b]", "intercept"} <= set(table.index)
    kappa = np.asarray(br.shrinkage_factors(post))
    for j, label in enumerate(coef_rows):
        low, high = az.hdi(kappa[:, j], hdi_prob=0.9)
        np.testing.assert_allclose(table.loc[label, list(KAPPA_COLUMNS)].to_numpy(float),
                                   [np.median(kappa[:, j]), low, high], rtol=1e-12)  # fmt: skip
    assert table.drop(index=coef_rows)[list(KAPPA_COLUMNS)].isna().all().all()
    draws = np.asarray(post.samples["coef"])[:, 1]
    assert table.loc["coef[b]", "median"] == pytest.approx(np.median(draws), rel=1e-12)
    text = compare_summary(table)
    away = [r for r in coef_rows if table.loc[r, "hdi_low"] > 0 or table.loc[r, "hdi_high"] < 0]
    assert text.startswith(
        f"Posterior only (no MAP): {len(away)} of 4 weights have a 90% HDI that excludes zero"
    )
    assert "shrinkage factor kappa" in text and "MAP lies" not in text


def test_laplace_map_beside_a_horseshoe_posterior(horseshoe_draws):
    """A MAP of another prior: its sites (coef, intercept) are the horseshoe's; kappa added."""
    lasso = np.array([0.5, 0.0, -1.0, 0.0])
    fit = br.MapResult(params={"coef": lasso, "intercept": np.float64(0.3)}, objective=0.0,
                       num_iter=0, converged=True, optimality=0.0)  # fmt: skip
    table = compare(fit, horseshoe_draws)
    assert list(table.index) == ["coef[a]", "coef[b]", "coef[c]", "coef[d]", "intercept"]
    assert list(table.columns) == list(COLUMNS) + list(KAPPA_COLUMNS)
    np.testing.assert_array_equal(table["map"].to_numpy()[:4], lasso)
    assert table["map_is_zero"].tolist() == [False, True, False, True, False]
    assert table["kappa_median"].iloc[:4].between(0, 1).all()
    text = compare_summary(table)
    assert text.startswith("The MAP sets 2 of 4 weights exactly to zero (coef[b], coef[d]).")
    assert "shrinkage factor kappa" in text
    other = dataclasses.replace(fit, params={"coef": lasso, "b": np.float64(1.0)})
    with pytest.raises(ValueError, match=r"site\(s\) \['b'\] of the MAP fit are not in the"):
        compare(other, horseshoe_draws)


def test_kappa_summary_names_noise_and_signal():
    table = pd.DataFrame(
        {"mean": [0.0, 3.0], "median": [0.0, 3.0], "hdi_low": [-1.0, 2.0], "hdi_high": [1.0, 4.0],
         "kappa_median": [0.9, 0.1]},
        index=["coef[a]", "coef[b]"],
    )  # fmt: skip
    text = compare_summary(table)
    assert text.endswith(
        "has a posterior median above 0.5 for 1 of 2 weights (coef[a] 0.90): the prior treats "
        "them mostly as noise; at or below it for the rest (coef[b] 0.10): signal."
    )
    table["kappa_median"] = [0.3, 0.1]
    assert compare_summary(table).endswith(
        "at or below 0.5 for all 2 weights (coef[a] 0.30, coef[b] 0.10): the prior treats every "
        "one mostly as signal."
    )


# ---------------------------------------------------------------------------------------------
# figures and predictions on a sampled horseshoe posterior


@pytest.fixture(scope="module")
def horseshoe_posterior():
    gen = np.random.default_rng(7)
    X = pd.DataFrame(gen.normal(size=(60, 4)), columns=["a", "b", "c", "d"])
    y = 1.0 + X.to_numpy() @ np.array([2.0, 0.0, 0.0, -1.0]) + gen.normal(size=60)
    with warnings.catch_warnings():
        # a short run (the figures and tables are what is checked, not the sampler)
        warnings.simplefilter("ignore", SamplingWarning)
        post = br.sample_posterior(
            models.linear, X, y, prior=models.horseshoe(), sigma=1.0, num_chains=2,
            num_warmup=300, num_samples=300, seed=0,
        )  # fmt: skip
    return X, y, post


def test_figures_and_predictions_on_a_horseshoe_posterior(horseshoe_posterior):
    X, _, post = horseshoe_posterior
    table = compare(None, post)
    fig = plot_forest(table)
    (ax,) = fig.axes
    assert "MAP" not in [line.get_label() for line in ax.get_lines()]
    plt.close(fig)
    fit = br.map_estimate(models.linear, X, horseshoe_posterior[1], prior=models.laplace(1.0),
                          sigma=1.0)  # fmt: skip
    fig = plot_forest(compare(fit, post), map_label="Laplace MAP (lasso)")
    assert "Laplace MAP (lasso)" in [line.get_label() for line in fig.axes[0].get_lines()]
    plt.close(fig)
    fig = br.plots.plot_densities(fit, post)  # the MAP of another prior on the horseshoe's coef
    assert len([a for a in fig.axes if a.get_visible()]) == 4
    plt.close(fig)
    fig = plot_shrinkage_factors(post)
    ax = fig.axes[0]
    (median,) = [line for line in ax.get_lines() if line.get_label() == "posterior median"]
    kappa = np.asarray(br.shrinkage_factors(post))
    np.testing.assert_allclose(median.get_xdata(), np.median(kappa, axis=0), rtol=1e-12)
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"coef[{c}]" for c in "abcd"]
    plt.close(fig)
    # predictions: the deterministic coef is what the model recomputes from its sites
    rows = X.iloc[:3]
    link = br.predict(post, rows, kind="linear_predictor")
    coef, intercept = np.asarray(post.samples["coef"]), np.asarray(post.samples["intercept"])
    mu = intercept[:, None] + coef @ rows.to_numpy().T
    np.testing.assert_allclose(link["linear_predictor"], mu.mean(axis=0), rtol=1e-10)
    with pytest.raises(ValueError, match="hdi_prob must lie in"):
        plot_shrinkage_factors(post, hdi_prob=1.0)


def test_kappa_in_batches_of_draws_equals_one_batch(monkeypatch):
    """The model runs over the draws in batches (memory bounded); a remainder batch included."""
    import importlib

    compare_module = importlib.import_module("bayesreg.compare")  # br.compare is the function
    gen = np.random.default_rng(8)
    X = gen.normal(size=(20, 3))
    post = prior_draws(models.linear, X, gen.normal(size=20), prior=models.horseshoe(),
                       sigma=dist.HalfNormal(1.0), intercept=False)  # fmt: skip
    whole = np.asarray(br.shrinkage_factors(post))
    monkeypatch.setattr(compare_module, "NOISE_BATCH_VALUES", 3 * 20)  # 3 draws a batch, 400 draws
    np.testing.assert_allclose(br.shrinkage_factors(post), whole, rtol=1e-12)
    sigma = np.asarray(post.samples["sigma"])
    np.testing.assert_allclose(
        whole, kappa_by_hand(post.samples["coef_scale"], X, sigma**2, centred=False), rtol=1e-12
    )
