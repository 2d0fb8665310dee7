"""bp.init: every initializer against jax.nn.initializers with the same key.

Without an explicit key an initializer draws from ``bm.random``: the key it
uses must be the one ``jax.random.split`` gives from the global state, so the
same oracle applies after ``bm.random.seed``.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jax.nn import initializers as jinit

import brainobj as bp
import brainobj.math as bm

from _helpers import assert_close

R = bm.random
FAST = settings(max_examples=6, deadline=None)


@pytest.fixture(autouse=True)
def _restore_default_key():
    saved = R.DEFAULT.value
    yield
    R.DEFAULT.value = saved


def truncated_then_shifted(loc, scale, lower, upper):
    return lambda key, shape, dtype: loc + jinit.truncated_normal(
        scale, lower=lower, upper=upper)(key, shape, dtype)


def shifted_normal(mean, scale):
    return lambda key, shape, dtype: jinit.normal(scale)(key, shape, dtype) + mean


def uniform_between(lo, hi):
    return lambda key, shape, dtype: jax.random.uniform(key, shape, dtype, minval=lo, maxval=hi)


def via_float32(init):
    """jax's QR has no float16/bfloat16 kernel: brainobj factors in float32 and casts."""
    def fn(key, shape, dtype):
        if jnp.finfo(dtype).bits < 32:
            return init(key, shape, jnp.float32).astype(dtype)
        return init(key, shape, dtype)
    return fn


# (brainobj initializer, the jax.nn.initializers function it must equal)
CASES = {
    "XavierNormal": (bp.init.XavierNormal(), jinit.glorot_normal()),
    "XavierNormal(scale=3)": (bp.init.XavierNormal(3.0),
                              jinit.variance_scaling(3.0, "fan_avg", "truncated_normal")),
    "XavierUniform": (bp.init.XavierUniform(), jinit.glorot_uniform()),
    # with_partitioning draws exactly what it wraps
    "with_partitioning(XavierUniform)": (bp.init.with_partitioning(bp.init.XavierUniform(), ("m",)),
                                         jinit.glorot_uniform()),
    "KaimingNormal": (bp.init.KaimingNormal(), jinit.he_normal()),
    "KaimingUniform": (bp.init.KaimingUniform(), jinit.he_uniform()),
    "LecunNormal": (bp.init.LecunNormal(), jinit.lecun_normal()),
    "LecunUniform": (bp.init.LecunUniform(), jinit.lecun_uniform()),
    "LecunUniform(in_axis=0,out_axis=1)": (
        bp.init.LecunUniform(in_axis=0, out_axis=1),
        jinit.variance_scaling(1.0, "fan_in", "uniform", in_axis=0, out_axis=1)),
    "Normal": (bp.init.Normal(), jinit.normal(1.0)),
    "Normal(0.5, 0.1)": (bp.init.Normal(0.5, 0.1), shifted_normal(0.5, 0.1)),
    "Uniform": (bp.init.Uniform(), uniform_between(0.0, 1.0)),
    "Uniform(-2, 3)": (bp.init.Uniform(-2.0, 3.0), uniform_between(-2.0, 3.0)),
    "TruncatedNormal": (bp.init.TruncatedNormal(), jinit.truncated_normal(1.0)),
    "TruncatedNormal(1, 0.5, -1, 3)": (bp.init.TruncatedNormal(1.0, 0.5, -1.0, 3.0),
                                       truncated_then_shifted(1.0, 0.5, -1.0, 3.0)),
    "Orthogonal": (bp.init.Orthogonal(), via_float32(jinit.orthogonal())),
    "Orthogonal(2, axis=0)": (bp.init.Orthogonal(2.0, axis=0),
                              via_float32(jinit.orthogonal(2.0, column_axis=0))),
    "Constant(0.5)": (bp.init.Constant(0.5), jinit.constant(0.5)),
    "ZeroInit": (bp.init.ZeroInit(), jinit.zeros),
    "OneInit": (bp.init.OneInit(), jinit.ones),
}
RANDOM = [name for name in CASES if not isinstance(CASES[name][0], bp.init.Constant)]
CONSTANT = [name for name in CASES if name not in RANDOM]


def test_every_exported_initializer_is_covered():
    exported = {n for n in dir(bp.init) if not n.startswith("_") and n != "Initializer"
                and isinstance(getattr(bp.init, n), type)}
    assert callable(bp.init.with_partitioning)  # the one function: it makes a Partitioned
    covered = {type(CASES[name][0]).__name__ for name in CASES}
    assert exported <= covered, exported - covered


