"""Input groups: ``PoissonGroup``.

A :class:`PoissonGroup` spikes independently in each step with probability
``freqs * dt / 1000`` (``freqs`` in Hz, ``dt`` in ms), drawn from
``bm.random`` (``rand <= p``, as BrainPy 2.8 draws it): seeding with
``bm.random.seed(s)`` makes a run reproducible.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

import brainobj.math as bm

from ._share import share
from ._system import NeuDyn, _assign, init_param

__all__ = ["PoissonGroup"]


class PoissonGroup(NeuDyn):
    """Poisson spike trains at rates ``freqs`` (Hz).

    Args:
        size: the group's size.
        freqs: the rates in Hz (a number, an array of ``num`` rates or an initializer).
        keep_size: keep the shape for ``spike``.
        sharding: BrainPy's axis names (kept, unused).
        spk_type: the dtype of ``spike`` (bool by default).
        name: the object's name.
        mode: the computing mode.

    Raises:
        ValueError: a bad ``size``; negative rates (when concrete).
        TypeError: ``freqs`` is not a number, an array or an initializer.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> bm.random.seed(0)
        >>> group = bp.dyn.PoissonGroup(1000, freqs=100.)
        >>> def step(i):
        ...     with bp.share.context(t=i * 0.1, dt=0.1):
        ...         return group().sum()
        >>> total = int(bm.for_loop(step, bm.arange(100)).sum())
        >>> 800 < total < 1200          # 1000 neurons * 100 Hz * 10 ms = 1000 expected
        True
    """

    def __init__(self, size: Any, freqs: Any, keep_size: bool = False, sharding: Any = None,
                 spk_type: Any = None, name: str | None = None, mode: Any = None) -> None:
        super().__init__(size=size, keep_size=keep_size, sharding=sharding, name=name,
                         mode=mode)
        self.freqs = init_param(freqs, (self.num,), owner=f"{self.name} freqs")
        if isinstance(self.freqs, (int, float)) and self.freqs < 0:
            raise ValueError(f"{self.name}: freqs must be >= 0 Hz, got {self.freqs}")
        if hasattr(self.freqs, "shape") and not isinstance(self.freqs, bm.Variable):
            if not bm.in_transform() and bool(jnp.any(jnp.asarray(self.freqs) < 0)):
                raise ValueError(f"{self.name}: freqs must be >= 0 Hz, got negative rates")
            if keep_size and self.freqs.shape == (self.num,):
                self.freqs = self.freqs.reshape(self.varshape)
        self.spk_type = bm.bool_ if spk_type is None else spk_type
        self.reset_state(self.mode)

    def update(self) -> Any:
        """Draw this step's spikes; returns them.

        Raises nothing.
        """
        prob = self.freqs * share["dt"] / 1000.
        spikes = bm.random.rand_like(self.spike.value, dtype=bm.float_) <= prob
        self.spike.value = jnp.asarray(spikes, dtype=self.spike.dtype)
        return self.spike.value

    def return_info(self) -> bm.Variable:
        """``spike``.

        Raises nothing.
        """
        return self.spike

    def reset_state(self, batch_or_mode: Any = None, **kwargs: Any) -> None:
        """``spike = False`` (with a leading batch axis when asked).

        Raises:
            TypeError, ValueError: a bad batch size.
        """
        _assign(self, "spike", self.init_variable(
            lambda s: jnp.zeros(s, self.spk_type), batch_or_mode))
