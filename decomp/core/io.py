"""Reading and writing schemes: native JSON and AlphaTensor's npz.

Every file is untrusted. Readers check structure and types, never execute
code (AlphaTensor's rectangular entries are pickled object arrays: they go
through a restricted unpickler that can build numeric ndarrays and nothing
else), and every loaded scheme is verified before it is returned.
"""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from fractions import Fraction
from pathlib import Path

import numpy as np

from .errors import DecompError, FileFormatError
from .files import atomic_write_bytes, read_bytes
from .formats import Format
from .rings import Ring
from .scheme import Scheme
from .targets import Target, parse_target, target_from_dict

SCHEMA = "decomp.scheme/1"
# Reference data shipped with the package (AlphaTensor's files, records.csv).
DATA_DIR = Path(__file__).resolve().parent.parent / "data"
BUNDLED_ALPHATENSOR = (DATA_DIR / "alphatensor" / "factorizations_f2.npz",
                       DATA_DIR / "alphatensor" / "factorizations_r.npz")
_KNOWN_FIELDS = {"schema", "format", "target", "ring", "rank", "U", "V", "W", "provenance"}


# ---------------------------------------------------------------- native JSON
def _entry_to_json(v):
    if type(v) is int:  # most entries of exact arrays; skips the slower ABC isinstance
        return v
    if isinstance(v, Fraction):
        return f"{v.numerator}/{v.denominator}"
    return int(v)


def _factor_to_json(m: np.ndarray) -> list:
    # Integer arrays convert in one tolist() (Python ints already); only exact
    # rational (object) arrays need the per-entry look: large imports spent
    # most of their writing time here.
    if m.dtype != object:
        return m.astype(np.int64, copy=False).tolist()
    return [[_entry_to_json(v) for v in row] for row in m.tolist()]


def scheme_to_dict(scheme: Scheme) -> dict:
    out = dict(scheme.extra)
    if isinstance(scheme.fmt, Target):
        out["target"] = scheme.fmt.to_dict()
        out["format"] = None
    out.update(
        {
            "schema": SCHEMA,
            "format": list(scheme.fmt.dims) if not isinstance(scheme.fmt, Target) else None,
            "ring": scheme.ring.value,
            "rank": scheme.rank,
            "U": _factor_to_json(scheme.U),
            "V": _factor_to_json(scheme.V),
            "W": _factor_to_json(scheme.W),
            "provenance": _provenance(scheme.provenance),
        }
    )
    return out


def _provenance(prov: dict) -> dict:
    base = {"method": None, "seed": None, "seconds": None, "parents": [], "source": None}
    base.update(prov)
    return base


def scheme_to_json(scheme: Scheme) -> str:
    return json.dumps(scheme_to_dict(scheme), separators=(",", ":")) + "\n"


def scheme_from_dict(data, where: str = "scheme", verify: bool = True) -> Scheme:
    """Validate a decoded native JSON object and build a verified Scheme."""
    if not isinstance(data, dict):
        raise FileFormatError(f"{where}: expected a JSON object, got {type(data).__name__}")
    schema = data.get("schema")
    if schema != SCHEMA:
        raise FileFormatError(f"{where}: unknown schema {schema!r} (expected {SCHEMA!r})")
    missing = [k for k in ("ring", "U", "V", "W") if k not in data]
    if data.get("format") is None and "target" not in data:
        missing.insert(0, "format")
    if missing:
        raise FileFormatError(f"{where}: missing field(s) {', '.join(missing)}")
    try:
        fmt = Format.parse(data["format"]) if data.get("format") is not None else \
            _target_field(data["target"], where)
        ring = Ring.parse(data["ring"])
        for name in "UVW":
            mat = data[name]
            if not isinstance(mat, list) or not all(isinstance(row, list) for row in mat):
                raise FileFormatError(f"{where}: {name} must be a list of rows")
        prov = data.get("provenance") or {}
        if not isinstance(prov, dict):
            raise FileFormatError(f"{where}: provenance must be an object")
        extra = {k: v for k, v in data.items() if k not in _KNOWN_FIELDS}
        mats = [_matrix(data[name], rows, name, where) for name, rows in zip("UVW", fmt.shape)]
        scheme = Scheme(fmt, *mats, ring=ring, provenance=prov, extra=extra)
    except FileFormatError:
        raise
    except DecompError as exc:
        raise FileFormatError(f"{where}: {exc}") from None
    if "rank" in data and data["rank"] != scheme.rank:
        raise FileFormatError(f"{where}: says rank {data['rank']} but has {scheme.rank} columns")
    if verify:
        report = scheme.verify()
        if not report.ok:
            raise FileFormatError(f"{where}: scheme does not verify: {report}")
    return scheme


