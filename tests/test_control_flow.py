"""bm.for_loop / scan / while_loop / cond / ifelse / switch.

Every rule is checked against an oracle: the same computation written in pure
JAX over explicit state arrays (``lax.scan``, ``lax.while_loop``,
``lax.cond``, ``lax.switch``), or the eager Python loop / Python ``if``.
"""

import jax
import jax.extend
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jax import lax

import brainobj as bp
import brainobj.math as bm

from _helpers import assert_close, assert_no_tracers


# -- helpers -------------------------------------------------------------------------

class Cell(bp.BrainPyObject):
    """A leaky accumulator: ``h <- decay * h + w * x``; counts its steps."""

    def __init__(self, n=3, decay=0.5):
        self.w = bm.TrainVar(jnp.linspace(0.5, 1.5, n))
        self.h = bm.Variable(jnp.zeros(n))
        self.steps = bm.Variable(jnp.zeros((), jnp.int32))
        self.decay = decay

    def __call__(self, x):
        self.h.value = self.decay * self.h + self.w * x
        self.steps += 1
        return self.h.value.sum()


def cell_step_pure(decay, w, h, steps, x):
    """Cell.__call__ over explicit state: the pure-JAX oracle."""
    h = decay * h + w * x
    return h, steps + 1, h.sum()


def primitives(fun, *args):
    """Names of the primitives in the jaxpr of ``bm.jit(fun)``, recursively."""
    jaxpr = bm.jit(fun).trace(*args).jaxpr
    names = set()

    def walk(jx):
        for eqn in jx.eqns:
            names.add(eqn.primitive.name)
            for sub in jax.extend.core.jaxprs_in_params(eqn.params):
                walk(sub)

    walk(jaxpr.jaxpr)
    return names


XS = jnp.linspace(-1.0, 2.0, 7)


# -- for_loop --------------------------------------------------------------------------

@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("unroll", [1, 3])
@pytest.mark.parametrize("remat", [False, True])
def test_for_loop_matches_lax_scan(reverse, unroll, remat):
    cell = Cell()
    w, h, steps = cell.w.value, cell.h.value, cell.steps.value
    ys = bm.for_loop(cell, XS, reverse=reverse, unroll=unroll, remat=remat)

    def body(carry, x):
        h, steps = carry
        h, steps, y = cell_step_pure(0.5, w, h, steps, x)
        return (h, steps), y

    (h_ref, steps_ref), ys_ref = lax.scan(body, (h, steps), XS, reverse=reverse)
    assert_close(ys, ys_ref)
    assert_close(cell.h.value, h_ref)
    assert int(cell.steps.value) == int(steps_ref) == len(XS)
    assert_no_tracers(cell.h, cell.steps, cell.w)


@pytest.mark.parametrize("reverse", [False, True])
def test_for_loop_jit_false_is_the_python_loop(reverse):
    compiled, eager = Cell(), Cell()
    ys = bm.for_loop(compiled, XS, reverse=reverse)
    ys_eager = bm.for_loop(eager, XS, reverse=reverse, jit=False)
    # and the hand-written Python loop
    manual = Cell()
    order = range(len(XS) - 1, -1, -1) if reverse else range(len(XS))
    outs = {i: manual(XS[i]) for i in order}
    assert_close(ys, ys_eager)
    assert_close(ys, jnp.stack([outs[i] for i in range(len(XS))]))
    for a, b, c in [(compiled.h, eager.h, manual.h), (compiled.steps, eager.steps, manual.steps)]:
        assert_close(a.value, b.value)
        assert_close(a.value, c.value)


def test_for_loop_pytree_operands_and_outputs():
    acc = bm.Variable(jnp.zeros(2))

    def body(a, d):
        acc.value = acc.value + a * d["b"]
        return {"sum": acc.value.sum(), "pair": (a, d["b"] * 2)}

    a = jnp.arange(8.0).reshape(4, 2)
    b = jnp.arange(4.0)[:, None] * jnp.ones((4, 2))
    out = bm.for_loop(body, (a, {"b": b}))
    cum = jnp.cumsum(a * b, axis=0)
    assert_close(out["sum"], cum.sum(axis=1))
    assert_close(out["pair"][0], a)
    assert_close(out["pair"][1], b * 2)
    assert_close(acc.value, cum[-1])
    # a single (non-tuple) operand is passed as one argument
    assert_close(bm.for_loop(lambda x: x * 3.0, a), a * 3.0)
    # Variables given as operands enter as their values
    assert_close(bm.for_loop(lambda x: x + 1.0, bm.Variable(a)), a + 1.0)


