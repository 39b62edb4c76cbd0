"""Proximal operators against a scalar reference (brute-force argmin on a fine grid)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bayesreg.prox import prox_elastic_net, prox_lasso, prox_none, prox_ridge, soft_threshold

GRID = np.linspace(-6.0, 6.0, 1_200_001)  # spacing 1e-5


def grid_argmin(x, penalty):
    """argmin_y 0.5 (y - x)^2 + penalty(y) by exhaustive search on GRID."""
    return GRID[np.argmin(0.5 * (GRID - x) ** 2 + penalty(GRID))]


POINTS = [-4.0, -1.3, -0.2, 0.0, 0.15, 0.7, 2.5]


@pytest.mark.parametrize("x", POINTS)
@pytest.mark.parametrize(("l1", "scaling"), [(0.5, 1.0), (1.0, 0.3), (2.0, 2.0)])
def test_prox_lasso_matches_scalar_reference(x, l1, scaling):
    expected = grid_argmin(x, lambda y: scaling * l1 * np.abs(y))
    assert float(prox_lasso(jnp.asarray(x), l1, scaling)) == pytest.approx(expected, abs=2e-5)


@pytest.mark.parametrize("x", POINTS)
@pytest.mark.parametrize(("l2", "scaling"), [(0.5, 1.0), (3.0, 0.5)])
def test_prox_ridge_matches_scalar_reference(x, l2, scaling):
    expected = grid_argmin(x, lambda y: scaling * 0.5 * l2 * y**2)
    assert float(prox_ridge(jnp.asarray(x), l2, scaling)) == pytest.approx(expected, abs=2e-5)


@pytest.mark.parametrize("x", POINTS)
@pytest.mark.parametrize(("l1", "l2", "scaling"), [(0.5, 1.0, 1.0), (1.5, 0.2, 0.7)])
def test_prox_elastic_net_matches_scalar_reference(x, l1, l2, scaling):
    expected = grid_argmin(x, lambda y: scaling * (l1 * np.abs(y) + 0.5 * l2 * y**2))
    got = float(prox_elastic_net(jnp.asarray(x), (l1, l2), scaling))
    assert got == pytest.approx(expected, abs=2e-5)


def test_soft_threshold_gives_exact_zeros_inside_the_threshold():
    x = jnp.array([-1.0, -0.5, 0.0, 0.3, 0.5, 2.0])
    out = soft_threshold(x, 0.5)
    np.testing.assert_array_equal(np.asarray(out)[1:5], 0.0)
    np.testing.assert_allclose(out, [-0.5, 0.0, 0.0, 0.0, 0.0, 1.5])


def test_prox_on_pytrees_with_per_leaf_hyperparameters():
    x = {"a": jnp.array([1.0, -3.0]), "b": jnp.array(0.4)}
    out = prox_lasso(x, {"a": jnp.array([0.5, 1.0]), "b": 1.0}, {"a": 2.0, "b": 1.0})
    np.testing.assert_allclose(out["a"], [0.0, -1.0])
    assert float(out["b"]) == 0.0
    assert prox_none(x, None, 1.0) is x


def test_prox_is_non_expansive_and_lasso_is_idempotent_at_fixed_points():
    key = jax.random.PRNGKey(0)
    x, z = jax.random.normal(key, (2, 500)) * 3.0
    for prox, hyper in [(prox_lasso, 0.7), (prox_ridge, 0.7), (prox_elastic_net, (0.7, 0.3))]:
        assert jnp.linalg.norm(prox(x, hyper) - prox(z, hyper)) <= jnp.linalg.norm(x - z)
    # soft-thresholding by t then by s equals thresholding by t + s (semigroup property)
    np.testing.assert_allclose(
        prox_lasso(prox_lasso(x, 0.4), 0.3), prox_lasso(x, 0.7), rtol=0, atol=1e-12
    )
