r"""Proximal operators on pytrees.

Every operator has the signature ``prox(x, hyperparams, scaling)`` and solves

$$
\operatorname{prox}(x) = \arg\min_y \tfrac12 \lVert y - x \rVert_2^2
+ \text{scaling} \cdot g(y; \text{hyperparams}),
$$

for the ``g`` its docstring names. ``x`` is any pytree of arrays; ``hyperparams`` is a scalar,
or a pytree with the structure of ``x`` whose leaves broadcast against the leaves of ``x``;
``scaling`` is a scalar or a pytree of the same kind (a per-coordinate step size is a diagonal
metric).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ._types import ArrayLike, PyTree

__all__ = ["soft_threshold", "prox_none", "prox_lasso", "prox_ridge", "prox_elastic_net"]


def _leafwise(fn, x: PyTree, *hyper: PyTree) -> PyTree:
    """Apply ``fn(x_leaf, *hyper_leaves)`` where each hyper is a scalar or a pytree like ``x``."""
    treedef = jax.tree_util.tree_structure(x)

    def as_tree(h):
        if jax.tree_util.tree_structure(h) == treedef:
            return h
        return jax.tree_util.tree_unflatten(treedef, [h] * treedef.num_leaves)

    return jax.tree_util.tree_map(fn, x, *(as_tree(h) for h in hyper))


def soft_threshold(x: ArrayLike, threshold: ArrayLike) -> jax.Array:
    r"""Soft-thresholding ``sign(x) * max(|x| - threshold, 0)`` on one array.

    Solves $\arg\min_y \tfrac12 (y - x)^2 + \text{threshold} \cdot |y|$ elementwise, so it
    returns exact zeros where ``|x| <= threshold``.
    """
    x = jnp.asarray(x)
    return jnp.sign(x) * jnp.maximum(jnp.abs(x) - threshold, 0.0)


def prox_none(x: PyTree, hyperparams: PyTree = None, scaling: PyTree = 1.0) -> PyTree:
    r"""Identity: the proximal operator of $g = 0$."""
    del hyperparams, scaling
    return x


def prox_lasso(x: PyTree, hyperparams: PyTree, scaling: PyTree = 1.0) -> PyTree:
    r"""Proximal operator of the (weighted) L1 norm.

    Solves $\arg\min_y \tfrac12 \lVert y - x\rVert^2 + \text{scaling}\sum_i \lambda_i |y_i|$
    with $\lambda$ = ``hyperparams`` (``l1reg``, non-negative), i.e. soft-thresholding at
    ``scaling * l1reg``.
    """
    return _leafwise(lambda v, lam, s: soft_threshold(v, s * lam), x, hyperparams, scaling)


def prox_ridge(x: PyTree, hyperparams: PyTree, scaling: PyTree = 1.0) -> PyTree:
    r"""Proximal operator of the squared L2 norm.

    Solves

    $$
    \arg\min_y \tfrac12 \lVert y - x\rVert^2 + \text{scaling}\,\tfrac{\lambda}{2} \lVert y\rVert^2
    $$

    with $\lambda$ = ``hyperparams`` (``l2reg``), whose solution is
    $x / (1 + \text{scaling}\,\lambda)$.
    """
    return _leafwise(lambda v, lam, s: v / (1.0 + s * lam), x, hyperparams, scaling)


def prox_elastic_net(
    x: PyTree, hyperparams: tuple[PyTree, PyTree], scaling: PyTree = 1.0
) -> PyTree:
    r"""Proximal operator of the elastic-net penalty.

    Solves

    $$
    \arg\min_y \tfrac12 \lVert y - x\rVert^2 + \text{scaling}\,\Big(\sum_i \lambda_{1,i}|y_i|
    + \tfrac{\lambda_2}{2}\lVert y\rVert^2\Big)
    $$

    with ``hyperparams = (l1reg, l2reg)``, whose solution is
    ``soft_threshold(x, scaling * l1reg) / (1 + scaling * l2reg)``.
    """
    l1reg, l2reg = hyperparams
    return _leafwise(
        lambda v, l1, l2, s: soft_threshold(v, s * l1) / (1.0 + s * l2), x, l1reg, l2reg, scaling
    )
