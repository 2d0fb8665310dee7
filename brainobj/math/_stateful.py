"""Turning a function that touches Variables into a pure function.

Every transform is built from the two steps here:

1. :func:`discover` runs the function abstractly once and records which
   Variables it reads (before writing them) and which it writes.
2. :func:`call_with_state` runs it with the read Variables' boxes holding the
   values the transform gives it (tracers, inside ``jax.jit``) and returns the
   function's output plus the written Variables' new values -- a pure function
   of its inputs that JAX can trace.

Both push a :class:`~brainobj.math._state.TraceFrame` and pop it in a
``finally``: whatever the function does or raises, every Variable holds the
value it had before, and no tracer stays behind in a live object.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import jax
import jax.tree_util as jtu
import numpy as np

from ._state import TraceFrame, pop_frame, push_frame
from ._variable import MathError, Variable


class Replan(Exception):
    """The traced function touched Variables the plan did not expect.

    Raised while JAX re-traces a cached pure function (for new argument
    shapes, say) and the function takes a path that reads or writes other
    Variables than the first trace did; the transform then plans again.
    """

    def __init__(self, frame: TraceFrame | None = None) -> None:
        super().__init__("the set of Variables touched by the function changed")
        self.reads = list(frame.reads.values()) if frame else []
        self.writes = list(frame.writes.values()) if frame else []


def discover(fun: Callable, args: tuple, kwargs: dict, owner: str) -> tuple[list, list, Any]:
    """Which Variables ``fun(*args, **kwargs)`` reads and writes.

    Array arguments are traced abstractly (``jax.eval_shape``); Variables keep
    their concrete values while the function runs, and every write is undone.
    Returns ``(reads, writes, output_shapes)``.
    """
    frame = push_frame(owner)
    try:
        shapes = jax.eval_shape(lambda a, k: _values_only(fun(*a, **k), owner), args, kwargs)
    finally:
        pop_frame(frame)
    return list(frame.reads.values()), list(frame.writes.values()), shapes


def call_with_state(
    fun: Callable,
    args: tuple,
    kwargs: dict,
    read_vars: Sequence[Variable],
    read_values: Sequence[Any],
    write_vars: Sequence[Variable],
    owner: str,
) -> tuple[Any, list]:
    """Run ``fun`` with ``read_vars`` holding ``read_values``; return ``(out, new)``.

    ``new`` holds the values of ``write_vars`` after the call. Raises
    :class:`Replan` if the function touched a Variable outside ``read_vars``
    and ``write_vars``, or failed to write one of ``write_vars``.
    """
    frame = push_frame(owner)
    try:
        for var, value in zip(read_vars, read_values):
            frame.swap_in(var, value)
        out = _values_only(fun(*args, **kwargs), owner)
        if not _as_planned(frame, read_vars, write_vars):
            raise Replan(frame)
        new = [var._value for var in write_vars]
    finally:
        pop_frame(frame)
    return out, new


def _as_planned(frame: TraceFrame, read_vars, write_vars) -> bool:
    """Reads within the inputs; writes within the outputs; outputs without an
    input (write-only Variables) actually written, else their stale value
    would be returned."""
    read_ids = {id(v) for v in read_vars}
    write_ids = {id(v) for v in write_vars}
    if any(key not in read_ids for key in frame.reads):
        return False
    if any(key not in write_ids for key in frame.writes):
        return False
    return all(id(v) in frame.writes or id(v) in read_ids for v in write_vars)


def _values_only(out: Any, owner: str) -> Any:
    """Replace Variables in a function's output by their values."""
    from ._object import BrainPyObject

    def leaf(x: Any) -> Any:
        if isinstance(x, Variable):
            return x.value
        if isinstance(x, BrainPyObject):
            raise MathError(
                f"{owner}: the function returned the object {x.name}; return arrays "
                "instead (the live object's Variables are updated in place)."
            )
        return x

    return jtu.tree_map(leaf, out, is_leaf=lambda x: isinstance(x, (Variable, BrainPyObject)))


