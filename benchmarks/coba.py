"""Milliseconds per simulated second of the COBA network: brainobj against plain JAX and BrainPy 2.8.

The network is BrainPy's benchmark ``EICOBA_PostAlign`` (Brette et al. 2007),
imported from ``examples/coba.py``: 3200 excitatory + 800 inhibitory LIF
neurons with a 5 ms refractory period, exponential conductance synapses, 2 %
connectivity (fixed out-degree), dt = 0.1 ms. Every contestant runs the *same*
network: BrainPy's own connectivity and initial V, stored in
``tests/data/brainpy28/coba_full.npz`` (``--network small``: the 800 + 200
network of ``coba_small.npz``).

Contestants (one process; each call simulates ``--duration`` ms, default 1 s):

bo_runner_brainevent  brainobj, ``bp.Runner(net, monitors=['E.spike',
                      'I.spike'])``, ``bm.event.set_backend('brainevent')``:
                      brainevent's numba CPU kernel, as BrainPy uses (also
                      what ``'auto'``, the default, picks when brainevent is
                      installed).
bo_loop_brainevent    the same network stepped by a bare ``bm.for_loop`` over
                      ``net.update()`` under ``bp.share.context(t, i, dt)``,
                      returning both spike rasters (what the monitors
                      record): its difference to the Runner is the Runner's
                      cost, monitors included.
bo_runner_jax         as ``bo_runner_brainevent`` with
                      ``bm.event.set_backend('jax')``: the pure-JAX kernel.
plain_jax             the network written directly in JAX on arrays, no
                      brainobj: one ``jax.jit`` of ``jax.lax.scan``; LIF with
                      refractoriness and exponential conductances, exponential
                      Euler with the linear part written out (BrainPy's
                      arithmetic in BrainPy's order); spike propagation as
                      ``.at[].add`` of the rows of the spiking neurons,
                      gathered from a padded index table, a fixed number of
                      rows per step (2 % of the population; a pass over every
                      row when more fire); returns both rasters.
brainpy               BrainPy 2.8 ``EICOBA_PostAlign`` (its example, built
                      with the stored connectivity as ``bp.conn.CSRConn`` and
                      the stored V0) under ``bp.DSRunner`` monitoring the
                      spikes, as the example runs it. In BrainPy 2.8.2 every
                      ``DSRunner.run`` traces and compiles its loop again, so
                      these calls include compiling (a column shows how much).
brainpy_loop          the same BrainPy network, compiled once:
                      ``bm.jit`` of a ``bm.for_loop`` whose step does what
                      ``DSRunner``'s does (``share.save``, ``net()``,
                      ``clear_input``) and returns both rasters.
                      Both BrainPy rows run only if ``import brainpy`` works.
Diagnostics, not run by default (``--contestants``):
bo_loop_jax           ``bo_loop_brainevent`` with the JAX kernel;
plain_jax_bm.event:jax, plain_jax_bm.event:brainevent
                      ``plain_jax`` with its propagation replaced by
                      ``bm.event.csrmv`` on that backend: the cost of the
                      kernel alone, next to the rest of the network in plain JAX.

Every contestant returns the two spike rasters of its call (the Runners as
NumPy monitors), so all do the same work around the simulation. Successive
calls continue the network in time (step index ``i`` and ``t = i * dt`` go
on), as BrainPy's runner does.

Method
------
* Check first: each contestant's first call (compiling + ``--duration`` ms
  from the initial state) must reproduce BrainPy's recorded spike trains
  (``coba_full.npz``: all 10 000 steps at the default duration) -- asserted
  for brainobj and BrainPy; for plain JAX the script reports the first
  differing step and the rates and asserts only the rates (within 10 %).
* Then the timing loop of ``dispatch.py`` (``measure``, imported from it):
  ``--warmup`` untimed calls per contestant, then ``--rounds`` interleaved
  rounds of one call each, whose contestant order rotates; each sample is
  ``time.perf_counter()`` around the call with ``jax.block_until_ready`` on
  its output.
* After timing every contestant has simulated the same seconds; the last
  call's rasters are compared with BrainPy's (reported, not asserted: the
  recording covers only the first second).
* Reported per contestant: the MEDIAN ms per simulated second (call time /
  duration), the fastest and slowest call, the ratios to BrainPy compiled
  once and to plain JAX (where they ran), the median time JAX spent tracing
  and compiling inside a timed call (``jax.monitoring`` events), and the
  first call. The load average is printed before and after: on a shared
  machine the absolute numbers move by +-30 % from run to run.

Usage::

    python benchmarks/coba.py                          # about 1.5-3 minutes on 2 CPU cores
    python benchmarks/coba.py --rounds 3 --duration 500
    python benchmarks/coba.py --network small --duration 100 --rounds 2   # smoke run
    python benchmarks/coba.py --contestants plain_jax plain_jax_bm.event:jax bo_loop_jax
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import math
import os
import pathlib
import platform
import statistics
import sys
import time
from typing import Any, Callable

import jax
import jax.monitoring
import jax.numpy as jnp
import numpy as np

import brainobj as bp
import brainobj.math as bm

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from dispatch import Contestant, measure  # noqa: E402

DATA = HERE.parent / "tests" / "data" / "brainpy28"
NETWORKS = {"full": "coba_full.npz", "small": "coba_small.npz"}
DT = 0.1  # ms, BrainPy's default and the data's
F32 = np.float32


def _load_example():
    """``examples/coba.py`` as a module (by path: this file is also called coba.py)."""
    spec = importlib.util.spec_from_file_location("coba_example", HERE.parent / "examples" / "coba.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_example()
PROJECTIONS = example.PROJECTIONS  # name: (pre, post, weight, tau, E); BrainPy's update order


# seconds JAX has spent tracing, lowering and compiling so far (a listener adds them)
COMPILING = [0.0]
_COMPILE_EVENTS = ("/jax/core/compile/jaxpr_trace_duration",
                   "/jax/core/compile/jaxpr_to_mlir_module_duration",
                   "/jax/core/compile/backend_compile_duration")


def _count_compiling(event: str, duration: float, **kwargs: Any) -> None:
    if event in _COMPILE_EVENTS:
        COMPILING[0] += duration


@dataclasses.dataclass
class Run(Contestant):
    """One contestant (``dispatch.Contestant`` with timings).

    ``step()`` simulates ``duration`` ms, continuing where the last call
    stopped, and returns the two rasters; ``params()`` (dispatch's name)
    returns the last call's rasters ``[E, I]`` as NumPy ``(steps, N)`` bool
    arrays. After :meth:`timed`, ``times`` and ``compiling`` collect each
    call's seconds and the part of them JAX spent tracing and compiling.
    """

    times: list = dataclasses.field(default_factory=list)
    compiling: list = dataclasses.field(default_factory=list)
    first_call: float = float("nan")

    def timed(self) -> "Run":
        """Record each call's seconds in ``times``, and the seconds JAX spent
        tracing and compiling during it in ``compiling``."""
        inner = self.step

        def step():
            c0, t0 = COMPILING[0], time.perf_counter()
            out = jax.block_until_ready(inner())
            self.times.append(time.perf_counter() - t0)
            self.compiling.append(COMPILING[0] - c0)
            return out

        self.step = step
        return self


def _steps(duration: float) -> int:
    return int(round(duration / DT))


# -- brainobj --------------------------------------------------------------------------
def build_brainobj_runner(path: pathlib.Path, duration: float, backend: str) -> Run:
    """``bp.Runner`` with spike monitors on the example's network (BrainPy's data)."""
    net, _ = example.brainpy_network(path)
    runner = bp.Runner(net, monitors=["E.spike", "I.spike"], progress_bar=False)

    def step():
        # the backend is read when the loop is traced (the first call); setting it
        # each call keeps this contestant on its own even if it traced again
        bm.event.set_backend(backend)
        runner.run(duration)
        return runner.mon["E.spike"], runner.mon["I.spike"]

    return Run(f"bo_runner_{backend}", f"brainobj Runner ({backend})", step,
               lambda: [np.asarray(runner.mon["E.spike"]), np.asarray(runner.mon["I.spike"])])


def build_brainobj_loop(path: pathlib.Path, duration: float, backend: str) -> Run:
    """A bare ``bm.for_loop`` over ``net.update()`` (no Runner) returning both
    rasters as the loop's outputs, as tests/test_dyn_reference.py steps it."""
    net, _ = example.brainpy_network(path)
    n = _steps(duration)
    state = {"i0": 0, "out": None}

    def body(i):
        with bp.share.context(t=i * DT, i=i, dt=DT):
            net.update()
        return net.E.spike.value, net.I.spike.value

    def step():
        bm.event.set_backend(backend)
        indices = jnp.asarray(np.arange(state["i0"], state["i0"] + n, dtype=np.int32))
        state["out"] = bm.for_loop(body, indices)
        state["i0"] += n
        return state["out"]

    return Run(f"bo_loop_{backend}", f"brainobj for_loop ({backend})", step,
               lambda: [np.asarray(a) for a in state["out"]])


