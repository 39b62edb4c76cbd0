"""select_scale's sampling warnings point at the caller's line, not at the library's."""

import warnings

from bayesreg.sample import SamplingWarning
from bayesreg.select.scale import select_scale


def test_sampling_warnings_point_at_the_caller(diabetes):
    X, y = diabetes
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        # chains far too short on purpose: the hyperprior's posterior must be flagged
        select_scale(X, y, prior="gaussian", methods=["hyperprior"], scales=[10.0, 1000.0],
                     num_chains=2, num_warmup=20, num_samples=20)  # fmt: skip
    ours = [w for w in record if issubclass(w.category, SamplingWarning)]
    assert ours
    assert all(w.filename == __file__ for w in ours), [(w.filename, w.lineno) for w in ours]


def test_loo_path_sampling_warnings_point_at_the_caller(diabetes):
    from bayesreg import loo_path, models

    X, y = diabetes
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        priors = [models.laplace(b) for b in (5.0, 20.0)]
        loo_path(models.linear, X, y, sigma=54.0, path={"prior": priors},
                 num_chains=2, num_warmup=10, num_samples=10)  # fmt: skip
    ours = [w for w in record if issubclass(w.category, SamplingWarning)]
    assert ours and all(str(w.message).startswith("at path point ") for w in ours)
    assert all(w.filename == __file__ for w in ours), [(w.filename, w.lineno) for w in ours]
