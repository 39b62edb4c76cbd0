"""Sampler options: checked against the kernel's, and kept apart from the model's arguments."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from .kernel import check_options
from .kernels import conjugate, gibbs, nuts

__all__ = [
    "SAMPLER_OPTIONS",
    "gibbs_options_from",
    "nuts_options_from",
    "refuse_sampler_options_as_model_arguments",
]

# the options of the kernels other than NUTS, by method, with the name their errors use
OTHER_KERNELS = {"exact": (conjugate.OPTIONS, "exact"), "gibbs": (gibbs.OPTIONS, "Gibbs")}
# every kernel's options: a model keyword of one of these names is refused unless the model takes it
SAMPLER_OPTIONS = tuple(
    dict.fromkeys(
        [*nuts.OPTIONS, *(name for options, _ in OTHER_KERNELS.values() for name in options)]
    )
)


def nuts_options_from(
    method: str,
    sampler_options: Mapping[str, Any] | None,
    *,
    target_accept_prob: Any,
    max_tree_depth: Any,
) -> dict[str, Any]:
    """NUTS's options from ``sampler_options`` and the two keywords, all checked.

    With ``method="exact"`` or ``"gibbs"``, ``sampler_options`` must be that kernel's (neither
    has any) and the result is empty; with ``"auto"`` they are NUTS's (the kernels ``"auto"``
    may pick instead ignore them); the keywords are checked whatever the method.
    """
    if sampler_options is None:
        sampler_options = {}
    if not isinstance(sampler_options, Mapping):
        raise ValueError(
            "sampler_options must be a mapping of option names to values (e.g. "
            f"{{'dense_mass': True}}) or None; got {type(sampler_options).__name__}."
        )
    keywords = {"target_accept_prob": target_accept_prob, "max_tree_depth": max_tree_depth}
    for name, value in keywords.items():
        if name in sampler_options and value != nuts.DEFAULTS[name]:
            raise ValueError(
                f"{name} is given twice, as a keyword ({value!r}) and in sampler_options "
                f"({sampler_options[name]!r}); give it once."
            )
    check_options(keywords, nuts.OPTIONS, "NUTS")  # bad keywords fail whichever kernel runs
    if method in OTHER_KERNELS:
        check_options(sampler_options, *OTHER_KERNELS[method])
        return {}
    return check_options({**keywords, **sampler_options}, nuts.OPTIONS, "NUTS")


def gibbs_options_from(method: str, sampler_options: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the Gibbs sampler's options: those given with ``method="gibbs"``, else none.

    Under ``method="auto"`` ``sampler_options`` are NUTS's, so a Gibbs sampler that ``"auto"``
    picks runs with its defaults.
    """
    if method != "gibbs" or not sampler_options:
        return {}
    return check_options(sampler_options, gibbs.OPTIONS, "Gibbs")


def _takes_keyword(model: Callable[..., Any], name: str) -> bool:
    try:
        parameters = inspect.signature(model).parameters
    except (TypeError, ValueError):  # no signature to read: let the model decide
        return True
    if name in parameters:
        return parameters[name].kind is not inspect.Parameter.POSITIONAL_ONLY
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def refuse_sampler_options_as_model_arguments(
    model: Callable[..., Any], model_kwargs: Mapping[str, Any]
) -> None:
    """Refuse a model keyword named like a sampler option that the model does not take."""
    misplaced = [
        name for name in model_kwargs if name in SAMPLER_OPTIONS and not _takes_keyword(model, name)
    ]
    if misplaced:
        given = ", ".join(f"{name!r}: {model_kwargs[name]!r}" for name in misplaced)
        raise ValueError(
            f"{', '.join(misplaced)} is a sampler option, not an argument of the model "
            f"{getattr(model, '__name__', model)!r}: pass sampler_options={{{given}}} instead."
        )
