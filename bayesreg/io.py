r"""Save and load MAP results, posterior results and fitted estimators, without pickle.

Three pairs of functions, one per kind of object:

- :func:`save_map` / :func:`load_map` — a :class:`~bayesreg.map.MapResult`;
- :func:`save_posterior` / :func:`load_posterior` — a :class:`~bayesreg.sample.PosteriorResult`;
- :func:`save_estimator` / :func:`load_estimator` — an estimator of :mod:`bayesreg.sklearn`.

Every round trip is lossless: arrays come back with the same values bit for bit, the same dtype
and the same kind (NumPy or JAX), floats exactly (stored as their shortest ``repr``, NaN and
inf included), tuples as tuples. Nothing is unpickled: arrays are read with
``allow_pickle=False``, everything else is JSON.

File formats (``FORMAT_VERSION = 1``)
-------------------------------------
**MAP results and estimators** are written to a zip archive that ``numpy.load`` also opens
(an ``.npz`` file):

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

**Posterior results** are ArviZ netCDF files (``InferenceData.to_netcdf``; any ArviZ reader opens
them) with two root attributes, ``bayesreg_format = "bayesreg.PosteriorResult"`` and
``bayesreg_format_version``, a root attribute ``bayesreg_header`` (JSON as above: ``method``,
``chain_method``, ``num_chains``, ``num_samples``, ``num_divergent``, the ``diagnostics`` table,
``model``, ``args``, ``kwargs``) and a group ``bayesreg_arrays`` holding the arrays the header
refers to (the model's data, e.g. ``X``). ``samples`` are rebuilt from the ``posterior`` group.

The model function cannot be serialized: its qualified name ``module:qualname`` is stored and
re-imported on load when it is importable (a module-level function of an installed module, such
as ``bayesreg.models.linear``). A model defined in ``__main__`` or inside another function is
not re-imported (another program's ``__main__`` may define a different function of the same
name): pass ``model=`` to the loader, or the loaded ``model`` is ``None`` with a warning.
Loading imports the modules named in the file (as unpickling would) but instantiates only
NumPyro distributions and bayesreg estimators.

Errors
------
A file written by a newer format version raises ``ValueError`` ("written by format version N,
this bayesreg reads up to M; upgrade bayesreg"); a corrupted, truncated or foreign file raises
``ValueError`` naming the file, with the underlying error chained as its cause; a missing file
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

import importlib
import io
import json
import os
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Mapping
from typing import Any

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
import pandas as pd
import xarray as xr

from .map import MapResult
from .sample import PosteriorResult

__all__ = [
    "FORMAT_VERSION",
    "load_estimator",
    "load_map",
    "load_posterior",
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

PathLike = str | os.PathLike


def _version() -> str:
    from . import __version__

    return __version__


# ---------------------------------------------------------------------------------------------
# references to functions and classes: "module:qualname"


def _reference(obj: Any) -> str | None:
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str):
        return None
    return f"{module}:{qualname}"


def _resolve(reference: str) -> Any:
    """Import ``module:qualname``; raise ``ImportError`` when it cannot be done safely."""
    module_name, _, qualname = reference.partition(":")
    if not module_name or not qualname:
        raise ImportError(f"{reference!r} is not of the form 'module:qualname'")
    if module_name == "__main__" or "<" in qualname:
        raise ImportError(
            f"{reference!r} is defined in __main__ or inside a function, so another program may "
            "hold a different object under that name"
        )
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as err:
            raise ImportError(f"{reference!r}: {module_name} has no attribute {qualname}") from err
    return obj


def _load_model(reference: str | None, model: Callable | None, stacklevel: int) -> Callable | None:
    """Return ``model`` if given, else the re-imported ``reference`` (``None``, with a warning)."""
    if model is not None or reference is None:
        return model
    try:
        return _resolve(reference)
    except ImportError as err:
        warnings.warn(
            f"the model function {reference} could not be re-imported ({err}); the loaded "
            "result has model=None. Pass model=<the function> to the loader.",
            UserWarning,
            stacklevel=stacklevel + 1,
        )
        return None


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


class _Decoder:
    """Inverse of :class:`_Encoder`, given the arrays it collected."""

    def __init__(
        self, arrays: Mapping[str, np.ndarray], model: Callable | None = None, resolve: bool = True
    ) -> None:
        self.arrays = arrays
        self.model = model  # the model of a MapResult, used instead of its stored name
        self.resolve = resolve

    def _array(self, node: Mapping[str, Any]) -> np.ndarray:
        array = self.arrays[node["key"]]
        return array.astype(object) if node.get("object") else array

    def decode(self, node: Any) -> Any:
        if node is None or isinstance(node, bool | int | str):
            return node
        tag = node["__type__"]
        if tag == "float":
            return float(node["value"])
        if tag in ("tuple", "list"):
            items = [self.decode(v) for v in node["items"]]
            return tuple(items) if tag == "tuple" else items
        if tag == "dict":
            return {k: self.decode(v) for k, v in node["items"].items()}
        if tag == "jax":
            return jnp.asarray(self._array(node))
        if tag == "ndarray":
            return self._array(node)
        if tag == "numpy_scalar":
            return self._array(node)[()]
        if tag == "distribution":
            return self._distribution(node)
        if tag == "MapResult":
            return self._map_result(node)
        raise ValueError(f"unknown value type {tag!r}")

    def _distribution(self, node: Mapping[str, Any]) -> dist.Distribution:
        cls = _resolve(node["class"])
        if not (isinstance(cls, type) and issubclass(cls, dist.Distribution)):
            raise ValueError(f"{node['class']!r} is not a NumPyro distribution")
        data = {k: self.decode(v) for k, v in node["data"].items()}
        aux = {k: self.decode(v) for k, v in node["aux"].items()}
        return cls.tree_unflatten(
            tuple(aux[name] for name in cls.gather_pytree_aux_fields()),
            tuple(data[name] for name in cls.gather_pytree_data_fields()),
        )

    def _map_result(self, node: Mapping[str, Any]) -> MapResult:
        model = self.model
        if self.resolve:
            model = _load_model(node["model"], model, stacklevel=3)
        stored = node["data_stored"]
        return MapResult(
            params=self.decode(node["params"]),
            objective=self.decode(node["objective"]),
            num_iter=node["num_iter"],
            converged=node["converged"],
            optimality=self.decode(node["optimality"]),
            tolerance=self.decode(node["tolerance"]),
            model=model,
            args=self.decode(node["args"]) if stored else (),
            kwargs=self.decode(node["kwargs"]) if stored else {},
        )


# ---------------------------------------------------------------------------------------------
# the zip container of MAP results and estimators


def _write_zip(
    path: PathLike, header: dict[str, Any], arrays: Mapping[str, np.ndarray], extra: Mapping
) -> None:
    """Write atomically: to a temporary file next to ``path``, then rename it."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    handle, tmp = tempfile.mkstemp(dir=directory, prefix=".bayesreg-", suffix=".tmp")
    os.close(handle)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr(_HEADER, json.dumps(header, indent=1, allow_nan=False))
            for key, array in arrays.items():
                with archive.open(f"arrays/{key}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)
            for name, data in extra.items():
                archive.writestr(name, data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _check_format(path: str, found: Any, version: Any, expected: str) -> None:
    if found != expected:
        loader = _LOADERS.get(found)
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


def _read_zip(
    path: PathLike, expected: str
) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, bytes]]:
    path = _check_exists(path)
    what = "MAP result" if expected == _MAP_FORMAT else "estimator"
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if _HEADER not in names:
                raise ValueError(f"the archive has no {_HEADER}")
            header = json.loads(archive.read(_HEADER).decode("utf-8"))
            if not isinstance(header, dict):
                raise ValueError(f"{_HEADER} is not a JSON object")
            _check_format(path, header.get("format"), header.get("format_version"), expected)
            arrays = {}
            extra = {}
            for name in names:
                if name.startswith("arrays/") and name.endswith(".npy"):
                    with archive.open(name) as member:
                        data = io.BytesIO(member.read())  # reading to the end checks the CRC
                    arrays[name[len("arrays/") : -len(".npy")]] = np.lib.format.read_array(
                        data, allow_pickle=False
                    )
                elif name == _POSTERIOR_MEMBER:
                    extra[name] = archive.read(name)
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


