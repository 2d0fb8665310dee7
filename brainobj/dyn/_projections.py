"""Align-post projections: ``pre -> delay -> comm -> syn -> out -> post``.

What one step of a network does with a :class:`FullProjAlignPostMg`
(BrainPy 2.8's order; the projection must be called before the groups,
which :class:`~brainobj.dyn.DynSysGroup` and BrainPy's COBA example do):

1. ``proj()``: read the pre-synaptic spikes from the delay (with
   ``delay=None``: ``pre.spike`` as the previous step left it), send them
   through ``comm`` (e.g. ``EventCSRLinear``), and add the result to the
   synapse: ``syn.add_current(current)``.
2. ``post(inp)``: the post group first runs its before-updates, among them
   the synapse: it decays (``g = decay(g)``) and binds its conductance to
   the output; then the group integrates, calling ``out(V)`` through
   ``sum_current_inputs``. Afterwards ``pre``'s after-update (the delay)
   stores the new spikes.

"Mg" (merging): projections onto the same ``post`` with equal synapse and
output descriptions (``Expon.desc(n, tau=5.)`` and ``COBA.desc(E=0.)``,
compared by their identifiers) share one synapse and one output: their
currents add into the same ``g``. The synapse and output live on ``post``
(``post.before_updates`` and ``post.current_inputs``); the projection
reaches them through ``proj.syn`` / ``proj.out``.
"""

from __future__ import annotations

from typing import Any

import brainobj.math as bm

from ._delay import delay_identifier, register_delay_by_return
from ._outputs import SynOut
from ._system import DynamicalSystem, ParamDescriber, Projection

__all__ = ["HalfProjAlignPostMg", "FullProjAlignPostMg", "HalfProjAlignPost",
           "FullProjAlignPost"]


def _check_desc(who: str, what: str, desc: Any, needs: tuple) -> None:
    if not isinstance(desc, ParamDescriber):
        raise TypeError(f"{who}: {what} must be a description such as "
                        f"{needs[0]}.desc(...), got {type(desc).__name__}: {desc!r}")


def _check_system(who: str, what: str, obj: Any) -> None:
    if not isinstance(obj, DynamicalSystem) and not callable(obj):
        raise TypeError(f"{who}: {what} must be a DynamicalSystem (or callable), got "
                        f"{type(obj).__name__}")


class _AlignPost(DynamicalSystem):
    """The post side of merged projections: updates the synapse, binds its output."""

    def __init__(self, syn: Any, out: Any) -> None:
        super().__init__()
        self.syn = syn
        self.out = out

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.out.bind_cond(self.syn(*args, **kwargs))

    def reset_state(self, *args: Any, **kwargs: Any) -> None:
        pass


def _wire_output(out: Any, syn: Any) -> None:
    """Give ``out`` its conductance Variable, shaped like the synapse's output,
    so that binding inside a compiled step only writes it."""
    if not isinstance(out, SynOut) or out._conductance is not None:
        return
    info = syn.return_info() if hasattr(syn, "return_info") else None
    if isinstance(info, bm.Variable):
        batch = None if info.batch_axis is None else info.shape[info.batch_axis]
        out._prepare(tuple(syn.varshape), info.dtype, batch)
    elif hasattr(syn, "varshape"):
        out._prepare(tuple(syn.varshape))


def _post_key(out_label: Any, syn: ParamDescriber, out: ParamDescriber) -> str:
    return f"{out_label} // {syn.identifier} // {out.identifier}"


def _add_post_side(out_label: Any, syn_desc: ParamDescriber, out_desc: ParamDescriber,
                   post: DynamicalSystem, proj_name: str) -> tuple[Any, Any]:
    """Create (or find the merged) synapse and output on ``post``."""
    key = _post_key(out_label, syn_desc, out_desc)
    if not post.has_bef_update(key):
        syn = syn_desc()
        out = out_desc()
        if not hasattr(syn, "add_current"):
            raise TypeError(f"{proj_name}: the synapse {syn_desc.identifier} has no "
                            f"add_current(); align-post projections need one (Expon, Alpha, "
                            f"DualExponV2)")
        _wire_output(out, syn)
        post.add_inp_fun(proj_name, out, label=out_label)
        post.add_bef_update(key, _AlignPost(syn, out))
    align = post.get_bef_update(key)
    return align.syn, align.out


# One step of each kind of projection; a Full projection is its Half one fed
# with the spikes its delay entry returns.

def _delayed_spikes(proj: Any) -> Any:
    return proj.refs["pre"].get_aft_update(delay_identifier).at(proj.name)


def _into_merged_syn(proj: Any, x: Any) -> Any:
    """``comm(x)`` added to the (merged) synapse on the post side; returns it."""
    current = proj.comm(x)
    proj.refs["syn"].add_current(current)
    return current


def _into_own_syn(proj: Any, x: Any) -> Any:
    """``comm(x)`` through the projection's own synapse, bound to its output."""
    current = proj.comm(x)
    proj.out.bind_cond(proj.syn(current))
    return current


