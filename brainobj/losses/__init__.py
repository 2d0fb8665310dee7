"""``bp.losses``: loss functions with ``reduction='mean' | 'sum' | 'none'``.

Built on ``optax.losses``; they accept arrays or Variables and are usable
inside every ``bm`` transform.
"""

from ._classification import (
    binary_cross_entropy as binary_cross_entropy,
    cross_entropy_loss as cross_entropy_loss,
)
from ._regression import (
    huber_loss as huber_loss,
    l2_loss as l2_loss,
    mean_absolute_error as mean_absolute_error,
    mean_squared_error as mean_squared_error,
)

__all__ = [
    "cross_entropy_loss", "binary_cross_entropy", "mean_squared_error",
    "mean_absolute_error", "l2_loss", "huber_loss",
]
