r"""The horseshoe (issue 14): min bulk-ESS/s of bayesreg's Gibbs kernel and NUTS, PyMC and nutpie.

The same posterior in every tool, timed in the same run.

The posterior, written out as every tool samples it (non-centered, as bayesreg's NUTS runs it)::

    y_i      ~ Normal(intercept + x_i · coef, sigma)
    intercept   flat on the reals (improper; PyMC: pm.Flat)
    sigma    ~ HalfNormal(sd(y))            sd with ddof=0: bayesreg's default noise prior
    tau      ~ HalfCauchy(1)                the global scale (horseshoe(global_scale=1.0))
    lambda_j ~ HalfCauchy(1)                the local scales
    coef_z_j ~ Normal(0, 1)
    coef_j   =  sigma · coef_z_j · lambda_j · tau

bayesreg runs ``sample_posterior(models.linear, X, y, prior=horseshoe())`` with
``method="gibbs"`` (Makalic & Schmidt's auxiliaries; the same posterior, another sampler) or
``method="nuts"``; PyMC runs ``pm.sample`` (its default NUTS) on the model above, nutpie the
same PyMC model compiled by ``nutpie.compile_pymc_model`` (numba backend).

Measured per tool, each in its own fresh worker process (``python -m benchmarks.shrinkage``),
``NUM_CHAINS`` chains:

- **warm call** (untimed): one call of the same shapes and settings, so that the timed calls are
  repeat calls (JAX / numba compiled). It also sets the draws: when its smallest bulk ESS is
  below ``DRAWS_MARGIN × ESS_TARGET``, the draws grow in proportion (at most ``max_growth``-fold:
  the run's time is bounded, an ESS still short is flagged) and the warm call is run again
  at the new draws (bayesreg compiles per number of draws). PyMC compiles its log density in
  every ``pm.sample`` call, so its warm call is a short one (``PYMC_WARM_DRAWS``) that only fills
  the on-disk compilation cache, and it runs the draws bayesreg's NUTS settled on (the same
  algorithm and warmup schedule: the same ESS per draw, near enough; a calibration call would
  cost a whole PyMC run). nutpie samples its compiled model again. The workers set up and warm
  up at the same time (untimed; the compilers run on one core each).
- **timed calls**: seeds 1, 2, ... one call each; the tools take turns (seed 1 of every tool,
  then seed 2, ...) so that the load of the shared machine falls on all of them alike. A tool
  stops once its timed calls have taken ``budget_s``, after at least one.
- **min-ESS/s** of a call: the smallest ``arviz.ess(method="bulk")`` over ``coef``, ``tau`` and
  ``sigma`` (every element), divided by the call's wall time (warmup included). The table gives
  the median over seeds with the min and max, and each ratio against the peers of this run
  (medians over medians).
"""

from __future__ import annotations

import json
import math
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .problems import SEED, _sparse_gaussian, _standardize

NUM_CHAINS = 2  # one per core of the 2-core machine (as benchmarks.samplers)
GLOBAL_SCALE = 1.0  # horseshoe(global_scale=1.0): tau ~ HalfCauchy(1)
SITES = ("coef", "tau", "sigma")  # the sites whose smallest bulk ESS is scored
ESS_TARGET = 400.0  # every scored ESS at least this (Vehtari et al. 2021: >= 100 per chain, x 4)
DRAWS_MARGIN = 1.25  # calibrate to 1.25 x ESS_TARGET: seeds scatter around the warm call's ESS
DRAWS_STEP = 100  # calibrated draws rounded up to a multiple of this
PYMC_WARM_DRAWS = 50  # tune and draws of PyMC's warm call (it only fills the disk cache)
CALL_TIMEOUT_S = {"full": 1800.0, "tiny": 240.0}

TOOLS = ("gibbs", "nuts", "nutpie", "pymc")  # the order of their turns
MODULES = {"gibbs": "bayesreg", "nuts": "bayesreg", "pymc": "pymc", "nutpie": "nutpie"}
LABELS = {
    "gibbs": "bayesreg sample_posterior(method='gibbs')",
    "nuts": "bayesreg sample_posterior(method='nuts')",
    "pymc": "PyMC pm.sample (NUTS)",
    "nutpie": "nutpie (numba backend)",
}
BAYESREG = ("gibbs", "nuts")
COLUMNS = (
    "tool",
    "warmup + draws per chain",
    "seeds",
    "call (s), median",
    "min bulk ESS, median [min, max]",
    "lowest-ESS site",
    "min-ESS/s, median [min, max]",
    "÷ bayesreg NUTS",
    "÷ PyMC NUTS",
    "÷ nutpie",
    "divergences per call, median [min, max]",
    "peak RSS (MB)",
)
# the issue-14 targets: (tool or "best", peer, factor, problems it applies to)
GIBBS_VS_NUTS = 3.0  # on the p > n horseshoe
BEST_VS_PYMC = 2.0
BEST_VS_NUTPIE = 1.0
P_GT_N = "gauss_100x1000"


