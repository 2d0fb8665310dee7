"""BrainPyObject: names, pytree behaviour, static/dynamic split, observed containers.

Names come from a global per-class-name counter, so every test uses class
names of its own and derives expected names from the first object created.
"""

import copy
import gc
import re

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.tree_util as jtu
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import brainobj as bp
import brainobj.math as bm
from brainobj.math._graph import INTERNAL_ATTRS
from brainobj.math._containers import ObservedDict, ObservedList

from _helpers import assert_same, structure_stamp


def number(obj, prefix):
    m = re.fullmatch(rf"{prefix}(\d+)", obj.name)
    assert m, obj.name
    return int(m.group(1))


# -- construction and names --------------------------------------------------------------

def test_subclass_without_super_init_works():
    class ObjNoSuper(bp.BrainPyObject):
        def __init__(self, n):
            self.n = n
            self.w = bm.Variable(jnp.zeros(n))

    a = ObjNoSuper(3)
    assert a.n == 3 and a.w.shape == (3,)
    assert a.name.startswith("ObjNoSuper")
    assert list(a.vars()) == [f"{a.name}.w"]
    assert jtu.tree_leaves(a)[0] is a.w.value


def test_subclass_without_init_at_all():
    class ObjNoInit(bp.BrainPyObject):
        pass

    o = ObjNoInit()
    o.x = bm.Variable(jnp.ones(1))
    assert o.vars()[f"{o.name}.x"] is o.x


def test_names_are_class_name_plus_consecutive_counter():
    class ObjCounted(bp.BrainPyObject):
        pass

    objs = [ObjCounted() for _ in range(4)]
    first = number(objs[0], "ObjCounted")
    assert [number(o, "ObjCounted") for o in objs] == list(range(first, first + 4))
    assert len({o.name for o in objs}) == 4


def test_counters_are_per_class_name():
    class ObjCountA(bp.BrainPyObject):
        pass

    class ObjCountB(bp.BrainPyObject):
        pass

    a0 = ObjCountA()
    b0 = ObjCountB()
    a1 = ObjCountA()
    b1 = ObjCountB()
    assert number(a1, "ObjCountA") == number(a0, "ObjCountA") + 1
    assert number(b1, "ObjCountB") == number(b0, "ObjCountB") + 1


def test_subclass_gets_its_own_class_name():
    class ObjBase(bp.BrainPyObject):
        def __init__(self):
            super().__init__()

    class ObjDerived(ObjBase):
        pass

    assert ObjDerived().name.startswith("ObjDerived")
    assert ObjBase().name.startswith("ObjBase")


def test_explicit_name_is_honoured_with_and_without_super_init():
    class ObjNamedSuper(bp.BrainPyObject):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.v = bm.Variable(jnp.zeros(1))

    class ObjNamedNoSuper(bp.BrainPyObject):
        def __init__(self, name=None):
            self.v = bm.Variable(jnp.zeros(1))

    a = ObjNamedSuper(name="obj_named_explicit_a")
    b = ObjNamedNoSuper(name="obj_named_explicit_b")
    assert a.name == "obj_named_explicit_a"
    assert b.name == "obj_named_explicit_b"
    assert list(a.vars()) == ["obj_named_explicit_a.v"]
    assert a.v.label == "obj_named_explicit_a.v"
    # positional name through super().__init__
    c = ObjNamedSuper("obj_named_explicit_c")
    assert c.name == "obj_named_explicit_c"


def test_duplicate_explicit_name_raises_while_the_holder_lives():
    class ObjDup(bp.BrainPyObject):
        def __init__(self, name=None):
            super().__init__(name=name)

    class ObjDupOther(bp.BrainPyObject):
        pass

    first = ObjDup(name="obj_dup_name")
    with pytest.raises(bm.MathError, match="obj_dup_name"):
        ObjDup(name="obj_dup_name")
    with pytest.raises(bm.MathError):
        ObjDupOther(name="obj_dup_name")  # names are unique across classes
    other = ObjDup()
    with pytest.raises(bm.MathError):
        other.name = "obj_dup_name"
    assert other.name != "obj_dup_name" and first.name == "obj_dup_name"
    del first
    gc.collect()
    again = ObjDup(name="obj_dup_name")  # freed once the holder is gone
    assert again.name == "obj_dup_name"


