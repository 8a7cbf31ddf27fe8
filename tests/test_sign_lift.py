"""Signs on a GF(2) scheme's support by SAT (decomp/core/sign_lift.py) and
their place in lift_gf2 and the flip solver over zt."""

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from decomp import solve
from decomp.core.errors import DecompError
from decomp.core.io import read_json
from decomp.core.store import Catalogue
from decomp.core.lift import lift_gf2
from decomp.core.sign_lift import lift_signs, sign_clauses

DATA = Path(__file__).parent / "data"


def _support(s):
    return [np.asarray(F, dtype=np.int64) % 2 for F in s.factors]


def _same_support(a, b):
    return all(np.array_equal(x, y) for x, y in zip(_support(a), _support(b)))


@pytest.mark.parametrize("dims", [(2, 2, 2), (3, 3, 3), (3, 4, 5), (4, 4, 5), (5, 5, 5)])
def test_alphatensor_z_schemes_have_signs_mod_2(alphatensor_r, dims):
    """AlphaTensor's Z schemes, entries +-2 included (3x3x3, 3x4x5, 4x4x5,
    5x5x5 have some): the image mod 2 drops those, and SAT finds signs that
    make it exact over {-1, 0, 1}: a different scheme of the same rank."""
    s = next(x for x in alphatensor_r if x.fmt.dims == dims)
    image = s.as_ring("gf2")
    z, how = lift_signs(image)
    assert z is not None and "by SAT" in how
    assert z.ring.value == "zt" and z.rank == s.rank and z.verify("zt").ok
    assert _same_support(z, image) and set(np.unique(np.concatenate([F.ravel() for F in z.factors]))) <= {-1, 0, 1}


def test_signs_found_where_hensel_gives_threes():
    """A GF(2) 2x3x4 rank-21 plateau point: Hensel's lift (one solution mod 4,
    carried on) has entries +-3; SAT, asking all sign choices, finds one in
    {-1, 0, 1}; lift_gf2 over zt returns it."""
    s = read_json(DATA / "gf2_2x3x4_r21_hensel_3.json")
    hensel = lift_gf2(s, free=False, signs=False)
    assert hensel.scheme is not None and max(abs(int(c)) for c in hensel.scheme.coefficients) == 3
    z, how = lift_signs(s)
    assert z is not None and z.verify("zt").ok and _same_support(z, s)
    res = lift_gf2(s, ring="zt")
    assert res.scheme is not None and res.scheme.ring.value == "zt" and res.scheme.verify("zt").ok
    assert res.message == "lifted to {-1, 0, 1} by SAT (signs on the GF(2) support)"


def test_no_signs_is_proved_and_a_budget_is_honoured():
    s = read_json(DATA / "gf2_3x3x3_r23_no_lift.json")
    z, how = lift_signs(s, conflicts=None)
    assert z is None and how == "no signs in {-1, 0, 1} on this support (SAT)"
    z, how = lift_signs(s, conflicts=1)
    assert z is None and how == "signs undecided within 1 conflicts"


def test_signs_of_a_scheme_whose_mod_2_image_has_none():
    """A free lift (entries +-2 off the GF(2) support): lift_gf2 still finds
    it over z; over zt SAT rules signs out and a change of basis gets there."""
    zs = read_json(DATA / "z_2x2x3_r11_no_signs.json")
    image = zs.as_ring("gf2")
    assert lift_signs(image)[0] is None
    over_z = lift_gf2(image)
    assert over_z.scheme is not None and over_z.scheme.verify("z").ok
    over_zt = lift_gf2(image, ring="zt")
    assert over_zt.scheme is not None and over_zt.scheme.verify("zt").ok
    assert "a change of basis took its lift to {-1, 0, 1}" in over_zt.message


