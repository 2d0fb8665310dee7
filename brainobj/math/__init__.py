"""``brainobj.math`` (``bm``): Variables, transforms, random numbers, arrays."""

from ._array_api import EXPORTS as _ARRAY_FUNCTIONS

# jax.numpy / jax.nn functions first, so brainobj's own names below win.
globals().update(_ARRAY_FUNCTIONS)

# state
from ._collector import Collector as Collector
from ._state_dict import LoadReport as LoadReport
from ._object import BrainPyObject as BrainPyObject, NodeDict as NodeDict, NodeList as NodeList
from ._errors import MathError as MathError
from ._tracing import in_transform as in_transform
from ._variable import (
    TrainVar as TrainVar,
    VarDict as VarDict,
    VarList as VarList,
    Variable as Variable,
)

# transforms
from ._autodiff import (
    grad as grad,
    hessian as hessian,
    jacfwd as jacfwd,
    jacobian as jacobian,
    jacrev as jacrev,
    value_and_grad as value_and_grad,
    vector_grad as vector_grad,
)
from ._control_flow import (
    cond as cond,
    for_loop as for_loop,
    ifelse as ifelse,
    scan as scan,
    switch as switch,
    while_loop as while_loop,
)
from ._autodiff import is_differentiable as is_differentiable
from ._eval_shape import eval_shape as eval_shape
from ._jit import JitFunction as JitFunction, cls_jit as cls_jit, jit as jit
from ._jit_plan import RetraceWarning as RetraceWarning
from ._remat import remat as remat
from ._vmap import StateAxes as StateAxes, vmap as vmap
from ._ensemble import stack_objects as stack_objects, unstack_objects as unstack_objects

from . import random as random
