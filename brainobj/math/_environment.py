"""BrainPy's environment helpers: x64, platform, ``dt``, default dtypes, modes.

Everything here is **process-global**, as in BrainPy: ``jax_enable_x64`` and
the platform are JAX configuration, and ``dt``, the default dtypes and the
mode are module attributes of ``brainobj.math`` (``bm.dt``, ``bm.float_``,
``bm.int_``, ``bm.bool_``, ``bm.complex_``, ``bm.mode``), read and written
by every thread. Set them once at the top of a script (or inside
:class:`environment`, which restores them on exit), not from several threads
at once.

brainobj's own functions do not read ``dt``, the default dtypes or the mode:
arrays get JAX's default dtype (float32, or float64 under x64) and layers
use their ``training`` flag. The values are kept for user code that reads
them (``bm.get_dt()`` in an integrator, ``dtype=bm.float_``).
"""

from __future__ import annotations

import sys
import threading
from typing import Any, Callable

import jax
import jax.numpy as jnp

__all__ = ["enable_x64", "disable_x64", "set_x64", "set_platform", "get_platform", "set_dt",
           "get_dt", "set_float", "get_float", "set_int", "get_int", "set_bool", "get_bool",
           "set_complex", "get_complex", "set_mode", "get_mode", "set", "set_environment",
           "environment", "training_environment", "batching_environment", "Mode", "NonBatchingMode", "BatchingMode", "TrainingMode",
           "nonbatching_mode", "batching_mode", "training_mode"]

# One lock for writers: a `bm.set(...)` racing another thread's `environment`
# exit must not interleave halfway (readers take no lock: plain attribute reads).
_LOCK = threading.RLock()
_PACKAGE = __name__.rpartition(".")[0]
_FLOATS = (jnp.float16, jnp.bfloat16, jnp.float32, jnp.float64)
_INTS = (jnp.int8, jnp.int16, jnp.int32, jnp.int64, jnp.uint8, jnp.uint16, jnp.uint32, jnp.uint64)
_COMPLEXES = (jnp.complex64, jnp.complex128)
_PLATFORMS = ("cpu", "gpu", "tpu")


# -- modes ------------------------------------------------------------------------------

class Mode:
    """A computing mode, as BrainPy's ``bm.Mode`` (compared by class).

    brainobj's layers do not read the mode (they use ``model.train()`` /
    ``model.eval()``); it is kept for code that asks ``bm.get_mode()``.

    Raises nothing.

    Example:
        >>> import brainobj.math as bm
        >>> bm.training_mode.is_one_of(bm.BatchingMode)
        True
        >>> bm.TrainingMode(4).batch_size
        4
    """

    def __repr__(self) -> str:
        return type(self).__name__

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def is_one_of(self, *modes: type) -> bool:
        """Whether this mode is an instance of one of ``modes`` (classes).

        Raises:
            TypeError: ``modes`` holds something other than classes.
        """
        return isinstance(self, modes)

    def is_a(self, mode: type) -> bool:
        """Whether this mode's class is exactly ``mode``.

        Raises nothing.
        """
        return type(self) is mode


class NonBatchingMode(Mode):
    """No batch axis (BrainPy's default mode).

    Raises nothing.
    """

    batch_size = None


class BatchingMode(Mode):
    """Inputs carry a leading batch axis of ``batch_size``.

    Raises nothing.
    """

    def __init__(self, batch_size: int = 1) -> None:
        self.batch_size = batch_size

    def __repr__(self) -> str:
        return f"{type(self).__name__}(batch_size={self.batch_size})"


class TrainingMode(BatchingMode):
    """Batched, and trainable.

    Raises nothing.
    """


nonbatching_mode = NonBatchingMode()
batching_mode = BatchingMode()
training_mode = TrainingMode()


# -- module attributes -------------------------------------------------------------------

def _publish(name: str, value: Any) -> None:
    # BrainPy scripts read `bm.dt` / `bm.float_` directly: keep them current.
    sys.modules[_PACKAGE].__dict__[name] = value


def _read(name: str) -> Any:
    return sys.modules[_PACKAGE].__dict__[name]


