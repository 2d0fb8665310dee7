"""bm.random's NumPy-Generator / BrainPy distributions (issue #10).

For every name: (a) the same key gives ``jax.random``'s numbers (where JAX has
the distribution), (b) the moments of 20000 draws agree with NumPy's, (c)
parameters given as lists broadcast as in NumPy, (d) ``key=`` (an int seed or
a key) leaves the global key alone, (e) it runs inside ``bm.jit`` on an
object's own RandomState, which advances, and (f) bad parameters raise before
the key advances.
"""

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

import brainobj as bp
import brainobj.math as bm

# ~40 laws, each compiled and sampled at size: about 1.5 min on 2 cores (`make test-slow`).
pytestmark = pytest.mark.slow

R = bm.random
N = 20000
I32 = jnp.int32


def _mvn_cov():
    return [[1.0, 0.5], [0.5, 2.0]]


# name: (params, jax oracle (key, size) -> array or None, NumPy sampler (rng, n) or None,
#        bad params, the error message they give)
SPECS = {
    "standard_normal": ((), lambda k, s: jr.normal(k, s), lambda g, n: g.standard_normal(n),
                        None, None),
    "standard_exponential": ((), lambda k, s: jr.exponential(k, s),
                             lambda g, n: g.standard_exponential(n), None, None),
    "standard_cauchy": ((), lambda k, s: jr.cauchy(k, s), None, None, None),
    "standard_gamma": ((2.5,), lambda k, s: jr.gamma(k, 2.5, s),
                       lambda g, n: g.standard_gamma(2.5, n), (-1.0,), "`shape` must be >= 0"),
    "standard_t": ((10.0,), lambda k, s: jr.t(k, 10.0, s), lambda g, n: g.standard_t(10.0, n),
                   (0.0,), "`df` must be > 0"),
    "t": ((10.0,), lambda k, s: jr.t(k, 10.0, s), lambda g, n: g.standard_t(10.0, n),
          (-2.0,), "`df` must be > 0"),
    "gumbel": ((1.0, 2.0), lambda k, s: 1.0 + 2.0 * jr.gumbel(k, s),
               lambda g, n: g.gumbel(1.0, 2.0, n), (0.0, -1.0), "`scale` must be >= 0"),
    "laplace": ((1.0, 2.0), lambda k, s: 1.0 + 2.0 * jr.laplace(k, s),
                lambda g, n: g.laplace(1.0, 2.0, n), (0.0, -1.0), "`scale` must be >= 0"),
    "logistic": ((1.0, 2.0), lambda k, s: 1.0 + 2.0 * jr.logistic(k, s),
                 lambda g, n: g.logistic(1.0, 2.0, n), (0.0, -1.0), "`scale` must be >= 0"),
    "lognormal": ((0.5, 0.4), lambda k, s: jnp.exp(0.5) * jr.lognormal(k, 0.4, s),
                  lambda g, n: g.lognormal(0.5, 0.4, n), (0.0, -1.0), "`sigma` must be >= 0"),
    "rayleigh": ((2.0,), lambda k, s: jr.rayleigh(k, 2.0, s), lambda g, n: g.rayleigh(2.0, n),
                 (-1.0,), "`scale` must be >= 0"),
    "maxwell": ((), lambda k, s: jr.maxwell(k, s), lambda g, n: np.sqrt(g.chisquare(3, n)),
                None, None),
    "pareto": ((10.0,), lambda k, s: jr.pareto(k, 10.0, s) - 1.0,
               lambda g, n: g.pareto(10.0, n), (0.0,), "`a` must be > 0"),
    "power": ((3.0,), lambda k, s: jr.uniform(k, s) ** (1.0 / 3.0),
              lambda g, n: g.power(3.0, n), (-1.0,), "`a` must be > 0"),
    "weibull": ((1.5,), lambda k, s: jr.weibull_min(k, 1.0, 1.5, s),
                lambda g, n: g.weibull(1.5, n), (-1.0,), "`a` must be >= 0"),
    "weibull_min": ((1.5, 2.0), lambda k, s: jr.weibull_min(k, 2.0, 1.5, s),
                    lambda g, n: 2.0 * g.weibull(1.5, n), (1.5, -2.0), "`scale` must be >= 0"),
    "chisquare": ((4.0,), lambda k, s: jr.chisquare(k, 4.0, s), lambda g, n: g.chisquare(4.0, n),
                  (0.0,), "`df` must be > 0"),
    "f": ((5.0, 20.0), lambda k, s: jr.f(k, 5.0, 20.0, s), lambda g, n: g.f(5.0, 20.0, n),
          (5.0, -1.0), "`dfden` must be > 0"),
    "noncentral_chisquare": ((3.0, 2.0), None, lambda g, n: g.noncentral_chisquare(3.0, 2.0, n),
                             (3.0, -1.0), "`nonc` must be >= 0"),
    "noncentral_f": ((3.0, 20.0, 3.0), None, lambda g, n: g.noncentral_f(3.0, 20.0, 3.0, n),
                     (0.0, 20.0, 3.0), "`dfnum` must be > 0"),
    "triangular": ((0.0, 0.3, 1.0), lambda k, s: jr.triangular(k, 0.0, 0.3, 1.0, s),
                   lambda g, n: g.triangular(0.0, 0.3, 1.0, n), (0.0, 2.0, 1.0),
                   "needs left <= mode <= right"),
    "vonmises": ((0.5, 2.0), None, lambda g, n: g.vonmises(0.5, 2.0, n), (0.0, -1.0),
                 "`kappa` must be >= 0"),
    "wald": ((1.0, 2.0), lambda k, s: 2.0 * jr.wald(k, 0.5, s), lambda g, n: g.wald(1.0, 2.0, n),
             (0.0, 1.0), "`mean` must be > 0"),
    "loggamma": ((2.0,), lambda k, s: jr.loggamma(k, 2.0, s),
                 lambda g, n: np.log(g.gamma(2.0, 1.0, n)), (0.0,), "`a` must be > 0"),
    "binomial": ((10, 0.3), lambda k, s: jr.binomial(k, 10.0, 0.3, s).astype(I32),
                 lambda g, n: g.binomial(10, 0.3, n), (10, 1.5), r"`p` must be in \[0, 1\]"),
    "negative_binomial": ((5, 0.4), None, lambda g, n: g.negative_binomial(5, 0.4, n),
                          (5, 0.0), r"`p` must be in \(0, 1\]"),
    "geometric": ((0.3,), lambda k, s: jr.geometric(k, 0.3, s), lambda g, n: g.geometric(0.3, n),
                  (1.5,), r"`p` must be in \(0, 1\]"),
    "logseries": ((0.6,), None, lambda g, n: g.logseries(0.6, n), (1.0,),
                  r"`p` must be in \[0, 1\)"),
    "zipf": ((6.0,), None, lambda g, n: g.zipf(6.0, n), (1.0,), "`a` must be > 1"),
    "hypergeometric": ((10, 15, 8), None, lambda g, n: g.hypergeometric(10, 15, 8, n),
                       (2, 3, 6), r"needs nsample <= ngood \+ nbad"),
    "dirichlet": (([1.0, 2.0, 3.0],), lambda k, s: jr.dirichlet(k, jnp.array([1.0, 2.0, 3.0]), s),
                  lambda g, n: g.dirichlet([1.0, 2.0, 3.0], n), ([1.0, 0.0],),
                  "`alpha` must be > 0"),
    "multinomial": ((10, [0.2, 0.3, 0.5]),
                    lambda k, s: jr.multinomial(
                        k, jnp.full(s, 10.0), jnp.broadcast_to(jnp.array([0.2, 0.3, 0.5]), s + (3,)),
                        shape=s + (3,)).astype(I32),
                    lambda g, n: g.multinomial(10, [0.2, 0.3, 0.5], n), (10, [0.8, 0.7, 0.1]),
                    r"sum\(pvals\[:-1\]\) must be <= 1"),
    "multivariate_normal": (([0.0, 1.0], _mvn_cov()),
                            lambda k, s: jr.multivariate_normal(
                                k, jnp.array([0.0, 1.0]), jnp.array(_mvn_cov()), s),
                            lambda g, n: g.multivariate_normal([0.0, 1.0], _mvn_cov(), n),
                            ([0.0, 1.0], [[1.0, 0.0]]), r"`cov` must end with shape \(2, 2\)"),
    "orthogonal": ((3,), lambda k, s: jr.orthogonal(k, 3, s), None, (-1,),
                   "`n` must not be negative"),
}
NAMES = sorted(SPECS)
VECTOR = {"dirichlet", "multinomial", "multivariate_normal", "orthogonal"}
# The checks that do not depend on the distribution's law (explicit keys,
# list broadcasting, jit with an object's state) run on one member of each
# family of implementation -- a jax.random wrapper, a composition, a
# rejection sampler, a discrete law, a vector law -- to keep the suite short;
# every name gets the same-key and moment checks.
FAMILIES = {"normal", "gamma", "f", "vonmises", "zipf", "negative_binomial", "binomial",
            "dirichlet", "multinomial", "triangular"}


