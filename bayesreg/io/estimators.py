"""Save and load the estimators of ``bayesreg.sklearn``: `save_estimator`, `load_estimator`.

The estimator classes are never imported here by name. A file names its class by the public
reference ``bayesreg.sklearn:<class name>`` (the same wherever inside the package the class is
defined); on load that reference is resolved only inside `ESTIMATOR_PACKAGE` (imported then,
lazily, by its constant name: never a module the file names), and only to a public class of
it that is an estimator (it has the NumPyro model function of its kind). Nothing else a file
names is ever imported.
"""

from __future__ import annotations

import importlib
import inspect
import io
import math
import os
import sys
from typing import Any

import numpy as np
import numpyro.distributions as dist

from .._version import __version__
from ..map import MapResult
from ..priors.shrinkage import ShrinkagePrior
from . import registry, schema
from .archive import read_archive, write_archive
from .codec import Decoder, Encoder, loaded_attribute, reference
from .posterior import read_posterior, write_posterior
from .schema import (
    PathLike,
    SchemaError,
    check_count,
    check_numeric_array,
    check_type,
    decode_or_fail,
    header_field,
)

__all__ = [
    "ESTIMATOR_FORMAT",
    "ESTIMATOR_PACKAGE",
    "POSTERIOR_MEMBER",
    "estimator_classes",
    "load_estimator",
    "save_estimator",
]

ESTIMATOR_FORMAT = "bayesreg.estimator"
ESTIMATOR_PACKAGE = "bayesreg.sklearn"
POSTERIOR_MEMBER = "posterior_.nc"


def _is_estimator_class(obj: Any) -> bool:
    return (
        inspect.isclass(obj)
        and inspect.isfunction(getattr(obj, "_model", None))
        and callable(getattr(obj, "get_params", None))
    )


def estimator_classes(*, load: bool = False) -> dict[str, type]:
    """Return the estimator classes of ``bayesreg.sklearn``, by their public reference.

    Without ``load``, an empty dict when that package is not imported yet (then no estimator
    exists in this process); with ``load`` the package is imported (by its constant name).
    """
    package = sys.modules.get(ESTIMATOR_PACKAGE)
    if package is None and load:
        package = importlib.import_module(ESTIMATOR_PACKAGE)
    if package is None:
        return {}
    classes = {}
    for name in getattr(package, "__all__", ()):
        public = f"{ESTIMATOR_PACKAGE}:{name}"
        cls = loaded_attribute(public, (ESTIMATOR_PACKAGE,))
        if _is_estimator_class(cls):
            classes[public] = cls
    return classes


def _is_estimator(obj: Any) -> bool:
    return isinstance(obj, tuple(estimator_classes().values()))


def save_estimator(estimator: Any, path: PathLike) -> None:
    """Save an estimator of ``bayesreg.sklearn``, fitted or not, to a zip (``.npz``) file.

    Stores the class (``bayesreg.sklearn:<name>``), ``get_params(deep=False)`` and every fitted
    attribute (public, ending in ``_``), among them the MAP result ``map_`` and, after
    ``sample_posterior``, the posterior ``posterior_`` (as an embedded netCDF file).

    Parameters
    ----------
    estimator : BayesianLinearRegression, BayesianLogisticRegression or \
BayesianPoissonRegression
        The estimator.
    path : str or os.PathLike
        File to write (replaced atomically if it exists: see the module docstring of
        ``bayesreg.io``).

    Raises
    ------
    TypeError
        If ``estimator`` is not a bayesreg estimator, or a parameter or attribute cannot be
        stored.

    See Also
    --------
    load_estimator : The inverse.

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> from bayesreg.io import load_estimator, save_estimator
    >>> from bayesreg.sklearn import BayesianLinearRegression
    >>> X = np.random.default_rng(0).normal(size=(20, 3)); y = X[:, 0]
    >>> est = BayesianLinearRegression(prior="laplace", alpha=0.05).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "est.npz")
    >>> save_estimator(est, path)
    >>> bool(np.array_equal(load_estimator(path).predict(X), est.predict(X)))
    True
    """
    classes = estimator_classes()
    if not isinstance(estimator, tuple(classes.values())):
        names = ", ".join(cls.__name__ for cls in classes.values())
        raise TypeError(
            f"estimator must be a {ESTIMATOR_PACKAGE} estimator"
            f"{f' ({names})' if names else ''}; got {type(estimator).__name__}."
        )
    encoder = Encoder()
    fitted = {
        name: value
        for name, value in vars(estimator).items()
        if name.endswith("_") and not name.startswith("_") and name != "posterior_"
    }
    extra = {}
    posterior = getattr(estimator, "posterior_", None)
    if posterior is not None:
        buffer = io.BytesIO()  # in memory: nothing to clean up if the process dies
        write_posterior(posterior, buffer)
        extra[POSTERIOR_MEMBER] = buffer.getvalue()
    header = {
        "format": ESTIMATOR_FORMAT,
        "format_version": schema.FORMAT_VERSION,
        "bayesreg_version": __version__,
        "class": reference(type(estimator)),
        "params": encoder.encode(estimator.get_params(deep=False), "params"),
        "fitted": encoder.encode(fitted, "fitted"),
        "posterior": POSTERIOR_MEMBER if posterior is not None else None,
    }
    write_archive(path, header, encoder.arrays, extra)


