"""map_estimate against independent oracles: scikit-learn's solvers and closed forms."""

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pandas as pd
import pytest
from numpyro.distributions import constraints
from sklearn.linear_model import (
    ElasticNet,
    Lasso,
    LogisticRegression,
    PoissonRegressor,
    Ridge,
)

import bayesreg as br
from bayesreg.map import ConvergenceWarning
from bayesreg.models import elastic_net, gaussian, laplace, linear, logistic, poisson

RTOL = 1e-6  # relative coefficient agreement required by the issue


def assert_same_solution(coef, intercept, reference_coef, reference_intercept, rtol=RTOL):
    coef = np.asarray(coef)
    reference_coef = np.ravel(reference_coef)
    scale = max(np.max(np.abs(reference_coef)), 1e-12)
    np.testing.assert_array_equal(coef == 0, reference_coef == 0, err_msg="zero sets differ")
    assert np.max(np.abs(coef - reference_coef)) <= rtol * scale
    assert abs(float(intercept) - float(np.ravel(reference_intercept)[0])) <= rtol * max(
        1.0, abs(float(np.ravel(reference_intercept)[0]))
    )


@pytest.fixture(scope="module")
def wide_correlated():
    """p > n with AR(1)-correlated columns (rho = 0.9) and a sparse truth."""
    rng = np.random.default_rng(7)
    n, p = 60, 150
    cov = 0.9 ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
    X = rng.normal(size=(n, p)) @ np.linalg.cholesky(cov).T
    truth = np.zeros(p)
    truth[[0, 10, 40, 41, 90]] = [3.0, -2.0, 1.5, 1.0, -1.0]
    y = 2.0 + X @ truth + rng.normal(size=n)
    return X, y


def tight(estimator_cls, **kwargs):
    return estimator_cls(tol=1e-14, max_iter=1_000_000, **kwargs)


# -- Gaussian likelihood, known sigma ------------------------------------------------------------


@pytest.mark.parametrize("b", [2.0, 10.0, 50.0, 300.0])
def test_laplace_prior_is_lasso_on_diabetes(diabetes, b):
    X, y = diabetes
    sigma, n = 55.0, len(y)
    fit = br.map_estimate(linear, X, y, prior=laplace(b), sigma=sigma)
    reference = tight(Lasso, alpha=sigma**2 / (n * b)).fit(X, y)
    assert fit.converged
    assert_same_solution(
        fit.params["coef"], fit.params["intercept"], reference.coef_, reference.intercept_
    )


@pytest.mark.parametrize("b", [0.02, 0.1, 1.0])
def test_laplace_prior_is_lasso_p_greater_than_n(wide_correlated, b):
    X, y = wide_correlated
    sigma, n = 1.3, len(y)
    fit = br.map_estimate(linear, X, y, prior=laplace(b), sigma=sigma)
    reference = tight(Lasso, alpha=sigma**2 / (n * b)).fit(X, y)
    assert 0 < np.sum(reference.coef_ != 0) < X.shape[0]
    assert_same_solution(
        fit.params["coef"], fit.params["intercept"], reference.coef_, reference.intercept_
    )


@pytest.mark.parametrize("tau", [0.5, 5.0, 100.0])
def test_gaussian_prior_is_ridge(diabetes, wide_correlated, tau):
    for X, y, sigma in [(*diabetes, 55.0), (*wide_correlated, 1.3)]:
        fit = br.map_estimate(linear, X, y, prior=gaussian(tau), sigma=sigma)
        reference = Ridge(alpha=sigma**2 / tau**2, solver="svd").fit(X, y)
        assert_same_solution(
            fit.params["coef"], fit.params["intercept"], reference.coef_, reference.intercept_
        )


@pytest.mark.parametrize(("b", "tau"), [(5.0, 20.0), (50.0, 5.0), (0.05, 0.5)])
def test_elastic_net_prior_is_elastic_net(diabetes, wide_correlated, b, tau):
    data = diabetes if b > 1 else wide_correlated
    X, y = data
    sigma, n = (55.0 if b > 1 else 1.3), len(y)
    fit = br.map_estimate(linear, X, y, prior=elastic_net(b, tau), sigma=sigma)
    alpha = sigma**2 / n * (1 / b + 1 / tau**2)
    l1_ratio = (1 / b) / (1 / b + 1 / tau**2)
    reference = tight(ElasticNet, alpha=alpha, l1_ratio=l1_ratio).fit(X, y)
    assert_same_solution(
        fit.params["coef"], fit.params["intercept"], reference.coef_, reference.intercept_
    )


