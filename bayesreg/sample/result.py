"""What `sample_posterior` returns, and the warnings it gives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import arviz as az
import pandas as pd

from .._repr import site_shapes
from .._types import Array

__all__ = [
    "LOG_LIKELIHOOD_BUDGET_BYTES",
    "LogLikelihoodWarning",
    "PosteriorResult",
    "SamplingWarning",
]

# log_likelihood="auto" keeps the pointwise log-likelihood up to this size: arviz.loo holds a few
# arrays of its size at once (log weights, their exponentials), so 256 MiB peaks near 1 GiB.
LOG_LIKELIHOOD_BUDGET_BYTES = 2**28


class SamplingWarning(UserWarning):
    """NUTS output that should not be trusted as is (divergences, R-hat, effective sample size).

    Also raised when a diagnostic cannot be computed at all (too few draws or chains), since
    then nothing says whether the draws can be trusted.
    """


class LogLikelihoodWarning(UserWarning):
    """``log_likelihood="auto"`` left out the pointwise log-likelihood: it exceeds the budget."""


@dataclass(frozen=True, eq=False)
class PosteriorResult:
    """Result of `sample_posterior` (the same type for every method).

    Attributes
    ----------
    samples : dict of str to jax.Array
        Latent and deterministic sites; chains merged, leading axis ``num_chains * num_samples``.
    idata : arviz.InferenceData
        Groups ``posterior``, ``sample_stats``, ``observed_data``, and ``log_likelihood`` when
        kept (see ``log_likelihood`` of `sample_posterior`).
    method : str
        ``"nuts"`` or ``"exact"``.
    chain_method : str
        ``"parallel"`` (one chain per device), ``"sequential"`` (one chain after another on one
        CPU), ``"vectorized"`` (chains batched on one GPU or TPU) or ``"iid"`` (exact sampler:
        independent draws split into ``num_chains`` groups).
    num_chains, num_samples : int
        Chains and draws per chain.
    num_divergent : int
        Divergent transitions after warmup (always 0 for the exact sampler).
    diagnostics : pandas.DataFrame
        One row per scalar of each latent site (``"coef[bmi]"``), columns ``r_hat``, ``ess_bulk``,
        ``ess_tail``, ``mcse_mean``.
    model : callable
        The model function.
    args : tuple
        Positional model arguments (pandas inputs converted to NumPy).
    kwargs : dict
        Keyword model arguments.
    """

    samples: dict[str, Array]
    idata: az.InferenceData
    method: str
    chain_method: str
    num_chains: int
    num_samples: int
    num_divergent: int
    diagnostics: pd.DataFrame
    model: Callable[..., Any]
    args: tuple
    kwargs: dict

    def __repr__(self) -> str:
        # one screen: never the data (args, kwargs) nor the draws themselves
        r_hat = self.diagnostics.get("r_hat", pd.Series(dtype=float)).dropna()
        worst = f"{r_hat.max():.3f} ({r_hat.idxmax()})" if len(r_hat) else "nan"
        return (
            f"PosteriorResult(method={self.method!r}, model={_name(self.model)}, "
            f"chains={self.num_chains} x draws={self.num_samples}, "
            f"sites={site_shapes(self.samples, leading_axes=1)}, "
            f"divergences={self.num_divergent}, max_r_hat={worst})"
        )


def _name(model: Callable[..., Any]) -> str:
    return getattr(model, "__qualname__", None) or type(model).__name__
