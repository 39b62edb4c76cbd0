"""Argument checks and the weight <-> scale arithmetic shared by every penalty convention."""

from __future__ import annotations

import numbers

import numpy as np

from .._types import ArrayLike

FloatOrArray = float | np.ndarray


def first_bad(values: np.ndarray, bad: np.ndarray) -> float:
    """Return the first element of ``values`` flagged by ``bad`` (for error messages)."""
    return float(values[bad].ravel()[0])


def show(values: np.ndarray | None) -> str:
    """Format a validated input for an error message: ``None``, a float, or a list."""
    if values is None:
        return "None"
    return repr(float(values)) if values.ndim == 0 else repr(values.tolist())


def positive_finite(value: ArrayLike, name: str, meaning: str) -> np.ndarray:
    """Return ``value`` as a float array, or raise if any element is not in (0, inf)."""
    values = np.asarray(value, dtype=float)
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        raise ValueError(
            f"{name} must be a positive finite number ({meaning}); got {name}="
            f"{first_bad(values, bad)!r}. Pass a value in (0, inf)."
        )
    return values


def optional_scale(value: ArrayLike | None, name: str, meaning: str) -> np.ndarray | None:
    """Return a scale as a float array (``inf`` allowed: that term absent), or ``None``."""
    if value is None:
        return None
    values = np.asarray(value, dtype=float)
    bad = ~(values > 0)  # also catches NaN
    if bad.any():
        raise ValueError(
            f"{name} must be positive ({meaning}; inf means that term is absent); got {name}="
            f"{first_bad(values, bad)!r}. Pass a value in (0, inf]."
        )
    return values


def unit_interval(value: ArrayLike, name: str) -> np.ndarray:
    """Return ``value`` as a float array, or raise if any element is outside [0, 1]."""
    values = np.asarray(value, dtype=float)
    bad = ~((values >= 0) & (values <= 1))
    if bad.any():
        raise ValueError(
            f"{name} must lie in [0, 1] (0: pure L2, 1: pure L1); got {name}="
            f"{first_bad(values, bad)!r}."
        )
    return values


def positive_int(value: int, name: str) -> int:
    """Return ``value`` as an ``int``, or raise if it is not a positive integer."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(
            f"{name} must be a positive integer (the number of rows of X); got {name}={value!r}. "
            f"Pass e.g. {name}=X.shape[0]."
        )
    return int(value)


def precisions(
    l1_scale: np.ndarray | None, l2_scale: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Return the penalty weights ``(1/b, 1/tau**2)``; ``None`` or ``inf`` gives 0."""
    if l1_scale is None and l2_scale is None:
        raise ValueError(
            "l1_scale and l2_scale are both None; pass l1_scale (Laplace scale b), l2_scale "
            "(Normal sd tau), or both."
        )
    # A scale so large that its weight underflows to 0 is, to float precision, an absent term.
    with np.errstate(over="ignore", divide="ignore"):
        l1_weight = np.zeros(()) if l1_scale is None else 1.0 / l1_scale
        l2_weight = np.zeros(()) if l2_scale is None else (1.0 / l2_scale) ** 2
    total = l1_weight + l2_weight
    if np.any(total == 0):
        raise ValueError(
            f"l1_scale={show(l1_scale)} and l2_scale={show(l2_scale)} are both absent (None or "
            "inf) somewhere: that is a flat prior, which no penalty represents. Give at least one "
            "finite scale."
        )
    if not np.all(np.isfinite(total)):
        raise ValueError(
            f"l1_scale={show(l1_scale)} or l2_scale={show(l2_scale)} is so small that its weight "
            "overflows a float64. Use a larger scale."
        )
    return l1_weight, l2_weight


def scales_from_weights(
    l1_weight: np.ndarray, l2_weight: np.ndarray
) -> tuple[FloatOrArray, FloatOrArray]:
    """Return ``(b, tau)`` from the penalty weights ``(1/b, 1/tau**2)``; 0 gives ``inf``."""
    # A zero or subnormal weight means that term is absent: its scale is (effectively) inf.
    with np.errstate(divide="ignore", over="ignore"):
        return output(1.0 / l1_weight), output(np.sqrt(1.0 / l2_weight))


def output(values: np.ndarray) -> FloatOrArray:
    """Return a Python float for a 0-d result, the array otherwise."""
    values = np.asarray(values, dtype=float)
    return float(values) if values.ndim == 0 else values
