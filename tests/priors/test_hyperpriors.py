"""A prior scale given a hyperprior: the sites it makes, and when its joint mode is degenerate.

Oracle for `degenerate_mode`: with m weights at 0 and one shared scale s, the joint density is
p(s) q_s(0)^m with q_s(0) = 1/(2s) (Laplace) or 1/(sqrt(2 pi) s) (Normal), so under a
Gamma(a, rate) hyperprior it behaves like s^(a - 1 - m) at 0: unbounded exactly when a < m + 1.
An inverse-gamma density vanishes like exp(-beta/s), faster than any power: always bounded.
"""

import numpy as np
import numpyro.distributions as dist
import pytest
from numpyro import handlers

import bayesreg as br


@pytest.mark.parametrize("kind", ["laplace", "gaussian"])
@pytest.mark.parametrize("m", [1, 5, 20])
def test_gamma_hyperprior_is_degenerate_exactly_below_m_plus_one(kind, m):
    build = getattr(br.models, kind)
    assert build(dist.Gamma(m + 0.5, 1.0)).degenerate_mode(m) is not None
    assert build(dist.Gamma(m + 1.5, 1.0)).degenerate_mode(m) is None


@pytest.mark.parametrize(
    "hyper", [dist.HalfCauchy(1.0), dist.HalfNormal(2.0), dist.Exponential(1.0)]
)
def test_hyperpriors_positive_at_zero_are_degenerate(hyper):
    reason = br.models.laplace(hyper).degenerate_mode(3)
    assert reason is not None and "'b'" in reason and type(hyper).__name__ in reason


def test_inverse_gamma_is_not_degenerate_and_one_scale_per_weight_counts_one():
    assert br.models.gaussian(dist.InverseGamma(0.5, 0.1)).degenerate_mode(100) is None
    # a per-weight Gamma(1.5) scale carries one weight each: s^(0.5 - 1) grows, 2.5 does not
    per_weight = br.models.laplace(dist.Gamma(np.full(4, 1.5), 1.0))
    assert per_weight.degenerate_mode(4) is not None
    assert br.models.laplace(dist.Gamma(np.full(4, 2.5), 1.0)).degenerate_mode(4) is None


def trace(model, args, kwargs):
    return handlers.trace(handlers.seed(model, 0)).get_trace(*args, **kwargs)


def test_the_scale_is_a_site_before_coef_and_marks_its_prior():
    X = np.ones((5, 3))
    prior = br.models.laplace(dist.HalfCauchy(1.0))
    sites = trace(br.models.linear, (X,), {"prior": prior, "sigma": 1.0, "intercept": False})
    names = [name for name, site in sites.items() if site["type"] == "sample"]
    assert names.index("b") < names.index("coef")
    assert sites["b"]["infer"]["random_scale"] is prior
    assert np.shape(sites["b"]["value"]) == () and np.shape(sites["coef"]["value"]) == (3,)
    per_weight = br.models.gaussian(dist.InverseGamma(np.full(3, 2.0), 1.0), name="lam_j")
    sites = trace(br.models.linear, (X,), {"prior": per_weight, "sigma": 1.0, "intercept": False})
    assert np.shape(sites["lam_j"]["value"]) == (3,)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: br.models.laplace(dist.Normal(0.0, 1.0)), ValueError, "positive numbers"),
        (lambda: br.models.gaussian(dist.MultivariateNormal(np.zeros(2), np.eye(2))), ValueError,
         "event shape"),
        (lambda: br.models.laplace(dist.HalfCauchy(1.0), name="not a name"), ValueError,
         "identifier"),
        (lambda: br.models.laplace(1.0, name="b"), ValueError, "random scale"),
        (lambda: br.models.bayesian_lasso(np.ones((3, 2)), lam=dist.HalfCauchy(1.0)), TypeError,
         "Gamma"),
        (lambda: br.models.bayesian_lasso(np.ones((3, 2)), lam="big"), TypeError, "lam"),
    ],
)  # fmt: skip
def test_bad_hyperpriors_are_refused(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_a_per_weight_hyperprior_of_the_wrong_length_is_refused():
    prior = br.models.laplace(dist.HalfCauchy(np.ones(4)))
    with pytest.raises(ValueError, match="does not broadcast to the 3 weights"):
        trace(
            br.models.linear, (np.ones((5, 3)),), {"prior": prior, "sigma": 1.0, "intercept": False}
        )
