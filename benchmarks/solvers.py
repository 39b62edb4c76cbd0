"""MAP tasks, their objectives written out in NumPy, and every tool that solves them.

Accuracy is part of the measurement: each tool's answer is scored by the same NumPy objective
(below), as the relative suboptimality ``(F(w) - F*) / |F*|`` against a reference ``F*``.

Objectives (``r = y - X w - w0``, ``w0`` the unpenalized intercept):

- ``lasso``:   ``(1/2n)|r|² + alpha |w|_1``                          (sklearn ``Lasso``)
- ``enet``:    ``(1/2n)|r|² + alpha rho |w|_1 + alpha (1-rho)/2 |w|²``  (sklearn ``ElasticNet``)
- ``ridge``:   ``|r|² + alpha |w|²``                                  (sklearn ``Ridge``)
- ``path``:    the lasso on centered data without intercept, at each alpha of a grid (scored by
  the worst grid point), as ``sklearn.linear_model.lasso_path`` computes it
- ``logistic``: ``mean logloss + alpha |w|_1``  (sklearn ``LogisticRegression(C=1/(n alpha))``)

bayesreg solves the same problems as MAPs of :mod:`bayesreg.models` with ``sigma = 1``; the prior
scales come from :mod:`bayesreg.penalty` (its conversions are exercised here too).
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .problems import ALPHA_FRACTION, L1_RATIO, PATH_EPS, PATH_LENGTH, Problem, alpha_max

TARGET_SUBOPTIMALITY = 1e-8  # every tool's tolerance is chosen to reach this
TASKS = ("lasso", "enet", "ridge", "path", "logistic")
LADDER = (1e-4, 1e-6, 1e-8, 1e-10, 1e-12)
# bayesreg's ladder stops at its default: a first-order solve (p > newton_max_dim) asked for more
# than float64 gives can run to max_iter
BAYESREG_LADDER = (1e-4, 1e-6, 1e-8, 1e-10)
# saga's stopping rule is on the change of the weights, not on the objective: the ladder runs two
# rungs past 1e-8 so that a rung reaching the target suboptimality exists on any machine
SAGA_LADDER = (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10)
MAX_ITER = 1_000_000


class Fit(NamedTuple):
    coef: np.ndarray  # (p,) or, for a path, (k, p)
    intercept: np.ndarray  # () or (k,)


# ---------------------------------------------------------------------------------------------
# the task parameters and the objectives


def task_data(problem: Problem, task: str) -> tuple[np.ndarray, np.ndarray]:
    """The data of a task: the path runs on centered data (lasso_path fits no intercept)."""
    if task == "path":
        return problem.X - problem.X.mean(axis=0), problem.y - problem.y.mean()
    return problem.X, problem.y


def task_params(problem: Problem, task: str, tiny: bool = False) -> dict[str, Any]:
    """Penalty of ``task`` on ``problem`` in scikit-learn's scaling."""
    n = problem.X.shape[0]
    if task in ("lasso", "logistic"):
        return {"alpha": ALPHA_FRACTION * alpha_max(problem)}
    if task == "enet":
        return {"alpha": ALPHA_FRACTION * alpha_max(problem, L1_RATIO), "l1_ratio": L1_RATIO}
    if task == "ridge":
        Xc = problem.X - problem.X.mean(axis=0)
        return {"alpha": ALPHA_FRACTION * float(np.sum(Xc**2)) / problem.X.shape[1]}
    if task == "path":
        k = PATH_LENGTH["tiny" if tiny else "full"]
        grid = alpha_max(problem) * np.logspace(0.0, np.log10(PATH_EPS), k)
        return {"alphas": grid, "n": n}
    raise ValueError(f"unknown task {task!r}; known: {', '.join(TASKS)}.")


