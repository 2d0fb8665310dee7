"""``Optimizer``: any optax ``GradientTransformation`` driving Variables.

One step is all or nothing: the gradients are checked, the whole optax
update is computed, and every new value (parameters, optax state, step
counter) is checked against its Variable before the first one is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable

import jax
import jax.numpy as jnp
import jax.tree_util as jtu
import optax
from jax.sharding import NamedSharding, PartitionSpec

from .. import math as bm

__all__ = ["Optimizer"]


def _is_weak(x: Any) -> bool:
    return bool(getattr(getattr(x, "aval", x), "weak_type", False))


class Optimizer(bm.BrainPyObject):
    """Apply an optax transformation to a set of Variables, state in Variables.

    Args:
        tx: any ``optax.GradientTransformation`` (``optax.adam(1e-3)``, a
            ``optax.chain(...)``, ...).
        train_vars: the Variables to optimize -- a dict or Collector (e.g.
            ``net.train_vars()``) or a list -- or ``None`` to register them
            later with :meth:`register_train_vars`.
        lr: the learning rate or optax schedule ``tx`` was built with, only
            so that :attr:`lr` can report it (the shortcuts fill it in).
        name: the object's name (default: the class name and a number).

    The optax state lives in Variables on the optimizer, so one ``bm.jit``
    step can compute gradients, update the model and update the optimizer.
    ``opt.state_dict()`` (and ``bp.save(path, opt)``) holds only that state
    (``step``, ``opt_state.<i>``), not the trained Variables: save the model
    on its own, and load both into freshly built objects.
    Integer, boolean and key Variables among ``train_vars`` are kept but
    never updated (``bm.grad`` gives them ``None``).

    Parameters keep their dtype (``bfloat16``, ``float16``, ``float32``, mixed
    in one model). The optax state takes the dtype optax gives it for those
    parameters; where an optax transformation widens its state on the first
    step (``optax.inject_hyperparams`` keeps ``float32`` hyperparameters, so
    a ``bfloat16`` momentum becomes ``float32``), the state is stored in the
    wider dtype from the start, so its Variables never change dtype and a
    ``bm.jit`` step never recompiles.

    Raises:
        TypeError: ``tx`` is not a ``GradientTransformation``, or
            ``train_vars`` is not a dict, a list or a Variable (see
            :meth:`register_train_vars` for the rest).
        MathError: see :meth:`register_train_vars`.

    Example:
        >>> import optax, brainobj as bp, brainobj.math as bm
        >>> w = bm.TrainVar(bm.ones(2))
        >>> opt = bp.optim.Optimizer(optax.sgd(0.5), {'w': w})
        >>> opt.update({'w': bm.ones(2)})
        >>> w.value
        Array([0.5, 0.5], dtype=float32)
    """

    # The trained Variables belong to the model: collectors key them by the
    # model's paths when they can, checkpoints leave them to the model.
    _references = frozenset({"vars_to_train"})

    def __init__(self, tx: optax.GradientTransformation, train_vars: Any = None,
                 lr: float | Callable | None = None, name: str | None = None) -> None:
        if not (hasattr(tx, "init") and hasattr(tx, "update")):
            raise TypeError(f"Optimizer needs an optax.GradientTransformation, got {type(tx).__name__}")
        self.tx = tx
        self.lr_schedule = lr
        self.vars_to_train = {}
        self.step = bm.Variable(jnp.zeros((), jnp.int32))
        self.opt_state = []
        self._state_def = None
        if train_vars is not None:
            self.register_train_vars(train_vars)

    # -- registration (slow path: outside transforms) --------------------------
    def register_train_vars(self, train_vars: Any) -> None:
        """Add Variables to optimize (a dict/Collector or a list) and reset the state.

        Args:
            train_vars: a dict or Collector of Variables (``net.train_vars()``),
                a list of Variables (keyed by position), or one Variable.

        Raises:
            MathError: called inside a transform, or a key is already
                registered for another Variable. Nothing is registered.
            TypeError: ``train_vars`` is not a dict, a list or a Variable, or
                one of its values is not a Variable. Nothing is registered.
            Exception: whatever ``tx.init`` raises for these Variables.
                Nothing is registered.

        Example:
            >>> import brainobj as bp, brainobj.math as bm
            >>> opt = bp.optim.SGD(0.1)
            >>> opt.register_train_vars({'w': bm.TrainVar(bm.ones(2))})
            >>> list(opt.vars_to_train)
            ['w']
        """
        if bm.in_transform():
            raise bm.MathError(f"{self.name}: register train_vars outside transforms.")
        if isinstance(train_vars, bm.Variable):
            train_vars = [train_vars]
        if isinstance(train_vars, Mapping):
            items = list(train_vars.items())
        elif isinstance(train_vars, (list, tuple)):
            items = [(i, v) for i, v in enumerate(train_vars)]
        else:
            raise TypeError(f"{self.name}: train_vars must be a dict (e.g. net.train_vars()) "
                            f"or a list of Variables, got {type(train_vars).__name__}")
        registered = dict(self.vars_to_train)
        for key, var in items:
            if not isinstance(var, bm.Variable):
                raise TypeError(f"{self.name}: train_vars[{key!r}] is a {type(var).__name__}, "
                                "not a Variable.")
            if key in registered and registered[key] is not var:
                raise bm.MathError(f"{self.name}: key {key!r} is already registered for another Variable.")
            registered[key] = var
        # Build the new state before changing anything: tx.init may fail.
        leaves, state_def = self._initial_state(registered)
        state = _laid_out(leaves, state_def, list(_differentiable(registered).values()))
        self.vars_to_train = registered
        self._state_def = state_def
        self.opt_state = state
        self.step.value = jnp.zeros((), jnp.int32)
        mesh = _mesh_of(registered.values())
        if mesh is not None:  # counters replicated on the parameters' mesh
            self.step.spec = PartitionSpec()
            self.step.value = jax.device_put(self.step.value, NamedSharding(mesh, PartitionSpec()))

    def _initial_state(self, registered: dict) -> tuple[list, Any]:
        """``tx.init`` of the trained values, in the dtypes its updates keep.

        Some transformations widen their state on the first update (a float32
        hyperparameter times a bfloat16 moment); a Variable cannot change
        dtype, so such leaves start in the wider dtype. Widening is exact and
        is what optax computes in that step anyway. Only widening: any other
        change is refused by :meth:`update`, naming the parameter.
        """
        params = [var.value for var in _differentiable(registered).values()]
        state = self.tx.init(params)
        for _ in range(3):  # widening converges in one or two rounds
            try:
                after = jax.eval_shape(lambda s: self.tx.update(params, s, params)[1], state)
            except Exception:  # noqa: BLE001 -- e.g. a tx needing extra arguments:
                break          # update() then fails with optax's own error, changing nothing
            leaves, state_def = jtu.tree_flatten(state)
            new_leaves, new_def = jtu.tree_flatten(after)
            if new_def != state_def:
                break
            wider = [jnp.asarray(leaf, new.dtype) if _widens(leaf, new) else leaf
                     for leaf, new in zip(leaves, new_leaves)]
            if all(a is b for a, b in zip(wider, leaves)):
                break
            state = jtu.tree_unflatten(state_def, wider)
        leaves, state_def = jtu.tree_flatten(state)
        return leaves, state_def

    def _trained(self) -> dict:
        return _differentiable(self.vars_to_train)

    # -- the step (hot path: usually traced inside bm.jit) -----------------------
    def update(self, grads: Any) -> None:
        """Apply one step given ``grads`` in the structure ``bm.grad`` returned.

        ``grads`` is a dict or an ``ArrayCollector`` (what ``bm.grad`` gives
        for ``grad_vars=net.train_vars()``; read once into a plain dict) with
        the registered keys, or, when the Variables
        were registered as a list, a list in that order. Each gradient must
        have its parameter's shape and dtype (a Python number adopts it).
        Eagerly or inside ``bm.jit``, the step is all or nothing: if anything
        is wrong, no parameter, optax state or step counter changes.

        Args:
            grads: the gradients, e.g. ``bm.grad(loss, grad_vars=<the same
                Variables>)()``. ``None`` (what ``bm.grad`` gives) for integer,
                boolean and key Variables.

        Raises:
            TypeError: ``grads`` is not a dict or a list, or is a list though
                the Variables were registered as a dict.
            MathError: no Variables are registered; gradients for keys the
                optimizer does not hold, or none for a Variable it trains; a
                gradient that is not an array, or has another shape or dtype
                than its parameter (named, e.g. ``'Linear0.W: gradient has
                shape (2,), expected (3, 2)'``); a non-``None`` gradient for a
                Variable that is never trained; a gradient traced by a JAX
                transform that is not brainobj's (``jax.jit``); an optax
                transformation whose update changes its state's structure,
                shape or dtype (named by the parameter it belongs to).
            Exception: whatever ``tx.update`` itself raises, changing nothing.

        Example:
            >>> import jax.numpy as jnp, brainobj as bp, brainobj.math as bm
            >>> w = bm.TrainVar(jnp.ones(2, jnp.bfloat16))
            >>> opt = bp.optim.Momentum(0.5, {'w': w})
            >>> opt.update({'w': jnp.ones(2, jnp.bfloat16)})
            >>> w.value
            Array([0.5, 0.5], dtype=bfloat16)
            >>> try:
            ...     opt.update({'w': jnp.ones(3, jnp.bfloat16)})
            ... except bm.MathError as error:
            ...     message = str(error).split(': ', 1)[1]
            ...     print(message[:41])
            w: gradient has shape (3,), expected (2,)
            >>> int(opt.step.value)
            1
        """
        if self._state_def is None:
            raise bm.MathError(f"{self.name}: no Variables to train; pass train_vars when building "
                               "it or call register_train_vars first.")
        trained = self._trained()
        names = [self._path(key, var) for key, var in trained.items()]
        updates = self._checked_grads(grads, trained, names)
        params = [var.value for var in trained.values()]
        state = jtu.tree_unflatten(self._state_def, [v.value for v in self.opt_state])
        updates, new_state = self.tx.update(updates, state, params)
        new_params = optax.apply_updates(params, updates)
        writes = self._checked_writes(trained, names, new_params, new_state)
        # Every value fits its Variable: the writes below cannot fail midway.
        for var, value in writes:
            var.value = value

    def _path(self, key: Any, var: bm.Variable) -> str:
        """How errors name a trained Variable: its key, else the model's path."""
        if isinstance(key, str):
            return key
        return var.label if var._label is not None else f"train_vars[{key!r}]"

    def _checked_grads(self, grads: Any, trained: dict, names: list) -> list:
        """The gradients of the trained Variables, in order, or an error."""
        by_key = self._by_key(grads)
        unknown = [k for k in by_key if k not in self.vars_to_train]
        missing = [k for k in trained if by_key.get(k) is None]
        if unknown or missing:
            parts = []
            if unknown:
                parts.append(f"gradients for keys it does not hold: {unknown}")
            if missing:
                parts.append(f"no gradient for: {missing}")
            raise bm.MathError(f"{self.name}: " + "; ".join(parts) + ". Build the optimizer and "
                               "bm.grad from the same Variables (e.g. both from net.train_vars()).")
        for key, var in self.vars_to_train.items():
            g = by_key.get(key)
            if key not in trained and g is not None and getattr(g, "dtype", None) != jax.dtypes.float0:
                raise bm.MathError(
                    f"{self.name}: {self._path(key, var)}: got a gradient for a {var.dtype} "
                    "Variable, which is never trained; its gradient must be None (as bm.grad gives).")
        return [self._gradient(name, by_key[key], var)
                for name, (key, var) in zip(names, trained.items())]

    def _gradient(self, name: str, g: Any, var: bm.Variable) -> Any:
        where = f"{self.name}: {name}"
        if isinstance(g, bm.Variable):
            g = g.value
        if isinstance(g, jax.core.Tracer) and not bm.in_transform():
            raise bm.MathError(
                f"{where}: the gradient is traced by a JAX transform that is not brainobj's "
                "(jax.jit, jax.vmap, jax.grad, ...); the optimizer's Variables would keep its "
                "tracers. Use bm.jit / bm.grad / bm.vmap around the step instead.")
        try:
            g = jnp.asarray(g)
        except (TypeError, ValueError, OverflowError):
            raise bm.MathError(f"{where}: the gradient is of type {type(g).__name__}, not an array of "
                               f"shape {tuple(var.shape)} and dtype {var.dtype}.") from None
        if g.shape != var.shape:
            raise bm.MathError(
                f"{where}: gradient has shape {tuple(g.shape)}, expected {tuple(var.shape)}. "
                "Compute it with bm.grad over the Variables the optimizer trains.")
        if g.dtype != var.dtype:
            # A Python number adopts the parameter's dtype, as in Variable
            # assignment; an array of another dtype would make optax change
            # the dtype of the parameter's state (or lose precision silently).
            lossless = not jnp.iscomplexobj(g) or jnp.issubdtype(var.dtype, jnp.complexfloating)
            if not (_is_weak(g) and lossless):
                raise bm.MathError(
                    f"{where}: gradient has dtype {g.dtype}, expected {var.dtype} (the "
                    f"parameter's). Cast it first, e.g. `g.astype({var.dtype.name!r})`.")
            g = g.astype(var.dtype)
        return g

    def _checked_writes(self, trained: dict, names: list, new_params: list, new_state: Any) -> list:
        """``[(Variable, value)]`` of the whole step, each value checked to fit."""
        path_leaves, new_def = jtu.tree_flatten_with_path(new_state)
        if new_def != self._state_def:
            raise bm.MathError(
                f"{self.name}: the optax update returned a state of another structure than "
                f"tx.init gave ({new_def} vs {self._state_def}); an optimizer's state must keep "
                "its structure between steps.")
        owners = _state_owners(new_state, path_leaves, names)
        pairs = list(zip(trained.values(), new_params, names))
        pairs += [(var, new, f"the optimizer state of {owner}" if owner else "the optimizer state")
                  for var, (_, new), owner in zip(self.opt_state, path_leaves, owners)]
        pairs.append((self.step, self.step.value + 1, "the step counter"))
        checked = []
        for var, new, what in pairs:
            if isinstance(new, jax.core.Tracer) and not bm.in_transform():
                raise bm.MathError(f"{self.name}: {what} ({var.label}) would hold a tracer of a "
                                   "JAX transform that is not brainobj's. Use bm.jit instead.")
            try:
                checked.append((var, var._checked(new)))
            except bm.MathError:
                raise bm.MathError(
                    f"{self.name}: {what}: the optax update gives shape "
                    f"{tuple(getattr(new, 'shape', ()))} and dtype {getattr(new, 'dtype', type(new))}, "
                    f"but {var.label} holds shape {tuple(var.shape)} and dtype {var.dtype}. The "
                    "transformation must keep the shapes and dtypes of the parameters and of its "
                    "state between steps (to keep a state in a narrower dtype, have tx.init "
                    "create it in that dtype, e.g. optax.adam(..., mu_dtype=...)). Nothing was "
                    "changed.") from None
        return checked

    def _by_key(self, grads: Any) -> dict:
        if isinstance(grads, Mapping):
            # a plain dict (an ArrayCollector of gradients is a pytree of
            # another structure): paired with the optimizer's own dict below
            return dict(grads)
        if isinstance(grads, (list, tuple)):
            keys = list(self.vars_to_train)
            if keys != list(range(len(keys))):
                raise TypeError(
                    f"{self.name}: grads is a {type(grads).__name__}, but the Variables were "
                    f"registered as a dict (keys {keys[:3]}{'...' if len(keys) > 3 else ''}): "
                    "pass the dict bm.grad returns for the same dict of Variables.")
            if len(grads) != len(keys):
                raise bm.MathError(f"{self.name}: got {len(grads)} gradients for {len(keys)} "
                                   "registered Variables.")
            return dict(zip(keys, grads))
        raise TypeError(f"{self.name}: grads must be a dict or a list, got {type(grads).__name__}")

    # -- reporting -----------------------------------------------------------------
    @property
    def lr(self) -> Any:
        """The learning rate the next step uses (a schedule evaluated at :attr:`step`).

        Raises:
            Exception: whatever the schedule raises for the current step.

        Example:
            >>> import optax, brainobj as bp
            >>> float(bp.optim.SGD(optax.linear_schedule(1.0, 0.0, 10)).lr)
            1.0
        """
        if callable(self.lr_schedule):
            return self.lr_schedule(self.step.value)
        return self.lr_schedule

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, lr={self.lr_schedule!r}, " \
               f"n_vars={len(self.vars_to_train)})"


