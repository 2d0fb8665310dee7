"""Regenerate the BrainPy 2.8 reference numbers stored next to this file.

This script is NOT part of brainobj and is not run by the test suite: it needs
BrainPy 2.8, which CI does not install.  It was run once, in a separate
virtualenv::

    python3.11 -m venv /tmp/bpvenv
    /tmp/bpvenv/bin/pip install brainpy==2.8.2 'brainevent[cpu]'
    /tmp/bpvenv/bin/python tests/data/brainpy28/make_reference.py

(float32, CPU, dt = 0.1 ms).  ``--only lif,synapses`` regenerates a subset,
``--no-stats`` skips the five full-size seeds of ``coba_stats.npz`` and
``--out DIR`` writes elsewhere.  What each file holds, and the BrainPy
conventions the numbers pin down, is described in ``README.md``.

Only the standard library and NumPy are imported at module level, so that
``pytest --doctest-modules`` can import this file in brainobj's own
environment (where BrainPy is absent) without failing.
"""

import argparse
import math
import os
import statistics
import sys
import time

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
_DT = 0.1  # ms, the default of BrainPy and of every file here
_F32 = np.float32

# filled by _setup(): the imported modules and the versions string
_bp = None
_bm = None
_share = None
_jax = None
_jnp = None
_VERSIONS = ""


def _setup():
    """Import BrainPy lazily (float32, CPU, dt = 0.1 ms) and record versions."""
    global _bp, _bm, _share, _jax, _jnp, _VERSIONS
    import importlib.metadata as md

    import jax
    import jax.numpy as jnp

    import brainpy as bp
    import brainpy.math as bm
    from brainpy.context import share

    bm.set_platform("cpu")
    bm.set_dt(_DT)
    bm.disable_x64()
    _bp, _bm, _share, _jax, _jnp = bp, bm, share, jax, jnp
    names = ["brainpy", "brainstate", "brainevent", "brainunit", "jax", "jaxlib", "numba", "numpy"]
    _VERSIONS = " ".join(f"{n}={md.version(n)}" for n in names) + f" python={sys.version.split()[0]}"
    print("versions:", _VERSIONS)


def _save(out_dir, name, **arrays):
    arrays["versions"] = np.array(_VERSIONS)
    arrays["dt"] = np.array(_DT, dtype=_F32)
    path = os.path.join(out_dir, name)
    np.savez_compressed(path, **arrays)
    print(f"wrote {path}: {os.path.getsize(path) / 1024:.1f} KiB")


def _runner(target, monitors, jit=True):
    return _bp.DSRunner(target, monitors=monitors, progress_bar=False, jit=jit)


# ---------------------------------------------------------------- a. lif.npz

_LIF_PARS = dict(V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, tau_ref=5.0, R=1.0)
# neuron 0 stays below threshold (V_inf = -55), 1 spikes once late, 2..4 spike
# more and more often; 4 starts above threshold so it spikes at step 0 and
# spends most of its time refractory.
_LIF_V0 = np.array([-60.0, -55.0, -52.0, -50.5, -49.0], _F32)
_LIF_I = np.array([5.0, 10.5, 20.0, 50.0, 200.0], _F32)
# constant conductances (reversal 0 mV) of the second experiment, which shows
# where LifRef and LifRefLTC differ: a V-dependent input current
_LIF_GCOND = np.array([0.0, 0.1, 0.3, 0.5, 1.0], _F32)
_LIF_STEPS = 600


