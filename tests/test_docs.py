"""The notebooks and the documentation site, as a reader sees them.

Each notebook in notebooks/ is executed exactly once per test run, by `executed_copy` (in
docs/executed_notebooks.py, which `make docs` uses too), into a folder shared by all pytest-xdist
workers of the run: `test_notebook_executes` checks one notebook (its assert-cells are the checks: a
failing assert is a cell error), `test_site` builds the site from the executed copies, executing
those no one has started and waiting for those another worker is executing. Neither relies on the
other having run first.

The build is the one CI runs, ``mkdocs build --strict``, offline: strict mode turns every warning (a
broken link or anchor, a docstring mkdocstrings cannot parse) into a failure, and proxies pointing
at a closed port make any network fetch during the build fail (no Google Fonts, no social cards).
"""

import importlib.util
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
_spec = importlib.util.spec_from_file_location(
    "executed_notebooks", ROOT / "docs" / "executed_notebooks.py"
)
executed_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(executed_notebooks)

# Notebooks that run MCMC are statistical tests: `make test` runs them, `make test-fast` skips.
MCMC = {"uncertainty.ipynb", "geometry_and_paths.ipynb", "choosing_the_penalty.ipynb"}
BUILD_TIMEOUT_S = 300  # about 20 s alone; the API page's griffe pass slows most on loaded cores
NO_NETWORK = "http://127.0.0.1:9"  # the discard port: connections are refused
SPHINX_MARKUP = (
    ":func:", ":class:", ":mod:", ":meth:", ":attr:", ":data:", ":math:", ":ref:", ":obj:",
    ":exc:", ".. math::", ".. note::", ".. warning::", ".. versionadded::",
)  # fmt: skip
# what a reader sees when a docstring section swallows a paragraph as an item
RENDERED_LITERALS = ("``",)


def _notebooks() -> list:
    return [
        pytest.param(path, id=path.stem, marks=[pytest.mark.slow] if path.name in MCMC else [])
        for path in sorted(NOTEBOOKS.glob("*.ipynb"))
    ]


@pytest.fixture(scope="session")
def executed_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This run's executed notebooks: one folder shared by the run's xdist workers, no other run."""
    base = tmp_path_factory.getbasetemp()
    # an xdist worker's basetemp is a child (popen-gw0, ...) of the run's; without xdist, the run's
    run = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return run / "executed-notebooks"


def _outputs(notebook, output_type: str | None = None) -> list:
    return [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output_type is None or output.get("output_type") == output_type
    ]


def _figures(notebook) -> list:
    return [output for output in _outputs(notebook) if "image/png" in output.get("data", {})]


def test_notebooks_are_found():
    assert {p.name for p in NOTEBOOKS.glob("*.ipynb")} >= {"correspondence.ipynb"} | MCMC


@pytest.mark.parametrize("path", _notebooks())
def test_notebook_executes(path: Path, executed_folder: Path) -> None:
    stored = nbformat.read(path, as_version=4)
    assert _outputs(stored) == [], f"{path.name} is stored with outputs; clear them first"
    executed = nbformat.read(executed_notebooks.executed_copy(path, executed_folder), as_version=4)
    printed = "".join(output.get("text", "") for output in _outputs(executed, "stream"))
    # jupyter_client starts the "python3" kernelspec with sys.executable: this virtual environment
    assert f"kernel interpreter: {sys.executable}" in printed, (
        f"the kernel did not run {sys.executable}; output: {printed[:300]!r}"
    )
    code = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code), "a code cell was not executed"
    assert _figures(executed), f"{path.name} draws no figure; its docs page would show none"


def test_each_notebook_executes_once(tmp_path: Path) -> None:
    """Two processes (as two xdist workers) ask for the same copies: each notebook runs once."""
    runs = tmp_path / "runs.txt"  # every execution of a cell appends its notebook's name
    sources = []
    for name, last_line in (("good", "print('done')"), ("bad", "assert False, 'broken cell'")):
        cell = f"open({str(runs)!r}, 'a').write('{name}\\n')\n{last_line}"
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)])
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        nbformat.write(notebook, tmp_path / f"{name}.ipynb")
        sources.append(tmp_path / f"{name}.ipynb")
    folder = tmp_path / "executed"
    script = (
        "import importlib.util, pathlib, sys\n"
        f"spec = importlib.util.spec_from_file_location('m', {str(_spec.origin)!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "folder, *sources = map(pathlib.Path, sys.argv[1:])\n"
        "m.executed_copies(sources, folder)\n"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(folder), *map(str, order)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for order in (sources, sources[::-1])
    ]
    errors = [worker.communicate(timeout=BUILD_TIMEOUT_S)[1] for worker in workers]
    assert sorted(runs.read_text().split()) == ["bad", "good"], runs.read_text()
    # the failure reaches both callers, with the cell's error, and is not retried
    assert all("executing notebook bad.ipynb failed" in e and "broken cell" in e for e in errors)
    with pytest.raises(RuntimeError, match="broken cell"):
        executed_notebooks.executed_copy(sources[1], folder)
    done = nbformat.read(executed_notebooks.executed_copy(sources[0], folder), as_version=4)
    assert done.cells[0].outputs[0]["text"] == "done\n"
    assert sorted(runs.read_text().split()) == ["bad", "good"]


class _ReaderText(HTMLParser):
    """The text a browser shows: the page without its tags, scripts and style sheets."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _reader_text(html: str) -> str:
    parser = _ReaderText()
    parser.feed(html)
    return "".join(parser.parts)