class Carried:
    """The Variables a ``jax.lax`` primitive must carry, learned while tracing.

    Control-flow primitives need every Variable their body writes as an
    explicit input/output (the loop carry, the branch outputs). :meth:`wrap`
    turns a piece of user code into ``pure(state, *args) -> (new_state, out)``
    over the Variables in :attr:`variables`; writes to any other Variable
    are noted in :attr:`missed`. :func:`run_carried` starts from no Variables
    and re-traces with the missed ones added until the set is complete --
    at most one extra trace for a typical body, and only while tracing.
    """

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.variables: list[Variable] = []
        self.missed: dict[int, Variable] = {}

    def initial(self) -> list:
        """The carried Variables' current values (recorded as reads)."""
        return [var.value for var in self.variables]

    def wrap(self, fun: Callable, *, writes_allowed: bool = True) -> Callable:
        owner = self.owner

        def pure(state, *args, **kwargs):
            carried = {id(v) for v in self.variables}
            frame = push_frame(owner)
            try:
                for var, value in zip(self.variables, state):
                    frame.swap_in(var, value)
                out = _values_only(fun(*args, **kwargs), owner)
                if frame.writes and not writes_allowed:
                    names = ", ".join(_describe(v) for v in frame.writes.values())
                    raise MathError(
                        f"{owner}: this function must not write Variables, but it wrote "
                        f"{names}. Move the update into the body function."
                    )
                for key, var in frame.writes.items():
                    if key not in carried:
                        self.missed[key] = var
                new_state = [var._value for var in self.variables]
            finally:
                pop_frame(frame)
            return new_state, out

        return pure


def run_carried(owner: str, call: Callable[[Carried], tuple[list, Any]]) -> Any:
    """Run ``call(carried) -> (final_state, out)`` until no write is missed.

    ``call`` invokes the JAX primitive with functions from ``carried.wrap``
    and the initial state ``carried.initial()``. The final state is written
    into the live Variables only once a trace has carried every write, so a
    failure anywhere leaves every Variable untouched. The first trace is
    abstract (``jax.eval_shape``): only a complete trace enters the program.
    """
    carried = Carried(owner)
    # Learn the written Variables from a first trace under `jax.eval_shape`,
    # which is thrown away whole. Were it traced for real and discarded, its
    # effects (a progress-bar callback, `jax.debug.print`), which XLA never
    # removes as dead code, would run as well as the final trace's.
    jax.eval_shape(lambda: _probe(call, carried))
    carried.variables.extend(carried.missed.values())
    carried.missed = {}
    for _ in range(8):
        final_state, out = call(carried)
        if not carried.missed:
            for var, value in zip(carried.variables, final_state):
                var.value = value
            return out
        carried.variables.extend(carried.missed.values())
        carried.missed = {}
    raise MathError(f"{owner}: the set of Variables written keeps changing between traces.")


def _probe(call: Callable[[Carried], tuple[list, Any]], carried: Carried) -> None:
    call(carried)  # for its effect on `carried.missed` only


def _describe(var: Variable) -> str:
    return var._label or f"an unnamed {type(var).__name__} of shape {var.shape}"


def split_objects(args: Any) -> tuple[list, Callable[[list], Any]]:
    """Separate the array leaves of ``args`` from the objects/Variables in it.

    Returns ``(arrays, rebuild)``: ``arrays`` (objects replaced by ``None``)
    can cross a JAX transform boundary; ``rebuild(arrays)`` puts the live
    objects back, so the function inside works on the real Variables
    rather than on copies JAX made of them.
    """
    from ._roots import is_state

    leaves, treedef = jtu.tree_flatten(args, is_leaf=is_state)
    arrays = [None if is_state(leaf) else leaf for leaf in leaves]

    def rebuild(new_arrays: list) -> Any:
        return jtu.tree_unflatten(
            treedef, [leaf if is_state(leaf) else new for leaf, new in zip(leaves, new_arrays)])

    return arrays, rebuild


# Leaves that cross a JAX transform boundary (ShapeDtypeStruct: for eval_shape).
_ARRAYS = (jax.Array, np.ndarray, np.generic, jax.ShapeDtypeStruct)


def split_dynamic(args: Any) -> tuple[list, Callable[[list], Any]]:
    """Like :func:`split_objects`, keeping only arrays.

    Returns ``(arrays, rebuild)``: ``arrays`` holds the array leaves of
    ``args`` (tracers included) to pass through a JAX transform;
    ``rebuild(arrays)`` puts them back among the objects and the other leaves
    (strings, Python numbers), which stay as they are -- JAX could not take a
    string, and a Python number kept concrete can drive control flow.
    """
    leaves, rebuild_all = split_objects(args)
    positions = [i for i, leaf in enumerate(leaves) if isinstance(leaf, _ARRAYS)]

    def rebuild(arrays: list) -> Any:
        full = list(leaves)
        for i, array in zip(positions, arrays):
            full[i] = array
        return rebuild_all(full)

    return [leaves[i] for i in positions], rebuild