class ShrinkageBenchmark(NamedTuple):
    problem: str  # "diabetes" or a synthetic "gauss_<n>x<p>"
    warmup: int  # NUTS adaptation steps per chain (every NUTS tool); the Gibbs kernel's burn-in
    draws: int  # draws per chain a NUTS tool starts its calibration from
    gibbs_draws: int  # the same for the Gibbs kernel (a step is cheaper, an ESS per draw lower)
    seeds: int  # timed calls per tool, at most
    budget_s: float  # a tool runs no further seed once its timed calls took this long
    tools: tuple[str, ...]
    left_out: str = ""  # why the tools not in ``tools`` are not run
    # a calibration grows the draws at most this many times: it bounds the run on the shared
    # 2-core machine (a NUTS call on the p > n horseshoe takes minutes); a short ESS is flagged
    max_growth: int = 4


# synthetic problems: (n, p, nonzero) at full and tiny size; ±U(1, 2) weights, unit noise
SYNTHETIC = {
    "gauss_2000x200": ((2000, 200, 10), (200, 20, 3)),
    "gauss_100x1000": ((100, 1000, 10), (30, 60, 3)),
}
TINY_SKIPPED = "left out in --tiny mode (>10 s of numba / PyTensor compilation in a fresh process)"
PYMC_LEFT_OUT = (
    "left out at this size to bound the run: on this 2-core machine shared by 4 engineers "
    "(load average 5-10), one pm.sample of the horseshoe on a synthetic 442×10 took 457 s "
    "for 2 × (1000 + 1000) iterations (tree depth 8), and a gradient here costs 20-90× more"
)
NO_PYMC = ("gibbs", "nuts", "nutpie")
FULL = (
    # a NUTS call takes ~10 min here on the loaded machine: no calibration call
    ShrinkageBenchmark(P_GT_N, 500, 500, 2000, 5, 300.0, NO_PYMC, PYMC_LEFT_OUT, 1),
    ShrinkageBenchmark("diabetes", 500, 500, 2000, 5, 300.0, TOOLS),
    ShrinkageBenchmark("gauss_2000x200", 500, 500, 2000, 5, 300.0, NO_PYMC, PYMC_LEFT_OUT, 1),
)
# --tiny mode (tests/test_benchmarks.py): the harness end to end in seconds, bayesreg only
TINY = (ShrinkageBenchmark(P_GT_N, 50, 50, 50, 2, 900.0, BAYESREG, TINY_SKIPPED, 1),)


def plan(tiny: bool) -> dict[str, ShrinkageBenchmark]:
    """Benchmark name -> benchmark, as ``benchmarks.run`` lists them."""
    return {f"shrinkage-{b.problem}": b for b in (TINY if tiny else FULL)}


def data(problem: str, tiny: bool) -> tuple[np.ndarray, np.ndarray, str]:
    """``(X, y, description)`` of ``problem``, the same in every process that builds it."""
    if problem == "diabetes":
        from sklearn.datasets import load_diabetes

        X, y = load_diabetes(return_X_y=True)
        return _standardize(X), y, "sklearn diabetes, 442×10, standardized columns, y as shipped"
    if problem not in SYNTHETIC:
        raise ValueError(f"unknown problem {problem!r}; known: diabetes, {', '.join(SYNTHETIC)}.")
    n, p, k = SYNTHETIC[problem][1 if tiny else 0]
    X, y = _sparse_gaussian(n, p, k, SEED + sum(map(ord, problem)))
    return X, y, f"synthetic gaussian {n}×{p}, {k} true nonzeros (±U(1, 2)), unit noise"


# ---------------------------------------------------------------------------------------------
# one runner per tool: set-up (untimed) -> run(seed, warmup, draws) -> (draws by site, divergences)

Draws = dict[str, np.ndarray]  # site -> (chain, draw, ...)
Runner = Callable[[int, int, int], tuple[Draws, int | None]]


