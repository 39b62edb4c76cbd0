"""Benchmark harness: bayesreg against its peers, measured in the same run on the same machine.

Usage::

    python -m benchmarks.run [--tiny] [--only NAME[,NAME...]] [--out benchmarks/results] [--jobs N]

For every MAP problem and task, the harness

1. computes a reference objective ``F*`` (the best of two independent tight solves; their spread
   is the *reference agreement*, and the numpy KKT violation of the best certifies it),
2. calibrates each tool's tolerance: the loosest rung of its ladder whose answer reaches the
   relative suboptimality ``TARGET_SUBOPTIMALITY`` (untimed), so all tools are timed at equal
   accuracy and a fast wrong answer cannot win,
3. times each tool in a fresh subprocess (:mod:`benchmarks.worker`): the first call (JIT
   compilation included, cold caches), then ``repeats`` steady-state calls (the first call was
   the warm-up) whose median is reported, and the peak resident memory (``ru_maxrss``),
4. reports each time as a ratio to the fastest peer that reached the target in this run.

Sampling benchmarks run each sampler in a fresh subprocess (:mod:`benchmarks.samplers`); the
horseshoe benchmarks (:mod:`benchmarks.shrinkage`) each tool in a worker process that times its
calls in turns with the others. Every
table goes to ``<out>/<name>.md`` (raw numbers to ``<out>/<name>.json``) and all of them, with the
issue 7, 13 and 14 targets, to ``<out>/README.md``. Missing peers are skipped with a note.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from . import samplers, selection, shrinkage, solvers
from .problems import make_problem

ROOT = Path(__file__).resolve().parent.parent


class MapBenchmark(NamedTuple):
    problem: str
    tasks: tuple[str, ...]
    repeats: int
    tools: tuple[str, ...] | None = None  # None: every tool of each task


class SamplingBenchmark(NamedTuple):
    problem: str
    warmup: int
    draws: int
    tools: tuple[str, ...]
    left_out: str = ""  # why the other tools are not run (default: the tiny-mode reason)


FULL_MAP = (
    MapBenchmark("diabetes", ("lasso", "enet", "ridge", "path"), 7),
    MapBenchmark("gauss_2000x200", ("lasso", "enet", "ridge", "path"), 5),
    MapBenchmark("gauss_20000x1000", ("lasso", "enet"), 2),
    MapBenchmark("gauss_500x5000", ("lasso", "enet"), 2),
    MapBenchmark("logistic_5000x500", ("logistic",), 3),
    MapBenchmark("breast_cancer", ("logistic",), 5),
)
FULL_SAMPLING = (
    SamplingBenchmark("diabetes", 1000, 1000, samplers.TOOLS),
    SamplingBenchmark("gauss_2000x200", 500, 500, samplers.TOOLS),
    # the peers pay O(np) per gradient here: the naive NumPyro model alone ran > 13 min at
    # 150 + 150 draws, so this size runs fewer draws and only the peer of the target
    SamplingBenchmark(
        "gauss_100000x20",
        100,
        100,
        ("bayesreg", "numpyro"),
        "left out at this size to bound the run (O(np) per gradient, like the naive NumPyro "
        "model, whose worker alone ran > 13 min at 2 × (150 + 150) draws)",
    ),
)
# the same code paths at sizes that run in seconds (make test); skglm (numba), PyMC and nutpie
# compile for >10 s each in a fresh process, so the tiny mode leaves them out
TINY_MAP = (
    MapBenchmark(
        "diabetes", ("lasso", "path"), 2, ("bayesreg", "bayesreg-vmap", "sklearn", "celer")
    ),
    MapBenchmark("logistic_5000x500", ("logistic",), 2, ("bayesreg", "sklearn-saga")),
)
TINY_SAMPLING = (SamplingBenchmark("diabetes", 50, 50, ("bayesreg", "numpyro")),)
TINY_SKIPPED = "left out in --tiny mode (>10 s of numba / PyTensor compilation in a fresh process)"

DIRECT_SOLVES = {("sklearn", "ridge")}  # a factorization: the tolerance is not used
WORKER_TIMEOUT_S = {"full": 900, "tiny": 180}
CALIBRATION_BUDGET_S = 60.0  # stop tightening a tool's tolerance once a rung takes this long

MAP_COLUMNS = (
    "task",
    "tool",
    "tol",
    "rel. subopt.",
    "first call (s)",
    "steady median (ms)",
    "× best peer",
    "import (s)",
    "peak RSS (MB)",
    "RSS added (MB)",
)
SAMPLING_COLUMNS = (
    "tool",
    "first call (s)",
    "first min-ESS/s",
    "repeat call (s)",
    "repeat min-ESS/s",
    "repeat ESS/s ÷ nutpie repeat",
    "repeat ESS/s ÷ PyMC first",
    "min bulk ESS (repeat)",
    "import (s)",
    "peak RSS (MB)",
)


# ---------------------------------------------------------------------------------------------
# running workers


def worker_env() -> dict[str, str]:
    """Environment of a worker: CPU, no persistent JAX cache (cold first call), 2 host devices."""
    env = dict(os.environ)
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    env.pop("PYTHONWARNINGS", None)
    env["JAX_PLATFORMS"] = "cpu"
    env["XLA_FLAGS"] = (
        env.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={samplers.NUM_CHAINS}"
    ).strip()
    return env


def run_worker(request: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; a failure becomes an ``error`` entry."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.worker", json.dumps(request)],
            cwd=ROOT,
            env=worker_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"worker failed (exit {done.returncode}): {tail[:200]}"}
    return json.loads(lines[-1])


def run_all(requests: Sequence[dict[str, Any]], timeout: float, jobs: int) -> list[dict[str, Any]]:
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lambda r: run_worker(r, timeout), requests))


def quiet(call: Callable[[], Any]) -> Any:
    with warnings.catch_warnings():  # peers (numba, pymc) warn on import; not ours to fix
        warnings.simplefilter("ignore")
        return call()


# ---------------------------------------------------------------------------------------------
# MAP benchmarks


def reference(problem: Any, task: str, params: dict[str, Any]) -> dict[str, Any]:
    """``F*`` from independent tight solves, their agreement, and the KKT certificate."""
    fits, values = {}, {}
    for name in solvers.REFERENCES[task]:
        module = "numpy" if name == "numpy" else solvers.tool(name).module
        if not solvers.available(module) or len(fits) == 2:
            continue
        fits[name] = quiet(lambda name=name: solvers.reference_fit(name, problem, task, params))
        values[name] = np.asarray(solvers.objective(problem, task, params, fits[name]))
    best = min(values, key=lambda k: float(np.sum(values[k])))
    f_star = values[best]
    spread = max(solvers.suboptimality(v, f_star) for v in values.values())
    return {
        "f_star": f_star,
        "by": best,
        "candidates": sorted(values),
        "agreement": spread,
        "kkt": solvers.kkt_violation(problem, task, params, fits[best]),
    }


def calibrate(spec: solvers.Tool, problem: Any, task: str, params: dict, f_star: Any) -> dict:
    """The loosest tolerance on the tool's ladder that reaches the target suboptimality."""
    result: dict[str, Any] = {}
    for tol in spec.ladder:
        start = time.perf_counter()
        fit = quiet(lambda tol=tol: spec.fit(problem, task, params, tol))
        elapsed = time.perf_counter() - start
        sub = solvers.suboptimality(solvers.objective(problem, task, params, fit), f_star)
        result = {"tol": tol, "suboptimality": sub}
        if sub <= solvers.TARGET_SUBOPTIMALITY or elapsed > CALIBRATION_BUDGET_S:
            break
    result["reached"] = result["suboptimality"] <= solvers.TARGET_SUBOPTIMALITY
    return result


