"""Bilinear targets beyond <n,m,p>: any integer 3-tensor T of shape (I, J, K)
meaning z_k = sum_ij T[i,j,k] x_i y_j. A scheme (U: I x r, V: J x r,
W: K x r) computes z with r multiplications.

Built-in kinds (name syntax in the CLI):
  complex          (a+bi)(c+di): 2x2x2, rank 3 (Gauss)
  poly:d           product of two polynomials with d coefficients: d x d x (2d-1), rank 2d-1 over Q
  mv:n,m           n x m matrix times vector: (nm) x m x n, rank nm
  sym-mv:n         symmetric n x n matrix (upper triangle stored) times vector
  skew-mv:n        skew-symmetric n x n matrix (strict upper triangle) times vector
  file             a dense or sparse integer tensor from JSON or npz (safe readers)
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np

from .errors import DecompError, FileFormatError
from .files import atomic_write_bytes, read_bytes
from .formats import Format

MAX_TARGET_ENTRIES = 1 << 20


class Target:
    """A named integer 3-tensor; quacks like Format where schemes need it."""

    def __init__(self, name: str, tensor, kind: str, meaning: str = ""):
        T = np.asarray(tensor)
        if T.ndim != 3 or min(T.shape) < 1:
            raise DecompError(f"a target tensor has three non-empty modes, got shape {T.shape}")
        if T.size > MAX_TARGET_ENTRIES:
            raise DecompError(f"target tensor too large ({T.size} entries, limit {MAX_TARGET_ENTRIES})")
        if T.dtype.kind not in "iub":
            raise DecompError("target entries must be integers")
        self.name = name
        self.kind = kind
        self.meaning = meaning
        self._T = T.astype(np.int64)
        self._T.setflags(write=False)

    # -- the interface Scheme, the verifier and the solvers use
    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(x) for x in self._T.shape)

    def tensor(self, dtype=np.int64) -> np.ndarray:
        return self._T.astype(dtype)

    @property
    def naive_rank(self) -> int:
        return int(np.count_nonzero(self._T))

    def lower_bound(self, ring) -> int:
        """The largest flattening rank over `ring`'s field: over GF(2) the
        flattenings' ranks mod 2, which can be lower than over Q (the
        residual of four terms of a 4x4x5 scheme has rank 3 mod 2 and
        flattening rank 4 over Q), so the Q bound would refuse ranks GF(2)
        allows."""
        from .rings import Ring, matrix_rank

        mod2 = Ring.parse(ring) is Ring.GF2
        T = self._T % 2 if mod2 else self._T
        return max(matrix_rank(np.moveaxis(T, a, 0).reshape(T.shape[a], -1), mod2) for a in range(3))

    @property
    def rank_lower_bound(self) -> int:
        """A bound valid over every ring: the GF(2) one (ranks mod 2 never
        exceed ranks over Q)."""
        return self.lower_bound("gf2")

    def naive_factors(self):
        """One product x_i y_j per nonzero entry, scaled into z_k."""
        idx = np.argwhere(self._T != 0)
        r = len(idx)
        mats = [np.zeros((d, r), dtype=np.int64) for d in self.shape]
        for t, (i, j, k) in enumerate(idx):
            mats[0][i, t] = 1
            mats[1][j, t] = 1
            mats[2][k, t] = self._T[i, j, k]
        return tuple(mats)

    def entry_names(self):
        I, J, K = self.shape
        return [f"x{i}" for i in range(I)], [f"y{j}" for j in range(J)], [f"z{k}" for k in range(K)]

    @property
    def is_matmul(self) -> bool:
        return False

    def __eq__(self, other) -> bool:
        return isinstance(other, Target) and self.name == other.name and np.array_equal(self._T, other._T)

    def __hash__(self) -> int:
        return hash((self.name, self._T.tobytes()))

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"Target({self.name!r}, shape={self.shape})"

    @property
    def slug(self) -> str:
        """File-system name for the catalogue."""
        return "target-" + re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")

    def to_dict(self) -> dict:
        idx = np.argwhere(self._T != 0)
        return {"name": self.name, "kind": self.kind, "shape": list(self.shape),
                "entries": [[int(i), int(j), int(k), int(self._T[i, j, k])] for i, j, k in idx]}

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict()["entries"]).encode()).hexdigest()[:12]


def parse_format_or_target(value):
    """A Format or Target passes through; text with digits before any ':'
    ('3x4x5', '<3,4,5>') is a format, other text ('complex', 'poly:4',
    'target-poly-4') a built-in target."""
    if isinstance(value, (Format, Target)):
        return value
    if isinstance(value, str) and not any(ch.isdigit() for ch in value.split(":")[0]):
        return parse_target(value)
    return Format.parse(value)


def require_matmul(fmt, feature: str) -> None:
    if isinstance(fmt, Target):
        raise DecompError(f"{feature} applies to matrix multiplication formats <n,m,p> only, not to target {fmt.name}")


# ----------------------------------------------------------------- builders
def complex_mult() -> Target:
    T = np.zeros((2, 2, 2), dtype=np.int64)
    T[0, 0, 0], T[1, 1, 0] = 1, -1  # real part ac - bd
    T[0, 1, 1], T[1, 0, 1] = 1, 1  # imaginary part ad + bc
    return Target("complex", T, "complex", "(x0 + i x1)(y0 + i y1) = z0 + i z1")


def poly(d: int) -> Target:
    _check_size(d, "poly")
    T = np.zeros((d, d, 2 * d - 1), dtype=np.int64)
    for i in range(d):
        for j in range(d):
            T[i, j, i + j] = 1
    return Target(f"poly:{d}", T, "poly", f"product of two polynomials of degree {d - 1}")


def matvec(n: int, m: int) -> Target:
    _check_size(n, "mv")
    _check_size(m, "mv")
    T = np.zeros((n * m, m, n), dtype=np.int64)
    for i in range(n):
        for j in range(m):
            T[i * m + j, j, i] = 1
    return Target(f"mv:{n},{m}", T, "mv", f"{n}x{m} matrix (row-major) times vector")


def sym_matvec(n: int) -> Target:
    _check_size(n, "sym-mv")
    pairs = [(i, j) for i in range(n) for j in range(i, n)]
    T = np.zeros((len(pairs), n, n), dtype=np.int64)
    for q, (i, j) in enumerate(pairs):
        T[q, j, i] = 1
        if i != j:
            T[q, i, j] = 1
    return Target(f"sym-mv:{n}", T, "sym-mv", f"symmetric {n}x{n} matrix (upper triangle) times vector")


def skew_matvec(n: int) -> Target:
    _check_size(n, "skew-mv")
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    if not pairs:
        raise DecompError("skew-mv needs n >= 2")
    T = np.zeros((len(pairs), n, n), dtype=np.int64)
    for q, (i, j) in enumerate(pairs):
        T[q, j, i] = 1  # z_i += a_ij y_j
        T[q, i, j] = -1  # z_j += a_ji y_i = -a_ij y_i
    return Target(f"skew-mv:{n}", T, "skew-mv", f"skew-symmetric {n}x{n} matrix (strict upper triangle) times vector")


def _check_size(k, what):
    if not isinstance(k, int) or k < 1 or k > 32:
        raise DecompError(f"{what}: size must be an integer within 1..32, got {k!r}")


_SPEC = re.compile(r"^\s*([a-z-]+)\s*(?::\s*([0-9,\s]+))?\s*$")


def parse_target(text: str) -> Target:
    """'complex', 'poly:4', 'mv:3,4', 'sym-mv:3', 'skew-mv:4' (also the
    catalogue's slug form 'target-poly-4')."""
    if not isinstance(text, str):
        raise DecompError(f"cannot read a target from {text!r}")
    if text.startswith("target-"):
        body = text[len("target-"):]
        for kind in ("skew-mv", "sym-mv", "complex", "poly", "mv"):
            if body == kind or body.startswith(kind + "-"):
                rest = body[len(kind) + 1:].replace("-", ",")
                text = kind + (f":{rest}" if rest else "")
                break
    match = _SPEC.match(text)
    if not match:
        raise DecompError(f"malformed target {text!r}: use complex, poly:D, mv:N,M, sym-mv:N or skew-mv:N")
    kind, args = match.group(1), match.group(2)
    nums = [int(x) for x in args.replace(" ", "").split(",") if x] if args else []
    builders = {"complex": (complex_mult, 0), "poly": (poly, 1), "mv": (matvec, 2), "sym-mv": (sym_matvec, 1),
                "skew-mv": (skew_matvec, 1)}
    if kind not in builders:
        raise DecompError(f"unknown target {kind!r}: valid targets are {', '.join(builders)}")
    fn, arity = builders[kind]
    if len(nums) != arity:
        raise DecompError(f"target {kind} takes {arity} size(s), got {text!r}")
    return fn(*nums)


# -------------------------------------------------------------- file targets
def target_from_dict(data, where: str = "target") -> Target:
    if not isinstance(data, dict):
        raise FileFormatError(f"{where}: expected a JSON object")
    name = data.get("name") or "file"
    if not isinstance(name, str) or len(name) > 100:
        raise FileFormatError(f"{where}: name must be a short string")
    if "dense" in data:
        try:
            T = np.array(data["dense"], dtype=object)
            if T.ndim != 3 or not all(isinstance(v, int) and not isinstance(v, bool) for v in T.ravel()):
                raise ValueError
            T = T.astype(np.int64)
        except (ValueError, OverflowError):
            raise FileFormatError(f"{where}: 'dense' must be a 3-D list of integers") from None
    else:
        shape, entries = data.get("shape"), data.get("entries")
        if not (isinstance(shape, list) and len(shape) == 3 and all(isinstance(x, int) and x >= 1 for x in shape)):
            raise FileFormatError(f"{where}: 'shape' must be three positive integers")
        if np.prod(shape) > MAX_TARGET_ENTRIES:
            raise FileFormatError(f"{where}: target too large ({shape})")
        if not isinstance(entries, list):
            raise FileFormatError(f"{where}: 'entries' must be a list of [i, j, k, value]")
        T = np.zeros(shape, dtype=np.int64)
        for e in entries:
            if not (isinstance(e, list) and len(e) == 4 and all(isinstance(x, int) and not isinstance(x, bool)
                                                                for x in e)):
                raise FileFormatError(f"{where}: entry {e!r} is not [i, j, k, value] of integers")
            i, j, k, v = e
            if not (0 <= i < shape[0] and 0 <= j < shape[1] and 0 <= k < shape[2]):
                raise FileFormatError(f"{where}: entry {e!r} is outside shape {shape}")
            T[i, j, k] = v
    if not np.any(T):
        raise FileFormatError(f"{where}: the target tensor is zero")
    try:
        return Target(name if name.startswith("file") else f"file:{name}", T, "file")
    except DecompError as exc:
        raise FileFormatError(f"{where}: {exc}") from None


def read_target(path) -> Target:
    """A target from JSON ({"shape", "entries"} or {"dense"}) or npz (one
    integer array 'T'; no pickle)."""
    path = Path(path)
    raw = read_bytes(path, 64 << 20)
    if path.suffix.lower() == ".npz" or raw[:2] == b"PK":
        import io

        try:
            with np.load(io.BytesIO(raw), allow_pickle=False) as z:
                if "T" not in z.files:
                    raise FileFormatError(f"{path}: an npz target holds one integer array named 'T'")
                T = z["T"]
        except FileFormatError:
            raise
        except (ValueError, OSError, EOFError) as exc:
            raise FileFormatError(f"{path}: unreadable npz ({exc.__class__.__name__}: {exc})") from None
        if T.dtype.kind not in "iu" or T.ndim != 3:
            raise FileFormatError(f"{path}: 'T' must be a 3-D integer array, got {T.dtype} {T.shape}")
        return Target(f"file:{path.stem}", T, "file")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FileFormatError(f"{path}: not valid JSON ({exc})") from None
    data.setdefault("name", path.stem) if isinstance(data, dict) else None
    return target_from_dict(data, where=str(path))


def write_target(target: Target, path) -> None:
    atomic_write_bytes(path, json.dumps(target.to_dict()).encode())
