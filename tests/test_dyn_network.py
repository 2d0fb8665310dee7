"""bp.dyn networks: align-post projections, merging, delays in a network, the
COBA E/I network, against plain-JAX re-implementations of BrainPy 2.8's step
(and against BrainPy 2.8's own spikes in tests/data/brainpy28/ when present).

The plain-JAX oracles spell out the step order documented in
brainobj/dyn/_projections.py: projections add ``w * spikes(previous step)``
to ``g``, then each group decays its synapses (exponential Euler), sums the
COBA currents in registration order and integrates (exponential Euler, the
linear part by ``jax.vjp`` as BrainPy's ``exp_auto``).
"""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainobj as bp
import brainobj.math as bm
from _helpers import assert_no_tracers

DT = 0.1
DATA = os.path.join(os.path.dirname(__file__), "data", "brainpy28")
PARS = dict(V_rest=-60., V_th=-50., V_reset=-60., tau=20., tau_ref=5.)


# -- plain-JAX pieces of the oracle ------------------------------------------------------------------

def _exprel(z):
    small = jnp.abs(z) <= 1e-5
    safe = jnp.where(small, 1., z)
    return jnp.where(small, 1. + z / 2. + z * z / 6., (jnp.exp(safe) - 1) / safe)


def _exp_euler(f, x):
    d, pull = jax.vjp(f, x)
    (lin,) = pull(jnp.ones_like(d))
    return x + DT * _exprel(DT * lin) * d


def _decay(g, tau):
    return _exp_euler(lambda x: -x / tau, g)


def _lif_ref(V, tls, t, inp, outs, ltc, V_rest=-60., V_th=-50., V_reset=-60., tau=20.,
             tau_ref=5.):
    """One LifRef / LifRefLTC step; ``outs`` = [(g, E)] in registration order."""
    def current(v):
        i = inp
        for g, E in outs:
            i = i + g * (E - v)
        return i

    if ltc:
        V_new = _exp_euler(lambda v: (-v + V_rest + 1. * current(v)) / tau, V)
    else:
        I = current(V)
        V_new = _exp_euler(lambda v: (-v + V_rest + 1. * I) / tau, V)
    V_new = V_new + 0.
    refractory = (t - tls) <= tau_ref
    V_new = jnp.where(refractory, V, V_new)
    spike = V_new >= V_th
    V_new = jnp.where(spike, V_reset, V_new)
    return V_new, spike, jnp.where(spike, t, tls)


class Dense(bp.DynamicalSystem):
    """A dense comm: ``spikes @ W`` (any DynamicalSystem may be a projection's comm)."""

    def __init__(self, W):
        super().__init__()
        self.W = jnp.asarray(W, jnp.float32)

    def update(self, x):
        return x.astype(jnp.float32) @ self.W


def _run(net, n, inp=20.):
    def step(i):
        with bp.share.context(t=i * DT, i=i, dt=DT):
            return net.update(inp)
    return bm.for_loop(step, bm.arange(n))


# -- the COBA network, written as the example will be ---------------------------------------------

class EICOBA(bp.DynamicalSystem):
    def __init__(self, ne, ni, comm, V0, ltc=False, inp=20.):
        super().__init__()
        self.inp = inp
        Neu = bp.dyn.LifRefLTC if ltc else bp.dyn.LifRef
        self.E = Neu(ne, V_initializer=V0[:ne], **PARS)
        self.I = Neu(ni, V_initializer=V0[ne:], **PARS)

        def proj(pre, post, key, tau, E):
            return bp.dyn.FullProjAlignPostMg(
                pre=pre, delay=None, comm=comm(key), syn=bp.dyn.Expon.desc(post.varshape, tau=tau),
                out=bp.dyn.COBA.desc(E=E), post=post)

        self.E2E = proj(self.E, self.E, "EE", 5., 0.)
        self.E2I = proj(self.E, self.I, "EI", 5., 0.)
        self.I2E = proj(self.I, self.E, "IE", 10., -80.)
        self.I2I = proj(self.I, self.I, "II", 10., -80.)

    def update(self, inp=None):
        self.E2I()
        self.I2I()
        self.I2E()
        self.E2E()
        self.E(self.inp)
        self.I(self.inp)
        return self.E.spike.value, self.I.spike.value


