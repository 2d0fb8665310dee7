"""Leaky integrate-and-fire neurons: ``Lif``, ``LifLTC``, ``LifRef``, ``LifRefLTC``.

BrainPy 2.8's arithmetic, step by step (``update(x=None)``, at time
``t = bp.share.load('t')`` with step ``dt``):

1. ``V = integral(V, t, I, dt)`` with ``bp.odeint(derivative, method)``
   (``'exp_auto'``: exponential Euler), plus the delta inputs.

   * ``LifRef``/``Lif``: ``I = x + sum_current_inputs(V_old)``, computed
     before the integration; ``derivative = (-V + V_rest + R I) / tau``.
   * ``LifRefLTC``/``LifLTC`` ("liquid time constant"): the current inputs
     are summed *inside* the derivative, at the integrated ``V``, so a
     conductance ``g (E - V)`` becomes part of the linear term that
     exponential Euler solves exactly. The two differ whenever a current
     depends on ``V`` (COBA synapses).
2. ``LifRef*`` only: a neuron is refractory while ``t - t_last_spike <= tau_ref``
   and then keeps its old ``V``.
3. ``spike = V >= V_th``; ``V = V_reset`` where it spiked; ``t_last_spike = t``
   there (``LifRef*``).

``spike`` is boolean (BrainPy's non-training modes); ``t_last_spike``
starts at ``-1e7``.
"""

from __future__ import annotations

from typing import Any, Callable

import jax.numpy as jnp

import brainobj.math as bm

from ._share import share
from ._synapses import odeint
from ._system import NeuDyn, _assign

__all__ = ["Lif", "LifLTC", "LifRef", "LifRefLTC"]


def _zeros_init(shape: tuple, dtype: Any = None) -> Any:
    return jnp.zeros(shape, bm.float_ if dtype is None else dtype)


class _InputsAtOldV:
    """The non-LTC variants (``Lif``, ``LifRef``): current inputs (COBA currents
    included) are summed once, at the old ``V``, before integrating, so they
    stay out of the linear part that ``exp_auto`` finds; the LTC variants sum
    them inside the derivative."""

    def derivative(self, V: Any, t: Any, I: Any) -> Any:
        """``(-V + V_rest + R * I) / tau``.

        Raises nothing.
        """
        return (-V + self.V_rest + self.R * I) / self.tau

    def update(self, x: Any = None) -> Any:
        """One step; the current inputs are summed at the old ``V`` first.

        Raises:
            KeyError: ``bp.share`` has no ``t``.
        """
        x = 0. if x is None else x
        x = self.sum_current_inputs(self.V.value, init=x)
        return super().update(x)


