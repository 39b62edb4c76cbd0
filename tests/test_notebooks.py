"""Execute every notebook in notebooks/ with the interpreter running the tests; any error fails.

The notebooks are stored without outputs. Their assert-cells are the checks: a failing assert is a
cell error, and nbclient's ``CellExecutionError`` shows the cell and the traceback.
"""

import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CELL_TIMEOUT_S = 600
# Notebooks that run MCMC are statistical tests: `make test` runs them, `make test-fast` skips.
MCMC = {"uncertainty.ipynb", "geometry_and_paths.ipynb", "choosing_the_penalty.ipynb"}


def _cases() -> list:
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    return [
        pytest.param(path, id=path.stem, marks=[pytest.mark.slow] if path.name in MCMC else [])
        for path in paths
    ]


def test_notebooks_are_found():
    assert {p.name for p in NOTEBOOKS.glob("*.ipynb")} >= {"correspondence.ipynb"} | MCMC


@pytest.mark.parametrize("path", _cases())
def test_notebook_executes(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    notebook = nbformat.read(path, as_version=4)
    assert all(
        cell.get("outputs", []) == [] for cell in notebook.cells if cell.cell_type == "code"
    ), f"{path.name} is stored with outputs; clear them before committing"
    # The kernel inherits this environment; jupyter_client starts the "python3" kernelspec with
    # sys.executable, so it runs in the same virtual environment as the tests.
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("JAX_PLATFORMS", "cpu")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    printed = "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )
    assert f"kernel interpreter: {sys.executable}" in printed, (
        f"the kernel did not run {sys.executable}; output: {printed[:300]!r}"
    )
