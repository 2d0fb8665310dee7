"""The engine under real use: each rule checked against an oracle.

The oracle is always the eager (un-jitted) run of the same Python code on a
fresh, identical model (or the same computation in plain JAX). The rules:

1. objects reached through containers, closures and globals are re-read on
   every call (rebinding the slot switches the model), without a compile
   per rebinding and without keeping old models alive;
2. every way JAX reaches a Variable while tracing (``jax.tree.map`` over the
   Variable, ``tree_leaves`` over the object, ``eqx.filter``,
   ``with_sharding_constraint``) is recorded: the value is an input, not a
   constant frozen at the first call;
3. copies made with ``tree_map`` / ``eqx.partition`` + ``eqx.combine`` are
   first-class models (a target network);
4. no tracer ever reaches a live object: writes from JAX's own transforms,
   container mutation, plain-class attributes and deep copies inside
   ``bm.jit`` raise ``bp.MathError`` and change nothing; cyclic objects are
   refused by the pytree functions with a ``MathError``;
5. compile caches never keep objects alive;
6. the fast path re-checks argument kinds (array vs. string);
7. threads: tracing in one thread does not disturb another;
8. a layer's ``name`` given positionally is kept;
9. a property test: random nesting and rebinding, jitted == eager replay.
"""

from __future__ import annotations

import copy
import gc
import pathlib
import subprocess
import sys
import textwrap
import threading
import weakref

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import brainobj as bp
import brainobj.math as bm

from _helpers import assert_close, assert_no_tracers, assert_same, assert_same_state, state_of

RTOL, ATOL = 1e-5, 1e-6
JOIN_S = 30  # every thread join / event wait is bounded: a failing test never hangs


# -- the model and its step ---------------------------------------------------------------------

class Net(bp.BrainPyObject):
    """Two Variables, a sub-layer and a static attribute; ``seed`` shifts every value,
    so models of the same structure are told apart by their state."""

    def __init__(self, seed: float = 0.0):
        seed = float(seed)
        self.a = bm.Variable(jnp.arange(3.0, dtype=jnp.float32) + seed)
        self.h = bm.Variable(jnp.full((3,), 0.5, jnp.float32) - seed)
        self.lin = bp.Linear(3, 3, bp.init.Constant(0.1 * (1.0 + seed)), bp.init.ZeroInit())
        self.gain = 1.5


def update(m, x=1.0):
    """One step of ``m``: reads every Variable, writes ``a`` and ``h``."""
    m.h.value = jnp.tanh(m.lin(m.a) + m.h * m.gain)
    m.a.value = m.a * 0.5 + m.h + x
    return m.a.value.sum()


def close_state(got, expected):
    assert_close(state_of(got), state_of(expected), rtol=RTOL, atol=ATOL)


class Box:
    """A plain holder object (not a BrainPyObject)."""

    def __init__(self, net):
        self.net = net


# -- 1. objects reached through containers are re-read every call ------------------------------

_GLOBAL_NET = None  # the module global of the "global" variant
KINDS = ["dict", "list", "holder", "closure", "global"]


def _global_body():
    return update(_GLOBAL_NET)


def _reach(kind, model):
    """``(body, rebind)``: ``body()`` steps the model reached through ``kind``;
    ``rebind(new)`` points that slot at another model."""
    if kind == "dict":
        cur = {"net": model}

        def body():
            return update(cur["net"])

        def rebind(new):
            cur["net"] = new
    elif kind == "list":
        holder = [model]

        def body():
            return update(holder[0])

        def rebind(new):
            holder[0] = new
    elif kind == "holder":
        box = Box(model)

        def body():
            return update(box.net)

        def rebind(new):
            box.net = new
    elif kind == "closure":
        net = model

        def body():
            return update(net)

        def rebind(new):
            nonlocal net
            net = new
    elif kind == "global":
        global _GLOBAL_NET
        _GLOBAL_NET = model
        body = _global_body

        def rebind(new):
            global _GLOBAL_NET
            _GLOBAL_NET = new
    else:
        raise AssertionError(kind)
    return body, rebind


@pytest.mark.parametrize("kind", KINDS)
def test_rebound_slot_steps_the_new_model(kind):
    global _GLOBAL_NET
    try:
        m1, m2 = Net(1.0), Net(2.0)
        body, rebind = _reach(kind, m1)
        step = bm.jit(body)
        got = [step(), step()]
        rebind(m2)
        got += [step(), step()]
        assert_no_tracers(m1, m2)

        # oracle: the same code, eagerly, on fresh identical models
        o1, o2 = Net(1.0), Net(2.0)
        obody, orebind = _reach(kind, o1)
        expected = [obody(), obody()]
        orebind(o2)
        expected += [obody(), obody()]

        assert_close(got, expected, rtol=RTOL, atol=ATOL)
        close_state(m1, o1)  # m1 keeps its values after the rebinding
        close_state(m2, o2)
    finally:
        _GLOBAL_NET = None


@pytest.mark.parametrize("kind", KINDS)
def test_rebound_slot_switches_back_and_forth(kind):
    global _GLOBAL_NET
    try:
        ms, os_ = [Net(1.0), Net(2.0), Net(3.0)], [Net(1.0), Net(2.0), Net(3.0)]
        order = [0, 1, 0, 2, 2, 1]
        body, rebind = _reach(kind, ms[0])
        obody, orebind = _reach(kind, os_[0])
        step = bm.jit(body)
        got, expected = [], []
        for i in order:
            rebind(ms[i])
            got.append(step())
        for i in order:
            orebind(os_[i])
            expected.append(obody())
        assert_close(got, expected, rtol=RTOL, atol=ATOL)
        for m, o in zip(ms, os_):
            close_state(m, o)
    finally:
        _GLOBAL_NET = None