def test_bad_names_are_refused():
    class ObjBadName(bp.BrainPyObject):
        def __init__(self, name=None):
            super().__init__(name=name)

    o = ObjBadName()
    with pytest.raises(bm.MathError):
        o.name = ""
    with pytest.raises(bm.MathError):
        o.name = 3


def test_rename_frees_the_old_name():
    class ObjRename(bp.BrainPyObject):
        pass

    a = ObjRename(name="obj_rename_old")
    a.name = "obj_rename_new"
    assert a.name == "obj_rename_new"
    b = ObjRename(name="obj_rename_old")
    assert b.name == "obj_rename_old"
    with pytest.raises(bm.MathError):
        ObjRename(name="obj_rename_new")


def test_automatic_names_skip_names_taken_explicitly():
    class ObjSkip(bp.BrainPyObject):
        def __init__(self, name=None):
            super().__init__(name=name)

    a = ObjSkip()
    n = number(a, "ObjSkip")
    taken = ObjSkip(name=f"ObjSkip{n + 1}")
    c = ObjSkip()
    assert c.name == f"ObjSkip{n + 2}"
    assert taken.name == f"ObjSkip{n + 1}"


def test_automatic_names_of_prefix_sharing_classes_never_clash():
    class ObjClash(bp.BrainPyObject):
        pass

    class ObjClash1(bp.BrainPyObject):
        pass

    ones = [ObjClash1() for _ in range(3)]           # 'ObjClash1<k>', e.g. 'ObjClash10'
    taken = [int(o.name[len("ObjClash"):]) for o in ones]
    many = [ObjClash() for _ in range(max(taken) + 2)]  # ObjClash's counter runs into them
    names = [o.name for o in ones + many]
    assert len(set(names)) == len(names)
    assert all(o.name.startswith("ObjClash") for o in many)


# -- pytree behaviour ----------------------------------------------------------------------

class ObjLinear(bp.BrainPyObject):
    def __init__(self, n_in, n_out, seed=0, name=None):
        super().__init__(name=name)
        k1, k2 = jax.random.split(jax.random.PRNGKey(seed))
        self.W = bm.TrainVar(jax.random.normal(k1, (n_in, n_out)))
        self.b = bm.TrainVar(jax.random.normal(k2, (n_out,)))
        self.count = bm.Variable(jnp.zeros((), jnp.int32))
        self.n_in = n_in
        self.label = "linear"
        self.act = jnp.tanh

    def __call__(self, x):
        return self.act(x @ self.W + self.b)


class ObjMLP(bp.BrainPyObject):
    def __init__(self, sizes, seed=0):
        self.layers = [ObjLinear(a, b, seed + i) for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))]
        self.extra = {"scale": bm.Variable(jnp.array(2.0)), "flag": bm.Variable(jnp.array(True))}
        self.sizes = tuple(sizes)

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return jnp.where(self.extra["flag"].value, x * self.extra["scale"].value, x)


def expected_leaves(m):
    out = []
    for l in m.layers:
        out += [l.W.value, l.b.value, l.count.value]
    return out + [m.extra["scale"].value, m.extra["flag"].value]


def test_tree_leaves_are_the_variable_values_in_attribute_order():
    m = ObjMLP([3, 4, 2])
    leaves = jtu.tree_leaves(m)
    exp = expected_leaves(m)
    assert len(leaves) == len(exp)
    for got, e in zip(leaves, exp):
        assert got is e


def test_tree_flatten_with_path_shows_attribute_names():
    m = ObjMLP([3, 4, 2])
    paths = [jtu.keystr(p) for p, _ in jtu.tree_flatten_with_path(m)[0]]
    assert paths == [
        ".layers[0].W.value", ".layers[0].b.value", ".layers[0].count.value",
        ".layers[1].W.value", ".layers[1].b.value", ".layers[1].count.value",
        ".extra['scale'].value", ".extra['flag'].value",
    ]


