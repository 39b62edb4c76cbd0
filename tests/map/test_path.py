"""map_path against scikit-learn's paths, and its argument checks."""

import jax
import numpy as np
import pytest
from sklearn.linear_model import Ridge, enet_path, lasso_path

import bayesreg as br
from bayesreg import penalty
from bayesreg.map import ConvergenceWarning
from bayesreg.models import elastic_net, gaussian, laplace, linear, logistic

SIGMA = 55.0


def _centered(X, y):
    return X - X.mean(axis=0), y - y.mean()


def _alpha_grid(X, y, k):
    Xc, yc = _centered(X, y)
    alpha_max = np.max(np.abs(Xc.T @ yc)) / len(y)
    # from just above alpha_max (all weights exactly zero) down to 1e-3 alpha_max
    return alpha_max * np.geomspace(1.01, 1e-3, k)


def _assert_path_equal(ours, reference, rtol=1e-6):
    """Per point: identical zero sets and max |difference| <= rtol * max |reference|."""
    for k, (a, b) in enumerate(zip(ours, reference, strict=True)):
        np.testing.assert_array_equal(a == 0, b == 0, err_msg=f"zero sets differ at point {k}")
        scale = max(np.max(np.abs(b)), 1e-12)
        assert np.max(np.abs(a - b)) <= rtol * scale, f"point {k}"


@pytest.mark.parametrize("method", ["warm_start", "vmap"])
def test_laplace_path_is_sklearn_lasso_path(diabetes, method):
    X, y = diabetes
    n = len(y)
    alphas = _alpha_grid(X, y, 30)
    scales = [penalty.lasso_prior_scale(a, n=n, sigma=SIGMA) for a in alphas]
    fits = br.map_path(
        linear, X, y, sigma=SIGMA, path={"prior": [laplace(b) for b in scales]}, method=method
    )
    Xc, yc = _centered(X, y)
    _, coefs, _ = lasso_path(Xc, yc, alphas=alphas, tol=1e-14, max_iter=100_000)
    assert fits.params["coef"].shape == (30, 10)
    assert fits.converged.all() and fits.method == method
    _assert_path_equal(fits.params["coef"], coefs.T)
    # the intercept of a centered fit: mean(y) - mean(X) @ coef
    np.testing.assert_allclose(
        fits.params["intercept"], y.mean() - coefs.T @ X.mean(axis=0), rtol=1e-9
    )
    # the strongest penalty is above alpha_max: every weight is exactly zero
    assert np.all(fits.params["coef"][0] == 0)


def test_elastic_net_path_is_sklearn_enet_path(diabetes):
    X, y = diabetes
    n, l1_ratio = len(y), 0.7
    alphas = _alpha_grid(X, y, 20) / l1_ratio
    priors = []
    for alpha in alphas:
        b, tau = penalty.elastic_net_prior_scales(alpha, l1_ratio, n=n, sigma=SIGMA)
        priors.append(elastic_net(b, tau))
    fits = br.map_path(linear, X, y, sigma=SIGMA, path={"prior": priors})
    Xc, yc = _centered(X, y)
    _, coefs, _ = enet_path(Xc, yc, l1_ratio=l1_ratio, alphas=alphas, tol=1e-14, max_iter=100_000)
    _assert_path_equal(fits.params["coef"], coefs.T)


def test_two_arguments_vary_together_and_points_are_map_results(diabetes):
    X, y = diabetes
    taus, sigmas = [1.0, 10.0, 100.0], [40.0, 55.0, 70.0]
    fits = br.map_path(linear, X, y, path={"prior": [gaussian(t) for t in taus], "sigma": sigmas})
    assert len(fits) == 3
    for k, (tau, sigma) in enumerate(zip(taus, sigmas, strict=True)):
        reference = Ridge(alpha=sigma**2 / tau**2, solver="svd").fit(X, y)
        point = fits[k]
        assert isinstance(point, br.MapResult) and point.converged
        assert point.kwargs["sigma"] == sigma and point.kwargs["prior"].scale == tau
        np.testing.assert_allclose(point.params["coef"], reference.coef_, rtol=1e-7)
        assert float(point.params["intercept"]) == pytest.approx(reference.intercept_, rel=1e-9)
    with pytest.raises(IndexError):
        fits[3]


