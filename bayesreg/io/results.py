"""Save and load MAP results and MAP paths as zip (``.npz``) archives of JSON and ``.npy``.

`save_map` / `load_map` take a `bayesreg.map.MapResult`, `save_map_path` / `load_map_path` a
`bayesreg.map.MapPath`: arrays are ``.npy`` members, the rest is JSON.

The header of a MAP result's file holds ``"result"``, a ``"MapResult"`` node (the same node an
estimator's file holds as its ``map_``); that of a MAP path's file a ``"MapPath"`` node. The
model is stored by name and looked up among trusted functions only (see ``bayesreg.io.codec``);
the data (``args`` / ``kwargs``) is stored unless ``include_data=False``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import jax
import numpy as np

from .._version import __version__
from ..map import MapPath, MapResult
from . import registry, schema
from .archive import read_archive, write_archive
from .codec import Decoder, Encoder, reference, warn_untrusted
from .schema import (
    PathLike,
    SchemaError,
    check_count,
    check_data_shapes,
    check_float,
    check_keys,
    check_numeric_array,
    check_type,
    decode_or_fail,
    header_field,
)

__all__ = [
    "MAP_FORMAT",
    "MAP_PATH_FORMAT",
    "decode_map_path",
    "decode_map_result",
    "encode_map_path",
    "encode_map_result",
    "load_map",
    "load_map_path",
    "save_map",
    "save_map_path",
]

MAP_FORMAT = "bayesreg.MapResult"
MAP_PATH_FORMAT = "bayesreg.MapPath"

_MAP_KEYS = {
    "__type__", "params", "objective", "num_iter", "converged", "optimality", "tolerance",
    "model", "data_stored",
}  # fmt: skip
_PATH_KEYS = _MAP_KEYS | {"path", "method"}


def _model_name(model: Callable | None) -> str | None:
    return None if model is None else reference(model)


def _encode_data(
    node: dict[str, Any], encoder: Encoder, args: tuple, kwargs: dict, where: str, stored: bool
) -> dict[str, Any]:
    node["data_stored"] = stored
    if stored:
        node["args"] = encoder.encode(tuple(args), f"{where}.args")
        node["kwargs"] = encoder.encode(dict(kwargs), f"{where}.kwargs")
    return node


def _decode_data(decoder: Decoder, node: Mapping[str, Any], field: str) -> tuple[tuple, dict]:
    """Return the stored ``args`` and ``kwargs`` (``()`` and ``{}`` when the data was left out)."""
    stored = node["data_stored"]
    args = decoder.decode(node["args"], f"{field}.args") if stored else ()
    kwargs = decoder.decode(node["kwargs"], f"{field}.kwargs") if stored else {}
    check_type(args, tuple, f"{field}.args", "a tuple")
    check_type(kwargs, dict, f"{field}.kwargs", "a dict")
    return args, kwargs


def _check_node_keys(node: Any, field: str, keys: set) -> bool:
    """Check a result node's keys (``args`` / ``kwargs`` when its data is stored)."""
    check_type(node, dict, field, "an object")
    stored = check_type(node.get("data_stored"), bool, f"{field}.data_stored", "a boolean")
    check_keys(node, field, keys | ({"args", "kwargs"} if stored else set()))
    return stored


def _decode_params(decoder: Decoder, node: Mapping[str, Any], field: str) -> dict[str, Any]:
    params = check_type(node["params"], dict, f"{field}.params", "a dict")
    params = decoder.decode(params, f"{field}.params")
    check_type(params, dict, f"{field}.params", "a dict")
    for name, value in params.items():
        check_numeric_array(value, f"{field}.params[{name!r}]")
    return params


def _decode_tolerance(decoder: Decoder, node: Mapping[str, Any], field: str) -> float:
    tolerance = check_float(
        decoder.decode(node["tolerance"], f"{field}.tolerance"), f"{field}.tolerance"
    )
    if tolerance <= 0:  # NaN (the default: not recorded) passes
        raise SchemaError(f"{field}.tolerance", tolerance, "a number > 0")
    return tolerance


def _model_reference(node: Mapping[str, Any], field: str) -> str | None:
    name = node["model"]
    if name is not None:
        check_type(name, str, f"{field}.model", "a name module:qualname or null")
    return name


# ---------------------------------------------------------------------------------------------
# MAP results


