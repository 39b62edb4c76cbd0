"""compare / compare_summary / predict / shrinkage_path, checked against NumPy on the draws."""

import dataclasses
from concurrent.futures import ThreadPoolExecutor

import arviz as az
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge

from bayesreg import models
from bayesreg.compare import COLUMNS, MAP_COLUMNS, compare, compare_summary
from bayesreg.map import MapResult, map_estimate
from bayesreg.predict import predict
from bayesreg.sample import sample_posterior
from bayesreg.select import shrinkage_path


def map_result(params: dict) -> MapResult:
    return MapResult(params=params, objective=0.0, num_iter=0, converged=True, optimality=0.0)


@pytest.fixture(scope="module")
def lasso_fit(laplace_problem) -> MapResult:
    """The MAP under the Laplace prior, from scikit-learn's lasso (the oracle)."""
    lasso = laplace_problem["lasso"]
    return map_result({"coef": lasso.coef_, "intercept": np.float64(lasso.intercept_)})


@pytest.fixture(scope="module")
def table(lasso_fit, laplace_posterior) -> pd.DataFrame:
    return compare(lasso_fit, laplace_posterior)


def narrowest_interval(draws: np.ndarray, prob: float) -> tuple[float, float]:
    """Brute force: the shortest [s_i, s_{i+k}] over sorted draws, k = floor(prob * n)."""
    s = np.sort(draws)
    k = int(np.floor(prob * len(s)))
    widths = s[k:] - s[: len(s) - k]
    i = int(np.argmin(widths))
    return s[i], s[i + k]


def test_table_layout(table, laplace_problem):
    names = laplace_problem["names"]
    assert list(table.columns) == list(COLUMNS)
    assert list(table.index) == [f"coef[{n}]" for n in names] + ["intercept"]
    assert table.attrs["hdi_prob"] == 0.94
    assert table["map_in_hdi"].dtype == bool and table["map_is_zero"].dtype == bool


def test_table_values_match_numpy_on_the_draws(table, lasso_fit, laplace_posterior):
    coef = np.asarray(laplace_posterior.samples["coef"])
    intercept = np.asarray(laplace_posterior.samples["intercept"])
    columns = [coef[:, j] for j in range(coef.shape[1])] + [intercept]
    maps = np.r_[lasso_fit.params["coef"], lasso_fit.params["intercept"]]
    for (label, row), draws, map_value in zip(table.iterrows(), columns, maps, strict=True):
        sd = draws.std(ddof=1)
        low, high = narrowest_interval(draws, 0.94)
        assert row["map"] == map_value, label
        np.testing.assert_allclose(row["mean"], draws.mean(), rtol=1e-12)
        np.testing.assert_allclose(row["median"], np.median(draws), rtol=1e-12)
        np.testing.assert_allclose(row["sd"], sd, rtol=1e-12)
        np.testing.assert_allclose([row["hdi_low"], row["hdi_high"]], [low, high], rtol=1e-12)
        assert row["p_positive"] == np.mean(draws > 0)
        assert row["eps"] == pytest.approx(0.1 * sd)
        assert row["p_near_zero"] == np.mean(np.abs(draws) < 0.1 * sd)
        assert row["map_in_hdi"] == (low <= map_value <= high)
        assert row["map_is_zero"] == (map_value == 0.0)


def test_hdi_is_the_narrowest_interval_with_its_mass(table, laplace_posterior):
    draws = np.asarray(laplace_posterior.samples["coef"])[:, 0]
    row = table.loc["coef[x0]"]
    inside = np.mean((draws >= row["hdi_low"]) & (draws <= row["hdi_high"]))
    assert 0.94 <= inside <= 0.94 + 2 / len(draws)
    # an equal-tailed 94% interval is never narrower
    low, high = np.quantile(draws, [0.03, 0.97])
    assert row["hdi_high"] - row["hdi_low"] <= high - low + 1e-12


