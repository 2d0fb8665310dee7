"""``bm.vmap`` over objects.

How each Variable is treated inside ``vmap``:

* a Variable of an object argument whose axis (from ``in_axes``, per type via
  :class:`StateAxes`) is an int is *mapped*: each element sees its slice;
  writes come back along the same axis;
* a :class:`~brainobj.math.random.RandomState` that is not mapped is *split*:
  each element draws from its own stream, and the live state advances once;
* any other Variable (unmapped, or reached through a closure or global) is
  *broadcast*: every element reads the same value; writing it is allowed only
  with a value that does not depend on the mapped inputs, else
  :class:`~brainobj.math.MathError` names it.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import jax
import jax.numpy as jnp
import jax.tree_util as jtu

from ._carry import MAX_RETRACES
from ._errors import MathError
from ._jax_debug import api_boundary
from ._graph import structure
from ._partition import is_state, values_only
from ._tracing import lookup, tracing
from ._variable import Variable
from .random import RandomState

__all__ = ["vmap", "StateAxes"]


class StateAxes:
    """Per-type axes for the Variables of an object argument of :func:`vmap`.

    Maps Variable types to an axis (an int) or ``None`` (broadcast). The
    first entry whose type matches (``isinstance``) wins; the key ``...``
    matches every Variable. A Variable that matches no entry is an error.
    Plain arrays in the same argument (not in a Variable) follow the ``...``
    entry, and are broadcast when there is none.

    Raises:
        TypeError: a key is not a Variable type or `...`, or an axis is not an int or None.

    Example:
        >>> import brainobj.math as bm
        >>> axes = bm.StateAxes({bm.TrainVar: 0, ...: None})
        >>> axes.axis_of(bm.TrainVar(bm.zeros(2))), axes.axis_of(bm.Variable(bm.zeros(2)))
        (0, None)
    """

    def __init__(self, axes: dict) -> None:
        for kind, axis in axes.items():
            if kind is not Ellipsis and not (isinstance(kind, type) and issubclass(kind, Variable)):
                raise TypeError(f"StateAxes keys must be Variable types or `...`, got {kind!r}.")
            if axis is not None and not isinstance(axis, int):
                raise TypeError(f"StateAxes[{kind!r}]: an axis must be an int or None, got {axis!r}.")
        self.axes = dict(axes)

    def axis_of(self, var: Variable) -> int | None:
        """The axis ``var`` is mapped along (``None``: broadcast).

        Raises:
            MathError: no entry matches ``var``'s type (naming the Variable).
        """
        for kind, axis in self.axes.items():
            if kind is Ellipsis or isinstance(var, kind):
                return axis
        raise MathError(
            f"{_name(var)}: no StateAxes entry matches its type {type(var).__name__}; add "
            "one, or `...: 0` / `...: None` for every other Variable."
        )

    def __repr__(self) -> str:
        inner = ", ".join(f"{'...' if k is Ellipsis else k.__name__}: {v}" for k, v in self.axes.items())
        return f"StateAxes({{{inner}}})"


def _name(var: Variable) -> str:
    # An owned Variable's label is its path; an unowned one's shows its shape.
    return f"{var.label} (shape {tuple(var.shape)})" if var._label else var.label


def _is_random_state(var: Variable) -> bool:
    return isinstance(var, RandomState)


_KEYWORD_HINT = ("keyword arguments are always mapped along axis 0, as in jax.vmap: pass it "
                 "positionally with in_axes None, or close over it.")


class _Split:
    """What one call's arguments say: mapped Variables, array leaves, sizes."""

    def __init__(self, args: tuple, kwargs: dict, in_axes: Any, axis_size: int | None) -> None:
        if not isinstance(in_axes, (list, tuple)):
            in_axes = (in_axes,) * len(args)
        if len(in_axes) != len(args):
            raise MathError(f"bm.vmap: in_axes has {len(in_axes)} entries for {len(args)} arguments.")
        # Keyword arguments are mapped along axis 0, as in jax.vmap; they
        # travel as one extra argument, the last.
        args, in_axes = (*args, kwargs), (*in_axes, 0)
        self.mapped: list[Variable] = []      # Variables with an int axis
        self.mapped_axes: list[int] = []
        self.broadcast: list[Variable] = []   # Variables of object arguments with axis None
        self.arg_parts = []                   # per argument: (treedef, leaves, leaf axes or None)
        seen: dict[int, int | None] = {}
        sizes: dict[int, str] = {}
        self.pytree_axes = False              # some in_axes JAX alone can size
        for i, (arg, spec) in enumerate(zip(args, in_axes)):
            where = "a keyword argument" if i == len(args) - 1 else f"argument {i}"
            leaves, treedef = jtu.tree_flatten(arg, is_leaf=is_state)
            if not any(is_state(leaf) for leaf in leaves):
                self.pytree_axes |= spec is not None and not isinstance(spec, int)
                self.arg_parts.append((None, arg, spec))
                if i == len(args) - 1:
                    for name, value in arg.items():
                        self._note_sizes(value, spec, f"keyword argument {name!r}", sizes,
                                         _KEYWORD_HINT)
                else:
                    self._note_sizes(arg, spec, where, sizes)
                continue
            if not (spec is None or isinstance(spec, (int, StateAxes))):
                raise MathError(
                    f"bm.vmap: {where} holds objects; give its in_axes as an int, None "
                    f"or bm.StateAxes, not {spec!r}."
                )
            for var in _variables_of(leaves):
                axis = spec.axis_of(var) if isinstance(spec, StateAxes) else spec
                if id(var) in seen:
                    if seen[id(var)] != axis:
                        raise MathError(
                            f"bm.vmap: {_name(var)} is reached with axes {seen[id(var)]} and "
                            f"{axis} (through {where} and an earlier argument); give it one "
                            "axis in in_axes / bm.StateAxes."
                        )
                    continue
                seen[id(var)] = axis
                if axis is None:
                    self.broadcast.append(var)
                else:
                    self.mapped.append(var)
                    self.mapped_axes.append(axis)
                    self._note_sizes(var.value, axis, var._label or f"a {type(var).__name__}", sizes)
            default = spec.axes.get(Ellipsis, None) if isinstance(spec, StateAxes) else spec
            arrays = [None if is_state(leaf) else leaf for leaf in leaves]
            self.arg_parts.append((treedef, leaves, default))
            self._note_sizes(arrays, default, where, sizes)
        if axis_size is not None:
            sizes.setdefault(axis_size, "axis_size")
        if len(sizes) > 1:
            detail = "; ".join(f"{where}: {n}" for n, where in sizes.items())
            raise MathError(f"bm.vmap: mapped axes have different sizes ({detail}); every "
                            "mapped axis must have the batch size.")
        self.size = next(iter(sizes)) if sizes else None
        if self.size is None and not self.pytree_axes:
            # JAX's own message here speaks of `*args`; say what to do instead.
            raise MathError(
                "bm.vmap: nothing to map -- no array or Variable in the arguments has a mapped "
                "axis (in_axes is None for all of them). Pass axis_size=n to run n elements."
            )

    @staticmethod
    def _note_sizes(tree: Any, axis: Any, where: str, sizes: dict,
                    hint: str = "broadcast it instead (in_axes None, or bm.StateAxes for "
                                "object arguments).") -> None:
        if not isinstance(axis, int):
            return  # pytree in_axes: JAX checks them
        for leaf in jtu.tree_leaves(tree):
            shape = jnp.shape(leaf)
            if axis >= len(shape) or axis < -len(shape):
                raise MathError(
                    f"bm.vmap: {where} has shape {shape}, which has no axis {axis} to map; {hint}"
                )
            sizes.setdefault(shape[axis], where)


