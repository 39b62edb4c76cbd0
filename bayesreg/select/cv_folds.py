r"""The pieces of `cv_path`: folds, held-out losses, and a model whose rows carry weights.

- `resolve_folds` turns ``folds`` (an int, a splitter with ``.split(X, y)``, or a list of
  ``(train, test)`` index arrays) into checked index arrays. An int splits the rows in order
  into contiguous folds without shuffling, as scikit-learn's ``KFold(k)`` (``LassoCV(cv=k)``),
  or, for a Bernoulli likelihood, by class as ``StratifiedKFold(k)`` (``LogisticRegressionCV``);
  both are reproduced here index for index (scikit-learn is imported only by `bayesreg.sklearn`).
- `LOSSES` are the held-out losses per row, from the observed site's distribution at the MAP;
  `default_loss` picks the deviance of the likelihood from that distribution's type.
- `RowWeights` scales the log density of the observed sites whose last batch axis runs over the
  ``n`` rows, and `RowWeighted` is a model run under it: with weights 1 on the training rows and
  0 on the held-out ones, its log density is exactly the training rows' (a zero-weight row adds
  nothing to the value, the gradient or the curvature), so its MAP is the training rows' MAP,
  held to the same scale-free certificate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
from jax.scipy.special import xlogy
from numpyro.primitives import Messenger

from .. import priors
from .._types import Array

__all__ = [
    "LOSSES",
    "RowWeighted",
    "RowWeights",
    "default_loss",
    "kfold",
    "resolve_folds",
    "stratified_kfold",
]


# ---------------------------------------------------------------------------------------------
# folds


def kfold(n: int, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return contiguous folds in row order: ``KFold(k)`` (the first ``n % k`` are larger).

    Examples
    --------
    >>> [test.tolist() for _, test in kfold(5, 2)]
    [[0, 1, 2], [3, 4]]
    """
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    edges = np.concatenate([[0], np.cumsum(sizes)])
    rows = np.arange(n)
    return [
        (np.delete(rows, np.s_[a:b]), rows[a:b]) for a, b in zip(edges[:-1], edges[1:], strict=True)
    ]


