"""``bp.save`` / ``bp.load``: checkpoints as ``.npz`` files, written atomically."""

from __future__ import annotations

import os
import tempfile
import zipfile
from typing import Any

import numpy as np

from . import math as bm

__all__ = ["save", "load"]


def _refuse_in_transform(what: str, path: str) -> None:
    if bm.in_transform():
        raise bm.MathError(
            f"{what}({path!r}): cannot read or write checkpoints inside a brainobj transform: "
            "it would run once, at trace time, with traced values. Save or load outside "
            "the jitted function (e.g. every N steps of the Python training loop)."
        )


def save(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj.state_dict()`` to ``path`` (a numpy ``.npz`` file).

    The file is written next to ``path`` under a temporary name and renamed
    over it only when complete: a crash mid-save leaves the old checkpoint
    intact. No pickle is involved.

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
    state = obj.state_dict()
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(handle, "wb") as f:
            np.savez(f, **state)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def load(path: str | os.PathLike, obj: Any, strict: bool = True) -> bm.LoadReport:
    """Load a checkpoint written by :func:`save` into ``obj``.

    Loading executes no code (``allow_pickle=False``). Keys are attribute
    paths, so any object built the same way loads, in any process. See
    :meth:`~brainobj.BrainPyObject.load_state_dict` for ``strict``.
    """
    path = os.fspath(path)
    _refuse_in_transform("bp.load", path)
    try:
        with np.load(path, allow_pickle=False) as data:
            values = {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise bm.MathError(f"{path}: not a readable brainobj checkpoint ({error}).") from error
    return obj.load_state_dict(values, strict=strict)
