"""``bp.errors``: BrainPy's error classes.

``bp.errors.MathError`` is ``bm.MathError``; ``UniqueNameError`` (a taken
object name) derives from it; every class derives from ``BrainPyError``.

Example:
    >>> import brainobj as bp, brainobj.math as bm
    >>> bp.errors.MathError is bm.MathError
    True
"""

from .math._errors import (
    AnalyzerError as AnalyzerError,
    APIChangedError as APIChangedError,
    BackendNotInstalled as BackendNotInstalled,
    BrainPyError as BrainPyError,
    CodeError as CodeError,
    ConcretizationTypeError as ConcretizationTypeError,
    ConnectorError as ConnectorError,
    DiffEqError as DiffEqError,
    GPUOperatorNotFound as GPUOperatorNotFound,
    IntegratorError as IntegratorError,
    JaxTracerError as JaxTracerError,
    MathAttributeError as MathAttributeError,
    MathError as MathError,
    MathTypeError as MathTypeError,
    ModelBuildError as ModelBuildError,
    MonitorError as MonitorError,
    NoImplementationError as NoImplementationError,
    NoLongerSupportError as NoLongerSupportError,
    PackageMissingError as PackageMissingError,
    RunningError as RunningError,
    SharedArgError as SharedArgError,
    UniqueNameError as UniqueNameError,
    UnsupportedError as UnsupportedError,
)
