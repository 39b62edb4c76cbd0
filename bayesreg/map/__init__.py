r"""MAP estimation on any NumPyro model, with exact zeros for Laplace priors.

The objective is the negative log joint density **in the parameterization the model is written
in** (no Jacobian term, as NumPyro's ``AutoDelta`` defines MAP):

$$
F(\theta) = -\log p(y, \theta) = f(\theta) + \sum_{i \in \mathcal{L}} w_i\,|\theta_i - \mu_i|,
$$

where $\mathcal{L}$ are the elements of every latent site whose prior has an L1 part (a Laplace
or `bayesreg.models.ElasticNetPrior` distribution, as `bayesreg.priors.l1_part` answers) — also
inside ``expand``, ``to_event``, ``Independent`` or a mask — with location $\mu_i$ and L1 weight
$w_i = 1/b_i$ (times a ``numpyro.handlers.scale`` factor). The L1 part is handled by its proximal
operator (soft-thresholding), so these elements land **exactly** on $\mu_i$; $f$ holds everything
else (likelihoods, other priors, ``numpyro.factor`` terms, the smooth part of the elastic-net
prior) and is differentiated by JAX. Sites with constrained support are optimized in NumPyro's
unconstrained space, $\theta = T(u)$, but $F$ is still the density of $\theta$.

Algorithm (one jitted loop per model structure; cached, so a second call with the same model and
shapes does not recompile): accelerated proximal gradient (FISTA) with backtracking line search,
gradient-based adaptive restart and a diagonal (Jacobi) metric
$D = |\mathrm{diag}\,\nabla^2 f|$ at the default start; when the problem has at most
``newton_max_dim`` unknowns, a Newton step on the current support (signs fixed,
orthant-projected, solved in the Jacobi-scaled coordinates $D^{-1/2} H D^{-1/2}$ so that
columns of any scale are equally well conditioned, accepted only if it gives a finite $F$
that decreases — or, where $F$ is flat to its rounding, a point that is more stationary)
is tried every few iterations, which ends lasso / ridge / logistic problems at machine
precision. FISTA's backtracking likewise falls back to a gradient (curvature) test where values
of $F$ differ by less than their rounding (a large constant in the density: ``sigma=1e8``).
A trial point with a non-finite objective is never accepted: FISTA shortens its step (and drops
its momentum when the extrapolated point is not finite), Newton halves its step.

The start is the prior's location, not a draw: the ``loc`` of a real-valued location family (the
Laplace location for L1 sites), else the prior mean when it is finite and inside the support, else
$T(0)$ (0 in the unconstrained space; improper priors). If the log density is not finite
there, every default site is restarted at $T(0)$ before an error is raised.

**The optimality certificate** is scale-free per coordinate. With $k_i(u)$ the minimum-norm
subgradient of $F$ in the unconstrained coordinate $i$ (for an L1 element at
$\mu_i$: $\max(|\partial_i f| - w_i, 0)$; elsewhere
$|\partial_i f + w_i\,\mathrm{sign}(\theta_i - \mu_i)|$) and $d_i = |\partial^2_{ii} f(u_0)|$
the curvature at the default start $u_0$,

$$
\mathrm{optimality}(u) = \frac{\max_i |k_i(u)| / \sqrt{d_i}}
    {\max_i |\partial_i f(u_0)| / \sqrt{d_i}}.
$$

$k_i^2 / d_i$ is (to second order) the decrease of $F$ that moving coordinate $i$
alone could still give, so each coordinate is held to its own scale: the measure does not change
when a column of ``X`` is multiplied by any $c_i \ne 0$ ($k_i \to c_i k_i$,
$d_i \to c_i^2 d_i$) or when the whole objective is multiplied by any $s > 0$ (e.g.
``sigma = 1e8``; numerator and denominator both scale by $\sqrt{s}$). The denominator is taken
at the default start for a warm start too, so a path is held to the standard of a cold solve.
A coordinate without curvature at the start gets the largest $d_i$ (the loosest weight,
as it has no scale of its own); beyond 64 unknowns without Newton steps,
$d$ is a Hutchinson estimate. When the denominator is 0 (the start is stationary) it is 1.

**No finite MAP.** A point that passes the certificate is checked along the ray from $u_0$
through it: if $F$ still decreases strictly at twice and four times the distance (beyond
rounding), the objective has no minimizer that way (a flat prior on separable classes, an improper
posterior, an objective unbounded below). The optimality is then reported as ``inf``
(``converged=False``) and a `NoFiniteMapWarning` says so; the remedy is a proper prior.

Calls are thread-safe: ``bayesreg._compile.MODEL_LOCK`` is held for the whole call (NumPyro's
effect handlers are process-wide), so concurrent calls run one at a time.

The wing's modules: `result` (`MapResult`, `MapPath`, the warnings), `objective` (the smooth +
L1 split and the start), `solver` (the composite solver over a flat vector), `program` (the
compiled solves), `checks` (options and outcomes), `estimate` (`map_estimate`) and `path`
(`map_path`).
"""

from .estimate import map_estimate
from .path import map_path
from .result import ConvergenceWarning, MapPath, MapResult, NoFiniteMapWarning

__all__ = [
    "ConvergenceWarning",
    "MapPath",
    "MapResult",
    "NoFiniteMapWarning",
    "map_estimate",
    "map_path",
]
