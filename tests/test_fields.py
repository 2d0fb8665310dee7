"""Declared objects (issue #12): annotated fields, ``bp.field`` and the generated ``__init__``.

Each declared class is checked against the same model written in the
seed's style (a hand-written ``__init__``): the generated signature, the
errors (naming class and field), ``dataclasses.replace``, and round trips
through the transforms, ``vars()`` keys, checkpoints, ensembles, pytree
copies and pickling, which must give the hand-written model's results.
"""

import copy
import dataclasses
import inspect
import pickle
import threading
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from _helpers import assert_close, assert_no_tracers, assert_refused, assert_same, state_of

import brainobj as bp
import brainobj.math as bm


# -- the models: one declared, one hand-written, doing the same ------------------

class LIF(bp.BrainPyObject):
    size: int
    tau: float = 10.0
    V: bm.Variable = bp.field(init=False)

    def __post_init__(self):
        self.V = bm.Variable(jnp.zeros(self.size))

    def step(self, current):
        self.V.value = self.V * (1.0 - 1.0 / self.tau) + current
        return self.V.value


class HandLIF(bp.BrainPyObject):
    def __init__(self, size, tau=10.0, name=None):
        self.size = size
        self.tau = tau
        self.V = bm.Variable(jnp.zeros(size))

    def step(self, current):
        self.V.value = self.V * (1.0 - 1.0 / self.tau) + current
        return self.V.value


class Readout(bp.BrainPyObject):
    """A declared model holding a declared neuron group and a trainable weight."""
    n_in: int
    n_out: int
    neurons: LIF = bp.field(init=False)
    W: bm.TrainVar = bp.field(init=False)

    def __post_init__(self):
        self.neurons = LIF(self.n_in, tau=5.0)
        self.W = bm.TrainVar(bm.random.normal(size=(self.n_in, self.n_out)))

    def __call__(self, x):
        return self.neurons.step(x) @ self.W


# -- the generated __init__ ---------------------------------------------------------

def test_generated_signature_has_fields_then_keyword_only_name():
    sig = inspect.signature(LIF)
    assert list(sig.parameters) == ["size", "tau", "name"]
    assert sig.parameters["size"].default is inspect.Parameter.empty
    assert sig.parameters["tau"].default == 10.0
    assert sig.parameters["name"].kind is inspect.Parameter.KEYWORD_ONLY
    # init=False fields are not arguments
    assert "V" not in sig.parameters
    assert [f.name for f in dataclasses.fields(LIF)] == ["size", "tau", "V"]


def test_positional_keyword_defaults_and_name():
    a = LIF(3)
    b = LIF(3, 20.0)
    c = LIF(size=4, tau=2.0, name="declared_lif_c")
    assert (a.size, a.tau, b.tau, c.size, c.tau) == (3, 10.0, 20.0, 4, 2.0)
    assert c.name == "declared_lif_c"
    assert a.name.startswith("LIF") and a.name != b.name
    assert a.V.shape == (3,) and c.V.shape == (4,)
    assert a.V is not b.V  # built per object by __post_init__


def test_signature_of_hand_written_classes_is_their_init():
    # inspect.signature(cls) shows __init__'s parameters for every class
    assert list(inspect.signature(HandLIF).parameters) == ["size", "tau", "name"]
    assert list(inspect.signature(bp.Linear).parameters)[:2] == ["num_in", "num_out"]


def test_hand_written_init_keeps_todays_behaviour():
    class Annotated(bp.BrainPyObject):
        scale: float = 2.0          # a type hint with a class default, as today
        items: list = []            # a mutable class attribute is allowed here, as today

        def __init__(self, w):
            self.w = bm.Variable(jnp.asarray(w))

    assert not dataclasses.is_dataclass(Annotated)
    obj = Annotated(1.0)
    assert obj.scale == 2.0 and "scale" not in obj.__dict__
    assert list(obj.vars(method="relative")) == ["w"]


