"""Dropout, BatchNorm, LayerNorm, Embedding and Conv layers against plain-JAX/NumPy oracles."""

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import brainobj as bp
import brainobj.math as bm

from _helpers import assert_no_tracers

R = bm.random


@pytest.fixture(autouse=True)
def _restore_default_key():
    saved = R.DEFAULT.value
    yield
    R.DEFAULT.value = saved


def close(got, expected, tol=1e-5):
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


def normal(seed, shape):
    # NumPy draws: no XLA compilation per shape, which keeps the file fast.
    return jnp.asarray(np.random.default_rng(seed).standard_normal(shape), jnp.float32)


def params_of(layer):
    return {k: v.value for k, v in layer.train_vars(method="relative").items()}


def bm_grads(layer, loss):
    """``bm.grad`` of ``loss()`` w.r.t. the layer's TrainVars, keyed by relative path."""
    tv = layer.train_vars(method="relative")
    return bm.grad(loss, grad_vars=tv)()


# =========================================================================== Dropout

def dropout_oracle(key, x, rate):
    keep = jax.random.bernoulli(key, 1.0 - rate, x.shape)
    return jnp.where(keep, x / (1.0 - rate), 0.0)


def next_draw_key(state_key):
    keep, fresh = jax.random.split(state_key)
    return keep, fresh


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.9])
def test_dropout_matches_bernoulli_oracle_with_the_global_key(rate):
    x = normal(0, (6, 7)) + 3.0
    drop = bp.Dropout(rate)
    R.seed(11)
    new_key, fresh = next_draw_key(jax.random.PRNGKey(11))
    close(drop(x), dropout_oracle(fresh, x, rate))
    # The draw advanced the live global key exactly once.
    np.testing.assert_array_equal(np.asarray(R.DEFAULT.value), np.asarray(new_key))


def test_dropout_mask_fraction_and_scaling_on_a_large_tensor():
    rate = 0.3
    x = jnp.ones((400, 500))
    y = np.asarray(bp.Dropout(rate)(x))
    dropped = np.mean(y == 0.0)
    # 200k Bernoulli draws: std of the fraction is ~0.001, allow 5 sigma.
    assert abs(dropped - rate) < 0.005, dropped
    np.testing.assert_allclose(y[y != 0.0], 1.0 / (1.0 - rate), rtol=1e-6)


def test_dropout_eval_mode_is_the_identity_and_draws_nothing():
    x = normal(1, (5, 4))
    drop = bp.Dropout(0.5).eval()
    before = np.asarray(R.DEFAULT.value)
    close(drop(x), x, tol=0)
    close(bm.jit(lambda v: drop(v))(x), x, tol=0)
    np.testing.assert_array_equal(np.asarray(R.DEFAULT.value), before)


def test_dropout_rate_zero_is_the_identity_in_training():
    x = normal(2, (3, 3))
    close(bp.Dropout(0.0)(x), x, tol=0)


def test_dropout_in_jit_draws_fresh_masks_and_reproduces_after_seed():
    rate = 0.5
    drop = bp.Dropout(rate)
    f = bm.jit(lambda v: drop(v))
    x = jnp.ones((64,))
    R.seed(5)
    first, second = np.asarray(f(x)), np.asarray(f(x))
    assert not np.array_equal(first, second), "successive jitted calls reused one mask"
    # Oracle: the live key advances once per call, as in eager mode.
    key = jax.random.PRNGKey(5)
    key, k1 = next_draw_key(key)
    key, k2 = next_draw_key(key)
    close(first, dropout_oracle(k1, x, rate))
    close(second, dropout_oracle(k2, x, rate))
    np.testing.assert_array_equal(np.asarray(R.DEFAULT.value), np.asarray(key))
    R.seed(5)
    close(f(x), first, tol=0)
    close(f(x), second, tol=0)


def test_dropout_with_own_random_state_leaves_the_global_one_alone():
    rng = R.RandomState(3)
    drop = bp.Dropout(0.25, rng=rng)
    f = bm.jit(lambda v: drop(v))
    x = jnp.ones((32,))
    global_before = np.asarray(R.DEFAULT.value)
    got = f(x)
    key, fresh = next_draw_key(jax.random.PRNGKey(3))
    close(got, dropout_oracle(fresh, x, 0.25))
    np.testing.assert_array_equal(np.asarray(rng.value), np.asarray(key))
    np.testing.assert_array_equal(np.asarray(R.DEFAULT.value), global_before)
    # The layer's own stream is part of its state; the global one is not.
    assert list(drop.state_dict()) == ["rng"]
    assert bp.Dropout(0.25).state_dict() == {}


