"""Priors on regression weights, each defined once with the math every other part asks of it.

See `bayesreg.priors.base` for the contract (`PriorKind`). The built-in kinds are
``gaussian`` (ridge), ``laplace`` (lasso) and ``elastic_net``; a new kind is a new module here
that calls `register_prior`.
"""

from .base import (
    L1Part,
    PenaltyParts,
    PriorKind,
    for_parts,
    get,
    kind_of,
    l1_part,
    names,
    register_prior,
    unwrap,
)

# registration order is the order users see (estimators' and the command line's choices)
from .gaussian import GAUSSIAN, gaussian  # isort: split

from .hierarchical import RandomScale, check_hyperprior
from .laplace import LAPLACE, laplace  # isort: split

from .elastic_net import ELASTIC_NET, ElasticNetPrior, elastic_net  # isort: split

__all__ = [
    "ELASTIC_NET",
    "GAUSSIAN",
    "LAPLACE",
    "ElasticNetPrior",
    "L1Part",
    "PenaltyParts",
    "PriorKind",
    "RandomScale",
    "check_hyperprior",
    "elastic_net",
    "for_parts",
    "gaussian",
    "get",
    "kind_of",
    "l1_part",
    "laplace",
    "names",
    "register_prior",
    "unwrap",
]
