"""Posterior sampling: one driver running any ``(init, step)`` kernel (NUTS, the exact sampler).

`sample_posterior` is the entry point (`bayesreg.sample.driver`); the kernel contract is in
`bayesreg.sample.kernel`, the kernels in `bayesreg.sample.kernels`, the diagnostics and their
warnings in `bayesreg.sample.diagnostics`.
"""

from .diagnostics import scalar_items
from .driver import run_kernel, sample_posterior
from .kernel import Kernel, KernelInputs
from .result import (
    LOG_LIKELIHOOD_BUDGET_BYTES,
    LogLikelihoodWarning,
    PosteriorResult,
    SamplingWarning,
)

__all__ = [
    "LOG_LIKELIHOOD_BUDGET_BYTES",
    "Kernel",
    "KernelInputs",
    "LogLikelihoodWarning",
    "PosteriorResult",
    "SamplingWarning",
    "run_kernel",
    "sample_posterior",
    "scalar_items",
]
