"""The figure of `bayesreg.select.scale.select_scale`: each criterion over one grid, choices marked.

matplotlib is imported when a figure is drawn, not with the module.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["plot_scale_selection"]

# one colour per method, in the order of METHODS (matplotlib's tab10)
_COLOURS = ("C0", "C1", "C2", "C3", "C4", "C5")
_STYLES = ("--", ":", "-.", (0, (5, 1)), (0, (3, 1, 1, 1)), (0, (1, 1)))


def plot_scale_selection(selection: Any, fig: Any = None) -> Any:
    """Draw CV error ± SE, LOO elpd ± SE and the log evidence over the prior scale, stacked.

    One panel per criterion that was computed, sharing a log x axis (the prior scale ``b`` or
    ``tau``; left is stronger shrinkage). Each method's chosen scale is a vertical line through
    every panel, labelled in the legend with its value.

    Parameters
    ----------
    selection : ScaleSelection
        What `bayesreg.select.scale.select_scale` returned.
    fig : matplotlib.figure.Figure, optional
        Figure to draw into (cleared); a new one by default.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from .scale_methods import METHODS

    panels = ["cv"]
    if selection.loo is not None:
        panels.append("loo")
    if selection.evidence is not None:
        panels.append("evidence")
    if fig is None:
        fig = plt.figure(figsize=(7, 2.3 * len(panels) + 1.0), layout="constrained")
    else:
        fig.clear()
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    cv = selection.cv
    for ax, panel in zip(axes, panels, strict=True):
        if panel == "cv":
            ax.errorbar(selection.cv_scales, cv.mean, yerr=cv.se, fmt="o-", ms=2.5, lw=1,
                        capsize=1.5, color="0.3", label="CV mean ± SE")  # fmt: skip
            ax.set_ylabel(f"held-out\n{cv.scoring}")
        elif panel == "loo":
            loo = selection.loo
            ax.errorbar(selection.loo_scales, loo.elpd, yerr=loo.se, fmt="s-", ms=3, lw=1,
                        capsize=1.5, color="0.3", label="PSIS-LOO elpd ± SE")  # fmt: skip
            missing = ~np.isfinite(loo.elpd)
            if np.any(missing):  # ArviZ gave no estimate there (Pareto k far above 0.7)
                bottom = ax.get_ylim()[0]
                ax.plot(selection.loo_scales[missing], np.full(missing.sum(), bottom), "x",
                        color="C3", ms=7, clip_on=False,
                        label="no PSIS-LOO estimate (Pareto k)")  # fmt: skip
            ax.set_ylabel("LOO elpd\n(higher better)")
        else:
            ax.plot(selection.scales, selection.evidence, "-", color="0.3", label="log evidence")
            ax.set_ylabel("log evidence\n(higher better)")
        ax.set_xscale("log")
        ax.grid(True, which="major", alpha=0.3)
    order = list(METHODS)
    for method, scale in zip(selection.table["method"], selection.table["scale"],
                             strict=True):  # fmt: skip
        i = order.index(method)
        at = int(np.flatnonzero(selection.cv_scales == scale)[0])
        axes[0].plot(scale, cv.mean[at], "o", color=_COLOURS[i], ms=6, zorder=3)
        for j, ax in enumerate(axes):
            ax.axvline(scale, color=_COLOURS[i], linestyle=_STYLES[i], lw=1.5,
                       label=f"{METHODS[method]}: {selection.scale_name} = {scale:.3g}"
                       if j == 0 else None)  # fmt: skip
    axes[-1].set_xlabel(
        f"prior scale {selection.scale_name} ({selection.prior} prior; left: stronger shrinkage)"
    )
    handles, labels = axes[0].get_legend_handles_labels()
    for ax in axes[1:]:  # each panel's own curves (the choices' lines are labelled once)
        extra = [(h, lab) for h, lab in zip(*ax.get_legend_handles_labels(), strict=True)]
        handles, labels = handles + [h for h, _ in extra], labels + [lab for _, lab in extra]
    fig.legend(handles, labels, loc="outside upper center", ncol=2, fontsize=8, frameon=False)
    return fig
