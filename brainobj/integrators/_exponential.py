"""Exponential Euler with the linear part found by autodiff (BrainPy's ``exp_auto``).

For each variable ``x`` with derivative ``f(x, ...)`` the step is
(BrainPy 2.8, ``brainpy/integrators/ode/exponential.py``,
``ExponentialEuler._build_integrator``)::

    A, fx = vector_grad(f, argnums=0, return_value=True)(x, t=t, **params)
    x_new = x + dt * exprel(dt * A) * fx

where ``vector_grad`` is ``jax.vjp`` of ``f`` with respect to ``x`` pulled
back with ones (the diagonal of the Jacobian for an elementwise ``f``), and
``exprel(z) = (exp(z) - 1) / z``, replaced by ``1 + z/2 + z*z/6`` where
``|z| <= 1e-8`` (float64) or ``1e-5`` (other dtypes), so ``A == 0`` gives
the Euler step ``x + dt * fx`` (BrainPy's ``brainpy/math/others.py:
_exprel``). The expressions and their order are BrainPy's, so the results
are bit-identical; only the derivative of ``exprel`` is given by hand, so
that it is finite at 0 (see :func:`_exprel`).

Several variables (a :class:`JointEq`) are each advanced by their own
function from the *old* values of the others, as in BrainPy.
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp

from ..errors import DiffEqError
from ._base import ODEIntegrator
from ._joint_eq import JointEq, count_derivatives
from ._signature import describe, read_signature

__all__ = ["ExponentialEuler"]

_FLOATS = (jnp.float16, jnp.bfloat16, jnp.float32, jnp.float64)


@jax.custom_jvp
def _exprel(z: jax.Array) -> jax.Array:
    """``(exp(z) - 1) / z`` with BrainPy's thresholds and series, value for value.

    The value is BrainPy's expression as written (any rewrite, even one that
    selects the same values, lets XLA fold ``dt * exprel(dt*A)`` differently
    and moves results by an ulp, which over hundreds of steps changes spike
    trains). Its derivative is given separately (:func:`_exprel_jvp`), so that
    gradients are finite at ``z == 0`` where BrainPy's are NaN.
    """
    threshold = 1e-8 if z.dtype == jnp.float64 else 1e-5
    return jnp.where(jnp.abs(z) <= threshold, 1. + z / 2. + z * z / 6., (jnp.exp(z) - 1) / z)


@_exprel.defjvp
def _exprel_jvp(primals: tuple, tangents: tuple) -> tuple:
    # d/dz (e^z - 1)/z = (z e^z - e^z + 1) / z^2, which is 1/2 + z/3 + z^2/8 near 0.
    (z,), (dz,) = primals, tangents
    small = jnp.abs(z) <= (1e-4 if z.dtype == jnp.float64 else 1e-2)
    safe = jnp.where(small, jnp.ones_like(z), z)
    exact = (safe * jnp.exp(safe) - jnp.exp(safe) + 1) / (safe * safe)
    slope = jnp.where(small, 0.5 + z / 3. + z * z / 8., exact)
    return _exprel(z), slope * dz


def _flatten(f: Callable) -> list[Callable]:
    """The single-variable equations of ``f`` (a JointEq is split, recursively)."""
    if isinstance(f, JointEq):
        return [g for eq in f.eqs for g in _flatten(eq)]
    return [f]


class ExponentialEuler(ODEIntegrator):
    """Exponential Euler with the linear coefficient found by autodiff (``'exp_auto'``).

    Exact for linear equations ``dx/dt = a*x + b``; first order in general.
    Each equation must have exactly one variable; for several coupled
    variables give a :class:`JointEq` of one-variable functions.

    Args:
        f: ``f(x, t, *params)`` or a :class:`JointEq` of such functions.
        var_type: BrainPy's variable type; as :class:`ODEIntegrator`, but
            ``var_type='system'`` is refused.
        dt: the default step (``bm.get_dt()`` when None); as :class:`ODEIntegrator`.
        name: the object's name.
        show_code: print the update the integrator computes.

    Raises:
        DiffEqError: a function with several variables (use ``JointEq``);
            plus what :class:`ODEIntegrator` raises.
        NotImplementedError: ``var_type='system'``.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> integral = bp.odeint(lambda V, t, tau: -V / tau, method='exp_auto')
        >>> float(integral(1.0, 0.0, 10.0, dt=1.0))   # exp(-0.1)
        0.904837...
    """

    def __init__(self, f: Callable, var_type: str | None = None, dt: float | None = None,
                 name: str | None = None, show_code: bool = False) -> None:
        super().__init__(f, var_type=var_type, dt=dt, name=name, show_code=show_code)
        if var_type == "system":
            raise NotImplementedError("ExponentialEuler: var_type='system' is not supported (the "
                                      "linear part is found per variable).")
        self._parts = []
        for eq in _flatten(f):
            sig = read_signature(eq, f"ExponentialEuler of {describe(f)}")
            if len(sig.variables) != 1:
                raise DiffEqError(
                    f"ExponentialEuler integrates one variable per function, but {describe(eq)} "
                    f"has {len(sig.variables)} ({', '.join(sig.variables)}). Write one function "
                    "per variable and join them: bp.JointEq(dV, dw).")
            self._parts.append((eq, sig.variables[0], sig.variables + sig.parameters))
        self._announce()

    def _step(self, variables: list[Any], params: dict[str, Any], dt: Any) -> list[Any]:
        values = dict(zip(self._sig.variables, variables), **params)
        return [self._advance(eq, var, names, values, dt) for eq, var, names in self._parts]

    def _advance(self, eq: Callable, var: str, names: list[str], values: dict[str, Any],
                 dt: Any) -> Any:
        x0 = jnp.asarray(values[var])
        if x0.dtype not in _FLOATS:
            raise ValueError(f"{self.name}: exponential Euler needs a floating-point {var!r} "
                             f"(float16/bfloat16/float32/float64), got {x0.dtype}; pass e.g. "
                             f"{var}.astype(float).")
        others = {n: values[n] for n in names[1:] if n in values}

        def along_x(x: Any) -> Any:
            return count_derivatives(eq(x, **others), 1, eq, [var])[0]

        derivative, pullback = jax.vjp(along_x, values[var])
        (linear,) = pullback(jnp.ones(jnp.shape(derivative), jnp.asarray(derivative).dtype))
        phi = _exprel(dt * linear)
        return x0 + dt * phi * derivative

    def _describe(self) -> str:
        lines = [f"def {self.name}({', '.join(self.arguments)}):"]
        for eq, var, names in self._parts:
            call = ", ".join([var] + [f"{n}={n}" for n in names[1:]])
            lines += [f"  linear, d{var} = vector_grad({describe(eq)}, argnums=0, "
                      f"return_value=True)({call})",
                      f"  {var}_new = {var} + dt * exprel(dt * linear) * d{var}"]
        lines.append(f"  return {', '.join(v + '_new' for _, v, _ in self._parts)}")
        return "\n".join(lines)