def stratified_kfold(y: np.ndarray, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return folds that keep the class proportions: ``StratifiedKFold(k)``, unshuffled.

    The classes are ranked by first appearance; the rows of the sorted labels are dealt to the
    folds in turn, and each class's rows, in order, fill its folds' quotas.

    Examples
    --------
    >>> import numpy as np
    >>> [test.tolist() for _, test in stratified_kfold(np.array([0, 0, 1, 1, 0, 1]), 3)]
    [[0, 2], [1, 3], [4, 5]]
    """
    _, first_index, inverse = np.unique(y, return_index=True, return_inverse=True)
    _, rank = np.unique(first_index, return_inverse=True)
    encoded = rank[inverse.reshape(-1)]
    classes = len(first_index)
    ordered = np.sort(encoded)
    allocation = np.array([np.bincount(ordered[i::k], minlength=classes) for i in range(k)])
    test_fold = np.empty(len(y), dtype=int)
    for c in range(classes):
        test_fold[encoded == c] = np.repeat(np.arange(k), allocation[:, c])
    rows = np.arange(len(y))
    return [(rows[test_fold != i], rows[test_fold == i]) for i in range(k)]


def resolve_folds(
    folds: Any, n: int, X: Any, y: np.ndarray, stratify: bool, seed: int | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return checked ``(train, test)`` integer index arrays for ``folds`` (see `cv_path`).

    An int ``folds`` with a ``seed`` splits the rows in the order of
    ``numpy.random.RandomState(seed).permutation(n)``: the folds of
    ``KFold(folds, shuffle=True, random_state=seed)``, and for ``stratify`` the stratified
    folds of the permuted rows.
    """
    if isinstance(folds, int | np.integer) and not isinstance(folds, bool):
        if folds < 2:
            raise ValueError(
                f"folds must be at least 2 (an int, a splitter or pairs); got {folds}."
            )
        if folds > n:
            raise ValueError(
                f"folds={folds} is more folds than the {n} rows of the data; use at most {n} "
                "folds (folds=n is leave-one-out)."
            )
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
            raise TypeError(f"seed must be an int or None; got {seed!r}.")
        order = np.arange(n) if seed is None else np.random.RandomState(seed).permutation(n)
        y_order = np.asarray(y)[order]
        pairs = stratified_kfold(y_order, int(folds)) if stratify else kfold(n, int(folds))
        pairs = [(np.sort(order[train]), np.sort(order[test])) for train, test in pairs]
    elif hasattr(folds, "split"):
        pairs = list(folds.split(np.asarray(X), y))
    elif isinstance(folds, Iterable) and not isinstance(folds, str | bytes):
        pairs = list(folds)  # a list of pairs, or a splitter's .split(...) generator
    else:
        raise TypeError(
            "folds must be an int, a scikit-learn splitter (anything with .split(X, y)) or a "
            f"list of (train, test) index arrays; got {type(folds).__name__}."
        )
    if len(pairs) < 2:
        raise ValueError(f"folds must give at least 2 (train, test) pairs; got {len(pairs)}.")
    return [_check_pair(pair, i, n) for i, pair in enumerate(pairs)]


def _check_pair(pair: Any, i: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    try:
        train, test = pair
    except (TypeError, ValueError):
        raise TypeError(
            f"folds[{i}] must be a (train, test) pair of index arrays; got {type(pair).__name__}."
        ) from None
    checked = []
    for name, rows in (("train", train), ("test", test)):
        rows = np.asarray(rows)
        if rows.dtype == bool and rows.shape == (n,):
            rows = np.flatnonzero(rows)  # a boolean mask over the rows
        if rows.ndim != 1 or not (rows.size == 0 or np.issubdtype(rows.dtype, np.integer)):
            raise ValueError(
                f"folds[{i}] {name} rows must be a 1-d array of integer row indices; got "
                f"shape {rows.shape}, dtype {rows.dtype}."
            )
        if rows.size == 0:
            raise ValueError(f"folds[{i}] has no {name} rows; every fold needs both.")
        if rows.min() < 0 or rows.max() >= n:
            raise ValueError(
                f"folds[{i}] {name} rows must be indices in [0, {n}); got values from "
                f"{int(rows.min())} to {int(rows.max())}."
            )
        if np.unique(rows).size != rows.size:
            raise ValueError(f"folds[{i}] {name} rows repeat an index; give each row once.")
        checked.append(rows.astype(np.int64))
    overlap = np.intersect1d(*checked)
    if overlap.size:
        raise ValueError(
            f"folds[{i}] uses rows {overlap[:10].tolist()} both to train and to test; the "
            "held-out rows must not be fitted."
        )
    return checked[0], checked[1]


# ---------------------------------------------------------------------------------------------
# held-out losses, per row, from the observed site's distribution at the MAP


def _rows(value: Array, n: int) -> Array:
    """Sum whatever axes follow the row axis (event dims), so there is one number per row."""
    return jnp.reshape(value, (n, -1)).sum(axis=-1)


def _squared_error(fn: dist.Distribution, y: Array) -> Array:
    return _rows((y - fn.mean) ** 2, y.shape[0])


def _neg_log_likelihood(fn: dist.Distribution, y: Array) -> Array:
    return -_rows(fn.log_prob(y), y.shape[0])


def _poisson_deviance(fn: dist.Distribution, y: Array) -> Array:
    mu = fn.mean
    return _rows(2.0 * (xlogy(y, y) - xlogy(y, mu) - y + mu), y.shape[0])


#: name -> ``(distribution, y) -> loss per row``, averaged over a fold's held-out rows.
LOSSES: dict[str, Callable[[dist.Distribution, Array], Array]] = {
    "squared_error": _squared_error,
    "log_loss": _neg_log_likelihood,
    "poisson_deviance": _poisson_deviance,
    "neg_log_likelihood": _neg_log_likelihood,
}

# the deviance of each likelihood family, by the observed distribution's class (or a parent)
_DEVIANCE_OF = {
    dist.Normal: "squared_error",
    dist.BernoulliLogits: "log_loss",
    dist.BernoulliProbs: "log_loss",
    dist.Poisson: "poisson_deviance",
}


def default_loss(fn: dist.Distribution) -> str:
    """Return the deviance of the observed distribution's family (else the negative log-lik.)."""
    base, _ = priors.unwrap(fn)
    return next(
        (_DEVIANCE_OF[cls] for cls in type(base).__mro__ if cls in _DEVIANCE_OF),
        "neg_log_likelihood",
    )


# ---------------------------------------------------------------------------------------------
# a model whose rows carry weights


class RowWeights(Messenger):
    """Scale each observed sample site whose last batch axis has ``n`` entries by ``weights``.

    ``weights`` has shape ``(n,)``: the site's log density becomes ``weights * log p`` row by
    row (as ``numpyro.handlers.scale`` does with an array), so a row of weight 0 adds nothing.
    Latent sites and observed sites of other shapes are left as they are.
    """

    def __init__(self, fn: Callable | None = None, weights: Any = None) -> None:
        self.weights = weights
        self.rows = int(np.shape(weights)[-1])
        super().__init__(fn)

    def process_message(self, msg: dict) -> None:
        """Weight the rows of an observed site over the rows."""
        if msg["type"] != "sample" or not msg["is_observed"]:
            return
        batch_shape = tuple(msg["fn"].batch_shape)
        if batch_shape and batch_shape[-1] == self.rows:
            weights = self.weights
            msg["scale"] = weights if msg["scale"] is None else msg["scale"] * weights


@dataclass(frozen=True)
class RowWeighted:
    """``model`` run under `RowWeights`: ``RowWeighted(model)(*args, row_weights=w, **kwargs)``.

    Equal (and hashing alike) for one model, so compiled programs are reused across calls.
    """

    model: Callable

    def __call__(self, *args: Any, row_weights: Any, **kwargs: Any) -> Any:
        """Run the model with its rows weighted by ``row_weights``."""
        with RowWeights(weights=row_weights):
            return self.model(*args, **kwargs)
