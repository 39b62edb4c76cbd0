"""Property tests (hypothesis): MAP optimality conditions, prox operators, composed conversions.

The KKT conditions are computed here in NumPy, independently of the solver: with residual
``r = y - intercept - X w`` and data gradient ``g = X^T r / sigma^2`` (Gaussian) or
``g = X^T (y - sigmoid(eta))`` (logistic), the MAP under a Laplace(0, b) prior satisfies
``|g_j| <= 1/b`` where ``w_j = 0`` and ``g_j = sign(w_j)/b`` elsewhere; the elastic-net prior adds
``w_j / tau^2`` to the right-hand side; the flat intercept makes ``sum(r) = 0``.

Shapes are drawn from a small fixed set (each new shape compiles the solver once); data, prior
scales, noise and column correlation vary, ``p > n`` included.
"""

import math

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose
from sklearn.linear_model import ElasticNet, Lasso

from bayesreg import map_estimate, models
from bayesreg.penalty import (
    elastic_net_params,
    glmnet_params,
    glmnet_prior_scales,
    lasso_alpha,
    logistic_params,
    poisson_alpha,
    ridge_alpha,
)
from bayesreg.prox import prox_elastic_net, prox_lasso, prox_none, prox_ridge

SHAPES = [(12, 3), (8, 12)]  # (n, p); the second has p > n
PROBLEMS = settings(max_examples=15, deadline=None)
CHEAP = settings(max_examples=100, deadline=None)


def design(seed, n, p, rho, column_scale):
    """Rows with equicorrelated columns (correlation rho), unequal scales, non-zero means."""
    gen = np.random.default_rng(seed)
    common = gen.normal(size=(n, 1))
    X = math.sqrt(rho) * common + math.sqrt(1.0 - rho) * gen.normal(size=(n, p))
    X = X * np.exp(column_scale * gen.uniform(-1.0, 1.0, size=p)) + gen.normal(size=p)
    truth = np.where(gen.uniform(size=p) < 0.5, 0.0, gen.normal(scale=2.0, size=p))
    return gen, X, truth


problems = st.fixed_dictionaries(
    {
        "shape": st.sampled_from(SHAPES),
        "seed": st.integers(0, 2**32 - 1),
        "rho": st.floats(0.0, 0.95),
        "column_scale": st.floats(0.0, 1.5),
        "b": st.floats(0.02, 20.0),
        "tau": st.floats(0.1, 10.0),
        "sigma": st.floats(0.2, 5.0),
    }
)


def solve(model, X, y, **kwargs):
    """MAP with the default settings; it must converge (a ConvergenceWarning fails the test)."""
    fit = map_estimate(model, X, y, **kwargs)
    assert fit.converged
    return fit


KKT_TOL = 1e-8  # the solver holds 1e-10; 100x leaves room for this NumPy recomputation's rounding


def assert_kkt(X, w, g, l1_weight, l2_weight, curvature, reference, intercept_g=None):
    """Scale-free KKT of ``-loglik + l1_weight |w|_1 + l2_weight / 2 |w|^2``, ``g = -grad loglik``.

    Each coordinate's violation (the minimum-norm subgradient) is divided by the square root of
    its curvature ``curvature[j]`` (so a column's units cancel) and held to ``KKT_TOL`` times
    ``reference``, the same weighted norm of the gradient at the start ``w = 0``.
    """
    smooth = g - l2_weight * w
    violation = np.where(
        w == 0, np.maximum(np.abs(smooth) - l1_weight, 0.0), np.abs(smooth - np.sign(w) * l1_weight)
    )
    scaled = violation / np.sqrt(curvature)
    assert np.all(scaled <= KKT_TOL * reference), (scaled / reference, w)
    if intercept_g is not None:  # the flat intercept: residuals sum to 0
        g0, h0 = intercept_g
        assert abs(g0) / math.sqrt(h0) <= KKT_TOL * reference, (g0, h0, reference)