def objective(problem: Problem, task: str, params: dict[str, Any], fit: Fit) -> float:
    """The task's objective at ``fit`` (for a path: the vector over the grid)."""
    X, y = task_data(problem, task)
    n = X.shape[0]
    if task == "path":
        residuals = y[None, :] - fit.coef @ X.T  # (k, n)
        l1 = np.sum(np.abs(fit.coef), axis=1)
        return np.sum(residuals**2, axis=1) / (2 * n) + params["alphas"] * l1
    coef, intercept = fit.coef, float(fit.intercept)
    eta = X @ coef + intercept
    alpha = params["alpha"]
    if task == "logistic":
        return float(np.mean(np.logaddexp(0.0, eta) - y * eta) + alpha * np.sum(np.abs(coef)))
    rss = float(np.sum((y - eta) ** 2))
    if task == "lasso":
        return rss / (2 * n) + alpha * float(np.sum(np.abs(coef)))
    if task == "enet":
        rho = params["l1_ratio"]
        return (
            rss / (2 * n)
            + alpha * rho * float(np.sum(np.abs(coef)))
            + 0.5 * alpha * (1 - rho) * float(coef @ coef)
        )
    return rss + alpha * float(coef @ coef)  # ridge


def suboptimality(value: Any, reference: Any) -> float:
    """Relative suboptimality ``(F - F*) / |F*|``, the worst grid point for a path."""
    value, reference = np.asarray(value, float), np.asarray(reference, float)
    return float(np.max((value - reference) / np.abs(reference)))


def kkt_violation(problem: Problem, task: str, params: dict[str, Any], fit: Fit) -> float:
    """Largest violation of the optimality conditions (a certificate of the reference).

    Infinity norm of the minimum-norm subgradient of the objective (intercept included, except
    on the path, which has none), relative to the penalty ``alpha``; for a path, the worst grid
    point.
    """
    X, y = task_data(problem, task)
    if task == "path":
        return max(
            _violation(X, y, coef, 0.0, {"alpha": alpha}, "lasso", fit_intercept=False)
            for alpha, coef in zip(params["alphas"], fit.coef, strict=True)
        )
    return _violation(X, y, fit.coef, float(fit.intercept), params, task, fit_intercept=True)


def _violation(
    X: np.ndarray,
    y: np.ndarray,
    coef: np.ndarray,
    intercept: float,
    params: dict[str, Any],
    task: str,
    fit_intercept: bool,
) -> float:
    n = X.shape[0]
    eta = X @ coef + intercept
    alpha = params["alpha"]
    if task == "ridge":
        residual = y - eta
        grad = -2 * X.T @ residual + 2 * alpha * coef
        return float(max(np.max(np.abs(grad)), abs(2 * np.sum(residual)))) / alpha
    mean = 1.0 / (1.0 + np.exp(-eta)) if task == "logistic" else eta
    residual = y - mean
    grad = -X.T @ residual / n
    grad0 = -np.mean(residual) if fit_intercept else 0.0
    l1 = alpha * params.get("l1_ratio", 1.0)
    if task == "enet":
        grad = grad + alpha * (1 - params["l1_ratio"]) * coef
    violation = np.where(
        coef == 0, np.maximum(np.abs(grad) - l1, 0.0), np.abs(grad + l1 * np.sign(coef))
    )
    return float(max(np.max(violation), abs(grad0))) / alpha


# ---------------------------------------------------------------------------------------------
# the tools


class Tool(NamedTuple):
    name: str
    module: str  # importable module whose absence skips the tool
    tasks: tuple[str, ...]
    ladder: tuple[float | None, ...]
    fit: Callable[[Problem, str, dict[str, Any], float | None], Fit]
    is_bayesreg: bool = False


