"""Bad input in object graphs (issue 9): sets of state, ``__slots__``, colliding names.

Three things an object graph can hold that ``vars()`` and checkpoints could not
name, and how each is handled:

* a ``set``/``frozenset`` holding Variables or objects: refused when it is
  stored (attribute, nested container, item of a stored container), naming
  the object, the attribute and the place in it; sets of plain values stay;
* Variables in ``__slots__``: attributes like the others for ``vars()``,
  ``bm.jit``, ``bm.grad``, pytrees, copies and ``bp.save``/``bp.load``;
* keys that used to give two Variables one name: parts are written with
  ``%``, ``.`` (and in absolute keys ``-``) percent-encoded, so the names are
  distinct and round-trip; two keys of one dict with the same text (``0`` and
  ``'0'``) are refused when stored; two objects with one name (a ``tree_map``
  copy next to its original) get distinct names once stored, or a clear
  error.

The refusal table runs through ``assert_refused``: the error names the
culprit, and every Variable, the random key and the files are unchanged.
"""
from __future__ import annotations

import copy
import pickle
import urllib.parse
from collections import deque

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import brainobj as bp
import brainobj.math as bm
from brainobj.math._graph import INTERNAL_ATTRS
from _helpers import assert_close, assert_no_tracers, assert_refused, assert_same_state, state_of

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def var(x=0.0, shape=(2,)):
    return bm.Variable(jnp.full(shape, x, jnp.float32))


class Holder(bp.BrainPyObject):
    def __init__(self):
        self.w = var(1.0)
        self.lin = bp.Linear(2, 2)
        self.group = {1, 2}
        self.items = [var(2.0)]
        self.table = {0: var(3.0), "a": var(4.0), "cfg": 3, "9": var(5.0)}
        self.static_twins = {5: "x", "5": var(6.0)}  # keys that read the same, one without state: fine


class Box(bp.BrainPyObject):
    pass


# -- refusals ---------------------------------------------------------------------------------

def _set(attr, make):
    def act(h, _):
        setattr(h, attr, make(h))
    return act


def _call(fun):
    def act(h, _):
        fun(h)
    return act


def _slots_class(slots):
    def act(h, _):
        type("BadSlots", (bp.BrainPyObject,), {"__slots__": slots})
    return act


def _temporary_in_jit(h, _):
    def step(h):
        box = Box()  # created inside the trace: may change freely, but not hold a set of state
        box.group = {h.w}
        h.w.value = h.w + 1.0
    bm.jit(step)(h)


def _attribute_in_jit(h, _):
    bm.jit(lambda h: setattr(h, "group", {h.w}))(h)


def _tied_copy_vars(h, _):
    class Tied(bp.BrainPyObject):
        def __init__(self):
            self.enc = h.lin
            self.dec = h.lin  # one layer reached twice: a pytree copy holds two copies of it
    jax.tree.map(lambda x: x, Tied()).vars()


_SET_MSG = r"a set cannot hold Variables \(they have no stable name\); use a list or dict"
_OBJ_MSG = r"a set cannot hold objects \(they have no stable name\); use a list or dict"

