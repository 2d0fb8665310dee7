"""BrainPy-named optimizers: ``Optimizer`` with a ready-made optax transformation.

Each checks its hyperparameters when built: optax would accept a string
learning rate or ``beta1=1`` and fail (or divide by zero) only inside the
first update.

Every shortcut trains ``bfloat16``, ``float16`` and ``float32`` parameters,
mixed in one model, keeping their dtypes; its state follows optax's (the
moments of a ``bfloat16`` parameter are ``bfloat16``). In ``float16``,
``eps=1e-8`` rounds to zero and gradients below about ``1e-2`` square to
zero, so Adam, AdamW and RMSProp (as optax) can divide by zero: train
``float16`` parameters with a larger ``eps`` (e.g. ``1e-4``), or keep them in
``bfloat16`` or ``float32``.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import optax

from ._optimizer import Optimizer

__all__ = ["SGD", "Momentum", "Adam", "AdamW", "RMSProp", "Adagrad"]

LearningRate = float | Callable[[Any], Any]


def _number(x: Any) -> int | float | None:
    """``x`` as a Python real number (from a 0-d array too), or None."""
    value = np.asarray(x).item() if np.ndim(x) == 0 else None
    return None if isinstance(x, bool) or not isinstance(value, (int, float)) else value


def _lr(owner: str, lr: Any) -> Any:
    """``lr`` if it is an optax schedule or a finite, non-negative real number."""
    if callable(lr):
        return lr
    value = _number(lr)
    if value is None:
        raise TypeError(f"{owner}: lr must be a number or an optax schedule, got {lr!r}")
    if not 0 <= value < math.inf:  # also refuses NaN
        raise ValueError(f"{owner}: lr must be finite and >= 0, got {lr!r}")
    return lr


def _in(owner: str, name: str, value: Any, low: float, high: float = math.inf) -> None:
    """``low <= value < high``, else an error naming the hyperparameter."""
    number = _number(value)
    if number is None:
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
    if not low <= number < high:  # also refuses NaN
        span = f">= {low}" if high == math.inf else f"in [{low}, {high})"
        raise ValueError(f"{owner}: {name} must be finite and {span}, got {value!r}")


class SGD(Optimizer):
    """Plain gradient descent, ``optax.sgd(lr)``.

    Args:
        lr: the learning rate, a number >= 0 or an optax schedule.
        train_vars: the Variables to train (see :class:`Optimizer`).
        name: the object's name.

    Raises:
        TypeError: ``lr`` is not a number or a schedule; ``train_vars`` is
            not a dict, a list or a Variable, or holds something else.
        ValueError: ``lr`` is negative, infinite or NaN.
        MathError: see :meth:`Optimizer.register_train_vars`.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> w = bm.Variable(bm.ones(2))
        >>> opt = bp.optim.SGD(lr=0.1, train_vars={'w': w})
        >>> opt.update({'w': bm.ones(2)}); w.value
        Array([0.9, 0.9], dtype=float32)
    """

    def __init__(self, lr: LearningRate, train_vars: Any = None, name: str | None = None) -> None:
        lr = _lr(type(self).__name__, lr)
        super().__init__(optax.sgd(lr), train_vars, lr=lr, name=name)


class Momentum(Optimizer):
    """Gradient descent with (optionally Nesterov) momentum, ``optax.sgd(lr, momentum)``.

    Args:
        lr: the learning rate, a number >= 0 or an optax schedule.
        train_vars: the Variables to train (see :class:`Optimizer`).
        momentum: the decay of the velocity, in ``[0, 1)``.
        nesterov: use Nesterov's momentum.
        name: the object's name.

    Raises:
        TypeError: ``lr`` or ``momentum`` is not a number (``lr`` may be a
            schedule); ``train_vars`` is not a dict, a list or a Variable.
        ValueError: ``lr`` is negative or not finite, ``momentum`` is
            outside ``[0, 1)``.
        MathError: see :meth:`Optimizer.register_train_vars`.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> w = bm.Variable(bm.ones(2))
        >>> opt = bp.optim.Momentum(0.1, {'w': w}, momentum=0.5)
        >>> for _ in range(2):
        ...     opt.update({'w': bm.ones(2)})
        >>> w.value  # 1 - 0.1 - 0.1 * (1 + 0.5)
        Array([0.75, 0.75], dtype=float32)
    """

    def __init__(self, lr: LearningRate, train_vars: Any = None, momentum: float = 0.9,
                 nesterov: bool = False, name: str | None = None) -> None:
        lr = _lr(type(self).__name__, lr)
        _in(type(self).__name__, "momentum", momentum, 0.0, 1.0)
        super().__init__(optax.sgd(lr, momentum=momentum, nesterov=nesterov), train_vars,
                         lr=lr, name=name)


class Adam(Optimizer):
    """Adam, ``optax.adam(lr, beta1, beta2, eps)``.

    Args:
        lr: the learning rate, a number >= 0 or an optax schedule.
        train_vars: the Variables to train (see :class:`Optimizer`).
        beta1: the decay of the first moment, in ``[0, 1)``.
        beta2: the decay of the second moment, in ``[0, 1)``.
        eps: added to the denominator, >= 0 (in ``float16``, use ``1e-4``:
            ``1e-8`` rounds to zero there).
        name: the object's name.

    Raises:
        TypeError: a hyperparameter is not a number (``lr`` may be a
            schedule); ``train_vars`` is not a dict, a list or a Variable.
        ValueError: ``lr`` or ``eps`` is negative or not finite, ``beta1`` or
            ``beta2`` is outside ``[0, 1)``.
        MathError: see :meth:`Optimizer.register_train_vars`.

    Example:
        >>> import jax.numpy as jnp, brainobj as bp, brainobj.math as bm
        >>> w = bm.TrainVar(jnp.ones(2, jnp.bfloat16))
        >>> opt = bp.optim.Adam(0.1, {'w': w})
        >>> opt.update({'w': jnp.ones(2, jnp.bfloat16)})  # Adam's first step: lr * sign(g)
        >>> w.value
        Array([0.898438, 0.898438], dtype=bfloat16)
    """

    def __init__(self, lr: LearningRate, train_vars: Any = None, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8, name: str | None = None) -> None:
        owner = type(self).__name__
        lr = _lr(owner, lr)
        _in(owner, "beta1", beta1, 0.0, 1.0)
        _in(owner, "beta2", beta2, 0.0, 1.0)
        _in(owner, "eps", eps, 0.0)
        super().__init__(optax.adam(lr, b1=beta1, b2=beta2, eps=eps), train_vars, lr=lr, name=name)


class AdamW(Optimizer):
    """Adam with decoupled weight decay, ``optax.adamw``.

    Args:
        lr: the learning rate, a number >= 0 or an optax schedule.
        train_vars: the Variables to train (see :class:`Optimizer`).
        beta1: the decay of the first moment, in ``[0, 1)``.
        beta2: the decay of the second moment, in ``[0, 1)``.
        eps: added to the denominator, >= 0 (``1e-4`` in ``float16``).
        weight_decay: the decay rate, >= 0.
        name: the object's name.

    Raises:
        TypeError: a hyperparameter is not a number (``lr`` may be a
            schedule); ``train_vars`` is not a dict, a list or a Variable.
        ValueError: ``lr``, ``eps`` or ``weight_decay`` is negative or not
            finite, ``beta1`` or ``beta2`` is outside ``[0, 1)``.
        MathError: see :meth:`Optimizer.register_train_vars`.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> w = bm.TrainVar(bm.ones(2))
        >>> opt = bp.optim.AdamW(0.1, {'w': w}, weight_decay=0.5)
        >>> opt.update({'w': bm.ones(2)})  # Adam's first step is lr * sign(g), plus the decay
        >>> bool(bm.allclose(w.value, 1 - 0.1 * (1 + 0.5 * 1)))
        True
    """

    def __init__(self, lr: LearningRate, train_vars: Any = None, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8, weight_decay: float = 1e-4,
                 name: str | None = None) -> None:
        owner = type(self).__name__
        lr = _lr(owner, lr)
        _in(owner, "beta1", beta1, 0.0, 1.0)
        _in(owner, "beta2", beta2, 0.0, 1.0)
        _in(owner, "eps", eps, 0.0)
        _in(owner, "weight_decay", weight_decay, 0.0)
        super().__init__(optax.adamw(lr, b1=beta1, b2=beta2, eps=eps, weight_decay=weight_decay),
                         train_vars, lr=lr, name=name)


class RMSProp(Optimizer):
    """RMSProp, ``optax.rmsprop(lr, decay, eps)``.

    Args:
        lr: the learning rate, a number >= 0 or an optax schedule.
        train_vars: the Variables to train (see :class:`Optimizer`).
        decay: the decay of the squared-gradient average, in ``[0, 1)``.
        eps: added to the denominator, >= 0 (``1e-4`` in ``float16``).
        name: the object's name.

    Raises:
        TypeError: a hyperparameter is not a number (``lr`` may be a
            schedule); ``train_vars`` is not a dict, a list or a Variable.
        ValueError: ``lr`` or ``eps`` is negative or not finite, ``decay``
            is outside ``[0, 1)``.
        MathError: see :meth:`Optimizer.register_train_vars`.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> w = bm.TrainVar(bm.ones(2))
        >>> opt = bp.optim.RMSProp(0.1, {'w': w}, decay=0.75, eps=0.0)
        >>> opt.update({'w': bm.ones(2)}); w.value  # 1 - 0.1 * 1 / sqrt(0.25)
        Array([0.8, 0.8], dtype=float32)
    """

    def __init__(self, lr: LearningRate, train_vars: Any = None, decay: float = 0.9,
                 eps: float = 1e-8, name: str | None = None) -> None:
        owner = type(self).__name__
        lr = _lr(owner, lr)
        _in(owner, "decay", decay, 0.0, 1.0)
        _in(owner, "eps", eps, 0.0)
        super().__init__(optax.rmsprop(lr, decay=decay, eps=eps), train_vars, lr=lr, name=name)


class Adagrad(Optimizer):
    """Adagrad, ``optax.adagrad(lr, initial_accumulator_value, eps)``.

    Args:
        lr: the learning rate, a number >= 0 or an optax schedule.
        train_vars: the Variables to train (see :class:`Optimizer`).
        initial_accumulator_value: the starting sum of squared gradients, >= 0.
        eps: added to the denominator, >= 0.
        name: the object's name.

    Raises:
        TypeError: a hyperparameter is not a number (``lr`` may be a
            schedule); ``train_vars`` is not a dict, a list or a Variable.
        ValueError: ``lr``, ``initial_accumulator_value`` or ``eps`` is
            negative or not finite.
        MathError: see :meth:`Optimizer.register_train_vars`.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> w = bm.TrainVar(bm.ones(2))
        >>> opt = bp.optim.Adagrad(0.1, {'w': w}, initial_accumulator_value=0.0, eps=0.0)
        >>> opt.update({'w': 2 * bm.ones(2)}); w.value  # 1 - 0.1 * 2 / sqrt(4)
        Array([0.9, 0.9], dtype=float32)
    """

    def __init__(self, lr: LearningRate, train_vars: Any = None,
                 initial_accumulator_value: float = 0.1, eps: float = 1e-7,
                 name: str | None = None) -> None:
        owner = type(self).__name__
        lr = _lr(owner, lr)
        _in(owner, "initial_accumulator_value", initial_accumulator_value, 0.0)
        _in(owner, "eps", eps, 0.0)
        super().__init__(optax.adagrad(lr, initial_accumulator_value=initial_accumulator_value,
                                       eps=eps), train_vars, lr=lr, name=name)