def _x64() -> bool:
    return bool(jax.config.read("jax_enable_x64"))


def _dtype_name(value: Any) -> str:
    return getattr(value, "__name__", repr(value))


def _check_dtype(what: str, value: Any, allowed: tuple) -> Any:
    for dtype in allowed:
        if value is dtype or value == dtype or (isinstance(value, str) and value == dtype.__name__):
            return dtype
    raise TypeError(f"{what}: {_dtype_name(value)!s} is not supported; use one of "
                    f"{', '.join('bm.' + d.__name__ for d in allowed)}.")


def _initial() -> dict[str, Any]:
    wide = _x64()
    return {"dt": 0.1, "float_": jnp.float64 if wide else jnp.float32,
            "int_": jnp.int64 if wide else jnp.int32, "bool_": jnp.bool_,
            "complex_": jnp.complex128 if wide else jnp.complex64, "mode": nonbatching_mode}


# -- setters and getters ------------------------------------------------------------------

def set_dt(dt: float) -> None:
    """Set the default integration step ``bm.dt`` (BrainPy's default: 0.1).

    Raises:
        TypeError: ``dt`` is not a real number (a bool, a string, an array).
        ValueError: ``dt`` is not positive and finite.

    Example:
        >>> import brainobj.math as bm
        >>> with bm.environment(dt=0.05):
        ...     bm.get_dt()
        0.05
        >>> bm.get_dt()
        0.1
    """
    with _LOCK:
        _publish("dt", _checked_dt(dt))


def _checked_dt(dt: Any) -> float:
    if isinstance(dt, bool) or not isinstance(dt, (int, float)):
        raise TypeError(f"bm.set_dt: dt must be a float, got {type(dt).__name__} {dt!r:.40}.")
    dt = float(dt)
    if not 0.0 < dt < float("inf"):
        raise ValueError(f"bm.set_dt: dt must be positive and finite, got {dt!r}.")
    return dt


def get_dt() -> float:
    """The default integration step (``bm.dt``).

    Raises nothing.

    Example:
        >>> import brainobj.math as bm
        >>> bm.get_dt()
        0.1
    """
    return _read("dt")


def enable_x64() -> None:
    """Turn on 64-bit arrays (``jax_enable_x64``); defaults become float64/int64/complex128.

    Global: affects arrays created afterwards everywhere in the process.
    Arrays and Variables created before keep their dtype.

    Raises nothing.

    Example:
        >>> import brainobj.math as bm
        >>> with bm.environment(x64=True):
        ...     bm.zeros(1).dtype, bm.get_float().__name__
        (dtype('float64'), 'float64')
        >>> bm.zeros(1).dtype
        dtype('float32')
    """
    set_x64(True)


def disable_x64() -> None:
    """Turn off 64-bit arrays; defaults become float32/int32/complex64.

    Raises nothing.
    """
    set_x64(False)


def set_x64(enable: bool) -> None:
    """:func:`enable_x64` if ``enable`` else :func:`disable_x64`.

    Raises:
        TypeError: ``enable`` is not a bool.
    """
    if not isinstance(enable, bool):
        raise TypeError(f"bm.set_x64: x64 must be True or False, got {type(enable).__name__} "
                        f"{enable!r:.40}.")
    with _LOCK:
        jax.config.update("jax_enable_x64", enable)
        _publish("float_", jnp.float64 if enable else jnp.float32)
        _publish("int_", jnp.int64 if enable else jnp.int32)
        _publish("complex_", jnp.complex128 if enable else jnp.complex64)


def _make_dtype_pair(name: str, allowed: tuple) -> tuple[Callable, Callable]:
    def setter(dtype: Any) -> None:
        with _LOCK:
            _publish(name, _check_dtype(f"bm.set_{name.rstrip('_')}", dtype, allowed))

    def getter() -> Any:
        return _read(name)

    kind = name.rstrip("_")
    setter.__name__, getter.__name__ = f"set_{kind}", f"get_{kind}"
    setter.__qualname__, getter.__qualname__ = setter.__name__, getter.__name__
    setter.__doc__ = (f"Set the default {kind} type ``bm.{name}`` (read by your code, not by "
                      f"brainobj's functions).\n\n    Raises:\n        TypeError: ``dtype`` is "
                      f"not one of {', '.join(d.__name__ for d in allowed)}.\n")
    getter.__doc__ = f"The default {kind} type ``bm.{name}``.\n\n    Raises nothing.\n"
    return setter, getter


