"""BrainPy's legacy arguments (``dyn_vars=``, ``child_objs=``): accepted, checked, warned about.

Since BrainPy 2.4 the transforms find the Variables and objects a function
uses by themselves, and ``dyn_vars`` / ``child_objs`` only warn. brainobj
does the same: the values are checked (a typo such as ``dyn_vars=model``
still fails clearly), a :class:`LegacyArgumentWarning` points at the
caller's line, and they are otherwise ignored.
"""

from __future__ import annotations

import warnings
from typing import Any

from ._jax_debug import user_stacklevel

__all__ = ["LegacyArgumentWarning", "legacy_arguments"]


class LegacyArgumentWarning(DeprecationWarning, UserWarning):
    """An argument BrainPy 2.4+ no longer needs; it is ignored.

    A ``DeprecationWarning`` (as brainobj reports deprecations) that is also
    a ``UserWarning`` (the category BrainPy itself uses), so filters written
    for either catch it.
    """


def _check_all(owner: str, what: str, value: Any, kind: tuple, kind_name: str) -> None:
    if isinstance(value, dict):
        items = list(value.values())
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        items = [value]
    for item in items:
        if not isinstance(item, kind) and not (what == "child_objs" and callable(item)):
            raise TypeError(
                f"{owner}: {what} must be a {kind_name}, or a list/tuple/dict of them, got "
                f"{type(item).__name__} {item!r:.40}. It is no longer needed: remove it.")


def legacy_arguments(owner: str, dyn_vars: Any = None, child_objs: Any = None) -> None:
    """Check and warn about ``dyn_vars`` / ``child_objs`` given to ``owner``.

    Call it once, where the transform is created, never per call.

    Raises:
        TypeError: ``dyn_vars`` holds something other than Variables, or
            ``child_objs`` something other than objects / callables.

    Example:
        >>> import warnings, brainobj.math as bm
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     legacy_arguments("bm.jit", dyn_vars=[bm.Variable(bm.zeros(1))])
        >>> caught[0].category.__name__
        'LegacyArgumentWarning'
    """
    from ._object import BrainPyObject
    from ._variable import Variable

    given = []
    if dyn_vars is not None:
        _check_all(owner, "dyn_vars", dyn_vars, (Variable,), "Variable")
        given.append("dyn_vars")
    if child_objs is not None:
        _check_all(owner, "child_objs", child_objs, (BrainPyObject,), "BrainPyObject")
        given.append("child_objs")
    if given:
        names = " and ".join(f"`{g}`" for g in given)
        warnings.warn(
            f"{owner}: {names} {'is' if len(given) == 1 else 'are'} no longer needed and "
            "ignored: the Variables and objects a function uses are found automatically "
            "(as in BrainPy >= 2.4). Remove the argument.",
            LegacyArgumentWarning, stacklevel=user_stacklevel())