# -- plain JAX -------------------------------------------------------------------------
def _exprel(z):
    """BrainPy's ``exprel``: ``(exp(z) - 1) / z``, its series where ``|z| <= 1e-5`` (float32)."""
    return jnp.where(jnp.abs(z) <= 1e-5, 1. + z / 2. + z * z / 6., (jnp.exp(z) - 1.) / z)


def build_plain_jax(path: pathlib.Path, duration: float, kernel: str = "scatter",
                    frac: float = 0.02) -> Run:
    """The network in plain JAX: arrays, ``jax.lax.scan``, no brainobj.

    ``kernel='scatter'``: the spike propagation in plain JAX (below);
    ``'bm.event:jax'`` / ``'bm.event:brainevent'``: ``bm.event.csrmv`` with
    that backend instead (a diagnostic: the cost of the kernel alone).
    """
    d = dict(np.load(path))
    size = {"E": int(d["num_exc"]), "I": int(d["num_inh"])}
    dt = F32(DT)
    V_rest, V_th, V_reset, tau_m, tau_ref, I_ext = (F32(x) for x in (-60., -50., -60., 20., 5., 20.))
    inv_tau = F32(1) / tau_m
    projs = {}
    for name, (pre, post, weight, tau, E) in PROJECTIONS.items():
        ind, ptr = d[f"{name}_indices"], d[f"{name}_indptr"]
        n_pre, n_post = size[pre], size[post]
        deg = np.diff(ptr)
        # the rows padded to the longest; padding (and an extra all-padding row
        # n_pre, the fill of nonzero()) points at n_post, dropped by the scatter
        table = np.full((n_pre + 1, max(int(deg.max()), 1)), n_post, np.int32)
        for j in range(n_pre):
            table[j, :deg[j]] = ind[ptr[j]:ptr[j + 1]]
        tau = F32(tau)
        # the synapse's exponential-Euler step, g + coef * (-g / tau): coef is a
        # constant, computed eagerly as BrainPy's (constant-folded) program gets it
        coef = F32(np.asarray(dt * _exprel(jnp.asarray(dt * -(F32(1) / tau)))))
        projs[name] = dict(pre=pre, table=jnp.asarray(table), w=F32(weight), tau=tau, E=F32(E),
                           coef=coef, n_post=n_post, rows=max(1, math.ceil(frac * n_pre)),
                           indices=ind, indptr=ptr, n_pre=n_pre)

    def propagate(p, spikes):
        """``g`` increment: ``w`` added once per spiking pre neuron, in pre order
        (as brainevent's kernel adds them), over a fixed number of gathered rows."""
        n_pre = spikes.shape[0]
        if kernel != "scatter":
            return bm.event.csrmv(p["w"], p["indices"], p["indptr"], spikes,
                                  shape=(p["n_pre"], p["n_post"]), transpose=True)

        def few(spikes):
            rows = jnp.nonzero(spikes, size=p["rows"], fill_value=n_pre)[0]
            targets = p["table"][rows].ravel()
            return jnp.zeros(p["n_post"], jnp.float32).at[targets].add(p["w"], mode="drop")

        def many(spikes):  # more spikes than gathered rows: every row, w or 0
            w = jnp.where(spikes, p["w"], F32(0))
            w = jnp.broadcast_to(jnp.append(w, F32(0))[:, None], p["table"].shape)
            return jnp.zeros(p["n_post"], jnp.float32).at[p["table"].ravel()].add(
                w.ravel(), mode="drop")

        return jax.lax.cond(spikes.sum() <= p["rows"], few, many, spikes)

    def neurons(V, tls, t, g1, p1, g2, p2):
        """LifRefLTC with two COBA inputs, exponential Euler; BrainPy's operation order."""
        I = (I_ext + g1 * (p1["E"] - V)) + g2 * (p2["E"] - V)
        f = ((-V + V_rest) + I) / tau_m
        linear = (-inv_tau - g1 * inv_tau) - g2 * inv_tau  # df/dV
        V_new = V + (dt * _exprel(dt * linear)) * f
        V_new = jnp.where((t - tls) <= tau_ref, V, V_new)
        spike = V_new >= V_th
        return jnp.where(spike, V_reset, V_new), jnp.where(spike, t, tls), spike

    def one_step(carry, i):
        V, tls, spk, g = carry
        t = i.astype(jnp.float32) * dt
        g = {k: g[k] + propagate(projs[k], spk[projs[k]["pre"]]) for k in PROJECTIONS}
        for k in g:  # each post group decays its synapses first (Expon)
            g[k] = g[k] + projs[k]["coef"] * ((-g[k]) / projs[k]["tau"])
        V_E, tls_E, spk_E = neurons(V["E"], tls["E"], t, g["E2E"], projs["E2E"], g["I2E"], projs["I2E"])
        V_I, tls_I, spk_I = neurons(V["I"], tls["I"], t, g["E2I"], projs["E2I"], g["I2I"], projs["I2I"])
        carry = ({"E": V_E, "I": V_I}, {"E": tls_E, "I": tls_I}, {"E": spk_E, "I": spk_I}, g)
        return carry, (spk_E, spk_I)

    @jax.jit
    def simulate(carry, indices):
        return jax.lax.scan(one_step, carry, indices)

    n = _steps(duration)
    state = {
        "carry": ({"E": jnp.asarray(d["V0_E"]), "I": jnp.asarray(d["V0_I"])},
                  {p: jnp.full(size[p], -1e7, jnp.float32) for p in "EI"},
                  {p: jnp.zeros(size[p], bool) for p in "EI"},
                  {k: jnp.zeros(size[PROJECTIONS[k][1]], jnp.float32) for k in PROJECTIONS}),
        "i0": 0, "out": None}

    def step():
        if kernel != "scatter":
            bm.event.set_backend(kernel.split(":")[1])
        indices = jnp.asarray(np.arange(state["i0"], state["i0"] + n, dtype=np.int32))
        state["carry"], state["out"] = simulate(state["carry"], indices)
        state["i0"] += n
        return state["out"]

    if kernel == "scatter":
        return Run("plain_jax", "plain JAX (lax.scan)", step,
                   lambda: [np.asarray(a) for a in state["out"]])
    return Run(f"plain_jax_{kernel}", f"plain JAX + {kernel}", step,
               lambda: [np.asarray(a) for a in state["out"]])


