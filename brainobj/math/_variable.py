"""``Variable``: the mutable box that holds a model's state.

A Variable holds one concrete JAX array in ``_value`` (its *box*). Reading
and writing ``.value`` go through two small hooks. Outside transforms they
read and write the box (after one test of this thread's frame stack). While
a brainobj transform traces in this thread, they go to the frames
(:mod:`._tracing`): a read returns the value the transform bound (a tracer)
and is recorded; a write is kept in the innermost frame and recorded. The box
itself changes only when a transform assigns its results, so no tracer ever
reaches it.

JAX reaches Variables too: a Variable is a pytree whose one leaf is its value.
Flattening it (``jax.tree.map``, ``jnp.where(v, ...)``, ``eqx.filter``) reads
it through the same hook, so a transform sees those reads as well. A Variable
that JAX *rebuilds* is a new box: a first-class copy when built from concrete
arrays outside transforms (``jax.tree.map(lambda x: x, model)`` makes a model
you can train), a throw-away value when it holds a tracer or is built inside
a trace.
"""

from __future__ import annotations

import operator
from typing import Any, Iterable

import jax
import jax.numpy as jnp
import jax.tree_util as jtu
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

from ._containers import (
    ObservedDict,
    ObservedList,
    brainpy_entries,
    register_dict_type,
    register_list_type,
)
from ._errors import MathAttributeError, MathError, MathTypeError
from ._layout import active_mesh, as_spec
from ._tracing import THREAD, lookup

__all__ = ["Variable", "TrainVar", "Parameter", "VariableView", "VarList", "VarDict", "COPY"]


class _Copy:
    """The ``_owner`` of a Variable JAX rebuilt around a traced (or no)
    value: a throw-away value inside some trace, not state. Frames leave
    its box alone, and it never becomes an input of a transform."""

    __slots__ = ()

    def __call__(self) -> None:  # like a dead weakref: no owning object
        return None

    def __repr__(self) -> str:
        return "COPY"


COPY = _Copy()

_Tracer = jax.core.Tracer


def _is_weak(x: Any) -> bool:
    return bool(getattr(getattr(x, "aval", x), "weak_type", False))


def as_array(value: Any) -> Any:
    """The array behind ``value``: a Variable's ``.value`` (so transforms
    record the read), an array as it is, anything else through ``jnp.asarray``."""
    if isinstance(value, Variable):
        return value.value
    if isinstance(value, jax.Array):
        return value
    return jnp.asarray(value)


def _strong(value: Any) -> Any:
    """Drop JAX's weak type so a Variable's aval never changes between calls."""
    if _is_weak(value):
        return jax.lax.convert_element_type(value, value.dtype)
    return value


def _placed(kind: str, value: Any, mesh: Any, spec: PartitionSpec) -> Any:
    """``value`` on ``mesh`` by ``spec``; errors name the Variable's kind."""
    try:
        return jax.device_put(value, NamedSharding(mesh, spec))
    except (ValueError, TypeError) as error:
        raise MathError(f"cannot place a {kind} of shape {tuple(value.shape)} on the active mesh "
                        f"{dict(mesh.shape)} by spec {spec}: {error}") from None


def _describe(value: Any) -> str:
    if value is None:
        return "None"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


# What a weakly typed value (a Python number) of each kind may become without
# losing information: NumPy's `same_kind`, except that Python ints have no
# signedness (5 fits a uint8; the range is checked separately).
_KINDS = {"b": "a boolean", "i": "an integer", "u": "an integer", "f": "a floating-point",
          "c": "a complex"}
_INTO = {"b": "biufc", "i": "iufc", "u": "iufc", "f": "fc", "c": "c"}


def _kind(dtype: np.dtype) -> str:
    """NumPy's kind letter, with JAX's extra floats (bfloat16, float8: NumPy
    kind ``'V'``) as ``'f'``."""
    if dtype.kind == "V" and jnp.issubdtype(dtype, jnp.floating):
        return "f"
    return dtype.kind


def _check_lossless(who: str, original: Any, source: Any, target: Any) -> None:
    """Refuse a weakly typed value that ``target`` cannot hold without loss.

    ``who`` names the culprit in the message (a Variable's label).
    """
    source, target = np.dtype(source), np.dtype(target)
    if target == source:
        return
    if _kind(target) not in _INTO.get(_kind(source), ""):
        raise MathError(
            f"{who}: cannot assign {_KINDS.get(_kind(source), source.name)} value "
            f"({_describe(original)}) to a Variable of dtype {target}: it would lose information. "
            f"Convert it explicitly (e.g. `jnp.round(x).astype({target.name!r})`) if that is "
            "what you mean."
        )
    if target.kind not in "iu" or isinstance(original, bool):
        return
    if isinstance(original, (int, np.integer)):
        bad = _outside(np.asarray(int(original), dtype=object), target)
    elif (isinstance(original, (np.ndarray, jax.Array)) and not isinstance(original, _Tracer)
          and np.dtype(original.dtype).kind in "iu"):
        # a weakly typed integer array (jnp.asarray(300)): concrete, so checkable
        bad = _outside(np.asarray(original), target)
    else:
        return
    if bad is not None:
        info = np.iinfo(target)
        raise MathError(
            f"{who}: {bad} does not fit its dtype {target} (range "
            f"{info.min}..{info.max}); it would wrap around."
        )


def _outside(host: np.ndarray, target: np.dtype) -> int | None:
    """An integer of ``host`` that ``target`` cannot hold, if any."""
    if not host.size:
        return None
    info = np.iinfo(target)
    low, high = host.min(), host.max()
    if low < info.min:
        return int(low)
    return int(high) if high > info.max else None