def test_for_loop_body_returning_nothing():
    total = bm.Variable(jnp.zeros(()))
    assert bm.for_loop(lambda x: total.update(total.value + x), XS) is None
    assert_close(total.value, XS.sum())
    assert bm.for_loop(lambda x: total.update(total.value + x), XS, jit=False) is None
    assert_close(total.value, 2 * XS.sum())


def test_long_loop_traces_a_bounded_number_of_times():
    calls = [0]
    total = bm.Variable(jnp.zeros(()))

    def body(x):
        calls[0] += 1
        total.value = total.value + x
        return total.value

    n = 10_000
    out = bm.for_loop(body, jnp.ones(n))
    first = calls[0]
    assert first <= 8, first
    assert_close(out[-1], float(n))
    assert_close(total.value, float(n))
    # compiled once: the second call runs no Python per step (and no trace)
    bm.for_loop(body, jnp.ones(n))
    assert calls[0] == first
    assert_close(total.value, 2.0 * n)


def test_loops_compile_to_lax_primitives():
    v = bm.Variable(jnp.zeros(()))

    def loop(xs):
        return bm.for_loop(lambda x: v.update(v.value + x), xs)

    assert "scan" in primitives(loop, XS)

    def scan(xs):
        return bm.scan(lambda c, x: (c + x + v.value, c), 0.0, xs)

    assert "scan" in primitives(scan, XS)

    def while_(x):
        return bm.while_loop(lambda x: x * 2.0, lambda x: x < 100.0, x)

    assert "while" in primitives(while_, 1.0)

    def cond(x):
        return bm.cond(x > 0, lambda x: v.update(v.value + x), lambda x: None, x)

    assert "cond" in primitives(cond, 1.0)

    def switch(i):
        return bm.switch(i, [lambda: 0.0, lambda: v.value, lambda: 2.0])

    assert "cond" in primitives(switch, 1)

    def ifelse(x):
        return bm.ifelse([x > 1, x > 0], [lambda: 0.0, lambda: 1.0, lambda: 2.0])

    assert "cond" in primitives(ifelse, 1.0)


def test_progress_bar_counts_every_step(capfd):
    total = bm.Variable(jnp.zeros(()))

    def body(x):
        total.value = total.value + x
        return total.value

    bm.for_loop(body, jnp.ones(1000), progress_bar=True)
    err = capfd.readouterr().err
    assert "1000/1000" in err
    assert_close(total.value, 1000.0)
    # jit=False shows the same bar
    bm.for_loop(body, jnp.ones(30), progress_bar=True, jit=False)
    assert "30/30" in capfd.readouterr().err
    assert_close(total.value, 1030.0)


def test_progress_bar_updates_at_a_bounded_rate(monkeypatch):
    from brainobj.math import _progress

    seen = []
    advance = _progress.Progress._advance

    def counting(self, done):
        seen.append(int(done))
        advance(self, done)

    monkeypatch.setattr(_progress.Progress, "_advance", counting)
    total = bm.Variable(jnp.zeros(()))
    n = 10_000
    for reverse in (False, True):
        seen.clear()
        bm.for_loop(lambda x: total.update(total.value + x), jnp.ones(n), reverse=reverse,
                    progress_bar=True)
        # about 100 host callbacks, not one per step; in order; ending at n
        assert 2 <= len(seen) <= 101
        assert seen == sorted(seen) and seen[-1] == n
    assert_close(total.value, 2.0 * n)
    # differentiating a remat loop recomputes the steps, not the progress reports
    seen.clear()
    g = bm.grad(lambda xs: bm.for_loop(lambda x: jnp.sin(x), xs, remat=True,
                                       progress_bar=True).sum())(jnp.ones(n))
    assert_close(g, jnp.cos(jnp.ones(n)))
    assert 2 <= len(seen) <= 101
    assert seen == sorted(seen) and seen[-1] == n


def test_progress_bar_inside_jit_advances_at_run_time(capfd):
    total = bm.Variable(jnp.zeros(()))

    def body(x):
        total.value = total.value + x
        return total.value

    run = bm.jit(lambda xs: bm.for_loop(body, xs, progress_bar=True))
    for expected in (500.0, 1000.0):
        run(jnp.ones(500))
        jax.effects_barrier()
        assert "500/500" in capfd.readouterr().err
        assert_close(total.value, expected)