def _make_lif(out_dir):
    bp, bm, share = _bp, _bm, _share
    res = dict(V0=_LIF_V0, I_ext=_LIF_I, g_cond=_LIF_GCOND, E_cond=np.array(0.0, _F32))
    for cls in (bp.dyn.LifRef, bp.dyn.LifRefLTC):
        for cond in (False, True):
            neu = cls(5, V_initializer=bm.asarray(_LIF_V0), **_LIF_PARS)
            if cond:
                g = bm.asarray(_LIF_GCOND)
                # a current input function of V, registered the way the
                # align-post projections register their COBA outputs
                neu.add_inp_fun("cond", lambda V: g * (0.0 - V))
            mon = {"V": neu.V, "spike": neu.spike, "t_last_spike": neu.t_last_spike,
                   "t": lambda: share["t"], "i": lambda: share["i"]}
            r = _runner(neu, mon)
            r.run(inputs=np.tile(_LIF_I, (_LIF_STEPS, 1)))
            key = cls.__name__ + ("_cond" if cond else "")
            res[f"{key}_V"] = np.asarray(r.mon["V"], _F32)
            res[f"{key}_spike"] = np.asarray(r.mon["spike"], bool)
            res[f"{key}_t_last_spike"] = np.asarray(r.mon["t_last_spike"], _F32)
            if key == "LifRef":
                res["t"] = np.asarray(r.mon["t"], _F32)  # share['t'] inside the step
                res["i"] = np.asarray(r.mon["i"], np.int32)
                res["ts"] = np.asarray(r.mon["ts"], np.float64)  # runner.mon['ts']
    # how many steps V is held at V_reset after each spike (float32 rounding of
    # t = i*dt makes it 49 or 50): a derived convenience array, -1 = run ended
    V, S = res["LifRef_V"], res["LifRef_spike"]
    held = np.full(S.shape, -1, np.int32)
    for n in range(S.shape[1]):
        for s in np.where(S[:, n])[0]:
            j = s + 1
            while j < S.shape[0] and V[j, n] == _F32(-60.0) and not S[j, n]:
                j += 1
            if j < S.shape[0]:
                held[s, n] = j - s - 1
    res["LifRef_held_steps_after_spike"] = held
    # the same rule evaluated on t alone: steps j > s with float32(t_j - t_s) <= tau_ref
    t = res["t"]
    ref_len = np.array([int(np.sum((t[s + 1:] - t[s]) <= _F32(5.0))) for s in range(0, _LIF_STEPS - 60)],
                       np.int32)
    res["refractory_steps_if_spike_at_step"] = ref_len
    # self-check: a NumPy float32 re-implementation of LifRef (see README)
    Vn, Sn = _lif_numpy(_LIF_V0, _LIF_I, _LIF_STEPS)
    assert np.array_equal(Vn, res["LifRef_V"]) and np.array_equal(Sn, res["LifRef_spike"]), "LifRef oracle"
    print("lif: LifRef reproduced bit-exactly by the NumPy oracle; spikes per neuron",
          res["LifRef_spike"].sum(0), "LTC_cond", res["LifRefLTC_cond_spike"].sum(0),
          "Ref_cond", res["LifRef_cond_spike"].sum(0))
    _save(out_dir, "lif.npz", **res)


def _lif_numpy(V0, I, steps):
    """LifRef with constant input, in NumPy float32, the order BrainPy computes it."""
    f32 = _F32
    dt, tau = f32(_DT), f32(20.0)
    x = dt * -(f32(1.0) / tau)  # dt * (d f / d V), the exp_auto linear part
    coef = dt * ((np.exp(x) - f32(1.0)) / x)  # dt * exprel(dt * L)
    v, tls = V0.copy(), np.full(V0.shape, f32(-1e7))
    Vs, Ss = [], []
    for i in range(steps):
        t = f32(i) * dt
        vn = v + coef * ((-v + f32(-60.0) + f32(1.0) * I) / tau)
        vn = np.where((t - tls) <= f32(5.0), v, vn)
        sp = vn >= f32(-50.0)
        v = np.where(sp, f32(-60.0), vn).astype(f32)
        tls = np.where(sp, t, tls)
        Vs.append(v)
        Ss.append(sp)
    return np.array(Vs), np.array(Ss)


# ----------------------------------------------------------- b. synapses.npz

_SYN_STEPS = 300