def _check_fitted(fitted: dict[str, Any]) -> None:
    """Check that the fitted attributes agree (types, counts, one coefficient per column)."""
    for name, value in fitted.items():
        if not (name.isidentifier() and name.endswith("_") and not name.startswith("_")):
            raise SchemaError("fitted", name, "a public attribute name ending in '_'")
        if name == "posterior_" or (isinstance(value, MapResult) and name != "map_"):
            raise SchemaError(f"fitted[{name!r}]", value, "a fitted attribute")
    for name in ("n_iter_", "n_features_in_"):
        if name in fitted:
            check_count(fitted[name], f"fitted[{name!r}]")
    n_features = fitted.get("n_features_in_")
    if "coef_" in fitted:
        coef = check_numeric_array(fitted["coef_"], "fitted['coef_']")
        if coef.ndim not in (1, 2) or (n_features is not None and coef.shape[-1] != n_features):
            raise SchemaError(
                "fitted['coef_']", coef, f"an array of {n_features} coefficients (n_features_in_)"
            )
    if "intercept_" in fitted and not isinstance(fitted["intercept_"], float):
        check_numeric_array(fitted["intercept_"], "fitted['intercept_']")
    names = fitted.get("feature_names_in_")
    if names is not None and not (
        isinstance(names, np.ndarray)
        and names.shape == (n_features,)
        and all(isinstance(label, str) for label in names)
    ):
        raise SchemaError(
            "fitted['feature_names_in_']", names, f"an array of {n_features} column names"
        )
    if "prior_" in fitted and not isinstance(fitted["prior_"], dist.Distribution | ShrinkagePrior):
        raise SchemaError("fitted['prior_']", fitted["prior_"], "a distribution or shrinkage prior")
    sigma = fitted.get("sigma_")
    if sigma is not None and not (
        isinstance(sigma, int | float) and not isinstance(sigma, bool) and 0 < sigma < math.inf
    ):
        raise SchemaError("fitted['sigma_']", sigma, "a finite number > 0")
    fit = fitted.get("map_")
    if fit is not None:
        if not isinstance(fit, MapResult):
            raise SchemaError("fitted['map_']", fit, "a MapResult")
        coef = fit.params.get("coef")
        if "coef_" in fitted and np.size(coef) != np.size(fitted["coef_"]):
            raise SchemaError("fitted['map_'].params['coef']", coef, "the same size as coef_")


def load_estimator(path: PathLike) -> Any:
    """Load an estimator written by `save_estimator`; no code named in the file is run.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    estimator
        A new estimator of the saved class with the saved parameters and fitted attributes
        (arrays equal bit for bit, with their dtypes), ready to ``predict``. Its MAP result
        and posterior have the class's own model (``bayesreg.models.linear``, ...).

    Raises
    ------
    ValueError
        If the file is corrupted, truncated or of another kind, names a class that is not a
        bayesreg estimator or a model that is not its class's, fails the header checks (the
        message names the field), or was written by a newer format version.
    FileNotFoundError
        If there is no such file.

    See Also
    --------
    save_estimator : The inverse (an example is there).
    """
    header, arrays, extra = read_archive(path, ESTIMATOR_FORMAT, "estimator", (POSTERIOR_MEMBER,))
    path = os.fspath(path)
    classes = estimator_classes(load=True)

    def rebuild() -> Any:
        header_field(header, "bayesreg_version", str, "a version string")
        name = header_field(header, "class", str, "a class name")
        cls = classes.get(name)
        if cls is None:
            raise SchemaError("class", name, f"a bayesreg estimator class {sorted(classes)}")
        required = (cls._model, cls.__name__)
        decoder = Decoder(arrays, required=required)
        params = decoder.decode(header_field(header, "params", dict, "an object"), "params")
        allowed = set(cls().get_params(deep=False))
        for key, value in check_type(params, dict, "params", "a dict").items():
            if key not in allowed or isinstance(value, MapResult):
                raise SchemaError(f"params[{key!r}]", value, f"a parameter of {cls.__name__}")
        fitted = decoder.decode(header_field(header, "fitted", dict, "an object"), "fitted")
        _check_fitted(check_type(fitted, dict, "fitted", "a dict"))
        estimator = cls(**params)
        for key, value in fitted.items():
            setattr(estimator, key, value)
        member = header.get("posterior")
        if member is not None:
            if member != POSTERIOR_MEMBER or member not in extra:
                raise SchemaError("posterior", member, f"{POSTERIOR_MEMBER!r}, a member")
            data = extra[member]
            estimator.posterior_, _ = read_posterior(
                io.BytesIO(data), len(data), f"{path} (member {member})", None, required
            )
        return estimator

    return decode_or_fail(path, "estimator", rebuild)


registry.register_result_type(
    registry.ResultType(
        ESTIMATOR_FORMAT, "estimator", _is_estimator, save_estimator, load_estimator
    )
)