CASES = [
    # -- sets holding state ---------------------------------------------------------------------
    ("set of Variables", _set("group", lambda h: {h.w}), bm.MathError,
     r"Holder\d+\.group: " + _SET_MSG),
    ("set of new Variables", _set("group", lambda h: {var(), var()}), bm.MathError,
     r"Holder\d+\.group: " + _SET_MSG),
    ("frozenset of Variables", _set("group", lambda h: frozenset([h.w])), bm.MathError,
     r"Holder\d+\.group: " + _SET_MSG),
    ("set of objects", _set("group", lambda h: {h.lin}), bm.MathError,
     r"Holder\d+\.group: " + _OBJ_MSG + r" \(found the object Linear\d+\)"),
    ("set of tuples of Variables", _set("group", lambda h: {(h.w, 1)}), bm.MathError,
     r"Holder\d+\.group: " + _SET_MSG + r" \(found a tuple holding state\)"),
    ("set replacing a list", _set("items", lambda h: {h.items[0]}), bm.MathError,
     r"Holder\d+\.items: " + _SET_MSG),
    ("set nested in a list", _set("more", lambda h: [1, {h.w}]), bm.MathError,
     r"Holder\d+\.more\[1\]: " + _SET_MSG),
    ("set nested in a dict", _set("cfg", lambda h: {"a": {"b": frozenset([h.w])}}), bm.MathError,
     r"Holder\d+\.cfg\['a'\]\['b'\]: " + _SET_MSG),
    ("set nested in a tuple", _set("group", lambda h: (1, ({h.lin},))), bm.MathError,
     r"Holder\d+\.group\[1\]\[0\]: " + _OBJ_MSG),
    ("set appended to a stored list", _call(lambda h: h.items.append({h.w})), bm.MathError,
     r"Holder\d+\.items\[1\]: " + _SET_MSG),
    ("set in a stored list's extend", _call(lambda h: h.items.extend([var(), {h.w}])), bm.MathError,
     r"Holder\d+\.items\[2\]: " + _SET_MSG),
    ("set inserted in a stored list", _call(lambda h: h.items.insert(0, [{h.w}])), bm.MathError,
     r"Holder\d+\.items\[0\]\[0\]: " + _SET_MSG),
    ("set put in a stored dict", _call(lambda h: h.table.__setitem__("s", {h.lin})), bm.MathError,
     r"Holder\d+\.table\['s'\]: " + _OBJ_MSG),
    ("set in a stored dict's update", _call(lambda h: h.table.update(x=var(), s={h.w})),
     bm.MathError, r"Holder\d+\.table\['s'\]: " + _SET_MSG),
    ("set on an object made in jit", _temporary_in_jit, bm.MathError,
     r"Box\d+\.group: " + _SET_MSG),
    ("set assigned in jit", _attribute_in_jit, bm.MathError,
     r"Holder\d+\.group: cannot assign a non-Variable value \(set\) inside"),
    # -- dict keys that read the same --------------------------------------------------------------
    ("keys 0 and '0'", _set("d", lambda h: {0: var(), "0": var()}), bm.MathError,
     r"Holder\d+\.d: keys 0 and '0' would both be named '0' in vars\(\) and checkpoints"),
    ("keys True and 'True'", _set("d", lambda h: {True: var(), "True": var()}), bm.MathError,
     r"Holder\d+\.d: keys True and 'True' would both be named 'True'"),
    ("keys 1.5 and '1.5'", _set("d", lambda h: {"1.5": var(), 1.5: var()}), bm.MathError,
     r"Holder\d+\.d: keys '1\.5' and 1\.5 would both be named '1\.5'"),
    ("keys None and 'None'", _set("d", lambda h: {None: h.lin, "None": var()}), bm.MathError,
     r"Holder\d+\.d: keys None and 'None'"),
    ("tuple key and its text", _set("d", lambda h: {(1, 2): var(), "(1, 2)": var()}), bm.MathError,
     r"Holder\d+\.d: keys \(1, 2\) and '\(1, 2\)'"),
    ("twin keys holding containers", _set("d", lambda h: {0: [var()], "0": []}), bm.MathError,
     r"Holder\d+\.d: keys 0 and '0'"),
    ("twin keys nested in a list", _set("more", lambda h: [{1: var(), "1": [var()]}]), bm.MathError,
     r"Holder\d+\.more\[0\]: keys 1 and '1'"),
    ("twin key set later", _call(lambda h: h.table.__setitem__("0", var())), bm.MathError,
     r"Holder\d+\.table: keys 0 and '0'"),
    ("twin key by update", _call(lambda h: h.table.update({"new": var(), "0": [var()]})),
     bm.MathError, r"Holder\d+\.table: keys 0 and '0'"),
    ("twin key by setdefault", _call(lambda h: h.table.setdefault("0", var())), bm.MathError,
     r"Holder\d+\.table: keys 0 and '0'"),
    ("int twin of a str key", _call(lambda h: h.table.__setitem__(9, [var()])), bm.MathError,
     r"Holder\d+\.table: keys '9' and 9"),
    ("static twin becomes state", _call(lambda h: h.static_twins.__setitem__(5, var())),
     bm.MathError, r"Holder\d+\.static_twins: keys '5' and 5"),
    ("VarDict with twin keys", _call(lambda h: bm.VarDict({0: var(), "0": var()})), bm.MathError,
     r"a VarDict: keys 0 and '0'"),
    ("NodeDict with twin keys", _call(lambda h: bm.NodeDict({2: h.lin, "2": Box()})),
     bm.MathError, r"a NodeDict: keys 2 and '2'"),
    # -- slots that would hide brainobj's bookkeeping ----------------------------------------------
    ("slot named name", _slots_class(("w", "name")), bm.MathError,
     r"BadSlots: __slots__ cannot declare \['name'\]"),
    ("slot named _stamp", _slots_class("_stamp"), bm.MathError,
     r"BadSlots: __slots__ cannot declare \['_stamp'\]"),
    # -- two objects with one name: a clear error, not a bare KeyError -----------------------------
    ("tree_map copy with a shared layer", _tied_copy_vars, bm.MathError,
     r"Tied\d+\.enc and Tied\d+\.dec are different objects that would both be keyed "
     r"'Linear\d+'.*copy made by a JAX pytree function"),
]