def test_empty_loop():
    total = bm.Variable(jnp.zeros(()))
    out = bm.for_loop(lambda x: total.update(total.value + x) or x * 2, jnp.ones(0))
    assert out.shape == (0,)
    out_eager = bm.for_loop(lambda x: total.update(total.value + x) or x * 2, jnp.ones(0), jit=False)
    assert out_eager is not None and out_eager.shape == (0,)
    assert_close(total.value, 0.0)


def test_for_loop_bad_operands_name_the_operand():
    with pytest.raises(bm.MathError, match=r"operands\[1\].*scalar"):
        bm.for_loop(lambda a, b: a, (jnp.ones(3), 1.0))
    with pytest.raises(bm.MathError, match="disagree.*3.*4"):
        bm.for_loop(lambda a, b: a, (jnp.ones(3), jnp.ones(4)))
    with pytest.raises(bm.MathError, match="no arrays"):
        bm.for_loop(lambda: 0, ())


def test_eager_loop_sees_new_values_and_new_objects():
    cell = Cell()
    bm.for_loop(cell, XS)
    cell.h.value = jnp.full(3, 10.0)  # a new value must not be read stale
    h0 = cell.h.value
    ys = bm.for_loop(cell, XS)
    w = cell.w.value
    h = h0
    ref = []
    for x in XS:
        h = 0.5 * h + w * x
        ref.append(h.sum())
    assert_close(ys, jnp.stack(ref))
    # a static attribute change recompiles with the new value
    cell.decay = 0.0
    ys = bm.for_loop(cell, XS)
    assert_close(ys, XS * w.sum())


# -- scan ------------------------------------------------------------------------------

def test_scan_matches_lax_scan():
    cell = Cell()
    w, h, steps = cell.w.value, cell.h.value, cell.steps.value

    def body(carry, x):
        y = cell(x + carry)
        return carry * 0.9 + y, (y, carry)

    carry, ys = bm.scan(body, 1.0, XS)

    def body_ref(full, x):
        c, h, steps = full
        h, steps, y = cell_step_pure(0.5, w, h, steps, x + c)
        return (c * 0.9 + y, h, steps), (y, c)

    (c_ref, h_ref, steps_ref), ys_ref = lax.scan(body_ref, (1.0, h, steps), XS)
    assert_close(carry, c_ref)
    assert_close(ys, ys_ref)
    assert_close(cell.h.value, h_ref)
    assert int(cell.steps.value) == int(steps_ref)


def test_scan_reverse_and_inside_jit():
    v = bm.Variable(jnp.zeros(()))

    def body(c, x):
        v.value = v.value * 2 + x
        return c + v.value, v.value

    run = bm.jit(lambda xs: bm.scan(body, 0.0, xs, reverse=True))
    carry, ys = run(XS)

    def ref(full, x):
        c, v = full
        v = v * 2 + x
        return (c + v, v), v

    (c_ref, v_ref), ys_ref = lax.scan(ref, (0.0, 0.0), XS, reverse=True)
    assert_close(carry, c_ref)
    assert_close(ys, ys_ref)
    assert_close(v.value, v_ref)


# -- while_loop ------------------------------------------------------------------------

def test_while_loop_matches_lax_while_loop():
    count = bm.Variable(jnp.zeros((), jnp.int32))
    acc = bm.Variable(jnp.zeros(2))

    def body(x, k):
        count.value += 1
        acc.value = acc.value + x
        return x * 1.5, k + 1

    def cond(x, k):
        return (acc.value.sum() < 20.0) & (k < 50)  # reads what the body wrote

    out = bm.while_loop(body, cond, (jnp.array([1.0, 0.5]), 0))

    def body_ref(full):
        x, k, count, acc = full
        return x * 1.5, k + 1, count + 1, acc + x

    def cond_ref(full):
        x, k, count, acc = full
        return (acc.sum() < 20.0) & (k < 50)

    x_ref, k_ref, count_ref, acc_ref = lax.while_loop(
        cond_ref, body_ref, (jnp.array([1.0, 0.5]), 0, jnp.int32(0), jnp.zeros(2)))
    assert isinstance(out, tuple)
    assert_close(out[0], x_ref)
    assert int(out[1]) == int(k_ref) == int(count.value) == int(count_ref)
    assert_close(acc.value, acc_ref)