def test_tree_map_returns_an_equivalent_object_with_mapped_values():
    m = ObjMLP([3, 4, 2])
    doubled = jtu.tree_map(lambda x: x * 2, m)
    assert type(doubled) is ObjMLP and doubled is not m
    assert doubled.sizes == m.sizes
    assert doubled.layers[0].n_in == 3 and doubled.layers[0].act is jnp.tanh
    for got, e in zip(jtu.tree_leaves(doubled), expected_leaves(m)):
        assert_same(got, e * 2)
    # the original is untouched
    for got, e in zip(jtu.tree_leaves(m), expected_leaves(m)):
        assert got is e


def test_flatten_unflatten_round_trip():
    m = ObjMLP([2, 3, 1])
    leaves, treedef = jtu.tree_flatten(m)
    r = jtu.tree_unflatten(treedef, leaves)
    assert type(r) is ObjMLP and r is not m
    assert r.name == m.name
    assert r.sizes == m.sizes
    for lr, lm in zip(r.layers, m.layers):
        assert type(lr) is ObjLinear and lr.name == lm.name
        assert (lr.n_in, lr.label, lr.act) == (lm.n_in, lm.label, lm.act)
        assert type(lr.W) is bm.TrainVar and type(lr.count) is bm.Variable
        assert lr.W is not lm.W
        assert_same(lr.W.value, lm.W.value)
        assert_same(lr.count.value, lm.count.value)
    assert isinstance(r.extra, dict) and list(r.extra) == ["scale", "flag"]
    assert jtu.tree_structure(r) == treedef
    x = jnp.ones((5, 2))
    assert_same(r(x), m(x))
    # the rebuilt copy is a view: it does not claim the name
    fresh = ObjLinear(1, 1)
    assert fresh.name != m.name


def test_tree_map_over_two_instances_of_the_same_class():
    a, b = ObjMLP([3, 4, 2], seed=0), ObjMLP([3, 4, 2], seed=10)
    assert a.name != b.name
    assert jtu.tree_structure(a) == jtu.tree_structure(b)
    summed = jtu.tree_map(lambda x, y: x + y, a, b)
    for got, ea, eb in zip(jtu.tree_leaves(summed), expected_leaves(a), expected_leaves(b)):
        assert_same(got, ea + eb)


def test_different_static_values_give_different_structures():
    a, b = ObjLinear(2, 2), ObjLinear(2, 2)
    b.label = "other"
    assert jtu.tree_structure(a) != jtu.tree_structure(b)
    with pytest.raises(ValueError):
        jtu.tree_map(lambda x, y: x + y, a, b)
    c = ObjLinear(2, 3)  # same statics (n_in), different shapes: same treedef
    assert jtu.tree_structure(a) == jtu.tree_structure(c)


def test_variable_value_changes_do_not_change_the_structure():
    a = ObjLinear(2, 2)
    before = jtu.tree_structure(a)
    a.W.value = jnp.zeros((2, 2))
    assert jtu.tree_structure(a) == before


def test_eqx_partition_combine_round_trip():
    m = ObjMLP([3, 4, 2])
    params, static = eqx.partition(m, eqx.is_array)
    assert all(isinstance(x, jax.Array) for x in jtu.tree_leaves(params))
    assert len(jtu.tree_leaves(params)) == len(expected_leaves(m))
    assert jtu.tree_leaves(static) == []
    back = eqx.combine(params, static)
    assert type(back) is ObjMLP
    assert jtu.tree_structure(back) == jtu.tree_structure(m)
    for got, e in zip(jtu.tree_leaves(back), expected_leaves(m)):
        assert got is e
    x = jnp.linspace(-1, 1, 6).reshape(2, 3)
    assert_same(back(x), m(x))


def test_eqx_filter_jit_matches_eager():
    m = ObjMLP([3, 4, 2])
    x = jnp.linspace(-1, 1, 6).reshape(2, 3)

    def f(model, x):
        return model(x).sum() + model.layers[0].count.value

    assert_same(eqx.filter_jit(f)(m, x), f(m, x))
    assert_same(jax.jit(f)(m, x), f(m, x))


def test_eqx_filter_grad_matches_jax_grad_on_values():
    m = ObjLinear(3, 2, seed=4)
    x = jnp.linspace(-1, 1, 6).reshape(2, 3)

    def loss(model):
        return jnp.sum(model(x) ** 2)

    grads = eqx.filter_grad(loss)(m)
    gW, gb = jax.grad(lambda W, b: jnp.sum(jnp.tanh(x @ W + b) ** 2), argnums=(0, 1))(m.W.value, m.b.value)
    np.testing.assert_allclose(grads.W.value, gW, rtol=1e-6)
    np.testing.assert_allclose(grads.b.value, gb, rtol=1e-6)