def _decode_or_fail(path: str, what: str, decode: Callable[[], Any]) -> Any:
    try:
        return decode()
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, ImportError) as err:
        raise _damaged(path, what, err) from err


# ---------------------------------------------------------------------------------------------
# MAP results


def save_map(fit: MapResult, path: PathLike, *, include_data: bool = True) -> None:
    """Save a MAP result to a zip (``.npz``) file: arrays as ``.npy``, the rest as JSON.

    Parameters
    ----------
    fit : MapResult
        The result of :func:`bayesreg.map_estimate`.
    path : str or os.PathLike
        File to write (replaced atomically if it exists); no suffix is added (``.npz`` is
        customary).
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
    """Load a MAP result written by :func:`save_map`.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    model : callable, optional
        The model function, when the stored name cannot be re-imported (a model defined in
        ``__main__`` or inside a function). By default the stored ``module:qualname`` is
        imported.

    Returns
    -------
    MapResult
        Equal to the saved one: the same arrays (values and dtypes), floats, ``args`` and
        ``kwargs`` (empty if saved with ``include_data=False``).

    Raises
    ------
    ValueError
        If the file is corrupted, truncated or of another kind, or was written by a newer format
        version.
    FileNotFoundError
        If there is no such file.

    Warns
    -----
    UserWarning
        When the model cannot be re-imported and ``model`` is not given (``model`` is ``None``).

    See Also
    --------
    save_map : The inverse (an example is there).
    """
    header, arrays, _ = _read_zip(path, _MAP_FORMAT)
    path = os.fspath(path)
    result = _decode_or_fail(path, "MAP result", lambda: dict(header["result"]))
    model = _load_model(result.get("model"), model, stacklevel=2)
    decoder = _Decoder(arrays, model, resolve=False)
    return _decode_or_fail(path, "MAP result", lambda: decoder._map_result(result))


# ---------------------------------------------------------------------------------------------
# posterior results


def _diagnostics_to_json(table: pd.DataFrame, encoder: _Encoder) -> dict[str, Any]:
    return {
        "index": [str(label) for label in table.index],
        "columns": [str(label) for label in table.columns],
        "values": encoder.encode(np.asarray(table.to_numpy(), dtype=float), "diagnostics"),
    }


def save_posterior(post: PosteriorResult, path: PathLike) -> None:
    """Save a posterior result to an ArviZ netCDF file, with bayesreg's metadata.

    The file is ``post.idata.to_netcdf(path)`` (any ArviZ reader opens it) with the fields of
    the result that ``idata`` does not hold stored in root attributes and the group
    ``bayesreg_arrays`` (see the module docstring).

    Parameters
    ----------
    post : PosteriorResult
        The result of :func:`bayesreg.sample_posterior`.
    path : str or os.PathLike
        File to write (replaced if it exists); ``.nc`` is customary.

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
    idata = post.idata.copy()
    idata.attrs = {
        **dict(post.idata.attrs),
        "bayesreg_format": _POSTERIOR_FORMAT,
        "bayesreg_format_version": FORMAT_VERSION,
        "bayesreg_header": json.dumps(header, allow_nan=False),
    }
    path = os.fspath(path)
    idata.to_netcdf(path)
    if encoder.arrays:
        group = xr.Dataset(
            {
                key: ([f"{key}_dim_{i}" for i in range(array.ndim)], array)
                for key, array in encoder.arrays.items()
            }
        )
        group.to_netcdf(path, mode="a", group=_ARRAY_GROUP, engine="h5netcdf")