def test_while_loop_cond_must_not_write():
    v = bm.Variable(jnp.zeros(()))
    before = v.value

    def bad_cond(x):
        v.value = v.value + 1
        return x < 3

    with pytest.raises(bm.MathError, match="must not write"):
        bm.while_loop(lambda x: x + 1, bad_cond, 0)
    assert v.value is before


# -- cond / switch / ifelse ---------------------------------------------------------------

@pytest.mark.parametrize("pred", [True, False])
@pytest.mark.parametrize("jitted", [False, True])
def test_cond_branches_write_different_variables(pred, jitted):
    a = bm.Variable(jnp.array([1.0, 2.0]))
    b = bm.Variable(jnp.array(5, jnp.int32))
    shared = bm.Variable(jnp.zeros(()))

    def true_fun(x):
        a.value = a.value * x
        shared.value += 1.0
        return a.value.sum()

    def false_fun(x):
        b.value = b.value - 1
        return x + shared.value

    fun = lambda p, x: bm.cond(p, true_fun, false_fun, x)
    if jitted:
        fun = bm.jit(fun)
    out = fun(pred, 3.0)

    def ref(p, a, b, shared, x):
        def t(ops):
            a, b, shared, x = ops
            a = a * x
            return a.sum(), a, b, shared + 1.0

        def f(ops):
            a, b, shared, x = ops
            return x + shared, a, b - 1, shared

        return lax.cond(p, t, f, (a, b, shared, x))

    out_ref, a_ref, b_ref, s_ref = ref(pred, jnp.array([1.0, 2.0]), jnp.int32(5), 0.0, 3.0)
    assert_close(out, out_ref)
    assert_close(a.value, a_ref)
    assert int(b.value) == int(b_ref)
    assert_close(shared.value, s_ref)
    assert b.value.dtype == jnp.int32


def test_cond_with_variable_or_traced_predicate_and_constant_branch():
    flag = bm.Variable(jnp.array(True))
    assert_close(bm.cond(flag, lambda: 1.0, 0.0), 1.0)
    flag.value = False
    assert_close(bm.cond(flag, lambda: 1.0, 0.0), 0.0)
    f = bm.jit(lambda x: bm.cond(x > 0, lambda x: x * 2, lambda x: -x, x))
    assert_close(f(3.0), 6.0)
    assert_close(f(-3.0), 3.0)


@settings(max_examples=25, deadline=None)
@given(index=st.integers(-3, 6), n=st.integers(1, 4))
def test_switch_matches_lax_switch(index, n):
    hits = bm.Variable(jnp.zeros(4))
    own = [bm.Variable(jnp.zeros(())) for _ in range(n)]

    def make(i):
        def branch(x):
            hits.value = hits.value.at[i].add(x)
            own[i].value = own[i].value + i + 1
            return hits.value.sum() * i

        return branch

    out = bm.switch(index, [make(i) for i in range(n)], 2.0)

    def make_ref(i):
        def branch(ops):
            hits, own, x = ops
            hits = hits.at[i].add(x)
            own = [o + (i + 1) * (j == i) for j, o in enumerate(own)]
            return hits.sum() * i, hits, own

        return branch

    out_ref, hits_ref, own_ref = lax.switch(
        index, [make_ref(i) for i in range(n)], (jnp.zeros(4), [jnp.zeros(())] * n, 2.0))
    assert_close(out, out_ref)
    assert_close(hits.value, hits_ref)
    for o, r in zip(own, own_ref):
        assert_close(o.value, r)


@settings(max_examples=30, deadline=None)
@given(conds=st.lists(st.booleans(), min_size=1, max_size=4), has_else=st.booleans(),
       jitted=st.booleans())
def test_ifelse_first_true_wins(conds, has_else, jitted):
    n_branches = len(conds) + int(has_else)
    counters = [bm.Variable(jnp.zeros((), jnp.int32)) for _ in range(n_branches)]

    def make(i):
        def branch(x):
            counters[i].value += 1
            return x * 10 + i

        return branch

    branches = [make(i) for i in range(n_branches)]
    fun = lambda cs, x: bm.ifelse(cs, branches, x)
    if jitted:
        fun = bm.jit(fun)
    out = fun([jnp.asarray(c) for c in conds], 1.0)
    # the Python oracle: first true condition, else the last branch
    expected = next((i for i, c in enumerate(conds) if c), n_branches - 1)
    assert_close(out, 10.0 + expected)
    assert [int(c.value) for c in counters] == [int(i == expected) for i in range(n_branches)]


