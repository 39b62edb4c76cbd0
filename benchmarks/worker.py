"""One measurement in a fresh process: ``python -m benchmarks.worker '<json request>'``.

A fresh interpreter makes the first call honest: JAX's in-memory compilation cache is empty (and
the persistent cache is switched off by the parent, see :func:`benchmarks.run.worker_env`), numba
and PyTensor compile (from their on-disk caches where they keep one). The worker then takes the
steady-state times in the same process (the first call was the warm-up) and reports its peak
resident memory (``VmHWM``, the process's high-water mark of resident pages), which sees every
allocation (XLA's and numba's included, unlike ``tracemalloc``), and the resident memory just
before the first call, so the table can show what the call itself added. The result is the last
stdout line (JSON).
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
import warnings
from typing import Any

import numpy as np


def resident_mb() -> float:
    """Current resident set size (MB), from /proc (Linux)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_mb() -> float:
    """Peak resident set size of this process so far (MB): ``VmHWM`` from /proc (Linux).

    Not ``getrusage(RUSAGE_SELF).ru_maxrss``: Linux carries that high-water mark across
    ``execve``, so a worker would report its parent's peak when the parent was bigger.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(call: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = call()
    return out, time.perf_counter() - start


def measure_map(request: dict[str, Any]) -> dict[str, Any]:
    from . import solvers
    from .problems import make_problem

    start = time.perf_counter()
    spec = solvers.tool(request["tool"])
    with warnings.catch_warnings():  # peers may warn on import (numba, pymc); not ours to fix
        warnings.simplefilter("ignore")
        __import__(spec.module)
    import_s = time.perf_counter() - start
    problem = make_problem(request["problem"], request["tiny"])
    task = request["task"]
    params = solvers.task_params(problem, task, request["tiny"])
    baseline = resident_mb()

    def call() -> solvers.Fit:
        return spec.fit(problem, task, params, request["tol"])

    fit, first_s = _timed(call)
    times = [_timed(call)[1] for _ in range(request["repeats"])]
    value = solvers.objective(problem, task, params, fit)
    return {
        "import_s": import_s,
        "first_s": first_s,
        "times_s": times,
        "median_s": statistics.median(times),
        "baseline_mb": baseline,
        "peak_mb": peak_mb(),
        "suboptimality": solvers.suboptimality(value, request["reference"]),
    }


def measure_sampling(request: dict[str, Any]) -> dict[str, Any]:
    from . import samplers

    return samplers.measure(request)


def main(argv: list[str]) -> int:
    request = json.loads(argv[0])
    measure = measure_map if request["kind"] == "map" else measure_sampling
    result = measure(request)
    print(json.dumps(result, default=lambda x: np.asarray(x).tolist()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
