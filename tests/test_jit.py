"""bm.jit / bm.cls_jit: each rule checked against the eager (un-jitted) run."""

import copy
import gc
import weakref

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainobj as bp
import brainobj.math as bm

from _helpers import assert_close, assert_no_tracers, assert_same_state, state_of


class Dense(bp.BrainPyObject):
    def __init__(self, n_in, n_out, seed=0):
        key = jax.random.PRNGKey(seed)
        self.W = bm.TrainVar(jax.random.normal(key, (n_in, n_out)))
        self.b = bm.TrainVar(jnp.zeros(n_out))
        self.calls = bm.Variable(jnp.zeros((), jnp.int32))
        self.scale = 1.0

    def __call__(self, x):
        self.calls += 1
        return (x @ self.W + self.b) * self.scale


class MLP(bp.BrainPyObject):
    def __init__(self, sizes, seed=0):
        self.layers = [Dense(a, b, seed + i) for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))]

    def __call__(self, x):
        for layer in self.layers:
            x = jax.nn.relu(layer(x))
        return x


def sgd_step(model, x, lr=0.1):
    # a "training" step that reads and writes every layer's Variables
    params = [(l.W.value, l.b.value) for l in model.layers]

    def loss(params):
        h = x
        for W, b in params:
            h = jax.nn.relu(h @ W + b)
        return jnp.mean(h ** 2)

    value, grads = jax.value_and_grad(loss)(params)
    for layer, (gW, gb) in zip(model.layers, grads):
        layer.W.value = layer.W - lr * gW
        layer.b.value = layer.b - lr * gb
    return value


X = jnp.linspace(-1.0, 1.0, 12).reshape(3, 4)


def test_object_argument_matches_eager():
    eager, compiled = MLP([4, 5, 3]), MLP([4, 5, 3])
    step = bm.jit(sgd_step)
    for _ in range(3):
        expected = sgd_step(eager, X)
        got = step(compiled, X)
        np.testing.assert_allclose(got, expected, rtol=1e-5)
    assert_close(state_of(eager), state_of(compiled))
    assert_no_tracers(compiled)


def test_closure_and_global_objects():
    eager, compiled = MLP([4, 3]), MLP([4, 3])

    @bm.jit
    def step_closure(x):
        return sgd_step(compiled, x)

    for _ in range(2):
        np.testing.assert_allclose(step_closure(X), sgd_step(eager, X), rtol=1e-5)
    assert_close(state_of(eager), state_of(compiled))


GLOBAL_MODEL = MLP([4, 3], seed=3)


def _global_step(x):
    return sgd_step(GLOBAL_MODEL, x)


def test_global_object_and_rebinding():
    global GLOBAL_MODEL
    step = bm.jit(_global_step)
    reference = MLP([4, 3], seed=3)
    step(X)
    sgd_step(reference, X)
    assert_close(state_of(reference), state_of(GLOBAL_MODEL))
    # Rebinding the global name: the next call must use the new object.
    GLOBAL_MODEL = MLP([4, 3], seed=4)
    reference = MLP([4, 3], seed=4)
    np.testing.assert_allclose(step(X), sgd_step(reference, X), rtol=1e-5)
    assert_close(state_of(reference), state_of(GLOBAL_MODEL))


def test_reads_see_current_values_not_compile_time_constants():
    model = Dense(4, 2)
    f = bm.jit(lambda m, x: m(x))
    first = f(model, X)
    model.W.value = model.W * 2.0
    model.b.value = model.b + 1.0
    np.testing.assert_allclose(f(model, X), (X @ model.W.value + model.b.value), rtol=1e-5)
    assert not np.allclose(first, f(model, X))


