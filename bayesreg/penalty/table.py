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
        ``to_params(l1_scale, l2_scale, sigma, n, y_sd)`` -> tuple of the parameters.
    to_parts : callable
        ``to_parts(params, sigma, n, y_sd)`` -> ``(l1_scale, l2_scale)`` (``inf`` for an absent
        part).
    rescales_y : bool
        Whether its Gaussian fit divides ``y`` by its sd internally (glmnet), so that the
        conversion needs that sd, ``y_sd`` (`bayesreg.penalty.glmnet_y_sd`), whenever the
        ``y`` it was given is not standardized. scikit-learn fits ``y`` as given.
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
    rescales_y: bool = False


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
            lambda b, tau, sigma, n, y_sd: (ridge_alpha(tau, sigma=sigma),),
            lambda p, sigma, n, y_sd: (math.inf, ridge_prior_scale(p[0], sigma=sigma)),
        ),
        Convention(
            "lasso", "Lasso", ("alpha",), "linear", True, "required", ("laplace",),
            lambda b, tau, sigma, n, y_sd: (lasso_alpha(b, sigma=sigma, n=n),),
            lambda p, sigma, n, y_sd: (lasso_prior_scale(p[0], sigma=sigma, n=n), math.inf),
        ),
        Convention(
            "elastic_net", "ElasticNet", ("alpha", "l1_ratio"), "linear", True, "required",
            ("elastic_net", "laplace", "gaussian"),
            lambda b, tau, sigma, n, y_sd: elastic_net_params(
                math.inf if b is None else b, math.inf if tau is None else tau, sigma=sigma, n=n
            ),
            lambda p, sigma, n, y_sd: elastic_net_prior_scales(p[0], p[1], sigma=sigma, n=n),
        ),
        Convention(
            "logistic", "LogisticRegression", ("C", "l1_ratio"), "logistic", False, "none",
            ("gaussian", "laplace", "elastic_net"),
            lambda b, tau, sigma, n, y_sd: logistic_params(l1_scale=b, l2_scale=tau),
            lambda p, sigma, n, y_sd: logistic_prior_scales(p[0], p[1]),
        ),
        Convention(
            "poisson", "PoissonRegressor", ("alpha",), "poisson", True, "none", ("gaussian",),
            lambda b, tau, sigma, n, y_sd: (poisson_alpha(tau, n=n),),
            lambda p, sigma, n, y_sd: (math.inf, poisson_prior_scale(p[0], n=n)),
        ),
        Convention(
            "glmnet", "glmnet", ("lambda", "alpha"), "any", True, "optional",
            ("gaussian", "laplace", "elastic_net"),
            lambda b, tau, sigma, n, y_sd: glmnet_params(
                l1_scale=b, l2_scale=tau, n=n, sigma=sigma, y_sd=y_sd
            ),
            lambda p, sigma, n, y_sd: glmnet_prior_scales(
                p[0], p[1], n=n, sigma=sigma, y_sd=y_sd
            ),
            rescales_y=True,
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


def _y_sd(row: Convention, y_sd: Any) -> Any:
    """Return ``y_sd`` for a convention that rescales ``y`` (default 1); refuse it elsewhere."""
    if row.rescales_y:
        return 1.0 if y_sd is None else y_sd
    if y_sd is not None:
        rescaling = [c.name for c in CONVENTIONS.values() if c.rescales_y]
        raise ValueError(
            f"y_sd={y_sd!r} applies only to conventions that standardize y internally "
            f"({', '.join(map(repr, rescaling))}); convention {row.name!r} ({row.label}) fits y "
            "as given, so leave y_sd out."
        )
    return None


def penalty_params(
    name: str,
    parts: PenaltyParts | tuple[Any, Any],
    *,
    sigma: Any = 1.0,
    n: int | None = None,
    y_sd: Any = None,
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
    y_sd : float, optional
        For conventions with ``rescales_y`` (glmnet): the sd glmnet divides a gaussian ``y``
        by, `bayesreg.penalty.glmnet_y_sd` of the ``y`` given to it. Leave it out (1) when that
        ``y`` is standardized or the family is binomial / poisson; refused for the others.

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
    >>> penalty_params("glmnet", (None, 2.0), sigma=3.0, n=10, y_sd=4.0)  # raw gaussian y
    {'lambda': 0.9, 'alpha': 0.0}
    """
    row = convention(name)
    y_sd = _y_sd(row, y_sd)
    b, tau = (_finite(parts[0]), _finite(parts[1]))
    if b is not None or tau is not None:  # neither: the conversion names both as missing
        kind = for_parts(b, tau).name
        if kind not in row.priors:
            raise ValueError(
                f"convention {name!r} ({row.label}) expresses the {' / '.join(row.priors)} "
                f"prior, not {kind} (l1_scale={parts[0]!r}, l2_scale={parts[1]!r}); "
                f"use a convention that lists {kind!r} in its priors."
            )
    values = row.to_params(b, tau, sigma, n, y_sd)
    return dict(zip(row.params, values, strict=True))


def prior_parts(
    name: str,
    params: Mapping[str, Any],
    *,
    sigma: Any = 1.0,
    n: int | None = None,
    y_sd: Any = None,
) -> PenaltyParts:
    """Return the prior penalty parts ``(b, tau)`` (``inf`` if absent) of convention ``name``.

    ``sigma``, ``n`` and ``y_sd`` as for `penalty_params`: give ``y_sd``
    (`bayesreg.penalty.glmnet_y_sd`) for a gaussian glmnet fit on a ``y`` that is not
    standardized.

    Examples
    --------
    >>> prior_parts("ridge", {"alpha": 4.0}, sigma=2.0)
    PenaltyParts(l1_scale=inf, l2_scale=1.0, loc=0.0)
    >>> prior_parts("glmnet", {"lambda": 0.9, "alpha": 0.0}, sigma=3.0, n=10, y_sd=4.0)
    PenaltyParts(l1_scale=inf, l2_scale=2.0, loc=0.0)
    """
    row = convention(name)
    y_sd = _y_sd(row, y_sd)
    missing = [key for key in row.params if key not in params]
    if missing:
        raise ValueError(
            f"convention {name!r} needs the parameter(s) {', '.join(row.params)}; "
            f"{', '.join(missing)} missing."
        )
    b, tau = row.to_parts(tuple(params[key] for key in row.params), sigma, n, y_sd)
    return PenaltyParts(b, tau)
