r"""Save and load MAP results, posterior results and fitted estimators: no pickle, no code.

Three pairs of functions, one per kind of object:

- :func:`save_map` / :func:`load_map` — a :class:`~bayesreg.map.MapResult`;
- :func:`save_posterior` / :func:`load_posterior` — a :class:`~bayesreg.sample.PosteriorResult`;
- :func:`save_estimator` / :func:`load_estimator` — an estimator of :mod:`bayesreg.sklearn`.

Every round trip is lossless: arrays come back with the same values bit for bit, the same dtype
and the same kind (NumPy or JAX), floats exactly (stored as their shortest ``repr``, NaN and
inf included), tuples as tuples. Nothing is unpickled: arrays are read with
``allow_pickle=False``, everything else is JSON.

Loading runs no code from the file
----------------------------------
A result file is data, possibly from someone else: loading it never imports a module it names
and never calls a function it names. The model function cannot be serialized; its name
``module:qualname`` is stored, and on load it is looked up (without importing anything) among

- bayesreg's own models (public functions of ``bayesreg.models``, e.g. ``linear``), and
- functions registered with :func:`register_model` in this process.

Any other name (a user's model, ``builtins:exec``, ``os:system``, a module that is not even
installed) gives ``model=None`` and a ``UserWarning`` saying how to supply the function: pass
``model=<the function>`` to the loader, or call ``register_model(<the function>)`` once before
loading. Refitting a result whose ``model`` is ``None``
(``map_estimate(fit.model, *fit.args, **fit.kwargs)``) raises ``TypeError`` instead of running
anything. An estimator's model is its class's own
(``BayesianLinearRegression`` → ``bayesreg.models.linear``); a file that names another raises
``ValueError``.

Distributions (the priors in ``kwargs``, an estimator's ``prior_``) are rebuilt only from
classes of ``numpyro.distributions``, of ``bayesreg`` (e.g. ``bayesreg.models.ElasticNetPrior``)
and those registered with :func:`register_distribution`, and their fields may only be
``None``, numbers, tuples / lists of these, numeric arrays and such distributions. Estimators
are rebuilt only as the three classes of :mod:`bayesreg.sklearn`.

Every header is checked before anything is built (see *Errors*): types (a bool is a JSON
boolean, counts are integers >= 0, floats are numbers, strings are strings), ranges
(``converged=True`` needs a finite ``objective`` and ``optimality``), numeric dtypes, and shapes
consistent with each other and with the stored data (``coef`` has one entry per column of ``X``,
``y`` one per row, ``feature_names`` one per column, an estimator's ``coef_`` has
``n_features_in_`` entries; draws have ``num_chains`` x ``num_samples`` rows).

File formats (``FORMAT_VERSION = 1``)
-------------------------------------
**MAP results and estimators** are written to a zip archive that ``numpy.load`` also opens
(an ``.npz`` file), with every member *stored* (not compressed: the arrays are floats, which
deflate barely shrinks, and a loader that never inflates cannot be zip-bombed):

- ``header.json`` — UTF-8 JSON with ``"format"`` (``"bayesreg.MapResult"`` or
  ``"bayesreg.estimator"``), ``"format_version"`` (an integer), ``"bayesreg_version"`` and the
  content below;
- ``arrays/<key>.npy`` — one ``.npy`` file (NumPy's own format) per array, referenced from the
  header by ``key``;
- ``posterior_.nc`` — estimators only, when :meth:`sample_posterior` was called: the posterior
  in the netCDF format below.

In the header, ``null``/booleans/integers/strings stand for themselves and every other value is
an object tagged by ``"__type__"``: ``"float"`` (``"value"``: its ``repr``), ``"tuple"``,
``"list"``, ``"dict"`` (``"items"``), ``"ndarray"`` / ``"jax"`` / ``"numpy_scalar"`` (``"key"``
of the array; ``"object": true`` for an object array of strings, stored as a unicode array),
``"distribution"`` (a NumPyro distribution: ``"class"`` as ``"module:qualname"``, and its pytree
``"data"`` and ``"aux"`` fields, as ``tree_flatten`` gives them), ``"MapResult"``.

A MAP result's header holds ``params``, ``objective``, ``num_iter``, ``converged``,
``optimality``, ``tolerance``, ``model`` and, unless ``include_data=False``, ``args`` and
``kwargs`` (the data and the prior, so the loaded result can be refitted, sampled or used for
predictions; ``"data_stored": false`` otherwise, and the loaded ``args``/``kwargs`` are empty).
An estimator's header holds ``"class"`` (``"module:qualname"``), ``"params"``
(``get_params(deep=False)``) and ``"fitted"`` (every public attribute ending in ``_``).

The loader reads only stored members, each at most as large as its ``.npy`` header says
(``file_size`` must equal the header's length plus ``prod(shape) * itemsize``, checked before
any data is read, and the read is bounded by it); ``header.json`` is at most 64 MiB. A
compressed member (``numpy.savez_compressed``, a re-zipped file) is refused.

**Posterior results** are ArviZ netCDF (HDF5) files (any ArviZ reader opens them, e.g.
``arviz.from_netcdf``) with two root attributes, ``bayesreg_format = "bayesreg.PosteriorResult"``
and ``bayesreg_format_version``, a root attribute ``bayesreg_header`` (JSON as above:
``method``, ``chain_method``, ``num_chains``, ``num_samples``, ``num_divergent``, the
``diagnostics`` table, ``model``, ``args``, ``kwargs``) and a group ``bayesreg_arrays`` holding
the arrays the header refers to (the model's data, e.g. ``X``). ``samples`` are rebuilt from the
``posterior`` group. Variables are written uncompressed (for the same reason). Before reading
any data the loader adds up the sizes that the variables declare (HDF5 can declare data that a
file does not hold: compressed chunks, unwritten chunks read as fill values) and refuses a file
that declares more than 20 times its own size or 256 MiB, whichever is larger; files written by
earlier bayesreg versions (compressed by ArviZ's zlib, about 1.1x for float draws) pass.

Writes are atomic
-----------------
Every save writes through :func:`bayesreg._files.atomic_write`: into an unnamed temporary file
in the target folder (Linux ``O_TMPFILE``; a hidden ``.<name>.<random>.tmp`` file elsewhere),
``fsync``-ed, then renamed over the target, and the folder ``fsync``-ed. An existing file is
replaced only by a complete new one; a failed save (an exception, or on Linux a ``SIGKILL``)
leaves the old file and no temporary behind. Files get the mode ``0o666 & ~umask``.

Errors
------
A file written by a newer format version raises ``ValueError`` ("written by format version N,
this bayesreg reads up to M; upgrade bayesreg"); a corrupted, truncated or foreign file raises
``ValueError`` naming the file, with the underlying error chained as its cause; a header that
fails the checks raises ``ValueError`` naming the file, the field (e.g. ``result.converged``)
and its value, and saying that the file is damaged or not a bayesreg file; a missing file
raises ``FileNotFoundError``.

Reproducibility
---------------
With the same inputs, the same ``seed`` and the same versions of bayesreg, JAX, NumPyro and
NumPy on the same platform, :func:`~bayesreg.map_estimate` returns bit-identical estimates
(it is deterministic: no random numbers are involved) and :func:`~bayesreg.sample_posterior`
returns bit-identical draws, in one process and across processes; the test suite checks both
(``tests/test_reproducibility.py``). The seed is the only source of randomness: NUTS draws
from ``jax.random.key(seed)``, split into one key per chain, and the exact sampler from
``numpy.random.default_rng(seed)``. Results may differ in the last bits across platforms,
accelerators or XLA versions, and between batched and unbatched chains
(``chain_method="vectorized"`` vs ``"parallel"`` / ``"sequential"``, which agree with each
other), because floating-point reductions may be ordered differently; save a result with this
module to keep it exactly.
"""

