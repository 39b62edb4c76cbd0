r"""The Bayesian lasso of Park & Casella (2008): Laplace weights scaled by the noise sd.

The model of "The Bayesian Lasso" (JASA 103, 681-686), §2-3:

$$
y \mid \beta, \sigma \sim \mathcal N(\mu \mathbf 1 + X\beta, \sigma^2 I), \qquad
\beta_j \mid \sigma \sim \mathrm{Laplace}(0, \sigma/\lambda), \qquad
p(\sigma^2) \propto 1/\sigma^2, \qquad p(\mu) \propto 1,
$$

with $\lambda$ fixed (then chosen by cross-validation or by marginal maximum likelihood,
`bayesreg.empirical_bayes`) or given a prior, $\lambda^2 \sim \mathrm{Gamma}(r, \delta)$ (shape
$r$, rate $\delta$; their §3.2). Conditioning the Laplace scale on $\sigma$ makes the posterior
unimodal (their §2). The weights' site is ``"coef"`` under the plate ``"features"``, as in the
other built-in models, so every summary, comparison and plot applies unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints
from numpyro.distributions.transforms import PowerTransform

from .._trace import is_concrete
from .._types import Array, ArrayLike
from ..priors.base import check_scale
from ..priors.gibbs import GibbsTarget, bayesian_lasso_gibbs
from .glm import check_feature_names, design_matrix, gibbs_design, intercept_site, response

__all__ = ["InverseScale", "bayesian_lasso"]


class InverseScale(dist.ImproperUniform):
    r"""The improper prior $p(\sigma) \propto 1/\sigma$ on $(0, \infty)$ (Jeffreys' scale prior).

    It is $p(\sigma^2) \propto 1/\sigma^2$ written for $\sigma$ ($d\sigma^2 = 2\sigma\,d\sigma$).
    Sampled through its support's transform like any `numpyro.distributions.ImproperUniform`;
    it cannot be drawn from (no prior predictive).
    """

    def __init__(self, *, validate_args: bool | None = None) -> None:
        super().__init__(constraints.positive, (), (), validate_args=validate_args)

    def log_prob(self, value: Array) -> Array:
        """``-log(value)``."""
        return -jnp.log(value)


def _lam(lam: float | dist.Gamma) -> Array | float:
    if isinstance(lam, dist.Gamma):
        # lam² ~ Gamma(r, delta)  <=>  lam = (lam²)^(1/2)
        return numpyro.sample("lam", dist.TransformedDistribution(lam, PowerTransform(0.5)))
    return lam


def _check_lam(lam: float | dist.Gamma) -> None:
    if isinstance(lam, dist.Gamma):
        if lam.batch_shape != ():
            raise ValueError(
                f"lam's Gamma prior (on lam²) must be scalar; got batch shape "
                f"{tuple(lam.batch_shape)}."
            )
        return
    if isinstance(lam, dist.Distribution):
        raise TypeError(
            "lam must be a positive number or numpyro.distributions.Gamma(r, delta), the prior "
            f"on lam² of Park & Casella (2008) §3.2; got {type(lam).__name__}."
        )
    if not is_concrete(lam):
        return  # a traced value (a compiled call); checked where it was given
    if isinstance(lam, bool | str) or np.ndim(lam) != 0:
        raise TypeError(f"lam must be a positive number; got {lam!r}.")
    check_scale(lam, "lam")


def bayesian_lasso(
    X: ArrayLike,
    y: ArrayLike | None = None,
    *,
    lam: float | dist.Gamma = 1.0,
    intercept: bool | dist.Distribution = True,
    feature_names: Sequence[str] | None = None,
) -> None:
    r"""Run the Park & Casella (2008) Bayesian lasso (module docstring) as NumPyro sites.

    Parameters
    ----------
    X : ArrayLike
        Design matrix, shape ``(n, p)``.
    y : ArrayLike, optional
        Response, shape ``(n,)``; ``None`` draws it (prediction).
    lam : float or numpyro.distributions.Gamma
        The lasso parameter $\lambda > 0$ (the Laplace scale is $\sigma/\lambda$), or a Gamma
        prior on $\lambda^2$ (shape $r$, rate $\delta$), sampled as the site ``"lam"``.
    intercept : bool or Distribution
        ``True``: flat intercept (Park & Casella's $p(\mu) \propto 1$); ``False``: none; a
        distribution: that prior.
    feature_names : sequence of str, optional
        Names of the columns (ArviZ coordinates of the ``"features"`` plate).

    Notes
    -----
    Sites: ``"sigma"`` (prior $\propto 1/\sigma$, `InverseScale`), ``"lam"`` (only when random),
    ``"coef"``, ``"intercept"``, and ``"y"`` under the plate ``"obs"`` (``"mu"``, the mean, when
    ``y`` is ``None``). With $\sigma$ in the Laplace scale the joint mode is not a lasso with
    fixed parameters, so `bayesreg.map_estimate` refuses it; `bayesreg.empirical_bayes` finds
    $\lambda$ by Monte Carlo EM and reports the lasso MAP at it.

    Examples
    --------
    >>> import bayesreg as br
    >>> from sklearn.datasets import load_diabetes
    >>> X, y = load_diabetes(return_X_y=True)
    >>> post = br.sample_posterior(br.models.bayesian_lasso, X, y, lam=0.237,
    ...                            num_samples=200, num_warmup=200, num_chains=1, seed=0)
    >>> sorted(post.samples)
    ['coef', 'intercept', 'sigma']
    """
    _check_lam(lam)
    X = design_matrix(X)
    n, p = X.shape
    check_feature_names(feature_names, p)
    y = response(y, n, X.dtype)
    sigma = numpyro.sample("sigma", InverseScale())
    lam_value = _lam(lam)
    with numpyro.plate("features", p):
        coef = numpyro.sample("coef", dist.Laplace(0.0, sigma / lam_value))
    offset = intercept_site(intercept)
    eta = X @ coef + offset
    if y is None:
        numpyro.deterministic("mu", eta)
    with numpyro.plate("obs", n):
        numpyro.sample("y", dist.Normal(eta, sigma), obs=y)


def bayesian_lasso_gibbs_target(args: tuple, kwargs: dict) -> GibbsTarget | str:
    """`bayesian_lasso` as a `bayesreg.priors.GibbsTarget` (Park & Casella's own sampler).

    The weights are Laplace(0, sigma/lam), a Normal scale mixture in units of sigma
    (`bayesreg.priors.gibbs.bayesian_lasso_gibbs`); sigma has the prior ``∝ 1/sigma``. This is
    ``bayesian_lasso.gibbs_target``.
    """
    design = gibbs_design(args, kwargs)
    if isinstance(design, str):
        return design
    X, y, intercept = design
    lam = kwargs.get("lam", 1.0)
    _check_lam(lam)
    if isinstance(lam, dist.Gamma):
        prior = bayesian_lasso_gibbs(None, rate=lam.rate, shape=lam.concentration)
    else:
        prior = bayesian_lasso_gibbs(lam)
    return GibbsTarget(
        X=jnp.asarray(X, dtype=float),
        y=jnp.asarray(y, dtype=float),
        intercept=intercept is True,
        noise=InverseScale(),
        prior=prior,
    )


bayesian_lasso.gibbs_target = bayesian_lasso_gibbs_target