def _target_field(data, where: str) -> Target:
    if isinstance(data, dict) and data.get("kind") not in (None, "file"):
        built = parse_target(data.get("name", ""))
        if built.to_dict()["entries"] != data.get("entries"):
            raise FileFormatError(f"{where}: target {built.name} does not match its stored tensor")
        return built
    return target_from_dict(data, where)


def _matrix(rows: list, nrows: int, name: str, where: str) -> np.ndarray:
    if len(rows) != nrows:
        raise FileFormatError(f"{where}: {name} has {len(rows)} rows, format needs {nrows}")
    widths = {len(r) for r in rows}
    if len(widths) > 1:
        raise FileFormatError(f"{where}: {name} rows have different lengths {sorted(widths)}")
    width = widths.pop() if widths else 0
    arr = np.empty((nrows, width), dtype=object)
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if isinstance(v, bool) or not isinstance(v, (int, str)):
                raise FileFormatError(
                    f"{where}: {name}[{i}][{j}] = {v!r}: entries are integers or 'a/b' strings"
                )
            arr[i, j] = v
    return arr


def read_json(path: "str | Path", verify: bool = True) -> Scheme:
    path = Path(path)
    data = read_bytes(path)
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FileFormatError(f"{path}: not valid JSON ({exc.__class__.__name__}: {exc})") from None
    return scheme_from_dict(obj, where=str(path), verify=verify)


def write_json(scheme: Scheme, path: "str | Path") -> None:
    scheme.require_valid()
    atomic_write_bytes(path, scheme_to_json(scheme).encode())


# ------------------------------------------------------------ AlphaTensor npz
class _NumericOnlyUnpickler(pickle.Unpickler):
    """Builds numpy arrays of numbers, refuses every other global.

    This is the 'restricting globals' defence of the pickle documentation:
    find_class is the only way a pickle can reach callables, and it resolves
    nothing but the three names numpy needs to rebuild an ndarray.
    """

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self._ALLOWED:
            raise FileFormatError(f"refusing to load {module}.{name}: only numeric arrays are allowed")
        if name == "_reconstruct":
            return _reconstruct
        return np.ndarray if name == "ndarray" else _safe_dtype

    def persistent_load(self, pid):
        raise FileFormatError("refusing persistent references in pickle data")


def _reconstruct(subtype, shape, dtype):
    if subtype is not np.ndarray:
        raise FileFormatError("refusing ndarray subclass in pickle data")
    return np.ndarray.__new__(np.ndarray, shape, dtype)


def _safe_dtype(spec, align=False, copy=False):
    dt = np.dtype(spec)
    if dt.kind not in "biufO":
        raise FileFormatError(f"refusing array dtype {dt}")
    return np.dtype(spec, align, copy)


def _read_npy(raw: bytes, name: str) -> np.ndarray:
    fh = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
    except (ValueError, EOFError, SyntaxError) as exc:
        raise FileFormatError(f"{name}: not a valid .npy entry ({exc})") from None
    if dtype.hasobject:
        if dtype.kind != "O":
            raise FileFormatError(f"{name}: structured dtypes are refused")
        try:
            obj = _NumericOnlyUnpickler(fh).load()
        except FileFormatError:
            raise
        except Exception as exc:  # any malformed pickle stream
            raise FileFormatError(f"{name}: unreadable object array ({exc.__class__.__name__})") from None
        if not isinstance(obj, np.ndarray) or obj.shape != tuple(shape):
            raise FileFormatError(f"{name}: object array does not match its header")
        return obj
    fh.seek(0)
    try:
        return np.lib.format.read_array(fh, allow_pickle=False)
    except (ValueError, EOFError, OSError) as exc:
        raise FileFormatError(f"{name}: truncated or corrupt array ({exc})") from None


def _numeric(arr, where: str) -> np.ndarray:
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "biuf" or arr.ndim != 2:
        raise FileFormatError(f"{where}: each factor must be a 2-D numeric array")
    return arr