class LifLTC(NeuDyn):
    """Leaky integrate-and-fire neuron, current inputs summed inside the ODE.

    ``tau dV/dt = -(V - V_rest) + R I``; ``V >= V_th`` spikes and resets to
    ``V_reset``. See the module docstring for the step.

    Args:
        size: the group's size.
        sharding: BrainPy's axis names (kept, unused).
        keep_size: keep the shape for the Variables.
        mode: the computing mode (training mode is not supported).
        name: the object's name.
        spk_fun: BrainPy's training-mode spike function; only the default
            (None) is supported.
        spk_dtype: BrainPy's training-mode spike dtype; only the default is
            supported.
        spk_reset: BrainPy's training-mode reset rule; only the default is
            supported.
        detach_spk: BrainPy's training-mode option; only the default is
            supported.
        scaling: BrainPy's scaling option; only the default is supported.
        noise: BrainPy's noise option; only the default (None) is supported.
        method: the ``bp.odeint`` method (``'exp_auto'``).
        init_var: create the Variables now.
        V_rest: the resting potential (a number, array or initializer).
        V_reset: the reset potential (a number, array or initializer).
        V_th: the spike threshold (a number, array or initializer).
        R: the membrane resistance (a number, array or initializer).
        tau: the membrane time constant (a number, array or initializer).
        V_initializer: the initial ``V`` (an initializer or an array).

    Raises:
        ValueError: a bad ``size``; a parameter of the wrong shape.
        NotImplementedError: training mode, noise or a custom spike function.
        TypeError: a parameter of the wrong type.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> neu = bp.dyn.LifLTC(2, V_rest=0., V_th=1., V_reset=0., tau=1.)
        >>> def step(i):
        ...     with bp.share.context(t=i * 0.1, i=i):
        ...         return neu(5.)
        >>> bm.for_loop(step, bm.arange(5))[:, 0]
        Array([False, False,  True, False, False], dtype=bool)
    """

    def __init__(self, size: Any, sharding: Any = None, keep_size: bool = False,
                 mode: Any = None, name: str | None = None, spk_fun: Callable | None = None,
                 spk_dtype: Any = None, spk_reset: str = "soft", detach_spk: bool = False,
                 method: str = "exp_auto", init_var: bool = True, scaling: Any = None,
                 V_rest: Any = 0., V_reset: Any = -5., V_th: Any = 20., R: Any = 1.,
                 tau: Any = 10., V_initializer: Any = None, noise: Any = None) -> None:
        super().__init__(size=size, keep_size=keep_size, sharding=sharding, name=name,
                         mode=mode, method=method)
        who = type(self).__name__
        if isinstance(self.mode, bm.TrainingMode) or spk_fun is not None:
            raise NotImplementedError(f"{who}: training mode and surrogate spike functions "
                                      f"(spk_fun) are not supported yet")
        if noise is not None:
            raise NotImplementedError(f"{who}: noise is not supported yet (it needs bp.sdeint)")
        self.spk_reset = spk_reset
        self.detach_spk = detach_spk
        self.scaling = scaling
        self._spk_dtype = spk_dtype
        self.noise = None
        self.V_rest = self.init_param(V_rest)
        self.V_reset = self.init_param(V_reset)
        self.V_th = self.init_param(V_th)
        self.tau = self.init_param(tau)
        self.R = self.init_param(R)
        if V_initializer is None:
            V_initializer = _zeros_init
        if not callable(V_initializer) and not hasattr(V_initializer, "shape"):
            raise TypeError(f"{who}: V_initializer must be an initializer or an array, got "
                            f"{V_initializer!r}")
        self._V_initializer = V_initializer
        self.integral = odeint(self.derivative, method=method)
        if init_var:
            self.reset_state(self.mode)

    @property
    def spk_dtype(self) -> Any:
        """The dtype of ``spike`` (bool unless ``spk_dtype`` was given)."""
        return bm.bool_ if self._spk_dtype is None else self._spk_dtype

    def derivative(self, V: Any, t: Any, I: Any) -> Any:
        """``(-V + V_rest + R * (I + current inputs at V)) / tau``.

        Raises nothing.
        """
        I = self.sum_current_inputs(V, init=I)
        return (-V + self.V_rest + self.R * I) / self.tau

    def reset_state(self, batch_size: Any = None, **kwargs: Any) -> None:
        """``V`` from ``V_initializer`` and ``spike = False``.

        Raises:
            TypeError, ValueError: a bad batch size; an initial value of the wrong shape.
        """
        _assign(self, "V", self.init_variable(self._V_initializer, batch_size))
        _assign(self, "spike", self.init_variable(
            lambda s: jnp.zeros(s, self.spk_dtype), batch_size))

    def _integrate(self, x: Any) -> tuple[Any, Any]:
        t = share.load("t")
        dt = share.load("dt")
        x = 0. if x is None else x
        V = self.integral(self.V.value, t, x, dt=dt) + self.sum_delta_inputs()
        return t, V

    def update(self, x: Any = None) -> Any:
        """One step with external current ``x``; returns the spikes.

        Raises:
            KeyError: ``bp.share`` has no ``t``.
        """
        _, V = self._integrate(x)
        spike = V >= self.V_th
        self.V.value = bm.where(spike, self.V_reset, V)
        self.spike.value = spike.astype(self.spike.dtype)
        return self.spike.value

    def return_info(self) -> bm.Variable:
        """``spike`` (what a delay of this group stores).

        Raises nothing.
        """
        return self.spike


class Lif(_InputsAtOldV, LifLTC):
    """Leaky integrate-and-fire neuron, current inputs summed before integrating.

    The same as :class:`LifLTC` except that ``sum_current_inputs(V)`` is
    evaluated once at the old ``V`` and added to ``x``.

    Raises:
        ValueError, TypeError, NotImplementedError: see :class:`LifLTC`.

    Example:
        >>> import brainobj as bp
        >>> neu = bp.dyn.Lif(1, V_initializer=bp.init.Constant(-5.))
        >>> with bp.share.context(t=0.):
        ...     spike = neu(0.)
        >>> round(float(neu.V[0]), 4)
        -4.9502
    """



