"""brainobj: BrainPy-style object-oriented transformations for JAX.

``import brainobj as bp`` for modeling (``BrainPyObject``, ...) and
``import brainobj.math as bm`` for Variables, transforms, random numbers and
array functions.
"""

from . import math as math
from .math._object import BrainPyObject as BrainPyObject
from .math._variable import MathError as MathError

__version__ = "0.1.0"