def test_branch_errors():
    with pytest.raises(bm.MathError, match="empty"):
        bm.switch(0, [])
    with pytest.raises(bm.MathError, match="3 conditions for 1 branches"):
        bm.ifelse([True, False, True], [lambda: 0])


# -- object rules --------------------------------------------------------------------------

class Pair(bp.BrainPyObject):
    def __init__(self):
        self.shared = bm.Variable(jnp.zeros(2))
        self.left = Cell()
        self.right = Cell()
        self.right.h = self.left.h  # one box reachable through two paths

    def step(self, x):
        self.shared.value = self.shared + x
        return self.left(x) + self.right(x)


def test_shared_variable_is_one_box_in_loops():
    pair = Pair()
    ys = bm.for_loop(pair.step, XS)
    assert pair.left.h is pair.right.h
    ref = Pair()
    ys_ref = bm.for_loop(ref.step, XS, jit=False)
    assert_close(ys, ys_ref)
    assert_close(pair.left.h.value, ref.left.h.value)
    assert_close(pair.shared.value, ref.shared.value)
    # the same in a branch
    bm.cond(True, pair.step, lambda x: 0.0, 1.0)
    ref.step(1.0)
    assert_close(pair.left.h.value, ref.left.h.value)


GLOBAL_CELL = Cell()


def _global_body(x):
    return GLOBAL_CELL(x)


@pytest.mark.parametrize("how", ["closure", "global", "method", "operand"])
def test_objects_as_operands_closures_and_globals(how):
    cell = GLOBAL_CELL if how == "global" else Cell()
    cell.h.value = jnp.zeros(3)
    ref = Cell()
    if how == "closure":
        ys = bm.for_loop(lambda x: cell(x), XS)
    elif how == "global":
        ys = bm.for_loop(_global_body, XS)
    elif how == "method":
        ys = bm.for_loop(cell.__call__, XS)
    else:
        ys = bm.for_loop(lambda c, x: c(x), (cell, XS))
    ys_ref = bm.for_loop(ref, XS, jit=False)
    assert_close(ys, ys_ref)
    assert_close(cell.h.value, ref.h.value)


@pytest.mark.parametrize("jitted", [False, True])
def test_objects_as_branch_and_while_operands(jitted):
    cell, ref = Cell(), Cell()

    def run(c):
        a = bm.cond(True, lambda c, x: c(x), lambda c, x: x, (c, 2.0))
        b = bm.switch(1, [lambda c, x: x, lambda c, x: c(x) * 2], (c, 1.0))
        c_out, k = bm.while_loop(lambda c, k: (c, k + c(1.0)), lambda c, k: c.steps < 5, (c, 0.0))
        assert c_out is c
        carry, ys = bm.scan(lambda c, x: (c, c(x)), c, XS)
        assert carry is c
        # an object among the scanned operands reaches every step unsliced
        total, _ = bm.scan(lambda t, cx: (t + cx[0](cx[1]), None), 0.0, (c, XS[:3]))
        return a, b, k, ys, total

    out = (bm.jit(run) if jitted else run)(cell)
    a = ref(2.0)
    b = ref(1.0) * 2
    k = sum(ref(1.0) for _ in range(3))
    ys = jnp.stack([ref(x) for x in XS])
    total = sum(ref(x) for x in XS[:3])
    assert_close(out, (a, b, k, ys, total))
    assert_close(cell.h.value, ref.h.value)
    assert int(cell.steps.value) == int(ref.steps.value)


# -- failures change nothing -------------------------------------------------------------

def _raise_at(k):
    """A body that writes Variables, then raises on its k-th trace."""
    cell = Cell()
    extra = bm.Variable(jnp.ones(()))
    traces = [0]

    def body(*args):
        traces[0] += 1
        extra.value = extra.value * 3
        out = cell(args[-1] if args else 1.0)
        if traces[0] == k:
            raise ValueError("boom in the body")
        return out

    return cell, extra, body