class LifRefLTC(LifLTC):
    """:class:`LifLTC` with a refractory period ``tau_ref`` (ms).

    Variables: ``V``, ``spike``, ``t_last_spike`` (and ``refractory`` when
    ``ref_var=True``). See the module docstring for the step. The arguments
    other than ``tau_ref`` and ``ref_var`` are as in :class:`LifLTC`.

    Args:
        tau_ref: the refractory period (ms).
        ref_var: keep a ``refractory`` Variable.

    Raises:
        ValueError, TypeError, NotImplementedError: see :class:`LifLTC`.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> neu = bp.dyn.LifRefLTC(1, V_rest=0., V_th=1., V_reset=0., tau=1., tau_ref=0.25)
        >>> def step(i):
        ...     with bp.share.context(t=i * 0.1, i=i):
        ...         return neu(5.)
        >>> spikes = bm.for_loop(step, bm.arange(10))[:, 0]   # refractory at t=0.3, 0.4
        >>> bm.where(spikes)[0]
        Array([2, 7], dtype=int32)
    """

    def __init__(self, size: Any, sharding: Any = None, keep_size: bool = False,
                 mode: Any = None, spk_fun: Callable | None = None, spk_dtype: Any = None,
                 detach_spk: bool = False, spk_reset: str = "soft", method: str = "exp_auto",
                 name: str | None = None, init_var: bool = True, scaling: Any = None,
                 V_rest: Any = 0., V_reset: Any = -5., V_th: Any = 20., R: Any = 1.,
                 tau: Any = 10., V_initializer: Any = None, tau_ref: Any = 0.,
                 ref_var: bool = False, noise: Any = None) -> None:
        super().__init__(size=size, sharding=sharding, keep_size=keep_size, mode=mode,
                         name=name, spk_fun=spk_fun, spk_dtype=spk_dtype, spk_reset=spk_reset,
                         detach_spk=detach_spk, method=method, init_var=False, scaling=scaling,
                         V_rest=V_rest, V_reset=V_reset, V_th=V_th, R=R, tau=tau,
                         V_initializer=V_initializer, noise=noise)
        self.ref_var = ref_var
        self.tau_ref = self.init_param(tau_ref)
        if init_var:
            self.reset_state(self.mode)

    def reset_state(self, batch_size: Any = None, **kwargs: Any) -> None:
        """``V``, ``spike`` as :class:`LifLTC`; ``t_last_spike = -1e7``; ``refractory = False``.

        Raises:
            TypeError, ValueError: a bad batch size; an initial value of the wrong shape.
        """
        super().reset_state(batch_size, **kwargs)
        _assign(self, "t_last_spike", self.init_variable(
            lambda s: jnp.full(s, -1e7, bm.float_), batch_size))
        if self.ref_var:
            _assign(self, "refractory", self.init_variable(
                lambda s: jnp.zeros(s, bool), batch_size))

    def update(self, x: Any = None) -> Any:
        """One step with external current ``x``; returns the spikes.

        Raises:
            KeyError: ``bp.share`` has no ``t``.
        """
        t, V = self._integrate(x)
        refractory = (t - self.t_last_spike.value) <= self.tau_ref
        V = bm.where(refractory, self.V.value, V)
        spike = V >= self.V_th
        V = bm.where(spike, self.V_reset, V)
        if self.ref_var:
            self.refractory.value = bm.logical_or(refractory, spike)
        t_last_spike = bm.where(spike, t, self.t_last_spike.value)
        self.V.value = V
        self.spike.value = spike.astype(self.spike.dtype)
        self.t_last_spike.value = t_last_spike
        return self.spike.value


class LifRef(_InputsAtOldV, LifRefLTC):
    """:class:`Lif` with a refractory period: current inputs summed at the old ``V``.

    Raises:
        ValueError, TypeError, NotImplementedError: see :class:`LifLTC`.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> neu = bp.dyn.LifRef(3, V_rest=-60., V_th=-50., V_reset=-60., tau=20., tau_ref=5.,
        ...                     V_initializer=bp.init.Normal(-55., 2.))
        >>> neu.V.shape, neu.spike.dtype, float(neu.t_last_spike[0])
        ((3,), dtype('bool'), -10000000.0)
    """