def key_of(state=None):
    return np.asarray((R.DEFAULT if state is None else state).value)


def _moments_agree(name, a, b):
    """Means and variances of two samples of N draws agree within 5 standard
    errors (a two-sample z test per component; the error of a variance from
    the fourth central moment), so a correct sampler fails ~1e-6 of the time."""
    a = np.asarray(a, np.float64).reshape(N, -1)
    b = np.asarray(b, np.float64).reshape(N, -1)
    for x, y in ((a, b),):
        mx, my = x.mean(0), y.mean(0)
        vx, vy = x.var(0), y.var(0)
        se_mean = np.sqrt(vx / N + vy / N)
        assert np.all(np.abs(mx - my) <= 5 * se_mean + 1e-9), (name, mx, my)
        m4x, m4y = ((x - mx) ** 4).mean(0), ((y - my) ** 4).mean(0)
        se_var = np.sqrt((m4x - vx ** 2) / N + (m4y - vy ** 2) / N)
        assert np.all(np.abs(vx - vy) <= 5 * se_var + 1e-9), (name, vx, vy)


@pytest.mark.parametrize("name", NAMES)
def test_same_key_as_jax_random_and_moments_as_numpy(name):
    """One sample of N draws: equal to jax.random's with the same key (where
    JAX has the law), and with NumPy's moments."""
    params, oracle, numpy_sampler, *_ = SPECS[name]
    key = jr.PRNGKey(11)
    ours = getattr(R, name)(*params, size=N, key=key)
    if oracle is not None:
        want = oracle(key, (N,))
        assert ours.shape == want.shape and ours.dtype == want.dtype
        np.testing.assert_allclose(np.asarray(ours), np.asarray(want), rtol=2e-6, atol=1e-6)
    if numpy_sampler is None:
        if name == "standard_cauchy":  # no moments: quartiles are -1, 0, 1
            q = np.quantile(np.asarray(ours), [0.25, 0.5, 0.75])
            # quantile standard error: sqrt(p(1-p)/N) / density(q) <= 0.03 here
            np.testing.assert_allclose(q, [-1.0, 0.0, 1.0], atol=0.1)
        else:  # orthogonal: Q Q^T = I, and E[Q] = 0
            q = np.asarray(ours)
            np.testing.assert_allclose(q @ np.swapaxes(q, -1, -2),
                                       np.broadcast_to(np.eye(3), q.shape), atol=1e-4)
            assert np.all(np.abs(q.mean(0)) < 5 * np.sqrt(1 / 3 / N))
        return
    theirs = numpy_sampler(np.random.default_rng(0), N)
    assert np.shape(ours) == np.shape(theirs)
    _moments_agree(name, ours, theirs)


