"""The registry of savable result types: format name <-> class <-> save / load functions.

Each kind of object that ``bayesreg.io`` saves is one `ResultType`: the format name written in
its files (``"bayesreg.MapResult"``), a test for the objects it saves, its saver and loader, and
how messages name it. Kinds that may also appear *inside* another file's header (a MAP result is
an estimator's ``map_``) register a `NodeType`: the ``"__type__"`` tag of their header node and
the functions that encode and decode it with a codec.

This module is a leaf: the savers register themselves when their module is imported
(``bayesreg.io`` imports them all), so the generic `bayesreg.io.save` / `bayesreg.io.load`
and the codec find them here without importing the modules that define the classes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "NodeType",
    "ResultType",
    "node_type_of",
    "node_type_tagged",
    "node_types",
    "register_node_type",
    "register_result_type",
    "result_type_named",
    "result_type_of",
    "result_types",
]


@dataclass(frozen=True)
class ResultType:
    """One savable kind of object.

    Attributes
    ----------
    format : str
        The format name written in its files, e.g. ``"bayesreg.MapResult"``.
    what : str
        How messages name a file of this kind (``"MAP result"``: "not a readable bayesreg
        MAP result file").
    accepts : callable
        ``accepts(obj) -> bool``: whether ``obj`` is an object of this kind.
    save : callable
        ``save(obj, path, **options)``.
    load : callable
        ``load(path, **options)``.
    """

    format: str
    what: str
    accepts: Callable[[Any], bool]
    save: Callable[..., None]
    load: Callable[..., Any]

    @property
    def loader_name(self) -> str:
        """The public name of the loader in ``bayesreg.io`` (``"load_map"``)."""
        return self.load.__name__


@dataclass(frozen=True)
class NodeType:
    """A kind of object stored as a tagged node inside a header (``{"__type__": tag, ...}``).

    Attributes
    ----------
    tag : str
        The node's ``"__type__"``, e.g. ``"MapResult"``.
    cls : type
        The class of the objects (instances of subclasses are encoded as this node too).
    encode : callable
        ``encode(encoder, value, where) -> dict``: the JSON-able node.
    decode : callable
        ``decode(decoder, node, field) -> value``, checking every field it reads.
    """

    tag: str
    cls: type
    encode: Callable[[Any, Any, str], dict[str, Any]]
    decode: Callable[[Any, Any, str], Any]


_LOCK = threading.Lock()
_RESULT_TYPES: dict[str, ResultType] = {}
_NODE_TYPES: dict[str, NodeType] = {}


def register_result_type(result_type: ResultType) -> ResultType:
    """Register a savable kind of object (replacing one of the same format name)."""
    with _LOCK:
        _RESULT_TYPES[result_type.format] = result_type
    return result_type


def register_node_type(node_type: NodeType) -> NodeType:
    """Register a kind of object that headers may hold as a tagged node."""
    with _LOCK:
        _NODE_TYPES[node_type.tag] = node_type
    return node_type


def result_types() -> tuple[ResultType, ...]:
    """Return every registered result type, in the order registered."""
    with _LOCK:
        return tuple(_RESULT_TYPES.values())


def result_type_named(name: Any) -> ResultType | None:
    """Return the result type whose format name is ``name``, or ``None``."""
    if not isinstance(name, str):
        return None
    with _LOCK:
        return _RESULT_TYPES.get(name)


def result_type_of(obj: Any) -> ResultType | None:
    """Return the result type that saves ``obj``, or ``None``."""
    return next((kind for kind in result_types() if kind.accepts(obj)), None)


def node_types() -> tuple[NodeType, ...]:
    """Return every registered node type, in the order registered."""
    with _LOCK:
        return tuple(_NODE_TYPES.values())


def node_type_tagged(tag: Any) -> NodeType | None:
    """Return the node type of ``"__type__": tag``, or ``None``."""
    if not isinstance(tag, str):
        return None
    with _LOCK:
        return _NODE_TYPES.get(tag)


def node_type_of(value: Any) -> NodeType | None:
    """Return the node type that encodes ``value`` (an instance of its class), or ``None``."""
    return next((kind for kind in node_types() if isinstance(value, kind.cls)), None)