# -- BrainPy 2.8 -----------------------------------------------------------------------
def _brainpy_network(path: pathlib.Path):
    """BrainPy's ``EICOBA_PostAlign`` with the stored connectivity and V0, or None."""
    try:
        import brainpy
        import brainpy.math
    except ImportError:
        return None
    bpy = brainpy
    brainpy.math.set_dt(DT)
    d = dict(np.load(path))

    class EICOBA_PostAlign(bpy.DynamicalSystem):
        """BrainPy's example; the stored connectivity and V0 replace the random draws."""

        def __init__(self):
            super().__init__()
            self.inp = 20.
            pars = dict(V_rest=-60., V_th=-50., V_reset=-60., tau=20., tau_ref=5.)
            self.E = bpy.dyn.LifRefLTC(int(d["num_exc"]), V_initializer=jnp.asarray(d["V0_E"]), **pars)
            self.I = bpy.dyn.LifRefLTC(int(d["num_inh"]), V_initializer=jnp.asarray(d["V0_I"]), **pars)
            for name in ("E2E", "E2I", "I2E", "I2I"):  # the example's construction order
                pre, post, weight, tau, E = PROJECTIONS[name]
                pre, post = getattr(self, pre), getattr(self, post)
                conn = bpy.conn.CSRConn(d[f"{name}_indices"], d[f"{name}_indptr"],
                                        pre=pre.num, post=post.num)
                setattr(self, name, bpy.dyn.FullProjAlignPostMg(
                    pre=pre, delay=None, comm=bpy.dnn.EventCSRLinear(conn, weight),
                    syn=bpy.dyn.Expon.desc(post.varshape, tau=tau), out=bpy.dyn.COBA.desc(E=E),
                    post=post))

        def update(self):
            self.E2I()
            self.I2I()
            self.I2E()
            self.E2E()
            self.E(self.inp)
            self.I(self.inp)

    net = EICOBA_PostAlign()
    for name in PROJECTIONS:  # the projections hold exactly the stored matrices
        comm = getattr(net, name).comm
        np.testing.assert_array_equal(np.asarray(comm.indices), d[f"{name}_indices"])
        np.testing.assert_array_equal(np.asarray(comm.indptr), d[f"{name}_indptr"])
    return brainpy, net


