"""``bm.shard_map``: per-device code over objects, on ``jax.shard_map``.

Inside the function each device sees its own block of every array: of the
arguments by ``in_specs``, and of every Variable the function reads or
writes by that Variable's spec (``Variable(..., spec=)``; none means
replicated: each device sees the whole value). Written Variables come back
assembled by the same spec. A replicated Variable must be written with the
same value on every device (average with ``jax.lax.pmean`` first, as
``bp.BatchNorm1d(..., axis_name='data')`` does); JAX's replication check
(``check_vma``) refuses anything else.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import jax
import jax.tree_util as jtu
from jax.sharding import Mesh, PartitionSpec

from ._carry import MAX_RETRACES
from ._errors import MathError
from ._graph import structure
from ._jax_debug import api_boundary
from ._jit_inputs import find_captures
from ._layout import is_spread, put_on, send_home
from ._partition import is_state, values_only
from ._tracing import THREAD, lookup, tracing
from ._variable import Variable

__all__ = ["shard_map"]


def _spec(var: Variable) -> PartitionSpec:
    return var.spec if var.spec is not None else PartitionSpec()


def _holds_state(value: Any) -> bool:
    return any(is_state(x) for x in jtu.tree_leaves(value, is_leaf=is_state))


def shard_map(fun: Callable, mesh: Mesh, in_specs: Any, out_specs: Any, *,
              check_vma: bool = True) -> Callable:
    """Run ``fun`` once per device of ``mesh`` on blocks of its inputs, objects included.

    Arguments that are arrays (or pytrees of them) are split by
    ``in_specs`` (one entry per positional argument, as in
    ``jax.shard_map``); arguments that hold objects take ``None`` there
    and are used in place, like objects ``fun`` reaches through its closure
    or globals. Every Variable ``fun`` reads or writes enters split by its
    own spec (replicated without one) and written ones are assembled back
    the same way, so no traced value is left in any object. Works eagerly
    and inside ``bm.jit``.

    Args:
        fun: the per-device function.
        mesh: a ``jax.sharding.Mesh``.
        in_specs: a ``PartitionSpec`` (or pytree prefix of them) per
            positional argument; ``None`` for arguments holding objects.
        out_specs: a ``PartitionSpec`` or pytree prefix of them for the outputs.
        check_vma: JAX's check that outputs (and written replicated
            Variables) declared replicated do not vary across devices.

    Returns:
        The mapped function.

    Raises:
        TypeError: ``mesh`` is not a ``Mesh``; ``fun`` is not callable.
        MathError: (when called) ``in_specs`` does not have one entry per
            argument, or gives a spec for an argument holding objects;
            ``fun`` returns an object; a Variable is created inside.
            Errors from ``jax.shard_map`` (a dimension that does not divide,
            a replicated value that varies) propagate. Nothing changes on
            error.

    Example:
        >>> import jax, jax.numpy as jnp, brainobj as bp, brainobj.math as bm
        >>> from jax.sharding import PartitionSpec as P
        >>> mesh = jax.make_mesh((1,), ('data',))
        >>> counter = bm.Variable(jnp.zeros(()))
        >>> def local_sum(x):
        ...     total = jax.lax.psum(x.sum(), 'data')
        ...     counter.value = counter.value + total
        ...     return x * 2
        >>> out = bm.shard_map(local_sum, mesh, in_specs=(P('data'),), out_specs=P('data'))(jnp.ones(4))
        >>> out.tolist(), float(counter.value)
        ([2.0, 2.0, 2.0, 2.0], 4.0)
    """
    if not isinstance(mesh, Mesh):
        raise TypeError(f"bm.shard_map: mesh must be a jax.sharding.Mesh, got {type(mesh).__name__}.")
    if not callable(fun):
        raise TypeError(f"bm.shard_map expects a callable, got {type(fun).__name__}.")
    owner = f"bm.shard_map({getattr(fun, '__qualname__', type(fun).__name__)})"

    @api_boundary
    @functools.wraps(fun)
    def mapped(*args: Any) -> Any:
        specs = _argument_specs(owner, in_specs, args)
        objects = {i: a for i, a in enumerate(args) if _holds_state(a)}
        for i in objects:
            if specs[i] is not None:
                raise MathError(f"{owner}: in_specs[{i}] is {specs[i]}, but argument {i} holds "
                                "objects or Variables, which are split by their Variables' "
                                "specs. Pass None for it.")
        arrays = tuple(a for i, a in enumerate(args) if i not in objects)
        array_specs = tuple(s for i, s in enumerate(specs) if i not in objects)

        def call(values: list) -> Any:
            it = iter(values)
            return fun(*[objects[i] if i in objects else next(it) for i in range(len(args))])

        # Every reachable Variable is carried (read-only ones come back
        # unchanged); one reached otherwise (bm.random's key) is added after
        # the trace that met it.
        touched = _candidates(fun, objects)
        for _ in range(MAX_RETRACES):
            written: list[Variable] = []
            missed: dict[int, Variable] = {}

            def body(state: list, values: list) -> tuple:
                known = {id(v) for v in touched}
                with tracing(owner, zip(touched, state)) as frame:
                    out = values_only(call(values), owner)
                    for key, var in {**frame.reads, **frame.writes}.items():
                        if key not in known:
                            missed[key] = var
                    written[:] = [v for v in touched if id(v) in frame.writes]
                    new = [lookup(v) for v in touched]
                if check_vma:
                    for var, value in zip(touched, new):
                        if id(var) in frame.writes:
                            _check_replicated(owner, var, value)
                return new, out

            state_specs = [_spec(v) for v in touched]
            run = jax.shard_map(body, mesh=mesh, in_specs=(state_specs, array_specs),
                                out_specs=(state_specs, out_specs), check_vma=check_vma)
            state = put_on(mesh, state_specs, [v.value for v in touched])
            new, out = run(state, put_on(mesh, array_specs, arrays))
            if not missed:
                written_ids = {id(v) for v in written}
                before = [(v, v.value) for v in written if v.spec is None and not is_spread(v.value)]
                for var, value in zip(touched, new):
                    if id(var) in written_ids:
                        var.value = value
                if before and not THREAD.frames:  # a one-device Variable stays on its device
                    send_home(before)
                return out
            touched = touched + list(missed.values())
        raise MathError(f"{owner}: the set of Variables used keeps changing between traces.")

    return mapped


def _varying(value: Any) -> frozenset:
    """The mesh axes along which a traced value differs between devices
    (JAX's "varying manual axes"), or an empty set where JAX does not say."""
    aval = jax.typeof(value)
    axes = getattr(aval, "vma", None)
    if axes is None:
        axes = getattr(getattr(aval, "manual_axis_type", None), "varying", None)
    return frozenset(axes or ())


def _check_replicated(owner: str, var: Variable, value: Any) -> None:
    """A written Variable may differ between devices only along the axes its spec splits."""
    spec = _spec(var)
    split = {n for part in spec for n in (part if isinstance(part, tuple) else (part,)) if n}
    differing = sorted(_varying(value) - split)
    if differing:
        raise MathError(
            f"{owner}: {var.label} is written with a value that differs between devices along "
            f"mesh axis {', '.join(map(repr, differing))}, but its spec {spec} keeps it whole "
            "(replicated) there, so the devices' values cannot be assembled. Average it first "
            f"(jax.lax.pmean(x, {differing[0]!r}); bp.BatchNorm1d(..., axis_name={differing[0]!r}) "
            "does so), or give the Variable a spec that splits it along that axis.")


def _argument_specs(owner: str, in_specs: Any, args: tuple) -> tuple:
    if not isinstance(in_specs, (tuple, list)):
        in_specs = (in_specs,) * len(args)
    if len(in_specs) != len(args):
        raise MathError(f"{owner}: in_specs has {len(in_specs)} entries but the call passes "
                        f"{len(args)} positional argument(s); give one per argument (None for "
                        "arguments holding objects).")
    return tuple(in_specs)


def _candidates(fun: Callable, objects: dict) -> list[Variable]:
    """The Variables ``fun`` can reach: those of its object arguments and of
    the objects its closure and globals lead to. Found by walking, not by
    running: a trial run outside ``shard_map`` would meet unbound axis names
    (``psum(x, 'data')``) and whole-array shapes."""
    roots = []
    for i, arg in objects.items():
        roots += [(f"args[{i}]", leaf) for leaf in jtu.tree_leaves(arg, is_leaf=is_state)
                  if is_state(leaf)]
    roots += [(capture.label, obj) for capture, obj in find_captures(fun)]
    return structure(roots).variables
