"""Priors on regression weights, each defined once with the math every other part asks of it.

See `bayesreg.priors.base` for the contract (`PriorKind`). The built-in kinds are
``gaussian`` (ridge), ``laplace`` (lasso) and ``elastic_net``; a new kind is a new module here
that calls `register_prior`. The shrinkage priors (`bayesreg.priors.shrinkage`: ``horseshoe``,
``horseshoe_plus``, ``regularized_horseshoe``, ``student_t``, ``r2d2``) have no penalty; they are
`ShrinkagePrior` programs, found by name with `shrinkage`. `bayesreg.priors.gibbs` holds the
Gibbs conditionals of the priors that are scale mixtures of Normals (`gibbs_prior`).
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

from .gibbs import GibbsPrior, GibbsTarget
from .shrinkage import (
    ShrinkagePrior,
    gibbs_prior,
    horseshoe,
    horseshoe_plus,
    r2d2,
    regularized_horseshoe,
    shrinkage,
    shrinkage_names,
    student_t,
)

__all__ = [
    "ELASTIC_NET",
    "GAUSSIAN",
    "LAPLACE",
    "ElasticNetPrior",
    "GibbsPrior",
    "GibbsTarget",
    "L1Part",
    "PenaltyParts",
    "PriorKind",
    "RandomScale",
    "ShrinkagePrior",
    "check_hyperprior",
    "elastic_net",
    "for_parts",
    "gaussian",
    "get",
    "gibbs_prior",
    "horseshoe",
    "horseshoe_plus",
    "kind_of",
    "l1_part",
    "laplace",
    "names",
    "r2d2",
    "register_prior",
    "regularized_horseshoe",
    "shrinkage",
    "shrinkage_names",
    "student_t",
    "unwrap",
]