def _coba_oracle(W, V0, ne, n, ltc, inp=20.):
    """Plain-JAX EICOBA: ``W[k]`` are the dense weight matrices (pre x post)."""
    ni = V0.shape[0] - ne
    f32 = jnp.float32
    state = dict(VE=jnp.asarray(V0[:ne]), VI=jnp.asarray(V0[ne:]),
                 sE=jnp.zeros(ne, bool), sI=jnp.zeros(ni, bool),
                 tE=jnp.full(ne, -1e7, f32), tI=jnp.full(ni, -1e7, f32),
                 gEE=jnp.zeros(ne, f32), gIE=jnp.zeros(ne, f32),
                 gEI=jnp.zeros(ni, f32), gII=jnp.zeros(ni, f32))

    def step(s, i):
        t = i * DT
        s = dict(s)
        s["gEI"] = s["gEI"] + s["sE"].astype(f32) @ W["EI"]
        s["gII"] = s["gII"] + s["sI"].astype(f32) @ W["II"]
        s["gIE"] = s["gIE"] + s["sI"].astype(f32) @ W["IE"]
        s["gEE"] = s["gEE"] + s["sE"].astype(f32) @ W["EE"]
        s["gEE"], s["gIE"] = _decay(s["gEE"], 5.), _decay(s["gIE"], 10.)
        s["VE"], s["sE"], s["tE"] = _lif_ref(s["VE"], s["tE"], t, inp,
                                             [(s["gEE"], 0.), (s["gIE"], -80.)], ltc)
        s["gEI"], s["gII"] = _decay(s["gEI"], 5.), _decay(s["gII"], 10.)
        s["VI"], s["sI"], s["tI"] = _lif_ref(s["VI"], s["tI"], t, inp,
                                             [(s["gEI"], 0.), (s["gII"], -80.)], ltc)
        return s, (s["sE"], s["sI"], s["VE"])

    _, out = jax.lax.scan(step, state, jnp.arange(n))
    return out


def _random_coba(ne, ni, p, seed):
    rng = np.random.RandomState(seed)
    n = ne + ni
    mask = rng.rand(n, n) < p
    W = {"EE": mask[:ne, :ne] * 0.6, "EI": mask[:ne, ne:] * 0.6,
         "IE": mask[ne:, :ne] * 6.7, "II": mask[ne:, ne:] * 6.7}
    W = {k: np.asarray(v, np.float32) for k, v in W.items()}
    V0 = (-55. + 2. * rng.randn(n)).astype(np.float32)
    return W, V0


@pytest.mark.slow  # several seconds: `make test-slow` (CI's second step)
@pytest.mark.parametrize("ltc", [False, True])
def test_small_coba_matches_plain_jax_oracle(ltc):
    ne, ni = 160, 40
    W, V0 = _random_coba(ne, ni, 0.1, seed=3)
    net = EICOBA(ne, ni, lambda k: Dense(W[k]), V0, ltc=ltc)
    sE, sI = _run(net, 300)
    oE, oI, oVE = _coba_oracle(W, V0, ne, 300, ltc)
    assert int(oE.sum()) > 20 and int(oI.sum()) > 5          # the network is active
    np.testing.assert_array_equal(np.asarray(sE), np.asarray(oE))
    np.testing.assert_array_equal(np.asarray(sI), np.asarray(oI))
    # XLA compiles the two programs differently (fusion, constants), which moves
    # some values by an ulp; the spike trains above are exactly equal
    np.testing.assert_allclose(np.asarray(net.E.V.value), np.asarray(oVE[-1]), rtol=0, atol=5e-5)
    assert_no_tracers(net)


def test_ltc_and_non_ltc_differ_once_conductances_act():
    ne, ni = 160, 40
    W, V0 = _random_coba(ne, ni, 0.1, seed=3)
    a = EICOBA(ne, ni, lambda k: Dense(W[k]), V0, ltc=False)
    b = EICOBA(ne, ni, lambda k: Dense(W[k]), V0, ltc=True)
    _run(a, 100), _run(b, 100)
    assert not np.array_equal(np.asarray(a.E.V.value), np.asarray(b.E.V.value))


