"""``DynamicalSystem`` and its containers: one step of a model, BrainPy 2.8's way.

A dynamical system advances one time step per call. ``system(*args)``
(``__call__``) runs, in this order:

1. its *before-updates* (``system.before_updates``, a dict filled with
   :meth:`DynamicalSystem.add_bef_update`), each called with no argument
   (or with ``*args`` when the object has ``_receive_update_input``);
2. ``system.update(*args)``, the model's own step;
3. its *after-updates* (``system.after_updates``), each called with what
   ``update`` returned (or with nothing when the object has
   ``_not_receive_update_output``).

Projections rely on this: an align-post projection registers its synapse
(and output) as a before-update of the post-synaptic group, so the
conductance decays right before the group integrates; a delay buffer is an
after-update of the pre-synaptic group, so it stores the spikes the group
just emitted. :class:`DynSysGroup` (and :class:`Network`) update their
direct children in BrainPy's order: every :class:`Projection` first, then
every :class:`Dynamic` (neurons, synapses), then everything else (delays),
each group in attribute order.

Inputs. A group sums the currents of the functions in ``current_inputs``
(added with :meth:`DynamicalSystem.add_inp_fun`) with
:meth:`DynamicalSystem.sum_current_inputs` (called with the membrane
potential), as BrainPy's neurons do.

Resetting. ``system.reset_state(batch_size=None)`` resets the system's own
Variables when its class defines ``reset_state``; the base class's
``reset_state`` (a network, a group) resets every dynamical system below it
(:func:`reset_state`), as BrainPy 2.8 does. A reset writes the initial
values into the existing Variables, so whoever holds them (a delay buffer
holding a group's ``spike``) keeps seeing them; only a new batch size
creates new Variables.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable, Sequence

import numpy as np

import brainobj.math as bm

from ._share import share

__all__ = [
    "DynamicalSystem", "DynSysGroup", "Network", "Projection", "Dynamic", "NeuDyn", "SynDyn",
    "ParamDesc", "ParamDescriber", "ReturnInfo", "reset_state", "reset_level",
    "receive_update_output", "not_receive_update_output", "receive_update_input",
    "not_receive_update_input", "init_variable", "init_param",
]

_MAX_LEVEL = 10


# -- parameters and variables ---------------------------------------------------------------------

def _batch_of(batch_or_mode: Any) -> int | None:
    """The batch size ``batch_or_mode`` asks for (None: no batch axis)."""
    if batch_or_mode is None or isinstance(batch_or_mode, bm.NonBatchingMode):
        return None
    if isinstance(batch_or_mode, bm.BatchingMode):
        return int(batch_or_mode.batch_size)
    if isinstance(batch_or_mode, bm.Mode):
        return None
    if isinstance(batch_or_mode, (bool, np.bool_)) or not isinstance(batch_or_mode, numbers.Integral):
        raise TypeError(f"batch_size must be None, an int or a bm.Mode, got {batch_or_mode!r}")
    if batch_or_mode < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_or_mode}")
    return int(batch_or_mode)


def init_param(param: Any, shape: Sequence[int], owner: str = "parameter",
               allow_none: bool = False) -> Any:
    """A parameter as BrainPy's ``parameter()`` makes it: numbers stay Python
    numbers, a callable is called with ``shape``, an array must broadcast to ``shape``.

    Keeping numbers as Python numbers matters: they enter the arithmetic as
    weakly typed values, exactly as in BrainPy, so results match bit for bit.

    Raises:
        TypeError: ``param`` is None (unless ``allow_none``) or of another type.
        ValueError: an array that does not broadcast to ``shape``.

    Example:
        >>> from brainobj.dyn import init_param
        >>> init_param(2.0, (3,)), init_param(lambda s: s, (3,))
        (2.0, (3,))
    """
    shape = tuple(shape)
    if param is None:
        if allow_none:
            return None
        raise TypeError(f"{owner} must not be None: give a number, an array or an initializer")
    if isinstance(param, (bool, np.bool_)):
        return param
    if isinstance(param, numbers.Number):
        return param
    if callable(param) and not isinstance(param, (bm.Variable, np.ndarray)) \
            and not hasattr(param, "shape"):
        return param(shape)
    if isinstance(param, bm.Variable) or hasattr(param, "shape"):
        pshape = tuple(param.shape)
        try:
            np.broadcast_shapes(pshape, shape)
        except ValueError:
            raise ValueError(f"{owner} has shape {pshape}, which does not broadcast to the "
                             f"group's shape {shape}") from None
        return param if isinstance(param, bm.Variable) else bm.asarray(param)
    raise TypeError(f"{owner} must be a number, an array or a callable initializer, got "
                    f"{type(param).__name__}: {param!r}")


def init_variable(data: Any, batch_or_mode: Any, shape: Sequence[int],
                  owner: str = "variable") -> bm.Variable:
    """A new Variable of ``shape`` (with a leading batch axis when asked) from
    ``data``: an initializer/function called with the full shape, or an array.

    Raises:
        TypeError: ``batch_or_mode`` is not None, an int or a mode; ``data``
            is neither callable nor an array.
        ValueError: an array of another shape than ``shape`` (or the batched one).

    Example:
        >>> import brainobj.math as bm
        >>> from brainobj.dyn import init_variable
        >>> v = init_variable(bm.zeros, 4, (3,))
        >>> v.shape, v.batch_axis
        ((4, 3), 0)
    """
    batch = _batch_of(batch_or_mode)
    shape = tuple(shape)
    full = shape if batch is None else (batch,) + shape
    if callable(data) and not hasattr(data, "shape"):
        value = data(full)
    elif hasattr(data, "shape") or isinstance(data, (numbers.Number, list, tuple)):
        value = bm.asarray(data.value if isinstance(data, bm.Variable) else data)
        if value.shape == shape and batch is not None:
            value = bm.broadcast_to(value, full)
        elif value.ndim == 0:
            value = bm.broadcast_to(value, full)
        if tuple(value.shape) != full:
            raise ValueError(f"{owner}: the initial value has shape {tuple(value.shape)}, "
                             f"expected {full}")
    else:
        raise TypeError(f"{owner}: the initial value must be an array or a callable "
                        f"initializer, got {type(data).__name__}")
    return bm.Variable(bm.asarray(value), batch_axis=None if batch is None else 0)


def _assign(owner: Any, attr: str, new: bm.Variable) -> None:
    """Store ``new`` as ``owner.attr``, writing into the existing Variable when
    it has the same shape and dtype (BrainPy writes into existing Variables,
    so references held elsewhere stay valid)."""
    old = owner.__dict__.get(attr)
    if (isinstance(old, bm.Variable) and old.shape == new.shape and old.dtype == new.dtype
            and old.batch_axis == new.batch_axis):
        old.value = new.value
    else:
        setattr(owner, attr, new)


# -- descriptors (``.desc(...)``) and return infos ------------------------------------------------

def _repr_arg(value: Any) -> str:
    if isinstance(value, bm.Variable):
        return f"Variable@{id(value)}"
    return repr(value)


class ParamDescriber:
    """A class with some of its arguments fixed: ``Expon.desc(100, tau=5.)``.

    Calling it builds the object: ``describer(*more)`` is
    ``cls(*args, *more, **kwargs)``. Two describers with the same class and
    arguments have the same :attr:`identifier`, which projections use to merge
    synapses with the same parameters on one post-synaptic group.

    Raises:
        TypeError: ``cls`` is not a class.

    Example:
        >>> import brainobj as bp
        >>> d = bp.dyn.Expon.desc(3, tau=5.)
        >>> d.identifier
        'Expon(3, tau=5.0)'
        >>> d().tau
        5.0
    """

    def __init__(self, cls: type, *args: Any, **kwargs: Any) -> None:
        if not isinstance(cls, type):
            raise TypeError(f"ParamDescriber: cls must be a class, got {cls!r}")
        self.cls = cls
        self.args = args
        self.kwargs = kwargs
        skip = getattr(cls, "not_desc_params", None) or ()
        parts = [_repr_arg(a) for a in args]
        parts += [f"{k}={_repr_arg(v)}" for k, v in kwargs.items() if k not in skip]
        self._identifier = f"{cls.__name__}({', '.join(parts)})"

    @property
    def identifier(self) -> str:
        """The class name and arguments as text: equal for equal descriptions."""
        return self._identifier

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Build the object (extra arguments are appended).

        Raises:
            TypeError: the class refuses the arguments.
        """
        return self.cls(*self.args, *args, **self.kwargs, **kwargs)

    def init(self, *args: Any, **kwargs: Any) -> Any:
        """The same as calling the describer.

        Raises:
            TypeError: the class refuses the arguments.
        """
        return self(*args, **kwargs)

    def __repr__(self) -> str:
        return f"ParamDescriber({self._identifier})"


