"""bp.dyn models one by one: LIF neurons, synapses, outputs, descriptors,
delays, PoissonGroup, resets and refusals, against closed forms and plain
NumPy/JAX recursions."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import brainobj as bp
import brainobj.math as bm
from _helpers import assert_no_tracers, assert_refused

DT = 0.1


def _loop(step, n):
    def body(i):
        with bp.share.context(t=i * DT, i=i, dt=DT):
            return step(i)
    return bm.for_loop(body, bm.arange(n))


# -- neurons ---------------------------------------------------------------------------------------

def test_lif_below_threshold_follows_the_exponential_solution():
    V0 = np.array([-70., -60., -52.], np.float32)
    neu = bp.dyn.Lif(3, V_rest=-60., V_th=100., V_reset=-60., tau=20., V_initializer=V0)
    V = np.asarray(_loop(lambda i: (neu(5.), neu.V.value)[1], 300))
    t = (np.arange(300) + 1) * DT
    V_inf = -60. + 5.
    exact = V_inf + (V0[None] - V_inf) * np.exp(-t[:, None] / 20.)
    np.testing.assert_allclose(V, exact, rtol=0, atol=2e-4)


def test_lif_ref_spikes_resets_and_holds_for_tau_ref():
    neu = bp.dyn.LifRef(1, V_rest=-60., V_th=-50., V_reset=-60., tau=20., tau_ref=2.,
                        V_initializer=bp.init.Constant(-60.))
    V, spike = _loop(lambda i: (neu(30.), neu.V.value)[::-1], 400)
    V, spike = np.asarray(V)[:, 0], np.asarray(spike)[:, 0]
    steps = np.where(spike)[0]
    assert len(steps) >= 3
    # a NumPy float32 oracle of the rule: refractory while t - t_spike <= tau_ref
    t = (np.arange(400) * np.float32(DT)).astype(np.float32)
    for s, nxt in zip(steps, steps[1:]):
        assert V[s] == -60.
        held = [j for j in range(s + 1, nxt) if V[j] == -60.]
        expected = [j for j in range(s + 1, nxt) if np.float32(t[j] - t[s]) <= 2.]
        assert held == expected
    np.testing.assert_array_equal(np.asarray(neu.t_last_spike.value), [t[steps[-1]]])


def test_ltc_sums_conductance_currents_inside_the_integration():
    """With g (E - V) as input, LifRefLTC integrates the linear ODE with rate
    (1 + g) / tau exactly (exponential Euler), LifRef freezes the current at the old V."""
    g, E = 0.5, 0.
    pars = dict(V_rest=-60., V_th=100., V_reset=-60., tau=20., tau_ref=0.,
                V_initializer=bp.init.Constant(-60.))
    ltc, ref = bp.dyn.LifRefLTC(1, **pars), bp.dyn.LifRef(1, **pars)
    for neu in (ltc, ref):
        neu.add_inp_fun("cond", lambda V: g * (E - V))
    _loop(lambda i: (ltc(0.), ref(0.))[0], 50)
    V_inf = (-60. + g * E) / (1 + g)
    exact = V_inf + (-60. - V_inf) * math.exp(-5. * (1 + g) / 20.)
    assert abs(float(ltc.V[0]) - exact) < 1e-4
    assert abs(float(ref.V[0]) - exact) > 1e-3


def test_neuron_reset_state_and_batches():
    V0 = np.array([-55., -58.], np.float32)
    neu = bp.dyn.LifRef(2, V_initializer=V0, tau_ref=1.)
    V_var = neu.V
    _loop(lambda i: neu(30.), 50)
    neu.reset_state()
    assert neu.V is V_var
    np.testing.assert_array_equal(np.asarray(neu.V.value), V0)
    np.testing.assert_array_equal(np.asarray(neu.t_last_spike.value), [-1e7, -1e7])
    neu.reset_state(4)
    assert neu.V.shape == (4, 2) and neu.V.batch_axis == 0 and neu.spike.shape == (4, 2)
    np.testing.assert_array_equal(np.asarray(neu.V.value), np.tile(V0, (4, 1)))
    batched = bp.dyn.LifRef(2, mode=bm.BatchingMode(3))
    assert batched.V.shape == (3, 2)


def test_random_initializer_draws_again_on_reset():
    bm.random.seed(1)
    neu = bp.dyn.LifRef(50, V_initializer=bp.init.Normal(-55., 2.))
    first = np.asarray(neu.V.value)
    assert abs(first.mean() + 55.) < 1. and 1. < first.std() < 3.
    neu.reset_state()
    assert not np.array_equal(first, np.asarray(neu.V.value))


def test_jitted_neuron_step_leaves_no_tracers():
    neu = bp.dyn.LifRef(3, V_initializer=bp.init.Constant(-52.), tau_ref=1.)

    @bm.jit
    def step(i):
        with bp.share.context(t=i * DT, i=i):
            return neu(20.)

    for i in range(5):
        step(jnp.asarray(i))
    assert step.cache_size == 1
    assert_no_tracers(neu)


def test_neuron_arguments_are_checked():
    with pytest.raises(ValueError, match="size must be an int"):
        bp.dyn.LifRef(2.5)
    with pytest.raises(ValueError, match=r"expected \(3,\)"):
        bp.dyn.LifRef(3, V_initializer=np.zeros(4, np.float32))
    with pytest.raises(TypeError, match="mode must be a bm.Mode"):
        bp.dyn.LifRef(3, mode="batch")
    with pytest.raises(NotImplementedError, match="training mode"):
        bp.dyn.LifRef(3, mode=bm.TrainingMode())
    with pytest.raises(ValueError, match="does not broadcast"):
        bp.dyn.LifRef(3, tau=np.ones(4))
    with pytest.raises(KeyError, match="bp.share has no 't'"):
        bp.dyn.LifRef(3)(1.)


# -- synapses and outputs --------------------------------------------------------------------------

def test_expon_decays_exponentially_after_an_input():
    syn = bp.dyn.Expon(2, tau=4.)
    x = np.zeros((200, 2), np.float32)
    x[0] = [1., 3.]
    g = np.asarray(_loop(lambda i: syn(jnp.asarray(x)[i]), 200))
    n = np.arange(200)
    np.testing.assert_allclose(g, np.array([1., 3.]) * np.exp(-n * DT / 4.)[:, None], rtol=2e-5)


def test_alpha_follows_the_alpha_function():
    syn = bp.dyn.Alpha(1, tau_decay=5.)
    x = np.zeros((600, 1), np.float32)
    x[0] = 1.
    g = np.asarray(_loop(lambda i: syn(jnp.asarray(x)[i]), 600))[:, 0]
    t = np.arange(600) * DT
    exact = t / 5. * np.exp(-t / 5.)              # h(0) = 1: g = t/tau e^{-t/tau}
    np.testing.assert_allclose(g, exact, atol=5e-3)     # first order in dt: ~dt/(2 tau) of the peak
    assert abs(np.argmax(g) * DT - 5.) < 0.3


def test_add_current_is_what_align_post_projections_use():
    syn, alpha = bp.dyn.Expon(2), bp.dyn.Alpha(2)
    syn.add_current(jnp.asarray([1., 2.]))
    alpha.add_current(jnp.asarray([1., 2.]))
    np.testing.assert_array_equal(np.asarray(syn.g.value), [1., 2.])
    np.testing.assert_array_equal(np.asarray(alpha.h.value), [1., 2.])


@settings(max_examples=30, deadline=None)
@given(g=st.one_of(st.just(0.), st.floats(1e-6, 10.)), V=st.floats(-100., 50.),
       E=st.floats(-90., 10.))
def test_outputs_compute_brainpys_formulas(g, V, E):
    # (no subnormal g: XLA on CPU flushes them to zero, NumPy does not)
    gs, Vs = np.float32([g]), np.float32([V])
    coba, cuba = bp.dyn.COBA(E=E), bp.dyn.CUBA()
    coba.bind_cond(gs)
    cuba.bind_cond(gs)
    np.testing.assert_array_equal(np.asarray(coba(Vs)), gs * (np.float32(E) - Vs))
    np.testing.assert_array_equal(np.asarray(cuba(Vs)), gs)


def test_output_without_conductance_and_bad_binding_are_refused():
    with pytest.raises(ValueError, match="bind the conductance"):
        bp.dyn.COBA(E=0.)(jnp.zeros(2))
    out = bp.dyn.COBA(E=0.)
    out.bind_cond(jnp.ones(2))

    @bm.jit
    def bad():
        out.bind_cond(jnp.ones(3))

    assert_refused(bad, bm.MathError, r"COBA\d+\.bind_cond: got a conductance of shape \(3,\)",
                   [out])


def test_descriptions_identify_equal_parameters():
    a, b = bp.dyn.Expon.desc(10, tau=5.), bp.dyn.Expon.desc(10, tau=5.)
    c = bp.dyn.Expon.desc(10, tau=6.)
    assert a.identifier == b.identifier != c.identifier
    syn = a()
    assert isinstance(syn, bp.dyn.Expon) and syn.tau == 5. and syn.num == 10
    assert bp.dyn.COBA.desc(E=-80.).identifier == "COBA(E=-80.0)"
    with pytest.raises(TypeError, match="cls must be a class"):
        bp.dyn.ParamDescriber(lambda: 0)


# -- delays ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["rotation", "concat"])
def test_var_delay_against_a_list_of_past_values(method):
    x = bm.Variable(jnp.zeros(2))
    d = bp.dyn.VarDelay(x, entries={"none": None, "k3": 0.3, "k5": 0.5}, method=method)
    assert d.max_length == 5

    def step(i):
        out = jnp.stack([d.at("none"), d.at("k3"), d.at("k5")])
        x.value = jnp.stack([i * 1., -i * 1.])
        d()
        return out

    got = np.asarray(_loop(step, 20))
    hist = [np.array([i, -i], np.float32) for i in range(20)]

    def written(j):
        return hist[j] if j >= 0 else np.zeros(2, np.float32)

    for i in range(20):
        np.testing.assert_array_equal(got[i, 0], written(i - 1))
        for col, k in ((1, 3), (2, 5)):
            # rotation: step i reads step i + 1 - k; concat: step i - k
            j = i + 1 - k if method == "rotation" else i - k
            np.testing.assert_array_equal(got[i, col], written(j))


def test_delay_registration_rules():
    x = bm.Variable(jnp.zeros(3))
    d = bp.dyn.VarDelay(x)
    assert d.data is None
    d.register_entry("a", 1.0)
    assert d.max_length == 10 and d.data.shape == (10, 3)
    d.register_entry("b", delay_step=3)
    assert d.max_length == 10
    with pytest.raises(KeyError, match="already registered"):
        d.register_entry("a", 0.5)
    with pytest.raises(KeyError, match="no entry 'zz'"):
        d.at("zz")
    with pytest.raises(ValueError, match="delay time must be finite and >= 0"):
        d.register_entry("c", -0.1)
    with pytest.raises(ValueError, match="not both"):
        d.register_entry("c", 0.1, delay_step=1)
    with pytest.raises(TypeError, match="target must be a bm.Variable"):
        bp.dyn.VarDelay(np.zeros(2))
    with pytest.raises(ValueError, match="method must be"):
        bp.dyn.VarDelay(x, method="shift")


def test_delay_follows_its_group_through_a_batch_reset():
    pre = bp.dyn.LifRef(2)
    delay = bp.dyn.register_delay_by_return(pre)
    delay.register_entry("e", 0.2)
    pre.reset_state(3)
    delay.reset_state(3)
    assert delay.target is pre.spike and delay.data.shape == (2, 3, 2)


# -- PoissonGroup ----------------------------------------------------------------------------------

@pytest.mark.slow  # several seconds: `make test-slow` (CI's second step)
def test_poisson_group_rate_and_reproducibility():
    def run(seed):
        bm.random.seed(seed)
        group = bp.dyn.PoissonGroup(500, freqs=50.)
        return np.asarray(_loop(lambda i: group(), 400))

    a, b, c = run(3), run(3), run(4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    p = 50. * DT / 1000.
    n = a.size
    assert abs(a.mean() - p) < 4 * math.sqrt(p * (1 - p) / n)


def test_poisson_group_per_neuron_rates_and_checks():
    bm.random.seed(0)
    group = bp.dyn.PoissonGroup(2, freqs=np.array([0., 1000.], np.float32))
    spikes = np.asarray(_loop(lambda i: group(), 2000))
    assert spikes[:, 0].sum() == 0 and abs(spikes[:, 1].mean() - 0.1) < 0.03
    with pytest.raises(ValueError, match="freqs must be >= 0"):
        bp.dyn.PoissonGroup(2, freqs=-1.)


# -- groups ----------------------------------------------------------------------------------------

def test_call_runs_before_update_after_in_order():
    log = []

    class S(bp.DynamicalSystem):
        def update(self, x):
            log.append(("update", x))
            return x * 2

    s = S()
    s.add_bef_update("b", lambda: log.append("before"))
    s.add_bef_update("bi", bp.dyn.receive_update_input(lambda x: log.append(("before", x))))
    s.add_aft_update("a", lambda out: log.append(("after", out)))
    s.add_aft_update("an", bp.dyn.not_receive_update_output(lambda: log.append("after")))
    assert s(3) == 6
    assert log == ["before", ("before", 3), ("update", 3), ("after", 6), "after"]
    with pytest.raises(KeyError, match="already registered"):
        s.add_bef_update("b", print)
    with pytest.raises(ValueError, match="already used"):
        s.add_inp_fun("k", abs), s.add_inp_fun("k", abs)


def test_network_children_and_reset_levels():
    order = []

    class A(bp.DynamicalSystem):
        def update(self):
            pass

        @bp.dyn.reset_level(1)
        def reset_state(self, *args):
            order.append("late")

    class B(bp.DynamicalSystem):
        def update(self):
            pass

        def reset_state(self, *args):
            order.append("plain")

    net = bp.Network(A(), b=B())
    net.reset_state()
    assert order == ["plain", "late"]
    assert isinstance(net.b, B)
    with pytest.raises(TypeError, match="children must be DynamicalSystem"):
        bp.Network(a=3)