def test_logistic_path_matches_single_solves(breast_cancer):
    """The path's certificate is map_estimate's: each point is that solve, to the tolerance."""
    X, y = breast_cancer
    scales = [0.01, 0.1, 1.0]
    fits = br.map_path(logistic, X, y, path={"prior": [laplace(b) for b in scales]})
    for k, b in enumerate(scales):
        single = br.map_estimate(logistic, X, y, prior=laplace(b))
        _assert_path_equal(fits.params["coef"][k : k + 1], single.params["coef"][None], 1e-6)
        assert fits.objective[k] == pytest.approx(single.objective, rel=1e-10)


def test_unconverged_points_warn_once(diabetes):
    X, y = diabetes
    with pytest.warns(ConvergenceWarning, match=r"3 of 3 points did not converge") as record:
        br.map_path(
            linear,
            X,
            y,
            sigma=SIGMA,
            max_iter=1,
            path={"prior": [laplace(b) for b in (50, 100, 200)]},
        )
    assert len(record) == 1


def test_path_argument_errors(diabetes):
    X, y = diabetes
    priors = [laplace(1.0), laplace(2.0)]
    with pytest.raises(TypeError, match="path must be a non-empty dict"):
        br.map_path(linear, X, y, path=priors)
    with pytest.raises(TypeError, match="path must be a non-empty dict"):
        br.map_path(linear, X, y, path={})
    with pytest.raises(ValueError, match="same positive number of values"):
        br.map_path(linear, X, y, path={"prior": priors, "sigma": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="'prior' is given both in path and as a keyword"):
        br.map_path(linear, X, y, prior=laplace(1.0), path={"prior": priors})
    with pytest.raises(ValueError, match="point 1 .* differs from point 0"):
        br.map_path(linear, X, y, path={"prior": [laplace(1.0), gaussian(1.0)]})
    with pytest.raises(ValueError, match=r"argument 'path\['sigma'\]\[1\]' is nan"):
        br.map_path(linear, X, y, path={"prior": priors, "sigma": [1.0, float("nan")]})
    with pytest.raises(ValueError, match="method must be one of"):
        br.map_path(linear, X, y, path={"prior": priors}, method="coordinate_descent")
    with pytest.raises(TypeError, match=r"path\['prior'\] must be a sequence"):
        br.map_path(linear, X, y, path={"prior": laplace(1.0)})


def test_second_path_with_same_shapes_does_not_recompile(diabetes):
    X, y = diabetes
    traces = []

    def counting_model(X, y, prior, sigma):
        if isinstance(X, jax.core.Tracer):
            traces.append(1)
        linear(X, y, prior=prior, sigma=sigma)

    br.map_path(counting_model, X, y, sigma=55.0, path={"prior": [laplace(b) for b in (1.0, 10.0)]})
    assert traces, "the compiled path should trace the model"
    traces.clear()
    fits = br.map_path(
        counting_model, X * 1.5, y, sigma=40.0, path={"prior": [laplace(b) for b in (2.0, 30.0)]}
    )
    assert traces == []
    single = br.map_estimate(linear, X * 1.5, y, prior=laplace(30.0), sigma=40.0)
    _assert_path_equal(fits.params["coef"][1:], np.asarray(single.params["coef"])[None])


def test_path_on_columns_of_scales_1e_minus_4_to_1e4_is_sklearn_lasso_path(diabetes):
    """map_path holds every point to map_estimate's scale-free certificate (issue #11).

    Column j is multiplied by ``scales[j]`` and its Laplace scale with it, so the problem is the
    diabetes lasso in other units; the old certificate (relative to the largest gradient at the
    start) passed points whose small-scale coordinates were far from the optimum.
    """
    X, y = diabetes
    n = len(y)
    scales = np.geomspace(1e-4, 1e4, X.shape[1])
    alphas = _alpha_grid(X, y, 8)
    priors = [laplace(penalty.lasso_prior_scale(a, n=n, sigma=SIGMA) * scales) for a in alphas]
    fits = br.map_path(linear, X / scales, y, sigma=SIGMA, path={"prior": priors})
    assert fits.converged.all()
    Xc, yc = _centered(X, y)
    _, coefs, _ = lasso_path(Xc, yc, alphas=alphas, tol=1e-14, max_iter=100_000)
    _assert_path_equal(fits.params["coef"] / scales, coefs.T)