# A few fixed shapes (keys vary freely): each new shape costs compilations.
shapes_2d = st.sampled_from([(1, 1), (3, 4), (4, 3), (7, 2), (2, 9), (6, 6)])
shapes_nd = st.sampled_from([(2, 3, 4), (3, 3, 2, 5), (4, 1, 2)])
seeds = st.integers(0, 2**31 - 1)


# -- explicit key: equal to jax.nn.initializers -------------------------------------------------

@FAST
@given(shape=shapes_2d, seed=seeds)
@pytest.mark.parametrize("name", sorted(CASES))
def test_explicit_key_matches_jax_initializer(name, shape, seed):
    init, oracle = CASES[name]
    key = jax.random.PRNGKey(seed)
    before = np.asarray(R.DEFAULT.value)
    got = init(shape, key=key)
    assert_close(got, oracle(key, shape, jnp.float32), rtol=1e-6, atol=1e-7)
    # an explicit key leaves the global stream alone
    np.testing.assert_array_equal(np.asarray(R.DEFAULT.value), before)


@FAST
@given(shape=shapes_nd, seed=seeds)
@pytest.mark.parametrize("name", sorted(n for n in RANDOM if n.startswith(
    ("Xavier", "Kaiming", "Lecun", "Orthogonal"))))  # where the fans/axes depend on the shape
def test_higher_dimensional_shapes_match_jax_initializer(name, shape, seed):
    init, oracle = CASES[name]
    key = jax.random.PRNGKey(seed)
    assert_close(init(shape, key=key), oracle(key, shape, jnp.float32), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16, jnp.float32])
@pytest.mark.parametrize("name", sorted(CASES))
def test_dtype_is_honoured(name, dtype):
    init, oracle = CASES[name]
    key = jax.random.PRNGKey(3)
    got = init((4, 5), dtype=dtype, key=key)
    assert got.dtype == jnp.dtype(dtype) and got.shape == (4, 5)
    assert_close(got, oracle(key, (4, 5), dtype), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(CASES))
def test_default_dtype_is_float32_and_shape_forms(name):
    init, _ = CASES[name]
    key = jax.random.PRNGKey(0)
    a = init((3, 4), key=key)
    assert a.shape == (3, 4) and a.dtype == jnp.float32
    # a list and NumPy integers are shapes too
    assert_close(init([3, 4], key=key), a, rtol=1e-6, atol=1e-7)
    assert_close(init((np.int64(3), np.int32(4)), key=key), a, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["Normal", "Uniform", "TruncatedNormal", "Constant(0.5)"])
def test_an_int_is_a_one_dimensional_shape(name):
    init, oracle = CASES[name]
    key = jax.random.PRNGKey(1)
    assert_close(init(7, key=key), oracle(key, (7,), jnp.float32), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(CASES))
def test_empty_shapes_give_empty_arrays(name):
    init, _ = CASES[name]
    got = init((0, 4))
    assert got.shape == (0, 4) and got.dtype == jnp.float32


def test_a_variable_holding_a_key_is_a_key():
    key = jax.random.PRNGKey(5)
    assert_close(bp.init.XavierUniform()((3, 4), key=bm.Variable(key)),
                 jinit.glorot_uniform()(key, (3, 4), jnp.float32), rtol=1e-6, atol=1e-7)


# -- implicit key: drawn from bm.random ---------------------------------------------------------

