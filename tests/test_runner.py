"""bp.Runner / bp.DSRunner against plain NumPy loops: time, monitors, inputs, compilation counts."""

import gc
import weakref

import jax
import jax.monitoring
import jax.numpy as jnp
import numpy as np
import pytest

import brainobj as bp
import brainobj.math as bm

share = bp.share
from _helpers import assert_close, assert_no_tracers, assert_refused, assert_same, state_of, count_compilations

class Leaky(bp.BrainPyObject):
    """v <- a * v + x; records the time and index it was called with."""

    def __init__(self, n=3, a=0.9):
        self.a = a
        self.v = bm.Variable(jnp.zeros(n))
        self.seen_t = bm.Variable(jnp.zeros(()))
        self.seen_i = bm.Variable(jnp.zeros((), jnp.int32))

    def update(self, x):
        self.v.value = self.a * self.v + x
        self.seen_t.value = share.load("t")
        self.seen_i.value = share.load("i")
        return self.v.value * 2.0

    def reset_state(self, batch_size=None):
        self.v.value = jnp.zeros_like(self.v.value)


def leaky_oracle(xs, v0, a=0.9):
    v, vs = np.array(v0, np.float32), []
    for x in xs:
        v = np.float32(a) * v + np.asarray(x, np.float32)
        vs.append(v)
    return np.stack(vs)


class LIF(bp.BrainPyObject):
    """A LIF group written by hand (BrainPy's LIF with refractoriness), reading t and dt."""

    def __init__(self, n):
        self.V = bm.Variable(jnp.full(n, -65.0))
        self.spike = bm.Variable(jnp.zeros(n, bool))
        self.t_last = bm.Variable(jnp.full(n, -1e7))
        self.input = bm.Variable(jnp.zeros(n))

    def update(self):
        t, dt = share.load("t"), share.load("dt")
        refractory = (t - self.t_last) <= 2.0
        V = self.V + (-self.V + -65.0 + self.input * 10.0) / 10.0 * dt
        V = jnp.where(refractory, self.V, V)
        spike = V >= -50.0
        self.spike.value = spike
        self.t_last.value = jnp.where(spike, t, self.t_last)
        self.V.value = jnp.where(spike, -70.0, V)

    def clear_input(self):
        self.input.value = jnp.zeros_like(self.input.value)


def lif_oracle(n, steps, currents, dt, t0=0.0):
    f = np.float32
    V, t_last = np.full(n, -65.0, f), np.full(n, -1e7, f)
    Vs, spikes = [], []
    for i in range(steps):
        t = f(t0 + i * dt)
        refractory = (t - t_last) <= f(2.0)
        V_new = V + (-V + f(-65.0) + currents * f(10.0)) / f(10.0) * f(dt)
        V_new = np.where(refractory, V, V_new)
        spike = V_new >= f(-50.0)
        t_last = np.where(spike, t, t_last)
        V = np.where(spike, f(-70.0), V_new)
        Vs.append(V)
        spikes.append(spike)
    return np.stack(Vs), np.stack(spikes)


class Net(bp.BrainPyObject):
    def __init__(self):
        self.E = LIF(4)
        self.I = LIF(2)

    def update(self):
        self.E.update()
        self.I.update()


# -- oracles -------------------------------------------------------------------------------

def test_leaky_integrator_matches_numpy_loop():
    model = Leaky()
    runner = bp.Runner(model, monitors=["v", "seen_t", "seen_i"], dt=0.25, t0=1.0,
                       progress_bar=False)
    xs = np.random.default_rng(0).normal(size=(7, 3)).astype(np.float32)
    out = runner.run(7 * 0.25, xs)
    expected = leaky_oracle(xs, np.zeros(3))
    assert_close(runner.mon["v"], expected, rtol=1e-6, atol=1e-6)
    assert_close(out, jnp.asarray(expected * 2.0), rtol=1e-6, atol=1e-6)
    # BrainPy: step i is computed at t = t0 + i * dt, and ts records those times
    ts = 1.0 + np.arange(7) * 0.25
    np.testing.assert_array_equal(runner.mon.ts, ts)
    assert runner.mon["ts"] is runner.mon.ts and runner.mon.ts.dtype == np.float64
    assert_same(runner.mon["seen_t"], ts.astype(np.float32))
    assert_same(runner.mon["seen_i"], np.arange(7, dtype=np.int32))
    assert isinstance(runner.mon["v"], np.ndarray)
    assert runner.i0 == 7
    assert_no_tracers(model)
    assert share.load("t", None) is None  # no value left behind by the run


