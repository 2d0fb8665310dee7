"""Delay buffers: the last values of a Variable, read back some steps later.

BrainPy 2.8's convention, kept here because it decides when a spike arrives:

* A delay *time* ``d`` (ms) becomes ``ceil(d / dt)`` steps (``delay=1.0`` at
  ``dt=0.1`` is 10 steps); ``None`` or ``0`` means no buffer at all: the entry
  reads the target Variable itself. In a network whose projections update
  before the neurons, that is the spikes of the previous step.
* The buffer holds ``L`` = the largest registered number of steps. It is
  written after the target's group updates (the delay is that group's
  after-update), and starts filled with ``init`` (zeros by default).
* ``method='rotation'`` (BrainPy's default in non-training modes) writes
  step ``i``'s value at slot ``-i % L`` and reads an entry of ``k`` steps
  at slot ``(k - i - 1) % L``, with ``i = bp.share.load('i')``. As the
  projections read before the groups update, a spike emitted at step ``j``
  is read at step ``j + k - 1`` through an entry of ``k >= 2`` steps, and at
  step ``j + 1`` without delay: ``delay=1.0`` (10 steps) arrives 9 steps
  after the spike, 8 steps later than ``delay=None``. ``delay=0.1`` and
  ``0.2`` (1 and 2 steps) arrive like ``None``, except that a 1-step entry
  sharing a longer buffer (``L > 1``) reads the value written ``L`` steps
  before. ``method='concat'`` (BrainPy's
  training-mode default) shifts the buffer by one each step and reads slot
  ``k - 1``: the value written at step ``i - k``. Both are BrainPy 2.8's
  arithmetic, unchanged; rotation needs ``i`` to count steps from 0 (as
  ``step_run`` and ``bp.DSRunner`` do).
"""

from __future__ import annotations

import math
import numbers
import weakref
from typing import Any, Callable

import jax.numpy as jnp

import brainobj.math as bm

from ._share import share
from ._system import DynamicalSystem, ReturnInfo, _batch_of

__all__ = ["Delay", "VarDelay", "DataDelay", "DelayAccess", "init_delay_by_return",
           "register_delay_by_return", "delay_identifier", "ROTATE_UPDATE", "CONCAT_UPDATE"]

delay_identifier = "_*_delay_of_"
ROTATE_UPDATE = "rotation"
CONCAT_UPDATE = "concat"


def _delay_steps(who: str, delay_time: Any, delay_step: Any) -> int | None:
    """BrainPy's rule: ``ceil(time / dt)`` steps; None when neither is given."""
    if delay_time is None:
        if delay_step is None:
            return None
        if isinstance(delay_step, bool) or not isinstance(delay_step, numbers.Integral):
            raise TypeError(f"{who}: delay_step must be an int, got {delay_step!r}")
        if delay_step < 0:
            raise ValueError(f"{who}: delay_step must be >= 0, got {delay_step}")
        return int(delay_step)
    if delay_step is not None:
        raise ValueError(f"{who}: give delay_time or delay_step, not both "
                         f"(got {delay_time!r} and {delay_step!r})")
    if hasattr(delay_time, "shape") and getattr(delay_time, "size", 0) == 1:
        delay_time = float(delay_time.reshape(()))
    if isinstance(delay_time, bool) or not isinstance(delay_time, numbers.Real):
        raise TypeError(f"{who}: the delay time must be a number of ms (or None), "
                        f"got {delay_time!r}")
    if not delay_time >= 0 or not math.isfinite(delay_time):
        raise ValueError(f"{who}: the delay time must be finite and >= 0, got {delay_time}")
    return math.ceil(delay_time / bm.get_dt())