RUNNERS = {
    "for_loop": lambda body: bm.for_loop(body, XS),
    "for_loop_jit": lambda body: bm.jit(lambda xs: bm.for_loop(body, xs))(XS),
    "scan": lambda body: bm.scan(lambda c, x: (c, body(x)), 0.0, XS),
    "while_loop": lambda body: bm.while_loop(lambda x: body(x) * 0 + x + 1, lambda x: x < 3, 0.0),
    "cond": lambda body: bm.cond(True, body, lambda x: x, 1.0),
    "switch": lambda body: bm.switch(2, [lambda x: x, lambda x: x, body], 1.0),
    "ifelse": lambda body: bm.ifelse([False, True], [lambda x: x, body], 1.0),
    "nested": lambda body: bm.jit(lambda: bm.for_loop(
        lambda x: bm.cond(x > 0, body, lambda x: x, x), XS))(),
}


@pytest.mark.parametrize("k", [1, 2])
@pytest.mark.parametrize("name", list(RUNNERS))
def test_exception_leaves_state_unchanged(name, k):
    cell, extra, body = _raise_at(k)
    cell.h.value = jnp.array([1.0, 2.0, 3.0])
    before = {"h": cell.h.value, "steps": cell.steps.value, "w": cell.w.value, "extra": extra.value}
    with pytest.raises(ValueError, match="boom"):
        RUNNERS[name](body)
    after = {"h": cell.h.value, "steps": cell.steps.value, "w": cell.w.value, "extra": extra.value}
    for key in before:
        assert after[key] is before[key], key
    assert_no_tracers(cell.h, cell.steps, cell.w, extra)
    # and the object still works afterwards, from its old state
    ys = bm.for_loop(cell, XS)

    def ref(carry, x):
        h, steps = carry
        h, steps, y = cell_step_pure(0.5, before["w"], h, steps, x)
        return (h, steps), y

    (h_ref, _), ys_ref = lax.scan(ref, (before["h"], before["steps"]), XS)
    assert_close(ys, ys_ref)
    assert_close(cell.h.value, h_ref)


# -- nesting -------------------------------------------------------------------------

def test_jit_of_for_loop_of_grad_matches_pure_jax():
    w = bm.TrainVar(jnp.array([0.3, -0.2]))
    seen = bm.Variable(jnp.zeros(()))
    w0 = w.value
    xs = jnp.arange(6.0).reshape(3, 2) / 4

    def step(x):
        def loss():
            seen.value += 1.0  # a write inside grad, inside the loop
            return jnp.sum((w.value * x - 1.0) ** 2)

        g = bm.grad(loss, grad_vars=w)()
        w.value = w.value - 0.1 * g
        return jnp.sum(g ** 2)

    out = bm.jit(lambda xs: bm.for_loop(step, xs))(xs)

    def ref_step(w, x):
        g = jax.grad(lambda w: jnp.sum((w * x - 1.0) ** 2))(w)
        return w - 0.1 * g, jnp.sum(g ** 2)

    w_ref, out_ref = lax.scan(ref_step, w0, xs)
    assert_close(out, out_ref)
    assert_close(w.value, w_ref)
    assert_close(seen.value, 3.0)


@pytest.mark.parametrize("remat", [False, True])
def test_grad_of_for_loop_matches_pure_jax(remat):
    w = bm.TrainVar(jnp.array(0.7))
    h = bm.Variable(jnp.zeros(()))

    def loss(xs):
        def step(x):
            h.value = jnp.tanh(h.value * w.value + x)
            return h.value

        return bm.for_loop(step, xs, remat=remat).sum()

    g = bm.grad(loss, grad_vars=w)(XS)

    def loss_ref(w, xs):
        def step(h, x):
            h = jnp.tanh(h * w + x)
            return h, h

        return lax.scan(step, 0.0, xs)[1].sum()

    assert_close(g, jax.grad(loss_ref)(0.7, XS))
    _, hs = lax.scan(lambda h, x: (jnp.tanh(h * 0.7 + x),) * 2, 0.0, XS)
    assert_close(h.value, hs[-1])


