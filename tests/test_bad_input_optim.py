"""Bad input to ``bp.optim``: a clear error naming the parameter, nothing changed.

Table-driven like ``test_bad_input.py``: each case gets a fresh model mixing
float32 and bfloat16 parameters and optimizers that already took one step
(so moments and step counters are not zeros), names the error type and a
pattern its message must match, and ``assert_refused`` checks that no
Variable of the model or of any optimizer -- parameters, optax state, step
counters -- nor the global random key changed.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import optax
import pytest

import brainobj as bp
import brainobj.math as bm
from _helpers import assert_refused, assert_same_state


class Mixed(bp.BrainPyObject):
    """float32 Linear weights, a bfloat16 vector, an integer counter."""

    def __init__(self):
        self.lin = bp.Linear(3, 2)
        self.half = bm.TrainVar(jnp.linspace(-1.0, 1.0, 4, dtype=jnp.bfloat16))
        self.count = bm.Variable(jnp.zeros((), jnp.int32))


def good_grads(model, scale=1.0):
    """A valid gradient dict for ``model.vars()``: every trained key, None for the counter."""
    return {key: None if var is model.count else jnp.full(var.shape, scale, var.dtype)
            for key, var in model.vars().items()}


def narrowing_tx():
    """Keeps float32 state at init but returns it in the gradient's dtype:
    for a bfloat16 parameter its state would change dtype on the first step."""
    def init(params):
        return [jnp.zeros(p.shape, jnp.float32) for p in params]

    def update(updates, state, params=None):
        new = [(0.9 * m + g).astype(g.dtype) for m, g in zip(state, updates)]
        return new, new
    return optax.GradientTransformation(init, update)


def restructuring_tx():
    """Its update returns a state with another structure than its init."""
    return optax.GradientTransformation(lambda params: (),
                                        lambda updates, state, params=None: (updates, (0,)))


def build():
    model = Mixed()
    vars_ = model.vars()
    opts = {
        "adam": bp.optim.Adam(0.1, vars_),
        "listed": bp.optim.Momentum(0.1, [model.lin.W, model.half]),
        "plateau": bp.optim.Optimizer(optax.chain(optax.adam(0.1), optax.contrib.reduce_on_plateau()),
                                      vars_),
        "narrowing": bp.optim.Optimizer(narrowing_tx(), vars_),
        "restructuring": bp.optim.Optimizer(restructuring_tx(), vars_),
        "empty": bp.optim.SGD(0.1),
    }
    # one real step first: the refused one must not touch non-zero moments and counters
    opts["adam"].update(good_grads(model, 0.5))
    opts["listed"].update([jnp.full((3, 2), 0.5), jnp.full(4, 0.5, jnp.bfloat16)])
    return model, opts


def key_of(model, var):
    return next(k for k, v in model.vars().items() if v is var)


def _update(which, edit):
    """``opts[which].update`` eagerly with a valid gradient dict changed by ``edit``."""
    def act(model, opts):
        opts[which].update(edit(model, good_grads(model)))
    return act


def _jit_update(edit):
    """The same, inside ``bm.jit``: the gradients are the jit's tracers."""
    def act(model, opts):
        bm.jit(lambda g: opts["adam"].update(g))(edit(model, good_grads(model)))
    return act


W, HALF, COUNT = (lambda m: m.lin.W), (lambda m: m.half), (lambda m: m.count)


def _set(which, value):
    """Replace the gradient of the Variable ``which(model)`` by ``value``."""
    def edit(model, grads):
        grads[key_of(model, which(model))] = value
        return grads
    return edit


def _drop(model, grads):
    del grads[key_of(model, model.half)]
    return grads


def _extra(model, grads):
    grads["nope"] = jnp.ones(2)
    return grads


def _as_list(model, grads):
    return list(grads.values())


def _foreign_jit(model, opts):
    jax.jit(lambda g: opts["adam"].update(g))(good_grads(model))


def _vmap_in_bm_jit(model, opts):
    def inner(g):
        opts["adam"].update({**good_grads(model), key_of(model, model.lin.W): g})
    bm.jit(lambda gs: jax.vmap(inner)(gs))(jnp.ones((5, 3, 2)))


def _listed(grads):
    def act(model, opts):
        opts["listed"].update(grads)
    return act


def _register(which, train_vars, in_jit=False):
    def act(model, opts):
        tv = train_vars(model) if callable(train_vars) else train_vars
        if in_jit:
            bm.jit(lambda: opts[which].register_train_vars(tv))()
        else:
            opts[which].register_train_vars(tv)
    return act


def _build(make):
    def act(model, opts):
        make(model.vars())
    return act


F32, BF16 = jnp.float32, jnp.bfloat16