def _syn_inputs():
    x = np.zeros((_SYN_STEPS, 2), _F32)
    x[[10, 50, 52, 54, 150], 0] = 1.0  # channel 0: unit spikes
    rng = np.random.RandomState(0)  # channel 1: arbitrary non-negative values on some steps
    on = rng.rand(_SYN_STEPS) < 0.1
    x[on, 1] = rng.uniform(0.0, 2.0, on.sum()).astype(_F32)
    return x


def _make_synapses(out_dir):
    bp, bm = _bp, _bm
    x = _syn_inputs()
    res = {"x": x}
    expon = bp.dyn.Expon(2, tau=5.0)
    r = _runner(expon, {"g": expon.g})
    r.run(inputs=x)
    res["expon_tau"] = np.array(5.0, _F32)
    res["expon_g"] = np.asarray(r.mon["g"], _F32)
    alpha = bp.dyn.Alpha(2, tau_decay=10.0)
    r = _runner(alpha, {"g": alpha.g, "h": alpha.h})
    r.run(inputs=x)
    res["alpha_tau_decay"] = np.array(10.0, _F32)
    res["alpha_g"] = np.asarray(r.mon["g"], _F32)
    res["alpha_h"] = np.asarray(r.mon["h"], _F32)

    # synaptic outputs: the formula and the sign
    g = np.array([0.0, 0.5, 1.0, 2.0], _F32)
    V = np.array([-70.0, -60.0, -50.0, 10.0], _F32)
    G, VV = np.meshgrid(g, V, indexing="ij")  # (4, 4): G[a, b] = g[a], VV[a, b] = V[b]
    res["out_g"], res["out_V"] = G.astype(_F32), VV.astype(_F32)
    for name, out in (("coba_E0", bp.dyn.COBA(E=0.0)), ("coba_Em80", bp.dyn.COBA(E=-80.0)),
                      ("cuba", bp.dyn.CUBA())):
        out.bind_cond(bm.asarray(G))
        res[f"out_{name}"] = np.asarray(out(bm.asarray(VV)), _F32)
    print("synapses: expon peak", res["expon_g"].max(0), "alpha peak", res["alpha_g"].max(0))
    _save(out_dir, "synapses.npz", **res)


# -------------------------------------------------------------- c. delay.npz

_DELAY_STEPS = 30
_DELAY_ENTRIES = (("none", None), ("d0p1", 0.1), ("d0p5", 0.5), ("d1p0", 1.0))
_PROJ_STEPS = 40
_PROJ_SPIKE_STEP = 5


