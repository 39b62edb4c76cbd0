"""Per-scalar diagnostics of a posterior sample (R-hat, ESS, MCSE), and the warnings they give.

`diagnostics_table` is the table of `PosteriorResult.diagnostics`; `scalar_items` and
`scalar_labels` name the scalars of an ArviZ variable (``"coef[bmi]"``) the way the table,
`bayesreg.compare` and `bayesreg.plots` do. `warn_if_unreliable` gives the warnings of a Markov
chain sample (divergences, tree depth, R-hat, ESS, chains that never moved); an iid sample
needs none.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import arviz as az
import numpy as np
import pandas as pd

from .result import SamplingWarning

__all__ = [
    "RHAT_MAX",
    "arviz_without_numba",
    "check_draws_were_made",
    "diagnostics_table",
    "scalar_items",
    "scalar_labels",
    "stuck_chains",
    "warn_if_unreliable",
    "warnings_at_caller",
]

RHAT_MAX = 1.01
ESS_PER_CHAIN_MIN = 100
ARVIZ_MIN_DRAWS = 4  # ArviZ returns NaN R-hat and ESS for fewer draws per chain
STUCK_MIN_DRAWS = 10  # a few equal draws in a row happen; 10 means the chain cannot move


def _inner_dims(data: Any) -> list[str]:
    return [d for d in data.dims if d not in ("chain", "draw")]


def scalar_labels(data: Any, name: str) -> list[str]:
    """Labels of the scalars of an ArviZ variable, in C order: ``"coef[bmi]"``, or ``name``."""
    inner = _inner_dims(data)
    if not inner:
        return [name]
    labels = [[str(v) for v in data.coords[d].values] for d in inner]
    return [
        f"{name}[{','.join(lab[i] for lab, i in zip(labels, index, strict=True))}]"
        for index in np.ndindex(*[len(lab) for lab in labels])
    ]


def scalar_items(data: Any, name: str) -> Iterator[tuple[str, Any]]:
    """``(label, sub-array)`` per scalar of an ArviZ variable; labels as in `scalar_labels`."""
    inner = _inner_dims(data)
    indices = np.ndindex(*[data.sizes[d] for d in inner])
    for label, index in zip(scalar_labels(data, name), indices, strict=True):
        yield label, data.isel(dict(zip(inner, index, strict=True)))


_ARVIZ_NUMBA = threading.Lock()


@contextmanager
def arviz_without_numba() -> Iterator[None]:
    """Make ArviZ take its NumPy code paths for the duration.

    With numba installed, ArviZ JIT-compiles its variance kernels on first use in a process
    (~0.5 s), far more than they save on a few thousand draws. The lock keeps concurrent calls
    from restoring each other's state.
    """
    with _ARVIZ_NUMBA:
        enabled = az.Numba.numba_flag
        az.Numba.disable_numba()
        try:
            yield
        finally:
            if enabled:
                az.Numba.enable_numba()


def diagnostics_table(idata: az.InferenceData, latent: Sequence[str]) -> pd.DataFrame:
    """R-hat, bulk and tail ESS and MCSE of the mean, one row per scalar of each latent site."""
    latent = list(latent)
    posterior = idata.posterior[latent]
    with arviz_without_numba():
        if posterior.sizes["chain"] > 1:
            r_hat = az.rhat(posterior)
        else:  # R-hat compares chains; with one, ArviZ logs an error and gives NaN anyway
            r_hat = posterior.isel(chain=0, draw=0, drop=True) * np.nan
        columns = {
            "r_hat": r_hat,
            "ess_bulk": az.ess(posterior, method="bulk"),
            "ess_tail": az.ess(posterior, method="tail"),
            "mcse_mean": az.mcse(posterior, method="mean"),
        }
    labels = [label for name in latent for label in scalar_labels(r_hat[name], name)]
    values = {
        column: np.concatenate([np.ravel(dataset[name].values) for name in latent])
        for column, dataset in columns.items()
    }
    return pd.DataFrame(values, index=labels, dtype=float)


@contextmanager
def warnings_at_caller(prefix: str = "", *, stacklevel: int = 1) -> Iterator[None]:
    """Issue the warnings raised inside again, at the line that called the library function.

    A library helper that samples (a shrinkage path, a scale selection) would otherwise show
    its own line as the source of a `SamplingWarning`. Inside the block every warning is
    recorded; on leaving it, each is warned again (same category, ``prefix`` + message) under
    the caller's filters, ``stacklevel`` frames above the function that holds the block
    (1: that function's caller). Nothing is dropped: an ``"error"`` filter still raises.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        # + 2: this generator's frame and contextlib's __exit__ sit between
        warnings.warn(warning.category(f"{prefix}{warning.message}"), stacklevel=stacklevel + 3)


def check_draws_were_made(chains: Mapping[str, np.ndarray], latent: Sequence[str]) -> None:
    """Refuse NUTS draws that are not finite (the sampler went where the density is not)."""
    bad = [name for name in latent if not np.all(np.isfinite(chains[name]))]
    if bad:
        raise ValueError(
            f"NUTS produced non-finite draws of {', '.join(bad)}: the model's log density is "
            "NaN or inf where the sampler went. Check the model for values outside a "
            "distribution's support and for overflow (e.g. exp of a large linear predictor); "
            "rescale the data or tighten the priors."
        )


def stuck_chains(chains: Mapping[str, np.ndarray], latent: Sequence[str]) -> list[int]:
    """Chains whose draws are all one point (every transition rejected or divergent)."""
    num_chains, num_samples = np.shape(chains[latent[0]])[:2]
    if num_samples < STUCK_MIN_DRAWS:
        return []
    return [
        chain
        for chain in range(num_chains)
        if all(np.all(chains[name][chain] == chains[name][chain, :1]) for name in latent)
    ]


def warn_if_unreliable(
    diagnostics: pd.DataFrame,
    num_divergent: int,
    num_chains: int,
    num_samples: int,
    *,
    num_saturated: int = 0,
    max_tree_depth: int = 10,
    stuck: Sequence[int] = (),
    stacklevel: int = 3,
) -> None:
    """Warn (`SamplingWarning`, with a remedy) on what makes Markov chain draws unreliable.

    ``stacklevel`` is that of the caller of the public function that calls this one, counted
    from this function.
    """
    num_draws = num_chains * num_samples
    if stuck:
        warnings.warn(
            f"NUTS chain(s) {list(stuck)} never moved: all {num_samples} draws are one point "
            "(every transition was rejected or divergent), so they are not posterior draws. "
            "Lengthen num_warmup (the step size adapted badly), raise target_accept_prob, or "
            "check that the log density is finite around the starting point.",
            SamplingWarning,
            stacklevel=stacklevel,
        )
    if num_saturated > 0:
        warnings.warn(
            f"NUTS reached the maximum tree depth (max_tree_depth={max_tree_depth}) in "
            f"{num_saturated} of {num_draws} draws: trajectories were cut short, so sampling is "
            "inefficient (not biased). Raise max_tree_depth, or rescale the data / "
            "reparameterize strongly correlated parameters.",
            SamplingWarning,
            stacklevel=stacklevel,
        )
    if num_divergent > 0:
        warnings.warn(
            f"NUTS had {num_divergent} divergent transitions after warmup (of {num_draws} draws); "
            "the posterior may be biased there. Raise target_accept_prob (e.g. 0.95 or 0.99), "
            "lengthen num_warmup, or reparameterize the model (e.g. non-centred scales).",
            SamplingWarning,
            stacklevel=stacklevel,
        )
    _warn_if_not_computed(diagnostics, num_chains, num_samples, stacklevel=stacklevel + 1)
    high_rhat = diagnostics.index[diagnostics["r_hat"] > RHAT_MAX].tolist()
    if high_rhat:
        warnings.warn(
            f"R-hat above {RHAT_MAX} for {', '.join(high_rhat)} (max "
            f"{diagnostics['r_hat'].max():.3f}): the chains disagree. Run more warmup and samples, "
            "and check for multiple modes (inspect post.idata with arviz.plot_trace).",
            SamplingWarning,
            stacklevel=stacklevel,
        )
    threshold = ESS_PER_CHAIN_MIN * num_chains
    low_ess = diagnostics.index[
        (diagnostics["ess_bulk"] < threshold) | (diagnostics["ess_tail"] < threshold)
    ].tolist()
    if low_ess:
        # the measured values and the threshold in one unit: ESS over all chains together
        measured = ", ".join(_low_ess_text(diagnostics.loc[label], label) for label in low_ess)
        chains = "chain" if num_chains == 1 else "chains"
        warnings.warn(
            f"effective sample size too low: {measured}, below the {threshold} "
            f"({ESS_PER_CHAIN_MIN} per chain x {num_chains} {chains}) that reliable intervals "
            "and tail probabilities need. Increase num_samples (or num_chains).",
            SamplingWarning,
            stacklevel=stacklevel,
        )


def _low_ess_text(row: pd.Series, label: str) -> str:
    """``"bulk ESS 272 for coef[bmi]"``: the smaller of the two ESS of one scalar, named."""
    which = "bulk" if row["ess_bulk"] <= row["ess_tail"] else "tail"
    return f"{which} ESS {row[f'ess_{which}']:.0f} for {label}"


def _warn_if_not_computed(
    diagnostics: pd.DataFrame, num_chains: int, num_samples: int, *, stacklevel: int
) -> None:
    """Warn when R-hat or ESS is NaN: nothing then says whether the draws can be trusted."""
    if num_samples < ARVIZ_MIN_DRAWS:
        warnings.warn(
            f"R-hat and effective sample size cannot be computed from {num_samples} draws per "
            f"chain (ArviZ needs at least {ARVIZ_MIN_DRAWS}), so nothing checks that the "
            "chains converged. Increase num_samples (e.g. 1000).",
            SamplingWarning,
            stacklevel=stacklevel,
        )
        return
    if num_chains == 1:
        warnings.warn(
            "R-hat cannot be computed from one chain (it compares chains), so nothing checks "
            "that the sampler converged to one posterior. Run num_chains=2 or more.",
            SamplingWarning,
            stacklevel=stacklevel,
        )
    columns = ["ess_bulk", "ess_tail"] + (["r_hat"] if num_chains > 1 else [])
    missing = diagnostics.index[diagnostics[columns].isna().any(axis=1)].tolist()
    if missing:
        warnings.warn(
            f"R-hat or effective sample size is NaN for {', '.join(missing)}: their draws have "
            "no variance within a chain, so their convergence cannot be checked. Check that "
            "these sites are meant to be random, and inspect post.idata with arviz.plot_trace.",
            SamplingWarning,
            stacklevel=stacklevel,
        )
