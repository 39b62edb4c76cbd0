"""select_scale: one grid, every method, one table; each column against an independent oracle."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import Lasso, LogisticRegression, Ridge

import bayesreg as br
from bayesreg import empirical_bayes
from bayesreg.sample import SamplingWarning
from bayesreg.select.scale import METHODS, select_scale


def _coef(row):
    return np.array([v for k, v in row.items() if k.startswith("coef[")])


@pytest.fixture(scope="module")
def diabetes_cv(diabetes):
    X, y = diabetes
    return select_scale(X, y, methods=["cv_min", "cv_1se"])


def test_cv_rows_are_the_fold_losses_minimum_and_one_se(diabetes_cv):
    sel = diabetes_cv
    on_grid = np.searchsorted(sel.cv_scales, sel.scales)
    losses = sel.cv.fold_losses[on_grid]  # (k, folds), the grid's points only
    mean = losses.mean(axis=1)
    se = losses.std(axis=1, ddof=1) / np.sqrt(losses.shape[1])
    best = int(np.argmin(mean))
    # glmnet's lambda.1se: the largest penalty (smallest Laplace scale) within one SE
    one_se = int(np.min(np.flatnonzero(mean <= mean[best] + se[best])))
    rows = sel.table.set_index("method")
    assert rows.loc["cv_min", "scale"] == sel.scales[best]
    assert rows.loc["cv_1se", "scale"] == sel.scales[one_se]
    assert sel.scales[one_se] < sel.scales[best]
    np.testing.assert_allclose(rows.loc["cv_min", "cv_error"], mean[best], rtol=1e-12)
    np.testing.assert_allclose(rows.loc["cv_1se", "cv_se"], se[one_se], rtol=1e-12)


def test_held_out_error_and_alpha_against_scikit_learn(diabetes, diabetes_cv):
    X, y = diabetes
    sel = diabetes_cv
    n = len(y)
    sigma = sel.sigma
    resid = (
        y
        - np.column_stack([np.ones(n), X])
        @ np.linalg.lstsq(np.column_stack([np.ones(n), X]), y, rcond=None)[0]
    )
    assert sigma == pytest.approx(np.sqrt(resid @ resid / (n - X.shape[1] - 1)), rel=1e-12)
    # the default grid starts where Lasso's path starts: alpha_max = max|x_j'(y - ybar)| / n
    alpha_max = np.max(np.abs(X.T @ (y - y.mean()))) / n
    assert sel.scales[0] == pytest.approx(sigma**2 / (n * alpha_max), rel=1e-12)
    assert sel.scales[-1] / sel.scales[0] == pytest.approx(1000.0) and len(sel.scales) == 50
    for _, row in sel.table.iterrows():
        alpha = row["Lasso alpha"]
        assert alpha == pytest.approx(sigma**2 / (n * row["scale"]), rel=1e-12)
        lasso = Lasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(X, y)
        np.testing.assert_allclose(_coef(row), lasso.coef_, atol=1e-6)
        assert row["zeros"] == int(np.sum(lasso.coef_ == 0.0))
    # the held-out error of a row: Lasso on each fold's training rows, squared error held out
    row = sel.table.set_index("method").loc["cv_1se"]
    errors = []
    for train, test in sel.cv.folds:
        fold_alpha = sigma**2 / (len(train) * row["scale"])
        fit = Lasso(alpha=fold_alpha, tol=1e-12, max_iter=100_000).fit(X[train], y[train])
        errors.append(np.mean((y[test] - fit.predict(X[test])) ** 2))
    np.testing.assert_allclose(row["cv_error"], np.mean(errors), rtol=1e-6)


def test_evidence_row_is_empirical_bayes_tau(diabetes):
    X, y = diabetes
    n = len(y)
    sel = select_scale(X, y, prior="gaussian", methods=["evidence"])
    assert list(sel.table["method"]) == ["evidence"]
    row = sel.table.iloc[0]
    eb = empirical_bayes(br.models.linear, X, y, prior=br.models.gaussian(100.0), sigma=sel.sigma)
    tau = eb.hyperparameters["tau"]
    assert row["scale"] == pytest.approx(tau, rel=1e-6)
    assert row["Ridge alpha"] == pytest.approx(sel.sigma**2 / tau**2, rel=1e-6)
    ridge = Ridge(alpha=row["Ridge alpha"]).fit(X, y)
    np.testing.assert_allclose(_coef(row), ridge.coef_, atol=1e-6)
    # the evidence curve: a flat intercept integrates out to the centred problem on n - 1 rows
    # (Q spans the complement of 1), y ~ N(0, sigma² I + tau² Q'XcXc'Q) there, minus log(n)/2
    Q = np.linalg.qr(np.column_stack([np.ones(n), np.eye(n)[:, : n - 1]]))[0][:, 1:]
    Xq, yq = Q.T @ (X - X.mean(0)), Q.T @ (y - y.mean())
    for i in (0, 25, 49):
        cov = sel.sigma**2 * np.eye(n - 1) + sel.scales[i] ** 2 * Xq @ Xq.T
        _, logdet = np.linalg.slogdet(cov)
        direct = -0.5 * (
            np.log(n) + (n - 1) * np.log(2 * np.pi) + logdet + yq @ np.linalg.solve(cov, yq)
        )
        assert sel.evidence[i] == pytest.approx(direct, rel=1e-9)
    assert (
        np.max(sel.evidence)
        <= br.log_evidence(br.models.linear, X, y, prior=br.models.gaussian(tau), sigma=sel.sigma)
        + 1e-9
    )


def test_logistic_breast_cancer_leaves_out_evidence_and_mcem(breast_cancer):
    X, y = breast_cancer
    sel = select_scale(X, y, likelihood="logistic", methods=["cv_min", "cv_1se"])
    assert sel.convention == "LogisticRegression" and sel.sigma is None
    assert sel.cv.scoring == "log_loss"
    # all-zero point of an L1 logistic fit: 1/b = max|x_j'(y - ybar)| (sklearn's l1_min_c)
    assert sel.scales[0] == pytest.approx(1.0 / np.max(np.abs(X.T @ (y - y.mean()))))
    row = sel.table.set_index("method").loc["cv_1se"]
    assert row["LogisticRegression C"] == row["scale"]  # C = b (DESIGN.md §2)
    sk = LogisticRegression(
        C=row["LogisticRegression C"], l1_ratio=1.0, solver="saga", tol=1e-10, max_iter=100_000
    ).fit(X, y)
    np.testing.assert_allclose(_coef(row), sk.coef_[0], atol=1e-4)
    assert set(sel.notes) == {"evidence", "mcem"}
    with pytest.raises(ValueError, match="do not apply.*evidence"):
        select_scale(X, y, likelihood="logistic", methods=["evidence"])
    with pytest.raises(ValueError, match="mcem.*Bayesian lasso"):
        select_scale(X, y, likelihood="logistic", methods=["cv_min", "mcem"])


def test_bad_input(diabetes):
    X, y = diabetes
    with pytest.raises(ValueError, match="methods must be names among.*'cv_fold'"):
        select_scale(X, y, methods=["cv_fold"])
    with pytest.raises(ValueError, match="at least 2 distinct values"):
        select_scale(X, y, scales=[10.0])
    with pytest.raises(ValueError, match="at least 2 distinct values"):
        select_scale(X, y, scales=[10.0, 10.0])
    with pytest.raises(ValueError, match="positive finite"):
        select_scale(X, y, scales=[0.0, 1.0, 10.0])
    with pytest.raises(ValueError, match="likelihood must be one of"):
        select_scale(X, y, likelihood="probit")
    with pytest.raises(ValueError, match="prior must be one of"):
        select_scale(X, y, prior="horseshoe")
    with pytest.raises(ValueError, match="one scale to choose"):
        select_scale(X, y, prior="elastic_net")
    with pytest.raises(ValueError, match="sigma is the noise sd"):
        select_scale(X, (y > 140).astype(float), likelihood="logistic", sigma=1.0)
    with pytest.raises(ValueError, match="do not apply.*mcem"):
        select_scale(X, y, prior="gaussian", methods=["mcem"])


@pytest.mark.slow
def test_every_method_on_diabetes_laplace(diabetes):
    X, y = diabetes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)  # short chains at the weak-prior end
        sel = select_scale(X, y, num_samples=500, num_warmup=500, num_chains=2)
        eb = empirical_bayes(
            br.models.bayesian_lasso, X, y, seed=0, num_samples=500, num_warmup=500, num_chains=2
        )
    assert list(sel.table["method"]) == ["cv_min", "cv_1se", "mcem", "hyperprior", "loo"]
    assert set(sel.notes) == {"evidence"}
    rows = sel.table.set_index("method")
    lam = eb.hyperparameters["lam"]
    assert rows.loc["mcem", "scale"] == pytest.approx(sel.sigma / lam)
    # Park & Casella (2008) §4: lambda = 0.237 on these (unit-norm) columns
    assert abs(lam - 0.237) <= 4.0 * eb.mc_error["lam"] + 1e-3
    draws = np.asarray(sel.results["hyperprior"].samples["b"])
    assert rows.loc["hyperprior", "scale"] == pytest.approx(np.median(draws))
    assert rows.loc["loo", "scale"] == sel.loo_scales[int(np.argmax(sel.loo.elpd))]
    assert len(sel.loo_scales) == 8 and set(sel.loo_scales) <= set(sel.scales)
    # every row's error is the CV mean at exactly its scale, read off the one run
    for method, row in rows.iterrows():
        i = int(np.flatnonzero(sel.cv_scales == row["scale"])[0])
        assert row["cv_error"] == sel.cv.fold_losses[i].mean(), method
    fig = sel.plot()
    assert len(fig.axes) == 2  # CV and LOO (no evidence for a Laplace prior)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert sum(label.startswith(tuple(METHODS.values())) for label in labels) == 5


@pytest.mark.slow
def test_every_method_on_breast_cancer_logistic(breast_cancer):
    X, y = breast_cancer
    with warnings.catch_warnings():
        # short chains, and PSIS-LOO's large Pareto k where the weak priors let the classes
        # separate: the table's LOO row is then the best of the points with an estimate
        warnings.simplefilter("ignore", SamplingWarning)
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)  # ArviZ's Pareto fit on those ratios
        sel = select_scale(
            X, y, likelihood="logistic", num_samples=300, num_warmup=300, num_chains=2
        )
    assert list(sel.table["method"]) == ["cv_min", "cv_1se", "hyperprior", "loo"]
    assert set(sel.notes) == {"evidence", "mcem"} and sel.evidence is None
    np.testing.assert_array_equal(sel.table["LogisticRegression C"], sel.table["scale"])
    row = sel.table.loc[sel.table["scale"].idxmin()]  # saga converges fastest there
    sk = LogisticRegression(C=row["scale"], l1_ratio=1.0, solver="saga", tol=1e-10,
                            max_iter=100_000).fit(X, y)  # fmt: skip
    np.testing.assert_allclose(_coef(row), sk.coef_[0], atol=1e-4)
    finite = np.isfinite(sel.loo.elpd)
    assert (
        sel.table.set_index("method").loc["loo", "scale"]
        == sel.loo_scales[finite][np.argmax(sel.loo.elpd[finite])]
    )
    assert len(sel.plot().axes) == 2
