"""Sufficient statistics: additive over row chunks, exact far from zero, kept on the device."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bayesreg.data import (
    GaussianStatistics,
    SufficientStatistics,
    combine,
    gaussian_statistics,
    root_form,
    sufficient_statistics,
)

#: Chunks of very different sizes (one row, a handful, the bulk), as a stream would give them.
CHUNK_SIZES = (1, 3, 40, 1, 555, 400)

#: Relative error of the combined statistics against NumPy on the whole data: rounding only.
TOLERANCE = 1e-10


def far_from_zero_data():
    """Columns with means up to 1e6 in size (and one near zero); the chunks' means differ."""
    rng = np.random.default_rng(7)
    n = sum(CHUNK_SIZES)
    X = rng.normal(size=(n, 3)) * np.array([1.0, 3.0, 0.5])
    X += np.array([1e6, -2.5e5, 0.0])
    drift = np.repeat(np.arange(len(CHUNK_SIZES)) * 2.0, CHUNK_SIZES)  # chunk means differ
    X[:, 0] += drift
    y = 1e6 + X @ np.array([0.5, -1.0, 2.0]) + rng.normal(size=n)
    return X, y


def chunks(X, y):
    bounds = np.cumsum((0, *CHUNK_SIZES))
    return [(X[a:b], y[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def oracle(X, y):
    """The centred cross-products of the whole data with NumPy (two passes, float64)."""
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    return {"xx": Xc.T @ Xc, "xy": Xc.T @ yc, "yy": yc @ yc}


def relative_error(got, want):
    """Largest error relative to the largest entry (the scale of a cross-product matrix)."""
    want = np.asarray(want)
    return float(np.max(np.abs(np.asarray(got) - want)) / np.max(np.abs(want)))


def naive_uncentred(parts):
    """Raw sums of X'X, X'y, y'y over the chunks, centred once at the end (what not to do)."""
    n = sum(len(y) for _, y in parts)
    sx = sum(X.sum(axis=0) for X, _ in parts)
    sy = sum(y.sum() for _, y in parts)
    xx = sum(X.T @ X for X, _ in parts) - np.outer(sx, sx) / n
    xy = sum(X.T @ y for X, y in parts) - sx * sy / n
    yy = sum(y @ y for _, y in parts) - sy * sy / n
    return {"xx": xx, "xy": xy, "yy": yy}


@pytest.mark.parametrize("as_array", [np.asarray, jnp.asarray], ids=["numpy", "jax"])
def test_chunks_add_up_to_the_whole_data_far_from_zero(as_array):
    X, y = far_from_zero_data()
    parts = chunks(X, y)
    total = sum(sufficient_statistics(as_array(a), as_array(b)) for a, b in parts)
    want = oracle(X, y)
    assert float(total.n) == len(y)
    np.testing.assert_allclose(total.x_mean, X.mean(axis=0), rtol=1e-14, atol=1e-12)
    np.testing.assert_allclose(total.y_mean, y.mean(), rtol=1e-14)
    for name in ("xx", "xy", "yy"):
        assert relative_error(getattr(total, name), want[name]) < TOLERANCE, name
    # the same tolerance rejects raw sums: with means of 1e6 the cancellation costs ~1e-4
    naive = naive_uncentred(parts)
    assert max(relative_error(naive[name], want[name]) for name in want) > 1e3 * TOLERANCE


def test_combine_is_associative_commutative_and_has_an_identity():
    X, y = far_from_zero_data()
    a, b, c = (sufficient_statistics(*part) for part in chunks(X, y)[3:])
    left, right = combine(combine(a, b), c), combine(a, combine(b, c))
    swapped = combine(c, combine(b, a))
    for got in (right, swapped):
        for name in SufficientStatistics._fields:
            assert relative_error(getattr(got, name), getattr(left, name)) < TOLERANCE, name
    empty = sufficient_statistics(X[:0], y[:0])
    assert float(empty.n) == 0.0 and np.all(np.asarray(empty.xx) == 0)
    for got in (combine(empty, a), combine(a, empty), a + empty):
        for name in SufficientStatistics._fields:
            np.testing.assert_array_equal(getattr(got, name), getattr(a, name))
    np.testing.assert_array_equal(combine(empty, empty).xx, np.zeros((3, 3)))


def test_root_form_of_the_sum_gives_the_residual_sum_of_squares():
    X, y = far_from_zero_data()
    stats = root_form(sum(sufficient_statistics(*part) for part in chunks(X, y)))
    assert isinstance(stats, GaussianStatistics)
    whole = gaussian_statistics(X, y)
    rng = np.random.default_rng(3)
    for _ in range(3):
        w = rng.normal(size=3)
        b = y.mean() - X.mean(axis=0) @ w + rng.normal()  # the fit term, not the mean, dominates
        want = np.sum((y - b - X @ w) ** 2)
        for s in (stats, whole):
            resid_mean = s.y_mean - b - s.x_mean @ w
            rss = np.sum((s.root @ w - s.target) ** 2) + s.rss_min + s.n * resid_mean**2
            assert float(rss) == pytest.approx(want, rel=1e-9)


@pytest.mark.parametrize("as_array", [np.asarray, jnp.asarray], ids=["numpy", "jax"])
def test_collinear_columns_get_a_square_root_from_the_eigendecomposition(as_array):
    rng = np.random.default_rng(4)
    x = rng.normal(size=30)
    X = np.column_stack([x, 2.0 * x, np.ones(30), rng.normal(size=30)])  # rank 2 after centring
    y = 1.0 + 3.0 * x + rng.normal(size=30)
    stats = gaussian_statistics(as_array(X), as_array(y))
    Xc = X - X.mean(axis=0)
    assert np.all(np.isfinite(np.asarray(stats.root)))
    np.testing.assert_allclose(stats.root.T @ stats.root, Xc.T @ Xc, atol=1e-10)
    # the least RSS is that of least squares with an intercept
    design = np.column_stack([np.ones(30), X])
    resid = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    assert float(stats.rss_min) == pytest.approx(resid @ resid, rel=1e-9)


def test_device_arrays_stay_on_their_device():
    X, y = far_from_zero_data()
    device = jax.devices()[-1]
    parts = [(jax.device_put(a, device), jax.device_put(b, device)) for a, b in chunks(X, y)]
    sum(sufficient_statistics(a, b) for a, b in parts)  # compile first: then nothing moves
    with jax.transfer_guard("disallow"):
        total = sum(sufficient_statistics(a, b) for a, b in parts)
    for leaf in total:
        assert isinstance(leaf, jax.Array) and leaf.devices() == {device}
    stats = root_form(total)
    assert all(leaf.devices() == {device} for leaf in stats)


def test_statistics_are_float64_and_traceable():
    X, y = far_from_zero_data()
    for leaf in sufficient_statistics(X.astype(np.float32), y.astype(np.float32)):
        assert leaf.dtype == np.float64
    traced = jax.jit(lambda X, y: root_form(sufficient_statistics(X, y)))(X, y)
    eager = gaussian_statistics(X, y)
    for name in GaussianStatistics._fields:
        np.testing.assert_allclose(
            getattr(traced, name), getattr(eager, name), rtol=1e-9, atol=1e-6, err_msg=name
        )
