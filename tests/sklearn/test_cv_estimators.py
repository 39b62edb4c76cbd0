"""Estimators that choose their scale: CV against LassoCV / ElasticNetCV / LogisticRegressionCV,
the evidence against BayesianRidge, the scikit-learn contract, bad input."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import (
    BayesianRidge,
    ElasticNetCV,
    LassoCV,
    LogisticRegressionCV,
    Ridge,
)
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import estimator_checks_generator

from bayesreg.sklearn import (
    BayesianLinearRegression,
    BayesianLinearRegressionCV,
    BayesianLogisticRegressionCV,
)

SIGMA = 54.0  # about the least-squares residual sd of the diabetes data
TIGHT = {"tol": 1e-12, "max_iter": 100_000}


@pytest.fixture(scope="module")
def diabetes():
    # 440 rows: five folds of 88, so a fold fitted at alpha is LassoCV's fold exactly
    X, y = load_diabetes(return_X_y=True)
    return X[:440], y[:440]


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X)[:, :6], y


def assert_same_coef(ours, theirs, rtol=1e-6):
    ours, theirs = np.ravel(ours), np.ravel(theirs)
    scale = np.max(np.abs(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=rtol * scale)
    np.testing.assert_array_equal(ours == 0, theirs == 0)


# ---------------------------------------------------------------------------------------------
# cross-validation: the same folds and grid as scikit-learn's CV estimators


def test_linear_cv_is_lasso_cv(diabetes):
    X, y = diabetes
    ours = BayesianLinearRegressionCV(alphas=20, sigma=SIGMA).fit(X, y)
    theirs = LassoCV(alphas=20, cv=5, **TIGHT).fit(X, y)
    np.testing.assert_allclose(ours.alphas_, theirs.alphas_, rtol=1e-12)
    np.testing.assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-6)
    assert ours.alpha_ == pytest.approx(theirs.alpha_, rel=1e-12)
    assert_same_coef(ours.coef_, theirs.coef_)
    assert ours.intercept_ == pytest.approx(theirs.intercept_, rel=1e-6)
    # the refit's prior is the Laplace scale of alpha_ on all rows: b = sigma² / (n alpha)
    b = SIGMA**2 / (len(y) * theirs.alpha_)
    assert float(np.ravel(ours.prior_.scale)[0]) == pytest.approx(b, rel=1e-12)
    assert ours.cv_results_["l1_scale"][ours.index_] == pytest.approx(b, rel=1e-12)
    np.testing.assert_allclose(ours.cv_results_["mean_loss"], theirs.mse_path_.mean(axis=1))
    np.testing.assert_allclose(ours.cv_results_["split2_loss"], theirs.mse_path_[:, 2])


@pytest.mark.slow
def test_linear_cv_one_se_rule_from_the_fold_errors(diabetes):
    X, y = diabetes
    ours = BayesianLinearRegressionCV(alphas=20, sigma=SIGMA, one_se=True).fit(X, y)
    mse = LassoCV(alphas=20, cv=5, **TIGHT).fit(X, y).mse_path_
    mean, se = mse.mean(axis=1), mse.std(axis=1, ddof=1) / np.sqrt(mse.shape[1])
    best = np.argmin(mean)
    # alphas descend: the first point within one SE is the strongest shrinkage
    index = int(np.flatnonzero(mean <= mean[best] + se[best])[0])
    assert ours.index_ == index == ours.one_se_index_
    assert ours.alpha_ == pytest.approx(ours.alphas_[index], rel=1e-12)


@pytest.mark.slow
def test_elastic_net_cv_is_elastic_net_cv(diabetes):
    X, y = diabetes
    ours = BayesianLinearRegressionCV("elastic_net", l1_ratio=0.7, alphas=15, sigma=SIGMA)
    ours.fit(X, y)
    theirs = ElasticNetCV(l1_ratio=0.7, alphas=15, cv=5, **TIGHT).fit(X, y)
    np.testing.assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-6)
    assert ours.alpha_ == pytest.approx(theirs.alpha_, rel=1e-12)
    assert_same_coef(ours.coef_, theirs.coef_)


@pytest.mark.slow
def test_logistic_cv_is_logistic_regression_cv(cancer):
    X, y = cancer
    ours = BayesianLogisticRegressionCV(Cs=6).fit(X, y)
    theirs = LogisticRegressionCV(
        Cs=6, cv=5, l1_ratios=(0.0,), scoring="neg_log_loss", solver="newton-cholesky",
        tol=1e-12, max_iter=1000, use_legacy_attributes=False,
    ).fit(X, y)  # fmt: skip
    np.testing.assert_allclose(ours.Cs_, theirs.Cs_)
    np.testing.assert_allclose(ours.scores_, theirs.scores_[:, 0, :], rtol=1e-6)
    assert ours.C_ == pytest.approx(theirs.C_, rel=1e-12)
    assert_same_coef(ours.coef_, theirs.coef_)
    assert ours.intercept_[0] == pytest.approx(theirs.intercept_[0], rel=1e-6)


@pytest.mark.slow
def test_ridge_grid_refit_and_posterior_at_the_chosen_scale(diabetes):
    X, y = diabetes
    est = BayesianLinearRegressionCV("gaussian", alphas=np.logspace(-3, 1, 5), sigma=SIGMA)
    est.fit(X, y)
    assert_same_coef(est.coef_, Ridge(alpha=est.alpha_).fit(X, y).coef_)
    # the Normal posterior at tau = sigma / sqrt(alpha_): its mean is the ridge solution
    post = est.sample_posterior(num_chains=2, num_samples=2000)
    draws = np.asarray(post.samples["coef"]).reshape(-1, X.shape[1])
    z = (draws.mean(axis=0) - est.coef_) / (draws.std(axis=0) / np.sqrt(len(draws)))
    assert np.all(np.abs(z) < 4.5)
    mean, std = est.predict(X[:5], return_std=True)
    assert np.all(std > SIGMA)


# ---------------------------------------------------------------------------------------------
# the evidence, as BayesianRidge


def test_evidence_is_bayesian_ridge_on_centred_data(diabetes):
    X, y = diabetes
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    ours = BayesianLinearRegression(alpha="evidence", sigma="estimate", fit_intercept=False)
    ours.fit(Xc, yc)
    theirs = BayesianRidge(
        alpha_1=0, alpha_2=0, lambda_1=0, lambda_2=0, fit_intercept=False, **TIGHT
    ).fit(Xc, yc)
    # BayesianRidge: alpha_ the noise precision, lambda_ the weights' precision
    assert ours.sigma_ == pytest.approx(theirs.alpha_**-0.5, rel=1e-6)
    assert ours.tau_ == pytest.approx(theirs.lambda_**-0.5, rel=1e-6)
    assert ours.alpha_ == pytest.approx(theirs.lambda_ / theirs.alpha_, rel=1e-6)
    assert_same_coef(ours.coef_, theirs.coef_)
    # "auto" is the evidence for a Normal prior; a known sigma is held fixed
    auto = BayesianLinearRegression(alpha="auto", sigma=SIGMA, fit_intercept=False).fit(Xc, yc)
    assert auto.sigma_ == SIGMA
    assert auto.alpha_ == pytest.approx(SIGMA**2 / auto.tau_**2, rel=1e-12)
    assert_same_coef(auto.coef_, Ridge(alpha=auto.alpha_, fit_intercept=False).fit(Xc, yc).coef_)


# ---------------------------------------------------------------------------------------------
# bad input: clear errors naming the argument, before any solve


@pytest.mark.parametrize(
    ("estimator", "message"),
    [
        (BayesianLinearRegressionCV(alphas=1), "alphas must be at least 2"),
        (BayesianLinearRegressionCV(alphas=[0.1]), "at least 2 positive"),
        (BayesianLinearRegressionCV(alphas=[0.1, -1.0]), "at least 2 positive"),
        (BayesianLinearRegressionCV("gaussian"), "give alphas as an array"),
        (BayesianLinearRegressionCV(cv=50), "n_samples=30"),
        (BayesianLinearRegressionCV(eps=0.0), "eps must be a positive"),
        (BayesianLogisticRegressionCV(Cs=[1.0, np.inf]), "Cs must hold"),
        (BayesianLinearRegression("laplace", alpha="auto"), "BayesianLinearRegressionCV"),
        (BayesianLinearRegression(alpha="evidnce"), "alpha must be a positive number"),
        (BayesianLinearRegression(alpha="evidence", l2_scale=1.0), "Remove l2_scale"),
    ],
)
def test_bad_input(estimator, message):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    y = X @ [1.0, 0.0, -1.0] + rng.normal(size=30)
    if isinstance(estimator, BayesianLogisticRegressionCV):
        y = (y > 0).astype(int)
    with pytest.raises(ValueError, match=message):
        estimator.fit(X, y)


# ---------------------------------------------------------------------------------------------
# the scikit-learn estimator contract (each fit compiles a cross-validation program: slow)
#
# The CV estimators share `BayesianGLM.fit`'s input validation with the plain estimators, whose
# full check suite runs in test_sklearn.py; here every check runs except those that only vary
# the input's container, dtype or shape (one new compile each, ~7 min for both estimators), so
# the contract of what the CV estimators add (grid, folds, attributes, refit) is checked.
INPUT_VARIANTS = {
    "check_array_api_input", "check_classifier_data_not_an_array", "check_complex_data",
    "check_dtype_object", "check_estimators_dtypes",
    "check_estimators_nan_inf", "check_f_contiguous_array_estimator", "check_fit1d",
    "check_fit2d_1feature", "check_fit2d_1sample", "check_fit2d_predict1d",
    "check_methods_sample_order_invariance", "check_methods_subset_invariance",
    "check_positive_only_tag_during_fit", "check_readonly_memmap_input",
    "check_regressor_data_not_an_array", "check_regressors_int", "check_supervised_y_2d",
    "check_supervised_y_no_nan", "check_classifiers_regression_target",
}  # fmt: skip
CV_ESTIMATORS = [
    BayesianLinearRegressionCV(alphas=3, cv=3),
    BayesianLogisticRegressionCV(Cs=3, cv=3),
]


def _check_name(check) -> str:
    return getattr(check, "func", check).__name__


CV_CHECKS = [
    pytest.param(est, check, id=f"{type(est).__name__}-{_check_name(check)}")
    for estimator in CV_ESTIMATORS
    for est, check in estimator_checks_generator(estimator, mark="skip")
    if _check_name(check) not in INPUT_VARIANTS
]


def test_input_variant_names_are_scikit_learn_checks():
    names = {
        _check_name(check)
        for estimator in CV_ESTIMATORS
        for _, check in estimator_checks_generator(estimator, mark="skip")
    }
    assert names >= INPUT_VARIANTS, INPUT_VARIANTS - names
    assert len(CV_CHECKS) >= 40


@pytest.mark.slow
@pytest.mark.parametrize(("estimator", "check"), CV_CHECKS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
