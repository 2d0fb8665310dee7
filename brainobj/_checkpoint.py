"""``bp.save`` / ``bp.load``: checkpoints as ``.npz`` files, written atomically.

The file is a zip archive with one ``<key>.npy`` member per Variable, what
``np.savez`` writes, so ``np.load(path, allow_pickle=False)`` reads it too.
Dtypes the ``.npy`` format cannot name (``bfloat16`` and the other
``ml_dtypes``: NumPy would store them as raw ``|V2`` bytes that load as no
number type) are stored as their bit pattern, an unsigned int of the same
width, and listed by dtype name in one JSON member, ``brainobj-dtypes.json``
(``{"bits": {key: dtype name}}``). Its name has no ``.npy`` suffix, so no key
can collide with it. Files without it (written before it existed, or by
plain ``np.savez``) load as plain arrays.
"""

from __future__ import annotations

import errno
import json
import math
import os
import secrets
import zipfile
from typing import Any

import numpy as np
from numpy.lib import format as npy

from . import math as bm

__all__ = ["save", "load"]

_DTYPES_MEMBER = "brainobj-dtypes.json"
_NPY_MAGIC = npy.MAGIC_PREFIX   # b"\x93NUMPY": the start of a single .npy array
_CHUNK = 1 << 24


def _refuse_in_transform(what: str, path: str) -> None:
    if bm.in_transform():
        raise bm.MathError(
            f"{what}({path!r}): cannot read or write checkpoints inside a brainobj transform: "
            "it would run once, at trace time, with traced values. Save or load outside "
            "the jitted function (e.g. every N steps of the Python training loop)."
        )


def _portable(dtype: np.dtype) -> bool:
    """Whether a ``.npy`` header names ``dtype`` so that reading gives it back."""
    try:
        return npy.descr_to_dtype(npy.dtype_to_descr(dtype)) == dtype
    except (TypeError, ValueError):   # e.g. float8_e5m2 is described as '<f1', unknown to numpy
        return False




def _os_error(error: OSError, what: str, path: str, context: str = "") -> OSError:
    """``error`` (same type, so ``except FileNotFoundError`` still works) with
    a message naming the user's ``path``, not a temporary file."""
    # no filename argument: str() would append it, and the message names it already
    return type(error)(error.errno, f"{what}({path!r}): {context}{error.strerror}")


def _create_temporary(directory: str) -> tuple[int, str]:
    # os.open with mode 0o666 lets the kernel apply the umask (and any default
    # ACL of the directory), so the checkpoint gets the mode a plain open()
    # would give, without reading the umask: tempfile.mkstemp would give 0o600,
    # and fixing that afterwards needs the umask, whose only portable reader,
    # os.umask(0) + restore, changes it process-wide for a moment (files other
    # threads create then get 0o666). O_EXCL never reuses an existing file; 64
    # random bits make a clash (an error naming the target) practically impossible.
    temporary = os.path.join(directory, f".tmp-{secrets.token_hex(8)}.npz")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    return os.open(temporary, flags, 0o666), temporary