def test_laplace_facts_in_the_table(table, laplace_problem):
    zero = laplace_problem["lasso"].coef_ == 0.0
    coef_rows = table.loc[[f"coef[{n}]" for n in laplace_problem["names"]]]
    np.testing.assert_array_equal(coef_rows["map_is_zero"].to_numpy(), zero)
    # the posterior of a MAP-zero weight: median not 0, most mass away from zero
    assert (coef_rows.loc[zero, "median"] != 0.0).all()
    assert (coef_rows.loc[zero, "p_near_zero"] < 0.5).all()
    assert not table.loc["intercept", "map_is_zero"]


def test_explicit_eps_and_hdi_prob(lasso_fit, laplace_posterior):
    table = compare(lasso_fit, laplace_posterior, hdi_prob=0.5, eps=0.05)
    draws = np.asarray(laplace_posterior.samples["coef"])[:, 2]
    row = table.loc["coef[x2]"]
    assert row["eps"] == 0.05 and row["p_near_zero"] == np.mean(np.abs(draws) < 0.05)
    np.testing.assert_allclose([row["hdi_low"], row["hdi_high"]], narrowest_interval(draws, 0.5))


def test_summary_counts_zeros_and_kept_mass(table):
    text = compare_summary(table)
    zero = table[table["map_is_zero"]]
    weights = [label for label in table.index if label.startswith("coef[")]
    assert "intercept" in table.index  # a row, but not a weight
    assert f"The MAP sets {len(zero)} of {len(weights)} weights exactly to zero" in text
    kept = 100 * np.mean(1 - zero["p_near_zero"])
    assert f"keep {kept:.0f}% of their posterior mass away from zero" in text
    for label in zero.index:
        assert label in text


def test_summary_without_zeros():
    table = pd.DataFrame(
        {"map": [1.0], "median": [1.0], "p_near_zero": [0.0], "map_in_hdi": [True],
         "map_is_zero": [False]},
        index=["coef[0]"],
    )  # fmt: skip
    assert compare_summary(table).startswith("The MAP sets none of the 1 weights exactly to zero.")


def test_summary_counts_only_the_coef_rows_as_weights():
    """An intercept or sigma row is in the table but is not a weight ("6 of 11 weights")."""
    table = pd.DataFrame(
        {"map": [0.0, 2.0, 0.0, 1.5], "median": [0.3, 2.0, 150.0, 1.4],
         "p_near_zero": [0.2, 0.0, 0.0, 0.0], "map_in_hdi": [True, True, True, False],
         "map_is_zero": [True, False, True, False]},
        index=["coef[age]", "coef[bmi]", "intercept", "sigma"],
    )  # fmt: skip
    text = compare_summary(table)
    assert text.startswith("The MAP sets 1 of 2 weights exactly to zero (coef[age]).")
    assert "intercept 150" not in text  # a zero intercept is not a zero weight
    assert "outside the 94% HDI for sigma" in text


def test_compare_rejects_mismatched_fit(laplace_posterior):
    coef = np.zeros(6)
    with pytest.raises(ValueError, match=r"site\(s\) \['tau'\] of the MAP fit are not in the"):
        compare(map_result({"coef": coef, "tau": np.float64(1.0)}), laplace_posterior)
    with pytest.raises(ValueError, match=r"site 'coef' has shape \(5,\) in the MAP fit but \(6,\)"):
        compare(map_result({"coef": np.zeros(5)}), laplace_posterior)
    with pytest.raises(ValueError, match="hdi_prob must lie in"):
        compare(map_result({"coef": coef}), laplace_posterior, hdi_prob=1.5)
    with pytest.raises(ValueError, match="eps must be a positive float"):
        compare(map_result({"coef": coef}), laplace_posterior, eps=-1.0)


# ---------------------------------------------------------------------------------------------
# predictions


@pytest.fixture(scope="module")
def ridge_setting():
    gen = np.random.default_rng(3)
    X = gen.normal(size=(50, 3))
    y = 2.0 + X @ np.array([1.0, 0.0, -1.0]) + 0.5 * gen.normal(size=50)
    post = sample_posterior(
        models.linear, X, y, prior=models.gaussian(1.0), sigma=0.5, num_samples=2000
    )
    return X, y, post