_REBOUND = None  # rebound 20 times by the test below


def test_global_rebinding_compiles_once_and_frees_old_models():
    global _REBOUND
    traces = [0]

    @bm.jit
    def step():
        traces[0] += 1
        return update(_REBOUND)

    refs = []
    try:
        for i in range(20):
            _REBOUND = Net(float(i))
            refs.append(weakref.ref(_REBOUND))
            got = step()
            oracle = Net(float(i))
            expected = update(oracle)
            assert_close(got, expected, rtol=RTOL, atol=ATOL)
            close_state(_REBOUND, oracle)
            del oracle
        assert traces[0] <= 2, f"the body was traced {traces[0]} times for 20 rebindings"
        assert step.cache_size == 1
        gc.collect()
        alive = [i for i, r in enumerate(refs) if r() is not None]
        assert alive == [19], f"models still alive after rebinding: {alive}"
    finally:
        _REBOUND = None


_GROWING = None  # a dict holding the model, which gains unrelated entries


@pytest.mark.parametrize("via", ["global", "closure"])
def test_container_on_the_path_growing_keeps_one_compiled_version(via):
    """A dict on the way to the model gains entries between calls: the model is
    looked up again (the dict might now hold another one) but the same compiled
    code runs; found by the random-nesting property test below."""
    global _GROWING
    traces = [0]
    box = {"net": Net(0.0)}
    _GROWING = box
    oracle = copy.deepcopy(box["net"])

    def body():
        traces[0] += 1
        return update((_GROWING if via == "global" else box)["net"])

    step = bm.jit(body)
    try:
        for i in range(6):
            assert_close(step(), update(oracle), rtol=RTOL, atol=ATOL)
            close_state(box["net"], oracle)
            box[f"other{i}"] = i
        # one discovery per length the dict had, one trace to compile
        assert traces[0] <= 6 + 1, traces[0]
        assert step.cache_size == 1
    finally:
        _GROWING = None


# -- 2. every way a Variable is reached while tracing is recorded ------------------------------

def _via_tree_map(m):
    m.h.value = jax.tree.map(lambda x: x * 2 + 1, m.h)
    return m.h.value.sum()


def _via_tree_leaves(m):
    # every Variable of m is read only through the flattened leaves
    total = sum(jnp.sum(leaf) for leaf in jax.tree_util.tree_leaves(m))
    m.h.value = jnp.full((3,), 0.1, jnp.float32) * total
    return total


def _via_eqx_filter(m):
    params = eqx.filter(m, eqx.is_array)
    total = sum(jnp.sum(leaf) for leaf in jax.tree_util.tree_leaves(params))
    m.h.value = jnp.full((3,), 0.1, jnp.float32) * total
    return total


def _single_device_sharding():
    return jax.sharding.SingleDeviceSharding(jax.devices()[0])


def _via_sharding_constraint(m):
    h = jax.lax.with_sharding_constraint(m.h, _single_device_sharding())
    m.h.value = jnp.asarray(h) * 2 + 1
    return m.h.value.sum()


READS = {
    "tree_map_over_variable": _via_tree_map,
    "tree_leaves_over_object": _via_tree_leaves,
    "eqx_filter": _via_eqx_filter,
    "with_sharding_constraint": _via_sharding_constraint,
}


@pytest.mark.parametrize("how", list(READS))
def test_reads_through_jax_pytree_functions_are_inputs(how):
    fn = READS[how]
    if how == "with_sharding_constraint":
        try:  # plain JAX first: is a single-device constraint supported here?
            jax.jit(lambda x: jax.lax.with_sharding_constraint(x, _single_device_sharding()))(
                jnp.ones(3)).block_until_ready()
        except Exception as err:  # pragma: no cover - depends on the JAX build
            pytest.skip(f"with_sharding_constraint on one CPU device is unsupported: {err}")
    m, oracle = Net(1.0), Net(1.0)
    step = bm.jit(fn)
    got = [step(m) for _ in range(3)]
    expected = [fn(oracle) for _ in range(3)]
    assert_close(got, expected, rtol=RTOL, atol=ATOL)
    close_state(m, oracle)
    assert_no_tracers(m)


# -- 3. copies are first-class -----------------------------------------------------------------

COPIERS = {
    "tree_map": lambda m: jax.tree_util.tree_map(lambda x: x, m),
    "eqx_partition_combine": lambda m: eqx.combine(*eqx.partition(m, eqx.is_array)),
}


@pytest.mark.parametrize("how", list(COPIERS))
def test_copy_is_stepped_like_the_original(how):
    copier = COPIERS[how]
    m = Net(1.0)
    before = state_of(m)
    c = copier(m)
    oracle = copier(Net(1.0))  # the eager step on another fresh copy
    step = bm.jit(update)

    assert_close(step(c, 0.5), update(oracle, 0.5), rtol=RTOL, atol=ATOL)
    close_state(c, oracle)
    assert_same_state(m, before)  # the original is not changed by stepping the copy
    assert_no_tracers(c)

    assert_close(step(c, 0.25), update(oracle, 0.25), rtol=RTOL, atol=ATOL)  # again
    close_state(c, oracle)
    # eager use of the copy after the compiled steps
    assert_close(c.a + 1, oracle.a + 1, rtol=RTOL, atol=ATOL)
    assert_close(update(c, 2.0), update(oracle, 2.0), rtol=RTOL, atol=ATOL)
    close_state(c, oracle)
    assert_same_state(m, before)
    assert_no_tracers(c, m)


