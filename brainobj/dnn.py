"""``bp.dnn``: BrainPy's names for connection layers used by projections.

``EventCSRLinear`` and ``CSRLinear`` (sparse, from a connector) live in
``brainobj.dyn``; ``Linear``/``Dense`` are ``bp.Linear``.
"""

from .dyn._comm import CSRLinear as CSRLinear, EventCSRLinear as EventCSRLinear
from .layers import Dense as Dense, Linear as Linear