@pytest.mark.slow  # several seconds: `make test-slow` (CI's second step)
def test_coba_network_with_event_csr_comm_matches_dense_oracle():
    """EventCSRLinear on a connector's CSR equals the dense product (spikes only)."""
    if not hasattr(bp, "conn"):
        pytest.skip("bp.conn is not available yet")
    ne, ni = 80, 20
    conns = {k: bp.conn.FixedProb(0.1, pre=ne if k[0] == "E" else ni,
                                  post=ne if k[1] == "E" else ni, seed=i)
             for i, k in enumerate(["EE", "EI", "IE", "II"])}
    weights = {"EE": 0.6, "EI": 0.6, "IE": 6.7, "II": 6.7}
    W = {}
    for k, c in conns.items():
        indices, indptr = c.require("csr")
        dense = np.zeros((c.pre_num, c.post_num), np.float32)
        for row in range(c.pre_num):
            dense[row, indices[indptr[row]:indptr[row + 1]]] = weights[k]
        W[k] = dense
    _, V0 = _random_coba(ne, ni, 0.1, seed=5)
    net = EICOBA(ne, ni, lambda k: bp.dnn.EventCSRLinear(conns[k], weights[k]), V0)
    sE, sI = _run(net, 300)
    oE, oI, _ = _coba_oracle(W, V0, ne, 300, ltc=False)
    # float sums of equal weights may round differently from the dense product:
    # compare the spike trains, which only move if a sum lands on the threshold
    np.testing.assert_array_equal(np.asarray(sE), np.asarray(oE))
    np.testing.assert_array_equal(np.asarray(sI), np.asarray(oI))


# -- a hand-built three-neuron network with a delay -------------------------------------------------

class Three(bp.DynamicalSystem):
    """A drives B (two neurons) through an excitatory projection delayed by
    0.3 ms; B inhibits itself without delay (Alpha synapse, CUBA output)."""

    def __init__(self, delay):
        super().__init__()
        self.A = bp.dyn.LifRef(1, V_initializer=bp.init.Constant(-60.), **PARS)
        self.B = bp.dyn.LifRef(2, V_initializer=bp.init.Constant(-58.), **PARS)
        self.AB = bp.dyn.FullProjAlignPostMg(
            pre=self.A, delay=delay, comm=Dense([[3., 2.]]), syn=bp.dyn.Expon.desc(2, tau=2.),
            out=bp.dyn.COBA.desc(E=0.), post=self.B)
        self.BB = bp.dyn.FullProjAlignPostMg(
            pre=self.B, delay=None, comm=Dense([[0., 4.], [4., 0.]]),
            syn=bp.dyn.Alpha.desc(2, tau_decay=3.), out=bp.dyn.CUBA.desc(), post=self.B)

    def update(self, inp):
        self.AB()
        self.BB()
        self.A(inp)
        self.B(0.)
        return self.A.spike.value, self.B.spike.value, self.B.V.value


def _three_oracle(n, k, inp):
    """k: the delay in steps (BrainPy's rotation buffer: the spikes of step i+1-k)."""
    f32 = jnp.float32
    W_AB, W_BB = jnp.asarray([[3., 2.]], f32), jnp.asarray([[0., 4.], [4., 0.]], f32)
    state = dict(VA=jnp.full(1, -60., f32), VB=jnp.full(2, -58., f32), sA=jnp.zeros(1, bool),
                 sB=jnp.zeros(2, bool), tA=jnp.full(1, -1e7, f32), tB=jnp.full(2, -1e7, f32),
                 g=jnp.zeros(2, f32), ag=jnp.zeros(2, f32), ah=jnp.zeros(2, f32),
                 hist=jnp.zeros((max(k, 1), 1), bool))

    def step(s, i):
        t = i * DT
        s = dict(s)
        if k == 0:
            spikes_a = s["sA"]
        else:   # slot (k - i - 1) % k holds step i + 1 - k's spikes
            spikes_a = s["hist"][(k - i - 1) % k]
        s["g"] = s["g"] + spikes_a.astype(f32) @ W_AB
        s["ah"] = s["ah"] + s["sB"].astype(f32) @ W_BB
        s["VA"], s["sA"], s["tA"] = _lif_ref(s["VA"], s["tA"], t, inp, [], False)
        if k:
            s["hist"] = s["hist"].at[-i % k].set(s["sA"])
        s["g"] = _decay(s["g"], 2.)
        ag = _exp_euler(lambda x: -x / 3. + s["ah"] / 3., s["ag"])
        s["ah"] = _exp_euler(lambda x: -x / 3., s["ah"])
        s["ag"] = ag
        I = 0. + s["g"] * (0. - s["VB"]) + s["ag"]
        VB = _exp_euler(lambda v: (-v + -60. + 1. * I) / 20., s["VB"]) + 0.
        refractory = (t - s["tB"]) <= 5.
        VB = jnp.where(refractory, s["VB"], VB)
        s["sB"] = VB >= -50.
        s["VB"] = jnp.where(s["sB"], -60., VB)
        s["tB"] = jnp.where(s["sB"], t, s["tB"])
        return s, (s["sA"], s["sB"], s["VB"])

    return jax.lax.scan(step, state, jnp.arange(n))[1]


