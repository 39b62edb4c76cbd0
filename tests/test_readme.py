"""The README's Python examples run as written (docs stay true to the code)."""

import re
import warnings
from pathlib import Path

import numpy as np
from sklearn.linear_model import Lasso

from bayesreg.sample import SamplingWarning

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run_and_claims_hold():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 3
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)  # diagnostics are tested elsewhere
        for block in blocks:
            exec(compile(block, str(README), "exec"), namespace)
    # the first block's claim: the Laplace MAP equals scikit-learn's Lasso at the converted alpha
    X, y = namespace["X"], namespace["y"]
    n = len(y)
    reference = Lasso(alpha=54.0**2 / (n * 20.0), tol=1e-12, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(namespace["fit"].params["coef"], reference.coef_, atol=1e-6 * 800)
    # the estimator block's claim: BayesianLinearRegression(laplace, alpha=0.1) == Lasso(0.1)
    lasso = Lasso(alpha=0.1, tol=1e-12, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(namespace["est"].coef_, lasso.coef_, atol=1e-6 * 800)
    assert namespace["std"].shape == (n,)
