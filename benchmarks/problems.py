"""The benchmark problems: fixed seeds, the same data in every process that builds them.

Each problem is built from its name alone (so a fresh worker subprocess rebuilds identical data).
Penalties are set relative to ``alpha_max``, the smallest penalty whose solution is all zeros.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

SEED = 20261123
L1_RATIO = 0.5  # elastic net mixing
ALPHA_FRACTION = 0.1  # alpha = 0.1 * alpha_max, as in issue 7's baseline measurements
PATH_LENGTH = {"full": 100, "tiny": 5}
PATH_EPS = 1e-2  # the path runs from alpha_max down to PATH_EPS * alpha_max


class Problem(NamedTuple):
    name: str
    kind: str  # "gaussian" or "logistic"
    X: np.ndarray
    y: np.ndarray
    description: str


def _sparse_gaussian(n: int, p: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Standard-normal design, ``k`` nonzero weights of size 1..2 (random signs), unit noise."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    coef = np.zeros(p)
    support = rng.choice(p, size=k, replace=False)
    coef[support] = rng.choice([-1.0, 1.0], size=k) * rng.uniform(1.0, 2.0, size=k)
    return X, X @ coef + 1.0 + rng.standard_normal(n)


def _sparse_logistic(n: int, p: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    coef = np.zeros(p)
    support = rng.choice(p, size=k, replace=False)
    coef[support] = rng.choice([-1.0, 1.0], size=k) * rng.uniform(0.5, 1.0, size=k)
    logits = X @ coef - 0.5
    return X, (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-logits))).astype(float)


def _standardize(X: np.ndarray) -> np.ndarray:
    return (X - X.mean(axis=0)) / X.std(axis=0)


def _diabetes() -> tuple[np.ndarray, np.ndarray, str]:
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    return X, y, "sklearn diabetes, 442×10 (scaled as shipped)"


def _breast_cancer() -> tuple[np.ndarray, np.ndarray, str]:
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    return _standardize(X), y.astype(float), "sklearn breast cancer, 569×30, standardized"


# name -> (kind, full-size builder, tiny-size builder); builders return (X, y, description)
_SYNTHETIC = {
    "gauss_2000x200": ("gaussian", (2000, 200, 20), (200, 20, 5)),
    "gauss_20000x1000": ("gaussian", (20000, 1000, 50), (400, 40, 8)),
    "gauss_500x5000": ("gaussian", (500, 5000, 20), (50, 200, 5)),
    "gauss_100000x20": ("gaussian", (100_000, 20, 10), (2000, 5, 3)),
    "logistic_5000x500": ("logistic", (5000, 500, 20), (300, 20, 5)),
}

NAMES = ("diabetes", *_SYNTHETIC, "breast_cancer")


def make_problem(name: str, tiny: bool = False) -> Problem:
    """Build problem ``name`` (full or tiny size) with its fixed seed."""
    if name == "diabetes":
        X, y, text = _diabetes()
        return Problem(name, "gaussian", X, y, text)
    if name == "breast_cancer":
        X, y, text = _breast_cancer()
        return Problem(name, "logistic", X, y, text)
    if name not in _SYNTHETIC:
        raise ValueError(f"unknown problem {name!r}; known: {', '.join(NAMES)}.")
    kind, full, small = _SYNTHETIC[name]
    n, p, k = small if tiny else full
    make = _sparse_gaussian if kind == "gaussian" else _sparse_logistic
    X, y = make(n, p, k, SEED + sum(map(ord, name)))
    return Problem(name, kind, X, y, f"synthetic {kind} {n}×{p}, {k} true nonzeros, seed fixed")


def alpha_max(problem: Problem, l1_ratio: float = 1.0) -> float:
    """Smallest ``alpha`` of the (1/n)-scaled objective whose minimizer has all weights zero.

    Gaussian: ``(1/2n)RSS + alpha*l1_ratio*|w|_1 + ...``; logistic: ``mean logloss + alpha*|w|_1``;
    in both the gradient at ``w = 0`` (intercept fitted) is ``X_c^T (y - mean(y)) / n``.
    """
    X, y = problem.X, problem.y
    n = X.shape[0]
    return float(np.max(np.abs((X - X.mean(axis=0)).T @ (y - y.mean()))) / (n * l1_ratio))
