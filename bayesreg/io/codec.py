"""The value codec: JSON-able header trees plus a dict of arrays, and the names a file may use.

`Encoder` turns a value (None, bool, int, float, str, tuple, list, dict, NumPy / JAX arrays,
NumPyro distributions, and the kinds registered as `bayesreg.io.registry.NodeType`, e.g. a
MAP result) into JSON-able data, collecting its arrays; `Decoder` is its inverse and checks every
node it reads.

Nothing a file names is imported or called. A model function is stored as ``module:qualname``
and looked up among bayesreg's own models (already imported) and the functions registered with
`register_model`; a distribution class among the classes of ``numpyro.distributions`` and of
``bayesreg`` and those registered with `register_distribution` (`loaded_attribute` finds a
name only in a module that is already imported, under a trusted package).
"""

from __future__ import annotations

import inspect
import sys
import threading
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist

from . import registry
from .schema import NUMERIC_KINDS, SchemaError, check_keys, check_type

__all__ = [
    "REGISTERED_DISTRIBUTIONS",
    "REGISTERED_MODELS",
    "Decoder",
    "Encoder",
    "loaded_attribute",
    "reference",
    "register_distribution",
    "register_model",
    "trusted_distribution",
    "trusted_model",
    "untrusted_model_message",
    "warn_untrusted",
]


def reference(obj: Any) -> str | None:
    """Return the name ``module:qualname`` of a function or class (``None`` if it has none).

    bayesreg's own functions and classes are named by their public module, the shortest
    package above the defining module that exports them (``bayesreg.models:linear``,
    ``bayesreg.sklearn:BayesianLinearRegression``), so that a file's names do not depend on
    where inside a package the code lives.
    """
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str):
        return None
    if module.startswith("bayesreg."):
        parts = module.split(".")
        for end in range(1, len(parts)):
            parent = ".".join(parts[:end])
            if loaded_attribute(f"{parent}:{qualname}", (parent,)) is obj:
                return f"{parent}:{qualname}"
    return f"{module}:{qualname}"


_REGISTRY_LOCK = threading.Lock()
REGISTERED_MODELS: dict[str, Callable] = {}
"""The model functions trusted by `register_model`, by ``module:qualname`` (per process)."""
REGISTERED_DISTRIBUTIONS: dict[str, type] = {}
"""The distribution classes trusted by `register_distribution`, by ``module:qualname``."""


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
    name = reference(model)
    if not (inspect.isfunction(model) and name is not None):
        raise TypeError(
            f"register_model needs a model function (def ...); got {type(model).__name__}."
        )
    with _REGISTRY_LOCK:
        REGISTERED_MODELS[name] = model
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
        REGISTERED_DISTRIBUTIONS[str(reference(cls))] = cls
    return cls


def loaded_attribute(name: Any, packages: tuple[str, ...]) -> Any:
    """Look up ``module:qualname`` if its module is already imported and under ``packages``.

    Nothing is imported: a module that is not in ``sys.modules`` gives ``None``. Private names
    (a leading underscore) give ``None``.
    """
    if not isinstance(name, str):
        return None
    module_name, _, qualname = name.partition(":")
    if not any(module_name == p or module_name.startswith(p + ".") for p in packages):
        return None
    obj = sys.modules.get(module_name)
    for part in qualname.split("."):
        if obj is None or not part.isidentifier() or part.startswith("_"):
            return None
        obj = inspect.getattr_static(obj, part, None)
    return obj


def trusted_model(name: str) -> Callable | None:
    """Return the model function a file names if trusted (bayesreg's, registered), else None."""
    with _REGISTRY_LOCK:
        registered = REGISTERED_MODELS.get(name)
    if registered is not None:
        return registered
    obj = loaded_attribute(name, ("bayesreg.models",))
    if inspect.isfunction(obj) and obj.__module__.startswith("bayesreg.models"):
        return obj
    return None


def trusted_distribution(name: Any) -> type | None:
    """Return the distribution class a file names if trusted, else None."""
    with _REGISTRY_LOCK:
        registered = REGISTERED_DISTRIBUTIONS.get(name)
    if registered is not None:
        return registered
    cls = loaded_attribute(name, ("numpyro.distributions", "bayesreg"))
    if inspect.isclass(cls) and issubclass(cls, dist.Distribution):
        return cls
    return None


def untrusted_model_message(name: str) -> str:
    """Return the warning for a model a file names that is not trusted."""
    return (
        f"the model function {name} named in the file was not re-imported: loading runs no "
        "code a file names, and it is neither one of bayesreg's models nor registered; the "
        "loaded result has model=None. Pass model=<the function> to the loader, or call "
        "bayesreg.io.register_model(<the function>) before loading."
    )


def _node_tags() -> list[str]:
    return [kind.tag for kind in registry.node_types()]


class Encoder:
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
        """Encode ``value``; ``where`` names it in errors (``"fit.kwargs['prior']"``)."""
        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, int) and not isinstance(value, np.integer):
            return value
        if isinstance(value, float) and not isinstance(value, np.floating):
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
        node_type = registry.node_type_of(value)
        if node_type is not None:
            return node_type.encode(self, value, where)
        supported = ", ".join(["NumPyro distributions", *_node_tags()])
        raise TypeError(
            f"cannot save {where}: values of type {type(value).__qualname__} are not supported "
            "(supported: None, bool, int, float, str, tuple, list, dict, NumPy and JAX arrays, "
            f"{supported})."
        )

    def _distribution(self, value: dist.Distribution, where: str) -> dict[str, Any]:
        cls = type(value)
        fields = vars(value)
        return {
            "__type__": "distribution",
            "class": reference(cls),
            "data": {
                name: self.encode(fields.get(name), f"{where}.{name}")
                for name in sorted(cls.gather_pytree_data_fields())
            },
            "aux": {
                name: self.encode(fields.get(name), f"{where}.{name}")
                for name in sorted(cls.gather_pytree_aux_fields())
            },
        }


