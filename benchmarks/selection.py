"""Choosing the prior scale (issue 13): bayesreg against scikit-learn, in the same run.

- ``cv``: 5-fold cross-validation over a 100-point lasso path, `bayesreg.cv_path`
  (Laplace priors, ``sigma = 1``, the path refitted on all rows) against
  ``LassoCV(alphas=<the same 100>, cv=KFold(5))`` (its default grid: ``alpha_max`` down to
  ``1e-3 alpha_max``, log-spaced). Diabetes runs on its first 440 rows, so the five folds are
  of equal size and both tools solve the same 500 problems (a fixed prior scale is the same
  ``alpha`` only at the same training size). Accuracy: the relative error of the ``(100, 5)``
  held-out mean squared errors against a tight ``LassoCV`` (``tol=1e-13``).
- ``evidence``: `bayesreg.empirical_bayes` (Normal prior, unknown ``sigma``)
  against ``BayesianRidge`` with its Gamma hyperpriors set to 0 (type-II maximum likelihood),
  both on the centred data without intercept (the same evidence).
  Accuracy: the relative error of ``(tau, sigma)`` against a tight ``BayesianRidge``.

Each tool's tolerance is the loosest rung of its ladder that reaches ``TARGET_ERROR`` (untimed),
then each is timed in a fresh interpreter (``python -m benchmarks.selection '<json>'``): the
first call (compilation included) and the median of the steady-state calls.
"""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
import time
import warnings
from typing import Any, NamedTuple

import numpy as np

from .problems import make_problem

TARGET_ERROR = 1e-6  # the agreement the tests ask of cv_path's mse_path_
FOLDS = 5
CV_EPS = 1e-3  # LassoCV's default: the grid runs from alpha_max down to eps * alpha_max
CV_POINTS = {"full": 100, "tiny": 5}
LADDERS = {
    ("cv", "bayesreg"): (1e-4, 1e-6, 1e-8, 1e-10),
    ("cv", "sklearn"): (1e-4, 1e-6, 1e-8, 1e-10, 1e-12),
    ("evidence", "bayesreg"): (1e-3, 1e-4, 1e-6, 1e-8),
    ("evidence", "sklearn"): (1e-3, 1e-5, 1e-7, 1e-9, 1e-11),
}
REFERENCE_TOL = {"cv": 1e-13, "evidence": 1e-12}
LABELS = {
    ("cv", "bayesreg"): "bayesreg cv_path (100-point path × 5 folds, refit on all rows)",
    ("cv", "sklearn"): "sklearn LassoCV(cv=5)",
    ("evidence", "bayesreg"): "bayesreg empirical_bayes (exact evidence)",
    ("evidence", "sklearn"): "sklearn BayesianRidge (hyperpriors 0)",
}
COLUMNS = (
    "task",
    "tool",
    "tol",
    "rel. error",
    "first call (s)",
    "steady median (ms)",
    "× peer",
    "peak RSS (MB)",
)
MAX_ITER = 1_000_000
CALIBRATION_BUDGET_S = 60.0


class SelectionBenchmark(NamedTuple):
    problem: str
    task: str  # "cv" or "evidence"
    repeats: int


FULL = (
    SelectionBenchmark("diabetes", "cv", 5),
    SelectionBenchmark("gauss_2000x200", "cv", 3),
    SelectionBenchmark("diabetes", "evidence", 7),
)
# --tiny mode (tests/test_benchmarks.py): the harness end to end on a 5-point grid
TINY = (SelectionBenchmark("diabetes", "cv", 1), SelectionBenchmark("diabetes", "evidence", 1))


def plan(tiny: bool) -> dict[str, SelectionBenchmark]:
    """Benchmark name -> benchmark, as ``benchmarks.run`` lists them."""
    return {f"select-{b.problem}-{b.task}": b for b in (TINY if tiny else FULL)}


# ---------------------------------------------------------------------------------------------
# the data, the tools and their answers