@pytest.mark.parametrize("jitted", [False, True])
def test_cond_inside_for_loop_and_loop_inside_cond(jitted):
    pos = bm.Variable(jnp.zeros(()))
    neg = bm.Variable(jnp.zeros(()))
    inner = bm.Variable(jnp.zeros(()))

    def step(x):
        def up():
            pos.value += x
            # a loop inside a branch inside a loop
            bm.for_loop(lambda y: inner.update(inner.value + y * x), jnp.arange(3.0))

        def down():
            neg.value -= x

        bm.cond(x > 0, up, down)
        return pos.value + neg.value

    def run(xs):
        ys = bm.for_loop(step, xs)
        z = bm.cond(ys[-1] > 0, lambda: bm.for_loop(lambda y: pos.update(pos.value * 2), xs), lambda: None)
        return ys, z

    ys, _ = (bm.jit(run) if jitted else run)(XS)

    def ref_step(state, x):
        pos, neg, inner = state
        pos, inner = lax.cond(x > 0, lambda: (pos + x, inner + 3.0 * x), lambda: (pos, inner))
        neg = lax.cond(x > 0, lambda: neg, lambda: neg - x)
        return (pos, neg, inner), pos + neg

    (p, n, i), ys_ref = lax.scan(ref_step, (0.0, 0.0, 0.0), XS)
    p = lax.cond(ys_ref[-1] > 0, lambda: p * 2 ** len(XS), lambda: p)
    assert_close(ys, ys_ref)
    assert_close(pos.value, p)
    assert_close(neg.value, n)
    assert_close(inner.value, i)


def test_while_loop_and_switch_inside_for_loop():
    count = bm.Variable(jnp.zeros((), jnp.int32))
    mode = bm.Variable(jnp.zeros(3))

    def step(i):
        def body(k):
            count.value += 1
            return k + 1

        bm.while_loop(body, lambda k: k < i, 0)
        bm.switch(i % 3, [lambda j=j: mode.update(mode.value.at[j].add(1.0)) for j in range(3)])
        return count.value

    out = bm.for_loop(step, jnp.arange(5))
    assert list(np.asarray(out)) == [0, 1, 3, 6, 10]
    assert_close(mode.value, jnp.array([2.0, 2.0, 1.0]))


# -- misuse: clear errors, nothing changed ------------------------------------------------

def test_misuse_errors_name_the_value_and_change_nothing():
    a, b = Cell(), Cell()
    before = a.steps.value
    with pytest.raises(bm.MathError, match=r"bm.cond: `pred` must be a scalar.*\(2,\)"):
        bm.cond(jnp.array([True, False]), lambda: a(1.0), lambda: 0.0)
    with pytest.raises(bm.MathError, match=r"bm.switch: `index` must be a scalar"):
        bm.switch(jnp.array([0, 1]), [lambda: a(1.0)])
    with pytest.raises(bm.MathError, match=r"bm.ifelse: `conditions\[1\]` must be a scalar"):
        bm.ifelse([True, jnp.ones(3) > 0], [lambda: 0.0, lambda: 1.0])
    with pytest.raises(bm.MathError, match=r"pair \(carry, y\).*shape \(\)"):
        bm.scan(lambda c, x: a(x), 0.0, XS)
    with pytest.raises(bm.MathError, match="put Cell.* where the operands had Cell"):
        bm.while_loop(lambda c, k: (b, k + a(1.0)), lambda c, k: k < 3, (a, 0.0))
    with pytest.raises(bm.MathError, match="returned the object"):
        bm.cond(True, lambda: a, lambda: b)
    with pytest.raises(bm.MathError, match="cannot create a Variable"):
        bm.for_loop(lambda x: bm.Variable(x), XS)
    with pytest.raises(bm.MathError, match="decay"):
        bm.for_loop(lambda x: setattr(a, "decay", x), XS)
    assert a.decay == 0.5
    assert a.steps.value is before
    assert_no_tracers(a.h, a.steps, b.h, b.steps)


def test_exception_in_while_cond_leaves_state_unchanged():
    cell = Cell()
    before = cell.h.value

    def bad_cond(x):
        if cell.steps.value is not None:  # reached after the body wrote, while tracing
            raise ValueError("boom in cond")
        return x < 3

    with pytest.raises(ValueError, match="boom in cond"):
        bm.while_loop(lambda x: (cell(1.0), x + 1)[1], bad_cond, 0)
    assert cell.h.value is before
    assert_no_tracers(cell.h, cell.steps)


def test_one_body_many_objects_as_operands():
    """The eager cache compiles per structure, but each call updates its own object."""
    traces = [0]

    def body(c, x):
        traces[0] += 1
        return c(x)

    cells = [Cell() for _ in range(3)]
    outs = [bm.for_loop(body, (c, XS)) for c in cells]
    first = traces[0]
    outs += [bm.for_loop(body, (c, XS)) for c in cells]
    assert traces[0] == first  # no retrace for same-structure objects
    ref = Cell()
    expected = [bm.for_loop(ref, XS, jit=False) for _ in range(2)]
    for i, c in enumerate(cells):
        assert_close(outs[i], expected[0])
        assert_close(outs[3 + i], expected[1])
        assert_close(c.h.value, ref.h.value)
        assert int(c.steps.value) == 2 * len(XS)