def _check_strong_cast(who: str, value: Any, target: Any) -> None:
    """Refuse converting a strongly typed array to ``target`` when values would
    change: another kind that cannot hold them (a float into an integer, a
    complex into a real), or (concrete values only) integers out of range."""
    source, target = np.dtype(value.dtype), np.dtype(target)
    if source == target:
        return
    if _kind(target) not in _INTO.get(_kind(source), ""):
        raise MathError(
            f"{who}: cannot convert {source} values to dtype {target}: it would lose "
            f"information. Convert them explicitly (e.g. `jnp.round(x).astype({target.name!r})`) "
            "if that is what you mean."
        )
    if target.kind in "iu" and source.kind in "iu" and not isinstance(value, _Tracer):
        bad = _outside(np.asarray(value), target)
        if bad is not None:
            info = np.iinfo(target)
            raise MathError(
                f"{who}: {bad} does not fit dtype {target} (range {info.min}..{info.max}); "
                "it would wrap around."
            )


def _as_dtype(who: str, dtype: Any) -> np.dtype:
    """``dtype`` as a NumPy dtype JAX can hold, or a TypeError naming ``who``."""
    try:
        result = np.dtype(dtype)
    except TypeError:
        result = None
    if result is None or _kind(result) not in "biufc":
        raise TypeError(f"{who}: dtype must be a numeric (or bool) NumPy/JAX dtype such as "
                        f"'float32', got {dtype!r}.")
    return result


def _is_index_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _check_index(who: str, index: Any, shape: tuple[int, ...]) -> None:
    """Raise IndexError naming ``who`` for an integer index past an axis.

    JAX clamps such reads and drops such writes silently; NumPy raises. Python
    integers are checked for free; integer index arrays only when their values
    are known (not traced). Positions after an ``...`` are not checked.
    """
    items = index if isinstance(index, tuple) else (index,)
    axis = 0
    for item in items:
        if item is None:
            continue
        if item is Ellipsis or axis >= len(shape):
            return
        size = shape[axis]
        if _is_index_int(item):
            if not -size <= item < size:
                raise IndexError(f"{who}: index {item} is out of bounds for axis {axis} with "
                                 f"size {size} (shape {tuple(shape)}).")
        elif isinstance(item, (np.ndarray, jax.Array)) and not isinstance(item, _Tracer):
            dtype = np.dtype(item.dtype)
            if dtype.kind == "b":
                axis += item.ndim
                continue
            if dtype.kind in "iu" and item.size:
                host = np.asarray(item)
                low, high = host.min(), host.max()
                if low < -size or high >= size:
                    bad = low if low < -size else high
                    raise IndexError(f"{who}: index {bad} is out of bounds for axis {axis} "
                                     f"with size {size} (shape {tuple(shape)}).")
        axis += 1


def _as_shape(value: Any) -> tuple[int, ...] | None:
    """The shape ``value`` names, BrainPy's way, or None when it is a value.

    BrainPy reads a Python ``int`` or a tuple/list of Python ints as a shape
    (``Variable(10)`` is ten zeros). Bools are values here (BrainPy would
    make ``zeros(True)``); NumPy integers and floats are values in both.
    """
    if type(value) is int:
        return (value,)
    if isinstance(value, (tuple, list)) and all(type(s) is int for s in value):
        return tuple(value)
    return None


# BrainPy's name for the batch axis in ``axis_names`` when only the other
# axes are named (``brainpy.math.sharding.BATCH_AXIS``).
BATCH_AXIS = "batch"


def _check_batch_axis(who: str, batch_axis: Any, ndim: int) -> int | None:
    """``batch_axis`` if it is None or an int axis of an ``ndim``-array, else an error."""
    if batch_axis is None:
        return None
    if not _is_index_int(batch_axis):
        raise TypeError(f"{who}: batch_axis must be an int (or None), got {batch_axis!r}.")
    if not -ndim <= batch_axis < ndim:
        raise MathError(f"{who}: batch_axis={batch_axis} is not an axis of its {ndim}-d value; "
                        f"use an axis in [{-ndim}, {ndim}) or None.")
    return int(batch_axis)


def _check_axis_names(who: str, names: Any, ndim: int, batch_axis: int | None) -> tuple | None:
    """``names`` as a tuple of ``ndim`` str/None entries (BrainPy inserts
    ``'batch'`` at ``batch_axis`` when one name is missing), else an error."""
    if names is None:
        return None
    if isinstance(names, str) or not isinstance(names, (tuple, list)):
        raise TypeError(f"{who}: axis_names must be a tuple of str (one per axis), got {names!r}.")
    names = list(names)
    if batch_axis is not None and len(names) + 1 == ndim:
        names.insert(batch_axis % ndim, BATCH_AXIS)
    if len(names) != ndim or not all(n is None or isinstance(n, str) for n in names):
        raise MathError(f"{who}: axis_names={tuple(names)!r} must name each of its {ndim} axes "
                        "with a str (or None).")
    return tuple(names)


def value_of(x: Any) -> Any:
    """``x.value`` for a Variable, else ``x`` unchanged. Never raises."""
    return x.value if isinstance(x, Variable) else x