from __future__ import annotations

import inspect
import io
import json
import math
import os
import sys
import threading
import warnings
import zipfile
from collections.abc import Callable, Mapping
from typing import IO, Any

import arviz as az
import h5py
import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
import pandas as pd
import xarray as xr

from ._files import atomic_write
from .map import MapResult
from .sample import PosteriorResult

__all__ = [
    "FORMAT_VERSION",
    "load_estimator",
    "load_map",
    "load_posterior",
    "register_distribution",
    "register_model",
    "save_estimator",
    "save_map",
    "save_posterior",
]

FORMAT_VERSION = 1

_MAP_FORMAT = "bayesreg.MapResult"
_ESTIMATOR_FORMAT = "bayesreg.estimator"
_POSTERIOR_FORMAT = "bayesreg.PosteriorResult"
_LOADERS = {
    _MAP_FORMAT: "load_map",
    _ESTIMATOR_FORMAT: "load_estimator",
    _POSTERIOR_FORMAT: "load_posterior",
}
_HEADER = "header.json"
_POSTERIOR_MEMBER = "posterior_.nc"
_ARRAY_GROUP = "bayesreg_arrays"
# a header holds names, flags and floats (arrays are members of their own): 64 MiB is far more
# than any real one and small enough to read into memory without a second thought
_MAX_HEADER_BYTES = 64 * 2**20
# a .npy header is at most a few hundred bytes; NumPy itself refuses more than 10 000
_MAX_NPY_HEADER_BYTES = 65536
# compressed netCDF variables (earlier bayesreg versions wrote ArviZ's zlib) may inflate to
# this many times the file, or _INFLATION_ALLOWANCE: float draws shrink by about 1.1x, constant
# ones by up to ~1000x, so 20x passes any real posterior and stops a small file posing as GBs
_MAX_INFLATION = 20
_INFLATION_ALLOWANCE = 256 * 2**20
_NUMERIC_KINDS = "biufc"

PathLike = str | os.PathLike


def _version() -> str:
    from . import __version__

    return __version__


# ---------------------------------------------------------------------------------------------
# trusted names: what a file may name, looked up without importing anything


def _reference(obj: Any) -> str | None:
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str):
        return None
    return f"{module}:{qualname}"


_REGISTRY_LOCK = threading.Lock()
_REGISTERED_MODELS: dict[str, Callable] = {}
_REGISTERED_DISTRIBUTIONS: dict[str, type] = {}


def register_model(model: Callable) -> Callable:
    """Trust a model function: a result file that names it loads with it as ``model``.

    Loading never imports what a file names, so a file saved from your own model loads with
    ``model=None`` (and a warning) unless the function is passed as ``model=`` to the loader or
    registered here first. bayesreg's own models (``bayesreg.models.linear``, ...) need no
    registration. Registering is per process; registering again replaces the function known
    under the same ``module:qualname``.

    Parameters
    ----------
    model : callable
        The model function (a plain function; it may live in ``__main__``).

    Returns
    -------
    callable
        ``model`` itself, so that ``@register_model`` works as a decorator.

    Raises
    ------
    TypeError
        If ``model`` is not a function (a class, an instance, a lambda-less builtin without a
        qualified name).

    Examples
    --------
    >>> import numpyro, numpyro.distributions as dist
    >>> from bayesreg.io import register_model
    >>> @register_model
    ... def my_model(X, y=None):
    ...     coef = numpyro.sample("coef", dist.Laplace(0.0, 1.0).expand([X.shape[1]]).to_event(1))
    ...     numpyro.sample("y", dist.Normal(X @ coef, 1.0), obs=y)
    """
    reference = _reference(model)
    if not (inspect.isfunction(model) and reference is not None):
        raise TypeError(
            f"register_model needs a model function (def ...); got {type(model).__name__}."
        )
    with _REGISTRY_LOCK:
        _REGISTERED_MODELS[reference] = model
    return model


def register_distribution(cls: type) -> type:
    """Trust a distribution class of your own, so that priors of that class load from files.

    Classes of ``numpyro.distributions`` and of ``bayesreg`` need no registration.

    Parameters
    ----------
    cls : type
        A subclass of ``numpyro.distributions.Distribution``.

    Returns
    -------
    type
        ``cls`` itself (usable as a class decorator).

    Raises
    ------
    TypeError
        If ``cls`` is not a NumPyro distribution class.
    """
    if not (inspect.isclass(cls) and issubclass(cls, dist.Distribution)):
        raise TypeError(
            "register_distribution needs a subclass of numpyro.distributions.Distribution; got "
            f"{cls!r}."
        )
    with _REGISTRY_LOCK:
        _REGISTERED_DISTRIBUTIONS[str(_reference(cls))] = cls
    return cls


def _loaded_attribute(reference: Any, packages: tuple[str, ...]) -> Any:
    """Look up ``module:qualname`` if its module is already imported and under ``packages``.

    Nothing is imported: a module that is not in ``sys.modules`` gives ``None``. Private names
    (a leading underscore) give ``None``.
    """
    if not isinstance(reference, str):
        return None
    module_name, _, qualname = reference.partition(":")
    if not any(module_name == p or module_name.startswith(p + ".") for p in packages):
        return None
    obj = sys.modules.get(module_name)
    for part in qualname.split("."):
        if obj is None or not part.isidentifier() or part.startswith("_"):
            return None
        obj = inspect.getattr_static(obj, part, None)
    return obj


def _trusted_model(reference: str) -> Callable | None:
    """Return the model function a file names if trusted (bayesreg's, registered), else None."""
    with _REGISTRY_LOCK:
        registered = _REGISTERED_MODELS.get(reference)
    if registered is not None:
        return registered
    obj = _loaded_attribute(reference, ("bayesreg.models",))
    if inspect.isfunction(obj) and obj.__module__.startswith("bayesreg.models"):
        return obj
    return None


def _trusted_distribution(reference: Any) -> type | None:
    with _REGISTRY_LOCK:
        registered = _REGISTERED_DISTRIBUTIONS.get(reference)
    if registered is not None:
        return registered
    cls = _loaded_attribute(reference, ("numpyro.distributions", "bayesreg"))
    if inspect.isclass(cls) and issubclass(cls, dist.Distribution):
        return cls
    return None


def _untrusted_model_message(reference: str) -> str:
    return (
        f"the model function {reference} named in the file was not re-imported: loading runs no "
        "code a file names, and it is neither one of bayesreg's models nor registered; the "
        "loaded result has model=None. Pass model=<the function> to the loader, or call "
        "bayesreg.io.register_model(<the function>) before loading."
    )


# ---------------------------------------------------------------------------------------------
# header checks


class _SchemaError(Exception):
    """A header field that does not fit the schema: which field, its value, what was expected."""

    def __init__(self, field: str, value: Any, expected: str) -> None:
        super().__init__(f"{field} = {_describe(value)} is not {expected}")