def _make_delay(out_dir):
    bp, bm, share = _bp, _bm, _share
    res = {"x": np.arange(1, _DELAY_STEPS + 1, dtype=_F32)}

    # (1) a VarDelay on a Variable, 4 entries on the SAME buffer, written by
    # delay.update() once per step; read both before and after that write
    class _Feed(bp.DynamicalSystem):
        def __init__(self, entries):
            super().__init__()
            self.x = bm.Variable(bm.zeros(1))
            self.delay = bp.VarDelay(self.x)
            self.names = [n for n, _ in entries]
            for n, d in entries:
                self.delay.register_entry(n, d)
            self.before = bm.Variable(bm.zeros(len(entries)))
            self.after = bm.Variable(bm.zeros(len(entries)))

        def update(self):
            self.before.value = bm.concatenate([self.delay.at(n) for n in self.names])
            self.x.value = bm.ones(1) * (share["i"] + 1.0)  # x_i = i + 1 (0 = "nothing written yet")
            self.delay.update(self.x.value)
            self.after.value = bm.concatenate([self.delay.at(n) for n in self.names])

    for tag, entries in (("shared", _DELAY_ENTRIES),) + tuple(
            (f"single_{n}", ((n, d),)) for n, d in _DELAY_ENTRIES if d is not None):
        feed = _Feed(entries)
        r = _runner(feed, {"before": feed.before, "after": feed.after})
        r.run(_DELAY_STEPS * _DT)
        res[f"vardelay_{tag}_before"] = np.asarray(r.mon["before"], _F32)
        res[f"vardelay_{tag}_after"] = np.asarray(r.mon["after"], _F32)
        res[f"vardelay_{tag}_entries"] = np.array([n for n, _ in entries])
        res[f"vardelay_{tag}_max_length"] = np.array(feed.delay.max_length, np.int32)
    # brainpy/delay.py::_get_delay: delay_step = math.ceil(delay_time / dt), in float64
    res["delay_steps"] = np.array([0 if d is None else math.ceil(d / _DT) for _, d in _DELAY_ENTRIES], np.int32)
    res["delay_entry_names"] = np.array([n for n, _ in _DELAY_ENTRIES])

    # (2) a FullProjAlignPostMg with delay=..., one pre neuron spiking once
    class _OneSpike(bp.DynamicalSystem):
        def __init__(self, delay, order):
            super().__init__()
            self.order = order
            t_spk = (_PROJ_SPIKE_STEP - 0.5) * _DT  # SpikeTimeGroup fires at the first step with t >= t_spk
            self.pre = bp.dyn.SpikeTimeGroup(1, indices=[0], times=[t_spk])
            self.post = bp.dyn.LifRef(1, **_LIF_PARS, V_initializer=bp.init.Constant(-60.0))
            self.proj = bp.dyn.FullProjAlignPostMg(
                pre=self.pre, delay=delay,
                comm=bp.dnn.EventCSRLinear(bp.conn.FixedProb(1.0, pre=1, post=1, seed=0), 1.0),
                syn=bp.dyn.Expon.desc(1, tau=5.0), out=bp.dyn.COBA.desc(E=0.0), post=self.post)

        def update(self):
            if self.order == "proj_first":  # the order of EICOBA_PostAlign.update
                self.proj()
                self.pre()
            else:
                self.pre()
                self.proj()
            self.post(0.0)

    names = []
    for order in ("proj_first", "pre_first"):
        for n, d in _DELAY_ENTRIES:
            net = _OneSpike(d, order)
            r = _runner(net, {"pre_spike": net.pre.spike, "g": net.proj.syn.g, "V": net.post.V})
            r.run(_PROJ_STEPS * _DT)
            key = f"proj_{order}_{n}"
            names.append(key)
            res[f"{key}_pre_spike"] = np.asarray(r.mon["pre_spike"][:, 0], bool)
            res[f"{key}_g"] = np.asarray(r.mon["g"][:, 0], _F32)
            res[f"{key}_post_V"] = np.asarray(r.mon["V"][:, 0], _F32)
            spk = np.where(res[f"{key}_pre_spike"])[0]
            first = np.where(res[f"{key}_g"] != 0)[0]
            assert list(spk) == [_PROJ_SPIKE_STEP], spk
            res[f"{key}_first_g_step"] = np.array(first[0] if len(first) else -1, np.int32)
            print(f"delay: {key}: pre spike at step {spk[0]}, g first nonzero at step "
                  f"{res[f'{key}_first_g_step']}")
    res["proj_cases"] = np.array(names)
    res["proj_spike_step"] = np.array(_PROJ_SPIKE_STEP, np.int32)
    for tag in ("shared", "single_d0p1", "single_d0p5", "single_d1p0"):
        print(f"delay: vardelay_{tag} before-write reads at steps 0..14:\n",
              res[f"vardelay_{tag}_before"][:15].T)
    _save(out_dir, "delay.npz", **res)


# ------------------------------------------------------------- d. odeint.npz

_ODE_STEPS = 100
_ODE_METHODS = ("euler", "rk2", "rk4", "exp_auto")


def _ode_functions():
    bm = _bm

    def quad(V, t, I):  # nonlinear, stable fixed point near -30.6 mV
        return (-(V + 60.0) + I + 0.1 * V ** 2 / 10.0) / 20.0

    def lif(V, t, I):  # the linear LIF right-hand side (V_rest -60, R 1, tau 20)
        return (-V + -60.0 + 1.0 * I) / 20.0

    def tdep(V, t, I):  # explicit time dependence: pins which t each stage sees
        return -V / 10.0 + I * bm.sin(0.5 * t)

    return (("quad", quad, -60.0, 20.0), ("lif", lif, -60.0, 20.0), ("tdep", tdep, 0.0, 1.0))