@pytest.mark.parametrize("where", ["for_loop", "jit_for_loop", "cond", "while_loop"])
def test_host_callbacks_in_the_body_run_once_per_step(where):
    """Only the final, complete trace enters the program: effects are not doubled."""
    calls = []
    total = bm.Variable(jnp.zeros(()))

    def body(x):
        jax.debug.callback(lambda v: calls.append(float(v)), x, ordered=True)
        total.value = total.value + x
        return x

    xs = jnp.arange(1.0, 6.0)
    if where == "for_loop":
        bm.for_loop(body, xs)
        expected = list(np.asarray(xs))
    elif where == "jit_for_loop":
        bm.jit(lambda xs: bm.for_loop(body, xs))(xs)
        expected = list(np.asarray(xs))
    elif where == "cond":
        bm.cond(True, body, lambda x: x, 2.0)
        expected = [2.0]
    else:
        bm.while_loop(lambda x: body(x) + 1.0, lambda x: x < 4.0, 1.0)
        expected = [1.0, 2.0, 3.0]
    jax.effects_barrier()
    assert calls == expected
    assert_close(total.value, sum(expected))


def test_eager_loop_cache_keeps_no_model_and_no_body_alive():
    import gc
    import weakref

    from brainobj.math import _eager_cache

    class Model(bp.BrainPyObject):
        def __init__(self):
            self.v = bm.Variable(jnp.zeros(3))

        def step(self, x):
            self.v.value = self.v + x
            return x

        def keep_going(self, x):
            return x < 3

    refs = []
    for _ in range(20):
        model = Model()
        bm.for_loop(model.step, jnp.ones((4, 3)))
        bm.while_loop(lambda x: x + 1, model.keep_going, 0.0)
        np.testing.assert_allclose(model.v.value, 4.0)
        refs.append(weakref.ref(model))
        del model
    gc.collect()
    assert not any(r() is not None for r in refs)

    total = bm.Variable(jnp.zeros(()))
    before = len(_eager_cache.EAGER_CACHE)
    for _ in range(20):          # a fresh body function on every call
        def body(x):
            total.value = total + x
            return x

        bm.for_loop(body, jnp.ones(2))
    del body
    gc.collect()
    assert len(_eager_cache.EAGER_CACHE) <= before
    assert float(total.value) == 40.0


def test_eager_loop_over_one_method_compiles_once():
    traces = []

    class Model(bp.BrainPyObject):
        def __init__(self):
            self.v = bm.Variable(jnp.zeros(()))

        def step(self, x):
            traces.append(1)
            self.v.value = self.v + x
            return x

    model = Model()
    bm.for_loop(model.step, jnp.ones(5))
    first = len(traces)
    for _ in range(5):
        bm.for_loop(model.step, jnp.ones(5))
    assert len(traces) == first and float(model.v.value) == 30.0


def test_eager_branches_compile_once_and_keep_no_model_alive():
    import gc
    import weakref

    traces = []

    class Gate(bp.BrainPyObject):
        def __init__(self):
            self.opened = bm.Variable(jnp.zeros((), jnp.int32))

        def open(self, x):
            traces.append(1)
            self.opened.value = self.opened + 1
            return x

        def shut(self, x):
            traces.append(1)
            return -x

    gate = Gate()
    outs = [float(bm.cond(i % 3 == 0, gate.open, gate.shut, 2.0)) for i in range(9)]
    assert outs == [2.0 if i % 3 == 0 else -2.0 for i in range(9)]
    assert int(gate.opened.value) == 3
    first = len(traces)
    for i in range(6):
        bm.switch(i % 2, [gate.shut, gate.open], 1.0)
        bm.cond(i % 2 == 0, gate.open, gate.shut, 1.0)
    assert int(gate.opened.value) == 3 + 3 + 3
    # the cond pair was compiled during the first loop; the switch pair once more
    assert len(traces) <= 2 * first

    refs = []
    for _ in range(10):
        other = Gate()
        bm.cond(True, other.open, other.shut, 1.0)
        refs.append(weakref.ref(other))
        del other
    gc.collect()
    assert not any(r() is not None for r in refs)