def gaussian_kkt(X, y, w, c, sigma, l1_weight, l2_weight):
    """The Gaussian-likelihood KKT check of a fit, all in NumPy."""
    n = len(y)
    residual = y - c - X @ w
    curvature = np.sum(X**2, axis=0) / sigma**2 + l2_weight
    start_g = np.append(X.T @ y, y.sum()) / sigma**2
    reference = np.max(np.abs(start_g) / np.sqrt(np.append(curvature, n / sigma**2)))
    assert_kkt(
        X,
        w,
        X.T @ residual / sigma**2,
        l1_weight,
        l2_weight,
        curvature,
        reference,
        intercept_g=(residual.sum() / sigma**2, n / sigma**2),
    )


def _gaussian_fit(problem, prior, l1_weight, l2_weight):
    n, p = problem["shape"]
    gen, X, truth = design(problem["seed"], n, p, problem["rho"], problem["column_scale"])
    sigma = problem["sigma"]
    y = 1.0 + X @ truth + sigma * gen.normal(size=n)
    fit = solve(models.linear, X, y, prior=prior, sigma=sigma)
    w, c = np.asarray(fit.params["coef"]), float(fit.params["intercept"])
    gaussian_kkt(X, y, w, c, sigma, l1_weight, l2_weight)
    return X, y, w, c


@PROBLEMS
@given(problem=problems)
def test_laplace_map_satisfies_lasso_kkt(problem):
    _gaussian_fit(problem, models.laplace(problem["b"]), 1.0 / problem["b"], 0.0)


@PROBLEMS
@given(problem=problems)
def test_elastic_net_map_satisfies_elastic_net_kkt(problem):
    prior = models.elastic_net(problem["b"], problem["tau"])
    _gaussian_fit(problem, prior, 1.0 / problem["b"], 1.0 / problem["tau"] ** 2)


@PROBLEMS
@given(problem=problems)
def test_logistic_laplace_map_satisfies_kkt(problem):
    n, p = problem["shape"]
    gen, X, truth = design(problem["seed"], n, p, problem["rho"], problem["column_scale"])
    y = (gen.uniform(size=n) < 1.0 / (1.0 + np.exp(-(X - X.mean(0)) @ truth))).astype(float)
    y[:2] = [0.0, 1.0]  # both classes, so the flat intercept has a finite optimum
    b = problem["b"]
    fit = solve(models.logistic, X, y, prior=models.laplace(b))
    w, c = np.asarray(fit.params["coef"]), float(fit.params["intercept"])
    residual = y - 1.0 / (1.0 + np.exp(-(c + X @ w)))
    # curvature at the start (all logits 0): p (1 - p) = 1/4 per row
    curvature = 0.25 * np.sum(X**2, axis=0)
    start_g = np.append(X.T @ (y - 0.5), np.sum(y - 0.5))
    reference = np.max(np.abs(start_g) / np.sqrt(np.append(curvature, 0.25 * n)))
    assert_kkt(X, w, X.T @ residual, 1.0 / b, 0.0, curvature, reference, (residual.sum(), 0.25 * n))


def test_p_greater_than_n_weak_lasso_converges_within_default_max_iter():
    """Regression: a support as large as n made the Newton step singular (now damped)."""
    gen, X, truth = design(0, 8, 12, 0.0, 0.0)
    y = 1.0 + X @ truth + 0.25 * gen.normal(size=8)
    fit = solve(models.linear, X, y, prior=models.laplace(2.0), sigma=0.25)
    w, c = np.asarray(fit.params["coef"]), float(fit.params["intercept"])
    gaussian_kkt(X, y, w, c, 0.25, 0.5, 0.0)
    # and the certified point is the lasso: its objective is no larger than scikit-learn's
    reference = Lasso(alpha=0.25**2 / (8 * 2.0), tol=1e-14, max_iter=1_000_000).fit(X, y)

    def objective(coef, intercept):
        return np.sum((y - intercept - X @ coef) ** 2) / (2 * 0.25**2) + np.abs(coef).sum() / 2.0

    ours, theirs = objective(w, c), objective(reference.coef_, reference.intercept_)
    assert ours <= theirs + 1e-9 * abs(theirs)