def test_bound_method_and_cls_jit_on_plain_class():
    class Example:
        def __init__(self):
            self.static = 0
            self.dyn = bm.Variable(jnp.ones(1))

        @bm.cls_jit
        def update(self, inp):
            self.dyn.value = self.dyn * inp + self.static

    ex = Example()
    ex.update(1.0)
    ex.update(2.0)
    np.testing.assert_allclose(ex.dyn.value, [2.0])
    ex.static = 100.0  # brainobj recompiles; BrainPy would ignore this
    ex.update(1.0)
    np.testing.assert_allclose(ex.dyn.value, [102.0])

    model = Dense(4, 2)
    call = bm.jit(model.__call__)
    np.testing.assert_allclose(call(X), X @ model.W.value + model.b.value, rtol=1e-5)
    assert int(model.calls.value) == 1
    call(X)
    assert int(model.calls.value) == 2


def test_static_attribute_change_retraces_with_new_value():
    model = Dense(4, 2)
    f = bm.jit(lambda m, x: m(x))
    base = f(model, X)
    model.scale = 3.0
    np.testing.assert_allclose(f(model, X), 3.0 * base, rtol=1e-5)
    model.scale = 1.0
    np.testing.assert_allclose(f(model, X), base, rtol=1e-5)


def test_static_argument_and_new_variables_per_static_value():
    class Two(bp.BrainPyObject):
        def __init__(self):
            self.a = bm.Variable(jnp.zeros(2))
            self.b = bm.Variable(jnp.zeros(2))

    two = Two()

    @bm.jit(static_argnums=1)
    def bump(m, which):
        target = m.a if which == "a" else m.b
        target.value = target + 1.0
        return target.value

    bump(two, "a")
    bump(two, "b")  # touches a Variable the first trace never saw
    bump(two, "b")
    np.testing.assert_allclose(two.a.value, [1.0, 1.0])
    np.testing.assert_allclose(two.b.value, [2.0, 2.0])
    assert_no_tracers(two)


def test_retrace_warning_names_the_changing_attribute():
    model = Dense(4, 2)
    f = bm.jit(lambda m, x: m(x))
    with pytest.warns(bm.RetraceWarning, match=r"scale") as record:
        for i in range(8):
            model.scale = float(i)
            f(model, X)
    warned = [w for w in record if issubclass(w.category, bm.RetraceWarning)]
    assert len(warned) == 1
    assert warned[0].filename == __file__  # points at the caller's line, not brainobj's


def test_assigning_attributes_inside_a_transform_is_refused():
    model = Dense(4, 2)

    @bm.jit
    def set_static(m):
        m.scale = 2.0

    @bm.jit
    def add_attr(m, x):
        m.cache = x

    with pytest.raises(bm.MathError, match=r"Dense\d+\.scale: .*Variable"):
        set_static(model)
    with pytest.raises(bm.MathError, match=r"Dense\d+\.cache: cannot add a new attribute"):
        add_attr(model, X)
    assert model.scale == 1.0 and "cache" not in model.__dict__

    @bm.jit
    def inplace(m):
        m.calls += 5  # re-binds the same Variable: allowed
    inplace(model)
    assert int(model.calls.value) == 5


def test_creating_a_variable_inside_is_refused():
    @bm.jit
    def make(x):
        return bm.Variable(x)

    with pytest.raises(bm.MathError, match="cannot create a Variable inside"):
        make(X)


def test_shared_variables_stay_one_box():
    class Tied(bp.BrainPyObject):
        def __init__(self):
            self.enc = Dense(4, 4, seed=1)
            self.dec = Dense(4, 4, seed=2)
            self.dec.W = self.enc.W  # weight tying
            self.twice = [self.enc, self.enc]  # the same layer used twice

    def run(t, x):
        t.enc.W.value = t.enc.W + 1.0
        seen_through_dec = t.dec.W.value  # must see the write through the other path
        for layer in t.twice:
            x = layer(x)
        return seen_through_dec.sum() + x.sum()

    eager, compiled = Tied(), Tied()
    np.testing.assert_allclose(bm.jit(run)(compiled, X), run(eager, X), rtol=1e-5)
    assert compiled.dec.W is compiled.enc.W
    assert int(compiled.enc.calls.value) == 2
    assert_close(state_of(eager), state_of(compiled))