def test_declared_layer_subclass_keeps_layer_behaviour():
    class Scale(bp.Layer):
        factor: float = 2.0

        def update(self, x):
            return self.factor * x

    layer = Scale(3.0)
    assert_same(layer(jnp.ones(2)), 3.0 * jnp.ones(2))
    layer.eval()
    assert layer.training is False
    assert Scale().training is True


def test_classvar_is_not_a_field():
    class WithClassVar(bp.BrainPyObject):
        registry: ClassVar[list] = []
        size: int = 1

    assert [f.name for f in dataclasses.fields(WithClassVar)] == ["size"]
    assert WithClassVar.registry == []


def test_default_factory_makes_one_value_per_object():
    class Trace(bp.BrainPyObject):
        n: int = 2
        x: bm.Variable = bp.field(default_factory=lambda: bm.Variable(jnp.zeros(2)))
        tags: list = bp.field(default_factory=list)

    a, b = Trace(), Trace()
    assert a.x is not b.x and a.tags is not b.tags
    a.x.value = jnp.ones(2)
    assert_same(b.x.value, jnp.zeros(2))
    assert list(a.vars(method="relative")) == ["x"]


def test_constructing_from_threads_gives_distinct_objects_and_names():
    made = []

    def build():
        for _ in range(50):
            made.append(LIF(2))

    threads = [threading.Thread(target=build) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({obj.name for obj in made}) == 200
    assert len({id(obj.V) for obj in made}) == 200


# -- errors name the class and the field -------------------------------------------

@pytest.mark.parametrize("default, what", [
    ("[]", "a list"), ("{}", "a dict"), ("set()", "a set"),
    ("bm.Variable(jnp.zeros(2))", "a Variable"), ("jnp.zeros(2)", "an array"),
    ("np.zeros(2)", "an array"), ("bp.BrainPyObject()", "an object"),
])
def test_mutable_default_is_refused_naming_class_and_field(default, what):
    source = f"class Bad(bp.BrainPyObject):\n    size: int = 1\n    x: object = {default}\n"
    with pytest.raises(bm.MathError, match=rf"^Bad\.x: the default is {what}.*default_factory"):
        exec(source, {"bp": bp, "bm": bm, "jnp": jnp, "np": np})


def test_mutable_default_inside_field_is_refused():
    with pytest.raises(bm.MathError, match=r"^Bad\.x: the default is a list"):
        class Bad(bp.BrainPyObject):
            x: list = bp.field(default=[])


def test_field_without_default_after_one_with_names_the_field():
    with pytest.raises(bm.MathTypeError, match=r"^Bad\.b: non-default argument 'b'"):
        class Bad(bp.BrainPyObject):
            a: int = 1
            b: int
    # inherited fields count
    with pytest.raises(bm.MathTypeError, match=r"^Child\.extra:"):
        class Child(LIF):
            extra: int
    # keyword-only fields may come later
    class Fine(bp.BrainPyObject):
        a: int = 1
        b: int = bp.field(kw_only=True)

    assert Fine(b=2).b == 2


def test_field_called_name_is_refused():
    with pytest.raises(bm.MathError, match=r"^Bad\.name: a field cannot be called 'name'"):
        class Bad(bp.BrainPyObject):
            name: str = "x"


def test_field_under_a_hand_written_init_is_refused():
    with pytest.raises(bm.MathError, match=r"^Bad\.x: declared with bp\.field.*hand-written __init__ \(Bad\.__init__\)"):
        class Bad(bp.BrainPyObject):
            x: int = bp.field(default=1)

            def __init__(self):
                pass

    # a field declared in a subclass, after the parent's __init__ took over
    with pytest.raises(bm.MathError, match=r"^Sub\.x: declared with bp\.field.*HandLIF\.__init__"):
        class Sub(HandLIF):
            x: int = bp.field(default=1)


def test_missing_unexpected_and_duplicate_arguments_name_the_field():
    with pytest.raises(bm.MathTypeError, match=r"^LIF\.size: required field missing"):
        LIF()
    with pytest.raises(TypeError, match=r"^LIF\.foo: no such field"):  # still a TypeError
        LIF(3, foo=1)
    with pytest.raises(bm.MathTypeError, match=r"^LIF\.V: no such field"):  # init=False
        LIF(3, V=bm.Variable(jnp.zeros(3)))
    with pytest.raises(bm.MathTypeError, match=r"^LIF\.size: given both"):
        LIF(3, size=3)
    with pytest.raises(bm.MathTypeError, match=r"^LIF\(\.\.\.\): too many positional"):
        LIF(3, 1.0, 2)


def test_init_false_field_never_assigned_is_refused():
    class Forgot(bp.BrainPyObject):
        size: int
        V: bm.Variable = bp.field(init=False)

    with pytest.raises(bm.MathError, match=r"Forgot\d*\.V: declared with bp\.field\(init=False\).*__post_init__"):
        Forgot(3)


def test_static_field_keeps_arrays_out_of_the_leaves_and_refuses_state():
    class Masked(bp.BrainPyObject):
        mask: np.ndarray = bp.field(static=True)
        w: bm.Variable = bp.field(init=False)

        def __post_init__(self):
            self.w = bm.Variable(jnp.ones(3))

        def __call__(self, x):
            return (self.w * x) * self.mask

    m = Masked(np.array([1.0, 0.0, 1.0]))
    paths = [path[0].name for path, _ in jax.tree_util.tree_flatten_with_path(m)[0]]
    assert paths == ["w"]  # the mask is not a leaf
    assert_same(bm.jit(m)(jnp.full(3, 2.0)), jnp.array([2.0, 0.0, 2.0]))
    assert_refused(lambda: setattr(m, "mask", bm.Variable(jnp.ones(3))), bm.MathError,
                   r"Masked\d*\.mask: a field declared static", [m])
    assert isinstance(m.mask, np.ndarray)
    with pytest.raises(bm.MathError, match=r"Masked\d*\.mask: a field declared static"):
        Masked([bm.Variable(jnp.ones(1))])


# -- dataclasses.replace -----------------------------------------------------------

def test_replace_builds_a_new_object_through_init():
    lif = LIF(3, tau=10.0)
    lif.V.value = jnp.ones(3)
    faster = dataclasses.replace(lif, tau=2.0)
    assert type(faster) is LIF and faster.name != lif.name
    assert (faster.size, faster.tau, lif.tau) == (3, 2.0, 10.0)
    # init=False fields are rebuilt by __post_init__: a fresh V
    assert faster.V is not lif.V
    assert_same(faster.V.value, jnp.zeros(3))
    assert_same(lif.V.value, jnp.ones(3))
    with pytest.raises(ValueError, match="init=False"):
        dataclasses.replace(lif, V=None)


def test_replace_passes_init_fields_through_as_the_same_objects():
    class Holder(bp.BrainPyObject):
        w: bm.Variable
        k: int = 1

    h = Holder(bm.Variable(jnp.zeros(2)))
    twin = dataclasses.replace(h, k=2)
    assert twin.w is h.w  # shared, not copied: replace does not deep-copy
    independent = dataclasses.replace(h, w=copy.deepcopy(h.w))
    independent.w.value = jnp.ones(2)
    assert_same(h.w.value, jnp.zeros(2))


# -- round trips against the hand-written model -----------------------------------

def test_jit_and_for_loop_match_the_hand_written_model():
    declared, hand = LIF(4, tau=5.0), HandLIF(4, tau=5.0)
    currents = jnp.linspace(0.0, 1.0, 20).reshape(5, 4)
    got = bm.for_loop(bm.jit(declared.step), currents)
    expected = [hand.step(c) for c in currents]
    assert_close(got, jnp.stack(expected))
    assert_close(declared.V.value, hand.V.value)
    assert_no_tracers(declared)


def test_vars_keys_match_the_hand_written_model():
    declared, hand = LIF(3), HandLIF(3)
    assert list(declared.vars(method="relative")) == list(hand.vars(method="relative")) == ["V"]
    net = Readout(3, 2)
    assert sorted(net.vars(method="relative")) == ["W", "neurons.V"]
    assert list(net.train_vars(method="relative")) == ["W"]
    assert set(net.nodes(method="relative")) == {"", "neurons"}


def test_grad_training_matches_plain_jax():
    bm.random.seed(3)
    net = Readout(3, 2)
    x = jnp.array([0.5, -1.0, 2.0])
    W0, V0 = net.W.value, net.neurons.V.value

    def loss():
        return jnp.sum(net(x) ** 2)

    grads, value = bm.grad(loss, grad_vars=net.train_vars(), return_value=True)()

    def plain(W):
        V = V0 * (1.0 - 1.0 / 5.0) + x
        return jnp.sum((V @ W) ** 2)

    expected_value, expected_grad = jax.value_and_grad(plain)(W0)
    assert_close(value, expected_value)
    assert_close(list(grads.values())[0], expected_grad)


def test_checkpoint_round_trip(tmp_path):
    net = Readout(3, 2)
    net.neurons.V.value = jnp.arange(3.0)
    saved = state_of(net)
    bp.save(tmp_path / "net.bp", net)
    other = Readout(3, 2)
    bp.load(tmp_path / "net.bp", other)
    assert state_of(other).keys() == saved.keys()
    for key, value in saved.items():
        np.testing.assert_array_equal(state_of(other)[key], value)


def test_stack_objects_and_vmap_match_separate_runs():
    members = [LIF(3, tau=4.0) for _ in range(3)]
    for i, m in enumerate(members):
        m.V.value = jnp.full(3, float(i))
    ensemble = bm.stack_objects(members)
    assert type(ensemble) is LIF and ensemble.V.shape == (3, 3)
    current = jnp.ones(3)
    got = bm.vmap(lambda model: model.step(current), in_axes=0)(ensemble)
    expected = jnp.stack([m.step(current) for m in members])
    assert_close(got, expected)
    with pytest.raises(bm.MathError, match="tau"):  # static fields must agree
        bm.stack_objects([LIF(3, tau=1.0), LIF(3, tau=2.0)])


def test_tree_map_copy_pickle_and_deepcopy_keep_fields():
    lif = LIF(3, tau=7.0)
    lif.V.value = jnp.arange(3.0)
    for twin in (jax.tree_util.tree_map(lambda v: v, lif), pickle.loads(pickle.dumps(lif)),
                 copy.deepcopy(lif)):
        assert type(twin) is LIF and (twin.size, twin.tau) == (3, 7.0)
        assert twin.V is not lif.V
        assert_same(twin.V.value, lif.V.value)
        assert repr(twin) == repr(lif)


# -- subclassing and @dataclasses.dataclass by hand ------------------------------

def test_declared_subclass_of_declared_class_adds_fields():
    class Adaptive(LIF):
        a: float = 0.1
        w: bm.Variable = bp.field(init=False)

        def __post_init__(self):
            super().__post_init__()
            self.w = bm.Variable(jnp.zeros(self.size))

    obj = Adaptive(2, 5.0, 0.3)
    assert list(inspect.signature(Adaptive).parameters) == ["size", "tau", "a", "name"]
    assert (obj.size, obj.tau, obj.a) == (2, 5.0, 0.3)
    assert sorted(obj.vars(method="relative")) == ["V", "w"]


def test_hand_written_subclass_of_declared_class():
    class Custom(LIF):
        def __init__(self, n, name=None):
            super().__init__(n, tau=3.0)
            self.extra = bm.Variable(jnp.ones(n))

    obj = Custom(2, name="declared_custom_sub")
    assert obj.name == "declared_custom_sub" and obj.tau == 3.0
    assert sorted(obj.vars(method="relative")) == ["V", "extra"]


def test_dataclass_applied_by_hand():
    @dataclasses.dataclass
    class ByHand(bp.BrainPyObject):
        size: int
        gain: float = 2.0
        V: bm.Variable = bp.field(init=False)
        trace: bm.Variable = bp.field(default_factory=lambda: bm.Variable(jnp.zeros(1)))

        def __post_init__(self):
            self.V = bm.Variable(jnp.zeros(self.size))

    obj = ByHand(2, name="declared_by_hand")
    assert obj.name == "declared_by_hand"
    assert [f.name for f in dataclasses.fields(obj)] == ["size", "gain", "V", "trace"]
    assert [f.init for f in dataclasses.fields(obj)] == [True, True, False, True]
    assert list(inspect.signature(ByHand).parameters) == ["size", "gain", "trace", "name"]
    # identity equality and hashing, brainobj's repr
    other = ByHand(2)
    assert obj == obj and obj != other and len({obj, other}) == 2
    assert repr(obj) == "ByHand(size=2, gain=2.0, V=Variable(f32[2]), trace=Variable(f32[1]))"
    assert sorted(obj.vars(method="relative")) == ["V", "trace"]


def test_repr_shows_plain_fields_then_state_and_hides_repr_false():
    class Quiet(bp.BrainPyObject):
        size: int = 2
        secret: str = bp.field(default="x", repr=False)
        hidden_state: bm.Variable = bp.field(default_factory=lambda: bm.Variable(jnp.zeros(1)),
                                             repr=False)

    assert repr(Quiet()) == "Quiet(size=2)"
    assert repr(Readout(3, 2)) == (
        "Readout(n_in=3, n_out=2, neurons=LIF(size=3, tau=5.0, V=Variable(f32[3])), "
        "W=TrainVar(f32[3,2]))")


# -- property: any declaration gives the signature and state of the hand-written one

FIELD_NAMES = st.sampled_from(["a", "b", "c", "d", "rate", "gain", "size", "x1"])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(FIELD_NAMES, st.sampled_from(["int", "float", "var"]),
                          st.booleans()), min_size=1, max_size=5, unique_by=lambda t: t[0]))