def _make_odeint(out_dir):
    bp, jax, jnp = _bp, _jax, _jnp
    res = {}
    for fname, f, x0, I in _ode_functions():
        res[f"{fname}_x0"] = np.array(x0, _F32)
        res[f"{fname}_I"] = np.array(I, _F32)
        for m in _ODE_METHODS:
            integ = bp.odeint(f, method=m)

            def step(x, i, integ=integ):
                t = i * _DT  # int32 * python float -> float32, exactly as DSRunner computes t
                xn = integ(x, t, I, _DT)
                return xn, xn

            x_init = jnp.full((1,), x0, jnp.float32)
            _, xs = jax.jit(lambda x: jax.lax.scan(step, x, jnp.arange(_ODE_STEPS, dtype=jnp.int32)))(x_init)
            res[f"{fname}_{m}"] = np.concatenate([np.asarray(x_init), np.asarray(xs)[:, 0]]).astype(_F32)
    # t[k]: the t passed to the integrator by step k (float32(k) * float32(dt)),
    # i.e. the time at which x[k] is taken; x[k + 1] is the result of that step
    res["t"] = np.arange(_ODE_STEPS + 1, dtype=_F32) * _F32(_DT)
    tt = np.arange(_ODE_STEPS + 1) * _DT
    res["lif_exact_f64"] = -40.0 + (-60.0 + 40.0) * np.exp(-tt / 20.0)
    for fname, *_ in _ode_functions():
        print("odeint:", fname, {m: float(res[f"{fname}_{m}"][-1]) for m in _ODE_METHODS})
    _save(out_dir, "odeint.npz", **res)


# ---------------------------------------------- e. coba_small/full/stats.npz

_COBA_PARS = dict(V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, tau_ref=5.0)
# projection name -> (pre, post, weight, tau, E, offset of the FixedProb seed)
_PROJS = {"E2E": ("E", "E", 0.6, 5.0, 0.0, 1), "E2I": ("E", "I", 0.6, 5.0, 0.0, 2),
          "I2E": ("I", "E", 6.7, 10.0, -80.0, 3), "I2I": ("I", "I", 6.7, 10.0, -80.0, 4)}
_COBA_STEPS = 10000  # 1 s
_TRACE_STEPS, _TRACE_NEURONS = 500, 8


def _conn_seed(seed, proj):
    return 10 * seed + _PROJS[proj][5]


def _build_coba(num_exc, num_inh, seed):
    """``EICOBA_PostAlign`` of examples/dynamics_simulation/COBA.py, with explicit seeds."""
    bp, bm = _bp, _bm

    class EICOBA_PostAlign(bp.DynamicalSystem):
        def __init__(self):
            super().__init__()
            self.inp = 20.0
            bm.random.seed(seed)  # the global RNG draws V of E, then V of I
            pars = dict(_COBA_PARS, V_initializer=bp.init.Normal(-55.0, 2.0))
            self.E = bp.dyn.LifRefLTC(num_exc, **pars)
            self.I = bp.dyn.LifRefLTC(num_inh, **pars)
            # constructed in the example's order: E2E, E2I, I2E, I2I (this is
            # also the order of the COBA terms in each neuron's input sum)
            for name, (pre, post, w, tau, E, _) in _PROJS.items():
                pre, post = getattr(self, pre), getattr(self, post)
                setattr(self, name, bp.dyn.FullProjAlignPostMg(
                    pre=pre, delay=None,
                    comm=bp.dnn.EventCSRLinear(
                        bp.conn.FixedProb(0.02, pre=pre.num, post=post.num, seed=_conn_seed(seed, name)), w),
                    syn=bp.dyn.Expon.desc(post.varshape, tau=tau),
                    out=bp.dyn.COBA.desc(E=E), post=post))

        def update(self):  # the example's order
            self.E2I()
            self.I2I()
            self.I2E()
            self.E2E()
            self.E(self.inp)
            self.I(self.inp)

    return EICOBA_PostAlign()