@pytest.mark.parametrize("how", list(COPIERS))
def test_stepping_original_leaves_copy_alone(how):
    m = Net(1.0)
    c = COPIERS[how](m)
    copy_before = state_of(c)
    oracle = Net(1.0)
    step = bm.jit(update)
    for x in (0.5, 0.25):
        assert_close(step(m, x), update(oracle, x), rtol=RTOL, atol=ATOL)
    close_state(m, oracle)
    assert_same_state(c, copy_before)


def soft_update_step(online, target, x):
    loss = update(online, x)
    tv, ov = target.vars(method="relative"), online.vars(method="relative")
    for key in ov:
        tv[key].value = 0.9 * tv[key] + 0.1 * ov[key]
    return loss


def test_target_network_soft_update():
    online = Net(1.0)
    target = jax.tree_util.tree_map(lambda x: x, online)
    o_online = Net(1.0)
    o_target = jax.tree_util.tree_map(lambda x: x, o_online)
    step = bm.jit(soft_update_step)
    for x in (0.5, 1.0, -0.5):
        assert_close(step(online, target, x), soft_update_step(o_online, o_target, x),
                     rtol=RTOL, atol=ATOL)
    close_state(online, o_online)
    close_state(target, o_target)
    assert_no_tracers(online, target)
    # the target is a separate set of Variables: it lags behind the online network
    assert not np.allclose(np.asarray(target.a.value), np.asarray(online.a.value))


# -- 4. no tracer ever reaches a live object ---------------------------------------------------

def _shard_map_call(write):
    if not hasattr(jax, "shard_map"):
        pytest.skip("jax.shard_map is not available in this JAX version")
    from jax.sharding import PartitionSpec as P
    mesh = jax.make_mesh((1,), ("i",))
    return jax.shard_map(write, mesh=mesh, in_specs=P(), out_specs=P())(jnp.ones(3))


JAX_TRANSFORMS = {
    "jax.jit": lambda write: jax.jit(write)(jnp.ones(3)),
    "jax.lax.scan": lambda write: jax.lax.scan(
        lambda c, x: (c + write(x), None), jnp.zeros(3), jnp.ones((2, 3))),
    "jax.lax.fori_loop": lambda write: jax.lax.fori_loop(
        0, 2, lambda i, c: write(c), jnp.ones(3)),
    "jax.vmap": lambda write: jax.vmap(write)(jnp.ones((2, 3))),
    "jax.pmap": lambda write: jax.pmap(write)(jnp.ones((1, 3))),
    "jax.shard_map": _shard_map_call,
}


@pytest.mark.parametrize("transform", list(JAX_TRANSFORMS))
def test_variable_write_under_jax_transform_raises(transform):
    m = Net(1.0)
    before = state_of(m)

    def write(x):
        m.a.value = m.a + x
        return x

    with pytest.raises(bp.MathError) as info:
        JAX_TRANSFORMS[transform](write)
    message = str(info.value)
    assert f"{m.name}.a" in message, message
    assert "bm." in message, message
    assert_same_state(m, before)
    assert_no_tracers(m)
    assert_same(m.a + 1, jnp.asarray(before["a"]) + 1)  # eager use still works
    # and brainobj's own transform does the same step fine afterwards
    oracle = Net(1.0)
    assert_close(bm.jit(update)(m), update(oracle), rtol=RTOL, atol=ATOL)
    close_state(m, oracle)


def _step_copy(m, x):
    """Writes the model it is given: given a JAX copy, the write would be lost."""
    return update(m, x)


COPYING_TRANSFORMS = {
    "jax.jit": lambda m: jax.jit(_step_copy)(m, 1.0),
    "jax.grad": lambda m: jax.grad(_step_copy)(m, 1.0),
    "eqx.filter_jit": lambda m: eqx.filter_jit(_step_copy)(m, 1.0),
    "jax.jit inside bm.jit": lambda m: bm.jit(lambda m: jax.jit(_step_copy)(m, 1.0))(m),
    "eqx.filter_jit inside bm.jit": lambda m: bm.jit(lambda m: eqx.filter_jit(_step_copy)(m, 1.0))(m),
    "tree_map copy inside bm.jit": lambda m: bm.jit(
        lambda m: _step_copy(jax.tree.map(lambda x: x, m), 1.0))(m),
}


@pytest.mark.parametrize("transform", list(COPYING_TRANSFORMS))
def test_writes_to_a_copy_jax_made_while_tracing_are_refused_not_lost(transform):
    """A JAX transform given a model traces a copy of it; the model's step
    writes that copy, which vanishes with the trace. Silently losing the
    update (a BatchNorm's statistics, a counter) is refused instead."""
    m = Net(1.0)
    before = state_of(m)
    with pytest.raises(bp.MathError, match=rf"{m.name}\.h: written, but this Variable is a copy JAX made"):
        COPYING_TRANSFORMS[transform](m)
    assert_same_state(m, before)
    assert_no_tracers(m)
    # reading through a copy is fine: the pure function of the model's values
    got = jax.jit(lambda m: m.lin(m.a).sum())(m)
    assert_close(got, m.lin(m.a).sum(), rtol=RTOL, atol=ATOL)


class Recorder(bp.BrainPyObject):
    def __init__(self, filled: bool):
        self.a = bm.Variable(jnp.zeros(3, jnp.float32))
        self.hist = [jnp.ones(3, jnp.float32)] if filled else []
        self.cache = {"old": jnp.ones(3, jnp.float32)} if filled else {}