@FAST
@given(seed=seeds)
@pytest.mark.parametrize("name", sorted(RANDOM))
def test_without_key_draws_the_next_key_of_bm_random(name, seed):
    init, oracle = CASES[name]
    R.seed(seed)
    keep, fresh = jax.random.split(jax.random.PRNGKey(seed))
    assert_close(init((5, 3)), oracle(fresh, (5, 3), jnp.float32), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(np.asarray(R.DEFAULT.value), np.asarray(keep))


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_two_calls_differ_and_seed_reproduces_them(name):
    init, _ = CASES[name]
    R.seed(11)
    a, b = init((6, 6)), init((6, 6))
    assert not np.array_equal(np.asarray(a), np.asarray(b))
    R.seed(11)
    assert_close(init((6, 6)), a, rtol=1e-6, atol=1e-7)
    assert_close(init((6, 6)), b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(CONSTANT))
def test_constants_do_not_advance_the_random_stream(name):
    init, oracle = CASES[name]
    R.seed(0)
    got = init((2, 3))
    np.testing.assert_array_equal(np.asarray(R.DEFAULT.value), np.asarray(jax.random.PRNGKey(0)))
    assert_close(got, oracle(None, (2, 3), jnp.float32), rtol=1e-6, atol=1e-7)


def test_constant_keeps_an_integer_dtype():
    got = bp.init.Constant(3)((2,), dtype=jnp.int32)
    assert_close(got, jnp.full((2,), 3, jnp.int32), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_inside_bm_jit_matches_eager_and_advances_the_key(name):
    init, _ = CASES[name]
    R.seed(21)
    eager = [init((4, 3)) for _ in range(3)]
    eager_key = np.asarray(R.DEFAULT.value)

    draw = bm.jit(lambda: init((4, 3)))
    R.seed(21)
    jitted = [draw() for _ in range(3)]
    np.testing.assert_array_equal(np.asarray(R.DEFAULT.value), eager_key)
    for got, expected in zip(jitted, eager):
        assert_close(got, expected, rtol=1e-6, atol=1e-7)
    assert not np.array_equal(np.asarray(jitted[0]), np.asarray(jitted[1]))


def test_initializing_a_variable_inside_an_object_is_reproducible():
    class Layer(bp.BrainPyObject):
        def __init__(self):
            super().__init__()
            self.W = bm.Variable(bp.init.KaimingUniform()((8, 4)))

    R.seed(3)
    a = Layer().W.value
    R.seed(3)
    assert_close(Layer().W.value, a, rtol=1e-6, atol=1e-7)
    _, fresh = jax.random.split(jax.random.PRNGKey(3))
    assert_close(a, jinit.he_uniform()(fresh, (8, 4), jnp.float32), rtol=1e-6, atol=1e-7)


# -- statistics on large shapes -------------------------------------------------------------------

N_IN, N_OUT = 300, 500
VARIANCE = {
    "XavierNormal": 2 / (N_IN + N_OUT),
    "XavierUniform": 2 / (N_IN + N_OUT),
    "KaimingNormal": 2 / N_IN,
    "KaimingUniform": 2 / N_IN,
    "LecunNormal": 1 / N_IN,
    "LecunUniform": 1 / N_IN,
    "Normal": 1.0,
    "Normal(0.5, 0.1)": 0.01,
    "Uniform(-2, 3)": 25 / 12,
}


@pytest.mark.parametrize("name", sorted(VARIANCE))
def test_variance_matches_the_formula(name):
    init, _ = CASES[name]
    w = np.asarray(init((N_IN, N_OUT), key=jax.random.PRNGKey(0)), np.float64)
    assert w.var() == pytest.approx(VARIANCE[name], rel=0.03)


@pytest.mark.parametrize("name,bound", [
    ("XavierUniform", np.sqrt(3 * 2 / (N_IN + N_OUT))),
    ("KaimingUniform", np.sqrt(3 * 2 / N_IN)),
    ("LecunUniform", np.sqrt(3 / N_IN)),
    # truncated at 2 standard deviations of the untruncated normal, which is
    # rescaled (by 1 / 0.87962566) so that the truncated variance is right
    ("XavierNormal", 2 * np.sqrt(2 / (N_IN + N_OUT)) / 0.87962566103423978),
    ("KaimingNormal", 2 * np.sqrt(2 / N_IN) / 0.87962566103423978),
    ("LecunNormal", 2 * np.sqrt(1 / N_IN) / 0.87962566103423978),
])
def test_bounded_variance_scaling_stays_in_bounds(name, bound):
    w = np.asarray(CASES[name][0]((N_IN, N_OUT), key=jax.random.PRNGKey(1)))
    assert np.abs(w).max() <= bound * (1 + 1e-6)
    assert np.abs(w).max() > 0.9 * bound  # the bound is reached: not a narrower law


@FAST
@given(loc=st.floats(-3, 3), scale=st.floats(0.1, 3), lower=st.floats(-3, 0.5),
       width=st.floats(0.1, 3), seed=seeds)
def test_truncated_normal_stays_in_its_bounds(loc, scale, lower, width, seed):
    upper = lower + width
    w = np.asarray(bp.init.TruncatedNormal(loc, scale, lower, upper)(
        (50, 40), key=jax.random.PRNGKey(seed)), np.float64)
    tol = 1e-5 * (abs(loc) + scale)
    assert w.min() >= loc + lower * scale - tol and w.max() <= loc + upper * scale + tol


def test_uniform_stays_in_bounds():
    w = np.asarray(bp.init.Uniform(-2.0, 3.0)((N_IN, N_OUT), key=jax.random.PRNGKey(2)))
    assert w.min() >= -2.0 and w.max() < 3.0
    assert w.mean() == pytest.approx(0.5, abs=0.02)


@FAST
@given(shape=shapes_2d, scale=st.floats(0.5, 3.0), seed=seeds)
def test_orthogonal_columns_or_rows_are_orthonormal(shape, scale, seed):
    w = np.asarray(bp.init.Orthogonal(scale)(shape, key=jax.random.PRNGKey(seed)), np.float64)
    n_rows, n_cols = shape
    gram = w.T @ w if n_rows >= n_cols else w @ w.T
    np.testing.assert_allclose(gram, scale ** 2 * np.eye(min(shape)), atol=1e-5 * scale ** 2)


def test_orthogonal_of_a_kernel_is_orthogonal_along_the_column_axis():
    w = np.asarray(bp.init.Orthogonal()((3, 3, 4, 8), key=jax.random.PRNGKey(0)), np.float64)
    m = w.reshape(-1, 8)  # 36 rows, 8 orthonormal columns
    np.testing.assert_allclose(m.T @ m, np.eye(8), atol=1e-5)


# -- errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("make,exc,pattern", [
    (lambda: bp.init.Uniform(1.0, 1.0), ValueError, r"Uniform needs min_val < max_val.*1\.0.*1\.0"),
    (lambda: bp.init.Uniform(2.0, -1.0), ValueError, r"min_val < max_val"),
    (lambda: bp.init.TruncatedNormal(scale=0.0), ValueError, r"scale > 0.*scale=0\.0"),
    (lambda: bp.init.TruncatedNormal(lower=1.0, upper=-1.0), ValueError, r"lower < upper"),
    (lambda: bp.init.Normal(scale=-1.0), ValueError, r"Normal.*scale >= 0.*-1\.0"),
    (lambda: bp.init.XavierNormal(scale=-1.0), ValueError, r"XavierNormal needs scale > 0.*-1\.0"),
    (lambda: bp.init.KaimingUniform(scale=0.0), ValueError, r"KaimingUniform needs scale > 0"),
])
def test_bad_constructor_arguments_raise(make, exc, pattern):
    with pytest.raises(exc, match=pattern):
        make()


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("shape,exc,pattern", [
    ("ab", TypeError, r"needs a shape .*'ab'"),
    (3.5, TypeError, r"needs a shape .*3\.5"),
    ((3, 2.5), TypeError, r"needs a shape"),
    ((3, -1), ValueError, r"negative dimension .*\(3, -1\)"),
])
def test_bad_shapes_raise(name, shape, exc, pattern):
    with pytest.raises(exc, match=pattern):
        CASES[name][0](shape)