# -- other likelihoods -----------------------------------------------------------------------


@pytest.mark.parametrize("b", [0.02, 0.2, 2.0])
def test_laplace_prior_is_l1_logistic(breast_cancer, b):
    X, y = breast_cancer
    fit = br.map_estimate(logistic, X, y, prior=laplace(b))
    # saga does not penalize the intercept (liblinear would)
    reference = LogisticRegression(
        C=b, l1_ratio=1.0, solver="saga", tol=1e-10, max_iter=200_000
    ).fit(X, y)
    assert fit.converged
    assert_same_solution(
        fit.params["coef"], fit.params["intercept"], reference.coef_, reference.intercept_
    )


@pytest.mark.parametrize("tau", [0.1, 1.0])
def test_gaussian_prior_is_l2_logistic(breast_cancer, tau):
    X, y = breast_cancer
    fit = br.map_estimate(logistic, X, y, prior=gaussian(tau))
    reference = LogisticRegression(
        C=tau**2, solver="newton-cholesky", tol=1e-12, max_iter=1000
    ).fit(X, y)
    assert_same_solution(
        fit.params["coef"], fit.params["intercept"], reference.coef_, reference.intercept_
    )


@pytest.mark.parametrize("tau", [0.05, 0.5, 5.0])
def test_gaussian_prior_is_poisson_regressor(tau):
    rng = np.random.default_rng(3)
    n, p = 400, 6
    X = rng.normal(size=(n, p))
    y = rng.poisson(np.exp(0.5 + X @ rng.normal(scale=0.3, size=p)))
    fit = br.map_estimate(poisson, X, y, prior=gaussian(tau))
    reference = PoissonRegressor(
        alpha=1 / (n * tau**2), solver="newton-cholesky", tol=1e-12, max_iter=1000
    ).fit(X, y)
    assert_same_solution(
        fit.params["coef"], fit.params["intercept"], reference.coef_, reference.intercept_
    )


# -- models written by the user ----------------------------------------------------------------


def handwritten_lasso(X, y, b, sigma):
    """Laplace prior expanded and moved to the event dims, likelihood as a factor."""
    p = X.shape[1]
    w = numpyro.sample("w", dist.Laplace(0.0, b).expand([p]).to_event(1))
    w0 = numpyro.sample("w0", dist.ImproperUniform(constraints.real, (), ()))
    residual = y - X @ w - w0
    numpyro.factor("loglik", -0.5 * jnp.sum(residual**2) / sigma**2)


def test_user_model_with_expand_to_event_and_factor(diabetes):
    X, y = diabetes
    b, sigma, n = 20.0, 55.0, len(y)
    fit = br.map_estimate(handwritten_lasso, X, y, b, sigma)
    reference = tight(Lasso, alpha=sigma**2 / (n * b)).fit(X, y)
    assert_same_solution(fit.params["w"], fit.params["w0"], reference.coef_, reference.intercept_)


def per_weight_laplace(X, y, loc, scale, sigma):
    with numpyro.plate("features", X.shape[1]):
        w = numpyro.sample("w", dist.Independent(dist.Laplace(loc, scale), 0))
    w0 = numpyro.sample("w0", dist.ImproperUniform(constraints.real, (), ()))
    with numpyro.plate("obs", X.shape[0]):
        numpyro.sample("y", dist.Normal(X @ w + w0, sigma), obs=y)


def test_per_weight_loc_and_scale_match_rescaled_lasso(diabetes):
    """Laplace(loc_j, b_j): with v = w - loc and columns scaled by c_j = b_j / b0 it is a lasso."""
    X, y = diabetes
    n, p = X.shape
    sigma, b0 = 55.0, 20.0
    loc = np.linspace(-100.0, 100.0, p)
    scale = b0 * np.linspace(0.2, 3.0, p)
    fit = br.map_estimate(per_weight_laplace, X, y, loc, scale, sigma)
    c = scale / b0
    reference = tight(Lasso, alpha=sigma**2 / (n * b0)).fit(X * c, y - X @ loc)
    expected = loc + c * reference.coef_
    np.testing.assert_array_equal(fit.params["w"] == loc, reference.coef_ == 0)
    np.testing.assert_allclose(
        fit.params["w"], expected, rtol=0, atol=RTOL * np.abs(expected).max()
    )
    assert float(fit.params["w0"]) == pytest.approx(reference.intercept_, rel=RTOL)