CASES = [
    # -- the gradient dict ------------------------------------------------------------------------
    ("missing gradient", _update("adam", _drop), bp.MathError, r"no gradient for: \['Mixed\d+\.half'\]"),
    ("None for a trained Variable", _update("adam", _set(HALF, None)), bp.MathError,
     r"no gradient for: \['Mixed\d+\.half'\]"),
    ("extra key", _update("adam", _extra), bp.MathError, r"does not hold: \['nope'\]"),
    ("gradient for the int counter", _update("adam", _set(COUNT, jnp.ones((), jnp.int32))), bp.MathError,
     r"Mixed\d+\.count: got a gradient for a int32 Variable, which is never trained"),
    ("list when a dict is expected", _update("adam", _as_list), TypeError,
     r"grads is a list, but the Variables were registered as a dict"),
    ("an array instead of a dict", lambda m, o: o["adam"].update(jnp.ones(3)), TypeError,
     r"grads must be a dict or a list, got ArrayImpl"),
    # -- one entry ------------------------------------------------------------------------------
    ("mis-shaped W", _update("adam", _set(W, jnp.ones(2))), bp.MathError,
     r"Linear\d+\.W: gradient has shape \(2,\), expected \(3, 2\)"),
    ("transposed W", _update("adam", _set(W, jnp.ones((2, 3)))), bp.MathError,
     r"Linear\d+\.W: gradient has shape \(2, 3\), expected \(3, 2\)"),
    ("float32 gradient for bfloat16", _update("adam", _set(HALF, jnp.ones(4, F32))), bp.MathError,
     r"Mixed\d+\.half: gradient has dtype float32, expected bfloat16 .*astype\('bfloat16'\)"),
    ("bfloat16 gradient for float32", _update("adam", _set(W, jnp.ones((3, 2), BF16))), bp.MathError,
     r"Linear\d+\.W: gradient has dtype bfloat16, expected float32"),
    ("float16 gradient for bfloat16", _update("adam", _set(HALF, jnp.ones(4, jnp.float16))), bp.MathError,
     r"Mixed\d+\.half: gradient has dtype float16, expected bfloat16"),
    ("int gradient for float32", _update("adam", _set(W, jnp.ones((3, 2), jnp.int32))), bp.MathError,
     r"Linear\d+\.W: gradient has dtype int32, expected float32"),
    ("complex gradient for float32", _update("adam", _set(W, jnp.ones((3, 2), jnp.complex64))),
     bp.MathError, r"Linear\d+\.W: gradient has dtype complex64"),
    ("string gradient", _update("adam", _set(HALF, "0.1")), bp.MathError,
     r"Mixed\d+\.half: the gradient is of type str, not an array of shape \(4,\) and dtype bfloat16"),
    ("object gradient", _update("adam", _set(W, object())), bp.MathError,
     r"Linear\d+\.W: the gradient is of type object"),
    # -- inside bm.jit: the same checks on tracers --------------------------------------------
    ("mis-shaped in bm.jit", _jit_update(_set(W, jnp.ones(2))), bp.MathError,
     r"Linear\d+\.W: gradient has shape \(2,\), expected \(3, 2\)"),
    ("float32 for bfloat16 in bm.jit", _jit_update(_set(HALF, jnp.ones(4, F32))), bp.MathError,
     r"Mixed\d+\.half: gradient has dtype float32, expected bfloat16"),
    ("missing in bm.jit", _jit_update(_drop), bp.MathError, r"no gradient for: \['Mixed\d+\.half'\]"),
    # -- tracers of transforms that are not brainobj's --------------------------------------
    ("gradient traced by jax.jit", _foreign_jit, bp.MathError,
     r"Mixed\d+\.half: the gradient is traced by a JAX transform that is not brainobj's"),
    ("jax.vmap inside bm.jit", _vmap_in_bm_jit, bp.MathError, r"not brainobj's"),
    # -- registered as a list ----------------------------------------------------------------
    ("list of the wrong length", _listed([jnp.ones((3, 2))]), bp.MathError,
     r"got 1 gradients for 2 registered Variables"),
    ("list entry mis-shaped", _listed([jnp.ones((3, 2)), jnp.ones(3, BF16)]), bp.MathError,
     r"Mixed\d+\.half: gradient has shape \(3,\), expected \(4,\)"),
    ("list entry wrong dtype", _listed([jnp.ones((3, 2)), jnp.ones(4)]), bp.MathError,
     r"Mixed\d+\.half: gradient has dtype float32, expected bfloat16"),
    # -- the optax transformation fails or changes its state ------------------------------------
    ("optax fails after computing part", _update("plateau", lambda m, g: g), TypeError,
     r"missing 1 required keyword-only argument: 'value'"),
    ("state narrows for bfloat16", _update("narrowing", lambda m, g: g), bp.MathError,
     r"the optimizer state of Mixed\d+\.half: the optax update gives shape \(4,\) and dtype "
     r"bfloat16, but .*opt_state-\d+ holds shape \(4,\) and dtype float32"),
    ("state changes structure", _update("restructuring", lambda m, g: g), bp.MathError,
     r"state of another structure"),
    ("nothing registered", lambda m, o: o["empty"].update({}), bp.MathError,
     r"SGD\d+: no Variables to train; .* register_train_vars"),
    # -- registration ---------------------------------------------------------------------------
    ("register inside bm.jit", _register("adam", lambda m: {"x": m.half}, in_jit=True), bp.MathError,
     r"register train_vars outside transforms"),
    ("register a key twice", _register("listed", lambda m: [m.lin.b]), bp.MathError,
     r"key 0 is already registered for another Variable"),
    ("register an array", _register("adam", {"x": jnp.ones(2)}), TypeError,
     r"train_vars\['x'\] is a ArrayImpl, not a Variable"),
    ("register a number", _register("adam", 3), TypeError, r"train_vars must be a dict .* got int"),
    # -- hyperparameters: refused when built, not inside the first update ---------------------
    ("string lr", _build(lambda tv: bp.optim.SGD("0.1", tv)), TypeError,
     r"SGD: lr must be a number or an optax schedule, got '0\.1'"),
    ("bool lr", _build(lambda tv: bp.optim.Adagrad(True, tv)), TypeError, r"Adagrad: lr must be a number"),
    ("None lr", _build(lambda tv: bp.optim.Adam(None, tv)), TypeError, r"Adam: lr must be a number"),
    ("negative lr", _build(lambda tv: bp.optim.Adam(-0.1, tv)), ValueError,
     r"Adam: lr must be finite and >= 0, got -0\.1"),
    ("nan lr", _build(lambda tv: bp.optim.RMSProp(float("nan"), tv)), ValueError,
     r"RMSProp: lr must be finite"),
    ("beta1 = 1", _build(lambda tv: bp.optim.Adam(0.1, tv, beta1=1.0)), ValueError,
     r"Adam: beta1 must be finite and in \[0\.0, 1\.0\), got 1\.0"),
    ("beta2 NaN", _build(lambda tv: bp.optim.AdamW(0.1, tv, beta2=float("nan"))), ValueError,
     r"AdamW: beta2 must be finite and in"),
    ("momentum 1.5", _build(lambda tv: bp.optim.Momentum(0.1, tv, momentum=1.5)), ValueError,
     r"Momentum: momentum must be finite and in \[0\.0, 1\.0\), got 1\.5"),
    ("negative eps", _build(lambda tv: bp.optim.RMSProp(0.1, tv, eps=-1e-8)), ValueError,
     r"RMSProp: eps must be finite and >= 0"),
    ("string weight decay", _build(lambda tv: bp.optim.AdamW(0.1, tv, weight_decay="1e-4")), TypeError,
     r"AdamW: weight_decay must be a number, got '1e-4'"),
    ("negative accumulator", _build(lambda tv: bp.optim.Adagrad(0.1, tv, initial_accumulator_value=-1)),
     ValueError, r"Adagrad: initial_accumulator_value must be finite and >= 0"),
    ("not a GradientTransformation", _build(lambda tv: bp.optim.Optimizer(optax.adam, tv)), TypeError,
     r"Optimizer needs an optax\.GradientTransformation, got function"),
]


@pytest.mark.parametrize("name, act, error, pattern", CASES, ids=[c[0] for c in CASES])
def test_bad_optimizer_input_is_refused_and_changes_nothing(name, act, error, pattern):
    model, opts = build()
    assert_refused(lambda: act(model, opts), error, pattern, [model, *opts.values()])


def test_after_a_refusal_the_same_step_runs_normally():
    # the refused call left no half-written state behind: the next good step
    # gives what a fresh copy gives
    model, opts = build()
    twin, twin_opts = build()
    twin.load_state_dict(model.state_dict())
    twin_opts["adam"].load_state_dict(opts["adam"].state_dict())
    with pytest.raises(bp.MathError):
        opts["adam"].update(_set(HALF, jnp.ones(4, F32))(model, good_grads(model)))
    opts["adam"].update(good_grads(model, 0.25))
    twin_opts["adam"].update(good_grads(twin, 0.25))
    assert_same_state(model.state_dict(), twin.state_dict())
    assert_same_state(opts["adam"].state_dict(), twin_opts["adam"].state_dict())