class Variable:
    """A mutable container for one array, tracked by brainobj's transforms.

    Assigning ``.value`` (or calling :meth:`update`) keeps the shape and dtype
    fixed. Python scalars and lists are converted; weakly typed values
    (``v.value = 0.``) adopt the Variable's dtype when that loses nothing.

    A Variable behaves like its array in arithmetic, indexing and most array
    methods, and ``v[idx] = x`` or ``v += x`` update the box in place.

    Args:
        value: the initial array (or a number, a nested list, another
            Variable's value).
        dtype: convert ``value`` to this dtype first; a conversion that
            would change values (``1.5`` into ``int32``, ``300`` into
            ``uint8``) is refused, as for assignment.

    Raises:
        MathTypeError: (creation and assignment) ``value`` is not an array
            (``None``, a string, a ragged list, a dict): a :class:`MathError`
            that is also a ``TypeError``, as JAX's error in BrainPy.
        MathAttributeError: assigning ``batch_axis`` or ``batch_size``
            (fixed at creation): a :class:`MathError` and an
            ``AttributeError``.
        MathError: (creation) a ``dtype`` conversion would lose
            information, or the Variable is created inside a brainobj
            transform or from a tracer. (Assignment, ``update``, ``+=`` and
            ``v[idx] = x``) the new value has another shape,
            has another dtype (cast it first), would lose information (a
            float into an integer Variable, a complex into a real one,
            ``300`` or ``-1`` into a ``uint8`` one), or is a tracer of a JAX
            transform that is not brainobj's. The message names the Variable
            (``'Linear0.W'``) and the old value is kept.
        TypeError: (creation) ``dtype`` is not a numeric dtype; (indexing) an
            index that is not an integer, slice, bool or array of them.
        IndexError: (indexing) an integer index past its axis: JAX would
            clamp the read or drop the write silently. Index arrays are
            checked when their values are known (not traced).
        AttributeError: an attribute that neither the Variable nor its array
            has.

    Example:
        >>> import brainobj.math as bm
        >>> v = bm.Variable(bm.zeros(3))
        >>> v += 1.
        >>> v.value
        Array([1., 1., 1.], dtype=float32)
        >>> v[0] = 5
        >>> v.value
        Array([5., 1., 1.], dtype=float32)
    """

    # `_batch_axis` / `_axis_names` (BrainPy's arguments) and `_spec` (a
    # PartitionSpec) are metadata: set on every path that makes a Variable
    # (__init__, __setstate__, unflatten).
    __slots__ = ("_value", "_label", "_owner", "_batch_axis", "_axis_names", "_spec", "__weakref__")
    # Arrays defer binary operators to an operand with a higher priority, so
    # ``array * variable`` reaches ``Variable.__rmul__`` (numpy's protocol).
    __array_priority__ = 100

    def __init__(self, value: Any, dtype: Any = None, batch_axis: int | None = None, *,
                 axis_names: Any = None, spec: Any = None) -> None:
        if THREAD.frames:
            raise MathError(
                f"cannot create a {type(self).__name__} inside a brainobj transform "
                f"({THREAD.frames[-1].owner}): it would hold a tracer after the call. "
                "Create it beforehand (e.g. in __init__) and assign its `.value` inside."
            )
        kind, original = type(self).__name__, value
        inherited = value._batch_axis if isinstance(value, Variable) else None
        if spec is None and isinstance(value, Variable):
            spec = value._spec
        shape = _as_shape(value)
        if shape is not None:
            # BrainPy: an int or a tuple/list of ints is a shape, filled with zeros.
            if any(s < 0 for s in shape):
                raise MathError(f"cannot create a {kind} of shape {shape}: an int (or a tuple/"
                                "list of ints) is a shape in BrainPy, and sizes cannot be "
                                "negative. To hold the number itself, pass an array, e.g. "
                                "`bm.Variable(jnp.asarray(-1))`.")
            value = jnp.zeros(shape, dtype=None if dtype is None else _as_dtype(kind, dtype))
        try:
            value = as_array(value)
        except (TypeError, ValueError, OverflowError) as error:
            raise MathTypeError(
                f"cannot create a {kind} from {_describe(original)}: it is not an array "
                f"({error}). Pass an array or a number."
            ) from None
        if dtype is not None:
            target = _as_dtype(kind, dtype)
            if target != value.dtype:
                # The same rule as assignment: a conversion that would change
                # values (1.5 into int32, 300 into uint8) is refused.
                who = f"{kind}(..., dtype={target.name})"
                if _is_weak(value):
                    _check_lossless(who, original, value.dtype, target)
                else:
                    _check_strong_cast(who, value, target)
                value = jnp.asarray(value, dtype=target)
        if isinstance(value, _Tracer):
            raise MathError(
                f"cannot create a {type(self).__name__} from a traced value (inside jax.jit, "
                "jax.grad, ...): it would hold the tracer after the transform. Create it "
                "outside, with a concrete array."
            )
        if inherited is not None and batch_axis is not None and batch_axis != inherited:
            raise ValueError(f"{kind}: batch_axis={batch_axis} differs from the batch_axis="
                             f"{inherited} of the Variable it copies; pass the same or None.")
        batch_axis = _check_batch_axis(kind, inherited if batch_axis is None else batch_axis,
                                       value.ndim)
        names = _check_axis_names(kind, axis_names, value.ndim, batch_axis)
        spec = as_spec(spec, kind, value.ndim)
        value = _strong(value)
        mesh = active_mesh() if spec is not None else None
        if mesh is not None:  # under jax.set_mesh: placed by its spec when created
            value = _placed(kind, value, mesh, spec)
        self._value = value
        self._label = None
        self._owner = None  # weakref to the first object that stored it
        self._batch_axis = batch_axis
        self._axis_names = names
        self._spec = spec

    # -- the two hooks ------------------------------------------------------
    @property
    def value(self) -> jax.Array:
        """The current array. Inside a transform, reading it is recorded.

        Assigning it replaces the array (same shape and dtype).

        Raises:
            MathError: (assignment) the new value is not an array, has
                another shape or dtype, would lose information in this dtype,
                or is a tracer of a JAX transform that is not brainobj's
                (``jax.jit``, ``jax.lax.scan``, ...). The old value is kept.
        """
        stack = THREAD.frames
        if stack and self._owner is not COPY:
            return stack[-1].read(self)
        return self._value

    @value.setter
    def value(self, new: Any) -> None:
        new = self._checked(new)
        stack = THREAD.frames
        if stack and self._owner is not COPY:
            stack[-1].write(self, new)
        elif self._owner is COPY:
            # A copy JAX made while tracing (jax.jit / jax.grad / eqx.filter_jit
            # of a model, a tree_map inside a trace) is a throw-away value:
            # the write would vanish with it, silently.
            raise MathError(
                f"{self.label}: written, but this Variable is a copy JAX made while tracing "
                "(jax.jit, jax.grad, jax.vmap or eqx.filter_jit given a model, or a tree_map "
                "inside a trace), so the write would be lost when the trace ends. Give the "
                "model to brainobj's transforms instead (bm.jit, bm.grad, bm.vmap, ...), which "
                "run it in place, or return the new value and assign it outside."
            )
        elif isinstance(new, _Tracer):
            raise MathError(
                f"{self.label}: written inside a JAX transform that is not brainobj's "
                "(jax.jit, jax.lax.scan, jax.lax.fori_loop, jax.vmap, jax.grad, shard_map, "
                "pmap, ...): the Variable would keep a tracer. Use brainobj's transform "
                "instead (bm.jit, bm.for_loop / bm.scan, bm.while_loop, bm.vmap, bm.grad), "
                "or return the new value from the JAX function and assign it outside. "
                "The Variable keeps its value."
            )
        else:
            self._value = new

    def update(self, new: Any) -> None:
        """Same as ``self.value = new``.

        Raises:
            MathError: as assigning :attr:`value`: ``new`` is not an array, has
                another shape or dtype, or would lose information. The old
                value is kept.

        Example:
            >>> import brainobj.math as bm
            >>> v = bm.Variable(bm.zeros(2))
            >>> v.update(bm.ones(2))
            >>> v.value
            Array([1., 1.], dtype=float32)
        """
        self.value = new

    def _current(self) -> Any:
        """The value code in this thread sees, without recording a read."""
        if THREAD.frames and self._owner is not COPY:
            return lookup(self)
        return self._value

    # -- copy and pickle ----------------------------------------------------
    # A copy belongs to no object yet: the object that stores it (or the
    # copied object's ``__setstate__``) labels it afresh.
    def __getstate__(self) -> dict:
        if THREAD.frames and self._owner is not COPY:
            raise MathError(
                f"{self.label}: cannot copy or pickle a Variable inside a brainobj transform "
                f"({THREAD.frames[-1].owner}); its value there is a tracer. Copy models "
                "outside transforms (e.g. a target network made once, updated in place)."
            )
        return {"value": self._value, "batch_axis": self._batch_axis,
                "axis_names": self._axis_names, "spec": self._spec}

    def __setstate__(self, state: dict) -> None:
        self._value = state["value"]
        self._label = None
        self._owner = None
        self._batch_axis = state.get("batch_axis")
        self._axis_names = state.get("axis_names")
        self._spec = state.get("spec")

    def _checked(self, new: Any) -> Any:
        """``new`` as an array this Variable can hold, or :class:`MathError`.

        The shape must match; a dtype may change only for a weakly typed
        value (a Python number) of the same kind that fits (NumPy's
        ``same_kind`` casting, plus a range check): ``1.7`` into an integer
        Variable or ``300`` into a ``uint8`` one would lose information.
        """
        original = new
        try:
            new = as_array(new)
        except (TypeError, ValueError, OverflowError) as error:
            # a MathError and a TypeError, as creating a Variable of such a value is
            raise MathTypeError(
                f"{self.label}: cannot assign {_describe(original)}: it is not an array "
                f"({error}). Assign an array (or a number) of shape {tuple(self.shape)} "
                f"and dtype {self.dtype}."
            ) from None
        current = self._current()
        if new.shape != current.shape:
            raise MathError(
                f"{self.label}: expected shape {tuple(current.shape)}, got {tuple(new.shape)}. "
                "A Variable keeps its shape; create a new Variable to change it."
            )
        if new.dtype != current.dtype:
            if not _is_weak(new):
                raise MathError(
                    f"{self.label}: expected dtype {current.dtype}, got {new.dtype}. "
                    f"Cast first, e.g. `x.astype({current.dtype.name!r})`."
                )
            _check_lossless(self.label, original, new.dtype, current.dtype)
            new = jax.lax.convert_element_type(new, current.dtype)
        return _strong(new)

    @property
    def label(self) -> str:
        """Where the Variable lives (``'Linear0.W'``) once an object owns it.

        Before that, its type, shape and dtype. Never raises.
        """
        if self._label is not None:
            return self._label
        value = self._value
        return (f"{type(self).__name__}(shape={tuple(getattr(value, 'shape', ()))}, "
                f"dtype={getattr(value, 'dtype', None)})")

    # -- BrainPy's metadata and conversions ---------------------------------
    @property
    def batch_axis(self) -> int | None:
        """The batch axis given at creation (BrainPy metadata), or None.

        Reading never raises; assigning raises :class:`MathAttributeError`
        (a :class:`MathError` and an ``AttributeError``; BrainPy raises
        ``ValueError``): it is fixed when the Variable is created.
        """
        return self._batch_axis

    @batch_axis.setter
    def batch_axis(self, value: Any) -> None:
        raise MathAttributeError(
            f"{self.label}: cannot set batch_axis (to {value!r:.40}): it is fixed when the "
            f"{type(self).__name__} is created; create a new one with "
            "`bm.Variable(value, batch_axis=...)` instead.")

    @property
    def batch_size(self) -> int | None:
        """The length of the batch axis, or None without one.

        Reading never raises; assigning raises :class:`MathAttributeError`
        (a :class:`MathError` and an ``AttributeError``; BrainPy raises
        ``ValueError``): it is the value's length along ``batch_axis``, both
        fixed when the Variable is created.
        """
        axis = self._batch_axis
        return None if axis is None else self.shape[axis]

    @batch_size.setter
    def batch_size(self, value: Any) -> None:
        raise MathAttributeError(
            f"{self.label}: cannot set batch_size (to {value!r:.40}): it is the length of the "
            f"value along batch_axis, both fixed when the {type(self).__name__} is created; "
            "create a new one with a value of the batch size you want.")

    @property
    def axis_names(self) -> tuple | None:
        """The axis names given at creation (one per axis), or None. Never raises."""
        return self._axis_names

    @property
    def spec(self) -> PartitionSpec | None:
        """How the value is laid out over a device mesh: a
        ``jax.sharding.PartitionSpec``, or None (replicated when placed on a
        mesh). Set it with ``Variable(..., spec=)``, ``v.spec = P(...)``
        (outside transforms) or an initializer from
        ``bp.init.with_partitioning``; ``bm.shard(obj, mesh)`` places the
        value accordingly.

        Raises:
            TypeError: (setting) not a ``PartitionSpec`` or a tuple of axis names.
            ValueError: (setting) more entries than the value has dimensions.
            MathError: (setting) inside a transform.

        Example:
            >>> import brainobj.math as bm
            >>> from jax.sharding import PartitionSpec as P
            >>> v = bm.Variable(bm.zeros((4, 2)), spec=P('data', None))
            >>> v.spec == P('data', None)
            True
            >>> v.spec = ('data',)    # a tuple of axis names works too
            >>> v.spec == P('data')
            True
        """
        return self._spec

    @spec.setter
    def spec(self, spec: Any) -> None:
        if THREAD.frames:
            raise MathError(f"{self.label}: cannot change the spec inside a brainobj transform "
                            f"({THREAD.frames[-1].owner}); set it before compiling.")
        self._spec = as_spec(spec, self.label, self.ndim)

    @property
    def nobatch_shape(self) -> tuple[int, ...]:
        """The shape without the batch axis (the whole shape without one). Never raises.

        Example:
            >>> import brainobj.math as bm
            >>> bm.Variable((4, 3), batch_axis=0).nobatch_shape
            (3,)
        """
        shape, axis = tuple(self.shape), self._batch_axis
        if axis is None:
            return shape
        axis %= len(shape)
        return shape[:axis] + shape[axis + 1:]

    def numpy(self, dtype: Any = None) -> np.ndarray:
        """The value as a NumPy array (a recorded read).

        Raises:
            jax.errors.TracerArrayConversionError: inside a transform, where
                the value is traced; use ``.value`` there.
        """
        return np.asarray(self.value, dtype=dtype)

    def to_numpy(self, dtype: Any = None) -> np.ndarray:
        """Same as :meth:`numpy`.

        Raises:
            jax.errors.TracerArrayConversionError: as :meth:`numpy`.
        """
        return self.numpy(dtype)

    def to_jax(self, dtype: Any = None) -> jax.Array:
        """The value as a JAX array (a recorded read).

        Raises nothing.
        """
        value = self.value
        return value if dtype is None else value.astype(dtype)

    def clone(self) -> "Variable":
        """A new Variable of the same type holding a copy of the value, with the
        same batch axis and axis names.

        Raises:
            MathError: inside a brainobj transform (create Variables outside).

        Example:
            >>> import brainobj.math as bm
            >>> a = bm.Variable(bm.ones(2)); b = a.clone(); b += 1
            >>> a.value, b.value
            (Array([1., 1.], dtype=float32), Array([2., 2.], dtype=float32))
        """
        return Variable.__new__(type(self)).__init_copy(self)

    def __init_copy(self, other: "Variable") -> "Variable":
        Variable.__init__(self, jnp.array(other.value, copy=True), None, other._batch_axis,
                          axis_names=other._axis_names, spec=other._spec)
        return self

    def fill_(self, value: Any) -> "Variable":
        """Set every element to ``value`` (BrainPy's in-place ``fill_``); returns self.

        Raises:
            MathError: as assignment (``value`` not a scalar this dtype can hold).
        """
        self.value = jnp.broadcast_to(as_array(value), self.shape)
        return self

    def copy_(self, src: Any) -> "Variable":
        """Assign ``src`` (same shape and dtype) to this Variable; returns self.

        Raises:
            MathError: as assignment.
        """
        self.value = src
        return self

    def as_variable(self) -> "Variable":
        """This Variable itself (BrainPy's ``Array.as_variable``).

        Raises nothing.
        """
        return self

    # -- array-like behaviour -----------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the current value. Never raises (not recorded as a read)."""
        return self._current().shape

    @property
    def dtype(self) -> Any:
        """The dtype of the current value. Never raises (not recorded as a read)."""
        return self._current().dtype

    @property
    def ndim(self) -> int:
        """The number of axes of the current value. Never raises (not recorded as a read)."""
        return self._current().ndim

    @property
    def size(self) -> int:
        """The number of elements of the current value. Never raises (not recorded as a read)."""
        return self._current().size

    @property
    def T(self) -> jax.Array:
        """The transposed value (a recorded read). Never raises."""
        return self.value.T

    def __jax_array__(self) -> jax.Array:
        return self.value

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self.value, dtype=dtype)

    def __getattr__(self, name: str) -> Any:
        # Array methods (astype, reshape, sum, ...) are the value's methods.
        if name.startswith("_"):
            raise AttributeError(name)
        value = self.value
        try:
            return getattr(value, name)
        except AttributeError:
            # Name the Variable, not JAX's internal array class.
            raise AttributeError(f"{self.label}: neither a {type(self).__name__} nor its array "
                                 f"has an attribute {name!r}.") from None

    def __len__(self) -> int:
        return len(self._current())

    def __iter__(self):
        return iter(self.value)

    def __getitem__(self, index: Any) -> jax.Array:
        value, index = self.value, value_of(index)
        _check_index(self.label, index, value.shape)
        return value[index]

    def __setitem__(self, index: Any, item: Any) -> None:
        """``v[index] = item``: ``v.value = v.value.at[index].set(item)``, checked first.

        Raises:
            IndexError: an integer index past its axis (JAX would drop the
                write silently); index arrays are checked when not traced.
            TypeError: an index that is not an integer, slice, bool or array
                of them.
            MathError: ``item`` is not an array, would lose information in
                the Variable's dtype (``1.5`` into an integer Variable), or
                does not broadcast to the indexed shape. Nothing is written.
        """
        value, index, original = self.value, value_of(index), item
        _check_index(self.label, index, value.shape)
        try:
            item = as_array(item)
        except (TypeError, ValueError, OverflowError) as error:
            raise MathError(f"{self.label}[{index!r}]: cannot assign {_describe(original)}: it is "
                            f"not an array ({error}).") from None
        if item.dtype != value.dtype:
            # `.at[].set` casts silently (1.5 -> 1 in an int32 Variable).
            if _is_weak(item):
                _check_lossless(self.label, original, item.dtype, value.dtype)
            else:
                _check_strong_cast(self.label, item, value.dtype)
            # Approved: convert here (JAX's scatter warns on implicit narrowing).
            item = jax.lax.convert_element_type(item, value.dtype)
        try:
            new = value.at[index].set(item)
        except TypeError as error:  # a bad index (a float, a str): JAX's type, our culprit
            raise TypeError(f"{self.label}[{index!r}]: {error}") from None
        except ValueError as error:  # an item that does not broadcast to the indexed shape
            raise MathError(f"{self.label}[{index!r}] = {_describe(original)}: {error}") from None
        self.value = new

    def __float__(self) -> float:
        return float(self.value)

    def __int__(self) -> int:
        return int(self.value)

    def __index__(self) -> int:
        return operator.index(self.value)

    def __bool__(self) -> bool:
        return bool(self.value)

    def __complex__(self) -> complex:
        return complex(self.value)

    def __format__(self, spec: str) -> str:
        return format(self.value, spec) if spec else repr(self)

    def __neg__(self):
        return -self.value

    def __pos__(self):
        return +self.value

    def __abs__(self):
        return abs(self.value)

    def __invert__(self):
        return ~self.value

    def __repr__(self) -> str:
        value = self._current()
        text = repr(value) if not isinstance(value, _Tracer) else str(value)
        dtype = getattr(value, "dtype", None)
        return f"{type(self).__name__}(value={text}, dtype={dtype})"

    def __treescope_repr__(self, path: str | None, subtree_renderer: Any) -> Any:
        """Render in notebooks with treescope (when installed): the kind and the value.

        Raises nothing (treescope calls it).
        """
        from treescope import repr_lib  # only treescope calls this, so it is installed

        return repr_lib.render_object_constructor(
            object_type=type(self), attributes={"value": self._current()}, path=path,
            subtree_renderer=subtree_renderer)

    # Variables are boxes: equal only to themselves as dict keys and set
    # members, while ``==`` compares values elementwise like arrays do.
    __hash__ = object.__hash__

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("_own_pytree", False):  # VariableView registers its own rules
            register_variable_type(cls)