def test_generated_init_matches_declarations(spec):
    # required fields first, as Python requires
    spec = sorted(spec, key=lambda t: t[2])
    namespace = {"__annotations__": {}}
    for attr, kind, has_default in spec:
        namespace["__annotations__"][attr] = {"int": int, "float": float, "var": bm.Variable}[kind]
        if has_default:
            namespace[attr] = (bp.field(default_factory=lambda: bm.Variable(jnp.zeros(2)))
                               if kind == "var" else {"int": 1, "float": 0.5}[kind])
    Declared = type("Declared", (bp.BrainPyObject,), namespace)
    params = inspect.signature(Declared).parameters
    assert list(params) == [attr for attr, _, _ in spec] + ["name"]
    args = {attr: (bm.Variable(jnp.full(2, 3.0)) if kind == "var" else 7)
            for attr, kind, has_default in spec if not has_default}
    obj = Declared(**args)
    variables = [attr for attr, kind, _ in spec if kind == "var"]
    assert sorted(obj.vars(method="relative")) == sorted(variables)
    for attr, value in args.items():
        assert getattr(obj, attr) is value
    # the pytree children are exactly the Variables, in field order
    paths = [path[0].name for path, _ in jax.tree_util.tree_flatten_with_path(obj)[0]]
    assert paths == [attr for attr, kind, _ in spec if kind == "var"]


def test_a_type_error_raised_by_post_init_is_not_renamed():
    class Strict(bp.BrainPyObject):
        size: int

        def __post_init__(self):
            if not isinstance(self.size, int):
                raise TypeError("size must be an int (raised by __post_init__)")

    with pytest.raises(TypeError, match=r"^size must be an int \(raised by __post_init__\)$") as info:
        Strict(1.5)
    assert not isinstance(info.value, bm.MathError)
