"""``bm.shard`` and friends: lay objects' Variables out over a device mesh.

brainobj does not distribute anything itself: JAX's ``Mesh``,
``PartitionSpec`` and ``NamedSharding`` do, and the transforms keep each
Variable's layout (see :mod:`._layout`). This module places Variables by
their specs and reports specs and shardings by ``vars()`` key.
"""

from __future__ import annotations

from typing import Any

import jax
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from ._containers import touch
from ._errors import MathError
from ._graph import collect, is_node
from ._state_dict import checkpointed
from ._tracing import THREAD
from ._variable import Variable

__all__ = ["shard", "get_partition_spec", "get_named_sharding", "abstract"]


def _variables(obj: Any, owner: str) -> dict[str, Variable]:
    """``vars()`` of an object, or of every object and Variable in a pytree."""
    if isinstance(obj, Variable):
        return {obj.label: obj}
    if is_node(obj):
        return dict(obj.vars())
    found: dict[str, Variable] = {}
    leaves = jax.tree_util.tree_leaves_with_path(
        obj, is_leaf=lambda x: isinstance(x, Variable) or is_node(x))
    for path, leaf in leaves:
        if isinstance(leaf, Variable):
            found.setdefault(f"{jax.tree_util.keystr(path)}", leaf)
        elif is_node(leaf):
            for key, var in leaf.vars().items():
                found.setdefault(key, var)
    if not found and not leaves:
        raise TypeError(f"{owner}: expected an object, a Variable or a pytree of them, got "
                        f"{type(obj).__name__}.")
    return found


def _check_mesh(owner: str, mesh: Any) -> None:
    if not isinstance(mesh, Mesh):
        raise TypeError(f"{owner}: mesh must be a jax.sharding.Mesh (e.g. jax.make_mesh((8,), "
                        f"('data',))), got {type(mesh).__name__}.")


def _sharding_for(owner: str, key: str, var: Variable, mesh: Mesh) -> NamedSharding:
    spec = var.spec if var.spec is not None else PartitionSpec()
    unknown = [n for part in spec for n in (part if isinstance(part, tuple) else (part,))
               if n is not None and n not in mesh.axis_names]
    if unknown:
        raise MathError(f"{owner}: {key}: spec {spec} names mesh axis {unknown[0]!r}, but the mesh "
                        f"has axes {tuple(mesh.axis_names)}. Use the mesh's axis names.")
    for dim, part in enumerate(spec):
        names = part if isinstance(part, tuple) else (part,)
        ways = 1
        for n in names:
            if n is not None:
                ways *= mesh.shape[n]
        size = var.shape[dim]
        if size % ways:
            raise MathError(f"{owner}: {key}: dimension {dim} of shape {tuple(var.shape)} "
                            f"({size}) does not divide into {ways} parts along mesh axes {part!r} "
                            f"(spec {spec}). Pick a size divisible by {ways}, or another spec.")
    return NamedSharding(mesh, spec)


def shard(obj: Any, mesh: Mesh) -> Any:
    """Place every Variable reachable from ``obj`` on ``mesh`` by its spec, in place.

    A Variable without a spec is replicated. Compiled functions that use
    these Variables compile again for the new layout at their next call,
    then keep it (written Variables are pinned to it). All placements are
    checked before any is made: on error nothing moves.

    Args:
        obj: an object, a Variable, or a pytree (list, dict, tuple) of them.
        mesh: a ``jax.sharding.Mesh``.

    Returns:
        ``obj``.

    Raises:
        TypeError: ``mesh`` is not a ``Mesh``; ``obj`` holds no objects or Variables.
        MathError: inside a transform; a spec names an axis the mesh does
            not have, or a dimension does not divide evenly (naming the
            Variable, e.g. ``Linear0.W``). Nothing moves.

    Example:
        >>> import jax, brainobj as bp, brainobj.math as bm
        >>> from jax.sharding import PartitionSpec as P
        >>> mesh = jax.make_mesh((1,), ('model',))
        >>> layer = bp.Linear(4, 2, W_initializer=bp.init.with_partitioning(
        ...     bp.init.XavierNormal(), P(None, 'model')))
        >>> layer = bm.shard(layer, mesh)
        >>> layer.W.value.sharding.spec == P(None, 'model')
        True
    """
    owner = "bm.shard"
    if THREAD.frames:
        raise MathError(f"{owner}: cannot place Variables inside a brainobj transform "
                        f"({THREAD.frames[-1].owner}); shard the model before compiling.")
    _check_mesh(owner, mesh)
    targets = _variables(obj, owner)
    shardings = [(var, _sharding_for(owner, key, var, mesh)) for key, var in targets.items()]
    placed = [(var, jax.device_put(var._value, sharding)) for var, sharding in shardings]
    for var, value in placed:
        var._value = value
    _forget_layouts(obj)
    return obj


