"""Bad input to layers, losses, initializers, bm.random and Variables (issue 9).

Table-driven like ``test_bad_input.py``: each case builds a fresh model, names
the error type and a pattern its message must contain (the layer, argument or
Variable), and ``assert_refused`` then checks that no Variable of the model
nor the global random key changed. The positive tests below check that the
inputs NumPy/BrainPy accept work, against plain JAX/NumPy computing the same.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.nn import initializers as jinit

import brainobj as bp
import brainobj.math as bm
from _helpers import assert_close, assert_refused, assert_same

R = bm.random
L = bp.losses
I = bp.init


@pytest.fixture(autouse=True)
def _restore_default_key():
    saved = R.DEFAULT.value
    yield
    R.DEFAULT.value = saved


class Net(bp.BrainPyObject):
    """Every layer kind, some Variables of several dtypes and a random state."""

    def __init__(self):
        self.lin = bp.Linear(3, 2)
        self.conv = bp.Conv2d(3, 4, 3)
        self.conv1 = bp.Conv1d(2, 2, 5, padding="VALID")
        self.bn = bp.BatchNorm1d(4)
        self.pooled_bn = bp.BatchNorm1d(4, axis_name="batch")
        self.ln = bp.LayerNorm(4)
        self.emb = bp.Embedding(10, 3)
        self.drop = bp.Dropout(0.5)
        # a later layer fails after a BatchNorm, a Dropout and its own-rng Dropout ran
        self.seq = bp.Sequential(bp.Linear(3, 4), bp.BatchNorm1d(4), bp.Dropout(0.5),
                                 bp.Dropout(0.5, rng=R.RandomState(1)), bp.Linear(4, 5),
                                 bp.Sequential(bp.BatchNorm1d(5), bp.BatchNorm1d(3)))
        self.f = bm.Variable(jnp.arange(3.0))
        self.i = bm.Variable(jnp.arange(3, dtype=jnp.int32))
        self.u = bm.Variable(jnp.zeros(2, jnp.uint8))
        self.scalar = bm.Variable(jnp.zeros(()))
        self.rng = R.RandomState(0)


def _jit(fun):
    return lambda net: bm.jit(fun)(net)


# (name, act(net), error type, pattern of the message)
CASES = [
    # -- layers: inputs ------------------------------------------------------------------------
    ("Linear str input", lambda n: n.lin("abc"), bp.MathError,
     r"Linear\d+: expected an array input, got str 'abc'"),
    ("Linear None input", lambda n: n.lin(None), bp.MathError,
     r"Linear\d+: expected an array input, got NoneType"),
    ("Linear ragged list input", lambda n: n.lin([[1.0], [2.0, 3.0]]), bp.MathError,
     r"Linear\d+: expected an array input, got list"),
    ("Conv2d wrong channel count", lambda n: n.conv(jnp.ones((1, 5, 5, 4))), bp.MathError,
     r"Conv2d\d+: .*NHWC.*3 channels.*\(1, 5, 5, 4\)"),
    ("Conv2d channels-first input", lambda n: n.conv(jnp.ones((1, 3, 5, 5))), bp.MathError,
     r"Conv2d\d+: .*channels last.*\(1, 3, 5, 5\)"),
    ("Conv2d rank-2 input", lambda n: n.conv(jnp.ones((5, 3))), bp.MathError,
     r"Conv2d\d+: .*unbatched HWC; got shape \(5, 3\)"),
    ("Conv2d None input in jit", _jit(lambda n: n.conv(None)), bp.MathError,
     r"Conv2d\d+: expected an array input, got NoneType"),
    ("Conv1d VALID input smaller than the kernel", lambda n: n.conv1(jnp.ones((3, 2))),
     bp.MathError, r"Conv1d\d+: input of shape \(3, 2\) is smaller than the \(dilated\) kernel"),
    ("BatchNorm empty batch in training", lambda n: n.bn(jnp.ones((0, 4))), bp.MathError,
     r"BatchNorm1d\d+: cannot compute batch statistics of an empty batch \(shape \(0, 4\)\)"),
    ("BatchNorm empty batch in jit", _jit(lambda n: n.bn(jnp.ones((0, 5, 4)))), bp.MathError,
     r"BatchNorm1d\d+: cannot compute batch statistics of an empty batch"),
    ("BatchNorm complex input", lambda n: n.bn(jnp.ones((2, 4), jnp.complex64)), bp.MathError,
     r"BatchNorm1d\d+: expected real inputs, got dtype complex64"),
    ("BatchNorm wrong feature count", lambda n: n.bn(jnp.ones((2, 3))), bp.MathError,
     r"BatchNorm1d\d+: .*features=4.*\(2, 3\)"),
    ("BatchNorm axis_name outside vmap", lambda n: n.pooled_bn(jnp.ones((2, 4))), bp.MathError,
     r"BatchNorm1d\d+: axis_name='batch' is not the axis_name of an enclosing bm\.vmap"),
    ("LayerNorm mismatched trailing shape", lambda n: n.ln(jnp.ones((2, 3))), bp.MathError,
     r"LayerNorm\d+: expected inputs whose trailing shape is \(4,\), got shape \(2, 3\)"),
    ("LayerNorm complex input", lambda n: n.ln(jnp.ones(4, jnp.complex64)), bp.MathError,
     r"LayerNorm\d+: expected real inputs"),
    ("Embedding whole floats", lambda n: n.emb(np.array([1.0, 2.0])), bp.MathError,
     r"Embedding\d+: expected integer indices, got dtype float32"),
    ("Embedding index out of range", lambda n: n.emb(jnp.array([[1, 2], [3, 10]])), bp.MathError,
     r"Embedding\d+: index 10 at position \(1, 1\) .*\[0, 10\)"),
    ("Embedding str input", lambda n: n.emb("3"), bp.MathError,
     r"Embedding\d+: expected an array input, got str"),
    ("Dropout str input", lambda n: n.drop("abc"), bp.MathError,
     r"Dropout\d+: expected an array input, got str"),
    ("Dropout int input in jit", _jit(lambda n: n.drop(jnp.arange(3))), bp.MathError,
     r"Dropout\d+: expected floating-point inputs, got dtype int32"),
    ("Sequential: a later layer fails after BatchNorm and Dropout ran",
     lambda n: n.seq(jnp.ones((2, 3))), bp.MathError,
     r"BatchNorm1d\d+: .*features=3.*\(2, 5\)"),
    ("Sequential fails in jit", _jit(lambda n: n.seq(jnp.ones((2, 3)))), bp.MathError,
     r"BatchNorm1d\d+: .*features=3"),
    ("Sequential index past the end", lambda n: n.seq[9], IndexError,
     r"Sequential\d+: layer index 9 is out of range for 6 layers"),
    ("Sequential str index", lambda n: n.seq["0"], TypeError,
     r"Sequential\d+: index layers with an int or a slice, got '0'"),
    # -- layers: construction (the global key is put back) -------------------------------------
    ("Linear bias initializer that cannot fill a vector",
     lambda n: bp.Linear(3, 2, b_initializer=I.XavierNormal()), ValueError,
     r"Linear: b_initializer failed for shape \(2,\): XavierNormal\(.*in_axis=-2 is not an axis"),
    ("Linear initializer of the wrong shape",
     lambda n: bp.Linear(3, 2, W_initializer=lambda shape: jnp.ones((2, 2))), ValueError,
     r"Linear: W_initializer returned shape \(2, 2\), expected \(3, 2\)"),
    ("Linear initializer that is a str", lambda n: bp.Linear(3, 2, W_initializer="xavier"),
     TypeError, r"Linear: W_initializer must be an initializer .*'xavier'"),
    ("Linear integer initializer",
     lambda n: bp.Linear(3, 2, W_initializer=lambda s: jnp.ones(s, jnp.int32)), TypeError,
     r"Linear: W_initializer returned dtype int32; a trainable parameter must be floating"),
    ("Conv2d initializer that is None", lambda n: bp.Conv2d(3, 4, 3, w_initializer=None),
     TypeError, r"Conv2d: w_initializer must be an initializer .*None"),
    ("Embedding initializer that cannot fill its table",
     lambda n: bp.Embedding(4, 2, initializer=I.Orthogonal(axis=3)), ValueError,
     r"Embedding: initializer failed for shape \(4, 2\): Orthogonal.*axis=3 is not an axis"),
    ("BatchNorm momentum str", lambda n: bp.BatchNorm1d(4, momentum="0.9"), TypeError,
     r"BatchNorm1d: momentum must be a real number, got '0\.9'"),
    ("BatchNorm momentum None", lambda n: bp.BatchNorm1d(4, momentum=None), TypeError,
     r"BatchNorm1d: momentum must be a real number, got None"),
    ("BatchNorm epsilon inf", lambda n: bp.BatchNorm2d(4, epsilon=float("inf")), ValueError,
     r"BatchNorm2d: epsilon must be > 0 and finite, got inf"),
    ("BatchNorm affine str", lambda n: bp.BatchNorm1d(4, affine="no"), TypeError,
     r"BatchNorm1d: affine must be True or False, got 'no'"),
    ("BatchNorm bias initializer of the wrong shape",
     lambda n: bp.BatchNorm1d(4, bias_initializer=lambda s: jnp.zeros(3)), ValueError,
     r"BatchNorm1d: bias_initializer returned shape \(3,\), expected \(4,\)"),
    ("LayerNorm set shape", lambda n: bp.LayerNorm({2, 3}), TypeError,
     r"LayerNorm: normalized_shape must be a positive int or a tuple of them, got \{2, 3\}"),
    ("LayerNorm epsilon str", lambda n: bp.LayerNorm(4, epsilon="1e-5"), TypeError,
     r"LayerNorm: epsilon must be a real number, got '1e-5'"),
    ("Dropout rate str", lambda n: bp.Dropout("0.5"), TypeError,
     r"Dropout: rate must be a number, got '0\.5'"),
    ("Dropout rate True", lambda n: bp.Dropout(True), TypeError,
     r"Dropout: rate must be a number, got True"),
    # -- losses -------------------------------------------------------------------------------
    ("mse str predicts", lambda n: L.mean_squared_error("ab", jnp.ones(2)), TypeError,
     r"mean_squared_error: predicts must be an array \(or a number\), got str 'ab'"),
    ("mae None targets", lambda n: L.mean_absolute_error(jnp.ones(2), None), TypeError,
     r"mean_absolute_error: targets must be an array \(or a number\), got NoneType"),
    ("l2 complex predicts", lambda n: L.l2_loss(jnp.ones(2, jnp.complex64), jnp.ones(2)),
     TypeError, r"l2_loss: predicts must be real, got dtype complex64"),
    ("mse mean of empty arrays", lambda n: L.mean_squared_error(jnp.ones(0), jnp.ones(0)),
     ValueError, r"mean_squared_error: cannot average a loss over no elements"),
    ("cross-entropy mean of an empty batch",
     lambda n: L.cross_entropy_loss(jnp.ones((0, 3)), jnp.zeros(0, jnp.int32)), ValueError,
     r"cross_entropy_loss: cannot average a loss over no elements .*\(0,\)"),
    ("cross-entropy no classes",
     lambda n: L.cross_entropy_loss(jnp.ones((4, 0)), jnp.zeros(4, jnp.int32)), ValueError,
     r"cross_entropy_loss: predicts of shape \(4, 0\) has no classes"),
    ("cross-entropy complex logits",
     lambda n: L.cross_entropy_loss(jnp.ones((2, 3), jnp.complex64), jnp.zeros(2, jnp.int32)),
     TypeError, r"cross_entropy_loss: predicts must be real"),
    ("cross-entropy negative probabilities",
     lambda n: L.cross_entropy_loss(jnp.ones((2, 3)), jnp.array([[-1.0, 2.0, 0.0], [1, 0, 0]])),
     ValueError, r"cross_entropy_loss: targets must be probabilities in \[0, 1\], got values "
                 r"in \[-1\.0, 2\.0\]"),
    ("cross-entropy int64 label that int32 would wrap",
     lambda n: L.cross_entropy_loss(jnp.ones((1, 3)), np.array([2 ** 32 + 1])), ValueError,
     r"cross_entropy_loss: class indices must lie in \[0, 3\).*4294967297"),
    ("binary cross-entropy targets above 1",
     lambda n: L.binary_cross_entropy(jnp.zeros(2), jnp.array([2.0, 0.0])), ValueError,
     r"binary_cross_entropy: targets must be probabilities in \[0, 1\], got values in "
     r"\[0\.0, 2\.0\]"),
    ("huber delta inf", lambda n: L.huber_loss(jnp.ones(2), jnp.zeros(2), delta=float("inf")),
     ValueError, r"huber_loss: delta must be finite, got delta=inf; use l2_loss"),
    ("huber delta of another shape",
     lambda n: L.huber_loss(jnp.ones(2), jnp.zeros(2), delta=jnp.ones(3)), ValueError,
     r"huber_loss: delta of shape \(3,\) does not broadcast to the predictions' shape \(2,\)"),
    ("huber delta str", lambda n: L.huber_loss(jnp.ones(2), jnp.zeros(2), delta="1"),
     TypeError, r"huber_loss: delta must be an array \(or a number\), got str '1'"),
    # -- initializers -------------------------------------------------------------------------
    ("XavierNormal unknown mode", lambda n: I.XavierNormal(mode="fan_middle"), ValueError,
     r"XavierNormal: mode must be one of \('fan_in', .*got 'fan_middle'"),
    ("KaimingNormal unknown distribution", lambda n: I.KaimingNormal(distribution="gauss"),
     ValueError, r"KaimingNormal: distribution must be one of .*got 'gauss'"),
    ("LecunUniform mode not a str", lambda n: I.LecunUniform(1.0, 0), TypeError,
     r"LecunUniform: mode must be a string, one of .*got 0"),
    ("XavierUniform infinite scale", lambda n: I.XavierUniform(float("inf")), ValueError,
     r"XavierUniform needs scale > 0 .*and finite, got scale=inf"),
    ("KaimingUniform str scale", lambda n: I.KaimingUniform("2"), TypeError,
     r"KaimingUniform: scale must be a real number, got '2'"),
    ("XavierNormal in_axis float", lambda n: I.XavierNormal(in_axis=0.5), TypeError,
     r"XavierNormal: in_axis must be an int or a sequence of ints, got 0\.5"),
    ("XavierNormal in_axis equal to out_axis", lambda n: I.XavierNormal(in_axis=0, out_axis=-2)((3, 2)),
     ValueError, r"XavierNormal\(.*\) cannot initialize shape \(3, 2\): in_axis and out_axis "
                 r"both name axis 0"),
    ("Normal str mean", lambda n: I.Normal(mean="0"), TypeError,
     r"Normal: mean must be a real number, got '0'"),
    ("Uniform infinite bound", lambda n: I.Uniform(0.0, float("inf")), ValueError,
     r"Uniform: max_val must be finite, got max_val=inf"),
    ("TruncatedNormal str scale", lambda n: I.TruncatedNormal(scale="1"), TypeError,
     r"TruncatedNormal: scale must be a real number"),
    ("Orthogonal float axis", lambda n: I.Orthogonal(axis=0.5), TypeError,
     r"Orthogonal: axis must be an int, got 0\.5"),
    ("Constant 1.5 into int32", lambda n: I.Constant(1.5)((2,), dtype=jnp.int32), ValueError,
     r"Constant\(value=1\.5\): cannot fill dtype int32 with value=1\.5: it is not a whole number"),
    ("Constant 300 into uint8", lambda n: I.Constant(300)((2,), dtype=jnp.uint8), ValueError,
     r"cannot fill dtype uint8 with value=300"),
    ("Constant 1e40 into float32", lambda n: I.Constant(1e40)((2,)), ValueError,
     r"cannot fill dtype float32 with value=1e\+40: it overflows the dtype"),
    ("Constant None", lambda n: I.Constant(None), TypeError,
     r"Constant: value must be a number or a numeric array, got None"),
    ("Constant value that does not broadcast", lambda n: I.Constant(jnp.ones(3))((3, 2)),
     ValueError, r"Constant\(.*\): a value of shape \(3,\) does not broadcast to the shape \(3, 2\)"),
    ("initializer shape with a bool", lambda n: I.XavierNormal()((True, 2)), TypeError,
     r"an initializer needs a shape \(int or tuple of ints\), got \(True, 2\)"),
    ("initializer dtype misspelt", lambda n: I.Normal()((2,), dtype="flot32"), TypeError,
     r"Normal\(.*\): dtype must be a numeric NumPy/JAX dtype .*'flot32'"),
    ("initializer key of the wrong shape", lambda n: I.Normal()((2,), key=jnp.zeros(3, jnp.uint32)),
     TypeError, r"Normal\(.*\): `key` must be one PRNG key: uint32\[2\].*got uint32\[3\]"),
    ("Initializer base class", lambda n: I.Initializer()((2,)), NotImplementedError,
     r"Initializer is a base class"),
    # -- bm.random: refused before the key advances -----------------------------------------
    ("normal negative scale", lambda n: R.normal(0.0, -1.0, size=3), ValueError,
     r"bm\.random\.normal: `scale` must be >= 0, got scale=-1\.0"),
    ("normal negative scale in an array", lambda n: R.normal(0.0, jnp.array([1.0, -1.0])),
     ValueError, r"bm\.random\.normal: `scale` must be >= 0"),
    ("normal str loc", lambda n: R.normal("0", 1.0), TypeError,
     r"bm\.random\.normal: `loc` must be a real number or an array of real numbers, got '0'"),
    ("normal loc that does not broadcast to size", lambda n: R.normal(jnp.zeros(3), size=2),
     ValueError, r"bm\.random\.normal: the parameters \(`loc` \(3,\)\) do not broadcast to "
                 r"`size` \(2,\)"),
    ("RandomState.normal negative scale", lambda n: n.rng.normal(0.0, -2.0), ValueError,
     r"bm\.random\.normal: `scale` must be >= 0"),
    ("uniform low above high", lambda n: R.uniform(1.0, 0.0, size=3), ValueError,
     r"bm\.random\.uniform: needs low <= high, got low=1\.0, high=0\.0"),
    ("uniform infinite high", lambda n: R.uniform(0.0, float("inf")), ValueError,
     r"bm\.random\.uniform: `high` must be finite"),
    ("uniform complex low", lambda n: R.uniform(1j, 2.0), TypeError,
     r"bm\.random\.uniform: `low` must be a real number"),
    ("permutation of a float scalar", lambda n: R.permutation(3.5), TypeError,
     r"bm\.random\.permutation: `x` must be an int or an array with at least one axis, got 3\.5"),
    ("permutation axis out of range", lambda n: R.permutation(jnp.ones((2, 3)), axis=2),
     ValueError, r"bm\.random\.permutation: axis 2 is out of range for `x` of shape \(2, 3\)"),
    ("permutation independent str", lambda n: R.permutation(4, independent="yes"), TypeError,
     r"bm\.random\.permutation: `independent` must be True or False"),
    ("shuffle of a 0-d Variable", lambda n: R.shuffle(n.scalar), TypeError,
     r"bm\.random\.shuffle: `x` must be an int or an array with at least one axis, got a 0-d "
     r"float32 array"),
    ("shuffle of a Variable along a missing axis", lambda n: R.shuffle(n.f, axis=1), ValueError,
     r"bm\.random\.shuffle: axis 1 is out of range for `x` of shape \(3,\)"),
    ("choice negative probabilities", lambda n: R.choice(3, p=jnp.array([1.5, -0.5, 0.0])),
     ValueError, r"bm\.random\.choice: probabilities `p` must not be negative"),
    ("choice probabilities not summing to 1", lambda n: R.choice(3, p=[0.2, 0.2, 0.2]),
     ValueError, r"bm\.random\.choice: probabilities `p` must sum to 1, got sum 0\.6"),
    ("choice p of the wrong length", lambda n: R.choice(3, p=[0.5, 0.5]), ValueError,
     r"bm\.random\.choice: `p` must be 1-d with one probability per item \(3\), got shape \(2,\)"),
    ("choice replace given as a str", lambda n: R.choice(3, size=3, replace="False"), TypeError,
     r"bm\.random\.choice: `replace` must be True or False, got 'False'"),
    ("choice without replacement, too few possible items",
     lambda n: R.choice(3, size=3, replace=False, p=[0.5, 0.5, 0.0]), ValueError,
     r"bm\.random\.choice: only 2 items have non-zero probability; cannot take 3 samples"),
    ("randint float dtype", lambda n: R.randint(0, 3, size=2, dtype=float), TypeError,
     r"bm\.random\.randint: `dtype` must be an integer dtype"),
    ("randint high beyond the dtype", lambda n: R.randint(0, 2 ** 40, size=2), ValueError,
     r"bm\.random\.randint: high=1099511627776 does not fit dtype int32"),
    ("randint str bound", lambda n: R.randint("5", size=2), TypeError,
     r"bm\.random\.randint: `high` must be a real number"),
    ("bernoulli p that does not broadcast to size",
     lambda n: R.bernoulli(jnp.array([0.1, 0.2, 0.3]), size=2), ValueError,
     r"bm\.random\.bernoulli: the parameters \(`p` \(3,\)\) do not broadcast to `size` \(2,\)"),
    ("split_keys negative", lambda n: R.split_keys(-1), ValueError,
     r"bm\.random\.split_keys: `n` must not be negative, got -1"),
    ("split_keys float", lambda n: R.split_keys(2.5), TypeError,
     r"bm\.random\.split_keys: `n` must be an int, got 2\.5"),
    ("explicit key of the wrong dtype", lambda n: R.rand(2, key=jnp.zeros(2)), TypeError,
     r"bm\.random\.rand: `key` must be one PRNG key: uint32\[2\].*got float32\[2\]"),
    ("truncated_normal lower >= upper", lambda n: R.truncated_normal(1.0, 1.0, size=3),
     ValueError, r"bm\.random\.truncated_normal: needs lower < upper, got lower=1\.0, upper=1\.0"),
    ("truncated_normal scale 0", lambda n: R.truncated_normal(-1.0, 1.0, scale=0.0),
     ValueError, r"bm\.random\.truncated_normal: `scale` must be > 0"),
    ("gamma negative shape", lambda n: R.gamma(-1.0), ValueError,
     r"bm\.random\.gamma: `shape` must be >= 0, got shape=-1\.0"),
    ("gamma negative scale", lambda n: R.gamma(1.0, -2.0), ValueError,
     r"bm\.random\.gamma: `scale` must be >= 0"),
    ("beta a = 0", lambda n: R.beta(0.0, 1.0), ValueError,
     r"bm\.random\.beta: `a` must be > 0, got a=0\.0"),
    ("exponential negative scale", lambda n: R.exponential(-1.0), ValueError,
     r"bm\.random\.exponential: `scale` must be >= 0"),
    ("poisson negative rate", lambda n: R.poisson(jnp.array([1.0, -1.0])), ValueError,
     r"bm\.random\.poisson: `lam` must be >= 0"),
    ("poisson NaN rate", lambda n: R.poisson(float("nan")), ValueError,
     r"bm\.random\.poisson: `lam` must be >= 0 \(and not NaN\)"),
    ("categorical scalar logits", lambda n: R.categorical(0.5), ValueError,
     r"bm\.random\.categorical: `logits` must have a class axis, got a scalar"),
    ("categorical axis out of range", lambda n: R.categorical(jnp.zeros((2, 3)), axis=2),
     ValueError, r"bm\.random\.categorical: axis 2 is out of range for logits of shape \(2, 3\)"),
    ("categorical size without the batch axes",
     lambda n: R.categorical(jnp.zeros((2, 3)), size=(4, 3)), ValueError,
     r"bm\.random\.categorical: the parameters \(`logits` \(2,\)\) do not broadcast to `size` "
     r"\(4, 3\)"),
    ("categorical no classes", lambda n: R.categorical(jnp.zeros((2, 0))), ValueError,
     r"bm\.random\.categorical: `logits` of shape \(2, 0\) has no classes along axis -1"),
    # -- Variables ----------------------------------------------------------------------------
    ("Variable of None", lambda n: bm.Variable(None), bp.MathError,
     r"cannot create a Variable from None: it is not an array"),
    ("TrainVar of a str", lambda n: bm.TrainVar("abc"), bp.MathError,
     r"cannot create a TrainVar from str 'abc'"),
    ("Variable of a ragged list", lambda n: bm.Variable([[1.0], [2.0, 3.0]]), bp.MathError,
     r"cannot create a Variable from list"),
    ("Variable 1.5 as int32", lambda n: bm.Variable(1.5, dtype=jnp.int32), bp.MathError,
     r"Variable\(\.\.\., dtype=int32\): cannot assign a floating-point value \(float 1\.5\)"),
    ("Variable 300 as uint8", lambda n: bm.Variable(jnp.asarray(300), dtype=jnp.uint8), bp.MathError,
     r"Variable\(\.\.\., dtype=uint8\): 300 does not fit its dtype uint8"),
    ("Variable float array as int32", lambda n: bm.Variable(jnp.array([1.5]), dtype="int32"),
     bp.MathError, r"Variable\(\.\.\., dtype=int32\): cannot convert float32 values to dtype int32"),
    ("Variable int array out of uint8", lambda n: bm.Variable(jnp.array([3, 300]), dtype=jnp.uint8),
     bp.MathError, r"Variable\(\.\.\., dtype=uint8\): 300 does not fit dtype uint8"),
    ("Variable misspelt dtype", lambda n: bm.Variable(jnp.ones(2), dtype="flot32"), TypeError,
     r"Variable: dtype must be a numeric \(or bool\) NumPy/JAX dtype .*'flot32'"),
    ("setitem past the end", lambda n: n.f.__setitem__(5, 1.0), IndexError,
     r"Net\d+\.f: index 5 is out of bounds for axis 0 with size 3"),
    ("setitem negative past the start", lambda n: n.f.__setitem__(-4, 1.0), IndexError,
     r"Net\d+\.f: index -4 is out of bounds"),
    ("setitem index array past the end", lambda n: n.f.__setitem__(np.array([0, 3]), 1.0),
     IndexError, r"Net\d+\.f: index 3 is out of bounds for axis 0"),
    ("getitem past the end", lambda n: n.f[7], IndexError,
     r"Net\d+\.f: index 7 is out of bounds for axis 0 with size 3"),
    ("setitem 1.5 into int", lambda n: n.i.__setitem__(0, 1.5), bp.MathError,
     r"Net\d+\.i: cannot assign a floating-point value \(float 1\.5\) to a Variable of dtype int32"),
    ("setitem float32 array into int", lambda n: n.i.__setitem__(0, jnp.float32(2.0)),
     bp.MathError, r"Net\d+\.i: cannot convert float32 values to dtype int32"),
    ("setitem 300 into uint8", lambda n: n.u.__setitem__(1, 300), bp.MathError,
     r"Net\d+\.u: 300 does not fit its dtype uint8"),
    ("setitem of the wrong shape", lambda n: n.f.__setitem__(slice(0, 2), jnp.ones(3)),
     bp.MathError, r"Net\d+\.f\[slice\(0, 2, None\)\] = .*Incompatible"),
    ("setitem of a str", lambda n: n.f.__setitem__(0, "a"), bp.MathError,
     r"Net\d+\.f\[0\]: cannot assign str 'a': it is not an array"),
    ("setitem with a float index", lambda n: n.f.__setitem__(0.5, 1.0), TypeError,
     r"Net\d+\.f\[0\.5\]: .*integer"),
    ("in-place multiply by a str", lambda n: n.f.__imul__("a"), bp.MathError,
     r"Net\d+\.f: cannot update it in place with str 'a'"),
    ("update with None", lambda n: n.f.update(None), bp.MathError,
     r"Net\d+\.f: cannot assign None"),
    ("update with another shape", lambda n: n.f.update(jnp.ones(2)), bp.MathError,
     r"Net\d+\.f: expected shape \(3,\), got \(2,\)"),
    ("missing attribute", lambda n: n.f.nonexistent, AttributeError,
     r"Net\d+\.f: neither a Variable nor its array has an attribute 'nonexistent'"),
]


@pytest.mark.parametrize("name, act, error, pattern", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_and_changes_nothing(name, act, error, pattern):
    net = Net()
    # Statistics and keys away from their initial values: a reset would show.
    net.seq[:4](jnp.arange(6.0).reshape(2, 3))
    R.seed(3)
    assert_refused(lambda: act(net), error, pattern, [net])


def test_there_are_many_cases():
    assert len(CASES) >= 25
    assert len({c[0] for c in CASES}) == len(CASES)


# -- legitimate input that now works -----------------------------------------------------------

def _drawn(draw, oracle):
    """``draw()`` from the global state equals ``oracle(key)`` with the key the
    state should use, and the state advances by exactly one split."""
    R.seed(17)
    keep, fresh = jax.random.split(jax.random.PRNGKey(17))
    got = draw()
    assert_close(got, oracle(fresh), rtol=1e-6, atol=1e-6)
    assert_same(R.DEFAULT.value, keep)


NEW_DRAWS = {
    "truncated_normal": (lambda: R.truncated_normal(-1.0, 3.0, size=(4, 5), loc=1.0, scale=2.0),
                         lambda k: 1.0 + 2.0 * jax.random.truncated_normal(k, -1.0, 1.0, (4, 5))),
    "truncated_normal infinite bounds": (
        lambda: R.truncated_normal(-np.inf, np.inf, size=6),
        lambda k: jax.random.truncated_normal(k, -np.inf, np.inf, (6,))),
    "categorical": (lambda: R.categorical(jnp.log(jnp.array([[0.2, 0.8], [0.5, 0.5]]))),
                    lambda k: jax.random.categorical(k, jnp.log(jnp.array([[0.2, 0.8],
                                                                           [0.5, 0.5]])))),
    "categorical axis 0 with size": (
        lambda: R.categorical(jnp.zeros((3, 2)), axis=0, size=(5, 2)),
        lambda k: jax.random.categorical(k, jnp.zeros((3, 2)), axis=0, shape=(5, 2))),
    "gamma": (lambda: R.gamma(jnp.array([0.5, 2.0]), 3.0, size=(3, 2)),
              lambda k: jax.random.gamma(k, jnp.array([0.5, 2.0]), (3, 2)) * 3.0),
    "gamma shape 0 (NumPy allows it)": (lambda: R.gamma(0.0, size=3),
                                        lambda k: jax.random.gamma(k, 0.0, (3,))),
    "beta": (lambda: R.beta(2.0, jnp.array([1.0, 5.0])),
             lambda k: jax.random.beta(k, 2.0, jnp.array([1.0, 5.0]), (2,))),
    "exponential": (lambda: R.exponential(2.5, size=4),
                    lambda k: jax.random.exponential(k, (4,)) * 2.5),
    "poisson": (lambda: R.poisson(jnp.array([0.0, 3.0, 10.0])),
                lambda k: jax.random.poisson(k, jnp.array([0.0, 3.0, 10.0]), (3,))),
    "permutation of a list (NumPy takes lists)": (
        lambda: R.permutation([5, 6, 7, 8]),
        lambda k: jax.random.permutation(k, jnp.asarray([5, 6, 7, 8]))),
    "permutation of a 0-d int array is of range(n)": (
        lambda: R.permutation(np.array(6)), lambda k: jax.random.permutation(k, 6)),
    "choice from a 0-d int array is from range(n)": (
        lambda: R.choice(jnp.array(5), size=3), lambda k: jax.random.choice(k, 5, (3,))),
    "choice with p given as a list": (
        lambda: R.choice(3, size=4, p=[0.25, 0.25, 0.5]),
        lambda k: jax.random.choice(k, 3, (4,), p=jnp.asarray([0.25, 0.25, 0.5]))),
    "normal with a list loc": (lambda: R.normal([0.0, 10.0], 2.0),
                               lambda k: jnp.asarray([0.0, 10.0]) + 2.0 * jax.random.normal(k, (2,))),
    "uniform with low == high is low": (lambda: R.uniform(2.0, 2.0, size=3),
                                        lambda k: jnp.full(3, 2.0)),
}


@pytest.mark.parametrize("name", list(NEW_DRAWS))
def test_draws_numpy_and_brainpy_accept_match_jax_random(name):
    _drawn(*NEW_DRAWS[name])


def test_new_draws_take_an_explicit_key_and_leave_the_state_alone():
    R.seed(5)
    before = np.asarray(R.DEFAULT.value)
    key = jax.random.PRNGKey(8)
    assert_close(R.gamma(2.0, size=3, key=key), jax.random.gamma(key, 2.0, (3,)))
    assert_close(R.RandomState(1).beta(1.0, 2.0, key=bm.Variable(key)),
                 jax.random.beta(key, 1.0, 2.0, ()))
    np.testing.assert_array_equal(np.asarray(R.DEFAULT.value), before)


def test_value_checks_skip_traced_parameters_under_jit():
    # Under bm.jit a traced scale is unknown: no check, no error, JAX's value.
    f = bm.jit(lambda s: R.normal(0.0, s, size=2, key=jax.random.PRNGKey(0)))
    assert_close(f(jnp.float32(-1.0)), -1.0 * jax.random.normal(jax.random.PRNGKey(0), (2,)))


@pytest.mark.parametrize("make, mode, distribution, scale", [
    (lambda: I.KaimingNormal(mode="fan_out"), "fan_out", "truncated_normal", 2.0),
    (lambda: I.XavierUniform(1.0, "fan_in", "normal"), "fan_in", "normal", 1.0),  # BrainPy's order
    (lambda: I.LecunNormal(distribution="uniform"), "fan_in", "uniform", 1.0),
    (lambda: I.KaimingUniform(mode="fan_geo_avg", in_axis=0, out_axis=1), "fan_geo_avg",
     "uniform", 2.0),
])
def test_variance_scaling_mode_and_distribution_match_jax(make, mode, distribution, scale):
    key = jax.random.PRNGKey(4)
    init = make()
    axes = dict(in_axis=init.in_axis, out_axis=init.out_axis)
    expected = jinit.variance_scaling(scale, mode, distribution, **axes)(key, (5, 7), jnp.float32)
    assert_close(init((5, 7), key=key), expected, rtol=1e-6, atol=1e-7)


def test_constant_fills_any_dtype_that_holds_the_value():
    assert_same(I.Constant(2.0)((3,), dtype=jnp.int32), jnp.asarray(np.full(3, 2, np.int32)))
    assert_same(I.ZeroInit()((2, 2), dtype=bool), jnp.asarray(np.zeros((2, 2), bool)))
    assert_same(I.Constant(0.1)((2,), dtype=jnp.float16),
                jnp.asarray(np.full(2, 0.1, np.float16)))  # rounding is not a loss
    row = jnp.array([1.0, 2.0])
    assert_same(I.Constant(row)((3, 2)), jnp.asarray(np.tile(np.asarray(row), (3, 1))))


def test_layernorm_takes_a_numpy_shape_array():
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype(np.float32)
    got = bp.LayerNorm(np.array([3, 4]))(x)
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = ((x - mean) ** 2).mean(axis=(1, 2), keepdims=True)
    assert_close(got, (x - mean) / np.sqrt(var + 1e-5), rtol=1e-5, atol=1e-5)


def test_dropout_takes_a_zero_d_array_rate():
    x = jnp.ones(64)
    a = bp.Dropout(jnp.asarray(0.25), rng=R.RandomState(2))(x)
    keep = jax.random.bernoulli(jax.random.split(jax.random.PRNGKey(2))[1], 0.75, (64,))
    assert_close(a, jnp.where(keep, x / 0.75, 0.0))


def test_batchnorm_eval_accepts_an_empty_batch():
    bn = bp.BatchNorm1d(4)
    bn(jnp.arange(8.0).reshape(2, 4))
    bn.eval()
    empty = jnp.zeros((0, 4))
    mean, var = np.asarray(bn.running_mean.value), np.asarray(bn.running_var.value)
    assert_close(bn(empty), (np.zeros((0, 4)) - mean) / np.sqrt(var + 1e-5))


def test_sequential_that_succeeds_still_writes_its_statistics():
    # The snapshot is only for failures: a good eager call updates BatchNorm.
    net = bp.Sequential(bp.Linear(3, 4), bp.BatchNorm1d(4, momentum=0.9))
    x = jnp.arange(6.0).reshape(2, 3)
    hidden = np.asarray(net[0](x))
    net(x)
    assert_close(net[1].running_mean.value, 0.1 * hidden.mean(axis=0), rtol=1e-5, atol=1e-6)
    assert_close(net[1].running_var.value, 0.9 + 0.1 * hidden.var(axis=0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("reduction", ["sum", "none"])
def test_losses_of_empty_batches_without_a_mean(reduction):
    empty = jnp.zeros((0, 3))
    got = L.mean_squared_error(empty, empty, reduction=reduction)
    expected = np.sum(np.zeros((0, 3))) if reduction == "sum" else np.zeros((0, 3))
    assert_close(got, jnp.asarray(expected, jnp.float32))
    got = L.cross_entropy_loss(empty, jnp.zeros(0, jnp.int32), reduction=reduction)
    assert_close(got, jnp.asarray(np.sum(np.zeros(0)) if reduction == "sum" else np.zeros(0),
                                  jnp.float32))


def test_traced_probability_targets_are_not_checked():
    # Values are unknown under bm.jit: the loss is optax's, no host round trip.
    logits, targets = jnp.array([0.5, -1.0]), jnp.array([2.0, 0.0])
    got = bm.jit(lambda t: L.binary_cross_entropy(logits, t, reduction="none"))(targets)
    assert_close(got, optax.losses.sigmoid_binary_cross_entropy(logits, targets))


def test_huber_loss_with_a_broadcast_delta():
    p, t = jnp.array([[0.5, 3.0], [-2.0, 0.1]]), jnp.zeros((2, 2))
    delta = jnp.array([1.0, 2.5])
    err = np.abs(np.asarray(p))
    d = np.asarray(delta)
    expected = np.where(err <= d, 0.5 * err ** 2, d * (err - 0.5 * d))
    assert_close(L.huber_loss(p, t, delta=delta, reduction="none"), jnp.asarray(expected, jnp.float32))


def test_variable_conversions_that_keep_the_values():
    ints = np.array([1, -2, 3])
    assert_same(bm.Variable(ints, dtype=jnp.float32).value, jnp.asarray(ints.astype(np.float32)))
    small = jnp.array([3, 100], jnp.int32)
    assert_same(bm.Variable(small, dtype=jnp.int8).value, jnp.asarray(np.array([3, 100], np.int8)))
    v = bm.Variable(jnp.arange(4.0))
    v[1] = jnp.int32(7)  # an integer into a float Variable loses nothing
    v[-1] = 9.0
    assert_same(v.value, jnp.arange(4.0).at[1].set(7.0).at[-1].set(9.0))
    assert_same(v[-4], jnp.arange(4.0).at[1].set(7.0)[0])


def test_bfloat16_passes_the_lossless_checks():
    # bfloat16 has NumPy kind 'V': it must count as a float in every dtype check.
    x = jnp.linspace(-1.0, 1.0, 4, dtype=jnp.bfloat16)
    v = bm.Variable(x)
    v[0] = 0.25
    v[1] = jnp.float32(0.5)
    assert_same(v.value, x.at[0].set(0.25).at[1].set(jnp.float32(0.5).astype(jnp.bfloat16)))
    assert_same(bm.Variable(jnp.arange(3.0), dtype=jnp.bfloat16).value,
                jnp.arange(3.0).astype(jnp.bfloat16))
    w = bm.Variable(jnp.zeros(2))
    w[0] = jnp.bfloat16(2.0)
    assert_same(w.value, jnp.zeros(2).at[0].set(2.0))
    assert_same(I.Constant(0.1)((2,), dtype=jnp.bfloat16), jnp.full(2, 0.1, jnp.bfloat16))
    key = jax.random.PRNGKey(3)
    loc = jnp.ones(2, jnp.bfloat16)
    assert_close(R.normal(loc, 2.0, key=key), loc + 2.0 * jax.random.normal(key, (2,)))
