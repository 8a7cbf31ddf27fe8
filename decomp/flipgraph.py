"""The flip graph of equivalence classes (networkx).

Breadth-first exploration from seed schemes over GF(2): every flip of a
scheme (two terms sharing a factor, either order, any mode) and the
reductions it triggers give neighbours; equivalent schemes collapse into one
node (exact canonical form where the symmetry group is small, invariants
otherwise). Nodes carry rank, invariants, nnz, additions and how often the
class was met; edges are flips (same rank) or reductions (rank drops).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from .core.equivalence import MAX_GROUP, canonical_form, group_size, invariant_hash, term_masks
from .core.formats import Format
from .core.rings import Ring
from .core.scheme import Scheme


def _terms(s: Scheme) -> list[list[int]]:
    return [list(t) for t in term_masks(*s.factors)]


def _scheme(fmt: Format, terms) -> Scheme:
    mats = []
    for mode, rows in enumerate(fmt.shape):
        mats.append(np.array([[(t[mode] >> q) & 1 for t in terms] for q in range(rows)],
                             dtype=np.int64).reshape(rows, len(terms)))
    return Scheme(fmt, *mats, ring=Ring.GF2)


def _reduce(terms: list[list[int]]) -> list[list[int]]:
    """Drop zero terms and merge terms equal in two modes, until stable."""
    terms = [t for t in terms if all(t)]
    changed = True
    while changed:
        changed = False
        for i in range(len(terms)):
            for j in range(i + 1, len(terms)):
                a, b = terms[i], terms[j]
                for mode in range(3):
                    m1, m2 = (mode + 1) % 3, (mode + 2) % 3
                    if a[m1] == b[m1] and a[m2] == b[m2]:
                        a[mode] ^= b[mode]
                        del terms[j]
                        terms = [t for t in terms if all(t)]
                        changed = True
                        break
                if changed:
                    break
            if changed:
                break
    return terms


def neighbours(fmt: Format, terms):
    """All schemes one flip away (after reductions): (kind, terms)."""
    seen = set()
    r = len(terms)
    for mode in range(3):
        m1, m2 = (mode + 1) % 3, (mode + 2) % 3
        for i in range(r):
            for j in range(r):
                if i == j or terms[i][mode] != terms[j][mode]:
                    continue
                new = [list(t) for t in terms]
                new[i][m2] ^= new[j][m2]
                new[j][m1] ^= new[i][m1]
                new = _reduce(new)
                key = tuple(sorted(tuple(t) for t in new))
                if key in seen:
                    continue
                seen.add(key)
                yield ("flip" if len(new) == r else "reduction"), new


@dataclass
class Exploration:
    graph: nx.Graph
    exact: bool
    seconds: float
    schemes_seen: int
    representatives: dict = field(default_factory=dict)  # node -> Scheme


def class_key(s: Scheme, exact: bool) -> str:
    if exact:
        import hashlib

        return "c" + hashlib.sha256(repr(canonical_form(s)).encode()).hexdigest()[:16]
    return "i" + invariant_hash(s)


def explore(seeds: list[Scheme], max_nodes: int = 10_000, time_limit: float = 60.0,
            max_schemes: int = 200_000, expand_lower: bool = False) -> Exploration:
    """Breadth-first search over schemes from the seeds, collapsing classes."""
    if not seeds:
        raise ValueError("explore needs at least one seed scheme")
    fmt = seeds[0].fmt
    exact = group_size(fmt) <= MAX_GROUP
    top_rank = max(s.rank for s in seeds)
    G = nx.Graph(format=str(fmt), ring="gf2", exact_classes=exact)
    reps: dict = {}
    t0 = time.monotonic()
    queue = deque()
    visited = set()
    for s in seeds:
        g = s.as_ring(Ring.GF2) if s.ring is not Ring.GF2 else s
        g.require_valid()
        terms = _terms(g)
        key = tuple(sorted(tuple(t) for t in terms))
        if key not in visited:
            visited.add(key)
            queue.append(terms)
            _add_node(G, reps, g, exact)
    while queue and time.monotonic() - t0 < time_limit and len(visited) < max_schemes:
        terms = queue.popleft()
        here = _scheme(fmt, terms)
        u = class_key(here, exact)
        for kind, new in neighbours(fmt, terms):
            if time.monotonic() - t0 >= time_limit:
                break
            key = tuple(sorted(tuple(t) for t in new))
            s = _scheme(fmt, new)
            v = class_key(s, exact) if key not in visited else None
            if v is None:
                v = class_key(s, exact)
            fresh_node = v not in G
            if fresh_node and G.number_of_nodes() >= max_nodes:
                continue
            if fresh_node:
                _add_node(G, reps, s, exact, key=v)
            if u != v:
                if G.has_edge(u, v):
                    G.edges[u, v]["count"] += 1
                else:
                    G.add_edge(u, v, kind=kind, count=1)
            if key not in visited:
                visited.add(key)
                G.nodes[v]["members"] += 1
                if len(new) == top_rank or expand_lower:
                    queue.append(new)
                rep = reps[v]
                if (s.additions, s.nnz) < (rep.additions, rep.nnz):
                    reps[v] = s
                    G.nodes[v]["additions"] = s.additions
                    G.nodes[v]["nnz"] = s.nnz
    return Exploration(G, exact, time.monotonic() - t0, len(visited), reps)


def _add_node(G, reps, s: Scheme, exact: bool, key: str | None = None) -> str:
    key = key or class_key(s, exact)
    if key not in G:
        G.add_node(key, rank=s.rank, nnz=s.nnz, additions=s.additions, members=1,
                   invariant=invariant_hash(s))
        reps[key] = s
    return key


def walk_seeds(fmt: Format, rank: int, walks: int, seed: int = 0, time_limit: float = 30.0) -> list[Scheme]:
    """Distinct schemes of `rank` found by flip walks from the standard
    algorithm with different seeds (a varied start for the exploration)."""
    from .solvers.api import solve

    out, seen = [], set()
    for k in range(walks):
        res = solve(fmt, rank, method="flip", ring="gf2", seed=seed + k, time_limit=time_limit)
        if res.success and res.scheme.fingerprint() not in seen:
            seen.add(res.scheme.fingerprint())
            out.append(res.scheme)
    return out


def summary(ex: Exploration) -> dict:
    G = ex.graph
    comps = list(nx.connected_components(G))
    ranks = sorted({d["rank"] for _, d in G.nodes(data=True)})
    per_rank = {r: sum(1 for _, d in G.nodes(data=True) if d["rank"] == r) for r in ranks}
    cheapest = []
    for comp in comps:
        node = min(comp, key=lambda n: (G.nodes[n]["rank"], G.nodes[n]["additions"], G.nodes[n]["nnz"]))
        cheapest.append({"node": node, **{k: G.nodes[node][k] for k in ("rank", "additions", "nnz")}})
    return {"classes": G.number_of_nodes(), "edges": G.number_of_edges(), "components": len(comps),
            "classes_per_rank": per_rank, "schemes_seen": ex.schemes_seen, "exact_classes": ex.exact,
            "seconds": round(ex.seconds, 3), "cheapest_per_component": cheapest,
            "class_sizes": sorted((d["members"] for _, d in G.nodes(data=True)), reverse=True)[:20]}


def shortest_flip_path(ex: Exploration, a: Scheme, b: Scheme) -> list[str]:
    ka, kb = class_key(a.as_ring(Ring.GF2), ex.exact), class_key(b.as_ring(Ring.GF2), ex.exact)
    return nx.shortest_path(ex.graph, ka, kb)


def write_graphml(ex: Exploration, path) -> None:
    import io

    from .core.files import atomic_write_bytes

    buf = io.BytesIO()
    nx.write_graphml(ex.graph, buf)
    atomic_write_bytes(path, buf.getvalue())


def draw_png(ex: Exploration, path) -> None:
    from .plotting import pyplot, save_png

    plt = pyplot("--png")
    G = ex.graph
    fig, ax = plt.subplots(figsize=(7, 6))
    pos = nx.spring_layout(G, seed=1) if G.number_of_nodes() < 3000 else nx.random_layout(G, seed=1)
    ranks = [G.nodes[n]["rank"] for n in G]
    nx.draw_networkx_edges(G, pos, ax=ax, alpha=0.3, width=0.5)
    sc = nx.draw_networkx_nodes(G, pos, ax=ax, node_size=25, node_color=ranks, cmap="viridis")
    fig.colorbar(sc, ax=ax, label="rank")
    ax.set_title(f"flip graph of {G.graph['format']}: {G.number_of_nodes()} classes")
    ax.axis("off")
    save_png(fig, path, dpi=110)