def test_exception_while_tracing_leaves_state_intact():
    model = Dense(4, 2)
    before = state_of(model)

    @bm.jit
    def broken(m, x):
        m.W.value = m.W * 10.0
        m.calls += 1
        raise RuntimeError("boom in user code")

    with pytest.raises(RuntimeError, match="boom in user code"):
        broken(model, X)
    assert_same_state(model, before)
    assert_no_tracers(model)


def test_exception_while_running_leaves_state_intact():
    model = Dense(4, 2)
    before = state_of(model)

    def fail_on_host(x):
        if float(np.asarray(x).sum()) > 0:
            raise ValueError("host failure")
        return x

    @bm.jit
    def step(m, x):
        m.W.value = m.W * 10.0
        return jax.pure_callback(fail_on_host, jax.ShapeDtypeStruct((), jnp.float32), x.sum())

    step(model, -jnp.ones(3))  # compiles and succeeds
    model.W.value = jnp.asarray(before["W"])
    with pytest.raises(Exception):
        step(model, jnp.ones(3))
    np.testing.assert_array_equal(np.asarray(model.W.value), before["W"])


def test_nested_jit():
    eager, compiled = MLP([4, 3, 2]), MLP([4, 3, 2])
    inner = bm.jit(sgd_step)

    @bm.jit
    def outer(m, x):
        a = inner(m, x)
        b = inner(m, x)
        return a + b

    expected = sgd_step(eager, X) + sgd_step(eager, X)
    np.testing.assert_allclose(outer(compiled, X), expected, rtol=1e-5)
    assert_close(state_of(eager), state_of(compiled))
    # inner already compiled, called again inside a fresh outer trace
    expected = sgd_step(eager, X) + sgd_step(eager, X)
    np.testing.assert_allclose(bm.jit(lambda m, x: inner(m, x) + inner(m, x))(compiled, X),
                               expected, rtol=1e-5)
    assert_close(state_of(eager), state_of(compiled))
    assert_no_tracers(compiled)


def test_one_compilation_per_structure_not_per_instance():
    traces = []

    class Neuron(bp.BrainPyObject):
        def __init__(self, n):
            self.v = bm.Variable(jnp.zeros(n))

        @bm.cls_jit
        def step(self, inp):
            traces.append(1)
            self.v.value = self.v * 0.9 + inp

    a, b = Neuron(3), Neuron(3)
    a.step(1.0)
    traced_once = len(traces)  # discovery + compilation of the first instance
    b.step(2.0)
    b.step(2.0)
    a.step(1.0)
    assert len(traces) == traced_once
    assert Neuron.step.cache_size == 1
    np.testing.assert_allclose(a.v.value, [1.9] * 3, rtol=1e-6)
    np.testing.assert_allclose(b.v.value, [3.8] * 3, rtol=1e-6)
    Neuron(5).step(1.0)  # another structure: compiles again
    assert len(traces) > traced_once and Neuron.step.cache_size == 2


def test_caches_do_not_keep_objects_alive():
    f = bm.jit(sgd_step)
    refs = []
    for i in range(200):
        model = MLP([4, 3])
        f(model, X)
        refs.append(weakref.ref(model))
        refs.append(weakref.ref(model.layers[0].W))
    del model
    # the last plan is dropped by a weakref callback during the first
    # collection, and freed by the next
    gc.collect()
    gc.collect()
    assert all(r() is None for r in refs)
    assert f.cache_size == 1


def test_read_only_variables_are_not_outputs():
    model = Dense(4, 2)
    W_before, b_before = model.W.value, model.b.value
    f = bm.jit(lambda m, x: m(x))
    f(model, X)
    # read-only Variables keep the very same buffer; written ones get new ones
    assert model.W.value is W_before and model.b.value is b_before
    calls_before = model.calls.value
    f(model, X)
    assert model.calls.value is not calls_before