def _append(m, x):
    m.hist.append(x)


def _setitem(m, x):
    m.cache["k"] = x


@pytest.mark.parametrize("filled", [False, True], ids=["empty", "filled"])
@pytest.mark.parametrize("mutate", [_append, _setitem], ids=["list_append", "dict_setitem"])
def test_container_attribute_mutation_inside_jit_raises(mutate, filled):
    mode = {"bad": True}

    def body(m, x):
        m.a.value = m.a + x
        if mode["bad"]:
            mutate(m, x)
        return m.a.value.sum()

    m = Recorder(filled)
    hist_before, keys_before = len(m.hist), sorted(m.cache)
    before = state_of(m)
    step = bm.jit(body)
    with pytest.raises(bp.MathError):
        step(m, jnp.ones(3))
    assert len(m.hist) == hist_before and sorted(m.cache) == keys_before
    assert_same_state(m, before)
    assert_no_tracers(m, m.hist, m.cache)

    mode["bad"] = False  # fixed: the same jitted function works again
    oracle = Recorder(filled)
    for _ in range(2):
        assert_close(step(m, jnp.ones(3)), body(oracle, jnp.ones(3)), rtol=RTOL, atol=ATOL)
    close_state(m, oracle)
    assert len(m.hist) == hist_before and sorted(m.cache) == keys_before


class PlainCounter:
    """A plain class (not a BrainPyObject) with a compiled method."""

    def __init__(self, assign):
        self.count = 0
        self.v = bm.Variable(jnp.zeros(3, jnp.float32))
        self.assign = assign

    @bm.cls_jit
    def tick(self, x):
        self.v.value = self.v + x
        if self.assign == "constant":
            self.count = 1
        else:
            self.count = x
        return self.v.value.sum()


@pytest.mark.parametrize("assign", ["constant", "traced"])
def test_plain_class_attribute_write_in_cls_jit_raises(assign):
    c = PlainCounter(assign)
    with pytest.raises(bp.MathError):
        c.tick(jnp.ones(3))
    assert c.count == 0 and type(c.count) is int
    assert_same(c.v, jnp.zeros(3, jnp.float32))
    assert_no_tracers(c.v)
    assert_same(c.v + 1, jnp.ones(3, jnp.float32))


def test_deepcopy_inside_jit_raises():
    m = Net(1.0)
    before = state_of(m)

    @bm.jit
    def f(model, x):
        c = copy.deepcopy(model)
        return update(c, x)

    with pytest.raises(bp.MathError):
        f(m, 1.0)
    assert_same_state(m, before)
    assert_no_tracers(m)
    # outside transforms deepcopy still works and is independent
    d = copy.deepcopy(m)
    oracle = Net(1.0)
    assert_close(bm.jit(update)(d), update(oracle), rtol=RTOL, atol=ATOL)
    close_state(d, oracle)
    assert_same_state(m, before)


# On a cycle, JAX's C++ flatten recursing through Python can exhaust the
# stack and leave the interpreter unusable (every later call raising
# RecursionError, pytest's own reporting included). So each variant runs in a
# fresh interpreter, which checks the refusal and then that it still works.
_CYCLE_SCRIPT = textwrap.dedent("""
    import sys
    import jax, jax.numpy as jnp, numpy as np
    import brainobj as bp, brainobj.math as bm

    class Peer(bp.BrainPyObject):
        def __init__(self, s):
            self.v = bm.Variable(jnp.full((2,), s, jnp.float32))

    class Net(bp.BrainPyObject):
        def __init__(self):
            self.a = bm.Variable(jnp.arange(3.0, dtype=jnp.float32))

    def update(m, x):
        m.a.value = m.a * 0.5 + x
        return m.a.value.sum()

    OPS = {
        "tree_leaves": lambda a: jax.tree_util.tree_leaves(a),
        "tree_map": lambda a: jax.tree_util.tree_map(lambda x: x, a),
    }
    a, b = Peer(1.0), Peer(2.0)
    a.peer = b
    b.peer = a
    outcome = None
    try:
        OPS[sys.argv[1]](a)
        outcome = "no error was raised"
    except bp.MathError as err:
        if "cycl" not in str(err):
            outcome = f"MathError without 'cycl' in its message: {err}"
    except RecursionError:
        outcome = "RecursionError instead of bp.MathError"
    except BaseException as err:
        outcome = f"{type(err).__name__} instead of bp.MathError: {err}"
    if outcome is not None:
        print("REFUSAL:", outcome, flush=True)
    # the interpreter still works: the Variables are intact, a layer can be
    # built and a step compiled (checked against the eager step)
    try:
        np.testing.assert_array_equal(np.asarray(a.v.value), np.full(2, 1.0, np.float32))
        np.testing.assert_array_equal(np.asarray(b.v.value), np.full(2, 2.0, np.float32))
        layer = bp.Linear(2, 2)
        assert layer(jnp.ones((1, 2))).shape == (1, 2)
        m, oracle = Net(), Net()
        step = bm.jit(update)
        for x in (1.0, 2.0):
            np.testing.assert_allclose(step(m, x), update(oracle, x), rtol=1e-6)
        np.testing.assert_allclose(m.a.value, oracle.a.value, rtol=1e-6)
    except BaseException as err:
        print("AFTERWARDS:", type(err).__name__, str(err)[:500], flush=True)
        sys.exit(3)
    if outcome is not None:
        sys.exit(2)
    print("OK", flush=True)
""")


