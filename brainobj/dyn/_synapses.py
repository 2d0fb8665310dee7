"""Synapse dynamics: ``Expon``, ``Alpha``, ``DualExponV2`` (BrainPy 2.8's ``bp.dyn``).

Each step (``update(x=None)``) first integrates the decay over ``dt`` with
``bp.odeint`` (``method='exp_auto'`` by default, BrainPy's exponential Euler
``x + dt * exprel(dt * J) * f(x)``, so the values match BrainPy's bit for
bit), then adds the input ``x``. An align-post projection instead calls
``add_current(x)`` *before* the synapse's own update in the same step (the
projections run before the groups), so a spike's increment decays once in
the step it arrives: ``g(n) = decay(g(n-1) + w * spikes(n))``.
"""

from __future__ import annotations

from typing import Any

import brainobj.math as bm

from ._share import share
from ._system import ReturnInfo, SynDyn, _assign

__all__ = ["AlignPost", "Expon", "Alpha", "DualExponV2", "odeint"]


def odeint(f: Any, method: str = "exp_auto") -> Any:
    """``bp.odeint(f, method=method)`` (imported when first needed).

    Raises:
        ImportError: brainobj.integrators is missing.
        ValueError: an unknown ``method`` (from ``bp.odeint``).

    Example:
        >>> from brainobj.dyn._synapses import odeint
        >>> float(odeint(lambda x, t: -x, method='euler')(1.0, 0.0, dt=0.1))
        0.9
    """
    from ..integrators import odeint as _odeint  # a sibling package, loaded lazily

    return _odeint(f, method=method)


