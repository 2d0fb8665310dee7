"""``odeint``: an integrator for a derivative function, by method name."""

from __future__ import annotations

from typing import Any, Callable

from ._base import ODEIntegrator
from ._exponential import ExponentialEuler
from ._explicit_rk import ExplicitRKIntegrator
from ._tableaux import TABLEAUX

__all__ = ["odeint", "get_supported_methods", "set_default_odeint", "get_default_odeint"]

# BrainPy's names for exponential Euler (all the same method).
_EXPONENTIAL = ("exponential_euler", "exp_euler", "exp_euler_auto", "exp_auto")
_OPTIONS = {"rk2": ("beta",)}  # method-specific keyword arguments
_default = "euler"


def get_supported_methods() -> list[str]:
    """The method names :func:`odeint` accepts.

    Raises nothing.

    Example:
        >>> import brainobj as bp
        >>> 'rk4' in bp.integrators.get_supported_methods()
        True
    """
    return list(TABLEAUX) + list(_EXPONENTIAL)


def set_default_odeint(method: str) -> None:
    """Set the method :func:`odeint` uses when none is given (initially ``'euler'``).

    Raises:
        ValueError: ``method`` is not a supported method name.

    Example:
        >>> import brainobj as bp
        >>> bp.integrators.set_default_odeint('rk4'); bp.integrators.get_default_odeint()
        'rk4'
        >>> bp.integrators.set_default_odeint('euler')
    """
    global _default
    _check_method(method, "set_default_odeint")
    _default = method


def get_default_odeint() -> str:
    """The method :func:`odeint` uses when none is given.

    Raises nothing.

    Example:
        >>> import brainobj as bp
        >>> bp.integrators.get_default_odeint()
        'euler'
    """
    return _default


def _check_method(method: Any, who: str) -> None:
    if not isinstance(method, str) or method not in get_supported_methods():
        raise ValueError(f"{who}: unknown ODE method {method!r}; the methods are "
                         f"{', '.join(get_supported_methods())} (or a diffrax solver instance).")


def _is_diffrax_solver(method: Any) -> bool:
    return any(c.__module__.split(".")[0] == "diffrax" for c in type(method).__mro__)


def odeint(f: Callable | None = None, method: Any = None, var_type: str | None = None,
           dt: float | None = None, name: str | None = None, show_code: bool = False,
           **kwargs: Any) -> Any:
    """Numerical integrator of an ODE (BrainPy's ``bp.odeint``).

    ``f(x, t, *params)`` returns ``dx/dt`` (or ``f(x, y, t, *params)``
    returns ``(dx, dy)``; or give a :class:`JointEq`). The result is called
    ``integral(x, t, *params, dt=...)`` -- variables, ``t``, parameters by
    position or name -- and returns the value(s) at ``t + dt``. Without
    ``f``, returns a decorator. Works inside ``bm.jit``, ``bm.for_loop``,
    ``jax.jit``, ``jax.lax.scan``, ``jax.vmap`` and ``jax.grad``.

    Methods: explicit Runge-Kutta ``'euler'``, ``'midpoint'``, ``'heun2'``,
    ``'ralston2'``, ``'rk2'`` (option ``beta``), ``'rk3'``, ``'heun3'``,
    ``'ralston3'``, ``'ssprk3'``, ``'rk4'``, ``'ralston4'``, ``'rk4_38rule'``;
    exponential Euler with the linear part from autodiff, ``'exp_auto'``
    (also ``'exp_euler'``, ``'exponential_euler'``, ``'exp_euler_auto'``);
    or a diffrax solver instance (``method=diffrax.Tsit5()``), see
    :class:`DiffraxIntegrator`. The default is ``'euler'``
    (:func:`set_default_odeint`).

    Args:
        f: the derivative function, or None for a decorator.
        method: a method name above, or a diffrax solver.
        var_type: BrainPy's variable type (None, 'scalar', 'population', 'system').
        dt: the default step; ``bm.get_dt()`` at construction when None.
        name: the integrator's object name.
        show_code: print the update computed by one call.
        **kwargs: method options (``beta`` for ``'rk2'``).

    Raises:
        ValueError: unknown ``method`` (the message lists the valid ones);
            bad ``dt`` or ``var_type``.
        TypeError: an option the method does not take; ``f`` not callable.
        DiffEqError: ``f``'s signature cannot be integrated (no ``t``, no
            variable, ``*args``...), or (exponential Euler) a function with
            several variables: use :class:`JointEq`.
        PackageMissingError: a diffrax solver given but diffrax missing.

    Example:
        >>> import brainobj as bp
        >>> @bp.odeint(method='rk4', dt=0.01)
        ... def integral(V, w, t, Iext):
        ...     return V - V ** 3 / 3 - w + Iext, (V + 0.7 - 0.8 * w) / 12.5
        >>> V, w = integral(0.0, 0.0, 0.0, 0.5)
        >>> round(float(V), 6), round(float(w), 6)
        (0.005022, 0.000562)
        >>> bp.odeint(lambda x, t: -x, method='rk5')   # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: odeint: unknown ODE method 'rk5'; the methods are euler, midpoint, ...
    """
    method = _default if method is None else method
    if _is_diffrax_solver(method):
        from ._diffrax import DiffraxIntegrator

        def build(g: Callable) -> ODEIntegrator:
            return DiffraxIntegrator(g, solver=method, var_type=var_type, dt=dt, name=name,
                                     show_code=show_code, **kwargs)
    else:
        _check_method(method, "odeint")
        allowed = _OPTIONS.get(method, ())
        unknown = [k for k in kwargs if k not in allowed]
        if unknown:
            raise TypeError(f"odeint: method {method!r} takes no option {unknown[0]!r}"
                            + (f"; its options are {', '.join(allowed)}." if allowed else "."))

        def build(g: Callable) -> ODEIntegrator:
            if method in _EXPONENTIAL:
                return ExponentialEuler(g, var_type=var_type, dt=dt, name=name, show_code=show_code)
            return ExplicitRKIntegrator(g, method=method, var_type=var_type, dt=dt, name=name,
                                        show_code=show_code, **kwargs)
    return build if f is None else build(f)