@pytest.mark.parametrize("name", sorted(n for n in NAMES if SPECS[n][0] and n not in VECTOR
                                         and n in FAMILIES))
def test_list_parameters_broadcast_as_in_numpy(name):
    params = SPECS[name][0]
    listed = ([params[0], params[0]],) + params[1:]
    as_array = (jnp.asarray(listed[0]),) + params[1:]
    key = jr.PRNGKey(4)
    fn = getattr(R, name)
    got = fn(*listed, key=key)
    assert got.shape == (2,)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(fn(*as_array, key=key)))
    assert fn(*listed, size=(3, 2), key=key).shape == (3, 2)
    # the last parameter as a column: (2, 1) against (2,) -> (2, 2)
    column = params[:-1] + ([[params[-1]], [params[-1]]],) if len(params) > 1 else None
    if column is not None:
        assert fn(*column[:1], *column[1:], size=None, key=key).shape in ((2, 1), (2, 2))
    with pytest.raises(ValueError, match=rf"bm\.random\.{name}: .*do not broadcast to `size`"):
        fn(*listed, size=(3,), key=key)


def test_vector_distributions_broadcast_their_batch_axes():
    key = jr.PRNGKey(0)
    assert R.dirichlet([[1.0, 2.0], [3.0, 4.0]], key=key).shape == (2, 2)
    assert R.dirichlet([1.0, 2.0], size=(4, 5), key=key).shape == (4, 5, 2)
    x = R.multinomial([5, 10], [0.5, 0.5], key=key)
    assert x.shape == (2, 2) and x.sum(-1).tolist() == [5, 10]
    assert R.multivariate_normal(jnp.zeros((3, 2)), jnp.eye(2), key=key).shape == (3, 2)
    assert R.orthogonal(2, size=(4,), key=key).shape == (4, 2, 2)
    with pytest.raises(ValueError, match=r"bm\.random\.dirichlet: .*do not broadcast"):
        R.dirichlet([[1.0, 2.0], [3.0, 4.0]], size=(3,), key=key)