def map_benchmark(bench: MapBenchmark, tiny: bool, jobs: int) -> dict[str, Any]:
    problem = make_problem(bench.problem, tiny)
    mode = "tiny" if tiny else "full"
    tasks, requests, rows_meta = {}, [], []
    for task in bench.tasks:
        params = solvers.task_params(problem, task, tiny)
        ref = reference(problem, task, params)
        tasks[task] = {k: v for k, v in ref.items() if k != "f_star"} | {"notes": []}
        for spec in solvers.TOOLS:
            if task not in spec.tasks:
                continue
            if bench.tools is not None and spec.name not in bench.tools:
                tasks[task]["notes"].append(f"{spec.name} {TINY_SKIPPED}")
                continue
            if not solvers.available(spec.module):
                tasks[task]["notes"].append(f"{spec.name} skipped: not installed")
                continue
            chosen = calibrate(spec, problem, task, params, ref["f_star"])
            rows_meta.append({"task": task, "tool": spec.name, "is_bayesreg": spec.is_bayesreg})
            rows_meta[-1].update(chosen)
            requests.append(
                {
                    "kind": "map",
                    "problem": bench.problem,
                    "tiny": tiny,
                    "task": task,
                    "tool": spec.name,
                    "tol": chosen["tol"],
                    "repeats": bench.repeats,
                    "reference": ref["f_star"].tolist(),
                }
            )
        for (name, skipped_task), why in solvers.SKIPPED.items():
            if skipped_task == task:
                tasks[task]["notes"].append(f"{name} skipped: {why}")
    results = run_all(requests, WORKER_TIMEOUT_S[mode], jobs)
    rows = [meta | measured for meta, measured in zip(rows_meta, results, strict=True)]
    for task in bench.tasks:
        peers = [
            r["median_s"]
            for r in rows
            if r["task"] == task
            and not r["is_bayesreg"]
            and "median_s" in r
            and r["suboptimality"] <= solvers.TARGET_SUBOPTIMALITY
        ]
        best = min(peers) if peers else math.nan
        if not peers:
            tasks[task]["notes"].append(
                f"no peer reached the target suboptimality {solvers.TARGET_SUBOPTIMALITY:g} "
                "in this run: no ratio (—)"
            )
        for r in rows:
            if r["task"] == task and "median_s" in r:
                r["ratio"] = r["median_s"] / best
    return {
        "name": f"map-{bench.problem}",
        "kind": "map",
        "problem": bench.problem,
        "description": problem.description,
        "repeats": bench.repeats,
        "tasks": tasks,
        "rows": rows,
    }