def test_dropout_gradient_matches_jax_grad_of_the_pure_version():
    rate = 0.4
    x = normal(3, (10,))
    w = bm.TrainVar(normal(4, (10,)))
    drop = bp.Dropout(rate)
    R.seed(9)
    g = bm.grad(lambda: jnp.sum(drop(w) * x), grad_vars=[w])()[0]
    _, fresh = next_draw_key(jax.random.PRNGKey(9))
    expected = jax.grad(lambda p: jnp.sum(dropout_oracle(fresh, p, rate) * x))(w.value)
    close(g, expected)


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_dropout_rejects_a_rate_outside_0_1(rate):
    with pytest.raises(ValueError, match="DROP"):
        bp.Dropout(rate)


def test_dropout_rejects_integer_inputs_naming_the_layer():
    drop = bp.Dropout(0.5)
    with pytest.raises(bp.MathError, match=drop.name + ".*int32"):
        drop(jnp.arange(4))


# ========================================================================= BatchNorm

def bn_train_oracle(x, scale, bias, eps=1e-5):
    axes = tuple(range(x.ndim - 1))
    mean = x.mean(axes)
    var = ((x - mean) ** 2).mean(axes)
    return (x - mean) / jnp.sqrt(var + eps) * scale + bias, mean, var


def random_affine(bn, seed):
    bn.scale.value = normal(seed, bn.scale.shape) + 1.0
    bn.bias.value = normal(seed + 1, bn.bias.shape)


@pytest.mark.parametrize("shape", [(8, 3), (4, 5, 3)])
@pytest.mark.parametrize("momentum", [0.99, 0.9])
def test_batchnorm1d_training_steps_in_jit_match_the_formula_and_running_update(shape, momentum):
    bn = bp.BatchNorm1d(3, momentum=momentum)
    random_affine(bn, 0)
    step = bm.jit(lambda v: bn(v))
    run_mean, run_var = np.zeros(3, np.float32), np.ones(3, np.float32)
    for i in range(4):
        x = normal(10 + i, shape) * (i + 1) + i
        y_expected, mean, var = bn_train_oracle(x, bn.scale.value, bn.bias.value)
        close(step(x), y_expected, tol=1e-4)
        run_mean = momentum * run_mean + (1 - momentum) * np.asarray(mean)
        run_var = momentum * run_var + (1 - momentum) * np.asarray(var)
        close(bn.running_mean.value, run_mean)
        close(bn.running_var.value, run_var)
    assert not isinstance(bn.running_mean, bm.TrainVar)
    assert "running_mean" not in bn.train_vars(method="relative")


def test_batchnorm1d_eval_uses_running_statistics_and_does_not_update_them():
    bn = bp.BatchNorm1d(4)
    random_affine(bn, 1)
    for i in range(3):
        bn(normal(20 + i, (16, 4)) * 2.0 + 1.0)
    bn.eval()
    mean, var = np.asarray(bn.running_mean.value), np.asarray(bn.running_var.value)
    x = normal(30, (5, 4))
    expected = (x - mean) / np.sqrt(var + 1e-5) * bn.scale.value + bn.bias.value
    close(bm.jit(lambda v: bn(v))(x), expected, tol=1e-4)
    close(bn(x), expected, tol=1e-4)
    close(bn.running_mean.value, mean, tol=0)
    close(bn.running_var.value, var, tol=0)


def test_batchnorm2d_normalizes_over_batch_and_space():
    bn = bp.BatchNorm2d(3, momentum=0.5)
    random_affine(bn, 2)
    x = normal(40, (2, 4, 5, 3)) * 3.0 - 1.0
    expected, mean, var = bn_train_oracle(x, bn.scale.value, bn.bias.value)
    close(bm.jit(lambda v: bn(v))(x), expected, tol=1e-4)
    close(bn.running_mean.value, 0.5 * np.asarray(mean))
    close(bn.running_var.value, 0.5 + 0.5 * np.asarray(var))


