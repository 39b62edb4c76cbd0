"""`loo_path`: PSIS-LOO along a grid against the closed-form leave-one-out of a Gaussian model.

Oracle: for a Normal prior on the weights, a flat intercept and a known sigma, the posterior of
the other n-1 rows is Normal, so $p(y_i \\mid y_{-i})$ is a Normal density computed here in
numpy for every row (no bayesreg code).
"""

import matplotlib
import numpy as np
import pytest
from sklearn.datasets import load_diabetes

import bayesreg as br
from bayesreg import LooPath, ParetoKWarning, loo_path

matplotlib.use("Agg")

SIGMA = 55.0


def _design(X):
    return np.column_stack([np.ones(len(X)), X])


def _precision(Z, tau, sigma):
    """Posterior precision of (intercept, coef): flat intercept, coef ~ N(0, tau²)."""
    prior = np.full(Z.shape[1], 1.0 / tau**2)
    prior[0] = 0.0
    return Z.T @ Z / sigma**2 + np.diag(prior)


def _normal_logpdf(y, mean, var):
    return -0.5 * (np.log(2 * np.pi * var) + (y - mean) ** 2 / var)


def exact_loo(X, y, tau, sigma):
    """``log p(y_i | y_-i)`` for every row, from the Normal posterior of the other rows."""
    Z = _design(X)
    out = np.empty(len(y))
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        A = _precision(Z[keep], tau, sigma)
        mean = np.linalg.solve(A, Z[keep].T @ y[keep] / sigma**2)
        var = sigma**2 + Z[i] @ np.linalg.solve(A, Z[i])
        out[i] = _normal_logpdf(y[i], Z[i] @ mean, var)
    return out


def exact_lppd(X, y, tau, sigma):
    """``log p(y_i | y)`` for every row (the full posterior's predictive density)."""
    Z = _design(X)
    A = _precision(Z, tau, sigma)
    mean = np.linalg.solve(A, Z.T @ y / sigma**2)
    var = sigma**2 + np.einsum("ij,ji->i", Z, np.linalg.solve(A, Z.T))
    return _normal_logpdf(y, Z @ mean, var)


def importance_mcse(post, y):
    """Monte Carlo sd of each row's raw importance-sampling estimate (iid draws, delta method).

    ``-log mean_s r_s`` with ``r_s = 1 / p(y_i | theta_s)`` has sd ``sd(r) / (sqrt(S) mean(r))``.
    """
    loglik = np.asarray(post.idata.log_likelihood["y"]).reshape(-1, len(y))
    ratios = np.exp(-(loglik - loglik.max(axis=0)))
    return ratios.std(axis=0) / (np.sqrt(ratios.shape[0]) * ratios.mean(axis=0))


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return (X - X.mean(axis=0)) / X.std(axis=0), y


TAUS = (0.3, 3.0, 30.0)


@pytest.fixture(scope="module")
def loo(diabetes):
    X, y = diabetes
    return loo_path(
        br.models.linear, X, y, sigma=SIGMA, path={"prior": [br.models.gaussian(t) for t in TAUS]}
    )


def test_psis_loo_matches_the_closed_form_leave_one_out(diabetes, loo):
    X, y = diabetes
    assert isinstance(loo, LooPath)
    assert [p.method for p in loo.posteriors] == ["exact"] * len(TAUS)
    exact = np.array([exact_loo(X, y, t, SIGMA).sum() for t in TAUS])
    for i, tau in enumerate(TAUS):
        pointwise = exact_loo(X, y, tau, SIGMA)
        sd = importance_mcse(loo.posteriors[i], y)
        # every row: within 5 Monte Carlo sds of its importance-sampling estimate (+ rounding)
        assert np.all(np.abs(loo.elpd_pointwise[i] - pointwise) <= 5 * sd + 1e-9), tau
        # the sum: within the sum of the row sds (the rows share the draws: a bound)
        assert abs(loo.elpd[i] - exact[i]) <= 3 * sd.sum(), (tau, loo.elpd[i], exact[i])
        # p_loo = lppd - elpd, both in closed form
        p_loo = exact_lppd(X, y, tau, SIGMA).sum() - exact[i]
        assert abs(loo.p_loo[i] - p_loo) <= 3 * sd.sum() + 0.05 * p_loo, (tau, loo.p_loo[i])
        # ArviZ's se: sqrt(n) times the sd of the pointwise values
        assert loo.se[i] == pytest.approx(np.sqrt(len(y)) * pointwise.std(), rel=0.02)
    assert loo.best_index == int(np.argmax(exact))
    assert np.all(loo.pareto_k_max < 0.7)
    assert loo.grid["prior"][0].scale == pytest.approx(TAUS[0])


def test_plot_draws_the_elpd(loo):
    ax = loo.plot()
    assert ax.get_ylabel() == "PSIS-LOO elpd"
    matplotlib.pyplot.close("all")


def test_a_high_leverage_outlier_gives_one_pareto_k_warning():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 2))
    y = X @ np.array([1.0, -0.5]) + rng.normal(size=40)
    X[7] = [25.0, -25.0]  # far out in X (leverage near 1 under a weak prior) ...
    y[7] = 80.0  # ... and far off the line through the others
    taus = (1e-5, 10.0)
    with pytest.warns(ParetoKWarning) as record:
        loo = loo_path(
            br.models.linear, X, y, sigma=1.0, intercept=False, num_samples=500,
            path={"prior": [br.models.gaussian(t) for t in taus]},
        )  # fmt: skip
    assert len(record) == 1
    # the oracle: row 7's leverage h = x' (X'X + I/tau²)^-1 x in closed form, per point. Its
    # importance ratio exp((y - x'w)²/2) has, with y - x'w ~ N(r, h), the tail t^(-1/h): a
    # Pareto shape k = h: above 0.7 when the row pins its own fit
    leverage = [X[7] @ np.linalg.solve(X.T @ X + np.eye(2) / t**2, X[7]) for t in taus]
    assert leverage[0] < 0.01 and leverage[1] > 0.9
    assert loo.pareto_k_max[0] <= 0.7 < loo.pareto_k_max[1]
    assert int(np.argmax(loo.pareto_k[1])) == 7
    message = str(record[0].message)
    assert "1 of 2 path points: 1 (" in message and "cv_path" in message


def test_bad_input_is_refused(diabetes):
    X, y = diabetes
    with pytest.raises(ValueError, match="at least 2 points"):
        loo_path(br.models.linear, X, y, sigma=SIGMA, path={"prior": [br.models.gaussian(1.0)]})
    with pytest.raises(ValueError, match="log_likelihood must be True"):
        loo_path(
            br.models.linear, X, y, sigma=SIGMA, log_likelihood=False,
            path={"prior": [br.models.gaussian(t) for t in TAUS]},
        )  # fmt: skip
    with pytest.raises(TypeError, match="path must be a non-empty dict"):
        loo_path(br.models.linear, X, y, sigma=SIGMA, path=[1.0, 2.0])
