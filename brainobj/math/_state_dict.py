"""An object's Variables as a flat ``{relative path: array}`` dict, and back."""

from __future__ import annotations

from typing import Any, Mapping, NamedTuple

import numpy as np

from ._errors import MathError
from ._graph import collect
from ._layout import put_like
from ._tracing import in_transform

__all__ = ["state_dict", "load_state_dict", "LoadReport"]


class LoadReport(NamedTuple):
    """What :func:`load_state_dict` skipped (only non-empty with ``strict=False``)."""

    missing: list
    unexpected: list
    mismatched: list

    @property
    def missing_keys(self) -> list:
        """BrainPy's name (``StateLoadResult.missing_keys``) for :attr:`missing`."""
        return self.missing

    @property
    def unexpected_keys(self) -> list:
        """BrainPy's name (``StateLoadResult.unexpected_keys``) for :attr:`unexpected`."""
        return self.unexpected


def state_dict(obj: Any) -> dict[str, np.ndarray]:
    """``{'l1.W': array, ...}``: every Variable under ``obj`` by attribute path.

    Paths do not depend on object names or creation order, so a model
    rebuilt in another process has the same keys. Variables reached only
    through an attribute a class declares as a reference (an optimizer's
    ``vars_to_train``) are left to their owner.
    """
    out = {}
    for key, var in checkpointed(obj).items():
        value = var.value
        if not getattr(value, "is_fully_addressable", True):
            raise MathError(
                f"{key}: its value spans devices of other processes, so this process cannot "
                "read all of it. Use bp.save_sharded(directory, obj) (every process writes its "
                "own shards), or gather it first with "
                "jax.experimental.multihost_utils.process_allgather.")
        out[key] = np.asarray(value)
    return out


def checkpointed(obj: Any) -> Mapping[str, Any]:
    """``{relative path: Variable}`` of what a checkpoint of ``obj`` holds."""
    # State an object merely points to (an optimizer's `vars_to_train`) is
    # saved by its owner, under the owner's path, never through the pointer:
    # those keys would hold object names, which differ between processes.
    return collect(obj, "relative", skip_references=True)[1]


def load_state_dict(obj: Any, values: Mapping[str, Any], strict: bool = True) -> LoadReport:
    """Assign ``values`` (as made by :func:`state_dict`) to ``obj``'s Variables.

    Every entry is checked before any is assigned. With ``strict=True`` a
    missing, unexpected or mis-shaped entry raises
    :class:`~brainobj.math.MathError` naming every offending key, and nothing
    changes. With ``strict=False`` the matching entries are loaded and the
    others reported in the returned :class:`LoadReport`.
    """
    if in_transform():
        raise MathError(f"{obj.name}: load a state dict outside transforms.")
    targets = checkpointed(obj)
    missing = [k for k in targets if k not in values]
    unexpected = [k for k in values if k not in targets]
    mismatched, ready = [], []
    for key, var in targets.items():
        if key not in values:
            continue
        value = np.asarray(values[key])
        if value.shape != tuple(var.shape) or value.dtype != np.dtype(var.dtype):
            mismatched.append(f"{key}: expected {np.dtype(var.dtype)}{list(var.shape)}, "
                              f"got {value.dtype}{list(value.shape)}")
            continue
        ready.append((var, value))
    if strict and (missing or unexpected or mismatched):
        problems = []
        if missing:
            problems.append(f"missing {missing}")
        if unexpected:
            problems.append(f"unexpected {unexpected}")
        if mismatched:
            problems.append("mis-shaped [" + "; ".join(mismatched) + "]")
        raise MathError(
            f"{obj.name}: the state dict does not match the object: " + ", ".join(problems)
            + ". Nothing was loaded; rebuild the object with the saved configuration, or pass "
            "strict=False to load the entries that match."
        )
    for var, value in ready:
        var.value = put_like(value, var._value)  # on the sharding the Variable has
    return LoadReport(missing, unexpected, [m.split(":")[0] for m in mismatched])
