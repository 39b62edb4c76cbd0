"""Atomic file writes: a reader sees the old file or the whole new one, never a part.

`atomic_write` is the one way bayesreg writes a file (result files, CSV tables, figures,
reports). It yields a file object; on a clean exit of the ``with`` block the data is flushed and
``fsync``-ed, the file is renamed over ``path`` and the directory is ``fsync``-ed, so the new
file survives a crash of the machine. If the block raises, the new data is discarded, ``path``
is left as it was and no temporary file remains.

APIs that write to "a path or a file" take the file object directly::

    with atomic_write(path, "w", newline="") as handle:
        table.to_csv(handle)  # pandas
    with atomic_write(path) as handle:
        figure.savefig(handle, format="png")  # matplotlib: give the format, there is no suffix

How the temporary file is made
------------------------------
On Linux (a kernel and file system with ``O_TMPFILE``: ext4, xfs, btrfs, tmpfs, ...) the data
goes into an *unnamed* file in the target directory, so a writer killed by ``SIGKILL`` (which no
Python cleanup can catch) or a power cut leaves nothing behind: the kernel frees the file. On
success it is given a name with ``linkat("/proc/self/fd/N", name, AT_SYMLINK_FOLLOW)`` (Python's
``os.link`` with ``dst_dir_fd`` and ``follow_symlinks=True``; a plain ``link()`` would try to
link the ``/proc`` entry itself and fail with ``EXDEV``): directly ``path`` when
``path`` does not exist yet (nothing to replace, no window at all), otherwise a unique hidden
name ``.<name>.<random>.tmp`` that is at once renamed over ``path`` (``os.replace``), so only a
kill in the microseconds between that link and that rename leaves a temporary behind.

Elsewhere (macOS, Windows, file systems without ``O_TMPFILE`` such as some network mounts, or
no ``/proc``) the data goes into that hidden, uniquely named file from the start. Any exception
removes it, but a ``SIGKILL`` or a power cut while writing leaves it in the directory (the old
``path`` is still intact); delete stray ``.*.tmp`` files at leisure.

Names are resolved relative to one descriptor of the target directory, opened once, so a
directory renamed meanwhile still gets the file. Where directories cannot be opened (Windows)
the hidden temporary is renamed by path and the directory is not ``fsync``-ed.

The new file's permissions are ``0o666 & ~umask``, as for a file created by a plain ``open()``
(a replaced file's own mode is not kept). A symbolic link at ``path`` is replaced by the file,
not followed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterator
from typing import IO, Any

__all__ = ["atomic_write"]

PathLike = str | os.PathLike

_MODES = ("wb", "w+b", "w", "wt")
_FILE_MODE = 0o666  # what open() asks for; the kernel applies the umask
# names relative to a descriptor of the directory (POSIX; os.replace shares os.rename's
# support); Windows cannot open a directory
DIRECTORY_DESCRIPTORS = hasattr(os, "O_DIRECTORY") and {os.open, os.link, os.rename} <= (
    os.supports_dir_fd
)
# errors with which a directory refuses an unnamed file: kernel or file system without O_TMPFILE
_NO_TMPFILE = {errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT}


def _temporary_name(name: str) -> str:
    return f".{name}.{secrets.token_hex(8)}.tmp"


def open_unnamed(directory: int) -> int | None:
    """Open an unnamed (``O_TMPFILE``) file in ``directory``; ``None`` where unsupported."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.open(".", flag | os.O_RDWR | os.O_CLOEXEC, _FILE_MODE, dir_fd=directory)
    except OSError as err:
        if err.errno in _NO_TMPFILE:
            return None
        raise


