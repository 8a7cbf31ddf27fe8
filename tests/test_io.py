import io
import json
import os
import zipfile

import numpy as np
import pytest

from decomp.core.errors import FileFormatError
from decomp.core.io import read_alphatensor, read_json, read_schemes, scheme_to_dict, write_alphatensor, write_json
from decomp.core.render import parse_algorithm
from known import LADERMAN, STRASSEN


def test_json_round_trip_keeps_unknown_fields(tmp_path, alphatensor_r):
    s = next(x for x in alphatensor_r if x.ring.value == "q" and x.fmt.dims == (3, 4, 11))
    path = tmp_path / "s.json"
    write_json(s, path)
    d = json.loads(path.read_text())
    assert d["schema"] == "decomp.scheme/1" and d["rank"] == s.rank and d["ring"] == "q"
    assert any(isinstance(v, str) and "/" in v for row in d["W"] + d["U"] + d["V"] for v in row)
    d["note"] = {"by": "someone"}
    path.write_text(json.dumps(d))
    back = read_json(path)
    assert back.fingerprint() == s.fingerprint()
    assert scheme_to_dict(back)["note"] == {"by": "someone"}


def test_fingerprints_still_name_the_stored_files():
    """The fingerprint names every catalogue file (r<rank>-<hash>.json):
    a faster way of computing it must give the same hash, or a stored
    scheme would no longer be recognised as a duplicate. Checked on the
    repository's own results/, whose names the earlier code computed."""
    from pathlib import Path

    files = sorted((Path(__file__).resolve().parent.parent / "results").rglob("r*-*.json"))
    assert len(files) > 50
    for path in files:
        assert path.name.endswith(f"-{read_json(path).fingerprint()[:16]}.json"), path


@pytest.mark.parametrize("mutate,msg", [
    (lambda d: d.update(schema="other/9"), "unknown schema"),
    (lambda d: d.pop("U"), "missing field"),
    (lambda d: d.update(rank=8), "says rank 8"),
    (lambda d: d["U"][0].__setitem__(0, 1.5), "entries are integers"),
    (lambda d: d["U"][0].__setitem__(0, "x/y"), "malformed coefficient"),
    (lambda d: d["U"].pop(), "has 3 rows"),
    (lambda d: d["U"][1].__setitem__(0, 1 - d["U"][1][0]), "does not verify"),
    (lambda d: d.update(format=[0, 2, 2]), ">= 1"),
])
def test_bad_json_is_refused(tmp_path, mutate, msg):
    s = parse_algorithm("2x2x2", STRASSEN)
    d = scheme_to_dict(s)
    mutate(d)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(d))
    with pytest.raises(FileFormatError, match=msg):
        read_json(path)


def test_truncated_and_missing_files(tmp_path):
    s = parse_algorithm("3x3x3", LADERMAN)
    path = tmp_path / "l.json"
    write_json(s, path)
    text = path.read_bytes()
    path.write_bytes(text[: len(text) // 2])
    with pytest.raises(FileFormatError, match="not valid JSON"):
        read_json(path)
    with pytest.raises(FileFormatError, match="no such file"):
        read_schemes(tmp_path / "absent.json")


def test_alphatensor_write_read_round_trip(tmp_path, alphatensor_r):
    chosen = [x for x in alphatensor_r if x.fmt.dims in ((2, 2, 2), (3, 4, 5), (3, 4, 11))]
    path = tmp_path / "mine.npz"
    write_alphatensor(chosen, path)
    back = {s.fmt.dims: s for s in read_alphatensor(path)}
    for s in chosen:
        assert back[s.fmt.dims].fingerprint() == s.fingerprint()


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_hostile_npz_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    obj = np.empty(3, dtype=object)
    obj[:] = [np.zeros((4, 7)), _Evil(marker), np.zeros((4, 7))]
    path = tmp_path / "hostile.npz"
    np.savez(path, **{"2,2,2": obj})
    with pytest.raises(FileFormatError, match="refusing to load .*system"):
        read_alphatensor(path)
    assert not marker.exists()


def test_npz_with_non_numeric_payload_is_refused(tmp_path):
    obj = np.empty(3, dtype=object)
    obj[:] = ["a", "b", "c"]  # strings pickle without globals: caught by type checks
    path = tmp_path / "strings.npz"
    np.savez(path, **{"2,2,2": obj})
    with pytest.raises(FileFormatError, match="numeric"):
        read_alphatensor(path)


def test_corrupt_npz_variants(tmp_path, alphatensor_f2):
    good = tmp_path / "good.npz"
    write_alphatensor(alphatensor_f2[:3], good)
    raw = good.read_bytes()
    (tmp_path / "trunc.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(FileFormatError):
        read_alphatensor(tmp_path / "trunc.npz")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("2,2,2.npy", b"\x93NUMPY garbage")
    (tmp_path / "garbage.npz").write_bytes(buf.getvalue())
    with pytest.raises(FileFormatError, match="not a valid .npy"):
        read_alphatensor(tmp_path / "garbage.npz")
    np.savez(tmp_path / "wrongkey.npz", **{"hello": np.zeros((3, 4, 7))})
    with pytest.raises(FileFormatError, match="key is not a format"):
        read_alphatensor(tmp_path / "wrongkey.npz")
    np.savez(tmp_path / "wrong.npz", **{"2,2,2": np.ones((3, 4, 7))})
    with pytest.raises(FileFormatError, match="does not verify"):
        read_alphatensor(tmp_path / "wrong.npz")