@pytest.mark.parametrize("name", sorted(n for n in RANDOM if "Normal" in n or "Uniform" in n
                                        or "Orthogonal" in n))
def test_integer_dtype_is_refused_by_random_initializers(name):
    init, _ = CASES[name]
    with pytest.raises(ValueError, match=r"floating dtype.*int32"):
        init((3, 4), dtype=jnp.int32)


@pytest.mark.parametrize("init", [bp.init.XavierNormal(), bp.init.KaimingUniform(),
                                  bp.init.LecunNormal(), bp.init.Orthogonal()])
@pytest.mark.parametrize("shape", [(), (5,)])
def test_matrix_initializers_refuse_vectors_naming_the_shape(init, shape):
    name = type(init).__name__
    with pytest.raises(ValueError, match=rf"{name}\(.*{str(shape).replace('(', '[(]').replace(')', '[)]')}"):
        init(shape)


def test_bad_input_does_not_advance_the_random_stream():
    R.seed(4)
    before = np.asarray(R.DEFAULT.value)
    for call in (lambda: bp.init.XavierNormal()((5,)),
                 lambda: bp.init.Normal()((2, 3), dtype=jnp.int32),
                 lambda: bp.init.Orthogonal()(7)):
        with pytest.raises(ValueError):
            call()
    np.testing.assert_array_equal(np.asarray(R.DEFAULT.value), before)


def test_zero_dimensional_numpy_integer_is_a_shape():
    assert bp.init.Uniform()(np.array(3)).shape == (3,)
    assert bp.init.ZeroInit()([np.int32(2), np.array(4)]).shape == (2, 4)
