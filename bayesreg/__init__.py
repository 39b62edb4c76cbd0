"""bayesreg: Bayesian priors <-> penalized regression, on NumPyro models.

Importing bayesreg enables JAX's 64-bit mode (``jax_enable_x64``) for the whole process, because the
prior <-> penalty correspondence is checked to ~1e-8; see the README ("Numerics") for what that
changes in your own JAX code and how to run in float32.

``bayesreg.plots`` and ``bayesreg.cli`` (matplotlib) and ``bayesreg.sklearn`` (scikit-learn) are
imported on first use (``br.plots.plot_...`` works without importing it first), not here.
"""

import warnings

import jax

jax.config.update("jax_enable_x64", True)

with warnings.catch_warnings():
    # ArviZ prints a notice of its coming refactor on the first import of each day: a note for
    # ArviZ's own users, not a warning about anything a bayesreg user did
    warnings.filterwarnings("ignore", message=r"\s*ArviZ is undergoing", category=FutureWarning)
    import arviz  # noqa: F401

from . import data, io, models, penalty, priors, prox  # noqa: E402
from ._version import __version__ as __version__  # noqa: E402
from .compare import compare, compare_summary, shrinkage_factors  # noqa: E402
from .data import design_from_formula, load_csv  # noqa: E402
from .map import (  # noqa: E402
    ConvergenceWarning,
    MapPath,
    MapResult,
    NoFiniteMapWarning,
    map_estimate,
    map_path,
)
from .models import IdentifiabilityWarning  # noqa: E402
from .predict import predict, prior_predictive  # noqa: E402
from .sample import (  # noqa: E402
    LOG_LIKELIHOOD_BUDGET_BYTES,
    LogLikelihoodWarning,
    PosteriorResult,
    SamplingWarning,
    sample_posterior,
)
from .select import (  # noqa: E402
    CVPath,
    EmpiricalBayes,
    LooPath,
    ParetoKWarning,
    ScaleSelection,
    ShrinkagePath,
    cv_path,
    empirical_bayes,
    log_evidence,
    loo_path,
    select_scale,
    shrinkage_path,
)

__all__ = [
    "LOG_LIKELIHOOD_BUDGET_BYTES",
    "CVPath",
    "ConvergenceWarning",
    "EmpiricalBayes",
    "IdentifiabilityWarning",
    "LogLikelihoodWarning",
    "LooPath",
    "MapPath",
    "MapResult",
    "NoFiniteMapWarning",
    "ParetoKWarning",
    "PosteriorResult",
    "SamplingWarning",
    "ScaleSelection",
    "ShrinkagePath",
    "compare",
    "compare_summary",
    "cv_path",
    "data",
    "design_from_formula",
    "empirical_bayes",
    "io",
    "load_csv",
    "log_evidence",
    "loo_path",
    "map_estimate",
    "map_path",
    "models",
    "penalty",
    "priors",
    "predict",
    "prior_predictive",
    "prox",
    "sample_posterior",
    "select_scale",
    "shrinkage_factors",
    "shrinkage_path",
]

#: Submodules imported on first attribute access: they pull in matplotlib or scikit-learn, which
#: ``import bayesreg`` must not (a fast import, and no plotting backend chosen for the user).
_LAZY_SUBMODULES = ("cli", "plots", "sklearn")


def __getattr__(name: str) -> object:
    """Import ``bayesreg.plots``, ``bayesreg.sklearn`` or ``bayesreg.cli`` on first access."""
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY_SUBMODULES})
