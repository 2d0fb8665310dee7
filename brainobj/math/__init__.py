"""``brainobj.math`` (``bm``): Variables, transforms, random numbers, arrays."""

from ._array_api import EXPORTS as _ARRAY_FUNCTIONS

# jax.numpy / jax.nn functions first, so brainobj's own names below win.
globals().update(_ARRAY_FUNCTIONS)

# state
from ._collector import (
    ArrayCollector as ArrayCollector,
    Collector as Collector,
    TensorCollector as TensorCollector,
)
from ._state_dict import LoadReport as LoadReport
from ._fields import field as field
from ._object import (
    BrainPyObject as BrainPyObject,
    NodeDict as NodeDict,
    NodeList as NodeList,
    clear_name_cache as clear_name_cache,
    node_dict as node_dict,
    node_list as node_list,
)
from ._errors import (
    MathAttributeError as MathAttributeError,
    MathError as MathError,
    MathTypeError as MathTypeError,
)
from ._tracing import in_transform as in_transform
from ._variable import (
    Parameter as Parameter,
    TrainVar as TrainVar,
    VarDict as VarDict,
    VarList as VarList,
    Variable as Variable,
    VariableView as VariableView,
)
# BrainPy's lowercase names for the containers.
var_list = VarList
var_dict = VarDict

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

# many devices (issue #11): placement by spec, on JAX's meshes
from ._sharding import (
    abstract as abstract,
    get_named_sharding as get_named_sharding,
    get_partition_spec as get_partition_spec,
    shard as shard,
)
from ._shard_map import shard_map as shard_map

# BrainPy compatibility: environment and defaults, function objects, conversions,
# progress bars, legacy-argument warnings (issue #10).
from . import _environment as _environment
from ._environment import (
    BatchingMode as BatchingMode,
    Mode as Mode,
    NonBatchingMode as NonBatchingMode,
    TrainingMode as TrainingMode,
    batching_mode as batching_mode,
    disable_x64 as disable_x64,
    enable_x64 as enable_x64,
    environment as environment,
    get_bool as get_bool,
    get_complex as get_complex,
    get_dt as get_dt,
    get_float as get_float,
    get_int as get_int,
    get_mode as get_mode,
    get_platform as get_platform,
    nonbatching_mode as nonbatching_mode,
    set as set,
    set_bool as set_bool,
    set_complex as set_complex,
    set_dt as set_dt,
    set_environment as set_environment,
    set_float as set_float,
    set_int as set_int,
    set_mode as set_mode,
    set_platform as set_platform,
    set_x64 as set_x64,
    training_environment as training_environment,
    batching_environment as batching_environment,
    training_mode as training_mode,
)
from ._devices import (
    clear_buffer_memory as clear_buffer_memory,
    disable_gpu_memory_preallocation as disable_gpu_memory_preallocation,
    enable_gpu_memory_preallocation as enable_gpu_memory_preallocation,
    gpu_memory_preallocation as gpu_memory_preallocation,
    set_host_device_count as set_host_device_count,
)
from ._function import FunAsObject as FunAsObject, Partial as Partial, function as function, to_object as to_object
from ._conversions import (
    as_device_array as as_device_array,
    as_jax as as_jax,
    as_ndarray as as_ndarray,
    as_numpy as as_numpy,
)
from ._progress import ProgressBar as ProgressBar
from ._legacy import LegacyArgumentWarning as LegacyArgumentWarning

_environment.initialize()  # bm.dt, bm.float_, bm.int_, bm.bool_, bm.complex_, bm.mode

from . import random as random
from . import event as event
