"""Save and load posterior results (`save_posterior` / `load_posterior`) as ArviZ netCDF files.

The file holds the groups and attributes of the result's ``idata`` (any ArviZ reader opens it),
the root attributes ``bayesreg_format``, ``bayesreg_format_version`` and ``bayesreg_header``
(JSON: the fields ``idata`` does not hold) and the group ``bayesreg_arrays`` with the arrays the
header refers to (the model's data). `write_posterior` and `read_posterior` work on file objects
too: an estimator's archive embeds a posterior as a member.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import IO, Any

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from .._version import __version__
from ..files import atomic_write
from ..sample import PosteriorResult
from . import registry, schema
from .codec import Decoder, Encoder, reference, warn_untrusted
from .netcdf import check_netcdf_sizes, read_netcdf, write_netcdf
from .schema import (
    PathLike,
    SchemaError,
    check_count,
    check_data_shapes,
    check_exists,
    check_format,
    check_keys,
    check_numeric_array,
    check_type,
    damaged,
    decode_or_fail,
    header_field,
    invalid,
)

__all__ = [
    "ARRAY_GROUP",
    "POSTERIOR_FORMAT",
    "load_posterior",
    "read_posterior",
    "save_posterior",
    "write_posterior",
]

POSTERIOR_FORMAT = "bayesreg.PosteriorResult"
ARRAY_GROUP = "bayesreg_arrays"


def _diagnostics_to_json(table: pd.DataFrame, encoder: Encoder) -> dict[str, Any]:
    return {
        "index": [str(label) for label in table.index],
        "columns": [str(label) for label in table.columns],
        "values": encoder.encode(np.asarray(table.to_numpy(), dtype=float), "diagnostics"),
    }


def write_posterior(post: PosteriorResult, handle: IO[bytes]) -> None:
    """Write ``post`` as netCDF to a seekable, readable binary file object, uncompressed."""
    encoder = Encoder()
    header = {
        "bayesreg_version": __version__,
        "method": post.method,
        "chain_method": post.chain_method,
        "num_chains": int(post.num_chains),
        "num_samples": int(post.num_samples),
        "num_divergent": int(post.num_divergent),
        "samples": list(post.samples),
        "sample_kinds": {
            name: "jax" if isinstance(value, jax.Array) else "ndarray"
            for name, value in post.samples.items()
        },
        "diagnostics": _diagnostics_to_json(post.diagnostics, encoder),
        "model": None if post.model is None else reference(post.model),
        "args": encoder.encode(tuple(post.args), "post.args"),
        "kwargs": encoder.encode(dict(post.kwargs), "post.kwargs"),
    }
    attrs = {
        **dict(post.idata.attrs),
        "bayesreg_format": POSTERIOR_FORMAT,
        "bayesreg_format_version": schema.FORMAT_VERSION,
        "bayesreg_header": json.dumps(header, allow_nan=False),
    }
    groups = {group: post.idata[group] for group in post.idata.groups()}
    write_netcdf(handle, attrs, groups, encoder.arrays, ARRAY_GROUP)


def save_posterior(post: PosteriorResult, path: PathLike) -> None:
    """Save a posterior result to an ArviZ netCDF file, with bayesreg's metadata.

    The file holds the groups and attributes of ``post.idata`` (any ArviZ reader opens it)
    with the fields of the result that ``idata`` does not hold stored in root attributes and
    the group ``bayesreg_arrays`` (see the module docstring of ``bayesreg.io``).

    Parameters
    ----------
    post : PosteriorResult
        The result of `bayesreg.sample_posterior`.
    path : str or os.PathLike
        File to write (replaced atomically if it exists: see the module docstring of
        ``bayesreg.io``); ``.nc`` is customary.

    Raises
    ------
    TypeError
        If ``post`` is not a ``PosteriorResult`` or a model argument cannot be stored.

    See Also
    --------
    load_posterior : The inverse.

    Examples
    --------
    >>> import os, tempfile, numpy as np, bayesreg as br
    >>> from bayesreg.io import load_posterior, save_posterior
    >>> from bayesreg.sample import sample_posterior
    >>> X = np.random.default_rng(0).normal(size=(20, 2)); y = X[:, 0]
    >>> post = sample_posterior(br.models.linear, X, y, prior=br.models.gaussian(1.0),
    ...                         sigma=1.0, num_samples=100)
    >>> path = os.path.join(tempfile.mkdtemp(), "post.nc")
    >>> save_posterior(post, path)
    >>> back = load_posterior(path)
    >>> bool(np.array_equal(back.samples["coef"], post.samples["coef"])), back.method
    (True, 'exact')
    """
    if not isinstance(post, PosteriorResult):
        raise TypeError(
            f"post must be a PosteriorResult (from sample_posterior); got {type(post).__name__}."
        )
    with atomic_write(path, "w+b") as handle:
        write_posterior(post, handle)


def _samples(header: dict, groups: dict, num_chains: int, num_samples: int) -> dict[str, Any]:
    if "posterior" not in groups:
        raise SchemaError("groups", sorted(groups), "groups with a 'posterior'")
    posterior = groups["posterior"]
    names = header_field(header, "samples", list, "a list of site names")
    kinds = header_field(header, "sample_kinds", dict, "an object")
    if set(kinds) != set(names) or len(set(names)) != len(names):
        raise SchemaError("sample_kinds", sorted(kinds), f"one entry per site of {names}")
    samples = {}
    for name in names:
        if name not in posterior.data_vars:
            raise SchemaError("samples", name, "a variable of the posterior group")
        values = np.asarray(posterior[name].values)
        if values.shape[:2] != (num_chains, num_samples) or values.dtype.kind not in "biuf":
            raise SchemaError(
                f"posterior[{name!r}]", values,
                f"numeric draws of shape ({num_chains}, {num_samples}, ...)",
            )  # fmt: skip
        values = values.reshape((-1, *values.shape[2:]))
        kind = kinds[name]
        if kind not in ("jax", "ndarray"):
            raise SchemaError(f"sample_kinds[{name!r}]", kind, "'jax' or 'ndarray'")
        samples[name] = jnp.asarray(values) if kind == "jax" else values
    return samples


def _diagnostics(header: dict, decoder: Decoder) -> pd.DataFrame:
    table = header_field(header, "diagnostics", dict, "an object")
    check_keys(table, "diagnostics", {"index", "columns", "values"})
    index = check_type(table["index"], list, "diagnostics.index", "a list of names")
    columns = check_type(table["columns"], list, "diagnostics.columns", "a list of names")
    for label in (*index, *columns):
        check_type(label, str, "diagnostics", "a table with string labels")
    values = check_numeric_array(
        decoder.decode(table["values"], "diagnostics.values"), "diagnostics.values"
    )
    if values.shape != (len(index), len(columns)):
        raise SchemaError("diagnostics.values", values, f"of shape ({len(index)}, {len(columns)})")
    return pd.DataFrame(values, index=index, columns=columns)


def read_posterior(
    source: str | IO[bytes],
    size: int,
    path: str,
    model: Callable | None,
    required: tuple[Callable, str] | None = None,
) -> tuple[PosteriorResult, Decoder]:
    """Read a posterior from ``source`` (a file name or object of ``size`` bytes).

    ``path`` names it in messages; ``model`` and ``required`` are as for `Decoder`. Returns the
    result and the decoder (whose ``untrusted`` names the caller warns about).
    """
    what = "posterior"
    try:
        check_netcdf_sizes(source, size)
        attrs, groups = read_netcdf(source)
    except SchemaError as err:
        raise invalid(path, what, err) from err
    except Exception as err:  # HDF5 / netCDF errors on damaged or foreign files
        raise damaged(path, what, err) from err
    if "bayesreg_format" not in attrs:
        raise ValueError(
            f"{path} is not a {POSTERIOR_FORMAT} file (no bayesreg_format attribute); a plain "
            "ArviZ file is read with arviz.from_netcdf."
        )
    check_format(
        path, attrs.pop("bayesreg_format"), attrs.get("bayesreg_format_version"), POSTERIOR_FORMAT
    )
    attrs.pop("bayesreg_format_version")
    header = decode_or_fail(path, what, lambda: json.loads(attrs.pop("bayesreg_header")))
    arrays_group = groups.pop(ARRAY_GROUP, None)
    arrays = {}
    if arrays_group is not None:
        arrays = {str(key): np.asarray(arrays_group[key].values) for key in arrays_group.data_vars}
    decoder = Decoder(arrays, model, required)

    def rebuild() -> PosteriorResult:
        check_type(header, dict, "bayesreg_header", "a JSON object")
        header_field(header, "bayesreg_version", str, "a version string")
        method = header_field(header, "method", str, "a string")
        chain_method = header_field(header, "chain_method", str | None, "a string or null")
        num_chains = check_count(header.get("num_chains"), "num_chains", 1)
        num_samples = check_count(header.get("num_samples"), "num_samples")
        num_divergent = check_count(header.get("num_divergent"), "num_divergent")
        if num_divergent > num_chains * num_samples:
            raise SchemaError("num_divergent", num_divergent, "at most num_chains x num_samples")
        samples = _samples(header, groups, num_chains, num_samples)
        diagnostics = _diagnostics(header, decoder)
        name = header.get("model")
        if name is not None:
            check_type(name, str, "model", "a name module:qualname or null")
        args = check_type(decoder.decode(header.get("args"), "args"), tuple, "args", "a tuple")
        kwargs = check_type(
            decoder.decode(header.get("kwargs"), "kwargs"), dict, "kwargs", "a dict"
        )
        shapes = {site: tuple(value.shape[1:]) for site, value in samples.items()}
        check_data_shapes(name, shapes, "samples", args, kwargs, "header")
        idata = az.InferenceData(attrs=attrs, **groups)
        return PosteriorResult(
            samples=samples,
            idata=idata,
            method=method,
            chain_method=chain_method,
            num_chains=num_chains,
            num_samples=num_samples,
            num_divergent=num_divergent,
            diagnostics=diagnostics,
            model=decoder.model_for(name, "model"),
            args=args,
            kwargs=kwargs,
        )

    return decode_or_fail(path, what, rebuild), decoder


def load_posterior(path: PathLike, *, model: Callable | None = None) -> PosteriorResult:
    """Load a posterior result written by `save_posterior`; no code named in it is run.

    Parameters
    ----------
    path : str or os.PathLike
        The netCDF file.
    model : callable, optional
        The model function, when it is not one of bayesreg's models nor registered (see
        `load_map`).

    Returns
    -------
    PosteriorResult
        Equal to the saved one: ``idata`` (the same groups, values, coordinates and
        attributes), ``samples`` (rebuilt from ``idata.posterior``, chains merged),
        ``diagnostics``, the sampler fields, ``model``, ``args`` and ``kwargs``.

    Raises
    ------
    ValueError
        If the file is corrupted, truncated, not written by `save_posterior` (a plain ArviZ
        file: read it with ``arviz.from_netcdf``), fails the header checks (the message names
        the field), declares more data than it can hold, or was written by a newer format
        version.
    FileNotFoundError
        If there is no such file.

    Warns
    -----
    UserWarning
        When the stored model is not trusted and ``model`` is not given (``model`` is ``None``).

    See Also
    --------
    save_posterior : The inverse (an example is there).
    register_model : Trust a model function of your own.
    """
    path = check_exists(path)
    post, decoder = read_posterior(path, os.path.getsize(path), path, model)
    warn_untrusted(decoder)
    return post


registry.register_result_type(
    registry.ResultType(
        POSTERIOR_FORMAT,
        "posterior",
        lambda obj: isinstance(obj, PosteriorResult),
        save_posterior,
        load_posterior,
    )
)