def encode_map_result(
    encoder: Encoder, fit: MapResult, where: str, *, include_data: bool = True
) -> dict[str, Any]:
    """Return the ``"MapResult"`` header node of ``fit`` (its arrays collected by ``encoder``)."""
    node: dict[str, Any] = {
        "__type__": "MapResult",
        "params": encoder.encode(dict(fit.params), f"{where}.params"),
        "objective": encoder.encode(float(fit.objective), f"{where}.objective"),
        "num_iter": int(fit.num_iter),
        "converged": bool(fit.converged),
        "optimality": encoder.encode(float(fit.optimality), f"{where}.optimality"),
        "tolerance": encoder.encode(float(fit.tolerance), f"{where}.tolerance"),
        "model": _model_name(fit.model),
    }
    return _encode_data(node, encoder, fit.args, fit.kwargs, where, include_data)


def decode_map_result(decoder: Decoder, node: Any, field: str) -> MapResult:
    """Rebuild a MAP result from its header node, checking every field."""
    _check_node_keys(node, field, _MAP_KEYS)
    params = _decode_params(decoder, node, field)
    converged = check_type(node["converged"], bool, f"{field}.converged", "a boolean")
    objective = check_float(
        decoder.decode(node["objective"], f"{field}.objective"), f"{field}.objective",
        finite=converged,
    )  # fmt: skip
    optimality = decoder.decode(node["optimality"], f"{field}.optimality")
    check_float(optimality, f"{field}.optimality", finite=converged)
    if optimality < 0:  # NaN passes: a result that could not be measured (not converged)
        raise SchemaError(f"{field}.optimality", optimality, "a number >= 0")
    tolerance = _decode_tolerance(decoder, node, field)
    name = _model_reference(node, field)
    args, kwargs = _decode_data(decoder, node, field)
    shapes = {site: tuple(np.shape(value)) for site, value in params.items()}
    check_data_shapes(name, shapes, f"{field}.params", args, kwargs, field)
    return MapResult(
        params=params,
        objective=objective,
        num_iter=check_count(node["num_iter"], f"{field}.num_iter"),
        converged=converged,
        optimality=optimality,
        tolerance=tolerance,
        model=decoder.model_for(name, f"{field}.model"),
        args=args,
        kwargs=kwargs,
    )


def _save_result(path: PathLike, format_name: str, result: dict, encoder: Encoder) -> None:
    header = {
        "format": format_name,
        "format_version": schema.FORMAT_VERSION,
        "bayesreg_version": __version__,
        "result": result,
    }
    write_archive(path, header, encoder.arrays, {})


def _load_result(
    path: PathLike, format_name: str, what: str, model: Callable | None, decode: Callable
) -> Any:
    header, arrays, _ = read_archive(path, format_name, what)
    path = os.fspath(path)
    decoder = Decoder(arrays, model)
    tag = format_name.rpartition(".")[2]

    def rebuild() -> Any:
        header_field(header, "bayesreg_version", str, "a version string")
        result = header_field(header, "result", dict, "an object")
        if result.get("__type__") != tag:
            raise SchemaError("result.__type__", result.get("__type__"), repr(tag))
        return decode(decoder, result, "result")

    loaded = decode_or_fail(path, what, rebuild)
    return loaded, decoder


def save_map(fit: MapResult, path: PathLike, *, include_data: bool = True) -> None:
    """Save a MAP result to a zip (``.npz``) file: arrays as ``.npy``, the rest as JSON.

    Parameters
    ----------
    fit : MapResult
        The result of `bayesreg.map_estimate`.
    path : str or os.PathLike
        File to write (replaced atomically if it exists: see the module docstring of
        ``bayesreg.io``); no suffix is added (``.npz`` is customary).
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
    >>> fit = br.map_estimate(br.models.linear, X, y, prior=br.models.laplace(1.0), sigma=1.0)
    >>> path = os.path.join(tempfile.mkdtemp(), "fit.npz")
    >>> save_map(fit, path)
    >>> back = load_map(path)
    >>> bool(np.array_equal(back.params["coef"], fit.params["coef"])), back.model.__name__
    (True, 'linear')
    """
    if not isinstance(fit, MapResult):
        raise TypeError(f"fit must be a MapResult (from map_estimate); got {type(fit).__name__}.")
    encoder = Encoder()
    result = encode_map_result(encoder, fit, "fit", include_data=bool(include_data))
    _save_result(path, MAP_FORMAT, result, encoder)