@pytest.mark.parametrize("name, act, error, pattern", CASES, ids=[c[0] for c in CASES])
def test_bad_graph_input_is_refused_and_changes_nothing(name, act, error, pattern, tmp_path):
    h = Holder()
    bp.save(tmp_path / "ok.npz", h)
    before_attrs = {k: v for k, v in vars(h).items()}
    before_tables = dict(h.table), list(h.items), dict(h.static_twins)
    assert_refused(lambda: act(h, str(tmp_path)), error, pattern, [h], tmp_path)
    # the attributes and stored containers are the very same as before
    assert vars(h).keys() == before_attrs.keys()
    assert all(vars(h)[k] is v for k, v in before_attrs.items())
    assert (dict(h.table), list(h.items), dict(h.static_twins)) == before_tables
    assert h.group == {1, 2}
    assert len(h.vars()) == len(state_of(h))  # absolute keys are still distinct


# -- sets of plain values stay allowed ----------------------------------------------------------

@given(st.sets(st.one_of(st.integers(-5, 5), st.text(max_size=3), st.tuples(st.integers(), st.text(max_size=2)))),
       st.booleans())
@SETTINGS
def test_sets_of_plain_values_are_kept_as_they_are(values, frozen):
    value = frozenset(values) if frozen else set(values)
    h = Holder()
    names = list(h.vars(method="relative"))
    h.labels = value
    h.nested = [value, {"s": value}]
    assert h.labels is value and h.nested[0] is value and h.nested[1]["s"] is value
    assert list(h.vars(method="relative")) == names

    def read(h):
        return h.w * len(h.labels)

    assert_close(bm.jit(read)(h), h.w.value * len(value))


# -- __slots__ ---------------------------------------------------------------------------------

class SlotLeaf(bp.BrainPyObject):
    __slots__ = ("w", "n", "extra")

    def __init__(self, x=1.0):
        self.w = bm.TrainVar(jnp.full(2, x, jnp.float32))
        self.n = bm.Variable(jnp.zeros((), jnp.int32))


class SlotMixin:
    """A plain mixin with slots, one of them name-mangled."""
    __slots__ = ("m", "__hidden")

    def set_hidden(self, value):
        self.__hidden = value

    def hidden(self):
        return self.__hidden


class SlotNet(SlotMixin, bp.BrainPyObject):
    __slots__ = ("leaf",)

    def __init__(self, x=1.0):
        self.head = bm.TrainVar(jnp.full(3, x, jnp.float32))   # in __dict__
        self.leaf = SlotLeaf(x + 1.0)
        self.m = [bm.Variable(jnp.full((), x, jnp.float32))]
        self.set_hidden(bm.Variable(jnp.arange(2.0) + x))


