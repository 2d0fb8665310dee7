"""``ArrayCollector`` is a JAX pytree, as in BrainPy (issue #10).

BrainPy registers ``ArrayCollector`` (``TensorCollector``) as a pytree whose
children are its values under its keys, so ``bm.grad(loss,
grad_vars=net.train_vars())`` returns an ``ArrayCollector`` of gradients, a
collector can be returned from ``bm.jit`` and passed to ``jax.tree.map``.
The plain ``Collector`` (what ``nodes()`` returns) is a plain dict subclass
there, not a pytree: JAX sees it as one leaf. The oracles are ``jax.grad``
of the pure function and plain optax on plain dicts.
"""

import jax
import jax.numpy as jnp
import jax.tree_util as jtu
import optax
import pytest

import brainobj as bp
import brainobj.math as bm
from _helpers import assert_close, assert_no_tracers

X = jax.random.normal(jax.random.PRNGKey(3), (5, 3))
Y = jax.random.normal(jax.random.PRNGKey(4), (5, 2))


class Net(bp.BrainPyObject):
    def __init__(self):
        super().__init__()
        self.W = bm.TrainVar(jax.random.normal(jax.random.PRNGKey(0), (3, 2)))
        self.b = bm.TrainVar(jnp.zeros(2))
        self.count = bm.Variable(jnp.zeros((), jnp.int32))  # not differentiable
        self.seen = bm.Variable(jnp.zeros(3))                # plain state

    def __call__(self, x):
        self.seen.value = self.seen.value + jnp.sum(x, axis=0)
        return x @ self.W.value + self.b.value


def loss_pure(params, x, y):
    return jnp.mean((x @ params["W"] + params["b"] - y) ** 2)


# -- pytree structure ---------------------------------------------------------------


def test_tree_leaves_and_paths_of_vars_are_the_values_under_dict_keys():
    net = Net()
    c = net.vars(method="relative")
    assert type(c) is bm.ArrayCollector and bm.TensorCollector is bm.ArrayCollector
    leaves = jax.tree.leaves(c)
    assert [id(x) for x in leaves] == [id(v.value) for v in c.values()]
    paths = [path for path, _ in jtu.tree_flatten_with_path(c)[0]]
    # insertion order (not sorted as a dict's), a DictKey then the Variable's value
    assert [p[0] for p in paths] == [jtu.DictKey(k) for k in c]
    assert all(p[1] == jtu.GetAttrKey("value") for p in paths)
    assert [jtu.keystr(p) for p in paths] == [f"[{k!r}].value" for k in c]
    assert list(c) == ["W", "b", "count", "seen"]
    # flatten / unflatten round trip with the very Variables as children
    children, treedef = jtu.tree_flatten(c, is_leaf=lambda x: isinstance(x, bm.Variable))
    again = jtu.tree_unflatten(treedef, children)
    assert type(again) is bm.ArrayCollector and list(again) == list(c)
    assert all(again[k] is c[k] for k in c)


def test_tree_map_over_vars_gives_a_collector_of_new_variables_as_brainpy():
    net = Net()
    before = {k: v.value for k, v in net.vars().items()}
    doubled = jax.tree.map(lambda x: x * 2, net.vars())
    assert type(doubled) is bm.ArrayCollector and list(doubled) == list(before)
    for k, v in doubled.items():
        # a Variable is a pytree too: JAX rebuilds each as a new, free Variable
        assert isinstance(v, bm.Variable) and v is not net.vars()[k]
        assert_close(v.value, before[k] * 2)
    for k, v in net.vars().items():  # the model is untouched
        assert_close(v.value, before[k])
    # arrays: stop at the Variables (or use .dict())
    arrays = jax.tree.map(lambda v: v.value * 2, net.vars(),
                          is_leaf=lambda x: isinstance(x, bm.Variable))
    assert type(arrays) is bm.ArrayCollector
    assert all(isinstance(a, jax.Array) for a in arrays.values())
    assert_close(arrays.dict(), {k: x * 2 for k, x in before.items()})
    assert_close(arrays.data(), [x * 2 for x in before.values()])


def test_unflatten_accepts_any_children_and_keeps_keys_order():
    c = bm.ArrayCollector(z=bm.Variable(jnp.ones(2)), a=bm.Variable(jnp.zeros(3)))
    treedef = jtu.tree_structure(c, is_leaf=lambda x: isinstance(x, bm.Variable))
    rebuilt = treedef.unflatten([None, 1.5])
    assert type(rebuilt) is bm.ArrayCollector and rebuilt == {"z": None, "a": 1.5}
    assert list(rebuilt) == ["z", "a"]
    # through jax.jit: tracers inside, arrays out; a plain jax transform sees a pytree
    out = jax.jit(lambda d: jax.tree.map(lambda x: x + 1, d))(
        jax.tree.map(lambda v: v.value, c, is_leaf=lambda x: isinstance(x, bm.Variable)))
    assert type(out) is bm.ArrayCollector and list(out) == ["z", "a"]
    assert_close(out.dict(), {"z": jnp.full(2, 2.0), "a": jnp.ones(3)})
    # two collectors with the same keys have the same structure; other keys do not
    same = bm.ArrayCollector(z=bm.Variable(jnp.ones(2)), a=bm.Variable(jnp.zeros(3)))
    other = bm.ArrayCollector(a=bm.Variable(jnp.zeros(3)), z=bm.Variable(jnp.ones(2)))
    assert jtu.tree_structure(same) == jtu.tree_structure(c)
    assert jtu.tree_structure(other) != jtu.tree_structure(c)
    # still only Variables through c[k] = v, as BrainPy's
    with pytest.raises(TypeError):
        rebuilt["w"] = jnp.ones(2)