@pytest.mark.parametrize("op", ["tree_leaves", "tree_map"])
def test_cyclic_objects_refused_by_pytree_functions(op):
    repo = pathlib.Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-c", _CYCLE_SCRIPT, op], cwd=repo,
                          capture_output=True, text=True, timeout=120)
    lines = [line for line in proc.stdout.splitlines()
             if line.startswith(("REFUSAL:", "AFTERWARDS:", "OK"))]
    ok = proc.returncode == 0 and lines == ["OK"]
    assert ok, (f"exit code {proc.returncode}; {lines or 'no report'}; "
                f"stderr tail: {proc.stderr[-1500:]}")


# -- 5. caches never hold objects ----------------------------------------------------------------

class Scaled(bp.BrainPyObject):
    def __init__(self, seed):
        self.gain = 2.0
        self.act = lambda y: y * self.gain  # a static attribute closing over self
        self.a = bm.Variable(jnp.arange(3.0, dtype=jnp.float32) + float(seed))


def scaled_step(m, x):
    m.a.value = m.act(m.a.value) * 0.5 + x
    return m.a.value.sum()


@pytest.mark.filterwarnings("ignore::brainobj.math.RetraceWarning")  # a new lambda per model
@pytest.mark.parametrize("static", [False, True], ids=["argument", "static_argnums"])
def test_cache_does_not_keep_models_alive(static):
    step = bm.jit(scaled_step, static_argnums=0) if static else bm.jit(scaled_step)
    refs = []
    for i in range(30):
        m, oracle = Scaled(i), Scaled(i)
        assert_close(step(m, 1.0), scaled_step(oracle, 1.0), rtol=RTOL, atol=ATOL)
        close_state(m, oracle)
        refs.append(weakref.ref(m))
        del m, oracle
    gc.collect()
    alive = [i for i, r in enumerate(refs) if r() is not None]
    assert alive == [], f"models kept alive by the compile cache: {alive}"
    assert step.cache_size <= 2, step.cache_size


# -- 6. the fast path re-checks argument kinds ---------------------------------------------------

def kinds_body(m, x):
    m.a.value = m.a + 1
    if isinstance(x, str):
        return m.a.value * 0 + len(x)
    return m.a.value * x * 2


def test_string_after_array_matches_fresh_function():
    m = Net(1.0)
    f = bm.jit(kinds_body)
    f(m, bm.ones(3))
    got = f(m, "abc")
    # a fresh jitted function whose first call sees the string, on a model in the same state
    m2 = Net(1.0)
    kinds_body(m2, bm.ones(3))
    f2 = bm.jit(kinds_body)
    assert_close(got, f2(m2, "abc"), rtol=RTOL, atol=ATOL)
    close_state(m, m2)


ARG_SEQUENCES = {
    "array_then_str": [jnp.ones(3), "abc"],
    "str_then_array": ["abc", jnp.ones(3)],
    "str_then_other_str": ["abc", "de", "abc"],
    "array_str_array_str": [jnp.ones(3), "abc", jnp.full((3,), 2.0), "xy"],
    "array_then_python_float": [jnp.ones(3), 3.0, "abc"],
}


@pytest.mark.parametrize("seq", list(ARG_SEQUENCES))
def test_argument_kind_changes_match_eager(seq):
    args = ARG_SEQUENCES[seq]
    m, oracle = Net(1.0), Net(1.0)
    f = bm.jit(kinds_body)
    got = [f(m, x) for x in args]
    expected = [kinds_body(oracle, x) for x in args]
    assert_close(got, expected, rtol=RTOL, atol=ATOL)
    close_state(m, oracle)


# -- 7. threads ------------------------------------------------------------------------------------

def _start(target):
    t = threading.Thread(target=target, daemon=True)
    t.start()
    return t


def test_other_thread_works_while_one_traces():
    m_a, other = Net(1.0), Net(5.0)
    entered, release = threading.Event(), threading.Event()
    first = [True]

    def body_a():
        if first[0]:  # block only the first trace
            first[0] = False
            entered.set()
            release.wait(JOIN_S)
        return update(m_a)

    step_a = bm.jit(body_a)
    errors, result_a, result_b = [], {}, {}

    def run_a():
        try:
            result_a["out"] = step_a()
        except BaseException as err:  # reported below
            errors.append(("A", err))

    def run_b():
        try:
            m_b = Net(2.0)  # build a new model
            other.gain = 3.0  # set an attribute on an existing object
            other.tag = "b"
            step_b = bm.jit(update)
            result_b["outs"] = [step_b(m_b, 0.5) for _ in range(5)]
            result_b["model"] = m_b
        except BaseException as err:
            errors.append(("B", err))

    thread_a = _start(run_a)
    try:
        assert entered.wait(JOIN_S), "thread A never started tracing"
        thread_b = _start(run_b)
        thread_b.join(JOIN_S)
        b_done_while_a_traced = not thread_b.is_alive() and not release.is_set()
    finally:
        release.set()
        thread_a.join(JOIN_S)
    assert not thread_a.is_alive(), "thread A did not finish"
    assert b_done_while_a_traced, "thread B did not finish while A was tracing"
    assert not errors, errors

    m_b = result_b["model"]
    o_b = Net(2.0)
    assert_close(result_b["outs"], [update(o_b, 0.5) for _ in range(5)], rtol=RTOL, atol=ATOL)
    close_state(m_b, o_b)
    assert other.gain == 3.0 and other.tag == "b"
    o_a = Net(1.0)
    assert_close(result_a["out"], update(o_a), rtol=RTOL, atol=ATOL)
    close_state(m_a, o_a)
    assert_no_tracers(m_a, m_b, other)

    # A's compiled function never captured B's Variables
    b_state, other_state = state_of(m_b), state_of(other)
    assert_close(step_a(), update(o_a), rtol=RTOL, atol=ATOL)
    close_state(m_a, o_a)
    assert_same_state(m_b, b_state)
    assert_same_state(other, other_state)


