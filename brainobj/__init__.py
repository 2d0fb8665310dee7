"""brainobj: BrainPy-style object-oriented transformations for JAX.

``import brainobj as bp`` for modeling (``BrainPyObject``, layers, ``init``,
``losses``, ``optim``, checkpoints) and ``import brainobj.math as bm`` for
Variables, transforms, random numbers and array functions.
"""

from . import math as math
from . import errors as errors
from .math import BrainPyObject as BrainPyObject, MathError as MathError, field as field
from . import init as init
from . import losses as losses
from . import optim as optim
from . import conn as conn
from ._checkpoint import load as load, save as save
from ._sharded_checkpoint import load_sharded as load_sharded, save_sharded as save_sharded
from ._summary import Summary as Summary, SummaryRow as SummaryRow, summary as summary
from .layers import (
    BatchNorm1d as BatchNorm1d,
    BatchNorm2d as BatchNorm2d,
    Conv1d as Conv1d,
    Conv2d as Conv2d,
    Conv3d as Conv3d,
    Dense as Dense,
    Dropout as Dropout,
    Embedding as Embedding,
    Lambda as Lambda,
    Layer as Layer,
    LayerNorm as LayerNorm,
    Linear as Linear,
    Sequential as Sequential,
)
from . import dyn as dyn
from .dyn import DynamicalSystem as DynamicalSystem, DynSysGroup as DynSysGroup, Network as Network
from .dyn import share as share
from . import dnn as dnn
from . import integrators as integrators
from .integrators import JointEq as JointEq, odeint as odeint
from ._runner import DSRunner as DSRunner, Runner as Runner
from . import visualize as visualize

__version__ = "0.1.0"