def _binary(op):
    def forward(self, other):
        return op(self.value, value_of(other))

    def reverse(self, other):
        return op(value_of(other), self.value)

    def inplace(self, other):
        if not isinstance(other, (Variable, jax.Array, np.ndarray, np.generic, int, float, complex)):
            # Only to name the Variable for a str or None; the operand itself
            # goes to the operator unchanged (as for `v + other`).
            try:
                jnp.asarray(other)
            except (TypeError, ValueError, OverflowError) as error:
                raise MathError(f"{self.label}: cannot update it in place with "
                                f"{_describe(other)}: it is not an array ({error}).") from None
        if isinstance(other, (int, float, complex)) and not isinstance(other, bool):
            # JAX wraps `uint8 + 300` silently; refuse what assignment would refuse.
            _check_lossless(self.label, other, jnp.asarray(other).dtype, self.dtype)
        self.value = op(self.value, value_of(other))
        return self

    return forward, reverse, inplace


for _name, _op in [
    ("add", operator.add), ("sub", operator.sub), ("mul", operator.mul),
    ("truediv", operator.truediv), ("floordiv", operator.floordiv),
    ("mod", operator.mod), ("pow", operator.pow), ("matmul", operator.matmul),
    ("and", operator.and_), ("or", operator.or_), ("xor", operator.xor),
    ("lshift", operator.lshift), ("rshift", operator.rshift),
]:
    _f, _r, _i = _binary(_op)
    setattr(Variable, f"__{_name}__", _f)
    setattr(Variable, f"__r{_name}__", _r)
    setattr(Variable, f"__i{_name}__", _i)

