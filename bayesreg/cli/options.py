"""Option values of the ``bayesreg`` command: argument types, ``--sigma-prior``, usage errors.

Every command reports bad input the same way: one line on stderr saying what to fix, exit
status 2. Argparse's own errors go through `Parser`; the commands' checks raise `UsageError`,
which ``main`` prints with `usage`.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

__all__ = [
    "SCALE_METHODS",
    "SIGMA_PRIORS",
    "Parser",
    "SigmaPrior",
    "UsageError",
    "count",
    "flag",
    "metavar",
    "normalized_name",
    "number_text",
    "parse_sigma_prior",
    "positive_float",
    "refuse",
    "require",
    "scale_value",
    "usage",
]

#: ``bayesreg fit --scale METHOD``: the ways of choosing the prior scale from the data.
SCALE_METHODS = ("cv", "cv-1se", "evidence", "hyperprior")

#: ``--sigma-prior NAME:VALUE``: NumPyro distribution and what VALUE is.
SIGMA_PRIORS = {"halfnormal": "scale", "halfcauchy": "scale", "exponential": "rate"}


class UsageError(Exception):
    """Bad command-line input; ``main`` prints it as one line and returns 2."""


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line (no usage block), exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Print ``PROG: error: MESSAGE (see 'PROG --help')`` on stderr and exit with 2."""
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def usage(prog: str, message: str) -> int:
    """Print ``PROG: error: MESSAGE`` as one line on stderr and return the exit status 2."""
    print(f"{prog}: error: {' '.join(message.split())}", file=sys.stderr)
    return 2


# ---------------------------------------------------------------------------------------------
# argument types


def positive_float(text: str) -> float:
    """Parse a positive finite number (an argparse ``type``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number; got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive finite number; got {text!r}")
    return value


def scale_value(text: str) -> float | str:
    """Parse ``--scale``: a positive number, or a method of `SCALE_METHODS` (an argparse type).

    Examples
    --------
    >>> scale_value("20"), scale_value("CV-1SE")
    (20.0, 'cv-1se')
    """
    method = text.strip().lower().replace("_", "-")
    if method in SCALE_METHODS:
        return method
    try:
        return positive_float(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"must be a positive number (the prior scale) or a method choosing it, one of "
            f"{', '.join(SCALE_METHODS)}; got {text!r}"
        ) from None


def count(minimum: int) -> Callable[[str], int]:
    """Return an argparse ``type`` that parses an integer ``>= minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer; got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}; got {value}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


def normalized_name(text: str) -> str:
    """Spell a choice as the code does: ``"Elastic-Net"`` -> ``"elastic_net"``."""
    return text.strip().lower().replace("-", "_")


@dataclass(frozen=True)
class SigmaPrior:
    """A parsed ``--sigma-prior NAME:VALUE``."""

    name: str
    value: float

    def distribution(self) -> Any:
        """Return the NumPyro distribution (``HalfNormal(scale)``, ``Exponential(rate)``, ...)."""
        import numpyro.distributions as dist

        make = {
            "halfnormal": dist.HalfNormal,
            "halfcauchy": dist.HalfCauchy,
            "exponential": dist.Exponential,
        }[self.name]
        return make(self.value)

    def __str__(self) -> str:
        return f"{self.name}:{self.value:g}"


def parse_sigma_prior(spec: str) -> SigmaPrior:
    """Parse ``--sigma-prior``: ``halfnormal:SCALE``, ``halfcauchy:SCALE`` or ``exponential:RATE``.

    Parameters
    ----------
    spec : str
        ``NAME:VALUE`` with a positive ``VALUE``; the name is case-insensitive.

    Returns
    -------
    SigmaPrior

    Raises
    ------
    argparse.ArgumentTypeError
        With a message saying what the spec should look like.

    Examples
    --------
    >>> parse_sigma_prior("halfnormal:10")
    SigmaPrior(name='halfnormal', value=10.0)
    >>> parse_sigma_prior("exponential:0.1").distribution().rate
    0.1
    """
    allowed = ", ".join(f"{name}:{meaning.upper()}" for name, meaning in SIGMA_PRIORS.items())
    name, colon, value = spec.partition(":")
    name = name.strip().lower()
    if not colon:
        raise argparse.ArgumentTypeError(
            f"expected NAME:VALUE, e.g. halfnormal:10; got {spec!r} (allowed: {allowed})"
        )
    if name not in SIGMA_PRIORS:
        raise argparse.ArgumentTypeError(f"unknown prior {name!r} in {spec!r}; use {allowed}")
    try:
        number = positive_float(value)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"the {SIGMA_PRIORS[name]} in {spec!r} must be a positive number, e.g. {name}:10"
        ) from None
    return SigmaPrior(name, number)


# ---------------------------------------------------------------------------------------------
# checks across options


def number_text(value: float) -> str:
    """Write a number as ``convert`` does: 10 significant digits, ``inf`` for an absent scale."""
    return "inf" if math.isinf(value) else f"{value:.10g}"


def flag(dest: str) -> str:
    """Return the option of an argparse dest: ``l1_ratio`` -> ``--l1-ratio``, ``lambda_`` too."""
    return "--" + dest.rstrip("_").replace("_", "-")


def metavar(dest: str) -> str:
    """Return the placeholder of an option's value: ``n`` -> ``N``, ``lambda_`` -> ``LAMBDA``."""
    return dest.rstrip("_").upper()


def require(args: argparse.Namespace, dests: Sequence[str], what: str, needs: str) -> None:
    """Raise `UsageError` ``WHAT needs NEEDS: give --A A and --B B`` for the options not given.

    Examples
    --------
    >>> require(argparse.Namespace(n=None), ["n"], "converting from lasso", "the number of rows")
    Traceback (most recent call last):
    ...
    bayesreg.cli.options.UsageError: converting from lasso needs the number of rows: give --n N
    """
    missing = [f"{flag(d)} {metavar(d)}" for d in dests if getattr(args, d) is None]
    if missing:
        raise UsageError(f"{what} needs {needs}: give {' and '.join(missing)}")


def refuse(args: argparse.Namespace, dests: Sequence[str], why: str) -> None:
    """Raise `UsageError` ``--A does not apply to WHY; leave it out`` for the options given."""
    given = [flag(d) for d in dests if getattr(args, d) is not None]
    if given:
        verb, it = ("does", "it") if len(given) == 1 else ("do", "them")
        raise UsageError(f"{' and '.join(given)} {verb} not apply to {why}; leave {it} out")