def test_slots_are_attributes_for_vars_and_nodes():
    net = SlotNet()
    rel = net.vars(method="relative")
    expected = {"head": net.head, "m.0": net.m[0], "_SlotMixin__hidden": net.hidden(),
                "leaf.w": net.leaf.w, "leaf.n": net.leaf.n}
    # __dict__ attributes first, then slots from the base class down; children after
    assert list(rel) == list(expected)
    assert all(rel[k] is v for k, v in expected.items())
    assert list(net.nodes(method="relative")) == ["", "leaf"]
    assert list(net.train_vars(method="relative")) == ["head", "leaf.w"]
    absolute = net.vars()
    assert absolute[f"{net.leaf.name}.w"] is net.leaf.w
    assert absolute[f"{net.name}.m-0"] is net.m[0]
    assert net.leaf.w.label == f"{net.leaf.name}.w"
    assert net.nodes()[net.leaf.name] is net.leaf


def test_unset_slot_is_skipped():
    leaf = SlotLeaf()
    assert "extra" not in leaf.vars(method="relative")
    leaf.extra = var(5.0)
    assert leaf.vars(method="relative")["extra"] is leaf.extra
    del leaf.extra
    assert "extra" not in leaf.vars(method="relative")


def test_slot_writes_land_under_jit_for_each_instance():
    def step(net, x):
        net.leaf.n += 1
        net.leaf.w.value = net.leaf.w * x
        net.m[0].value = net.m[0] + net.hidden().sum()
        return (net.head * net.leaf.w.sum()).sum()

    jitted = bm.jit(step)
    nets = [SlotNet(1.0), SlotNet(3.0)]
    oracles = [SlotNet(1.0), SlotNet(3.0)]
    for x in (2.0, 0.5):
        for net, oracle in zip(nets, oracles):
            assert_close(jitted(net, x), step(oracle, x))
            assert_same_state(state_of(net), state_of(oracle))
    assert_no_tracers(*nets)


def test_slot_writes_land_under_cls_jit():
    class Counter(bp.BrainPyObject):
        __slots__ = ("count", "total")

        def __init__(self, start):
            self.count = bm.Variable(jnp.asarray(start, jnp.int32))
            self.total = bm.Variable(jnp.zeros((), jnp.float32))

        @bm.cls_jit
        def tick(self, x):
            self.count += 1
            self.total.value = self.total + x

    inputs = {0: [1.5], 10: [2.0, 0.25]}
    counters = {start: Counter(start) for start in inputs}
    for start, xs in inputs.items():
        for x in xs:
            counters[start].tick(x)
    for start, xs in inputs.items():  # each instance got its own ticks, none of the other's
        assert int(counters[start].count.value) == start + len(xs)
        assert_close(counters[start].total.value, np.float32(sum(xs)))


def test_slot_variables_are_differentiated_and_written_by_grad():
    net, oracle = SlotNet(0.5), SlotNet(0.5)

    def loss(net):
        net.leaf.n += 1
        return (net.leaf.w ** 2).sum() + (net.head * net.hidden()[0]).sum()

    grads = bm.grad(lambda: loss(net), grad_vars=net.train_vars(method="relative"))()
    w, head, hidden = oracle.leaf.w.value, oracle.head.value, oracle.hidden().value
    expected = jax.grad(lambda p: (p["leaf.w"] ** 2).sum() + (p["head"] * hidden[0]).sum())(
        {"leaf.w": w, "head": head})
    assert_close(dict(grads), expected)
    loss(oracle)
    assert_same_state(state_of(net), state_of(oracle))  # the write to the slot Variable landed


def test_slots_round_trip_through_pytrees_copies_and_checkpoints(tmp_path):
    net = SlotNet(2.0)
    before = state_of(net)
    doubled = jax.tree.map(lambda x: x * 2, net)
    assert type(doubled.leaf) is SlotLeaf
    assert_same_state(doubled, {k: v * 2 for k, v in before.items()})
    assert jax.tree.structure(doubled) == jax.tree.structure(net)
    for twin in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert twin.name != net.name and twin.leaf.w is not net.leaf.w
        assert_same_state(twin, before)
    path = tmp_path / "slots.npz"
    bp.save(path, net)
    assert sorted(np.load(path).files) == sorted(before)
    other = SlotNet(-1.0)
    bp.load(path, other)
    assert_same_state(other, before)