class HalfProjAlignPostMg(Projection):
    """``comm -> syn -> out -> post``, called with the spikes: ``proj(spikes)``.

    The synapse and output are created from their descriptions on ``post``
    (merged with equal ones; see the module docstring).

    Args:
        comm: the connection (``bp.dnn.EventCSRLinear(conn, w)``, any
            DynamicalSystem or callable mapping spikes to currents).
        syn: a synapse description, e.g. ``bp.dyn.Expon.desc(post.num, tau=5.)``.
        out: an output description, e.g. ``bp.dyn.COBA.desc(E=0.)``.
        post: the post-synaptic group.
        out_label: a label for the output's key in ``post.current_inputs``.
        name: the object's name.
        mode: the computing mode.

    Raises:
        TypeError: ``syn``/``out`` are not descriptions; the synapse has no
            ``add_current``; ``comm``/``post`` are of the wrong type.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> post = bp.dyn.LifRef(2)
        >>> proj = bp.dyn.HalfProjAlignPostMg(comm=lambda s: s * 1., syn=bp.dyn.Expon.desc(2),
        ...                                   out=bp.dyn.CUBA.desc(), post=post)
        >>> _ = proj(bm.asarray([1., 0.])); proj.syn.g.value
        Array([1., 0.], dtype=float32)
    """

    def __init__(self, comm: Any, syn: ParamDescriber, out: ParamDescriber,
                 post: DynamicalSystem, out_label: str | None = None, name: str | None = None,
                 mode: Any = None) -> None:
        super().__init__(name=name, mode=mode)
        who = type(self).__name__
        _check_system(who, "comm", comm)
        _check_desc(who, "syn", syn, ("bp.dyn.Expon",))
        _check_desc(who, "out", out, ("bp.dyn.COBA",))
        if not isinstance(post, DynamicalSystem):
            raise TypeError(f"{who}: post must be a DynamicalSystem, got {type(post).__name__}")
        self.comm = comm
        syn_obj, out_obj = _add_post_side(out_label, syn, out, post, self.name)
        self.refs = dict(post=post, syn=syn_obj, out=out_obj, comm=comm)

    def update(self, x: Any) -> Any:
        """``current = comm(x)``; ``syn.add_current(current)``; returns the current.

        Raises nothing (errors of ``comm`` propagate).
        """
        return _into_merged_syn(self, x)

    syn = property(lambda self: self.refs["syn"])
    out = property(lambda self: self.refs["out"])
    post = property(lambda self: self.refs["post"])


class FullProjAlignPostMg(Projection):
    """``pre -> delay -> comm -> syn -> out -> post``, called without arguments.

    ``delay`` (ms; None for none) registers an entry in the delay buffer of
    ``pre``'s ``return_info()`` (``pre.spike``), shared by all projections
    from ``pre``; see :mod:`brainobj.dyn._delay` for the convention.

    Args:
        pre: the pre-synaptic group (with ``return_info()``).
        delay: the synaptic delay in ms, or None.
        comm: the connection; see :class:`HalfProjAlignPostMg`.
        syn: a synapse description; see :class:`HalfProjAlignPostMg`.
        out: an output description; see :class:`HalfProjAlignPostMg`.
        post: the post-synaptic group.
        out_label: a label for the output's key in ``post.current_inputs``.
        name: the object's name.
        mode: the computing mode.

    Raises:
        TypeError: see :class:`HalfProjAlignPostMg`; ``pre`` has no ``return_info``.
        ValueError: a negative ``delay``.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> pre, post = bp.dyn.LifRef(2), bp.dyn.LifRef(2)
        >>> proj = bp.dyn.FullProjAlignPostMg(pre=pre, delay=None, comm=lambda s: s * 2.,
        ...                                   syn=bp.dyn.Expon.desc(2, tau=5.),
        ...                                   out=bp.dyn.COBA.desc(E=0.), post=post)
        >>> pre.spike.value = bm.asarray([True, False])
        >>> _ = proj(); proj.syn.g.value
        Array([2., 0.], dtype=float32)
    """

    def __init__(self, pre: DynamicalSystem, delay: Any, comm: Any, syn: ParamDescriber,
                 out: ParamDescriber, post: DynamicalSystem, out_label: str | None = None,
                 name: str | None = None, mode: Any = None) -> None:
        super().__init__(name=name, mode=mode)
        who = type(self).__name__
        _check_system(who, "comm", comm)
        _check_desc(who, "syn", syn, ("bp.dyn.Expon",))
        _check_desc(who, "out", out, ("bp.dyn.COBA",))
        for what, obj in (("pre", pre), ("post", post)):
            if not isinstance(obj, DynamicalSystem):
                raise TypeError(f"{who}: {what} must be a DynamicalSystem, got "
                                f"{type(obj).__name__}")
        self.comm = comm
        delay_cls = register_delay_by_return(pre)
        delay_cls.register_entry(self.name, delay)
        syn_obj, out_obj = _add_post_side(out_label, syn, out, post, self.name)
        self.refs = dict(pre=pre, post=post, syn=syn_obj, out=out_obj, comm=comm,
                         delay=delay_cls)

    def update(self) -> Any:
        """Delayed spikes -> ``comm`` -> ``syn.add_current``; returns the current.

        Raises:
            KeyError: a rotation delay without ``i`` in ``bp.share``.
        """
        return _into_merged_syn(self, _delayed_spikes(self))

    syn = property(lambda self: self.refs["syn"])
    out = property(lambda self: self.refs["out"])
    delay = property(lambda self: self.refs["delay"])
    pre = property(lambda self: self.refs["pre"])
    post = property(lambda self: self.refs["post"])