for _name, _op in [
    ("eq", operator.eq), ("ne", operator.ne), ("lt", operator.lt),
    ("le", operator.le), ("gt", operator.gt), ("ge", operator.ge),
]:
    setattr(Variable, f"__{_name}__", _binary(_op)[0])

Variable.__divmod__ = lambda self, other: divmod(self.value, value_of(other))
Variable.__rdivmod__ = lambda self, other: divmod(value_of(other), self.value)


def _leaf(var: Variable) -> Any:
    # Through the read hook: inside a transform, JAX's own reach into a
    # Variable (tree_map, eqx.filter, jnp.where(v, ...)) is a recorded read
    # of its current value, never a stale constant.
    stack = THREAD.frames
    if stack and var._owner is not COPY:
        return stack[-1].read(var)
    return var._value


def _aux(var: Variable) -> Any:
    # The type alone unless metadata is set: Variables without it keep the
    # treedef they always had; with it, a JAX-made copy keeps its batch axis.
    if var._batch_axis is None and var._axis_names is None and var._spec is None:
        return type(var)
    return (type(var), var._batch_axis, var._axis_names, var._spec)


def _variable_flatten_with_keys(var: Variable):
    return [(jtu.GetAttrKey("value"), _leaf(var))], _aux(var)


def _variable_flatten(var: Variable):
    return (_leaf(var),), _aux(var)