@st.composite
def slot_graphs(draw):
    """Objects of three classes (slots, no slots, both), attributes set in
    slots or in ``__dict__``, holding Variables, objects and containers."""
    n = draw(st.integers(1, 4))
    kinds = [draw(st.sampled_from(["slots", "plain", "both"])) for _ in range(n)]
    attrs = []
    for i in range(n):
        names = {"slots": ["s0", "s1"], "plain": ["p0", "p1"], "both": ["s0", "p0", "p1"]}[kinds[i]]
        chosen = draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
        items = []
        for name in chosen:
            kind = draw(st.sampled_from(["var", "int", "node", "list"] if i + 1 < n else ["var", "int", "list"]))
            payload = draw(st.integers(i + 1, n - 1)) if kind == "node" else draw(st.floats(-4, 4, width=32))
            items.append((name, kind, payload))
        attrs.append(items)
    return kinds, attrs


class GSlots(bp.BrainPyObject):
    __slots__ = ("s0", "s1")


class GPlain(bp.BrainPyObject):
    pass


class GBoth(bp.BrainPyObject):
    __slots__ = ("s0",)


def build_slot_graph(recipe):
    kinds, attrs = recipe
    classes = {"slots": GSlots, "plain": GPlain, "both": GBoth}
    nodes = [classes[k]() for k in kinds]
    for node, items in zip(nodes, attrs):
        for name, kind, payload in items:
            if kind == "var":
                value = bm.TrainVar(jnp.full(2, payload, jnp.float32))
            elif kind == "int":
                value = bm.Variable(jnp.asarray(int(payload), jnp.int32))
            elif kind == "node":
                value = nodes[payload]
            else:
                value = [bm.Variable(jnp.full((), payload, jnp.float32)), {"k": bm.TrainVar(jnp.ones(1) * payload)}]
            setattr(node, name, value)
    return nodes[0]


def reference_variables(root):
    """Every Variable reachable, reading ``__dict__`` and slots directly."""
    found, seen, todo = {}, set(), [root]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        values = [v for _, v in _own_items(node)]
        while values:
            value = values.pop()
            if isinstance(value, bm.Variable):
                found[id(value)] = value
            elif isinstance(value, bp.BrainPyObject):
                todo.append(value)
            elif isinstance(value, dict):
                values.extend(value.values())
            elif isinstance(value, (list, tuple)):
                values.extend(value)
    return found


def resolve(root, key):
    """Follow a relative key (parts percent-decoded) to what it names."""
    cur = root
    for part in key.split("."):
        part = "" if part == "%" else urllib.parse.unquote(part)
        if isinstance(cur, bp.BrainPyObject):
            cur = getattr(cur, part)
        elif isinstance(cur, dict):
            matches = [k for k in cur if (k if isinstance(k, str) else str(k)) == part]
            assert len(matches) == 1, (key, part, list(cur))
            cur = cur[matches[0]]
        else:
            cur = cur[int(part)]
    return cur


@given(slot_graphs())
@SETTINGS
def test_random_slot_graphs_round_trip(recipe):
    root = build_slot_graph(recipe)
    expected = reference_variables(root)
    rel = root.vars(method="relative")
    assert {id(v) for v in rel.values()} == set(expected)
    assert len(rel) == len(expected)
    for key, v in rel.items():
        assert resolve(root, key) is v
    assert {id(v) for v in root.vars().values()} == set(expected)
    # jit writes every Variable; the oracle is the same step run eagerly on a rebuilt twin
    def step(m):
        for v in m.vars().values():
            v.value = v.value + jnp.ones_like(v.value)

    twin = build_slot_graph(recipe)
    bm.jit(step)(root)
    step(twin)
    assert_same_state(root, twin)
    # checkpoints: save, scramble, load gives the saved values back
    before = state_of(root)
    for v in root.vars().values():
        v.value = v.value * 3 - 1
    root.load_state_dict({k: v for k, v in before.items()})
    assert_same_state(root, before)
    assert_no_tracers(root)


# -- names: distinct, stable, round-tripping ----------------------------------------------------

class KeyHolder(bp.BrainPyObject):
    def __init__(self, d, attrs=()):
        self.d = d
        for name, value in attrs:
            setattr(self, name, value)


