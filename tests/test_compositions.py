"""Property test: random nests of jit / grad / for_loop / cond match their eager run.

A composition is a small tree: leaves read and write Variables of a
``World`` object (one Variable of which is shared by two paths); inner nodes
wrap their children in ``bm.jit``, ``bm.grad``, ``bm.for_loop`` or
``bm.cond``. The oracle runs the same tree eagerly: ``jit`` becomes the
identity, ``for_loop`` a Python loop and ``cond`` a Python ``if`` (``grad``
stays ``bm.grad``, whose children then run eagerly). Outputs and every
Variable's final value must agree.
"""

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import brainobj as bp
import brainobj.math as bm

from _helpers import assert_no_tracers, state_of


class Sub(bp.BrainPyObject):
    def __init__(self, shared, h):
        self.s = shared
        self.h = bm.Variable(h)


class World(bp.BrainPyObject):
    def __init__(self, init):
        self.a = bm.Variable(init["a"])
        self.b = bm.Variable(init["b"])  # only ever read
        self.w = bm.TrainVar(init["w"])  # read, and the variable of every grad
        self.c = bm.Variable(jnp.zeros((), jnp.int32))  # a step counter
        shared = bm.Variable(init["s"])
        self.s = shared
        self.sub = Sub(shared, init["h"])  # world.s is world.sub.s


FLOAT_VARS = ["a", "b", "w", "s", "sub.s", "sub.h"]
WRITABLE = ["a", "s", "sub.s", "sub.h"]


def var(world, path):
    obj = world
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


# -- the leaves: random reads and writes ---------------------------------------------------

def run_leaf(ops, world, x):
    out = jnp.sum(world.w.value * x)  # every leaf depends on w, so grads are not trivial
    for kind, target, source, coef in ops:
        if kind == "write":
            t = var(world, target)
            t.value = jnp.tanh(t.value * coef + x * var(world, source).value)
        elif kind == "count":
            world.c.value = world.c.value + 1
        else:  # "read"
            out = out + coef * jnp.sum(jnp.sin(var(world, source).value * world.w.value))
    return out


ops_strategy = st.lists(
    st.tuples(st.sampled_from(["write", "write", "count", "read"]), st.sampled_from(WRITABLE),
              st.sampled_from(FLOAT_VARS), st.sampled_from([-0.7, 0.5, 1.3])),
    min_size=1, max_size=4)


# -- compositions --------------------------------------------------------------------------

def compositions(depth):
    leaf = st.tuples(st.just("leaf"), ops_strategy)
    if depth == 0:
        return leaf
    child = compositions(depth - 1)
    # "via": whether the object reaches the transform as an argument/operand
    # or through the closure
    via = st.sampled_from(["arg", "closure"])
    return st.one_of(
        st.tuples(st.just("jit"), child, via),
        st.tuples(st.just("grad"), child, via),
        st.tuples(st.just("for_loop"), child, st.integers(1, 3), via),
        st.tuples(st.just("cond"), child, st.one_of(child, leaf), st.sampled_from([-0.5, 0.3, 2.0]), via),
    )


def build(spec, eager):
    """``fun(world, x) -> scalar`` for ``spec``; ``eager`` builds the oracle."""
    kind = spec[0]
    if kind == "leaf":
        return lambda world, x: run_leaf(spec[1], world, x)

    if kind == "jit":
        child, via = build(spec[1], eager), spec[2]
        if eager:
            return child
        if via == "arg":
            return lambda world, x: bm.jit(child)(world, x)
        return lambda world, x: bm.jit(lambda x: child(world, x))(x)

    if kind == "grad":
        child, via = build(spec[1], eager), spec[2]

        def with_grad(world, x):
            if via == "arg":
                g, value = bm.grad(child, grad_vars=world.w, return_value=True)(world, x)
            else:
                g, value = bm.grad(lambda x: child(world, x), grad_vars=world.w,
                                   return_value=True)(x)
            return value + 0.3 * jnp.sum(g)

        return with_grad

    if kind == "for_loop":
        child, n, via = build(spec[1], eager), spec[2], spec[3]
        if eager:
            return lambda world, x: sum(child(world, x + i) for i in range(n))
        if via == "arg":
            return lambda world, x: bm.for_loop(child, (world, x + jnp.arange(n))).sum()
        return lambda world, x: bm.for_loop(lambda xi: child(world, xi), x + jnp.arange(n)).sum()

    if kind == "cond":
        yes, no = build(spec[1], eager), build(spec[2], eager)
        threshold, via = spec[3], spec[4]
        if eager:
            return lambda world, x: yes(world, x) if x > threshold else no(world, x)
        if via == "arg":
            return lambda world, x: bm.cond(x > threshold, yes, no, (world, x))
        return lambda world, x: bm.cond(x > threshold, lambda x: yes(world, x),
                                        lambda x: no(world, x), x)

    raise AssertionError(kind)


vec = st.lists(st.floats(-1.0, 1.0, width=32), min_size=2, max_size=2).map(
    lambda v: jnp.asarray(v, jnp.float32))
inits = st.fixed_dictionaries({
    "a": vec, "w": vec, "s": vec, "h": vec,
    "b": st.floats(-1.0, 1.0, width=32).map(lambda v: jnp.asarray(v, jnp.float32)),
})


def snapshot(world):
    assert world.s is world.sub.s  # sharing survives: still one box
    state = state_of(world)
    assert_no_tracers(world)
    return state


@pytest.mark.slow  # 80 random compositions, each compiled (`make test-slow`)
@settings(max_examples=80, deadline=None)
@given(spec=st.integers(1, 3).flatmap(compositions), init=inits,
       x=st.sampled_from([-1.0, 0.0, 0.5, 1.5]), calls=st.integers(1, 2))
def test_composition_matches_eager(spec, init, x, calls):
    compiled, oracle = World(init), World(init)
    fun, eager = build(spec, eager=False), build(spec, eager=True)
    x = jnp.float32(x)
    for _ in range(calls):  # a second call takes the cached paths
        out = fun(compiled, x)
        expected = eager(oracle, x)
        np.testing.assert_allclose(np.asarray(out), np.asarray(expected), rtol=2e-4, atol=2e-5,
                                   err_msg=f"output of {spec}")
        got, want = snapshot(compiled), snapshot(oracle)
        assert got.keys() == want.keys()
        for key in want:
            np.testing.assert_allclose(got[key], want[key], rtol=2e-4, atol=2e-5,
                                       err_msg=f"{key} after {spec}")
