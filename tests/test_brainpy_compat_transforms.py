"""BrainPy 2.x compatibility of the environment helpers, jit's legacy
arguments, function objects, conversions and control flow (issue #10).

Each test pins BrainPy's documented behaviour (``brainpy._src.math.environment``,
``object_transform/jit.py``, ``controls.py``, ``function.py``) against plain
JAX / NumPy. Global settings changed here are restored in ``finally`` blocks;
x64 runs in a subprocess so that no other test sees 64-bit defaults.
"""

import subprocess
import sys
import textwrap
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainobj as bp
import brainobj.math as bm


# -- 1. environment ------------------------------------------------------------------------

def test_dt_default_set_and_environment_restores_after_exception():
    assert bm.get_dt() == 0.1 and bm.dt == 0.1  # BrainPy's default
    try:
        bm.set_dt(0.05)
        assert bm.get_dt() == 0.05 and bm.dt == 0.05
    finally:
        bm.set_dt(0.1)
    with pytest.raises(RuntimeError, match="boom"):
        with bm.environment(dt=0.01, mode=bm.training_mode):
            assert bm.get_dt() == 0.01 and bm.get_mode() == bm.training_mode
            raise RuntimeError("boom")
    assert bm.get_dt() == 0.1 and bm.get_mode() is bm.nonbatching_mode


def test_set_checks_everything_before_changing_anything():
    with pytest.raises(TypeError, match="unknown setting 'precision'"):
        bm.set(dt=0.5, precision=64)
    with pytest.raises(TypeError, match="dt must be a float"):
        bm.set_dt("0.1")
    with pytest.raises(ValueError, match="positive"):
        bm.set(mode=bm.training_mode, dt=-1.0)
    with pytest.raises(TypeError, match="instantiate"):
        bm.set_mode(bm.TrainingMode)
    with pytest.raises(TypeError, match="float_"):
        bm.environment(float_=jnp.int32)
    assert bm.get_dt() == 0.1 and bm.get_mode() is bm.nonbatching_mode
    assert bm.get_float() is jnp.float32


def test_environment_as_decorator_and_dtype_defaults():
    @bm.environment(float_=jnp.float16, int_=jnp.int16)
    def inside():
        return bm.get_float(), bm.get_int(), bm.float_

    assert inside() == (jnp.float16, jnp.int16, jnp.float16)
    assert bm.get_float() is jnp.float32 and bm.get_int() is jnp.int32
    assert bm.get_bool() is jnp.bool_ and bm.get_complex() is jnp.complex64


def test_modes_compare_by_class():
    assert bm.TrainingMode(8).batch_size == 8
    assert bm.training_mode.is_one_of(bm.BatchingMode)
    assert not bm.batching_mode.is_a(bm.TrainingMode)
    assert bm.TrainingMode() == bm.training_mode


def test_platform():
    assert bm.get_platform() == jax.devices()[0].platform.replace("cuda", "gpu")
    bm.set_platform(bm.get_platform())  # the current one: accepted
    other = "tpu" if bm.get_platform() != "tpu" else "cpu"
    with pytest.raises(RuntimeError, match="JAX_PLATFORMS"):
        bm.set_platform(other)
    with pytest.raises(ValueError, match="'cpu', 'gpu', 'tpu'"):
        bm.set_platform("cuda0")