def _read_write_then(m, gate=None):
    m.h.value = m.a * 2 + m.h  # read and write before the gate
    if gate is not None:
        gate()
    return m.h.value.sum()


def test_other_thread_reads_concrete_values_while_one_traces():
    shared = Net(3.0)
    initial = state_of(shared)
    entered, release = threading.Event(), threading.Event()
    first = [True]

    def gate():
        if first[0]:  # block only the first trace
            first[0] = False
            entered.set()
            release.wait(JOIN_S)

    def body_a():
        return _read_write_then(shared, gate)

    step_a = bm.jit(body_a)
    errors, result_a, seen = [], {}, {}

    def run_a():
        try:
            result_a["out"] = step_a()
        except BaseException as err:
            errors.append(("A", err))

    def run_b():
        try:
            seen["a"] = shared.a.value
            seen["h"] = shared.h.value
            seen["sum"] = shared.a + shared.h
        except BaseException as err:
            errors.append(("B", err))

    thread_a = _start(run_a)
    try:
        assert entered.wait(JOIN_S), "thread A never started tracing"
        thread_b = _start(run_b)
        thread_b.join(JOIN_S)
        b_done = not thread_b.is_alive()
    finally:
        release.set()
        thread_a.join(JOIN_S)
    assert not thread_a.is_alive() and b_done
    assert not errors, errors
    for key, value in seen.items():
        assert not isinstance(value, jax.core.Tracer), f"thread B read a tracer for {key}: {value!r}"
        assert isinstance(value, jax.Array), (key, type(value))
    assert_same(seen["a"], initial["a"])
    assert_same(seen["h"], initial["h"])
    assert_close(seen["sum"], initial["a"] + initial["h"], rtol=RTOL, atol=ATOL)

    oracle = Net(3.0)
    assert_close(result_a["out"], _read_write_then(oracle), rtol=RTOL, atol=ATOL)
    close_state(shared, oracle)
    assert_no_tracers(shared)


def test_two_threads_share_one_jitted_function():
    step = bm.jit(update)
    models = {"x": Net(1.0), "y": Net(2.0)}
    errors, outs = [], {"x": [], "y": []}
    barrier = threading.Barrier(2, timeout=JOIN_S)

    def run(key, x):
        try:
            barrier.wait()
            for _ in range(50):
                outs[key].append(step(models[key], x))
        except BaseException as err:
            errors.append((key, err))

    threads = [_start(lambda: run("x", 0.5)), _start(lambda: run("y", -0.25))]
    for t in threads:
        t.join(JOIN_S)
    assert not any(t.is_alive() for t in threads), "a stepping thread did not finish"
    assert not errors, errors
    for key, seed, x in (("x", 1.0, 0.5), ("y", 2.0, -0.25)):
        oracle = Net(seed)
        assert_close(outs[key], [update(oracle, x) for _ in range(50)], rtol=RTOL, atol=ATOL)
        close_state(models[key], oracle)
    assert_no_tracers(*models.values())


# -- 8. a name given positionally is kept ------------------------------------------------------------

@pytest.mark.parametrize("by", ["position", "keyword"])
def test_linear_name_is_kept(by):
    w_init, b_init = bp.init.XavierNormal(), bp.init.ZeroInit()
    if by == "position":
        layer = bp.Linear(3, 2, w_init, b_init, "foo")
    else:
        layer = bp.Linear(3, 2, w_init, b_init, name="foo")
    try:
        assert layer.name == "foo"
        assert sorted(layer.vars().keys()) == ["foo.W", "foo.b"]
    finally:
        del layer
        gc.collect()  # names are unique: free "foo" for the other variant


# -- 9. property: random nesting and rebinding, jitted == eager replay -----------------------------

class _Holder:
    """A plain holder object (not a BrainPyObject)."""

    def __init__(self, net):
        self.net = net


_MUTABLE = ("dict", "list", "holder")
_HYP_ROOT = None  # the module global of the "global" variant


def _wrap(kinds, model):
    node = model
    for kind in reversed(kinds):
        if kind == "dict":
            node = {"net": node}
        elif kind == "list":
            node = [node]
        elif kind == "tuple":
            node = (node,)
        else:
            node = _Holder(node)
    return node


def _get(node, kinds):
    for kind in kinds:
        if kind == "dict":
            node = node["net"]
        elif kind in ("list", "tuple"):
            node = node[0]
        else:
            node = node.net
    return node


def _set_slot(container, kind, value):
    if kind == "dict":
        container["net"] = value
    elif kind == "list":
        container[0] = value
    else:
        container.net = value


