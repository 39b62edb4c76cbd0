"""One validation layer for the arguments of model functions (used by every public entry point).

Arrays (NumPy, JAX, pandas, nested lists of numbers) are checked for a numeric dtype and for
NaN/inf (a JAX array on its own device: it is never copied to the host to be checked), and
converted to NumPy (pandas) or kept (JAX); booleans become floats; everything else
(distributions, strings, ints, callables, ``None``) passes through unchanged. Errors name the
argument and say how to fix it.
"""

from __future__ import annotations

import inspect
import math
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["argument_names", "check_argument", "check_unique_names", "prepare_model_arguments"]


def argument_names(model: Callable, num_args: int) -> list[str]:
    """Return the names of the first ``num_args`` positional parameters of ``model``."""
    try:
        params = list(inspect.signature(model).parameters.values())
    except (TypeError, ValueError):
        params = []
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return [positional[i] if i < len(positional) else f"args[{i}]" for i in range(num_args)]


def _accepts(model: Callable, name: str) -> bool:
    try:
        return name in inspect.signature(model).parameters
    except (TypeError, ValueError):
        return False


def _is_numeric_dtype(dtype: Any) -> bool:
    try:
        return np.dtype(dtype).kind in "biuf"
    except TypeError:  # pandas extension dtypes (category, string, nullable ints)
        return False


def _check_frame(value: Any, name: str) -> np.ndarray:
    bad = [
        str(c) for c, t in zip(value.columns, value.dtypes, strict=True) if not _is_numeric_dtype(t)
    ]
    if bad:
        raise TypeError(
            f"argument '{name}' has non-numeric column(s) {bad}; encode them as numbers "
            "(e.g. pandas.get_dummies, or a formula with C(column)) or drop them."
        )
    return value.to_numpy()


def _is_number_list(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(
        isinstance(v, int | float | np.number) or _is_number_list(v) for v in value
    )


def check_argument(value: Any, name: str) -> Any:
    """Validate one argument of a model function; return it ready for JAX (see module doc)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"argument '{name}' is {value}; give a finite number.")
        return value
    if hasattr(value, "columns") and hasattr(value, "dtypes"):  # pandas DataFrame
        value = _check_frame(value, name)
    elif hasattr(value, "to_numpy") and hasattr(value, "dtype"):  # pandas Series / Index
        value = value.to_numpy()
    elif _is_number_list(value) and value:
        value = np.asarray(value)
    if not isinstance(value, np.ndarray | jax.Array | np.generic):
        return value
    kind = np.dtype(value.dtype).kind
    if kind == "c":
        raise TypeError(f"argument '{name}' is complex; bayesreg works with real numbers only.")
    if not _is_numeric_dtype(value.dtype):
        raise TypeError(
            f"argument '{name}' must be numeric; got dtype {value.dtype}. Convert it with "
            "np.asarray(..., dtype=float) after encoding any categories."
        )
    if kind == "b":
        return value.astype(float)
    if kind == "f":
        # a JAX array is checked where it lives; only a failed check copies its mask to the host
        finite = jnp.isfinite(value) if isinstance(value, jax.Array) else np.isfinite(value)
        if not bool(finite.all()):
            where = np.argwhere(~np.asarray(finite))
            rows = sorted({int(i[0]) for i in where})[:10] if np.ndim(value) else []
            raise ValueError(
                f"argument '{name}' contains NaN or inf ({len(where)} value(s)"
                + (f", first rows {rows}" if rows else "")
                + "); drop or impute those rows first."
            )
    return value


def prepare_model_arguments(
    model: Callable, args: tuple, kwargs: dict[str, Any]
) -> tuple[tuple, dict[str, Any], list[str] | None]:
    """Check every argument of ``model``; return ``(args, kwargs, feature_names)``.

    ``feature_names`` is the ``feature_names`` keyword when given, else the columns of the first
    pandas DataFrame argument (then also passed to ``model`` if it takes ``feature_names``).
    """
    feature_names = kwargs.get("feature_names")
    if feature_names is None:
        for value in (*args, *kwargs.values()):
            if hasattr(value, "columns") and hasattr(value, "dtypes"):
                feature_names = [str(c) for c in value.columns]
                break
        if feature_names is not None and _accepts(model, "feature_names"):
            kwargs = {**kwargs, "feature_names": feature_names}
    names = argument_names(model, len(args))
    args = tuple(check_argument(a, n) for a, n in zip(args, names, strict=True))
    kwargs = {k: check_argument(v, k) for k, v in kwargs.items()}
    if feature_names is not None:
        feature_names = [str(f) for f in feature_names]
        check_unique_names(feature_names, "feature_names")
    return args, kwargs, feature_names


def check_unique_names(columns: Iterable[object], where: str) -> None:
    """Refuse repeated column names (as text, the form feature names take).

    Two columns of one name would silently become one feature label (a table keyed by name
    loses one), or one could shadow the other in a formula, so they are refused, as
    scikit-learn refuses them.

    Raises
    ------
    ValueError
        Naming each repeated name, how often it occurs, and the fix.
    """
    counts = Counter(str(column) for column in columns)
    repeated = {name: count for name, count in counts.items() if count > 1}
    if repeated:
        listed = ", ".join(f"{name!r} ({count} times)" for name, count in repeated.items())
        raise ValueError(
            f"{where} has duplicate column names: {listed}; column names must be unique. "
            "Rename or drop the repeats (e.g. df.loc[:, ~df.columns.duplicated()] keeps the "
            "first of each)."
        )
