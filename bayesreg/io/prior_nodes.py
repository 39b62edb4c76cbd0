"""Header nodes for priors that are not distributions: a random scale, a shrinkage prior.

A `bayesreg.priors.ShrinkagePrior` (``models.horseshoe()``) is stored as ``{"__type__":
"ShrinkagePrior", "name": <its name>, "params": {name: number or null}}`` and rebuilt by
`bayesreg.priors.shrinkage` (a name and checked numbers, never code).

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
from ..priors.shrinkage import ShrinkagePrior
from . import registry
from .schema import SchemaError, check_keys, check_type

__all__ = [
    "decode_random_scale",
    "decode_shrinkage_prior",
    "encode_random_scale",
    "encode_shrinkage_prior",
]

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


_SHRINKAGE_KEYS = {"__type__", "name", "params"}


def encode_shrinkage_prior(encoder: Any, value: ShrinkagePrior, where: str) -> dict[str, Any]:
    """Encode a `ShrinkagePrior` as ``{"__type__": "ShrinkagePrior", "name", "params"}``."""
    return {
        "__type__": "ShrinkagePrior",
        "name": value.name,
        "params": {
            key: encoder.encode(param, f"{where}.params[{key!r}]")
            for key, param in value.params.items()
        },
    }


def decode_shrinkage_prior(decoder: Any, node: Mapping[str, Any], field: str) -> ShrinkagePrior:
    """Decode the node of a `ShrinkagePrior`: a name (never code) and checked parameters."""
    check_keys(node, field, _SHRINKAGE_KEYS)
    name = check_type(node["name"], str, f"{field}.name", "a shrinkage prior's name")
    if name not in priors.shrinkage_names():
        raise SchemaError(f"{field}.name", name, f"one of {list(priors.shrinkage_names())}")
    stored = check_type(node["params"], dict, f"{field}.params", "an object")
    params = {
        key: decoder.decode(value, f"{field}.params[{key!r}]", plain=True)
        for key, value in stored.items()
    }
    try:
        return priors.shrinkage(name, **params)
    except (TypeError, ValueError) as error:
        raise SchemaError(field, "the stored prior", f"a valid prior ({error})") from None


registry.register_node_type(
    registry.NodeType(
        "ShrinkagePrior", ShrinkagePrior, encode_shrinkage_prior, decode_shrinkage_prior
    )
)
