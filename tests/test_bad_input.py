"""Bad input at public entry points: a clear error naming the culprit, nothing changed.

Table-driven: each case builds fresh state, names the error type and a pattern
its message must contain (the Variable's path, the argument, the layer), and
the objects whose state -- every Variable, the global random key, the files
of a directory -- must be exactly as before the failed call.
"""
from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainobj as bp
import brainobj.math as bm
from _helpers import assert_refused, assert_same_state


class Holder(bp.BrainPyObject):
    def __init__(self):
        self.f = bm.Variable(jnp.zeros(()))
        self.i = bm.Variable(jnp.zeros((), jnp.int32))
        self.u = bm.Variable(jnp.zeros((), jnp.uint8))
        self.vec = bm.Variable(jnp.zeros(3))
        self.lin = bp.Linear(3, 2)


def _assign(attr, value):
    def act(h, _):
        getattr(h, attr).value = value
    return act


def _iadd(attr, value):
    def act(h, _):
        var = getattr(h, attr)
        var += value
    return act


def _jit_assign(attr, value):
    def act(h, _):
        bm.jit(lambda h: getattr(h, attr).update(value))(h)
    return act


def _layer(make):
    def act(h, _):
        make()
    return act


def _linear_rank0(h, _):
    h.lin(jnp.ones(()))


def _cond(pred):
    def act(h, _):
        bm.cond(pred, lambda: h.f.update(h.f + 1.0), lambda: None)
    return act


def _ifelse(conditions):
    def act(h, _):
        bm.ifelse(conditions, [lambda: h.f.update(h.f + 1.0), lambda: None])
    return act


def _call(fun):
    def act(h, _):
        fun()
    return act


def _branchy(x, flag):
    return x if flag else -x


def _loss4(a, b, c, d):
    return a * b * c * d