def load_map(path: PathLike, *, model: Callable | None = None) -> MapResult:
    """Load a MAP result written by `save_map`; no code named in the file is run.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    model : callable, optional
        The model function of the result. By default the stored ``module:qualname`` is looked
        up among bayesreg's models and those registered with `register_model` (nothing is
        imported); give ``model`` for any other model (your own, one from ``__main__``).

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
    fit, decoder = _load_result(path, MAP_FORMAT, "MAP result", model, decode_map_result)
    warn_untrusted(decoder)
    return fit


# ---------------------------------------------------------------------------------------------
# MAP paths


def _as_array(value: Any) -> Any:
    return value if isinstance(value, np.ndarray | jax.Array) else np.asarray(value)


def encode_map_path(
    encoder: Encoder, result: MapPath, where: str, *, include_data: bool = True
) -> dict[str, Any]:
    """Return the ``"MapPath"`` header node of ``result`` (arrays collected by ``encoder``)."""
    node: dict[str, Any] = {
        "__type__": "MapPath",
        "path": encoder.encode({k: list(v) for k, v in result.path.items()}, f"{where}.path"),
        "params": encoder.encode(
            {k: _as_array(v) for k, v in result.params.items()}, f"{where}.params"
        ),
        "objective": encoder.encode(_as_array(result.objective), f"{where}.objective"),
        "num_iter": encoder.encode(_as_array(result.num_iter), f"{where}.num_iter"),
        "converged": encoder.encode(_as_array(result.converged), f"{where}.converged"),
        "optimality": encoder.encode(_as_array(result.optimality), f"{where}.optimality"),
        "tolerance": encoder.encode(float(result.tolerance), f"{where}.tolerance"),
        "method": str(result.method),
        "model": _model_name(result.model),
    }
    return _encode_data(node, encoder, result.args, result.kwargs, where, include_data)


def _point_array(decoder: Decoder, node: Mapping[str, Any], name: str, field: str, kinds: str):
    """One value per point (shape ``(k,)``) of one of the dtype ``kinds``."""
    field = f"{field}.{name}"
    value = decoder.decode(node[name], field)
    expected = {"f": "floats", "iu": "integers", "b": "booleans"}[kinds]
    if not isinstance(value, np.ndarray | jax.Array) or value.ndim != 1:
        raise SchemaError(field, value, f"an array of {expected}, one per point of the path")
    if np.dtype(value.dtype).kind not in kinds:
        raise SchemaError(field, value, f"an array of {expected}")
    return value


def decode_map_path(decoder: Decoder, node: Any, field: str) -> MapPath:
    """Rebuild a MAP path from its header node, checking every field."""
    _check_node_keys(node, field, _PATH_KEYS)
    objective = _point_array(decoder, node, "objective", field, "f")
    k = int(objective.shape[0])
    if k == 0:
        raise SchemaError(f"{field}.objective", objective, "an array of at least one point")
    arrays = {"objective": objective}
    for name, kinds in (("optimality", "f"), ("num_iter", "iu"), ("converged", "b")):
        arrays[name] = _point_array(decoder, node, name, field, kinds)
        if arrays[name].shape != (k,):
            raise SchemaError(f"{field}.{name}", arrays[name], f"of shape ({k},) as objective")
    if np.any(np.asarray(arrays["num_iter"]) < 0):
        raise SchemaError(f"{field}.num_iter", arrays["num_iter"], "counts >= 0")
    converged = np.asarray(arrays["converged"])
    for name in ("objective", "optimality"):
        if not np.all(np.isfinite(np.asarray(arrays[name])[converged])):
            raise SchemaError(f"{field}.{name}", arrays[name], "finite where converged")
    if np.any(np.asarray(arrays["optimality"]) < 0):  # NaN passes, as for a MapResult
        raise SchemaError(f"{field}.optimality", arrays["optimality"], "numbers >= 0")
    params = _decode_params(decoder, node, field)
    for name, value in params.items():
        if np.ndim(value) == 0 or np.shape(value)[0] != k:
            raise SchemaError(f"{field}.params[{name!r}]", value, f"of leading axis {k}")
    values = check_type(node["path"], dict, f"{field}.path", "a dict")
    values = decoder.decode(values, f"{field}.path")
    check_type(values, dict, f"{field}.path", "a dict")
    if not values:
        raise SchemaError(f"{field}.path", values, "a dict of at least one argument")
    for name, sequence in values.items():
        if not isinstance(sequence, list) or len(sequence) != k:
            raise SchemaError(f"{field}.path[{name!r}]", sequence, f"a list of {k} values")
    method = check_type(node["method"], str, f"{field}.method", "a string")
    tolerance = _decode_tolerance(decoder, node, field)
    name = _model_reference(node, field)
    args, kwargs = _decode_data(decoder, node, field)
    both = sorted(set(values) & set(kwargs))
    if both:
        raise SchemaError(f"{field}.kwargs", both, "arguments apart from those of the path")
    shapes = {site: tuple(np.shape(value))[1:] for site, value in params.items()}
    check_data_shapes(name, shapes, f"{field}.params", args, kwargs, field)
    return MapPath(
        path=values,
        params=params,
        tolerance=tolerance,
        method=method,
        model=decoder.model_for(name, f"{field}.model"),
        args=args,
        kwargs=kwargs,
        **arrays,
    )


def save_map_path(result: MapPath, path: PathLike, *, include_data: bool = True) -> None:
    """Save a MAP path (from `bayesreg.map_path`) to a zip (``.npz``) file, as `save_map` does.

    Parameters
    ----------
    result : MapPath
        The result of `bayesreg.map_path`.
    path : str or os.PathLike
        File to write (replaced atomically if it exists); ``.npz`` is customary.
    include_data : bool, default=True
        Also store ``result.args`` and ``result.kwargs`` (the data and the fixed arguments).
        With ``False`` they load as ``()`` and ``{}``; the path's values are always stored.

    Raises
    ------
    TypeError
        If ``result`` is not a ``MapPath``, or a value of the path or an argument of the model
        cannot be stored (see `save_map`).

    See Also
    --------
    load_map_path : The inverse.

    Examples
    --------
    >>> import os, tempfile, numpy as np, bayesreg as br
    >>> from bayesreg.io import load_map_path, save_map_path
    >>> X = np.random.default_rng(0).normal(size=(20, 3)); y = X[:, 0]
    >>> scales = [0.1, 1.0]
    >>> result = br.map_path(br.models.linear, X, y, sigma=1.0,
    ...                      path={"prior": [br.models.laplace(b) for b in scales]})
    >>> path = os.path.join(tempfile.mkdtemp(), "path.npz")
    >>> save_map_path(result, path)
    >>> back = load_map_path(path)
    >>> bool(np.array_equal(back.params["coef"], result.params["coef"])), len(back)
    (True, 2)
    """
    if not isinstance(result, MapPath):
        raise TypeError(f"result must be a MapPath (from map_path); got {type(result).__name__}.")
    encoder = Encoder()
    node = encode_map_path(encoder, result, "result", include_data=bool(include_data))
    _save_result(path, MAP_PATH_FORMAT, node, encoder)


def load_map_path(path: PathLike, *, model: Callable | None = None) -> MapPath:
    """Load a MAP path written by `save_map_path`; no code named in the file is run.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    model : callable, optional
        The model function, when it is not one of bayesreg's models nor registered (see
        `load_map`).

    Returns
    -------
    MapPath
        Equal to the saved one, field by field (arrays with their values and dtypes).

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
        When the stored model is not trusted and ``model`` is not given (``model`` is ``None``).

    See Also
    --------
    save_map_path : The inverse (an example is there).
    """
    result, decoder = _load_result(path, MAP_PATH_FORMAT, "MAP path", model, decode_map_path)
    warn_untrusted(decoder)
    return result


registry.register_node_type(
    registry.NodeType("MapResult", MapResult, encode_map_result, decode_map_result)
)
registry.register_result_type(
    registry.ResultType(
        MAP_FORMAT, "MAP result", lambda obj: isinstance(obj, MapResult), save_map, load_map
    )
)
registry.register_result_type(
    registry.ResultType(
        MAP_PATH_FORMAT,
        "MAP path",
        lambda obj: isinstance(obj, MapPath),
        save_map_path,
        load_map_path,
    )
)