def test_batchnorm_without_affine_has_no_train_vars():
    bn = bp.BatchNorm1d(2, affine=False)
    assert len(bn.train_vars()) == 0
    x = normal(41, (6, 2))
    close(bn(x), bn_train_oracle(x, 1.0, 0.0)[0], tol=1e-4)


def test_batchnorm_gradient_matches_jax_grad_and_writes_running_stats():
    bn = bp.BatchNorm1d(3, momentum=0.8)
    random_affine(bn, 3)
    x = normal(50, (7, 3))
    target = normal(51, (7, 3))

    def pure(params, x):
        y, _, _ = bn_train_oracle(x, params["scale"], params["bias"])
        return jnp.mean((y - target) ** 2)

    expected = jax.grad(pure)(params_of(bn), x)
    expected_x = jax.grad(pure, argnums=1)(params_of(bn), x)
    got = bm.jit(lambda: bm_grads(bn, lambda: jnp.mean((bn(x) - target) ** 2)))()
    for k in expected:
        close(got[k], expected[k], tol=1e-4)
    # The input gradient goes through the batch statistics too.
    got_x = bm.grad(lambda v: jnp.mean((bn(v) - target) ** 2))(x)
    close(got_x, expected_x, tol=1e-4)
    # Two training calls (the jitted grad and the input grad) updated the stats.
    _, mean, var = bn_train_oracle(x, 1.0, 0.0)
    m = 0.8
    close(bn.running_mean.value, (1 - m**2) * np.asarray(mean))
    close(bn.running_var.value, m**2 + (1 - m**2) * np.asarray(var))


def test_batchnorm_state_dict_round_trip_includes_running_stats():
    net = bp.Sequential(bp.Linear(3, 4), bp.BatchNorm1d(4))
    for i in range(3):
        bm.jit(lambda v: net(v))(normal(60 + i, (8, 3)))
    sd = net.state_dict()
    assert {"layers.1.running_mean", "layers.1.running_var", "layers.1.scale",
            "layers.1.bias"} <= set(sd)
    assert not np.allclose(sd["layers.1.running_mean"], 0.0)
    other = bp.Sequential(bp.Linear(3, 4), bp.BatchNorm1d(4))
    other.load_state_dict(sd)
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(v, sd[k])
    net.eval(), other.eval()
    x = normal(70, (5, 3))
    close(other(x), net(x), tol=0)


def test_batchnorm_bad_input_raises_and_changes_nothing():
    bn = bp.BatchNorm1d(3)
    f = bm.jit(lambda v: bn(v))
    f(normal(0, (4, 3)))
    before = bn.state_dict()
    for bad in [jnp.ones((4, 5)), jnp.ones((4,)), jnp.ones((2, 2, 2, 3))]:
        with pytest.raises(bp.MathError, match=bn.name + r".*" + re_shape(bad.shape)):
            f(bad)
    for k, v in bn.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
    with pytest.raises(bp.MathError, match=r"\(2, 3\)"):
        bp.BatchNorm2d(3)(jnp.ones((2, 3)))


def re_shape(shape):
    return r"\(" + r", ".join(str(d) for d in shape) + (r",\)" if len(shape) == 1 else r"\)")


@pytest.mark.parametrize("kwargs", [dict(num_features=0), dict(num_features=3, momentum=1.5),
                                    dict(num_features=3, epsilon=0.0)])
def test_batchnorm_rejects_bad_arguments(kwargs):
    with pytest.raises((ValueError, TypeError)):
        bp.BatchNorm1d(**kwargs)


# ========================================================================= LayerNorm

def ln_oracle(x, n_axes, scale, bias, eps=1e-5):
    axes = tuple(range(x.ndim - n_axes, x.ndim))
    mean = x.mean(axes, keepdims=True)
    var = x.var(axes, keepdims=True)
    return (x - mean) / jnp.sqrt(var + eps) * scale + bias


@settings(max_examples=8, deadline=None)
@given(lead=st.lists(st.integers(1, 3), min_size=0, max_size=2),
       norm=st.lists(st.integers(1, 4), min_size=1, max_size=2),
       as_int=st.booleans(), seed=st.integers(0, 100))