def _open_named(directory: int, name: str) -> tuple[int, str]:
    """Create a new hidden file next to ``name`` in ``directory``; its descriptor and name."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        temporary = _temporary_name(name)
        try:
            return os.open(temporary, flags, _FILE_MODE, dir_fd=directory), temporary
        except FileExistsError:  # 64 random bits: practically never
            continue


def _link_unnamed(fd: int, directory: int, name: str) -> str | None:
    """Give the unnamed file ``fd`` a name in ``directory``: ``name`` itself when it is free.

    Returns the temporary name to rename over ``name``, or ``None`` when ``name`` was free.
    ``follow_symlinks=True`` with a ``dir_fd`` makes Python call ``linkat(AT_SYMLINK_FOLLOW)``,
    which links the file that the ``/proc`` link points to (plain ``link()`` would try to link
    the ``/proc`` entry itself and fail with ``EXDEV``).
    """
    source = f"/proc/self/fd/{fd}"
    try:
        os.link(source, name, dst_dir_fd=directory, follow_symlinks=True)
        return None
    except FileExistsError:
        pass
    while True:
        temporary = _temporary_name(name)
        try:
            os.link(source, temporary, dst_dir_fd=directory, follow_symlinks=True)
            return temporary
        except FileExistsError:
            continue


@contextlib.contextmanager
def atomic_write(
    path: PathLike,
    mode: str = "wb",
    *,
    encoding: str | None = None,
    newline: str | None = None,
) -> Iterator[IO[Any]]:
    """Write ``path`` atomically: the ``with`` block writes to a file object, then it is renamed.

    Parameters
    ----------
    path : str or os.PathLike
        The file to create or replace. Its directory must exist.
    mode : {"wb", "w+b", "w", "wt"}, default="wb"
        Binary, binary read-write (for writers that read back what they wrote, such as HDF5 /
        netCDF) or text, as for `open`.
    encoding : str, optional
        Text mode only; default ``"utf-8"`` (not the locale's encoding, so that files are the
        same on every machine).
    newline : str, optional
        Text mode only, as for `open` (``""`` for the `csv` module and pandas).

    Yields
    ------
    file object
        Open for writing; do not close it (closing happens on exit). Pass it to any API that
        takes a file object (``DataFrame.to_csv``, ``Figure.savefig`` with ``format=``,
        ``json.dump``, ``numpy.save``, ``zipfile.ZipFile``).

    Raises
    ------
    ValueError
        If ``mode`` is not a write mode listed above, or ``encoding`` / ``newline`` are given
        in binary mode.
    OSError
        From the file system (no such directory, no permission, disk full); ``path`` is
        untouched then.

    Notes
    -----
    The module docstring describes the temporary file (unnamed with ``O_TMPFILE`` on Linux, a
    hidden ``.<name>.<random>.tmp`` file elsewhere), the ``fsync`` of file and directory and the
    permissions (``0o666 & ~umask``).

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "note.txt")
    >>> with atomic_write(path, "w") as handle:
    ...     _ = handle.write("all or nothing")
    >>> open(path).read()
    'all or nothing'
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {', '.join(map(repr, _MODES))}; got {mode!r}.")
    binary = "b" in mode
    if binary and (encoding is not None or newline is not None):
        raise ValueError("encoding and newline are for text mode (mode='w'), not binary mode.")
    path = os.path.abspath(os.fspath(path))
    if not DIRECTORY_DESCRIPTORS:
        with _write_by_path(path, mode, encoding, newline) as handle:
            yield handle
        return
    folder, name = os.path.split(path)
    directory = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fd = open_unnamed(directory)
        temporary = None
        if fd is None:
            fd, temporary = _open_named(directory, name)
        try:
            with _open_handle(fd, mode, encoding, newline) as handle:
                yield handle
                handle.flush()
                os.fsync(fd)
                if temporary is None:
                    temporary = _link_unnamed(fd, directory, name)
            if temporary is not None:
                os.replace(temporary, name, src_dir_fd=directory, dst_dir_fd=directory)
                temporary = None
            os.fsync(directory)
        finally:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temporary, dir_fd=directory)
    finally:
        os.close(directory)


@contextlib.contextmanager
def _write_by_path(
    path: str, mode: str, encoding: str | None, newline: str | None
) -> Iterator[IO[Any]]:
    """Where directories cannot be opened (Windows): a named temporary, renamed by path."""
    folder, name = os.path.split(path)
    temporary = os.path.join(folder, _temporary_name(name))
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(temporary, flags, _FILE_MODE)
    try:
        with _open_handle(fd, mode, encoding, newline) as handle:
            yield handle
            handle.flush()
            os.fsync(fd)
        os.replace(temporary, path)  # after closing: Windows cannot rename an open file
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _open_handle(fd: int, mode: str, encoding: str | None, newline: str | None) -> IO[Any]:
    try:
        if "b" in mode:
            return os.fdopen(fd, mode)
        return os.fdopen(fd, "w", encoding=encoding or "utf-8", newline=newline)
    except BaseException:
        os.close(fd)
        raise
