"""bm.random: every draw against jax.random with the key the state should hold."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import brainobj as bp
import brainobj.math as bm

from _helpers import assert_close, assert_no_tracers, assert_same

R = bm.random


def key_of(state=None):
    return np.asarray((state or R.DEFAULT).value)


def expected_split(key):
    """(the state's next key, the key the next draw uses)."""
    keep, fresh = jax.random.split(key)
    return keep, fresh


@pytest.fixture(autouse=True)
def _restore_default_key():
    saved = R.DEFAULT.value
    yield
    R.DEFAULT.value = saved


# -- seeding ---------------------------------------------------------------------------------

@pytest.mark.parametrize("s", [0, 1, 42, 2**31 - 1])
def test_seed_sets_the_key_to_prng_key(s):
    R.seed(s)
    assert_same(R.DEFAULT.value, jax.random.PRNGKey(s))
    assert isinstance(R.DEFAULT, bm.Variable)
    assert R.DEFAULT.dtype == jnp.uint32 and R.DEFAULT.shape == (2,)


def test_seed_makes_draws_reproducible():
    R.seed(7)
    a = (R.rand(3), R.randn(2, 2), R.randint(0, 10, size=5))
    R.seed(7)
    b = (R.rand(3), R.randn(2, 2), R.randint(0, 10, size=5))
    for x, y in zip(a, b):
        assert_same(x, y)
    R.seed(8)
    assert not np.array_equal(np.asarray(R.rand(3)), np.asarray(a[0]))


def test_seed_none_draws_a_fresh_os_seed():
    R.seed(None)
    k1 = key_of()
    R.seed()
    k2 = key_of()
    assert k1.dtype == np.uint32 and k1.shape == (2,)
    assert not np.array_equal(k1, k2)


def test_split_key_advances_the_state():
    R.seed(3)
    keep, fresh = expected_split(jax.random.PRNGKey(3))
    got = R.split_key()
    assert_same(got, fresh)
    assert_same(R.DEFAULT.value, keep)
    keep2, fresh2 = expected_split(keep)
    assert_same(R.split_key(), fresh2)
    assert_same(R.DEFAULT.value, keep2)


def test_split_keys_advances_the_state():
    R.seed(4)
    keys = jax.random.split(jax.random.PRNGKey(4), 4)
    got = R.split_keys(3)
    assert_same(got, keys[1:])
    assert_same(R.DEFAULT.value, keys[0])


# -- each function against jax.random --------------------------------------------------------

# name: (draw(src, **kw) with src the module or a RandomState, oracle(key))
CASES = {
    "rand": (lambda r, **kw: r.rand(2, 3, **kw), lambda k: jax.random.uniform(k, (2, 3))),
    "rand_scalar": (lambda r, **kw: r.rand(**kw), lambda k: jax.random.uniform(k, ())),
    "randn": (lambda r, **kw: r.randn(4, **kw), lambda k: jax.random.normal(k, (4,))),
    "randint": (lambda r, **kw: r.randint(-3, 9, size=(5, 2), **kw),
                lambda k: jax.random.randint(k, (5, 2), -3, 9, jnp.int32)),
    "randint_high_only": (lambda r, **kw: r.randint(6, size=7, **kw),
                          lambda k: jax.random.randint(k, (7,), 0, 6, jnp.int32)),
    "randint_scalar": (lambda r, **kw: r.randint(1, 4, **kw),
                       lambda k: jax.random.randint(k, (), 1, 4, jnp.int32)),
    "uniform": (lambda r, **kw: r.uniform(-2.0, 5.0, size=(3,), **kw),
                lambda k: jax.random.uniform(k, (3,), minval=-2.0, maxval=5.0)),
    "uniform_broadcast": (lambda r, **kw: r.uniform(jnp.zeros((2, 1)), jnp.arange(1.0, 4.0), **kw),
                          lambda k: jax.random.uniform(k, (2, 3), minval=jnp.zeros((2, 1)),
                                                       maxval=jnp.arange(1.0, 4.0))),
    "uniform_variable_bounds": (
        lambda r, **kw: r.uniform(bm.Variable(jnp.zeros(2)), bm.Variable(jnp.full(2, 4.0)), **kw),
        lambda k: jax.random.uniform(k, (2,), minval=jnp.zeros(2), maxval=jnp.full(2, 4.0))),
    "normal": (lambda r, **kw: r.normal(1.5, 0.5, size=(6,), **kw),
               lambda k: 1.5 + 0.5 * jax.random.normal(k, (6,))),
    "normal_broadcast": (lambda r, **kw: r.normal(jnp.arange(3.0), 2.0, **kw),
                         lambda k: jnp.arange(3.0) + 2.0 * jax.random.normal(k, (3,))),
    "bernoulli": (lambda r, **kw: r.bernoulli(0.3, size=(10,), **kw),
                  lambda k: jax.random.bernoulli(k, 0.3, (10,))),
    "bernoulli_array_p": (lambda r, **kw: r.bernoulli(jnp.array([0.1, 0.9]), **kw),
                          lambda k: jax.random.bernoulli(k, jnp.array([0.1, 0.9]), (2,))),
    "choice_int": (lambda r, **kw: r.choice(10, size=4, **kw),
                   lambda k: jax.random.choice(k, 10, (4,))),
    "choice_array": (lambda r, **kw: r.choice(jnp.arange(8) * 3, size=(2, 2), replace=False, **kw),
                     lambda k: jax.random.choice(k, jnp.arange(8) * 3, (2, 2), replace=False)),
    "choice_p": (lambda r, **kw: r.choice(3, size=5, p=jnp.array([0.2, 0.0, 0.8]), **kw),
                 lambda k: jax.random.choice(k, 3, (5,), p=jnp.array([0.2, 0.0, 0.8]))),
    "permutation_int": (lambda r, **kw: r.permutation(7, **kw),
                        lambda k: jax.random.permutation(k, 7)),
    "permutation_array": (lambda r, **kw: r.permutation(jnp.arange(12).reshape(3, 4), axis=1, **kw),
                          lambda k: jax.random.permutation(k, jnp.arange(12).reshape(3, 4), axis=1)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_draw_from_global_state_matches_jax_random(name):
    draw, oracle = CASES[name]
    R.seed(11)
    keep, fresh = expected_split(jax.random.PRNGKey(11))
    got = draw(R)
    assert_close(got, oracle(fresh), rtol=1e-6)
    assert_same(R.DEFAULT.value, keep)  # the state advanced by one split


@pytest.mark.parametrize("name", list(CASES))
def test_explicit_key_leaves_the_state_alone(name):
    draw, oracle = CASES[name]
    R.seed(12)
    before = key_of()
    key = jax.random.PRNGKey(99)
    assert_close(draw(R, key=key), oracle(key), rtol=1e-6)
    np.testing.assert_array_equal(key_of(), before)
    # a Variable holding a key works as key= too, and is not advanced
    kv = bm.Variable(key)
    assert_close(draw(R, key=kv), oracle(key), rtol=1e-6)
    assert_same(kv.value, key)
    np.testing.assert_array_equal(key_of(), before)
    # same through a RandomState object
    rs = R.RandomState(5)
    assert_close(draw(rs, key=key), oracle(key), rtol=1e-6)
    assert_same(rs.value, jax.random.PRNGKey(5))


@pytest.mark.parametrize("name", list(CASES))
def test_random_state_object_methods_match_jax_random(name):
    draw, oracle = CASES[name]
    rs = R.RandomState(21)
    R.seed(0)
    before = key_of()
    keep, fresh = expected_split(jax.random.PRNGKey(21))
    assert_close(draw(rs), oracle(fresh), rtol=1e-6)
    assert_same(rs.value, keep)
    np.testing.assert_array_equal(key_of(), before)  # the global state is not involved


def test_dtypes_and_shapes():
    R.seed(0)
    assert R.rand(2, 3).dtype == jnp.float32 and R.rand(2, 3).shape == (2, 3)
    assert R.randn(5).dtype == jnp.float32
    assert R.randint(0, 3, size=(2,)).dtype == jnp.int32
    assert R.randint(0, 3, size=4, dtype=jnp.int16).dtype == jnp.int16
    assert R.uniform(size=[2, 2]).shape == (2, 2)
    assert R.normal(size=3).shape == (3,)
    assert R.bernoulli(0.5, size=(2, 3)).dtype == jnp.bool_
    assert R.choice(5).shape == ()
    assert R.permutation(4).dtype == jnp.int32


@pytest.mark.slow  # several seconds: `make test-slow` (CI's second step)
@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(-50, 50), st.integers(1, 60))
def test_ranges(seed, low, width):
    R.seed(seed)
    high = low + width
    u = np.asarray(R.rand(200))
    assert ((u >= 0) & (u < 1)).all()
    i = np.asarray(R.randint(low, high, size=300))
    assert ((i >= low) & (i < high)).all()
    f = np.asarray(R.uniform(float(low), float(high), size=300))
    assert ((f >= low) & (f < high)).all()
    b = np.asarray(R.bernoulli(0.5, size=50))
    assert b.dtype == np.bool_
    assert not R.bernoulli(0.0, size=20).any() and R.bernoulli(1.0, size=20).all()
    perm = np.asarray(R.permutation(width))
    assert sorted(perm.tolist()) == list(range(width))
    ch = np.asarray(R.choice(jnp.arange(low, high), size=min(width, 5), replace=False))
    assert len(set(ch.tolist())) == len(ch) and ((ch >= low) & (ch < high)).all()


def test_moments():
    R.seed(123)
    n = R.normal(3.0, 2.0, size=200_000)
    assert abs(float(n.mean()) - 3.0) < 0.03 and abs(float(n.std()) - 2.0) < 0.03
    b = R.bernoulli(0.25, size=200_000)
    assert abs(float(b.mean()) - 0.25) < 0.01
    u = R.uniform(-1.0, 3.0, size=200_000)
    assert abs(float(u.mean()) - 1.0) < 0.02


# -- shuffle -----------------------------------------------------------------------------------

def test_shuffle_variable_in_place():
    R.seed(5)
    x = jnp.arange(10)
    v = bm.Variable(x)
    keep, fresh = expected_split(jax.random.PRNGKey(5))
    before = v
    assert R.shuffle(v) is None
    assert v is before
    assert_same(v.value, jax.random.permutation(fresh, x))
    assert sorted(np.asarray(v.value).tolist()) == list(range(10))
    assert_same(R.DEFAULT.value, keep)


def test_shuffle_variable_along_axis_keeps_rows_intact():
    x = jnp.arange(12.0).reshape(4, 3)
    v = bm.Variable(x)
    R.shuffle(v, axis=0, key=jax.random.PRNGKey(1))
    assert_same(v.value, jax.random.permutation(jax.random.PRNGKey(1), x, axis=0))
    rows = {tuple(r) for r in np.asarray(v.value).tolist()}
    assert rows == {tuple(r) for r in np.asarray(x).tolist()}


def test_shuffle_array_returns_a_copy():
    x = jnp.arange(6)
    out = R.shuffle(x, key=jax.random.PRNGKey(2))
    assert_same(out, jax.random.permutation(jax.random.PRNGKey(2), x))
    assert_same(x, jnp.arange(6))


# -- RandomState objects ------------------------------------------------------------------------

def test_random_state_seeded_streams_are_reproducible_and_independent():
    a, b, c = R.RandomState(9), R.RandomState(9), R.RandomState(10)
    R.seed(0)
    before = key_of()
    xa = [a.rand(3) for _ in range(3)]
    xb = [b.rand(3) for _ in range(3)]
    xc = [c.rand(3) for _ in range(3)]
    for p, q in zip(xa, xb):
        assert_same(p, q)
    assert not any(np.array_equal(np.asarray(p), np.asarray(q)) for p, q in zip(xa, xc))
    np.testing.assert_array_equal(key_of(), before)  # the global state is untouched
    # oracle: three successive splits of PRNGKey(9)
    key = jax.random.PRNGKey(9)
    for got in xa:
        key, fresh = jax.random.split(key)
        assert_same(got, jax.random.uniform(fresh, (3,)))
    assert_same(a.value, key)


def test_random_state_from_key_and_reseed():
    key = jax.random.PRNGKey(31)
    rs = R.RandomState(key)
    assert_same(rs.value, key)
    rs.seed(4)
    assert_same(rs.value, jax.random.PRNGKey(4))
    assert_same(R.RandomState(np.int64(4)).value, jax.random.PRNGKey(4))
    with pytest.raises(ValueError):
        R.RandomState(jnp.zeros(3, jnp.uint32))


def test_random_state_is_a_variable_found_by_vars():
    class RandHolder(bp.BrainPyObject):
        def __init__(self):
            self.rng = R.RandomState(0)

    h = RandHolder()
    assert isinstance(h.rng, bm.Variable)
    assert list(h.vars()) == [f"{h.name}.rng"]
    assert repr(R.RandomState(0)) == "RandomState(value=Array([0, 0], dtype=uint32), dtype=uint32)"


# -- inside bm.jit --------------------------------------------------------------------------------

def test_jitted_draws_differ_between_calls_and_advance_the_global_key():
    @bm.jit
    def draw():
        return R.rand(4)

    R.seed(17)
    k0 = key_of()
    a = draw()
    k1 = key_of()
    b = draw()
    k2 = key_of()
    assert not np.array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(k0, k1) and not np.array_equal(k1, k2)
    assert_no_tracers(R.DEFAULT)
    # oracle: the same as two eager draws after the same seed
    key = jax.random.PRNGKey(17)
    for got, key_after in ((a, k1), (b, k2)):
        key, fresh = jax.random.split(key)
        assert_close(got, jax.random.uniform(fresh, (4,)), rtol=1e-6)
        np.testing.assert_array_equal(key_after, np.asarray(key))


def test_jitted_runs_after_seed_are_identical():
    @bm.jit
    def draw(x):
        return x + R.normal(size=(3,)) + R.randint(0, 100, size=(3,))

    x = jnp.ones(3)
    R.seed(2024)
    first = [draw(x) for _ in range(3)]
    R.seed(2024)
    second = [draw(x) for _ in range(3)]
    for p, q in zip(first, second):
        assert_same(p, q)
    assert not np.array_equal(np.asarray(first[0]), np.asarray(first[1]))
    # and they equal the eager run
    R.seed(2024)
    eager = [x + R.normal(size=(3,)) + R.randint(0, 100, size=(3,)) for _ in range(3)]
    for p, q in zip(first, eager):
        assert_close(p, q, rtol=1e-6)


def test_jitted_method_with_its_own_random_state():
    class RandNoise(bp.BrainPyObject):
        def __init__(self, seed):
            self.rng = R.RandomState(seed)
            self.x = bm.Variable(jnp.zeros(3))

        @bm.cls_jit
        def step(self):
            self.x.value = self.x + self.rng.uniform(size=3)
            return self.x.value

    R.seed(0)
    global_before = key_of()
    n1, n2 = RandNoise(5), RandNoise(5)
    a = [n1.step() for _ in range(3)]
    b = [n2.step() for _ in range(3)]
    for p, q in zip(a, b):
        assert_same(p, q)
    assert not np.array_equal(np.asarray(a[0]), np.asarray(a[1]) - np.asarray(a[0]))
    np.testing.assert_array_equal(key_of(), global_before)
    # eager oracle
    key, acc = jax.random.PRNGKey(5), jnp.zeros(3)
    for got in a:
        key, fresh = jax.random.split(key)
        acc = acc + jax.random.uniform(fresh, (3,))
        assert_close(got, acc, rtol=1e-6)
    assert_same(n1.rng.value, key)


def test_jitted_explicit_key_does_not_touch_the_state():
    @bm.jit
    def draw(key):
        return R.rand(3, key=key)

    R.seed(1)
    before = key_of()
    key = jax.random.PRNGKey(77)
    assert_close(draw(key), jax.random.uniform(key, (3,)), rtol=1e-6)
    np.testing.assert_array_equal(key_of(), before)


def test_jitted_split_keys_and_shuffle():
    v = bm.Variable(jnp.arange(8))

    @bm.jit
    def go():
        keys = R.split_keys(2)
        R.shuffle(v)
        return keys

    R.seed(3)
    keys = go()
    k = jax.random.split(jax.random.PRNGKey(3), 3)
    assert_same(keys, k[1:])
    keep, fresh = jax.random.split(k[0])
    assert_same(v.value, jax.random.permutation(fresh, jnp.arange(8)))
    assert_same(R.DEFAULT.value, keep)
    assert not bm.in_transform()


def test_failed_jitted_draw_leaves_the_key_unchanged():
    @bm.jit
    def bad():
        R.rand(2)
        raise RuntimeError("boom")

    R.seed(6)
    before = key_of()
    with pytest.raises(RuntimeError, match="boom"):
        bad()
    np.testing.assert_array_equal(key_of(), before)
    assert_no_tracers(R.DEFAULT)


def test_nested_jitted_draws_advance_the_key_once_per_draw():
    inner = bm.jit(lambda: R.rand(2))

    @bm.jit
    def outer():
        return inner(), inner()

    R.seed(1)
    a, b = outer()
    key = jax.random.PRNGKey(1)
    key, f1 = jax.random.split(key)
    key, f2 = jax.random.split(key)
    assert_close(a, jax.random.uniform(f1, (2,)), rtol=1e-6)
    assert_close(b, jax.random.uniform(f2, (2,)), rtol=1e-6)
    assert_same(R.DEFAULT.value, key)
    c, _ = outer()
    assert not np.array_equal(np.asarray(a), np.asarray(c))
