"""Property tests: bm.jit on random object graphs leaves the eager run's state."""

import copy

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import brainobj as bp
import brainobj.math as bm

from _helpers import assert_no_tracers, assert_same_state, state_of


class Node(bp.BrainPyObject):
    pass


DTYPES = [jnp.float32, jnp.int32, jnp.bool_]


@st.composite
def graphs(draw):
    """A root Node over random nodes, containers, shared Variables and cycles."""
    n_nodes = draw(st.integers(1, 5))
    nodes = [Node() for _ in range(n_nodes)]
    for i, node in enumerate(nodes):
        for k in range(draw(st.integers(0, 3))):
            dtype = draw(st.sampled_from(DTYPES))
            shape = draw(st.sampled_from([(), (2,), (3,)]))
            value = draw(st.integers(-3, 3))
            setattr(node, f"v{k}", bm.Variable(jnp.full(shape, value, dtype)))
    for i in range(1, n_nodes):
        parent = nodes[draw(st.integers(0, i - 1))]
        holder = draw(st.sampled_from(["attr", "list", "tuple", "dict", "nodelist"]))
        child = nodes[i]
        if holder == "attr":
            setattr(parent, f"c{i}", child)
        elif holder == "list":
            setattr(parent, f"c{i}", [child, 1])
        elif holder == "tuple":
            setattr(parent, f"c{i}", (child, "static"))
        elif holder == "dict":
            setattr(parent, f"c{i}", {"node": child, "k": 2})
        else:
            setattr(parent, f"c{i}", bm.NodeList([child]))
        if draw(st.booleans()):
            child.back = parent  # a cycle
    all_vars = [v for node in nodes for v in vars(node).values() if isinstance(v, bm.Variable)]
    if all_vars and draw(st.booleans()):
        # share a Variable through a second path
        shared = all_vars[draw(st.integers(0, len(all_vars) - 1))]
        nodes[draw(st.integers(0, n_nodes - 1))].shared = shared
    program = draw(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), max_size=8))
    return nodes[0], program


def run_program(root, program, x):
    """Read and write Variables of ``root`` following ``program``."""
    variables = list(root.vars().values())
    total = x
    for target, source in program:
        if not variables:
            break
        t = variables[target % len(variables)]
        s = variables[source % len(variables)]
        if t.dtype == jnp.bool_:
            t.value = jnp.logical_xor(t.value, jnp.any(s.value != 0))
        elif t.dtype == jnp.int32:
            t.value = t.value + jnp.sum(s.value).astype(jnp.int32) + 1
        else:
            t.value = t.value * 0.5 + jnp.sum(s.value).astype(jnp.float32) + x
        total = total + jnp.sum(t.value).astype(jnp.float32)
    return total


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.floats(-2, 2, width=32))
def test_jit_matches_eager_on_random_graphs(case, x):
    root, program = case
    clone = copy.deepcopy(root)
    compiled = bm.jit(run_program, static_argnums=1)
    for _ in range(2):
        expected = run_program(clone, program, jnp.float32(x))
        got = compiled(root, tuple(program), jnp.float32(x))
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    mine, theirs = root.vars(method="relative"), clone.vars(method="relative")
    assert list(mine) == list(theirs)
    assert_no_tracers(root)
    for key in mine:
        np.testing.assert_allclose(np.asarray(mine[key].value), np.asarray(theirs[key].value),
                                   rtol=1e-5, atol=1e-5, err_msg=key)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_failed_call_leaves_random_graphs_untouched(case):
    root, program = case
    before = state_of(root)

    def failing(r, x):
        run_program(r, program, x)
        raise KeyError("deliberate")

    try:
        bm.jit(failing)(root, jnp.float32(1.0))
    except KeyError:
        pass
    assert_no_tracers(root)
    assert_same_state(root, before)


EDITS = ["add_var", "static", "del_var", "replace_child", "append_var"]


def apply_edit(root, edit, k):
    """One structural change to the node at position ``edit[0]`` of ``root``'s walk."""
    nodes = list(root.nodes(method="relative").values())
    node = nodes[edit[0] % len(nodes)]
    kind = edit[1]
    own = [a for a, v in vars(node).items() if isinstance(v, bm.Variable)]
    if kind == "add_var":
        setattr(node, f"new{k}", bm.Variable(jnp.full((2,), float(k))))
    elif kind == "static":
        node.scale = float(k)  # a static value the program reads
    elif kind == "del_var" and own:
        delattr(node, own[0])
    elif kind == "replace_child":
        fresh = Node()
        fresh.w = bm.Variable(jnp.full((), float(k)))
        node.child = fresh
    elif kind == "append_var":
        holder = getattr(node, "bag", None)
        if holder is None:
            node.bag = [bm.Variable(jnp.zeros(()))]
        else:
            holder.append(bm.Variable(jnp.full((), float(k))))


def run_scaled(root, program, x):
    scale = sum(getattr(n, "scale", 1.0) for n in root.nodes().values())
    return run_program(root, program, x) * scale


@pytest.mark.filterwarnings("ignore::brainobj.math.RetraceWarning")
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.lists(st.tuples(st.integers(0, 9), st.sampled_from(EDITS)), max_size=5),
       st.floats(-2, 2, width=32))
def test_structural_edits_between_calls_are_seen(case, edits, x):
    """Edits between calls (new Variables, static values, replaced children, list
    appends, deletions) reach the compiled function exactly as the eager run sees them."""
    root, program = case
    clone = copy.deepcopy(root)
    compiled = bm.jit(run_scaled, static_argnums=1)
    x = jnp.float32(x)
    np.testing.assert_allclose(compiled(root, tuple(program), x), run_scaled(clone, program, x),
                               rtol=1e-5, atol=1e-5)
    for k, edit in enumerate(edits):
        apply_edit(root, edit, k)
        apply_edit(clone, edit, k)
        got = compiled(root, tuple(program), x)
        expected = run_scaled(clone, program, x)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
        assert_same_state(state_of(root), state_of(clone))
    assert_no_tracers(root)
