"""Compile once per model structure.

Model arguments are split into traced and static leaves, and compiled programs are kept in a
small LRU cache.

Arrays and floats are traced, so new data or prior scales of the same shapes reuse a compiled
program; bools, ints, strings and other objects are static (part of the cache key). Both
`bayesreg.map_estimate` and `bayesreg.sample_posterior` use this.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["MODEL_LOCK", "ProgramCache", "SplitArguments", "is_traced", "split_arguments"]

# NumPyro's effect-handler stack is one process-wide list, so two threads that run (or trace) a
# model at once see each other's handlers (duplicated sites, another call's shapes). Every public
# entry point that runs a model holds this lock while it traces, compiles and runs; it is
# re-entrant because entry points call each other (an estimator's fit calls map_estimate).
MODEL_LOCK = threading.RLock()


def is_traced(leaf: Any) -> bool:
    """Whether a model-argument leaf is passed to a compiled program as a traced value."""
    if isinstance(leaf, bool | np.bool_):
        return False
    return isinstance(leaf, np.ndarray | jax.Array | float | np.floating)


class SplitArguments(NamedTuple):
    """The leaves of ``(args, kwargs)``: traced ones, static ones, and how to put them back."""

    traced: list[Any]
    static: tuple[Any, ...]
    treedef: Any
    traced_at: tuple[bool, ...]

    @property
    def key(self) -> tuple:
        """The static part, to key a cache of compiled programs (may be unhashable)."""
        return (self.treedef, self.static, self.traced_at)

    def merge(self, traced: list[Any]) -> Any:
        """Rebuild ``(args, kwargs)`` from (possibly traced) values for the traced leaves."""
        traced_iter, static_iter = iter(traced), iter(self.static)
        leaves = [next(traced_iter) if t else next(static_iter) for t in self.traced_at]
        return jax.tree_util.tree_unflatten(self.treedef, leaves)


def split_arguments(tree: Any, float_dtype: Any = None) -> SplitArguments:
    """Split the leaves of ``tree``; with ``float_dtype``, floating leaves become that dtype."""
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    traced_at = tuple(is_traced(leaf) for leaf in leaves)
    traced, static = [], []
    for leaf, is_dynamic in zip(leaves, traced_at, strict=True):
        if not is_dynamic:
            static.append(leaf)
            continue
        if float_dtype is not None:
            leaf = _as_float(leaf, float_dtype)
        traced.append(leaf)
    return SplitArguments(traced, tuple(static), treedef, traced_at)


def _as_float(leaf: Any, float_dtype: Any) -> Any:
    """Floating leaves in ``float_dtype``; NumPy stays NumPy (no eager JAX operation per call)."""
    if isinstance(leaf, jax.Array):
        return leaf.astype(float_dtype) if jnp.issubdtype(leaf.dtype, jnp.floating) else leaf
    leaf = np.asarray(leaf)
    return leaf.astype(float_dtype, copy=False) if np.issubdtype(leaf.dtype, np.floating) else leaf


class ProgramCache:
    """A small LRU cache of compiled programs; unhashable keys are compiled but not kept."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._programs: OrderedDict[Hashable, Callable] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, build: Callable[[], Callable]) -> tuple[Callable, bool]:
        """Return the program for ``key`` (building it when missing) and whether it is new."""
        with self._lock:
            return self._get(key, build)

    def _get(self, key: Any, build: Callable[[], Callable]) -> tuple[Callable, bool]:
        try:
            program = self._programs.pop(key, None)
        except TypeError:  # an unhashable static argument
            return build(), True
        fresh = program is None
        if fresh:
            program = build()
        self._programs[key] = program
        while len(self._programs) > self._size:
            self._programs.popitem(last=False)
        return program, fresh
