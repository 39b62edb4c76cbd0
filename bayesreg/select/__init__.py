"""Choosing and exploring the prior scale.

- `cv_path`: cross-validation along a path of prior scales (folds batched, one compiled program);
- `log_evidence`: the exact log marginal likelihood of a conjugate Gaussian model;
- `shrinkage_path`: the MAP beside the posterior median and band over prior scales.
"""

from .cv import CVPath, cv_path
from .evidence import log_evidence
from .shrinkage import ShrinkagePath, shrinkage_path

__all__ = ["CVPath", "ShrinkagePath", "cv_path", "log_evidence", "shrinkage_path"]