def test_kkt_check_rejects_a_wrong_answer():
    """The KKT helper is not vacuous: a perturbed lasso solution fails it."""
    problem = {"shape": (12, 3), "seed": 1, "rho": 0.3, "column_scale": 0.5, "b": 0.5}
    X, y, w, c = _gaussian_fit({**problem, "sigma": 1.0}, models.laplace(0.5), 2.0, 0.0)
    with pytest.raises(AssertionError):
        gaussian_kkt(X, y, w, c, 1.0, 2.0 * 1.01, 0.0)
    with pytest.raises(AssertionError):
        gaussian_kkt(X, y, w * (1 + 1e-6), c, 1.0, 2.0, 0.0)


# ---------------------------------------------------------------------------------------------
# badly scaled columns: converged=True must imply the answer (issue #11)

SCALED_SHAPE = (30, 4)  # one shape, so each prior kind compiles once
scaled_problems = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 2**32 - 1),
        "log10_column_scales": st.lists(
            st.floats(-4.0, 4.0), min_size=SCALED_SHAPE[1], max_size=SCALED_SHAPE[1]
        ),
        "kind": st.sampled_from(["ridge", "lasso", "elastic_net"]),
        "log10_b": st.floats(-2.0, 2.0),
        "log10_tau": st.floats(-2.0, 2.0),
        "sigma": st.floats(0.2, 5.0),
    }
)
SCALED = settings(max_examples=25, deadline=None)


def _ridge_closed_form(X, y, sigma, l2_weight):
    """Normal equations with an unpenalized intercept, columns equilibrated (scales to 1e8)."""
    x_mean = X.mean(axis=0)
    Xc, yc = X - x_mean, y - y.mean()
    norms = np.linalg.norm(Xc, axis=0)
    Z = Xc / norms
    lhs = Z.T @ Z / sigma**2 + np.diag(l2_weight / norms**2)
    coef = np.linalg.solve(lhs, Z.T @ yc / sigma**2) / norms
    return coef, y.mean() - x_mean @ coef


@SCALED
@given(problem=scaled_problems)
def test_badly_scaled_columns_converged_means_the_answer(problem):
    n, p = SCALED_SHAPE
    gen = np.random.default_rng(problem["seed"])
    scales = 10.0 ** np.asarray(problem["log10_column_scales"])
    standardized = gen.normal(size=(n, p)) + gen.normal(size=p)
    X = standardized * scales
    sigma = problem["sigma"]
    y = 1.0 + standardized @ gen.normal(scale=2.0, size=p) + sigma * gen.normal(size=n)
    b, tau = 10.0 ** problem["log10_b"], 10.0 ** problem["log10_tau"]
    # prior scales in the units of each column's coefficient (a weight per standardized column)
    if problem["kind"] == "ridge":
        prior, l1_weight, l2_weight = models.gaussian(tau / scales), 0.0, (scales / tau) ** 2
    elif problem["kind"] == "lasso":
        prior, l1_weight, l2_weight = models.laplace(b / scales), scales / b, 0.0
    else:
        prior = models.elastic_net(b / scales, tau / scales)
        l1_weight, l2_weight = scales / b, (scales / tau) ** 2
    # it must converge (and then be right): scale is no excuse
    fit = solve(models.linear, X, y, prior=prior, sigma=sigma)
    w, c = np.asarray(fit.params["coef"]), float(fit.params["intercept"])
    gaussian_kkt(X, y, w, c, sigma, l1_weight, l2_weight)
    if problem["kind"] == "ridge":
        reference, intercept = _ridge_closed_form(X, y, sigma, l2_weight)
    else:
        # the per-column prior scales are one scikit-learn penalty on the standardized columns
        l1, l2 = 1.0 / b, 1.0 / tau**2 if problem["kind"] == "elastic_net" else 0.0
        alpha = sigma**2 / n * (l1 + l2)
        estimator = (
            Lasso(alpha=alpha, tol=1e-14, max_iter=1_000_000)
            if l2 == 0.0
            else ElasticNet(alpha=alpha, l1_ratio=l1 / (l1 + l2), tol=1e-14, max_iter=1_000_000)
        )
        estimator.fit(standardized, y)
        reference, intercept = estimator.coef_ / scales, estimator.intercept_
    # agreement in the units of the standardized columns, relative to the largest weight
    weight_scale = max(np.max(np.abs(reference * scales)), 1e-12)
    assert np.max(np.abs((w - reference) * scales)) <= 1e-6 * weight_scale, (w, reference)
    assert abs(c - intercept) <= 1e-6 * max(1.0, abs(intercept))