class AlignPost:
    """Mixin of synapses an align-post projection can feed (``add_current``).

    Raises nothing.

    Example:
        >>> import brainobj as bp
        >>> isinstance(bp.dyn.Expon(1), bp.dyn.AlignPost)
        True
    """

    def add_current(self, x: Any) -> None:
        """Add ``x`` to the synapse's state now.

        Raises:
            NotImplementedError: the synapse does not support it.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement add_current")


class Expon(SynDyn, AlignPost):
    """Exponential synapse: ``dg/dt = -g / tau``; an input adds to ``g``.

    Args:
        size: the group's size.
        keep_size: keep the shape for ``g``.
        sharding: BrainPy's axis names (kept, unused).
        method: the integration method (``bp.odeint``).
        name: the object's name.
        mode: the computing mode.
        tau: the decay time constant (ms).

    Raises:
        ValueError: a bad ``size``; see ``bp.odeint`` for ``method``.
        TypeError: ``tau`` is not a number, an array or an initializer.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> syn = bp.dyn.Expon(2, tau=5.)
        >>> with bp.share.context(t=0., dt=0.1):
        ...     g = syn(bm.ones(2))                  # decay (of 0), then add 1
        ...     g = syn()                            # decay only
        >>> bool(bm.allclose(g, bm.exp(-0.1 / 5.)))
        True
    """

    def __init__(self, size: Any, keep_size: bool = False, sharding: Any = None,
                 method: str = "exp_auto", name: str | None = None, mode: Any = None,
                 tau: Any = 8.0) -> None:
        super().__init__(size=size, keep_size=keep_size, sharding=sharding, name=name,
                         mode=mode, method=method)
        self.tau = self.init_param(tau)
        self.integral = odeint(self.derivative, method=method)
        self.reset_state(self.mode)

    def derivative(self, g: Any, t: Any) -> Any:
        """``-g / tau``.

        Raises nothing.
        """
        return -g / self.tau

    def reset_state(self, batch_or_mode: Any = None, **kwargs: Any) -> None:
        """``g = 0`` (with a leading batch axis when asked).

        Raises:
            TypeError, ValueError: a bad batch size.
        """
        _assign(self, "g", self.init_variable(bm.zeros, batch_or_mode))

    def update(self, x: Any = None) -> Any:
        """Decay ``g`` over one step, then add ``x`` (when given); returns ``g``.

        Raises:
            KeyError: ``bp.share`` has no ``t``.
        """
        self.g.value = self.integral(self.g.value, share["t"], dt=share["dt"])
        if x is not None:
            self.add_current(x)
        return self.g.value

    def add_current(self, x: Any) -> None:
        """``g += x``.

        Raises nothing.
        """
        self.g.value = self.g.value + x

    def return_info(self) -> bm.Variable:
        """``g`` (what a delay of this synapse stores).

        Raises nothing.
        """
        return self.g


class Alpha(SynDyn, AlignPost):
    """Alpha synapse: ``dh/dt = -h / tau_decay``, ``dg/dt = (h - g) / tau_decay``;
    an input adds to ``h``.

    Each step integrates ``g`` and ``h`` from their old values (BrainPy's
    ``JointEq`` under exponential Euler), then adds the input to ``h``.
    ``add_current(x)`` (used by align-post projections) also adds to ``h``;
    BrainPy 2.8's ``Alpha`` has no ``add_current``.

    Args:
        size: the group's size.
        keep_size: keep the shape for the Variables.
        sharding: BrainPy's axis names (kept, unused).
        method: the integration method (``bp.odeint``).
        name: the object's name.
        mode: the computing mode.
        tau_decay: the time constant (ms).

    Raises:
        ValueError: a bad ``size``.
        TypeError: ``tau_decay`` is not a number, an array or an initializer.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> syn = bp.dyn.Alpha(1, tau_decay=2.)
        >>> with bp.share.context(t=0., dt=0.1):
        ...     _ = syn(bm.ones(1))
        ...     g = syn()
        >>> float(syn.h[0]) < 1., float(g[0]) > 0.
        (True, True)
    """

    def __init__(self, size: Any, keep_size: bool = False, sharding: Any = None,
                 method: str = "exp_auto", name: str | None = None, mode: Any = None,
                 tau_decay: Any = 10.0) -> None:
        super().__init__(size=size, keep_size=keep_size, sharding=sharding, name=name,
                         mode=mode, method=method)
        self.tau_decay = self.init_param(tau_decay)
        # two integrators called on the old values: the arithmetic of BrainPy's
        # JointEq(dg, dh) under exponential Euler, which integrates each
        # equation on its own with the others' old values
        self.integral_g = odeint(self.dg, method=method)
        self.integral_h = odeint(self.dh, method=method)
        self.reset_state(self.mode)

    def dh(self, h: Any, t: Any) -> Any:
        """``-h / tau_decay``.

        Raises nothing.
        """
        return -h / self.tau_decay

    def dg(self, g: Any, t: Any, h: Any) -> Any:
        """``-g / tau_decay + h / tau_decay``.

        Raises nothing.
        """
        return -g / self.tau_decay + h / self.tau_decay

    def reset_state(self, batch_or_mode: Any = None, **kwargs: Any) -> None:
        """``g = h = 0``.

        Raises:
            TypeError, ValueError: a bad batch size.
        """
        _assign(self, "h", self.init_variable(bm.zeros, batch_or_mode))
        _assign(self, "g", self.init_variable(bm.zeros, batch_or_mode))

    def update(self, x: Any = None) -> Any:
        """Integrate ``g`` and ``h`` one step, then ``h += x``; returns ``g``.

        Raises:
            KeyError: ``bp.share`` has no ``t``.
        """
        t, dt = share["t"], share["dt"]
        g, h = self.g.value, self.h.value
        self.g.value = self.integral_g(g, t, h, dt=dt)
        self.h.value = self.integral_h(h, t, dt=dt)
        if x is not None:
            self.add_current(x)
        return self.g.value

    def add_current(self, x: Any) -> None:
        """``h += x``.

        Raises nothing.
        """
        self.h.value = self.h.value + x

    def return_info(self) -> bm.Variable:
        """``g``.

        Raises nothing.
        """
        return self.g


class DualExponV2(SynDyn, AlignPost):
    """Dual exponential synapse: ``A * (g_decay - g_rise)``, both decaying
    exponentially; an input adds to both.

    Raises:
        ValueError: a bad ``size``; ``tau_rise == tau_decay`` without ``A``.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> syn = bp.dyn.DualExponV2(1, tau_decay=10., tau_rise=1.)
        >>> with bp.share.context(t=0., dt=0.1):
        ...     _ = syn(bm.ones(1)); out = syn()
        >>> float(out[0]) > 0
        True
    """

    def __init__(self, size: Any, keep_size: bool = False, sharding: Any = None,
                 method: str = "exp_auto", name: str | None = None, mode: Any = None,
                 tau_decay: Any = 10.0, tau_rise: Any = 1., A: Any = None) -> None:
        super().__init__(size=size, keep_size=keep_size, sharding=sharding, name=name,
                         mode=mode, method=method)
        self.tau_rise = self.init_param(tau_rise)
        self.tau_decay = self.init_param(tau_decay)
        if A is None:
            if bool(bm.any(bm.asarray(self.tau_rise) == bm.asarray(self.tau_decay))):
                raise ValueError(f"{self.name}: the peak normalizer A is undefined when "
                                 f"tau_rise == tau_decay; use bp.dyn.Alpha, or give A")
            A = (self.tau_decay / (self.tau_decay - self.tau_rise)
                 * bm.float_power(self.tau_rise / self.tau_decay,
                                  self.tau_rise / (self.tau_rise - self.tau_decay)))
        self.a = self.init_param(A)
        self.integral = odeint(_decay, method=method)
        self.reset_state(self.mode)

    def reset_state(self, batch_or_mode: Any = None, **kwargs: Any) -> None:
        """``g_rise = g_decay = 0``.

        Raises:
            TypeError, ValueError: a bad batch size.
        """
        _assign(self, "g_rise", self.init_variable(bm.zeros, batch_or_mode))
        _assign(self, "g_decay", self.init_variable(bm.zeros, batch_or_mode))

    def update(self, x: Any = None) -> Any:
        """Decay both, add ``x`` to both; returns ``a * (g_decay - g_rise)``.

        Raises:
            KeyError: ``bp.share`` has no ``t``.
        """
        t, dt = share["t"], share["dt"]
        self.g_rise.value = self.integral(self.g_rise.value, t, self.tau_rise, dt=dt)
        self.g_decay.value = self.integral(self.g_decay.value, t, self.tau_decay, dt=dt)
        if x is not None:
            self.add_current(x)
        return self.a * (self.g_decay.value - self.g_rise.value)

    def add_current(self, x: Any) -> None:
        """Add ``x`` to ``g_rise`` and ``g_decay``.

        Raises nothing.
        """
        self.g_rise.value = self.g_rise.value + x
        self.g_decay.value = self.g_decay.value + x

    def return_info(self) -> ReturnInfo:
        """The output as a :class:`ReturnInfo` computed from the state.

        Raises nothing.
        """
        return ReturnInfo(self.varshape, self.sharding, self.mode,
                          lambda shape: self.a * (self.g_decay.value - self.g_rise.value))


def _decay(g: Any, t: Any, tau: Any) -> Any:
    return -g / tau
