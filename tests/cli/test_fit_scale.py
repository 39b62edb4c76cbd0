"""``bayesreg fit --scale cv | cv-1se | evidence | hyperprior`` against scikit-learn and NumPyro."""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import BayesianRidge, LassoCV, LogisticRegressionCV

from bayesreg.cli import main

N, FOLDS, GRID = 60, 3, 6  # three folds of 20 rows: a fold fitted at alpha is LassoCV's
TIGHT = {"tol": 1e-12, "max_iter": 100_000}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, 3)) * [1.0, 2.0, 0.5]
    y = X @ [2.0, 0.0, -1.0] + rng.normal(size=N) + 3.0
    folder = tmp_path_factory.mktemp("scale")
    frame = pd.DataFrame(X, columns=list("abc")).assign(y=y)
    frame.to_csv(folder / "small.csv", index=False)
    (frame - frame.mean()).to_csv(folder / "centred.csv", index=False)
    frame.assign(y=(y > 3.0).astype(int)).to_csv(folder / "labels.csv", index=False)
    return folder, X, y


def _fit(capsys, *argv):
    code = main(["fit", *map(str, argv)])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def _number(pattern, text):
    """The number the pattern's group catches, without the punctuation that follows it."""
    return float(re.search(pattern, text).group(1).rstrip(";,)"))


def test_cv_chooses_lasso_cv_alpha_and_coefficients(data, capsys, tmp_path):
    folder, X, y = data
    argv = [folder / "small.csv", "--target", "y", "--scale", "cv", "--folds", FOLDS]
    out = _fit(capsys, *argv, "--grid", GRID, "--samples", 0, "--out", tmp_path)
    theirs = LassoCV(alphas=GRID, cv=FOLDS, **TIGHT).fit(X, y)
    assert "3-fold cross-validation over 6 points" in out
    alpha = _number(r"equals Lasso\(alpha=(\S+)\)", out)
    assert alpha == pytest.approx(theirs.alpha_, rel=1e-5)
    table = pd.read_csv(tmp_path / "map.csv", index_col=0)["map"]
    np.testing.assert_allclose(table[["coef[a]", "coef[b]", "coef[c]"]], theirs.coef_, atol=1e-6)
    assert table["intercept"] == pytest.approx(theirs.intercept_, abs=1e-6)

    # the one-SE rule, computed directly from LassoCV's fold errors (alphas descend)
    out = _fit(capsys, *argv[:4], "cv-1se", *argv[5:], "--grid", GRID, "--samples", 0)
    mse = theirs.mse_path_
    mean, se = mse.mean(axis=1), mse.std(axis=1, ddof=1) / np.sqrt(FOLDS)
    index = int(np.flatnonzero(mean <= mean.min() + se[np.argmin(mean)])[0])
    assert "within one SE of the least" in out
    assert _number(r"equals Lasso\(alpha=(\S+)\)", out) == pytest.approx(
        theirs.alphas_[index], rel=1e-5
    )


def test_evidence_is_bayesian_ridge(data, capsys):
    folder, X, y = data
    out = _fit(capsys, folder / "centred.csv", "--formula", "y ~ a + b + c - 1", "--prior",
               "gaussian", "--scale", "evidence", "--samples", 0)  # fmt: skip
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    theirs = BayesianRidge(
        alpha_1=0, alpha_2=0, lambda_1=0, lambda_2=0, fit_intercept=False, **TIGHT
    ).fit(Xc, yc)
    assert "evidence (type-II maximum likelihood)" in out
    assert _number(r"likelihood\): tau = (\S+),", out) == pytest.approx(
        theirs.lambda_**-0.5, rel=1e-5
    )
    assert _number(r"sigma = (\S+) \(estimated", out) == pytest.approx(
        theirs.alpha_**-0.5, rel=1e-5
    )
    ridge_alpha = _number(r"equals Ridge\(alpha=(\S+), fit_intercept=False\)", out)
    assert ridge_alpha == pytest.approx(theirs.lambda_ / theirs.alpha_, rel=1e-5)


