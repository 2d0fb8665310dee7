"""``JointEq``: several derivative functions integrated as one system."""

from __future__ import annotations

import inspect
from typing import Any, Callable, Iterator

from ..errors import DiffEqError
from ._signature import T, bind_by_name, describe, read_signature

__all__ = ["JointEq", "count_derivatives"]


def count_derivatives(result: Any, n_vars: int, f: Any, variables: list[str]) -> list[Any]:
    """``f``'s result as a list of ``n_vars`` derivatives, or a clear error.

    One variable: ``f`` returns the derivative itself (a 1-tuple is accepted).
    Several: a tuple or list with one derivative per variable, in order.
    """
    if isinstance(result, (tuple, list)):
        got = list(result)
    elif n_vars == 1:
        return [result]
    else:
        got = [result]
    if len(got) != n_vars:
        raise DiffEqError(
            f"{describe(f)} returned {len(got)} derivative{'s' * (len(got) != 1)} for "
            f"{n_vars} variable{'s' * (n_vars != 1)} ({', '.join(variables)}); return one "
            "derivative per variable before t, in the same order.")
    return got


class JointEq:
    """Several derivative functions solved together as one system (BrainPy's ``JointEq``).

    Each function names its own variable(s) before ``t``; every name after
    ``t`` is either another function's variable (its current value is passed)
    or a parameter of the joint system. The joint system's signature is all
    variables (in the order of the functions), ``t``, the parameters without
    defaults, then those with defaults. Called with those arguments, it
    returns the list of derivatives in the order of the variables. Give it to
    :func:`odeint` so that every stage of a Runge-Kutta method evaluates all
    functions at the same intermediate state.

    Args:
        *eqs: derivative functions, lists/tuples of them, or other
            ``JointEq`` s.

    Raises:
        DiffEqError: an element is not callable; a function's signature
            is not ``f(x, ..., t, ...)`` with plain parameters; two functions
            claim the same variable; a name has two different defaults or is
            both a variable/parameter and a defaulted parameter; when called:
            a function returns a wrong number of derivatives.
        TypeError: when called: too many positional arguments, an unknown
            or repeated keyword, or a missing argument.

    Example:
        >>> import brainobj as bp
        >>> dV = lambda V, t, w, I: V - V ** 3 / 3 - w + I
        >>> dw = lambda w, t, V, a=0.7, b=0.8: (V + a - b * w) / 12.5
        >>> eq = bp.JointEq(dV, dw)
        >>> import inspect; str(inspect.signature(eq))
        '(V, w, t, I, a=0.7, b=0.8)'
        >>> tuple(round(float(d), 6) for d in eq(1.0, 0.5, 0.0, 0.2))
        (0.366667, 0.104)
    """

    def __init__(self, *eqs: Any) -> None:
        flat = list(_flatten(eqs))
        if not flat:
            raise DiffEqError("JointEq: give at least one derivative function.")
        self.eqs: list[Callable] = flat
        self.vars_in_eqs: list[list[str]] = []
        self.args_in_eqs: list[list[str]] = []
        self._defaults_in_eqs: list[dict[str, Any]] = []
        variables: list[str] = []
        for eq in flat:
            sig = read_signature(eq, "JointEq")
            for v in sig.variables:
                if v in variables:
                    raise DiffEqError(
                        f"JointEq: variable {v!r} of {describe(eq)} is already the variable of "
                        f"another function. Each variable comes before t in exactly one function; "
                        f"where {v!r} is only read, put it after t: def dx(x, t, {v}): ...")
            variables.extend(sig.variables)
            self.vars_in_eqs.append(sig.variables)
            self.args_in_eqs.append(sig.variables + sig.parameters)
            self._defaults_in_eqs.append(sig.defaults)
        required: list[str] = []
        defaults: dict[str, Any] = {}
        for eq, vars_, names, eq_defaults in zip(flat, self.vars_in_eqs, self.args_in_eqs,
                                                 self._defaults_in_eqs):
            for name in names[len(vars_) + 1:]:
                if name in eq_defaults:
                    continue
                if name in defaults:
                    raise DiffEqError(f"JointEq: {name!r} has a default in one function and none in "
                                      f"{describe(eq)}; give it the same default everywhere or none.")
                if name not in variables and name not in required:
                    required.append(name)
            for name, value in eq_defaults.items():
                if name in variables or name in required:
                    raise DiffEqError(f"JointEq: {name!r} of {describe(eq)} has a default but is a "
                                      "variable or a parameter without default elsewhere; rename it "
                                      "or drop the default.")
                if name in defaults and not _same(defaults[name], value):
                    raise DiffEqError(f"JointEq: {name!r} has two different defaults, "
                                      f"{defaults[name]!r} and {value!r} (in {describe(eq)}).")
                defaults.setdefault(name, value)
        self.arg_keys: list[str] = variables + [T] + required
        self.kwarg_keys: list[str] = list(defaults)
        self.kwargs: dict[str, Any] = defaults
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        self.__signature__ = inspect.Signature(
            [inspect.Parameter(n, kind) for n in self.arg_keys]
            + [inspect.Parameter(n, kind, default=defaults[n]) for n in self.kwarg_keys])
        self.__name__ = "joint_eq"
        self.__qualname__ = f"JointEq({', '.join(describe(e) for e in flat)})"

    def __call__(self, *args: Any, **kwargs: Any) -> list[Any]:
        """The derivatives of all variables, in order.

        Raises:
            TypeError: too many positional arguments, an unknown or repeated
                keyword, or a missing argument.
            DiffEqError: a function returns a wrong number of derivatives.

        Example:
            >>> import brainobj as bp
            >>> eq = bp.JointEq(lambda x, t, y: -y, lambda y, t, x: x)
            >>> eq(1.0, 2.0, t=0.0)
            [-2.0, 1.0]
        """
        names = self.arg_keys + self.kwarg_keys
        values = bind_by_name(self.__qualname__, names, args, kwargs)
        missing = [n for n in self.arg_keys if n not in values]
        if missing:
            raise TypeError(f"{self.__qualname__}: missing argument(s) {', '.join(missing)}.")
        results: list[Any] = []
        for eq, vars_, names_, defaults in zip(self.eqs, self.vars_in_eqs, self.args_in_eqs,
                                               self._defaults_in_eqs):
            call = {n: values[n] for n in names_ if n in values or n not in defaults}
            results.extend(count_derivatives(eq(**call), len(vars_), eq, vars_))
        return results

    def __repr__(self) -> str:
        return self.__qualname__


def _flatten(eqs: Any) -> Iterator[Callable]:
    for eq in eqs:
        if isinstance(eq, (list, tuple)):
            yield from _flatten(eq)
        elif callable(eq):
            yield eq
        else:
            raise DiffEqError(f"JointEq: elements must be derivative functions (or lists of them), "
                              f"got {type(eq).__name__} {eq!r:.60}.")


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a is b or a == b)
    except Exception:  # arrays: ambiguous truth value -- treat as different unless identical
        return False