class ParamDesc:
    """Mixin giving a class the ``desc(...)`` classmethod (BrainPy's ``ParamDesc``).

    Raises nothing.

    Example:
        >>> import brainobj as bp
        >>> bp.dyn.COBA.desc(E=0.).identifier
        'COBA(E=0.0)'
    """

    not_desc_params: tuple = ()

    @classmethod
    def desc(cls, *args: Any, **kwargs: Any) -> ParamDescriber:
        """A :class:`ParamDescriber` of this class with these arguments.

        Raises nothing.
        """
        return ParamDescriber(cls, *args, **kwargs)


class ReturnInfo:
    """What a group gives a delay when its output is not a single Variable.

    ``size`` is the output's shape without batch axis; ``data`` an array or
    a function of the shape that computes the output from the group's state.

    Raises:
        TypeError: ``data`` is neither an array nor callable (from :meth:`get_data`).

    Example:
        >>> import brainobj.math as bm
        >>> from brainobj.dyn import ReturnInfo
        >>> ReturnInfo((3,), data=bm.zeros).get_data().shape
        (3,)
    """

    def __init__(self, size: Sequence[int], axis_names: Any = None, batch_or_mode: Any = None,
                 data: Any = None) -> None:
        self.size = tuple(size)
        self.axis_names = axis_names
        self.batch_or_mode = batch_or_mode
        self.data = bm.zeros if data is None else data

    def get_data(self) -> Any:
        """The output now (``data`` called with the batched shape, or the array).

        Raises:
            TypeError: ``data`` is neither an array nor callable.
        """
        if callable(self.data) and not hasattr(self.data, "shape"):
            batch = _batch_of(self.batch_or_mode)
            return self.data(self.size if batch is None else (batch,) + self.size)
        if hasattr(self.data, "shape"):
            return self.data
        raise TypeError(f"ReturnInfo.data must be an array or a callable, got {self.data!r}")


