"""Where arrays live: partition specs, the active mesh, and keeping a layout.

The low-level half of brainobj's sharding support (the public half,
``bm.shard`` and friends, is :mod:`._sharding`). Everything here is plain
JAX: a Variable's *spec* is a ``jax.sharding.PartitionSpec``; its *layout*
is the sharding of its value.

Two rules the transforms follow, both decided when a function is compiled
(never per call):

* a Variable the function writes keeps its layout: its new value is
  constrained to the sharding its value had (``with_sharding_constraint``
  on a mesh with ``Auto`` axes, ``reshard`` on ``Explicit`` ones), so XLA's
  propagation cannot drift it and the next call does not recompile;
* a Variable on one device that a multi-device program writes (the global
  random key beside a sharded model) is put back on its device after the
  call, uncommitted as it was, so single-device code can keep using it.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np
from jax.sharding import AxisType, Mesh, NamedSharding, PartitionSpec

__all__ = ["as_spec", "active_mesh", "layout_of", "is_spread", "constrain", "put_like", "send_home", "back_home", "pin_outputs", "put_on"]


def as_spec(spec: Any, owner: str, ndim: int | None = None) -> PartitionSpec | None:
    """``spec`` as a ``PartitionSpec`` (a tuple of axis names is accepted).

    Raises:
        TypeError: ``spec`` is neither a ``PartitionSpec`` nor a tuple/list
            of axis names (``str``, a tuple of them, or ``None``).
        ValueError: ``spec`` has more entries than the value has dimensions.
    """
    if spec is None:
        return None
    if isinstance(spec, PartitionSpec):
        out = spec
    elif isinstance(spec, (tuple, list)):
        for part in spec:
            names = part if isinstance(part, tuple) else (part,)
            if not all(n is None or isinstance(n, str) for n in names):
                raise TypeError(f"{owner}: spec entries must be mesh axis names (str), tuples of "
                                f"them or None; got {part!r:.40} in {tuple(spec)!r:.80}.")
        out = PartitionSpec(*spec)
    else:
        raise TypeError(f"{owner}: spec must be a jax.sharding.PartitionSpec or a tuple of mesh "
                        f"axis names, got {type(spec).__name__} {spec!r:.40}.")
    if ndim is not None and len(out) > ndim:
        raise ValueError(f"{owner}: spec {out} has {len(out)} entries but the value has {ndim} "
                         f"dimension(s); give at most one entry per dimension.")
    return out


def active_mesh() -> Mesh | None:
    """The concrete mesh set by ``jax.set_mesh`` (or ``use_mesh``), if any
    (``None`` inside a JAX trace, where the enclosing program decides)."""
    getter = getattr(jax.sharding, "get_mesh", None)
    try:
        mesh = getter() if getter is not None else None
    except ValueError:  # inside a JAX trace: the enclosing program decides placement
        return None
    if mesh is None or not isinstance(mesh, Mesh) or mesh.empty:
        return None
    return mesh


def is_spread(value: Any) -> bool:
    """Whether ``value`` is a JAX array laid out over more than one device."""
    sharding = getattr(value, "sharding", None)
    return sharding is not None and len(sharding.device_set) > 1


def layout_of(value: Any) -> Any:
    """A hashable description of ``value``'s layout for cache keys: its
    sharding when it spans devices, else ``None`` (single-device arrays,
    NumPy arrays and tracers all compile the same way)."""
    if isinstance(value, jax.core.Tracer) or isinstance(value, np.ndarray):
        return None
    sharding = getattr(value, "sharding", None)
    if sharding is None or len(sharding.device_set) <= 1:
        return None
    return sharding


def _explicit(mesh: Any, spec: PartitionSpec) -> bool:
    types = dict(zip(mesh.axis_names, getattr(mesh, "axis_types", ()) or ()))
    named = [n for part in spec for n in (part if isinstance(part, tuple) else (part,)) if n is not None]
    if not named:  # replicated: follow the mesh
        return bool(types) and all(t == AxisType.Explicit for t in types.values())
    return all(types.get(n) == AxisType.Explicit for n in named)


def constrain(value: Any, sharding: Any) -> Any:
    """Inside a trace: pin ``value`` to ``sharding`` (a ``NamedSharding``)."""
    if not isinstance(sharding, NamedSharding):
        return jax.lax.with_sharding_constraint(value, sharding)
    if _explicit(sharding.mesh, sharding.spec):
        return jax.sharding.reshard(value, sharding)
    return jax.lax.with_sharding_constraint(value, sharding)


def put_like(value: Any, current: Any) -> Any:
    """``value`` (host data) placed as ``current`` is: on its sharding when it
    spans devices or was committed to one, else as a fresh (uncommitted) array."""
    if isinstance(current, jax.Array) and (current.committed or is_spread(current)):
        return jax.device_put(value, current.sharding)
    return jax.numpy.asarray(value)


def send_home(before: list) -> None:
    """Put each Variable of ``before`` (``(Variable, value before)``) back
    where its old value was, if a multi-device program moved it."""
    for var, old in before:
        sharding = getattr(old, "sharding", None)
        if sharding is None:  # a NumPy value: it was uncommitted, on the default device
            device, committed = jax.config.jax_default_device or jax.devices()[0], False
        else:
            device, committed = next(iter(sharding.device_set)), old.committed
        if var._value.sharding != sharding:
            var._value = back_home(var._value, device, committed)


def back_home(value: Any, device: Any, committed: bool) -> Any:
    """``value`` (written by a multi-device program) back on its one
    ``device``; uncommitted if it was, like a freshly created array, so that
    both single-device and mesh programs accept it later."""
    if committed:
        return jax.device_put(value, device)
    piece = next((s.data for s in value.addressable_shards
                  if s.device == device and s.data.shape == value.shape), None)
    if piece is None:
        piece = jax.device_put(value, device)
    return _uncommitted(piece)


def _uncommitted(piece: Any) -> Any:
    # JAX has no public way to un-commit an array: build one as jnp.asarray
    # would (on JAX's array class), else go through the host.
    try:
        from jax._src.array import ArrayImpl

        return ArrayImpl(piece.aval, piece.sharding, [piece], committed=False)
    except Exception:  # another JAX layout
        return jax.numpy.asarray(np.asarray(piece))


def _is_sharding_leaf(x: Any) -> bool:
    return x is None or isinstance(x, (jax.sharding.Sharding, PartitionSpec))


def pin_outputs(owner: str, out_shardings: Any, out: Any) -> Any:
    """Inside a trace: ``out`` pinned to ``out_shardings`` (a sharding, or a
    pytree prefix of shardings and ``None``s), as ``jax.jit``'s argument.

    Raises:
        MathError: ``out_shardings`` is not a prefix of the output's structure.
    """
    from ._errors import MathError

    def pin(sharding: Any, subtree: Any) -> Any:
        if sharding is None:
            return subtree
        if isinstance(sharding, PartitionSpec):
            mesh = jax.sharding.get_abstract_mesh()
            if mesh is None or mesh.empty:
                raise MathError(f"{owner}: out_shardings holds a PartitionSpec but no mesh is "
                                "set; pass NamedSharding(mesh, spec) or use jax.set_mesh(mesh).")
            return jax.tree.map(lambda x: jax.lax.with_sharding_constraint(x, sharding), subtree)
        return jax.tree.map(lambda x: constrain(x, sharding), subtree)

    try:
        return jax.tree.map(pin, out_shardings, out, is_leaf=_is_sharding_leaf)
    except ValueError as error:
        raise MathError(f"{owner}: out_shardings does not match the output's structure: it must "
                        f"be one sharding or a pytree prefix of the output ({error}).") from None


def put_on(mesh: Any, specs: Any, values: Any) -> Any:
    """``values`` laid out on ``mesh`` by ``specs`` (a pytree prefix of
    ``PartitionSpec``s): ``device_put`` for concrete arrays, a constraint
    inside a trace. ``jax.shard_map`` on a mesh with ``Explicit`` axes
    requires its inputs to be laid out as its ``in_specs`` say."""
    def put(spec: Any, subtree: Any) -> Any:
        sharding = NamedSharding(mesh, spec)

        def one(x: Any) -> Any:
            if isinstance(x, jax.core.Tracer):
                return constrain(x, sharding)
            return jax.device_put(x, sharding)

        return jax.tree.map(one, subtree)

    return jax.tree.map(put, specs, values, is_leaf=lambda s: isinstance(s, PartitionSpec))
