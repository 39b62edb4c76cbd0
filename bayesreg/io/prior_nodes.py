"""Header nodes for priors that are not distributions: a prior scale with a hyperprior.

A `bayesreg.priors.RandomScale` (``models.laplace(dist.HalfCauchy(1.0))``) is stored as the
node ``{"__type__": "RandomScale", "kind": <prior kind name>, "scales": {part: number or
distribution}, "names": {part: site name}, "loc": number or array}``. Reading it back asks
`bayesreg.priors.get` for the kind (a name, never code) and rebuilds it with the same checks as
the constructors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import priors
from ..priors.hierarchical import RandomScale, random_scale
from . import registry
from .schema import SchemaError, check_keys, check_type

__all__ = ["decode_random_scale", "encode_random_scale"]

_KEYS = {"__type__", "kind", "scales", "names", "loc"}


def encode_random_scale(encoder: Any, value: RandomScale, where: str) -> dict[str, Any]:
    """Encode a `RandomScale` as its node (module docstring)."""
    return {
        "__type__": "RandomScale",
        "kind": value.kind.name,
        "scales": {
            part: encoder.encode(scale, f"{where}.scales[{part!r}]")
            for part, scale in value.scales.items()
        },
        "names": dict(value.names),
        "loc": encoder.encode(value.loc, f"{where}.loc"),
    }


def decode_random_scale(decoder: Any, node: Mapping[str, Any], field: str) -> RandomScale:
    """Decode the node of a `RandomScale`, checking every field."""
    check_keys(node, field, _KEYS)
    name = check_type(node["kind"], str, f"{field}.kind", "a prior kind's name")
    try:
        kind = priors.get(name)
    except ValueError:
        raise SchemaError(f"{field}.kind", name, f"one of {list(priors.names())}") from None
    stored = check_type(node["scales"], dict, f"{field}.scales", "an object")
    if set(stored) != set(kind.parts):
        raise SchemaError(f"{field}.scales", sorted(stored), f"the parts {list(kind.parts)}")
    scales = {
        part: decoder.decode(stored[part], f"{field}.scales[{part!r}]", plain=True)
        for part in kind.parts
    }
    names = check_type(node["names"], dict, f"{field}.names", "an object")
    for part, site in names.items():
        check_type(site, str, f"{field}.names[{part!r}]", "a site name")
    loc = decoder.decode(node["loc"], f"{field}.loc", plain=True)
    try:
        return random_scale(kind, scales, names, loc)
    except (TypeError, ValueError) as error:
        raise SchemaError(field, "the stored prior", f"a valid prior ({error})") from None


registry.register_node_type(
    registry.NodeType("RandomScale", RandomScale, encode_random_scale, decode_random_scale)
)
