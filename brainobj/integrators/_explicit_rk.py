"""One explicit Runge-Kutta stepper, driven by a Butcher tableau.

For a tableau ``(a, b, c)`` and step ``dt``::

    k_i   = f(y + dt*k_1*a_i1 + ... + dt*k_{i-1}*a_i,i-1,  t + dt*c_i, *params)
    y_new = y + k_1*dt*b_1 + ... + k_s*dt*b_s

summed left to right with every zero coefficient's term left out and every
coefficient applied as in BrainPy (see ``_tableaux``), so that the result is
BrainPy's to the last bit.
"""

from __future__ import annotations

from typing import Any, Callable

from ._base import ODEIntegrator
from ._joint_eq import count_derivatives
from ._tableaux import TABLEAUX, Tableau, rk2_tableau

__all__ = ["ExplicitRKIntegrator"]


class ExplicitRKIntegrator(ODEIntegrator):
    """An explicit Runge-Kutta integrator (``'euler'``, ``'rk4'``, ...; see :func:`odeint`).

    Several variables are advanced together: every stage evaluates ``f`` at
    the stage values of all of them.

    Args:
        f: the derivative function ``f(x, t, *params)`` or
            ``f(x, y, t, *params) -> (dx, dy)``, or a :class:`JointEq`.
        method: the tableau's name: one of
            ``bp.integrators.get_supported_methods()`` that is explicit RK.
        var_type: BrainPy's variable type; as :class:`ODEIntegrator`.
        dt: the default step (``bm.get_dt()`` when None); as :class:`ODEIntegrator`.
        name: the object's name.
        show_code: print the update the integrator computes.
        beta: (``method='rk2'`` only) the free parameter of the generic
            second-order method; BrainPy's default 2/3 (Ralston's).

    Raises:
        ValueError: unknown ``method``; ``beta`` given for another method
            or zero; plus what :class:`ODEIntegrator` raises.

    Example:
        >>> import brainobj as bp
        >>> integral = bp.integrators.ExplicitRKIntegrator(lambda x, t: x, method='rk4', dt=1.0)
        >>> round(float(integral(1.0, 0.0)), 6)   # e ~ 2.718282: rk4 gives 1+1+1/2+1/6+1/24
        2.708333
    """

    def __init__(self, f: Callable, method: str = "euler", var_type: str | None = None,
                 dt: float | None = None, name: str | None = None, show_code: bool = False,
                 beta: float | None = None) -> None:
        if method not in TABLEAUX:
            raise ValueError(f"ExplicitRKIntegrator: unknown method {method!r}; the explicit "
                             f"Runge-Kutta methods are {', '.join(TABLEAUX)}.")
        if beta is not None and method != "rk2":
            raise ValueError(f"ExplicitRKIntegrator: beta is the parameter of method 'rk2', "
                             f"not of {method!r}; drop it.")
        if beta is not None and not beta:
            raise ValueError("ExplicitRKIntegrator: rk2's beta must be non-zero, got 0.")
        super().__init__(f, var_type=var_type, dt=dt, name=name, show_code=show_code)
        self.method = method
        self.tableau: Tableau = TABLEAUX[method] if beta is None else rk2_tableau(beta)
        self._announce()

    def _step(self, variables: list[Any], params: dict[str, Any], dt: Any) -> list[Any]:
        tab, f = self.tableau, self.f
        names = self._sig.variables
        t = params["t"]
        rest = [params[p] for p in self._sig.parameters[1:]]
        ks: list[list[Any]] = []  # ks[i][v]: stage i's derivative of variable v
        for i in range(tab.stages):
            stage = []
            for v, y in enumerate(variables):
                for coef, k in zip(tab.a[i], ks):
                    if not coef.is_zero:
                        y = y + coef.apply(dt * k[v])
                stage.append(y)
            c = tab.c[i]
            t_i = t if c.is_zero else t + c.apply(dt)
            ks.append(count_derivatives(f(*stage, t_i, *rest), len(names), f, names))
        new = []
        for v, y in enumerate(variables):
            for coef, k in zip(tab.b, ks):
                if not coef.is_zero:
                    y = y + coef.apply(k[v] * dt)
            new.append(y)
        return new

    def _describe(self) -> str:
        # The step as BrainPy's generated source would read.
        tab, names = self.tableau, self._sig.variables
        rest = self._sig.parameters[1:]
        lines = [f"def {self.name}({', '.join(self.arguments)}):"]
        for i in range(tab.stages):
            args = []
            for v in names:
                terms = [f"dt * d{v}_k{j + 1}" + ("" if c.is_one else f" * {c.text()}")
                         for j, c in enumerate(tab.a[i]) if not c.is_zero]
                if terms:
                    lines.append(f"  k{i + 1}_{v}_arg = {' + '.join([v] + terms)}")
                    args.append(f"k{i + 1}_{v}_arg")
                else:
                    args.append(v)
            c = tab.c[i]
            if c.is_zero:
                args.append("t")
            else:
                lines.append(f"  k{i + 1}_t_arg = t + dt" + ("" if c.is_one else f" * {c.text()}"))
                args.append(f"k{i + 1}_t_arg")
            derivs = ", ".join(f"d{v}_k{i + 1}" for v in names)
            lines.append(f"  {derivs} = f({', '.join(args + rest)})")
        for v in names:
            terms = [f"d{v}_k{i + 1} * dt" + ("" if c.is_one else f" * {c.text()}")
                     for i, c in enumerate(tab.b) if not c.is_zero]
            lines.append(f"  {v}_new = {' + '.join([v] + terms)}")
        lines.append(f"  return {', '.join(v + '_new' for v in names)}")
        return "\n".join(lines)