def test_numpyro_autodelta_has_no_exact_zeros_but_we_do(diabetes):
    """The gradient-based MAP of NumPyro gets close to the lasso but never onto the kink."""
    from numpyro.infer import SVI, Trace_ELBO
    from numpyro.infer.autoguide import AutoDelta

    X, y = diabetes
    b, sigma, n = 10.0, 55.0, len(y)
    reference = tight(Lasso, alpha=sigma**2 / (n * b)).fit(X, y)
    assert np.sum(reference.coef_ == 0) >= 2
    guide = AutoDelta(linear)
    svi = SVI(linear, guide, numpyro.optim.Adam(1.0), Trace_ELBO())
    result = svi.run(
        jax.random.PRNGKey(0), 3000, X, y, prior=laplace(b), sigma=sigma, progress_bar=False
    )
    autodelta = np.asarray(result.params["coef_auto_loc"])
    assert np.sum(autodelta == 0) == 0
    ours = br.map_estimate(linear, X, y, prior=laplace(b), sigma=sigma)
    assert np.sum(np.asarray(ours.params["coef"]) == 0) == np.sum(reference.coef_ == 0)


# -- unknown noise ---------------------------------------------------------------------------------


@pytest.mark.parametrize("prior_kind", ["laplace", "gaussian"])
def test_unknown_sigma_fixed_point(diabetes, prior_kind):
    """Joint MAP over (w, sigma): w is the lasso/ridge at alpha(sigma_hat), sigma_hat stationary."""
    X, y = diabetes
    n = len(y)
    s0 = 100.0  # HalfNormal scale of sigma
    prior = laplace(20.0) if prior_kind == "laplace" else gaussian(10.0)
    fit = br.map_estimate(linear, X, y, prior=prior, sigma=dist.HalfNormal(s0))
    sigma_hat = float(fit.params["sigma"])
    if prior_kind == "laplace":
        reference = tight(Lasso, alpha=sigma_hat**2 / (n * 20.0)).fit(X, y)
    else:
        reference = Ridge(alpha=sigma_hat**2 / 10.0**2, solver="svd").fit(X, y)
    assert_same_solution(
        fit.params["coef"], fit.params["intercept"], reference.coef_, reference.intercept_
    )
    rss = np.sum((y - X @ reference.coef_ - reference.intercept_) ** 2)
    # d/dsigma [n log sigma + RSS / (2 sigma^2) + sigma^2 / (2 s0^2)] = 0
    stationarity = n / sigma_hat - rss / sigma_hat**3 + sigma_hat / s0**2
    assert abs(stationarity) <= 1e-8 * n / sigma_hat


# -- numerics, compilation, results ----------------------------------------------------------------


def test_float64_by_default(diabetes):
    X, y = diabetes
    fit = br.map_estimate(linear, X, y, prior=laplace(20.0), sigma=55.0)
    assert fit.params["coef"].dtype == jnp.float64


def test_float32_gets_the_zero_set_on_a_well_conditioned_problem():
    rng = np.random.default_rng(11)
    n, p = 500, 12
    X = rng.normal(size=(n, p))
    truth = np.where(np.arange(p) < 4, [2.0, -1.5, 1.0, 0.8] * 3, 0.0)[:p]
    y = X @ truth + rng.normal(size=n)
    b, sigma = 0.05, 1.0
    fit = br.map_estimate(
        linear,
        X.astype(np.float32),
        y.astype(np.float32),
        prior=laplace(b),
        sigma=sigma,
        dtype="float32",
    )
    reference = tight(Lasso, alpha=sigma**2 / (n * b)).fit(X, y)
    assert fit.params["coef"].dtype == jnp.float32
    assert fit.converged
    np.testing.assert_array_equal(np.asarray(fit.params["coef"]) == 0, reference.coef_ == 0)
    np.testing.assert_allclose(fit.params["coef"], reference.coef_, atol=1e-4)


