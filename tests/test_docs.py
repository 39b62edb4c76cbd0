"""Build the documentation site the way CI does: ``mkdocs build --strict``, offline.

Strict mode turns every warning (a broken link or anchor, a docstring mkdocstrings cannot parse, a
missing page) into a failure. Proxies pointing at a closed port make any network fetch during the
build fail, so the site builds without a network (no Google Fonts, no social cards).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings")
pytest.importorskip("mkdocs_jupyter")

ROOT = Path(__file__).resolve().parent.parent
BUILD_TIMEOUT_S = 180
NO_NETWORK = "http://127.0.0.1:9"  # the discard port: connections are refused
SPHINX_MARKUP = (
    ":func:", ":class:", ":mod:", ":meth:", ":attr:", ":data:", ":math:", ":ref:", ":obj:",
    ":exc:", ".. math::", ".. note::", ".. warning::", ".. versionadded::",
)  # fmt: skip
# what a reader sees when a docstring section swallows a paragraph as an item
RENDERED_LITERALS = ("``",)


def test_mkdocs_build_strict(tmp_path: Path) -> None:
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
    }
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
         "-d", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False,
    )  # fmt: skip
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-5000:]
    assert "WARNING" not in log, log[-5000:]
    for page in ("index.html", "math/index.html", "cli/index.html", "api/index.html"):
        assert (site / page).is_file(), page
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    for name in ("bayesreg.map.map_estimate", "bayesreg.penalty.lasso_alpha",
                 "bayesreg.sample.sample_posterior", "bayesreg.compare.compare",
                 "bayesreg.sklearn.BayesianLinearRegression"):  # fmt: skip
        assert f'id="{name}"' in api, name
    # one docstring dialect: a Sphinx role or directive would be printed literally to the reader
    text = re.sub(r"<[^>]+>", "", api)  # what a reader sees, without the markup
    for literal in SPHINX_MARKUP + RENDERED_LITERALS:
        assert literal not in text, (literal, text[max(text.find(literal) - 300, 0) :][:600])
    assert 'class="arithmatex"' in api  # the docstrings' $...$ math reaches MathJax as math
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert (site / "notebooks" / notebook.stem / "index.html").is_file(), notebook.name
    assert "fonts.googleapis.com" not in (site / "index.html").read_text(encoding="utf-8")


def test_docstrings_use_one_dialect() -> None:
    """No module of the package holds a Sphinx role or directive (the site is mkdocstrings)."""
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "bayesreg").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if any(literal in line for literal in SPHINX_MARKUP)
    ]
    assert not found, "\n".join(found)
