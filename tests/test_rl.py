"""The rl method: TensorGame rules, tokens, MCTS, checkpoints, resume, CLI."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")

from conftest import run_cli  # noqa: E402
from decomp.core.errors import DecompError  # noqa: E402
from decomp.core.formats import Format  # noqa: E402
from decomp.core.render import parse_algorithm  # noqa: E402
from decomp.core.rings import Ring  # noqa: E402
from decomp.core.store import Catalogue  # noqa: E402
from decomp.solvers.api import solve  # noqa: E402
from decomp.solvers.rl.actions import ActionSpace  # noqa: E402
from decomp.solvers.rl.checkpoint import CheckpointError  # noqa: E402
from decomp.solvers.rl.demos import (augment, inverse_basis, random_bases, synthetic_batch,  # noqa: E402
                                     transform_actions, transform_tensor)
from decomp.solvers.rl.evaluate import UniformEvaluator, _priors  # noqa: E402
from decomp.solvers.rl.game import TensorGame, apply, rank_bound, rank_one_action  # noqa: E402
from decomp.solvers.rl.mcts import play  # noqa: E402
from decomp.solvers.rl.train import Agent, TrainConfig, config_for  # noqa: E402

from known import LADERMAN, STRASSEN  # noqa: E402

TINY = dict(dim=16, heads=2, torso_layers=1, policy_layers=1, quantiles=4, batch=32, warmup_steps=20,
            train_per_round=5, simulations=16, samples=8, parallel_games=4, buffer=2000)
SOLVE_TINY = {k: v for k, v in TINY.items() if k not in ("heads", "policy_layers", "quantiles", "buffer")}


def _moves(scheme, mod2=False):
    U, V, W = (np.asarray(f, dtype=np.int64) for f in scheme.factors)
    moves = np.concatenate([U.T, V.T, W.T], axis=1)
    return moves % 2 if mod2 else moves


# ------------------------------------------------------------------ game
@pytest.mark.parametrize("ring,coeffs", [("z", (-2, -1, 0, 1, 2)), ("gf2", (0, 1))])
def test_strassen_played_move_by_move_clears_the_tensor(ring, coeffs):
    s = parse_algorithm("2x2x2", STRASSEN)
    space = ActionSpace.make((4, 4, 4), coeffs)
    game = TensorGame(Format(2, 2, 2).tensor(), space, max_moves=10)
    total = 0.0
    for move in _moves(s, mod2=ring == "gf2"):
        assert not game.done[0]
        reward, done = game.step(move[None])
        total += reward[0]
    assert done[0] and game.solved[0]
    assert total == -7
    assert not game.residual.any()
    U, V, W = game.factors(0)
    assert s.with_factors(U, V, W, ring=ring).verify().ok


def test_laderman_played_over_z_ends_at_minus_23():
    s = parse_algorithm("3x3x3", LADERMAN)
    space = ActionSpace.make((9, 9, 9), (-1, 0, 1))
    game = TensorGame(Format(3, 3, 3).tensor(), space, max_moves=27)
    rewards = [game.step(m[None])[0][0] for m in _moves(s)]
    assert sum(rewards) == -23 and game.solved[0]


def test_illegal_actions_are_refused():
    space = ActionSpace.make((4, 4, 4), (-1, 0, 1))
    game = TensorGame(Format(2, 2, 2).tensor(), space, max_moves=8)
    zero_w = np.array([[1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]])
    with pytest.raises(DecompError, match="illegal action"):
        game.step(zero_w)
    outside = np.array([[2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]])
    with pytest.raises(DecompError, match="illegal action"):
        game.step(outside)
    assert game.moves[0] == 0 and (game.residual[0] == Format(2, 2, 2).tensor()).all()


def test_move_limit_ends_the_game_with_the_rank_penalty():
    space = ActionSpace.make((4, 4, 4), (0, 1))
    T = Format(2, 2, 2).tensor()
    game = TensorGame(T, space, max_moves=1)
    naive = np.array([[1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]])
    reward, done = game.step(naive)
    assert done[0] and not game.solved[0]
    # One naive product removed: the slices still hold 7 rank-one pieces.
    assert reward[0] == -1 - 7 == -1 - rank_bound(game.residual[0], True)


def test_rank_bound_is_an_upper_bound_met_by_the_naive_algorithm():
    assert rank_bound(Format(2, 2, 2).tensor(), mod2=True) == 8
    assert rank_bound(Format(2, 3, 4).tensor(), mod2=False) == 24


def test_tokens_round_trip_and_canonical_signs():
    rng = np.random.default_rng(0)
    for coeffs in ((0, 1), (-1, 0, 1), (-2, -1, 0, 1, 2)):
        space = ActionSpace.make((9, 9, 9), coeffs)
        assert space.vocab <= 128 and space.n_tokens * space.chunk >= 27
        acts = rng.choice(coeffs, size=(50, 27))
        assert (space.decode(space.encode(acts)) == acts).all()
        canon = space.canonical(acts)
        from decomp.solvers.rl.game import outer
        assert (outer(canon, space) == outer(acts, space)).all()
    with pytest.raises(DecompError, match="outside the coefficient set"):
        ActionSpace.make((4, 4, 4), (0, 1)).encode(np.full((1, 12), 3))


def test_rank_one_residual_gives_the_finishing_move():
    space = ActionSpace.make((4, 4, 4), (-2, -1, 0, 1, 2))
    u, v, w = np.array([2, 0, -2, 0]), np.array([1, 1, 0, 0]), np.array([0, 2, 0, -1])
    R = np.einsum("i,j,k->ijk", u, v, w)
    move = rank_one_action(R, space)
    assert move is not None and not apply(R[None], move[None], space).any()
    R[3, 3, 3] += 1
    assert rank_one_action(R, space) is None


# -------------------------------------------------------- demos, augmentation
def test_synthetic_states_are_sums_of_their_targets():
    rng = np.random.default_rng(1)
    space = ActionSpace.make((4, 4, 4), (-1, 0, 1))
    b = synthetic_batch(rng, space, 64, max_rank=3, max_moves=8, history=2)
    for res, act, val in zip(b["residual"], b["action"], b["value"]):
        assert space.legal(act[None])[0] and -3 <= val <= -1
        left = apply(res[None], act[None], space)[0]
        # what is left after the target move is a sum of -val - 1 terms
        assert rank_bound(left, False) <= -val - 1 or -val - 1 >= 1


def test_change_of_basis_maps_games_to_games():
    rng = np.random.default_rng(2)
    s = parse_algorithm("2x2x2", STRASSEN)
    for coeffs, mod2 in (((0, 1), True), ((-1, 0, 1), False)):
        space = ActionSpace.make((4, 4, 4), coeffs)
        bases = random_bases(rng, space)
        T2 = transform_tensor(Format(2, 2, 2).tensor(), bases, mod2)
        moves = transform_actions(_moves(s, mod2), bases, space)
        game = TensorGame(T2, space, 7)
        for m in moves:
            game.step(m[None])
        assert game.solved[0]
        back = transform_actions(moves, [inverse_basis(m) for m in bases], space)
        assert (back == _moves(s, mod2)).all()
        batch = synthetic_batch(rng, space, 8, 4, 8, 2)
        aug = augment(rng, batch, space)
        assert (aug["value"] == batch["value"]).all()


# ------------------------------------------------------------------- MCTS
def test_mcts_with_good_proposals_plays_strassen():
    """The search itself: with Strassen's terms among the candidates it must
    pick a 7-move game, though random moves are offered beside them."""
    s = parse_algorithm("2x2x2", STRASSEN)
    terms = _moves(s, mod2=True)
    space = ActionSpace.make((4, 4, 4), (0, 1))
    rng = np.random.default_rng(0)
    noise = UniformEvaluator(space, 9, rng)

    def evaluator(res, depth, hist):
        return ([_priors(np.concatenate([terms, noise.draw(9)]), space, r) for r in res],
                np.array([-float(rank_bound(r, True)) for r in res]))

    recs = play([Format(2, 2, 2).tensor()] * 2, evaluator, space, 8, 64, 2, rng)
    for rec in recs:
        assert rec.solution is not None and len(rec.solution) == 7
        assert rec.returns[0] == -7


# ~130 s on 2 cores: in the slow set (python -m pytest -m slow) to keep the default suite under 10 minutes.
@pytest.mark.slow
def test_tiny_agent_finds_2x2x2_rank_8_with_a_fixed_seed(tmp_path):
    # Measured: this seed clears the tensor in 8 moves after 1550 steps, ~1 min on 2 cores.
    cfg = config_for("2x2x2", "gf2", seed=0, dim=32, heads=2, torso_layers=2, policy_layers=1, quantiles=4,
                     batch=64, warmup_steps=1500, train_per_round=10, simulations=48, samples=32,
                     parallel_games=4, buffer=2000, explore_moves=3, lookahead=0.0, complete_games=0)
    agent = Agent(cfg, device="cpu")
    catalogue = Catalogue(tmp_path / "results")
    # the agent stores nothing itself: its caller keeps each new best it hands on
    def keep(entry):
        if entry["improved"] is not None:
            catalogue.add(entry["improved"])
        return False

    best = agent.run(steps=1600, stop_rank=8, callback=keep)
    assert best is not None and best.rank <= 8 and best.verify().ok
    # a game cleared the tensor: no term comes from completing a residual
    assert best.provenance["method"] == "rl" and "completed_from_residual" not in best.provenance
    stored = list((tmp_path / "results").rglob("*.json"))
    assert stored, "schemes found by games reach the caller, which stores them"


# -------------------------------------------------------- checkpoints, resume
def test_checkpoint_round_trip_via_safetensors(tmp_path):
    agent = Agent(config_for("2x2x2", "z", seed=1, **TINY), device="cpu")
    agent.run(steps=30)
    out = agent.save(tmp_path / "ck")
    names = sorted(p.name for p in out.iterdir())
    assert "model.safetensors" in names and "config.json" in names
    assert not any(n.endswith((".pt", ".pkl", ".pth")) for n in names)
    again = Agent.load(out, device="cpu")
    assert again.step == agent.step == 30 and again.games == agent.games
    for (k, a), (_, b) in zip(agent.model.state_dict().items(), again.model.state_dict().items()):
        assert torch.equal(a, b), k
    assert len(again.buffer) == len(agent.buffer)


def test_steps_limit_holds_inside_the_warm_up():
    agent = Agent(config_for("2x2x2", "gf2", **dict(TINY, warmup_steps=300)), device="cpu")
    agent.run(steps=30)
    assert agent.step == 30 and agent.games == 0


def test_resume_continues_where_it_stopped(tmp_path):
    # fewer simulations and games than TINY: what is tested is the resume, not the play
    cfg = config_for("2x2x2", "gf2", seed=4, **dict(TINY, simulations=4, parallel_games=2))
    a = Agent(cfg, device="cpu")
    a.run(steps=24, out=tmp_path / "ck")  # past warmup_steps=20: the optimizer state is saved too
    b = Agent.load(tmp_path / "ck", device="cpu")
    b.run(steps=32, out=tmp_path / "ck")
    assert b.step == 32 and b.games >= a.games
    meta = json.loads((tmp_path / "ck" / "config.json").read_text())
    assert meta["step"] == 32


def test_corrupt_checkpoint_is_a_clear_error(tmp_path):
    a = Agent(config_for("2x2x2", "gf2", **TINY), device="cpu")
    out = a.save(tmp_path / "ck")
    (out / "model.safetensors").write_bytes(b"garbage" * 10)
    with pytest.raises(CheckpointError, match="corrupt"):
        Agent.load(out, device="cpu")
    with pytest.raises(CheckpointError, match="does not exist"):
        Agent.load(tmp_path / "nowhere")


# -------------------------------------------------------------------- solve
def test_solve_rl_over_z_returns_a_verified_scheme(tmp_path):
    res = solve("2x2x2", 8, method="rl", ring="z", seed=0, time_limit=10,
                **SOLVE_TINY)
    # Rank 8 is the naive rank: the first game's completion reaches it at the latest.
    assert res.success and res.scheme.verify().ok and res.scheme.rank == res.best_rank <= 8
    assert res.extra["games"] > 0 and res.method == "rl"


def test_solve_rl_over_zt_keeps_completion_terms_in_the_ring(tmp_path):
    assert Agent(config_for("2x2x2", "zt", **TINY), device="cpu").space.entry_limit == 1
    assert Agent(config_for("2x2x2", "z", **TINY), device="cpu").space.entry_limit is None
    res = solve("2x2x2", 8, method="rl", ring="zt", seed=0, time_limit=10, **SOLVE_TINY)
    assert res.success and res.scheme.ring is Ring.ZT and res.scheme.verify().ok
    assert np.abs(np.concatenate(res.scheme.factors, axis=1)).max() == 1


def test_solve_rl_refuses_a_checkpoint_for_another_format(tmp_path):
    a = Agent(config_for("2x2x2", "gf2", **TINY), device="cpu")
    a.save(tmp_path / "ck")
    with pytest.raises(DecompError, match="trained for 2x2x2"):
        solve("2x2x3", 11, method="rl", ring="gf2", checkpoint=str(tmp_path / "ck"), time_limit=5)
    with pytest.raises(DecompError, match="cannot change on a trained checkpoint"):
        solve("2x2x2", 7, method="rl", ring="gf2", checkpoint=str(tmp_path / "ck"), dim=8, time_limit=5)


# ---------------------------------------------------------------------- CLI
def test_cli_train_then_resume_then_solve(tmp_path, capsys):
    out = tmp_path / "agent"
    opts = sum((["-o", f"{k}={v}"] for k, v in TINY.items()), [])
    base = ["train", "--format", "2x2x2", "--ring", "gf2", "--out", out, "--results", tmp_path / "r",
            "--json"] + opts
    code, text, _ = run_cli(base + ["--steps", "25"], capsys)
    assert code == 0, text
    assert json.loads(text.strip().splitlines()[-1])["steps"] == 25
    code, _, err = run_cli(base + ["--steps", "30"], capsys)
    assert code == 2 and "already holds a checkpoint" in err
    code, text, _ = run_cli(base + ["--steps", "35", "--resume"], capsys)
    assert code == 0, text
    assert json.loads(text.strip().splitlines()[-1])["steps"] == 35
    assert (out / "log.jsonl").read_text().count("\n") >= 2
    code, text, _ = run_cli(["solve", "2x2x2", "--rank", "7", "--method", "rl", "--checkpoint", out,
                             "--time-limit", "3", "--results", tmp_path / "r", "--json"], capsys)
    assert code in (0, 1), text
    d = json.loads(text.strip().splitlines()[-1])
    assert d["method"] == "rl" and d["extra"]["games"] >= 1
    code, _, err = run_cli(["solve", "2x2x2", "--rank", "7", "--method", "rl", "--checkpoint",
                            tmp_path / "missing", "--time-limit", "3"], capsys)
    assert code == 2 and "does not exist" in err


def test_rl_plays_a_named_target_and_the_scheme_is_for_that_target(tmp_path):
    """Targets travel in the checkpoint by name, so the scheme found is for
    the problem's target (a file: copy of it would be a different target)."""
    from decomp.core.targets import parse_target

    target = parse_target("complex")
    res = solve(target, 3, method="rl", ring="gf2", seed=0, time_limit=120,
                **dict(SOLVE_TINY, warmup_steps=200, train_per_round=20))
    assert res.success and res.scheme.fmt == target and res.scheme.rank == 3 and res.scheme.verify().ok
    assert res.extra["max_moves"] == 3             # the game ends at the rank asked for


