"""``bp.optim``: optax optimizers whose state lives in Variables."""

from ._optimizer import Optimizer as Optimizer
from ._shortcuts import (
    SGD as SGD,
    Adagrad as Adagrad,
    Adam as Adam,
    AdamW as AdamW,
    Momentum as Momentum,
    RMSProp as RMSProp,
)
