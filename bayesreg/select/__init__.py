"""Choosing and exploring the prior scale: every method on one grid.

- `cv_path`: cross-validation along a path of prior scales (folds batched, one compiled program);
- `log_evidence`: the exact log marginal likelihood of a conjugate Gaussian model;
- `empirical_bayes`: the scale (and sigma) that maximize it, or the Bayesian lasso's lambda by
  Monte Carlo EM (Park & Casella 2008);
- `loo_path`: PSIS-LOO of each grid point's posterior;
- `select_scale`: all of them side by side, one table and one figure;
- `shrinkage_path`: the MAP beside the posterior median and band over prior scales.

A scale can also be given a hyperprior (full Bayes):
``bayesreg.models.laplace(dist.HalfCauchy(1.0))``.
"""

from .cv import CVPath, cv_path
from .empirical import EmpiricalBayes, empirical_bayes
from .evidence import log_evidence
from .loo import LooPath, ParetoKWarning, loo_path
from .scale import ScaleSelection, select_scale
from .shrinkage import ShrinkagePath, shrinkage_path

__all__ = [
    "CVPath",
    "EmpiricalBayes",
    "LooPath",
    "ParetoKWarning",
    "ScaleSelection",
    "ShrinkagePath",
    "cv_path",
    "empirical_bayes",
    "log_evidence",
    "loo_path",
    "select_scale",
    "shrinkage_path",
]