def test_layernorm_matches_formula(lead, norm, as_int, seed):
    shape = tuple(norm)
    arg = shape[0] if (as_int and len(shape) == 1) else shape
    ln = bp.LayerNorm(arg)
    ln.scale.value = normal(seed, shape) + 1.0
    ln.bias.value = normal(seed + 1, shape)
    x = normal(seed + 2, tuple(lead) + shape) * 4.0 + 2.0
    expected = ln_oracle(x, len(shape), ln.scale.value, ln.bias.value)
    close(bm.jit(lambda v: ln(v))(x), expected, tol=1e-4)


def test_layernorm_gradient_matches_jax_grad():
    ln = bp.LayerNorm((2, 3))
    ln.scale.value = normal(0, (2, 3)) + 1.0
    x = normal(1, (4, 2, 3))

    def pure(params):
        return jnp.sum(ln_oracle(x, 2, params["scale"], params["bias"]) ** 3)

    expected = jax.grad(pure)(params_of(ln))
    got = bm_grads(ln, lambda: jnp.sum(ln(x) ** 3))
    for k in expected:
        close(got[k], expected[k], tol=1e-4)


def test_layernorm_without_affine_and_bad_shapes():
    ln = bp.LayerNorm(3, elementwise_affine=False)
    assert len(ln.vars()) == 0
    x = normal(2, (2, 3))
    close(ln(x), ln_oracle(x, 1, 1.0, 0.0), tol=1e-4)
    with pytest.raises(bp.MathError, match=ln.name + r".*\(2, 4\)"):
        ln(jnp.ones((2, 4)))
    with pytest.raises(bp.MathError, match=r"\(3,\)"):
        bp.LayerNorm((2, 3))(jnp.ones(3))


# ========================================================================= Embedding

def test_embedding_matches_jnp_take_eager_and_jitted():
    emb = bp.Embedding(7, 4)
    idx = jnp.array([[0, 6, 3], [2, 2, 1]])
    expected = jnp.take(emb.weight.value, idx, axis=0)
    close(emb(idx), expected, tol=0)
    close(bm.jit(lambda i: emb(i))(idx), expected, tol=0)
    close(emb(5), emb.weight.value[5], tol=0)
    close(emb(jnp.array([1, 2], jnp.uint8)), emb.weight.value[jnp.array([1, 2])], tol=0)


def test_embedding_uses_the_initializer():
    emb = bp.Embedding(3, 2, initializer=bp.init.Constant(0.5))
    close(emb.weight.value, np.full((3, 2), 0.5))


def test_embedding_gradient_matches_jax_grad():
    emb = bp.Embedding(5, 3)
    idx = jnp.array([0, 3, 3, 4])
    w = normal(0, (4, 3))
    expected = jax.grad(lambda p: jnp.sum(jnp.take(p["weight"], idx, axis=0) * w))(params_of(emb))
    got = bm_grads(emb, lambda: jnp.sum(emb(idx) * w))
    close(got["weight"], expected["weight"])


def test_embedding_rejects_float_and_out_of_range_indices():
    emb = bp.Embedding(4, 2)
    with pytest.raises(bp.MathError, match=emb.name + ".*integer.*float32"):
        emb(jnp.array([1.0, 2.0]))
    with pytest.raises(bp.MathError, match=emb.name + r".*index 4 .*\[0, 4\)"):
        emb(jnp.array([0, 4]))
    with pytest.raises(bp.MathError, match=r"index -1 "):
        emb(jnp.array([[0], [-1]]))
    with pytest.raises(bp.MathError, match="integer"):
        bm.jit(lambda i: emb(i))(jnp.array([0.0]))


def test_embedding_out_of_range_under_jit_gives_nan_rows():
    emb = bp.Embedding(4, 2)
    out = np.asarray(bm.jit(lambda i: emb(i))(jnp.array([1, 4, -1])))
    np.testing.assert_array_equal(out[0], np.asarray(emb.weight.value[1]))
    assert np.isnan(out[1:]).all()


# ============================================================================== Conv

def same_pads(size, k, stride, dilation):
    eff = (k - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + eff - size, 0)
    return total // 2, total - total // 2