# -- markers for before/after updates ---------------------------------------------------------------

def receive_update_output(obj: Any) -> Any:
    """Mark an after-update to receive what ``update`` returned (the default).

    Raises nothing.

    Example:
        >>> from brainobj.dyn import receive_update_output, not_receive_update_output
        >>> f = not_receive_update_output(lambda: None)
        >>> hasattr(receive_update_output(f), '_not_receive_update_output')
        False
    """
    if hasattr(obj, "_not_receive_update_output"):
        delattr(obj, "_not_receive_update_output")
    return obj


def not_receive_update_output(obj: Any) -> Any:
    """Mark an after-update to be called without arguments.

    Raises nothing.

    Example:
        >>> from brainobj.dyn import not_receive_update_output
        >>> not_receive_update_output(lambda: None)._not_receive_update_output
        True
    """
    object.__setattr__(obj, "_not_receive_update_output", True) if not hasattr(obj, "__dict__") \
        else setattr(obj, "_not_receive_update_output", True)
    return obj


def receive_update_input(obj: Any) -> Any:
    """Mark a before-update to receive the arguments of ``update``.

    Raises nothing.

    Example:
        >>> from brainobj.dyn import receive_update_input
        >>> receive_update_input(lambda x: x)._receive_update_input
        True
    """
    setattr(obj, "_receive_update_input", True)
    return obj


def not_receive_update_input(obj: Any) -> Any:
    """Mark a before-update to be called without arguments (the default).

    Raises nothing.

    Example:
        >>> from brainobj.dyn import receive_update_input, not_receive_update_input
        >>> hasattr(not_receive_update_input(receive_update_input(lambda: 0)), '_receive_update_input')
        False
    """
    if hasattr(obj, "_receive_update_input"):
        delattr(obj, "_receive_update_input")
    return obj


def reset_level(level: int = 0) -> Callable:
    """Decorate a ``reset_state`` to run at ``level`` (0..9; negative counts from 10).

    :func:`reset_state` first resets the systems without a level, then level
    0, 1, ... (BrainPy's ``bp.reset_level``).

    Raises:
        ValueError: ``level`` outside ``[-10, 10)``.

    Example:
        >>> from brainobj.dyn import reset_level
        >>> reset_level(-1)(lambda self: None).reset_level
        9
    """
    if level < 0:
        level = _MAX_LEVEL + level
    if not 0 <= level < _MAX_LEVEL:
        raise ValueError(f"reset_level: level must be in [-10, 10), got {level}")

    def wrap(fun: Callable) -> Callable:
        fun.reset_level = level
        return fun

    return wrap


# -- the base class ---------------------------------------------------------------------------------