set_float, get_float = _make_dtype_pair("float_", _FLOATS)
set_int, get_int = _make_dtype_pair("int_", _INTS)
set_bool, get_bool = _make_dtype_pair("bool_", (jnp.bool_,))
set_complex, get_complex = _make_dtype_pair("complex_", _COMPLEXES)


def set_mode(mode: Mode) -> None:
    """Set ``bm.mode`` (BrainPy's default: ``bm.nonbatching_mode``).

    brainobj's layers do not read it: use ``model.train()`` / ``model.eval()``.

    Raises:
        TypeError: ``mode`` is not a :class:`Mode` instance (a class, say).

    Example:
        >>> import brainobj.math as bm
        >>> with bm.environment(mode=bm.training_mode):
        ...     bm.get_mode()
        TrainingMode(batch_size=1)
    """
    with _LOCK:
        _publish("mode", _checked_mode(mode))


def _checked_mode(mode: Any) -> Mode:
    if not isinstance(mode, Mode):
        hint = " (a class: instantiate it, or use bm.training_mode)" if isinstance(mode, type) else ""
        raise TypeError(f"bm.set_mode: mode must be a bm.Mode instance such as bm.training_mode, "
                        f"got {mode!r:.60}{hint}.")
    return mode


def get_mode() -> Mode:
    """The default mode ``bm.mode``.

    Raises nothing.
    """
    return _read("mode")


# -- platform ---------------------------------------------------------------------------

def _backends_initialized() -> bool:
    try:
        from jax._src import xla_bridge

        return bool(xla_bridge.backends_are_initialized())
    except (ImportError, AttributeError):  # another JAX layout: assume the worst
        return True


def set_platform(platform: str) -> None:
    """Run on ``'cpu'``, ``'gpu'`` or ``'tpu'``: call before any JAX computation.

    JAX picks its backends once, at the first computation; after that the
    platform cannot change. Asking for the platform already in use is
    accepted and does nothing.

    Raises:
        ValueError: ``platform`` is not ``'cpu'``, ``'gpu'`` or ``'tpu'``.
        RuntimeError: JAX has already started on another platform; set the
            platform first thing in the script, or set the environment
            variable ``JAX_PLATFORMS`` before starting Python.

    Example:
        >>> import brainobj.math as bm
        >>> bm.set_platform(bm.get_platform())  # the current one: nothing to do
    """
    if platform not in _PLATFORMS:
        raise ValueError(f"bm.set_platform: platform must be one of {', '.join(map(repr, _PLATFORMS))}, "
                         f"got {platform!r:.40}.")
    with _LOCK:
        if _backends_initialized():
            current = get_platform()
            if current != platform:
                raise RuntimeError(
                    f"bm.set_platform({platform!r}): JAX already runs on {current!r}; the platform "
                    "can only be chosen before the first computation. Call bm.set_platform first "
                    f"thing in the script, or start Python with JAX_PLATFORMS={platform}.")
            return
        jax.config.update("jax_platforms", platform)


def get_platform() -> str:
    """The platform of JAX's default device: ``'cpu'``, ``'gpu'`` or ``'tpu'``.

    Starts JAX's backends if they have not started (the platform is then fixed).

    Raises nothing.

    Example:
        >>> import brainobj.math as bm
        >>> bm.get_platform() in ("cpu", "gpu", "tpu")
        True
    """
    platform = jax.devices()[0].platform
    return "gpu" if platform in ("cuda", "rocm") else platform


# -- set / environment ------------------------------------------------------------------

# The settings brainobj keeps, in the order they are applied.
_KEYWORDS = ("mode", "dt", "x64", "complex_", "float_", "int_", "bool_")
# BrainPy's parameters of `set`/`environment`, in its positional order.
_BRAINPY_ORDER = ("mode", "membrane_scaling", "dt", "x64", "complex_", "float_", "int_", "bool_",
                  "bp_object_as_pytree", "numpy_func_return")