@pytest.mark.slow  # needs every notebook executed, the MCMC ones included
def test_site(tmp_path: Path, executed_folder: Path) -> None:
    for plugin in ("mkdocs", "mkdocstrings", "mkdocs_jupyter", "material"):
        pytest.importorskip(plugin)
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    executed_notebooks.executed_copies(notebooks, executed_folder)
    site = tmp_path / "site"
    env = {
        **os.environ,
        "HTTP_PROXY": NO_NETWORK,
        "HTTPS_PROXY": NO_NETWORK,
        "http_proxy": NO_NETWORK,
        "https_proxy": NO_NETWORK,
        "NO_PROXY": "",
        "no_proxy": "",
        "NO_MKDOCS_2_WARNING": "1",
        "MPLBACKEND": "Agg",
        executed_notebooks.ENV_VAR: str(executed_folder),
    }
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
         "-d", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False,
    )  # fmt: skip
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-5000:]
    assert "WARNING" not in log, log[-5000:]

    pages = sorted(site.rglob("index.html"))
    for page in ("index.html", "math/index.html", "cli/index.html", "api/index.html"):
        assert site / page in pages, page
    for page in pages:
        html = page.read_text(encoding="utf-8")
        # one docstring dialect: a Sphinx role or directive would be printed literally
        text = _reader_text(html)
        for literal in SPHINX_MARKUP + RENDERED_LITERALS:
            context = text[max(text.find(literal) - 300, 0) :][:600]
            assert literal not in text, (page, literal, context)
        assert "fonts.googleapis.com" not in html, page
        assert "stylesheets/extra.css" in html, page  # code kept inside the page column
        # every entry of the page's table of contents leads to a heading of the page
        ids = set(re.findall(r'\sid="([^"]+)"', html))
        toc = re.findall(r'<a href="#([^"]+)" class="md-nav__link"', html)
        assert set(toc) <= ids, (page, sorted(set(toc) - ids))

    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    for name in ("bayesreg.map.map_estimate", "bayesreg.penalty.lasso_alpha",
                 "bayesreg.sample.sample_posterior", "bayesreg.compare.compare",
                 "bayesreg.sklearn.BayesianLinearRegression"):  # fmt: skip
        assert f'id="{name}"' in api, name
    assert 'class="arithmatex"' in api  # the docstrings' $...$ math reaches MathJax as math

    for path in notebooks:
        page = site / "notebooks" / path.stem / "index.html"
        assert page.is_file(), path.name
        html = page.read_text(encoding="utf-8")
        executed = nbformat.read(executed_folder / path.name, as_version=4)
        # every figure of the executed notebook is on the page, inline
        images = re.findall(r'<img [^>]*src="data:image/png;base64,', html)
        assert len(images) == len(_figures(executed)) > 0, (path.name, len(images))
        # printed output and results (tables, numbers) too, under executed prompts
        shown = re.findall(r'class="[^"]*\bjp-OutputArea-output\b', html)
        assert len(shown) >= len(_outputs(executed)), (path.name, len(shown))
        text = _reader_text(html)
        assert not re.search(r"In\s*\[\s*\]:", text), f"{path.name}: an unexecuted cell shown"
        assert re.search(r"In\s*\[1\]:", text), f"{path.name}: no execution counts shown"
        download = site / "notebooks" / path.stem / path.name
        assert _figures(nbformat.read(download, as_version=4)), "the download lacks outputs"


def test_docstrings_use_one_dialect() -> None:
    """No module of the package holds a Sphinx role or directive (the site is mkdocstrings)."""
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "bayesreg").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if any(literal in line for literal in SPHINX_MARKUP)
    ]
    assert not found, "\n".join(found)
