import json

import networkx as nx
import numpy as np
from hypothesis import given, settings, strategies as st

from conftest import run_cli
from decomp import flipgraph as fg
from decomp.core import symmetry as sym
from decomp.core.equivalence import canonical_form, cheapest_member, equivalent, invariants
from decomp.core.render import parse_algorithm
from known import LADERMAN, STRASSEN

S = parse_algorithm("2x2x2", STRASSEN)
L = parse_algorithm("3x3x3", LADERMAN)


def _random_unimodular(k, rng):
    M = np.eye(k, dtype=np.int64)
    for _ in range(5):
        i, j = rng.choice(k, 2, replace=False)
        M[i] += rng.choice([-1, 1]) * M[j]
    return M


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10**6), st.booleans(), st.booleans())
def test_invariants_equal_for_equivalent_schemes(seed, rotate, transpose):
    rng = np.random.default_rng(seed)
    for base in (S, L):
        t = sym.sandwich(base, *(_random_unimodular(k, rng) for k in base.fmt.dims))
        if rotate:
            t = sym.rotate(t)
        if transpose:
            t = sym.transpose(t)
        t = sym.permute_terms(t, rng.permutation(t.rank))
        assert invariants(t) == invariants(base)
        assert invariants(t.as_ring("gf2")) == invariants(base.as_ring("gf2"))


def test_canonical_form_and_known_non_equivalent_pair(alphatensor_f2):
    g = S.as_ring("gf2")
    X = np.array([[1, 1], [0, 1]])
    assert canonical_form(g) == canonical_form(sym.sandwich(g, X, X, np.eye(2, dtype=int)))
    a = next(x for x in alphatensor_f2 if x.fmt.dims == (2, 2, 2))
    assert equivalent(g, a) == (True, "exact canonical form over GF(2)")
    # Laderman and AlphaTensor's GF(2) 3x3x3 scheme: a known non-equivalent pair
    at333 = next(x for x in alphatensor_f2 if x.fmt.dims == (3, 3, 3))
    assert invariants(L.as_ring("gf2")) != invariants(at333)
    assert equivalent(L.as_ring("gf2"), at333) == (False, "invariants differ (certain)")


def test_2x2x2_rank7_graph_has_one_class():
    seeds = fg.walk_seeds(S.fmt, 7, walks=6, seed=0) + [S]
    assert len({s.fingerprint() for s in seeds}) >= 3  # really different schemes
    ex = fg.explore(seeds, max_nodes=100, time_limit=30)
    info = fg.summary(ex)
    assert info["classes"] == 1 and info["exact_classes"]


def test_exploration_from_rank8_reaches_rank7_by_reductions():
    from decomp.core.scheme import Scheme
    g = S.as_ring("gf2")
    U, V, W = (np.array(m) for m in g.factors)
    # split term 0: u(x)v(x)w = u(x)v(x)w1 + u(x)v(x)(w + w1), a rank-8 scheme
    w1 = np.zeros((4, 1), dtype=int)
    w1[1] = 1
    split = Scheme(S.fmt, np.hstack([U, U[:, :1]]), np.hstack([V, V[:, :1]]),
                   np.hstack([W[:, :1] ^ w1, W[:, 1:], w1]), ring="gf2")
    assert split.verify().ok and split.rank == 8
    ex = fg.explore([split], max_nodes=200, time_limit=20)
    G = ex.graph
    kinds = {d["kind"] for _, _, d in G.edges(data=True)}
    assert "reduction" in kinds
    assert any(d["rank"] == 7 for _, d in G.nodes(data=True))
    seven = [n for n, d in G.nodes(data=True) if d["rank"] == 7]
    assert len(seven) == 1  # every rank-7 scheme reached is Strassen's class
    path = nx.shortest_path(G, fg.class_key(split, True), seven[0])
    assert len(path) >= 2


def test_graphml_round_trip(tmp_path):
    ex = fg.explore([parse_algorithm("2x2x2", STRASSEN)], max_nodes=10, time_limit=5)
    path = tmp_path / "g.graphml"
    fg.write_graphml(ex, path)
    back = nx.read_graphml(path)
    assert set(back.nodes) == set(ex.graph.nodes)
    assert all(back.nodes[n]["rank"] == ex.graph.nodes[n]["rank"] for n in back)


def test_cheapest_member_never_worse_and_valid(alphatensor_r):
    s = next(x for x in alphatensor_r if x.fmt.dims == (3, 3, 3))
    c = cheapest_member(s, iterations=300, seed=0)
    assert c.verify().ok and c.additions <= s.additions
    assert equivalent(c, s)[0]


def test_cli_flipgraph_and_equivalent(tmp_path, capsys):
    from decomp.core.io import write_json
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    write_json(S, a)
    write_json(sym.sandwich(S, [[1, 1], [0, 1]], np.eye(2, dtype=int), np.eye(2, dtype=int)), b)
    code, out, _ = run_cli(["equivalent", a, b, "--json"], capsys)
    assert code == 0 and json.loads(out)["equivalent"] is True
    gml = tmp_path / "g.graphml"
    code, out, _ = run_cli(["flipgraph", "2x2x2", "--rank", "7", "--walks", "3", "--out", gml, "--json",
                            "--png", tmp_path / "g.png", "--results", tmp_path / "cat"], capsys)
    info = json.loads(out)
    assert code == 0 and info["classes"] == 1 and gml.exists()
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
    code, _, err = run_cli(["flipgraph", "2x2x2", "--rank", "3"], capsys)
    assert code == 2 and "impossible" in err
