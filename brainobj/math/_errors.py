"""brainobj's exceptions, with BrainPy's names (``bp.errors``).

``MathError`` is the one exception brainobj raises for misuse of its state.
The other classes exist so that BrainPy code catching them
(``except bp.errors.UniqueNameError``) runs unchanged; they keep BrainPy's
hierarchy (everything derives from :class:`BrainPyError`).

``MathError`` also derives from ``ValueError`` (brainobj raised a
``ValueError`` subclass before these names existed, and code catching that
must keep working); ``UniqueNameError`` derives from ``MathError`` because a
taken name raised ``MathError`` before it existed. ``MathTypeError`` and
``MathAttributeError`` are ``MathError`` s that are also a ``TypeError`` /
an ``AttributeError``: raised where BrainPy (or JAX under it) raises that
type, so both ``except bm.MathError`` and BrainPy's ``except TypeError``
catch them.
"""

from __future__ import annotations

__all__ = [
    "BrainPyError", "APIChangedError", "ModelBuildError", "RunningError", "IntegratorError",
    "DiffEqError", "CodeError", "AnalyzerError", "PackageMissingError", "UnsupportedError",
    "NoImplementationError", "NoLongerSupportError", "ConnectorError", "MonitorError",
    "MathError", "MathTypeError", "MathAttributeError", "UniqueNameError", "JaxTracerError", "ConcretizationTypeError",
    "BackendNotInstalled", "GPUOperatorNotFound", "SharedArgError",
]


class BrainPyError(Exception):
    """The base of every brainobj (and BrainPy) error class.

    Example:
        >>> import brainobj as bp
        >>> issubclass(bp.errors.UniqueNameError, bp.errors.BrainPyError)
        True
    """


class APIChangedError(BrainPyError):
    """An API used by BrainPy code has changed (kept for BrainPy code that catches it)."""


class ModelBuildError(BrainPyError):
    """An error while defining a model (kept for BrainPy code that catches it)."""


class RunningError(BrainPyError):
    """An error in a running function (kept for BrainPy code that catches it)."""


class IntegratorError(BrainPyError):
    """An integrator error (kept for BrainPy code that catches it)."""


class DiffEqError(BrainPyError):
    """A differential-equation definition error (kept for BrainPy code that catches it)."""


class CodeError(BrainPyError):
    """A code definition error (kept for BrainPy code that catches it)."""


class AnalyzerError(BrainPyError):
    """A dynamics-analysis error (kept for BrainPy code that catches it)."""


class PackageMissingError(BrainPyError):
    """A package needed for a feature is not installed."""


class BackendNotInstalled(BrainPyError):
    """A computing backend a feature needs is not installed (kept for BrainPy code)."""


class SharedArgError(BrainPyError):
    """A shared argument (``t``, ``dt``, ...) is missing (kept for BrainPy code)."""


class GPUOperatorNotFound(Exception):
    """A GPU kernel is not available. As in BrainPy, not a :class:`BrainPyError`."""


class UnsupportedError(BrainPyError):
    """A feature brainobj (or BrainPy) does not support."""


class NoImplementationError(BrainPyError):
    """A method a subclass must implement is missing."""


class NoLongerSupportError(BrainPyError):
    """A feature that is no longer supported."""


class ConnectorError(BrainPyError):
    """A connector error (kept for BrainPy code that catches it)."""


class MonitorError(BrainPyError):
    """A monitor error (kept for BrainPy code that catches it)."""


class MathError(BrainPyError, ValueError):
    """A misuse of brainobj's Variables, objects or transforms.

    The message names the Variable or object at fault (``'Linear0.W'``) and
    says what to do instead. Raised before anything changed: after it, every
    Variable holds the value it had before the failing call. It is BrainPy's
    ``brainpy.errors.MathError`` (a :class:`BrainPyError`) and a ``ValueError``.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> bm.MathError is bp.errors.MathError and issubclass(bm.MathError, ValueError)
        True
    """


class MathTypeError(MathError, TypeError):
    """A :class:`MathError` about a value of the wrong kind; also a ``TypeError``.

    Raised where BrainPy (or JAX under it) raises ``TypeError`` or
    ``ValueError`` for the same misuse: a non-scalar gradient output, a
    branch returning another type, a condition that is not a boolean, a
    ``static_argnums`` that is not an int, ``child_objs`` holding something
    other than objects. ``except bm.MathError``, ``except ValueError`` and
    ``except TypeError`` all catch it.

    Raises nothing.

    Example:
        >>> import brainobj.math as bm
        >>> [issubclass(bm.MathTypeError, c) for c in (bm.MathError, ValueError, TypeError)]
        [True, True, True]
        >>> try:
        ...     bm.Variable('abc')
        ... except TypeError as error:
        ...     type(error).__name__
        'MathTypeError'
    """


class MathAttributeError(MathError, AttributeError):
    """A :class:`MathError` about an attribute that cannot be set; also an ``AttributeError``.

    Raised when assigning a Variable's ``batch_axis`` or ``batch_size``
    (fixed when the Variable is created). BrainPy raises ``ValueError``
    there; Python's convention for a read-only attribute is
    ``AttributeError``: this class is both.

    Raises nothing.

    Example:
        >>> import brainobj.math as bm
        >>> v = bm.Variable(bm.zeros((2, 3)), batch_axis=0)
        >>> try:
        ...     v.batch_axis = 1
        ... except AttributeError as error:
        ...     isinstance(error, ValueError)
        True
    """


class UniqueNameError(MathError):
    """An object was given a name another live object holds.

    A :class:`MathError` (what brainobj raised for this before), so
    ``except bm.MathError`` still catches it.

    Example:
        >>> import brainobj as bp
        >>> a = bp.BrainPyObject(name='doc_unique_name_error')
        >>> bp.BrainPyObject(name='doc_unique_name_error')  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        brainobj.math._errors.UniqueNameError: name 'doc_unique_name_error' is already used ...
    """


class JaxTracerError(MathError):
    """A traced value reached a place that needs a concrete one."""


class ConcretizationTypeError(BrainPyError):
    """A traced value was used where Python needs a concrete value."""