def build_brainpy(path: pathlib.Path, duration: float) -> Run | None:
    """BrainPy's ``DSRunner`` monitoring the spikes, as its example runs it.

    In BrainPy 2.8.2 every ``run()`` traces and compiles its loop again
    (``DSRunner._fun_predict`` passes ``bm.for_loop`` a new ``functools.partial``
    and ``bm.for_loop`` is not jitted at the top), so each timed call includes
    a compilation; :func:`build_brainpy_loop` is the same network without it.
    """
    built = _brainpy_network(path)
    if built is None:
        return None
    brainpy, net = built
    runner = brainpy.DSRunner(net, monitors={"E.spike": net.E.spike, "I.spike": net.I.spike},
                              progress_bar=False)

    def step():
        runner.run(duration)
        return runner.mon["E.spike"], runner.mon["I.spike"]

    return Run("brainpy", f"BrainPy {brainpy.__version__} DSRunner", step,
               lambda: [np.asarray(runner.mon["E.spike"]), np.asarray(runner.mon["I.spike"])])


def build_brainpy_loop(path: pathlib.Path, duration: float) -> Run | None:
    """BrainPy's network stepped by ``bm.jit`` of a ``bm.for_loop`` (compiled once),
    each step as ``DSRunner`` does it: ``share.save(t, i, dt)``, ``net()``,
    ``clear_input(net)``; returns both rasters."""
    built = _brainpy_network(path)
    if built is None:
        return None
    brainpy, net = built
    from brainpy.context import share
    from brainpy.helpers import clear_input

    def body(i):
        share.save(t=i * DT, i=i, dt=DT)
        net()
        clear_input(net)
        return net.E.spike.value, net.I.spike.value

    loop = brainpy.math.jit(lambda indices: brainpy.math.for_loop(body, indices))
    n = _steps(duration)
    state = {"i0": 0, "out": None}

    def step():
        indices = jnp.asarray(np.arange(state["i0"], state["i0"] + n, dtype=np.int32))
        state["out"] = loop(indices)
        state["i0"] += n
        return state["out"]

    return Run("brainpy_loop", f"BrainPy {brainpy.__version__} jit(for_loop)", step,
               lambda: [np.asarray(a) for a in state["out"]])