def _variable_unflatten(aux: Any, children: Iterable[Any]) -> Variable:
    # No checks: JAX and equinox rebuild with whatever leaf they carry
    # (tracers, None placeholders, ShapeDtypeStructs).
    cls, batch_axis, names, spec = aux if isinstance(aux, tuple) else (aux, None, None, None)
    var = object.__new__(cls)
    (var._value,) = children
    var._label = None
    var._batch_axis = batch_axis
    var._axis_names = names
    var._spec = spec
    # Built from a concrete array outside any trace, the copy is state in its
    # own right (a target network made with tree_map); otherwise it is a
    # throw-away value of the trace that made it.
    concrete = isinstance(var._value, (jax.Array, np.ndarray)) and not isinstance(var._value, _Tracer)
    var._owner = None if (concrete and not THREAD.frames) else COPY
    return var


def register_variable_type(cls: type) -> type:
    """Register a Variable subclass as a pytree whose only child is its value."""
    jtu.register_pytree_with_keys(
        cls, _variable_flatten_with_keys, _variable_unflatten, _variable_flatten,
    )
    return cls


register_variable_type(Variable)


class TrainVar(Variable):
    """A trainable parameter: what optimizers and ``obj.train_vars()`` pick up.

    Raises:
        MathError, TypeError, IndexError: as :class:`Variable`.
    """

    __slots__ = ()