def _named(owner: str, args: tuple, settings: dict) -> dict:
    """BrainPy's positional arguments turned into keywords."""
    if len(args) > len(_BRAINPY_ORDER):
        raise TypeError(f"{owner}: takes at most {len(_BRAINPY_ORDER)} positional arguments "
                        f"({', '.join(_BRAINPY_ORDER)}), got {len(args)}.")
    named = dict(zip(_BRAINPY_ORDER, args))
    twice = sorted(named.keys() & settings.keys())
    if twice:
        raise TypeError(f"{owner}: got {twice[0]!r} both by position and by keyword.")
    return {**named, **settings}


def _validated(owner: str, settings: dict) -> dict:
    """``settings`` checked as a whole, before anything is changed."""
    from ._errors import UnsupportedError

    unknown = [k for k in settings if k not in _BRAINPY_ORDER]
    if unknown:
        raise TypeError(f"{owner}: unknown setting {unknown[0]!r}; the settings are "
                        f"{', '.join(_BRAINPY_ORDER)}.")
    out = {}
    for key, value in settings.items():
        if value is None:
            continue
        if key == "dt":
            value = _checked_dt(value)
        elif key == "mode":
            value = _checked_mode(value)
        elif key == "x64":
            if not isinstance(value, bool):
                raise TypeError(f"{owner}: x64 must be True or False, got {value!r:.40}.")
        elif key == "membrane_scaling":
            raise UnsupportedError(f"{owner}: membrane_scaling belongs to BrainPy's neuron models, "
                                   "which brainobj does not have; leave it out.")
        elif key == "bp_object_as_pytree":
            if value is not True:
                raise UnsupportedError(f"{owner}: bp_object_as_pytree={value!r:.40}: brainobj "
                                       "objects are always pytrees; leave it out.")
            continue
        elif key == "numpy_func_return":
            if value != "jax_array":
                raise UnsupportedError(f"{owner}: numpy_func_return={value!r:.40}: brainobj's "
                                       "bm.* functions return jax.Array ('jax_array'); there is no "
                                       "bm.Array (see the README's differences table).")
            continue
        else:
            allowed = {"float_": _FLOATS, "int_": _INTS, "bool_": (jnp.bool_,),
                       "complex_": _COMPLEXES}[key]
            value = _check_dtype(f"{owner}: {key}", value, allowed)
        out[key] = value
    return out


def _apply(settings: dict) -> None:
    # x64 first: it resets the default dtypes, which an explicit float_ then overrides.
    if "x64" in settings:
        set_x64(settings["x64"])
    for key in ("mode", "dt", "complex_", "float_", "int_", "bool_"):
        if key in settings:
            _publish(key, settings[key])


def _snapshot() -> dict:
    return {"x64": _x64(), **{k: _read(k) for k in ("mode", "dt", "complex_", "float_", "int_", "bool_")}}


def set(*args: Any, **settings: Any) -> None:  # noqa: A001  (BrainPy's name)
    """Set several defaults at once: ``mode``, ``dt``, ``x64``, ``complex_``,
    ``float_``, ``int_``, ``bool_`` (``None`` leaves a setting as it is).

    Positional arguments follow BrainPy's order (``mode, membrane_scaling,
    dt, x64, complex_, float_, int_, bool_, bp_object_as_pytree,
    numpy_func_return``). ``bp_object_as_pytree=True`` and
    ``numpy_func_return='jax_array'`` are what brainobj always does and are
    accepted. All values are checked before any is applied: on error
    nothing changes.

    Raises:
        TypeError: an unknown keyword, too many positional arguments, or a
            value of the wrong type.
        ValueError: ``dt`` not positive.
        UnsupportedError: ``membrane_scaling``, ``bp_object_as_pytree=False``
            or ``numpy_func_return='bp_array'`` (BrainPy features brainobj has
            not); a ``bp.errors.BrainPyError``.

    Example:
        >>> import brainobj.math as bm
        >>> bm.set(dt=0.05)
        >>> bm.get_dt()
        0.05
        >>> bm.set(bm.nonbatching_mode, None, 0.1)   # BrainPy's positional order
        >>> bm.get_dt()
        0.1
    """
    with _LOCK:
        _apply(_validated("bm.set", _named("bm.set", args, settings)))