def test_plain_collector_from_nodes_is_one_leaf_as_in_brainpy():
    net = Net()
    nodes = net.nodes()
    assert type(nodes) is bm.Collector
    assert jax.tree.leaves(nodes) == [nodes]


# -- transforms -----------------------------------------------------------------------


def test_collector_argument_of_bm_jit_is_state_written_in_place():
    net = Net()

    @bm.jit
    def bump(c, x):
        c["seen"].value = c["seen"].value + x
        return c["W"].value.sum()

    for i in range(3):
        # a fresh collector each call: same keys, same compiled function
        out = bump(net.vars(method="relative"), jnp.ones(3))
        assert_close(out, net.W.value.sum())
    assert bump.cache_size == 1
    assert_close(net.seen.value, jnp.full(3, 3.0))
    assert_no_tracers(net, net.vars())


def test_bm_jit_returns_collectors():
    net = Net()

    @bm.jit
    def values():
        return jax.tree.map(lambda v: v.value * 2, net.vars(method="relative"),
                            is_leaf=lambda x: isinstance(x, bm.Variable))

    out = values()
    assert type(out) is bm.ArrayCollector and list(out) == ["W", "b", "count", "seen"]
    assert_close(out["W"], net.W.value * 2)
    assert_no_tracers(net, out)


@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_bm_grad_over_train_vars_returns_an_array_collector_equal_to_jax_grad(mode):
    net = Net()
    tv = net.train_vars(method="relative")
    params = {"W": net.W.value, "b": net.b.value}
    f = bm.grad(lambda x, y: jnp.mean((net(x) - y) ** 2), grad_vars=tv)
    if mode == "jit":
        f = bm.jit(f)
    grads = f(X, Y)
    assert type(grads) is bm.ArrayCollector and list(grads) == list(tv)
    expected = jax.grad(loss_pure)(params, X, Y)
    assert_close(dict(grads), expected)
    assert_close(net.seen.value, jnp.sum(X, axis=0))  # the write landed
    assert_no_tracers(net, grads)
    # the whole vars(): the integer Variable gets None, the state a gradient of 0
    all_grads = bm.grad(lambda x, y: jnp.mean((net(x) - y) ** 2),
                        grad_vars=net.vars(method="relative"))(X, Y)
    assert type(all_grads) is bm.ArrayCollector and all_grads["count"] is None
    assert_close(all_grads["W"], expected["W"])
    # jax.tree functions work on it: None is an empty subtree
    assert len(jax.tree.leaves(all_grads)) == 3


def test_plain_collector_grad_vars_still_give_a_plain_dict():
    net = Net()
    grads = bm.grad(lambda: jnp.sum(net(X) ** 2),
                    grad_vars=bm.Collector(W=net.W, b=net.b))()
    assert type(grads) is dict and list(grads) == ["W", "b"]


@pytest.mark.parametrize("mode", ["eager", "jit"])
@pytest.mark.parametrize("make,make_tx", [
    (bp.optim.SGD, optax.sgd),
    (bp.optim.Adam, optax.adam),
], ids=["SGD", "Adam"])
def test_optimizer_step_with_collector_gradients_matches_optax(make, make_tx, mode):
    net = Net()
    tv = net.train_vars(method="relative")
    opt = make(0.05, tv)
    f_grad = bm.grad(lambda x, y: jnp.mean((net(x) - y) ** 2), grad_vars=tv)

    def step(x, y):
        grads = f_grad(x, y)
        assert type(grads) is bm.ArrayCollector
        opt.update(grads)

    if mode == "jit":
        step = bm.jit(step)
    tx = make_tx(0.05)
    params = {"W": net.W.value, "b": net.b.value}
    state = tx.init(params)
    for _ in range(3):
        grads = jax.grad(loss_pure)(params, X, Y)
        updates, state = tx.update(grads, state, params)
        params = optax.apply_updates(params, updates)
        step(X, Y)
    assert_close(net.W.value, params["W"], rtol=1e-5, atol=1e-6)
    assert_close(net.b.value, params["b"], rtol=1e-5, atol=1e-6)
    assert_no_tracers(net, opt)


def test_optimizer_takes_a_collector_or_a_dict_alike():
    a, b = Net(), Net()
    opt_a = bp.optim.Adam(0.1, a.train_vars(method="relative"))
    opt_b = bp.optim.Adam(0.1, b.train_vars(method="relative"))
    g = bm.grad(lambda: jnp.sum(a(X) ** 2), grad_vars=a.train_vars(method="relative"))()
    opt_a.update(g)
    opt_b.update(dict(g))
    assert_close(a.W.value, b.W.value)
    assert_close([v.value for v in opt_a.opt_state], [v.value for v in opt_b.opt_state])


def test_jax_vmap_over_a_collector_of_arrays():
    c = bm.ArrayCollector(w=bm.Variable(jnp.ones(3)), b=bm.Variable(jnp.zeros(3)))
    batch = jax.tree.map(lambda v: jnp.stack([v.value, v.value + 1]), c,
                         is_leaf=lambda x: isinstance(x, bm.Variable))
    out = jax.vmap(lambda d: d["w"] * 2 + d["b"])(batch)
    assert_close(out, jnp.stack([jnp.full(3, 2.0), jnp.full(3, 5.0)]))
    out = bm.vmap(lambda d: d["w"] * 2 + d["b"])(batch)
    assert_close(out, jnp.stack([jnp.full(3, 2.0), jnp.full(3, 5.0)]))
    mapped = bm.vmap(lambda d: jax.tree.map(lambda x: x.sum(), d))(batch)
    assert type(mapped) is bm.ArrayCollector and list(mapped) == ["w", "b"]
    assert_close(mapped.dict(), {"w": jnp.array([3.0, 6.0]), "b": jnp.array([0.0, 3.0])})