def _bayesreg(method: str, X: np.ndarray, y: np.ndarray) -> Runner:
    import bayesreg as br

    # one prior object for every call: the compiled program is cached on it
    prior = br.models.horseshoe(global_scale=GLOBAL_SCALE)

    def run(seed: int, warmup: int, draws: int) -> tuple[Draws, int | None]:
        result = br.sample_posterior(
            br.models.linear,
            X,
            y,
            prior=prior,  # sigma=None: the HalfNormal(sd(y)) prior; flat intercept
            num_chains=NUM_CHAINS,
            num_warmup=warmup,
            num_samples=draws,
            seed=seed,
            method=method,
            progress_bar=False,
            log_likelihood=False,  # the peers store none either (n x draws numbers)
        )
        posterior = {name: result.idata.posterior[name].values for name in SITES}
        return posterior, (result.num_divergent if method == "nuts" else None)

    return run


def pymc_model(X: np.ndarray, y: np.ndarray) -> Any:
    """The posterior of the module docstring as a PyMC model."""
    import pymc as pm

    with pm.Model() as model:
        intercept = pm.Flat("intercept")
        sigma = pm.HalfNormal("sigma", sigma=float(np.std(y)))
        tau = pm.HalfCauchy("tau", beta=GLOBAL_SCALE)
        local = pm.HalfCauchy("lambda", beta=1.0, shape=X.shape[1])
        coef_z = pm.Normal("coef_z", mu=0.0, sigma=1.0, shape=X.shape[1])
        coef = pm.Deterministic("coef", sigma * coef_z * local * tau)
        pm.Normal("y", mu=intercept + pm.math.dot(X, coef), sigma=sigma, observed=y)
    return model


def _divergences(idata: Any) -> int:
    return int(np.sum(idata.sample_stats["diverging"].values))


def _pymc(X: np.ndarray, y: np.ndarray) -> Runner:
    import pymc as pm

    model = pymc_model(X, y)  # built once; pm.sample compiles its log density in every call

    def run(seed: int, warmup: int, draws: int) -> tuple[Draws, int | None]:
        with model:
            idata = pm.sample(
                draws=draws,
                tune=warmup,
                chains=NUM_CHAINS,
                cores=NUM_CHAINS,
                random_seed=seed,
                progress_bar=False,
                compute_convergence_checks=False,
            )
        return {name: idata.posterior[name].values for name in SITES}, _divergences(idata)

    return run


def _nutpie(X: np.ndarray, y: np.ndarray) -> Runner:
    import nutpie

    compiled = nutpie.compile_pymc_model(pymc_model(X, y), backend="numba")

    def run(seed: int, warmup: int, draws: int) -> tuple[Draws, int | None]:
        idata = nutpie.sample(
            compiled,
            draws=draws,
            tune=warmup,
            chains=NUM_CHAINS,
            cores=NUM_CHAINS,
            seed=seed,
            progress_bar=False,
        )
        return {name: idata.posterior[name].values for name in SITES}, _divergences(idata)

    return run


def runner(tool: str, X: np.ndarray, y: np.ndarray) -> Runner:
    if tool in BAYESREG:
        return _bayesreg(tool, X, y)
    return {"pymc": _pymc, "nutpie": _nutpie}[tool](X, y)


def bulk_ess(posterior: Draws) -> dict[str, float]:
    """Smallest bulk ESS of each site (over its elements)."""
    import arviz as az

    ess = az.ess(az.from_dict(posterior=posterior), method="bulk")
    return {name: float(np.min(ess[name].values)) for name in posterior}


def calibrated_draws(draws: int, ess: float, cap: int) -> int:
    """Draws per chain to reach ``DRAWS_MARGIN × ESS_TARGET`` (``draws`` gave ``ess``)."""
    wanted = DRAWS_MARGIN * ESS_TARGET
    if ess >= wanted:
        return draws
    scaled = draws * wanted / max(ess, 1.0)
    return int(min(cap, DRAWS_STEP * math.ceil(scaled / DRAWS_STEP)))


# ---------------------------------------------------------------------------------------------
# the worker: ``python -m benchmarks.shrinkage '<json set-up>'``, then one JSON command a line on
# stdin ({"seed": s, "draws": d} or {"stop": true}), one JSON answer a line on its own stdout