class HalfProjAlignPost(Projection):
    """``comm -> syn -> out -> post`` with its own synapse and output objects
    (no merging): ``proj(spikes)`` updates the synapse with ``comm(spikes)``.

    Raises:
        TypeError: ``syn`` has no ``add_current``; wrong types.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> post = bp.dyn.LifRef(1)
        >>> proj = bp.dyn.HalfProjAlignPost(comm=lambda s: s * 1., syn=bp.dyn.Expon(1),
        ...                                 out=bp.dyn.CUBA(), post=post)
        >>> with bp.share.context(t=0.):
        ...     _ = proj(bm.ones(1))
        >>> proj.syn.g.value
        Array([1.], dtype=float32)
    """

    def __init__(self, comm: Any, syn: Any, out: Any, post: DynamicalSystem,
                 out_label: str | None = None, name: str | None = None, mode: Any = None) -> None:
        super().__init__(name=name, mode=mode)
        who = type(self).__name__
        _check_system(who, "comm", comm)
        if not hasattr(syn, "add_current"):
            raise TypeError(f"{who}: syn must be a synapse with add_current (Expon, ...), got "
                            f"{type(syn).__name__}")
        if not isinstance(post, DynamicalSystem):
            raise TypeError(f"{who}: post must be a DynamicalSystem, got {type(post).__name__}")
        self.comm = comm
        self.syn = syn
        self.out = out
        _wire_output(out, syn)
        post.add_inp_fun(self.name, out, label=out_label)
        self.refs = dict(post=post, syn=syn, out=out, comm=comm)

    def update(self, x: Any) -> Any:
        """``g = syn(comm(x))``; binds ``g`` to the output; returns the current.

        Raises:
            KeyError: ``bp.share`` has no ``t``.
        """
        return _into_own_syn(self, x)

    post = property(lambda self: self.refs["post"])


class FullProjAlignPost(Projection):
    """``pre -> delay -> comm -> syn -> out -> post`` with its own synapse and output.

    Raises:
        TypeError: see :class:`HalfProjAlignPost`.
        ValueError: a negative ``delay``.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> pre, post = bp.dyn.LifRef(1), bp.dyn.LifRef(1)
        >>> proj = bp.dyn.FullProjAlignPost(pre=pre, delay=None, comm=lambda s: s * 1.,
        ...                                 syn=bp.dyn.Expon(1), out=bp.dyn.CUBA(), post=post)
        >>> with bp.share.context(t=0.):
        ...     _ = proj()
        >>> proj.syn.g.value
        Array([0.], dtype=float32)
    """

    def __init__(self, pre: DynamicalSystem, delay: Any, comm: Any, syn: Any, out: Any,
                 post: DynamicalSystem, out_label: str | None = None, name: str | None = None,
                 mode: Any = None) -> None:
        super().__init__(name=name, mode=mode)
        who = type(self).__name__
        _check_system(who, "comm", comm)
        if not hasattr(syn, "add_current"):
            raise TypeError(f"{who}: syn must be a synapse with add_current (Expon, ...), got "
                            f"{type(syn).__name__}")
        for what, obj in (("pre", pre), ("post", post)):
            if not isinstance(obj, DynamicalSystem):
                raise TypeError(f"{who}: {what} must be a DynamicalSystem, got "
                                f"{type(obj).__name__}")
        self.comm = comm
        self.syn = syn
        self.out = out
        delay_cls = register_delay_by_return(pre)
        delay_cls.register_entry(self.name, delay)
        _wire_output(out, syn)
        post.add_inp_fun(self.name, out, label=out_label)
        self.refs = dict(pre=pre, post=post, syn=syn, out=out, comm=comm, delay=delay_cls)

    def update(self) -> Any:
        """Delayed spikes -> ``comm`` -> ``syn`` -> bind to ``out``; returns the current.

        Raises:
            KeyError: ``bp.share`` has no ``t`` (or no ``i`` for a rotation delay).
        """
        return _into_own_syn(self, _delayed_spikes(self))

    pre = property(lambda self: self.refs["pre"])
    post = property(lambda self: self.refs["post"])
    delay = property(lambda self: self.refs["delay"])
