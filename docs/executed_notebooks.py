"""Notebook pages with their outputs: execute each notebook once, build the site from the copies.

The notebooks in `notebooks/` are stored without outputs. This file is the one place that executes
them, for both users of executed copies:

- the test suite (`tests/test_docs.py`): each notebook is executed once per test run, by whichever
  test asks first, into a folder shared by all pytest-xdist workers of that run; the other tests
  that need it wait for that copy (`executed_copy`);
- `make docs` (`python docs/executed_notebooks.py`): executes every notebook into
  `build/notebooks/`, then runs `mkdocs build --strict` on the executed copies.

It is also the mkdocs hook (`hooks:` in `mkdocs.yml`) that makes a build take the notebook pages
from the executed copies: when the environment variable `BAYESREG_EXECUTED_NOTEBOOKS` names a
folder, each notebook page is rendered from the copy of the same name in it. Without it (a plain
`mkdocs serve`) the pages show the stored notebooks, code without outputs.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BUILD_FOLDER = ROOT / "build" / "notebooks"
ENV_VAR = "BAYESREG_EXECUTED_NOTEBOOKS"
# One cell may run NUTS on a few hundred rows; on two loaded cores that takes minutes, not hours.
CELL_TIMEOUT_S = 600
# What the kernel needs to run headless and reproducibly, whatever the caller's environment holds
# (the test suite sets MPLBACKEND=Agg, under which `plt.show()` in a kernel outputs nothing): the
# inline backend, ipykernel's own default, renders each figure to a PNG output without a display.
KERNEL_ENV = {
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "JAX_PLATFORMS": "cpu",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}
# numpyro imports tqdm.auto, which in a kernel without ipywidgets warns on import; on a docs page
# that warning reads as a fault of the notebook's first cell.
KERNEL_WARNING_FILTERS = ("ignore:IProgress not found",)
FAILED_SUFFIX = ".failed.txt"
# a heading as nbconvert renders a markdown cell: its id, its text, then a "¶" permalink
HEADING = re.compile(r'<h([1-6]) id="([^"]+)">(.*?)</h\1>', re.DOTALL)
PERMALINK = re.compile(r'<a class="anchor-link".*?</a>', re.DOTALL)
TAG = re.compile(r"<[^>]+>")

log = logging.getLogger("mkdocs.hooks.executed_notebooks")


def execute(source: Path, destination: Path, timeout: int = CELL_TIMEOUT_S) -> None:
    """Execute the notebook `source` with nbclient and write the executed copy to `destination`.

    The kernel is the "python3" kernelspec, which jupyter_client starts with `sys.executable`, so it
    runs in the caller's virtual environment, with the caller's environment plus `KERNEL_ENV` and
    `KERNEL_WARNING_FILTERS`. The working directory is the notebook's own folder. The copy is
    written whole or not at all.

    Parameters
    ----------
    source : Path
        Notebook to execute (left unchanged).
    destination : Path
        Where the executed copy goes; its folder is created.
    timeout : int, default CELL_TIMEOUT_S
        Seconds one cell may run.

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        When a cell raises (a failing `assert` cell included); the message shows the cell and the
        traceback. Nothing is written then.
    """
    import nbclient
    import nbformat

    notebook = nbformat.read(source, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=timeout,
        resources={"metadata": {"path": str(source.parent)}},
    )
    filters = [os.environ.get("PYTHONWARNINGS", ""), *KERNEL_WARNING_FILTERS]
    env = {**os.environ, **KERNEL_ENV, "PYTHONWARNINGS": ",".join(f for f in filters if f)}
    client.execute(env=env)  # keyword arguments start the kernel
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    nbformat.write(notebook, partial)
    os.replace(partial, destination)  # atomic: a reader never sees half a notebook


def executed_copy(source: Path, folder: Path, timeout: int = CELL_TIMEOUT_S) -> Path:
    """Return the executed copy of `source` in `folder`, executing it only if no one has yet.

    Processes that share `folder` (pytest-xdist workers) take an exclusive lock per notebook: the
    first executes, the others wait for it and read its copy. A failed execution is recorded next to
    the copy and raised again to every later caller, so a broken notebook runs once, not once per
    caller. The lock is the operating system's (`fcntl.flock`), released if its holder dies.

    Parameters
    ----------
    source : Path
        Notebook to execute.
    folder : Path
        Folder of executed copies; the copy keeps the notebook's file name.
    timeout : int, default CELL_TIMEOUT_S
        Seconds one cell may run.

    Returns
    -------
    Path
        `folder / source.name`, executed.

    Raises
    ------
    RuntimeError
        When executing `source` failed, here or in another process; the message holds the error.
    """
    _execute_once(source, folder, timeout, block=True)
    failed = folder / (source.name + FAILED_SUFFIX)
    if failed.is_file():
        raise RuntimeError(
            f"executing notebook {source.name} failed:\n{failed.read_text(encoding='utf-8')}"
        )
    return folder / source.name


def executed_copies(sources: list[Path], folder: Path, timeout: int = CELL_TIMEOUT_S) -> list[Path]:
    """Return the executed copies of `sources` in `folder`, as `executed_copy` does for each.

    The notebooks no other process is executing are executed first; only then does it wait for
    the others, so a caller needing them all works while it waits rather than idling.

    Parameters
    ----------
    sources : list of Path
        Notebooks to execute.
    folder : Path
        Folder of executed copies.
    timeout : int, default CELL_TIMEOUT_S
        Seconds one cell may run.

    Returns
    -------
    list of Path
        `folder / source.name` for each source, executed, in order.

    Raises
    ------
    RuntimeError
        When executing one of `sources` failed, here or in another process.
    """
    for source in sources:
        _execute_once(source, folder, timeout, block=False)
    return [executed_copy(source, folder, timeout) for source in sources]


def _execute_once(source: Path, folder: Path, timeout: int, *, block: bool) -> bool:
    """Execute `source` into `folder` under its lock, unless it is done or has failed.

    Returns False, having done nothing, when `block` is False and another process holds the lock.
    """
    import fcntl

    folder.mkdir(parents=True, exist_ok=True)
    destination = folder / source.name
    failed = folder / (source.name + FAILED_SUFFIX)
    with open(folder / (source.name + ".lock"), "w") as lock:
        try:  # blocks (or, without `block`, gives up) while another process executes it
            fcntl.flock(lock, fcntl.LOCK_EX if block else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        try:
            if not destination.is_file() and not failed.is_file():
                try:
                    execute(source, destination, timeout)
                except Exception as error:  # recorded for the callers waiting on this lock
                    failed.write_text(f"{type(error).__name__}: {error}", encoding="utf-8")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return True


def on_files(files, config):  # noqa: ANN001 (mkdocs hook: mkdocs.structure.files.Files, config)
    """Render each notebook page from its executed copy in `$BAYESREG_EXECUTED_NOTEBOOKS`.

    mkdocs-jupyter converts the file at `file.abs_src_path`; pointing it at the executed copy makes
    the page show that copy's outputs and figures, and the page's download link serve that copy.

    Raises
    ------
    mkdocs.exceptions.PluginError
        When the variable names a folder that lacks the copy of a notebook page.
    """
    from mkdocs.exceptions import PluginError

    folder = os.environ.get(ENV_VAR)
    if not folder:
        log.info("%s is unset: notebook pages show no outputs (`make docs` executes them)", ENV_VAR)
        return files
    for file in files:
        if file.src_uri.endswith(".ipynb"):
            executed = Path(folder) / Path(file.src_uri).name
            if not executed.is_file():
                raise PluginError(
                    f"{ENV_VAR}={folder} has no executed copy of {file.src_uri}; execute it with "
                    f"`python docs/executed_notebooks.py`, or unset {ENV_VAR} to render the "
                    "notebooks without outputs"
                )
            file.abs_src_path = str(executed)
    return files


def on_page_content(html, page, config, files):  # noqa: ANN001 (mkdocs hook)
    """Give each notebook page the table of contents of the headings it shows.

    mkdocs-jupyter builds a notebook's table of contents from a copy of its markdown with every
    inline code span removed, so a heading such as "The L2 step: an exact `(1 − 2ηα)` decay" is
    listed as "The L2 step: an exact decay" and links to an id the page does not have. Here the
    entries are the page's own headings: their ids, and their text as shown (tags removed).
    """
    from mkdocs.structure.toc import get_toc

    if not page.file.src_uri.endswith(".ipynb"):
        return html
    tokens: list[dict] = []  # nested like Python-Markdown's toc_tokens
    open_headings: list[dict] = []
    for level, anchor, inner in HEADING.findall(html):
        name = TAG.sub("", PERMALINK.sub("", inner)).strip()
        token = {"level": int(level), "id": anchor, "name": name, "children": []}
        while open_headings and open_headings[-1]["level"] >= token["level"]:
            open_headings.pop()
        (open_headings[-1]["children"] if open_headings else tokens).append(token)
        open_headings.append(token)
    page.toc = get_toc(tokens)
    return html


def main(argv: list[str] | None = None) -> int:
    """Execute every notebook into `build/notebooks/` (afresh), then build the site from them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site-dir", default="site", help="where mkdocs writes the site")
    args = parser.parse_args(argv)
    shutil.rmtree(BUILD_FOLDER, ignore_errors=True)  # never a copy left over from older code
    sources = sorted(NOTEBOOKS.glob("*.ipynb"))
    print(f"executing {len(sources)} notebooks into {BUILD_FOLDER} ...", flush=True)
    executed_copies(sources, BUILD_FOLDER)
    env = {**os.environ, ENV_VAR: str(BUILD_FOLDER)}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", args.site_dir]
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