def test_hand_written_lif_matches_numpy_loop_exactly():
    net = Net()
    currents = np.linspace(1.0, 3.0, 4).astype(np.float32)
    net.E.input.value = jnp.asarray(currents)
    # the input is cleared after each step (clear_input), so give it every step:
    runner = bp.Runner(net, monitors={"E.V": "E.V", "spikes": "E.spike",
                                      "I0": ("I.V", 0), "fn": lambda: net.E.V[:2]},
                       inputs=[("E.input", currents, "fix", "=")], dt=0.1, progress_bar=False)
    runner.run(40.0)
    Vs, spikes = lif_oracle(4, 400, currents, 0.1)
    assert spikes.any() and not spikes.all()
    assert_same(runner.mon["spikes"], spikes)
    assert_close(runner.mon["E.V"], Vs, rtol=1e-6, atol=1e-5)
    assert_close(runner.mon["fn"], Vs[:, :2], rtol=1e-6, atol=1e-5)
    I_V, _ = lif_oracle(2, 400, np.zeros(2, np.float32), 0.1)
    assert_close(runner.mon["I0"], I_V[:, [0]], rtol=1e-6, atol=1e-5)
    assert_same(net.E.input, np.zeros(4, np.float32))  # cleared after the last step


# -- time across runs ----------------------------------------------------------------------

@pytest.mark.parametrize("first", [1, 6])
def test_two_runs_equal_one_long_run(first):
    xs = np.random.default_rng(1).normal(size=(8, 3)).astype(np.float32)
    one, two = Leaky(), Leaky()
    r1 = bp.Runner(one, monitors=["v", "seen_t"], dt=0.5, progress_bar=False)
    r2 = bp.Runner(two, monitors=["v", "seen_t"], dt=0.5, progress_bar=False)
    out = r1.run(4.0, xs)
    out_a = r2.run(None, xs[:first])
    mon_a = dict(r2.mon)
    out_b = r2.run(None, xs[first:])
    assert_same(jnp.concatenate([out_a, out_b]), out)
    for key in ("v", "seen_t", "ts"):
        assert_same(np.concatenate([mon_a[key], r2.mon[key]]), r1.mon[key])
    assert_same(state_of(one), state_of(two))
    assert r1.i0 == r2.i0 == 8


def test_reset_state_restarts_time():
    model = Leaky()
    runner = bp.Runner(model, monitors=["seen_t"], dt=1.0, t0=10.0, progress_bar=False)
    runner.run(3.0, np.ones((3, 3), np.float32))
    runner.run(2.0, 1.0)
    np.testing.assert_array_equal(runner.mon.ts, [13.0, 14.0])
    runner.reset_state()
    assert runner.i0 == 0
    runner.run(2.0, 1.0)
    np.testing.assert_array_equal(runner.mon.ts, [10.0, 11.0])
    assert_same(runner.mon["seen_t"], np.array([10.0, 11.0], np.float32))
    assert float(model.v[0]) != 1.0  # the model itself was not reset
    runner.run(1.0, 1.0, reset_state=True)  # resets both
    np.testing.assert_array_equal(runner.mon.ts, [10.0])
    assert_same(model.v, np.ones(3, np.float32))


@pytest.mark.parametrize("progress_bar", [False, True, bm.ProgressBar(freq=2)])
def test_progress_bar_on_and_off_give_the_same_results(progress_bar, capsys):
    xs = np.arange(12, dtype=np.float32).reshape(4, 3)
    model = Leaky()
    runner = bp.Runner(model, monitors=["v"], dt=0.1, progress_bar=progress_bar)
    out = runner.run(None, xs)
    assert_close(runner.mon["v"], leaky_oracle(xs, np.zeros(3)), rtol=1e-6)
    assert_close(out, jnp.asarray(leaky_oracle(xs, np.zeros(3)) * 2), rtol=1e-6)
    err = capsys.readouterr().err
    assert ("4/4" in err) == (progress_bar is not False)