def _call(run: Runner, seed: int, warmup: int, draws: int) -> dict[str, Any]:
    start = time.perf_counter()
    posterior, divergences = run(seed, warmup, draws)
    wall = time.perf_counter() - start
    ess = bulk_ess(posterior)
    lowest = min(ess, key=ess.get)
    return {
        "seed": seed,
        "wall_s": wall,
        "ess": ess,
        "min_ess": ess[lowest],
        "lowest_site": lowest,
        "ess_per_s": ess[lowest] / wall,
        "divergences": divergences,
        "load": os.getloadavg()[0],
    }


def warm_up(tool: str, run: Runner, warmup: int, draws: int, max_growth: int) -> dict[str, Any]:
    """The untimed warm call(s) and the draws per chain the timed calls run (module docstring)."""
    if tool == "pymc":
        warm = _call(run, 0, PYMC_WARM_DRAWS, PYMC_WARM_DRAWS)
        return {"draws": draws, "warm": [warm | {"draws": PYMC_WARM_DRAWS}]}
    warm = [_call(run, 0, warmup, draws) | {"draws": draws}]
    chosen = calibrated_draws(draws, warm[0]["min_ess"], draws * max_growth)
    if chosen != draws and tool in BAYESREG:  # a new number of draws compiles anew
        warm.append(_call(run, 0, warmup, chosen) | {"draws": chosen})
    return {"draws": chosen, "warm": warm}


def serve(request: dict[str, Any]) -> None:
    """Set up one tool, warm it up, then answer ``{"seed": s, "draws": d}`` until ``stop``."""
    from .worker import peak_mb

    channel = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # whatever the tools print goes to stderr; the answers stay parseable

    def answer(message: dict[str, Any]) -> None:
        channel.write(json.dumps(message) + "\n")
        channel.flush()

    with warnings.catch_warnings():
        # short chains, divergences and numba warn; the harness reports ESS and divergences
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        __import__(MODULES[request["tool"]])
        import_s = time.perf_counter() - start
        X, y, _ = data(request["problem"], request["tiny"])
        start = time.perf_counter()
        run = runner(request["tool"], X, y)
        setup_s = time.perf_counter() - start
        warm = warm_up(
            request["tool"], run, request["warmup"], request["draws"], request["max_growth"]
        )
        answer({"import_s": import_s, "setup_s": setup_s} | warm)
        for line in sys.stdin:
            command = json.loads(line)
            if command.get("stop"):
                break
            answer(_call(run, command["seed"], request["warmup"], command["draws"]))
    answer({"peak_mb": peak_mb()})


class Worker:
    """A tool's worker process, spoken to one JSON line at a time."""

    def __init__(self, request: dict[str, Any], env: dict[str, str], timeout: float) -> None:
        from .run import ROOT

        self.timeout = timeout
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.shrinkage", json.dumps(request)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
        )

    def receive(self) -> dict[str, Any]:
        """The next answer, or ``{"error": ...}`` (the worker is then stopped)."""
        ready, _, _ = select.select([self.process.stdout], [], [], self.timeout)
        line = self.process.stdout.readline() if ready else ""
        if line:
            return json.loads(line)
        if not ready:
            self.process.kill()
            self.process.wait()
            return {"error": f"a call timed out after {self.timeout:.0f} s"}
        code = self.process.wait()
        self.stderr.seek(0)
        lines = self.stderr.read().strip().splitlines() or ["no output"]
        # the exception's own line, not JAX's note on filtered frames after it
        raised = [line for line in lines if line.split(":")[0].endswith(("Error", "Exception"))]
        return {"error": f"worker failed (exit {code}): {(raised or lines)[-1][:200]}"}

    def ask(self, command: dict[str, Any]) -> dict[str, Any]:
        if self.process.poll() is not None:
            return {"error": "worker not running"}
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self.receive()

    def close(self) -> dict[str, Any]:
        answer = self.ask({"stop": True})
        self.process.wait()
        self.stderr.close()
        return answer


# ---------------------------------------------------------------------------------------------
# the benchmark


def _spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def summarize(row: dict[str, Any]) -> None:
    """Medians and spreads of a tool's timed calls, in place."""
    calls = row["calls"]
    if not calls:
        return
    row["wall_s"] = _spread([c["wall_s"] for c in calls])
    row["min_ess"] = _spread([c["min_ess"] for c in calls])
    row["ess_per_s"] = _spread([c["ess_per_s"] for c in calls])
    sites = [c["lowest_site"] for c in calls]
    row["lowest_site"] = max(set(sites), key=sites.count)
    row["below_target"] = sum(c["min_ess"] < ESS_TARGET for c in calls)
    if calls[0]["divergences"] is not None:
        row["divergences"] = _spread([c["divergences"] for c in calls])


