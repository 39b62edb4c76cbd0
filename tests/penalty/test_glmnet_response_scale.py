"""glmnet's gaussian family on a raw (unstandardized) y: the ``y_sd`` of its conversions.

glmnet divides a gaussian ``y`` by its sd ``s_y`` (1/n formula), fits at ``lambda / s_y`` and
multiplies the coefficients by ``s_y``; on y's scale the L2 part of its penalty is divided by
``s_y``. Three oracles, none of which uses the conversion's formula:

- R's glmnet 4.1-6 itself, run once by hand on scikit-learn's diabetes data (numbers below);
- glmnet's procedure replayed with scikit-learn's ``ElasticNet`` on ``y / s_y`` (the driver
  ``elnet`` of glmnet's source: ``vlam = ulam / ys``, ``ca *= ys / xs``);
- for ridge, both sides in closed form with NumPy.

The MAP of a prior ``(b, tau)`` with noise sd ``sigma`` is computed with ``ElasticNet`` at the
parameters of DESIGN.md section 2, written out here: ``alpha = sigma**2 / n * (1/b + 1/tau**2)``,
``l1_ratio = (1/b) / (1/b + 1/tau**2)``.
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import ElasticNet

from bayesreg.penalty import (
    glmnet_params,
    glmnet_prior_scales,
    glmnet_standardized_scales,
    glmnet_y_sd,
    penalty_params,
    prior_parts,
)

#: coordinate descent run to (near) machine precision, so coefficients agree to ~1e-9
EXACT = {"tol": 1e-14, "max_iter": 1_000_000}

# R 4.2, glmnet 4.1-6, X, y = sklearn.datasets.load_diabetes(return_X_y=True):
#   glmnet(X, y, alpha=a, lambda=0.5, standardize=FALSE, intercept=i, thresh=1e-22, maxit=1e8)
# printed as c(a0, beta) with "%.10f".
R_GLMNET = {
    (0.5, True): [152.1334841629, 0.0, 0.0, 239.6010866893, 145.8045826280, 0.0, 0.0,
                  -100.4820716430, 87.1760810492, 209.3513130828, 81.1170356039],
    (0.0, True): [152.1334841629, 32.8922517470, -25.0723339397, 182.1101399267,
                  126.6092967152, 24.8564020905, 6.7379749759, -103.2239003366, 92.9349693259,
                  161.5845347291, 88.4098721140],
    (0.5, False): [0.0, 0.0, -10.9545925193, 328.6874206524, 180.9712278049, 0.0, 0.0,
                   -118.9489672860, 69.6609700797, 282.2694385822, 72.6986592371],
}  # fmt: skip
R_LAMBDA = 0.5


def map_coef(X, y, b, tau, sigma, *, intercept=True):
    """The MAP of the elastic-net prior (b, tau) under Gaussian noise sigma.

    ElasticNet at DESIGN.md's parameters; without an L1 part (``b = inf``) the ridge mode in
    closed form (ElasticNet's coordinate descent is slow to converge without L1).
    """
    n, p = X.shape
    l1, l2 = 1.0 / b, 1.0 / tau**2
    if l1 == 0.0:
        x_mean, y_mean = (X.mean(axis=0), y.mean()) if intercept else (np.zeros(p), 0.0)
        Xc, yc = X - x_mean, y - y_mean
        w = np.linalg.solve(Xc.T @ Xc + sigma**2 * l2 * np.eye(p), Xc.T @ yc)
        return y_mean - x_mean @ w, w
    model = ElasticNet(
        alpha=sigma**2 / n * (l1 + l2), l1_ratio=l1 / (l1 + l2), fit_intercept=intercept, **EXACT
    )
    model.fit(X, y)
    return model.intercept_, model.coef_


def glmnet_replayed(X, y, lambda_, alpha):
    """glmnet(X, y, lambda, alpha, standardize=FALSE), gaussian, as its driver computes it.

    The driver fits ``(y - mean) / s_y`` at ``lambda / s_y`` and multiplies the coefficients by
    ``s_y``; its objective is ElasticNet's (in closed form for ``alpha = 0``, ridge).
    """
    s_y = np.std(y)
    Xc, y_standardized = X - X.mean(axis=0), (y - y.mean()) / s_y
    if alpha == 0.0:
        n, p = X.shape
        gram = Xc.T @ Xc + n * (lambda_ / s_y) * np.eye(p)
        return np.linalg.solve(gram, Xc.T @ y_standardized) * s_y
    model = ElasticNet(alpha=lambda_ / s_y, l1_ratio=alpha, **EXACT)
    return model.fit(X, y_standardized).coef_ * s_y


@pytest.mark.parametrize(("alpha", "intercept"), list(R_GLMNET))
def test_prior_from_r_glmnet_on_raw_y_has_r_glmnet_coefficients(diabetes, alpha, intercept):
    X, y = diabetes
    n, sigma = X.shape[0], 50.0  # any sigma: b and tau scale with it, the MAP does not
    y_sd = glmnet_y_sd(y, intercept=intercept)
    b, tau = glmnet_prior_scales(R_LAMBDA, alpha, n=n, sigma=sigma, y_sd=y_sd)
    a0, w = map_coef(X, y, b, tau, sigma, intercept=intercept)
    r = np.array(R_GLMNET[alpha, intercept])
    assert_allclose(w, r[1:], rtol=1e-7, atol=1e-7)
    assert_allclose(a0, r[0], rtol=1e-9)
    # and the other direction: that prior's glmnet parameters are R's
    assert_allclose(glmnet_params(l1_scale=b, l2_scale=tau, n=n, sigma=sigma, y_sd=y_sd),
                    (R_LAMBDA, alpha), rtol=1e-12)  # fmt: skip


def test_reading_raw_y_glmnet_as_standardized_is_the_issue_97_percent_off(diabetes):
    # What the conversion gave before y_sd: tau too small by sqrt(s_y), coefficients ~97% small.
    X, y = diabetes
    n, sigma = X.shape[0], 50.0
    b, tau_as_if_standardized = glmnet_prior_scales(R_LAMBDA, 0.5, n=n, sigma=sigma)
    _, tau = glmnet_prior_scales(R_LAMBDA, 0.5, n=n, sigma=sigma, y_sd=glmnet_y_sd(y))
    assert_allclose(tau / tau_as_if_standardized, math.sqrt(np.std(y)), rtol=1e-12)
    _, w = map_coef(X, y, b, tau_as_if_standardized, sigma)
    bmi = 2
    assert R_GLMNET[0.5, True][1 + bmi] == pytest.approx(239.60108669)
    assert w[bmi] / R_GLMNET[0.5, True][1 + bmi] < 0.05


@pytest.mark.parametrize("alpha", [0.0, 0.3, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("lambda_", [0.05, 0.5, 3.0])
def test_glmnet_replayed_on_raw_y_is_the_map_of_the_converted_prior(diabetes, alpha, lambda_):
    X, y = diabetes
    n, sigma = X.shape[0], 30.0
    b, tau = glmnet_prior_scales(lambda_, alpha, n=n, sigma=sigma, y_sd=glmnet_y_sd(y))
    assert (b == math.inf) == (alpha == 0.0)  # ridge: no L1 part
    expected = glmnet_replayed(X, y, lambda_, alpha)
    _, w = map_coef(X, y, b, tau, sigma)
    assert_allclose(w, expected, rtol=1e-7, atol=1e-6 * np.abs(expected).max())


@pytest.mark.parametrize(("b", "tau"), [(2.0, 5.0), (0.5, 40.0), (math.inf, 3.0)])
def test_prior_to_glmnet_on_raw_y_reproduces_the_map(diabetes, b, tau):
    X, y = diabetes
    n, sigma = X.shape[0], 54.0
    lambda_, alpha = glmnet_params(l1_scale=b, l2_scale=tau, n=n, sigma=sigma, y_sd=glmnet_y_sd(y))
    _, w = map_coef(X, y, b, tau, sigma)
    expected = glmnet_replayed(X, y, lambda_, alpha)
    assert_allclose(expected, w, rtol=1e-7, atol=1e-6 * np.abs(w).max())


def test_ridge_on_raw_y_in_closed_form(diabetes):
    # glmnet's ridge on y / s_y at lambda / s_y, times s_y, against the Normal-prior posterior mode.
    X, y = diabetes
    n, sigma, tau = X.shape[0], 54.0, 12.0
    s_y = np.std(y)
    lambda_, alpha = glmnet_params(l2_scale=tau, n=n, sigma=sigma, y_sd=s_y)
    assert alpha == 0.0
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    gram = Xc.T @ Xc
    glmnet_w = s_y * np.linalg.solve(gram + n * (lambda_ / s_y) * np.eye(10), Xc.T @ (yc / s_y))
    posterior_mode = np.linalg.solve(gram + sigma**2 / tau**2 * np.eye(10), Xc.T @ yc)
    assert_allclose(glmnet_w, posterior_mode, rtol=1e-12)


def test_standardize_true_composes_with_the_response_scale(diabetes):
    # glmnet's default standardize=TRUE on a raw y: per-feature scales b / s_j, tau / s_j of the
    # prior read with y_sd; replayed as ElasticNet on standardized columns and y / s_y.
    X, y = diabetes
    n, sigma, lambda_, alpha = X.shape[0], 54.0, 0.02, 0.4
    s_y, s_x = np.std(y), X.std(axis=0)
    model = ElasticNet(alpha=lambda_ / s_y, l1_ratio=alpha, **EXACT)
    model.fit((X - X.mean(axis=0)) / s_x, (y - y.mean()) / s_y)
    expected = model.coef_ * s_y / s_x
    b, tau = glmnet_prior_scales(lambda_, alpha, n=n, sigma=sigma, y_sd=glmnet_y_sd(y))
    b_j = glmnet_standardized_scales(b, X=X)
    tau_j = glmnet_standardized_scales(tau, X=X)
    # the MAP under per-feature scales satisfies its KKT conditions at glmnet's coefficients
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    smooth = Xc.T @ (yc - Xc @ expected) / sigma**2 - expected / tau_j**2
    nonzero = expected != 0
    assert nonzero.sum() >= 3
    assert_allclose(smooth[nonzero], np.sign(expected[nonzero]) / b_j[nonzero], rtol=1e-6)
    assert np.all(np.abs(smooth[~nonzero]) <= 1 / b_j[~nonzero] * (1 + 1e-9))


def test_lasso_does_not_depend_on_y_sd():
    assert glmnet_params(l1_scale=0.7, n=20, sigma=2.0, y_sd=77.0) == glmnet_params(
        l1_scale=0.7, n=20, sigma=2.0
    )
    assert glmnet_prior_scales(0.3, 1.0, n=20, sigma=2.0, y_sd=77.0) == (
        glmnet_prior_scales(0.3, 1.0, n=20, sigma=2.0)
    )


def test_hand_computed_values_and_round_trip():
    # 1/b = 2, y_sd / tau^2 = 4 / 4 = 1; sigma^2 / n = 9 / 10
    assert_allclose(glmnet_params(l1_scale=0.5, l2_scale=2.0, n=10, sigma=3.0, y_sd=4.0),
                    (2.7, 2.0 / 3.0), rtol=1e-15)  # fmt: skip
    assert_allclose(glmnet_prior_scales(2.7, 2.0 / 3.0, n=10, sigma=3.0, y_sd=4.0), (0.5, 2.0))
    b, tau = np.array([0.3, 2.0, math.inf]), np.array([1.5, math.inf, 0.2])
    y_sd = np.array([0.1, 77.0, 3.0])
    params = glmnet_params(l1_scale=b, l2_scale=tau, n=7, sigma=1.7, y_sd=y_sd)
    assert_allclose(glmnet_prior_scales(*params, n=7, sigma=1.7, y_sd=y_sd), (b, tau))


def test_glmnet_y_sd_is_the_driver_standardization():
    y = np.array([1.0, 4.0, 2.0, 9.0])
    assert glmnet_y_sd(y) == pytest.approx(math.sqrt(38.0 / 4.0), rel=1e-15)  # mean 4
    assert glmnet_y_sd(y, intercept=False) == pytest.approx(math.sqrt(102.0 / 4.0), rel=1e-15)


def test_table_passes_y_sd_to_glmnet_and_refuses_it_elsewhere():
    got = penalty_params("glmnet", (0.5, 2.0), sigma=3.0, n=10, y_sd=4.0)
    assert_allclose([got["lambda"], got["alpha"]], [2.7, 2.0 / 3.0], rtol=1e-15)
    parts = prior_parts("glmnet", got, sigma=3.0, n=10, y_sd=4.0)
    assert_allclose([parts.l1_scale, parts.l2_scale], [0.5, 2.0], rtol=1e-14)
    assert penalty_params("glmnet", (None, 2.0), n=10) == {"lambda": 0.025, "alpha": 0.0}
    with pytest.raises(ValueError, match=r"y_sd=4\.0 applies only to .*'glmnet'.* 'ridge'"):
        penalty_params("ridge", (None, 2.0), sigma=1.0, y_sd=4.0)
    with pytest.raises(ValueError, match=r"y_sd=2\.0 .* 'lasso' \(Lasso\) fits y as given"):
        prior_parts("lasso", {"alpha": 0.1}, sigma=1.0, n=10, y_sd=2.0)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: glmnet_params(l2_scale=1.0, n=5, y_sd=0.0), r"y_sd must be .* y_sd=0\.0"),
        (lambda: glmnet_prior_scales(1.0, 0.5, n=5, y_sd=-2.0), r"glmnet_y_sd.*y_sd=-2\.0"),
        (lambda: glmnet_prior_scales(1.0, 0.5, n=5, y_sd=np.nan), r"y_sd=nan"),
        (lambda: glmnet_y_sd([3.0, 3.0, 3.0]), r"y is constant \(y\[0\]=3\.0\)"),
        (lambda: glmnet_y_sd([[1.0, 2.0]]), r"1-D array .* shape \(1, 2\)"),
        (lambda: glmnet_y_sd([1.0, np.nan]), r"missing or infinite"),
    ],
)
def test_bad_y_sd_is_refused_naming_it(call, match):
    with pytest.raises(ValueError, match=match):
        call()
