"""The Variables a ``jax.lax`` primitive must carry, learned while tracing.

Control-flow primitives (``lax.scan``, ``lax.while_loop``, ``lax.switch``)
and ``jax.checkpoint`` need every Variable their body writes as an explicit
input and output (the loop carry, the branch outputs), and which Variables
those are is known only after tracing the body. :func:`run_carried` learns
them: the body is traced carrying the Variables known so far, writes to
others are noted as *missed*, and the primitive is traced again with them
added.
"""

from __future__ import annotations

from typing import Any, Callable

import jax

from ._errors import MathError
from ._partition import values_only
from ._tracing import lookup, tracing
from ._variable import Variable

__all__ = ["Carried", "run_carried", "MAX_RETRACES"]

# How often a transform re-traces while the set of Variables a function
# touches keeps growing; a real function settles after one extra trace.
MAX_RETRACES = 8


class Carried:
    """The Variables carried through one primitive, and those it missed.

    :meth:`wrap` turns a piece of user code into
    ``pure(state, *args) -> (new_state, out)`` over the Variables in
    :attr:`variables`; writes to any other Variable are noted in
    :attr:`missed`.
    """

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.variables: list[Variable] = []
        self.missed: dict[int, Variable] = {}

    def labels(self) -> list[str]:
        """The carried Variables' names, for JAX's messages about their values."""
        return [var.label for var in self.variables]

    def initial(self) -> list:
        """The carried Variables' current values (recorded as reads)."""
        return [var.value for var in self.variables]

    def wrap(self, fun: Callable, *, writes_allowed: bool = True) -> Callable:
        owner = self.owner

        def pure(state, *args, **kwargs):
            carried = {id(v) for v in self.variables}
            with tracing(owner, zip(self.variables, state)) as frame:
                out = values_only(fun(*args, **kwargs), owner)
                if frame.writes and not writes_allowed:
                    names = ", ".join(v.label for v in frame.writes.values())
                    raise MathError(
                        f"{owner}: this function must not write Variables, but it wrote "
                        f"{names}. Move the update into the body function."
                    )
                for key, var in frame.writes.items():
                    if key not in carried:
                        self.missed[key] = var
                new_state = [lookup(var) for var in self.variables]
            return new_state, out

        return pure


def run_carried(owner: str, call: Callable[[Carried], tuple[list, Any]]) -> Any:
    """Run ``call(carried) -> (final_state, out)`` until no write is missed.

    ``call`` invokes the JAX primitive with functions from ``carried.wrap``
    and the initial state ``carried.initial()``. The final state is written
    into the Variables only once a trace has carried every write, so a
    failure anywhere leaves every Variable untouched. The first trace is
    abstract (``jax.eval_shape``) and thrown away whole: a discarded concrete
    trace would leave its effects (a progress-bar callback,
    ``jax.debug.print``), which XLA never removes as dead code, in the program.
    """
    carried = Carried(owner)
    jax.eval_shape(lambda: _probe(call, carried))
    carried.variables.extend(carried.missed.values())
    carried.missed = {}
    for _ in range(MAX_RETRACES):
        final_state, out = call(carried)
        if not carried.missed:
            for var, value in zip(carried.variables, final_state):
                var.value = value
            return out
        carried.variables.extend(carried.missed.values())
        carried.missed = {}
    raise MathError(f"{owner}: the set of Variables written keeps changing between traces.")


def _probe(call: Callable[[Carried], tuple[list, Any]], carried: Carried) -> None:
    call(carried)  # for its effect on `carried.missed` only