class ObjWithArray(bp.BrainPyObject):
    def __init__(self):
        self.v = bm.Variable(jnp.ones(2))
        self.mask = jnp.array([1.0, 0.0])  # a plain (non-Variable) array attribute


def test_plain_array_attribute_is_a_leaf():
    o = ObjWithArray()
    leaves = jtu.tree_leaves(o)
    assert len(leaves) == 2 and leaves[1] is o.mask


def test_eqx_partition_with_plain_array_attribute():
    o = ObjWithArray()
    params, static = eqx.partition(o, eqx.is_array)
    back = eqx.combine(params, static)
    assert_same(back.mask, o.mask)


def test_tree_map_to_none_keeps_the_structure():
    o = ObjWithArray()
    nones = jtu.tree_map(lambda x: None, o)
    # a pytree prefix of `o`: same nodes, None in place of each leaf
    assert jtu.tree_structure(nones, is_leaf=lambda x: x is None) == jtu.tree_structure(o)


# -- static vs dynamic split ---------------------------------------------------------------

def test_static_and_dynamic_attributes():
    class ObjSplitChild(bp.BrainPyObject):
        def __init__(self):
            self.v = bm.Variable(jnp.ones(1))

    class ObjSplit(bp.BrainPyObject):
        def __init__(self):
            self.var = bm.Variable(jnp.zeros(2))          # dynamic
            self.arr = jnp.arange(3)                       # dynamic
            self.nparr = np.ones(2)                        # dynamic
            self.child = ObjSplitChild()                   # dynamic
            self.box = [bm.Variable(jnp.ones(1)), 7]       # dynamic (holds a Variable)
            self.nodes = (ObjSplitChild(),)                # dynamic
            self.n = 3                                     # static
            self.s = "text"                                # static
            self.f = jnp.sin                               # static
            self.sizes = [1, 2, 3]                         # static (no state inside)
            self.cfg = {"lr": 0.1}                         # static
            self.none = None                               # static

    o = ObjSplit()
    children, aux = jtu.tree_flatten_with_path(o)
    top = [p[0].name for p, _ in children]
    assert sorted(set(top), key=top.index) == ["var", "arr", "nparr", "child", "box", "nodes"]
    assert set(aux.node_data()[1].dynamic) == {"var", "arr", "nparr", "child", "box", "nodes"}
    static = dict(aux.node_data()[1].static)
    assert static == {"n": 3, "s": "text", "f": jnp.sin, "sizes": [1, 2, 3], "cfg": {"lr": 0.1},
                      "none": None}
    # the int inside the dynamic list is a leaf of the tree
    assert [leaf for _, leaf in children if isinstance(leaf, int)] == [7]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(
    st.sampled_from(["var_f32", "var_i32", "var_bool", "int", "str", "float", "tuple"]),
    st.integers(0, 1000)), min_size=1, max_size=8))
def test_random_flat_objects_split_and_round_trip(attrs):
    class ObjRandomFlat(bp.BrainPyObject):
        pass

    o = ObjRandomFlat()
    dynamic, static = [], {}
    for i, (kind, seed) in enumerate(attrs):
        key = f"a{i}"
        if kind.startswith("var"):
            dtype = {"var_f32": jnp.float32, "var_i32": jnp.int32, "var_bool": jnp.bool_}[kind]
            value = jnp.asarray(np.random.default_rng(seed).integers(0, 2, (seed % 3,)), dtype)
            setattr(o, key, bm.Variable(value))
            dynamic.append((key, value))
        else:
            value = {"int": seed, "str": str(seed), "float": seed / 7, "tuple": (seed, "x")}[kind]
            setattr(o, key, value)
            static[key] = value
    leaves, treedef = jtu.tree_flatten(o)
    assert len(leaves) == len(dynamic)
    for leaf, (_, value) in zip(leaves, dynamic):
        assert leaf is value
    r = jtu.tree_unflatten(treedef, leaves)
    for key, value in static.items():
        assert getattr(r, key) == value and type(getattr(r, key)) is type(value)
    for key, value in dynamic:
        var = getattr(r, key)
        assert isinstance(var, bm.Variable)
        assert_same(var.value, value)
    internal = INTERNAL_ATTRS
    assert [k for k in vars(r) if k not in internal] == [k for k in vars(o) if k not in internal]
    # a second object with the same recipe has an equal treedef
    o2 = ObjRandomFlat()
    for key in vars(o):
        if key not in INTERNAL_ATTRS:
            val = getattr(o, key)
            setattr(o2, key, bm.Variable(val.value + 0) if isinstance(val, bm.Variable) else val)
    assert jtu.tree_structure(o2) == treedef