# ---------------------------------------------------------------------------------------------
# sampling benchmarks


def sampling_benchmark(bench: SamplingBenchmark, tiny: bool, jobs: int) -> dict[str, Any]:
    problem = make_problem(bench.problem, tiny)
    mode = "tiny" if tiny else "full"
    notes, requests, names = [], [], []
    for tool in samplers.TOOLS:
        if tool not in bench.tools:
            notes.append(f"{tool} {bench.left_out or TINY_SKIPPED}")
            continue
        if not solvers.available(samplers.TOOL_MODULES[tool]):
            notes.append(f"{tool} skipped: not installed")
            continue
        names.append(tool)
        requests.append(
            {
                "kind": "sampling",
                "problem": bench.problem,
                "tiny": tiny,
                "tool": tool,
                "warmup": bench.warmup,
                "draws": bench.draws,
            }
        )
    # samplers use both cores for their chains: one at a time, even with --jobs
    results = run_all(requests, WORKER_TIMEOUT_S[mode], 1 if not tiny else jobs)
    rows = [{"tool": name} | result for name, result in zip(names, results, strict=True)]
    by_tool = {r["tool"]: r for r in rows if "error" not in r}
    for r in rows:
        if "error" in r:
            continue
        if "nutpie" in by_tool:
            r["vs_nutpie"] = r["repeat_ess_per_s"] / by_tool["nutpie"]["repeat_ess_per_s"]
        if "pymc" in by_tool:
            r["vs_pymc_first"] = r["repeat_ess_per_s"] / by_tool["pymc"]["first_ess_per_s"]
    return {
        "name": f"nuts-{bench.problem}",
        "kind": "sampling",
        "problem": bench.problem,
        "description": problem.description,
        "settings": f"{samplers.NUM_CHAINS} chains × ({bench.warmup} warmup + {bench.draws} draws)",
        "notes": notes,
        "rows": rows,
    }


# ---------------------------------------------------------------------------------------------
# Markdown


