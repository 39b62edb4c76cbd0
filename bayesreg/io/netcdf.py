"""The netCDF (HDF5) container of posterior results: written uncompressed, read size-checked.

`write_netcdf` writes root attributes and groups as ``InferenceData.to_netcdf`` does, but into a
file object (so that the file is written by ``atomic_write``), every variable uncompressed.
Before reading any data, `check_netcdf_sizes` adds up the sizes that the variables declare
(HDF5 can declare data that a file does not hold: compressed chunks, unwritten chunks read as
fill values) and refuses a file that declares more than `MAX_INFLATION` times its own size or
`INFLATION_ALLOWANCE` bytes, whichever is larger.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import IO, Any

import h5py
import numpy as np
import xarray as xr

from .schema import SchemaError, Text

__all__ = [
    "INFLATION_ALLOWANCE",
    "MAX_INFLATION",
    "check_netcdf_sizes",
    "read_format",
    "read_netcdf",
    "write_netcdf",
]

# compressed netCDF variables (earlier bayesreg versions wrote ArviZ's zlib) may inflate to
# this many times the file, or INFLATION_ALLOWANCE: float draws shrink by about 1.1x, constant
# ones by up to ~1000x, so 20x passes any real posterior and stops a small file posing as GBs
MAX_INFLATION = 20
INFLATION_ALLOWANCE = 256 * 2**20


def write_netcdf(
    handle: IO[bytes],
    attrs: Mapping[str, Any],
    groups: Mapping[str, xr.Dataset],
    arrays: Mapping[str, np.ndarray],
    array_group: str,
) -> None:
    """Write root ``attrs``, each of ``groups`` and the ``arrays`` (in group ``array_group``).

    ``handle`` is a seekable, readable binary file object; nothing is compressed.
    """
    xr.Dataset(attrs=dict(attrs)).to_netcdf(handle, mode="w", engine="h5netcdf")
    for name, group in groups.items():
        group.to_netcdf(handle, mode="a", group=name, engine="h5netcdf")
    if arrays:
        stored = xr.Dataset(
            {
                key: ([f"{key}_dim_{i}" for i in range(array.ndim)], array)
                for key, array in arrays.items()
            }
        )
        stored.to_netcdf(handle, mode="a", group=array_group, engine="h5netcdf")


def check_netcdf_sizes(source: str | IO[bytes], size: int) -> None:
    """Refuse a file whose variables declare more data than it can hold (see the module doc)."""
    declared = []

    def add(name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Dataset) and obj.shape is not None:
            declared.append(math.prod(obj.shape) * obj.dtype.itemsize)

    with h5py.File(source, "r") as file:
        file.visititems(add)
    limit = max(MAX_INFLATION * size, INFLATION_ALLOWANCE)
    if sum(declared) > limit:
        raise SchemaError(
            "the variables", Text(f"{sum(declared)} bytes"),
            f"at most {limit} bytes ({MAX_INFLATION} times the file's {size} bytes, or "
            f"{INFLATION_ALLOWANCE} bytes)",
        )  # fmt: skip


def read_netcdf(source: str | IO[bytes]) -> tuple[dict[str, Any], dict[str, xr.Dataset]]:
    """Root attributes and every group of a netCDF file, read into memory."""
    with h5py.File(source, "r") as file:
        names = [name for name, obj in file.items() if isinstance(obj, h5py.Group)]
    groups = {}
    for name in names:
        with xr.open_dataset(source, group=name, engine="h5netcdf") as data:
            groups[name] = data.load()
    with xr.open_dataset(source, engine="h5netcdf") as data:
        attrs = dict(data.attrs)
    return attrs, groups


def read_format(path: str) -> Any:
    """Return the root attribute ``bayesreg_format`` of a netCDF file (no data read), or None."""
    try:
        with h5py.File(path, "r") as file:
            found = file.attrs.get("bayesreg_format")
    except Exception:  # any damage: the loader of the file's kind reports it in full
        return None
    return found.decode() if isinstance(found, bytes) else found
