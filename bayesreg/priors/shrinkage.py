r"""The shrinkage priors of Bayesian regression practice: horseshoe family, Student-t, R2D2.

Each is a `ShrinkagePrior`, built by its constructor (`horseshoe`, `horseshoe_plus`,
`regularized_horseshoe`, `student_t`, `r2d2`) or by name (`shrinkage`; names in
`shrinkage_names`), and given to a built-in model as its ``prior``:
``br.models.linear(X, y, prior=br.models.horseshoe())``. Like a `RandomScale`, it is not a
distribution but a small program the model runs in place of ``numpyro.sample("coef", prior)``:
it samples its scale sites, then the weights.

**Sites** (what ``InferenceData`` shows; ``features`` is the weights' plate):

| prior | sites | deterministic |
|---|---|---|
| ``horseshoe`` | ``tau``, ``lambda`` (features), ``coef_z`` (features) | ``coef``, ``coef_scale`` |
| ``horseshoe_plus`` | ``tau``, ``eta``, ``lambda``, ``coef_z`` | ``coef``, ``coef_scale`` |
| ``regularized_horseshoe`` | ``tau``, ``c``, ``lambda``, ``coef_z`` | ``coef``, ``coef_scale`` |
| ``student_t`` | ``coef`` | |
| ``r2d2`` | ``r2``, ``psi`` (features), ``coef_z`` | ``phi``, ``coef``, ``coef_scale`` |

The horseshoe family and R2D2 are **non-centered** for NUTS: ``coef = coef_z * coef_scale`` with
``coef_z ~ Normal(0, 1)``, ``coef_scale`` the prior sd of each weight given the scales. It
removes the funnel between a weight and its scale when the data say little about the weight
(Betancourt & Girolami 2015; Piironen & Vehtari 2017 §5), but not every difficulty: on diabetes,
where every weight is well determined, NUTS still diverges (about 140 of 4000 draws at
``target_accept_prob=0.8``, 24 at 0.99). The Gibbs sampler (``method="gibbs"``, chosen by
``"auto"`` for the horseshoe and horseshoe+ in `bayesreg.models.linear`) has no such failure
mode; it reports its draws on the same sites.

**Units.** In `bayesreg.models.linear` every shrinkage prior is in units of the noise sd
``sigma``: ``coef_scale = sigma * local_j * tau``, and the Student-t weights are ``sigma`` times
a ``t(df, 0, scale)`` variable, as in Makalic & Schmidt's R package ``bayesreg`` (every prior
scaled by sigma), rstanarm's ``hs()`` (global scale times sigma) and brms's R2D2; so their
parameters mean the same on any scale of ``y``. With logistic and Poisson likelihoods ``sigma``
is 1. (`bayesreg.models.gaussian` and `bayesreg.models.laplace` are in the weights' own units:
their MAPs are ridge and lasso at fixed penalties.)

**Definitions** ($C^+(0, s)$ is the half-Cauchy; $s_\sigma$ is ``sigma`` or 1):

- horseshoe (Carvalho, Polson & Scott 2010): $\tau \sim C^+(0, A)$, $\lambda_j \sim C^+(0, 1)$,
  $w_j \sim N(0, s_\sigma^2 \lambda_j^2 \tau^2)$; $A$ = ``global_scale``.
- horseshoe+ (Bhadra et al. 2017): $\lambda_j \sim C^+(0, 1)$, $\eta_j \sim C^+(0, 1)$,
  $w_j \sim N(0, s_\sigma^2 \eta_j^2 \lambda_j^2 \tau^2)$ (their
  $\lambda_j \sim C^+(0, \tau\eta_j)$).
- regularized horseshoe (Piironen & Vehtari 2017, eq. 2.8): $c^2 \sim \mathrm{InvGamma}(\nu/2,
  \nu s^2/2)$ (``slab_df`` $\nu$, ``slab_scale`` $s$, in units of $s_\sigma$),
  $\tilde\lambda_j^2 = c^2\lambda_j^2 / (c^2 + \tau^2\lambda_j^2)$, $w_j \sim N(0, s_\sigma^2
  \tau^2 \tilde\lambda_j^2)$; ``nonzero`` $= p_0$ sets $A = p_0 / (p - p_0) / \sqrt n$ (their
  eq. 3.12, the sigma factor being $s_\sigma$). As $s \to \infty$ it is the horseshoe.
- Student-t: $w_j \sim t_{\nu}(0, s_\sigma s)$ (``df``, ``scale``).
- R2D2 (Zhang, Reich & Bondell 2022, with the Normal kernel of Aguilar & Bürkner 2023, as in
  brms): $R^2 \sim \mathrm{Beta}(\mu\kappa, (1-\mu)\kappa)$ (``r2_mean`` $\mu$,
  ``r2_precision`` $\kappa$), $\phi \sim \mathrm{Dirichlet}(a, \dots, a)$ (``concentration``
  $a$, drawn as normalized ``psi_j ~ Gamma(a, 1)``), $w_j \sim N(0, s_\sigma^2 \phi_j
  R^2/(1-R^2))$. With standardized columns the prior's explained variance over the noise
  variance is $R^2/(1-R^2)$, so $R^2$ is the prior's share of variance explained.

**MAP.** The horseshoe family's marginal density is infinite at zero (Carvalho et al. 2010,
Theorem 1) and the joint density of weights and scales is unbounded as a scale goes to zero, so
no MAP exists; R2D2's joint density is unbounded in the same way. `bayesreg.map_estimate` says so
(`ShrinkagePrior.no_map_reason`). The Student-t density is bounded and smooth: its MAP exists.

References
----------
Carvalho, C. M., Polson, N. G. & Scott, J. G. (2010). The horseshoe estimator for sparse
signals. Biometrika 97(2), 465-480.
Piironen, J. & Vehtari, A. (2017). Sparsity information and regularization in the horseshoe
and other shrinkage priors. Electronic Journal of Statistics 11(2), 5018-5051.
Zhang, Y. D., Naughton, B. P., Bondell, H. D. & Reich, B. J. (2022). Bayesian regression using a
prior on the model fit: the R2-D2 shrinkage prior. JASA 117, 862-874.
Aguilar, J. E. & Bürkner, P.-C. (2023). Intuitive joint priors for Bayesian linear multilevel
models: the R2D2M2 prior. Electronic Journal of Statistics 17, 1711-1767.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from numpyro.distributions.transforms import PowerTransform

from .._trace import is_concrete
from .._types import Array
from .base import kind_of, unwrap
from .gibbs import GibbsPrior, horseshoe_gibbs, horseshoe_plus_gibbs, student_t_gibbs

__all__ = [
    "INFER_KEY",
    "ShrinkagePrior",
    "gibbs_prior",
    "horseshoe",
    "horseshoe_plus",
    "r2d2",
    "regularized_horseshoe",
    "shrinkage",
    "shrinkage_names",
    "student_t",
]

#: the key of a site's ``infer`` dict that holds the `ShrinkagePrior` that made it
INFER_KEY = "shrinkage_prior"


class _Kind(NamedTuple):
    """One shrinkage prior kind: its parameters, program, MAP status and Gibbs conditionals."""

    defaults: Mapping[str, Any]
    program: Callable[..., Array]  # (prior, name, size, plate, noise_scale, num_obs) -> coef
    sites: tuple[str, ...]
    no_map_reason: str | None
    gibbs: Callable[[Mapping[str, Any]], GibbsPrior] | None
    label: str


_KINDS: dict[str, _Kind] = {}


def shrinkage_names() -> tuple[str, ...]:
    """Return the names of the shrinkage priors, in the order users see them."""
    return tuple(_KINDS)


@dataclass(frozen=True, eq=False)
class ShrinkagePrior:
    """A shrinkage prior on the weights, run by the built-in models (module docstring).

    Attributes
    ----------
    name : str
        Its name (`shrinkage_names`), e.g. ``"horseshoe"``.
    params : dict
        Its constructor's arguments, checked (e.g. ``{"global_scale": 1.0}``).
    """

    name: str
    params: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.params.items() if v is not None)
        return f"{self.name}({shown})"

    def _identity(self) -> tuple:
        return (self.name, tuple(sorted(self.params.items())))

    def __eq__(self, other: object) -> bool:
        # equal priors compile to one program (a static argument of the compiled samplers)
        if not isinstance(other, ShrinkagePrior):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    @property
    def label(self) -> str:
        """How it reads in words, e.g. ``"horseshoe, tau ~ C+(0, 1)"``."""
        return _KINDS[self.name].label.format(**self.params)

    @property
    def site_names(self) -> tuple[str, ...]:
        """The sample sites it adds to a model besides ``coef``'s own, in sampling order."""
        return _KINDS[self.name].sites

    @property
    def map_exists(self) -> bool:
        """Whether the posterior has a mode (`bayesreg.map_estimate` can answer)."""
        return _KINDS[self.name].no_map_reason is None

    @property
    def no_map_reason(self) -> str | None:
        """Why the posterior has no mode, in words (``None`` when it has one)."""
        return _KINDS[self.name].no_map_reason

    @property
    def uses_noise(self) -> bool:
        """Whether its scales are in units of the noise sd (the model samples sigma first)."""
        return True

    def gibbs(self) -> GibbsPrior | None:
        """Return its Gibbs conditionals (`bayesreg.priors.gibbs`), or ``None``."""
        make = _KINDS[self.name].gibbs
        return None if make is None else make(self.params)

    def sample_weights(
        self,
        name: str,
        size: int,
        plate: str = "features",
        *,
        noise_scale: Any = 1.0,
        num_obs: int | None = None,
    ) -> Array:
        """Sample the prior's sites and return the ``size`` weights (site ``name``).

        ``noise_scale`` is the noise sd the scales are in units of (``uses_noise``; 1 for
        likelihoods without noise); ``num_obs`` the number of rows (the regularized
        horseshoe's ``nonzero`` needs it).
        """
        return _KINDS[self.name].program(self, name, size, plate, noise_scale, num_obs)