# ---------------------------------------------------------------------------------------------
# proximal operators

vectors = hnp.arrays(
    np.float64, st.integers(1, 20), elements=st.floats(-1e3, 1e3, allow_subnormal=False)
)
weights = st.floats(0.0, 100.0, allow_subnormal=False)
steps = st.floats(1e-3, 10.0)
PROXES = {
    "lasso": (prox_lasso, lambda lam: lam),
    "ridge": (prox_ridge, lambda lam: lam),
    "elastic_net": (prox_elastic_net, lambda lam: (lam, 0.5 * lam)),
}


@CHEAP
@given(data=st.data(), lam=weights, scaling=steps, name=st.sampled_from(list(PROXES)))
def test_prox_is_non_expansive_and_odd(data, lam, scaling, name):
    prox, hyper = PROXES[name]
    x = data.draw(vectors)
    z = data.draw(hnp.arrays(np.float64, x.shape, elements=st.floats(-1e3, 1e3)))
    px, pz = (
        np.asarray(prox(jnp.asarray(x), hyper(lam), scaling)),
        np.asarray(prox(jnp.asarray(z), hyper(lam), scaling)),
    )
    assert np.linalg.norm(px - pz) <= np.linalg.norm(x - z) * (1 + 1e-12) + 1e-12
    # firm non-expansiveness: |Px - Pz|^2 <= <Px - Pz, x - z>
    assert np.sum((px - pz) ** 2) <= np.dot(px - pz, x - z) + 1e-9 * (1 + np.sum((x - z) ** 2))
    assert np.array_equal(np.asarray(prox(jnp.asarray(-x), hyper(lam), scaling)), -px)


@CHEAP
@given(x=vectors, a=weights, b=weights)
def test_prox_lasso_composes_additively(x, a, b):
    twice = np.asarray(prox_lasso(prox_lasso(jnp.asarray(x), a), b))
    once = np.asarray(prox_lasso(jnp.asarray(x), a + b))
    assert_allclose(twice, once, rtol=0, atol=1e-12 * (np.abs(x).max() + a + b))
    assert np.array_equal(twice == 0, once == 0) or np.allclose(twice, 0, atol=1e-9)


@CHEAP
@given(x=vectors, lam=weights, scaling=steps)
def test_prox_lasso_output_satisfies_its_optimality_condition(x, lam, scaling):
    # y = argmin 1/2 (y - x)^2 + t |y| iff x - y in t * d|y|
    t = scaling * lam
    y = np.asarray(prox_lasso(jnp.asarray(x), lam, scaling))
    zero = y == 0
    assert np.all(np.abs(x[zero]) <= t * (1 + 1e-12))
    assert_allclose(x[~zero] - y[~zero], t * np.sign(y[~zero]), rtol=1e-12, atol=1e-9)


@CHEAP
@given(x=vectors, lam=st.floats(1e-3, 100.0), scaling=steps, name=st.sampled_from(list(PROXES)))
def test_fixed_points_of_prox(x, lam, scaling, name):
    prox, hyper = PROXES[name]
    # 0 is the only fixed point of a penalty with a positive weight ...
    out = np.asarray(prox(jnp.asarray(x), hyper(lam), scaling))
    assert np.array_equal(out == x, x == 0)
    # ... and with zero weight (or prox_none) every point is fixed
    assert np.array_equal(np.asarray(prox(jnp.asarray(x), hyper(0.0), scaling)), x)
    assert prox_none(x, hyper(lam), scaling) is x
    # the lasso prox is idempotent on its own outputs once the threshold is 0
    assert np.array_equal(np.asarray(prox_lasso(jnp.asarray(out), 0.0)), out)