def test_json_has_the_scale_selection_and_its_path(data, capsys):
    """--json writes the whole CV path; its alphas and losses are LassoCV's, NaN-free."""
    import json

    folder, X, y = data
    out = _fit(capsys, folder / "small.csv", "--target", "y", "--scale", "cv", "--folds", FOLDS,
               "--grid", GRID, "--samples", 0, "--json")  # fmt: skip
    scale = json.loads(out)["scale"]
    theirs = LassoCV(alphas=GRID, cv=FOLDS, **TIGHT).fit(X, y)
    path = pd.DataFrame(scale["path"]).set_index("point")
    assert list(path.columns) == ["b", "alpha", "mean_loss", "se"]
    np.testing.assert_allclose(path["alpha"], theirs.alphas_, rtol=1e-6)
    np.testing.assert_allclose(path["mean_loss"], theirs.mse_path_.mean(axis=1), rtol=1e-5)
    assert scale["point"] == int(np.argmin(theirs.mse_path_.mean(axis=1)))
    assert (scale["method"], scale["folds"], scale["grid"]) == ("cv", FOLDS, GRID)
    assert scale["b"] == pytest.approx(path["b"].iloc[scale["point"]])
    assert scale["equivalent_penalty"].startswith("Lasso(alpha=")

    out = _fit(capsys, folder / "centred.csv", "--formula", "y ~ a + b + c - 1", "--prior",
               "gaussian", "--scale", "evidence", "--samples", 0, "--json")  # fmt: skip
    scale = json.loads(out)["scale"]
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    ridge = BayesianRidge(
        alpha_1=0, alpha_2=0, lambda_1=0, lambda_2=0, fit_intercept=False, **TIGHT
    ).fit(Xc, yc)
    assert scale["tau"] == pytest.approx(ridge.lambda_**-0.5, rel=1e-5)
    assert scale["sigma"] == pytest.approx(ridge.alpha_**-0.5, rel=1e-5)
    assert scale["path"] is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--prior", "elastic_net", "--scale", "cv", "--l2-scale", "1"], "--l2-scale cannot"),
        (["--prior", "laplace", "--scale", "evidence"], "closed form only for --prior gaussian"),
        (["--prior", "gaussian", "--scale", "evidence", "--likelihood", "poisson"], "closed form"),
        (["--scale", "2", "--folds", "3"], "--folds applies only to --scale cv"),
        (["--scale", "hyperprior", "--samples", "0"], "needs --samples > 0"),
        (["--scale", "cvv"], "or a method choosing it, one of cv, cv-1se"),
        (["--scale", "cv", "--sigma-prior", "halfnormal:1"], "needs a known noise sd"),
        (["--scale", "cv", "--folds", "100", "--samples", "0"], "more folds than the 60 rows"),
        (["--scale", "cv", "--l1-ratio", "0.5"], "--l1-ratio applies only"),
    ],
)
def test_usage_errors(data, capsys, options, message):
    folder, _, _ = data
    code = main(["fit", str(folder / "small.csv"), "--target", "y", *options])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_logistic_cv_is_logistic_regression_cv(data, capsys):
    folder, X, y = data
    labels = (y > 3.0).astype(int)
    out = _fit(capsys, folder / "labels.csv", "--target", "y", "--likelihood", "logistic",
               "--prior", "gaussian", "--scale", "cv", "--folds", FOLDS, "--grid", 5,
               "--samples", 0)  # fmt: skip
    # the documented grid: 1/tau² = 1/C from 1e3 to 1e-3 times the average curvature per weight
    Xc = X - X.mean(axis=0)
    curvature = np.sum(Xc**2) * labels.mean() * (1 - labels.mean()) / X.shape[1]
    Cs = 1.0 / (curvature * np.geomspace(1e3, 1e-3, 5))
    theirs = LogisticRegressionCV(
        Cs=Cs, cv=FOLDS, l1_ratios=(0.0,), scoring="neg_log_loss", solver="newton-cholesky",
        use_legacy_attributes=False, **TIGHT,
    ).fit(X, labels)  # fmt: skip
    assert _number(r"equals LogisticRegression\(C=(\S+), l1_ratio=0\)", out) == pytest.approx(
        theirs.C_, rel=1e-5
    )


@pytest.mark.slow
def test_hyperprior_median_is_the_hand_written_model(data, capsys):
    import arviz as az
    import jax
    import numpyro
    import numpyro.distributions as dist
    from numpyro.infer import MCMC, NUTS

    folder, X, y = data
    sigma = 1.0
    out = _fit(capsys, folder / "small.csv", "--target", "y", "--scale", "hyperprior",
               "--sigma", sigma, "--samples", 1000, "--warmup", 500, "--chains", 2)  # fmt: skip
    s = np.std(y) / np.median(np.std(X, axis=0))
    assert _number(r"s = sd\(y\) / median sd\(x\) = (\S+)", out) == pytest.approx(s, rel=1e-5)
    ours = _number(r"posterior median b = (\S+) \(", out)

    def model(X, y):
        b = numpyro.sample("b", dist.HalfCauchy(s))
        coef = numpyro.sample("coef", dist.Laplace(0.0, b).expand([X.shape[1]]).to_event(1))
        intercept = numpyro.sample("intercept", dist.ImproperUniform(dist.constraints.real, (), ()))
        numpyro.sample("y", dist.Normal(intercept + X @ coef, sigma), obs=y)

    mcmc = MCMC(NUTS(model), num_warmup=500, num_samples=2000, num_chains=1, progress_bar=False)
    mcmc.run(jax.random.PRNGKey(1), X, y)
    draws = np.asarray(mcmc.get_samples()["b"])
    theirs = float(np.median(draws))
    error = float(az.mcse(draws[None, :], method="median"))
    assert abs(ours - theirs) < 5 * np.sqrt(2) * error