def test_keys_with_separators_get_distinct_encoded_names(tmp_path):
    v = {k: var(i) for i, k in enumerate(["dot", "nested", "dash", "dashnested", "pct", "empty", "tuple", "neg", "float", "attr", "attrnested"])}
    h = KeyHolder({"a.b": v["dot"], "a": {"b": v["nested"]}, "x-y": v["dash"], "x": {"y": v["dashnested"]},
                   "1%2E5": v["pct"], "": v["empty"], (1, "a.b"): v["tuple"], -1: v["neg"], 1.5: v["float"]},
                  attrs=[("d.a", v["attr"])])
    rel = h.vars(method="relative")
    assert rel["d.a%2Eb"] is v["dot"] and rel["d.a.b"] is v["nested"]
    assert rel["d.x-y"] is v["dash"] and rel["d.x.y"] is v["dashnested"]   # '-' unchanged in relative
    assert rel["d.1%252E5"] is v["pct"] and rel["d.1%2E5"] is v["float"]
    assert rel["d.%"] is v["empty"] and rel["d.-1"] is v["neg"]
    assert rel["d%2Ea"] is v["attr"]
    assert len(rel) == len(v) - 1 and len({id(x) for x in rel.values()}) == len(rel)
    for key, x in rel.items():
        assert resolve(h, key) is x
    absolute = h.vars()
    assert len(absolute) == len(rel)
    assert absolute[f"{h.name}.d-x%2Dy"] is v["dash"] and absolute[f"{h.name}.d-x-y"] is v["dashnested"]
    assert absolute[f"{h.name}.d-%2D1"] is v["neg"]
    assert v["dot"].label == f"{h.name}.d-a%2Eb"
    # checkpoints keep them apart
    path = tmp_path / "keys.npz"
    bp.save(path, h)
    values = state_of(h)
    for x in rel.values():
        x.value = x.value + 10
    bp.load(path, h)
    assert_same_state(h, values)


_TRICKY_TEXT = st.text(alphabet=st.sampled_from(["a", "b", ".", "-", "%", "1", "2", "E", "5"]), max_size=4)
_TRICKY_KEYS = st.one_of(_TRICKY_TEXT, st.integers(-3, 12), st.sampled_from([1.5, None, True, (1, "a.b")]))


@st.composite
def tricky_trees(draw, depth=0):
    keys = draw(st.lists(_TRICKY_KEYS, max_size=4, unique_by=lambda k: (type(k) is bool, k)))
    tree = {}
    for key in keys:
        if depth < 2 and draw(st.booleans()):
            tree[key] = draw(tricky_trees(depth + 1))
        else:
            tree[key] = bm.Variable(jnp.full((), draw(st.integers(-50, 50)), jnp.float32))
    return tree


def _variables_in(tree):
    if isinstance(tree, bm.Variable):
        return [tree]
    return [x for v in tree.values() for x in _variables_in(v)]


def _has_twins(tree):
    texts = [k if isinstance(k, str) else str(k) for k in tree]
    return len(texts) != len(set(texts)) or any(_has_twins(v) for v in tree.values() if isinstance(v, dict))


@given(tricky_trees())
@SETTINGS
def test_tricky_keys_are_distinct_and_round_trip_or_refused(tree):
    if _has_twins(tree):
        h = KeyHolder({})
        before = state_of(h)
        with pytest.raises(bm.MathError, match=r"KeyHolder\d+\.d.*: keys .* would both be named"):
            h.d = tree
        assert dict(h.d) == {} and state_of(h).keys() == before.keys()
        return
    h = KeyHolder(tree)
    leaves = _variables_in(tree)
    for method in ("relative", "absolute"):
        got = h.vars(method=method)
        assert len(got) == len(leaves) and {id(x) for x in got.values()} == {id(x) for x in leaves}
    for key, x in h.vars(method="relative").items():
        assert resolve(h, key) is x
    saved = h.state_dict()
    for x in h.vars().values():
        x.value = x.value - 100
    h.load_state_dict(saved)
    assert_same_state(h, saved)


# -- ordinary names are unchanged -------------------------------------------------------------