class DynamicalSystem(bm.BrainPyObject):
    """Base class of everything that advances one time step per call.

    ``system(*args)`` runs the before-updates, ``update(*args)``, then the
    after-updates (see the module docstring); ``update`` reads the step's
    time from ``bp.share.load('t')`` and ``dt`` from ``bp.share.load('dt')``.

    Args:
        name: the object's name (unique).
        mode: BrainPy's computing mode (``bm.get_mode()`` by default).

    Raises:
        TypeError: ``mode`` is not a ``bm.Mode``.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> class Counter(bp.DynamicalSystem):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.n = bm.Variable(bm.zeros((), dtype=int))
        ...     def update(self, k=1):
        ...         self.n.value += k
        ...         return self.n.value
        ...     def reset_state(self, batch_size=None):
        ...         self.n.value = 0
        >>> c = Counter()
        >>> int(c(2)), int(c())
        (2, 3)
        >>> c.reset_state(); int(c.n)
        0
    """

    supported_modes = None

    def __init__(self, name: str | None = None, mode: Any = None) -> None:
        mode = bm.get_mode() if mode is None else mode
        if not isinstance(mode, bm.Mode):
            raise TypeError(f"{type(self).__name__}: mode must be a bm.Mode (e.g. "
                            f"bm.NonBatchingMode()), got {mode!r}")
        super().__init__(name=name)
        self._mode = mode
        self._before_updates = bm.node_dict()
        self._after_updates = bm.node_dict()
        self._current_inputs = bm.node_dict()
        self._delta_inputs = bm.node_dict()

    # the dicts exist from __init__; a subclass that skipped DynamicalSystem.__init__
    # gets them on first use outside a transform.
    def _dict(self, attr: str) -> dict:
        d = self.__dict__.get(attr)
        if d is None:
            if bm.in_transform():
                return {}
            d = bm.node_dict()
            setattr(self, attr, d)
        return d

    @property
    def mode(self) -> Any:
        """The computing mode."""
        return self.__dict__.get("_mode") or bm.get_mode()

    @mode.setter
    def mode(self, value: Any) -> None:
        if not isinstance(value, bm.Mode):
            raise TypeError(f"{type(self).__name__}.mode must be a bm.Mode, got {value!r}")
        self._mode = value

    @property
    def before_updates(self) -> dict:
        """Functions/objects called before ``update`` by ``__call__``."""
        return self._dict("_before_updates")

    @property
    def after_updates(self) -> dict:
        """Functions/objects called after ``update`` by ``__call__``."""
        return self._dict("_after_updates")

    @property
    def current_inputs(self) -> dict:
        """The input functions summed by :meth:`sum_current_inputs`."""
        return self._dict("_current_inputs")

    @property
    def delta_inputs(self) -> dict:
        """The input functions summed by :meth:`sum_delta_inputs`."""
        return self._dict("_delta_inputs")

    cur_inputs = current_inputs

    # -- before / after updates --

    def add_bef_update(self, key: Any, fun: Callable) -> None:
        """Register ``fun`` to run before each ``update``.

        Raises:
            KeyError: ``key`` is already registered.

        Example:
            >>> import brainobj as bp
            >>> class S(bp.DynamicalSystem):
            ...     def update(self): return 1
            >>> s = S(); seen = []
            >>> s.add_bef_update('log', lambda: seen.append('before'))
            >>> s(), seen
            (1, ['before'])
        """
        if key in self.before_updates:
            raise KeyError(f"{key!r} is already registered in the before_updates of {self.name}")
        self.before_updates[key] = fun

    def add_aft_update(self, key: Any, fun: Callable) -> None:
        """Register ``fun`` to run after each ``update`` (given its result).

        Raises:
            KeyError: ``key`` is already registered.

        Example:
            >>> import brainobj as bp
            >>> class S(bp.DynamicalSystem):
            ...     def update(self): return 1
            >>> s = S(); seen = []
            >>> s.add_aft_update('log', seen.append)
            >>> s(), seen
            (1, [1])
        """
        if key in self.after_updates:
            raise KeyError(f"{key!r} is already registered in the after_updates of {self.name}")
        self.after_updates[key] = fun

    def get_bef_update(self, key: Any) -> Any:
        """The before-update registered under ``key``.

        Raises:
            KeyError: nothing is registered under ``key``.

        Example:
            >>> import brainobj as bp
            >>> class S(bp.DynamicalSystem):
            ...     def update(self): pass
            >>> s = S(); s.add_bef_update('k', print)
            >>> s.get_bef_update('k') is print
            True
        """
        if key not in self.before_updates:
            raise KeyError(f"{key!r} is not registered in the before_updates of {self.name}")
        return self.before_updates[key]

    def get_aft_update(self, key: Any) -> Any:
        """The after-update registered under ``key``.

        Raises:
            KeyError: nothing is registered under ``key``.

        Example:
            >>> import brainobj as bp
            >>> class S(bp.DynamicalSystem):
            ...     def update(self): pass
            >>> s = S(); s.add_aft_update('k', print)
            >>> s.get_aft_update('k') is print
            True
        """
        if key not in self.after_updates:
            raise KeyError(f"{key!r} is not registered in the after_updates of {self.name}")
        return self.after_updates[key]

    def has_bef_update(self, key: Any) -> bool:
        """Whether a before-update is registered under ``key``.

        Raises nothing.

        Example:
            >>> import brainobj as bp
            >>> class S(bp.DynamicalSystem):
            ...     def update(self): pass
            >>> S().has_bef_update('k')
            False
        """
        return key in self.before_updates

    def has_aft_update(self, key: Any) -> bool:
        """Whether an after-update is registered under ``key``.

        Raises nothing.

        Example:
            >>> import brainobj as bp
            >>> class S(bp.DynamicalSystem):
            ...     def update(self): pass
            >>> S().has_aft_update('k')
            False
        """
        return key in self.after_updates

    # -- inputs --

    @staticmethod
    def _input_label_start(label: str) -> str:
        return f"{label} // "

    @classmethod
    def _input_label_repr(cls, name: str, label: str | None = None) -> str:
        return name if label is None else cls._input_label_start(label) + str(name)

    def add_inp_fun(self, key: str, fun: Callable, label: str | None = None,
                    category: str = "current") -> None:
        """Add an input function; ``category`` is ``'current'`` or ``'delta'``.

        :meth:`sum_current_inputs` calls every current function with its
        arguments (a neuron passes its membrane potential) and adds the results.

        Raises:
            TypeError: ``fun`` is not callable.
            ValueError: the key (with its label) is taken; unknown ``category``.

        Example:
            >>> import brainobj as bp
            >>> neu = bp.dyn.Lif(2)
            >>> neu.add_inp_fun('bias', lambda V: 1.5)
            >>> float(neu.sum_current_inputs(neu.V.value, init=1.0))
            2.5
        """
        if not callable(fun):
            raise TypeError(f"{self.name}.add_inp_fun: fun must be callable, got {fun!r}")
        if category not in ("current", "delta"):
            raise ValueError(f"{self.name}.add_inp_fun: category must be 'current' or 'delta', "
                             f"got {category!r}")
        key = self._input_label_repr(key, label)
        target = self.current_inputs if category == "current" else self.delta_inputs
        if key in target:
            raise ValueError(f"{self.name}.add_inp_fun: the key {key!r} is already used; "
                             f"choose another key")
        target[key] = fun

    def get_inp_fun(self, key: str) -> Callable:
        """The input function registered under ``key``.

        Raises:
            ValueError: no such key.

        Example:
            >>> import brainobj as bp
            >>> neu = bp.dyn.Lif(2); neu.add_inp_fun('k', abs)
            >>> neu.get_inp_fun('k') is abs
            True
        """
        if key in self.current_inputs:
            return self.current_inputs[key]
        if key in self.delta_inputs:
            return self.delta_inputs[key]
        raise ValueError(f"{self.name} has no input function {key!r}")

    def _sum(self, funs: dict, args: tuple, init: Any, label: str | None, kwargs: dict) -> Any:
        start = None if label is None else self._input_label_start(label)
        for key, fun in funs.items():
            if start is None or str(key).startswith(start):
                init = init + fun(*args, **kwargs)
        return init

    def sum_current_inputs(self, *args: Any, init: Any = 0., label: str | None = None,
                           **kwargs: Any) -> Any:
        """``init`` plus every current input function called with ``args``
        (those whose key starts with ``label`` when it is given), in the order
        they were added.

        Raises nothing (errors of the input functions propagate).

        Example:
            >>> import brainobj as bp
            >>> neu = bp.dyn.Lif(1)
            >>> neu.add_inp_fun('a', lambda V: 1.0, label='E')
            >>> neu.add_inp_fun('b', lambda V: 10.0)
            >>> neu.sum_current_inputs(0.), neu.sum_current_inputs(0., label='E')
            (11.0, 1.0)
        """
        return self._sum(self.current_inputs, args, init, label, kwargs)

    def sum_delta_inputs(self, *args: Any, init: Any = 0., label: str | None = None,
                         **kwargs: Any) -> Any:
        """``init`` plus every delta input function (see :meth:`sum_current_inputs`).

        Raises nothing (errors of the input functions propagate).

        Example:
            >>> import brainobj as bp
            >>> bp.dyn.Lif(1).sum_delta_inputs()
            0.0
        """
        return self._sum(self.delta_inputs, args, init, label, kwargs)

    def sum_inputs(self, *args: Any, **kwargs: Any) -> Any:
        """Old name of :meth:`sum_current_inputs`.

        Raises nothing.

        Example:
            >>> import brainobj as bp
            >>> bp.dyn.Lif(1).sum_inputs(0., init=2.)
            2.0
        """
        return self.sum_current_inputs(*args, **kwargs)

    # -- stepping --

    def update(self, *args: Any, **kwargs: Any) -> Any:
        """One time step; subclasses implement it.

        Raises:
            NotImplementedError: the subclass did not implement it.

        Example:
            >>> import brainobj as bp
            >>> class S(bp.DynamicalSystem):
            ...     def update(self, x): return x + 1
            >>> S().update(1)
            2
        """
        raise NotImplementedError(f"{type(self).__name__} must implement update()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Before-updates, ``update(*args)``, after-updates; returns ``update``'s result.

        Raises:
            NotImplementedError: ``update`` is not implemented.
        """
        for model in tuple(self.before_updates.values()):
            if hasattr(model, "_receive_update_input"):
                model(*args, **kwargs)
            else:
                model()
        ret = self.update(*args, **kwargs)
        for model in tuple(self.after_updates.values()):
            if hasattr(model, "_not_receive_update_output"):
                model()
            else:
                model(ret)
        return ret

    def __rrshift__(self, other: Any) -> Any:
        return self(other)

    def step_run(self, i: Any, *args: Any, **kwargs: Any) -> Any:
        """One step at index ``i``: ``t = i * dt`` and ``i`` are shared for the step.

        As in BrainPy, this calls ``update`` (not ``__call__``) and then
        ``clear_input`` of every system below. ``bm.for_loop(net.step_run,
        bm.arange(n))`` simulates ``n`` steps.

        Raises:
            NotImplementedError: ``update`` is not implemented.

        Example:
            >>> import brainobj as bp, brainobj.math as bm
            >>> class Clock(bp.DynamicalSystem):
            ...     def update(self): return bp.share.load('t')
            >>> bm.for_loop(Clock().step_run, bm.arange(3)).tolist()
            [0.0, 0.10000000149011612, 0.20000000298023224]
        """
        dt = share.load("dt")
        with share.context(i=i, t=i * dt):
            out = self.update(*args, **kwargs)
            for node in self.nodes().subset(DynamicalSystem).unique().values():
                node.clear_input()
        return out

    def clear_input(self, *args: Any, **kwargs: Any) -> None:
        """Clear inputs given for the current step (nothing by default).

        Raises nothing.

        Example:
            >>> import brainobj as bp
            >>> bp.dyn.Lif(1).clear_input()
        """

    # -- resetting --

    def reset_state(self, *args: Any, **kwargs: Any) -> None:
        """Reset every dynamical system below this one (classes with their own
        ``reset_state`` reset their own Variables only).

        Raises:
            TypeError, ValueError: a bad ``batch_size``.

        Example:
            >>> import brainobj as bp, brainobj.math as bm
            >>> net = bp.Network(neu=bp.dyn.Lif(2, V_initializer=bp.init.Constant(-1.)))
            >>> net.neu.V.value = bm.ones(2)
            >>> net.reset_state(); net.neu.V.value
            Array([-1., -1.], dtype=float32)
        """
        reset_state(self, *args, **kwargs)

    def reset(self, *args: Any, **kwargs: Any) -> None:
        """Reset every dynamical system below (and including) this one.

        Raises:
            TypeError, ValueError: a bad ``batch_size``.

        Example:
            >>> import brainobj as bp
            >>> bp.dyn.Lif(2).reset()
        """
        reset_state(self, *args, **kwargs)


def _has_own_reset(node: DynamicalSystem) -> bool:
    return type(node).reset_state is not DynamicalSystem.reset_state


def reset_state(target: DynamicalSystem, *args: Any, **kwargs: Any) -> None:
    """Reset every dynamical system in ``target`` (BrainPy's ``bp.reset_state``).

    Each system that defines its own ``reset_state`` is reset once (those
    without a :func:`reset_level` first, then by level); the ones that only
    inherit the base class's (containers) have no state of their own.

    Raises:
        TypeError: ``target`` is not a DynamicalSystem; a bad batch size.
        ValueError: a bad batch size.

    Example:
        >>> import brainobj as bp
        >>> lif = bp.dyn.Lif(3, V_initializer=bp.init.Constant(-2.))
        >>> lif.V.value = lif.V.value + 5
        >>> bp.dyn.reset_state(lif); lif.V.value
        Array([-2., -2., -2.], dtype=float32)
    """
    if not isinstance(target, DynamicalSystem):
        raise TypeError(f"reset_state: target must be a DynamicalSystem, got {target!r}")
    if args:
        _batch_of(args[0])
    elif "batch_size" in kwargs:
        _batch_of(kwargs["batch_size"])
    nodes = [n for n in target.nodes().subset(DynamicalSystem).unique().values()
             if _has_own_reset(n)]
    leveled = []
    for node in nodes:
        if hasattr(type(node).reset_state, "reset_level"):
            leveled.append(node)
        else:
            node.reset_state(*args, **kwargs)
    for level in range(_MAX_LEVEL):
        for node in leveled:
            if type(node).reset_state.reset_level == level:
                node.reset_state(*args, **kwargs)


# -- containers and categories ----------------------------------------------------------------------

class Projection(DynamicalSystem):
    """Base class of synaptic projections (updated first by a :class:`DynSysGroup`).

    Raises:
        ValueError: ``update`` of a projection without child systems.

    Example:
        >>> import brainobj as bp
        >>> issubclass(bp.dyn.FullProjAlignPostMg, bp.dyn.Projection)
        True
    """

    def update(self, *args: Any, **kwargs: Any) -> Any:
        """Update the child systems (subclasses define their own step).

        Raises:
            ValueError: no child systems.
        """
        nodes = tuple(self.nodes(level=1, include_self=False).subset(DynamicalSystem)
                      .unique().values())
        if not nodes:
            raise ValueError(f"{self.name}: a Projection without child systems must "
                             f"implement update()")
        for node in nodes:
            node.update(*args, **kwargs)

    def reset_state(self, *args: Any, **kwargs: Any) -> None:
        """A projection has no state of its own.

        Raises nothing.
        """


class Dynamic(DynamicalSystem):
    """A dynamical system with a size: neurons, synapses.

    Args:
        size: an int or a shape; ``num`` is the number of elements.
        keep_size: keep the shape for the Variables (else they are flat, ``(num,)``).
        sharding: BrainPy's axis names (kept, unused).
        name: the object's name.
        mode: the computing mode.
        method: the integration method of its ODEs (``bp.odeint``'s ``method``).

    Raises:
        ValueError: ``size`` is not a positive int or a non-empty tuple of them.

    Example:
        >>> import brainobj as bp
        >>> syn = bp.dyn.Expon((2, 3), keep_size=True)
        >>> syn.num, syn.varshape, bp.dyn.Expon((2, 3)).varshape
        (6, (2, 3), (6,))
    """

    def __init__(self, size: Any, keep_size: bool = False, sharding: Any = None,
                 name: str | None = None, mode: Any = None, method: str = "exp_auto") -> None:
        if isinstance(size, (list, tuple)):
            if len(size) == 0 or not all(isinstance(s, (int, np.integer))
                                         and not isinstance(s, bool) for s in size):
                raise ValueError(f"{type(self).__name__}: size must be an int or a tuple of ints, "
                                 f"got {size!r}")
            size = tuple(int(s) for s in size)
        elif isinstance(size, (int, np.integer)) and not isinstance(size, bool):
            size = (int(size),)
        else:
            raise ValueError(f"{type(self).__name__}: size must be an int or a tuple of ints, "
                             f"got {size!r}")
        if any(s < 0 for s in size):
            raise ValueError(f"{type(self).__name__}: size must not be negative, got {size!r}")
        self.size = size
        self.keep_size = keep_size
        self.num = int(np.prod(size))
        self.sharding = sharding
        self.method = method
        super().__init__(name=name, mode=mode)

    @property
    def varshape(self) -> tuple:
        """The shape of the Variables: ``size`` if ``keep_size`` else ``(num,)``."""
        return self.size if self.keep_size else (self.num,)

    def get_batch_shape(self, batch_size: int | None = None) -> tuple:
        """``varshape`` with a leading ``batch_size`` when given.

        Raises nothing.

        Example:
            >>> import brainobj as bp
            >>> bp.dyn.Expon(3).get_batch_shape(2)
            (2, 3)
        """
        return self.varshape if batch_size is None else (batch_size,) + self.varshape

    def init_param(self, param: Any, shape: Sequence[int] | None = None,
                   sharding: Any = None) -> Any:
        """A parameter of ``varshape`` (see :func:`init_param`).

        Raises:
            TypeError, ValueError: see :func:`init_param`.

        Example:
            >>> import brainobj as bp
            >>> bp.dyn.Expon(3).init_param(lambda s: s)
            (3,)
        """
        return init_param(param, self.varshape if shape is None else shape,
                          owner=f"{self.name} parameter")

    def init_variable(self, var_data: Any, batch_or_mode: Any, shape: Sequence[int] | None = None,
                      sharding: Any = None) -> bm.Variable:
        """A Variable of ``varshape`` (batched when asked; see :func:`init_variable`).

        Raises:
            TypeError, ValueError: see :func:`init_variable`.

        Example:
            >>> import brainobj as bp, brainobj.math as bm
            >>> bp.dyn.Expon(3).init_variable(bm.zeros, 2).shape
            (2, 3)
        """
        return init_variable(var_data, batch_or_mode, self.varshape if shape is None else shape,
                             owner=self.name)


class NeuDyn(Dynamic):
    """Base class of neuron groups (their ``return_info()`` feeds delays).

    Raises:
        ValueError: see :class:`Dynamic`.

    Example:
        >>> import brainobj as bp
        >>> isinstance(bp.dyn.LifRef(2), bp.dyn.NeuDyn)
        True
    """


class SynDyn(Dynamic, ParamDesc):
    """Base class of synapse dynamics (with ``.desc(...)``).

    Raises:
        ValueError: see :class:`Dynamic`.

    Example:
        >>> import brainobj as bp
        >>> isinstance(bp.dyn.Expon(2), bp.dyn.SynDyn)
        True
    """


class DynSysGroup(DynamicalSystem):
    """A group of systems; ``update`` updates its direct children.

    Order (BrainPy's): all projections, then all dynamics (neurons,
    synapses), then the rest (delays, ...), each in attribute order. Children
    given as arguments live in ``children`` and are reachable as attributes
    (``net.E`` for ``Network(E=...)``).

    Raises:
        TypeError: a child that is not a DynamicalSystem (or of ``child_type``).

    Example:
        >>> import brainobj as bp
        >>> net = bp.Network(a=bp.dyn.Lif(2), b=bp.dyn.Lif(3))
        >>> net.b.num, list(net.children)
        (3, ['a', 'b'])
    """

    def __init__(self, *children_as_tuple: Any, name: str | None = None, mode: Any = None,
                 child_type: type = None, **children_as_dict: Any) -> None:
        super().__init__(name=name, mode=mode)
        child_type = DynamicalSystem if child_type is None else child_type
        self.children = bm.node_dict(self._format(child_type, children_as_tuple,
                                                  children_as_dict))

    def _format(self, child_type: type, as_tuple: tuple, as_dict: dict) -> dict:
        res = {}

        def add(key: Any, obj: Any) -> None:
            if not isinstance(obj, child_type):
                raise TypeError(f"{type(self).__name__}: children must be {child_type.__name__} "
                                f"instances, got {type(obj).__name__} for {key!r}")
            res[key] = obj

        for item in as_tuple:
            if isinstance(item, (list, tuple)):
                for m in item:
                    add(getattr(m, "name", m), m)
            elif isinstance(item, dict):
                for k, v in item.items():
                    add(k, v)
            else:
                add(getattr(item, "name", item), item)
        for k, v in as_dict.items():
            add(k, v)
        return res

    def __getattr__(self, item: str) -> Any:
        # only reached when normal lookup failed: look among the children
        children = self.__dict__.get("children")
        if children is not None and item in children:
            return children[item]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {item!r}")

    def __getitem__(self, item: str) -> Any:
        if item in self.children:
            return self.children[item]
        raise KeyError(f"{self.name} has no child {item!r}; it has {list(self.children)}")

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Call every direct child: projections, then dynamics, then the rest.

        Raises nothing (errors of the children propagate).
        """
        nodes = self.nodes(level=1, include_self=False).subset(DynamicalSystem).unique()
        nodes = [n for n in nodes.values() if n is not self]
        for node in nodes:
            if isinstance(node, Projection):
                node()
        for node in nodes:
            if isinstance(node, Dynamic) and not isinstance(node, Projection):
                node()
        for node in nodes:
            if not isinstance(node, (Dynamic, Projection)):
                node()


class Network(DynSysGroup):
    """A :class:`DynSysGroup` by another name (BrainPy's ``bp.Network``).

    Raises:
        TypeError: see :class:`DynSysGroup`.

    Example:
        >>> import brainobj as bp
        >>> isinstance(bp.Network(), bp.DynSysGroup)
        True
    """