CASES = [
    # -- Variables: values that are not arrays -----------------------------------------------
    ("assign None", _assign("f", None), bp.MathError, r"Holder\d+\.f: cannot assign None"),
    ("assign str", _assign("f", "1.0"), bp.MathError, r"Holder\d+\.f: cannot assign str"),
    ("assign object", _assign("f", object()), bp.MathError, r"Holder\d+\.f: cannot assign object"),
    ("assign ragged list", _assign("vec", [[1.0], [2.0, 3.0]]), bp.MathError,
     r"Holder\d+\.vec: cannot assign list"),
    ("assign dict", _assign("f", {"a": 1}), bp.MathError, r"Holder\d+\.f: cannot assign dict"),
    ("assign too big int", _assign("i", 2 ** 40), bp.MathError, r"Holder\d+\.i: cannot assign int"),
    # -- Variables: values that would lose information -----------------------------------------
    ("float into int", _assign("i", 1.7), bp.MathError, r"Holder\d+\.i: .*floating-point.*int32"),
    ("nan into int", _assign("i", float("nan")), bp.MathError, r"Holder\d+\.i: .*floating-point"),
    ("inf into int", _assign("i", float("inf")), bp.MathError, r"Holder\d+\.i: .*floating-point"),
    ("integral float into int", _assign("i", 3.0), bp.MathError, r"Holder\d+\.i: .*floating-point"),
    ("complex into float", _assign("f", 1 + 2j), bp.MathError, r"Holder\d+\.f: .*complex.*float32"),
    ("complex into int", _assign("i", 1j), bp.MathError, r"Holder\d+\.i: .*complex"),
    ("float into uint8", _assign("u", 2.5), bp.MathError, r"Holder\d+\.u: .*floating-point"),
    ("-1 into uint8", _assign("u", -1), bp.MathError, r"Holder\d+\.u: -1 does not fit .*uint8"),
    ("300 into uint8", _assign("u", 300), bp.MathError, r"Holder\d+\.u: 300 does not fit"),
    ("2**31 into int32", _assign("i", 2 ** 31), bp.MathError, r"Holder\d+\.i: "),
    ("int array into float", _assign("f", jnp.asarray(1, jnp.int32)), bp.MathError,
     r"Holder\d+\.f: expected dtype float32"),
    ("wrong shape", _assign("vec", jnp.zeros(4)), bp.MathError, r"Holder\d+\.vec: expected shape \(3,\)"),
    ("+= float on int", _iadd("i", 1.5), bp.MathError, r"Holder\d+\.i: .*floating-point"),
    ("+= 300 on uint8", _iadd("u", 300), bp.MathError, r"Holder\d+\.u: 300 does not fit"),
    ("+= -1 on uint8", _iadd("u", -1), bp.MathError, r"Holder\d+\.u: -1 does not fit"),
    ("+= complex on float", _iadd("f", 1j), bp.MathError, r"Holder\d+\.f: .*complex"),
    ("float into int in jit", _jit_assign("i", 1.5), bp.MathError, r"Holder\d+\.i: .*floating-point"),
    ("None in jit", _jit_assign("f", None), bp.MathError, r"Holder\d+\.f: cannot assign None"),
    # -- layers ----------------------------------------------------------------------------------
    ("Linear float size", _layer(lambda: bp.Linear(3.7, 2)), TypeError, r"Linear: num_in .* 3\.7"),
    ("Linear str size", _layer(lambda: bp.Linear("3", 2)), TypeError, r"Linear: num_in .*'3'"),
    ("Linear bool size", _layer(lambda: bp.Linear(True, 2)), TypeError, r"Linear: num_in .*True"),
    ("Linear zero size", _layer(lambda: bp.Linear(0, 2)), ValueError, r"Linear: num_in .* 0"),
    ("Linear negative out", _layer(lambda: bp.Linear(3, -1)), ValueError, r"Linear: num_out .* -1"),
    ("Linear rank-0 input", _linear_rank0, bp.MathError, r"Linear\d+: expected inputs with 3"),
    ("Embedding float size", _layer(lambda: bp.Embedding(2.5, 3)), TypeError,
     r"Embedding: num_embeddings .* 2\.5"),
    ("BatchNorm str size", _layer(lambda: bp.BatchNorm1d("4")), TypeError,
     r"BatchNorm1d: num_features .*'4'"),
    ("LayerNorm float size", _layer(lambda: bp.LayerNorm(2.0)), TypeError,
     r"LayerNorm: normalized_shape .* 2\.0"),
    ("Conv2d float channels", _layer(lambda: bp.Conv2d(3.0, 4, 3)), ValueError,
     r"Conv2d needs positive ints, got in_channels=3\.0"),
    # -- branches -----------------------------------------------------------------------------
    ("cond string predicate", _cond("False"), bp.MathError, r"bm\.cond: `pred` .*str"),
    ("cond None predicate", _cond(None), bp.MathError, r"bm\.cond: `pred` .*NoneType"),
    ("cond list predicate", _cond([True]), bp.MathError, r"bm\.cond: `pred` .*list"),
    ("ifelse string condition", _ifelse(["yes"]), bp.MathError, r"bm\.ifelse: `conditions\[0\]`"),
    ("cond array predicate", _cond(jnp.ones(2, bool)), bp.MathError, r"bm\.cond: `pred` must be a scalar"),
    # -- bm.random: refused before the key advances -----------------------------------------
    ("rand negative dim", _call(lambda: bm.random.rand(-1)), ValueError, r"`dims` must not be negative"),
    ("randn float dim", _call(lambda: bm.random.randn(2.5)), TypeError, r"`dims` must be an int"),
    ("uniform negative size", _call(lambda: bm.random.uniform(size=(2, -3))), ValueError,
     r"`size` must not be negative"),
    ("normal str size", _call(lambda: bm.random.normal(size="3")), TypeError, r"`size` must be an int"),
    ("random float size", _call(lambda: bm.random.random(1.5)), TypeError, r"`size` must be an int"),
    ("randint low >= high", _call(lambda: bm.random.randint(5, 2, size=4)), ValueError,
     r"randint: needs low < high, got low=5, high=2"),
    ("randint empty range", _call(lambda: bm.random.randint(0)), ValueError, r"randint: needs low < high"),
    ("bernoulli p > 1", _call(lambda: bm.random.bernoulli(1.5)), ValueError, r"bernoulli: p must be in \[0, 1\], got 1\.5"),
    ("bernoulli p < 0", _call(lambda: bm.random.bernoulli(jnp.asarray([0.5, -0.1]))), ValueError,
     r"bernoulli: p must be in"),
    ("choice too many", _call(lambda: bm.random.choice(3, size=5, replace=False)), ValueError,
     r"cannot take 5 samples without replacement from a population of 3"),
    ("choice empty", _call(lambda: bm.random.choice(0)), ValueError, r"choice: `a` must be a positive int"),
    ("seed float", _call(lambda: bm.random.seed(1.5)), TypeError, r"a seed must be an int, got 1\.5"),
    ("seed negative", _call(lambda: bm.random.seed(-1)), ValueError, r"a seed must be in \[0, 2\*\*64\), got -1"),
    ("seed too big", _call(lambda: bm.random.seed(2 ** 64)), ValueError, r"a seed must be in"),
    ("seed bool", _call(lambda: bm.random.seed(True)), TypeError, r"a seed must be an int"),
    ("RandomState float seed", _call(lambda: bm.random.RandomState(0.5)), TypeError,
     r"RandomState: a seed must be an int"),
    ("RandomState bad key", _call(lambda: bm.random.RandomState(jnp.zeros(3, jnp.uint32))), ValueError,
     r"RandomState: a PRNG key must be uint32\[2\]"),
    # -- transforms: errors name the user's function, argument or branch ---------------------
    ("jit returns a str", _call(lambda: bm.jit(lambda x: "done")(jnp.ones(2))), bp.MathError,
     r"bm\.jit\(.*<lambda>\): the function returned a str, 'done' \(as output\)"),
    ("jit returns an object in a dict", _call(lambda: bm.jit(lambda x: {"a": x, "b": object()})(jnp.ones(2))),
     bp.MathError, r"returned a object, <object object .*\(as output\['b'\]\)"),
    ("jit returns the model", lambda h, _: bm.jit(lambda h: h)(h), bp.MathError,
     r"returned the object Holder\d+ \(as output\)"),
    ("jit bool of a traced argument", _call(lambda: bm.jit(_branchy)(jnp.ones(()), jnp.ones(()))),
     jax.errors.TracerBoolConversionError,
     r"(?s)_branchy at .*test_bad_input\.py:\d+ for bm\.jit.*the argument flag"),
    ("jit float of a traced Variable", lambda h, _: bm.jit(lambda h: float(h.f.value))(h),
     jax.errors.ConcretizationTypeError, r"(?s)the argument Holder\d+\.f"),
    ("jit numpy of a traced pytree leaf", _call(lambda: bm.jit(lambda d: np.asarray(d["x"]))({"x": jnp.ones(2)})),
     jax.errors.TracerArrayConversionError, r"the argument d\['x'\]"),
    ("jit static_argnums past the parameters", _call(lambda: bm.jit(_loss4, static_argnums=4)),
     ValueError, r"bm\.jit\(_loss4\): static_argnums has 4, but the function takes 4 positional"),
    ("jit static_argnames of no parameter", _call(lambda: bm.jit(_loss4, static_argnames="e")),
     ValueError, r"static_argnames has 'e', but the function has no such parameter \(a, b, c, d\)"),
    ("jit argument both static and donated", _call(lambda: bm.jit(_loss4, static_argnums=1, donate_argnums=1)),
     ValueError, r"argument 1 is both static and donated"),
    ("jit static_argnums of a str", _call(lambda: bm.jit(_loss4, static_argnums=["1"])),
     TypeError, r"static_argnums must hold ints, got '1'"),
    ("jit NumPy object array", _call(lambda: bm.jit(_branchy)(np.array([object()]), True)), bp.MathError,
     r"bm\.jit\(_branchy\): argument x is a NumPy array of dtype object"),
    ("jit NumPy string array in a dict", _call(lambda: bm.jit(lambda d: d)({"s": np.array(["a"])})),
     bp.MathError, r"argument d\['s'\] is a NumPy array of dtype <U1"),
    ("for_loop bool of a traced operand", _call(lambda: bm.for_loop(_branchy, (jnp.ones(3), jnp.ones(3)))),
     jax.errors.TracerBoolConversionError, r"(?s)_branchy at .* for bm\.for_loop.*the argument flag"),
    ("scan bool of the traced carry", _call(lambda: bm.scan(lambda c, x: (_branchy(x, c), x), 1.0, jnp.ones(3))),
     jax.errors.TracerBoolConversionError, r"(?s)for bm\.scan.*the argument c\b"),
    ("while_loop body bool of an operand", _call(lambda: bm.while_loop(
        lambda x, flag: (_branchy(x, flag), flag), lambda x, flag: x < 3, (1.0, 1.0))),
     jax.errors.TracerBoolConversionError, r"(?s)for bm\.while_loop.*the argument flag"),
    ("cond branch int() of a Variable", lambda h, _: bm.cond(True, lambda: jnp.zeros(int(h.f.value)), lambda: jnp.zeros(0)),
     jax.errors.ConcretizationTypeError, r"(?s)for bm\.cond.*the argument Holder\d+\.f"),
    ("grad argnums past the arguments", _call(lambda: bm.grad(_loss4, argnums=5)(1., 2., 3., 4.)),
     bp.MathError, r"bm\.grad\(_loss4\): argnums=5 asks for argument 5, but .* 4 positional"),
    ("grad argnums of an int argument", _call(lambda: bm.grad(_loss4, argnums=3)(1., 2., 3., 4)),
     bp.MathError, r"bm\.grad\(_loss4\): argument 3 \(`d`\) has dtype int32"),
    ("grad argnums of a str argument", _call(lambda: bm.grad(_loss4, argnums=(0, 2))(1., 2., "3", 4.)),
     bp.MathError, r"argument 2 \(`c`\) is a str \('3'\), not an array"),
    ("grad of an int pytree leaf", _call(lambda: bm.grad(lambda p: p["w"] * p["n"])({"w": 1., "n": 2})),
     bp.MathError, r"argument 0 \(`p`\) at \['n'\] has dtype int32"),
    ("cond branches of different shapes", _call(lambda: bm.cond(True, lambda: jnp.ones(2), lambda: jnp.ones(3))),
     bp.MathError, r"bm\.cond: true_fun returns float32\[2\], but false_fun returns float32\[3\]"),
    ("cond branches of different structure", lambda h, _: bm.cond(
        True, lambda: (h.f.update(h.f + 1.0), h.vec.value)[1], lambda: (h.vec.value, h.f.value)),
     bp.MathError, r"true_fun returns float32\[3\], but false_fun returns \(float32\[3\], float32\[\]\)"),
    ("switch branch of another dtype", _call(lambda: bm.jit(lambda i: bm.switch(
        i, [lambda: jnp.ones(2), lambda: jnp.ones(2), lambda: jnp.ones(2, jnp.int32)]))(1)),
     bp.MathError, r"bm\.switch: branches\[2\] returns int32\[2\], but branches\[0\] returns float32"),
    ("ifelse branch of another shape", _call(lambda: bm.ifelse([True], [lambda: jnp.ones(2), lambda: jnp.ones(1)])),
     bp.MathError, r"bm\.ifelse: branches\[1\] returns float32\[1\]"),
    ("while_loop with body and cond swapped", lambda h, _: bm.while_loop(
        lambda x: (h.f.update(h.f + 1.0), x.sum() < 10)[1], lambda x: x * 2, jnp.ones(2)),
     bp.MathError, r"bm\.while_loop: `cond_fun` must return a boolean scalar, got float32\[2\]"),
    ("while_loop body changing the shape", lambda h, _: bm.while_loop(
        lambda x: (h.f.update(h.f + 1.0), jnp.concatenate([x, x]))[1], lambda x: x.sum() < 10, jnp.ones(1)),
     bp.MathError, r"`body_fun` returns float32\[2\], but the operands are float32\[1\]"),
    # (checkpoints inside transforms: tests/test_bad_input_checkpoints.py)
]