class _Text(str):
    """A description of a value (``"160 bytes"``), shown as is rather than as a quoted repr."""


def _describe(value: Any) -> str:
    if isinstance(value, _Text):
        return str(value)
    if isinstance(value, np.ndarray | jax.Array):
        return f"an array of shape {tuple(value.shape)} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _check_type(value: Any, kinds: type | tuple[type, ...], field: str, expected: str) -> Any:
    bad_bool = isinstance(value, bool) and bool not in (
        kinds if isinstance(kinds, tuple) else (kinds,)
    )
    if not isinstance(value, kinds) or bad_bool:
        raise _SchemaError(field, value, expected)
    return value


def _check_count(value: Any, field: str, minimum: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise _SchemaError(field, value, f"an integer >= {minimum}")
    return value


def _check_float(value: Any, field: str, *, finite: bool = False, minimum: float = -math.inf):
    if not isinstance(value, float) or (finite and not math.isfinite(value)):
        raise _SchemaError(field, value, "a finite number" if finite else "a number")
    if value < minimum:
        raise _SchemaError(field, value, f"a number >= {minimum:g}")
    return value


def _check_numeric_array(value: Any, field: str) -> Any:
    if not (isinstance(value, np.ndarray | np.generic | jax.Array)) or (
        np.dtype(value.dtype).kind not in _NUMERIC_KINDS
    ):
        raise _SchemaError(field, value, "a numeric array")
    return value


def _check_keys(
    node: Mapping[str, Any], field: str, required: set, optional: frozenset = frozenset()
) -> None:
    keys = set(node)
    if not required <= keys or not keys <= required | optional:
        missing, extra = sorted(required - keys), sorted(keys - required - optional)
        raise _SchemaError(
            field, sorted(keys), f"an object with the keys {sorted(required)} (missing "
            f"{missing}, unexpected {extra})"
        )  # fmt: skip


def _check_data_shapes(
    model: Any, shapes: Mapping[str, tuple], sites: str, args: tuple, kwargs: dict, field: str
) -> None:
    """Shapes of bayesreg's GLMs: ``X`` (n, p), ``y`` (n,), ``coef`` (p,), ``feature_names`` p.

    ``shapes`` are the shapes of one value of each site, found in the header at ``sites``.
    """
    if not (isinstance(model, str) and model.startswith("bayesreg.models:")):
        return
    for site in ("intercept", "sigma"):
        if site in shapes and shapes[site] != ():
            raise _SchemaError(f"{sites}[{site!r}]", _Text(f"shape {shapes[site]}"), "a scalar")
    if "coef" in shapes and len(shapes["coef"]) != 1:
        raise _SchemaError(f"{sites}['coef']", _Text(f"shape {shapes['coef']}"), "a vector")
    if not args:
        return
    X = args[0]
    if not isinstance(X, np.ndarray | jax.Array):
        return  # sufficient statistics or a user's object: the model checks it
    if X.ndim != 2 or np.dtype(X.dtype).kind not in _NUMERIC_KINDS:
        raise _SchemaError(f"{field}.args[0]", X, "a numeric matrix X (n rows, p columns)")
    n, p = X.shape
    if "coef" in shapes and shapes["coef"] != (p,):
        raise _SchemaError(
            f"{sites}['coef']",
            _Text(f"shape {shapes['coef']}"),
            f"of length {p} (the columns of X)",
        )
    if len(args) > 1 and args[1] is not None:
        y = _check_numeric_array(args[1], f"{field}.args[1]")
        if tuple(y.shape) != (n,):
            raise _SchemaError(f"{field}.args[1]", y, f"a vector y of length {n} (rows of X)")
    names = kwargs.get("feature_names")
    if names is not None and (not isinstance(names, list | tuple) or len(names) != p):
        raise _SchemaError(
            f"{field}.kwargs['feature_names']", names, f"a list of {p} names (columns of X)"
        )


# ---------------------------------------------------------------------------------------------
# the value codec: JSON-able trees plus a dict of arrays


class _Encoder:
    """Turn a value into JSON-able data, collecting its arrays in ``self.arrays``."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def _array(self, array: np.ndarray, tag: str, where: str) -> dict[str, Any]:
        node: dict[str, Any] = {"__type__": tag, "key": f"arr{len(self.arrays)}"}
        if array.dtype == object:
            if not all(isinstance(item, str) for item in array.ravel()):
                raise TypeError(
                    f"cannot save {where}: an object array that does not hold only strings. "
                    "Convert it to a numeric or string dtype first."
                )
            array = array.astype(str)
            node["object"] = True
        elif array.dtype.kind not in "biufcUS":
            raise TypeError(
                f"cannot save {where}: arrays of dtype {array.dtype} are not supported."
            )
        self.arrays[node["key"]] = array
        return node

    def encode(self, value: Any, where: str) -> Any:
        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, int) and not isinstance(value, np.integer):
            return value
        if isinstance(value, float):
            return {"__type__": "float", "value": repr(value)}
        if isinstance(value, tuple | list):
            items = [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
            return {"__type__": type(value).__name__, "items": items}
        if isinstance(value, Mapping):
            if not all(isinstance(k, str) for k in value):
                raise TypeError(f"cannot save {where}: a dict with non-string keys.")
            items = {k: self.encode(v, f"{where}[{k!r}]") for k, v in value.items()}
            return {"__type__": "dict", "items": items}
        if isinstance(value, jax.Array):
            return self._array(np.asarray(value), "jax", where)
        if isinstance(value, np.ndarray):
            return self._array(value, "ndarray", where)
        if isinstance(value, np.generic):
            return self._array(np.asarray(value), "numpy_scalar", where)
        if isinstance(value, dist.Distribution):
            return self._distribution(value, where)
        if isinstance(value, MapResult):
            return self._map_result(value, where, include_data=True)
        raise TypeError(
            f"cannot save {where}: values of type {type(value).__qualname__} are not supported "
            "(supported: None, bool, int, float, str, tuple, list, dict, NumPy and JAX arrays, "
            "NumPyro distributions, MapResult)."
        )

    def _distribution(self, value: dist.Distribution, where: str) -> dict[str, Any]:
        cls = type(value)
        reference = _reference(cls)
        fields = vars(value)
        return {
            "__type__": "distribution",
            "class": reference,
            "data": {
                name: self.encode(fields.get(name), f"{where}.{name}")
                for name in sorted(cls.gather_pytree_data_fields())
            },
            "aux": {
                name: self.encode(fields.get(name), f"{where}.{name}")
                for name in sorted(cls.gather_pytree_aux_fields())
            },
        }

    def _map_result(self, fit: MapResult, where: str, *, include_data: bool) -> dict[str, Any]:
        node: dict[str, Any] = {
            "__type__": "MapResult",
            "params": self.encode(dict(fit.params), f"{where}.params"),
            "objective": self.encode(float(fit.objective), f"{where}.objective"),
            "num_iter": int(fit.num_iter),
            "converged": bool(fit.converged),
            "optimality": self.encode(float(fit.optimality), f"{where}.optimality"),
            "tolerance": self.encode(float(fit.tolerance), f"{where}.tolerance"),
            "model": None if fit.model is None else _reference(fit.model),
            "data_stored": include_data,
        }
        if include_data:
            node["args"] = self.encode(tuple(fit.args), f"{where}.args")
            node["kwargs"] = self.encode(dict(fit.kwargs), f"{where}.kwargs")
        return node


_MAP_KEYS = {
    "__type__", "params", "objective", "num_iter", "converged", "optimality", "tolerance",
    "model", "data_stored",
}  # fmt: skip


class _Decoder:
    """Inverse of :class:`_Encoder`, given the arrays it collected; checks every node it reads.

    The model of a stored ``MapResult`` (or posterior) is ``model`` when given; else, with
    ``required`` (an estimator's own model and its class name), that model, the file having to
    name it; else the trusted function the file names, or ``None``, the untrusted names being
    collected in ``untrusted`` (the loader warns once).
    """

    def __init__(
        self,
        arrays: Mapping[str, np.ndarray],
        model: Callable | None = None,
        required: tuple[Callable, str] | None = None,
    ) -> None:
        self.arrays = arrays
        self.model = model
        self.required = required
        self.untrusted: list[str] = []

    def model_for(self, reference: Any, field: str) -> Callable | None:
        """Return the model of a stored result whose file names ``reference``."""
        if self.required is not None:
            own_model, owner = self.required
            if reference != _reference(own_model):
                expected = f"{_reference(own_model)!r}, the model of {owner}"
                raise _SchemaError(field, reference, expected)
            return own_model
        if self.model is not None:
            return self.model
        if reference is None:
            return None
        model = _trusted_model(_check_type(reference, str, field, "a name module:qualname"))
        if model is None:
            self.untrusted.append(reference)
        return model

    def _array(self, node: Mapping[str, Any], tag: str, field: str, plain: bool) -> Any:
        _check_keys(node, field, {"__type__", "key"}, frozenset({"object"}))
        key = node["key"]
        if not isinstance(key, str) or key not in self.arrays:
            raise _SchemaError(f"{field}.key", key, "the name of an array in the file")
        array = self.arrays[key]
        as_object = node.get("object", False)
        _check_type(as_object, bool, f"{field}.object", "a boolean")
        kinds = _NUMERIC_KINDS if plain or tag == "jax" else "biufcUS"
        if array.dtype.kind not in kinds or (as_object and array.dtype.kind != "U"):
            raise _SchemaError(field, array, "a numeric array" if plain else "a stored array")
        if tag == "jax":
            return jnp.asarray(array)
        if tag == "numpy_scalar":
            if array.ndim != 0:
                raise _SchemaError(field, array, "a NumPy scalar (shape ())")
            return array[()]
        return array.astype(object) if as_object else array

    def decode(self, node: Any, field: str, *, plain: bool = False) -> Any:
        """Decode ``node``; ``plain``: only numbers, arrays, sequences and distributions."""
        if node is None or isinstance(node, bool | int):
            return node
        if isinstance(node, str) and not plain:
            return node
        if not isinstance(node, dict):
            raise _SchemaError(field, node, "a number, an array or None" if plain else "a value")
        tag = node.get("__type__")
        if tag == "float":
            _check_keys(node, field, {"__type__", "value"})
            text = node["value"]
            try:
                return float(_check_type(text, str, f"{field}.value", "a number's repr"))
            except ValueError:
                raise _SchemaError(f"{field}.value", text, "a number's repr") from None
        if tag in ("tuple", "list"):
            _check_keys(node, field, {"__type__", "items"})
            items = _check_type(node["items"], list, f"{field}.items", "a list")
            values = [self.decode(v, f"{field}[{i}]", plain=plain) for i, v in enumerate(items)]
            return tuple(values) if tag == "tuple" else values
        if tag in ("ndarray", "jax", "numpy_scalar"):
            return self._array(node, tag, field, plain)
        if tag == "distribution":
            return self._distribution(node, field)
        if tag == "dict" and not plain:
            _check_keys(node, field, {"__type__", "items"})
            items = _check_type(node["items"], dict, f"{field}.items", "an object")
            return {k: self.decode(v, f"{field}[{k!r}]") for k, v in items.items()}
        if tag == "MapResult" and not plain:
            return self.map_result(node, field)
        raise _SchemaError(
            f"{field}.__type__", tag, "a number, an array or a distribution" if plain else
            "one of float, tuple, list, dict, ndarray, jax, numpy_scalar, distribution, MapResult"
        )  # fmt: skip

    def _distribution(self, node: Mapping[str, Any], field: str) -> dist.Distribution:
        _check_keys(node, field, {"__type__", "class", "data", "aux"})
        cls = _trusted_distribution(node["class"])
        if cls is None:
            raise _SchemaError(
                f"{field}.class", node["class"], "a class of numpyro.distributions or bayesreg "
                "(or one registered with bayesreg.io.register_distribution)"
            )  # fmt: skip
        fields = {}
        for part, names in (
            ("data", cls.gather_pytree_data_fields()),
            ("aux", cls.gather_pytree_aux_fields()),
        ):
            stored = _check_type(node[part], dict, f"{field}.{part}", "an object")
            if set(stored) != set(names):
                expected = f"the fields {sorted(names)} of {cls.__name__}"
                raise _SchemaError(f"{field}.{part}", sorted(stored), expected)
            for name in names:
                fields[name] = self.decode(stored[name], f"{field}.{name}", plain=True)
        return cls.tree_unflatten(
            tuple(fields[name] for name in cls.gather_pytree_aux_fields()),
            tuple(fields[name] for name in cls.gather_pytree_data_fields()),
        )

    def map_result(self, node: Mapping[str, Any], field: str) -> MapResult:
        _check_type(node, dict, field, "an object")
        stored = _check_type(node.get("data_stored"), bool, f"{field}.data_stored", "a boolean")
        data_keys = {"args", "kwargs"} if stored else set()
        _check_keys(node, field, _MAP_KEYS | data_keys)
        params = _check_type(node["params"], dict, f"{field}.params", "a dict")
        params = self.decode(params, f"{field}.params")
        _check_type(params, dict, f"{field}.params", "a dict")
        for name, value in params.items():
            _check_numeric_array(value, f"{field}.params[{name!r}]")
        converged = _check_type(node["converged"], bool, f"{field}.converged", "a boolean")
        objective = _check_float(
            self.decode(node["objective"], f"{field}.objective"), f"{field}.objective",
            finite=converged,
        )  # fmt: skip
        optimality = self.decode(node["optimality"], f"{field}.optimality")
        _check_float(optimality, f"{field}.optimality", finite=converged)
        if optimality < 0:  # NaN passes: a result that could not be measured (not converged)
            raise _SchemaError(f"{field}.optimality", optimality, "a number >= 0")
        tolerance = _check_float(
            self.decode(node["tolerance"], f"{field}.tolerance"), f"{field}.tolerance"
        )
        if tolerance <= 0:  # NaN (the default: not recorded) passes
            raise _SchemaError(f"{field}.tolerance", tolerance, "a number > 0")
        reference = node["model"]
        if reference is not None:
            _check_type(reference, str, f"{field}.model", "a name module:qualname or null")
        args = self.decode(node["args"], f"{field}.args") if stored else ()
        kwargs = self.decode(node["kwargs"], f"{field}.kwargs") if stored else {}
        _check_type(args, tuple, f"{field}.args", "a tuple")
        _check_type(kwargs, dict, f"{field}.kwargs", "a dict")
        shapes = {name: tuple(np.shape(value)) for name, value in params.items()}
        _check_data_shapes(reference, shapes, f"{field}.params", args, kwargs, field)
        return MapResult(
            params=params,
            objective=objective,
            num_iter=_check_count(node["num_iter"], f"{field}.num_iter"),
            converged=converged,
            optimality=optimality,
            tolerance=tolerance,
            model=self.model_for(reference, f"{field}.model"),
            args=args,
            kwargs=kwargs,
        )


# ---------------------------------------------------------------------------------------------
# the zip container of MAP results and estimators


def _write_zip(
    path: PathLike, header: dict[str, Any], arrays: Mapping[str, np.ndarray], extra: Mapping
) -> None:
    """Write the archive atomically (see :mod:`bayesreg._files`), every member stored."""
    with (
        atomic_write(path) as handle,
        zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive,
    ):
        archive.writestr(_HEADER, json.dumps(header, indent=1, allow_nan=False))
        for key, array in arrays.items():
            with archive.open(f"arrays/{key}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)
        for name, data in extra.items():
            archive.writestr(name, data)


def _check_format(path: str, found: Any, version: Any, expected: str) -> None:
    if found != expected:
        loader = _LOADERS.get(found) if isinstance(found, str) else None
        hint = f"; it holds a {found}: use bayesreg.io.{loader}" if loader else ""
        raise ValueError(f"{path} is not a {expected} file{hint}.")
    if not isinstance(version, int | np.integer) or isinstance(version, bool):
        raise ValueError(f"{path} has an invalid format_version {version!r}; the file is damaged.")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{path} was written by format version {int(version)}, this bayesreg reads up to "
            f"{FORMAT_VERSION}; upgrade bayesreg."
        )


def _check_exists(path: PathLike) -> str:
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such file: {path}")
    return path


def _check_stored(info: zipfile.ZipInfo) -> None:
    if info.compress_type != zipfile.ZIP_STORED:
        raise _SchemaError(
            f"member {info.filename}", _Text(f"compression method {info.compress_type}"),
            "stored (bayesreg writes no compressed members)",
        )  # fmt: skip


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Read a stored member of at most ``limit`` bytes (reading to the end checks the CRC)."""
    _check_stored(info)
    if info.file_size > limit or info.compress_size != info.file_size:
        raise _SchemaError(
            f"member {info.filename}", _Text(f"{info.file_size} bytes"), f"<= {limit}"
        )
    with archive.open(info) as member:
        data = member.read(info.file_size + 1)  # reading to the end checks the CRC
    if len(data) != info.file_size:
        raise _SchemaError(
            f"member {info.filename}", _Text(f"{len(data)} bytes"), f"{info.file_size}"
        )
    return data


def _read_npy(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """Read one ``.npy`` member, its size checked against its own header before the data."""
    field = f"member {info.filename}"
    _check_stored(info)
    with archive.open(info) as member:
        start = io.BytesIO(member.read(_MAX_NPY_HEADER_BYTES))
    version = np.lib.format.read_magic(start)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(start)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(start)
    if dtype.hasobject or dtype.kind not in "biufcUS":
        raise _SchemaError(field, _Text(f"dtype {dtype}"), "a numeric or string array")
    expected = start.tell() + math.prod(shape) * dtype.itemsize
    if info.file_size != expected:
        raise _SchemaError(
            field, _Text(f"{info.file_size} bytes"),
            f"{expected} bytes (its header declares shape {shape}, dtype {dtype})",
        )  # fmt: skip
    data = _read_member(archive, info, expected)
    return np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)


def _read_zip(
    path: PathLike, expected: str
) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, bytes]]:
    path = _check_exists(path)
    what = "MAP result" if expected == _MAP_FORMAT else "estimator"
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = [info.filename for info in infos]
            if len(set(names)) != len(names):
                raise ValueError("the archive holds two members of the same name")
            members = dict(zip(names, infos, strict=True))
            if _HEADER not in members:
                raise ValueError(f"the archive has no {_HEADER}")
            header = json.loads(
                _read_member(archive, members[_HEADER], _MAX_HEADER_BYTES).decode("utf-8")
            )
            if not isinstance(header, dict):
                raise ValueError(f"{_HEADER} is not a JSON object")
            _check_format(path, header.get("format"), header.get("format_version"), expected)
            arrays = {}
            extra = {}
            for name, info in members.items():
                if name.startswith("arrays/") and name.endswith(".npy"):
                    arrays[name[len("arrays/") : -len(".npy")]] = _read_npy(archive, info)
                elif name == _POSTERIOR_MEMBER:
                    extra[name] = _read_member(archive, info, os.path.getsize(path))
    except _SchemaError as err:
        raise _invalid(path, what, err) from err
    except ValueError as err:
        if str(err).startswith(path):  # our own format / version message
            raise
        raise _damaged(path, what, err) from err
    except Exception as err:  # zipfile, JSON, npy and OS errors alike
        raise _damaged(path, what, err) from err
    return header, arrays, extra