def load_posterior(path: PathLike, *, model: Callable | None = None) -> PosteriorResult:
    """Load a posterior result written by :func:`save_posterior`.

    Parameters
    ----------
    path : str or os.PathLike
        The netCDF file.
    model : callable, optional
        The model function, when the stored name cannot be re-imported (see :func:`load_map`).

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
        ArviZ file: read it with ``arviz.from_netcdf``), or written by a newer format version.
    FileNotFoundError
        If there is no such file.

    Warns
    -----
    UserWarning
        When the model cannot be re-imported and ``model`` is not given (``model`` is ``None``).

    See Also
    --------
    save_posterior : The inverse (an example is there).
    """
    path = _check_exists(path)
    what = "posterior"
    try:
        with az.rc_context({"data.load": "eager"}):  # read everything now, close the file
            idata = az.from_netcdf(path)
    except Exception as err:  # HDF5 / netCDF errors on damaged or foreign files
        raise _damaged(path, what, err) from err
    attrs = dict(idata.attrs)
    if "bayesreg_format" not in attrs:
        raise ValueError(
            f"{path} is not a {_POSTERIOR_FORMAT} file (no bayesreg_format attribute); a plain "
            "ArviZ file is read with arviz.from_netcdf."
        )
    _check_format(
        path, attrs.pop("bayesreg_format"), attrs.get("bayesreg_format_version"), _POSTERIOR_FORMAT
    )
    attrs.pop("bayesreg_format_version")
    header = _decode_or_fail(path, what, lambda: dict(json.loads(attrs.pop("bayesreg_header"))))
    loaded_model = _load_model(header.get("model"), model, stacklevel=2)

    def rebuild() -> PosteriorResult:
        arrays: dict[str, np.ndarray] = {}
        if _ARRAY_GROUP in idata.groups():
            group = idata[_ARRAY_GROUP]
            arrays = {str(key): np.asarray(group[key].values) for key in group.data_vars}
            del idata[_ARRAY_GROUP]
        idata.attrs = attrs
        decoder = _Decoder(arrays)
        table = header["diagnostics"]
        diagnostics = pd.DataFrame(
            decoder.decode(table["values"]).reshape(len(table["index"]), len(table["columns"])),
            index=table["index"],
            columns=table["columns"],
        )
        posterior = idata.posterior
        samples = {}
        for name in header["samples"]:
            values = np.asarray(posterior[name].values)
            values = values.reshape((-1, *values.shape[2:]))
            kind = header["sample_kinds"][name]
            samples[name] = jnp.asarray(values) if kind == "jax" else values
        return PosteriorResult(
            samples=samples,
            idata=idata,
            method=header["method"],
            chain_method=header["chain_method"],
            num_chains=header["num_chains"],
            num_samples=header["num_samples"],
            num_divergent=header["num_divergent"],
            diagnostics=diagnostics,
            model=loaded_model,
            args=decoder.decode(header["args"]),
            kwargs=decoder.decode(header["kwargs"]),
        )

    return _decode_or_fail(path, what, rebuild)


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
        File to write (replaced atomically if it exists).

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
        with tempfile.TemporaryDirectory() as directory:
            file = os.path.join(directory, _POSTERIOR_MEMBER)
            save_posterior(posterior, file)
            with open(file, "rb") as handle:
                extra[_POSTERIOR_MEMBER] = handle.read()
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


