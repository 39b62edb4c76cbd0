"""Every registered prior kind, checked the same way (as skglm's tests/test_penalties.py does).

Each test is parametrized over ``priors.names()`` (or over the table of conventions, which names
the kinds it expresses), so a new prior gets these checks by being registered:

- its MAP equals the scikit-learn estimator of every convention that expresses it, on a
  well-conditioned and on a badly scaled design (the penalty from ``penalty.penalty_params``);
- its log density equals an independent oracle (scipy.stats or a closed form: a kind without
  one in `DENSITY_ORACLES` fails), integrates to one, and is its penalty up to a constant;
- its contract holds: ``penalty_parts`` returns the parts it was built with, ``for_parts`` and
  ``kind_of`` find it, ``l1_part`` splits its log density exactly (or is ``None`` without L1);
- the conventions round-trip its parts, and the table agrees with the per-convention functions.
"""

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import integrate, stats
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression, PoissonRegressor, Ridge

import bayesreg
from bayesreg import models, penalty, priors

INF = math.inf
KINDS = priors.names()
each_kind = pytest.mark.parametrize("name", KINDS)

# Prior scales: the l1 part is `scale`, the l2 part twice it (so an elastic net has both terms).
SCALES = (0.05, 0.3, 2.0)
COLUMN_SCALES = np.array([1e-3, 1.0, 1e3, 1.0, 1e-3, 1e3])  # the badly scaled design
SIGMA = 0.8
COEF_TOL = 1e-6  # MAP vs scikit-learn, per coefficient of a unit-scale column


def parts_at(kind, scale):
    """Keyword arguments of ``kind.build`` at one prior scale."""
    return {part: scale * (1.0 if part == "l1_scale" else 2.0) for part in kind.parts}


def expected_parts(kind, built, loc=0.0):
    """The penalty parts a kind built with ``built`` has: ``None`` for a part it lacks."""
    return priors.PenaltyParts(built.get("l1_scale"), built.get("l2_scale"), loc)


def penalty_of(parts, value):
    """``|v - loc| / b + (v - loc)² / (2 tau²)``, an absent part contributing nothing."""
    z = np.asarray(value, dtype=float) - float(parts.loc)
    total = np.zeros_like(z)
    if parts.l1_scale is not None:
        total += np.abs(z) / np.asarray(parts.l1_scale, dtype=float)
    if parts.l2_scale is not None:
        total += 0.5 * (z / np.asarray(parts.l2_scale, dtype=float)) ** 2
    return total


# ---------------------------------------------------------------------------------------------
# MAP equals the penalty oracle in scikit-learn, for every convention that expresses the kind
# ---------------------------------------------------------------------------------------------


def _coordinate_descent(cls):
    # the duality-gap tolerance the badly scaled design still reaches within max_iter
    return lambda params: cls(**params, tol=1e-12, max_iter=1_000_000)


def _logistic(C, l1_ratio):
    # saga is the solver for an L1 part that leaves the intercept unpenalized; lbfgs for pure L2
    if l1_ratio > 0:
        return LogisticRegression(C=C, l1_ratio=l1_ratio, solver="saga", tol=1e-10, max_iter=10**6)
    return LogisticRegression(C=C, l1_ratio=l1_ratio, solver="lbfgs", tol=1e-12, max_iter=10**4)


# (convention, likelihood) -> estimator from the convention's parameters (and n). glmnet is no
# scikit-learn class, but its gaussian objective is ElasticNet's and its binomial one
# LogisticRegression's (with C = 1 / (n lambda)).
ORACLES = {
    ("ridge", "linear"): lambda params, n: Ridge(**params, solver="svd"),
    ("lasso", "linear"): lambda params, n: _coordinate_descent(Lasso)(params),
    ("elastic_net", "linear"): lambda params, n: _coordinate_descent(ElasticNet)(params),
    ("logistic", "logistic"): lambda params, n: _logistic(**params),
    ("poisson", "poisson"): lambda params, n: PoissonRegressor(
        **params, solver="newton-cholesky", tol=1e-12, max_iter=1000
    ),
    ("glmnet", "linear"): lambda params, n: _coordinate_descent(ElasticNet)(
        {"alpha": params["lambda"], "l1_ratio": params["alpha"]}
    ),
    ("glmnet", "logistic"): lambda params, n: _logistic(
        1.0 / (n * params["lambda"]), params["alpha"]
    ),
}
LIKELIHOODS = ("linear", "logistic", "poisson")
# A GLM's MAP compiles a solver per prior kind (~5 s each): those cases run with the slow tier.
MAP_CASES = [
    pytest.param(
        name, likelihood, kind, id=f"{name}-{likelihood}-{kind}",
        marks=() if likelihood == "linear" else pytest.mark.slow,
    )
    for (name, likelihood) in ORACLES
    for kind in penalty.CONVENTIONS[name].priors
]  # fmt: skip