def test_jit_false_runs_the_same_steps():
    xs = np.random.default_rng(2).normal(size=(5, 3)).astype(np.float32)
    a, b = Leaky(), Leaky()
    ra = bp.Runner(a, monitors=["v", "seen_t"], dt=0.1, progress_bar=False)
    rb = bp.Runner(b, monitors=["v", "seen_t"], dt=0.1, progress_bar=False, jit=False)
    assert_close(ra.run(None, xs), rb.run(None, xs), rtol=1e-6)
    assert_close(dict(ra.mon), dict(rb.mon), rtol=1e-6)
    assert_no_tracers(b)


# -- compilation -------------------------------------------------------------------------------

def test_a_second_run_compiles_nothing():
    model = Leaky()
    runner = bp.Runner(model, monitors=["v", "seen_t"], dt=0.1, progress_bar=True)
    xs = np.ones((10, 3), np.float32)
    with count_compilations() as first:
        runner.run(1.0, xs)
    assert first[0] >= 1
    with count_compilations() as again:
        runner.run(1.0, xs * 2)         # other values, times and indices: same program
        runner.run(1.0, xs)
        runner(1.0, xs)
    assert again[0] == 0
    with count_compilations() as longer:
        runner.run(2.0, np.ones((20, 3), np.float32))
    assert longer[0] >= 1                # a new loop length is a new program
    with count_compilations() as back:
        runner.run(1.0, xs)              # ... compiled once, kept
        runner.run(2.0, np.ones((20, 3), np.float32))
    assert back[0] == 0
    np.testing.assert_array_equal(runner.mon.ts, (70 + np.arange(20)) * 0.1)


def test_constant_inputs_are_not_compiled_in():
    model = Leaky()
    runner = bp.Runner(model, monitors=["v"], dt=1.0, progress_bar=False)
    runner.run(3.0, 1.0)
    with count_compilations() as count:
        runner.run(3.0, 2.0)
    assert count[0] == 0
    assert_close(runner.mon["v"], leaky_oracle([2.0] * 3, leaky_oracle([1.0] * 3, np.zeros(3))[-1]),
                 rtol=1e-6)


def test_runner_and_model_are_freed():
    model = Leaky()
    runner = bp.Runner(model, monitors=["v"], dt=1.0, progress_bar=False)
    runner.run(2.0, 1.0)
    refs = weakref.ref(runner), weakref.ref(model)
    del runner, model
    gc.collect()
    assert refs[0]() is None and refs[1]() is None


# -- monitors and inputs ----------------------------------------------------------------------

def test_monitor_forms_and_names():
    net = Net()
    runner = bp.Runner(net, monitors=[("E.V", [1, 3]), ("I.spike", 1)], dt=0.1, progress_bar=False)
    runner.run(1.0)
    assert runner.mon["E.V"].shape == (10, 2) and runner.mon["I.spike"].shape == (10, 1)
    by_name = bp.Runner(net, monitors=[f"{net.E.name}.V"], dt=0.1, progress_bar=False)
    by_name.run(0.5)
    assert_same(by_name.mon[f"{net.E.name}.V"][-1], net.E.V)
    var = bp.Runner(net, monitors={"v": net.I.V, "w": (net.I.V, [0])}, dt=0.1,
                    numpy_mon_after_run=False, progress_bar=False)
    var.run(0.3)
    assert isinstance(var.mon["v"], jax.Array) and isinstance(var.mon.ts, jax.Array)
    assert_same(var.mon["w"][:, 0], var.mon["v"][:, 0])


def test_brainpy_inputs_and_dsrunner_argument_order():
    class Cell(bp.BrainPyObject):
        def __init__(self):
            self.a = bm.Variable(jnp.zeros(()))
            self.b = bm.Variable(jnp.ones(()))
            self.c = bm.Variable(jnp.zeros(()))

        def update(self):
            return self.a.value + self.b.value + self.c.value

    cell = Cell()
    drive = np.array([1.0, 2.0, 3.0], np.float32)
    runner = bp.DSRunner(cell, [("a", 1.0), ("b", 2.0, "fix", "*"), (cell.c, drive, "iter", "="),
                                ("a", lambda: share.load("t"), "func", "-")],
                         ["a", "b"], dt=1.0, progress_bar=False)
    out = runner.run(3.0)
    a, b, outs = 0.0, 1.0, []
    for i in range(3):
        a, b, c = a + 1.0 - i * 1.0, b * 2.0, drive[i]
        outs.append(a + b + c)
    assert_close(out, jnp.asarray(outs, jnp.float32))
    assert_close(runner.mon["b"], np.array([2.0, 4.0, 8.0], np.float32))