# -- correctness -----------------------------------------------------------------------
EXACT = ("bo_runner_brainevent", "bo_loop_brainevent", "bo_runner_jax", "bo_loop_jax", "brainpy",
         "brainpy_loop")


def check(c: Run, data: dict, steps: int) -> str:
    """First call from the initial state against BrainPy's recorded rasters; one line."""
    t0 = time.perf_counter()
    jax.block_until_ready(c.step())
    first = time.perf_counter() - t0
    got = c.params()
    n = min(steps, 10000)
    verdicts, rates = [], []
    for pop, raster in zip("EI", got):
        assert raster.shape == (steps, int(data[f"num_{'exc' if pop == 'E' else 'inh'}"])), \
            f"{c.key}: {pop} raster has shape {raster.shape}"
        ref = example.raster_from(data, pop, n, raster.shape[1])
        differs = np.flatnonzero(np.any(raster[:n] != ref, axis=1))
        rate, ref_rate = (x.sum() / (x.shape[1] * n * DT / 1000.) for x in (raster[:n], ref))
        rates.append(f"{pop} {rate:.2f} Hz (BrainPy {ref_rate:.2f})")
        if differs.size == 0:
            verdicts.append(f"{pop} identical")
            continue
        verdicts.append(f"{pop} differs from step {differs[0]} ({differs.size} of {n} steps)")
        assert c.key not in EXACT, (f"{c.label}: {pop} spikes differ from BrainPy's recorded "
                                    f"ones from step {differs[0]}")
        assert abs(rate - ref_rate) <= 0.1 * ref_rate, f"{c.label}: {pop} rate {rate:.2f} Hz, " \
                                                       f"BrainPy's {ref_rate:.2f} Hz"
    line = (f"check {c.label}: first {n} steps vs BrainPy's recorded spikes: "
            f"{', '.join(verdicts)}; {', '.join(rates)}; first call (compile + run) {first:.1f} s")
    c.first_call = first
    return line