def _damaged(path: str, what: str, err: BaseException) -> ValueError:
    return ValueError(
        f"{path} is not a readable bayesreg {what} file (corrupted, truncated, or another kind "
        f"of file): {type(err).__name__}: {err}"
    )


def _invalid(path: str, what: str, err: _SchemaError) -> ValueError:
    return ValueError(
        f"{path} is not a valid bayesreg {what} file: {err}; the file is damaged or not a "
        "bayesreg file."
    )


def _decode_or_fail(path: str, what: str, decode: Callable[[], Any]) -> Any:
    try:
        return decode()
    except _SchemaError as err:
        raise _invalid(path, what, err) from err
    except (
        KeyError, TypeError, ValueError, IndexError, AttributeError, ImportError, RecursionError
    ) as err:  # fmt: skip
        raise _damaged(path, what, err) from err


def _header_field(header: Mapping[str, Any], name: str, kinds: Any, expected: str) -> Any:
    if name not in header:
        raise _SchemaError(name, _Text("missing"), expected)
    return _check_type(header[name], kinds, name, expected)


def _warn_untrusted(decoder: _Decoder) -> None:
    for reference in dict.fromkeys(decoder.untrusted):
        warnings.warn(_untrusted_model_message(reference), UserWarning, stacklevel=3)