# -- observed containers -------------------------------------------------------------------

def test_plain_containers_become_observed_and_stay_equal():
    class ObjObserved(bp.BrainPyObject):
        pass

    o = ObjObserved()
    plain_list = [1, [2, 3], {"k": 4}]
    plain_dict = {"a": 1, "b": [5], "c": {"d": 6}}
    o.l = plain_list
    o.d = plain_dict
    o.t = ([7], {"e": 8})
    assert isinstance(o.l, list) and isinstance(o.l, ObservedList)
    assert isinstance(o.d, dict) and isinstance(o.d, ObservedDict)
    assert o.l == plain_list and o.d == plain_dict
    assert isinstance(o.l[1], ObservedList) and isinstance(o.l[2], ObservedDict)
    assert isinstance(o.d["b"], ObservedList) and isinstance(o.d["c"], ObservedDict)
    assert type(o.t) is tuple and isinstance(o.t[0], ObservedList) and isinstance(o.t[1], ObservedDict)
    assert o.t == ([7], {"e": 8})


LIST_MUTATIONS = [
    ("append", lambda l: l.append(9)),
    ("extend", lambda l: l.extend([9, 10])),
    ("insert", lambda l: l.insert(0, 9)),
    ("setitem", lambda l: l.__setitem__(0, 9)),
    ("setslice", lambda l: l.__setitem__(slice(0, 2), [8, 9])),
    ("delitem", lambda l: l.__delitem__(0)),
    ("pop", lambda l: l.pop()),
    ("remove", lambda l: l.remove(l[0])),
    ("clear", lambda l: l.clear()),
    ("sort", lambda l: l.sort()),
    ("reverse", lambda l: l.reverse()),
    ("iadd", lambda l: l.__iadd__([1])),
    ("imul", lambda l: l.__imul__(2)),
]

DICT_MUTATIONS = [
    ("setitem", lambda d: d.__setitem__("z", 1)),
    ("delitem", lambda d: d.__delitem__("a")),
    ("update", lambda d: d.update(z=1)),
    ("ior", lambda d: d.__ior__({"z": 1})),
    ("setdefault", lambda d: d.setdefault("z", 1)),
    ("pop", lambda d: d.pop("a")),
    ("popitem", lambda d: d.popitem()),
    ("clear", lambda d: d.clear()),
]


@pytest.mark.parametrize("name, mutate", LIST_MUTATIONS, ids=[m[0] for m in LIST_MUTATIONS])
@pytest.mark.parametrize("nested", [False, True])
def test_list_mutation_bumps_structure_version(name, mutate, nested):
    class ObjListMut(bp.BrainPyObject):
        pass

    o = ObjListMut()
    o.l = [[3, 1, 2]] if nested else [3, 1, 2]
    target = o.l[0] if nested else o.l
    reference = list(target)
    before = structure_stamp(target)
    mutate(target)
    assert structure_stamp(target) > before
    mutate(reference)
    assert target == reference  # same effect as on a plain list


@pytest.mark.parametrize("name, mutate", DICT_MUTATIONS, ids=[m[0] for m in DICT_MUTATIONS])
@pytest.mark.parametrize("nested", [False, True])
def test_dict_mutation_bumps_structure_version(name, mutate, nested):
    class ObjDictMut(bp.BrainPyObject):
        pass

    o = ObjDictMut()
    o.d = {"x": {"a": 1, "b": 2}} if nested else {"a": 1, "b": 2}
    target = o.d["x"] if nested else o.d
    reference = dict(target)
    before = structure_stamp(target)
    mutate(target)
    assert structure_stamp(target) > before
    mutate(reference)
    assert target == reference and list(target) == list(reference)


