"""The solver contract, checked for every method in the METHODS registry (as
networkx's max-flow tests loop over every flow function): a verified scheme
or none, typed frozen progress reports, a callback that stops the run, one
seed rule, option names from run()'s signature, and no files written."""

import ast
import dataclasses
import inspect
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from decomp.core.errors import DecompError
from decomp.solvers.api import METHODS, SolveResult, SolveState, solve, spawn_seeds

# Small settings for the agent, so the contract runs in seconds (tests/test_rl.py's SOLVE_TINY).
RL_TINY = dict(dim=16, torso_layers=1, batch=32, warmup_steps=20, train_per_round=5, simulations=16,
               samples=8, parallel_games=4)

# method -> (format, rank, ring, options) that it reaches within seconds
EASY = {
    "naive": ("2x2x2", 8, "z", {}),
    "flip": ("2x2x2", 7, "gf2", {}),
    "sat": ("2x2x2", 7, "gf2", {}),
    "als": ("2x2x2", 7, "z", {"restarts": 30}),
    "rl": ("2x2x2", 8, "z", RL_TINY),
}
# method -> (format, rank, ring, options) that it cannot reach quickly, to stop it by callback
HARD = {
    "flip": ("4x4x4", 40, "gf2", {"chunk": 1000}),
    "sat": ("3x3x3", 19, "gf2", {}),
    "als": ("2x2x2", 6, "z", {"restarts": 1000}),
    "rl": ("2x2x2", 6, "z", RL_TINY),
}
# Same seed, same scheme (rl's torch kernels are not promised to be deterministic).
DETERMINISTIC = ("naive", "flip", "sat", "als")
SRC = Path(__file__).resolve().parent.parent / "decomp"


def _needs(method):
    if METHODS[method].extra:
        for module in METHODS[method].requires:
            pytest.importorskip(module)


def test_every_registered_method_is_covered():
    assert set(EASY) == set(METHODS)
    assert set(HARD) == set(METHODS) - {"naive"}


@pytest.mark.parametrize("method", sorted(METHODS))
def test_reaches_an_easy_rank_with_a_verified_scheme_and_typed_reports(method, tmp_path, monkeypatch):
    _needs(method)
    monkeypatch.chdir(tmp_path)
    fmt, rank, ring, opts = EASY[method]
    states = []

    def callback(state):
        states.append(state)
        return False

    res = solve(fmt, rank, method=method, ring=ring, seed=3, callback=callback, **opts)
    assert isinstance(res, SolveResult) and res.method == method
    assert res.success and res.status == "found" and res.scheme.verify().ok and res.scheme.rank <= rank
    assert res.seed == 3 and res.scheme.provenance["seed"] == 3
    assert states, "every solver reports progress"
    for state in states:
        assert isinstance(state, SolveState) and state.method == method and state.seconds >= 0
        with pytest.raises(dataclasses.FrozenInstanceError):
            state.best_rank = 0
        with pytest.raises(TypeError):
            state.counters["x"] = 1
        assert state.improved is None or state.improved.verify().ok
    # solvers hand schemes on; they never write the catalogue or anything else
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("method", sorted(HARD))
def test_a_callback_that_returns_true_stops_the_run(method):
    _needs(method)
    fmt, rank, ring, opts = HARD[method]
    calls = []

    def stop_now(state):
        calls.append(state)
        return True

    res = solve(fmt, rank, method=method, ring=ring, seed=1, callback=stop_now, **opts)
    assert res.status == "interrupted" and not res.success and len(calls) == 1
    assert res.scheme is None or res.scheme.verify().ok


