"""BrainPy 2.x compatibility (issue #10): containers, ``_excluded_vars``,
error classes, environments and device/memory helpers.

The rest of the issue's proof is split by subject:
``test_brainpy_compat_variables.py`` (Variable, VarList/VarDict writes),
``test_brainpy_compat_collectors.py`` (Collector semantics),
``test_brainpy_compat_objects.py`` (names, implicit state, state dicts),
``test_brainpy_compat_transforms.py`` (legacy arguments, loops, x64,
environment) and ``test_brainpy_compat_random.py`` (distributions). Each
test checks behaviour BrainPy 2.8 documents (or its source shows), with
JAX or an eager run as the oracle for numbers.
"""

import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainobj as bp
import brainobj.math as bm
from _helpers import assert_no_tracers, assert_refused, state_of


# -- VarDict.update / VarList / NodeList / NodeDict -------------------------------------

def test_vardict_update_writes_into_existing_variables():
    a, b = bm.Variable(jnp.zeros(2)), bm.Variable(jnp.zeros(3))
    vd = bm.var_dict({"a": a, "b": b})
    c = bm.Variable(jnp.ones(1))
    out = vd.update({"a": jnp.ones(2)}, ("c", c), b=jnp.full(3, 2.0))
    assert out is vd                                     # BrainPy returns the dict
    assert vd["a"] is a and vd["b"] is b and vd["c"] is c  # same Variables
    np.testing.assert_array_equal(np.asarray(a), np.ones(2))
    np.testing.assert_array_equal(np.asarray(b), np.full(3, 2.0))


def test_vardict_update_inside_jit_writes_like_setitem():
    a = bm.Variable(jnp.zeros(2))
    vd = bm.VarDict(a=a)

    @bm.jit
    def step(x):
        vd.update({"a": vd["a"] + x})
        return vd["a"].sum()

    for i in range(3):
        step(jnp.ones(2) * i)
    np.testing.assert_array_equal(np.asarray(a), np.full(2, 3.0))  # 0 + 1 + 2
    assert_no_tracers(vd)


def test_vardict_update_is_all_or_nothing():
    a, b = bm.Variable(jnp.zeros(2)), bm.Variable(jnp.zeros(3))
    vd = bm.VarDict(a=a, b=b)
    # The first write succeeds, the second has the wrong shape: the first is undone.
    assert_refused(lambda: vd.update({"a": jnp.ones(2), "b": jnp.ones(4)}),
                   bp.MathError, r"expected shape \(3,\)", [vd])
    assert list(vd) == ["a", "b"]
    # A new entry that is not a Variable is refused before any write.
    assert_refused(lambda: vd.update({"a": jnp.ones(2), "new": jnp.ones(1)}),
                   TypeError, r"VarDict\[.new.\]: expected a Variable", [vd])
    assert "new" not in vd
    with pytest.raises(TypeError, match="VarDict.update: expected a dict"):
        vd.update(5)


def test_varlist_and_nodelist_append_extend_chain():
    vl = bm.var_list().append(bm.Variable(jnp.zeros(1))).extend([bm.Variable(jnp.ones(1))])
    assert isinstance(vl, bm.VarList) and len(vl) == 2
    nl = bm.node_list([bp.Linear(1, 1)]).append(bp.Linear(1, 2)).extend([bp.Linear(2, 1)])
    assert isinstance(nl, bm.NodeList) and [l.W.shape for l in nl] == [(1, 1), (1, 2), (2, 1)]
    with pytest.raises(TypeError, match="expected a Variable"):
        bm.VarList().append(jnp.zeros(1))


def test_node_containers_accept_any_value_as_brainpy_does():
    # BrainPy 2.8 does not check NodeList/NodeDict items; vars() walks objects only.
    class Net(bp.BrainPyObject):
        def __init__(self):
            self.parts = bm.NodeList([bp.Linear(2, 2), jnp.tanh, 3])
            self.named = bm.NodeDict(enc=bp.Linear(2, 2), act=jnp.tanh)

    net = Net()
    assert sorted(net.vars("relative")) == ["named.enc.W", "named.enc.b", "parts.0.W", "parts.0.b"]

    @bm.jit
    def run(x):
        return net.parts[1](net.named["enc"](net.parts[0](x)))

    x = jnp.ones((1, 2))
    expected = jnp.tanh(net.named["enc"](net.parts[0](x)))
    np.testing.assert_allclose(np.asarray(run(x)), np.asarray(expected), rtol=1e-6)


def test_nodedict_check_unique():
    enc = bp.Linear(2, 3)
    nd = bm.NodeDict({"enc": enc}, check_unique=True)
    nd["enc"] = enc                       # the same object: allowed
    with pytest.raises(KeyError, match=r"NodeDict\['enc'\] already holds .*check_unique"):
        nd["enc"] = bp.Linear(2, 3)
    with pytest.raises(KeyError, match="check_unique"):
        nd.update({"dec": bp.Linear(3, 2)}, enc=bp.Linear(2, 3))
    assert list(nd) == ["enc"] and nd["enc"] is enc   # nothing added by the failed update
    loose = bm.NodeDict(enc=enc)          # the default, as in BrainPy: rebinding allowed
    other = bp.Linear(2, 3)
    assert loose.update(("enc", other)) is loose and loose["enc"] is other


