r"""scikit-learn estimators whose ``fit`` is the MAP of a Bayesian regression model.

Three estimators, one per likelihood of `bayesreg.models`:

- `BayesianLinearRegression` — Gaussian likelihood, known or unknown noise sd;
- `BayesianLogisticRegression` — Bernoulli likelihood with logit link (binary);
- `BayesianPoissonRegression` — Poisson likelihood with log link.

Each takes a ``prior`` on the weights, ``"gaussian"`` (Normal), ``"laplace"`` or ``"elastic_net"``,
whose MAP is ridge, the lasso and the elastic net. Its scale is given either **directly**
(``l1_scale`` = Laplace scale ``b``, ``l2_scale`` = Normal sd ``tau``), or as the **penalty of the
scikit-learn estimator** with the same MAP (``alpha`` / ``C`` and ``l1_ratio``); the conversion is
done by `bayesreg.penalty` and gives the same coefficients as scikit-learn:

- ``BayesianLinearRegression(prior="gaussian", alpha=a, sigma=s)`` is ``Ridge(alpha=a)``;
- ``BayesianLinearRegression(prior="laplace", alpha=a, sigma=s)`` is ``Lasso(alpha=a)``;
- ``BayesianLinearRegression(prior="elastic_net", alpha=a, l1_ratio=r, sigma=s)`` is
  ``ElasticNet(alpha=a, l1_ratio=r)``;
- ``BayesianLogisticRegression(prior="gaussian", C=c)`` is ``LogisticRegression(C=c, l1_ratio=0)``;
- ``BayesianLogisticRegression(prior="laplace", C=c)`` is
  ``LogisticRegression(C=c, l1_ratio=1, solver="saga")``;
- ``BayesianPoissonRegression(prior="gaussian", alpha=a)`` is ``PoissonRegressor(alpha=a)``,

for **any** noise sd ``s`` of the linear model: the ridge solution does not depend on ``s`` at a
fixed ``alpha``, and the Lasso / ElasticNet solutions do not either, because the prior scale is
derived from ``alpha`` and ``s`` together (``b = s² / (n alpha)``). ``s`` matters for the
posterior (its width) and for ``predict(X, return_std=True)``. The intercept has a flat prior and
is never penalized, as with ``fit_intercept=True`` in scikit-learn.

``fit`` computes the MAP with `bayesreg.map_estimate` (exact zeros for L1 priors) and sets
``coef_``, ``intercept_``; ``sample_posterior()`` runs NUTS (or the exact sampler) on the same
model and data, after which ``predict(X, return_std=True)`` gives posterior predictive means and
standard deviations.

Two estimators choose their scale by cross-validation, as ``LassoCV`` / ``ElasticNetCV`` and
``LogisticRegressionCV``: `BayesianLinearRegressionCV` and `BayesianLogisticRegressionCV` (grid
in ``alpha`` / ``C``, ``alpha_`` / ``C_``, ``cv_results_``). ``BayesianLinearRegression(prior=
"gaussian", alpha="evidence")`` chooses it by the evidence, as ``BayesianRidge``.

This is the only part of bayesreg's core that imports scikit-learn
(``pip install bayesreg[sklearn]``).
"""

from .cv import BayesianLinearRegressionCV, BayesianLogisticRegressionCV
from .linear import BayesianLinearRegression
from .logistic import BayesianLogisticRegression
from .poisson import BayesianPoissonRegression

__all__ = [
    "BayesianLinearRegression",
    "BayesianLinearRegressionCV",
    "BayesianLogisticRegression",
    "BayesianLogisticRegressionCV",
    "BayesianPoissonRegression",
]