def _coba_monitors(net, traces):
    mon = {"E.spike": net.E.spike, "I.spike": net.I.spike}
    if traces:
        k = _TRACE_NEURONS
        mon.update({"E.V": (net.E.V, np.arange(k)), "I.V": (net.I.V, np.arange(k))})
        for name in _PROJS:
            mon[f"{name}.g"] = (getattr(net, name).syn.g, np.arange(k))
    return mon


def _sparse(spk):
    steps, neurons = np.nonzero(spk)
    return steps.astype(np.int32), neurons.astype(np.int32)


def _stats(spk, dt_ms=_DT):
    """Mean rate (Hz) and mean ISI CV of a (steps, N) boolean raster."""
    steps, n = spk.shape
    rate = spk.sum() / (n * steps * dt_ms * 1e-3)
    cvs = []
    for j in range(n):
        st = np.nonzero(spk[:, j])[0]
        if st.size >= 3:
            isi = np.diff(st).astype(np.float64) * dt_ms
            cvs.append(isi.std(ddof=0) / isi.mean())
    return float(rate), float(np.mean(cvs)) if cvs else float("nan"), len(cvs)


def _run_coba(num_exc, num_inh, seed, traces, n_timing=0):
    t0 = time.perf_counter()
    net = _build_coba(num_exc, num_inh, seed)
    t_build = time.perf_counter() - t0
    res = {"num_exc": np.array(num_exc, np.int32), "num_inh": np.array(num_inh, np.int32),
           "seed": np.array(seed, np.int32),
           "V0_E": np.asarray(net.E.V.value, _F32).copy(), "V0_I": np.asarray(net.I.V.value, _F32).copy()}
    for name in _PROJS:
        comm = getattr(net, name).comm
        res[f"{name}_indices"] = np.asarray(comm.indices, np.int32)
        res[f"{name}_indptr"] = np.asarray(comm.indptr, np.int32)
        res[f"{name}_weight"] = np.asarray(comm.weight, _F32)  # a scalar: homogeneous weight
        res[f"{name}_conn_seed"] = np.array(_conn_seed(seed, name), np.int32)
    r = _runner(net, _coba_monitors(net, traces))
    t0 = time.perf_counter()
    r.run(_COBA_STEPS * _DT)
    t_first = time.perf_counter() - t0  # includes compilation
    sE, sI = np.asarray(r.mon["E.spike"], bool), np.asarray(r.mon["I.spike"], bool)
    res["E_spike_step"], res["E_spike_neuron"] = _sparse(sE)
    res["I_spike_step"], res["I_spike_neuron"] = _sparse(sI)
    if traces:
        res["trace_E_V"] = np.asarray(r.mon["E.V"][:_TRACE_STEPS], _F32)
        res["trace_I_V"] = np.asarray(r.mon["I.V"][:_TRACE_STEPS], _F32)
        for name in _PROJS:
            res[f"trace_{name}_g"] = np.asarray(r.mon[f"{name}.g"][:_TRACE_STEPS], _F32)
    times, t_warm = [], float("nan")
    if n_timing:
        # timing as in the example: a runner monitoring only the spikes; one
        # warm-up run (compiles), then n_timing timed 1 s runs that continue
        # the same network (only the wall time is kept).  The monitors come
        # back as NumPy arrays inside run(), so the timing includes the device
        # work (DSRunner's own eval_time does not wait for it).
        rt = _runner(net, _coba_monitors(net, traces=False))
        t0 = time.perf_counter()
        rt.run(_COBA_STEPS * _DT)
        t_warm = time.perf_counter() - t0
        for _ in range(n_timing):
            t0 = time.perf_counter()
            rt.run(_COBA_STEPS * _DT)
            times.append(time.perf_counter() - t0)
    rE, cvE, nE = _stats(sE)
    rI, cvI, nI = _stats(sI)
    print(f"coba {num_exc}+{num_inh} seed {seed}: build {t_build:.1f}s first run {t_first:.2f}s "
          f"rates E {rE:.3f} I {rI:.3f} Hz, CV E {cvE:.4f} ({nE}) I {cvI:.4f} ({nI}) "
          f"timing: warm-up {t_warm:.2f}s, runs {[round(x, 2) for x in times]}")
    return res, (sE, sI), dict(rate_E=rE, rate_I=rI, cv_E=cvE, cv_I=cvI, ncv_E=nE, ncv_I=nI,
                               t_first=t_first, t_warm=t_warm, times=times, t_build=t_build)