# ---------------------------------------------------------------------------------------------
# MAP results


def save_map(fit: MapResult, path: PathLike, *, include_data: bool = True) -> None:
    """Save a MAP result to a zip (``.npz``) file: arrays as ``.npy``, the rest as JSON.

    Parameters
    ----------
    fit : MapResult
        The result of :func:`bayesreg.map_estimate`.
    path : str or os.PathLike
        File to write (replaced atomically if it exists: see the module docstring); no suffix
        is added (``.npz`` is customary).
    include_data : bool, default=True
        Also store ``fit.args`` and ``fit.kwargs`` (the data and the prior), so that the loaded
        result can be refitted or sampled. With ``False`` they load as ``()`` and ``{}``.

    Raises
    ------
    TypeError
        If ``fit`` is not a ``MapResult``, or an argument of the model cannot be stored (a
        type other than None, bool, int, float, str, tuple, list, dict, NumPy / JAX arrays and
        NumPyro distributions); pass ``include_data=False`` then.

    See Also
    --------
    load_map : The inverse.

    Examples
    --------
    >>> import os, tempfile, numpy as np, bayesreg as br
    >>> from bayesreg.io import load_map, save_map
    >>> X = np.random.default_rng(0).normal(size=(20, 3)); y = X[:, 0]
    >>> fit = br.map_estimate(br.models.linear, X, y, prior=br.models.laplace(1.0))
    >>> path = os.path.join(tempfile.mkdtemp(), "fit.npz")
    >>> save_map(fit, path)
    >>> back = load_map(path)
    >>> bool(np.array_equal(back.params["coef"], fit.params["coef"])), back.model.__name__
    (True, 'linear')
    """
    if not isinstance(fit, MapResult):
        raise TypeError(f"fit must be a MapResult (from map_estimate); got {type(fit).__name__}.")
    encoder = _Encoder()
    result = encoder._map_result(fit, "fit", include_data=bool(include_data))
    header = {
        "format": _MAP_FORMAT,
        "format_version": FORMAT_VERSION,
        "bayesreg_version": _version(),
        "result": result,
    }
    _write_zip(path, header, encoder.arrays, {})