def benchmark(bench: ShrinkageBenchmark, tiny: bool) -> dict[str, Any]:
    """Warm up every tool in its worker, then time their calls in turns (module docstring)."""
    from .run import worker_env
    from .solvers import available

    mode = "tiny" if tiny else "full"
    X, y, description = data(bench.problem, tiny)
    notes, rows, workers = [], {}, {}
    for tool in TOOLS:
        if tool not in bench.tools:
            notes.append(f"{tool} {bench.left_out}")
            continue
        if not available(MODULES[tool]):
            notes.append(f"{tool} skipped: {MODULES[tool]} not installed")
            continue
        request = {
            "tool": tool,
            "problem": bench.problem,
            "tiny": tiny,
            "warmup": bench.warmup,
            "draws": bench.gibbs_draws if tool == "gibbs" else bench.draws,
            "max_growth": bench.max_growth,
        }
        workers[tool] = Worker(request, worker_env(), CALL_TIMEOUT_S[mode])
    # the set-ups and warm calls (untimed) overlap: numba's and PyTensor's compilers run on
    # one core, and the ESS of a warm call does not depend on its speed
    for tool, worker in list(workers.items()):
        rows[tool] = {"tool": tool, "warmup": bench.warmup, "calls": []} | worker.receive()
        if "error" in rows[tool]:
            del workers[tool]
    if "pymc" in workers:  # the draws bayesreg's NUTS settled on (module docstring)
        rows["pymc"]["draws"] = rows.get("nuts", {}).get("draws", bench.draws)
    spent = dict.fromkeys(workers, 0.0)
    for seed in range(1, bench.seeds + 1):
        for tool, worker in list(workers.items()):
            if spent[tool] >= bench.budget_s:
                continue
            answer = worker.ask({"seed": seed, "draws": rows[tool]["draws"]})
            if "error" in answer:
                rows[tool]["error"] = answer["error"]
                del workers[tool]
                continue
            rows[tool]["calls"].append(answer)
            spent[tool] += answer["wall_s"]
    for tool, worker in workers.items():
        rows[tool] |= worker.close()
    for row in rows.values():
        summarize(row)
    _ratios(rows)
    return {
        "name": f"shrinkage-{bench.problem}",
        "kind": "shrinkage",
        "problem": bench.problem,
        "description": description,
        "shape": list(X.shape),
        "sd_y": float(np.std(y)),
        "seeds": bench.seeds,
        "budget_s": bench.budget_s,
        "max_growth": bench.max_growth,
        "notes": notes,
        "rows": list(rows.values()),
    }


def _ratios(rows: dict[str, dict[str, Any]]) -> None:
    for peer in ("nuts", "pymc", "nutpie"):
        if "ess_per_s" not in rows.get(peer, {}):
            continue
        base = rows[peer]["ess_per_s"]["median"]
        for row in rows.values():
            if "ess_per_s" in row:
                row[f"vs_{peer}"] = row["ess_per_s"]["median"] / base


# ---------------------------------------------------------------------------------------------
# Markdown


def _g(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}g}"


def _ranged(spread: dict[str, float] | None, digits: int = 3) -> str:
    if spread is None:
        return "—"
    return (
        f"{_g(spread['median'], digits)} [{_g(spread['min'], digits)}, {_g(spread['max'], digits)}]"
    )


def _ratio(row: dict[str, Any], peer: str) -> str:
    return f"{row[f'vs_{peer}']:.3g}×" if f"vs_{peer}" in row else "—"


