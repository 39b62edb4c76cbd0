"""The benchmark harness runs end to end in --tiny mode, so it cannot rot. No timing assertions."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _tables(markdown: str) -> list[list[list[str]]]:
    """Every Markdown table of ``markdown`` as rows of cells (header first, separator dropped)."""
    tables, current = [], []
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if not all(set(cell) <= {"-"} for cell in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--tiny", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_writes_every_table(tiny_run):
    from benchmarks import selection, shrinkage
    from benchmarks.run import MAP_COLUMNS, SAMPLING_COLUMNS, TINY_MAP, TINY_SAMPLING

    names = [f"map-{b.problem}" for b in TINY_MAP] + [f"nuts-{b.problem}" for b in TINY_SAMPLING]
    names += list(selection.plan(tiny=True)) + list(shrinkage.plan(tiny=True))
    assert any(name.startswith("select-") for name in names)
    assert any(name.startswith("shrinkage-") for name in names)
    for name in names:
        text = (tiny_run / f"{name}.md").read_text()
        assert "Load average" in text
        (table,) = _tables(text)
        columns = {
            "map": MAP_COLUMNS,
            "nuts": SAMPLING_COLUMNS,
            "select": selection.COLUMNS,
            "shrinkage": shrinkage.COLUMNS,
        }[name.split("-")[0]]
        assert tuple(table[0]) == columns
        assert len(table) > 2  # bayesreg and at least one peer
        assert all(len(row) == len(columns) for row in table)
        assert any("bayesreg" in row[columns.index("tool")] for row in table[1:])
    readme = (tiny_run / "README.md").read_text()
    tables = _tables(readme)
    assert tables[0][0] == ["target", "measured", "met"] and len(tables[0]) > 1
    assert len(tables) == 1 + len(names)


def test_map_accuracy_is_certified(tiny_run):
    from benchmarks.solvers import TARGET_SUBOPTIMALITY

    for path in tiny_run.glob("map-*.json"):
        result = json.loads(path.read_text())
        for task in result["tasks"].values():
            # two independent tight solves agree, and the best one satisfies the KKT conditions
            assert len(task["candidates"]) == 2
            assert 0 <= task["agreement"] <= 1e-9
            assert task["kkt"] <= 1e-6
        # every tool (peers too) reached the target before any ratio is read: a ratio is
        # undefined when no peer of its task did, and the failure should name the tool that missed
        for row in result["rows"]:
            assert "error" not in row, row
            assert math.isfinite(row["suboptimality"]) and row["suboptimality"] > -1e-9
            assert row["suboptimality"] <= TARGET_SUBOPTIMALITY, row
        for row in result["rows"]:
            assert math.isfinite(row["ratio"]) and row["ratio"] > 0, row
            assert row["peak_mb"] > 0


def test_sampling_reports_ess(tiny_run):
    result = json.loads((tiny_run / "nuts-diabetes.json").read_text())
    tools = {row["tool"] for row in result["rows"]}
    assert {"bayesreg", "numpyro"} <= tools
    for row in result["rows"]:
        assert "error" not in row, row
        for call in ("first", "repeat"):
            assert row[f"{call}_ess"] > 0 and math.isfinite(row[f"{call}_ess_per_s"])
    notes = " ".join(result["notes"])
    assert "pymc" in notes and "nutpie" in notes


def test_shrinkage_reports_every_seed(tiny_run):
    from benchmarks import shrinkage

    (name,) = shrinkage.plan(tiny=True)
    bench = shrinkage.plan(tiny=True)[name]
    result = json.loads((tiny_run / f"{name}.json").read_text())
    assert {row["tool"] for row in result["rows"]} == {"gibbs", "nuts"}
    for row in result["rows"]:
        assert "error" not in row, row
        # one timed call per seed (the tiny budget is not reached), each after the warm call
        assert [call["seed"] for call in row["calls"]] == list(range(1, bench.seeds + 1))
        assert row["warm"] and all(call["seed"] == 0 for call in row["warm"])
        for call in row["calls"]:
            assert set(call["ess"]) == set(shrinkage.SITES)
            assert call["min_ess"] == min(call["ess"].values()) > 0
            assert math.isfinite(call["ess_per_s"]) and call["ess_per_s"] > 0
        spread = row["ess_per_s"]
        assert spread["min"] <= spread["median"] <= spread["max"]
        assert row["vs_nuts"] > 0 and row["peak_mb"] > 0
    by_tool = {row["tool"]: row for row in result["rows"]}
    assert by_tool["nuts"]["vs_nuts"] == 1.0
    assert all(call["divergences"] >= 0 for call in by_tool["nuts"]["calls"])
    assert all(call["divergences"] is None for call in by_tool["gibbs"]["calls"])
    notes = " ".join(result["notes"])
    assert "pymc" in notes and "nutpie" in notes
    # the README's target table names the Gibbs-vs-NUTS target of the p > n problem
    readme = (tiny_run / "README.md").read_text()
    assert "Gibbs min-ESS/s ≥ 3× bayesreg NUTS" in readme