@pytest.mark.parametrize("setting,text", [
    ({"batch": 0}, "batch must be a whole number >= 1"),
    ({"simulations": "abc"}, "simulations must be a whole number"),
    ({"lr": -1}, "lr must be a number within"),
    ({"dim": 30}, "must be a multiple of heads"),
])
def test_bad_rl_settings_get_one_line_errors(setting, text):
    """Checked when the config is made (CLI or a checkpoint's config.json);
    batch 0 and an unknown device were torch tracebacks before."""
    with pytest.raises(DecompError, match=text):
        config_for("2x2x2", "gf2", **setting)
    with pytest.raises(DecompError, match=text):
        TrainConfig.from_dict(dict(config_for("2x2x2", "gf2").to_dict(), **setting))


def test_coefficient_sets_from_the_cli_are_read_or_refused_in_one_line():
    assert config_for("2x2x2", "z", coefficients="-1, 0,1").coefficients == (-1, 0, 1)
    assert config_for("2x2x2", "z", coefficients=[-2, 0, 2]).coefficients == (-2, 0, 2)
    for bad in ("a,b", 3, "-"):
        with pytest.raises(DecompError, match="coefficients must be integers such as -1,0,1"):
            config_for("2x2x2", "z", coefficients=bad)
    with pytest.raises(DecompError, match=r"over zt the coefficient set lies within \{-1, 0, 1\}"):
        Agent(config_for("2x2x2", "zt", coefficients=[-2, -1, 0, 1, 2], **TINY), device="cpu")


def test_unknown_device_refused():
    with pytest.raises(DecompError, match="unknown device 'tpu'"):
        solve("2x2x2", 7, method="rl", ring="gf2", device="tpu", time_limit=5)