def markdown(result: dict[str, Any]) -> list[str]:
    """The table of one shrinkage benchmark (``benchmarks.run`` renders it), then its targets."""
    n, p = result["shape"]
    loads = [c["load"] for r in result["rows"] for c in r.get("calls", [])]
    lines = [
        f"### Horseshoe, min-ESS/s — {result['problem']}",
        "",
        f"{result['description']}. Posterior (every tool): y ~ Normal(intercept + X coef, sigma), "
        f"flat intercept (PyMC: `pm.Flat`), sigma ~ HalfNormal(sd(y) = {result['sd_y']:.4g}), "
        "tau ~ HalfCauchy(1), lambda_j ~ HalfCauchy(1), coef_z_j ~ Normal(0, 1), "
        "coef_j = sigma·coef_z_j·lambda_j·tau (non-centered).",
        "",
        f"{NUM_CHAINS} chains per call. Repeat calls: each tool's worker first makes an untimed "
        "warm call of the same shapes (bayesreg: the same prior object, so the compiled program "
        "is reused; nutpie: the model compiled once; PyMC: the `pm.Model` built once, and since "
        "every `pm.sample` compiles its log density again, that compilation is inside each timed "
        f"PyMC call and PyMC's warm call is {PYMC_WARM_DRAWS} + {PYMC_WARM_DRAWS} iterations "
        "only). Draws: those at which the warm call's smallest bulk ESS reached "
        f"{DRAWS_MARGIN:g} × {ESS_TARGET:.0f}, grown at most {result['max_growth']}× to bound "
        f"the run (✗: an ESS below {ESS_TARGET:.0f}); PyMC: bayesreg NUTS's draws. min-ESS/s = the "
        "smallest bulk ESS over coef, tau and sigma ÷ the call's wall time (warmup included); "
        f"median over seeds 1–{result['seeds']} [min, max], the tools taking turns per seed; a "
        f"tool runs no further seed once its timed calls took {result['budget_s']:.0f} s. "
        "Ratios are medians over medians, this run.",
    ]
    if loads:
        lines[-1] += f" 1-min load average at the timed calls: {min(loads):.2f}–{max(loads):.2f}."
    if result["notes"]:
        lines.append("Notes: " + "; ".join(result["notes"]) + ".")
    lines.append("")
    body = []
    for r in result["rows"]:
        name = f"**{LABELS[r['tool']]}**" if r["tool"] in BAYESREG else LABELS[r["tool"]]
        if not r.get("calls"):
            body.append([name, *["—"] * 10, r.get("error", "no timed call")])
            continue
        ess = _ranged(r["min_ess"], 4)
        if r["below_target"]:
            ess += f" ✗ {r['below_target']} below {ESS_TARGET:.0f}"
        seeds = str(len(r["calls"])) + (f" ({r['error']})" if "error" in r else "")
        body.append(
            [
                name,
                f"{r['warmup']} + {r['draws']}",
                seeds,
                _g(r["wall_s"]["median"]),
                ess,
                r["lowest_site"],
                _ranged(r["ess_per_s"], 4),
                _ratio(r, "nuts"),
                _ratio(r, "pymc"),
                _ratio(r, "nutpie"),
                _ranged(r.get("divergences"), 4) if "divergences" in r else "— (Gibbs)",
                f"{r['peak_mb']:.0f}" if "peak_mb" in r else "—",
            ]
        )
    lines += ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    rows = targets({result["name"]: result})
    if rows:
        lines += ["", "Targets (issue 14): " + "; ".join(f"{t}: {m}, {met}" for t, m, met in rows)]
    return lines


def _best(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """bayesreg's kernel with the highest median min-ESS/s."""
    ours = [r for r in rows if r["tool"] in BAYESREG and "ess_per_s" in r]
    return max(ours, key=lambda r: r["ess_per_s"]["median"], default=None)


def targets(results: dict[str, dict]) -> list[list[str]]:
    """The issue-14 speed targets, as rows of the README's target table."""
    body = []
    for result in results.values():
        if result.get("kind") != "shrinkage":
            continue
        by_tool = {r["tool"]: r for r in result["rows"]}
        where = f"horseshoe, {result['problem']}"
        gibbs = by_tool.get("gibbs", {})
        if "vs_nuts" in gibbs:
            applies = result["problem"] == P_GT_N
            body.append(
                [
                    f"Gibbs min-ESS/s ≥ {GIBBS_VS_NUTS:g}× bayesreg NUTS ({where}"
                    + ("" if applies else "; the target is on p > n")
                    + ")",
                    f"{gibbs['vs_nuts']:.3g}×",
                    ("yes" if gibbs["vs_nuts"] >= GIBBS_VS_NUTS else "no") if applies else "—",
                ]
            )
        best = _best(result["rows"])
        for peer, factor, label in (
            ("pymc", BEST_VS_PYMC, "PyMC NUTS"),
            ("nutpie", BEST_VS_NUTPIE, "nutpie"),
        ):
            if best is None or f"vs_{peer}" not in best:
                continue
            body.append(
                [
                    f"bayesreg's best kernel ({best['tool']}) ≥ {factor:g}× {label} ({where})",
                    f"{best[f'vs_{peer}']:.3g}×",
                    "yes" if best[f"vs_{peer}"] >= factor else "no",
                ]
            )
    return body


if __name__ == "__main__":
    serve(json.loads(sys.argv[1]))
