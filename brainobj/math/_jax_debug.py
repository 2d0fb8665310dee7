"""Where brainobj uses JAX's own machinery for readable errors.

Two things a user sees when their code fails inside a transform:

* **The traceback.** JAX hides its internal frames from tracebacks of errors
  raised below an "API boundary" (``JAX_TRACEBACK_FILTERING``). brainobj's
  package directory is registered with the same mechanism, and its public
  transforms are boundaries, so a traceback goes from the user's call
  straight to the user's failing line, as with ``jax.jit``. Setting
  ``JAX_TRACEBACK_FILTERING=off`` shows every frame again.
* **The names in JAX's messages.** A concretization error ("depends on the
  value of the argument ...") names the user's function, its file and line,
  and the user's argument or Variable, not brainobj's internal ``pure``
  function and its ``kept[0]`` parameter.

Both reach into ``jax._src`` (there is no public API for either; several
libraries built on JAX do the same). Each degrades to JAX's default
behaviour -- longer tracebacks, internal names -- if a JAX release changes
them; nothing else depends on them.
"""

from __future__ import annotations

import inspect
import os
import sys
from typing import Any, Callable, Sequence, TypeVar

__all__ = ["api_boundary", "name_traced_function", "positional_names", "describe_argument", "operand_names",
           "user_stacklevel"]

F = TypeVar("F", bound=Callable[..., Any])

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

try:
    from jax._src import traceback_util as _traceback_util

    _traceback_util.register_exclusion(_PACKAGE_DIR)
    _boundary: Callable | None = _traceback_util.api_boundary
except (ImportError, AttributeError):  # another JAX layout: keep full tracebacks
    _boundary = None


def api_boundary(fun: F) -> F:
    """``fun`` as a traceback boundary: an error raised below it loses the
    frames of brainobj and JAX (but keeps the user's own)."""
    return _boundary(fun) if _boundary is not None else fun


def name_traced_function(traced: Callable, traced_for: str, user_fun: Callable | str,
                         arg_names: Sequence[str]) -> None:
    """Make JAX's messages about ``traced`` (brainobj's wrapper around
    ``user_fun``) name ``user_fun``, its source line, and ``arg_names``: one
    name per flattened input leaf of ``traced``, in order. ``user_fun`` may
    be a string naming what is traced (``"true_fun/false_fun"``)."""
    try:
        from jax._src import api_util, core

        source = user_fun if isinstance(user_fun, str) else api_util.fun_sourceinfo(_target(user_fun))
        info = core.DebugInfo(traced_for, source, tuple(arg_names), core.initial_result_paths)
        traced.__fun_debug_info__ = info  # read by jax's api_util.debug_info
    except Exception:  # noqa: BLE001  (an older or newer JAX: default names)
        return


def user_stacklevel() -> int:
    """The ``stacklevel`` for :func:`warnings.warn`, called from brainobj, that
    points at the first frame outside brainobj and JAX: the user's line."""
    level, frame = 1, sys._getframe(1)
    while frame is not None and _is_library(frame.f_code.co_filename):
        frame, level = frame.f_back, level + 1
    return level


def _is_library(filename: str) -> bool:
    if filename.startswith(_PACKAGE_DIR + os.sep):
        return True
    try:
        return not _traceback_util.include_filename(filename)
    except (NameError, AttributeError):
        return False


def positional_names(fun: Callable) -> tuple:
    """``fun``'s positional parameter names, to name arguments in messages;
    ``()`` when its signature cannot be read."""
    try:
        parameters = inspect.signature(_target(fun)).parameters.values()
    except (TypeError, ValueError):
        return ()
    return tuple(p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


def describe_argument(position: int, names: Sequence[str]) -> str:
    """``argument 2 (`x`)``, or ``argument 2`` when the name is unknown."""
    return f"argument {position} (`{names[position]}`)" if position < len(names) else f"argument {position}"


def operand_names(operands: Any, fun: Callable, spread: bool, position: int = 0) -> list[str]:
    """Names for the array leaves of ``operands`` as ``fun`` receives them:
    by its parameters' names when a tuple of operands is spread over its
    arguments (BrainPy's convention), else as its parameter ``position``."""
    import jax.tree_util as jtu

    names = positional_names(fun)
    out = []
    for path, _ in jtu.tree_flatten_with_path(operands)[0]:
        index = getattr(path[0], "idx", None) if path else None
        if spread and index is not None and index < len(names):
            out.append(names[index] + jtu.keystr(path[1:]))
        elif not spread and position < len(names):
            out.append(names[position] + jtu.keystr(path))
        else:
            out.append("operands" + jtu.keystr(path))
    return out


def _target(fun: Callable) -> Callable:
    """The user's function behind a weakly held stand-in (an eager loop
    cache's caller), else ``fun`` itself."""
    ref = getattr(fun, "__wrapped_weakly__", None)
    target = ref() if ref is not None else None
    return target if target is not None else fun
