"""Eager loops over fresh functions with the same code and contents compile once (issue 13)."""

import gc
import threading
import types
import weakref

import jax
import jax.monitoring
import jax.numpy as jnp
import numpy as np
import pytest

import brainobj as bp
import brainobj.math as bm
from brainobj.math import _eager_cache
from _helpers import assert_close, assert_no_tracers, assert_same, count_compilations

class Leaky(bp.BrainPyObject):
    def __init__(self, a=0.5):
        self.a = a
        self.v = bm.Variable(jnp.zeros(3))

    def step(self, x):
        self.v.value = self.v * self.a + x
        return self.v.value


def oracle(v0, xs, a=0.5):
    v, out = np.asarray(v0, np.float32), []
    for x in np.asarray(xs, np.float32):
        v = np.float32(a) * v + x
        out.append(v)
    return np.stack(out)


def run(net, xs, gain=1.0):
    return bm.for_loop(lambda x: net.step(x * gain), xs)  # a fresh lambda per call


XS = jnp.asarray(np.random.default_rng(0).normal(size=(6, 3)), jnp.float32)


def test_a_fresh_identical_lambda_does_not_compile():
    net = Leaky()
    run(net, XS)
    v0 = np.asarray(net.v.value)
    with count_compilations() as count:
        out = run(net, XS)
    assert count[0] == 0
    assert_close(out, oracle(v0, XS), rtol=1e-6, atol=1e-6)
    assert_close(net.v, oracle(v0, XS)[-1], rtol=1e-6, atol=1e-6)
    assert_no_tracers(net)


def test_another_model_or_constant_recompiles_and_gives_its_results():
    net, other = Leaky(), Leaky(a=0.5)
    run(net, XS)
    state = np.asarray(net.v.value)
    with count_compilations() as count:
        out = run(other, XS)
    assert count[0] >= 1
    assert_close(out, oracle(np.zeros(3), XS), rtol=1e-6, atol=1e-6)
    assert_same(net.v, state)  # the first model is untouched
    with count_compilations() as count:
        out = run(net, XS, gain=2.0)
    assert count[0] >= 1
    assert_close(out, oracle(state, 2 * np.asarray(XS)), rtol=1e-6, atol=1e-6)
    with count_compilations() as count:
        run(other, XS)
        run(net, XS, gain=2.0)
    assert count[0] == 0  # both kept


def test_another_code_misses():
    net = Leaky()
    bm.for_loop(lambda x: net.step(x), XS)
    state = np.asarray(net.v.value)
    with count_compilations() as count:
        out = bm.for_loop(lambda x: net.step(-x), XS)  # same closure, other code
    assert count[0] >= 1
    assert_close(out, oracle(state, -np.asarray(XS)), rtol=1e-6, atol=1e-6)


def test_closures_capturing_a_loop_variable():
    def sweep(repeat):
        outs, counts = [], []
        for k in range(3):
            with count_compilations() as count:
                outs.append(bm.for_loop(lambda x: x * k + repeat, XS))
            counts.append(count[0])
        return outs, counts

    for repeat in range(2):
        outs, counts = sweep(repeat)
        for k, out in enumerate(outs):
            assert_close(out, np.asarray(XS) * k + repeat, rtol=1e-6)
        assert all(c >= 1 for c in counts)  # `repeat` and `k` are contents: each pair is new
    outs, counts = sweep(1)  # the same code and contents again: nothing compiles
    assert counts == [0, 0, 0]
    for k, out in enumerate(outs):
        assert_close(out, np.asarray(XS) * k + 1, rtol=1e-6)


def test_defaults_and_globals_are_part_of_the_key():
    net = Leaky()
    outs = []
    for g in (1.0, 3.0, 1.0):
        net.v.value = jnp.zeros(3)
        outs.append(bm.for_loop(lambda x, g=g: net.step(x * g), XS))
    assert_close(outs[1], oracle(np.zeros(3), 3 * np.asarray(XS)), rtol=1e-6)
    assert_close(outs[2], outs[0])

    global _GAIN
    try:
        results = []
        for gain in (2.0, 5.0):
            _GAIN = gain
            results.append(bm.for_loop(lambda x: _scaled(x), XS))  # a helper reads the global
        assert_close(results[0], 2 * np.asarray(XS))
        assert_close(results[1], 5 * np.asarray(XS))
    finally:
        _GAIN = 1.0

    code = (lambda x: x * _GAIN).__code__
    other = types.FunctionType(code, {"_GAIN": 7.0})  # same code, other globals dict
    assert_close(bm.for_loop(types.FunctionType(code, globals()), XS), np.asarray(XS))
    assert_close(bm.for_loop(other, XS), 7 * np.asarray(XS))