def _run_scenario(kinds, via, ops, jit):
    """Run ``ops``; return (outputs of the steps, final state of every model made)."""
    global _HYP_ROOT
    models, outs = [], []
    unrelated = Net(9.0)

    def fresh():
        models.append(Net(float(len(models))))
        return models[-1]

    if via == "closure":
        root = _wrap(kinds, fresh())

        def body():
            return update(_get(root, kinds))

        def get_root():
            return root

        def set_root(new):
            nonlocal root
            root = new
    else:
        _HYP_ROOT = _wrap(kinds, fresh())

        def body():
            return update(_get(_HYP_ROOT, kinds))

        def get_root():
            return _HYP_ROOT

        def set_root(new):
            global _HYP_ROOT
            _HYP_ROOT = new

    step = bm.jit(body) if jit else body
    try:
        for i, op in enumerate(ops):
            if op == "step":
                outs.append(step())
            elif op == "rebind":  # the innermost slot that can be rebound
                mutable = [j for j, kind in enumerate(kinds) if kind in _MUTABLE]
                if mutable:
                    j = mutable[-1]
                    _set_slot(_get(get_root(), kinds[:j]), kinds[j], _wrap(kinds[j + 1:], fresh()))
                else:
                    set_root(_wrap(kinds, fresh()))
            elif op == "set_unrelated":
                unrelated.tag = i
            elif op == "set_gain":  # a static attribute of the current model
                _get(get_root(), kinds).gain = 1.5 + 0.25 * i
            elif op == "grow":  # an unrelated change to the outermost mutable container
                mutable = [j for j, kind in enumerate(kinds) if kind in _MUTABLE]
                if mutable:
                    j = mutable[0]
                    container = _get(get_root(), kinds[:j])
                    if kinds[j] == "dict":
                        container[f"other{i}"] = i
                    elif kinds[j] == "list":
                        container.append(i)
                    else:
                        setattr(container, f"other{i}", i)
            else:
                raise AssertionError(op)
        return outs, [state_of(m) for m in models]
    finally:
        _HYP_ROOT = None


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(
    kinds=st.lists(st.sampled_from(["dict", "list", "tuple", "holder"]), min_size=1, max_size=3),
    via=st.sampled_from(["global", "closure"]),
    ops=st.lists(st.sampled_from(["step", "rebind", "set_unrelated", "set_gain", "grow"]),
                 min_size=1, max_size=6),
)
def test_random_nesting_matches_eager_replay(kinds, via, ops):
    ops = ["step", *ops, "step"]
    got_outs, got_states = _run_scenario(kinds, via, ops, jit=True)
    exp_outs, exp_states = _run_scenario(kinds, via, ops, jit=False)
    assert_close(got_outs, exp_outs, rtol=RTOL, atol=ATOL)
    assert len(got_states) == len(exp_states)
    for got, expected in zip(got_states, exp_states):
        assert_close(got, expected, rtol=RTOL, atol=ATOL)


# -- paths the first version of the redesign missed ------------------------------------------

_ALIASED = None


def test_argument_that_is_also_a_captured_global_is_told_apart():
    """The same model reached as an argument and as a global: another argument
    must not inherit the global's writes."""
    global _ALIASED
    _ALIASED = Net(0.0)
    other = Net(1.0)
    o_aliased, o_other = copy.deepcopy(_ALIASED), copy.deepcopy(other)

    def body(m, g):
        update(m)
        g.a.value = g.a + 10.0

    step = bm.jit(lambda m: body(m, _ALIASED))
    step(_ALIASED)
    body(o_aliased, o_aliased)
    step(other)
    body(o_other, o_aliased)
    close_state(_ALIASED, o_aliased)
    close_state(other, o_other)


@pytest.mark.parametrize("rebind", ["actor", "critic"])
def test_two_paths_to_one_model_each_rebinding_is_seen(rebind):
    shared = Net(0.0)
    cur = {"actor": shared, "critic": shared}
    oracle_shared = copy.deepcopy(shared)
    oracle = {"actor": oracle_shared, "critic": oracle_shared}

    def body(c):
        update(c["actor"])
        c["critic"].a.value = c["critic"].a + 10.0

    step = bm.jit(lambda: body(cur))
    step()
    body(oracle)
    fresh = Net(2.0)
    cur[rebind], oracle[rebind] = fresh, copy.deepcopy(fresh)
    step()
    body(oracle)
    close_state(shared, oracle_shared)
    close_state(fresh, oracle[rebind])


@pytest.mark.parametrize("kind", ["for_loop", "cond", "while_loop"])
def test_eager_loops_and_branches_see_a_rebound_model(kind):
    """Loops called outside transforms are compiled once per body; a model the
    body reaches through a dict is still re-read at each call."""
    cur = {"net": Net(0.0)}
    first, second = cur["net"], Net(1.0)
    o_first, o_second = copy.deepcopy(first), copy.deepcopy(second)

    def body(x):
        cur["net"].a.value = cur["net"].a + x

    def run():
        if kind == "for_loop":
            bm.for_loop(body, jnp.ones(3))
        elif kind == "cond":
            bm.cond(True, lambda: body(1.0), lambda: None)
        else:
            bm.while_loop(lambda i: (body(1.0), i + 1)[1], lambda i: i < 3, 0)

    eager_amount = {"for_loop": 3.0, "cond": 1.0, "while_loop": 3.0}[kind]
    run()
    o_first.a.value = o_first.a + eager_amount
    cur["net"] = second
    run()
    o_second.a.value = o_second.a + eager_amount
    close_state(first, o_first)
    close_state(second, o_second)


def test_a_model_appended_to_a_global_list_is_stepped():
    nets = [Net(0.0)]
    oracles = [copy.deepcopy(nets[0])]
    step = bm.jit(lambda: [update(n) for n in nets])
    step()
    [update(n) for n in oracles]
    nets.append(Net(1.0))
    oracles.append(copy.deepcopy(nets[-1]))
    step()
    [update(n) for n in oracles]
    for n, o in zip(nets, oracles):
        close_state(n, o)


class _Stepper:
    """A plain holder whose bound method reaches its model through ``self``."""

    def __init__(self, model):
        self.model = model

    def step(self):
        return update(self.model)