def agreement(runs: list[Run], calls: int, duration: float) -> str:
    """After timing, every contestant has run ``calls`` calls: its last call's rasters
    (simulated ms ``(calls - 1) * duration`` to ``calls * duration``) against the
    reference contestant's (BrainPy's, else the first); one line. Not asserted:
    BrainPy's recording covers only the first second."""
    keys = [c.key for c in runs]
    ref = runs[keys.index("brainpy")] if "brainpy" in keys else runs[0]
    want = ref.params()
    parts = []
    for c in runs:
        if c is ref:
            continue
        bad = [np.flatnonzero(np.any(a != b, axis=1)) for a, b in zip(c.params(), want)]
        first = [int(b[0]) for b in bad if b.size]
        parts.append(f"{c.label} " + ("identical" if not first else f"differs from step {min(first)}"))
    span = f"{(calls - 1) * duration:g}-{calls * duration:g} ms"
    return (f"check after timing (the last call of each, {span}) against {ref.label}: "
            + ("; ".join(parts) or "nothing to compare"))


# -- report ----------------------------------------------------------------------------
BUILDERS: dict[str, Callable[[pathlib.Path, float], Run | None]] = {
    "bo_runner_brainevent": lambda p, d: build_brainobj_runner(p, d, "brainevent"),
    "bo_loop_brainevent": lambda p, d: build_brainobj_loop(p, d, "brainevent"),
    "bo_runner_jax": lambda p, d: build_brainobj_runner(p, d, "jax"),
    "bo_loop_jax": lambda p, d: build_brainobj_loop(p, d, "jax"),
    "plain_jax": build_plain_jax,
    "plain_jax_bm.event:jax": lambda p, d: build_plain_jax(p, d, "bm.event:jax"),
    "plain_jax_bm.event:brainevent": lambda p, d: build_plain_jax(p, d, "bm.event:brainevent"),
    "brainpy": build_brainpy,
    "brainpy_loop": build_brainpy_loop,
}
DEFAULT = ["bo_runner_brainevent", "bo_loop_brainevent", "bo_runner_jax", "plain_jax", "brainpy",
           "brainpy_loop"]


REFERENCES = (("brainpy_loop", "BrainPy jit(for_loop)"), ("plain_jax", "plain JAX"))


