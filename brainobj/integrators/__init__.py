"""``bp.integrators``: numerical integrators of ODEs (BrainPy's ``bp.odeint``).

``bp.odeint(f, method=...)`` turns a derivative function ``f(x, t, *params)``
into a one-step integrator called ``integral(x, t, *params, dt=...)``.
Explicit Runge-Kutta methods share one stepper driven by Butcher tableaux
(``_explicit_rk``, ``_tableaux``); ``'exp_auto'`` is BrainPy's exponential
Euler (``_exponential``); ``DiffraxIntegrator`` runs one step of a diffrax
solver (optional dependency, ``pip install brainobj[dyn]``).

Example:
    >>> import brainobj as bp
    >>> integral = bp.odeint(lambda x, t: -x, method='euler', dt=0.5)
    >>> float(integral(1.0, 0.0))
    0.5
"""

from ._base import ODEIntegrator as ODEIntegrator
from ._diffrax import DiffraxIntegrator as DiffraxIntegrator
from ._explicit_rk import ExplicitRKIntegrator as ExplicitRKIntegrator
from ._exponential import ExponentialEuler as ExponentialEuler
from ._generic import (
    get_default_odeint as get_default_odeint,
    get_supported_methods as get_supported_methods,
    odeint as odeint,
    set_default_odeint as set_default_odeint,
)
from ._joint_eq import JointEq as JointEq

__all__ = ["DiffraxIntegrator", "ExplicitRKIntegrator", "ExponentialEuler", "JointEq",
           "ODEIntegrator", "get_default_odeint", "get_supported_methods", "odeint",
           "set_default_odeint"]
