"""BrainPy-named optimizers: ``Optimizer`` with a ready-made optax transformation."""

from __future__ import annotations

from typing import Any, Callable

import optax

from ._optimizer import Optimizer

__all__ = ["SGD", "Momentum", "Adam", "AdamW", "RMSProp", "Adagrad"]

LearningRate = float | Callable[[Any], Any]


class SGD(Optimizer):
    """Plain gradient descent, ``optax.sgd(lr)``.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> w = bm.Variable(bm.ones(2))
        >>> opt = bp.optim.SGD(lr=0.1, train_vars={'w': w})
        >>> opt.update({'w': bm.ones(2)}); w.value
        Array([0.9, 0.9], dtype=float32)
    """

    def __init__(self, lr: LearningRate, train_vars: Any = None, name: str | None = None) -> None:
        super().__init__(optax.sgd(lr), train_vars, lr=lr, name=name)


class Momentum(Optimizer):
    """Gradient descent with (optionally Nesterov) momentum, ``optax.sgd(lr, momentum)``."""

    def __init__(self, lr: LearningRate, train_vars: Any = None, momentum: float = 0.9,
                 nesterov: bool = False, name: str | None = None) -> None:
        super().__init__(optax.sgd(lr, momentum=momentum, nesterov=nesterov), train_vars,
                         lr=lr, name=name)


class Adam(Optimizer):
    """Adam, ``optax.adam(lr, beta1, beta2, eps)``."""

    def __init__(self, lr: LearningRate, train_vars: Any = None, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8, name: str | None = None) -> None:
        super().__init__(optax.adam(lr, b1=beta1, b2=beta2, eps=eps), train_vars, lr=lr, name=name)


class AdamW(Optimizer):
    """Adam with decoupled weight decay, ``optax.adamw``."""

    def __init__(self, lr: LearningRate, train_vars: Any = None, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8, weight_decay: float = 1e-4,
                 name: str | None = None) -> None:
        super().__init__(optax.adamw(lr, b1=beta1, b2=beta2, eps=eps, weight_decay=weight_decay),
                         train_vars, lr=lr, name=name)


class RMSProp(Optimizer):
    """RMSProp, ``optax.rmsprop(lr, decay, eps)``."""

    def __init__(self, lr: LearningRate, train_vars: Any = None, decay: float = 0.9,
                 eps: float = 1e-8, name: str | None = None) -> None:
        super().__init__(optax.rmsprop(lr, decay=decay, eps=eps), train_vars, lr=lr, name=name)


class Adagrad(Optimizer):
    """Adagrad, ``optax.adagrad(lr, initial_accumulator_value, eps)``."""

    def __init__(self, lr: LearningRate, train_vars: Any = None,
                 initial_accumulator_value: float = 0.1, eps: float = 1e-7,
                 name: str | None = None) -> None:
        super().__init__(optax.adagrad(lr, initial_accumulator_value=initial_accumulator_value,
                                       eps=eps), train_vars, lr=lr, name=name)