@pytest.mark.parametrize("delay,k", [(None, 0), (0.3, 3), (1.0, 10)])
def test_three_neuron_network_matches_plain_jax(delay, k):
    net = Three(delay)
    sA, sB, VB = _run(net, 400, inp=80.)
    oA, oB, oVB = _three_oracle(400, k, 80.)
    assert int(oA.sum()) >= 4 and int(oB.sum()) >= 2
    np.testing.assert_array_equal(np.asarray(sA), np.asarray(oA))
    np.testing.assert_array_equal(np.asarray(sB), np.asarray(oB))
    np.testing.assert_allclose(np.asarray(VB), np.asarray(oVB), rtol=0, atol=1e-5)


def test_delay_shifts_the_first_arrival():
    """BrainPy 2.8's rotation buffer: a spike emitted at step j is read at step
    j + k - 1 through a k-step entry (k >= 2), at step j + 1 without delay: a
    1.0 ms delay (10 steps) arrives 8 steps later than none."""
    arrivals = {}
    for delay, k in [(None, 0), (1.0, 10)]:
        net = Three(delay)

        def step(i):
            with bp.share.context(t=i * DT, i=i, dt=DT):
                net.update(80.)
            return net.AB.syn.g.value[0]

        g = np.asarray(bm.for_loop(step, bm.arange(200)))
        arrivals[k] = int(np.argmax(g > 0))
    assert arrivals[10] - arrivals[0] == 8


# -- merging, wiring, order -------------------------------------------------------------------------

def test_equal_descriptions_share_one_synapse_and_output():
    pre1, pre2, post = bp.dyn.LifRef(2), bp.dyn.LifRef(3), bp.dyn.LifRef(2)
    p1 = bp.dyn.FullProjAlignPostMg(pre=pre1, delay=None, comm=Dense(np.eye(2)),
                                    syn=bp.dyn.Expon.desc(2, tau=5.), out=bp.dyn.COBA.desc(E=0.),
                                    post=post)
    p2 = bp.dyn.FullProjAlignPostMg(pre=pre2, delay=None, comm=Dense(np.ones((3, 2))),
                                    syn=bp.dyn.Expon.desc(2, tau=5.), out=bp.dyn.COBA.desc(E=0.),
                                    post=post)
    p3 = bp.dyn.FullProjAlignPostMg(pre=pre2, delay=None, comm=Dense(np.ones((3, 2))),
                                    syn=bp.dyn.Expon.desc(2, tau=6.), out=bp.dyn.COBA.desc(E=0.),
                                    post=post)
    assert p1.syn is p2.syn and p1.out is p2.out
    assert p3.syn is not p1.syn
    assert len(post.before_updates) == 2 and len(post.current_inputs) == 2
    pre1.spike.value = jnp.asarray([True, False])
    pre2.spike.value = jnp.asarray([True, True, False])
    p1(), p2()
    np.testing.assert_array_equal(np.asarray(p1.syn.g.value), [3., 2.])


def test_half_projection_takes_spikes_as_argument():
    post = bp.dyn.LifRef(2, V_initializer=bp.init.Constant(-60.), **PARS)
    proj = bp.dyn.HalfProjAlignPostMg(comm=Dense([[1., 0.], [0., 2.]]),
                                      syn=bp.dyn.Expon.desc(2, tau=5.),
                                      out=bp.dyn.COBA.desc(E=0.), post=post)
    with bp.share.context(t=0., i=0, dt=DT):
        proj(jnp.asarray([True, True]))
        post(0.)
    g = _decay(jnp.asarray([1., 2.]), 5.)
    np.testing.assert_array_equal(np.asarray(proj.syn.g.value), np.asarray(g))
    I = 0. + g * (0. - (-60.))
    V = _exp_euler(lambda v: (-v - 60. + I) / 20., jnp.full(2, -60., jnp.float32)) + 0.
    np.testing.assert_array_equal(np.asarray(post.V.value), np.asarray(V))


def test_network_updates_projections_then_groups_then_the_rest():
    order = []

    class Log(bp.DynamicalSystem):
        def __init__(self, tag):
            super().__init__()
            self.tag = tag

        def update(self):
            order.append(self.tag)

    class P(bp.dyn.Projection):
        def update(self):
            order.append("proj")

    class G(bp.dyn.Dynamic):
        def update(self):
            order.append("group")

    net = bp.Network(Log("other"), G(1), P(), extra=P())
    net()
    assert order == ["proj", "proj", "group", "other"]