def test_the_encoding_fixes_two_signs_per_term(alphatensor_f2):
    """Each term's signs are free up to (u,v,w) -> (-u,-v,w), (-u,v,-w): the
    first U and first V entry of every term are fixed to +1 (unit clauses)."""
    s = next(x for x in alphatensor_f2 if x.fmt.dims == (2, 2, 2))
    clauses, _, pos, nvars = sign_clauses(s)
    units = {c[0] for c in clauses if len(c) == 1}
    assert len([u for u in units if -u <= len(pos[0]) + len(pos[1])]) >= 2 * s.rank
    z, _ = lift_signs(s)
    U, V = (np.asarray(F) for F in z.factors[:2])
    for r in range(s.rank):
        assert U[np.flatnonzero(U[:, r])[0], r] == 1 and V[np.flatnonzero(V[:, r])[0], r] == 1


def test_an_invalid_gf2_scheme_is_refused(alphatensor_f2):
    s = next(x for x in alphatensor_f2 if x.fmt.dims == (2, 2, 2))
    U, V, W = (np.asarray(F).copy() for F in s.factors)
    U[0, 0] ^= 1
    broken = s.with_factors(U, V, W)
    assert lift_gf2(broken, ring="zt").message == "not a valid GF(2) scheme"
    with pytest.raises(DecompError, match="lifts to z or zt, not gf2"):
        lift_gf2(s, ring="gf2")


def test_flip_over_zt_from_gf2_walks_lifts_by_signs():
    """solve over zt with a GF(2) walk: what reaches the target is lifted to
    {-1, 0, 1} (signs by SAT or Hensel), verified over zt."""
    res = solve("2x2x3", 11, method="flip", ring="zt", walk_ring="gf2", seed=3, time_limit=30)
    assert res.success and res.scheme.ring.value == "zt" and res.scheme.verify("zt").ok and res.scheme.rank <= 11


def test_cli_lift_to_zt_writes_and_stores(tmp_path, capsys):
    out, res = tmp_path / "zt.json", tmp_path / "res"
    code, stdout, _ = run_cli(["lift", DATA / "gf2_2x3x4_r21_hensel_3.json", "--ring", "zt", "--out", out,
                               "--results", res], capsys)
    assert code == 0 and "2x3x4 rank 21 over gf2 -> rank 21 over zt" in stdout and "by SAT" in stdout
    s = read_json(out)
    assert s.ring.value == "zt" and s.verify("zt").ok and s.provenance["method"] == "lift"
    assert Catalogue(res).best("2x3x4", "zt").rank == 21


def test_cli_lift_says_why_not_and_walks_the_plateau(tmp_path, capsys):
    src = DATA / "gf2_3x3x3_r23_no_lift.json"
    code, stdout, _ = run_cli(["lift", src, "--seed", "1", "--results", tmp_path / "res"], capsys)
    assert code == 1 and "3x3x3 rank 23: no lift to z (does not lift to Z: no solution mod 2^2" in stdout
    assert not (tmp_path / "res").exists()
    code, stdout, _ = run_cli(["lift", src, "--points", "20", "--seed", "3", "--results", tmp_path / "res",
                               "--json"], capsys)
    d = json.loads(stdout)
    assert code == 0 and d["lifted"] and "at plateau point" in d["message"] and d["flips"] > 0
    assert d["stored"] == "added" and Catalogue(tmp_path / "res").best("3x3x3", "z").verify().ok


@pytest.mark.parametrize("args, message", [
    (["--ring", "q"], "lift goes to z or zt, not q"),
    (["--points", "-1"], "--points must be at least 0 and --time-limit positive"),
    (["--time-limit", "0"], "--points must be at least 0 and --time-limit positive"),
    (["--seed", "-1"], "seed must be a whole number >= 0"),
])
def test_cli_lift_bad_input_in_one_line(capsys, args, message):
    code, _, err = run_cli(["lift", DATA / "gf2_3x3x3_r23_no_lift.json", *args, "--no-store"], capsys)
    assert code == 2 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_cli_lift_refuses_a_corrupt_file(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "2x2x2", "U": [[1')
    code, _, err = run_cli(["lift", bad, "--no-store"], capsys)
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