_GAIN = 1.0


def _scaled(x):
    return x * _GAIN


def test_a_captured_holder_is_followed_to_its_current_model():
    class Holder:  # a plain object: compared by identity, its attributes followed by bm.jit
        pass

    holder = Holder()
    holder.net = first = Leaky()

    def step_all(h):
        return bm.for_loop(lambda x: h.net.step(x), XS)

    step_all(holder)
    holder.net = second = Leaky()
    out = step_all(holder)
    assert_close(out, oracle(np.zeros(3), XS), rtol=1e-6, atol=1e-6)
    assert_close(second.v, oracle(np.zeros(3), XS)[-1], rtol=1e-6, atol=1e-6)
    assert_close(first.v, oracle(np.zeros(3), XS)[-1], rtol=1e-6, atol=1e-6)  # ran once only
    with count_compilations() as count:
        step_all(holder)
    assert count[0] == 0
    assert_close(second.v, oracle(oracle(np.zeros(3), XS)[-1], XS)[-1], rtol=1e-6, atol=1e-6)


def test_a_captured_dict_falls_back_and_stays_correct():
    models = {"net": Leaky()}
    first = models["net"]
    bm.for_loop(lambda x: models["net"].step(x), XS)
    models["net"] = second = Leaky()
    out = bm.for_loop(lambda x: models["net"].step(x), XS)
    assert_close(out, oracle(np.zeros(3), XS), rtol=1e-6, atol=1e-6)
    assert_close(second.v, oracle(np.zeros(3), XS)[-1], rtol=1e-6, atol=1e-6)
    assert_close(first.v, oracle(np.zeros(3), XS)[-1], rtol=1e-6, atol=1e-6)


def test_fresh_branches_of_cond_compile_once():
    v = bm.Variable(jnp.zeros(()))

    def toggle(i):
        return bm.cond(i % 2 == 0, lambda: v.update(v + 1.0), lambda: v.update(v - 2.0))

    toggle(0)
    with count_compilations() as count:
        for i in range(1, 5):
            toggle(i)
    assert count[0] == 0
    assert float(v.value) == 1.0 - 2.0 + 1.0 - 2.0 + 1.0


def test_no_model_is_kept_alive():
    refs = []
    for _ in range(5):
        net = Leaky()
        run(net, XS)
        refs.append(weakref.ref(net))
        del net
    gc.collect()
    assert [r() for r in refs] == [None] * 5
    assert not any("Leaky" in repr(key) for key in _eager_cache.CODE_CACHE)


def test_an_error_inside_leaves_nothing_bound():
    class Fragile(Leaky):
        def step(self, x):
            raise ValueError("Fragile: refused")

    net = Fragile()
    with pytest.raises(ValueError, match="refused"):
        run(net, XS)
    ref = weakref.ref(net)
    del net
    gc.collect()
    assert ref() is None
    for entry in list(_eager_cache.CODE_CACHE.values()):
        for _, twin in entry.twins:
            for cell in twin.__closure__ or ():
                with pytest.raises(ValueError):
                    cell.cell_contents  # every twin cell is empty between calls


def test_a_captured_list_falls_back_to_caching_by_function():
    box = [Leaky()]
    with count_compilations() as count:
        for _ in range(2):
            box[0].v.value = jnp.zeros(3)
            out = bm.for_loop(lambda x: box[0].step(x), XS)  # a list: cached per function
    assert count[0] == 2
    assert_close(out, oracle(np.zeros(3), XS), rtol=1e-6, atol=1e-6)
    ref = weakref.ref(box[0])
    box.clear()
    gc.collect()
    assert ref() is None


def test_threads_share_the_entry_without_mixing_models():
    nets = [Leaky() for _ in range(4)]
    run(nets[0], XS)
    nets[0].v.value = jnp.zeros(3)
    errors = []

    def work(net):
        try:
            for _ in range(3):
                run(net, XS)
        except Exception as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(n,)) for n in nets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    v = np.zeros(3, np.float32)
    for _ in range(3):
        v = oracle(v, XS)[-1]
    for net in nets:
        assert_close(net.v, v, rtol=1e-5, atol=1e-5)