def np_conv(x, w, stride, pads, dilation, groups):
    """Direct channels-last convolution: x (B, *S, C), w (*K, C/g, O)."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    n = x.ndim - 2
    x = np.pad(x, [(0, 0)] + list(pads) + [(0, 0)])
    ks, (cg, o) = w.shape[:n], w.shape[n:]
    out_sizes = [(x.shape[1 + i] - ((ks[i] - 1) * dilation[i] + 1)) // stride[i] + 1
                 for i in range(n)]
    y = np.zeros((x.shape[0], *out_sizes, o))
    for pos in itertools.product(*[range(s) for s in out_sizes]):
        acc = np.zeros((x.shape[0], groups, o // groups))
        for kpos in itertools.product(*[range(k) for k in ks]):
            src = tuple(pos[i] * stride[i] + kpos[i] * dilation[i] for i in range(n))
            patch = x[(slice(None),) + src].reshape(x.shape[0], groups, cg)
            acc += np.einsum("bgc,cgo->bgo", patch, w[kpos].reshape(cg, groups, o // groups))
        y[(slice(None),) + pos] = acc.reshape(x.shape[0], o)
    return y


conv_configs = st.fixed_dictionaries(dict(
    dims=st.sampled_from([1, 2]),
    groups=st.sampled_from([1, 2]),
    k=st.integers(1, 3), stride=st.integers(1, 2), dilation=st.integers(1, 2),
    padding=st.sampled_from(["SAME", "VALID", 1, "pairs"]),
    batched=st.booleans(), bias=st.booleans(), seed=st.integers(0, 1000),
))


@pytest.mark.slow  # several seconds: `make test-slow` (CI's second step)
@settings(max_examples=12, deadline=None)
@given(cfg=conv_configs)
def test_conv_matches_a_direct_numpy_loop(cfg):
    n, g = cfg["dims"], cfg["groups"]
    cin, cout = 2 * g, 3 * g
    sizes = (7,) if n == 1 else (6, 5)
    padding = {"pairs": ((0, 2),) * n}.get(cfg["padding"], cfg["padding"])
    cls = bp.Conv1d if n == 1 else bp.Conv2d
    conv = cls(cin, cout, cfg["k"], stride=cfg["stride"], padding=padding,
               dilation=cfg["dilation"], groups=g,
               b_initializer=bp.init.Normal() if cfg["bias"] else None)
    assert conv.W.shape == (cfg["k"],) * n + (cin // g, cout)
    x = normal(cfg["seed"], (2,) + sizes + (cin,))
    strides, dil = (cfg["stride"],) * n, (cfg["dilation"],) * n
    if padding == "SAME":
        pads = [same_pads(s, cfg["k"], cfg["stride"], cfg["dilation"]) for s in sizes]
    elif padding == "VALID":
        pads = [(0, 0)] * n
    elif padding == 1:
        pads = [(1, 1)] * n
    else:
        pads = list(padding)
    expected = np_conv(x, conv.W.value, strides, pads, dil, g)
    if cfg["bias"]:
        expected = expected + np.asarray(conv.b.value)
    f = bm.jit(lambda v: conv(v))
    # Full float32 precision: a GPU would otherwise use TF32 against the float64 oracle.
    with jax.default_matmul_precision("highest"):
        if cfg["batched"]:
            close(f(x), expected, tol=1e-4)
        else:
            close(f(x[0]), expected[0], tol=1e-4)


def test_conv2d_matches_lax_in_nchw_layout():
    # A second oracle through another layout: PyTorch-style NCHW/OIHW.
    conv = bp.Conv2d(3, 4, (3, 2), stride=(2, 1), padding="SAME", dilation=(1, 2),
                     b_initializer=bp.init.Normal())
    x = normal(0, (2, 9, 8, 3))
    w_oihw = jnp.transpose(conv.W.value, (3, 2, 0, 1))
    y = jax.lax.conv_general_dilated(jnp.transpose(x, (0, 3, 1, 2)), w_oihw, (2, 1), "SAME",
                                     rhs_dilation=(1, 2))
    expected = jnp.transpose(y, (0, 2, 3, 1)) + conv.b.value
    close(conv(x), expected, tol=1e-4)


def test_conv3d_matches_lax_with_explicit_dimension_numbers():
    conv = bp.Conv3d(2, 3, 2, padding="VALID")
    x = normal(1, (1, 3, 4, 3, 2))
    expected = jax.lax.conv_general_dilated(
        x, conv.W.value, (1, 1, 1), "VALID",
        dimension_numbers=("NDHWC", "DHWIO", "NDHWC")) + conv.b.value
    close(conv(x), expected, tol=1e-5)


def test_conv_padding_forms_agree():
    x = normal(2, (1, 6, 5, 2))
    a = bp.Conv2d(2, 2, 3, padding=1)
    outs = [a(x)]
    for padding in [(1, 1), ((1, 1), (1, 1)), "same", "SAME"]:
        b = bp.Conv2d(2, 2, 3, padding=padding)
        b.W.value = a.W.value
        outs.append(b(x))
    for out in outs[1:]:
        close(out, outs[0], tol=1e-6)
    c = bp.Conv1d(2, 2, 3, padding=(0, 2))
    assert c.padding == ((0, 2),)


def test_conv_gradient_matches_jax_grad_of_the_pure_version():
    conv = bp.Conv2d(2, 4, 3, stride=2, groups=2, b_initializer=bp.init.Normal())
    x = normal(3, (2, 5, 5, 2))

    def pure(params, x):
        y = jax.lax.conv_general_dilated(x, params["W"], (2, 2), "SAME",
                                         dimension_numbers=("NHWC", "HWIO", "NHWC"),
                                         feature_group_count=2) + params["b"]
        return jnp.sum(jnp.tanh(y))

    expected = jax.grad(pure)(params_of(conv), x)
    got = bm.jit(lambda: bm_grads(conv, lambda: jnp.sum(jnp.tanh(conv(x)))))()
    for k in expected:
        close(got[k], expected[k], tol=1e-4)
    close(bm.grad(lambda v: jnp.sum(jnp.tanh(conv(v))))(x),
          jax.grad(pure, argnums=1)(params_of(conv), x), tol=1e-4)


def test_conv_bad_input_names_the_layer_and_shape():
    conv = bp.Conv2d(3, 4, 3)
    for bad in [jnp.ones((2, 8, 8, 2)), jnp.ones((8, 3)), jnp.ones((1, 2, 8, 8, 3))]:
        with pytest.raises(bp.MathError, match=conv.name + r".*NHWC.*" + re_shape(bad.shape)):
            conv(bad)
    with pytest.raises(bp.MathError, match=r"\(1, 2, 8, 3\) is smaller than the"):
        bp.Conv2d(3, 4, 3, padding="VALID")(jnp.ones((1, 2, 8, 3)))
    # Padding counts: a 1-pixel-high image padded by 1 on both sides fits a 3x3 kernel.
    assert bp.Conv2d(3, 4, 3, padding=(1, 0))(jnp.ones((1, 1, 3, 3))).shape == (1, 1, 1, 4)
    conv1 = bp.Conv1d(2, 2, 1)
    with pytest.raises(bp.MathError, match=conv1.name + r".*NWC.*\(2, 5, 3\)"):
        bm.jit(lambda v: conv1(v))(jnp.ones((2, 5, 3)))


@pytest.mark.parametrize("kwargs", [
    dict(in_channels=3, out_channels=4, kernel_size=3, groups=2),
    dict(in_channels=2, out_channels=4, kernel_size=0),
    dict(in_channels=2, out_channels=4, kernel_size=(3, 3, 3)),
    dict(in_channels=2, out_channels=4, kernel_size=3, padding="FULL"),
    dict(in_channels=2, out_channels=4, kernel_size=3, padding=((1, 2, 3), (0, 0))),
    dict(in_channels=2, out_channels=4, kernel_size=3, stride=0),
])
def test_conv_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        bp.Conv2d(**kwargs)


def test_conv_accepts_numpy_integers():
    conv = bp.Conv2d(np.int64(2), np.int32(3), (np.int64(2), 3), stride=np.int64(1))
    assert conv.kernel_size == (2, 3) and type(conv.kernel_size[0]) is int
    assert conv.W.shape == (2, 3, 2, 3)


# ======================================================= modes, jit and Sequential

def test_eval_switches_behaviour_inside_sequential_under_jit():
    net = bp.Sequential(bp.Linear(3, 5), bp.BatchNorm1d(5, momentum=0.5), bm.relu,
                        bp.Dropout(0.5), bp.Linear(5, 2))
    f = bm.jit(lambda v: net(v))
    x = normal(0, (16, 3))
    R.seed(1)
    a, b = f(x), f(x)
    assert not np.allclose(np.asarray(a), np.asarray(b)), "dropout did not redraw"
    stats = np.asarray(net[1].running_mean.value)
    assert not np.allclose(stats, 0.0)

    net.eval()
    assert all(layer.training is False for layer in [net, net[0], net[1], net[3], net[4]])
    lin1, bn, _, _, lin2 = [net[i] for i in range(5)]
    h = x @ lin1.W.value + lin1.b.value
    h = (h - bn.running_mean.value) / jnp.sqrt(bn.running_var.value + 1e-5)
    h = jax.nn.relu(h * bn.scale.value + bn.bias.value)
    expected = h @ lin2.W.value + lin2.b.value
    key_before = np.asarray(R.DEFAULT.value)
    close(f(x), expected, tol=1e-4)
    close(f(x), expected, tol=1e-4)
    np.testing.assert_array_equal(np.asarray(R.DEFAULT.value), key_before)
    np.testing.assert_array_equal(np.asarray(bn.running_mean.value), stats)

    net.train()
    f(x)
    assert not np.allclose(np.asarray(bn.running_mean.value), stats)


def test_a_jitted_training_step_updates_params_and_running_stats_together():
    R.seed(11)  # initial weights and dropout masks independent of test order
    net = bp.Sequential(bp.Conv1d(2, 4, 3), bp.BatchNorm1d(4), bm.relu, bp.Dropout(0.2),
                        bp.LayerNorm(4), bp.Linear(4, 1))
    tv = net.train_vars()
    x, y = normal(1, (8, 6, 2)), normal(2, (8, 6, 1))
    loss = lambda: jnp.mean((net(x) - y) ** 2)
    f_grad = bm.grad(loss, grad_vars=tv, return_value=True)

    @bm.jit
    def step():
        grads, value = f_grad()
        for k, g in grads.items():
            tv[k].value = tv[k].value - 0.1 * g
        return value

    bn = net[1]
    losses = [float(step()) for _ in range(30)]
    assert np.mean(losses[-5:]) < np.mean(losses[:5])  # (dropout makes single steps noisy)
    assert not np.allclose(np.asarray(bn.running_var.value), 1.0)
    assert_no_tracers(net)


def test_batchnorm_and_dropout_inside_for_loop_match_the_python_loop():
    # The loop carries the running statistics and the random key as state.
    xs = normal(3, (5, 6, 2)) * 2.0 + 1.0

    def run(jit):
        bn, drop = bp.BatchNorm1d(2, momentum=0.7), bp.Dropout(0.3)
        R.seed(4)
        ys = bm.for_loop(lambda x: drop(bn(x)), xs, jit=jit)
        return ys, bn.running_mean.value, bn.running_var.value, R.DEFAULT.value

    compiled, eager = run(True), run(False)
    m, mean, var = 0.7, np.zeros(2), np.ones(2)
    for x in np.asarray(xs):
        mean = m * mean + (1 - m) * x.mean(0)
        var = m * var + (1 - m) * x.var(0)
    close(eager[1], mean)
    close(eager[2], var)
    for got, expected in zip(compiled, eager):
        close(got, expected, tol=1e-5)


def test_batchnorm_axis_name_makes_per_example_vmap_equal_the_whole_batch():
    xs = jax.random.normal(jax.random.PRNGKey(7), (6, 3)) * 2.0 + 1.0
    whole = bp.BatchNorm1d(3, momentum=0.8)
    per_example = bp.BatchNorm1d(3, momentum=0.8, axis_name="batch")

    expected = whole(xs)
    step = bm.jit(bm.vmap(lambda x: per_example(x[None])[0], in_axes=0, axis_name="batch"))
    got = step(xs)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(per_example.running_mean.value, whole.running_mean.value, rtol=1e-6)
    np.testing.assert_allclose(per_example.running_var.value, whole.running_var.value, rtol=1e-6)

    # without axis_name each element would write its own statistics: refused
    plain = bp.BatchNorm1d(3)
    with pytest.raises(bm.MathError, match="is broadcast"):
        bm.vmap(lambda x: plain(x[None])[0])(xs)
    np.testing.assert_array_equal(plain.running_mean.value, np.zeros(3))