def load_map(path: PathLike, *, model: Callable | None = None) -> MapResult:
    """Load a MAP result written by :func:`save_map`; no code named in the file is run.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    model : callable, optional
        The model function of the result. By default the stored ``module:qualname`` is looked
        up among bayesreg's models and those registered with :func:`register_model` (nothing
        is imported); give ``model`` for any other model (your own, one from ``__main__``).

    Returns
    -------
    MapResult
        Equal to the saved one: the same arrays (values and dtypes), floats, ``args`` and
        ``kwargs`` (empty if saved with ``include_data=False``).

    Raises
    ------
    ValueError
        If the file is corrupted, truncated or of another kind, fails the header checks (the
        message names the field and its value), or was written by a newer format version.
    FileNotFoundError
        If there is no such file.

    Warns
    -----
    UserWarning
        When the stored model is not trusted and ``model`` is not given: the loaded ``model``
        is ``None``, and refitting it raises ``TypeError``.

    See Also
    --------
    save_map : The inverse (an example is there).
    register_model : Trust a model function of your own.
    """
    header, arrays, _ = _read_zip(path, _MAP_FORMAT)
    path = os.fspath(path)

    decoder = _Decoder(arrays, model)

    def rebuild() -> MapResult:
        _header_field(header, "bayesreg_version", str, "a version string")
        result = _header_field(header, "result", dict, "an object")
        if result.get("__type__") != "MapResult":
            raise _SchemaError("result.__type__", result.get("__type__"), "'MapResult'")
        return decoder.map_result(result, "result")

    fit = _decode_or_fail(path, "MAP result", rebuild)
    _warn_untrusted(decoder)
    return fit


# ---------------------------------------------------------------------------------------------
# posterior results


def _diagnostics_to_json(table: pd.DataFrame, encoder: _Encoder) -> dict[str, Any]:
    return {
        "index": [str(label) for label in table.index],
        "columns": [str(label) for label in table.columns],
        "values": encoder.encode(np.asarray(table.to_numpy(), dtype=float), "diagnostics"),
    }


def _write_posterior(post: PosteriorResult, handle: IO[bytes]) -> None:
    """Write ``post`` as netCDF to a seekable, readable binary file object, uncompressed."""
    encoder = _Encoder()
    header = {
        "bayesreg_version": _version(),
        "method": post.method,
        "chain_method": post.chain_method,
        "num_chains": int(post.num_chains),
        "num_samples": int(post.num_samples),
        "num_divergent": int(post.num_divergent),
        "samples": list(post.samples),
        "sample_kinds": {
            name: "jax" if isinstance(value, jax.Array) else "ndarray"
            for name, value in post.samples.items()
        },
        "diagnostics": _diagnostics_to_json(post.diagnostics, encoder),
        "model": None if post.model is None else _reference(post.model),
        "args": encoder.encode(tuple(post.args), "post.args"),
        "kwargs": encoder.encode(dict(post.kwargs), "post.kwargs"),
    }
    attrs = {
        **dict(post.idata.attrs),
        "bayesreg_format": _POSTERIOR_FORMAT,
        "bayesreg_format_version": FORMAT_VERSION,
        "bayesreg_header": json.dumps(header, allow_nan=False),
    }
    # what InferenceData.to_netcdf does (root attributes, then one group each), but into a file
    # object, so that the file is written by atomic_write
    xr.Dataset(attrs=attrs).to_netcdf(handle, mode="w", engine="h5netcdf")
    for group in post.idata.groups():
        post.idata[group].to_netcdf(handle, mode="a", group=group, engine="h5netcdf")
    if encoder.arrays:
        arrays = xr.Dataset(
            {
                key: ([f"{key}_dim_{i}" for i in range(array.ndim)], array)
                for key, array in encoder.arrays.items()
            }
        )
        arrays.to_netcdf(handle, mode="a", group=_ARRAY_GROUP, engine="h5netcdf")


def save_posterior(post: PosteriorResult, path: PathLike) -> None:
    """Save a posterior result to an ArviZ netCDF file, with bayesreg's metadata.

    The file holds the groups and attributes of ``post.idata`` (any ArviZ reader opens it)
    with the fields of the result that ``idata`` does not hold stored in root attributes and
    the group ``bayesreg_arrays`` (see the module docstring).

    Parameters
    ----------
    post : PosteriorResult
        The result of :func:`bayesreg.sample_posterior`.
    path : str or os.PathLike
        File to write (replaced atomically if it exists: see the module docstring); ``.nc`` is
        customary.

    Raises
    ------
    TypeError
        If ``post`` is not a ``PosteriorResult`` or a model argument cannot be stored.

    See Also
    --------
    load_posterior : The inverse.

    Examples
    --------
    >>> import os, tempfile, numpy as np, bayesreg as br
    >>> from bayesreg.io import load_posterior, save_posterior
    >>> from bayesreg.sample import sample_posterior
    >>> X = np.random.default_rng(0).normal(size=(20, 2)); y = X[:, 0]
    >>> post = sample_posterior(br.models.linear, X, y, prior=br.models.gaussian(1.0),
    ...                         num_samples=100)
    >>> path = os.path.join(tempfile.mkdtemp(), "post.nc")
    >>> save_posterior(post, path)
    >>> back = load_posterior(path)
    >>> bool(np.array_equal(back.samples["coef"], post.samples["coef"])), back.method
    (True, 'exact')
    """
    if not isinstance(post, PosteriorResult):
        raise TypeError(
            f"post must be a PosteriorResult (from sample_posterior); got {type(post).__name__}."
        )
    with atomic_write(path, "w+b") as handle:
        _write_posterior(post, handle)


def _check_netcdf_sizes(source: str | IO[bytes], size: int) -> None:
    """Refuse a file whose variables declare more data than it can hold (see the module doc)."""
    declared = []

    def add(name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Dataset) and obj.shape is not None:
            declared.append(math.prod(obj.shape) * obj.dtype.itemsize)

    with h5py.File(source, "r") as file:
        file.visititems(add)
    limit = max(_MAX_INFLATION * size, _INFLATION_ALLOWANCE)
    if sum(declared) > limit:
        raise _SchemaError(
            "the variables", _Text(f"{sum(declared)} bytes"),
            f"at most {limit} bytes ({_MAX_INFLATION} times the file's {size} bytes, or "
            f"{_INFLATION_ALLOWANCE} bytes)",
        )  # fmt: skip