def _num(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def _table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def map_markdown(result: dict[str, Any]) -> list[str]:
    lines = [f"### MAP — {result['problem']}", "", f"{result['description']}; "]
    lines[-1] += (
        f"steady state = median of {result['repeats']} calls after the first (the warm-up); "
        f"each tool at the loosest tolerance of its ladder reaching relative suboptimality "
        f"≤ {solvers.TARGET_SUBOPTIMALITY:g} (✗ = not reached; then it is not a best peer)."
    )
    lines.append("")
    for task, info in result["tasks"].items():
        lines.append(
            f"- **{task}**: reference F* by {info['by']} (tight solves of "
            f"{', '.join(info['candidates'])}; agreement {info['agreement']:.1e}; "
            f"KKT violation {info['kkt']:.1e})"
            + ("; " + "; ".join(info["notes"]) if info["notes"] else "")
        )
    lines.append("")
    body = []
    for r in result["rows"]:
        flag = "" if r["suboptimality"] <= solvers.TARGET_SUBOPTIMALITY else " ✗"
        name = solvers.label(r["tool"], r["task"])
        if r["is_bayesreg"]:
            name = f"**{name}**"
        if "error" in r:
            body.append([r["task"], name, _num(r["tol"]), "—", r["error"], *["—"] * 5])
            continue
        worker_sub = r["suboptimality"]
        body.append(
            [
                r["task"],
                name,
                "direct" if (r["tool"], r["task"]) in DIRECT_SOLVES else _num(r["tol"]),
                f"{worker_sub:.1e}{flag}",
                f"{r['first_s']:.3g}",
                f"{1e3 * r['median_s']:.3g}",
                _num(r.get("ratio"), 3) + "×" if math.isfinite(r.get("ratio", math.nan)) else "—",
                f"{r['import_s']:.2g}",
                f"{r['peak_mb']:.0f}",
                f"{r['peak_mb'] - r['baseline_mb']:.0f}",
            ]
        )
    return lines + _table(MAP_COLUMNS, body)


def sampling_markdown(result: dict[str, Any]) -> list[str]:
    lines = [
        f"### NUTS — {result['problem']}",
        "",
        f"{result['description']}; Laplace prior, flat intercept, known sigma; "
        f"{result['settings']}; min-ESS/s = minimum bulk ESS over all parameters ÷ wall time "
        "of that call.",
    ]
    if result["notes"]:
        lines.append("Notes: " + "; ".join(result["notes"]) + ".")
    lines.append("")
    body = []
    for r in result["rows"]:
        name = samplers.TOOL_LABELS[r["tool"]]
        if r["tool"] == "bayesreg":
            name = f"**{name}**"
        if "error" in r:
            body.append([name, r["error"], *["—"] * 8])
            continue
        body.append(
            [
                name,
                f"{r['first_s']:.3g}",
                f"{r['first_ess_per_s']:.4g}",
                f"{r['repeat_s']:.3g}",
                f"{r['repeat_ess_per_s']:.4g}",
                _num(r.get("vs_nutpie")) + ("×" if "vs_nutpie" in r else ""),
                _num(r.get("vs_pymc_first")) + ("×" if "vs_pymc_first" in r else ""),
                f"{r['repeat_ess']:.0f}",
                f"{r['import_s']:.2g}",
                f"{r['peak_mb']:.0f}",
            ]
        )
    return lines + _table(SAMPLING_COLUMNS, body)


def _commit() -> str:
    """The commit the package was measured at (``+dirty``: bayesreg/ had uncommitted changes)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "bayesreg"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "unknown"
    return (head or "unknown") + ("+dirty" if dirty else "")


def _now() -> str:
    return datetime.datetime.now().isoformat(timespec="minutes")


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for package in (
        "bayesreg",
        "jax",
        "numpyro",
        "scikit-learn",
        "skglm",
        "celer",
        "pymc",
        "nutpie",
    ):
        try:
            found.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            found.append(f"{package} (absent)")
    return ", ".join(found)


def header(
    mode: str,
    load: Sequence[Sequence[float]] | None,
    when: str | None = None,
    commit: str | None = None,
) -> list[str]:
    if load:
        before, after = (", ".join(f"{x:.2f}" for x in values) for values in load)
        load_text = f"Load average (1, 5, 15 min) before: {before}; after: {after}"
    else:
        load_text = "Load average not recorded"
    return [
        f"Measured {when or _now()} ({mode} mode) on "
        f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; {_versions()}; bayesreg at commit "
        f"{commit or 'not recorded'}.",
        "",
        f"{load_text} — the machine is shared, so timings are noisy; ratios within one run are "
        "the comparable numbers.",
        "",
        "First call = a fresh interpreter's first call (JIT compilation included, no persistent "
        "compilation cache), imports excluded (shown apart). Peak RSS = `VmHWM` of that process "
        "(all allocations, XLA's included); RSS added = peak minus the resident size just "
        "before the first call.",
    ]


# ---------------------------------------------------------------------------------------------
# the targets of issues 7, 13 and 14, read off the results


def _row(results: dict, name: str, **match: Any) -> dict | None:
    for r in results.get(name, {}).get("rows", []):
        if all(r.get(k) == v for k, v in match.items()) and "error" not in r:
            return r
    return None


def targets(results: dict[str, dict]) -> list[str]:
    lines = ["## Targets (issues 7, 13, 14)", ""]
    body = []
    for name, result in results.items():
        if result["kind"] != "map":
            continue
        for task in ("lasso", "enet"):
            r = _row(results, name, task=task, tool="bayesreg")
            if r is not None:
                met = r.get("ratio", math.nan) <= 1.0
                body.append(
                    [
                        f"{task} MAP, steady state, ≤ 1.0× best peer ({result['problem']})",
                        _num(r.get("ratio")) + "×",
                        "yes" if met else "no",
                    ]
                )
        r = _row(results, name, task="path", tool="bayesreg")
        if r is not None:
            body.append(
                [
                    f"lasso path, ≤ 0.5× lasso_path ({result['problem']})",
                    _num(r.get("ratio")) + "×",
                    "yes" if r.get("ratio", math.nan) <= 0.5 else "no",
                ]
            )
        r = _row(results, name, task="path", tool="bayesreg-vmap")
        if r is not None:
            body.append(
                [
                    f"lasso path with method='vmap' (not the default), vs lasso_path "
                    f"({result['problem']})",
                    _num(r.get("ratio")) + "×",
                    "—",
                ]
            )
    r = _row(results, "map-diabetes", task="lasso", tool="bayesreg")
    if r is not None:
        body.append(
            [
                "map_estimate first call on diabetes ≤ 2 s",
                f"{r['first_s']:.3g} s",
                "yes" if r["first_s"] <= 2 else "no",
            ]
        )
    for name, result in results.items():
        if result["kind"] != "sampling":
            continue
        r = _row(results, name, tool="bayesreg")
        if r is None:
            continue
        if "vs_nutpie" in r:
            body.append(
                [
                    f"NUTS repeat min-ESS/s ≥ nutpie ({result['problem']})",
                    f"{r['vs_nutpie']:.3g}×",
                    "yes" if r["vs_nutpie"] >= 1 else "no",
                ]
            )
        if "vs_pymc_first" in r:
            body.append(
                [
                    f"NUTS repeat min-ESS/s ≥ 10× PyMC whole call ({result['problem']})",
                    f"{r['vs_pymc_first']:.3g}×",
                    "yes" if r["vs_pymc_first"] >= 10 else "no",
                ]
            )
        naive = _row(results, name, tool="numpyro")
        if naive is not None:
            ratio = r["repeat_ess_per_s"] / naive["repeat_ess_per_s"]
            body.append(
                [
                    f"NUTS repeat min-ESS/s vs naive NumPyro repeat ({result['problem']}; "
                    "target ≥ 10× at 100000×20)",
                    f"{ratio:.3g}×",
                    ("yes" if ratio >= 10 else "no") if "100000" in name else "—",
                ]
            )
        if result["problem"] == "diabetes":
            body.append(
                [
                    "sample_posterior first call on diabetes ≤ 3 s",
                    f"{r['first_s']:.3g} s",
                    "yes" if r["first_s"] <= 3 else "no",
                ]
            )
    body += selection.targets(results)  # issue 13: choosing the prior scale
    body += shrinkage.targets(results)  # issue 14: the horseshoe's samplers
    return lines + _table(("target", "measured", "met"), body)


# ---------------------------------------------------------------------------------------------


def selected(names: Sequence[str], only: str | None) -> list[str]:
    if not only:
        return list(names)
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    return [n for n in names if any(w in n for w in wanted)]


def render(out: Path, results: dict[str, dict], mode: str) -> None:
    """Write ``<name>.md`` for each result and the combined ``README.md``."""
    sections = []
    for name, result in results.items():
        render_kind = {
            "map": map_markdown,
            "sampling": sampling_markdown,
            "selection": selection.markdown,
            "shrinkage": shrinkage.markdown,
        }
        body = render_kind[result["kind"]](result)
        text = "\n".join(
            [
                f"# {name}",
                "",
                *header(mode, result.get("load"), result.get("measured_at"), result.get("commit")),
                "",
                *body,
                "",
            ]
        )
        (out / f"{name}.md").write_text(text)
        load = result.get("load")
        meta = (
            f"Measured {result.get('measured_at', '?')} at bayesreg commit "
            f"{result.get('commit', '?')}; load average before "
            f"{', '.join(f'{x:.2f}' for x in load[0]) if load else '?'}, after "
            f"{', '.join(f'{x:.2f}' for x in load[1]) if load else '?'}."
        )
        sections += [body[0], "", meta, *body[1:], ""]
    commits = sorted({str(r.get("commit")) for r in results.values()})
    loads = [r["load"] for r in results.values() if r.get("load")]
    overall = [loads[0][0], loads[-1][1]] if loads else None
    readme = [
        "# bayesreg benchmarks",
        "",
        f"Written by `python -m benchmarks.run{' --tiny' if mode == 'tiny' else ''}`. "
        f"Total wall time {sum(r.get('elapsed_s', 0) for r in results.values()):.0f} s.",
        "",
        *header(
            mode, overall, next(iter(results.values()), {}).get("measured_at"), ", ".join(commits)
        ),
        "",
        *targets(results),
        "",
        "## Tables",
        "",
        *sections,
    ]
    (out / "README.md").write_text("\n".join(readme))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="tiny problems (seconds; make test)")
    parser.add_argument(
        "--only", help="comma-separated substrings of benchmark names, e.g. map-diabetes,nuts"
    )
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument(
        "--jobs", type=int, default=None, help="MAP workers at once (default 1; 2 with --tiny)"
    )
    parser.add_argument(
        "--render", action="store_true", help="only rewrite the Markdown from <out>/*.json"
    )
    args = parser.parse_args(argv)
    jobs = args.jobs or (2 if args.tiny else 1)
    mode = "tiny" if args.tiny else "full"
    map_plan = {f"map-{b.problem}": b for b in (TINY_MAP if args.tiny else FULL_MAP)}
    sampling_plan = {
        f"nuts-{b.problem}": b for b in (TINY_SAMPLING if args.tiny else FULL_SAMPLING)
    }
    selection_plan = selection.plan(args.tiny)
    shrinkage_plan = shrinkage.plan(args.tiny)
    plans = [*map_plan, *sampling_plan, *selection_plan, *shrinkage_plan]
    names = selected(plans, args.only)
    if not names:
        parser.error(f"--only {args.only!r} matches none of {', '.join(plans)}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}
    for name in names:
        stored = out / f"{name}.json"
        if args.render:
            continue
        start, load_before, commit = time.perf_counter(), os.getloadavg(), _commit()
        if name in map_plan:
            results[name] = map_benchmark(map_plan[name], args.tiny, jobs)
        elif name in selection_plan:
            results[name] = selection.benchmark(selection_plan[name], args.tiny)
        elif name in shrinkage_plan:
            results[name] = shrinkage.benchmark(shrinkage_plan[name], args.tiny)
        else:
            results[name] = sampling_benchmark(sampling_plan[name], args.tiny, jobs)
        results[name]["elapsed_s"] = time.perf_counter() - start
        results[name]["load"] = [list(load_before), list(os.getloadavg())]
        results[name]["measured_at"] = _now()
        results[name]["commit"] = commit
        stored.write_text(
            json.dumps(results[name], indent=1, default=lambda x: np.asarray(x).tolist())
        )
        render(out, {name: results[name]}, mode)  # each table as soon as it is measured
        print(f"{name}: {results[name]['elapsed_s']:.0f} s", flush=True)
    # the README also shows earlier measurements of benchmarks left out by --only
    for name in plans:
        stored = out / f"{name}.json"
        if name not in results and stored.exists():
            results[name] = json.loads(stored.read_text())
    render(out, {name: results[name] for name in plans if name in results}, mode)
    return 0


if __name__ == "__main__":
    sys.exit(main())