def load_estimator(path: PathLike) -> Any:
    """Load an estimator written by :func:`save_estimator`.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    estimator
        A new estimator of the saved class with the saved parameters and fitted attributes
        (arrays equal bit for bit, with their dtypes), ready to ``predict``.

    Raises
    ------
    ValueError
        If the file is corrupted, truncated or of another kind, names a class that is not a
        bayesreg estimator, or was written by a newer format version.
    FileNotFoundError
        If there is no such file.

    See Also
    --------
    save_estimator : The inverse (an example is there).
    """
    header, arrays, extra = _read_zip(path, _ESTIMATOR_FORMAT)
    path = os.fspath(path)

    def rebuild() -> Any:
        cls = _resolve(header["class"])
        if not (isinstance(cls, type) and issubclass(cls, _estimator_classes())):
            raise ValueError(f"{header['class']!r} is not a bayesreg estimator class")
        decoder = _Decoder(arrays)
        estimator = cls(**decoder.decode(header["params"]))
        for name, value in decoder.decode(header["fitted"]).items():
            setattr(estimator, name, value)
        if header["posterior"] is not None:
            with tempfile.TemporaryDirectory() as directory:
                file = os.path.join(directory, _POSTERIOR_MEMBER)
                with open(file, "wb") as handle:
                    handle.write(extra[header["posterior"]])
                estimator.posterior_ = load_posterior(file)
        return estimator

    return _decode_or_fail(path, "estimator", rebuild)
