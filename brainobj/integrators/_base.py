"""``ODEIntegrator``: the call convention every ODE integrator shares.

As in BrainPy (``brainpy/integrators/base.py``, ``ode/base.py``), an
integrator of ``f(V, w, t, I)`` is called ``integral(V, w, t, I, dt=0.1)``:
the variables, ``t`` (0.0 when left out), then the parameters, by position
or by name, ``dt`` last (the integrator's own ``dt`` when left out, which is
``bm.get_dt()`` at construction unless given). It returns the new value of
each variable at ``t + dt`` (one array, or a tuple for several).
Subclasses implement ``_step``; the binding and its errors live here.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable

import brainobj.math as bm

from ._signature import DT, T, Signature, bind_by_name, describe, read_signature

__all__ = ["ODEIntegrator"]

_VAR_TYPES = (None, "scalar", "population", "system")


class ODEIntegrator(bm.BrainPyObject):
    """Base class of the ODE integrators: argument binding, ``dt``, names.

    Subclasses implement ``_step(variables, params, dt)``; use
    :func:`odeint` to build one.

    Args:
        f: the derivative function ``f(x, t, *params)`` (or a :class:`JointEq`).
        var_type: BrainPy's variable type: None, ``'scalar'``,
            ``'population'`` or ``'system'``; kept for compatibility.
        dt: the default step; ``bm.get_dt()`` (read now) when None.
        name: the object's name.
        show_code: print the update the integrator computes.

    Raises:
        TypeError: ``f`` is not callable; ``dt`` is not a real number.
        ValueError: ``dt`` is not positive and finite; unknown ``var_type``.
        DiffEqError: ``f``'s signature has no ``t``, no variable before it,
            or a ``*args``/``**kwargs``/keyword-only parameter.
        CodeError: ``f`` has a parameter named ``dt``.

    Example:
        >>> import brainobj as bp
        >>> integral = bp.odeint(lambda x, t, a: -a * x, method='euler', dt=0.1)
        >>> isinstance(integral, bp.integrators.ODEIntegrator), integral.variables, integral.parameters
        (True, ['x'], ['t', 'a'])
        >>> float(integral(1.0, 0.0, 2.0))
        0.8
    """

    def __init__(self, f: Callable, var_type: str | None = None, dt: float | None = None,
                 name: str | None = None, show_code: bool = False) -> None:
        super().__init__(name=name)
        who = type(self).__name__
        if not callable(f):
            raise TypeError(f"{who}: f must be a derivative function f(x, t, ...), got "
                            f"{type(f).__name__} {f!r:.60}.")
        if var_type not in _VAR_TYPES:
            raise ValueError(f"{who}: var_type must be one of {_VAR_TYPES}, got {var_type!r}.")
        self.f = f
        self.var_type = var_type
        self._sig: Signature = read_signature(f, f"{who} of {describe(f)}")
        self._dt = _checked_dt(bm.get_dt() if dt is None else dt, who)
        self.show_code = show_code

    def _announce(self) -> None:
        """Print the update when ``show_code`` (called by subclasses once built)."""
        if self.show_code:
            print(self.code)

    # -- BrainPy's read-only description --------------------------------------------
    @property
    def dt(self) -> float:
        """The default step, used when a call gives no ``dt``."""
        return self._dt

    @property
    def variables(self) -> list[str]:
        """The integrated variables (``f``'s parameters before ``t``)."""
        return list(self._sig.variables)

    @property
    def parameters(self) -> list[str]:
        """``t`` and the parameters after it."""
        return list(self._sig.parameters)

    @property
    def arguments(self) -> list[str]:
        """Every argument of a call, defaults shown, ``dt`` last."""
        return self._sig.arguments(self._dt)

    @property
    def arg_names(self) -> list[str]:
        """The names positional arguments bind to, in order."""
        return self._sig.variables + self._sig.parameters + [DT]

    @property
    def code(self) -> str:
        """The update one call computes, written as Python (what ``show_code`` prints)."""
        return self._describe()

    def _describe(self) -> str:
        return f"{type(self).__name__} of {describe(self.f)}"

    # -- calling ---------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """One step: the variables' values at ``t + dt``.

        Raises:
            TypeError: too many positional arguments, an unknown or repeated
                keyword, or a missing variable or parameter.
            DiffEqError: ``f`` returns a wrong number of derivatives.
            ValueError: (exponential Euler) a variable is not floating-point.

        Example:
            >>> import brainobj as bp
            >>> integral = bp.odeint(lambda V, t, I: -V + I, method='euler')
            >>> float(integral(0.0, 0.0, 1.0, dt=0.5)), float(integral(0.0, t=0.0, I=1.0))
            (0.5, 0.1)
        """
        variables, params, dt = self._bind(args, kwargs)
        new = self._step(variables, params, dt)
        return new[0] if len(new) == 1 else tuple(new)

    def _bind(self, args: tuple, kwargs: dict) -> tuple[list[Any], dict[str, Any], Any]:
        sig = self._sig
        names = self.arg_names
        who = f"{self.name} (integral of {describe(self.f)})"
        values = bind_by_name(who, names, args, kwargs)
        dt = _unwrap(values.pop(DT, self._dt))
        values.setdefault(T, 0.0)  # BrainPy: a call without t integrates from t = 0
        missing = [v for v in sig.variables if v not in values]
        missing += [p for p in sig.parameters if p not in values and p not in sig.defaults]
        if missing:
            raise TypeError(f"{who}: missing argument(s) {', '.join(missing)}; call it as "
                            f"integral({', '.join(names[:-1])}, dt=...).")
        variables = [_unwrap(values.pop(v)) for v in sig.variables]
        params = {p: _unwrap(values[p]) if p in values else sig.defaults[p] for p in sig.parameters}
        return variables, params, dt

    def _step(self, variables: list[Any], params: dict[str, Any], dt: Any) -> list[Any]:
        raise NotImplementedError(f"{type(self).__name__} does not implement _step.")


def _unwrap(value: Any) -> Any:
    # Derivative functions see arrays, as BrainPy's integrators pass `.value`.
    return value.value if isinstance(value, bm.Variable) else value


def _checked_dt(dt: Any, who: str) -> float:
    if isinstance(dt, bool) or not isinstance(dt, numbers.Real):
        raise TypeError(f"{who}: dt must be a positive float, got {type(dt).__name__} {dt!r:.40}.")
    if not 0.0 < dt < math.inf:
        raise ValueError(f"{who}: dt must be positive and finite, got {dt!r}.")
    return float(dt)