# -- _excluded_vars ---------------------------------------------------------------------

class _Hidden(bp.BrainPyObject):
    _excluded_vars = ("cache", "extra")

    def __init__(self):
        self.w = bm.TrainVar(jnp.ones(2))
        self.cache = bm.Variable(jnp.zeros(2))
        self.extra = bm.VarList([bm.Variable(jnp.zeros(1))])
        self.child = bp.Linear(2, 2)


def test_excluded_vars_are_left_out_of_vars_but_still_updated_by_transforms():
    h = _Hidden()
    assert sorted(h.vars("relative")) == ["child.W", "child.b", "w"]
    assert "cache" not in h.state_dict() and "child.W" in h.state_dict()

    @bm.jit
    def step(x):
        h.cache.value = h.cache + x          # still state for the transforms
        return h.child(h.cache[None]).sum()

    eager = jnp.zeros(2)
    for i in range(3):
        step(jnp.full(2, float(i)))
        eager = eager + i
    np.testing.assert_array_equal(np.asarray(h.cache), np.asarray(eager))
    assert_no_tracers(h)


def test_excluded_vars_are_per_class_and_inherited():
    class Sub(_Hidden):
        pass

    class Narrower(_Hidden):
        _excluded_vars = ("extra",)   # a subclass's own tuple replaces its parent's

    assert sorted(Sub().vars("relative")) == ["child.W", "child.b", "w"]
    assert sorted(Narrower().vars("relative")) == ["cache", "child.W", "child.b", "w"]
    plain = bp.Linear(2, 2)
    assert sorted(plain.vars("relative")) == ["W", "b"]


# -- bp.errors ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "BrainPyError", "APIChangedError", "ModelBuildError", "RunningError", "IntegratorError",
    "DiffEqError", "CodeError", "AnalyzerError", "PackageMissingError", "BackendNotInstalled",
    "UniqueNameError", "UnsupportedError", "NoImplementationError", "NoLongerSupportError",
    "ConnectorError", "MonitorError", "MathError", "JaxTracerError", "SharedArgError",
])
def test_error_classes_keep_brainpys_hierarchy(name):
    cls = getattr(bp.errors, name)
    assert issubclass(cls, bp.errors.BrainPyError)
    with pytest.raises(bp.errors.BrainPyError):
        raise cls("x")


def test_gpu_operator_not_found_is_not_a_brainpy_error_as_in_brainpy():
    assert not issubclass(bp.errors.GPUOperatorNotFound, bp.errors.BrainPyError)
    assert issubclass(bp.errors.JaxTracerError, bp.errors.MathError)


# -- environments -----------------------------------------------------------------------

def _defaults():
    return bm.get_dt(), bm.get_mode(), bm.get_float(), bm.get_int()


def test_training_and_batching_environments():
    before = _defaults()
    with bm.training_environment(batch_size=16, dt=0.05) as env:
        assert isinstance(env, bm.environment)
        mode = bm.get_mode()
        assert isinstance(mode, bm.TrainingMode) and mode.batch_size == 16
        assert bm.get_dt() == 0.05 and bm.dt == 0.05
    assert _defaults() == before
    with bm.batching_environment(batch_size=3):
        mode = bm.get_mode()
        assert type(mode) is bm.BatchingMode and mode.batch_size == 3
    assert _defaults() == before
    assert not isinstance(bm.batching_environment(), bm.training_environment)

    @bm.training_environment(batch_size=2)
    def inside():
        return bm.get_mode().batch_size

    assert inside() == 2 and _defaults() == before


def test_environment_and_set_take_brainpys_positional_order():
    before = _defaults()
    with bm.environment(bm.training_mode, None, 0.2):
        assert bm.get_mode() == bm.training_mode and bm.get_dt() == 0.2
    assert _defaults() == before
    with bm.environment(bp_object_as_pytree=True, numpy_func_return="jax_array"):
        assert _defaults() == before
    try:
        bm.set(None, None, 0.3)
        assert bm.get_dt() == 0.3
    finally:
        bm.set_dt(before[0])


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: bm.set(membrane_scaling=object()), bp.errors.UnsupportedError, "membrane_scaling"),
    (lambda: bm.environment(bp_object_as_pytree=False), bp.errors.UnsupportedError, "always pytrees"),
    (lambda: bm.set(numpy_func_return="bp_array"), bp.errors.UnsupportedError, "jax.Array"),
    (lambda: bm.set(bm.training_mode, mode=bm.training_mode), TypeError, "both by position"),
    (lambda: bm.set(*range(11)), TypeError, "at most 10 positional"),
    (lambda: bm.set(dt=0.5, mode="training"), TypeError, "mode"),
    (lambda: bm.training_environment(batch_size=0), TypeError, "batch_size must be a positive int"),
    (lambda: bm.training_environment(mode=bm.batching_mode), TypeError, "takes no mode"),
    (lambda: bm.batching_environment(dt=-1.0), ValueError, "dt"),
])
def test_bad_settings_change_nothing(call, error, pattern):
    before = _defaults()
    with pytest.raises(error, match=pattern):
        call()
    assert _defaults() == before