def _own_items(node):
    """An object's attributes: ``__dict__`` (bookkeeping left out), then slots."""
    items = [(k, v) for k, v in vars(node).items() if k not in INTERNAL_ATTRS]
    for klass in reversed(type(node).__mro__):
        slots = klass.__dict__.get("__slots__", ())
        for slot in (slots,) if isinstance(slots, str) else slots:
            if slot.startswith("__") and not slot.endswith("__"):
                slot = f"_{klass.__name__.lstrip('_')}{slot}"
            if slot not in ("__dict__", "__weakref__") and hasattr(node, slot):
                items.append((slot, getattr(node, slot)))
    return items


def named_before_encoding(root, method):
    """``[(key, Variable)]`` by the naming rule of earlier versions (parts
    joined as their ``str``) on the same breadth-first walk, references
    last: the oracle for the names of ordinary models."""
    relative = method == "relative"
    out, seen_vars, seen_nodes = [], set(), {id(root)}
    queue, deferred = deque([(root, "")]), deque()

    def visit(node, prefix, attr, value, path=()):
        parts = [attr] + [str(k) for k in path]
        if isinstance(value, bm.Variable):
            if id(value) not in seen_vars:
                seen_vars.add(id(value))
                key = (".".join([prefix] + parts if prefix else parts) if relative
                       else f"{node.name}.{'-'.join(parts)}")
                out.append((key, value))
        elif isinstance(value, bp.BrainPyObject):
            if id(value) not in seen_nodes:
                seen_nodes.add(id(value))
                queue.append((value, ".".join([prefix] + parts if prefix else parts)))
        elif isinstance(value, dict):
            for k, v in value.items():
                visit(node, prefix, attr, v, path + (k,))
        elif isinstance(value, (list, tuple)):
            for k, v in enumerate(value):
                visit(node, prefix, attr, v, path + (k,))

    while queue or deferred:
        if not queue:
            visit(*deferred.popleft())
            continue
        node, prefix = queue.popleft()
        refs = getattr(type(node), "_references", frozenset())
        for attr, value in _own_items(node):
            if attr in refs:
                deferred.append((node, prefix, attr, value))
            else:
                visit(node, prefix, attr, value)
    return out


def names_before_encoding(root, method):
    return [key for key, _ in named_before_encoding(root, method)]


def _standard_models():
    net = bp.Sequential(bp.Linear(3, 4), bp.BatchNorm1d(4), bm.relu, bp.Dropout(0.1), bp.Linear(4, 2))
    opt = bp.optim.Adam(1e-3, train_vars=net.train_vars())

    class Trainer(bp.BrainPyObject):
        def __init__(self):
            self.net = net
            self.opt = opt
            self.heads = {"cls": bp.Linear(2, 3), "reg": bp.Linear(2, 1)}
            self.buffers = bm.VarList([var(0.0), var(1.0)])
            self.conv = [bp.Conv2d(1, 2, 3), (bp.Embedding(5, 2), bp.LayerNorm(2))]
            self.by_id = {0: var(2.0), 1: {"b": var(3.0)}}

    return [net, Trainer(), bp.Linear(2, 2)]


@pytest.mark.parametrize("method", ["relative", "absolute"])
def test_standard_models_keep_their_names(method):
    for model in _standard_models():
        expected = named_before_encoding(model, method)
        got = model.vars(method=method)
        assert list(got) == [key for key, _ in expected]
        assert all(got[key] is v for key, v in expected)
    trainer = _standard_models()[1]
    assert list(trainer.state_dict()) == names_before_encoding(trainer, "relative")


def test_optimizer_references_keyed_by_dotted_names_are_encoded():
    net = bp.Sequential(bp.Linear(2, 3), bp.Linear(3, 1))
    opt = bp.optim.SGD(0.1, train_vars=net.train_vars())
    rel = opt.vars(method="relative")
    referenced = {k: v for k, v in rel.items() if k.startswith("vars_to_train.")}
    assert len(referenced) == 4
    for key, v in referenced.items():  # 'vars_to_train.Linear0%2EW': the dict key 'Linear0.W'
        assert opt.vars_to_train[urllib.parse.unquote(key.split(".", 1)[1])] is v
    assert not any(k.startswith("vars_to_train") for k in opt.state_dict())


_ORDINARY_KEYS = st.one_of(st.sampled_from(["a", "b_1", "conv-1", "W", "layer"]), st.integers(0, 20))


