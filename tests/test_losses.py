"""bp.losses: every loss against a hand-written formula, its gradient, jit and errors."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import brainobj.math as bm
from brainobj import losses

from _helpers import assert_close

REDUCTIONS = ("mean", "sum", "none")
FAST = settings(max_examples=12, deadline=None)


# -- oracles: the formulas, written by hand in jax.numpy ---------------------------------------

def log_softmax(x):
    shifted = x - xp(x).max(x, axis=-1, keepdims=True)
    return shifted - xp(x).log(xp(x).sum(xp(x).exp(shifted), axis=-1, keepdims=True))


def xp(x):
    """The oracles run in NumPy for values (fast: nothing to compile) and in
    jax.numpy under jax.grad, so one formula serves both."""
    return np if isinstance(x, np.ndarray) else jnp


def ce_probs_oracle(logits, probs):
    return -xp(logits).sum(probs * log_softmax(logits), axis=-1)


def ce_index_oracle(logits, idx):
    one_hot = np.eye(logits.shape[-1], dtype=np.float32)[np.asarray(idx, dtype=int)]
    return ce_probs_oracle(logits, one_hot)


def bce_oracle(x, t):
    # the stable form of -t log sigmoid(x) - (1 - t) log(1 - sigmoid(x))
    m = xp(x)
    return m.maximum(x, 0) - x * t + m.log1p(m.exp(-m.abs(x)))


def huber_oracle(p, t, delta=1.0):
    m = xp(p)
    e = m.abs(p - t)
    return m.where(e <= delta, 0.5 * e ** 2, delta * (e - 0.5 * delta))


REGRESSION = {
    "mean_squared_error": lambda p, t: (p - t) ** 2,
    "mean_absolute_error": lambda p, t: xp(p).abs(p - t),
    "l2_loss": lambda p, t: 0.5 * (p - t) ** 2,
    "huber_loss": huber_oracle,
}


def reduce_oracle(x, reduction):
    return {"mean": xp(x).mean, "sum": xp(x).sum, "none": lambda a: a}[reduction](x)


# -- data ----------------------------------------------------------------------------------------

# few distinct shapes: each new one costs a compilation per primitive
batch_shapes = st.lists(st.integers(1, 3), min_size=0, max_size=2).map(tuple)
num_classes = st.integers(2, 4)
seeds = st.integers(0, 2**32 - 1)


def normal(rng, shape, scale=3.0):
    return np.asarray(rng.normal(size=shape, scale=scale), np.float32)


def probabilities(rng, shape):
    e = np.exp(normal(rng, shape, scale=2.0))
    return e / e.sum(axis=-1, keepdims=True)


# -- cross_entropy_loss -----------------------------------------------------------------------

@pytest.mark.slow  # several seconds: `make test-slow` (CI's second step)
@FAST
@given(batch=batch_shapes, c=num_classes, seed=seeds, reduction=st.sampled_from(REDUCTIONS))
def test_cross_entropy_with_integer_targets_matches_formula(batch, c, seed, reduction):
    rng = np.random.default_rng(seed)
    logits = normal(rng, batch + (c,))
    idx = rng.integers(0, c, size=batch).astype(np.int32)
    got = losses.cross_entropy_loss(logits, idx, reduction=reduction)
    assert_close(got, reduce_oracle(ce_index_oracle(logits, idx), reduction))


@FAST
@given(batch=batch_shapes, c=num_classes, seed=seeds, reduction=st.sampled_from(REDUCTIONS))
def test_cross_entropy_with_probability_targets_matches_formula(batch, c, seed, reduction):
    rng = np.random.default_rng(seed)
    logits, probs = normal(rng, batch + (c,)), probabilities(rng, batch + (c,))
    got = losses.cross_entropy_loss(logits, probs, reduction=reduction)
    assert_close(got, reduce_oracle(ce_probs_oracle(logits, probs), reduction))


@FAST
@given(batch=batch_shapes, c=num_classes, seed=seeds, reduction=st.sampled_from(REDUCTIONS))
def test_cross_entropy_int_float_and_one_hot_targets_agree(batch, c, seed, reduction):
    rng = np.random.default_rng(seed)
    logits = normal(rng, batch + (c,))
    idx = rng.integers(0, c, size=batch)
    as_int = losses.cross_entropy_loss(logits, jnp.asarray(idx, jnp.int32), reduction)
    as_float = losses.cross_entropy_loss(logits, jnp.asarray(idx, jnp.float32), reduction)
    as_one_hot = losses.cross_entropy_loss(logits, jax.nn.one_hot(idx, c), reduction)
    as_int_one_hot = losses.cross_entropy_loss(logits, np.eye(c, dtype=np.int32)[idx], reduction)
    assert_close(as_float, as_int, rtol=0, atol=0)
    assert_close(as_one_hot, as_int)
    assert_close(as_int_one_hot, as_int)


def test_cross_entropy_float_binary_labels_as_in_the_seed_tutorial():
    # A 2-class net with float 0./1. labels of shape (N,): read as class indices.
    rng = np.random.default_rng(0)
    logits = normal(rng, (16, 2))
    labels = jnp.asarray(rng.integers(0, 2, size=16), jnp.float32)
    assert_close(losses.cross_entropy_loss(logits, labels),
                 jnp.mean(ce_index_oracle(logits, labels)))


def test_cross_entropy_of_uniform_logits_is_log_num_classes():
    for c in (2, 5, 10):
        got = losses.cross_entropy_loss(jnp.zeros((3, c)), jnp.arange(3) % c)
        assert_close(got, jnp.log(jnp.float32(c)))


def test_cross_entropy_is_stable_for_huge_logits():
    logits = jnp.array([[1e4, -1e4, 0.0], [-1e4, 0.0, 1e4]])
    got = losses.cross_entropy_loss(logits, jnp.array([0, 0]), reduction="none")
    assert bool(jnp.all(jnp.isfinite(got)))
    assert_close(got, ce_index_oracle(logits, jnp.array([0, 0])))


@FAST
@given(batch=st.lists(st.integers(1, 4), min_size=1, max_size=2).map(tuple), c=num_classes,
       seed=seeds, reduction=st.sampled_from(("mean", "sum")), kind=st.sampled_from(("idx", "p")))
def test_cross_entropy_gradient_matches_formula(batch, c, seed, reduction, kind):
    rng = np.random.default_rng(seed)
    logits = normal(rng, batch + (c,))
    if kind == "idx":
        targets = rng.integers(0, c, size=batch).astype(np.int32)
        oracle = lambda x: reduce_oracle(ce_index_oracle(x, targets), reduction)  # noqa: E731
    else:
        targets = probabilities(rng, batch + (c,))
        oracle = lambda x: reduce_oracle(ce_probs_oracle(x, targets), reduction)  # noqa: E731
    # jitted: one compilation per example instead of one per primitive
    got = jax.jit(jax.grad(lambda x: losses.cross_entropy_loss(x, targets, reduction)))(logits)
    assert bool(np.all(np.isfinite(got)))
    assert_close(got, jax.jit(jax.grad(oracle))(logits))


def test_cross_entropy_eager_rejects_bad_class_indices():
    logits = jnp.zeros((3, 4))
    with pytest.raises(ValueError, match=r"\[0, 4\).*\[0, 4\]"):
        losses.cross_entropy_loss(logits, jnp.array([0, 1, 4]))
    with pytest.raises(ValueError, match=r"\[0, 4\).*\[-1, 2\]"):
        losses.cross_entropy_loss(logits, jnp.array([-1, 1, 2]))
    with pytest.raises(ValueError, match="whole numbers"):
        losses.cross_entropy_loss(logits, jnp.array([0.0, 0.5, 1.0]))


@pytest.mark.parametrize("targets_shape", [(4,), (3, 5), (3, 4, 1), ()])
def test_cross_entropy_rejects_targets_of_other_shapes(targets_shape):
    with pytest.raises(ValueError, match=r"cross_entropy_loss.*\(3, 4\).*\(3,\).*"
                                         + "(3, 4)".replace("(", r"\(").replace(")", r"\)")):
        losses.cross_entropy_loss(jnp.zeros((3, 4)), jnp.zeros(targets_shape))


def test_cross_entropy_rejects_scalar_logits():
    with pytest.raises(ValueError, match="class axis"):
        losses.cross_entropy_loss(jnp.float32(1.0), jnp.int32(0))


# -- binary_cross_entropy ---------------------------------------------------------------------

@FAST
@given(shape=batch_shapes, seed=seeds, reduction=st.sampled_from(REDUCTIONS),
       hard=st.booleans())
def test_binary_cross_entropy_matches_formula(shape, seed, reduction, hard):
    rng = np.random.default_rng(seed)
    logits = normal(rng, shape)
    targets = (rng.integers(0, 2, size=shape).astype(np.float32) if hard
               else rng.uniform(size=shape).astype(np.float32))
    got = losses.binary_cross_entropy(logits, targets, reduction=reduction)
    assert_close(got, reduce_oracle(bce_oracle(logits, targets), reduction))
    grad = jax.jit(jax.grad(
        lambda x: jnp.sum(losses.binary_cross_entropy(x, targets, reduction))))(logits)
    oracle = jax.jit(jax.grad(
        lambda x: jnp.sum(reduce_oracle(bce_oracle(x, targets), reduction))))(logits)
    assert bool(np.all(np.isfinite(grad)))
    assert_close(grad, oracle)


def test_binary_cross_entropy_integer_and_float_labels_agree():
    rng = np.random.default_rng(1)
    logits, labels = normal(rng, (10,)), rng.integers(0, 2, size=10)
    assert_close(losses.binary_cross_entropy(logits, jnp.asarray(labels, jnp.int32)),
                 losses.binary_cross_entropy(logits, jnp.asarray(labels, jnp.float32)),
                 rtol=0, atol=0)


def test_binary_cross_entropy_is_the_two_class_softmax_cross_entropy():
    # sigmoid(x) == softmax([0, x])[1]: the two formulations must agree.
    rng = np.random.default_rng(2)
    x, labels = normal(rng, (8,)), jnp.asarray(rng.integers(0, 2, size=8))
    two_class = jnp.stack([jnp.zeros_like(x), x], axis=-1)
    assert_close(losses.binary_cross_entropy(x, labels, "none"),
                 losses.cross_entropy_loss(two_class, labels, "none"))


def test_binary_cross_entropy_rejects_other_shapes():
    with pytest.raises(ValueError, match=r"binary_cross_entropy: logits .*\(4, 1\).*\(4,\)"):
        losses.binary_cross_entropy(jnp.zeros((4, 1)), jnp.zeros(4))


# -- regression losses --------------------------------------------------------------------------

@FAST
@given(name=st.sampled_from(sorted(REGRESSION)), shape=batch_shapes, seed=seeds,
       reduction=st.sampled_from(REDUCTIONS))
def test_regression_losses_match_formula_and_gradient(name, shape, seed, reduction):
    rng = np.random.default_rng(seed)
    p, t = normal(rng, shape), normal(rng, shape)
    loss = getattr(losses, name)
    formula = REGRESSION[name]
    assert_close(loss(p, t, reduction=reduction), reduce_oracle(formula(p, t), reduction))
    grad = jax.jit(jax.grad(lambda x: jnp.sum(loss(x, t, reduction=reduction))))(p)
    expected = jax.jit(jax.grad(lambda x: jnp.sum(reduce_oracle(formula(x, t), reduction))))(p)
    assert bool(jnp.all(jnp.isfinite(grad)))
    assert_close(grad, expected)


def test_l2_loss_defaults_to_half_the_sum_of_squares():
    p, t = jnp.array([[1.0, -2.0], [3.0, 0.5]]), jnp.array([[0.0, 1.0], [1.0, 0.5]])
    assert_close(losses.l2_loss(p, t), 0.5 * jnp.sum((p - t) ** 2))
    # reduction='none' is BrainPy's (and optax's) elementwise l2_loss
    assert_close(losses.l2_loss(p, t, reduction="none"), 0.5 * (p - t) ** 2)


@FAST
@given(shape=batch_shapes, seed=seeds, delta=st.floats(0.05, 5.0),
       reduction=st.sampled_from(REDUCTIONS))
def test_huber_loss_delta(shape, seed, delta, reduction):
    rng = np.random.default_rng(seed)
    p, t = normal(rng, shape), normal(rng, shape)
    got = losses.huber_loss(p, t, delta=delta, reduction=reduction)
    assert_close(got, reduce_oracle(huber_oracle(p, t, delta), reduction), rtol=2e-5)


def test_huber_loss_is_l2_inside_delta_and_its_gradient_is_clipped():
    p = jnp.array([0.1, -0.3, 5.0, -7.0])
    t = jnp.zeros(4)
    assert_close(losses.huber_loss(p[:2], t[:2], reduction="none"),
                 losses.l2_loss(p[:2], t[:2], reduction="none"))
    grad = jax.grad(lambda x: losses.huber_loss(x, t, delta=2.0, reduction="sum"))(p)
    assert_close(grad, jnp.clip(p - t, -2.0, 2.0))


def test_huber_loss_rejects_non_positive_delta():
    for delta in (0.0, -1.0):
        with pytest.raises(ValueError, match=f"huber_loss: delta must be positive.*{delta}"):
            losses.huber_loss(jnp.zeros(2), jnp.zeros(2), delta=delta)


def test_regression_losses_promote_integer_inputs():
    p, t = jnp.array([1, 2, 3]), jnp.array([0, 0, 0])
    got = losses.mean_squared_error(p, t)
    assert jnp.issubdtype(got.dtype, jnp.floating)
    assert_close(got, jnp.mean((p - t).astype(got.dtype) ** 2))


# -- shared behaviour: reductions, errors, Variables, transforms --------------------------------

ALL = {
    "cross_entropy_loss": lambda: (jnp.ones((3, 4)), jnp.array([0, 1, 2])),
    "binary_cross_entropy": lambda: (jnp.ones((3, 4)), jnp.zeros((3, 4))),
    "mean_squared_error": lambda: (jnp.ones((3, 4)), jnp.zeros((3, 4))),
    "mean_absolute_error": lambda: (jnp.ones((3, 4)), jnp.zeros((3, 4))),
    "l2_loss": lambda: (jnp.ones((3, 4)), jnp.zeros((3, 4))),
    "huber_loss": lambda: (jnp.ones((3, 4)), jnp.zeros((3, 4))),
}


@pytest.mark.parametrize("name", sorted(ALL))
@pytest.mark.parametrize("bad", ["avg", "MEAN", None, 0, "batchmean"])
def test_bad_reduction_raises_naming_the_argument(name, bad):
    x, y = ALL[name]()
    with pytest.raises(ValueError, match=rf"{name}: reduction must be one of .*{bad!r}"):
        getattr(losses, name)(x, y, reduction=bad)


@pytest.mark.parametrize("name", sorted(set(ALL) - {"cross_entropy_loss"}))
@pytest.mark.parametrize("shapes", [((3, 1), (3,)), ((2, 3), (3, 2)), ((4,), ())])
def test_mismatched_shapes_raise_naming_both_shapes(name, shapes):
    a, b = shapes
    esc = lambda s: str(s).replace("(", r"\(").replace(")", r"\)")  # noqa: E731
    with pytest.raises(ValueError, match=rf"{name}: .*{esc(a)}.*{esc(b)}"):
        getattr(losses, name)(jnp.zeros(a), jnp.zeros(b))


@pytest.mark.parametrize("name", sorted(ALL))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_reductions_are_consistent(name, reduction):
    rng = np.random.default_rng(3)
    x, y = ALL[name]()
    x = x + normal(rng, x.shape)
    loss = getattr(losses, name)
    none = loss(x, y, reduction="none")
    assert_close(loss(x, y, reduction=reduction), reduce_oracle(none, reduction))


@pytest.mark.parametrize("name", sorted(ALL))
def test_jit_matches_eager(name):
    rng = np.random.default_rng(4)
    x, y = ALL[name]()
    x = x + normal(rng, x.shape)
    for reduction in REDUCTIONS:
        loss = functools.partial(getattr(losses, name), reduction=reduction)
        assert_close(jax.jit(loss)(x, y), loss(x, y))


@pytest.mark.parametrize("name", sorted(ALL))
def test_variables_are_accepted_and_differentiated(name):
    rng = np.random.default_rng(5)
    x, y = ALL[name]()
    x = x + normal(rng, x.shape)
    loss = getattr(losses, name)
    w, target = bm.Variable(x), bm.Variable(y)
    assert_close(loss(w, target), loss(x, y))

    grads, value = bm.grad(lambda: loss(w, target), grad_vars=w, return_value=True)()
    assert_close(value, loss(x, y))
    assert_close(grads, jax.grad(lambda a: loss(a, y))(x))

    jitted = bm.jit(lambda: loss(w, target))
    assert_close(jitted(), loss(x, y))
    # a new value is seen on the next call: the Variable is an input, not a constant
    w.value = x * 2
    assert_close(jitted(), loss(x * 2, y))


def test_bad_input_inside_bm_jit_leaves_variables_unchanged():
    w = bm.Variable(jnp.ones((3, 4)))
    before = np.asarray(w.value)

    @bm.jit
    def step(targets):
        w.value = w.value + 1.0
        return losses.mean_squared_error(w, targets)

    with pytest.raises(ValueError, match=r"\(3, 4\).*\(4,\)"):
        step(jnp.zeros(4))
    np.testing.assert_array_equal(np.asarray(w.value), before)
    assert_close(step(jnp.zeros((3, 4))), jnp.float32(4.0))
    np.testing.assert_array_equal(np.asarray(w.value), before + 1.0)


def test_cross_entropy_traced_float_labels_under_bm_grad_train_a_classifier():
    # End to end, as in the seed tutorial: float labels, bm.grad + bm.jit, loss falls.
    bm.random.seed(0)
    rng = np.random.default_rng(6)
    x = jnp.asarray(rng.uniform(size=(64, 2)), jnp.float32)
    y = jnp.asarray(x[:, 0] > x[:, 1], jnp.float32)
    w = bm.Variable(jnp.zeros((2, 2)))
    f_grad = bm.grad(lambda: losses.cross_entropy_loss(x @ w, y), grad_vars=w, return_value=True)

    @bm.jit
    def train():
        g, loss = f_grad()
        w.value = w.value - 1.0 * g
        return loss

    first = float(train())
    for _ in range(50):
        last = float(train())
    assert first == pytest.approx(float(jnp.log(2.0)), rel=1e-6)
    assert last < 0.8 * first
