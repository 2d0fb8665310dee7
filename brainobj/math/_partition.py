"""Pytrees holding objects: what crosses a JAX transform, and how to rebuild.

JAX transforms take arrays; brainobj's user functions take live objects.
:func:`partition` is the one way every transform separates the two, on
equinox's filtering: the array leaves go through the JAX primitive, and
:func:`partition`'s ``rebuild`` puts the live objects back around whatever
came out (tracers, batched slices), so the user's function works on the
real Variables rather than on copies JAX made of them. Objects and Variables
are leaves here: the walk never descends into them (that would record reads
of every Variable, and copy the objects).
"""

from __future__ import annotations

from typing import Any, Callable

import equinox as eqx
import jax.tree_util as jtu

from ._errors import MathError
from ._graph import short_repr
from ._object import BrainPyObject
from ._variable import Variable

__all__ = ["is_state", "is_dynamic", "partition", "values_only"]


def is_state(x: Any) -> bool:
    """An object or a Variable: state the transforms manage in place."""
    return isinstance(x, (BrainPyObject, Variable))


def is_dynamic(x: Any) -> bool:
    """A leaf that a transform traces (an array, a numpy scalar or a Python
    number); everything else that is not state stays a Python value."""
    return not isinstance(x, Variable) and eqx.is_array_like(x)


def partition(tree: Any, keep: Callable[[Any], bool] = eqx.is_array) -> tuple[Any, Callable[[Any], Any]]:
    """Split ``tree`` into ``(arrays, rebuild)``.

    ``arrays`` is ``tree`` with every leaf that ``keep`` rejects -- objects,
    Variables, strings, Python numbers by default -- replaced by ``None``: it
    can cross a JAX transform. ``rebuild(new_arrays)`` puts the other leaves
    back, the live objects themselves included.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> obj = bp.BrainPyObject()
        >>> arrays, rebuild = partition((obj, bm.ones(2), "mode"))
        >>> arrays
        (None, Array([1., 1.], dtype=float32), None)
        >>> rebuild(arrays)[0] is obj
        True
    """
    arrays, rest = eqx.partition(tree, lambda x: not is_state(x) and keep(x), is_leaf=is_state)

    def rebuild(new_arrays: Any) -> Any:
        return eqx.combine(new_arrays, rest, is_leaf=is_state)

    return arrays, rebuild


def values_only(out: Any, owner: str, arrays_only: bool = True) -> Any:
    """A transformed function's output with its Variables replaced by their values.

    Objects cannot be returned: their state lives in their Variables, which
    the transform updates in place. Nor can other Python values (strings,
    arbitrary objects): JAX returns only arrays -- except where they pass
    through untouched (``arrays_only=False``: the auxiliary output of ``grad``).

    Raises:
        MathError: an output leaf is an object or not array-like, naming its
            place in the output (``output[1]['loss']``).
    """

    def leaf(path: tuple, x: Any) -> Any:
        if isinstance(x, Variable):
            return x.value
        where = "output" + jtu.keystr(path)
        if isinstance(x, BrainPyObject):
            raise MathError(
                f"{owner}: the function returned the object {x.name} (as {where}); return "
                "arrays instead (the live "
                "object's Variables are updated in place)."
            )
        if arrays_only and not eqx.is_array_like(x):
            raise MathError(
                f"{owner}: the function returned a {type(x).__name__}, {short_repr(x, 40)} (as "
                f"{where}), not an array; "
                "a transformed function returns only arrays, numbers and containers of "
                "them. Return other values from code outside the transform."
            )
        return x

    return jtu.tree_map_with_path(leaf, out, is_leaf=is_state)


def strip_variables(tree: Any) -> Any:
    """Variables among operands enter as their values; objects stay as they are."""
    return jtu.tree_map(lambda x: x.value if isinstance(x, Variable) else x, tree, is_leaf=is_state)