# -- devices and memory -------------------------------------------------------------------

def _run(code: str, env: dict | None = None) -> str:
    full = {**os.environ, **(env or {})}
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, env=full, timeout=240)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_set_host_device_count_before_jax_starts():
    env = {"XLA_FLAGS": "--xla_cpu_enable_fast_math=false", "JAX_PLATFORMS": "cpu"}
    out = _run("""
        import os, jax, brainobj as bp, brainobj.math as bm   # importing starts no backend
        bm.set_host_device_count(4)
        assert '--xla_cpu_enable_fast_math=false' in os.environ['XLA_FLAGS']  # kept
        print(len(jax.devices()))
        bm.set_host_device_count(4)          # the count in use: nothing to do
        try:
            bm.set_host_device_count(2)
        except RuntimeError as e:
            print('refused:', 'already started with 4' in str(e))
    """, env)
    assert out.split() == ["4", "refused:", "True"]


@pytest.mark.parametrize("n", [0, -1, 2.0, True, "4"])
def test_set_host_device_count_refuses_non_counts(n):
    flags = os.environ.get("XLA_FLAGS")
    with pytest.raises(TypeError, match="positive int"):
        bm.set_host_device_count(n)
    assert os.environ.get("XLA_FLAGS") == flags


def test_gpu_preallocation_helpers_warn_after_start_and_check_percent():
    saved = {k: os.environ.get(k) for k in ("XLA_PYTHON_CLIENT_PREALLOCATE",
                                            "XLA_PYTHON_CLIENT_ALLOCATOR",
                                            "XLA_PYTHON_CLIENT_MEM_FRACTION")}
    try:
        jnp.zeros(1).block_until_ready()  # JAX has started
        with pytest.warns(RuntimeWarning, match="new process"):
            bm.disable_gpu_memory_preallocation()
        assert os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"
        assert os.environ["XLA_PYTHON_CLIENT_ALLOCATOR"] == "platform"
        with pytest.warns(RuntimeWarning):
            bm.enable_gpu_memory_preallocation()
        assert os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] == "true"
        assert "XLA_PYTHON_CLIENT_ALLOCATOR" not in os.environ
        with pytest.warns(RuntimeWarning):
            bm.gpu_memory_preallocation(0.5)
        assert os.environ["XLA_PYTHON_CLIENT_MEM_FRACTION"] == "0.5"
        for bad in (1.0, -0.1, "0.5", True):
            with pytest.raises(ValueError, match=r"\[0, 1\)"):
                bm.gpu_memory_preallocation(bad)
        assert os.environ["XLA_PYTHON_CLIENT_MEM_FRACTION"] == "0.5"
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_clear_buffer_memory_keeps_models_and_deletes_the_rest():
    # In a subprocess: it deletes every other array in the process.
    out = _run("""
        import jax, jax.numpy as jnp, numpy as np, brainobj as bp, brainobj.math as bm
        bm.random.seed(0)
        model = bp.Linear(3, 2, name='kept')
        model.mask = jnp.ones((3, 2))           # an array attribute of a live object
        opt = bp.optim.Adam(lr=1e-2, train_vars=model.train_vars())
        loss = lambda x: ((x @ (model.W * model.mask) + model.b) ** 2).mean()
        grad = bm.grad(loss, grad_vars=model.train_vars())

        @bm.jit
        def step(x):
            opt.update(grad(x))
            return loss(x)

        def run(n):
            return bm.for_loop(lambda i: step(jnp.ones((4, 3)) * i), jnp.arange(n))

        data = jnp.arange(12.0).reshape(4, 3)
        first = run(3)
        before = {k: np.asarray(v) for k, v in model.state_dict().items()}
        n = bm.clear_buffer_memory(compilation=True, object_name=True)
        print(n >= 1, data.is_deleted(), model.W.value.is_deleted(), model.mask.is_deleted())
        after = {k: np.asarray(v) for k, v in model.state_dict().items()}
        print(all((before[k] == after[k]).all() for k in before))
        second = run(3)                          # the model, optimizer and loops still work
        print(bool(jnp.isfinite(second).all()), bm.random.rand(2).shape)
        print(bp.Linear(1, 1, name='kept').name)  # object_name=True freed the name
    """, {"JAX_PLATFORMS": "cpu"})
    assert out.split() == ["True", "True", "False", "False", "True", "True", "(2,)", "kept"]


def test_clear_buffer_memory_without_arrays_deletes_nothing():
    kept = jnp.arange(3.0)
    model = bp.Linear(2, 2)
    assert bm.clear_buffer_memory(array=False) == 0
    assert not kept.is_deleted() and not model.W.value.is_deleted()
    np.testing.assert_array_equal(np.asarray(kept), np.arange(3.0))
    assert state_of(model)