def save(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj.state_dict()`` to ``path`` (a numpy ``.npz`` file).

    The file is written next to ``path`` under a temporary name and renamed
    over it only when complete: a crash or an error mid-save leaves the old
    checkpoint intact and no temporary file behind. Every dtype round-trips
    exactly (``bfloat16`` and ``float16`` included, NaN payloads too). Keys
    are stored as archive member names, never as keyword arguments, so any
    attribute path works (``'file'``, ``'allow_pickle'``, ``'a/b'``). The
    file gets the mode the process umask implies (``0o644`` under ``022``).
    No pickle is involved.

    Args:
        path: the file to write (replaced if it exists); used as given, no
            ``.npz`` suffix is added.
        obj: a :class:`~brainobj.BrainPyObject`.

    Raises:
        MathError: called inside a brainobj transform; or a Variable whose
            dtype cannot be stored (wider than 8 bytes and unknown to ``.npy``).
        FileNotFoundError: the directory of ``path`` does not exist.
        IsADirectoryError: ``path`` is an existing directory.
        PermissionError: the directory is not writable.
        OSError: any other failure to write (disk full, ...). Each names ``path``.

    Example:
        >>> import os, tempfile, brainobj as bp
        >>> net = bp.Linear(2, 3)
        >>> path = os.path.join(tempfile.mkdtemp(), 'net.npz')
        >>> bp.save(path, net)
        >>> other = bp.Linear(2, 3)
        >>> _ = bp.load(path, other)
        >>> bool((other.W.value == net.W.value).all())
        True
    """
    path = os.fspath(path)
    _refuse_in_transform("bp.save", path)
    stored, dtypes = obj.state_dict(), {}
    for key, value in stored.items():
        if "\0" in key:   # zipfile cuts member names at NUL: it would load under another key
            raise bm.MathError(f"bp.save({path!r}): key {key!r} contains a NUL character.")
        if not _portable(value.dtype):   # bfloat16, float8_*, ...: store the bit pattern
            if value.dtype.itemsize not in (1, 2, 4, 8):
                raise bm.MathError(f"bp.save({path!r}): key {key!r} has dtype {value.dtype}, "
                                   "which a checkpoint cannot store.")
            stored[key], dtypes[key] = value.view(f"u{value.dtype.itemsize}"), value.dtype.name
    if os.path.isdir(path):
        raise _os_error(IsADirectoryError(errno.EISDIR, "is a directory; expected a file path"),
                        "bp.save", path)
    directory = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = _create_temporary(directory)
    except OSError as error:
        raise _os_error(error, "bp.save", path, f"cannot create a file in {directory!r}: ") from None
    try:
        with os.fdopen(handle, "wb") as f:
            with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
                for key, value in stored.items():
                    # force_zip64: the member's size is unknown when the entry opens
                    with archive.open(key + ".npy", "w", force_zip64=True) as member:
                        npy.write_array(member, value, allow_pickle=False)
                if dtypes:
                    archive.writestr(_DTYPES_MEMBER, json.dumps({"bits": dtypes}))
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        if os.path.exists(temporary):
            os.remove(temporary)
        if isinstance(error, OSError) and error.errno is not None:
            raise _os_error(error, "bp.save", path) from None
        raise


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """One ``.npy`` member, its header checked against its size before any
    allocation (a 100-byte member may declare a terabyte)."""
    with archive.open(info) as member:
        version = npy.read_magic(member)
        if version == (1, 0):
            shape, fortran, dtype = npy.read_array_header_1_0(member)
        elif version in ((2, 0), (3, 0)):   # 3.0 differs from 2.0 only in a utf-8 header
            shape, fortran, dtype = npy.read_array_header_2_0(member)
        else:
            raise ValueError(f"unknown .npy format version {version}")
        if dtype.hasobject:
            raise ValueError("it holds Python objects, which only pickle could load")
        declared = math.prod(shape) * dtype.itemsize
        available = info.file_size - member.tell()
        if declared != available:
            raise ValueError(f"its header declares {dtype}{list(shape)} ({declared} bytes) "
                             f"but it holds {available} bytes")
        # in chunks: a zip entry may also lie about its size, and one read(n)
        # allocates n bytes up front; chunks grow only with the bytes really there
        data = bytearray()
        while len(data) < declared:
            chunk = member.read(min(_CHUNK, declared - len(data)))
            if not chunk:
                raise ValueError(f"it ends after {len(data)} of {declared} bytes")
            data += chunk
    return np.frombuffer(data, dtype).reshape(shape, order="F" if fortran else "C")


def _read_record(data: bytes) -> dict:
    record = json.loads(data)
    bits = record.get("bits") if isinstance(record, dict) else None
    if not (isinstance(bits, dict) and all(isinstance(v, str) for v in bits.values())):
        raise ValueError("it holds no {key: dtype name} table")
    return bits


def _read_archive(path: str) -> dict[str, np.ndarray]:
    def fail(why: str, where: str = "") -> None:
        raise bm.MathError(f"bp.load({path!r}{where}): not a readable brainobj checkpoint: "
                           f"{why}.")

    with open(path, "rb") as f:
        if f.read(len(_NPY_MAGIC)) == _NPY_MAGIC:
            fail("it is a single .npy array; expected a .npz archive written by bp.save")
        f.seek(0)
        try:
            archive = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
            fail(f"expected a .npz (zip) archive written by bp.save ({error})")
        values, bits = {}, {}
        with archive:
            for info in archive.infolist():
                name = info.filename
                key = name[:-4] if name.endswith(".npy") else None
                where = f", member {name!r}" if key is None else f", key {key!r}"
                if key is None and name != _DTYPES_MEMBER:
                    fail("an unexpected member, not a .npy array", where)
                if key in values:
                    fail("a second member with this key", where)
                try:
                    if key is None:
                        bits = _read_record(archive.read(info))
                    else:
                        values[key] = _read_member(archive, info)
                except EOFError:   # zipfile: the data ends before the entry's stated size
                    fail("it ends before its stated size (truncated)", where)
                except (zipfile.BadZipFile, ValueError, OSError) as error:
                    fail(str(error) if type(error) is ValueError
                         else f"{type(error).__name__}: {error}", where)
    for key, name in bits.items():
        stored = values.get(key)
        try:
            dtype = np.dtype(name)
        except (TypeError, ValueError):
            dtype = None
        # only dtypes save() encodes, of the width stored: never reinterpret other bits
        if (stored is None or dtype is None or _portable(dtype) or stored.dtype.kind != "u"
                or stored.dtype.itemsize != dtype.itemsize):
            fail(f"{_DTYPES_MEMBER} lists dtype {name!r}, which does not fit the stored "
                 f"{'nothing' if stored is None else stored.dtype}", f", key {key!r}")
        values[key] = stored.view(dtype)
    return values


def load(path: str | os.PathLike, obj: Any, strict: bool = True) -> bm.LoadReport:
    """Load a checkpoint written by :func:`save` into ``obj``.

    Loading executes no code (no pickle). Keys are attribute paths, so any
    object built the same way loads, in any process. Every member is read
    and checked (its header against its size, before allocating) and then
    every key against ``obj`` before any Variable is assigned: a failed load
    changes nothing. Archives written by plain ``np.savez`` load too.

    Args:
        path: a file written by :func:`save`.
        obj: the :class:`~brainobj.BrainPyObject` to load into.
        strict: see :meth:`~brainobj.BrainPyObject.load_state_dict`.

    Returns:
        The :class:`~brainobj.math.LoadReport` of skipped keys (empty when strict).

    Raises:
        MathError: called inside a brainobj transform; ``path`` is a
            directory, a single ``.npy`` array, not a zip archive, truncated
            or corrupt, holds pickled objects, or declares an array larger
            than its data (named with the key); or, with ``strict``, a key
            is missing, unexpected or mis-shaped.
        FileNotFoundError: ``path`` does not exist.
        PermissionError: ``path`` is not readable.
        OSError: any other failure to open ``path``. Each names ``path``.

    Example:
        >>> import os, tempfile, brainobj as bp
        >>> path = os.path.join(tempfile.mkdtemp(), 'net.npz')
        >>> bp.save(path, bp.Linear(2, 3))
        >>> bp.load(path, bp.Linear(2, 3))
        LoadReport(missing=[], unexpected=[], mismatched=[])
        >>> try:
        ...     bp.load(path, bp.Linear(2, 4))   # another shape: refused, nothing loaded
        ... except bp.MathError as error:
        ...     print('mis-shaped' in str(error))
        True
    """
    path = os.fspath(path)
    _refuse_in_transform("bp.load", path)
    if os.path.isdir(path):
        raise bm.MathError(f"bp.load({path!r}): is a directory; expected a checkpoint file "
                           "written by bp.save.")
    try:
        values = _read_archive(path)
    except OSError as error:   # opening the file; reading errors are MathErrors already
        raise _os_error(error, "bp.load", path) from None
    return obj.load_state_dict(values, strict=strict)