def test_every_convention_has_a_scikit_learn_oracle():
    for name, row in penalty.CONVENTIONS.items():
        likelihoods = LIKELIHOODS if row.likelihood == "any" else (row.likelihood,)
        have = [lik for lik in likelihoods if (name, lik) in ORACLES]
        assert have, f"convention {name!r} has no oracle in ORACLES: add its estimator"
        assert set(row.priors) <= set(KINDS), (name, row.priors)


@each_kind
def test_every_kind_with_a_penalty_has_a_linear_oracle(name):
    # a kind with L1 / L2 parts is a penalized least-squares fit: some convention must say which
    if priors.get(name).parts:
        linear = [c for c, lik in ORACLES if lik == "linear"]
        assert any(name in penalty.CONVENTIONS[c].priors for c in linear), name


def linear_problems():
    rng = np.random.default_rng(0)
    n, p = 60, COLUMN_SCALES.size
    Z = rng.normal(size=(n, p))
    y = 2.0 + Z @ np.array([1.5, -1.0, 0.0, 0.6, 0.0, -0.3]) + SIGMA * rng.normal(size=n)
    return {
        "well-conditioned": (Z, y, np.ones(p)),
        "badly scaled": (Z * COLUMN_SCALES, y, COLUMN_SCALES),
    }


def glm_problems(likelihood):
    rng = np.random.default_rng(1)
    n, p = 150, 5
    X = rng.normal(size=(n, p))
    eta = 0.3 + X @ np.array([1.0, -0.8, 0.0, 0.4, 0.0])
    if likelihood == "logistic":
        y = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-eta))).astype(float)
    else:
        y = rng.poisson(np.exp(0.5 * eta)).astype(float)
    return {"well-conditioned": (X, y, np.ones(p))}


# Logistic scales with some but not all weights at zero: saga stops early (an inexact
# intercept) once every weight is zero, so the all-zero end is not a test of the MAP.
GLM_SCALES = (0.1, 0.5, 2.0)


@pytest.mark.parametrize(("convention", "likelihood", "name"), MAP_CASES)
def test_map_equals_the_scikit_learn_oracle(convention, likelihood, name):
    kind = priors.get(name)
    model = getattr(models, likelihood)
    problems = linear_problems() if likelihood == "linear" else glm_problems(likelihood)
    scales = SCALES if likelihood == "linear" else GLM_SCALES
    sigma = {"sigma": SIGMA} if likelihood == "linear" else {}
    any_zero = False
    for problem, (X, y, column_scale) in problems.items():
        n = X.shape[0]
        for scale in scales:
            where = f"{problem} design, scale {scale}"
            prior = kind.build(**parts_at(kind, scale))
            fit = bayesreg.map_estimate(model, X, y, prior=prior, **sigma)
            assert fit.converged, where
            params = penalty.penalty_params(
                convention, kind.penalty_parts(prior), sigma=sigma.get("sigma", 1.0), n=n
            )
            with warnings.catch_warnings():
                warnings.simplefilter("error", ConvergenceWarning)
                oracle = ORACLES[convention, likelihood](params, n).fit(X, y)
            coef, expected = np.asarray(fit.params["coef"]), np.ravel(oracle.coef_)
            # compared on the columns' own scale: a 1e-3 column's weight is 1e3 times larger
            assert_allclose(coef * column_scale, expected * column_scale, rtol=COEF_TOL,
                            atol=COEF_TOL, err_msg=where)  # fmt: skip
            assert_allclose(fit.params["intercept"], np.ravel(oracle.intercept_)[0],
                            rtol=COEF_TOL, atol=COEF_TOL, err_msg=where)  # fmt: skip
            if "l1_scale" in kind.parts:
                assert_array_equal(coef == 0, expected == 0, err_msg=where)
                any_zero |= bool(np.any(coef == 0)) and not np.all(coef == 0)
    if "l1_scale" in kind.parts:
        assert any_zero, "the test problems must give an L1 prior some zeros and some nonzeros"