def _forget_layouts(obj: Any) -> None:
    """Make compiled functions that walked ``obj`` plan again: their pinned
    layouts are those of before."""
    roots = [obj] if is_node(obj) else [x for x in jax.tree_util.tree_leaves(obj, is_leaf=is_node)
                                        if is_node(x)]
    for root in roots:
        for node in collect(root, "relative")[0].values():
            stamp = node.__dict__.get("_stamp")
            if stamp is not None:
                touch(stamp)


def get_partition_spec(obj: Any) -> dict[str, PartitionSpec]:
    """``{vars() key: PartitionSpec}`` of every Variable reachable from ``obj``
    (``PartitionSpec()`` for one without a spec: replicated).

    Raises:
        TypeError: ``obj`` holds no objects or Variables.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> from jax.sharding import PartitionSpec as P
        >>> specs = bm.get_partition_spec(bp.Linear(2, 3, name='enc'))
        >>> list(specs), specs['enc.W'] == P()
        (['enc.W', 'enc.b'], True)
    """
    return {key: (var.spec if var.spec is not None else PartitionSpec())
            for key, var in _variables(obj, "bm.get_partition_spec").items()}


def get_named_sharding(obj: Any, mesh: Mesh) -> dict[str, NamedSharding]:
    """``{vars() key: NamedSharding(mesh, spec)}``, as :func:`get_partition_spec`.

    Raises:
        TypeError: ``mesh`` is not a ``Mesh``; ``obj`` holds no objects or Variables.
        MathError: a spec does not fit the mesh (see :func:`shard`).

    Example:
        >>> import jax, brainobj as bp, brainobj.math as bm
        >>> mesh = jax.make_mesh((1,), ('data',))
        >>> sharding = bm.get_named_sharding(bp.Linear(2, 3, name='dec'), mesh)['dec.W']
        >>> sharding.mesh is mesh
        True
    """
    owner = "bm.get_named_sharding"
    _check_mesh(owner, mesh)
    return {key: _sharding_for(owner, key, var, mesh)
            for key, var in _variables(obj, owner).items()}


def abstract(obj: Any) -> dict[str, jax.ShapeDtypeStruct]:
    """``{state_dict key: jax.ShapeDtypeStruct}`` of ``obj``'s Variables, each
    with the sharding its value has: the tree ``orbax`` restores into
    (``bp.load_sharded`` uses it). Nothing is computed or copied.

    Raises:
        TypeError: ``obj`` is not an object.
        MathError: two Variables would get the same key (see ``vars()``).

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> tree = bm.abstract(bp.Linear(2, 3))
        >>> tree['W'].shape, tree['W'].dtype
        ((2, 3), dtype('float32'))
    """
    if not is_node(obj):
        raise TypeError(f"bm.abstract: expected an object, got {type(obj).__name__}.")
    return {key: jax.ShapeDtypeStruct(var.shape, var.dtype, sharding=_current_sharding(var))
            for key, var in checkpointed(obj).items()}


def _current_sharding(var: Variable) -> Any:
    return getattr(var._value, "sharding", None)
