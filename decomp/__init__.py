"""decomp: discover, verify, combine and run fast matrix multiplication schemes.

A scheme of rank r for <n,m,p> is an exact decomposition of the matrix
multiplication tensor into r rank-one terms; see DESIGN.md for conventions.
"""

from .core.errors import DecompError, FileFormatError, FormatError, MissingDependencyError, SchemeError
from .core.formats import Format
from .core.io import read_alphatensor, read_json, read_schemes, write_alphatensor, write_json
from .core.render import algorithm_lines, parse_algorithm
from .core.rings import Ring
from .core.scheme import Scheme, VerifyReport
from .core.store import Catalogue
from .solvers.api import METHODS, SolveResult, solve

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
