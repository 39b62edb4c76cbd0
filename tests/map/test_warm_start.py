"""A start given by init_params: the certificate keeps the default start's scale.

Oracle: scikit-learn's Ridge / Lasso at the equivalent penalty. Before, a start at the solution
made the certificate relative to its own (vanishing) gradient, so it could never be met.
"""

import numpy as np
import pytest
from sklearn.linear_model import Lasso, Ridge

import bayesreg as br

SIGMA = 54.0


@pytest.mark.parametrize("prior", ["gaussian", "laplace"])
@pytest.mark.parametrize("offset", [0.0, 1e-6, 0.5])
def test_a_start_at_or_near_the_solution_is_certified(diabetes, prior, offset):
    X, y = diabetes
    n = len(y)
    if prior == "gaussian":
        d, ref = br.models.gaussian(300.0), Ridge(alpha=SIGMA**2 / 300.0**2)
    else:
        d = br.models.laplace(20.0)
        ref = Lasso(alpha=SIGMA**2 / (n * 20.0), tol=1e-14, max_iter=1_000_000)
    ref.fit(X, y)
    start = {"coef": ref.coef_ * (1.0 + offset), "intercept": ref.intercept_ * (1.0 + offset)}
    fit = br.map_estimate(br.models.linear, X, y, prior=d, sigma=SIGMA, init_params=start)
    cold = br.map_estimate(br.models.linear, X, y, prior=d, sigma=SIGMA)
    assert fit.converged
    np.testing.assert_allclose(fit.params["coef"], ref.coef_, rtol=1e-7, atol=1e-6)
    # the same certificate: the warm start's optimality is measured on the cold start's scale
    assert fit.optimality <= fit.tolerance and cold.optimality <= cold.tolerance
    if offset == 0.0:
        assert fit.num_iter <= cold.num_iter
