"""decomp: discover, verify, combine and run fast matrix multiplication schemes.

A scheme of rank r for <n,m,p> is an exact decomposition of the matrix
multiplication tensor into r rank-one terms; see DESIGN.md for conventions.
"""

import os as _os

# Generated fast-matmul code interleaves BLAS products with memory-bound
# block additions on the same cores. After each call OpenBLAS's worker
# threads busy-wait (THREAD_TIMEOUT, 2^28 cycles by default) and took CPU
# from the additions that followed: on 2 cores one Strassen level at 8192 ran
# at 1.018x numpy.matmul with the default and 1.056-1.068x with 2^4 cycles
# (bench/codegen_speed.py). Large products are not slowed. This is only a
# default: a value set by the user wins, and it has no effect when numpy was
# imported before decomp (OpenBLAS reads it once, when it loads).
_os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

from .core.errors import DecompError, FileFormatError, FormatError, MissingDependencyError, SchemeError
from .core.formats import Format
from .core.io import read_alphatensor, read_json, read_schemes, write_alphatensor, write_json
from .core.render import algorithm_lines, parse_algorithm
from .core.rings import Ring
from .core.scheme import Scheme, VerifyReport
from .core.store import Catalogue
from .solvers.api import METHODS, SolveResult, SolveState, solve

__all__ = [
    "Catalogue",
    "DecompError",
    "FileFormatError",
    "Format",
    "FormatError",
    "METHODS",
    "MissingDependencyError",
    "Ring",
    "Scheme",
    "SchemeError",
    "SolveResult",
    "SolveState",
    "VerifyReport",
    "algorithm_lines",
    "parse_algorithm",
    "read_alphatensor",
    "read_json",
    "read_schemes",
    "solve",
    "write_alphatensor",
    "write_json",
]
__version__ = "0.1.0"