def test_reset_state_restores_the_initial_network():
    ne, ni = 40, 10
    W, V0 = _random_coba(ne, ni, 0.2, seed=1)
    net = EICOBA(ne, ni, lambda k: Dense(W[k]), V0)
    first = _run(net, 100)
    spike_var = net.E.spike
    net.reset_state()
    assert net.E.spike is spike_var             # the Variables are kept, their values reset
    np.testing.assert_array_equal(np.asarray(net.E.V.value), V0[:ne])
    np.testing.assert_array_equal(np.asarray(net.E2E.syn.g.value), np.zeros(ne))
    again = _run(net, 100)
    np.testing.assert_array_equal(np.asarray(first[0]), np.asarray(again[0]))
    np.testing.assert_array_equal(np.asarray(first[1]), np.asarray(again[1]))


def test_jitted_steps_match_the_loop_and_leave_no_tracers():
    ne, ni = 40, 10
    W, V0 = _random_coba(ne, ni, 0.2, seed=2)
    a = EICOBA(ne, ni, lambda k: Dense(W[k]), V0)
    b = EICOBA(ne, ni, lambda k: Dense(W[k]), V0)
    looped = _run(a, 60)

    @bm.jit
    def step(net, i):
        with bp.share.context(t=i * DT, i=i, dt=DT):
            return net.update()

    stepped = [step(b, jnp.asarray(i)) for i in range(60)]
    np.testing.assert_array_equal(np.asarray(looped[0]), np.stack([s[0] for s in stepped]))
    assert step.cache_size == 1
    assert_no_tracers(b)


@pytest.mark.slow  # several seconds: `make test-slow` (CI's second step)
def test_vmap_over_a_batch_of_inputs_matches_separate_runs():
    ne, ni = 40, 10
    W, V0 = _random_coba(ne, ni, 0.2, seed=4)
    inputs = jnp.asarray([15., 20., 25.])
    singles = []
    for inp in inputs:
        net = EICOBA(ne, ni, lambda k: Dense(W[k]), V0, inp=float(inp))
        singles.append(np.asarray(_run(net, 80)[0]))

    class Driven(EICOBA):
        def update(self, inp):
            self.E2I(), self.I2I(), self.I2E(), self.E2E()
            self.E(inp), self.I(inp)
            return self.E.spike.value

    net = Driven(ne, ni, lambda k: Dense(W[k]), V0)
    net.reset_state(3)
    assert net.E.V.shape == (3, ne) and net.E2E.syn.g.shape == (3, ne)

    def run(model, inp):
        def step(i):
            with bp.share.context(t=i * DT, i=i, dt=DT):
                return model.update(inp)
        return bm.for_loop(step, bm.arange(80))

    batched = bm.vmap(run, in_axes=(0, 0))(net, inputs)
    for b in range(3):
        np.testing.assert_array_equal(np.asarray(batched[b]), singles[b])
    assert_no_tracers(net)


def test_step_run_in_for_loop_is_brainpys_t_convention():
    ne, ni = 40, 10
    W, V0 = _random_coba(ne, ni, 0.2, seed=6)
    a = EICOBA(ne, ni, lambda k: Dense(W[k]), V0)
    b = EICOBA(ne, ni, lambda k: Dense(W[k]), V0)
    out_a = _run(a, 50)
    out_b = bm.for_loop(b.step_run, bm.arange(50))
    np.testing.assert_array_equal(np.asarray(out_a[0]), np.asarray(out_b[0]))


# -- errors ----------------------------------------------------------------------------------------

def test_projection_arguments_are_checked():
    post = bp.dyn.LifRef(2)
    with pytest.raises(TypeError, match="syn must be a description"):
        bp.dyn.HalfProjAlignPostMg(comm=Dense(np.eye(2)), syn=bp.dyn.Expon(2),
                                   out=bp.dyn.COBA.desc(E=0.), post=post)
    with pytest.raises(TypeError, match="post must be a DynamicalSystem"):
        bp.dyn.HalfProjAlignPostMg(comm=Dense(np.eye(2)), syn=bp.dyn.Expon.desc(2),
                                   out=bp.dyn.COBA.desc(E=0.), post="post")
    with pytest.raises(ValueError, match="delay time must be finite and >= 0"):
        bp.dyn.FullProjAlignPostMg(pre=bp.dyn.LifRef(2), delay=-1., comm=Dense(np.eye(2)),
                                   syn=bp.dyn.Expon.desc(2), out=bp.dyn.COBA.desc(E=0.),
                                   post=post)


# -- BrainPy 2.8's own spikes ----------------------------------------------------------------------

def _data(name):
    path = os.path.join(DATA, name)
    if not os.path.exists(path):
        pytest.skip(f"reference data {path} not generated yet")
    return np.load(path, allow_pickle=False)