def _quiet(call: Callable[[], Any]) -> Any:
    """Run a fit with convergence warnings silenced: accuracy is scored, not trusted."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call()


def _estimator_fit(estimator: Any, X: np.ndarray, y: np.ndarray) -> Fit:
    _quiet(lambda: estimator.fit(X, y))
    coef = np.ravel(estimator.coef_)
    return Fit(coef, np.asarray(np.ravel(estimator.intercept_)[0], float))


def _sklearn(problem: Problem, task: str, params: dict[str, Any], tol: float | None) -> Fit:
    from sklearn import linear_model

    X, y = task_data(problem, task)
    if task == "lasso":
        model = linear_model.Lasso(alpha=params["alpha"], tol=tol, max_iter=MAX_ITER)
    elif task == "enet":
        model = linear_model.ElasticNet(
            alpha=params["alpha"], l1_ratio=params["l1_ratio"], tol=tol, max_iter=MAX_ITER
        )
    elif task == "ridge":
        model = linear_model.Ridge(alpha=params["alpha"])
    elif task == "logistic":
        n = X.shape[0]
        model = linear_model.LogisticRegression(
            C=1.0 / (n * params["alpha"]),
            l1_ratio=1.0,
            solver="saga",
            tol=tol,
            max_iter=100_000,
            random_state=0,  # saga's sample order: the same answer in every run
        )
    else:  # path
        alphas, coefs, _ = _quiet(
            lambda: linear_model.lasso_path(
                X, y, alphas=params["alphas"], tol=tol, max_iter=MAX_ITER
            )
        )
        order = np.argsort(-alphas)  # lasso_path returns the grid in decreasing order
        return Fit(coefs[:, order].T, np.zeros(len(alphas)))
    return _estimator_fit(model, X, y)


def _skglm(problem: Problem, task: str, params: dict[str, Any], tol: float | None) -> Fit:
    import skglm

    if task == "lasso":
        model = skglm.Lasso(alpha=params["alpha"], tol=tol, max_iter=1000)
    elif task == "enet":
        model = skglm.ElasticNet(
            alpha=params["alpha"], l1_ratio=params["l1_ratio"], tol=tol, max_iter=1000
        )
    else:  # logistic
        model = skglm.SparseLogisticRegression(alpha=params["alpha"], tol=tol, max_iter=1000)
    return _estimator_fit(model, *task_data(problem, task))


def _celer(problem: Problem, task: str, params: dict[str, Any], tol: float | None) -> Fit:
    import celer

    if task == "lasso":
        model = celer.Lasso(alpha=params["alpha"], tol=tol, max_iter=1000)
    else:  # enet
        model = celer.ElasticNet(
            alpha=params["alpha"], l1_ratio=params["l1_ratio"], tol=tol, max_iter=1000
        )
    return _estimator_fit(model, *task_data(problem, task))


def _numpy_ridge(problem: Problem, task: str, params: dict[str, Any], tol: float | None) -> Fit:
    """Closed-form ridge (centered normal equations): the exact reference."""
    X, y = problem.X, problem.y
    x_mean, y_mean = X.mean(axis=0), y.mean()
    Xc = X - x_mean
    gram = Xc.T @ Xc + params["alpha"] * np.eye(X.shape[1])
    coef = np.linalg.solve(gram, Xc.T @ (y - y_mean))
    return Fit(coef, np.asarray(y_mean - x_mean @ coef))


def bayesreg_prior(problem: Problem, task: str, params: dict[str, Any]) -> Any:
    """The prior whose MAP (``sigma = 1``) solves ``task``, via :mod:`bayesreg.penalty`."""
    from bayesreg import models, penalty

    n = problem.X.shape[0]
    if task == "lasso":
        return models.laplace(float(penalty.lasso_prior_scale(params["alpha"], sigma=1.0, n=n)))
    if task == "enet":
        b, tau = penalty.elastic_net_prior_scales(
            params["alpha"], params["l1_ratio"], sigma=1.0, n=n
        )
        return models.elastic_net(float(b), float(tau))
    if task == "ridge":
        return models.gaussian(float(penalty.ridge_prior_scale(params["alpha"], sigma=1.0)))
    # logistic: mean logloss + alpha |w|_1 is LogisticRegression(C = 1/(n alpha)), whose
    # Laplace scale is b = C / l1_ratio = C
    return models.laplace(1.0 / (n * params["alpha"]))


def _bayesreg(problem: Problem, task: str, params: dict[str, Any], tol: float | None) -> Fit:
    import bayesreg as br

    X, y = task_data(problem, task)
    if task == "path":
        return _bayesreg_path(X, y, params, tol)
    if task == "logistic":
        model, kwargs = br.models.logistic, {}
    else:
        model, kwargs = br.models.linear, {"sigma": 1.0}
    prior = bayesreg_prior(problem, task, params)
    fit = _quiet(lambda: br.map_estimate(model, X, y, prior=prior, tol=tol, **kwargs))
    return Fit(np.asarray(fit.params["coef"]), np.asarray(fit.params["intercept"]))


def _bayesreg_path(
    X: np.ndarray, y: np.ndarray, params: dict[str, Any], tol: float, method: str = "warm_start"
) -> Fit:
    """The lasso path by :func:`bayesreg.map_path`: one compiled run over the grid."""
    import bayesreg as br

    n = X.shape[0]
    scales = np.atleast_1d(br.penalty.lasso_prior_scale(params["alphas"], sigma=1.0, n=n))
    # strong to weak shrinkage (small to large scale), as lasso_path goes down in alpha
    fits = _quiet(
        lambda: br.map_path(
            br.models.linear,
            X,
            y,
            sigma=1.0,
            intercept=False,
            tol=tol,
            method=method,
            path={"prior": [br.models.laplace(float(b)) for b in scales]},
        )
    )
    return Fit(np.asarray(fits.params["coef"]), np.zeros(len(scales)))


def _bayesreg_path_vmap(
    problem: Problem, task: str, params: dict[str, Any], tol: float | None
) -> Fit:
    X, y = task_data(problem, task)
    return _bayesreg_path(X, y, params, tol, method="vmap")


TOOLS = (
    Tool(
        "bayesreg",
        "bayesreg",
        ("lasso", "enet", "ridge", "path", "logistic"),
        BAYESREG_LADDER,
        _bayesreg,
        True,
    ),
    Tool("bayesreg-vmap", "bayesreg", ("path",), BAYESREG_LADDER, _bayesreg_path_vmap, True),
    Tool("sklearn", "sklearn", ("lasso", "enet", "ridge", "path"), LADDER, _sklearn),
    Tool("sklearn-saga", "sklearn", ("logistic",), SAGA_LADDER, _sklearn),
    Tool("skglm", "skglm", ("lasso", "enet", "logistic"), LADDER, _skglm),
    Tool("celer", "celer", ("lasso", "enet"), LADDER, _celer),
)
TOOL_LABELS = {
    ("sklearn", "lasso"): "sklearn Lasso",
    ("sklearn", "enet"): "sklearn ElasticNet",
    ("sklearn", "ridge"): "sklearn Ridge",
    ("sklearn", "path"): "sklearn lasso_path",
    ("sklearn-saga", "logistic"): "sklearn LogisticRegression(l1, saga)",
    ("skglm", "lasso"): "skglm Lasso",
    ("skglm", "enet"): "skglm ElasticNet",
    ("skglm", "logistic"): "skglm SparseLogisticRegression",
    ("celer", "lasso"): "celer Lasso",
    ("celer", "enet"): "celer ElasticNet",
    ("bayesreg", "path"): "bayesreg map_path (warm starts, default)",
    ("bayesreg-vmap", "path"): "bayesreg map_path(method='vmap')",
}
SKIPPED = {
    (
        "celer",
        "logistic",
    ): "celer's LogisticRegression fits no intercept (fit_intercept=False only)",
    ("celer", "path"): "not a target peer",
}

# reference candidates: F* is the smallest objective of the first two installed, solved at
# REFERENCE_TOL, and their spread is reported as the reference agreement
REFERENCE_TOL = {
    "sklearn": 1e-13,
    "sklearn-saga": 1e-10,
    "skglm": 1e-12,
    "bayesreg": BAYESREG_LADDER[-1],
}
REFERENCES = {
    "lasso": ("sklearn", "bayesreg"),
    "enet": ("sklearn", "bayesreg"),
    "ridge": ("numpy", "sklearn"),
    "path": ("sklearn", "bayesreg"),
    "logistic": ("skglm", "bayesreg", "sklearn-saga"),  # the first two installed are used
}
_REFERENCE_FITS = {"numpy": _numpy_ridge}


def tool(name: str) -> Tool:
    for candidate in TOOLS:
        if candidate.name == name:
            return candidate
    raise ValueError(f"unknown tool {name!r}.")


def available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def label(tool_name: str, task: str) -> str:
    return TOOL_LABELS.get((tool_name, task), tool_name)


def reference_fit(name: str, problem: Problem, task: str, params: dict[str, Any]) -> Fit:
    if name in _REFERENCE_FITS:
        return _REFERENCE_FITS[name](problem, task, params, None)
    return tool(name).fit(problem, task, params, REFERENCE_TOL[name])
