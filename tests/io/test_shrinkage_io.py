"""Saving and loading results and estimators whose prior is a shrinkage prior."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

import bayesreg as br
from bayesreg.sklearn import BayesianLinearRegression


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    return X, X @ np.array([1.5, 0.0, 0.0]) + rng.normal(size=40)


@pytest.mark.filterwarnings("ignore::bayesreg.SamplingWarning")  # 100 draws: the file, not MCMC
def test_posterior_with_a_regularized_horseshoe_round_trips(tmp_path, data):
    X, y = data
    prior = br.models.regularized_horseshoe(nonzero=1, slab_scale=3.0)
    post = br.sample_posterior(
        br.models.linear, X, y, prior=prior, num_samples=100, num_warmup=100, num_chains=1
    )
    path = tmp_path / "post.nc"
    br.io.save(post, path)
    back = br.io.load(path)
    assert back.kwargs["prior"] == prior
    for site in ("tau", "c", "lambda", "coef_z", "coef", "coef_scale"):
        np.testing.assert_array_equal(back.samples[site], post.samples[site])


def test_student_t_estimator_round_trips_and_predicts_the_same(tmp_path, data):
    X, y = data
    est = BayesianLinearRegression(prior="student_t", df=4.0, scale=0.5).fit(X, y)
    path = tmp_path / "est.zip"
    br.io.save(est, path)
    back = br.io.load(path)
    assert back.prior_ == br.models.student_t(4.0, 0.5)
    np.testing.assert_array_equal(back.predict(X), est.predict(X))


def test_an_unknown_shrinkage_prior_name_in_a_file_is_refused(tmp_path, data):
    X, y = data
    est = BayesianLinearRegression(prior="student_t").fit(X, y)
    path = tmp_path / "est.zip"
    br.io.save(est, path)
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    name = next(n for n, raw in members.items() if b'"ShrinkagePrior"' in raw)
    members[name] = members[name].replace(b'"student_t"', b'"os.system"')
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(forged, "w") as archive:
        for member, raw in members.items():
            archive.writestr(member, raw)
    with pytest.raises(ValueError, match="os.system"):
        br.io.load(forged)