set_environment = set


class environment:
    """Context manager (and decorator) setting defaults for a block, as :func:`set`.

    On exit -- also after an exception -- every default it changed is
    restored to its value at entry. Global, not per thread: another thread
    sees the block's settings while it runs.

    Raises:
        TypeError, ValueError, UnsupportedError: as :func:`set`, when it is
            created (nothing changes).

    Example:
        >>> import brainobj.math as bm
        >>> with bm.environment(dt=0.01, mode=bm.training_mode):
        ...     bm.get_dt(), bm.get_mode()
        (0.01, TrainingMode(batch_size=1))
        >>> bm.get_dt(), bm.get_mode()
        (0.1, NonBatchingMode)
    """

    def __init__(self, *args: Any, **settings: Any) -> None:
        owner = f"bm.{type(self).__name__}"
        self.settings = _validated(owner, _named(owner, args, settings))
        self._saved: list[dict] = []

    def __enter__(self) -> "environment":
        with _LOCK:
            self._saved.append(_snapshot())
            _apply(self.settings)
        return self

    def __exit__(self, *exc: Any) -> None:
        with _LOCK:
            saved = self._saved.pop()
            _apply({k: saved[k] for k in (*self.settings, "float_", "int_", "complex_")
                    if k in saved and (k in self.settings or "x64" in self.settings)})

    def __call__(self, fun: Callable) -> Callable:
        import functools

        @functools.wraps(fun)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fun(*args, **kwargs)

        return wrapped


def _batch_size(owner: str, batch_size: Any) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise TypeError(f"{owner}: batch_size must be a positive int, got {batch_size!r:.40}.")
    return batch_size


class _ModeEnvironment(environment):
    """An :class:`environment` whose mode is ``_mode(batch_size)``."""

    _mode: type = BatchingMode

    def __init__(self, dt: Any = None, x64: Any = None, complex_: Any = None, float_: Any = None,
                 int_: Any = None, bool_: Any = None, batch_size: int = 1,
                 **settings: Any) -> None:
        owner = f"bm.{type(self).__name__}"
        if "mode" in settings:
            raise TypeError(f"{owner}: takes no mode (it sets {self._mode.__name__}); "
                            "use bm.environment(mode=...) instead.")
        super().__init__(mode=self._mode(_batch_size(owner, batch_size)), dt=dt, x64=x64,
                         complex_=complex_, float_=float_, int_=int_, bool_=bool_, **settings)


class training_environment(_ModeEnvironment):
    """:class:`environment` with ``mode=bm.TrainingMode(batch_size)`` (BrainPy).

    Takes BrainPy's keywords (``dt``, ``x64``, ``complex_``, ``float_``,
    ``int_``, ``bool_``, ``batch_size``, ...); no ``mode``.

    Raises:
        TypeError, ValueError, UnsupportedError: as :func:`set`; a
            ``batch_size`` that is not a positive int.

    Example:
        >>> import brainobj.math as bm
        >>> with bm.training_environment(batch_size=8):
        ...     bm.get_mode()
        TrainingMode(batch_size=8)
    """

    _mode = TrainingMode


class batching_environment(_ModeEnvironment):
    """:class:`environment` with ``mode=bm.BatchingMode(batch_size)`` (BrainPy).

    Raises:
        TypeError, ValueError, UnsupportedError: as :class:`training_environment`.

    Example:
        >>> import brainobj.math as bm
        >>> with bm.batching_environment(batch_size=2, dt=0.05):
        ...     bm.get_mode(), bm.get_dt()
        (BatchingMode(batch_size=2), 0.05)
    """

    _mode = BatchingMode


def initialize() -> None:
    """Publish the initial ``bm.dt``, default dtypes and mode (at import)."""
    for key, value in _initial().items():
        _publish(key, value)