@st.composite
def ordinary_trees(draw, depth=0):
    keys = draw(st.lists(_ORDINARY_KEYS, max_size=3, unique_by=lambda k: str(k)))
    tree = {}
    for key in keys:
        choice = draw(st.sampled_from(["var", "node", "list", "dict"] if depth < 2 else ["var", "node"]))
        if choice == "var":
            tree[key] = var(draw(st.integers(0, 9)))
        elif choice == "node":
            tree[key] = bp.Linear(1, draw(st.integers(1, 3)))
        elif choice == "list":
            tree[key] = [var(1.0), bp.Linear(1, 1)][: draw(st.integers(0, 2))]
        else:
            tree[key] = draw(ordinary_trees(depth + 1))
    return tree


@given(ordinary_trees())
@SETTINGS
def test_ordinary_random_graphs_keep_their_relative_names(tree):
    h = KeyHolder(tree, attrs=[("w", var(1.0))])
    assert list(h.vars(method="relative")) == names_before_encoding(h, "relative")
    assert list(h.state_dict()) == names_before_encoding(h, "relative")
    if not any("conv-1" in k for k in names_before_encoding(h, "relative")):
        assert list(h.vars()) == names_before_encoding(h, "absolute")


def test_checkpoint_written_with_plain_names_loads(tmp_path):
    model = _standard_models()[1]
    named = named_before_encoding(model, "relative")
    values = {key: np.asarray(v.value) + 1 for key, v in named}
    path = tmp_path / "plain.npz"
    np.savez(path, **values)
    bp.load(path, model)
    for key, v in named:
        np.testing.assert_array_equal(np.asarray(v.value), values[key])


# -- copies next to their originals -------------------------------------------------------------

class Agent(bp.BrainPyObject):
    def __init__(self):
        self.online = bp.Sequential(bp.Linear(2, 3), bp.Linear(3, 1))
        self.target = jax.tree.map(lambda x: x, self.online)


def test_a_stored_tree_map_copy_gets_names_of_its_own(tmp_path):
    agent = Agent()
    online_names = list(agent.online.vars())
    assert agent.target.name != agent.online.name
    assert list(agent.online.vars()) == online_names  # the original keeps its names
    absolute = agent.vars()
    assert len(absolute) == 8 and len({id(v) for v in absolute.values()}) == 8
    for layer in agent.target.layers:
        assert layer.W.label == f"{layer.name}.W"
    assert list(agent.nodes(method="relative")) == ["", "online", "target", "online.layers.0",
                                                    "online.layers.1", "target.layers.0",
                                                    "target.layers.1"]
    before = state_of(agent)
    bp.save(tmp_path / "agent.npz", agent)
    for v in agent.vars().values():
        v.value = v.value * 0
    bp.load(tmp_path / "agent.npz", agent)
    assert_same_state(agent, before)


def test_copies_put_in_a_stored_list_get_names_of_their_own():
    holder = KeyHolder({})
    holder.models = []
    model = bp.Linear(2, 2)
    holder.models.append(model)
    holder.models.append(jax.tree.map(lambda x: x, model))
    holder.models.extend([jax.tree.map(lambda x: x + 1, model)])
    holder.d["c"] = jax.tree.map(lambda x: x, model)
    names = [m.name for m in [*holder.models, holder.d["c"]]]
    assert len(set(names)) == 4 and names[0] == model.name
    assert len(holder.vars()) == 8


def test_an_unstored_copy_keeps_the_original_names():
    model = bp.Sequential(bp.Linear(2, 3), bp.Linear(3, 1))
    copy_ = jax.tree.map(lambda x: x, model)
    assert list(copy_.vars()) == list(model.vars())
    assert list(copy_.vars(method="relative")) == list(model.vars(method="relative"))


def test_pickling_after_jit_keeps_working():
    h = Holder()
    bm.jit(lambda h: h.w.update(h.w + 1))(h)
    back = pickle.loads(pickle.dumps(h))
    assert_same_state(back, h)
    bm.jit(lambda h: h.w.update(h.w + 1))(back)  # the copy plans on its own
    assert float(back.w.value[0]) == float(h.w.value[0]) + 1