# ---------------------------------------------------------------------------------------------
# The log density: an independent oracle per kind, normalization, the penalty up to a constant
# ---------------------------------------------------------------------------------------------

VALUES = np.array([-7.0, -2.5, -0.3, 0.0, 1e-9, 0.4, 1.7, 6.0])
LOCS = (0.0, 0.7)


# a prior is a pytree: one compiled density per kind, so quad's point-by-point calls are cheap
_density = jax.jit(lambda prior, value: jnp.exp(prior.log_prob(value)))


def integral(prior, loc, width):
    """The integral of ``exp(log_prob)`` over the real line (split at ``loc``, the kink)."""

    def density(v):
        return float(_density(prior, v))

    # 80 widths out, a Laplace tail is below e^-80 and a Normal one far below
    pieces = [(loc - 80 * width, loc), (loc, loc + 80 * width)]
    return sum(
        integrate.quad(density, a, b, epsabs=0.0, epsrel=1e-11, limit=200)[0] for a, b in pieces
    )


# The values are in units of the scale (scipy's laplace.logpdf is log(pdf): -inf ~700 scales
# out); atol: near the mode scipy's log(1/2) - |x| - log(b) cancels to ~1e-16.
def _gaussian_oracle(kind):
    for loc in LOCS:
        for tau in (1e-2, 0.5, 3.0):
            v = loc + tau * VALUES
            got = kind.build(l2_scale=tau, loc=loc).log_prob(v)
            assert_allclose(got, stats.norm.logpdf(v, loc, tau), rtol=1e-12, atol=1e-14)


def _laplace_oracle(kind):
    for loc in LOCS:
        for b in (1e-2, 0.5, 3.0):
            v = loc + b * VALUES
            got = kind.build(l1_scale=b, loc=loc).log_prob(v)
            assert_allclose(got, stats.laplace.logpdf(v, loc, b), rtol=1e-12, atol=1e-14)


def _elastic_net_oracle(kind):
    # No scipy distribution: normalized (by quadrature) at ratios tau / b from 1e-3 to 1e3, and
    # its log density differences are those of -|w|/b - w²/(2 tau²) (written out, not derived).
    for b, tau in ((1.0, 1e-3), (1.0, 1.0), (0.2, 3.0), (1e-3, 1.0), (1.0, 1e3)):
        for loc in LOCS:
            prior = kind.build(l1_scale=b, l2_scale=tau, loc=loc)
            assert integral(prior, loc, min(b, tau)) == pytest.approx(1.0, rel=1e-9), (b, tau)
            v = loc + VALUES * min(b, tau)
            closed = -np.abs(v - loc) / b - (v - loc) ** 2 / (2 * tau**2)
            got = np.asarray(prior.log_prob(v))
            assert_allclose(got - got[0], closed - closed[0], rtol=1e-12, atol=1e-12)


DENSITY_ORACLES = {
    "gaussian": _gaussian_oracle,
    "laplace": _laplace_oracle,
    "elastic_net": _elastic_net_oracle,
}


@each_kind
def test_log_density_equals_an_independent_oracle(name):
    if name not in DENSITY_ORACLES:
        pytest.fail(f"prior kind {name!r} is registered without a log-density oracle: add one")
    DENSITY_ORACLES[name](priors.get(name))


@each_kind
@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_density_integrates_to_one(name, scale):
    kind = priors.get(name)
    for ratio in (1e-3, 1.0, 1e3) if len(kind.parts) > 1 else (1.0,):
        built = {part: scale * (ratio if part == "l2_scale" else 1.0) for part in kind.parts}
        prior = kind.build(**built, loc=0.5)
        width = min(built.values())
        assert integral(prior, 0.5, width) == pytest.approx(1.0, rel=1e-9), built


