"""Samplers that ``jax.random`` lacks, as pure functions of a key.

Each function takes a PRNG key, parameters already checked and broadcastable
to ``shape``, and returns ``shape`` samples; :mod:`brainobj.math.random`
checks the arguments, advances its key and calls these. Rejection samplers
loop with ``lax.while_loop`` until every element is accepted, so they work
under ``jit`` and ``vmap`` (not reverse-mode differentiation).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

_INT_CAP = 2.0 ** 31  # counts are int32: keep float draws below this


def _floats(shape: tuple[int, ...], *params: Any) -> list[jax.Array]:
    dtype = jnp.result_type(float)
    return [jnp.broadcast_to(jnp.asarray(p, dtype), shape) for p in params]


def _to_count(x: jax.Array) -> jax.Array:
    return jnp.minimum(x, _INT_CAP - 128).astype(jnp.int32)


def _until_accepted(key: Any, shape: tuple[int, ...], propose: Any) -> jax.Array:
    """Rejection sampling: ``propose(key) -> (value, accepted)`` per element,
    repeated with fresh keys (``fold_in`` of the round) until all are accepted."""
    def cond(state):
        return ~jnp.all(state[2])

    def body(state):
        round_, out, done = state
        value, accepted = propose(jax.random.fold_in(key, round_))
        take = accepted & ~done
        return round_ + 1, jnp.where(take, value, out), done | accepted

    start = (jnp.asarray(0, jnp.uint32), jnp.zeros(shape, jnp.result_type(float)),
             jnp.zeros(shape, bool))
    return lax.while_loop(cond, body, start)[1]


def power(key: Any, a: Any, shape: tuple[int, ...]) -> jax.Array:
    """Power(a) on [0, 1]: inverse CDF, ``U ** (1 / a)``."""
    (a,) = _floats(shape, a)
    return jnp.power(jax.random.uniform(key, shape), 1.0 / a)


def wald(key: Any, mean: Any, scale: Any, shape: tuple[int, ...]) -> jax.Array:
    """Inverse Gaussian IG(mean, scale): ``IG(m, s) = s * IG(m / s, 1)`` and
    ``jax.random.wald`` draws IG(m, 1)."""
    mean, scale = _floats(shape, mean, scale)
    return scale * jax.random.wald(key, mean / scale, shape)


def negative_binomial(key: Any, n: Any, p: Any, shape: tuple[int, ...]) -> jax.Array:
    """Failures before ``n`` successes: the Gamma-Poisson mixture (as NumPy),
    ``Poisson(Gamma(n) * (1 - p) / p)``."""
    n, p = _floats(shape, n, p)
    k_gamma, k_poisson = jax.random.split(key)
    rate = jax.random.gamma(k_gamma, n, shape) * (1.0 - p) / p
    return jax.random.poisson(k_poisson, rate, shape)


def noncentral_chisquare(key: Any, df: Any, nonc: Any, shape: tuple[int, ...]) -> jax.Array:
    """Noncentral chi-square as a Poisson mixture of central ones:
    ``chisquare(df + 2 * Poisson(nonc / 2))`` (valid for every ``df > 0``)."""
    df, nonc = _floats(shape, df, nonc)
    k_poisson, k_chi = jax.random.split(key)
    extra = jax.random.poisson(k_poisson, nonc / 2.0, shape)
    return jax.random.chisquare(k_chi, df + 2.0 * extra, shape)


def noncentral_f(key: Any, dfnum: Any, dfden: Any, nonc: Any,
                 shape: tuple[int, ...]) -> jax.Array:
    """``(noncentral_chisquare(dfnum, nonc) / dfnum) / (chisquare(dfden) / dfden)``."""
    dfnum, dfden, nonc = _floats(shape, dfnum, dfden, nonc)
    k_num, k_den = jax.random.split(key)
    num = noncentral_chisquare(k_num, dfnum, nonc, shape)
    den = jax.random.chisquare(k_den, dfden, shape)
    return (num * dfden) / (den * dfnum)


def logseries(key: Any, p: Any, shape: tuple[int, ...]) -> jax.Array:
    """Logarithmic series: Kemp's (1981) "LK" method, as NumPy; every branch
    is computed and the right one selected (no rejection loop is needed)."""
    (p,) = _floats(shape, p)
    k_v, k_u = jax.random.split(key)
    v = 1.0 - jax.random.uniform(k_v, shape)  # in (0, 1]: log(v) is finite
    u = jax.random.uniform(k_u, shape)
    q = -jnp.expm1(jnp.log1p(-p) * u)
    tail = jnp.floor(1.0 + jnp.log(v) / jnp.log(q))
    out = jnp.where(v >= p, 1.0,
                    jnp.where(v <= q * q, jnp.maximum(tail, 1.0), jnp.where(v >= q, 1.0, 2.0)))
    return _to_count(out)


def zipf(key: Any, a: Any, shape: tuple[int, ...]) -> jax.Array:
    """Zipf(a), a > 1: Devroye's (1986, p. 551) rejection method, as NumPy."""
    (a,) = _floats(shape, a)
    am1 = a - 1.0
    b = jnp.power(2.0, am1)

    def propose(k):
        k_u, k_v = jax.random.split(k)
        u = 1.0 - jax.random.uniform(k_u, shape)
        v = jax.random.uniform(k_v, shape)
        x = jnp.floor(jnp.power(u, -1.0 / am1))
        t = jnp.power(1.0 + 1.0 / x, am1)
        ok = (x >= 1.0) & (x < _INT_CAP) & (v * x * (t - 1.0) / (b - 1.0) <= t / b)
        return x, ok

    return _to_count(_until_accepted(key, shape, propose))