def test_shared_args_reach_the_model():
    class Gain(bp.BrainPyObject):
        def update(self, x):
            return x * share.load("gain")

    runner = bp.Runner(Gain(), progress_bar=False)
    assert_same(runner.run(None, jnp.arange(3.0), shared_args={"gain": 3.0}),
                jnp.arange(3.0) * 3.0)
    assert share.load("gain", None) is None


# -- errors ------------------------------------------------------------------------------------------

def test_unknown_monitor_path_names_path_and_object():
    net = Net()
    with pytest.raises(bp.errors.MonitorError, match=r"'E\.spk'.*LIF.*target\.E.*'spk'"):
        bp.Runner(net, monitors=["E.spk"])
    with pytest.raises(bp.errors.MonitorError, match=r"'nope'.*Net"):
        bp.Runner(net, monitors={"x": "nope"})
    with pytest.raises(bp.errors.MonitorError, match=r"not a Variable"):
        bp.Runner(Leaky(), monitors=["a"])


def test_inputs_of_the_wrong_length_are_refused():
    model = Leaky()
    runner = bp.Runner(model, monitors=["v"], dt=0.1, progress_bar=False)
    runner.run(0.2, np.ones((2, 3)))
    before_mon = dict(runner.mon)
    assert_refused(lambda: runner.run(1.0, np.ones((5, 3))), bp.errors.RunningError,
                   r"args\[0\] has 5 rows.*10 steps", [model])
    assert_refused(lambda: runner.run(None, np.ones((5, 3)), np.ones((4, 3))),
                   bp.errors.RunningError, r"disagree.*5.*4", [model])
    assert_refused(lambda: runner.run(None), bp.errors.RunningError, r"give a duration", [model])
    assert_refused(lambda: runner.run(1.0, "x"), bp.errors.RunningError, r"str", [model])
    assert runner.i0 == 2 and runner.mon.keys() == before_mon.keys()


def test_running_inside_a_transform_is_refused():
    model = Leaky()
    runner = bp.Runner(model, dt=0.1, progress_bar=False)
    assert_refused(lambda: bm.jit(lambda: runner.run(0.3, 1.0))(), bp.errors.RunningError,
                   r"inside a transform", [model])
    assert_refused(lambda: jax.jit(lambda x: runner.run(None, x))(jnp.ones((3, 3))),
                   bp.errors.RunningError, r"traced input", [model])
    assert runner.i0 == 0


def test_an_error_mid_run_leaves_no_tracer_and_no_change():
    class Fragile(Leaky):
        def update(self, x):
            out = super().update(x)
            if self.a < 0:
                raise ValueError("Fragile: broke while tracing")
            return out

    model = Fragile()
    runner = bp.Runner(model, monitors=["v"], dt=0.1, progress_bar=True)
    runner.run(0.3, 1.0)
    mon, i0 = dict(runner.mon), runner.i0
    model.a = -1.0
    assert_refused(lambda: runner.run(0.3, 1.0), ValueError, "broke while tracing", [model])
    assert runner.i0 == i0 and all(runner.mon[k] is mon[k] for k in mon)
    assert share.get_shargs() == {}
    model.a = 0.9
    runner.run(0.3, 1.0)
    assert runner.i0 == i0 + 3


def test_bad_settings_are_refused():
    with pytest.raises(TypeError, match="BrainPyObject"):
        bp.Runner(lambda: None)
    with pytest.raises(bp.errors.RunningError, match="dt must be a positive"):
        bp.Runner(Leaky(), dt=0.0)
    with pytest.raises(TypeError, match="progress_bar"):
        bp.Runner(Leaky(), progress_bar="yes")
    with pytest.raises(bp.errors.RunningError, match="input type"):
        bp.Runner(Leaky(), inputs=[("v", 1.0, "loop")])
    with pytest.raises(bp.errors.RunningError, match="no reset_state"):
        bp.Runner(Net(), dt=1.0, progress_bar=False).run(1.0, reset_state=True)
    with pytest.raises(AttributeError):
        Leaky_runner = bp.Runner(Leaky())
        Leaky_runner.dt = 0.5
