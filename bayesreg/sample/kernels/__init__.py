"""The kernels the driver runs: NUTS (`nuts`) and the exact conjugate sampler (`conjugate`)."""

from . import conjugate, nuts
from .conjugate import ConjugatePosterior, conjugate_posterior, exact_kernel
from .nuts import nuts_kernel

__all__ = [
    "ConjugatePosterior",
    "conjugate",
    "conjugate_posterior",
    "exact_kernel",
    "nuts",
    "nuts_kernel",
]
