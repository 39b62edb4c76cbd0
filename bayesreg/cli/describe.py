"""Priors and penalized fits as the command line writes them, asked of the kinds and the table.

A prior on the command line is ``--prior NAME --scale S [--l2-scale T]``: ``--scale`` is the
first penalty part of the kind (``tau`` of ``gaussian``, ``b`` of ``laplace`` and
``elastic_net``), ``--l2-scale`` its second. Nothing here names a prior or a convention: the
prior kinds (``bayesreg.priors``) say their parts and labels, the table of conventions
(``bayesreg.penalty.CONVENTIONS``) says which penalized fit a kind's MAP equals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .. import priors
from ..penalty import Convention
from ..priors import PenaltyParts, PriorKind

__all__ = [
    "SCALE_OPTIONS",
    "parts_of",
    "penalty_call",
    "prior_options",
    "prior_text",
    "prior_words",
    "scale_symbol",
    "scale_text",
    "two_scale_priors",
]

#: The argparse dests of a kind's penalty parts, in the kind's order.
SCALE_OPTIONS = ("scale", "l2_scale")

#: glmnet's ``family`` for each likelihood of ``bayesreg.models``.
GLMNET_FAMILIES = {"linear": "gaussian", "logistic": "binomial", "poisson": "poisson"}


def two_scale_priors() -> str:
    """Name the kinds with two penalty parts, for messages: ``"elastic_net"``."""
    return ", ".join(name for name in priors.names() if len(priors.get(name).parts) > 1)


def parts_of(kind: PriorKind, scales: Sequence[float]) -> PenaltyParts:
    """Return the parts ``(b, tau)`` of ``kind`` with ``scales`` in its order, ``inf`` if absent."""
    given = dict(zip(kind.parts, scales, strict=True))
    return PenaltyParts(given.get("l1_scale", math.inf), given.get("l2_scale", math.inf))


def scale_symbol(kind: PriorKind, part: str) -> str:
    """Return the symbol of a part: ``"b"`` (``l1_scale``) or ``"tau"`` (``l2_scale``)."""
    return kind.scale_labels[part].split()[-1]


def scale_text(
    kind: PriorKind, parts: PenaltyParts, number: Callable[[float], str], sep: str = " = "
) -> str:
    """Write the kind's scales: ``"b = 5, tau = 50"``, each value written by ``number``."""
    return ", ".join(
        f"{scale_symbol(kind, part)}{sep}{number(getattr(parts, part))}" for part in kind.parts
    )


def prior_text(kind: PriorKind, parts: PenaltyParts) -> str:
    """Write the prior briefly: ``"Laplace(0, b) (b = 20)"``."""
    return f"{kind.label} ({scale_text(kind, parts, '{:g}'.format)})"


def prior_words(kind: PriorKind, parts: PenaltyParts, number: Callable[[float], str]) -> str:
    """Write the prior in words: ``"a Laplace(0, b) prior, b = 20"``."""
    article = "an" if kind.label[0].lower() in "aeiou" else "a"
    return f"{article} {kind.label} prior, {scale_text(kind, parts, number)}"


def prior_options(kind: PriorKind, parts: PenaltyParts, number: Callable[[float], str]) -> str:
    """Write the prior as ``bayesreg fit`` options: ``"--prior laplace --scale 20"``."""
    options = [f"--prior {kind.name}"]
    for dest, part in zip(SCALE_OPTIONS, kind.parts, strict=False):
        options.append(f"--{dest.replace('_', '-')} {number(getattr(parts, part))}")
    return " ".join(options)


def penalty_call(
    convention: Convention,
    params: Mapping[str, Any],
    number: Callable[[float], str],
    *,
    likelihood: str | None = None,
    intercept: bool = True,
) -> str:
    """Write the penalized fit as a call: ``"Lasso(alpha=0.1)"``, ``"glmnet(...)"``.

    A convention for any likelihood (glmnet) is one function for every family: it names the
    ``family`` of ``likelihood`` (when given) and is written unstandardized; a convention of
    one likelihood (scikit-learn) says ``fit_intercept=False`` when the model has no intercept.
    """
    arguments = [f"{key}={number(value)}" for key, value in params.items()]
    if convention.likelihood == "any":
        if likelihood is not None:
            arguments.insert(0, f'family="{GLMNET_FAMILIES[likelihood]}"')
        arguments.append("standardize=FALSE")
    elif not intercept:
        arguments.append("fit_intercept=False")
    return f"{convention.label}({', '.join(arguments)})"
