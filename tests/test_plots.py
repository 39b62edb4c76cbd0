"""Figures: each returns a Figure whose drawn data are the numbers they claim to show."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from sklearn.linear_model import Lasso, Ridge  # noqa: E402

from bayesreg import models  # noqa: E402
from bayesreg.compare import compare  # noqa: E402
from bayesreg.map import MapResult, map_estimate  # noqa: E402
from bayesreg.plots import plot_densities, plot_forest, plot_geometry, plot_shrinkage  # noqa: E402
from bayesreg.select import ShrinkagePath  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def lasso_fit(laplace_problem) -> MapResult:
    lasso = laplace_problem["lasso"]
    return MapResult(
        params={"coef": lasso.coef_, "intercept": np.float64(lasso.intercept_)},
        objective=0.0, num_iter=0, converged=True, optimality=0.0,
    )  # fmt: skip


def line_labelled(ax, label):
    (line,) = [line for line in ax.get_lines() if line.get_label() == label]
    return line


def test_forest_marks_the_map_on_each_row(lasso_fit, laplace_posterior):
    table = compare(lasso_fit, laplace_posterior)
    fig = plot_forest(table)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    coef = table.loc[[label for label in table.index if label.startswith("coef[")]]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(coef.index)
    ypos = ax.get_yticks()
    order = np.argsort(-ypos)  # first table row at the top
    map_line = line_labelled(ax, "MAP")
    np.testing.assert_array_equal(np.asarray(map_line.get_xdata())[order], coef["map"])
    np.testing.assert_array_equal(
        np.asarray(line_labelled(ax, "posterior median").get_xdata())[order], coef["median"]
    )
    (segments,) = [c.get_segments() for c in ax.collections]
    ends = np.array([[seg[0][0], seg[1][0]] for seg in segments])[order]
    np.testing.assert_array_equal(ends, coef[["hdi_low", "hdi_high"]].to_numpy())


def test_forest_row_selection(lasso_fit, laplace_posterior):
    table = compare(lasso_fit, laplace_posterior)
    fig = plot_forest(table, rows=["intercept"])
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["intercept"]
    with pytest.raises(ValueError, match=r"rows \['coef\[zz\]'\] are not in the table"):
        plot_forest(table, rows=["coef[zz]"])
    with pytest.raises(ValueError, match="no row of the table belongs to site 'tau'"):
        plot_forest(table, rows="tau")


def test_densities_draw_the_map_line(lasso_fit, laplace_posterior, laplace_problem):
    fig = plot_densities(lasso_fit, laplace_posterior, ncols=4)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 6 and len(fig.axes) == 8  # 2 rows of 4, two panels hidden
    for ax, name, map_value in zip(
        visible, laplace_problem["names"], lasso_fit.params["coef"], strict=True
    ):
        assert ax.get_title() == f"coef[{name}]"
        np.testing.assert_array_equal(line_labelled(ax, "MAP").get_xdata(), [map_value] * 2)
        grid, density = (np.asarray(a) for a in line_labelled(ax, "posterior").get_data())
        # a density: integrates to ~1 over the draws' range
        assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=0.05)
    with pytest.raises(ValueError, match="site 'sigma' is not in the posterior"):
        plot_densities(lasso_fit, laplace_posterior, site="sigma")


def test_shrinkage_plot_draws_the_given_paths():
    scales = np.array([0.1, 1.0, 10.0])
    gen = np.random.default_rng(0)
    median = gen.normal(size=(3, 2))
    path = ShrinkagePath(
        scales=scales, map=np.array([[0.0, 0.0], [0.5, 0.0], [1.0, -0.3]]), median=median,
        low=median - 1.0, high=median + 1.0, prob=0.9, feature_names=["bmi", "bp"],
        prior="laplace",
    )  # fmt: skip
    fig = plot_shrinkage(path)
    ax_map, ax_post = fig.axes
    for j, name in enumerate(["bmi", "bp"]):
        line = line_labelled(ax_map, name)
        np.testing.assert_array_equal(line.get_xdata(), scales)
        np.testing.assert_array_equal(line.get_ydata(), path.map[:, j])
        np.testing.assert_array_equal(line_labelled(ax_post, name).get_ydata(), median[:, j])
    assert ax_map.get_xscale() == "log" and "lasso" in ax_map.get_title()
    # one credible band per weight, between its low and high ends at each scale
    assert len(ax_post.collections) == 2
    for j, band in enumerate(ax_post.collections):
        vertices = np.concatenate([p.vertices for p in band.get_paths()])
        for k, scale in enumerate(scales):
            at_scale = vertices[np.isclose(vertices[:, 0], scale), 1]
            np.testing.assert_allclose(
                [at_scale.min(), at_scale.max()], [path.low[k, j], path.high[k, j]]
            )


@pytest.fixture(scope="module")
def two_weights():
    gen = np.random.default_rng(4)
    X = gen.normal(size=(80, 2)) @ np.array([[1.0, 0.6], [0.0, 0.8]])
    y = X @ np.array([1.5, 0.3]) + gen.normal(size=80)
    X, y = X - X.mean(0), y - y.mean()
    return X, y, 1.0, 0.02, 0.3  # X, y, sigma, Laplace b, Normal tau


def sklearn_maps(X, y, sigma, b, tau):
    n = len(y)
    lasso = Lasso(alpha=sigma**2 / (n * b), fit_intercept=False, tol=1e-12, max_iter=100_000)
    ridge = Ridge(alpha=sigma**2 / tau**2, fit_intercept=False)
    return lasso.fit(X, y).coef_, ridge.fit(X, y).coef_


def test_geometry_with_given_points(two_weights):
    X, y, sigma, b, tau = two_weights
    lasso, ridge = sklearn_maps(*two_weights)
    assert lasso[1] == 0.0  # this b puts the lasso on a corner of the diamond
    fig = plot_geometry(X, y, l1_scale=b, l2_scale=tau, sigma=sigma,
                        map_points={"laplace": lasso, "gaussian": ridge})  # fmt: skip
    (ax,) = fig.axes
    np.testing.assert_array_equal(line_labelled(ax, "Laplace MAP (lasso)").get_xydata()[0], lasso)
    np.testing.assert_array_equal(line_labelled(ax, "Normal MAP (ridge)").get_xydata()[0], ridge)
    ols = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(line_labelled(ax, "least squares").get_xydata()[0], ols)
    circle = line_labelled(ax, f"L2 ball ||w||₂ ≤ {np.linalg.norm(ridge):.3g}").get_xydata()
    np.testing.assert_allclose(np.linalg.norm(circle, axis=1), np.linalg.norm(ridge))


def test_geometry_draws_the_map_of_our_solver(two_weights):
    X, y, sigma, b, tau = two_weights
    lasso, ridge = sklearn_maps(*two_weights)
    fits = {  # the caller fits; the figure draws the MapResults it is given
        name: map_estimate(models.linear, X, y, prior=prior, sigma=sigma, intercept=False)
        for name, prior in (("laplace", models.laplace(b)), ("gaussian", models.gaussian(tau)))
    }
    fig = plot_geometry(X, y, l1_scale=b, l2_scale=tau, sigma=sigma, map_points=fits)
    (ax,) = fig.axes
    ours_lasso = line_labelled(ax, "Laplace MAP (lasso)").get_xydata()[0]
    assert ours_lasso[1] == 0.0  # an exact zero from map_estimate
    np.testing.assert_allclose(ours_lasso, lasso, atol=1e-6)
    np.testing.assert_allclose(line_labelled(ax, "Normal MAP (ridge)").get_xydata()[0], ridge,
                               atol=1e-6)  # fmt: skip
    with pytest.raises(ValueError, match="exactly 2 columns"):
        plot_geometry(np.zeros((5, 3)), np.zeros(5), l1_scale=1.0, l2_scale=1.0, map_points={})


@pytest.mark.slow
def test_report_writes_markdown_and_figures(tmp_path):
    import warnings

    from bayesreg.cli.report import write_report
    from bayesreg.sample import SamplingWarning

    with warnings.catch_warnings():
        # deliberately short chains to keep the smoke test fast; R-hat / ESS may flag them
        warnings.simplefilter("ignore", SamplingWarning)
        report = write_report(
            tmp_path, num_chains=2, num_warmup=200, num_samples=200, num_path_scales=3,
            selection_priors=("gaussian",),
        )  # fmt: skip
    path = report.path
    assert set(report.tables) == {"gaussian", "laplace", "horseshoe"}
    assert report.map_from["horseshoe"] == "laplace"  # the horseshoe has no MAP of its own
    assert "kappa_median" in report.tables["horseshoe"] and "map" in report.tables["horseshoe"]
    assert "| coef[bmi] |" in path.read_text(encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    assert path.name == "report.md"
    headings = ("## Gaussian prior", "## Laplace prior", "## Horseshoe prior",
                "## Shrinkage paths", "## Geometry", "## Choosing the prior scale")  # fmt: skip
    for heading in headings:
        assert heading in text
    assert "| coef[bmi] |" in text and "The MAP sets" in text
    for name in ("forest_gaussian", "forest_laplace", "densities_laplace", "forest_horseshoe",
                 "kappa_horseshoe", "shrinkage_laplace", "shrinkage_gaussian", "geometry",
                 "scale_selection_gaussian"):  # fmt: skip
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000
        assert f"{name}.png" in text