def data(problem_name: str, task: str, tiny: bool) -> tuple[np.ndarray, np.ndarray]:
    problem = make_problem(problem_name, tiny)
    X, y = problem.X, problem.y
    if task == "cv":
        n = (len(y) // FOLDS) * FOLDS  # equal folds: the same problems for both tools
        X, y = X[:n], y[:n]
    else:
        # centred data, no intercept: BayesianRidge's evidence counts n degrees of freedom for
        # centred data, the flat intercept's n - 1; centred, both maximize the same function
        X, y = X - X.mean(axis=0), y - y.mean()
    return X, y


def cv_alphas(X: np.ndarray, y: np.ndarray, tiny: bool) -> np.ndarray:
    """LassoCV's default grid: ``alpha_max`` (of all rows) down to ``eps alpha_max``."""
    alpha_max = np.max(np.abs((X - X.mean(axis=0)).T @ (y - y.mean()))) / len(y)
    return alpha_max * np.logspace(0.0, np.log10(CV_EPS), CV_POINTS["tiny" if tiny else "full"])


def answer(task: str, tool: str, X: np.ndarray, y: np.ndarray, tol: float, tiny: bool) -> Any:
    """Run one tool: the (points, folds) held-out MSEs, or ``(tau, sigma)``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # accuracy is scored, not trusted
        if task == "cv":
            return _cv(tool, X, y, tol, tiny)
        return _evidence(tool, X, y, tol)


def _cv(tool: str, X: np.ndarray, y: np.ndarray, tol: float, tiny: bool) -> np.ndarray:
    alphas = cv_alphas(X, y, tiny)
    if tool == "sklearn":
        from sklearn.linear_model import LassoCV
        from sklearn.model_selection import KFold

        fit = LassoCV(alphas=alphas, cv=KFold(FOLDS), tol=tol, max_iter=MAX_ITER).fit(X, y)
        return fit.mse_path_[np.argsort(-fit.alphas_)]
    import bayesreg as br

    n_train = len(y) - len(y) // FOLDS
    scales = br.penalty.lasso_prior_scale(alphas, sigma=1.0, n=n_train)
    result = br.cv_path(
        br.models.linear,
        X,
        y,
        sigma=1.0,
        path={"prior": [br.models.laplace(float(b)) for b in scales]},
        folds=FOLDS,
        tol=tol,
    )
    return result.fold_losses


def _evidence(tool: str, X: np.ndarray, y: np.ndarray, tol: float) -> np.ndarray:
    if tool == "sklearn":
        from sklearn.linear_model import BayesianRidge

        fit = BayesianRidge(
            alpha_1=0.0,
            alpha_2=0.0,
            lambda_1=0.0,
            lambda_2=0.0,
            tol=tol,
            max_iter=MAX_ITER,
            fit_intercept=False,
        ).fit(X, y)
        return np.array([1.0 / np.sqrt(fit.lambda_), 1.0 / np.sqrt(fit.alpha_)])
    import bayesreg as br

    result = br.empirical_bayes(br.models.linear, X, y, intercept=False, tol=tol)
    return np.array([result.hyperparameters["tau"], result.hyperparameters["sigma"]])


def relative_error(value: Any, reference: Any) -> float:
    value, reference = np.asarray(value, float), np.asarray(reference, float)
    return float(np.max(np.abs(value - reference) / np.abs(reference)))


# ---------------------------------------------------------------------------------------------
# measuring


def measure(request: dict[str, Any]) -> dict[str, Any]:
    """One tool in this (fresh) process: first call, steady-state median, peak memory."""
    from .worker import peak_mb

    X, y = data(request["problem"], request["task"], request["tiny"])

    def call() -> Any:
        return answer(request["task"], request["tool"], X, y, request["tol"], request["tiny"])

    start = time.perf_counter()
    value = call()
    first_s = time.perf_counter() - start
    times = []
    for _ in range(request["repeats"]):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return {
        "first_s": first_s,
        "times_s": times,
        "median_s": statistics.median(times),
        "peak_mb": peak_mb(),
        "error": relative_error(value, request["reference"]),
    }


def _calibrate(task: str, tool: str, X, y, tiny: bool, reference: np.ndarray) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for tol in LADDERS[(task, tool)]:
        start = time.perf_counter()
        error = relative_error(answer(task, tool, X, y, tol, tiny), reference)
        result = {"tol": tol, "calibration_error": error}
        if error <= TARGET_ERROR or time.perf_counter() - start > CALIBRATION_BUDGET_S:
            break
    return result


def benchmark(bench: SelectionBenchmark, tiny: bool) -> dict[str, Any]:
    """Calibrate both tools against a tight reference, then time each in a fresh process."""
    from .run import WORKER_TIMEOUT_S, worker_env

    X, y = data(bench.problem, bench.task, tiny)
    reference = answer(bench.task, "sklearn", X, y, REFERENCE_TOL[bench.task], tiny)
    # the agreement of two independent tight answers: how far the reference itself is trusted
    tight = answer(bench.task, "bayesreg", X, y, LADDERS[(bench.task, "bayesreg")][-1], tiny)
    rows = []
    for tool in ("bayesreg", "sklearn"):
        chosen = _calibrate(bench.task, tool, X, y, tiny, reference)
        request = {
            "problem": bench.problem,
            "task": bench.task,
            "tool": tool,
            "tol": chosen["tol"],
            "tiny": tiny,
            "repeats": bench.repeats,
            "reference": reference.tolist(),
        }
        timeout = WORKER_TIMEOUT_S["tiny" if tiny else "full"]
        try:
            done = subprocess.run(
                [sys.executable, "-m", "benchmarks.selection", json.dumps(request)],
                env=worker_env(),
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            lines = done.stdout.strip().splitlines()
            if done.returncode != 0 or not lines:
                tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
                measured = {"failure": f"worker failed (exit {done.returncode}): {tail[:200]}"}
            else:
                measured = json.loads(lines[-1])
        except subprocess.TimeoutExpired:
            measured = {"failure": f"timed out after {timeout} s"}
        rows.append({"task": bench.task, "tool": tool, **chosen, **measured})
    peer = next((r for r in rows if r["tool"] == "sklearn" and "median_s" in r), None)
    for r in rows:
        if "median_s" in r and peer is not None and peer["error"] <= TARGET_ERROR:
            r["ratio"] = r["median_s"] / peer["median_s"]
    problem = make_problem(bench.problem, tiny)
    return {
        "name": f"select-{bench.problem}-{bench.task}",
        "kind": "selection",
        "problem": bench.problem,
        "task": bench.task,
        "description": problem.description
        + (f", first {len(y)} rows (equal folds)" if len(y) != len(problem.y) else "")
        + (", centred, no intercept" if bench.task == "evidence" else ""),
        "repeats": bench.repeats,
        "agreement": relative_error(tight, reference),
        "rows": rows,
    }


# ---------------------------------------------------------------------------------------------
# Markdown


def _num(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:.3g}"


def markdown(result: dict[str, Any]) -> list[str]:
    """The table of one selection benchmark (``benchmarks.run`` renders it)."""
    lines = [
        f"### Choosing the scale ({result['task']}) — {result['problem']}",
        "",
        f"{result['description']}; steady state = median of {result['repeats']} calls after the "
        f"first; each tool at the loosest tolerance of its ladder whose answer is within "
        f"{TARGET_ERROR:g} (relative) of the tight reference (✗ = not reached); two independent "
        f"tight answers agree to {result['agreement']:.1e}.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for r in result["rows"]:
        name = LABELS[(r["task"], r["tool"])]
        name = f"**{name}**" if r["tool"] == "bayesreg" else name
        if "failure" in r:
            cells = [r["task"], name, _num(r["tol"]), "—", r["failure"], "—", "—", "—"]
        else:
            flag = "" if r["error"] <= TARGET_ERROR else " ✗"
            cells = [
                r["task"],
                name,
                _num(r["tol"]),
                f"{r['error']:.1e}{flag}",
                f"{r['first_s']:.3g}",
                f"{1e3 * r['median_s']:.3g}",
                _num(r.get("ratio")) + ("×" if "ratio" in r else ""),
                f"{r['peak_mb']:.0f}",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def targets(results: dict[str, dict]) -> list[list[str]]:
    """The issue-13 speed targets, as rows of the README's target table."""
    body = []
    for result in results.values():
        if result.get("kind") != "selection":
            continue
        row = next((r for r in result["rows"] if r["tool"] == "bayesreg"), None)
        if row is None or "ratio" not in row:
            continue
        peer = "LassoCV(cv=5), 100-point path" if result["task"] == "cv" else "BayesianRidge"
        body.append(
            [
                f"{'5-fold CV' if result['task'] == 'cv' else 'empirical_bayes'} ≤ 1.0× {peer} "
                f"({result['problem']})",
                f"{row['ratio']:.3g}×",
                "yes" if row["ratio"] <= 1.0 else "no",
            ]
        )
    return body


def main(argv: list[str]) -> int:
    result = measure(json.loads(argv[0]))
    print(json.dumps(result, default=lambda x: np.asarray(x).tolist()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