@pytest.mark.parametrize("how", ["dict_setitem", "list_append", "list_setitem", "dict_update"])
def test_containers_added_to_observed_containers_are_observed(how):
    class ObjLateNested(bp.BrainPyObject):
        def __init__(self):
            self.d = {}
            self.l = [None]

    o = ObjLateNested()
    if how == "dict_setitem":
        o.d["inner"] = []
        inner = o.d["inner"]
    elif how == "dict_update":
        o.d.update(inner=[])
        inner = o.d["inner"]
    elif how == "list_append":
        o.l.append([])
        inner = o.l[-1]
    else:
        o.l[0] = []
        inner = o.l[0]
    assert isinstance(inner, ObservedList)
    before = structure_stamp(inner)
    inner.append(1)
    assert structure_stamp(inner) > before


def test_jit_sees_variables_appended_to_a_late_nested_list():
    class ObjLateJit(bp.BrainPyObject):
        def __init__(self):
            self.groups = {}

    o = ObjLateJit()
    o.groups["vs"] = []
    total = bm.jit(lambda o: sum((v.value for v in o.groups["vs"]), jnp.zeros(())))
    assert float(total(o)) == 0.0
    o.groups["vs"].append(bm.Variable(jnp.full((), 3.0)))
    assert len(o.vars()) == 1  # vars() sees it
    assert float(total(o)) == 3.0  # the compiled function should too


def test_delete_attribute_inside_jit_raises():
    class ObjJitDel(bp.BrainPyObject):
        def __init__(self):
            self.v = bm.Variable(jnp.zeros(1))
            self.tag = "x"

    o = ObjJitDel()

    @bm.jit
    def f(o):
        del o.tag
        return o.v.value

    with pytest.raises(bm.MathError, match="delete"):
        f(o)
    assert o.tag == "x"


def test_attribute_set_and_delete_bump_but_variable_values_do_not():
    class ObjBump(bp.BrainPyObject):
        pass

    o = ObjBump()
    before = structure_stamp(o)
    o.v = bm.Variable(jnp.zeros(2))
    after_set = structure_stamp(o)
    assert after_set > before
    o.v.value = jnp.ones(2)
    o.v[0] = 5.0
    assert structure_stamp(o) == after_set
    del o.v
    assert structure_stamp(o) > after_set
    assert not hasattr(o, "v")


def test_reading_containers_does_not_bump():
    class ObjRead(bp.BrainPyObject):
        pass

    o = ObjRead()
    o.l = [1, 2]
    o.d = {"a": 1}
    before = [structure_stamp(x) for x in (o, o.l, o.d)]
    _ = (o.l[0], len(o.l), list(o.l), o.d["a"], dict(o.d), o.d.get("a"), o.l + [3], o.d.copy())
    assert [structure_stamp(x) for x in (o, o.l, o.d)] == before


# -- attribute rules inside transforms -----------------------------------------------------

def test_assigning_a_non_variable_attribute_inside_jit_raises_and_keeps_the_object():
    class ObjJitAssign(bp.BrainPyObject):
        def __init__(self):
            self.v = bm.Variable(jnp.zeros(2))
            self.scale = 1.0

    o = ObjJitAssign()

    @bm.jit
    def f(o):
        o.scale = 2.0
        return o.v.value

    with pytest.raises(bm.MathError, match=rf"{o.name}\.scale"):
        f(o)
    assert o.scale == 1.0
    assert not bm.in_transform()

    @bm.jit
    def g(o):
        o.v += 1.0  # re-assigns the same Variable: allowed
        return o.v.value

    assert_same(g(o), jnp.ones(2))
    assert_same(o.v.value, jnp.ones(2))


def test_parent_is_recorded_but_not_a_pytree_child():
    class ObjParentChild(bp.BrainPyObject):
        def __init__(self):
            self.v = bm.Variable(jnp.zeros(1))

    class ObjParent(bp.BrainPyObject):
        def __init__(self):
            self.child = ObjParentChild()

    p = ObjParent()
    assert p.child._parent() is p
    assert len(jtu.tree_leaves(p.child)) == 1  # `_parent` is not an attribute of the tree
    assert list(p.child.vars()) == [f"{p.child.name}.v"]