def test_predict_against_numpy(ridge_setting):
    X, _, post = ridge_setting
    X_new = pd.DataFrame(np.array([[0.0, 0.0, 0.0], [1.0, -1.0, 2.0]]), index=["a", "b"])
    link = predict(post, X_new, kind="linear_predictor", hdi_prob=0.9)
    draws = predict(post, X_new, kind="draws", hdi_prob=0.9)
    assert list(link.index) == ["a", "b"]
    assert list(link.columns) == [
        "linear_predictor", "linear_predictor_sd",
        "linear_predictor_hdi_low", "linear_predictor_hdi_high",
    ]  # fmt: skip
    assert list(draws.columns) == ["y", "y_sd", "y_hdi_low", "y_hdi_high"]
    coef, intercept = np.asarray(post.samples["coef"]), np.asarray(post.samples["intercept"])
    mu = intercept[:, None] + coef @ X_new.to_numpy().T  # (draws, 2)
    np.testing.assert_allclose(link["linear_predictor"], mu.mean(0), rtol=1e-10)
    low = link["linear_predictor_hdi_low"].to_numpy()
    high = link["linear_predictor_hdi_high"].to_numpy()
    inside = np.mean((mu >= low) & (mu <= high), 0)
    assert np.all((inside >= 0.9) & (inside <= 0.9 + 2 / len(mu)))
    # y = mu + noise (sd 0.5): wider interval, same mean up to Monte Carlo error
    width_y = draws["y_hdi_high"] - draws["y_hdi_low"]
    width_mu = high - low
    assert np.all(width_y > width_mu)
    np.testing.assert_allclose(
        width_y, 2 * 1.645 * np.sqrt(0.5**2 + mu.var(0)), rtol=0.1
    )  # the predictive is Normal here
    se = np.sqrt((0.5**2 + mu.var(0)) / len(mu))
    assert np.all(np.abs(draws["y"] - link["linear_predictor"]) < 4 * se)


def test_predict_bad_input(ridge_setting):
    _, _, post = ridge_setting
    with pytest.raises(ValueError, match="X_new has 2 columns but the posterior has 3"):
        predict(post, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="X_new contains NaN"):
        predict(post, np.full((1, 3), np.nan))
    with pytest.raises(ValueError, match="X_new must be 2-d"):
        predict(post, np.zeros(3))


# ---------------------------------------------------------------------------------------------
# shrinkage paths


def test_shrinkage_path_gaussian_against_closed_form(ridge_setting):
    X, y, _ = ridge_setting
    scales = np.array([0.05, 0.3, 3.0])
    ridge = np.array([Ridge(alpha=0.5**2 / s**2).fit(X, y).coef_ for s in scales])
    path = shrinkage_path(
        X, y, scales, prior="gaussian", sigma=0.5, map_path=ridge, num_samples=2000, prob=0.8
    )
    assert path.map.shape == path.median.shape == path.low.shape == (3, 3)
    np.testing.assert_array_equal(path.map, ridge)
    assert path.feature_names == ["0", "1", "2"] and path.prior == "gaussian"
    Z = np.column_stack([np.ones(len(y)), X])
    for k, s in enumerate(scales):
        cov = np.linalg.inv(Z.T @ Z / 0.25 + np.diag([0.0] + [1 / s**2] * 3))
        mean = (cov @ Z.T @ y / 0.25)[1:]
        sd = np.sqrt(np.diag(cov))[1:]
        # the median of a Normal is its mean; 4000 iid draws, median sd ~ 1.25 sd / sqrt(N)
        assert np.all(np.abs(path.median[k] - mean) < 4 * 1.25 * sd / np.sqrt(4000))
        np.testing.assert_allclose(path.high[k] - path.low[k], 2 * 1.2816 * sd, rtol=0.1)
    # the ridge MAP equals the posterior mean under a Normal prior (flat intercept)
    np.testing.assert_allclose(path.median, ridge, atol=0.05)


def test_shrinkage_path_bad_input(ridge_setting):
    X, y, _ = ridge_setting
    with pytest.raises(ValueError, match="prior must be 'laplace' or 'gaussian'"):
        shrinkage_path(X, y, [1.0], prior="horseshoe")
    with pytest.raises(ValueError, match="scales must be a non-empty"):
        shrinkage_path(X, y, [1.0, -1.0])
    with pytest.raises(ValueError, match=r"map_path must have shape \(len\(scales\), p\)"):
        shrinkage_path(X, y, [1.0], map_path=np.zeros((2, 3)))


