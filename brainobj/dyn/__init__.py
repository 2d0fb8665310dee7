"""``bp.dyn``: spiking models in BrainPy 2.8's ``brainpy.dyn`` style.

Neurons (``LifRef``, ``LifRefLTC``, ``Lif``, ``LifLTC``), synapses
(``Expon``, ``Alpha``, ``DualExponV2``), outputs (``COBA``, ``CUBA``,
``MgBlock``), align-post projections (``FullProjAlignPostMg``,
``HalfProjAlignPostMg``, ...), delays (``VarDelay``), ``PoissonGroup``, and
the base classes (``DynamicalSystem``, ``DynSysGroup``, ``Network``). The
update order, which decides when a spike arrives, is described in
``_system`` (one call), ``_projections`` (one network step), ``_neurons``
and ``_delay``.
"""

from ._share import Share as Share, share as share
from ._system import (
    DynamicalSystem as DynamicalSystem,
    DynSysGroup as DynSysGroup,
    Dynamic as Dynamic,
    Network as Network,
    NeuDyn as NeuDyn,
    ParamDesc as ParamDesc,
    ParamDescriber as ParamDescriber,
    Projection as Projection,
    ReturnInfo as ReturnInfo,
    SynDyn as SynDyn,
    init_param as init_param,
    init_variable as init_variable,
    not_receive_update_input as not_receive_update_input,
    not_receive_update_output as not_receive_update_output,
    receive_update_input as receive_update_input,
    receive_update_output as receive_update_output,
    reset_level as reset_level,
    reset_state as reset_state,
)
from ._delay import (
    DataDelay as DataDelay,
    Delay as Delay,
    DelayAccess as DelayAccess,
    VarDelay as VarDelay,
    delay_identifier as delay_identifier,
    init_delay_by_return as init_delay_by_return,
    register_delay_by_return as register_delay_by_return,
)
from ._outputs import COBA as COBA, CUBA as CUBA, MgBlock as MgBlock, SynOut as SynOut
from ._synapses import Alpha as Alpha, AlignPost as AlignPost, DualExponV2 as DualExponV2
from ._synapses import Expon as Expon
from ._neurons import Lif as Lif, LifLTC as LifLTC, LifRef as LifRef, LifRefLTC as LifRefLTC
from ._projections import (
    FullProjAlignPost as FullProjAlignPost,
    FullProjAlignPostMg as FullProjAlignPostMg,
    HalfProjAlignPost as HalfProjAlignPost,
    HalfProjAlignPostMg as HalfProjAlignPostMg,
)
from ._comm import CSRLinear as CSRLinear, EventCSRLinear as EventCSRLinear
from ._inputs import PoissonGroup as PoissonGroup
