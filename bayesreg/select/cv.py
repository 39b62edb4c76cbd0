r"""`cv_path`: K-fold cross-validation along a path of model arguments, in one compiled program.

Every fold's MAP at every grid point, and its held-out loss, come from one call of one compiled
program: the grid is warm-started within each fold (the ``lax.scan`` of `bayesreg.map_path`) and
the folds are one batch of argument sets (`bayesreg.map.program.solve_batch`). A fold's
training rows enter in one of two forms, both exactly the density of those rows:

- **statistics**: when the model reduces its data (`bayesreg.models.reduced_arguments`; e.g.
  `bayesreg.models.linear` with ``n > p``, whose Gaussian likelihood is its sufficient
  statistics), each fold's statistics of its training rows, one ``p x p`` set per fold, so an
  iteration costs ``O(p²)`` whatever the number of rows;
- **row weights**: otherwise, the whole data for every fold with a weight per row (1 to train,
  0 held out) on the observed sites (`bayesreg.select.cv_folds.RowWeights`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist

from .. import priors
from .._compile import MODEL_LOCK, split_arguments
from .._trace import constrain_fn, trace
from .._validation import prepare_model_arguments
from ..map.checks import check_options
from ..map.objective import setup
from ..map.path import check_path_outcome, path_values, stack_path
from ..map.program import SOLVERS
from ..map.result import MapPath, MapResult
from .cv_folds import LOSSES, default_loss, resolve_folds
from .cv_program import batched_folds, cv_program, fold_arguments, split_members

__all__ = ["CVPath", "cv_path"]


@dataclass(frozen=True)
class CVPath:
    """Cross-validated held-out losses along a path, as returned by `cv_path`.

    Attributes
    ----------
    grid : dict of str to list
        The path: keyword argument name -> the ``k`` values, in the order solved.
    fold_losses : numpy.ndarray
        Held-out loss of each fold at each point, shape ``(k, n_folds)`` (as ``LassoCV``'s
        ``mse_path_``): the mean over the fold's held-out rows.
    mean, se : numpy.ndarray
        Per point, shape ``(k,)``: the mean over folds and its standard error,
        ``std(ddof=1) / sqrt(n_folds)``.
    best_index : int
        The point of least mean loss (the first, on ties).
    one_se_index : int
        The point of strongest shrinkage whose mean loss is within ``mean[best] + se[best]``
        (glmnet's ``lambda.1se``).
    path : MapPath
        The MAP path refitted on all rows (what `bayesreg.map_path` returns).
    folds : list of tuple of numpy.ndarray
        The ``(train, test)`` row indices of each fold.
    scoring : str
        The loss: ``"squared_error"``, ``"log_loss"``, ``"poisson_deviance"``,
        ``"neg_log_likelihood"`` or the name of the callable given.
    strength : numpy.ndarray
        Shrinkage strength of each point, shape ``(k,)``, larger = more shrinkage: the sum over
        the varying priors of their penalty weights ``1/b + 1/tau²`` (averaged over weights),
        from each prior kind's penalty parts; where a varying value has none, the grid order
        (point 0 strongest).
    converged : numpy.ndarray
        Whether each fold's MAP at each point met the tolerance, shape ``(k, n_folds)``.
    route : str
        How the folds' training rows entered the program: ``"statistics"`` or ``"row_weights"``.
    """

    grid: dict[str, list]
    fold_losses: np.ndarray
    mean: np.ndarray
    se: np.ndarray
    best_index: int
    one_se_index: int
    path: MapPath
    folds: list
    scoring: str
    strength: np.ndarray
    converged: np.ndarray
    route: str

    @property
    def best(self) -> MapResult:
        """The `MapResult` (all rows) at the point of least mean held-out loss."""
        return self.path[self.best_index]

    @property
    def one_se(self) -> MapResult:
        """The `MapResult` (all rows) at the one-standard-error point."""
        return self.path[self.one_se_index]

    def plot(self, ax: Any = None) -> Any:
        """Draw the mean held-out loss ± one SE over the shrinkage strength; mark both choices.

        Returns the matplotlib ``Axes`` (a new figure's when ``ax`` is None).
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        known = _strength_known(self.grid)
        x = self.strength if known else np.arange(len(self.mean))
        ax.errorbar(x, self.mean, yerr=self.se, fmt="o-", ms=3, capsize=2, label="mean ± SE")
        for index, label, style in (
            (self.best_index, "min", "--"),
            (self.one_se_index, "1-SE", ":"),
        ):
            ax.axvline(x[index], color="k", linestyle=style, label=f"{label} (point {index})")
        if known:
            ax.set_xscale("log")
            ax.set_xlabel("shrinkage strength (1/b + 1/tau²)")
        else:
            ax.set_xlabel("path point (0 = strongest shrinkage)")
        ax.set_ylabel(f"held-out {self.scoring}")
        ax.legend()
        return ax

    def __repr__(self) -> str:
        return (
            f"CVPath(grid={list(self.grid)}, points={len(self.mean)}, folds={len(self.folds)}, "
            f"scoring={self.scoring!r}, best_index={self.best_index}, "
            f"one_se_index={self.one_se_index}, route={self.route!r})"
        )


def cv_path(
    model: Callable,
    *args: Any,
    path: Mapping[str, Any],
    folds: Any = 5,
    scoring: str | Callable | None = None,
    seed: int | None = None,
    tol: float | None = None,
    max_iter: int = 20_000,
    dtype: str | Any = "float64",
    **kwargs: Any,
) -> CVPath:
    r"""K-fold cross-validation of the MAP along a path of model arguments, in one program.

    For every fold and grid point, the MAP of the model on the fold's training rows (exactly
    `bayesreg.map_estimate` there, held to the same certificate) and its loss on the fold's
    held-out rows; and, in the same program, the path on all rows (as `bayesreg.map_path`).

    Parameters
    ----------
    model : callable
        A NumPyro model whose first argument ``X`` (positional or keyword) holds one row per
        observation, with one observed sample site over those rows (e.g. ``"y"``).
    *args, **kwargs
        Fixed model arguments, as for `bayesreg.map_path`. Arrays whose leading axis has one
        entry per row are the rows the folds split.
    path : dict of str to sequence
        As for `bayesreg.map_path`, at least 2 points, ordered from strong to weak shrinkage,
        e.g. ``{"prior": [bayesreg.models.laplace(b) for b in scales]}`` with ``scales``
        increasing.
    folds : int, splitter or list of (train, test)
        An int ``k`` splits the rows in order into ``k`` contiguous folds, unshuffled, as
        scikit-learn's ``KFold(k)`` (``LassoCV(cv=k)``), or, for a Bernoulli likelihood, as
        ``StratifiedKFold(k)`` (``LogisticRegressionCV(cv=k)``); a scikit-learn splitter
        (anything with ``.split(X, y)``, e.g. ``KFold(k, shuffle=True, random_state=0)``); or a
        list of ``(train, test)`` integer index arrays.
    scoring : None, str or callable
        The held-out loss, lower is better, averaged over each fold's held-out rows. None: the
        deviance of the observed distribution at the MAP: squared error for a Normal
        likelihood (`bayesreg.models.linear`), log loss for a Bernoulli one
        (`bayesreg.models.logistic`), Poisson deviance $2(y \log(y/\mu) - y + \mu)$ for a
        Poisson one (`bayesreg.models.poisson`), the negative log-likelihood for any other. A
        name among ``"squared_error"``, ``"log_loss"``, ``"poisson_deviance"`` and
        ``"neg_log_likelihood"``, or a callable ``scoring(y_true, y_mean) -> float`` of the
        held-out responses and the distribution's mean.
    seed : int, optional
        With an int ``folds``: ``None`` (default) splits the rows in their order, as
        ``LassoCV(cv=k)`` does; an int shuffles them first, as
        ``KFold(k, shuffle=True, random_state=seed)`` (and, stratified, for a Bernoulli
        likelihood), the random folds of glmnet's ``cv.glmnet``. Ignored when ``folds`` is a
        splitter or a list of pairs, which carry their own order.
    tol, max_iter, dtype
        As for `bayesreg.map_estimate`.

    Returns
    -------
    CVPath
        ``fold_losses``, ``mean``, ``se``, ``best_index``, ``one_se_index``, ``path`` (all
        rows), ``best`` / ``one_se`` (their `MapResult`), ``plot()``. One
        `bayesreg.map.ConvergenceWarning` names the (fold, point) solves that missed ``tol``.

    Raises
    ------
    ValueError
        A path of one point, more folds than rows, overlapping, repeated or out-of-range fold
        indices, an empty fold, a fold whose training rows hold one class (Bernoulli), no (or
        several) observed sites over the rows, and whatever `bayesreg.map_path` refuses.

    Notes
    -----
    With a Laplace prior of fixed scale ``b`` and a Gaussian likelihood of known ``sigma``, a
    fold of ``n_train`` training rows solves ``Lasso(alpha = sigma² / (n_train b))``
    (`bayesreg.penalty.lasso_alpha`): the prior is fixed, so the equivalent scikit-learn
    penalty differs between folds of different sizes, where ``LassoCV`` keeps one ``alpha``
    for all. With folds of equal size the two are the same problems.

    Examples
    --------
    >>> import numpy as np, bayesreg as br
    >>> from sklearn.datasets import load_diabetes
    >>> X, y = load_diabetes(return_X_y=True)
    >>> scales = np.geomspace(1.0, 1000.0, 10)
    >>> cv = br.cv_path(br.models.linear, X, y, sigma=55.0,
    ...                 path={"prior": [br.models.laplace(b) for b in scales]})
    >>> cv.fold_losses.shape, cv.scoring, cv.one_se_index <= cv.best_index
    ((10, 5), 'squared_error', True)
    """
    with MODEL_LOCK:
        dtype, tol = check_options(model, dtype, tol, max_iter)
        values = path_values(path, kwargs)
        k = len(next(iter(values.values())))
        if k < 2:
            raise ValueError(
                f"path must hold at least 2 points to choose among; got {k}. Give a grid, "
                "e.g. path={'prior': [bayesreg.models.laplace(b) for b in np.geomspace(0.1, "
                "100, 30)]}, or use map_estimate for one point."
            )
        args, kwargs, _ = prepare_model_arguments(model, args, kwargs)
        first, varying = stack_path(values, dtype)
        n, X = _rows_of(args, kwargs)
        point = {**kwargs, **first}
        start = setup(model, args, point, None)
        _check_points(model, args, kwargs, values, start.init)
        row_site, y_observed, observed_fn = _observed_rows(model, args, point, start.init, n)
        loss_name, score = _scoring(scoring, observed_fn)
        bernoulli = default_loss(observed_fn) == "log_loss"
        pairs = resolve_folds(folds, n, X, y_observed, stratify=bernoulli, seed=seed)
        if bernoulli:
            _check_classes(pairs, y_observed)

        # the folds' training rows, then all rows (the refit is the batch's last member)
        trains = [train for train, _ in pairs] + [None]
        route, solve_model, splits = fold_arguments(
            model, args, kwargs, first, trains, n, dtype, start.init
        )
        member_at, shared, members = split_members(splits, len(varying))
        init = {
            name: jnp.broadcast_to(jnp.asarray(value, dtype), (len(trains), *jnp.shape(value)))
            for name, value in start.init.items()
        }
        l1_sites = start.l1_sites
        loss_split = split_arguments((args, kwargs, first), float_dtype=dtype)
        loss_fixed = loss_split.traced[: len(loss_split.traced) - len(varying)]
        test_weights = np.zeros((len(trains), n), dtype=dtype)
        for f, (_, test) in enumerate(pairs):
            test_weights[f, test] = 1.0
        batched = batched_folds()

        def make():
            return jax.jit(
                partial(
                    cv_program,
                    solve_model,
                    splits[0]._replace(traced=[]),
                    l1_sites,
                    batched,
                    member_at,
                    model,
                    loss_split._replace(traced=[]),
                    row_site,
                    loss_name,
                )
            )

        key = ("cv", solve_model, *splits[0].key, member_at, l1_sites, batched, model,
               *loss_split.key, row_site, loss_name)  # fmt: skip
        program, _ = SOLVERS.get(key, make)
        params, objective, optimality, num_iter, moved, no_map, out = jax.device_get(
            program(
                shared,
                members,
                varying,
                init,
                jnp.asarray(tol, dtype),
                jnp.asarray(max_iter, jnp.int32),
                loss_fixed,
                jnp.asarray(test_weights),
            )
        )
        converged = check_path_outcome(
            l1_sites, moved[:-1], objective[:-1], optimality[:-1], num_iter[:-1], no_map[:-1],
            tol, "cv_path (fold, point)",
        )  # fmt: skip
        refit_converged = check_path_outcome(
            l1_sites, moved[-1], objective[-1], optimality[-1], num_iter[-1], no_map[-1], tol,
            "cv_path (the path refitted on all rows)",
        )  # fmt: skip
        refit = MapPath(
            path=values,
            params={name: np.asarray(value) for name, value in params.items()},
            objective=np.asarray(objective[-1], dtype=float),
            optimality=np.asarray(optimality[-1], dtype=float),
            num_iter=np.asarray(num_iter[-1], dtype=int),
            converged=refit_converged,
            tolerance=float(tol),
            method="warm_start",
            model=model,
            args=args,
            kwargs=kwargs,
        )
        if score is None:
            losses = np.asarray(out[:-1], dtype=float)
        else:
            losses = np.array(
                [
                    [float(score(y_observed[test], out[f, i, test])) for i in range(k)]
                    for f, (_, test) in enumerate(pairs)
                ]
            )
        fold_losses = losses.T
    mean = fold_losses.mean(axis=1)
    se = fold_losses.std(axis=1, ddof=1) / np.sqrt(len(pairs))
    strength = _strength(values, k)
    best = int(np.argmin(mean))
    return CVPath(
        grid=values,
        fold_losses=fold_losses,
        mean=mean,
        se=se,
        best_index=best,
        one_se_index=one_se_rule(mean, se, strength),
        path=refit,
        folds=pairs,
        scoring=loss_name if score is None else getattr(score, "__name__", "callable"),
        strength=strength,
        converged=np.asarray(converged).T,
        route=route,
    )


def one_se_rule(mean: np.ndarray, se: np.ndarray, strength: np.ndarray) -> int:
    """Return the strongest point whose mean is within one SE of the least mean (first on ties)."""
    best = int(np.argmin(mean))
    within = np.flatnonzero(mean <= mean[best] + se[best])
    return int(within[np.argmax(strength[within])])


def _rows_of(args: tuple, kwargs: dict) -> tuple[int, Any]:
    X = args[0] if args else kwargs.get("X")
    if X is None or np.ndim(X) < 1:
        raise TypeError(
            "cv_path splits the rows of the model's first argument X (positional, or the "
            "keyword X=): give the data as model(X, y, ...)."
        )
    return int(np.shape(X)[0]), X


def _check_points(model: Callable, args: tuple, kwargs: dict, values: dict, init: dict) -> None:
    """Run the model at every point whose values are not distributions (validated when built).

    The model checks its concrete arguments there (e.g. ``sigma`` must be positive), which it
    cannot do inside the compiled program.
    """
    if all(isinstance(v, dist.Distribution) for seq in values.values() for v in seq):
        return
    for i in range(1, len(next(iter(values.values())))):
        point = {name: sequence[i] for name, sequence in values.items()}
        trace(model, args, {**kwargs, **point}, constrain_fn(init))


def _observed_rows(
    model: Callable, args: tuple, kwargs: dict, init: dict, n: int
) -> tuple[str, np.ndarray, Any]:
    """Return the observed site over the ``n`` rows: its name, value and distribution."""
    model_trace = trace(model, args, kwargs, constrain_fn(init))
    found = [
        name
        for name, site in model_trace.items()
        if site["type"] == "sample"
        and site["is_observed"]
        and tuple(site["fn"].batch_shape)[-1:] == (n,)
    ]
    if len(found) != 1:
        raise ValueError(
            f"cv_path needs exactly one observed sample site with one entry per row of X ({n} "
            f"rows) to hold rows out of; the model has {found or 'none'}. Pass the responses "
            "as an observation (obs=y under a plate over the rows)."
        )
    site = model_trace[found[0]]
    return found[0], np.asarray(site["value"]), site["fn"]


def _scoring(scoring: Any, fn: Any) -> tuple[str | None, Callable | None]:
    if scoring is None:
        return default_loss(fn), None
    if isinstance(scoring, str):
        if scoring not in LOSSES:
            raise ValueError(
                f"scoring must be None, one of {sorted(LOSSES)} or a callable "
                f"scoring(y_true, y_mean) -> float; got {scoring!r}."
            )
        return scoring, None
    if callable(scoring):
        return None, scoring
    raise TypeError(
        f"scoring must be None, a loss name or a callable; got {type(scoring).__name__}."
    )


def _check_classes(pairs: list, y: np.ndarray) -> None:
    for i, (train, _) in enumerate(pairs):
        classes = np.unique(y[train])
        if classes.size < 2:
            raise ValueError(
                f"folds[{i}]: its training rows hold only class {classes.tolist()}, so the "
                "logistic MAP there has no finite intercept; use stratified folds (folds=int "
                "does this) or fewer folds."
            )


def _penalty_weight(value: Any) -> float | None:
    kind = priors.kind_of(value)
    parts = kind.penalty_parts(value) if kind is not None else None
    if parts is None:
        return None
    weight = 0.0
    if parts.l1_scale is not None:
        weight += float(np.mean(1.0 / np.asarray(parts.l1_scale, dtype=float)))
    if parts.l2_scale is not None:
        weight += float(np.mean(1.0 / np.asarray(parts.l2_scale, dtype=float) ** 2))
    return weight


def _strength_known(values: dict[str, list]) -> bool:
    """Whether some path entry is a prior with penalty parts at every point."""
    return any(
        all(_penalty_weight(value) is not None for value in sequence)
        for sequence in values.values()
    )


def _strength(values: dict[str, list], k: int) -> np.ndarray:
    total, known = np.zeros(k), False
    for sequence in values.values():
        weights = [_penalty_weight(value) for value in sequence]
        if all(w is not None for w in weights):
            total, known = total + np.asarray(weights), True
    # without penalty parts the grid order stands in: point 0 strongest
    return total if known else np.arange(k, 0, -1, dtype=float)
