"""bayesreg: Bayesian priors <-> penalized regression, on NumPyro models.

Importing bayesreg enables JAX's 64-bit mode (``jax_enable_x64``) for the whole process, because the
prior <-> penalty correspondence is checked to ~1e-8; see the README ("Numerics") for what that
changes in your own JAX code and how to run in float32.
"""

import jax

jax.config.update("jax_enable_x64", True)

from . import models, penalty, prox  # noqa: E402
from .map import MapResult, map_estimate  # noqa: E402

__all__ = ["MapResult", "map_estimate", "models", "penalty", "prox"]
__version__ = "0.1.0"
