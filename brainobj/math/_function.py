"""BrainPy's function objects: ``FunAsObject``, ``Partial``, ``to_object``, ``function``.

A plain function that uses Variables needs no wrapping in brainobj (the
transforms find what it reaches), but BrainPy code wraps functions into
objects to pass them around and to list their Variables (``.vars()``).
These wrappers keep the function and the objects / Variables they were
given as attributes, so ``vars()`` / ``nodes()`` see them, and calling the
object calls the function.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

from ._errors import MathTypeError
from ._jax_debug import user_stacklevel
from ._object import BrainPyObject
from ._variable import Variable

__all__ = ["FunAsObject", "Partial", "to_object", "function"]


def _as_dict(owner: str, what: str, value: Any, kind: type) -> dict:
    if value is None:
        return {}
    if isinstance(value, dict):
        items = dict(value)
    elif isinstance(value, (list, tuple)):
        items = {f"{what}{i}": v for i, v in enumerate(value)}
    else:
        items = {f"{what}0": value}
    for key, item in items.items():
        if not isinstance(key, str):
            raise MathTypeError(f"{owner}: the keys of {what} must be strings, got {key!r:.40}.")
        if not isinstance(item, kind):
            raise MathTypeError(f"{owner}: {what} must hold {kind.__name__}s, got "
                                f"{type(item).__name__} {item!r:.40} at {key!r}.")
    return items


class FunAsObject(BrainPyObject):
    """A function as an object: calling it calls ``target``; ``vars()`` lists
    the Variables of ``child_objs`` and ``dyn_vars``.

    Raises:
        TypeError: ``target`` is not callable.
        MathTypeError: ``child_objs`` / ``dyn_vars`` hold something other
            than objects / Variables (a :class:`MathError`, as
            ``register_implicit_nodes`` / ``register_implicit_vars`` raise,
            and also a ``TypeError``).

    Example:
        >>> import brainobj.math as bm
        >>> v = bm.Variable(bm.zeros(2))
        >>> def add(x):
        ...     v.value = v + x
        >>> f = bm.FunAsObject(add, dyn_vars={"v": v})
        >>> f(bm.ones(2)); list(f.vars().values())[0] is v
        True
        >>> v.value
        Array([1., 1.], dtype=float32)
    """

    def __init__(self, target: Callable, child_objs: Any = None, dyn_vars: Any = None,
                 name: str | None = None) -> None:
        owner = type(self).__name__
        if not callable(target):
            raise TypeError(f"{owner}: target must be callable, got {type(target).__name__}.")
        super().__init__(name=name)
        self.target = target
        if isinstance(target, BrainPyObject) and child_objs is None:
            child_objs = target
        nodes = _as_dict(owner, "child_objs", child_objs, BrainPyObject)
        variables = _as_dict(owner, "dyn_vars", dyn_vars, Variable)
        # Registered as BrainPy does, so `vars()` gives BrainPy's keys.
        if nodes:
            self.register_implicit_nodes(nodes)
        if variables:
            self.register_implicit_vars(variables)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.target(*args, **kwargs)


class Partial(FunAsObject):
    """``functools.partial`` as an object (BrainPy's ``bm.Partial``).

    ``Partial(f, 1, k=2)(3, j=4)`` calls ``f(1, 3, k=2, j=4)``; keywords given
    at the call override the stored ones.

    Raises:
        TypeError, MathTypeError: as :class:`FunAsObject`.

    Example:
        >>> import brainobj.math as bm
        >>> p = bm.Partial(lambda a, b, scale=1.: (a - b) * scale, 5., scale=2.)
        >>> p(3.)
        4.0
    """

    def __init__(self, fun: Callable, *args: Any, child_objs: Any = None, dyn_vars: Any = None,
                 **keywords: Any) -> None:
        super().__init__(fun, child_objs=child_objs, dyn_vars=dyn_vars)
        self.fun = fun
        self.args = args
        self.keywords = keywords

    def __call__(self, *args: Any, **keywords: Any) -> Any:
        return self.fun(*self.args, *args, **{**self.keywords, **keywords})


def to_object(f: Callable | None = None, child_objs: Any = None, dyn_vars: Any = None,
              name: str | None = None) -> Any:
    """Wrap ``f`` into a :class:`FunAsObject` (usable as a decorator, ``@bm.to_object()``).

    As in BrainPy, ``child_objs`` is required when ``f`` is given directly
    (pass ``child_objs=[]`` for a function that uses no objects).

    Raises:
        ValueError: ``f`` given without ``child_objs``.
        TypeError, MathTypeError: as :class:`FunAsObject`.

    Example:
        >>> import brainobj.math as bm
        >>> double = bm.to_object(lambda x: 2 * x, child_objs=[])
        >>> double(3)
        6
    """
    if f is None:
        return lambda fun: FunAsObject(fun, child_objs=child_objs, dyn_vars=dyn_vars, name=name)
    if child_objs is None:
        raise ValueError("bm.to_object: child_objs is required when f is given (as in BrainPy); "
                         "pass the objects f uses, or child_objs=[].")
    return FunAsObject(f, child_objs=child_objs, dyn_vars=dyn_vars, name=name)


def function(f: Callable | None = None, nodes: Any = None, dyn_vars: Any = None,
             name: str | None = None) -> Any:
    """BrainPy's deprecated ``bm.function(f, nodes, dyn_vars)``: :func:`to_object` with a warning.

    Unlike :func:`to_object`, ``nodes`` may be omitted (no objects).

    Raises:
        TypeError, MathTypeError: as :class:`FunAsObject`.

    Example:
        >>> import warnings, brainobj.math as bm
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     f = bm.function(lambda x: x + 1)
        >>> f(1)
        2
    """
    warnings.warn("bm.function is deprecated (as in BrainPy); use bm.to_object(f, child_objs=...).",
                  DeprecationWarning, stacklevel=user_stacklevel())
    return to_object(f, [] if (f is not None and nodes is None) else nodes, dyn_vars, name)