class Parameter(Variable):
    """BrainPy's ``Parameter``: a Variable subclass for fixed parameters.

    Like BrainPy, it is not a :class:`TrainVar`: ``train_vars()`` and
    optimizers leave it out.

    Raises:
        MathError, TypeError, IndexError: as :class:`Variable`.

    Example:
        >>> import brainobj.math as bm
        >>> p = bm.Parameter(bm.ones(2))
        >>> isinstance(p, bm.Variable), isinstance(p, bm.TrainVar)
        (True, False)
    """

    __slots__ = ()


class _ViewRef:
    """Pytree aux data for a VariableView: the view itself, compared by identity
    (a Variable's ``==`` is elementwise)."""

    __slots__ = ("view",)

    def __init__(self, view: "VariableView") -> None:
        self.view = view

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, _ViewRef) and other.view is self.view

    def __hash__(self) -> int:
        return id(self.view)


class VariableView(Variable):
    """A window ``var[index]`` on a Variable: reads give the slice, writes go
    into the Variable (BrainPy's ``VariableView``).

    The view holds no value of its own: every read is ``var.value[index]`` and
    every write ``var.value = var.value.at[index].set(new)``, through the
    Variable's hooks, so the transforms see them as reads and writes of
    ``var``. ``vars()`` leaves views out (their Variable is collected), and to
    JAX a view is a constant with no leaves (BrainPy: "not a PyTree").

    Args:
        value: the Variable to look into.
        index: what ``var[index]`` takes (an int, slice, tuple, index array;
            Variables in it are read once, now).

    Raises:
        MathTypeError: ``value`` is not a Variable (a :class:`MathError`,
            as BrainPy's ``ValueError``, and a ``TypeError``).
        TypeError: an index of a bad type.
        IndexError: an integer index past its axis.
        MathError: an index holding a traced value (use ``var[i]`` and
            ``var[i] = x`` inside transforms instead); (assignment) as
            :class:`Variable`: the new value must have the view's shape and
            dtype. Nothing is written on failure.

    Example:
        >>> import brainobj.math as bm
        >>> origin = bm.Variable(bm.arange(5.))
        >>> view = bm.VariableView(origin, slice(None, 2))
        >>> view.value
        Array([0., 1.], dtype=float32)
        >>> view[:] = 9.
        >>> view *= 2
        >>> origin.value
        Array([18., 18.,  2.,  3.,  4.], dtype=float32)
    """

    __slots__ = ("_var", "_index")
    _own_pytree = True

    def __init__(self, value: Variable, index: Any) -> None:
        if not isinstance(value, Variable):
            raise MathTypeError(f"VariableView: expected a Variable to look into, got "
                                f"{type(value).__name__}. Wrap the array in bm.Variable(...) first.")
        index = jtu.tree_map(value_of, index, is_leaf=lambda x: isinstance(x, Variable))
        if any(isinstance(leaf, _Tracer) for leaf in jtu.tree_leaves(index)):
            raise MathError(f"VariableView({value.label}, ...): the index is a traced value; a "
                            "view holding it would leak the tracer. Inside a transform, use "
                            "`var[i]` to read and `var[i] = x` to write instead.")
        current = value._current()
        _check_index(f"VariableView({value.label})", index, current.shape)
        try:
            current[index]
        except (TypeError, IndexError) as error:
            raise type(error)(f"VariableView({value.label}): bad index {index!r}: {error}") from None
        self._var = value
        self._index = index
        self._label = None
        self._owner = None
        self._batch_axis = None
        self._axis_names = None
        self._spec = None

    @property
    def value(self) -> jax.Array:
        """``var.value[index]`` (a recorded read of ``var``).

        Assigning writes into the Variable; see the class's ``Raises``.
        """
        return self._var.value[self._index]

    @value.setter
    def value(self, new: Any) -> None:
        new = self._checked(new)
        var = self._var
        var.value = var.value.at[self._index].set(new)

    @property
    def index(self) -> Any:
        """The index of the window. Never raises."""
        return self._index

    @property
    def target(self) -> Variable:
        """The Variable the view looks into. Never raises."""
        return self._var

    def _current(self) -> Any:
        return self._var._current()[self._index]

    # The engine reads a Variable's box directly in places (its tracer checks);
    # a view's box is its Variable's, sliced. Only the Variable's box is ever
    # assigned: a view is not collected by vars(), so no transform stores it.
    @property
    def _value(self) -> Any:
        return self._var._value[self._index]

    @_value.setter
    def _value(self, new: Any) -> None:
        raise MathError(f"{self.label}: a view has no box of its own; assign `.value` (it "
                        "writes into its Variable).")

    @property
    def label(self) -> str:
        """``'VariableView(<label of the Variable>)[index]'``. Never raises."""
        return self._label or f"VariableView({self._var.label})[{self._index!r}]"

    def clone(self) -> Variable:
        """A new :class:`Variable` holding a copy of the window's values.

        Raises:
            MathError: inside a brainobj transform.
        """
        return Variable(jnp.array(self.value, copy=True))

    def __getstate__(self) -> dict:
        return {"var": self._var, "index": self._index}

    def __setstate__(self, state: dict) -> None:
        self._var, self._index = state["var"], state["index"]
        self._label = self._owner = self._batch_axis = self._axis_names = self._spec = None

    def __repr__(self) -> str:
        return f"VariableView({self._var.label}, index={self._index!r})"


