"""Synaptic outputs: conductance -> current (``COBA``, ``CUBA``, ``MgBlock``).

An output is bound to a conductance once per step (``out.bind_cond(g)``;
an align-post projection does it right after its synapse updated) and is
then called by the post-synaptic group with the membrane potential:
``out(V)`` is ``out.update(g, V)``. The bound conductance lives in a
Variable of the output (BrainPy keeps it in a plain attribute, which a
compiled step cannot write), created on the first binding outside a
transform or when a projection wires the output.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

import brainobj.math as bm

from ._system import DynamicalSystem, ParamDesc, _batch_of, init_param

__all__ = ["SynOut", "COBA", "CUBA", "MgBlock"]


class SynOut(DynamicalSystem, ParamDesc):
    """Base class of synaptic outputs (with ``bind_cond`` and ``.desc(...)``).

    Raises:
        ValueError: calling it before any conductance was bound.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> out = bp.dyn.CUBA()
        >>> out.bind_cond(bm.ones(2)); out(None)
        Array([1., 1.], dtype=float32)
    """

    def __init__(self, name: str | None = None, scaling: Any = None) -> None:
        super().__init__(name=name)
        self.scaling = scaling
        self._conductance = None
        self._cond_shape = None

    def _prepare(self, shape: tuple, dtype: Any = None, batch_or_mode: Any = None) -> None:
        """Create the conductance Variable (zeros of ``shape``), outside transforms."""
        batch = _batch_of(batch_or_mode)
        full = tuple(shape) if batch is None else (batch,) + tuple(shape)
        dtype = bm.float_ if dtype is None else dtype
        self._cond_shape = tuple(shape)
        self._conductance = bm.Variable(jnp.zeros(full, dtype),
                                        batch_axis=None if batch is None else 0)

    def bind_cond(self, conductance: Any) -> None:
        """Bind this step's conductance.

        Raises:
            MathError: inside a compiled function, a conductance of another
                shape or dtype than the one bound before (bind one of the right
                shape once outside, or let a projection wire the output).

        Example:
            >>> import brainobj as bp, brainobj.math as bm
            >>> out = bp.dyn.COBA(E=0.)
            >>> out.bind_cond(bm.ones(2)); out(bm.asarray([-1., 1.]))
            Array([ 1., -1.], dtype=float32)
        """
        value = conductance.value if isinstance(conductance, bm.Variable) else conductance
        value = jnp.asarray(value)
        var = self._conductance
        if var is not None:
            if var.shape == value.shape and var.dtype == value.dtype:
                var.value = value
                return
            if var.shape == value.shape and bm.in_transform():
                var.value = value.astype(var.dtype)
                return
        if bm.in_transform():
            raise bm.MathError(
                f"{self.name}.bind_cond: got a conductance of shape {value.shape} and dtype "
                f"{value.dtype} inside a compiled function, but "
                + ("none was bound before" if var is None else
                   f"the bound one has shape {var.shape} and dtype {var.dtype}")
                + ". Bind a conductance of this shape once outside the compiled function "
                  "(or reset the network for the new batch size).")
        self._cond_shape = tuple(value.shape)
        self._conductance = bm.Variable(value)

    def unbind_cond(self) -> None:
        """Forget the bound conductance (outside compiled functions).

        Raises:
            MathError: inside a compiled function.

        Example:
            >>> import brainobj as bp, brainobj.math as bm
            >>> out = bp.dyn.CUBA(); out.bind_cond(bm.ones(1)); out.unbind_cond()
            >>> out._conductance is None
            True
        """
        if bm.in_transform():
            raise bm.MathError(f"{self.name}.unbind_cond cannot run inside a compiled function")
        self._conductance = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """``update(bound conductance, *args)``.

        Raises:
            ValueError: no conductance was bound.
        """
        if self._conductance is None:
            raise ValueError(f"{self.name}: bind the conductance of this step first with "
                             f".bind_cond(g)")
        return self.update(self._conductance.value, *args, **kwargs)

    def reset_state(self, batch_size: Any = None, **kwargs: Any) -> None:
        """Zero the bound conductance (with a leading ``batch_size`` when given).

        Raises:
            TypeError, ValueError: a bad ``batch_size``.

        Example:
            >>> import brainobj as bp, brainobj.math as bm
            >>> out = bp.dyn.CUBA(); out.bind_cond(bm.ones(2)); out.reset_state(3)
            >>> out._conductance.shape
            (3, 2)
        """
        batch = _batch_of(batch_size)
        var = self._conductance
        if var is None:
            return
        shape = self._cond_shape if self._cond_shape is not None else tuple(var.shape)
        full = shape if batch is None else (batch,) + shape
        if tuple(var.shape) == full:
            var.value = jnp.zeros(full, var.dtype)
        else:
            self._prepare(shape, var.dtype, batch)


class COBA(SynOut):
    """Conductance-based output: ``I = g * (E - V)``.

    Args:
        E: the reversal potential (mV).
        sharding: BrainPy's axis names (kept, unused).
        name: the object's name.
        scaling: BrainPy's scaling (kept, unused: identity).

    Raises:
        TypeError: ``E`` is not a number or an array.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> out = bp.dyn.COBA(E=-80.)
        >>> out.update(bm.asarray([0.5]), bm.asarray([-60.]))
        Array([-10.], dtype=float32)
    """

    def __init__(self, E: Any, sharding: Any = None, name: str | None = None,
                 scaling: Any = None) -> None:
        super().__init__(name=name, scaling=scaling)
        self.sharding = sharding
        self.E = init_param(E, np.shape(E), owner=f"{type(self).__name__} E")

    def update(self, conductance: Any, potential: Any) -> Any:
        """``conductance * (E - potential)``.

        Raises nothing.
        """
        return conductance * (self.E - potential)


class CUBA(SynOut):
    """Current-based output: the conductance is the current.

    Raises nothing.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> bp.dyn.CUBA().update(bm.asarray([2.]), None)
        Array([2.], dtype=float32)
    """

    def __init__(self, name: str | None = None, scaling: Any = None) -> None:
        super().__init__(name=name, scaling=scaling)

    def update(self, conductance: Any, potential: Any = None) -> Any:
        """The conductance, unchanged.

        Raises nothing.
        """
        return conductance


class MgBlock(SynOut):
    """Magnesium-blocked output: ``g (E - V) / (1 + cc_Mg / beta * exp(alpha (V_offset - V)))``.

    Raises:
        TypeError: a parameter is not a number or an array.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> out = bp.dyn.MgBlock(E=0.)
        >>> bool(out.update(bm.ones(1), bm.asarray([-60.]))[0] > 0)
        True
    """

    def __init__(self, E: Any = 0., cc_Mg: Any = 1.2, alpha: Any = 0.062, beta: Any = 3.57,
                 V_offset: Any = 0., sharding: Any = None, name: str | None = None,
                 scaling: Any = None) -> None:
        super().__init__(name=name, scaling=scaling)
        self.sharding = sharding
        self.E = init_param(E, np.shape(E), owner="MgBlock E")
        self.V_offset = init_param(V_offset, np.shape(V_offset), owner="MgBlock V_offset")
        self.cc_Mg = init_param(cc_Mg, np.shape(cc_Mg), owner="MgBlock cc_Mg")
        self.alpha = init_param(alpha, np.shape(alpha), owner="MgBlock alpha")
        self.beta = init_param(beta, np.shape(beta), owner="MgBlock beta")

    def update(self, conductance: Any, potential: Any) -> Any:
        """The blocked conductance current.

        Raises nothing.
        """
        norm = 1 + self.cc_Mg / self.beta * bm.exp(self.alpha * (self.V_offset - potential))
        return conductance * (self.E - potential) / norm