@CHEAP
@given(x=vectors, lam=weights, scaling=steps)
def test_prox_on_a_pytree_is_leafwise(x, lam, scaling):
    tree = {"a": jnp.asarray(x), "b": (jnp.asarray(-2.0 * x),)}
    for prox, hyper in PROXES.values():
        out = prox(tree, hyper(lam), scaling)
        assert np.array_equal(out["a"], prox(tree["a"], hyper(lam), scaling))
        assert np.array_equal(out["b"][0], prox(tree["b"][0], hyper(lam), scaling))


# ---------------------------------------------------------------------------------------------
# composed conversions: prior -> scikit-learn -> glmnet -> prior
# (single conversions and their inverses are in tests/penalty/test_penalty.py)

scales = st.floats(1e-3, 1e3)
sigmas = st.floats(1e-2, 1e2)
rows = st.integers(1, 10**6)


def assert_scales_back(got, b, tau):
    """``(b, tau)`` back to rounding; tau goes through ``1 - l1_ratio``, which cancels."""
    assert_allclose(got[0], b, rtol=1e-12)
    assert_allclose(got[1], tau, rtol=1e-13 * (1.0 + tau**2 / b))


@CHEAP
@given(b=scales, tau=scales, sigma=sigmas, n=rows)
def test_elastic_net_prior_sklearn_glmnet_prior(b, tau, sigma, n):
    alpha, l1_ratio = elastic_net_params(b, tau, sigma=sigma, n=n)
    # glmnet gaussian and ElasticNet minimize the same objective: lambda = alpha, alpha = ratio
    assert_allclose(glmnet_params(l1_scale=b, l2_scale=tau, n=n, sigma=sigma), (alpha, l1_ratio))
    assert_scales_back(glmnet_prior_scales(alpha, l1_ratio, n=n, sigma=sigma), b, tau)


@CHEAP
@given(b=scales, sigma=sigmas, n=rows)
def test_laplace_prior_lasso_glmnet_prior(b, sigma, n):
    alpha = lasso_alpha(b, sigma=sigma, n=n)
    assert glmnet_prior_scales(alpha, 1.0, n=n, sigma=sigma)[1] == math.inf
    assert_allclose(glmnet_prior_scales(alpha, 1.0, n=n, sigma=sigma)[0], b, rtol=1e-12)


@CHEAP
@given(tau=scales, sigma=sigmas, n=rows)
def test_normal_prior_ridge_glmnet_prior(tau, sigma, n):
    # Ridge: RSS + alpha |w|^2; glmnet: RSS / (2n) + lambda / 2 |w|^2, so lambda = alpha / n
    lambda_ = ridge_alpha(tau, sigma=sigma) / n
    b, back = glmnet_prior_scales(lambda_, 0.0, n=n, sigma=sigma)
    assert b == math.inf
    assert_allclose(back, tau, rtol=1e-12)


@CHEAP
@given(b=scales, tau=scales, n=rows)
def test_logistic_prior_sklearn_glmnet_prior(b, tau, n):
    # C * sum(logloss) + penalty vs mean(logloss) + lambda * penalty: lambda = 1 / (n C)
    C, l1_ratio = logistic_params(l1_scale=b, l2_scale=tau)
    lambda_, mix = glmnet_params(l1_scale=b, l2_scale=tau, n=n)
    assert_allclose((lambda_, mix), (1.0 / (n * C), l1_ratio), rtol=1e-12)
    assert_scales_back(glmnet_prior_scales(1.0 / (n * C), l1_ratio, n=n), b, tau)


@CHEAP
@given(tau=scales, n=rows)
def test_poisson_prior_sklearn_glmnet_prior(tau, n):
    # PoissonRegressor: deviance / (2n) + alpha / 2 |w|^2 = glmnet poisson with lambda = alpha
    alpha = poisson_alpha(tau, n=n)
    assert_allclose(glmnet_params(l2_scale=tau, n=n), (alpha, 0.0), rtol=1e-12)
    assert_allclose(glmnet_prior_scales(alpha, 0.0, n=n)[1], tau, rtol=1e-12)