def _check_positive(value: Any, name: str, prior: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise TypeError(f"{prior}: {name} must be a positive number; got {value!r}.")
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(
            f"{prior}: {name} must be a positive finite number; got {value!r}. "
            f"Default: {_KINDS[prior].defaults[name]!r}."
        )
    return value


def shrinkage(name: str, **params: Any) -> ShrinkagePrior:
    """Build the shrinkage prior called ``name`` with ``params`` (the constructors' arguments).

    Raises ``ValueError`` naming the choices for an unknown name, and the parameters a prior
    takes for one it does not.
    """
    kind = _KINDS.get(name.replace("-", "_")) if isinstance(name, str) else None
    if kind is None:
        choices = ", ".join(map(repr, _KINDS))
        raise ValueError(f"shrinkage prior must be one of {choices}; got {name!r}.")
    name = name.replace("-", "_")
    unknown = sorted(set(params) - set(kind.defaults))
    if unknown:
        raise ValueError(
            f"the {name} prior does not take {', '.join(unknown)}; it takes "
            f"{', '.join(kind.defaults) or 'no parameters'}."
        )
    values = {**kind.defaults, **params}
    checked = {
        key: (None if value is None else _check_positive(value, key, name))
        for key, value in values.items()
    }
    if name == "regularized_horseshoe":
        if checked["global_scale"] is not None and checked["nonzero"] is not None:
            raise ValueError(
                "regularized_horseshoe: give global_scale or nonzero (the prior guess of the "
                "number of nonzero weights, which sets global_scale = nonzero / (p - nonzero) / "
                "sqrt(n)), not both."
            )
    if name == "r2d2" and checked["r2_mean"] >= 1.0:
        raise ValueError(f"r2d2: r2_mean must lie in (0, 1); got {checked['r2_mean']!r}.")
    return ShrinkagePrior(name, checked)


def _mark(prior: ShrinkagePrior) -> dict[str, Any]:
    return {INFER_KEY: prior}


def _non_centered(name: str, size: int, plate: str, scale: Array) -> Array:
    """Sample ``coef_z`` and record ``coef_scale`` and ``name`` = ``coef_z * coef_scale``."""
    with numpyro.plate(plate, size):
        z = numpyro.sample(f"{name}_z", dist.Normal(0.0, 1.0))
        scale = numpyro.deterministic(f"{name}_scale", jnp.broadcast_to(scale, (size,)))
        return numpyro.deterministic(name, z * scale)


def _horseshoe_program(prior, name, size, plate, noise, num_obs) -> Array:
    tau = numpyro.sample("tau", dist.HalfCauchy(prior.params["global_scale"]), infer=_mark(prior))
    with numpyro.plate(plate, size):
        lam = numpyro.sample("lambda", dist.HalfCauchy(1.0))
    return _non_centered(name, size, plate, noise * lam * tau)


def _horseshoe_plus_program(prior, name, size, plate, noise, num_obs) -> Array:
    tau = numpyro.sample("tau", dist.HalfCauchy(prior.params["global_scale"]), infer=_mark(prior))
    with numpyro.plate(plate, size):
        eta = numpyro.sample("eta", dist.HalfCauchy(1.0))
        lam = numpyro.sample("lambda", dist.HalfCauchy(1.0))
    return _non_centered(name, size, plate, noise * eta * lam * tau)


def global_scale_of(params: Mapping[str, Any], size: int, num_obs: int | None) -> float:
    """Return the regularized horseshoe's ``tau0``: ``global_scale``, or from ``nonzero`` (p0)."""
    nonzero = params.get("nonzero")
    if nonzero is None:
        scale = params.get("global_scale")
        return 1.0 if scale is None else scale
    if not nonzero < size:
        raise ValueError(
            f"regularized_horseshoe: nonzero (the prior guess of the number of nonzero weights) "
            f"must lie in (0, p) = (0, {size}); got {nonzero!r}."
        )
    if num_obs is None:
        raise ValueError("regularized_horseshoe: nonzero needs the number of rows n.")
    return nonzero / (size - nonzero) / math.sqrt(num_obs)


def _regularized_horseshoe_program(prior, name, size, plate, noise, num_obs) -> Array:
    params = prior.params
    tau0 = global_scale_of(params, size, num_obs)
    df, slab = params["slab_df"], params["slab_scale"]
    tau = numpyro.sample("tau", dist.HalfCauchy(tau0), infer=_mark(prior))
    # c² ~ InvGamma(df/2, df s²/2), sampled as c = (c²)^(1/2)
    slab_prior = dist.TransformedDistribution(
        dist.InverseGamma(df / 2.0, df * slab**2 / 2.0), PowerTransform(0.5)
    )
    c = numpyro.sample("c", slab_prior)
    with numpyro.plate(plate, size):
        lam = numpyro.sample("lambda", dist.HalfCauchy(1.0))
    lam_tilde = c * lam / jnp.sqrt(c**2 + tau**2 * lam**2)
    return _non_centered(name, size, plate, noise * tau * lam_tilde)


def _student_t_program(prior, name, size, plate, noise, num_obs) -> Array:
    df, scale = prior.params["df"], prior.params["scale"]
    with numpyro.plate(plate, size):
        return numpyro.sample(name, dist.StudentT(df, 0.0, noise * scale), infer=_mark(prior))


def _r2d2_program(prior, name, size, plate, noise, num_obs) -> Array:
    mean, precision = prior.params["r2_mean"], prior.params["r2_precision"]
    r2 = numpyro.sample(
        "r2", dist.Beta(mean * precision, (1.0 - mean) * precision), infer=_mark(prior)
    )
    with numpyro.plate(plate, size):
        psi = numpyro.sample("psi", dist.Gamma(prior.params["concentration"], 1.0))
        phi = numpyro.deterministic("phi", psi / jnp.sum(psi))
    return _non_centered(name, size, plate, noise * jnp.sqrt(phi * r2 / (1.0 - r2)))


_NO_MODE = (
    "its density is infinite at zero (the horseshoe family's marginal, Carvalho, Polson & "
    "Scott 2010, Theorem 1) and the joint density of the weights and their scales grows without "
    "bound as a scale goes to 0, so the posterior has no mode and no MAP exists"
)
_KINDS.update(
    horseshoe=_Kind(
        {"global_scale": 1.0},
        _horseshoe_program,
        ("tau", "lambda", "coef_z"),
        _NO_MODE,
        lambda params: horseshoe_gibbs(params["global_scale"]),
        "horseshoe, tau ~ C+(0, {global_scale:g})",
    ),
    horseshoe_plus=_Kind(
        {"global_scale": 1.0},
        _horseshoe_plus_program,
        ("tau", "eta", "lambda", "coef_z"),
        _NO_MODE,
        lambda params: horseshoe_plus_gibbs(params["global_scale"]),
        "horseshoe+, tau ~ C+(0, {global_scale:g})",
    ),
    regularized_horseshoe=_Kind(
        {"global_scale": None, "nonzero": None, "slab_scale": 2.0, "slab_df": 4.0},
        _regularized_horseshoe_program,
        ("tau", "c", "lambda", "coef_z"),
        _NO_MODE,
        None,
        "regularized horseshoe, slab scale {slab_scale:g}, slab df {slab_df:g}",
    ),
    student_t=_Kind(
        {"df": 3.0, "scale": 1.0},
        _student_t_program,
        (),
        None,
        lambda params: student_t_gibbs(params["df"], params["scale"]),
        "Student-t({df:g}, 0, {scale:g})",
    ),
    r2d2=_Kind(
        {"r2_mean": 0.5, "r2_precision": 2.0, "concentration": 0.5},
        _r2d2_program,
        ("r2", "psi", "coef_z"),
        (
            "the joint density of the weights and their scales grows without bound as R² or a "
            "share phi_j goes to 0, so the posterior has no mode and no MAP exists"
        ),
        None,
        "R2D2, R² ~ Beta(mean {r2_mean:g}, precision {r2_precision:g})",
    ),
)


def horseshoe(global_scale: float = 1.0) -> ShrinkagePrior:
    """Return the horseshoe prior (Carvalho, Polson & Scott 2010); ``tau ~ C+(0, global_scale)``.

    In `bayesreg.models.linear` the weights are in units of ``sigma``
    (``coef_j ~ N(0, sigma² lambda_j² tau²)``). Sites ``tau``, ``lambda``, ``coef_z``;
    deterministic ``coef``, ``coef_scale``. No MAP exists; sample it
    (`bayesreg.sample_posterior`, NUTS or ``method="gibbs"``).

    Examples
    --------
    >>> import bayesreg as br
    >>> br.models.horseshoe()
    horseshoe(global_scale=1.0)
    """
    return shrinkage("horseshoe", global_scale=global_scale)


def horseshoe_plus(global_scale: float = 1.0) -> ShrinkagePrior:
    """Return the horseshoe+ prior (Bhadra et al. 2017): local scale ``eta_j lambda_j``.

    Both factors are half-Cauchy(0, 1); ``tau ~ C+(0, global_scale)``.

    Sites ``tau``, ``eta``, ``lambda``, ``coef_z``; deterministic ``coef``, ``coef_scale``. No
    MAP exists.
    """
    return shrinkage("horseshoe_plus", global_scale=global_scale)


def regularized_horseshoe(
    global_scale: float | None = None,
    nonzero: float | None = None,
    slab_scale: float = 2.0,
    slab_df: float = 4.0,
) -> ShrinkagePrior:
    """Return the regularized horseshoe (Piironen & Vehtari 2017): a horseshoe with a t slab.

    ``nonzero`` (``p0``, the prior guess of the number of nonzero weights, ``0 < p0 < p``)
    sets ``global_scale = p0 / (p - p0) / sqrt(n)``; give it or ``global_scale`` (default 1.0
    when neither is given). The slab: ``c² ~ InvGamma(slab_df/2, slab_df slab_scale²/2)``, in
    units of sigma in `bayesreg.models.linear`. Sites ``tau``, ``c``, ``lambda``, ``coef_z``;
    deterministic ``coef``, ``coef_scale``. No MAP exists.
    """
    return shrinkage(
        "regularized_horseshoe",
        global_scale=global_scale,
        nonzero=nonzero,
        slab_scale=slab_scale,
        slab_df=slab_df,
    )


def student_t(df: float = 3.0, scale: float = 1.0) -> ShrinkagePrior:
    """Student-t(df, 0, scale) on each weight, in units of sigma in `linear`; its MAP exists.

    The site ``coef`` is sampled directly (centered): ``coef_j ~ t(df, 0, sigma scale)`` in
    `bayesreg.models.linear`, ``t(df, 0, scale)`` in logistic and Poisson models. The Gibbs
    sampler writes it as a Normal scale mixture (`bayesreg.priors.gibbs.student_t_gibbs`).
    """
    return shrinkage("student_t", df=df, scale=scale)


def r2d2(
    r2_mean: float = 0.5, r2_precision: float = 2.0, concentration: float = 0.5
) -> ShrinkagePrior:
    """Return the R2D2 prior (Zhang et al. 2022; Normal kernel as in brms): a prior on R².

    ``R² ~ Beta(r2_mean r2_precision, (1 - r2_mean) r2_precision)``; the shares ``phi`` of the
    explained variance ``~ Dirichlet(concentration)``. Meant for standardized columns. Sites
    ``r2``, ``psi``, ``coef_z``; deterministic ``phi``, ``coef``, ``coef_scale``. No MAP exists.
    """
    return shrinkage(
        "r2d2", r2_mean=r2_mean, r2_precision=r2_precision, concentration=concentration
    )


def gibbs_prior(prior: Any) -> GibbsPrior | str:
    """Return a prior's Gibbs conditionals, or why it has none (in words, naming what has one).

    A `ShrinkagePrior` answers for itself; a distribution of a registered kind (Normal,
    Laplace, elastic net) asks its kind, when its location is 0 and its parameters are fixed.
    """
    has = (
        "Gibbs conditionals exist for the gaussian, laplace and elastic_net priors with fixed "
        "scales centred at 0, the horseshoe, horseshoe_plus and student_t priors, and the "
        "models.bayesian_lasso model"
    )
    if isinstance(prior, ShrinkagePrior):
        found = prior.gibbs()
        return found if found is not None else f"the {prior.name} prior has none; {has}"
    kind = kind_of(prior)
    if kind is None or kind.gibbs is None:
        shown = type(prior).__name__
        return f"the prior {shown} has no Gibbs conditionals; {has}"
    base, mask = unwrap(prior)
    if mask is not True:
        return f"a masked prior has no Gibbs conditionals; {has}"
    loc = getattr(base, "loc", 0.0)
    if is_concrete(loc) and np.any(np.asarray(loc) != 0):  # traced: checked outside
        return f"the {kind.name} prior is not centred at 0; {has}"
    return kind.gibbs(base)
