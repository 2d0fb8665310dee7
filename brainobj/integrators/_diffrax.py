"""``DiffraxIntegrator``: one step of a diffrax solver, called like ``odeint``'s integrators.

diffrax is optional (``pip install brainobj[dyn]`` or ``pip install
diffrax``) and imported only when an integrator is built. Each call runs
``solver.init`` then one ``solver.step`` over ``[t, t + dt]`` -- what
``diffrax.diffeqsolve`` does for one step of a constant step size -- so a
model that updates its Variables every step can use diffrax's solvers.
"""

from __future__ import annotations

from typing import Any, Callable

import jax.numpy as jnp

from ..errors import PackageMissingError
from ._base import ODEIntegrator
from ._joint_eq import count_derivatives
from ._signature import describe

__all__ = ["DiffraxIntegrator"]


def _import_diffrax() -> Any:
    try:
        import diffrax
    except ImportError:
        raise PackageMissingError(
            "DiffraxIntegrator needs diffrax, which is not installed: "
            "pip install brainobj[dyn] (or pip install diffrax).") from None
    return diffrax


class DiffraxIntegrator(ODEIntegrator):
    """An integrator that takes one step of a diffrax solver per call.

    Called as every integrator of :func:`odeint` is: ``integral(V, t, I,
    dt=0.1)`` returns the value(s) at ``t + dt``. The variables form a tuple
    ``y`` and the parameters after ``t`` the ``args`` of a
    ``diffrax.ODETerm``; each call runs ``solver.init`` and one
    ``solver.step`` over ``[t, t + dt]`` (no error control: the step is
    ``dt``; an adaptive solver's error estimate is discarded, and an implicit
    solver's failure to converge is not raised). ``bp.odeint(f,
    method=diffrax.Tsit5())`` builds one too.

    Args:
        f: ``f(x, t, *params)``, ``f(x, y, t, *params) -> (dx, dy)`` or a
            :class:`JointEq`.
        solver: a ``diffrax.AbstractSolver`` for ODE terms (``Tsit5()``,
            ``Dopri5()``, ``Heun()``...; an implicit one with its root finder's
            tolerances, ``Kvaerno5(root_finder=diffrax.VeryChord(rtol=1e-6,
            atol=1e-6))``); default ``Tsit5()``.
        var_type: BrainPy's variable type; as :class:`ODEIntegrator`.
        dt: the default step (``bm.get_dt()`` when None); as :class:`ODEIntegrator`.
        name: the object's name.
        show_code: print the update the integrator computes.

    Raises:
        PackageMissingError: diffrax is not installed.
        TypeError: ``solver`` is not a diffrax solver, or is an implicit
            solver whose root finder has no tolerances; plus what
            :class:`ODEIntegrator` raises (on construction and call).
        DiffEqError: ``f`` returns a wrong number of derivatives.

    Example:
        >>> import importlib.util, brainobj as bp
        >>> if importlib.util.find_spec('diffrax'):
        ...     import diffrax
        ...     integral = bp.integrators.DiffraxIntegrator(lambda x, t, tau: -x / tau,
        ...                                                 solver=diffrax.Tsit5(), dt=0.1)
        ...     print(round(float(integral(1.0, 0.0, 1.0)), 6))
        ... else:   # without diffrax: the same number, exp(-0.1)
        ...     print(0.904837)
        0.904837
    """

    def __init__(self, f: Callable, solver: Any = None, var_type: str | None = None,
                 dt: float | None = None, name: str | None = None, show_code: bool = False) -> None:
        diffrax = _import_diffrax()
        super().__init__(f, var_type=var_type, dt=dt, name=name, show_code=show_code)
        solver = diffrax.Tsit5() if solver is None else solver
        if not isinstance(solver, diffrax.AbstractSolver):
            raise TypeError(f"DiffraxIntegrator: solver must be a diffrax solver such as "
                            f"diffrax.Tsit5(), got {type(solver).__name__} {solver!r:.60}.")
        finder = getattr(solver, "root_finder", None)
        if any(type(getattr(finder, a, None)).__name__ == "_UseStepSizeTol" for a in ("rtol", "atol")):
            # diffeqsolve takes these from an adaptive step-size controller; one step has none.
            raise TypeError(
                f"DiffraxIntegrator: the implicit solver {type(solver).__name__} needs its root "
                f"finder's tolerances: {type(solver).__name__}(root_finder="
                "diffrax.VeryChord(rtol=1e-6, atol=1e-6)).")
        self.solver = solver
        self._announce()

    def _step(self, variables: list[Any], params: dict[str, Any], dt: Any) -> list[Any]:
        diffrax = _import_diffrax()
        f, names = self.f, self._sig.variables

        def vector_field(t: Any, y: tuple, args: tuple) -> tuple:
            return tuple(count_derivatives(f(*y, t, *args), len(names), f, names))

        term = diffrax.ODETerm(vector_field)
        y0 = tuple(jnp.asarray(v) for v in variables)
        args = tuple(params[p] for p in self._sig.parameters[1:])
        # Times as arrays of one float dtype, as diffeqsolve makes them (implicit
        # solvers trace t; a Python float there breaks their closure conversion).
        tdtype = jnp.result_type(params["t"], dt, float)
        t0 = jnp.asarray(params["t"], tdtype)
        t1 = t0 + jnp.asarray(dt, tdtype)
        state = self.solver.init(term, t0, t1, y0, args)
        y1, _error, _dense, _state, _result = self.solver.step(term, t0, t1, y0, args, state,
                                                                 made_jump=False)
        return list(y1)

    def _describe(self) -> str:
        names = self._sig.variables
        rest = self._sig.parameters[1:]
        return "\n".join([
            f"def {self.name}({', '.join(self.arguments)}):",
            f"  term = diffrax.ODETerm(lambda t, y, args: {describe(self.f)}(*y, t, *args))",
            f"  y0, args = ({', '.join(names)},), ({', '.join(rest)}{',' if len(rest) == 1 else ''})",
            f"  state = {self.solver!r}.init(term, t, t + dt, y0, args)",
            f"  ({', '.join(n + '_new' for n in names)},) = solver.step(term, t, t + dt, y0, args, "
            "state, made_jump=False)[0]",
            f"  return {', '.join(n + '_new' for n in names)}",
        ])