def test_x64_in_a_subprocess():
    code = textwrap.dedent("""
        import jax.numpy as jnp, brainobj.math as bm
        bm.enable_x64()
        assert bm.zeros(2).dtype == jnp.float64 and bm.arange(2).dtype == jnp.int64
        assert bm.get_float() is jnp.float64 and bm.float_ is jnp.float64
        v = bm.Variable(bm.ones(2))
        f = bm.jit(lambda x: v.value * x)
        assert f(jnp.float64(2.)).dtype == jnp.float64
        bm.disable_x64()
        assert bm.zeros(2).dtype == jnp.float32 and bm.get_int() is jnp.int32
        with bm.environment(x64=True):
            assert bm.zeros(1).dtype == jnp.float64
        assert bm.zeros(1).dtype == jnp.float32 and bm.get_float() is jnp.float32
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


# -- 2. jit's legacy arguments ---------------------------------------------------------------

def test_jit_dyn_vars_warns_at_the_callers_line_and_is_ignored():
    v = bm.Variable(bm.zeros(2))
    w = bm.Variable(bm.ones(2))

    def step(x):
        v.value = v + x * w
        return v.sum()

    with pytest.warns(DeprecationWarning, match="dyn_vars") as caught:
        f = bm.jit(step, dyn_vars=[v])  # w left out: still found, as in BrainPy >= 2.4
    assert caught[0].filename == __file__
    assert issubclass(caught[0].category, UserWarning)  # BrainPy's own category too
    assert float(f(bm.ones(2))) == 2.0
    np.testing.assert_array_equal(v.value, np.ones(2))

    obj = bp.BrainPyObject()
    with pytest.warns(DeprecationWarning, match="child_objs"):
        bm.jit(step, dyn_vars={"v": v}, child_objs=obj)

    class Model(bp.BrainPyObject):
        def __init__(self):
            self.s = bm.Variable(bm.zeros(()))

        @bm.cls_jit(static_argnums=None)
        def add(self, x):
            self.s.value += x

    m = Model()
    m.add(3.)
    assert float(m.s.value) == 3.0
    with pytest.warns(DeprecationWarning):
        bm.cls_jit(lambda self: None, dyn_vars=v)


def test_jit_keyword_arguments():
    f = bm.jit(lambda x: x + 1, keep_unused=True, abstracted_axes=None, in_shardings=None,
               out_shardings=None, name="f", inline=False)
    assert int(f(1)) == 2
    with pytest.raises(TypeError, match="unexpected keyword argument 'static_argnum'"):
        bm.jit(lambda x: x, static_argnum=0)
    with pytest.raises(TypeError, match="device="):
        bm.jit(lambda x: x, device=jax.devices()[0])
    one = jax.sharding.SingleDeviceSharding(jax.devices()[0])   # as in jax.jit
    g = bm.jit(lambda x: x * 2, in_shardings=one, out_shardings=one)
    assert float(g(2.0)) == 4.0 and g(2.0).sharding == one
    with pytest.raises(TypeError, match="dyn_vars must be a Variable"):
        bm.jit(lambda x: x, dyn_vars=[bm.zeros(2)])


# -- 3. function objects and conversions -----------------------------------------------------

def test_partial_and_to_object():
    p = bm.Partial(lambda a, b, scale=1.: (a - b) * scale, 5., scale=2.)
    assert p(3.) == 4.0 and p(3., scale=1.) == 2.0
    assert isinstance(p, bp.BrainPyObject)

    net = bp.BrainPyObject()
    net.w = bm.Variable(bm.ones(3))
    f = bm.to_object(lambda x: net.w.value * x, child_objs=net)
    np.testing.assert_array_equal(f(2.), 2 * np.ones(3))
    assert any(v is net.w for v in f.vars().values())
    with pytest.raises(ValueError, match="child_objs"):
        bm.to_object(lambda x: x)
    with pytest.warns(DeprecationWarning, match="to_object"):
        g = bm.function(lambda x: x + 1, nodes=net)
    assert g(1) == 2
    with pytest.raises(TypeError, match="dyn_vars must hold Variables"):
        bm.to_object(lambda: 0, child_objs=[], dyn_vars=[np.zeros(2)])


def test_as_jax_and_as_numpy():
    v = bm.Variable(bm.arange(3.))
    a = bm.as_jax(v)
    assert isinstance(a, jax.Array) and not isinstance(a, bm.Variable)
    assert bm.as_device_array([1, 2], dtype=jnp.float32).dtype == jnp.float32
    n = bm.as_numpy(v)
    assert type(n) is np.ndarray
    np.testing.assert_array_equal(n, np.arange(3.))
    assert bm.as_ndarray(jnp.ones(2), dtype=np.int64).dtype == np.int64


# -- 4. control flow ------------------------------------------------------------------------

def test_while_loop_body_returning_none():
    # BrainPy's idiom: the body updates Variables, cond_fun reads them.
    i = bm.Variable(bm.zeros((), dtype=jnp.int32))
    acc = bm.Variable(bm.zeros(()))

    def body(x):
        i.value += 1
        acc.value += x

    out = bm.while_loop(body, lambda x: i.value < 5, 2.)
    assert float(out) == 2.0  # operands unchanged
    assert int(i.value) == 5 and float(acc.value) == 10.0

    def body2(a, b):
        i.value += 1

    a, b = bm.while_loop(body2, lambda a, b: i.value < 8, (1., jnp.ones(2)))
    assert float(a) == 1.0 and int(i.value) == 8
    with pytest.warns(DeprecationWarning):
        bm.while_loop(body2, lambda a, b: i.value < 9, (1., jnp.ones(2)), dyn_vars=[i])
    assert int(i.value) == 9


def test_ifelse_single_condition_and_none_operands():
    assert int(bm.ifelse(True, [lambda: 1, lambda: 2])) == 1
    assert int(bm.ifelse(jnp.asarray(False), [lambda: 1, lambda: 2])) == 2
    assert float(bm.ifelse(3. > 2., [lambda x: x + 1, lambda x: x - 1], 1.)) == 2.0
    assert int(bm.ifelse([False, True], [1, 2, 3], None)) == 2
    with pytest.raises(bm.MathError, match="must be a scalar"):
        bm.ifelse(jnp.array([True, False]), [lambda: 1, lambda: 2])


def test_progress_bar_values_and_scan_progress(capsys):
    with pytest.raises(TypeError, match="progress_bar must be True, False or a bm.ProgressBar"):
        bm.for_loop(lambda x: x, bm.arange(3.), progress_bar="yes")
    with pytest.raises(TypeError, match="progress_bar"):
        bm.scan(lambda c, x: (c, x), 0., bm.arange(3.), progress_bar=1)
    with pytest.raises(ValueError, match="freq or count"):
        bm.ProgressBar(freq=2, count=3)

    carry, ys = bm.scan(lambda c, x: (c + x, c * x), 0., bm.arange(4.), progress_bar=True)
    ref_carry, ref_ys = jax.lax.scan(lambda c, x: (c + x, c * x), 0., jnp.arange(4.))
    np.testing.assert_allclose(carry, ref_carry)
    np.testing.assert_allclose(ys, ref_ys)
    out = bm.for_loop(lambda x: x * 2, bm.arange(5.), progress_bar=bm.ProgressBar(freq=2, desc="run"))
    np.testing.assert_array_equal(out, 2 * np.arange(5.))
    assert "run" in capsys.readouterr().err


def test_for_loop_legacy_arguments_and_unroll_kwargs():
    v = bm.Variable(bm.zeros(()))

    def body(x, scale):
        v.value += x * scale
        return v.value

    out = bm.for_loop(body, bm.arange(3.), unroll_kwargs={"scale": 2.})
    np.testing.assert_array_equal(out, np.array([0., 2., 6.]))
    with pytest.warns(DeprecationWarning, match="dyn_vars"):
        bm.for_loop(body, bm.arange(3.), unroll_kwargs={"scale": 1.}, dyn_vars=v)
    assert float(v.value) == 9.0
    with pytest.raises(TypeError, match="unroll_kwargs\\['scale'\\]"):
        bm.for_loop(body, bm.arange(3.), unroll_kwargs={"scale": [1.]})
    with jax.disable_jit():  # jit=None follows jax.disable_jit, as in BrainPy
        out = bm.for_loop(lambda x: x + 1, bm.arange(2.))
    np.testing.assert_array_equal(out, np.array([1., 2.]))


def test_legacy_warning_shown_once_per_call_not_per_step():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bm.cond(True, lambda: 1, lambda: 2, dyn_vars=[], child_objs=[])
    assert len(caught) == 1 and caught[0].filename == __file__