def read_alphatensor(path: "str | Path", ring: "str | None" = None) -> list[Scheme]:
    """All schemes of an AlphaTensor npz, each verified.

    ring: None decides per scheme: entries all 0/1 and valid only mod 2 ->
    gf2; integers -> z; halves/eighths -> q.
    """
    path = Path(path)
    raw = read_bytes(path)
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        names = archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise FileFormatError(f"{path}: not a readable npz archive ({exc})") from None
    out = []
    for member in names:
        key = member[:-4] if member.endswith(".npy") else member
        where = f"{path}[{key}]"
        try:
            arr = _read_npy(archive.read(member), where)
        except (zipfile.BadZipFile, OSError, EOFError, KeyError) as exc:
            raise FileFormatError(f"{where}: corrupt archive member ({exc})") from None
        try:
            fmt = Format.parse(key.replace(" ", ""))
        except DecompError:
            raise FileFormatError(f"{where}: key is not a format 'n,m,p'") from None
        if arr.dtype == object:
            if arr.shape != (3,):
                raise FileFormatError(f"{where}: expected three factor arrays, got shape {arr.shape}")
            mats = [_numeric(a, where) for a in arr]
        else:
            if arr.ndim != 3 or arr.shape[0] != 3 or arr.dtype.kind not in "biuf":
                raise FileFormatError(f"{where}: expected a (3, S, R) numeric array, got {arr.shape}")
            mats = list(arr)
        out.append(_scheme_from_arrays(fmt, mats, ring, where, path.name, key))
    return out


def _scheme_from_arrays(fmt, mats, ring, where, filename, key) -> Scheme:
    prov = {"method": "import", "source": f"alphatensor:{filename}:{key}"}
    try:
        if ring is None:
            is_int = all(np.all(np.mod(m, 1) == 0) for m in mats)
            candidate = Ring.Z if is_int else Ring.Q
            scheme = Scheme(fmt, *mats, ring=candidate, provenance=prov)
            if not scheme.verify().ok and is_int and all(np.isin(m, (0, 1)).all() for m in mats):
                scheme = Scheme(fmt, *mats, ring=Ring.GF2, provenance=prov)
        else:
            scheme = Scheme(fmt, *mats, ring=ring, provenance=prov)
    except DecompError as exc:
        raise FileFormatError(f"{where}: {exc}") from None
    report = scheme.verify()
    if not report.ok:
        raise FileFormatError(f"{where}: scheme does not verify: {report}")
    return scheme


def write_alphatensor(schemes: list[Scheme], path: "str | Path") -> None:
    """Write schemes as AlphaTensor does: key 'n,m,p'; square formats as one
    (3, S, R) array, rectangular ones as an object array of three."""
    arrays = {}
    for s in schemes:
        s.require_valid()
        key = ",".join(str(d) for d in s.fmt.dims)
        if key in arrays:
            raise DecompError(f"two schemes for {s.fmt}: an AlphaTensor file holds one per format")
        mats = [_float_factor(m, s) for m in s.factors]
        if len({m.shape for m in mats}) == 1:
            arrays[key] = np.stack(mats)
        else:
            obj = np.empty(3, dtype=object)
            obj[:] = mats
            arrays[key] = obj
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    atomic_write_bytes(path, buf.getvalue())


def _float_factor(m: np.ndarray, s: Scheme) -> np.ndarray:
    if s.ring is not Ring.Q:
        return np.asarray(m, dtype=np.int64)
    out = np.array([float(v) for v in m.ravel()]).reshape(m.shape)
    if any(Fraction(x) != Fraction(v) for x, v in zip(out.ravel(), m.ravel())):
        raise DecompError("scheme has coefficients a float cannot hold exactly (AlphaTensor stores floats)")
    return out


# ------------------------------------------------------------------- dispatch
def read_schemes(path: "str | Path") -> list[Scheme]:
    """Read any supported file: native .json or AlphaTensor .npz."""
    path = Path(path)
    if not path.exists():
        raise FileFormatError(f"{path}: no such file")
    if path.suffix.lower() == ".npz":
        return read_alphatensor(path)
    if path.suffix.lower() == ".json":
        return [read_json(path)]
    head = read_bytes(path)[:4]
    if head.startswith(b"PK"):
        return read_alphatensor(path)
    return [read_json(path)]


def read_scheme_for(path: "str | Path", fmt) -> Scheme:
    """The first scheme of a file (native JSON or npz) for `fmt`, or a
    one-line error."""
    s = next((x for x in read_schemes(path) if x.fmt == fmt), None)
    if s is None:
        raise DecompError(f"{path} holds no scheme for {fmt}")
    return s