def table(runs: list[Run], duration: float) -> str:
    """Markdown: median, fastest and slowest ms per simulated second, ratios to
    BrainPy (compiled once) and to plain JAX where they ran, compile time in
    the timed calls, first call."""
    per_s = 1000. / duration  # calls per simulated second
    refs = [(key, label) for key, label in REFERENCES if any(c.key == key for c in runs)]
    head = ["contestant", "ms per simulated s (median)", "fastest - slowest"]
    head += [f"vs {label}" for _, label in refs]
    head += ["of which compiling, ms (median)", "first call s (compile + run)"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    # the medians of the calls' own times (``Run.timed``: the same calls that
    # ``measure`` times, so that median, fastest and slowest agree)
    median = {c.key: statistics.median(c.times) for c in runs}
    for c in runs:
        cells = [c.label, f"{median[c.key] * 1e3 * per_s:.0f}",
                 f"{min(c.times) * 1e3 * per_s:.0f} - {max(c.times) * 1e3 * per_s:.0f}"]
        cells += [f"{median[c.key] / median[key]:.2f}x" for key, _ in refs]
        cells += [f"{statistics.median(c.compiling) * 1e3 * per_s:.0f}", f"{c.first_call:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--network", choices=tuple(NETWORKS), default="full",
                        help="full: 3200 + 800 neurons (coba_full.npz); small: 800 + 200")
    parser.add_argument("--duration", type=float, default=1000.,
                        help="simulated ms per call (default 1000: 10 000 steps)")
    parser.add_argument("--rounds", type=int, default=5, help="timed calls per contestant (5)")
    parser.add_argument("--warmup", type=int, default=1,
                        help="untimed calls after the first (compiling) one (1; at least 1)")
    parser.add_argument("--contestants", nargs="+", choices=tuple(BUILDERS), default=DEFAULT,
                        metavar="NAME", help=f"which to run, of {', '.join(BUILDERS)} "
                                             f"(default: {' '.join(DEFAULT)})")
    args = parser.parse_args(argv)
    if args.warmup < 1 or args.rounds < 1:
        parser.error("--warmup and --rounds must be at least 1")

    path = DATA / NETWORKS[args.network]
    data = dict(np.load(path))
    steps = _steps(args.duration)
    print(f"jax {jax.__version__} on {jax.default_backend()}, python {platform.python_version()}, "
          f"brainobj {bp.__version__}, {os.cpu_count()} CPUs, load average {_load()}")
    print(f"network: {int(data['num_exc'])} E + {int(data['num_inh'])} I ({path.name}), "
          f"{args.duration:g} ms = {steps} steps per call, dt {DT} ms")
    start = time.perf_counter()
    backend = bm.event.get_backend()
    jax.monitoring.register_event_duration_secs_listener(_count_compiling)
    try:
        runs = run_all(args, path, data, steps)
    finally:
        jax.monitoring.unregister_event_duration_listener(_count_compiling)
        bm.event.set_backend(backend)
    print()
    print(f"ms per simulated second ({args.duration:g} ms per call, median of {args.rounds} "
          f"interleaved calls after {args.warmup} warm-up); load average now {_load()}; "
          f"whole run {time.perf_counter() - start:.0f} s")
    print()
    print(table(runs, args.duration))


def run_all(args: argparse.Namespace, path: pathlib.Path, data: dict, steps: int) -> list[Run]:
    """Build, check and time the contestants (their ``times`` hold the timed calls)."""
    runs = []
    for key in args.contestants:
        if "brainevent" in key and "brainevent" not in bm.event.available_backends():
            print(f"{key}: brainevent (with numba) is not usable here, skipped")
            continue
        c = BUILDERS[key](path, args.duration)
        if c is None:
            print(f"{key}: brainpy is not installed, skipped (pip install brainpy==2.8.2)")
            continue
        print(check(c.timed(), data, steps), flush=True)
        c.times.clear()
        c.compiling.clear()
        runs.append(c)
    if not runs:
        return runs
    measure(runs, args.rounds, args.rounds, args.warmup - 1)
    for c in runs:  # measure's untimed first call and warm-up calls are in these too
        c.times[:] = c.times[-args.rounds:]
        c.compiling[:] = c.compiling[-args.rounds:]
    print(agreement(runs, args.warmup + args.rounds + 1, args.duration))
    return runs


if __name__ == "__main__":
    main()