def test_second_call_with_same_shapes_does_not_recompile(diabetes):
    X, y = diabetes
    traces = []

    def counting_model(X, y, prior, sigma):
        if isinstance(X, jax.core.Tracer):
            traces.append(1)
        linear(X, y, prior=prior, sigma=sigma)

    br.map_estimate(counting_model, X, y, laplace(10.0), 55.0)
    assert traces, "the jitted solver should trace the model"
    traces.clear()
    fit = br.map_estimate(counting_model, X * 1.5, y + 1.0, laplace(3.0), 40.0)
    assert traces == []
    reference = tight(Lasso, alpha=40.0**2 / (len(y) * 3.0)).fit(X * 1.5, y + 1.0)
    assert_same_solution(
        fit.params["coef"], fit.params["intercept"], reference.coef_, reference.intercept_
    )


def test_objective_is_the_negative_log_joint(diabetes):
    X, y = diabetes
    b, sigma = 20.0, 55.0
    fit = br.map_estimate(linear, X, y, prior=laplace(b), sigma=sigma)
    coef, intercept = np.asarray(fit.params["coef"]), float(fit.params["intercept"])
    residual = y - X @ coef - intercept
    n, p = X.shape
    expected = (
        0.5 * np.sum(residual**2) / sigma**2
        + n * np.log(sigma)
        + 0.5 * n * np.log(2 * np.pi)
        + np.sum(np.abs(coef)) / b
        + p * np.log(2 * b)
    )
    assert fit.objective == pytest.approx(expected, rel=1e-12)
    assert fit.optimality <= fit.tolerance


def test_not_converged_warns_with_remedy(wide_correlated):
    X, y = wide_correlated
    with pytest.warns(ConvergenceWarning, match="Increase max_iter"):
        fit = br.map_estimate(
            linear, X, y, prior=laplace(0.1), sigma=1.0, max_iter=2, newton_max_dim=0
        )
    assert not fit.converged
    assert fit.optimality > fit.tolerance


def test_dataframe_input(diabetes):
    X, y = diabetes
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    fit = br.map_estimate(linear, frame, pd.Series(y), prior=laplace(20.0), sigma=55.0)
    reference = tight(Lasso, alpha=55.0**2 / (len(y) * 20.0)).fit(X, y)
    assert_same_solution(
        fit.params["coef"], fit.params["intercept"], reference.coef_, reference.intercept_
    )


# -- bad input ------------------------------------------------------------------------------------


@pytest.fixture
def small():
    rng = np.random.default_rng(0)
    return rng.normal(size=(20, 3)), rng.normal(size=20)


def test_nan_in_X_names_the_argument_and_rows(small):
    X, y = small
    X = X.copy()
    X[4, 1] = np.nan
    with pytest.raises(ValueError, match=r"argument 'X' contains NaN or inf.*rows \[4\]"):
        br.map_estimate(linear, X, y, prior=laplace(1.0))


def test_inf_in_y(small):
    X, y = small
    y = y.copy()
    y[0] = np.inf
    with pytest.raises(ValueError, match="argument 'y' contains NaN or inf"):
        br.map_estimate(linear, X, y, prior=laplace(1.0))


def test_mismatched_lengths(small):
    X, y = small
    with pytest.raises(ValueError, match="y must be a 1-d array with one entry per row of X"):
        br.map_estimate(linear, X, y[:-1], prior=laplace(1.0))


def test_one_dimensional_X(small):
    X, y = small
    with pytest.raises(ValueError, match=r"X must be a 2-d array.*reshape\(-1, 1\)"):
        br.map_estimate(linear, X[:, 0], y, prior=laplace(1.0))


def test_empty_X():
    with pytest.raises(ValueError, match="X must have at least one row and one column"):
        br.map_estimate(linear, np.zeros((0, 3)), np.zeros(0), prior=laplace(1.0))


def test_non_numeric_column(small):
    X, y = small
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["city"] = ["x"] * len(frame)
    with pytest.raises(TypeError, match=r"non-numeric column\(s\) \['city'\]"):
        br.map_estimate(linear, frame, y, prior=laplace(1.0))


def test_object_array(small):
    X, y = small
    with pytest.raises(TypeError, match="argument 'X' must be numeric"):
        br.map_estimate(linear, X.astype(object), y, prior=laplace(1.0))


@pytest.mark.parametrize("builder", [laplace, gaussian])
def test_non_positive_scale_in_builder(builder):
    with pytest.raises(ValueError, match="scale must be a positive finite number"):
        builder(-1.0)