def _differentiable(variables: dict) -> dict:
    return {k: v for k, v in variables.items() if bm.is_differentiable(v)}


def _widens(leaf: Any, new: Any) -> bool:
    """Whether ``new``'s dtype is a wider floating dtype than ``leaf``'s (exact to cast to)."""
    old = jnp.asarray(leaf).dtype
    return (jnp.issubdtype(old, jnp.inexact) and jnp.issubdtype(new.dtype, jnp.inexact)
            and old != new.dtype and jnp.promote_types(old, new.dtype) == new.dtype)


def _mesh_of(variables: Any) -> Any:
    """The mesh of the first Variable laid out over several devices, if any."""
    for var in variables:
        sharding = getattr(var.value, "sharding", None)
        if isinstance(sharding, NamedSharding) and len(sharding.device_set) > 1:
            return sharding.mesh
    return None


def _laid_out(leaves: list, state_def: Any, params: list) -> list:
    """The optax state as Variables placed like the parameters they belong to.

    A leaf shaped like its parameter takes the parameter's spec and
    sharding; any other leaf (a counter, a scalar) is replicated on the
    parameters' mesh, if they have one. Placing it now spares the first
    step a recompilation (its outputs would be spread, its inputs not).
    """
    path_leaves = jtu.tree_flatten_with_path(jtu.tree_unflatten(state_def, leaves))[0]
    owners = _state_owners(jtu.tree_unflatten(state_def, leaves), path_leaves, params)
    mesh = _mesh_of(params)
    out = []
    for leaf, owner in zip(leaves, owners):
        if owner is not None and tuple(jnp.shape(leaf)) == tuple(owner.shape):
            var = bm.Variable(leaf, spec=owner.spec)
            sharding = getattr(owner.value, "sharding", None)
            if mesh is not None and isinstance(sharding, NamedSharding):
                var.value = jax.device_put(var.value, sharding)
        else:
            var = bm.Variable(leaf, spec=None if mesh is None else PartitionSpec())
            if mesh is not None:
                var.value = jax.device_put(var.value, NamedSharding(mesh, PartitionSpec()))
        out.append(var)
    return out


def _state_owners(state: Any, path_leaves: list, names: list) -> list:
    """For each state leaf, the name of the parameter it belongs to, or None.

    optax keeps per-parameter state in trees shaped like the parameters (a
    list, here); a leaf found under such a list belongs to that position.
    """
    owners = []
    for path, _ in path_leaves:
        node, owner = state, None
        for key in path:
            if isinstance(key, jtu.SequenceKey):
                if type(node) is list and len(node) == len(names):
                    owner = names[key.idx]
                node = node[key.idx]
            elif isinstance(key, jtu.DictKey):
                node = node[key.key]
            elif isinstance(key, jtu.GetAttrKey):
                node = getattr(node, key.name)
            else:  # a custom pytree node: stop walking
                break
        owners.append(owner)
    return owners
