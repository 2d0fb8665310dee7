"""``bp.Runner`` (BrainPy's ``bp.DSRunner``): run a model step by step, record monitors.

A model is any :class:`~brainobj.BrainPyObject` that advances one time step
per call (``model(*inputs)``, or ``model.update(*inputs)`` when its class
has no ``__call__``) and reads the time of the step from ``bp.share``. The
runner compiles the whole run into one ``bm.for_loop``: each step saves
``t``, ``i`` and ``dt`` in ``bp.share`` (traced ``t`` and ``i``: they are
loop inputs, never constants of the program), applies the constant inputs,
calls the model, reads the monitors and calls every node's
``clear_input()``.

BrainPy's conventions, kept:

* step ``k`` of a run has index ``i = i0 + k`` and time ``t = t0 + i * dt``;
  ``i0`` is ``0`` for a new runner and grows by the number of steps of each
  run, so successive runs continue in time; ``runner.reset_state()`` (or
  ``run(..., reset_state=True)``) sets it back to ``0``;
* ``runner.mon[key]`` holds each monitor, time on axis 0, and
  ``runner.mon['ts']`` (also ``runner.mon.ts``) the times ``t`` of the
  recorded steps: ``t0 + (i0 + arange(n)) * dt``, the time *at which* the
  step was computed (BrainPy's ``indices * dt + t0``); each run replaces
  them;
* a run returns what the model returned at each step, stacked on axis 0.

The step function is one bound method per runner, so repeated runs reuse
the compiled loop: a run of a length already run does not compile again.
"""

from __future__ import annotations

import math
import numbers
import time
from typing import Any, Callable, Mapping, Sequence

import jax
import numpy as np

import brainobj.math as bm
from .dyn import share
from .errors import MonitorError, RunningError

__all__ = ["Runner", "DSRunner", "Monitors"]

_OPS = ("+", "-", "*", "/", "=")
_INPUT_TYPES = ("fix", "iter", "func")


class Monitors(dict):
    """The recorded values of a run: a dict whose keys are also attributes (``mon.ts``).

    Raises:
        AttributeError: reading an attribute that is not a key.

    Example:
        >>> mon = Monitors(ts=[0.0, 0.1])
        >>> mon.ts == mon['ts']
        True
    """

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            keys = ", ".join(map(repr, self)) or "none yet: run the runner first"
            raise AttributeError(f"runner.mon has no {key!r} (recorded: {keys}).") from None


def _describe(obj: Any) -> str:
    name = getattr(obj, "name", None)
    return f"{type(obj).__name__} {name!r}" if isinstance(name, str) else type(obj).__name__


def _steps_of(duration: Any, dt: float) -> int:
    """``duration / dt`` steps; a ratio within 1e-6 of an integer counts as that
    integer (BrainPy's ``int(duration / dt)`` turns 0.3 / 0.1 into 2 steps)."""
    if isinstance(duration, bool) or not isinstance(duration, numbers.Real):
        raise RunningError(f"bp.Runner.run: duration must be a number (in the units of dt), "
                           f"got {type(duration).__name__} {duration!r:.40}.")
    if not math.isfinite(duration) or duration < 0:
        raise RunningError(f"bp.Runner.run: duration must be finite and >= 0, got {duration}.")
    ratio = float(duration) / dt
    nearest = round(ratio)
    return int(nearest) if abs(ratio - nearest) <= 1e-6 * max(1.0, abs(ratio)) else int(ratio)