@pytest.mark.parametrize("method", DETERMINISTIC)
def test_a_seed_repeats_the_run_and_none_draws_one_that_is_recorded(method):
    fmt, rank, ring, opts = EASY[method]
    first = solve(fmt, rank, method=method, ring=ring, seed=11, **opts)
    again = solve(fmt, rank, method=method, ring=ring, seed=11, **opts)
    assert first.scheme.fingerprint() == again.scheme.fingerprint()
    fresh = solve(fmt, rank, method=method, ring=ring, seed=None, **opts)
    assert isinstance(fresh.seed, int) and fresh.seed >= 0 and fresh.scheme.provenance["seed"] == fresh.seed
    repeated = solve(fmt, rank, method=method, ring=ring, seed=fresh.seed, **opts)
    assert repeated.scheme.fingerprint() == fresh.scheme.fingerprint()


def test_bad_seeds_are_refused_and_worker_seeds_are_spawned():
    for bad in (-1, 2.5, "x", True):
        with pytest.raises(DecompError, match="seed must be a whole number"):
            solve("2x2x2", 8, method="naive", seed=bad)
    seeds = spawn_seeds(5, 4)
    assert len(set(seeds)) == 4 and seeds == spawn_seeds(5, 4) and spawn_seeds(6, 4) != seeds
    assert spawn_seeds(5, 2) == seeds[:2]  # worker k's seed does not depend on the number of workers


@pytest.mark.parametrize("method", sorted(METHODS))
def test_options_are_run_signature_keywords_and_unknown_ones_are_named(method):
    _needs(method)
    spec = METHODS[method]
    params = list(inspect.signature(spec.load()).parameters.values())
    assert params[0].name == "problem"
    assert spec.options == {p.name: p.default for p in params[1:]}
    assert "results" not in spec.options  # no solver is handed the catalogue
    with pytest.raises(TypeError, match=f"unknown option.*'{method}': valid options are"):
        solve("2x2x2", 8, method=method, ring=spec.rings[0], bogus_option=1)


def test_als_loads_without_numba_and_rl_options_without_torch():
    code = ("import sys; sys.modules['torch'] = None; import decomp.solvers.als.solver; "
            "from decomp.solvers.api import METHODS; import decomp.solvers.rl.solver as r; "
            "assert 'numba' not in sys.modules, 'numba'; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def _import_graph() -> nx.DiGraph:
    """Module -> module imports inside decomp, function-level imports too."""
    mods = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = nx.DiGraph()
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                for alias in node.names if target.startswith("decomp") else []:
                    full = f"{target}.{alias.name}"
                    dest = full if full in mods else target
                    seen = graph.edges[name, dest]["private"] if graph.has_edge(name, dest) else False
                    graph.add_edge(name, dest, private=seen or alias.name.startswith("_"))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("decomp") and not graph.has_edge(name, alias.name):
                        graph.add_edge(name, alias.name, private=False)
    return graph


def test_no_import_cycles_and_no_private_cross_imports():
    graph = _import_graph()
    assert [c for c in nx.strongly_connected_components(graph) if len(c) > 1] == []
    private = [(a, b) for a, b, d in graph.edges(data=True) if d["private"]]
    assert private == []
    # solver families share GF(2) code through solvers/gf2 only, never each other's modules
    families = ("flip", "sat", "als", "rl")
    crossing = [(a, b) for a, b in graph.edges
                for fa in families for fb in families
                if fa != fb and a.startswith(f"decomp.solvers.{fa}") and b.startswith(f"decomp.solvers.{fb}")]
    assert crossing == []


def test_the_deadline_cuts_long_inner_loops_short():
    """A time limit stops an ALS fit inside its iterations and rl training
    inside its warm-up, not after them (counted in work done, not seconds)."""
    res = solve("3x3x3", 23, method="als", ring="z", seed=1, time_limit=2, restarts=1, max_iter=10**7)
    assert res.status == "time_limit" and res.extra["restarts"] == 1
    pytest.importorskip("torch")
    res = solve("2x2x2", 7, method="rl", ring="gf2", seed=1, time_limit=3, **dict(RL_TINY, warmup_steps=10**6))
    assert res.status == "time_limit" and res.extra["steps"] < 10**6 and res.extra["games"] == 0
