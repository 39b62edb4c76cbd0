"""The zip container of MAP results, MAP paths and estimators: stored members, bounded reads.

An archive holds ``header.json`` (the JSON header), one ``arrays/<key>.npy`` member per array
and, for an estimator with a posterior, ``posterior_.nc``. Every member is *stored*, never
compressed: `read_archive` refuses a compressed member (a loader that never inflates cannot be
zip-bombed), reads each ``.npy`` member only after checking its size against its own header, and
reads ``header.json`` only up to `MAX_HEADER_BYTES`.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..files import atomic_write
from .schema import (
    PathLike,
    SchemaError,
    Text,
    check_exists,
    check_format,
    damaged,
    invalid,
)

__all__ = [
    "HEADER",
    "MAX_HEADER_BYTES",
    "MAX_NPY_HEADER_BYTES",
    "check_stored",
    "read_archive",
    "read_format",
    "read_member",
    "read_npy",
    "write_archive",
]

HEADER = "header.json"
# a header holds names, flags and floats (arrays are members of their own): 64 MiB is far more
# than any real one and small enough to read into memory without a second thought
MAX_HEADER_BYTES = 64 * 2**20
# a .npy header is at most a few hundred bytes; NumPy itself refuses more than 10 000
MAX_NPY_HEADER_BYTES = 65536


def write_archive(
    path: PathLike, header: dict[str, Any], arrays: Mapping[str, np.ndarray], extra: Mapping
) -> None:
    """Write the archive atomically (see ``bayesreg.files``), every member stored.

    ``extra`` maps further member names to their bytes.
    """
    with (
        atomic_write(path) as handle,
        zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive,
    ):
        archive.writestr(HEADER, json.dumps(header, indent=1, allow_nan=False))
        for key, array in arrays.items():
            with archive.open(f"arrays/{key}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)
        for name, data in extra.items():
            archive.writestr(name, data)


def check_stored(info: zipfile.ZipInfo) -> None:
    """Refuse a compressed member."""
    if info.compress_type != zipfile.ZIP_STORED:
        raise SchemaError(
            f"member {info.filename}", Text(f"compression method {info.compress_type}"),
            "stored (bayesreg writes no compressed members)",
        )  # fmt: skip


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Read a stored member of at most ``limit`` bytes (reading to the end checks the CRC)."""
    check_stored(info)
    if info.file_size > limit or info.compress_size != info.file_size:
        raise SchemaError(f"member {info.filename}", Text(f"{info.file_size} bytes"), f"<= {limit}")
    with archive.open(info) as member:
        data = member.read(info.file_size + 1)  # reading to the end checks the CRC
    if len(data) != info.file_size:
        raise SchemaError(
            f"member {info.filename}", Text(f"{len(data)} bytes"), f"{info.file_size}"
        )
    return data


def read_npy(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """Read one ``.npy`` member, its size checked against its own header before the data."""
    field = f"member {info.filename}"
    check_stored(info)
    with archive.open(info) as member:
        start = io.BytesIO(member.read(MAX_NPY_HEADER_BYTES))
    version = np.lib.format.read_magic(start)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(start)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(start)
    if dtype.hasobject or dtype.kind not in "biufcUS":
        raise SchemaError(field, Text(f"dtype {dtype}"), "a numeric or string array")
    expected = start.tell() + math.prod(shape) * dtype.itemsize
    if info.file_size != expected:
        raise SchemaError(
            field, Text(f"{info.file_size} bytes"),
            f"{expected} bytes (its header declares shape {shape}, dtype {dtype})",
        )  # fmt: skip
    data = read_member(archive, info, expected)
    return np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)


def _members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    infos = archive.infolist()
    names = [info.filename for info in infos]
    if len(set(names)) != len(names):
        raise ValueError("the archive holds two members of the same name")
    return dict(zip(names, infos, strict=True))


def _read_header(archive: zipfile.ZipFile, members: Mapping[str, zipfile.ZipInfo]) -> dict:
    if HEADER not in members:
        raise ValueError(f"the archive has no {HEADER}")
    header = json.loads(read_member(archive, members[HEADER], MAX_HEADER_BYTES).decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError(f"{HEADER} is not a JSON object")
    return header


def read_archive(
    path: PathLike, expected: str, what: str, extra_members: tuple[str, ...] = ()
) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, bytes]]:
    """Read an archive of format ``expected``: its header, its arrays and its other members.

    ``what`` names the kind of file in messages (``"MAP result"``); ``extra_members`` are the
    names of the members read as bytes (each at most the file's size). A damaged file raises
    ``ValueError`` naming it, the cause chained; a missing one ``FileNotFoundError``.
    """
    path = check_exists(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = _members(archive)
            header = _read_header(archive, members)
            check_format(path, header.get("format"), header.get("format_version"), expected)
            arrays = {}
            extra = {}
            for name, info in members.items():
                if name.startswith("arrays/") and name.endswith(".npy"):
                    arrays[name[len("arrays/") : -len(".npy")]] = read_npy(archive, info)
                elif name in extra_members:
                    extra[name] = read_member(archive, info, os.path.getsize(path))
    except SchemaError as err:
        raise invalid(path, what, err) from err
    except ValueError as err:
        if str(err).startswith(path):  # our own format / version message
            raise
        raise damaged(path, what, err) from err
    except Exception as err:  # zipfile, JSON, npy and OS errors alike
        raise damaged(path, what, err) from err
    return header, arrays, extra


def read_format(path: str) -> Any:
    """Return the ``"format"`` of an archive's header (read within the same limits), or None."""
    try:
        with zipfile.ZipFile(path) as archive:
            return _read_header(archive, _members(archive)).get("format")
    except Exception:  # any damage: the loader of the file's kind reports it in full
        return None
