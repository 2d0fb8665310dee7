"""``bp.save_sharded`` / ``bp.load_sharded``: checkpoints of sharded models, on orbax.

A directory in orbax-checkpoint's format holding ``{state_dict key: array}``.
Every process writes the shards it holds (no gathering on one device or
host), and restoring reads, on each process, only the blocks of the target
shardings it holds. The target of each array is the sharding its Variable
has when ``load_sharded`` runs (``bm.abstract(obj)``): place the model
first (``bm.shard(model, mesh)``).

Multi-process use: every process calls the function with the same
directory (on a file system all of them see) and the same model structure,
at the same point of the program.

orbax-checkpoint is an optional dependency (``pip install
brainobj[sharded]``); ``bp.save``/``bp.load`` need nothing extra.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import jax

from . import math as bm
from ._checkpoint import _refuse_in_transform
from .errors import PackageMissingError

__all__ = ["save_sharded", "load_sharded"]


def _orbax(what: str) -> Any:
    try:
        import orbax.checkpoint as ocp
    except ImportError:
        raise PackageMissingError(
            f"{what} needs orbax-checkpoint: pip install 'brainobj[sharded]' (or "
            "orbax-checkpoint). bp.save / bp.load need nothing extra.") from None
    return ocp


def _owned(obj: Any) -> dict[str, bm.Variable]:
    """``{state_dict key: Variable}``: the Variables a checkpoint of ``obj`` holds."""
    relative = obj.vars(method="relative")
    return {key: relative[key] for key in bm.abstract(obj)}


def _barrier(name: str) -> None:
    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        multihost_utils.sync_global_devices(name)


def save_sharded(directory: str | os.PathLike, obj: Any, *, overwrite: bool = False) -> None:
    """Write ``obj``'s Variables to ``directory`` with orbax, each process its own shards.

    The checkpoint is written under ``<directory>.tmp`` and moved into
    place only when every process has finished, so a failure leaves an
    existing checkpoint as it was.

    Args:
        directory: the checkpoint directory (made absolute; it must not
            exist unless ``overwrite``).
        obj: a :class:`~brainobj.BrainPyObject`.
        overwrite: replace an existing checkpoint at ``directory``.

    Raises:
        MathError: inside a brainobj transform.
        FileExistsError: ``directory`` exists and ``overwrite`` is False.
        PackageMissingError: orbax-checkpoint is not installed.
        OSError: the directory cannot be written (orbax's error).

    Example:
        >>> import os, tempfile, brainobj as bp
        >>> net = bp.Linear(2, 3)
        >>> path = os.path.join(tempfile.mkdtemp(), 'ckpt')
        >>> bp.save_sharded(path, net)
        >>> other = bp.Linear(2, 3)
        >>> _ = bp.load_sharded(path, other)
        >>> bool((other.W.value == net.W.value).all())
        True
    """
    directory = os.path.abspath(os.fspath(directory))
    _refuse_in_transform("bp.save_sharded", directory)
    ocp = _orbax("bp.save_sharded")
    if os.path.exists(directory) and not overwrite:
        raise FileExistsError(f"bp.save_sharded({directory!r}): the directory exists; pass "
                              "overwrite=True to replace it.")
    tree = {key: var.value for key, var in _owned(obj).items()}
    staging = directory + ".tmp"
    if jax.process_index() == 0 and os.path.exists(staging):
        shutil.rmtree(staging)  # left by an earlier failed save
    _barrier("brainobj-save-sharded-start")
    with ocp.StandardCheckpointer() as checkpointer:
        checkpointer.save(staging, tree)
        checkpointer.wait_until_finished()
    _barrier("brainobj-save-sharded-written")
    if jax.process_index() == 0:
        previous = directory + ".old"
        if os.path.exists(directory):
            os.replace(directory, previous)
        os.replace(staging, directory)
        if os.path.exists(previous):
            shutil.rmtree(previous)
    _barrier("brainobj-save-sharded-done")


def load_sharded(directory: str | os.PathLike, obj: Any) -> bm.LoadReport:
    """Restore ``obj``'s Variables from :func:`save_sharded`'s ``directory``.

    Each value is read straight onto the sharding its Variable has now
    (``bm.abstract(obj)``): on every process, only the blocks it holds.
    Keys, shapes and dtypes are checked first against the checkpoint's
    metadata: on a mismatch nothing is loaded.

    Returns:
        A :class:`~brainobj.math.LoadReport` (empty: loading is strict).

    Raises:
        MathError: inside a brainobj transform; the checkpoint's keys,
            shapes or dtypes differ from the object's (naming each).
        FileNotFoundError: ``directory`` does not exist.
        PackageMissingError: orbax-checkpoint is not installed.

    Example:
        See :func:`save_sharded`.
    """
    directory = os.path.abspath(os.fspath(directory))
    _refuse_in_transform("bp.load_sharded", directory)
    ocp = _orbax("bp.load_sharded")
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"bp.load_sharded({directory!r}): no such checkpoint directory.")
    targets = _owned(obj)
    abstract = bm.abstract(obj)
    with ocp.StandardCheckpointer() as checkpointer:
        stored = checkpointer.metadata(directory).item_metadata
        _check_matches(obj, directory, stored, abstract)
        restored = checkpointer.restore(directory, abstract)
    for key, var in targets.items():
        var.value = restored[key]
    return bm.LoadReport([], [], [])


def _check_matches(obj: Any, directory: str, stored: Any, abstract: dict) -> None:
    stored = dict(stored.items())
    missing = [k for k in abstract if k not in stored]
    unexpected = [k for k in stored if k not in abstract]
    mismatched = [f"{k}: expected {abstract[k].dtype}{list(abstract[k].shape)}, got "
                  f"{stored[k].dtype}{list(stored[k].shape)}"
                  for k in abstract if k in stored
                  and (tuple(stored[k].shape) != tuple(abstract[k].shape)
                       or stored[k].dtype != abstract[k].dtype)]
    if missing or unexpected or mismatched:
        problems = ([f"missing {missing}"] if missing else []) + \
                   ([f"unexpected {unexpected}"] if unexpected else []) + \
                   (["mis-shaped [" + "; ".join(mismatched) + "]"] if mismatched else [])
        raise bm.MathError(
            f"bp.load_sharded({directory!r}): the checkpoint does not match {obj.name}: "
            + ", ".join(problems) + ". Nothing was loaded; rebuild the object with the saved "
            "configuration.")