def vonmises(key: Any, mu: Any, kappa: Any, shape: tuple[int, ...]) -> jax.Array:
    """Von Mises(mu, kappa) on [-pi, pi): Best & Fisher's (1979) rejection
    method, as NumPy; uniform for ``kappa < 1e-8`` and a wrapped normal
    ``N(mu, 1/kappa)`` for ``kappa > 1e4`` (where float32 loses the method's
    precision; the two laws then agree to O(1/kappa))."""
    mu, kappa = _floats(shape, mu, kappa)
    k_loop, k_sign, k_flat, k_big = jax.random.split(key, 4)
    kap = jnp.where(kappa > 0, kappa, 1.0)
    r = 1.0 + jnp.sqrt(1.0 + 4.0 * kap * kap)
    rho = (r - jnp.sqrt(2.0 * r)) / (2.0 * kap)
    s = jnp.where(kap < 1e-5, 1.0 / kap + kap, (1.0 + rho * rho) / (2.0 * rho))

    def propose(k):
        k1, k2 = jax.random.split(k)
        z = jnp.cos(jnp.pi * jax.random.uniform(k1, shape))
        u = jax.random.uniform(k2, shape)
        w = (1.0 + s * z) / (s + z)
        y = kap * (s - w)
        ok = (y * (2.0 - y) - u > 0) | (jnp.log(y / u) + 1.0 - y >= 0)
        return w, ok

    w = jnp.clip(_until_accepted(k_loop, shape, propose), -1.0, 1.0)
    theta = jnp.where(jax.random.uniform(k_sign, shape) > 0.5, 1.0, -1.0) * jnp.arccos(w)
    theta = jnp.where(kappa > 1e4, jax.random.normal(k_big, shape) / jnp.sqrt(kap), theta)
    wrapped = jnp.mod(theta + mu + jnp.pi, 2.0 * jnp.pi) - jnp.pi
    flat = jax.random.uniform(k_flat, shape, minval=-jnp.pi, maxval=jnp.pi)
    return jnp.where(kappa < 1e-8, flat, wrapped)


def hypergeometric(key: Any, ngood: Any, nbad: Any, nsample: Any,
                   shape: tuple[int, ...]) -> jax.Array:
    """Good items among ``nsample`` drawn without replacement: the urn is
    emptied one draw at a time (``max(nsample)`` rounds, one uniform per
    element and round), which is exact for any counts."""
    good, bad, n = _floats(shape, ngood, nbad, nsample)
    rounds = jnp.max(n, initial=0.0)

    def cond(state):
        return state[0] < rounds

    def body(state):
        i, good_left, total_left, got = state
        u = jax.random.uniform(jax.random.fold_in(key, i.astype(jnp.uint32)), shape)
        active = i < n
        pick = active & (u * total_left < good_left)
        return (i + 1.0, good_left - pick, total_left - active, got + pick)

    zero = jnp.zeros(shape, good.dtype)
    got = lax.while_loop(cond, body, (jnp.asarray(0.0, good.dtype), good, good + bad, zero))[3]
    return got.astype(jnp.int32)
