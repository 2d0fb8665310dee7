"""Declared objects: ``bm.field`` and the ``__init__`` generated from annotated fields.

A ``BrainPyObject`` subclass whose ``__init__`` is not written by hand (its
own, or one it inherits) and which declares annotated fields is turned into
a dataclass when the class is created (:func:`declare`, called by the
metaclass), with Python's own :mod:`dataclasses` doing the work. brainobj
adds what a model needs on top:

* the generated ``__init__`` takes ``name=`` (keyword only) besides the
  fields, and refuses bad arguments naming the class and the field;
* ``bm.field(static=True)`` keeps a field out of the pytree's children
  whatever it holds (an array constant, say), like ``eqx.field(static=True)``;
* mistakes are refused when the class is created, naming class and field: a
  mutable default (a list, an array, a Variable or an object would be one
  value shared by every instance), a field without a default after one
  with, a field called ``name``, ``bm.field`` in a class whose ``__init__``
  is written by hand (it would never be set);
* a field declared ``init=False`` and without a default must be assigned by
  ``__post_init__``, or construction fails naming it;
* the class keeps brainobj's identity ``==``/``hash`` and its tree ``repr``,
  also when ``@dataclasses.dataclass`` is applied to it again by hand.

A class with a hand-written ``__init__`` is left exactly as it was.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from typing import Any, Callable, ClassVar

import equinox as eqx

from ._errors import MathError, MathTypeError
from ._graph import INTERNAL_ATTRS, is_node
from ._variable import Variable

__all__ = ["field", "declare", "STATIC_FIELDS"]

# The class attribute holding the names of a class's ``static=True`` fields
# (inherited; empty on classes that declare none).
STATIC_FIELDS = "_bo_static_fields"
_GENERATED = "_bo_generated_init"
_MISSING = dataclasses.MISSING


def field(
    *,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | Any = _MISSING,
    init: bool = True,
    static: bool = False,
    repr: bool = True,  # noqa: A002 -- the name dataclasses.field uses
    kw_only: bool | Any = _MISSING,
    metadata: dict | None = None,
) -> Any:
    """Declare a field of a ``BrainPyObject`` with options (a ``dataclasses.field``).

    Args:
        default: the value when the argument is not given. Must be immutable:
            a list, dict, set, array, Variable or object would be shared by
            every instance; use ``default_factory`` for those.
        default_factory: a function of no arguments called for each new
            object (``default_factory=lambda: bm.Variable(bm.zeros(3))``).
        init: ``False`` leaves the field out of the generated ``__init__``;
            ``__post_init__`` (or ``default``/``default_factory``) sets it.
        static: ``True`` keeps the field out of the pytree's children (part
            of the treedef, compared by value) whatever it holds, like
            ``eqx.field(static=True)``; it may not hold Variables or
            objects. By default plain values are static and arrays,
            Variables and objects are children.
        repr: ``False`` hides the field from ``repr``.
        kw_only: ``True`` makes the argument keyword-only.
        metadata: free-form mapping kept on the field (``dataclasses.fields``);
            brainobj adds ``'static'`` to it.

    Returns:
        A ``dataclasses.Field``; ``dataclasses.fields(obj)`` lists it.

    Raises:
        ValueError: both ``default`` and ``default_factory`` are given.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> class LIF(bp.BrainPyObject):
        ...     size: int
        ...     tau: float = 10.0
        ...     V: bm.Variable = bp.field(init=False)
        ...     def __post_init__(self):
        ...         self.V = bm.Variable(bm.zeros(self.size))
        >>> lif = LIF(3, tau=20.0, name='doc_field_lif')
        >>> lif
        LIF(size=3, tau=20.0, V=Variable(f32[3]))
        >>> import dataclasses
        >>> tuple(f.name for f in dataclasses.fields(lif))
        ('size', 'tau', 'V')
    """
    meta = dict(metadata or {})
    meta["static"] = bool(static)
    options: dict[str, Any] = {"init": init, "repr": repr, "metadata": meta}
    if kw_only is not _MISSING:
        options["kw_only"] = kw_only
    return dataclasses.field(default=default, default_factory=default_factory, **options)


# -- class creation --------------------------------------------------------------

def _hand_written_init(cls: type, base_init: Callable) -> Callable | None:
    """The hand-written ``__init__`` ``cls`` uses, or None (base or generated)."""
    init = cls.__dict__.get("__init__", None)
    if init is None:
        init = getattr(cls, "__init__")
    if init is base_init or getattr(init, _GENERATED, False):
        return None
    return init


def _own_field_names(cls: type) -> list[str]:
    names = []
    for attr, hint in cls.__dict__.get("__annotations__", {}).items():
        # dataclasses skips ClassVar annotations (also written as strings)
        if hint is ClassVar or "ClassVar" in (hint if isinstance(hint, str) else repr(hint)):
            continue
        names.append(attr)
    return names


def _mutable_default(value: Any) -> str | None:
    """Why ``value`` cannot be a default shared by every instance, or None."""
    if isinstance(value, Variable):
        return "a Variable"
    if is_node(value):
        return "an object"
    if eqx.is_array(value):
        return "an array"
    if isinstance(value, (list, dict, set, bytearray)):
        return f"a {type(value).__name__}"
    if getattr(type(value), "__hash__", None) is None:
        return f"an unhashable {type(value).__name__}"
    return None


def _check_declarations(cls: type, names: list[str]) -> None:
    where = cls.__name__
    for attr in names:
        if attr == "name" or attr in INTERNAL_ATTRS:
            raise MathError(
                f"{where}.{attr}: a field cannot be called {attr!r}: brainobj keeps the object's "
                f"{'unique name' if attr == 'name' else 'bookkeeping'} there (every generated "
                "__init__ takes `name=` already). Rename the field."
            )
        declared = cls.__dict__.get(attr, _MISSING)
        default = declared.default if isinstance(declared, dataclasses.Field) else declared
        if default is _MISSING:
            continue
        why = _mutable_default(default)
        if why is not None:
            raise MathError(
                f"{where}.{attr}: the default is {why}, which would be one value shared by every "
                f"{where}. Give a function that builds one per object instead: "
                f"`{attr}: ... = bp.field(default_factory=lambda: ...)`, or build it in "
                "__post_init__."
            )


def _refuse_fields_under_hand_written_init(cls: type, init: Callable) -> None:
    for attr, value in cls.__dict__.items():
        if isinstance(value, dataclasses.Field):
            owner = getattr(init, "__qualname__", "__init__").split("<locals>.")[-1]
            raise MathError(
                f"{cls.__name__}.{attr}: declared with bp.field(...), but {cls.__name__} is "
                f"built by a hand-written __init__ ({owner}), which never sets fields. Either "
                f"drop that __init__ (set things up in __post_init__) so that the fields make "
                f"the __init__, or assign self.{attr} in it and drop bp.field."
            )


def declare(cls: type, base_init: Callable) -> bool:
    """Make ``cls`` a declared (dataclass) object if it declares fields.

    Called by the metaclass for every ``BrainPyObject`` subclass, before the
    pytree registration. ``base_init`` is ``BrainPyObject.__init__``.

    Returns:
        Whether ``cls`` is declared.

    Raises:
        MathError: a mutable default, a field named ``name``, or ``bm.field``
            under a hand-written ``__init__``.
        MathTypeError: a field without a default after one with.
    """
    hand_written = _hand_written_init(cls, base_init)
    if hand_written is not None:
        _refuse_fields_under_hand_written_init(cls, hand_written)
        return False
    names = _own_field_names(cls)
    inherited = any("__dataclass_fields__" in base.__dict__ for base in cls.__mro__[1:])
    if not names and not inherited:
        return False
    _check_declarations(cls, names)
    # Keep identity comparison and brainobj's repr: an object is a mutable
    # node, not a value, and @dataclasses.dataclass applied again by hand
    # leaves methods the class itself defines alone.
    for method in ("__eq__", "__hash__", "__repr__"):
        if method not in cls.__dict__:
            type.__setattr__(cls, method, getattr(cls, method))
    try:
        dataclasses.dataclass(cls, init=True, repr=False, eq=False)
    except TypeError as error:
        quoted = re.findall(r"'(\w+)'", str(error))
        attr = quoted[0] if quoted else "?"
        raise MathTypeError(
            f"{cls.__name__}.{attr}: {error}. Fields without a default come first (inherited "
            "fields count), or give this one a default, or make the later ones keyword-only "
            "(bp.field(kw_only=True))."
        ) from None
    fields = dataclasses.fields(cls)
    # Fields without a class-level default are deleted from the class by
    # dataclasses; put their Field back so that a second, hand-applied
    # @dataclasses.dataclass finds the same declarations.
    for f in cls.__dict__["__dataclass_fields__"].values():
        if f.name in names and f.name not in cls.__dict__:
            type.__setattr__(cls, f.name, f)
    type.__setattr__(cls, STATIC_FIELDS, frozenset(f.name for f in fields if f.metadata.get("static")))
    type.__setattr__(cls, "__init__", _wrap_init(cls, cls.__dict__["__init__"], fields))
    return True


# -- the generated __init__ -------------------------------------------------------

def _wrap_init(cls: type, generated: Callable, fields: tuple) -> Callable:
    """The generated ``__init__`` plus ``name=`` and errors naming class and field."""
    signature = inspect.signature(generated)
    parameters = list(signature.parameters.values())
    parameters.append(inspect.Parameter("name", inspect.Parameter.KEYWORD_ONLY, default=None,
                                        annotation="str | None"))
    full = signature.replace(parameters=parameters)
    set_later = tuple(f.name for f in fields if not f.init and f.default is _MISSING
                      and f.default_factory is _MISSING)
    owner = cls.__name__

    def __init__(self, *args: Any, name: str | None = None, **kwargs: Any) -> None:
        # The metaclass claimed `name` before __init__ runs; only the fields are set here.
        try:
            generated(self, *args, **kwargs)
        except TypeError:
            # Bad arguments fail before any field is set; name the field then.
            # A TypeError from __post_init__ (arguments that bind) propagates as it is.
            try:
                signature.bind(self, *args, **kwargs)
            except TypeError as error:
                raise _argument_error(owner, error, fields) from None
            raise
        for attr in set_later:
            if attr not in self.__dict__:
                raise MathError(
                    f"{self.name}.{attr}: declared with bp.field(init=False) and no default, "
                    f"but nothing assigned it. Assign self.{attr} in {owner}.__post_init__, "
                    "or give the field a default or default_factory."
                )

    __init__.__signature__ = full  # type: ignore[attr-defined]
    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    __init__.__doc__ = f"Set the fields of {owner}{str(full).replace('(self, ', '(', 1)}."
    setattr(__init__, _GENERATED, True)
    return __init__


def _argument_error(owner: str, error: TypeError, fields: tuple) -> MathTypeError:
    text = str(error)
    quoted = re.findall(r"'(\w+)'", text)
    known = {f.name for f in fields if f.init}
    if "missing" in text and quoted:
        return MathTypeError(f"{owner}.{quoted[0]}: required field missing; pass {quoted[0]}=... "
                             f"(fields: {', '.join(sorted(known))}).")
    if "unexpected keyword" in text and quoted:
        return MathTypeError(f"{owner}.{quoted[0]}: no such field to pass to {owner}(...); its "
                             f"fields taken by __init__ are {sorted(known)}.")
    if "multiple values" in text and quoted:
        return MathTypeError(f"{owner}.{quoted[0]}: given both by position and by keyword.")
    return MathTypeError(f"{owner}(...): {text}; its fields taken by __init__ are {sorted(known)}.")
