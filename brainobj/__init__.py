"""brainobj: BrainPy-style object-oriented transformations for JAX.

``import brainobj as bp`` for modeling (``BrainPyObject``, layers, ``init``,
``losses``, ``optim``, checkpoints) and ``import brainobj.math as bm`` for
Variables, transforms, random numbers and array functions.
"""

from . import math as math
from .math._object import BrainPyObject as BrainPyObject
from .math._variable import MathError as MathError
from . import init as init
from . import optim as optim
from ._checkpoint import load as load, save as save
from .layers import (
    Dense as Dense,
    Lambda as Lambda,
    Layer as Layer,
    Linear as Linear,
    Sequential as Sequential,
)

__version__ = "0.1.0"
