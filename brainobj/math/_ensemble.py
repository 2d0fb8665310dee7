"""``bm.stack_objects`` / ``bm.unstack_objects``: ensembles of same-structure objects.

An ensemble is one object whose Variables stack its members' along a new
axis 0; ``bm.vmap(..., in_axes=0)`` then runs every member at once.
"""

from __future__ import annotations

import copy
from typing import Any, Sequence

import jax.numpy as jnp
import numpy as np

from ._errors import MathError
from ._graph import structure
from ._tracing import in_transform

__all__ = ["stack_objects", "unstack_objects"]


def stack_objects(objects: Sequence[Any]) -> Any:
    """One object whose Variables stack those of ``objects`` along a new axis 0.

    All objects must have the same structure: same classes and attributes,
    same Variable shapes and dtypes, and equal static attributes and array
    constants (the result keeps the first object's; a mismatch raises
    :class:`~brainobj.math.MathError` naming the attribute). The result is a
    deep copy of the first with stacked values: map over it with
    ``bm.vmap(..., in_axes=0)``.

    Raises:
        MathError: called inside a transform, given no objects, or the objects differ in
            their Variables' paths, shapes or dtypes, or in their static attributes (naming the
            first difference).

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> class Scale(bp.BrainPyObject):
        ...     def __init__(self, s):
        ...         self.s = bm.Variable(bm.asarray([s]))
        >>> bm.stack_objects([Scale(1.), Scale(2.)]).s.value
        Array([[1.],
               [2.]], dtype=float32)
    """
    if in_transform():
        raise MathError("bm.stack_objects: build ensembles outside transforms.")
    objects = list(objects)
    if not objects:
        raise MathError("bm.stack_objects: got no objects.")
    collections = [obj.vars(method="relative") for obj in objects]
    first = collections[0]
    reference = _layout(objects[0])
    for i, obj in enumerate(objects[1:], 1):
        _check_same_layout(reference, _layout(obj), i)
    for i, other in enumerate(collections[1:], 1):
        if list(other) != list(first):
            raise MathError(f"bm.stack_objects: object {i} has Variables {list(other)}, object 0 has {list(first)}.")
        for key, var in other.items():
            ref = first[key]
            if var.shape != ref.shape or var.dtype != ref.dtype:
                raise MathError(
                    f"bm.stack_objects: {key}: object {i} has {var.dtype}{list(var.shape)}, "
                    f"object 0 has {ref.dtype}{list(ref.shape)}."
                )
    result = copy.deepcopy(objects[0])
    for key, var in result.vars(method="relative").items():
        var._value = jnp.stack([c[key].value for c in collections])
    return result


def _layout(obj: Any) -> list[tuple[str, Any, Any]]:
    """``(path, comparable part, shown value)`` for everything below ``obj``.

    The stacked copy keeps the first member's static attributes and array
    constants, so members must agree on them; arrays are compared by
    content, not identity.
    """
    found = structure([("", obj)])
    arrays = iter(found.arrays)
    out = []
    for path, part, shown in zip(found.paths, found.key, found.shown):
        if part[0] == "array":
            array = np.asarray(next(arrays))
            part = ("array", array.shape, array.dtype, array.tobytes())
            shown = f"an array of shape {array.shape}"
        elif part[0] == "var":
            shown = f"a {part[1].__name__} {part[3]}{list(part[2])}"
        elif part[0] == "node":
            shown = f"a {part[1].__name__}"
        else:
            shown = repr(shown)
        out.append((path or "<root>", part, shown))
    return out


def _check_same_layout(reference: list, other: list, index: int) -> None:
    for (path, part, shown), (other_path, other_part, other_shown) in zip(reference, other):
        if path != other_path or part != other_part:
            where = path if path == other_path else f"{path} / {other_path}"
            if part[0] == other_part[0] == "array":
                detail = "arrays with different values"
            elif part[0] == other_part[0] == "node" and shown == other_shown:
                # two classes with one name (a class statement run twice, say
                # inside a factory function): only the class objects differ
                detail = (f"{other_shown} where object 0 has {shown}, but they are two "
                          f"different classes named {part[1].__qualname__!r} "
                          f"(defined in {part[1].__module__}); build every member from one class")
            else:
                detail = f"{other_shown} where object 0 has {shown}"
            raise MathError(
                f"bm.stack_objects: object {index} differs from object 0 at {where}: {detail}. "
                "Members of an ensemble may differ only in their Variables' values (the "
                "stacked object keeps object 0's other attributes); make it a Variable if it "
                "should vary per member."
            )
    if len(reference) != len(other):
        raise MathError(
            f"bm.stack_objects: object {index} has {len(other)} attributes/Variables in all, "
            f"object 0 has {len(reference)}; members must have the same structure."
        )


def unstack_objects(stacked: Any) -> list:
    """Split an object made by :func:`stack_objects` back into one object per element.

    Every Variable must have the same leading (ensemble) axis; each member
    is a deep copy of ``stacked`` holding its slice.

    Raises:
        MathError: called inside a transform, or given an object whose Variables lack a
            common leading (ensemble) axis.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> class Scale(bp.BrainPyObject):
        ...     def __init__(self, s):
        ...         self.s = bm.Variable(bm.asarray([s]))
        >>> ensemble = bm.stack_objects([Scale(1.), Scale(2.)])
        >>> first, second = bm.unstack_objects(ensemble)
        >>> first.s.value, second.s.value
        (Array([1.], dtype=float32), Array([2.], dtype=float32))
    """
    if in_transform():
        raise MathError("bm.unstack_objects: split ensembles outside transforms.")
    variables = stacked.vars(method="relative")
    leading = {key: (var.shape[0] if var.ndim else None) for key, var in variables.items()}
    sizes = set(leading.values())
    if len(sizes) != 1 or None in sizes:
        detail = ", ".join(f"{key}: {tuple(variables[key].shape)}" for key in leading)
        raise MathError(
            "bm.unstack_objects: every Variable needs the same leading (ensemble) axis, but "
            f"the shapes are {detail}. Unstack only objects built by bm.stack_objects (or "
            "whose Variables all carry the ensemble axis first)."
        )
    n = sizes.pop()
    members = []
    for i in range(n):
        member = copy.deepcopy(stacked)
        for key, var in member.vars(method="relative").items():
            var._value = variables[key].value[i]
        members.append(member)
    return members