def _coba_numpy(res, steps):
    """Float32 re-implementation of EICOBA_PostAlign in the order BrainPy computes it.

    Uses jnp.exp (XLA's exp differs from NumPy's in the last bit); everything
    else is NumPy.  Returns the E and I rasters.
    """
    jnp = _jnp
    f32 = _F32
    dt = f32(_DT)
    ne, ni = int(res["num_exc"]), int(res["num_inh"])
    n_of = {"E": ne, "I": ni}
    V = {"E": res["V0_E"].copy(), "I": res["V0_I"].copy()}
    tls = {p: np.full(n_of[p], f32(-1e7)) for p in "EI"}
    spk = {p: np.zeros(n_of[p], bool) for p in "EI"}
    g = {k: np.zeros(n_of[_PROJS[k][1]], f32) for k in _PROJS}

    def exprel(x):
        x = np.asarray(x, f32)
        small = np.abs(x) <= f32(1e-5)
        return np.where(small, f32(1) + x / f32(2) + x * x / f32(6),
                        (np.asarray(jnp.exp(x), f32) - f32(1)) / x).astype(f32)

    # the conductance jump of a post neuron receiving c spikes at one step:
    # brainevent's CPU kernel adds w c times, sequentially, in float32
    table = {}
    for k in _PROJS:
        w, acc, tab = f32(res[f"{k}_weight"]), f32(0), [f32(0)]
        for _ in range(512):
            acc = f32(acc + w)
            tab.append(acc)
        table[k] = np.array(tab, f32)
    syn_coef = {k: dt * exprel(dt * -(f32(1) / f32(_PROJS[k][3]))) for k in _PROJS}
    inv_tau = f32(1) / f32(20)
    out = {"E": [], "I": []}
    for i in range(steps):
        t = f32(i) * dt
        for k in ("E2I", "I2I", "I2E", "E2E"):  # projections: spikes of the previous step
            pre = _PROJS[k][0]
            ind, ptr = res[f"{k}_indices"], res[f"{k}_indptr"]
            cnt = np.zeros(g[k].size, np.int64)
            for j in np.nonzero(spk[pre])[0]:
                cnt[ind[ptr[j]:ptr[j + 1]]] += 1
            g[k] = g[k] + table[k][cnt]
        new = {}
        for p, (k1, k2) in (("E", ("E2E", "I2E")), ("I", ("E2I", "I2I"))):
            for k in (k1, k2):  # the post neuron's before-updates: Expon decay
                tau = f32(_PROJS[k][3])
                g[k] = (g[k] + syn_coef[k] * ((-g[k]) / tau)).astype(f32)
            v = V[p]
            g1, g2, e1, e2 = g[k1], g[k2], f32(_PROJS[k1][4]), f32(_PROJS[k2][4])
            i_tot = (f32(20) + g1 * (e1 - v)) + g2 * (e2 - v)
            f = ((-v + f32(-60)) + f32(1) * i_tot) / f32(20)
            lin = (-inv_tau - g1 * inv_tau) - g2 * inv_tau  # d f / d V
            vn = v + (dt * exprel(dt * lin)) * f
            vn = np.where((t - tls[p]) <= f32(5), v, vn)
            s = vn >= f32(-50)
            new[p] = (np.where(s, f32(-60), vn).astype(f32), np.where(s, t, tls[p]), s)
        for p in "EI":
            V[p], tls[p], spk[p] = new[p]
            out[p].append(spk[p])
    return np.array(out["E"]), np.array(out["I"])


