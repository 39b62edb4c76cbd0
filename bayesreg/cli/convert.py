"""``bayesreg convert``: the prior scale whose MAP is a penalized fit, and the reverse.

``--from CONVENTION`` with its penalty parameters prints the prior scales ``b`` and ``tau``;
``--to CONVENTION --prior NAME --scale ...`` prints the penalty parameters. Both directions go
through the one table of conventions, ``bayesreg.penalty.CONVENTIONS``: a convention's
parameters are options of the same name (glmnet's ``lambda`` is ``--lambda``).
"""

from __future__ import annotations

import argparse
import keyword
from typing import Any

from .. import penalty, priors
from ..penalty import Convention
from ..priors import PenaltyParts
from .describe import (
    SCALE_OPTIONS,
    parts_of,
    penalty_call,
    prior_options,
    prior_words,
    two_scale_priors,
)
from .options import (
    UsageError,
    count,
    flag,
    normalized_name,
    number_text,
    positive_float,
    refuse,
    require,
)
from .output import add_output_options, write_json

__all__ = ["add_parser", "dest", "run"]


def dest(param: str) -> str:
    """Return the argparse dest of a penalty parameter: ``"lambda"`` -> ``"lambda_"``."""
    return f"{param}_" if keyword.iskeyword(param) else param


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add the ``convert`` command to the ``commands`` subparsers."""
    convert = commands.add_parser(
        "convert",
        help="prior scale <-> scikit-learn / glmnet penalty",
        description=(
            "Print the prior scale whose MAP is a penalized fit (--from CONVENTION and its "
            "penalty), or the penalty that a prior's MAP equals (--to CONVENTION --scale ...). "
            "Conventions: ridge (--alpha, --sigma), lasso (--alpha, --n, --sigma), elastic_net "
            "(--alpha, --l1-ratio, --n, --sigma), logistic (--C, --l1-ratio), poisson "
            "(--alpha, --n), glmnet (--lambda, --alpha, --n, --sigma, --y-sd; standardize=FALSE)."
        ),
        epilog="examples: bayesreg convert --from lasso --alpha 0.1 --n 442 --sigma 50\n"
        "          bayesreg convert --to lasso --scale 20 --n 442 --sigma 50",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    conventions = tuple(penalty.CONVENTIONS)
    direction = convert.add_mutually_exclusive_group(required=True)
    direction.add_argument(
        "--from",
        dest="source",
        type=normalized_name,
        choices=conventions,
        help="penalty -> prior scale",
    )
    direction.add_argument(
        "--to",
        dest="target",
        type=normalized_name,
        choices=conventions,
        help="prior scale -> penalty",
    )
    convert.add_argument(
        "--alpha",
        type=float,
        help="scikit-learn alpha (ridge, lasso, elastic_net, poisson); glmnet's mixing alpha",
    )
    convert.add_argument("--l1-ratio", type=float, help="l1_ratio (elastic_net, logistic)")
    convert.add_argument("--C", dest="C", type=float, help="LogisticRegression's C")
    convert.add_argument("--lambda", dest="lambda_", type=float, help="glmnet's lambda")
    convert.add_argument("--n", type=count(1), help="number of rows")
    convert.add_argument("--sigma", type=float, help="Gaussian noise sd")
    convert.add_argument(
        "--y-sd",
        dest="y_sd",
        type=positive_float,
        help="glmnet, gaussian family, y given unstandardized: the sd glmnet divides y by, "
        "numpy.std(y) (penalty.glmnet_y_sd); omit for a standardized y or binomial / poisson",
    )
    convert.add_argument(
        "--prior",
        type=normalized_name,
        choices=priors.names(),
        help="prior for --to (default: the one the convention implies)",
    )
    convert.add_argument("--scale", type=positive_float, help="tau (gaussian) or b (laplace)")
    convert.add_argument("--l2-scale", type=positive_float, help="tau of the elastic_net prior")
    add_output_options(convert, quiet=False)
    convert.set_defaults(run=run)
    return convert


def run(args: argparse.Namespace) -> int:
    """Run ``bayesreg convert``; print the conversion and return 0 (`UsageError` on bad input)."""
    name = args.source or args.target
    what = f"converting {'from' if args.source else 'to'} {name}"
    convention = penalty.CONVENTIONS[name]
    dests = [dest(param) for param in convention.params]
    others = {dest(p) for c in penalty.CONVENTIONS.values() for p in c.params} - set(dests)
    refuse(args, sorted(others), f"{name} (its parameters: {', '.join(map(flag, dests))})")
    if convention.needs_n:
        require(args, ["n"], what, "the number of rows")
    else:
        refuse(args, ["n"], f"{name} (its penalty does not depend on the number of rows)")
    if convention.sigma == "required":
        require(args, ["sigma"], what, "the Gaussian noise sd")
    elif convention.sigma == "none":
        refuse(args, ["sigma"], f"{name} (no noise sd in its likelihood)")
    if not convention.rescales_y:
        refuse(args, ["y_sd"], f"{name} (it fits y as given; --y-sd is glmnet's)")
    if args.source:
        return _from_penalty(args, convention, dests, what)
    return _to_penalty(args, convention, dests, what)


def _from_penalty(
    args: argparse.Namespace, convention: Convention, dests: list[str], what: str
) -> int:
    require(args, dests, what, "its penalty parameters")
    refuse(args, ["prior", *SCALE_OPTIONS], "--from (they are what it prints)")
    values = {param: getattr(args, d) for param, d in zip(convention.params, dests, strict=True)}
    try:
        found = penalty.prior_parts(
            convention.name, values, sigma=_sigma(args), n=args.n, y_sd=args.y_sd
        )
        b, tau = float(found.l1_scale), float(found.l2_scale)
        kind = priors.for_parts(b, tau)
    except ValueError as error:
        raise UsageError(str(error)) from None
    parts = PenaltyParts(b, tau)
    shown = ", ".join(f"{param}={value:g}" for param, value in values.items())
    context = _context(convention, args)
    sentence = (
        f"{convention.label}({shown}){' with ' + context if context else ''} is the MAP of "
        f"{prior_words(kind, parts, number_text)}"
    )
    options = prior_options(kind, parts, number_text)
    if getattr(args, "json", False):
        write_json(args, _document(args, convention, kind.name, parts, values, sentence, options))
        return 0
    print(sentence)
    print(f"b = {number_text(b)}")
    print(f"tau = {number_text(tau)}")
    print(f"bayesreg fit options: {options}")
    return 0


def _to_penalty(
    args: argparse.Namespace, convention: Convention, dests: list[str], what: str
) -> int:
    name = convention.name
    refuse(args, dests, "--to (they are what it prints)")
    if args.prior is None and len(convention.priors) > 1:
        choices = [prior for prior in priors.names() if prior in convention.priors]
        raise UsageError(f"{what} needs the prior: give --prior NAME, one of {', '.join(choices)}")
    prior = args.prior or convention.priors[0]
    if prior not in convention.priors:
        raise UsageError(
            f"--to {name} corresponds to the prior(s) {', '.join(convention.priors)}, "
            f"not {prior}; choose one of those with --prior"
        )
    kind = priors.get(prior)
    require(args, ["scale"], what, f"the prior's {kind.scale_labels[kind.parts[0]]}")
    if len(kind.parts) > 1:
        require(args, ["l2_scale"], f"--prior {prior}", f"the {kind.scale_labels[kind.parts[1]]}")
    else:
        refuse(args, ["l2_scale"], f"--prior {prior} (only {two_scale_priors()} has two scales)")
    parts = parts_of(kind, [getattr(args, option) for option in SCALE_OPTIONS[: len(kind.parts)]])
    try:
        params = penalty.penalty_params(name, parts, sigma=_sigma(args), n=args.n, y_sd=args.y_sd)
    except ValueError as error:
        raise UsageError(str(error)) from None
    params = {key: float(value) for key, value in params.items()}
    context = _context(convention, args)
    words = prior_words(kind, parts, number_text)
    sentence = f"with {context}, {words}" if context else words
    sentence = f"{sentence[0].upper()}{sentence[1:]}, has the MAP of"
    call = penalty_call(convention, params, number_text)
    if getattr(args, "json", False):
        options = prior_options(kind, parts, number_text)
        document = _document(args, convention, kind.name, parts, params, f"{sentence} {call}",
                             options)  # fmt: skip
        write_json(args, {**document, "call": call})
        return 0
    print(sentence)
    print(call)
    for key, value in params.items():
        print(f"{key} = {number_text(value)}")
    return 0


def _document(
    args: argparse.Namespace,
    convention: Convention,
    prior: str,
    parts: PenaltyParts,
    params: dict[str, float],
    sentence: str,
    options: str,
) -> dict[str, Any]:
    """Return the ``--json`` document of either direction: penalty, prior, what was given."""
    return {
        "command": "convert",
        "direction": "from" if args.source else "to",
        "convention": convention.name,
        "penalty": params,
        "prior": {"name": prior, "b": float(parts.l1_scale), "tau": float(parts.l2_scale)},
        "n": args.n,
        "sigma": args.sigma,
        "y_sd": args.y_sd,
        "fit_options": options,
        "text": sentence,
    }


def _sigma(args: argparse.Namespace) -> float:
    return args.sigma if args.sigma is not None else 1.0


def _context(convention: Convention, args: argparse.Namespace) -> str:
    parts = [f"n={args.n}"] if args.n is not None else []
    if args.sigma is not None:
        parts.append(f"sigma={args.sigma:g}")
    elif convention.sigma == "optional":  # glmnet: sigma=1 is its binomial and poisson families
        parts.append("sigma=1 (binomial / poisson; give --sigma for gaussian)")
    if args.y_sd is not None:
        parts.append(f"y of sd {args.y_sd:g}")
    elif convention.rescales_y and args.sigma is not None:  # gaussian glmnet: which y?
        parts.append("a standardized y (give --y-sd, numpy.std(y), for a raw y)")
    return ", ".join(parts)
