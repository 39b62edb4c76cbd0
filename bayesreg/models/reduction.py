"""A model's own arguments, asked of the model: defaults written out, and cheaper equivalents.

A model function may declare ``model.resolve_arguments(args, kwargs) -> kwargs``: its defaults
that depend on the data written out as explicit values (`bayesreg.models.linear`: the
``HalfNormal(sd(y))`` prior of an unknown ``sigma``), so that a result states what was assumed
and a prediction (``y=None``) can reuse it. `resolved_arguments` asks for it.

A model function may declare the capability as an attribute, ``model.reduce_arguments``:

    reduce_arguments(args, kwargs, *, min_rows_per_feature, max_features) -> (args, kwargs) | None

returning arguments under which the model computes the same log density (to rounding) more
cheaply, or ``None`` where that does not apply. `bayesreg.models.linear` declares one (its
Gaussian likelihood from `bayesreg.data.GaussianStatistics`); a user's model may declare its
own. `reduced_arguments` asks the model, so inference code never names a model or a keyword.

A model may also declare ``model.gibbs_target(args, kwargs) -> GibbsTarget | str``: itself as a
Gaussian linear model with a prior that has Gibbs conditionals (`bayesreg.priors.GibbsTarget`),
or why it is not one, in words. `gibbs_target` asks for it (the Gibbs sampler,
`bayesreg.sample.kernels.gibbs`); `bayesreg.models.linear` and `bayesreg.models.bayesian_lasso`
declare one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["STATISTICS_MAX_FEATURES", "gibbs_target", "reduced_arguments", "resolved_arguments"]

#: The Gram matrix pays off when a gradient through it (O(p²)) is cheaper than one through X
#: (O(np)), and is kept only while it is small (p = 4096 is 128 MiB in float64).
STATISTICS_MAX_FEATURES = 4096


def resolved_arguments(model: Callable, args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Return ``kwargs`` with the model's data-dependent defaults written out.

    Calls ``model.resolve_arguments`` (see the module docstring) when the model declares it;
    a model that does not gets its ``kwargs`` back unchanged.

    Examples
    --------
    >>> import numpy as np, bayesreg as br
    >>> X, y = np.ones((4, 1)), np.array([0.0, 2.0, 0.0, 2.0])
    >>> kwargs = resolved_arguments(br.models.linear, (X, y), {"prior": br.models.laplace(1.0)})
    >>> float(kwargs["sigma"].scale)  # HalfNormal(sd(y))
    1.0
    """
    resolve = getattr(model, "resolve_arguments", None)
    return kwargs if resolve is None else resolve(args, kwargs)


def reduced_arguments(
    model: Callable,
    args: tuple,
    kwargs: dict[str, Any],
    *,
    min_rows_per_feature: float = 1.0,
    max_features: int = STATISTICS_MAX_FEATURES,
) -> tuple[tuple, dict[str, Any]] | None:
    """Return the model's own cheaper arguments for the same density, or ``None``.

    Calls ``model.reduce_arguments`` (see the module docstring) when the model declares it;
    ``None`` for a model that does not. The caller's ``kwargs`` are left unchanged.

    Parameters
    ----------
    model : callable
        A NumPyro model function.
    args, kwargs
        Its positional and keyword arguments, already validated.
    min_rows_per_feature : float
        Cost hint: a reduction that replaces ``n`` rows by ``p x p`` statistics applies only when
        ``n > min_rows_per_feature * (p + 1)`` (one MAP solve asks for 2, since the statistics
        cost as much as tens of gradients; many solves or a sampler for 1).
    max_features : int
        Cost hint: such a reduction applies only when ``p <= max_features`` (memory).

    Returns
    -------
    tuple or None
        ``(args, kwargs)`` for the same log density, or ``None``.

    Examples
    --------
    >>> import numpy as np, bayesreg as br
    >>> X, y = np.random.default_rng(0).normal(size=(20, 2)), np.arange(20.0)
    >>> kwargs = {"prior": br.models.laplace(1.0), "sigma": 1.0}
    >>> _, reduced = reduced_arguments(br.models.linear, (X, y), kwargs)
    >>> sorted(reduced)
    ['prior', 'sigma', 'sufficient_statistics']
    >>> reduced_arguments(br.models.logistic, (X, y > 10), kwargs) is None
    True
    """
    reduce = getattr(model, "reduce_arguments", None)
    if reduce is None:
        return None
    return reduce(
        args, kwargs, min_rows_per_feature=min_rows_per_feature, max_features=max_features
    )


def gibbs_target(model: Callable, args: tuple, kwargs: dict[str, Any]) -> Any:
    """Return the model as a `bayesreg.priors.GibbsTarget`, or why it has none (a string).

    Calls ``model.gibbs_target`` (see the module docstring) when the model declares it.
    """
    ask = getattr(model, "gibbs_target", None)
    if ask is None:
        name = getattr(model, "__name__", type(model).__name__)
        return (
            f"the model {name!r} declares no Gibbs target (model.gibbs_target); the Gibbs "
            "sampler runs bayesreg.models.linear (with a gaussian, laplace, elastic_net, "
            "horseshoe, horseshoe_plus or student_t prior) and bayesreg.models.bayesian_lasso"
        )
    return ask(args, kwargs)
