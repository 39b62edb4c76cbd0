"""The kernels the driver runs: NUTS, the exact conjugate sampler and the Gibbs sampler.

`nuts` runs any model; `conjugate` draws the closed-form posterior of a conjugate Gaussian model;
`gibbs` samples Gaussian linear models with scale-mixture priors (horseshoe, Laplace, ...).
"""

from . import conjugate, gibbs, nuts
from .conjugate import ConjugatePosterior, conjugate_posterior, exact_kernel
from .gibbs import gibbs_kernel
from .nuts import nuts_kernel

__all__ = [
    "ConjugatePosterior",
    "conjugate",
    "conjugate_posterior",
    "exact_kernel",
    "gibbs",
    "gibbs_kernel",
    "nuts",
    "nuts_kernel",
]
