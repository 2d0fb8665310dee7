"""``Optimizer``: any optax ``GradientTransformation`` driving Variables."""

from __future__ import annotations

from typing import Any, Callable

import jax.numpy as jnp
import jax.tree_util as jtu
import optax

from .. import math as bm

__all__ = ["Optimizer"]


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

    The optax state lives in Variables on the optimizer, so one ``bm.jit``
    step can compute gradients, update the model and update the optimizer.
    ``opt.state_dict()`` (and ``bp.save(path, opt)``) holds only that state
    (``step``, ``opt_state.<i>``), not the trained Variables: save the model
    on its own, and load both into freshly built objects.
    Integer, boolean and key Variables among ``train_vars`` are kept but
    never updated (``bm.grad`` gives them ``None``).

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
        """Add Variables to optimize (a dict/Collector or a list) and reset the state."""
        if bm.in_transform():
            raise bm.MathError(f"{self.name}: register train_vars outside transforms.")
        if isinstance(train_vars, bm.Variable):
            train_vars = [train_vars]
        if isinstance(train_vars, dict):
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
        self.vars_to_train = registered
        self._reset_state()

    def _reset_state(self) -> None:
        params = [var.value for var in self._trained().values()]
        leaves, state_def = jtu.tree_flatten(self.tx.init(params))
        self._state_def = state_def
        self.opt_state = [bm.Variable(leaf) for leaf in leaves]
        self.step.value = jnp.zeros((), jnp.int32)

    def _trained(self) -> dict:
        return {k: v for k, v in self.vars_to_train.items() if bm.is_differentiable(v)}

    # -- the step (hot path: usually traced inside bm.jit) -----------------------
    def update(self, grads: Any) -> None:
        """Apply one step given ``grads`` in the structure ``bm.grad`` returned.

        ``grads`` is a dict with the registered keys (or a list in the
        registered order). Keys the optimizer does not hold, or missing
        gradients for trained Variables, raise :class:`~brainobj.math.MathError`.
        """
        trained = self._trained()
        grads = self._by_key(grads)
        unknown = [k for k in grads if k not in self.vars_to_train]
        missing = [k for k in trained if grads.get(k) is None]
        if unknown or missing:
            parts = []
            if unknown:
                parts.append(f"gradients for keys it does not hold: {unknown}")
            if missing:
                parts.append(f"no gradient for: {missing}")
            raise bm.MathError(f"{self.name}: " + "; ".join(parts) + ". Build the optimizer and "
                            "bm.grad from the same Variables (e.g. both from net.train_vars()).")
        params = [var.value for var in trained.values()]
        updates = []
        for key, var in trained.items():
            g = grads[key]
            g = g.value if isinstance(g, bm.Variable) else jnp.asarray(g)
            if g.shape != var.shape:
                raise bm.MathError(f"{self.name}: gradient for {key!r} has shape {g.shape}, "
                                f"the Variable has {var.shape}.")
            updates.append(g)
        state = jtu.tree_unflatten(self._state_def, [v.value for v in self.opt_state])
        updates, new_state = self.tx.update(updates, state, params)
        for var, new in zip(trained.values(), optax.apply_updates(params, updates)):
            var.value = new
        for var, leaf in zip(self.opt_state, jtu.tree_leaves(new_state)):
            var.value = leaf
        self.step.value = self.step.value + 1

    def _by_key(self, grads: Any) -> dict:
        if isinstance(grads, dict):
            return grads
        if isinstance(grads, (list, tuple)):
            keys = list(self.vars_to_train)
            if len(grads) != len(keys):
                raise bm.MathError(f"{self.name}: got {len(grads)} gradients for {len(keys)} "
                                "registered Variables.")
            return dict(zip(keys, grads))
        raise TypeError(f"{self.name}: grads must be a dict or a list, got {type(grads).__name__}")

    # -- reporting -----------------------------------------------------------------
    @property
    def lr(self) -> Any:
        """The learning rate the next step uses (a schedule evaluated at :attr:`step`)."""
        if callable(self.lr_schedule):
            return self.lr_schedule(self.step.value)
        return self.lr_schedule

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, lr={self.lr_schedule!r}, " \
               f"n_vars={len(self.vars_to_train)})"
