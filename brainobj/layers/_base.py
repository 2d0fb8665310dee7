"""``Layer``: the base class of brainobj's layers, and the checks layers share."""

from __future__ import annotations

import math
import numbers
import threading
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from .. import math as bm
from ..math import random as _random

__all__ = ["Layer", "is_int", "positive_int", "layer_input", "real_number", "flag",
           "make_params", "OUTPUTS"]

# While bp.summary traces a model, ``OUTPUTS.seen`` maps each called layer
# (by id) to its first output (abstract values); otherwise it is unset.
OUTPUTS = threading.local()


def is_int(value: Any) -> bool:
    """A Python or NumPy integer; ``True`` is no size, and ``3.0`` or ``'3'`` are not ints.

    Never raises: any value gives ``True`` or ``False``.
    """
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def positive_int(owner: str, what: str, value: Any) -> int:
    """``value`` as a positive ``int``, else an error naming ``owner`` and ``what``.

    Raises:
        TypeError: ``value`` is not an int (``3.7``, ``'3'``, ``True``).
        ValueError: ``value`` is not positive.
    """
    if not is_int(value):
        raise TypeError(f"{owner}: {what} must be a positive int, got {value!r} "
                        f"({type(value).__name__}).")
    if value <= 0:
        raise ValueError(f"{owner}: {what} must be a positive int, got {value!r}.")
    return int(value)


def real_number(owner: str, what: str, value: Any) -> float:
    """``value`` as a finite Python float, else ``TypeError``/``ValueError`` naming it.

    A real number is a Python/NumPy int or float (not a bool, a string or an
    array with more than one element); 0-d arrays are read when not traced.

    Raises:
        TypeError: ``value`` is not a real number.
        ValueError: ``value`` is NaN or infinite.
    """
    if isinstance(value, (jax.Array, np.ndarray)) and value.ndim == 0 \
            and not isinstance(value, jax.core.Tracer) \
            and (jnp.issubdtype(value.dtype, jnp.integer)
                 or jnp.issubdtype(value.dtype, jnp.floating)):
        value = value.item()
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {what} must be a real number, got {value!r} "
                        f"({type(value).__name__}).")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{owner}: {what} must be finite, got {value}.")
    return value


def flag(owner: str, what: str, value: Any) -> bool:
    """``value`` as a bool; a truthy string such as ``'no'`` is refused.

    Raises:
        TypeError: ``value`` is not a bool.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {what} must be True or False, got {value!r}.")
    return bool(value)


def layer_input(layer: Any, x: Any) -> jax.Array:
    """``x`` as a JAX array, or a :class:`MathError` naming ``layer``.

    Arrays and tracers pass through untouched (the common, free path); a
    Variable gives its value; a string, ``None`` or a ragged list is refused
    here instead of by JAX with no layer named.

    Raises:
        MathError: ``x`` cannot be converted to an array.
    """
    if isinstance(x, jax.Array):
        return x
    try:
        return bm.asarray(x)
    except (TypeError, ValueError, OverflowError) as error:
        text = repr(x)
        text = text if len(text) <= 40 else text[:37] + "..."
        raise bm.MathError(f"{layer.name}: expected an array input, got "
                           f"{type(x).__name__} {text} ({error}).") from None


def make_params(owner: str, specs: list[tuple[str, Any, tuple[int, ...], bool]]) -> list[Any]:
    """Run each ``(what, initializer, shape, optional)``, check what it returns,
    and make a ``TrainVar`` of it (with the initializer's ``spec``, if it has
    one: see ``bp.init.with_partitioning``); ``None`` for an optional ``None``.

    Every initializer is checked to be callable (or ``None`` where optional)
    before any runs. Each result must be a floating-point (or complex) array
    of ``shape``: a trainable parameter of another shape or an integer dtype
    would only fail later, far from its cause. An error raised by an
    initializer gets ``owner`` and the argument's name in front. If anything
    fails, the global random key is put back, so a failed construction draws
    nothing.

    Raises:
        TypeError: an initializer that is not callable (or ``None`` where
            not optional), returns no array, or returns a non-float one.
        ValueError: an initializer that returns another shape.
        Exception: whatever an initializer raises (a ``TypeError`` or
            ``ValueError`` with ``owner`` and the argument in front).
    """
    for what, init, _, optional in specs:
        if init is None and optional:
            continue
        if not callable(init):
            raise TypeError(f"{owner}: {what} must be an initializer (a callable taking a "
                            f"shape, e.g. bp.init.XavierNormal())"
                            f"{' or None' if optional else ''}, got {init!r}.")
    # Layers are built outside transforms (their Variables could not be made
    # inside one); the read is a plain box read.
    saved_key = None if bm.in_transform() else _random.DEFAULT.value
    try:
        values = [None if init is None else _initialized(owner, what, init, shape)
                  for what, init, shape, _ in specs]
        # The spec of a bp.init.with_partitioning initializer goes to the Variable.
        return [None if value is None else bm.TrainVar(value, spec=getattr(init, "spec", None))
                for value, (_, init, _, _) in zip(values, specs)]
    except BaseException:
        if saved_key is not None:
            _random.DEFAULT.value = saved_key
        raise


def _initialized(owner: str, what: str, init: Callable, shape: tuple[int, ...]) -> Any:
    try:
        value = init(shape)
    except (TypeError, ValueError) as error:
        try:  # same type, with the layer and argument in front
            named = type(error)(f"{owner}: {what} failed for shape {shape}: {error}")
        except Exception:  # an exception type with another signature: as it is
            raise error from None
        raise named from error
    if isinstance(value, bm.Variable):
        value = value.value
    if not isinstance(value, (jax.Array, np.ndarray)):
        raise TypeError(f"{owner}: {what} must return an array, got {type(value).__name__}.")
    if tuple(value.shape) != tuple(shape):
        raise ValueError(f"{owner}: {what} returned shape {tuple(value.shape)}, expected "
                         f"{tuple(shape)}.")
    if not jnp.issubdtype(value.dtype, jnp.inexact):
        raise TypeError(f"{owner}: {what} returned dtype {value.dtype}; a trainable "
                        f"parameter must be floating-point. Return floats (e.g. "
                        f"x.astype('float32')).")
    return value


class Layer(bm.BrainPyObject):
    """A model component with a ``training`` flag; calling it runs :meth:`update`.

    New layers start in training mode; ``model.eval()`` / ``model.train()``
    switch every layer under ``model`` (see :meth:`BrainPyObject.train`).

    Subclasses define :meth:`update`; calling the layer calls it.

    Raises:
        NotImplementedError: calling a layer whose class defines no
            :meth:`update`.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> class Double(bp.Layer):
        ...     def update(self, x):
        ...         return 2 * x
        >>> Double()(bm.ones(2))
        Array([2., 2.], dtype=float32)
    """

    training = True  # a class default (no annotation: not a declared field), set per object by train()/eval()

    def update(self, *args: Any, **kwargs: Any) -> Any:
        """The layer's computation; subclasses define it.

        Raises:
            NotImplementedError: the subclass did not define it.
        """
        raise NotImplementedError(f"{type(self).__name__} must define update(...)")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run :meth:`update`.

        Raises:
            Exception: whatever :meth:`update` raises.
        """
        out = self.update(*args, **kwargs)
        outputs = getattr(OUTPUTS, "seen", None)
        if outputs is not None:  # bp.summary is tracing the model: note this layer's output
            outputs.setdefault(id(self), out)
        return out
