"""Reading and writing files safely: bounded reads with one-line errors,
atomic writes. Everything that touches a file under decomp goes through
here, so no reader loads an absurd file into memory and no crash leaves
half a file behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import FileFormatError

# Refuse absurd files before reading them into memory.
MAX_FILE_BYTES = 256 << 20


def atomic_write_bytes(path: "str | Path", data: bytes) -> None:
    """Write via a temp file in the same folder + rename: a reader (or a
    crash) sees the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def read_bytes(path: "str | Path", limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, or a FileFormatError that names the path: missing,
    a directory, unreadable, or larger than `limit` (checked before reading)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > limit:
            raise FileFormatError(f"{path}: file too large ({size} bytes, at most {limit})")
        return path.read_bytes()
    except FileNotFoundError:
        raise FileFormatError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise FileFormatError(f"{path}: is a directory, expected a file") from None
    except PermissionError:
        raise FileFormatError(f"{path}: permission denied") from None