# -- copies and moved Variables --------------------------------------------------------------

class ObjCopyLeaf(bp.BrainPyObject):
    def __init__(self):
        self.w = bm.Variable(jnp.arange(2.0))


def test_deepcopy_copies_the_state():
    a = ObjCopyLeaf()
    b = copy.deepcopy(a)
    assert b.w is not a.w
    assert_same(b.w.value, a.w.value)
    b.w.value = jnp.zeros(2)
    assert_same(a.w.value, jnp.arange(2.0))


def test_deepcopy_gets_a_unique_name():
    a = ObjCopyLeaf()
    b = copy.deepcopy(a)
    assert b.name != a.name
    with pytest.raises(bm.MathError):
        ObjCopyLeaf(name=b.name)  # the copy holds its name


def test_parent_holding_an_object_and_its_deepcopy():
    a = ObjCopyLeaf()

    class ObjCopyParent(bp.BrainPyObject):
        def __init__(self):
            self.x = a
            self.y = copy.deepcopy(a)

    p = ObjCopyParent()
    assert len(p.vars()) == 2
    assert len(p.nodes()) == 3


def test_jit_on_a_deepcopy_reached_through_a_closure_list():
    original = ObjCopyLeaf()
    clone = copy.deepcopy(original)
    models = [clone]

    @bm.jit
    def f():
        models[0].w.value = models[0].w + 1.0
        return models[0].w.value

    assert_same(f(), jnp.arange(2.0) + 1.0)
    assert_same(clone.w.value, jnp.arange(2.0) + 1.0)
    assert_same(original.w.value, jnp.arange(2.0))


def test_jit_on_a_variable_moved_to_another_object():
    a, b = ObjCopyLeaf(), ObjCopyLeaf()
    b.moved = a.w
    a.w = bm.Variable(jnp.zeros(2))  # `a` lets go of the Variable but stays alive
    models = [b]

    @bm.jit
    def f():
        models[0].moved.value = models[0].moved + 1.0
        return models[0].moved.value

    assert_same(f(), jnp.arange(2.0) + 1.0)
    assert_same(b.moved.value, jnp.arange(2.0) + 1.0)


class ObjCopyParentOfLeaf(bp.BrainPyObject):
    def __init__(self):
        self.leaf = ObjCopyLeaf()
        self.tied = [self.leaf.w]


def test_deepcopy_of_a_tree_relabels_its_variables_and_keeps_ties():
    a = ObjCopyParentOfLeaf()
    b = copy.deepcopy(a)
    assert b.name != a.name and b.leaf.name != a.leaf.name
    assert b.tied[0] is b.leaf.w and b.leaf.w is not a.leaf.w
    assert list(b.vars()) == [k.replace(a.name, b.name) for k in a.vars()]
    # the copy is a model of its own under bm.jit
    step = bm.jit(lambda m: m.leaf.w.update(m.tied[0] * 3.0))
    step(b)
    assert_same(b.leaf.w.value, jnp.arange(2.0) * 3.0)
    assert_same(a.leaf.w.value, jnp.arange(2.0))


def test_shallow_copy_shares_variables_under_a_new_name():
    a = ObjCopyLeaf()
    b = copy.copy(a)
    assert b.name != a.name and b.w is a.w
    b.w.value = jnp.ones(2)
    assert_same(a.w.value, jnp.ones(2))


def test_pickle_round_trip_gives_an_equal_independent_object():
    import pickle

    a = ObjCopyParentOfLeaf()
    a.leaf.w.value = jnp.asarray([5.0, 6.0])
    b = pickle.loads(pickle.dumps(a))
    assert type(b) is ObjCopyParentOfLeaf and b.name != a.name
    assert_same(b.leaf.w.value, a.leaf.w.value)
    assert b.tied[0] is b.leaf.w
    assert isinstance(b.tied, ObservedList)  # containers are observed again


def test_partitioned_half_can_be_edited_and_flattens_by_value_again():
    o = ObjWithArray()
    params, static = eqx.partition(o, eqx.is_array)
    static.extra = jnp.ones(1)  # hand edit of a rebuilt copy
    assert any(leaf is static.extra for leaf in jtu.tree_leaves(static))