def _first_mismatch(a, b):
    bad = np.nonzero((a != b).any(axis=1))[0]
    return int(bad[0]) if bad.size else -1


def _make_coba(out_dir, stats, oracle_full=True):
    # small (scale 0.25), seed 0, with traces and the NumPy-oracle check
    res, (sE, sI), info = _run_coba(800, 200, 0, traces=True)
    oE, oI = _coba_numpy(res, _COBA_STEPS)
    mE, mI = _first_mismatch(oE, sE), _first_mismatch(oI, sI)
    res["oracle_first_mismatch_E"] = np.array(mE, np.int32)  # -1: the whole second matches
    res["oracle_first_mismatch_I"] = np.array(mI, np.int32)
    print(f"coba_small: NumPy oracle first mismatching step E {mE} I {mI} (-1 = none)")
    for k in ("rate_E", "rate_I", "cv_E", "cv_I"):
        res[k] = np.array(info[k], np.float64)
    _save(out_dir, "coba_small.npz", **res)

    # full size, seed 0 (+ timing), then seeds 1..4 for the spread
    res, (sE, sI), info = _run_coba(3200, 800, 0, traces=True, n_timing=3)
    if oracle_full:
        oE, oI = _coba_numpy(res, _COBA_STEPS)
        mE, mI = _first_mismatch(oE, sE), _first_mismatch(oI, sI)
        res["oracle_first_mismatch_E"] = np.array(mE, np.int32)
        res["oracle_first_mismatch_I"] = np.array(mI, np.int32)
        print(f"coba_full: NumPy oracle first mismatching step E {mE} I {mI} (-1 = none)")
    for k in ("rate_E", "rate_I", "cv_E", "cv_I"):
        res[k] = np.array(info[k], np.float64)
    res["time_first_run_with_traces_s"] = np.array(info["t_first"], np.float64)
    res["time_warmup_run_s"] = np.array(info["t_warm"], np.float64)
    res["time_runs_s"] = np.array(info["times"], np.float64)
    res["time_median_s"] = np.array(statistics.median(info["times"]), np.float64)
    _save(out_dir, "coba_full.npz", **res)
    if not stats:
        return
    rows = [info]
    for seed in range(1, 5):
        rows.append(_run_coba(3200, 800, seed, traces=False)[2])
    st = {"seeds": np.arange(5, dtype=np.int32)}
    for k in ("rate_E", "rate_I", "cv_E", "cv_I"):
        st[k] = np.array([r[k] for r in rows], np.float64)
    for k in ("ncv_E", "ncv_I"):
        st[k] = np.array([r[k] for r in rows], np.int32)
    st["time_median_s"] = res["time_median_s"]
    print("coba_stats:")
    for s in range(5):
        print(f"  seed {s}: E {st['rate_E'][s]:.3f} Hz I {st['rate_I'][s]:.3f} Hz "
              f"CV E {st['cv_E'][s]:.4f} I {st['cv_I'][s]:.4f} (n {st['ncv_E'][s]}, {st['ncv_I'][s]})")
    for k in ("rate_E", "rate_I", "cv_E", "cv_I"):
        print(f"  {k}: mean {st[k].mean():.4f} std(ddof=1) {st[k].std(ddof=1):.4f}")
    _save(out_dir, "coba_stats.npz", **st)


_PARTS = {"lif": _make_lif, "synapses": _make_synapses, "delay": _make_delay, "odeint": _make_odeint}


def _main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=_HERE)
    ap.add_argument("--only", default="lif,synapses,delay,odeint,coba")
    ap.add_argument("--no-stats", action="store_true")
    args = ap.parse_args(argv)
    _setup()
    t0 = time.perf_counter()
    for part in args.only.split(","):
        if part == "coba":
            _make_coba(args.out, stats=not args.no_stats)
        else:
            _PARTS[part](args.out)
    print(f"done in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    _main()