@pytest.mark.parametrize("name", sorted(FAMILIES & set(NAMES)))
def test_explicit_key_or_seed_leaves_the_global_key_alone(name):
    params = SPECS[name][0]
    fn = getattr(R, name)
    R.seed(1)
    before = key_of()
    by_seed = fn(*params, size=(4,), key=7)
    np.testing.assert_array_equal(np.asarray(by_seed), np.asarray(fn(*params, size=(4,), key=7)))
    by_key = fn(*params, size=(4,), key=jr.PRNGKey(7))
    np.testing.assert_array_equal(np.asarray(by_seed), np.asarray(by_key))  # seed 7 = PRNGKey(7)
    fn(*params, size=(4,), key=jr.key(7))  # a typed key
    np.testing.assert_array_equal(key_of(), before)
    fn(*params, size=(4,))  # while the global draw advances it
    assert not np.array_equal(key_of(), before)


@pytest.mark.parametrize("name", sorted(FAMILIES & set(NAMES)))
def test_inside_jit_with_an_objects_own_random_state(name):
    params = SPECS[name][0]

    class Noise(bp.BrainPyObject):
        def __init__(self):
            self.rng = R.RandomState(5)

        @bm.cls_jit
        def draw(self):
            return getattr(self.rng, name)(*params, size=(3,))

    R.seed(0)
    global_before = key_of()
    net, oracle = Noise(), R.RandomState(5)
    k0 = key_of(net.rng)
    a = net.draw()
    k1 = key_of(net.rng)
    b = net.draw()
    assert not np.array_equal(k0, k1) and not np.array_equal(k1, key_of(net.rng))
    if name != "zipf":  # zipf(6) is 1 with probability 0.98: equal draws are likely
        assert not np.array_equal(np.asarray(a), np.asarray(b))
    for got in (a, b):  # the same numbers as eager draws from the same state
        want = getattr(oracle, name)(*params, size=(3,))
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(key_of(net.rng), key_of(oracle))
    np.testing.assert_array_equal(key_of(), global_before)


@pytest.mark.parametrize("name", sorted(n for n in NAMES if SPECS[n][3] is not None))
def test_bad_parameters_raise_before_the_key_advances(name):
    _, _, _, bad, message = SPECS[name]
    own = R.RandomState(2)
    before, own_before = key_of(), key_of(own)
    with pytest.raises(ValueError, match=rf"bm\.random\.{name}: .*{message}"):
        getattr(R, name)(*bad)
    with pytest.raises(ValueError, match=rf"bm\.random\.{name}: .*{message}"):
        getattr(own, name)(*bad, size=(2,)) if name not in VECTOR else getattr(own, name)(*bad)
    np.testing.assert_array_equal(key_of(), before)
    np.testing.assert_array_equal(key_of(own), own_before)