class Runner:
    """Run a model for a duration; record monitors (BrainPy's ``DSRunner``).

    Args:
        target: the model, a :class:`~brainobj.BrainPyObject`; one call
            ``target(*xs)`` (or ``target.update(*xs)`` when its class defines
            no ``__call__``) advances it one step of ``dt``.
        monitors: what to record at every step (after the update), as in
            BrainPy:

            * a list of attribute paths from the target, ``['V', 'E.spike']``
              (a path's first part may also be a node's name), each
              optionally with an index, ``('V', [0, 3])``;
            * a dict ``{key: path}``, ``{key: (path, index)}``,
              ``{key: Variable}``, ``{key: (Variable, index)}`` or
              ``{key: function}``, a function of no argument called at each
              step, e.g. ``lambda: net.E.V[:10]`` (it may read ``bp.share``).

            A path must lead to a :class:`~brainobj.math.Variable`; it is
            looked up again whenever the loop is traced, so a model that
            replaces a Variable in ``reset_state`` is still recorded.
        inputs: BrainPy's inputs given to Variables before each step: a list
            of ``(target, value[, type[, operation]])`` where ``target`` is a
            path or a Variable, ``type`` is ``'fix'`` (a constant, the
            default), ``'iter'`` (an array with one row per step: its length
            must be the run's number of steps) or ``'func'`` (a function of
            no argument), and ``operation`` is one of ``+ - * / =``
            (default ``+``); or one function of no argument called before
            each step.
        dt: the step size (default ``bm.get_dt()``), fixed for the runner's
            life: models may compute with it in Python.
        t0: the time of step ``i = 0``.
        progress_bar: ``True``, ``False`` or a :class:`bm.ProgressBar
            <brainobj.math.ProgressBar>`: a tqdm bar advanced from inside the
            compiled loop.
        jit: ``False`` runs the steps in a Python loop (for debugging).
        numpy_mon_after_run: turn the recorded monitors into NumPy arrays
            (else they stay JAX arrays).

    Attributes:
        mon: :class:`Monitors` of the last run (``mon['ts']`` and one entry
            per monitor).
        i0: the index of the next step to run.
        t0: the time of step ``0``.

    Raises:
        TypeError: ``target`` is not a BrainPyObject, or has neither
            ``__call__`` nor ``update``; ``progress_bar`` is not a bool or a
            ``bm.ProgressBar``.
        MonitorError: a monitor path that leads nowhere (naming the path and
            the object lacking the attribute) or to something else than a
            Variable; a malformed monitor.
        RunningError: ``dt`` not a positive number; a malformed input.

    Example:
        >>> import brainobj as bp, brainobj.math as bm, jax.numpy as jnp
        >>> class Leaky(bp.BrainPyObject):
        ...     def __init__(self):
        ...         self.v = bm.Variable(jnp.zeros(2))
        ...     def update(self, x):
        ...         self.v.value = 0.5 * self.v + x
        ...         return self.v.value
        >>> model = Leaky()
        >>> runner = bp.Runner(model, monitors=['v'], dt=0.5, progress_bar=False)
        >>> out = runner.run(2.0, jnp.ones((4, 2)))    # 4 steps, one input row each
        >>> v = runner.mon['v']                        # shape (4, 2): one row per step
        >>> v[:, 0]
        array([1.   , 1.5  , 1.75 , 1.875], dtype=float32)
        >>> runner.mon.ts
        array([0. , 0.5, 1. , 1.5])
        >>> _ = runner.run(1.0, 0.0)                   # a constant input; time goes on
        >>> runner.mon.ts
        array([2. , 2.5])
    """

    def __init__(
        self,
        target: bm.BrainPyObject,
        monitors: Sequence | Mapping | None = None,
        inputs: Sequence | Callable = (),
        *,
        dt: float | None = None,
        t0: float = 0.0,
        progress_bar: bool | bm.ProgressBar = True,
        jit: bool = True,
        numpy_mon_after_run: bool = True,
    ) -> None:
        owner = type(self).__name__
        if not isinstance(target, bm.BrainPyObject):
            raise TypeError(f"bp.{owner}: target must be a BrainPyObject (a model whose update "
                            f"advances one step), got {type(target).__name__}.")
        if callable(target):
            self._advance = target
        elif callable(getattr(target, "update", None)):
            self._advance = target.update
        else:
            raise TypeError(f"bp.{owner}: target {_describe(target)} has neither __call__ nor "
                            "update(); define update(*inputs) to advance it one step.")
        dt = bm.get_dt() if dt is None else dt
        if isinstance(dt, bool) or not isinstance(dt, numbers.Real) or not (0 < float(dt) < math.inf):
            raise RunningError(f"bp.{owner}: dt must be a positive number, got {dt!r:.40}.")
        if isinstance(t0, bool) or not isinstance(t0, numbers.Real):
            raise RunningError(f"bp.{owner}: t0 must be a number, got {t0!r:.40}.")
        if not (progress_bar is True or progress_bar is False
                or isinstance(progress_bar, bm.ProgressBar)):
            raise TypeError(f"bp.{owner}: progress_bar must be True, False or a bm.ProgressBar, "
                            f"got {type(progress_bar).__name__} {progress_bar!r:.40}.")
        self._target = target
        self._dt = float(dt)
        self.t0 = float(t0)
        self.i0 = 0
        self.progress_bar = progress_bar
        self.jit = bool(jit)
        self.numpy_mon_after_run = bool(numpy_mon_after_run)
        self._monitors = self._format_monitors(monitors)
        self._fixed, self._iterated, self._fun_input = self._format_inputs(inputs)
        self.mon = Monitors()

    # -- read-only settings: the compiled step reads them -------------------------------

    @property
    def target(self) -> bm.BrainPyObject:
        """The model this runner runs (fixed: make a new runner for another model)."""
        return self._target

    @property
    def dt(self) -> float:
        """The step size (fixed: models may have used it in Python when compiled)."""
        return self._dt

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(target={_describe(self._target)}, dt={self._dt}, "
                f"t0={self.t0}, i0={self.i0}, monitors={list(self._monitors)}, jit={self.jit})")

    # -- monitors --------------------------------------------------------------------------

    def _format_monitors(self, monitors: Any) -> dict:
        """``{key: ('path', parts, index) | ('var', Variable, index) | ('fun', f, None)}``."""
        owner = f"bp.{type(self).__name__}"
        if monitors is None:
            return {}
        if isinstance(monitors, Mapping):
            items = list(monitors.items())
        elif isinstance(monitors, (list, tuple)):
            items = []
            for mon in monitors:
                if isinstance(mon, str):
                    items.append((mon, mon))
                elif isinstance(mon, (list, tuple)) and mon and isinstance(mon[0], str):
                    items.append((mon[0], tuple(mon)))
                else:
                    raise MonitorError(f"{owner}: a monitor in a list must be a path or a "
                                       f"(path, index) pair, got {mon!r:.60}.")
        else:
            raise MonitorError(f"{owner}: monitors must be a list of paths or a dict, got "
                               f"{type(monitors).__name__}.")
        formatted = {}
        for key, spec in items:
            if not isinstance(key, str):
                raise MonitorError(f"{owner}: monitor keys must be strings, got {key!r:.40}.")
            if key == "ts":
                raise MonitorError(f"{owner}: 'ts' is the key of the recorded times; give the "
                                   "monitor another name.")
            index = None
            if isinstance(spec, (list, tuple)):
                if len(spec) not in (1, 2):
                    raise MonitorError(f"{owner}: monitor {key!r} must be (target, index), got "
                                       f"{spec!r:.60}.")
                spec, index = spec[0], (spec[1] if len(spec) == 2 else None)
                if index is not None:
                    index = np.atleast_1d(np.asarray(index)) if np.ndim(index) == 0 else np.asarray(index)
                    if index.dtype.kind not in "iub":
                        raise MonitorError(f"{owner}: monitor {key!r} has index {index!r:.40}; "
                                           "give integers (or booleans).")
            if isinstance(spec, str):
                parts = tuple(spec.split("."))
                self._resolve(key, parts)  # refuse a wrong path now, not at the first run
                formatted[key] = ("path", parts, index)
            elif isinstance(spec, bm.Variable):
                formatted[key] = ("var", spec, index)
            elif callable(spec) and index is None:
                formatted[key] = ("fun", spec, None)
            else:
                raise MonitorError(f"{owner}: monitor {key!r} must be a path, a Variable, "
                                   f"(either, index) or a function of no argument, got "
                                   f"{type(spec).__name__} {spec!r:.40}.")
        return formatted

    def _resolve(self, key: str, parts: tuple, exc: type = MonitorError) -> bm.Variable:
        """The Variable at the path ``parts`` from the target (or from a node of that name)."""
        owner = f"bp.{type(self).__name__}"
        path = ".".join(parts)
        obj, where = self._target, "the target"
        if len(parts) > 1 and not _has(obj, parts[0]):
            named = {getattr(n, "name", None): n for n in self._target.nodes().values()}
            if parts[0] in named:
                obj, where, parts = named[parts[0]], f"node {parts[0]!r}", parts[1:]
        for k, part in enumerate(parts):
            if not _has(obj, part):
                at = where if k == 0 else f"{where}.{'.'.join(parts[:k])}"
                raise exc(f"{owner}: monitor {key!r}: cannot find {path!r}: {_describe(obj)} "
                          f"({at}) has no attribute {part!r}.")
            obj = _get(obj, part)
        if not isinstance(obj, bm.Variable):
            raise exc(f"{owner}: monitor {key!r}: {path!r} is a {type(obj).__name__}, not a "
                      "Variable; monitor Variables, or give a function: "
                      f"monitors={{{key!r}: lambda: ...}}.")
        return obj

    def _read_monitors(self) -> dict:
        values = {}
        for key, (kind, what, index) in self._monitors.items():
            if kind == "fun":
                values[key] = what()
                continue
            var = self._resolve(key, what, RunningError) if kind == "path" else what
            values[key] = var.value if index is None else var.value[index]
        return values

    # -- inputs ----------------------------------------------------------------------------

    def _format_inputs(self, inputs: Any) -> tuple[list, list, Callable | None]:
        owner = f"bp.{type(self).__name__}"
        if callable(inputs):
            return [], [], inputs
        if inputs is None:
            inputs = ()
        if not isinstance(inputs, (list, tuple)):
            raise RunningError(f"{owner}: inputs must be a list of (target, value[, type[, "
                               f"operation]]) or a function, got {type(inputs).__name__}.")
        if inputs and isinstance(inputs[0], (str, bm.Variable)):
            inputs = [inputs]  # BrainPy: one input given without the outer list
        fixed, iterated = [], []
        for spec in inputs:
            if not isinstance(spec, (list, tuple)) or not 2 <= len(spec) <= 4:
                raise RunningError(f"{owner}: each input must be (target, value[, type[, "
                                   f"operation]]), got {spec!r:.60}.")
            where, value = spec[0], spec[1]
            kind = spec[2] if len(spec) >= 3 else "fix"
            op = spec[3] if len(spec) == 4 else "+"
            if kind not in _INPUT_TYPES:
                raise RunningError(f"{owner}: input type must be one of {_INPUT_TYPES}, got "
                                   f"{kind!r} (input for {where!r:.40}).")
            if op not in _OPS:
                raise RunningError(f"{owner}: input operation must be one of {_OPS}, got {op!r} "
                                   f"(input for {where!r:.40}).")
            if isinstance(where, str):
                var = self._resolve(f"input {where}", tuple(where.split(".")), RunningError)
            elif isinstance(where, bm.Variable):
                var = where
            else:
                raise RunningError(f"{owner}: an input's target must be a path or a Variable, "
                                   f"got {type(where).__name__}.")
            if kind == "func" and not callable(value):
                raise RunningError(f"{owner}: input for {where!r:.40} has type 'func' but its "
                                   f"value is a {type(value).__name__}, not a function.")
            if kind == "iter":
                if not hasattr(value, "shape") and not isinstance(value, (list, tuple)):
                    raise RunningError(f"{owner}: input for {where!r:.40} has type 'iter': give "
                                       f"an array with one row per step, got "
                                       f"{type(value).__name__}.")
                value = np.asarray(bm.as_numpy(value)) if not isinstance(value, jax.Array) else value
                if np.ndim(value) == 0:
                    raise RunningError(f"{owner}: input for {where!r:.40} has type 'iter' but is "
                                       "a scalar; give one row per step.")
                iterated.append((var, value, op))
            else:
                fixed.append((var, value, kind, op))
        return fixed, iterated, None

    @staticmethod
    def _give(var: bm.Variable, op: str, data: Any) -> None:
        if op == "=":
            var.value = jax.numpy.broadcast_to(data, var.shape).astype(var.dtype)
        elif op == "+":
            var.value = var.value + data
        elif op == "-":
            var.value = var.value - data
        elif op == "*":
            var.value = var.value * data
        else:
            var.value = var.value / data

    # -- one step (traced once per compiled loop) -----------------------------------------

    def _step(self, i: Any, rows: tuple, *xs: Any, shared: tuple = ()) -> tuple:
        # t is computed here from the traced index, as BrainPy's DSRunner does
        # (`t0 + i * dt` in the default float type): a time computed on the host
        # in float64 and rounded differs in the last bit at some steps, which
        # moves refractory periods and with them spike trains.
        t = jax.numpy.asarray(self.t0 + i * self._dt, dtype=bm.get_float())  # not weakly typed
        with share.context(**dict(shared), t=t, i=i, dt=self._dt):
            if self._fun_input is not None:
                self._fun_input()
            for var, value, kind, op in self._fixed:
                self._give(var, op, value() if kind == "func" else value)
            for (var, _, op), row in zip(self._iterated, rows):
                self._give(var, op, row)
            out = self._advance(*xs)
            monitored = self._read_monitors()
            for node in self._target.nodes().values():
                clear = getattr(node, "clear_input", None)
                if callable(clear):
                    clear()
        return out, monitored

    # -- running ---------------------------------------------------------------------------

    def reset_state(self) -> None:
        """Restart the runner's time: the next run starts at step ``i = 0`` (``t = t0``).

        The model is not reset (``run(..., reset_state=True)`` resets both).

        Raises nothing.

        Example:
            >>> import brainobj as bp, brainobj.math as bm
            >>> class Clock(bp.BrainPyObject):
            ...     def update(self):
            ...         return bp.share.load('t')
            >>> runner = bp.Runner(Clock(), dt=1.0, progress_bar=False)
            >>> runner.run(2.0), runner.run(2.0)
            (Array([0., 1.], dtype=float32), Array([2., 3.], dtype=float32))
            >>> runner.reset_state()
            >>> runner.run(1.0)
            Array([0.], dtype=float32)
        """
        self.i0 = 0

    def run(self, duration: float | None = None, *args: Any, inputs: Any = None,
            reset_state: bool = False, eval_time: bool = False,
            shared_args: dict | None = None) -> Any:
        """Run ``duration / dt`` steps; record monitors in :attr:`mon`; return the outputs.

        ``args`` (or BrainPy's ``inputs=``: an array, or a tuple/list spread
        over the arguments) are given to the model at each step: an array
        with a leading axis (a NumPy/JAX array or a Variable, of any pytree)
        is sliced, row ``k`` going to step ``k``, so its length must be the
        number of steps; a number or a 0-d array is the same at every step;
        ``None`` and objects are passed as they are. ``duration`` may be
        omitted when an array gives the number of steps. ``run`` and
        ``predict`` are ``__call__``.

        Args:
            duration: simulated time, in the units of ``dt``.
            *args: the model's inputs, as above.
            inputs: BrainPy's name for ``args`` (give one or the other).
            reset_state: first call the model's ``reset_state()`` and
                :meth:`reset_state` (time back to ``t0``).
            eval_time: return ``(seconds, outputs)``.
            shared_args: extra values to save in ``bp.share`` during the
                run (hashable: they are constants of the compiled loop).

        Returns:
            What the model returned at each step, stacked on axis 0 (JAX
            arrays), or ``(seconds, outputs)`` with ``eval_time``.

        Raises:
            RunningError: called inside a transform; neither a duration nor
                a per-step array; arrays (or an ``'iter'`` input) whose
                length is not the number of steps; an input that is not an
                array, number, ``None`` or object; ``reset_state`` asked of a
                model without ``reset_state()``; a monitor path that no
                longer leads to a Variable.
            TypeError: ``shared_args`` is not a dict of hashable values.
            MathError: (from ``bm.for_loop``) the model returns a
                non-array. Errors of the model propagate; after any error
                the model's Variables and the runner's time and monitors are
                as before the call.

        Example:
            >>> import brainobj as bp, jax.numpy as jnp
            >>> class Sum(bp.BrainPyObject):
            ...     def update(self, x, y):
            ...         return x + y + bp.share.load('i')
            >>> runner = bp.Runner(Sum(), progress_bar=False)
            >>> runner.run(None, jnp.arange(3.), 10.)
            Array([10., 12., 14.], dtype=float32)
        """
        owner = f"bp.{type(self).__name__}.run"
        if bm.in_transform():
            raise RunningError(f"{owner}: cannot run inside a transform (bm.jit, bm.for_loop, "
                               "...): the runner compiles its own loop. Call it outside, or "
                               "call the model's update in your own loop.")
        if inputs is not None:
            if args:
                raise RunningError(f"{owner}: give the inputs either as arguments or as "
                                   "inputs=, not both.")
            args = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
        if any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(args)):
            raise RunningError(f"{owner}: got a traced input: the runner cannot run inside a "
                               "JAX transform (jax.jit, jax.vmap, ...). Call it outside.")
        if shared_args is None:
            shared = ()
        elif isinstance(shared_args, dict):
            shared = tuple(sorted(shared_args.items()))
            try:
                hash(shared)
            except TypeError:
                raise TypeError(f"{owner}: shared_args must hold hashable values (they are "
                                "constants of the compiled loop); pass arrays as inputs.") from None
        else:
            raise TypeError(f"{owner}: shared_args must be a dict, got {type(shared_args).__name__}.")

        n = self._count_steps(owner, duration, args)
        xs = tuple(self._per_step(owner, k, x, n) for k, x in enumerate(args))
        rows = tuple(self._iter_rows(owner, value, n) for _, value, _ in self._iterated)
        if reset_state:
            reset = getattr(self._target, "reset_state", None)
            if not callable(reset):
                raise RunningError(f"{owner}: reset_state=True, but the target "
                                   f"{_describe(self._target)} has no reset_state().")
            reset()
            self.reset_state()

        indices = np.arange(self.i0, self.i0 + n)
        operands = (indices.astype(np.dtype(bm.get_int())), rows, *xs)  # NumPy: no device op to compile
        ts = self.t0 + indices * self._dt  # recorded as BrainPy does: `indices * dt + t0` in float64
        bar = self.progress_bar
        if bar is True:
            bar = bm.ProgressBar(desc=f"{type(self).__name__}: {n} steps")
        start = time.time()
        outs, monitored = bm.for_loop(self._step, operands, jit=self.jit,
                                      progress_bar=bar if bar is not None else False,
                                      unroll_kwargs={"shared": shared} if shared else None)
        if eval_time:
            jax.block_until_ready((outs, monitored))
        seconds = time.time() - start

        if self.numpy_mon_after_run:
            mon = Monitors({key: np.asarray(value) for key, value in monitored.items()})
            mon["ts"] = ts
        else:
            mon = Monitors(monitored)
            mon["ts"] = jax.numpy.asarray(ts, dtype=bm.get_float())
        self.mon = mon
        self.i0 += n
        return (seconds, outs) if eval_time else outs

    predict = run

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Same as :meth:`run`.

        Raises:
            RunningError: see :meth:`run`.
        """
        return self.run(*args, **kwargs)

    def _count_steps(self, owner: str, duration: Any, args: tuple) -> int:
        lengths = {}
        for k, x in enumerate(args):
            for path, leaf in jax.tree_util.tree_flatten_with_path(x, is_leaf=_is_sliced_leaf)[0]:
                if _is_array(leaf) and np.ndim(leaf) >= 1:
                    lengths.setdefault(np.shape(leaf)[0], f"args[{k}]{jax.tree_util.keystr(path)}")
        for var, value, _ in self._iterated:
            lengths.setdefault(np.shape(value)[0], "an 'iter' input")
        if duration is None:
            if not lengths:
                raise RunningError(f"{owner}: give a duration, or inputs with one row per step.")
            if len(lengths) > 1:
                detail = ", ".join(f"{where} has {m}" for m, where in lengths.items())
                raise RunningError(f"{owner}: the inputs disagree on the number of steps "
                                   f"({detail}).")
            return next(iter(lengths))
        n = _steps_of(duration, self._dt)
        for m, where in lengths.items():
            if m != n:
                raise RunningError(
                    f"{owner}: {where} has {m} rows, but duration {duration} with dt {self._dt} "
                    f"is {n} steps; give one row per step (or a number for a constant input).")
        return n

    def _per_step(self, owner: str, k: int, x: Any, n: int) -> Any:
        """``x`` as a loop operand: arrays as they are, scalars repeated ``n`` times."""

        def leaf(v: Any) -> Any:
            if v is None or isinstance(v, bm.BrainPyObject):
                return v
            if isinstance(v, bm.Variable):
                v = v.value
            if not _is_array(v):
                raise RunningError(f"{owner}: args[{k}] holds a {type(v).__name__} "
                                   f"({v!r:.40}); inputs must be arrays, numbers, None or objects.")
            if np.ndim(v) >= 1:
                return v
            # A constant: repeated on the host (no device program per run length).
            return np.full((n,), np.asarray(v), dtype=jax.dtypes.canonicalize_dtype(
                jax.numpy.result_type(v)))

        return jax.tree.map(leaf, x, is_leaf=_is_sliced_leaf)

    def _iter_rows(self, owner: str, value: Any, n: int) -> Any:
        if np.shape(value)[0] != n:
            raise RunningError(f"{owner}: an 'iter' input has {np.shape(value)[0]} rows, but this "
                               f"run has {n} steps.")
        return value


class DSRunner(Runner):
    """BrainPy's name for :class:`Runner`, with BrainPy's argument order ``(target, inputs, monitors)``.

    Raises:
        TypeError, MonitorError, RunningError: as :class:`Runner`.

    Example:
        >>> import brainobj as bp, brainobj.math as bm, jax.numpy as jnp
        >>> class Cell(bp.BrainPyObject):
        ...     def __init__(self):
        ...         self.input = bm.Variable(jnp.zeros(()))
        ...         self.v = bm.Variable(jnp.zeros(()))
        ...     def update(self):
        ...         self.v.value = self.v + self.input
        ...     def clear_input(self):
        ...         self.input.value = jnp.zeros(())
        >>> runner = bp.DSRunner(Cell(), [('input', 2.)], ['v'], dt=1.0, progress_bar=False)
        >>> runner.run(3.)
        >>> runner.mon.v
        array([2., 4., 6.], dtype=float32)
    """

    def __init__(self, target: bm.BrainPyObject, inputs: Sequence | Callable = (),
                 monitors: Sequence | Mapping | None = None, **kwargs: Any) -> None:
        super().__init__(target, monitors, inputs, **kwargs)


def _is_array(x: Any) -> bool:
    return isinstance(x, (jax.Array, np.ndarray, np.generic, numbers.Number))


def _is_sliced_leaf(x: Any) -> bool:
    return isinstance(x, (bm.Variable, bm.BrainPyObject))


def _has(obj: Any, part: str) -> bool:
    try:
        _get(obj, part)
    except (AttributeError, KeyError, IndexError, TypeError, ValueError):
        return False
    return True


def _get(obj: Any, part: str) -> Any:
    """``obj.part``, or ``obj[part]`` for a list (``'layers.0'``) or a dict."""
    if isinstance(obj, (list, tuple)) and part.lstrip("-").isdigit():
        return obj[int(part)]
    if isinstance(obj, Mapping) and not hasattr(type(obj), part):
        return obj[part]
    return getattr(obj, part)