def _variables_of(leaves: list) -> list[Variable]:
    # Each Variable once, however many paths reach it.
    return structure([(f"<arg {i}>", leaf) for i, leaf in enumerate(leaves) if is_state(leaf)]).variables


def vmap(
    fun: Callable,
    in_axes: Any = 0,
    out_axes: Any = 0,
    axis_name: Any = None,
    axis_size: int | None = None,
    spmd_axis_name: Any = None,
) -> Callable:
    """Vectorize ``fun`` over a batch axis, objects included.

    Array arguments follow ``in_axes`` as in ``jax.vmap`` (keyword arguments
    are mapped along axis 0). For an argument that holds objects,
    ``in_axes`` is an int (map every Variable along it), ``None`` (broadcast
    them) or a :class:`StateAxes` choosing per type. Unmapped random states
    are split so each element draws its own numbers; Variables reached
    through closures and globals are broadcast (see the module notes for
    what writing them means). With nothing mapped, give ``axis_size``.
    ``spmd_axis_name`` (a mesh axis name, or a tuple of them) is passed to
    ``jax.vmap``: inside a sharded program, the mapped axis is laid out
    along that mesh axis.

    Raises:
        MathError: `in_axes` does not match the arguments, mapped axes have different sizes,
            a Variable written per example is not mapped (a broadcast Variable, named), random
            states cannot be split without a mapped axis, or the function returns an object or a
            non-array value. Errors raised by the user's functions propagate unchanged, without
            brainobj's frames in the traceback; after any error every Variable holds its value
            from before the call.

    Example -- an ensemble of three linear models, one input batch:

        >>> import brainobj as bp, brainobj.math as bm
        >>> class Line(bp.BrainPyObject):
        ...     def __init__(self, a):
        ...         self.a = bm.TrainVar(bm.asarray(a))
        ...     def __call__(self, x):
        ...         return self.a * x
        >>> ensemble = bm.stack_objects([Line(1.), Line(2.), Line(3.)])
        >>> bm.vmap(lambda m, x: m(x), in_axes=(0, None))(ensemble, bm.ones(2))
        Array([[1., 1.],
               [2., 2.],
               [3., 3.]], dtype=float32)
    """
    owner = "bm.vmap"

    @api_boundary
    @functools.wraps(fun)
    def mapped(*args: Any, **kwargs: Any) -> Any:
        split = _Split(args, kwargs, in_axes, axis_size)
        known = {id(v) for v in split.mapped}
        random_states: list[Variable] = []    # learned: unmapped random states read
        written: list[Variable] = []          # learned: unmapped Variables written
        for _ in range(MAX_RETRACES):
            missed: dict[int, Variable] = {}
            result = _trace(fun, split, random_states, written, known, missed, out_axes,
                            axis_name, owner, spmd_axis_name)
            if not missed:
                return result
            for var in missed.values():
                (random_states if _is_random_state(var) else written).append(var)
        raise MathError(f"{owner}: the set of Variables touched keeps changing between traces.")

    return mapped