def _read_netcdf(source: str | IO[bytes]) -> tuple[dict[str, Any], dict[str, xr.Dataset]]:
    """Root attributes and every group of a netCDF file, read into memory."""
    with h5py.File(source, "r") as file:
        names = [name for name, obj in file.items() if isinstance(obj, h5py.Group)]
    groups = {}
    for name in names:
        with xr.open_dataset(source, group=name, engine="h5netcdf") as data:
            groups[name] = data.load()
    with xr.open_dataset(source, engine="h5netcdf") as data:
        attrs = dict(data.attrs)
    return attrs, groups


def _load_posterior(
    source: str | IO[bytes],
    size: int,
    path: str,
    model: Callable | None,
    required: tuple[Callable, str] | None = None,
) -> tuple[PosteriorResult, _Decoder]:
    what = "posterior"
    try:
        _check_netcdf_sizes(source, size)
        attrs, groups = _read_netcdf(source)
    except _SchemaError as err:
        raise _invalid(path, what, err) from err
    except Exception as err:  # HDF5 / netCDF errors on damaged or foreign files
        raise _damaged(path, what, err) from err
    if "bayesreg_format" not in attrs:
        raise ValueError(
            f"{path} is not a {_POSTERIOR_FORMAT} file (no bayesreg_format attribute); a plain "
            "ArviZ file is read with arviz.from_netcdf."
        )
    _check_format(
        path, attrs.pop("bayesreg_format"), attrs.get("bayesreg_format_version"), _POSTERIOR_FORMAT
    )
    attrs.pop("bayesreg_format_version")
    header = _decode_or_fail(path, what, lambda: json.loads(attrs.pop("bayesreg_header")))
    arrays_group = groups.pop(_ARRAY_GROUP, None)
    arrays = {}
    if arrays_group is not None:
        arrays = {str(key): np.asarray(arrays_group[key].values) for key in arrays_group.data_vars}
    decoder = _Decoder(arrays, model, required)

    def rebuild() -> PosteriorResult:
        _check_type(header, dict, "bayesreg_header", "a JSON object")
        _header_field(header, "bayesreg_version", str, "a version string")
        method = _header_field(header, "method", str, "a string")
        chain_method = _header_field(header, "chain_method", str | None, "a string or null")
        num_chains = _check_count(header.get("num_chains"), "num_chains", 1)
        num_samples = _check_count(header.get("num_samples"), "num_samples")
        num_divergent = _check_count(header.get("num_divergent"), "num_divergent")
        if num_divergent > num_chains * num_samples:
            raise _SchemaError("num_divergent", num_divergent, "at most num_chains x num_samples")
        if "posterior" not in groups:
            raise _SchemaError("groups", sorted(groups), "groups with a 'posterior'")
        posterior = groups["posterior"]
        names = _header_field(header, "samples", list, "a list of site names")
        kinds = _header_field(header, "sample_kinds", dict, "an object")
        if set(kinds) != set(names) or len(set(names)) != len(names):
            raise _SchemaError("sample_kinds", sorted(kinds), f"one entry per site of {names}")
        samples = {}
        for name in names:
            if name not in posterior.data_vars:
                raise _SchemaError("samples", name, "a variable of the posterior group")
            values = np.asarray(posterior[name].values)
            if values.shape[:2] != (num_chains, num_samples) or values.dtype.kind not in "biuf":
                raise _SchemaError(
                    f"posterior[{name!r}]", values,
                    f"numeric draws of shape ({num_chains}, {num_samples}, ...)",
                )  # fmt: skip
            values = values.reshape((-1, *values.shape[2:]))
            kind = kinds[name]
            if kind not in ("jax", "ndarray"):
                raise _SchemaError(f"sample_kinds[{name!r}]", kind, "'jax' or 'ndarray'")
            samples[name] = jnp.asarray(values) if kind == "jax" else values
        table = _header_field(header, "diagnostics", dict, "an object")
        _check_keys(table, "diagnostics", {"index", "columns", "values"})
        index = _check_type(table["index"], list, "diagnostics.index", "a list of names")
        columns = _check_type(table["columns"], list, "diagnostics.columns", "a list of names")
        for label in (*index, *columns):
            _check_type(label, str, "diagnostics", "a table with string labels")
        values = _check_numeric_array(
            decoder.decode(table["values"], "diagnostics.values"), "diagnostics.values"
        )
        if values.shape != (len(index), len(columns)):
            raise _SchemaError(
                "diagnostics.values", values, f"of shape ({len(index)}, {len(columns)})"
            )
        reference = header.get("model")
        if reference is not None:
            _check_type(reference, str, "model", "a name module:qualname or null")
        args = _check_type(decoder.decode(header.get("args"), "args"), tuple, "args", "a tuple")
        kwargs = _check_type(
            decoder.decode(header.get("kwargs"), "kwargs"), dict, "kwargs", "a dict"
        )
        shapes = {name: tuple(value.shape[1:]) for name, value in samples.items()}
        _check_data_shapes(reference, shapes, "samples", args, kwargs, "header")
        idata = az.InferenceData(attrs=attrs, **groups)
        return PosteriorResult(
            samples=samples,
            idata=idata,
            method=method,
            chain_method=chain_method,
            num_chains=num_chains,
            num_samples=num_samples,
            num_divergent=num_divergent,
            diagnostics=pd.DataFrame(values, index=index, columns=columns),
            model=decoder.model_for(reference, "model"),
            args=args,
            kwargs=kwargs,
        )

    return _decode_or_fail(path, what, rebuild), decoder


def load_posterior(path: PathLike, *, model: Callable | None = None) -> PosteriorResult:
    """Load a posterior result written by :func:`save_posterior`; no code named in it is run.

    Parameters
    ----------
    path : str or os.PathLike
        The netCDF file.
    model : callable, optional
        The model function, when it is not one of bayesreg's models nor registered (see
        :func:`load_map`).

    Returns
    -------
    PosteriorResult
        Equal to the saved one: ``idata`` (the same groups, values, coordinates and
        attributes), ``samples`` (rebuilt from ``idata.posterior``, chains merged),
        ``diagnostics``, the sampler fields, ``model``, ``args`` and ``kwargs``.

    Raises
    ------
    ValueError
        If the file is corrupted, truncated, not written by :func:`save_posterior` (a plain
        ArviZ file: read it with ``arviz.from_netcdf``), fails the header checks (the message
        names the field), declares more data than it can hold, or was written by a newer
        format version.
    FileNotFoundError
        If there is no such file.

    Warns
    -----
    UserWarning
        When the stored model is not trusted and ``model`` is not given (``model`` is ``None``).

    See Also
    --------
    save_posterior : The inverse (an example is there).
    register_model : Trust a model function of your own.
    """
    path = _check_exists(path)
    post, decoder = _load_posterior(path, os.path.getsize(path), path, model)
    _warn_untrusted(decoder)
    return post


# ---------------------------------------------------------------------------------------------
# estimators


def _estimator_classes() -> tuple[type, ...]:
    from .sklearn import (
        BayesianLinearRegression,
        BayesianLogisticRegression,
        BayesianPoissonRegression,
    )

    return BayesianLinearRegression, BayesianLogisticRegression, BayesianPoissonRegression