def test_non_positive_scale_in_user_distribution(small):
    X, y = small
    # NumPyro itself refuses a concrete bad scale at construction
    with pytest.raises(ValueError, match="invalid scale parameter"):
        dist.Laplace(0.0, -2.0)

    def model_with_bad_computed_scale(X, y, width):
        w = numpyro.sample("w", dist.Normal(0.0, width - 3.0).expand([3]).to_event(1))
        numpyro.sample("y", dist.Normal(X @ w, 1.0).to_event(1), obs=y)

    with pytest.raises(ValueError, match="Normal distribution got invalid scale"):
        br.map_estimate(model_with_bad_computed_scale, X, y, np.asarray(1.0))


def test_non_positive_sigma(small):
    X, y = small
    with pytest.raises(ValueError, match="sigma must be a positive finite number"):
        br.map_estimate(linear, X, y, prior=laplace(1.0), sigma=0.0)


def test_model_without_latent_sites(small):
    X, y = small

    def fixed(X, y):
        numpyro.sample("y", dist.Normal(X @ jnp.ones(3), 1.0), obs=y)

    with pytest.raises(ValueError, match="no latent sample sites"):
        br.map_estimate(fixed, X, y)


def test_hierarchical_laplace_scale_is_refused(small):
    X, y = small

    def hierarchical(X, y):
        b = numpyro.sample("b", dist.HalfNormal(1.0))
        w = numpyro.sample("w", dist.Laplace(0.0, b).expand([3]).to_event(1))
        numpyro.sample("y", dist.Normal(X @ w, 1.0).to_event(1), obs=y)

    with pytest.raises(ValueError, match="site 'w' has a location or scale that depends"):
        br.map_estimate(hierarchical, X, y)


def test_bad_options(small):
    X, y = small
    with pytest.raises(ValueError, match="dtype must be one of"):
        br.map_estimate(linear, X, y, prior=laplace(1.0), dtype="float16")
    with pytest.raises(ValueError, match="max_iter must be a positive integer"):
        br.map_estimate(linear, X, y, prior=laplace(1.0), max_iter=0)
    with pytest.raises(ValueError, match="tol must be a positive finite number"):
        br.map_estimate(linear, X, y, prior=laplace(1.0), tol=-1.0)
    with pytest.raises(ValueError, match=r"init_params names site\(s\) \['nope'\]"):
        br.map_estimate(linear, X, y, prior=laplace(1.0), init_params={"nope": 1.0})


def test_prior_that_is_not_a_distribution(small):
    X, y = small
    with pytest.raises(TypeError, match="prior must be a NumPyro distribution"):
        br.map_estimate(linear, X, y, prior=0.5)


def test_non_finite_log_density_at_the_start_names_the_site(small):
    X, y = small

    def model_with_nan_factor(X, y):
        w = numpyro.sample("w", dist.Normal(0.0, 1.0).expand([3]).to_event(1))
        numpyro.factor("bad", jnp.where(jnp.sum(w) < 10.0, jnp.nan, 0.0))
        numpyro.sample("y", dist.Normal(X @ w, 1.0).to_event(1), obs=y)

    with pytest.raises(ValueError, match=r"log density of site 'bad' is nan at the starting point"):
        br.map_estimate(model_with_nan_factor, X, y)


def test_nan_in_the_loop_is_never_accepted(small):
    """A density that turns NaN past w = 0.5 (the optimum lies beyond): no NaN fit, a warning.

    Every trial point past the wall is rejected, so the solve stays at finite points below it and
    reports that it did not converge (the density's supremum is at the undeclared boundary).
    """
    X, y = small

    def model_with_nan_region(X, y):
        w = numpyro.sample("w", dist.Normal(0.0, 1.0))
        numpyro.factor("wall", jnp.where(w > 0.5, jnp.nan, -10.0 * (w - 2.0) ** 2))

    with pytest.warns(ConvergenceWarning, match="did not converge"):
        fit = br.map_estimate(model_with_nan_region, X, y, max_iter=500)
    assert not fit.converged
    assert np.isfinite(fit.objective)
    # the last finite point is within a whisker of the wall, never past it
    assert 0.5 - 1e-3 <= float(fit.params["w"]) <= 0.5