class Decoder:
    """Inverse of `Encoder`, given the arrays it collected; checks every node it reads.

    The model of a stored result (a MAP result, a posterior) is ``model`` when given; else, with
    ``required`` (an estimator's own model and its class name), that model, the file having to
    name it; else the trusted function the file names, or ``None``, the untrusted names being
    collected in ``untrusted`` (the loader warns once, with `warn_untrusted`).
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

    def model_for(self, name: Any, field: str) -> Callable | None:
        """Return the model of a stored result whose file names ``name``."""
        if self.required is not None:
            own_model, owner = self.required
            if name != reference(own_model):
                expected = f"{reference(own_model)!r}, the model of {owner}"
                raise SchemaError(field, name, expected)
            return own_model
        if self.model is not None:
            return self.model
        if name is None:
            return None
        model = trusted_model(check_type(name, str, field, "a name module:qualname"))
        if model is None:
            self.untrusted.append(name)
        return model

    def _array(self, node: Mapping[str, Any], tag: str, field: str, plain: bool) -> Any:
        check_keys(node, field, {"__type__", "key"}, frozenset({"object"}))
        key = node["key"]
        if not isinstance(key, str) or key not in self.arrays:
            raise SchemaError(f"{field}.key", key, "the name of an array in the file")
        array = self.arrays[key]
        as_object = node.get("object", False)
        check_type(as_object, bool, f"{field}.object", "a boolean")
        kinds = NUMERIC_KINDS if plain or tag == "jax" else "biufcUS"
        if array.dtype.kind not in kinds or (as_object and array.dtype.kind != "U"):
            raise SchemaError(field, array, "a numeric array" if plain else "a stored array")
        if tag == "jax":
            return jnp.asarray(array)
        if tag == "numpy_scalar":
            if array.ndim != 0:
                raise SchemaError(field, array, "a NumPy scalar (shape ())")
            return array[()]
        return array.astype(object) if as_object else array

    def decode(self, node: Any, field: str, *, plain: bool = False) -> Any:
        """Decode ``node``; ``plain``: only numbers, arrays, sequences and distributions."""
        if node is None or isinstance(node, bool | int):
            return node
        if isinstance(node, str) and not plain:
            return node
        if not isinstance(node, dict):
            raise SchemaError(field, node, "a number, an array or None" if plain else "a value")
        tag = node.get("__type__")
        if tag == "float":
            check_keys(node, field, {"__type__", "value"})
            text = node["value"]
            try:
                return float(check_type(text, str, f"{field}.value", "a number's repr"))
            except ValueError:
                raise SchemaError(f"{field}.value", text, "a number's repr") from None
        if tag in ("tuple", "list"):
            check_keys(node, field, {"__type__", "items"})
            items = check_type(node["items"], list, f"{field}.items", "a list")
            values = [self.decode(v, f"{field}[{i}]", plain=plain) for i, v in enumerate(items)]
            return tuple(values) if tag == "tuple" else values
        if tag in ("ndarray", "jax", "numpy_scalar"):
            return self._array(node, tag, field, plain)
        if tag == "distribution":
            return self._distribution(node, field)
        if tag == "dict" and not plain:
            check_keys(node, field, {"__type__", "items"})
            items = check_type(node["items"], dict, f"{field}.items", "an object")
            return {k: self.decode(v, f"{field}[{k!r}]") for k, v in items.items()}
        node_type = None if plain else registry.node_type_tagged(tag)
        if node_type is not None:
            return node_type.decode(self, node, field)
        tags = ", ".join(
            ["float, tuple, list, dict, ndarray, jax, numpy_scalar, distribution", *_node_tags()]
        )
        raise SchemaError(
            f"{field}.__type__", tag,
            "a number, an array or a distribution" if plain else f"one of {tags}",
        )  # fmt: skip

    def _distribution(self, node: Mapping[str, Any], field: str) -> dist.Distribution:
        check_keys(node, field, {"__type__", "class", "data", "aux"})
        cls = trusted_distribution(node["class"])
        if cls is None:
            raise SchemaError(
                f"{field}.class", node["class"], "a class of numpyro.distributions or bayesreg "
                "(or one registered with bayesreg.io.register_distribution)"
            )  # fmt: skip
        fields = {}
        for part, names in (
            ("data", cls.gather_pytree_data_fields()),
            ("aux", cls.gather_pytree_aux_fields()),
        ):
            stored = check_type(node[part], dict, f"{field}.{part}", "an object")
            if set(stored) != set(names):
                expected = f"the fields {sorted(names)} of {cls.__name__}"
                raise SchemaError(f"{field}.{part}", sorted(stored), expected)
            for name in names:
                fields[name] = self.decode(stored[name], f"{field}.{name}", plain=True)
        return cls.tree_unflatten(
            tuple(fields[name] for name in cls.gather_pytree_aux_fields()),
            tuple(fields[name] for name in cls.gather_pytree_data_fields()),
        )


def warn_untrusted(decoder: Decoder) -> None:
    """Warn once per untrusted model name the decoder met (for the caller of the loader)."""
    for name in dict.fromkeys(decoder.untrusted):
        warnings.warn(untrusted_model_message(name), UserWarning, stacklevel=3)
