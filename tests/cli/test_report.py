"""The report's files are written atomically (the full report runs in tests/test_plots.py)."""

import os

import matplotlib.pyplot as plt
import pytest

from bayesreg.cli import report


def test_figure_is_written_whole_with_umask_mode(tmp_path):
    previous = os.umask(0o027)
    try:
        fig, axis = plt.subplots()
        axis.plot([0, 1], [1, 0])
        report.save_figure(fig, tmp_path / "line.png")
    finally:
        os.umask(previous)
    assert (tmp_path / "line.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert os.stat(tmp_path / "line.png").st_mode & 0o777 == 0o640
    assert not plt.fignum_exists(fig.number)


def test_a_failing_figure_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "line.png"
    path.write_bytes(b"old figure")
    fig, _ = plt.subplots()

    def fail(*args, **kwargs):
        raise RuntimeError("renderer failed")

    monkeypatch.setattr(fig, "savefig", fail)
    with pytest.raises(RuntimeError, match="renderer failed"):
        report.save_figure(fig, path)
    assert path.read_bytes() == b"old figure"
    assert os.listdir(tmp_path) == ["line.png"]
    assert not plt.fignum_exists(fig.number)


def test_geometry_maps_in_closed_form_are_map_estimates(diabetes):
    """The 2-feature figure draws closed-form MAPs; they are map_estimate's, one exact zero."""
    import numpy as np
    import pandas as pd
    from sklearn.datasets import load_diabetes

    from bayesreg import map_estimate, models
    from bayesreg.data import least_squares_sigma

    X = pd.DataFrame(diabetes[0], columns=load_diabetes().feature_names)
    y = diabetes[1]
    sigma = least_squares_sigma(X.to_numpy(), y)
    b, tau, columns, points = report._geometry(X, y, sigma)
    Z = X[columns].to_numpy() - X[columns].to_numpy().mean(0)
    for name, prior in (("laplace", models.laplace(b)), ("gaussian", models.gaussian(tau))):
        fit = map_estimate(models.linear, Z, y - y.mean(), prior=prior, sigma=sigma,
                           intercept=False)  # fmt: skip
        np.testing.assert_allclose(points[name], fit.params["coef"], atol=1e-6)
    assert np.sum(points["laplace"] == 0.0) == 1 and np.all(points["gaussian"] != 0.0)


def test_stages_report_what_finished_and_its_time():
    import re

    lines = []
    stage = report._Stages(lines.append)
    stage("gaussian prior: MAP and 4 x 1000 posterior draws")
    stage("geometry figure")
    assert len(lines) == 2
    assert re.fullmatch(r"gaussian prior: MAP and 4 x 1000 posterior draws \(\d+\.\d s\)", lines[0])
    assert re.fullmatch(r"geometry figure \(\d+\.\d s\)", lines[1])
    report._Stages(None)("nothing shown")  # no progress: silent


@pytest.mark.slow
def test_default_report_raises_no_warnings_and_explains_itself(tmp_path):
    """The demo's report: its own chains pass every diagnostic (filterwarnings = error)."""
    import warnings

    lines = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning of the report's own making fails
        written = report.write_report(tmp_path, progress=lines.append)
    text = written.path.read_text(encoding="utf-8")
    assert "| p_positive | P(w > 0)" in text and "| map_is_zero |" in text  # columns explained
    assert "The MAP sets 6 of 10 weights exactly to zero" in text  # the intercept is no weight
    assert "Left out of this report to keep it quick: hyperprior median" in text
    assert "| kappa_median, kappa_hdi_low, kappa_hdi_high |" in text
    assert "## Horseshoe prior" in text and "![shrinkage factors](kappa_horseshoe.png)" in text
    assert len(lines) == 8 and lines[-1].startswith("report written")
    assert all(line.endswith(" s)") for line in lines)
