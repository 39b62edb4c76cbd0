"""The one table: each penalty convention, the prior kinds it expresses, and both directions.

A prior's penalty is its two parts (``bayesreg.priors.PenaltyParts``): an L1 scale ``b`` and an
L2 scale ``tau``, either absent (``None`` or ``inf``). A `Convention` turns ``(b, tau)``
into its parameters (`penalty_params`) and back (`prior_parts`), through the
conversion functions of this package, so estimators, the command line, ``verify`` and reports
never branch on a prior's name: they look the convention up here and ask
``bayesreg.priors.for_parts`` which prior kind the parts make.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

from ..priors import PenaltyParts, for_parts
from .gaussian import (
    elastic_net_params,
    elastic_net_prior_scales,
    lasso_alpha,
    lasso_prior_scale,
    ridge_alpha,
    ridge_prior_scale,
)
from .glm import logistic_params, logistic_prior_scales, poisson_alpha, poisson_prior_scale
from .glmnet import glmnet_params, glmnet_prior_scales

__all__ = [
    "CONVENTIONS",
    "Convention",
    "convention",
    "convention_for",
    "penalty_params",
    "prior_parts",
]


class Convention(NamedTuple):
    """One penalized-regression convention (a row of `CONVENTIONS`).

    Attributes
    ----------
    name : str
        Its key (``"ridge"``, ``"lasso"``, ``"elastic_net"``, ``"logistic"``, ``"poisson"``,
        ``"glmnet"``).
    label : str
        How the penalized fit is written (``"Ridge"``, ``"glmnet"``).
    params : tuple of str
        Its penalty parameters in order (``("alpha", "l1_ratio")``; glmnet ``("lambda", "alpha")``).
    likelihood : str
        The likelihood it belongs to: ``"linear"``, ``"logistic"``, ``"poisson"`` or ``"any"``.
    needs_n : bool
        Whether the conversion needs the number of rows ``n``.
    sigma : str
        ``"required"`` (the Gaussian noise sd), ``"optional"`` (default 1) or ``"none"``.
    priors : tuple of str
        The prior kinds it expresses; the first is the one it means by default.
    to_params : callable
        ``to_params(l1_scale, l2_scale, sigma, n)`` -> tuple of the parameters.
    to_parts : callable
        ``to_parts(params, sigma, n)`` -> ``(l1_scale, l2_scale)`` (``inf`` for an absent part).
    """

    name: str
    label: str
    params: tuple[str, ...]
    likelihood: str
    needs_n: bool
    sigma: str
    priors: tuple[str, ...]
    to_params: Callable[..., tuple[Any, ...]]
    to_parts: Callable[..., tuple[Any, Any]]


def _finite(scale: Any) -> Any:
    """``None`` for an absent part (``None`` or ``inf``), the scale otherwise."""
    if scale is None or np.all(np.isinf(np.asarray(scale, dtype=float))):
        return None
    return scale


CONVENTIONS: dict[str, Convention] = {
    c.name: c
    for c in (
        Convention(
            "ridge", "Ridge", ("alpha",), "linear", False, "required", ("gaussian",),
            lambda b, tau, sigma, n: (ridge_alpha(tau, sigma=sigma),),
            lambda p, sigma, n: (math.inf, ridge_prior_scale(p[0], sigma=sigma)),
        ),
        Convention(
            "lasso", "Lasso", ("alpha",), "linear", True, "required", ("laplace",),
            lambda b, tau, sigma, n: (lasso_alpha(b, sigma=sigma, n=n),),
            lambda p, sigma, n: (lasso_prior_scale(p[0], sigma=sigma, n=n), math.inf),
        ),
        Convention(
            "elastic_net", "ElasticNet", ("alpha", "l1_ratio"), "linear", True, "required",
            ("elastic_net", "laplace", "gaussian"),
            lambda b, tau, sigma, n: elastic_net_params(
                math.inf if b is None else b, math.inf if tau is None else tau, sigma=sigma, n=n
            ),
            lambda p, sigma, n: elastic_net_prior_scales(p[0], p[1], sigma=sigma, n=n),
        ),
        Convention(
            "logistic", "LogisticRegression", ("C", "l1_ratio"), "logistic", False, "none",
            ("gaussian", "laplace", "elastic_net"),
            lambda b, tau, sigma, n: logistic_params(l1_scale=b, l2_scale=tau),
            lambda p, sigma, n: logistic_prior_scales(p[0], p[1]),
        ),
        Convention(
            "poisson", "PoissonRegressor", ("alpha",), "poisson", True, "none", ("gaussian",),
            lambda b, tau, sigma, n: (poisson_alpha(tau, n=n),),
            lambda p, sigma, n: (math.inf, poisson_prior_scale(p[0], n=n)),
        ),
        Convention(
            "glmnet", "glmnet", ("lambda", "alpha"), "any", True, "optional",
            ("gaussian", "laplace", "elastic_net"),
            lambda b, tau, sigma, n: glmnet_params(l1_scale=b, l2_scale=tau, n=n, sigma=sigma),
            lambda p, sigma, n: glmnet_prior_scales(p[0], p[1], n=n, sigma=sigma),
        ),
    )
}  # fmt: skip


def convention(name: str) -> Convention:
    """Return the convention called ``name``; ``ValueError`` naming the choices otherwise."""
    try:
        return CONVENTIONS[name]
    except (KeyError, TypeError):
        choices = ", ".join(map(repr, CONVENTIONS))
        raise ValueError(f"convention must be one of {choices}; got {name!r}.") from None


def convention_for(likelihood: str, prior: str) -> Convention | None:
    """Return the convention in which a likelihood's penalized fit expresses a prior kind.

    Among the conventions of ``likelihood`` (then those for any likelihood, glmnet's) that
    express the prior kind named ``prior``, the one that means it by default (its first prior)
    wins: under a linear likelihood a Normal prior is ``"ridge"``, not the ``"elastic_net"``
    with ``l1_ratio=0``. ``None`` when no convention expresses it.

    Examples
    --------
    >>> convention_for("linear", "laplace").name
    'lasso'
    >>> convention_for("poisson", "laplace").name
    'glmnet'
    """
    candidates = [
        row
        for row in CONVENTIONS.values()
        if prior in row.priors and row.likelihood in (likelihood, "any")
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda row: (row.likelihood != likelihood, row.priors[0] != prior))


def penalty_params(
    name: str,
    parts: PenaltyParts | tuple[Any, Any],
    *,
    sigma: Any = 1.0,
    n: int | None = None,
) -> dict[str, Any]:
    """Return the parameters of convention ``name`` for a prior with penalty ``parts``.

    Parameters
    ----------
    name : str
        A key of `CONVENTIONS`.
    parts : PenaltyParts or (l1_scale, l2_scale)
        The prior's L1 scale ``b`` and L2 scale ``tau``; ``None`` or ``inf`` for an absent part.
    sigma : float, default 1.0
        The Gaussian noise sd (conventions with ``sigma="required"`` or ``"optional"``).
    n : int, optional
        The number of rows (conventions with ``needs_n``).

    Returns
    -------
    dict of str to float or ndarray
        ``{parameter: value}`` in the order of ``Convention.params``.

    Examples
    --------
    >>> penalty_params("lasso", (2.0, None), sigma=1.0, n=10)
    {'alpha': 0.05}
    >>> penalty_params("glmnet", (None, 2.0), n=10)
    {'lambda': 0.025, 'alpha': 0.0}
    """
    row = convention(name)
    b, tau = (_finite(parts[0]), _finite(parts[1]))
    if b is not None or tau is not None:  # neither: the conversion names both as missing
        kind = for_parts(b, tau).name
        if kind not in row.priors:
            raise ValueError(
                f"convention {name!r} ({row.label}) expresses the {' / '.join(row.priors)} "
                f"prior, not {kind} (l1_scale={parts[0]!r}, l2_scale={parts[1]!r}); "
                f"use a convention that lists {kind!r} in its priors."
            )
    values = row.to_params(b, tau, sigma, n)
    return dict(zip(row.params, values, strict=True))


def prior_parts(
    name: str, params: Mapping[str, Any], *, sigma: Any = 1.0, n: int | None = None
) -> PenaltyParts:
    """Return the prior penalty parts ``(b, tau)`` (``inf`` if absent) of convention ``name``.

    Examples
    --------
    >>> prior_parts("ridge", {"alpha": 4.0}, sigma=2.0)
    PenaltyParts(l1_scale=inf, l2_scale=1.0, loc=0.0)
    """
    row = convention(name)
    missing = [key for key in row.params if key not in params]
    if missing:
        raise ValueError(
            f"convention {name!r} needs the parameter(s) {', '.join(row.params)}; "
            f"{', '.join(missing)} missing."
        )
    b, tau = row.to_parts(tuple(params[key] for key in row.params), sigma, n)
    return PenaltyParts(b, tau)
