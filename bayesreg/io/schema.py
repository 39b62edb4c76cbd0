"""The header schema: every field of a file is checked before anything is built from it.

A check that fails raises `SchemaError` (the field, its value, what was expected); the loaders
turn it into a ``ValueError`` naming the file (`invalid`), and any other failure while reading
into one that says the file is damaged (`damaged`). The format name and version of a file are
checked by `check_format`, against `FORMAT_VERSION`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from typing import Any

import jax
import numpy as np

from . import registry

__all__ = [
    "FORMAT_VERSION",
    "NUMERIC_KINDS",
    "PathLike",
    "SchemaError",
    "Text",
    "check_count",
    "check_data_shapes",
    "check_exists",
    "check_float",
    "check_format",
    "check_keys",
    "check_numeric_array",
    "check_type",
    "damaged",
    "decode_or_fail",
    "describe",
    "header_field",
    "invalid",
]

FORMAT_VERSION = 1
"""The version of the file formats this bayesreg writes; it reads every version up to it."""

NUMERIC_KINDS = "biufc"

PathLike = str | os.PathLike


class SchemaError(Exception):
    """A header field that does not fit the schema: which field, its value, what was expected."""

    def __init__(self, field: str, value: Any, expected: str) -> None:
        super().__init__(f"{field} = {describe(value)} is not {expected}")


class Text(str):
    """A description of a value (``"160 bytes"``), shown as is rather than as a quoted repr."""


def describe(value: Any) -> str:
    """Show ``value`` in a message: arrays by shape and dtype, long reprs cut at 80 characters."""
    if isinstance(value, Text):
        return str(value)
    if isinstance(value, np.ndarray | jax.Array):
        return f"an array of shape {tuple(value.shape)} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_type(value: Any, kinds: type | tuple[type, ...], field: str, expected: str) -> Any:
    """Return ``value`` if an instance of ``kinds`` (a bool only where ``bool`` is named)."""
    bad_bool = isinstance(value, bool) and bool not in (
        kinds if isinstance(kinds, tuple) else (kinds,)
    )
    if not isinstance(value, kinds) or bad_bool:
        raise SchemaError(field, value, expected)
    return value


def check_count(value: Any, field: str, minimum: int = 0) -> int:
    """Return ``value`` if an integer (not a bool) >= ``minimum``."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise SchemaError(field, value, f"an integer >= {minimum}")
    return value


def check_float(
    value: Any, field: str, *, finite: bool = False, minimum: float = -math.inf
) -> float:
    """Return ``value`` if a float (finite if asked) >= ``minimum``; NaN passes the minimum."""
    if not isinstance(value, float) or (finite and not math.isfinite(value)):
        raise SchemaError(field, value, "a finite number" if finite else "a number")
    if value < minimum:
        raise SchemaError(field, value, f"a number >= {minimum:g}")
    return value


def check_numeric_array(value: Any, field: str) -> Any:
    """Return ``value`` if a NumPy or JAX array (or NumPy scalar) of a numeric dtype."""
    if not (isinstance(value, np.ndarray | np.generic | jax.Array)) or (
        np.dtype(value.dtype).kind not in NUMERIC_KINDS
    ):
        raise SchemaError(field, value, "a numeric array")
    return value


def check_keys(
    node: Mapping[str, Any], field: str, required: set, optional: frozenset = frozenset()
) -> None:
    """Check that ``node`` has every key of ``required`` and no key outside ``optional``."""
    keys = set(node)
    if not required <= keys or not keys <= required | optional:
        missing, extra = sorted(required - keys), sorted(keys - required - optional)
        raise SchemaError(
            field, sorted(keys), f"an object with the keys {sorted(required)} (missing "
            f"{missing}, unexpected {extra})"
        )  # fmt: skip