@pytest.mark.parametrize("name, act, error, pattern", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_and_changes_nothing(name, act, error, pattern, tmp_path):
    holder = Holder()
    bp.save(tmp_path / "ok.npz", holder)
    assert_refused(lambda: act(holder, str(tmp_path)), error, pattern, [holder], tmp_path)


LEGAL = [
    ("Python int into float", "f", 2, jnp.asarray(2.0)),
    ("Python int into uint8 in range", "u", 255, jnp.asarray(255, jnp.uint8)),
    ("Python int into int32", "i", -7, jnp.asarray(-7, jnp.int32)),
    ("Python float into float", "f", 0.25, jnp.asarray(0.25)),
    ("numpy int into uint8", "u", np.int64(3), None),
]


@pytest.mark.parametrize("name, attr, value, expected", LEGAL, ids=[c[0] for c in LEGAL])
def test_legitimate_assignments_still_work(name, attr, value, expected):
    holder = Holder()
    var = getattr(holder, attr)
    if expected is None:  # a strongly typed array of another dtype: refused, as before
        with pytest.raises(bp.MathError, match="expected dtype uint8"):
            var.value = value
        return
    var.value = value
    assert var.value.dtype == expected.dtype and var.value == expected


def test_seeds_use_all_64_bits_and_keep_prngkey_streams():
    import jax

    assert (bm.random.RandomState(5).value == jax.random.PRNGKey(5)).all()
    low, high = bm.random.RandomState(0).value, bm.random.RandomState(2 ** 32).value
    assert not (low == high).all()


def test_random_state_accepts_a_typed_key():
    import jax

    typed = bm.random.RandomState(jax.random.key(3))
    raw = bm.random.RandomState(jax.random.PRNGKey(3))
    assert_same_state({"k": typed.value}, {"k": raw.value})
    np.testing.assert_array_equal(typed.rand(3), raw.rand(3))


@pytest.mark.parametrize("label", [-1, -3, 3, 7])
def test_out_of_range_labels_under_jit_give_nan_not_another_class(label):
    logits = jnp.array([[1.0, 2.0, 3.0], [0.5, 0.0, -1.0]])
    labels = jnp.array([label, 0])
    loss = bm.jit(lambda x, t: bp.losses.cross_entropy_loss(x, t, reduction="none"))(logits, labels)
    assert np.isnan(np.asarray(loss[0]))
    expected = -jax.nn.log_softmax(logits[1])[0]
    np.testing.assert_allclose(np.asarray(loss[1]), np.asarray(expected), rtol=1e-6)
    with pytest.raises(ValueError, match=r"class indices must lie in \[0, 3\)"):
        bp.losses.cross_entropy_loss(logits, labels)  # eager: a clear error instead


# -- tracebacks: from the caller's line straight to the user's failing line -------------------

def _user_error(*_):
    raise ValueError("the user's own error")


def _net_for_traceback():
    return bp.Linear(3, 2)


TRACEBACK_CALLS = {
    "jit": lambda: bm.jit(_user_error)(jnp.ones(2)),
    "cls_jit method": lambda: bm.jit(lambda m, x: _user_error(m(x)))(_net_for_traceback(), jnp.ones(3)),
    "grad": lambda: bm.grad(_user_error)(1.0),
    "grad_vars": lambda: bm.grad(_user_error, grad_vars=bm.TrainVar(jnp.ones(2)))(),
    "for_loop": lambda: bm.for_loop(_user_error, jnp.ones(3)),
    "while_loop": lambda: bm.while_loop(_user_error, lambda x: x < 3, 1.0),
    "cond": lambda: bm.cond(True, _user_error, lambda: 0.0),
    "vmap": lambda: bm.vmap(_user_error)(jnp.ones(3)),
    "remat": lambda: bm.remat(_user_error)(jnp.ones(3)),
    "eval_shape": lambda: bm.eval_shape(_user_error, jnp.ones(3)),
    "jit of for_loop": lambda: bm.jit(lambda x: bm.for_loop(_user_error, x))(jnp.ones(3)),
}


@pytest.mark.parametrize("kind", list(TRACEBACK_CALLS))
def test_tracebacks_hide_brainobj_frames(kind):
    import traceback

    package = os.path.dirname(bp.__file__) + os.sep
    with pytest.raises(ValueError, match="the user's own error") as info:
        TRACEBACK_CALLS[kind]()
    frames = traceback.extract_tb(info.value.__traceback__)
    assert not [f for f in frames if f.filename.startswith(package)], \
        [f"{f.filename}:{f.name}" for f in frames]
    assert frames[-1].name == "_user_error"
    assert frames[0].filename == __file__  # the call in this test


def test_tracebacks_keep_every_frame_when_filtering_is_off():
    import traceback

    package = os.path.dirname(bp.__file__) + os.sep
    before = jax.config.jax_traceback_filtering
    jax.config.update("jax_traceback_filtering", "off")
    try:
        with pytest.raises(ValueError) as info:
            bm.jit(_user_error)(jnp.ones(2))
    finally:
        jax.config.update("jax_traceback_filtering", before)
    frames = traceback.extract_tb(info.value.__traceback__)
    assert [f for f in frames if f.filename.startswith(package)]
