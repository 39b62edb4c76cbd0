"""`save` and `load` any savable object, through the registry of result types.

`save` picks the saver by the object's type, `load` by the format name the file records (a zip
archive's ``header.json``, a netCDF file's ``bayesreg_format`` attribute); both then do exactly
what the saver or loader of that kind does (`save_map` / `load_map`, ...).
"""

from __future__ import annotations

import zipfile
from typing import Any

from . import archive, netcdf, registry
from .schema import PathLike, check_exists

__all__ = ["load", "save"]


def save(obj: Any, path: PathLike, **options: Any) -> None:
    """Save a result or an estimator with the saver of its kind.

    Parameters
    ----------
    obj : MapResult, MapPath, PosteriorResult or a bayesreg.sklearn estimator
        What to save.
    path : str or os.PathLike
        File to write (replaced atomically if it exists).
    **options
        Options of that saver (``include_data=False`` for a MAP result or path).

    Raises
    ------
    TypeError
        If no saver takes ``obj``, or as the saver of its kind raises.

    See Also
    --------
    load : The inverse.

    Examples
    --------
    >>> import os, tempfile, numpy as np, bayesreg as br
    >>> X = np.random.default_rng(0).normal(size=(20, 3)); y = X[:, 0]
    >>> fit = br.map_estimate(br.models.linear, X, y, prior=br.models.laplace(1.0), sigma=1.0)
    >>> path = os.path.join(tempfile.mkdtemp(), "fit.npz")
    >>> br.io.save(fit, path)
    >>> type(br.io.load(path)).__name__
    'MapResult'
    """
    kind = registry.result_type_of(obj)
    if kind is None:
        names = ", ".join(kind.format for kind in registry.result_types())
        raise TypeError(
            f"cannot save an object of type {type(obj).__name__}: bayesreg.io saves {names} "
            "objects."
        )
    kind.save(obj, path, **options)


def load(path: PathLike, **options: Any) -> Any:
    """Load a file written by any saver of ``bayesreg.io``, with the loader of its kind.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    **options
        Options of that loader (``model=`` for a MAP result, path or posterior).

    Returns
    -------
    object
        What the loader of the file's kind returns.

    Raises
    ------
    ValueError
        If the file records no format that bayesreg reads, or as that loader raises.
    FileNotFoundError
        If there is no such file.

    See Also
    --------
    save : The inverse (an example is there).
    """
    path = check_exists(path)
    found = archive.read_format(path) if zipfile.is_zipfile(path) else netcdf.read_format(path)
    kind = registry.result_type_named(found)
    if kind is None:
        names = ", ".join(kind.format for kind in registry.result_types())
        raise ValueError(
            f"{path} is not a readable bayesreg file (damaged, or of another kind): it records "
            f"no format among {names}; found {found!r}."
        )
    return kind.load(path, **options)
