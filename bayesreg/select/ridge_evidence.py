r"""The evidence of a Gaussian linear model in closed form over $(\tau, \sigma)$, and its maximum.

The model is `bayesreg.models.linear` with a Normal$(m_0, \tau)$ prior on every weight, noise sd
$\sigma$ and a flat intercept (or none). With $r = y - X m_0$:

**The flat intercept integrates out to the centred problem with $n - 1$ degrees of freedom.**
Write $\bar x$ for the column means, $X_c = X - \mathbf 1 \bar x^\top$, and substitute
$c' = c + \bar x^\top w$ (a shift, Jacobian 1, so the flat density stays 1). Then
$y = c'\mathbf 1 + X_c w + e$ with $\mathbf 1^\top X_c = 0$. Rotate by an orthogonal
$H = [\mathbf 1/\sqrt n, Q]$: the first coordinate $\sqrt n\,\bar y \sim \mathcal N(\sqrt n\,c',
\sigma^2)$ involves $c'$ alone and integrates to $1/\sqrt n$; the other $n - 1$ are
$Q^\top y \sim \mathcal N(Q^\top X_c w, \sigma^2 I_{n-1})$. Hence

$$
\log p(y) = -\tfrac12 \log n + \log \mathcal N_{n-1}\!\left(Q^\top r;\ 0,\
\sigma^2 I + \tau^2 Q^\top X_c X_c^\top Q\right),
$$

exactly, and every quantity below needs only the centred $r_c$ and $X_c$
($\lVert Q^\top r\rVert = \lVert r_c\rVert$, $Q Q^\top X_c = X_c$). Without an intercept there is
no centring, $N = n$ and no $\log n$ term. (scikit-learn's ``BayesianRidge`` centres too but
keeps $N = n$: its evidence is that of the centred data without an intercept.)

**Closed form, $O(p)$ per point.** With the thin SVD $X_c = U S V^\top$ ($k$ positive singular
values $S_j$, $s_j = S_j^2$), the coordinates $z = U^\top r_c$ and the part no column fits,
$R = \lVert r_c - U z\rVert^2$, the covariance has eigenvalues $d_j = \sigma^2 + \tau^2 s_j$ along
$U$ and $\sigma^2$ on the other $N - k$ directions:

$$
\log p(y) = c_0 - \tfrac N2 \log 2\pi
- \tfrac12\Big[(N - k)\log\sigma^2 + R/\sigma^2 + \sum_j \big(\log d_j + z_j^2/d_j\big)\Big],
$$

with $c_0 = -\tfrac12\log n$ for the flat intercept and $0$ without one. `maximize_evidence`
maximizes it in $(\log\sigma^2, \log\tau^2)$ (or $\log\tau^2$ alone) by Newton's method with a
backtracking line search, the Hessian's eigenvalues made positive where it is not concave.

**When the maximum does not exist.** If $R = 0$ with $k < N$ (``y`` fitted exactly with residual
directions left), $\sigma \to 0$ sends the evidence to $+\infty$. If $k = N$ (e.g. $p \ge n - 1$)
the evidence stays bounded as $\sigma \to 0$ but may be largest there; and it may be largest as
$\tau \to 0$ (no signal). Each of these is refused with the reason.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

__all__ = ["EvidenceMaximum", "LinearSpectrum", "linear_spectrum", "maximize_evidence"]

# Armijo's sufficient-decrease fraction and the most halvings of a step before giving up
_ARMIJO = 1e-4
_MAX_HALVINGS = 60
# a Newton step in log(variance) is capped at a factor e^4 ~ 55: the quadratic model is only
# trusted that far from a start that may be off by orders of magnitude
_MAX_LOG_STEP = 4.0
# a variance part below this fraction of the other in every direction no longer changes the
# evidence at float64 resolution: the maximum is on the boundary (tau -> 0 or sigma -> 0)
_NEGLIGIBLE = 1e-12
# F sums O(N) terms: its rounding is a few hundred ulps of its size
_ROUNDING = 256 * np.finfo(float).eps


class LinearSpectrum(NamedTuple):
    """What the evidence needs of the data, computed once (module docstring)."""

    squares: np.ndarray  # s_j, the positive squared singular values of X_c, (k,)
    coords: np.ndarray  # z_j = u_j' r_c, (k,)
    residual: float  # R = ||r_c - U z||²
    dof: int  # N: n - 1 with the flat intercept, n without
    offset: float  # c_0 = -log(n)/2 with the flat intercept, else 0
    right: np.ndarray  # V, the right singular vectors of the positive values, (p, k)
    singular: np.ndarray  # S_j, (k,)
    x_mean: np.ndarray  # the column means (0 without an intercept), (p,)
    r_mean: float  # the mean of r (0 without an intercept)

    def log_evidence(self, sigma2: float, tau2: float) -> float:
        r"""Return $\log p(y)$ at noise variance ``sigma2`` and prior variance ``tau2``."""
        value, _, _ = _terms(self, np.log([sigma2, tau2]))
        return self.offset - 0.5 * self.dof * math.log(2.0 * math.pi) - 0.5 * value

    def posterior_mean(self, sigma2: float, tau2: float, loc: np.ndarray) -> np.ndarray:
        """Return the posterior mean of the weights (the ridge MAP, alpha = sigma2 / tau2)."""
        shrink = self.singular * tau2 / (sigma2 + tau2 * self.squares)
        return loc + self.right @ (shrink * self.coords)


def linear_spectrum(X: np.ndarray, r: np.ndarray, *, intercept: bool) -> LinearSpectrum:
    """Return the `LinearSpectrum` of design ``X`` and residual ``r = y - X m0``: one thin SVD."""
    n, p = X.shape
    if intercept:
        x_mean, r_mean = X.mean(axis=0), float(r.mean())
        X, r = X - x_mean, r - r_mean
    else:
        x_mean, r_mean = np.zeros(p), 0.0
    U, S, Vt = np.linalg.svd(X, full_matrices=False)
    # numpy.linalg.matrix_rank's rule: a singular value at rounding level of the largest
    positive = S > S.max(initial=0.0) * max(n, p) * np.finfo(float).eps
    U, S, V = U[:, positive], S[positive], Vt[positive].T
    coords = U.T @ r
    residual = float(np.sum((r - U @ coords) ** 2))
    dof = n - 1 if intercept else n
    offset = -0.5 * math.log(n) if intercept else 0.0
    return LinearSpectrum(S**2, coords, residual, dof, offset, V, S, x_mean, r_mean)


def _terms(spec: LinearSpectrum, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    r"""Return $F = -2\log p(y) + $ const, its gradient and Hessian in $\log(\sigma^2, \tau^2)$."""
    a, b = np.exp(theta)
    s, z2 = spec.squares, spec.coords**2
    free = spec.dof - len(s)
    d = a + b * s
    g = 1.0 / d - z2 / d**2  # dF/dd per direction
    h = -1.0 / d**2 + 2.0 * z2 / d**3  # d²F/dd²
    value = free * theta[0] + spec.residual / a + float(np.sum(np.log(d) + z2 / d))
    grad = np.array([free - spec.residual / a + a * np.sum(g), b * np.sum(s * g)])
    cross = a * b * np.sum(s * h)
    hess = np.array(
        [
            [spec.residual / a + a * np.sum(g) + a**2 * np.sum(h), cross],
            [cross, b * np.sum(s * g) + b**2 * np.sum(s**2 * h)],
        ]
    )
    return value, grad, hess


class EvidenceMaximum(NamedTuple):
    """The maximizer of the evidence: variances, the iterates and whether Newton converged."""

    sigma2: float
    tau2: float
    history: np.ndarray  # (iterations + 1, 2): (sigma², tau²) at each iterate
    converged: bool


def _check_bounded(spec: LinearSpectrum, sigma_free: bool) -> None:
    if not sigma_free or len(spec.squares) >= spec.dof:
        return
    total = spec.residual + float(np.sum(spec.coords**2))
    if spec.residual <= spec.dof * np.finfo(float).eps * total:
        raise ValueError(
            "y is fitted exactly by the columns of X (zero residual) while "
            f"{spec.dof - len(spec.squares)} residual degrees of freedom remain, so the "
            "evidence grows without bound as sigma -> 0: there is no type-II maximum-likelihood "
            "sigma. Give sigma as a number (the known noise sd)."
        )


def _check_interior(spec: LinearSpectrum, theta: np.ndarray, step: np.ndarray) -> None:
    """Refuse a maximum that lies on the boundary (tau -> 0 or sigma -> 0)."""
    a, b = np.exp(theta)
    if b * spec.squares.max(initial=0.0) <= _NEGLIGIBLE * a and step[1] <= 0:
        raise ValueError(
            "the evidence is largest as tau -> 0: under a Normal(0, tau) prior the data show no "
            "signal beyond the noise, so type-II maximum likelihood sets every weight to 0. "
            "Choose the scale by cross-validation (cv_path) or give it a hyperprior "
            "(models.gaussian(dist.InverseGamma(...)) with sample_posterior)."
        )
    if a <= _NEGLIGIBLE * b * spec.squares.min(initial=np.inf) and step[0] <= 0:
        raise ValueError(
            f"the evidence is largest as sigma -> 0: with {len(spec.squares)} independent "
            f"columns for {spec.dof} residual degrees of freedom the prior alone can explain y "
            "exactly, so there is no interior type-II maximum-likelihood sigma. Give sigma as "
            "a number (the known noise sd)."
        )


def maximize_evidence(
    spec: LinearSpectrum,
    *,
    sigma2: float,
    tau2: float,
    sigma_free: bool,
    max_iter: int,
    tol: float,
) -> EvidenceMaximum:
    """Maximize the evidence from ``(sigma2, tau2)`` (module docstring).

    Converged when the Hessian is negative definite and the Newton step changes no free
    log-variance by more than ``tol`` (their relative error is then about ``tol²``).
    """
    _check_bounded(spec, sigma_free)
    free = np.array([sigma_free, True])
    theta = np.log([sigma2, tau2])
    value, grad, hess = _terms(spec, theta)
    history = [np.exp(theta)]
    converged = False
    for _ in range(max_iter):
        g, H = grad[free], hess[np.ix_(free, free)]
        eigenvalues, vectors = np.linalg.eigh(H)
        concave = bool(eigenvalues.min() > 0)
        # where F is not convex, step along |eigenvalue| (a descent direction all the same)
        floor = max(np.abs(eigenvalues).max(), 1.0) * np.finfo(float).eps
        step = np.zeros(2)
        step[free] = -vectors @ ((vectors.T @ g) / np.maximum(np.abs(eigenvalues), floor))
        if concave and np.abs(step).max() <= tol:
            converged = True
            break
        _check_interior(spec, theta, step)
        step *= min(1.0, _MAX_LOG_STEP / np.abs(step).max())
        slope = float(grad @ step)
        # a predicted decrease below the rounding of F cannot be seen by a line search; with a
        # concave log evidence the full Newton step is then taken (the quadratic regime)
        unseen = concave and -slope <= _ROUNDING * max(1.0, abs(value))
        t = 1.0
        for _ in range(_MAX_HALVINGS):
            trial = theta + t * step
            trial_value, trial_grad, trial_hess = _terms(spec, trial)
            if unseen or trial_value <= value + _ARMIJO * t * slope:
                break
            t *= 0.5
        else:
            break  # no decrease along a descent direction: rounding level, F cannot go lower
        theta, value, grad, hess = trial, trial_value, trial_grad, trial_hess
        history.append(np.exp(theta))
    if not converged:
        # the loop ended without the test: it may have been met at the last point
        H = hess[np.ix_(free, free)]
        if np.linalg.eigvalsh(H).min() > 0:
            converged = bool(np.abs(np.linalg.solve(H, grad[free])).max() <= tol)
    sigma2, tau2 = np.exp(theta)
    return EvidenceMaximum(float(sigma2), float(tau2), np.array(history), converged)