def check_data_shapes(
    model: Any, shapes: Mapping[str, tuple], sites: str, args: tuple, kwargs: dict, field: str
) -> None:
    """Shapes of bayesreg's GLMs: ``X`` (n, p), ``y`` (n,), ``coef`` (p,), ``feature_names`` p.

    ``shapes`` are the shapes of one value of each site, found in the header at ``sites``.
    """
    if not (isinstance(model, str) and model.startswith("bayesreg.models:")):
        return
    for site in ("intercept", "sigma"):
        if site in shapes and shapes[site] != ():
            raise SchemaError(f"{sites}[{site!r}]", Text(f"shape {shapes[site]}"), "a scalar")
    if "coef" in shapes and len(shapes["coef"]) != 1:
        raise SchemaError(f"{sites}['coef']", Text(f"shape {shapes['coef']}"), "a vector")
    if not args:
        return
    X = args[0]
    if not isinstance(X, np.ndarray | jax.Array):
        return  # sufficient statistics or a user's object: the model checks it
    if X.ndim != 2 or np.dtype(X.dtype).kind not in NUMERIC_KINDS:
        raise SchemaError(f"{field}.args[0]", X, "a numeric matrix X (n rows, p columns)")
    n, p = X.shape
    if "coef" in shapes and shapes["coef"] != (p,):
        raise SchemaError(
            f"{sites}['coef']",
            Text(f"shape {shapes['coef']}"),
            f"of length {p} (the columns of X)",
        )
    if len(args) > 1 and args[1] is not None:
        y = check_numeric_array(args[1], f"{field}.args[1]")
        if tuple(y.shape) != (n,):
            raise SchemaError(f"{field}.args[1]", y, f"a vector y of length {n} (rows of X)")
    names = kwargs.get("feature_names")
    if names is not None and (not isinstance(names, list | tuple) or len(names) != p):
        raise SchemaError(
            f"{field}.kwargs['feature_names']", names, f"a list of {p} names (columns of X)"
        )


def header_field(header: Mapping[str, Any], name: str, kinds: Any, expected: str) -> Any:
    """Return the header's field ``name``, checked by `check_type` (missing: an error too)."""
    if name not in header:
        raise SchemaError(name, Text("missing"), expected)
    return check_type(header[name], kinds, name, expected)


def check_format(path: str, found: Any, version: Any, expected: str) -> None:
    """Check a file's format name (naming the right loader) and its version."""
    if found != expected:
        kind = registry.result_type_named(found)
        hint = f"; it holds a {found}: use bayesreg.io.{kind.loader_name}" if kind else ""
        raise ValueError(f"{path} is not a {expected} file{hint}.")
    if not isinstance(version, int | np.integer) or isinstance(version, bool):
        raise ValueError(f"{path} has an invalid format_version {version!r}; the file is damaged.")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{path} was written by format version {int(version)}, this bayesreg reads up to "
            f"{FORMAT_VERSION}; upgrade bayesreg."
        )


def check_exists(path: PathLike) -> str:
    """Return ``path`` as a string; ``FileNotFoundError`` if it is not a file."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such file: {path}")
    return path


def damaged(path: str, what: str, err: BaseException) -> ValueError:
    """Return the error for a file that cannot be read (the cause chained by the caller)."""
    return ValueError(
        f"{path} is not a readable bayesreg {what} file (corrupted, truncated, or another kind "
        f"of file): {type(err).__name__}: {err}"
    )


def invalid(path: str, what: str, err: SchemaError) -> ValueError:
    """Return the error for a file whose header fails a check."""
    return ValueError(
        f"{path} is not a valid bayesreg {what} file: {err}; the file is damaged or not a "
        "bayesreg file."
    )


def decode_or_fail(path: str, what: str, decode: Callable[[], Any]) -> Any:
    """Run ``decode()``, turning a failed check or a damaged value into the file's error."""
    try:
        return decode()
    except SchemaError as err:
        raise invalid(path, what, err) from err
    except (
        KeyError, TypeError, ValueError, IndexError, AttributeError, ImportError, RecursionError
    ) as err:  # fmt: skip
        raise damaged(path, what, err) from err