def _trace(fun, split, random_states, written, known, missed, out_axes, axis_name, owner,
           spmd_axis_name=None):
    size = split.size
    if random_states and size is None:
        raise MathError(f"{owner}: cannot split random states without a mapped axis; pass axis_size.")
    rng_ids = {id(v) for v in random_states}
    written_ids = {id(v) for v in written}
    mapped_writes: list[int] = []  # filled during the trace: indexes into split.mapped

    def pure(mapped_values, keys, arrays):
        bind = [*zip(split.mapped, mapped_values), *zip(random_states, keys)]
        with tracing(owner, bind) as frame:
            *call_args, call_kwargs = [_rebuild(part, arr) for part, arr in zip(split.arg_parts, arrays)]
            out = values_only(fun(*call_args, **call_kwargs), owner)
            for key, var in list(frame.reads.items()) + list(frame.writes.items()):
                if key in known or key in rng_ids or key in written_ids:
                    continue
                if key in frame.writes or _is_random_state(var):
                    missed[key] = var
            mapped_writes[:] = [i for i, v in enumerate(split.mapped) if id(v) in frame.writes]
            # Every mapped Variable goes out (unchanged ones too): which are
            # written is known only once this trace is done.
            new_mapped = [lookup(var) for var in split.mapped]
            new_written = [lookup(var) for var in written]
        return out, new_mapped, new_written

    keys, advanced = [], []
    for var in random_states:
        live, sub = jax.random.split(var.value)
        advanced.append(live)
        keys.append(jax.random.split(sub, size))
    arrays = [part[1] if part[0] is None else [None if is_state(x) else x for x in part[1]]
              for part in split.arg_parts]
    array_axes = [part[2] for part in split.arg_parts]
    mapped_values = [var.value for var in split.mapped]

    def vectorized(written_axes: list) -> Callable:
        return jax.vmap(
            pure,
            in_axes=(list(split.mapped_axes), [0] * len(keys), array_axes),
            out_axes=(out_axes, list(split.mapped_axes), written_axes),
            axis_name=axis_name,
            axis_size=size,
            spmd_axis_name=spmd_axis_name,
        )

    try:
        out, new_mapped, new_written = vectorized([None] * len(written))(mapped_values, keys, arrays)
    except ValueError as error:
        inputs = (mapped_values, keys, arrays)
        culprit = _written_culprit(vectorized, written, inputs) if written else None
        if culprit is None:
            raise
        raise _broadcast_write_error(culprit) from error
    if missed:
        return None
    for i in mapped_writes:
        split.mapped[i].value = new_mapped[i]
    for var, value in zip(written, new_written):
        var.value = value
    for var, value in zip(random_states, advanced):
        var.value = value
    return out


def _rebuild(part: tuple, arrays: Any) -> Any:
    treedef, leaves, _ = part
    if treedef is None:
        return arrays
    return jtu.tree_unflatten(treedef, [leaf if is_state(leaf) else arr
                                        for leaf, arr in zip(leaves, arrays)])


def _written_culprit(vectorized: Callable, written: list, inputs: tuple) -> Variable | None:
    """The written broadcast Variable behind a ValueError of ``vectorized``, if any.

    Found by abstract traces, not by reading JAX's message: with every
    written Variable mapped the call must succeed (else the error is the
    user's own, say their ``out_axes``, and is not rewritten); then the first
    one that fails when broadcast alone is the culprit.
    """
    n = len(written)
    try:
        jax.eval_shape(vectorized([0] * n), *inputs)
    except ValueError:
        return None
    for k, var in enumerate(written):
        try:
            jax.eval_shape(vectorized([None if j == k else 0 for j in range(n)]), *inputs)
        except ValueError:
            return var
    return None


def _broadcast_write_error(var: Variable) -> MathError:
    return MathError(
        f"bm.vmap: {_name(var)} is broadcast (not mapped), but was "
        "written with a value that differs across the batch. Map it instead (in_axes / "
        "bm.StateAxes on the object holding it), or write only values that do not depend "
        "on the mapped inputs."
    )