def save_estimator(estimator: Any, path: PathLike) -> None:
    """Save an estimator of :mod:`bayesreg.sklearn`, fitted or not, to a zip (``.npz``) file.

    Stores the class (``module:qualname``), ``get_params(deep=False)`` and every fitted
    attribute (public, ending in ``_``), among them the MAP result ``map_`` and, after
    :meth:`sample_posterior`, the posterior ``posterior_`` (as an embedded netCDF file).

    Parameters
    ----------
    estimator : BayesianLinearRegression, BayesianLogisticRegression or \
BayesianPoissonRegression
        The estimator.
    path : str or os.PathLike
        File to write (replaced atomically if it exists: see the module docstring).

    Raises
    ------
    TypeError
        If ``estimator`` is not a bayesreg estimator, or a parameter or attribute cannot be
        stored.

    See Also
    --------
    load_estimator : The inverse.

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> from bayesreg.io import load_estimator, save_estimator
    >>> from bayesreg.sklearn import BayesianLinearRegression
    >>> X = np.random.default_rng(0).normal(size=(20, 3)); y = X[:, 0]
    >>> est = BayesianLinearRegression(prior="laplace", alpha=0.05).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "est.npz")
    >>> save_estimator(est, path)
    >>> bool(np.array_equal(load_estimator(path).predict(X), est.predict(X)))
    True
    """
    if not isinstance(estimator, _estimator_classes()):
        raise TypeError(
            "estimator must be a bayesreg.sklearn estimator (BayesianLinearRegression, "
            f"BayesianLogisticRegression, BayesianPoissonRegression); got "
            f"{type(estimator).__name__}."
        )
    encoder = _Encoder()
    fitted = {
        name: value
        for name, value in vars(estimator).items()
        if name.endswith("_") and not name.startswith("_") and name != "posterior_"
    }
    extra = {}
    posterior = getattr(estimator, "posterior_", None)
    if posterior is not None:
        buffer = io.BytesIO()  # in memory: nothing to clean up if the process dies
        _write_posterior(posterior, buffer)
        extra[_POSTERIOR_MEMBER] = buffer.getvalue()
    header = {
        "format": _ESTIMATOR_FORMAT,
        "format_version": FORMAT_VERSION,
        "bayesreg_version": _version(),
        "class": _reference(type(estimator)),
        "params": encoder.encode(estimator.get_params(deep=False), "params"),
        "fitted": encoder.encode(fitted, "fitted"),
        "posterior": _POSTERIOR_MEMBER if posterior is not None else None,
    }
    _write_zip(path, header, encoder.arrays, extra)


def _check_fitted(fitted: dict[str, Any], cls: type) -> None:
    """Check that the fitted attributes agree (types, counts, one coefficient per column)."""
    for name, value in fitted.items():
        if not (name.isidentifier() and name.endswith("_") and not name.startswith("_")):
            raise _SchemaError("fitted", name, "a public attribute name ending in '_'")
        if name == "posterior_" or (isinstance(value, MapResult) and name != "map_"):
            raise _SchemaError(f"fitted[{name!r}]", value, "a fitted attribute")
    for name in ("n_iter_", "n_features_in_"):
        if name in fitted:
            _check_count(fitted[name], f"fitted[{name!r}]")
    n_features = fitted.get("n_features_in_")
    if "coef_" in fitted:
        coef = _check_numeric_array(fitted["coef_"], "fitted['coef_']")
        if coef.ndim not in (1, 2) or (n_features is not None and coef.shape[-1] != n_features):
            raise _SchemaError(
                "fitted['coef_']", coef, f"an array of {n_features} coefficients (n_features_in_)"
            )
    if "intercept_" in fitted and not isinstance(fitted["intercept_"], float):
        _check_numeric_array(fitted["intercept_"], "fitted['intercept_']")
    names = fitted.get("feature_names_in_")
    if names is not None and not (
        isinstance(names, np.ndarray)
        and names.shape == (n_features,)
        and all(isinstance(label, str) for label in names)
    ):
        raise _SchemaError(
            "fitted['feature_names_in_']", names, f"an array of {n_features} column names"
        )
    if "prior_" in fitted and not isinstance(fitted["prior_"], dist.Distribution):
        raise _SchemaError("fitted['prior_']", fitted["prior_"], "a distribution")
    sigma = fitted.get("sigma_")
    if sigma is not None and not (
        isinstance(sigma, int | float) and not isinstance(sigma, bool) and 0 < sigma < math.inf
    ):
        raise _SchemaError("fitted['sigma_']", sigma, "a finite number > 0")
    fit = fitted.get("map_")
    if fit is not None:
        if not isinstance(fit, MapResult):
            raise _SchemaError("fitted['map_']", fit, "a MapResult")
        coef = fit.params.get("coef")
        if "coef_" in fitted and np.size(coef) != np.size(fitted["coef_"]):
            raise _SchemaError("fitted['map_'].params['coef']", coef, "the same size as coef_")


def load_estimator(path: PathLike) -> Any:
    """Load an estimator written by :func:`save_estimator`; no code named in the file is run.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    estimator
        A new estimator of the saved class with the saved parameters and fitted attributes
        (arrays equal bit for bit, with their dtypes), ready to ``predict``. Its MAP result
        and posterior have the class's own model (``bayesreg.models.linear``, ...).

    Raises
    ------
    ValueError
        If the file is corrupted, truncated or of another kind, names a class that is not a
        bayesreg estimator or a model that is not its class's, fails the header checks (the
        message names the field), or was written by a newer format version.
    FileNotFoundError
        If there is no such file.

    See Also
    --------
    save_estimator : The inverse (an example is there).
    """
    header, arrays, extra = _read_zip(path, _ESTIMATOR_FORMAT)
    path = os.fspath(path)
    classes = {_reference(cls): cls for cls in _estimator_classes()}

    def rebuild() -> Any:
        _header_field(header, "bayesreg_version", str, "a version string")
        reference = _header_field(header, "class", str, "a class name")
        cls = classes.get(reference)
        if cls is None:
            raise _SchemaError("class", reference, f"a bayesreg estimator class {sorted(classes)}")
        required = (cls._model, cls.__name__)
        decoder = _Decoder(arrays, required=required)
        params = decoder.decode(_header_field(header, "params", dict, "an object"), "params")
        allowed = set(cls().get_params(deep=False))
        for name, value in _check_type(params, dict, "params", "a dict").items():
            if name not in allowed or isinstance(value, MapResult):
                raise _SchemaError(f"params[{name!r}]", value, f"a parameter of {cls.__name__}")
        fitted = decoder.decode(_header_field(header, "fitted", dict, "an object"), "fitted")
        _check_fitted(_check_type(fitted, dict, "fitted", "a dict"), cls)
        estimator = cls(**params)
        for name, value in fitted.items():
            setattr(estimator, name, value)
        member = header.get("posterior")
        if member is not None:
            if member != _POSTERIOR_MEMBER or member not in extra:
                raise _SchemaError("posterior", member, f"{_POSTERIOR_MEMBER!r}, a member")
            data = extra[member]
            estimator.posterior_, _ = _load_posterior(
                io.BytesIO(data), len(data), f"{path} (member {member})", None, required
            )
        return estimator

    return _decode_or_fail(path, "estimator", rebuild)