@each_kind
@pytest.mark.parametrize("scale", SCALES)
def test_log_density_is_its_penalty_up_to_a_constant(name, scale):
    kind = priors.get(name)
    prior = kind.build(**parts_at(kind, scale), loc=0.3)
    parts = kind.penalty_parts(prior)
    got = np.asarray(prior.log_prob(VALUES))
    expected = -penalty_of(parts, VALUES)
    assert_allclose(got - got[3], expected - expected[3], rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# The contract: parts, registry look-ups, the L1 split
# ---------------------------------------------------------------------------------------------


@each_kind
def test_registry_finds_the_kind(name):
    kind = priors.get(name)
    assert kind.name == name
    assert set(kind.parts) <= {"l1_scale", "l2_scale"}
    assert set(kind.scale_labels) == set(kind.parts)
    prior = kind.build(**parts_at(kind, 0.5))
    assert type(prior) is kind.distribution
    text = kind.describe(kind.penalty_parts(prior))
    assert text.startswith(kind.label)
    for part in kind.parts:
        assert f"= {parts_at(kind, 0.5)[part]:g}" in text, text
    per_weight = kind.build(**parts_at(kind, np.array([0.5, 2.0])))
    text = kind.describe(kind.penalty_parts(per_weight))
    for part in kind.parts:
        low, high = parts_at(kind, np.array([0.5, 2.0]))[part]
        assert f"= {low:g} to {high:g}" in text, text


def test_registry_refuses_unknown_names_and_a_second_kind_of_the_same_name():
    with pytest.raises(ValueError, match="prior must be one of 'gaussian'"):
        priors.get("horseshoe")
    kind = priors.get(KINDS[0])
    other = priors.PriorKind(**{**kind.__dict__, "label": "another"})
    with pytest.raises(ValueError, match="already registered"):
        priors.register_prior(other)
    assert priors.register_prior(kind) is kind  # registering the same kind again is a no-op
    assert priors.names() == KINDS


@each_kind
@pytest.mark.parametrize("scale", [0.5, np.array([0.5, 1.0, 2.0])], ids=["scalar", "array"])
def test_penalty_parts_return_the_parts_built_with(name, scale):
    kind = priors.get(name)
    built = parts_at(kind, scale)
    for loc in LOCS:
        got = kind.penalty_parts(kind.build(**built, loc=loc))
        want = expected_parts(kind, built, loc)
        for part, value in zip(got._fields, want, strict=True):
            if value is None:
                assert getattr(got, part) is None, part
            else:
                assert_allclose(getattr(got, part), value, rtol=0, err_msg=part)
        assert priors.for_parts(got.l1_scale, got.l2_scale) is kind
        absent = [INF if value is None else value for value in want[:2]]
        assert priors.for_parts(*absent) is kind


@each_kind
def test_build_refuses_missing_and_foreign_parts(name):
    kind = priors.get(name)
    built = parts_at(kind, 0.5)
    for part in ("l1_scale", "l2_scale"):
        if part in kind.parts:
            with pytest.raises(ValueError):
                kind.build(**{**built, part: None})
            with pytest.raises(ValueError):
                kind.build(**{**built, part: -1.0})
        else:
            with pytest.raises(ValueError, match=part.split("_")[0].upper()):
                kind.build(**built, **{part: 1.0})


@each_kind
def test_kind_of_sees_through_expand_to_event_and_mask(name):
    kind = priors.get(name)
    prior = kind.build(**parts_at(kind, 0.5))
    assert priors.kind_of(prior) is kind
    assert priors.kind_of(prior.expand([3]).to_event(1)) is kind
    assert priors.kind_of(prior.expand([3]).mask(np.array([True, False, True]))) is kind
    base, mask = priors.unwrap(prior.expand([3]).mask(False).to_event(1))
    assert type(base) is kind.distribution and mask is False


def test_kind_of_unregistered_or_not_a_distribution_is_none():
    assert priors.kind_of(dist.Cauchy(0.0, 1.0)) is None
    assert priors.kind_of(dist.StudentT(3.0).expand([2]).to_event(1)) is None
    assert priors.kind_of(1.0) is None
    assert priors.l1_part(dist.Cauchy(0.0, 1.0), jnp.zeros(2)) is None
    with pytest.raises(ValueError, match="needs an L1 scale, an L2 scale or both"):
        priors.for_parts(None, INF)


@each_kind
def test_l1_part_splits_the_log_density_exactly(name):
    kind = priors.get(name)
    loc = 0.3
    prior = kind.build(**parts_at(kind, 0.5), loc=loc)
    v = jnp.asarray(VALUES[:5])
    keep = np.array([True, False, True, True, False])
    wrapped = prior.expand([5]).mask(keep).to_event(1)
    part = priors.l1_part(wrapped, v)
    if "l1_scale" not in kind.parts:
        assert part is None
        assert priors.l1_part(prior.expand([5]).to_event(1), v) is None
        return
    assert isinstance(part, priors.L1Part)
    log_prob = np.asarray(prior.log_prob(v))
    split = -np.abs(np.asarray(v) - np.asarray(part.loc)) / np.asarray(part.scale) + part.smooth
    assert_allclose(split[keep], log_prob[keep], rtol=1e-12, atol=1e-12)
    assert np.all(np.isinf(np.asarray(part.scale)[~keep]))
    assert np.all(np.asarray(part.smooth)[~keep] == 0)
    assert_allclose(np.asarray(part.loc), loc)
    # a site scale (numpyro.handlers.scale) weights the whole log density
    weighted = priors.l1_part(prior.expand([5]).to_event(1), v, site_scale=2.0)
    split = -np.abs(np.asarray(v) - loc) / np.asarray(weighted.scale) + weighted.smooth
    assert_allclose(split, 2.0 * log_prob, rtol=1e-12, atol=1e-12)
    assert priors.l1_part(prior.expand([5]).mask(False), v) is None


# ---------------------------------------------------------------------------------------------
# Conversions: every convention round-trips every kind it expresses; table == functions
# ---------------------------------------------------------------------------------------------

CONVENTION_CASES = [
    pytest.param(name, kind, id=f"{name}-{kind}")
    for name, row in penalty.CONVENTIONS.items()
    for kind in row.priors
]
N_ROWS = 40


def convention_context(name):
    """``sigma`` and ``n`` for a convention (sigma 1 where its likelihood has none)."""
    row = penalty.CONVENTIONS[name]
    return {"sigma": 1.7 if row.sigma != "none" else 1.0, "n": N_ROWS if row.needs_n else None}


@pytest.mark.parametrize(("convention", "name"), CONVENTION_CASES)
@pytest.mark.parametrize(
    "scale", [0.05, 1.0, 30.0, np.array([0.2, 5.0])], ids=["0.05", "1", "30", "array"]
)
def test_conventions_round_trip_the_parts(convention, name, scale):
    kind = priors.get(name)
    built = parts_at(kind, scale)
    parts = kind.penalty_parts(kind.build(**built))
    context = convention_context(convention)
    params = penalty.penalty_params(convention, parts, **context)
    assert tuple(params) == penalty.CONVENTIONS[convention].params
    back = penalty.prior_parts(convention, params, **context)
    for part in ("l1_scale", "l2_scale"):
        want = built.get(part, INF)
        assert_allclose(getattr(back, part), want, rtol=1e-12, err_msg=part)
    assert priors.for_parts(back.l1_scale, back.l2_scale) is kind


def _direct(name, b, tau, sigma, n):
    """The convention's parameters from its own public functions (None/inf: an absent part)."""
    b_or_inf, tau_or_inf = (INF if s is None else s for s in (b, tau))
    calls = {
        "ridge": lambda: (penalty.ridge_alpha(tau, sigma=sigma),),
        "lasso": lambda: (penalty.lasso_alpha(b, sigma=sigma, n=n),),
        "elastic_net": lambda: penalty.elastic_net_params(b_or_inf, tau_or_inf, sigma=sigma, n=n),
        "logistic": lambda: penalty.logistic_params(l1_scale=b, l2_scale=tau),
        "poisson": lambda: (penalty.poisson_alpha(tau, n=n),),
        "glmnet": lambda: penalty.glmnet_params(l1_scale=b, l2_scale=tau, n=n, sigma=sigma),
    }
    if name not in calls:
        pytest.fail(f"convention {name!r} has no per-convention function in this test: add it")
    return calls[name]()


def _direct_inverse(name, params, sigma, n):
    """The prior scales ``(b, tau)`` from the convention's own inverse functions."""
    values = tuple(params.values())
    calls = {
        "ridge": lambda: (INF, penalty.ridge_prior_scale(*values, sigma=sigma)),
        "lasso": lambda: (penalty.lasso_prior_scale(*values, sigma=sigma, n=n), INF),
        "elastic_net": lambda: penalty.elastic_net_prior_scales(*values, sigma=sigma, n=n),
        "logistic": lambda: penalty.logistic_prior_scales(*values),
        "poisson": lambda: (INF, penalty.poisson_prior_scale(*values, n=n)),
        "glmnet": lambda: penalty.glmnet_prior_scales(*values, n=n, sigma=sigma),
    }
    return calls[name]()


@pytest.mark.parametrize(("convention", "name"), CONVENTION_CASES)
def test_table_agrees_with_the_per_convention_functions(convention, name):
    kind = priors.get(name)
    parts = kind.penalty_parts(kind.build(**parts_at(kind, 0.3)))
    context = convention_context(convention)
    params = penalty.penalty_params(convention, parts, **context)
    direct = _direct(convention, parts.l1_scale, parts.l2_scale, **context)
    assert params == dict(zip(penalty.CONVENTIONS[convention].params, direct, strict=True))
    back = penalty.prior_parts(convention, params, **context)
    assert tuple(back[:2]) == tuple(_direct_inverse(convention, params, **context))


@pytest.mark.parametrize("convention", list(penalty.CONVENTIONS))
def test_conventions_refuse_a_kind_they_do_not_express(convention):
    row = penalty.CONVENTIONS[convention]
    context = convention_context(convention)
    for name in set(KINDS) - set(row.priors):
        kind = priors.get(name)
        parts = kind.penalty_parts(kind.build(**parts_at(kind, 0.3)))
        with pytest.raises(ValueError, match=f"expresses .*not .*{name}"):
            penalty.penalty_params(convention, parts, **context)


def test_convention_context_is_required_where_the_table_says():
    for name, row in penalty.CONVENTIONS.items():
        kind = priors.get(row.priors[0])
        parts = kind.penalty_parts(kind.build(**parts_at(kind, 0.5)))
        if row.needs_n:
            with pytest.raises(ValueError, match="n must be a positive integer"):
                penalty.penalty_params(name, parts, sigma=1.0, n=None)
        if row.sigma == "none":  # no noise sd in its likelihood: sigma does not enter
            assert penalty.penalty_params(name, parts, sigma=3.0, n=N_ROWS) == (
                penalty.penalty_params(name, parts, sigma=1.0, n=N_ROWS)
            )
        elif row.sigma == "optional":  # default 1
            assert penalty.penalty_params(name, parts, n=N_ROWS) == (
                penalty.penalty_params(name, parts, sigma=1.0, n=N_ROWS)
            )
    with pytest.raises(ValueError, match="convention must be one of 'ridge'"):
        penalty.penalty_params("ols", (0.5, 2.0), n=N_ROWS)
    with pytest.raises(ValueError, match="needs the parameter"):
        penalty.prior_parts("elastic_net", {"alpha": 1.0}, sigma=1.0, n=N_ROWS)


def test_a_subclass_of_a_registered_distribution_is_that_kind():
    """A user's Laplace subclass keeps its L1 part, as the MAP's exact zeros need."""

    class TaggedLaplace(dist.Laplace):
        pass

    d = TaggedLaplace(0.0, 2.0)
    assert priors.kind_of(d.expand([3]).to_event(1)) is priors.get("laplace")
    part = priors.l1_part(d.expand([3]), jnp.array([-1.0, 0.0, 4.0]))
    np.testing.assert_allclose(part.scale, 2.0)
    assert priors.kind_of(dist.HalfNormal(1.0)) is None
