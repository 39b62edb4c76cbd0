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


def assert_kkt(w, g, l1_weight, l2_weight, tol):
    """KKT of ``-loglik + l1_weight * |w|_1 + l2_weight / 2 * |w|^2`` given ``g = -grad loglik``."""
    zero = w == 0
    smooth = g - l2_weight * w
    assert np.all(np.abs(smooth[zero]) <= l1_weight + tol), (smooth[zero], l1_weight)
    assert_allclose(smooth[~zero], np.sign(w[~zero]) * l1_weight, rtol=0, atol=tol)


def _gaussian_fit(problem, prior):
    n, p = problem["shape"]
    gen, X, truth = design(problem["seed"], n, p, problem["rho"], problem["column_scale"])
    sigma = problem["sigma"]
    y = 1.0 + X @ truth + sigma * gen.normal(size=n)
    fit = solve(models.linear, X, y, prior=prior, sigma=sigma)
    w, c = np.asarray(fit.params["coef"]), float(fit.params["intercept"])
    residual = y - c - X @ w
    # the solver's certificate is relative to the gradient at its start (w = 0, intercept = 0)
    scale = max(1.0, np.abs(X.T @ y).max() / sigma**2, abs(y.sum()) / sigma**2)
    return X, w, residual / sigma**2, 1e-8 * scale


@PROBLEMS
@given(problem=problems)
def test_laplace_map_satisfies_lasso_kkt(problem):
    X, w, scaled_residual, tol = _gaussian_fit(problem, models.laplace(problem["b"]))
    assert_kkt(w, X.T @ scaled_residual, 1.0 / problem["b"], 0.0, tol)
    assert abs(scaled_residual.sum()) <= tol  # flat intercept: residuals centred


@PROBLEMS
@given(problem=problems)
def test_elastic_net_map_satisfies_elastic_net_kkt(problem):
    prior = models.elastic_net(problem["b"], problem["tau"])
    X, w, scaled_residual, tol = _gaussian_fit(problem, prior)
    assert_kkt(w, X.T @ scaled_residual, 1.0 / problem["b"], 1.0 / problem["tau"] ** 2, tol)
    assert abs(scaled_residual.sum()) <= tol


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
    scale = max(1.0, np.abs(X.T @ (y - 0.5)).max(), abs((y - 0.5).sum()))
    tol = 1e-8 * scale
    assert_kkt(w, X.T @ residual, 1.0 / b, 0.0, tol)
    assert abs(residual.sum()) <= tol


def test_p_greater_than_n_weak_lasso_converges_within_default_max_iter():
    """Regression: a support as large as n made the Newton step singular (now damped)."""
    gen, X, truth = design(0, 8, 12, 0.0, 0.0)
    y = 1.0 + X @ truth + 0.25 * gen.normal(size=8)
    assert map_estimate(models.linear, X, y, prior=models.laplace(2.0), sigma=0.25).converged


def test_kkt_check_rejects_a_wrong_answer():
    """The KKT helper is not vacuous: a perturbed lasso solution fails it."""
    problem = {"shape": (12, 3), "seed": 1, "rho": 0.3, "column_scale": 0.5, "b": 0.5}
    X, w, scaled_residual, tol = _gaussian_fit({**problem, "sigma": 1.0}, models.laplace(0.5))
    assert_kkt(w, X.T @ scaled_residual, 2.0, 0.0, tol)
    with pytest.raises(AssertionError):
        assert_kkt(w, X.T @ scaled_residual, 2.0 * 1.01, 0.0, tol)


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
# (single conversions and their inverses are in tests/test_penalty.py)

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
