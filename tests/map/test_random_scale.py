"""MAP with a prior scale given a hyperprior: a clear refusal where no MAP of that form exists,
the joint mode where it is finite (oracle: scipy.optimize on the log joint written in numpy)."""

import numpy as np
import numpyro.distributions as dist
import pytest
from scipy.optimize import minimize_scalar
from sklearn.datasets import load_diabetes

import bayesreg as br

ALTERNATIVES = ("sample_posterior", "empirical_bayes", "cv_path")


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return (X - X.mean(axis=0)) / X.std(axis=0), (y - y.mean()) / y.std()


def joint_mode(X, y, sigma, a, b):
    r"""The mode of $p(y, \mu, w, \tau)$: flat $\mu$, $w_j \sim N(0, \tau^2)$, $\tau \sim IG(a, b)$.

    For fixed $\tau$ the weights are ridge with an unpenalized intercept; the profile
    $-\log p$ is then minimized over $\log\tau$ (the mode in $\tau$, no Jacobian term).
    """
    n, p = X.shape
    Xc, yc = X - X.mean(axis=0), y - y.mean()

    def weights(tau):
        w = np.linalg.solve(Xc.T @ Xc + sigma**2 / tau**2 * np.eye(p), Xc.T @ yc)
        return y.mean() - X.mean(axis=0) @ w, w

    def objective(log_tau):
        tau = np.exp(log_tau)
        mu, w = weights(tau)
        rss = np.sum((y - mu - X @ w) ** 2)
        prior = w @ w / (2 * tau**2) + p * np.log(tau)
        return rss / (2 * sigma**2) + prior + (a + 1) * np.log(tau) + b / tau

    best = minimize_scalar(objective, bounds=(-10, 5), method="bounded", options={"xatol": 1e-12})
    tau = float(np.exp(best.x))
    return tau, *weights(tau)


def test_a_finite_joint_mode_is_computed(diabetes):
    X, y = diabetes
    a, b, sigma = 3.0, 2.0, 0.7
    fit = br.map_estimate(
        br.models.linear, X, y, sigma=sigma, prior=br.models.gaussian(dist.InverseGamma(a, b))
    )
    tau, intercept, coef = joint_mode(X, y, sigma, a, b)
    assert fit.converged
    assert float(fit.params["tau"]) == pytest.approx(tau, rel=1e-6)
    np.testing.assert_allclose(fit.params["coef"], coef, rtol=1e-6, atol=1e-9)
    assert float(fit.params["intercept"]) == pytest.approx(intercept, abs=1e-9)


def test_a_finite_joint_mode_along_a_path(diabetes):
    X, y = diabetes
    a, b, sigmas = 3.0, 2.0, [0.5, 1.0]
    fits = br.map_path(
        br.models.linear, X, y, prior=br.models.gaussian(dist.InverseGamma(a, b)),
        path={"sigma": sigmas},
    )  # fmt: skip
    for i, sigma in enumerate(sigmas):
        tau, _, coef = joint_mode(X, y, sigma, a, b)
        assert float(fits.params["tau"][i]) == pytest.approx(tau, rel=1e-6)
        np.testing.assert_allclose(fits.params["coef"][i], coef, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    ("prior", "site"),
    [
        (br.models.laplace(dist.HalfCauchy(1.0)), "b"),
        (br.models.gaussian(dist.HalfCauchy(1.0)), "tau"),
        (br.models.gaussian(dist.Exponential(np.ones(10))), "tau"),  # one scale per weight
        (br.models.gaussian(dist.HalfNormal(1.0), name="scale"), "scale"),
    ],
)
def test_a_degenerate_joint_mode_is_refused_with_the_reason(diabetes, prior, site):
    X, y = diabetes
    with pytest.raises(ValueError, match="no finite MAP") as error:
        br.map_estimate(br.models.linear, X, y, sigma=0.7, prior=prior)
    message = str(error.value)
    assert f"prior scale '{site}' goes to 0" in message
    assert "10 weights of 'coef'" in message
    assert all(name in message for name in ALTERNATIVES)
    with pytest.raises(ValueError, match="no finite MAP"):
        br.map_path(br.models.linear, X, y, prior=prior, path={"sigma": [0.5, 1.0]})


def test_an_inverse_gamma_scale_on_one_weight_per_scale_is_degenerate_only_if_it_should_be():
    # m weights of one shared scale s: p(s) s^-m; an IG(a, b) density vanishes like exp(-b/s)
    # at 0, faster than any power, so the mode is finite for every m (and HalfCauchy's is not)
    rs = br.models.gaussian(dist.InverseGamma(3.0, 2.0))
    assert rs.degenerate_mode(1) is None and rs.degenerate_mode(1000) is None
    assert br.models.gaussian(dist.HalfCauchy(1.0)).degenerate_mode(1) is not None


def test_a_random_laplace_scale_with_a_finite_mode_is_refused(diabetes):
    X, y = diabetes
    prior = br.models.laplace(dist.InverseGamma(3.0, 2.0))
    with pytest.raises(ValueError, match="needs a fixed Laplace scale") as error:
        br.map_estimate(br.models.linear, X, y, sigma=0.7, prior=prior)
    assert all(name in str(error.value) for name in ALTERNATIVES)


@pytest.mark.parametrize("lam", [0.237, dist.Gamma(1.0, 1.78)])
def test_the_bayesian_lasso_is_refused(lam):
    X, y = load_diabetes(return_X_y=True)
    with pytest.raises(ValueError, match="Bayesian lasso's sigma / lam") as error:
        br.map_estimate(br.models.bayesian_lasso, X, y, lam=lam)
    assert all(name in str(error.value) for name in ALTERNATIVES)
