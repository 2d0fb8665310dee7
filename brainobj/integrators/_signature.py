"""Reading a derivative function's signature the way BrainPy does.

BrainPy's rule (``brainpy/integrators/utils.py: get_args``): the parameters
of ``f`` before the one named ``t`` are the *variables* (integrated), ``t``
and everything after it are the *parameters* (passed through). ``dt`` is
reserved for the step. Only plain positional-or-keyword parameters are
accepted, so an integrator can always call ``f`` by position or by name.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from ..errors import CodeError, DiffEqError

__all__ = ["Signature", "bind_by_name", "describe", "read_signature"]

DT = "dt"
T = "t"
_NO_DEFAULT = inspect.Parameter.empty


def describe(f: Any) -> str:
    """A short name for ``f`` in error messages (its qualified name)."""
    return getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or repr(f)


class Signature:
    """The variables, parameters (``t`` first) and defaults of a derivative function."""

    __slots__ = ("variables", "parameters", "defaults")

    def __init__(self, variables: list[str], parameters: list[str], defaults: dict[str, Any]) -> None:
        self.variables = variables
        self.parameters = parameters
        self.defaults = defaults

    def arguments(self, dt: float) -> list[str]:
        """BrainPy's ``integral.arguments``: every name, defaults shown, then ``dt=...``."""
        shown = [p if p not in self.defaults else f"{p}={self.defaults[p]!r}"
                 for p in self.variables + self.parameters]
        return shown + [f"{DT}={dt}"]


def read_signature(f: Callable, who: str) -> Signature:
    """Split ``f``'s parameters into variables (before ``t``) and parameters.

    ``who`` names the caller in messages (``'odeint'``, ``'JointEq'``).
    """
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError) as err:
        raise DiffEqError(f"{who}: cannot read the signature of {describe(f)} ({err}); "
                          "give a Python function f(x, t, *params).") from None
    names: list[str] = []
    defaults: dict[str, Any] = {}
    for p in params:
        if p.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD:
            kind = {inspect.Parameter.VAR_POSITIONAL: f"*{p.name}",
                    inspect.Parameter.VAR_KEYWORD: f"**{p.name}",
                    inspect.Parameter.KEYWORD_ONLY: f"keyword-only {p.name}",
                    inspect.Parameter.POSITIONAL_ONLY: f"positional-only {p.name}"}[p.kind]
            raise DiffEqError(f"{who}: {describe(f)} has a {kind} parameter; derivative functions "
                              "take plain parameters only: f(x, t, p1, p2=default, ...).")
        names.append(p.name)
        if p.default is not _NO_DEFAULT:
            defaults[p.name] = p.default
    if T not in names:
        raise DiffEqError(f"{who}: {describe(f)} has no parameter named 't' (got {names}); the "
                          "variables come before t and the parameters after it: f(x, t, ...).")
    if DT in names:
        raise CodeError(f"{who}: {describe(f)} has a parameter named 'dt', which is reserved for "
                        "the integration step; rename it.")
    split = names.index(T)
    variables, parameters = names[:split], names[split:]
    if not variables:
        raise DiffEqError(f"{who}: {describe(f)} has no variable before 't' (got {names}); "
                          "write f(x, t, ...) with the integrated variable(s) first.")
    for v in variables:
        if v in defaults:
            raise DiffEqError(f"{who}: variable {v!r} of {describe(f)} has a default value; "
                              "variables (the parameters before t) take no defaults.")
    return Signature(variables, parameters, defaults)


def bind_by_name(who: str, names: list, args: tuple, kwargs: dict) -> dict[str, Any]:
    """``{name: value}`` for a call of something taking ``names`` by position or keyword.

    Raises:
        TypeError: more positional arguments than names, an unknown keyword,
            or one given both ways (``who`` names the callee).
    """
    if len(args) > len(names):
        raise TypeError(f"{who} takes at most {len(names)} positional arguments "
                        f"({', '.join(names)}), got {len(args)}.")
    values = dict(zip(names, args))
    for key, value in kwargs.items():
        if key not in names:
            raise TypeError(f"{who}: unknown argument {key!r}; the arguments are "
                            f"{', '.join(names)}.")
        if key in values:
            raise TypeError(f"{who}: {key!r} given by position and by keyword.")
        values[key] = value
    return values