class Delay(DynamicalSystem):
    """Base class of delays: ``register_entry``, ``at``, ``retrieve``.

    Args:
        time: the longest delay (ms) to allocate for now (None: none yet).
        init: the buffer's initial value (a number, an array or a function
            of shape and dtype); zeros when None.
        method: ``'rotation'`` or ``'concat'`` (see the module docstring);
            None picks BrainPy's default for the mode.
        name: the object's name.
        mode: the computing mode.

    Raises:
        TypeError: ``time`` is not a number or None; a bad ``init``.
        ValueError: an unknown ``method``; a negative ``time``.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> d = bp.dyn.VarDelay(bm.Variable(bm.zeros(2)), time=0.5)
        >>> d.max_length, d.method
        (5, 'rotation')
    """

    not_desc_params = ("time", "entries", "name")

    def __init__(self, time: Any = None, init: Any = None, method: str | None = None,
                 name: str | None = None, mode: Any = None) -> None:
        super().__init__(name=name, mode=mode)
        who = type(self).__name__
        if method is None:
            method = CONCAT_UPDATE if isinstance(self.mode, bm.TrainingMode) else ROTATE_UPDATE
        if method not in (ROTATE_UPDATE, CONCAT_UPDATE):
            raise ValueError(f"{who}: method must be {ROTATE_UPDATE!r} or {CONCAT_UPDATE!r}, "
                             f"got {method!r}")
        self.method = method
        if time is None:
            length, time = 0, 0.
        elif isinstance(time, numbers.Real) and not isinstance(time, bool):
            if not time >= 0:
                raise ValueError(f"{who}: time must be >= 0, got {time}")
            length = int(time / bm.get_dt())
        else:
            raise TypeError(f"{who}: time must be a number of ms or None, got {time!r}")
        if init is not None and not (isinstance(init, numbers.Number) or hasattr(init, "shape")
                                     or callable(init)):
            raise TypeError(f"{who}: init must be a number, an array or a function, got {init!r}")
        self.max_length = length
        self.max_time = time
        self._init = init
        self._registered_entries = {}

    def register_entry(self, entry: str, delay_time: Any = None,
                       delay_step: int | None = None) -> "Delay":
        """Register an entry reading ``delay_time`` ms (or ``delay_step`` steps) back.

        Raises:
            NotImplementedError: in the base class.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement register_entry")

    def at(self, entry: str, *indices: Any) -> Any:
        """The data seen by ``entry`` at this step.

        Raises:
            NotImplementedError: in the base class.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement at")

    def retrieve(self, delay_step: Any, *indices: Any) -> Any:
        """The data ``delay_step`` steps back.

        Raises:
            NotImplementedError: in the base class.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement retrieve")


class VarDelay(Delay):
    """The history of a Variable (BrainPy's ``bp.VarDelay``).

    Call it (or its ``update``) once per step after the target changed;
    read with ``at(entry)`` or ``retrieve(steps)``. ``entries`` maps entry
    names to delay times (ms). See the module docstring for the convention.

    Args:
        target: the Variable to delay.
        time: the longest delay (ms) to allocate now.
        init: the buffer's initial value.
        entries: ``{name: delay time}`` registered now.
        method: ``'rotation'`` or ``'concat'``.
        name: the object's name.
        mode: the computing mode.

    Raises:
        TypeError: ``target`` is not a Variable; see :class:`Delay`.
        ValueError: see :class:`Delay` and :meth:`register_entry`.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> x = bm.Variable(bm.zeros(()))
        >>> d = bp.dyn.VarDelay(x, entries={'two': 0.2}, method='concat')
        >>> def step(i):
        ...     out = d.at('two')
        ...     x.value = i * 1.
        ...     d()
        ...     return out
        >>> bm.for_loop(step, bm.arange(5))
        Array([0., 0., 0., 1., 2.], dtype=float32)
    """

    def __init__(self, target: bm.Variable, time: Any = None, init: Any = None,
                 entries: dict | None = None, method: str | None = None,
                 name: str | None = None, mode: Any = None) -> None:
        if not isinstance(target, bm.Variable):
            raise TypeError(f"{type(self).__name__}: target must be a bm.Variable, got "
                            f"{type(target).__name__}")
        super().__init__(time=time, init=init, method=method, name=name, mode=mode)
        self._target = target
        # (owner, attribute) to find the target again after the owner's reset
        # made it a new Variable (a new batch size)
        self._source = None
        self.data = None
        if self.max_length > 0:
            self._init_data(self.max_length)
        if entries is not None:
            for entry, t in entries.items():
                self.register_entry(entry, t)

    @property
    def target(self) -> bm.Variable:
        """The delayed Variable."""
        if self._source is not None:
            owner, attr = self._source
            owner = owner()
            current = None if owner is None else owner.__dict__.get(attr)
            if isinstance(current, bm.Variable):
                return current
        return self._target

    def register_entry(self, entry: str, delay_time: Any = None,
                       delay_step: int | None = None) -> "VarDelay":
        """Register ``entry`` reading ``delay_time`` ms (``ceil(time/dt)`` steps)
        or ``delay_step`` steps back; None reads the target itself.

        A longer delay than allocated enlarges the buffer (which restarts
        from ``init``). Returns the delay.

        Raises:
            KeyError: ``entry`` is already registered.
            TypeError: ``entry`` is not a string; a non-numeric delay.
            ValueError: a negative delay; both ``delay_time`` and ``delay_step``.

        Example:
            >>> import brainobj as bp, brainobj.math as bm
            >>> d = bp.dyn.VarDelay(bm.Variable(bm.zeros(2)))
            >>> d.register_entry('a', 1.0).max_length
            10
        """
        if not isinstance(entry, str):
            raise TypeError(f"{self.name}.register_entry: entry must be a string, got {entry!r}")
        if entry in self._registered_entries:
            raise KeyError(f"{self.name}: the entry {entry!r} is already registered (with "
                           f"{self._registered_entries[entry]} steps); use another name")
        steps = _delay_steps(f"{self.name}.register_entry({entry!r})", delay_time, delay_step)
        if steps is not None and steps > self.max_length:
            self._init_data(steps)
            self.max_length = steps
            self.max_time = delay_time if delay_time is not None else steps * bm.get_dt()
        self._registered_entries[entry] = steps
        return self

    def at(self, entry: str, *indices: Any) -> Any:
        """The value ``entry`` sees at this step (indexed by ``indices``).

        Raises:
            KeyError: ``entry`` is not registered.
            KeyError: ``bp.share`` has no ``i`` (rotation buffers need the step index).

        Example:
            >>> import brainobj as bp, brainobj.math as bm
            >>> x = bm.Variable(bm.arange(3.))
            >>> d = bp.dyn.VarDelay(x, entries={'now': None})
            >>> d.at('now', 1)
            Array(1., dtype=float32)
        """
        if entry not in self._registered_entries:
            raise KeyError(f"{self.name} has no entry {entry!r}; registered: "
                           f"{list(self._registered_entries)}")
        steps = self._registered_entries[entry]
        indices = self._batch_indices(indices)
        if not steps:
            value = self.target.value
            return value[indices] if indices else value
        return self.retrieve(steps, *indices)

    def _batch_indices(self, indices: tuple) -> tuple:
        axis = self.target.batch_axis
        if indices and axis is not None and len(indices) > axis:
            indices = indices[:axis] + (slice(None),) + indices[axis:]
        return indices

    def retrieve(self, delay_step: Any, *indices: Any) -> Any:
        """The buffered value ``delay_step`` steps back (1 <= steps <= ``max_length``).

        Raises:
            ValueError: no buffer is allocated; a concrete ``delay_step``
                outside ``[1, max_length]``.
            KeyError: ``bp.share`` has no ``i`` (rotation buffers).

        Example:
            >>> import brainobj as bp, brainobj.math as bm
            >>> d = bp.dyn.VarDelay(bm.Variable(bm.ones(2)), time=0.2)
            >>> with bp.share.context(i=0):
            ...     d.retrieve(2)
            Array([0., 0.], dtype=float32)
        """
        if self.data is None:
            raise ValueError(f"{self.name}: no delay buffer is allocated; register an entry "
                             f"with a delay > 0 first")
        if isinstance(delay_step, numbers.Integral) and not 1 <= delay_step <= self.max_length:
            raise ValueError(f"{self.name}.retrieve: delay_step must be in [1, "
                             f"{self.max_length}], got {delay_step}")
        if self.method == ROTATE_UPDATE:
            i = share.load("i", desc="the step index that rotation delays need")
            idx = jnp.asarray((delay_step - i - 1) % self.max_length, dtype=jnp.int32)
        else:
            idx = jnp.asarray(delay_step - 1, dtype=jnp.int32)
        return self.data.value[(idx,) + tuple(indices)]

    def update(self, latest_value: Any = None) -> None:
        """Store this step's value (``latest_value``, else the target's value).

        Raises:
            KeyError: ``bp.share`` has no ``i`` (rotation buffers).

        Example:
            >>> import brainobj as bp, brainobj.math as bm
            >>> d = bp.dyn.VarDelay(bm.Variable(bm.ones(2)), time=0.1)
            >>> with bp.share.context(i=0):
            ...     d.update(); d.retrieve(1)
            Array([1., 1.], dtype=float32)
        """
        if self.data is None:
            return
        if latest_value is None:
            latest_value = self.target.value
        latest_value = bm.asarray(latest_value, dtype=self.data.dtype)
        if self.method == ROTATE_UPDATE:
            i = share.load("i", desc="the step index that rotation delays need")
            idx = jnp.asarray(-i % self.max_length, dtype=jnp.int32)
            self.data.value = self.data.value.at[idx].set(latest_value)
        elif self.max_length > 1:
            self.data.value = jnp.concatenate([latest_value[None], self.data.value[:-1]], axis=0)
        else:
            self.data.value = self.data.value.at[0].set(latest_value)

    def reset_state(self, batch_size: Any = None, **kwargs: Any) -> None:
        """Refill the buffer with ``init`` (for the target's current shape).

        Raises:
            ValueError: ``batch_size`` differs from the target's (reset the target first).

        Example:
            >>> import brainobj as bp, brainobj.math as bm
            >>> d = bp.dyn.VarDelay(bm.Variable(bm.ones(2)), time=0.1)
            >>> with bp.share.context(i=0):
            ...     d.update()
            >>> d.reset_state(); d.data.value
            Array([[0., 0.]], dtype=float32)
        """
        batch = _batch_of(batch_size)
        if batch is not None and self.target.batch_axis is not None \
                and self.target.shape[self.target.batch_axis] != batch:
            raise ValueError(f"{self.name}: the batch size {batch} differs from the target's "
                             f"({self.target.shape[self.target.batch_axis]}); reset the target "
                             f"first")
        if self.data is not None:
            self._init_data(self.max_length)

    def _init_data(self, length: int) -> None:
        target = self.target
        shape = (length,) + tuple(target.shape)
        if self._init is None:
            data = jnp.zeros(shape, dtype=target.dtype)
        elif callable(self._init) and not hasattr(self._init, "shape"):
            data = jnp.asarray(self._init(shape, dtype=target.dtype), dtype=target.dtype)
        else:
            data = jnp.broadcast_to(jnp.asarray(self._init, dtype=target.dtype), shape)
        batch_axis = None if target.batch_axis is None else target.batch_axis + 1
        old = self.__dict__.get("data")
        if isinstance(old, bm.Variable) and old.shape == data.shape and old.dtype == data.dtype:
            old.value = data
        else:
            self.data = bm.Variable(data, batch_axis=batch_axis)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(step={self.max_length}, shape={tuple(self.target.shape)}, "
                f"method={self.method})")


class DataDelay(VarDelay):
    """A delay that owns its target: ``update(value)`` stores the value as the
    target's and buffers it (BrainPy's ``DataDelay``).

    Raises:
        TypeError, ValueError: see :class:`VarDelay`.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> d = bp.dyn.DataDelay(bm.Variable(bm.zeros(2)), bm.zeros, entries={'now': None})
        >>> d.update(bm.ones(2)); d.at('now')
        Array([1., 1.], dtype=float32)
    """

    def __init__(self, data: bm.Variable, data_init: Any, time: Any = None, init: Any = None,
                 entries: dict | None = None, method: str | None = None,
                 name: str | None = None, mode: Any = None) -> None:
        self.target_init = data_init
        super().__init__(target=data, time=time, init=init, entries=entries, method=method,
                         name=name, mode=mode)

    def reset_state(self, batch_size: Any = None, **kwargs: Any) -> None:
        """Reset the target to ``data_init`` and refill the buffer.

        Raises:
            TypeError, ValueError: a bad ``batch_size``.
        """
        target = self.target
        if callable(self.target_init) and not hasattr(self.target_init, "shape"):
            value = self.target_init(tuple(target.shape))
        else:
            value = self.target_init
        target.value = jnp.broadcast_to(jnp.asarray(value, dtype=target.dtype), target.shape)
        super().reset_state(batch_size)

    def update(self, latest_value: Any = None) -> None:
        """Store ``latest_value`` as the target's value and buffer it.

        Raises:
            KeyError: ``bp.share`` has no ``i`` (rotation buffers).
        """
        if latest_value is not None:
            self.target.value = latest_value
        super().update(latest_value)


class DelayAccess(DynamicalSystem):
    """Reads one entry of a delay when called (BrainPy's ``DelayAccess``).

    Raises:
        TypeError: ``delay`` is not a :class:`Delay`.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> d = bp.dyn.VarDelay(bm.Variable(bm.arange(2.)))
        >>> bp.dyn.DelayAccess(d, None)()
        Array([0., 1.], dtype=float32)
    """

    def __init__(self, delay: Delay, time: Any, *indices: Any,
                 delay_entry: str | None = None) -> None:
        if not isinstance(delay, Delay):
            raise TypeError(f"DelayAccess: delay must be a Delay, got {type(delay).__name__}")
        super().__init__(mode=delay.mode)
        self.refs = {"delay": delay}
        self._delay_entry = delay_entry or self.name
        delay.register_entry(self._delay_entry, time)
        self.indices = indices

    def update(self) -> Any:
        """The entry's value now.

        Raises:
            KeyError: see :meth:`VarDelay.at`.
        """
        return self.refs["delay"].at(self._delay_entry, *self.indices)

    def reset_state(self, *args: Any, **kwargs: Any) -> None:
        """No state of its own.

        Raises nothing.
        """


def init_delay_by_return(info: Any, initial_delay_data: Any = None) -> Delay:
    """A delay for what a group's ``return_info()`` gives: a Variable
    (:class:`VarDelay`) or a :class:`ReturnInfo` (:class:`DataDelay`).

    Raises:
        TypeError: ``info`` is neither.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> type(bp.dyn.init_delay_by_return(bm.Variable(bm.zeros(2)))).__name__
        'VarDelay'
    """
    if isinstance(info, bm.Variable):
        return VarDelay(info, init=initial_delay_data)
    if isinstance(info, ReturnInfo):
        value = info.get_data()
        batch = _batch_of(info.batch_or_mode)
        target = bm.Variable(jnp.asarray(value), batch_axis=None if batch is None else 0)
        return DataDelay(target, data_init=info.data, init=initial_delay_data)
    raise TypeError(f"init_delay_by_return: expected a Variable or a ReturnInfo, got "
                    f"{type(info).__name__}")


def register_delay_by_return(target: DynamicalSystem) -> Delay:
    """The delay of ``target``'s output, created (as its after-update) on first use.

    Raises:
        TypeError: ``target`` has no ``return_info()`` (not a group that can be delayed).

    Example:
        >>> import brainobj as bp
        >>> lif = bp.dyn.LifRef(2)
        >>> bp.dyn.register_delay_by_return(lif) is bp.dyn.register_delay_by_return(lif)
        True
    """
    if not hasattr(target, "return_info"):
        raise TypeError(f"{getattr(target, 'name', target)!r} cannot be the pre-synaptic side of "
                        f"a delayed projection: it has no return_info()")
    if not target.has_aft_update(delay_identifier):
        info = target.return_info()
        delay = init_delay_by_return(info)
        if isinstance(info, bm.Variable):
            for attr, value in vars(target).items():
                if value is info:
                    # a weak reference: the group holds the delay, not the other way round
                    delay._source = (weakref.ref(target), attr)
                    # found through the group from now on: a reset to a new batch size
                    # replaces the Variable, and the old one must not stay reachable
                    delay._target = None
                    break
        target.add_aft_update(delay_identifier, delay)
    return target.get_aft_update(delay_identifier)
