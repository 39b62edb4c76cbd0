r"""``bayesreg fit --prior horseshoe | horseshoe-plus | regularized-horseshoe | student-t | r2d2``.

The shrinkage priors of `bayesreg.priors` on the command line. Each parameter of a prior's
constructor is one option of the same name (``global_scale`` is ``--global-scale``; Student-t's
``scale`` is the ``--scale`` every prior has), accepted only with a prior that takes it: which
parameters a prior takes is asked of the prior (its ``params``), never written here per name.
A parameter left out keeps the constructor's default.

A prior with no MAP (``map_exists`` false: the horseshoe's density is infinite at zero) is
reported by its posterior alone, with one line saying why there is no MAP; Student-t has a
smooth mode and is reported as the Gaussian and Laplace priors are.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

from .. import priors
from .options import UsageError, flag, positive_float

__all__ = [
    "PARAMETERS",
    "add_prior_options",
    "check_nonzero",
    "cli_name",
    "parameters_of",
    "prior_choices",
    "shrinkage_prior",
    "shrinkage_text",
    "site_text",
    "without_map",
]

#: The options of the shrinkage priors' parameters: dest -> (argparse type, what it is).
#: ``scale`` is ``--scale``, shared with the priors of `bayesreg.priors.names`.
PARAMETERS: dict[str, tuple[Callable[[str], float], str]] = {
    "global_scale": (
        positive_float,
        "scale of the global shrinkage tau (under --likelihood linear in units of the noise sd)",
    ),
    "nonzero": (
        positive_float,
        "a guess p0 of the number of nonzero weights, 0 < p0 < p: sets the global scale to "
        "p0 / (p - p0) / sqrt(n) (Piironen & Vehtari 2017); not with --global-scale",
    ),
    "slab_scale": (positive_float, "the slab's scale: the prior sd of weights far from zero"),
    "slab_df": (
        positive_float,
        "degrees of freedom of the slab, c^2 ~ InverseGamma(slab_df/2, slab_df slab_scale^2/2)",
    ),
    "df": (positive_float, "degrees of freedom of the Student-t"),
    "r2_mean": (positive_float, "prior mean of R^2, in (0, 1)"),
    "r2_precision": (positive_float, "prior precision of R^2 (the Beta prior's a + b)"),
    "concentration": (
        positive_float,
        "Dirichlet concentration of the weights' shares of the variance",
    ),
}


def cli_name(name: str) -> str:
    """Spell a prior's name as the help shows it: ``"horseshoe_plus"`` -> ``"horseshoe-plus"``."""
    return name.replace("_", "-")


def prior_choices() -> tuple[str, ...]:
    """Return every ``--prior`` name: the penalty kinds, then the shrinkage priors."""
    return tuple(dict.fromkeys((*priors.names(), *priors.shrinkage_names())))


def without_map() -> tuple[str, ...]:
    """Return the shrinkage priors that have no MAP (``map_exists`` false)."""
    return tuple(n for n in priors.shrinkage_names() if not priors.shrinkage(n).map_exists)


def parameters_of(name: str) -> tuple[str, ...]:
    """Return the parameters the shrinkage prior ``name`` takes, asked of its constructor."""
    return tuple(priors.shrinkage(name).params)


def _takers(dest: str) -> str:
    return ", ".join(cli_name(n) for n in priors.shrinkage_names() if dest in parameters_of(n))


def add_prior_options(parser: argparse.ArgumentParser) -> None:
    """Add one option per parameter of `PARAMETERS`, its help naming the priors that take it."""
    group = parser.add_argument_group(
        "shrinkage prior parameters",
        "each accepted only with a --prior that takes it; left out, the prior's default "
        "(see bayesreg.priors)",
    )
    for dest, (kind, meaning) in PARAMETERS.items():
        group.add_argument(
            flag(dest), type=kind, metavar=dest.upper(), help=f"{meaning} ({_takers(dest)})"
        )


def shrinkage_prior(args: argparse.Namespace) -> Any:
    """Return the shrinkage prior ``--prior`` names with its options, or ``None`` for a kind.

    Refuses (`UsageError`) a parameter option given to a prior that does not take it, the
    penalty options (``--l2-scale``, ``--scale METHOD``) with a shrinkage prior, and
    ``--samples 0`` with a prior that has no MAP (its fit is its posterior).
    """
    name = args.prior
    given = [dest for dest in PARAMETERS if getattr(args, dest) is not None]
    if name not in priors.shrinkage_names():
        if given:
            dest = given[0]
            raise UsageError(
                f"{flag(dest)} is a parameter of --prior {_takers(dest)}, not {cli_name(name)}; "
                "leave it out"
            )
        return None
    takes = parameters_of(name)
    shown = f"--prior {cli_name(name)}"
    options = ", ".join(flag(dest) for dest in takes) or "none"
    for dest in given:
        if dest not in takes:
            raise UsageError(f"{flag(dest)} does not apply to {shown} (its options: {options})")
    if isinstance(args.scale, str):
        raise UsageError(
            f"--scale {args.scale} chooses the scale of --prior "
            f"{', '.join(map(cli_name, priors.names()))}; {shown} takes {options}"
        )
    for dest in ("scale", "l2_scale"):
        if getattr(args, dest) is not None and dest not in takes:
            raise UsageError(f"{flag(dest)} does not apply to {shown} (its options: {options})")
    params = {dest: getattr(args, dest) for dest in takes if getattr(args, dest) is not None}
    try:
        prior = priors.shrinkage(name, **params)
    except ValueError as error:
        raise UsageError(f"{shown}: {error}") from None
    if not prior.map_exists and args.samples == 0:
        raise UsageError(f"{shown} has no MAP, so its fit is its posterior: give --samples > 0")
    return prior


def check_nonzero(args: argparse.Namespace, p: int) -> None:
    """Refuse ``--nonzero`` not below ``p`` (it is positive by its type), once ``p`` is known."""
    nonzero = getattr(args, "nonzero", None)
    if nonzero is not None and not nonzero < p:
        raise UsageError(
            f"--nonzero (a guess of the number of nonzero weights) must be below the number of "
            f"features p = {p}; got {nonzero:g}"
        )


def shrinkage_text(prior: Any) -> str:
    """Write a shrinkage prior as a call: ``"horseshoe(global_scale=1)"``."""
    params = ", ".join(
        f"{key}={float(value):g}" for key, value in prior.params.items() if value is not None
    )
    return f"{prior.name}({params})"


def site_text(post: Any) -> str:
    """Name the posterior's sites with their sizes: ``"tau, lambda[10], coef[10], ..."``."""
    sizes = {name: math.prod(value.shape[1:]) for name, value in post.samples.items()}
    return ", ".join(name + (f"[{size}]" if size > 1 else "") for name, size in sizes.items())