# ---------------------------------------------------------------------------------------------
# repeated feature names and threads


@pytest.fixture(scope="module")
def named_setting():
    gen = np.random.default_rng(5)
    X = pd.DataFrame(gen.normal(size=(40, 3)), columns=["a", "b", "c"])
    y = X.to_numpy() @ np.array([1.0, -1.0, 0.5]) + gen.normal(size=40)
    kwargs = {"prior": models.gaussian(1.0), "sigma": 1.0}
    fit = map_estimate(models.linear, X, y, **kwargs)
    post = sample_posterior(models.linear, X, y, num_chains=1, num_samples=200, **kwargs)
    return X, y, fit, post


def test_compare_refuses_repeated_feature_names(named_setting):
    _, _, fit, post = named_setting
    assert list(compare(fit, post).index) == ["coef[a]", "coef[b]", "coef[c]", "intercept"]
    posterior = post.idata.posterior.assign_coords(features=["a", "a", "b"])
    repeated = dataclasses.replace(post, idata=az.InferenceData(posterior=posterior))
    with pytest.raises(ValueError, match=r"repeated row labels \['coef\[a\]'\] \(repeated "
                       r"feature names \['a'\]\)"):  # fmt: skip
        compare(fit, repeated)


def test_repeated_dataframe_columns_never_reach_a_table(named_setting):
    X, y, _, _ = named_setting
    X = X.set_axis(["a", "a", "b"], axis=1)
    kwargs = {"prior": models.gaussian(1.0), "sigma": 1.0}
    # refused at the latest by compare (map_estimate / sample_posterior may refuse earlier)
    with pytest.raises(ValueError, match="'a'"):
        fit = map_estimate(models.linear, X, y, **kwargs)
        post = sample_posterior(models.linear, X, y, num_chains=1, num_samples=100, **kwargs)
        compare(fit, post)
    with pytest.raises(ValueError, match=r"X has duplicate column names: 'a' \(2 times\)"):
        shrinkage_path(X, y, [1.0], prior="gaussian")


def test_predict_refuses_repeated_columns(named_setting):
    X, _, _, post = named_setting
    with pytest.raises(ValueError, match=r"X_new has duplicate column names: 'a' \(2 times\)"):
        predict(post, X.set_axis(["a", "a", "b"], axis=1))


def test_predict_from_threads_equals_serial(named_setting):
    # Predictive runs the model under NumPyro's process-wide handler stack: without the lock,
    # threads see each other's handlers (wrong shapes, duplicated sites, wrong values)
    X, _, _, post = named_setting
    rows = [X.iloc[: 5 + k] for k in range(8)]
    serial = [predict(post, rows_k, seed=k) for k, rows_k in enumerate(rows)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            futures = [pool.submit(predict, post, r, seed=k) for k, r in enumerate(rows)]
            for expected, future in zip(serial, futures, strict=True):
                pd.testing.assert_frame_equal(future.result(), expected)


def test_posterior_only_table_of_a_laplace_posterior(table, laplace_posterior):
    """compare(None, post): the same posterior columns as with a MAP, no MAP columns, no kappa."""
    alone = compare(None, laplace_posterior)
    assert list(alone.columns) == [c for c in COLUMNS if c not in MAP_COLUMNS]
    assert list(alone.index) == list(table.index)  # every site: here coef and intercept
    pd.testing.assert_frame_equal(alone, table[alone.columns])
    text = compare_summary(alone)
    coef = table.loc[[label for label in table.index if label.startswith("coef[")]]
    away = ((coef["hdi_low"] > 0) | (coef["hdi_high"] < 0)).sum()
    assert text == (
        f"Posterior only (no MAP): {away} of {len(coef)} weights have a 94% HDI that excludes "
        f"zero ({', '.join(coef.index[(coef['hdi_low'] > 0) | (coef['hdi_high'] < 0)])})."
    )