def test_donation_keeps_results_correct():
    eager, compiled = MLP([4, 3]), MLP([4, 3])
    step = bm.jit(sgd_step, donate_vars=True)
    for _ in range(3):
        np.testing.assert_allclose(step(compiled, X), sgd_step(eager, X), rtol=1e-5)
    assert_close(state_of(eager), state_of(compiled))

    x = jnp.ones(3)
    double = bm.jit(lambda x: x * 2.0, donate_argnums=0)
    np.testing.assert_allclose(double(x), [2.0, 2.0, 2.0])


def test_pytree_arguments_holding_objects_and_kwargs():
    a, b = Dense(4, 2, seed=1), Dense(4, 2, seed=2)
    ea, eb = Dense(4, 2, seed=1), Dense(4, 2, seed=2)

    def run(models, x, *, scale):
        return sum(m(x).sum() for m in models["pair"]) * scale

    f = bm.jit(run, static_argnames="scale")
    for _ in range(2):
        got = f({"pair": [a, b]}, X, scale=2.0)
        np.testing.assert_allclose(got, run({"pair": [ea, eb]}, X, scale=2.0), rtol=1e-5)
    assert int(a.calls.value) == 2 and int(b.calls.value) == 2
    assert_close(state_of(ea), state_of(a))


def test_variable_as_argument_and_returned_variable():
    v = bm.Variable(jnp.arange(3.0))

    @bm.jit
    def f(var):
        var.value = var + 1.0
        return var

    out = f(v)
    assert isinstance(out, jax.Array)
    np.testing.assert_allclose(out, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(v.value, [1.0, 2.0, 3.0])


def test_structure_changes_after_compilation_are_picked_up():
    model = MLP([4, 4])
    f = bm.jit(lambda m, x: m(x))
    f(model, X)
    model.layers.append(Dense(4, 2, seed=9))  # a plain list, mutated in place
    out = f(model, X)
    assert out.shape == (3, 2)
    model.layers[1].W = bm.TrainVar(jnp.zeros((4, 2)))  # a replaced Variable
    np.testing.assert_allclose(f(model, X), jnp.zeros((3, 2)))


def test_array_attribute_change_retraces():
    class Masked(bp.BrainPyObject):
        def __init__(self):
            self.w = bm.Variable(jnp.ones(3))
            self.mask = jnp.array([1.0, 0.0, 1.0])

    m = Masked()
    f = bm.jit(lambda m: (m.w * m.mask).sum())
    assert float(f(m)) == 2.0
    m.mask = jnp.array([1.0, 1.0, 1.0])
    assert float(f(m)) == 3.0


def test_shape_dependent_variable_use_replans():
    class Two(bp.BrainPyObject):
        def __init__(self):
            self.small = bm.Variable(jnp.zeros(()))
            self.large = bm.Variable(jnp.zeros(()))

    t = Two()

    @bm.jit
    def f(m, x):
        target = m.small if x.shape[0] < 3 else m.large
        target.value = target + x.sum()

    f(t, jnp.ones(2))
    f(t, jnp.ones(4))  # same plan, new shape: the trace touches another Variable
    f(t, jnp.ones(2))
    assert float(t.small.value) == 4.0 and float(t.large.value) == 4.0


def test_object_in_an_array_slot_after_planning():
    a, b = Dense(4, 2, seed=1), Dense(4, 2, seed=2)
    f = bm.jit(lambda m, other: m(X).sum() + (other(X).sum() if isinstance(other, bp.BrainPyObject) else other))
    f(a, 1.0)
    expected = (a(X).sum() + b(X).sum())
    np.testing.assert_allclose(f(a, b), expected, rtol=1e-5)


def test_returning_an_object_is_an_error():
    model = Dense(4, 2)
    with pytest.raises(bm.MathError, match="returned the object"):
        bm.jit(lambda m: m)(model)


def test_eager_and_jit_give_same_state_on_deepcopy():
    model = MLP([4, 5, 2], seed=7)
    clone = copy.deepcopy(model)
    f = bm.jit(sgd_step)
    for _ in range(2):
        np.testing.assert_allclose(f(model, X), sgd_step(clone, X), rtol=1e-5)
    assert_close(state_of(model), state_of(clone))
