"""Build the documentation site the way CI does: ``mkdocs build --strict``, offline.

Strict mode turns every warning (a broken link or anchor, a docstring mkdocstrings cannot parse, a
missing page) into a failure. Proxies pointing at a closed port make any network fetch during the
build fail, so the site builds without a network (no Google Fonts, no social cards).
"""

import os
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
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert (site / "notebooks" / notebook.stem / "index.html").is_file(), notebook.name
    assert "fonts.googleapis.com" not in (site / "index.html").read_text(encoding="utf-8")