@pytest.mark.parametrize("call, error, message", [
    (lambda: R.gumbel("a"), TypeError, r"bm\.random\.gumbel: `loc` must be a real number"),
    (lambda: R.binomial(-1, 0.5), ValueError, r"bm\.random\.binomial: `n` must be >= 0"),
    (lambda: R.zipf(2.0, size=-1), ValueError, r"`size` must not be negative"),
    (lambda: R.multivariate_normal([0.0], [[1.0]], method="qr"), ValueError,
     r"bm\.random\.multivariate_normal: `method` must be"),
    (lambda: R.dirichlet(1.0), ValueError, r"bm\.random\.dirichlet: `alpha` must have at least"),
    (lambda: R.orthogonal(2.5), TypeError, r"bm\.random\.orthogonal: `n` must be an int"),
    (lambda: R.standard_normal(2, key=2.5), TypeError, r"`key` must be one PRNG key"),
    (lambda: R.standard_normal(2, key=-1), ValueError, r"a seed must be in \[0, 2\*\*64\)"),
])
def test_bad_arguments_name_the_function_and_leave_the_key(call, error, message):
    before = key_of()
    with pytest.raises(error, match=message):
        call()
    np.testing.assert_array_equal(key_of(), before)


def test_traced_parameters_are_not_value_checked():
    # under jit the domain is unknown: no check, no error (NaN, as jax.random gives)
    out = bm.jit(lambda p: R.geometric(p, size=(2,)))(jnp.float32(0.5))
    assert out.shape == (2,)


def test_brainpy_conveniences():
    key = jr.PRNGKey(0)
    x = bm.zeros((2, 3))
    assert R.rand_like(x, key=key).shape == (2, 3)
    np.testing.assert_array_equal(np.asarray(R.rand_like(x, key=key)),
                                  np.asarray(jr.uniform(key, (2, 3))))
    np.testing.assert_array_equal(np.asarray(R.randn_like(x, key=key)),
                                  np.asarray(jr.normal(key, (2, 3))))
    ints = R.randint_like(jnp.zeros(50, jnp.int32), 2, 5, key=key)
    assert ints.dtype == jnp.int32 and bool(((ints >= 2) & (ints < 5)).all())
    both_ends = R.random_integers(1, 3, size=2000, key=key)
    assert set(np.unique(np.asarray(both_ends)).tolist()) == {1, 2, 3}
    assert R.ranf(3, key=key).shape == R.sample(3, key=key).shape == (3,)
    rng = R.default_rng(3)
    assert isinstance(rng, R.RandomState)
    np.testing.assert_array_equal(np.asarray(rng.vonmises(0.0, 1.0, size=3, key=1)),
                                  np.asarray(R.vonmises(0.0, 1.0, size=3, key=1)))
    for name in NAMES + ["rand_like", "randn_like", "randint_like", "random_integers"]:
        fn = getattr(R, name)
        assert name in R.__all__ and "Raises:" in fn.__doc__ and ">>>" in fn.__doc__
        assert callable(getattr(R.RandomState, name))


def test_edge_parameters():
    key = jr.PRNGKey(0)
    assert np.all(np.asarray(R.logseries(0.0, size=10, key=key)) == 1)
    assert np.all(np.asarray(R.negative_binomial(3, 1.0, size=10, key=key)) == 0)
    assert np.all(np.asarray(R.hypergeometric(4, 0, 3, size=10, key=key)) == 3)
    assert np.all(np.asarray(R.hypergeometric(0, 4, 3, size=10, key=key)) == 0)
    flat = np.asarray(R.vonmises(1.0, 0.0, size=N, key=key))
    assert flat.min() >= -np.pi and flat.max() <= np.pi and abs(flat.mean()) < 0.05
    tight = np.asarray(R.vonmises(1.0, 1e6, size=1000, key=key))
    assert abs(tight.mean() - 1.0) < 1e-3
    assert R.binomial(10, 0.5, size=0, key=key).shape == (0,)
    assert R.zipf(1.5, size=0, key=key).shape == (0,)
