"""``bp.conn``: connection statistics, exact degrees, structure round trips,
seeds, caching, and refused input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import brainobj as bp
from brainobj.errors import ConnectorError

conn = bp.conn


def rows_of(indices, indptr):
    return [indices[indptr[i]:indptr[i + 1]] for i in range(indptr.size - 1)]


def check_consistent(c):
    """Every structure describes the same connections as 'csr' (a NumPy oracle)."""
    indices, indptr = c.require("csr")
    pre_num, post_num = c.pre_num, c.post_num
    assert indices.dtype == np.int32 and indptr.dtype == np.int32
    assert indptr.shape == (pre_num + 1,) and indptr[0] == 0 and indptr[-1] == indices.size
    assert (np.diff(indptr) >= 0).all()
    assert indices.size == 0 or (0 <= indices.min() and indices.max() < post_num)
    pairs = [(i, int(j)) for i, row in enumerate(rows_of(indices, indptr)) for j in row]

    pre_ids, post_ids = c.require("ij")
    assert list(zip(pre_ids.tolist(), post_ids.tolist())) == pairs
    assert c.require("coo")[0] is pre_ids
    assert c.require("pre_ids") is pre_ids and c.require("post_ids") is indices
    assert c.require("pre2post")[0] is indices

    mat = c.require("conn_mat")
    expected = np.zeros((pre_num, post_num), bool)
    for i, j in pairs:
        expected[i, j] = True
    assert mat.dtype == bool
    np.testing.assert_array_equal(mat, expected)

    for name in ("post2pre", "csc"):
        pres, indptr_c = c.require(name)
        assert pres.dtype == np.int32 and indptr_c.shape == (post_num + 1,)
        by_post = sorted((j, i) for i, j in pairs)
        assert [(j, int(i)) for j, row in enumerate(rows_of(pres, indptr_c)) for i in row] == by_post

    syn, ptr = c.require("pre2syn")
    np.testing.assert_array_equal(syn, np.arange(indices.size))
    assert ptr is indptr
    syn_c, indptr_c = c.require("post2syn")
    np.testing.assert_array_equal(indptr_c, c.require("post2pre")[1])
    np.testing.assert_array_equal(indices[syn_c], np.repeat(np.arange(post_num), np.diff(indptr_c)))
    return pairs


def no_duplicates(indices, indptr):
    return all(np.unique(r).size == r.size for r in rows_of(indices, indptr))


# -- FixedProb (BrainPy's fixed out-degree) -------------------------------------------

def test_fixed_prob_gives_every_row_round_prob_post():
    c = conn.FixedProb(0.02, pre=3200, post=4000, seed=0)
    indices, indptr = c.require("csr")
    np.testing.assert_array_equal(np.diff(indptr), np.full(3200, 80))
    assert no_duplicates(indices, indptr)
    assert all((np.diff(r) > 0).all() for r in rows_of(indices, indptr))   # sorted per row
    # targets uniform: in-degrees ~ Binomial(3200, 80/4000) -> mean 64, var 62.7
    in_deg = np.bincount(indices, minlength=4000)
    assert in_deg.mean() == 64
    assert 0.85 < in_deg.var() / (3200 * 0.02 * 0.98) < 1.15
    assert np.abs(in_deg - 64).max() < 6 * np.sqrt(62.7)
    # Python's round (half to even), as BrainPy
    assert np.diff(conn.FixedProb(0.5, pre=3, post=5, seed=0).require("csr")[1]).tolist() == [2] * 3
    assert np.diff(conn.FixedProb(0.3, pre=2, post=5, seed=0).require("csr")[1]).tolist() == [2, 2]


def test_fixed_prob_without_self_drops_drawn_self_pairs():
    n, k = 2000, 100
    c = conn.FixedProb(k / n, include_self=False, pre=n, post=n, seed=1)
    indices, indptr = c.require("csr")
    pre_ids = c.require("pre_ids")
    assert not (pre_ids == indices).any()
    degrees = np.diff(indptr)
    assert set(degrees.tolist()) <= {k, k - 1}
    dropped = int((degrees == k - 1).sum())      # Binomial(n, k / n): mean 100, sd ~9.7
    assert abs(dropped - k) < 6 * np.sqrt(k * (1 - k / n))
    check_consistent(c)


def test_fixed_prob_multi_conn_and_pre_ratio():
    c = conn.FixedProb(1.0, allow_multi_conn=True, pre=50, post=5, seed=2)
    indices, indptr = c.require("csr")
    np.testing.assert_array_equal(np.diff(indptr), np.full(50, 5))
    assert not no_duplicates(indices, indptr)   # 5 draws of 5 with replacement: repeats
    assert c.require("conn_mat").sum() < indices.size  # a repeat is one True
    c = conn.FixedProb(0.1, pre_ratio=0.25, pre=40, post=30, seed=3)
    degrees = np.diff(c.require("csr")[1])
    assert sorted(degrees.tolist()) == [0] * 30 + [3] * 10


# -- independent pairs ----------------------------------------------------------------

def test_pairwise_bernoulli_statistics():
    n_pre, n_post, p = 3200, 4000, 0.02
    c = conn.PairwiseBernoulli(p, pre=n_pre, post=n_post, seed=4)
    indices, indptr = c.require("csr")
    mean, sd = n_pre * n_post * p, np.sqrt(n_pre * n_post * p * (1 - p))
    assert abs(indices.size - mean) < 6 * sd
    degrees = np.diff(indptr)
    # binomial out-degrees (not fixed): variance ~ post * p * (1 - p) = 78.4
    assert 0.85 < degrees.var() / (n_post * p * (1 - p)) < 1.15
    assert no_duplicates(indices, indptr)
    in_deg = np.bincount(indices, minlength=n_post)
    assert 0.85 < in_deg.var() / (n_pre * p * (1 - p)) < 1.15


@pytest.mark.parametrize("p", [0.05, 0.6])  # geometric skipping / one uniform per pair
def test_pairwise_bernoulli_without_self(p):
    c = conn.PairwiseBernoulli(p, include_self=False, pre=300, post=300, seed=5)
    pairs = check_consistent(c)
    assert all(i != j for i, j in pairs)
    n = 300 * 299
    assert abs(len(pairs) - n * p) < 6 * np.sqrt(n * p * (1 - p))
    assert conn.PairwiseBernoulli(0.0, pre=5, post=6).require("post_ids").size == 0
    np.testing.assert_array_equal(conn.PairwiseBernoulli(1.0, pre=5, post=6).require("conn_mat"),
                                  np.ones((5, 6), bool))


# -- fixed numbers --------------------------------------------------------------------

def test_fixed_post_and_pre_num_exact_degrees():
    c = conn.FixedPostNum(7, pre=60, post=40, seed=6)
    indices, indptr = c.require("csr")
    np.testing.assert_array_equal(np.diff(indptr), np.full(60, 7))
    assert no_duplicates(indices, indptr)
    assert np.diff(conn.FixedPostNum(0.25, pre=3, post=10, seed=0).require("csr")[1]).tolist() == [2] * 3

    c = conn.FixedPreNum(9, pre=50, post=70, seed=7)
    pres, indptr_c = c.require("post2pre")
    np.testing.assert_array_equal(np.diff(indptr_c), np.full(70, 9))
    assert no_duplicates(pres, indptr_c)
    check_consistent(c)

    c = conn.FixedPostNum(30, include_self=False, pre=30, post=30, seed=8)   # all, minus self
    np.testing.assert_array_equal(c.require("conn_mat"), ~np.eye(30, dtype=bool))
    c = conn.FixedPreNum(30, include_self=False, pre=30, post=30, seed=8)
    np.testing.assert_array_equal(c.require("conn_mat"), ~np.eye(30, dtype=bool))


def test_fixed_num_dense_branch_uniform():
    """k close to the pool (a random key per pool element): still exact and uniform."""
    c = conn.FixedPostNum(15, pre=4000, post=20, seed=9)
    indices, indptr = c.require("csr")
    assert no_duplicates(indices, indptr) and np.diff(indptr).tolist() == [15] * 4000
    counts = np.bincount(indices, minlength=20)            # each post: Binomial(4000, 0.75)
    assert np.abs(counts - 3000).max() < 6 * np.sqrt(4000 * 0.75 * 0.25)


def test_fixed_total_num():
    c = conn.FixedTotalNum(500, pre=30, post=40, seed=10)
    pairs = check_consistent(c)
    assert len(pairs) == len(set(pairs)) == 500
    assert conn.FixedTotalNum(0.5, pre=10, post=10, seed=0).require("post_ids").size == 50
    assert conn.FixedTotalNum(100, pre=10, post=10).require("conn_mat").all()
    multi = conn.FixedTotalNum(300, allow_multi_conn=True, pre=10, post=10, seed=1)
    assert multi.require("post_ids").size == 300 and multi.require("conn_mat").sum() < 100


# -- regular and given ----------------------------------------------------------------

def test_one2one_and_all2all():
    np.testing.assert_array_equal(conn.One2One()(5, 5).require("conn_mat"), np.eye(5, dtype=bool))
    np.testing.assert_array_equal(conn.All2All()(3, 4).require("conn_mat"), np.ones((3, 4), bool))
    np.testing.assert_array_equal(conn.All2All(include_self=False)(3, 4).require("conn_mat"),
                                  ~np.eye(3, 4, dtype=bool))
    with pytest.raises(ConnectorError, match=r"One2One: .*same number.*pre_num = 3 and post_num = 4"):
        conn.One2One()(3, 4)
    with pytest.raises(ConnectorError, match=r"One2One: .*same number"):
        conn.One2One(pre=3, post=4)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 12), st.integers(0, 12), st.floats(0, 1), st.integers(0, 2 ** 16))
def test_from_matrix_reproduces_it_exactly(n, m, density, seed):
    rng = np.random.default_rng(seed)
    mat = rng.random((n, m)) < density
    weights = np.where(mat, rng.random((n, m)) + 0.1, 0.0)
    for c in (conn.MatConn(mat), conn.MatConn(weights.astype(np.float32)),
              conn.SparseMatConn(sp.csr_matrix(weights)), conn.SparseMatConn(sp.coo_matrix(weights))):
        np.testing.assert_array_equal(c.require("conn_mat"), mat)
        pairs = check_consistent(c)
        assert pairs == [(int(i), int(j)) for i, j in zip(*np.nonzero(mat))]


def test_sparse_mat_conn_canonicalises():
    """Explicit zeros dropped, duplicates merged, indices sorted."""
    m = sp.csr_matrix((np.array([1., 0., 2., 3.]), np.array([2, 1, 0, 2]), np.array([0, 3, 4])),
                      shape=(2, 3))
    c = conn.SparseMatConn(m)
    indices, indptr = c.require("csr")
    assert indices.tolist() == [0, 2, 2] and indptr.tolist() == [0, 2, 3]
    np.testing.assert_array_equal(c.require("conn_mat"), m.toarray() != 0)
    with pytest.raises(ConnectorError, match=r"its connections are 2 x 3, but the groups have 2 and 4"):
        c.require(2, 4, "csr")


def test_ij_and_csr_conn_keep_the_given_order():
    c = conn.IJConn(np.array([2, 0, 2, 1]), np.array([1, 3, 0, 1]), pre=3, post=4)
    indices, indptr = c.require("csr")
    assert indices.tolist() == [3, 1, 1, 0] and indptr.tolist() == [0, 1, 2, 4]
    check_consistent(c)
    c = conn.CSRConn([2, 0, 1], [0, 2, 2, 3])(3, 5)
    assert c.require("ij")[0].tolist() == [0, 0, 2] and c.require("ij")[1].tolist() == [2, 0, 1]
    with pytest.raises(ConnectorError, match=r"CSRConn: .*pre_num must be len\(inptr\) - 1 = 3"):
        c(4, 5)
    with pytest.raises(ConnectorError, match=r"IJConn: the groups \(2, 4 neurons\) must be larger"):
        conn.IJConn([2], [1])(2, 4)


# -- any connector: structures agree --------------------------------------------------

CONNECTORS = {
    "FixedProb": lambda s, sd: conn.FixedProb(0.3, include_self=sd % 2 == 0, seed=s),
    "FixedProbMulti": lambda s, sd: conn.FixedProb(0.5, allow_multi_conn=True, seed=s),
    "PairwiseBernoulli": lambda s, sd: conn.PairwiseBernoulli(0.3, include_self=sd % 2 == 0, seed=s),
    "FixedPostNum": lambda s, sd: conn.FixedPostNum(0.4, include_self=sd % 2 == 0, seed=s),
    "FixedPreNum": lambda s, sd: conn.FixedPreNum(0.4, seed=s),
    "FixedTotalNum": lambda s, sd: conn.FixedTotalNum(0.2, seed=s),
    "All2All": lambda s, sd: conn.All2All(include_self=sd % 2 == 0),
}


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(CONNECTORS)), st.integers(0, 15), st.integers(0, 15),
       st.integers(0, 2 ** 16))
def test_structures_describe_the_same_connections(kind, n_pre, n_post, seed):
    c = CONNECTORS[kind](seed, seed)(n_pre, n_post)
    pairs = check_consistent(c)
    if not getattr(c, "allow_multi_conn", False):
        assert len(pairs) == len(set(pairs))
    if getattr(c, "include_self", True) is False:
        assert all(i != j for i, j in pairs)


# -- seeds, caching, sizes ------------------------------------------------------------

def test_seeds_are_deterministic():
    def build(**kw):
        return conn.FixedProb(0.1, pre=200, post=300, **kw).require("csr")

    a, b, other = build(seed=11), build(seed=11), build(seed=12)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], other[0])
    # whichever structure is asked first, the connections are those of the seed
    first_mat = conn.PairwiseBernoulli(0.1, pre=50, post=60, seed=3).require("conn_mat")
    np.testing.assert_array_equal(
        first_mat, conn.PairwiseBernoulli(0.1, pre=50, post=60, seed=3).require("csr", "conn_mat")[1])
    # seed=None draws from NumPy's global state, once: np.random.seed reproduces a script
    np.random.seed(5)
    c1 = conn.FixedPostNum(3, pre=20, post=20)
    np.random.seed(5)
    c2 = conn.FixedPostNum(3, pre=20, post=20)
    assert c1.seed == c2.seed
    np.testing.assert_array_equal(c1.require("post_ids"), c2.require("post_ids"))


def test_results_are_cached_read_only_and_rebuilt_for_new_sizes():
    c = conn.FixedProb(0.2, seed=0)
    indices, indptr = c.require(10, 20, "csr")
    assert c.require("csr")[0] is indices
    with pytest.raises(ValueError, match="read-only"):
        indices[0] = 3
    assert c.require("conn_mat") is c.require("conn_mat")
    assert c(30, 20).require("csr")[1].shape == (31,)
    # tuple (grid) sizes: pre_num is their product
    c = conn.All2All(pre=(2, 3), post=(4,))
    assert (c.pre_num, c.post_num, c.pre_size) == (6, 4, (2, 3))
    assert c.require("conn_mat").shape == (6, 4)


def test_custom_connectors_from_each_hook():
    class Csr(conn.TwoEndConnector):
        def build_csr(self):
            return np.array([1, 0]), np.array([0, 1, 2])

    class Coo(conn.TwoEndConnector):
        def build_coo(self):
            return np.array([1, 0]), np.array([0, 1])

    class Mat(conn.TwoEndConnector):
        def build_mat(self):
            return np.array([[0, 1], [1, 0]])

    for cls in (Csr, Coo, Mat):
        c = cls(pre=2, post=2)
        np.testing.assert_array_equal(c.require("conn_mat"), [[False, True], [True, False]])
        check_consistent(c)

    class Broken(conn.TwoEndConnector):
        def build_csr(self):
            return np.array([0, 5]), np.array([0, 1, 2])

    with pytest.raises(ConnectorError, match=r"Broken: post ids must lie in \[0, post_num\) = \[0, 2\), got 5"):
        Broken(pre=2, post=2).require("csr")
    with pytest.raises(ConnectorError, match=r"TwoEndConnector: implement build_csr\(\), build_coo\(\) or build_mat\(\)"):
        conn.TwoEndConnector(pre=2, post=2).require("csr")

    class BadMat(conn.TwoEndConnector):
        def build_mat(self):
            return np.ones((3, 2))

    with pytest.raises(ConnectorError, match=r"BadMat.build_mat: expected shape .* \(2, 2\), got \(3, 2\)"):
        BadMat(pre=2, post=2).require("csr")


# -- refused input --------------------------------------------------------------------

@pytest.mark.parametrize("make, pattern", [
    (lambda: conn.FixedProb(1.5), r"FixedProb: prob must be in \[0, 1\], got 1.5"),
    (lambda: conn.FixedProb(-0.1), r"prob must be in \[0, 1\], got -0.1"),
    (lambda: conn.FixedProb(float("nan")), r"prob must be in \[0, 1\], got nan"),
    (lambda: conn.FixedProb("0.1"), r"prob must be in \[0, 1\], got '0.1'"),
    (lambda: conn.FixedProb(True), r"prob must be in \[0, 1\], got True"),
    (lambda: conn.FixedProb(0.1, pre_ratio=2), r"pre_ratio must be in \[0, 1\], got 2"),
    (lambda: conn.FixedProb(0.1, seed=-1), r"FixedProb: seed must be a non-negative int or None, got -1"),
    (lambda: conn.PairwiseBernoulli(2.0), r"PairwiseBernoulli: prob must be in \[0, 1\], got 2.0"),
    (lambda: conn.FixedPostNum(-1), r"FixedPostNum: num must be an int >= 0 .* got -1"),
    (lambda: conn.FixedPreNum(1.5), r"FixedPreNum: num must be .* got 1.5"),
    (lambda: conn.FixedTotalNum("10"), r"FixedTotalNum: num must be .* got '10'"),
    (lambda: conn.FixedProb(0.1, pre=-3), r"FixedProb: pre must be a non-negative int or a tuple of them, got -3"),
    (lambda: conn.FixedProb(0.1, post=2.5), r"post must be a non-negative int .* got 2.5"),
    (lambda: conn.MatConn(np.ones(3)), r"MatConn: conn_mat must be 2-D \(pre_num, post_num\), got shape \(3,\)"),
    (lambda: conn.SparseMatConn(np.ones((2, 2))), r"SparseMatConn: csr_mat must be a 2-D scipy.sparse matrix, got ndarray"),
    (lambda: conn.IJConn([0, 1], [0]), r"IJConn: i and j must be 1-D integer arrays of the same length"),
    (lambda: conn.IJConn([0, -1], [0, 1]), r"IJConn: ids must be >= 0"),
    (lambda: conn.CSRConn([0, 1], [0, 1]), r"CSRConn: indptr must start at 0, never decrease and end at len\(indices\) = 2"),
])
def test_bad_arguments_are_refused(make, pattern):
    with pytest.raises(ConnectorError, match=pattern):
        make()


def test_bad_requests_change_nothing():
    c = conn.FixedPostNum(3, pre=10, post=10, seed=0)
    before = c.require("csr")
    with pytest.raises(ConnectorError, match=r"unknown structure 'weights'; choose from"):
        c.require(20, 20, "weights")
    with pytest.raises(ConnectorError, match=r"pre_size must be a non-negative int .* got -2"):
        c(-2, 10)
    with pytest.raises(ConnectorError, match=r"give both sizes before the structure names"):
        c.require(10, "csr")
    with pytest.raises(ConnectorError, match=r"name at least one structure"):
        c.require()
    assert (c.pre_num, c.post_num) == (10, 10) and c.require("csr")[0] is before[0]
    with pytest.raises(ConnectorError, match=r"FixedProb.require: the group sizes are unknown"):
        conn.FixedProb(0.1).require("csr")
    with pytest.raises(ConnectorError, match=r"FixedPostNum: num = 11 exceeds post_num = 10"):
        conn.FixedPostNum(11, pre=10, post=10).require("csr")
    with pytest.raises(ConnectorError, match=r"FixedPreNum: num = 11 exceeds pre_num = 10"):
        conn.FixedPreNum(11, pre=10, post=10).require("csr")
    with pytest.raises(ConnectorError, match=r"FixedTotalNum: num = 101 exceeds the 10 x 10 = 100 pairs"):
        conn.FixedTotalNum(101, pre=10, post=10).require("csr")
    ok = conn.FixedPostNum(11, allow_multi_conn=True, pre=10, post=10, seed=0).require("csr")
    assert ok[0].size == 110