def test_a_bound_method_in_a_container_follows_its_rebinding():
    first, second = Net(0.0), Net(1.0)
    o_first, o_second = copy.deepcopy(first), copy.deepcopy(second)
    methods = {"step": _Stepper(first).step}
    step = bm.jit(lambda: methods["step"]())
    step()
    update(o_first)
    methods["step"] = _Stepper(second).step
    step()
    update(o_second)
    close_state(first, o_first)
    close_state(second, o_second)


def test_static_arguments_of_other_element_types_compile_anew():
    """(3, 5) and (3., 5.) are equal by ``==`` but are different constants."""
    m = Net(0.0)

    def half(m, shape):
        return jnp.asarray(shape) / 2 if isinstance(shape[0], float) else jnp.asarray(shape) // 2

    def kind(m, cfg):
        return jnp.asarray(isinstance(cfg["flag"], bool))

    f, g = bm.jit(half, static_argnums=1), bm.jit(kind, static_argnums=1)
    assert_same(f(m, (3, 5)), half(m, (3, 5)))
    assert_same(f(m, (3.0, 5.0)), half(m, (3.0, 5.0)))
    assert_same(g(m, {"flag": 1}), kind(m, {"flag": 1}))
    assert_same(g(m, {"flag": True}), kind(m, {"flag": True}))


def test_jit_of_a_jitted_function_and_of_a_jitted_method():
    m = Net(0.0)
    oracle = copy.deepcopy(m)
    inner = bm.jit(lambda m, k: update(m, float(k)))
    outer = bm.jit(inner, static_argnums=1)
    outer(m, 2)
    update(oracle, 2.0)
    close_state(m, oracle)

    class Holder(bp.BrainPyObject):
        def __init__(self):
            self.net = Net(0.0)

        @bm.cls_jit
        def step(self, x):
            return update(self.net, x)

    h = Holder()
    o = copy.deepcopy(h.net)
    bm.jit(h.step)(1.0)
    update(o, 1.0)
    close_state(h.net, o)


def test_a_failed_call_keeps_no_reference_to_its_variables():
    m = Net(0.0)

    @bm.jit
    def fail(m, x):
        update(m)
        return jnp.where(x > 0, m.a, 0.0) @ jnp.ones((2, 2))  # a shape error at trace time

    with pytest.raises(TypeError):
        fail(m, jnp.ones(3))
    ref = weakref.ref(m.a)
    del m
    gc.collect()
    assert ref() is None


def test_concurrent_first_calls_share_one_compiled_version():
    nets = [Net(float(i)) for i in range(4)]
    oracles = [copy.deepcopy(n) for n in nets]
    step = bm.jit(update)
    barrier = threading.Barrier(len(nets))
    errors = []

    def run(n):
        try:
            barrier.wait(JOIN_S)
            for _ in range(10):
                step(n)
        except Exception as error:  # reported below, with the thread's model
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in nets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_S)
    assert not errors
    for n, o in zip(nets, oracles):
        for _ in range(10):
            update(o)
        close_state(n, o)
    assert step.cache_size == 1


def test_a_variable_outliving_its_temporary_owner_is_labelled_by_its_next_one():
    free = bm.Variable(jnp.zeros(2))

    @bm.jit
    def make_temporary():
        t = bp.BrainPyObject()
        t.v = free  # stored on an object that lives only during the trace
        return free.value

    make_temporary()
    gc.collect()
    holder = bp.BrainPyObject()
    holder.w = free
    assert free.label == f"{holder.name}.w"


# -- plain classes with __slots__ ------------------------------------------------------------


class _SlottedBox:
    """A plain holder with slots: no __dict__ to follow."""

    __slots__ = ("net",)

    def __init__(self, net):
        self.net = net


_SLOTTED = None


@pytest.mark.parametrize("via", ["global", "closure"])
def test_model_in_a_slotted_holder_is_found_by_path_and_rebinding_is_seen(via):
    global _SLOTTED
    box = _SlottedBox(Net(0.0))
    _SLOTTED = box
    step = bm.jit(lambda: update((_SLOTTED if via == "global" else box).net))
    try:
        for seed in (0.0, 3.0, 5.0):
            if seed:
                box.net = Net(seed)
            oracle = copy.deepcopy(box.net)
            assert_close(step(), update(oracle), rtol=RTOL, atol=ATOL)
            close_state(box.net, oracle)
        assert step.cache_size == 1
    finally:
        _SLOTTED = None


class _SlottedTrainer:
    """A plain class with slots whose methods are jitted (seed style)."""

    __slots__ = ("net", "gain")

    def __init__(self, net):
        self.net, self.gain = net, 1.0

    @bm.cls_jit
    def step(self, x):
        return update(self.net, x * self.gain)

    @bm.cls_jit
    def assign(self, x):
        self.gain = x
        return x


def test_cls_jit_on_a_slotted_plain_class_sees_attribute_changes_and_refuses_writes():
    trainer = _SlottedTrainer(Net(0.0))
    oracle = copy.deepcopy(trainer.net)
    for gain in (1.0, 1.0, 2.5):
        trainer.gain = gain
        assert_close(trainer.step(1.0), update(oracle, gain), rtol=RTOL, atol=ATOL)
        close_state(trainer.net, oracle)
    with pytest.raises(bm.MathError, match=r"_SlottedTrainer\.gain: cannot assign an attribute of `self`"):
        trainer.assign(3.0)
    assert trainer.gain == 2.5
    assert_no_tracers(trainer.net)