jtu.register_pytree_node(VariableView, lambda view: ((), _ViewRef(view)),
                         lambda ref, _: ref.view)


def _require_variable(container: str, key: Any, item: Any) -> Any:
    if not isinstance(item, Variable):
        raise TypeError(
            f"{container}[{key!r}]: expected a Variable, got {type(item).__name__}. "
            "Wrap arrays in bm.Variable(...)."
        )
    return item


@register_list_type
class VarList(ObservedList):
    """A list of Variables, found by ``vars()`` and by every transform.

    Raises:
        TypeError: an item that is not a Variable (when created, appended,
            inserted or assigned); the list is unchanged.

    Example:
        >>> import brainobj.math as bm
        >>> vs = bm.VarList([bm.Variable(bm.zeros(2))])
        >>> len(vs)
        1
    """

    def _check_item(self, index: Any, item: Any) -> Any:
        return _require_variable("VarList", index, item)

    def __setitem__(self, index: Any, value: Any) -> None:
        """``vs[i] = array`` writes into the Variable at ``i`` (BrainPy); a
        Variable (or a slice of items) replaces, as in a list.

        Raises:
            IndexError: no item at ``i``.
            MathError: as assigning the Variable's ``.value`` (shape, dtype);
                replacing an item inside a transform. Nothing changes.
            TypeError: a replacement that is not a Variable.
        """
        if _is_index_int(index) and not isinstance(value, Variable):
            # A write into the Variable, not a change of the list: allowed
            # inside transforms, where the Variable's setter records it.
            list.__getitem__(self, index).value = value
            return
        super().__setitem__(index, value)

    def append(self, item: Any) -> "VarList":
        """Add a Variable at the end; returns the list, as BrainPy's does.

        Raises:
            TypeError: ``item`` is not a Variable (nothing is added).
            MathError: called inside a transform the list existed before.
        """
        super().append(item)
        return self

    def extend(self, items: Any) -> "VarList":
        """Add Variables at the end; returns the list, as BrainPy's does.

        Raises:
            TypeError: an item is not a Variable (nothing is added).
            MathError: called inside a transform the list existed before.
        """
        super().extend(items)
        return self


@register_dict_type
class VarDict(ObservedDict):
    """A dict of Variables, found by ``vars()`` and by every transform.

    Raises:
        TypeError: a value that is not a Variable (when created or assigned);
            the dict is unchanged.

    Example:
        >>> import brainobj.math as bm
        >>> vd = bm.VarDict({"w": bm.Variable(bm.zeros(2))})
        >>> sorted(vd)
        ['w']
    """

    def _check_item(self, key: Any, item: Any) -> Any:
        return _require_variable("VarDict", key, item)

    def __setitem__(self, key: Any, value: Any) -> None:
        """``vd[k] = array`` writes into the Variable at an existing ``k``
        (BrainPy); a Variable (or a new key) adds or replaces, as in a dict.

        Raises:
            MathError: as assigning the Variable's ``.value`` (shape, dtype);
                adding or replacing an entry inside a transform. Nothing changes.
            TypeError: a new entry that is not a Variable.
        """
        if not isinstance(value, Variable) and dict.__contains__(self, key):
            dict.__getitem__(self, key).value = value  # a write, recorded by transforms
            return
        super().__setitem__(key, value)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(brainpy_entries("VarDict", args, kwargs))

    def update(self, *args: Any, **kwargs: Any) -> "VarDict":  # type: ignore[override]
        """``vd[k] = v`` for every entry, all or nothing; returns the dict (BrainPy).

        Takes dicts, ``(key, value)`` pairs and keywords, as BrainPy's does.
        An array for an existing key writes into its Variable (allowed inside
        transforms); a Variable or a new key adds or replaces an entry.

        Raises:
            TypeError: a new entry that is not a Variable, or an argument that
                is not a dict or pair.
            MathError: a value the Variable cannot hold (shape, dtype); adding
                or replacing an entry inside a transform. Nothing changes:
                values written before the failing one are put back.

        Example:
            >>> import brainobj.math as bm
            >>> vd = bm.VarDict(a=bm.Variable(bm.zeros(2)))
            >>> first = vd['a']
            >>> vd.update({'a': bm.ones(2)}, ('b', bm.Variable(bm.zeros(1))))['a'] is first
            True
            >>> first.value
            Array([1., 1.], dtype=float32)
        """
        entries = brainpy_entries("VarDict.update", args, kwargs)
        writes = {k: v for k, v in entries.items()
                  if not isinstance(v, Variable) and dict.__contains__(self, k)}
        added = {k: v for k, v in entries.items() if k not in writes}
        if added:  # check the new entries before writing anything
            self._guard("update a dict")
            added = {k: self._accept(k, v) for k, v in added.items()}
            self._check_names(added)
        written: list = []
        try:
            for key, value in writes.items():
                variable = dict.__getitem__(self, key)
                old = variable.value
                variable.value = value
                written.append((variable, old))
        except BaseException:
            for variable, old in reversed(written):
                variable.value = old
            raise
        if added:
            dict.update(self, added)
            self._changed()
            self._stored(added.values())
        return self
